// Parameter functions of the shipped sets, and PyBaMM's wrappers around them
// (clipping, the OCP asymptotes, the regularised powers in j0). Templates on the
// scalar type so the same code yields values (double) and derivatives (Dual<N>).
// Formulas: PyBaMM 26.10 input/parameters/lithium_ion/{Chen2020,Marquis2019}.py and
// parameters/lithium_ion_parameters.py.
#pragma once

#include "cell_params.hpp"
#include "dual.hpp"
#include "pack.hpp"
#include "user_function.hpp"

namespace ionflux {
namespace fn {

//! A user function (FunctionId::user) at the given arguments. Arguments a function
//! does not take are passed as 0 (its compiled program cannot name them).
template <class T>
IONFLUX_HD T call_user(const FunctionRef& f, const T& sto, const T& c_e, const T& c_s_surf, double c_s_max,
                       double temp, double c_e_scale = 1.0, double eps = 0.0) {
  const T vars[expr::kSlots] = {sto, c_e, c_s_surf, T(c_s_max), T(temp), T(eps), T(c_e_scale)};
  return evaluate(*f.user, vars);
}

IONFLUX_HD inline double arrhenius_factor(double e_a, double t) {
  if (t == 298.15 || e_a == 0.0) return 1.0;  // exp(0), exactly (E = 0: closed_form_exchange's)
  return exp(e_a / constants::R * (1.0 / 298.15 - 1.0 / t));
}

//! PyBaMM's U_asymptote_approaching_zero: a softplus barrier (1 mV at sto = 1e-3),
//! continued linearly where exp would saturate, exactly as PyBaMM evaluates it.
template <class T>
IONFLUX_HD T ocp_barrier(const T& sto) {
  const double a = 205.0568621937484;
  const double b = 6910.192179565431;
  const double c = -7.7e-4;
  const double max_safe_exp = 36.7368005696771;  // log(2 / DBL_EPSILON)
  const double sto_limit = c - max_safe_exp / b;
  // Where exp(z) < DBL_EPSILON/2, 1 + exp(z) rounds to 1 and PyBaMM's value is exactly 0.
  if (value_of(sto) >= c + max_safe_exp / b) return T(0.0);
  const T s = ad_max(sto, sto_limit);
  const T lin = ad_min(sto - sto_limit, 0.0);
  return a * (ad_log(1.0 + ad_exp(-b * (s - c))) - b * lin);
}

//! The shipped sets' closed-form OCPs (a constant for other ids), generic in the scalar
//! type: double, Dual<N>, or Pack<G> for G points at once (ocp_points).
template <class T>
IONFLUX_HD T ocp_builtin(const FunctionRef& f, const T& x) {
  switch (f.id) {
    case FunctionId::graphite_lgm50_ocp_chen2020:
      return 1.9793 * ad_exp(-39.3631 * x) + 0.2482 - 0.0909 * ad_tanh(29.8538 * (x - 0.1234)) -
             0.04478 * ad_tanh(14.9159 * (x - 0.2769)) - 0.0205 * ad_tanh(30.4444 * (x - 0.6103));
    case FunctionId::nmc_lgm50_ocp_chen2020:
      return -0.8090 * x + 4.4875 - 0.0428 * ad_tanh(18.5138 * (x - 0.5542)) -
             17.7326 * ad_tanh(15.7890 * (x - 0.3117)) + 17.5842 * ad_tanh(15.9308 * (x - 0.3120));
    case FunctionId::graphite_mcmb2528_ocp_dualfoil1998:
      return 0.194 + 1.5 * ad_exp(-120.0 * x) + 0.0351 * ad_tanh((x - 0.286) / 0.083) -
             0.0045 * ad_tanh((x - 0.849) / 0.119) - 0.035 * ad_tanh((x - 0.9233) / 0.05) -
             0.0147 * ad_tanh((x - 0.5) / 0.034) - 0.102 * ad_tanh((x - 0.194) / 0.142) -
             0.022 * ad_tanh((x - 0.9) / 0.0164) - 0.011 * ad_tanh((x - 0.124) / 0.0226) +
             0.0155 * ad_tanh((x - 0.105) / 0.029);
    case FunctionId::lico2_ocp_dualfoil1998: {
      const T s = 1.062 * x;
      return 2.16216 + 0.07645 * ad_tanh(30.834 - 54.4806 * s) + 2.1581 * ad_tanh(52.294 - 50.294 * s) -
             0.14169 * ad_tanh(11.0923 - 19.8543 * s) + 0.2051 * ad_tanh(1.4684 - 5.4888 * s) +
             0.2531 * ad_tanh((-s + 0.56478) / 0.1316) - 0.02167 * ad_tanh((s - 0.525) / 0.006);
    }
    default:
      return T(f.p[0]);
  }
}

template <class T>
IONFLUX_HD T ocp_ref(const FunctionRef& f, const T& x) {
  if (f.id == FunctionId::user) return call_user(f, x, T(0.0), T(0.0), 0.0, 0.0);
  return ocp_builtin(f, x);
}

template <class T>
IONFLUX_HD T sech2(const T& z) {
  const T c = ad_cosh(z);
  return 1.0 / (c * c);
}

template <class T>
IONFLUX_HD T entropic_change(const FunctionRef& f, const T& x) {
  switch (f.id) {
    case FunctionId::graphite_entropic_change_moura2016: {
      const double cm = 24983.2619938437;
      return -1.5 * (120.0 / cm) * ad_exp(-120.0 * x) + (0.0351 / (0.083 * cm)) * sech2((x - 0.286) / 0.083) -
             (0.0045 / (0.119 * cm)) * sech2((x - 0.849) / 0.119) -
             (0.035 / (0.05 * cm)) * sech2((x - 0.9233) / 0.05) - (0.0147 / (0.034 * cm)) * sech2((x - 0.5) / 0.034) -
             (0.102 / (0.142 * cm)) * sech2((x - 0.194) / 0.142) - (0.022 / (0.0164 * cm)) * sech2((x - 0.9) / 0.0164) -
             (0.011 / (0.0226 * cm)) * sech2((x - 0.124) / 0.0226) + (0.0155 / (0.029 * cm)) * sech2((x - 0.105) / 0.029);
    }
    case FunctionId::lico2_entropic_change_moura2016: {
      const double cm = 51217.9257309275;
      const T s = 1.062 * x;
      return 0.07645 * (-54.4806 / cm) * sech2(30.834 - 54.4806 * s) + 2.1581 * (-50.294 / cm) * sech2(52.294 - 50.294 * s) +
             0.14169 * (19.854 / cm) * sech2(11.0923 - 19.8543 * s) - 0.2051 * (5.4888 / cm) * sech2(1.4684 - 5.4888 * s) -
             (0.2531 / 0.1316 / cm) * sech2((-s + 0.56478) / 0.1316) - (0.02167 / 0.006 / cm) * sech2((s - 0.525) / 0.006);
    }
    case FunctionId::user:
      return call_user(f, x, T(0.0), T(0.0), 0.0, 0.0);
    default:
      return T(f.p[0]);
  }
}

//! The OCP as the DFN uses it: U_ref(sto_c) + (T - T_ref) dU/dT(sto_c) + barriers(sto),
//! with sto_c = clip(sto, 1e-10, 1 - 1e-10).
template <class T>
IONFLUX_HD T ocp(const ElectrodeParams& e, const T& sto, double temp, double t_ref) {
  const T sc = ad_clip(sto, 1e-10, 1.0 - 1e-10);
  T u = ocp_ref(e.ocp, sc);
  if (temp != t_ref) u = u + (temp - t_ref) * entropic_change(e.entropic, sc);
  return u + ocp_barrier(sto) - ocp_barrier(1.0 - sto);
}

//! ocp_builtin at n <= B points x[j]: on the CPU, values in packs (Pack<16>, Pack<4>: its
//! exp and tanh for the points at once, a few ulp from the pointwise formula's).
template <int B, class T>
IONFLUX_HD void ocp_builtin_points(const FunctionRef& f, const T* x, int n, T* out) {
#ifndef __CUDA_ARCH__
  if constexpr (std::is_same<T, double>::value && B > 1) {
    for_packs(n, [&](auto g, int j, int m) {
      store_pack(out, j, m, ocp_builtin(f, load_pack<decltype(g)::value>(x, j, m)));
    });
    return;
  }
#endif
  for (int j = 0; j < n; ++j) out[j] = ocp_builtin(f, x[j]);
}

//! ocp at n <= B stoichiometries sto[j] (out[j]): a user OCP and entropic change
//! evaluated for all points at once (expr::evaluate_points, the same values as ocp's),
//! a shipped set's OCP in packs (ocp_builtin_points, within a few ulp of ocp's).
template <int B, class T>
IONFLUX_HD void ocp_points(const ElectrodeParams& e, const T* sto, int n, double temp, double t_ref, T* out) {
  T sc[B];
  for (int j = 0; j < n; ++j) sc[j] = ad_clip(sto[j], 1e-10, 1.0 - 1e-10);
  const T vars[expr::kSlots] = {T(0.0), T(0.0), T(0.0), T(0.0), T(0.0), T(0.0), T(1.0)};
  const int v_sto = static_cast<int>(expr::Var::sto);
  if (e.ocp.id == FunctionId::user) evaluate_points<B>(*e.ocp.user, vars, v_sto, sc, n, out);
  else ocp_builtin_points<B>(e.ocp, sc, n, out);
  if (temp != t_ref) {
    T ds[B];
    if (e.entropic.id == FunctionId::user) evaluate_points<B>(*e.entropic.user, vars, v_sto, sc, n, ds);
    else for (int j = 0; j < n; ++j) ds[j] = entropic_change(e.entropic, sc[j]);
    for (int j = 0; j < n; ++j) out[j] = out[j] + (temp - t_ref) * ds[j];
  }
  for (int j = 0; j < n; ++j) out[j] = out[j] + ocp_barrier(sto[j]) - ocp_barrier(1.0 - sto[j]);
}

//! PyBaMM's RegPower for a = 1/2: (x/s)((x/s)^2 + delta^2)^(-1/4) s^(1/2), delta = 1e-3.
template <class T>
IONFLUX_HD T reg_sqrt(const T& x, double scale) {
  const T xs = x / scale;
  return xs / ad_sqrt(ad_sqrt(xs * xs + 1e-6)) * sqrt(scale);
}

//! exchange_current_sqrt_arrhenius: the product of three RegPower(., 1/2) factors,
//! x_i ((x_i)^2 + delta^2)^(-1/4) sqrt(s_i) with x_i = c_i / s_i, evaluated with two
//! square roots instead of six. Its constant factor m_ref arrhenius(T) sqrt(c_e_scale)
//! c_max (one per electrode and temperature: exchange_current_points takes it once for
//! a batch), and the value at the clipped concentrations ce, cs given that factor.
IONFLUX_HD inline double exchange_current_sqrt_factor(const ElectrodeParams& e, double temp, double c_e_scale) {
  return e.exchange.p[0] * arrhenius_factor(e.exchange.p[1], temp) * sqrt(c_e_scale) * e.c_max;
}
//! Its two parts: j0 = num / den^(1/4) (exchange_current_points takes the roots of a
//! batch's den in vectors).
template <class T>
struct SqrtExchangeParts {
  T num, den;
};
template <class T>
IONFLUX_HD SqrtExchangeParts<T> exchange_current_sqrt_parts(const ElectrodeParams& e, const T& ce, const T& cs,
                                                            double c_e_scale, double factor) {
  const T x1 = ce / c_e_scale, x2 = cs / e.c_max, x3 = (e.c_max - cs) / e.c_max;
  return {factor * (x1 * x2 * x3), (x1 * x1 + 1e-6) * (x2 * x2 + 1e-6) * (x3 * x3 + 1e-6)};
}
template <class T>
IONFLUX_HD T exchange_current_sqrt_at(const ElectrodeParams& e, const T& ce, const T& cs, double c_e_scale,
                                      double factor) {
  const SqrtExchangeParts<T> q = exchange_current_sqrt_parts(e, ce, cs, c_e_scale, factor);
  return q.num / ad_sqrt(ad_sqrt(q.den));
}

//! Exchange-current density [A/m2] with PyBaMM's clipping and regularisation.
template <class T>
IONFLUX_HD T exchange_current(const ElectrodeParams& e, const T& c_e, const T& c_s_surf, double temp,
                              double c_e_scale) {
  if (e.exchange.id == FunctionId::constant) return T(e.exchange.p[0]);
  const T ce = ad_max(c_e, 0.0);
  const T cs = ad_clip(c_s_surf, 0.0, e.c_max);
  // A user function gets the clipped concentrations, as PyBaMM's j0 wrapper passes
  // them; its powers of c_e, c_s_surf and c_s_max - c_s_surf were compiled to
  // PyBaMM's regularised powers (solver/inputs/user_function.cpp).
  if (e.exchange.id == FunctionId::user) return call_user(e.exchange, T(0.0), ce, cs, e.c_max, temp, c_e_scale);
  return exchange_current_sqrt_at(e, ce, cs, c_e_scale, exchange_current_sqrt_factor(e, temp, c_e_scale));
}

//! exchange_current at n <= B points (c_e[j], c_s_surf[j]) (out[j], the same values): a
//! user function evaluated for all points at once (expr::evaluate_points).
template <int B, class T>
IONFLUX_HD void exchange_current_points(const ElectrodeParams& e, const T* c_e, const T* c_s_surf, int n, double temp,
                                        double c_e_scale, T* out) {
  if (e.exchange.id == FunctionId::constant) {
    for (int j = 0; j < n; ++j) out[j] = T(e.exchange.p[0]);
    return;
  }
  T ce[B], cs[B];
  for (int j = 0; j < n; ++j) {
    ce[j] = ad_max(c_e[j], 0.0);
    cs[j] = ad_clip(c_s_surf[j], 0.0, e.c_max);
  }
  if (e.exchange.id != FunctionId::user) {  // exchange_current_sqrt_arrhenius: its factor once
    const double factor = exchange_current_sqrt_factor(e, temp, c_e_scale);
#ifndef __CUDA_ARCH__
    if constexpr (std::is_same<T, double>::value) {
      // exchange_current_sqrt_at with its two square roots in vectors (expr::sqrt_points:
      // the same values)
      double num[B], den[B];
      for (int j = 0; j < n; ++j) {
        const SqrtExchangeParts<double> q = exchange_current_sqrt_parts(e, ce[j], cs[j], c_e_scale, factor);
        num[j] = q.num;
        den[j] = q.den;
      }
      expr::sqrt_points(den, n);
      expr::sqrt_points(den, n);
      for (int j = 0; j < n; ++j) out[j] = num[j] / den[j];
      return;
    }
#endif
    for (int j = 0; j < n; ++j) out[j] = exchange_current_sqrt_at(e, ce[j], cs[j], c_e_scale, factor);
    return;
  }
  const T vars[expr::kSlots] = {T(0.0), T(0.0), T(0.0), T(e.c_max), T(temp), T(0.0), T(c_e_scale)};
  const T* xs[expr::kSlots] = {};
  xs[static_cast<int>(expr::Var::c_e)] = ce;
  xs[static_cast<int>(expr::Var::c_s_surf)] = cs;
  const UserFunction& f = *e.exchange.user;
  expr::evaluate_points<B>(f.program, vars, xs, n, f.table.n > 0 ? &f.table : nullptr, out);
}

//! The Newton matrix's OCP and exchange current of an electrode node, each in the
//! directions it depends on: the OCP in Dual<1> (c_surf), the exchange current in
//! Dual<2> (c_e, c_surf), then lifted into directions 0 (c_e) and 3 (c_surf) of a
//! Dual<N> (the others exactly 0), not evaluated in all N directions. kinetics_seeds
//! makes the seeds (sto = c_surf / c_max), lift_kinetics lifts; kinetics_duals does both
//! for one node (the GPU's Jacobian, the degradation rows' deg::lifted_kinetics);
//! dfn::kinetics_points_jacobian evaluates a batch between the two (CPU).
IONFLUX_HD inline void kinetics_seeds(const ElectrodeParams& e, double ce, double cs, Dual<1>& sto, Dual<2>& ce2,
                                      Dual<2>& cs2) {
  ce2 = Dual<2>::variable(ce, 0);
  cs2 = Dual<2>::variable(cs, 1);
  sto = Dual<1>::variable(cs, 0) / e.c_max;
}
template <int N>
IONFLUX_HD void lift_kinetics(const Dual<1>& u1, const Dual<2>& j2, Dual<N>& u, Dual<N>& j0) {
  u = Dual<N>(u1.v);
  u.d[3] = u1.d[0];
  j0 = Dual<N>(j2.v);
  j0.d[0] = j2.d[0];
  j0.d[3] = j2.d[1];
}
template <int N>
IONFLUX_HD void kinetics_duals(const CellParams& p, const ElectrodeParams& e, double ce, double cs, double temp,
                               Dual<N>& u, Dual<N>& j0) {
  Dual<1> sto;
  Dual<2> ce2, cs2;
  kinetics_seeds(e, ce, cs, sto, ce2, cs2);
  lift_kinetics(ocp(e, sto, temp, p.t_ref), exchange_current(e, ce2, cs2, temp, p.c_e_init), u, j0);
}

//! Particle diffusivity [m2/s] at concentration c_s (sto clipped to [1e-10, 1-1e-10]).
template <class T>
IONFLUX_HD T particle_diffusivity(const ElectrodeParams& e, const T& c_s, double temp) {
  switch (e.diffusivity.id) {
    case FunctionId::arrhenius:
      return T(e.diffusivity.p[0] * arrhenius_factor(e.diffusivity.p[1], temp));
    case FunctionId::user:
      return call_user(e.diffusivity, ad_clip(c_s / e.c_max, 1e-10, 1.0 - 1e-10), T(0.0), T(0.0), e.c_max, temp);
    default:
      return T(e.diffusivity.p[0]);
  }
}

//! particle_diffusivity at n <= B concentrations c_s[j] (out[j]): a user function is
//! evaluated for all of them at once (expr::evaluate_points, equal to the pointwise
//! values), anything else point by point.
template <int B, class T>
IONFLUX_HD void particle_diffusivity_points(const ElectrodeParams& e, const T* c_s, int n, double temp, T* out) {
  if (e.diffusivity.id != FunctionId::user) {
    for (int j = 0; j < n; ++j) out[j] = particle_diffusivity(e, c_s[j], temp);
    return;
  }
  T sto[B];
  for (int j = 0; j < n; ++j) sto[j] = ad_clip(c_s[j] / e.c_max, 1e-10, 1.0 - 1e-10);
  const T vars[expr::kSlots] = {T(0.0), T(0.0), T(0.0), T(e.c_max), T(temp), T(0.0), T(1.0)};
  evaluate_points<B>(*e.diffusivity.user, vars, static_cast<int>(expr::Var::sto), sto, n, out);
}

//! Whether D_s depends on the concentration (affects the Jacobian's sparsity only).
IONFLUX_HD inline bool particle_diffusivity_is_constant(const ElectrodeParams& e) {
  if (e.diffusivity.id == FunctionId::user) return (e.diffusivity.user->program.uses & (1u << static_cast<int>(expr::Var::sto))) == 0;
  return e.diffusivity.id == FunctionId::constant || e.diffusivity.id == FunctionId::arrhenius;
}

//! Electrolyte diffusivity [m2/s], evaluated at max(c_e, 10).
template <class T>
IONFLUX_HD T electrolyte_diffusivity(const FunctionRef& f, const T& c_e, double temp) {
  if (f.id == FunctionId::user) return call_user(f, T(0.0), ad_max(c_e, 10.0), T(0.0), 0.0, temp);
  const T c = ad_max(c_e, 10.0) / 1000.0;
  switch (f.id) {
    case FunctionId::electrolyte_diffusivity_nyman2008:
      return 8.794e-11 * c * c - 3.972e-10 * c + 4.862e-10;
    case FunctionId::electrolyte_diffusivity_capiglia1999:
      return 5.34e-10 * ad_exp(-0.65 * c) * arrhenius_factor(37040.0, temp);
    default:
      return T(f.p[0]);
  }
}

//! Electrolyte conductivity [S/m], evaluated at max(c_e, 10).
template <class T>
IONFLUX_HD T electrolyte_conductivity(const FunctionRef& f, const T& c_e, double temp) {
  if (f.id == FunctionId::user) return call_user(f, T(0.0), ad_max(c_e, 10.0), T(0.0), 0.0, temp);
  const T c = ad_max(c_e, 10.0) / 1000.0;
  switch (f.id) {
    case FunctionId::electrolyte_conductivity_nyman2008:
      return 0.1297 * c * c * c - 2.51 * c * ad_sqrt(c) + 3.329 * c;
    case FunctionId::electrolyte_conductivity_capiglia1999:
      return (0.0911 + 1.9101 * c - 1.052 * c * c + 0.1554 * c * c * c) * arrhenius_factor(34700.0, temp);
    default:
      return T(f.p[0]);
  }
}

template <class T>
IONFLUX_HD T transference_number(const FunctionRef& f, const T& c_e, double temp) {
  if (f.id == FunctionId::user) return call_user(f, T(0.0), c_e, T(0.0), 0.0, temp);
  return T(f.p[0]);
}

template <class T>
IONFLUX_HD T thermodynamic_factor(const FunctionRef& f, const T& c_e, double temp) {
  if (f.id == FunctionId::user) return call_user(f, T(0.0), c_e, T(0.0), 0.0, temp);
  return T(f.p[0]);
}

//! Effective solid conductivity sigma(T) (1 - eps)^b_s [S/m] at the cell temperature:
//! from the function of T where the temperature varies (lumped thermal), else the value
//! derive() stored (isothermal cells get sigma at their temperature from the host).
IONFLUX_HD inline double sigma_eff(const ElectrodeParams& e, double temp) {
  if (e.conductivity_t.id == FunctionId::user)
    return call_user(e.conductivity_t, 0.0, 0.0, 0.0, 0.0, temp) * e.solid_tor;
  return e.sigma_eff;
}

//! A layer's density or specific heat capacity at temperature temp: a number, or a
//! user function of T and the layer's porosity eps.
IONFLUX_HD inline double thermal_property(const FunctionRef& f, double temp, double eps) {
  if (f.id == FunctionId::user) return call_user(f, 0.0, 0.0, 0.0, 0.0, temp, 1.0, eps);
  return f.p[0];
}

//! The lumped model's effective volumetric heat capacity [J/(K m3)] at temperature temp:
//! PyBaMM's rho_c_p_eff(T) (parameters/thermal_parameters.py), the thickness-weighted
//! mean of rho(T) c_p(T) over both current collectors, the electrodes and the separator.
IONFLUX_HD inline double heat_capacity(const CellParams& p, double temp) {
  const double len[5] = {p.cc_thickness[0], p.neg.thickness, p.sep_thickness, p.pos.thickness, p.cc_thickness[1]};
  const double eps[5] = {0.0, p.neg.porosity, p.sep_porosity, p.pos.porosity, 0.0};
  double sum = 0.0, total = 0.0;
  for (int k = 0; k < 5; ++k) {
    sum += thermal_property(p.density[k], temp, eps[k]) * thermal_property(p.specific_heat[k], temp, eps[k]) * len[k];
    total += len[k];
  }
  return sum / total;
}

//! chi RT/(F c_e) with c_e clipped at 1e-2, chi = 2 (1 - t+) TDF (Stefan-Maxwell).
template <class T>
IONFLUX_HD T chi_rt_over_fc(const CellParams& p, const T& c_e, double temp) {
  const T c = ad_max(c_e, 1e-2);
  const T chi = 2.0 * (1.0 - transference_number(p.transference, c, temp)) *
                thermodynamic_factor(p.thermodynamic_factor, c, temp);
  return (constants::R * temp / constants::F) * chi / c;
}

//! `pointwise(f, c[j], temp)` at n concentrations c[j] (out[j]) for the built-in form Id
//! (f.id == Id): the id a constant in the loop, so that pointwise's switch on it folds
//! away and the loop vectorises.
template <FunctionId Id, class T, class Pointwise>
IONFLUX_HD void ce_builtin_points(const FunctionRef& f, const T* c, int n, double temp, T* out, Pointwise pointwise) {
  FunctionRef fl = f;
  fl.id = Id;
  for (int j = 0; j < n; ++j) out[j] = pointwise(fl, c[j], temp);
}
//! A function of c_e (electrolyte transport) at n <= B concentrations c[j] (out[j]):
//! a user function evaluated for all of them at once (expr::evaluate_points), equal to
//! `pointwise(f, c[j], temp)`, which evaluates anything else (the electrolyte's built-in
//! forms each in its own loop, ce_builtin_points).
template <int B, class T, class Pointwise>
IONFLUX_HD void ce_function_points(const FunctionRef& f, const T* c, int n, double temp, double floor, T* out,
                                   Pointwise pointwise) {
  switch (f.id) {
    case FunctionId::user: break;
    case FunctionId::constant:
      return ce_builtin_points<FunctionId::constant>(f, c, n, temp, out, pointwise);
    case FunctionId::electrolyte_diffusivity_nyman2008:
      return ce_builtin_points<FunctionId::electrolyte_diffusivity_nyman2008>(f, c, n, temp, out, pointwise);
    case FunctionId::electrolyte_conductivity_nyman2008:
      return ce_builtin_points<FunctionId::electrolyte_conductivity_nyman2008>(f, c, n, temp, out, pointwise);
    case FunctionId::electrolyte_diffusivity_capiglia1999:
      return ce_builtin_points<FunctionId::electrolyte_diffusivity_capiglia1999>(f, c, n, temp, out, pointwise);
    case FunctionId::electrolyte_conductivity_capiglia1999:
      return ce_builtin_points<FunctionId::electrolyte_conductivity_capiglia1999>(f, c, n, temp, out, pointwise);
    default:
      for (int j = 0; j < n; ++j) out[j] = pointwise(f, c[j], temp);
      return;
  }
  T cm[B];
  for (int j = 0; j < n; ++j) cm[j] = floor > 0.0 ? ad_max(c[j], floor) : c[j];
  const T vars[expr::kSlots] = {T(0.0), T(0.0), T(0.0), T(0.0), T(temp), T(0.0), T(1.0)};
  evaluate_points<B>(*f.user, vars, static_cast<int>(expr::Var::c_e), cm, n, out);
}

//! The electrolyte transport functions at n <= B concentrations c[j], each a user
//! function evaluated for all points at once: kappa_e, chi RT/(F c), D_e, t+ (as
//! electrolyte_conductivity, chi_rt_over_fc, electrolyte_diffusivity and
//! transference_number at each point, with the same values).
template <int B, class T>
IONFLUX_HD void transport_points(const CellParams& p, const T* c, int n, double temp, T* kappa, T* chi, T* de, T* tp) {
  ce_function_points<B>(p.electrolyte_conductivity, c, n, temp, 10.0, kappa,
                        [](const FunctionRef& f, const T& x, double t) { return electrolyte_conductivity(f, x, t); });
  ce_function_points<B>(p.electrolyte_diffusivity, c, n, temp, 10.0, de,
                        [](const FunctionRef& f, const T& x, double t) { return electrolyte_diffusivity(f, x, t); });
  ce_function_points<B>(p.transference, c, n, temp, 0.0, tp,
                        [](const FunctionRef& f, const T& x, double t) { return transference_number(f, x, t); });
  // chi as chi_rt_over_fc: t+ and the thermodynamic factor at max(c_e, 1e-2)
  // (where every c[j] > 1e-2, max(c, 1e-2) is c itself and t+ there is tp: not evaluated twice)
  T cc[B], tpc[B], tdf[B];
  bool clipped = false;
  for (int j = 0; j < n; ++j) {
    cc[j] = ad_max(c[j], 1e-2);
    clipped = clipped || !(value_of(c[j]) > 1e-2);
  }
  if (clipped)
    ce_function_points<B>(p.transference, cc, n, temp, 0.0, tpc,
                          [](const FunctionRef& f, const T& x, double t) { return transference_number(f, x, t); });
  else
    for (int j = 0; j < n; ++j) tpc[j] = tp[j];
  ce_function_points<B>(p.thermodynamic_factor, cc, n, temp, 0.0, tdf,
                        [](const FunctionRef& f, const T& x, double t) { return thermodynamic_factor(f, x, t); });
  for (int j = 0; j < n; ++j) {
    const T ch = 2.0 * (1.0 - tpc[j]) * tdf[j];
    chi[j] = (constants::R * temp / constants::F) * ch / cc[j];
  }
}

}  // namespace fn
}  // namespace ionflux
