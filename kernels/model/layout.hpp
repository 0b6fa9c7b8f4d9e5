// Where each unknown lives in a cell's state vector, and the geometry of the mesh.
// The mesh is in fractional coordinates; each cell scales it by its own thicknesses
// and radii (so geometry can vary per cell).
#pragma once

#include "cell_params.hpp"

namespace ionflux {

//! State vector layout (n_state entries per cell):
//!   [0, 3 nx)              per x node i: c_e, phi_e, phi_s  (phi_s is an unused 0 in the separator)
//!   [off_j, +nn+np)        pore-wall flux j [A/m2] at electrode nodes (algebraic)
//!   [off_cn, +nn*rn)       negative particle shells, shell-major: shell k of node i at
//!                          off_cn + k*nn + i (the nodes of one shell are contiguous, so the
//!                          particle loops over nodes vectorise)
//!   [off_cp, +np*rp)       positive particle shells, likewise
//!   [off_d, +nn*nd[0]+np*nd[1])  degradation unknowns (only those the ModelOptions need;
//!                          none by default): node-major, nd[e] per node of electrode e,
//!                          state s of node i at d_index(i, s) (docs/degradation.md)
//!   [off_g, +4)            the cell's global unknowns: current I [A] (algebraic; its
//!                          equation is the step's control: current, voltage or power),
//!                          discharge capacity Q [A.h], energy E [W.h] (dQ/dt = I/3600,
//!                          dE/dt = I V/3600) and temperature T [K] (lumped, or constant)
//! Always address shells through cs_index(i, k) and globals through kI() etc.
//! Node-local degradation unknowns (per electrode node; which exist: Layout::dslot).
//! Mechanics and LAM (docs/degradation_mechanics.md) are node-local too: the lithium lost
//! with active material is kept per node (its x-sum times A_cc is PyBaMM's scalar
//! "Loss of lithium due to loss of active material in ... electrode [mol]"), so that no
//! new global (bordering) unknown is needed.
enum DegState : int {
  kDegSei = 0,    //!< c_sei [mol/m3] (SEI growth models)
  kDegPlated,     //!< c_pl [mol/m3] (lithium plating)
  kDegDead,       //!< c_dead [mol/m3] (lithium plating)
  kDegJtot,       //!< j_tot [A/m2] (algebraic; "distributed" film with SEI or plating)
  kDegCrack,      //!< l_cr [m] crack length ("particle mechanics": "swelling and cracking")
  kDegEpsS,       //!< eps_s [-] active material volume fraction ("loss of active material")
  kDegLamLi,      //!< n_LAM [mol/m3 of electrode]: lithium lost with active material at this
                  //!< node, d/dt = -c_bar d(eps_s)/dt ("loss of active material")
  kDegSeiCr,      //!< c_sei,cr [mol/m3] SEI on cracks ("SEI on cracks" with a growing SEI)
  kDegStateCount
};

struct Layout {
  int nn, ns, np, nx, rn, rp;
  int off_j, off_cn, off_cp, off_g, n_state;
  //! The resolved model options (batch-wide), and the degradation unknowns they need:
  //! nd[e] per node of electrode e (0 negative, 1 positive), state s at position
  //! dslot[e][s] within the node (-1: absent); off_d their start.
  ModelOptions model;
  int off_d;
  int nd[2];
  signed char dslot[2][kDegStateCount];
  //! Any degradation option on: the kinetics use the general per-node condensation
  //! (newton.hpp: j and the node's degradation unknowns, nz = 1 + nd of its electrode),
  //! with its storage at off_loc inside each node's jac_node doubles.
  bool deg;
  int nz_max, off_loc;
  // Jacobian / factor storage (see newton.hpp): jac_node doubles per x node, then
  // kShellSlots arrays of n_shells (structure of arrays, indexed like the shells).
  int jac_node, off_part, n_shells, off_border, jac_size;
  //! Scratch of the team phases of the residual and the assembly (dfn.hpp, newton.hpp):
  //! per-node transport coefficients and per-face fluxes or their derivatives
  //! (scratch_size doubles at off_scratch, inside the jac_size block).
  int off_scratch, scratch_size;

  IONFLUX_HD static Layout make(const MeshSpec& m, const ModelOptions& o = ModelOptions{}) {
    Layout l{};
    l.model = o;
    for (int e = 0; e < 2; ++e) {
      for (int s = 0; s < kDegStateCount; ++s) l.dslot[e][s] = -1;
      int n = 0;
      if (o.sei[e] != SeiModel::none && o.sei[e] != SeiModel::constant) l.dslot[e][kDegSei] = n++;
      if (o.plating[e] != PlatingModel::none) {
        l.dslot[e][kDegPlated] = n++;
        l.dslot[e][kDegDead] = n++;
      }
      if (o.sei_film == FilmResistance::distributed && (o.sei[e] != SeiModel::none || o.plating[e] != PlatingModel::none))
        l.dslot[e][kDegJtot] = n++;
      if (o.mechanics[e] == MechanicsModel::swelling_and_cracking) l.dslot[e][kDegCrack] = n++;
      if (o.lam[e] != LamModel::none) {
        l.dslot[e][kDegEpsS] = n++;
        l.dslot[e][kDegLamLi] = n++;
      }
      if (o.sei_on_cracks[e] && o.sei[e] != SeiModel::none && o.sei[e] != SeiModel::constant)
        l.dslot[e][kDegSeiCr] = n++;
      l.nd[e] = n;
    }
    l.deg = o.any();
    l.nn = m.x_n;
    l.ns = m.x_s;
    l.np = m.x_p;
    l.nx = m.x_n + m.x_s + m.x_p;
    l.rn = m.r_n;
    l.rp = m.r_p;
    l.off_j = 3 * l.nx;
    l.off_cn = l.off_j + l.nn + l.np;
    l.off_cp = l.off_cn + l.nn * l.rn;
    l.off_d = l.off_cp + l.np * l.rp;
    l.off_g = l.off_d + l.nn * l.nd[0] + l.np * l.nd[1];
    l.n_state = l.off_g + 4;
    l.jac_node = 48;
    if (l.deg) {  // local block: M (nz x nz, then its inverse), K (nz x 3), H (3 x nz), spare
      l.nz_max = 1 + (l.nd[0] > l.nd[1] ? l.nd[0] : l.nd[1]);
      l.off_loc = l.jac_node;
      l.jac_node += l.nz_max * l.nz_max + 6 * l.nz_max + 2;
    }
    l.off_part = l.jac_node * l.nx;
    l.n_shells = l.nn * l.rn + l.np * l.rp;
    // border storage: W_I and W_T (A^-1 times the border columns; n_state each, the
    // tail holding the border rows' own entries), then 16 scalars (see newton.hpp)
    l.off_border = l.off_part + 4 * l.n_shells;
    l.off_scratch = l.off_border + 2 * l.n_state + 16;
    l.scratch_size = 16 * l.nx + 8;
    l.jac_size = l.off_scratch + l.scratch_size;
    return l;
  }
  IONFLUX_HD int domain(int i) const { return i < nn ? 0 : (i < nn + ns ? 1 : 2); }
  IONFLUX_HD bool electrode(int i) const { return i < nn || i >= nn + ns; }
  //! Index of j for electrode node i.
  IONFLUX_HD int j_index(int i) const { return off_j + (i < nn ? i : i - ns); }
  //! First x node and node count of the electrode that node i belongs to.
  IONFLUX_HD int electrode_first(int i) const { return i < nn ? 0 : nn + ns; }
  IONFLUX_HD int electrode_nodes(int i) const { return i < nn ? nn : np; }
  //! The q-th electrode node, counting the negative's then the positive's (q < nn + np).
  IONFLUX_HD int electrode_node(int q) const { return q < nn ? q : q + ns; }
  //! Index of shell k (0 = centre) of electrode node i.
  IONFLUX_HD int cs_index(int i, int k) const {
    return i < nn ? off_cn + k * nn + i : off_cp + k * np + (i - nn - ns);
  }
  IONFLUX_HD int nr(int i) const { return i < nn ? rn : rp; }
  //! Electrode (0 negative, 1 positive) of electrode node i.
  IONFLUX_HD int electrode_of(int i) const { return i < nn ? 0 : 1; }
  //! Index of degradation state s of electrode node i (-1 if that electrode has none).
  IONFLUX_HD int d_index(int i, int s) const {
    const int e = electrode_of(i);
    if (dslot[e][s] < 0) return -1;
    return off_d + (e == 0 ? i * nd[0] : nn * nd[0] + (i - nn - ns) * nd[1]) + dslot[e][s];
  }
  //! First degradation unknown of electrode node i (its nd[electrode_of(i)] follow).
  IONFLUX_HD int d_first(int i) const {
    return off_d + (i < nn ? i * nd[0] : nn * nd[0] + (i - nn - ns) * nd[1]);
  }
  IONFLUX_HD int kI() const { return off_g; }
  IONFLUX_HD int kQ() const { return off_g + 1; }
  IONFLUX_HD int kE() const { return off_g + 2; }
  IONFLUX_HD int kT() const { return off_g + 3; }
  //! Index of factor slot `slot` for shell k of node i (same ordering as the shells).
  IONFLUX_HD int part_index(int slot, int i, int k) const { return off_part + slot * n_shells + cs_index(i, k) - off_cn; }
};

//! Geometry and transport factors of one x node of one cell.
struct NodeGeom {
  int dom;                    //!< 0 negative, 1 separator, 2 positive
  double dx;                  //!< cell width [m]
  double eps;                 //!< porosity
  double tor;                 //!< eps^b_e (Bruggeman transport efficiency)
  double a;                   //!< surface area per volume 3 eps_s / R [1/m]
  const ElectrodeParams* e;   //!< electrode parameters, null in the separator
};

IONFLUX_HD inline NodeGeom node_geom(const CellParams& p, const Layout& l, int i) {
  NodeGeom g{};
  g.dom = l.domain(i);
  if (g.dom == 0) {
    g.e = &p.neg;
    g.dx = p.neg.thickness / l.nn;
  } else if (g.dom == 2) {
    g.e = &p.pos;
    g.dx = p.pos.thickness / l.np;
  } else {
    g.e = nullptr;
    g.dx = p.sep_thickness / l.ns;
    g.eps = p.sep_porosity;
    g.tor = p.sep_tor;
    g.a = 0.0;
    return g;
  }
  g.eps = g.e->porosity;
  g.tor = g.e->tor;
  g.a = g.e->a;
  return g;
}

//! Effective solid conductivity sigma (1 - eps)^b_s [S/m] (PyBaMM's full DFN).
IONFLUX_HD inline double sigma_eff(const ElectrodeParams& e) {
  return e.sigma_eff;
}

//! x coordinate of node i's centre [m].
IONFLUX_HD inline double node_x(const CellParams& p, const Layout& l, int i) {
  if (i < l.nn) return (i + 0.5) * p.neg.thickness / l.nn;
  if (i < l.nn + l.ns) return p.neg.thickness + (i - l.nn + 0.5) * p.sep_thickness / l.ns;
  return p.neg.thickness + p.sep_thickness + (i - l.nn - l.ns + 0.5) * p.pos.thickness / l.np;
}

}  // namespace ionflux
