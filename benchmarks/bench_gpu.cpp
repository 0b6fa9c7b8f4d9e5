// GPU throughput: Chen2020 1C discharges to the cut-off (D_s,n log-spaced 1e-14..1e-13
// so that cells differ), default mesh, rtol 1e-6, atol 1e-8, for 10^2 ... 10^5 cells
// (10^6 with --max 1000000), one thread per cell. Prints cells, wall time, discharges
// per second, bytes per cell and a bandwidth-bound estimate: the bytes one BDF step
// moves per cell (about 40 passes over the state vector plus one residual's and one
// solve's worth of the factor storage) times the steps taken, at the device's peak
// memory bandwidth (--bandwidth GB/s, default 3350 for an H100 SXM).
//
//   build/benchmarks/bench_gpu [--min N] [--max N] [--bandwidth GBPS] [--steps-per-launch S] [--no-cycle]
// (--min/--max: the first and last batch size of the x10 ladder; --no-cycle skips the
// CC-rest-CC-CV table, e.g. under a profiler)
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "kernels/model/cell_solver.hpp"
#include "solver/problem/batch.hpp"
#include "solver/inputs/experiment.hpp"
#include "solver/inputs/parameters.hpp"
#include "peer.hpp"

using namespace ionflux;

int main(int argc, char** argv) {
  long min_cells = 100, max_cells = 100000;
  bool cycle_table = true;
  double bandwidth = 3350.0;
  int spl = 64;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : "";
    if (a == "--no-cycle") cycle_table = false;
    else if (a == "--min") min_cells = std::atol(v), ++i;
    else if (a == "--max") max_cells = std::atol(v), ++i;
    else if (a == "--bandwidth") bandwidth = std::atof(v), ++i;
    else if (a == "--steps-per-launch") spl = std::atoi(v), ++i;
    else {
      std::fprintf(stderr, "bench_gpu: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (!cuda_available()) {
    std::printf("no usable CUDA device: %s\n", cuda_device_description().c_str());
    return 0;
  }
  std::printf("device: %s\n", cuda_device_description().c_str());
  std::printf("%10s %10s %14s %14s %12s %18s\n", "cells", "wall [s]", "discharges/s", "bytes/cell", "steps/cell",
              "bw-bound disch/s");
  ParameterSet ps = ParameterSet::load("Chen2020");
  // second table: a CC-rest-CC-CV cycle per cell (the experiment benchmark's case)
  const Experiment cccv = parse_experiment(
      std::vector<std::string>{"Discharge at 1C until 2.5 V", "Rest for 1 hour", "Charge at 1C until 4.2 V",
                               "Hold at 4.2 V until C/50"},
      ps);
  for (int table = 0; table < (cycle_table ? 2 : 1); ++table) {
  if (table == 1) {
    std::printf("\nCC-rest-CC-CV cycle per cell:\n%10s %10s %14s %14s %12s %18s\n", "cells", "wall [s]", "cycles/s",
                "bytes/cell", "steps/cell", "bw-bound cycles/s");
  }
  for (long n = min_cells; n <= max_cells; n *= 10) {
    BatchInputs in = bench::diffusivity_sweep(ps, n, 5.0, 60.0);
    if (table == 1) {
      in.run.steps = cccv.steps;
      in.run.tables = cccv.tables;
      in.run.t_end = default_end_time(5.0, cccv.steps);
    }
    BatchOptions o;
    o.device = Device::cuda;
    o.steps_per_launch = spl;
    double steps = 0.0;
    struct StepSink : ChunkSink {
      double* total;
      void write_chunk(const ChunkData& c) override {
        for (int s : c.steps) *total += s;
      }
    } sink;
    sink.total = &steps;
    const BatchSummary s = run_batch(in, o, &sink);
    const Layout l = Layout::make(in.run.mesh);
    const double per_step = 8.0 * (40.0 * l.n_state + 2.0 * l.jac_size);
    const double bw_rate = bandwidth * 1e9 / (per_step * steps / n);
    std::printf("%10ld %10.3f %14.1f %14zu %12.1f %18.1f\n", n, s.wall_time, n / s.wall_time, s.bytes_per_cell,
                steps / n, bw_rate);
  }
  }
  return 0;
}
