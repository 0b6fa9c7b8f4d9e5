// A range of a sweep's cells, [first, last) in the sweep's own (global) cell numbers:
// what one partition of a distributed sweep runs (`ionflux sweep CONFIG --cells A:B`,
// `_core.SweepRunner(config, source, cells=(A, B))`, python/ionflux/distributed.py). The
// range is planned alone (parse_sweep_config and plan_sweep with the range: only its
// cells' values and records are made, O(range)), and every cell gets exactly the inputs,
// protocol and end time it has in the whole run; its file has the sweep's layout for
// those rows plus /cells/index, the global number of each row (docs/hdf5_layout.md,
// "Cell ranges"). batch_cell_range cuts a range out of a batch planned whole.
#pragma once

#include <cstddef>
#include <string>

#include "solver/problem/batch.hpp"
#include "solver/output/h5_writer.hpp"
#include "solver/inputs/sweep.hpp"  // CellRange

namespace ionflux {

//! "A:B" (cells A..B-1), "A:" (A to the end) or ":B", for a sweep of `n_cells` cells.
//! Throws InputError for anything else: not numbers, A >= B, B > n_cells.
CellRange parse_cell_range(const std::string& text, std::size_t n_cells);
//! The same before the sweep's size is known: "A:" gives last = CellRange::kToEnd
//! (parse_sweep_config checks the range against the sweep).
CellRange parse_cell_range(const std::string& text);

//! The batch of cells [r.first, r.last) of `in`: per-cell records, statuses, messages,
//! end times and protocol ranges cut out; shared options, protocols and tables kept.
//! Cell k of the result is cell r.first + k of `in`. Throws InputError for a range
//! outside `in`.
BatchInputs batch_cell_range(const BatchInputs& in, const CellRange& r);

//! The file description of the whole sweep narrowed to the rows of `r`: n_cells and the
//! /inputs columns cut out, first_cell and sweep_cells set (the writer then adds
//! /cells/index and the root attribute "cells"). Every other attribute stays the
//! whole sweep's (t_end [s], protocol, ...), so a range file joins back unchanged.
SweepFileInfo file_info_cell_range(SweepFileInfo info, const CellRange& r);

}  // namespace ionflux
