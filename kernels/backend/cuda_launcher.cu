// The CUDA launcher: the same CellSolver the CPU runs, on a team of threads per cell
// (kernels/numerics/team.hpp): by default a warp of 32 lanes per cell, each cell's
// arrays contiguous (the lanes take adjacent elements, so their accesses coalesce), the
// cell's scalars (CellRun) in each lane's registers for the duration of a launch. The
// environment variable IONFLUX_GPU_TEAM=1 selects one thread per cell instead, with
// the per-cell arrays interleaved (cell index fastest). A launch
// advances every active cell by at most `steps_per_launch` steps; between launches the
// host compacts the list of active cells with Thrust and reports progress. When only a
// few cells are left running (ChunkJob::handoff_below), their integrator state goes
// back to the host (kernels/model/migrate.hpp) and the CPU threads finish them, so the
// device never idles behind a few slow cells. Every CUDA call is checked and turned
// into a RuntimeError (never an abort).
#include <cuda_runtime.h>
#include <thrust/execution_policy.h>
#include <thrust/fill.h>
#include <thrust/remove.h>
#include <thrust/sequence.h>

#include <cmath>
#include <cstdlib>
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "kernels/model/cell_solver.hpp"
#include "kernels/model/migrate.hpp"
#include "solver/backend_cuda.hpp"
#include "solver/errors.hpp"

#define IONFLUX_CUDA_CHECK(call)                                                                              \
  do {                                                                                                        \
    const cudaError_t err_ = (call);                                                                          \
    if (err_ != cudaSuccess)                                                                                  \
      throw ::ionflux::RuntimeError(std::string("CUDA error in ") + #call + ": " + cudaGetErrorString(err_)); \
  } while (0)

namespace ionflux {
namespace cuda_backend {
namespace {

struct DeviceChunk {
  const CellParams* params;
  Layout layout;
  int team;          //!< threads per cell: 1 (interleaved arrays) or kTeamWidth (contiguous)
  index_t ws_stride;  //!< doubles between two cells' workspaces (team > 1)
  SolverOptions solver;
  OutputSpec out;
  const double* t_end;  //!< per cell [s]
  const int* drained;   //!< per cell: outputs already copied to the host
  double* ws;
  CellRun* runs;
  double *t, *v, *i, *q;
  int n_times;
  index_t n;
  // protocols and the optional outputs (null when absent)
  const StepSpec* steps;
  const int *step_first, *step_count;
  const double* tables;
  double *temp, *step_index;
  int n_step_summaries;
  double *step_start, *step_end, *step_capacity, *step_energy;
  double *step_dis_q, *step_chg_q, *step_dis_e, *step_chg_e;
};

//! The team width of the default kernels (one warp per cell).
constexpr int kTeamWidth = 32;

//! Cell c's outputs; `written` is its output count (CellRun::n_out, wherever the run lives).
__device__ GridSink sink_of(const DeviceChunk& d, index_t c, const int* written) {
  GridSink s{d.t + c, d.v + c, d.i + c, d.q + c, d.n, d.n_times, written};
  s.drained = d.drained + c;
  if (d.temp) {
    s.temp = d.temp + c;
    s.step_index = d.step_index + c;
  }
  if (d.n_step_summaries > 0) {
    s.step_start = d.step_start + c;
    s.step_end = d.step_end + c;
    s.step_capacity = d.step_capacity + c;
    s.step_energy = d.step_energy + c;
    s.step_discharge_capacity = d.step_dis_q + c;
    s.step_charge_capacity = d.step_chg_q + c;
    s.step_discharge_energy = d.step_dis_e + c;
    s.step_charge_energy = d.step_chg_e + c;
    s.step_capacity_max = d.n_step_summaries;
  }
  return s;
}

__device__ ProtocolView protocol_of(const DeviceChunk& d, index_t c) {
  if (!d.steps) return ProtocolView{};
  return ProtocolView{d.steps + d.step_first[c], d.step_count[c], d.tables};
}

__global__ void init_cells(DeviceChunk d, const unsigned char* skip) {
  for (index_t c = blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x; c < d.n;
       c += static_cast<index_t>(blockDim.x) * gridDim.x) {
    if (skip[c]) {
      d.runs[c].status = CellStatus::invalid_input;
      continue;
    }
    GridSink sink = sink_of(d, c, &d.runs[c].n_out);
    OutputSpec out = d.out;
    out.t_end = d.t_end[c];
    CellSolver<GridSink, DView> cs{d.params[c], d.layout, d.solver, out, DView{d.ws + c, d.n}, d.runs[c], sink};
    cs.proto = protocol_of(d, c);
    cs.init();
  }
}

//! Run `what` on cell c with a W-lane team: the cell's CellRun is copied into each lane
//! (the scalar code runs on every lane, on the same values), and lane 0 writes it back.
template <int W, class What>
__device__ void with_team(const DeviceChunk& d, index_t c, What what) {
  const WarpTeam<W> team;
  CellRun run = d.runs[c];
  GridSink sink = sink_of(d, c, &run.n_out);
  OutputSpec out = d.out;
  out.t_end = d.t_end[c];
  CellSolver<GridSink, CView, WarpTeam<W>> cs{d.params[c], d.layout, d.solver, out, CView{d.ws + c * d.ws_stride},
                                             run, sink};
  cs.proto = protocol_of(d, c);
  what(cs);
  team.sync();
  if (team.lane() == 0) d.runs[c] = run;
  team.sync();
}

//! Team kernels: W consecutive threads per cell; the teams stride over the cells.
template <int W>
__global__ void init_cells_team(DeviceChunk d, const unsigned char* skip) {
  const index_t teams = static_cast<index_t>(blockDim.x) * gridDim.x / W;
  for (index_t c = (blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x) / W; c < d.n; c += teams) {
    if (skip[c]) {
      if (threadIdx.x % W == 0) d.runs[c].status = CellStatus::invalid_input;
      continue;
    }
    with_team<W>(d, c, [](auto& cs) { cs.init(); });
  }
}

template <int W>
__global__ void advance_cells_team(DeviceChunk d, const int* active, int n_active, int steps) {
  const index_t teams = static_cast<index_t>(blockDim.x) * gridDim.x / W;
  for (index_t k = (blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x) / W; k < n_active; k += teams)
    with_team<W>(d, active[k], [steps](auto& cs) { cs.advance(steps); });
}

__global__ void advance_cells(DeviceChunk d, const int* active, int n_active, int steps) {
  for (index_t k = blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x; k < n_active;
       k += static_cast<index_t>(blockDim.x) * gridDim.x) {
    const index_t c = active[k];
    GridSink sink = sink_of(d, c, &d.runs[c].n_out);
    OutputSpec out = d.out;
    out.t_end = d.t_end[c];
    CellSolver<GridSink, DView> cs{d.params[c], d.layout, d.solver, out, DView{d.ws + c, d.n}, d.runs[c], sink};
    cs.proto = protocol_of(d, c);
    cs.advance(steps);
  }
}

__global__ void gather_n_out(const CellRun* runs, index_t n, int* n_out) {
  for (index_t c = blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x; c < n;
       c += static_cast<index_t>(blockDim.x) * gridDim.x)
    n_out[c] = runs[c].n_out;
}

//! Gather the workspaces of the cells `cells[0 .. n_cells)` of the chunk into `out`,
//! contiguous, one cell after the other (count doubles each): from the interleaved
//! layout of n cells (stride 0), or from contiguous workspaces `stride` doubles apart.
__global__ void gather_workspaces(const double* ws, index_t n, index_t stride, const int* cells, int n_cells,
                                  index_t count, double* out) {
  for (index_t j = blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x; j < n_cells;
       j += static_cast<index_t>(blockDim.x) * gridDim.x) {
    if (stride > 0) copy_cell_array(CView{const_cast<double*>(ws) + cells[j] * stride}, CView{out + j * count}, count);
    else gather_cell_workspace(ws, n, cells[j], count, out + j * count);
  }
}

struct NotRunning {
  const CellRun* runs;
  __device__ bool operator()(int c) const { return runs[c].status != CellStatus::running; }
};

template <class T>
struct DeviceBuffer {
  T* p = nullptr;
  explicit DeviceBuffer(std::size_t count) { IONFLUX_CUDA_CHECK(cudaMalloc(&p, count * sizeof(T) + 1)); }
  ~DeviceBuffer() { cudaFree(p); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

__global__ void expression_kernel(expr::Program program, const double* vars, index_t n, double* out) {
  const index_t nv = static_cast<index_t>(expr::Var::count);
  for (index_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += index_t(blockDim.x) * gridDim.x) {
    // the row's named arguments, then the c_e scale of regularised powers (1, as on the host)
    double row[expr::kSlots];
    for (int k = 0; k < nv; ++k) row[k] = vars[i * nv + k];
    row[expr::kCeScaleSlot] = 1.0;
    out[i] = expr::evaluate(program, row);
  }
}

__global__ void table_kernel(table::Kind kind, const double* x, const double* y, const double* d, int n_points,
                             const double* q, index_t n, double* out) {
  for (index_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += index_t(blockDim.x) * gridDim.x)
    out[i] = table::evaluate(kind, x, y, d, n_points, q[i]);
}

int grid_for(index_t n, int block) {
  const index_t g = (n + block - 1) / block;
  const index_t cap = 65535;
  return static_cast<int>(g < 1 ? 1 : (g > cap ? cap : g));
}

//! Threads per cell: IONFLUX_GPU_TEAM (1 or 32), default 32.
int team_width() {
  const char* env = std::getenv("IONFLUX_GPU_TEAM");
  if (!env || !*env) return kTeamWidth;
  const std::string v(env);
  if (v == "1") return 1;
  if (v == "32") return kTeamWidth;
  throw InputError("IONFLUX_GPU_TEAM must be 1 (one thread per cell) or 32 (a warp per cell), got '" + v + "'");
}

void launch_init(const DeviceChunk& d, const unsigned char* skip) {
  if (d.team == 1) {
    init_cells<<<grid_for(d.n, 64), 64>>>(d, skip);
  } else {
    constexpr int block = 128;
    init_cells_team<kTeamWidth><<<grid_for(d.n * kTeamWidth, block), block>>>(d, skip);
  }
  IONFLUX_CUDA_CHECK(cudaGetLastError());
}

void launch_advance(const DeviceChunk& d, const int* active, int n_active, int steps) {
  if (d.team == 1) {
    advance_cells<<<grid_for(n_active, 64), 64>>>(d, active, n_active, steps);
  } else {
    constexpr int block = 128;
    advance_cells_team<kTeamWidth>
        <<<grid_for(static_cast<index_t>(n_active) * kTeamWidth, block), block>>>(d, active, n_active, steps);
  }
  IONFLUX_CUDA_CHECK(cudaGetLastError());
}

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

//! Device copies of the user functions (tables and expressions) the cells refer to:
//! each distinct record and its table are uploaded once, and `cells` is the host copy
//! of the chunk's parameters with its FunctionRefs pointing at the device records.
struct DeviceUserFunctions {
  std::vector<CellParams> cells;
  std::unique_ptr<DeviceBuffer<double>> data;
  std::unique_ptr<DeviceBuffer<UserFunction>> records;
};

DeviceUserFunctions upload_user_functions(const CellParams* cells, std::size_t n) {
  DeviceUserFunctions r;
  std::map<const UserFunction*, std::size_t> index;
  std::vector<UserFunction> recs;
  std::vector<std::size_t> offset;
  std::size_t total = 0;
  for (std::size_t c = 0; c < n; ++c)
    for_each_function(cells[c], [&](const FunctionRef& f) {
      if (f.id != FunctionId::user || !f.user || index.count(f.user)) return;
      index[f.user] = recs.size();
      recs.push_back(*f.user);
      offset.push_back(total);
      total += 3 * static_cast<std::size_t>(f.user->table.n);
    });
  if (recs.empty()) return r;
  std::vector<double> host(total > 0 ? total : 1);
  for (std::size_t k = 0; k < recs.size(); ++k)
    if (recs[k].table.n > 0)
      std::copy(recs[k].table.data, recs[k].table.data + 3 * recs[k].table.n, host.begin() + offset[k]);
  r.data = std::make_unique<DeviceBuffer<double>>(host.size());
  IONFLUX_CUDA_CHECK(cudaMemcpy(r.data->p, host.data(), host.size() * sizeof(double), cudaMemcpyHostToDevice));
  for (std::size_t k = 0; k < recs.size(); ++k)
    recs[k].table.data = recs[k].table.n > 0 ? r.data->p + offset[k] : nullptr;
  r.records = std::make_unique<DeviceBuffer<UserFunction>>(recs.size());
  IONFLUX_CUDA_CHECK(
      cudaMemcpy(r.records->p, recs.data(), recs.size() * sizeof(UserFunction), cudaMemcpyHostToDevice));
  r.cells.assign(cells, cells + n);
  for (auto& cell : r.cells)
    for_each_function(cell, [&](FunctionRef& f) {
      if (f.id == FunctionId::user && f.user) f.user = r.records->p + index.at(f.user);
    });
  return r;
}

void run_chunk(const ChunkJob& job) {
  const index_t n = static_cast<index_t>(job.n);
  if (n == 0) return;
  const DeviceUserFunctions user_functions = upload_user_functions(job.cells, job.n);
  const CellParams* const host_cells = user_functions.cells.empty() ? job.cells : user_functions.cells.data();
  const Layout& l = job.layout;
  const int team = team_width();
  // contiguous per-cell workspaces start on 128-byte boundaries (16 doubles)
  const std::size_t ws_count = static_cast<std::size_t>(cell_workspace_size(l));  // doubles per cell
  const std::size_t ws_per_cell = team > 1 ? (ws_count + 15) / 16 * 16 : ws_count;
  const std::size_t n_out = static_cast<std::size_t>(n) * job.n_times;
  DeviceBuffer<CellParams> d_params(n);
  DeviceBuffer<double> d_ws(ws_per_cell * n);
  DeviceBuffer<CellRun> d_runs(n);
  DeviceBuffer<double> d_t(n_out), d_v(n_out), d_i(n_out), d_q(n_out);
  DeviceBuffer<int> d_active(n);
  DeviceBuffer<unsigned char> d_skip(n);
  DeviceBuffer<double> d_times(job.out.times ? job.out.n_times : 1);
  DeviceBuffer<double> d_t_end(n);
  DeviceBuffer<int> d_drained(n), d_n_out(n);

  IONFLUX_CUDA_CHECK(cudaMemcpy(d_params.p, host_cells, n * sizeof(CellParams), cudaMemcpyHostToDevice));
  IONFLUX_CUDA_CHECK(cudaMemcpy(d_skip.p, job.skip, n, cudaMemcpyHostToDevice));
  IONFLUX_CUDA_CHECK(cudaMemcpy(d_t_end.p, job.t_end, n * sizeof(double), cudaMemcpyHostToDevice));
  IONFLUX_CUDA_CHECK(cudaMemset(d_runs.p, 0, n * sizeof(CellRun)));
  IONFLUX_CUDA_CHECK(cudaMemset(d_drained.p, 0, n * sizeof(int)));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  OutputSpec out = job.out;
  if (out.times) {
    IONFLUX_CUDA_CHECK(cudaMemcpy(d_times.p, out.times, out.n_times * sizeof(double), cudaMemcpyHostToDevice));
    out.times = d_times.p;
  }
  // protocols and optional outputs
  const bool proto = job.steps != nullptr;
  DeviceBuffer<StepSpec> d_steps(proto ? job.n_steps_total : 1);
  DeviceBuffer<int> d_first(proto ? n : 1), d_count(proto ? n : 1);
  DeviceBuffer<double> d_tables(proto ? job.n_tables : 1);
  if (proto) {
    IONFLUX_CUDA_CHECK(cudaMemcpy(d_steps.p, job.steps, job.n_steps_total * sizeof(StepSpec), cudaMemcpyHostToDevice));
    IONFLUX_CUDA_CHECK(cudaMemcpy(d_first.p, job.step_first, n * sizeof(int), cudaMemcpyHostToDevice));
    IONFLUX_CUDA_CHECK(cudaMemcpy(d_count.p, job.step_count, n * sizeof(int), cudaMemcpyHostToDevice));
    if (job.n_tables)
      IONFLUX_CUDA_CHECK(cudaMemcpy(d_tables.p, job.tables, job.n_tables * sizeof(double), cudaMemcpyHostToDevice));
  }
  const bool temps = job.temperature_outputs;
  DeviceBuffer<double> d_temp(temps ? n_out : 1), d_sidx(temps ? n_out : 1);
  const std::size_t n_sum = static_cast<std::size_t>(n) * (job.n_step_summaries > 0 ? job.n_step_summaries : 0);
  DeviceBuffer<double> d_s0(n_sum ? n_sum : 1), d_s1(n_sum ? n_sum : 1), d_s2(n_sum ? n_sum : 1),
      d_s3(n_sum ? n_sum : 1), d_s4(n_sum ? n_sum : 1), d_s5(n_sum ? n_sum : 1), d_s6(n_sum ? n_sum : 1),
      d_s7(n_sum ? n_sum : 1);
  if (n_sum) {
    double* const sums[] = {d_s0.p, d_s1.p, d_s2.p, d_s3.p, d_s4.p, d_s5.p, d_s6.p, d_s7.p};
    for (double* p : sums) thrust::fill(thrust::device, p, p + n_sum, nan);
  }
  const DeviceChunk d{d_params.p, l, team, static_cast<index_t>(ws_per_cell), job.solver, out, d_t_end.p, d_drained.p, d_ws.p, d_runs.p, d_t.p, d_v.p, d_i.p,
                      d_q.p, job.n_times, n, proto ? d_steps.p : nullptr, d_first.p, d_count.p, d_tables.p,
                      temps ? d_temp.p : nullptr, temps ? d_sidx.p : nullptr, job.n_step_summaries,
                      d_s0.p, d_s1.p, d_s2.p, d_s3.p, d_s4.p, d_s5.p, d_s6.p, d_s7.p};

  // Drain: append the outputs each cell made since the last drain (slots 0 .. new - 1,
  // interleaved (slot, cell) on the device) to its host series, then mark them taken.
  std::vector<int> h_n_out(n), h_drained(n, 0);
  std::vector<double> tmp;
  CellSeries* const series = job.series;
  auto drain = [&]() {
    gather_n_out<<<grid_for(n, 256), 256>>>(d_runs.p, n, d_n_out.p);
    IONFLUX_CUDA_CHECK(cudaGetLastError());
    IONFLUX_CUDA_CHECK(cudaMemcpy(h_n_out.data(), d_n_out.p, n * sizeof(int), cudaMemcpyDeviceToHost));
    int most = 0;
    for (index_t c = 0; c < n; ++c) most = std::max(most, h_n_out[c] - h_drained[c]);
    if (most <= 0) return;
    if (most > job.n_times)
      throw RuntimeError("CUDA launcher: a cell made " + std::to_string(most) + " outputs between drains, more than its " +
                         std::to_string(job.n_times) + " slots");
    const std::size_t rows = static_cast<std::size_t>(most) * n;
    tmp.resize(rows);
    std::pair<double*, std::vector<double> CellSeries::*> arrays[] = {
        {d_t.p, &CellSeries::time},       {d_v.p, &CellSeries::voltage},       {d_i.p, &CellSeries::current},
        {d_q.p, &CellSeries::capacity},   {d_temp.p, &CellSeries::temperature}, {d_sidx.p, &CellSeries::step_index}};
    for (int a = 0; a < (temps ? 6 : 4); ++a) {
      IONFLUX_CUDA_CHECK(cudaMemcpy(tmp.data(), arrays[a].first, rows * sizeof(double), cudaMemcpyDeviceToHost));
      for (index_t c = 0; c < n; ++c) {
        std::vector<double>& dst = series[c].*(arrays[a].second);
        for (int k = 0; k < h_n_out[c] - h_drained[c]; ++k) dst.push_back(tmp[static_cast<std::size_t>(k) * n + c]);
      }
    }
    h_drained = h_n_out;
    IONFLUX_CUDA_CHECK(cudaMemcpy(d_drained.p, h_drained.data(), n * sizeof(int), cudaMemcpyHostToDevice));
  };

  // Hand-off: the cells still running (d_active[0 .. n_active), in increasing order, as
  // the stable compaction keeps them) go back to the host unfinished, their outputs
  // drained already; their CellRun records come back with the others below. Their
  // workspaces pass through a staging buffer allocated here with the chunk's (at most
  // kStageCells cells at a time), so the hand-off allocates and frees nothing.
  const std::size_t handoff = job.handed ? std::min(job.handoff_below, static_cast<std::size_t>(n)) : 0;
  constexpr std::size_t kStageCells = 256;
  const std::size_t stage_cells = std::max<std::size_t>(1, std::min(handoff, kStageCells));
  DeviceBuffer<double> d_stage(ws_per_cell * (handoff > 0 ? stage_cells : 1));
  auto hand_off = [&](int n_active) {
    HandedCells& h = *job.handed;
    std::vector<int> cells(static_cast<std::size_t>(n_active));
    IONFLUX_CUDA_CHECK(cudaMemcpy(cells.data(), d_active.p, cells.size() * sizeof(int), cudaMemcpyDeviceToHost));
    h.index.assign(cells.begin(), cells.end());
    h.ws.resize(ws_count * cells.size());
    for (std::size_t j0 = 0; j0 < cells.size(); j0 += stage_cells) {
      const std::size_t m = std::min(stage_cells, cells.size() - j0);
      gather_workspaces<<<grid_for(static_cast<index_t>(m), 64), 64>>>(
          d_ws.p, n, team > 1 ? static_cast<index_t>(ws_per_cell) : 0, d_active.p + j0, static_cast<int>(m),
          static_cast<index_t>(ws_count), d_stage.p);
      IONFLUX_CUDA_CHECK(cudaGetLastError());
      IONFLUX_CUDA_CHECK(cudaMemcpy(h.ws.data() + j0 * ws_count, d_stage.p, m * ws_count * sizeof(double),
                                    cudaMemcpyDeviceToHost));
    }
  };
  auto should_hand_off = [&](int n_active) {
    return n_active > 0 && static_cast<std::size_t>(n_active) <= handoff && !(job.cancel && job.cancel->load());
  };

  launch_init(d, d_skip.p);
  thrust::sequence(thrust::device, d_active.p, d_active.p + n);
  int n_active = static_cast<int>(
      thrust::remove_if(thrust::device, d_active.p, d_active.p + n, NotRunning{d_runs.p}) - d_active.p);
  IONFLUX_CUDA_CHECK(cudaDeviceSynchronize());
  drain();
  if (job.progress) job.progress(static_cast<std::size_t>(n - n_active));
  if (should_hand_off(n_active)) {
    hand_off(n_active);
    n_active = 0;
  }
  while (n_active > 0 && !(job.cancel && job.cancel->load())) {
    launch_advance(d, d_active.p, n_active, job.steps_per_launch);
    n_active = static_cast<int>(
        thrust::remove_if(thrust::device, d_active.p, d_active.p + n_active, NotRunning{d_runs.p}) - d_active.p);
    IONFLUX_CUDA_CHECK(cudaDeviceSynchronize());
    drain();
    if (job.progress) job.progress(static_cast<std::size_t>(n - n_active));
    if (should_hand_off(n_active)) {
      hand_off(n_active);
      n_active = 0;
    }
  }

  IONFLUX_CUDA_CHECK(cudaMemcpy(job.runs, d_runs.p, n * sizeof(CellRun), cudaMemcpyDeviceToHost));
  if (n_sum) {
    const int ns = job.n_step_summaries;
    std::vector<double> stmp(n_sum);
    const std::pair<double*, double*> sums[] = {
        {d_s0.p, job.step_start},
        {d_s1.p, job.step_end},
        {d_s2.p, job.step_capacity},
        {d_s3.p, job.step_energy},
        {d_s4.p, job.step_discharge_capacity},
        {d_s5.p, job.step_charge_capacity},
        {d_s6.p, job.step_discharge_energy},
        {d_s7.p, job.step_charge_energy}};
    for (const auto& pr : sums) {
      if (!pr.second) continue;
      IONFLUX_CUDA_CHECK(cudaMemcpy(stmp.data(), pr.first, n_sum * sizeof(double), cudaMemcpyDeviceToHost));
      for (index_t c = 0; c < n; ++c)
        for (int k = 0; k < ns; ++k) pr.second[c * ns + k] = stmp[k * n + c];
    }
  }
}

void evaluate_expression(const expr::Program& program, const double* vars, std::size_t n, double* out) {
  if (n == 0) return;
  const std::size_t nv = static_cast<std::size_t>(expr::Var::count);
  DeviceBuffer<double> d_vars(n * nv), d_out(n);
  IONFLUX_CUDA_CHECK(cudaMemcpy(d_vars.p, vars, n * nv * sizeof(double), cudaMemcpyHostToDevice));
  expression_kernel<<<grid_for(static_cast<index_t>(n), 128), 128>>>(program, d_vars.p, static_cast<index_t>(n),
                                                                      d_out.p);
  IONFLUX_CUDA_CHECK(cudaGetLastError());
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
  table_kernel<<<grid_for(static_cast<index_t>(n), 128), 128>>>(kind, d_x.p, d_y.p, d_d.p, n_points, d_q.p,
                                                                 static_cast<index_t>(n), d_out.p);
  IONFLUX_CUDA_CHECK(cudaGetLastError());
  IONFLUX_CUDA_CHECK(cudaMemcpy(out, d_out.p, n * sizeof(double), cudaMemcpyDeviceToHost));
}

}  // namespace cuda_backend
}  // namespace ionflux
