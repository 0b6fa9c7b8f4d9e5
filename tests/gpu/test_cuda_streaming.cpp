// Streaming on the device (label `gpu`; skips cleanly without a device): the checks of
// tests/integration/test_streaming.cpp (which run them on the host emulation in CI) on
// the CUDA engine: cells of different costs stream through 3 slots, refilled across
// chunks of 2, and equal a CPU-only run within 1e-7 relative (with and without a
// hand-off); every-step outputs streamed through 3 slots equal the same device with
// every cell resident, bit for bit; a cancellation mid-stream leaves the cells in slots
// not run. Sized for the device's per-step latency (each slot runs its cells one after
// the other: about 4 cells of a few hundred steps), so this stays seconds on an H200;
// the 100x cost spread is the CI test's (on the emulated device).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>

#include "solver/problem/batch.hpp"
#include "tests/equivalence/batch_cases.hpp"
#include "tests/equivalence/compare_chunks.hpp"
#include "tests/equivalence/streaming_cases.hpp"

using namespace ionflux;
using ionflux::testing::valid_cells;

namespace {
BatchSummary run(const BatchInputs& in, Device dev, std::size_t slots, int handoff, ChunkSink& sink,
                 const std::atomic<bool>* cancel = nullptr) {
  BatchOptions o;
  o.device = dev;
  o.memory_budget = slots * bytes_per_cell(in);  // the device's slots
  o.max_chunk_cells = 2;
  o.steps_per_launch = 16;
  o.gpu_handoff_cells = handoff;
  o.cancel = cancel;
  return run_batch(in, o, &sink);
}

//! The first 13 cells of the equivalence batch (0.3C to 1.2C, a cut-off at t = 0 (5), an
//! initialisation failure (11)) on a coarse mesh: 20 s each, every fourth 120 s.
BatchInputs small_batch(double period) {
  BatchInputs in = ionflux::testing::equivalence_batch(1e-10, 1e-10);
  const std::size_t n = 13;
  in.cells.resize(n);
  in.pre_status.resize(n);
  in.pre_message.resize(n);
  in.run.mesh = MeshSpec{8, 5, 7, 6, 9};
  in.run.period = period;
  in.t_end.resize(n);
  for (std::size_t c = 0; c < n; ++c) in.t_end[c] = c % 4 == 2 ? 120.0 : 20.0;
  in.run.t_end = 120.0;
  return in;
}
}  // namespace

TEST(Gpu, StreamingThroughFewSlotsEqualsCpuOnly) {
  if (!cuda_available()) GTEST_SKIP() << "no usable CUDA device: " << cuda_device_description();
  const BatchInputs in = small_batch(5.0);
  ionflux::testing::CollectSink cpu;
  run(in, Device::cpu, 3, 0, cpu);
  for (int handoff : {0, 2}) {
    ionflux::testing::CollectSink gpu;
    const BatchSummary s = run(in, Device::cuda, 3, handoff, gpu);
    ASSERT_EQ(gpu.all.n, in.cells.size());
    EXPECT_EQ(s.not_run, 0u);
    EXPECT_EQ(s.slot_refills, valid_cells(in) - 3);
    EXPECT_GT(s.cells_loaded_ahead, 0u);
    std::size_t both = 0;
    for (std::size_t c = 0; c < gpu.all.n; ++c) both += gpu.all.device[c] == kRanOnGpuThenCpu;
    EXPECT_EQ(both, s.handed_to_cpu);
    if (handoff == 0) EXPECT_EQ(both, 0u);
    const double worst = ionflux::testing::compare_chunks(cpu.all, gpu.all);
    std::printf("hand-off below %d: %zu launches, %zu refills, %zu handed; largest relative voltage difference "
                "vs CPU-only %.3e\n",
                handoff, s.launches, s.slot_refills, both, worst);
  }
}

TEST(Gpu, StreamedEveryStepOutputsEqualAllCellsResident) {
  if (!cuda_available()) GTEST_SKIP() << "no usable CUDA device: " << cuda_device_description();
  const BatchInputs in = small_batch(0.0);
  ionflux::testing::CollectSink resident, streamed;
  run(in, Device::cuda, 16, 0, resident);
  const BatchSummary s = run(in, Device::cuda, 3, 0, streamed);
  EXPECT_EQ(s.slot_refills, valid_cells(in) - 3);
  ionflux::testing::expect_identical(resident.all, streamed.all);
}

TEST(Gpu, CancellationMidStreamLeavesCellsInSlotsNotRun) {
  if (!cuda_available()) GTEST_SKIP() << "no usable CUDA device: " << cuda_device_description();
  const BatchInputs in = small_batch(5.0);
  struct CancelSink : ionflux::testing::CollectSink {
    std::atomic<bool> cancel{false};
    void write_chunk(const ChunkData& c) override {
      CollectSink::write_chunk(c);
      cancel = true;
    }
  } sink;
  const BatchSummary sum = run(in, Device::cuda, 3, 2, sink, &sink.cancel);
  EXPECT_TRUE(sum.cancelled);
  EXPECT_LT(sink.all.n, in.cells.size());
  std::size_t not_run = 0;
  for (std::size_t c = 0; c < sink.all.n; ++c) {
    EXPECT_NE(sink.all.status[c], static_cast<int>(CellStatus::running)) << "cell " << c;
    if (sink.all.status[c] != kStatusNotRun) continue;
    ++not_run;
    EXPECT_EQ(sink.all.count[c], 0u) << "cell " << c;
    EXPECT_EQ(sink.all.device[c], kRanNowhere) << "cell " << c;
  }
  EXPECT_EQ(sum.not_run, not_run + (in.cells.size() - sink.all.n));
}

TEST(Gpu, CpuThreadsAlongsideTheDeviceEqualCpuOnly) {
  // CPU threads take cells from the device's queue while it works (gpu_cpu_threads):
  // the same results, every cell once, chunks in order.
  if (!cuda_available()) GTEST_SKIP() << "no usable CUDA device: " << cuda_device_description();
  const BatchInputs in = small_batch(5.0);
  ionflux::testing::CollectSink cpu, both;
  run(in, Device::cpu, 3, 0, cpu);
  BatchOptions o;
  o.device = Device::cuda;
  o.memory_budget = 3 * bytes_per_cell(in);
  o.max_chunk_cells = 2;
  o.steps_per_launch = 16;
  o.gpu_cpu_threads = 2;
  const BatchSummary s = run_batch(in, o, &both);
  ASSERT_EQ(both.all.n, in.cells.size());
  std::size_t on_cpu = 0, on_gpu = 0, handed = 0;
  for (std::size_t c = 0; c < both.all.n; ++c) {
    on_cpu += both.all.device[c] == kRanOnCpu;
    on_gpu += both.all.device[c] == kRanOnGpu;
    handed += both.all.device[c] == kRanOnGpuThenCpu;
  }
  EXPECT_EQ(on_cpu + on_gpu + handed, valid_cells(in));
  EXPECT_EQ(on_cpu, s.taken_by_cpu);
  const double worst = ionflux::testing::compare_chunks(cpu.all, both.all);
  std::printf("%zu cells on the GPU, %zu taken by the CPU threads, %zu handed; largest relative voltage difference "
              "vs CPU-only %.3e\n",
              on_gpu, on_cpu, handed, worst);
}
