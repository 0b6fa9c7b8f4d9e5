// The one CPU-vs-other-backend comparison of two runs of the same batch, used by the
// CUDA equivalence tests (tests/gpu) and the emulated hand-off tests (tests/integration).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "solver/problem/batch.hpp"

namespace ionflux {
namespace testing {

//! Statuses, messages and output counts equal; times, voltages, currents, temperatures,
//! step indices and every per-cell and per-step summary within 1e-7 relative (NaN where
//! the other is NaN); the currents within `current_rel` relative (default the same 1e-7;
//! a caller with voltage-controlled steps may justify more: there the current is an
//! unknown of the solve, see tests/equivalence/cycle_cases.hpp; the per-cell and per-step
//! summaries, step times included, take the currents' bound); the output times within
//! `time_rel` relative (default the same 1e-7; a caller whose steps end at ill-conditioned
//! events may justify more: cycle_cases.hpp, kAgeingTimeRel). Returns the largest relative
//! voltage difference.
inline double compare_chunks(const ChunkData& cpu, const ChunkData& gpu, double current_rel = 1e-7,
                             double time_rel = 1e-7) {
  EXPECT_EQ(cpu.n, gpu.n);
  double worst = 0.0;
  for (std::size_t c = 0; c < cpu.n && c < gpu.n; ++c) {
    EXPECT_EQ(cpu.status[c], gpu.status[c]) << "cell " << c;
    EXPECT_EQ(cpu.message[c], gpu.message[c]) << "cell " << c;
    EXPECT_EQ(cpu.steps[c] > 0, gpu.steps[c] > 0) << "cell " << c;
    EXPECT_EQ(cpu.count[c], gpu.count[c]) << "cell " << c;
    for (std::size_t k = 0; k < cpu.count[c] && k < gpu.count[c]; ++k) {
      const std::size_t a = cpu.offset[c] + k, b = gpu.offset[c] + k;
      EXPECT_NEAR(cpu.time[a], gpu.time[b], time_rel * std::fabs(cpu.time[a]) + 1e-12) << "cell " << c << " output " << k;
      worst = std::max(worst, std::fabs(cpu.voltage[a] - gpu.voltage[b]) / std::fabs(cpu.voltage[a]));
      EXPECT_LE(std::fabs(cpu.voltage[a] - gpu.voltage[b]), 1e-7 * std::fabs(cpu.voltage[a]))
          << "cell " << c << " output " << k;
      EXPECT_NEAR(cpu.current[a], gpu.current[b], current_rel * std::fabs(cpu.current[a]) + 1e-9) << "cell " << c;
      if (!cpu.temperature.empty()) {
        EXPECT_NEAR(cpu.temperature[a], gpu.temperature[b], 1e-7 * cpu.temperature[a]) << "cell " << c;
        EXPECT_EQ(cpu.step_index[a], gpu.step_index[b]) << "cell " << c << " output " << k;
      }
    }
  }
  const std::pair<const std::vector<double>*, const std::vector<double>*> sums[] = {
      {&cpu.end_time, &gpu.end_time},
      {&cpu.discharge_capacity, &gpu.discharge_capacity},
      {&cpu.charge_capacity, &gpu.charge_capacity},
      {&cpu.energy, &gpu.energy},
      {&cpu.mean_voltage, &gpu.mean_voltage},
      {&cpu.step_start, &gpu.step_start},
      {&cpu.step_end, &gpu.step_end},
      {&cpu.step_capacity, &gpu.step_capacity},
      {&cpu.step_energy, &gpu.step_energy},
      {&cpu.step_discharge_capacity, &gpu.step_discharge_capacity},
      {&cpu.step_charge_capacity, &gpu.step_charge_capacity},
      {&cpu.step_discharge_energy, &gpu.step_discharge_energy},
      {&cpu.step_charge_energy, &gpu.step_charge_energy}};
  // how each step ended: the same on both roads (NaN where not reached)
  EXPECT_EQ(cpu.step_end_code.size(), gpu.step_end_code.size());
  for (std::size_t k = 0; k < cpu.step_end_code.size() && k < gpu.step_end_code.size(); ++k) {
    const double a = cpu.step_end_code[k], b = gpu.step_end_code[k];
    EXPECT_TRUE(a == b || (std::isnan(a) && std::isnan(b))) << "step end code " << k << ": " << a << " vs " << b;
  }
  for (const auto& pr : sums) {
    EXPECT_EQ(pr.first->size(), pr.second->size());
    for (std::size_t k = 0; k < pr.first->size() && k < pr.second->size(); ++k) {
      const double a = (*pr.first)[k], b = (*pr.second)[k];
      EXPECT_EQ(std::isnan(a), std::isnan(b)) << k;
      // step capacities and energies integrate the current: the current's bound
      if (!std::isnan(a)) EXPECT_NEAR(a, b, current_rel * std::fabs(a) + 1e-12) << k;
    }
  }
  return worst;
}

}  // namespace testing
}  // namespace ionflux
