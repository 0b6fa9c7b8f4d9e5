// One-cell simulation on the host: the CPU path of the per-cell solver.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "kernels/common.hpp"
#include "kernels/model/cell_params.hpp"
#include "kernels/model/cell_solver.hpp"
#include "kernels/model/layout.hpp"
#include "kernels/numerics/bdf.hpp"
#include "solver/output/summary.hpp"

namespace ionflux {

struct CellProgress;  // solver/problem/batch.hpp


struct RunOptions {
  MeshSpec mesh;
  //! Which submodels run (PyBaMM's options, resolved; kernels/model/degradation.hpp).
  //! Default: the plain DFN. Batch-wide: it sets the state layout.
  ModelOptions model;
  SolverOptions solver;
  double period = 0.0;          //!< output spacing [s]; 0 = every accepted solver step
  std::vector<double> t_eval;   //!< explicit output times [s] (overrides period)
  double t_end = 0.0;           //!< integration limit [s] (must be set; default_end_time gives the default)
  bool store_states = false;    //!< keep the full state at every output time
  //! Protocol (empty: one constant-current step at the cell's current, until a cut-off
  //! or t_end). Drive-cycle steps refer to `tables` (pairs t, value).
  std::vector<StepSpec> steps;
  std::vector<double> tables;
  std::vector<std::string> step_text;  //!< the text of each step (optional; for end messages)
  //! The experiment's own termination ("80% capacity", "4 Ah capacity", "2.5 V"; PyBaMM's
  //! Experiment(termination=...)), checked at each cycle's end; none by default.
  ExperimentEnd experiment_end{};
};

struct SolverStats {
  int steps = 0, residual_evals = 0, jacobian_setups = 0, newton_iters = 0, error_test_failures = 0,
      convergence_failures = 0;
};

struct Solution {
  std::vector<double> time, voltage, current, capacity;  //!< [s], [V], [A], [A.h]
  std::vector<double> temperature;                       //!< [K]
  std::vector<int> step;                                 //!< protocol step of each output
  std::vector<int> cycle;                                //!< protocol cycle of each output
  std::vector<StepRecord> steps;                         //!< per finished protocol step
  //! With an experiment: PyBaMM's per-cycle summary variables (one row, n_cycles columns;
  //! solver/output/summary.hpp), NaN for cycles not reached
  SummaryVariables summary_variables;
  bool protocol = false;                                 //!< ran an explicit protocol (experiment)
  std::vector<double> states;                            //!< n_out x n_state, if stored
  Layout layout{};
  CellParams params{};
  CellStatus status = CellStatus::running;
  std::string message;
  double end_time = 0.0;            //!< [s]
  //! Charge [A.h] and energy [W.h] moved while discharging and while charging (each >= 0,
  //! split where the current changes sign); energy: net (discharge - charge) [W.h];
  //! mean_voltage: while discharging (discharge energy / capacity), for a run that never
  //! discharged while charging [V]
  double discharge_capacity = 0.0, charge_capacity = 0.0;
  double discharge_energy = 0.0, charge_energy = 0.0;
  double energy = 0.0;
  double mean_voltage = 0.0;
  //! A protocol run that a voltage cut-off of the set stopped before the protocol's end
  //! (a step cut short or steps that did not run); `message` says which.
  bool protocol_cut_short = false;
  double wall_time = 0.0;           //!< [s]
  SolverStats stats;

  //! The state at output k (requires store_states).
  const double* state(std::size_t k) const { return states.data() + k * layout.n_state; }
};

//! How a step ended, in words: "duration", "end condition", "cut-off", "failure",
//! "end time", or "skipped" (step_skipped, kernels/model/cell_solver.hpp). The CLI's step lines and Python's
//! step_summary["Ended by"].
const char* step_end_name(const StepRecord& r);
//! The same from a step's end code (ChunkData::step_end_code, /steps/End code) and times;
//! "" for NaN (a step not reached).
const char* step_end_name(double end_code, double t_start, double t_end);

//! A warning naming the skipped steps of one run (step_skipped), the first few with their
//! text and cycle; it says so where every step of a cycle was skipped (PyBaMM stops there
//! with an error). Empty when no step was skipped. `run` gives each step's text and cycle.
std::string skipped_steps_warning(const std::vector<StepRecord>& records, const RunOptions& run);

//! Check the options (mesh sizes >= 2, tolerances > 0, ...); throws InputError.
void validate_run_options(const RunOptions& options);

//! Where outputs are recorded: `options.t_eval` when given, else every `period`
//! seconds up to `t_end`, else (period 0) at every accepted solver step; step ends and
//! cut-offs always. Points into options.t_eval.
OutputSpec output_spec(const RunOptions& options);

//! One line describing the output times, for file attributes and summaries.
std::string output_description(const RunOptions& options);

//! Outputs of one cell on a fixed grid up to `t_end` (t_eval or period), including t = 0,
//! the end point and one per protocol step end; -1 for every-step output (not known
//! before the run).
double grid_output_rows(const RunOptions& options, double t_end, int protocol_steps);

//! The output size limit [bytes]: the environment variable IONFLUX_MAX_OUTPUT_BYTES,
//! else 1 GiB. Output that would exceed it is refused before the run (InputError).
double max_output_bytes();

//! Throws InputError when `rows` outputs of `bytes_per_row` bytes exceed the limit;
//! the message gives both numbers, the limit and how to change it. `what` names the run.
void check_output_size(double rows, double bytes_per_row, const std::string& what);

//! Integrate one cell from its initial state to a cut-off or t_end: a batch of one cell
//! through run_batch (the same executor, per-cell driver and summaries as a sweep; see
//! BatchInputs::detail), read back with cell_solution (batch.hpp). `stop` (if given),
//! set from another thread or a signal handler, ends the run within a few BDF steps with
//! status interrupted and the outputs so far (Ctrl-C in `ionflux simulate` and
//! Simulation.solve).
Solution simulate(const CellParams& params, const RunOptions& options, const std::atomic<bool>* stop = nullptr,
                  CellProgress* progress = nullptr);

//! PyBaMM's summary variables of a constant-current run (one cycle of one step; PyBaMM
//! gives none there): from the kernel's inventory at the step's end (StepRecord::inv)
//! against the run's start, as an experiment's cycles get them, so eps_s and the porosity
//! come from the state under loss of active material or a porosity change. Python's
//! Solution.summary_variables. Returns sol's own for any other run (or none when the run
//! failed before its step ended). `p`: the cell simulate ran.
SummaryVariables constant_current_summary(const CellParams& p, const Solution& sol);

//! Theoretical capacities of a cell from its electrode loadings [A.h], as PyBaMM's
//! calculated capacities: an electrode holds eps_s c_max L A F / 3600 ("Negative/Positive
//! electrode capacity [A.h]"), the particles hold (eps_s c_init L)_n + (eps_s c_init L)_p
//! times A F / 3600 of lithium ("Total lithium capacity in particles [A.h]").
struct TheoreticalCapacity {
  double negative = 0.0, positive = 0.0;  //!< electrode capacities
  double lithium = 0.0;                   //!< cyclable lithium in the particles
  //! Charge that can pass from the initial state before an electrode is empty or full:
  //! on discharge min(x0 Q_n, (1 - y0) Q_p), on charge min((1 - x0) Q_n, y0 Q_p).
  double discharge = 0.0, charge = 0.0;
  //! The most any one step can pass from whatever state: min(Q_n, Q_p, Q_Li).
  double swing() const;
};
TheoreticalCapacity theoretical_capacity(const CellParams& cell);

//! How far past the charge-exhaustion time the default end lies (a constant-current run
//! cannot outlast the time at which it has moved all the lithium available to it).
constexpr double kDefaultEndMargin = 1.2;

//! Default integration limit of a cell, from its own theoretical capacity (not the
//! nominal one, which does not follow changes of the loadings or the area): without
//! steps, kDefaultEndMargin x the time in which cell.current moves the charge available
//! in its direction from the initial state; with steps, the sum over the steps of the
//! duration, or for steps that end on a condition, kDefaultEndMargin x swing() / |I|
//! (10 hours for voltage, power or drive-cycle control).
double default_end_time(const CellParams& cell, const std::vector<StepSpec>& steps = {});

//! Three times the discharge time at this current from the nominal capacity (the
//! estimate before default_end_time(CellParams) above; kept for callers that have no cell).
double default_end_time(double nominal_capacity_ah, double current);

//! The same for a protocol, from the nominal capacity (see default_end_time(CellParams)).
double default_end_time(double nominal_capacity_ah, const std::vector<StepSpec>& steps);

}  // namespace ionflux
