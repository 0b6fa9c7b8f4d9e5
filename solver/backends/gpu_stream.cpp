// The GPU's streaming executor (solver/backends/gpu_stream.hpp, docs/gpu.md). One host thread
// keeps the device busy: it enqueues a launch ahead of the one whose report it
// processes, so that harvested outputs are appended (and finished chunks written)
// while the device computes; slots freed by one report are refilled from the queue of
// waiting cells, in cell order, whatever chunk those cells belong to.
#include "solver/backends/gpu_stream.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <exception>
#include <iostream>
#include <limits>
#include <mutex>
#include <thread>

#include "kernels/backend/slots.hpp"
#include "solver/problem/batch.hpp"
#include "solver/problem/batch_detail.hpp"
#include "solver/util/errors.hpp"
#include "solver/problem/simulation.hpp"

namespace ionflux {
namespace gpu_stream {

using namespace detail;

namespace {

//! Output rows per slot that one harvest returns on average (its staging): every-step
//! output must take everything a launch made (a slot holds one launch's worth); a fixed
//! grid, whose slots hold every output, takes about what a launch makes.
int harvest_rows_per_slot(const BatchInputs& in, int steps_per_launch) {
  const int n_times = device_output_slots(in, steps_per_launch);
  if (output_spec(in.run).every_step()) return n_times;
  return std::min(n_times, 2 * std::max(steps_per_launch, 1) + 4);
}

//! A chunk whose cells are on their way.
struct OpenChunk {
  ChunkData c;
  std::vector<cuda_backend::CellSeries> series;
  std::size_t remaining = 0;  //!< cells not done (not yet loaded included)
};

//! The chunk's per-step summary arrays, in the slots' order (kernels/backend/slots.hpp).
//! Array a of the chunk's cell 0 (cell k's steps follow at + k * n_steps): the nine step
//! records, then the Inventory fields (ChunkData::step_inventory, one plane each).
double* summary_arrays(ChunkData& c, int a) {
  std::vector<double>* const arrays[kSlotStepArrays] = {
      &c.step_start, &c.step_end, &c.step_capacity, &c.step_energy,
      &c.step_discharge_capacity, &c.step_charge_capacity, &c.step_discharge_energy, &c.step_charge_energy,
      &c.step_end_code};
  if (a < kSlotStepArrays) return arrays[a]->data();
  return c.step_inventory.data() + static_cast<std::size_t>(a - kSlotStepArrays) * c.n * static_cast<std::size_t>(c.n_steps);
}

}  // namespace

int team_width() {
  const char* env = std::getenv("IONFLUX_GPU_TEAM");
  if (!env || !*env) return kGpuTeamWidth;
  const std::string v(env);
  if (v == "1") return 1;
  if (v == std::to_string(kGpuTeamWidth)) return kGpuTeamWidth;
  throw InputError("IONFLUX_GPU_TEAM must be 1 (one thread per cell) or 32 (a warp of threads per cell), got '" + v +
                   "'");
}

namespace {
std::atomic<long long> g_alloc_fault{-1};  // -1: not yet read from the environment
std::atomic<long long> g_allocs{0};        // allocations since the hook was set
}  // namespace

void set_device_alloc_fault(long long n) {
  g_allocs = 0;
  g_alloc_fault = n > 0 ? n : 0;
}

void check_device_alloc(std::size_t bytes, const char* what) {
  if (g_alloc_fault.load() < 0) {
    const char* env = std::getenv("IONFLUX_FAULT_DEVICE_ALLOC");
    long long n = 0;
    if (env && *env) {
      char* end = nullptr;
      n = std::strtoll(env, &end, 10);
      if (!end || *end != '\0') n = 0;
    }
    long long unset = -1;
    g_alloc_fault.compare_exchange_strong(unset, n > 0 ? n : 0);
  }
  const long long fault = g_alloc_fault.load();
  if (fault > 0 && g_allocs.fetch_add(1) + 1 == fault)
    throw DeviceOutOfMemory(std::string("out of device memory allocating ") + std::to_string(bytes) + " bytes for " +
                            what + " (fault injected by the device allocation hook, allocation " +
                            std::to_string(fault) + ")");
}

std::size_t workspace_doubles(const Layout& l, std::size_t slots, int team) {
  return slots * static_cast<std::size_t>(team > 1 ? slot_workspace_stride(l) : cell_workspace_size(l));
}

std::size_t staging_bytes_per_slot(const BatchInputs& in, int steps_per_launch) {
  const std::size_t rows = static_cast<std::size_t>(harvest_rows_per_slot(in, steps_per_launch));
  const std::size_t ns = static_cast<std::size_t>(in.max_protocol_steps());
  return 2 * (rows * kSlotOutputArrays * sizeof(double) + sizeof(CellRun) +
              kSlotSummaryArrays * ns * sizeof(double) + 32) +
         sizeof(CellParams) + 32;  // + the loads' staging and the active lists
}

StreamStats run_streamed(const BatchInputs& in, const StreamConfig& cfg, EngineFactory make) {
  StreamStats st;
  const std::size_t n = in.size();
  if (n == 0) return st;
  // Cell c's record for the host side (CPU workers, hand-off, end messages): stored, or
  // packed on demand (the device engine packs its loads itself: EngineSetup::pack).
  auto record_of = [&in](std::size_t c) { return in.pack ? in.record(c) : in.cells[c]; };
  const std::size_t npos = std::numeric_limits<std::size_t>::max();
  const int ns = in.max_protocol_steps();
  const bool temperature = in.any_thermal() || in.has_protocol();
  const Layout layout = Layout::make(in.run.mesh, in.run.model);
  const std::size_t wsz = static_cast<std::size_t>(cell_workspace_size(layout));
  const std::size_t chunk = std::max<std::size_t>(cfg.chunk, 1);
  std::size_t n_slots = std::max<std::size_t>(cfg.slots, 1);

  // The engine: every cell's inputs, the shared options and the slots' sizes.
  std::vector<double> t_end(n);
  for (std::size_t c = 0; c < n; ++c) t_end[c] = in.t_end_of(c);
  std::vector<int> step_first, step_count;
  EngineSetup es;
  es.slots = n_slots;
  es.layout = layout;
  es.solver = in.run.solver;
  es.out = output_spec(in.run);
  es.n_times = device_output_slots(in, cfg.steps_per_launch);
  es.harvest_rows = harvest_rows_per_slot(in, cfg.steps_per_launch);
  es.temperature = temperature;
  es.n_sums = ns;
  es.cells = in.pack ? nullptr : in.cells.data();
  es.pack = in.pack;
  es.n_cells = n;
  es.t_end = t_end.data();
  if (in.has_protocol()) {
    const bool per_cell = !in.protocol_first.empty();
    const std::vector<StepSpec>& all = per_cell ? in.protocol_steps : in.run.steps;
    const std::vector<double>& tables = per_cell ? in.protocol_tables : in.run.tables;
    step_first.resize(n);
    step_count.resize(n);
    for (std::size_t c = 0; c < n; ++c) {
      step_first[c] = per_cell ? in.protocol_first[c] : 0;
      step_count[c] = per_cell ? in.protocol_count[c] : static_cast<int>(all.size());
    }
    es.step_first = step_first.data();
    es.step_count = step_count.data();
    es.steps = all.data();
    es.n_steps_total = all.size();
    es.tables = tables.data();
    es.n_tables = tables.size();
    es.experiment_end = in.run.experiment_end;
  }
  // Device memory exhausted at any of the engine's allocations: half the slots (fewer
  // cells resident at once), said on stderr, and on; out of memory with one slot fails.
  std::unique_ptr<DeviceEngine> engine;
  st.slots_asked = n_slots;
  for (;;) {
    try {
      engine = make(es);
      break;
    } catch (const DeviceOutOfMemory& e) {
      if (es.slots <= 1)
        throw RuntimeError(std::string(e.what()) + ", with a single device slot: the GPU cannot run this sweep");
      const std::size_t fewer = es.slots / 2;
      std::cerr << "warning: " << e.what() << " for " << es.slots << " device slots; retrying with " << fewer
                << " slots (fewer cells resident on the device at once)\n"
                << std::flush;
      es.slots = fewer;
    }
  }
  n_slots = es.slots;

  std::deque<OpenChunk> open;  // chunks started and not yet written, in order
  std::size_t opened_end = 0;  // cells of the chunks started
  std::size_t next = 0;        // the queue: cells [next, n) wait
  std::vector<std::size_t> slot_cell(n_slots, npos);
  std::vector<char> slot_used(n_slots, 0);
  std::vector<int> free_slots;
  for (std::size_t s = n_slots; s-- > 0;) free_slots.push_back(static_cast<int>(s));
  std::size_t occupied = 0;    // slots holding a cell not known to be done
  bool fresh = false;          // cells loaded since the last launch was enqueued
  std::size_t deferred = 0;    // the last report's deferred slots
  // The wall-time budget (SolverOptions::max_wall_time) of the cells in slots, kept here
  // (docs/reliability.md, "A budget per cell"): a cell's time starts when it is loaded;
  // the cells loaded, in load order (so in order of start), wait in `started`; after each
  // report those past their budget and still in their slot are stopped (time_limit).
  using Clock = std::chrono::steady_clock;
  const double max_wall = in.run.solver.max_wall_time;
  std::vector<Clock::time_point> slot_t0(n_slots);
  std::deque<std::pair<Clock::time_point, SlotCell>> started;

  // With CPU workers (cfg.cpu_workers) the queue and the chunks are shared: `m` guards
  // them (the queue position, the open chunks, their remaining counts and summaries);
  // a cell's series is written by whoever runs it, outside the lock.
  std::mutex m;
  using Lock = std::lock_guard<std::mutex>;
  auto chunk_of = [&](std::size_t cell) -> OpenChunk& { return open[(cell - open.front().c.first) / chunk]; };
  auto open_chunk = [&]() {
    OpenChunk oc;
    const std::size_t m = std::min(chunk, n - opened_end);
    allocate(oc.c, opened_end, m, ns);
    oc.series.assign(m, cuda_backend::CellSeries{});
    oc.remaining = m;
    open.push_back(std::move(oc));
    opened_end += m;
  };
  // cell k of chunk oc ended with `run`: its status, message and summary
  auto summarise_cell = [&](OpenChunk& oc, std::size_t k, const CellRun& run) {
    const std::size_t cell = oc.c.first + k;
    summarise(oc.c, k, run, in.pre_message[cell], protocol_of(in, cell));
    if (ns > 0 && run.status != CellStatus::invalid_input)
      summarise_inventory(oc.c, k, record_of(cell), layout, protocol_of(in, cell));
    if (in.pre_message[cell].empty() &&
        (in.has_protocol() || run.status == CellStatus::init_failure || run.status == CellStatus::step_limit ||
         run.status == CellStatus::time_limit || run.status == CellStatus::cutoff_at_start))
      finish_message(oc.c, k, in, cell, record_of(cell), run);
  };
  // Write the chunks whose cells are all done, in order (this thread only; the sink
  // is called outside the lock).
  auto write_ready = [&]() {
    for (;;) {
      OpenChunk oc;
      {
        Lock lock(m);
        if (open.empty() || open.front().remaining != 0) return;
        oc = std::move(open.front());
        open.pop_front();
      }
      gather(oc.c, oc.series, temperature);
      if (cfg.write) cfg.write(oc.c);
    }
  };
  // The queue's next cell (npos: empty); invalid cells on the way are summarised. Under m.
  auto take = [&]() -> std::size_t {
    while (next < n) {
      if (next == opened_end) open_chunk();
      if (in.pre_status[next] == CellStatus::running) return next++;
      OpenChunk& oc = chunk_of(next);
      CellRun run{};
      run.status = in.pre_status[next];
      summarise_cell(oc, next - oc.c.first, run);
      --oc.remaining;
      if (cfg.cell_done) cfg.cell_done();
      ++next;
    }
    return npos;
  };
  // Refill the free slots from the queue, in cell order; invalid cells take no slot.
  auto fill = [&]() {
    Lock lock(m);
    std::vector<SlotCell> load;
    while (!free_slots.empty()) {
      const std::size_t cell = take();
      if (cell == npos) break;
      OpenChunk& oc = chunk_of(cell);
      const int s = free_slots.back();
      free_slots.pop_back();
      st.slot_refills += slot_used[s] != 0;
      slot_used[s] = 1;
      // an earlier chunk still has cells running: the device goes on without waiting
      for (const OpenChunk& before : open) {
        if (&before == &oc) break;
        if (before.remaining > 0) {
          ++st.cells_loaded_ahead;
          break;
        }
      }
      slot_cell[s] = cell;
      ++occupied;
      load.push_back(SlotCell{s, cell});
    }
    if (!load.empty()) {
      engine->load(load);
      fresh = true;
      if (max_wall > 0.0) {
        const Clock::time_point now = Clock::now();
        for (const SlotCell& sc : load) {
          slot_t0[static_cast<std::size_t>(sc.slot)] = now;
          started.emplace_back(now, sc);
        }
      }
    }
  };
  // Stop the cells in slots past their wall-time budget (the oldest first; a cell that
  // left its slot is dropped from `started`).
  auto stop_overdue = [&]() {
    if (!(max_wall > 0.0)) return;
    const Clock::time_point now = Clock::now();
    std::vector<int> overdue;
    {
      Lock lock(m);
      while (!started.empty() && std::chrono::duration<double>(now - started.front().first).count() > max_wall) {
        const SlotCell sc = started.front().second;
        started.pop_front();
        if (slot_cell[static_cast<std::size_t>(sc.slot)] == sc.cell) overdue.push_back(sc.slot);
      }
    }
    if (!overdue.empty()) engine->stop(overdue, CellStatus::time_limit);
  };
  // A launch's report: append the outputs; finished cells are summarised, their slots freed.
  auto process = [&](const Report& r) {
    Lock lock(m);
    deferred = r.deferred;
    for (const SlotReport& sr : r.slots) {
      const std::size_t cell = slot_cell[static_cast<std::size_t>(sr.slot)];
      OpenChunk& oc = chunk_of(cell);
      const std::size_t k = cell - oc.c.first;
      cuda_backend::CellSeries& se = oc.series[k];
      std::vector<double>* const arrays[kSlotOutputArrays] = {&se.time,     &se.voltage,     &se.current,
                                                              &se.capacity, &se.temperature, &se.step_index};
      for (int a = 0; a < (temperature ? kSlotOutputArrays : 4); ++a)
        arrays[a]->insert(arrays[a]->end(), sr.rows + a * sr.count, sr.rows + (a + 1) * sr.count);
      if (!sr.finished) continue;
      for (int a = 0; a < kSlotSummaryArrays; ++a)
        std::copy(sr.sums + a * ns, sr.sums + (a + 1) * ns, summary_arrays(oc.c, a) + k * ns);
      oc.c.device[k] = kRanOnGpu;
      summarise_cell(oc, k, *sr.run);
      --oc.remaining;
      if (cfg.cell_done) cfg.cell_done();
      slot_cell[static_cast<std::size_t>(sr.slot)] = npos;
      free_slots.push_back(sr.slot);
      --occupied;
    }
  };
  auto cancelled = [&]() { return is_cancelled(cfg.cancel); };
  auto handoff_due = [&]() {
    Lock lock(m);
    return cfg.handoff_below > 0 && next == n && occupied <= cfg.handoff_below;
  };
  auto launch = [&](int steps, bool drain_running) {
    engine->launch(steps, drain_running);
    ++st.launches;
    fresh = false;
  };

  // Stream: one launch ahead of the report being processed. The launch after a report
  // is enqueued (after the refills) before the host writes the chunks that report
  // completed, so the device has two launches of work while the host writes.
  st.slots = n_slots;
  int in_flight = 0;
  bool stop = cancelled();
  std::atomic<bool> quit{false};  // a CPU worker failed (or this function is leaving)
  auto top_up = [&]() {
    if (cancelled() || quit) stop = true;  // quit: a CPU worker failed
    while (!stop && occupied > 0 && in_flight < 2 && !handoff_due()) {
      launch(cfg.steps_per_launch, false);
      ++in_flight;
    }
  };
  if (!stop) fill();
  write_ready();
  // CPU workers: take cells from the same queue while the device works (after the
  // device's first fill), finish them with the CPU per-cell code, and stop when the
  // queue is empty or on a cancellation.
  const OutputSpec out = output_spec(in.run);
  std::exception_ptr worker_error;
  std::vector<std::thread> workers;
  struct Join {
    std::vector<std::thread>& t;
    std::atomic<bool>& quit;
    ~Join() {
      quit = true;
      for (std::thread& w : t)
        if (w.joinable()) w.join();
    }
  } join_workers{workers, quit};
  auto worker = [&]() {
    std::vector<double> ws(wsz);
    try {
      while (!quit && !cancelled()) {
        std::size_t cell;
        OpenChunk* oc;
        {
          Lock lock(m);
          cell = take();
          if (cell == npos) return;
          oc = &chunk_of(cell);
        }
        const std::size_t k = cell - oc->c.first;
        CellRun run{};
        OutputSpec cell_out = out;
        cell_out.t_end = in.t_end_of(cell);
        SeriesSink sink{oc->series[k], temperature, summary_sink(oc->c, k)};
        const CellParams cell_params = record_of(cell);
        CellSolver<SeriesSink, CView> cs{cell_params, layout, in.run.solver, cell_out, CView{ws.data()}, run, sink};
        cs.proto = protocol_of(in, cell);
        const auto cell_t0 = std::chrono::steady_clock::now();
        if (cs.init() == CellStatus::running) advance_within_budget(cs, in.run.solver, cell_t0);
        {
          Lock lock(m);
          oc->c.device[k] = kRanOnCpu;
          summarise_cell(*oc, k, run);
          --oc->remaining;
          ++st.cells_on_cpu;
        }
        if (cfg.cell_done) cfg.cell_done();
      }
    } catch (...) {
      Lock lock(m);
      if (!worker_error) worker_error = std::current_exception();
      quit = true;
    }
  };
  if (!stop)
    for (int w = 0; w < cfg.cpu_workers; ++w) workers.emplace_back(worker);
  for (;;) {
    top_up();
    if (in_flight == 0) break;
    process(engine->collect());
    --in_flight;
    if (!stop && !cancelled()) stop_overdue();
    if (!stop && !cancelled()) fill();
    top_up();
    write_ready();
  }

  // The hand-off: the queue is empty and few cells are left running. Harvest what the
  // device holds (outputs of fresh loads or deferred ones), take the cells' state off
  // the device and finish them on the CPU threads with the same per-cell code.
  if (!stop && !cancelled() && occupied > 0) {
    for (bool drained = false; !drained || fresh || deferred > 0; drained = true) {
      launch(0, true);
      process(engine->collect());
      write_ready();
    }
    std::unique_lock<std::mutex> lock(m);
    std::vector<int> slots;
    for (std::size_t s = 0; s < n_slots; ++s)
      if (slot_cell[s] != npos) slots.push_back(static_cast<int>(s));
    std::sort(slots.begin(), slots.end(), [&](int a, int b) { return slot_cell[a] < slot_cell[b]; });
    std::vector<CellRun> runs;
    std::vector<double> ws, sums;
    if (!slots.empty()) engine->evict(slots, runs, ws, sums);
    st.handed_to_cpu = slots.size();
    std::vector<std::size_t> cells(slots.size());
    std::vector<Clock::time_point> t0s(slots.size(), Clock::now());  // the budget goes on from the device
    for (std::size_t j = 0; j < slots.size(); ++j) {
      cells[j] = slot_cell[static_cast<std::size_t>(slots[j])];
      if (max_wall > 0.0) t0s[j] = slot_t0[static_cast<std::size_t>(slots[j])];
      OpenChunk& oc = chunk_of(cells[j]);
      const std::size_t k = cells[j] - oc.c.first;
      for (int a = 0; a < kSlotSummaryArrays; ++a) {
        const double* src = sums.data() + (j * kSlotSummaryArrays + a) * static_cast<std::size_t>(ns);
        std::copy(src, src + ns, summary_arrays(oc.c, a) + k * ns);
      }
    }
    lock.unlock();
    const long long n_handed = static_cast<long long>(slots.size());
    std::exception_ptr error;
    std::mutex error_mutex;
#pragma omp parallel for num_threads(cfg.threads) schedule(dynamic, 1)
    for (long long j = 0; j < n_handed; ++j) {
      try {
        if (cancelled()) continue;  // left running: reported as not run
        const std::size_t cell = cells[static_cast<std::size_t>(j)];
        OpenChunk* oc;
        {
          Lock l(m);
          oc = &chunk_of(cell);
        }
        const std::size_t k = cell - oc->c.first;
        OutputSpec cell_out = out;
        cell_out.t_end = in.t_end_of(cell);
        SeriesSink sink{oc->series[k], temperature, summary_sink(oc->c, k)};
        const CellParams cell_params = record_of(cell);
        CellSolver<SeriesSink, CView> cs{cell_params, layout, in.run.solver, cell_out,
                                         CView{ws.data() + static_cast<std::size_t>(j) * wsz},
                                         runs[static_cast<std::size_t>(j)], sink};
        cs.proto = protocol_of(in, cell);
        advance_within_budget(cs, in.run.solver, t0s[static_cast<std::size_t>(j)]);  // since it was loaded
        if (cfg.cell_done) cfg.cell_done();
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    }
    if (error) std::rethrow_exception(error);
    lock.lock();
    for (std::size_t j = 0; j < slots.size(); ++j) {
      OpenChunk& oc = chunk_of(cells[j]);
      const std::size_t k = cells[j] - oc.c.first;
      slot_cell[static_cast<std::size_t>(slots[j])] = npos;
      --occupied;
      --oc.remaining;
      if (runs[j].status == CellStatus::running) continue;  // a cancellation stopped it: not run (below)
      oc.c.device[k] = kRanOnGpuThenCpu;
      summarise_cell(oc, k, runs[j]);
    }
  }

  for (std::thread& w : workers) w.join();  // they stop when the queue is empty
  if (worker_error) std::rethrow_exception(worker_error);

  // Cells a cancellation caught in a slot (or on a CPU thread after the hand-off) are
  // not run: no outputs, no summaries. The chunks started are written with what finished.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto not_run = [&](std::size_t cell) {
    OpenChunk& oc = chunk_of(cell);
    const std::size_t k = cell - oc.c.first;
    oc.series[k] = cuda_backend::CellSeries{};
    oc.c.device[k] = kRanNowhere;
    oc.c.status[k] = kStatusNotRun;
    for (int a = 0; a < kSlotSummaryArrays; ++a)
      std::fill(summary_arrays(oc.c, a) + k * ns, summary_arrays(oc.c, a) + (k + 1) * ns, nan);
  };
  for (std::size_t s = 0; s < n_slots; ++s)
    if (slot_cell[s] != npos) not_run(slot_cell[s]);
  for (OpenChunk& oc : open)
    for (std::size_t k = 0; k < oc.c.n; ++k)
      if (oc.c.status[k] == kStatusNotRun) not_run(oc.c.first + k);
  for (OpenChunk& oc : open) oc.remaining = 0;
  write_ready();
  st.cells_opened = opened_end;
  return st;
}

}  // namespace gpu_stream
}  // namespace ionflux
