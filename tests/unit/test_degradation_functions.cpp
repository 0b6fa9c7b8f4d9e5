// Degradation parameter functions (kernels/model/degradation_functions.hpp) against
// PyBaMM 26.10.1.1.
//
// Expected values: PyBaMM's own OKane2022 unit test (tests/unit/test_parameters/
// test_parameter_sets/test_OKane2022.py, reference pybamm-degradation.md §10 table), and
// where more digits are needed, the same functions evaluated with PyBaMM 26.10.1.1 here:
//   pv = pybamm.ParameterValues("OKane2022"); f = pv[name]
//   pv.process_symbol(f(*map(pybamm.Scalar, args))).evaluate()
// (printed with repr; the Ai2020 cracking rate with "Negative electrode activation energy
// for cracking rate [J.mol-1]" updated to 20000). Tolerance 1e-14 relative: the same
// closed forms in IEEE double, differing only in the order of operations.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/model/degradation_functions.hpp"
#include "solver/inputs/user_function.hpp"
#include "solver/util/errors.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

constexpr double kRel = 1e-14;

void expect_rel(double got, double want, double rel = kRel) {
  EXPECT_NEAR(got, want, rel * std::fabs(want)) << "got " << got << ", want " << want;
}

DegradationParams okane2022_plating() {
  DegradationParams d{};
  d.plating_j0 = {FunctionId::plating_j0_okane2020, {1e-9, 0.0}};
  d.stripping_j0 = {FunctionId::stripping_j0_okane2020, {1e-9, 0.0}};
  d.dead_lithium_rate = {FunctionId::dead_lithium_okane2022, {1e-6, 5e-9}};
  return d;
}

TEST(DegradationFunctions, OKane2022PlatingAndDeadLithiumMatchPyBaMM) {
  const DegradationParams d = okane2022_plating();
  // PyBaMM test_OKane2022.py: 9.6485e-2, 9.6485e-1, 5e-7 (abs tol 1e-4); full digits from
  // PyBaMM 26.10.1.1 (header).
  expect_rel(fn::plating_j0(d, 1e3, 1e4, 298.15), 0.09648533212331004);
  expect_rel(fn::stripping_j0(d, 1e3, 1e4, 298.15), 0.9648533212331002);
  expect_rel(fn::dead_lithium_rate(d, 1e-8), 5e-07);
  // Negative concentrations are clipped at 0 before the call (PyBaMM's j0_plating /
  // j0_stripping, tolerances j0__c_e = j0__c_Li = 0).
  EXPECT_EQ(fn::plating_j0(d, -5.0, 1e4, 298.15), 0.0);
  EXPECT_EQ(fn::stripping_j0(d, 1e3, -1e-3, 298.15), 0.0);
}

TEST(DegradationFunctions, DualDerivativesOfTheClosedForms) {
  const DegradationParams d = okane2022_plating();
  using D2 = Dual<2>;
  const D2 ce = D2::variable(1e3, 0), cli = D2::variable(1e4, 1);
  const D2 jp = fn::plating_j0(d, ce, cli, 298.15);
  // d(F k c_e)/dc_e = F k, independent of c_Li
  expect_rel(jp.d[0], constants::F * 1e-9);
  EXPECT_EQ(jp.d[1], 0.0);
  const D2 js = fn::stripping_j0(d, ce, cli, 298.15);
  EXPECT_EQ(js.d[0], 0.0);
  expect_rel(js.d[1], constants::F * 1e-9);
  // d(g0 L0 / L)/dL = -g0 L0 / L^2
  const Dual<1> g = fn::dead_lithium_rate(d, Dual<1>::variable(1e-8, 0));
  expect_rel(g.d[0], -1e-6 * 5e-9 / 1e-16, 1e-13);
}

TEST(DegradationFunctions, VolumeChangeAndCrackingRateMatchPyBaMM) {
  ElectrodeDegradation neg{}, pos{};
  neg.volume_change = {FunctionId::graphite_volume_change_ai2020, {0.0, 0.0}};
  pos.volume_change = {FunctionId::volume_change_linear_ai2020, {1.25e-5, 63104.0}};
  neg.cracking_rate = {FunctionId::cracking_rate_ai2020, {3.9e-20, 0.0}};
  // Reference §10: 0.0897 (negative) and 0.70992 (positive) at sto = 0.9; PyBaMM 26.10.1.1
  // values (header). The polynomial sums terms of size ~100 that cancel to ~0.09, so its
  // bound is relative to the largest term (145.907 * 0.9^9 ~ 56): 1e-14 * 56 / 0.09.
  expect_rel(fn::volume_change(neg, 0.9), 0.0896604872328684, 1e-11);
  expect_rel(fn::volume_change(neg, 0.3), 0.04959844819099917, 1e-11);
  expect_rel(fn::volume_change(pos, 0.9), 0.7099200000000001);
  // OKane2022: Eac_cr = 0, so 3.9e-20 at any temperature (PyBaMM: 3.9e-20 at 318.15 K).
  EXPECT_EQ(fn::cracking_rate(neg, 318.15), 3.9e-20);
  // Ai2020 with an activation energy of 20 kJ/mol: PyBaMM gives 2.348554705617341e-20 at
  // 318.15 K (exp(E/R (1/T - 1/298.15)), so a rate that falls with T).
  ElectrodeDegradation ai{};
  ai.cracking_rate = {FunctionId::cracking_rate_ai2020, {3.9e-20, 20000.0}};
  expect_rel(fn::cracking_rate(ai, 318.15), 2.348554705617341e-20);
  // Constants: the value p[0].
  ai.lam_beta = {FunctionId::constant, {2.7778e-07, 0.0}};
  ai.young_modulus = {FunctionId::constant, {1.5e10, 0.0}};
  ai.partial_molar_volume = {FunctionId::constant, {3.1e-06, 0.0}};
  EXPECT_EQ(fn::lam_beta(ai, 300.0), 2.7778e-07);
  EXPECT_EQ(fn::young_modulus(ai, 0.5, 300.0), 1.5e10);
  EXPECT_EQ(fn::partial_molar_volume(ai, 0.5, 300.0), 3.1e-06);
}

TEST(DegradationFunctions, UserExpressionsInPyBaMMsArgumentNames) {
  // The OKane2022 closed forms written as expressions give the same values.
  auto plating = UserFunctionSource::expression("Exchange-current density for plating [A.m-2]",
                                                "96485.33212331001 * 1e-9 * c_e");
  auto stripping = UserFunctionSource::expression("Exchange-current density for stripping [A.m-2]",
                                                  "96485.33212331001 * 1e-9 * c_Li * exp(0 * T)");
  auto dead = UserFunctionSource::expression("Dead lithium decay rate [s-1]", "1e-6 * 5e-9 / L_sei");
  auto lam_i = UserFunctionSource::expression("Negative electrode current-driven LAM rate", "1e-9 * abs(i) + 0 * T");
  auto young = UserFunctionSource::expression("Positive electrode Young's modulus [Pa]", "1e10 * (1 + sto) + T");
  auto omega = UserFunctionSource::expression("Negative electrode partial molar volume [m3.mol-1]", "3e-6 * sto");
  auto beta = UserFunctionSource::expression("Negative electrode LAM constant proportional term (tensile) [s-1]",
                                             "1e-7 * exp(-1000 / T)");
  auto dvol = UserFunctionSource::expression("Negative electrode volume change", "0.1 * sto");
  DegradationParams d{};
  d.plating_j0 = {FunctionId::user, {0, 0}, &plating->kernel()};
  d.stripping_j0 = {FunctionId::user, {0, 0}, &stripping->kernel()};
  d.dead_lithium_rate = {FunctionId::user, {0, 0}, &dead->kernel()};
  ElectrodeDegradation e{};
  e.lam_current_rate = {FunctionId::user, {0, 0}, &lam_i->kernel()};
  e.young_modulus = {FunctionId::user, {0, 0}, &young->kernel()};
  e.partial_molar_volume = {FunctionId::user, {0, 0}, &omega->kernel()};
  e.lam_beta_tensile = {FunctionId::user, {0, 0}, &beta->kernel()};
  e.volume_change = {FunctionId::user, {0, 0}, &dvol->kernel()};
  expect_rel(fn::plating_j0(d, 1e3, 1e4, 298.15), 0.09648533212331004);
  expect_rel(fn::stripping_j0(d, 1e3, 1e4, 298.15), 0.9648533212331002);
  expect_rel(fn::dead_lithium_rate(d, 1e-8), 5e-07);
  expect_rel(fn::lam_current_rate(e, -48.685, 298.15), 1e-9 * 48.685);
  expect_rel(fn::young_modulus(e, 0.5, 300.0), 1.5e10 + 300.0);
  expect_rel(fn::partial_molar_volume(e, 0.5, 300.0), 1.5e-6);
  expect_rel(fn::lam_beta_tensile(e, 300.0), 1e-7 * std::exp(-1000.0 / 300.0));
  expect_rel(fn::volume_change(e, 0.5), 0.05);
  // Clipping applies to user functions too.
  EXPECT_EQ(fn::plating_j0(d, -1.0, 1e4, 298.15), 0.0);
  // Derivatives through the user program: d(g0 L0 / L)/dL.
  const Dual<1> g = fn::dead_lithium_rate(d, Dual<1>::variable(1e-8, 0));
  expect_rel(g.d[0], -1e-6 * 5e-9 / 1e-16, 1e-13);
}

TEST(DegradationFunctions, ArgumentsAreCheckedPerFunction) {
  // c_Li is an argument of the plating exchange currents only; L_sei of the dead-lithium
  // rate only: elsewhere the error names the parameter and its arguments.
  try {
    UserFunctionSource::expression("Negative electrode OCP [V]", "0.1 * c_Li");
    FAIL() << "no error";
  } catch (const InvalidParameter& e) {
    EXPECT_NE(std::string(e.what()).find("c_Li"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(sto)"), std::string::npos) << e.what();
  }
  try {
    UserFunctionSource::expression("Dead lithium decay rate [s-1]", "1e-6 * c_e");
    FAIL() << "no error";
  } catch (const InvalidParameter& e) {
    EXPECT_NE(std::string(e.what()).find("L_sei"), std::string::npos) << e.what();
  }
  // A plain table of the dead-lithium rate is read at L_sei.
  auto t = UserFunctionSource::table("Dead lithium decay rate [s-1]", {1e-9, 1e-8}, {1e-6, 2e-6}, "linear");
  DegradationParams d{};
  d.dead_lithium_rate = {FunctionId::user, {0, 0}, &t->kernel()};
  expect_rel(fn::dead_lithium_rate(d, 5.5e-9), 1.5e-6, 1e-12);
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
