// Entry points of the CUDA backend (kernels/backend/cuda_launcher.cu). Declared once;
// without CUDA they are stubbed (solver/backend_cuda_stub.cpp) and report that the
// build has no CUDA. No CUDA types here.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "../kernels/model/cell_solver.hpp"
#include "../kernels/model/expression.hpp"
#include "../kernels/model/table.hpp"

namespace ionflux {
namespace cuda_backend {

//! True when built with CUDA and a device is usable.
bool available();
//! "NVIDIA H100 80GB HBM3 (sm_90, 79.1 GiB)" or why none is usable.
std::string describe();
//! Free device memory [bytes] (0 without a device).
std::size_t free_memory();

//! One cell's outputs, in the order they were recorded (host memory).
struct CellSeries {
  std::vector<double> time, voltage, current, capacity, temperature, step_index;
};

//! Cells the device handed back unfinished (kernels/model/migrate.hpp): which cells of
//! the chunk, in increasing order, and their workspaces, contiguous, one after the other
//! (cell_workspace_size(layout) doubles each). Their CellRun records come back in
//! ChunkJob::runs (status running) and their outputs so far in ChunkJob::series and the
//! per-step summaries, so the CPU continues them with CellSolver<..., CView>::advance.
struct HandedCells {
  std::vector<std::size_t> index;
  std::vector<double> ws;
};

//! One chunk of cells for the device. Host arrays; the per-output series come back per
//! cell in `series` (the device buffer holds `n_times` outputs per cell and is drained
//! into `series` after every launch).
struct ChunkJob {
  const CellParams* cells = nullptr;
  const unsigned char* skip = nullptr;   //!< 1: do not integrate (invalid input)
  std::size_t n = 0;
  Layout layout{};
  SolverOptions solver{};
  OutputSpec out{};
  const double* t_end = nullptr;  //!< per cell of the chunk: its integration limit [s]
  int n_times = 0;                //!< device output slots per cell (outputs between drains)
  int steps_per_launch = 64;
  std::function<void(std::size_t finished)> progress;  //!< cells of this chunk finished so far
  const std::atomic<bool>* cancel = nullptr;            //!< checked between launches
  //! Hand-off: when no more than this many cells of the chunk are still running (and
  //! `handed` is set), the device stops and returns them unfinished in `handed` for the
  //! CPU threads to finish. 0: the device finishes every cell.
  std::size_t handoff_below = 0;
  HandedCells* handed = nullptr;
  // outputs
  CellSeries* series = nullptr;     //!< n entries; outputs are appended
  bool temperature_outputs = false;  //!< also fill CellSeries::temperature and step_index
  CellRun* runs = nullptr;  //!< final per-cell scalars (status, summary)
  // protocols (optional): cell c of the chunk runs steps[step_first[c] .. + step_count[c])
  const StepSpec* steps = nullptr;
  std::size_t n_steps_total = 0;
  const int* step_first = nullptr;
  const int* step_count = nullptr;
  const double* tables = nullptr;
  std::size_t n_tables = 0;  //!< doubles in `tables`
  // optional per-step summaries, row-major (cell, step)
  int n_step_summaries = 0;
  double* step_start = nullptr;
  double* step_end = nullptr;
  double* step_capacity = nullptr;
  double* step_energy = nullptr;
  double* step_discharge_capacity = nullptr;  //!< with the four above: (cell, step)
  double* step_charge_capacity = nullptr;
  double* step_discharge_energy = nullptr;
  double* step_charge_energy = nullptr;
};

//! Integrate a chunk on the device. Throws RuntimeError on any CUDA error.
void run_chunk(const ChunkJob& job);

//! Tests only: run the batch's GPU chunks with `runner` (a host emulation of run_chunk)
//! instead of the device, so that the GPU path of run_batch (the hand-off to the CPU
//! threads included) runs in CI without a GPU; null restores the device. Set it before
//! run_batch, from one thread. (Defined in solver/batch.cpp.)
void emulate_device_for_testing(void (*runner)(const ChunkJob&));

//! Evaluate a compiled expression on the device at n points; `vars` holds n rows of
//! expr::Var::count arguments (regularised powers use a c_e scale of 1), `out` n values
//! (host arrays). For CPU/GPU equivalence
//! checks of user functions. Throws RuntimeError on any CUDA error.
void evaluate_expression(const expr::Program& program, const double* vars, std::size_t n, double* out);

//! Evaluate a table (n_points nodes x, y and, for PCHIP, slopes d) on the device at the
//! n points q into out (host arrays). Throws RuntimeError on any CUDA error.
void evaluate_table(table::Kind kind, const double* x, const double* y, const double* d, int n_points,
                    const double* q, std::size_t n, double* out);

}  // namespace cuda_backend
}  // namespace ionflux
