#include "solver/problem/batch.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <thread>

#include "kernels/backend/slots.hpp"
#include "kernels/model/cell_solver.hpp"
#include "solver/backends/backend_cuda.hpp"
#include "solver/output/summary.hpp"
#include "solver/problem/batch_detail.hpp"
#include "solver/util/errors.hpp"
#include "solver/inputs/experiment.hpp"
#include "solver/backends/gpu_stream.hpp"
#include "solver/inputs/plausibility.hpp"
#include "solver/util/text.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace ionflux {

Device parse_device(const std::string& name) {
  if (name == "auto") return Device::automatic;
  if (name == "cpu") return Device::cpu;
  if (name == "cuda") return Device::cuda;
  throw InputError("unknown device '" + name + "'; expected auto, cpu or cuda");
}

const char* device_name(Device d) {
  switch (d) {
    case Device::automatic: return "auto";
    case Device::cpu: return "cpu";
    case Device::cuda: return "cuda";
  }
  return "?";
}

namespace {
bool g_emulated_device = false;  //!< tests only
}  // namespace

void cuda_backend::emulate_device_for_testing(bool on) { g_emulated_device = on; }

bool cuda_available() { return g_emulated_device || cuda_backend::available(); }
std::string cuda_device_description() {
  return g_emulated_device ? "host emulation of the CUDA launcher (tests)" : cuda_backend::describe();
}

int output_columns(const RunOptions& run) {
  const double rows = grid_output_rows(run, run.t_end, 0);
  if (rows < 0.0) return 0;  // every step: not known before the run
  check_output_size(rows, 6.0 * sizeof(double), "one cell of this sweep");
  if (!(rows < 1e8)) throw InputError("too many output times per cell: period is too small for t_end");
  return static_cast<int>(rows);
}

namespace {
//! Bytes of one output in a sweep: time, voltage, current, capacity, temperature and step.
constexpr double kOutputRowBytes = 6.0 * sizeof(double);
}  // namespace

namespace detail {

//! Output slots per cell on the device: a fixed grid holds every output of the cell
//! with the longest end; every-step output holds what one launch can make (at most one
//! per step, plus the initial point) and is drained between launches.
int device_output_slots(const BatchInputs& in, int steps_per_launch) {
  const int steps = in.max_protocol_steps();
  if (grid_output_rows(in.run, in.run.t_end, steps) < 0.0) return 2 * std::max(steps_per_launch, 1) + 4;
  double most = grid_output_rows(in.run, in.run.t_end, steps);
  for (double t : in.t_end) most = std::max(most, grid_output_rows(in.run, t, steps));
  if (!(most < 1e8)) throw InputError("too many output times per cell: period is too small for t_end");
  return static_cast<int>(most);
}

}  // namespace detail

void check_batch_output_size(const BatchInputs& in) {
  const int steps = in.max_protocol_steps();
  if (grid_output_rows(in.run, in.run.t_end, steps) < 0.0) return;  // every step: bounded by max_steps
  double most = 0.0;
  for (std::size_t c = 0; c < in.size(); ++c) most = std::max(most, grid_output_rows(in.run, in.t_end_of(c), steps));
  check_output_size(most, kOutputRowBytes, "one cell of this sweep");
}

std::size_t bytes_per_cell(const BatchInputs& in) {
  const Layout l = Layout::make(in.run.mesh, in.run.model);
  // (a GPU's contiguous workspaces are padded to 128-byte lines: slot_workspace_stride)
  return static_cast<std::size_t>(slot_workspace_stride(l)) * sizeof(double) + sizeof(CellParams) + sizeof(CellRun) +
         static_cast<std::size_t>(kOutputRowBytes) * static_cast<std::size_t>(detail::device_output_slots(in, 64)) +
         8 * sizeof(double) * static_cast<std::size_t>(in.max_protocol_steps()) + 1 +  // + the per-step summaries
         gpu_stream::staging_bytes_per_slot(in, 64);  // + the GPU's harvest staging
}

const CellParams* BatchInputs::records(std::size_t first, std::size_t n, std::vector<CellParams>& buffer) const {
  if (!pack) return cells.data() + first;
  buffer.resize(n);
  if (n > 0) pack(first, n, buffer.data());
  return buffer.data();
}

CellParams BatchInputs::record(std::size_t c) const {
  if (!pack) return cells[c];
  CellParams cell{};
  pack(c, 1, &cell);
  return cell;
}

int BatchInputs::max_protocol_steps() const {
  if (!protocol_count.empty()) return *std::max_element(protocol_count.begin(), protocol_count.end());
  return static_cast<int>(run.steps.size());
}

bool BatchInputs::any_thermal() const {
  if (pack) return packed_thermal;
  return std::any_of(cells.begin(), cells.end(), [](const CellParams& c) { return c.thermal != 0; });
}

namespace detail {

//! Cell c's protocol (empty view: constant current).
ProtocolView protocol_of(const BatchInputs& in, std::size_t c) {
  if (!in.protocol_first.empty())
    return ProtocolView{in.protocol_steps.data() + in.protocol_first[c], in.protocol_count[c],
                        in.protocol_tables.data(), in.run.experiment_end};
  if (!in.run.steps.empty())
    return ProtocolView{in.run.steps.data(), static_cast<int>(in.run.steps.size()), in.run.tables.data(),
                        in.run.experiment_end};
  return ProtocolView{};
}

void allocate(ChunkData& c, std::size_t first, std::size_t n, int n_steps) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  c.first = first;
  c.n = n;
  c.offset.assign(n, 0);
  c.count.assign(n, 0);
  c.status.assign(n, kStatusNotRun);
  c.message.assign(n, std::string());
  c.end_time.assign(n, nan);
  c.discharge_capacity.assign(n, nan);
  c.energy.assign(n, nan);
  c.mean_voltage.assign(n, nan);
  c.charge_capacity.assign(n, nan);
  c.discharge_energy.assign(n, nan);
  c.charge_energy.assign(n, nan);
  c.steps.assign(n, 0);
  c.device.assign(n, kRanNowhere);
  c.stats.assign(n, SolverStats{});
  c.n_steps = n_steps;
  const std::size_t per_step = n * static_cast<std::size_t>(n_steps);
  c.step_start.assign(per_step, nan);
  c.step_end.assign(per_step, nan);
  c.step_capacity.assign(per_step, nan);
  c.step_energy.assign(per_step, nan);
  for (auto* v : {&c.step_discharge_capacity, &c.step_charge_capacity, &c.step_discharge_energy, &c.step_charge_energy,
                  &c.step_end_code})
    v->assign(per_step, nan);
  c.step_inventory.assign(n_steps > 0 ? per_step * kInventoryFields : 0, nan);
  c.step_esoh.assign(n_steps > 0 ? per_step * kEsohFields : 0, nan);
  c.cell_summary.assign(n_steps > 0 ? n * kCellSummaryFields : 0, nan);
}

//! Concatenates the cells' series into the chunk's ragged arrays, in cell order.
void gather(ChunkData& c, std::vector<cuda_backend::CellSeries>& series, bool temperature) {
  std::size_t total = 0;
  for (std::size_t k = 0; k < c.n; ++k) {
    c.offset[k] = total;
    c.count[k] = series[k].time.size();
    total += c.count[k];
  }
  for (auto* v : {&c.time, &c.voltage, &c.current, &c.capacity}) v->reserve(total);
  if (temperature) c.temperature.reserve(total), c.step_index.reserve(total);
  for (std::size_t k = 0; k < c.n; ++k) {
    cuda_backend::CellSeries& s = series[k];
    c.time.insert(c.time.end(), s.time.begin(), s.time.end());
    c.voltage.insert(c.voltage.end(), s.voltage.begin(), s.voltage.end());
    c.current.insert(c.current.end(), s.current.begin(), s.current.end());
    c.capacity.insert(c.capacity.end(), s.capacity.begin(), s.capacity.end());
    if (temperature) {
      c.temperature.insert(c.temperature.end(), s.temperature.begin(), s.temperature.end());
      c.step_index.insert(c.step_index.end(), s.step_index.begin(), s.step_index.end());
    }
    s = cuda_backend::CellSeries{};  // free as we go
  }
}

//! The per-step summary sink of row k of a chunk (no per-output arrays).
GridSink summary_sink(ChunkData& c, std::size_t k) {
  GridSink s{nullptr, nullptr, nullptr, nullptr, 1, 0, nullptr};
  if (c.n_steps > 0) {
    const std::size_t srow = k * c.n_steps;
    s.step_start = &c.step_start[srow];
    s.step_end = &c.step_end[srow];
    s.step_capacity = &c.step_capacity[srow];
    s.step_energy = &c.step_energy[srow];
    s.step_discharge_capacity = &c.step_discharge_capacity[srow];
    s.step_charge_capacity = &c.step_charge_capacity[srow];
    s.step_discharge_energy = &c.step_discharge_energy[srow];
    s.step_charge_energy = &c.step_charge_energy[srow];
    s.step_end_code = &c.step_end_code[srow];
    s.step_capacity_max = c.n_steps;
    if (c.step_inventory.size() == c.n * c.n_steps * static_cast<std::size_t>(kInventoryFields)) {
      s.step_inventory = &c.step_inventory[srow];
      s.inventory_stride = static_cast<index_t>(c.n * c.n_steps);
    }
  }
  return s;
}

//! The step texts of cell c's protocol (null where the steps have none).
const std::string* step_texts(const BatchInputs& in, std::size_t c) {
  const bool per_cell = !in.protocol_first.empty();
  const std::size_t first = per_cell ? static_cast<std::size_t>(in.protocol_first[c]) : 0;
  const std::vector<std::string>& texts = per_cell ? in.protocol_text : in.run.step_text;
  const std::vector<StepSpec>& all = per_cell ? in.protocol_steps : in.run.steps;
  return texts.size() == all.size() && first < texts.size() ? texts.data() + first : nullptr;
}

//! The end message of cell c of a protocol cut short by a voltage cut-off (empty if not).
std::string cut_short(const BatchInputs& in, std::size_t c, const CellParams& cell, const CellRun& run) {
  if (!in.has_protocol()) return {};
  const ProtocolView pv = protocol_of(in, c);
  return cut_short_message(run.status, cell, pv.steps, pv.n_steps, step_texts(in, c), run.step, run.step_t0,
                           run.t_final);
}

void finish_message(ChunkData& c, std::size_t k, const BatchInputs& in, std::size_t cell, const CellParams& record,
                    const CellRun& run) {
  const ProtocolView pv = protocol_of(in, cell);
  const std::string* t = step_texts(in, cell);
  const StepSpec* steps = in.has_protocol() ? pv.steps : nullptr;
  // a solver failure says where: the time and, in a protocol, the step (an init failure
  // at t = 0 says why instead, below)
  if (run.status == CellStatus::newton_failure || run.status == CellStatus::error_test_failure ||
      run.status == CellStatus::nonphysical_state ||
      (run.status == CellStatus::init_failure && (run.step > 0 || run.t_final > 0.0)))
    c.message[k] += " " + failure_place(steps, pv.n_steps, t, run.step, run.t_final);
  if (run.status == CellStatus::init_failure) {
    const std::string why = diagnose_init_failure(record);  // name what caused it
    if (!why.empty()) c.message[k] += " (" + why + ")";
  }
  if (run.status == CellStatus::cutoff_at_start) {  // run.v, run.i_prev: the state at t = 0
    const std::string why = diagnose_cutoff_at_start(record, run.v_prev, run.i_prev);
    if (!why.empty()) c.message[k] += " (" + why + ")";
  }
  if (run.status == CellStatus::step_limit)  // name the budget, the protocol step and where the outputs stop
    c.message[k] += ": " + step_limit_message(in.run.solver.max_steps, steps, pv.n_steps, t, run.step, run.bdf.nst,
                                              run.total_steps(), run.t_final, pv.tables);
  if (run.status == CellStatus::time_limit)
    c.message[k] += ": " + format("%.6g", in.run.solver.max_wall_time) + " s, at t = " + format("%.6g", run.t_final) + " s";
  if (run.status == CellStatus::experiment_end && steps)
    c.message[k] = experiment_end_message(in.run.experiment_end, steps, pv.n_steps, run.step, run.cycle_v_min,
                                          run.cycle_capacity, run.cycle_capacity0, run.t_final);
  const std::string cut = cut_short(in, cell, record, run);
  if (!cut.empty()) c.message[k] = cut;
}

//! Per-cell summary from the integrator's final scalars, for both backends. A failed
//! cell (cell_status_failed) keeps its end time (where it stopped) and solver steps;
//! its capacities, energies and mean voltage stay NaN. The steps it completed keep their
//! records, as a Simulation of the cell shows them (the cycle sums count them); the step
//! it failed in has none (NaN), and the cycle it failed in has no lithium inventory (its
//! summary variables are of a cycle's end). (Until session 18 the completed steps of that
//! cycle were NaN too, unlike a Simulation's.)
void summarise(ChunkData& c, std::size_t k, const CellRun& run, const std::string& pre_message,
               const ProtocolView& proto) {
  c.status[k] = static_cast<int>(run.status);
  c.message[k] = pre_message.empty() ? cell_status_message(run.status) : pre_message;
  if (run.status == CellStatus::invalid_input) return;
  c.end_time[k] = run.t_final;
  const BdfScalars& b = run.bdf;
  c.stats[k] = SolverStats{run.done_nst + b.nst,  run.done_nre + b.nre,   run.done_nsetups + b.nsetups,
                           run.done_nni + b.nni,  run.done_netf + b.netf, run.done_ncfn + b.ncfn};
  if (cell_status_failed(run.status)) {
    c.steps[k] = run.total_steps();
    if (run.step < 0 || run.step >= proto.n_steps) return;
    const int cycle = proto.steps[run.step].cycle;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (int q = 0; q < c.n_steps && q < proto.n_steps; ++q) {
      if (proto.steps[q].cycle != cycle) continue;
      const std::size_t i = k * static_cast<std::size_t>(c.n_steps) + static_cast<std::size_t>(q);
      if (q >= run.step) {  // the failed step (a partial record, if any) and those after it
        c.step_start[i] = c.step_end[i] = c.step_capacity[i] = c.step_energy[i] = nan;
        c.step_discharge_capacity[i] = c.step_charge_capacity[i] = nan;
        c.step_discharge_energy[i] = c.step_charge_energy[i] = c.step_end_code[i] = nan;
      }
      if (c.step_inventory.size() == c.n * static_cast<std::size_t>(c.n_steps) * kInventoryFields)
        for (int f = 0; f < kInventoryFields; ++f)
          c.step_inventory[static_cast<std::size_t>(f) * c.n * static_cast<std::size_t>(c.n_steps) + i] = nan;
    }
    return;
  }
  c.discharge_capacity[k] = run.dis_q;
  c.charge_capacity[k] = run.chg_q;
  c.discharge_energy[k] = run.dis_e;
  c.charge_energy[k] = run.chg_e;
  c.energy[k] = run.energy_wh;
  c.mean_voltage[k] = run.mean_voltage();
  c.steps[k] = run.total_steps();
}

void summarise_inventory(ChunkData& c, std::size_t k, const CellParams& cell, const Layout& l,
                         const ProtocolView& proto) {
  const std::size_t ns = c.n_steps > 0 ? static_cast<std::size_t>(c.n_steps) : 0;
  if (ns == 0 || c.cell_summary.size() != c.n * kCellSummaryFields || c.status[k] == kStatusNotRun ||
      c.status[k] == static_cast<int>(CellStatus::invalid_input))
    return;
  cell_summary_inputs(cell, l, &c.cell_summary[k * kCellSummaryFields]);
  const std::size_t plane = c.n * ns;
  for (std::size_t s = 0; s < ns; ++s) {
    const std::size_t i = k * ns + s;
    if (std::isnan(c.step_end[i])) continue;
    const bool next_reached = s + 1 < ns && !std::isnan(c.step_end[i + 1]);
    const bool same_cycle = s + 1 < static_cast<std::size_t>(proto.n_steps) && proto.steps[s + 1].cycle == proto.steps[s].cycle;
    if (next_reached && same_cycle) continue;  // not the cycle's last state
    double inv[kInventoryFields], es[kEsohFields];
    for (int f = 0; f < kInventoryFields; ++f) inv[f] = c.step_inventory[f * plane + i];
    esoh_fields(cell, inv, es);
    for (int f = 0; f < kEsohFields; ++f) c.step_esoh[f * plane + i] = es[f];
  }
}

}  // namespace detail

namespace {
using namespace detail;

class ProgressClock {
 public:
  ProgressClock(const BatchOptions& o, std::size_t total) : opt_(o), total_(total), start_(now()) {}
  double elapsed() const { return std::chrono::duration<double>(now() - start_).count(); }
  //! Report `done`; rate-limited to about 4 per second unless `force`.
  void report(std::size_t done, bool force) {
    if (!opt_.progress) return;
    std::lock_guard<std::mutex> lock(mutex_);
    const double t = elapsed();
    if (!force && t - last_ < 0.25) return;
    last_ = t;
    opt_.progress(Progress{done, total_, t});
  }

 private:
  static std::chrono::steady_clock::time_point now() { return std::chrono::steady_clock::now(); }
  const BatchOptions& opt_;
  std::size_t total_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  double last_ = -1.0;
};

void run_chunk_cpu(const BatchInputs& in, int threads, ChunkData& c, std::atomic<std::size_t>& done,
                   ProgressClock& clock, const std::atomic<bool>* cancel, const std::atomic<bool>* stop_cells,
                   CellProgress* cell_progress) {
  const Layout l = Layout::make(in.run.mesh, in.run.model);
  const OutputSpec out = output_spec(in.run);
  const bool temperature = in.detail || in.any_thermal() || in.has_protocol();
  std::vector<cuda_backend::CellSeries> series(c.n);
  // BatchInputs::detail: states, step records and the output limit (as a single run's)
  std::vector<std::vector<double>> states(in.detail && in.run.store_states ? c.n : 0);
  std::size_t max_rows = static_cast<std::size_t>(-1);
  if (in.detail) {
    c.n_records = std::max(in.max_protocol_steps(), 1);  // a constant-current run is one step
    const double nan = std::numeric_limits<double>::quiet_NaN();
    c.step_records.assign(c.n * static_cast<std::size_t>(c.n_records),
                          StepRecord{-1, nan, nan, nan, nan, StepEnd::failure});
    const double row_bytes = kOutputRowBytes + (states.empty() ? 0.0 : static_cast<double>(l.n_state) * sizeof(double));
    max_rows = static_cast<std::size_t>(std::min(max_output_bytes() / row_bytes, 1e15));
  }
  const std::size_t ws_size = static_cast<std::size_t>(cell_workspace_size(l));
  const long long n = static_cast<long long>(c.n);
  std::vector<CellParams> packed;  // a packed batch: this chunk's records only
  const CellParams* cells = in.records(c.first, c.n, packed);
  std::exception_ptr error;
  std::mutex error_mutex;
#pragma omp parallel num_threads(threads) if (threads > 1)  // a batch of one (simulate): no team to start
  {
    std::vector<double> ws(ws_size);  // one workspace per thread, reused for its cells
#pragma omp for schedule(dynamic, 1)
    for (long long k = 0; k < n; ++k) {
      try {
        if (is_cancelled(cancel)) continue;  // left as not run
        const std::size_t cell = c.first + static_cast<std::size_t>(k);
        CellRun run{};
        bool sink_overflow = false;
        double overflow_at = 0.0;
        if (in.pre_status[cell] != CellStatus::running) {
          run.status = in.pre_status[cell];
        } else {
          const auto cell_t0 = std::chrono::steady_clock::now();
          OutputSpec cell_out = out;
          cell_out.t_end = in.t_end_of(cell);
          SeriesSink sink{series[static_cast<std::size_t>(k)], temperature,
                          summary_sink(c, static_cast<std::size_t>(k))};
          if (in.detail) {
            if (!states.empty()) sink.states = &states[static_cast<std::size_t>(k)], sink.n_state = l.n_state;
            sink.records = &c.step_records[static_cast<std::size_t>(k) * static_cast<std::size_t>(c.n_records)];
            sink.n_records = c.n_records;
            sink.max_rows = max_rows;
          }
          CellSolver<SeriesSink, CView> cs{cells[k], l, in.run.solver, cell_out, CView{ws.data()}, run, sink};
          cs.proto = protocol_of(in, cell);
          if (cs.init() == CellStatus::running) advance_within_budget(cs, in.run.solver, cell_t0, stop_cells, cell_progress);
          if (sink.overflow) {  // every-step output past the limit: the outputs stop there
            run.status = CellStatus::output_overflow;
            sink_overflow = true;
            overflow_at = sink.s.time.empty() ? 0.0 : sink.s.time.back();
          }
          c.device[static_cast<std::size_t>(k)] = kRanOnCpu;
        }
        summarise(c, static_cast<std::size_t>(k), run, in.pre_message[cell], protocol_of(in, cell));
        summarise_inventory(c, static_cast<std::size_t>(k), cells[k], l, protocol_of(in, cell));
        if (sink_overflow) c.end_time[static_cast<std::size_t>(k)] = overflow_at;  // where the outputs stop
        if (in.pre_message[cell].empty()) {
          if (sink_overflow)
            c.message[static_cast<std::size_t>(k)] +=
                ": more outputs than the limit of " + format("%.6g", max_output_bytes()) +
                " bytes (IONFLUX_MAX_OUTPUT_BYTES); the outputs stop at t = " + format("%.6g", overflow_at) +
                " s (an output at every solver step; give an output period for fewer: period= in Python, --period, "
                "\"period\" in a sweep config)";
          finish_message(c, static_cast<std::size_t>(k), in, cell, cells[k], run);
        }
        clock.report(done.fetch_add(1) + 1, false);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
  gather(c, series, temperature);
  for (std::vector<double>& s : states) {  // in cell order, as the series
    if (c.states.empty()) c.states.swap(s);  // a single run's ~n_state x 8 bytes per output: not copied
    else c.states.insert(c.states.end(), s.begin(), s.end());
    std::vector<double>().swap(s);
  }
}

}  // namespace

void count_cell(BatchSummary& s, std::size_t cell, int status, const std::string& message, const double* end_code,
                const double* t_start, const double* t_end, std::size_t ns) {
  if (status >= 0) {
    if (s.count_by_status.size() <= static_cast<std::size_t>(status)) s.count_by_status.resize(status + 1);
    ++s.count_by_status[static_cast<std::size_t>(status)];
  }
  if (status == kStatusNotRun) ++s.not_run;
  s.protocol_cut_short += message.find(kCutShortMark) != std::string::npos;
  bool skipped = false;
  for (std::size_t j = 0; j < ns && !skipped; ++j) {
    const double code = end_code[j];
    skipped = code == code && step_skipped(static_cast<StepEnd>(static_cast<int>(code)), t_start[j], t_end[j]);
  }
  if (skipped && s.cells_with_skipped_steps++ == 0) s.first_skipping_cell = cell;
}

BatchSummary run_batch(const BatchInputs& in_arg, const BatchOptions& opt, ChunkSink* sink) {
  const auto start = std::chrono::steady_clock::now();
  const BatchInputs& in = in_arg;
  const std::size_t n = in.size();
  if (in.pre_status.size() != n || in.pre_message.size() != n)
    throw InputError("batch inputs: pre_status and pre_message must have one entry per cell");
  validate_run_options(in.run);
  if (!(in.run.t_end > 0.0)) throw InputError("batch inputs: t_end must be positive");
  if (!in.t_end.empty()) {
    if (in.t_end.size() != n) throw InputError("batch inputs: t_end must be empty or have one entry per cell");
    for (double t : in.t_end)
      if (!(t > 0.0) || !std::isfinite(t)) throw InputError("batch inputs: every cell's t_end must be positive");
  }
  check_batch_output_size(in);

  BatchSummary summary;
  Device dev = opt.device;
  if (dev == Device::cuda && in.detail)
    throw InputError("device 'cuda' requested for a run that keeps a single cell's details (step records, "
                     "states): those are recorded by the CPU threads; use device 'cpu' or 'auto'");
  if (dev == Device::cuda && !cuda_available())
    throw InputError("device 'cuda' requested but not usable: " + cuda_device_description());
  if (dev == Device::automatic) dev = cuda_available() && !in.detail ? Device::cuda : Device::cpu;
  summary.device_used = dev;
  summary.bytes_per_cell = bytes_per_cell(in);

  int threads = opt.threads;
#ifdef _OPENMP
  if (threads <= 0) threads = omp_get_max_threads();
#else
  threads = 1;
#endif
  if (threads < 1) threads = 1;
  if (dev == Device::cuda) {
    summary.device_description = cuda_device_description();
    if (opt.gpu_handoff_cells != 0 || opt.gpu_cpu_threads > 0 ||
        (opt.gpu_cpu_threads < 0 && opt.device == Device::automatic && threads > 1))  // the CPU threads help
      summary.device_description += " + CPU, " + std::to_string(threads) + " thread" + (threads > 1 ? "s" : "");
  } else {
    summary.device_description = "CPU, " + std::to_string(threads) + " thread" + (threads > 1 ? "s" : "");
  }

  // Chunk size from the memory budget: on the GPU it is the number of device slots
  // (cells resident at once); on the CPU only the outputs are (workspaces are per thread).
  std::size_t budget = opt.memory_budget;
  std::size_t per_cell = summary.bytes_per_cell;
  if (dev == Device::cuda) {
    if (budget == 0)
      budget = g_emulated_device ? std::size_t(1) << 30
                                 : static_cast<std::size_t>(0.8 * static_cast<double>(cuda_backend::free_memory()));
  } else {
    if (budget == 0) budget = std::size_t(1) << 30;
    const double rows = grid_output_rows(in.run, in.run.t_end, in.max_protocol_steps());
    per_cell = static_cast<std::size_t>(kOutputRowBytes * (rows < 0.0 ? 1000.0 : rows)) + 64;
  }
  std::size_t chunk = std::max<std::size_t>(1, budget / per_cell);
  // On the CPU also bound the chunk so that finished work reaches the sink every few
  // seconds (a sweep that dies keeps every finished chunk).
  if (dev == Device::cpu) chunk = std::min<std::size_t>(chunk, 2048);
  if (opt.max_chunk_cells > 0) chunk = std::min(chunk, opt.max_chunk_cells);
  chunk = std::min(chunk, std::max<std::size_t>(n, 1));

  ProgressClock clock(opt, n);
  std::atomic<std::size_t> done{0};
  clock.report(0, true);
  auto write = [&](ChunkData& c) {
    std::size_t ns = static_cast<std::size_t>(std::max(c.n_steps, 0));
    const std::size_t cells = c.status.size();
    if (c.step_end_code.size() < cells * ns || c.step_start.size() < cells * ns || c.step_end.size() < cells * ns)
      ns = 0;
    static const std::string no_message;
    for (std::size_t k = 0; k < cells; ++k)
      count_cell(summary, c.first + k, c.status[k], k < c.message.size() ? c.message[k] : no_message,
                 ns ? &c.step_end_code[k * ns] : nullptr,
                 ns ? &c.step_start[k * ns] : nullptr, ns ? &c.step_end[k * ns] : nullptr, ns);
    if (sink) sink->take_chunk(std::move(c));  // (c is not used again)
    ++summary.chunks;
    clock.report(done.load(), true);
  };
  if (dev == Device::cuda) {
    // GPU: the budget's `slots` cells are resident at once; cells stream through those
    // slots across chunk boundaries and the CPU threads finish the last few
    // (solver/backends/gpu_stream.cpp); chunks of at most `chunk` cells are written in order.
    gpu_stream::StreamConfig cfg;
    cfg.slots = std::min(std::max<std::size_t>(1, budget / per_cell), std::max<std::size_t>(n, 1));
    cfg.chunk = chunk;
    cfg.steps_per_launch = std::max(opt.steps_per_launch, 1);
    cfg.threads = threads;
    if (opt.gpu_handoff_cells > 0) cfg.handoff_below = static_cast<std::size_t>(opt.gpu_handoff_cells);
    else if (opt.gpu_handoff_cells < 0)
      cfg.handoff_below = std::min(static_cast<std::size_t>(kHandoffCellsPerThread) * static_cast<std::size_t>(threads),
                                   std::min(cfg.slots, n) / 4);
    cfg.cpu_workers = opt.gpu_cpu_threads >= 0 ? std::min(opt.gpu_cpu_threads, threads)
                      : opt.device == Device::automatic ? threads - 1
                                                        : 0;
    cfg.cancel = opt.cancel;
    cfg.write = write;
    cfg.cell_done = [&]() { clock.report(done.fetch_add(1) + 1, false); };
    const gpu_stream::StreamStats st = gpu_stream::run_streamed(
        in, cfg, g_emulated_device ? &gpu_stream::make_emulated_engine : &cuda_backend::make_engine);
    summary.not_run += n - st.cells_opened;  // cells of chunks a cancellation kept from starting
    summary.handed_to_cpu = st.handed_to_cpu;
    summary.taken_by_cpu = st.cells_on_cpu;
    summary.device_slots = st.slots;
    summary.slot_refills = st.slot_refills;
    summary.cells_loaded_ahead = st.cells_loaded_ahead;
    summary.launches = st.launches;
  } else {
    for (std::size_t first = 0; first < n; first += chunk) {
      if (is_cancelled(opt.cancel)) {
        summary.not_run += n - first;
        break;
      }
      ChunkData c;
      allocate(c, first, std::min(chunk, n - first), in.max_protocol_steps());
      run_chunk_cpu(in, threads, c, done, clock, opt.cancel, opt.stop_cells, opt.cell_progress);
      write(c);
    }
  }
  summary.cancelled = is_cancelled(opt.cancel);
  summary.wall_time = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace ionflux
