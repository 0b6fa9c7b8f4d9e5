// Experiment benchmark: per-cell wall time of a CC-rest-CC-CV cycle and of the US06
// drive cycle (from 90 % SOC), Chen2020, default mesh, rtol 1e-6, atol 1e-8, one core,
// and in the same run PyBaMM's IDAKLU solve of the same experiment (benchmarks/
// pybamm_experiment.py) when pybamm is importable. Prints both and the ratio; the
// batched (all cores) cells per second follow. GPU throughput: benchmarks/gpu_check.sh.
//
//   build/benchmarks/bench_experiment [--repeats N] [--cells N] [--no-pybamm]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "peer.hpp"
#include "solver/problem/batch.hpp"
#include "solver/inputs/experiment.hpp"
#include "solver/inputs/parameters.hpp"
#include "solver/problem/problem.hpp"
#include "solver/problem/simulation.hpp"

using namespace ionflux;

using bench::json_number;
using bench::median;

int main(int argc, char** argv) {
  int repeats = 10, cells = 200;
  bool pybamm = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--repeats" && i + 1 < argc) repeats = std::atoi(argv[++i]);
    else if (a == "--cells" && i + 1 < argc) cells = std::atoi(argv[++i]);
    else if (a == "--no-pybamm") pybamm = false;
  }
  const std::string us06 = std::string(IONFLUX_SHARED_DIR) + "/reference-data/drive_cycles/US06.csv";
  const ParameterSet ps = ParameterSet::load("Chen2020");
  struct Case {
    const char* name;
    std::vector<std::string> steps;
    double soc;
  } cases[] = {{"cccv",
                {"Discharge at 1C until 2.5 V", "Rest for 1 hour", "Charge at 1C until 4.2 V",
                 "Hold at 4.2 V until C/50"},
                -1.0},
               {"us06", {"Discharge with current from " + us06}, 0.9}};
  for (const Case& cs : cases) {
    const Experiment ex = parse_experiment(cs.steps, ps);
    // the one recipe (solver/problem/problem.hpp); t_end below as the PyBaMM script's
    CellParams cell = build_cell(ps, 5.0, false, cs.soc >= 0 ? std::optional<double>(cs.soc) : std::nullopt);
    RunOptions ro;
    ro.steps = ex.steps;
    ro.tables = ex.tables;
    ro.t_end = default_end_time(5.0, ex.steps);
    ro.period = 10.0;
    Solution s = simulate(cell, ro);
    std::vector<double> ms;
    for (int r = 0; r < repeats; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      s = simulate(cell, ro);
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    const double ours = median(ms);
    std::printf("[%s] ionflux (CPU, 1 core): median %.3f ms per cell, end %.3f s (%s), %d steps\n", cs.name, ours,
                s.end_time, cell_status_name(s.status), s.stats.steps);
    if (pybamm && bench::pybamm_available()) {
      char cmd[1024];
      std::snprintf(cmd, sizeof cmd, "python3 %s/pybamm_experiment.py --case %s --repeats %d --us06 %s",
                    IONFLUX_BENCH_DIR, cs.name, std::max(3, repeats / 2), us06.c_str());
      const std::string out = bench::run_capture(cmd);
      const double theirs = json_number(out, "median_ms");
      if (std::isfinite(theirs))
        std::printf("[%s] PyBaMM IDAKLU (same run): median %.3f ms, end %.3f s -> ionflux %.1fx faster\n", cs.name,
                    theirs, json_number(out, "t_end_s"), theirs / ours);
      else
        std::printf("[%s] PyBaMM run failed:\n%s\n", cs.name, out.c_str());
    }
    // batched: all cores
    BatchInputs in;
    in.run = ro;
    for (int c = 0; c < cells; ++c) {
      in.cells.push_back(cell);
      in.pre_status.push_back(CellStatus::running);
      in.pre_message.emplace_back();
    }
    BatchOptions o;
    o.device = Device::cpu;
    const BatchSummary b = run_batch(in, o, nullptr);
    std::printf("[%s] ionflux batch of %d cells on %s: %.2f s, %.1f cells/s\n", cs.name, cells,
                b.device_description.c_str(), b.wall_time, cells / b.wall_time);
  }
  return 0;
}
