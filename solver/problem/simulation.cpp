#include "solver/problem/simulation.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "kernels/model/cell_solver.hpp"
#include "solver/util/errors.hpp"
#include "solver/inputs/plausibility.hpp"
#include "solver/inputs/experiment.hpp"

namespace ionflux {
namespace {

struct VectorSink {
  Solution& sol;
  bool store;
  int n;
  std::size_t max_rows;  //!< the output size limit in rows (every-step output)
  bool overflow = false;
  bool wants_state() const { return store; }
  void record(const OutputPoint& o, const CView& y) {
    if (sol.time.size() >= max_rows) {
      overflow = true;
      return;
    }
    sol.time.push_back(o.t);
    sol.voltage.push_back(o.v);
    sol.current.push_back(o.i);
    sol.capacity.push_back(o.q);
    sol.temperature.push_back(o.temp);
    sol.step.push_back(o.step);
    if (store)
      for (int k = 0; k < n; ++k) sol.states.push_back(y[k]);
  }
  void step_done(const StepRecord& r) { sol.steps.push_back(r); }
};

}  // namespace

void validate_run_options(const RunOptions& o) {
  const MeshSpec& m = o.mesh;
  const std::pair<const char*, int> sizes[] = {{"x_n", m.x_n}, {"x_s", m.x_s}, {"x_p", m.x_p}, {"r_n", m.r_n},
                                               {"r_p", m.r_p}};
  for (const auto& s : sizes)
    if (s.second < 2)
      throw InputError(std::string("mesh size ") + s.first + " must be at least 2, got " + std::to_string(s.second));
    else if (s.second > 1000)  // as `ionflux simulate --mesh` and sweep configs: a 10^6 mesh would allocate GBs
      throw InputError(std::string("mesh size ") + s.first + " must be at most 1000, got " + std::to_string(s.second));
  if (!(o.solver.rtol > 0.0 && o.solver.rtol < 1.0))
    throw InputError("rtol must be in (0, 1), got " + std::to_string(o.solver.rtol));
  if (!(o.solver.atol > 0.0)) throw InputError("atol must be positive, got " + std::to_string(o.solver.atol));
  if (o.period < 0.0 || !std::isfinite(o.period))
    throw InputError("period must be a positive number of seconds, got " + std::to_string(o.period));
  for (std::size_t k = 1; k < o.t_eval.size(); ++k)
    if (!(o.t_eval[k] > o.t_eval[k - 1])) throw InputError("output times must be increasing");
}

double TheoreticalCapacity::swing() const { return std::min(negative, std::min(positive, lithium)); }

TheoreticalCapacity theoretical_capacity(const CellParams& c) {
  const double per_mol = c.area * constants::F / 3600.0;  // [A.h/mol] over the electrode area
  TheoreticalCapacity q;
  const double mol_n = c.neg.active_fraction * c.neg.c_max * c.neg.thickness;  // [mol/m2]
  const double mol_p = c.pos.active_fraction * c.pos.c_max * c.pos.thickness;
  q.negative = mol_n * per_mol;
  q.positive = mol_p * per_mol;
  const double x0 = c.neg.c_init / c.neg.c_max, y0 = c.pos.c_init / c.pos.c_max;
  q.lithium = (x0 * mol_n + y0 * mol_p) * per_mol;
  q.discharge = std::min(x0 * q.negative, (1.0 - y0) * q.positive);
  q.charge = std::min((1.0 - x0) * q.negative, y0 * q.positive);
  return q;
}

double default_end_time(const CellParams& cell, const std::vector<StepSpec>& steps) {
  const TheoreticalCapacity q = theoretical_capacity(cell);
  const double swing = q.swing();
  if (steps.empty()) {
    const double i = std::fabs(cell.current);
    double avail = cell.current > 0.0 ? q.discharge : q.charge;
    if (!(avail > 0.0)) avail = swing;  // an empty start: the run stops at once, any end will do
    return kDefaultEndMargin * 3600.0 * avail / i;
  }
  double t = 0.0;
  for (const StepSpec& s : steps) {
    if (s.duration > 0.0) t += s.duration;
    else if (s.mode == ControlMode::current && s.value != 0.0 && s.table_len == 0)
      t += kDefaultEndMargin * 3600.0 * swing / std::fabs(s.value);
    else t += 36000.0;
  }
  return t > 0.0 ? t : 3600.0;
}

double default_end_time(double nominal_capacity_ah, double current) {
  return 3.0 * 3600.0 * nominal_capacity_ah / std::fabs(current);
}

double default_end_time(double nominal_capacity_ah, const std::vector<StepSpec>& steps) {
  double t = 0.0;
  for (const StepSpec& s : steps) {
    if (s.duration > 0.0) t += s.duration;
    else if (s.mode == ControlMode::current && s.value != 0.0 && s.table_len == 0)
      t += default_end_time(nominal_capacity_ah, s.value);
    else t += 36000.0;
  }
  return t > 0.0 ? t : 3600.0;
}

OutputSpec output_spec(const RunOptions& options) {
  OutputSpec out;
  out.t_end = options.t_end;
  if (!options.t_eval.empty()) {
    out.times = options.t_eval.data();
    out.n_times = static_cast<int>(options.t_eval.size());
  } else {
    out.period = options.period;  // 0: every accepted step
  }
  return out;
}

namespace {
std::string fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}
}  // namespace

std::string output_description(const RunOptions& options) {
  if (!options.t_eval.empty())
    return std::to_string(options.t_eval.size()) + " given times (t_eval), plus step ends, cut-offs and the end";
  if (options.period > 0.0) return "every " + fmt(options.period) + " s up to each cell's end, plus step ends and cut-offs";
  return "every accepted solver step of each cell (adaptive), plus step ends and cut-offs";
}

double grid_output_rows(const RunOptions& options, double t_end, int protocol_steps) {
  double rows = 0.0;
  if (!options.t_eval.empty()) rows = static_cast<double>(options.t_eval.size());
  else if (options.period > 0.0) rows = std::floor(t_end / options.period) + 1.0;
  else return -1.0;
  return rows + 1.0 + protocol_steps;  // + the end point and the off-grid step ends
}

double max_output_bytes() {
  const char* env = std::getenv("IONFLUX_MAX_OUTPUT_BYTES");
  if (env && *env) {
    char* end = nullptr;
    const double v = std::strtod(env, &end);
    if (end == env || *end != '\0' || !(v > 0.0))
      throw InputError(std::string("IONFLUX_MAX_OUTPUT_BYTES must be a positive number of bytes, got '") + env + "'");
    return v;
  }
  return 1073741824.0;  // 1 GiB
}

void check_output_size(double rows, double bytes_per_row, const std::string& what) {
  const double limit = max_output_bytes();
  const double bytes = rows * bytes_per_row;
  if (bytes <= limit) return;
  throw InputError(what + " would make " + fmt(rows) + " output rows (" + fmt(bytes / 1048576.0) +
                   " MiB), over the output limit of " + fmt(limit / 1048576.0) +
                   " MiB; use a larger period or fewer output times, or raise the limit with the environment "
                   "variable IONFLUX_MAX_OUTPUT_BYTES (bytes)");
}

Solution simulate(const CellParams& params, const RunOptions& options) {
  validate_run_options(options);
  const auto start = std::chrono::steady_clock::now();
  Solution sol;
  sol.params = params;
  sol.layout = Layout::make(options.mesh);
  const Layout& l = sol.layout;
  if (!(options.t_end > 0.0)) throw InputError("t_end must be positive");
  const OutputSpec out = output_spec(options);
  // bytes per output row: time, voltage, current, capacity, temperature (doubles), step
  // and cycle (ints), and the state when stored
  const double row_bytes = 5.0 * sizeof(double) + 2.0 * sizeof(int) +
                           (options.store_states ? static_cast<double>(l.n_state) * sizeof(double) : 0.0);
  const double grid_rows = grid_output_rows(options, options.t_end, static_cast<int>(options.steps.size()));
  if (grid_rows >= 0.0) check_output_size(grid_rows, row_bytes, "this run");
  std::vector<double> ws(static_cast<std::size_t>(cell_workspace_size(l)), 0.0);
  CellRun run{};
  VectorSink sink{sol, options.store_states, l.n_state,
                  static_cast<std::size_t>(std::min(max_output_bytes() / row_bytes, 1e15))};
  CellSolver<VectorSink, CView> cs{params, l, options.solver, out, CView{ws.data()}, run, sink};
  if (!options.steps.empty())
    cs.proto = ProtocolView{options.steps.data(), static_cast<int>(options.steps.size()), options.tables.data()};
  if (cs.init() == CellStatus::running) cs.advance(options.solver.max_steps + 1);
  if (sink.overflow) run.status = CellStatus::output_overflow;  // every-step output past the limit
  for (int k : sol.step) sol.cycle.push_back(options.steps.empty() ? 0 : options.steps[static_cast<std::size_t>(k)].cycle);
  sol.protocol = !options.steps.empty();
  sol.status = run.status;
  sol.message = cell_status_message(run.status);
  if (sink.overflow)
    sol.message += ": more outputs than the limit of " + fmt(max_output_bytes()) +
                   " bytes (IONFLUX_MAX_OUTPUT_BYTES); the outputs stop at t = " +
                   fmt(sol.time.empty() ? 0.0 : sol.time.back()) + " s";
  if (run.status == CellStatus::init_failure) {
    const std::string why = diagnose_init_failure(params);  // name what caused it
    if (!why.empty()) sol.message += " (" + why + ")";
  }
  sol.end_time = sol.time.empty() ? 0.0 : sol.time.back();
  sol.discharge_capacity = run.dis_q;
  sol.charge_capacity = run.chg_q;
  sol.discharge_energy = run.dis_e;
  sol.charge_energy = run.chg_e;
  sol.energy = run.energy_wh;
  sol.mean_voltage = run.mean_voltage();
  if (cell_status_failed(run.status)) {  // as in batches: a failed cell's summaries are not data
    const double nan = std::numeric_limits<double>::quiet_NaN();
    sol.discharge_capacity = sol.charge_capacity = sol.discharge_energy = sol.charge_energy = nan;
    sol.energy = sol.mean_voltage = nan;
  }
  const std::string cut = cut_short_message(
      run.status, params, options.steps.data(), static_cast<int>(options.steps.size()),
      options.step_text.size() == options.steps.size() ? options.step_text.data() : nullptr, run.step, run.step_t0,
      run.t_final);
  if (!cut.empty()) {
    sol.message = cut;
    sol.protocol_cut_short = true;
  }
  const BdfScalars& b = run.bdf;
  sol.stats = SolverStats{run.done_nst + b.nst,  run.done_nre + b.nre,   run.done_nsetups + b.nsetups,
                          run.done_nni + b.nni,  run.done_netf + b.netf, run.done_ncfn + b.ncfn};
  sol.wall_time = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return sol;
}

}  // namespace ionflux
