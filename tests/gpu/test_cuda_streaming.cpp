// Streaming on the device (label `gpu`; skips cleanly without a device): the checks of
// tests/integration/test_streaming.cpp (which run them on the host emulation in CI) on
// the CUDA engine: cells whose costs differ 100x stream through 5 slots, refilled
// across chunks of 4, and equal a CPU-only run within 1e-7 relative; every-step outputs
// streamed through 3 slots equal the same device with every cell resident, bit for bit;
// a cancellation mid-stream leaves the cells in slots not run. Small on purpose (a
// coarse mesh): the per-launch cost dominates, so this is seconds on an H200.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>

#include "solver/batch.hpp"
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
  o.max_chunk_cells = 4;
  o.steps_per_launch = 16;
  o.gpu_handoff_cells = handoff;
  o.cancel = cancel;
  return run_batch(in, o, &sink);
}
}  // namespace

TEST(Gpu, StreamingThroughFewSlotsEqualsCpuOnly) {
  if (!cuda_available()) GTEST_SKIP() << "no usable CUDA device: " << cuda_device_description();
  const BatchInputs in = ionflux::testing::mixed_cost_batch();
  ionflux::testing::CollectSink cpu;
  run(in, Device::cpu, 5, 0, cpu);
  for (int handoff : {0, 2}) {
    ionflux::testing::CollectSink gpu;
    const BatchSummary s = run(in, Device::cuda, 5, handoff, gpu);
    ASSERT_EQ(gpu.all.n, in.cells.size());
    EXPECT_EQ(s.not_run, 0u);
    EXPECT_EQ(s.slot_refills, valid_cells(in) - 5);
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
  BatchInputs in = ionflux::testing::equivalence_batch(1e-10, 1e-10);
  in.run.mesh = MeshSpec{8, 5, 7, 6, 9};
  in.run.period = 0.0;
  in.t_end.resize(in.cells.size());
  for (std::size_t c = 0; c < in.cells.size(); ++c) in.t_end[c] = c % 6 == 2 ? 1800.0 : 20.0;
  ionflux::testing::CollectSink resident, streamed;
  run(in, Device::cuda, 64, 0, resident);
  const BatchSummary s = run(in, Device::cuda, 3, 0, streamed);
  EXPECT_EQ(s.slot_refills, valid_cells(in) - 3);
  ionflux::testing::expect_identical(resident.all, streamed.all);
}

TEST(Gpu, CancellationMidStreamLeavesCellsInSlotsNotRun) {
  if (!cuda_available()) GTEST_SKIP() << "no usable CUDA device: " << cuda_device_description();
  BatchInputs in = ionflux::testing::equivalence_batch(1e-8, 1e-8);
  in.run.mesh = MeshSpec{8, 5, 7, 6, 9};
  in.run.t_end = 1200.0;
  struct CancelSink : ionflux::testing::CollectSink {
    std::atomic<bool> cancel{false};
    void write_chunk(const ChunkData& c) override {
      CollectSink::write_chunk(c);
      cancel = true;
    }
  } sink;
  const BatchSummary sum = run(in, Device::cuda, 6, 4, sink, &sink.cancel);
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
