// PyBaMM's per-cycle summary variables (issue 16, "Outputs"; solver/output/summary.hpp,
// kernels/model/inventory.hpp) against PyBaMM 26.10.1.1: tests/fixtures/
// pybamm_summary_variables.json, written by tests/fixtures/generate_pybamm_summary_fixture.py
// (Chen2020 and OKane2022 without degradation, 3 x (1C discharge to 2.5 V, 10 min rest,
// 1C charge to 4.2 V, hold at 4.2 V to C/20), DFN, 20 cells everywhere, IDAKLU at
// rtol = atol = 1e-10; and ElectrodeSOHSolver solves on given capacities).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "solver/backends/backend_cuda.hpp"
#include "solver/inputs/experiment.hpp"
#include "solver/output/results.hpp"
#include "solver/output/summary.hpp"
#include "solver/problem/batch.hpp"
#include "solver/inputs/sweep.hpp"
#include "solver/problem/problem.hpp"
#include "solver/problem/sweep_plan.hpp"
#include "tests/equivalence/cycle_cases.hpp"
#include "tests/test_support.hpp"

namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)

using namespace ionflux;

namespace {

const ionflux::testing::json& fixture() { return ionflux::testing::load_fixture("pybamm_summary_variables.json"); }

std::vector<std::vector<std::string>> groups_of(const ionflux::testing::json& ops) {
  std::vector<std::vector<std::string>> g;
  for (const auto& op : ops) g.push_back(op.get<std::vector<std::string>>());
  return g;
}

Solution run_fixture(const std::string& set) {
  const ionflux::testing::json& r = fixture()["runs"][set];
  const ParameterSet ps = ParameterSet::load(set);
  ProblemBuilder pb(ps);
  pb.experiment(parse_experiment(groups_of(r["experiment"]), 1, ps));
  pb.mesh(MeshSpec{20, 20, 20, 20, 20});  // PyBaMM's default, as the fixture
  return simulate(pb.build());
}

//! |ours - theirs| <= rel |theirs| for every cycle of `name`.
void expect_rel(const SummaryVariables& sv, const ionflux::testing::json& theirs, const std::string& name, double rel) {
  const std::vector<double>* v = sv.find(name);
  ASSERT_NE(v, nullptr) << name;
  ASSERT_TRUE(theirs.contains(name)) << name;
  const std::vector<double> ref = ionflux::testing::to_vec(theirs[name]);
  ASSERT_EQ(v->size(), ref.size()) << name;
  for (std::size_t c = 0; c < ref.size(); ++c)
    EXPECT_LE(std::fabs((*v)[c] - ref[c]), rel * std::fabs(ref[c])) << name << ", cycle " << c;
}
//! |ours - theirs| <= tol for every cycle of `name`.
void expect_abs(const SummaryVariables& sv, const ionflux::testing::json& theirs, const std::string& name, double tol) {
  const std::vector<double>* v = sv.find(name);
  ASSERT_NE(v, nullptr) << name;
  ASSERT_TRUE(theirs.contains(name)) << name;
  const std::vector<double> ref = ionflux::testing::to_vec(theirs[name]);
  ASSERT_EQ(v->size(), ref.size()) << name;
  for (std::size_t c = 0; c < ref.size(); ++c) EXPECT_NEAR((*v)[c], ref[c], tol) << name << ", cycle " << c;
}

void check_against_pybamm(const std::string& set) {
  SCOPED_TRACE(set);
  const ionflux::testing::json& r = fixture()["runs"][set];
  const ionflux::testing::json& theirs = r["summary"];
  const Solution sol = run_fixture(set);
  ASSERT_EQ(sol.status, CellStatus::finished) << sol.message;
  const SummaryVariables& sv = sol.summary_variables;
  ASSERT_EQ(sv.n_cycles, 3u);
  // every PyBaMM summary variable of the fixture has a column, but "Local ECM resistance
  // [Ohm]" (not given: docs/hdf5_layout.md)
  for (auto it = theirs.begin(); it != theirs.end(); ++it)
    if (it.key().find("ECM") == std::string::npos) EXPECT_NE(sv.find(it.key()), nullptr) << it.key();
  // eSOH at the cycles' end states (§9.3): 1e-6 relative. Without degradation the
  // cyclable lithium is conserved by both solvers (to ~1e-13, fixture's LLI), so the
  // capacity is the eSOH solve of the same Q_n, Q_p, Q_Li.
  for (const char* name : {"Capacity [A.h]", "x_100", "x_0", "y_100", "y_0", "Cyclable lithium capacity [A.h]",
                           "Formation capacity loss [A.h]", "NPR", "Q_n", "Q_p", "Negative electrode capacity [A.h]",
                           "Positive electrode capacity [A.h]", "Un(x_100)", "Up(y_0)", "Practical NPR"})
    expect_rel(sv, theirs, name, 1e-6);
  // lithium totals (§9.1): 1e-6 relative. The per-electrode totals depend on where each
  // step ended (the state accuracy: ~1e-7 relative here); the sums are conserved.
  for (const char* name : {"Total lithium [mol]", "Total lithium in particles [mol]", "Total lithium in electrolyte [mol]",
                           "Total lithium in negative electrode [mol]", "Total lithium in positive electrode [mol]"})
    expect_rel(sv, theirs, name, 1e-6);
  // LLI and the lithium lost: PyBaMM's own drift of the conserved lithium is ~8e-12 % of
  // n_part,0 after 3 cycles (IDA at 1e-10); ionflux's ~1e-13 %. Both are round-off of a
  // conserved quantity: held to 1e-10 % (i.e. 1e-12 of the inventory).
  for (const char* name : {"Loss of lithium inventory [%]", "Loss of lithium inventory, including electrolyte [%]",
                           "Loss of active material in negative electrode [%]",
                           "Loss of active material in positive electrode [%]"})
    expect_abs(sv, theirs, name, 1e-10);
  for (const char* name : {"Total lithium lost [mol]", "Total lithium lost from particles [mol]",
                           "Total lithium lost from electrolyte [mol]", "Change in total lithium [mol]"})
    expect_abs(sv, theirs, name, 1e-12 * r["references"]["n_Li_init"].get<double>());
  // the degradation losses are 0 without degradation, in both
  for (const char* name : {"Loss of lithium to negative SEI [mol]", "Loss of capacity to negative lithium plating [A.h]",
                           "Total capacity lost to side reactions [A.h]", "Change in loss of capacity to negative SEI [A.h]"})
    expect_abs(sv, theirs, name, 0.0);
  // throughput (issue: 1e-4 relative); PyBaMM's energy throughput is 0 without its
  // "calculate discharge energy" option, so only the capacity is compared
  expect_rel(sv, theirs, "Throughput capacity [A.h]", 1e-4);
  expect_rel(sv, theirs, "Change in throughput capacity [A.h]", 1e-4);
  expect_rel(sv, theirs, "Time [s]", 1e-4);
  // the change of a per-electrode total over a cycle is ~1e-11 of the total in PyBaMM (the
  // cycles repeat): compared on the scale of the total
  for (const char* name : {"Change in total lithium in negative electrode [mol]",
                           "Change in total lithium in positive electrode [mol]"})
    expect_abs(sv, theirs, name, 1e-6 * r["references"]["n_Li_particles_init"].get<double>());
}

}  // namespace

TEST(SummaryVariables, Chen2020CcCvCyclesMatchPyBaMM) { check_against_pybamm("Chen2020"); }
TEST(SummaryVariables, OKane2022CcCvCyclesMatchPyBaMM) { check_against_pybamm("OKane2022"); }

TEST(SummaryVariables, ReferenceValuesArePyBaMMsParameterExpressions) {
  // n_Li_particles_init, n_Li_e_init, Q_n_init, Q_p_init evaluated by PyBaMM's
  // ParameterValues (fixture "references"): the same parameter expressions, to round-off
  for (const std::string set : {"Chen2020", "OKane2022"}) {
    const ionflux::testing::json& refs = fixture()["runs"][set]["references"];
    const CellParams cell = ParameterSet::load(set).cell_params(5.0);
    double out[kCellSummaryFields];
    cell_summary_inputs(cell, Layout::make(MeshSpec{20, 20, 20, 20, 20}), out);
    const double* ref = out + kCellReference;
    EXPECT_NEAR(ref[kRefLithiumParticles], refs["n_Li_particles_init"].get<double>(), 1e-14 * 0.3) << set;
    EXPECT_NEAR(ref[kRefLithiumElyte], refs["n_Li_e_init"].get<double>(), 1e-14 * 0.01) << set;
    EXPECT_NEAR(ref[kRefCapacityNeg], refs["Q_n_init"].get<double>(), 1e-14 * 10) << set;
    EXPECT_NEAR(ref[kRefCapacityPos], refs["Q_p_init"].get<double>(), 1e-14 * 10) << set;
    // the inventory of the initial state (exact shell volumes) equals them to round-off
    EXPECT_NEAR(out[kCellStartInventory + kInvLithiumNeg] + out[kCellStartInventory + kInvLithiumPos],
                ref[kRefLithiumParticles], 1e-13 * ref[kRefLithiumParticles]);
    EXPECT_NEAR(out[kCellStartInventory + kInvLithiumElyte], ref[kRefLithiumElyte], 1e-13 * ref[kRefLithiumElyte]);
  }
}

TEST(SummaryVariables, EsohSolveMatchesPyBaMMsElectrodeSOHSolver) {
  // fixture "esoh_cases": ElectrodeSOHSolver(parameter_values).solve({Q_n, Q_p, Q_Li})
  // (PyBaMM's algebraic solve to its tolerance); ionflux's Brent solve: 1e-12 relative
  for (const std::string set : {"Chen2020", "OKane2022"}) {
    const CellParams cell = ParameterSet::load(set).cell_params(5.0);
    for (const auto& c : fixture()["esoh_cases"][set]) {
      const auto& in = c["inputs"];
      const auto& o = c["outputs"];
      const Esoh e = solve_esoh(cell, in["Q_n"].get<double>(), in["Q_p"].get<double>(), in["Q_Li"].get<double>(),
                                cell.ocv_soc_0, cell.ocv_soc_100);
      SCOPED_TRACE(set + ", Q_n = " + std::to_string(in["Q_n"].get<double>()));
      for (auto [ours, name] : {std::pair<double, const char*>{e.x_100, "x_100"}, {e.x_0, "x_0"}, {e.y_100, "y_100"},
                                {e.y_0, "y_0"}, {e.capacity, "Capacity [A.h]"}, {e.un_100, "Un(x_100)"},
                                {e.up_0, "Up(y_0)"}})
        EXPECT_NEAR(ours, o[name].get<double>(), 1e-12 * std::fabs(o[name].get<double>())) << name;
    }
    // no stoichiometry reaches the OCV window: NaN, not an exception
    const Esoh bad = solve_esoh(cell, 5.0, 5.0, 5.0, cell.ocv_soc_0, 9.0);
    EXPECT_TRUE(std::isnan(bad.capacity));
  }
}

TEST(SummaryVariables, EmulatedDeviceRecordsTheSameInventories) {
  // The GPU road (the host emulation of the slot arrays, kernels/backend/slots.hpp) records
  // the inventory at every step end like the CPU road: a sweep of 4 cells (C-rates 0.5C to
  // 2C on the same CC-CV cycles, coarse mesh) gives the same summary variables either way,
  // to the round-off difference of the two roads (1e-7 relative, as test_handoff_emulated).
  const ionflux::testing::CycleBatch batch = ionflux::testing::chen2020_cc_cv_batch();
  BatchOptions o;
  o.threads = 1;
  o.device = Device::cpu;
  const SummaryVariables cpu = ionflux::testing::run_cycle_batch(batch, o).variables;
  cuda_backend::emulate_device_for_testing(true);
  o.device = Device::cuda;
  const SummaryVariables gpu = ionflux::testing::run_cycle_batch(batch, o).variables;
  cuda_backend::emulate_device_for_testing(false);
  ASSERT_EQ(cpu.n_cycles, 2u);
  ionflux::testing::compare_summary_variables(cpu, gpu, 1e-7, 1e-12);
  // and the eSOH capacity is the same for every cell (no degradation: the C-rate moves
  // no lithium), the cell's own (§9.3)
  const std::vector<double>& cap = *cpu.find("Capacity [A.h]");
  for (double q : cap) EXPECT_NEAR(q, cap[0], 1e-9 * cap[0]);
}

TEST(SummaryVariables, VaryingTheOcvLimitsIsAcceptedWithAnExperiment) {
  // "Open-circuit voltage at 100% SOC [V]" sets V_max of the eSOH: with an experiment it
  // changes the cells' summary variables, so a sweep may vary it (without one it changes
  // nothing and is refused: tests/integration/test_setup_checks.cpp)
  EXPECT_NO_THROW((void)plan_sweep(parse_sweep_config(
      R"({"experiment": [["Discharge at 1C until 3 V"]], "vary": {"Open-circuit voltage at 100% SOC [V]": [4.1, 4.2]}})",
      "test")));
  const CellParams cell = ParameterSet::load("Chen2020").cell_params(5.0);
  const double q_li = 0.28396609689240004 * constants::F / 3600.0;  // the fixture's n_Li_particles_init
  const Esoh a = solve_esoh(cell, 5.827615068709301, 8.73231852061247, q_li, 2.5, 4.2);
  const Esoh b = solve_esoh(cell, 5.827615068709301, 8.73231852061247, q_li, 2.5, 4.1);
  EXPECT_NEAR(a.capacity, fixture()["runs"]["Chen2020"]["summary"]["Capacity [A.h]"][0].get<double>(), 1e-6 * a.capacity);
  EXPECT_LT(b.capacity, a.capacity - 0.1);  // a lower V_max: less capacity
}

}  // namespace IONFLUX_TEST_FILE_ID
