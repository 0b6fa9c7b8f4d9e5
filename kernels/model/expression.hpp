// User-supplied parameter functions as compiled expressions: a fixed-size stack
// program (no pointers, no allocation) that lives inside the parameters and is
// evaluated by the same template on the CPU and the GPU, with doubles for values
// and Dual<N> for Jacobian entries. The compiler (text -> Program, with error
// positions) is host code: solver/inputs/expression.hpp.
#pragma once

#include <new>
#include <string.h>
// exp_core_group's vector path (exp_core_lanes): CPU builds with AVX2 and FMA, by GCC or Clang
#if !defined(__CUDA_ARCH__) && !defined(__CUDACC__) && defined(__FMA__) && defined(__AVX2__) && \
    (defined(__GNUC__) || defined(__clang__))
#define IONFLUX_EXP_LANES 1
#include <immintrin.h>
#endif

#include <type_traits>

#include "dual.hpp"
#include "table.hpp"

namespace ionflux {
namespace expr {

//! The slots of the argument array `vars` passed to evaluate(), in this order: the
//! named arguments an expression may use (eps: the porosity of the layer a thermal
//! property belongs to), except `ce_scale`, the electrolyte concentration scale that
//! regularised powers of c_e use (the initial concentration; not nameable in
//! expressions). The degradation functions' arguments follow it (PyBaMM's argument
//! names: c_Li the plated lithium concentration, L_sei the SEI thickness, i the total
//! current density), so that arrays written {sto, c_e, c_s_surf, c_s_max, T, eps, scale}
//! stay valid (the rest value-initialised to 0).
enum class Var : unsigned char { sto = 0, c_e, c_s_surf, c_s_max, T, eps, ce_scale, c_Li, L_sei, i, count };

constexpr int kCeScaleSlot = static_cast<int>(Var::ce_scale);
constexpr int kSlots = static_cast<int>(Var::count);

enum class Op : unsigned char {
  constant,  // push consts[arg]
  variable,  // push vars[arg]
  add, sub, mul, div, pow, neg,
  exp, log, sqrt, tanh, cosh, sinh, abs,
  min, max,
  table,   // the function's table at the top of the stack
  regpow,  // PyBaMM's RegPower(base, exponent, scale); arg picks the scale: 0 -> 1,
           // 1 -> c_s_max, 2 -> the c_e scale (vars[kCeScaleSlot])
};

//! How an operation changes the depth of the evaluation stack: +1 for a value pushed,
//! -1 for a binary operation, 0 for a unary one (the compiler's depth check, and the
//! host's reading of compiled programs: solver/inputs/parameters.cpp).
IONFLUX_HD inline int stack_effect(Op op) {
  switch (op) {
    case Op::constant:
    case Op::variable:
      return 1;
    case Op::add: case Op::sub: case Op::mul: case Op::div: case Op::pow: case Op::min: case Op::max:
    case Op::regpow:
      return -1;
    default:
      return 0;
  }
}

//! The table a program's Op::table reads: data = x[n], y[n], d[n] (d: node slopes,
//! used by the Hermite kinds).
struct TableRef {
  int kind = 0;  // table::Kind
  int n = 0;
  const double* data = nullptr;
};

constexpr int kMaxOps = 128;
constexpr int kMaxConstants = 48;
constexpr int kMaxStack = 24;

//! A compiled expression in postfix order. `n_ops == 0` means "no expression".
struct Program {
  int n_ops = 0;
  int n_constants = 0;
  unsigned uses = 0;  //!< bit v set when the program reads variable v
  unsigned char op[kMaxOps] = {};
  unsigned char arg[kMaxOps] = {};
  double constants[kMaxConstants] = {};
};

//! x[j] = sqrt(x[j]) at n points, on the CPU four at a time where it has AVX. Without
//! -fno-math-errno (which the project's CMake sets, but not every build of these headers
//! need) a loop of sqrt() stays scalar under GCC (each call checks its argument to set
//! errno for a negative one), which made the regularised powers' square roots
//! latency-bound (pow_points: 12 % of a Mohtat2020 solve on a Zen 4). IEEE sqrt is
//! correctly rounded: the same values as sqrt() at every point (NaN for a negative one,
//! errno not set). Under nvcc (whose front end need not know GCC's x86 builtins) the
//! plain loop: the same values.
IONFLUX_HD inline void sqrt_points(double* x, int n) {
  int j = 0;
#if !defined(__CUDA_ARCH__) && !defined(__CUDACC__) && defined(__AVX__) && (defined(__GNUC__) || defined(__clang__))
  // (typed loads and stores: a vector of doubles aliases doubles only, memcpy anything)
  typedef double Lanes __attribute__((vector_size(4 * sizeof(double)), aligned(sizeof(double))));
  for (; j + 4 <= n; j += 4) {
    Lanes* v = reinterpret_cast<Lanes*>(x + j);
    *v = __builtin_ia32_sqrtpd256(*v);
  }
#endif
  for (; j < n; ++j) x[j] = sqrt(x[j]);
}

//! exp_core's constants: 1.5 * 2^52 (added to x log2(e), it rounds to an integer k in the
//! low bits), log2(e), ln 2 in two parts (Cody-Waite), 1/13! (the polynomial's first
//! coefficient).
constexpr double kExpShifter = 6755399441055744.0;
constexpr double kLog2e = 1.4426950408889634;
constexpr double kLn2Hi = 0x1.62e42fefa39efp-1, kLn2Lo = 0x1.abc9e3b39803fp-56;
constexpr double kInvFactorial13 = 1.0 / 6227020800.0;

#ifdef IONFLUX_EXP_LANES
//! The CPU's vector registers of W doubles for exp_core_group: W = 4 (AVX2), and 8 where
//! the build has AVX-512. Additions, subtractions and products are GCC's vector operators
//! (lane by lane, IEEE); the multiply-adds are explicit fma instructions, as the scalar
//! loop's fma calls (fnmadd(a, b, c) is fma(-a, b, c) exactly).
template <int W>
struct ExpLanes;
template <>
struct ExpLanes<4> {
  using V = __m256d;
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V fnmadd(V a, V b, V c) { return _mm256_fnmadd_pd(a, b, c); }
};
#if defined(__AVX512F__)
template <>
struct ExpLanes<8> {
  using V = __m512d;
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V fnmadd(V a, V b, V c) { return _mm512_fnmadd_pd(a, b, c); }
};
constexpr int kExpLanesWide = 8;
#else
constexpr int kExpLanesWide = 4;
#endif

//! exp_core_group's loop below in vector registers of W doubles (G a multiple of W):
//! each stage for all G points before the next, the same operations in the same order,
//! so the same bits. (Left to itself GCC vectorised only the polynomial and moved each
//! point's exponent through integer registers.)
template <int W, int G>
inline void exp_core_lanes(double* v, const double* lo, const double (&taylor)[13]) {
  using L = ExpLanes<W>;
  using V = typename L::V;
  typedef unsigned long long U __attribute__((vector_size(sizeof(V))));
  // (typed loads and stores at any double's address: memcpy's may alias anything)
  typedef double Unaligned __attribute__((vector_size(sizeof(V)), aligned(sizeof(double))));
  constexpr int K = G / W;
  auto splat = [](double x) { return V{} + x; };
  auto load = [](const double* p) -> V { return *reinterpret_cast<const Unaligned*>(p); };
  const V sh = splat(kExpShifter), log2e = splat(kLog2e), hi = splat(kLn2Hi), lw = splat(kLn2Lo);
  V t[K], r[K], h[K];
  for (int q = 0; q < K; ++q) {
    const V x = load(v + q * W);
    t[q] = L::fmadd(x, log2e, sh);
    const V kd = t[q] - sh;
    r[q] = L::fnmadd(kd, hi, x) + L::fnmadd(kd, lw, lo ? load(lo + q * W) : splat(0.0));
    h[q] = splat(kInvFactorial13);
  }
  for (int c = 0; c < 13; ++c) {
    const V tc = splat(taylor[c]);
    for (int q = 0; q < K; ++q) h[q] = L::fmadd(h[q], r[q], tc);
  }
  for (int q = 0; q < K; ++q) {
    *reinterpret_cast<Unaligned*>(v + q * W) = h[q] * reinterpret_cast<V>((reinterpret_cast<U>(t[q]) + 1023ull) << 52);
  }
}
#endif

//! exp on the CPU for |x| < 708 (finite normal results) without calls or branches, so
//! that evaluate_points' loops over points vectorise (the build uses -march=native):
//! exp(x) = 2^k exp(r), r = x - k ln2 (|r| <= ln2/2, Cody-Waite with fma), exp(r) by its
//! Taylor polynomial to r^13 (truncation < 4e-18 relative); within 1 ulp of libm's
//! correctly rounded exp. Every multiply-add is an explicit fma, so that the vectorised
//! loop and a scalar call round the same way whatever the compiler contracts.
//! In place at G points, v[l] = exp(v[l] + lo[l]) (lo: a small correction to the argument,
//! used by exp10; none where lo is null), each stage for all G points before the next: the
//! points' chains of 13 dependent multiply-adds (the polynomial) interleave, so that a loop
//! over groups of 16 (four AVX2 vectors, two AVX-512 ones) keeps the FMA units busy where
//! one vector at a time waits on each fma's latency (exp_points; timings at kCoreGroup).
//! On the CPU, groups of a multiple of 4 points run in vector registers (exp_core_lanes:
//! the same bits). G = 1 is exp_core.
template <int G>
IONFLUX_HD inline void exp_core_group(double* v, const double* lo) {
  const double taylor[13] = {1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0,
                             1.0 / 40320.0,     1.0 / 5040.0,     1.0 / 720.0,      1.0 / 120.0,
                             1.0 / 24.0,        1.0 / 6.0,        0.5,              1.0,
                             1.0};  // 1/12! .. 1/0!, after 1/13!
#ifdef IONFLUX_EXP_LANES
  if constexpr (G % kExpLanesWide == 0) {
    exp_core_lanes<kExpLanesWide, G>(v, lo, taylor);
    return;
  } else if constexpr (G % 4 == 0) {
    exp_core_lanes<4, G>(v, lo, taylor);
    return;
  }
#endif
  double t[G], r[G], h[G];
  for (int l = 0; l < G; ++l) t[l] = fma(v[l], kLog2e, kExpShifter);  // in [2^52, 2^53): shifter + k
  for (int l = 0; l < G; ++l) {
    const double kd = t[l] - kExpShifter;
    r[l] = fma(-kd, kLn2Hi, v[l]);
    r[l] = r[l] + fma(-kd, kLn2Lo, lo ? lo[l] : 0.0);
  }
  for (int l = 0; l < G; ++l) h[l] = kInvFactorial13;
#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#pragma GCC unroll 13
#endif
  for (int c = 0; c < 13; ++c)
    for (int l = 0; l < G; ++l) h[l] = fma(h[l], r[l], taylor[c]);
  for (int l = 0; l < G; ++l) {
    // 2^k from t's bits: t = shifter + k with one unit per ulp, so its low bits are those
    // of shifter's (zero below bit 51) plus k, and (bits(t) + 1023) << 52 keeps the low 12
    // bits of k + 1023 (in [1, 2046] here), the same exponent field as (k + 1023) << 52.
    // Integer adds and shifts on 64-bit lanes vectorise with AVX2, a double -> int64
    // conversion only with AVX-512.
    unsigned long long tb;
    memcpy(&tb, &t[l], sizeof tb);
    const unsigned long long bits = (tb + 1023ull) << 52;
    double scale;
    memcpy(&scale, &bits, sizeof scale);
    v[l] = h[l] * scale;
  }
}
IONFLUX_HD inline double exp_core(double x, double lo = 0.0) {
  exp_core_group<1>(&x, &lo);
  return x;
}
//! The range where exp_core applies.
IONFLUX_HD inline bool exp_core_range(double x) { return fabs(x) < 708.0; }
//! Below this exp(x) is 0 in double (libm's too: exp(x) < 2^-1075 for x < -745.14).
constexpr double kExpZero = -746.0;
//! Where e_exp needs no libm: exp_core's range, or 0.
IONFLUX_HD inline bool exp_direct(double x) { return exp_core_range(x) || x < kExpZero; }
//! exp of a user function: exp_core on the CPU in its range, 0 below kExpZero (e.g. a
//! narrow Gaussian's exp(-1000)); libm elsewhere, and on the GPU.
IONFLUX_HD inline double e_exp(double x) {
#ifdef __CUDA_ARCH__
  return exp(x);
#else
  return exp_core_range(x) ? exp_core(x) : (x < kExpZero ? 0.0 : exp(x));
#endif
}
template <int N>
IONFLUX_HD inline Dual<N> e_exp(const Dual<N>& x) {
  const double e = e_exp(x.v);
  return chain(x, e, e);
}
//! 10^y (user functions' `10 ^ x`, e.g. fitted log-diffusivities) on the CPU: y ln10 in
//! double-double, then exp_core; within 1 ulp of pow (for |y ln10| < 708: see e_pow).
template <int G>
IONFLUX_HD inline void exp10_core_group(double* v) {
  const double ln10_hi = 0x1.26bb1bbb55516p+1, ln10_lo = -0x1.f48ad494ea3e9p-53;
  double lo[G];
  for (int l = 0; l < G; ++l) {
    const double y = v[l], t = y * ln10_hi;
    lo[l] = fma(y, ln10_lo, fma(y, ln10_hi, -t));
    v[l] = t;
  }
  exp_core_group<G>(v, lo);
}
IONFLUX_HD inline double exp10_core(double y) {
  exp10_core_group<1>(&y);
  return y;
}

// Elementary functions with libm accuracy for values (a user's expression is
// compared with the same expression in Python to 1e-14), exact derivatives for Dual.
//! tanh from exp_core for |x| >= kTanhCore (1 - 2 / (exp(2|x|) + 1), within 2 ulp of
//! libm's there: the result is >= 0.5 in magnitude, no cancellation); branch-free, so it
//! vectorises. Nearer 0 (relative accuracy) and for NaN: libm's tanh.
constexpr double kTanhCore = 0.55;
template <int G>
IONFLUX_HD inline void tanh_core_group(double* v) {
  double e[G];
  for (int l = 0; l < G; ++l) {
    const double a2 = 2.0 * fabs(v[l]);
    e[l] = a2 < 700.0 ? a2 : 700.0;  // tanh is +-1 in double long before
  }
  exp_core_group<G>(e, nullptr);
  for (int l = 0; l < G; ++l) v[l] = copysign(1.0 - 2.0 / (e[l] + 1.0), v[l]);
}
IONFLUX_HD inline double tanh_core(double x) {
  tanh_core_group<1>(&x);
  return x;
}
IONFLUX_HD inline bool tanh_direct(double x) { return fabs(x) >= kTanhCore; }
IONFLUX_HD inline double e_tanh(double x) {
#ifdef __CUDA_ARCH__
  return tanh(x);
#else
  return tanh_direct(x) ? tanh_core(x) : tanh(x);
#endif
}
IONFLUX_HD inline double e_sinh(double x) { return sinh(x); }
IONFLUX_HD inline double e_abs(double x) { return fabs(x); }
//! The largest integer exponent that pow_value computes by multiplications.
constexpr int kMaxPowi = 16;
//! x^k for 1 <= k <= kMaxPowi by binary powering (x^(2^i) by repeated squaring, the
//! factors of k's set bits multiplied in from the lowest): at most 7 multiplications,
//! within ~8 ulp of pow (a squaring doubles the relative error it is given; x^16 is four
//! squarings). points_pow rounds exactly as this at every point.
IONFLUX_HD inline double powi_value(double x, int k) {
  double r = (k & 1) ? x : 1.0, b = x;
  for (k >>= 1; k; k >>= 1) {
    b *= b;
    if (k & 1) r *= b;
  }
  return r;
}
//! Whether y is an integer exponent that pow_value computes by multiplications.
IONFLUX_HD inline bool powi_exponent(double y) {
  return y >= 4.0 && y <= kMaxPowi && y == static_cast<double>(static_cast<int>(y));
}
//! The exponents that pow_value computes before its 10^y branch (keep in step with it).
IONFLUX_HD inline bool pow_value_before_exp10(double y) {
  return y == 2.0 || y == 1.0 || y == 3.0 || y == -1.0 || powi_exponent(y);
}
//! x^y, with the exponents that user functions use most (squares, cubes, square roots,
//! PyBaMM's RegPower exponent -1/4, integer powers up to kMaxPowi as in fitted
//! polynomials and (c_e/1000)^4) by multiplications and square roots: within 2 ulp of
//! pow (integer powers above 3: see powi_value), several times cheaper. Roots only for
//! finite positive x (pow's special cases elsewhere).
IONFLUX_HD inline double pow_value(double x, double y) {
  if (y == 2.0) return x * x;  // correctly rounded, as pow
  if (y == 1.0) return x;
  if (y == 3.0) return x * x * x;
  if (y == -1.0) return 1.0 / x;
  if (powi_exponent(y)) return powi_value(x, static_cast<int>(y));
#ifndef __CUDA_ARCH__
  if (x == 10.0 && exp_core_range(y * 2.302585092994046)) return exp10_core(y);  // 10^y: exp10_core
#endif
  if (x > 0.0 && x < 1.0e308) {
    if (y == 0.5) return sqrt(x);  // correctly rounded, as pow
    if (y == 1.5) return x * sqrt(x);
    if (y == -0.5) return 1.0 / sqrt(x);
    if (y == -0.25) return 1.0 / sqrt(sqrt(x));
  }
  return pow(x, y);
}
IONFLUX_HD inline double e_pow(double x, double y) { return pow_value(x, y); }
// min/max as Python's builtins: the first argument unless the second compares
// strictly smaller/larger (ties and NaN comparisons keep the first).
IONFLUX_HD inline double e_min(double a, double b) { return b < a ? b : a; }
IONFLUX_HD inline double e_max(double a, double b) { return b > a ? b : a; }

//! d tanh(x) / dx from t = tanh(x).
IONFLUX_HD inline double tanh_slope(double t) { return 1.0 - t * t; }
template <int N>
IONFLUX_HD inline Dual<N> e_tanh(const Dual<N>& x) {
  const double t = e_tanh(x.v);
  return chain(x, t, tanh_slope(t));
}
template <int N>
IONFLUX_HD inline Dual<N> e_sinh(const Dual<N>& x) {
  return chain(x, sinh(x.v), cosh(x.v));
}
template <int N>
IONFLUX_HD inline Dual<N> e_abs(const Dual<N>& x) {
  // d|x| = sign(x) dx, 0 at x = 0 (PyBaMM's AbsoluteValue).
  return chain(x, fabs(x.v), x.v < 0.0 ? -1.0 : (x.v > 0.0 ? 1.0 : 0.0));
}
//! x^y with both operands differentiable: y x^(y-1) dx + x^y log(x) dy. Each term
//! only in the directions where its operand varies, so an infinite factor (x = 0 with
//! y < 1) or log(x <= 0) does not turn the other directions' zeros into NaN.
//! e_pow's dual with its value xy = pow_value(x.v, y.v) given (evaluate_points computes
//! the values of a batch in one loop), and log(x.v) where the caller has it (NaN: not).
template <int N>
IONFLUX_HD inline Dual<N> pow_dual(const Dual<N>& x, const Dual<N>& y, double xy, double log_x = NAN) {
  // The common case is a constant exponent: one pow (or none for squares) and no log.
  bool y_varies = false;
  for (int k = 0; k < N; ++k) y_varies = y_varies || y.d[k] != 0.0;
  Dual<N> r(xy);
  double dx;
  if (y.v == 0.0) dx = 0.0;
  else if (y.v == 2.0) dx = 2.0 * x.v;
  else if (x.v != 0.0 && r.v != 0.0 && r.v - r.v == 0.0) dx = y.v * (r.v / x.v);  // r finite
  else dx = y.v * pow(x.v, y.v - 1.0);
  const double dy = y_varies ? r.v * (log_x == log_x ? log_x : log(x.v)) : 0.0;
  for (int k = 0; k < N; ++k)
    r.d[k] = (x.d[k] != 0.0 ? dx * x.d[k] : 0.0) + (y.d[k] != 0.0 ? dy * y.d[k] : 0.0);
  return r;
}
template <int N>
IONFLUX_HD inline Dual<N> e_pow(const Dual<N>& x, const Dual<N>& y) {
  return pow_dual(x, y, pow_value(x.v, y.v));
}
template <int N>
IONFLUX_HD inline Dual<N> e_min(const Dual<N>& a, const Dual<N>& b) {
  return a.v <= b.v ? a : b;
}
template <int N>
IONFLUX_HD inline Dual<N> e_max(const Dual<N>& a, const Dual<N>& b) {
  return a.v >= b.v ? a : b;
}

//! Evaluate `p` with the arguments `vars` (indexed by Var). The compiler guarantees
//! the stack depth stays within kMaxStack and ends at exactly one value.
//! PyBaMM's RegPower: (x/s) ((x/s)^2 + delta^2)^((a-1)/2) s^a with delta = 1e-3, the
//! form PyBaMM substitutes for powers of the concentrations in exchange-current
//! functions (a power that stays finite-sloped as its base reaches 0).
//! regpow with its factors that do not depend on the base given: h = (a - 1) / 2 and
//! s^a (evaluate_points computes them once for a batch of bases).
template <class T>
IONFLUX_HD T regpow_parts(const T& base, const T& h, const T& scale_pow, double scale) {
  const T x = base / scale;
  return x * e_pow(x * x + 1e-6, h) * scale_pow;
}
template <class T>
IONFLUX_HD T regpow(const T& base, const T& exponent, double scale) {
  return regpow_parts(base, (exponent - 1.0) * 0.5, e_pow(T(scale), exponent), scale);
}

template <class T>
IONFLUX_HD IONFLUX_NOINLINE T evaluate(const Program& p, const T* vars, const TableRef* tab = nullptr) {
  if (p.n_ops == 0) return T(NAN);  // no expression
  // The stack, left uninitialised: a Dual's constructor would zero every slot on each
  // call. A push constructs the value in its slot; operations assign to live slots.
  union Slot {
    T v;
    IONFLUX_HD Slot() {}
  };
  Slot slots[kMaxStack];
  int top = 0;  // number of values on the stack
  for (int i = 0; i < p.n_ops; ++i) {
    switch (static_cast<Op>(p.op[i])) {
      case Op::constant: ::new (&slots[top++].v) T(p.constants[p.arg[i]]); break;
      case Op::variable: ::new (&slots[top++].v) T(vars[p.arg[i]]); break;
      case Op::add: --top; slots[top - 1].v = slots[top - 1].v + slots[top].v; break;
      case Op::sub: --top; slots[top - 1].v = slots[top - 1].v - slots[top].v; break;
      case Op::mul: --top; slots[top - 1].v = slots[top - 1].v * slots[top].v; break;
      case Op::div: --top; slots[top - 1].v = slots[top - 1].v / slots[top].v; break;
      case Op::pow: --top; slots[top - 1].v = e_pow(slots[top - 1].v, slots[top].v); break;
      case Op::min: --top; slots[top - 1].v = e_min(slots[top - 1].v, slots[top].v); break;
      case Op::max: --top; slots[top - 1].v = e_max(slots[top - 1].v, slots[top].v); break;
      case Op::neg: slots[top - 1].v = -slots[top - 1].v; break;
      case Op::exp: slots[top - 1].v = e_exp(slots[top - 1].v); break;
      case Op::log: slots[top - 1].v = ad_log(slots[top - 1].v); break;
      case Op::sqrt: slots[top - 1].v = ad_sqrt(slots[top - 1].v); break;
      case Op::tanh: slots[top - 1].v = e_tanh(slots[top - 1].v); break;
      case Op::cosh: slots[top - 1].v = ad_cosh(slots[top - 1].v); break;
      case Op::sinh: slots[top - 1].v = e_sinh(slots[top - 1].v); break;
      case Op::abs: slots[top - 1].v = e_abs(slots[top - 1].v); break;
      case Op::table:
        slots[top - 1].v = tab ? table::evaluate(static_cast<table::Kind>(tab->kind), tab->data, tab->data + tab->n,
                                           tab->data + 2 * tab->n, tab->n, slots[top - 1].v)
                         : T(NAN);
        break;
      case Op::regpow: {
        const double scale = p.arg[i] == 1 ? value_of(vars[static_cast<int>(Var::c_s_max)])
                             : p.arg[i] == 2 ? value_of(vars[kCeScaleSlot]) : 1.0;
        --top;
        slots[top - 1].v = regpow(slots[top - 1].v, slots[top].v, scale);
        break;
      }
    }
  }
  return slots[0].v;
}

//! f at n points into the slots r, from operands given as arrays of values: x (one value
//! for all points at x[0] where ux) and y (likewise uy); not both uniform. x may be r's
//! own values (an operation in place).
//! (The loops construct each result in place: GCC 12 vectorises them, not the same
//! loops written as assignments to the union member. The result is a named temporary
//! first: constructed directly from f's return value, a Dual result would be
//! initialised in the slot that f is still reading.)
template <class S, class T, class F>
IONFLUX_HD inline void points_into(S* r, const T* x, bool ux, const T* y, bool uy, int n, F f) {
  if (ux) {
    const T a = x[0];
    for (int j = 0; j < n; ++j) {
      const T v = f(a, y[j]);
      ::new (&r[j].v) T(v);
    }
  } else if (uy) {
    const T b = y[0];
    for (int j = 0; j < n; ++j) {
      const T v = f(x[j], b);
      ::new (&r[j].v) T(v);
    }
  } else {
    for (int j = 0; j < n; ++j) {
      const T v = f(x[j], y[j]);
      ::new (&r[j].v) T(v);
    }
  }
}
//! Apply the binary operation f to the stack slots a (below) and b (top) of
//! evaluate_points, the result in a: a uniform slot (ua, ub: the same value at every
//! point) holds its value in element 0 and is not broadcast; the result is uniform when
//! both operands are.
template <class S, class F>
IONFLUX_HD inline void points_binary(S* a, bool& ua, const S* b, bool ub, int n, F f) {
  using T = decltype(S::v);
  static_assert(sizeof(S) == sizeof(T), "a slot holds one value");
  if (ua && ub) {
    a[0].v = f(a[0].v, b[0].v);
    return;
  }
  points_into(a, &a[0].v, ua, &b[0].v, ub, n, f);
  ua = false;
}
//! A unary operation on slot a (element 0 only where uniform).
template <class S, class F>
IONFLUX_HD inline void points_unary(S* a, bool ua, int n, F f) {
  using T = decltype(S::v);
  if (ua) a[0].v = f(a[0].v);
  else
    for (int j = 0; j < n; ++j) {
      const T r = f(a[j].v);
      ::new (&a[j].v) T(r);
    }
}

//! exp and tanh over a batch go through their *_core_group in groups of kCoreGroup
//! (exp_core_group), the points left in groups of 4; an array of n <= B points for them
//! holds core_points(B) elements (room for the zeros that fill the last group). (A
//! harness timing evaluate_points on Zen 1, ns per point at 128 / 64 / 20 points: exp 6.8 / 6.9 / 8.3 one point at a time, 5.5 / 5.8 / 7.5
//! in groups; tanh 9.8 / 10.6 / 13.2 and 8.3 / 9.1 / 13.2. exp10, whose corrections take
//! more registers, was no faster in groups of 8 and slower in groups of 16: it stays a
//! loop of exp10_core.)
constexpr int kCoreGroup = 16;
//! The largest last group: the points left after the groups of kCoreGroup go through one
//! group of up to kCoreTail points (a multiple of 4), so that their polynomial chains
//! interleave. A batch of 20 nodes (the default mesh's electrodes) is one group of 20,
//! not 16 + 4: the 4 alone were one chain of 13 dependent multiply-adds, latency-bound
//! (a harness of Mohtat2020's negative OCP, 6 tanh and an exp, on Zen 1: 16 nodes 577 ns,
//! 20 nodes 754 ns before). The same operations per point whatever the group, so the
//! same bits.
constexpr int kCoreTail = 28;
constexpr int core_points(int b) { return (b + kCoreGroup - 1) / kCoreGroup * kCoreGroup; }
static_assert(kCoreGroup % 4 == 0 && kCoreTail % 4 == 0, "in_core_groups' last group ends within core_points");
//! f over c[0, n): groups of kCoreGroup points (f(std::integral_constant<int, G>,
//! pointer) for a group of G) while more than kCoreTail are left, then the rest in one
//! group of G = 4, 8, ..., kCoreTail (a batch of 20 nodes: one group of 20), c padded
//! with zeros to a multiple of 4.
template <class F>
inline void in_core_groups(double* c, int n, F f) {
  int j = 0;
  for (; n - j > kCoreTail; j += kCoreGroup) f(std::integral_constant<int, kCoreGroup>{}, c + j);
  if (j == n) return;
  const int ng = (n + 3) / 4 * 4;
  for (int k = n; k < ng; ++k) c[k] = 0.0;
  double* v = c + j;
  switch (ng - j) {
    case 4: f(std::integral_constant<int, 4>{}, v); break;
    case 8: f(std::integral_constant<int, 8>{}, v); break;
    case 12: f(std::integral_constant<int, 12>{}, v); break;
    case 16: f(std::integral_constant<int, 16>{}, v); break;
    case 20: f(std::integral_constant<int, 20>{}, v); break;
    case 24: f(std::integral_constant<int, 24>{}, v); break;
    default: f(std::integral_constant<int, 28>{}, v); break;
  }
}
// GCC 12 warns (-Wstringop-overflow) that x[j] = xj below may write past x for B = 7,
// not knowing that n <= B. A bound in the code (if (n > B) n = B) silences it but moves
// Chen2020's voltages by up to 7e-9 V through other inlining (session 21), so the false
// positive is silenced here instead, for this function only.
#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif
//! e_exp at n <= B points a[j], in place, as vectorised loops where every argument is
//! in exp_core's range (the same values as e_exp's). CPU only. a holds B values (a
//! slot of evaluate_points); where B is a multiple of 4 the groups run in place (the
//! zeros that pad the last group stay within a), the arguments copied only where some
//! point is out of exp_core's range (the copies were calls to memcpy).
template <int B>
inline void exp_points(double* a, int n) {
  // (branch-free loops, which GCC vectorises: the clamp keeps exp_core's exponent
  // field valid for the arguments exp_direct rejects. Clamp, polynomial and the zeros
  // below kExpZero in separate loops: in one, GCC 12 sinks the polynomial into the branch
  // of the select and, as it could raise FP exceptions, no longer if-converts the loop
  // where it cannot mask the operations (AVX2); the clamp inside the groups' loop was
  // twice as slow, in a harness)
  constexpr bool in_place = B % 4 == 0;
  double x[B], cc[in_place ? 1 : core_points(B)];  // the arguments, and those clamped to exp_core's range
  double* c = in_place ? a : cc;
  int in_range = 1, plain = 1;
  for (int j = 0; j < n; ++j) {
    const double xj = a[j];
    in_range &= static_cast<int>(xj < 708.0) & (static_cast<int>(xj > -708.0) | static_cast<int>(xj < kExpZero));
    plain &= static_cast<int>(exp_core_range(xj));
  }
  if (!plain || !in_place)
    for (int j = 0; j < n; ++j) {
      const double xj = a[j];
      x[j] = xj;
      const double lo = xj > -708.0 ? xj : -708.0;
      c[j] = lo < 708.0 ? lo : 708.0;
    }
  in_core_groups(c, n, [](auto g, double* v) { exp_core_group<decltype(g)::value>(v, nullptr); });
  // (where every point is in exp_core's range, x[j] >= kExpZero and c[j] is a[j]'s exp)
  if (!plain || !in_place)
    for (int j = 0; j < n; ++j) a[j] = x[j] < kExpZero ? 0.0 : c[j];
  if (!in_range)  // subnormal or infinite results, NaN: libm's exp
    for (int j = 0; j < n; ++j)
      if (!exp_direct(x[j])) a[j] = exp(x[j]);
}
#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#pragma GCC diagnostic pop
#endif
//! e_tanh at n <= B points a[j], in place: tanh_core in vectorised loops, libm's tanh
//! where |x| < kTanhCore (the same values as e_tanh's). CPU only. In place where B is a
//! multiple of 4 (as exp_points), the arguments copied only where some point needs libm.
template <int B>
inline void tanh_points(double* a, int n) {
  constexpr bool in_place = B % 4 == 0;
  double x[B], cc[in_place ? 1 : core_points(B)];
  double* c = in_place ? a : cc;
  int all_direct = 1;
  for (int j = 0; j < n; ++j) all_direct &= static_cast<int>(fabs(a[j]) >= kTanhCore);
  if (!all_direct || !in_place)
    for (int j = 0; j < n; ++j) {
      x[j] = a[j];
      c[j] = x[j];
    }
  in_core_groups(c, n, [](auto g, double* v) { tanh_core_group<decltype(g)::value>(v); });
  if (!in_place)
    for (int j = 0; j < n; ++j) a[j] = c[j];
  if (!all_direct)
    for (int j = 0; j < n; ++j)
      if (!tanh_direct(x[j])) a[j] = tanh(x[j]);
}
//! out[j] = pow_value(10, y[j]) at n points where every y ln10 is in exp_core's range
//! (else false, out unchanged): exp10_core in one loop, then pow_value itself where it
//! takes an exponent before 10^y (10^-1 is 1/10 there, exactly 0.1, where exp10_core
//! gives 0.09999999999999999). out is not y. CPU only.
inline bool exp10_points(const double* y, double* out, int n) {
  int in_range = 1, plain = 1;
  for (int j = 0; j < n; ++j) {
    in_range &= static_cast<int>(exp_core_range(y[j] * 2.302585092994046));
    // pow_value_before_exp10's set, the integers -1 and 1..kMaxPowi, in a test that
    // vectorises (its int conversion kept this loop scalar: +10 % on ORegan2022's D_s)
    plain &= static_cast<int>(!(y[j] >= -1.0 && y[j] <= kMaxPowi && y[j] == trunc(y[j]) && y[j] != 0.0));
  }
  if (!in_range) return false;
  for (int j = 0; j < n; ++j) out[j] = exp10_core(y[j]);
  if (!plain)
    for (int j = 0; j < n; ++j)
      if (pow_value_before_exp10(y[j])) out[j] = pow_value(10.0, y[j]);
  return true;
}

//! The values of n slots of duals, into v.
template <class S>
inline void dual_values(const S* a, int n, double* v) {
  for (int j = 0; j < n; ++j) v[j] = a[j].v.v;
}
//! A unary function over a varying slot of n <= B points, in place: values(double*, n)
//! computes f in place on an array of values; duals take f's values from it, then the
//! chain rule with slope(f) (f' as a function of f, as the pointwise e_exp / e_tanh).
template <int B, class S, class Values, class Slope>
inline void points_core(S* a, int n, Values values, Slope slope) {
  using T = decltype(S::v);
  if constexpr (std::is_same<T, double>::value) {
    static_assert(sizeof(S) == sizeof(double), "a slot of doubles holds one double");
    values(&a[0].v, n);
  } else {
    double f[B];
    dual_values(a, n, f);
    values(f, n);
    for (int j = 0; j < n; ++j) {
      const T r = chain(a[j].v, f[j], slope(f[j]));
      ::new (&a[j].v) T(r);
    }
  }
}

//! exp_points / tanh_points on a varying slot (evaluate_points): doubles in place; duals
//! by their values' loop, then the chain rule as e_exp / e_tanh apply it (the same
//! values and derivatives). Return false where they do nothing: uniform slots, the GPU.
template <int B, class S>
IONFLUX_HD inline bool points_exp(S* a, bool ua, int n) {
#ifdef __CUDA_ARCH__
  return false;
#else
  if (ua) return false;
  points_core<B>(a, n, [](double* v, int m) { exp_points<B>(v, m); }, [](double e) { return e; });
  return true;
#endif
}
template <int B, class S>
IONFLUX_HD inline bool points_tanh(S* a, bool ua, int n) {
#ifdef __CUDA_ARCH__
  return false;
#else
  if (ua) return false;
  points_core<B>(a, n, [](double* v, int m) { tanh_points<B>(v, m); }, [](double t) { return tanh_slope(t); });
  return true;
#endif
}
//! 10 ^ b at varying exponents b (pow with the constant base 10: fitted log-diffusivities),
//! by exp10_points (the same values as e_pow's; duals: e_pow's derivatives, pow_dual).
//! Returns false where it does nothing.
template <int B, class S>
IONFLUX_HD inline bool points_exp10(S* a, bool& ua, const S* b, bool ub, int n) {
#ifdef __CUDA_ARCH__
  return false;
#else
  if (!ua || ub || value_of(a[0].v) != 10.0) return false;
  if constexpr (std::is_same<decltype(S::v), double>::value) {
    static_assert(sizeof(S) == sizeof(double), "a slot of doubles holds one double");
    if (!exp10_points(&b[0].v, &a[0].v, n)) return false;
  } else {
    using T = decltype(S::v);
    const T x = a[0].v;
    double c[B], e[B];
    dual_values(b, n, c);
    if (!exp10_points(c, e, n)) return false;
    const double log_x = log(x.v);
    for (int j = 0; j < n; ++j) {
      const T r = pow_dual(x, b[j].v, e[j], log_x);
      ::new (&a[j].v) T(r);
    }
  }
  ua = false;
  return true;
#endif
}

//! pow_value(x[j], y) in place at n <= B points with one exponent y for all (as
//! (sto - 0.2)^2, (c_e/1000)^4, sto^10, a regularised square root's -1/4): for the
//! exponents pow_value computes without pow, the same operations in branch-free loops that
//! vectorise (so the same values), then pow_value itself at the points a root does not
//! cover (bases outside (0, 1e308), and 10, pow_value's 10^y). Returns false, doing
//! nothing, for other exponents (and on the GPU).
template <int B>
IONFLUX_HD inline bool pow_points(double* x, int n, double y) {
#ifdef __CUDA_ARCH__
  return false;
#else
  if (y == 1.0) return true;
  if (y == 2.0) {
    for (int j = 0; j < n; ++j) x[j] = x[j] * x[j];
    return true;
  }
  if (y == 3.0) {
    for (int j = 0; j < n; ++j) x[j] = x[j] * x[j] * x[j];
    return true;
  }
  if (y == -1.0) {
    for (int j = 0; j < n; ++j) x[j] = 1.0 / x[j];
    return true;
  }
  if (powi_exponent(y)) {  // powi_value's multiplications, bit by bit of k for all points
    const int k = static_cast<int>(y);
    double r[B];
    for (int j = 0; j < n; ++j) r[j] = (k & 1) ? x[j] : 1.0;
    for (int m = k >> 1; m; m >>= 1) {
      for (int j = 0; j < n; ++j) x[j] = x[j] * x[j];
      if (m & 1)
        for (int j = 0; j < n; ++j) r[j] = r[j] * x[j];
    }
    for (int j = 0; j < n; ++j) x[j] = r[j];
    return true;
  }
  if (!(y == 0.5 || y == 1.5 || y == -0.5 || y == -0.25)) return false;
  double x0[B];
  int all_roots = 1;
  for (int j = 0; j < n; ++j) {
    x0[j] = x[j];
    all_roots &= static_cast<int>(x[j] > 0.0) & static_cast<int>(x[j] < 1.0e308) & static_cast<int>(x[j] != 10.0);
  }
  sqrt_points(x, n);  // (the same values as sqrt's, in vectors: sqrt_points)
  if (y == 1.5)
    for (int j = 0; j < n; ++j) x[j] = x0[j] * x[j];
  else if (y == -0.5)
    for (int j = 0; j < n; ++j) x[j] = 1.0 / x[j];
  else if (y == -0.25) {
    sqrt_points(x, n);
    for (int j = 0; j < n; ++j) x[j] = 1.0 / x[j];
  }
  if (!all_roots)
    for (int j = 0; j < n; ++j)
      if (!(x0[j] > 0.0 && x0[j] < 1.0e308 && x0[j] != 10.0)) x[j] = pow_value(x0[j], y);
  return true;
#endif
}
//! e_pow at the points of a varying slot a of doubles with a uniform exponent slot b
//! (pow_points). Returns false where it does nothing.
template <int B, class S>
IONFLUX_HD inline bool points_pow(S* a, bool ua, const S* b, bool ub, int n) {
  if constexpr (!std::is_same<decltype(S::v), double>::value) {
    return false;
  } else {
    if (ua || !ub) return false;
    // in place: a slot of doubles is an array of doubles (pow_points leaves it as it was
    // where it returns false)
    static_assert(sizeof(S) == sizeof(double), "a slot of doubles holds one double");
    return pow_points<B>(&a[0].v, n, b[0].v);
  }
}

//! regpow_parts at the points of a varying slot a of doubles (a fixed exponent and
//! scale): the power of x^2 + delta^2 by pow_points (for a = 1/2, h = -1/4: square
//! roots in one vectorised loop). Returns false where it does nothing.
template <int B, class S, class T>
IONFLUX_HD inline bool points_regpow(S* a, const T& h, const T& scale_pow, double scale, int n) {
  if constexpr (!std::is_same<T, double>::value) {
    return false;
  } else {
    double x[B], z[B];
    for (int j = 0; j < n; ++j) {
      x[j] = a[j].v / scale;
      z[j] = x[j] * x[j] + 1e-6;
    }
    if (!pow_points<B>(z, n, h)) return false;
    for (int j = 0; j < n; ++j) a[j].v = x[j] * z[j] * scale_pow;
    return true;
  }
}

//! An arithmetic operation (add, sub, mul, div) into the slots r, from operands given as
//! arrays (points_into).
template <class S, class T>
IONFLUX_HD inline void points_arithmetic(Op op, S* r, const T* x, bool ux, const T* y, bool uy, int n) {
  switch (op) {
    case Op::add: points_into(r, x, ux, y, uy, n, [](const T& a, const T& b) { return a + b; }); break;
    case Op::sub: points_into(r, x, ux, y, uy, n, [](const T& a, const T& b) { return a - b; }); break;
    case Op::mul: points_into(r, x, ux, y, uy, n, [](const T& a, const T& b) { return a * b; }); break;
    default: points_into(r, x, ux, y, uy, n, [](const T& a, const T& b) { return a / b; }); break;
  }
}

//! (x[j] op c)^2, then scaled by a constant, into the slots r in one loop, where the
//! program continues at op i with `2 ^` and then `-() / w`, `-() * w`, `/ w` or `* w` (or
//! nothing more): the operations that evaluate() does, on the same operands in the same
//! order (a square is x * x, as pow_value's; -(s) / w is s / (-w), as evaluate_points'
//! fold), so the same doubles; no product feeds a sum, so no contraction into an fma can
//! change them. Returns the number of ops from op i on that it computed (0: the pattern is
//! not there, nothing done).
#ifndef __CUDA_ARCH__
template <class S>
inline int points_square_scaled(const Program& p, int i, Op op, S* r, const double* x, double c, int n) {
  auto at = [&](int k) { return static_cast<Op>(p.op[k]); };  // (every use checks k < n_ops first)
  if (!(i + 1 < p.n_ops && at(i) == Op::constant && p.constants[p.arg[i]] == 2.0 && at(i + 1) == Op::pow)) return 0;
  int used = 2, k = i + 2;
  const bool negate = k + 2 < p.n_ops && at(k) == Op::neg && at(k + 1) == Op::constant &&
                      (at(k + 2) == Op::mul || at(k + 2) == Op::div);
  if (negate) ++k;
  Op scale_op = Op::constant;  // none
  double w = 1.0;
  if (k + 1 < p.n_ops && at(k) == Op::constant && (at(k + 1) == Op::mul || at(k + 1) == Op::div)) {
    scale_op = at(k + 1);
    w = negate ? -p.constants[p.arg[k]] : p.constants[p.arg[k]];
    used += negate ? 3 : 2;
  }
  auto run = [&](auto first, auto scale) {
    for (int j = 0; j < n; ++j) {
      const double t = first(x[j], c);
      const double v = scale(t * t, w);
      ::new (&r[j].v) double(v);
    }
  };
  auto with_scale = [&](auto first) {
    switch (scale_op) {
      case Op::mul: run(first, [](double a, double b) { return a * b; }); break;
      case Op::div: run(first, [](double a, double b) { return a / b; }); break;
      default: run(first, [](double a, double) { return a; }); break;
    }
  };
  switch (op) {
    case Op::add: with_scale([](double a, double b) { return a + b; }); break;
    case Op::sub: with_scale([](double a, double b) { return a - b; }); break;
    case Op::mul: with_scale([](double a, double b) { return a * b; }); break;
    default: with_scale([](double a, double b) { return a / b; }); break;
  }
  return used;
}
#endif

#ifndef __CUDA_ARCH__
// GCC contracts a product and a sum in one loop into an fma (-ffp-contract=fast, its
// default), which would round differently from the interpreter's two operations; this
// keeps them apart where they share a loop. It holds because GCC does not inline a
// function whose optimize attribute differs from its caller's (so never force-inline
// points_product_sum); Clang's default for C++ contracts only within one expression. The
// bitwise batch test (test_expression.cpp) fails if an fma comes back.
#if defined(__GNUC__) && !defined(__clang__)
#define IONFLUX_NO_FMA_CONTRACTION __attribute__((optimize("fp-contract=off")))
#else
#define IONFLUX_NO_FMA_CONTRACTION
#endif
//! s[j] + x[j] * y[j] (or s[j] - ...; y uniform: y[0] at every point) at n points, in
//! place in s: evaluate()'s product then its sum, each rounded (a fitted sum of terms
//! `... + w * exp(...)`: one loop for two). CPU only.
IONFLUX_NO_FMA_CONTRACTION inline void points_product_sum(double* s, const double* x, const double* y, bool uy,
                                                           bool subtract, int n) {
  if (uy) {
    const double c = y[0];
    if (subtract)
      for (int j = 0; j < n; ++j) {
        const double q = x[j] * c;
        s[j] = s[j] - q;
      }
    else
      for (int j = 0; j < n; ++j) {
        const double q = x[j] * c;
        s[j] = s[j] + q;
      }
  } else {
    if (subtract)
      for (int j = 0; j < n; ++j) {
        const double q = x[j] * y[j];
        s[j] = s[j] - q;
      }
    else
      for (int j = 0; j < n; ++j) {
        const double q = x[j] * y[j];
        s[j] = s[j] + q;
      }
  }
}
#endif

//! evaluate() at n <= B points that differ only in the argument `var` (xs[j] at point j;
//! the other arguments from vars): the program is dispatched once per operation for all
//! points, each operation a loop over the points. Every point goes through the same
//! operations as evaluate() (the same functions on the same operands, in the same
//! order), so out[j] equals evaluate() with vars[var] = xs[j]. A value that is the same
//! at every point (a constant, a fixed argument, and every operation on such values only,
//! e.g. an Arrhenius factor of T in a function of sto) is computed once, not per point.
//! Local memory: kMaxStack * B values (callers on the GPU use B = 1).
//! The general form: xs[v] (v < kSlots) are the values of argument v at the n points, or
//! null where the argument is vars[v] at every point.
template <int B, class T>
IONFLUX_HD IONFLUX_NOINLINE void evaluate_points(const Program& p, const T* vars, const T* const* xs, int n,
                                                 const TableRef* tab, T* out) {
  if (p.n_ops == 0) {
    for (int j = 0; j < n; ++j) out[j] = T(NAN);
    return;
  }
  union Slot {
    T v;
    IONFLUX_HD Slot() {}
  };
  Slot slots[kMaxStack][B];
  bool uniform[kMaxStack];  // slot k holds one value for all points, in slots[k][0]
  int top = 0;
  auto table_of = [tab](const T& x) -> T {
    return tab ? table::evaluate(static_cast<table::Kind>(tab->kind), tab->data, tab->data + tab->n,
                                 tab->data + 2 * tab->n, tab->n, x)
               : T(NAN);
  };
  auto arithmetic = [](Op o) { return o == Op::add || o == Op::sub || o == Op::mul || o == Op::div; };
  for (int i = 0; i < p.n_ops; ++i) {
    const Op op = static_cast<Op>(p.op[i]);
    if (op == Op::variable && xs[p.arg[i]]) {
      // A varying argument that an arithmetic operation combines at once with a uniform
      // value: the operation reads the argument's points where they are, one loop instead
      // of a copy and a loop (the same operation on the same operands at every point):
      // `x op c` (x, a constant, op) or `u op x` (u below on the stack, uniform: x, op).
      const T* x = xs[p.arg[i]];
      if (i + 2 < p.n_ops && static_cast<Op>(p.op[i + 1]) == Op::constant && arithmetic(static_cast<Op>(p.op[i + 2]))) {
        Slot* b = slots[top];
        const T c(p.constants[p.arg[i + 1]]);
#ifndef __CUDA_ARCH__
        if constexpr (std::is_same<T, double>::value) {
          // and, where it follows, a square and a scale: a Gaussian's -((x - m)^2) / w
          // (points_square_scaled: one loop for what takes three)
          const int used = points_square_scaled(p, i + 3, static_cast<Op>(p.op[i + 2]), b, x, c, n);
          if (used > 0) {
            uniform[top] = false;
            ++top;
            i += 2 + used;
            continue;
          }
        }
#endif
        points_arithmetic(static_cast<Op>(p.op[i + 2]), b, x, false, &c, true, n);
        uniform[top] = false;
        ++top;
        i += 2;
        continue;
      }
      if (top > 0 && uniform[top - 1] && i + 1 < p.n_ops && arithmetic(static_cast<Op>(p.op[i + 1]))) {
        Slot* a = slots[top - 1];
        const T u = a[0].v;
        points_arithmetic(static_cast<Op>(p.op[i + 1]), a, &u, true, x, false, n);
        uniform[top - 1] = false;
        i += 1;
        continue;
      }
    }
    if (std::is_same<T, double>::value && op == Op::neg && i + 2 < p.n_ops &&
        static_cast<Op>(p.op[i + 1]) == Op::constant &&
        (static_cast<Op>(p.op[i + 2]) == Op::mul || static_cast<Op>(p.op[i + 2]) == Op::div)) {
      // -(a) * c and -(a) / c as a * (-c) and a / (-c): the same doubles (IEEE rounding is
      // symmetric in sign), one loop fewer (a Gaussian's -((x - m)^2) / w)
      ::new (&slots[top][0].v) T(-p.constants[p.arg[i + 1]]);
      uniform[top] = true;
      ++top;
      i += 1;
      continue;
    }
    if (op == Op::constant || op == Op::variable) {
      Slot* b = slots[top];
      if (op == Op::variable && xs[p.arg[i]]) {
        const T* x = xs[p.arg[i]];
        for (int j = 0; j < n; ++j) ::new (&b[j].v) T(x[j]);
        uniform[top] = false;
      } else {
        ::new (&b[0].v) T(op == Op::constant ? T(p.constants[p.arg[i]]) : T(vars[p.arg[i]]));
        uniform[top] = true;
      }
      ++top;
      continue;
    }
    const bool binary = op == Op::add || op == Op::sub || op == Op::mul || op == Op::div || op == Op::pow ||
                        op == Op::min || op == Op::max || op == Op::regpow;
    if (binary) --top;
    Slot* a = slots[top - 1];
    const Slot* b = slots[top];
    bool& ua = uniform[top - 1];
    const bool ub = binary ? uniform[top] : true;
#ifndef __CUDA_ARCH__
    if constexpr (std::is_same<T, double>::value) {
      if (op == Op::mul && !(ua && ub) && top >= 2 && !uniform[top - 2] && i + 1 < p.n_ops &&
          (static_cast<Op>(p.op[i + 1]) == Op::add || static_cast<Op>(p.op[i + 1]) == Op::sub)) {
        // a product that the next operation adds to (or subtracts from) a varying value
        // below it on the stack: one loop (points_product_sum)
        const double* x = ua ? &b[0].v : &a[0].v;  // varying
        const double* y = ua ? &a[0].v : &b[0].v;
        points_product_sum(&slots[top - 2][0].v, x, y, ua || ub, static_cast<Op>(p.op[i + 1]) == Op::sub, n);
        --top;
        i += 1;
        continue;
      }
    }
#endif
    switch (op) {
      case Op::add:
      case Op::sub:
      case Op::mul:
      case Op::div:  // in place (both uniform: element 0 only)
        points_arithmetic(op, a, &a[0].v, ua && !ub, &b[0].v, ub && !ua, ua && ub ? 1 : n);
        ua = ua && ub;
        break;
      case Op::pow:
        if (!points_exp10<B>(a, ua, b, ub, n) && !points_pow<B>(a, ua, b, ub, n))
          points_binary(a, ua, b, ub, n, [](const T& x, const T& y) { return e_pow(x, y); });
        break;
      case Op::min: points_binary(a, ua, b, ub, n, [](const T& x, const T& y) { return e_min(x, y); }); break;
      case Op::max: points_binary(a, ua, b, ub, n, [](const T& x, const T& y) { return e_max(x, y); }); break;
      case Op::neg: points_unary(a, ua, n, [](const T& x) { return -x; }); break;
      case Op::exp:
        if (!points_exp<B>(a, ua, n)) points_unary(a, ua, n, [](const T& x) { return e_exp(x); });
        break;
      case Op::log: points_unary(a, ua, n, [](const T& x) { return ad_log(x); }); break;
      case Op::sqrt:
#ifndef __CUDA_ARCH__
        if constexpr (std::is_same<T, double>::value) {
          if (!ua) {  // a slot of doubles is an array of doubles: in vectors (the same values)
            static_assert(sizeof(Slot) == sizeof(double), "a slot of doubles holds one double");
            sqrt_points(&a[0].v, n);
            break;
          }
        }
#endif
        points_unary(a, ua, n, [](const T& x) { return ad_sqrt(x); });
        break;
      case Op::tanh:
        if (!points_tanh<B>(a, ua, n)) points_unary(a, ua, n, [](const T& x) { return e_tanh(x); });
        break;
      case Op::cosh: points_unary(a, ua, n, [](const T& x) { return ad_cosh(x); }); break;
      case Op::sinh: points_unary(a, ua, n, [](const T& x) { return e_sinh(x); }); break;
      case Op::abs: points_unary(a, ua, n, [](const T& x) { return e_abs(x); }); break;
      case Op::table: points_unary(a, ua, n, table_of); break;
      case Op::regpow: {
        const int ss = p.arg[i] == 1 ? static_cast<int>(Var::c_s_max) : p.arg[i] == 2 ? kCeScaleSlot : -1;
        if ((ss < 0 || !xs[ss]) && ub && !ua) {  // a fixed exponent and scale (as compiled from `c_e ^ 0.5`)
          const double scale = ss < 0 ? 1.0 : value_of(vars[ss]);
          const T h = (b[0].v - 1.0) * 0.5, scale_pow = e_pow(T(scale), b[0].v);
          if (!points_regpow<B>(a, h, scale_pow, scale, n))
            for (int j = 0; j < n; ++j) {
              const T r = regpow_parts(a[j].v, h, scale_pow, scale);
              ::new (&a[j].v) T(r);
            }
        } else if (ss < 0 || !xs[ss]) {
          const double scale = ss < 0 ? 1.0 : value_of(vars[ss]);
          points_binary(a, ua, b, ub, n, [scale](const T& x, const T& y) { return regpow(x, y, scale); });
        } else {  // a scale that varies by point
          const T a0 = a[0].v;
          for (int j = 0; j < n; ++j) {
            const T r = regpow(ua ? a0 : a[j].v, ub ? b[0].v : b[j].v, value_of(xs[ss][j]));
            ::new (&a[j].v) T(r);
          }
          ua = false;
        }
        break;
      }
      default: break;
    }
  }
  if (uniform[0]) {
    const T v = slots[0][0].v;
    for (int j = 0; j < n; ++j) out[j] = v;
  } else {
    for (int j = 0; j < n; ++j) out[j] = slots[0][j].v;
  }
}

//! evaluate_points where only argument `var` varies (xs[j] at point j).
template <int B, class T>
IONFLUX_HD void evaluate_points(const Program& p, const T* vars, int var, const T* xs, int n, const TableRef* tab,
                                T* out) {
  const T* by_slot[kSlots] = {};
  by_slot[var] = xs;
  evaluate_points<B>(p, vars, by_slot, n, tab, out);
}

}  // namespace expr
}  // namespace ionflux
