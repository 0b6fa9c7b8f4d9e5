// Entry points of the CUDA backend (solver/backends/backend_cuda_engine.cu, which drives the
// kernels of kernels/backend/cuda_launcher.cu). Declared once; without CUDA they are
// stubbed (solver/backends/backend_cuda_stub.cpp) and report that the build has no CUDA. No CUDA
// types here.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kernels/model/cell_solver.hpp"
#include "kernels/model/expression.hpp"
#include "kernels/model/table.hpp"
#include "solver/backends/gpu_stream.hpp"

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

//! The CUDA device engine (solver/backends/backend_cuda_engine.cu) for the streaming executor
//! (solver/backends/gpu_stream.hpp). Throws RuntimeError on any CUDA error.
std::unique_ptr<gpu_stream::DeviceEngine> make_engine(const gpu_stream::EngineSetup& setup);

//! Tests only: run the GPU road of run_batch on the host emulation of the device
//! (gpu_stream::make_emulated_engine) instead of the device, so that streaming and the
//! hand-off to the CPU threads run in CI without a GPU; false restores the device. Set
//! it before run_batch, from one thread. (Defined in solver/backends/batch.cpp.)
void emulate_device_for_testing(bool on);

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
