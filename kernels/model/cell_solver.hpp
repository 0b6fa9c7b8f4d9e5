// One cell, start to end: initial state, consistent initialisation of the algebraic
// unknowns, BDF steps, cut-off location by root-finding on the step interpolant,
// outputs at requested times, and the run's summary. The CPU and CUDA launchers
// both call CellSolver on per-cell views; the physics is in dfn.hpp/newton.hpp.
#pragma once

#include "../numerics/bdf.hpp"
#include "newton.hpp"

namespace ionflux {

//! The DFN as the BDF integrator sees it.
template <class V>
struct DfnModel {
  const CellParams& p;
  Layout l;
  V jac;
  int n;
  int n_norm_;
  double un0, up0;  //!< OCPs at the initial stoichiometries [V] (tolerance references)
  Drive drive;      //!< the running step's control
  IONFLUX_HD int n_norm() const { return n_norm_; }
  IONFLUX_HD void error_weights(const V& y, double rtol, double atol, double scale, const V& w) const {
    dfn::error_weights(p, l, un0, up0, y, rtol, atol, scale, w);
  }
  IONFLUX_HD void residual(double /*t*/, const V& y, const V& yp, const V& r) const {
    dfn::residual(p, l, drive, y, yp, r);
  }
  //! Build and factorise the Newton matrix at (y, y'); f0 = F(t, y, y').
  IONFLUX_HD bool setup(double /*t*/, const V& y, const V& yp, const V& f0, double cj) const {
    dfn::assemble(p, l, drive, y, yp, f0, cj, false, jac);
    return dfn::factorize(l, jac);
  }
  IONFLUX_HD void solve(const V& r) const { dfn::solve(l, jac, r); }
  //! Reject NaN/inf iterates. Concentrations may undershoot zero transiently (e.g.
  //! electrolyte depletion at high rates): the parameter functions clip their inputs as
  //! PyBaMM's do, so the model stays defined there, and PyBaMM imposes no bound either.
  IONFLUX_HD bool admissible(const V& y) const {
    for (int i = 0; i < l.nx; ++i)
      if (!(fabs(y[3 * i]) < 1e30)) return false;
    return true;
  }
};

//! Output schedule: explicit times (if times != nullptr) or every `period` seconds.
struct OutputSpec {
  const double* times = nullptr;
  int n_times = 0;
  double period = 0.0;
  double t_end = 0.0;  //!< integrate at most to here [s]
};

//! Per-cell run summary and driver scalars (plain data; lives on the device for GPU runs).
struct CellRun {
  BdfScalars bdf;
  CellStatus status;
  double t_prev, v_prev, v, capacity_ah, energy_wh, t_final;
  int next_out;   //!< index of the next output time
  int n_out;      //!< outputs written
};

//! Initial state: particle and electrolyte concentrations from the parameters,
//! potentials from the open-circuit values, j from a uniform reaction distribution.
template <class V>
IONFLUX_HD inline void initial_guess(const CellParams& p, const Layout& l, const V& y) {
  y[l.kI()] = p.current;
  y[l.kQ()] = 0.0;
  y[l.kE()] = 0.0;
  y[l.kT()] = p.temperature;
  const double un = fn::ocp(p.neg, p.neg.c_init / p.neg.c_max, p.temperature, p.t_ref);
  const double up = fn::ocp(p.pos, p.pos.c_init / p.pos.c_max, p.temperature, p.t_ref);
  const double i_cell = p.current / p.area;
  for (int i = 0; i < l.nx; ++i) {
    const NodeGeom g = node_geom(p, l, i);
    y[3 * i] = p.c_e_init;
    y[3 * i + 1] = -un;
    y[3 * i + 2] = g.dom == 0 ? 0.0 : (g.dom == 2 ? up - un : 0.0);
    if (g.dom == 1) continue;
    const ElectrodeParams& e = *g.e;
    y[l.j_index(i)] = (g.dom == 0 ? 1.0 : -1.0) * i_cell / (g.a * e.thickness);
    for (int k = 0; k < l.nr(i); ++k) y[l.cs_index(i, k)] = e.c_init;
  }
}

//! Solve the algebraic equations for phi_e, phi_s and j with the concentrations held
//! (IDA's YA_YDP_INIT), then set y' of the differential unknowns from the residual.
//! `res` and `del` are scratch vectors of length n. Returns false if Newton fails.
template <class V>
IONFLUX_HD inline bool consistent_init(const CellParams& p, const Layout& l, const Drive& drive, const V& y,
                                       const V& yp, const V& jac, const V& res, const V& del) {
  const int n = l.n_state;
  for (int k = 0; k < n; ++k) yp[k] = 0.0;
  bool ok = false;
  for (int it = 0; it < 200; ++it) {
    dfn::residual(p, l, drive, y, yp, res);
    for (int k = 0; k < n; ++k) del[k] = dfn::is_differential(l, k) ? 0.0 : -res[k];
    dfn::assemble(p, l, drive, y, yp, res, 0.0, true, jac);
    if (!dfn::factorize(l, jac)) return false;
    dfn::solve(l, jac, del);
    double worst = 0.0;  // largest potential correction [V]
    for (int i = 0; i < l.nx; ++i) {
      const double a = fabs(del[3 * i + 1]) + fabs(del[3 * i + 2]);
      if (a > worst) worst = a;
    }
    const double di = fabs(del[l.kI()]) / (fabs(y[l.kI()]) + 1.0);  // relative current correction
    // damp very large potential corrections (far from the solution sinh is steep)
    const double damp = worst > 0.2 ? 0.2 / worst : 1.0;
    for (int k = 0; k < n; ++k) y[k] += damp * del[k];
    if (!(worst == worst) || !(di == di)) return false;
    if (damp == 1.0 && worst < 1e-13 && di < 1e-13) {
      ok = true;
      break;
    }
  }
  if (!ok) return false;
  dfn::residual(p, l, drive, y, yp, res);
  for (int k = 0; k < n; ++k) yp[k] = dfn::is_differential(l, k) ? -res[k] / dfn::mass(p, l, k) : 0.0;
  return true;
}

//! A sink that writes a cell's outputs into a (cell, time) grid: output k of this cell
//! goes to base[k * stride] of each array (stride 1: row-major rows on the CPU; stride =
//! cell count: interleaved columns on the GPU). `written` is the cell's CellRun::n_out,
//! which CellSolver advances after each record, so the sink holds no state of its own
//! and can be rebuilt at every launch.
struct GridSink {
  double* t;
  double* v;
  double* i;
  double* q;
  index_t stride;
  int capacity;
  const int* written;
  IONFLUX_HD bool wants_state() const { return false; }
  template <class V>
  IONFLUX_HD void record(double time, double volt, double cur, double cap, const V& /*y*/) {
    const int k = *written;
    if (k >= capacity) return;
    t[k * stride] = time;
    v[k * stride] = volt;
    i[k * stride] = cur;
    q[k * stride] = cap;
  }
};

//! Workspace doubles per cell for a layout.
IONFLUX_HD inline index_t cell_workspace_size(const Layout& l) {
  return static_cast<index_t>(kBdfVecCount) * bdf_vector_stride(l.n_state) + l.jac_size;
}

//! Runs one cell. Sink receives outputs: record(t, V, I, Q, y_view) where y_view is the
//! interpolated state (valid only during the call).
template <class Sink, class V>
struct CellSolver {
  const CellParams& p;
  Layout l;
  const SolverOptions& opt;
  const OutputSpec& out;
  V ws;
  CellRun& run;
  Sink& sink;

  IONFLUX_HD V jac() const { return ws.sub(static_cast<index_t>(kBdfVecCount) * bdf_vector_stride(l.n_state)); }
  IONFLUX_HD DfnModel<V> model() const {
    const double un0 = fn::ocp(p.neg, p.neg.c_init / p.neg.c_max, p.temperature, p.t_ref);
    const double up0 = fn::ocp(p.pos, p.pos.c_init / p.pos.c_max, p.temperature, p.t_ref);
    return DfnModel<V>{p, l, jac(), l.n_state, dfn::norm_count(l), un0, up0, Drive{ControlMode::current, p.current}};
  }

  IONFLUX_HD double voltage_at(const Bdf<DfnModel<V>, V>& b, double t) const {
    const int last = l.nx - 1;
    return 1.5 * b.interp_component(3 * last + 2, t) - 0.5 * b.interp_component(3 * (last - 1) + 2, t);
  }
  IONFLUX_HD double out_time(int k) const { return out.times ? out.times[k] : k * out.period; }
  IONFLUX_HD bool has_out(int k) const {
    if (out.times) return k < out.n_times;
    return out.period > 0.0;
  }

  IONFLUX_HD void emit(const Bdf<DfnModel<V>, V>& b, double t, double v) {
    const V y = b.vec(kDelta);
    if (sink.wants_state()) b.interpolate(t, y);
    sink.record(t, v, p.current, p.current * t / 3600.0, y);
    ++run.n_out;
  }

  //! Initialise; returns the status (running unless the cell cannot start).
  IONFLUX_HD CellStatus init() {
    DfnModel<V> m = model();
    Bdf<DfnModel<V>, V> b{m, opt, run.bdf, ws, l.n_state, bdf_vector_stride(l.n_state)};
    run.status = CellStatus::running;
    run.capacity_ah = run.energy_wh = 0.0;
    run.n_out = 0;
    run.next_out = 0;
    run.t_final = 0.0;
    const V y = b.phi(0), yp = b.phi(1);
    initial_guess(p, l, y);
    if (!consistent_init(p, l, m.drive, y, yp, jac(), b.vec(kRes), b.vec(kDelta))) {
      run.status = CellStatus::init_failure;
      return run.status;
    }
    b.start(0.0, out.t_end);
    run.v = dfn::terminal_voltage(l, y);
    run.t_prev = 0.0;
    run.v_prev = run.v;
    // t = 0 output (interpolation at t_n = 0 returns phi_0)
    {
      const V yo = b.vec(kDelta);
      for (int k = 0; k < l.n_state; ++k) yo[k] = y[k];
      sink.record(0.0, run.v, p.current, 0.0, yo);
      ++run.n_out;
      if (has_out(0) && out_time(0) <= 0.0) run.next_out = 1;
    }
    if (!(run.v == run.v)) run.status = CellStatus::nonphysical_state;
    else if (run.v <= p.v_min || run.v >= p.v_max) run.status = CellStatus::cutoff_at_start;
    return run.status;
  }

  //! End a run that failed: the summary describes the last accepted point.
  IONFLUX_HD CellStatus fail(CellStatus st) {
    run.t_final = run.t_prev;
    run.capacity_ah = p.current * run.t_prev / 3600.0;
    return run.status = st;
  }

  //! Event function: positive while inside the voltage window.
  IONFLUX_HD double g_event(double v) const {
    const double a = v - p.v_min, c = p.v_max - v;
    return a < c ? a : c;
  }

  //! Advance up to max_steps steps. Returns the status (running if not finished).
  IONFLUX_HD CellStatus advance(int max_steps) {
    if (run.status != CellStatus::running) return run.status;
    DfnModel<V> m = model();
    Bdf<DfnModel<V>, V> b{m, opt, run.bdf, ws, l.n_state, bdf_vector_stride(l.n_state)};
    for (int it = 0; it < max_steps; ++it) {
      if (run.bdf.nst >= opt.max_steps) return fail(CellStatus::step_limit);
      const CellStatus st = b.step();
      if (st != CellStatus::running) return fail(st);
      const double tn = run.bdf.t;
      const double vn = dfn::terminal_voltage(l, b.phi(0));
      if (!(vn == vn)) return fail(CellStatus::nonphysical_state);
      // locate the end of the run within this step: cut-off or end time
      double t_stop = tn, v_stop = vn;
      CellStatus end = CellStatus::running;
      if (g_event(vn) <= 0.0) {
        end = (vn - p.v_min < p.v_max - vn) ? CellStatus::cutoff_lower : CellStatus::cutoff_upper;
        double a = run.t_prev, ga = g_event(run.v_prev), c = tn, gc = g_event(vn);
        const double ttol = 1e-13 * (fabs(tn) + run.bdf.hused);
        for (int r = 0; r < 200 && fabs(c - a) > ttol; ++r) {
          const double tm = (a * gc - c * ga) / (gc - ga);
          const double gm = g_event(voltage_at(b, tm));
          if (gm == 0.0) {
            a = c = tm;
            break;
          }
          if ((gm > 0.0) == (gc > 0.0)) {  // root between a and tm
            c = tm;
            gc = gm;
            ga *= 0.5;
          } else {
            a = c;
            ga = gc;
            c = tm;
            gc = gm;
          }
        }
        t_stop = c;
        v_stop = voltage_at(b, t_stop);
      } else if (tn >= out.t_end) {
        end = CellStatus::finished;
        t_stop = out.t_end;
        v_stop = voltage_at(b, t_stop);
      }
      // energy over [t_prev, t_stop] by Simpson's rule on the interpolant
      const double tm = 0.5 * (run.t_prev + t_stop);
      run.energy_wh +=
          p.current * (t_stop - run.t_prev) * (run.v_prev + 4.0 * voltage_at(b, tm) + v_stop) / 6.0 / 3600.0;
      // outputs strictly before t_stop
      while (has_out(run.next_out) && out_time(run.next_out) < t_stop) {
        const double to = out_time(run.next_out);
        if (to > run.t_prev) emit(b, to, voltage_at(b, to));
        ++run.next_out;
      }
      run.t_prev = t_stop;
      run.v_prev = v_stop;
      if (end != CellStatus::running) {
        emit(b, t_stop, v_stop);
        run.t_final = t_stop;
        run.v = v_stop;
        run.capacity_ah = p.current * t_stop / 3600.0;
        return run.status = end;
      }
      run.v = vn;
    }
    return run.status;
  }
};

}  // namespace ionflux
