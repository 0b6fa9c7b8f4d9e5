// Shipped parameter sets and user functions (tables, expressions) against PyBaMM.
//
// Expected values: tests/fixtures/pybamm_set_<CASE>.json, written by
// tests/fixtures/generate_set_fixtures.py with pybamm 26.10.1.1: DFN with default
// options and mesh, 1C constant-current discharge, IDAKLU at rtol = atol = 1e-10.
// Bounds are the issue's: voltage RMS <= 1 mV for sets with tabulated data, <= 0.5 mV
// otherwise; discharge capacity within 0.2 %.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "../pybamm_compare.hpp"
#include "../test_support.hpp"
#include "solver/inputs/parameter_file.hpp"
#include "solver/inputs/sweep.hpp"
#include "solver/problem/sweep_plan.hpp"
#include "solver/inputs/user_function.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

using testing::Comparison;
using testing::report;

bool has_table(const ParameterSet& ps) {
  for (const auto& n : ps.names())
    if (ps.entry(n).user && ps.entry(n).user->has_table()) return true;
  return false;
}

// ---- every shipped set beyond the two compiled ones (those have their own tests) ----

TEST(ShippedSets, EverySetMatchesPyBaMMAt1C) {
  int checked = 0;
  for (const auto& name : ParameterSet::builtin_names()) {
    if (name == "Chen2020" || name == "Marquis2019") continue;  // tests/integration/test_pybamm_dfn.cpp
    SCOPED_TRACE(name);
    const ParameterSet ps = ParameterSet::load(name);
    const testing::json& fx = testing::load_fixture("pybamm_set_" + name + ".json");
    ASSERT_EQ(fx["termination"].get<std::string>(), "event: Minimum voltage [V]");
    const Comparison c = testing::compare_discharge(ps, fx);
    const double bound = has_table(ps) ? 1e-3 : 0.5e-3;
    report(name, c, bound);
    EXPECT_LE(c.rms, bound);
    EXPECT_LE(std::fabs(c.capacity_rel), 2e-3);
    ++checked;
  }
  std::cout << "  " << checked << " shipped parameter-file sets checked\n";
}

TEST(ShippedSets, EverySetSurvivesExportAndReload) {
  // ionflux parameters export NAME > f.json; --parameters f.json: the same discharge, bit for bit.
  for (const auto& name : ParameterSet::builtin_names()) {
    SCOPED_TRACE(name);
    const ParameterSet ps = ParameterSet::load(name);
    const std::string text = to_json(ps);
    const ParameterSet back = parse_parameter_file(text, name + ".json");
    EXPECT_EQ(to_json(back), text);
    RunOptions o;
    o.mesh = testing::uniform_mesh(8);
    o.t_end = 5400.0;
    const double current = ps.get("Nominal cell capacity [A.h]");
    const Solution a = simulate(ps.cell_params(current), o), b = simulate(back.cell_params(current), o);
    EXPECT_EQ(a.status, b.status);
    ASSERT_EQ(a.voltage.size(), b.voltage.size());
    for (std::size_t k = 0; k < a.voltage.size(); ++k) ASSERT_EQ(a.voltage[k], b.voltage[k]) << k;
  }
}

// ---- Chen2020 with the measured LG M50 OCP tables ------------------------------------

std::string json_array(const std::vector<double>& v) {
  std::ostringstream o;
  o.precision(17);
  o << "[";
  for (std::size_t i = 0; i < v.size(); ++i) o << (i ? ", " : "") << v[i];
  return o.str() + "]";
}

ParameterSet lgm50_tables(const std::string& interpolator) {
  const auto neg = testing::read_csv2(testing::shared_path("reference-data/ocp_Chen2020_LGM50/graphite_LGM50_ocp_Chen2020.csv"));
  const auto pos = testing::read_csv2(testing::shared_path("reference-data/ocp_Chen2020_LGM50/nmc_LGM50_ocp_Chen2020.csv"));
  const std::string text = R"({"ionflux parameter file": 1, "base": "Chen2020", "name": "LG M50 tables",
    "parameters": {
      "Negative electrode OCP [V]": {"x": )" + json_array(neg.first) + R"(, "y": )" + json_array(neg.second) +
                           R"(, "interpolator": ")" + interpolator + R"("},
      "Positive electrode OCP [V]": {"x": )" + json_array(pos.first) + R"(, "y": )" + json_array(pos.second) +
                           R"(, "interpolator": ")" + interpolator + R"("}}})";
  return parse_parameter_file(text, "lgm50_tables.json");
}

class LgM50Tables : public ::testing::TestWithParam<std::string> {};

TEST_P(LgM50Tables, MatchesPyBaMMWithTheSameInterpolants) {
  const ParameterSet ps = lgm50_tables(GetParam());
  ASSERT_TRUE(has_table(ps));
  const Comparison c = testing::compare_discharge(ps, testing::load_fixture("pybamm_set_Chen2020_LGM50_tables_" + GetParam() + ".json"));
  report("Chen2020 + LG M50 tables, " + GetParam(), c, 1e-3);
  EXPECT_LE(c.rms, 1e-3);
  EXPECT_LE(std::fabs(c.capacity_rel), 2e-3);
}

INSTANTIATE_TEST_SUITE_P(Interpolators, LgM50Tables, ::testing::Values("pchip", "linear", "cubic"));

// ---- ORegan2022 away from 298.15 K and with the lumped thermal model (issue 10 item 8) ----
// Its positive electrode conductivity, current-collector and wet-layer heat capacities
// are functions of T in PyBaMM (and now in the set). Fixtures: pybamm_set_ORegan2022_*
// (generate_set_fixtures.py, same mesh and solver as above): 2C, isothermal at 263.15 K
// and 318.15 K, and lumped from 298.15 K and from 263.15 K. Before the functions of T,
// 263.15 K was 1.23 mV RMS off (0.25 mV at 318.15 K) and the lumped model refused the set.
// Bound 0.05 mV RMS (the issue's); capacity 0.2 % as above; the lumped cell temperature
// within 5 mK of PyBaMM's (a 30 K rise).

class ORegan2022Temperature : public ::testing::TestWithParam<std::string> {};

TEST_P(ORegan2022Temperature, MatchesPyBaMM) {
  const ParameterSet ps = ParameterSet::load("ORegan2022");
  const testing::json& fx = testing::load_fixture("pybamm_set_" + GetParam() + ".json");
  ASSERT_EQ(fx["termination"].get<std::string>(), "event: Minimum voltage [V]");
  const Comparison c = testing::compare_discharge(ps, fx);
  report(GetParam(), c, 0.05e-3);
  EXPECT_LE(c.rms, 0.05e-3);
  EXPECT_LE(std::fabs(c.capacity_rel), 2e-3);
  if (fx["thermal"].get<std::string>() == "lumped") {
    std::cout << "  [" << GetParam() << "] cell temperature: max difference " << c.temperature_max << " K\n";
    EXPECT_LE(c.temperature_max, 5e-3);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, ORegan2022Temperature,
                         ::testing::Values("ORegan2022_263K_2C", "ORegan2022_318K_2C", "ORegan2022_lumped_2C",
                                           "ORegan2022_lumped_263K_2C"));

// ---- a set without what the lumped model needs -----------------------------------------

TEST(ShippedSets, LumpedThermalOnASetWithoutThermalParametersSaysSo) {
  // PyBaMM's Prada2013 has no thermal parameters either. The error names the option and
  // every missing parameter, not an unknown-parameter suggestion for a name the user
  // never typed.
  const ParameterSet ps = ParameterSet::load("Prada2013");
  CellParams c = ps.cell_params(2.3);
  try {
    enable_lumped_thermal(c, ps);
    FAIL() << "no error";
  } catch (const UnknownParameter& e) {
    FAIL() << "unknown-parameter error: " << e.what();
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'Prada2013' has no thermal parameters"), std::string::npos) << m;
    EXPECT_NE(m.find("--thermal lumped"), std::string::npos) << m;
    EXPECT_NE(m.find("thermal=\"lumped\""), std::string::npos) << m;
    for (const char* p : {"'Negative current collector specific heat capacity [J.kg-1.K-1]'",
                          "'Separator density [kg.m-3]'", "'Cell volume [m3]'",
                          "'Total heat transfer coefficient [W.m-2.K-1]'"})
      EXPECT_NE(m.find(p), std::string::npos) << p << " in " << m;
    EXPECT_EQ(m.find("'Initial temperature [K]'"), std::string::npos) << "Prada2013 has it: " << m;
    EXPECT_EQ(m.find("did you mean"), std::string::npos) << m;
  }
  // a set with some of them: "lacks", and only those
  const ParameterSet part = parse_parameter_file(
      R"({"ionflux parameter file": 1, "base": "Prada2013", "name": "Prada2013 + densities", "parameters": {
        "Negative electrode density [kg.m-3]": 1657.0, "Separator density [kg.m-3]": 397.0,
        "Positive electrode density [kg.m-3]": 3262.0}})",
      "prada_part.json");
  try {
    check_lumped_thermal(part);
    FAIL() << "no error";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("lacks thermal parameters that the lumped thermal model"), std::string::npos) << m;
    EXPECT_EQ(m.find("'Separator density [kg.m-3]'"), std::string::npos) << m;
    EXPECT_NE(m.find("'Separator specific heat capacity [J.kg-1.K-1]'"), std::string::npos) << m;
  }
  EXPECT_NO_THROW(check_lumped_thermal(ParameterSet::load("ORegan2022")));
}

TEST(ShippedSets, LumpedSweepOnPrada2013IsRefusedBeforeAnyCell) {
  // not one invalid_input cell per cell with exit status 0: the sweep itself is refused
  const SweepSpec spec = parse_sweep_config(
      R"({"parameters": "Prada2013", "thermal": "lumped", "vary": {"Negative electrode porosity": [0.3, 0.35]}})");
  try {
    plan_sweep(spec);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'Prada2013' has no thermal parameters"), std::string::npos) << e.what();
  }
}

TEST(ShippedSets, CliLumpedThermalOnPrada2013ExitsWithTheMissingParameters) {
  const std::string cmd = std::string(IONFLUX_CLI) +
                          " simulate --parameters Prada2013 --thermal lumped --quiet --output /dev/null 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, pipe)) out += buf;
  const int status = pclose(pipe);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2) << out;
  EXPECT_EQ(out.rfind("error: parameter set 'Prada2013' has no thermal parameters", 0), 0u) << out;
  EXPECT_NE(out.find("--thermal lumped"), std::string::npos) << out;
  EXPECT_EQ(out.find("did you mean"), std::string::npos) << out;
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
