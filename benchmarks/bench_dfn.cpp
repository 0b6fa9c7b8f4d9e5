// Single-cell DFN benchmark: Chen2020 (or --set NAME, any shipped set), 1C
// constant-current discharge to the lower voltage cut-off, PyBaMM's default mesh (20/20/20, 20/20), rtol 1e-6, atol 1e-8 (with
// PyBaMM's variable scalings, so the tolerances mean the same in both codes).
// Times >= 20 solves on one core and, in the same run, PyBaMM's IDAKLU solve of the
// same case through benchmarks/pybamm_dfn.py when pybamm is importable. Prints both
// medians and the ratio, plus steps, Newton iterations and Jacobian factorisations.
//
//   build/benchmarks/bench_dfn [--set NAME] [--soc S] [--repeats N] [--c-rate X] [--rtol R] [--atol A]
//                              [--no-pybamm]
// --soc starts both codes from that state of charge (PyBaMM's set_initial_state), for
// sets whose own initial state is not charged (Mohtat2020).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "peer.hpp"
#include "solver/inputs/parameters.hpp"
#include "solver/problem/problem.hpp"
#include "solver/problem/simulation.hpp"

using namespace ionflux;

using bench::json_number;
using bench::median;

int main(int argc, char** argv) {
  int repeats = 20;
  double c_rate = 1.0, rtol = 1e-6, atol = 1e-8, soc = -1.0;
  std::string set = "Chen2020";
  bool run_pybamm = true;
  const SolverOptions defaults;
  int setup_every = defaults.max_steps_between_setups, newton_iters = defaults.max_newton_iters,
      full_retry = defaults.full_newton_retry;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "error: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--repeats") repeats = std::atoi(next());
    else if (a == "--set") set = next();
    else if (a == "--soc") soc = std::atof(next());
    else if (a == "--c-rate") c_rate = std::atof(next());
    else if (a == "--rtol") rtol = std::atof(next());
    else if (a == "--atol") atol = std::atof(next());
    else if (a == "--no-pybamm") run_pybamm = false;
    else if (a == "--setup-every") setup_every = std::atoi(next());  // SolverOptions::max_steps_between_setups
    else if (a == "--newton-iters") newton_iters = std::atoi(next());  // SolverOptions::max_newton_iters
    else if (a == "--full-retry") full_retry = std::atoi(next());      // SolverOptions::full_newton_retry
    else {
      std::fprintf(stderr, "usage: bench_dfn [--set NAME] [--soc S] [--repeats N] [--c-rate X] [--rtol R] [--atol A] "
                           "[--no-pybamm] [--setup-every N] [--newton-iters N] [--full-retry 0|1]\n");
      return 2;
    }
  }
  if (repeats < 1) repeats = 1;

  const ParameterSet ps = ParameterSet::load(set);
  const double q = ps.get("Nominal cell capacity [A.h]");
  // the one recipe (solver/problem/problem.hpp); t_end below as the PyBaMM script's
  CellParams cell = build_cell(ps, c_rate * q, false, soc >= 0.0 ? std::optional<double>(soc) : std::nullopt);
  RunOptions opt;
  opt.solver.rtol = rtol;
  opt.solver.atol = atol;
  opt.solver.max_steps_between_setups = setup_every;
  opt.solver.max_newton_iters = newton_iters;
  opt.solver.full_newton_retry = full_retry;
  opt.t_end = 1.5 * 3600.0 / c_rate;  // as the PyBaMM script's t_eval
  opt.period = 10.0;

  Solution sol = simulate(cell, opt);  // warm-up
  std::vector<double> ms;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    sol = simulate(cell, opt);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  const double med = median(ms), mn = *std::min_element(ms.begin(), ms.end());
  std::printf("Case: DFN %s %gC discharge to %g V, mesh 20/20/20 r 20/20 (%d unknowns), rtol %g atol %g\n",
              set.c_str(), c_rate, cell.v_min, sol.layout.n_state, rtol, atol);
  std::printf("ionflux (CPU, 1 core): median %.3f ms, min %.3f ms over %d solves; end %.3f s at %.6f V (%s)\n", med,
              mn, repeats, sol.end_time, sol.voltage.back(), cell_status_name(sol.status));
  std::printf("  per solve: %d steps, %d Newton iterations, %d Jacobian factorisations, %d residual evaluations, "
              "%d error-test failures\n",
              sol.stats.steps, sol.stats.newton_iters, sol.stats.jacobian_setups, sol.stats.residual_evals,
              sol.stats.error_test_failures);

  if (run_pybamm && bench::pybamm_available()) {
    char cmd[512];
    std::snprintf(cmd, sizeof cmd,
                  "python3 %s/pybamm_dfn.py --json --set %s --soc %g --repeats %d --c-rate %g --rtol %g --atol %g",
                  IONFLUX_BENCH_DIR, set.c_str(), soc, repeats, c_rate, rtol, atol);
    const std::string out = bench::run_capture(cmd);
    const double pb_med = json_number(out, "median_ms"), pb_min = json_number(out, "min_ms");
    if (std::isfinite(pb_med) && std::isfinite(pb_min)) {
      const double pb_steps = json_number(out, "steps"), pb_nni = json_number(out, "nonlinear_iterations");
      const double pb_setups = json_number(out, "linear_solver_setups"), pb_tend = json_number(out, "t_end_s");
      std::printf("PyBaMM IDAKLU (same run, 1 core): median %.3f ms, min %.3f ms; end %.3f s; %g steps, %g Newton "
                  "iterations, %g Jacobian factorisations\n",
                  pb_med, pb_min, pb_tend, pb_steps, pb_nni, pb_setups);
      std::printf("Speed-up (PyBaMM median / ionflux median): %.1fx\n", pb_med / med);
    } else {
      std::printf("PyBaMM run failed; output:\n%s\n", out.c_str());
    }
  } else if (run_pybamm) {
    std::printf("PyBaMM not importable (pip install pybamm==26.10.1.1): peer skipped\n");
  } else {
    std::printf("PyBaMM: skipped (--no-pybamm)\n");
  }
  return 0;
}
