// Step-by-step trace of one cell's BDF integration, for finding what limits the step
// size of stiff cells (issue 14 item 1). Runs the cell with the same recipe as
// `ionflux simulate` (build_cell, default end time, constant current to the cut-off),
// drives the integrator step by step with the kernel's own pieces (Bdf::set_coeffs,
// predict, newton, error_test, ... in kernels/numerics/bdf.hpp; the same control flow as
// Bdf::step) and records, per attempt: time, h, order, Newton iterations, whether the
// matrix was rebuilt, and for every error-test or convergence failure the component
// with the largest weighted error (or correction).
//
//   build/benchmarks/stiff_trace [--set "NAME=VALUE"]... [--c-rate X] [--mesh x_n=..,...]
//                                [--rtol R] [--atol A] [--max-newton N] [--setup-every N]
//                                [--full-newton 0|1] [--t-end T] [--steps FILE.csv]
//                                [--attempts T0:T1] [--quiet]
//
// Prints a summary (steps, Newton iterations, setups, error-test and convergence
// failures, end time and voltage) and a table of failures by component and time window.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "kernels/model/cell_solver.hpp"
#include "solver/inputs/parameters.hpp"
#include "solver/problem/problem.hpp"
#include "solver/problem/simulation.hpp"

using namespace ionflux;

namespace {

struct NullSink {
  bool wants_state() const { return false; }
  template <class V>
  void record(const OutputPoint&, const V&) {}
  void step_done(const StepRecord&) {}
};

//! Name of unknown k: its variable and node (x node; shell for particles).
std::string component(const Layout& l, int k) {
  char buf[64];
  if (k < 3 * l.nx) {
    const char* what[3] = {"c_e", "phi_e", "phi_s"};
    std::snprintf(buf, sizeof buf, "%s[x%d]", what[k % 3], k / 3);
  } else if (k < l.off_cn) {
    std::snprintf(buf, sizeof buf, "j[%d]", k - l.off_j);
  } else if (k < l.off_cp) {
    const int q = k - l.off_cn;
    std::snprintf(buf, sizeof buf, "c_s,n[x%d,r%d]", q % l.nn, q / l.nn);
  } else if (k < l.off_g) {
    const int q = k - l.off_cp;
    std::snprintf(buf, sizeof buf, "c_s,p[x%d,r%d]", l.nn + l.ns + q % l.np, q / l.np);
  } else {
    const char* g[4] = {"I", "Q", "E", "T"};
    std::snprintf(buf, sizeof buf, "%s", g[k - l.off_g]);
  }
  return buf;
}
//! Variable class of unknown k (without the node).
std::string klass(const Layout& l, int k) {
  const std::string c = component(l, k);
  return c.substr(0, c.find('['));
}


//! Bdf::newton with every iteration printed (norm, rate, the largest weighted
//! correction and its unknown). Same arithmetic as the kernel's.
template <class B>
int newton_verbose(B& b, bool force_setup, bool full, const Layout& l) {
  auto& s = b.s;
  const auto& opt = b.opt;
  const CView yy = b.vec(kYY), yp = b.vec(kYP), ee = b.vec(kEE), del = b.vec(kDelta), res = b.vec(kRes);
  const double tn1 = s.t + s.h;
  bool do_setup = force_setup || !s.have_jac;
  s.cjratio = s.cj / s.cjold;
  const double lo = (1.0 - 0.25) / (1.0 + 0.25);
  if (s.cjratio < lo || s.cjratio > 1.0 / lo) do_setup = true;
  if (opt.max_steps_between_setups > 0 && s.nst >= s.nst_lset + opt.max_steps_between_setups) do_setup = true;
  if (s.cj != s.cjlast) s.ss = 100.0;
  const int nn = b.n;
  b.m.residual(tn1, yy, yp, res);
  ++s.nre;
  if (do_setup) {
    ++s.nsetups;
    s.nst_lset = s.nst;
    s.jac_current = true;
    s.have_jac = b.m.setup(tn1, yy, yp, res, s.cj);
    if (!s.have_jac) return 2;
    s.cjold = s.cj;
    s.cjratio = 1.0;
    s.ss = 20.0;
  }
  for (int it = 0; it < opt.max_newton_iters; ++it) {
    ++s.nni;
    for (int k = 0; k < nn; ++k) del[k] = -res[k];
    b.m.solve(del);
    const double sc = (s.cjratio != 1.0) ? 2.0 / (1.0 + s.cjratio) : 1.0;
    const double cj = s.cj;
    const CView w = b.vec(kEwt);
    double sum = 0.0, xw = -1.0;
    int kw = 0;
    for (int k = 0; k < nn; ++k) {
      const double d = del[k] * sc;
      del[k] = d;
      ee[k] = it == 0 ? d : ee[k] + d;
      yy[k] += d;
      yp[k] += cj * d;
      const double x = d * w[k];
      sum += x * x;
      if (std::fabs(x) > xw) xw = std::fabs(x), kw = k;
    }
    const double delnrm = std::sqrt(sum / nn);
    double minc = 1e300;
    int kc = 0;
    for (int i = 0; i < l.nx; ++i)
      if (yy[3 * i] < minc) minc = yy[3 * i], kc = i;
    std::printf("     it %d: |del| %.3g, largest %s (weighted %.3g, del %.3g, y %.6g), min c_e %.3g at x%d\n", it,
                delnrm, component(l, kw).c_str(), xw, del[kw], yy[kw], minc, kc);
    if (std::getenv("TRACE_CE")) {
      std::printf("       c_e:");
      for (int i = l.nx - 12; i < l.nx; ++i) std::printf(" %.3g", yy[3 * i]);
      std::printf("\n       j:  ");
      for (int i = l.nx - 12; i < l.nx; ++i) std::printf(" %.3g", yy[l.j_index(i)]);
      std::printf("\n");
    }
    if (!(delnrm == delnrm) || delnrm > 1e100) return 1;
    if (it == 0) {
      s.oldnrm = delnrm;
      if (delnrm <= 1e-4 * 1e-4 * opt.newton_tol) return 0;
    } else {
      const double rate = std::pow(delnrm / s.oldnrm, 1.0 / it);
      std::printf("       rate %.3g\n", rate);
      if (rate > 0.9) return 1;
      s.ss = rate / (1.0 - rate);
    }
    if (s.ss * delnrm <= opt.newton_tol) return b.m.admissible(yy) ? 0 : 1;
    b.m.residual(tn1, yy, yp, res);
    ++s.nre;
    if (full) {
      ++s.nsetups;
      s.have_jac = b.m.setup(tn1, yy, yp, res, s.cj);
      if (!s.have_jac) return 2;
    }
  }
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> sets;
  double c_rate = 1.0, rtol = 1e-6, atol = 1e-8;
  int max_newton = -1, setup_every = -1, full_newton = -1;
  std::string mesh_arg, steps_csv, pset = "Chen2020";
  bool quiet = false;
  double t_end = 0.0;  // 0: the default end time (as `ionflux simulate`)
  double att0 = 1e300, att1 = -1e300;  // print every attempt in [att0, att1]
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "error: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--set") sets.push_back(next());
    else if (a == "--parameters") pset = next();
    else if (a == "--c-rate") c_rate = std::atof(next());
    else if (a == "--mesh") mesh_arg = next();
    else if (a == "--rtol") rtol = std::atof(next());
    else if (a == "--atol") atol = std::atof(next());
    else if (a == "--max-newton") max_newton = std::atoi(next());
    else if (a == "--setup-every") setup_every = std::atoi(next());
    else if (a == "--full-newton") full_newton = std::atoi(next());
    else if (a == "--t-end") t_end = std::atof(next());
    else if (a == "--steps") steps_csv = next();
    else if (a == "--quiet") quiet = true;
    else if (a == "--attempts") {
      const char* v = next();
      att0 = std::atof(v);
      att1 = std::atof(std::strchr(v, ':') + 1);
    }
    else {
      std::fprintf(stderr, "usage: stiff_trace [--parameters SET] [--set NAME=VALUE]... [--c-rate X] "
                           "[--mesh x_n=N,...] [--rtol R] [--atol A] [--max-newton N] [--setup-every N] "
                           "[--steps FILE.csv] [--quiet]\n");
      return 2;
    }
  }
  ParameterSet ps = ParameterSet::load(pset);
  for (const auto& s : sets) ps.set_from_string(s);
  MeshSpec mesh;
  for (size_t pos = 0; pos < mesh_arg.size();) {
    size_t end = mesh_arg.find(',', pos);
    if (end == std::string::npos) end = mesh_arg.size();
    const std::string kv = mesh_arg.substr(pos, end - pos);
    const size_t eq = kv.find('=');
    const std::string key = kv.substr(0, eq);
    const int v = std::atoi(kv.c_str() + eq + 1);
    if (key == "x_n") mesh.x_n = v;
    else if (key == "x_s") mesh.x_s = v;
    else if (key == "x_p") mesh.x_p = v;
    else if (key == "r_n") mesh.r_n = v;
    else if (key == "r_p") mesh.r_p = v;
    pos = end + 1;
  }
  const double q = ps.get("Nominal cell capacity [A.h]");
  const CellParams cell = build_cell(ps, c_rate * q, false, std::nullopt);
  SolverOptions so;
  so.rtol = rtol;
  so.atol = atol;
  if (max_newton > 0) so.max_newton_iters = max_newton;
  if (setup_every >= 0) so.max_steps_between_setups = setup_every;
  if (full_newton >= 0) so.full_newton_retry = full_newton;
  const Layout l = Layout::make(mesh);
  OutputSpec out;
  out.t_end = t_end > 0.0 ? t_end : default_end_time(cell);
  std::vector<double> ws(static_cast<size_t>(cell_workspace_size(l)), 0.0);
  CellRun run{};
  NullSink sink;
  CellSolver<NullSink, CView> cs{cell, l, so, out, CView{ws.data()}, run, sink};
  if (cs.init() != CellStatus::running) {
    std::fprintf(stderr, "init: %s\n", cell_status_name(run.status));
    return 1;
  }
  auto m = cs.model();
  Bdf<decltype(m), CView> b{m, so, run.bdf, CView{ws.data()}, l.n_state, bdf_vector_stride(l.n_state)};
  BdfScalars& s = run.bdf;

  std::FILE* fs = steps_csv.empty() ? nullptr : std::fopen(steps_csv.c_str(), "w");
  if (fs) std::fprintf(fs, "t,h,order,newton,setup,etf,ncf,V,worst_err,worst_err_class,min_ce\n");
  // failures: component class -> count; and time windows
  std::map<std::string, int> etf_by, ncf_by, etf_node;
  struct Window {
    int steps = 0, etf = 0, ncf = 0, nni = 0, setups = 0;
  };
  std::map<int, Window> win;  // by 10 % of the run's end time (filled after)
  std::vector<double> t_steps;
  std::vector<int> etf_at, ncf_at;
  std::vector<double> t_etf, t_ncf;
  double v = 0.0;
  CellStatus st = CellStatus::running;
  for (;;) {
    if (s.nst >= so.max_steps) {
      st = CellStatus::step_limit;
      break;
    }
    // the body of Bdf::step(tstop) with instrumentation
    const double tstop = out.t_end;
    if (s.t + s.h > tstop && tstop > s.t) {
      const double hnew = tstop - s.t;
      if (s.nst == 0) b.reduce_step(hnew / s.h);
      else s.h = hnew;
    }
    int nef = 0, ncf = 0, nni0 = s.nni, ns0 = s.nsetups;
    bool force_setup = false, full = false, tried_full = false;
    const double t0 = s.t;
    bool failed = false;
    if (quiet && !fs) {  // the kernel's own step
      const CellStatus bs = b.step(tstop);
      if (bs != CellStatus::running) {
        st = bs;
        break;
      }
      v = dfn::terminal_voltage(l, b.phi(0));
      t_steps.push_back(s.t);
      if (v <= cell.v_min) {
        st = CellStatus::cutoff_lower;
        break;
      }
      if (s.t >= out.t_end) {
        st = CellStatus::end_time_reached;
        break;
      }
      continue;
    }
    for (;;) {
      b.set_coeffs();
      b.predict();
      const int nni_a = s.nni, nsu_a = s.nsetups;
      const double h_a = s.h;
      const int k_a = s.kk;
      const bool print = t0 >= att0 && t0 <= att1;
      const int nf = print ? newton_verbose(b, force_setup, full, l) : b.newton(force_setup, full);
      full = false;
      if (print)
        std::printf("attempt t=%.9g h=%.4g k=%d force=%d setup=%d its=%d nf=%d ss=%.3g oldnrm=%.3g cjratio=%.3g\n", t0,
                    h_a, k_a, force_setup ? 1 : 0, s.nsetups - nsu_a, s.nni - nni_a, nf, s.ss, s.oldnrm, s.cjratio);
      force_setup = false;
      if (nf != 0) {
        // largest weighted correction of the last iterate
        const CView del = b.vec(kDelta), w = b.vec(kEwt);
        int kw = 0;
        double xw = -1.0;
        for (int k = 0; k < l.n_state; ++k) {
          const double x = std::fabs(del[k] * w[k]);
          if (x > xw) xw = x, kw = k;
        }
        ncf_by[klass(l, kw)]++;
        t_ncf.push_back(t0);
        b.restore(t0);
        if (nf == 1 && !s.jac_current) {
          force_setup = true;
          continue;
        }
        if (nf == 1 && so.full_newton_retry && !tried_full) {
          force_setup = full = tried_full = true;
          continue;
        }
        ++s.ncfn;
        if (++ncf >= so.max_convergence_failures || s.h < 1e-12 * (std::fabs(s.t) + 1.0)) {
          st = CellStatus::newton_failure;
          failed = true;
          break;
        }
        b.reduce_step(0.25);
        continue;
      }
      const bool et_ok = b.error_test();
      if (print) std::printf("   error test %s: err_k=%.3g ck=%.3g knew=%d\n", et_ok ? "ok" : "FAIL", b.err_k_, b.ck_, s.knew);
      if (!et_ok) {
        const CView ee = b.vec(kEE), w = b.vec(kEwt);
        int kw = 0;
        double xw = -1.0;
        for (int k = 0; k < l.n_state; ++k) {
          const double x = std::fabs(ee[k] * w[k]);
          if (x > xw) xw = x, kw = k;
        }
        etf_by[klass(l, kw)]++;
        etf_node[component(l, kw)]++;
        t_etf.push_back(t0);
        b.restore(t0);
        ++s.netf;
        ++nef;
        if (nef >= so.max_error_test_failures || s.h < 1e-12 * (std::fabs(s.t) + 1.0)) {
          st = CellStatus::error_test_failure;
          failed = true;
          break;
        }
        double rr = 0.25;
        if (nef == 1) {
          const double err_knew = (s.kk == s.knew) ? b.err_k_ : b.err_km1_;
          s.kk = s.knew;
          rr = 0.9 * std::pow(2.0 * err_knew + 1e-4, -1.0 / (s.kk + 1));
          rr = rr > 0.9 ? 0.9 : (rr < 0.25 ? 0.25 : rr);
        } else if (nef == 2) {
          s.kk = s.knew;
        } else {
          s.kk = 1;
        }
        b.reduce_step(rr);
        continue;
      }
      // accepted: the component with the largest weighted error estimate
      {
        const CView ee = b.vec(kEE), w = b.vec(kEwt);
        int kw = 0;
        double xw = -1.0;
        for (int k = 0; k < l.n_state; ++k) {
          const double x = std::fabs(ee[k] * w[k]);
          if (x > xw) xw = x, kw = k;
        }
        b.complete_step();
        double min_ce = 1e300;
        for (int i = 0; i < l.nx; ++i) min_ce = std::fmin(min_ce, b.phi(0)[3 * i]);
        v = dfn::terminal_voltage(l, b.phi(0));
        if (fs)
          std::fprintf(fs, "%.9g,%.6g,%d,%d,%d,%d,%d,%.9g,%.4g,\"%s\",%.6g\n", s.t, s.hused, s.kused, s.nni - nni0,
                       s.nsetups - ns0, nef, ncf, v, xw,
                       component(l, kw).c_str(), min_ce);
      }
      break;
    }
    if (failed) break;
    t_steps.push_back(s.t);
    if (v <= cell.v_min) {
      st = CellStatus::cutoff_lower;
      break;
    }
    if (s.t >= out.t_end) {
      st = CellStatus::end_time_reached;
      break;
    }
  }
  if (fs) std::fclose(fs);
  std::printf("end %s at t = %.3f s, V = %.5f V: steps %d, Newton its %d, setups %d, residuals %d, "
              "error-test failures %d, convergence failures %d\n",
              cell_status_name(st), s.t, v, s.nst, s.nni, s.nsetups, s.nre, s.netf, s.ncfn);
  if (quiet) return 0;
  std::printf("error-test failures by the component of the largest weighted error:\n");
  for (const auto& kv : etf_by) std::printf("  %-8s %d\n", kv.first.c_str(), kv.second);
  std::printf("  most frequent unknowns:");
  std::vector<std::pair<int, std::string>> top;
  for (const auto& kv : etf_node) top.push_back({kv.second, kv.first});
  std::sort(top.rbegin(), top.rend());
  for (size_t k = 0; k < top.size() && k < 8; ++k) std::printf(" %s (%d)", top[k].second.c_str(), top[k].first);
  std::printf("\nconvergence failures (incl. retries with a fresh matrix) by the largest weighted correction:\n");
  for (const auto& kv : ncf_by) std::printf("  %-8s %d\n", kv.first.c_str(), kv.second);
  // steps and failures per tenth of the run
  const double tend = s.t;
  int sw[10] = {}, ew[10] = {}, cw[10] = {};
  for (double t : t_steps) sw[std::min(9, static_cast<int>(10.0 * t / tend))]++;
  for (double t : t_etf) ew[std::min(9, static_cast<int>(10.0 * t / tend))]++;
  for (double t : t_ncf) cw[std::min(9, static_cast<int>(10.0 * t / tend))]++;
  std::printf("per tenth of [0, %.1f s]: steps / error-test failures / convergence failures\n", tend);
  for (int k = 0; k < 10; ++k)
    std::printf("  %5.0f-%5.0f s: %5d / %4d / %4d\n", k * tend / 10, (k + 1) * tend / 10, sw[k], ew[k], cw[k]);
  return 0;
}
