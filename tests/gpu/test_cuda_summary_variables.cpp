// PyBaMM's per-cycle summary variables on the device (label `gpu`; skips cleanly without a
// device): the kernel records the lithium inventory at every step end in the slot arrays
// (kernels/backend/slots.hpp), so a CC-CV sweep on the CUDA engine (one thread per cell
// and a warp per cell alike) gives the summary variables of a CPU-only run within 1e-7
// relative (the two roads' round-off, as test_cuda_handoff). The host emulation of the same
// check runs in CI: tests/integration/test_summary_variables.cpp.
#include <gtest/gtest.h>

#include "solver/problem/batch.hpp"
#include "tests/equivalence/cycle_cases.hpp"

using namespace ionflux;

TEST(CudaSummaryVariables, CcCvSweepEqualsCpu) {
  if (!cuda_available()) GTEST_SKIP() << "no usable CUDA device: " << cuda_device_description();
  const ionflux::testing::CycleRun cpu =
      ionflux::testing::expect_device_equals_cpu(ionflux::testing::chen2020_cc_cv_batch(), 1e-7, 1e-12);
  EXPECT_EQ(cpu.variables.n_cycles, 2u);
}
