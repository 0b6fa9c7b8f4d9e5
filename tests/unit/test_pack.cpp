// Pack<G> (kernels/model/pack.hpp): the shipped sets' closed-form functions for G points
// at once on the CPU, as the residual's kinetics phase evaluates the OCPs
// (fn::ocp_builtin_points) and the Butler-Volmer current (dfn::butler_volmer_points).
//
// Expected values: the same formulas on doubles (libm's exp). A pack's exp is exp_core
// (expression.hpp; within 1 ulp of libm's, VectorisableExpIsWithinOneUlpOfLibm in
// test_expression), so each bound below is a few ulp of what the formula adds up, derived
// in place: a wrong term, coefficient or sign, or a lane mixed up with another, is off by
// orders of magnitude more.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "../test_support.hpp"
#include "kernels/model/pack.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

constexpr double kUlp1 = 2.220446049250313e-16;  // ulp of 1 (DBL_EPSILON)

//! Arguments across and beyond exp_core's range, tanh's saturation, and the awkward ones.
std::vector<double> arguments() {
  std::vector<double> x = {0.0, -0.0, 1e-300, -1e-300, 1e-8, -1e-8, 0.3, -0.3, 0.55, -0.55, 1.0, -1.0,
                           20.0, -20.0, 350.0, -350.0, 354.0, -354.0, 400.0, -400.0, 707.9, -707.9, 708.0,
                           -708.0, 709.5, -745.0, -746.0, -800.0, 800.0};
  for (int k = 0; k < 280; ++k) x.push_back(-60.0 + 120.0 * std::sin(0.731 * k) * std::fabs(std::sin(0.17 * k)));
  return x;
}

//! f applied to x in packs of G (every lane a different point), into out.
template <int G, class F>
void by_packs(const std::vector<double>& x, std::vector<double>& out, F f) {
  out.assign(x.size(), 0.0);
  for (std::size_t j = 0; j < x.size(); j += G) {
    const int m = x.size() - j < static_cast<std::size_t>(G) ? static_cast<int>(x.size() - j) : G;
    store_pack(out.data(), static_cast<int>(j), m, f(load_pack<G>(x.data(), static_cast<int>(j), m)));
  }
}

template <int G>
void check_elementary() {
  SCOPED_TRACE("pack of " + std::to_string(G));
  const std::vector<double> x = arguments();
  std::vector<double> e, t, s;
  by_packs<G>(x, e, [](const Pack<G>& p) { return ad_exp(p); });
  by_packs<G>(x, t, [](const Pack<G>& p) { return ad_tanh(p); });
  by_packs<G>(x, s, [](const Pack<G>& p) { return ad_sinh(p); });
  for (std::size_t j = 0; j < x.size(); ++j) {
    SCOPED_TRACE("x = " + std::to_string(x[j]));
    const double we = std::exp(x[j]), wt = ad_tanh(x[j]), ws = ad_sinh(x[j]);
    // exp: within 1 ulp of libm's (2 ulp of room: libm's own error on another machine)
    if (std::isinf(we) || we == 0.0) EXPECT_EQ(e[j], we);
    else EXPECT_LE(std::fabs(e[j] - we), 2.0 * kUlp1 * we);
    // tanh: ad_tanh's (1 - e) / (1 + e) with both e within 1 ulp: a few ulp of 1
    EXPECT_LE(std::fabs(t[j] - wt), 4.0 * kUlp1);
    EXPECT_EQ(std::signbit(t[j]), std::signbit(wt));
    // sinh: 0.5 (e - 1 / e), each of e and 1 / e within ~2 ulp: a few ulp of cosh
    if (std::isinf(ws)) EXPECT_EQ(s[j], ws);
    else EXPECT_LE(std::fabs(s[j] - ws), 4.0 * kUlp1 * std::cosh(x[j]));
  }
  // NaN stays NaN, in every lane position
  for (int l = 0; l < G; ++l) {
    Pack<G> p(0.25);
    p.v[l] = std::numeric_limits<double>::quiet_NaN();
    const Pack<G> re = ad_exp(p), rt = ad_tanh(p), rs = ad_sinh(p);
    EXPECT_TRUE(std::isnan(re.v[l]) && std::isnan(rt.v[l]) && std::isnan(rs.v[l])) << "lane " << l;
    for (int k = 0; k < G; ++k)
      if (k != l) EXPECT_EQ(re.v[k], ad_exp(Pack<1>(0.25)).v[0]) << "lane " << k << " next to a NaN";
  }
}

TEST(Pack, ExpTanhSinhAgreeWithTheScalarFormulas) {
  check_elementary<16>();
  check_elementary<4>();
}

//! Each term c tanh(z) or c exp(z) of a shipped OCP moves by at most |c| (4 + |z|) ulp of 1
//! between a pack and doubles: tanh within 4 ulp of 1 (above), exp (at z <= 0 here) within
//! 2 ulp of its value <= 1, and z itself, a (x - b) or a - b x, may round differently by
//! one ulp of |z| where the compiler contracts it into an fma on one side only (a pack of
//! 16 and one of 4 are compiled apart); f' <= 1 for both. The sums round at most once
//! more per term: the bound is ulp(1) (8 + z_max) times the sum of the |c|.
double ocp_bound(double coef_sum, double z_max) { return kUlp1 * (8.0 + z_max) * coef_sum; }

//! The shipped closed-form OCPs (fn::ocp_builtin) in packs against the same formula on
//! doubles, over the whole stoichiometry range, within ocp_bound.
TEST(Pack, ShippedOcpsAgreeWithTheScalarFormula) {
  struct Case {
    FunctionId id;
    double coef_sum;  // the sum of the terms' |coefficients| and the constant parts (at most 1 in x)
    double z_max;     // the largest |argument| of its tanh and exp terms for x in [0, 1]
  };
  const Case cases[] = {
      {FunctionId::graphite_lgm50_ocp_chen2020, 1.9793 + 0.2482 + 0.0909 + 0.04478 + 0.0205, 39.4},
      {FunctionId::nmc_lgm50_ocp_chen2020, 0.8090 + 4.4875 + 0.0428 + 17.7326 + 17.5842, 11.0},
      {FunctionId::graphite_mcmb2528_ocp_dualfoil1998,
       0.194 + 1.5 + 0.0351 + 0.0045 + 0.035 + 0.0147 + 0.102 + 0.022 + 0.011 + 0.0155, 120.0},
      {FunctionId::lico2_ocp_dualfoil1998, 2.16216 + 0.07645 + 2.1581 + 0.14169 + 0.2051 + 0.2531 + 0.02167, 89.5},
  };
  std::vector<double> x;
  for (int k = 0; k <= 1000; ++k) x.push_back(1e-10 + (1.0 - 2e-10) * k / 1000.0);
  x.push_back(0.5 * std::numeric_limits<double>::min());
  for (const Case& c : cases) {
    FunctionRef f;
    f.id = c.id;
    SCOPED_TRACE("function id " + std::to_string(static_cast<int>(c.id)));
    std::vector<double> out(x.size());
    // in batches of 64 as the residual calls it (packs of 16, then of 4 with a padded tail)
    for (std::size_t j = 0; j < x.size(); j += 64) {
      const int m = x.size() - j < 64 ? static_cast<int>(x.size() - j) : 64;
      fn::ocp_builtin_points<64>(f, x.data() + j, m, out.data() + j);
    }
    double worst = 0.0;
    for (std::size_t j = 0; j < x.size(); ++j) {
      const double want = fn::ocp_builtin(f, x[j]);
      ASSERT_TRUE(std::isfinite(want));
      EXPECT_LE(std::fabs(out[j] - want), ocp_bound(c.coef_sum, c.z_max)) << "sto " << x[j];
      worst = std::fmax(worst, std::fabs(out[j] - want));
    }
    std::cout << "  OCP " << static_cast<int>(c.id) << ": largest difference " << worst << " V\n";
  }
}

//! Every batch size 1..64 and place in it (packs of 16, of 4, padded tails) gives each
//! point its own value: the scalar formula's within ocp_bound (the bits may differ
//! between a pack of 16 and one of 4, where the compiler contracts differently; a lane
//! mapped to the wrong point would be off by volts).
TEST(Pack, EveryBatchSizeGivesEachPointItsOwnValue) {
  FunctionRef f;
  f.id = FunctionId::nmc_lgm50_ocp_chen2020;
  const double bound = ocp_bound(0.8090 + 4.4875 + 0.0428 + 17.7326 + 17.5842, 11.0);
  std::vector<double> x(70);
  for (int j = 0; j < 70; ++j) x[static_cast<std::size_t>(j)] = 0.05 + 0.013 * j;
  int checked = 0;
  for (int n = 1; n <= 64; ++n)
    for (int j0 = 0; j0 + n <= 70; j0 += n) {
      double out[64];
      fn::ocp_builtin_points<64>(f, x.data() + j0, n, out);
      for (int j = 0; j < n; ++j, ++checked)
        EXPECT_LE(std::fabs(out[j] - fn::ocp_builtin(f, x[static_cast<std::size_t>(j0 + j)])), bound)
            << "batch of " << n << ", point " << j;
    }
  EXPECT_EQ(checked, 3660);  // the sum over n = 1..64 of n floor(70 / n)
}

//! The residual's Butler-Volmer rows (dfn::butler_volmer_points, in packs) against
//! butler_volmer_at on doubles at the same u and j0: within a few ulp of 2 j0 cosh(x)
//! (sinh's bound above), for overpotentials from 0 to beyond exp_core's range.
TEST(Pack, ButlerVolmerBatchAgreesWithThePointwiseFormula) {
  const Layout l = Layout::make(testing::mesh_of(70, 4, 67, 6, 7));
  std::vector<double> y(static_cast<std::size_t>(l.n_state), 0.0);
  double u[64], j0[64], bv[64];
  const double temp = 298.15, c = 0.5 * constants::F / (constants::R * temp);
  for (int j = 0; j < 64; ++j) {
    y[static_cast<std::size_t>(3 * j + 1)] = -0.1 + 0.001 * j;               // phi_e
    y[static_cast<std::size_t>(3 * j + 2)] = 0.2 + (j % 7) * 0.05 - 0.003 * j;  // phi_s
    u[j] = 0.1 + 0.002 * j;
    j0[j] = 0.5 + 0.1 * (j % 5);
  }
  y[3 * 63 + 2] = 40.0;  // an overpotential whose sinh overflows exp_core's range
  for (int m : {64, 37, 3}) {
    dfn::butler_volmer_points<64>(0, m, CView{y.data()}, u, j0, temp, bv);
    for (int j = 0; j < m; ++j) {
      const double phie = y[static_cast<std::size_t>(3 * j + 1)], phis = y[static_cast<std::size_t>(3 * j + 2)];
      const double want = dfn::butler_volmer_at(j0[j], phie, phis, u[j], temp);
      const double x = c * (phis - phie - u[j]);
      if (std::isinf(want)) EXPECT_EQ(bv[j], want) << "node " << j;
      else EXPECT_LE(std::fabs(bv[j] - want), 2.0 * j0[j] * 4.0 * kUlp1 * std::cosh(x)) << "node " << j << " of " << m;
    }
  }
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
