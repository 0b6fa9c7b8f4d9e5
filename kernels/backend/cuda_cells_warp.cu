// The per-cell kernels with a warp per cell (kGpuTeamWidth = 32 threads,
// kernels/numerics/team.hpp): each slot's workspace contiguous, the lanes taking adjacent
// elements, the cell's scalars in every lane's registers for the duration of a launch.
// The default of the CUDA engine; launched through cuda_launcher.cu's init_cells and
// advance_cells (team > 1); a translation unit of its own so that its ptxas run goes
// beside the one-thread kernels' (kernels/backend/cuda_cell_kernels.hpp).
#include "kernels/backend/cuda_cell_kernels.hpp"

namespace ionflux {
namespace cuda_launch {
namespace {

constexpr int kTeamBlock = 128;  //!< threads per block (4 cells)

//! Run `what` on slot s's cell with a W-lane team: the slot's CellRun is copied into
//! every lane (the scalar code runs on all lanes, on the same values; only team
//! operations write the cell's arrays and outputs), and lane 0 writes it back.
template <int W, class What>
__device__ void with_team(const SlotArrays& a, index_t s, What what) {
  const WarpTeam<W> team;
  CellRun run = a.runs[s];
  with_slot_solver<WarpTeam<W>>(a, s, slot_workspace_contiguous(a, s), run, what);
  team.sync();
  if (team.lane() == 0) a.runs[s] = run;
  team.sync();
}

//! Team kernels: W consecutive threads per cell; the teams stride over the cells.
template <int W>
__global__ void init_cells_team(SlotArrays a, const int* slots, int n) {
  const index_t teams = static_cast<index_t>(blockDim.x) * gridDim.x / W;
  for (index_t j = (blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x) / W; j < n; j += teams)
    with_team<W>(a, slots[j], [](auto& cs) { cs.init(); });
}

template <int W>
__global__ void advance_cells_team(SlotArrays a, const int* active, const int* n_active, int steps) {
  const index_t n = *n_active;
  const index_t teams = static_cast<index_t>(blockDim.x) * gridDim.x / W;
  for (index_t k = (blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x) / W; k < n; k += teams)
    with_team<W>(a, active[k], [steps](auto& cs) { cs.advance(steps); });
}

}  // namespace

namespace detail {

cudaError_t init_cells_warp(const SlotArrays& a, const int* slots, int n, cudaStream_t stream) {
  init_cells_team<kGpuTeamWidth>
      <<<grid_for(static_cast<index_t>(n) * kGpuTeamWidth, kTeamBlock), kTeamBlock, 0, stream>>>(a, slots, n);
  return cudaGetLastError();
}

cudaError_t advance_cells_warp(const SlotArrays& a, const int* active, const int* n_active, int grid_cells, int steps,
                               cudaStream_t stream) {
  advance_cells_team<kGpuTeamWidth>
      <<<grid_for(static_cast<index_t>(grid_cells) * kGpuTeamWidth, kTeamBlock), kTeamBlock, 0, stream>>>(
          a, active, n_active, steps);
  return cudaGetLastError();
}

}  // namespace detail
}  // namespace cuda_launch
}  // namespace ionflux
