// CSV output of a one-cell solution.
#pragma once

#include <string>

#include "solver/problem/simulation.hpp"

namespace ionflux {

//! Header line of the files written by write_csv (no trailing newline).
extern const char* const kCsvHeader;
//! Columns appended to the header for protocol runs (an experiment).
extern const char* const kCsvProtocolColumns;

//! Write the outputs of `sol` to `path` (created or overwritten): the header
//!   Time [s],Voltage [V],Current [A],Discharge capacity [A.h]
//! then one row per output time, numbers with 17 significant digits (so they read
//! back to the same doubles). Throws RuntimeError if the file cannot be written.
void write_csv(const std::string& path, const Solution& sol);

}  // namespace ionflux
