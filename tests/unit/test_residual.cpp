// The DFN residual at consistent states.
//
// 1. An exactly consistent state at rest: zero current, uniform concentrations at their
//    initial values, j = 0, phi_s,n = 0, phi_e = -U_n(sto_n0), phi_s,p = U_p(sto_p0) -
//    U_n(sto_n0), y' = 0. Every flux, every reaction and every overpotential is zero
//    analytically (shared/reference/pybamm-dfn.md 1.3: consistent ICs at rest), so
//    F = 0 up to the round-off of evaluating it.
// 2. After consistent_init at 1C: the algebraic rows are zero (the state solves them
//    to Newton convergence, final potential correction < 1e-13 V, see cell_solver.hpp)
//    and the differential rows are zero with the returned y'.
//
// Round-off bound used for "zero" (both tests): each residual row is a sum of a few
// terms, each computed with a relative error of a few ulp, so
//   |F_k| <= 16 eps T_k,   T_k = sum_m |dF_k/dy_m| |y_m| + |dF_k/dy'_k| |y'_k|,
// i.e. relative to the size of the terms that cancel in row k. dF/dy comes from the
// central-difference matrix of test_support.hpp (only its magnitude matters here, and
// it is accurate to ~1e-8). 16 eps allows ~8 roundings of the largest term per row.
//
// 3. The consistent initial potentials on the default mesh against PyBaMM's
//    (pybamm_dfn_Chen2020_1C.json, "initial_state": the first output of IDAKLU after
//    its calc_ic Newton; its max algebraic residual is 9.5e-13 in PyBaMM's scaled rows).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../test_support.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

constexpr double kEps = 2.220446049250313e-16;

//! T_k of the header comment.
std::vector<double> term_scales(const CellParams& p, const Layout& l, const std::vector<double>& y,
                                const std::vector<double>& yp) {
  const int n = l.n_state;
  const testing::Dense m = testing::fd_newton_matrix(p, l, y, yp, 0.0, std::vector<double>(n, 0.0), nullptr);
  std::vector<double> t(n, 0.0);
  for (int r = 0; r < n; ++r) {
    for (int c = 0; c < n; ++c) t[r] += std::fabs(m(r, c)) * std::fabs(y[c]);
    t[r] += dfn::mass(p, l, r) * std::fabs(yp[r]);
  }
  return t;
}

class ResidualAtRest : public ::testing::TestWithParam<std::string> {};

TEST_P(ResidualAtRest, ExactlyConsistentStateHasZeroResidual) {
  const CellParams p = testing::cell_of(GetParam(), 0.0);
  const Layout l = Layout::make(testing::mesh_of(4, 3, 5, 6, 7));
  const int n = l.n_state;
  const double un = fn::ocp(p.neg, p.neg.c_init / p.neg.c_max, p.temperature, p.t_ref);
  const double up = fn::ocp(p.pos, p.pos.c_init / p.pos.c_max, p.temperature, p.t_ref);
  std::vector<double> y(n, 0.0), yp(n, 0.0);
  for (int i = 0; i < l.nx; ++i) {
    y[3 * i] = p.c_e_init;
    y[3 * i + 1] = -un;
    y[3 * i + 2] = l.domain(i) == 2 ? up - un : 0.0;
    if (!l.electrode(i)) continue;
    const NodeGeom g = node_geom(p, l, i);
    y[l.j_index(i)] = 0.0;
    for (int k = 0; k < l.nr(i); ++k) y[l.cs_index(i, k)] = g.e->c_init;
  }
  y[l.kI()] = p.current;
  y[l.kT()] = p.temperature;
  const std::vector<double> f = testing::residual_of(p, l, y, yp);
  const std::vector<double> t = term_scales(p, l, y, yp);
  double worst = 0.0;
  for (int k = 0; k < n; ++k) {
    ASSERT_TRUE(std::isfinite(f[k])) << k;
    EXPECT_LE(std::fabs(f[k]), 16.0 * kEps * t[k]) << "row " << k << " F " << f[k] << " term scale " << t[k];
    if (t[k] > 0.0) worst = std::max(worst, std::fabs(f[k]) / t[k]);
  }
  std::cout << "  [" << GetParam() << "] at rest: max |F_k| / T_k = " << testing::sci(worst) << "\n";
  RecordProperty("max_rel_residual", testing::sci(worst));
  // ... and the initial guess of the cell solver is that state, except for j (it
  // spreads the current uniformly, 0 here).
  std::vector<double> g(n, 0.0);
  initial_guess(p, l, CView{g.data()});
  for (int k = 0; k < n; ++k) EXPECT_EQ(g[k], y[k]) << "initial_guess differs at " << k;
}

class ConsistentInit : public ::testing::TestWithParam<std::string> {};

TEST_P(ConsistentInit, AlgebraicRowsVanishAndDerivativesSatisfyTheResidual) {
  const std::string set = GetParam();
  const double i1c = set == "Chen2020" ? 5.0 : 0.680616;  // 1C = nominal capacity [A]
  const CellParams p = testing::cell_of(set, i1c);
  const Layout l = Layout::make(testing::mesh_of(4, 3, 5, 6, 7));
  const int n = l.n_state;
  std::vector<double> y(n), yp(n), jac(l.jac_size), res(n), del(n);
  initial_guess(p, l, CView{y.data()});
  const std::vector<double> y_guess = y;
  ASSERT_TRUE(consistent_init(p, l, Drive{ControlMode::current, p.current}, CView{y.data()}, CView{yp.data()}, CView{jac.data()}, CView{res.data()},
                              CView{del.data()}));
  // Concentrations are held; only potentials and j move.
  for (int k = 0; k < n; ++k)
    if (dfn::is_differential(l, k)) {
      EXPECT_EQ(y[k], y_guess[k]) << k;
    }
  const std::vector<double> f = testing::residual_of(p, l, y, yp);
  const std::vector<double> t = term_scales(p, l, y, yp);
  double worst_alg = 0.0, worst_diff = 0.0;
  for (int k = 0; k < n; ++k) {
    EXPECT_LE(std::fabs(f[k]), 16.0 * kEps * t[k])
        << (dfn::is_differential(l, k) ? "differential" : "algebraic") << " row " << k << " F " << f[k];
    const double r = t[k] > 0.0 ? std::fabs(f[k]) / t[k] : 0.0;
    if (dfn::is_differential(l, k)) {
      worst_diff = std::max(worst_diff, r);
    } else {
      worst_alg = std::max(worst_alg, r);
      EXPECT_EQ(yp[k], 0.0) << k;
    }
  }
  // Not a trivial y' = 0: at t = 0 the shells are uniform, so only the outermost shell of
  // each node changes, emptying in the negative electrode and filling in the positive.
  for (int i = 0; i < l.nx; ++i) {
    if (!l.electrode(i)) continue;
    const int nr = l.nr(i);
    if (l.domain(i) == 0) {
      EXPECT_LT(yp[l.cs_index(i, nr - 1)], 0.0) << "node " << i;
    } else {
      EXPECT_GT(yp[l.cs_index(i, nr - 1)], 0.0) << "node " << i;
    }
    for (int k = 0; k + 1 < nr; ++k) EXPECT_EQ(yp[l.cs_index(i, k)], 0.0) << "node " << i << " shell " << k;
  }
  std::cout << "  [" << set << " 1C] after consistent_init: max |F_k|/T_k algebraic " << testing::sci(worst_alg)
            << ", differential " << testing::sci(worst_diff) << "\n";
  RecordProperty("max_rel_residual_algebraic", testing::sci(worst_alg));
  RecordProperty("max_rel_residual_differential", testing::sci(worst_diff));
}

INSTANTIATE_TEST_SUITE_P(Sets, ResidualAtRest, ::testing::Values("Chen2020", "Marquis2019"));
INSTANTIATE_TEST_SUITE_P(Sets, ConsistentInit, ::testing::Values("Chen2020", "Marquis2019"));

TEST(ConsistentInitVsPyBaMM, Chen2020OneCDefaultMesh) {
  // Expected: pybamm_dfn_Chen2020_1C.json "initial_state" (default 20-cell mesh).
  // Tolerance 1e-9 V: PyBaMM's calc_ic stops at a scaled algebraic residual of 9.5e-13
  // (rows are L_x^2 (div i + a j), L_x^2 = 3.0e-8 m2, so ~3e-5 A/m3 against terms of
  // ~sigma/dx^2 * dphi); with the potentials' sensitivities (dphi/dF ~ 1/(sigma/dx^2)
  // ~ 1e-13 V per A/m3 in the solid, larger in the electrolyte) its potentials are
  // good to ~1e-10 V; ours converge to < 1e-13 V. 1e-9 V is ten times that.
  const testing::json& fx = testing::load_fixture("pybamm_dfn_Chen2020_1C.json");
  const testing::json& init = fx["initial_state"];
  const CellParams p = testing::cell_of("Chen2020", fx["current_A"].get<double>());
  const Layout l = Layout::make(testing::uniform_mesh(20));
  const int n = l.n_state;
  std::vector<double> y(n), yp(n), jac(l.jac_size), res(n), del(n);
  initial_guess(p, l, CView{y.data()});
  // PyBaMM's initial guess is ours (fixture "initial_guess_before_consistent_init").
  const auto guess = init["initial_guess_before_consistent_init"];
  EXPECT_NEAR(y[1], guess["Electrolyte potential [V]"][0].get<double>(), 1e-14);
  EXPECT_NEAR(y[3 * (l.nx - 1) + 2], guess["Positive electrode potential [V]"][0].get<double>(), 1e-14);
  ASSERT_TRUE(consistent_init(p, l, Drive{ControlMode::current, p.current}, CView{y.data()}, CView{yp.data()}, CView{jac.data()}, CView{res.data()},
                              CView{del.data()}));
  const auto phie = testing::to_vec(init["Electrolyte potential [V]"]);
  const auto phisn = testing::to_vec(init["Negative electrode potential [V]"]);
  const auto phisp = testing::to_vec(init["Positive electrode potential [V]"]);
  ASSERT_EQ(static_cast<int>(phie.size()), l.nx);
  double worst = 0.0;
  for (int i = 0; i < l.nx; ++i) {
    EXPECT_NEAR(y[3 * i + 1], phie[i], 1e-9) << "phi_e node " << i;
    worst = std::max(worst, std::fabs(y[3 * i + 1] - phie[i]));
    if (i < l.nn) {
      EXPECT_NEAR(y[3 * i + 2], phisn[i], 1e-9) << "phi_s,n node " << i;
      worst = std::max(worst, std::fabs(y[3 * i + 2] - phisn[i]));
    } else if (i >= l.nn + l.ns) {
      EXPECT_NEAR(y[3 * i + 2], phisp[i - l.nn - l.ns], 1e-9) << "phi_s,p node " << i;
      worst = std::max(worst, std::fabs(y[3 * i + 2] - phisp[i - l.nn - l.ns]));
    }
  }
  EXPECT_NEAR(dfn::terminal_voltage(l, CView{y.data()}), init["Voltage [V]"].get<double>(), 1e-9);
  std::cout << "  consistent initial potentials vs PyBaMM: max |dphi| = " << testing::sci(worst) << " V\n";
  RecordProperty("max_abs_potential_diff_V", testing::sci(worst));
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
