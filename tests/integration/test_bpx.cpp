// BPX import (solver/inputs/bpx.cpp) against PyBaMM's create_from_bpx.
//
// Expected values: tests/fixtures/pybamm_bpx_nmc_pouch.json, written by
// tests/fixtures/generate_bpx_fixture.py with pybamm 26.10.1.1 and bpx 1.1.1: the example
// BPX file (shared/reference-data/bpx/nmc_pouch_cell_BPX.json, BPX 0.1) and a BPX 1.0
// variant with a State block and tables; derived parameters, function values, and a 1C
// discharge (DFN, default options and mesh, IDAKLU at rtol = atol = 1e-10).
// Bounds: voltage RMS <= 1 mV and discharge capacity within 0.2 % (the issue's).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "../pybamm_compare.hpp"
#include "../test_support.hpp"
#include "../test_util.hpp"
#include "solver/inputs/bpx.hpp"
#include "solver/inputs/expression.hpp"
#include "solver/inputs/parameter_file.hpp"
#include "solver/inputs/sweep.hpp"
#include "solver/inputs/user_function.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

using testing::json;

std::string example_path() { return testing::shared_path("reference-data/bpx/nmc_pouch_cell_BPX.json"); }

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

const json& fixture() { return testing::load_fixture("pybamm_bpx_nmc_pouch.json"); }

json example_json() { return json::parse(read_text(example_path())); }

using testing::Comparison;

Comparison compare_with(const ParameterSet& ps, const json& fx) { return testing::compare_discharge(ps, fx); }

void report(const std::string& label, const Comparison& c) { testing::report(label, c, 1e-3); }

// ---- against PyBaMM ------------------------------------------------------------------

TEST(Bpx, ExampleFileMatchesPyBaMMAt1C) {
  const ParameterSet ps = ParameterSet::load(example_path());  // through the parameter-file path
  EXPECT_EQ(ps.name(), "Parameterisation example of an NMC111|graphite 12.5 Ah pouch cell");
  const json& fx = fixture();
  ASSERT_EQ(fx["termination"].get<std::string>(), "event: Minimum voltage [V]");
  const Comparison c = compare_with(ps, fx);
  report("BPX example (v0.1)", c);
  EXPECT_LE(c.rms, 1e-3);
  EXPECT_LE(std::fabs(c.capacity_rel), 2e-3);
}

TEST(Bpx, Version1VariantWithStateAndTablesMatchesPyBaMM) {
  const json& fx = fixture()["variant"];
  const ParameterSet ps = parse_bpx(fx["bpx"].dump(), "variant.json");
  ASSERT_EQ(fx["termination"].get<std::string>(), "event: Minimum voltage [V]");
  const Comparison c = compare_with(ps, fx);
  report("BPX 1.0 variant: SOC 0.5, 308.15 K, tables", c);
  EXPECT_LE(c.rms, 1e-3);
  EXPECT_LE(std::fabs(c.capacity_rel), 2e-3);
}

//! Scalars: the same formulas in the same order in IEEE double (a R / 3, log/log,
//! sqrt, copies), so equal to 4 ulp (EXPECT_DOUBLE_EQ; libm's log may differ by an ulp).
//! The initial particle concentrations come from the electrode-SOH solve, which PyBaMM
//! and ionflux (bisection) solve to round-off: 1e-9 relative, as
//! tests/unit/test_parameters.cpp's InitialSoc.
void expect_parameters(const ParameterSet& ps, const json& fx) {
  int n = 0;
  for (auto it = fx["parameters"].begin(); it != fx["parameters"].end(); ++it, ++n) {
    const std::string& name = it.key();
    const double expected = it.value().get<double>();
    ASSERT_TRUE(ps.contains(name)) << name;
    if (ps.is_function(name)) {
      ADD_FAILURE() << name << " is a function in ionflux, a number in PyBaMM";
      continue;
    }
    if (name.rfind("Initial concentration in", 0) == 0 && name.find("electrolyte") == std::string::npos)
      EXPECT_NEAR(ps.get(name), expected, 1e-9 * expected) << name;
    else
      EXPECT_DOUBLE_EQ(ps.get(name), expected) << name;
  }
  EXPECT_GE(n, 50);
}

//! Function parameters at PyBaMM's sample points. Tolerances: PyBaMM evaluates the same
//! expression through its expression tree (which may reorder and fold constants), so
//! results agree to a few ulp of the largest intermediate term (measured: 1 ulp): 1e-14 relative, except
//! the negative OCP, whose expression sums terms of size 5e4 to about 0.1 V (cancellation:
//! ulp(5e4) ~ 7e-12 V), so 1e-10 V absolute. j0 is compared without PyBaMM's RegPower
//! (the fixture evaluated it with plain floats), by compiling ionflux's expression text
//! without regularisation.
void expect_functions(const ParameterSet& ps, const json& fx) {
  double worst_rel = 0.0, worst_ocp = 0.0;
  int points = 0;
  for (auto it = fx["functions"].begin(); it != fx["functions"].end(); ++it) {
    const std::string& name = it.key();
    const json& f = it.value();
    const std::vector<double> out = testing::to_vec(f["output"]);
    const Entry& e = ps.entry(name);
    SCOPED_TRACE(name);
    for (std::size_t k = 0; k < out.size(); ++k) {
      double got = 0.0;
      if (name.find("exchange-current") != std::string::npos) {
        ASSERT_TRUE(e.user) << "j0 must be an expression";
        const expr::Program p = compile_expression(e.user->expression_text());
        got = evaluate_expression(p, 0.0, f["c_e"][k].get<double>(), f["c_s_surf"][k].get<double>(),
                                  f["c_s_max"].get<double>(), f["T"][k].get<double>());
      } else if (!e.is_function()) {
        got = e.value;
      } else {
        ASSERT_TRUE(e.user) << "a BPX function must be a user function";
        const double sto = f.contains("sto") ? f["sto"][k].get<double>() : 0.0;
        const double c_e = f.contains("c_e") ? f["c_e"][k].get<double>() : 0.0;
        const double temp = f.contains("T") ? f["T"][k].get<double>() : 298.15;
        got = (*e.user)(sto, c_e, 0.0, 0.0, temp);
      }
      const bool ocp_n = name == "Negative electrode OCP [V]";
      const double tol = ocp_n ? 1e-10 : 1e-14 * std::fabs(out[k]);
      EXPECT_NEAR(got, out[k], tol) << "point " << k;
      if (ocp_n) worst_ocp = std::max(worst_ocp, std::fabs(got - out[k]));
      else if (out[k] != 0.0) worst_rel = std::max(worst_rel, std::fabs(got / out[k] - 1.0));
      ++points;
    }
  }
  std::cout << "  " << points << " function values: worst relative difference " << testing::sci(worst_rel)
            << ", negative OCP worst " << testing::sci(worst_ocp) << " V\n";
}

TEST(Bpx, DerivedParametersEqualPyBaMMs) {
  const ParameterSet ps = load_bpx(example_path());
  expect_parameters(ps, fixture());
  expect_functions(ps, fixture());
  // The exchange-current prefactor k = k_norm F / (c_max sqrt(c_e0)) appears verbatim.
  for (const char* d : {"Negative", "Positive"}) {
    const std::string text = ps.entry(std::string(d) + " electrode exchange-current density [A.m-2]").user->expression_text();
    EXPECT_DOUBLE_EQ(std::stod(text.substr(0, text.find(' '))), fixture()["exchange_current"][d]["k_ref"].get<double>())
        << text;
  }
}

TEST(Bpx, VariantDerivedParametersEqualPyBaMMs) {
  const json& fx = fixture()["variant"];
  const ParameterSet ps = parse_bpx(fx["bpx"].dump(), "variant.json");
  expect_parameters(ps, fx);
  expect_functions(ps, fx);
  // tables are linear interpolants, as PyBaMM's
  EXPECT_EQ(ps.entry("Negative electrode OCP [V]").user->interpolator(), "linear");
  EXPECT_EQ(ps.entry("Electrolyte conductivity [S.m-1]").user->interpolator(), "linear");
  EXPECT_EQ(ps.entry("Negative particle diffusivity [m2.s-1]").user->interpolator(), "linear");
  for (const char* d : {"Negative", "Positive"}) {
    const std::string text = ps.entry(std::string(d) + " electrode exchange-current density [A.m-2]").user->expression_text();
    EXPECT_DOUBLE_EQ(std::stod(text.substr(0, text.find(' '))), fx["exchange_current"][d]["k_ref"].get<double>());
  }
}

// ---- mapping details -----------------------------------------------------------------

TEST(Bpx, Version1WithoutStateStartsFullyChargedAtTheDefaults) {
  json j = example_json();
  j["Header"]["BPX"] = "1.1.0";
  auto& cell = j["Parameterisation"]["Cell"];
  cell.erase("Ambient temperature [K]");
  cell.erase("Initial temperature [K]");
  cell.erase("Thermal conductivity [W.m-1.K-1]");
  j["Parameterisation"]["Electrolyte"].erase("Initial concentration [mol.m-3]");
  cell["Reference temperature [K]"] = 300.0;
  const ParameterSet ps = parse_bpx(j.dump(), "v1.json");
  EXPECT_EQ(ps.get("Initial concentration in negative electrode [mol.m-3]"), 0.75668 * 29730);
  EXPECT_EQ(ps.get("Initial concentration in positive electrode [mol.m-3]"), 0.42424 * 46200);
  EXPECT_EQ(ps.get("Initial concentration in electrolyte [mol.m-3]"), 1000.0);
  EXPECT_EQ(ps.get("Ambient temperature [K]"), 300.0);
  EXPECT_EQ(ps.get("Initial temperature [K]"), 300.0);
  EXPECT_EQ(ps.get("Total heat transfer coefficient [W.m-2.K-1]"), 0.0);
  // T_ref enters the Arrhenius factors: 1 at T = 300 K
  const auto& d = *ps.entry("Negative particle diffusivity [m2.s-1]").user;
  EXPECT_DOUBLE_EQ(d(0.5, 0, 0, 0, 300.0), 2.728e-14);
  EXPECT_GT(d(0.5, 0, 0, 0, 310.0), 2.728e-14);
}

TEST(Bpx, InitialSocFromStateIsTheElectrodeSohSolve) {
  json j = fixture()["variant"]["bpx"];
  j["State"]["Initial conditions"]["Initial state-of-charge"] = 0.25;
  const ParameterSet ps = parse_bpx(j.dump(), "soc.json");
  j["State"]["Initial conditions"].erase("Initial state-of-charge");
  const ParameterSet full = parse_bpx(j.dump(), "full.json");  // seeds: full charge
  CellParams c = full.cell_params(1.0);
  apply_initial_soc(c, 0.25, 2.7, 4.2);
  EXPECT_EQ(ps.get("Initial concentration in negative electrode [mol.m-3]"), c.neg.c_init);
  EXPECT_EQ(ps.get("Initial concentration in positive electrode [mol.m-3]"), c.pos.c_init);
}

TEST(Bpx, UserDefinedParametersReplaceByName) {
  json j = example_json();
  j["Parameterisation"]["User-defined"] = {
      {"description", "extras"},
      {"Open-circuit voltage at 0% SOC [V]", 2.8},
      {"Negative electrode Bruggeman coefficient (electrolyte)", 1.6},
      {"Positive electrode OCP entropic change [V.K-1]", "-1e-4 * x"},
      {"Something PyBaMM ignores", {{"x", {0, 1}}, {"y", {1, 2}}}},
  };
  const ParameterSet ps = parse_bpx(j.dump(), "user.json");
  EXPECT_EQ(ps.get("Open-circuit voltage at 0% SOC [V]"), 2.8);
  EXPECT_EQ(ps.get("Negative electrode Bruggeman coefficient (electrolyte)"), 1.6);
  EXPECT_DOUBLE_EQ((*ps.entry("Positive electrode OCP entropic change [V.K-1]").user)(0.5, 0, 0, 0, 298.15), -0.5e-4);
  EXPECT_FALSE(ps.contains("Something PyBaMM ignores"));
}

TEST(Bpx, ExportReloadsToTheSameSimulation) {
  const ParameterSet ps = load_bpx(example_path());
  const ParameterSet back = parse_parameter_file(to_json(ps), "exported.json");
  RunOptions o;
  o.mesh = testing::uniform_mesh(8);
  o.period = 200.0;
  o.t_end = 5400.0;
  const Solution a = simulate(ps.cell_params(12.5), o), b = simulate(back.cell_params(12.5), o);
  ASSERT_EQ(a.voltage.size(), b.voltage.size());
  for (std::size_t k = 0; k < a.voltage.size(); ++k) EXPECT_EQ(a.voltage[k], b.voltage[k]);
}

TEST(Bpx, LumpedThermalRuns) {
  ParameterSet ps = load_bpx(example_path());
  CellParams c = ps.cell_params(12.5);
  enable_lumped_thermal(c, ps);
  EXPECT_EQ(c.cc_resistance, 0.0);  // zero-thickness current collectors
  RunOptions o;
  o.mesh = testing::uniform_mesh(8);
  o.t_end = 5400.0;
  const Solution s = simulate(c, o);
  EXPECT_EQ(s.status, CellStatus::cutoff_lower) << s.message;
  EXPECT_GT(s.temperature.back(), 298.15);  // adiabatic: no heat transfer coefficient in the file
}

TEST(Bpx, TranslatesBpxFunctionStrings) {
  EXPECT_EQ(translate_bpx_expression("2 * x ** 1.5 - exp(-x / 0.1)", "sto"), "2 * sto ** 1.5 - exp(-sto / 0.1)");
  EXPECT_EQ(translate_bpx_expression(" tanh( x )\n+ cosh(x)+abs(x) ", "c_e"), " tanh( c_e ) + cosh(c_e)+abs(c_e) ");
  EXPECT_EQ(translate_bpx_expression("1.e-3 + .5E+2 * x", "sto"), "1.e-3 + .5E+2 * sto");
  using testing::expect_throw_with;
  expect_throw_with<InvalidParameter>([] { translate_bpx_expression("log(x)", "sto"); },
                                      {"function 'log' is not supported", "'exp', 'tanh', 'cosh', 'abs'"});
  expect_throw_with<InvalidParameter>([] { translate_bpx_expression("y + 1", "sto"); },
                                      {"unknown name 'y'", "single variable x"});
  expect_throw_with<InvalidParameter>([] { translate_bpx_expression("x ^ 2", "sto"); }, {"unexpected '^'"});
  expect_throw_with<InvalidParameter>([] { translate_bpx_expression("x // 2", "sto"); }, {"'//'"});
  expect_throw_with<InvalidParameter>([] { translate_bpx_expression("   ", "sto"); }, {"empty"});
}

// ---- errors --------------------------------------------------------------------------

template <class E = InputError>
void expect_bpx_error(const json& j, const std::vector<std::string>& parts) {
  std::vector<std::string> all = {"BPX file 'cell.json': "};
  all.insert(all.end(), parts.begin(), parts.end());
  testing::expect_throw_with<E>([&] { parse_bpx(j.dump(), "cell.json"); }, all);
  // the same through the parameter-file reader (ParameterSet::load of a .json file)
  testing::expect_throw_with<E>([&] { parse_parameter_file(j.dump(), "cell.json"); }, all);
}

TEST(Bpx, MissingFieldsAreListedTogether) {
  json j = example_json();
  j["Parameterisation"]["Cell"].erase("Electrode area [m2]");
  j["Parameterisation"]["Negative electrode"].erase("OCP [V]");
  j["Parameterisation"].erase("Separator");
  expect_bpx_error(j, {"missing 3 required BPX fields", "'Parameterisation' > 'Cell' > 'Electrode area [m2]'",
                       "'Parameterisation' > 'Negative electrode' > 'OCP [V]'", "'Parameterisation' > 'Separator'"});
  json h = example_json();
  h.erase("Header");
  expect_bpx_error(h, {"missing 'Header'"});
  json p = example_json();
  p.erase("Parameterisation");
  expect_bpx_error(p, {"missing 'Parameterisation'"});
}

TEST(Bpx, UnsupportedVersionsAndModels) {
  json j = example_json();
  j["Header"]["BPX"] = "2.0.0";
  expect_bpx_error(j, {"unsupported BPX version \"2.0.0\"", "BPX 0.x and 1.x"});
  j["Header"]["BPX"] = 3.1;
  expect_bpx_error(j, {"unsupported BPX version 3.1"});
  j["Header"]["BPX"] = "one";
  expect_bpx_error(j, {"invalid BPX version 'one'"});
  j["Header"]["BPX"] = true;
  expect_bpx_error(j, {"'Header' > 'BPX' must be the BPX version", "true"});
  j["Header"].erase("BPX");
  expect_bpx_error(j, {"missing 'Header' > 'BPX'"});
  json m = example_json();
  m["Header"]["Model"] = "SPM";
  expect_bpx_error(m, {"'Model' is \"SPM\"", "DFN"});
  m["Header"]["Model"] = "P2D";
  expect_bpx_error(m, {"'Header' > 'Model' must be", "'P2D'"});
}

TEST(Bpx, NotJsonAndWrongTypes) {
  testing::expect_throw_with<InputError>([] { parse_bpx("{\"Header\": {\"BPX\": 1.0,}", "cell.json"); },
                                         {"BPX file 'cell.json': invalid JSON at line 1"});
  testing::expect_throw_with<InputError>([] { parse_bpx("[1, 2]", "cell.json"); },
                                         {"BPX file 'cell.json': expected a JSON object"});
  testing::expect_throw_with<InputError>([] { load_bpx("/nonexistent/cell.json"); },
                                         {"cannot open BPX file '/nonexistent/cell.json'"});
  json j = example_json();
  j["Parameterisation"]["Separator"]["Porosity"] = "0.47";
  expect_bpx_error<InvalidParameter>(j, {"'Parameterisation' > 'Separator' > 'Porosity' must be a number, got a string"});
  json t = example_json();
  t["Parameterisation"]["Positive electrode"]["OCP [V]"] = json{{"x", {0.0, 1.0}}, {"y", {4.0}}};
  expect_bpx_error<InvalidParameter>(t, {"'OCP [V]': table \"x\" and \"y\" must have the same length"});
  json n = example_json();
  n["Parameterisation"]["Cell"]["Number of electrode pairs connected in parallel to make a cell"] = 3.5;
  expect_bpx_error<InvalidParameter>(n, {"must be a whole number"});
}

TEST(Bpx, UnknownAndMovedFields) {
  json j = example_json();
  j["Parameterisation"]["Negative electrode"]["Particle radius"] = 1e-6;
  expect_bpx_error(j, {"unknown field 'Parameterisation' > 'Negative electrode' > 'Particle radius'",
                       "did you mean 'Particle radius [m]'"});
  json top = example_json();
  top["Extra"] = 1;
  expect_bpx_error(top, {"unknown field 'Extra'"});
  json v1 = example_json();
  v1["Header"]["BPX"] = "1.0.0";  // a v1 file must not carry the v0 fields
  expect_bpx_error(v1, {"'Cell' > 'Thermal conductivity [W.m-1.K-1]' is not part of the BPX 1.x schema"});
  json blended = example_json();
  blended["Parameterisation"]["Positive electrode"]["Particle"] = json::object();
  expect_bpx_error(blended, {"blended electrode"});
}

TEST(Bpx, BadFunctionsAndValuesNameTheParameter) {
  json j = example_json();
  j["Parameterisation"]["Negative electrode"]["OCP [V]"] = "0.1 + log(x)";
  expect_bpx_error<InvalidParameter>(j, {"'Parameterisation' > 'Negative electrode' > 'OCP [V]'",
                                         "'Negative electrode OCP [V]'", "function 'log' is not supported"});
  json e = example_json();
  e["Parameterisation"]["Electrolyte"]["Conductivity [S.m-1]"] = "1 + (x";
  expect_bpx_error<InvalidParameter>(e, {"'Electrolyte' > 'Conductivity [S.m-1]'", "'Electrolyte conductivity [S.m-1]'"});
  json p = example_json();
  p["Parameterisation"]["Separator"]["Porosity"] = 1.5;
  expect_bpx_error<InvalidParameter>(p, {"'Separator porosity' must be in (0, 1]"});
  json s = fixture()["variant"]["bpx"];
  s["State"]["Initial conditions"]["Initial state-of-charge"] = 1.2;
  expect_bpx_error<InvalidParameter>(s, {"'Initial state-of-charge' must be between 0 and 1, got 1.2"});
}

// ---- every place a parameter set is accepted ------------------------------------------

TEST(Bpx, SweepConfigAcceptsABpxFile) {
  const std::string config = R"({"parameters": ")" + example_path() + R"(", "vary": {"C-rate": [0.5, 1]}})";
  const SweepSpec spec = parse_sweep_config(config, "sweep.json");
  EXPECT_EQ(spec.n_cells(), 2u);
}

std::string quote(const std::string& s) {
  std::string r = "'";
  for (char c : s) r += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return r + "'";
}

TEST(Bpx, CliSimulateRunsABpxFile) {
  const testing::TempDir dir("ionflux_bpx");
  const std::string cmd = "cd " + quote(dir.path().string()) + " && " + quote(IONFLUX_CLI) +
                          " simulate --parameters " + quote(example_path()) + " --mesh x_n=10,x_s=10,x_p=10,r_n=10,r_p=10" +
                          " --output out.csv >out.txt 2>err.txt";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << read_text(dir / "err.txt");
  const std::string out = read_text(dir / "out.txt");
  EXPECT_NE(out.find("Parameterisation example of an NMC111|graphite 12.5 Ah pouch cell"), std::string::npos) << out;
  EXPECT_NE(out.find("12.5 A (1C discharge)"), std::string::npos) << out;
  EXPECT_NE(out.find("reached the lower voltage cut-off"), std::string::npos) << out;
  EXPECT_TRUE(std::filesystem::exists(dir / "out.csv"));

  // a broken BPX file: exit status 2 and one error line naming it
  std::ofstream(dir / "bad.json") << R"({"Header": {"BPX": "1.0.0", "Model": "DFN"}, "Parameterisation": {}})";
  const std::string bad = "cd " + quote(dir.path().string()) + " && " + quote(IONFLUX_CLI) +
                          " simulate --parameters bad.json >out.txt 2>err.txt";
  const int st = std::system(bad.c_str());
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 2);
  const std::string err = read_text(dir / "err.txt");
  EXPECT_NE(err.find("BPX file 'bad.json': missing 5 required BPX fields"), std::string::npos) << err;
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
