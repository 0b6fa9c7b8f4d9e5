// The degradation submodels inside one electrode node (docs/degradation.md): SEI growth,
// the SEI film overpotential, lithium plating and the porosity they take, as PyBaMM 26.10
// states them (../shared/reference/pybamm-degradation.md sections 2-5). One templated
// function gives a node's local equations, so that the residual (double) and the Newton
// matrix (Dual) come from the same code.
#pragma once

#include "degradation_functions.hpp"
#include "functions.hpp"
#include "layout.hpp"
#include "mechanics.hpp"

// The degradation paths stay out of line (host and device), so that the plain DFN's
// functions are compiled as before they existed: inlining them would change what the
// compiler inlines and contracts (FMA) in the default path, and its last bits.
#if defined(__CUDACC__)
#define IONFLUX_DEG_OUTLINE __noinline__
#elif defined(__GNUC__) || defined(__clang__)
#define IONFLUX_DEG_OUTLINE __attribute__((noinline))
#else
#define IONFLUX_DEG_OUTLINE
#endif

namespace ionflux {
namespace deg {

//! Local unknowns of an electrode node: z[0] = j (main reaction), z[1 + dslot[e][s]] the
//! node's degradation unknowns.
constexpr int kLocalMax = 1 + kDegStateCount;

//! A node's unknowns as its local equations see them (with y' where they need it).
template <class T>
struct LocalVars {
  T ce, phie, phis, csurf;        //!< node unknowns and the particle surface concentration
  T cep;                          //!< c_e' (porosity change)
  T z[kLocalMax], zp[kLocalMax];  //!< local unknowns and their y'
  // particle mechanics and LAM (docs/degradation_mechanics.md); read only when on
  T cbar;                         //!< r-averaged particle concentration [mol/m3]
  double omega, young;            //!< r-averaged partial molar volume, Young's modulus
  double i_cc;                    //!< current density I / A_cc [A/m2] (current-driven LAM)
  // the main reaction's OCP and exchange current at (c_e, c_surf), when the caller has them
  // (the residual from its kinetics phase, the Newton matrix from smaller Duals: the same
  // values and derivatives); else local_rows evaluates them
  bool kinetics = false;
  T u, j0;
};

//! A node's local equations.
template <class T>
struct LocalRows {
  T add[3];          //!< added to the node's c_e, phi_e, phi_s rows (every reaction, porosity change)
  T fz[kLocalMax];   //!< local rows: kinetics (j), then each degradation unknown's
  T eta;             //!< main-reaction overpotential, with the film term [V] (reaction heat)
  T j_sei, j_pl, l_sei, eta_film;  //!< diagnostics
  T a;                             //!< surface area per volume 3 eps_s / R [1/m]
  T lam_rate;                      //!< d eps_s / dt [1/s] (0 without LAM)
};

IONFLUX_HD inline bool sei_grows(SeiModel m) { return m != SeiModel::none && m != SeiModel::constant; }

//! Surface area per volume a = 3 eps_s / R of electrode e's node with local unknowns z:
//! eps_s the node's state under LAM (reference 7.3), else the parameter's a (= a_typ).
template <class T>
IONFLUX_HD T node_area(const CellParams& p, const Layout& l, int e, const T* z) {
  const ElectrodeParams& ep = e == 0 ? p.neg : p.pos;
  const int q = l.dslot[e][kDegEpsS];
  if (q < 0) return T(ep.a);
  return z[1 + q] * (3.0 / ep.particle_radius);
}

//! SEI thickness [m] of electrode e at a node with surface area a (reference 3.1, 3.3):
//! c_sei Vbar / a, with c_sei = L_sei,0 a_typ / Vbar for "constant" (so L_sei,0 a_typ / a:
//! LAM thickens it) and 0 for "none".
template <class T, class A>
IONFLUX_HD T sei_thickness(const CellParams& p, const Layout& l, int e, const A& a, const T* z) {
  const SeiModel m = l.model.sei[e];
  if (m == SeiModel::none) return T(0.0);
  if (m == SeiModel::constant) {
    if (l.dslot[e][kDegEpsS] < 0) return T(p.deg.sei_initial_thickness);
    return p.deg.sei_initial_thickness * ((e == 0 ? p.neg.a : p.pos.a) / a);
  }
  return z[1 + l.dslot[e][kDegSei]] * (p.deg.sei_partial_molar_volume / a);
}

//! Initial value of a degradation unknown (reference 3.1, 4.1).
IONFLUX_HD inline double initial_value(const CellParams& p, const Layout& /*l*/, int e, int s) {
  const ElectrodeParams& ep = e == 0 ? p.neg : p.pos;
  switch (s) {
    case kDegSei: return p.deg.sei_initial_thickness * ep.a / p.deg.sei_partial_molar_volume;
    case kDegPlated: return p.deg.plated_initial_conc;
    case kDegEpsS: return ep.active_fraction;
    case kDegSeiCr:  // reference 3.4: L_sei,cr0 a_typ / Vbar (so L_sei,cr(0) = L_sei,cr0 / (rho0 - 1))
      return mech::sei_cracks_initial_conc(p.deg.sei_cracks_initial_thickness, ep.a, p.deg.sei_partial_molar_volume);
    case kDegCrack: return p.deg.electrode[e].crack_length0;
    default: return 0.0;  // dead lithium; j_tot (solved by the initialisation); lithium lost with LAM
  }
}

//! Absolute-tolerance scale of a degradation unknown (PyBaMM's variable scales, 8.3).
IONFLUX_HD inline double tolerance_scale(const CellParams& p, int e, int s) {
  const ElectrodeParams& ep = e == 0 ? p.neg : p.pos;
  if (s == kDegSei || s == kDegSeiCr) return p.deg.sei_initial_thickness * ep.a / p.deg.sei_partial_molar_volume;
  if (s == kDegPlated || s == kDegDead) return p.deg.plated_typical_conc;
  if (s == kDegEpsS) return 1.0;
  // PyBaMM's scalar "Loss of lithium due to loss of active material" [mol] has scale 1:
  // 1 mol of it is 1 / (L_k A_cc) mol/m3 of our per-node unknown
  if (s == kDegLamLi) return 1.0 / (ep.thickness * p.area);
  if (s == kDegCrack) return p.deg.electrode[e].crack_length0;
  return 0.0;
}

//! The SEI laws' Arrhenius factor exp(E_sei / R (1 / T_ref - 1 / T)) at temperature temp.
IONFLUX_HD inline double sei_arrhenius(const CellParams& p, double temp) {
  return exp(p.deg.sei_activation_energy / constants::R * (1.0 / p.t_ref - 1.0 / temp));
}

//! SEI interfacial current density [A/m2] (reference 3.2), with the Arrhenius factor arr
//! (sei_arrhenius at temp: one exp for a node's SEI and SEI on cracks). j: main-reaction
//! j; l_sei: this film's thickness.
template <class T>
IONFLUX_HD T sei_current(const CellParams& p, SeiModel m, const T& dphi, const T& j, const T& l_sei, double temp,
                         double arr) {
  const DegradationParams& d = p.deg;
  const double f_rt = constants::F / (constants::R * temp);
  const double alpha = (m == SeiModel::reaction_limited_asymmetric || m == SeiModel::ec_reaction_limited_asymmetric)
                           ? d.sei_transfer_coefficient
                           : 0.5;
  const T eta = dphi - d.sei_ocp - j * l_sei * d.sei_resistivity;
  T js(0.0);
  switch (m) {
    case SeiModel::reaction_limited:
    case SeiModel::reaction_limited_asymmetric: js = -d.sei_exchange_current * ad_exp(-alpha * f_rt * eta); break;
    case SeiModel::electron_migration_limited: {
      const T eta_in = dphi - d.sei_ocp;
      js = value_of(eta_in) < 0.0 ? d.sei_electron_conductivity * eta_in / l_sei : T(0.0);
      break;
    }
    case SeiModel::tunnelling_limited:
      js = -d.sei_exchange_current * ad_exp(-alpha * f_rt * dphi) * ad_exp(-d.sei_tunnelling_barrier * l_sei);
      break;
    case SeiModel::vonkolzenberg2020: {
      const T eta_bar = f_rt * dphi;
      const T l_diff = (d.sei_interstitial_diffusivity * d.sei_interstitial_conc * constants::F / d.sei_exchange_current) *
                       ad_exp(-(1.0 - alpha) * eta_bar);
      const T l_app = value_of(l_sei) - d.sei_tunnelling_distance > 0.0 ? l_sei - d.sei_tunnelling_distance : T(0.0);
      const T abs_j = value_of(j) < 0.0 ? -j : j;
      const T l_mig = (2.0 / f_rt * d.sei_li_ion_conductivity) / (value_of(abs_j) > 1e-38 ? abs_j : T(1e-38));
      const double sign_j = value_of(j) > 0.0 ? 1.0 : -1.0;
      const T num = 1.0 - l_app / l_mig * sign_j;
      js = -d.sei_exchange_current * (num / (num + l_app / l_diff)) * ad_exp(-alpha * eta_bar);
      break;
    }
    case SeiModel::interstitial_diffusion_limited:
      js = -(d.sei_interstitial_diffusivity * d.sei_interstitial_conc * constants::F / l_sei) * ad_exp(-f_rt * dphi);
      break;
    case SeiModel::solvent_diffusion_limited:
      js = -(d.sei_solvent_diffusivity * d.sei_bulk_solvent_conc * constants::F) / l_sei;
      break;
    case SeiModel::ec_reaction_limited:
    case SeiModel::ec_reaction_limited_asymmetric: {
      const T k_exp = d.sei_kinetic_rate * ad_exp(-alpha * f_rt * eta);
      js = -constants::F * d.sei_ec_initial_conc * k_exp / (1.0 + l_sei / d.sei_ec_diffusivity * k_exp);
      break;
    }
    default: return T(0.0);
  }
  return arr * js;
}

//! Lithium plating interfacial current density [A/m2] (reference 4.2); eta_st = dphi + eta_film.
template <class T>
IONFLUX_HD T plating_current(const CellParams& p, PlatingModel m, const T& eta_st, const T& ce, const T& cpl,
                             double temp) {
  const DegradationParams& d = p.deg;
  const double f_rt = constants::F / (constants::R * temp);
  const T ce_c = ad_max(ce, 0.0), cpl_c = ad_max(cpl, 0.0);
  const double a_pl = d.plating_transfer_coefficient, a_st = 1.0 - a_pl;
  const T j0_pl = fn::plating_j0(d, ce_c, cpl_c, temp);
  const T plate = j0_pl * ad_exp(-(f_rt * a_pl) * eta_st);
  if (m == PlatingModel::irreversible) return -plate;
  if (m == PlatingModel::none) return T(0.0);
  return fn::stripping_j0(d, ce_c, cpl_c, temp) * ad_exp((f_rt * a_st) * eta_st) - plate;
}

//! Porosity of electrode e's node from its degradation unknowns (reference 5), and its time
//! derivative from zp. The value is mech::porosity (the one porosity law): eps_init -
//! a [(L_sei - L_sei,0) + L_pl + L_dead + L_sei,cr (rho - 1)], with L_sei = sei_thickness
//! (current a), L_pl, L_dead = c V_Li / a_typ, L_sei,cr (rho - 1) a = c_sei,cr Vbar. Its
//! derivative: -[a (L_sei)' + a' (L_sei - L_sei,0) + ...] written out per term with
//! a' = 3 eps_s' / R under LAM (else 0). Without the option, eps_init.
template <class T>
IONFLUX_HD T porosity(const CellParams& p, const Layout& l, int e, const T& a, const T* z, const T* zp, T* epsp) {
  const ElectrodeParams& ep = e == 0 ? p.neg : p.pos;
  if (!l.model.porosity_change) {
    if (epsp) *epsp = T(0.0);
    return T(ep.porosity);
  }
  const DegradationParams& d = p.deg;
  const int ss = l.dslot[e][kDegSei], sp = l.dslot[e][kDegPlated], sd = l.dslot[e][kDegDead];
  const int se = l.dslot[e][kDegEpsS], sc = l.dslot[e][kDegSeiCr], sk = l.dslot[e][kDegCrack];
  const T ap = se >= 0 ? zp[1 + se] * (3.0 / ep.particle_radius) : T(0.0);  // a'
  const double l0 = l.model.sei[e] == SeiModel::none ? 0.0 : d.sei_initial_thickness;
  const T l_sei = sei_thickness(p, l, e, a, z);
  const T l_pl = sp >= 0 ? z[1 + sp] * (d.li_partial_molar_volume / ep.a) : T(0.0);
  const T l_dead = sp >= 0 ? z[1 + sd] * (d.li_partial_molar_volume / ep.a) : T(0.0);
  T rho(1.0), l_cr(0.0);
  if (sc >= 0) {
    const ElectrodeDegradation& md = d.electrode[e];
    rho = mech::roughness(z[1 + sk], md.cracks_per_area, md.crack_width0);
    l_cr = mech::sei_cracks_thickness(z[1 + sc], d.sei_partial_molar_volume, a, rho);
  }
  if (epsp) {
    // a L_sei = c_sei Vbar (growing) or L_sei,0 a_typ (constant); a L_pl = (a / a_typ) c_pl V_Li
    T rate = ap * l0;
    if (ss >= 0) rate = rate - zp[1 + ss] * d.sei_partial_molar_volume;
    if (sp >= 0)
      rate = rate - (a * (zp[1 + sp] + zp[1 + sd]) + ap * (z[1 + sp] + z[1 + sd])) *
                        (d.li_partial_molar_volume / ep.a);
    if (sc >= 0) rate = rate - zp[1 + sc] * d.sei_partial_molar_volume;
    *epsp = rate;
  }
  return mech::porosity(ep.porosity, a, l_sei, l0, l_pl, l_dead, l_cr, rho);
}

//! The porosity of x node i at state y (the separator's and, without porosity change,
//! the electrodes' parameter).
template <class V>
IONFLUX_HD double node_porosity(const CellParams& p, const Layout& l, int i, const V& y) {
  const int dom = l.domain(i);
  if (dom == 1) return p.sep_porosity;
  const int e = dom == 0 ? 0 : 1;
  const ElectrodeParams& ep = e == 0 ? p.neg : p.pos;
  if (!l.model.porosity_change || l.nd[e] == 0) return ep.porosity;
  double z[kLocalMax] = {};
  const int d0 = l.d_first(i);
  for (int s = 0; s < l.nd[e]; ++s) z[1 + s] = y[d0 + s];
  return porosity<double>(p, l, e, node_area(p, l, e, z), z, z, nullptr);
}

//! The Newton matrix's kinetics inputs of local_rows (LocalVars::kinetics): the OCP (of
//! c_surf) and exchange current (of c_e and c_surf) of electrode e evaluated over their own
//! arguments and lifted to the node's directions 0 (c_e) and 3 (c_surf) (fn::kinetics_duals,
//! as the main Jacobian's; newton.hpp's assemble_local seeds them there). The values and
//! derivatives of local_rows' own evaluation in Dual<N> (to rounding), at a fraction of
//! the cost.
template <int N>
IONFLUX_HD void lifted_kinetics(const CellParams& p, int e, LocalVars<Dual<N>>& v, double temp) {
  fn::kinetics_duals(p, e == 0 ? p.neg : p.pos, v.ce.v, v.csurf.v, temp, v.u, v.j0);
  v.kinetics = true;
}

//! The local equations of electrode node i (electrode e, surface area a) at temperature
//! temp; film_avg: the "average" film overpotential -j_bar L_bar R_sei of its electrode.
template <class T>
IONFLUX_HD LocalRows<T> local_rows(const CellParams& p, const Layout& l, int i, const LocalVars<T>& v, double temp,
                                   double film_avg) {
  const int e = l.electrode_of(i);
  const ElectrodeParams& ep = e == 0 ? p.neg : p.pos;
  const T a = node_area(p, l, e, v.z);
  const ModelOptions& o = l.model;
  const DegradationParams& d = p.deg;
  const signed char* slot = l.dslot[e];
  LocalRows<T> r;
  const T j = v.z[0];
  const T dphi = v.phis - v.phie;
  const T l_sei = sei_thickness(p, l, e, a, v.z);
  // the Arrhenius factor once for the SEI and SEI on cracks (sei_current is 0 for a
  // model that does not grow, without reading it)
  const double arr = sei_grows(o.sei[e]) ? sei_arrhenius(p, temp) : 0.0;
  const T j_sei = sei_grows(o.sei[e]) ? sei_current(p, o.sei[e], dphi, j, l_sei, temp, arr) : T(0.0);
  // film overpotential of the main reaction (and of plating)
  T eta_film(0.0);
  if (o.sei_film == FilmResistance::distributed && slot[kDegJtot] >= 0)
    eta_film = -v.z[1 + slot[kDegJtot]] * l_sei * d.sei_resistivity;
  else if (o.sei_film == FilmResistance::average)
    eta_film = T(film_avg);
  const T j_pl = slot[kDegPlated] >= 0 ? plating_current(p, o.plating[e], dphi + eta_film, v.ce,
                                                          v.z[1 + slot[kDegPlated]], temp)
                                        : T(0.0);
  // main reaction (Butler-Volmer, as dfn::butler_volmer_at, with the film term)
  const T j0 = v.kinetics ? v.j0 : fn::exchange_current(ep, v.ce, v.csurf, temp, p.c_e_init);
  const T u = v.kinetics ? v.u : fn::ocp(ep, v.csurf / ep.c_max, temp, p.t_ref);
  r.eta = dphi - u + eta_film;
  r.fz[0] = j - 2.0 * j0 * ad_sinh((0.5 * constants::F / (constants::R * temp)) * r.eta);
  // the balances see every reaction (reference 2.1); porosity change (5)
  // SEI on cracks (reference 3.4): the SEI law with L = L_sei,cr on the crack area
  // a (rho - 1), rho the roughness of the node's crack length
  T j_cr(0.0), rho_m1(0.0);
  if (slot[kDegSeiCr] >= 0) {
    const ElectrodeDegradation& md = d.electrode[e];
    const T rho = mech::roughness(v.z[1 + slot[kDegCrack]], md.cracks_per_area, md.crack_width0);
    rho_m1 = rho - 1.0;
    const T l_cr = mech::sei_cracks_thickness(v.z[1 + slot[kDegSeiCr]], d.sei_partial_molar_volume, a, rho);
    j_cr = sei_current(p, o.sei[e], dphi, j, l_cr, temp, arr);
  }
  const T sum_aj = slot[kDegSeiCr] >= 0 ? a * (j + j_sei + j_pl + rho_m1 * j_cr) : a * (j + j_sei + j_pl);
  T epsp(0.0);
  const T eps = porosity(p, l, e, a, v.z, v.zp, &epsp);
  r.add[0] = -sum_aj / constants::F;
  if (o.porosity_change) r.add[0] = r.add[0] + (eps - ep.porosity) * v.cep + v.ce * epsp;
  r.add[1] = -sum_aj;
  r.add[2] = sum_aj;
  // the degradation unknowns' rows
  if (slot[kDegSei] >= 0) {
    const int q = 1 + slot[kDegSei];
    r.fz[q] = v.zp[q] + a * j_sei / (constants::F * d.sei_z);
  }
  if (slot[kDegPlated] >= 0) {
    const int qp = 1 + slot[kDegPlated], qd = 1 + slot[kDegDead];
    const T rate = -a * j_pl / constants::F;  // lithium plated per unit volume and time
    switch (o.plating[e]) {
      case PlatingModel::reversible:
        r.fz[qp] = v.zp[qp] - rate;
        r.fz[qd] = v.zp[qd];
        break;
      case PlatingModel::irreversible:
        r.fz[qp] = v.zp[qp];
        r.fz[qd] = v.zp[qd] - rate;
        break;
      default: {  // partially reversible
        const T decay = fn::dead_lithium_rate(d, l_sei) * v.z[qp];
        r.fz[qp] = v.zp[qp] - rate + decay;
        r.fz[qd] = v.zp[qd] - decay;
        break;
      }
    }
  }
  if (slot[kDegJtot] >= 0) {
    const int q = 1 + slot[kDegJtot];
    r.fz[q] = slot[kDegSeiCr] >= 0 ? v.z[q] - (j + j_sei + j_pl + rho_m1 * j_cr) : v.z[q] - (j + j_sei + j_pl);
  }
  if (slot[kDegSeiCr] >= 0) {
    const int q = 1 + slot[kDegSeiCr];
    r.fz[q] = v.zp[q] - mech::sei_cracks_conc_rate(a, rho_m1 + 1.0, j_cr, d.sei_z);
  }
  // loss of active material (reference 7): eps_s' = the selected terms; the lithium in
  // the lost material n' = -c_bar eps_s'
  r.lam_rate = T(0.0);
  if (slot[kDegEpsS] >= 0) {
    const ElectrodeDegradation& md = d.electrode[e];
    const LamModel lm = o.lam[e];
    T sigma_h(0.0);
    if (mech::lam_has_stress(lm))
      sigma_h = mech::hydrostatic_stress(mech::tangential_stress(T(v.omega), T(v.young), md.poisson_ratio, v.cbar, v.csurf));
    const T cur = mech::lam_has_current(lm) ? T(fn::lam_current_rate(md, v.i_cc, temp)) : T(0.0);
    r.lam_rate = mech::active_material_rate(lm, mech::lam_constants(md, temp), sigma_h, a * j_sei, cur);
    const int qe = 1 + slot[kDegEpsS], qn = 1 + slot[kDegLamLi];
    r.fz[qe] = v.zp[qe] - r.lam_rate;
    r.fz[qn] = v.zp[qn] + v.cbar * r.lam_rate;
  }
  // crack growth ("swelling and cracking", reference 6.2): l_cr' = Paris' law in sigma_t
  if (slot[kDegCrack] >= 0) {
    const ElectrodeDegradation& md = d.electrode[e];
    const int qc = 1 + slot[kDegCrack];
    const T sigma_t = mech::tangential_stress(T(v.omega), T(v.young), md.poisson_ratio, v.cbar, v.csurf);
    r.fz[qc] = v.zp[qc] - mech::cracking_rate(mech::crack_rate_constant(md, temp), md.paris_b, md.paris_m, sigma_t, v.z[qc]);
  }
  r.a = a;
  r.j_sei = j_sei;
  r.j_pl = j_pl;
  r.l_sei = l_sei;
  r.eta_film = eta_film;
  return r;
}

//! The "average" film overpotential of electrode e (reference 2.3): -j_bar L_bar R_sei,
//! j_bar = +-i_cell / (L_k a), L_bar the x-average of L_sei over the electrode's nodes.
template <class V>
IONFLUX_DEG_OUTLINE IONFLUX_HD double average_film(const CellParams& p, const Layout& l, int e, const V& y, double i_cell) {
  if (l.model.sei_film != FilmResistance::average || l.model.sei[e] == SeiModel::none) return 0.0;
  const ElectrodeParams& ep = e == 0 ? p.neg : p.pos;
  const int first = e == 0 ? 0 : l.nn + l.ns, cnt = e == 0 ? l.nn : l.np;
  double lsum = 0.0, asum = 0.0;
  for (int q = 0; q < cnt; ++q) {
    double z[kLocalMax] = {};
    const int d0 = l.d_first(first + q);
    for (int s = 0; s < l.nd[e]; ++s) z[1 + s] = y[d0 + s];
    const double a = node_area(p, l, e, z);
    lsum += sei_thickness<double>(p, l, e, a, z);
    asum += a;
  }
  // j_bar = +-i / (L_k a_bar), a_bar the x-average of a (the parameter's without LAM)
  const double a_bar = l.dslot[e][kDegEpsS] >= 0 ? asum / cnt : ep.a;
  const double j_bar = (e == 0 ? 1.0 : -1.0) * i_cell / (ep.thickness * a_bar);
  return -j_bar * (lsum / cnt) * p.deg.sei_resistivity;
}

}  // namespace deg
}  // namespace ionflux

// mechanics.hpp (included above) declares functions of these two (see there)
#include "inventory.hpp"
#include "dfn.hpp"
