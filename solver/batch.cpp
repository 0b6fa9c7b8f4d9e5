#include "batch.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>

#include "../kernels/model/cell_solver.hpp"
#include "backend_cuda.hpp"
#include "errors.hpp"

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

bool cuda_available() { return cuda_backend::available(); }
std::string cuda_device_description() { return cuda_backend::describe(); }

int output_columns(const RunOptions& run) {
  if (!run.t_eval.empty()) return static_cast<int>(run.t_eval.size()) + 2;
  const double period = run.period > 0.0 ? run.period : run.t_end / 200.0;
  const double cols = std::floor(run.t_end / period) + 2.0;
  if (!(cols < 1e8)) throw InputError("too many output times per cell: period is too small for t_end");
  return static_cast<int>(cols);
}

std::size_t bytes_per_cell(const BatchInputs& in) {
  const Layout l = Layout::make(in.run.mesh);
  return static_cast<std::size_t>(cell_workspace_size(l)) * sizeof(double) + sizeof(CellParams) + sizeof(CellRun) +
         4 * sizeof(double) * static_cast<std::size_t>(in.n_times > 0 ? in.n_times : output_columns(in.run)) + 1;
}

namespace {

OutputSpec output_spec(const RunOptions& run) {
  OutputSpec out;
  out.t_end = run.t_end;
  if (!run.t_eval.empty()) {
    out.times = run.t_eval.data();
    out.n_times = static_cast<int>(run.t_eval.size());
  } else {
    out.period = run.period > 0.0 ? run.period : run.t_end / 200.0;
  }
  return out;
}

void allocate(ChunkData& c, std::size_t first, std::size_t n, int n_times) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  c.first = first;
  c.n = n;
  c.n_times = n_times;
  const std::size_t cells = n * static_cast<std::size_t>(n_times);
  c.time.assign(cells, nan);
  c.voltage.assign(cells, nan);
  c.current.assign(cells, nan);
  c.capacity.assign(cells, nan);
  c.status.assign(n, kStatusNotRun);
  c.message.assign(n, std::string());
  c.end_time.assign(n, nan);
  c.discharge_capacity.assign(n, nan);
  c.energy.assign(n, nan);
  c.mean_voltage.assign(n, nan);
  c.steps.assign(n, 0);
}

//! Per-cell summary from the integrator's final scalars.
void summarise(ChunkData& c, std::size_t k, const CellRun& run, const std::string& pre_message) {
  c.status[k] = static_cast<int>(run.status);
  c.message[k] = pre_message.empty() ? cell_status_message(run.status) : pre_message;
  if (run.status == CellStatus::invalid_input) return;
  c.end_time[k] = run.t_final;
  c.discharge_capacity[k] = run.capacity_ah;
  c.energy[k] = run.energy_wh;
  c.mean_voltage[k] = run.capacity_ah != 0.0 ? run.energy_wh / run.capacity_ah : run.v;
  c.steps[k] = run.bdf.nst;
}

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

bool is_cancelled(const std::atomic<bool>* cancel) { return cancel && cancel->load(std::memory_order_relaxed); }

void run_chunk_cpu(const BatchInputs& in, int threads, ChunkData& c, std::atomic<std::size_t>& done,
                   ProgressClock& clock, const std::atomic<bool>* cancel) {
  const Layout l = Layout::make(in.run.mesh);
  const OutputSpec out = output_spec(in.run);
  const std::size_t ws_size = static_cast<std::size_t>(cell_workspace_size(l));
  const long long n = static_cast<long long>(c.n);
  std::exception_ptr error;
  std::mutex error_mutex;
#pragma omp parallel num_threads(threads)
  {
    std::vector<double> ws(ws_size);  // one workspace per thread, reused for its cells
#pragma omp for schedule(dynamic, 1)
    for (long long k = 0; k < n; ++k) {
      try {
        if (is_cancelled(cancel)) continue;  // left as not run
        const std::size_t cell = c.first + static_cast<std::size_t>(k);
        CellRun run{};
        if (in.pre_status[cell] != CellStatus::running) {
          run.status = in.pre_status[cell];
        } else {
          const std::size_t row = static_cast<std::size_t>(k) * c.n_times;
          GridSink sink{&c.time[row], &c.voltage[row], &c.current[row], &c.capacity[row], 1, c.n_times, &run.n_out};
          CellSolver<GridSink, CView> cs{in.cells[cell], l, in.run.solver, out, CView{ws.data()}, run, sink};
          if (cs.init() == CellStatus::running) cs.advance(in.run.solver.max_steps + 1);
        }
        summarise(c, static_cast<std::size_t>(k), run, in.pre_message[cell]);
        clock.report(done.fetch_add(1) + 1, false);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
}

void run_chunk_cuda(const BatchInputs& in, int steps_per_launch, ChunkData& c, std::atomic<std::size_t>& done,
                    ProgressClock& clock, const std::atomic<bool>* cancel) {
  cuda_backend::ChunkJob job;
  job.cells = in.cells.data() + c.first;
  std::vector<unsigned char> skip(c.n);
  for (std::size_t k = 0; k < c.n; ++k) skip[k] = in.pre_status[c.first + k] != CellStatus::running;
  job.skip = skip.data();
  job.n = c.n;
  job.layout = Layout::make(in.run.mesh);
  job.solver = in.run.solver;
  job.out = output_spec(in.run);
  job.n_times = c.n_times;
  job.steps_per_launch = steps_per_launch;
  const std::size_t before = done.load();
  job.progress = [&](std::size_t finished) { clock.report(before + finished, false); };
  job.cancel = cancel;
  job.time = c.time.data();
  job.voltage = c.voltage.data();
  job.current = c.current.data();
  job.capacity = c.capacity.data();
  std::vector<CellRun> runs(c.n);
  job.runs = runs.data();
  cuda_backend::run_chunk(job);
  for (std::size_t k = 0; k < c.n; ++k) {
    if (skip[k]) runs[k].status = in.pre_status[c.first + k];
    if (runs[k].status == CellStatus::running) {  // stopped by a cancellation: not run
      for (int q = 0; q < c.n_times; ++q) {
        const std::size_t i = k * c.n_times + q;
        c.time[i] = c.voltage[i] = c.current[i] = c.capacity[i] = std::numeric_limits<double>::quiet_NaN();
      }
      continue;
    }
    summarise(c, k, runs[k], in.pre_message[c.first + k]);
    ++done;
  }
}

}  // namespace

BatchSummary run_batch(const BatchInputs& in_arg, const BatchOptions& opt, ChunkSink* sink) {
  const auto start = std::chrono::steady_clock::now();
  BatchInputs in = in_arg;  // shallow needs: n_times filled in
  const std::size_t n = in.cells.size();
  if (in.pre_status.size() != n || in.pre_message.size() != n)
    throw InputError("batch inputs: pre_status and pre_message must have one entry per cell");
  validate_run_options(in.run);
  if (!(in.run.t_end > 0.0)) throw InputError("batch inputs: t_end must be positive");
  if (in.n_times <= 0) in.n_times = output_columns(in.run);

  BatchSummary summary;
  Device dev = opt.device;
  if (dev == Device::cuda && !cuda_available())
    throw InputError("device 'cuda' requested but not usable: " + cuda_device_description());
  if (dev == Device::automatic) dev = cuda_available() ? Device::cuda : Device::cpu;
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
  } else {
    summary.device_description = "CPU, " + std::to_string(threads) + " thread" + (threads > 1 ? "s" : "");
  }

  // Chunk size from the memory budget: on the GPU every cell of a chunk is resident;
  // on the CPU only the outputs are (workspaces are per thread).
  std::size_t budget = opt.memory_budget;
  std::size_t per_cell = summary.bytes_per_cell;
  if (dev == Device::cuda) {
    if (budget == 0) budget = static_cast<std::size_t>(0.8 * static_cast<double>(cuda_backend::free_memory()));
  } else {
    if (budget == 0) budget = std::size_t(1) << 30;
    per_cell = 4 * sizeof(double) * static_cast<std::size_t>(in.n_times) + 64;
  }
  std::size_t chunk = std::max<std::size_t>(1, budget / per_cell);
  // On the CPU also bound the chunk so that finished work reaches the sink every few
  // seconds (a sweep that dies keeps every finished chunk).
  if (dev == Device::cpu) chunk = std::min<std::size_t>(chunk, 2048);
  if (opt.max_chunk_cells > 0) chunk = std::min(chunk, opt.max_chunk_cells);
  chunk = std::min(chunk, std::max<std::size_t>(n, 1));

  summary.count_by_status.assign(64, 0);
  ProgressClock clock(opt, n);
  std::atomic<std::size_t> done{0};
  clock.report(0, true);
  for (std::size_t first = 0; first < n; first += chunk) {
    if (is_cancelled(opt.cancel)) {
      summary.not_run += n - first;
      break;
    }
    ChunkData c;
    allocate(c, first, std::min(chunk, n - first), in.n_times);
    if (dev == Device::cuda) run_chunk_cuda(in, opt.steps_per_launch, c, done, clock, opt.cancel);
    else run_chunk_cpu(in, threads, c, done, clock, opt.cancel);
    for (int s : c.status) {
      if (s >= 0 && static_cast<std::size_t>(s) < summary.count_by_status.size()) ++summary.count_by_status[s];
      if (s == kStatusNotRun) ++summary.not_run;
    }
    if (sink) sink->write_chunk(c);
    ++summary.chunks;
    clock.report(done.load(), true);
  }
  summary.cancelled = is_cancelled(opt.cancel);
  summary.wall_time = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace ionflux
