// Device compatibility check of the per-cell code, compiled in every build where
// nvcc exists: the whole cell solver (model, condensed Newton, BDF, events, outputs)
// instantiated for interleaved (strided) per-cell arrays in a __global__ kernel, one
// thread per cell. The batched CUDA launcher builds on exactly this instantiation.
#include "kernels/model/cell_solver.hpp"

namespace ionflux {
namespace {

//! Writes each cell's outputs to interleaved arrays (cell index fastest).
struct DeviceSink {
  double* t;
  double* v;
  index_t stride;   // number of cells
  int capacity;     // outputs per cell
  int* count;       // outputs written so far for this cell
  IONFLUX_HD bool wants_state() const { return false; }
  IONFLUX_HD void record(double time, double volt, double /*i*/, double /*q*/, const DView& /*y*/) {
    if (*count < capacity) {
      t[*count * stride] = time;
      v[*count * stride] = volt;
    }
    ++*count;
  }
};

__global__ void integrate_cells_kernel(const CellParams* params, Layout layout, SolverOptions options, OutputSpec out,
                                       double* workspace, CellRun* runs, double* t_out, double* v_out, int* counts,
                                       int capacity, index_t n_cells, int max_steps) {
  for (index_t c = blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x; c < n_cells;
       c += static_cast<index_t>(blockDim.x) * gridDim.x) {
    DeviceSink sink{t_out + c, v_out + c, n_cells, capacity, counts + c};
    CellSolver<DeviceSink, DView> cs{params[c], layout, options, out, DView{workspace + c, n_cells}, runs[c], sink};
    if (runs[c].bdf.nst == 0 && runs[c].status == CellStatus::running) cs.init();
    cs.advance(max_steps);
  }
}

}  // namespace

//! Host-callable launch (used by the device smoke test when a GPU is present).
void launch_integrate_cells_check(const CellParams* d_params, const Layout& layout, const SolverOptions& options,
                                  const OutputSpec& out, double* d_workspace, CellRun* d_runs, double* d_t,
                                  double* d_v, int* d_counts, int capacity, index_t n_cells, int max_steps) {
  const int block = 64;
  const int grid = static_cast<int>((n_cells + block - 1) / block);
  integrate_cells_kernel<<<grid, block>>>(d_params, layout, options, out, d_workspace, d_runs, d_t, d_v, d_counts,
                                          capacity, n_cells, max_steps);
}

}  // namespace ionflux
