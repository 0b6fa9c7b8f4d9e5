// The per-cell parameter record: plain data, built and validated on the host
// (solver/inputs/parameters.cpp), read by the kernels. Every value is SI.
#pragma once

#include "../common.hpp"
#include "degradation.hpp"

namespace ionflux {

struct UserFunction;  // user_function.hpp

//! Which closed form a parameter function uses. `constant` means the value p[0].
//! The shipped sets' functions are listed here; their formulas live in functions.hpp.
// Eight bytes, as the double after it in FunctionRef: no padding bytes in a FunctionRef (and so
// in a CellParams), which sweeps compare byte for byte (solver/problem/sweep_plan.cpp,
// same_cell): a padding hole holds whatever the stack held (tests/check_no_padding.sh).
enum class FunctionId : long long {
  constant = 0,
  // Open-circuit potentials U_ref(sto) [V]
  graphite_lgm50_ocp_chen2020,
  nmc_lgm50_ocp_chen2020,
  graphite_mcmb2528_ocp_dualfoil1998,
  lico2_ocp_dualfoil1998,
  // Entropic change dU/dT(sto) [V/K]
  graphite_entropic_change_moura2016,
  lico2_entropic_change_moura2016,
  // Exchange-current density m_ref * arrhenius(E_r) * c_e^0.5 c_s^0.5 (c_max-c_s)^0.5,
  // p[0] = m_ref, p[1] = E_r [J/mol].
  exchange_current_sqrt_arrhenius,
  // Arrhenius-only diffusivity, p[0] = D_ref, p[1] = E_a [J/mol].
  arrhenius,
  // Electrolyte transport
  electrolyte_diffusivity_nyman2008,
  electrolyte_conductivity_nyman2008,
  electrolyte_diffusivity_capiglia1999,
  electrolyte_conductivity_capiglia1999,
  // Degradation (degradation_functions.hpp; PyBaMM's OKane2022.py and Ai2020.py):
  // F k c_e and F k c_Li, p[0] = "Lithium plating kinetic rate constant [m.s-1]"
  plating_j0_okane2020,
  stripping_j0_okane2020,
  // gamma0 L_sei0 / L_sei, p[0] = "Dead lithium decay constant [s-1]", p[1] = "Initial SEI thickness [m]"
  dead_lithium_okane2022,
  // graphite_volume_change_Ai2020(sto), a polynomial of degree 9
  graphite_volume_change_ai2020,
  // Omega c_max sto (OKane2022's volume_change_Ai2020, Ai2020's lico2_volume_change_Ai2020),
  // p[0] = partial molar volume [m3/mol], p[1] = maximum concentration [mol/m3]
  volume_change_linear_ai2020,
  // k_cr exp(E/R (1/T - 1/298.15)) (note the sign: PyBaMM's cracking_rate_Ai2020),
  // p[0] = k_cr, p[1] = activation energy for cracking rate [J/mol]
  cracking_rate_ai2020,
  // A user function (table or expression, user_function.hpp) at FunctionRef::user.
  user,
};

//! A parameter function: which form and its coefficients, or the user function it
//! points to (id == user; the record outlives every CellParams that refers to it).
struct FunctionRef {
  FunctionId id = FunctionId::constant;
  double p[2] = {0.0, 0.0};
  const UserFunction* user = nullptr;
};

//! One electrode's parameters.
struct ElectrodeParams {
  double thickness;           //!< [m]
  double porosity;            //!< electrolyte volume fraction [-]
  double active_fraction;     //!< active material volume fraction [-]
  double particle_radius;     //!< [m]
  double bruggeman_e;         //!< Bruggeman coefficient (electrolyte) [-]
  double bruggeman_s;         //!< Bruggeman coefficient (electrode) [-]
  double conductivity;        //!< solid conductivity sigma [S/m] (at the cell temperature when isothermal)
  double c_max;               //!< maximum particle concentration [mol/m3]
  double c_init;              //!< initial particle concentration [mol/m3]
  FunctionRef ocp;            //!< U_ref(sto) [V]
  FunctionRef entropic;       //!< dU/dT(sto) [V/K]
  FunctionRef exchange;       //!< j0(c_e, c_s_surf, c_max, T) [A/m2]
  FunctionRef diffusivity;    //!< D_s(sto, T) [m2/s]
  //! sigma(T) [S/m] where the cell temperature varies (lumped thermal) and sigma is a
  //! function of T; otherwise constant, and `conductivity` holds its value.
  FunctionRef conductivity_t;
  // Derived by derive(): not inputs.
  double tor;                 //!< porosity^bruggeman_e
  double a;                   //!< surface area per volume 3 eps_s / R [1/m]
  double solid_tor;           //!< (1 - porosity)^bruggeman_s
  double sigma_eff;           //!< conductivity solid_tor [S/m]
};

//! Degradation parameters of one electrode (PyBaMM's names with "Negative"/"Positive"
//! prefixes; reference pybamm-degradation.md sections 6, 7, 10). Read only by the
//! submodels that ModelOptions switches on; zero otherwise.
struct ElectrodeDegradation {
  // Particle mechanics (section 6)
  double poisson_ratio;              //!< "... electrode Poisson's ratio"
  FunctionRef young_modulus;         //!< "... electrode Young's modulus [Pa]"(sto, T)
  FunctionRef partial_molar_volume;  //!< "... electrode partial molar volume [m3.mol-1]"(sto, T)
  double stress_free_conc;           //!< "... electrode reference concentration for free of deformation [mol.m-3]"
  FunctionRef volume_change;         //!< "... electrode volume change"(sto)
  double crack_length0;              //!< "... electrode initial crack length [m]"
  double crack_width0;               //!< "... electrode initial crack width [m]"
  double cracks_per_area;            //!< "... electrode number of cracks per unit area [m-2]"
  double paris_b;                    //!< "... electrode Paris' law constant b"
  double paris_m;                    //!< "... electrode Paris' law constant m"
  FunctionRef cracking_rate;         //!< "... electrode cracking rate"(T)
  // Loss of active material (section 7)
  FunctionRef lam_beta;              //!< "... electrode LAM constant proportional term [s-1]"(T)
  FunctionRef lam_beta_compressive;  //!< "... proportional term (compressive) [s-1]"(T)
  FunctionRef lam_beta_tensile;      //!< "... proportional term (tensile) [s-1]"(T)
  double lam_m;                      //!< "... electrode LAM constant exponential term"
  double critical_stress;            //!< "... electrode critical stress [Pa]"
  double lam_reaction_factor;        //!< "... electrode reaction-driven LAM factor [m3.mol-1]"
  FunctionRef lam_current_rate;      //!< "... electrode current-driven LAM rate"(i, T)
};

//! Cell-wide degradation parameters (SEI, plating; sections 3, 4, 10). The SEI
//! parameters carry no electrode prefix in PyBaMM: a positive-electrode SEI shares them.
struct DegradationParams {
  // SEI
  double sei_partial_molar_volume;      //!< "SEI partial molar volume [m3.mol-1]"
  double sei_initial_thickness;         //!< "Initial SEI thickness [m]"
  double sei_cracks_initial_thickness;  //!< "Initial SEI on cracks thickness [m]"
  double sei_z;                         //!< "Ratio of lithium moles to SEI moles"
  double sei_resistivity;               //!< "SEI resistivity [Ohm.m]"
  double sei_ocp;                       //!< "SEI open-circuit potential [V]"
  double sei_activation_energy;         //!< "SEI growth activation energy [J.mol-1]"
  double sei_exchange_current;          //!< "SEI reaction exchange current density [A.m-2]"
  double sei_solvent_diffusivity;       //!< "SEI solvent diffusivity [m2.s-1]"
  double sei_bulk_solvent_conc;         //!< "Bulk solvent concentration [mol.m-3]"
  double sei_electron_conductivity;     //!< "SEI electron conductivity [S.m-1]"
  double sei_interstitial_diffusivity;  //!< "SEI lithium interstitial diffusivity [m2.s-1]"
  double sei_interstitial_conc;         //!< "Lithium interstitial reference concentration [mol.m-3]"
  double sei_ec_initial_conc;           //!< "EC initial concentration in electrolyte [mol.m-3]"
  double sei_ec_diffusivity;            //!< "EC diffusivity [m2.s-1]"
  double sei_kinetic_rate;              //!< "SEI kinetic rate constant [m.s-1]"
  double sei_transfer_coefficient;      //!< "SEI growth transfer coefficient" (asymmetric laws)
  double sei_li_ion_conductivity;       //!< "SEI lithium ion conductivity [S.m-1]" (VonKolzenberg2020)
  double sei_tunnelling_distance;       //!< "Tunneling distance for electrons [m]" (VonKolzenberg2020)
  double sei_tunnelling_barrier;        //!< "Tunneling barrier factor [m-1]" (tunnelling limited)
  // Lithium plating
  double li_partial_molar_volume;       //!< "Lithium metal partial molar volume [m3.mol-1]"
  double plated_initial_conc;           //!< "Initial plated lithium concentration [mol.m-3]"
  double plated_typical_conc;           //!< "Typical plated lithium concentration [mol.m-3]"
  double plating_transfer_coefficient;  //!< "Lithium plating transfer coefficient"
  FunctionRef plating_j0;               //!< "Exchange-current density for plating [A.m-2]"(c_e, c_Li, T)
  FunctionRef stripping_j0;             //!< "Exchange-current density for stripping [A.m-2]"(c_e, c_Li, T)
  FunctionRef dead_lithium_rate;        //!< "Dead lithium decay rate [s-1]"(L_sei)
  double thermal_expansion;             //!< "Cell thermal expansion coefficient [m.K-1]"
  ElectrodeDegradation electrode[2];    //!< negative, positive
};

struct CellParams {
  ElectrodeParams neg;
  ElectrodeParams pos;
  double sep_thickness;       //!< [m]
  double sep_porosity;        //!< [-]
  double sep_bruggeman_e;     //!< [-]
  double area;                //!< current-collector area L_y*L_z*n_parallel [m2]
  //! "Number of electrodes connected in parallel to make a cell" (PyBaMM's SEI and plating
  //! losses use L_y*L_z = area / n_parallel: inventory.hpp)
  double n_parallel = 1.0;
  double c_e_init;            //!< [mol/m3]
  FunctionRef electrolyte_diffusivity;   //!< D_e(c_e, T) [m2/s]
  FunctionRef electrolyte_conductivity;  //!< kappa_e(c_e, T) [S/m]
  FunctionRef transference;              //!< t+(c_e, T) [-]
  FunctionRef thermodynamic_factor;      //!< TDF(c_e, T) [-]
  double temperature;         //!< cell temperature (isothermal: ambient) [K]
  double t_ref;               //!< reference temperature [K]
  double current;             //!< applied current, positive on discharge [A]
  double v_min;               //!< lower voltage cut-off [V]
  double v_max;               //!< upper voltage cut-off [V]
  //! "Open-circuit voltage at 0% / 100% SOC [V]" (the eSOH limits of the summary
  //! variables, host only; NaN when the set has none)
  double ocv_soc_0, ocv_soc_100;
  double sep_tor;             //!< derived: sep_porosity^sep_bruggeman_e
  // Lumped thermal model (PyBaMM's "thermal": "lumped"); unused when thermal == 0, where
  // the cell stays at `temperature` (the ambient).
  int thermal;                //!< 0 isothermal, 1 lumped
  int reserved_thermal = 0;   //!< explicit: no padding bytes (see FunctionId)
  double t_init;              //!< initial temperature [K]
  //! Density [kg/m3] and specific heat capacity [J/(kg K)] of the five layers (negative
  //! current collector, negative electrode, separator, positive electrode, positive
  //! current collector): numbers, or user functions of T (and the layer's porosity).
  //! The heat capacity rho c_p(T) is their thickness-weighted mean (fn::heat_capacity).
  FunctionRef density[5];
  FunctionRef specific_heat[5];
  double cc_thickness[2];     //!< negative, positive current collector thickness [m]
  double cooling;             //!< h_total A_cool / V_cell [W/(K m3)]
  double stack_per_volume;    //!< n_par L_y L_z / V_cell [1/m]: stack heat per cell volume
  double cc_resistance;       //!< L_cc,n / sigma_cc,n + L_cc,p / sigma_cc,p [m2/S]
  //! Degradation parameters (read only where RunOptions::model switches a submodel on).
  DegradationParams deg;
};

//! Call f(FunctionRef&) for every parameter function of a cell (host code: the CUDA
//! launcher re-points user functions at their device copies).
template <class C, class F>
void for_each_function(C& c, F&& f) {
  for (auto* e : {&c.neg, &c.pos}) {
    f(e->ocp);
    f(e->entropic);
    f(e->exchange);
    f(e->diffusivity);
  }
  f(c.electrolyte_diffusivity);
  f(c.electrolyte_conductivity);
  f(c.transference);
  f(c.thermodynamic_factor);
  f(c.neg.conductivity_t);
  f(c.pos.conductivity_t);
  for (int k = 0; k < 5; ++k) {
    f(c.density[k]);
    f(c.specific_heat[k]);
  }
  f(c.deg.plating_j0);
  f(c.deg.stripping_j0);
  f(c.deg.dead_lithium_rate);
  for (auto* d : {&c.deg.electrode[0], &c.deg.electrode[1]}) {
    f(d->young_modulus);
    f(d->partial_molar_volume);
    f(d->volume_change);
    f(d->cracking_rate);
    f(d->lam_beta);
    f(d->lam_beta_compressive);
    f(d->lam_beta_tensile);
    f(d->lam_current_rate);
  }
}

//! Fill the derived fields (call after changing any input field).
IONFLUX_HD inline void derive(ElectrodeParams& e) {
  e.tor = pow(e.porosity, e.bruggeman_e);
  e.a = 3.0 * e.active_fraction / e.particle_radius;
  e.solid_tor = pow(1.0 - e.porosity, e.bruggeman_s);
  e.sigma_eff = e.conductivity * e.solid_tor;
}
IONFLUX_HD inline void derive(CellParams& c) {
  derive(c.neg);
  derive(c.pos);
  c.sep_tor = pow(c.sep_porosity, c.sep_bruggeman_e);
}

//! What a protocol step holds fixed.
enum class ControlMode : int { current = 0, voltage = 1, power = 2 };

//! The control at one instant: mode and set-point (A, positive on discharge; V; or W,
//! positive on discharge).
struct Drive {
  ControlMode mode = ControlMode::current;
  double value = 0.0;
};

//! Mesh: finite-volume cells per domain and per particle.
struct MeshSpec {
  int x_n = 20, x_s = 20, x_p = 20, r_n = 20, r_p = 20;
};

}  // namespace ionflux
