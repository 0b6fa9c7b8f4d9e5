// One road for one cell and for many (issue 12, "Results"): simulate() is a batch of one
// cell through run_batch (BatchInputs::detail), read back by cell_solution. Checked here:
//  - simulate() equals, bit for bit, cell_solution() of the same cell run inside a larger
//    batch with detail (series, summaries, step records, statistics, states, message);
//  - it equals (<= 1e-12 relative) the sweep road (run_batch without detail, the arrays an
//    HDF5 file or Python's memory sink receive) for that cell, alone and among others;
//  - and it still meets the PyBaMM fixtures already in the repository, with the bounds
//    of the tests that own them (test_pybamm_dfn.cpp: 0.5 mV RMS, 0.1 % capacity;
//    test_experiments.cpp: 1 mV RMS, step ends within 1 s, temperature within 0.1 K):
//    a single discharge, an experiment (CC-rest-CC-CV), the lumped thermal model, and
//    user functions (Chen2020's functions written as expressions, against the Chen2020
//    fixture they reproduce; test_user_functions.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <utility>
#include <string>
#include <vector>

#include "../test_support.hpp"
#include "solver/backends/backend_cuda.hpp"
#include "solver/inputs/experiment.hpp"
#include "solver/inputs/parameter_file.hpp"
#include "solver/problem/batch.hpp"
#include "tests/equivalence/batch_cases.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

// The same functions as Chen2020's built-in closed forms, as user expressions (from
// tests/integration/test_user_functions.cpp).
const char* const kChenAsExpressions = R"j({"ionflux parameter file": 1, "base": "Chen2020", "name": "Chen2020 as expressions",
  "parameters": {
    "Negative electrode OCP [V]": "1.9793 * exp(-39.3631 * sto) + 0.2482 - 0.0909 * tanh(29.8538 * (sto - 0.1234)) - 0.04478 * tanh(14.9159 * (sto - 0.2769)) - 0.0205 * tanh(30.4444 * (sto - 0.6103))",
    "Positive electrode OCP [V]": "-0.8090 * sto + 4.4875 - 0.0428 * tanh(18.5138 * (sto - 0.5542)) - 17.7326 * tanh(15.7890 * (sto - 0.3117)) + 17.5842 * tanh(15.9308 * (sto - 0.3120))",
    "Electrolyte diffusivity [m2.s-1]": "8.794e-11 * (c_e / 1000) ^ 2 - 3.972e-10 * (c_e / 1000) + 4.862e-10",
    "Electrolyte conductivity [S.m-1]": "0.1297 * (c_e / 1000) ^ 3 - 2.51 * (c_e / 1000) ^ 1.5 + 3.329 * (c_e / 1000)"
  }})j";

//! Keeps every chunk as run_batch hands it over.
struct KeepChunks : ChunkSink {
  std::vector<ChunkData> chunks;
  void write_chunk(const ChunkData& c) override { chunks.push_back(c); }
  void take_chunk(ChunkData&& c) override { chunks.push_back(std::move(c)); }
};

struct Case {
  std::string name;
  CellParams cell;
  RunOptions run;
};

//! A batch of three cells with `c` in the middle (the others: the same cell at 1.5x and
//! 0.5x its current), sharing c's options; in chunks of two, on two threads.
BatchInputs batch_around(const Case& c) {
  BatchInputs in;
  CellParams faster = c.cell, slower = c.cell;
  faster.current *= 1.5;
  slower.current *= 0.5;
  in.cells = {faster, c.cell, slower};
  in.pre_status.assign(3, CellStatus::running);
  in.pre_message.assign(3, std::string());
  in.run = c.run;
  return in;
}

BatchOptions two_threads() {
  BatchOptions o;
  o.device = Device::cpu;
  o.threads = 2;
  o.max_chunk_cells = 2;
  return o;
}

bool same(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

void expect_rel(double ours, double ref, const std::string& what) {
  if (std::isnan(ref)) {
    EXPECT_TRUE(std::isnan(ours)) << what;
    return;
  }
  EXPECT_LE(std::fabs(ours - ref), 1e-12 * std::fabs(ref) + 1e-300) << what << ": " << ours << " vs " << ref;
}

//! simulate() against the cell run in a batch with detail: the same numbers, bit for bit.
void expect_identical(const Solution& a, const Solution& b) {
  ASSERT_EQ(a.time.size(), b.time.size());
  for (std::size_t k = 0; k < a.time.size(); ++k) {
    EXPECT_EQ(a.time[k], b.time[k]) << k;
    EXPECT_EQ(a.voltage[k], b.voltage[k]) << k;
    EXPECT_EQ(a.current[k], b.current[k]) << k;
    EXPECT_EQ(a.capacity[k], b.capacity[k]) << k;
    EXPECT_EQ(a.temperature.at(k), b.temperature.at(k)) << k;
    EXPECT_EQ(a.step.at(k), b.step.at(k)) << k;
    EXPECT_EQ(a.cycle.at(k), b.cycle.at(k)) << k;
  }
  EXPECT_EQ(a.states, b.states);
  ASSERT_EQ(a.steps.size(), b.steps.size());
  for (std::size_t r = 0; r < a.steps.size(); ++r) {
    EXPECT_EQ(a.steps[r].step, b.steps[r].step);
    EXPECT_EQ(a.steps[r].t_start, b.steps[r].t_start);
    EXPECT_EQ(a.steps[r].t_end, b.steps[r].t_end);
    EXPECT_EQ(a.steps[r].capacity, b.steps[r].capacity);
    EXPECT_EQ(a.steps[r].energy, b.steps[r].energy);
    EXPECT_EQ(a.steps[r].end, b.steps[r].end);
    EXPECT_EQ(a.steps[r].discharge_capacity, b.steps[r].discharge_capacity);
    EXPECT_EQ(a.steps[r].charge_energy, b.steps[r].charge_energy);
  }
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.message, b.message);
  EXPECT_EQ(a.protocol, b.protocol);
  EXPECT_EQ(a.protocol_cut_short, b.protocol_cut_short);
  const std::initializer_list<std::pair<double, double>> summaries = {
      {a.end_time, b.end_time}, {a.discharge_capacity, b.discharge_capacity},
                      {a.charge_capacity, b.charge_capacity}, {a.discharge_energy, b.discharge_energy},
                      {a.charge_energy, b.charge_energy}, {a.energy, b.energy}, {a.mean_voltage, b.mean_voltage}};
  for (const auto& [x, y] : summaries)
    EXPECT_TRUE(same(x, y)) << x << " vs " << y;
  EXPECT_EQ(a.stats.steps, b.stats.steps);
  EXPECT_EQ(a.stats.newton_iters, b.stats.newton_iters);
  EXPECT_EQ(a.stats.jacobian_setups, b.stats.jacobian_setups);
  EXPECT_EQ(a.stats.residual_evals, b.stats.residual_evals);
  EXPECT_EQ(a.stats.error_test_failures, b.stats.error_test_failures);
  EXPECT_EQ(a.stats.convergence_failures, b.stats.convergence_failures);
}

//! The three roads for one case: simulate, the cell inside a batch with detail, and
//! the sweep road (no detail). Returns simulate's solution.
Solution check_roads(const Case& c) {
  SCOPED_TRACE(c.name);
  const Solution s = simulate(c.cell, c.run);
  EXPECT_GT(s.time.size(), 10u);
  EXPECT_GT(s.stats.steps, 10) << "solver statistics come back through the batch";
  EXPECT_EQ(s.layout.n_state, Layout::make(c.run.mesh).n_state);

  // (1) the cell in a batch with detail: cell_solution of its chunk is simulate()'s result
  BatchInputs in = batch_around(c);
  in.detail = true;
  KeepChunks kept;
  run_batch(in, two_threads(), &kept);
  EXPECT_EQ(kept.chunks.size(), 2u);
  if (kept.chunks.size() == 2u) {
    EXPECT_EQ(kept.chunks[0].n, 2u);
    expect_identical(cell_solution(std::move(kept.chunks[0]), 1, in), s);
  }

  // (2) the sweep road (what files and Python's memory sink receive): a one-cell
  // run_batch, and the cell in the middle of the three-cell batch above
  BatchInputs one = batch_around(c);
  one.cells = {c.cell};
  one.pre_status.resize(1);
  one.pre_message.resize(1);
  const std::vector<std::pair<BatchInputs, std::size_t>> roads = {{one, 0}, {batch_around(c), 1}};
  for (const auto& [sweep, j] : roads) {
    SCOPED_TRACE(j == 0 ? "one-cell batch" : "three-cell batch");
    testing::CollectSink all;
    run_batch(sweep, two_threads(), &all);
    const ChunkData& b = all.all;
    EXPECT_EQ(b.status[j], static_cast<int>(s.status));
    EXPECT_EQ(b.message[j], s.message);
    EXPECT_EQ(b.steps[j], s.stats.steps);
    EXPECT_EQ(b.count[j], s.time.size());
    const bool temperature = sweep.has_protocol() || sweep.any_thermal();
    for (std::size_t k = 0; k < s.time.size() && k < b.count[j]; ++k) {
      const std::size_t i = b.offset[j] + k;
      expect_rel(b.time[i], s.time[k], "time");
      expect_rel(b.voltage[i], s.voltage[k], "voltage");
      expect_rel(b.current[i], s.current[k], "current");
      expect_rel(b.capacity[i], s.capacity[k], "capacity");
      if (temperature) {
        expect_rel(b.temperature[i], s.temperature[k], "temperature");
        EXPECT_EQ(b.step_index[i], s.step[k]);
      }
    }
    expect_rel(b.end_time[j], s.end_time, "end time");
    expect_rel(b.discharge_capacity[j], s.discharge_capacity, "discharge capacity");
    expect_rel(b.charge_capacity[j], s.charge_capacity, "charge capacity");
    expect_rel(b.discharge_energy[j], s.discharge_energy, "discharge energy");
    expect_rel(b.charge_energy[j], s.charge_energy, "charge energy");
    expect_rel(b.energy[j], s.energy, "energy");
    expect_rel(b.mean_voltage[j], s.mean_voltage, "mean voltage");
    if (sweep.has_protocol()) {  // the (cell, step) table holds the step records
      const std::size_t ns = static_cast<std::size_t>(b.n_steps);
      std::size_t reached = 0;
      for (std::size_t q = 0; q < ns; ++q) reached += !std::isnan(b.step_end[j * ns + q]);
      EXPECT_EQ(reached, s.steps.size());
      for (const StepRecord& r : s.steps) {
        const std::size_t i = j * ns + static_cast<std::size_t>(r.step);
        expect_rel(b.step_start[i], r.t_start, "step start");
        expect_rel(b.step_end[i], r.t_end, "step end");
        expect_rel(b.step_capacity[i], r.capacity, "step capacity");
        expect_rel(b.step_energy[i], r.energy, "step energy");
        expect_rel(b.step_discharge_capacity[i], r.discharge_capacity, "step discharge capacity");
        expect_rel(b.step_charge_capacity[i], r.charge_capacity, "step charge capacity");
      }
    }
  }
  return s;
}

//! Voltage RMS [V] against a fixture at its times, leaving out points within 1 s of a
//! step change (as test_experiments.cpp); `points` counts those compared.
double voltage_rms(const testing::json& fx, const Solution& s, int& points, double* temperature_max = nullptr) {
  const auto t = testing::to_vec(fx["time_series"]["t [s]"]);
  const auto v = testing::to_vec(fx["time_series"]["Voltage [V]"]);
  std::vector<double> boundaries;
  if (fx.contains("steps"))
    for (const auto& st : fx["steps"])
      if (st["end time [s]"].is_number()) boundaries.push_back(st["end time [s]"].get<double>());
  for (const StepRecord& r : s.steps) boundaries.push_back(r.t_end);
  std::vector<double> temp;
  if (temperature_max) temp = testing::to_vec(fx["time_series"]["Volume-averaged cell temperature [K]"]);
  double sum = 0.0;
  points = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const int k = testing::find_time(s.time, t[i]);
    if (k < 0 || k + 1 == static_cast<int>(s.time.size())) continue;  // not an output, or our end point
    bool near = false;
    for (double b : boundaries) near = near || std::fabs(t[i] - b) < 1.0;
    if (near) continue;
    const double d = s.voltage[static_cast<std::size_t>(k)] - v[i];
    sum += d * d;
    ++points;
    if (temperature_max)
      *temperature_max = std::max(*temperature_max, std::fabs(s.temperature[static_cast<std::size_t>(k)] - temp[i]));
  }
  return points ? std::sqrt(sum / points) : INFINITY;
}

std::vector<std::vector<std::string>> groups_of(const testing::json& ops) {
  std::vector<std::vector<std::string>> g;
  for (const auto& op : ops) g.push_back(op.is_array() ? op.get<std::vector<std::string>>()
                                                       : std::vector<std::string>{op.get<std::string>()});
  return g;
}

//! A 1C discharge on the Chen2020 fixture's times (fixture: pybamm_dfn_Chen2020_1C.json).
Case discharge_case(const std::string& name, const ParameterSet& ps, const testing::json& fx) {
  Case c;
  c.name = name;
  c.cell = ps.cell_params(fx["current_A"].get<double>());
  const auto t = testing::to_vec(fx["time_series"]["t [s]"]);
  c.run.mesh = testing::uniform_mesh(20);
  c.run.t_eval.assign(t.begin(), t.end() - 1);
  c.run.t_end = 1.5 * fx["t_end"].get<double>();
  c.run.store_states = true;
  return c;
}

TEST(SingleRoad, DischargeIsABatchOfOneAndMatchesPyBaMM) {
  const auto& fx = testing::load_fixture("pybamm_dfn_Chen2020_1C.json");
  const Solution s = check_roads(discharge_case("Chen2020 1C", ParameterSet::load("Chen2020"), fx));
  EXPECT_EQ(s.status, CellStatus::cutoff_lower) << s.message;
  ASSERT_EQ(s.states.size(), s.time.size() * static_cast<std::size_t>(s.layout.n_state)) << "states stored";
  int points = 0;
  EXPECT_LE(voltage_rms(fx, s, points), 0.5e-3);  // test_pybamm_dfn.cpp's bound
  EXPECT_GT(points, 100);
  const double q_ref = testing::to_vec(fx["time_series"]["Discharge capacity [A.h]"]).back();
  EXPECT_NEAR(s.discharge_capacity, q_ref, 1e-3 * q_ref);
  ASSERT_EQ(s.steps.size(), 1u) << "a constant-current run is one step";
  EXPECT_EQ(s.steps[0].end, StepEnd::cutoff);
}

TEST(SingleRoad, UserExpressionsAreABatchOfOneAndMatchPyBaMM) {
  const auto& fx = testing::load_fixture("pybamm_dfn_Chen2020_1C.json");
  const ParameterSet ps = parse_parameter_file(kChenAsExpressions, "chen_expr.json");
  ASSERT_EQ(ps.cell_params(5.0).electrolyte_conductivity.id, FunctionId::user);
  const Solution s = check_roads(discharge_case("Chen2020 as expressions 1C", ps, fx));
  EXPECT_EQ(s.status, CellStatus::cutoff_lower) << s.message;
  int points = 0;
  EXPECT_LE(voltage_rms(fx, s, points), 0.5e-3);
  EXPECT_GT(points, 100);
}

TEST(SingleRoad, ExperimentIsABatchOfOneAndMatchesPyBaMM) {
  const auto& fx = testing::load_fixture("pybamm_exp_cccv.json");  // CC-rest-CC-CV, Chen2020
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const Experiment ex = parse_experiment(groups_of(fx["experiment"]["operating_conditions"]), 1, ps);
  Case c;
  c.name = "CC-rest-CC-CV";
  c.cell = ps.cell_params(5.0);
  c.run.steps = ex.steps;
  c.run.tables = ex.tables;
  c.run.step_text = ex.text;
  c.run.t_eval = testing::to_vec(fx["time_series"]["t [s]"]);
  c.run.t_end = c.run.t_eval.back() + 1.0;
  const Solution s = check_roads(c);
  EXPECT_EQ(s.status, CellStatus::finished) << s.message;
  EXPECT_TRUE(s.protocol);
  int points = 0;
  EXPECT_LE(voltage_rms(fx, s, points), 1e-3);  // test_experiments.cpp's bound
  EXPECT_GT(points, 100);
  std::vector<double> theirs;  // step ends within 1 s (test_experiments.cpp)
  for (const auto& st : fx["steps"])
    if (!st.value("skipped", false) && st["end time [s]"].is_number()) theirs.push_back(st["end time [s]"].get<double>());
  ASSERT_EQ(s.steps.size(), ex.steps.size());
  ASSERT_GE(s.steps.size(), theirs.size());
  for (std::size_t i = 0; i < theirs.size(); ++i) EXPECT_NEAR(s.steps[i].t_end, theirs[i], 1.0) << "step " << i;
}

TEST(SingleRoad, LumpedThermalIsABatchOfOneAndMatchesPyBaMM) {
  const auto& fx = testing::load_fixture("pybamm_exp_thermal.json");  // Marquis2019 2C, lumped
  const ParameterSet ps = ParameterSet::load("Marquis2019");
  const Experiment ex = parse_experiment(groups_of(fx["experiment"]["operating_conditions"]), 1, ps);
  Case c;
  c.name = "Marquis2019 2C lumped";
  c.cell = ps.cell_params(2 * 0.680616);
  enable_lumped_thermal(c.cell, ps);
  c.run.steps = ex.steps;
  c.run.tables = ex.tables;
  c.run.t_eval = testing::to_vec(fx["time_series"]["t [s]"]);
  c.run.t_end = c.run.t_eval.back() + 1.0;
  const Solution s = check_roads(c);
  EXPECT_EQ(s.status, CellStatus::finished) << s.message;
  int points = 0;
  double dtemp = 0.0;
  EXPECT_LE(voltage_rms(fx, s, points, &dtemp), 1e-3);
  EXPECT_GT(points, 300);
  EXPECT_LE(dtemp, 0.1);  // test_experiments.cpp's bound
  EXPECT_GT(s.temperature.back(), 298.8) << "the cell heats up (PyBaMM: 298.905 K at the end)";
}

TEST(SingleRoad, EveryStepOutputAndACutShortProtocolTravelTheBatchRoad) {
  // every accepted step as an output (period 0), and an experiment a cut-off stops early
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const Experiment ex = parse_experiment({{"Discharge at 1C for 2 hours"}}, 1, ps);
  Case c;
  c.name = "cut short, every step";
  c.cell = ps.cell_params(5.0);
  c.run.steps = ex.steps;
  c.run.step_text = ex.text;
  c.run.t_end = 7300.0;
  const Solution s = check_roads(c);
  EXPECT_EQ(s.status, CellStatus::cutoff_lower);
  EXPECT_TRUE(s.protocol_cut_short);
  EXPECT_NE(s.message.find(kCutShortMark), std::string::npos) << s.message;
  EXPECT_GE(static_cast<int>(s.time.size()), s.stats.steps) << "an output at every accepted step";
}

TEST(SingleRoad, TheOutputLimitStopsTheOutputsAsBefore) {
  // every-step output past IONFLUX_MAX_OUTPUT_BYTES: the outputs stop, the status says
  // so, and the end time is the last output (as simulate() reported before it was a batch)
  ::setenv("IONFLUX_MAX_OUTPUT_BYTES", "2000", 1);
  RunOptions o;
  o.mesh = testing::uniform_mesh(10);
  o.t_end = 4000.0;
  const Solution s = simulate(ParameterSet::load("Chen2020").cell_params(5.0), o);
  ::unsetenv("IONFLUX_MAX_OUTPUT_BYTES");
  EXPECT_EQ(s.status, CellStatus::output_overflow);
  ASSERT_EQ(s.time.size(), 2000u / 48u) << "48-byte rows";
  EXPECT_EQ(s.end_time, s.time.back());
  EXPECT_NE(s.message.find("the outputs stop at t ="), std::string::npos) << s.message;
  EXPECT_TRUE(std::isnan(s.discharge_capacity)) << "an overflowed run's summaries are not data";
}

TEST(SingleRoad, DetailRunsOnTheCpuThreads) {
  Case c = discharge_case("detail", ParameterSet::load("Chen2020"), testing::load_fixture("pybamm_dfn_Chen2020_1C.json"));
  BatchInputs in = batch_around(c);
  in.detail = true;
  BatchOptions o;
  o.device = Device::cuda;
  EXPECT_THROW(run_batch(in, o, nullptr), InputError) << "the GPU keeps no step records or states";
  cuda_backend::emulate_device_for_testing(true);  // a GPU is there: auto still runs detail on the CPU
  o.device = Device::automatic;
  o.threads = 2;
  BatchSummary sum;
  try {
    sum = run_batch(in, o, nullptr);
  } catch (...) {
    cuda_backend::emulate_device_for_testing(false);
    throw;
  }
  cuda_backend::emulate_device_for_testing(false);
  EXPECT_EQ(sum.device_used, Device::cpu);
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
