// Cycling sweeps whose per-cycle summary variables (PyBaMM's names, solver/output/summary.hpp)
// are compared between the CPU threads and the device engine, written once and run on
// each backend: tests/integration/test_summary_variables.cpp and
// tests/integration/test_ageing_emulated.cpp on the host emulation of the device,
// tests/gpu/test_cuda_summary_variables.cpp and tests/gpu/test_cuda_ageing.cpp on CUDA.
// No fixture files: the ageing sweep's config is written here (a packed build runs these
// on a lent GPU machine, where the source tree's examples/ may not be).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "solver/inputs/experiment.hpp"
#include "solver/inputs/parameters.hpp"
#include "solver/inputs/sweep.hpp"
#include "solver/output/h5_writer.hpp"
#include "solver/output/results.hpp"
#include "solver/problem/batch.hpp"
#include "solver/problem/sweep_plan.hpp"
#include "tests/equivalence/compare_chunks.hpp"

namespace ionflux {
namespace testing {

//! A batch with a protocol, and what a sink needs to reduce its steps to cycles.
struct CycleBatch {
  BatchInputs in;
  int n_steps = 0;              //!< steps per cell (the longest protocol)
  std::vector<int> step_cycle;  //!< the cycle of each step index
  bool temperature = false;     //!< the sink keeps the per-output temperature and step
};

//! 4 Chen2020 cells (records built at 2.5, 5, 7.5 and 10 A; the steps set the current)
//! through 2 x (1C discharge to 3.0 V, 5 min rest, 1C charge to 4.1 V, hold at 4.1 V to
//! C/5) on a coarse mesh (6/4/6, r 6/6), outputs every 60 s, the default tolerances.
inline CycleBatch chen2020_cc_cv_batch() {
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const Experiment ex = parse_experiment(
      {{"Discharge at 1C until 3.0 V", "Rest for 5 minutes", "Charge at 1C until 4.1 V", "Hold at 4.1 V until C/5"}}, 2,
      ps);
  CycleBatch b;
  for (double i : {2.5, 5.0, 7.5, 10.0}) {
    b.in.cells.push_back(ps.cell_params(i));
    b.in.pre_status.push_back(CellStatus::running);
    b.in.pre_message.emplace_back();
  }
  b.in.run.mesh = MeshSpec{6, 4, 6, 6, 6};
  b.in.run.steps = ex.steps;
  b.in.run.tables = ex.tables;
  b.in.run.t_end = 40000.0;
  b.in.run.period = 60.0;
  b.n_steps = static_cast<int>(ex.steps.size());
  for (const StepSpec& s : ex.steps) b.step_cycle.push_back(s.cycle);
  return b;
}

//! A sweep config planned as `ionflux sweep` plans it (plan_sweep), with the file
//! description's steps and cycles (sweep_file_info: what the HDF5 file and the memory
//! sink get).
inline CycleBatch planned_cycle_batch(const std::string& config) {
  const SweepSpec spec = parse_sweep_config(config, "test config");
  const SweepPlan plan = plan_sweep(spec);
  const SweepFileInfo info = sweep_file_info(spec, plan);
  CycleBatch b;
  b.in = plan.inputs;
  b.n_steps = info.n_steps;
  b.step_cycle = info.step_cycle;
  b.temperature = info.temperature;
  return b;
}

//! The ageing sweep in small (benchmarks/gpu_check.sh's `ageing` step runs the full
//! cycles at 1,000 cells): OKane2022 with SEI "solvent-diffusion limited" (distributed
//! film), "SEI porosity change" and "partially reversible" plating; 4 cells, zipped: SEI
//! solvent diffusivity 1e-22 .. 1e-21 m2/s, plating kinetic rate 1e-10 .. 1e-9 m/s and the
//! C-rate of the discharge 0.5C .. 1.4C (a step placeholder); 3 short CC-CV cycles (a
//! 10-minute discharge, 1C charge to 4.2 V, hold at 4.2 V to C/5: plating on every charge)
//! on a coarse mesh (4/3/4, r 6/6, as test_degradation's conservation tests), outputs every
//! 60 s. `lumped`: PyBaMM's lumped thermal model too. `rtol`, `atol`: the integrator's.
inline std::string ageing_sweep_config(bool lumped, double rtol, double atol) {
  char solver[96];
  std::snprintf(solver, sizeof solver, R"({"rtol": %.17g, "atol": %.17g})", rtol, atol);
  return std::string(R"({"parameters": "OKane2022",
    "options": {"SEI": "solvent-diffusion limited", "SEI porosity change": "true",
                "lithium plating": "partially reversible"},
    "mesh": {"x_n": 4, "x_s": 3, "x_p": 4, "r_n": 6, "r_p": 6},
    "solver": )") +
         solver + R"(,
    "period": 60,
    "thermal": ")" + (lumped ? "lumped" : "isothermal") + R"(",
    "experiment": [["Discharge at {C-rate of ageing discharge}C for 10 minutes", "Charge at 1C until 4.2 V",
                    "Hold at 4.2 V until C/5"]],
    "cycles": 3,
    "vary": {"SEI solvent diffusivity [m2.s-1]": [1e-22, 2.5e-22, 5e-22, 1e-21],
             "Lithium plating kinetic rate constant [m.s-1]": [1e-10, 2e-10, 5e-10, 1e-9],
             "C-rate of ageing discharge": [0.5, 0.8, 1.1, 1.4]},
    "combine": "zip"})";
}

//! The ageing sweep's tolerances in the device-vs-CPU tests: rtol = atol = 1e-10, as
//! DegradationEmulatedGpu (test_degradation.cpp) and test_cuda_lhs, so that round-off,
//! not the tolerance, sets the difference between the two roads (it does not quite: the
//! roads' step sequences still part, kAgeingTimeRel says what follows). Measured on the emulated
//! device: at rtol 1e-6 / atol 1e-8 a step accepted on one road and refused on the other
//! moves the voltages by up to 2e-5 and the summary variables by up to 6e-4 relative; at
//! atol 1e-6 (rtol 1e-10) still 2e-5 and 3e-3 (the plated lithium starts at 0, where atol
//! rules). Printed: the BDF steps per cell at 1e-10, 1e4 .. 3e4 (OKane2022 takes many: its
//! 1C discharge alone ~3,400 steps on this mesh at the default tolerances, Chen2020's ~350;
//! its negative OCP is a 248-point cubic table).
constexpr double kAgeingRtol = 1e-10, kAgeingAtol = 1e-10;
//! Absolute floor of the summary-variable comparison (values that are 0 on both roads).
constexpr double kSummaryFloor = 1e-12;
//! The currents' bound in the device-vs-CPU comparison of a protocol with CV holds: in a
//! hold the current is the unknown that makes V(state, I) = V_hold, I ~ (U(state) - V_hold)
//! / R, a difference of two voltages near 4.2 V that differ by I R ~ 0.02-0.1 V, so the
//! state's round-off-level difference (the voltages' 1e-7 bound) reaches the current
//! amplified by V / (I R) ~ 40-200. Measured on the emulated device at rtol = atol = 1e-10:
//! 3.3e-7 relative at most (at the end of a hold); bound 1e-6, 10x the voltages'.
constexpr double kHoldCurrentRel = 1e-6;
//! The ageing sweep's times and currents when a hold's end moves (test_ageing_emulated,
//! test_cuda_ageing). The two roads do not take the same steps: round-off moves an
//! error test's verdict and from then on each road has its own step sequence (the steps
//! per cell differ by up to 35 %, e.g. 7,742 vs 10,674), so their states differ by the
//! difference of two global errors at rtol = atol = 1e-10, not by round-off (the CPU at
//! 1e-10 against itself at 1e-12: up to 3e-8 in the voltages). The holds end at |I| = C/5,
//! an event located on each road's own current: a current difference dI / I (within
//! kHoldCurrentRel, above) moves the event by dt = (dI / I) tau_end, tau_end = |I / (dI/dt)|
//! at the crossing, and every later output of the cell sits dt later in its step on one road
//! than on the other. At a fixed output time t the current of a later hold then differs by
//! |dI/dt| dt = (dt / tau(t)) |I|, tau(t) = |I / (dI/dt)| there, shortest right after the
//! switch from the constant-current charge.
//! Measured on the CPU road (outputs every 0.25 s; isothermal and lumped, the sweep's
//! C-rates 0.5-1.4 and 0.4-1.3: 16 cells, 3 holds each): tau_end 405-1123 s, tau in a
//! hold 34 s at the least (at its start), the k-th hold ends after k x 928 s or more.
//! Bounds: one hold moves the event by at most kHoldCurrentRel x 1150 s = 1.15e-3 s; the
//! k-th hold's end, k shifts or fewer at k x 925 s or later: times within 1.15e-3 / 925 =
//! 1.24e-6 relative; a current in the second or third hold, at most two shifts:
//! kHoldCurrentRel + 2 x 1.15e-3 s / 33 s = 7.1e-5 relative.
//! Measured (emulated device, teams 32 and 1, lumped thermal, the same 4 samples of cells
//! on main and with the BDF lanes and polynomial exp): event shifts of 1e-5 s typically,
//! 1.9e-4 to 3.4e-4 s (1.6e-7 to 1.7e-7 relative) where one road's step sequence took
//! ~2,500 more steps; hold currents up to 7.8e-6 relative (2.7 s into a hold, after a
//! 3.4e-4 s shift); the voltages within their 1e-7 (9.2e-8 at most: a shift moves them by
//! |dV/dt| dt, |dV/dt| / V <= 1.5e-3 / s in the first seconds of a step, so an output that
//! falls within seconds of a moved step start may need more). The summary variables move
//! with the cycle's end (a hold's end): the cycle's time by dt, an ageing loss X by
//! (dX/dt) dt, less than X dt / t where X grows more slowly at the end of the hold than on
//! average; measured up to 2.2e-7 relative (the time column), so within kAgeingTimeRel.
constexpr double kHoldEndTau = 1150.0, kHoldStartTau = 33.0, kFirstHoldEnd = 925.0;  // s
constexpr double kHoldEndShift = kHoldCurrentRel * kHoldEndTau;                  // s
constexpr double kAgeingTimeRel = kHoldEndShift / kFirstHoldEnd;
constexpr double kAgeingCurrentRel = kHoldCurrentRel + 2.0 * kHoldEndShift / kHoldStartTau;

//! A run's results as the memory sink gathers them (the sweep's in-memory road).
struct CycleRun {
  ChunkData results;
  SummaryVariables variables;
};

inline CycleRun run_cycle_batch(const CycleBatch& b, const BatchOptions& o) {
  MemorySweepSink sink(b.in.size(), b.n_steps, b.step_cycle, b.temperature);
  run_batch(b.in, o, &sink);
  sink.close();
  return CycleRun{sink.results(), sink.cycles().variables};
}

//! Same columns, and every value of `other` within rel |cpu| + abs of the CPU's (no NaN
//! in the CPU's: every cell reached every cycle). A "Change in X" column is the difference
//! X(cycle k) - X(cycle k - 1) of two values that each may differ by rel |X|, so its bound
//! is rel (|X_k| + |X_k-1|) + abs, X_k-1 = X_k - change (the CPU's values): a cycle's change
//! can be far smaller than X (e.g. the lithium in an electrode, back where it started after
//! a cycle). Returns the largest difference relative to the bound's scale (where that
//! scale is above the floor abs / rel).
inline double compare_summary_variables(const SummaryVariables& cpu, const SummaryVariables& other, double rel,
                                        double abs) {
  EXPECT_EQ(cpu.names, other.names);
  EXPECT_EQ(cpu.n_cycles, other.n_cycles);
  double worst = 0.0;
  // a cycle the CPU did not reach (an experiment's termination ended the run before it) is
  // NaN in every column: so must the other road's be
  const std::vector<double>* reached = cpu.find("Time [s]");
  for (std::size_t j = 0; j < cpu.names.size() && j < other.names.size(); ++j) {
    const std::string& name = cpu.names[j];
    const std::vector<double>* base = nullptr;  // X of a "Change in X" column
    if (name.rfind("Change in ", 0) == 0) {
      std::string x = name.substr(10);
      x[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(x[0])));
      base = cpu.find(x);
      EXPECT_NE(base, nullptr) << name << ": no column " << x;
    }
    EXPECT_EQ(cpu.values[j].size(), other.values[j].size()) << name;
    for (std::size_t i = 0; i < cpu.values[j].size() && i < other.values[j].size(); ++i) {
      const double a = cpu.values[j][i], b = other.values[j][i];
      if (reached && i < reached->size() && std::isnan((*reached)[i])) {
        EXPECT_TRUE(std::isnan(b)) << name << " [" << i << "]: a cycle not reached";
        continue;
      }
      const double scale = base ? std::fabs((*base)[i]) + std::fabs((*base)[i] - a) : std::fabs(a);
      EXPECT_FALSE(std::isnan(a)) << name << " [" << i << "]";
      EXPECT_LE(std::fabs(a - b), rel * scale + abs) << name << " [" << i << "]: " << a << " vs " << b;
      if (rel * scale > abs) worst = std::max(worst, std::fabs(a - b) / scale);
    }
  }
  return worst;
}

//! The ageing sweep aged its cells: every cell finished its 3 cycles, lost capacity to
//! SEI and plating in each, more with each cycle, and the varied kinetics and C-rates
//! made the cells differ (so a comparison of devices compares four different cells).
inline void expect_ageing_happened(const CycleRun& r) {
  const SummaryVariables& sv = r.variables;
  ASSERT_EQ(sv.n, 4u);
  ASSERT_EQ(sv.n_cycles, 3u);
  for (std::size_t c = 0; c < sv.n; ++c) EXPECT_EQ(r.results.status[c], static_cast<int>(CellStatus::finished)) << c;
  const std::vector<double>* sei = sv.find("Loss of capacity to negative SEI [A.h]");
  const std::vector<double>* pl = sv.find("Loss of capacity to negative lithium plating [A.h]");
  const std::vector<double>* lli = sv.find("Loss of lithium inventory [%]");
  ASSERT_TRUE(sei && pl && lli);
  for (std::size_t c = 0; c < sv.n; ++c)
    for (std::size_t k = 0; k < sv.n_cycles; ++k) {
      const std::size_t i = c * sv.n_cycles + k;
      EXPECT_GT((*sei)[i], 0.0) << "cell " << c << ", cycle " << k;
      EXPECT_GT((*pl)[i], 0.0) << "cell " << c << ", cycle " << k;
      if (k > 0) EXPECT_GT((*lli)[i], (*lli)[i - 1]) << "cell " << c << ", cycle " << k;
    }
  for (std::size_t c = 1; c < sv.n; ++c)
    EXPECT_NE((*sei)[c * sv.n_cycles + 2], (*sei)[2]) << "cell " << c << " aged as cell 0";
}

//! The device engine (CUDA, or its host emulation when that is switched on) against the
//! CPU threads on the same batch, the device finishing every cell, with each team width
//! of `teams` (IONFLUX_GPU_TEAM: 32, a warp per cell, the default; 1, one thread per
//! cell): statuses, outputs and per-step records within compare_chunks' 1e-7 (currents:
//! current_rel; output times: time_rel), summary variables as compare_summary_variables(rel,
//! abs). Returns the CPU run.
inline CycleRun expect_device_equals_cpu(const CycleBatch& b, double rel, double abs,
                                         std::vector<const char*> teams = {"32", "1"}, double current_rel = 1e-7,
                                         double time_rel = 1e-7) {
  BatchOptions o;
  o.device = Device::cpu;
  o.threads = 2;
  CycleRun cpu = run_cycle_batch(b, o);
  for (signed char dev : cpu.results.device) EXPECT_EQ(dev, kRanOnCpu);
  std::printf("  BDF steps per cell on the CPU:");
  for (std::size_t c = 0; c < cpu.results.n; ++c) std::printf(" %d", cpu.results.steps[c]);
  std::printf("\n");
  o.device = Device::cuda;
  o.gpu_handoff_cells = 0;  // the device finishes every cell
  for (const char* team : teams) {
    SCOPED_TRACE(std::string("IONFLUX_GPU_TEAM=") + team);
    ::setenv("IONFLUX_GPU_TEAM", team, 1);
    const CycleRun dev = run_cycle_batch(b, o);
    ::unsetenv("IONFLUX_GPU_TEAM");
    for (signed char d : dev.results.device) EXPECT_EQ(d, kRanOnGpu);
    const double v = compare_chunks(cpu.results, dev.results, current_rel, time_rel);
    const double sv = compare_summary_variables(cpu.variables, dev.variables, rel, abs);
    std::printf("  team %s: largest relative difference of the voltages %.3g, of the summary variables %.3g\n", team,
                v, sv);
  }
  return cpu;
}

}  // namespace testing
}  // namespace ionflux
