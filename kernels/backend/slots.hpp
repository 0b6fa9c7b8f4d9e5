// The device's cell slots (DESIGN.md decision 7): cells stream through a fixed set of
// slots; this is the one place that says where a slot's parameters, workspace, outputs
// and per-step summaries live in the launcher's arrays. Shared by the CUDA launcher
// (kernels/backend/cuda_launcher.cu, driven by solver/backends/backend_cuda_engine.cu) and its host
// emulation (solver/backends/gpu_emulated.cpp), so that a change of layout (e.g. one contiguous
// block per slot for a team of threads) is made here once and the emulated tests follow it.
#pragma once

#include <cmath>

#include "../model/cell_solver.hpp"

namespace ionflux {

//! Values per output row: time, voltage, current, capacity, temperature, step index.
constexpr int kSlotOutputArrays = 6;
//! Per-step summaries: start, end, capacity, energy, discharge capacity, charge
//! capacity, discharge energy, charge energy, end code (kSlotStepArrays), then the
//! lithium inventory at the step's end, one array per Inventory field (inventory.hpp).
constexpr int kSlotStepArrays = 9;
constexpr int kSlotSummaryArrays = kSlotStepArrays + kInventoryFields;

//! The slot arrays (device memory on the GPU, host memory in the emulation).
struct SlotArrays {
  const CellParams* params;  //!< per slot
  const double* t_end;       //!< per slot: the cell's integration limit [s]
  const int* step_first;     //!< per slot (with protocols): its steps are steps[first .. + count)
  const int* step_count;
  const StepSpec* steps;  //!< null: constant current
  const double* tables;
  double* ws;       //!< workspaces (slot_workspace)
  CellRun* runs;    //!< per slot
  int* drained;     //!< per slot: outputs the host has taken since the cell was loaded
  double* out;      //!< outputs since the last harvest (slot_output)
  double* sums;     //!< per-step summaries (slot_summary)
  index_t n_slots;
  int n_times;  //!< output rows per slot between two harvests
  int n_sums;   //!< protocol steps summarised per slot (0: none)
  bool temperature;  //!< also record temperature and step index per output
  Layout layout;
  SolverOptions solver;
  OutputSpec out_spec;  //!< t_end is per slot
  //! Threads per cell (team.hpp): 1, the workspaces interleaved; more, each slot's
  //! workspace contiguous, ws_stride doubles after the previous slot's.
  int team = 1;
  index_t ws_stride = 0;
  ExperimentEnd experiment_end{};  //!< the protocols' termination (ProtocolView::end)
};

//! Threads per cell of the team kernels (a warp; kernels/numerics/team.hpp): the one
//! number the CUDA kernels, the emulated device and IONFLUX_GPU_TEAM's parser share.
constexpr int kGpuTeamWidth = 32;

//! Doubles between two slots' workspaces when they are contiguous (team > 1): the
//! workspace rounded up to 16 doubles, so that every slot starts on a 128-byte line.
IONFLUX_HD inline index_t slot_workspace_stride(const Layout& l) { return (cell_workspace_size(l) + 15) / 16 * 16; }

//! Slot s's workspace: with one thread per cell interleaved, element k at
//! ws[s + k * n_slots] (a warp's accesses coalesce when each thread runs a cell); with a
//! team per cell contiguous at ws[s * ws_stride + k] (the team's lanes take adjacent k).
IONFLUX_HD inline DView slot_workspace(const SlotArrays& a, index_t s) {
  return a.team > 1 ? DView{a.ws + s * a.ws_stride, 1} : DView{a.ws + s, a.n_slots};
}
//! The same, as the contiguous view the team kernels use (a.team > 1 only).
IONFLUX_HD inline CView slot_workspace_contiguous(const SlotArrays& a, index_t s) { return CView{a.ws + s * a.ws_stride}; }

//! Output array `array` (0 .. kSlotOutputArrays) of slot s: n_times rows, contiguous.
IONFLUX_HD inline double* slot_output(const SlotArrays& a, index_t s, int array) {
  return a.out + (s * kSlotOutputArrays + array) * static_cast<index_t>(a.n_times);
}

//! Summary array `array` (0 .. kSlotSummaryArrays) of slot s: n_sums steps, contiguous.
IONFLUX_HD inline double* slot_summary(const SlotArrays& a, index_t s, int array) {
  return a.sums + (s * kSlotSummaryArrays + array) * static_cast<index_t>(a.n_sums);
}

//! The sink cell s records into: output n at row n - drained (the host takes the rows
//! at each harvest and advances `drained`).
IONFLUX_HD inline GridSink slot_sink(const SlotArrays& a, index_t s) {
  GridSink g{slot_output(a, s, 0), slot_output(a, s, 1), slot_output(a, s, 2), slot_output(a, s, 3), 1, a.n_times,
             &a.runs[s].n_out};
  g.drained = a.drained + s;
  if (a.temperature) {
    g.temp = slot_output(a, s, 4);
    g.step_index = slot_output(a, s, 5);
  }
  if (a.n_sums > 0) {
    g.step_start = slot_summary(a, s, 0);
    g.step_end = slot_summary(a, s, 1);
    g.step_capacity = slot_summary(a, s, 2);
    g.step_energy = slot_summary(a, s, 3);
    g.step_discharge_capacity = slot_summary(a, s, 4);
    g.step_charge_capacity = slot_summary(a, s, 5);
    g.step_discharge_energy = slot_summary(a, s, 6);
    g.step_charge_energy = slot_summary(a, s, 7);
    g.step_end_code = slot_summary(a, s, 8);
    g.step_capacity_max = a.n_sums;
    g.step_inventory = slot_summary(a, s, kSlotStepArrays);
    g.inventory_stride = a.n_sums;
  }
  return g;
}

IONFLUX_HD inline ProtocolView slot_protocol(const SlotArrays& a, index_t s) {
  if (!a.steps) return ProtocolView{};
  return ProtocolView{a.steps + a.step_first[s], a.step_count[s], a.tables, a.experiment_end};
}

//! Slot s's output spec (its own end).
IONFLUX_HD inline OutputSpec slot_output_spec(const SlotArrays& a, index_t s) {
  OutputSpec o = a.out_spec;
  o.t_end = a.t_end[s];
  return o;
}

//! The one place a CellSolver is built over slot s (its parameters, end, protocol,
//! sink and workspace) and `what(cs)` run on it; every per-cell kernel (one thread or a
//! team per cell) and the host emulation go through here. `ws` is the slot's workspace
//! view (slot_workspace, or slot_workspace_contiguous for a team); `run` the CellRun the
//! solver advances: the slot's own, or a team lane's copy (the sink then counts outputs
//! in that copy).
template <class Team, class View, class What>
IONFLUX_HD inline void with_slot_solver(const SlotArrays& a, index_t s, View ws, CellRun& run, What what) {
  GridSink sink = slot_sink(a, s);
  sink.written = &run.n_out;
  const OutputSpec out = slot_output_spec(a, s);
  CellSolver<GridSink, View, Team> cs{a.params[s], a.layout, a.solver, out, ws, run, sink};
  cs.proto = slot_protocol(a, s);
  what(cs);
}

//! End slot s's cell where it stands with `st`, if it is still running (CellSolver::fail:
//! its outputs so far kept; the next harvest reports it finished). For the budgets the
//! host keeps: max_wall_time -> time_limit (solver/backends/gpu_stream.cpp).
IONFLUX_HD inline void stop_slot(const SlotArrays& a, index_t s, CellStatus st) {
  with_slot_solver<SerialTeam>(a, s, slot_workspace(a, s), a.runs[s], [st](auto& cs) {
    if (cs.run.status == CellStatus::running) cs.fail(st);
  });
}

//! Empty slot s for a new cell: nothing drained, CellRun zeroed (as a fresh allocation),
//! summaries NaN (steps never reached stay NaN).
IONFLUX_HD inline void reset_slot(const SlotArrays& a, index_t s) {
  a.drained[s] = 0;
  unsigned char* r = reinterpret_cast<unsigned char*>(a.runs + s);
  for (unsigned k = 0; k < sizeof(CellRun); ++k) r[k] = 0;
  const double nan = static_cast<double>(NAN);
  for (int k = 0; k < kSlotSummaryArrays; ++k) {
    double* p = slot_summary(a, s, k);
    for (int q = 0; q < a.n_sums; ++q) p[q] = nan;
  }
}

//! Copy slot s's workspace into the contiguous `out` (cell_workspace_size doubles), for
//! the CPU threads that finish a handed cell.
IONFLUX_HD inline void gather_slot_workspace(const SlotArrays& a, index_t s, double* out) {
  const DView w = slot_workspace(a, s);
  const index_t count = cell_workspace_size(a.layout);
  for (index_t k = 0; k < count; ++k) out[k] = w[k];
}

}  // namespace ionflux
