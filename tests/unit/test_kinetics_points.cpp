// The OCP and exchange current of a batch of electrode nodes (dfn::kinetics_points: the
// residual's kinetics phase evaluates user functions for kNodeBatch nodes at once, issue
// 14 item 2).
//
// State: a mesh with more electrode nodes than one batch (70 and 67: a full batch and a
// remainder), surface concentrations and c_e that differ from node to node, across the
// OCP's range, and one node with c_e < 0 (clipped) and sto near 0 (the OCP barrier).
//
// 1. Values: every node's batched u and j0 against the pointwise functions,
//    fn::ocp(e, c_surf / c_max) and fn::exchange_current(e, c_e, c_surf) with c_surf =
//    surface_concentration; bound 1e-14 relative (the bound for batched user
//    functions; the batched interpreter equals the pointwise one bit for bit,
//    test_expression; the shipped closed-form OCPs run in packs, a few ulp from the
//    pointwise formula: test_pack's largest difference is 3.6e-15 V, on Chen2020's
//    NMC OCP, about 1e-15 relative; test_pack derives their bound).
//    At the cell's temperature and at 10 K above T_ref (the entropic term).
// 2. Roads: the batch, and the whole residual, bitwise the same on a strided view of
//    stride 1 (a cell migrated off the interleaved GPU layout, test_migration) and on an
//    interleaved view of stride 3, through one compiled copy with run-time strides.
//    The first batched version did the surface extrapolation in the loop that reads y:
//    GCC versions such a loop for stride 1 (-fversion-loops-for-strides, on at -O3) and
//    the vectorised copy contracted 1.5 a - 0.5 b into the other fma, so a migrated cell
//    took 1142 steps instead of 1118 (test_migration; it passed with
//    -fno-version-loops-for-strides). Whether GCC versions a loop depends on where it is
//    inlined: compiled here, that first version happens to round alike on both views, so
//    test_migration is the guard for the whole cell and this test for the values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "../test_support.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

std::vector<double> varied_state(const CellParams& p, const Layout& l) {
  std::vector<double> y(static_cast<std::size_t>(l.n_state), 0.0);
  initial_guess(p, l, CView{y.data()});
  for (int i = 0; i < l.nx; ++i) {
    y[3 * i] = p.c_e_init * (0.3 + 0.17 * (i % 9));
    y[3 * i + 1] = -0.1 - 0.003 * i;
    if (!l.electrode(i)) continue;
    const ElectrodeParams& e = l.domain(i) == 0 ? p.neg : p.pos;
    y[3 * i + 2] = l.domain(i) == 0 ? 0.001 * i : 3.7 + 0.002 * i;
    const double base = 0.02 + 0.96 * std::fmod(0.37 * i, 1.0);  // spread over (0, 1)
    for (int k = 0; k < l.nr(i); ++k) y[l.cs_index(i, k)] = e.c_max * (base + 0.004 * k);
  }
  y[0] = -5.0;  // c_e < 0 at node 0 (clipped), and sto near 0 there (the OCP barrier)
  for (int k = 0; k < l.nr(0); ++k) y[l.cs_index(0, k)] = 5e-4 * p.neg.c_max;
  return y;
}

bool close(double got, double want) {
  return got == want || std::fabs(got - want) <= 1e-14 * std::fabs(want);
}

// The strides as the launcher has them: known only at run time, and one compiled copy of
// each kernel function for every stride (as a cell's code on the device and on the host).
volatile index_t g_stride_one = 1, g_stride_three = 3;

template <class V>
__attribute__((noinline)) void batch_on(const CellParams& p, const Layout& l, const ElectrodeParams& e, int i0, int m,
                                        V y, double temp, double* u, double* j0) {
  dfn::kinetics_points(p, l, e, i0, m, y, temp, u, j0);
}
template <class V>
__attribute__((noinline)) void residual_on(const CellParams& p, const Layout& l, const Drive& drive, V y, V yp, V f,
                                           V s) {
  dfn::residual(SerialTeam{}, p, l, drive, y, yp, f, s);
}

class KineticsPoints : public ::testing::TestWithParam<std::string> {};

TEST_P(KineticsPoints, EqualsPointwiseAndIsTheSameOnEveryView) {
  const ParameterSet ps = ParameterSet::load(GetParam());
  const CellParams p = ps.cell_params(1.0);
  const Layout l = Layout::make(testing::mesh_of(70, 4, 67, 6, 7));  // more nodes than a batch
  ASSERT_GT(l.nn, dfn::kNodeBatch);
  ASSERT_GT(l.np, dfn::kNodeBatch);
  const int n = l.n_state;
  std::vector<double> y = varied_state(p, l);
  // the same state interleaved as cell 1 of 3 (the other cells hold other numbers)
  std::vector<double> y3(static_cast<std::size_t>(3 * n), 7.0);
  for (int k = 0; k < n; ++k) y3[static_cast<std::size_t>(3 * k + 1)] = y[k];
  const index_t one = g_stride_one, three = g_stride_three;
  const DView d1{y.data(), one}, d3{y3.data() + 1, three};
  int checked = 0;
  for (double temp : {p.temperature, p.t_ref + 10.0}) {
    for (int neg = 1; neg >= 0; --neg) {
      const ElectrodeParams& e = neg ? p.neg : p.pos;
      const int first = neg ? 0 : l.nn + l.ns, end = neg ? l.nn : l.nx;
      for (int i0 = first; i0 < end; i0 += dfn::kNodeBatch) {
        const int m = end - i0 < dfn::kNodeBatch ? end - i0 : dfn::kNodeBatch;
        double u[dfn::kNodeBatch], j0[dfn::kNodeBatch], u1[dfn::kNodeBatch], j1[dfn::kNodeBatch],
            u3[dfn::kNodeBatch], j3[dfn::kNodeBatch];
        batch_on(p, l, e, i0, m, CView{y.data()}, temp, u, j0);
        batch_on(p, l, e, i0, m, d1, temp, u1, j1);
        batch_on(p, l, e, i0, m, d3, temp, u3, j3);
        for (int j = 0; j < m; ++j) {
          const int i = i0 + j;
          SCOPED_TRACE("node " + std::to_string(i) + ", T " + std::to_string(temp));
          const double cs = dfn::surface_concentration(l, CView{y.data()}, i);
          const double want_u = fn::ocp(e, cs / e.c_max, temp, p.t_ref);
          const double want_j0 = fn::exchange_current(e, y[3 * i], cs, temp, p.c_e_init);
          ASSERT_TRUE(std::isfinite(want_u) && std::isfinite(want_j0));
          EXPECT_TRUE(close(u[j], want_u)) << u[j] << " vs " << want_u;
          EXPECT_TRUE(close(j0[j], want_j0)) << j0[j] << " vs " << want_j0;
          EXPECT_EQ(std::memcmp(&u1[j], &u3[j], sizeof(double)), 0) << "OCP, stride 1 vs 3";
          EXPECT_EQ(std::memcmp(&j1[j], &j3[j], sizeof(double)), 0) << "j0, stride 1 vs 3";
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 2 * (l.nn + l.np));
  // the whole residual on both strided views (the GPU's code on the host)
  std::vector<double> yp(static_cast<std::size_t>(n), 0.0), f1(static_cast<std::size_t>(n), 0.0),
      s1(static_cast<std::size_t>(l.scratch_size), 0.0);
  std::vector<double> yp3(static_cast<std::size_t>(3 * n), 0.0), f3(static_cast<std::size_t>(3 * n), 0.0),
      s3(static_cast<std::size_t>(3 * l.scratch_size), 0.0);
  for (int k = 0; k < n; ++k) yp[k] = yp3[static_cast<std::size_t>(3 * k + 1)] = 1e-3 * (k % 5);
  const Drive drive{ControlMode::current, p.current};
  residual_on(p, l, drive, d1, DView{yp.data(), one}, DView{f1.data(), one}, DView{s1.data(), one});
  residual_on(p, l, drive, d3, DView{yp3.data() + 1, three}, DView{f3.data() + 1, three},
              DView{s3.data() + 1, three});
  for (int k = 0; k < n; ++k) {
    ASSERT_TRUE(std::isfinite(f1[k])) << "row " << k;
    EXPECT_EQ(std::memcmp(&f1[k], &f3[static_cast<std::size_t>(3 * k + 1)], sizeof(double)), 0)
        << "residual row " << k << ": " << f1[k] << " vs " << f3[static_cast<std::size_t>(3 * k + 1)];
  }
}

//! 3. The Jacobian's kinetics (dfn::kinetics_points_jacobian: the CPU's assemble_block
//! evaluates them for kJacobianKineticsBatch nodes at once) against the GPU's pointwise
//! fn::kinetics_duals (the OCP in Dual<1>, j0 in Dual<2>, lifted into Dual<4>):
//! values and all four derivatives bit for bit (the batch does the pointwise operations;
//! in duals no vectorised loop replaces one). And both against the functions evaluated
//! in all four directions at once (fn::ocp, fn::exchange_current in Dual<4>, seeds c_e
//! direction 0, c_surf direction 3): the directions neither depends on exactly 0 (the
//! Dual<4> path holds +-0 there); values within 1e-14 relative, and a derivative in c
//! (c_e or c_surf) within 1e-14 of |derivative| + |value| / c_scale at the node (c_scale:
//! c_e,init or c_max), the derivative's own magnitude or, where its terms cancel to
//! near 0, the function's over its concentration scale: the same arithmetic, which GCC
//! may contract into fma differently in the narrower type (Ai2020's OCP tables: 1 ulp in
//! the value; Marquis2019's graphite OCP: 1.4e-14 relative in a derivative of 1.2e-7
//! where terms of ~1e-2 cancel, 4e-5 for |U| / c_max there).
TEST_P(KineticsPoints, JacobianBatchEqualsPointwiseDuals) {
  using D4 = Dual<4>;
  const ParameterSet ps = ParameterSet::load(GetParam());
  const CellParams p = ps.cell_params(1.0);
  const Layout l = Layout::make(testing::mesh_of(70, 4, 67, 6, 7));
  ASSERT_GT(l.nn, dfn::kJacobianKineticsBatch);
  std::vector<double> y = varied_state(p, l);
  const CView v{y.data()};
  constexpr int KB = dfn::kJacobianKineticsBatch;
  auto same = [](double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; };
  int checked = 0;
  for (double temp : {p.temperature, p.t_ref + 10.0}) {
    for (int neg = 1; neg >= 0; --neg) {
      const ElectrodeParams& e = neg ? p.neg : p.pos;
      const int first = neg ? 0 : l.nn + l.ns, end = neg ? l.nn : l.nx;
      std::vector<D4> got_u, got_j0, all_u, all_j0;  // the batch's, and Dual<4>'s
      for (int i0 = first; i0 < end; i0 += KB) {
        const int m = end - i0 < KB ? end - i0 : KB;
        D4 u[KB], j0[KB];
        dfn::kinetics_points_jacobian<KB>(p, l, e, i0, m, v, temp, u, j0);
        for (int j = 0; j < m; ++j) {
          const int i = i0 + j;
          SCOPED_TRACE("node " + std::to_string(i) + ", T " + std::to_string(temp));
          const double c_surf = dfn::surface_concentration(l, v, i);
          D4 pu, pj0;
          fn::kinetics_duals(p, e, y[3 * i], c_surf, temp, pu, pj0);
          EXPECT_TRUE(same(u[j].v, pu.v)) << u[j].v << " vs " << pu.v;
          EXPECT_TRUE(same(j0[j].v, pj0.v)) << j0[j].v << " vs " << pj0.v;
          for (int k = 0; k < 4; ++k) {
            EXPECT_TRUE(same(u[j].d[k], pu.d[k])) << "dU direction " << k;
            EXPECT_TRUE(same(j0[j].d[k], pj0.d[k])) << "dj0 direction " << k;
          }
          const D4 ce = D4::variable(y[3 * i], 0), cs = D4::variable(c_surf, 3);
          got_u.push_back(u[j]);
          got_j0.push_back(j0[j]);
          all_u.push_back(fn::ocp(e, cs / e.c_max, temp, p.t_ref));
          all_j0.push_back(fn::exchange_current(e, ce, cs, temp, p.c_e_init));
          ++checked;
        }
      }
      // against Dual<4>: component c (0 the value, 1 + k derivative k) of the node's u or j0
      auto part = [](const D4& x, int c) { return c == 0 ? x.v : x.d[c - 1]; };
      for (int which = 0; which < 2; ++which) {
        const std::vector<D4>& got = which ? got_j0 : got_u;
        const std::vector<D4>& want = which ? all_j0 : all_u;
        for (int c = 0; c < 5; ++c) {
          const bool depends = c == 0 || c == 4 || (which == 1 && c == 1);
          const double c_scale = c == 1 ? p.c_e_init : e.c_max;  // direction 0: c_e, 3: c_surf
          for (std::size_t q = 0; q < got.size(); ++q) {
            SCOPED_TRACE(std::string(which ? "j0" : "U") + " component " + std::to_string(c) + ", node " +
                         std::to_string(first + static_cast<int>(q)) + ", T " + std::to_string(temp));
            const double w = part(want[q], c);
            if (depends) {
              const double bound = c == 0 ? 1e-14 * std::fabs(w) : 1e-14 * (std::fabs(w) + std::fabs(want[q].v) / c_scale);
              EXPECT_LE(std::fabs(part(got[q], c) - w), bound) << part(got[q], c) << " vs " << w;
            } else {
              EXPECT_EQ(part(got[q], c), 0.0);
              EXPECT_EQ(w, 0.0);
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(checked, 2 * (l.nn + l.np));
}

// Chen2020 and Marquis2019: compiled closed forms (Marquis2019 with its entropic change);
// NCA_Kim2011, Prada2013, Mohtat2020: user OCPs and exchange currents (expressions);
// Ai2020: OCP tables; ORegan2022: fractional powers in its exchange currents.
INSTANTIATE_TEST_SUITE_P(Sets, KineticsPoints,
                         ::testing::Values("Chen2020", "Marquis2019", "NCA_Kim2011", "Prada2013", "Mohtat2020",
                                           "Ai2020", "ORegan2022"));

// The electrolyte transport functions of a batch of nodes (fn::transport_points, which
// the residual's first phase calls for kNodeBatch nodes) against the pointwise functions
// (electrolyte_conductivity, chi_rt_over_fc, electrolyte_diffusivity,
// transference_number), bound 1e-14 relative as above. chi takes t+ at max(c_e, 1e-2):
// a batch with every c_e above 1e-2 reuses t+ at c_e (not evaluated twice), a batch with
// some below evaluates it at the clipped values; both kinds of batch are checked, so
// reusing t+ where a c_e is clipped would fail here (t+ at -1 or 5e-3 is not t+ at
// 1e-2). ORegan2022: Landesfeind2019 t+ and thermodynamic factor of c_e and T.
TEST(TransportPoints, EqualsPointwiseWithAndWithoutClippedConcentrations) {
  for (const char* set : {"ORegan2022", "NCA_Kim2011"}) {
    SCOPED_TRACE(set);
    const CellParams p = ParameterSet::load(set).cell_params(1.0);
    constexpr int B = dfn::kNodeBatch;
    double all_above[B], some_clipped[B];
    for (int j = 0; j < B; ++j) all_above[j] = some_clipped[j] = 50.0 + 150.0 * j;
    some_clipped[3] = -1.0;
    some_clipped[7] = 5e-3;
    some_clipped[9] = 0.0;
    for (const double* c : {static_cast<const double*>(all_above), static_cast<const double*>(some_clipped)}) {
      for (double temp : {298.15, 318.15}) {
        double kappa[B], chi[B], de[B], tp[B];
        fn::transport_points<B>(p, c, B, temp, kappa, chi, de, tp);
        for (int j = 0; j < B; ++j) {
          EXPECT_TRUE(close(kappa[j], fn::electrolyte_conductivity(p.electrolyte_conductivity, c[j], temp))) << j;
          EXPECT_TRUE(close(chi[j], fn::chi_rt_over_fc(p, c[j], temp))) << "c_e " << c[j] << ": " << chi[j];
          EXPECT_TRUE(close(de[j], fn::electrolyte_diffusivity(p.electrolyte_diffusivity, c[j], temp))) << j;
          EXPECT_TRUE(close(tp[j], fn::transference_number(p.transference, c[j], temp))) << j;
        }
      }
    }
  }
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
