// The per-cell kernels' launchers, for cuda_launcher.cu only: the cell kernels live in
// two translation units of their own, cuda_cells_thread.cu (one thread per cell) and
// cuda_cells_warp.cu (a warp per cell), so that the two ptxas runs, each about half of
// the CUDA build (~12 minutes on a 2-core machine), run side by side on two cores
// instead of one after the other. Nothing else changes: the same CellSolver code, the
// same kernels, the same launch shapes.
#pragma once

#include <cuda_runtime.h>

#include "kernels/backend/slots.hpp"

namespace ionflux {
namespace cuda_launch {
namespace detail {

//! Blocks for n work items of `block` threads (at least 1, at most 65,535: the kernels
//! stride over what a grid does not cover).
inline int grid_for(index_t n, int block) {
  const index_t g = (n + block - 1) / block;
  const index_t cap = 65535;
  return static_cast<int>(g < 1 ? 1 : (g > cap ? cap : g));
}

// one thread per cell (cuda_cells_thread.cu)
cudaError_t init_cells_thread(const SlotArrays& a, const int* slots, int n, cudaStream_t stream);
cudaError_t advance_cells_thread(const SlotArrays& a, const int* active, const int* n_active, int grid_cells,
                                 int steps, cudaStream_t stream);

// a warp of kGpuTeamWidth threads per cell (cuda_cells_warp.cu)
cudaError_t init_cells_warp(const SlotArrays& a, const int* slots, int n, cudaStream_t stream);
cudaError_t advance_cells_warp(const SlotArrays& a, const int* active, const int* n_active, int grid_cells, int steps,
                               cudaStream_t stream);

}  // namespace detail
}  // namespace cuda_launch
}  // namespace ionflux
