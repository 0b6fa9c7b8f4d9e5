// The electrode state of health (eSOH) of a cell at given electrode and lithium
// capacities, as PyBaMM's _ElectrodeSOH solves it (reference pybamm-degradation.md §9.3):
// the host's per-cycle summary variables (solver/output/summary.hpp) and the kernel's
// capacity termination of an experiment (CellSolver, ExperimentEnd) call the same code.
#pragma once

#include <cmath>

#include "cell_params.hpp"
#include "functions.hpp"

namespace ionflux {

//! The eSOH solution (PyBaMM's _ElectrodeSOH with "cyclable lithium capacity" known):
//! x_100 from U_p(y_100) - U_n(x_100) = V_max with y_100 = (Q_Li - x_100 Q_n) / Q_p, then x_0
//! from U_p(y_0) - U_n(x_0) = V_min with y_0 = y_100 + Q / Q_p, Q = Q_n (x_100 - x_0); the OCPs
//! at T_ref with their asymptote terms (fn::ocp). NaN where no root is bracketed.
struct Esoh {
  double x_100, y_100, x_0, y_0, un_100, up_100, un_0, up_0, capacity;
};

namespace esoh_detail {
#define IONFLUX_ESOH_NAN static_cast<double>(NAN)
constexpr double kStoLo = 1e-6, kStoHi = 1.0 - 1e-6;  // PyBaMM's eSOH search limits (functions)
IONFLUX_HD inline bool finite(double x) { return x - x == 0.0; }
IONFLUX_HD inline double esoh_min(double a, double b) { return a < b ? a : b; }
IONFLUX_HD inline double esoh_max(double a, double b) { return a > b ? a : b; }

//! Brent's root of f on [a, b] (scipy.optimize.brentq's algorithm, xtol 1e-15, rtol
//! 4 eps); NaN when f(a) and f(b) have the same sign or are not numbers.
template <class F>
IONFLUX_HD inline double brent(F f, double a, double b) {
  double fa = f(a), fb = f(b);
  if (!(finite(fa) && finite(fb))) return IONFLUX_ESOH_NAN;
  if (fa == 0.0) return a;
  if (fb == 0.0) return b;
  if ((fa > 0.0) == (fb > 0.0)) return IONFLUX_ESOH_NAN;
  const double xtol = 1e-15, rtol = 4.0 * 2.220446049250313e-16;
  double c = a, fc = fa, d = b - a, e = d;
  for (int it = 0; it < 200; ++it) {
    if ((fb > 0.0) == (fc > 0.0)) {
      c = a, fc = fa;
      d = e = b - a;
    }
    if (fabs(fc) < fabs(fb)) {
      a = b, b = c, c = a;
      fa = fb, fb = fc, fc = fa;
    }
    const double tol = 0.5 * (xtol + rtol * fabs(b)), m = 0.5 * (c - b);
    if (fabs(m) <= tol || fb == 0.0) return b;
    if (fabs(e) >= tol && fabs(fa) > fabs(fb)) {
      double p, q, r;
      const double s = fb / fa;
      if (a == c) {  // secant
        p = 2.0 * m * s;
        q = 1.0 - s;
      } else {  // inverse quadratic interpolation
        q = fa / fc;
        r = fb / fc;
        p = s * (2.0 * m * q * (q - r) - (b - a) * (r - 1.0));
        q = (q - 1.0) * (r - 1.0) * (s - 1.0);
      }
      if (p > 0.0) q = -q;
      else p = -p;
      if (2.0 * p < esoh_min(3.0 * m * q - fabs(tol * q), fabs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = m, e = m;
      }
    } else {
      d = m, e = m;
    }
    a = b, fa = fb;
    b += fabs(d) > tol ? d : (m > 0.0 ? tol : -tol);
    fb = f(b);
    if (!finite(fb)) return IONFLUX_ESOH_NAN;
  }
  return b;
}
}  // namespace esoh_detail

//! Solve the eSOH of a cell at capacities q_n, q_p, q_li [A.h] between v_min and v_max
//! [V] ("Open-circuit voltage at 0% / 100% SOC [V]"). Brent's method, to round-off, on
//! stoichiometries in [1e-6, 1 - 1e-6] (PyBaMM's search limits for OCP functions).
IONFLUX_HD inline Esoh solve_esoh(const CellParams& p, double q_n, double q_p, double q_li, double v_min, double v_max) {
  const double nan = IONFLUX_ESOH_NAN;
  Esoh r{nan, nan, nan, nan, nan, nan, nan, nan, nan};
  if (!(q_n > 0.0 && q_p > 0.0 && q_li > 0.0 && esoh_detail::finite(v_min) && esoh_detail::finite(v_max))) return r;
  const double t = p.t_ref;
  auto un = [&](double x) { return fn::ocp(p.neg, x, t, t); };
  auto up = [&](double y) { return fn::ocp(p.pos, y, t, t); };
  // 100% SOC: x_100 with y_100 = (Q_Li - x Q_n) / Q_p both inside the limits
  using esoh_detail::kStoHi;
  using esoh_detail::kStoLo;
  const double x_lo = esoh_detail::esoh_max(kStoLo, (q_li - kStoHi * q_p) / q_n);
  const double x_hi = esoh_detail::esoh_min(kStoHi, (q_li - kStoLo * q_p) / q_n);
  if (!(x_lo < x_hi)) return r;
  const double x100 = esoh_detail::brent([&](double x) { return up((q_li - x * q_n) / q_p) - un(x) - v_max; }, x_lo, x_hi);
  if (!esoh_detail::finite(x100)) return r;
  const double y100 = (q_li - x100 * q_n) / q_p;
  // 0% SOC: x_0 <= x_100 with y_0 = y_100 + Q_n (x_100 - x_0) / Q_p <= 1 - 1e-6
  const double x0_lo = esoh_detail::esoh_max(kStoLo, x100 - (kStoHi - y100) * q_p / q_n);
  const double x0 = esoh_detail::brent([&](double x) { return up(y100 + q_n * (x100 - x) / q_p) - un(x) - v_min; }, x0_lo, x100);
  r.x_100 = x100;
  r.y_100 = y100;
  r.un_100 = un(x100);
  r.up_100 = up(y100);
  if (!esoh_detail::finite(x0)) return r;
  r.x_0 = x0;
  r.capacity = q_n * (x100 - x0);
  r.y_0 = y100 + r.capacity / q_p;
  r.un_0 = un(x0);
  r.up_0 = up(r.y_0);
  return r;
}

}  // namespace ionflux
