// The isothermal DFN residual F(t, y, y') = 0 of one cell, and its Newton matrix
// dF/dy + cj dF/dy', both built from the same local stencils below (face fluxes,
// kinetics, particle fluxes). Equations: PyBaMM 26.10's DFN (see
// shared/reference/pybamm-dfn.md, section 1.3); discretisation: PyBaMM's finite
// volumes (section 1.5).
#pragma once

#include <type_traits>

#include "../numerics/team.hpp"
#include "functions.hpp"
#include "layout.hpp"
#include "side_reactions.hpp"

namespace ionflux {
namespace dfn {

//! Harmonic face mean of node values, weighted by the two cell widths.
//! With the weight beta = dxl / (dxl + dxr) given (a caller that has it for many faces).
template <class T>
IONFLUX_HD T harmonic_face_weighted(const T& vl, const T& vr, double beta) {
  return (vl * vr) / (beta * vr + (1.0 - beta) * vl);
}
template <class T>
IONFLUX_HD T harmonic_face(const T& vl, const T& vr, double dxl, double dxr) {
  return harmonic_face_weighted(vl, vr, dxl / (dxl + dxr));
}
//! Arithmetic face mean of node values (PyBaMM's node_to_edge "arithmetic"): linear
//! interpolation to the face, so on a non-uniform mesh the nearer node weighs more.
template <class T>
IONFLUX_HD T arithmetic_face(const T& vl, const T& vr, double dxl, double dxr) {
  return (dxr * vl + dxl * vr) / (dxl + dxr);
}

//! Electrolyte transport coefficients at one node (PyBaMM evaluates them at nodes
//! and then averages to faces).
template <class T>
struct NodeTransport {
  T kappa;  //!< kappa_e(c) eps^b [S/m]
  T chi;    //!< chi RT / (F c) [V m3/mol]
  T de;     //!< D_e(c) eps^b [m2/s]
  T tp;     //!< t+(c)
};
//! The geometric weights of the face between two nodes of widths dxl and dxr: what
//! electrolyte_face's gradients and face means divide by, computed once for the faces
//! of a pair of domains (the same values as from the widths at every face).
struct FaceGeom {
  double dxl, dxr;
  double sum;    //!< dxl + dxr (arithmetic_face's denominator)
  double inv_d;  //!< 2 / (dxl + dxr): the gradient's factor
  double beta;   //!< dxl / (dxl + dxr): harmonic_face's weight
};
IONFLUX_HD inline FaceGeom face_geom(const NodeGeom& gl, const NodeGeom& gr) {
  return FaceGeom{gl.dx, gr.dx, gl.dx + gr.dx, 2.0 / (gl.dx + gr.dx), gl.dx / (gl.dx + gr.dx)};
}
//! The weights of every kind of face, indexed by face_kind: within each domain (0, 2, 4)
//! and between adjacent domains (1: negative-separator, 3: separator-positive).
struct FaceGeoms {
  FaceGeom k[5];
};
IONFLUX_HD inline FaceGeoms face_geoms(const NodeGeom* dg) {
  return FaceGeoms{{face_geom(dg[0], dg[0]), face_geom(dg[0], dg[1]), face_geom(dg[1], dg[1]), face_geom(dg[1], dg[2]),
                    face_geom(dg[2], dg[2])}};
}
//! Kind of the face between nodes i and i + 1 (domains d and d or d + 1).
IONFLUX_HD inline int face_kind(const Layout& l, int i) { return l.domain(i) + l.domain(i + 1); }

//! Electrolyte fluxes at the face between nodes L and R:
//! ie = kappa_eff (chiRT/(F c) dc/dx - dphi/dx)   [A/m2]
//! N  = -D_eff dc/dx + t+ ie / F                    [mol/m2/s]
//! Face means as PyBaMM: harmonic for factors of a gradient (chi, D_e), arithmetic
//! (distance-weighted) otherwise (kappa, t+). The arithmetic means as arithmetic_face
//! (a division by dxl + dxr each), the harmonic ones as harmonic_face.
template <class T>
IONFLUX_HD void electrolyte_face(const FaceGeom& fg, const NodeTransport<T>& tl, const NodeTransport<T>& tr,
                                 const T& cl, const T& cr, const T& phil, const T& phir, T& n_flux, T& ie) {
  const T grad_c = (cr - cl) * fg.inv_d;
  const T grad_phi = (phir - phil) * fg.inv_d;
  const T kappa = (fg.dxr * tl.kappa + fg.dxl * tr.kappa) / fg.sum;
  const T chi = harmonic_face_weighted(tl.chi, tr.chi, fg.beta);
  ie = kappa * (chi * grad_c - grad_phi);
  const T de = harmonic_face_weighted(tl.de, tr.de, fg.beta);
  const T tp = (fg.dxr * tl.tp + fg.dxl * tr.tp) / fg.sum;
  n_flux = -de * grad_c + tp * ie * (1.0 / constants::F);
}
template <class T>
IONFLUX_HD void electrolyte_face(const NodeGeom& gl, const NodeGeom& gr, const NodeTransport<T>& tl,
                                 const NodeTransport<T>& tr, const T& cl, const T& cr, const T& phil, const T& phir,
                                 T& n_flux, T& ie) {
  electrolyte_face(face_geom(gl, gr), tl, tr, cl, cr, phil, phir, n_flux, ie);
}

//! Butler-Volmer pore-wall flux (symmetric, n_e = 1) [A/m2].
//! With the exchange current j0 and the OCP u given (the residual evaluates them for a
//! batch of nodes).
template <class T>
IONFLUX_HD T butler_volmer_at(const T& j0, const T& phie, const T& phis, const T& u, double temp) {
  const T eta = phis - phie - u;
  return 2.0 * j0 * ad_sinh((0.5 * constants::F / (constants::R * temp)) * eta);
}
//! butler_volmer_at for electrode e's nodes i0 .. i0 + m - 1 (m <= B) from their OCP u[j]
//! and exchange current j0[j], into bv[j]: on the CPU in packs (its sinh's exp for the
//! points at once, a few ulp from the pointwise exp's), y copied in a loop of its own
//! (as kinetics_points).
template <int B, class V>
IONFLUX_HD inline void butler_volmer_points(int i0, int m, const V& y, const double* u, const double* j0,
                                            double temp, double* bv) {
  double phie[B], phis[B];
  for (int j = 0; j < m; ++j) {
    phie[j] = y[3 * (i0 + j) + 1];
    phis[j] = y[3 * (i0 + j) + 2];
  }
#ifndef __CUDA_ARCH__
  if constexpr (B > 1) {
    for_packs(m, [&](auto g, int j, int mm) {
      constexpr int G = decltype(g)::value;
      store_pack(bv, j, mm,
                 butler_volmer_at(load_pack<G>(j0, j, mm), load_pack<G>(phie, j, mm), load_pack<G>(phis, j, mm),
                                  load_pack<G>(u, j, mm), temp));
    });
    return;
  }
#endif
  for (int j = 0; j < m; ++j) bv[j] = butler_volmer_at(j0[j], phie[j], phis[j], u[j], temp);
}

//! Particle surface concentration by PyBaMM's linear extrapolation from the last two shells.
//! One explicit fma (-0.5 c is exact, so this is 1.5 c_out - 0.5 c_in correctly rounded):
//! the same bits wherever it is computed, vectorised or not (a contracted a * b + c * d
//! may fuse either product).
IONFLUX_HD inline double surface_weight_outer() { return 1.5; }
IONFLUX_HD inline double surface_weight_inner() { return -0.5; }
IONFLUX_HD inline double surface_extrapolation(double c_out, double c_in) {
  return fma(surface_weight_outer(), c_out, surface_weight_inner() * c_in);
}
template <class V>
IONFLUX_HD inline double surface_concentration(const Layout& l, const V& y, int i) {
  const int nr = l.nr(i);
  return surface_extrapolation(y[l.cs_index(i, nr - 1)], y[l.cs_index(i, nr - 2)]);
}

//! Shells whose particle diffusivity is evaluated together (fn::particle_diffusivity_points):
//! on the CPU a batch amortises a user function's dispatch; on the GPU each lane keeps
//! one point (a batch would cost local memory for nothing).
#ifdef __CUDA_ARCH__
constexpr int kShellBatch = 1;
constexpr int kNodeBatch = 1;
#else
constexpr int kShellBatch = 32;
constexpr int kNodeBatch = 64;
#endif
//! Electrode nodes whose kinetics the CPU's Jacobian evaluates together, the OCP in
//! Dual<1> and the exchange current in Dual<2> (kinetics_points_jacobian; the
//! interpreter's stack holds kMaxStack * 32 of them).
constexpr int kJacobianKineticsBatch = 32;

//! The OCP u[j] and exchange current j0[j] of electrode e's nodes i0 .. i0 + m - 1
//! (m <= kNodeBatch) at state y: the values of fn::ocp and fn::exchange_current at each
//! node, with user functions evaluated for the batch at once (fn::ocp_points,
//! fn::exchange_current_points).
//! y is only copied in the loop that reads it, all arithmetic is on the local arrays:
//! GCC versions a loop over a strided view for stride 1 (-fversion-loops-for-strides, on
//! at -O3), and arithmetic in the vectorised copy may round differently from the scalar
//! one (a contracted 1.5 a - 0.5 b did), so a cell on a stride-1 view would not round as
//! the same cell interleaved (test_migration, test_kinetics_points).
template <class V>
IONFLUX_HD inline void kinetics_points(const CellParams& p, const Layout& l, const ElectrodeParams& e, int i0, int m,
                                       const V& y, double temp, double* u, double* j0) {
  const int nr = l.nr(i0);
  double ce[kNodeBatch], cs[kNodeBatch], sto[kNodeBatch];
  for (int j = 0; j < m; ++j) {
    ce[j] = y[3 * (i0 + j)];
    cs[j] = y[l.cs_index(i0 + j, nr - 1)];
    sto[j] = y[l.cs_index(i0 + j, nr - 2)];
  }
  for (int j = 0; j < m; ++j) {
    cs[j] = surface_extrapolation(cs[j], sto[j]);
    sto[j] = cs[j] / e.c_max;
  }
  IONFLUX_PARTIAL_ARRAYS_BEGIN
  fn::ocp_points<kNodeBatch>(e, sto, m, temp, p.t_ref, u);
  fn::exchange_current_points<kNodeBatch>(e, ce, cs, m, temp, p.c_e_init, j0);
  IONFLUX_PARTIAL_ARRAYS_END
}

//! The OCP u[j] and exchange current j0[j] of electrode e's nodes i0 .. i0 + m - 1 (m <= B)
//! with their derivatives in the node's c_e (direction 0) and surface concentration
//! (direction 3): fn::kinetics_duals' values and derivatives, user functions evaluated
//! for the batch at once (CPU).
template <int B, class V>
IONFLUX_HD inline void kinetics_points_jacobian(const CellParams& p, const Layout& l, const ElectrodeParams& e,
                                                int i0, int m, const V& y, double temp, Dual<4>* u, Dual<4>* j0) {
  Dual<1> sto[B], u1[B];
  Dual<2> ce[B], cs[B], j2[B];
  for (int j = 0; j < m; ++j)
    fn::kinetics_seeds(e, y[3 * (i0 + j)], surface_concentration(l, y, i0 + j), sto[j], ce[j], cs[j]);
  fn::ocp_points<B>(e, sto, m, temp, p.t_ref, u1);
  fn::exchange_current_points<B>(e, ce, cs, m, temp, p.c_e_init, j2);
  for (int j = 0; j < m; ++j) fn::lift_kinetics(u1[j], j2[j], u[j], j0[j]);
}

//! Particle shell geometry on the uniform r mesh of radius R with nr shells.
struct Shell {
  double r2_in, r2_out, vol;  // r^2 at inner and outer edge, (r_out^3 - r_in^3)/3
};
IONFLUX_HD inline Shell shell(double radius, int nr, int k) {
  const double dr = radius / nr;
  const double ri = k * dr, ro = (k + 1) * dr;
  return Shell{ri * ri, ro * ro, (ro * ro * ro - ri * ri * ri) / 3.0};
}

//! harmonic_face's weight of two equal shell widths dr: dr / (dr + dr) (= 0.5), the beta
//! of particle_face_flux_weighted (computed once per electrode by the row loops).
IONFLUX_HD inline double particle_face_beta(double dr) { return dr / (dr + dr); }

//! Radial flux N = -D dc/dr at the interior edge between shells k and k+1 [mol/m2/s].
//! From the diffusivities at the two shells (each evaluated once per shell by callers
//! that walk the shells, and carried to the next face). beta: particle_face_beta(dr).
template <class T>
IONFLUX_HD T particle_face_flux_weighted(const T& d_k, const T& d_k1, double dr, double beta, const T& ck, const T& ck1) {
  return -harmonic_face_weighted(d_k, d_k1, beta) * (ck1 - ck) / dr;
}
template <class T>
IONFLUX_HD T particle_face_flux(const T& d_k, const T& d_k1, double dr, const T& ck, const T& ck1) {
  return particle_face_flux_weighted(d_k, d_k1, dr, particle_face_beta(dr), ck, ck1);
}

// THE particle shell rows. Finite volumes on the uniform r mesh (shell k between r = k dr
// and (k+1) dr): F_k = c_k' + (r_out^2 N_out - r_in^2 N_in) / V_k, and with
// V_k = dr^3 (3k^2 + 3k + 1) / 3
//   F_k = c_k' + 3 (g_k - g_{k-1}) / (dr (3k^2 + 3k + 1)),   g_{-1} = 0,
//   g_k = (k+1)^2 N_{k+1/2}:  (k+1)^2 (-D dc/dr) at an interior face (particle_face_g),
//                             (k+1)^2 j / F at the particle surface (particle_surface_g).
// The two residual loops over shells, particle_node_rows (one node, shell by shell) and
// particle_rows_shell_major (all nodes of an electrode, shells outside), call these; they
// differ only in their order over nodes and shells. particle_residual's constant-D path
// writes the same rows with D/dr and 3/den folded into per-shell factors (other roundings,
// kept), and the Jacobian (newton.hpp) differentiates them through shell()'s r^2 / V.

//! g_k = (k+1)^2 N_{k+1/2} at the interior face between shells k and k+1 (arguments of
//! particle_face_flux_weighted).
template <class T>
IONFLUX_HD T particle_face_g(int k, const T& d_k, const T& d_k1, double dr, double beta, const T& ck, const T& ck1) {
  const double k1 = k + 1.0;
  return k1 * k1 * particle_face_flux_weighted(d_k, d_k1, dr, beta, ck, ck1);
}
//! g_{nr-1} = nr^2 j / F at the surface of the outer shell k = nr - 1 (j: pore-wall flux).
template <class T>
IONFLUX_HD T particle_surface_g(int k, const T& j) {
  const double k1 = k + 1.0;
  return k1 * k1 * j / constants::F;
}
//! Shell k's row denominator dr (3k^2 + 3k + 1), as dr (3 k (k+1) + 1).
IONFLUX_HD inline double particle_row_den(double dr, int k) {
  const double k1 = k + 1.0;
  return dr * (3.0 * k * k1 + 1.0);
}
//! Shell k's row F_k = c_k' + 3 (g_k - g_{k-1}) / den, den = particle_row_den(dr, k).
template <class T>
IONFLUX_HD T particle_row(const T& c_dot, const T& g_out, const T& g_in, double den) {
  return c_dot + 3.0 * (g_out - g_in) / den;
}
template <class T>
IONFLUX_HD T particle_face(const ElectrodeParams& e, double dr, const T& ck, const T& ck1, double temp) {
  return particle_face_flux(fn::particle_diffusivity(e, ck, temp), fn::particle_diffusivity(e, ck1, temp), dr, ck, ck1);
}

//! Terminal voltage: phi_s,p extrapolated linearly to x = L from the last two nodes.
IONFLUX_HD inline double voltage_weight_last() { return 1.5; }
IONFLUX_HD inline double voltage_weight_before() { return -0.5; }
template <class V>
IONFLUX_HD inline double terminal_voltage(const Layout& l, const V& y) {
  const int last = l.nx - 1;
  return voltage_weight_last() * y[3 * last + 2] + voltage_weight_before() * y[3 * (last - 1) + 2];
}

//! Electrode e and state s of degradation unknown k (off_d <= k < off_g).
IONFLUX_HD inline void deg_decode(const Layout& l, int k, int& e, int& s) {
  const int q = k - l.off_d, n0 = l.nn * l.nd[0];
  e = q < n0 ? 0 : 1;
  const int pos = e == 0 ? q % l.nd[0] : (q - n0) % l.nd[1];
  s = 0;
  for (int t = 0; t < kDegStateCount; ++t)
    if (l.dslot[e][t] == pos) s = t;
}
//! Degradation unknowns are differential but j_tot (algebraic, like j).
IONFLUX_HD inline bool deg_is_differential(const Layout& l, int k) {
  int e, s;
  deg_decode(l, k, e, s);
  return s != kDegJtot;
}

//! Is unknown k differential (has a time derivative)? (c_e, shells, Q, E, T; the
//! temperature's derivative is zero when isothermal.)
IONFLUX_HD inline bool is_differential(const Layout& l, int k) {
  if (k < 3 * l.nx) return k % 3 == 0;
  if (k >= l.off_d && k < l.off_g) return deg_is_differential(l, k);
  return k >= l.off_cn && k != l.kI();
}
//! Mass-matrix entry of unknown k (eps for c_e, 1 for shells, Q, E and T, 0 for
//! algebraic unknowns).
IONFLUX_HD inline double mass(const CellParams& p, const Layout& l, int k) {
  if (k < 3 * l.nx) return (k % 3 == 0) ? node_geom(p, l, k / 3).eps : 0.0;
  return is_differential(l, k) ? 1.0 : 0.0;
}
//! Does unknown k take part in error and convergence norms? (j, the separator's
//! unused phi_s slot and the energy do not: they are not PyBaMM states.)
IONFLUX_HD inline bool in_norm(const Layout& l, int k) {
  if (k < 3 * l.nx) return !(k % 3 == 2 && l.domain(k / 3) == 1);
  if (k >= l.off_d && k < l.off_g) return deg_is_differential(l, k);
  return k >= l.off_cn && k != l.kE();
}

//! The error weights' tolerances: w_k = scale / (rtol |y_k - ref_k| + abs_k) (Bdf::set_weights),
//! with abs_k = atol s_k and PyBaMM's variable scalings s_k and references ref_k, so that
//! rtol and atol mean what they mean in PyBaMM: its states are c_s / c_max, eps c_e / 1000,
//! phi_e + U_n(init) and phi_s,p - (U_p(init) - U_n(init)). abs_k = -1 marks the unknowns
//! outside the norms (weight 0): j, the separator's unused phi_s slot and the energy.
//! Constant over a run: filled once at the integrator's start, not at every step.
//! un0, up0: initial OCPs [V].
template <class Team, class V>
IONFLUX_HD inline void error_tolerances(const Team& team, const CellParams& p, const Layout& l, double un0,
                                        double up0, double atol, const V& ref, const V& tol) {
  constexpr double kOut = -1.0;
  team.for_each(l.nx, [&](int i) {
    const NodeGeom g = node_geom(p, l, i);
    ref[3 * i] = 0.0;
    tol[3 * i] = atol * 1000.0 / g.eps;
    ref[3 * i + 1] = -un0;  // (y - (-un0) is y + un0 exactly)
    tol[3 * i + 1] = atol;
    ref[3 * i + 2] = g.dom == 2 ? up0 - un0 : 0.0;
    tol[3 * i + 2] = g.dom == 1 ? kOut : atol;
  });
  const int oj = l.off_j, ocn = l.off_cn, ocp = l.off_cp;
  team.for_each(ocn - oj, [&](int q) {
    ref[oj + q] = 0.0;
    tol[oj + q] = kOut;
  });
  const double an = atol * p.neg.c_max, ap = atol * p.pos.c_max;
  team.for_each(l.off_d - ocn, [&](int q) {
    ref[ocn + q] = 0.0;
    tol[ocn + q] = q < ocp - ocn ? an : ap;
  });
  // degradation unknowns: PyBaMM's scales (reference 8.3); j_tot: none (as j). Per
  // electrode node, its unknowns (contiguous from d_first) by their states
  if (l.off_g > l.off_d)
    team.for_each(l.nn + l.np, [&](int q) {
      const int i = l.electrode_node(q), e = q < l.nn ? 0 : 1, d0 = l.d_first(i);
      for (int s = 0; s < kDegStateCount; ++s) {
        const int pos = l.dslot[e][s];
        if (pos < 0) continue;
        const double sc = deg::tolerance_scale(p, e, s);
        ref[d0 + pos] = 0.0;
        tol[d0 + pos] = sc > 0.0 ? atol * sc : kOut;
      }
    });
  team.single([&]() {
    ref[l.kI()] = ref[l.kQ()] = ref[l.kE()] = ref[l.kT()] = 0.0;
    tol[l.kI()] = atol;
    tol[l.kQ()] = atol;
    tol[l.kE()] = kOut;
    tol[l.kT()] = atol * p.t_ref;  // PyBaMM's state is T / T_ref
  });
}

//! D_s(c_k) at the shells of electrode node i, for a caller that asks for k = 0, 1, ...
//! in order: evaluated kShellBatch shells at a time (fn::particle_diffusivity_points),
//! so that on the CPU a user function's program is dispatched once per operation. T is
//! double for the residual, or a one-direction dual (the Jacobian's dD/dc_k: each shell's
//! concentration the variable of its own D).
template <class V, class T = double>
class ShellDiffusivity {
 public:
  IONFLUX_HD ShellDiffusivity(const Layout& l, const ElectrodeParams& e, const V& y, int i, double temp)
      : l_(l), e_(e), y_(y), i_(i), temp_(temp) {}
  IONFLUX_HD T operator()(int k) {
    if (k >= k0_ + kShellBatch) {
      k0_ = k;
      const int nr = l_.nr(i_);
      const int m = nr - k0_ < kShellBatch ? nr - k0_ : kShellBatch;
      for (int j = 0; j < m; ++j) c_buf_[j] = concentration(y_[l_.cs_index(i_, k0_ + j)]);
      fn::particle_diffusivity_points<kShellBatch>(e_, c_buf_, m, temp_, d_buf_);
    }
    return d_buf_[k - k0_];
  }

 private:
  IONFLUX_HD static T concentration(double c) {
    if constexpr (std::is_same<T, double>::value) return c;
    else return T::variable(c, 0);
  }
  const Layout& l_;
  const ElectrodeParams& e_;
  const V& y_;
  int i_;
  double temp_;
  T c_buf_[kShellBatch], d_buf_[kShellBatch];
  int k0_ = -kShellBatch;  // d_buf_ holds D at shells k0_ .. k0_ + kShellBatch - 1
};

//! The shell rows of electrode node i (those of particle_residual below), the diffusion
//! coefficient of shell k (concentration c) from d_at(k, c), asked for k = 0, 1, ... in
//! order (each once, and carried to the next face): particle_residual's
//! concentration-dependent path and stress_particle_node share this loop.
template <class V, class DAt>
IONFLUX_HD inline void particle_node_rows(const Layout& l, int i, double dr, const V& y, const V& yp, const V& f,
                                          DAt&& d_at) {
  const int nr = l.nr(i);
  const int c_first = l.cs_index(i, 0), c_step = l.cs_index(i, 1) - c_first;  // shell k at c_first + k c_step
  const double beta = particle_face_beta(dr);
  double g_in = 0.0;
  double c_k = y[c_first];
  double d_k = d_at(0, c_k);
  for (int k = 0; k < nr; ++k) {
    const int ik = c_first + k * c_step;
    double g_out;
    if (k + 1 < nr) {
      const double c_k1 = y[ik + c_step];
      const double d_k1 = d_at(k + 1, c_k1);
      g_out = particle_face_g(k, d_k, d_k1, dr, beta, c_k, c_k1);
      c_k = c_k1;
      d_k = d_k1;
    } else {
      g_out = particle_surface_g(k, y[l.j_index(i)]);
    }
    f[ik] = particle_row(yp[ik], g_out, g_in, particle_row_den(dr, k));
    g_in = g_out;
  }
}

//! The shell rows of the cnt nodes of an electrode from node first on, with the shells
//! outside and the nodes inside (the node loop contiguous: its divisions vectorise on
//! the CPU, the nodes are adjacent lanes on the GPU). d_at(k, q, c): D of shell k of
//! node q, whose concentration is c, asked once for each face of the shell (twice: it
//! must give the same value). First each face's g_k into f (shell k's row), then each
//! shell's row from k = nr - 1 down, so that g_{k-1} is still in f when row k reads it:
//! per row the operations of particle_node_rows on the same values, so the same rows bit
//! for bit. particle_rows_batched and stress_particle_uniform share this loop.
template <class Team, class V, class DAt>
IONFLUX_HD inline void particle_rows_shell_major(const Team& team, const Layout& l, int first, int cnt, int nr,
                                                 double dr, const V& y, const V& yp, const V& f, DAt&& d_at) {
  const int b0 = l.cs_index(first, 0), jb = l.j_index(first);  // shell k of node q at b0 + k cnt + q
  const double beta = particle_face_beta(dr);
  for (int k = 0; k < nr; ++k) {
    const int bk = b0 + k * cnt;
    if (k + 1 < nr) {
      team.for_each(cnt, [&](int q) {
        const double ck = y[bk + q], ck1 = y[bk + cnt + q];
        f[bk + q] = particle_face_g(k, d_at(k, q, ck), d_at(k + 1, q, ck1), dr, beta, ck, ck1);
      });
    } else {
      team.for_each(cnt, [&](int q) { f[bk + q] = particle_surface_g(k, y[jb + q]); });
    }
  }
  for (int k = nr - 1; k >= 0; --k) {
    const double den = particle_row_den(dr, k);
    const int bk = b0 + k * cnt;
    if (k > 0)
      team.for_each(cnt, [&](int q) { f[bk + q] = particle_row(yp[bk + q], f[bk + q], f[bk - cnt + q], den); });
    else
      team.for_each(cnt, [&](int q) { f[bk + q] = particle_row(yp[bk + q], f[bk + q], 0.0, den); });
  }
}

#ifndef __CUDA_ARCH__
//! Shells (over all nodes of an electrode) whose D_s particle_rows_batched evaluates in
//! one residual, at most, and the points per fn::particle_diffusivity_points call.
constexpr int kShellPoints = 1024;
constexpr int kShellPointBatch = 128;

//! particle_node_rows for all cnt nodes of an electrode at once (CPU only): D_s at all
//! cnt * nr shells in batches of kShellPointBatch points over the shell-major block (a
//! user function's program dispatched once per operation for 128 points, not once per
//! node's 20 shells), then particle_rows_shell_major's rows (D_s at a point does not
//! depend on its batch: the same results as particle_node_rows).
template <class V>
IONFLUX_HD inline void particle_rows_batched(const Layout& l, const ElectrodeParams& e, int first, int cnt, int nr, double dr,
                                  const V& y, const V& yp, const V& f, double temp) {
  const int b0 = l.cs_index(first, 0), n_pts = cnt * nr;  // shell k of node q at b0 + k cnt + q
  double c[kShellPoints], d[kShellPoints];
  for (int j = 0; j < n_pts; ++j) c[j] = y[b0 + j];
  for (int j0 = 0; j0 < n_pts; j0 += kShellPointBatch) {
    const int m = n_pts - j0 < kShellPointBatch ? n_pts - j0 : kShellPointBatch;
    fn::particle_diffusivity_points<kShellPointBatch>(e, c + j0, m, temp, d + j0);
  }
  particle_rows_shell_major(SerialTeam{}, l, first, cnt, nr, dr, y, yp, f,
                            [&](int k, int q, double) -> double { return d[k * cnt + q]; });
}
#endif

//! particle_residual's factors of shell k for a constant D_s (d_dr = D / dr): fac = 3 / den,
//! wo and wi = -(k+1)^2 D/dr and -k^2 D/dr, wj = (k+1)^2 / F.
struct ConstantDShell {
  double fac, wo, wi, wj;
};
IONFLUX_HD inline ConstantDShell constant_d_shell(int k, double dr, double d_dr) {
  const double k1 = k + 1.0;
  return ConstantDShell{3.0 / particle_row_den(dr, k), -k1 * k1 * d_dr, -static_cast<double>(k) * k * d_dr,
                        k1 * k1 / constants::F};
}
//! particle_residual's row of shell k of node q for a constant D_s: c, cp and j address the
//! electrode's shell k, its y' and its j (views or pointers, indexed by node; shell k +- 1
//! of node q at q +- cnt). particle_row with g_k = -(k+1)^2 (D/dr) (c_{k+1} - c_k) and 3/den
//! taken out as one factor: the same equation, rounded differently from the D(c) paths
//! (kept: its results are the reference of every constant-D set). Interior: the row of an
//! interior shell (interior_shell), written without the boundaries' selects.
IONFLUX_HD inline bool interior_shell(int k, int nr) { return k > 0 && k + 1 < nr; }
template <bool Interior, class C>
IONFLUX_HD inline double constant_d_row(C c, C cp, C j, int q, int k, int nr, int cnt, const ConstantDShell& w) {
  const double ck = c[q];
  const double g_out = (Interior || k + 1 < nr) ? w.wo * (c[q + cnt] - ck) : w.wj * j[q];
  const double g_in = (Interior || k > 0) ? w.wi * (ck - c[q - cnt]) : 0.0;
  return cp[q] + w.fac * (g_out - g_in);
}
//! Every constant_d_row of an electrode's shell-major block (shell k of node q at y[k cnt +
//! q]) on one thread, through restrict parameters (f is not y or y'; GCC honours restrict on
//! parameters, not on local pointers), so that the node loops vectorise without alias
//! checks.
IONFLUX_HD inline void constant_d_rows(const double* IONFLUX_RESTRICT y, const double* IONFLUX_RESTRICT yp,
                                       const double* IONFLUX_RESTRICT j, double* IONFLUX_RESTRICT f, int nr, int cnt,
                                       double dr, double d_dr) {
  for (int k = 0; k < nr; ++k) {
    const ConstantDShell w = constant_d_shell(k, dr, d_dr);
    const double *c = y + k * cnt, *cp = yp + k * cnt;
    double* out = f + k * cnt;
    if (interior_shell(k, nr))
      for (int q = 0; q < cnt; ++q) out[q] = constant_d_row<true>(c, cp, j, q, k, nr, cnt, w);
    else
      for (int q = 0; q < cnt; ++q) out[q] = constant_d_row<false>(c, cp, j, q, k, nr, cnt, w);
  }
}

//! Particle rows of electrode nodes [first, last): the shell rows above (particle_row).
template <class Team, class V>
IONFLUX_HD inline void particle_residual(const Team& team, const Layout& l, const ElectrodeParams& e, int first,
                                         int last, const V& y, const V& yp, const V& f, double temp) {
  const int nr = l.nr(first);
  const int cnt = last - first;  // nodes of this electrode: shell k of them is contiguous
  const double dr = e.particle_radius / nr;
  const int jb = l.j_index(first);
  if (fn::particle_diffusivity_is_constant(e)) {
    // shells outside, nodes inside: the node loop is contiguous (adjacent lanes on the
    // GPU, vectorised on the CPU); geometric factors once per shell (constant_d_shell)
    const double d_dr = fn::particle_diffusivity(e, 0.0, temp) / dr;
    if constexpr (is_contiguous_view<V>::value && Team::kWidth == 1) {  // one thread, contiguous views
      constant_d_rows(&y[l.cs_index(first, 0)], &yp[l.cs_index(first, 0)], &y[jb], &f[l.cs_index(first, 0)], nr, cnt,
                      dr, d_dr);
    } else {
      for (int k = 0; k < nr; ++k) {
        const ConstantDShell w = constant_d_shell(k, dr, d_dr);
        const int b0 = l.cs_index(first, k);
        const V c = y.sub(b0), cp = yp.sub(b0), j = y.sub(jb);
        if (interior_shell(k, nr))  // (as constant_d_rows)
          team.for_each(cnt, [&](int q) { f[b0 + q] = constant_d_row<true>(c, cp, j, q, k, nr, cnt, w); });
        else
          team.for_each(cnt, [&](int q) { f[b0 + q] = constant_d_row<false>(c, cp, j, q, k, nr, cnt, w); });
      }
    }
    return;
  }
  // concentration-dependent D: on the CPU all nodes' shells at once (particle_rows_batched)
#ifndef __CUDA_ARCH__
  if (cnt * nr <= kShellPoints) {
    team.single([&]() { particle_rows_batched(l, e, first, cnt, nr, dr, y, yp, f, temp); });
    return;
  }
#endif
  // else one node per lane, its shells in order (D at each shell evaluated once and
  // carried to the next face; on the CPU for kShellBatch shells at a time, so that a user
  // function's program is dispatched once per operation)
  team.for_each(cnt, [&](int q) {
    ShellDiffusivity<V> d_at(l, e, y, first + q, temp);
    particle_node_rows(l, first + q, dr, y, yp, f, [&](int k, double) -> double { return d_at(k); });
  });
}

//! Stress-induced diffusion (docs/degradation_mechanics.md): theta_M of electrode node i
//! (electrode ed) at temperature temp. With a constant partial molar volume and Young's
//! modulus it is a per-electrode constant; otherwise the r-averages of Omega(sto, T) and
//! E(sto, T) over the node's shells (mech::node_mechanics), as PyBaMM does.
template <class V>
IONFLUX_HD inline double stress_theta_node(const CellParams& p, const Layout& l, int ed, int i, const V& y,
                                           double temp) {
  const ElectrodeDegradation& d = p.deg.electrode[ed];
  if (d.partial_molar_volume.id == FunctionId::constant && d.young_modulus.id == FunctionId::constant)
    return mech::stress_theta(d.partial_molar_volume.p[0], d.young_modulus.p[0], d.poisson_ratio, temp);
  const ElectrodeParams& e = ed == 0 ? p.neg : p.pos;
  return mech::node_mechanics<double>(e, d, l.nr(i), [&](int k) -> double { return y[l.cs_index(i, k)]; }, temp)
      .theta;
}

//! Particle rows of electrode node i with stress-induced diffusion: particle_node_rows
//! with D_eff,k = D(c_k, T) [1 + theta_M (c_k - c_0)] at each shell, harmonic means at
//! the interior faces; the surface flux stays j / F (PyBaMM's BC divides by the same
//! extrapolated D_eff that multiplies it). d_const: D of the electrode, read only when
//! it does not depend on c (fn::particle_diffusivity_is_constant: then evaluated once for
//! all its nodes by the caller; else per shell, as particle_residual does). Out of line
//! (see side_reactions.hpp).
template <class V>
IONFLUX_DEG_OUTLINE IONFLUX_HD void stress_particle_node(const CellParams& p, const Layout& l, int ed, int i,
                                                         const V& y, const V& yp, const V& f, double temp,
                                                         double d_const) {
  const ElectrodeParams& e = ed == 0 ? p.neg : p.pos;
  const double c0 = p.deg.electrode[ed].stress_free_conc;
  const double dr = e.particle_radius / l.nr(i);
  const double theta = stress_theta_node(p, l, ed, i, y, temp);
  if (fn::particle_diffusivity_is_constant(e)) {
    particle_node_rows(l, i, dr, y, yp, f,
                       [&](int, double c) -> double { return d_const * mech::stress_factor(theta, c, c0); });
    return;
  }
  ShellDiffusivity<V> d_at(l, e, y, i, temp);
  particle_node_rows(l, i, dr, y, yp, f,
                     [&](int k, double c) -> double { return d_at(k) * mech::stress_factor(theta, c, c0); });
}

//! Is theta_M (stress_theta_node) the same at every node of electrode ed: constant
//! partial molar volume and Young's modulus (OKane2022 and every shipped set)?
IONFLUX_HD inline bool stress_theta_is_uniform(const CellParams& p, int ed) {
  const ElectrodeDegradation& d = p.deg.electrode[ed];
  return d.partial_molar_volume.id == FunctionId::constant && d.young_modulus.id == FunctionId::constant;
}

//! stress_particle_node's rows for every node of electrode ed [first, first + cnt) when
//! neither D nor theta_M depends on the node (D of T only, constant Omega and E), with
//! the shells outside and the nodes inside (particle_rows_shell_major): the same
//! operations on the same values as stress_particle_node, so the same rows bit for bit.
//! d_const: the electrode's D. Out of line (see side_reactions.hpp).
template <class Team, class V>
IONFLUX_DEG_OUTLINE IONFLUX_HD void stress_particle_uniform(const Team& team, const CellParams& p, const Layout& l,
                                                            int ed, int first, const V& y, const V& yp, const V& f,
                                                            double temp, double d_const) {
  const ElectrodeParams& e = ed == 0 ? p.neg : p.pos;
  const int cnt = l.electrode_nodes(first), nr = l.nr(first);
  const double c0 = p.deg.electrode[ed].stress_free_conc;
  const double dr = e.particle_radius / nr;
  const double theta = stress_theta_node(p, l, ed, first, y, temp);
  particle_rows_shell_major(team, l, first, cnt, nr, dr, y, yp, f, [&](int, int, double c) -> double {
    return d_const * mech::stress_factor(theta, c, c0);
  });
}

//! Particle rows of electrode ed (0 negative, 1 positive): with stress-induced diffusion
//! on for it, stress_particle_uniform, or stress_particle_node at each node; else
//! particle_residual.
template <class Team, class V>
IONFLUX_HD inline void electrode_particle_residual(const Team& team, const CellParams& p, const Layout& l, int ed,
                                                   const V& y, const V& yp, const V& f, double temp) {
  const int first = ed == 0 ? 0 : l.nn + l.ns;
  if (l.model.stress_induced_diffusion[ed]) {
    const ElectrodeParams& e = ed == 0 ? p.neg : p.pos;
    const double d_const = fn::particle_diffusivity_is_constant(e) ? fn::particle_diffusivity(e, 0.0, temp) : 0.0;
    if (fn::particle_diffusivity_is_constant(e) && stress_theta_is_uniform(p, ed)) {
      stress_particle_uniform(team, p, l, ed, first, y, yp, f, temp, d_const);
      return;
    }
    team.for_each(l.electrode_nodes(first),
                  [&](int q) { stress_particle_node(p, l, ed, first + q, y, yp, f, temp, d_const); });
    return;
  }
  particle_residual(team, l, ed == 0 ? p.neg : p.pos, first, ed == 0 ? l.nn : l.nx, y, yp, f, temp);
}

//! Number of unknowns that take part in the norms.
IONFLUX_HD inline int norm_count(const Layout& l) {
  const int deg = l.nn * (l.nd[0] - (l.dslot[0][kDegJtot] >= 0)) + l.np * (l.nd[1] - (l.dslot[1][kDegJtot] >= 0));
  return 2 * l.nx + (l.nn + l.np) + l.nn * l.rn + l.np * l.rp + 3 + deg;  // + I, Q, T, degradation
}

//! Electrolyte transport efficiency eps^b_e of node i at state y (the node's porosity
//! under porosity change, else the parameter's).
//! x^b of a Bruggeman exponent b under porosity change: x sqrt(x) for the usual b = 1.5
//! (pow's value to about an ulp, at a fraction of its cost: two per node and residual).
IONFLUX_HD inline double bruggeman_power(double x, double b) { return b == 1.5 ? x * sqrt(x) : pow(x, b); }
template <class V>
IONFLUX_HD inline double node_tor(const CellParams& p, const Layout& l, const NodeGeom& g, int i, const V& y) {
  if (!l.model.porosity_change || g.dom == 1) return g.tor;
  return bruggeman_power(deg::node_porosity(p, l, i, y), g.e->bruggeman_e);
}
//! sigma_eff = sigma (1 - eps)^b_s of an electrode node of porosity eps (porosity change).
IONFLUX_HD inline double sigma_at_porosity(const ElectrodeParams& e, double eps, double temp) {
  return fn::sigma_eff(e, temp) / e.solid_tor * bruggeman_power(1.0 - eps, e.bruggeman_s);
}
//! sigma_eff of electrode node i at state y: sigma (1 - eps)^b_s with the node's porosity
//! under porosity change.
template <class V>
IONFLUX_HD inline double node_sigma(const CellParams& p, const Layout& l, const ElectrodeParams& e, int i, const V& y,
                                    double temp) {
  if (!l.model.porosity_change) return fn::sigma_eff(e, temp);
  return sigma_at_porosity(e, deg::node_porosity(p, l, i, y), temp);
}
//! Under porosity change, node i's electrolyte transport efficiency (node_tor's value,
//! returned) and, at an electrode node, its sigma_eff (node_sigma's) stored at
//! s[kSigmaScratch * nx + i] for degradation_node_rows: the node's porosity once for both.
constexpr int kSigmaScratch = 8, kCbarScratch = 9;
//! Without degradation, the main reaction's Butler-Volmer current density of electrode
//! node i, s[kBvScratch * nx + i] (residual's kinetics phase: butler_volmer_points).
constexpr int kBvScratch = 10;
template <class V>
IONFLUX_DEG_OUTLINE IONFLUX_HD double porosity_coefficients(const CellParams& p, const Layout& l, const NodeGeom& g,
                                                            int i, const V& y, double temp, const V& s) {
  if (g.dom == 1) return g.tor;
  const double eps = deg::node_porosity(p, l, i, y);
  s[kSigmaScratch * l.nx + i] = sigma_at_porosity(*g.e, eps, temp);
  return bruggeman_power(eps, g.e->bruggeman_e);
}

//! The transport coefficients of node i stored by residual's first phase.
template <class V>
IONFLUX_HD inline NodeTransport<double> stored_transport(const V& s, int i) {
  return NodeTransport<double>{s[4 * i], s[4 * i + 1], s[4 * i + 2], s[4 * i + 3]};
}

//! Does electrode ed's local rows read the mechanics inputs (LAM or cracking)?
IONFLUX_HD inline bool needs_mech_inputs(const Layout& l, int ed) {
  return l.dslot[ed][kDegEpsS] >= 0 || l.dslot[ed][kDegCrack] >= 0;
}

//! c_bar of electrode ed's nodes into out[q] (node first + q): mech::r_average_node's
//! values (the same weights, summed in the same order), with the shells outside and the
//! nodes inside, so that each shell's weight is computed once for all the nodes.
template <class Team, class V>
IONFLUX_HD inline void r_average_nodes(const Team& team, const Layout& l, int ed, const V& y, const V& out) {
  const int first = ed == 0 ? 0 : l.nn + l.ns, cnt = l.electrode_nodes(first), nr = l.nr(first);
  for (int k = 0; k < nr; ++k) {
    const double w = shell_weight(k, nr);
    const int b0 = l.cs_index(first, k);
    team.for_each(cnt, [&](int q) { out[q] = k == 0 ? w * y[b0 + q] : out[q] + w * y[b0 + q]; });
  }
}

//! The mechanics inputs of electrode node i's local rows (deg::LocalVars: c_bar, Omega,
//! E; docs/degradation_mechanics.md), computed from its shells when its electrode has
//! LAM or cracking (zero otherwise: not read). cbar_known: the node's c_bar when the
//! caller has it (r_average_nodes), used when Omega and E are constants (else the
//! r-averages are taken here, with c_bar).
template <class V>
IONFLUX_HD inline void node_mech_inputs(const CellParams& p, const Layout& l, int i, const V& y, double temp,
                                        double& cbar, double& omega, double& young,
                                        const double* cbar_known = nullptr) {
  const int ed = l.electrode_of(i);
  cbar = omega = young = 0.0;
  if (!needs_mech_inputs(l, ed)) return;
  const ElectrodeDegradation& d = p.deg.electrode[ed];
  if (cbar_known && d.partial_molar_volume.id == FunctionId::constant && d.young_modulus.id == FunctionId::constant) {
    cbar = *cbar_known;  // node_mechanics' values with constant moduli
    omega = d.partial_molar_volume.p[0];
    young = d.young_modulus.p[0];
    return;
  }
  const mech::NodeMechanics<double> m = mech::node_mechanics<double>(
      ed == 0 ? p.neg : p.pos, p.deg.electrode[ed], l.nr(i), [&](int k) -> double { return y[l.cs_index(i, k)]; },
      temp);
  cbar = m.c_bar;
  omega = m.omega;
  young = m.young;
}

//! Solid-phase, kinetics and degradation rows of electrode node i with any degradation
//! option on (docs/degradation.md); returns the node's heat per unit area (lumped
//! thermal model) as residual's phase 4 does. s: residual's scratch, with the OCP and
//! exchange current of every electrode node at s[6 nx + i], s[7 nx + i] and, under
//! porosity change, sigma_eff at s[kSigmaScratch nx + i]; c_bar at s[kCbarScratch nx + i]
//! where needs_mech_inputs.
template <class V>
IONFLUX_DEG_OUTLINE IONFLUX_HD double degradation_node_rows(const CellParams& p, const Layout& l, int i, const NodeGeom& g,
                                               const V& y, const V& yp, const V& f, double temp, double i_cell,
                                               const double* film_avg, bool first, bool last, const V& s) {
  const ElectrodeParams& e = *g.e;
  // i_s at the faces: sigma_eff per node (porosity change), harmonic face means
  const int ss = kSigmaScratch * l.nx;
  const double sig = l.model.porosity_change ? static_cast<double>(s[ss + i]) : fn::sigma_eff(e, temp);
  double is_l = 0.0, is_r = 0.0, gs_l = 0.0, gs_r = 0.0;  // currents and grad phi_s at the faces
  if (first) {
    if (i == 0) {
      is_l = -sig * 2.0 * y[2] / g.dx;
      gs_l = 2.0 * y[2] / g.dx;
    }
  } else {
    const double sf = l.model.porosity_change ? harmonic_face(static_cast<double>(s[ss + i - 1]), sig, g.dx, g.dx) : sig;
    gs_l = (y[3 * i + 2] - y[3 * i - 1]) / g.dx;
    is_l = -sf * gs_l;
  }
  if (last) {
    if (i == l.nx - 1) {
      is_r = i_cell;
      gs_r = -i_cell / sig;
    }
  } else {
    const double sf = l.model.porosity_change ? harmonic_face(sig, static_cast<double>(s[ss + i + 1]), g.dx, g.dx) : sig;
    gs_r = (y[3 * i + 5] - y[3 * i + 2]) / g.dx;
    is_r = -sf * gs_r;
  }
  const int jk = l.j_index(i), ed = l.electrode_of(i), d0 = l.d_first(i);
  deg::LocalVars<double> v;
  v.ce = y[3 * i];
  v.phie = y[3 * i + 1];
  v.phis = y[3 * i + 2];
  v.csurf = surface_concentration(l, y, i);
  v.cep = yp[3 * i];
  v.z[0] = y[jk];
  v.zp[0] = 0.0;
  for (int s = 0; s < l.nd[ed]; ++s) {
    v.z[1 + s] = y[d0 + s];
    v.zp[1 + s] = yp[d0 + s];
  }
  const double cbar = s[kCbarScratch * l.nx + i];
  node_mech_inputs(p, l, i, y, temp, v.cbar, v.omega, v.young, &cbar);
  v.i_cc = i_cell;
  v.kinetics = true;  // the OCP and j0 of residual's kinetics phase
  v.u = s[6 * l.nx + i];
  v.j0 = s[7 * l.nx + i];
  const deg::LocalRows<double> r = deg::local_rows(p, l, i, v, temp, film_avg[ed]);
  f[3 * i] += r.add[0];
  f[3 * i + 1] += r.add[1];
  f[3 * i + 2] = (is_r - is_l) / g.dx + r.add[2];
  f[jk] = r.fz[0];
  for (int s = 0; s < l.nd[ed]; ++s) f[d0 + s] = r.fz[1 + s];
  if (!p.thermal) return 0.0;
  // -i_s . grad phi_s (face values averaged to the node), and the main reaction's heat
  // a j eta with the film overpotential in eta; side reactions add none (reference 2.3)
  const double j = v.z[0];
  const double sto = v.csurf / e.c_max;
  return g.dx * (-0.25 * (is_l + is_r) * (gs_l + gs_r) + r.a * j * r.eta +
                 r.a * j * temp * fn::entropic_change(e.entropic, sto));
}

//! Residual F(t, y, y') under the control `drive` (the running step's mode and its
//! set-point at t). Units: c_e rows mol/m3/s, phi rows A/m3, j rows A/m2, shell rows
//! mol/m3/s; globals: control row (A, V or W), Q and E rows per hour, T row K/s.
//! `s`: scratch (Layout::scratch_size doubles, not aliasing y, y' or f); f does not alias
//! y or y' either (constant_d_rows reads them through restrict pointers). In team phases:
//! transport coefficients at the nodes, fluxes at the faces, then every node's rows.
template <class Team, class V>
IONFLUX_HD inline void residual(const Team& team, const CellParams& p, const Layout& l, const Drive& drive, const V& y,
                                const V& yp, const V& f, const V& s) {
  const double current = y[l.kI()];
  // isothermal: the functions see the ambient temperature (T's own row keeps it there),
  // so that nothing depends on the unknown T and its Jacobian column is exactly zero
  const double temp = p.thermal ? static_cast<double>(y[l.kT()]) : p.temperature;
  const double i_cell = current / p.area;
  const int nx = l.nx;
  // the geometry of the three domains' nodes
  const NodeGeom dg[3] = {node_geom(p, l, 0), node_geom(p, l, l.nn), node_geom(p, l, l.nn + l.ns)};
  // 1. electrolyte transport coefficients at the nodes: s[4i .. 4i + 3]
  // (kNodeBatch nodes per lane: on the CPU user functions are evaluated for a batch of
  // nodes at once, fn::transport_points)
  team.for_each((nx + kNodeBatch - 1) / kNodeBatch, [&](int b) {
    const int i0 = b * kNodeBatch;
    const int m = nx - i0 < kNodeBatch ? nx - i0 : kNodeBatch;
    double c[kNodeBatch], kappa[kNodeBatch], chi[kNodeBatch], de[kNodeBatch], tp[kNodeBatch];
    for (int j = 0; j < m; ++j) c[j] = y[3 * (i0 + j)];
    IONFLUX_PARTIAL_ARRAYS_BEGIN
    fn::transport_points<kNodeBatch>(p, c, m, temp, kappa, chi, de, tp);
    IONFLUX_PARTIAL_ARRAYS_END
    for (int j = 0; j < m; ++j) {
      const int i = i0 + j;
      const double tor =
          l.model.porosity_change ? porosity_coefficients(p, l, dg[l.domain(i)], i, y, temp, s) : dg[l.domain(i)].tor;
      s[4 * i] = kappa[j] * tor;
      s[4 * i + 1] = chi[j];
      s[4 * i + 2] = de[j] * tor;
      s[4 * i + 3] = tp[j];
    }
  });
  // 2. electrolyte fluxes at the face between nodes i and i + 1: s[sf + 2i], s[sf + 2i + 1]
  // (zero-flux boundaries at x = 0 and x = L)
  const int sf = 4 * nx;
  const FaceGeoms fgs = face_geoms(dg);
  team.for_each(nx - 1, [&](int i) {
    double n_flux, ie;
    electrolyte_face(fgs.k[face_kind(l, i)], stored_transport(s, i), stored_transport(s, i + 1),
                     static_cast<double>(y[3 * i]), static_cast<double>(y[3 * i + 3]),
                     static_cast<double>(y[3 * i + 1]), static_cast<double>(y[3 * i + 4]), n_flux, ie);
    s[sf + 2 * i] = n_flux;
    s[sf + 2 * i + 1] = ie;
  });
  // 3. every node's electrolyte rows, and its share of the lumped heat from the
  // electrolyte (per unit area of the stack: dx * Q, PyBaMM's discretisation: each face
  // quantity averaged to the node, then multiplied)
  const bool thermal = p.thermal != 0;
  const double inv_dx[3] = {1.0 / dg[0].dx, 1.0 / dg[1].dx, 1.0 / dg[2].dx};  // per domain, once
  const double heat_e = team.sum(nx, [&](int i) -> double {
    const NodeGeom& g = dg[l.domain(i)];
    const bool has_left = i > 0, has_right = i + 1 < nx;
    const double n_left = has_left ? static_cast<double>(s[sf + 2 * i - 2]) : 0.0;
    const double ie_left = has_left ? static_cast<double>(s[sf + 2 * i - 1]) : 0.0;
    const double n_right = has_right ? static_cast<double>(s[sf + 2 * i]) : 0.0;
    const double ie_right = has_right ? static_cast<double>(s[sf + 2 * i + 1]) : 0.0;
    const double idx = inv_dx[l.domain(i)];
    f[3 * i] = g.eps * yp[3 * i] + (n_right - n_left) * idx;
    f[3 * i + 1] = (ie_right - ie_left) * idx;
    f[3 * i + 2] = (g.dom == 1) ? static_cast<double>(y[3 * i + 2]) : 0.0;
    if (!thermal) return 0.0;
    // -i_e . grad phi_e
    const double ge_left = has_left ? (y[3 * i + 1] - y[3 * i - 2]) * fgs.k[face_kind(l, i - 1)].inv_d : 0.0;
    const double ge_right = has_right ? (y[3 * i + 4] - y[3 * i + 1]) * fgs.k[face_kind(l, i)].inv_d : 0.0;
    return -(g.dx * 0.25 * (ie_left + ie_right) * (ge_left + ge_right));
  });
  // the OCP at every electrode node's surface stoichiometry, s[su + i], the exchange
  // current, s[sj + i], and without degradation the Butler-Volmer current density,
  // s[sb + i] (kNodeBatch nodes of one electrode per lane: kinetics_points,
  // butler_volmer_points)
  const int su = 6 * nx, sj = 7 * nx, sb = kBvScratch * nx;
  const int nb_n = (l.nn + kNodeBatch - 1) / kNodeBatch, nb_p = (l.np + kNodeBatch - 1) / kNodeBatch;
  team.for_each(nb_n + nb_p, [&](int b) {
    const bool neg = b < nb_n;
    const int i0 = neg ? b * kNodeBatch : l.nn + l.ns + (b - nb_n) * kNodeBatch;
    const int end = neg ? l.nn : nx;
    const int m = end - i0 < kNodeBatch ? end - i0 : kNodeBatch;
    double u[kNodeBatch], j0[kNodeBatch], bv[kNodeBatch];
    kinetics_points(p, l, neg ? p.neg : p.pos, i0, m, y, temp, u, j0);
    for (int j = 0; j < m; ++j) {
      s[su + i0 + j] = u[j];
      s[sj + i0 + j] = j0[j];
    }
    if (l.deg) return;  // (degradation_node_rows: the film's overpotential in eta)
    butler_volmer_points<kNodeBatch>(i0, m, y, u, j0, temp, bv);
    for (int j = 0; j < m; ++j) s[sb + i0 + j] = bv[j];
  });
  // 4. the electrode nodes' solid-phase and kinetics rows (and their heat)
  if (l.deg)  // c_bar of the nodes whose local rows read it: s[kCbarScratch nx + i]
    for (int ed = 0; ed < 2; ++ed)
      if (needs_mech_inputs(l, ed)) r_average_nodes(team, l, ed, y, s.sub(kCbarScratch * nx + (ed == 0 ? 0 : l.nn + l.ns)));
  double film_avg[2] = {0.0, 0.0};
  if (l.model.sei_film == FilmResistance::average) {
    film_avg[0] = deg::average_film(p, l, 0, y, i_cell);
    film_avg[1] = deg::average_film(p, l, 1, y, i_cell);
  }
  const double heat_s = team.sum(l.nn + l.np, [&](int q) -> double {
    const int i = l.electrode_node(q);
    const NodeGeom& g = dg[l.domain(i)];
    const ElectrodeParams& e = *g.e;
    const bool first = (i == 0) || (i == l.nn + l.ns);
    const bool last = (i == l.nn - 1) || (i == l.nx - 1);
    if (l.deg) return degradation_node_rows(p, l, i, g, y, yp, f, temp, i_cell, film_avg, first, last, s);
    const double sig = fn::sigma_eff(e, temp);
    // i_s at the left and right faces of node i
    double is_l, is_r;
    if (first) is_l = (i == 0) ? -sig * 2.0 * y[2] / g.dx : 0.0;
    else is_l = -sig * (y[3 * i + 2] - y[3 * i - 1]) / g.dx;
    if (last) is_r = (i == l.nx - 1) ? i_cell : 0.0;
    else is_r = -sig * (y[3 * i + 5] - y[3 * i + 2]) / g.dx;
    const int jk = l.j_index(i);
    const double j = y[jk];
    f[3 * i] -= g.a * j / constants::F;
    f[3 * i + 1] -= g.a * j;
    f[3 * i + 2] = (is_r - is_l) / g.dx + g.a * j;
    // kinetics
    f[jk] = j - s[sb + i];
    if (!thermal) return 0.0;
    const double cs = surface_concentration(l, y, i);
    const double u = s[su + i];
    // -i_s . grad phi_s with i_s = -sigma grad phi_s on every face: (i_l + i_r)^2 / (4 sigma)
    const double is_sum = is_l + is_r;
    const double sto = cs / e.c_max;
    const double eta = y[3 * i + 2] - y[3 * i + 1] - u;
    return g.dx * (is_sum * is_sum / (4.0 * sig) + g.a * j * eta + g.a * j * temp * fn::entropic_change(e.entropic, sto));
  });
  const double heat = heat_e + heat_s;
  electrode_particle_residual(team, p, l, 0, y, yp, f, temp);
  electrode_particle_residual(team, p, l, 1, y, yp, f, temp);
  // globals
  const double volt = terminal_voltage(l, y);
  team.single([&]() {
    switch (drive.mode) {
      case ControlMode::voltage: f[l.kI()] = volt - drive.value; break;
      case ControlMode::power: f[l.kI()] = current * volt - drive.value; break;
      default: f[l.kI()] = current - drive.value; break;
    }
    f[l.kQ()] = yp[l.kQ()] - current / 3600.0;
    f[l.kE()] = yp[l.kE()] - current * volt / 3600.0;
    if (thermal) {
      // dT/dt = (stack heat per cell volume (+ current collectors) - cooling) / rho c_p(T),
      // as PyBaMM's lumped model divides by rho_c_p_eff(T) (thermal/lumped.py)
      const double q = p.stack_per_volume * (heat + i_cell * i_cell * p.cc_resistance);
      f[l.kT()] = yp[l.kT()] - (q - p.cooling * (temp - p.temperature)) / fn::heat_capacity(p, temp);
    } else {
      f[l.kT()] = yp[l.kT()];  // isothermal: the temperature stays at its initial value
    }
  });
}

}  // namespace dfn
}  // namespace ionflux
