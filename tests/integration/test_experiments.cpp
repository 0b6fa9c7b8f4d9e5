// Experiments against PyBaMM 26.10.1.1 (fixtures by tests/fixtures/
// generate_pybamm_experiment_fixtures.py, solved at rtol = atol = 1e-10; notes in
// tests/fixtures/EXPERIMENTS_NOTES.md). ionflux runs at its default tolerances.
//
// Points within 1 s of a step change in either code are left out of the voltage RMS:
// the voltage jumps there (re-initialisation of the algebraic unknowns), and a
// sub-second difference in where a step ends would otherwise compare values from
// different steps. Step end times are compared separately (within 1 s).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "../test_support.hpp"
#include "solver/experiment.hpp"

namespace ionflux {
namespace {

struct Compared {
  double rms_v = 0.0, max_v = 0.0;
  int points = 0;
  Solution sol;
};

std::vector<std::vector<std::string>> groups_of(const testing::json& ops) {
  // PyBaMM: a tuple is a cycle; a bare string is a one-step cycle.
  std::vector<std::vector<std::string>> g;
  for (const auto& op : ops) {
    if (op.is_array()) g.push_back(op.get<std::vector<std::string>>());
    else g.push_back({op.get<std::string>()});
  }
  return g;
}

//! Run `ex` on `cell` with outputs at the fixture's times; compare voltages away from
//! step changes.
Compared run_and_compare(const testing::json& fx, const CellParams& cell, const Experiment& ex) {
  const auto t = testing::to_vec(fx["time_series"]["t [s]"]);
  const auto v = testing::to_vec(fx["time_series"]["Voltage [V]"]);
  std::vector<double> boundaries;
  for (const auto& st : fx["steps"])
    if (st["end time [s]"].is_number()) boundaries.push_back(st["end time [s]"].get<double>());
  RunOptions ro;
  ro.steps = ex.steps;
  ro.tables = ex.tables;
  ro.t_eval = t;
  ro.t_end = t.back() + 1.0;
  Compared c;
  c.sol = simulate(cell, ro);
  for (const auto& r : c.sol.steps) boundaries.push_back(r.t_end);
  // our outputs at the fixture times (the first output is t = 0, then the requested times)
  std::vector<double> ours_t = c.sol.time, ours_v = c.sol.voltage;
  double sum = 0.0;
  std::size_t k = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    while (k < ours_t.size() && ours_t[k] < t[i]) ++k;
    if (k >= ours_t.size() || ours_t[k] != t[i]) continue;
    bool near_boundary = false;
    for (double b : boundaries) near_boundary = near_boundary || std::fabs(t[i] - b) < 1.0;
    if (near_boundary) continue;
    const double d = ours_v[k] - v[i];
    sum += d * d;
    c.max_v = std::max(c.max_v, std::fabs(d));
    ++c.points;
  }
  c.rms_v = c.points ? std::sqrt(sum / c.points) : INFINITY;
  // nearly every fixture point is compared (only those next to step changes are not)
  EXPECT_GE(c.points, static_cast<int>(0.9 * t.size())) << "too few points compared";
  return c;
}

void expect_step_ends(const testing::json& fx, const Solution& sol, double tol_s) {
  std::vector<double> theirs;
  for (const auto& st : fx["steps"])
    if (!st.value("skipped", false) && st["end time [s]"].is_number()) theirs.push_back(st["end time [s]"].get<double>());
  std::vector<double> ours;
  for (const auto& r : sol.steps)
    if (r.t_end > r.t_start || r.t_start == 0.0) ours.push_back(r.t_end);
  ASSERT_GE(ours.size(), theirs.size());
  for (std::size_t i = 0; i < theirs.size(); ++i)
    EXPECT_NEAR(ours[i], theirs[i], tol_s) << "end of step " << i;
}

TEST(Experiment, CcRestCcCvMatchesPyBaMM) {
  const auto& fx = testing::load_fixture("pybamm_exp_cccv.json");
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const Experiment ex = parse_experiment(groups_of(fx["experiment"]["operating_conditions"]), 1, ps);
  const Compared c = run_and_compare(fx, ps.cell_params(5.0), ex);
  EXPECT_EQ(c.sol.status, CellStatus::finished);
  EXPECT_LE(c.rms_v, 1e-3);
  expect_step_ends(fx, c.sol, 1.0);
  // current during the hold: RMS within 0.5 % of 1C (5 A)
  const auto t = testing::to_vec(fx["time_series"]["t [s]"]);
  const auto cur = testing::to_vec(fx["time_series"]["Current [A]"]);
  const auto step = testing::to_vec(fx["time_series"]["step index"]);
  double sum = 0.0;
  int n = 0;
  std::size_t k = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (step[i] != 3) continue;
    while (k < c.sol.time.size() && c.sol.time[k] < t[i]) ++k;
    if (k >= c.sol.time.size() || c.sol.time[k] != t[i] || c.sol.step[k] != 3) continue;
    const double d = c.sol.current[k] - cur[i];
    sum += d * d;
    ++n;
  }
  ASSERT_GT(n, 100);
  const double rms_i = std::sqrt(sum / n);
  EXPECT_LE(rms_i, 0.005 * 5.0);
  std::cout << "  [CC-rest-CC-CV] voltage RMS " << c.rms_v * 1e3 << " mV (max " << c.max_v * 1e3 << " mV, "
            << c.points << " points); hold current RMS " << rms_i << " A\n";
}

TEST(Experiment, GittMatchesPyBaMM) {
  const auto& fx = testing::load_fixture("pybamm_exp_gitt.json");
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const Experiment ex = parse_experiment(groups_of(fx["experiment"]["operating_conditions"]), 1, ps);
  const Compared c = run_and_compare(fx, ps.cell_params(0.5), ex);
  EXPECT_EQ(c.sol.status, CellStatus::finished);
  EXPECT_LE(c.rms_v, 1e-3);
  expect_step_ends(fx, c.sol, 1.0);
  std::cout << "  [GITT] voltage RMS " << c.rms_v * 1e3 << " mV (max " << c.max_v * 1e3 << " mV, " << c.points
            << " points)\n";
}

TEST(Experiment, Us06DriveCycleMatchesPyBaMM) {
  const auto& fx = testing::load_fixture("pybamm_exp_us06.json");
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const Experiment ex = parse_experiment(
      std::vector<std::string>{"Discharge with current from " +
                               testing::shared_path("reference-data/drive_cycles/US06.csv")},
      ps);
  CellParams cell = ps.cell_params(5.0);
  apply_initial_soc(cell, 0.9, ps.get("Open-circuit voltage at 0% SOC [V]"),
                    ps.get("Open-circuit voltage at 100% SOC [V]"));
  EXPECT_NEAR(cell.neg.c_init, fx["initial_state"]["c_n_init [mol.m-3]"].get<double>(), 1e-6);
  const Compared c = run_and_compare(fx, cell, ex);
  EXPECT_EQ(c.sol.status, CellStatus::finished);
  EXPECT_LE(c.rms_v, 1e-3);
  std::cout << "  [US06] voltage RMS " << c.rms_v * 1e3 << " mV (max " << c.max_v * 1e3 << " mV, " << c.points
            << " points)\n";
}

TEST(Experiment, ConstantPowerMatchesPyBaMM) {
  const auto& fx = testing::load_fixture("pybamm_exp_power.json");
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const Experiment ex = parse_experiment(groups_of(fx["experiment"]["operating_conditions"]), 1, ps);
  const Compared c = run_and_compare(fx, ps.cell_params(2.5), ex);
  EXPECT_EQ(c.sol.status, CellStatus::finished);
  EXPECT_LE(c.rms_v, 1e-3);
  expect_step_ends(fx, c.sol, 1.0);
  // the power really is held: I V = 10 W at every output
  for (std::size_t k = 1; k + 1 < c.sol.time.size(); ++k)
    EXPECT_NEAR(c.sol.current[k] * c.sol.voltage[k], 10.0, 1e-4) << "output " << k;
  std::cout << "  [10 W] voltage RMS " << c.rms_v * 1e3 << " mV (max " << c.max_v * 1e3 << " mV, " << c.points
            << " points)\n";
}

TEST(Experiment, LumpedThermalMarquis2CMatchesPyBaMM) {
  const auto& fx = testing::load_fixture("pybamm_exp_thermal.json");
  const ParameterSet ps = ParameterSet::load("Marquis2019");
  const Experiment ex = parse_experiment(groups_of(fx["experiment"]["operating_conditions"]), 1, ps);
  CellParams cell = ps.cell_params(2 * 0.680616);
  enable_lumped_thermal(cell, ps);
  const Compared c = run_and_compare(fx, cell, ex);
  EXPECT_EQ(c.sol.status, CellStatus::finished);
  EXPECT_LE(c.rms_v, 1e-3);
  expect_step_ends(fx, c.sol, 1.0);
  const auto t = testing::to_vec(fx["time_series"]["t [s]"]);
  const auto temp = testing::to_vec(fx["time_series"]["Volume-averaged cell temperature [K]"]);
  double worst = 0.0;
  std::size_t k = 0;
  int n = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    while (k < c.sol.time.size() && c.sol.time[k] < t[i]) ++k;
    if (k >= c.sol.time.size() || c.sol.time[k] != t[i]) continue;
    worst = std::max(worst, std::fabs(c.sol.temperature[k] - temp[i]));
    ++n;
  }
  EXPECT_GT(n, 300);
  EXPECT_LE(worst, 0.1);
  EXPECT_GT(c.sol.temperature.back(), 298.8) << "the cell heats up (PyBaMM: 298.905 K at the end)";
  std::cout << "  [Marquis2019 2C lumped] voltage RMS " << c.rms_v * 1e3 << " mV; temperature max difference " << worst
            << " K\n";
}

TEST(Experiment, ThreeCyclesCapacitiesMatchPyBaMM) {
  const auto& fx = testing::load_fixture("pybamm_exp_cycles.json");
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const Experiment ex = parse_experiment(groups_of(fx["experiment"]["operating_conditions"]), 1, ps);
  const Compared c = run_and_compare(fx, ps.cell_params(5.0), ex);
  EXPECT_EQ(c.sol.status, CellStatus::finished);
  EXPECT_LE(c.rms_v, 1e-3);
  // per-cycle discharge capacity (the discharge step's Q_end - Q_start)
  int cyc = 0;
  for (const auto& pc : fx["per_cycle"]) {
    const double theirs = pc["discharge capacity (Q_end - Q_start) [A.h]"].get<double>();
    double ours = NAN;
    for (const auto& r : c.sol.steps)
      if (ex.steps[r.step].cycle == cyc && ex.steps[r.step].mode == ControlMode::current && ex.steps[r.step].value > 0)
        ours = r.capacity;
    EXPECT_NEAR(ours, theirs, 1e-3 * theirs) << "cycle " << cyc;
    std::cout << "  [3 cycles] cycle " << cyc << " discharge capacity " << ours << " A.h (PyBaMM " << theirs << ")\n";
    ++cyc;
  }
  std::cout << "  [3 cycles] voltage RMS " << c.rms_v * 1e3 << " mV (max " << c.max_v * 1e3 << " mV, " << c.points
            << " points)\n";
}

}  // namespace
}  // namespace ionflux
