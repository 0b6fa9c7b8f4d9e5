// CPU batches: a batch of N cells equals N separate single-cell solves, whatever the
// chunking and the thread count; cells that end at once or fail do not disturb the rest.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>

#include "solver/problem/batch.hpp"
#include "solver/util/errors.hpp"
#include "solver/problem/simulation.hpp"
#include "tests/equivalence/batch_cases.hpp"

namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)

using namespace ionflux;

namespace {

ionflux::testing::CollectSink run(const BatchInputs& in, int threads, std::size_t max_chunk) {
  BatchOptions o;
  o.device = Device::cpu;
  o.threads = threads;
  o.max_chunk_cells = max_chunk;
  ionflux::testing::CollectSink sink;
  run_batch(in, o, &sink);
  return sink;
}

}  // namespace

TEST(Batch, EqualsSingleCellSolves) {
  const BatchInputs in = ionflux::testing::equivalence_batch(1e-6, 1e-8);
  const ionflux::testing::CollectSink b = run(in, 2, 8);  // 37 cells in chunks of 8: 5 chunks, the last partial
  ASSERT_EQ(b.all.n, in.cells.size());
  double worst = 0.0;
  for (std::size_t c = 0; c < in.cells.size(); ++c) {
    if (in.pre_status[c] != CellStatus::running) {
      EXPECT_EQ(b.all.status[c], static_cast<int>(CellStatus::invalid_input));
      EXPECT_EQ(b.all.message[c], in.pre_message[c]);
      EXPECT_EQ(b.all.count[c], 0u) << "an invalid cell has no outputs";
      continue;
    }
    const Solution s = simulate(in.cells[c], in.run);
    EXPECT_EQ(b.all.status[c], static_cast<int>(s.status)) << "cell " << c;
    ASSERT_EQ(s.voltage.size(), b.all.count[c]) << "cell " << c;
    for (std::size_t k = 0; k < s.voltage.size(); ++k) {
      const std::size_t i = b.all.offset[c] + k;
      EXPECT_EQ(b.all.time[i], s.time[k]) << "cell " << c << " output " << k;
      const double rel = std::fabs(b.all.voltage[i] - s.voltage[k]) / std::fabs(s.voltage[k]);
      worst = std::max(worst, rel);
      EXPECT_LE(rel, 1e-12) << "cell " << c << " output " << k;
    }
    EXPECT_NEAR(b.all.end_time[c], s.end_time, 1e-12 * std::fabs(s.end_time) + 1e-300) << "cell " << c;
    if (cell_status_failed(s.status)) {  // both NaN (checked below)
      EXPECT_TRUE(std::isnan(b.all.energy[c]) && std::isnan(s.energy)) << "cell " << c;
      continue;
    }
    EXPECT_NEAR(b.all.energy[c], s.energy, 1e-12 * std::fabs(s.energy) + 1e-300) << "cell " << c;
    EXPECT_NEAR(b.all.discharge_capacity[c], s.discharge_capacity, 1e-12 * std::fabs(s.discharge_capacity))
        << "cell " << c;
  }
  // the special cells ended as designed
  EXPECT_EQ(b.all.status[5], static_cast<int>(CellStatus::cutoff_at_start));
  EXPECT_EQ(b.all.status[11], static_cast<int>(CellStatus::init_failure));
  EXPECT_EQ(b.all.status[0], static_cast<int>(CellStatus::cutoff_lower));
  // Failed cells' summaries are NaN, not 0 A.h / 0 W.h / the voltage at t = 0 (issue 10
  // item 3); the end time says where they stopped (t = 0 for both). The single-cell
  // solve reports the same.
  for (std::size_t c : {5u, 11u, 17u}) {
    EXPECT_TRUE(std::isnan(b.all.discharge_capacity[c])) << "cell " << c;
    EXPECT_TRUE(std::isnan(b.all.energy[c])) << "cell " << c;
    EXPECT_TRUE(std::isnan(b.all.mean_voltage[c])) << "cell " << c;
  }
  EXPECT_EQ(b.all.end_time[5], 0.0);
  EXPECT_TRUE(std::isnan(simulate(in.cells[5], in.run).discharge_capacity));
  EXPECT_TRUE(std::isfinite(b.all.energy[0]) && b.all.energy[0] > 0.0);
  EXPECT_TRUE(std::isfinite(b.all.mean_voltage[0]) && b.all.mean_voltage[0] > 3.0);
  std::cout << "  largest relative voltage difference batch vs single solves: " << worst << "\n";
}

TEST(Batch, UserFunctionCellsEqualSingleCellSolves) {
  // Tables and expressions in a batch: the same numbers as single solves of each cell.
  const BatchInputs in = ionflux::testing::user_function_batch(1e-6, 1e-8, IONFLUX_SHARED_DIR);
  const ionflux::testing::CollectSink b = run(in, 2, 4);
  ASSERT_EQ(b.all.n, in.cells.size());
  for (std::size_t c = 0; c < in.cells.size(); ++c) {
    const Solution s = simulate(in.cells[c], in.run);
    ASSERT_EQ(s.status, CellStatus::cutoff_lower) << "cell " << c << ": " << s.message;
    EXPECT_EQ(b.all.status[c], static_cast<int>(s.status)) << "cell " << c;
    ASSERT_EQ(b.all.count[c], s.voltage.size()) << "cell " << c;
    for (std::size_t k = 0; k < s.voltage.size(); ++k)
      EXPECT_EQ(b.all.voltage[b.all.offset[c] + k], s.voltage[k]) << "cell " << c << " output " << k;
  }
}

TEST(Batch, ChunkingAndThreadsDoNotChangeResults) {
  const BatchInputs in = ionflux::testing::equivalence_batch(1e-6, 1e-8);
  const ionflux::testing::CollectSink a = run(in, 1, 0);  // one chunk, one thread
  const ionflux::testing::CollectSink b = run(in, 2, 3);  // 13 chunks, two threads
  ASSERT_EQ(a.all.n, b.all.n);
  for (std::size_t i = 0; i < a.all.voltage.size(); ++i) {
    const double x = a.all.voltage[i], y = b.all.voltage[i];
    EXPECT_TRUE((std::isnan(x) && std::isnan(y)) || x == y) << "entry " << i;
  }
  EXPECT_EQ(a.all.status, b.all.status);
  EXPECT_EQ(a.all.steps, b.all.steps);
}

TEST(Batch, RejectsUnavailableCuda) {
  if (cuda_available()) GTEST_SKIP() << "a CUDA device is present";
  BatchInputs in = ionflux::testing::equivalence_batch(1e-6, 1e-8);
  BatchOptions o;
  o.device = Device::cuda;
  EXPECT_THROW(run_batch(in, o, nullptr), InputError);
  EXPECT_THROW(parse_device("gpu0"), InputError);
}

TEST(Batch, CancellationLeavesLaterCellsNotRun) {
  const BatchInputs in = ionflux::testing::equivalence_batch(1e-6, 1e-8);
  std::atomic<bool> cancel{false};
  // stop as soon as the first chunk (8 cells) reaches the sink
  struct StopAfterFirst : ionflux::testing::CollectSink {
    std::atomic<bool>* flag = nullptr;
    void write_chunk(const ChunkData& c) override {
      CollectSink::write_chunk(c);
      flag->store(true);
    }
  } sink;
  sink.flag = &cancel;
  BatchOptions o;
  o.device = Device::cpu;
  o.max_chunk_cells = 8;
  o.cancel = &cancel;
  const BatchSummary s = run_batch(in, o, &sink);
  EXPECT_TRUE(s.cancelled);
  EXPECT_EQ(s.chunks, 1u);
  EXPECT_EQ(sink.all.n, 8u);
  EXPECT_EQ(s.not_run, in.cells.size() - 8);
  for (int st : sink.all.status) EXPECT_NE(st, kStatusNotRun) << "the finished chunk is complete";
}

// A cell that fails keeps the records of the cycles it completed; the cycle it failed in
// (its step records) and its totals are NaN, as a partial cycle's sums are not data.
TEST(Batch, AFailedCellKeepsTheCyclesItCompleted) {
  const ParameterSet ps = ParameterSet::load("Chen2020");
  // cycle 0: step 0; cycle 1: steps 1 and 2
  const Experiment ex =
      parse_experiment({{"Rest for 1 minute"}, {"Discharge at 1C for 30 minutes", "Rest for 1 minute"}}, 1, ps);
  ASSERT_EQ(ex.steps.size(), 3u);
  ASSERT_EQ(ex.steps[1].cycle, 1);
  BatchInputs in;
  in.cells.push_back(ps.cell_params(5.0));
  in.pre_status.push_back(CellStatus::running);
  in.pre_message.emplace_back();
  in.run.mesh = MeshSpec{8, 6, 8, 6, 6};
  in.run.steps = ex.steps;
  in.run.tables = ex.tables;
  in.run.step_text = ex.text;  // named in the step_limit message
  in.run.t_end = 7200.0;
  in.run.period = 60.0;
  const ionflux::testing::CollectSink full = run(in, 1, 0);
  ASSERT_EQ(full.all.status[0], static_cast<int>(CellStatus::finished));
  ASSERT_EQ(full.all.n_steps, 3);
  // the same cell, allowed half the BDF steps its discharge (step 1) takes: max_steps is
  // per protocol step (issue 16), so it fails in that step (cycle 1), long after the
  // 1-minute rest of cycle 0 has ended. Steps per protocol step: the outputs of a run with
  // one output per accepted step (its step index).
  RunOptions every = in.run;
  every.period = 0.0;
  const Solution each = simulate(in.cells[0], every);
  ASSERT_EQ(each.status, CellStatus::finished) << each.message;
  const auto steps_in = [&](int q) { return static_cast<int>(std::count(each.step.begin(), each.step.end(), q)); };
  in.run.solver.max_steps = steps_in(1) / 2;
  ASSERT_LT(steps_in(0) + 2, in.run.solver.max_steps) << "the rest of cycle 0 must fit the budget";
  const ionflux::testing::CollectSink cut = run(in, 1, 0);
  ASSERT_EQ(cut.all.status[0], static_cast<int>(CellStatus::step_limit));
  EXPECT_EQ(cut.all.step_start[0], full.all.step_start[0]);  // cycle 0 is kept
  EXPECT_EQ(cut.all.step_end[0], full.all.step_end[0]);
  EXPECT_EQ(cut.all.step_capacity[0], full.all.step_capacity[0]);
  EXPECT_EQ(cut.all.step_energy[0], full.all.step_energy[0]);
  for (int q : {1, 2}) {  // cycle 1: step 1 ended before the failure, but its cycle did not
    EXPECT_TRUE(std::isnan(cut.all.step_end[q]) && std::isnan(cut.all.step_capacity[q]) &&
                std::isnan(cut.all.step_energy[q]) && std::isnan(cut.all.step_start[q]))
        << "step " << q;
  }
  EXPECT_TRUE(std::isnan(cut.all.discharge_capacity[0]) && std::isnan(cut.all.energy[0]) &&
              std::isnan(cut.all.mean_voltage[0]));
  EXPECT_GT(cut.all.end_time[0], full.all.step_end[0]);  // where it stopped: in step 1
  EXPECT_LT(cut.all.end_time[0], full.all.step_end[1]);
  EXPECT_NE(cut.all.message[0].find("per protocol step) in step 1 \"Discharge at 1C for 30 minutes\" (cycle 1)"),
            std::string::npos)
      << cut.all.message[0];
}

TEST(Batch, PerCellProtocolsEqualSingleSolves) {
  const BatchInputs in =
      ionflux::testing::protocol_batch(1e-6, 1e-8, IONFLUX_SHARED_DIR "/reference-data/drive_cycles/US06.csv");
  const ionflux::testing::CollectSink b = run(in, 2, 4);
  ASSERT_EQ(b.all.n, in.cells.size());
  ASSERT_GT(b.all.n_steps, 0);
  for (std::size_t c = 0; c < in.cells.size(); ++c) {
    RunOptions ro = in.run;
    ro.steps.assign(in.protocol_steps.begin() + in.protocol_first[c],
                    in.protocol_steps.begin() + in.protocol_first[c] + in.protocol_count[c]);
    ro.tables = in.protocol_tables;
    const Solution s = simulate(in.cells[c], ro);
    EXPECT_EQ(b.all.status[c], static_cast<int>(s.status)) << "cell " << c;
    EXPECT_TRUE(cell_status_ok(s.status)) << "cell " << c << ": " << s.message;
    ASSERT_EQ(b.all.count[c], s.voltage.size()) << "cell " << c;
    for (std::size_t k = 0; k < s.voltage.size(); ++k) {
      const std::size_t i = b.all.offset[c] + k;
      EXPECT_EQ(b.all.voltage[i], s.voltage[k]) << "cell " << c << " output " << k;
      EXPECT_EQ(b.all.temperature[i], s.temperature[k]) << "cell " << c << " output " << k;
      EXPECT_EQ(b.all.step_index[i], s.step[k]) << "cell " << c << " output " << k;
    }
    for (const StepRecord& r : s.steps) {
      const std::size_t i = c * b.all.n_steps + r.step;
      EXPECT_EQ(b.all.step_end[i], r.t_end) << "cell " << c << " step " << r.step;
      EXPECT_EQ(b.all.step_capacity[i], r.capacity) << "cell " << c << " step " << r.step;
      EXPECT_EQ(b.all.step_discharge_capacity[i], r.discharge_capacity) << "cell " << c << " step " << r.step;
      EXPECT_EQ(b.all.step_charge_capacity[i], r.charge_capacity) << "cell " << c << " step " << r.step;
      EXPECT_EQ(b.all.step_discharge_energy[i], r.discharge_energy) << "cell " << c << " step " << r.step;
      EXPECT_EQ(b.all.step_charge_energy[i], r.charge_energy) << "cell " << c << " step " << r.step;
      EXPECT_EQ(b.all.step_end_code[i], static_cast<double>(static_cast<int>(r.end))) << "cell " << c << " step " << r.step;
    }
    // the run's discharged / charged sums and mean voltage, as in the single solve
    EXPECT_EQ(b.all.discharge_capacity[c], s.discharge_capacity) << "cell " << c;
    EXPECT_EQ(b.all.charge_capacity[c], s.charge_capacity) << "cell " << c;
    EXPECT_EQ(b.all.discharge_energy[c], s.discharge_energy) << "cell " << c;
    EXPECT_EQ(b.all.charge_energy[c], s.charge_energy) << "cell " << c;
    EXPECT_EQ(b.all.mean_voltage[c], s.mean_voltage) << "cell " << c;
  }
  // the thermal cell warms up; the isothermal ones stay at the ambient temperature
  const std::size_t last = in.cells.size() - 1;
  EXPECT_GT(b.all.temperature[b.all.offset[last] + 50], 298.2);
  EXPECT_EQ(b.all.temperature[b.all.offset[0] + 50], 298.15);
}

TEST(Batch, EveryStepOutputsAndPerCellEndsEqualSingleSolves) {
  // The default output (every accepted step) with per-cell end times: each cell's
  // outputs are those of a single solve with its own t_end, none padded or cut.
  BatchInputs in = ionflux::testing::equivalence_batch(1e-6, 1e-8);
  in.run.period = 0.0;
  in.t_end.resize(in.cells.size());
  for (std::size_t c = 0; c < in.cells.size(); ++c) in.t_end[c] = (c % 3 == 0 ? 900.0 : in.run.t_end);
  const ionflux::testing::CollectSink b = run(in, 2, 5);
  ASSERT_EQ(b.all.n, in.cells.size());
  for (std::size_t c = 0; c < in.cells.size(); ++c) {
    if (in.pre_status[c] != CellStatus::running) {
      EXPECT_EQ(b.all.count[c], 0u) << "cell " << c;
      continue;
    }
    RunOptions ro = in.run;
    ro.t_end = in.t_end[c];
    const Solution s = simulate(in.cells[c], ro);
    EXPECT_EQ(b.all.status[c], static_cast<int>(s.status)) << "cell " << c;
    ASSERT_EQ(b.all.count[c], s.time.size()) << "cell " << c;
    for (std::size_t k = 0; k < s.time.size(); ++k) {
      EXPECT_EQ(b.all.time[b.all.offset[c] + k], s.time[k]) << "cell " << c << " output " << k;
      EXPECT_EQ(b.all.voltage[b.all.offset[c] + k], s.voltage[k]) << "cell " << c << " output " << k;
    }
    if (s.status == CellStatus::end_time_reached) EXPECT_EQ(s.time.back(), ro.t_end) << "cell " << c;
    // a resolved curve: the integrator's steps, not a 200-point grid
    if (s.status == CellStatus::cutoff_lower) EXPECT_EQ(s.time.size(), static_cast<std::size_t>(s.stats.steps) + 1);
  }
}

}  // namespace IONFLUX_TEST_FILE_ID
