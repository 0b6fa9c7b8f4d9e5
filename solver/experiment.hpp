// Experiments: PyBaMM-style step strings ("Discharge at 1C until 2.5 V", "Rest for 1 hour",
// "Hold at 4.2 V until C/50", drive cycles from CSV files) turned into protocol steps.
// The grammar is documented for users in docs/experiments.md.
#pragma once

#include <string>
#include <vector>

#include "../kernels/model/protocol.hpp"
#include "parameters.hpp"

namespace ionflux {

//! A parsed experiment: the steps of all cycles in order, and the drive-cycle data they use.
struct Experiment {
  std::vector<StepSpec> steps;    //!< flattened over cycles; StepSpec::cycle = cycle index
  std::vector<double> tables;     //!< drive-cycle (t, value) pairs; StepSpec::table_offset/len in pairs
  std::vector<std::string> text;  //!< the source string of each flattened step
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

//! Convenience: a flat list of steps, run once as a single cycle.
Experiment parse_experiment(const std::vector<std::string>& steps, const ParameterSet& params,
                            const std::string& base_dir = ".");

}  // namespace ionflux
