// Shipped parameter sets and user functions (tables, expressions) against PyBaMM.
//
// Expected values: tests/fixtures/pybamm_set_<CASE>.json, written by
// tests/fixtures/generate_set_fixtures.py with pybamm 26.10.1.1: DFN with default
// options and mesh, 1C constant-current discharge, IDAKLU at rtol = atol = 1e-10.
// Bounds are the issue's: voltage RMS <= 1 mV for sets with tabulated data, <= 0.5 mV
// otherwise; discharge capacity within 0.2 %.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "../pybamm_compare.hpp"
#include "../test_support.hpp"
#include "solver/parameter_file.hpp"
#include "solver/user_function.hpp"

namespace ionflux {
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

}  // namespace
}  // namespace ionflux
