// Evaluators of the degradation parameter functions (CellParams::deg): a constant
// (FunctionId::constant, the value p[0]), the closed forms of PyBaMM's shipped sets
// (OKane2022.py, Ai2020.py, Ecker2015.py), or a user function (expression or table in
// PyBaMM's argument names: c_e, c_Li, T for the plating exchange currents; L_sei for the
// dead-lithium rate; sto, T for the mechanics; T for the cracking rate and the LAM
// terms; i, T for the current-driven LAM rate). Host and device; templates on the
// scalar type (double or Dual<N>) where an argument is a state.
// Statement: ../shared/reference/pybamm-degradation.md sections 4, 6, 7, 10.
#pragma once

#include "cell_params.hpp"
#include "dual.hpp"
#include "user_function.hpp"

namespace ionflux {
namespace fn {

namespace detail {
//! A user function with its arguments in their expr::Var slots (the rest 0; the c_e
//! scale of regularised powers 1: degradation functions are compiled without them).
template <class T>
IONFLUX_HD T call_deg_user(const FunctionRef& f, const T& sto, const T& c_e, const T& c_li, const T& l_sei,
                           const T& i, double temp) {
  T vars[expr::kSlots];
  for (int k = 0; k < expr::kSlots; ++k) vars[k] = T(0.0);
  vars[static_cast<int>(expr::Var::sto)] = sto;
  vars[static_cast<int>(expr::Var::c_e)] = c_e;
  vars[static_cast<int>(expr::Var::T)] = T(temp);
  vars[expr::kCeScaleSlot] = T(1.0);
  vars[static_cast<int>(expr::Var::c_Li)] = c_li;
  vars[static_cast<int>(expr::Var::L_sei)] = l_sei;
  vars[static_cast<int>(expr::Var::i)] = i;
  return evaluate(*f.user, vars);
}

//! A function of temperature only: constant, the Ai2020 cracking-rate Arrhenius form,
//! or a user function of T.
IONFLUX_HD inline double of_temperature(const FunctionRef& f, double temp) {
  switch (f.id) {
    case FunctionId::cracking_rate_ai2020:
      // PyBaMM: k_cr * exp(Eac_cr / R * (1 / T - 1 / T_ref)), T_ref = 298.15 (the
      // opposite sign to the usual Arrhenius factor; OKane2022 has Eac_cr = 0).
      if (f.p[1] == 0.0) return f.p[0];
      return f.p[0] * exp(f.p[1] / constants::R * (1.0 / temp - 1.0 / 298.15));
    case FunctionId::user:
      return call_deg_user(f, 0.0, 0.0, 0.0, 0.0, 0.0, temp);
    default:
      return f.p[0];
  }
}
}  // namespace detail

//! "Exchange-current density for plating [A.m-2]"(c_e, c_Li, T), with c_e and c_Li
//! clipped at >= 0 first, as PyBaMM's j0_plating does (tolerances j0__c_e, j0__c_Li = 0;
//! reference §4.2). OKane2022: F k_pl c_e.
template <class T>
IONFLUX_HD T plating_j0(const DegradationParams& d, const T& c_e, const T& c_li, double temp) {
  const FunctionRef& f = d.plating_j0;
  switch (f.id) {
    case FunctionId::plating_j0_okane2020:
      return (constants::F * f.p[0]) * ad_max(c_e, 0.0);
    case FunctionId::stripping_j0_okane2020:
      return (constants::F * f.p[0]) * ad_max(c_li, 0.0);
    case FunctionId::user:
      return detail::call_deg_user(f, T(0.0), ad_max(c_e, 0.0), ad_max(c_li, 0.0), T(0.0), T(0.0), temp);
    default:
      return T(f.p[0]);
  }
}

//! "Exchange-current density for stripping [A.m-2]"(c_e, c_Li, T), clipped as
//! plating_j0. OKane2022: F k_pl c_Li.
template <class T>
IONFLUX_HD T stripping_j0(const DegradationParams& d, const T& c_e, const T& c_li, double temp) {
  const FunctionRef& f = d.stripping_j0;
  switch (f.id) {
    case FunctionId::plating_j0_okane2020:
      return (constants::F * f.p[0]) * ad_max(c_e, 0.0);
    case FunctionId::stripping_j0_okane2020:
      return (constants::F * f.p[0]) * ad_max(c_li, 0.0);
    case FunctionId::user:
      return detail::call_deg_user(f, T(0.0), ad_max(c_e, 0.0), ad_max(c_li, 0.0), T(0.0), T(0.0), temp);
    default:
      return T(f.p[0]);
  }
}

//! "Dead lithium decay rate [s-1]"(L_sei) at the local SEI thickness [m]. OKane2022:
//! gamma0 L_sei,0 / L_sei (infinite at L_sei = 0, as in PyBaMM: reference §1.3).
template <class T>
IONFLUX_HD T dead_lithium_rate(const DegradationParams& d, const T& l_sei) {
  const FunctionRef& f = d.dead_lithium_rate;
  switch (f.id) {
    case FunctionId::dead_lithium_okane2022:
      return (f.p[0] * f.p[1]) / l_sei;
    case FunctionId::user:
      return detail::call_deg_user(f, T(0.0), T(0.0), T(0.0), l_sei, T(0.0), 0.0);
    default:
      return T(f.p[0]);
  }
}

//! "... electrode cracking rate"(T), k_cr in dl/dt = k_cr (sigma b sqrt(pi l))^m / 3600.
IONFLUX_HD inline double cracking_rate(const ElectrodeDegradation& e, double temp) {
  return detail::of_temperature(e.cracking_rate, temp);
}
//! "... electrode LAM constant proportional term [s-1]"(T)
IONFLUX_HD inline double lam_beta(const ElectrodeDegradation& e, double temp) {
  return detail::of_temperature(e.lam_beta, temp);
}
//! "... electrode LAM constant proportional term (compressive) [s-1]"(T)
IONFLUX_HD inline double lam_beta_compressive(const ElectrodeDegradation& e, double temp) {
  return detail::of_temperature(e.lam_beta_compressive, temp);
}
//! "... electrode LAM constant proportional term (tensile) [s-1]"(T)
IONFLUX_HD inline double lam_beta_tensile(const ElectrodeDegradation& e, double temp) {
  return detail::of_temperature(e.lam_beta_tensile, temp);
}

//! "... electrode Young's modulus [Pa]"(sto, T)
template <class T>
IONFLUX_HD T young_modulus(const ElectrodeDegradation& e, const T& sto, double temp) {
  if (e.young_modulus.id == FunctionId::user)
    return detail::call_deg_user(e.young_modulus, sto, T(0.0), T(0.0), T(0.0), T(0.0), temp);
  return T(e.young_modulus.p[0]);
}

//! "... electrode partial molar volume [m3.mol-1]"(sto, T)
template <class T>
IONFLUX_HD T partial_molar_volume(const ElectrodeDegradation& e, const T& sto, double temp) {
  if (e.partial_molar_volume.id == FunctionId::user)
    return detail::call_deg_user(e.partial_molar_volume, sto, T(0.0), T(0.0), T(0.0), T(0.0), temp);
  return T(e.partial_molar_volume.p[0]);
}

//! "... electrode volume change"(sto), sto the r-averaged stoichiometry.
template <class T>
IONFLUX_HD T volume_change(const ElectrodeDegradation& e, const T& sto) {
  const FunctionRef& f = e.volume_change;
  switch (f.id) {
    case FunctionId::graphite_volume_change_ai2020: {
      // p1 sto^9 + ... + p9 sto + p10 (PyBaMM's graphite_volume_change_Ai2020), by Horner.
      const double p[10] = {145.907, -681.229, 1334.442, -1415.710, 873.906,
                            -312.528, 60.641, -5.706, 0.386, -4.966e-05};
      T r = T(p[0]);
      for (int k = 1; k < 10; ++k) r = r * sto + p[k];
      return r;
    }
    case FunctionId::volume_change_linear_ai2020:
      return (f.p[0] * f.p[1]) * sto;  // omega * c_s_max * sto
    case FunctionId::user:
      return detail::call_deg_user(f, sto, T(0.0), T(0.0), T(0.0), T(0.0), 0.0);
    default:
      return T(f.p[0]);
  }
}

//! "... electrode current-driven LAM rate"(i, T) [s-1], i = I(t)/A_cc [A/m2] (signed).
template <class T>
IONFLUX_HD T lam_current_rate(const ElectrodeDegradation& e, const T& i, double temp) {
  if (e.lam_current_rate.id == FunctionId::user)
    return detail::call_deg_user(e.lam_current_rate, T(0.0), T(0.0), T(0.0), T(0.0), i, temp);
  return T(e.lam_current_rate.p[0]);
}

}  // namespace fn
}  // namespace ionflux
