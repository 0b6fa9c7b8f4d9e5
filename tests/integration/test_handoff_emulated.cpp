// The GPU path of run_batch, hand-off to the CPU threads included, on a CPU-only machine:
// the host emulation of the device engine (gpu_stream::make_emulated_engine: the
// device's slot arrays and layout, kernels/backend/slots.hpp, with its launch, harvest
// and eviction rules) stands in for the device (cuda_backend::emulate_device_for_testing),
// under the same streaming executor (solver/backends/gpu_stream.cpp) the device runs under. The
// batch then finishes the handed cells on its CPU threads, as it does after a real
// device. Results must equal a CPU-only run within 1e-7 relative whichever "device"
// finished a cell (the interleaved path differs from the contiguous one at round-off
// level, ~rtol: see test_interleaved.cpp), with the per-cell device record and the
// hand-off count as designed. The real device runs the same checks in
// tests/gpu/test_cuda_handoff.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "solver/backends/backend_cuda.hpp"
#include "solver/problem/batch.hpp"
#include "tests/equivalence/batch_cases.hpp"
#include "tests/equivalence/compare_chunks.hpp"

namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)

using namespace ionflux;

namespace {

//! The emulated device for the life of a test.
struct EmulatedDevice {
  EmulatedDevice() { cuda_backend::emulate_device_for_testing(true); }
  ~EmulatedDevice() { cuda_backend::emulate_device_for_testing(false); }
};

struct Runs {
  ionflux::testing::CollectSink cpu, gpu;
  BatchSummary gpu_summary;
  std::size_t on_gpu = 0, both = 0, nowhere = 0;
};

Runs run_both(const BatchInputs& in, int handoff_cells, std::size_t max_chunk) {
  Runs r;
  BatchOptions o;
  o.device = Device::cpu;
  o.threads = 2;
  run_batch(in, o, &r.cpu);
  EmulatedDevice emulated;
  o.device = Device::cuda;
  o.gpu_handoff_cells = handoff_cells;
  o.max_chunk_cells = max_chunk;
  r.gpu_summary = run_batch(in, o, &r.gpu);
  for (signed char x : r.gpu.all.device)
    r.on_gpu += x == kRanOnGpu, r.both += x == kRanOnGpuThenCpu, r.nowhere += x == kRanNowhere;
  for (signed char x : r.cpu.all.device) EXPECT_TRUE(x == kRanOnCpu || x == kRanNowhere) << "CPU-only run";
  return r;
}

}  // namespace

TEST(HandOffEmulated, HeterogeneousBatchEqualsCpuOnly) {
  // 37 cells, 0.3C to 3C, a cut-off at t = 0, an invalid and a numerically failing cell;
  // most run 10 minutes, every fifth 40 (the stragglers the GPU hands over)
  const BatchInputs in = ionflux::testing::handoff_batch();  // (the 3C cell stops short of its knife edge)
  struct Variant {
    int handoff;
    std::size_t chunk;
  };
  for (const Variant& va : {Variant{8, 0}, Variant{8, 16}, Variant{0, 16}, Variant{-1, 0}, Variant{1000, 0}}) {
    SCOPED_TRACE("hand-off " + std::to_string(va.handoff) + ", chunk cap " + std::to_string(va.chunk));
    const Runs r = run_both(in, va.handoff, va.chunk);
    EXPECT_EQ(r.both, r.gpu_summary.handed_to_cpu);
    EXPECT_EQ(r.gpu_summary.device_description,
              va.handoff == 0 ? "host emulation of the CUDA launcher (tests)"
                              : "host emulation of the CUDA launcher (tests) + CPU, 2 threads");
    EXPECT_EQ(r.gpu.all.device[17], kRanNowhere) << "the invalid cell runs nowhere";
    EXPECT_EQ(r.nowhere, 1u);
    EXPECT_EQ(r.on_gpu + r.both + 1, in.cells.size());
    if (va.handoff == 0) {
      EXPECT_EQ(r.both, 0u) << "hand-off off: the GPU finishes every cell";
    } else if (va.handoff == 1000) {
      // threshold above the chunk: handed right after the initialisation; the cells that
      // ended there (cut-off at t = 0, failed initialisation) stay the GPU's
      EXPECT_EQ(r.both, in.cells.size() - 3);
    } else {
      // cells stream across chunks, and the hand-off comes once, when every cell has
      // entered the device: at most the threshold (automatic: a quarter of the slots or
      // of the cells, 9 of 37), whatever the chunks
      const std::size_t most = va.handoff > 0 ? 8u : 9u;
      EXPECT_GE(r.both, 1u);
      EXPECT_LE(r.both, most);
      EXPECT_GE(r.on_gpu, in.cells.size() - 1 - most);
    }
    const double worst = ionflux::testing::compare_chunks(r.cpu.all, r.gpu.all);
    std::cout << "  hand-off " << va.handoff << ", chunk cap " << va.chunk << ": " << r.on_gpu << " on the GPU, "
              << r.both << " handed to the CPU; largest relative voltage difference " << worst << "\n";
  }
}

TEST(HandOffEmulated, ProtocolsHandedMidSequenceEqualCpuOnly) {
  // 11 cells with their own protocols (CC-rest-CC-CV, constant power, a drive cycle, a
  // lumped thermal cell): handed over as soon as the first finishes (threshold 10), in
  // the middle of their step sequences, or right after the initialisation (1000)
  BatchInputs in =
      ionflux::testing::protocol_batch(1e-10, 1e-10, IONFLUX_SHARED_DIR "/reference-data/drive_cycles/US06.csv");
  in.run.mesh = MeshSpec{8, 5, 7, 6, 9};
  for (int handoff : {10, 1000}) {
    const Runs r = run_both(in, handoff, 0);
    EXPECT_EQ(r.both, handoff == 10 ? 10u : 11u);
    EXPECT_EQ(r.both, r.gpu_summary.handed_to_cpu);
    const double worst = ionflux::testing::compare_chunks(r.cpu.all, r.gpu.all);
    EXPECT_GT(r.cpu.all.charge_capacity[2], 0.0) << "the CC-rest-CC-CV cells charge";
    std::cout << "  protocols, hand-off " << handoff << ": " << r.both
              << " handed to the CPU; largest relative voltage difference " << worst << "\n";
  }
}

TEST(HandOffEmulated, CancellationMidStreamLeavesCellsInSlotsNotRun) {
  // Six device slots (the memory budget), chunks of four: cancel when the first chunk
  // is written. By then the freed slots hold cells of the next chunk(s), which are left
  // not run (no outputs, run nowhere) in the chunks written; the chunks never started
  // are not written and count as not run. Every cell written has a status (none
  // "running").
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
  EmulatedDevice emulated;
  BatchOptions o;
  o.device = Device::cuda;
  o.threads = 2;
  o.memory_budget = 6 * bytes_per_cell(in);
  o.max_chunk_cells = 4;
  o.gpu_handoff_cells = 4;
  o.cancel = &sink.cancel;
  const BatchSummary sum = run_batch(in, o, &sink);
  EXPECT_TRUE(sum.cancelled);
  EXPECT_GE(sum.chunks, 2u) << "the chunk(s) the cells in the slots belong to are written too";
  EXPECT_EQ(sink.all.n, 4 * sum.chunks);
  EXPECT_LT(sink.all.n, in.cells.size()) << "later chunks never started";
  std::size_t not_run = 0;
  for (std::size_t c = 0; c < sink.all.n; ++c) {
    EXPECT_NE(sink.all.status[c], static_cast<int>(CellStatus::running)) << "cell " << c;
    if (sink.all.status[c] != kStatusNotRun) continue;
    ++not_run;
    EXPECT_GE(c, 4u) << "the first chunk finished before the cancellation";
    EXPECT_EQ(sink.all.count[c], 0u) << "cell " << c;
    EXPECT_EQ(sink.all.device[c], kRanNowhere) << "cell " << c;
    EXPECT_TRUE(std::isnan(sink.all.end_time[c])) << "cell " << c;
  }
  EXPECT_GE(not_run, 1u) << "cells caught in a slot";
  EXPECT_EQ(sum.handed_to_cpu, 0u) << "cancelled before the queue ran dry";
  EXPECT_EQ(sum.not_run, not_run + (in.cells.size() - sink.all.n)) << "and the cells of the chunks never started";
}

}  // namespace IONFLUX_TEST_FILE_ID
