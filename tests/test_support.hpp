// Shared helpers for ionflux's GoogleTest suites: fixture loading, cell set-up,
// small statistics, and the physical invariants (lithium inventory, charge balance)
// computed from a state vector. Header-only; included by the unit and integration
// tests. Paths come from tests/CMakeLists.txt (IONFLUX_FIXTURES_DIR, IONFLUX_SHARED_DIR).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "kernels/model/cell_solver.hpp"
#include "kernels/model/dfn.hpp"
#include "kernels/model/layout.hpp"
#include "solver/util/errors.hpp"
#include "solver/inputs/parameters.hpp"
#include "solver/problem/simulation.hpp"

namespace ionflux {
namespace testing {

using json = nlohmann::json;

inline std::string fixture_path(const std::string& name) { return std::string(IONFLUX_FIXTURES_DIR) + "/" + name; }
inline std::string shared_path(const std::string& rel) { return std::string(IONFLUX_SHARED_DIR) + "/" + rel; }

//! Parse a fixture JSON (cached: the DFN fixtures are read by several tests; std::map
//! keeps references to earlier entries valid).
inline const json& load_fixture(const std::string& name) {
  static std::map<std::string, json> cache;
  const auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  std::ifstream f(fixture_path(name));
  if (!f) throw std::runtime_error("cannot open fixture " + fixture_path(name));
  return cache.emplace(name, json::parse(f)).first->second;
}

inline std::vector<double> to_vec(const json& a) { return a.get<std::vector<double>>(); }

//! Headerless two-column CSV (the COMSOL exports): returns (column 0, column 1).
inline std::pair<std::vector<double>, std::vector<double>> read_csv2(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot open " + path);
  std::vector<double> a, b;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto comma = line.find(',');
    if (comma == std::string::npos) continue;
    a.push_back(std::stod(line.substr(0, comma)));
    b.push_back(std::stod(line.substr(comma + 1)));
  }
  return {a, b};
}

//! Cell parameters of a built-in set at `current` [A].
inline CellParams cell_of(const std::string& set, double current) {
  return ParameterSet::load(set).cell_params(current);
}

inline MeshSpec mesh_of(int xn, int xs, int xp, int rn, int rp) {
  MeshSpec m;
  m.x_n = xn;
  m.x_s = xs;
  m.x_p = xp;
  m.r_n = rn;
  m.r_p = rp;
  return m;
}
inline MeshSpec uniform_mesh(int n) { return mesh_of(n, n, n, n, n); }

//! A number in scientific notation, for printed figures and RecordProperty.
inline std::string sci(double v, int digits = 3) {
  std::ostringstream o;
  o.setf(std::ios::scientific);
  o.precision(digits);
  o << v;
  return o.str();
}

inline double rms(const std::vector<double>& d) {
  double s = 0.0;
  for (double v : d) s += v * v;
  return d.empty() ? 0.0 : std::sqrt(s / static_cast<double>(d.size()));
}
inline double max_abs(const std::vector<double>& d) {
  double m = 0.0;
  for (double v : d) m = std::max(m, std::fabs(v));
  return m;
}

//! Index of time t in a solution's output times (exact match within 1e-9 relative), or -1.
inline int find_time(const std::vector<double>& times, double t) {
  for (std::size_t k = 0; k < times.size(); ++k)
    if (std::fabs(times[k] - t) <= 1e-9 * std::max(1.0, std::fabs(t))) return static_cast<int>(k);
  return -1;
}

//! Total lithium per unit current-collector area [mol/m2] in state y:
//! sum over x nodes of eps_i c_e,i dx_i (electrolyte) plus, at electrode nodes,
//! eps_s,i dx_i times the volume average of the particle shells (shell volume
//! proportional to r_out^3 - r_in^3).
inline double total_lithium(const CellParams& p, const Layout& l, const double* y) {
  double li = 0.0;
  for (int i = 0; i < l.nx; ++i) {
    const NodeGeom g = node_geom(p, l, i);
    li += g.eps * y[3 * i] * g.dx;
    if (!l.electrode(i)) continue;
    const int nr = l.nr(i);
    double num = 0.0, den = 0.0;
    for (int k = 0; k < nr; ++k) {
      const double ri = static_cast<double>(k) / nr, ro = static_cast<double>(k + 1) / nr;
      const double w = ro * ro * ro - ri * ri * ri;
      num += w * y[l.cs_index(i, k)];
      den += w;
    }
    li += g.e->active_fraction * g.dx * num / den;
  }
  return li;
}

//! Sum of a_i j_i dx_i over the nodes of one electrode (dom 0: negative, 2: positive) [A/m2].
inline double reaction_current(const CellParams& p, const Layout& l, const double* y, int dom) {
  double s = 0.0;
  for (int i = 0; i < l.nx; ++i) {
    if (l.domain(i) != dom) continue;
    const NodeGeom g = node_geom(p, l, i);
    s += g.a * y[l.j_index(i)] * g.dx;
  }
  return s;
}

//! Wrap a std::vector as the contiguous per-cell view of the kernels.
inline CView view(std::vector<double>& v) { return CView{v.data()}; }

//! Residual F(y, y') into a new vector.
inline std::vector<double> residual_of(const CellParams& p, const Layout& l, std::vector<double> y,
                                       std::vector<double> yp, const Drive* drive = nullptr) {
  std::vector<double> f(static_cast<std::size_t>(l.n_state), 0.0), scratch(static_cast<std::size_t>(l.scratch_size));
  const Drive d = drive ? *drive : Drive{ControlMode::current, p.current};
  dfn::residual(SerialTeam{}, p, l, d, view(y), view(yp), view(f), view(scratch));
  return f;
}


//! Dense row-major matrix for the small-mesh checks.
struct Dense {
  int n = 0;
  std::vector<double> a;
  explicit Dense(int n_ = 0) : n(n_), a(static_cast<std::size_t>(n_) * n_, 0.0) {}
  double& operator()(int r, int c) { return a[static_cast<std::size_t>(r) * n + c]; }
  double operator()(int r, int c) const { return a[static_cast<std::size_t>(r) * n + c]; }
};

//! Typical magnitude of unknown k, used to size finite-difference steps: c_e ~ c_e,init,
//! potentials ~ 1 V, j ~ the mean pore-wall flux at 1C-like currents (>= 1 A/m2),
//! shells ~ c_max.
inline double typical_size(const CellParams& p, const Layout& l, int k) {
  if (k < 3 * l.nx) return k % 3 == 0 ? p.c_e_init : 1.0;
  if (k < l.off_cn) return 1.0;
  if (k >= l.off_g) return k == l.kT() ? 300.0 : 1.0;  // I [A], Q [A.h], E [W.h], T [K]
  return k < l.off_cp ? p.neg.c_max : p.pos.c_max;
}

//! Newton matrix M = dF/dy + cj dF/dy' by central differences of dfn::residual, column
//! by column, with one Richardson extrapolation: D(h) and D(h/2) with
//! h = 1e-4 * max(|y_k|, typical size), M = (4 D(h/2) - D(h)) / 3 (error O(h^4)).
//! `err` receives a per-entry error bound: |D(h/2) - D(h)| (which is ~3/4 of the O(h^2)
//! error of D(h), itself far above the O(h^4) error of M) plus the round-off of the
//! differences, 8 eps (|F(y+h)| + |F(y-h)| + T_r) / h with T_r the row's term scale
//! `row_scale` (pass an estimate of the largest term in each row; see the tests).
//! dF/dy' is linear, so its columns are exact up to round-off with a unit step.
inline Dense fd_newton_matrix(const CellParams& p, const Layout& l, const std::vector<double>& y,
                              const std::vector<double>& yp, double cj, const std::vector<double>& row_scale,
                              Dense* err, const Drive* drive = nullptr) {
  const int n = l.n_state;
  Dense m(n);
  if (err) *err = Dense(n);
  const double eps = 2.220446049250313e-16;
  auto central = [&](int k, double h, std::vector<double>& d, std::vector<double>& mag) {
    std::vector<double> y1 = y, y2 = y;
    y1[k] += h;
    y2[k] -= h;
    const double hh = y1[k] - y2[k];  // the step actually taken (exact in binary)
    const std::vector<double> f1 = residual_of(p, l, y1, yp, drive), f2 = residual_of(p, l, y2, yp, drive);
    d.resize(n);
    mag.resize(n);
    for (int r = 0; r < n; ++r) {
      d[r] = (f1[r] - f2[r]) / hh;
      mag[r] = (std::fabs(f1[r]) + std::fabs(f2[r]) + row_scale[r]) / hh;
    }
  };
  for (int k = 0; k < n; ++k) {
    const double h = 1e-4 * std::max(std::fabs(y[k]), typical_size(p, l, k));
    std::vector<double> d1, d2, m1, m2;
    central(k, h, d1, m1);
    central(k, 0.5 * h, d2, m2);
    // dF/dy'_k: exact for a linear dependence, any step.
    std::vector<double> yp1 = yp, yp2 = yp;
    yp1[k] += 1.0;
    yp2[k] -= 1.0;
    const std::vector<double> g1 = residual_of(p, l, y, yp1, drive), g2 = residual_of(p, l, y, yp2, drive);
    for (int r = 0; r < n; ++r) {
      const double dyp = 0.5 * (g1[r] - g2[r]);
      m(r, k) = (4.0 * d2[r] - d1[r]) / 3.0 + cj * dyp;
      if (err)
        (*err)(r, k) = std::fabs(d2[r] - d1[r]) + 8.0 * eps * m2[r] +
                       8.0 * eps * cj * (std::fabs(g1[r]) + std::fabs(g2[r]) + row_scale[r]);
    }
  }
  return m;
}

//! Dense LU with partial pivoting; returns false when a pivot is exactly zero.
struct DenseLU {
  Dense lu;
  std::vector<int> piv;
  bool factor(const Dense& m) {
    lu = m;
    const int n = m.n;
    piv.resize(n);
    for (int k = 0; k < n; ++k) {
      int best = k;
      for (int r = k + 1; r < n; ++r)
        if (std::fabs(lu(r, k)) > std::fabs(lu(best, k))) best = r;
      piv[k] = best;
      if (lu(best, k) == 0.0) return false;
      if (best != k)
        for (int c = 0; c < n; ++c) std::swap(lu(k, c), lu(best, c));
      for (int r = k + 1; r < n; ++r) {
        const double f = lu(r, k) / lu(k, k);
        lu(r, k) = f;
        for (int c = k + 1; c < n; ++c) lu(r, c) -= f * lu(k, c);
      }
    }
    return true;
  }
  //! |P^T| |L| |U| |x|: the scale of the LU's backward error, |dM| <= 3 n eps |P^T||L||U|
  //! (Higham, Accuracy and Stability of Numerical Algorithms, thm 9.4).
  std::vector<double> lu_abs_times(const std::vector<double>& x) const {
    const int n = lu.n;
    std::vector<double> v(n, 0.0), w(n, 0.0);
    for (int r = 0; r < n; ++r)
      for (int c = r; c < n; ++c) v[r] += std::fabs(lu(r, c)) * std::fabs(x[c]);
    for (int r = 0; r < n; ++r) {
      w[r] = v[r];
      for (int c = 0; c < r; ++c) w[r] += std::fabs(lu(r, c)) * v[c];
    }
    for (int k = n - 1; k >= 0; --k) std::swap(w[k], w[piv[k]]);
    return w;
  }
  std::vector<double> solve(std::vector<double> b) const {
    const int n = lu.n;
    for (int k = 0; k < n; ++k) std::swap(b[k], b[piv[k]]);
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < r; ++c) b[r] -= lu(r, c) * b[c];
    for (int r = n - 1; r >= 0; --r) {
      for (int c = r + 1; c < n; ++c) b[r] -= lu(r, c) * b[c];
      b[r] /= lu(r, r);
    }
    return b;
  }
};

}  // namespace testing
}  // namespace ionflux
