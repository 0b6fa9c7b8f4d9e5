// The `ionflux` command-line program.
#pragma once

#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace ionflux {

//! Entry point of the `ionflux` executable (argv[0] is the program name).
//! Returns the exit status: 0 success, 1 run-time failure (including a cell that
//! could not be solved), 2 invalid input or usage. Never throws.
int cli_main(int argc, char** argv);

//! The same with the arguments after the program name and explicit streams
//! (for use in-process, e.g. by tests).
int cli_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

//! `ionflux sweep` (solver/cli/cli_sweep.cpp): the arguments after "sweep". Throws
//! InputError for bad input (cli_main turns it into one line and exit status 2).
int run_sweep_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace ionflux
