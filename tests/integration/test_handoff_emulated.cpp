// The GPU path of run_batch, hand-off to the CPU threads included, on a CPU-only machine:
// a host emulation of the CUDA launcher (the same steps as run_chunk in
// kernels/backend/cuda_launcher.cu: interleaved per-cell arrays filled with NaN, init,
// launches of bounded step slices, drains of the output slots, and the hand-off of the
// last running cells, gathered with kernels/model/migrate.hpp) stands in for the device
// (cuda_backend::emulate_device_for_testing). The batch then finishes the handed cells
// on its CPU threads, as it does after a real device. Results must equal a CPU-only run
// within 1e-7 relative whichever "device" finished a cell (the interleaved path differs
// from the contiguous one at round-off level, ~rtol: see test_interleaved.cpp), with the
// per-cell device record and the hand-off count as designed. The real device runs the
// same checks in tests/gpu/test_cuda_handoff.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/model/migrate.hpp"
#include "solver/backend_cuda.hpp"
#include "solver/batch.hpp"
#include "tests/equivalence/batch_cases.hpp"
#include "tests/equivalence/compare_chunks.hpp"

using namespace ionflux;

namespace {

void emulated_run_chunk(const cuda_backend::ChunkJob& job) {
  const index_t n = static_cast<index_t>(job.n);
  if (n == 0) return;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Layout& l = job.layout;
  const index_t wsz = cell_workspace_size(l);
  const std::size_t slots = static_cast<std::size_t>(n) * job.n_times;
  std::vector<double> ws(static_cast<std::size_t>(wsz * n), nan);
  std::vector<CellRun> runs(n);
  std::memset(static_cast<void*>(runs.data()), 0, runs.size() * sizeof(CellRun));  // as cudaMemset
  std::vector<double> t(slots, nan), v(slots, nan), i(slots, nan), q(slots, nan), temp(slots, nan),
      sidx(slots, nan);
  const int ns = job.n_step_summaries;
  const std::size_t n_sum = static_cast<std::size_t>(n) * (ns > 0 ? ns : 0);
  std::vector<std::vector<double>> sums(8, std::vector<double>(n_sum ? n_sum : 1, nan));
  std::vector<int> drained(n, 0);
  auto sink_of = [&](index_t c) {
    GridSink s{&t[c], &v[c], &i[c], &q[c], n, job.n_times, &runs[c].n_out};
    s.drained = &drained[c];
    if (job.temperature_outputs) s.temp = &temp[c], s.step_index = &sidx[c];
    if (ns > 0) {
      s.step_start = &sums[0][c];
      s.step_end = &sums[1][c];
      s.step_capacity = &sums[2][c];
      s.step_energy = &sums[3][c];
      s.step_discharge_capacity = &sums[4][c];
      s.step_charge_capacity = &sums[5][c];
      s.step_discharge_energy = &sums[6][c];
      s.step_charge_energy = &sums[7][c];
      s.step_capacity_max = ns;
    }
    return s;
  };
  auto each = [&](index_t c, bool init) {
    GridSink sink = sink_of(c);
    OutputSpec out = job.out;
    out.t_end = job.t_end[c];
    CellSolver<GridSink, DView> cs{job.cells[c], l, job.solver, out, DView{ws.data() + c, n}, runs[c], sink};
    if (job.steps) cs.proto = ProtocolView{job.steps + job.step_first[c], job.step_count[c], job.tables};
    if (init) cs.init();
    else cs.advance(job.steps_per_launch);
  };
  auto drain = [&]() {
    for (index_t c = 0; c < n; ++c) {
      cuda_backend::CellSeries& s = job.series[c];
      for (int k = 0; k < runs[c].n_out - drained[c]; ++k) {
        const std::size_t at = static_cast<std::size_t>(k) * n + c;
        s.time.push_back(t[at]);
        s.voltage.push_back(v[at]);
        s.current.push_back(i[at]);
        s.capacity.push_back(q[at]);
        if (job.temperature_outputs) s.temperature.push_back(temp[at]), s.step_index.push_back(sidx[at]);
      }
      drained[c] = runs[c].n_out;
    }
  };
  std::vector<int> active;
  auto compact = [&]() {
    std::vector<int> still;
    for (int c : active)
      if (runs[c].status == CellStatus::running) still.push_back(c);
    active.swap(still);
  };
  auto hand_off_now = [&]() {
    if (!job.handed || active.empty() || active.size() > job.handoff_below) return false;
    job.handed->index.assign(active.begin(), active.end());
    job.handed->ws.assign(active.size() * static_cast<std::size_t>(wsz), nan);
    for (std::size_t j = 0; j < active.size(); ++j)
      gather_cell_workspace(ws.data(), n, active[j], wsz, job.handed->ws.data() + j * wsz);
    active.clear();
    return true;
  };
  for (index_t c = 0; c < n; ++c) {
    if (job.skip[c]) runs[c].status = CellStatus::invalid_input;
    else each(c, true);
    active.push_back(static_cast<int>(c));
  }
  compact();
  drain();
  if (!hand_off_now()) {
    while (!active.empty()) {
      for (int c : active) each(c, false);
      compact();
      drain();
      if (hand_off_now()) break;
    }
  }
  std::copy(runs.begin(), runs.end(), job.runs);
  double* const dst[] = {job.step_start, job.step_end, job.step_capacity, job.step_energy,
                         job.step_discharge_capacity, job.step_charge_capacity, job.step_discharge_energy,
                         job.step_charge_energy};
  for (int a = 0; a < 8 && n_sum; ++a)
    if (dst[a])
      for (index_t c = 0; c < n; ++c)
        for (int k = 0; k < ns; ++k) dst[a][c * ns + k] = sums[a][static_cast<std::size_t>(k) * n + c];
}

//! The emulated device for the life of a test.
struct EmulatedDevice {
  EmulatedDevice() { cuda_backend::emulate_device_for_testing(&emulated_run_chunk); }
  ~EmulatedDevice() { cuda_backend::emulate_device_for_testing(nullptr); }
};

struct Runs {
  ionflux::testing::CollectSink cpu, gpu;
  BatchSummary gpu_summary;
  std::size_t on_gpu = 0, both = 0, nowhere = 0;
};

Runs run_both(const BatchInputs& in, int handoff_cells, std::size_t max_chunk) {
  Runs r;
  BatchOptions o;
  o.device = Device::cpu;
  o.threads = 2;
  run_batch(in, o, &r.cpu);
  EmulatedDevice emulated;
  o.device = Device::cuda;
  o.gpu_handoff_cells = handoff_cells;
  o.max_chunk_cells = max_chunk;
  r.gpu_summary = run_batch(in, o, &r.gpu);
  for (signed char x : r.gpu.all.device)
    r.on_gpu += x == kRanOnGpu, r.both += x == kRanOnGpuThenCpu, r.nowhere += x == kRanNowhere;
  for (signed char x : r.cpu.all.device) EXPECT_TRUE(x == kRanOnCpu || x == kRanNowhere) << "CPU-only run";
  return r;
}

}  // namespace

TEST(HandOffEmulated, HeterogeneousBatchEqualsCpuOnly) {
  // 37 cells, 0.3C to 3C, a cut-off at t = 0, an invalid and a numerically failing cell;
  // most run 10 minutes, every fifth 40 (the stragglers the GPU hands over)
  BatchInputs in = ionflux::testing::equivalence_batch(1e-10, 1e-10);
  in.run.mesh = MeshSpec{8, 5, 7, 6, 9};
  in.t_end.resize(in.cells.size());
  for (std::size_t c = 0; c < in.cells.size(); ++c) in.t_end[c] = c % 5 == 1 ? 2400.0 : 600.0;
  in.run.t_end = 2400.0;
  struct Variant {
    int handoff;
    std::size_t chunk;
  };
  for (const Variant& va : {Variant{8, 0}, Variant{8, 16}, Variant{0, 16}, Variant{-1, 0}, Variant{1000, 0}}) {
    SCOPED_TRACE("hand-off " + std::to_string(va.handoff) + ", chunk cap " + std::to_string(va.chunk));
    const Runs r = run_both(in, va.handoff, va.chunk);
    EXPECT_EQ(r.both, r.gpu_summary.handed_to_cpu);
    EXPECT_EQ(r.gpu_summary.device_description,
              va.handoff == 0 ? "host emulation of the CUDA launcher (tests)"
                              : "host emulation of the CUDA launcher (tests) + CPU, 2 threads");
    EXPECT_EQ(r.gpu.all.device[17], kRanNowhere) << "the invalid cell runs nowhere";
    EXPECT_EQ(r.nowhere, 1u);
    EXPECT_EQ(r.on_gpu + r.both + 1, in.cells.size());
    if (va.handoff == 0) {
      EXPECT_EQ(r.both, 0u) << "hand-off off: the GPU finishes every cell";
    } else if (va.handoff == 1000) {
      // threshold above the chunk: handed right after the initialisation; the cells that
      // ended there (cut-off at t = 0, failed initialisation) stay the GPU's
      EXPECT_EQ(r.both, in.cells.size() - 3);
    } else {
      // at most the threshold per chunk (automatic: a quarter of the chunk, 9 of 37),
      // all of a chunk smaller than it (the last one, 5 cells, with a cap of 16)
      const std::size_t most = va.chunk == 0 ? (va.handoff > 0 ? 8u : 9u) : 8u + 8u + 5u;
      EXPECT_GE(r.both, 1u);
      EXPECT_LE(r.both, most);
      EXPECT_GE(r.on_gpu, in.cells.size() - 1 - most);
    }
    const double worst = ionflux::testing::compare_chunks(r.cpu.all, r.gpu.all);
    std::cout << "  hand-off " << va.handoff << ", chunk cap " << va.chunk << ": " << r.on_gpu << " on the GPU, "
              << r.both << " handed to the CPU; largest relative voltage difference " << worst << "\n";
  }
}

TEST(HandOffEmulated, ProtocolsHandedMidSequenceEqualCpuOnly) {
  // 11 cells with their own protocols (CC-rest-CC-CV, constant power, a drive cycle, a
  // lumped thermal cell): handed over as soon as the first finishes (threshold 10), in
  // the middle of their step sequences, or right after the initialisation (1000)
  BatchInputs in =
      ionflux::testing::protocol_batch(1e-10, 1e-10, IONFLUX_SHARED_DIR "/reference-data/drive_cycles/US06.csv");
  in.run.mesh = MeshSpec{8, 5, 7, 6, 9};
  for (int handoff : {10, 1000}) {
    const Runs r = run_both(in, handoff, 0);
    EXPECT_EQ(r.both, handoff == 10 ? 10u : 11u);
    EXPECT_EQ(r.both, r.gpu_summary.handed_to_cpu);
    const double worst = ionflux::testing::compare_chunks(r.cpu.all, r.gpu.all);
    EXPECT_GT(r.cpu.all.charge_capacity[2], 0.0) << "the CC-rest-CC-CV cells charge";
    std::cout << "  protocols, hand-off " << handoff << ": " << r.both
              << " handed to the CPU; largest relative voltage difference " << worst << "\n";
  }
}

TEST(HandOffEmulated, CancellationLeavesHandedCellsNotRun) {
  // Cancel when the first chunk is written: by then the device has run the second
  // chunk (the CPU part of one chunk overlaps the device part of the next), whose
  // handed cells are then left not run, and no third chunk starts. Every cell has a
  // status (none "running"), and the not-run ones have no outputs and ran nowhere.
  BatchInputs in = ionflux::testing::equivalence_batch(1e-8, 1e-8);
  in.run.mesh = MeshSpec{8, 5, 7, 6, 9};
  in.run.t_end = 1200.0;
  struct CancelSink : ionflux::testing::CollectSink {
    std::atomic<bool> cancel{false};
    void write_chunk(const ChunkData& c) override {
      CollectSink::write_chunk(c);
      cancel = true;
    }
  } sink;
  EmulatedDevice emulated;
  BatchOptions o;
  o.device = Device::cuda;
  o.threads = 2;
  o.max_chunk_cells = 12;
  o.gpu_handoff_cells = 4;
  o.cancel = &sink.cancel;
  const BatchSummary sum = run_batch(in, o, &sink);
  EXPECT_TRUE(sum.cancelled);
  EXPECT_EQ(sum.chunks, 2u);
  EXPECT_EQ(sink.all.n, 24u);
  std::size_t not_run = 0, finished_by_cpu = 0;
  for (std::size_t c = 0; c < sink.all.n; ++c) {
    EXPECT_NE(sink.all.status[c], static_cast<int>(CellStatus::running)) << "cell " << c;
    finished_by_cpu += sink.all.device[c] == kRanOnGpuThenCpu;
    if (sink.all.status[c] != kStatusNotRun) continue;
    ++not_run;
    EXPECT_GE(c, 12u) << "the first chunk finished before the cancellation";
    EXPECT_EQ(sink.all.count[c], 0u) << "cell " << c;
    EXPECT_EQ(sink.all.device[c], kRanNowhere) << "cell " << c;
  }
  // the second chunk's handed cells (1 to 4: the threshold) were not run; every other
  // handed cell was finished by the CPU
  EXPECT_GE(not_run, 1u);
  EXPECT_LE(not_run, 4u);
  EXPECT_EQ(sum.handed_to_cpu, finished_by_cpu + not_run);
  EXPECT_EQ(sum.not_run, not_run + (in.cells.size() - 24)) << "and the cells of the chunks never started";
}
