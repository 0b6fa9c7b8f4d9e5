// Tabulated parameter functions (measured OCPs, fitted diffusivities): evaluation of
// a 1-D table on the CPU and the GPU, with double or Dual<N> arguments. The table
// data (x, y and, for PCHIP, the node slopes d) are plain arrays prepared and
// validated on the host (solver/inputs/table.hpp).
//
// Both interpolants are those PyBaMM's pybamm.Interpolant builds:
//  * linear: scipy interp1d, extrapolated linearly from the end segments;
//  * pchip: scipy PchipInterpolator (Fritsch-Carlson slopes, monotone: no overshoot
//    between points), extrapolated with the end segments' cubics;
//  * cubic: scipy's not-a-knot cubic spline (CubicSpline / make_interp_spline k=3,
//    which PyBaMM's "cubic" uses), extrapolated with the end segments' cubics.
// PCHIP and the spline are both piecewise cubic Hermite polynomials; they differ only
// in the node slopes d, computed on the host.
#pragma once

#include "dual.hpp"

namespace ionflux {
namespace table {

enum class Kind : int { linear = 0, pchip = 1, cubic = 2 };

//! The segment index lo (0 <= lo <= n-2) used for q, as scipy picks it: the first
//! index with x[i] >= q, clipped to [1, n-1], minus one (binary search).
IONFLUX_HD inline int segment(const double* x, int n, double q) {
  int lo = 0, hi = n;  // first index with x[i] >= q lies in [lo, hi]
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    if (x[mid] < q) lo = mid + 1;
    else hi = mid;
  }
  const int idx = lo < 1 ? 1 : (lo > n - 1 ? n - 1 : lo);
  return idx - 1;
}

//! PPoly's segment for PCHIP: x[i] <= q < x[i+1], the last one closed, clipped to the
//! end segments for extrapolation.
IONFLUX_HD inline int segment_right(const double* x, int n, double q) {
  int lo = 0, hi = n;  // first index with x[i] > q
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    if (x[mid] <= q) lo = mid + 1;
    else hi = mid;
  }
  int i = lo - 1;
  if (i < 0) i = 0;
  if (i > n - 2) i = n - 2;
  return i;
}

template <class T>
IONFLUX_HD T evaluate(Kind kind, const double* x, const double* y, const double* d, int n, const T& q) {
  const double qv = value_of(q);
  if (kind == Kind::linear) {
    const int k = segment(x, n, qv);
    const double slope = (y[k + 1] - y[k]) / (x[k + 1] - x[k]);
    return slope * (q - x[k]) + y[k];
  }
  // pchip and cubic: a cubic Hermite segment in PPoly's coefficients, evaluated by Horner in s = q - x_k.
  const int k = segment_right(x, n, qv);
  const double h = x[k + 1] - x[k];
  const double m = (y[k + 1] - y[k]) / h;
  const double t = (d[k] + d[k + 1] - 2.0 * m) / h;
  const double c0 = t / h;
  const double c1 = (m - d[k]) / h - t;
  const T s = q - x[k];
  return ((c0 * s + c1) * s + d[k]) * s + y[k];
}

}  // namespace table
}  // namespace ionflux
