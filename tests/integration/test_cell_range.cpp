// Cell ranges (issue 12 item 5): `ionflux sweep CONFIG --cells A:B` runs cells A..B-1 of
// the sweep and writes exactly those rows of the whole sweep's file, plus /cells/index
// (their numbers in the sweep). The expected values are the whole sweep's file, run in
// the same test: every per-cell dataset row, every cell's outputs and step records.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "solver/problem/cell_range.hpp"
#include "solver/cli/cli.hpp"
#include "solver/util/errors.hpp"
#include "solver/inputs/sweep.hpp"
#include "solver/problem/sweep_plan.hpp"
#include "solver/util/text.hpp"

#if defined(IONFLUX_HAVE_HDF5) && IONFLUX_HAVE_HDF5
#include "tests/h5_read.hpp"
#define IONFLUX_TEST_HDF5 1
#endif

namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)

namespace fs = std::filesystem;
using namespace ionflux;

namespace {

fs::path temp_dir() {
  const fs::path d = fs::temp_directory_path() / ("ionflux_cell_range_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

std::string write_config(const fs::path& dir, const std::string& name, const std::string& text) {
  const fs::path p = dir / name;
  std::ofstream(p) << text;
  return p.string();
}

struct CliRun {
  int rc;
  std::string out, err;
};
CliRun run(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int rc = cli_main(args, out, err);
  return {rc, out.str(), err.str()};
}

// 8 cells with per-cell protocols (placeholders), default end times (each cell its own,
// the file's t_end the largest: a range must keep the whole sweep's), and one cell whose
// porosity leaves no room for the active material (invalid: cell 5).
const char* kConfig = R"({
  "mesh": {"x_n": 6, "x_s": 4, "x_p": 6, "r_n": 5, "r_p": 5}, "period": 300,
  "experiment": [["Discharge at {C-rate}C until 3.3 V", "Rest for 5 minutes"]],
  "vary": {"C-rate": [1, 2, 1.5, 3, 0.8, 1, 2.5, 1.2],
           "Negative electrode porosity": [0.25, 0.25, 0.2, 0.25, 0.25, 0.3, 0.22, 0.25]},
  "combine": "zip"})";

}  // namespace

TEST(CellRange, ParsesRangesAndRefusesBadOnes) {
  EXPECT_EQ(parse_cell_range("2:5", 8).first, 2u);
  EXPECT_EQ(parse_cell_range("2:5", 8).last, 5u);
  EXPECT_EQ(parse_cell_range(":3", 8).first, 0u);
  EXPECT_EQ(parse_cell_range("6:", 8).last, 8u);
  for (const char* bad : {"5:5", "6:2", "0:9", "x", "1-3", "1:2:3", "-1:3", "1.5:3", ""})
    EXPECT_THROW(parse_cell_range(bad, 8), InputError) << bad;
}

TEST(CellRange, BatchRangeKeepsEachCellsOwnInputs) {
  const fs::path dir = temp_dir();
  const SweepPlan plan = plan_sweep(load_sweep_config(write_config(dir, "range.json", kConfig)));
  const BatchInputs r = batch_cell_range(plan.inputs, CellRange{3, 7});
  ASSERT_EQ(r.size(), 4u);
  for (std::size_t k = 0; k < 4; ++k) {
    const CellParams a = r.record(k), b = plan.inputs.record(3 + k);
    EXPECT_EQ(std::memcmp(&a, &b, sizeof(CellParams)), 0) << k;
    EXPECT_EQ(r.pre_status[k], plan.inputs.pre_status[3 + k]) << k;
    EXPECT_EQ(r.t_end_of(k), plan.inputs.t_end_of(3 + k)) << k;
    EXPECT_EQ(r.protocol_first[k], plan.inputs.protocol_first[3 + k]) << k;
    EXPECT_EQ(r.protocol_count[k], plan.inputs.protocol_count[3 + k]) << k;
  }
  EXPECT_EQ(r.pre_status[2], CellStatus::invalid_input);  // cell 5
  EXPECT_EQ(r.run.t_end, plan.inputs.run.t_end);  // (cut out of the whole plan)
  EXPECT_THROW(batch_cell_range(plan.inputs, CellRange{7, 9}), InputError);
  fs::remove_all(dir);
}

namespace {

//! Cell c of `whole` and cell k of `part` have the same planned inputs: record (bytes),
//! status, message, end time, and protocol (each step's fields and drive-cycle table).
void expect_same_cell(const BatchInputs& whole, std::size_t c, const BatchInputs& part, std::size_t k) {
  const CellParams a = whole.record(c), b = part.record(k);
  if (whole.pre_status[c] == CellStatus::running)  // (cells that do not run may get any record)
    EXPECT_EQ(std::memcmp(&a, &b, sizeof(CellParams)), 0) << "cell " << c;
  EXPECT_EQ(whole.pre_status[c], part.pre_status[k]) << "cell " << c;
  EXPECT_EQ(whole.pre_message[c], part.pre_message[k]) << "cell " << c;
  if (whole.pre_status[c] == CellStatus::running) EXPECT_EQ(whole.t_end_of(c), part.t_end_of(k)) << "cell " << c;
  ASSERT_EQ(whole.protocol_first.empty(), part.protocol_first.empty());
  if (whole.protocol_first.empty()) {
    EXPECT_EQ(whole.run.steps.size(), part.run.steps.size());
    return;
  }
  ASSERT_EQ(whole.protocol_count[c], part.protocol_count[k]) << "cell " << c;
  for (int q = 0; q < whole.protocol_count[c]; ++q) {
    StepSpec x = whole.protocol_steps[static_cast<std::size_t>(whole.protocol_first[c] + q)];
    StepSpec y = part.protocol_steps[static_cast<std::size_t>(part.protocol_first[k] + q)];
    for (int i = 0; i < x.table_len; ++i)
      for (int j = 0; j < 2; ++j)
        EXPECT_EQ(whole.protocol_tables[static_cast<std::size_t>(2 * (x.table_offset + i) + j)],
                  part.protocol_tables[static_cast<std::size_t>(2 * (y.table_offset + i) + j)]);
    x.table_offset = y.table_offset = 0;  // (where a table lies differs; its values do not)
    EXPECT_EQ(std::memcmp(&x, &y, sizeof(StepSpec)), 0) << "cell " << c << " step " << q;
  }
}

}  // namespace

// Item 1 of issue 12's Dask work: a range is planned alone (only its cells' values and
// records), and each of its cells gets exactly what the whole plan gives that cell. The
// expected values are the whole sweep's plan, made in the test.
TEST(CellRange, RangePlannedAloneEqualsTheWholePlansCells) {
  const fs::path dir = temp_dir();
  const std::vector<std::string> configs = {
      kConfig,  // per-cell protocols, default ends, an invalid cell (5)
      R"({"mesh": {"x_n": 5, "x_s": 4, "x_p": 5, "r_n": 5, "r_p": 5}, "t_end": 600, "thermal": "lumped",
          "vary": {"C-rate": [0.5, 1, 2], "Negative particle radius [m]": {"linspace": [4e-6, 8e-6, 4]},
                   "Initial SOC": [0.9, 0.6]}})",
      R"({"mesh": {"x_n": 5, "x_s": 4, "x_p": 5, "r_n": 5, "r_p": 5}, "c_rate": 1,
          "vary": {"Negative particle radius [m]": {"uniform": [4e-6, 8e-6]}, "Initial SOC": [0.8, 0.5, 0.9]},
          "samples": 4, "sampling": "latin_hypercube", "seed": 3})",
      // only the current varies (every record is the base cell's), a per-cell protocol
      R"({"mesh": {"x_n": 5, "x_s": 4, "x_p": 5, "r_n": 5, "r_p": 5}, "initial_soc": 0.9,
          "experiment": [["Discharge at {C-rate}C until 3.3 V", "Rest for 2 minutes"]],
          "vary": {"C-rate": [1, 2, 0.5, 1.5, 3, 2.5, 1, 0.7]}})",
      // the lumped model without a protocol, an invalid cell (5): cells 5:6 alone still
      // have the temperature series
      R"({"mesh": {"x_n": 5, "x_s": 4, "x_p": 5, "r_n": 5, "r_p": 5}, "t_end": 600, "thermal": "lumped",
          "vary": {"C-rate": [1, 2, 1.5, 3, 0.8, 1, 2.5, 1.2],
                   "Negative electrode porosity": [0.25, 0.25, 0.2, 0.25, 0.25, 0.3, 0.22, 0.25]},
          "combine": "zip"})",
  };
  for (std::size_t k = 0; k < configs.size(); ++k) {
    const std::string cfg = write_config(dir, "c" + std::to_string(k) + ".json", configs[k]);
    const SweepSpec whole_spec = load_sweep_config(cfg);
    const SweepPlan whole = plan_sweep(whole_spec);
    const std::size_t n = whole.inputs.size();
    EXPECT_EQ(whole.planned_cells, n) << cfg;
    for (const CellRange r : {CellRange{0, n}, CellRange{3, 7}, CellRange{5, 6}, CellRange{n - 1, n}, CellRange{1, 2}}) {
      SCOPED_TRACE(cfg + " cells " + std::to_string(r.first) + ":" + std::to_string(r.last));
      const SweepSpec spec = load_sweep_config(cfg, r);
      EXPECT_EQ(spec.total_cells(), n);
      EXPECT_EQ(spec.first_cell, r.first);
      ASSERT_EQ(spec.n_cells(), r.size());
      for (std::size_t v = 0; v < spec.values.size(); ++v)
        EXPECT_EQ(spec.values[v], std::vector<double>(whole_spec.values[v].begin() + r.first,
                                                      whole_spec.values[v].begin() + r.last));
      const SweepPlan part = plan_sweep(spec);
      ASSERT_EQ(part.inputs.size(), r.size());
      // the range's cells, and the sweep's cell 0 once more where a protocol is checked
      EXPECT_EQ(part.planned_cells, r.size() + (whole.inputs.protocol_first.empty() ? 0 : 1));
      for (std::size_t c = r.first; c < r.last; ++c) expect_same_cell(whole.inputs, c, part.inputs, c - r.first);
      // the file's layout does not depend on the range (cell 5 alone does not run)
      const SweepFileInfo wi = sweep_file_info(whole_spec, whole), pi = sweep_file_info(spec, part);
      EXPECT_EQ(pi.n_steps, wi.n_steps);
      EXPECT_EQ(pi.step_cycle, wi.step_cycle);
      EXPECT_EQ(pi.temperature, wi.temperature);
      EXPECT_EQ(pi.first_cell, r.first);
      EXPECT_EQ(pi.sweep_cells, n);
    }
  }
  EXPECT_THROW(load_sweep_config(write_config(dir, "r.json", kConfig), CellRange{6, 9}), InputError);
  EXPECT_THROW(load_sweep_config(write_config(dir, "r.json", kConfig), CellRange{8, CellRange::kToEnd}), InputError);
  EXPECT_EQ(load_sweep_config(write_config(dir, "r.json", kConfig), CellRange{6, CellRange::kToEnd}).n_cells(), 2u);
  fs::remove_all(dir);
}

// Planning 10 cells of a 10^6-cell grid makes 10 cells' values and plans 10 cells: the
// other 999,990 cells are never touched (counted, not timed). The expected values are
// the whole grid's columns (values only: cheap), parsed in the test.
TEST(CellRange, PlanningASmallRangeOfABigSweepTouchesOnlyItsCells) {
  const fs::path dir = temp_dir();
  const std::string cfg = write_config(dir, "big.json", R"({"t_end": 60,
    "mesh": {"x_n": 5, "x_s": 4, "x_p": 5, "r_n": 5, "r_p": 5},
    "vary": {"C-rate": {"linspace": [0.5, 2, 1000]}, "Negative particle radius [m]": {"linspace": [4e-6, 8e-6, 1000]}}})");
  const CellRange r{123456, 123466};
  const SweepSpec spec = load_sweep_config(cfg, r);
  EXPECT_EQ(spec.total_cells(), 1000000u);
  ASSERT_EQ(spec.values.size(), 2u);
  EXPECT_EQ(spec.values[0].size(), 10u);
  EXPECT_EQ(spec.values[1].size(), 10u);
  const SweepPlan plan = plan_sweep(spec);
  EXPECT_EQ(plan.planned_cells, 10u);
  EXPECT_EQ(plan.inputs.size(), 10u);
  EXPECT_EQ(plan.inputs.pre_status.size(), 10u);
  EXPECT_EQ(plan.currents.size(), 10u);
  const SweepFileInfo info = sweep_file_info(spec, plan);
  EXPECT_EQ(info.n_cells, 10u);
  EXPECT_EQ(info.inputs[0].size(), 10u);
  const SweepSpec whole = load_sweep_config(cfg);  // the whole grid's columns
  for (std::size_t v = 0; v < 2; ++v)
    for (std::size_t k = 0; k < 10; ++k) EXPECT_EQ(spec.values[v][k], whole.values[v][r.first + k]);
  // the grid's order, first entry slowest: cell 123456 is C-rate 123 and radius 456
  EXPECT_EQ(spec.values[0][0], whole.values[0][123000]);
  EXPECT_EQ(spec.values[1][0], whole.values[1][456]);
  fs::remove_all(dir);
}

// A range planned with what the whole sweep's plan found for its cells (planned_cells_of:
// what the Dask driver sends each partition) is the range planned alone, cell for cell,
// with no cell record built. The expected values are the whole plan's cells and the
// range's plan made alone, both made in the test.
TEST(CellRange, RangePlannedFromTheWholePlanBuildsNoCellAndEqualsItsPlanAlone) {
  const fs::path dir = temp_dir();
  const std::vector<std::string> configs = {
      kConfig,  // per-cell protocols, default ends, an invalid cell (5)
      // only the current varies, a per-cell protocol whose rest is invalid in cells 1, 3, 5, 7
      // (their protocols: the range finds them again), default ends
      R"({"mesh": {"x_n": 5, "x_s": 4, "x_p": 5, "r_n": 5, "r_p": 5},
          "experiment": [["Discharge at {C-rate}C for 2 minutes", "Rest for {Rest [s]} seconds"]],
          "vary": {"C-rate": [1, 2, 0.5, 1.5], "Rest [s]": [60, -5]}})",
      // a given t_end, the lumped model, invalid cell 5, no protocol
      R"({"mesh": {"x_n": 5, "x_s": 4, "x_p": 5, "r_n": 5, "r_p": 5}, "t_end": 600, "thermal": "lumped",
          "vary": {"C-rate": [1, 2, 1.5, 3, 0.8, 1, 2.5, 1.2],
                   "Negative electrode porosity": [0.25, 0.25, 0.2, 0.25, 0.25, 0.3, 0.22, 0.25]},
          "combine": "zip"})",
      // no protocol, default ends, cells 1, 3, 5 invalid from their values
      R"({"mesh": {"x_n": 5, "x_s": 4, "x_p": 5, "r_n": 5, "r_p": 5},
          "vary": {"C-rate": [1, 2, 0.5], "Positive electrode porosity": [0.3, 0.9]}})",
      // each cell's SOC at an initial voltage (PyBaMM's "3.9 V"), from its own thickness;
      // cells 1, 3, 5, 7 invalid: their window ends below 3.9 V
      R"({"mesh": {"x_n": 5, "x_s": 4, "x_p": 5, "r_n": 5, "r_p": 5}, "initial_soc": "3.9 V",
          "vary": {"Negative electrode thickness [m]": [6e-5, 8e-5, 1e-4, 7e-5],
                   "Open-circuit voltage at 100% SOC [V]": [4.2, 3.8]}})",
  };
  for (std::size_t k = 0; k < configs.size(); ++k) {
    const std::string cfg = write_config(dir, "p" + std::to_string(k) + ".json", configs[k]);
    const SweepPlan whole = plan_sweep(load_sweep_config(cfg));
    const std::size_t n = whole.inputs.size();
    std::size_t invalid = 0;
    for (std::size_t c = 0; c < n; ++c) invalid += whole.inputs.pre_status[c] != CellStatus::running;
    EXPECT_GT(invalid, 0u) << cfg << ": each config has invalid cells";
    for (const CellRange r : {CellRange{0, n}, CellRange{1, 4}, CellRange{2, 3}, CellRange{n - 1, n}}) {
      SCOPED_TRACE(cfg + " cells " + std::to_string(r.first) + ":" + std::to_string(r.last));
      const SweepSpec spec = load_sweep_config(cfg, r);
      const PlannedCells planned = planned_cells_of(whole, r);
      const SweepPlan part = plan_sweep(spec, &planned);
      const SweepPlan alone = plan_sweep(spec);
      ASSERT_EQ(part.inputs.size(), r.size());
      EXPECT_EQ(part.planned_cells, whole.inputs.protocol_first.empty() ? 0u : 1u);  // no record but cell 0's check
      for (std::size_t c = r.first; c < r.last; ++c) {
        expect_same_cell(whole.inputs, c, part.inputs, c - r.first);
        expect_same_cell(alone.inputs, c - r.first, part.inputs, c - r.first);
        EXPECT_EQ(part.currents[c - r.first], whole.currents[c]);
      }
      EXPECT_EQ(part.inputs.run.t_end, alone.inputs.run.t_end);  // the range's longest end, as planned alone
      EXPECT_EQ(part.inputs.n_times, alone.inputs.n_times);
      EXPECT_EQ(part.protocol_invalid, alone.protocol_invalid);
      const SweepFileInfo pi = sweep_file_info(spec, part), ai = sweep_file_info(spec, alone);
      EXPECT_EQ(pi.n_steps, ai.n_steps);
      EXPECT_EQ(pi.step_cycle, ai.step_cycle);
      EXPECT_EQ(pi.temperature, ai.temperature);
      // each cell's SOC at the sweep's initial voltage (the file's /cells/initial_soc): the
      // whole sweep's, planned from the plan, planned alone, and cut from the whole file's
      // description (file_info_cell_range), NaN for the same cells
      const SweepFileInfo cut = file_info_cell_range(sweep_file_info(load_sweep_config(cfg), whole), r);
      ASSERT_EQ(pi.initial_soc.size(), whole.initial_soc.empty() ? 0u : r.size());
      ASSERT_EQ(ai.initial_soc.size(), pi.initial_soc.size());
      ASSERT_EQ(cut.initial_soc.size(), pi.initial_soc.size());
      for (std::size_t c = 0; c < pi.initial_soc.size(); ++c) {
        const double w = whole.initial_soc[r.first + c];
        for (const double x : {pi.initial_soc[c], ai.initial_soc[c], cut.initial_soc[c]})
          EXPECT_TRUE(std::isnan(w) ? std::isnan(x) : x == w) << "cell " << r.first + c << ": " << x << " vs " << w;
      }
    }
    // a plan that does not fit the range is refused
    const SweepSpec spec = load_sweep_config(cfg, CellRange{1, 3});
    const PlannedCells other = planned_cells_of(whole, CellRange{1, 4});
    EXPECT_THROW(plan_sweep(spec, &other), InputError);
    PlannedCells outside = planned_cells_of(whole, CellRange{1, 3});
    outside.invalid.emplace_back(7, "x");
    EXPECT_THROW(plan_sweep(spec, &outside), InputError);
    // initial SOCs where the sweep has none, or not an SOC: refused
    PlannedCells socs = planned_cells_of(whole, CellRange{1, 3});
    if (socs.initial_soc.empty()) {
      socs.initial_soc = {0.5, 0.5};
      EXPECT_THROW(plan_sweep(spec, &socs), InputError);
    } else {  // (cell 2 runs)
      for (double& x : socs.initial_soc) x = 1.5;
      EXPECT_THROW(plan_sweep(spec, &socs), InputError);
    }
    EXPECT_THROW(planned_cells_of(whole, CellRange{n - 1, n + 1}), InputError);
  }
  fs::remove_all(dir);
}

#ifdef IONFLUX_TEST_HDF5
using namespace ionflux::testing::h5;

TEST(CellRange, RangeFilesHoldTheWholeSweepsRowsWithTheirIndex) {
  const fs::path dir = temp_dir();
  const std::string cfg = write_config(dir, "range.json", kConfig);
  const std::string whole = (dir / "whole.h5").string(), part = (dir / "part.h5").string();
  CliRun a = run({"sweep", cfg, "--output", whole, "--device", "cpu", "--quiet"});
  ASSERT_EQ(a.rc, 0) << a.err;
  CliRun b = run({"sweep", cfg, "--output", part, "--device", "cpu", "--threads", "1", "--cells", "3:7"});
  ASSERT_EQ(b.rc, 0) << b.err;
  EXPECT_NE(b.out.find("4 cells (3:7 of 8)"), std::string::npos) << b.out;

  File fw(whole), fp(part);
  EXPECT_FALSE(exists(fw, "/cells/index")) << "a whole sweep's file is unchanged";
  EXPECT_EQ(read_int64s(fp, "/cells/index"), (std::vector<long long>{3, 4, 5, 6}));
  EXPECT_EQ(read_string_attribute(fp, "/", "cells"), "3:7 of 8");
  for (const char* attr : {"protocol", "varied", "parameters"})
    EXPECT_EQ(read_string_attribute(fp, "/", attr), read_string_attribute(fw, "/", attr)) << attr;
  // the range is planned alone: its "t_end [s]" (default ends) is the largest of its own
  // cells' ends, as the whole sweep's plan gives them
  const SweepPlan whole_plan = plan_sweep(load_sweep_config(cfg));
  double longest = 0.0;
  for (std::size_t c = 3; c < 7; ++c)
    if (whole_plan.inputs.pre_status[c] == CellStatus::running) longest = std::max(longest, whole_plan.inputs.t_end_of(c));
  EXPECT_EQ(read_string_attribute(fp, "/", "t_end [s]"), shortest_num(longest));
  EXPECT_EQ(read_string_attribute(fw, "/", "t_end [s]"), shortest_num(whole_plan.inputs.run.t_end));

  auto same = [](double x, double y) { return (std::isnan(x) && std::isnan(y)) || x == y; };
  // per-cell rows: row k of the range is row 3 + k of the whole sweep
  for (const char* name : {"/summary/End time [s]", "/summary/Discharge capacity [A.h]", "/summary/Energy [W.h]",
                           "/summary/Mean voltage [V]", "/inputs/C-rate", "/inputs/Negative electrode porosity"}) {
    const auto x = read_doubles(fw, name), y = read_doubles(fp, name);
    ASSERT_EQ(y.size(), 4u) << name;
    for (std::size_t k = 0; k < 4; ++k) EXPECT_TRUE(same(x[3 + k], y[k])) << name << " row " << k;
  }
  const auto sw = read_ints(fw, "/cells/status"), sp = read_ints(fp, "/cells/status");
  EXPECT_EQ(std::vector<int>(sw.begin() + 3, sw.begin() + 7), sp);
  EXPECT_EQ(sp[2], static_cast<int>(CellStatus::invalid_input));
  const auto mw = read_strings(fw, "/cells/message"), mp = read_strings(fp, "/cells/message");
  EXPECT_EQ(std::vector<std::string>(mw.begin() + 3, mw.begin() + 7), mp);
  // (cell, step) records
  const auto nsteps = shape(fw, "/steps/Capacity [A.h]")[1];
  ASSERT_EQ(shape(fp, "/steps/Capacity [A.h]"), (std::vector<hsize_t>{4, nsteps}));
  for (const char* name : {"/steps/Capacity [A.h]", "/steps/End time [s]", "/cycles/Discharge capacity [A.h]"}) {
    const auto x = read_doubles(fw, name), y = read_doubles(fp, name);
    const std::size_t cols = y.size() / 4;
    for (std::size_t i = 0; i < y.size(); ++i) EXPECT_TRUE(same(x[3 * cols + i], y[i])) << name << " entry " << i;
  }
  // every output of every cell
  const auto ow = read_int64s(fw, "/cells/offset"), cw = read_int64s(fw, "/cells/count");
  const auto op = read_int64s(fp, "/cells/offset"), cp = read_int64s(fp, "/cells/count");
  for (const char* name : {"/cells/Time [s]", "/cells/Voltage [V]", "/cells/Step", "/cells/Temperature [K]"}) {
    const auto x = read_doubles(fw, name), y = read_doubles(fp, name);
    EXPECT_EQ(y.size(), static_cast<std::size_t>(op[3] + cp[3])) << "no padding";
    for (std::size_t k = 0; k < 4; ++k) {
      ASSERT_EQ(cp[k], cw[3 + k]) << name << " cell " << 3 + k;
      for (long long j = 0; j < cp[k]; ++j) EXPECT_EQ(y[op[k] + j], x[ow[3 + k] + j]) << name << " cell " << 3 + k;
    }
  }
  fs::remove_all(dir);
}
#endif

// --resume of a file of other cells says so (a whole sweep's file and a range's have
// different fingerprints, and the refusal had blamed the parameters), naming the cells to
// give; the file is untouched.
TEST(CellRange, ResumingOtherCellsSaysWhichCellsTheFileHolds) {
  const fs::path dir = temp_dir() / "resume_range";
  fs::create_directories(dir);
  const std::string cfg = write_config(dir, "g.json", R"({"mesh": {"x_n": 5, "x_s": 5, "x_p": 5, "r_n": 5, "r_p": 5},
    "vary": {"C-rate": [0.5, 1, 2, 3, 4]}})");
  const std::string whole = (dir / "whole.h5").string(), part = (dir / "part.h5").string();
  ASSERT_EQ(run({"sweep", cfg, "--output", whole, "--device", "cpu", "--quiet"}).rc, 0);
  ASSERT_EQ(run({"sweep", cfg, "--output", part, "--device", "cpu", "--quiet", "--cells", "1:3"}).rc, 0);
  struct Case {
    std::string file, cells, says;
  };
  for (const Case& c : {Case{whole, "0:2", "holds the whole sweep, and this run is of its cells 0:2 of 5: resume it "
                                           "with the same cells (without --cells)"},
                        Case{part, "", "holds the sweep's cells 1:3 of 5, and this run is of the whole sweep: resume "
                                       "it with the same cells (--cells 1:3)"},
                        Case{part, "2:4", "holds the sweep's cells 1:3 of 5, and this run is of its cells 2:4 of 5"}}) {
    std::vector<std::string> args = {"sweep", cfg, "--output", c.file, "--device", "cpu", "--resume"};
    if (!c.cells.empty()) args.insert(args.end(), {"--cells", c.cells});
    const CliRun r = run(args);
    EXPECT_EQ(r.rc, 2) << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
  }
  EXPECT_EQ(run({"sweep", cfg, "--output", part, "--device", "cpu", "--quiet", "--resume", "--cells", "1:3"}).rc, 0);
  fs::remove_all(dir);
}

TEST(CellRange, CliRefusesBadRangesAndOptionMixesInOneLine) {
  const fs::path dir = temp_dir();
  const std::string cfg = write_config(dir, "range.json", kConfig);
  const std::string out = (dir / "never.h5").string();
  const std::vector<std::vector<std::string>> cases = {
      {"--cells", "6:9"},
      {"--cells", "three:four"},
      {"--partitions", "2"},
      {"--scheduler", "tcp://127.0.0.1:1", "--cells", "0:2"},
      {"--scheduler", "tcp://127.0.0.1:1", "--gpu-handoff", "0"},
      {"--scheduler", "tcp://127.0.0.1:1", "--partitions", "0"},
  };
  for (const auto& extra : cases) {
    std::vector<std::string> args = {"sweep", cfg, "--output", out, "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    const CliRun r = run(args);
    EXPECT_EQ(r.rc, 2) << extra[0] << " " << extra[1];
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(out)) << extra[0];
  }
  fs::remove_all(dir);
}

}  // namespace IONFLUX_TEST_FILE_ID
