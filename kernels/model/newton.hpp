// The condensed Newton matrix of one cell (DESIGN.md, appendix): assembly from the
// model's stencils by forward-mode AD, static condensation of the particle shells
// and the pore-wall flux at every electrode node, and a block-tridiagonal (3x3)
// LU in x. Cost O(nx * 27 + n_shells); no dense or general sparse matrices.
#pragma once

#include <type_traits>

#include "../numerics/small_matrix.hpp"
#include "dfn.hpp"

namespace ionflux {
namespace dfn {

// Per-x-node factor storage (Layout::jac_node = 48 doubles).
enum JacSlot : int {
  kL = 0,    // 9: block coupling node i to node i-1
  kD = 9,    // 9: diagonal block; after factorisation its inverse (Schur complement)
  kU = 18,   // 9: block coupling node i to node i+1
  kH = 27,   // 3: dF_node / dj
  kK = 30,   // 3: dF_j / d(c_e, phi_e, phi_s)
  kKc = 33,  // dF_j / dc_surf
  kQ = 34,   // 1 / (1 - kc sigma_j)
  kSigJ = 35,
  kBj = 36,  // dF_last_shell / dj
  kPart = 37,  // node whose shell factors this node uses (the electrode's first node
               // when D_s is constant: all its nodes then share one matrix)
};
// Per-shell factor slots, each an array indexed like the shells (Layout::part_index):
// sub-diagonal (then Thomas multiplier), diagonal (then inverse pivot),
// super-diagonal, v = A^-1 b.
enum ShellSlot : int { kSub = 0, kDiag = 1, kSup = 2, kV = 3 };

template <class V>
IONFLUX_HD inline void load(const V& s, int off, double* m, int n) {
  for (int k = 0; k < n; ++k) m[k] = s[off + k];
}
template <class V>
IONFLUX_HD inline void store(const V& s, int off, const double* m, int n) {
  for (int k = 0; k < n; ++k) s[off + k] = m[k];
}

//! Assemble the block part of the Newton matrix dF/dy + cj dF/dy' at y (every row and
//! column before the globals) into `jac`, at temperature `temp`.
//! With `ic` true, the rows of differential unknowns become identity rows (their
//! corrections are zero): the matrix of the consistent-initialisation problem.
//! Team phases: the transport coefficients and their derivatives at the nodes, the face
//! fluxes' derivatives (scratch at Layout::off_scratch), then every node's block rows.
// Degradation (Layout::deg): the local unknowns z of electrode node i (j, then its
// degradation unknowns; nz = 1 + nd of its electrode) are condensed like j alone
// (docs/degradation.md): their rows M z + K x + Kc c_surf e_0 (x the node's c_e, phi_e,
// phi_s) are exact, as are the node rows' dependence H z on them and the reaction terms'
// dependence on x (added to D). Not in the matrix (the residual has them): the faces'
// dependence on the degradation unknowns through the porosity (transport efficiencies),
// and, for the "average" film, on other nodes' SEI and on the current.
// Storage at Layout::off_loc of each node: M (nz x nz; after factorisation
// Q = (M - Kc sig_j e0 e0^T)^-1), K (nz x 3), H (3 x nz).
IONFLUX_HD inline int local_nz(const Layout& l, int i) { return 1 + l.nd[l.electrode_of(i)]; }

template <class V>
IONFLUX_DEG_OUTLINE IONFLUX_HD void assemble_local(const CellParams& p, const Layout& l, int i, const V& y, const V& yp, double cj,
                                      bool ic, double temp, const double* film_avg, const V& jac, int b) {
  constexpr int N = 4 + deg::kLocalMax;
  using DN = Dual<N>;
  const int ed = l.electrode_of(i), nz = local_nz(l, i), jk = l.j_index(i), d0 = l.d_first(i);
  deg::LocalVars<DN> v;
  v.ce = DN::variable(y[3 * i], 0);
  v.phie = DN::variable(y[3 * i + 1], 1);
  v.phis = DN::variable(y[3 * i + 2], 2);
  v.csurf = DN::variable(surface_concentration(l, y, i), 3);
  v.cep = DN(yp[3 * i]);
  v.cep.d[0] = cj;  // d(y')/dy = cj
  v.z[0] = DN::variable(y[jk], 4);
  v.zp[0] = DN(0.0);
  for (int s = 1; s < deg::kLocalMax; ++s) {
    v.z[s] = DN(0.0);
    v.zp[s] = DN(0.0);
  }
  for (int s = 0; s + 1 < nz; ++s) {
    v.z[1 + s] = DN::variable(y[d0 + s], 5 + s);
    v.zp[1 + s] = DN(yp[d0 + s]);
    v.zp[1 + s].d[5 + s] = cj;
  }
  // mechanics/LAM inputs held at their values: the LAM rows' dependence on the node's
  // shells (c_bar, and c_surf beyond the j row's) and on the current is left out of the
  // matrix (the rates are slow; a modified Newton that converges to the same root)
  double cbar = 0.0;
  node_mech_inputs(p, l, i, y, temp, cbar, v.omega, v.young);
  v.cbar = DN(cbar);
  v.i_cc = y[l.kI()] / p.area;
  deg::lifted_kinetics(p, ed, v, temp);
  const deg::LocalRows<DN> r = deg::local_rows(p, l, i, v, temp, film_avg[ed]);
  const int om = b + l.off_loc, ok = om + nz * nz, oh = ok + 3 * nz;
  for (int q = 0; q < nz; ++q) {
    const bool identity = ic && q > 0 && deg_is_differential(l, d0 + q - 1);  // held in the initialisation
    for (int c = 0; c < nz; ++c) jac[om + q * nz + c] = identity ? (q == c ? 1.0 : 0.0) : r.fz[q].d[4 + c];
    for (int c = 0; c < 3; ++c) jac[ok + q * 3 + c] = identity ? 0.0 : r.fz[q].d[c];
  }
  jac[b + kKc] = r.fz[0].d[3];
  for (int row = 0; row < 3; ++row) {
    const bool skip = ic && row == 0;  // the c_e row is an identity row in the initialisation
    for (int q = 0; q < nz; ++q) jac[oh + row * nz + q] = skip ? 0.0 : r.add[row].d[4 + q];
    if (!skip)
      for (int c = 0; c < 3; ++c) jac[b + kD + row * 3 + c] += r.add[row].d[c];
  }
}

//! Invert the n x n matrix m in place (Gauss-Jordan on [m | I], partial pivoting).
//! False if singular.
IONFLUX_HD inline bool local_inverse(double* m, int n) {
  double inv[deg::kLocalMax * deg::kLocalMax];
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) inv[r * n + c] = r == c ? 1.0 : 0.0;
  for (int k = 0; k < n; ++k) {
    int pr = k;
    for (int r = k + 1; r < n; ++r)
      if (fabs(m[r * n + k]) > fabs(m[pr * n + k])) pr = r;
    if (!(fabs(m[pr * n + k]) > 0.0)) return false;
    if (pr != k)
      for (int c = 0; c < n; ++c) {
        double t = m[k * n + c];
        m[k * n + c] = m[pr * n + c];
        m[pr * n + c] = t;
        t = inv[k * n + c];
        inv[k * n + c] = inv[pr * n + c];
        inv[pr * n + c] = t;
      }
    const double piv = 1.0 / m[k * n + k];
    for (int c = 0; c < n; ++c) {
      m[k * n + c] *= piv;
      inv[k * n + c] *= piv;
    }
    for (int r = 0; r < n; ++r) {
      if (r == k) continue;
      const double f = m[r * n + k];
      if (f == 0.0) continue;
      for (int c = 0; c < n; ++c) {
        m[r * n + c] -= f * m[k * n + c];
        inv[r * n + c] -= f * inv[k * n + c];
      }
    }
  }
  for (int k = 0; k < n * n; ++k) m[k] = inv[k];
  return true;
}

//! Eliminate node i's local unknowns: Q = (M - Kc sig_j e0 e0^T)^-1, D -= H Q K.
template <class V>
IONFLUX_DEG_OUTLINE IONFLUX_HD bool eliminate_local(const Layout& l, const V& jac, int i, int b, double sig_j) {
  const int nz = local_nz(l, i), om = b + l.off_loc, ok = om + nz * nz, oh = ok + 3 * nz;
  double q[deg::kLocalMax * deg::kLocalMax] = {};  // zeroed only to quiet GCC (it cannot see nz >= 1)
  for (int k = 0; k < nz * nz; ++k) q[k] = jac[om + k];
  q[0] -= jac[b + kKc] * sig_j;
  if (!local_inverse(q, nz)) return false;
  for (int k = 0; k < nz * nz; ++k) jac[om + k] = q[k];
  jac[b + kSigJ] = sig_j;
  double qk[deg::kLocalMax * 3];  // Q K
  for (int r = 0; r < nz; ++r)
    for (int c = 0; c < 3; ++c) {
      double s = 0.0;
      for (int k = 0; k < nz; ++k) s += q[r * nz + k] * jac[ok + k * 3 + c];
      qk[r * 3 + c] = s;
    }
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      double s = 0.0;
      for (int k = 0; k < nz; ++k) s += jac[oh + r * nz + k] * qk[k * 3 + c];
      jac[b + kD + r * 3 + c] -= s;
    }
  return true;
}

//! Forward elimination of node i's local unknowns in r (sig_r: the surface value of the
//! shell solves' u): g = Q (r_z - Kc sig_r e0), r_node -= H g.
template <class V>
IONFLUX_DEG_OUTLINE IONFLUX_HD void local_forward(const Layout& l, const V& jac, const V& r, int i, int b, double sig_r) {
  const int nz = local_nz(l, i), om = b + l.off_loc, oh = om + nz * nz + 3 * nz;
  const int jk = l.j_index(i), d0 = l.d_first(i);
  double rz[deg::kLocalMax], g[deg::kLocalMax] = {};  // g zeroed only to quiet GCC (it cannot see nz >= 1)
  rz[0] = r[jk] - jac[b + kKc] * sig_r;
  for (int s = 1; s < nz; ++s) rz[s] = r[d0 + s - 1];
  for (int q = 0; q < nz; ++q) {
    double s = 0.0;
    for (int k = 0; k < nz; ++k) s += jac[om + q * nz + k] * rz[k];
    g[q] = s;
  }
  r[jk] = g[0];
  for (int s = 1; s < nz; ++s) r[d0 + s - 1] = g[s];
  for (int c = 0; c < 3; ++c) {
    double s = 0.0;
    for (int k = 0; k < nz; ++k) s += jac[oh + c * nz + k] * g[k];
    r[3 * i + c] -= s;
  }
}

//! Recover node i's local unknowns once x is known: z = g - Q K x.
template <class V>
IONFLUX_DEG_OUTLINE IONFLUX_HD void local_back(const Layout& l, const V& jac, const V& r, int i, int b) {
  const int nz = local_nz(l, i), om = b + l.off_loc, ok = om + nz * nz;
  const int jk = l.j_index(i), d0 = l.d_first(i);
  double kx[deg::kLocalMax];
  for (int q = 0; q < nz; ++q)
    kx[q] = jac[ok + q * 3] * r[3 * i] + jac[ok + q * 3 + 1] * r[3 * i + 1] + jac[ok + q * 3 + 2] * r[3 * i + 2];
  for (int q = 0; q < nz; ++q) {
    double s = 0.0;
    for (int k = 0; k < nz; ++k) s += jac[om + q * nz + k] * kx[k];
    if (q == 0) r[jk] -= s;
    else r[d0 + q - 1] -= s;
  }
}

//! The shell tridiagonal of electrode node i with stress-induced diffusion (the rows of
//! stress_particle_node): exact in the shells through D(c_k) and the factor 1 + theta_M
//! (c_k - c_0). theta_M is held at its value: with a constant Omega and E (OKane2022 and
//! every shipped set) it depends on T only, and the temperature column is a finite
//! difference of the residual; with Omega(sto), E(sto) its dependence on every shell of
//! the node (through their r-averages) is left out of the matrix, a modified Newton that
//! converges to the same residual root.
template <class V>
IONFLUX_DEG_OUTLINE IONFLUX_HD void stress_particle_jacobian(const CellParams& p, const Layout& l, int ed, int i,
                                                             const V& y, double cj, bool ic, double temp,
                                                             const V& jac) {
  using D1 = Dual<1>;
  using D2 = Dual<2>;
  const ElectrodeParams& e = ed == 0 ? p.neg : p.pos;
  const int nr = l.nr(i);
  for (int k = 0; k < nr; ++k) {
    jac[l.part_index(kSub, i, k)] = 0.0;
    jac[l.part_index(kSup, i, k)] = 0.0;
    jac[l.part_index(kDiag, i, k)] = ic ? 1.0 : cj;
  }
  if (ic) return;
  const double c0 = p.deg.electrode[ed].stress_free_conc, dr = e.particle_radius / nr;
  const D1 theta(stress_theta_node(p, l, ed, i, y, temp));
  // D(c) and its derivative: once for the node when D does not depend on c (the same
  // value and derivative at every shell), else at each shell
  const bool const_d = fn::particle_diffusivity_is_constant(e);
  const D1 d_const = const_d ? fn::particle_diffusivity(e, D1::variable(y[l.cs_index(i, 0)], 0), temp) : D1(0.0);
  auto d_eff = [&](double c) -> D1 {
    const D1 x = D1::variable(c, 0);
    return (const_d ? d_const : fn::particle_diffusivity(e, x, temp)) * mech::stress_factor(theta, x, c0);
  };
  D1 dk_ad = d_eff(y[l.cs_index(i, 0)]);
  for (int k = 0; k + 1 < nr; ++k) {
    const Shell s0 = shell(e.particle_radius, nr, k), s1 = shell(e.particle_radius, nr, k + 1);
    const double ck = y[l.cs_index(i, k)], ck1 = y[l.cs_index(i, k + 1)];
    const D1 dk1_ad = d_eff(ck1);
    D2 d_left(dk_ad.v), d_right(dk1_ad.v);  // direction 0 is c_k, direction 1 is c_{k+1}
    d_left.d[0] = dk_ad.d[0];
    d_right.d[1] = dk1_ad.d[0];
    const D2 nf = particle_face_flux(d_left, d_right, dr, D2::variable(ck, 0), D2::variable(ck1, 1));
    dk_ad = dk1_ad;
    jac[l.part_index(kDiag, i, k)] += s0.r2_out / s0.vol * nf.d[0];
    jac[l.part_index(kSup, i, k)] += s0.r2_out / s0.vol * nf.d[1];
    jac[l.part_index(kSub, i, k + 1)] -= s1.r2_in / s1.vol * nf.d[0];
    jac[l.part_index(kDiag, i, k + 1)] -= s1.r2_in / s1.vol * nf.d[1];
  }
}

template <class Team, class V>
IONFLUX_HD inline void assemble_block(const Team& team, const CellParams& p, const Layout& l, const V& y, double cj,
                                      bool ic, double temp, const V& jac, const V* yp = nullptr) {
  const int JN = l.jac_node, nx = l.nx;
  const V sc = jac.sub(l.off_scratch);
  using D4 = Dual<4>;
  using D1 = Dual<1>;
  const NodeGeom dg[3] = {node_geom(p, l, 0), node_geom(p, l, l.nn), node_geom(p, l, l.nn + l.ns)};
  // 1. node coefficients and their derivatives in the node's own c_e: sc[8i .. 8i + 7]
  // (kNodeBatch nodes per lane, as in the residual: fn::transport_points, the user
  // functions evaluated for the batch at once; kappa and D_e times the node's tortuosity
  // factor)
  team.for_each((nx + kNodeBatch - 1) / kNodeBatch, [&](int b) {
    const int i0 = b * kNodeBatch;
    const int m = nx - i0 < kNodeBatch ? nx - i0 : kNodeBatch;
    D1 c[kNodeBatch], kappa[kNodeBatch], chi[kNodeBatch], de[kNodeBatch], tp[kNodeBatch];
    for (int j = 0; j < m; ++j) c[j] = D1::variable(y[3 * (i0 + j)], 0);
    fn::transport_points<kNodeBatch>(p, c, m, temp, kappa, chi, de, tp);
    for (int j = 0; j < m; ++j) {
      const int i = i0 + j;
      const double tor = l.model.porosity_change ? node_tor(p, l, dg[l.domain(i)], i, y) : dg[l.domain(i)].tor;
      const D1 q[4] = {kappa[j] * tor, chi[j], de[j] * tor, tp[j]};
      for (int k = 0; k < 4; ++k) {
        sc[8 * i + 2 * k] = q[k].v;
        sc[8 * i + 2 * k + 1] = q[k].d[0];
      }
    }
  });
  // 2. electrolyte faces: AD over (c_L, c_R, phi_L, phi_R); the node coefficients enter
  // as direction 0 (left node) or 1 (right node). Face i (nodes i, i + 1) stores the
  // derivatives of N and of i_e: sc[sf + 8i .. 8i + 7]
  const int sf = 8 * nx;
  auto lifted = [&](int i, int dir) {
    NodeTransport<D4> r;
    D4* out[4] = {&r.kappa, &r.chi, &r.de, &r.tp};
    for (int k = 0; k < 4; ++k) {
      *out[k] = D4(sc[8 * i + 2 * k]);
      out[k]->d[dir] = sc[8 * i + 2 * k + 1];
    }
    return r;
  };
  const FaceGeoms fgs = face_geoms(dg);
  team.for_each(nx - 1, [&](int i) {
    D4 nf, ie;
    electrolyte_face(fgs.k[face_kind(l, i)], lifted(i, 0), lifted(i + 1, 1),
                     D4::variable(y[3 * i], 0), D4::variable(y[3 * i + 3], 1), D4::variable(y[3 * i + 1], 2),
                     D4::variable(y[3 * i + 4], 3), nf, ie);
    for (int k = 0; k < 4; ++k) {
      sc[sf + 8 * i + k] = nf.d[k];
      sc[sf + 8 * i + 4 + k] = ie.d[k];
    }
  });
  // 3. every node's block rows (and, at electrode nodes, kinetics and particle shells)
  using D2 = Dual<2>;
  double film_avg[2] = {0.0, 0.0};
  if (l.model.sei_film == FilmResistance::average) {
    film_avg[0] = deg::average_film(p, l, 0, y, y[l.kI()] / p.area);
    film_avg[1] = deg::average_film(p, l, 1, y, y[l.kI()] / p.area);
  }
#ifndef __CUDA_ARCH__
  // the kinetics of kJacobianKineticsBatch electrode nodes at a time (kinetics_points_jacobian),
  // made when the node loop reaches a node outside the batch held
  constexpr int KB = kJacobianKineticsBatch;
  D4 kin_u[KB], kin_j0[KB];
  int kin_i0 = 0, kin_m = 0;
  auto kinetics_at = [&](int i, const ElectrodeParams& e, D4& u, D4& j0) {
    if (i < kin_i0 || i >= kin_i0 + kin_m) {
      const int end = i < l.nn ? l.nn : nx;
      kin_i0 = i;
      kin_m = end - i < KB ? end - i : KB;
      kinetics_points_jacobian<KB>(p, l, e, kin_i0, kin_m, y, temp, kin_u, kin_j0);
    }
    u = kin_u[i - kin_i0];
    j0 = kin_j0[i - kin_i0];
  };
#endif
  team.for_each(nx, [&](int i) {
    const NodeGeom& g = dg[l.domain(i)];
    const int b = JN * i;
    for (int k = 0; k < JN; ++k) jac[b + k] = 0.0;
    jac[b + kD + 0] = ic ? 1.0 : cj * g.eps;
    if (g.dom == 1) jac[b + kD + 8] = 1.0;
    // face i - 1 (this node on its right: - flux / dx), then face i (on its left: + flux / dx)
    for (int row = ic ? 1 : 0; row < 2; ++row) {
      if (i > 0) {
        const int f = sf + 8 * (i - 1) + 4 * row;
        jac[b + kL + row * 3 + 0] -= sc[f + 0] / g.dx;
        jac[b + kL + row * 3 + 1] -= sc[f + 2] / g.dx;
        jac[b + kD + row * 3 + 0] -= sc[f + 1] / g.dx;
        jac[b + kD + row * 3 + 1] -= sc[f + 3] / g.dx;
      }
      if (i + 1 < nx) {
        const int f = sf + 8 * i + 4 * row;
        jac[b + kD + row * 3 + 0] += sc[f + 0] / g.dx;
        jac[b + kD + row * 3 + 1] += sc[f + 2] / g.dx;
        jac[b + kU + row * 3 + 0] += sc[f + 1] / g.dx;
        jac[b + kU + row * 3 + 1] += sc[f + 3] / g.dx;
      }
    }
    if (g.dom == 1) return;
    const ElectrodeParams& e = *g.e;
    const double gs = fn::sigma_eff(e, temp) / (g.dx * g.dx);
    const bool first = (i == 0) || (i == l.nn + l.ns);
    const bool last = (i == l.nn - 1) || (i == l.nx - 1);
    double gs0 = gs, gs_l = gs, gs_r = gs;  // sigma_eff / dx^2 at the node and its faces
    if (l.model.porosity_change) {
      const double inv = 1.0 / (g.dx * g.dx), sn = node_sigma(p, l, e, i, y, temp);
      gs0 = sn * inv;
      if (!first) gs_l = harmonic_face(node_sigma(p, l, e, i - 1, y, temp), sn, g.dx, g.dx) * inv;
      if (!last) gs_r = harmonic_face(sn, node_sigma(p, l, e, i + 1, y, temp), g.dx, g.dx) * inv;
    }
    if (i == 0) jac[b + kD + 8] += 2.0 * gs0;
    if (!first) {
      jac[b + kD + 8] += gs_l;
      jac[b + kL + 8] -= gs_l;
    }
    if (!last) {
      jac[b + kD + 8] += gs_r;
      jac[b + kU + 8] -= gs_r;
    }
    const int nr = l.nr(i);
    if (l.deg) {
      assemble_local(p, l, i, y, *yp, cj, ic, temp, film_avg, jac, b);
    } else {
    jac[b + kH + 0] = ic ? 0.0 : -g.a / constants::F;
    jac[b + kH + 1] = -g.a;
    jac[b + kH + 2] = g.a;
    // kinetics: F_j = j - BV(c_e, phi_e, phi_s, c_surf)
    D4 u, j0;
#ifndef __CUDA_ARCH__
    if (Team::kWidth == 1) kinetics_at(i, e, u, j0);  // one thread visits the nodes in order: a batch at once
    else
#endif
      fn::kinetics_duals(p, e, y[3 * i], surface_concentration(l, y, i), temp, u, j0);
    const D4 bv = butler_volmer_at(j0, D4::variable(y[3 * i + 1], 1), D4::variable(y[3 * i + 2], 2), u, temp);
    jac[b + kK + 0] = -bv.d[0];
    jac[b + kK + 1] = -bv.d[1];
    jac[b + kK + 2] = -bv.d[2];
    jac[b + kKc] = -bv.d[3];
    }
    // particle shells: tridiagonal in r. With a concentration-independent D_s every
    // node of an electrode has the same matrix: it is built and factorised once.
    const bool const_d = fn::particle_diffusivity_is_constant(e);
    const int first_node = l.electrode_first(i);
    const int src = const_d ? first_node : i;
    jac[b + kPart] = src;
    const double dr = e.particle_radius / nr;
    {
      const Shell sl = shell(e.particle_radius, nr, nr - 1);
      jac[b + kBj] = ic ? 0.0 : sl.r2_out / (sl.vol * constants::F);
    }
    if (l.model.stress_induced_diffusion[l.electrode_of(i)]) {  // D_eff depends on c: own factors
      jac[b + kPart] = i;
      return stress_particle_jacobian(p, l, l.electrode_of(i), i, y, cj, ic, temp, jac);
    }
    if (const_d && i != first_node) return;
    for (int k = 0; k < nr; ++k) {
      jac[l.part_index(kSub, src, k)] = 0.0;
      jac[l.part_index(kSup, src, k)] = 0.0;
      jac[l.part_index(kDiag, src, k)] = ic ? 1.0 : cj;
    }
    if (ic) return;
    // concentration-dependent D: D and dD/dc at each shell once, carried to the next face
    // (on the CPU for kShellBatch shells at a time: see particle_residual)
    ShellDiffusivity<V, D1> d_at(l, e, y, i, temp);
    D1 dk_ad = const_d ? D1(0.0) : d_at(0);
    for (int k = 0; k + 1 < nr; ++k) {
      const Shell s0 = shell(e.particle_radius, nr, k), s1 = shell(e.particle_radius, nr, k + 1);
      double dn0, dn1;  // dN/dc_k, dN/dc_{k+1}
      const double ck = y[l.cs_index(i, k)], ck1 = y[l.cs_index(i, k + 1)];
      if (const_d) {
        const double dk = fn::particle_diffusivity(e, ck, temp);
        dn0 = dk / dr;
        dn1 = -dk / dr;
      } else {
        const D1 dk1_ad = d_at(k + 1);
        D2 d_left(dk_ad.v), d_right(dk1_ad.v);  // as D2: direction 0 is c_k, direction 1 is c_{k+1}
        d_left.d[0] = dk_ad.d[0];
        d_right.d[1] = dk1_ad.d[0];
        const D2 nf = particle_face_flux(d_left, d_right, dr, D2::variable(ck, 0), D2::variable(ck1, 1));
        dn0 = nf.d[0];
        dn1 = nf.d[1];
        dk_ad = dk1_ad;
      }
      jac[l.part_index(kDiag, src, k)] += s0.r2_out / s0.vol * dn0;
      jac[l.part_index(kSup, src, k)] += s0.r2_out / s0.vol * dn1;
      jac[l.part_index(kSub, src, k + 1)] -= s1.r2_in / s1.vol * dn0;
      jac[l.part_index(kDiag, src, k + 1)] -= s1.r2_in / s1.vol * dn1;
    }
  });
}

//! Factorise the block part in place. Returns false on a singular pivot.
template <class Team, class V>
IONFLUX_HD inline bool factorize_block(const Team& team, const Layout& l, const V& jac) {
  const int JN = l.jac_node;
  const int n_el = l.nn + l.np;
  // 1. the shell tridiagonals of the nodes that own their factors (Thomas), and
  // v = A^-1 (bj e_last)
  const double bad_shells = team.sum(n_el, [&](int q) -> double {
    const int i = l.electrode_node(q);
    const int b = JN * i;
    if (static_cast<int>(jac[b + kPart]) != i) return 0.0;  // shares another node's factors
    const int nr = l.nr(i);
    double piv = jac[l.part_index(kDiag, i, 0)];
    if (!(fabs(piv) > 0.0)) return 1.0;
    jac[l.part_index(kDiag, i, 0)] = 1.0 / piv;
    for (int k = 1; k < nr; ++k) {
      const double m = jac[l.part_index(kSub, i, k)] * jac[l.part_index(kDiag, i, k - 1)];
      piv = jac[l.part_index(kDiag, i, k)] - m * jac[l.part_index(kSup, i, k - 1)];
      if (!(fabs(piv) > 0.0)) return 1.0;
      jac[l.part_index(kSub, i, k)] = m;
      jac[l.part_index(kDiag, i, k)] = 1.0 / piv;
    }
    double v = jac[b + kBj];
    for (int k = 0; k + 1 < nr; ++k) jac[l.part_index(kV, i, k)] = 0.0;
    // forward elimination of a right-hand side that is zero but for its last entry
    v *= jac[l.part_index(kDiag, i, nr - 1)];
    jac[l.part_index(kV, i, nr - 1)] = v;
    for (int k = nr - 2; k >= 0; --k) {
      v = (0.0 - jac[l.part_index(kSup, i, k)] * v) * jac[l.part_index(kDiag, i, k)];
      jac[l.part_index(kV, i, k)] = v;
    }
    return 0.0;
  });
  if (bad_shells != 0.0) return false;
  // 2. eliminate j at every electrode node: D -= q h k^T
  const double bad_j = team.sum(n_el, [&](int q) -> double {
    const int i = l.electrode_node(q);
    const int b = JN * i;
    const int src = static_cast<int>(jac[b + kPart]);
    const int nr = l.nr(i);
    const double sig_j = surface_weight_outer() * jac[l.part_index(kV, src, nr - 1)] +
                         surface_weight_inner() * jac[l.part_index(kV, src, nr - 2)];
    if (l.deg) return eliminate_local(l, jac, i, b, sig_j) ? 0.0 : 1.0;
    const double den = 1.0 - jac[b + kKc] * sig_j;
    if (!(fabs(den) > 0.0)) return 1.0;
    const double qq = 1.0 / den;
    jac[b + kSigJ] = sig_j;
    jac[b + kQ] = qq;
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) jac[b + kD + r * 3 + c] -= qq * jac[b + kH + r] * jac[b + kK + c];
    return 0.0;
  });
  if (bad_j != 0.0) return false;
  // 3. block LU in x (sequential: one lane). Stored for the solve: Dinv_i (inverse Schur
  // complement), L'_i = L_i Dinv_{i-1} and U'_i = Dinv_i U_i, so that each sweep has
  // one dependent 3x3 product per node.
  return team.single([&]() -> bool {
    double dinv[9], d[9], lb[9], ub[9], t[9];
    for (int i = 0; i < l.nx; ++i) {
      const int b = JN * i;
      load(jac, b + kD, d, 9);
      if (i > 0) {
        load(jac, b + kL, lb, 9);
        mat3::mul(lb, dinv, t);  // dinv still holds node i-1's inverse
        store(jac, b + kL, t, 9);
        load(jac, JN * (i - 1) + kU, ub, 9);  // U'_{i-1}
        mat3::mul(lb, ub, t);
        for (int k = 0; k < 9; ++k) d[k] -= t[k];
      }
      if (!mat3::inverse(d, dinv)) return false;
      store(jac, b + kD, dinv, 9);
      if (i + 1 < l.nx) {
        load(jac, b + kU, ub, 9);
        mat3::mul(dinv, ub, t);
        store(jac, b + kU, t, 9);
      }
    }
    return true;
  });
}

//! Nodes whose shell recurrences one lane of shell_solves carries side by side: on the
//! CPU a vector's worth (the recurrence of each node stays in registers, and the chunks'
//! independent chains overlap), on the GPU one node per lane.
#ifdef __CUDA_ARCH__
constexpr int kShellLanes = 1;
#else
constexpr int kShellLanes = 4;
#endif

//! Thomas sweeps (forward, then back) of the m <= L nodes q0 .. q0 + m - 1 of an
//! electrode (shell k of node q at r[b + k cnt + q]); coefficient of shell k at
//! jac[p + k cnt] (Shared: one per shell) or jac[p + k cnt + q]. Each node's value is
//! carried from shell to shell in c[], with shell_solves' arithmetic (the same roundings
//! as one pass per shell over all nodes).
template <int L, bool Shared, class V>
IONFLUX_HD inline void shell_chunk(const V& jac, const V& r, int b, int cnt, int nr, int psub, int pdiag, int psup,
                                   int q0, int m) {
  // every row's loads before its arithmetic and stores (r and jac may alias for all the
  // compiler knows: so it can vectorise the chunk)
  double c[L], x[L], a[L], d[L];
  auto coef = [&](int p, int k, double* out) {
    const int o = p + k * cnt + (Shared ? 0 : q0);
    for (int j = 0; j < m; ++j) out[j] = jac[o + (Shared ? 0 : j)];
  };
  for (int j = 0; j < m; ++j) c[j] = r[b + q0 + j];
  for (int k = 1; k < nr; ++k) {
    const int bk = b + k * cnt + q0;
    coef(psub, k, a);
    for (int j = 0; j < m; ++j) x[j] = r[bk + j];
    for (int j = 0; j < m; ++j) c[j] = x[j] - a[j] * c[j];
    for (int j = 0; j < m; ++j) r[bk + j] = c[j];
  }
  coef(pdiag, nr - 1, d);
  for (int j = 0; j < m; ++j) c[j] *= d[j];
  for (int j = 0; j < m; ++j) r[b + (nr - 1) * cnt + q0 + j] = c[j];
  for (int k = nr - 2; k >= 0; --k) {
    const int bk = b + k * cnt + q0;
    coef(psup, k, a);
    coef(pdiag, k, d);
    for (int j = 0; j < m; ++j) x[j] = r[bk + j];
    for (int j = 0; j < m; ++j) c[j] = (x[j] - a[j] * c[j]) * d[j];
    for (int j = 0; j < m; ++j) r[bk + j] = c[j];
  }
}

//! shell_chunk's sweeps for all cnt nodes of an electrode at once, W <= cnt <= W G, in G
//! vectors of W nodes (the last one ends at node cnt - 1 and may overlap the one before:
//! a node in two of them gets the same arithmetic twice, as each row is read before it
//! is written). The nodes' recurrences stay in registers, all side by side.
template <int G, bool Shared, class V, int W = 8>
IONFLUX_HD inline void shell_groups(const V& jac, const V& r, int b, int cnt, int nr, int psub, int pdiag, int psup) {
  int off[G];
  for (int g = 0; g < G; ++g) off[g] = W * g < cnt - W ? W * g : cnt - W;
  double c[G][W], x[G][W], a[G][W], d[G][W];
  auto coef = [&](int p, int k, double(&out)[G][W]) {
    for (int g = 0; g < G; ++g)
      for (int j = 0; j < W; ++j) out[g][j] = jac[p + k * cnt + (Shared ? 0 : off[g] + j)];
  };
  auto row = [&](int k, double(&out)[G][W]) {
    for (int g = 0; g < G; ++g)
      for (int j = 0; j < W; ++j) out[g][j] = r[b + k * cnt + off[g] + j];
  };
  auto put = [&](int k) {
    for (int g = 0; g < G; ++g)
      for (int j = 0; j < W; ++j) r[b + k * cnt + off[g] + j] = c[g][j];
  };
  row(0, c);
  for (int k = 1; k < nr; ++k) {
    coef(psub, k, a);
    row(k, x);
    for (int g = 0; g < G; ++g)
      for (int j = 0; j < W; ++j) c[g][j] = x[g][j] - a[g][j] * c[g][j];
    put(k);
  }
  coef(pdiag, nr - 1, d);
  for (int g = 0; g < G; ++g)
    for (int j = 0; j < W; ++j) c[g][j] *= d[g][j];
  put(nr - 1);
  for (int k = nr - 2; k >= 0; --k) {
    coef(psup, k, a);
    coef(pdiag, k, d);
    row(k, x);
    for (int g = 0; g < G; ++g)
      for (int j = 0; j < W; ++j) c[g][j] = (x[g][j] - a[g][j] * c[g][j]) * d[g][j];
    put(k);
  }
}

//! Shell tridiagonal solves u = A^-1 r for all nodes of one electrode, in place. The
//! shell-major layout puts the nodes of a shell side by side, so the nodes' independent
//! recurrences proceed side by side. On the GPU (and on the CPU for more than 32 nodes)
//! each lane takes kShellLanes adjacent nodes through all their shells (shell_chunk). On
//! the CPU every node's recurrence stays in registers with fixed trip counts: groups of 8
//! nodes (shell_groups) for 8 to 32 nodes, groups of 4 for 4 to 7, one chunk of 1 to 3
//! nodes below that (a loop over a run-time count of nodes per shell would copy each row
//! through a library call). With shared factors (constant D_s) each coefficient is one
//! scalar per shell.
template <class Team, class V>
IONFLUX_HD inline void shell_solves(const Team& team, const Layout& l, const V& jac, const V& r, int first) {
  const int cnt = l.electrode_nodes(first), nr = l.nr(first);
  const bool shared = static_cast<int>(jac[l.jac_node * (first + cnt - 1) + kPart]) == first && cnt > 1;
  const int b = l.cs_index(first, 0), psub = l.part_index(kSub, first, 0), pdiag = l.part_index(kDiag, first, 0),
            psup = l.part_index(kSup, first, 0);
#ifndef __CUDA_ARCH__
  if (cnt <= 32) {
    // the sweeps with the factors shared (S true) or per node
    auto sweeps = [&](auto shared_tag) {
      constexpr bool S = decltype(shared_tag)::value;
      if (cnt >= 25) shell_groups<4, S>(jac, r, b, cnt, nr, psub, pdiag, psup);
      else if (cnt >= 17) shell_groups<3, S>(jac, r, b, cnt, nr, psub, pdiag, psup);
      else if (cnt >= 9) shell_groups<2, S>(jac, r, b, cnt, nr, psub, pdiag, psup);
      else if (cnt == 8) shell_groups<1, S>(jac, r, b, cnt, nr, psub, pdiag, psup);
      else if (cnt >= 5) shell_groups<2, S, V, 4>(jac, r, b, cnt, nr, psub, pdiag, psup);
      else if (cnt == 4) shell_groups<1, S, V, 4>(jac, r, b, cnt, nr, psub, pdiag, psup);
      else if (cnt == 3) shell_chunk<3, S>(jac, r, b, cnt, nr, psub, pdiag, psup, 0, 3);
      else if (cnt == 2) shell_chunk<2, S>(jac, r, b, cnt, nr, psub, pdiag, psup, 0, 2);
      else shell_chunk<1, S>(jac, r, b, cnt, nr, psub, pdiag, psup, 0, 1);
    };
    team.single([&]() {
      if (shared) sweeps(std::true_type{});
      else sweeps(std::false_type{});
    });
    return;
  }
#endif
  constexpr int L = kShellLanes;
  team.for_each((cnt + L - 1) / L, [&](int c) {
    const int q0 = c * L;
    if (q0 + L <= cnt) {  // a full chunk: fixed trip counts (one vector on the CPU)
      if (shared) shell_chunk<L, true>(jac, r, b, cnt, nr, psub, pdiag, psup, q0, L);
      else shell_chunk<L, false>(jac, r, b, cnt, nr, psub, pdiag, psup, q0, L);
    } else {
      if (shared) shell_chunk<L, true>(jac, r, b, cnt, nr, psub, pdiag, psup, q0, cnt - q0);
      else shell_chunk<L, false>(jac, r, b, cnt, nr, psub, pdiag, psup, q0, cnt - q0);
    }
  });
}

//! Solve A x = r in place for the block part (entries before the globals).
template <class Team, class V>
IONFLUX_HD inline void solve_block(const Team& team, const Layout& l, const V& jac, const V& r) {
  const int JN = l.jac_node;
  const int n_el = l.nn + l.np;
  // 1. particle solves (u = A^-1 r_s) and elimination of j
  shell_solves(team, l, jac, r, 0);
  shell_solves(team, l, jac, r, l.nn + l.ns);
  team.for_each(n_el, [&](int q) {
    const int i = l.electrode_node(q);
    const int b = JN * i;
    const double sig_r = surface_concentration(l, r, i);
    const int jk = l.j_index(i);
    if (l.deg) return local_forward(l, jac, r, i, b, sig_r);
    const double g0 = jac[b + kQ] * (r[jk] - jac[b + kKc] * sig_r);
    r[jk] = g0;
    for (int c = 0; c < 3; ++c) r[3 * i + c] -= jac[b + kH + c] * g0;
  });
  // 2. block-tridiagonal sweeps in x (sequential: one lane)
  team.single([&]() {
    // forward sweep y_i = r_i - L'_i y_{i-1}, storing z_i = Dinv_i y_i
    double y3[3], z[3], m[9];
    for (int i = 0; i < l.nx; ++i) {
      const int b = JN * i;
      if (i > 0) {
        load(jac, b + kL, m, 9);
        double t[3];
        mat3::mulv(m, y3, t);
        for (int c = 0; c < 3; ++c) y3[c] = r[3 * i + c] - t[c];
      } else {
        for (int c = 0; c < 3; ++c) y3[c] = r[c];
      }
      load(jac, b + kD, m, 9);
      mat3::mulv(m, y3, z);
      for (int c = 0; c < 3; ++c) r[3 * i + c] = z[c];
    }
    // back substitution x_i = z_i - U'_i x_{i+1}
    double x[3] = {r[3 * (l.nx - 1)], r[3 * (l.nx - 1) + 1], r[3 * (l.nx - 1) + 2]};
    for (int i = l.nx - 2; i >= 0; --i) {
      load(jac, JN * i + kU, m, 9);
      double t[3];
      mat3::mulv(m, x, t);
      for (int c = 0; c < 3; ++c) {
        x[c] = r[3 * i + c] - t[c];
        r[3 * i + c] = x[c];
      }
    }
  });
  // 3. recover j and the shells: dc = u - v dj
  team.for_each(n_el, [&](int q) {
    const int i = l.electrode_node(q);
    const int b = JN * i;
    const int jk = l.j_index(i);
    if (l.deg) return local_back(l, jac, r, i, b);
    r[jk] = r[jk] - jac[b + kQ] * (jac[b + kK] * r[3 * i] + jac[b + kK + 1] * r[3 * i + 1] +
                                   jac[b + kK + 2] * r[3 * i + 2]);
  });
  for (int side = 0; side < 2; ++side) {
    const int first = side == 0 ? 0 : l.nn + l.ns;
    const int cnt = l.electrode_nodes(first), nr = l.nr(first);
    const int jb = l.j_index(first);
    const bool shared = static_cast<int>(jac[JN * (first + cnt - 1) + kPart]) == first && cnt > 1;
    for (int k = 0; k < nr; ++k) {
      const int b0 = l.cs_index(first, k), pv = l.part_index(kV, first, k);
      if (shared) {
        const double v = jac[pv];
        team.for_each(cnt, [&](int q) { r[b0 + q] -= v * r[jb + q]; });
      } else {
        team.for_each(cnt, [&](int q) { r[b0 + q] -= jac[pv + q] * r[jb + q]; });
      }
    }
  }
}

// The globals border the block system (DESIGN.md, appendix step 5). Unknowns I
// (current) and T (temperature) couple both ways: column b_I (the current enters the
// positive collector's boundary flux), b_T (temperature enters every parameter
// function; its column is taken by a finite difference, one extra residual per
// matrix), and their own rows. Q and E depend on the rest but nothing depends on them,
// so they are solved last. W_I = A^-1 b_I and W_T = A^-1 b_T are stored; the 2x2 Schur
// complement S = D - C W is inverted at factorisation.
enum BorderSlot : int {
  kbCjQ = 0,   // coefficient of dQ in the Q row (cj, or 1 in the initialisation problem)
  kbIc,        // 1 in the initialisation problem
  kbBI,        // b_I entry: dF/dI of the last positive phi_s row
  kbCII,       // dF_I/dI
  kbCIN,       // dF_I/dphi_s(last)
  kbCIN1,      // dF_I/dphi_s(last - 1)
  kbDIT,       // dF_I/dT
  kbDTT,       // dF_T/dT
  kbS00, kbS01, kbS10, kbS11,  // inverse Schur complement
  kbV,         // terminal voltage at the matrix's state
  kbCur,       // current at the matrix's state
  kbThermal,   // 1 when the temperature column is used (lumped thermal model)
};

template <class V>
IONFLUX_HD inline V border_w(const Layout& l, const V& jac, int which) {
  return jac.sub(l.off_border + which * l.n_state);
}
template <class V>
IONFLUX_HD inline int border_scalar(const Layout& l, int slot) {
  return l.off_border + 2 * l.n_state + slot;
}

//! Assemble the whole Newton matrix at (y, y'), where f0 = F(t, y, y') has been
//! evaluated already (for the temperature column's finite difference; y is restored).
template <class Team, class V>
IONFLUX_HD inline void assemble(const Team& team, const CellParams& p, const Layout& l, const Drive& drive, const V& y,
                                const V& yp, const V& f0, double cj, bool ic, const V& jac) {
  const double temp = p.thermal ? static_cast<double>(y[l.kT()]) : p.temperature;
  assemble_block(team, p, l, y, cj, ic, temp, jac, &yp);
  auto bs = [&](int slot) -> double& { return jac[border_scalar<V>(l, slot)]; };
  const double volt = terminal_voltage(l, y), cur = y[l.kI()];
  team.single([&]() {
    bs(kbV) = volt;
    bs(kbCur) = cur;
    bs(kbIc) = ic ? 1.0 : 0.0;
    bs(kbCjQ) = ic ? 1.0 : cj;
    bs(kbBI) = 1.0 / (p.area * (p.pos.thickness / l.np));
    switch (drive.mode) {
      case ControlMode::voltage:
        bs(kbCII) = 0.0;
        bs(kbCIN) = voltage_weight_last();
        bs(kbCIN1) = voltage_weight_before();
        break;
      case ControlMode::power:
        bs(kbCII) = volt;
        bs(kbCIN) = cur * voltage_weight_last();
        bs(kbCIN1) = cur * voltage_weight_before();
        break;
      default:
        bs(kbCII) = 1.0;
        bs(kbCIN) = 0.0;
        bs(kbCIN1) = 0.0;
        break;
    }
    bs(kbThermal) = p.thermal ? 1.0 : 0.0;
    if (!p.thermal) {  // isothermal: nothing depends on T (see residual); dF_T/dT = cj
      bs(kbDIT) = 0.0;
      bs(kbDTT) = ic ? 1.0 : cj;
    }
  });
  if (!p.thermal) return;
  // temperature column by a forward difference
  const V wt = border_w(l, jac, 1);
  const double dt = 1e-6 * (fabs(temp) + 1.0);
  team.single([&]() { y[l.kT()] = temp + dt; });
  residual(team, p, l, drive, y, yp, wt, jac.sub(l.off_scratch));
  team.single([&]() { y[l.kT()] = temp; });
  team.for_each(l.n_state, [&](int k) {
    const double d = (wt[k] - f0[k]) / dt;
    // initialisation problem: differential rows are identity rows (no temperature coupling)
    wt[k] = (ic && k < l.off_g && is_differential(l, k)) ? 0.0 : d;
  });
  team.single([&]() {
    bs(kbDIT) = wt[l.kI()];
    bs(kbDTT) = ic ? 1.0 : cj * mass(p, l, l.kT()) + wt[l.kT()];
  });
}

//! Factorise the whole matrix. Returns false on a singular pivot.
template <class Team, class V>
IONFLUX_HD inline bool factorize(const Team& team, const Layout& l, const V& jac) {
  if (!factorize_block(team, l, jac)) return false;
  auto bs = [&](int slot) -> double& { return jac[border_scalar<V>(l, slot)]; };
  const int pn = 3 * (l.nx - 1) + 2, pn1 = 3 * (l.nx - 2) + 2;
  const V wi = border_w(l, jac, 0), wt = border_w(l, jac, 1);
  const double b_i = bs(kbBI);
  team.for_each(l.off_g, [&](int k) { wi[k] = k == pn ? b_i : 0.0; });
  solve_block(team, l, jac, wi);
  const bool thermal = bs(kbThermal) != 0.0;
  if (thermal) solve_block(team, l, jac, wt);
  // S = D - C W with C = [c_I; 0] (the temperature row has no block coupling)
  const double s00 = bs(kbCII) - (bs(kbCIN) * wi[pn] + bs(kbCIN1) * wi[pn1]);
  const double s01 = thermal ? bs(kbDIT) - (bs(kbCIN) * wt[pn] + bs(kbCIN1) * wt[pn1]) : 0.0;
  const double s10 = 0.0, s11 = bs(kbDTT);
  const double det = s00 * s11 - s01 * s10;
  if (!(fabs(det) > 0.0)) return false;
  team.single([&]() {
    bs(kbS00) = s11 / det;
    bs(kbS01) = -s01 / det;
    bs(kbS10) = -s10 / det;
    bs(kbS11) = s00 / det;
  });
  return true;
}

//! Solve (factorised matrix) x = r in place, for every unknown.
template <class Team, class V>
IONFLUX_HD inline void solve(const Team& team, const Layout& l, const V& jac, const V& r) {
  auto bs = [&](int slot) -> double { return jac[border_scalar<V>(l, slot)]; };
  const int pn = 3 * (l.nx - 1) + 2, pn1 = 3 * (l.nx - 2) + 2;
  solve_block(team, l, jac, r);  // z = A^-1 r_A
  const double gi = r[l.kI()] - (bs(kbCIN) * r[pn] + bs(kbCIN1) * r[pn1]);
  const double gt = r[l.kT()];
  const double di = bs(kbS00) * gi + bs(kbS01) * gt;
  const double dt = bs(kbS10) * gi + bs(kbS11) * gt;
  const V wi = border_w(l, jac, 0), wt = border_w(l, jac, 1);
  if (bs(kbThermal) != 0.0 && dt != 0.0) {
    team.for_each(l.off_g, [&](int k) { r[k] -= wi[k] * di + wt[k] * dt; });
  } else if (di != 0.0) {  // (under current control di is 0 once I holds its set-point)
    team.for_each(l.off_g, [&](int k) { r[k] -= wi[k] * di; });
  }
  // Q and E: nothing depends on them (identity rows in the initialisation problem)
  const bool ic = bs(kbIc) != 0.0;
  const double cq = bs(kbCjQ), v = bs(kbV), cur = bs(kbCur);
  team.single([&]() {
    r[l.kI()] = di;
    r[l.kT()] = dt;
    if (ic) return;
    const double dv = voltage_weight_last() * r[pn] + voltage_weight_before() * r[pn1];
    r[l.kQ()] = (r[l.kQ()] + di / 3600.0) / cq;
    r[l.kE()] = (r[l.kE()] + (v * di + cur * dv) / 3600.0) / cq;
  });
}

}  // namespace dfn
}  // namespace ionflux
