// The GPU's streaming executor (solver/backends/gpu_stream.cpp, docs/gpu.md) on a CPU-only
// machine, through the host emulation of the device engine (the device's slot arrays,
// launch, harvest, deferral and eviction rules: solver/backends/gpu_emulated.cpp): cells whose
// costs differ 100x stream through a few slots, refilled across chunk boundaries, and
// the batch equals a CPU-only run cell by cell (tests/equivalence/compare_chunks.hpp:
// 1e-7 relative; rtol = atol = 1e-10 keep step-size decisions that a round-off
// difference between the interleaved and the contiguous layout could flip far below
// it). tests/gpu/test_cuda_streaming.cpp runs the same on a real device.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <iostream>
#include <limits>
#include <memory>
#include <vector>

#include "solver/backends/backend_cuda.hpp"
#include "solver/problem/batch.hpp"
#include "solver/backends/gpu_stream.hpp"
#include "solver/util/errors.hpp"
#include "tests/equivalence/batch_cases.hpp"
#include "tests/equivalence/compare_chunks.hpp"
#include "tests/equivalence/streaming_cases.hpp"

namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)

using namespace ionflux;

// The currents' (and so the step capacities') bound of the device-vs-CPU comparisons here:
// the protocol cells have voltage-controlled steps, where the current is the unknown that
// holds V, and the state's round-off difference reaches it amplified ~40-200x (derivation
// and measurement at kHoldCurrentRel, tests/equivalence/cycle_cases.hpp). Measured in the
// ASan+UBSan build (other rounding than Release): 9.6e-7 relative in one hold.
constexpr double kSolvedCurrentRel = 1e-6;
using ionflux::testing::expect_identical;
using ionflux::testing::mixed_cost_batch;
using ionflux::testing::valid_cells;

namespace {

struct EmulatedDevice {
  EmulatedDevice() { cuda_backend::emulate_device_for_testing(true); }
  ~EmulatedDevice() { cuda_backend::emulate_device_for_testing(false); }
};

BatchSummary run(const BatchInputs& in, Device dev, std::size_t slots, int handoff,
                 ionflux::testing::CollectSink& sink) {
  BatchOptions o;
  o.device = dev;
  o.threads = 2;
  o.memory_budget = slots * bytes_per_cell(in);  // the device's slots
  o.max_chunk_cells = 4;
  o.steps_per_launch = 16;
  o.gpu_handoff_cells = handoff;
  return run_batch(in, o, &sink);
}

}  // namespace

TEST(Streaming, CellsDiffering100xInCostStreamThroughFewSlotsAndEqualCpuOnly) {
  const BatchInputs in = mixed_cost_batch();
  ionflux::testing::CollectSink cpu;
  run(in, Device::cpu, 5, 0, cpu);
  // the batch's property: costs differ 100x or more (solver steps, CPU run)
  int cheapest = std::numeric_limits<int>::max(), dearest = 0;
  for (std::size_t c = 0; c < cpu.all.n; ++c) {
    if (cpu.all.steps[c] <= 0) continue;  // invalid, failed or cut off at t = 0
    cheapest = std::min(cheapest, cpu.all.steps[c]);
    dearest = std::max(dearest, cpu.all.steps[c]);
  }
  EXPECT_GE(dearest, 100 * cheapest) << "cheapest " << cheapest << " steps, dearest " << dearest;

  EmulatedDevice emulated;
  for (int handoff : {0, 2}) {
    SCOPED_TRACE("hand-off below " + std::to_string(handoff));
    ionflux::testing::CollectSink gpu;
    const BatchSummary s = run(in, Device::cuda, 5, handoff, gpu);
    ASSERT_EQ(gpu.all.n, in.cells.size());
    EXPECT_EQ(s.chunks, (in.cells.size() + 3) / 4) << "chunks of 4, written in order";
    EXPECT_EQ(s.not_run, 0u);
    std::size_t on_gpu = 0, both = 0;
    for (std::size_t c = 0; c < gpu.all.n; ++c) {
      EXPECT_NE(gpu.all.status[c], kStatusNotRun) << "cell " << c;
      EXPECT_NE(gpu.all.status[c], static_cast<int>(CellStatus::running)) << "cell " << c;
      on_gpu += gpu.all.device[c] == kRanOnGpu;
      both += gpu.all.device[c] == kRanOnGpuThenCpu;
    }
    EXPECT_EQ(gpu.all.device[7], kRanNowhere) << "the invalid cell takes no slot";
    EXPECT_EQ(on_gpu + both, valid_cells(in));
    EXPECT_EQ(both, s.handed_to_cpu);
    if (handoff == 0) {
      EXPECT_EQ(both, 0u);
    } else {
      EXPECT_GE(both, 1u);
      EXPECT_LE(both, 2u);
    }
    // every valid cell passes through one of the 5 slots: all but the first 5 go into
    // a slot another cell freed
    EXPECT_EQ(s.slot_refills, valid_cells(in) - 5);
    // cells of later chunks entered the device while a cell of an earlier chunk was
    // still running: the device did not wait for the chunk's slow cell
    EXPECT_GT(s.cells_loaded_ahead, 0u);
    const double worst = ionflux::testing::compare_chunks(cpu.all, gpu.all, kSolvedCurrentRel);
    std::cout << "  hand-off below " << handoff << ": " << s.launches << " launches, " << s.slot_refills
              << " slot refills, " << s.cells_loaded_ahead << " cells loaded ahead of an unfinished chunk, "
              << both << " handed to the CPU; steps per cell " << cheapest << " to " << dearest
              << "; largest relative voltage difference " << worst << "\n";
  }
}

TEST(Streaming, EveryStepOutputsStreamedEqualAllCellsResident) {
  // Every-step output (a slot holds one launch's outputs: they are harvested after
  // every launch) through 3 refilled slots, bit for bit what the same emulated device
  // gives with every cell resident at once (64 slots, no refill): streaming changes
  // where and when a cell runs, not what it computes. (Against the CPU road the
  // every-step time grid differs at ~1e-7 relative: the interleaved layout's round-off
  // moves the step sizes; fixed grids compare within 1e-7 above.)
  EmulatedDevice emulated;
  BatchInputs in = ionflux::testing::equivalence_batch(1e-10, 1e-10);
  in.run.mesh = MeshSpec{8, 5, 7, 6, 9};
  in.run.period = 0.0;
  in.t_end.resize(in.cells.size());
  for (std::size_t c = 0; c < in.cells.size(); ++c) in.t_end[c] = c % 6 == 2 ? 1800.0 : 20.0;
  ionflux::testing::CollectSink resident, streamed;
  const BatchSummary r = run(in, Device::cuda, 64, 0, resident);
  const BatchSummary s = run(in, Device::cuda, 3, 0, streamed);
  EXPECT_EQ(r.slot_refills, 0u);
  EXPECT_EQ(s.slot_refills, valid_cells(in) - 3);
  EXPECT_GT(streamed.all.points(), 100 * in.cells.size()) << "every-step outputs";
  expect_identical(resident.all, streamed.all);
  std::cout << "  every-step outputs: " << streamed.all.points() << " outputs; 3 slots: " << s.launches
            << " launches, 64 slots: " << r.launches << "\n";
}

namespace {
//! The emulated engine with a harvest staging of one row per slot (at least one slot's
//! rows: the rule that keeps a harvest moving), counting the launches whose report
//! deferred some slot.
std::size_t g_deferring_reports = 0;
class CountingEngine : public gpu_stream::DeviceEngine {
 public:
  explicit CountingEngine(std::unique_ptr<gpu_stream::DeviceEngine> e) : e_(std::move(e)) {}
  void load(const std::vector<gpu_stream::SlotCell>& c) override { e_->load(c); }
  void launch(int steps, bool drain_running) override { e_->launch(steps, drain_running); }
  void stop(const std::vector<int>& slots, CellStatus st) override { e_->stop(slots, st); }
  const gpu_stream::Report& collect() override {
    const gpu_stream::Report& r = e_->collect();
    g_deferring_reports += r.deferred > 0;
    return r;
  }
  void evict(const std::vector<int>& s, std::vector<CellRun>& r, std::vector<double>& w,
             std::vector<double>& m) override {
    e_->evict(s, r, w, m);
  }

 private:
  std::unique_ptr<gpu_stream::DeviceEngine> e_;
};
std::unique_ptr<gpu_stream::DeviceEngine> small_staging_engine(const gpu_stream::EngineSetup& setup) {
  gpu_stream::EngineSetup s = setup;
  s.harvest_rows = 1;
  return std::make_unique<CountingEngine>(gpu_stream::make_emulated_engine(s));
}
}  // namespace

TEST(Streaming, HarvestsThatDoNotFitAreDeferredWithoutLoss) {
  // A fine output grid (1 s) and a harvest staging of one row per slot: most slots'
  // outputs do not fit the launch that made them and come back with a later one (a
  // finished cell's slot is freed only then), and a hand-off waits for them. Called
  // through run_streamed directly to give the engine its small staging.
  BatchInputs in = ionflux::testing::equivalence_batch(1e-10, 1e-10);
  in.run.mesh = MeshSpec{8, 5, 7, 6, 9};
  in.run.period = 1.0;
  in.run.t_end = 600.0;
  // The 3C cell (36) stops at 480 s, as in handoff_batch: past ~509.8 s whether it reaches
  // the cut-off or ends on error-test failures depends on the residual's last bits
  // (batch_cases.hpp), and the CPU road and the device layout round differently.
  in.t_end.assign(in.cells.size(), 600.0);
  in.t_end[36] = 480.0;
  ionflux::testing::CollectSink cpu;
  run(in, Device::cpu, 4, 0, cpu);
  for (int handoff : {0, 3}) {
    ionflux::testing::CollectSink gpu;
    gpu_stream::StreamConfig cfg;
    cfg.slots = 4;
    cfg.chunk = 4;
    cfg.steps_per_launch = 64;
    cfg.threads = 2;
    cfg.handoff_below = static_cast<std::size_t>(handoff);
    cfg.write = [&](ChunkData& c) { gpu.write_chunk(c); };
    std::atomic<std::size_t> done{0};
    cfg.cell_done = [&]() { ++done; };  // also from the CPU threads that finish handed cells
    g_deferring_reports = 0;
    const gpu_stream::StreamStats st = gpu_stream::run_streamed(in, cfg, &small_staging_engine);
    EXPECT_GT(g_deferring_reports, 0u) << "some harvests were deferred";
    EXPECT_EQ(st.cells_opened, in.cells.size());
    EXPECT_EQ(done, in.cells.size()) << "every cell reported done once";
    if (handoff > 0) EXPECT_GE(st.handed_to_cpu, 1u);
    const double worst = ionflux::testing::compare_chunks(cpu.all, gpu.all, kSolvedCurrentRel);
    std::cout << "  1 s outputs, staging of one row per slot, hand-off below " << handoff << ": "
              << g_deferring_reports << " of " << st.launches << " launches deferred a harvest; "
              << st.handed_to_cpu << " handed to the CPU; largest relative voltage difference " << worst << "\n";
  }
}

TEST(Streaming, CancelledBeforeTheStartRunsNothing) {
  // A cancellation set before run_batch: no cell enters a slot, no chunk is written,
  // every cell counts as not run (as on the CPU road).
  EmulatedDevice emulated;
  const BatchInputs in = mixed_cost_batch();
  std::atomic<bool> cancel{true};
  ionflux::testing::CollectSink sink;
  BatchOptions o;
  o.device = Device::cuda;
  o.threads = 2;
  o.cancel = &cancel;
  const BatchSummary s = run_batch(in, o, &sink);
  EXPECT_TRUE(s.cancelled);
  EXPECT_EQ(s.chunks, 0u);
  EXPECT_EQ(s.not_run, in.cells.size());
  EXPECT_EQ(s.launches, 0u);
  EXPECT_EQ(sink.all.n, 0u);
}

namespace {
//! The emulated engine with every report's slots in reverse order: the CUDA engine's
//! harvest packs slots in whatever order its threads reach the counters.
class ReversingEngine : public gpu_stream::DeviceEngine {
 public:
  explicit ReversingEngine(std::unique_ptr<gpu_stream::DeviceEngine> e) : e_(std::move(e)) {}
  void load(const std::vector<gpu_stream::SlotCell>& c) override { e_->load(c); }
  void launch(int steps, bool drain_running) override { e_->launch(steps, drain_running); }
  void stop(const std::vector<int>& slots, CellStatus st) override { e_->stop(slots, st); }
  const gpu_stream::Report& collect() override {
    r_ = e_->collect();
    std::reverse(r_.slots.begin(), r_.slots.end());
    return r_;
  }
  void evict(const std::vector<int>& s, std::vector<CellRun>& r, std::vector<double>& w,
             std::vector<double>& m) override {
    e_->evict(s, r, w, m);
  }

 private:
  std::unique_ptr<gpu_stream::DeviceEngine> e_;
  gpu_stream::Report r_;
};
std::unique_ptr<gpu_stream::DeviceEngine> reversing_engine(const gpu_stream::EngineSetup& setup) {
  return std::make_unique<ReversingEngine>(gpu_stream::make_emulated_engine(setup));
}
}  // namespace

TEST(Streaming, ReportsInAnyOrderGiveTheSameResults) {
  // The same streamed run (4 slots, chunks of 4, a hand-off below 3) with each report's
  // slots in the engine's order and reversed: bit for bit the same chunks.
  BatchInputs in = ionflux::testing::equivalence_batch(1e-10, 1e-10);
  in.run.mesh = MeshSpec{8, 5, 7, 6, 9};
  in.run.t_end = 600.0;
  ionflux::testing::CollectSink plain, reversed;
  gpu_stream::StreamConfig cfg;
  cfg.slots = 4;
  cfg.chunk = 4;
  cfg.steps_per_launch = 16;
  cfg.threads = 2;
  cfg.handoff_below = 3;
  cfg.write = [&](ChunkData& c) { plain.write_chunk(c); };
  const gpu_stream::StreamStats a = gpu_stream::run_streamed(in, cfg, &gpu_stream::make_emulated_engine);
  cfg.write = [&](ChunkData& c) { reversed.write_chunk(c); };
  const gpu_stream::StreamStats b = gpu_stream::run_streamed(in, cfg, &reversing_engine);
  EXPECT_EQ(a.slot_refills, b.slot_refills);
  EXPECT_EQ(a.handed_to_cpu, b.handed_to_cpu);
  expect_identical(plain.all, reversed.all);
}

TEST(Streaming, CpuThreadsTakeQueuedCellsWhileTheDeviceWorks) {
  // GPU + CPU together: besides the thread that drives the (emulated) device, CPU
  // threads take cells from the same queue, in order, and run them with the CPU
  // per-cell code; chunks are still written in order, every cell once, and the batch
  // equals the CPU-only run. Explicitly (2 threads) and by default with --device auto
  // (all threads but one).
  const BatchInputs in = mixed_cost_batch();
  ionflux::testing::CollectSink cpu;
  run(in, Device::cpu, 5, 0, cpu);
  EmulatedDevice emulated;
  for (Device dev : {Device::cuda, Device::automatic}) {
    SCOPED_TRACE(device_name(dev));
    ionflux::testing::CollectSink both_ways;
    BatchOptions o;
    o.device = dev;
    o.threads = 3;
    o.memory_budget = 5 * bytes_per_cell(in);
    o.max_chunk_cells = 4;
    o.steps_per_launch = 16;
    o.gpu_handoff_cells = 2;
    if (dev == Device::cuda) o.gpu_cpu_threads = 2;
    const BatchSummary s = run_batch(in, o, &both_ways);
    ASSERT_EQ(both_ways.all.n, in.cells.size());
    EXPECT_EQ(s.device_used, Device::cuda);
    EXPECT_EQ(s.not_run, 0u);
    std::size_t on_cpu = 0, on_gpu = 0, handed = 0;
    for (std::size_t c = 0; c < both_ways.all.n; ++c) {
      EXPECT_NE(both_ways.all.status[c], kStatusNotRun) << "cell " << c;
      on_cpu += both_ways.all.device[c] == kRanOnCpu;
      on_gpu += both_ways.all.device[c] == kRanOnGpu;
      handed += both_ways.all.device[c] == kRanOnGpuThenCpu;
    }
    EXPECT_EQ(on_cpu + on_gpu + handed, valid_cells(in));
    EXPECT_EQ(on_cpu, s.taken_by_cpu);
    EXPECT_EQ(handed, s.handed_to_cpu);
    // the device holds 5 cells and runs a launch at a time on this thread, while the
    // CPU threads run cells whole: they take some of the 24 cells still queued (a build
    // without OpenMP has one CPU thread, which --device auto leaves to the device)
#ifdef _OPENMP
    EXPECT_GT(on_cpu, 0u);
#else
    if (dev == Device::cuda) EXPECT_GT(on_cpu, 0u);
#endif
    EXPECT_GT(on_gpu, 0u) << "the device's first fill";
    const double worst = ionflux::testing::compare_chunks(cpu.all, both_ways.all, kSolvedCurrentRel);
    std::cout << "  " << device_name(dev) << ": " << on_gpu << " cells on the GPU, " << on_cpu
              << " taken by the CPU threads, " << handed << " handed over; largest relative voltage difference "
              << worst << "\n";
  }
}

TEST(Streaming, DeviceOutOfMemoryHalvesTheSlotsAndLosesNothing) {
  // Issue 15 item 4: device memory exhausted at any of the engine's allocations (the
  // fault hook makes the n-th one fail, as cudaMalloc's cudaErrorMemoryAllocation
  // does on a GPU) makes the executor build the engine again with half the slots,
  // say so on stderr, and go on: every cell's results equal the run without the
  // fault, bit for bit (fewer slots change where and when a cell runs, not what it
  // computes: EveryStepOutputsStreamedEqualAllCellsResident). The emulated engine
  // makes 6 hooked allocations (gpu_emulated.cpp): the first, a middle one and the
  // last (the harvest staging) fail in turn; with 8 slots the retry has 4.
  const BatchInputs in = mixed_cost_batch();
  EmulatedDevice emulated;
  ionflux::testing::CollectSink ref;
  const BatchSummary r = run(in, Device::cuda, 8, 0, ref);
  ASSERT_EQ(r.device_slots, 8u);
  for (const long long nth : {1LL, 3LL, 6LL}) {
    SCOPED_TRACE("allocation " + std::to_string(nth) + " fails");
    gpu_stream::set_device_alloc_fault(nth);
    ::testing::internal::CaptureStderr();
    ionflux::testing::CollectSink got;
    BatchSummary s;
    EXPECT_NO_THROW(s = run(in, Device::cuda, 8, 0, got));
    const std::string log = ::testing::internal::GetCapturedStderr();
    gpu_stream::set_device_alloc_fault(0);
    EXPECT_EQ(s.device_slots, 4u);
    EXPECT_NE(log.find("out of device memory"), std::string::npos) << log;
    EXPECT_NE(log.find("for 8 device slots; retrying with 4 slots"), std::string::npos) << log;
    EXPECT_EQ(s.not_run, 0u);
    expect_identical(ref.all, got.all);
  }
  // out of memory with a single slot: one clear error, nothing hangs
  gpu_stream::set_device_alloc_fault(2);
  ionflux::testing::CollectSink none;
  try {
    run(in, Device::cuda, 1, 0, none);
    ADD_FAILURE() << "expected an error";
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("with a single device slot"), std::string::npos) << e.what();
  }
  gpu_stream::set_device_alloc_fault(0);
}

}  // namespace IONFLUX_TEST_FILE_ID
