#include "solver/inputs/table.hpp"

#include <cmath>
#include <sstream>

namespace ionflux {
namespace {

double sign(double v) { return v > 0.0 ? 1.0 : (v < 0.0 ? -1.0 : 0.0); }

// scipy's PchipInterpolator._edge_case: a one-sided three-point slope, limited so the
// end segment keeps the data's shape.
double edge_slope(double h0, double h1, double m0, double m1) {
  double d = ((2.0 * h0 + h1) * m0 - h0 * m1) / (h0 + h1);
  if (sign(d) != sign(m0)) d = 0.0;
  else if (sign(m0) != sign(m1) && std::fabs(d) > 3.0 * std::fabs(m0)) d = 3.0 * m0;
  return d;
}

std::vector<double> pchip_slopes(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = x.size();
  std::vector<double> h(n - 1), m(n - 1), d(n, 0.0);
  for (std::size_t k = 0; k + 1 < n; ++k) {
    h[k] = x[k + 1] - x[k];
    m[k] = (y[k + 1] - y[k]) / h[k];
  }
  if (n == 2) return {m[0], m[0]};
  for (std::size_t k = 1; k + 1 < n; ++k) {
    // Weighted harmonic mean of the neighbouring slopes where they agree in sign.
    if (sign(m[k]) != sign(m[k - 1]) || m[k] == 0.0 || m[k - 1] == 0.0) continue;
    const double w1 = 2.0 * h[k] + h[k - 1];
    const double w2 = h[k] + 2.0 * h[k - 1];
    d[k] = 1.0 / ((w1 / m[k - 1] + w2 / m[k]) / (w1 + w2));
  }
  d[0] = edge_slope(h[0], h[1], m[0], m[1]);
  d[n - 1] = edge_slope(h[n - 2], h[n - 3], m[n - 2], m[n - 3]);
  return d;
}

// Solve a tridiagonal system (sub a[1..n-1], diagonal b, super c[0..n-2]) by Gaussian
// elimination with partial pivoting (LAPACK gtsv's scheme: a pivot swap fills a second
// superdiagonal). The spline's not-a-knot end rows are not diagonally dominant.
std::vector<double> solve_tridiagonal(std::vector<double> a, std::vector<double> b, std::vector<double> c,
                                      std::vector<double> r) {
  const std::size_t n = b.size();
  std::vector<double> c2(n, 0.0);  // second superdiagonal
  for (std::size_t i = 0; i + 1 < n; ++i) {
    if (std::fabs(a[i + 1]) > std::fabs(b[i])) {  // swap rows i and i+1
      std::swap(b[i], a[i + 1]);
      std::swap(c[i], b[i + 1]);
      if (i + 2 < n) std::swap(c2[i], c[i + 1]);
      std::swap(r[i], r[i + 1]);
    }
    const double f = a[i + 1] / b[i];
    b[i + 1] -= f * c[i];
    if (i + 2 < n) c[i + 1] -= f * c2[i];
    r[i + 1] -= f * r[i];
  }
  std::vector<double> s(n);
  for (std::size_t k = n; k-- > 0;) {
    double v = r[k];
    if (k + 1 < n) v -= c[k] * s[k + 1];
    if (k + 2 < n) v -= c2[k] * s[k + 2];
    s[k] = v / b[k];
  }
  return s;
}

// Node slopes of scipy's not-a-knot cubic spline (CubicSpline with its default
// boundary condition; make_interp_spline(k=3) is the same function).
std::vector<double> spline_slopes(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = x.size();
  std::vector<double> h(n - 1), m(n - 1);
  for (std::size_t k = 0; k + 1 < n; ++k) {
    h[k] = x[k + 1] - x[k];
    m[k] = (y[k + 1] - y[k]) / h[k];
  }
  if (n == 2) return {m[0], m[0]};  // a straight line
  std::vector<double> a(n, 0.0), b(n, 0.0), c(n, 0.0), r(n, 0.0);
  if (n == 3) {  // not-a-knot on three points: the parabola through them
    b = {1.0, 2.0 * (h[0] + h[1]), 1.0};
    c[0] = 1.0, c[1] = h[0];
    a[1] = h[1], a[2] = 1.0;
    r = {2.0 * m[0], 3.0 * (h[0] * m[1] + h[1] * m[0]), 2.0 * m[1]};
    return solve_tridiagonal(a, b, c, r);
  }
  for (std::size_t i = 1; i + 1 < n; ++i) {
    a[i] = h[i];
    b[i] = 2.0 * (h[i - 1] + h[i]);
    c[i] = h[i - 1];
    r[i] = 3.0 * (h[i] * m[i - 1] + h[i - 1] * m[i]);
  }
  const double d0 = x[2] - x[0];
  b[0] = h[1];
  c[0] = d0;
  r[0] = ((h[0] + 2.0 * d0) * h[1] * m[0] + h[0] * h[0] * m[1]) / d0;
  const double dn = x[n - 1] - x[n - 3];
  b[n - 1] = h[n - 3];
  a[n - 1] = dn;
  r[n - 1] = (h[n - 2] * h[n - 2] * m[n - 3] + (2.0 * dn + h[n - 2]) * h[n - 3] * m[n - 2]) / dn;
  return solve_tridiagonal(a, b, c, r);
}

}  // namespace

table::Kind table_kind(const std::string& name) {
  if (name == "linear") return table::Kind::linear;
  if (name == "pchip") return table::Kind::pchip;
  if (name == "cubic") return table::Kind::cubic;
  throw std::invalid_argument("unknown interpolation '" + name + "': expected \"linear\", \"pchip\" or \"cubic\"");
}

Table make_table(std::vector<double> x, std::vector<double> y, table::Kind kind, const std::string& what) {
  auto fail = [&](const std::string& msg) { throw std::invalid_argument(what + ": " + msg); };
  if (x.size() != y.size())
    fail("\"x\" has " + std::to_string(x.size()) + " values but \"y\" has " + std::to_string(y.size()));
  if (x.size() < 2) fail("a table needs at least 2 points, got " + std::to_string(x.size()));
  for (std::size_t k = 0; k < x.size(); ++k) {
    if (!std::isfinite(x[k])) fail("\"x\"[" + std::to_string(k) + "] is not a finite number");
    if (!std::isfinite(y[k])) fail("\"y\"[" + std::to_string(k) + "] is not a finite number");
    if (k > 0 && !(x[k] > x[k - 1])) {
      std::ostringstream os;
      os.precision(17);
      os << "\"x\" must be strictly increasing, but x[" << k - 1 << "] = " << x[k - 1] << " and x[" << k
         << "] = " << x[k];
      fail(os.str());
    }
  }
  Table t;
  t.kind = kind;
  if (kind == table::Kind::pchip) t.d = pchip_slopes(x, y);
  if (kind == table::Kind::cubic) t.d = spline_slopes(x, y);
  for (std::size_t k = 0; k + 1 < x.size(); ++k)
    if (!std::isfinite((y[k + 1] - y[k]) / (x[k + 1] - x[k])))
      fail("the slope between points " + std::to_string(k) + " and " + std::to_string(k + 1) +
           " is not a finite number (x too close together or y too large)");
  for (std::size_t k = 0; k < t.d.size(); ++k)
    if (!std::isfinite(t.d[k]))
      fail("the interpolant's slope at point " + std::to_string(k) + " is not a finite number (x too close "
           "together or y too large)");
  t.x = std::move(x);
  t.y = std::move(y);
  return t;
}

}  // namespace ionflux
