// `ionflux sweep` end to end, in process: the file holds what was computed (rows equal
// single-cell solves), many chunks give the same file contents as one, a bad cell does
// not stop the sweep, and bad configs fail before any work with one clear line.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "solver/backends/backend_cuda.hpp"
#include "solver/cli/cli.hpp"
#include "solver/output/h5_writer.hpp"
#include "solver/inputs/parameters.hpp"
#include "solver/problem/simulation.hpp"
#include "solver/inputs/sweep.hpp"
#include "solver/problem/sweep_plan.hpp"

#if defined(IONFLUX_HAVE_HDF5) && IONFLUX_HAVE_HDF5
#include "tests/h5_read.hpp"
#define IONFLUX_TEST_HDF5 1
#endif

namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)

namespace fs = std::filesystem;
using namespace ionflux;

namespace {

fs::path temp_dir() {
  const fs::path d = fs::temp_directory_path() / ("ionflux_sweep_cli_" + std::to_string(::getpid()));
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

// 6 cells: 3 negative-electrode thicknesses x 2 C-rates; the third thickness with a
// porosity the active fraction does not leave room for is invalid for that cell only.
const char* kConfig = R"({
  "parameters": "Chen2020",
  "mesh": {"x_n": 8, "x_s": 6, "x_p": 8, "r_n": 6, "r_p": 6},
  "period": 60,
  "vary": {
    "Negative electrode thickness [m]": [7e-5, 8.52e-5, 1e-4],
    "C-rate": [1, 2]
  },
  "combine": "grid"
})";

}  // namespace

#ifdef IONFLUX_TEST_HDF5
using namespace ionflux::testing::h5;

TEST(SweepCli, FileHoldsWhatWasComputedAndChunkingDoesNotMatter) {
  const fs::path dir = temp_dir();
  const std::string cfg = write_config(dir, "sweep.json", kConfig);
  const std::string one = (dir / "one.h5").string(), many = (dir / "many.h5").string();
  CliRun a = run({"sweep", cfg, "--output", one, "--device", "cpu", "--quiet"});
  ASSERT_EQ(a.rc, 0) << a.err;
  // a budget of one byte: every cell is its own chunk
  CliRun b = run({"sweep", cfg, "--output", many, "--device", "cpu", "--threads", "1", "--memory-budget", "1"});
  ASSERT_EQ(b.rc, 0) << b.err;
  EXPECT_NE(b.out.find("6 chunks"), std::string::npos) << b.out;

  File fa(one), fb(many);
  for (const char* name : {"/cells/Time [s]", "/cells/Voltage [V]", "/cells/Current [A]",
                           "/cells/Discharge capacity [A.h]", "/summary/End time [s]", "/summary/Energy [W.h]",
                           "/summary/Discharge capacity [A.h]", "/summary/Mean voltage [V]",
                           "/inputs/C-rate", "/inputs/Negative electrode thickness [m]"}) {
    const auto x = read_doubles(fa, name), y = read_doubles(fb, name);
    ASSERT_EQ(x.size(), y.size()) << name;
    for (std::size_t i = 0; i < x.size(); ++i)
      EXPECT_TRUE((std::isnan(x[i]) && std::isnan(y[i])) || x[i] == y[i]) << name << " entry " << i;
  }
  EXPECT_EQ(read_ints(fa, "/cells/status"), read_ints(fb, "/cells/status"));
  EXPECT_EQ(read_strings(fa, "/cells/message"), read_strings(fb, "/cells/message"));

  // Each cell's outputs equal a single-cell solve of the same cell (grid order: thickness
  // slowest); the file holds exactly those outputs (ragged: cell c's at offset[c] ..).
  const auto volts = read_doubles(fa, "/cells/Voltage [V]");
  const auto offset = read_int64s(fa, "/cells/offset"), count = read_int64s(fa, "/cells/count");
  const auto status = read_ints(fa, "/cells/status");
  ASSERT_EQ(count.size(), 6u);
  const SweepSpec spec = load_sweep_config(cfg);
  const SweepPlan plan = plan_sweep(spec);
  const double thickness[] = {7e-5, 8.52e-5, 1e-4};
  const double crate[] = {1, 2};
  for (int c = 0; c < 6; ++c) {
    ParameterSet ps = ParameterSet::load("Chen2020");
    ps.set("Negative electrode thickness [m]", thickness[c / 2]);
    RunOptions ro = plan.inputs.run;
    ro.t_end = plan.inputs.t_end_of(c);
    const Solution s = simulate(ps.cell_params(crate[c % 2] * 5.0), ro);
    EXPECT_EQ(status[c], static_cast<int>(s.status)) << "cell " << c;
    ASSERT_EQ(count[c], static_cast<long long>(s.voltage.size())) << "cell " << c;
    for (std::size_t k = 0; k < s.voltage.size(); ++k)
      EXPECT_EQ(volts[offset[c] + k], s.voltage[k]) << "cell " << c << " output " << k;
  }
  EXPECT_EQ(volts.size(), static_cast<std::size_t>(offset[5] + count[5])) << "no padding";
  EXPECT_EQ(read_string_attribute(fa, "/", "parameter set"), "Chen2020");
  EXPECT_NE(read_string_attribute(fa, "/", "parameters").find("\"Negative particle radius [m]\": 5.86e-06"),
            std::string::npos);
  fs::remove_all(dir);
}

TEST(SweepCli, ABadCellDoesNotStopTheSweep) {
  const fs::path dir = temp_dir();
  // porosity 0.3 + active fraction 0.75 > 1 for the second cell only
  const std::string cfg = write_config(dir, "bad_cell.json", R"({
    "mesh": {"x_n": 6, "x_s": 4, "x_p": 6, "r_n": 5, "r_p": 5}, "period": 120,
    "vary": {"Negative electrode porosity": [0.2, 0.3, 0.25]}})");
  const std::string out = (dir / "bad.h5").string();
  CliRun r = run({"sweep", cfg, "--output", out, "--device", "cpu"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("invalid_input 1"), std::string::npos) << r.out;
  File f(out);
  const auto st = read_ints(f, "/cells/status");
  ASSERT_EQ(st.size(), 3u);
  EXPECT_EQ(st[1], static_cast<int>(CellStatus::invalid_input));
  EXPECT_EQ(st[0], static_cast<int>(CellStatus::cutoff_lower));
  EXPECT_EQ(st[2], static_cast<int>(CellStatus::cutoff_lower));
  EXPECT_NE(read_strings(f, "/cells/message")[1].find("porosity"), std::string::npos);
  // where each cell ran: on the CPU, except the invalid one, which ran nowhere
  EXPECT_EQ(read_ints(f, "/cells/device"), (std::vector<int>{0, -1, 0}));
  fs::remove_all(dir);
}

TEST(SweepCli, GpuRoadStreamsThroughOneSlotAndRecordsWhereEachCellRan) {
  // `--device cuda` on the host emulation of the device (cuda_backend::
  // emulate_device_for_testing): a 1-byte budget leaves one device slot, so the three
  // valid cells pass through it one after the other (two refills); the file says they
  // ran on the GPU (1), the invalid one nowhere (-1); statuses as on the CPU.
  const fs::path dir = temp_dir();
  const std::string cfg = write_config(dir, "gpu_road.json", R"({
    "mesh": {"x_n": 6, "x_s": 4, "x_p": 6, "r_n": 5, "r_p": 5}, "period": 120,
    "vary": {"Negative electrode porosity": [0.2, 0.3, 0.25, 0.22]}})");
  const std::string out = (dir / "gpu.h5").string();
  cuda_backend::emulate_device_for_testing(true);
  CliRun r = run({"sweep", cfg, "--output", out, "--device", "cuda", "--memory-budget", "1", "--gpu-handoff", "0"});
  cuda_backend::emulate_device_for_testing(false);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("streamed through 1 device slots (2 refills"), std::string::npos) << r.out;
  File f(out);
  EXPECT_EQ(read_ints(f, "/cells/device"), (std::vector<int>{1, -1, 1, 1}));
  const auto st = read_ints(f, "/cells/status");
  EXPECT_EQ(st, (std::vector<int>{static_cast<int>(CellStatus::cutoff_lower), static_cast<int>(CellStatus::invalid_input),
                                  static_cast<int>(CellStatus::cutoff_lower), static_cast<int>(CellStatus::cutoff_lower)}));
  fs::remove_all(dir);
}

// Issue 10 item 5: with the default output every cell has its own resolved curve. On the
// old shared grid (period t_end / 200 of the slowest, 0.5C, cell) a 3C cell had 200 / 6 + 2
// = 35 rows at most (8 with the real 3 x nominal default); the file is not padded to the
// longest cell, so it grows with the outputs that exist.
TEST(SweepCli, MixedRatesEachGetTheirOwnResolvedCurve) {
  const fs::path dir = temp_dir();
  const char* mesh = R"("mesh": {"x_n": 8, "x_s": 6, "x_p": 8, "r_n": 6, "r_p": 6})";
  const std::string mixed = write_config(dir, "mixed.json", std::string("{") + mesh + R"(,
    "vary": {"C-rate": [0.5, 3, 0.5, 3]}})");
  const std::string fast = write_config(dir, "fast.json", std::string("{") + mesh + R"(,
    "vary": {"C-rate": [3, 3, 3, 3]}})");
  const std::string out_mixed = (dir / "mixed.h5").string(), out_fast = (dir / "fast.h5").string();
  CliRun a = run({"sweep", mixed, "--output", out_mixed, "--device", "cpu", "--quiet"});
  ASSERT_EQ(a.rc, 0) << a.err;
  CliRun b = run({"sweep", fast, "--output", out_fast, "--device", "cpu", "--quiet"});
  ASSERT_EQ(b.rc, 0) << b.err;
  File fm(out_mixed), ff(out_fast);
  const auto count = read_int64s(fm, "/cells/count");
  const auto t = read_doubles(fm, "/cells/Time [s]"), v = read_doubles(fm, "/cells/Voltage [V]");
  const auto offset = read_int64s(fm, "/cells/offset");
  const auto status = read_ints(fm, "/cells/status");
  const SweepPlan plan = plan_sweep(load_sweep_config(mixed));
  for (int c = 0; c < 4; ++c) {
    ASSERT_EQ(status[c], static_cast<int>(CellStatus::cutoff_lower)) << "cell " << c;
    // a single run of the cell, with its own default end (plan_sweep gives each cell the
    // default end a single run of it has)
    ParameterSet ps = ParameterSet::load("Chen2020");
    const double current = (c % 2 ? 3.0 : 0.5) * 5.0;
    RunOptions ro = plan.inputs.run;
    ro.t_end = plan.inputs.t_end_of(c);
    EXPECT_EQ(ro.t_end, default_end_time(ps.cell_params(current))) << "cell " << c;
    const Solution single = simulate(ps.cell_params(current), ro);
    EXPECT_GE(count[c], static_cast<long long>(single.time.size())) << "cell " << c;
    EXPECT_GT(count[c], 100) << "cell " << c << ": a resolved curve, not a polygon";
    // the last output is the cut-off
    EXPECT_NEAR(v[offset[c] + count[c] - 1], 2.5, 1e-9) << "cell " << c;
    EXPECT_DOUBLE_EQ(t[offset[c] + count[c] - 1], single.end_time) << "cell " << c;
  }
  // The slow cells take more points than the fast ones on the shared time axis, but the
  // file holds the sum of what each made: its series length is the sum of the counts.
  EXPECT_EQ(t.size(), static_cast<std::size_t>(count[0] + count[1] + count[2] + count[3]));
  const auto fast_count = read_int64s(ff, "/cells/count");
  const std::size_t fast_points = read_doubles(ff, "/cells/Time [s]").size();
  EXPECT_EQ(fast_points, static_cast<std::size_t>(fast_count[0] + fast_count[1] + fast_count[2] + fast_count[3]));
  fs::remove_all(dir);
}

// Issue 10 item 10: an output grid that cannot fit is refused before anything runs.
TEST(SweepCli, OutputTooLargeIsRefusedBeforeRunning) {
  const fs::path dir = temp_dir();
  const std::string cfg = write_config(dir, "huge.json", R"({"period": 1e-7, "t_end": 100,
    "vary": {"C-rate": [1, 2]}})");
  const std::string out = (dir / "huge.h5").string();
  CliRun r = run({"sweep", cfg, "--output", out, "--device", "cpu"});
  EXPECT_EQ(r.rc, 2) << r.out << r.err;
  // 100 s / 1e-7 s + 1 grid points + the end point = 1e9 + 2 rows of 48 bytes
  EXPECT_NE(r.err.find("1e+09 output rows"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("IONFLUX_MAX_OUTPUT_BYTES"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("limit of 1024 MiB"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out)) << "refused before the file was created";
  fs::remove_all(dir);
}

// Issue 10 item 3: a 200C cell crosses its cut-off at t = 0. Its summaries are NaN (not
// 0 W.h and the voltage at t = 0), and the run warns with the count per status.
TEST(SweepCli, FailedCellsHaveNaNSummariesAndAreCounted) {
  const fs::path dir = temp_dir();
  const std::string cfg = write_config(dir, "failing.json", R"({
    "mesh": {"x_n": 6, "x_s": 4, "x_p": 6, "r_n": 5, "r_p": 5}, "period": 120,
    "vary": {"C-rate": [1, 200, 2]}})");
  const std::string out = (dir / "failing.h5").string();
  for (bool quiet : {false, true}) {
    std::vector<std::string> args = {"sweep", cfg, "--output", out, "--device", "cpu"};
    if (quiet) args.push_back("--quiet");
    CliRun r = run(args);
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_NE(r.err.find("warning: 1 of 3 cells did not end normally (cutoff_at_start 1)"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("NaN capacity, energy and mean voltage"), std::string::npos) << r.err;
  }
  File f(out);
  const auto st = read_ints(f, "/cells/status");
  ASSERT_EQ(st.size(), 3u);
  EXPECT_EQ(st[1], static_cast<int>(CellStatus::cutoff_at_start));
  for (const char* name : {"/summary/Discharge capacity [A.h]", "/summary/Energy [W.h]", "/summary/Mean voltage [V]"}) {
    const auto v = read_doubles(f, name);
    EXPECT_TRUE(std::isnan(v[1])) << name;
    EXPECT_TRUE(std::isfinite(v[0]) && std::isfinite(v[2])) << name;
  }
  EXPECT_EQ(read_doubles(f, "/summary/End time [s]")[1], 0.0);  // where it stopped
  EXPECT_EQ(read_strings(f, "/summary/End reason")[1], "cutoff_at_start");
  // a sweep where every cell ends normally prints no warning
  const std::string ok_cfg = write_config(dir, "ok.json", R"({
    "mesh": {"x_n": 6, "x_s": 4, "x_p": 6, "r_n": 5, "r_p": 5}, "period": 120, "vary": {"C-rate": [1, 2]}})");
  CliRun r = run({"sweep", ok_cfg, "--output", (dir / "ok.h5").string(), "--device", "cpu"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
}

// A sweep none of whose cells could be solved (each passes planning, each fails at run
// time) is a failed run for a script: exit status 1, one error line with the first
// cell's reason. The file is still complete, every cell with its status. (It used to
// exit 0 with only the warning.) With one cell of three solved, the status stays 0.
TEST(SweepCli, ASweepWhoseCellsAllFailExitsOne) {
  const fs::path dir = temp_dir();
  const std::string cfg = write_config(dir, "all_fail.json", R"({
    "mesh": {"x_n": 6, "x_s": 4, "x_p": 6, "r_n": 5, "r_p": 5}, "period": 120,
    "vary": {"C-rate": [200, 300]}})");
  const std::string out = (dir / "all_fail.h5").string();
  for (bool quiet : {false, true}) {
    std::vector<std::string> args = {"sweep", cfg, "--output", out, "--device", "cpu"};
    if (quiet) args.push_back("--quiet");
    CliRun r = run(args);
    EXPECT_EQ(r.rc, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("warning: 2 of 2 cells did not end normally (cutoff_at_start 2)"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("error: none of the 2 cells could be solved; the first, cell 0: "), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find(out + " holds every cell's status and message"), std::string::npos) << r.err;
  }
  {
    File f(out);  // (closed before the resume: a reader's lock would hold the run off)
    const auto st = read_ints(f, "/cells/status");
    ASSERT_EQ(st.size(), 2u);
    EXPECT_EQ(st[0], static_cast<int>(CellStatus::cutoff_at_start));
    EXPECT_EQ(st[1], static_cast<int>(CellStatus::cutoff_at_start));
  }
  // --resume of the finished file runs nothing and reports the same
  CliRun again = run({"sweep", cfg, "--output", out, "--device", "cpu", "--resume"});
  EXPECT_EQ(again.rc, 1) << again.out << again.err;
  EXPECT_NE(again.err.find("error: none of the 2 cells could be solved ("), std::string::npos) << again.err;
  // and its warning counts the kept cells as the first run did (the summary of a run that
  // ran nothing had a status count per code up to the largest kept one only, and the
  // warning read end_time_reached's count past its end)
  EXPECT_NE(again.err.find("warning: 2 of 2 cells did not end normally (cutoff_at_start 2); failed cells have NaN "
                           "capacity, energy and mean voltage; see /cells/status"),
            std::string::npos)
      << again.err;
  EXPECT_EQ(again.err.find("end_time_reached"), std::string::npos) << again.err;
  fs::remove_all(dir);
}

// A placeholder in a drive-cycle file's name gives each cell its own file. The output
// is checked against every cell's file, not only the first cell's: an --output naming
// cell 1's file is refused before anything is written, the file kept as it was.
TEST(SweepCli, OutputIsCheckedAgainstEveryCellsDriveCycleFile) {
  const fs::path dir = temp_dir() / "per_cell_drive";
  fs::create_directories(dir);
  const std::string table_1 = "0,1\n10,2\n20,1\n", table_2 = "0,2\n10,3\n20,2\n";
  std::ofstream(dir / "drive_1") << table_1;
  std::ofstream(dir / "drive_2") << table_2;
  const std::string cfg = write_config(dir, "drive.json", R"({
    "mesh": {"x_n": 6, "x_s": 4, "x_p": 6, "r_n": 5, "r_p": 5},
    "experiment": ["Discharge with current from drive_{Id} for 30 s"],
    "vary": {"Id": [1, 2]}})");
  for (const char* name : {"drive_1", "drive_2"}) {
    CliRun r = run({"sweep", cfg, "--output", (dir / name).string(), "--device", "cpu", "--quiet"});
    EXPECT_EQ(r.rc, 2) << name << ": " << r.err;
    EXPECT_NE(r.err.find("is the drive-cycle file"), std::string::npos) << r.err;
  }
  auto text = [](const fs::path& p) {
    std::ifstream f(p);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  EXPECT_EQ(text(dir / "drive_1"), table_1);
  EXPECT_EQ(text(dir / "drive_2"), table_2);
  // an output beside them runs, each cell with its own table
  CliRun ok = run({"sweep", cfg, "--output", (dir / "out.h5").string(), "--device", "cpu", "--quiet"});
  EXPECT_EQ(ok.rc, 0) << ok.err;
  fs::remove_all(dir);
}

// Issue 10 item 9: a cell whose experiment the set's cut-off stops early says which step
// was cut short and which did not run (/cells/message), and the command warns. Chen2020
// at 1C reaches 2.5 V after about 3,555 s, before 2 hours; at C/10 it does not (10 minutes).
TEST(SweepCli, ExperimentCutShortBySetCutOffIsReported) {
  const fs::path dir = temp_dir();
  const std::string cfg = write_config(dir, "cut.json", R"({
    "mesh": {"x_n": 8, "x_s": 6, "x_p": 8, "r_n": 6, "r_p": 6}, "period": 120,
    "experiment": ["Discharge at {C-rate}C for {Minutes} minutes", "Rest for 10 minutes"],
    "vary": {"C-rate": [1, 0.1], "Minutes": [120, 10]}, "combine": "zip"})");
  const std::string out = (dir / "cut.h5").string();
  CliRun r = run({"sweep", cfg, "--output", out, "--device", "cpu", "--quiet"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("warning: 1 of 2 cells: a voltage cut-off of the parameter set stopped the experiment"),
            std::string::npos)
      << r.err;
  File f(out);
  EXPECT_EQ(read_ints(f, "/cells/status"),
            (std::vector<int>{static_cast<int>(CellStatus::cutoff_lower), static_cast<int>(CellStatus::finished)}));
  const auto msg = read_strings(f, "/cells/message");
  for (const char* part : {"into step 0 \"Discharge at 1C for 120 minutes\" (cycle 0) of 2 steps", "cut short",
                           "1 step did not run: step 1 \"Rest for 10 minutes\" (cycle 0)", "PyBaMM widens them by 1 V"})
    EXPECT_NE(msg[0].find(part), std::string::npos) << "missing '" << part << "' in: " << msg[0];
  EXPECT_EQ(msg[1], "finished: the protocol completed");
  EXPECT_EQ(read_strings(f, "/summary/End reason"), (std::vector<std::string>{"cutoff_lower", "finished"}));
  fs::remove_all(dir);
}
#endif

TEST(SweepCli, BadConfigsFailBeforeAnyWork) {
  const fs::path dir = temp_dir();
  const std::string out = (dir / "never.h5").string();
  struct Case {
    const char* config;
    std::vector<std::string> extra;
    const char* words;
  };
  const Case cases[] = {
      {R"({"vary": {"Negative electrode thicknes [m]": [1e-4]}})", {}, "did you mean"},
      {R"({"vary": {"Negative electrode thickness [m]": []}})", {}, "empty"},
      {R"({"vary": {"Negative electrode thickness [m]": [1e-4, 2e-4], "C-rate": [1, 2, 3]}, "combine": "zip"})",
       {},
       "length"},
      {R"({"vary": {"Negative electrode porosity": [0.3, 1.3]}})", {}, "porosity"},
      // a shared value that no cell can pass (with Chen2020's active fraction 0.75)
      {R"({"set": {"Negative electrode porosity": 0.3}, "vary": {"C-rate": [1, 2]}})", {},
       "every one of the sweep's 2 cells has invalid values, so none would run; the first cell: 'Negative "
       "electrode porosity'"},
      {R"({"vary": {"C-rate": [1]}})", {"--device", "tpu"}, "unknown device"},
      {R"({"vary": {"C-rate": [1]}})", {"--output", "/nonexistent_dir/x.h5"},
       "its directory '/nonexistent_dir' does not exist"},
  };
  int i = 0;
  for (const Case& c : cases) {
    const std::string cfg = write_config(dir, "bad" + std::to_string(i++) + ".json", c.config);
    std::vector<std::string> args = {"sweep", cfg, "--output", out, "--quiet"};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    const CliRun r = run(args);
    EXPECT_EQ(r.rc, 2) << c.config;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(c.words), std::string::npos) << "expected '" << c.words << "' in: " << r.err;
    EXPECT_FALSE(fs::exists(out)) << "nothing is written for a bad config: " << c.config;
  }
  // an output named for another format (it would hold HDF5): refused, nothing written
  const std::string csv = (dir / "results.csv").string();
  const CliRun as_csv = run({"sweep", write_config(dir, "ok.json", R"({"vary": {"C-rate": [1]}})"), "--output", csv});
  EXPECT_EQ(as_csv.rc, 2);
  EXPECT_NE(as_csv.err.find("is an HDF5 file, not csv: give it the extension .h5"), std::string::npos) << as_csv.err;
  EXPECT_FALSE(fs::exists(csv));
  // an error found when the sweep is planned (a bad experiment step) names the config too
  const std::string bad_step = write_config(dir, "bad_step.json", R"({"experiment": ["Dischrage at 1C until 2.5 V"]})");
  const CliRun step = run({"sweep", bad_step, "--output", out, "--quiet"});
  EXPECT_EQ(step.rc, 2);
  EXPECT_EQ(step.err.rfind("error: " + bad_step + ": experiment step 1", 0), 0u) << step.err;
  EXPECT_NE(step.err.find("(did you mean 'Discharge'?)"), std::string::npos) << step.err;
  // the config itself as the output: refused, and the config left as it was
  const std::string cfg = write_config(dir, "self.json", R"({"vary": {"C-rate": [1]}})");
  const CliRun self = run({"sweep", cfg, "--output", cfg, "--quiet"});
  EXPECT_EQ(self.rc, 2);
  EXPECT_NE(self.err.find("is the sweep config"), std::string::npos) << self.err;
  std::ifstream in(cfg);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), R"({"vary": {"C-rate": [1]}})");
  const CliRun missing = run({"sweep", (dir / "missing.json").string()});
  EXPECT_EQ(missing.rc, 2);
  EXPECT_NE(missing.err.find("missing.json"), std::string::npos) << missing.err;
  fs::remove_all(dir);
}

}  // namespace IONFLUX_TEST_FILE_ID
