// Running a planned sweep's cells into a sink: the one road of `ionflux sweep` and
// Python's Sweep.run(), including a resumed run (`--resume`, Sweep.run(resume=True)),
// which runs only the cells the file does not hold yet, as contiguous ranges of the
// batch, their chunks delivered at the rows they have in the whole file.
#pragma once

#include <cstddef>
#include <vector>

#include "solver/problem/batch.hpp"
#include "solver/output/results.hpp"

namespace ionflux {

//! Runs the cells of `inputs` (all of them, or with `kept`, the cells a resumed file
//! holds as H5SweepWriter::kept() gives them, only those whose status is kStatusNotRun)
//! into `sink` (run_batch names the cause of each failed initialisation in its message).
//! Progress counts every cell of `inputs`, those already in the file as done. The
//! summary covers every cell of `inputs`: the file's cells are counted with the run's
//! (statuses, experiments cut short, cells that skipped a step); chunks, wall time and
//! device counters are the run's.
BatchSummary run_sweep_cells(const BatchInputs& inputs, BatchOptions opt, ResultSink& sink,
                             const KeptCells* kept = nullptr);

//! The contiguous ranges [first, last) of cells whose status is kStatusNotRun.
std::vector<std::pair<std::size_t, std::size_t>> cells_to_run(const std::vector<int>& status_in_file);

}  // namespace ionflux
