// The `ionflux` command-line program, run as a separate process (IONFLUX_CLI is the
// path of the built binary), and its CSV writer.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../test_util.hpp"
#include "solver/output/csv.hpp"
#include "solver/util/errors.hpp"

namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)

namespace fs = std::filesystem;

namespace {

//! Scratch directories named after this file's tests.
struct TempDir : ionflux::testing::TempDir {
  TempDir() : ionflux::testing::TempDir("ionflux_cli") {}
};

std::string quote(const std::string& s) {
  std::string r = "'";
  for (char c : s) r += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return r + "'";
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> r;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) r.push_back(line);
  return r;
}

bool have_timeout() {
  static const bool ok = std::system("command -v timeout >/dev/null 2>&1") == 0;
  return ok;
}

struct Result {
  int rc = -1;
  std::string out, err;
};

//! Run the CLI in `cwd` with the given arguments (each passed as one word), under a
//! time limit so that a hang fails the test instead of blocking the suite.
Result run_cli(const std::vector<std::string>& args, const TempDir& cwd, int limit_s = 120) {
  std::string cmd = "cd " + quote(cwd.path().string()) + " && ";
  if (have_timeout()) cmd += "timeout " + std::to_string(limit_s) + " ";
  cmd += quote(IONFLUX_CLI);
  for (const auto& a : args) cmd += " " + quote(a);
  const std::string out = cwd / ".stdout", err = cwd / ".stderr";
  cmd += " >" + quote(out) + " 2>" + quote(err);
  const int status = std::system(cmd.c_str());
  Result r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  r.out = read_text(out);
  r.err = read_text(err);
  fs::remove(out);
  fs::remove(err);
  return r;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

//! Exactly one line on stderr, starting with "error: ", and containing every key word.
void expect_error_line(const Result& r, const std::vector<std::string>& words) {
  const auto lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << "stderr:\n" << r.err;
  EXPECT_EQ(lines[0].rfind("error: ", 0), 0u) << lines[0];
  for (const auto& w : words) EXPECT_TRUE(contains(lines[0], w)) << "'" << w << "' not in: " << lines[0];
}

struct Csv {
  std::string header;
  std::vector<std::vector<double>> rows;
};

Csv read_csv(const std::string& path) {
  Csv c;
  const auto lines = lines_of(read_text(path));
  if (lines.empty()) return c;
  c.header = lines[0];
  for (std::size_t k = 1; k < lines.size(); ++k) {
    std::vector<double> row;
    std::istringstream in(lines[k]);
    for (std::string cell; std::getline(in, cell, ',');) row.push_back(std::strtod(cell.c_str(), nullptr));
    c.rows.push_back(row);
  }
  return c;
}

const char* const kHeader = "Time [s],Voltage [V],Current [A],Discharge capacity [A.h]";
const char* const kCoarse = "x_n=10,x_s=5,x_p=10,r_n=10,r_p=10";

void expect_monotone_time(const Csv& c) {
  for (std::size_t k = 1; k < c.rows.size(); ++k) ASSERT_GT(c.rows[k][0], c.rows[k - 1][0]) << "row " << k;
}

}  // namespace

TEST(cli, version) {
  TempDir d;
  const Result r = run_cli({"--version"}, d);
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, std::string("ionflux ") + IONFLUX_VERSION + "\n");
  EXPECT_EQ(r.err, "");
}

TEST(cli, help_lists_commands) {
  TempDir d;
  for (const char* flag : {"--help", "-h"}) {
    const Result r = run_cli({flag}, d);
    EXPECT_EQ(r.rc, 0) << flag;
    EXPECT_TRUE(contains(r.out, "Usage: ionflux")) << r.out;
    EXPECT_TRUE(contains(r.out, "simulate")) << r.out;
    EXPECT_EQ(r.err, "");
  }
}

TEST(cli, no_arguments_prints_usage_on_stderr_and_exits_2) {
  TempDir d;
  const Result r = run_cli({}, d);
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(contains(r.err, "Usage: ionflux")) << r.err;
}

TEST(cli, unknown_command_and_option) {
  TempDir d;
  Result r = run_cli({"simulat"}, d);
  EXPECT_EQ(r.rc, 2);
  expect_error_line(r, {"unknown command 'simulat'", "simulate"});
  r = run_cli({"--verbose"}, d);
  EXPECT_EQ(r.rc, 2);
  expect_error_line(r, {"unknown option '--verbose'"});
  r = run_cli({"simulate", "--rtl", "1e-6"}, d);
  EXPECT_EQ(r.rc, 2);
  expect_error_line(r, {"unknown option '--rtl'", "--rtol"});
  r = run_cli({"simulate", "extra"}, d);
  EXPECT_EQ(r.rc, 2);
  expect_error_line(r, {"unexpected argument 'extra'"});
  r = run_cli({"simulate", "--rtol"}, d);
  EXPECT_EQ(r.rc, 2);
  expect_error_line(r, {"--rtol", "missing value"});
}

TEST(cli, simulate_help_documents_every_option) {
  TempDir d;
  const Result r = run_cli({"simulate", "--help"}, d);
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.err, "");
  for (const char* opt : {"--parameters", "--set", "--c-rate", "--current", "--soc", "--mesh", "--rtol", "--atol",
                          "--period", "--t-end", "--output", "--quiet", "--help", "--option"})
    EXPECT_TRUE(contains(r.out, opt)) << opt;
  for (const char* def : {"[default: Chen2020]", "[default: 1e-6]", "[default: 1e-8]", "[default: ionflux.csv",
                          "x_n=20,x_s=20,x_p=20,r_n=20,r_p=20", "Current function [A]", kHeader})
    EXPECT_TRUE(contains(r.out, def)) << def;
  // nothing was run or written
  EXPECT_FALSE(fs::exists(d / "ionflux.csv"));
  // --parameters names every set that `ionflux parameters list` prints (the help once named two of nine)
  const Result sets = run_cli({"parameters", "list"}, d);
  ASSERT_EQ(sets.rc, 0);
  std::istringstream names(sets.out);
  int n_sets = 0;
  for (std::string name; std::getline(names, name);) {
    if (name.empty()) continue;
    ++n_sets;
    EXPECT_TRUE(contains(r.out, name)) << "simulate --help does not name the shipped set " << name;
  }
  EXPECT_GE(n_sets, 9);
}

TEST(cli, default_chen2020_run) {
  TempDir d;
  const Result r = run_cli({"simulate", "--period", "60"}, d);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const Csv c = read_csv(d / "ionflux.csv");  // the default output file, in the cwd
  EXPECT_EQ(c.header, kHeader);
  ASSERT_GE(c.rows.size(), 3u);
  expect_monotone_time(c);
  for (const auto& row : c.rows) {
    ASSERT_EQ(row.size(), 4u);
    EXPECT_EQ(row[2], 5.0);  // Chen2020 "Current function [A]"
  }
  // outputs every 60 s, then the cut-off point
  for (std::size_t k = 0; k + 1 < c.rows.size(); ++k) EXPECT_DOUBLE_EQ(c.rows[k][0], 60.0 * k);
  const auto& last = c.rows.back();
  EXPECT_NEAR(last[1], 2.5, 1e-6);
  EXPECT_GT(last[0], 60.0 * (c.rows.size() - 2));
  EXPECT_LE(last[0], 60.0 * (c.rows.size() - 1));
  EXPECT_NEAR(last[3], 5.0 * last[0] / 3600.0, 1e-12 * last[3]);
  EXPECT_GT(last[0], 3000.0);  // about one hour at 1C
  EXPECT_LT(last[0], 3700.0);
  for (const char* part : {"Chen2020", "5 A (1C discharge)", "reached the lower voltage cut-off", "End time",
                           "Discharge capacity", "Energy", "Mean voltage", "Newton iterations", "Jacobian setups",
                           "Wall time", "ionflux.csv"})
    EXPECT_TRUE(contains(r.out, part)) << part << " not in:\n" << r.out;
}

// Issue 10 item 5: the default output resolves the curve. PyBaMM 26.10.1.1 (DFN, default
// options and mesh, Chen2020 at 1C, default IDAKLUSolver) returns 170 points for
// sim.solve([0, 3600]) (its adaptive steps; measured with the pinned PyBaMM for this
// test); the old default (t_end / 200 with t_end = 3 h) gave 67 rows.
TEST(cli, default_output_resolves_the_curve) {
  TempDir d;
  const Result r = run_cli({"simulate", "--c-rate", "1"}, d);
  ASSERT_EQ(r.rc, 0) << r.err;
  const Csv c = read_csv(d / "ionflux.csv");
  EXPECT_GE(c.rows.size(), 170u);
  expect_monotone_time(c);
  EXPECT_NEAR(c.rows.back()[1], 2.5, 1e-9);  // the cut-off, located in time
  // dense where the voltage changes fast: the first 100 s (the initial transient) hold
  // more rows than a uniform spread of the rows over the run would put there
  const double t_end = c.rows.back()[0];
  std::size_t early = 0;
  for (const auto& row : c.rows) early += row[0] < 100.0;
  EXPECT_GT(early, 3 * static_cast<std::size_t>(100.0 / t_end * c.rows.size())) << early;
}

// Issue 10 item 10: output that cannot fit is refused before anything runs.
TEST(cli, output_too_large_is_refused) {
  TempDir d;
  const Result r = run_cli({"simulate", "--period", "1e-7", "--t-end", "100"}, d, 20);
  EXPECT_EQ(r.rc, 2);
  // 100 s / 1e-7 s + 1 grid points + the end point = 1e9 + 2 rows
  expect_error_line(r, {"1e+09 output rows", "MiB", "limit of 1024 MiB", "IONFLUX_MAX_OUTPUT_BYTES", "period"});
  EXPECT_FALSE(fs::exists(d / "ionflux.csv"));
}

TEST(cli, marquis2019_at_2c) {
  TempDir d;
  const std::string out = d / "marquis.csv";
  const Result r = run_cli({"simulate", "--parameters", "Marquis2019", "--c-rate", "2", "--mesh", kCoarse, "--period",
                            "100", "--output", out},
                           d);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(contains(r.out, "Marquis2019")) << r.out;
  EXPECT_TRUE(contains(r.out, "2C discharge")) << r.out;
  const Csv c = read_csv(out);
  EXPECT_EQ(c.header, kHeader);
  ASSERT_GE(c.rows.size(), 3u);
  expect_monotone_time(c);
  const double current = 2.0 * 0.680616;  // 2 x "Nominal cell capacity [A.h]"
  for (const auto& row : c.rows) EXPECT_NEAR(row[2], current, 1e-12);
  EXPECT_NEAR(c.rows.back()[1], 3.105, 1e-6);  // Marquis2019 lower cut-off
  EXPECT_LT(c.rows.back()[0], 1800.0 + 1e-9);  // a 2C discharge ends within half an hour
  EXPECT_FALSE(fs::exists(d / "ionflux.csv"));
}

TEST(cli, set_soc_charge_and_quiet) {
  TempDir d;
  // A charge from 0% SOC ends at the upper cut-off; --quiet prints nothing.
  const Result r = run_cli({"simulate", "--c-rate", "-1", "--soc", "0", "--mesh", kCoarse, "--period", "100",
                            "--set", "Ambient temperature [K]=303.15", "--quiet", "--output=charge.csv"},
                           d);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  const Csv c = read_csv(d / "charge.csv");
  ASSERT_GE(c.rows.size(), 3u);
  expect_monotone_time(c);
  EXPECT_EQ(c.rows.back()[2], -5.0);
  EXPECT_NEAR(c.rows.back()[1], 4.2, 1e-6);
  EXPECT_LT(c.rows.back()[3], 0.0);
}

TEST(cli, t_end_and_current) {
  TempDir d;
  const Result r =
      run_cli({"simulate", "--current", "1.5", "--t-end", "250", "--period", "100", "--mesh", kCoarse}, d);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "stopped at the end time t_end")) << r.out;  // truncated, not "completed"
  const Csv c = read_csv(d / "ionflux.csv");
  ASSERT_EQ(c.rows.size(), 4u);  // 0, 100, 200, 250
  EXPECT_EQ(c.rows.back()[0], 250.0);
  EXPECT_EQ(c.rows.back()[2], 1.5);
}

struct BadInput {
  std::vector<std::string> args;
  std::vector<std::string> words;
};

TEST(cli, bad_inputs_exit_2_with_one_line) {
  const std::vector<BadInput> cases = {
      {{"--set", "Negative electrode thicknes [m]=8e-5"}, {"unknown parameter", "did you mean", "thickness"}},
      {{"--set", "Negative electrode thickness [m]=8e-5x"}, {"Negative electrode thickness [m]", "is not a number"}},
      {{"--set", "Negative electrode thickness [m]=-8.52e-5"}, {"Negative electrode thickness [m]", "positive"}},
      {{"--set", "Positive electrode porosity=1.3"}, {"Positive electrode porosity", "1.3"}},
      {{"--set", "Negative particle radius [m]=0"}, {"Negative particle radius [m]", "positive"}},
      {{"--set", "no equals sign"}, {"NAME=VALUE"}},
      {{"--c-rate", "0"}, {"--c-rate", "non-zero"}},
      {{"--current", "0"}, {"--current", "non-zero"}},
      {{"--c-rate", "inf"}, {"--c-rate", "finite"}},
      {{"--c-rate", "1", "--current", "5"}, {"--c-rate", "--current", "together"}},
      {{"--soc", "1.5"}, {"--soc", "[0, 1]", "1.5"}},
      {{"--soc", "-0.1"}, {"--soc", "[0, 1]"}},
      {{"--mesh", "x_n=1"}, {"x_n", "at least 2", "1"}},
      {{"--mesh", "x_n=ten"}, {"--mesh", "x_n", "not an integer"}},
      {{"--mesh", "x_q=10"}, {"--mesh", "unknown key 'x_q'"}},
      {{"--mesh", "x_n"}, {"--mesh", "KEY=N"}},
      {{"--mesh", "x_n=20,x_n=30"}, {"--mesh", "x_n is given twice"}},
      {{"--parameters", "Chen2021"}, {"unknown parameter set 'Chen2021'", "Chen2020"}},
      {{"--parameters", "missing_file.json"}, {"missing_file.json"}},
      {{"--rtol", "abc"}, {"--rtol: 'abc' is not a number"}},
      {{"--rtol", "1e-6abc"}, {"--rtol", "is not a number"}},
      {{"--rtol", "0"}, {"--rtol"}},
      {{"--atol", "-1"}, {"--atol", "positive"}},
      {{"--period", ""}, {"--period", "is not a number"}},
      {{"--period", "-5"}, {"--period"}},
      {{"--t-end", "0"}, {"--t-end", "positive"}},
      {{"--quiet=yes"}, {"--quiet", "no value"}},
      {{"--rtol", "1e-6", "--rtol", "1e-7"}, {"--rtol", "more than once"}},
      {{"--output", "/nonexistent_dir/x.csv"}, {"cannot write output file", "/nonexistent_dir/x.csv"}},
  };
  TempDir d;
  for (const auto& c : cases) {
    // fast defaults for the options that the case does not give itself
    std::vector<std::string> args = {"simulate"};
    auto given = [&](const std::string& opt) { return std::find(c.args.begin(), c.args.end(), opt) != c.args.end(); };
    if (!given("--mesh")) args.insert(args.end(), {"--mesh", kCoarse});
    if (!given("--period")) args.insert(args.end(), {"--period", "100"});
    if (!given("--output")) args.insert(args.end(), {"--output", d / "never.csv"});
    args.insert(args.end(), c.args.begin(), c.args.end());
    std::string shown;
    for (const auto& a : c.args) shown += " [" + a + "]";
    SCOPED_TRACE("arguments:" + shown);
    const Result r = run_cli(args, d);
    EXPECT_EQ(r.rc, 2) << r.err;
    EXPECT_EQ(r.out, "");
    expect_error_line(r, c.words);
    EXPECT_FALSE(fs::exists(d / "never.csv"));  // nothing written
  }
}

TEST(cli, existing_output_is_kept_on_input_errors) {
  TempDir d;
  const std::string out = d / "keep.csv";
  std::ofstream(out) << "precious\n";
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--rtol", "abc"}, std::vector<std::string>{"--set", "Separator porosity=2"}}) {
    std::vector<std::string> args = {"simulate", "--output", out};
    args.insert(args.end(), extra.begin(), extra.end());
    const Result r = run_cli(args, d);
    EXPECT_EQ(r.rc, 2);
    EXPECT_EQ(read_text(out), "precious\n");
  }
  // A directory is not a writable output file.
  const Result r = run_cli({"simulate", "--output", d.path().string()}, d);
  EXPECT_EQ(r.rc, 2);
  expect_error_line(r, {"cannot write output file"});
}

// An output path that names an input (the parameter file, a drive cycle; under another
// spelling or through a link) is refused before the run, and the input is left as it was.
TEST(cli, output_that_is_an_input_is_refused_and_the_input_kept) {
  TempDir d;
  const Result exported = run_cli({"parameters", "export", "Chen2020"}, d);
  ASSERT_EQ(exported.rc, 0);
  std::ofstream(d / "set.json") << exported.out;
  const std::string set_text = read_text(d / "set.json");
  ASSERT_FALSE(set_text.empty());
  std::ofstream(d / "cycle.csv") << "0,1\n10,2\n20,3\n";
  fs::create_symlink("cycle.csv", d / "link.csv");
  struct Case {
    std::vector<std::string> args;
    std::string what;
  };
  const Case cases[] = {
      {{"--parameters", "set.json", "--output", "./set.json"}, "parameter file"},
      {{"--experiment", "Discharge with current from cycle.csv for 30 s", "--output", "cycle.csv"}, "drive-cycle file"},
      {{"--experiment", "Discharge with current from cycle.csv for 30 s", "--output", "link.csv"}, "drive-cycle file"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"simulate"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const Result r = run_cli(args, d);
    EXPECT_EQ(r.rc, 2) << c.what;
    expect_error_line(r, {"--output", "is the " + c.what, "would destroy it"});
  }
  EXPECT_EQ(read_text(d / "set.json"), set_text);
  EXPECT_EQ(read_text(d / "cycle.csv"), "0,1\n10,2\n20,3\n");
  // a drive cycle and the output side by side still run
  EXPECT_EQ(run_cli({"simulate", "--experiment", "Discharge with current from cycle.csv for 30 s", "--output",
                     "out.csv", "--quiet"},
                    d)
                .rc,
            0);
}

// A drive cycle repeated past its end (kernels/model/protocol.hpp: copies every span +
// first interval, a ramp on each seam) has a kink at every knot of every copy, and the
// solver stops on each one (CellSolver::next_knot): with uneven knots (0, 7, 20, 30 s: a
// period of 37 s) every knot's time is an output row of an every-step run.
TEST(cli, a_repeated_drive_cycle_stops_at_every_knot_of_every_copy) {
  TempDir d;
  std::ofstream(d / "uneven.csv") << "0,1\n7,2\n20,3\n30,1.5\n";
  const Result r = run_cli({"simulate", "--experiment", "Discharge with current from uneven.csv for 120 s", "--period",
                            "0", "--mesh", kCoarse, "--quiet", "--output", "out.csv"},
                           d);
  ASSERT_EQ(r.rc, 0) << r.err;
  const Csv c = read_csv(d / "out.csv");
  for (double knot : {7.0, 20.0, 30.0, 37.0, 44.0, 57.0, 67.0, 74.0, 81.0, 94.0, 104.0, 111.0, 118.0}) {
    bool hit = false;
    for (const auto& row : c.rows) hit = hit || std::fabs(row[0] - knot) < 1e-9;
    EXPECT_TRUE(hit) << "no output row at the knot t = " << knot << " s";
  }
}

TEST(cli, cell_that_cannot_be_solved_exits_1_with_reason) {
  TempDir d;
  // 2000 A (400C): the voltage is outside the cut-offs from the start.
  const Result r = run_cli({"simulate", "--current", "2000", "--mesh", kCoarse}, d, 60);
  ASSERT_NE(r.rc, 124) << "timed out";
  EXPECT_EQ(r.rc, 1) << r.err;
  expect_error_line(r, {"cell could not be solved: "});
  const auto lines = lines_of(r.err);
  ASSERT_FALSE(lines.empty());
  EXPECT_GT(lines[0].size(), std::string("error: cell could not be solved: ").size() + 5) << lines[0];
  // why (solver/inputs/plausibility.cpp diagnose_cutoff_at_start): the open-circuit voltage
  // of the initial state is inside the cut-offs, the current's drop takes it out
  EXPECT_TRUE(contains(lines[0], "outside the cut-offs [2.5, 4.2] V; the open-circuit voltage of the initial state is"))
      << lines[0];
  EXPECT_TRUE(contains(lines[0], "takes it past the cut-off: give a smaller current")) << lines[0];
  // what exists is still written
  const Csv c = read_csv(d / "ionflux.csv");
  EXPECT_EQ(c.header, kHeader);
  // a charge from a full cell: its open-circuit voltage is at the upper cut-off already;
  // a discharge from an empty one: at the lower
  const Result charge = run_cli({"simulate", "--c-rate", "-1", "--soc", "1", "--mesh", kCoarse}, d, 60);
  EXPECT_EQ(charge.rc, 1) << charge.err;
  expect_error_line(charge, {"voltage cut-off already crossed at t=0", "outside the cut-offs [2.5, 4.2] V",
                             "is already at or past it: start from a lower initial state of charge"});
  const Result empty = run_cli({"simulate", "--c-rate", "1", "--soc", "0", "--mesh", kCoarse}, d, 60);
  EXPECT_EQ(empty.rc, 1) << empty.err;
  expect_error_line(empty, {"is already at or past it: start from a higher initial state of charge"});
}

// A --set value that the run does not read changes nothing and says so (it had been
// accepted silently: an initial temperature of 330 K in an isothermal run gave the 298 K
// result); the same value where the run reads it gives no warning.
TEST(cli, a_set_value_the_run_does_not_read_is_a_warning) {
  TempDir d;
  const Result iso = run_cli({"simulate", "--mesh", kCoarse, "--set", "Initial temperature [K]=330", "--set",
                              "SEI solvent diffusivity [m2.s-1]=1e-20", "--output", "a.csv", "--quiet"},
                             d, 60);
  ASSERT_EQ(iso.rc, 0) << iso.err;
  EXPECT_TRUE(contains(iso.err, "warning: --set 'Initial temperature [K]' = 330 changes nothing in this run: only "
                                "the lumped thermal model uses it and this run is isothermal (add --thermal lumped)"))
      << iso.err;
  EXPECT_TRUE(contains(iso.err, "warning: --set 'SEI solvent diffusivity [m2.s-1]' = 1e-20 changes nothing in this "
                                "run: only the degradation submodels read it"))
      << iso.err;
  const Result lumped = run_cli({"simulate", "--mesh", kCoarse, "--thermal", "lumped", "--set",
                                 "Initial temperature [K]=330", "--set", "Negative electrode thickness [m]=8e-5",
                                 "--output", "b.csv", "--quiet"},
                                d, 60);
  ASSERT_EQ(lumped.rc, 0) << lumped.err;
  EXPECT_FALSE(contains(lumped.err, "warning")) << lumped.err;
}

// --option thermal=lumped is --thermal lumped (PyBaMM's option name); the two must agree.
TEST(cli, the_thermal_option_is_the_thermal_model) {
  TempDir d;
  const Result a = run_cli({"simulate", "--mesh", kCoarse, "--option", "thermal=lumped", "--output", "a.csv"}, d, 60);
  ASSERT_EQ(a.rc, 0) << a.err;
  EXPECT_TRUE(contains(a.out, "lumped")) << a.out;
  const Result b = run_cli({"simulate", "--mesh", kCoarse, "--thermal", "lumped", "--output", "b.csv", "--quiet"}, d, 60);
  ASSERT_EQ(b.rc, 0) << b.err;
  EXPECT_EQ(read_text(d / "a.csv"), read_text(d / "b.csv"));
  const Result c = run_cli({"simulate", "--option", "thermal=lumped", "--thermal", "isothermal"}, d, 60);
  EXPECT_EQ(c.rc, 2);
  expect_error_line(c, {"--option thermal=lumped and --thermal isothermal disagree"});
}

// A cell the solver gives up on says where: the time and the protocol step. The case: a
// hold at 2.0 V (below the set's 2.5 V cut-off) after a rest, from 50 % SOC, which the
// solver cannot follow (the current runs away; the test expects any of the solver's
// failures: if a later solver follows it, this test needs another failing case).
TEST(cli, a_solver_failure_names_the_time_and_the_step) {
  TempDir d;
  const Result r = run_cli({"simulate", "--soc", "0.5", "--mesh", kCoarse, "--experiment", "Rest for 10 seconds",
                            "--experiment", "Hold at 2.0 V for 10 minutes"},
                           d, 60);
  ASSERT_NE(r.rc, 124) << "timed out";
  EXPECT_EQ(r.rc, 1) << r.err;
  const auto lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_TRUE(contains(lines[0], "Newton iteration failed") || contains(lines[0], "local error test failed") ||
              contains(lines[0], "non-physical state"))
      << lines[0];
  EXPECT_TRUE(contains(lines[0], "at t = ")) << lines[0];
  EXPECT_TRUE(contains(lines[0], " s, in step 1 \"Hold at 2.0 V for 10 minutes\" (cycle 0) of 2 protocol steps"))
      << lines[0];
}

// ---------------------------------------------------------------------------
// write_csv, in-process

TEST(cli, write_csv_round_trips_in_the_fewest_digits) {
  TempDir d;
  ionflux::Solution sol;
  sol.time = {0.0, 0.1, 1.0 / 3.0};
  sol.voltage = {4.0379194589732351, 3.9, 2.5000000000000013};
  sol.current = {5.0, 5.0, 5.0};
  sol.capacity = {0.0, 5.0 * 0.1 / 3600.0, 5.0 / 3.0 / 3600.0};
  const std::string path = d / "rt.csv";
  ionflux::write_csv(path, sol);
  const auto lines = lines_of(read_text(path));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], kHeader);
  EXPECT_EQ(lines[1], "0,4.037919458973235,5,0");
  // 0.1 and 3.9 are the shortest texts of those doubles (printf's %.17g wrote
  // 0.10000000000000001 and 3.8999999999999999 before issue 14)
  EXPECT_EQ(lines[2], "0.1,3.9,5,0.0001388888888888889");
  const Csv c = read_csv(path);
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(c.rows[k][0], sol.time[k]);
    EXPECT_EQ(c.rows[k][1], sol.voltage[k]);
    EXPECT_EQ(c.rows[k][3], sol.capacity[k]);
  }
}

// The numbers of a row read back to the same doubles, in the fewest significant digits
// that do (std::to_chars' shortest round-trip text since issue 14; before, printf's "%.17g"):
// each text is parsed back with strtod and compared bit for bit (a NaN by its sign), and
// it is no longer than snprintf's "%.{p-1}e" with the least precision p that reads back to
// the same double (fixed notation where it is as short: 50000000000000008, not
// 5.000000000000001e+16), and in exponent notation it has exactly p significant digits. Values where formats part ways
// (signed zero, non-finite, subnormal, fixed vs exponent notation, huge, tiny), random bit
// patterns and 40,000 numbers of the range of a run's columns (1e-5 <= |x| < 2^53).
TEST(cli, write_csv_writes_the_shortest_text_that_reads_back_exactly) {
  TempDir d;
  std::vector<double> v = {0.0,     -0.0,    1.0,      -1.0,   0.1,    1e-5,   9.9999999999999995e-6,
                           1e-4,    1e16,    1e17,     9.9999999999999999e16,  123456789012345678.0,
                           5e-324,  -2.2250738585072014e-308,  1.7976931348623157e308, 0.99999999999999999,
                           3555.5,  4.2,     HUGE_VAL, -HUGE_VAL, std::nan(""), -std::nan("")};
  std::uint64_t bits = 0x9e3779b97f4a7c15ull;
  auto next = [&bits] { return bits ^= bits << 13, bits ^= bits >> 7, bits ^= bits << 17; };  // xorshift64
  for (int i = 0; i < 200; ++i) {
    double x;
    const std::uint64_t b = next();
    std::memcpy(&x, &b, sizeof x);
    v.push_back(x);
  }
  // the range of a run's columns (1e-5 <= |x| < 2^53) and its edges: powers of
  // ten and their neighbours, 2^53, ties at the 17th digit (few fraction bits: j / 2^t),
  // and numbers spread over the range
  for (int k = -7; k <= 17; ++k) {
    const double t = std::pow(10.0, k);
    for (double x : {t, std::nextafter(t, 0.0), std::nextafter(t, 1e300), 9.9999999999999995 * t, 5.0000000000000005 * t})
      v.push_back(x), v.push_back(-x);
  }
  for (double x : {9007199254740992.0, 9007199254740991.0, 12345678901234.5625, 0.1015625, 1e-5 + 1e-21})
    v.push_back(x), v.push_back(-x);
  for (int i = 0; i < 20000; ++i) {
    const int t = static_cast<int>(next() % 60);
    v.push_back(std::ldexp(static_cast<double>(next() >> (11 + next() % 40)), -t));
    v.push_back(std::pow(10.0, -6.0 + 22.0 * static_cast<double>(next() >> 11) * 0x1p-53));
  }
  // the shortest exponent-notation text that reads back to x (snprintf's "%.{p-1}e", p
  // the least precision that does) and p; 0 and non-finite numbers as snprintf's "%g"
  struct Shortest {
    std::string text;
    int digits;
  };
  auto shortest_e = [](double x) {
    char b[64];
    if (x == 0.0 || !std::isfinite(x)) {
      std::snprintf(b, sizeof b, "%g", x);
      return Shortest{b, 1};
    }
    int p = 1;
    for (; p < 17; ++p) {
      std::snprintf(b, sizeof b, "%.*e", p - 1, x);
      if (std::strtod(b, nullptr) == x) break;
    }
    std::snprintf(b, sizeof b, "%.*e", p - 1, x);
    return Shortest{b, p};
  };
  // the significant digits of a number's text: digits of the mantissa less leading zeros
  // and, in fixed notation without a fraction, trailing zeros of the integer part
  auto significant_digits = [](const std::string& t) {
    std::string m = t.substr(0, t.find_first_of("eE"));
    const bool point = m.find('.') != std::string::npos;
    std::string d;
    for (char c : m)
      if (c >= '0' && c <= '9') d += c;
    d.erase(0, std::min(d.find_first_not_of('0'), d.size()));
    if (!point)
      while (d.size() > 1 && d.back() == '0') d.pop_back();
    return d.empty() ? 1 : static_cast<int>(d.size());
  };
  auto expect_number = [&](const std::string& t, double x, std::size_t row) {
    const double r = std::strtod(t.c_str(), nullptr);
    if (std::isnan(x)) {
      ASSERT_TRUE(std::isnan(r)) << "row " << row << ": '" << t << "'";
      ASSERT_EQ(std::signbit(r), std::signbit(x)) << "row " << row << ": '" << t << "'";
      return;
    }
    ASSERT_EQ(std::memcmp(&r, &x, sizeof r), 0) << "row " << row << ": '" << t << "' reads back to " << r;
    const Shortest e = shortest_e(x);
    ASSERT_LE(t.size(), e.text.size()) << "row " << row << ": '" << t << "', shortest '" << e.text << "'";
    if (t.find('e') != std::string::npos)
      ASSERT_EQ(significant_digits(t), e.digits) << "row " << row << ": '" << t << "', shortest '" << e.text << "'";
  };
  ionflux::Solution sol;
  sol.protocol = true;
  const std::size_t n = v.size();
  for (std::size_t k = 0; k < n; ++k) {
    sol.time.push_back(v[k]);
    sol.voltage.push_back(v[(k + 1) % n]);
    sol.current.push_back(v[(k + 2) % n]);
    sol.capacity.push_back(v[(k + 3) % n]);
    sol.temperature.push_back(v[(k + 4) % n]);
    sol.step.push_back(static_cast<int>(k) - 100);
    sol.cycle.push_back(k == 0 ? -2147483647 - 1 : static_cast<int>(k * 10737418));
  }
  const std::string path = d / "numbers.csv";
  ionflux::write_csv(path, sol);
  const auto lines = lines_of(read_text(path));
  ASSERT_EQ(lines.size(), n + 1);
  EXPECT_EQ(lines[0], std::string(kHeader) + ",Step,Cycle,Temperature [K]");
  for (std::size_t k = 0; k < n; ++k) {
    std::vector<std::string> f;
    std::stringstream row(lines[k + 1]);
    for (std::string t; std::getline(row, t, ',');) f.push_back(t);
    ASSERT_EQ(f.size(), 7u) << "row " << k << ": " << lines[k + 1];
    expect_number(f[0], sol.time[k], k);
    expect_number(f[1], sol.voltage[k], k);
    expect_number(f[2], sol.current[k], k);
    expect_number(f[3], sol.capacity[k], k);
    EXPECT_EQ(f[4], std::to_string(sol.step[k]));
    EXPECT_EQ(f[5], std::to_string(sol.cycle[k]));
    expect_number(f[6], sol.temperature[k], k);
  }
}

// write_csv writes over an existing file in place and cuts it at the end (not
// fopen's "w", issue 14): nothing of a longer old file may remain, a shorter one grows,
// and a file that is not a regular one (which cannot be cut) is written as before.
TEST(cli, write_csv_replaces_an_existing_file_exactly) {
  TempDir d;
  ionflux::Solution one;
  one.time = {0.0};
  one.voltage = {4.0};
  one.current = {1.0};
  one.capacity = {0.0};
  const std::string expected = std::string(kHeader) + "\n0,4,1,0\n";
  const std::string path = d / "over.csv";
  {
    std::ofstream old(path);
    old << std::string(100000, 'x') << "\n";
  }
  ionflux::write_csv(path, one);
  EXPECT_EQ(read_text(path), expected);
  EXPECT_EQ(fs::file_size(path), expected.size());
  {
    std::ofstream old(path);
    old << "short";
  }
  ionflux::write_csv(path, one);
  EXPECT_EQ(read_text(path), expected);
  EXPECT_NO_THROW(ionflux::write_csv("/dev/null", one));
}

TEST(cli, write_csv_reports_io_failure) {
  ionflux::Solution sol;
  sol.time = {0.0};
  sol.voltage = {4.0};
  sol.current = {1.0};
  sol.capacity = {0.0};
  try {
    ionflux::write_csv("/nonexistent_dir/x.csv", sol);
    FAIL() << "no exception";
  } catch (const ionflux::RuntimeError& e) {
    EXPECT_TRUE(contains(e.what(), "cannot write output file '/nonexistent_dir/x.csv'")) << e.what();
  }
  if (fs::exists("/dev/full")) EXPECT_THROW(ionflux::write_csv("/dev/full", sol), ionflux::RuntimeError);
}

// ---------------------------------------------------------------------------
// ionflux parameters list|show|export, and JSON parameter files in simulate

TEST(cli, parameters_list_show_export) {
  TempDir d;
  Result r = run_cli({"parameters", "list"}, d);
  EXPECT_EQ(r.rc, 0) << r.err;
  // the issue's shipped sets, with PyBaMM's names
  EXPECT_EQ(r.out, "Chen2020\nMarquis2019\nAi2020\nEcker2015\nMohtat2020\nNCA_Kim2011\nOKane2022\nORegan2022\nPrada2013\n");
  EXPECT_EQ(r.err, "");

  r = run_cli({"parameters", "show", "Chen2020"}, d);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "  Negative electrode thickness [m] = 8.52e-05\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "  Negative electrode OCP [V] = function: graphite_LGM50_ocp_Chen2020\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "  Maximum concentration in positive electrode [mol.m-3] = 63104\n")) << r.out;
  const auto shown = lines_of(r.out);

  r = run_cli({"parameters", "export", "Chen2020"}, d);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(contains(r.out, "\"ionflux parameter file\": 1")) << r.out;
  EXPECT_TRUE(contains(r.out, "\"Negative electrode OCP [V]\": {\n      \"function\": \"graphite_LGM50_ocp_Chen2020\"")) << r.out;
  {
    std::ofstream f(d / "chen.json");
    f << r.out;
  }
  // The exported file shows the same entries ...
  r = run_cli({"parameters", "show", "chen.json"}, d);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(lines_of(r.out), shown);
  // ... and simulates exactly as the built-in set.
  r = run_cli({"simulate", "--quiet", "--mesh", kCoarse, "--output", "builtin.csv"}, d);
  ASSERT_EQ(r.rc, 0) << r.err;
  r = run_cli({"simulate", "--quiet", "--mesh", kCoarse, "--parameters", "chen.json", "--output", "file.csv"}, d);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(read_text(d / "builtin.csv"), read_text(d / "file.csv"));

  r = run_cli({"parameters", "--help"}, d);
  EXPECT_EQ(r.rc, 0);
  for (const char* w : {"list", "show", "export", "docs/parameter_files.md"}) EXPECT_TRUE(contains(r.out, w)) << w;
  r = run_cli({"--help"}, d);
  EXPECT_TRUE(contains(r.out, "parameters")) << r.out;
}

TEST(cli, parameters_errors) {
  TempDir d;
  Result r = run_cli({"parameters"}, d);
  EXPECT_EQ(r.rc, 2);
  expect_error_line(r, {"parameters", "list", "show", "export"});
  r = run_cli({"parameters", "sho", "Chen2020"}, d);
  EXPECT_EQ(r.rc, 2);
  expect_error_line(r, {"unknown subcommand 'sho'", "did you mean 'show'"});
  r = run_cli({"parameters", "show"}, d);
  EXPECT_EQ(r.rc, 2);
  expect_error_line(r, {"parameters show", "missing NAME|FILE"});
  r = run_cli({"parameters", "export", "Chen2021"}, d);
  EXPECT_EQ(r.rc, 2);
  expect_error_line(r, {"unknown parameter set 'Chen2021'", "Chen2020"});
  r = run_cli({"parameters", "show", "missing.json"}, d);
  EXPECT_EQ(r.rc, 2);
  expect_error_line(r, {"cannot open parameter file 'missing.json'"});
  {
    std::ofstream f(d / "table.json");
    f << R"({"ionflux parameter file": 1, "base": "Chen2020",
  "parameters": {"Negative electrode OCP [V]": {"x": [0, 0.5, 0.4, 1], "y": [0.5, 0.2, 0.15, 0.1]}}})";
  }
  r = run_cli({"parameters", "show", "table.json"}, d);
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.out, "");
  expect_error_line(r, {"table.json", "'Negative electrode OCP [V]'", "strictly increasing", "x[1] = 0.5"});
  // simulate checks the file before running: nothing written.
  r = run_cli({"simulate", "--parameters", "table.json"}, d);
  EXPECT_EQ(r.rc, 2);
  expect_error_line(r, {"table.json", "strictly increasing"});
  EXPECT_FALSE(fs::exists(d / "ionflux.csv"));
}

TEST(cli, simulate_with_example_parameter_file) {
  TempDir d;
  const std::string example = std::string(IONFLUX_FIXTURES_DIR) + "/../../examples/chen2020_custom.json";
  Result r = run_cli({"simulate", "--mesh", kCoarse, "--parameters", example, "--output", "custom.csv"}, d);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "Chen2020 (custom)")) << r.out;
  EXPECT_TRUE(contains(r.out, "lower voltage cut-off")) << r.out;
  const Csv c = read_csv(d / "custom.csv");
  EXPECT_EQ(c.header, kHeader);
  ASSERT_GE(c.rows.size(), 3u);
  expect_monotone_time(c);
  // --set still applies on top of a file.
  r = run_cli({"simulate", "--quiet", "--mesh", kCoarse, "--parameters", example, "--set",
               "Negative electrode porosity=1.5"},
              d);
  EXPECT_EQ(r.rc, 2);
  expect_error_line(r, {"'Negative electrode porosity' must be in (0, 1)"});
}

}  // namespace IONFLUX_TEST_FILE_ID
