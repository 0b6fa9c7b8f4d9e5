// One cell, start to end: initial state, consistent initialisation of the algebraic
// unknowns, BDF steps, cut-off location by root-finding on the step interpolant,
// outputs at requested times, and the run's summary. The CPU and CUDA launchers
// both call CellSolver on per-cell views; the physics is in dfn.hpp/newton.hpp.
#pragma once

#include "../numerics/bdf.hpp"
#include "esoh.hpp"
#include "inventory.hpp"
#include "newton.hpp"
#include "protocol.hpp"

namespace ionflux {

//! The DFN as the BDF integrator sees it, run by `team` (team.hpp).
template <class V, class Team = SerialTeam>
struct DfnModel {
  const CellParams& p;
  Layout l;
  V jac;
  int n;
  int n_norm_;
  double un0, up0;        //!< OCPs at the initial stoichiometries [V] (tolerance references)
  const StepSpec* step;   //!< the running step (null: constant current at p.current)
  const double* tables;   //!< drive-cycle tables
  double step_t0;         //!< start time of the running step [s]
  Team team;
  IONFLUX_HD Drive drive_at_time(double t) const {
    if (!step) return Drive{ControlMode::current, p.current};
    return ionflux::drive_at(*step, tables, t - step_t0);
  }
  IONFLUX_HD int n_norm() const { return n_norm_; }
  IONFLUX_HD void error_tolerances(double atol, const V& ref, const V& tol) const {
    dfn::error_tolerances(team, p, l, un0, up0, atol, ref, tol);
  }
  IONFLUX_HD void residual(double t, const V& y, const V& yp, const V& r) const {
    dfn::residual(team, p, l, drive_at_time(t), y, yp, r, jac.sub(l.off_scratch));
  }
  //! Build and factorise the Newton matrix at (y, y'); f0 = F(t, y, y').
  IONFLUX_HD bool setup(double t, const V& y, const V& yp, const V& f0, double cj) const {
    dfn::assemble(team, p, l, drive_at_time(t), y, yp, f0, cj, false, jac);
    return dfn::factorize(team, l, jac);
  }
  IONFLUX_HD void solve(const V& r) const { dfn::solve(team, l, jac, r); }
  //! Reject NaN/inf iterates. Concentrations may undershoot zero transiently (e.g.
  //! electrolyte depletion at high rates): the parameter functions clip their inputs as
  //! PyBaMM's do, so the model stays defined there, and PyBaMM imposes no bound either.
  IONFLUX_HD bool admissible(const V& y) const {
    return team.sum(l.nx, [&](int i) { return fabs(y[3 * i]) < 1e30 ? 0.0 : 1.0; }) == 0.0;
  }
};

//! Output schedule: explicit times (if times != nullptr), every `period` seconds, or
//! (neither: period 0) every accepted integrator step, as PyBaMM's IDAKLU returns its
//! steps for a two-element t_eval. Step ends and cut-offs are always outputs.
struct OutputSpec {
  const double* times = nullptr;
  int n_times = 0;
  double period = 0.0;
  double t_end = 0.0;  //!< integrate at most to here [s]
  IONFLUX_HD bool every_step() const { return !times && !(period > 0.0); }
};

//! Per-cell run summary and driver scalars (plain data; lives on the device for GPU runs).
struct CellRun {
  BdfScalars bdf;
  CellStatus status;
  double t_prev, v_prev, v, capacity_ah, energy_wh, t_final;
  int next_out;   //!< index of the next output time
  int n_out;      //!< outputs written
  int step;       //!< running protocol step
  double step_t0, step_q0, step_e0;  //!< time, Q and E at the step's start
  double i_prev;  //!< current at t_prev
  //! Solver counters of the protocol steps before the running one (BdfScalars counts
  //! from the last restart only): steps, residuals, setups, Newton iterations,
  //! error-test and convergence failures.
  int done_nst, done_nre, done_nsetups, done_nni, done_netf, done_ncfn;
  //! Charge [A.h] and energy [W.h] moved while discharging (I > 0) and while charging
  //! (I < 0), each counted positive, summed over the accepted steps and split where the
  //! current changes sign (a drive cycle goes both ways); q_prev, e_prev: Q and E at
  //! t_prev; step_*0: the sums at the running protocol step's start.
  double dis_q, chg_q, dis_e, chg_e, q_prev, e_prev;
  double step_dis_q0, step_chg_q0, step_dis_e0, step_chg_e0;
  //! For the experiment's termination (ExperimentEnd): the eSOH capacity [A.h] at the end
  //! of the first cycle (-1 before it ends) and of the last one that ended, and the
  //! lowest voltage of the running cycle [V].
  double cycle_capacity0, cycle_capacity, cycle_v_min;
  IONFLUX_HD int total_steps() const { return done_nst + bdf.nst; }
  //! Mean voltage [V]: while discharging (discharge energy / discharge capacity); for a
  //! run that never discharged, while charging; for one that moved no charge, the last V.
  IONFLUX_HD double mean_voltage() const {
    if (dis_q > 0.0) return dis_e / dis_q;
    if (chg_q > 0.0) return chg_e / chg_q;
    return v;
  }
};

//! One output point.
struct OutputPoint {
  double t, v, i, q, e, temp;
  int step;
};

//! How a protocol step ended.
enum class StepEnd : int { duration = 0, condition = 1, cutoff = 2, failure = 3, end_time = 4 };

//! Summary of a finished protocol step.
struct StepRecord {
  int step;
  double t_start, t_end;
  double capacity;  //!< Q(t_end) - Q(t_start) [A.h], positive on discharge
  double energy;    //!< E(t_end) - E(t_start) [W.h]
  StepEnd end;
  //! Charge and energy moved while discharging / while charging, each >= 0 (the net
  //! `capacity` = discharge_capacity - charge_capacity, likewise the energy).
  double discharge_capacity = 0.0, charge_capacity = 0.0, discharge_energy = 0.0, charge_energy = 0.0;
  //! The lithium inventory of the state at t_end (inventory.hpp), for PyBaMM's per-cycle
  //! summary variables ("X at the cycle's last state").
  Inventory inv{};
};

//! A step that ended by its end condition without time passing: the condition held when
//! it began ("Charge at 1C until 4.2 V" on a full cell), so it did not run (PyBaMM skips
//! such a step too, with skip_ok, its default).
IONFLUX_HD inline bool step_skipped(StepEnd end, double t_start, double t_end) {
  return end == StepEnd::condition && t_end == t_start;
}
IONFLUX_HD inline bool step_skipped(const StepRecord& r) { return step_skipped(r.end, r.t_start, r.t_end); }

//! Initial state: particle and electrolyte concentrations from the parameters,
//! potentials from the open-circuit values, j from a uniform reaction distribution.
template <class V, class Team = SerialTeam>
IONFLUX_HD inline void initial_guess(const CellParams& p, const Layout& l, const V& y, const Team& team = Team{}) {
  team.single([&]() {
    y[l.kI()] = p.current;
    y[l.kQ()] = 0.0;
    y[l.kE()] = 0.0;
    y[l.kT()] = p.thermal ? p.t_init : p.temperature;
  });
  const double un = fn::ocp(p.neg, p.neg.c_init / p.neg.c_max, p.temperature, p.t_ref);
  const double up = fn::ocp(p.pos, p.pos.c_init / p.pos.c_max, p.temperature, p.t_ref);
  const double i_cell = p.current / p.area;
  team.for_each(l.nx, [&](int i) {
    const NodeGeom g = node_geom(p, l, i);
    y[3 * i] = p.c_e_init;
    y[3 * i + 1] = -un;
    y[3 * i + 2] = g.dom == 0 ? 0.0 : (g.dom == 2 ? up - un : 0.0);
    if (g.dom == 1) return;
    const ElectrodeParams& e = *g.e;
    y[l.j_index(i)] = (g.dom == 0 ? 1.0 : -1.0) * i_cell / (g.a * e.thickness);
    for (int k = 0; k < l.nr(i); ++k) y[l.cs_index(i, k)] = e.c_init;
    // degradation unknowns (docs/degradation.md); j_tot starts at j
    for (int s = 0; s < kDegStateCount; ++s) {
      const int k = l.d_index(i, s);
      if (k >= 0) y[k] = s == kDegJtot ? y[l.j_index(i)] : deg::initial_value(p, l, l.electrode_of(i), s);
    }
  });
}

//! Solve the algebraic equations for phi_e, phi_s and j with the concentrations held
//! (IDA's YA_YDP_INIT), then set y' of the differential unknowns from the residual.
//! `res` and `del` are scratch vectors of length n. Returns false if Newton fails.
template <class V, class Team = SerialTeam>
IONFLUX_HD inline bool consistent_init(const CellParams& p, const Layout& l, const Drive& drive, const V& y,
                                       const V& yp, const V& jac, const V& res, const V& del,
                                       const Team& team = Team{}) {
  const int n = l.n_state;
  const V scratch = jac.sub(l.off_scratch);
  team.for_each(n, [&](int k) { yp[k] = 0.0; });
  bool ok = false;
  for (int it = 0; it < 200; ++it) {
    dfn::residual(team, p, l, drive, y, yp, res, scratch);
    team.for_each(n, [&](int k) { del[k] = dfn::is_differential(l, k) ? 0.0 : -res[k]; });
    dfn::assemble(team, p, l, drive, y, yp, res, 0.0, true, jac);
    if (!dfn::factorize(team, l, jac)) return false;
    dfn::solve(team, l, jac, del);
    // largest potential correction [V] (one lane: the initialisation is rare)
    const double worst = team.single([&]() -> double {
      double w = 0.0;
      for (int i = 0; i < l.nx; ++i) {
        const double a = fabs(del[3 * i + 1]) + fabs(del[3 * i + 2]);
        if (a > w) w = a;
      }
      return w;
    });
    const double di = fabs(del[l.kI()]) / (fabs(y[l.kI()]) + 1.0);  // relative current correction
    // damp very large potential corrections (far from the solution sinh is steep)
    const double damp = worst > 0.2 ? 0.2 / worst : 1.0;
    team.for_each(n, [&](int k) { y[k] += damp * del[k]; });
    if (!(worst == worst) || !(di == di)) return false;
    if (damp == 1.0 && worst < 1e-12 && di < 1e-12) {
      ok = true;
      break;
    }
  }
  if (!ok) return false;
  dfn::residual(team, p, l, drive, y, yp, res, scratch);
  team.for_each(n, [&](int k) { yp[k] = dfn::is_differential(l, k) ? -res[k] / dfn::mass(p, l, k) : 0.0; });
  return true;
}

//! A sink that keeps nothing: for tools and tests that step a cell's Bdf themselves
//! (benchmarks/stiff_trace.cpp, tests/integration/test_bdf_prediction.cpp).
struct NullSink {
  IONFLUX_HD bool wants_state() const { return false; }
  template <class V>
  IONFLUX_HD void record(const OutputPoint&, const V&) {}
  IONFLUX_HD void step_done(const StepRecord&) {}
};

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
  // optional (null: not recorded): temperature and step index per output, and per-step
  // summaries (step k of this cell at [k * stride]: start, end, capacity, energy)
  double* temp = nullptr;
  double* step_index = nullptr;
  double* step_start = nullptr;
  double* step_end = nullptr;
  double* step_capacity = nullptr;
  double* step_energy = nullptr;
  // optional (null: not recorded): per step, the charge and energy moved while
  // discharging and while charging (StepRecord::discharge_capacity, ...)
  double* step_discharge_capacity = nullptr;
  double* step_charge_capacity = nullptr;
  double* step_discharge_energy = nullptr;
  double* step_charge_energy = nullptr;
  //! optional (null: not recorded): per step, how it ended (StepEnd's code, as a double)
  double* step_end_code = nullptr;
  //! optional (null: not recorded): per step, the Inventory fields of StepRecord::inv,
  //! field f of step k at step_inventory[f * inventory_stride + k * stride]
  double* step_inventory = nullptr;
  index_t inventory_stride = 0;
  int step_capacity_max = 0;
  //! Outputs already taken from this buffer (the GPU drains it between launches):
  //! output n goes to slot n - *drained. Null: none taken.
  const int* drained = nullptr;
  IONFLUX_HD bool wants_state() const { return false; }
  template <class V>
  IONFLUX_HD void record(const OutputPoint& o, const V& /*y*/) {
    const int k = *written - (drained ? *drained : 0);
    if (k >= capacity) return;
    t[k * stride] = o.t;
    v[k * stride] = o.v;
    i[k * stride] = o.i;
    q[k * stride] = o.q;
    if (temp) temp[k * stride] = o.temp;
    if (step_index) step_index[k * stride] = o.step;
  }
  IONFLUX_HD void step_done(const StepRecord& r) {
    if (!step_start || r.step >= step_capacity_max) return;
    step_start[r.step * stride] = r.t_start;
    step_end[r.step * stride] = r.t_end;
    step_capacity[r.step * stride] = r.capacity;
    step_energy[r.step * stride] = r.energy;
    if (step_discharge_capacity) step_discharge_capacity[r.step * stride] = r.discharge_capacity;
    if (step_charge_capacity) step_charge_capacity[r.step * stride] = r.charge_capacity;
    if (step_discharge_energy) step_discharge_energy[r.step * stride] = r.discharge_energy;
    if (step_charge_energy) step_charge_energy[r.step * stride] = r.charge_energy;
    if (step_end_code) step_end_code[r.step * stride] = static_cast<double>(static_cast<int>(r.end));
    if (step_inventory)
      for (int f = 0; f < kInventoryFields; ++f) step_inventory[f * inventory_stride + r.step * stride] = r.inv.v[f];
  }
};

//! Workspace doubles per cell for a layout.
IONFLUX_HD inline index_t cell_workspace_size(const Layout& l) {
  return static_cast<index_t>(kBdfVecCount) * bdf_vector_stride(l.n_state) + l.jac_size;
}

//! Runs one cell. Sink receives outputs: record(t, V, I, Q, y_view) where y_view is the
//! interpolated state (valid only during the call).
template <class Sink, class V, class Team = SerialTeam>
struct CellSolver {
  const CellParams& p;
  Layout l;
  const SolverOptions& opt;
  const OutputSpec& out;
  V ws;
  CellRun& run;
  Sink& sink;
  ProtocolView proto{};  //!< empty: one constant-current step at p.current
  //! The threads that run this cell (team.hpp). Writes to the cell's arrays and to the
  //! sink happen in team operations; `run` is each lane's own copy on the GPU.
  Team team{};

  using M = DfnModel<V, Team>;
  using B = Bdf<M, V>;

  IONFLUX_HD V jac() const { return ws.sub(static_cast<index_t>(kBdfVecCount) * bdf_vector_stride(l.n_state)); }
  IONFLUX_HD int n_steps() const { return proto.n_steps > 0 ? proto.n_steps : 1; }
  IONFLUX_HD const StepSpec* step_spec() const { return proto.n_steps > 0 ? proto.steps + run.step : nullptr; }
  IONFLUX_HD M model() const {
    const double un0 = fn::ocp(p.neg, p.neg.c_init / p.neg.c_max, p.temperature, p.t_ref);
    const double up0 = fn::ocp(p.pos, p.pos.c_init / p.pos.c_max, p.temperature, p.t_ref);
    return M{p, l, jac(), l.n_state, dfn::norm_count(l), un0, up0, step_spec(), proto.tables, run.step_t0, team};
  }

  IONFLUX_HD double voltage_at(const B& b, double t) const {
    const int last = l.nx - 1;
    return dfn::voltage_weight_last() * b.interp_component(3 * last + 2, t) +
           dfn::voltage_weight_before() * b.interp_component(3 * (last - 1) + 2, t);
  }
  IONFLUX_HD double out_time(int k) const { return out.times ? out.times[k] : k * out.period; }
  IONFLUX_HD bool has_out(int k) const {
    if (out.times) return k < out.n_times;
    return out.period > 0.0;
  }

  IONFLUX_HD OutputPoint point_at(const B& b, double t) const {
    return OutputPoint{t,
                       voltage_at(b, t),
                       b.interp_component(l.kI(), t),
                       b.interp_component(l.kQ(), t),
                       b.interp_component(l.kE(), t),
                       b.interp_component(l.kT(), t),
                       run.step};
  }
  IONFLUX_HD void emit(const B& b, const OutputPoint& o) {
    const V y = b.vec(kDelta);
    if (sink.wants_state()) b.interpolate(o.t, y);
    team.single([&]() { sink.record(o, y); });
    ++run.n_out;
  }

  //! Make step k, starting at time t0, the running one. Before a model is made for it
  //! (model() copies the step and its start: a drive cycle's table is read at t - t0).
  IONFLUX_HD void enter_step(int k, double t0) {
    run.step = k;
    run.step_t0 = t0;
  }

  //! Start (or restart at a step change) from the state in phi_0: consistent
  //! initialisation of the algebraic unknowns under the running step's control, then
  //! a fresh BDF history (order 1), at t0, the start of the step enter_step made the
  //! running one (its model reads the step's start). Returns false if the initialisation
  //! fails.
  IONFLUX_HD bool restart(B& b, double t0) {
    M m = model();
    const V y = b.phi(0), yp = b.phi(1);
    if (!consistent_init(p, l, m.drive_at_time(t0), y, yp, jac(), b.vec(kRes), b.vec(kDelta), team)) return false;
    const StepSpec* st = step_spec();
    const double span = (st && st->duration > 0.0) ? st->duration : out.t_end;
    if (t0 > 0.0) {  // a restart: keep the counters of what came before
      run.done_nst += run.bdf.nst;
      run.done_nre += run.bdf.nre;
      run.done_nsetups += run.bdf.nsetups;
      run.done_nni += run.bdf.nni;
      run.done_netf += run.bdf.netf;
      run.done_ncfn += run.bdf.ncfn;
    }
    b.start(t0, span > 0.0 ? span : 3600.0);
    run.t_prev = t0;
    run.v_prev = dfn::terminal_voltage(l, y);
    run.i_prev = y[l.kI()];
    run.step_q0 = run.q_prev = y[l.kQ()];
    run.step_e0 = run.e_prev = y[l.kE()];
    run.step_dis_q0 = run.dis_q;
    run.step_chg_q0 = run.chg_q;
    run.step_dis_e0 = run.dis_e;
    run.step_chg_e0 = run.chg_e;
    return true;
  }

  //! Skips the steps whose end condition already holds where the run stands (time t,
  //! the state restarted in the workspace b works on), as PyBaMM does: each is recorded
  //! with zero duration (StepEnd::condition) and the next step restarts from the same
  //! state (`guess`: from the initial guess, as at the run's start). A skipped step that
  //! ends its cycle ends the experiment there when its termination holds, checked only
  //! once a step of the cycle ran (PyBaMM checks no cycle whose steps were all skipped;
  //! cycle_v_min holds a voltage only then). Returns false when the run ended here: the
  //! last step skipped (finished), the termination (experiment_end) or a restart that
  //! failed (init_failure); the caller's and this function's B objects share the workspace.
  IONFLUX_HD bool skip_held_steps(B& b, double t, bool guess) {
    while (g_step(run.v_prev, run.i_prev) <= 0.0) {
      StepRecord skipped{run.step, t, t, 0.0, 0.0, StepEnd::condition};
      team.single([&]() {
        skipped.inv = lithium_inventory(p, l, b.phi(0));  // the state it was skipped at
        sink.step_done(skipped);
      });
      if (cycle_ends_after(run.step) && run.cycle_v_min < 1e300 && experiment_ends(b.phi(0))) {
        run.status = CellStatus::experiment_end;
        return false;
      }
      if (run.step + 1 >= n_steps()) {
        run.status = CellStatus::finished;
        return false;
      }
      enter_step(run.step + 1, t);
      M m2 = model();
      B b2{m2, opt, run.bdf, ws, l.n_state, bdf_vector_stride(l.n_state)};
      if (guess) initial_guess(p, l, b2.phi(0), team);
      if (!restart(b2, t)) return fail(CellStatus::init_failure), false;
    }
    return true;
  }

  //! Initialise; returns the status (running unless the cell cannot start).
  IONFLUX_HD CellStatus init() {
    run.status = CellStatus::running;
    run.capacity_ah = run.energy_wh = 0.0;
    run.n_out = 0;
    run.next_out = 0;
    run.t_final = 0.0;
    enter_step(0, 0.0);  // before the model is made: it reads the step and its start
    M m = model();
    B b{m, opt, run.bdf, ws, l.n_state, bdf_vector_stride(l.n_state)};
    run.done_nst = run.done_nre = run.done_nsetups = run.done_nni = run.done_netf = run.done_ncfn = 0;
    run.dis_q = run.chg_q = run.dis_e = run.chg_e = 0.0;
    run.cycle_capacity0 = -1.0;  // not yet: the first cycle's end sets it (NaN when its eSOH fails)
    run.cycle_capacity = 0.0;
    run.cycle_v_min = 1e300;
    initial_guess(p, l, b.phi(0), team);
    if (!restart(b, 0.0)) {
      run.status = CellStatus::init_failure;
      return run.status;
    }
    run.v = run.v_prev;
    {
      const V y = b.phi(0), yo = b.vec(kDelta);
      team.for_each(l.n_state, [&](int k) { yo[k] = y[k]; });
      const OutputPoint o0{0.0, run.v, y[l.kI()], 0.0, 0.0, y[l.kT()], 0};
      team.single([&]() { sink.record(o0, yo); });
      ++run.n_out;
      if (has_out(0) && out_time(0) <= 0.0) run.next_out = 1;
    }
    if (!(run.v == run.v)) {
      run.status = CellStatus::nonphysical_state;
    } else if (proto.n_steps == 0) {
      if (run.v <= p.v_min || run.v >= p.v_max) run.status = CellStatus::cutoff_at_start;
    } else if (skip_held_steps(b, 0.0, true) && g_cutoff(run.v_prev) < -kCutoffSlack) {
      run.status = CellStatus::cutoff_at_start;  // (after the leading steps that were skipped)
    }
    // the first step that runs starts its cycle's voltages (a skipped step's restart
    // voltage is no point of PyBaMM's cycle solution)
    if (run.status == CellStatus::running) track_cycle_voltage(run.v_prev);
    return run.status;
  }

  //! End a run that failed: the summary describes the last accepted point.
  IONFLUX_HD CellStatus fail(CellStatus st) {
    run.t_final = run.t_prev;
    return run.status = st;
  }

  //! Cut-off event: positive while inside the voltage window. In a protocol the set's
  //! cut-offs stop the experiment in the direction the step drives the voltage: the
  //! lower one while discharging, the upper one while charging (a rest or a voltage
  //! hold has none), so a step may start just past a cut-off (after the ohmic jump of
  //! a step change) and recover, as in PyBaMM.
  IONFLUX_HD double g_cutoff(double v) const {
    const StepSpec* st = step_spec();
    const double a = v - p.v_min, c = p.v_max - v;
    if (!st) return a < c ? a : c;
    if (st->mode == ControlMode::voltage) return 1.0;
    const double dir = st->table_len > 0 ? 0.0 : st->value;  // drive cycles go both ways
    if (dir > 0.0) return a;
    if (dir < 0.0) return c;
    return a < c ? a : c;
  }
  //! Does protocol step `step` end its cycle (the last step, or the next is another
  //! cycle's), with an experiment termination to check there?
  IONFLUX_HD bool cycle_ends_after(int step) const {
    return proto.end.per_cycle() && proto.n_steps > 0 &&
           (step + 1 >= proto.n_steps || proto.steps[step + 1].cycle != proto.steps[step].cycle);
  }
  IONFLUX_HD void track_cycle_voltage(double v) {
    if (v < run.cycle_v_min) run.cycle_v_min = v;
  }
  //! At the end of a cycle (state y_end): has the experiment's termination been reached
  //! (ExperimentEnd, PyBaMM's rules)? Starts the next cycle's lowest voltage. Every lane
  //! of a team computes the same (from the same state).
  IONFLUX_HD bool experiment_ends(const V& y_end) {
    const ExperimentEnd& e = proto.end;
    bool stop = e.min_voltage > 0.0 && run.cycle_v_min <= e.min_voltage;
    if (e.capacity_fraction > 0.0 || e.capacity_ah > 0.0) {
      const Inventory inv = lithium_inventory(p, l, y_end);
      const double q_li = (inv.v[kInvLithiumNeg] + inv.v[kInvLithiumPos]) * (constants::F / 3600.0);
      const double q = solve_esoh(p, inv.v[kInvCapacityNeg], inv.v[kInvCapacityPos], q_li, p.ocv_soc_0, p.ocv_soc_100)
                           .capacity;
      run.cycle_capacity = q;
      if (run.cycle_capacity0 == -1.0) run.cycle_capacity0 = q;  // the first cycle's: PyBaMM's 100 % (NaN: never)
      if (q == q) {  // (no eSOH solution: PyBaMM does not stop either)
        if (e.capacity_ah > 0.0 && q <= e.capacity_ah) stop = true;
        if (e.capacity_fraction > 0.0 && q <= e.capacity_fraction * run.cycle_capacity0) stop = true;
      }
    }
    if (!stop) run.cycle_v_min = 1e300;  // the next cycle's (kept for the message when it stops)
    return stop;
  }
  //! Does a step that begins past its cut-off (g_cutoff < 0) end the run there? Yes for
  //! a constant current or power step that drives the voltage further past it, and for a
  //! drive cycle (which checks both cut-offs: one that began past a cut-off was never
  //! checked again, and ran on to -1.2 V). A rest relaxes towards the open-circuit
  //! voltage and may recover; a voltage hold has no cut-off.
  IONFLUX_HD bool starts_past_cutoff_ends_run() const {
    const StepSpec* st = step_spec();
    return st && st->mode != ControlMode::voltage && (st->table_len > 0 || st->value != 0.0);
  }
  //! The step's own end conditions: the smallest event value (positive: go on).
  IONFLUX_HD double g_step(double v, double i) const {
    const StepSpec* st = step_spec();
    double g = 1.0;
    if (!st) return g;
    for (int k = 0; k < st->n_ends; ++k) {
      const double gk = end_function(st->end_kind[k], st->end_value[k], v, i);
      if (k == 0 || gk < g) g = gk;
    }
    return st->n_ends > 0 ? g : 1.0;
  }

  //! The first table knot of a drive-cycle step strictly after time t (1e300 if none),
  //! the table repeated as drive_at repeats it (every drive_period: its knots, the
  //! seam's end being the next copy's first knot).
  IONFLUX_HD double next_knot(const StepSpec& st, double t) const {
    if (st.table_len < 2 || !proto.tables) return 1e300;
    const double* tab = proto.tables + 2 * st.table_offset;
    const double t0 = tab[0], period = drive_period(tab, st.table_len);
    if (!(period > 0.0)) return 1e300;
    const double local = t - run.step_t0;
    const double reps = floor(local / period);
    const double base = run.step_t0 + reps * period;
    const double eps = 1e-9 * (fabs(t) + 1.0);
    int lo = 0, hi = st.table_len - 1;  // first knot with base + (t_k - t0) > t + eps
    while (lo < hi) {
      const int mid = (lo + hi) / 2;
      if (base + (tab[2 * mid] - t0) > t + eps) hi = mid;
      else lo = mid + 1;
    }
    const double tk = base + (tab[2 * lo] - t0);
    return tk > t + eps ? tk : base + period;  // past the last knot: the seam's end
  }

  //! Illinois root of an event function g(t) on [a, c] with g(a) > 0 >= g(c).
  template <class G>
  IONFLUX_HD double locate(G g, double a, double ga, double c, double gc) const {
    const double ttol = 1e-13 * (fabs(c) + fabs(c - a));
    for (int r = 0; r < 200 && fabs(c - a) > ttol; ++r) {
      const double tm = (a * gc - c * ga) / (gc - ga);
      const double gm = g(tm);
      if (gm == 0.0) return tm;
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
    return c;
  }

  //! Add a piece of charge dq [A.h] and energy de [W.h] to the discharge sums (dq > 0)
  //! or the charge sums (dq < 0).
  IONFLUX_HD void add_moved(double dq, double de) {
    if (dq > 0.0) {
      run.dis_q += dq;
      run.dis_e += de;
    } else if (dq < 0.0) {
      run.chg_q -= dq;
      run.chg_e -= de;
    }
  }
  //! Account for the charge and energy moved over [t_prev, t] (inside the last BDF step;
  //! q, e, i: Q, E and I at t), split at the root of the current if its sign changes.
  IONFLUX_HD void accumulate(const B& b, double t, double q, double e, double i) {
    double qa = run.q_prev, ea = run.e_prev;
    const double ia = run.i_prev;
    if ((ia > 0.0 && i < 0.0) || (ia < 0.0 && i > 0.0)) {
      const double s = ia > 0.0 ? 1.0 : -1.0;
      const double tz = locate([&](double tt) { return s * b.interp_component(l.kI(), tt); }, run.t_prev, s * ia, t,
                               s * i);
      const double qz = b.interp_component(l.kQ(), tz), ez = b.interp_component(l.kE(), tz);
      add_moved(qz - qa, ez - ea);
      qa = qz;
      ea = ez;
    }
    add_moved(q - qa, e - ea);
  }

  //! The budget of BDF steps (SolverOptions::max_steps, plus kStepsPerDriveKnot per knot
  //! of a drive cycle: step_budget) is per protocol step (BdfScalars counts from the
  //! step's start); the whole run's safety net is the sum of the steps' budgets (max_steps
  //! times the number of protocol steps without drive cycles), at most kMaxSolverSteps (a
  //! run cannot hang, and the int counters cannot overflow). Either ends the cell with
  //! step_limit.
  IONFLUX_HD int run_step_limit() const {
    double whole = 0.0;  // the steps' budgets (step_budget: max_steps, more for drive cycles)
    for (int k = 0; k < n_steps(); ++k)
      whole += step_budget(proto.n_steps > 0 ? proto.steps + k : nullptr, proto.tables, opt.max_steps);
    return whole < kMaxSolverSteps ? static_cast<int>(whole) : kMaxSolverSteps;
  }
  //! The running protocol step's budget of BDF steps (step_budget), at most kMaxSolverSteps.
  IONFLUX_HD int protocol_step_limit() const {
    const double b = step_budget(step_spec(), proto.tables, opt.max_steps);
    return b < kMaxSolverSteps ? static_cast<int>(b) : kMaxSolverSteps;
  }
  //! Past the running step's budget or the whole run's (the latter's sum over the
  //! protocol is taken only where the plain max_steps x n_steps is reached: rare).
  IONFLUX_HD bool past_step_limit() const {
    if (run.bdf.nst >= protocol_step_limit()) return true;
    const long long total = run.total_steps();
    if (total < static_cast<long long>(opt.max_steps) * n_steps() && total < kMaxSolverSteps) return false;
    return total >= run_step_limit();
  }

  //! Advance up to max_steps BDF steps, across protocol steps. Returns the status
  //! (running if not finished).
  IONFLUX_HD CellStatus advance(int max_steps) {
    int budget = max_steps;
    while (budget > 0 && run.status == CellStatus::running)
      if (!advance_in_step(budget)) break;
    return run.status;
  }

  //! BDF steps within the running protocol step, while `budget` lasts. Returns true
  //! when the protocol moved on to its next step (the caller continues with a model
  //! of that step), false otherwise.
  IONFLUX_HD bool advance_in_step(int& budget) {
    M m = model();
    B b{m, opt, run.bdf, ws, l.n_state, bdf_vector_stride(l.n_state)};
    for (; budget > 0; --budget) {
      if (past_step_limit()) return fail(CellStatus::step_limit), false;
      const StepSpec* st = step_spec();
      double t_step_end = out.t_end;
      if (st && st->duration > 0.0 && run.step_t0 + st->duration < t_step_end) t_step_end = run.step_t0 + st->duration;
      // drive cycles: also stop on the table's next knot, so that every kink of the
      // interpolated set-point falls on a step boundary
      const double t_knot = st ? next_knot(*st, run.bdf.t) : 1e300;
      const CellStatus bs = b.step(t_knot < t_step_end ? t_knot : t_step_end);
      if (bs != CellStatus::running) return fail(bs), false;
      const double tn = run.bdf.t;
      const double vn = dfn::terminal_voltage(l, b.phi(0));
      const double in = b.phi(0)[l.kI()];
      if (!(vn == vn)) return fail(CellStatus::nonphysical_state), false;
      // PyBaMM's degradation termination events (inventory.hpp): the run ends at the last
      // accepted point before the crossing (issue 16)
      if (l.model.porosity_change || l.dslot[0][kDegCrack] >= 0 || l.dslot[1][kDegCrack] >= 0)
        if (!(degradation_event(p, l, b.phi(0)) > 0.0)) return fail(CellStatus::degradation_limit), false;
      // the earliest of: cut-off, the step's end condition, its duration (or t_end)
      double t_stop = tn;
      StepEnd why = StepEnd::duration;
      bool ended = false;
      const double gc_prev = g_cutoff(run.v_prev), gc_now = g_cutoff(vn);
      // A step that began at the cut-off itself (within kCutoffSlack past it: a cell at SOC
      // 1 or 0) is checked against the cut-off moved out by the slack, so that a voltage
      // that then moves clearly past it (regen in a drive cycle that starts at 0 A) ends it
      const bool at_cutoff = gc_prev <= 0.0 && gc_prev > -kCutoffSlack;
      if ((gc_now <= 0.0 && gc_prev > 0.0) || (at_cutoff && gc_now <= -kCutoffSlack)) {
        const double shift = at_cutoff ? kCutoffSlack : 0.0;
        t_stop = locate([&](double t) { return g_cutoff(voltage_at(b, t)) + shift; }, run.t_prev, gc_prev + shift, tn,
                        gc_now + shift);
        why = StepEnd::cutoff;
        ended = true;
      }
      const double gs_prev = g_step(run.v_prev, run.i_prev), gs_now = g_step(vn, in);
      if (gs_now <= 0.0 && gs_prev > 0.0) {
        const double ts = locate(
            [&](double t) { return g_step(voltage_at(b, t), b.interp_component(l.kI(), t)); }, run.t_prev, gs_prev,
            tn, gs_now);
        if (!ended || ts <= t_stop) {  // a step end at the cut-off itself ends the step, not the run
          t_stop = ts;
          why = StepEnd::condition;
          ended = true;
        }
      }
      if (!ended && tn >= t_step_end - 1e-12 * (fabs(t_step_end) + 1.0)) {
        t_stop = t_step_end;
        // a step whose own duration ends at (or within round-off of) t_end ended by its duration
        const bool by_duration = st && st->duration > 0.0 &&
                                 run.step_t0 + st->duration <= out.t_end + 1e-12 * (fabs(out.t_end) + 1.0);
        why = by_duration ? StepEnd::duration : StepEnd::end_time;
        ended = true;
      }
      // outputs before t_stop (and at it, when the step goes on: an output time that
      // falls exactly on a step boundary belongs to the step that ends there)
      while (has_out(run.next_out) &&
             (out_time(run.next_out) < t_stop || (!ended && out_time(run.next_out) == t_stop))) {
        const double to = out_time(run.next_out);
        if (to > run.t_prev) emit(b, point_at(b, to));
        ++run.next_out;
      }
      if (!ended) {
        accumulate(b, tn, b.phi(0)[l.kQ()], b.phi(0)[l.kE()], in);
        if (out.every_step() && tn > run.t_prev) emit(b, point_at(b, tn));
        run.t_prev = tn;
        run.v_prev = run.v = vn;
        track_cycle_voltage(vn);
        run.i_prev = in;
        run.q_prev = b.phi(0)[l.kQ()];
        run.e_prev = b.phi(0)[l.kE()];
        continue;
      }
      // the step ends at t_stop
      const OutputPoint at = point_at(b, t_stop);
      emit(b, at);
      accumulate(b, t_stop, at.q, at.e, at.i);
      {
        StepRecord rec{run.step, run.step_t0, t_stop, at.q - run.step_q0, at.e - run.step_e0, why};
        rec.discharge_capacity = run.dis_q - run.step_dis_q0;
        rec.charge_capacity = run.chg_q - run.step_chg_q0;
        rec.discharge_energy = run.dis_e - run.step_dis_e0;
        rec.charge_energy = run.chg_e - run.step_chg_e0;
        const V ye = b.vec(kDelta);  // the state at the step's end (scratch after emit)
        b.interpolate(t_stop, ye);
        team.single([&]() {
          rec.inv = lithium_inventory(p, l, ye);
          sink.step_done(rec);
        });
      }
      run.t_final = t_stop;
      run.v = at.v;
      run.capacity_ah = at.q;
      run.energy_wh = at.e;
      if (why == StepEnd::cutoff) {
        run.status = at.v - p.v_min < p.v_max - at.v ? CellStatus::cutoff_lower : CellStatus::cutoff_upper;
        return false;
      }
      if (why == StepEnd::end_time || (t_stop >= out.t_end && run.step + 1 < n_steps())) {
        // the experiment's time termination, else truncated: reported as such, never as completed
        run.status = proto.end.time_reached(t_stop) ? CellStatus::experiment_end : CellStatus::end_time_reached;
        return false;
      }
      // the state at t_stop (the next step restarts from it)
      const V y = b.phi(0), yi = b.vec(kDelta);
      b.interpolate(t_stop, yi);
      track_cycle_voltage(at.v);
      if (cycle_ends_after(run.step) && experiment_ends(yi)) {
        run.status = CellStatus::experiment_end;  // at the end of this cycle, the last one too, as PyBaMM
        return false;
      }
      if (run.step + 1 >= n_steps()) {
        run.status = CellStatus::finished;
        return false;
      }
      team.for_each(l.n_state, [&](int k) { y[k] = yi[k]; });
      enter_step(run.step + 1, t_stop);
      M m2 = model();
      B b2{m2, opt, run.bdf, ws, l.n_state, bdf_vector_stride(l.n_state)};
      if (!restart(b2, t_stop)) return fail(CellStatus::init_failure), false;
      if (!skip_held_steps(b, t_stop, false)) return false;
      track_cycle_voltage(run.v_prev);  // the step that runs starts here (after any skipped)
      // A current, power or drive-cycle step that begins past the cut-off it checks (a
      // charge that starts above the upper cut-off after the voltage jump of the step
      // change) is cut short at once: the crossing test below looks for a crossing, and
      // there would be none (starts_past_cutoff_ends_run). A rest may begin past a
      // cut-off and recover.
      if (g_cutoff(run.v_prev) < -kCutoffSlack && starts_past_cutoff_ends_run()) {
        StepRecord cut{run.step, t_stop, t_stop, 0.0, 0.0, StepEnd::cutoff};
        team.single([&]() {
          cut.inv = lithium_inventory(p, l, b.phi(0));  // the state at t_stop (restarted)
          sink.step_done(cut);
        });
        run.v = run.v_prev;
        run.status = run.v - p.v_min < p.v_max - run.v ? CellStatus::cutoff_lower : CellStatus::cutoff_upper;
        return false;
      }
      --budget;
      return true;
    }
    return false;
  }
};

}  // namespace ionflux
