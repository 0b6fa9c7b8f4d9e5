#include "solver/problem/simulation.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "kernels/model/cell_solver.hpp"
#include "solver/problem/batch.hpp"
#include "solver/output/results.hpp"
#include "solver/problem/batch_detail.hpp"
#include "solver/util/errors.hpp"
#include "solver/inputs/experiment.hpp"

namespace ionflux {

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
  if (o.solver.max_steps < 1 || o.solver.max_steps > kMaxSolverSteps)
    throw InputError("max_steps must be an integer from 1 to " + std::to_string(kMaxSolverSteps) + ", got " +
                     std::to_string(o.solver.max_steps));
  if (!(o.solver.max_wall_time >= 0.0 && std::isfinite(o.solver.max_wall_time)))
    throw InputError("max_wall_time must be a positive number of seconds (0: no limit), got " +
                     std::to_string(o.solver.max_wall_time));
  if (o.period < 0.0 || !std::isfinite(o.period))
    throw InputError("period must be a positive number of seconds, got " + std::to_string(o.period));
  for (std::size_t k = 1; k < o.t_eval.size(); ++k)
    if (!(o.t_eval[k] > o.t_eval[k - 1])) throw InputError("output times must be increasing");
  // Every degradation option that resolves (as PyBaMM resolves them) is solved by the
  // per-cell model (docs/degradation_options.md, docs/degradation_mechanics.md), but for
  // a constant SEI on cracks under porosity change (its film volume is not modelled):
  // refused, never silently dropped.
  const ModelOptions& opt = o.model;
  for (int k = 0; k < 2; ++k)
    if (opt.sei_on_cracks[k] && opt.sei[k] == SeiModel::constant && opt.porosity_change)
      throw InputError(std::string("option 'SEI on cracks' with 'SEI' 'constant' and porosity change (") +
                       (k == 0 ? "negative" : "positive") +
                       " electrode) is not solved by ionflux yet: use a growing SEI model, or no porosity change");
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

const char* step_end_name(const StepRecord& r) {
  static const char* const ends[] = {"duration", "end condition", "cut-off", "failure", "end time"};
  const int e = static_cast<int>(r.end);
  if (step_skipped(r)) return "skipped";
  return e >= 0 && e < 5 ? ends[e] : "unknown";
}

const char* step_end_name(double end_code, double t_start, double t_end) {
  if (!(end_code == end_code)) return "";
  StepRecord r{};
  r.end = static_cast<StepEnd>(static_cast<int>(end_code));
  r.t_start = t_start;
  r.t_end = t_end;
  return step_end_name(r);
}

std::string skipped_steps_warning(const std::vector<StepRecord>& records, const RunOptions& run) {
  const int n_steps = static_cast<int>(run.steps.size());
  auto cycle_of = [&](int step) { return step >= 0 && step < n_steps ? run.steps[static_cast<std::size_t>(step)].cycle : 0; };
  std::vector<int> skipped;
  for (const StepRecord& r : records)
    if (step_skipped(r)) skipped.push_back(r.step);
  if (skipped.empty()) return std::string();
  std::string text = skipped.size() == 1
                         ? std::string("1 step was skipped because its end condition already held when it began")
                         : std::to_string(skipped.size()) +
                               " steps were skipped because their end conditions already held when they began";
  text += " (PyBaMM skips such steps too): ";
  const std::size_t shown = std::min<std::size_t>(skipped.size(), 3);
  for (std::size_t k = 0; k < shown; ++k) {
    const int s = skipped[k];
    if (k) text += ", ";
    text += "step " + std::to_string(s) + " (cycle " + std::to_string(cycle_of(s)) + ")";
    if (s >= 0 && static_cast<std::size_t>(s) < run.step_text.size())
      text += " '" + run.step_text[static_cast<std::size_t>(s)] + "'";
  }
  if (skipped.size() > shown) text += " and " + std::to_string(skipped.size() - shown) + " more";
  // a cycle of two or more steps none of which ran: PyBaMM raises "All steps in the
  // cycle ... are infeasible" there (simulation.py, _check_infeasible_steps); ionflux goes
  // on, and says so. A one-step cycle that did not run PyBaMM skips with a warning
  // (skip_ok, its default), as the first part of this warning says.
  std::vector<int> in_cycle, ran_in_cycle;
  for (int s = 0; s < n_steps; ++s) {
    const int c = cycle_of(s);
    if (c >= static_cast<int>(in_cycle.size())) in_cycle.resize(c + 1, 0), ran_in_cycle.resize(c + 1, 0);
    ++in_cycle[static_cast<std::size_t>(c)];
  }
  std::vector<int> recorded(in_cycle.size(), 0);
  for (const StepRecord& r : records) {
    const int c = cycle_of(r.step);
    if (c < 0 || c >= static_cast<int>(in_cycle.size())) continue;
    ++recorded[static_cast<std::size_t>(c)];
    if (!step_skipped(r)) ++ran_in_cycle[static_cast<std::size_t>(c)];
  }
  std::vector<int> empty_cycles;
  for (std::size_t c = 0; c < in_cycle.size(); ++c)
    if (in_cycle[c] > 1 && recorded[c] == in_cycle[c] && ran_in_cycle[c] == 0) empty_cycles.push_back(static_cast<int>(c));
  if (!empty_cycles.empty()) {
    text += "; no step of cycle " + std::to_string(empty_cycles.front()) +
            (empty_cycles.size() > 1 ? " (and " + std::to_string(empty_cycles.size() - 1) + " more cycles)" : std::string()) +
            " ran (PyBaMM stops with an error there: check the experiment against the initial state)";
  }
  return text;
}

namespace {

//! Receives the one chunk of a batch of one cell.
struct OneCellSink : ChunkSink {
  ChunkData chunk;
  void write_chunk(const ChunkData& c) override { chunk = c; }
  void take_chunk(ChunkData&& c) override { chunk = std::move(c); }
};

}  // namespace

Solution cell_solution(ChunkData&& c, std::size_t k, const BatchInputs& in) {
  Solution sol;
  if (c.n_steps > 0) {  // an experiment: PyBaMM's per-cycle summary variables of cell k
    const ProtocolView pv = detail::protocol_of(in, c.first + k);
    std::vector<int> step_cycle;
    for (int s = 0; s < c.n_steps; ++s) step_cycle.push_back(s < pv.n_steps ? pv.steps[s].cycle : -1);
    const CycleSummaries cy = reduce_cycles(c, step_cycle, cycle_count(step_cycle));
    SummaryVariables& sv = sol.summary_variables;
    sv.n = 1;
    sv.n_cycles = cy.variables.n_cycles;
    sv.names = cy.variables.names;
    for (const std::vector<double>& v : cy.variables.values)
      sv.values.emplace_back(v.begin() + static_cast<std::ptrdiff_t>(k * sv.n_cycles),
                             v.begin() + static_cast<std::ptrdiff_t>((k + 1) * sv.n_cycles));
  }
  const std::size_t from = c.offset[k], n = c.count[k];
  const bool whole = c.n == 1;  // the chunk's arrays are this cell's: moved, not copied
  auto take = [&](std::vector<double>& dst, std::vector<double>& src, std::size_t width) {
    if (whole && src.size() == n * width) dst = std::move(src);
    else if (src.size() >= (from + n) * width)
      dst.assign(src.begin() + static_cast<std::ptrdiff_t>(from * width),
                 src.begin() + static_cast<std::ptrdiff_t>((from + n) * width));
  };
  take(sol.time, c.time, 1);
  take(sol.voltage, c.voltage, 1);
  take(sol.current, c.current, 1);
  take(sol.capacity, c.capacity, 1);
  take(sol.temperature, c.temperature, 1);
  const ProtocolView proto = detail::protocol_of(in, c.first + k);
  if (c.step_index.size() >= from + n)
    for (std::size_t i = from; i < from + n; ++i) {
      const double st = c.step_index[i];
      const int step = st == st ? static_cast<int>(st) : 0;
      sol.step.push_back(step);
      sol.cycle.push_back(step >= 0 && step < proto.n_steps ? proto.steps[step].cycle : 0);
    }
  sol.layout = Layout::make(in.run.mesh, in.run.model);
  take(sol.states, c.states, static_cast<std::size_t>(sol.layout.n_state));
  if (c.n_records > 0)
    for (int r = 0; r < c.n_records; ++r) {
      const StepRecord& rec = c.step_records[k * static_cast<std::size_t>(c.n_records) + static_cast<std::size_t>(r)];
      if (rec.step >= 0) sol.steps.push_back(rec);
    }
  sol.protocol = in.has_protocol();
  sol.status = static_cast<CellStatus>(c.status[k]);
  sol.message = c.message[k];
  sol.protocol_cut_short = sol.message.find(kCutShortMark) != std::string::npos;
  sol.end_time = c.end_time[k];
  sol.discharge_capacity = c.discharge_capacity[k];
  sol.charge_capacity = c.charge_capacity[k];
  sol.discharge_energy = c.discharge_energy[k];
  sol.charge_energy = c.charge_energy[k];
  sol.energy = c.energy[k];
  sol.mean_voltage = c.mean_voltage[k];
  if (c.stats.size() == c.n) sol.stats = c.stats[k];
  return sol;
}

SummaryVariables constant_current_summary(const CellParams& p, const Solution& sol) {
  if (sol.protocol || sol.steps.size() != 1 || !sol.summary_variables.names.empty()) return sol.summary_variables;
  const Layout& l = sol.layout;
  const StepRecord& r = sol.steps.front();
  CycleStates cs;
  cs.n = cs.n_cycles = 1;
  cs.cell.assign(kCellSummaryFields, std::numeric_limits<double>::quiet_NaN());
  cell_summary_inputs(p, l, cs.cell.data());
  double es[kEsohFields];
  esoh_fields(p, r.inv.v, es);
  for (int f = 0; f < kInventoryFields; ++f) {
    cs.end_inv[f] = {r.inv.v[f]};
    cs.start_inv[f] = {cs.cell[kCellStartInventory + f]};
  }
  for (int f = 0; f < kEsohFields; ++f) cs.esoh[f] = {es[f]};
  cs.t_end = {r.t_end};
  cs.t_start = {r.t_start};
  const double q = sol.discharge_capacity + sol.charge_capacity, e = sol.discharge_energy + sol.charge_energy;
  cs.throughput_capacity = cs.moved_capacity = {q};
  cs.throughput_energy = cs.moved_energy = {e};
  return summary_variables(cs);
}

// A batch of one: the same executor, per-cell driver and summaries as a sweep
// (run_batch on the CPU, BatchInputs::detail), read back as a Solution.
Solution simulate(const CellParams& params, const RunOptions& options, const std::atomic<bool>* stop,
                  CellProgress* progress) {
  validate_run_options(options);
  const auto start = std::chrono::steady_clock::now();
  if (!(options.t_end > 0.0)) throw InputError("t_end must be positive");
  const Layout l = Layout::make(options.mesh, options.model);
  // bytes per output row: time, voltage, current, capacity, temperature (doubles), step
  // and cycle (ints), and the state when stored
  const double row_bytes = 5.0 * sizeof(double) + 2.0 * sizeof(int) +
                           (options.store_states ? static_cast<double>(l.n_state) * sizeof(double) : 0.0);
  const double grid_rows = grid_output_rows(options, options.t_end, static_cast<int>(options.steps.size()));
  if (grid_rows >= 0.0) check_output_size(grid_rows, row_bytes, "this run");
  BatchInputs in;
  in.cells.assign(1, params);
  in.pre_status.assign(1, CellStatus::running);
  in.pre_message.assign(1, std::string());
  in.run = options;
  in.detail = true;
  BatchOptions opt;
  opt.device = Device::cpu;
  opt.threads = 1;
  opt.stop_cells = stop;
  opt.cell_progress = progress;
  OneCellSink sink;
  run_batch(in, opt, &sink);
  Solution sol = cell_solution(std::move(sink.chunk), 0, in);
  sol.params = params;
  sol.wall_time = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return sol;
}

}  // namespace ionflux
