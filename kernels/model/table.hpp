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

//! Whether knot xi lies before q: xi < q (kUpper: xi <= q).
template <bool kUpper>
IONFLUX_HD inline bool knot_before(double xi, double q) {
  return kUpper ? xi <= q : xi < q;
}

//! The number of leading knots of the increasing x[0..n) that lie before q (x[i] < q;
//! kUpper: x[i] <= q): a binary search's answer (0 for NaN), found from a guess that
//! takes the knots as evenly spread, widened by doubling steps, then bisected. Measured
//! OCP tables are nearly even: a few comparisons instead of log2(n) (issue 16: the
//! OCP spline is evaluated at every node of every residual and Jacobian).
template <bool kUpper>
IONFLUX_HD inline int knots_before(const double* x, int n, double q) {
  if (!knot_before<kUpper>(x[0], q)) return 0;  // q at or below the first knot, or NaN
  if (knot_before<kUpper>(x[n - 1], q)) return n;
  // x[0] lies before q, x[n-1] does not (so n >= 2): the answer is in [1, n-1].
  int g = static_cast<int>((q - x[0]) / (x[n - 1] - x[0]) * (n - 1));
  g = g < 0 ? 0 : (g > n - 2 ? n - 2 : g);
  int lo, hi, step = 1;  // x[lo] before q, x[hi] not
  if (knot_before<kUpper>(x[g], q)) {
    lo = g;
    hi = g + 1;
    while (hi < n - 1 && knot_before<kUpper>(x[hi], q)) {
      lo = hi;
      step *= 2;
      hi = lo + step < n - 1 ? lo + step : n - 1;
    }
  } else {  // g >= 1: x[0] lies before q
    hi = g;
    lo = g - 1;
    while (lo > 0 && !knot_before<kUpper>(x[lo], q)) {
      hi = lo;
      step *= 2;
      lo = hi - step > 0 ? hi - step : 0;
    }
  }
  while (hi - lo > 1) {
    const int mid = lo + (hi - lo) / 2;
    if (knot_before<kUpper>(x[mid], q)) lo = mid;
    else hi = mid;
  }
  return hi;
}

//! The segment index lo (0 <= lo <= n-2) used for q, as scipy picks it: the first
//! index with x[i] >= q, clipped to [1, n-1], minus one.
IONFLUX_HD inline int segment(const double* x, int n, double q) {
  const int first = knots_before<false>(x, n, q);  // first index with x[i] >= q
  const int idx = first < 1 ? 1 : (first > n - 1 ? n - 1 : first);
  return idx - 1;
}

//! PPoly's segment for PCHIP: x[i] <= q < x[i+1], the last one closed, clipped to the
//! end segments for extrapolation.
IONFLUX_HD inline int segment_right(const double* x, int n, double q) {
  int i = knots_before<true>(x, n, q) - 1;  // first index with x[i] > q, minus one
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
