// The BDF's fused prediction (kernels/numerics/bdf.hpp, update_and_predict_lanes): where
// the difference update of one step has written the next step's predictor yy, yp and
// step() skips its first predict(), those vectors must be exactly what set_coeffs() and
// predict() would make at that point.
//
// Expected values: a copy of the integrator (its scalars and workspace) runs the
// unfused set_coeffs() + predict() at the start of every step that skips it (an observer
// at step_begin), and the skipped step's yy and yp must equal the copy's bit for bit. A
// stale prediction (the order or h changed after the update, a rescaled difference) would
// only cost Newton iterations and move step sizes, which no tolerance on the results
// sees. The cells run to the cut-off with output times every 60 s as stop times
// (step(tstop) shortens h to land on them: a prediction made for the old h must not be
// used), at 1C and at 3C (more order and step-size changes).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "../test_support.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

struct Counts {
  int skipped = 0, mismatched = 0;
};

struct PredictionChecker {
  Counts* c = nullptr;
  template <class B>
  void step_begin(const B& b) const {
    if (!(b.predicted_ && b.s.h == b.predicted_h_ && b.s.kk == b.predicted_k_)) return;
    ++c->skipped;
    // the unfused prediction on a copy of the scalars and the workspace
    BdfScalars s = b.s;
    std::vector<double> ws(static_cast<std::size_t>(kBdfVecCount) * static_cast<std::size_t>(b.ld));
    for (int v = 0; v < kBdfVecCount; ++v)
      for (int k = 0; k < b.n; ++k) ws[static_cast<std::size_t>(v * b.ld + k)] = b.vec(v)[k];
    Bdf<typename std::decay<decltype(b.m)>::type, CView> copy{b.m, b.opt, s, CView{ws.data()}, b.n, b.ld};
    copy.set_coeffs();
    copy.predict();
    for (int k = 0; k < b.n; ++k) {
      const double y0 = b.vec(kYY)[k], y1 = copy.vec(kYY)[k], p0 = b.vec(kYP)[k], p1 = copy.vec(kYP)[k];
      if (std::memcmp(&y0, &y1, sizeof y0) != 0 || std::memcmp(&p0, &p1, sizeof p0) != 0) {
        ++c->mismatched;
        ADD_FAILURE() << "step " << b.s.nst << ", unknown " << k << ": yy " << y0 << " vs " << y1 << ", yp " << p0
                      << " vs " << p1;
        return;
      }
    }
  }
  template <class B>
  void newton_iterate(const B&, int, double) const {}
  template <class B>
  void newton_rate(const B&, double) const {}
  template <class B>
  void newton_done(const B&, bool, int) const {}
  template <class B>
  void error_test_done(const B&, bool) const {}
  template <class B>
  void step_accepted(const B&) const {}
};

//! Chen2020 at c_rate C on the default mesh, to 3 h / c_rate at most.
struct Case {
  CellParams cell;
  SolverOptions so;
  Layout l;
  OutputSpec out;
  explicit Case(double c_rate) {
    const ParameterSet ps = ParameterSet::load("Chen2020");
    cell = ps.cell_params(c_rate * ps.get("Nominal cell capacity [A.h]"));
    l = Layout::make(MeshSpec{});
    out.t_end = 3.0 * 3600.0 / c_rate;
  }
};

class FusedPrediction : public ::testing::TestWithParam<double> {};

TEST_P(FusedPrediction, EqualsTheUnfusedPredictorWhereverAStepSkipsIt) {
  const Case k(GetParam());
  const auto& [cell, so, l, out] = k;
  std::vector<double> ws(static_cast<std::size_t>(cell_workspace_size(l)), 0.0);
  CellRun run{};
  NullSink sink;
  CellSolver<NullSink, CView> cs{cell, l, so, out, CView{ws.data()}, run, sink};
  ASSERT_EQ(cs.init(), CellStatus::running);
  auto m = cs.model();
  Counts counts;
  Bdf<decltype(m), CView, PredictionChecker> b{m, so, run.bdf, CView{ws.data()}, l.n_state,
                                               bdf_vector_stride(l.n_state)};
  b.obs.c = &counts;
  double t_next = 60.0;
  int steps = 0;
  for (; steps < 20000; ++steps) {
    ASSERT_EQ(b.step(t_next), CellStatus::running) << "at t = " << run.bdf.t;
    if (run.bdf.t >= t_next) t_next += 60.0;
    if (dfn::terminal_voltage(l, b.phi(0)) <= cell.v_min) break;
  }
  EXPECT_LT(steps, 20000) << "the cell reached its cut-off";
  EXPECT_EQ(counts.mismatched, 0);
  // the fusion is used (about half the steps of a discharge keep h for order + 1 steps)
  EXPECT_GT(counts.skipped, steps / 5) << counts.skipped << " of " << steps << " steps";
  std::cout << "  " << GetParam() << "C: " << steps << " steps, " << counts.skipped << " with the fused prediction\n";
}

//! The whole discharge with the fusion and without it (fuse_prediction_ false: every
//! step predicts in its own pass) takes the same steps to the same states, bit for bit:
//! a prediction skipped where it should not be (h shortened to a stop time, the order
//! changed, a difference rescaled) changes the Newton iterates, and so the bits.
TEST_P(FusedPrediction, TheDischargeIsBitwiseTheSameWithoutTheFusion) {
  const Case k(GetParam());
  const auto& [cell, so, l, out] = k;
  struct Road {
    std::vector<double> ws;
    CellRun run{};
    NullSink sink;
  };
  Road a, b;
  for (Road* r : {&a, &b}) r->ws.assign(static_cast<std::size_t>(cell_workspace_size(l)), 0.0);
  CellSolver<NullSink, CView> ca{cell, l, so, out, CView{a.ws.data()}, a.run, a.sink};
  CellSolver<NullSink, CView> cb{cell, l, so, out, CView{b.ws.data()}, b.run, b.sink};
  ASSERT_EQ(ca.init(), CellStatus::running);
  ASSERT_EQ(cb.init(), CellStatus::running);
  auto ma = ca.model();
  auto mb = cb.model();
  const int ld = bdf_vector_stride(l.n_state);
  Bdf<decltype(ma), CView> fused{ma, so, a.run.bdf, CView{a.ws.data()}, l.n_state, ld};
  Bdf<decltype(mb), CView> plain{mb, so, b.run.bdf, CView{b.ws.data()}, l.n_state, ld};
  plain.fuse_prediction_ = false;
  double t_next = 60.0;
  int steps = 0;
  for (; steps < 20000; ++steps) {
    ASSERT_EQ(fused.step(t_next), CellStatus::running);
    ASSERT_EQ(plain.step(t_next), CellStatus::running);
    ASSERT_EQ(a.run.bdf.t, b.run.bdf.t) << "step " << steps;
    ASSERT_EQ(a.run.bdf.kk, b.run.bdf.kk) << "step " << steps;
    ASSERT_EQ(a.run.bdf.nni, b.run.bdf.nni) << "step " << steps;
    ASSERT_EQ(std::memcmp(&fused.phi(0)[0], &plain.phi(0)[0], sizeof(double) * static_cast<std::size_t>(l.n_state)), 0)
        << "the states differ after step " << steps;
    if (a.run.bdf.t >= t_next) t_next += 60.0;
    if (dfn::terminal_voltage(l, fused.phi(0)) <= cell.v_min) break;
  }
  EXPECT_LT(steps, 20000) << "the cell reached its cut-off";
}

INSTANTIATE_TEST_SUITE_P(Rates, FusedPrediction, ::testing::Values(1.0, 3.0));

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
