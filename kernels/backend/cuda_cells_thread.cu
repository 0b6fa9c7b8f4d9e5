// The per-cell kernels with one thread per cell (team width 1): each thread integrates
// one slot's cell with the CellSolver the CPU runs, on the slots' interleaved workspaces
// (kernels/backend/slots.hpp). Launched through cuda_launcher.cu's init_cells and
// advance_cells (team 1); a translation unit of its own so that its ptxas run goes
// beside the warp kernels' (kernels/backend/cuda_cell_kernels.hpp).
#include "kernels/backend/cuda_cell_kernels.hpp"

namespace ionflux {
namespace cuda_launch {
namespace {

constexpr int kBlock = 64;  //!< threads per block

//! Initialise the cells just placed in slots[0 .. n).
__global__ void init_cells_kernel(SlotArrays a, const int* slots, int n) {
  for (index_t j = blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x; j < n;
       j += static_cast<index_t>(blockDim.x) * gridDim.x) {
    const index_t s = slots[j];
    with_slot_solver<SerialTeam>(a, s, slot_workspace(a, s), a.runs[s], [](auto& cs) { cs.init(); });
  }
}

//! Advance the active slots (active[0 .. *n_active): the count is read on the device,
//! the grid covers an upper bound of it) by at most `steps` steps each.
__global__ void advance_cells_kernel(SlotArrays a, const int* active, const int* n_active, int steps) {
  const index_t n = *n_active;
  for (index_t k = blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x; k < n;
       k += static_cast<index_t>(blockDim.x) * gridDim.x) {
    const index_t s = active[k];
    with_slot_solver<SerialTeam>(a, s, slot_workspace(a, s), a.runs[s], [steps](auto& cs) { cs.advance(steps); });
  }
}

}  // namespace

namespace detail {

cudaError_t init_cells_thread(const SlotArrays& a, const int* slots, int n, cudaStream_t stream) {
  init_cells_kernel<<<grid_for(n, kBlock), kBlock, 0, stream>>>(a, slots, n);
  return cudaGetLastError();
}

cudaError_t advance_cells_thread(const SlotArrays& a, const int* active, const int* n_active, int grid_cells,
                                 int steps, cudaStream_t stream) {
  advance_cells_kernel<<<grid_for(grid_cells, kBlock), kBlock, 0, stream>>>(a, active, n_active, steps);
  return cudaGetLastError();
}

}  // namespace detail
}  // namespace cuda_launch
}  // namespace ionflux
