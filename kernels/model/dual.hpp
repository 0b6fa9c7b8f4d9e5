// Forward-mode automatic differentiation with a fixed number of directions.
// The model's local stencil functions (face fluxes, kinetics) are templates on the
// scalar type: with double they give residuals, with Dual<N> they give the exact
// Jacobian entries of the same expression. The physics is therefore written once.
#pragma once

#include "../common.hpp"

namespace ionflux {

template <int N>
struct Dual {
  double v = 0.0;
  double d[N] = {};

  Dual() = default;
  IONFLUX_HD Dual(double value) : v(value) {}  // NOLINT: implicit from constants by design
  //! A seeded variable: derivative 1 in direction k.
  IONFLUX_HD static Dual variable(double value, int k) {
    Dual r(value);
    r.d[k] = 1.0;
    return r;
  }
};

IONFLUX_HD inline double value_of(double x) { return x; }
template <int N>
IONFLUX_HD inline double value_of(const Dual<N>& x) { return x.v; }

// Apply the chain rule: result value f, derivative scale df (d result = df * d x).
template <int N>
IONFLUX_HD inline Dual<N> chain(const Dual<N>& x, double f, double df) {
  Dual<N> r(f);
  for (int k = 0; k < N; ++k) r.d[k] = df * x.d[k];
  return r;
}

template <int N>
IONFLUX_HD inline Dual<N> operator+(const Dual<N>& a, const Dual<N>& b) {
  Dual<N> r(a.v + b.v);
  for (int k = 0; k < N; ++k) r.d[k] = a.d[k] + b.d[k];
  return r;
}
template <int N>
IONFLUX_HD inline Dual<N> operator-(const Dual<N>& a, const Dual<N>& b) {
  Dual<N> r(a.v - b.v);
  for (int k = 0; k < N; ++k) r.d[k] = a.d[k] - b.d[k];
  return r;
}
template <int N>
IONFLUX_HD inline Dual<N> operator-(const Dual<N>& a) {
  Dual<N> r(-a.v);
  for (int k = 0; k < N; ++k) r.d[k] = -a.d[k];
  return r;
}
template <int N>
IONFLUX_HD inline Dual<N> operator*(const Dual<N>& a, const Dual<N>& b) {
  Dual<N> r(a.v * b.v);
  for (int k = 0; k < N; ++k) r.d[k] = a.d[k] * b.v + a.v * b.d[k];
  return r;
}
template <int N>
IONFLUX_HD inline Dual<N> operator/(const Dual<N>& a, const Dual<N>& b) {
  const double inv = 1.0 / b.v;
  Dual<N> r(a.v * inv);
  for (int k = 0; k < N; ++k) r.d[k] = (a.d[k] - r.v * b.d[k]) * inv;
  return r;
}
// Mixed double/Dual arithmetic.
template <int N>
IONFLUX_HD inline Dual<N> operator+(const Dual<N>& a, double b) {
  Dual<N> r = a;
  r.v += b;
  return r;
}
template <int N>
IONFLUX_HD inline Dual<N> operator+(double a, const Dual<N>& b) {
  return b + a;
}
template <int N>
IONFLUX_HD inline Dual<N> operator-(const Dual<N>& a, double b) {
  Dual<N> r = a;
  r.v -= b;
  return r;
}
template <int N>
IONFLUX_HD inline Dual<N> operator-(double a, const Dual<N>& b) {
  Dual<N> r = -b;
  r.v += a;
  return r;
}
template <int N>
IONFLUX_HD inline Dual<N> operator*(const Dual<N>& a, double b) {
  Dual<N> r(a.v * b);
  for (int k = 0; k < N; ++k) r.d[k] = a.d[k] * b;
  return r;
}
template <int N>
IONFLUX_HD inline Dual<N> operator*(double a, const Dual<N>& b) {
  return b * a;
}
template <int N>
IONFLUX_HD inline Dual<N> operator/(const Dual<N>& a, double b) {
  return a * (1.0 / b);
}
template <int N>
IONFLUX_HD inline Dual<N> operator/(double a, const Dual<N>& b) {
  const double inv = 1.0 / b.v;
  return chain(b, a * inv, -a * inv * inv);
}

// Elementary functions. The double overloads forward to <cmath>, so a template
// written with these names works for both scalar types.
IONFLUX_HD inline double ad_exp(double x) { return exp(x); }
IONFLUX_HD inline double ad_log(double x) { return log(x); }
IONFLUX_HD inline double ad_sqrt(double x) { return sqrt(x); }
// tanh and sinh through one exp: several times faster than libm's expm1-based
// versions, with an absolute error of a few ulp of 1 (the model adds them to O(1)
// potentials, so their relative accuracy near 0 does not matter).
//! tanh(x) from e = exp(-2|x|), and sinh(x) from e = exp(x) (also Pack<G>'s, pack.hpp).
IONFLUX_HD inline double tanh_from_exp(double e, double x) { return copysign((1.0 - e) / (1.0 + e), x); }
IONFLUX_HD inline double sinh_from_exp(double e) { return 0.5 * (e - 1.0 / e); }
IONFLUX_HD inline double ad_tanh(double x) { return tanh_from_exp(exp(-2.0 * fabs(x)), x); }
IONFLUX_HD inline double ad_sinh(double x) { return sinh_from_exp(exp(x)); }
IONFLUX_HD inline double ad_cosh(double x) { return cosh(x); }
IONFLUX_HD inline double ad_pow(double x, double a) { return pow(x, a); }
IONFLUX_HD inline double ad_log1p(double x) { return log1p(x); }

template <int N>
IONFLUX_HD inline Dual<N> ad_exp(const Dual<N>& x) {
  const double e = exp(x.v);
  return chain(x, e, e);
}
template <int N>
IONFLUX_HD inline Dual<N> ad_log(const Dual<N>& x) {
  return chain(x, log(x.v), 1.0 / x.v);
}
template <int N>
IONFLUX_HD inline Dual<N> ad_log1p(const Dual<N>& x) {
  return chain(x, log1p(x.v), 1.0 / (1.0 + x.v));
}
template <int N>
IONFLUX_HD inline Dual<N> ad_sqrt(const Dual<N>& x) {
  const double s = sqrt(x.v);
  return chain(x, s, 0.5 / s);
}
template <int N>
IONFLUX_HD inline Dual<N> ad_tanh(const Dual<N>& x) {
  const double t = ad_tanh(x.v);
  return chain(x, t, 1.0 - t * t);
}
template <int N>
IONFLUX_HD inline Dual<N> ad_sinh(const Dual<N>& x) {
  const double e = exp(x.v), ie = 1.0 / e;
  return chain(x, 0.5 * (e - ie), 0.5 * (e + ie));
}
template <int N>
IONFLUX_HD inline Dual<N> ad_cosh(const Dual<N>& x) {
  return chain(x, cosh(x.v), sinh(x.v));
}
template <int N>
IONFLUX_HD inline Dual<N> ad_pow(const Dual<N>& x, double a) {
  const double p = pow(x.v, a);
  // d/dx x^a = a x^(a-1); written as a*p/x only when x != 0.
  const double dp = (a == 0.0) ? 0.0 : a * pow(x.v, a - 1.0);
  return chain(x, p, dp);
}

//! max(x, lo) with the derivative of the active branch (PyBaMM's clipping).
IONFLUX_HD inline double ad_max(double x, double lo) { return x > lo ? x : lo; }
IONFLUX_HD inline double ad_min(double x, double hi) { return x < hi ? x : hi; }
template <int N>
IONFLUX_HD inline Dual<N> ad_max(const Dual<N>& x, double lo) {
  return x.v > lo ? x : Dual<N>(lo);
}
template <int N>
IONFLUX_HD inline Dual<N> ad_min(const Dual<N>& x, double hi) {
  return x.v < hi ? x : Dual<N>(hi);
}
template <class T>
IONFLUX_HD inline T ad_clip(const T& x, double lo, double hi) {
  return ad_min(ad_max(x, lo), hi);
}

}  // namespace ionflux
