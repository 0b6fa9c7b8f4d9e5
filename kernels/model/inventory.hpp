// A cell's lithium inventory from its state, as PyBaMM 26.10 defines it (reference
// pybamm-degradation.md §9.1, §7.3, §3.5, §4.4; PyBaMM's
// base_lithium_ion_model.py::set_degradation_variables,
// particle/total_particle_concentration.py, electrolyte_diffusion/base_electrolyte_diffusion.py,
// lithium_ion_parameters.py). Recorded by CellSolver at every protocol step end
// (StepRecord::inv) on the CPU and GPU roads alike; the host turns it into PyBaMM's
// per-cycle summary variables (solver/output/summary.hpp).
#pragma once

#include "cell_params.hpp"
#include "layout.hpp"
#include "side_reactions.hpp"

namespace ionflux {

//! The fields of an Inventory (index into Inventory::v), each with PyBaMM's name.
enum InventoryField : int {
  kInvLithiumNeg = 0,   //!< "Total lithium in negative electrode [mol]" = <eps_s c_s,r-avg>_x L_n A_cc
  kInvLithiumPos,       //!< "Total lithium in positive electrode [mol]"
  kInvLithiumElyte,     //!< "Total lithium in electrolyte [mol]" = A_cc int eps c_e dx
  kInvCapacityNeg,      //!< "Negative electrode capacity [A.h]" = <eps_s>_x L_n A_cc c_max F / 3600
  kInvCapacityPos,      //!< "Positive electrode capacity [A.h]"
  // Degradation losses [mol] (0 where the option that makes them is off):
  kInvSeiNeg,           //!< "Loss of lithium to negative SEI [mol]"
  kInvSeiPos,           //!< "Loss of lithium to positive SEI [mol]"
  kInvSeiCracksNeg,     //!< "Loss of lithium to negative SEI on cracks [mol]"
  kInvSeiCracksPos,     //!< "Loss of lithium to positive SEI on cracks [mol]"
  kInvPlatingNeg,       //!< "Loss of lithium to negative lithium plating [mol]"
  kInvPlatingPos,       //!< "Loss of lithium to positive lithium plating [mol]"
  kInvLamNeg,           //!< "Loss of lithium due to loss of active material in negative electrode [mol]"
  kInvLamPos,           //!< "Loss of lithium due to loss of active material in positive electrode [mol]"
  kInvSeiThicknessNeg,  //!< "X-averaged negative SEI thickness [m]"
  kInvSeiThicknessPos,  //!< "X-averaged positive SEI thickness [m]"
  kInventoryFields
};

//! A cell's lithium inventory at one state (plain data; field k at v[k]).
struct Inventory {
  double v[kInventoryFields] = {};
};

//! The r-average weight of shell k of a particle of nr uniform shells: its exact volume
//! over the particle's, ((k+1)^3 - k^3) / nr^3 (PyBaMM's r_average of a finite-volume
//! field: int c r^2 dr / int r^2 dr over the same shells).
IONFLUX_HD inline double shell_weight(int k, int nr) {
  const double a = static_cast<double>(k), b = a + 1.0, n = static_cast<double>(nr);
  return (b * b * b - a * a * a) / (n * n * n);
}

//! Active material volume fraction eps_s of electrode node i: the state "loss of active
//! material" adds (kDegEpsS), else the parameter (constant in x and t).
template <class V>
IONFLUX_HD inline double node_active_fraction(const CellParams& p, const Layout& l, int i, const V& y) {
  const int k = l.d_index(i, kDegEpsS);
  if (k >= 0) return y[k];
  return l.electrode_of(i) == 0 ? p.neg.active_fraction : p.pos.active_fraction;
}

//! The inventory of state y (one cell, Layout l). Serial (call it on one lane).
//! eps_s per node from the LAM state when "loss of active material" is on (PyBaMM's
//! Total lithium and electrode capacity use the current eps_s, §7.3), porosity from the
//! film thicknesses under the porosity change (§5).
template <class V>
IONFLUX_HD inline Inventory lithium_inventory(const CellParams& p, const Layout& l, const V& y) {
  Inventory inv;
  const double faraday_ah = constants::F / 3600.0;
  for (int side = 0; side < 2; ++side) {
    const ElectrodeParams& e = side == 0 ? p.neg : p.pos;
    const int first = side == 0 ? 0 : l.nn + l.ns, count = side == 0 ? l.nn : l.np;
    double sum = 0.0, eps_sum = 0.0;  // sums over nodes of eps_s c_bar and of eps_s
    for (int q = 0; q < count; ++q) {
      const int i = first + q;
      const double cbar = mech::r_average_node(l, y, i);
      const double eps_s = node_active_fraction(p, l, i, y);
      sum += eps_s * cbar;
      eps_sum += eps_s;
    }
    // <eps_s c_bar>_x L_k A_cc and <eps_s>_x L_k A_cc c_max F/3600 on the uniform x mesh
    inv.v[side == 0 ? kInvLithiumNeg : kInvLithiumPos] = (sum / count) * e.thickness * p.area;
    inv.v[side == 0 ? kInvCapacityNeg : kInvCapacityPos] = (eps_sum / count) * e.thickness * p.area * e.c_max * faraday_ah;
  }
  double elyte = 0.0;  // int eps c_e dx (eps per node under the porosity change, §5)
  for (int i = 0; i < l.nx; ++i) {
    const NodeGeom g = node_geom(p, l, i);
    const double eps = l.model.porosity_change ? deg::node_porosity(p, l, i, y) : g.eps;
    elyte += eps * y[3 * i] * g.dx;
  }
  inv.v[kInvLithiumElyte] = elyte * p.area;
  // The degradation losses from the node-local states (side_reactions.hpp, layout.hpp):
  //   SEI [mol]      = (<c_sei>_x - c_sei(0)) L_k L_y L_z z_sei (§3.5; 0 for "constant")
  //   SEI on cracks  = (<c_sei,cr>_x - c_sei,cr(0)) L_k L_y L_z z_sei (§3.5, c_sei,cr(0) of §3.4)
  //   plating [mol]  = (<c_pl>_x + <c_dead>_x) L_k L_y L_z (§4.4; the initial plated
  //                    concentration is not subtracted, no z factor)
  //   LAM [mol]      = A_cc sum_i dx_i n_LAM,i (§7.1: the scalar PyBaMM integrates, kept per node;
  //                    A_cc = L_y L_z n_parallel, loss_active_material.py)
  //   thickness [m]  = <L_sei>_x (c_sei Vbar / a with the node's current a = 3 eps_s / R;
  //                    L_sei,0 for "constant"; 0 for "none")
  // For SEI, SEI on cracks and plating L_y L_z is area / n_parallel, as PyBaMM (base_sei.py,
  // base_plating.py: L_y L_z alone, while its particle, electrolyte and LAM totals use
  // A_cc = L_y L_z n_parallel).
  for (int e = 0; e < 2; ++e) {
    const ElectrodeParams& ep = e == 0 ? p.neg : p.pos;
    const int first = e == 0 ? 0 : l.nn + l.ns, count = e == 0 ? l.nn : l.np;
    const int ss = l.dslot[e][kDegSei], sp = l.dslot[e][kDegPlated];  // plating: c_pl and c_dead together
    const int sc = l.dslot[e][kDegSeiCr], sl = l.dslot[e][kDegLamLi];
    const SeiModel sm = l.model.sei[e];
    if (sm == SeiModel::constant) inv.v[e == 0 ? kInvSeiThicknessNeg : kInvSeiThicknessPos] = p.deg.sei_initial_thickness;
    if (ss < 0 && sp < 0 && sc < 0 && sl < 0) continue;
    double c_sei = 0.0, l_sei = 0.0, c_li = 0.0, c_cr = 0.0, n_lam = 0.0;
    for (int q = 0; q < count; ++q) {
      const int i = first + q;
      if (ss >= 0) {
        const double c = y[l.d_index(i, kDegSei)];
        c_sei += c;
        l_sei += c * p.deg.sei_partial_molar_volume / (3.0 * node_active_fraction(p, l, i, y) / ep.particle_radius);
      }
      if (sp >= 0) c_li += y[l.d_index(i, kDegPlated)] + y[l.d_index(i, kDegDead)];
      if (sc >= 0) c_cr += y[l.d_index(i, kDegSeiCr)];
      if (sl >= 0) n_lam += y[l.d_index(i, kDegLamLi)];
    }
    c_sei /= count;
    l_sei /= count;
    c_li /= count;
    c_cr /= count;
    n_lam /= count;
    const double volume = ep.thickness * p.area / p.n_parallel;  // L_k L_y L_z: PyBaMM's, without n_parallel
    if (ss >= 0) {
      inv.v[e == 0 ? kInvSeiNeg : kInvSeiPos] =
          (c_sei - deg::initial_value(p, l, e, kDegSei)) * volume * p.deg.sei_z;
      inv.v[e == 0 ? kInvSeiThicknessNeg : kInvSeiThicknessPos] = l_sei;
    }
    if (sp >= 0) inv.v[e == 0 ? kInvPlatingNeg : kInvPlatingPos] = c_li * volume;
    if (sc >= 0)
      inv.v[e == 0 ? kInvSeiCracksNeg : kInvSeiCracksPos] = (c_cr - deg::initial_value(p, l, e, kDegSeiCr)) * volume * p.deg.sei_z;
    if (sl >= 0) inv.v[e == 0 ? kInvLamNeg : kInvLamPos] = n_lam * ep.thickness * p.area;  // A_cc L_k
  }
  return inv;
}

//! PyBaMM's degradation termination events (reference 5, 6.2), as one event function:
//! the smallest of 1 - max_i l_cr,i / R ("{domain}  particle crack length larger than
//! particle radius", per electrode with "swelling and cracking"; R the particle radius)
//! and, under a porosity change, min_i eps_i and 1 - max_i eps_i over the electrode nodes
//! ("Zero / Max {domain} electrode porosity cut-off"). Positive: go on; 1 when none of these
//! options is on. Serial, or the same on every lane.
template <class V>
IONFLUX_HD inline double degradation_event(const CellParams& p, const Layout& l, const V& y) {
  double g = mech::crack_length_margin(p, l, y);  // 1 - max l_cr / R (1 without cracking)
  if (!l.model.porosity_change) return g;
  for (int q = 0; q < l.nn + l.np; ++q) {
    const double eps = deg::node_porosity(p, l, l.electrode_node(q), y);
    if (!(eps >= g)) g = eps;  // NaN counts as crossed
    if (!(1.0 - eps >= g)) g = 1.0 - eps;
  }
  return g;
}

//! Reference values of the summary variables (PyBaMM's parameter expressions, §9.1):
//! the index into the array reference_inventory fills.
enum ReferenceField : int {
  kRefLithiumParticles = 0,  //!< n_Li_particles_init = sum_k eps_s,k c_k,init L_k A_cc [mol]
  kRefLithiumElyte,          //!< n_Li_e_init = <eps>_x c_e,init (L_n + L_s + L_p) A_cc [mol]
  kRefCapacityNeg,           //!< Q_n,init = eps_s,n L_n c_max,n A_cc F / 3600 [A.h]
  kRefCapacityPos,           //!< Q_p,init [A.h]
  kReferenceFields
};

//! The reference values (§9.1): from the parameters (the initial concentrations as
//! set_initial_state/initial SOC left them), not from a state.
IONFLUX_HD inline void reference_inventory(const CellParams& p, double* out) {
  const double faraday_ah = constants::F / 3600.0;
  out[kRefLithiumParticles] = (p.neg.active_fraction * p.neg.c_init * p.neg.thickness +
                               p.pos.active_fraction * p.pos.c_init * p.pos.thickness) *
                              p.area;
  // <eps>_x over the cell times the cell length = sum of eps_k L_k
  out[kRefLithiumElyte] = (p.neg.porosity * p.neg.thickness + p.sep_porosity * p.sep_thickness +
                           p.pos.porosity * p.pos.thickness) *
                          p.c_e_init * p.area;
  out[kRefCapacityNeg] = p.neg.active_fraction * p.neg.thickness * p.area * p.neg.c_max * faraday_ah;
  out[kRefCapacityPos] = p.pos.active_fraction * p.pos.thickness * p.area * p.pos.c_max * faraday_ah;
}

}  // namespace ionflux
