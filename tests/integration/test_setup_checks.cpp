// The problem set-up on the host (issue 10 items 1, 2, 6, 11):
//  - whatever a sweep varies takes effect per cell exactly as in a single run with that
//    value set ("Current function [A]" is each cell's current, as "Current [A]"), or is
//    refused before anything runs;
//  - the default end time follows each cell's own theoretical capacity (from its
//    electrode loadings), so an enlarged cell runs to its cut-off by default, and a run
//    that stops at t_end says so (status end_time_reached, a CLI warning);
//  - values in the wrong units are warned about, naming the likely unit; a failed
//    initialisation names the quantities that caused it;
//  - the root attributes of a sweep file describe the sweep (no "grid" for a Latin
//    hypercube).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../test_support.hpp"
#include "../test_util.hpp"
#include "solver/cli/cli.hpp"
#include "solver/util/errors.hpp"
#include "solver/inputs/experiment.hpp"
#include "solver/inputs/parameters.hpp"
#include "solver/inputs/plausibility.hpp"
#include "solver/problem/simulation.hpp"
#include "solver/inputs/sweep.hpp"
#include "solver/problem/sweep_plan.hpp"

#if defined(IONFLUX_HAVE_HDF5) && IONFLUX_HAVE_HDF5
#include "tests/h5_read.hpp"
#define IONFLUX_TEST_HDF5 1
#endif

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

struct CliRun {
  int rc;
  std::string out, err;
};
CliRun cli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int rc = cli_main(args, out, err);
  return {rc, out.str(), err.str()};
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

//! The rows of a CSV written by `ionflux simulate`: column k of every row after the header.
std::vector<double> csv_column(const std::string& path, int k) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  std::vector<double> col;
  while (std::getline(f, line)) {
    std::stringstream row(line);
    std::string cell;
    for (int j = 0; j <= k; ++j) std::getline(row, cell, ',');
    col.push_back(std::stod(cell));
  }
  return col;
}

bool same_bytes(const CellParams& a, const CellParams& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

const char* const kCoarse = R"("mesh": {"x_n": 8, "x_s": 6, "x_p": 8, "r_n": 6, "r_p": 6})";

// ---------------------------------------------------------------------------------
// Item 1: a varied "Current function [A]" is each cell's current.

#ifdef IONFLUX_TEST_HDF5
using namespace ionflux::testing::h5;

TEST(SetupSweep, VariedCurrentFunctionIsEachCellsCurrentAndEqualsSingleRuns) {
  testing::TempDir dir("ionflux_setup");
  // The issue's config (zip of three currents), on a coarse mesh with a shared output
  // grid and end so that rows compare one to one with single runs.
  const std::string cfg = dir / "current_function.json";
  std::ofstream(cfg) << R"({"parameters": "Chen2020", "vary": {"Current function [A]": [5.0, 5000.0, 2.5]},
    "combine": "zip", "period": 60, "t_end": 8000, )" << kCoarse << "}";
  const std::string h5 = dir / "out.h5";
  const CliRun r = cli({"sweep", cfg, "--output", h5, "--device", "cpu", "--quiet"});
  ASSERT_EQ(r.rc, 0) << r.err;
  File f(h5);
  const auto status = read_ints(f, "/cells/status");
  ASSERT_EQ(status.size(), 3u);
  // 5 A and 2.5 A discharge to the cut-off; 5000 A (1000C) is below it at t = 0 (as
  // `ionflux simulate --current 5000` reports), while its neighbours complete.
  EXPECT_EQ(status[0], static_cast<int>(CellStatus::cutoff_lower));
  EXPECT_EQ(status[1], static_cast<int>(CellStatus::cutoff_at_start));
  EXPECT_EQ(status[2], static_cast<int>(CellStatus::cutoff_lower));
  const auto offset = read_int64s(f, "/cells/offset"), count = read_int64s(f, "/cells/count");
  const auto volts = read_doubles(f, "/cells/Voltage [V]");
  const auto amps = read_doubles(f, "/cells/Current [A]");
  const double set_value[] = {5.0, 5000.0, 2.5};
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(amps[offset[c]], set_value[c]) << "cell " << c;
    // the single run: the same value set on the command line, nothing else
    const std::string csv = dir / ("single" + std::to_string(c) + ".csv");
    const CliRun s = cli({"simulate", "--set", "Current function [A]=" + std::to_string(set_value[c]), "--mesh",
                          "x_n=8,x_s=6,x_p=8,r_n=6,r_p=6", "--period", "60", "--t-end", "8000", "--output", csv,
                          "--quiet"});
    const std::vector<double> v = csv_column(csv, 1);
    ASSERT_FALSE(v.empty()) << s.err;
    ASSERT_EQ(count[c], static_cast<long long>(v.size())) << "cell " << c;
    for (std::size_t k = 0; k < v.size(); ++k) EXPECT_EQ(volts[offset[c] + k], v[k]) << "cell " << c << " row " << k;
  }
  EXPECT_TRUE(contains(read_string_attribute(f, "/", "protocol"), "current varied per cell ('Current function [A]')"))
      << read_string_attribute(f, "/", "protocol");
}
#endif

//! Cell c of a planned sweep equals the cell a single run builds from the base set with
//! that cell's values set (and the same current, thermal model and initial SOC).
void expect_cells_as_single_runs(const std::string& config, const std::vector<std::string>& names,
                                 const std::vector<std::vector<double>>& values, bool lumped, double soc,
                                 const std::function<double(const ParameterSet&)>& current) {
  const SweepSpec spec = parse_sweep_config(config, "test");
  const SweepPlan plan = plan_sweep(spec);
  ASSERT_EQ(plan.inputs.size(), values.front().size());
  for (std::size_t c = 0; c < values.front().size(); ++c) {
    ParameterSet ps = ParameterSet::load(spec.parameters);
    for (const auto& kv : spec.set) ps.set(kv.first, kv.second);
    for (std::size_t v = 0; v < names.size(); ++v) ps.set(names[v], values[v][c]);
    CellParams cell = ps.cell_params(current(ps));
    if (lumped) enable_lumped_thermal(cell, ps);
    if (soc >= 0.0)
      apply_initial_soc(cell, soc, ps.get("Open-circuit voltage at 0% SOC [V]"),
                        ps.get("Open-circuit voltage at 100% SOC [V]"));
    ASSERT_EQ(plan.inputs.pre_status[c], CellStatus::running) << plan.inputs.pre_message[c];
    EXPECT_TRUE(same_bytes(plan.inputs.record(c), cell)) << config << ": cell " << c;
    // its own default end, as a single run of it would use
    ASSERT_EQ(plan.inputs.t_end.size(), plan.inputs.size());
    EXPECT_EQ(plan.inputs.t_end[c], default_end_time(cell)) << config << ": cell " << c;
  }
  EXPECT_EQ(plan.inputs.run.t_end, *std::max_element(plan.inputs.t_end.begin(), plan.inputs.t_end.end()));
}

TEST(SetupSweep, EveryParameterReadFromTheSetTakesEffectPerCell) {
  const auto set_current = [](const ParameterSet& ps) { return ps.get("Current function [A]"); };
  // The parameters the set-up reads besides the electrode and electrolyte properties:
  // current, nominal capacity (through a C-rate), cut-offs, initial concentrations,
  // ambient temperature, OCV at 0 %/100 % SOC (with an initial SOC), initial temperature
  // (lumped thermal model).
  expect_cells_as_single_runs(R"({"vary": {"Current function [A]": [2, -3, 7]}, "combine": "zip"})",
                              {"Current function [A]"}, {{2, -3, 7}}, false, -1, set_current);
  expect_cells_as_single_runs(R"({"c_rate": 2, "vary": {"Nominal cell capacity [A.h]": [4, 6]}})",
                              {"Nominal cell capacity [A.h]"}, {{4, 6}}, false, -1,
                              [](const ParameterSet& ps) { return 2 * ps.get("Nominal cell capacity [A.h]"); });
  expect_cells_as_single_runs(
      R"({"vary": {"Lower voltage cut-off [V]": [2.6, 3.0], "Upper voltage cut-off [V]": [4.3, 4.25]}, "combine": "zip"})",
      {"Lower voltage cut-off [V]", "Upper voltage cut-off [V]"}, {{2.6, 3.0}, {4.3, 4.25}}, false, -1, set_current);
  expect_cells_as_single_runs(
      R"({"vary": {"Initial concentration in negative electrode [mol.m-3]": [20000, 25000],
                   "Initial concentration in positive electrode [mol.m-3]": [30000, 20000],
                   "Initial concentration in electrolyte [mol.m-3]": [1000, 1200]}, "combine": "zip"})",
      {"Initial concentration in negative electrode [mol.m-3]", "Initial concentration in positive electrode [mol.m-3]",
       "Initial concentration in electrolyte [mol.m-3]"},
      {{20000, 25000}, {30000, 20000}, {1000, 1200}}, false, -1, set_current);
  expect_cells_as_single_runs(R"({"vary": {"Ambient temperature [K]": [273.15, 318.15]}})", {"Ambient temperature [K]"},
                              {{273.15, 318.15}}, false, -1, set_current);
  expect_cells_as_single_runs(
      R"({"initial_soc": 0.8, "vary": {"Open-circuit voltage at 100% SOC [V]": [4.1, 4.15],
                                       "Open-circuit voltage at 0% SOC [V]": [2.6, 2.7]}, "combine": "zip"})",
      {"Open-circuit voltage at 100% SOC [V]", "Open-circuit voltage at 0% SOC [V]"}, {{4.1, 4.15}, {2.6, 2.7}}, false,
      0.8, set_current);
  expect_cells_as_single_runs(
      R"({"thermal": "lumped", "vary": {"Initial temperature [K]": [290, 310], "Ambient temperature [K]": [300, 305]}})",
      {"Initial temperature [K]", "Ambient temperature [K]"}, {{290, 290, 310, 310}, {300, 305, 300, 305}}, true, -1,
      set_current);
}

TEST(SetupSweep, ExperimentCRatesAndConditionsUseEachCellsValues) {
  // "1C" is each cell's own nominal capacity: as parse_experiment with that cell's set
  const SweepSpec spec = parse_sweep_config(
      R"({"experiment": ["Discharge at 1C until 3.0 V", "Charge at C/2 until 4.1 V"],
          "vary": {"Nominal cell capacity [A.h]": [4, 6], "Lower voltage cut-off [V]": [2.5, 2.9]}, "combine": "zip"})",
      "test");
  const SweepPlan plan = plan_sweep(spec);
  ASSERT_EQ(plan.inputs.protocol_first.size(), 2u);
  const double nominal[] = {4, 6}, cutoff[] = {2.5, 2.9};
  for (int c = 0; c < 2; ++c) {
    ParameterSet ps = ParameterSet::load("Chen2020");
    ps.set("Nominal cell capacity [A.h]", nominal[c]);
    ps.set("Lower voltage cut-off [V]", cutoff[c]);
    const Experiment ex = parse_experiment(spec.experiment, 1, ps);
    ASSERT_EQ(plan.inputs.protocol_count[c], static_cast<int>(ex.steps.size()));
    const StepSpec& first = plan.inputs.protocol_steps[static_cast<std::size_t>(plan.inputs.protocol_first[c])];
    EXPECT_EQ(first.value, ex.steps[0].value) << "cell " << c;
    EXPECT_EQ(first.value, nominal[c]) << "1C of this cell's nominal capacity";
    EXPECT_EQ(plan.inputs.t_end[c], default_end_time(plan.inputs.record(c), ex.steps));
  }
}

TEST(SetupSweep, AVariedValueThatWouldChangeNothingIsRefusedNamingWhatToUse) {
  struct Case {
    const char* config;
    std::vector<std::string> words;
  };
  const Case cases[] = {
      // not read by the DFN at all
      {R"({"vary": {"SEI resistivity [Ohm.m]": [1e5, 2e5]}})", {"SEI resistivity", "remove it from vary"}},
      // only the lumped thermal model reads it
      {R"({"vary": {"Initial temperature [K]": [290, 300]}})", {"Initial temperature", "\"thermal\": \"lumped\""}},
      // only C-rates read it
      {R"({"current": 5, "vary": {"Nominal cell capacity [A.h]": [4, 6]}})", {"Nominal cell capacity", "C-rate"}},
      // only an initial SOC reads it
      {R"({"vary": {"Open-circuit voltage at 0% SOC [V]": [2.5, 2.6]}})", {"Open-circuit voltage", "Initial SOC"}},
      // two ways of setting the current
      {R"({"vary": {"Current function [A]": [1, 2], "C-rate": [1, 2]}, "combine": "zip"})", {"cannot both be varied"}},
      {R"({"vary": {"Current function [A]": [1, 0]}})", {"Current function [A]", "non-zero"}},
      {R"({"experiment": ["Discharge at 1C until 3 V"], "vary": {"Current function [A]": [1, 2]}})",
       {"placeholder", "{Current function [A]} A"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.config);
    testing::expect_throw_with<InputError>([&] { (void)plan_sweep(parse_sweep_config(c.config, "test")); }, c.words);
  }
  // the same check in the CLI: exit status 2, one line, nothing run
  testing::TempDir dir("ionflux_setup");
  const std::string cfg = dir / "sei.json";
  std::ofstream(cfg) << cases[0].config;
  const CliRun r = cli({"sweep", cfg, "--output", dir / "never.h5", "--quiet"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(contains(r.err, "SEI resistivity")) << r.err;
}

// A capacity termination compares each cycle's eSOH capacity, which PyBaMM's eSOH solver
// finds between "Open-circuit voltage at 0% SOC [V]" and "... 100% SOC [V]". Without
// them no capacity can be found, and the termination never stopped the run (silently):
// Simulation and sweeps refuse it before anything runs, naming what is missing. A voltage
// termination does not need them.
TEST(SetupSweep, ACapacityTerminationWithoutTheEsohLimitsIsRefused) {
  const ParameterSet full = ParameterSet::load("Chen2020");
  std::vector<Entry> kept;
  for (const std::string& name : full.names())
    if (name != "Open-circuit voltage at 100% SOC [V]") kept.push_back(full.entry(name));
  const ParameterSet ps = ParameterSet::from_entries("Chen2020 without eSOH limits", kept);
  const std::vector<std::string> cccv{"Discharge at 1C until 3 V", "Charge at 1C until 4.1 V"};
  auto problem = [&](const char* term) {
    return ProblemBuilder(ps)
        .experiment(parse_experiment(cccv, ps))
        .termination(parse_experiment_termination({term}))
        .build();
  };
  const std::vector<std::string> words{"80% capacity", "\"Open-circuit voltage at 100% SOC [V]\" (not in the set)"};
  testing::expect_throw_with<InputError>([&] { (void)problem("80% capacity"); }, words);
  EXPECT_NO_THROW((void)problem("2.5 V"));
  auto sweep = [&](const char* term) {
    const nlohmann::ordered_json settings = {
        {"experiment", cccv}, {"termination", term}, {"vary", {{"Negative particle radius [m]", {5e-6, 6e-6}}}}};
    return plan_sweep(make_sweep_spec(ps, "no eSOH limits", settings, "test"));
  };
  testing::expect_throw_with<InputError>([&] { (void)sweep("80% capacity"); }, words);
  EXPECT_NO_THROW((void)sweep("2.5 V"));
  // with the limits (the shipped set) both are accepted
  EXPECT_NO_THROW((void)ProblemBuilder(full)
                      .experiment(parse_experiment(cccv, full))
                      .termination(parse_experiment_termination({"80% capacity"}))
                      .build());
}

// ---------------------------------------------------------------------------------
// Item 2: the default end follows the cell's own capacity.

TEST(DefaultEnd, TheoreticalCapacityFromTheLoadings) {
  // Marquis2019 by hand: eps_s c_max L A F / 3600 with A = 0.207 x 0.137 m2 (x 1 in
  // parallel); the numbers are the set's (solver/inputs/builtin_sets.cpp).
  const ParameterSet ps = ParameterSet::load("Marquis2019");
  const CellParams c = ps.cell_params(1.0);
  const double F = 96485.33212331001, A = ps.get("Electrode height [m]") * ps.get("Electrode width [m]");
  const double qn = ps.get("Negative electrode active material volume fraction") *
                    ps.get("Maximum concentration in negative electrode [mol.m-3]") *
                    ps.get("Negative electrode thickness [m]") * A * F / 3600;
  const double qp = ps.get("Positive electrode active material volume fraction") *
                    ps.get("Maximum concentration in positive electrode [mol.m-3]") *
                    ps.get("Positive electrode thickness [m]") * A * F / 3600;
  const double x0 = ps.get("Initial concentration in negative electrode [mol.m-3]") /
                    ps.get("Maximum concentration in negative electrode [mol.m-3]");
  const double y0 = ps.get("Initial concentration in positive electrode [mol.m-3]") /
                    ps.get("Maximum concentration in positive electrode [mol.m-3]");
  const TheoreticalCapacity q = theoretical_capacity(c);
  EXPECT_NEAR(q.negative, qn, 1e-12 * qn);
  EXPECT_NEAR(q.positive, qp, 1e-12 * qp);
  EXPECT_NEAR(q.discharge, std::min(x0 * qn, (1 - y0) * qp), 1e-12 * qn);
  EXPECT_NEAR(q.charge, std::min((1 - x0) * qn, y0 * qp), 1e-12 * qn);
  EXPECT_NEAR(default_end_time(c), kDefaultEndMargin * 3600 * q.discharge / 1.0, 1e-9);
  // it scales with the area, as the capacity does (the nominal capacity does not)
  ParameterSet big = ps;
  big.set("Electrode width [m]", 1.0);
  big.set("Electrode height [m]", 1.0);
  EXPECT_NEAR(default_end_time(big.cell_params(1.0)) / default_end_time(c), 1.0 / A, 1e-9 / A);
}

//! The issue's case: Marquis2019 with an electrode of 1 m x 1 m (24x the nominal capacity)
//! at 3C of its own capacity (72 A, as PyBaMM's COMSOL comparison). With no t_end given
//! it must run to the 3.105 V cut-off and match COMSOL exactly as the explicit-t_end runs
//! of test_comsol.cpp do (the same criteria: RMS(ionflux - COMSOL) <= 1.01 RMS(PyBaMM -
//! COMSOL) and RMS(ionflux - PyBaMM) <= 1 % of it; see there for why).
class DefaultEndVsComsol : public ::testing::TestWithParam<std::string> {};

TEST_P(DefaultEndVsComsol, EnlargedCellRunsToItsCutOffByDefault) {
  const std::string rate = GetParam();
  const testing::json& fx = testing::load_fixture("pybamm_vs_comsol.json");
  const testing::json& fr = fx["rates"][rate];
  const auto comsol =
      testing::read_csv2(testing::shared_path("reference-data/comsol_DFN_Marquis2019/" + rate + "/Voltage.csv"));
  ParameterSet ps = ParameterSet::load(fx["parameter_set"].get<std::string>());
  for (const char* key : {"Electrode width [m]", "Electrode height [m]", "Negative electrode conductivity [S.m-1]",
                          "Positive electrode conductivity [S.m-1]"})
    ps.set(key, fx["parameter_changes"][key].get<double>());
  const CellParams p = ps.cell_params(fr["current_A"].get<double>());
  RunOptions o;
  const testing::json& m = fx["meshes"]["script"];
  o.mesh = testing::mesh_of(m["x_n"], m["x_s"], m["x_p"], m["r_n"], m["r_p"]);
  o.t_eval = comsol.first;
  o.t_end = default_end_time(p);  // what simulate, Python and sweeps use when no t_end is given
  // the old default, 3 x the nominal discharge time, truncated the 3C run at 102 s
  EXPECT_GT(o.t_end, fr["script"]["t_end [s]"].get<double>());
  const Solution s = simulate(p, o);
  ASSERT_EQ(s.status, CellStatus::cutoff_lower) << s.message << " at " << s.end_time << " s of " << o.t_end;
  EXPECT_NEAR(s.voltage.back(), fx["lower_cutoff_V"].get<double>(), 1e-9);
  const std::vector<double> t_pb = testing::to_vec(fr["t [s]"]);
  const std::vector<double> v_pb = testing::to_vec(fr["script"]["pybamm_voltage [V]"]);
  std::vector<double> d_ours, d_pb, d_ours_pb;
  for (std::size_t k = 0; k < comsol.first.size() && k < t_pb.size(); ++k) {
    const int j = testing::find_time(s.time, comsol.first[k]);
    if (j < 0 || j + 1 == static_cast<int>(s.time.size())) continue;  // after our cut-off / the cut-off point
    d_ours.push_back(s.voltage[j] - comsol.second[k]);
    d_pb.push_back(v_pb[k] - comsol.second[k]);
    d_ours_pb.push_back(s.voltage[j] - v_pb[k]);
  }
  ASSERT_GE(d_ours.size() + 1, t_pb.size()) << "stopped much earlier than PyBaMM";
  const double rms_pb = testing::rms(d_pb);
  EXPECT_LE(testing::rms(d_ours), 1.01 * rms_pb);
  EXPECT_LE(testing::rms(d_ours_pb), 0.01 * rms_pb);
}

INSTANTIATE_TEST_SUITE_P(Rates, DefaultEndVsComsol, ::testing::Values("05C", "1C", "2C", "3C"));

TEST(DefaultEnd, SimulateRunsTheEnlargedCellToItsCutOffAndWarnsWhenTruncated) {
  testing::TempDir dir("ionflux_setup");
  const std::vector<std::string> base = {"simulate", "--parameters", "Marquis2019", "--set", "Electrode width [m]=1",
                                         "--set", "Electrode height [m]=1", "--current", "72", "--mesh",
                                         "x_n=10,x_s=6,x_p=10,r_n=8,r_p=8"};
  std::vector<std::string> args = base;
  args.insert(args.end(), {"--output", dir / "full.csv"});
  const CliRun full = cli(args);
  ASSERT_EQ(full.rc, 0) << full.err;
  EXPECT_TRUE(contains(full.out, "reached the lower voltage cut-off")) << full.out;
  EXPECT_FALSE(contains(full.err, "warning")) << full.err;
  const std::vector<double> v = csv_column(dir / "full.csv", 1), t = csv_column(dir / "full.csv", 0);
  EXPECT_NEAR(v.back(), 3.105, 1e-9);
  EXPECT_GT(t.back(), 1000.0) << "PyBaMM's 3C run ends at about 1,100 s";

  // a protocol step that ends on a condition: its default share of the end follows the
  // cell's capacity too (the old 3 x nominal / |I| gave it 102 s), so the protocol completes
  args = base;
  args.erase(args.begin() + 7, args.begin() + 9);  // the steps set the current
  args.insert(args.end(), {"--experiment", "Discharge at 72 A until 3.2 V", "--experiment", "Rest for 1 minute",
                           "--output", dir / "steps.csv"});
  const CliRun steps = cli(args);
  ASSERT_EQ(steps.rc, 0) << steps.err;
  EXPECT_TRUE(contains(steps.out, "finished: the protocol completed")) << steps.out;
  EXPECT_FALSE(contains(steps.err, "warning")) << steps.err;

  // a short t_end: truncated, said so in the summary and in a warning; exit status 0
  args = base;
  args.insert(args.end(), {"--t-end", "100", "--output", dir / "short.csv"});
  const CliRun cut = cli(args);
  EXPECT_EQ(cut.rc, 0) << cut.err;
  EXPECT_TRUE(contains(cut.out, "stopped at the end time t_end")) << cut.out;
  EXPECT_TRUE(contains(cut.err, "warning: the run stopped at the end time t_end = 100 s")) << cut.err;
  EXPECT_TRUE(contains(cut.err, "truncated")) << cut.err;
}

// ---------------------------------------------------------------------------------
// Item 6: values in the wrong units.

TEST(Plausibility, ValuesInTheWrongUnitsNameTheLikelyUnit) {
  // the issue's four cases
  EXPECT_TRUE(contains(implausible_value("Negative electrode thickness [m]", 80), "was it given in µm?"));
  EXPECT_TRUE(contains(implausible_value("Negative particle radius [m]", 5.86), "was it given in µm?"));
  EXPECT_TRUE(contains(implausible_value("Initial concentration in electrolyte [mol.m-3]", 1.0), "mol/L"));
  EXPECT_TRUE(contains(implausible_value("Ambient temperature [K]", 25), "°C"));
  EXPECT_TRUE(contains(implausible_value("Negative electrode thickness [m]", 80),
                       "'Negative electrode thickness [m]' = 80 is far outside the usual 1e-06..0.01 m"));
  // the unit that lands nearest the usual values is named: a 5 µm radius typed in mm is
  // 5e-6 m, not 5e-9 m (µm); an electrode height typed in mm (65 for 6.5 cm) is caught
  EXPECT_TRUE(contains(implausible_value("Negative particle radius [m]", 5e-3), "was it given in mm? (that would be 5e-06 m)"));
  EXPECT_TRUE(contains(implausible_value("Electrode height [m]", 65), "was it given in mm? (that would be 0.065 m)"));
  EXPECT_EQ(implausible_value("Electrode width [m]", 1.58), "");  // Chen2020's wound electrode
  // plausible values and unchecked names: nothing
  EXPECT_EQ(implausible_value("Negative electrode thickness [m]", 8.52e-5), "");
  EXPECT_EQ(implausible_value("Ambient temperature [K]", 298.15), "");
  EXPECT_EQ(implausible_value("Negative current collector thickness [m]", 0.0), "");
  EXPECT_EQ(implausible_value("Negative electrode porosity", 0.25), "");
  // every shipped set is plausible throughout
  for (const std::string& name : ParameterSet::builtin_names()) {
    const std::vector<std::string> w = implausible_values(ParameterSet::load(name));
    EXPECT_TRUE(w.empty()) << name << ": " << (w.empty() ? "" : w.front());
  }
}

TEST(Plausibility, SimulateWarnsAndAnInitialisationFailureNamesItsCause) {
  testing::TempDir dir("ionflux_setup");
  const CliRun r = cli({"simulate", "--set", "Negative electrode thickness [m]=80", "--mesh",
                        "x_n=8,x_s=6,x_p=8,r_n=6,r_p=6", "--output", dir / "thick.csv"});
  EXPECT_TRUE(contains(r.err, "warning: 'Negative electrode thickness [m]' = 80 is far outside")) << r.err;
  EXPECT_TRUE(contains(r.err, "µm")) << r.err;
  // the cell's own message says which quantities are absurd
  ParameterSet ps = ParameterSet::load("Chen2020");
  ps.set("Negative electrode thickness [m]", 80);
  RunOptions o;
  o.mesh = testing::mesh_of(8, 6, 8, 6, 6);
  o.t_end = 3600;
  const Solution s = simulate(ps.cell_params(5.0), o);
  ASSERT_EQ(s.status, CellStatus::init_failure) << s.message;  // as the issue reports
  EXPECT_TRUE(contains(s.message, "'Negative electrode thickness [m]' = 80")) << s.message;
  EXPECT_TRUE(contains(s.message, "ohmic drop across the electrolyte")) << s.message;
  // a temperature in °C: the Arrhenius factors make the exchange-current densities vanish
  ParameterSet cold = ParameterSet::load("Chen2020");
  cold.set("Ambient temperature [K]", 25);
  const std::string cold_why = diagnose_init_failure(cold.cell_params(5.0));
  EXPECT_TRUE(contains(cold_why, "'Ambient temperature [K]' = 25")) << cold_why;
  EXPECT_TRUE(contains(cold_why, "°C")) << cold_why;
  EXPECT_TRUE(contains(cold_why, "times its exchange-current density")) << cold_why;
  // Whether the initialisation of this cell fails or the voltage drops to the cut-off at
  // once depends on the last bits of the arithmetic (it fails in the Release build and
  // reaches the cut-off at t = 0 under the sanitizers); when it fails, its message carries
  // the diagnosis.
  const Solution t = simulate(cold.cell_params(5.0), o);
  EXPECT_NE(t.status, CellStatus::finished) << t.message;
  if (t.status == CellStatus::init_failure) EXPECT_TRUE(contains(t.message, cold_why)) << t.message;
  // the diagnosis itself, whatever the integrator made of this cell
  const std::string why = diagnose_init_failure(ps.cell_params(5.0));
  EXPECT_TRUE(contains(why, "'Negative electrode thickness [m]' = 80")) << why;
  EXPECT_TRUE(contains(why, "ohmic drop across the electrolyte")) << why;
  // nothing stands out in a sound cell
  EXPECT_EQ(diagnose_init_failure(ParameterSet::load("Chen2020").cell_params(5.0)), "");
}

#ifdef IONFLUX_TEST_HDF5
TEST(Plausibility, SweepWarnsOnceAndFailedCellsNameTheirCause) {
  testing::TempDir dir("ionflux_setup");
  const std::string cfg = dir / "thick.json";
  std::ofstream(cfg) << R"({"vary": {"Negative electrode thickness [m]": [80, 8.52e-5, 90]}, "t_end": 600, )"
                     << kCoarse << "}";
  const std::string h5 = dir / "thick.h5";
  const CliRun r = cli({"sweep", cfg, "--output", h5, "--device", "cpu", "--quiet"});
  ASSERT_EQ(r.rc, 0) << r.err;
  // one warning for the parameter (not one per cell), then the sweep's count of abnormal ends
  std::size_t unit_warnings = 0;
  for (std::size_t at = 0; (at = r.err.find("is far outside", at)) != std::string::npos; ++at) ++unit_warnings;
  EXPECT_EQ(unit_warnings, 1u) << r.err;
  EXPECT_TRUE(contains(r.err, "3 of 3 cells did not end normally (init_failure 2, end_time_reached 1)")) << r.err;
  EXPECT_TRUE(contains(r.err, "warning: 'Negative electrode thickness [m]' = 80 is far outside")) << r.err;
  testing::h5::File f(h5);
  const auto status = testing::h5::read_ints(f, "/cells/status");
  const auto message = testing::h5::read_strings(f, "/cells/message");
  ASSERT_EQ(status.size(), 3u);
  for (int c : {0, 2}) {
    EXPECT_EQ(status[c], static_cast<int>(CellStatus::init_failure)) << message[c];
    EXPECT_TRUE(contains(message[c], "Negative electrode thickness [m]")) << message[c];
    EXPECT_TRUE(contains(message[c], "ohmic drop across the electrolyte")) << message[c];
  }
  EXPECT_FALSE(contains(message[1], "at the initial state")) << message[1];
}
#endif

TEST(Plausibility, SweepPlanningWarnsOncePerParameter) {
  const SweepPlan plan = plan_sweep(parse_sweep_config(
      R"({"set": {"Ambient temperature [K]": 25},
          "vary": {"Negative electrode thickness [m]": [80, 8.52e-5, 90, 70], "C-rate": [1, 2]}})",
      "test"));
  ASSERT_EQ(plan.inputs.size(), 8u);
  int thickness = 0, temperature = 0;
  for (const std::string& w : plan.warnings) {
    thickness += contains(w, "Negative electrode thickness [m]");
    temperature += contains(w, "Ambient temperature [K]");
  }
  EXPECT_EQ(thickness, 1) << "one warning for the parameter, not one per cell";
  EXPECT_EQ(temperature, 1);
  EXPECT_EQ(plan.warnings.size(), 2u);
  for (const std::string& w : plan.warnings)
    if (contains(w, "thickness")) EXPECT_TRUE(contains(w, "3 of its 4 values")) << w;
}

// ---------------------------------------------------------------------------------
// Item 11: the root attributes describe the sweep they belong to.

TEST(SweepAttributes, DescribeTheSweep) {
  auto attrs = [](const char* config) {
    const SweepSpec spec = parse_sweep_config(config, "test");
    const SweepFileInfo info = sweep_file_info(spec, plan_sweep(spec));
    std::map<std::string, std::string> a(info.attributes.begin(), info.attributes.end());
    return a;
  };
  auto lhs = attrs(R"({"vary": {"Negative particle radius [m]": {"uniform": [3e-6, 8e-6]}},
                       "samples": 4, "sampling": "latin_hypercube", "seed": 3})");
  EXPECT_EQ(lhs["combine"], "latin_hypercube") << "a Latin hypercube has no grid";
  EXPECT_EQ(lhs["sampling"], "latin_hypercube (4 points of 1 sampled entries)");
  EXPECT_EQ(lhs["seed"], "3");
  auto rnd = attrs(R"({"vary": {"Negative particle radius [m]": {"uniform": [3e-6, 8e-6]}}, "samples": 4})");
  EXPECT_EQ(rnd["combine"], "random");
  auto grid = attrs(R"({"vary": {"C-rate": [1, 2], "Negative particle radius [m]": {"uniform": [3e-6, 8e-6]}},
                        "samples": 3, "sampling": "latin_hypercube"})");
  EXPECT_EQ(grid["combine"], "grid") << "the C-rates x the sampled points";
  auto plain = attrs(R"({"vary": {"C-rate": [1, 2]}, "combine": "zip"})");
  EXPECT_EQ(plain["combine"], "zip");
  EXPECT_EQ(plain["sampling"], "none");
  EXPECT_EQ(plain["seed"], "none (nothing is sampled)");
  EXPECT_EQ(plain["t_end rule"].rfind("default: each cell's own end", 0), 0u) << plain["t_end rule"];
  EXPECT_EQ(attrs(R"({"t_end": 100})")["t_end rule"], "given in the config, the same for every cell");
  // the protocol names what sets the current
  auto fn = attrs(R"({"vary": {"Current function [A]": [1, 2]}})");
  EXPECT_TRUE(contains(fn["protocol"], "current varied per cell ('Current function [A]')")) << fn["protocol"];
  auto nom = attrs(R"({"c_rate": 2, "vary": {"Nominal cell capacity [A.h]": [4, 6]}})");
  EXPECT_TRUE(contains(nom["protocol"], "2C of each cell's 'Nominal cell capacity [A.h]'")) << nom["protocol"];
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
