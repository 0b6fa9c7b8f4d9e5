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
#include "solver/inputs/experiment.hpp"
#include "tests/equivalence/batch_cases.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
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
//! The set's cell (5 A) from 90 % SOC, as the drive-cycle fixtures start it (PyBaMM's
//! set_initial_state(0.9)).
CellParams at_90_percent(const ParameterSet& ps) {
  CellParams cell = ps.cell_params(5.0);
  apply_initial_soc(cell, 0.9, ps.get("Open-circuit voltage at 0% SOC [V]"),
                    ps.get("Open-circuit voltage at 100% SOC [V]"));
  return cell;
}

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
  const CellParams cell = at_90_percent(ps);
  EXPECT_NEAR(cell.neg.c_init, fx["initial_state"]["c_n_init [mol.m-3]"].get<double>(), 1e-6);
  const Compared c = run_and_compare(fx, cell, ex);
  EXPECT_EQ(c.sol.status, CellStatus::finished);
  EXPECT_LE(c.rms_v, 1e-3);
  std::cout << "  [US06] voltage RMS " << c.rms_v * 1e3 << " mV (max " << c.max_v * 1e3 << " mV, " << c.points
            << " points)\n";
}

//! Compares the current of `sol` with the fixture's at the fixture's output times after
//! t_min that `sol` also has, to Newton's tolerance (PyBaMM's current is its interpolant;
//! ionflux's an unknown solved to about the relative tolerance 1e-6). Returns how many.
int expect_currents_as_pybamm(const testing::json& fx, const Solution& sol, double t_min) {
  const auto t = testing::to_vec(fx["time_series"]["t [s]"]);
  const auto cur = testing::to_vec(fx["time_series"]["Current [A]"]);
  int n = 0;
  for (std::size_t i = 0, k = 0; i < t.size(); ++i) {
    if (t[i] <= t_min) continue;
    while (k < sol.time.size() && sol.time[k] < t[i]) ++k;
    if (k >= sol.time.size() || sol.time[k] != t[i]) continue;
    EXPECT_NEAR(sol.current[k], cur[i], 1e-6 * std::fabs(cur[i])) << "t = " << t[i];
    ++n;
  }
  return n;
}

// A drive cycle shorter than its step, ending away from its first value: PyBaMM tiles
// it with a linear ramp at each seam (tests/fixtures/pybamm_exp_tiled.json, made with the
// table drive_tiled.csv by generate_pybamm_experiment_fixtures.py). Before ionflux tiled
// it the same way, the seam was a jump and the solver stopped there.
TEST(Experiment, RepeatedDriveCycleMatchesPyBaMM) {
  const auto& fx = testing::load_fixture("pybamm_exp_tiled.json");
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const Experiment ex = parse_experiment(
      std::vector<std::string>{"Discharge with current from " + testing::fixture_path("drive_tiled.csv") +
                               " for 1000 seconds"},
      ps);
  // the table the test reads is the one PyBaMM was given
  const auto t_data = testing::to_vec(fx["drive_cycle"]["t [s]"]);
  const auto i_data = testing::to_vec(fx["drive_cycle"]["Current [A]"]);
  ASSERT_EQ(ex.tables.size(), 2 * t_data.size());
  for (std::size_t k = 0; k < t_data.size(); ++k) {
    EXPECT_EQ(ex.tables[2 * k], t_data[k]);
    EXPECT_EQ(ex.tables[2 * k + 1], i_data[k]);
  }
  const CellParams cell = at_90_percent(ps);
  const Compared c = run_and_compare(fx, cell, ex);
  EXPECT_EQ(c.sol.status, CellStatus::finished);
  EXPECT_DOUBLE_EQ(c.sol.time.back(), 1000.0);
  EXPECT_LE(c.rms_v, 1e-3);
  // the current follows PyBaMM's at its output times, the seams' ramps included (PyBaMM's
  // is the interpolant itself; ionflux's is an unknown that Newton solves, to about the
  // relative tolerance 1e-6: 4.4e-7 A at t = 875 s)
  EXPECT_GT(expect_currents_as_pybamm(fx, c.sol, 0.0), 150);
  std::cout << "  [tiled drive cycle] voltage RMS " << c.rms_v * 1e3 << " mV (max " << c.max_v * 1e3 << " mV, "
            << c.points << " points)\n";
}

// A drive cycle after other steps reads its table from its own start (t = 167 s here),
// as PyBaMM does (its interpolant of t - start time). ionflux read the table at the
// run's time in the re-initialisation at the step's start, and the cell failed there
// with "Newton failed" whenever the table's value at 167 s differed from its first
// (a new-user audit, session 18). Expected values: PyBaMM 26.10.1.1
// (tests/fixtures/generate_pybamm_experiment_fixtures.py --only drive_after_steps).
TEST(Experiment, DriveCycleAfterOtherStepsMatchesPyBaMM) {
  const auto& fx = testing::load_fixture("pybamm_exp_drive_after_steps.json");
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const Experiment ex = parse_experiment(
      std::vector<std::string>{"Discharge at 1C for 2 minutes", "Rest for 47 seconds",
                               "Discharge with current from " + testing::fixture_path("drive_tiled.csv") +
                                   " for 400 seconds"},
      ps);
  const CellParams cell = at_90_percent(ps);
  const Compared c = run_and_compare(fx, cell, ex);
  EXPECT_EQ(c.sol.status, CellStatus::finished);
  EXPECT_DOUBLE_EQ(c.sol.time.back(), 567.0);
  EXPECT_LE(c.rms_v, 1e-3);
  expect_step_ends(fx, c.sol, 1.0);
  // the current at the drive step's outputs is the table's at t - 167 s (5 + 3 sin(t/40)
  // A in the data; PyBaMM's current column)
  const int n = expect_currents_as_pybamm(fx, c.sol, 167.0);
  EXPECT_GT(n, 40);
  std::cout << "  [drive cycle after two steps] voltage RMS " << c.rms_v * 1e3 << " mV (max " << c.max_v * 1e3
            << " mV, " << c.points << " points, " << n << " currents compared)\n";
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

// Issue 10 item 7: a protocol's summary reports what was discharged and what was charged,
// separately. PyBaMM's "Throughput capacity [A.h]" (summary_variables of the fixture: the
// integral of |I| dt at the last state of each cycle) is per cycle the discharged plus the
// charged capacity; PyBaMM's per-cycle "discharge capacity (Q_end - Q_start)" of the
// discharge step is the cycle's discharged capacity (its other steps only charge or rest).
TEST(Experiment, ThreeCyclesDischargedAndChargedMatchPyBaMMThroughput) {
  const auto& fx = testing::load_fixture("pybamm_exp_cycles.json");
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const Experiment ex = parse_experiment(groups_of(fx["experiment"]["operating_conditions"]), 1, ps);
  const Compared c = run_and_compare(fx, ps.cell_params(5.0), ex);
  const Solution& s = c.sol;
  EXPECT_EQ(s.status, CellStatus::finished);
  EXPECT_EQ(s.message, "finished: the protocol completed");
  const auto throughput = testing::to_vec(fx["summary_variables"]["values"]["Throughput capacity [A.h]"]);
  ASSERT_EQ(throughput.size(), 3u);
  double dis_total = 0.0, chg_total = 0.0;
  for (int cyc = 0; cyc < 3; ++cyc) {
    double dis = 0.0, chg = 0.0, dis_e = 0.0, chg_e = 0.0, net = 0.0, net_e = 0.0;
    for (const StepRecord& r : s.steps) {
      if (ex.steps[r.step].cycle != cyc) continue;
      // each step moves charge one way here: the split equals the net step capacity
      EXPECT_GE(r.discharge_capacity, 0.0);
      EXPECT_GE(r.charge_capacity, 0.0);
      EXPECT_TRUE(r.discharge_capacity == 0.0 || r.charge_capacity == 0.0) << "step " << r.step;
      EXPECT_NEAR(r.discharge_capacity - r.charge_capacity, r.capacity, 1e-12) << "step " << r.step;
      EXPECT_NEAR(r.discharge_energy - r.charge_energy, r.energy, 1e-12) << "step " << r.step;
      dis += r.discharge_capacity, chg += r.charge_capacity, dis_e += r.discharge_energy, chg_e += r.charge_energy;
      net += r.capacity, net_e += r.energy;
    }
    const double theirs_moved = throughput[cyc] - (cyc ? throughput[cyc - 1] : 0.0);
    const double theirs_dis = fx["per_cycle"][cyc]["discharge capacity (Q_end - Q_start) [A.h]"].get<double>();
    EXPECT_NEAR(dis + chg, theirs_moved, 1e-3 * theirs_moved) << "cycle " << cyc;
    EXPECT_NEAR(dis, theirs_dis, 1e-3 * theirs_dis) << "cycle " << cyc;
    EXPECT_GT(chg, 0.0) << "cycle " << cyc << " charges";
    // mean voltages while discharging and charging lie inside the cut-offs
    EXPECT_GT(dis_e / dis, 2.5);
    EXPECT_LT(dis_e / dis, 4.2);
    EXPECT_GT(chg_e / chg, dis_e / dis) << "charging needs the higher voltage";
    // at most the upper cut-off: a cycle whose only charge is the 4.2 V hold has exactly 4.2 V
    EXPECT_LE(chg_e / chg, 4.2 * (1.0 + 1e-12));
    std::cout << "  [3 cycles] cycle " << cyc << ": discharged " << dis << " A.h, charged " << chg
              << " A.h (PyBaMM throughput " << theirs_moved << " A.h)\n";
    dis_total += dis, chg_total += chg;
  }
  // the run's summary: the sums over the steps, not the net capacity (about -0.02 A.h here)
  EXPECT_NEAR(s.discharge_capacity, dis_total, 1e-9 * dis_total);
  EXPECT_NEAR(s.charge_capacity, chg_total, 1e-9 * chg_total);
  EXPECT_NEAR(s.discharge_capacity + s.charge_capacity, throughput[2], 1e-3 * throughput[2]);
  EXPECT_NEAR(s.discharge_capacity - s.charge_capacity, s.capacity.back(), 1e-9);
  EXPECT_NEAR(s.discharge_energy - s.charge_energy, s.energy, 1e-9);
  EXPECT_DOUBLE_EQ(s.mean_voltage, s.discharge_energy / s.discharge_capacity);
  EXPECT_FALSE(s.protocol_cut_short);
}

// A drive cycle that goes both ways: US06 (current from -4.21 to 8.1 A, positive =
// discharge). The split is computed here from the CSV itself: the current is the table,
// linear between its 1 s knots, so the charge moved while discharging is the integral of
// max(I, 0) over the piecewise-linear table (exact per segment, splitting a segment at
// its zero), likewise while charging.
TEST(Experiment, DriveCycleSplitsDischargeAndChargeInsideTheStep) {
  const std::string path = testing::shared_path("reference-data/drive_cycles/US06.csv");
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const Experiment ex = parse_experiment(std::vector<std::string>{"Discharge with current from " + path}, ps);
  ASSERT_EQ(ex.steps.size(), 1u);
  const StepSpec& st = ex.steps[0];
  double pos = 0.0, neg = 0.0;  // [A.s]
  for (int k = 0; k + 1 < st.table_len; ++k) {
    const double t0 = ex.tables[2 * (st.table_offset + k)], i0 = ex.tables[2 * (st.table_offset + k) + 1];
    const double t1 = ex.tables[2 * (st.table_offset + k + 1)], i1 = ex.tables[2 * (st.table_offset + k + 1) + 1];
    const double h = t1 - t0;
    if (i0 >= 0.0 && i1 >= 0.0) pos += 0.5 * h * (i0 + i1);
    else if (i0 <= 0.0 && i1 <= 0.0) neg -= 0.5 * h * (i0 + i1);
    else {
      const double tz = h * i0 / (i0 - i1);  // the zero, from t0
      (i0 > 0.0 ? pos : neg) += 0.5 * tz * std::fabs(i0);
      (i1 > 0.0 ? pos : neg) += 0.5 * (h - tz) * std::fabs(i1);
    }
  }
  ASSERT_GT(neg, 0.05 * pos) << "US06 charges too (regenerative braking)";
  const CellParams cell = at_90_percent(ps);
  RunOptions ro;
  ro.steps = ex.steps;
  ro.tables = ex.tables;
  ro.t_end = 700.0;
  ro.solver.rtol = 1e-9;  // Q is integrated to the tolerance: tight, so that the split is
  ro.solver.atol = 1e-11;  // checked, not the integration error (~1e-5 of Q at rtol 1e-6)
  const Solution s = simulate(cell, ro);
  ASSERT_EQ(s.status, CellStatus::finished) << s.message;
  ASSERT_EQ(s.steps.size(), 1u);
  const StepRecord& r = s.steps[0];
  // the integrator's Q follows the table to its tolerance
  EXPECT_NEAR(r.discharge_capacity, pos / 3600.0, 1e-6 * pos / 3600.0);
  EXPECT_NEAR(r.charge_capacity, neg / 3600.0, 1e-6 * neg / 3600.0);
  EXPECT_NEAR(r.discharge_capacity - r.charge_capacity, r.capacity, 1e-12);
  EXPECT_NEAR(r.discharge_energy - r.charge_energy, r.energy, 1e-12);
  EXPECT_GT(r.charge_energy, 0.0);
  EXPECT_DOUBLE_EQ(s.discharge_capacity, r.discharge_capacity);
  EXPECT_DOUBLE_EQ(s.charge_capacity, r.charge_capacity);
  std::cout.precision(10);
  std::cout << "  [US06] discharged " << r.discharge_capacity << " A.h (table " << pos / 3600.0 << "), charged "
            << r.charge_capacity << " A.h (table " << neg / 3600.0 << ")\n";
}

// Issue 10 item 9: a step cut short by the set's cut-off. "Discharge at 1C for 2 hours"
// reaches 2.5 V at 3555.5 s (PyBaMM's "Discharge at 1C until 2.5 V" step of the cccv
// fixture ends there too); ionflux stops the experiment there, and the end message says
// which step was cut short and which did not run.
TEST(Experiment, StepCutShortByTheSetsCutOffIsReported) {
  const auto& fx = testing::load_fixture("pybamm_exp_cccv.json");
  const double t_cut = fx["steps"][0]["end time [s]"].get<double>();
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const Experiment ex =
      parse_experiment(std::vector<std::string>{"Discharge at 1C for 2 hours", "Rest for 10 minutes"}, ps);
  RunOptions ro;
  ro.steps = ex.steps;
  ro.tables = ex.tables;
  ro.step_text = ex.text;
  ro.t_end = default_end_time(5.0, ex.steps);
  const Solution s = simulate(ps.cell_params(5.0), ro);
  EXPECT_EQ(s.status, CellStatus::cutoff_lower);
  EXPECT_NEAR(s.end_time, t_cut, 1.0);
  ASSERT_EQ(s.steps.size(), 1u) << "the rest never ran";
  EXPECT_EQ(s.steps[0].end, StepEnd::cutoff);
  EXPECT_TRUE(s.protocol_cut_short);
  for (const char* part : {"lower voltage cut-off 2.5 V", "into step 0 \"Discharge at 1C for 2 hours\" (cycle 0) of 2 steps",
                           "cut short", "7200 s", "1 step did not run: step 1 \"Rest for 10 minutes\" (cycle 0)",
                           "PyBaMM widens them by 1 V"})
    EXPECT_NE(s.message.find(part), std::string::npos) << "missing '" << part << "' in: " << s.message;
  std::cout << "  message: " << s.message << "\n";

  // the same in a batch (the HDF5 message of a sweep cell), with and without texts
  BatchInputs in;
  in.cells = {ps.cell_params(5.0)};
  in.pre_status = {CellStatus::running};
  in.pre_message = {""};
  in.run = ro;
  in.run.period = 60.0;
  testing::CollectSink sink;
  BatchOptions o;
  o.device = Device::cpu;
  o.threads = 1;
  run_batch(in, o, &sink);
  ASSERT_EQ(sink.all.message.size(), 1u);
  EXPECT_EQ(sink.all.status[0], static_cast<int>(CellStatus::cutoff_lower));
  EXPECT_NE(sink.all.message[0].find("1 step did not run: step 1 \"Rest for 10 minutes\" (cycle 0)"),
            std::string::npos)
      << sink.all.message[0];
  in.run.step_text.clear();
  testing::CollectSink bare;
  run_batch(in, o, &bare);
  EXPECT_NE(bare.all.message[0].find("1 step did not run: step 1 (cycle 0)"), std::string::npos) << bare.all.message[0];

  // a protocol that completes says so
  const Experiment ok = parse_experiment(std::vector<std::string>{"Discharge at 1C for 10 minutes", "Rest for 1 minute"}, ps);
  ro.steps = ok.steps;
  ro.step_text = ok.text;
  ro.t_end = default_end_time(5.0, ok.steps);
  const Solution done = simulate(ps.cell_params(5.0), ro);
  EXPECT_EQ(done.status, CellStatus::finished);
  EXPECT_EQ(done.message, "finished: the protocol completed");
  EXPECT_FALSE(done.protocol_cut_short);
}

//! The options that run `ex` to its end, with its step texts.
RunOptions options_of(const Experiment& ex) {
  RunOptions ro;
  ro.steps = ex.steps;
  ro.tables = ex.tables;
  ro.step_text = ex.text;
  ro.t_end = default_end_time(5.0, ex.steps);
  return ro;
}

//! Runs `ex` on Chen2020 (5 A.h) from initial SOC `soc` (the set's OCV window).
Solution run_from_soc(const Experiment& ex, double soc) {
  const ParameterSet ps = ParameterSet::load("Chen2020");
  CellParams cell = ps.cell_params(5.0);
  apply_initial_soc(cell, soc, ps.get("Open-circuit voltage at 0% SOC [V]"),
                    ps.get("Open-circuit voltage at 100% SOC [V]"));
  return simulate(cell, options_of(ex));
}

//! A flat list of steps as one cycle (Chen2020).
Experiment steps_of(const std::vector<std::string>& steps) {
  return parse_experiment(steps, ParameterSet::load("Chen2020"));
}

Solution run_from_soc(const std::vector<std::string>& steps, double soc) { return run_from_soc(steps_of(steps), soc); }

// A cell at SOC 1 (or 0) rests at its cut-off: PyBaMM defines SOC 1 as the open-circuit
// voltage at the upper cut-off (Chen2020: 4.2 V), so the state sits there to rounding.
// ionflux had refused such a rest as "voltage cut-off already crossed at t=0" whenever
// the rounding fell above the cut-off (Chen2020, Marquis2019, Mohtat2020, OKane2022, ...).
TEST(Experiment, RestAtSocOneOrZeroRunsAtTheCutOff) {
  for (const double soc : {1.0, 0.0}) {
    const Solution s = run_from_soc({"Rest for 1 minute"}, soc);
    EXPECT_EQ(s.status, CellStatus::finished) << "SOC " << soc << ": " << s.message;
    ASSERT_FALSE(s.voltage.empty());
    EXPECT_NEAR(s.voltage.back(), soc == 1.0 ? 4.2 : 2.5, 1e-6) << "SOC " << soc;
    EXPECT_NEAR(s.end_time, 60.0, 1e-9);
  }
  // past the window the cut-off holds at t = 0, as before
  EXPECT_EQ(run_from_soc({"Charge at 1C for 1 minute"}, 1.0).status, CellStatus::cutoff_at_start);
}

// A charge that begins above the upper cut-off after the voltage jump of a step change
// (a rest at 4.199 V, then 1C) is cut short at once. It had run on unchecked (the cut-off
// test looks for a crossing, and there was none) to 6.8 V and an error-test failure.
TEST(Experiment, ChargeThatBeginsPastTheCutOffIsCutShortAtOnce) {
  const Solution s = run_from_soc({"Rest for 1 minute", "Charge at 1C for 10 minutes", "Rest for 1 minute"}, 0.999);
  EXPECT_EQ(s.status, CellStatus::cutoff_upper) << s.message;
  ASSERT_EQ(s.steps.size(), 2u);
  EXPECT_EQ(s.steps[1].end, StepEnd::cutoff);
  EXPECT_EQ(s.steps[1].t_start, s.steps[1].t_end);
  EXPECT_NEAR(s.end_time, 60.0, 1e-9);
  EXPECT_TRUE(s.protocol_cut_short);
  for (const char* part : {"began past the cut-off", "1 step did not run: step 2 \"Rest for 1 minute\" (cycle 0)"})
    EXPECT_NE(s.message.find(part), std::string::npos) << "missing '" << part << "' in: " << s.message;
  for (const double v : s.voltage) EXPECT_LE(v, 4.2 + 1e-6);
  // the same charge from a lower state runs to its end
  EXPECT_EQ(run_from_soc({"Rest for 1 minute", "Charge at 1C for 1 minute"}, 0.5).status, CellStatus::finished);
}

// Steps whose end condition holds when they begin are skipped, as PyBaMM does, and the
// run says which (skipped_steps_warning; the CLI and Python warn with it).
TEST(Experiment, SkippedStepsAreNamed) {
  const Solution s = run_from_soc({"Charge at 1C until 4.2 V", "Hold at 4.2 V until C/20", "Discharge at 1C for 1 minute"}, 1.0);
  EXPECT_EQ(s.status, CellStatus::finished) << s.message;
  ASSERT_EQ(s.steps.size(), 3u);
  EXPECT_TRUE(step_skipped(s.steps[0]));
  EXPECT_TRUE(step_skipped(s.steps[1]));
  EXPECT_FALSE(step_skipped(s.steps[2]));
  EXPECT_STREQ(step_end_name(s.steps[0]), "skipped");
  EXPECT_STREQ(step_end_name(s.steps[2]), "duration");
  const std::string w = skipped_steps_warning(
      s.steps, options_of(steps_of({"Charge at 1C until 4.2 V", "Hold at 4.2 V until C/20", "Discharge at 1C for 1 minute"})));
  for (const char* part : {"2 steps were skipped", "step 0 (cycle 0) 'Charge at 1C until 4.2 V'",
                           "step 1 (cycle 0) 'Hold at 4.2 V until C/20'"})
    EXPECT_NE(w.find(part), std::string::npos) << "missing '" << part << "' in: " << w;
  EXPECT_EQ(w.find("no step of cycle"), std::string::npos) << w;
  // every step of every cycle skipped: said, as PyBaMM raises there
  const std::vector<std::string> cccv{"Charge at 1C until 4.2 V", "Hold at 4.2 V until C/20"};
  const Experiment all = parse_experiment({cccv}, 2, ParameterSet::load("Chen2020"));
  const Solution none = run_from_soc(all, 1.0);
  const std::string w_all = skipped_steps_warning(none.steps, options_of(all));
  EXPECT_NE(w_all.find("4 steps were skipped"), std::string::npos) << w_all;
  EXPECT_NE(w_all.find("and 1 more"), std::string::npos) << w_all;
  EXPECT_NE(w_all.find("no step of cycle 0 (and 1 more cycles) ran"), std::string::npos) << w_all;
  // a one-step cycle that did not run: PyBaMM skips it with a warning (skip_ok, its
  // default; simulation.py _check_infeasible_steps) and goes on, so no error is claimed
  const Experiment single = parse_experiment({{"Charge at 1C until 4.2 V"}, {"Discharge at 1C for 1 minute"}}, 1,
                                             ParameterSet::load("Chen2020"));
  const Solution one_skipped = run_from_soc(single, 1.0);
  EXPECT_EQ(one_skipped.status, CellStatus::finished) << one_skipped.message;
  const std::string w_single = skipped_steps_warning(one_skipped.steps, options_of(single));
  EXPECT_NE(w_single.find("1 step was skipped"), std::string::npos) << w_single;
  EXPECT_EQ(w_single.find("no step of cycle"), std::string::npos) << w_single;
  // nothing skipped: no warning
  const Experiment one = steps_of({"Discharge at 1C for 1 minute"});
  EXPECT_EQ(skipped_steps_warning(run_from_soc(one, 0.5).steps, options_of(one)), "");
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
