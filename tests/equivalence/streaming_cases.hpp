// Batches and checks shared by the streaming tests on the emulated device
// (tests/integration/test_streaming.cpp) and on a real one (tests/gpu/test_cuda_streaming.cpp).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "solver/problem/batch.hpp"
#include "solver/inputs/experiment.hpp"
#include "solver/inputs/parameters.hpp"
#include "solver/problem/simulation.hpp"

namespace ionflux {
namespace testing {

//! 30 Chen2020 cells on a coarse mesh, each with its own protocol: most a 1C discharge
//! of 10 s, every sixth eight 1C CC-rest-CC-CV cycles: their costs (solver steps)
//! differ more than 100x (checked below); cell 7 invalid, cell 13 a NaN conductivity
//! (its initialisation fails).
inline BatchInputs mixed_cost_batch() {
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const Experiment cheap = parse_experiment({"Discharge at 1C for 10 seconds"}, ps);
  const Experiment dear = parse_experiment(
      {{"Discharge at 1C until 3.2 V", "Rest for 10 minutes", "Charge at 1C until 4.1 V", "Hold at 4.1 V until C/50"}},
      8, ps);
  BatchInputs in;
  for (int c = 0; c < 30; ++c) {
    const Experiment& ex = c % 6 == 2 ? dear : cheap;
    in.protocol_first.push_back(static_cast<int>(in.protocol_steps.size()));
    in.protocol_count.push_back(static_cast<int>(ex.steps.size()));
    in.protocol_steps.insert(in.protocol_steps.end(), ex.steps.begin(), ex.steps.end());
    in.protocol_text.insert(in.protocol_text.end(), ex.text.begin(), ex.text.end());
    CellParams cell = ps.cell_params(5.0);
    if (c == 13) {
      cell.pos.conductivity = std::numeric_limits<double>::quiet_NaN();
      derive(cell);
    }
    in.cells.push_back(cell);
    in.pre_status.push_back(c == 7 ? CellStatus::invalid_input : CellStatus::running);
    in.pre_message.push_back(c == 7 ? "invalid value for this cell (test)" : "");
    in.t_end.push_back(default_end_time(cell, ex.steps));
  }
  in.run.mesh = MeshSpec{8, 5, 7, 6, 9};
  in.run.solver.rtol = in.run.solver.atol = 1e-10;
  in.run.t_end = *std::max_element(in.t_end.begin(), in.t_end.end());
  in.run.period = 60.0;
  return in;
}

//! Two runs of the same road bit for bit equal (statuses, outputs, summaries).
inline void expect_identical(const ChunkData& a, const ChunkData& b) {
  ASSERT_EQ(a.n, b.n);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.count, b.count);
  EXPECT_EQ(a.device, b.device);
  auto same = [](const std::vector<double>& x, const std::vector<double>& y, const char* what) {
    ASSERT_EQ(x.size(), y.size()) << what;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!(std::isnan(x[i]) && std::isnan(y[i]))) ASSERT_EQ(x[i], y[i]) << what << " " << i;
  };
  same(a.time, b.time, "time");
  same(a.voltage, b.voltage, "voltage");
  same(a.current, b.current, "current");
  same(a.capacity, b.capacity, "capacity");
  same(a.temperature, b.temperature, "temperature");
  same(a.step_index, b.step_index, "step index");
  same(a.end_time, b.end_time, "end time");
  same(a.discharge_capacity, b.discharge_capacity, "discharge capacity");
  same(a.step_end, b.step_end, "step ends");
  same(a.step_capacity, b.step_capacity, "step capacities");
}

inline std::size_t valid_cells(const BatchInputs& in) {
  return static_cast<std::size_t>(
      std::count(in.pre_status.begin(), in.pre_status.end(), CellStatus::running));
}

}  // namespace testing
}  // namespace ionflux
