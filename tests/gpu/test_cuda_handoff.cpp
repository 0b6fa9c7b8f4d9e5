// GPU + CPU together (issue 11, "no stragglers"): when every cell has entered the
// device and only a few are still running, the GPU hands them, half-finished, to the
// CPU threads, which finish them with the same per-cell code (solver/backends/gpu_stream.cpp). Results equal a CPU-only run
// within 1e-7 relative whichever device finished a cell (label `gpu`; skips cleanly
// without a device). Small on purpose: a coarse mesh and short ends keep the GPU part
// to seconds; rtol = atol = 1e-10 keeps step-size decisions that a last-bit difference
// could flip far below the bound (as in test_cuda_equivalence.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "solver/problem/batch.hpp"
#include "tests/equivalence/batch_cases.hpp"
#include "tests/equivalence/compare_chunks.hpp"

using namespace ionflux;

namespace {

struct Runs {
  ionflux::testing::CollectSink cpu, gpu;
  BatchSummary gpu_summary;
};

Runs run_both(const BatchInputs& in, int handoff_cells, std::size_t max_chunk) {
  Runs r;
  BatchOptions o;
  o.device = Device::cpu;
  run_batch(in, o, &r.cpu);
  o.device = Device::cuda;
  o.gpu_handoff_cells = handoff_cells;
  o.max_chunk_cells = max_chunk;
  r.gpu_summary = run_batch(in, o, &r.gpu);
  return r;
}

//! Where each cell ran, counted.
void count_devices(const ChunkData& d, std::size_t& gpu, std::size_t& both) {
  gpu = both = 0;
  for (signed char x : d.device) gpu += x == kRanOnGpu, both += x == kRanOnGpuThenCpu;
}

}  // namespace

TEST(Gpu, HandOffToCpuEqualsCpuOnAHeterogeneousBatch) {
  if (!cuda_available()) GTEST_SKIP() << "no usable CUDA device: " << cuda_device_description();
  // 37 cells, 0.3C to 3C, with a cut-off at t = 0, an invalid and a numerically failing
  // cell; most run 10 minutes, every fifth 40 (the stragglers)
  const BatchInputs in = ionflux::testing::handoff_batch();  // (the 3C cell stops short of its knife edge)
  for (std::size_t max_chunk : {std::size_t(0), std::size_t(16)}) {  // one chunk; three chunks
    const Runs r = run_both(in, 8, max_chunk);
    std::size_t on_gpu = 0, both = 0;
    count_devices(r.gpu.all, on_gpu, both);
    EXPECT_GT(both, 0u) << "some cells were handed to the CPU";
    EXPECT_GT(on_gpu, 0u) << "the GPU finished the others";
    EXPECT_EQ(both, r.gpu_summary.handed_to_cpu);
    EXPECT_EQ(r.gpu.all.device[17], kRanNowhere) << "the invalid cell runs nowhere";
    const double worst = ionflux::testing::compare_chunks(r.cpu.all, r.gpu.all);
    std::printf("chunk cap %zu: %zu cells finished on the GPU, %zu handed to the CPU; largest relative voltage "
                "difference vs CPU-only %.3e\n",
                max_chunk, on_gpu, both, worst);
  }
}

TEST(Gpu, HandOffMidProtocolEqualsCpu) {
  // 11 cells with their own protocols (CC-rest-CC-CV, constant power, drive cycle, a
  // lumped thermal cell): the GPU hands 10 of them over as soon as the first finishes,
  // in the middle of their step sequences; and with a threshold above the chunk size
  // the GPU only initialises and the CPU does every step.
  if (!cuda_available()) GTEST_SKIP() << "no usable CUDA device: " << cuda_device_description();
  BatchInputs in =
      ionflux::testing::protocol_batch(1e-10, 1e-10, IONFLUX_SHARED_DIR "/reference-data/drive_cycles/US06.csv");
  in.run.mesh = MeshSpec{8, 5, 7, 6, 9};
  for (int handoff : {10, 1000}) {
    const Runs r = run_both(in, handoff, 0);
    std::size_t on_gpu = 0, both = 0;
    count_devices(r.gpu.all, on_gpu, both);
    EXPECT_GE(both, 10u);
    const double worst = ionflux::testing::compare_chunks(r.cpu.all, r.gpu.all);
    std::printf("hand-off below %d cells: %zu handed to the CPU; largest relative voltage difference vs CPU-only "
                "%.3e\n",
                handoff, both, worst);
  }
}
