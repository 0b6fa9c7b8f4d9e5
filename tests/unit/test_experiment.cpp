// Experiment strings -> protocol steps (solver/inputs/experiment.cpp).
//
// The example strings are PyBaMM's own list (pybamm/experiment/step/base_step.py `_examples`,
// quoted in /work/shared/reference/pybamm-dfn.md section 4.1); the expected steps follow
// PyBaMM's meaning with Chen2020 (nominal capacity 5 A.h, cut-offs 2.5-4.2 V).
// Drive cycles: /work/shared/reference-data/drive_cycles/{US06,WLTC}.csv (see the README
// there: US06 is time [s], current [A], 601 rows; WLTC is time [s], power [kW], 18001 rows).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../test_support.hpp"
#include "solver/inputs/experiment.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

using testing::shared_path;

const ParameterSet& chen() {
  static const ParameterSet ps = ParameterSet::load("Chen2020");
  return ps;
}

StepSpec one(const std::string& text) {
  const Experiment ex = parse_experiment(std::vector<std::string>{text}, chen());
  EXPECT_EQ(ex.steps.size(), 1u);
  EXPECT_EQ(ex.text.size(), 1u);
  EXPECT_EQ(ex.n_cycles, 1);
  return ex.steps.at(0);
}

//! Expects an InputError whose message contains every part.
void expect_error(const std::vector<std::string>& steps, const std::vector<std::string>& parts,
                  const std::string& base_dir = ".") {
  try {
    (void)parse_experiment(steps, chen(), base_dir);
    ADD_FAILURE() << "no exception for: " << (steps.empty() ? std::string("<empty>") : steps.back());
  } catch (const InputError& e) {
    const std::string msg = e.what();
    for (const auto& part : parts) EXPECT_NE(msg.find(part), std::string::npos) << "message: " << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

void expect_step(const StepSpec& s, ControlMode mode, double value, double duration) {
  EXPECT_EQ(s.mode, mode);
  EXPECT_DOUBLE_EQ(s.value, value);
  EXPECT_DOUBLE_EQ(s.duration, duration);
  EXPECT_EQ(s.table_len, 0);
  EXPECT_EQ(s.cycle, 0);
}

void expect_no_ends(const StepSpec& s) {
  EXPECT_EQ(s.n_ends, 0);
  EXPECT_EQ(s.end_kind[0], EndKind::none);
  EXPECT_EQ(s.end_kind[1], EndKind::none);
}

void expect_end(const StepSpec& s, int k, EndKind kind, double value) {
  ASSERT_GT(s.n_ends, k);
  EXPECT_EQ(s.end_kind[k], kind);
  EXPECT_DOUBLE_EQ(s.end_value[k], value);
}

// ----------------------------------------------------------------- PyBaMM's examples

TEST(ExperimentParse, PybammExamples) {
  const double Q = 5.0;  // Chen2020 nominal capacity [A.h]
  {
    SCOPED_TRACE("Discharge at 1C for 0.5 hours");
    const StepSpec s = one("Discharge at 1C for 0.5 hours");
    expect_step(s, ControlMode::current, 1.0 * Q, 1800.0);
    expect_no_ends(s);
  }
  {
    SCOPED_TRACE("Discharge at C/20 for 0.5 hours");
    const StepSpec s = one("Discharge at C/20 for 0.5 hours");
    expect_step(s, ControlMode::current, Q / 20.0, 1800.0);
    expect_no_ends(s);
  }
  {
    SCOPED_TRACE("Charge at 0.5 C for 45 minutes");
    const StepSpec s = one("Charge at 0.5 C for 45 minutes");
    expect_step(s, ControlMode::current, -0.5 * Q, 2700.0);
    expect_no_ends(s);
  }
  {
    SCOPED_TRACE("Discharge at 1 A for 0.5 hours");
    const StepSpec s = one("Discharge at 1 A for 0.5 hours");
    expect_step(s, ControlMode::current, 1.0, 1800.0);
    expect_no_ends(s);
  }
  {
    SCOPED_TRACE("Charge at 200 mA for 45 minutes");
    const StepSpec s = one("Charge at 200 mA for 45 minutes");
    expect_step(s, ControlMode::current, -0.2, 2700.0);
    expect_no_ends(s);
  }
  {
    SCOPED_TRACE("Discharge at 1W for 0.5 hours");
    const StepSpec s = one("Discharge at 1W for 0.5 hours");
    expect_step(s, ControlMode::power, 1.0, 1800.0);
    expect_no_ends(s);
  }
  {
    SCOPED_TRACE("Charge at 200mW for 45 minutes");
    const StepSpec s = one("Charge at 200mW for 45 minutes");
    expect_step(s, ControlMode::power, -0.2, 2700.0);
    expect_no_ends(s);
  }
  {
    SCOPED_TRACE("Rest for 10 minutes");
    const StepSpec s = one("Rest for 10 minutes");
    expect_step(s, ControlMode::current, 0.0, 600.0);
    expect_no_ends(s);
  }
  {
    SCOPED_TRACE("Hold at 1V for 20 seconds");
    const StepSpec s = one("Hold at 1V for 20 seconds");
    expect_step(s, ControlMode::voltage, 1.0, 20.0);
    expect_no_ends(s);
  }
  {
    SCOPED_TRACE("Charge at 1 C until 4.1V");
    const StepSpec s = one("Charge at 1 C until 4.1V");
    expect_step(s, ControlMode::current, -Q, 0.0);
    EXPECT_EQ(s.n_ends, 1);
    expect_end(s, 0, EndKind::voltage_above, 4.1);
  }
  {
    SCOPED_TRACE("Hold at 4.1 V until 50mA");
    const StepSpec s = one("Hold at 4.1 V until 50mA");
    expect_step(s, ControlMode::voltage, 4.1, 0.0);
    EXPECT_EQ(s.n_ends, 1);
    expect_end(s, 0, EndKind::current_below, 0.05);
  }
  {
    SCOPED_TRACE("Hold at 3V until C/50");
    const StepSpec s = one("Hold at 3V until C/50");
    expect_step(s, ControlMode::voltage, 3.0, 0.0);
    EXPECT_EQ(s.n_ends, 1);
    expect_end(s, 0, EndKind::current_below, Q / 50.0);
  }
  {
    SCOPED_TRACE("Discharge at C/3 for 2 hours or until 2.5 V");
    const StepSpec s = one("Discharge at C/3 for 2 hours or until 2.5 V");
    expect_step(s, ControlMode::current, Q / 3.0, 7200.0);
    EXPECT_EQ(s.n_ends, 1);
    expect_end(s, 0, EndKind::voltage_below, 2.5);
  }
}

TEST(ExperimentParse, SpellingsAndCase) {
  // C-rate spellings
  for (const char* t : {"Discharge at 2C for 1 h", "Discharge at 2 C for 1 h", "Discharge at 2c for 1 h",
                        "Discharge at C/0.5 for 1 h", "discharge AT 2 c FOR 1 HOUR"}) {
    SCOPED_TRACE(t);
    expect_step(one(t), ControlMode::current, 10.0, 3600.0);
  }
  // duration spellings
  const std::vector<std::pair<const char*, double>> durations = {
      {"1 s", 1.0},       {"2sec", 2.0},       {"3 second", 3.0},  {"4 seconds", 4.0}, {"1 m", 60.0},
      {"2 min", 120.0},   {"3 minute", 180.0}, {"4 minutes", 240.0}, {"1 h", 3600.0},  {"2 hr", 7200.0},
      {"0.5 hour", 1800.0}, {"1.5 hours", 5400.0}, {"1e2 s", 100.0}, {"90S", 90.0},    {"1 Hour", 3600.0}};
  for (const auto& [d, sec] : durations) {
    SCOPED_TRACE(d);
    EXPECT_DOUBLE_EQ(one(std::string("Rest for ") + d).duration, sec);
  }
  // units
  expect_step(one("Discharge at 1.5A for 1 s"), ControlMode::current, 1.5, 1.0);
  expect_step(one("Discharge at 2 kW for 1 s"), ControlMode::power, 2000.0, 1.0);
  expect_step(one("Charge at 10 W for 1 s"), ControlMode::power, -10.0, 1.0);
  expect_step(one("Hold at 4200 mV for 1 s"), ControlMode::voltage, 4.2, 1.0);
  // voltage control via Discharge/Charge (as PyBaMM): the voltage has no sign
  expect_step(one("Charge at 4.1 V for 10 minutes"), ControlMode::voltage, 4.1, 600.0);
  expect_step(one("Discharge at 3.0 V until 1 A"), ControlMode::voltage, 3.0, 0.0);
  // surrounding spaces and the period suffix (accepted, ignored)
  expect_step(one("  Discharge at 1C for 1 hour (10 second period)  "), ControlMode::current, 5.0, 3600.0);
  expect_step(one("Rest for 1 hour (1 minute period)"), ControlMode::current, 0.0, 3600.0);
  // the text is kept as given
  const Experiment ex = parse_experiment(std::vector<std::string>{"Rest for 1 hour (1 minute period)"}, chen());
  EXPECT_EQ(ex.text.at(0), "Rest for 1 hour (1 minute period)");
}

TEST(ExperimentParse, Terminations) {
  // explicit operators set the direction
  {
    const StepSpec s = one("Discharge at 1 A until > 4.1 V");
    expect_end(s, 0, EndKind::voltage_above, 4.1);
  }
  {
    const StepSpec s = one("Charge at 1 A until < 3 V");
    expect_end(s, 0, EndKind::voltage_below, 3.0);
  }
  {
    const StepSpec s = one("Charge at 1 A until <3V");
    expect_end(s, 0, EndKind::voltage_below, 3.0);
  }
  // rest: only with an explicit operator
  {
    const StepSpec s = one("Rest for 2 hours or until > 3.6 V");
    expect_step(s, ControlMode::current, 0.0, 7200.0);
    expect_end(s, 0, EndKind::voltage_above, 3.6);
  }
  // two ends joined by "or"
  {
    const StepSpec s = one("Charge at 1C for 1 hour or until 4.2 V or 6 A");
    expect_step(s, ControlMode::current, -5.0, 3600.0);
    EXPECT_EQ(s.n_ends, 2);
    expect_end(s, 0, EndKind::voltage_above, 4.2);
    expect_end(s, 1, EndKind::current_below, 6.0);
  }
  {
    const StepSpec s = one("Hold at 4.2 V until C/20 or 100 mA");
    EXPECT_EQ(s.n_ends, 2);
    expect_end(s, 0, EndKind::current_below, 0.25);
    expect_end(s, 1, EndKind::current_below, 0.1);
  }
  // mV, 0.02C, cut-off values themselves are allowed
  expect_end(one("Discharge at 1C until 2500 mV"), 0, EndKind::voltage_below, 2.5);
  expect_end(one("Charge at 1C until 4.2 V"), 0, EndKind::voltage_above, 4.2);
  expect_end(one("Hold at 4.2 V until 0.02C"), 0, EndKind::current_below, 0.1);
  expect_end(one("Hold at 4.2 V until 0.02 C"), 0, EndKind::current_below, 0.1);
  // power steps take their direction from the sign of the power
  expect_end(one("Discharge at 10 W until 2.5 V"), 0, EndKind::voltage_below, 2.5);
  expect_end(one("Charge at 10 W until 4.1 V"), 0, EndKind::voltage_above, 4.1);
  // a current/power step without any end runs to the cut-offs (duration 0, no ends)
  {
    const StepSpec s = one("Discharge at 1C");
    expect_step(s, ControlMode::current, 5.0, 0.0);
    expect_no_ends(s);
  }
}

TEST(ExperimentParse, MarquisCutoffsAndCapacity) {
  const ParameterSet ps = ParameterSet::load("Marquis2019");
  const Experiment ex =
      parse_experiment(std::vector<std::string>{"Discharge at 2C until 3.105 V", "Charge at C/2 until 4.1 V"}, ps);
  ASSERT_EQ(ex.steps.size(), 2u);
  EXPECT_DOUBLE_EQ(ex.steps[0].value, 2.0 * 0.680616);
  EXPECT_DOUBLE_EQ(ex.steps[1].value, -0.680616 / 2.0);
  EXPECT_THROW(parse_experiment(std::vector<std::string>{"Charge at 1C until 4.2 V"}, ps), InputError);
  EXPECT_THROW(parse_experiment(std::vector<std::string>{"Discharge at 1C until 3.0 V"}, ps), InputError);
}

// ----------------------------------------------------------------- cycles

TEST(ExperimentCycles, GroupsAndRepeat) {
  const std::vector<std::vector<std::string>> groups = {
      {"Charge at 1C until 4.2 V", "Hold at 4.2 V until C/50"},
      {"Rest for 10 minutes", "Discharge at 1C until 2.5 V", "Rest for 1 hour"}};
  const Experiment ex = parse_experiment(groups, 3, chen());
  EXPECT_EQ(ex.n_cycles, 6);
  ASSERT_EQ(ex.steps.size(), 15u);
  ASSERT_EQ(ex.text.size(), 15u);
  EXPECT_TRUE(ex.tables.empty());
  const std::vector<int> cycles = {0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5};
  const std::vector<std::string> texts = {groups[0][0], groups[0][1], groups[1][0], groups[1][1], groups[1][2]};
  for (std::size_t k = 0; k < ex.steps.size(); ++k) {
    SCOPED_TRACE(k);
    EXPECT_EQ(ex.steps[k].cycle, cycles[k]);
    EXPECT_EQ(ex.text[k], texts[k % 5]);
  }
  for (int r = 0; r < 3; ++r) {
    const StepSpec& c = ex.steps[static_cast<std::size_t>(5 * r)];
    EXPECT_EQ(c.mode, ControlMode::current);
    EXPECT_DOUBLE_EQ(c.value, -5.0);
    expect_end(c, 0, EndKind::voltage_above, 4.2);
    const StepSpec& h = ex.steps[static_cast<std::size_t>(5 * r + 1)];
    EXPECT_EQ(h.mode, ControlMode::voltage);
    expect_end(h, 0, EndKind::current_below, 0.1);
    EXPECT_DOUBLE_EQ(ex.steps[static_cast<std::size_t>(5 * r + 2)].duration, 600.0);
  }
}

TEST(ExperimentCycles, FlatListIsOneCycle) {
  const Experiment ex = parse_experiment(
      std::vector<std::string>{"Discharge at C/10 for 10 minutes", "Rest for 1 hour"}, chen());
  EXPECT_EQ(ex.n_cycles, 1);
  ASSERT_EQ(ex.steps.size(), 2u);
  EXPECT_EQ(ex.steps[0].cycle, 0);
  EXPECT_EQ(ex.steps[1].cycle, 0);
  // GITT as PyBaMM writes it: 10 x (pulse, rest), each pair one cycle
  const Experiment gitt = parse_experiment({{"Discharge at C/10 for 10 minutes", "Rest for 1 hour"}}, 10, chen());
  EXPECT_EQ(gitt.n_cycles, 10);
  ASSERT_EQ(gitt.steps.size(), 20u);
  EXPECT_EQ(gitt.steps[19].cycle, 9);
  EXPECT_DOUBLE_EQ(gitt.steps[18].value, 0.5);
  EXPECT_DOUBLE_EQ(gitt.steps[18].duration, 600.0);
}

// ----------------------------------------------------------------- drive cycles

std::vector<std::pair<double, double>> read_pairs(const std::string& path) {
  const auto [t, y] = testing::read_csv2(path);
  std::vector<std::pair<double, double>> out;
  for (std::size_t k = 0; k < t.size(); ++k) out.emplace_back(t[k], y[k]);
  return out;
}

TEST(ExperimentDriveCycle, US06Current) {
  const std::string dir = shared_path("reference-data/drive_cycles");
  const auto data = read_pairs(dir + "/US06.csv");
  ASSERT_EQ(data.size(), 601u);
  for (const char* text : {"Discharge with current from US06.csv", "Run US06.csv (A)"}) {
    SCOPED_TRACE(text);
    const Experiment ex = parse_experiment(std::vector<std::string>{text}, chen(), dir);
    ASSERT_EQ(ex.steps.size(), 1u);
    const StepSpec& s = ex.steps[0];
    EXPECT_EQ(s.mode, ControlMode::current);
    EXPECT_EQ(s.table_offset, 0);
    EXPECT_EQ(s.table_len, 601);
    EXPECT_DOUBLE_EQ(s.duration, 600.0);  // the file's last time
    EXPECT_DOUBLE_EQ(s.value, data[0].second);
    ASSERT_EQ(ex.tables.size(), 2u * 601u);
    for (std::size_t k = 0; k < data.size(); ++k) {
      EXPECT_EQ(ex.tables[2 * k], data[k].first);
      EXPECT_EQ(ex.tables[2 * k + 1], data[k].second);  // as the file gives them (A, + = discharge)
    }
    // the set-point as the solver reads it
    const Drive d = drive_at(s, ex.tables.data(), 100.5);
    EXPECT_EQ(d.mode, ControlMode::current);
    EXPECT_DOUBLE_EQ(d.value, 0.5 * (data[100].second + data[101].second));
  }
  // absolute path, explicit duration (longer than the data: the solver repeats it), an end
  const Experiment ex = parse_experiment(
      std::vector<std::string>{"Discharge with current from " + dir + "/US06.csv in A for 20 minutes or until 2.5 V"},
      chen(), "/nonexistent");
  EXPECT_DOUBLE_EQ(ex.steps[0].duration, 1200.0);
  expect_end(ex.steps[0], 0, EndKind::voltage_below, 2.5);  // first value > 0: a discharge
  EXPECT_EQ(ex.steps[0].table_len, 601);
  // charge with a drive cycle: values negated
  const Experiment ch = parse_experiment(std::vector<std::string>{"Charge with current from US06.csv"}, chen(), dir);
  ASSERT_EQ(ch.tables.size(), 2u * 601u);
  EXPECT_EQ(ch.tables[2 * 300 + 1], -data[300].second);
}

// A step longer than its drive cycle repeats the table as PyBaMM 26.10.1.1 tiles it: the
// knots of pybamm.step.current(data, duration=7) for data [[0,1],[1,2],[2,3]] are in
// tests/fixtures/pybamm_exp_us06.json ("tiling_demo", generate_pybamm_experiment_fixtures.py):
// t 0..11 with values 1,2,3,1,2,3,..., so each seam (t 2 -> 3, 5 -> 6, ...) is a linear ramp
// from 3 back to 1. drive_at must equal PyBaMM's linear interpolant on those knots at
// every time of the step, the seams included (a jump there stopped the solver).
TEST(ExperimentDriveCycle, RepeatsTheTableAsPybammTilesIt) {
  const auto& demo = testing::load_fixture("pybamm_exp_us06.json").at("drive_cycle").at("tiling_demo");
  std::vector<double> table;
  for (const auto& row : demo.at("data [t, value]")) {
    table.push_back(row.at(0).get<double>());
    table.push_back(row.at(1).get<double>());
  }
  const auto kt = demo.at("interpolant knots t [s]").get<std::vector<double>>();
  const auto kv = demo.at("interpolant knots value").get<std::vector<double>>();
  ASSERT_EQ(kt.size(), kv.size());
  StepSpec s;
  s.table_len = static_cast<int>(table.size() / 2);
  s.duration = demo.at("duration_s").get<double>();
  auto pybamm_at = [&](double t) {  // numpy.interp on PyBaMM's knots
    std::size_t k = 1;
    while (k + 1 < kt.size() && kt[k] < t) ++k;
    return kv[k - 1] + (t - kt[k - 1]) / (kt[k] - kt[k - 1]) * (kv[k] - kv[k - 1]);
  };
  for (int q = 0; q <= 280; ++q) {
    const double t = s.duration * q / 280.0;
    SCOPED_TRACE(t);
    EXPECT_NEAR(drive_at(s, table.data(), t).value, pybamm_at(t), 1e-12);
  }
  EXPECT_DOUBLE_EQ(drive_at(s, table.data(), 2.5).value, 2.0);  // half-way down the first seam

  // US06 (t 0..600 s, 1 s apart) for 1300 s: PyBaMM makes 3 copies, 601 s apart (1,803
  // knots, the last at 1,802 s); the seams ramp over 1 s from the last value to the first
  const std::string dir = shared_path("reference-data/drive_cycles");
  const auto data = read_pairs(dir + "/US06.csv");
  const Experiment ex = parse_experiment(
      std::vector<std::string>{"Discharge with current from US06.csv for 1300 seconds"}, chen(), dir);
  const StepSpec& u = ex.steps.at(0);
  EXPECT_EQ(demo.at("US06 with duration 1300 s: number of knots").get<int>(), 3 * u.table_len);
  EXPECT_DOUBLE_EQ(demo.at("US06 with duration 1300 s: last knot [s]").get<double>(), 2 * 601.0 + 600.0);
  EXPECT_DOUBLE_EQ(drive_at(u, ex.tables.data(), 600.5).value, 0.5 * (data[600].second + data[0].second));
  EXPECT_DOUBLE_EQ(drive_at(u, ex.tables.data(), 601.0 + 100.5).value, 0.5 * (data[100].second + data[101].second));
  EXPECT_DOUBLE_EQ(drive_at(u, ex.tables.data(), 2 * 601.0 + 37.0).value, data[37].second);
}

TEST(ExperimentDriveCycle, WLTCPowerKilowatts) {
  const std::string dir = shared_path("reference-data/drive_cycles");
  const auto data = read_pairs(dir + "/WLTC.csv");
  ASSERT_EQ(data.size(), 18001u);
  for (const char* text : {"Discharge with power from WLTC.csv in kW", "Run WLTC.csv (kW)"}) {
    SCOPED_TRACE(text);
    const Experiment ex = parse_experiment(std::vector<std::string>{text}, chen(), dir);
    const StepSpec& s = ex.steps.at(0);
    EXPECT_EQ(s.mode, ControlMode::power);
    EXPECT_EQ(s.table_len, 18001);
    EXPECT_DOUBLE_EQ(s.duration, 1800.0);
    ASSERT_EQ(ex.tables.size(), 2u * 18001u);
    for (std::size_t k = 0; k < data.size(); k += 997) {
      EXPECT_EQ(ex.tables[2 * k], data[k].first);
      EXPECT_DOUBLE_EQ(ex.tables[2 * k + 1], 1000.0 * data[k].second);  // kW -> W
    }
    EXPECT_DOUBLE_EQ(ex.tables.back(), 1000.0 * data.back().second);
  }
  const Experiment w = parse_experiment(std::vector<std::string>{"Discharge with power from WLTC.csv in W"}, chen(), dir);
  EXPECT_DOUBLE_EQ(w.tables[2 * 5000 + 1], data[5000].second);
  const Experiment rw = parse_experiment(std::vector<std::string>{"Run WLTC.csv (W) for 10 minutes"}, chen(), dir);
  EXPECT_DOUBLE_EQ(rw.steps[0].duration, 600.0);
  EXPECT_EQ(rw.steps[0].mode, ControlMode::power);
}

TEST(ExperimentDriveCycle, TablesSharedAndOffsets) {
  const std::string dir = shared_path("reference-data/drive_cycles");
  // US06 then car_current, repeated: each file stored once, offsets in pairs
  const Experiment ex = parse_experiment(
      {{"Discharge with current from US06.csv", "Rest for 1 minute", "Run car_current.csv (A)"}}, 4, chen(), dir);
  ASSERT_EQ(ex.steps.size(), 12u);
  EXPECT_EQ(ex.tables.size(), 2u * (601u + 14u));
  for (int r = 0; r < 4; ++r) {
    const StepSpec& a = ex.steps[static_cast<std::size_t>(3 * r)];
    const StepSpec& b = ex.steps[static_cast<std::size_t>(3 * r + 2)];
    EXPECT_EQ(a.table_offset, 0);
    EXPECT_EQ(a.table_len, 601);
    EXPECT_EQ(b.table_offset, 601);
    EXPECT_EQ(b.table_len, 14);
    EXPECT_EQ(b.cycle, r);
  }
  // car_current.csv: "0, 1" ... "3600, -0.5" (spaces after the comma)
  EXPECT_EQ(ex.tables[2 * 601], 0.0);
  EXPECT_EQ(ex.tables[2 * 601 + 1], 1.0);
  EXPECT_EQ(ex.tables[2 * 614], 3600.0);
  EXPECT_EQ(ex.tables[2 * 614 + 1], -0.5);
  EXPECT_DOUBLE_EQ(ex.steps[2].duration, 3600.0);
}

//! A temporary directory with files, removed at the end.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("ionflux_exp_" + std::to_string(reinterpret_cast<std::uintptr_t>(this)) + "_" +
            std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  void write(const std::string& name, const std::string& content) const {
    std::ofstream(path / name) << content;
  }
};

TEST(ExperimentDriveCycle, HeaderAndFormats) {
  TempDir tmp;
  tmp.write("hdr.csv", "# comment\ntime [s],current [A]\n0,1\n10,2\n# inner comment\n\n20,3\n");
  tmp.write("ws.csv", "5 1\n7 -1\n");
  tmp.write("semi.csv", "0;1.5\n2;2.5\n");
  const std::string d = tmp.path.string();
  const Experiment ex = parse_experiment(
      std::vector<std::string>{"Discharge with current from hdr.csv", "Run ws.csv (A)",
                               "Discharge with current from semi.csv in mA"},
      chen(), d);
  ASSERT_EQ(ex.tables.size(), 2u * (3u + 2u + 2u));
  EXPECT_EQ(ex.steps[0].table_len, 3);
  EXPECT_DOUBLE_EQ(ex.steps[0].duration, 20.0);
  EXPECT_EQ(ex.tables[5], 3.0);
  EXPECT_EQ(ex.steps[1].table_offset, 3);
  EXPECT_DOUBLE_EQ(ex.steps[1].duration, 2.0);  // last time - first time
  EXPECT_DOUBLE_EQ(ex.steps[1].value, 1.0);
  EXPECT_DOUBLE_EQ(ex.tables[2 * 6 + 1], 2.5e-3);
}

// ----------------------------------------------------------------- errors

TEST(ExperimentErrors, Instructions) {
  expect_error({"Discharge at 1C for 1 hour", "Dischrage at 1C for 1 hour"},
               {"step 2", "\"Dischrage at 1C for 1 hour\"", "unknown instruction", "'Dischrage'"});
  expect_error({"Discharge 1C for 1 hour"}, {"step 1", "expected 'at'", "'1C'"});
  expect_error({"Discharge at 1C for 1 hour please"}, {"unknown word", "'please'"});
  expect_error({"Discharge at 1 A please for 1 hour"}, {"unknown word", "'please'"});
  expect_error({"Discharge at 1C untill 2.5 V"}, {"unknown word 'untill' (did you mean 'until'?)"});
  expect_error({"Dischrage at 1C until 2.5 V"}, {"unknown instruction 'Dischrage' (did you mean 'Discharge'?)"});
  expect_error({"Discharge at 1C for 1 hour or"}, {"'or'"});
  expect_error({"Charge at 1C until 4.2 V until 50 mA"}, {"'until'"});
  expect_error({"Discharge at 1C for 1 hour for 2 hours"}, {"for"});
  expect_error({"Discharge at 1 C for 1 hour at 25oC"}, {"temperature", "25oC"});
  expect_error({"Rest at 1 A for 1 hour"}, {"Rest", "no value"});
  expect_error({""}, {"step 1", "empty step"});
  expect_error({"   "}, {"empty step"});
}

TEST(ExperimentErrors, UnitsAndValues) {
  expect_error({"Discharge at 1 X for 1 hour"}, {"step 1", "unknown unit", "'X'"});
  expect_error({"Discharge at 1 Ohm for 1 hour"}, {"unknown unit", "'Ohm'", "resistance"});
  expect_error({"Discharge at 1 MW for 1 hour"}, {"unknown unit", "'MW'"});
  expect_error({"Discharge at for 1 hour"}, {"missing value"});
  expect_error({"Discharge at"}, {"missing value"});
  expect_error({"Discharge"}, {"missing 'at"});
  expect_error({"Discharge at A for 1 hour"}, {"missing value", "'A'"});
  expect_error({"Discharge at 1 for 1 hour"}, {"missing unit", "'1'"});
  expect_error({"Discharge at C/x for 1 hour"}, {"C-rate", "'C/x'"});
  expect_error({"Discharge at C/0 for 1 hour"}, {"C-rate", "divisor"});
  expect_error({"Discharge at -1 A for 1 hour"}, {"negative", "'-1 A'"});
  expect_error({"Hold at 0 V for 1 hour"}, {"voltage must be positive"});
  expect_error({"Discharge at inf A for 1 hour"}, {"missing value"});
}

TEST(ExperimentErrors, Hold) {
  expect_error({"Hold at 4.2 A for 1 hour"}, {"step 1", "Hold", "is a voltage hold; got a current", "4.2 A"});
  expect_error({"Hold at 1C until 4.2 V"}, {"is a voltage hold; got a C-rate"});
  expect_error({"Hold at 5 W for 1 s"}, {"is a voltage hold; got a power"});
  expect_error({"Hold at 4.2 V"}, {"a hold must end", "'for <duration>'", "'until"});
  expect_error({"Hold at 4.2 V until 4.1 V"}, {"voltage-held", "'until 4.1 V'"});
  expect_error({"Charge at 4.2 V until 4.1 V"}, {"voltage-held"});
  expect_error({"Charge at 4.2 V"}, {"must end"});
  expect_error({"Hold with current from US06.csv"}, {"'at'"});
}

TEST(ExperimentErrors, Terminations) {
  expect_error({"Charge at 1C until 5 V"}, {"step 1", "'until 5 V'", "above", "upper voltage cut-off", "4.2"});
  expect_error({"Discharge at 1C until 2 V"}, {"'until 2 V'", "below", "lower voltage cut-off", "2.5"});
  expect_error({"Discharge at 1C until < 4.3 V"}, {"above"});
  expect_error({"Charge at 1C until 4.2 V or 50 mA or 3 V"}, {"too many end conditions", "3", "at most 2"});
  expect_error({"Charge at 1C until"}, {"missing end condition"});
  expect_error({"Charge at 1C until 4.2 V or"}, {"missing end condition"});
  expect_error({"Charge at 1C until 4.2 X"}, {"unknown unit", "'X'"});
  expect_error({"Charge at 1C until 5 W"}, {"power"});
  expect_error({"Hold at 4.2 V until < 50 mA"}, {"voltages only"});
  expect_error({"Hold at 4.2 V until 0 mA"}, {"must be positive"});
  expect_error({"Rest for 1 hour or until 3.5 V"}, {"no direction", "'until < 3.5 V'"});
  expect_error({"Rest for 1 hour or until 50 mA"}, {"rest", "no current"});
  expect_error({"Rest until > 3.5 V for 1 hour"}, {"'for'"});
}

TEST(ExperimentErrors, Durations) {
  expect_error({"Rest for 0 minutes"}, {"step 1", "duration must be positive", "'0 minutes'"});
  expect_error({"Rest for -5 s"}, {"duration must be positive", "'-5 s'"});
  expect_error({"Rest for 10 fortnights"}, {"unknown unit", "'fortnights'"});
  expect_error({"Rest for 10"}, {"missing time unit"});
  expect_error({"Rest for hours"}, {"missing value", "'hours'"});
  expect_error({"Rest for"}, {"missing duration"});
  expect_error({"Rest"}, {"a rest must end"});
  expect_error({"Discharge at 0 A"}, {"never ends"});
  expect_error({"Discharge at 1C for 1 hour (ten second period)"}, {"period"});
}

TEST(ExperimentErrors, DriveCycleFiles) {
  TempDir tmp;
  tmp.write("empty.csv", "# only a comment\n");
  tmp.write("one.csv", "0,1\n");
  tmp.write("unsorted.csv", "0,1\n2,1\n1,1\n");
  tmp.write("repeat.csv", "0,1\n1,1\n1,2\n");
  tmp.write("text.csv", "0,1\n1,abc\n");
  tmp.write("three.csv", "0,1,2\n1,1,2\n");
  const std::string d = tmp.path.string();
  expect_error({"Discharge with current from missing.csv"}, {"step 1", "missing.csv", "does not exist", d}, d);
  expect_error({"Discharge with current from empty.csv"}, {"empty.csv", "empty"}, d);
  expect_error({"Discharge with current from one.csv"}, {"one.csv", "at least 2"}, d);
  expect_error({"Discharge with current from unsorted.csv"}, {"unsorted.csv", "not strictly increasing", "line 3"}, d);
  expect_error({"Discharge with current from repeat.csv"}, {"not strictly increasing"}, d);
  expect_error({"Discharge with current from text.csv"}, {"line 2", "text.csv", "not two numbers"}, d);
  expect_error({"Discharge with current from three.csv"}, {"3 columns"}, d);
  expect_error({"Discharge with power from one.csv"}, {"missing unit", "in kW"}, d);
  expect_error({"Discharge with power from one.csv in A"}, {"unknown unit", "'A'"}, d);
  expect_error({"Discharge with voltage from one.csv"}, {"with current from", "'voltage'"}, d);
  expect_error({"Discharge with current one.csv"}, {"missing 'from"}, d);
  expect_error({"Run one.csv"}, {"missing unit", "(A)"}, d);
  expect_error({"Run one.csv (V)"}, {"unknown unit", "'V'"}, d);
  expect_error({"Run (A)"}, {"missing drive-cycle file"}, d);
}

TEST(ExperimentErrors, Structure) {
  expect_error({}, {"empty experiment"});
  EXPECT_THROW(parse_experiment(std::vector<std::vector<std::string>>{}, 1, chen()), InputError);
  EXPECT_THROW(parse_experiment({{"Rest for 1 s"}}, 0, chen()), InputError);
  try {
    (void)parse_experiment({{"Rest for 1 s"}, {"Rest for 2 s", "Discharge at 1 Q"}}, 2, chen());
    ADD_FAILURE() << "no exception";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("step 3 (cycle 2, step 2)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("\"Discharge at 1 Q\""), std::string::npos) << msg;
  }
  try {
    (void)parse_experiment({{"Rest for 1 s"}, {}}, 1, chen());
    ADD_FAILURE() << "no exception";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cycle 2 has no steps"), std::string::npos) << e.what();
  }
  // C-rates need the nominal capacity
  ParameterSet ps = chen();
  EXPECT_NO_THROW(parse_experiment(std::vector<std::string>{"Discharge at 1 A until 2.5 V"}, ps));
}

// ----------------------------------------------------------------- the user documentation

TEST(ExperimentDocs, ExamplesParse) {
  // Every line of the ```text blocks in docs/experiments.md is a step that parses (blocks
  // marked ```text-error hold strings that must be rejected). Blank lines separate cycles.
  const std::string doc = std::string(IONFLUX_FIXTURES_DIR) + "/../../docs/experiments.md";
  std::ifstream f(doc);
  ASSERT_TRUE(f) << "cannot open " << doc;
  const std::string dir = shared_path("reference-data/drive_cycles");
  std::string line;
  enum { none, good, bad } mode = none;
  int n_good = 0, n_bad = 0;
  while (std::getline(f, line)) {
    if (line.rfind("```", 0) == 0) {
      if (mode != none) mode = none;
      else if (line == "```text") mode = good;
      else if (line == "```text-error") mode = bad;
      continue;
    }
    const std::string t = line;
    if (mode == none || t.find_first_not_of(" \t") == std::string::npos) continue;
    SCOPED_TRACE(t);
    if (mode == good) {
      EXPECT_NO_THROW(parse_experiment(std::vector<std::string>{t}, chen(), dir));
      ++n_good;
    } else {
      EXPECT_THROW(parse_experiment(std::vector<std::string>{t}, chen(), dir), InputError);
      ++n_bad;
    }
  }
  EXPECT_GE(n_good, 20);
  EXPECT_GE(n_bad, 3);
}

// ----------------------------------------------------------------- cut short (issue 10 item 9)

using Groups = std::vector<std::vector<std::string>>;

// The end message of an experiment that the set's cut-off stopped: the step cut short
// (index and cycle counted from 0, as in the step records; its text), the steps that did
// not run (all listed up to 3, else as a range), and the difference from PyBaMM.
TEST(ExperimentCutShort, NamesTheStepAndTheStepsThatDidNotRun) {
  const Experiment ex = parse_experiment(Groups{{"Discharge at 1C for 2 hours", "Rest for 10 minutes"}}, 1, chen());
  CellParams p{};
  p.v_min = 2.5;
  p.v_max = 4.2;
  const std::string m = cut_short_message(CellStatus::cutoff_lower, p, ex.steps.data(), 2, ex.text.data(), 0, 0.0,
                                          3555.5);
  for (const char* part :
       {"reached the lower voltage cut-off 2.5 V of the parameter set ('Lower voltage cut-off [V]') at t = 3555.5 s",
        "3555.5 s into step 0 \"Discharge at 1C for 2 hours\" (cycle 0) of 2 steps",
        "the step was cut short by the cut-off (it was to run 7200 s (2 h))",
        "1 step did not run: step 1 \"Rest for 10 minutes\" (cycle 0)", "PyBaMM widens them by 1 V",
        "docs/experiments.md"})
    EXPECT_NE(m.find(part), std::string::npos) << "missing '" << part << "' in: " << m;

  // many cycles: the steps that did not run as a range
  const Experiment many = parse_experiment(
      {{"Charge at 1C for 30 minutes or until 4.2 V", "Rest for 1 minute", "Discharge at 1C for 30 minutes"}}, 5, chen());
  ASSERT_EQ(many.steps.size(), 15u);
  const std::string u = cut_short_message(CellStatus::cutoff_upper, p, many.steps.data(), 15, many.text.data(), 3,
                                          100.0, 160.0);
  for (const char* part : {"upper voltage cut-off 4.2 V", "60 s into step 3 \"Charge at 1C for 30 minutes or until 4.2 V\" (cycle 1) of 15 steps",
                           "or until its end condition", "11 steps did not run: steps 4 to 14 (cycles 1 to 4), from step 4 "
                           "\"Rest for 1 minute\" (cycle 1) to step 14 \"Discharge at 1C for 30 minutes\" (cycle 4)"})
    EXPECT_NE(u.find(part), std::string::npos) << "missing '" << part << "' in: " << u;
  // without texts: indices and cycles only
  const std::string bare = cut_short_message(CellStatus::cutoff_lower, p, ex.steps.data(), 2, nullptr, 0, 0.0, 10.0);
  EXPECT_NE(bare.find("1 step did not run: step 1 (cycle 0)"), std::string::npos) << bare;
  // the last step cut short: nothing skipped, but still cut short
  const std::string last = cut_short_message(CellStatus::cutoff_lower, p, ex.steps.data(), 1, ex.text.data(), 0, 0.0, 10.0);
  EXPECT_NE(last.find("cut short"), std::string::npos) << last;
  EXPECT_NE(last.find("it was the last step"), std::string::npos) << last;
}

TEST(ExperimentCutShort, EmptyWhenNothingWasCutShort) {
  CellParams p{};
  p.v_min = 2.5;
  p.v_max = 4.2;
  const Experiment ex = parse_experiment(Groups{{"Discharge at 1C for 2 hours", "Rest for 10 minutes"}}, 1, chen());
  // other end reasons
  for (CellStatus st : {CellStatus::finished, CellStatus::end_time_reached, CellStatus::newton_failure,
                        CellStatus::cutoff_at_start})
    EXPECT_EQ(cut_short_message(st, p, ex.steps.data(), 2, ex.text.data(), 0, 0.0, 10.0), "");
  // no protocol
  EXPECT_EQ(cut_short_message(CellStatus::cutoff_lower, p, nullptr, 0, nullptr, 0, 0.0, 10.0), "");
  // the last step runs until a cut-off by design ("Discharge at 1C": no duration, no end)
  const Experiment open = parse_experiment(Groups{{"Rest for 1 minute", "Discharge at 1C"}}, 1, chen());
  EXPECT_EQ(cut_short_message(CellStatus::cutoff_lower, p, open.steps.data(), 2, open.text.data(), 1, 60.0, 3000.0), "");
  // ... but one before other steps is reported: those steps did not run
  const Experiment open2 = parse_experiment(Groups{{"Discharge at 1C", "Rest for 1 minute"}}, 1, chen());
  const std::string m = cut_short_message(CellStatus::cutoff_lower, p, open2.steps.data(), 2, open2.text.data(), 0, 0.0,
                                          3000.0);
  EXPECT_NE(m.find("which runs until a cut-off"), std::string::npos) << m;
  EXPECT_NE(m.find("1 step did not run: step 1 \"Rest for 1 minute\" (cycle 0)"), std::string::npos) << m;
}

// PyBaMM's experiment terminations (experiment.py read_termination): "80% capacity",
// "4 Ah capacity" / "4 A.h capacity" / "4Ah capacity", "2.5 V"; a time is refused here (it
// is the run's end time), as is anything else, naming the forms.
TEST(ExperimentParse, ExperimentTerminations) {
  const ExperimentEnd e = parse_experiment_termination({"80% capacity", "2.7 V"});
  EXPECT_DOUBLE_EQ(e.capacity_fraction, 0.8);
  EXPECT_DOUBLE_EQ(e.min_voltage, 2.7);
  EXPECT_EQ(experiment_termination_text(e), "80% capacity, 2.7 V");
  // one termination of each kind, the last given: PyBaMM's read_termination keeps them in
  // a dict by kind ("capacity", "voltage", "time")
  const ExperimentEnd last = parse_experiment_termination({"80% capacity", "4.5 A.h capacity", "2.7 V", "2.8 V"});
  EXPECT_DOUBLE_EQ(last.capacity_fraction, 0.0);
  EXPECT_DOUBLE_EQ(last.capacity_ah, 4.5);
  EXPECT_DOUBLE_EQ(last.min_voltage, 2.8);
  EXPECT_DOUBLE_EQ(parse_experiment_termination({"4 Ah capacity", "90% capacity"}).capacity_ah, 0.0);
  EXPECT_DOUBLE_EQ(parse_experiment_termination({"4Ah capacity"}).capacity_ah, 4.0);
  EXPECT_DOUBLE_EQ(parse_experiment_termination({" 75 % capacity "}).capacity_fraction, 0.75);
  EXPECT_FALSE(parse_experiment_termination({}).any());
  // a time, in PyBaMM's units (experiment.py _convert_time_to_seconds): the run's end
  const ExperimentEnd t = parse_experiment_termination({"1.5 hours"});
  EXPECT_DOUBLE_EQ(t.time, 5400.0);
  EXPECT_TRUE(t.any());
  EXPECT_FALSE(t.per_cycle());
  EXPECT_DOUBLE_EQ(parse_experiment_termination({"50 min"}).time, 3000.0);
  EXPECT_DOUBLE_EQ(parse_experiment_termination({"20s"}).time, 20.0);
  EXPECT_EQ(experiment_termination_text(parse_experiment_termination({"80% capacity", "50 minutes"})),
            "80% capacity, 3000 s");
  for (const char* bad : {"80 capacity", "1 fortnight", "-2.5 V", "capacity", "x% capacity", "4 W", "0 hours"}) {
    try {
      (void)parse_experiment_termination({bad});
      ADD_FAILURE() << bad << " was accepted";
    } catch (const InputError& err) {
      EXPECT_NE(std::string(err.what()).find("PyBaMM's forms: \"80% capacity\", \"4 Ah capacity\", \"2.5 V\", \"10 hours\""),
                std::string::npos)
          << err.what();
    }
  }
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
