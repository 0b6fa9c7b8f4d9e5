// The GPU's team code path on the CPU (issue 11): the per-cell code run by a W-lane team
// (EmulatedTeam<W>, kernels/numerics/team.hpp: the lanes one after the other, the last
// lane first, each taking elements lane, lane + W, ... as a warp does, sums combined in
// the warp's shuffle order) equals the serial path (SerialTeam, W = 1).
//
// 1. Kernel level: the residual, the factorised Newton matrix and a solve are the same
//    doubles for W = 32, 8 and 1 up to FMA contraction (each element is computed by the
//    same arithmetic whichever lane takes it; a phase that read an element another lane
//    of the same phase writes would see it unwritten (NaN) or stale, and differ). The
//    lumped-thermal heat is a sum over nodes whose order depends on W.
// 2. Whole runs: the three equivalence batches the CUDA tests use (37 constant-current
//    cells with a cut-off at t = 0 and a NaN parameter, user functions, 11 protocols
//    with a drive cycle and lumped thermal) run cell by cell with the team solver on a
//    NaN-filled contiguous workspace (as the GPU's team kernel lays it out), in slices
//    of 7 steps (as launches do), give the serial answer: same status, same number of
//    outputs and step records, values within 1e-7 relative (issue 11's bound for any two
//    backends) at rtol = atol = 1e-10. Not bitwise: sums in another order change the
//    last bits of the norms, which moves where a modified-Newton iteration stops within
//    its tolerance (about 0.33 rtol); over the many restarts of a protocol (a drive
//    cycle's knots, CC-CV steps) these reach a few 1e-8, single discharges about 1e-9.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "kernels/model/cell_solver.hpp"
#include "solver/inputs/parameters.hpp"
#include "tests/equivalence/batch_cases.hpp"

using namespace ionflux;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

//! A consistent state of `p` at 1C, then nudged away from it (so that no row is
//! trivially zero) deterministically.
std::vector<double> state_of(const CellParams& p, const Layout& l) {
  const int n = l.n_state;
  std::vector<double> y(n), yp(n), jac(l.jac_size), res(n), del(n);
  initial_guess(p, l, CView{y.data()});
  EXPECT_TRUE(consistent_init(p, l, Drive{ControlMode::current, p.current}, CView{y.data()}, CView{yp.data()},
                              CView{jac.data()}, CView{res.data()}, CView{del.data()}));
  for (int k = 0; k < n; ++k) y[k] *= 1.0 + 1e-3 * std::sin(1.0 + k);
  return y;
}

struct KernelOut {
  std::vector<double> f, jac, x;
};

template <class Team>
KernelOut kernels_with(const CellParams& p, const Layout& l, const std::vector<double>& y0, const Drive& drive) {
  const int n = l.n_state;
  std::vector<double> y = y0, yp(n), f(n, kNaN), jac(l.jac_size, kNaN), x(n);
  for (int k = 0; k < n; ++k) yp[k] = 1e-4 * std::cos(0.5 * k);
  const Team team{};
  dfn::residual(team, p, l, drive, CView{y.data()}, CView{yp.data()}, CView{f.data()}, CView{jac.data() + l.off_scratch});
  dfn::assemble(team, p, l, drive, CView{y.data()}, CView{yp.data()}, CView{f.data()}, 3.7e-2, false, CView{jac.data()});
  EXPECT_TRUE(dfn::factorize(team, l, CView{jac.data()}));
  for (int k = 0; k < n; ++k) x[k] = std::sin(0.3 * k) + 0.1;
  dfn::solve(team, l, CView{jac.data()}, CView{x.data()});
  for (int k = l.off_scratch; k < l.jac_size; ++k) jac[k] = 0.0;  // scratch: not part of the answer
  return KernelOut{f, jac, x};
}

struct KernelCase {
  std::string set;
  MeshSpec mesh;
  bool thermal;
  ControlMode mode;
};

}  // namespace

TEST(Team, KernelsEqualTheSerialPath) {
  const std::vector<KernelCase> cases = {
      {"Chen2020", MeshSpec{20, 20, 20, 20, 20}, false, ControlMode::current},   // constant D_s: shared shell factors
      {"Chen2020", MeshSpec{7, 5, 9, 6, 11}, true, ControlMode::voltage},        // lumped thermal, odd mesh
      {"Ecker2015", MeshSpec{20, 20, 20, 20, 20}, false, ControlMode::power},    // D_s(c): one factor per node
      {"ORegan2022", MeshSpec{33, 3, 35, 4, 37}, true, ControlMode::current},    // more nodes than lanes
  };
  for (const KernelCase& kc : cases) {
    SCOPED_TRACE(kc.set);
    const ParameterSet ps = ParameterSet::load(kc.set);
    CellParams p = ps.cell_params(ps.get("Nominal cell capacity [A.h]"));
    if (kc.thermal) enable_lumped_thermal(p, ps);
    const Layout l = Layout::make(kc.mesh);
    const std::vector<double> y = state_of(p, l);
    const double value = kc.mode == ControlMode::voltage ? 3.6 : (kc.mode == ControlMode::power ? 12.0 : p.current);
    const Drive drive{kc.mode, value};
    const KernelOut s = kernels_with<SerialTeam>(p, l, y, drive);
    const KernelOut e32 = kernels_with<EmulatedTeam<32>>(p, l, y, drive);
    const KernelOut e8 = kernels_with<EmulatedTeam<8>>(p, l, y, drive);
    // The same doubles up to rounding (this file is compiled without FMA contraction and
    // auto-vectorisation, tests/CMakeLists.txt, so both paths do the same operations; the
    // library's own copies of a few inline helpers may still contract), carried through
    // the matrix's conditioning by the factorisation and the solve: the bound is
    // norm-wise (a difference against the largest entry of the vector). Slots neither
    // path writes stay NaN in both. A lane reading an element before another lane wrote
    // it would read the NaN the arrays start with, or a stale value: far outside these.
    auto scale_of = [](const std::vector<double>& v) {
      double m = 0.0;
      for (double x : v)
        if (std::isfinite(x)) m = std::max(m, std::fabs(x));
      return m;
    };
    int differ = 0;
    double worst = 0.0;
    for (const KernelOut* e : {&e32, &e8}) {
      auto check = [&](const std::vector<double>& a, const std::vector<double>& b, double tol, const char* what) {
        const double scale = scale_of(b);
        int bad = 0, first = -1;
        for (std::size_t k = 0; k < b.size(); ++k) {
          if (std::isnan(a[k]) && std::isnan(b[k])) continue;
          const double d = std::fabs(a[k] - b[k]) / scale;
          if (!(d <= tol)) {
            ++bad;
            if (first < 0) first = static_cast<int>(k);
          } else {
            worst = std::max(worst, d);
          }
        }
        EXPECT_EQ(bad, 0) << what << " entries that differ; first " << first << ": "
                          << (first >= 0 ? a[first] : 0.0) << " vs " << (first >= 0 ? b[first] : 0.0);
        differ += bad;
      };
      // lumped thermal: the heat, a sum over the nodes in the team's order, enters the T row
      // and, through the temperature column, the factors and every entry of the solve
      check(e->f, s.f, 1e-14, "residual");
      check(e->jac, s.jac, kc.thermal ? 1e-10 : 1e-13, "factor");
      check(e->x, s.x, kc.thermal ? 1e-10 : 1e-13, "solution");
    }
    std::cout << "  " << kc.set << (kc.thermal ? " (lumped thermal)" : "") << ": " << l.n_state
              << " unknowns, entries outside the bounds: " << differ << ", largest difference relative to the largest entry " << worst
              << "\n";
  }
}

namespace {

//! The outputs of one cell run by a CellSolver with the given team.
struct CellOut {
  CellStatus status = CellStatus::running;
  int n_out = 0;
  std::vector<double> t, v, i, q, temp;
  std::vector<double> step_end, step_capacity;
  double capacity = 0.0, energy = 0.0;
  int steps = 0;
};

template <class Team>
CellOut run_cell(const BatchInputs& in, std::size_t c) {
  const Layout l = Layout::make(in.run.mesh);
  OutputSpec out;
  out.period = in.run.period;
  out.t_end = in.run.t_end;
  const int cap = static_cast<int>(in.run.t_end / in.run.period) + 64;
  const int n_steps = in.protocol_count.empty() ? 1 : in.protocol_count[c];
  CellOut o;
  o.t.assign(cap, kNaN);
  o.v = o.i = o.q = o.temp = o.t;
  std::vector<double> sidx(cap, kNaN);
  o.step_end.assign(n_steps, kNaN);
  o.step_capacity = o.step_end;
  std::vector<double> s0(n_steps, kNaN), s3(n_steps, kNaN);
  std::vector<double> ws(static_cast<std::size_t>(cell_workspace_size(l)), kNaN);  // device memory is not zeroed
  CellRun run{};
  GridSink sink{o.t.data(), o.v.data(), o.i.data(), o.q.data(), 1, cap, &run.n_out};
  sink.temp = o.temp.data();
  sink.step_index = sidx.data();
  sink.step_start = s0.data();
  sink.step_end = o.step_end.data();
  sink.step_capacity = o.step_capacity.data();
  sink.step_energy = s3.data();
  sink.step_capacity_max = n_steps;
  if (in.pre_status[c] != CellStatus::running) {
    o.status = in.pre_status[c];
    return o;
  }
  CellSolver<GridSink, CView, Team> cs{in.cells[c], l, in.run.solver, out, CView{ws.data()}, run, sink};
  if (!in.protocol_count.empty()) {
    const std::vector<StepSpec>& steps = in.protocol_steps;
    cs.proto = ProtocolView{steps.data() + in.protocol_first[c], in.protocol_count[c], in.protocol_tables.data()};
  }
  if (cs.init() == CellStatus::running)
    while (cs.advance(7) == CellStatus::running) {
    }
  o.status = run.status;
  o.n_out = run.n_out;
  o.capacity = run.capacity_ah;
  o.energy = run.energy_wh;
  o.steps = run.total_steps();
  return o;
}

//! Largest relative difference (EXPECTs within `tol`) between two runs of one cell.
double compare_cells(const CellOut& a, const CellOut& b, double tol, const std::string& what) {
  EXPECT_EQ(a.status, b.status) << what;
  EXPECT_EQ(a.n_out, b.n_out) << what;
  double worst = 0.0;
  auto near = [&](double x, double y, const char* name, int k) {
    if (std::isnan(x) && std::isnan(y)) return;
    const double d = std::fabs(x - y) / (std::fabs(y) + 1e-3);  // (capacities start at 0)
    worst = std::max(worst, d);
    EXPECT_LE(d, tol) << what << ": " << name << " " << k << ": " << x << " vs " << y;
  };
  const int n = std::min(a.n_out, b.n_out);
  for (int k = 0; k < n && k < static_cast<int>(a.t.size()); ++k) {
    near(a.t[k], b.t[k], "time", k);
    near(a.v[k], b.v[k], "voltage", k);
    near(a.i[k], b.i[k], "current", k);
    near(a.q[k], b.q[k], "capacity", k);
    near(a.temp[k], b.temp[k], "temperature", k);
  }
  for (std::size_t k = 0; k < a.step_end.size(); ++k) {
    near(a.step_end[k], b.step_end[k], "step end", static_cast<int>(k));
    near(a.step_capacity[k], b.step_capacity[k], "step capacity", static_cast<int>(k));
  }
  if (!cell_status_failed(a.status)) {
    near(a.capacity, b.capacity, "capacity", -1);
    near(a.energy, b.energy, "energy", -1);
  }
  return worst;
}

void run_batch_both_ways(const BatchInputs& in, const std::string& name, std::size_t every = 1) {
  double worst = 0.0;
  int same_steps = 0, cells = 0;
  for (std::size_t c = 0; c < in.cells.size(); c += every) {
    ++cells;
    const CellOut s = run_cell<SerialTeam>(in, c);
    const CellOut e = run_cell<EmulatedTeam<32>>(in, c);
    worst = std::max(worst, compare_cells(e, s, 1e-7, name + " cell " + std::to_string(c) + " (team of 32)"));
    same_steps += e.steps == s.steps;
    if (c % 5 == 0) {  // another width on a subset (each run costs as much as the serial one)
      const CellOut e4 = run_cell<EmulatedTeam<4>>(in, c);
      worst = std::max(worst, compare_cells(e4, s, 1e-7, name + " cell " + std::to_string(c) + " (team of 4)"));
    }
  }
  std::cout << "  " << name << ": " << cells << " cells, largest relative difference team vs serial "
            << worst << "; " << same_steps << " cells took the same number of steps\n";
}

}  // namespace

TEST(Team, ConstantCurrentBatchEqualsTheSerialPath) {
  BatchInputs in = ionflux::testing::equivalence_batch(1e-10, 1e-10);
  in.run.mesh = MeshSpec{10, 6, 12, 8, 9};  // a smaller mesh keeps the tight-tolerance runs short
  run_batch_both_ways(in, "constant current");
}

TEST(Team, UserFunctionBatchEqualsTheSerialPath) {
  BatchInputs in = ionflux::testing::user_function_batch(1e-10, 1e-10, IONFLUX_SHARED_DIR);
  in.run.mesh = MeshSpec{10, 6, 12, 8, 9};
  // every other cell (the interpreter is slow at rtol 1e-10); every fourth under
  // AddressSanitizer, where every other cell took ~200 s of the CI's sanitizer run (the
  // Release run compares every other cell)
#ifdef __SANITIZE_ADDRESS__
  constexpr std::size_t every = 4;
#else
  constexpr std::size_t every = 2;
#endif
  run_batch_both_ways(in, "user functions", every);
}

TEST(Team, ProtocolBatchEqualsTheSerialPath) {
  BatchInputs in =
      ionflux::testing::protocol_batch(1e-10, 1e-10, IONFLUX_SHARED_DIR "/reference-data/drive_cycles/US06.csv");
  in.run.mesh = MeshSpec{10, 6, 12, 8, 9};
  run_batch_both_ways(in, "protocols");
}

namespace {

//! Bdf observer: recomputes the Newton correction's norm and the error test's estimate
//! from the workspace vectors, as eight interleaved partial sums combined pairwise
//! (EmulatedTeam<8>'s order) and as one running sum (the serial order before), with and
//! without the multiply-add contracted (the compiler may fuse x * x + s).
struct NormCheck {
  struct Counts {
    int iterates = 0, lane_order = 0, running_order = 0;
    int tests = 0, tests_lane_order = 0;
  };
  Counts* c = nullptr;
  static void both_orders(const double* x, int n, double (&lanes)[2], double (&running)[2]) {
    double part[2][8] = {}, run[2] = {};
    for (int k = 0; k < n; ++k) {
      part[0][k % 8] += x[k] * x[k];
      part[1][k % 8] = std::fma(x[k], x[k], part[1][k % 8]);
      run[0] += x[k] * x[k];
      run[1] = std::fma(x[k], x[k], run[1]);
    }
    for (int f = 0; f < 2; ++f) {
      const double* p = part[f];
      lanes[f] = ((p[0] + p[4]) + (p[2] + p[6])) + ((p[1] + p[5]) + (p[3] + p[7]));
      running[f] = run[f];
    }
  }
  template <class B>
  void newton_iterate(const B& b, int, double delnrm) const {
    const int n = b.n;
    std::vector<double> x(n);
    for (int k = 0; k < n; ++k) x[k] = b.vec(kDelta)[k] * b.vec(kEwt)[k];
    double lanes[2], running[2];
    both_orders(x.data(), n, lanes, running);
    ++c->iterates;
    c->lane_order += delnrm == std::sqrt(lanes[0] / n) || delnrm == std::sqrt(lanes[1] / n);
    c->running_order += delnrm == std::sqrt(running[0] / n) || delnrm == std::sqrt(running[1] / n);
  }
  template <class B>
  void error_test_done(const B& b, bool) const {
    const int n = b.n;
    std::vector<double> x(n);
    for (int k = 0; k < n; ++k) x[k] = b.vec(kEE)[k] * b.vec(kEwt)[k];
    double lanes[2], running[2];
    both_orders(x.data(), n, lanes, running);
    const double sigma = b.s.sigma[b.s.kk];
    ++c->tests;
    c->tests_lane_order += b.err_k_ == sigma * std::sqrt(lanes[0] / n) || b.err_k_ == sigma * std::sqrt(lanes[1] / n);
  }
  template <class B>
  void step_begin(const B&) const {}
  template <class B>
  void newton_rate(const B&, double) const {}
  template <class B>
  void newton_done(const B&, bool, int) const {}
  template <class B>
  void step_accepted(const B&) const {}
};

}  // namespace

// The CPU's BDF norms (the Newton correction's, the error test's) are sums in eight
// interleaved lanes (kernels/numerics/bdf.hpp, "The serial team on the CPU"): the running
// sum before made each of the n adds wait for the previous one. Fails on the running sum:
// over 60 steps of Chen2020 its value differs from the eight-lane one in the last bits.
TEST(Team, CpuBdfNormsAreEightLaneSums) {
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const CellParams p = ps.cell_params(ps.get("Nominal cell capacity [A.h]"));
  const Layout l = Layout::make(MeshSpec{20, 20, 20, 20, 19});  // 1004 unknowns: a last block of 4
  SolverOptions so;
  OutputSpec out;
  out.t_end = 3600.0;
  std::vector<double> ws(static_cast<std::size_t>(cell_workspace_size(l)), 0.0);
  std::vector<double> t(4), v(4), i(4), q(4);
  CellRun run{};
  GridSink sink{t.data(), v.data(), i.data(), q.data(), 1, 4, &run.n_out};
  CellSolver<GridSink, CView> cs{p, l, so, out, CView{ws.data()}, run, sink};
  ASSERT_EQ(cs.init(), CellStatus::running);
  auto m = cs.model();
  NormCheck::Counts counts;
  Bdf<decltype(m), CView, NormCheck> b{m, so, run.bdf, CView{ws.data()}, l.n_state, bdf_vector_stride(l.n_state)};
  b.obs.c = &counts;
  for (int st = 0; st < 60; ++st) ASSERT_EQ(b.step(out.t_end), CellStatus::running);
  EXPECT_GT(counts.iterates, 60);
  EXPECT_EQ(counts.lane_order, counts.iterates);
  EXPECT_EQ(counts.tests_lane_order, counts.tests);
  EXPECT_LT(counts.running_order, counts.iterates);  // the test can tell the two orders apart
  std::cout << "  " << counts.iterates << " Newton iterates, " << counts.running_order
            << " of them with the same norm in the running order; " << counts.tests << " error tests\n";
}
