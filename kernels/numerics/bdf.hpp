// Variable-order (1-5), variable-step BDF for index-1 DAEs F(t, y, y') = 0, in the
// fixed-leading-coefficient form of SUNDIALS IDA (Brenan, Campbell & Petzold 1996;
// Hindmarsh et al. 2005): modified divided differences phi_j, local error test in a
// weighted RMS norm, order selection from the error estimates of orders k-1, k, k+1,
// and a modified Newton iteration that reuses the factorised matrix across steps.
//
// The integrator is per cell and resumable: all its scalars live in BdfScalars and
// its vectors in a strided workspace, so a launcher may stop after any step and
// continue later, on the CPU or on a GPU.
#pragma once

#include <type_traits>

#include "../common.hpp"
#include "team.hpp"

namespace ionflux {

constexpr int kBdfMaxOrder = 5;

// Four doubles as one GCC/Clang vector (one AVX2 register), for the CPU's vector passes
// (Bdf, "The serial team on the CPU"); a block of eight elements is two of them. Eight
// doubles as one vector compiled to stack spills and 16-byte pieces on an AVX2 machine
// (GCC 12, Zen 1: no AVX-512). Not on the device, nor with other host compilers: there
// the passes are the team's loops and sums.
#if (defined(__GNUC__) || defined(__clang__)) && !defined(__CUDA_ARCH__) && !defined(__CUDACC__)
#define IONFLUX_BDF_LANES 1
typedef double BdfLanes __attribute__((vector_size(4 * sizeof(double))));
//! The same four doubles at any double's address: the passes' loads and stores. A vector
//! of doubles aliases doubles only, so the compiler keeps the passes' array pointers in
//! registers; through memcpy (which may write anything) it reloaded every pointer and
//! flag from the pass's closure after each store.
typedef double BdfLanesAt __attribute__((vector_size(4 * sizeof(double)), aligned(sizeof(double))));
#else
#define IONFLUX_BDF_LANES 0
#endif

//! THE error weight of an unknown: scale / (rtol |y - ref| + abs), or 0 where abs < 0 (an
//! unknown outside the norms). dev = |y - ref|; T is double (Bdf::set_weights) or, on the
//! CPU, BdfLanes: four unknowns at once, both sides computed and selected lane by lane
//! (Bdf::update_differences_lanes).
template <class T>
IONFLUX_HD inline T bdf_error_weight(const T& dev, const T& abs_tol, double scale, double rtol) {
  return abs_tol < 0.0 ? T{} : scale / (rtol * dev + abs_tol);
}

//! Distance between consecutive workspace vectors of length n: padded so that the
//! vectors do not start at near multiples of 4 KiB from each other (which makes
//! multi-stream loops stall on false store-to-load dependencies).
IONFLUX_HD inline int bdf_vector_stride(int n) { return ((n + 7) / 8) * 8 + 24; }

//! The largest SolverOptions::max_steps accepted (the drivers advance max_steps + 1 in an int).
constexpr int kMaxSolverSteps = 1000000000;

struct SolverOptions {
  double rtol = 1e-6;
  double atol = 1e-8;
  //! BDF steps allowed per protocol step (the whole run: max_steps x the number of
  //! protocol steps, at most kMaxSolverSteps; CellSolver::run_step_limit).
  int max_steps = 100000;
  //! Wall-clock budget of one cell [s] (0: none). Read by the host drivers between
  //! advance() slices, and for GPU slots between launches (a kernel reads no clock); a
  //! cell past it ends with time_limit (docs/reliability.md, "A budget per cell").
  double max_wall_time = 0.0;
  int max_newton_iters = 4;        //!< per attempt (IDA's default)
  double newton_tol = 0.33;        //!< Newton convergence coefficient (IDA's epcon)
  int max_error_test_failures = 10;
  int max_convergence_failures = 10;
  int max_steps_between_setups = 20;
  //! After a Newton failure with a matrix built at this step, retry the same step once
  //! with the matrix rebuilt at every iterate (full Newton) before cutting h (1, the
  //! default); 0: cut h at once, as IDA does. Where the electrolyte depletes, the
  //! kinetics switch off at c_e = 0 (PyBaMM's clip of c_e in j0): a matrix from one
  //! side of that kink makes the modified Newton iteration diverge once h exceeds
  //! ~1/(the reaction's rate), and h then cycles below that limit for thousands of
  //! steps; full Newton converges through the kink in two or three iterates.
  int full_newton_retry = 1;
};

//! Scalars of one cell's integrator.
struct BdfScalars {
  double t, h, hused, cj, cjold, cjlast, cjratio, ss, oldnrm;
  double psi[kBdfMaxOrder + 1], alpha[kBdfMaxOrder + 1], beta[kBdfMaxOrder + 1], sigma[kBdfMaxOrder + 1],
      gamma[kBdfMaxOrder + 1];
  int kk, kused, knew, ns, phase;
  int nst, nre, nsetups, nni, netf, ncfn, nst_lset;
  bool jac_current;  //!< factorisation was built at the current step
  bool have_jac;
};

//! Vector slots of the workspace: phi_0..phi_{maxord}, then these.
enum BdfVec : int {
  kPhi0 = 0,
  kYY = kBdfMaxOrder + 1,
  kYP,
  kEE,
  kDelta,  //!< the last Newton correction, kept only for an observer (else scratch)
  kEwt,
  kRes,
  //! The error weights' references and absolute tolerances (Model::error_tolerances,
  //! filled at start): w_k = bdf_error_weight(|y_k - ref_k|, abs_k, ...), 0 where abs_k < 0.
  kTolRef,
  kTolAbs,
  kBdfVecCount
};

//! Bdf's default observer: sees nothing. An observer (Bdf's third template parameter,
//! host-only tools such as benchmarks/stiff_trace.cpp) is called at these points of a
//! step with the integrator (its scalars s, vectors vec(), err_k_, ck_); the default's
//! empty calls compile to nothing, on the host and on the device.
struct BdfNoObserver {
  template <class B>
  IONFLUX_HD void step_begin(const B&) const {}  //!< a step starts (s.t: its start)
  template <class B>
  IONFLUX_HD void newton_iterate(const B&, int, double) const {}  //!< iterate `it` made, |correction| delnrm
  template <class B>
  IONFLUX_HD void newton_rate(const B&, double) const {}  //!< the iteration's convergence rate
  template <class B>
  IONFLUX_HD void newton_done(const B&, bool, int) const {}  //!< newton(force_setup) returned nf
  template <class B>
  IONFLUX_HD void error_test_done(const B&, bool) const {}  //!< the error test passed (or not)
  template <class B>
  IONFLUX_HD void step_accepted(const B&) const {}  //!< before complete_step (ee, weights of the step)
};

//! The integrator of one cell, run by the model's team (Model::team; team.hpp): the
//! vector passes are team operations, the step-size and order control is scalar code
//! that every lane runs on the same values.
template <class Model, class V, class Observer = BdfNoObserver>
struct Bdf {
  //! One thread on contiguous vectors: the hand-vectorised passes below.
  static constexpr bool kContiguous = is_contiguous_view<V>::value && decltype(Model::team)::kWidth == 1;
  //! The Newton correction is kept in vec(kDelta) for an observer only.
  static constexpr bool kKeepDelta = !std::is_same<Observer, BdfNoObserver>::value;
  const Model& m;
  const SolverOptions& opt;
  BdfScalars& s;
  V ws;  // kBdfVecCount vectors of length n, vector v starts at v * ld
  int n;
  int ld;  //!< distance between the workspace vectors (>= n, padded against 4K aliasing)

  IONFLUX_HD V vec(int v) const { return ws.sub(static_cast<index_t>(v) * ld); }
  IONFLUX_HD V phi(int j) const { return vec(kPhi0 + j); }

  // The serial team on the CPU: the vector passes eight elements at a time, as two
  // GCC/Clang vectors of four. The weighted norms of the Newton correction and of the error test are eight
  // partial sums (element k into partial k % 8, combined pairwise at the end:
  // EmulatedTeam<8>'s order): one running sum made each add wait for the previous one, a
  // chain of n adds (~3 cycles each) per norm, about a fifth of a Chen2020 step. The
  // predictor takes set_coeffs' rescaling of the differences, and the difference update
  // is one pass over all of them that also makes the next step's error weights (the same
  // sums and quotients as before: bit for bit), and where the next step rescales no
  // difference, that step's prediction too (update_and_predict_lanes). The same lane
  // arithmetic on every view (a strided view loads its lanes one by one), so a cell moved
  // between views continues bit for bit.
#if IONFLUX_BDF_LANES
  static constexpr bool kLanes = decltype(Model::team)::kWidth == 1;
  //! Elements [k, k + 4) of v (Full), or [k, k + m) and the other lanes 0.
  template <bool Full>
  static BdfLanes load_lanes(const V& v, int k, int m) {
    BdfLanes r;
    if constexpr (Full && is_contiguous_view<V>::value) {
      r = *reinterpret_cast<const BdfLanesAt*>(&v[k]);
    } else if constexpr (Full) {
      r = BdfLanes{v[k], v[k + 1], v[k + 2], v[k + 3]};
    } else {
      double t[4] = {};
      for (int l = 0; l < m; ++l) t[l] = v[k + l];
      __builtin_memcpy(&r, t, sizeof r);
    }
    return r;
  }
  template <bool Full>
  static void store_lanes(const V& v, int k, int m, const BdfLanes& r) {
    if constexpr (Full && is_contiguous_view<V>::value) {
      *reinterpret_cast<BdfLanesAt*>(&v[k]) = r;
    } else {
      double t[4];
      __builtin_memcpy(t, &r, sizeof r);
      for (int l = 0; l < (Full ? 4 : m); ++l) v[k + l] = t[l];
    }
  }
  //! body(full, half, k, m) over the elements in blocks of eight, each as two vectors of
  //! four (half 0: elements [k, k + 4) of the block, half 1: the next four; full:
  //! std::true_type with m = 4, else std::false_type with the m < 4 elements left), so
  //! that a sum's element k goes into partial k % 8 (half k / 4 % 2, lane k % 4).
  template <class F>
  void for_lanes(F&& body) const {
    using H0 = std::integral_constant<int, 0>;
    using H1 = std::integral_constant<int, 1>;
    int k = 0;
    for (; k + 8 <= n; k += 8) {
      body(std::true_type{}, H0{}, k, 4);
      body(std::true_type{}, H1{}, k + 4, 4);
    }
    if (k + 4 <= n) {
      body(std::true_type{}, H0{}, k, 4);
      if (k + 4 < n) body(std::false_type{}, H1{}, k + 4, n - k - 4);
    } else if (k < n) {
      body(std::false_type{}, H0{}, k, n - k);
    }
  }
  //! The partial sum of a half: a (half 0) or b (half 1).
  template <class Half>
  static BdfLanes& half_sum(Half, BdfLanes& a, BdfLanes& b) {
    if constexpr (Half::value == 0) return a;
    else return b;
  }
  //! |x| lane by lane (fabs: the sign bit cleared).
  static BdfLanes abs_lanes(const BdfLanes& x) {
    typedef long long Bits __attribute__((vector_size(4 * sizeof(long long))));
    return reinterpret_cast<BdfLanes>(reinterpret_cast<Bits>(x) & static_cast<long long>(0x7fffffffffffffffULL));
  }
  //! The eight partials p_0..p_7 (lo: p_0..p_3, hi: p_4..p_7) combined pairwise:
  //! EmulatedTeam<8>'s order.
  static double combine_lanes(const BdfLanes& lo, const BdfLanes& hi) {
    const BdfLanes q = lo + hi;  // p_l + p_{l+4}
    return (q[0] + q[2]) + (q[1] + q[3]);
  }
  //! The Newton update from x = J^-1 res (in res): del = -x sc, ee (+)= del, yy += del,
  //! yp += cj del; returns the sum of (w del)^2.
  double newton_update_lanes(double sc, double cj, bool first_iteration) const {
    const V yy = vec(kYY), yp = vec(kYP), ee = vec(kEE), res = vec(kRes), del = vec(kDelta), w = vec(kEwt);
    BdfLanes lo = {}, hi = {};
    for_lanes([&](auto full, auto half, int k, int m) {
      constexpr bool F = decltype(full)::value;
      const BdfLanes d = -load_lanes<F>(res, k, m) * sc;
      if (kKeepDelta) store_lanes<F>(del, k, m, d);
      // (never 0 * ee: ee may hold a failed attempt's NaN)
      store_lanes<F>(ee, k, m, first_iteration ? d : load_lanes<F>(ee, k, m) + d);
      store_lanes<F>(yy, k, m, load_lanes<F>(yy, k, m) + d);
      store_lanes<F>(yp, k, m, load_lanes<F>(yp, k, m) + cj * d);
      const BdfLanes x = d * load_lanes<F>(w, k, m);
      half_sum(half, lo, hi) += x * x;
    });
    return combine_lanes(lo, hi);
  }
  //! The error test's four sums of squares (orders k, k - 1, k - 2, k + 1).
  void error_sums_lanes(const V& ee, const V& w, const V& pk, const V& pkm1, const V& pkp1, bool want_p1,
                        double (&acc)[4]) const {
    BdfLanes a0 = {}, a1 = {}, a2 = {}, a3 = {}, b0 = {}, b1 = {}, b2 = {}, b3 = {};
    for_lanes([&](auto full, auto half, int k, int m) {
      constexpr bool F = decltype(full)::value;
      const BdfLanes wk = load_lanes<F>(w, k, m), e = load_lanes<F>(ee, k, m), p = load_lanes<F>(pk, k, m);
      const BdfLanes a = e * wk, b = (e + p) * wk, c = (e + p + load_lanes<F>(pkm1, k, m)) * wk;
      half_sum(half, a0, b0) += a * a;
      half_sum(half, a1, b1) += b * b;
      half_sum(half, a2, b2) += c * c;
      if (want_p1) {
        const BdfLanes d = (e - load_lanes<F>(pkp1, k, m)) * wk;
        half_sum(half, a3, b3) += d * d;
      }
    });
    acc[0] = combine_lanes(a0, b0);
    acc[1] = combine_lanes(a1, b1);
    acc[2] = combine_lanes(a2, b2);
    acc[3] = combine_lanes(a3, b3);
  }
  //! The predictor of order K at elements [k, k + m) from the differences p_0..p_K:
  //! yy = sum_j p_j, yp = sum_j g_j p_j (the arithmetic of predict_raw).
  template <int K, bool F>
  static void predictor_lanes(const BdfLanes* p, const double* g, const V& yy, const V& yp, int k, int m) {
    BdfLanes a = p[0] + p[1], c = g[1] * p[1];
#pragma GCC unroll 6
    for (int j = 2; j <= K; ++j) {
      a += p[j];
      c += g[j] * p[j];
    }
    store_lanes<F>(yy, k, m, a);
    store_lanes<F>(yp, k, m, c);
  }
  //! The predictor in one pass, with set_coeffs' rescaling of phi_j (ns <= j <= K, by
  //! beta_j where it is not 1) done as the pass reads phi_j: yy = sum_j phi_j,
  //! yp = sum_j gamma_j phi_j (the arithmetic of predict_raw).
  template <int K>
  void predict_lanes() const {
    const V yy = vec(kYY), yp = vec(kYP);
    V ph[K + 1];
    double g[K + 1], b[K + 1];
    int scaled = 0;  // bit j: phi_j is rescaled
    for (int j = 0; j <= K; ++j) {
      ph[j] = phi(j);
      g[j] = s.gamma[j];
      b[j] = s.beta[j];
      if (j >= s.ns && b[j] != 1.0) scaled |= 1 << j;
    }
    for_lanes([&](auto full, auto, int k, int m) {
      constexpr bool F = decltype(full)::value;
      BdfLanes p[K + 1];
#pragma GCC unroll 6
      for (int j = 0; j <= K; ++j) {
        p[j] = load_lanes<F>(ph[j], k, m);
        if (scaled & (1 << j)) {
          p[j] *= b[j];
          store_lanes<F>(ph[j], k, m, p[j]);
        }
      }
      predictor_lanes<K, F>(p, g, yy, yp, k, m);
    });
  }
  //! f(std::integral_constant<int, k>) for the order k (1..5; more: 5).
  template <class F>
  static void with_order(int k, F&& f) {
    switch (k) {
      case 1: f(std::integral_constant<int, 1>{}); break;
      case 2: f(std::integral_constant<int, 2>{}); break;
      case 3: f(std::integral_constant<int, 3>{}); break;
      case 4: f(std::integral_constant<int, 4>{}); break;
      default: f(std::integral_constant<int, 5>{}); break;
    }
  }
  void predict_lanes_any() const {
    with_order(s.kk, [&](auto k) { predict_lanes<decltype(k)::value>(); });
  }
  //! update_differences in one pass: phi_{K+1} = ee, phi_K += ee, phi_j += phi_{j+1};
  //! and set_weights' error weights from the new phi_0 as the pass makes it (the same
  //! arithmetic: bit for bit). With P > 0, also the next step's prediction of order P
  //! from the new differences, by predict_lanes' arithmetic with the gammas g (only where
  //! that step rescales none of them: update_and_predict_lanes).
  template <int K, int P = 0>
  void update_differences_lanes(const double* g = nullptr) const {
    static_assert(P <= K + 1 && P <= kBdfMaxOrder, "the prediction reads the differences just made");
    const V ee = vec(kEE), w = vec(kEwt), ref = vec(kTolRef), ab = vec(kTolAbs), yy = vec(kYY), yp = vec(kYP);
    const double scale = weight_scale(), rtol = opt.rtol;
    V ph[K + 2];
    for (int j = 0; j <= K + 1 && j <= kBdfMaxOrder; ++j) ph[j] = phi(j);
    double gl[P + 1] = {};
    for (int j = 1; j <= P; ++j) gl[j] = g[j];
    for_lanes([&](auto full, auto, int k, int m) {
      constexpr bool F = decltype(full)::value;
      BdfLanes np[K + 2];  // the new differences
      const BdfLanes e = load_lanes<F>(ee, k, m);
      np[K + 1] = e;
      if (K < kBdfMaxOrder) store_lanes<F>(ph[K + 1], k, m, e);
      BdfLanes acc = load_lanes<F>(ph[K], k, m) + e;
      store_lanes<F>(ph[K], k, m, acc);
      np[K] = acc;
#pragma GCC unroll 6
      for (int j = K - 1; j >= 0; --j) {
        acc = load_lanes<F>(ph[j], k, m) + acc;
        store_lanes<F>(ph[j], k, m, acc);
        np[j] = acc;
      }
      const BdfLanes dev = abs_lanes(acc - load_lanes<F>(ref, k, m));
      store_lanes<F>(w, k, m, bdf_error_weight(dev, load_lanes<F>(ab, k, m), scale, rtol));
      if constexpr (P > 0) predictor_lanes<P, F>(np, gl, yy, yp, k, m);
    });
  }
  void update_differences_lanes_any(int ku) const {
    with_order(ku, [&](auto k) { update_differences_lanes<decltype(k)::value>(); });
  }
  //! complete_step's difference update, and where it can, the next step's prediction in
  //! the same pass: set_coeffs run ahead on a copy of the scalars for the new h and
  //! order; where that step rescales no difference (h unchanged for long enough, the
  //! common case), its predictor reads exactly the differences this pass makes, so the
  //! pass computes yy and yp too (predict_lanes' sums, bit for bit) and step() skips its
  //! first predict if h and the order are still those (predicted_).
  void update_and_predict_lanes() {
    const int ku = s.kused;
    const BdfScalars saved = s;
    const double ck = ck_;
    set_coeffs();
    const int kp = s.kk;
    bool scaled = false;
    for (int j = s.ns; j <= kp; ++j) scaled |= s.beta[j] != 1.0;
    double g[kBdfMaxOrder + 1];
    for (int j = 0; j <= kBdfMaxOrder; ++j) g[j] = s.gamma[j];
    s = saved;
    ck_ = ck;
    predicted_ = fuse_prediction_ && !scaled && kp >= 1 && kp <= ku + 1 && kp >= ku - 1;
    predicted_h_ = s.h;
    predicted_k_ = kp;
    if (!predicted_) {
      update_differences_lanes_any(ku);
      return;
    }
    with_order(ku, [&](auto kc) {  // (kp is K - 1, K or K + 1, within 1..5: checked above)
      constexpr int K = decltype(kc)::value;
      if constexpr (K < kBdfMaxOrder) {
        if (kp == K + 1) return update_differences_lanes<K, K + 1>(g);
      }
      if constexpr (K > 1) {
        if (kp == K - 1) return update_differences_lanes<K, K - 1>(g);
      }
      update_differences_lanes<K, K>(g);
    });
  }
#else
  static constexpr bool kLanes = false;
#endif

  IONFLUX_HD double wrms(const V& v) const {
    const V w = vec(kEwt);
    const double sum = m.team.sum(n, [&](int k) {
      const double x = v[k] * w[k];
      return x * x;
    });
    return sqrt(sum / n);
  }

  //! The weights' common factor: the RMS over the n_norm unknowns that take part.
  IONFLUX_HD double weight_scale() const { return sqrt(static_cast<double>(n) / m.n_norm()); }
  //! Error weights (bdf_error_weight) from the model's tolerances (kTolRef,
  //! kTolAbs), zero for unknowns outside the norms (abs < 0). Once per step, after the
  //! difference update (on the CPU in its pass: update_differences_lanes).
  IONFLUX_HD void set_weights(const V& y) const {
    const V w = vec(kEwt), ref = vec(kTolRef), ab = vec(kTolAbs);
    const double scale = weight_scale(), rtol = opt.rtol;
    m.team.for_each(n, [&](int k) { w[k] = bdf_error_weight(fabs(y[k] - ref[k]), ab[k], scale, rtol); });
  }

  //! Start from a consistent (y0, y'0) already stored in phi_0 and phi_1.
  IONFLUX_HD void start(double t0, double t_span) {
    s.t = t0;
    predicted_ = false;
    m.error_tolerances(opt.atol, vec(kTolRef), vec(kTolAbs));
    set_weights(phi(0));
    double h = 1e-3 * t_span;
    const double ypnorm = wrms(phi(1));
    if (ypnorm > 0.5 / h) h = 0.5 / ypnorm;
    s.h = h;
    const V p1 = phi(1), ee = vec(kEE);
    m.team.for_each(n, [&](int k) {
      p1[k] *= h;
      // The higher differences and the correction are read (for order selection) before
      // they are first written: start them at zero, whatever the memory held.
      for (int j = 2; j <= kBdfMaxOrder; ++j) phi(j)[k] = 0.0;
      ee[k] = 0.0;
    });
    s.kk = 1;
    s.kused = 0;
    s.hused = 0.0;
    s.psi[0] = h;
    s.cj = 1.0 / h;
    s.cjold = s.cj;
    s.cjlast = s.cj;
    s.cjratio = 1.0;
    s.ss = 20.0;
    s.oldnrm = 0.0;
    s.phase = 0;
    s.ns = 0;
    s.nst = s.nre = s.nsetups = s.nni = s.netf = s.ncfn = s.nst_lset = 0;
    s.jac_current = false;
    s.have_jac = false;
  }

  IONFLUX_HD void set_coeffs() {
    if (s.h != s.hused || s.kk != s.kused) s.ns = 0;
    s.ns = (s.ns + 1 < s.kused + 2) ? s.ns + 1 : s.kused + 2;
    if (s.kk + 1 >= s.ns) {
      s.beta[0] = 1.0;
      s.alpha[0] = 1.0;
      double temp1 = s.h;
      s.gamma[0] = 0.0;
      s.sigma[0] = 1.0;
      for (int i = 1; i <= s.kk; ++i) {
        const double temp2 = s.psi[i - 1];
        s.psi[i - 1] = temp1;
        s.beta[i] = s.beta[i - 1] * s.psi[i - 1] / temp2;
        temp1 = temp2 + s.h;
        s.alpha[i] = s.h / temp1;
        s.sigma[i] = i * s.sigma[i - 1] * s.alpha[i];
        s.gamma[i] = s.gamma[i - 1] + s.alpha[i - 1] / s.h;
      }
      s.psi[s.kk] = temp1;
    }
    double alphas = 0.0, alpha0 = 0.0;
    for (int i = 0; i < s.kk; ++i) {
      alphas -= 1.0 / (i + 1);
      alpha0 -= s.alpha[i];
    }
    s.cjlast = s.cj;
    s.cj = -alphas / s.h;
    ck_ = fabs(s.alpha[s.kk] + alphas - alpha0);
    if (s.alpha[s.kk] > ck_) ck_ = s.alpha[s.kk];
    if (kLanes) return;  // predict_lanes rescales as it reads
    for (int i = s.ns; i <= s.kk; ++i) {
      const V pi = phi(i);
      const double b = s.beta[i];
      if (b != 1.0) m.team.for_each(n, [&](int k) { pi[k] *= b; });
    }
  }

  // The vector loops below copy scalars into locals first (the workspace doubles
  // could otherwise alias the scalars and force reloads) and are specialised on the
  // order, so that each is one pass over memory.
  template <int K>
  IONFLUX_HD void predict_k() const {
    const V yy = vec(kYY), yp = vec(kYP);
    V ph[K + 1];
    double g[K + 1];
    for (int j = 0; j <= K; ++j) {
      ph[j] = phi(j);
      g[j] = s.gamma[j];
    }
    m.team.for_each(n, [&](int k) {
      double a = ph[0][k], b = 0.0;
      for (int j = 1; j <= K; ++j) {
        a += ph[j][k];
        b += g[j] * ph[j][k];
      }
      yy[k] = a;
      yp[k] = b;
    });
  }
  // Contiguous views: one pass per difference vector; each loop has two or three
  // streams and vectorises (a single fused pass over all streams does not: the
  // compiler cannot prove the runtime-strided streams disjoint).
  //! Single pass over restrict pointers: yy = sum_j p_j, yp = sum_j g_j p_j (j <= K).
  template <int K>
  IONFLUX_HD static void predict_raw(double* IONFLUX_RESTRICT yy, double* IONFLUX_RESTRICT yp,
                          const double* IONFLUX_RESTRICT p0, const double* IONFLUX_RESTRICT p1,
                          const double* IONFLUX_RESTRICT p2, const double* IONFLUX_RESTRICT p3,
                          const double* IONFLUX_RESTRICT p4, const double* IONFLUX_RESTRICT p5, const double* g,
                          int n) {
    const double g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4], g5 = g[5];
    for (int k = 0; k < n; ++k) {
      double a = p0[k] + p1[k], b = g1 * p1[k];
      if (K >= 2) a += p2[k], b += g2 * p2[k];
      if (K >= 3) a += p3[k], b += g3 * p3[k];
      if (K >= 4) a += p4[k], b += g4 * p4[k];
      if (K >= 5) a += p5[k], b += g5 * p5[k];
      yy[k] = a;
      yp[k] = b;
    }
  }
  IONFLUX_HD void predict_contiguous() const {
    double g[kBdfMaxOrder + 1] = {};
    for (int j = 1; j <= s.kk; ++j) g[j] = s.gamma[j];
    double* p[kBdfMaxOrder + 1];
    for (int j = 0; j <= kBdfMaxOrder; ++j) p[j] = &phi(j)[0];
    double* yy = &vec(kYY)[0];
    double* yp = &vec(kYP)[0];
    switch (s.kk) {
      case 1: predict_raw<1>(yy, yp, p[0], p[1], p[2], p[3], p[4], p[5], g, n); break;
      case 2: predict_raw<2>(yy, yp, p[0], p[1], p[2], p[3], p[4], p[5], g, n); break;
      case 3: predict_raw<3>(yy, yp, p[0], p[1], p[2], p[3], p[4], p[5], g, n); break;
      case 4: predict_raw<4>(yy, yp, p[0], p[1], p[2], p[3], p[4], p[5], g, n); break;
      default: predict_raw<5>(yy, yp, p[0], p[1], p[2], p[3], p[4], p[5], g, n); break;
    }
  }
  IONFLUX_HD void predict() const {
#if IONFLUX_BDF_LANES
    if constexpr (kLanes) {
      predict_lanes_any();
      return;
    }
#endif
    if constexpr (kContiguous) {
      predict_contiguous();
      return;
    }
    switch (s.kk) {
      case 1: predict_k<1>(); break;
      case 2: predict_k<2>(); break;
      case 3: predict_k<3>(); break;
      case 4: predict_k<4>(); break;
      default: predict_k<5>(); break;
    }
  }

  //! phi_{K+1} = ee (if K < max order), phi_K += ee, phi_j += phi_{j+1} for j < K.
  template <int K>
  IONFLUX_HD void update_differences_k() const {
    const V ee = vec(kEE);
    V ph[K + 2];
    for (int j = 0; j <= K + 1 && j <= kBdfMaxOrder; ++j) ph[j] = phi(j);
    m.team.for_each(n, [&](int k) {
      const double e = ee[k];
      if (K < kBdfMaxOrder) ph[K + 1][k] = e;
      double acc = ph[K][k] + e;
      ph[K][k] = acc;
      for (int j = K - 1; j >= 0; --j) {
        acc += ph[j][k];
        ph[j][k] = acc;
      }
    });
  }
  IONFLUX_HD void update_differences_contiguous(int ku) const {
    const int nn = n;
    const double* IONFLUX_RESTRICT ee = &vec(kEE)[0];
    if (ku < kBdfMaxOrder) {
      double* IONFLUX_RESTRICT pn = &phi(ku + 1)[0];
      for (int k = 0; k < nn; ++k) pn[k] = ee[k];
    }
    {
      double* IONFLUX_RESTRICT pk = &phi(ku)[0];
      for (int k = 0; k < nn; ++k) pk[k] += ee[k];
    }
    for (int j = ku - 1; j >= 0; --j) {
      double* IONFLUX_RESTRICT pj = &phi(j)[0];
      const double* IONFLUX_RESTRICT pj1 = &phi(j + 1)[0];
      for (int k = 0; k < nn; ++k) pj[k] += pj1[k];
    }
  }
  IONFLUX_HD void update_differences(int ku) const {
#if IONFLUX_BDF_LANES
    if constexpr (kLanes) {
      update_differences_lanes_any(ku);
      return;
    }
#endif
    if constexpr (kContiguous) {
      update_differences_contiguous(ku);
      return;
    }
    switch (ku) {
      case 1: update_differences_k<1>(); break;
      case 2: update_differences_k<2>(); break;
      case 3: update_differences_k<3>(); break;
      case 4: update_differences_k<4>(); break;
      default: update_differences_k<5>(); break;
    }
  }

  //! Newton iteration at t + h. Returns 0 on convergence, 1 recoverable failure, 2 setup failure.
  IONFLUX_HD int newton(bool force_setup, bool full = false) {
    const V yy = vec(kYY), yp = vec(kYP), ee = vec(kEE), del = vec(kDelta), res = vec(kRes);
    const double tn1 = s.t + s.h;
    bool do_setup = force_setup || !s.have_jac;
    s.cjratio = s.cj / s.cjold;
    const double lo = (1.0 - 0.25) / (1.0 + 0.25);
    if (s.cjratio < lo || s.cjratio > 1.0 / lo) do_setup = true;
    if (opt.max_steps_between_setups > 0 && s.nst >= s.nst_lset + opt.max_steps_between_setups) do_setup = true;
    if (s.cj != s.cjlast) s.ss = 100.0;
    const int nn = n;
    m.residual(tn1, yy, yp, res);
    ++s.nre;
    if (do_setup) {
      ++s.nsetups;
      s.nst_lset = s.nst;
      s.jac_current = true;
      s.have_jac = m.setup(tn1, yy, yp, res, s.cj);
      if (!s.have_jac) return 2;
      s.cjold = s.cj;
      s.cjratio = 1.0;
      s.ss = 20.0;
    }
    for (int it = 0; it < opt.max_newton_iters; ++it) {
      ++s.nni;
      // J^-1 res in place, negated in the update pass: the solve only adds, multiplies
      // and divides, so J^-1 (-res) = -(J^-1 res) bit for bit, and the copy del = -res is
      // one pass fewer per iteration.
      m.solve(res);
      // IDA scales the correction when cj moved since the matrix was built.
      const double sc = (s.cjratio != 1.0) ? 2.0 / (1.0 + s.cjratio) : 1.0;
      const double cj = s.cj;
      const V w = vec(kEwt);
      const bool first_iteration = it == 0;  // ee starts at zero each step
      double sum;
#if IONFLUX_BDF_LANES
      if constexpr (kLanes) sum = newton_update_lanes(sc, cj, first_iteration);
      else
#endif
        sum = m.team.sum(nn, [&](int k) {
          const double d = -res[k] * sc;
          if (kKeepDelta) del[k] = d;
          ee[k] = first_iteration ? d : ee[k] + d;  // (never 0 * ee: ee may hold garbage)
          yy[k] += d;
          yp[k] += cj * d;
          const double x = d * w[k];
          return x * x;
        });
      const double delnrm = sqrt(sum / nn);
      obs.newton_iterate(*this, it, delnrm);
      if (!(delnrm == delnrm) || delnrm > 1e100) return 1;  // NaN
      if (it == 0) {
        s.oldnrm = delnrm;
        if (delnrm <= 1e-4 * 1e-4 * opt.newton_tol) return 0;
      } else {
        const double rate = pow(delnrm / s.oldnrm, 1.0 / it);
        obs.newton_rate(*this, rate);
        if (rate > 0.9) return 1;
        s.ss = rate / (1.0 - rate);
      }
      if (s.ss * delnrm <= opt.newton_tol) return m.admissible(yy) ? 0 : 1;
      m.residual(tn1, yy, yp, res);
      ++s.nre;
      if (full) {  // the matrix at the new iterate
        ++s.nsetups;
        s.have_jac = m.setup(tn1, yy, yp, res, s.cj);
        if (!s.have_jac) return 2;
      }
    }
    return 1;
  }

  //! Local error test; sets knew and the error estimates of orders k-2..k+1 in one
  //! pass over the vectors.
  IONFLUX_HD bool error_test() {
    const V ee = vec(kEE), w = vec(kEwt);
    const int kk = s.kk, nn = n;
    const bool want_p1 = kk < kBdfMaxOrder;
    const V pk = phi(kk), pkm1 = phi(kk > 1 ? kk - 1 : kk), pkp1 = phi(want_p1 ? kk + 1 : kk);
    double acc[4];  // orders k, k - 1, k - 2, k + 1
#if IONFLUX_BDF_LANES
    if constexpr (kLanes) error_sums_lanes(ee, w, pk, pkm1, pkp1, want_p1, acc);
    else
#endif
    m.team.sums(nn, [&](int k, double (&a4)[4]) {
      const double wk = w[k], e = ee[k];
      const double a = e * wk, b = (e + pk[k]) * wk, c = (e + pk[k] + pkm1[k]) * wk;
      a4[0] += a * a;
      a4[1] += b * b;
      a4[2] += c * c;
      if (want_p1) {
        const double d = (e - pkp1[k]) * wk;
        a4[3] += d * d;
      }
    }, acc);
    const double sk = acc[0], skm1 = acc[1], skm2 = acc[2], skp1 = acc[3];
    const double enorm_k = sqrt(sk / n);
    err_k_ = s.sigma[kk] * enorm_k;
    err_kp1_ = sqrt(skp1 / n) / (kk + 2);
    const double terk = (kk + 1) * err_k_;
    s.knew = kk;
    err_km1_ = 0.0;
    if (kk > 1) {
      err_km1_ = s.sigma[kk - 1] * sqrt(skm1 / n);
      const double terkm1 = kk * err_km1_;
      if (kk > 2) {
        const double err_km2 = s.sigma[kk - 2] * sqrt(skm2 / n);
        const double terkm2 = (kk - 1) * err_km2;
        if ((terkm1 > terkm2 ? terkm1 : terkm2) <= terk) s.knew = kk - 1;
      } else if (terkm1 <= 0.5 * terk) {
        s.knew = kk - 1;
      }
    }
    return ck_ * enorm_k <= 1.0;
  }

  IONFLUX_HD void restore(double saved_t) {
    s.t = saved_t;
    for (int j = 1; j <= s.kk; ++j) s.psi[j - 1] = s.psi[j] - s.h;
    for (int j = s.ns; j <= s.kk; ++j) {
      const double c = 1.0 / s.beta[j];
      const V pj = phi(j);
      m.team.for_each(n, [&](int k) { pj[k] *= c; });
    }
  }

  IONFLUX_HD void complete_step() {
    ++s.nst;
    const int kdiff = s.kk - s.kused;
    s.kused = s.kk;
    s.hused = s.h;
    if (s.knew == s.kk - 1 || s.kk == kBdfMaxOrder) s.phase = 1;
    double hnew = s.h;
    if (s.phase == 0) {
      if (s.nst > 1) {
        ++s.kk;
        hnew = 2.0 * s.h;
      }
    } else {
      enum { kUnset, kLower, kMaintain, kRaise } action = kUnset;
      if (s.knew == s.kk - 1) action = kLower;
      else if (s.kk == kBdfMaxOrder) action = kMaintain;
      else if (s.kk + 1 >= s.ns || kdiff == 1) action = kMaintain;
      if (action == kUnset) {
        if (s.kk == 1) {
          action = (err_kp1_ >= 0.5 * err_k_) ? kMaintain : kRaise;
        } else {
          const double mn = err_k_ < err_kp1_ ? err_k_ : err_kp1_;
          if (err_km1_ <= mn) action = kLower;
          else if (err_k_ <= err_kp1_) action = kMaintain;
          else action = kRaise;
        }
      }
      double err_knew = err_k_;
      if (action == kRaise) {
        ++s.kk;
        err_knew = err_kp1_;
      } else if (action == kLower) {
        --s.kk;
        err_knew = err_km1_;
      }
      const double eta = pow(2.0 * err_knew + 1e-4, -1.0 / (s.kk + 1));
      if (eta >= 2.0) hnew = 2.0 * s.h;
      else if (eta <= 1.0) hnew = s.h * (eta > 0.9 ? 0.9 : (eta < 0.5 ? 0.5 : eta));
    }
    s.h = hnew;
    // One pass: save ee (for a possible order increase), update the differences,
    // and the error weights from the new solution phi_0 (on the CPU's lanes, often the
    // next step's prediction too).
#if IONFLUX_BDF_LANES
    if constexpr (kLanes) update_and_predict_lanes();
    else
#endif
      update_differences(s.kused);
    if (!kLanes) set_weights(phi(0));  // (kLanes: in the update's pass)
    s.t += s.hused;
    s.jac_current = false;
  }

  //! Cut the step by rr after a failure; at the first step phi_1 = h y'0 scales too.
  IONFLUX_HD void reduce_step(double rr) {
    s.h *= rr;
    if (s.nst == 0) {
      s.psi[0] = s.h;
      const V p1 = phi(1);
      m.team.for_each(n, [&](int k) { p1[k] *= rr; });
    }
  }

  //! Take one successful step. Returns CellStatus::running or a failure status.
  //! Take one successful step, not past `tstop` (IDA's tstop: the step is shortened to
  //! end on it). Returns CellStatus::running or a failure status.
  IONFLUX_HD CellStatus step(double tstop) {
    if (s.t + s.h > tstop && tstop > s.t) {
      const double hnew = tstop - s.t;
      if (s.nst == 0) reduce_step(hnew / s.h);
      else s.h = hnew;
    }
    return step();
  }

  IONFLUX_HD CellStatus step() {
    int nef = 0, ncf = 0;
    bool force_setup = false, full = false, tried_full = false;
    const double t0 = s.t;
    obs.step_begin(*this);
    bool first_attempt = true;
    for (;;) {
      set_coeffs();
      // (the difference update made this prediction already: update_and_predict_lanes)
      if (!(first_attempt && predicted_ && s.h == predicted_h_ && s.kk == predicted_k_)) predict();
      first_attempt = predicted_ = false;
      const int nf = newton(force_setup, full);
      obs.newton_done(*this, force_setup, nf);
      force_setup = false;
      full = false;
      if (nf != 0) {
        restore(t0);
        if (nf == 1 && !s.jac_current) {
          force_setup = true;  // retry with a fresh matrix before cutting h
          continue;
        }
        if (nf == 1 && opt.full_newton_retry && !tried_full) {
          force_setup = full = tried_full = true;  // then with the matrix of every iterate
          continue;
        }
        ++s.ncfn;
        if (++ncf >= opt.max_convergence_failures || s.h < 1e-12 * (fabs(s.t) + 1.0)) return CellStatus::newton_failure;
        reduce_step(0.25);
        continue;
      }
      const bool error_ok = error_test();
      obs.error_test_done(*this, error_ok);
      if (!error_ok) {
        restore(t0);
        ++s.netf;
        ++nef;
        if (nef >= opt.max_error_test_failures || s.h < 1e-12 * (fabs(s.t) + 1.0))
          return CellStatus::error_test_failure;
        double rr = 0.25;
        if (nef == 1) {
          const double err_knew = (s.kk == s.knew) ? err_k_ : err_km1_;
          s.kk = s.knew;
          rr = 0.9 * pow(2.0 * err_knew + 1e-4, -1.0 / (s.kk + 1));
          rr = rr > 0.9 ? 0.9 : (rr < 0.25 ? 0.25 : rr);
        } else if (nef == 2) {
          s.kk = s.knew;
        } else {
          s.kk = 1;
        }
        reduce_step(rr);
        continue;
      }
      obs.step_accepted(*this);
      complete_step();
      return CellStatus::running;
    }
  }

  //! Interpolated y (and y') at t in [t_n - h_used, t_n], IDA's IDAGetSolution:
  //! y(t) = phi_0 + sum_{j=1..kord} coef[j] phi_j; the coefficients, the same for every
  //! component, into coef[1..kord]; returns kord.
  IONFLUX_HD int interp_coefficients(double t, double* coef) const {
    const double delt = t - s.t;
    double c = 1.0, gam = delt / s.psi[0];
    const int kord = s.kused == 0 ? 1 : s.kused;
    for (int j = 1; j <= kord; ++j) {
      c *= gam;
      gam = (delt + s.psi[j - 1]) / s.psi[j];
      coef[j] = c;
    }
    return kord;
  }
  IONFLUX_HD double interp_component(int k, double t) const {
    double coef[kBdfMaxOrder + 1];
    const int kord = interp_coefficients(t, coef);
    double y = phi(0)[k];
    for (int j = 1; j <= kord; ++j) y += coef[j] * phi(j)[k];
    return y;
  }
  //! The whole interpolated vector: the coefficients once (kord divisions), then a pass per
  //! order over the components, each summed in interp_component's order (bitwise equal;
  //! issue 16: an output at every BDF step interpolates ~400 unknowns).
  IONFLUX_HD void interpolate(double t, const V& out) const {
    double coef[kBdfMaxOrder + 1];
    const int kord = interp_coefficients(t, coef);
    const V y0 = phi(0), y1 = phi(1);
    m.team.for_each(n, [&](int k) { out[k] = y0[k] + coef[1] * y1[k]; });
    for (int j = 2; j <= kord; ++j) {
      const V yj = phi(j);
      const double cj = coef[j];
      m.team.for_each(n, [&](int k) { out[k] += cj * yj[k]; });
    }
  }

  double ck_ = 1.0, err_k_ = 0.0, err_km1_ = 0.0, err_kp1_ = 0.0;
  //! yy and yp hold the prediction of a step of size predicted_h_ and order predicted_k_
  //! (update_and_predict_lanes). Not part of the resumable state: a fresh Bdf predicts.
  bool predicted_ = false;
  double predicted_h_ = 0.0;
  int predicted_k_ = 0;
  //! Whether the difference update may make the next prediction (false: every step
  //! predicts in its own pass; tests compare the two, which must agree bit for bit).
  bool fuse_prediction_ = true;
  Observer obs{};  //!< BdfNoObserver: nothing
};

}  // namespace ionflux
