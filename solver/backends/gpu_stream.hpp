// The GPU's streaming executor (DESIGN.md decision 7, docs/gpu.md): cells stream through
// a fixed set of device slots; when cells finish, their slots are harvested and refilled
// from the queue of waiting cells, across chunk boundaries, so the device never waits
// for a chunk's slowest cells; when the queue is empty and few cells are left, their
// integrator state goes to the CPU threads, which finish them with the same per-cell
// code. Chunks are written in order, each once all its cells are done.
//
// The orchestration (slots, queue, refills, harvests, hand-off, progress, cancellation)
// lives here, on the host, behind a small device-engine interface implemented by the
// CUDA engine (solver/backends/backend_cuda_engine.cu; its kernels: kernels/backend/cuda_launcher.cu)
// and, for tests, by a host emulation that runs the same CellSolver on the CPU
// (solver/backends/gpu_emulated.cpp). No CUDA types here.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

#include "kernels/model/cell_solver.hpp"

namespace ionflux {

struct BatchInputs;
struct ChunkData;

namespace gpu_stream {

//! What the engine needs for the whole run. Host arrays, valid for the engine's life.
struct EngineSetup {
  std::size_t slots = 0;  //!< cells resident at once
  Layout layout{};
  SolverOptions solver{};
  OutputSpec out{};       //!< out.times: a host array; out.t_end is per cell (t_end)
  int n_times = 0;        //!< output rows a slot holds between two harvests
  //! Output rows per slot, on average, that one harvest can return (its staging holds
  //! slots * harvest_rows rows); a slot whose rows do not fit is harvested by a later
  //! launch (Report::deferred). With every-step output it equals n_times, so that no
  //! running slot can overflow.
  int harvest_rows = 0;
  bool temperature = false;  //!< also temperature and step index per output
  int n_sums = 0;            //!< protocol steps summarised per cell (0: none)
  // every cell of the run: `cells` (cells[c]), or, when `cells` is null, `pack`, which
  // writes the records of cells [first, first + n) on demand (a packed Batch,
  // docs/problem.md; it may be called from several host threads at once)
  const CellParams* cells = nullptr;
  std::function<void(std::size_t first, std::size_t n, CellParams* out)> pack;
  std::size_t n_cells = 0;
  const double* t_end = nullptr;      //!< per cell [s]
  const int* step_first = nullptr;    //!< per cell, with protocols (else null)
  const int* step_count = nullptr;
  const StepSpec* steps = nullptr;    //!< the protocols' steps (null: constant current)
  std::size_t n_steps_total = 0;
  const double* tables = nullptr;
  std::size_t n_tables = 0;
  ExperimentEnd experiment_end{};  //!< the protocols' termination (RunOptions::experiment_end)
};

//! Threads per cell on the device (kernels/numerics/team.hpp), from the environment
//! variable IONFLUX_GPU_TEAM: 32 (a warp per cell, the default) or 1 (a thread per
//! cell). Throws InputError for anything else. The emulated device follows it too.
int team_width();

//! Workspace doubles the slots take on the device for this team width (contiguous
//! workspaces are padded to 128-byte lines).
std::size_t workspace_doubles(const Layout& l, std::size_t slots, int team);

//! Rows one harvest's staging holds: slots * harvest_rows, at least one slot's n_times
//! (so that every harvest makes progress); with a fixed grid (whose slots hold every
//! output, so that deferring is safe) at most 1 GiB of rows, which bounds the pinned
//! host memory of a run with a million slots.
inline std::size_t staging_rows(const EngineSetup& es) {
  constexpr std::size_t kMaxRows = (std::size_t(1) << 30) / (6 * sizeof(double));
  std::size_t rows = es.slots * static_cast<std::size_t>(es.harvest_rows);
  if (!es.out.every_step() && rows > kMaxRows) rows = kMaxRows;
  return rows > static_cast<std::size_t>(es.n_times) ? rows : static_cast<std::size_t>(es.n_times);
}

//! Cell `cell` of the run goes into the free slot `slot`.
struct SlotCell {
  int slot;
  std::size_t cell;
};

//! The records of the cells of a load, cells[j]'s at out[j]: copied from es.cells, or
//! packed by es.pack in runs of consecutive cells.
inline void load_records(const EngineSetup& es, const std::vector<SlotCell>& cells, CellParams* out) {
  for (std::size_t j = 0; j < cells.size();) {
    std::size_t e = j + 1;
    while (e < cells.size() && cells[e].cell == cells[e - 1].cell + 1) ++e;
    if (es.cells) {
      for (std::size_t k = j; k < e; ++k) out[k] = es.cells[cells[k].cell];
    } else {
      es.pack(cells[j].cell, e - j, out + j);
    }
    j = e;
  }
}

//! What one launch returned for one slot.
struct SlotReport {
  int slot = -1;
  //! The cell stopped running (any status): `run` and `sums` are its final records and
  //! the slot is free after this report.
  bool finished = false;
  std::size_t count = 0;  //!< outputs made since the last report
  //! kSlotOutputArrays blocks of `count` values: time, voltage, current, capacity,
  //! temperature, step index (the last two only with EngineSetup::temperature)
  const double* rows = nullptr;
  const CellRun* run = nullptr;  //!< finished only
  const double* sums = nullptr;  //!< finished only: kSlotSummaryArrays blocks of n_sums values
};

//! What one launch returned. Valid until the next collect() or evict().
struct Report {
  std::vector<SlotReport> slots;
  std::size_t deferred = 0;  //!< slots whose outputs did not fit this harvest (a later one takes them)
};

//! The device: a fixed set of slots. Calls are asynchronous where the device allows;
//! reports come back in launch order.
class DeviceEngine {
 public:
  virtual ~DeviceEngine() = default;
  //! Put cells into free slots and initialise them; they run from the next launch on
  //! (whose report carries their initial outputs, and their end if it came at once).
  virtual void load(const std::vector<SlotCell>& cells) = 0;
  //! Enqueue a launch: every running slot advances by at most `steps` steps (0: none),
  //! then the cells that stopped are harvested (their outputs since the last harvest
  //! and final records) and, with `drain_running` or every-step output (whose slots
  //! hold one launch's outputs), the outputs of the running ones too. With a fixed grid
  //! a slot holds all its outputs, so they need not come back before the cell ends.
  virtual void launch(int steps, bool drain_running) = 0;
  //! End the cells in `slots` that are still running with `status` (a budget the host
  //! keeps: max_wall_time -> time_limit), where they stand after the launches already
  //! enqueued, their outputs so far kept; the next launch reports them finished.
  virtual void stop(const std::vector<int>& slots, CellStatus status) = 0;
  //! Wait for the oldest launch not yet collected and return its report.
  virtual const Report& collect() = 0;
  //! With no launch in flight and every output harvested, the run's last call: take
  //! the cells in `slots` (still running) off the device. Per slot j: runs[j], its workspace (contiguous,
  //! cell_workspace_size doubles at ws[j * size]) and its per-step summaries so far
  //! (kSlotSummaryArrays blocks of n_sums values at sums[j * kSlotSummaryArrays * n_sums]).
  virtual void evict(const std::vector<int>& slots, std::vector<CellRun>& runs, std::vector<double>& ws,
                     std::vector<double>& sums) = 0;
};

using EngineFactory = std::unique_ptr<DeviceEngine> (*)(const EngineSetup&);

//! A device (or pinned host) allocation failed for lack of memory. run_streamed then
//! makes the engine again with half the slots (docs/reliability.md, "Faults").
class DeviceOutOfMemory : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

//! Fault hook (tests, docs/reliability.md): the n-th device allocation from now on
//! fails as out of memory (0: none). The environment variable IONFLUX_FAULT_DEVICE_ALLOC=N
//! sets it for the process at its first allocation. Both engines honour it.
void set_device_alloc_fault(long long n);
//! Called by the engines before each device or pinned allocation of `bytes`: throws
//! DeviceOutOfMemory when the fault hook says this one fails.
void check_device_alloc(std::size_t bytes, const char* what);

//! The host emulation of the device (tests): the same slot arrays
//! (kernels/backend/slots.hpp) and per-cell code, run by one host thread, with the
//! device's report and deferral rules.
std::unique_ptr<DeviceEngine> make_emulated_engine(const EngineSetup& setup);

struct StreamConfig {
  std::size_t slots = 1;  //!< cells resident on the device at once
  std::size_t chunk = 1;  //!< cells per chunk written
  int steps_per_launch = 64;
  int threads = 1;  //!< CPU threads that finish the handed cells
  //! CPU threads that take cells from the queue, in order, while the device works
  //! (each runs a cell with the CPU per-cell code; 0: the device takes every cell).
  int cpu_workers = 0;
  //! When every cell has entered the device and no more than this many are still
  //! running, hand them to the CPU threads (0: never).
  std::size_t handoff_below = 0;
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(ChunkData&)> write;  //!< each chunk once all its cells are done, in order
  std::function<void()> cell_done;        //!< one more cell is done (progress)
};

struct StreamStats {
  std::size_t slots = 0;
  std::size_t cells_opened = 0;  //!< cells of the chunks started (the rest: a cancellation)
  std::size_t handed_to_cpu = 0;
  std::size_t cells_on_cpu = 0;  //!< cells the CPU workers took from the queue
  std::size_t slot_refills = 0;
  std::size_t cells_loaded_ahead = 0;
  std::size_t launches = 0;
  std::size_t slots_asked = 0;  //!< slots asked for; more than `slots` after device memory ran out
};

//! Run the GPU cells of a batch through an engine made by `make`.
StreamStats run_streamed(const BatchInputs& in, const StreamConfig& cfg, EngineFactory make);

//! Device bytes per slot besides the slot itself: the harvest staging (two buffers),
//! the loads' staging and the active lists.
std::size_t staging_bytes_per_slot(const BatchInputs& in, int steps_per_launch);

}  // namespace gpu_stream
}  // namespace ionflux
