// The CUDA kernels' launch functions (kernels/backend/cuda_launcher.cu): device code and
// thin launchers only. Each function enqueues one kernel on `stream` and returns the
// launch's status (cudaGetLastError(): cudaSuccess or the error); allocation, copies,
// streams, events and turning errors into exceptions are the host engine's
// (solver/backends/backend_cuda_engine.cu). No solver/ or python/ header is included here (the
// layering check tests/check_layering.sh enforces it).
#pragma once

#include <cuda_runtime.h>

#include "kernels/backend/slots.hpp"
#include "kernels/model/cell_solver.hpp"
#include "kernels/model/expression.hpp"
#include "kernels/model/table.hpp"

namespace ionflux {
namespace cuda_launch {

//! The team width of the team kernels (one warp per cell, kernels/numerics/team.hpp).
constexpr int kTeamWidth = kGpuTeamWidth;

//! Counts of one harvest (device; copied back by one small async copy).
struct HarvestHeader {
  unsigned long long rows;  //!< rows claimed (may pass the capacity: the excess was deferred)
  int records;              //!< slots reported
  int finished;             //!< of which cells that stopped running
  int deferred;             //!< slots whose rows did not fit
  int pad;
};

//! One slot's part of a harvest: its rows at [first, first + count) of the staging
//! (kSlotOutputArrays blocks of `count` values), its final records at index `fin` of
//! the staging's runs and sums when the cell stopped (-1: still running).
struct HarvestRecord {
  unsigned long long first;
  int slot;
  int count;
  int fin;
  int pad;
};

//! A harvest's staging (device memory; the engine keeps two, used alternately).
struct Staging {
  HarvestHeader* hdr;
  HarvestRecord* records;  //!< n_slots
  CellRun* runs;           //!< n_slots
  double* sums;            //!< n_slots * kSlotSummaryArrays * n_sums
  double* rows;            //!< capacity * kSlotOutputArrays
  unsigned long long capacity;
};

//! Place cells j < n into slots[j] (parameters, end, protocol range; in_first null:
//! no protocols) and empty the slots; all arrays in device memory.
cudaError_t place_cells(const SlotArrays& a, CellParams* params, double* t_end, int* step_first, int* step_count,
                        const int* slots, const CellParams* in_params, const double* in_t_end, const int* in_first,
                        const int* in_count, int n, cudaStream_t stream);

//! Initialise the cells just placed in slots[0 .. n): `team` threads per cell (1, or
//! kTeamWidth: a warp per cell on contiguous workspaces).
cudaError_t init_cells(const SlotArrays& a, const int* slots, int n, int team, cudaStream_t stream);

//! Append slots[0 .. n) to the active list (active, *n_active: device memory).
cudaError_t append_active(const int* slots, int n, int* active, int* n_active, cudaStream_t stream);

//! Advance the active slots (active[0 .. *n_active), the count read on the device; the
//! grid covers `grid_cells`, an upper bound of it) by at most `steps` steps each.
cudaError_t advance_cells(const SlotArrays& a, const int* active, const int* n_active, int grid_cells, int steps,
                          int team, cudaStream_t stream);

//! End the cells of slots[0 .. n) that are still running with `status` (stop_slot).
cudaError_t stop_cells(const SlotArrays& a, const int* slots, int n, CellStatus status, cudaStream_t stream);

//! Harvest the active slots into the staging (the outputs since the last harvest of the
//! cells that stopped, with `drain` of every slot, and the final records); slots still
//! running, or deferred (their rows did not fit), form the next active list.
cudaError_t harvest(const SlotArrays& a, const int* active, const int* n_active, int grid_cells, int* next,
                    int* n_next, const Staging& st, bool drain, cudaStream_t stream);

//! Take slots[0 .. n) off the device: workspace (contiguous, cell_workspace_size doubles
//! each), CellRun and per-step summaries so far, into device arrays.
cudaError_t evict_cells(const SlotArrays& a, const int* slots, int n, double* ws, CellRun* runs, double* sums,
                        cudaStream_t stream);

//! A compiled expression at n points (vars: n rows of expr::Var::count arguments;
//! regularised powers use a c_e scale of 1); device arrays.
cudaError_t evaluate_expression(const expr::Program& program, const double* vars, index_t n, double* out,
                                cudaStream_t stream);

//! A table (n_points nodes x, y and, for PCHIP, slopes d) at the n points q; device arrays.
cudaError_t evaluate_table(table::Kind kind, const double* x, const double* y, const double* d, int n_points,
                           const double* q, index_t n, double* out, cudaStream_t stream);

}  // namespace cuda_launch
}  // namespace ionflux
