// Experiments: PyBaMM-style step strings ("Discharge at 1C until 2.5 V", "Rest for 1 hour",
// "Hold at 4.2 V until C/50", drive cycles from CSV files) turned into protocol steps.
// The grammar is documented for users in docs/experiments.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kernels/model/protocol.hpp"
#include "solver/inputs/parameters.hpp"

namespace ionflux {

//! A parsed experiment: the steps of all cycles in order, and the drive-cycle data they use.
struct Experiment {
  std::vector<StepSpec> steps;    //!< flattened over cycles; StepSpec::cycle = cycle index
  std::vector<double> tables;     //!< drive-cycle (t, value) pairs; StepSpec::table_offset/len in pairs
  std::vector<std::string> text;  //!< the source string of each flattened step
  std::vector<std::string> files; //!< the drive-cycle files read (absolute paths, each once)
  int n_cycles = 1;
};

//! Parse an experiment. Each element of `cycle_groups` is one cycle (a list of step strings);
//! the whole list is repeated `repeat` times, so the experiment has
//! cycle_groups.size() * repeat cycles. Steps are signed as PyBaMM does (discharge positive),
//! C-rates become currents with "Nominal cell capacity [A.h]", voltage end conditions are
//! checked against the set's cut-offs. Drive-cycle files are read relative to `base_dir`
//! (absolute paths as given); a file used by several steps is stored once.
//! Throws InputError naming the step (number and text) and the offending word.
Experiment parse_experiment(const std::vector<std::vector<std::string>>& cycle_groups, int repeat,
                            const ParameterSet& params, const std::string& base_dir = ".");

//! Why a protocol run that one of the set's voltage cut-offs stopped (status
//! cutoff_lower or cutoff_upper) ended where it did: the step the cut-off cut short (its
//! index and cycle, counted from 0 as in the step records, its text, how long it ran and
//! what it was to run), and the steps that therefore did not run (count and which).
//! `steps`/`texts` are the run's protocol (texts may be null); `step` the step running at
//! the cut-off, which began at `step_start` [s]; `t_stop` the time of the cut-off [s].
//! Empty for any other status, without a protocol, and when the cut-off ended the last
//! step as intended (a step with no duration and no end condition runs to a cut-off).
//! The end of the text says that ionflux stops experiments at the set's cut-offs where
//! PyBaMM widens them by 1 V (docs/experiments.md).
//! The words that end every such message (front ends count and warn by them).
constexpr const char* kCutShortMark = "ionflux stops an experiment at the set's voltage cut-offs";

std::string cut_short_message(CellStatus status, const CellParams& params, const StepSpec* steps, int n_steps,
                              const std::string* texts, int step, double step_start, double t_stop);

//! The words after a step_limit status (SolverOptions::max_steps is per protocol step,
//! plus kStepsPerDriveKnot per knot of a drive cycle (`tables`: the protocol's), with a
//! whole-run net of the steps' budgets summed, at most 10^9;
//! CellSolver::run_step_limit): which budget stopped the cell, in which protocol step
//! (with its text and cycle when given) after how many BDF steps, and at what time. Without
//! a protocol (steps null): "N steps (solver max_steps), at t = T s" as before.
std::string step_limit_message(int max_steps, const StepSpec* steps, int n_steps, const std::string* texts, int step,
                               int steps_in_step, int steps_in_all, double t_stop, const double* tables = nullptr);

//! Where a failed cell stopped, for its message: "at t = T s" and, in a protocol, "in
//! step k "TEXT" (cycle c) of N protocol steps" (TEXT where given).
std::string failure_place(const StepSpec* steps, int n_steps, const std::string* texts, int step, double t_stop);

//! PyBaMM's experiment termination (Experiment(termination=...)): each of `terms` is
//! "80% capacity" (of the first cycle's eSOH capacity), "4 Ah capacity" (or "4 A.h
//! capacity"), or a voltage "2.5 V" (a cycle's lowest voltage). A time ("10 hours") is
//! not one of these: it is the run's end time, and is refused here (InputError naming
//! the forms).
ExperimentEnd parse_experiment_termination(const std::vector<std::string>& terms);

//! A capacity termination needs the eSOH voltage limits ("Open-circuit voltage at 0% SOC
//! [V]" and "... 100% SOC [V]") as numbers, as PyBaMM's eSOH solver does: without them
//! no cycle's capacity can be found and the termination would never stop the run.
//! Throws InputError naming what is missing; `varied` names parameters a sweep sets per
//! cell (they count as given).
void check_termination_parameters(const ExperimentEnd& e, const ParameterSet& params,
                                  const std::vector<std::string>& varied = {});

//! The run's end time that a time termination sets: its time, when it comes before
//! `given_t_end` (<= 0: none given, the default end); nullopt otherwise (no time
//! termination, or an earlier end given, which then truncates the run). ProblemBuilder
//! and sweep configs alike.
std::optional<double> time_termination_end(const ExperimentEnd& e, double given_t_end);

//! The words of ExperimentEnd in PyBaMM's spelling ("80% capacity, 2.5 V"), empty for none.
std::string experiment_termination_text(const ExperimentEnd& e);

//! The message of a cell whose experiment's termination was reached (status
//! experiment_end) at the end of the cycle of `step` at t_stop: which condition, the
//! cycle's value against it, and how many cycles did not run.
std::string experiment_end_message(const ExperimentEnd& e, const StepSpec* steps, int n_steps, int step,
                                   double cycle_v_min, double capacity, double capacity0, double t_stop);

//! Convenience: a flat list of steps, run once as a single cycle.
Experiment parse_experiment(const std::vector<std::string>& steps, const ParameterSet& params,
                            const std::string& base_dir = ".");

}  // namespace ionflux
