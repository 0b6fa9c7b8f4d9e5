// Step-by-step trace of one cell's BDF integration, for finding what limits the step
// size of stiff cells (issue 14 item 1). Runs the cell with the same recipe as
// `ionflux simulate` (build_cell, default end time, constant current to the cut-off),
// drives the integrator step by step with the kernel's own Bdf::step
// (kernels/numerics/bdf.hpp), which it watches through Bdf's observer hooks (Tracer
// below; the kernel's default observer compiles to nothing), and records, per attempt:
// time, h, order, Newton iterations, whether the matrix was rebuilt, and for every
// error-test or convergence failure the component with the largest weighted error (or
// correction).
//
//   build/benchmarks/stiff_trace [--set "NAME=VALUE"]... [--c-rate X] [--mesh x_n=..,...]
//                                [--rtol R] [--atol A] [--max-newton N] [--setup-every N] [--soc S]
//                                [--newton-tol E]
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
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "kernels/model/cell_solver.hpp"
#include "solver/inputs/parameters.hpp"
#include "solver/problem/problem.hpp"
#include "solver/problem/simulation.hpp"

using namespace ionflux;

namespace {

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


//! What the trace collects from the kernel's Bdf::step (through Tracer).
struct Trace {
  const Layout* l = nullptr;
  double att0 = 1e300, att1 = -1e300;  //!< print every attempt of the steps starting in [att0, att1]
  // the step being taken
  double t0 = 0.0;
  bool print = false;
  int nni0 = 0, ns0 = 0, netf0 = 0, ncfn0 = 0;  //!< counters at the step's start
  int nni_a = 0, nsu_a = 0;                     //!< at the attempt's start
  int kw_accepted = 0;                          //!< the accepted step's largest weighted error
  double xw_accepted = 0.0;
  // failures: component class -> count; and their times
  std::map<std::string, int> etf_by, ncf_by, etf_node;
  std::vector<double> t_etf, t_ncf;
};

//! The unknown with the largest weighted |v[k] w[k]| of workspace vector `v` (and that value).
template <class B>
std::pair<int, double> largest_weighted(const B& b, int v) {
  const CView x = b.vec(v), w = b.vec(kEwt);
  int kw = 0;
  double xw = -1.0;
  for (int k = 0; k < b.n; ++k)
    if (std::fabs(x[k] * w[k]) > xw) xw = std::fabs(x[k] * w[k]), kw = k;
  return {kw, xw};
}

//! Bdf's observer (kernels/numerics/bdf.hpp, BdfNoObserver): prints every attempt and
//! Newton iterate of the steps in the --attempts window, and counts the failures by the
//! unknown with the largest weighted error or correction.
struct Tracer {
  Trace* tr = nullptr;
  template <class B>
  void step_begin(const B& b) const {
    const BdfScalars& s = b.s;
    tr->t0 = s.t;
    tr->print = s.t >= tr->att0 && s.t <= tr->att1;
    tr->nni0 = tr->nni_a = s.nni;
    tr->ns0 = tr->nsu_a = s.nsetups;
    tr->netf0 = s.netf;
    tr->ncfn0 = s.ncfn;
  }
  template <class B>
  void newton_iterate(const B& b, int it, double delnrm) const {
    if (!tr->print) return;
    const Layout& l = *tr->l;
    const CView yy = b.vec(kYY), del = b.vec(kDelta);
    const auto [kw, xw] = largest_weighted(b, kDelta);
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
  }
  template <class B>
  void newton_rate(const B&, double rate) const {
    if (tr->print) std::printf("       rate %.3g\n", rate);
  }
  template <class B>
  void newton_done(const B& b, bool force_setup, int nf) const {
    const BdfScalars& s = b.s;
    if (tr->print)
      std::printf("attempt t=%.9g h=%.4g k=%d force=%d setup=%d its=%d nf=%d ss=%.3g oldnrm=%.3g cjratio=%.3g\n",
                  tr->t0, s.h, s.kk, force_setup ? 1 : 0, s.nsetups - tr->nsu_a, s.nni - tr->nni_a, nf, s.ss,
                  s.oldnrm, s.cjratio);
    tr->nni_a = s.nni;
    tr->nsu_a = s.nsetups;
    if (nf != 0) {  // the largest weighted correction of the last iterate
      tr->ncf_by[klass(*tr->l, largest_weighted(b, kDelta).first)]++;
      tr->t_ncf.push_back(tr->t0);
    }
  }
  template <class B>
  void error_test_done(const B& b, bool ok) const {
    if (tr->print)
      std::printf("   error test %s: err_k=%.3g (k-1 %.3g, k+1 %.3g) ck=%.3g knew=%d\n", ok ? "ok" : "FAIL", b.err_k_,
                  b.err_km1_, b.err_kp1_, b.ck_, b.s.knew);
    if (ok) return;
    const int kw = largest_weighted(b, kEE).first;
    tr->etf_by[klass(*tr->l, kw)]++;
    tr->etf_node[component(*tr->l, kw)]++;
    tr->t_etf.push_back(tr->t0);
  }
  template <class B>
  void step_accepted(const B& b) const {  // before the step completes: its error and weights
    std::tie(tr->kw_accepted, tr->xw_accepted) = largest_weighted(b, kEE);
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> sets;
  double c_rate = 1.0, rtol = 1e-6, atol = 1e-8;
  int max_newton = -1, setup_every = -1, full_newton = -1;
  double newton_tol = -1.0;  // --newton-tol: IDA's epcon (SolverOptions::newton_tol)
  std::string mesh_arg, steps_csv, pset = "Chen2020";
  bool quiet = false;
  double t_end = 0.0;  // 0: the default end time (as `ionflux simulate`)
  std::optional<double> soc;  // --soc: the initial SOC (as `ionflux simulate --soc`); else the set's state
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
    else if (a == "--soc") soc = std::atof(next());
    else if (a == "--newton-tol") newton_tol = std::atof(next());
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
                           "[--newton-tol E] [--soc S] [--steps FILE.csv] [--quiet]\n");
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
  const CellParams cell = build_cell(ps, c_rate * q, false, soc);
  SolverOptions so;
  so.rtol = rtol;
  so.atol = atol;
  if (max_newton > 0) so.max_newton_iters = max_newton;
  if (setup_every >= 0) so.max_steps_between_setups = setup_every;
  if (full_newton >= 0) so.full_newton_retry = full_newton;
  if (newton_tol > 0.0) so.newton_tol = newton_tol;
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
  Trace trace;
  trace.l = &l;
  trace.att0 = att0;
  trace.att1 = att1;
  Bdf<decltype(m), CView, Tracer> b{m, so, run.bdf, CView{ws.data()}, l.n_state, bdf_vector_stride(l.n_state)};
  b.obs.tr = &trace;
  BdfScalars& s = run.bdf;

  std::FILE* fs = steps_csv.empty() ? nullptr : std::fopen(steps_csv.c_str(), "w");
  if (fs) std::fprintf(fs, "t,h,order,newton,setup,etf,ncf,V,worst_err,worst_err_class,min_ce\n");
  std::vector<double> t_steps;
  double v = 0.0;
  CellStatus st = CellStatus::running;
  for (;;) {
    if (s.nst >= so.max_steps) {
      st = CellStatus::step_limit;
      break;
    }
    const CellStatus bs = b.step(out.t_end);  // the kernel's own step, watched by the Tracer
    if (bs != CellStatus::running) {
      st = bs;
      break;
    }
    v = dfn::terminal_voltage(l, b.phi(0));
    if (fs) {
      double min_ce = 1e300;
      for (int i = 0; i < l.nx; ++i) min_ce = std::fmin(min_ce, b.phi(0)[3 * i]);
      std::fprintf(fs, "%.9g,%.6g,%d,%d,%d,%d,%d,%.9g,%.4g,\"%s\",%.6g\n", s.t, s.hused, s.kused, s.nni - trace.nni0,
                   s.nsetups - trace.ns0, s.netf - trace.netf0, s.ncfn - trace.ncfn0, v, trace.xw_accepted,
                   component(l, trace.kw_accepted).c_str(), min_ce);
    }
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
  for (const auto& kv : trace.etf_by) std::printf("  %-8s %d\n", kv.first.c_str(), kv.second);
  std::printf("  most frequent unknowns:");
  std::vector<std::pair<int, std::string>> top;
  for (const auto& kv : trace.etf_node) top.push_back({kv.second, kv.first});
  std::sort(top.rbegin(), top.rend());
  for (size_t k = 0; k < top.size() && k < 8; ++k) std::printf(" %s (%d)", top[k].second.c_str(), top[k].first);
  std::printf("\nconvergence failures (incl. retries with a fresh matrix) by the largest weighted correction:\n");
  for (const auto& kv : trace.ncf_by) std::printf("  %-8s %d\n", kv.first.c_str(), kv.second);
  // steps and failures per tenth of the run
  const double tend = s.t;
  int sw[10] = {}, ew[10] = {}, cw[10] = {};
  for (double t : t_steps) sw[std::min(9, static_cast<int>(10.0 * t / tend))]++;
  for (double t : trace.t_etf) ew[std::min(9, static_cast<int>(10.0 * t / tend))]++;
  for (double t : trace.t_ncf) cw[std::min(9, static_cast<int>(10.0 * t / tend))]++;
  std::printf("per tenth of [0, %.1f s]: steps / error-test failures / convergence failures\n", tend);
  for (int k = 0; k < 10; ++k)
    std::printf("  %5.0f-%5.0f s: %5d / %4d / %4d\n", k * tend / 10, (k + 1) * tend / 10, sw[k], ew[k], cw[k]);
  return 0;
}
