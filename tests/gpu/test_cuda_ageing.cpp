// An ageing sweep on the CUDA engine against the CPU threads (label `gpu`; skips cleanly
// without a device): OKane2022 with SEI (solvent-diffusion limited) + SEI porosity change +
// partially reversible plating, 4 cells varying the SEI and plating kinetics and the C-rate,
// 3 CC-CV cycles on a coarse mesh (tests/equivalence/cycle_cases.hpp, ageing_sweep_config),
// isothermal and with the lumped thermal model; a warp per cell and one thread per cell.
//
// Bounds (tests/equivalence/cycle_cases.hpp says why): voltages, times, temperatures and
// per-step records within compare_chunks' 1e-7 relative, the currents of the CV holds
// within kHoldCurrentRel (1e-6), the per-cycle summary variables within 1e-7 relative (a
// "Change in" column: of the two values it is the difference of): what the host emulation
// of the same engine meets on the same sweep in CI (tests/integration/test_ageing_emulated.cpp),
// and the 1e-7 that DegradationEmulatedGpu (tests/integration/degradation/test_degradation.cpp)
// holds the degradation options to. The device's arithmetic differs from the emulation's
// only in contraction (FMA) and the order of the team's sums, round-off of the same size
// (the plain DFN's CUDA-vs-CPU voltages agree to ~2e-9, issue 11); the tight tolerances
// (rtol = atol = 1e-10, as test_cuda_lhs) keep round-off from moving a step's acceptance,
// which would make differences of the size of the tolerance instead.
#include <gtest/gtest.h>

#include <vector>

#include "solver/problem/batch.hpp"
#include "tests/equivalence/cycle_cases.hpp"

using namespace ionflux;

namespace {

void check(bool lumped) {
  if (!cuda_available()) GTEST_SKIP() << "no usable CUDA device: " << cuda_device_description();
  const ionflux::testing::CycleBatch b = ionflux::testing::planned_cycle_batch(ionflux::testing::ageing_sweep_config(
      lumped, ionflux::testing::kAgeingRtol, ionflux::testing::kAgeingAtol));
  ASSERT_EQ(b.in.size(), 4u);
  // a warp per cell (the default) in both; one thread per cell in the isothermal one (the
  // same kernels: the team width changes only who does the work), to keep the gpu-labelled
  // tests short (1e4 .. 3e4 steps per cell)
  std::vector<const char*> teams = {"32"};
  if (!lumped) teams.push_back("1");
  const ionflux::testing::CycleRun cpu = ionflux::testing::expect_device_equals_cpu(
      b, 1e-7, ionflux::testing::kSummaryFloor, teams, ionflux::testing::kHoldCurrentRel);
  ionflux::testing::expect_ageing_happened(cpu);
}

}  // namespace

TEST(CudaAgeing, SeiPlatingPorositySweepEqualsCpu) { check(false); }
TEST(CudaAgeing, WithLumpedThermalEqualsCpu) { check(true); }
