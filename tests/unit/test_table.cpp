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

#include <cmath>
#include <string>
#include <vector>

#include "../test_support.hpp"
#include "solver/inputs/table.hpp"

namespace ionflux {
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

}  // namespace
}  // namespace ionflux
