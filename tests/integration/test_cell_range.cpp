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

#if defined(IONFLUX_HAVE_HDF5) && IONFLUX_HAVE_HDF5
#include "tests/h5_read.hpp"
#define IONFLUX_TEST_HDF5 1
#endif

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
  EXPECT_EQ(r.run.t_end, plan.inputs.run.t_end);
  EXPECT_THROW(batch_cell_range(plan.inputs, CellRange{7, 9}), InputError);
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
  for (const char* attr : {"t_end [s]", "protocol", "varied", "parameters"})
    EXPECT_EQ(read_string_attribute(fp, "/", attr), read_string_attribute(fw, "/", attr)) << attr;

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
