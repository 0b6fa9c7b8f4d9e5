// Tabulated functions (kernels/model/table.hpp, solver/inputs/table.cpp) against PyBaMM.
//
// Expected values: tests/fixtures/tables.json, from tests/fixtures/generate_table_fixture.py:
// pybamm.Interpolant (26.10.1.1, scipy interp1d / PchipInterpolator underneath) on the
// measured LG M50 OCP tables and small synthetic tables, inside and outside the data.
// Bound: 1e-13 of the table's largest |y|. Linear interpolation does scipy's operations in
// scipy's order; PCHIP slopes follow scipy's formulas, and the cubic is evaluated by
// Horner where scipy's PPoly sums powers, a few ulp apart. A wrong segment, slope rule or
// extrapolation is orders of magnitude larger (the LG M50 points are 1e-3 apart in sto).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../test_support.hpp"
#include "kernels/model/user_function.hpp"
#include "solver/inputs/expression.hpp"
#include "solver/inputs/table.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

using testing::json;
using testing::load_fixture;
using testing::to_vec;

// Expected values: pybamm.Interpolant 26.10.1.1 (scipy interp1d, PchipInterpolator and
// CubicSpline underneath), tests/fixtures/generate_table_fixture.py.
TEST(Table, AgreesWithPyBaMMInterpolant) {
  const json& cases = load_fixture("tables.json")["cases"];
  ASSERT_EQ(cases.size(), 21u);  // 7 tables x (linear, pchip, cubic)
  for (const auto& c : cases) {
    const std::string label = c["table"].get<std::string>() + " / " + c["interpolator"].get<std::string>();
    SCOPED_TRACE(label);
    const Table t = make_table(to_vec(c["x"]), to_vec(c["y"]), table_kind(c["interpolator"]), label);
    const std::vector<double> q = to_vec(c["q"]), expected = to_vec(c["value"]);
    double scale = 0.0;
    for (double v : t.y) scale = std::max(scale, std::fabs(v));
    double worst = 0.0;
    for (std::size_t i = 0; i < q.size(); ++i) worst = std::max(worst, std::fabs(t(q[i]) - expected[i]));
    EXPECT_LE(worst, 1e-13 * scale);
  }
}

TEST(Table, PchipDoesNotOvershootAndIsSmooth) {
  // Monotone data: the PCHIP curve stays monotone and within each segment's values.
  const Table t = make_table({0.0, 0.1, 0.15, 0.6, 1.0}, {4.2, 4.0, 3.99, 3.6, 3.0}, table::Kind::pchip, "t");
  double prev = t(0.0);
  for (int i = 1; i <= 1000; ++i) {
    const double v = t(i / 1000.0);
    EXPECT_LE(v, prev + 1e-15) << i;
    prev = v;
  }
  // Node slopes: 0 where the neighbouring segments change direction (a local extremum
  // stays at the node), and the end slope is set to 0 when the one-sided estimate has
  // the wrong sign.
  const Table w = make_table({0.0, 0.5, 1.0}, {0.0, 1.0, 0.0}, table::Kind::pchip, "w");
  EXPECT_EQ(w.d[1], 0.0);
  for (int i = 0; i <= 100; ++i) EXPECT_LE(w(i / 100.0), 1.0);
  const Table e = make_table({0.0, 0.1, 1.0}, {0.0, 0.1, 20.0}, table::Kind::pchip, "e");
  EXPECT_EQ(e.d[0], 0.0);
}

TEST(Table, DualDerivativeIsTheSegmentSlope) {
  const Table lin = make_table({0.0, 0.5, 1.0}, {1.0, 2.0, 0.0}, table::Kind::linear, "t");
  EXPECT_DOUBLE_EQ(lin(Dual<1>::variable(0.25, 0)).d[0], 2.0);
  EXPECT_DOUBLE_EQ(lin(Dual<1>::variable(0.75, 0)).d[0], -4.0);
  EXPECT_DOUBLE_EQ(lin(Dual<1>::variable(1.5, 0)).v, -2.0);  // 0 + (-4)(0.5): linear extrapolation
}

//! The segment search (table::segment, segment_right: kernels' own binary searches; a
//! faster search must keep picking the same segment) picks the segment (expected:
//! std::lower_bound / std::upper_bound on the same knots, scipy's rule in segment's and
//! segment_right's comments) for every query: knots, midpoints, just next to knots, ends,
//! outside, +-inf and NaN, on even, clustered and measured tables (LG M50 graphite OCP's
//! 248 knots from the fixture, and the positive's), of 2 to 248 knots.
TEST(Table, SegmentSearchPicksTheBinarySearchSegment) {
  std::vector<std::vector<double>> tables;
  for (const auto& c : load_fixture("tables.json")["cases"]) tables.push_back(to_vec(c["x"]));
  tables.push_back({0.0, 1.0});
  tables.push_back({0.0, 1e-6, 2e-6, 0.5, 1.0});
  std::vector<double> clustered, even;
  for (int i = 0; i < 200; ++i) clustered.push_back(std::pow(i / 199.0, 4.0));  // dense at 0, sparse at 1
  for (int i = 0; i < 101; ++i) even.push_back(-1.0 + 0.02 * i);
  tables.push_back(clustered);
  tables.push_back(even);
  for (const std::vector<double>& x : tables) {
    const int n = static_cast<int>(x.size());
    std::vector<double> q = {-INFINITY, INFINITY, NAN, x.front() - 1.0, x.back() + 1.0};
    for (int i = 0; i < n; ++i) {
      q.push_back(x[i]);
      q.push_back(std::nextafter(x[i], -INFINITY));
      q.push_back(std::nextafter(x[i], INFINITY));
      if (i + 1 < n) q.push_back(0.5 * (x[i] + x[i + 1]));
    }
    for (double v : q) {
      SCOPED_TRACE(std::to_string(n) + " knots, q = " + std::to_string(v));
      const int lower = static_cast<int>(std::lower_bound(x.begin(), x.end(), v) - x.begin());
      const int upper = static_cast<int>(std::upper_bound(x.begin(), x.end(), v) - x.begin());
      // NaN compares false: a binary search ends at index 0 for both
      const int lo = v == v ? lower : 0, up = v == v ? upper : 0;
      EXPECT_EQ(table::segment(x.data(), n, v), std::min(std::max(lo, 1), n - 1) - 1);
      EXPECT_EQ(table::segment_right(x.data(), n, v), std::min(std::max(up - 1, 0), n - 2));
    }
  }
}

void expect_invalid(std::vector<double> x, std::vector<double> y, const std::string& phrase) {
  try {
    make_table(std::move(x), std::move(y), table::Kind::pchip, "'Negative electrode OCP [V]'");
    FAIL() << "no error for " << phrase;
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find("'Negative electrode OCP [V]': "), 0u) << msg;
    EXPECT_NE(msg.find(phrase), std::string::npos) << msg;
  }
}

TEST(Table, BadTablesAreRejectedWithTheReason) {
  expect_invalid({0.5}, {1.0}, "at least 2 points, got 1");
  expect_invalid({0.0, 1.0}, {1.0}, "\"x\" has 2 values but \"y\" has 1");
  expect_invalid({0.0, 0.5, 0.4, 1.0}, {1, 2, 3, 4}, "strictly increasing, but x[1] = 0.5 and x[2] = 0.4");
  expect_invalid({0.0, 0.5, 0.5}, {1, 2, 3}, "strictly increasing");
  expect_invalid({0.0, NAN}, {1, 2}, "\"x\"[1] is not a finite number");
  expect_invalid({0.0, 1.0}, {1, INFINITY}, "\"y\"[1] is not a finite number");
  EXPECT_THROW(table_kind("cubic-ish"), std::invalid_argument);
  EXPECT_EQ(table_kind("pchip"), table::Kind::pchip);
}


//! A table read by a program (the user functions of parameter files: "table(sto)", and
//! an expression around it) evaluated over arrays of points (expr::evaluate_points, as
//! the CPU residual does) equals the pointwise interpreter, values and derivatives, on
//! every fixture table and kind, inside and outside the data. Expected values:
//! expr::evaluate at each point; bound: the 1e-14 relative.
TEST(Table, PointsEvaluatorEqualsThePointwiseInterpreter) {
  const json& cases = load_fixture("tables.json")["cases"];
  CompileOptions options;
  options.table = true;
  const expr::Program programs[] = {compile_expression("table(sto)", kAllVariables, options),
                                    compile_expression("2 * table(sto) ^ 2 - exp(-sto)", kAllVariables, options)};
  for (const auto& c : cases) {
    const std::string label = c["table"].get<std::string>() + " / " + c["interpolator"].get<std::string>();
    SCOPED_TRACE(label);
    const Table t = make_table(to_vec(c["x"]), to_vec(c["y"]), table_kind(c["interpolator"]), label);
    const int n = static_cast<int>(t.x.size());
    std::vector<double> data(t.x);
    data.insert(data.end(), t.y.begin(), t.y.end());
    if (t.d.empty()) data.resize(3 * n, 0.0);
    else data.insert(data.end(), t.d.begin(), t.d.end());
    UserFunction f;
    f.table = expr::TableRef{static_cast<int>(t.kind), n, data.data()};
    const std::vector<double> q = to_vec(c["q"]);
    for (const expr::Program& p : programs) {
      f.program = p;
      constexpr int B = 32;
      for (std::size_t j0 = 0; j0 < q.size(); j0 += B) {
        const int m = static_cast<int>(std::min<std::size_t>(B, q.size() - j0));
        double vars[expr::kSlots] = {0.0, 0.0, 0.0, 0.0, 298.15, 0.0, 1.0};
        Dual<1> dvars[expr::kSlots];
        for (int k = 0; k < expr::kSlots; ++k) dvars[k] = Dual<1>(vars[k]);
        double x[B], out[B];
        Dual<1> dx[B], dout[B];
        for (int j = 0; j < m; ++j) {
          x[j] = q[j0 + j];
          dx[j] = Dual<1>::variable(x[j], 0);
        }
        evaluate_points<B>(f, vars, static_cast<int>(expr::Var::sto), x, m, out);
        evaluate_points<B>(f, dvars, static_cast<int>(expr::Var::sto), dx, m, dout);
        for (int j = 0; j < m; ++j) {
          vars[0] = x[j];
          dvars[0] = dx[j];
          const double want = evaluate(f, vars);
          const Dual<1> dwant = evaluate(f, dvars);
          EXPECT_LE(std::fabs(out[j] - want), 1e-14 * std::fabs(want)) << "q " << x[j];
          EXPECT_LE(std::fabs(dout[j].v - dwant.v), 1e-14 * std::fabs(dwant.v)) << "q " << x[j];
          EXPECT_LE(std::fabs(dout[j].d[0] - dwant.d[0]), 1e-14 * std::fabs(dwant.d[0])) << "q " << x[j];
        }
      }
    }
  }
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
