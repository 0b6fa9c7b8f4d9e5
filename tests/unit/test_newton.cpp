// The condensed Newton solve (dfn::assemble + factorize + solve: static condensation of
// the particle shells and j, then a block-tridiagonal LU in x) against a dense solve of
// the same Newton matrix M = dF/dy + cj dF/dy'.
//
// Expected values: M is built here, independently of newton.hpp, by central finite
// differences of dfn::residual with Richardson extrapolation (test_support.hpp,
// fd_newton_matrix), and solved by a plain dense LU with partial pivoting.
//
// Tolerances come from the finite-difference error bound E (per entry; see
// fd_newton_matrix):
//  * assembled entries: |A_rc - M_rc| <= E_rc + 1e-12 |M_rc| (the second term: the
//    AD derivatives and the extrapolated FD value agree to a few ulp of the entry
//    where E is tiny, e.g. linear rows);
//  * solutions: the block solve x_b solves A x_b = r; the dense one solves
//    (A + dA) x_d = r with |dA| <= E, so to first order
//    |x_d - x_b| <= |M^-1| (E |x_b|) componentwise. We allow twice that plus the dense
//    LU's own round-off, 3 n eps |M^-1| |P^T||L||U| |x_b| (Higham, thm 9.4), plus the
//    same with |M| for the block solve's round-off.
// Small mesh (x_n=3, x_s=2, x_p=3, r_n=4, r_p=5: 57 unknowns) so the dense matrix is cheap
// even under sanitizers; a hand-made non-uniform mid-discharge-like state (below).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../test_support.hpp"
#include "kernels/model/newton.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

using testing::Dense;
using testing::DenseLU;

constexpr double kEps = 2.220446049250313e-16;

//! A non-uniform state resembling mid-discharge: c_e falls from 1.25 c0 at x=0 to
//! 0.75 c0 at x=L with a wiggle; negative shells depleted towards the surface,
//! positive shells filled towards it; overpotentials of +-30..45 mV; j non-uniform;
//! y' arbitrary (M does not depend on y').
void make_state(const CellParams& p, const Layout& l, std::vector<double>& y, std::vector<double>& yp) {
  y.assign(l.n_state, 0.0);
  yp.assign(l.n_state, 0.0);
  const double L = p.neg.thickness + p.sep_thickness + p.pos.thickness;
  for (int i = 0; i < l.nx; ++i) {
    const double x = node_x(p, l, i) / L;
    y[3 * i] = p.c_e_init * (1.25 - 0.5 * x) + 15.0 * std::sin(7.0 * i);
    yp[3 * i] = 1e-2 * std::cos(3.0 * i);
  }
  for (int i = 0; i < l.nx; ++i) {
    if (!l.electrode(i)) continue;
    const NodeGeom g = node_geom(p, l, i);
    const ElectrodeParams& e = *g.e;
    const int nr = l.nr(i);
    for (int k = 0; k < nr; ++k) {
      const double r = (k + 0.5) / nr;
      const double sto = g.dom == 0 ? 0.55 - 0.1 * r * r - 0.02 * i : 0.6 + 0.1 * r * r + 0.02 * (i - l.nn - l.ns);
      y[l.cs_index(i, k)] = sto * e.c_max;
      yp[l.cs_index(i, k)] = 1e-3 * (k + 1) * (g.dom == 0 ? -1.0 : 1.0);
    }
    y[l.j_index(i)] = g.dom == 0 ? 1.5 + 0.3 * i : -1.6 - 0.2 * (i - l.nn - l.ns);
  }
  // Potentials: phi_s,n small and varying; phi_e from eta_n = +30..45 mV in the negative
  // electrode, continued linearly; phi_s,p from eta_p = -30..45 mV.
  auto usurf = [&](int i) {
    const NodeGeom g = node_geom(p, l, i);
    const double cs = dfn::surface_concentration(l, y, i);
    return fn::ocp(*g.e, cs / g.e->c_max, p.temperature, p.t_ref);
  };
  for (int i = 0; i < l.nn; ++i) {
    y[3 * i + 2] = -1e-4 * (i + 1);
    y[3 * i + 1] = y[3 * i + 2] - usurf(i) - (0.03 + 0.005 * i);
  }
  const double slope = y[3 * (l.nn - 1) + 1] - y[3 * (l.nn - 2) + 1];
  for (int i = l.nn; i < l.nx; ++i) y[3 * i + 1] = y[3 * (i - 1) + 1] + 0.5 * slope - 1e-3;
  for (int i = l.nn + l.ns; i < l.nx; ++i) y[3 * i + 2] = y[3 * i + 1] + usurf(i) - (0.03 + 0.005 * (i - l.nn));
  // globals: a current, some capacity and energy drawn, a temperature off the reference
  // (so that the temperature column is not trivially zero)
  y[l.kI()] = p.current;
  y[l.kQ()] = 0.3;
  y[l.kE()] = 1.1;
  y[l.kT()] = 305.0;
  yp[l.kQ()] = p.current / 3600.0;
  yp[l.kE()] = 3.7 * p.current / 3600.0;
}

//! Row term scales for the FD round-off estimate: T_r = sum_c |M_rc| |y_c| + |F_r|, from
//! a first FD pass without error estimate.
std::vector<double> row_scales(const CellParams& p, const Layout& l, const std::vector<double>& y,
                               const std::vector<double>& yp, double cj, const Drive& drive) {
  const int n = l.n_state;
  const Dense m0 = testing::fd_newton_matrix(p, l, y, yp, cj, std::vector<double>(n, 0.0), nullptr, &drive);
  const std::vector<double> f = testing::residual_of(p, l, y, yp, &drive);
  std::vector<double> t(n, 0.0);
  for (int r = 0; r < n; ++r) {
    t[r] = std::fabs(f[r]);
    for (int c = 0; c < n; ++c) t[r] += std::fabs(m0(r, c)) * std::fabs(y[c]);
  }
  return t;
}

struct Case {
  std::string set;
  double cj;
  bool ic;
  ControlMode mode = ControlMode::current;
};

class CondensedNewton : public ::testing::TestWithParam<Case> {};

TEST_P(CondensedNewton, AssembledEntriesAndSolveMatchDenseFiniteDifferences) {
  const Case cs = GetParam();
  const CellParams p = testing::cell_of(cs.set, cs.set == "Chen2020" ? 5.0 : 0.680616);
  const Layout l = Layout::make(testing::mesh_of(3, 2, 3, 4, 5));
  const int n = l.n_state;
  ASSERT_EQ(n, 3 * 8 + 6 + 3 * 4 + 3 * 5 + 4);
  std::vector<double> y, yp;
  make_state(p, l, y, yp);
  // the control: the set's current, or a voltage / power near the state's own
  const double v_state = dfn::terminal_voltage(l, y);
  const Drive drive{cs.mode, cs.mode == ControlMode::voltage ? v_state - 0.01
                             : cs.mode == ControlMode::power ? 0.9 * p.current * v_state
                                                             : p.current};

  const double cj_fd = cs.ic ? 0.0 : cs.cj;
  Dense err;
  Dense m = testing::fd_newton_matrix(p, l, y, yp, cj_fd, row_scales(p, l, y, yp, cj_fd, drive), &err, &drive);
  if (cs.ic) {
    // Consistent-initialisation matrix: differential rows become identity rows.
    for (int r = 0; r < n; ++r) {
      if (!dfn::is_differential(l, r)) continue;
      for (int c = 0; c < n; ++c) {
        m(r, c) = r == c ? 1.0 : 0.0;
        err(r, c) = 0.0;
      }
    }
  }

  std::vector<double> jac(l.jac_size, 0.0);
  std::vector<double> f0 = testing::residual_of(p, l, y, yp, &drive);
  CView yv{y.data()}, ypv{yp.data()}, f0v{f0.data()}, jv{jac.data()};
  dfn::assemble(SerialTeam{}, p, l, drive, yv, ypv, f0v, cs.cj, cs.ic, jv);

  // ---- entry by entry ------------------------------------------------------------
  Dense covered(n);  // 1 where the block storage represents the entry
  int checked = 0;
  double worst = 0.0;
  auto expect_entry = [&](int r, int c, double assembled, const char* what) {
    covered(r, c) = 1.0;
    const double bound = err(r, c) + 1e-12 * std::fabs(m(r, c));
    EXPECT_LE(std::fabs(assembled - m(r, c)), bound)
        << what << " row " << r << " col " << c << ": assembled " << assembled << " FD " << m(r, c);
    if (bound > 0.0) worst = std::max(worst, std::fabs(assembled - m(r, c)) / std::max(std::fabs(m(r, c)), 1e-300));
    ++checked;
  };
  const int JN = l.jac_node;
  for (int i = 0; i < l.nx; ++i) {
    const int b = JN * i;
    for (int q = 0; q < 3; ++q)
      for (int c = 0; c < 3; ++c) {
        expect_entry(3 * i + q, 3 * i + c, jac[b + dfn::kD + 3 * q + c], "D");
        if (i > 0) expect_entry(3 * i + q, 3 * (i - 1) + c, jac[b + dfn::kL + 3 * q + c], "L");
        if (i + 1 < l.nx) expect_entry(3 * i + q, 3 * (i + 1) + c, jac[b + dfn::kU + 3 * q + c], "U");
      }
    if (!l.electrode(i)) continue;
    const int jk = l.j_index(i), nr = l.nr(i);
    auto cs = [&](int k) { return l.cs_index(i, k); };
    // Shell factors of this node: its own, or those of the node it shares them with
    // (all nodes of an electrode when D_s is constant).
    const int src = static_cast<int>(jac[b + dfn::kPart]);
    for (int q = 0; q < 3; ++q) {
      expect_entry(3 * i + q, jk, jac[b + dfn::kH + q], "H");
      expect_entry(jk, 3 * i + q, jac[b + dfn::kK + q], "K");
    }
    expect_entry(jk, jk, 1.0, "dF_j/dj (implicit 1)");
    expect_entry(jk, cs(nr - 1), dfn::surface_weight_outer() * jac[b + dfn::kKc], "Kc outer");
    expect_entry(jk, cs(nr - 2), dfn::surface_weight_inner() * jac[b + dfn::kKc], "Kc inner");
    expect_entry(cs(nr - 1), jk, jac[b + dfn::kBj], "Bj");
    for (int k = 0; k < nr; ++k) {
      expect_entry(cs(k), cs(k), jac[l.part_index(dfn::kDiag, src, k)], "shell diag");
      if (k > 0) expect_entry(cs(k), cs(k - 1), jac[l.part_index(dfn::kSub, src, k)], "shell sub");
      if (k + 1 < nr) expect_entry(cs(k), cs(k + 1), jac[l.part_index(dfn::kSup, src, k)], "shell sup");
    }
  }
  // The border: the current's column and row, the temperature's column (a forward
  // difference in the solver, so compared with a bound of its own: its truncation error
  // is about dT/2 |d2F/dT2| <~ 1e-6 of the entry, plus the difference's round-off
  // eps |F| / dT, with dT = 1e-6 (T + 1)), and the Q, E, T rows.
  auto bs = [&](int slot) { return jac[dfn::border_scalar<CView>(l, slot)]; };
  const int pn = 3 * (l.nx - 1) + 2, pn1 = 3 * (l.nx - 2) + 2;
  const int kI = l.kI(), kQ = l.kQ(), kE = l.kE(), kT = l.kT();
  expect_entry(pn, kI, bs(dfn::kbBI), "b_I");
  expect_entry(kI, kI, bs(dfn::kbCII), "dF_I/dI");
  expect_entry(kI, pn, bs(dfn::kbCIN), "dF_I/dphi_N");
  expect_entry(kI, pn1, bs(dfn::kbCIN1), "dF_I/dphi_N-1");
  expect_entry(kI, kT, bs(dfn::kbDIT), "dF_I/dT");
  expect_entry(kT, kT, bs(dfn::kbDTT), "dF_T/dT");
  const CView wt = dfn::border_w(l, jv, 1);
  const double dtemp = 1e-6 * (y[kT] + 1.0);
  for (int r = 0; r < l.off_g; ++r) {
    covered(r, kT) = 1.0;
    const double bound = err(r, kT) + 1e-5 * std::fabs(m(r, kT)) + 8.0 * kEps * (std::fabs(f0[r]) + 1.0) / dtemp;
    EXPECT_LE(std::fabs(wt[r] - m(r, kT)), bound) << "temperature column row " << r;
    ++checked;
  }
  const double cq = cs.ic ? 1.0 : cs.cj;
  expect_entry(kQ, kQ, cq, "dF_Q/dQ");
  expect_entry(kE, kE, cq, "dF_E/dE");
  if (!cs.ic) {
    expect_entry(kQ, kI, -1.0 / 3600.0, "dF_Q/dI");
    expect_entry(kE, kI, -v_state / 3600.0, "dF_E/dI");
    expect_entry(kE, pn, -y[kI] / 3600.0 * dfn::voltage_weight_last(), "dF_E/dphi_N");
    expect_entry(kE, pn1, -y[kI] / 3600.0 * dfn::voltage_weight_before(), "dF_E/dphi_N-1");
  }
  // Everything the block storage does not represent must be zero in M.
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c)
      if (covered(r, c) == 0.0) {
        EXPECT_LE(std::fabs(m(r, c)), err(r, c)) << "unrepresented entry " << r << "," << c;
      }
  EXPECT_GT(checked, 200);
  ::testing::Test::RecordProperty("max_rel_entry_diff", testing::sci(worst));

  // ---- solve ---------------------------------------------------------------------
  // "The same Newton matrix": the dense one takes the solver's own temperature column.
  for (int r = 0; r < l.off_g; ++r) {
    m(r, kT) = wt[r];
    err(r, kT) = 0.0;
  }
  ASSERT_TRUE(dfn::factorize(SerialTeam{}, l, jv));
  // Right-hand side with realistic row magnitudes: a residual-like vector.
  std::vector<double> rhs(n);
  const std::vector<double> f = testing::residual_of(p, l, y, yp, &drive);
  for (int k = 0; k < n; ++k) rhs[k] = f[k] * (1.0 + 0.3 * std::sin(1.7 * k)) + 1e-3 * std::cos(0.9 * k);
  if (cs.ic)
    for (int k = 0; k < n; ++k)
      if (dfn::is_differential(l, k)) rhs[k] = 0.0;  // as in consistent_init
  std::vector<double> xb = rhs;
  dfn::solve(SerialTeam{}, l, jv, CView{xb.data()});

  DenseLU lu;
  ASSERT_TRUE(lu.factor(m));
  const std::vector<double> xd = lu.solve(rhs);
  // |M^-1| column by column.
  Dense minv_abs(n);
  for (int c = 0; c < n; ++c) {
    std::vector<double> e(n, 0.0);
    e[c] = 1.0;
    const std::vector<double> col = lu.solve(e);
    for (int r = 0; r < n; ++r) minv_abs(r, c) = std::fabs(col[r]);
  }
  const std::vector<double> lu_x = lu.lu_abs_times(xb);
  std::vector<double> e_x(n, 0.0), m_x(n, 0.0);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) {
      e_x[r] += err(r, c) * std::fabs(xb[c]);
      m_x[r] += std::fabs(m(r, c)) * std::fabs(xb[c]);
    }
  double worst_ratio = 0.0, loosest = 0.0;
  for (int r = 0; r < n; ++r) {
    double fd_bound = 0.0, ro_bound = 0.0;
    for (int c = 0; c < n; ++c) {
      fd_bound += minv_abs(r, c) * e_x[c];
      ro_bound += minv_abs(r, c) * (m_x[c] + lu_x[c]);
    }
    const double bound = 2.0 * fd_bound + 3.0 * n * kEps * ro_bound;
    EXPECT_LE(std::fabs(xb[r] - xd[r]), bound) << "unknown " << r << ": block " << xb[r] << " dense " << xd[r];
    if (bound > 0.0) worst_ratio = std::max(worst_ratio, std::fabs(xb[r] - xd[r]) / bound);
    if (xd[r] != 0.0 && !(cs.ic && dfn::is_differential(l, r))) loosest = std::max(loosest, bound / std::fabs(xd[r]));
    if (cs.ic && dfn::is_differential(l, r)) {
      EXPECT_EQ(xb[r], 0.0) << "differential correction in IC solve";
    }
  }
  ::testing::Test::RecordProperty("max_diff_over_bound", testing::sci(worst_ratio));
  // How tight the check is: the largest bound relative to the solution component.
  ::testing::Test::RecordProperty("max_bound_over_solution", testing::sci(loosest));
}

INSTANTIATE_TEST_SUITE_P(Cases, CondensedNewton,
                         ::testing::Values(Case{"Chen2020", 1e-2, false}, Case{"Chen2020", 1.0, false},
                                           Case{"Chen2020", 0.0, true}, Case{"Marquis2019", 1e-2, false},
                                           Case{"Marquis2019", 1.0, false}, Case{"Marquis2019", 0.0, true},
                                           Case{"Chen2020", 1e-2, false, ControlMode::voltage},
                                           Case{"Chen2020", 0.0, true, ControlMode::voltage},
                                           Case{"Marquis2019", 1.0, false, ControlMode::power},
                                           Case{"Marquis2019", 0.0, true, ControlMode::power}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           std::string s = info.param.set + (info.param.ic ? "_ic" : "_cj");
                           if (!info.param.ic) s += info.param.cj == 1.0 ? "1" : "1em2";
                           if (info.param.mode == ControlMode::voltage) s += "_voltage";
                           if (info.param.mode == ControlMode::power) s += "_power";
                           return s;
                         });

//! Shell solves (dfn::shell_solves: each node's Thomas sweeps through its shells, nodes
//! side by side, on the CPU in registers for 8..32 nodes per electrode, in overlapping
//! vectors of 8) against the textbook sweeps written out here, one pass per shell over all
//! nodes with the same operations (forward r_k -= l_k r_{k-1}; back r_last *= d_last,
//! r_k = (r_k - u_k r_{k+1}) d_k). Expected: the same doubles, bit for bit (the
//! reordering changes no operation), for node counts below, in, between and above the
//! register path's range, with factors per node and shared by the electrode (kPart).
TEST(ShellSolves, EqualThePerShellSweepsBitwise) {
  for (const int cnt : {2, 5, 8, 9, 15, 16, 20, 24, 31, 32, 33, 40}) {
    for (const bool shared : {false, true}) {
      const Layout l = Layout::make(testing::mesh_of(cnt, 3, cnt + 1, 7, 6));
      std::vector<double> jac(l.jac_size, 0.0), r(l.n_state, 0.0);
      unsigned state = 12345u + 7u * cnt;
      auto rnd = [&]() {  // deterministic values in [0.5, 1.5)
        state = state * 1664525u + 1013904223u;
        return 0.5 + (state >> 8) * (1.0 / 16777216.0);
      };
      for (double& v : jac) v = rnd();
      for (double& v : r) v = rnd() - 1.0;
      for (int i = 0; i < l.nx; ++i)
        if (l.electrode(i)) jac[l.jac_node * i + dfn::kPart] = shared ? l.electrode_first(i) : i;
      std::vector<double> want = r;
      for (const int first : {0, l.nn + l.ns}) {
        const int n = l.electrode_nodes(first), nr = l.nr(first);
        auto f = [&](int slot, int q, int k) { return jac[l.part_index(slot, first, k) + (shared ? 0 : q)]; };
        for (int k = 1; k < nr; ++k)
          for (int q = 0; q < n; ++q) want[l.cs_index(first + q, k)] -= f(dfn::kSub, q, k) * want[l.cs_index(first + q, k - 1)];
        for (int q = 0; q < n; ++q) want[l.cs_index(first + q, nr - 1)] *= f(dfn::kDiag, q, nr - 1);
        for (int k = nr - 2; k >= 0; --k)
          for (int q = 0; q < n; ++q)
            want[l.cs_index(first + q, k)] =
                (want[l.cs_index(first + q, k)] - f(dfn::kSup, q, k) * want[l.cs_index(first + q, k + 1)]) *
                f(dfn::kDiag, q, k);
      }
      const CView jv{jac.data()}, rv{r.data()};
      dfn::shell_solves(SerialTeam{}, l, jv, rv, 0);
      dfn::shell_solves(SerialTeam{}, l, jv, rv, l.nn + l.ns);
      for (int k = 0; k < l.n_state; ++k)
        ASSERT_EQ(r[k], want[k]) << "nodes " << cnt << (shared ? " shared" : " per node") << ", unknown " << k;
    }
  }
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
