// CPU batches: a batch of N cells equals N separate single-cell solves, whatever the
// chunking and the thread count; cells that end at once or fail do not disturb the rest.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>

#include "solver/batch.hpp"
#include "solver/errors.hpp"
#include "solver/simulation.hpp"
#include "tests/equivalence/batch_cases.hpp"

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
    EXPECT_NEAR(b.all.energy[c], s.energy, 1e-12 * std::fabs(s.energy) + 1e-300) << "cell " << c;
  }
  // the special cells ended as designed
  EXPECT_EQ(b.all.status[5], static_cast<int>(CellStatus::cutoff_at_start));
  EXPECT_EQ(b.all.status[11], static_cast<int>(CellStatus::init_failure));
  EXPECT_EQ(b.all.status[0], static_cast<int>(CellStatus::cutoff_lower));
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
    }
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
