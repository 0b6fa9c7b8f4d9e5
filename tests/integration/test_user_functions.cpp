// User functions (expressions and tables from parameter files) in the model.
//
// Where expected values come from: the built-in closed forms of Chen2020 (PyBaMM
// 26.10's Chen2020.py, already validated against PyBaMM in test_pybamm_dfn.cpp) —
// the same formulas written as expressions must give the same discharge; and the
// export -> load round trip must give bit-identical results.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "../test_support.hpp"
#include "../test_util.hpp"
#include "kernels/model/functions.hpp"
#include "solver/inputs/parameter_file.hpp"
#include "solver/inputs/user_function.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

using testing::expect_throw_with;

// Chen2020's functions as written in PyBaMM's Chen2020.py, as expressions.
const char* const kChenAsExpressions = R"j({"ionflux parameter file": 1, "base": "Chen2020", "name": "Chen2020 as expressions",
  "parameters": {
    "Negative electrode OCP [V]": "1.9793 * exp(-39.3631 * sto) + 0.2482 - 0.0909 * tanh(29.8538 * (sto - 0.1234)) - 0.04478 * tanh(14.9159 * (sto - 0.2769)) - 0.0205 * tanh(30.4444 * (sto - 0.6103))",
    "Positive electrode OCP [V]": "-0.8090 * sto + 4.4875 - 0.0428 * tanh(18.5138 * (sto - 0.5542)) - 17.7326 * tanh(15.7890 * (sto - 0.3117)) + 17.5842 * tanh(15.9308 * (sto - 0.3120))",
    "Negative electrode exchange-current density [A.m-2]": "6.48e-7 * exp(35000 / 8.31446261815324 * (1 / 298.15 - 1 / T)) * c_e ^ 0.5 * c_s_surf ^ 0.5 * (c_s_max - c_s_surf) ^ 0.5",
    "Positive electrode exchange-current density [A.m-2]": "3.42e-6 * exp(17800 / 8.31446261815324 * (1 / 298.15 - 1 / T)) * sqrt(c_e) * sqrt(c_s_surf) * sqrt(c_s_max - c_s_surf)",
    "Electrolyte diffusivity [m2.s-1]": "8.794e-11 * (c_e / 1000) ^ 2 - 3.972e-10 * (c_e / 1000) + 4.862e-10",
    "Electrolyte conductivity [S.m-1]": "0.1297 * (c_e / 1000) ^ 3 - 2.51 * (c_e / 1000) ^ 1.5 + 3.329 * (c_e / 1000)",
    "Negative particle diffusivity [m2.s-1]": "3.3e-14 + 0 * sto",
    "Cation transference number": "0.2594 + 0 * c_e",
    "Thermodynamic factor": "1 + 0 * c_e"
  }})j";

Solution run(const ParameterSet& ps, double c_rate = 1.0) {
  RunOptions o;
  o.mesh = testing::uniform_mesh(20);
  o.t_end = 1.5 * 3600.0 / c_rate;
  o.period = o.t_end / 200.0;  // one output grid for both runs: the voltages compare at equal times
  return simulate(ps.cell_params(c_rate * ps.get("Nominal cell capacity [A.h]")), o);
}

TEST(UserFunctions, ExpressionsOfTheBuiltInFormulasGiveTheSameDischarge) {
  const ParameterSet builtin = ParameterSet::load("Chen2020");
  const ParameterSet expr = parse_parameter_file(kChenAsExpressions, "chen_expr.json");
  for (const char* k : {"Negative electrode OCP [V]", "Negative electrode exchange-current density [A.m-2]",
                        "Electrolyte conductivity [S.m-1]", "Cation transference number"})
    EXPECT_EQ(expr.cell_params(5.0).electrolyte_conductivity.id, FunctionId::user) << k;
  // The particle diffusivity names sto: the concentration-dependent (per-node) path runs.
  EXPECT_FALSE(fn::particle_diffusivity_is_constant(expr.cell_params(5.0).neg));
  for (double c_rate : {1.0, 2.0}) {
    const Solution a = run(builtin, c_rate), b = run(expr, c_rate);
    ASSERT_EQ(a.status, CellStatus::cutoff_lower);
    ASSERT_EQ(b.status, CellStatus::cutoff_lower) << b.message;
    // Same functions to rounding (libm vs the kernel's tanh); the adaptive steps may
    // differ slightly: agreement to well below the solver tolerance.
    EXPECT_NEAR(b.end_time, a.end_time, 1e-6 * a.end_time);
    EXPECT_NEAR(b.discharge_capacity, a.discharge_capacity, 1e-6 * a.discharge_capacity);
    double worst = 0.0;
    for (std::size_t k = 0; k + 1 < std::min(a.voltage.size(), b.voltage.size()); ++k)
      worst = std::max(worst, std::fabs(a.voltage[k] - b.voltage[k]));
    EXPECT_LT(worst, 2e-6) << "max |dV| " << worst;
  }
}

TEST(UserFunctions, ExchangeCurrentPowersAreRegularisedLikePyBaMM) {
  // Built-in j0 (PyBaMM's RegPower form, validated against PyBaMM's own function
  // values in test_functions.cpp) and the plain expression agree everywhere, including
  // at c_e = 0 and at the stoichiometry limits where an unregularised sqrt would not.
  const ParameterSet builtin = ParameterSet::load("Chen2020");
  const ParameterSet expr = parse_parameter_file(kChenAsExpressions, "chen_expr.json");
  const CellParams a = builtin.cell_params(5.0);
  CellParams b = expr.cell_params(5.0);
  assign_functions(b, expr, std::nan(""));  // the general records: valid at any T
  for (double ce : {0.0, 1e-3, 1.0, 1000.0, 2500.0})
    for (double sto : {0.0, 1e-7, 1e-3, 0.5, 1.0 - 1e-7, 1.0})
      for (double t : {273.15, 298.15}) {
        const double cs = sto * a.neg.c_max;
        const double ja = fn::exchange_current(a.neg, ce, cs, t, a.c_e_init);
        const double jb = fn::exchange_current(b.neg, ce, cs, t, b.c_e_init);
        EXPECT_NEAR(jb, ja, 1e-12 * std::max(1e-300, std::fabs(ja))) << ce << " " << sto << " " << t;
        // derivatives too (forward-mode AD through the compiled program)
        using D = Dual<2>;
        const D da = fn::exchange_current(a.neg, D::variable(ce, 0), D::variable(cs, 1), t, a.c_e_init);
        const D db = fn::exchange_current(b.neg, D::variable(ce, 0), D::variable(cs, 1), t, b.c_e_init);
        // relative to the derivative's natural size j0 / (concentration scale)
        const double scale[2] = {std::fabs(ja) / a.c_e_init, std::fabs(ja) / a.neg.c_max};
        for (int k = 0; k < 2; ++k) {
          ASSERT_TRUE(std::isfinite(db.d[k])) << ce << " " << sto;
          EXPECT_NEAR(db.d[k], da.d[k], 1e-9 * (std::fabs(da.d[k]) + scale[k]) + 1e-300) << ce << " " << sto;
        }
      }
}

TEST(UserFunctions, IsothermalCellsGetFunctionsSpecialisedToTheirTemperature) {
  // An isothermal cell's user functions have the functions of T alone folded to numbers
  // (one exp fewer per call for an Arrhenius factor); at that temperature the values are
  // the general program's, bit for bit (double evaluation). The example: an Arrhenius
  // particle diffusivity (a function of T alone).
  ParameterSet ps = parse_parameter_file(kChenAsExpressions, "chen_expr.json");
  const std::string d_key = "Negative particle diffusivity [m2.s-1]";
  ps.set_function(d_key, UserFunctionSource::expression(
                             d_key, "3.3e-14 * exp(30300 / 8.31446261815324 * (1 / 298.15 - 1 / T))"));
  const CellParams iso = ps.cell_params(5.0);
  CellParams general = iso;
  assign_functions(general, ps, std::nan(""));
  const UserFunction& s = *iso.neg.diffusivity.user;
  const UserFunction& g = *general.neg.diffusivity.user;
  EXPECT_NE(&s, &g);
  EXPECT_LT(s.program.n_ops, g.program.n_ops);
  EXPECT_EQ(s.program.uses & (1u << static_cast<int>(expr::Var::T)), 0u);
  for (double cs : {0.01, 0.5, 0.99})
    EXPECT_EQ(fn::particle_diffusivity(iso.neg, cs * iso.neg.c_max, iso.temperature),
              fn::particle_diffusivity(general.neg, cs * iso.neg.c_max, iso.temperature));
  // the exchange currents, K(T) c_e^0.5 c_s^0.5 (c_s_max - c_s)^0.5, become the closed form
  // with K at this temperature (parameters.cpp, closed_form_exchange): within 1e-14 of the
  // general program there
  for (const ElectrodeParams* e : {&iso.neg, &iso.pos}) {
    EXPECT_EQ(e->exchange.id, FunctionId::exchange_current_sqrt_arrhenius);
    const ElectrodeParams& eg = e == &iso.neg ? general.neg : general.pos;
    ASSERT_EQ(eg.exchange.id, FunctionId::user);
    for (double ce : {1.0, 1000.0})
      for (double sto : {0.01, 0.5, 0.99}) {
        const double cs = sto * e->c_max;
        const double want = fn::exchange_current(eg, ce, cs, iso.temperature, iso.c_e_init);
        EXPECT_NEAR(fn::exchange_current(*e, ce, cs, iso.temperature, iso.c_e_init), want, 1e-14 * want);
      }
  }
  // the same specialised record for every cell at this temperature; another one at another
  ParameterSet warm = ps;
  warm.set("Ambient temperature [K]", 318.15);
  EXPECT_EQ(ps.cell_params(2.0).neg.diffusivity.user, iso.neg.diffusivity.user);
  EXPECT_NE(warm.cell_params(5.0).neg.diffusivity.user, iso.neg.diffusivity.user);
  // the lumped thermal model (T varies) uses the general records
  CellParams thermal = ps.cell_params(5.0);
  enable_lumped_thermal(thermal, ps);
  EXPECT_EQ(thermal.neg.diffusivity.user, general.neg.diffusivity.user);
  EXPECT_EQ(thermal.neg.exchange.user, general.neg.exchange.user);
  EXPECT_EQ(thermal.electrolyte_conductivity.user, general.electrolyte_conductivity.user);
}

TEST(UserFunctions, TablesAndExpressionsSurviveExportAndReload) {
  const auto neg = testing::read_csv2(testing::shared_path("reference-data/ocp_Chen2020_LGM50/graphite_LGM50_ocp_Chen2020.csv"));
  ParameterSet ps = parse_parameter_file(kChenAsExpressions, "chen_expr.json");
  ps.set_function("Negative electrode OCP [V]",
                  UserFunctionSource::table("Negative electrode OCP [V]", neg.first, neg.second, "pchip"));
  ps.set_function("Positive particle diffusivity [m2.s-1]",
                  UserFunctionSource::table("Positive particle diffusivity [m2.s-1]", {0.0, 0.5, 1.0},
                                            {4e-15, 5e-15, 3e-15}, "linear", "table(sto) * exp(1000 * (1 / 298.15 - 1 / T))"));
  const std::string text = to_json(ps);
  const ParameterSet back = parse_parameter_file(text, "exported.json");
  EXPECT_EQ(to_json(back), text);
  const Solution a = run(ps), b = run(back);
  ASSERT_EQ(a.status, CellStatus::cutoff_lower) << a.message;
  ASSERT_EQ(a.voltage.size(), b.voltage.size());
  for (std::size_t k = 0; k < a.voltage.size(); ++k) ASSERT_EQ(a.voltage[k], b.voltage[k]) << k;
  EXPECT_EQ(a.discharge_capacity, b.discharge_capacity);
}

std::string with_chen(const std::string& key, const std::string& value) {
  return R"({"ionflux parameter file": 1, "base": "Chen2020", "parameters": {")" + key + "\": " + value + "}}";
}

TEST(UserFunctions, ErrorsNameTheParameterAndTheProblem) {
  auto parse = [](const std::string& t) { return parse_parameter_file(t, "cell.json"); };
  const std::string ocp = "Negative electrode OCP [V]";
  expect_throw_with<InvalidParameter>([&] { parse(with_chen(ocp, R"j("1.2 * exp(-sto / 0.1) + c_e")j")); },
                                      {"cell.json",
                                       "expression for 'Negative electrode OCP [V]' uses 'c_e' at position 25, but "
                                       "this parameter is a function of (sto) only"});
  expect_throw_with<InvalidParameter>([&] { parse(with_chen(ocp, R"j("0.2 + stoo")j")); },
                                      {"unknown variable 'stoo' (did you mean 'sto'?) at position 7 (arguments: sto)"});
  expect_throw_with<InvalidParameter>([&] { parse(with_chen(ocp, R"j("0.2 + tanhh(sto)")j")); },
                                      {"unknown function 'tanhh'", "did you mean 'tanh'"});
  expect_throw_with<InvalidParameter>([&] { parse(with_chen(ocp, R"j("0.2 + (sto")j")); }, {"missing ')'"});
  expect_throw_with<InvalidParameter>([&] { parse(with_chen(ocp, R"j("table(sto)")j")); },
                                      {"'table' is only available"});
  expect_throw_with<InvalidParameter>([&] { parse(with_chen(ocp, R"({"x": [0, 1, 1], "y": [1, 0.5, 0.1]})")); },
                                      {"strictly increasing", "x[1] = 1 and x[2] = 1"});
  expect_throw_with<InvalidParameter>([&] { parse(with_chen(ocp, R"({"x": [0], "y": [1]})")); },
                                      {"at least 2 points"});
  expect_throw_with<InvalidParameter>([&] { parse(with_chen(ocp, R"({"x": [0, 1], "y": [1, 0, 2]})")); },
                                      {"\"x\" has 2 values but \"y\" has 3"});
  expect_throw_with<InvalidParameter>([&] { parse(with_chen(ocp, R"({"x": [0, "a"], "y": [1, 0]})")); },
                                      {"\"x\"[1] must be a number"});
  expect_throw_with<InvalidParameter>([&] { parse(with_chen(ocp, R"({"x": [0, 1], "y": [1, 0], "interp": "linear"})")); },
                                      {"unknown table key 'interp'", "did you mean 'interpolator'"});
  expect_throw_with<InvalidParameter>(
      [&] { parse(with_chen(ocp, R"({"x": [0, 1], "y": [1, 0], "interpolator": "spline"})")); },
      {"unknown interpolation 'spline'", "\"linear\", \"pchip\" or \"cubic\""});
  expect_throw_with<InvalidParameter>([&] { parse(with_chen(ocp, R"({"y": [1, 0]})")); }, {"missing \"x\""});
  // a table for a function of several arguments needs an expression that says how
  expect_throw_with<InvalidParameter>(
      [&] { parse(with_chen("Negative electrode exchange-current density [A.m-2]", R"({"x": [0, 1], "y": [1, 2]})")); },
      {"needs an \"expression\"", "c_e, c_s_surf, c_s_max, T"});
  expect_throw_with<InvalidParameter>(
      [&] { parse(with_chen("Electrolyte conductivity [S.m-1]", R"j("1 + sto")j")); },
      {"uses 'sto' at position 5, but this parameter is a function of (c_e, T) only"});
}

TEST(UserFunctions, ParticleDiffusivityWithoutStoKeepsTheSharedFactorisation) {
  // An Arrhenius-only expression does not depend on the concentration: every node's
  // particle matrix is the same and is factorised once (the constant-D path).
  const ParameterSet ps = parse_parameter_file(
      with_chen("Negative particle diffusivity [m2.s-1]", R"j("3.3e-14 * exp(3000 * (1 / 298.15 - 1 / T))")j"), "d.json");
  EXPECT_TRUE(fn::particle_diffusivity_is_constant(ps.cell_params(5.0).neg));
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
