// CPU sweep throughput: a Chen2020 1C sweep over "Negative particle diffusivity
// [m2.s-1]" (log-spaced 1e-14..1e-13, a parameter PyBaMM can take as an input), default
// mesh, rtol 1e-6, atol 1e-8, run by ionflux's OpenMP launcher with 1, 2 (and all)
// threads and, in the same run, by PyBaMM's IDAKLU group solver with the same thread
// counts (benchmarks/pybamm_sweep.py) when pybamm is importable. Prints cells per
// second and the ratio.
//
//   build/benchmarks/bench_sweep [--cells N] [--no-pybamm]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "peer.hpp"
#include "solver/problem/batch.hpp"
#include "solver/inputs/parameters.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

using namespace ionflux;

using bench::json_number;

int main(int argc, char** argv) {
  int cells = 1000;
  bool pybamm = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--cells" && i + 1 < argc) cells = std::atoi(argv[++i]);
    else if (a == "--no-pybamm") pybamm = false;
    else {
      std::fprintf(stderr, "usage: bench_sweep [--cells N] [--no-pybamm]\n");
      return 2;
    }
  }
  const BatchInputs in = bench::diffusivity_sweep(ParameterSet::load("Chen2020"), cells, 5.0, 10.0);
  int max_threads = 1;
#ifdef _OPENMP
  max_threads = omp_get_max_threads();
#endif
  std::vector<int> counts = {1};
  if (max_threads >= 2) counts.push_back(2);
  if (max_threads > 2) counts.push_back(max_threads);
  std::printf("Case: %d Chen2020 1C discharges (D_s,n log-spaced 1e-14..1e-13), mesh 20/20/20 r 20/20, rtol 1e-6 "
              "atol 1e-8\n",
              cells);
  for (int t : counts) {
    BatchOptions o;
    o.device = Device::cpu;
    o.threads = t;
    const BatchSummary s = run_batch(in, o, nullptr);
    const double ours = cells / s.wall_time;
    std::printf("ionflux CPU, %d thread%s: %.3f s, %.1f cells/s (%zu bytes per cell)\n", t, t > 1 ? "s" : "",
                s.wall_time, ours, s.bytes_per_cell);
    if (pybamm && bench::pybamm_available()) {
      char cmd[512];
      std::snprintf(cmd, sizeof cmd, "python3 %s/pybamm_sweep.py --cells %d --threads %d", IONFLUX_BENCH_DIR, cells,
                    t);
      const std::string out = bench::run_capture(cmd);
      const double theirs = json_number(out, "cells_per_s");
      if (std::isfinite(theirs))
        std::printf("PyBaMM IDAKLU, %d thread%s (same run): %.3f s, %.1f cells/s -> ionflux/PyBaMM %.1fx\n", t,
                    t > 1 ? "s" : "", json_number(out, "wall_s"), theirs, ours / theirs);
      else
        std::printf("PyBaMM run failed:\n%s\n", out.c_str());
    }
  }
  return 0;
}
