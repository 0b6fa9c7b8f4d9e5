// The CUDA kernels of the device engine (solver/backends/backend_cuda_engine.cu, docs/gpu.md) and
// their thin launchers (declared in kernels/backend/cuda_launcher.hpp). Cells stream
// through a fixed set of slots (addressing in kernels/backend/slots.hpp) and are
// integrated by the same CellSolver the CPU runs, by default on a warp of 32 threads per
// cell (kernels/backend/cuda_cells_warp.cu); a team of 1 runs one thread per cell on
// interleaved workspaces instead (cuda_cells_thread.cu). Those per-cell kernels are in
// translation units of their own (kernels/backend/cuda_cell_kernels.hpp says why); the
// kernels here place, stop, harvest and evict cells and evaluate user functions.
// A harvest kernel packs the outputs each slot made since the last harvest (and the
// final records of the cells that stopped) into a staging buffer and compacts the active
// list on the device. Device code and launches only: no allocation, no copies, no
// exceptions; each launcher returns the launch's cudaError_t.
#include "kernels/backend/cuda_launcher.hpp"

#include "kernels/backend/cuda_cell_kernels.hpp"

namespace ionflux {
namespace cuda_launch {
namespace {

// ---- the host orchestration's kernels: placing cells, harvesting, evicting ----

//! Place cells j < n into slots[j]: parameters, end, protocol range; an empty slot.
__global__ void place_cells_kernel(SlotArrays a, CellParams* params, double* t_end, int* step_first,
                                   int* step_count, const int* slots, const CellParams* in_params,
                                   const double* in_t_end, const int* in_first, const int* in_count, int n) {
  for (index_t j = blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x; j < n;
       j += static_cast<index_t>(blockDim.x) * gridDim.x) {
    const index_t s = slots[j];
    params[s] = in_params[j];
    t_end[s] = in_t_end[j];
    if (in_first) step_first[s] = in_first[j], step_count[s] = in_count[j];
    reset_slot(a, s);
  }
}

//! End the cells of slots[0 .. n) that are still running with `status`.
__global__ void stop_cells_kernel(SlotArrays a, const int* slots, int n, CellStatus status) {
  for (index_t j = blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x; j < n;
       j += static_cast<index_t>(blockDim.x) * gridDim.x)
    stop_slot(a, slots[j], status);
}

//! Append slots[0 .. n) to the active list (order does not matter: cells are independent).
__global__ void append_active_kernel(const int* slots, int n, int* active, int* n_active) {
  for (index_t j = blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x; j < n;
       j += static_cast<index_t>(blockDim.x) * gridDim.x)
    active[atomicAdd(n_active, 1)] = slots[j];
}

//! Harvest the active slots: pack the rows made since the last harvest of the cells
//! that stopped (with `drain`, of every slot) and their final records into the
//! staging; a slot whose rows do not fit stays for a later harvest (deferred). Slots
//! still running, or deferred, form the next active list.
__global__ void harvest_kernel(SlotArrays a, const int* active, const int* n_active, int* next, int* n_next,
                               Staging st, bool drain) {
  const index_t n = *n_active;
  const int arrays = a.temperature ? kSlotOutputArrays : 4;
  for (index_t k = blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x; k < n;
       k += static_cast<index_t>(blockDim.x) * gridDim.x) {
    const index_t s = active[k];
    const int fresh = a.runs[s].n_out - a.drained[s];
    const bool finished = a.runs[s].status != CellStatus::running;
    if ((drain && fresh > 0) || finished) {
      const unsigned long long first = atomicAdd(&st.hdr->rows, static_cast<unsigned long long>(fresh));
      if (first + static_cast<unsigned long long>(fresh) > st.capacity) {
        atomicAdd(&st.hdr->deferred, 1);
        next[atomicAdd(n_next, 1)] = static_cast<int>(s);
        continue;
      }
      double* dst = st.rows + first * kSlotOutputArrays;
      for (int q = 0; q < arrays; ++q) {
        const double* src = slot_output(a, s, q);
        for (int r = 0; r < fresh; ++r) dst[q * fresh + r] = src[r];
      }
      a.drained[s] = a.runs[s].n_out;
      int fin = -1;
      if (finished) {
        fin = atomicAdd(&st.hdr->finished, 1);
        st.runs[fin] = a.runs[s];
        double* sums = st.sums + static_cast<index_t>(fin) * kSlotSummaryArrays * a.n_sums;
        for (int q = 0; q < kSlotSummaryArrays; ++q) {
          const double* src = slot_summary(a, s, q);
          for (int r = 0; r < a.n_sums; ++r) sums[q * a.n_sums + r] = src[r];
        }
      }
      st.records[atomicAdd(&st.hdr->records, 1)] = HarvestRecord{first, static_cast<int>(s), fresh, fin, 0};
    }
    if (!finished) next[atomicAdd(n_next, 1)] = static_cast<int>(s);
  }
}

//! Take slots[0 .. n) off the device for the CPU threads: workspace (contiguous),
//! CellRun and per-step summaries so far.
__global__ void evict_cells_kernel(SlotArrays a, const int* slots, int n, double* ws, CellRun* runs, double* sums) {
  const index_t count = cell_workspace_size(a.layout);
  for (index_t j = blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x; j < n;
       j += static_cast<index_t>(blockDim.x) * gridDim.x) {
    const index_t s = slots[j];
    gather_slot_workspace(a, s, ws + j * count);
    runs[j] = a.runs[s];
    for (int q = 0; q < kSlotSummaryArrays; ++q)
      for (int r = 0; r < a.n_sums; ++r) sums[(j * kSlotSummaryArrays + q) * a.n_sums + r] = slot_summary(a, s, q)[r];
  }
}

__global__ void expression_kernel(expr::Program program, const double* vars, index_t n, double* out) {
  const index_t nv = static_cast<index_t>(expr::Var::count);
  for (index_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += index_t(blockDim.x) * gridDim.x) {
    // the row's named arguments, then the c_e scale of regularised powers (1, as on the host)
    double row[expr::kSlots];
    for (int k = 0; k < nv; ++k) row[k] = vars[i * nv + k];
    row[expr::kCeScaleSlot] = 1.0;
    out[i] = expr::evaluate(program, row);
  }
}

__global__ void table_kernel(table::Kind kind, const double* x, const double* y, const double* d, int n_points,
                             const double* q, index_t n, double* out) {
  for (index_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += index_t(blockDim.x) * gridDim.x)
    out[i] = table::evaluate(kind, x, y, d, n_points, q[i]);
}

}  // namespace

using detail::grid_for;

cudaError_t place_cells(const SlotArrays& a, CellParams* params, double* t_end, int* step_first, int* step_count,
                        const int* slots, const CellParams* in_params, const double* in_t_end, const int* in_first,
                        const int* in_count, int n, cudaStream_t stream) {
  place_cells_kernel<<<grid_for(n, 128), 128, 0, stream>>>(a, params, t_end, step_first, step_count, slots, in_params,
                                                          in_t_end, in_first, in_count, n);
  return cudaGetLastError();
}

cudaError_t init_cells(const SlotArrays& a, const int* slots, int n, int team, cudaStream_t stream) {
  return team > 1 ? detail::init_cells_warp(a, slots, n, stream) : detail::init_cells_thread(a, slots, n, stream);
}

cudaError_t append_active(const int* slots, int n, int* active, int* n_active, cudaStream_t stream) {
  append_active_kernel<<<grid_for(n, 128), 128, 0, stream>>>(slots, n, active, n_active);
  return cudaGetLastError();
}

cudaError_t advance_cells(const SlotArrays& a, const int* active, const int* n_active, int grid_cells, int steps,
                          int team, cudaStream_t stream) {
  return team > 1 ? detail::advance_cells_warp(a, active, n_active, grid_cells, steps, stream)
                  : detail::advance_cells_thread(a, active, n_active, grid_cells, steps, stream);
}

cudaError_t stop_cells(const SlotArrays& a, const int* slots, int n, CellStatus status, cudaStream_t stream) {
  stop_cells_kernel<<<grid_for(n, 128), 128, 0, stream>>>(a, slots, n, status);
  return cudaGetLastError();
}

cudaError_t harvest(const SlotArrays& a, const int* active, const int* n_active, int grid_cells, int* next,
                    int* n_next, const Staging& st, bool drain, cudaStream_t stream) {
  harvest_kernel<<<grid_for(grid_cells, 128), 128, 0, stream>>>(a, active, n_active, next, n_next, st, drain);
  return cudaGetLastError();
}

cudaError_t evict_cells(const SlotArrays& a, const int* slots, int n, double* ws, CellRun* runs, double* sums,
                        cudaStream_t stream) {
  evict_cells_kernel<<<grid_for(n, 64), 64, 0, stream>>>(a, slots, n, ws, runs, sums);
  return cudaGetLastError();
}

cudaError_t evaluate_expression(const expr::Program& program, const double* vars, index_t n, double* out,
                                cudaStream_t stream) {
  expression_kernel<<<grid_for(n, 128), 128, 0, stream>>>(program, vars, n, out);
  return cudaGetLastError();
}

cudaError_t evaluate_table(table::Kind kind, const double* x, const double* y, const double* d, int n_points,
                           const double* q, index_t n, double* out, cudaStream_t stream) {
  table_kernel<<<grid_for(n, 128), 128, 0, stream>>>(kind, x, y, d, n_points, q, n, out);
  return cudaGetLastError();
}

}  // namespace cuda_launch
}  // namespace ionflux
