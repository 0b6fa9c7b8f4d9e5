// An ageing sweep on the device engine's host emulation (solver/backends/gpu_emulated.cpp:
// the slot arrays and interleaved layout of the CUDA engine, run on the CPU) against the
// CPU threads: OKane2022 with SEI (solvent-diffusion limited) + SEI porosity change +
// partially reversible plating, 4 cells varying the SEI and plating kinetics and the C-rate,
// 3 CC-CV cycles (tests/equivalence/cycle_cases.hpp, ageing_sweep_config), isothermal and
// with the lumped thermal model. The same check on CUDA: tests/gpu/test_cuda_ageing.cpp.
//
// Bounds (cycle_cases.hpp says why): outputs and per-step records within compare_chunks'
// 1e-7 relative; the output times within kAgeingTimeRel and the currents within
// kAgeingCurrentRel: the two roads round differently (the interleaved layout, the team's
// reductions), so from some step on they take different steps (even at rtol = atol = 1e-10)
// and differ by the integrator's error, which the ends of the CV holds (|I| = C/5, a slowly
// falling current) turn into event times that differ by up to 1.15e-3 s, and the later
// holds' currents at the same output times with them; the summary variables (each cycle's
// end is a hold's end) within kAgeingTimeRel of the CPU's (a "Change in" column: of the two
// values it is the difference of).
// Tolerances rtol = atol = 1e-10 (kAgeingRtol), as the other device-vs-CPU tests.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "solver/backends/backend_cuda.hpp"
#include "solver/inputs/experiment.hpp"
#include "solver/inputs/sweep.hpp"
#include "solver/problem/batch.hpp"
#include "solver/problem/sweep_plan.hpp"
#include "tests/equivalence/cycle_cases.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

struct EmulatedDevice {
  EmulatedDevice() { cuda_backend::emulate_device_for_testing(true); }
  ~EmulatedDevice() { cuda_backend::emulate_device_for_testing(false); }
};

void check(bool lumped) {
  const testing::CycleBatch b =
      testing::planned_cycle_batch(testing::ageing_sweep_config(lumped, testing::kAgeingRtol, testing::kAgeingAtol));
  ASSERT_EQ(b.in.size(), 4u);
  EmulatedDevice emulated;
  const testing::CycleRun cpu =
      testing::expect_device_equals_cpu(b, testing::kAgeingTimeRel, testing::kSummaryFloor, {"32", "1"},
                                        testing::kAgeingCurrentRel, testing::kAgeingTimeRel);
  testing::expect_ageing_happened(cpu);
}

TEST(AgeingEmulatedDevice, SeiPlatingPorositySweepEqualsCpu) { check(false); }

// The experiment's termination (ExperimentEnd) through the device engine's slot arrays:
// "100% capacity" (the eSOH solve in the kernel at the first cycle's end meets it, as in
// PyBaMM) and "4 V" (the first cycle's discharges, 10 minutes at 0.5C to 1.4C, reach 3.99
// to 3.67 V) end every cell after its first cycle, on both roads alike; without a
// termination every cell runs its 3 cycles (expect_ageing_happened).
TEST(AgeingEmulatedDevice, ExperimentTerminationEqualsCpu) {
  for (const std::vector<std::string>& term : {std::vector<std::string>{"100% capacity"}, {"4 V"}}) {
    testing::CycleBatch b =
        testing::planned_cycle_batch(testing::ageing_sweep_config(false, testing::kAgeingRtol, testing::kAgeingAtol));
    b.in.run.experiment_end = parse_experiment_termination(term);
    EmulatedDevice emulated;
    const testing::CycleRun cpu =
        testing::expect_device_equals_cpu(b, testing::kAgeingTimeRel, testing::kSummaryFloor, {"32", "1"},
                                          testing::kAgeingCurrentRel, testing::kAgeingTimeRel);
    const std::vector<double>* q = cpu.variables.find("Capacity [A.h]");
    ASSERT_TRUE(q != nullptr);
    for (std::size_t c = 0; c < b.in.size(); ++c) {
      EXPECT_EQ(cpu.results.status[c], static_cast<int>(CellStatus::experiment_end)) << term[0] << ", cell " << c;
      EXPECT_TRUE(std::isfinite((*q)[c * cpu.variables.n_cycles])) << "cycle 0 ran";
      EXPECT_TRUE(std::isnan((*q)[c * cpu.variables.n_cycles + 1])) << "cycle 1 did not run";
      EXPECT_NE(cpu.results.message[c].find("was reached at the end of cycle 0"), std::string::npos)
          << cpu.results.message[c];
    }
  }
}
TEST(AgeingEmulatedDevice, WithLumpedThermalEqualsCpu) { check(true); }

TEST(AgeingSweepExample, IsTheThousandCellAgeingCaseOfGpuCheck) {
  // examples/sweep_ageing_okane2022.json, what benchmarks/gpu_check.sh's `ageing`,
  // `walltime` steps run (sed-editing "cycles" and "solver"): it plans, with the options
  // of the tests above, 10 x 10 x 10 cells and 3 cycles
  std::ifstream f(std::string(IONFLUX_FIXTURES_DIR) + "/../../examples/sweep_ageing_okane2022.json");
  ASSERT_TRUE(f) << "examples/sweep_ageing_okane2022.json";
  std::stringstream text;
  text << f.rdbuf();
  const SweepSpec spec = parse_sweep_config(text.str(), "sweep_ageing_okane2022.json");
  EXPECT_EQ(spec.model.sei[0], SeiModel::solvent_diffusion_limited);
  EXPECT_EQ(spec.model.plating[0], PlatingModel::partially_reversible);
  EXPECT_TRUE(spec.model.porosity_change);
  EXPECT_EQ(spec.cycles, 3);
  EXPECT_NE(text.str().find("\"cycles\": 3"), std::string::npos);          // gpu_check.sh's sed patterns
  EXPECT_NE(text.str().find("\"solver\": {"), std::string::npos);
  const SweepPlan plan = plan_sweep(spec);
  EXPECT_EQ(plan.inputs.size(), 1000u);
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
