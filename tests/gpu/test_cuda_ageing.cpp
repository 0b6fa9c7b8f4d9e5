// An ageing sweep on the CUDA engine against the CPU threads (label `gpu`; skips cleanly
// without a device): OKane2022 with SEI (solvent-diffusion limited) + SEI porosity change +
// partially reversible plating, 4 cells varying the SEI and plating kinetics and the C-rate,
// 3 CC-CV cycles on a coarse mesh (tests/equivalence/cycle_cases.hpp, ageing_sweep_config),
// isothermal and with the lumped thermal model; a warp per cell and one thread per cell.
//
// Bounds (tests/equivalence/cycle_cases.hpp says why): voltages and temperatures within
// compare_chunks' 1e-7 relative, the output times within kAgeingTimeRel (1.24e-6), the
// currents and the per-step records (they integrate the current) within kAgeingCurrentRel
// (7.1e-5), the per-cycle summary variables (a cycle ends at a hold's end) within
// kAgeingTimeRel (a "Change in" column: of the two values it is the difference of): the
// roads take different step sequences (round-off moves an error test's verdict, even at
// rtol = atol = 1e-10), so a hold's end at |I| = C/5 moves by up to 1.15e-3 s and the later
// holds' currents at the same output times move with it. The same bounds as the host
// emulation of the engine on the same sweep in CI (tests/integration/test_ageing_emulated.cpp).
// The device's arithmetic differs from the emulation's in contraction (FMA), the order of
// the team's sums (the CPU's BDF norms are eight-lane sums, a device team of 1 a running
// sum) and exp/tanh/10^x in user functions (libm on the device, expr::exp_core on the CPU):
// round-off, which the bounds above do not depend on.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "solver/inputs/experiment.hpp"
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
      b, ionflux::testing::kAgeingTimeRel, ionflux::testing::kSummaryFloor, teams,
      ionflux::testing::kAgeingCurrentRel, ionflux::testing::kAgeingTimeRel);
  ionflux::testing::expect_ageing_happened(cpu);
}

}  // namespace

TEST(CudaAgeing, SeiPlatingPorositySweepEqualsCpu) { check(false); }
TEST(CudaAgeing, WithLumpedThermalEqualsCpu) { check(true); }

// The experiment's termination on the device (the eSOH solve in the kernel at each cycle's
// end; tests/integration/test_ageing_emulated.cpp runs the same on the host emulation):
// "100% capacity" and "4 V" end every cell after its first cycle, as on the CPU.
TEST(CudaAgeing, ExperimentTerminationEqualsCpu) {
  if (!cuda_available()) GTEST_SKIP() << "no usable CUDA device: " << cuda_device_description();
  for (const std::vector<std::string>& term : {std::vector<std::string>{"100% capacity"}, {"4 V"}}) {
    ionflux::testing::CycleBatch b = ionflux::testing::planned_cycle_batch(ionflux::testing::ageing_sweep_config(
        false, ionflux::testing::kAgeingRtol, ionflux::testing::kAgeingAtol));
    b.in.run.experiment_end = parse_experiment_termination(term);
    const ionflux::testing::CycleRun cpu = ionflux::testing::expect_device_equals_cpu(
        b, ionflux::testing::kAgeingTimeRel, ionflux::testing::kSummaryFloor, {"32"},
        ionflux::testing::kAgeingCurrentRel, ionflux::testing::kAgeingTimeRel);
    for (std::size_t c = 0; c < b.in.size(); ++c)
      EXPECT_EQ(cpu.results.status[c], static_cast<int>(CellStatus::experiment_end)) << term[0] << ", cell " << c;
  }
}
