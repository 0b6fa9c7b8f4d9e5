// The CUDA device engine of the streaming executor (solver/backends/gpu_stream.hpp, docs/gpu.md):
// the host side of the CUDA backend. It owns the device memory (slots, staging), the
// pinned host buffers, the streams and events, and enqueues the kernels through their
// thin launchers (kernels/backend/cuda_launcher.hpp; the device code is in
// kernels/backend/cuda_launcher.cu). A warp of 32 threads per cell by default;
// IONFLUX_GPU_TEAM=1 runs one thread per cell instead (gpu_stream::team_width).
// Everything is enqueued on one compute stream, with no device-wide synchronisation:
// a launch advances the active slots, then a harvest kernel packs the outputs each
// slot made since the last harvest (and the final records of the cells that stopped)
// into one of two staging buffers and compacts the active list on the device; a small
// header (counts: rows, records, finished cells) comes back by an async copy, after
// which a second (copy) stream brings exactly the packed bytes into pinned host
// memory while the compute stream runs the next launch. Every CUDA call and launch is
// checked and turned into a RuntimeError (never an abort).
#include <cuda_runtime.h>
#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kernels/backend/cuda_launcher.hpp"
#include "solver/backends/backend_cuda.hpp"
#include "solver/util/errors.hpp"

#define IONFLUX_CUDA_CHECK(call)                                                                              \
  do {                                                                                                        \
    const cudaError_t err_ = (call);                                                                          \
    if (err_ != cudaSuccess)                                                                                  \
      throw ::ionflux::RuntimeError(std::string("CUDA error in ") + #call + ": " + cudaGetErrorString(err_)); \
  } while (0)

namespace ionflux {
namespace cuda_backend {
namespace {

using cuda_launch::HarvestHeader;
using cuda_launch::HarvestRecord;
using cuda_launch::kTeamWidth;
using cuda_launch::Staging;

template <class T>
struct DeviceBuffer {
  T* p = nullptr;
  explicit DeviceBuffer(std::size_t count) {
    gpu_stream::check_device_alloc(count * sizeof(T) + 1, "device memory");
    const cudaError_t err = cudaMalloc(&p, count * sizeof(T) + 1);
    if (err == cudaErrorMemoryAllocation) {  // not sticky: cleared, and the executor retries with fewer slots
      cudaGetLastError();
      throw gpu_stream::DeviceOutOfMemory("out of device memory allocating " + std::to_string(count * sizeof(T) + 1) +
                                          " bytes (cudaMalloc: " + cudaGetErrorString(err) + ")");
    }
    IONFLUX_CUDA_CHECK(err);
  }
  ~DeviceBuffer() { cudaFree(p); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

}  // namespace

bool available() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
}

std::string describe() {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0)
    return std::string("no CUDA device (") + (e != cudaSuccess ? cudaGetErrorString(e) : "none found") + ")";
  int dev = 0;
  cudaGetDevice(&dev);
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, dev);
  char buf[320];
  std::snprintf(buf, sizeof buf, "%s (sm_%d%d, %.1f GiB)", prop.name, prop.major, prop.minor,
                prop.totalGlobalMem / 1073741824.0);
  return buf;
}

std::size_t free_memory() {
  if (!available()) return 0;
  std::size_t free_b = 0, total = 0;
  if (cudaMemGetInfo(&free_b, &total) != cudaSuccess) return 0;
  return free_b;
}

namespace {

//! Page-locked host memory (async copies land here).
template <class T>
struct PinnedBuffer {
  T* p = nullptr;
  explicit PinnedBuffer(std::size_t count) {
    gpu_stream::check_device_alloc(count * sizeof(T) + 1, "pinned host memory");
    const cudaError_t err = cudaMallocHost(&p, count * sizeof(T) + 1);
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      throw gpu_stream::DeviceOutOfMemory("out of pinned host memory allocating " +
                                          std::to_string(count * sizeof(T) + 1) + " bytes (cudaMallocHost: " +
                                          cudaGetErrorString(err) + ")");
    }
    IONFLUX_CUDA_CHECK(err);
  }
  ~PinnedBuffer() { cudaFreeHost(p); }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
};

template <class T>
using DevicePtr = std::unique_ptr<DeviceBuffer<T>>;
template <class T>
DevicePtr<T> device(std::size_t count) {
  return std::make_unique<DeviceBuffer<T>>(count);
}
template <class T>
using PinnedPtr = std::unique_ptr<PinnedBuffer<T>>;
template <class T>
PinnedPtr<T> pinned(std::size_t count) {
  return std::make_unique<PinnedBuffer<T>>(count);
}

//! Device copies of the user functions (tables and expressions) the cells refer to:
//! each distinct record and its table are uploaded once; repoint() makes a cell's
//! FunctionRefs point at the device records.
struct DeviceUserFunctions {
  std::map<const UserFunction*, const UserFunction*> device_of;
  DevicePtr<double> data;
  DevicePtr<UserFunction> records;
  void repoint(CellParams& cell) const {
    if (device_of.empty()) return;
    for_each_function(cell, [&](FunctionRef& f) {
      if (f.id == FunctionId::user && f.user) f.user = device_of.at(f.user);
    });
  }
};

void upload_user_functions(const gpu_stream::EngineSetup& es, DeviceUserFunctions& r) {
  std::map<const UserFunction*, std::size_t> index;
  std::vector<UserFunction> recs;
  std::vector<std::size_t> offset;
  std::size_t total = 0;
  auto scan = [&](const CellParams& cell) {
    for_each_function(cell, [&](const FunctionRef& f) {
      if (f.id != FunctionId::user || !f.user || index.count(f.user)) return;
      index[f.user] = recs.size();
      recs.push_back(*f.user);
      offset.push_back(total);
      total += 3 * static_cast<std::size_t>(f.user->table.n);
    });
  };
  if (es.cells) {
    for (std::size_t c = 0; c < es.n_cells; ++c) scan(es.cells[c]);
  } else {  // a packed batch: its records a block at a time (the functions they point to outlive them)
    std::vector<CellParams> block(std::min<std::size_t>(es.n_cells, 4096));
    for (std::size_t first = 0; first < es.n_cells; first += block.size()) {
      const std::size_t m = std::min(block.size(), es.n_cells - first);
      es.pack(first, m, block.data());
      for (std::size_t k = 0; k < m; ++k) scan(block[k]);
    }
  }
  if (recs.empty()) return;
  std::vector<double> host(total > 0 ? total : 1);
  for (std::size_t k = 0; k < recs.size(); ++k)
    if (recs[k].table.n > 0)
      std::copy(recs[k].table.data, recs[k].table.data + 3 * recs[k].table.n, host.begin() + offset[k]);
  r.data = device<double>(host.size());
  IONFLUX_CUDA_CHECK(cudaMemcpy(r.data->p, host.data(), host.size() * sizeof(double), cudaMemcpyHostToDevice));
  for (std::size_t k = 0; k < recs.size(); ++k)
    recs[k].table.data = recs[k].table.n > 0 ? r.data->p + offset[k] : nullptr;
  r.records = device<UserFunction>(recs.size());
  IONFLUX_CUDA_CHECK(
      cudaMemcpy(r.records->p, recs.data(), recs.size() * sizeof(UserFunction), cudaMemcpyHostToDevice));
  for (const auto& kv : index) r.device_of[kv.first] = r.records->p + kv.second;
}

//! The device engine: slots in device memory, one compute stream (launches, harvests,
//! loads) and one copy stream (harvested bytes into pinned host memory), events
//! between them; reports are built from two pinned buffers used alternately, so the
//! host reads one launch's report while the device computes the next launch.
class CudaEngine : public gpu_stream::DeviceEngine {
 public:
  explicit CudaEngine(const gpu_stream::EngineSetup& es) : es_(es) {
    const std::size_t S = es.slots;
    const std::size_t ns = static_cast<std::size_t>(es.n_sums);
    wsz_ = static_cast<std::size_t>(cell_workspace_size(es.layout));
    capacity_ = gpu_stream::staging_rows(es);
    IONFLUX_CUDA_CHECK(cudaStreamCreateWithFlags(&compute_, cudaStreamNonBlocking));
    IONFLUX_CUDA_CHECK(cudaStreamCreateWithFlags(&copy_, cudaStreamNonBlocking));
    for (int b = 0; b < 2; ++b) {
      IONFLUX_CUDA_CHECK(cudaEventCreateWithFlags(&packed_[b], cudaEventDisableTiming));
      IONFLUX_CUDA_CHECK(cudaEventCreateWithFlags(&copied_[b], cudaEventDisableTiming));
    }
    IONFLUX_CUDA_CHECK(cudaEventCreateWithFlags(&loaded_, cudaEventDisableTiming));
    try {  // out of memory below: the streams and events go too (the executor retries with fewer slots)
    upload_user_functions(es, user_);
    // the slots
    params_ = device<CellParams>(S);
    t_end_ = device<double>(S);
    first_ = device<int>(S);
    count_ = device<int>(S);
    team_ = gpu_stream::team_width();
    ws_ = device<double>(gpu_stream::workspace_doubles(es.layout, S, team_));
    runs_ = device<CellRun>(S);
    drained_ = device<int>(S);
    out_ = device<double>(S * kSlotOutputArrays * static_cast<std::size_t>(es.n_times));
    sums_ = device<double>(S * kSlotSummaryArrays * ns);
    for (int b = 0; b < 2; ++b) active_[b] = device<int>(S);
    n_active_ = device<int>(2);
    IONFLUX_CUDA_CHECK(cudaMemsetAsync(n_active_->p, 0, 2 * sizeof(int), compute_));
    // shared inputs
    OutputSpec out = es.out;
    if (out.times) {
      times_ = device<double>(static_cast<std::size_t>(out.n_times));
      IONFLUX_CUDA_CHECK(cudaMemcpy(times_->p, out.times, out.n_times * sizeof(double), cudaMemcpyHostToDevice));
      out.times = times_->p;
    }
    if (es.steps) {
      steps_ = device<StepSpec>(es.n_steps_total);
      IONFLUX_CUDA_CHECK(
          cudaMemcpy(steps_->p, es.steps, es.n_steps_total * sizeof(StepSpec), cudaMemcpyHostToDevice));
      tables_ = device<double>(es.n_tables);
      if (es.n_tables)
        IONFLUX_CUDA_CHECK(cudaMemcpy(tables_->p, es.tables, es.n_tables * sizeof(double), cudaMemcpyHostToDevice));
    }
    a_ = SlotArrays{params_->p, t_end_->p, first_->p, count_->p, es.steps ? steps_->p : nullptr,
                    es.steps ? tables_->p : nullptr, ws_->p, runs_->p, drained_->p, out_->p, sums_->p,
                    static_cast<index_t>(S), es.n_times, es.n_sums, es.temperature, es.layout, es.solver, out};
    a_.team = team_;
    a_.ws_stride = slot_workspace_stride(es.layout);
    a_.experiment_end = es.experiment_end;
    // harvest staging (device) and its pinned host mirror, two of each
    for (int b = 0; b < 2; ++b) {
      hdr_[b] = device<HarvestHeader>(1);
      records_[b] = device<HarvestRecord>(S);
      fin_runs_[b] = device<CellRun>(S);
      fin_sums_[b] = device<double>(S * kSlotSummaryArrays * ns);
      rows_[b] = device<double>(capacity_ * kSlotOutputArrays);
      h_hdr_[b] = pinned<HarvestHeader>(1);
      h_records_[b] = pinned<HarvestRecord>(S);
      h_runs_[b] = pinned<CellRun>(S);
      h_sums_[b] = pinned<double>(S * kSlotSummaryArrays * ns);
      h_rows_[b] = pinned<double>(capacity_ * kSlotOutputArrays);
    }
    // loads: pinned staging and its device side
    l_slots_ = pinned<int>(S);
    l_params_ = pinned<CellParams>(S);
    l_t_end_ = pinned<double>(S);
    l_first_ = pinned<int>(S);
    l_count_ = pinned<int>(S);
    d_slots_ = device<int>(S);
    d_params_ = device<CellParams>(S);
    d_t_end_ = device<double>(S);
    d_first_ = device<int>(S);
    d_count_ = device<int>(S);
    // once: the uploads above went through the legacy stream, which the non-blocking
    // streams do not wait for
    IONFLUX_CUDA_CHECK(cudaDeviceSynchronize());
    } catch (...) {
      release();
      throw;
    }
  }

  ~CudaEngine() override { release(); }

  void release() {
    cudaStreamSynchronize(compute_);
    cudaStreamSynchronize(copy_);
    for (int b = 0; b < 2; ++b) cudaEventDestroy(packed_[b]), cudaEventDestroy(copied_[b]);
    cudaEventDestroy(loaded_);
    cudaStreamDestroy(compute_);
    cudaStreamDestroy(copy_);
  }

  void load(const std::vector<gpu_stream::SlotCell>& cells) override {
    const int n = static_cast<int>(cells.size());
    if (n == 0) return;
    IONFLUX_CUDA_CHECK(cudaEventSynchronize(loaded_));  // the previous load's copies are done with the pinned staging
    gpu_stream::load_records(es_, cells, l_params_->p);  // packed on demand for a packed batch
    for (int j = 0; j < n; ++j) {
      const std::size_t c = cells[j].cell;
      l_slots_->p[j] = cells[j].slot;
      user_.repoint(l_params_->p[j]);
      l_t_end_->p[j] = es_.t_end[c];
      if (es_.step_first) l_first_->p[j] = es_.step_first[c], l_count_->p[j] = es_.step_count[c];
    }
    const bool proto = es_.step_first != nullptr;
    IONFLUX_CUDA_CHECK(cudaMemcpyAsync(d_slots_->p, l_slots_->p, n * sizeof(int), cudaMemcpyHostToDevice, compute_));
    IONFLUX_CUDA_CHECK(
        cudaMemcpyAsync(d_params_->p, l_params_->p, n * sizeof(CellParams), cudaMemcpyHostToDevice, compute_));
    IONFLUX_CUDA_CHECK(cudaMemcpyAsync(d_t_end_->p, l_t_end_->p, n * sizeof(double), cudaMemcpyHostToDevice, compute_));
    if (proto) {
      IONFLUX_CUDA_CHECK(cudaMemcpyAsync(d_first_->p, l_first_->p, n * sizeof(int), cudaMemcpyHostToDevice, compute_));
      IONFLUX_CUDA_CHECK(cudaMemcpyAsync(d_count_->p, l_count_->p, n * sizeof(int), cudaMemcpyHostToDevice, compute_));
    }
    IONFLUX_CUDA_CHECK(cudaEventRecord(loaded_, compute_));  // the staging may be refilled after this
    IONFLUX_CUDA_CHECK(cuda_launch::place_cells(a_, params_->p, t_end_->p, first_->p, count_->p, d_slots_->p,
                                                d_params_->p, d_t_end_->p, proto ? d_first_->p : nullptr,
                                                d_count_->p, n, compute_));
    IONFLUX_CUDA_CHECK(cuda_launch::init_cells(a_, d_slots_->p, n, team_, compute_));
    IONFLUX_CUDA_CHECK(cuda_launch::append_active(d_slots_->p, n, active_[cur_]->p, n_active_->p + cur_, compute_));
    resident_ += static_cast<std::size_t>(n);
  }

  void stop(const std::vector<int>& slots, CellStatus status) override {
    const int n = static_cast<int>(slots.size());
    if (n == 0) return;
    // through the loads' slot list (pinned and device), in stream order with the loads
    IONFLUX_CUDA_CHECK(cudaEventSynchronize(loaded_));
    std::copy(slots.begin(), slots.end(), l_slots_->p);
    IONFLUX_CUDA_CHECK(cudaMemcpyAsync(d_slots_->p, l_slots_->p, n * sizeof(int), cudaMemcpyHostToDevice, compute_));
    IONFLUX_CUDA_CHECK(cudaEventRecord(loaded_, compute_));
    IONFLUX_CUDA_CHECK(cuda_launch::stop_cells(a_, d_slots_->p, n, status, compute_));
  }

  void launch(int steps, bool drain_running) override {
    const bool drain = drain_running || es_.out.every_step();
    if (in_flight_.size() >= 2) throw RuntimeError("CUDA launcher: more than two launches in flight");
    const int b = static_cast<int>(launches_ % 2);
    const int grid_cells = static_cast<int>(std::max<std::size_t>(resident_, 1));
    int* const n_cur = n_active_->p + cur_;
    int* const n_next = n_active_->p + (1 - cur_);
    if (steps > 0)
      IONFLUX_CUDA_CHECK(cuda_launch::advance_cells(a_, active_[cur_]->p, n_cur, grid_cells, steps, team_, compute_));
    // staging b: its last contents must be in host memory (copy stream) before it is reused
    IONFLUX_CUDA_CHECK(cudaStreamWaitEvent(compute_, copied_[b], 0));
    IONFLUX_CUDA_CHECK(cudaMemsetAsync(hdr_[b]->p, 0, sizeof(HarvestHeader), compute_));
    IONFLUX_CUDA_CHECK(cudaMemsetAsync(n_next, 0, sizeof(int), compute_));
    const Staging st{hdr_[b]->p, records_[b]->p, fin_runs_[b]->p, fin_sums_[b]->p, rows_[b]->p,
                     static_cast<unsigned long long>(capacity_)};
    IONFLUX_CUDA_CHECK(cuda_launch::harvest(a_, active_[cur_]->p, n_cur, grid_cells, active_[1 - cur_]->p, n_next, st,
                                            drain, compute_));
    IONFLUX_CUDA_CHECK(
        cudaMemcpyAsync(h_hdr_[b]->p, hdr_[b]->p, sizeof(HarvestHeader), cudaMemcpyDeviceToHost, compute_));
    IONFLUX_CUDA_CHECK(cudaEventRecord(packed_[b], compute_));
    cur_ = 1 - cur_;
    ++launches_;
    in_flight_.push_back(b);
  }

  const gpu_stream::Report& collect() override {
    if (in_flight_.empty()) throw RuntimeError("CUDA launcher: collect() without a launch");
    const int b = in_flight_.front();
    in_flight_.pop_front();
    IONFLUX_CUDA_CHECK(cudaEventSynchronize(packed_[b]));  // the launch, its harvest and its header
    const HarvestHeader h = *h_hdr_[b]->p;
    const std::size_t ns = static_cast<std::size_t>(es_.n_sums);
    const std::size_t rows = std::min<std::size_t>(h.rows, capacity_);
    // exactly the harvested bytes, on the copy stream (the compute stream runs the next launch)
    IONFLUX_CUDA_CHECK(cudaStreamWaitEvent(copy_, packed_[b], 0));
    auto get = [&](void* dst, const void* src, std::size_t bytes) {
      if (bytes) IONFLUX_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, copy_));
    };
    get(h_records_[b]->p, records_[b]->p, h.records * sizeof(HarvestRecord));
    get(h_runs_[b]->p, fin_runs_[b]->p, h.finished * sizeof(CellRun));
    get(h_sums_[b]->p, fin_sums_[b]->p, h.finished * kSlotSummaryArrays * ns * sizeof(double));
    get(h_rows_[b]->p, rows_[b]->p, rows * kSlotOutputArrays * sizeof(double));
    IONFLUX_CUDA_CHECK(cudaEventRecord(copied_[b], copy_));
    IONFLUX_CUDA_CHECK(cudaEventSynchronize(copied_[b]));
    report_.slots.resize(static_cast<std::size_t>(h.records));
    for (int j = 0; j < h.records; ++j) {
      const HarvestRecord& r = h_records_[b]->p[j];
      gpu_stream::SlotReport& sr = report_.slots[static_cast<std::size_t>(j)];
      sr.slot = r.slot;
      sr.finished = r.fin >= 0;
      sr.count = static_cast<std::size_t>(r.count);
      sr.rows = h_rows_[b]->p + r.first * kSlotOutputArrays;
      sr.run = sr.finished ? h_runs_[b]->p + r.fin : nullptr;
      sr.sums = sr.finished ? h_sums_[b]->p + static_cast<std::size_t>(r.fin) * kSlotSummaryArrays * ns : nullptr;
    }
    report_.deferred = static_cast<std::size_t>(h.deferred);
    resident_ -= std::min<std::size_t>(resident_, static_cast<std::size_t>(h.finished));
    return report_;
  }

  void evict(const std::vector<int>& slots, std::vector<CellRun>& runs, std::vector<double>& ws,
             std::vector<double>& sums) override {
    if (!in_flight_.empty()) throw RuntimeError("CUDA launcher: evict() with a launch in flight");
    const int n = static_cast<int>(slots.size());
    const std::size_t ns = static_cast<std::size_t>(es_.n_sums);
    runs.resize(slots.size());
    ws.resize(slots.size() * wsz_);
    sums.resize(slots.size() * kSlotSummaryArrays * ns);
    if (n == 0) return;
    DeviceBuffer<int> d_slots(slots.size());
    DeviceBuffer<double> d_ws(ws.size()), d_sums(sums.size());
    DeviceBuffer<CellRun> d_runs(slots.size());
    IONFLUX_CUDA_CHECK(
        cudaMemcpyAsync(d_slots.p, slots.data(), slots.size() * sizeof(int), cudaMemcpyHostToDevice, compute_));
    IONFLUX_CUDA_CHECK(cuda_launch::evict_cells(a_, d_slots.p, n, d_ws.p, d_runs.p, d_sums.p, compute_));
    IONFLUX_CUDA_CHECK(cudaMemcpyAsync(runs.data(), d_runs.p, runs.size() * sizeof(CellRun), cudaMemcpyDeviceToHost,
                                       compute_));
    IONFLUX_CUDA_CHECK(
        cudaMemcpyAsync(ws.data(), d_ws.p, ws.size() * sizeof(double), cudaMemcpyDeviceToHost, compute_));
    if (!sums.empty())
      IONFLUX_CUDA_CHECK(
          cudaMemcpyAsync(sums.data(), d_sums.p, sums.size() * sizeof(double), cudaMemcpyDeviceToHost, compute_));
    IONFLUX_CUDA_CHECK(cudaStreamSynchronize(compute_));  // once, at the hand-off
  }

 private:
  int team_ = kTeamWidth;  //!< threads per cell (gpu_stream::team_width)
  gpu_stream::EngineSetup es_;
  std::size_t wsz_ = 0, capacity_ = 0;
  cudaStream_t compute_ = nullptr, copy_ = nullptr;
  cudaEvent_t packed_[2] = {nullptr, nullptr}, copied_[2] = {nullptr, nullptr}, loaded_ = nullptr;
  DeviceUserFunctions user_;
  DevicePtr<CellParams> params_;
  DevicePtr<double> t_end_, ws_, out_, sums_, times_, tables_;
  DevicePtr<int> first_, count_, drained_, n_active_;
  DevicePtr<int> active_[2];
  DevicePtr<CellRun> runs_;
  DevicePtr<StepSpec> steps_;
  SlotArrays a_{};
  int cur_ = 0;  //!< the active list the next launch advances
  std::size_t launches_ = 0, resident_ = 0;
  std::deque<int> in_flight_;  //!< staging buffers of the launches not yet collected
  DevicePtr<HarvestHeader> hdr_[2];
  DevicePtr<HarvestRecord> records_[2];
  DevicePtr<CellRun> fin_runs_[2];
  DevicePtr<double> fin_sums_[2], rows_[2];
  PinnedPtr<HarvestHeader> h_hdr_[2];
  PinnedPtr<HarvestRecord> h_records_[2];
  PinnedPtr<CellRun> h_runs_[2];
  PinnedPtr<double> h_sums_[2], h_rows_[2];
  PinnedPtr<int> l_slots_, l_first_, l_count_;
  PinnedPtr<CellParams> l_params_;
  PinnedPtr<double> l_t_end_;
  DevicePtr<int> d_slots_, d_first_, d_count_;
  DevicePtr<CellParams> d_params_;
  DevicePtr<double> d_t_end_;
  gpu_stream::Report report_;
};

}  // namespace

std::unique_ptr<gpu_stream::DeviceEngine> make_engine(const gpu_stream::EngineSetup& setup) {
  return std::make_unique<CudaEngine>(setup);
}

void evaluate_expression(const expr::Program& program, const double* vars, std::size_t n, double* out) {
  if (n == 0) return;
  const std::size_t nv = static_cast<std::size_t>(expr::Var::count);
  DeviceBuffer<double> d_vars(n * nv), d_out(n);
  IONFLUX_CUDA_CHECK(cudaMemcpy(d_vars.p, vars, n * nv * sizeof(double), cudaMemcpyHostToDevice));
  IONFLUX_CUDA_CHECK(cuda_launch::evaluate_expression(program, d_vars.p, static_cast<index_t>(n), d_out.p, nullptr));
  IONFLUX_CUDA_CHECK(cudaMemcpy(out, d_out.p, n * sizeof(double), cudaMemcpyDeviceToHost));
}

void evaluate_table(table::Kind kind, const double* x, const double* y, const double* d, int n_points,
                    const double* q, std::size_t n, double* out) {
  if (n == 0) return;
  const std::size_t np = static_cast<std::size_t>(n_points);
  DeviceBuffer<double> d_x(np), d_y(np), d_d(np), d_q(n), d_out(n);
  IONFLUX_CUDA_CHECK(cudaMemcpy(d_x.p, x, np * sizeof(double), cudaMemcpyHostToDevice));
  IONFLUX_CUDA_CHECK(cudaMemcpy(d_y.p, y, np * sizeof(double), cudaMemcpyHostToDevice));
  if (d != nullptr) IONFLUX_CUDA_CHECK(cudaMemcpy(d_d.p, d, np * sizeof(double), cudaMemcpyHostToDevice));
  IONFLUX_CUDA_CHECK(cudaMemcpy(d_q.p, q, n * sizeof(double), cudaMemcpyHostToDevice));
  IONFLUX_CUDA_CHECK(cuda_launch::evaluate_table(kind, d_x.p, d_y.p, d_d.p, n_points, d_q.p, static_cast<index_t>(n),
                                                 d_out.p, nullptr));
  IONFLUX_CUDA_CHECK(cudaMemcpy(out, d_out.p, n * sizeof(double), cudaMemcpyDeviceToHost));
}

}  // namespace cuda_backend
}  // namespace ionflux
