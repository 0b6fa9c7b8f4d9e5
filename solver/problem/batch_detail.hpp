// Internals of run_batch shared by its CPU path (solver/backends/batch.cpp) and its GPU streaming
// executor (solver/backends/gpu_stream.cpp): per-cell inputs, chunk assembly and per-cell
// summaries. Not a public header.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "kernels/model/cell_solver.hpp"
#include "solver/backends/backend_cuda.hpp"
#include "solver/problem/batch.hpp"

namespace ionflux {
namespace detail {

//! Cell c's protocol (empty view: constant current).
ProtocolView protocol_of(const BatchInputs& in, std::size_t c);
//! Chunk [first, first + n) with every cell not run (NaN summaries, no outputs).
void allocate(ChunkData& c, std::size_t first, std::size_t n, int n_steps);
//! Concatenates the cells' series into the chunk's ragged arrays, in cell order (frees them).
void gather(ChunkData& c, std::vector<cuda_backend::CellSeries>& series, bool temperature);
//! The per-step summary sink of row k of a chunk (no per-output arrays).
GridSink summary_sink(ChunkData& c, std::size_t k);
//! The end message of cell c of a protocol cut short by a voltage cut-off (empty if not).
std::string cut_short(const BatchInputs& in, std::size_t c, const CellParams& cell, const CellRun& run);
//! Per-cell summary from the integrator's final scalars, for both backends.
void summarise(ChunkData& c, std::size_t k, const CellRun& run, const std::string& pre_message,
               const ProtocolView& proto);
//! Cell k's inputs of the summary variables (ChunkData::cell_summary) and the eSOH at the
//! last reached step of each cycle (ChunkData::step_esoh), from its parameters; after
//! summarise. Nothing for a cell not run or without a protocol.
void summarise_inventory(ChunkData& c, std::size_t k, const CellParams& cell, const Layout& l,
                         const ProtocolView& proto);
//! Output rows per cell the device holds between two harvests: a fixed grid holds every
//! output of the cell with the longest end; every-step output what one launch can make.
int device_output_slots(const BatchInputs& in, int steps_per_launch);

inline bool is_cancelled(const std::atomic<bool>* cancel) {
  return cancel && cancel->load(std::memory_order_relaxed);
}

//! CPU sink: appends each output to the cell's series; the per-step summaries go to
//! row k of the chunk's (cell, step) arrays through a GridSink.
struct SeriesSink {
  cuda_backend::CellSeries& s;
  bool temperature;
  GridSink summaries;
  // BatchInputs::detail: the state at each output (null: not kept), each finished step's
  // record (null: not kept), and the output limit in rows (past it: overflow, no record)
  std::vector<double>* states = nullptr;
  int n_state = 0;
  StepRecord* records = nullptr;
  int n_records = 0;
  std::size_t max_rows = static_cast<std::size_t>(-1);
  bool overflow = false;
  bool wants_state() const { return states != nullptr; }
  template <class V>
  void record(const OutputPoint& o, const V& y) {
    if (s.time.size() >= max_rows) {
      overflow = true;
      return;
    }
    if (states) states->insert(states->end(), &y[0], &y[0] + n_state);  // one copy, no per-value checks
    s.time.push_back(o.t);
    s.voltage.push_back(o.v);
    s.current.push_back(o.i);
    s.capacity.push_back(o.q);
    if (temperature) {
      s.temperature.push_back(o.temp);
      s.step_index.push_back(o.step);
    }
  }
  void step_done(const StepRecord& r) {
    summaries.step_done(r);
    if (records && r.step >= 0 && r.step < n_records) records[r.step] = r;
  }
};

//! Cell k's end message beyond its status, for both backends (cells without a
//! pre_message): a protocol cut short by a voltage cut-off replaces it; an
//! initialisation failure gets its likely cause appended, and so does a cell past a
//! cut-off at t = 0 (diagnose_cutoff_at_start: its voltage, the open-circuit voltage of
//! its initial state, and what to change).
void finish_message(ChunkData& c, std::size_t k, const BatchInputs& in, std::size_t cell, const CellParams& record,
                    const CellRun& run);

//! Advance a cell to its end within its budgets: SolverOptions::max_steps (counted by the
//! kernel per protocol step, with a whole-run net: step_limit) and max_wall_time, read
//! here before each slice of kSlice steps from `t0` (the cell's start): a cell past it
//! ends with time_limit, its outputs so far kept. `stop` (one simulation's Ctrl-C), read
//! before each slice too, ends it with interrupted. Slicing does not change the results
//! (the GPU slots advance in slices too). `progress`, when given, gets the cell's time and
//! step after each slice.
template <class CS>
void advance_within_budget(CS& cs, const SolverOptions& so, std::chrono::steady_clock::time_point t0,
                           const std::atomic<bool>* stop = nullptr, CellProgress* progress = nullptr) {
  const bool timed = so.max_wall_time > 0.0;
  if (!timed && !stop && !progress) {
    // the kernel ends the cell by its budgets (max_steps per protocol step, and for the
    // whole run at most kMaxSolverSteps: CellSolver::run_step_limit) before this runs out
    while (cs.advance(kMaxSolverSteps) == CellStatus::running) {
    }
    return;
  }
  constexpr int kSlice = 64;
  for (;;) {
    if (stop && stop->load(std::memory_order_relaxed)) return void(cs.fail(CellStatus::interrupted));
    if (timed && std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > so.max_wall_time)
      return void(cs.fail(CellStatus::time_limit));
    if (cs.advance(kSlice) != CellStatus::running) return;
    if (progress) {
      progress->t.store(cs.run.t_prev, std::memory_order_relaxed);
      progress->step.store(cs.run.step, std::memory_order_relaxed);
      if (progress->on_slice) progress->on_slice(*progress);
    }
  }
}

}  // namespace detail
}  // namespace ionflux
