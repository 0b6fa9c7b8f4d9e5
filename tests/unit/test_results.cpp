// The results reducer and the memory sink (solver/output/results.hpp, issue 12 item 3): per-cycle
// summaries computed once, from per-step records, by hand-checked numbers; the memory sink
// gathers chunks as the HDF5 writer lays them out.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "solver/util/errors.hpp"
#include "solver/output/results.hpp"

namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)

namespace {

using ionflux::ChunkData;
using ionflux::CycleSummaries;
using ionflux::MemorySweepSink;
using ionflux::StepTable;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Two cells, four steps in two cycles (steps 0, 1 -> cycle 0; 2, 3 -> cycle 1). Cell 1
// stopped during step 2: step 3 never reached (NaN).
struct Steps {
  std::vector<double> start{0, 100, 300, 350, /**/ 0, 50, 80, kNaN};
  std::vector<double> end{100, 300, 350, 500, /**/ 50, 80, 90, kNaN};
  std::vector<double> cap{1.0, -0.5, 0.25, -2.0, /**/ 0.5, -0.125, 0.0625, kNaN};
  std::vector<double> energy{3.5, -2.0, 1.0, -8.0, /**/ 1.75, -0.5, 0.25, kNaN};
  // a drive-cycle-like step 2 of cell 0 that goes both ways: 0.5 out, 0.25 in
  std::vector<double> dis{1.0, 0.0, 0.5, 0.0, /**/ 0.5, 0.0, 0.0625, kNaN};
  std::vector<double> chg{0.0, 0.5, 0.25, 2.0, /**/ 0.0, 0.125, 0.0, kNaN};
  std::vector<double> dis_e{3.5, 0.0, 2.0, 0.0, /**/ 1.75, 0.0, 0.25, kNaN};
  std::vector<double> chg_e{0.0, 2.0, 1.0, 8.0, /**/ 0.0, 0.5, 0.0, kNaN};
  std::vector<int> cycle{0, 0, 1, 1};

  StepTable table(bool split) const {
    StepTable t;
    t.n = 2;
    t.n_steps = 4;
    t.start = start.data();
    t.end = end.data();
    t.capacity = cap.data();
    t.energy = energy.data();
    if (split) {
      t.discharge_capacity = dis.data();
      t.charge_capacity = chg.data();
      t.discharge_energy = dis_e.data();
      t.charge_energy = chg_e.data();
    }
    return t;
  }
};

TEST(Results, CycleSummariesFromStepsByHand) {
  const Steps s;
  const CycleSummaries c = ionflux::reduce_cycles(s.table(true), s.cycle, 2);
  ASSERT_EQ(c.n, 2u);
  ASSERT_EQ(c.n_cycles, 2u);
  EXPECT_TRUE(c.split);
  // cell 0, cycle 0 = steps 0, 1: from 0 to 300 s; net 1.0 - 0.5; out 1.0, in 0.5
  EXPECT_EQ(c.start[0], 0.0);
  EXPECT_EQ(c.end[0], 300.0);
  EXPECT_EQ(c.duration[0], 300.0);
  EXPECT_EQ(c.capacity[0], 0.5);
  EXPECT_EQ(c.discharge_capacity[0], 1.0);
  EXPECT_EQ(c.charge_capacity[0], 0.5);
  EXPECT_EQ(c.energy[0], 1.5);
  EXPECT_EQ(c.discharge_energy[0], 3.5);
  EXPECT_EQ(c.charge_energy[0], 2.0);
  // cell 0, cycle 1 = steps 2, 3: 300 .. 500 s; net 0.25 - 2.0; out 0.5, in 0.25 + 2.0
  EXPECT_EQ(c.start[1], 300.0);
  EXPECT_EQ(c.end[1], 500.0);
  EXPECT_EQ(c.duration[1], 200.0);
  EXPECT_EQ(c.capacity[1], -1.75);
  EXPECT_EQ(c.discharge_capacity[1], 0.5);
  EXPECT_EQ(c.charge_capacity[1], 2.25);
  EXPECT_EQ(c.energy[1], -7.0);
  EXPECT_EQ(c.discharge_energy[1], 2.0);
  EXPECT_EQ(c.charge_energy[1], 9.0);
  // cell 1, cycle 1: only step 2 reached (step 3 NaN is left out, not summed as NaN)
  EXPECT_EQ(c.start[3], 80.0);
  EXPECT_EQ(c.end[3], 90.0);
  EXPECT_EQ(c.duration[3], 10.0);
  EXPECT_EQ(c.capacity[3], 0.0625);
  EXPECT_EQ(c.charge_capacity[3], 0.0);
  EXPECT_EQ(c.charge_energy[3], 0.0);
}

TEST(Results, CycleNotReachedIsNaNAndRecordsWithoutTheSplitGoBySign) {
  Steps s;
  s.start[6] = s.end[6] = s.cap[6] = s.energy[6] = kNaN;  // cell 1 never reached cycle 1
  const CycleSummaries c = ionflux::reduce_cycles(s.table(false), s.cycle, 2);
  EXPECT_FALSE(c.split);
  for (const std::vector<double>* v : {&c.start, &c.end, &c.duration, &c.capacity, &c.discharge_capacity,
                                       &c.charge_capacity, &c.energy, &c.discharge_energy, &c.charge_energy})
    EXPECT_TRUE(std::isnan((*v)[3]));
  // without the split: a step counts as discharge or charge by its net capacity; cell 0,
  // cycle 1: step 2 (+0.25) is discharge, step 3 (-2.0) charge; energies unknown (NaN)
  EXPECT_EQ(c.discharge_capacity[1], 0.25);
  EXPECT_EQ(c.charge_capacity[1], 2.0);
  EXPECT_TRUE(std::isnan(c.discharge_energy[1]));
  EXPECT_TRUE(std::isnan(c.charge_energy[1]));
  EXPECT_EQ(c.capacity[1], -1.75);
}

// Issue 13 item 4: what a chemist computes next, by hand from the Steps above.
TEST(Results, CycleEfficienciesThroughputsAndTemperaturesByHand) {
  const Steps s;
  // per-output series: cell 0 has 6 outputs, cell 1 four (offset 6)
  const std::vector<double> time{0, 100, 200, 300, 400, 500, /**/ 0, 50, 80, 90};
  const std::vector<double> temp{300, 310, 320, 310, 300, 305, /**/ 298, 299, 301, 303};
  const std::vector<std::size_t> offset{0, 6}, count{6, 4};
  StepTable t = s.table(true);
  t.time = time.data();
  t.temperature = temp.data();
  t.offset = offset.data();
  t.count = count.data();
  const CycleSummaries c = ionflux::reduce_cycles(t, s.cycle, 2);
  // coulombic efficiency = discharge / charge capacity of the cycle; energy likewise
  EXPECT_DOUBLE_EQ(c.coulombic_efficiency[0], 1.0 / 0.5);
  EXPECT_DOUBLE_EQ(c.energy_efficiency[0], 3.5 / 2.0);
  EXPECT_DOUBLE_EQ(c.coulombic_efficiency[1], 0.5 / 2.25);
  EXPECT_DOUBLE_EQ(c.energy_efficiency[1], 2.0 / 9.0);
  EXPECT_DOUBLE_EQ(c.coulombic_efficiency[2], 0.5 / 0.125);
  // cell 1, cycle 1 (step 2 only): it charged nothing, so no efficiency
  EXPECT_TRUE(std::isnan(c.coulombic_efficiency[3]));
  EXPECT_TRUE(std::isnan(c.energy_efficiency[3]));
  // throughput: moved either way, from the start of the run to the cycle's end
  EXPECT_DOUBLE_EQ(c.throughput_capacity[0], 1.0 + 0.5);
  EXPECT_DOUBLE_EQ(c.throughput_capacity[1], 1.5 + 0.5 + 2.25);
  EXPECT_DOUBLE_EQ(c.throughput_energy[0], 3.5 + 2.0);
  EXPECT_DOUBLE_EQ(c.throughput_energy[1], 5.5 + 2.0 + 9.0);
  EXPECT_DOUBLE_EQ(c.throughput_capacity[3], 0.5 + 0.125 + 0.0625);
  // temperatures over [start, end], linear between outputs (trapezoids):
  // cell 0 cycle 0 [0, 300]: (305 + 315 + 315) * 100 / 300; max 320
  EXPECT_DOUBLE_EQ(c.max_temperature[0], 320.0);
  EXPECT_NEAR(c.mean_temperature[0], (305.0 + 315.0 + 315.0) * 100.0 / 300.0, 1e-12);
  // cell 0 cycle 1 [300, 500]: (305 + 302.5) * 100 / 200; max 310 (the state at its start)
  EXPECT_DOUBLE_EQ(c.max_temperature[1], 310.0);
  EXPECT_NEAR(c.mean_temperature[1], (305.0 + 302.5) / 2.0, 1e-12);
  // cell 1 cycle 0 [0, 80]: (298.5 * 50 + 300 * 30) / 80; cycle 1 [80, 90]: 302
  EXPECT_NEAR(c.mean_temperature[2], (298.5 * 50.0 + 300.0 * 30.0) / 80.0, 1e-12);
  EXPECT_DOUBLE_EQ(c.max_temperature[2], 301.0);
  EXPECT_NEAR(c.mean_temperature[3], 302.0, 1e-12);
  EXPECT_DOUBLE_EQ(c.max_temperature[3], 303.0);
  // a cycle boundary between outputs: the value there is interpolated (cell 0 from 250 s)
  Steps shifted = s;
  shifted.end[1] = shifted.start[2] = 250.0;
  StepTable t2 = shifted.table(true);
  t2.time = time.data(), t2.temperature = temp.data(), t2.offset = offset.data(), t2.count = count.data();
  const CycleSummaries c2 = ionflux::reduce_cycles(t2, s.cycle, 2);
  EXPECT_DOUBLE_EQ(c2.max_temperature[1], 315.0);  // T(250) = 315, above every later output
  EXPECT_NEAR(c2.mean_temperature[1], (312.5 * 50 + 305 * 100 + 302.5 * 100) / 250.0, 1e-12);
}

TEST(Results, WithoutSeriesOrSplitTheseAreNaN) {
  const Steps s;
  const CycleSummaries c = ionflux::reduce_cycles(s.table(false), s.cycle, 2);
  for (std::size_t j = 0; j < 4; ++j) {
    EXPECT_TRUE(std::isnan(c.max_temperature[j]) && std::isnan(c.mean_temperature[j])) << j;
    EXPECT_TRUE(std::isnan(c.energy_efficiency[j]) && std::isnan(c.throughput_energy[j])) << j;
  }
  // by the sign of the net step capacities: cell 0 cycle 0 out 1.0, in 0.5
  EXPECT_DOUBLE_EQ(c.coulombic_efficiency[0], 2.0);
  EXPECT_DOUBLE_EQ(c.throughput_capacity[1], 1.5 + 0.25 + 2.0);
}

TEST(Results, OutputCyclesFromSteps) {
  const std::vector<double> cyc = ionflux::output_cycles({0, 1, 2, 3, kNaN, 7}, {0, 0, 1, 1});
  ASSERT_EQ(cyc.size(), 6u);
  EXPECT_EQ(cyc[0], 0);
  EXPECT_EQ(cyc[1], 0);
  EXPECT_EQ(cyc[2], 1);
  EXPECT_EQ(cyc[3], 1);
  EXPECT_TRUE(std::isnan(cyc[4]));
  EXPECT_TRUE(std::isnan(cyc[5]));  // no such step
}

// A chunk of cells [first, first + n) whose series are stored out of cell order.
ChunkData chunk(std::size_t first, std::size_t n, int n_steps) {
  ChunkData c;
  c.first = first;
  c.n = n;
  c.n_steps = n_steps;
  for (std::size_t k = 0; k < n; ++k) {
    c.status.push_back(2);
    c.message.push_back("cell " + std::to_string(first + k));
    for (auto* v : {&c.end_time, &c.discharge_capacity, &c.energy, &c.mean_voltage, &c.charge_capacity,
                    &c.discharge_energy, &c.charge_energy})
      v->push_back(double(first + k));
    c.steps.push_back(int(first + k));
    c.device.push_back(0);
  }
  // cell k has k + 1 outputs; stored last cell first
  std::size_t at = 0;
  c.offset.assign(n, 0);
  c.count.assign(n, 0);
  for (std::size_t k = n; k-- > 0;) {
    c.offset[k] = at;
    c.count[k] = k + 1;
    for (std::size_t j = 0; j <= k; ++j) {
      const double v = 1000.0 * double(first + k) + double(j);
      c.time.push_back(v);
      c.voltage.push_back(v + 0.5);
      c.current.push_back(-v);
      c.capacity.push_back(2 * v);
      c.temperature.push_back(300 + v);
      c.step_index.push_back(double(j % std::size_t(n_steps)));
    }
    at += k + 1;
  }
  for (std::size_t k = 0; k < n; ++k)
    for (int s = 0; s < n_steps; ++s) {
      c.step_start.push_back(10.0 * s);
      c.step_end.push_back(10.0 * s + 10);
      c.step_capacity.push_back(1.0);
      c.step_energy.push_back(3.0);
      c.step_discharge_capacity.push_back(1.0);
      c.step_charge_capacity.push_back(0.0);
      c.step_discharge_energy.push_back(3.0);
      c.step_charge_energy.push_back(0.0);
    }
  return c;
}

TEST(Results, MemorySinkGathersChunksInCellOrderWithFileDefaults) {
  // 6 cells, chunks [0, 2) and [2, 4); cells 4, 5 never written (a cancelled sweep)
  MemorySweepSink sink(6, 2, {0, 1}, false);
  sink.write_chunk(chunk(0, 2, 2));
  sink.write_chunk(chunk(2, 2, 2));
  sink.set_attribute("status", "interrupted");
  sink.set_attribute("status", "complete");
  sink.close();
  const ChunkData& r = sink.results();
  ASSERT_EQ(r.n, 6u);
  // cell order, each cell's series contiguous (as the file: offsets grow with the cell)
  const std::vector<std::size_t> offset{0, 1, 3, 4, 0, 0}, count{1, 2, 1, 2, 0, 0};
  EXPECT_EQ(r.offset, offset);
  EXPECT_EQ(r.count, count);
  ASSERT_EQ(r.time.size(), 6u);
  const std::vector<double> time{0, 1000, 1001, 2000, 3000, 3001};
  EXPECT_EQ(r.time, time);
  EXPECT_EQ(r.temperature.size(), 6u);  // a protocol: temperature and step kept
  EXPECT_EQ(r.status[3], 2);
  EXPECT_EQ(r.status[4], ionflux::kStatusNotRun);
  EXPECT_EQ(r.message[3], "cell 3");
  EXPECT_EQ(r.message[5], "");
  EXPECT_EQ(r.end_time[3], 3.0);
  EXPECT_TRUE(std::isnan(r.end_time[4]));
  EXPECT_EQ(r.device[4], ionflux::kRanNowhere);
  EXPECT_TRUE(sink.written(3));
  EXPECT_FALSE(sink.written(4));
  // cycle summaries by the reducer: cycle 0 = step 0, cycle 1 = step 1 (NaN for unrun cells)
  const CycleSummaries& c = sink.cycles();
  ASSERT_EQ(c.n_cycles, 2u);
  EXPECT_EQ(c.start[3 * 2 + 1], 10.0);
  EXPECT_EQ(c.end[3 * 2 + 1], 20.0);
  EXPECT_EQ(c.discharge_energy[3 * 2 + 1], 3.0);
  EXPECT_TRUE(std::isnan(c.capacity[4 * 2]));
  ASSERT_EQ(sink.attributes().size(), 1u);
  EXPECT_EQ(sink.attributes()[0].second, "complete");
}

TEST(Results, MemorySinkRejectsAChunkOutsideTheSweep) {
  MemorySweepSink sink(2, 0, {}, false);
  EXPECT_THROW(sink.write_chunk(chunk(1, 2, 1)), ionflux::RuntimeError);
}

}  // namespace

}  // namespace IONFLUX_TEST_FILE_ID
