// Pack<G>: G points of one closed-form parameter function evaluated at once, on the CPU.
// A scalar type like double and Dual<N> (dual.hpp): the shipped sets' formulas are
// templates on their scalar type (functions.hpp), so with Pack<G> the same formula runs
// its arithmetic as loops over G points, which the compiler vectorises, and its exp and
// tanh through expr::exp_core_group<G> (the interpreter's exp, expression.hpp), whose
// stages interleave the points' dependent multiply-adds. One libm exp per point and
// term, as the scalar formula calls, waits on each call's latency in turn.
//
// Values: exp within 1 ulp of libm's (exp_core), libm's own beyond exp_core's range and
// for NaN; tanh by ad_tanh's formula (dual.hpp) with that exp. So a Pack's point agrees
// with the scalar formula's to a few ulp, not bit for bit. Host only: on the GPU each
// thread evaluates its own point.
#pragma once

#include <math.h>

#include "expression.hpp"

namespace ionflux {

template <int G>
struct Pack {
  double v[G];
  Pack() = default;
  IONFLUX_HD Pack(double x) {  // NOLINT: implicit from constants, as Dual
    for (int l = 0; l < G; ++l) v[l] = x;
  }
};

// Arithmetic lane by lane, in the order and rounding of the scalar expression.
#define IONFLUX_PACK_BINARY(OP)                                                   \
  template <int G>                                                                \
  inline Pack<G> operator OP(const Pack<G>& a, const Pack<G>& b) {                \
    Pack<G> r;                                                                    \
    for (int l = 0; l < G; ++l) r.v[l] = a.v[l] OP b.v[l];                        \
    return r;                                                                     \
  }                                                                               \
  template <int G>                                                                \
  inline Pack<G> operator OP(const Pack<G>& a, double b) {                        \
    Pack<G> r;                                                                    \
    for (int l = 0; l < G; ++l) r.v[l] = a.v[l] OP b;                             \
    return r;                                                                     \
  }                                                                               \
  template <int G>                                                                \
  inline Pack<G> operator OP(double a, const Pack<G>& b) {                        \
    Pack<G> r;                                                                    \
    for (int l = 0; l < G; ++l) r.v[l] = a OP b.v[l];                             \
    return r;                                                                     \
  }
IONFLUX_PACK_BINARY(+)
IONFLUX_PACK_BINARY(-)
IONFLUX_PACK_BINARY(*)
IONFLUX_PACK_BINARY(/)
#undef IONFLUX_PACK_BINARY

template <int G>
inline Pack<G> operator-(const Pack<G>& a) {
  Pack<G> r;
  for (int l = 0; l < G; ++l) r.v[l] = -a.v[l];
  return r;
}

//! exp at G points: exp_core_group where every argument is in its range, libm's exp at
//! the points that are not (subnormal or infinite results, NaN).
template <int G>
inline Pack<G> ad_exp(const Pack<G>& x) {
  Pack<G> r = x;
  int direct = 1;
  for (int l = 0; l < G; ++l) direct &= static_cast<int>(expr::exp_core_range(x.v[l]));
  expr::exp_core_group<G>(r.v, nullptr);
  if (!direct)
    for (int l = 0; l < G; ++l)
      if (!expr::exp_core_range(x.v[l])) r.v[l] = exp(x.v[l]);
  return r;
}

//! tanh at G points by ad_tanh's formula, copysign((1 - e) / (1 + e), x) with
//! e = exp(-2|x|): the argument clamped at -700 (e < 1e-304 there, and the quotient 1 as
//! without the clamp), so that it stays in exp_core's range; NaN stays NaN.
template <int G>
inline Pack<G> ad_tanh(const Pack<G>& x) {
  Pack<G> e;
  for (int l = 0; l < G; ++l) {
    const double a = -2.0 * fabs(x.v[l]);
    e.v[l] = a > -700.0 ? a : -700.0;
  }
  expr::exp_core_group<G>(e.v, nullptr);
  Pack<G> r;
  for (int l = 0; l < G; ++l) {
    const double t = tanh_from_exp(e.v[l], x.v[l]);
    r.v[l] = x.v[l] == x.v[l] ? t : x.v[l];
  }
  return r;
}

//! sinh at G points by ad_sinh's formula, 0.5 (e - 1 / e) with e = exp(x) (ad_exp's).
template <int G>
inline Pack<G> ad_sinh(const Pack<G>& x) {
  const Pack<G> e = ad_exp(x);
  Pack<G> r;
  for (int l = 0; l < G; ++l) r.v[l] = sinh_from_exp(e.v[l]);
  return r;
}

//! The m <= G points x[j], x[j + m) as a pack (the rest padded with the last point).
template <int G>
inline Pack<G> load_pack(const double* x, int j, int m) {
  Pack<G> p;
  for (int l = 0; l < G; ++l) p.v[l] = x[j + (l < m ? l : m - 1)];
  return p;
}
//! A pack's first m points into out[j], out[j + m).
template <int G>
inline void store_pack(double* out, int j, int m, const Pack<G>& r) {
  for (int l = 0; l < m; ++l) out[j + l] = r.v[l];
}
//! body(std::integral_constant<int, G>, j, m) over the points [0, n) in packs: G = 16
//! (m = 16 points from j), the rest in packs of G = 4 (m <= 4 points).
template <class F>
inline void for_packs(int n, F body) {
  int j = 0;
  for (; j + 16 <= n; j += 16) body(std::integral_constant<int, 16>{}, j, 16);
  for (; j < n; j += 4) body(std::integral_constant<int, 4>{}, j, n - j < 4 ? n - j : 4);
}

}  // namespace ionflux
