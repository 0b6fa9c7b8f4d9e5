// The condensed Newton matrix of one cell (DESIGN.md, appendix): assembly from the
// model's stencils by forward-mode AD, static condensation of the particle shells
// and the pore-wall flux at every electrode node, and a block-tridiagonal (3x3)
// LU in x. Cost O(nx * 27 + n_shells); no dense or general sparse matrices.
#pragma once

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
template <class V>
IONFLUX_HD inline void assemble_block(const CellParams& p, const Layout& l, const V& y, double cj, bool ic,
                                      double temp, const V& jac) {
  const int JN = l.jac_node;
  for (int k = 0; k < l.off_part; ++k) jac[k] = 0.0;
  for (int i = 0; i < l.nx; ++i) {
    const NodeGeom g = node_geom(p, l, i);
    jac[JN * i + kD + 0] = ic ? 1.0 : cj * g.eps;
    if (g.dom == 1) jac[JN * i + kD + 8] = 1.0;
  }
  // Electrolyte faces: AD over (c_L, c_R, phi_L, phi_R).
  // The node coefficients depend on the node's own c_e only: they are differentiated
  // once per node (one direction) and placed in the face's direction 0 (left) or 1 (right).
  using D4 = Dual<4>;
  using D1 = Dual<1>;
  auto lift = [](const NodeTransport<D1>& t, int dir) {
    NodeTransport<D4> r;
    const D1* in[4] = {&t.kappa, &t.chi, &t.de, &t.tp};
    D4* out[4] = {&r.kappa, &r.chi, &r.de, &r.tp};
    for (int q = 0; q < 4; ++q) {
      *out[q] = D4(in[q]->v);
      out[q]->d[dir] = in[q]->d[0];
    }
    return r;
  };
  NodeGeom gl = node_geom(p, l, 0);
  NodeTransport<D1> tl = node_transport(p, gl, D1::variable(y[0], 0), temp);
  for (int i = 0; i + 1 < l.nx; ++i) {
    const NodeGeom gr = node_geom(p, l, i + 1);
    const NodeTransport<D1> tr = node_transport(p, gr, D1::variable(y[3 * i + 3], 0), temp);
    D4 nf, ie;
    const D4 cl = D4::variable(y[3 * i], 0), cr = D4::variable(y[3 * i + 3], 1);
    electrolyte_face(gl, gr, lift(tl, 0), lift(tr, 1), cl, cr, D4::variable(y[3 * i + 1], 2),
                     D4::variable(y[3 * i + 4], 3), nf, ie);
    tl = tr;
    const int bi = JN * i, bj = JN * (i + 1);
    for (int row = ic ? 1 : 0; row < 2; ++row) {
      const D4& fl = row == 0 ? nf : ie;
      // node i: + flux / dx_i ; node i+1: - flux / dx_{i+1}
      jac[bi + kD + row * 3 + 0] += fl.d[0] / gl.dx;
      jac[bi + kD + row * 3 + 1] += fl.d[2] / gl.dx;
      jac[bi + kU + row * 3 + 0] += fl.d[1] / gl.dx;
      jac[bi + kU + row * 3 + 1] += fl.d[3] / gl.dx;
      jac[bj + kL + row * 3 + 0] -= fl.d[0] / gr.dx;
      jac[bj + kL + row * 3 + 1] -= fl.d[2] / gr.dx;
      jac[bj + kD + row * 3 + 0] -= fl.d[1] / gr.dx;
      jac[bj + kD + row * 3 + 1] -= fl.d[3] / gr.dx;
    }
    gl = gr;
  }
  using D2 = Dual<2>;
  for (int i = 0; i < l.nx; ++i) {
    if (!l.electrode(i)) continue;
    const NodeGeom g = node_geom(p, l, i);
    const ElectrodeParams& e = *g.e;
    const int b = JN * i;
    const double gs = fn::sigma_eff(e, temp) / (g.dx * g.dx);
    const bool first = (i == 0) || (i == l.nn + l.ns);
    const bool last = (i == l.nn - 1) || (i == l.nx - 1);
    if (i == 0) jac[b + kD + 8] += 2.0 * gs;
    if (!first) {
      jac[b + kD + 8] += gs;
      jac[b + kL + 8] -= gs;
    }
    if (!last) {
      jac[b + kD + 8] += gs;
      jac[b + kU + 8] -= gs;
    }
    jac[b + kH + 0] = ic ? 0.0 : -g.a / constants::F;
    jac[b + kH + 1] = -g.a;
    jac[b + kH + 2] = g.a;
    // kinetics: F_j = j - BV(c_e, phi_e, phi_s, c_surf)
    const int nr = l.nr(i);
    const D4 bv = butler_volmer(p, e, D4::variable(y[3 * i], 0), D4::variable(y[3 * i + 1], 1),
                                D4::variable(y[3 * i + 2], 2), D4::variable(surface_concentration(l, y, i), 3),
                                temp);
    jac[b + kK + 0] = -bv.d[0];
    jac[b + kK + 1] = -bv.d[1];
    jac[b + kK + 2] = -bv.d[2];
    jac[b + kKc] = -bv.d[3];
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
    if (const_d && i != first_node) continue;
    for (int k = 0; k < nr; ++k) {
      jac[l.part_index(kSub, src, k)] = 0.0;
      jac[l.part_index(kSup, src, k)] = 0.0;
      jac[l.part_index(kDiag, src, k)] = ic ? 1.0 : cj;
    }
    if (!ic) {
      // concentration-dependent D: D and dD/dc at each shell once, carried to the next face
      using D1 = Dual<1>;
      D1 dk_ad = const_d ? D1(0.0) : fn::particle_diffusivity(e, D1::variable(y[l.cs_index(i, 0)], 0), temp);
      for (int k = 0; k + 1 < nr; ++k) {
        const Shell s0 = shell(e.particle_radius, nr, k), s1 = shell(e.particle_radius, nr, k + 1);
        double dn0, dn1;  // dN/dc_k, dN/dc_{k+1}
        const double ck = y[l.cs_index(i, k)], ck1 = y[l.cs_index(i, k + 1)];
        if (const_d) {
          const double dk = fn::particle_diffusivity(e, ck, temp);
          dn0 = dk / dr;
          dn1 = -dk / dr;
        } else {
          const D1 dk1_ad = fn::particle_diffusivity(e, D1::variable(ck1, 0), temp);
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
    }
  }
}

//! Factorise the block part in place. Returns false on a singular pivot.
template <class V>
IONFLUX_HD inline bool factorize_block(const Layout& l, const V& jac) {
  const int JN = l.jac_node;
  for (int i = 0; i < l.nx; ++i) {
    if (!l.electrode(i)) continue;
    const int b = JN * i;
    const int src = static_cast<int>(jac[b + kPart]);
    const int nr = l.nr(i);
    if (src == i) {  // not sharing another node's factors: factorise this node's shells
      // Thomas factorisation of the shell tridiagonal
      double piv = jac[l.part_index(kDiag, i, 0)];
      if (!(fabs(piv) > 0.0)) return false;
      jac[l.part_index(kDiag, i, 0)] = 1.0 / piv;
      for (int k = 1; k < nr; ++k) {
        const double m = jac[l.part_index(kSub, i, k)] * jac[l.part_index(kDiag, i, k - 1)];
        piv = jac[l.part_index(kDiag, i, k)] - m * jac[l.part_index(kSup, i, k - 1)];
        if (!(fabs(piv) > 0.0)) return false;
        jac[l.part_index(kSub, i, k)] = m;
        jac[l.part_index(kDiag, i, k)] = 1.0 / piv;
      }
      // v = A^-1 (bj e_last)
      double v = jac[b + kBj];
      for (int k = 0; k + 1 < nr; ++k) jac[l.part_index(kV, i, k)] = 0.0;
      // forward elimination of a right-hand side that is zero but for its last entry
      v *= jac[l.part_index(kDiag, i, nr - 1)];
      jac[l.part_index(kV, i, nr - 1)] = v;
      for (int k = nr - 2; k >= 0; --k) {
        v = (0.0 - jac[l.part_index(kSup, i, k)] * v) * jac[l.part_index(kDiag, i, k)];
        jac[l.part_index(kV, i, k)] = v;
      }
    }
    const double sig_j = surface_weight_outer() * jac[l.part_index(kV, src, nr - 1)] +
                         surface_weight_inner() * jac[l.part_index(kV, src, nr - 2)];
    const double den = 1.0 - jac[b + kKc] * sig_j;
    if (!(fabs(den) > 0.0)) return false;
    const double q = 1.0 / den;
    jac[b + kSigJ] = sig_j;
    jac[b + kQ] = q;
    // D -= q h k^T
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) jac[b + kD + r * 3 + c] -= q * jac[b + kH + r] * jac[b + kK + c];
  }
  // Block LU in x. Stored for the solve: Dinv_i (inverse Schur complement),
  // L'_i = L_i Dinv_{i-1} and U'_i = Dinv_i U_i, so that each sweep has one
  // dependent 3x3 product per node.
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
}

//! Shell tridiagonal solves u = A^-1 r for all nodes of one electrode, in place. The
//! loops run over shells outside and nodes inside (contiguous in the shell-major
//! layout), so the independent recurrences of the nodes proceed side by side. With
//! shared factors (constant D_s) each coefficient is one scalar per shell.
template <class V>
IONFLUX_HD inline void shell_solves(const Layout& l, const V& jac, const V& r, int first) {
  const int cnt = l.electrode_nodes(first), nr = l.nr(first);
  const bool shared = static_cast<int>(jac[l.jac_node * (first + cnt - 1) + kPart]) == first && cnt > 1;
  for (int k = 1; k < nr; ++k) {
    const int b0 = l.cs_index(first, k), pm = l.part_index(kSub, first, k);
    if (shared) {
      const double m = jac[pm];
      for (int q = 0; q < cnt; ++q) r[b0 + q] -= m * r[b0 - cnt + q];
    } else {
      for (int q = 0; q < cnt; ++q) r[b0 + q] -= jac[pm + q] * r[b0 - cnt + q];
    }
  }
  for (int k = nr - 1; k >= 0; --k) {
    const int b0 = l.cs_index(first, k), pd = l.part_index(kDiag, first, k), ps = l.part_index(kSup, first, k);
    if (shared) {
      const double d = jac[pd], u = jac[ps];
      if (k == nr - 1)
        for (int q = 0; q < cnt; ++q) r[b0 + q] *= d;
      else
        for (int q = 0; q < cnt; ++q) r[b0 + q] = (r[b0 + q] - u * r[b0 + cnt + q]) * d;
    } else {
      if (k == nr - 1)
        for (int q = 0; q < cnt; ++q) r[b0 + q] *= jac[pd + q];
      else
        for (int q = 0; q < cnt; ++q) r[b0 + q] = (r[b0 + q] - jac[ps + q] * r[b0 + cnt + q]) * jac[pd + q];
    }
  }
}

//! Solve A x = r in place for the block part (entries before the globals).
template <class V>
IONFLUX_HD inline void solve_block(const Layout& l, const V& jac, const V& r) {
  const int JN = l.jac_node;
  // 1. particle solves (u = A^-1 r_s) and elimination of j
  shell_solves(l, jac, r, 0);
  shell_solves(l, jac, r, l.nn + l.ns);
  for (int i = 0; i < l.nx; ++i) {
    if (!l.electrode(i)) continue;
    const int b = JN * i;
    const double sig_r = surface_concentration(l, r, i);
    const int jk = l.j_index(i);
    const double g0 = jac[b + kQ] * (r[jk] - jac[b + kKc] * sig_r);
    r[jk] = g0;
    for (int q = 0; q < 3; ++q) r[3 * i + q] -= jac[b + kH + q] * g0;
  }
  // 2. forward sweep y_i = r_i - L'_i y_{i-1}, storing z_i = Dinv_i y_i
  double y3[3], z[3], m[9];
  for (int i = 0; i < l.nx; ++i) {
    const int b = JN * i;
    if (i > 0) {
      load(jac, b + kL, m, 9);
      double t[3];
      mat3::mulv(m, y3, t);
      for (int q = 0; q < 3; ++q) y3[q] = r[3 * i + q] - t[q];
    } else {
      for (int q = 0; q < 3; ++q) y3[q] = r[q];
    }
    load(jac, b + kD, m, 9);
    mat3::mulv(m, y3, z);
    for (int q = 0; q < 3; ++q) r[3 * i + q] = z[q];
  }
  // 3. back substitution x_i = z_i - U'_i x_{i+1}
  double x[3] = {r[3 * (l.nx - 1)], r[3 * (l.nx - 1) + 1], r[3 * (l.nx - 1) + 2]};
  for (int i = l.nx - 2; i >= 0; --i) {
    load(jac, JN * i + kU, m, 9);
    double t[3];
    mat3::mulv(m, x, t);
    for (int q = 0; q < 3; ++q) {
      x[q] = r[3 * i + q] - t[q];
      r[3 * i + q] = x[q];
    }
  }
  // 4. recover j and the shells: dc = u - v dj
  for (int i = 0; i < l.nx; ++i) {
    if (!l.electrode(i)) continue;
    const int b = JN * i;
    const int jk = l.j_index(i);
    r[jk] = r[jk] - jac[b + kQ] * (jac[b + kK] * r[3 * i] + jac[b + kK + 1] * r[3 * i + 1] +
                                   jac[b + kK + 2] * r[3 * i + 2]);
  }
  for (int side = 0; side < 2; ++side) {
    const int first = side == 0 ? 0 : l.nn + l.ns;
    const int cnt = l.electrode_nodes(first), nr = l.nr(first);
    const int jb = l.j_index(first);
    const bool shared = static_cast<int>(jac[JN * (first + cnt - 1) + kPart]) == first && cnt > 1;
    for (int k = 0; k < nr; ++k) {
      const int b0 = l.cs_index(first, k), pv = l.part_index(kV, first, k);
      if (shared) {
        const double v = jac[pv];
        for (int q = 0; q < cnt; ++q) r[b0 + q] -= v * r[jb + q];
      } else {
        for (int q = 0; q < cnt; ++q) r[b0 + q] -= jac[pv + q] * r[jb + q];
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
template <class V>
IONFLUX_HD inline void assemble(const CellParams& p, const Layout& l, const Drive& drive, const V& y, const V& yp,
                                const V& f0, double cj, bool ic, const V& jac) {
  const double temp = p.thermal ? static_cast<double>(y[l.kT()]) : p.temperature;
  assemble_block(p, l, y, cj, ic, temp, jac);
  auto bs = [&](int slot) -> double& { return jac[border_scalar<V>(l, slot)]; };
  const double volt = terminal_voltage(l, y), cur = y[l.kI()];
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
  const V wt = border_w(l, jac, 1);
  if (!p.thermal) {  // isothermal: nothing depends on T (see residual); dF_T/dT = cj
    bs(kbDIT) = 0.0;
    bs(kbDTT) = ic ? 1.0 : cj;
    return;
  }
  // temperature column by a forward difference
  const double dt = 1e-6 * (fabs(temp) + 1.0);
  y[l.kT()] = temp + dt;
  residual(p, l, drive, y, yp, wt);
  y[l.kT()] = temp;
  for (int k = 0; k < l.n_state; ++k) wt[k] = (wt[k] - f0[k]) / dt;
  if (ic) {  // differential rows are identity rows: no temperature coupling there
    for (int k = 0; k < l.off_g; ++k)
      if (is_differential(l, k)) wt[k] = 0.0;
  }
  bs(kbDIT) = wt[l.kI()];
  bs(kbDTT) = ic ? 1.0 : cj * mass(p, l, l.kT()) + wt[l.kT()];
}

//! Factorise the whole matrix. Returns false on a singular pivot.
template <class V>
IONFLUX_HD inline bool factorize(const Layout& l, const V& jac) {
  if (!factorize_block(l, jac)) return false;
  auto bs = [&](int slot) -> double& { return jac[border_scalar<V>(l, slot)]; };
  const int pn = 3 * (l.nx - 1) + 2, pn1 = 3 * (l.nx - 2) + 2;
  const V wi = border_w(l, jac, 0), wt = border_w(l, jac, 1);
  for (int k = 0; k < l.off_g; ++k) wi[k] = 0.0;
  wi[pn] = bs(kbBI);
  solve_block(l, jac, wi);
  const bool thermal = bs(kbThermal) != 0.0;
  if (thermal) solve_block(l, jac, wt);
  // S = D - C W with C = [c_I; 0] (the temperature row has no block coupling)
  const double s00 = bs(kbCII) - (bs(kbCIN) * wi[pn] + bs(kbCIN1) * wi[pn1]);
  const double s01 = thermal ? bs(kbDIT) - (bs(kbCIN) * wt[pn] + bs(kbCIN1) * wt[pn1]) : 0.0;
  const double s10 = 0.0, s11 = bs(kbDTT);
  const double det = s00 * s11 - s01 * s10;
  if (!(fabs(det) > 0.0)) return false;
  bs(kbS00) = s11 / det;
  bs(kbS01) = -s01 / det;
  bs(kbS10) = -s10 / det;
  bs(kbS11) = s00 / det;
  return true;
}

//! Solve (factorised matrix) x = r in place, for every unknown.
template <class V>
IONFLUX_HD inline void solve(const Layout& l, const V& jac, const V& r) {
  auto bs = [&](int slot) -> double { return jac[border_scalar<V>(l, slot)]; };
  const int pn = 3 * (l.nx - 1) + 2, pn1 = 3 * (l.nx - 2) + 2;
  solve_block(l, jac, r);  // z = A^-1 r_A
  const double gi = r[l.kI()] - (bs(kbCIN) * r[pn] + bs(kbCIN1) * r[pn1]);
  const double gt = r[l.kT()];
  const double di = bs(kbS00) * gi + bs(kbS01) * gt;
  const double dt = bs(kbS10) * gi + bs(kbS11) * gt;
  const V wi = border_w(l, jac, 0), wt = border_w(l, jac, 1);
  if (bs(kbThermal) != 0.0 && dt != 0.0) {
    for (int k = 0; k < l.off_g; ++k) r[k] -= wi[k] * di + wt[k] * dt;
  } else if (di != 0.0) {  // (under current control di is 0 once I holds its set-point)
    for (int k = 0; k < l.off_g; ++k) r[k] -= wi[k] * di;
  }
  r[l.kI()] = di;
  r[l.kT()] = dt;
  // Q and E: nothing depends on them (identity rows in the initialisation problem)
  if (bs(kbIc) != 0.0) return;
  const double cq = bs(kbCjQ);
  const double dv = voltage_weight_last() * r[pn] + voltage_weight_before() * r[pn1];
  r[l.kQ()] = (r[l.kQ()] + di / 3600.0) / cq;
  r[l.kE()] = (r[l.kE()] + (bs(kbV) * di + bs(kbCur) * dv) / 3600.0) / cq;
}

}  // namespace dfn
}  // namespace ionflux
