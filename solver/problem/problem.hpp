// The Problem: one cell's complete, validated set-up, made by one builder. It owns its
// parameter set (and so the user functions its CellParams point to), and holds the mesh,
// the protocol, the thermal option, the initial state, the end time, the solver
// tolerances and the output times. The set-up recipe ("current from the C-rate or the
// steps -> cell_params -> lumped thermal -> initial SOC -> default end time") is written
// here once; the CLI, the Python module, sweep planning and the benchmarks use it.
// docs/problem.md.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "solver/inputs/experiment.hpp"
#include "solver/inputs/parameters.hpp"
#include "solver/problem/simulation.hpp"

namespace ionflux {

//! The one recipe for a cell's record: ps.cell_params(current) (validates the set), then
//! the lumped thermal model, then the initial SOC (PyBaMM's set_initial_state: the
//! electrode-SOH solve between the set's OCV limits). `soc` outside [0, 1] throws
//! InvalidParameter. The record points to `ps`'s user functions: keep `ps` (or a copy)
//! alive while it is used.
//! `model`: the degradation submodels (RunOptions::model), whose parameters are read into
//! cell.deg (enable_degradation; InvalidParameter for a missing one).
CellParams build_cell(const ParameterSet& ps, double current, bool lumped_thermal, std::optional<double> soc,
                      const ModelOptions& model = ModelOptions{});

//! The current [A] that starts a protocol: the first step's, if it holds a non-zero
//! current, else the set's "Current function [A]" (the initial guess of a voltage or
//! power step).
double protocol_start_current(const ParameterSet& ps, const std::vector<StepSpec>& steps);

//! A cell's default integration limit [s] (default_end_time(CellParams, steps)), refused
//! (InputError) when it is not a positive finite number.
double checked_default_end(const CellParams& cell, const std::vector<StepSpec>& steps);

//! One cell's set-up, validated once (ProblemBuilder::build). Copies share the user
//! functions: `cell`'s pointers stay valid while any copy of `parameters` lives.
struct Problem {
  ParameterSet parameters;   //!< the set with its overrides (owns the user functions)
  CellParams cell{};         //!< the cell's record, built by build_cell
  RunOptions run;            //!< mesh, solver, outputs, protocol; run.t_end resolved
  Experiment experiment;     //!< the parsed protocol (empty steps: constant current)
  double current = 0.0;      //!< [A], the constant current or the protocol's start
  bool lumped_thermal = false;
  std::optional<double> initial_soc;
  bool default_t_end = true;  //!< run.t_end is the default end (not given)
};

//! Builds a Problem. Every option has the default of `ionflux simulate`; build()
//! checks everything once and throws InputError / InvalidParameter.
class ProblemBuilder {
 public:
  explicit ProblemBuilder(ParameterSet ps) : ps_(std::move(ps)) {}
  //! Current from a C-rate of the set's nominal capacity, or in amperes (at most one;
  //! neither: the set's "Current function [A]"). Not with an experiment.
  ProblemBuilder& c_rate(std::optional<double> c) { c_rate_ = c; return *this; }
  ProblemBuilder& current(std::optional<double> i) { current_ = i; return *this; }
  //! The protocol, already parsed against this builder's set.
  ProblemBuilder& experiment(Experiment ex) { ex_ = std::move(ex); return *this; }
  //! The experiment's own termination (parse_experiment_termination); needs an experiment.
  ProblemBuilder& termination(const ExperimentEnd& e) { run_.experiment_end = e; return *this; }
  ProblemBuilder& lumped_thermal(bool on) { thermal_ = on; return *this; }
  //! The degradation submodels (resolve_model_options); default the plain DFN.
  ProblemBuilder& model(const ModelOptions& m) { run_.model = m; return *this; }
  const ModelOptions& model_options() const { return run_.model; }
  ProblemBuilder& initial_soc(std::optional<double> soc) { soc_ = soc; return *this; }
  //! Integration limit [s]; none (or <= 0): the cell's default end (default_end_time).
  ProblemBuilder& t_end(std::optional<double> t) { t_end_ = t; return *this; }
  ProblemBuilder& mesh(const MeshSpec& m) { run_.mesh = m; return *this; }
  ProblemBuilder& solver(const SolverOptions& s) { run_.solver = s; return *this; }
  ProblemBuilder& period(double p) { run_.period = p; return *this; }
  ProblemBuilder& t_eval(std::vector<double> t) { run_.t_eval = std::move(t); return *this; }
  ProblemBuilder& store_states(bool on) { run_.store_states = on; return *this; }
  const ParameterSet& parameters() const { return ps_; }
  //! A copy with the same options and another parameter set.
  ProblemBuilder with_parameters(ParameterSet ps) const {
    ProblemBuilder b = *this;
    b.ps_ = std::move(ps);
    return b;
  }

  Problem build() const;

 private:
  ParameterSet ps_;
  std::optional<double> c_rate_, current_, soc_, t_end_;
  Experiment ex_;
  bool thermal_ = false;
  RunOptions run_;
};

//! Why a parameter's value leaves a run's cell as it was (`used`: it changes the cell).
enum class UnusedBecause { used, isothermal, no_degradation, no_c_rate, initial_soc_only, not_in_model };

//! Whether setting scalar parameter `name` of `base` to `value` changes the cell that
//! `build(set, lumped)` makes (the run's cell from a set, with the lumped thermal model or
//! not), and if not, why: the lumped thermal model would read it (`isothermal`), only the
//! degradation submodels read it and `model` has none, it is the nominal capacity and no
//! current is a C-rate, it is an OCV limit read only for an initial SOC, or the model
//! reads it nowhere. A value the build rejects counts as used (the run says so itself),
//! and so do the nominal capacity and the cut-offs in a run with an `experiment` (its
//! step strings read them: C-rates, voltage conditions). The sweep refuses such a varied
//! parameter; --set and a config's "set" warn of it.
UnusedBecause why_unused(const ParameterSet& base, const std::string& name, double value, bool lumped,
                         const ModelOptions& model, bool experiment,
                         const std::function<CellParams(const ParameterSet&, bool)>& build);

//! The reason in words, for a run of any front end ("only the lumped thermal model uses
//! it and this run is isothermal"); empty for `used`.
std::string unused_text(UnusedBecause why);

//! Run a Problem (one cell on the CPU).
inline Solution simulate(const Problem& p, const std::atomic<bool>* stop = nullptr, CellProgress* progress = nullptr) {
  return simulate(p.cell, p.run, stop, progress);
}

}  // namespace ionflux
