// Particle mechanics (swelling, cracking), stress-induced diffusion, SEI on cracks and loss
// of active material (LAM), as PyBaMM 26.10.1.1 states them: the local laws, per x node
// or per particle shell, as pure host+device templates on the scalar type T (double for
// residuals, Dual<N> for exact Jacobian entries). Nothing here knows the state layout
// except the two helpers that read one node's shells (r_average_node, surface_node).
//
// Statement: shared/reference/pybamm-degradation.md sections 3.4, 5, 6, 7; authority:
// PyBaMM's models/submodels/particle_mechanics/{base_mechanics,crack_propagation}.py,
// active_material/loss_active_material.py, interface/sei/{sei_growth,sei_thickness}.py,
// porosity/reaction_driven_porosity.py, particle/base_particle.py. Checked against PyBaMM
// on its own states in tests/unit/test_mechanics.cpp. How to wire these into the node
// residual: docs/degradation_mechanics.md.
//
// Units SI. Stress > 0 is tensile. j > 0 is anodic (deintercalation); SEI currents < 0.
#pragma once

#include "degradation.hpp"
#include "dual.hpp"
#include "functions.hpp"
#include "layout.hpp"

#include "degradation_functions.hpp"

namespace ionflux {
// side_reactions.hpp (and through it dfn.hpp and inventory.hpp) include this header: the
// node rows call the laws below. So the kernel functions used here are declared, and
// their headers are included at the end for the definitions (when this header comes
// first).
IONFLUX_HD inline double shell_weight(int k, int nr);  // inventory.hpp
namespace dfn {
IONFLUX_HD inline double surface_weight_outer();
IONFLUX_HD inline double surface_weight_inner();
template <class V>
IONFLUX_HD inline double surface_concentration(const Layout& l, const V& y, int i);
}  // namespace dfn
namespace mech {

constexpr double kPi = 3.14159265358979323846;

// ---------------------------------------------------------------------------------------
// Parameter functions of the degradation submodels: the evaluators of
// kernels/model/degradation_functions.hpp (fn::); two of them under the names the laws below use.
// ---------------------------------------------------------------------------------------

//! "{Domain} electrode cracking rate"(T): k_cr of the Paris law below.
IONFLUX_HD inline double crack_rate_constant(const ElectrodeDegradation& d, double temp) {
  return fn::cracking_rate(d, temp);
}
//! "{Domain} electrode LAM constant proportional term [s-1]"(T), and the "(compressive)"
//! (which = 1) and "(tensile)" (which = 2) ones.
IONFLUX_HD inline double lam_beta(const ElectrodeDegradation& d, int which, double temp) {
  return which == 1   ? fn::lam_beta_compressive(d, temp)
         : which == 2 ? fn::lam_beta_tensile(d, temp)
                      : fn::lam_beta(d, temp);
}

// ---------------------------------------------------------------------------------------
// One node's particle: r-average and surface value (reference 6.1, pybamm-dfn.md 1.5)
// ---------------------------------------------------------------------------------------
// The particle mesh (layout.hpp, dfn::shell): nr uniform shells of width R/nr, shell k
// (0 = centre) between r_k = k R/nr and r_{k+1}; its value is the cell-centre value, as
// PyBaMM's Uniform1DSubMesh + FiniteVolume. Shell k of electrode node i is state
// l.cs_index(i, k).

//! r-average of a per-shell quantity: sum_k w_k v(k), v(k) the value at shell k (a
//! concentration for c_bar, or a parameter function's value at shell k for PyBaMM's
//! r_average(Omega(sto, T)) and r_average(E(sto, T))).
template <class T, class Get>
IONFLUX_HD T r_average(int nr, Get v) {
  T s = ::ionflux::shell_weight(0, nr) * v(0);  // exact shell volumes (inventory.hpp)
  for (int k = 1; k < nr; ++k) s = s + ::ionflux::shell_weight(k, nr) * v(k);
  return s;
}
//! c_bar of electrode node i from a state vector (double).
template <class V>
IONFLUX_HD double r_average_node(const Layout& l, const V& y, int i) {
  return r_average<double>(l.nr(i), [&](int k) -> double { return y[l.cs_index(i, k)]; });
}
//! c_surf from the last two shells, with the kernel's own weights (dfn::surface_weight_*,
//! PyBaMM's linear extrapolation 1.5 c_{N-1} - 0.5 c_{N-2}): for Dual shells.
template <class T, class Get>
IONFLUX_HD T surface(int nr, Get c) {
  return dfn::surface_weight_outer() * c(nr - 1) + dfn::surface_weight_inner() * c(nr - 2);
}
//! c_surf of electrode node i from a state vector: the kernel's function itself.
template <class V>
IONFLUX_HD double surface_node(const Layout& l, const V& y, int i) {
  return dfn::surface_concentration(l, y, i);
}

// ---------------------------------------------------------------------------------------
// 6.1 Stress and displacement at the particle surface (Ai2019 eqs 7, 8, 10), per x node.
// Omega, E: the r-averages of the partial molar volume and Young's modulus over the
// node's shells (the constants themselves when constant).
// ---------------------------------------------------------------------------------------
//! sigma_t,surf = Omega E (c_bar - c_surf) / 3 / (1 - nu) [Pa] ("{Domain} particle surface
//! tangential stress [Pa]"). sigma_r,surf = 0.
template <class T>
IONFLUX_HD T tangential_stress(const T& omega, const T& young, double nu, const T& c_bar, const T& c_surf) {
  return omega * young * (c_bar - c_surf) / 3.0 / (1.0 - nu);
}
//! u_surf = Omega R (c_bar - c_0) / 3 [m] ("{Domain} particle surface displacement [m]").
template <class T>
IONFLUX_HD T surface_displacement(const T& omega, double radius, const T& c_bar, double c0) {
  return omega * radius * (c_bar - c0) / 3.0;
}
//! sigma_h = (sigma_r + 2 sigma_t) / 3 with sigma_r = 0 at the surface.
template <class T>
IONFLUX_HD T hydrostatic_stress(const T& sigma_t) {
  return (0.0 + 2.0 * sigma_t) / 3.0;
}

// ---------------------------------------------------------------------------------------
// 6.2 Crack growth ("swelling and cracking"): state l_cr per node, IC "initial crack
// length", PyBaMM scale l_cr0.
// ---------------------------------------------------------------------------------------
//! dl_cr/dt = k_cr(T) (sigma_t b sqrt(pi l_cr) H(sigma_t >= 0))^m / 3600 [m/s] ("{Domain}
//! particle cracking rate [m.s-1]"). The /3600 is PyBaMM's hard-coded "replace t0_cr";
//! compressive stress gives 0 (a hard step, value and derivative 0; PyBaMM's derivative
//! of dK^m at dK = 0 is 0 as well for m > 1).
template <class T>
IONFLUX_HD T cracking_rate(double k_cr, double paris_b, double paris_m, const T& sigma_t, const T& l_cr) {
  if (!(value_of(sigma_t) > 0.0)) return T(0.0);  // sigma_t >= 0 with sigma_t = 0 gives 0^m = 0
  const T dk = sigma_t * paris_b * ad_sqrt(kPi * l_cr);
  return k_cr * ad_pow(dk, paris_m) / 3600.0;
}

//! The crack-length termination quantity (reference 6.2, PyBaMM's event "{Domain} particle
//! crack length exceeds particle radius" with value 1 - max_x l_cr / R): its smallest value
//! over the electrodes with cracking, at state y (1 when none cracks). The run must stop
//! once it is <= 0 (the host adds the event).
template <class V>
IONFLUX_HD double crack_length_margin(const CellParams& p, const Layout& l, const V& y) {
  double m = 1.0;
  for (int i = 0; i < l.nx; ++i) {
    if (!l.electrode(i)) continue;
    const int k = l.d_index(i, kDegCrack);
    if (k < 0) continue;
    const double r = 1.0 - y[k] / (l.electrode_of(i) == 0 ? p.neg : p.pos).particle_radius;
    m = r < m ? r : m;
  }
  return m;
}

// ---------------------------------------------------------------------------------------
// 6.3 Crack surface (every mechanics option computes it; "none"/"swelling only" have
// l_cr = 0, so rho = 1 and a_cr = 0).
// ---------------------------------------------------------------------------------------
//! rho = 1 + 2 l_cr rho_cr w_cr ("{Domain} electrode roughness ratio"); rho_cr = "number
//! of cracks per unit area [m-2]", w_cr = "initial crack width [m]".
template <class T>
IONFLUX_HD T roughness(const T& l_cr, double cracks_per_area, double crack_width) {
  return 1.0 + 2.0 * l_cr * cracks_per_area * crack_width;
}
//! a_cr = (rho - 1) a [1/m] ("{Domain} crack surface to volume ratio [m-1]").
template <class T>
IONFLUX_HD T crack_area(const T& rho, const T& a) {
  return (rho - 1.0) * a;
}

// ---------------------------------------------------------------------------------------
// 6.4 Stress-induced diffusion (option "stress-induced diffusion", on by default in BOTH
// electrodes once any mechanics is on; OKane2022 raises D_p about 113x).
//
// PyBaMM (particle/base_particle.py::_get_effective_diffusivity): per shell k,
//   D_eff,k = D(c_k, T) [1 + theta_M (c_k - c_0)],
//   theta_M = (Omega / (R T)) 2 Omega E / (9 (1 - nu)),  Omega, E r-averaged per node.
// The flux N = -D_eff dc/dr is discretised as any coefficient of a gradient:
// - interior face between shells k and k+1: the harmonic mean of D_eff,k and D_eff,k+1
//   (dfn::harmonic_face with equal widths: 2 D_k D_{k+1} / (D_k + D_{k+1}));
// - the surface: the BC dc/dr(R) = -j / (F surf(D_eff)) with surf(D_eff) = 1.5 D_eff,N-1
//   - 0.5 D_eff,N-2 (linear extrapolation of the product, not D(c_surf) times the factor
//   at c_surf); the edge flux is then -surf(D_eff) dc/dr = j / F, because the boundary
//   edge's coefficient is the same extrapolation: D_eff cancels and the surface flux is
//   j/F exactly as in dfn::particle_residual. So only the interior faces see D_eff.
// Wiring: multiply each shell's D by stress_factor before dfn::particle_face_flux; the
// fast constant-D path of particle_residual does not apply when the option is on (D_eff
// depends on c even when D does not).
// ---------------------------------------------------------------------------------------
//! theta_M [m3/mol] at temperature temp (Ai2019 eq 12).
template <class T>
IONFLUX_HD T stress_theta(const T& omega, const T& young, double nu, double temp) {
  return omega / (constants::R * temp) * (2.0 * omega * young) / (9.0 * (1.0 - nu));
}
//! The factor 1 + theta_M (c - c_0) at one shell.
template <class T>
IONFLUX_HD T stress_factor(const T& theta, const T& c, double c0) {
  return 1.0 + theta * (c - c0);
}
//! D_eff at one shell ("{Domain} particle effective diffusivity [m2.s-1]"): the kernel's
//! D(c, T) (fn::particle_diffusivity, sto clipped) times the stress factor.
template <class T>
IONFLUX_HD T effective_diffusivity(const ElectrodeParams& e, const T& c, double temp, const T& theta, double c0) {
  return fn::particle_diffusivity(e, c, temp) * stress_factor(theta, c, c0);
}

// ---------------------------------------------------------------------------------------
// 7 Loss of active material: state eps_s per node (IC the parameter "active material
// volume fraction", scale 1), and a scalar "Loss of lithium due to loss of active
// material in {domain} electrode [mol]" (IC 0).
// ---------------------------------------------------------------------------------------
//! The per-node inputs of the LAM laws that are parameter values (evaluated at the
//! node's T): beta = "LAM constant proportional term [s-1]"(T), beta_c/beta_t the
//! "(compressive)"/"(tensile)" ones, m = "LAM constant exponential term", sigma_crit =
//! "critical stress [Pa]", beta_sei = "reaction-driven LAM factor [m3.mol-1]".
struct LamConstants {
  double beta, beta_c, beta_t, m, sigma_crit, beta_sei;
};
IONFLUX_HD inline LamConstants lam_constants(const ElectrodeDegradation& d, double temp) {
  return LamConstants{lam_beta(d, 0, temp), lam_beta(d, 1, temp), lam_beta(d, 2, temp), d.lam_m,
                      d.critical_stress,    d.lam_reaction_factor};
}
//! Which terms an option selects (PyBaMM tests substrings of the option's value).
IONFLUX_HD inline bool lam_has_stress(LamModel m) {
  return m == LamModel::stress_driven || m == LamModel::stress_and_reaction_driven ||
         m == LamModel::asymmetric_stress_driven || m == LamModel::asymmetric_stress_and_reaction_driven;
}
IONFLUX_HD inline bool lam_asymmetric(LamModel m) {
  return m == LamModel::asymmetric_stress_driven || m == LamModel::asymmetric_stress_and_reaction_driven;
}
IONFLUX_HD inline bool lam_has_reaction(LamModel m) {
  return m == LamModel::reaction_driven || m == LamModel::stress_and_reaction_driven ||
         m == LamModel::asymmetric_stress_and_reaction_driven;
}
IONFLUX_HD inline bool lam_has_current(LamModel m) { return m == LamModel::current_driven; }

//! (x H(x > 0) / s)^m with PyBaMM's hard step: 0 (value and derivative) unless x > 0.
template <class T>
IONFLUX_HD T tensile_power(const T& x, double s, double m) {
  if (!(value_of(x) > 0.0)) return T(0.0);
  return ad_pow(x / s, m);
}
//! Stress term: -beta ((sigma_h H(sigma_h > 0) - 0) / sigma_crit)^m.
template <class T>
IONFLUX_HD T lam_stress_term(const LamConstants& k, const T& sigma_h) {
  return -k.beta * tensile_power(sigma_h, k.sigma_crit, k.m);
}
//! Asymmetric stress term (Pannala2024): -beta_c (|sigma_h^-| / sigma_crit)^m
//! - beta_t (|sigma_h^+| / sigma_crit)^m, sigma_h^- = sigma_h H(sigma_h < 0).
template <class T>
IONFLUX_HD T lam_asymmetric_stress_term(const LamConstants& k, const T& sigma_h) {
  return -k.beta_c * tensile_power(-sigma_h, k.sigma_crit, k.m) - k.beta_t * tensile_power(sigma_h, k.sigma_crit, k.m);
}
//! Reaction term: beta_sei a j_sei / F, with a j_sei the SEI volumetric current [A/m3]
//! (the SEI's only, not SEI on cracks; < 0, so this term is < 0 for beta_sei > 0).
template <class T>
IONFLUX_HD T lam_reaction_term(const LamConstants& k, const T& a_j_sei) {
  return k.beta_sei * a_j_sei / constants::F;
}
//! d eps_s / dt [1/s] ("{Domain} electrode active material volume fraction change [s-1]"):
//! the sum of the terms `model` selects. sigma_h: hydrostatic_stress at the node;
//! a_j_sei: the SEI volumetric current at the node; current_rate: the value of
//! "{Domain} electrode current-driven LAM rate"(i, T) with i = I / A_cc the signed
//! "Total current density [A.m-2]" (positive on discharge), 0 unless current-driven.
template <class T>
IONFLUX_HD T active_material_rate(LamModel model, const LamConstants& k, const T& sigma_h, const T& a_j_sei,
                                  const T& current_rate) {
  T r(0.0);
  if (lam_has_stress(model))
    r = r + (lam_asymmetric(model) ? lam_asymmetric_stress_term(k, sigma_h) : lam_stress_term(k, sigma_h));
  if (lam_has_reaction(model)) r = r + lam_reaction_term(k, a_j_sei);
  if (lam_has_current(model)) r = r + current_rate;
  return r;
}
//! One node's share of d/dt "Loss of lithium due to loss of active material in {domain}
//! electrode [mol]" = -L_k A_cc <c_bar d eps_s/dt>_x: -A_cc dx_i c_bar_i (d eps_s/dt)_i
//! (the x-average is the midpoint sum sum_i f_i dx_i / L_k). area = A_cc =
//! CellParams::area. Summed over the electrode's nodes.
template <class T>
IONFLUX_HD T lam_lithium_rate_node(double area, double dx, const T& c_bar, const T& deps_dt) {
  return -(area * dx) * (c_bar * deps_dt);
}

// ---------------------------------------------------------------------------------------
// 3.4 SEI on cracks: state c_sei,cr per node [mol/m3 of electrode], same scale as c_sei.
// ---------------------------------------------------------------------------------------
//! a_typ = 3 <eps_s>_x / R (parameter-level: the x-average of the INITIAL active fraction).
IONFLUX_HD inline double a_typ(double eps_s_avg, double radius) { return 3.0 * eps_s_avg / radius; }
//! IC c_sei,cr(0) = L_sei,cr0 a_typ / Vbar_sei ("Initial SEI on cracks thickness [m]").
IONFLUX_HD inline double sei_cracks_initial_conc(double l_cr0_sei, double a_typ_k, double vbar) {
  return l_cr0_sei * a_typ_k / vbar;
}
//! L_sei,cr = c_sei,cr Vbar / a / (rho - 1) [m] ("{Domain} SEI on cracks thickness [m]"),
//! with the CURRENT a = 3 eps_s / R. At t = 0 this is L_sei,cr0 / (rho0 - 1) (2.62e-13 m
//! for OKane2022), not L_sei,cr0. When SEI on cracks is off PyBaMM skips the division
//! (L = c Vbar / a, and c = 0).
template <class T>
IONFLUX_HD T sei_cracks_thickness(const T& c_cr, double vbar, const T& a, const T& rho) {
  return c_cr * (vbar / a) / (rho - 1.0);
}
//! d c_sei,cr / dt = -a (rho - 1) j_sei,cr / (F z_sei) [mol/m3/s]: the SEI ODE with the
//! crack area a_cr = (rho - 1) a in place of a. j_sei,cr: the SEI rate law evaluated with
//! L = L_sei,cr (i16-core's SEI laws).
template <class T>
IONFLUX_HD T sei_cracks_conc_rate(const T& a, const T& rho, const T& j_sei_cr, double z_sei) {
  return -((a * (rho - 1.0)) * j_sei_cr / (constants::F * z_sei));
}
//! Its volumetric current a (rho - 1) j_sei,cr [A/m3]: a term of sum(aj) (reference 2.1).
template <class T>
IONFLUX_HD T sei_cracks_volumetric_current(const T& a, const T& rho, const T& j_sei_cr) {
  return a * (rho - 1.0) * j_sei_cr;
}

// ---------------------------------------------------------------------------------------
// 5 Porosity ("SEI porosity change" or "lithium plating porosity change"): algebraic in
// the film thicknesses, per electrode node; the separator's is unchanged.
// ---------------------------------------------------------------------------------------
//! eps = eps_init - a [(L_sei - L_sei,0) + L_pl + L_dead + L_sei,cr (rho - 1)].
//! l_sei0: "Initial SEI thickness [m]", or 0 where that electrode's SEI is "none";
//! L_pl, L_dead use a_typ (c Vbar_Li / a_typ), L_sei the current a (c Vbar / a).
template <class T>
IONFLUX_HD T porosity(double eps_init, const T& a, const T& l_sei, double l_sei0, const T& l_pl, const T& l_dead,
                      const T& l_sei_cr, const T& rho) {
  const T l_tot = (l_sei - l_sei0) + l_pl + l_dead + l_sei_cr * (rho - 1.0);
  return eps_init + (-a * l_tot);
}

// ---------------------------------------------------------------------------------------
// 6.1 Thickness change (outputs only; defined by PyBaMM when that electrode has any
// mechanics, and "Cell thickness change [m]" when both have).
// ---------------------------------------------------------------------------------------
//! One node's term of the electrode's volume change: eps_s (t_change(sto_rav) -
//! t_change(sto_init)), with t_change = "{Domain} electrode volume change"(sto), sto_rav =
//! c_bar / c_max and sto_init the r-average of c_init / c_max. Note PyBaMM weights both
//! with the CURRENT eps_s.
template <class T>
IONFLUX_HD T volume_change_node(const T& eps_s, const T& t_change_rav, double t_change_init) {
  return eps_s * t_change_rav - eps_s * t_change_init;
}
//! "{Domain} electrode thickness change [m]" = n_par L <volume_change_node>_x; pass the
//! x-average (sum_i f_i dx_i / L). n_par = "Number of electrodes connected in parallel to
//! make a cell".
template <class T>
IONFLUX_HD T electrode_thickness_change(double n_parallel, double thickness, const T& mean_volume_change) {
  return n_parallel * mean_volume_change * thickness;
}
//! "Cell thickness change [m]" = neg + pos + alpha_T,cell (T_xav - T_ref).
template <class T>
IONFLUX_HD T cell_thickness_change(const T& neg, const T& pos, double alpha_t, const T& t_xav, double t_ref) {
  return neg + pos + alpha_t * (t_xav - t_ref);
}

// ---------------------------------------------------------------------------------------
// Everything of one electrode node at once (for the wiring and the tests).
// ---------------------------------------------------------------------------------------
template <class T>
struct NodeMechanics {
  T c_bar, c_surf;     //!< r-average and surface concentration [mol/m3]
  T omega, young;      //!< r-averaged partial molar volume [m3/mol], Young's modulus [Pa]
  T sigma_t, sigma_h;  //!< surface tangential and hydrostatic stress [Pa]
  T u_surf;            //!< surface displacement [m]
  T theta;             //!< theta_M [m3/mol] (stress-induced diffusion)
};
//! Stress state of electrode node from its shells c(k), k = 0..nr-1 (Get: int -> T),
//! at temperature temp. Omega and E are r-averaged over the shells as PyBaMM does.
template <class T, class Get>
IONFLUX_HD NodeMechanics<T> node_mechanics(const ElectrodeParams& e, const ElectrodeDegradation& d, int nr, Get c,
                                           double temp) {
  NodeMechanics<T> m;
  m.c_bar = r_average<T>(nr, c);
  m.c_surf = surface<T>(nr, c);
  // a constant is its own r-average (PyBaMM's r_average of a broadcast scalar)
  if (d.partial_molar_volume.id == FunctionId::constant)
    m.omega = T(d.partial_molar_volume.p[0]);
  else
    m.omega = r_average<T>(nr, [&](int k) -> T { return fn::partial_molar_volume(d, T(c(k) / e.c_max), temp); });
  if (d.young_modulus.id == FunctionId::constant)
    m.young = T(d.young_modulus.p[0]);
  else
    m.young = r_average<T>(nr, [&](int k) -> T { return fn::young_modulus(d, T(c(k) / e.c_max), temp); });
  m.sigma_t = tangential_stress(m.omega, m.young, d.poisson_ratio, m.c_bar, m.c_surf);
  m.sigma_h = hydrostatic_stress(m.sigma_t);
  m.u_surf = surface_displacement(m.omega, e.particle_radius, m.c_bar, d.stress_free_conc);
  m.theta = stress_theta(m.omega, m.young, d.poisson_ratio, temp);
  return m;
}

}  // namespace mech
}  // namespace ionflux

#include "side_reactions.hpp"  // and through it inventory.hpp and dfn.hpp: the definitions declared above
