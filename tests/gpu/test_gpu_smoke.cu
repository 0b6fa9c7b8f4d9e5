// GPU smoke test (label `gpu`): the per-cell solver run by one CUDA thread per cell on
// interleaved arrays gives the CPU's answer. Skips cleanly when no device is present.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/model/cell_solver.hpp"
#include "solver/parameters.hpp"
#include "solver/simulation.hpp"

namespace ionflux {
void launch_integrate_cells_check(const CellParams* d_params, const Layout& layout, const SolverOptions& options,
                                  const OutputSpec& out, double* d_workspace, CellRun* d_runs, double* d_t,
                                  double* d_v, int* d_counts, int capacity, index_t n_cells, int max_steps);
}

#define CUDA_CHECK(call)                                                                               \
  do {                                                                                                 \
    const cudaError_t e_ = (call);                                                                     \
    if (e_ != cudaSuccess) throw std::runtime_error(std::string(#call) + ": " + cudaGetErrorString(e_)); \
  } while (0)

using namespace ionflux;

TEST(gpu, cells_match_cpu) {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) GTEST_SKIP() << "no CUDA device";
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const std::vector<double> c_rates = {0.5, 1.0, 2.0};
  const index_t n = static_cast<index_t>(c_rates.size());
  std::vector<CellParams> cells;
  for (double c : c_rates) cells.push_back(ps.cell_params(c * 5.0));
  RunOptions ro;
  ro.solver.rtol = 1e-8;
  ro.solver.atol = 1e-10;
  ro.t_end = 3.0 * 3600.0 / 0.5;
  ro.period = 60.0;
  const Layout l = Layout::make(ro.mesh);
  OutputSpec out;
  out.period = ro.period;
  out.t_end = ro.t_end;
  const int capacity = 1000;
  CellParams* d_params;
  double *d_ws, *d_t, *d_v;
  CellRun* d_runs;
  int* d_counts;
  CUDA_CHECK(cudaMalloc(&d_params, n * sizeof(CellParams)));
  CUDA_CHECK(cudaMalloc(&d_ws, n * cell_workspace_size(l) * sizeof(double)));
  CUDA_CHECK(cudaMalloc(&d_runs, n * sizeof(CellRun)));
  CUDA_CHECK(cudaMalloc(&d_t, n * capacity * sizeof(double)));
  CUDA_CHECK(cudaMalloc(&d_v, n * capacity * sizeof(double)));
  CUDA_CHECK(cudaMalloc(&d_counts, n * sizeof(int)));
  CUDA_CHECK(cudaMemcpy(d_params, cells.data(), n * sizeof(CellParams), cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemset(d_runs, 0, n * sizeof(CellRun)));
  CUDA_CHECK(cudaMemset(d_counts, 0, n * sizeof(int)));
  launch_integrate_cells_check(d_params, l, ro.solver, out, d_ws, d_runs, d_t, d_v, d_counts, capacity, n, 1000000);
  CUDA_CHECK(cudaGetLastError());
  CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<CellRun> runs(n);
  CUDA_CHECK(cudaMemcpy(runs.data(), d_runs, n * sizeof(CellRun), cudaMemcpyDeviceToHost));
  for (index_t c = 0; c < n; ++c) {
    const Solution cpu = simulate(cells[c], ro);
    EXPECT_EQ(runs[c].status, cpu.status) << "cell " << c;
    EXPECT_NEAR(runs[c].t_final, cpu.end_time, 1e-7 * cpu.end_time) << "cell " << c;
    std::printf("cell %ld: GPU end %.9f s, CPU end %.9f s\n", static_cast<long>(c), runs[c].t_final, cpu.end_time);
  }
  cudaFree(d_params);
  cudaFree(d_ws);
  cudaFree(d_runs);
  cudaFree(d_t);
  cudaFree(d_v);
  cudaFree(d_counts);
}
