// Checks of an output path against the run's inputs, shared by every road that writes
// a file (the CLI's CSV and sweep outputs, Python's Sweep.run(output=...)).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ionflux {

//! Refuses (InputError) an output path that is one of the run's input files: the
//! sweep config, a parameter file, a drive cycle; writing it would destroy that input.
//! `inputs` holds (path, what it is) pairs; paths that are not existing files (a set's
//! name) are skipped, and a file is recognised under any name (links, ./, ../).
//! `label` names the output in the message ("--output" in the CLI, "output" in Python).
void check_output_is_not_an_input(const std::string& output,
                                  const std::vector<std::pair<std::string, std::string>>& inputs,
                                  const std::string& label = "--output");

}  // namespace ionflux
