// Sweep specifications: what every cell shares (parameter set, overrides, mesh, solver
// options, constant-current protocol) and what varies per cell (explicit lists, ranges,
// seeded random sampling), combined as a grid (Cartesian product) or zipped. Read from
// the JSON config of `ionflux sweep` (documented in docs/sweep_config.md, example in
// examples/sweep_chen2020.json).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kernels/model/cell_params.hpp"
#include "kernels/model/protocol.hpp"
#include "kernels/numerics/bdf.hpp"
#include "solver/inputs/model_options.hpp"
#include "solver/inputs/parameters.hpp"

namespace ionflux {

//! Names that may vary per cell besides every scalar parameter of the set.
namespace sweep_names {
inline const char* const kCRate = "C-rate";               //!< current = C-rate x nominal capacity
inline const char* const kCurrent = "Current [A]";        //!< constant current, positive = discharge
inline const char* const kInitialSoc = "Initial SOC";     //!< as ionflux simulate --soc
//! A parameter that, varied, is each cell's current exactly as kCurrent (PyBaMM's input).
inline const char* const kCurrentFunction = "Current function [A]";
}  // namespace sweep_names

//! Cells [first, last) of a sweep, in the sweep's own (global) cell numbers: what one
//! partition of a distributed sweep plans and runs (solver/problem/cell_range.hpp).
struct CellRange {
  static constexpr std::size_t kToEnd = static_cast<std::size_t>(-1);  //!< last: up to the sweep's end
  std::size_t first = 0, last = 0;  //!< cells [first, last) of the sweep
  std::size_t size() const { return last - first; }
};

struct SweepSpec {
  std::string parameters = "Chen2020";                      //!< built-in set name or file
  //! A parameter file given inline in the config ("parameters": {...}); when not
  //! empty it is the set (`parameters` then holds its name, for the file's attributes).
  std::string parameters_text;
  //! The set itself, given as an object (make_sweep_spec: Python's Sweep); when set it is
  //! the set (`parameters` then holds its label, for the file's attributes).
  std::shared_ptr<const ParameterSet> parameter_set;
  std::vector<std::pair<std::string, double>> set;          //!< overrides applied to every cell
  MeshSpec mesh;
  SolverOptions solver;                                     //!< rtol, atol (others default)
  double period = 0.0;                                      //!< output spacing [s]; 0 = every solver step
  double t_end = 0.0;                                       //!< 0 = 3 x nominal discharge time at the
                                                            //!< smallest |current| of the sweep
  std::optional<double> c_rate;                             //!< protocol: at most one of c_rate, current
  std::optional<double> current;                            //!< (neither: the set's "Current function [A]")
  std::optional<double> initial_soc;                        //!< for every cell (unless varied)
  //! initial_soc "3.9 V" in a sweep whose parameters vary: each cell starts at the SOC whose
  //! open-circuit voltage this is, from its own parameters (soc_at_voltage); then
  //! initial_soc is empty.
  std::optional<double> initial_voltage;
  std::string combine = "grid";                             //!< "grid" or "zip"
  std::vector<std::string> varied;                          //!< varied names, in config order
  //! values[v][c]: value of varied[v] for cell c (already combined; every row has n_cells()).
  std::vector<std::vector<double>> values;
  std::uint64_t seed = 0;                                   //!< for sampled values
  //! Sampled entries (uniform/loguniform): how many, how drawn ("random" or
  //! "latin_hypercube"; empty when none) and how many points.
  std::size_t n_sampled = 0;
  std::string sampling;
  std::size_t samples = 0;
  //! Protocol (PyBaMM experiment strings; each inner list one cycle), repeated `cycles`
  //! times. A step string may hold placeholders "{name}" filled per cell from a varied
  //! entry of that name (e.g. "Hold at {Hold voltage [V]} V until C/50"). Empty: the
  //! constant-current protocol above.
  std::vector<std::vector<std::string>> experiment;
  int cycles = 1;
  //! "termination": the experiment's own (PyBaMM's; parse_experiment_termination).
  ExperimentEnd experiment_end{};
  bool lumped_thermal = false;                              //!< "thermal": "lumped"
  //! "options": PyBaMM's model options as given, and resolved (resolve_model_options):
  //! the degradation submodels of every cell (RunOptions::model).
  OptionList options;
  ModelOptions model;
  std::string source;                                       //!< where it was read from (for messages)
  //! The folder that relative drive-cycle and parameter file paths are read from: the
  //! config's "base_dir", else the config file's folder; empty: the working directory.
  std::string base_dir;
  //! A spec of a cell range (parse_sweep_config's `cells`): `values` hold only the cells
  //! [first_cell, first_cell + n_cells()) of a sweep of sweep_cells cells, and
  //! first_values[v] is the value of varied[v] of the sweep's cell 0 (for the checks that
  //! concern the whole sweep). sweep_cells 0: the whole sweep.
  std::size_t first_cell = 0, sweep_cells = 0;
  std::vector<double> first_values;

  std::size_t n_cells() const { return values.empty() ? 1 : values.front().size(); }
  //! Cells of the whole sweep (n_cells() unless this is a range).
  std::size_t total_cells() const { return sweep_cells ? sweep_cells : n_cells(); }
};

//! Parse a sweep config (JSON text). `where` names the source in messages. Every check
//! that needs no solving runs here: unknown parameter names (closest names suggested),
//! empty lists, zip lengths that differ, non-physical values (range checks of every
//! varied value), unknown keys. Throws InputError with one clear line.
//! With `cells`, only those cells' values are made (grid and zip: O(range); sampled
//! entries draw all their samples, then keep the range's) and the spec is a range spec
//! (first_cell, sweep_cells); last = CellRange::kToEnd means to the sweep's end; a range
//! outside the sweep is an InputError.
SweepSpec parse_sweep_config(const std::string& json_text, const std::string& where = "config",
                             const std::optional<CellRange>& cells = std::nullopt);

//! The same sweep with the set given as an object, not named or inline (Python's Sweep
//! builds its batch from its ParameterSet this way: no parameter file, no JSON text), and
//! the config's other keys as an in-memory JSON value (`settings`: "set", "mesh",
//! "vary", ... as in docs/sweep_config.md; numbers as numbers, lists as arrays). The
//! same reader and checks as parse_sweep_config, so the same messages; `label` is the
//! file's "parameter set" attribute (empty: the set's name).
SweepSpec make_sweep_spec(const ParameterSet& ps, const std::string& label, const nlohmann::ordered_json& settings,
                          const std::string& where, const std::optional<CellRange>& cells = std::nullopt);

//! Read and parse a config file. Throws InputError (unreadable file, invalid JSON with
//! line and column, or any check above).
SweepSpec load_sweep_config(const std::string& path, const std::optional<CellRange>& cells = std::nullopt);

//! The sweep's parameter set: the inline parameter file, else the set name or file.
ParameterSet load_sweep_parameters(const SweepSpec& spec);

}  // namespace ionflux
