// A budget per cell (issue 15 item 1): SolverOptions::max_steps ends a cell with
// step_limit, max_wall_time with time_limit; either way the cell keeps its outputs so
// far (equal to the first outputs of the same cell run without a budget), the other
// cells of a sweep run on, and the statuses are in the HDF5 code table and its docs.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/model/protocol.hpp"
#include "solver/backends/backend_cuda.hpp"
#include "solver/cli/cli.hpp"
#include "solver/inputs/experiment.hpp"
#include "solver/inputs/model_options.hpp"
#include "solver/inputs/parameters.hpp"
#include "solver/output/results.hpp"
#include "solver/problem/batch.hpp"
#include "solver/problem/problem.hpp"
#include "solver/problem/simulation.hpp"
#include "solver/util/errors.hpp"
#include "tests/equivalence/batch_cases.hpp"
#include "tests/test_util.hpp"

#if defined(IONFLUX_HAVE_HDF5) && IONFLUX_HAVE_HDF5
#include "tests/h5_read.hpp"
#define IONFLUX_TEST_HDF5 1
#endif

namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)

using namespace ionflux;
namespace fs = std::filesystem;

namespace {

//! A 1C discharge of Chen2020 on a coarse mesh, an output at every accepted step (so a
//! budget cuts the outputs wherever the steps stop).
RunOptions every_step_run(const CellParams& cell) {
  RunOptions ro;
  ro.mesh = MeshSpec{8, 6, 8, 6, 6};
  ro.period = 0.0;
  ro.t_end = default_end_time(cell);
  return ro;
}

//! `cut`'s outputs are the first outputs of `full`, bit for bit (same arithmetic: a
//! budget only stops the integration; it changes no step).
void expect_prefix(const Solution& cut, const Solution& full) {
  ASSERT_LE(cut.time.size(), full.time.size());
  for (std::size_t k = 0; k < cut.time.size(); ++k) {
    EXPECT_EQ(cut.time[k], full.time[k]) << "output " << k;
    EXPECT_EQ(cut.voltage[k], full.voltage[k]) << "output " << k;
    EXPECT_EQ(cut.capacity[k], full.capacity[k]) << "output " << k;
  }
}

struct CliRun {
  int rc;
  std::string out, err;
};
CliRun run_cli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int rc = cli_main(args, out, err);
  return {rc, out.str(), err.str()};
}

}  // namespace

TEST(Budget, StepLimitKeepsTheOutputsSoFar) {
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const CellParams cell = ps.cell_params(5.0);
  RunOptions ro = every_step_run(cell);
  const Solution full = simulate(cell, ro);
  ASSERT_TRUE(cell_status_ok(full.status)) << full.message;
  const int needed = full.stats.steps;  // the steps this cell takes without a budget
  ASSERT_GT(needed, 20);
  ro.solver.max_steps = needed / 2;
  const Solution cut = simulate(cell, ro);
  EXPECT_EQ(cut.status, CellStatus::step_limit) << cut.message;
  EXPECT_EQ(cut.stats.steps, needed / 2);
  EXPECT_NE(cut.message.find(std::to_string(needed / 2) + " steps (solver max_steps)"), std::string::npos)
      << cut.message;
  // the outputs up to the limit are kept: one per accepted step (and t = 0)
  EXPECT_GT(cut.time.size(), 2u);
  EXPECT_LT(cut.time.size(), full.time.size());
  expect_prefix(cut, full);
  EXPECT_EQ(cut.end_time, cut.time.back());
}

// A wall-time budget the cell never reaches: the driver then advances in slices and reads
// the clock between them; the results are those of the unsliced run, bit for bit.
TEST(Budget, AnUnreachedWallTimeChangesNothing) {
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const CellParams cell = ps.cell_params(5.0);
  RunOptions ro = every_step_run(cell);
  const Solution full = simulate(cell, ro);
  ro.solver.max_wall_time = 1e6;
  const Solution sliced = simulate(cell, ro);
  EXPECT_EQ(sliced.status, full.status);
  EXPECT_EQ(sliced.stats.steps, full.stats.steps);
  ASSERT_EQ(sliced.time.size(), full.time.size());
  expect_prefix(sliced, full);
}

// A budget of 1 ns is past before the first slice: the cell ends with time_limit at once,
// keeping what it had (its t = 0 output at most); no timing is asserted beyond that.
TEST(Budget, TinyWallTimeEndsWithTimeLimit) {
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const CellParams cell = ps.cell_params(5.0);
  RunOptions ro = every_step_run(cell);
  const Solution full = simulate(cell, ro);
  ro.solver.max_wall_time = 1e-9;
  const Solution cut = simulate(cell, ro);
  EXPECT_EQ(cut.status, CellStatus::time_limit) << cut.message;
  EXPECT_TRUE(cell_status_failed(cut.status));
  EXPECT_NE(cut.message.find("maximum wall time per cell reached"), std::string::npos) << cut.message;
  EXPECT_NE(cut.message.find("1e-09 s"), std::string::npos) << cut.message;
  EXPECT_LT(cut.time.size(), full.time.size());
  expect_prefix(cut, full);
}

// In a batch every cell gets its own budget and status; a cell cut by it does not stop
// the others (all run, none left not_run), and an invalid cell keeps its own status.
TEST(Budget, EveryCellOfABatchRunsWithItsOwnBudget) {
  const ParameterSet ps = ParameterSet::load("Chen2020");
  BatchInputs in;
  for (double current : {5.0, 2.5, 10.0}) {
    in.cells.push_back(ps.cell_params(current));
    in.pre_status.push_back(CellStatus::running);
    in.pre_message.emplace_back();
  }
  in.pre_status[1] = CellStatus::invalid_input;
  in.pre_message[1] = "invalid on purpose";
  in.run.mesh = MeshSpec{8, 6, 8, 6, 6};
  in.run.period = 60.0;
  in.run.t_end = 4.0 * 3600.0;
  in.run.solver.max_wall_time = 1e-9;
  BatchOptions o;
  o.device = Device::cpu;
  o.threads = 1;
  o.max_chunk_cells = 1;  // one chunk per cell: the later chunks still run
  ionflux::testing::CollectSink sink;
  run_batch(in, o, &sink);
  ASSERT_EQ(sink.all.status.size(), 3u);
  EXPECT_EQ(sink.all.status[0], static_cast<int>(CellStatus::time_limit)) << sink.all.message[0];
  EXPECT_EQ(sink.all.status[1], static_cast<int>(CellStatus::invalid_input));
  EXPECT_EQ(sink.all.message[1], "invalid on purpose");
  EXPECT_EQ(sink.all.status[2], static_cast<int>(CellStatus::time_limit)) << sink.all.message[2];
}

// Cells in GPU slots (solver/backends/gpu_stream.cpp), here on the emulated device
// engine (solver/backends/gpu_emulated.cpp: the slot kernels' code run on the CPU): the
// host stops a cell in a slot once its wall time since it was loaded passes
// max_wall_time, read after each launch's report (docs/reliability.md, "A budget per
// cell"). One cell forced to be slow (a full discharge; the others end at 5 s) and a
// budget of 1 ns, past at the first report: the slow cell ends with time_limit, its
// outputs up to there kept; the short cells, done before, are unaffected.
TEST(Budget, CellsInGpuSlotsAreStoppedPastTheirWallTime) {
  struct EmulatedDevice {
    EmulatedDevice() { cuda_backend::emulate_device_for_testing(true); }
    ~EmulatedDevice() { cuda_backend::emulate_device_for_testing(false); }
  } emulated;
  const ParameterSet ps = ParameterSet::load("Chen2020");
  BatchInputs in;
  const std::size_t n = 5, slow = 2;
  for (std::size_t c = 0; c < n; ++c) {
    in.cells.push_back(ps.cell_params(5.0));
    in.pre_status.push_back(CellStatus::running);
    in.pre_message.emplace_back();
    in.t_end.push_back(c == slow ? default_end_time(in.cells.back()) : 5.0);
  }
  in.run.mesh = MeshSpec{8, 6, 8, 6, 6};
  in.run.period = 0.0;  // an output at every step: the budget cuts them wherever the steps stop
  in.run.t_end = in.t_end[slow];
  constexpr int kStepsPerLaunch = 32;
  auto run = [&](double max_wall_time) {
    in.run.solver.max_wall_time = max_wall_time;
    BatchOptions o;
    o.device = Device::cuda;
    o.threads = 1;
    o.memory_budget = n * bytes_per_cell(in);  // a slot per cell
    o.steps_per_launch = kStepsPerLaunch;
    o.gpu_handoff_cells = 0;  // the device finishes every cell
    o.gpu_cpu_threads = 0;
    ionflux::testing::CollectSink sink;
    run_batch(in, o, &sink);
    return sink.all;
  };
  const ChunkData full = run(0.0), cut = run(1e-9), unreached = run(1e6);
  ASSERT_EQ(full.n, n);
  ASSERT_EQ(cut.n, n);
  // the case's premise, from the run without a budget: the short cells end within the
  // first two launches (the executor keeps two in flight, so the first report, where the
  // budget is first read, comes back with the second launch already made), the slow
  // cell needs more
  for (std::size_t c = 0; c < n; ++c) {
    ASSERT_EQ(full.device[c], kRanOnGpu) << "cell " << c;
    if (c != slow) ASSERT_LE(full.steps[c], 2 * kStepsPerLaunch) << "cell " << c;
  }
  ASSERT_GT(full.steps[slow], 4 * kStepsPerLaunch);
  // the slow cell: stopped after those two launches, with its status and message
  EXPECT_EQ(cut.status[slow], static_cast<int>(CellStatus::time_limit)) << cut.message[slow];
  EXPECT_EQ(cut.device[slow], kRanOnGpu);
  EXPECT_EQ(cut.steps[slow], 2 * kStepsPerLaunch);
  EXPECT_NE(cut.message[slow].find("maximum wall time per cell reached"), std::string::npos) << cut.message[slow];
  EXPECT_NE(cut.message[slow].find(": 1e-09 s, at t = "), std::string::npos) << cut.message[slow];
  // its outputs up to there kept: the first outputs of the unbudgeted run, bit for bit
  // (the budget stops the integration, it changes no step), up to where it stopped
  ASSERT_GT(cut.count[slow], 2u);
  ASSERT_LT(cut.count[slow], full.count[slow]);
  for (std::size_t k = 0; k < cut.count[slow]; ++k) {
    const std::size_t a = cut.offset[slow] + k, b = full.offset[slow] + k;
    EXPECT_EQ(cut.time[a], full.time[b]) << "output " << k;
    EXPECT_EQ(cut.voltage[a], full.voltage[b]) << "output " << k;
    EXPECT_EQ(cut.capacity[a], full.capacity[b]) << "output " << k;
  }
  EXPECT_EQ(cut.end_time[slow], cut.time[cut.offset[slow] + cut.count[slow] - 1]);
  std::cout << "  slow cell: " << full.steps[slow] << " steps, " << full.count[slow] << " outputs without a budget; "
            << cut.steps[slow] << " steps, " << cut.count[slow] << " outputs (to t = " << cut.end_time[slow]
            << " s) with 1 ns, " << kStepsPerLaunch << " steps per launch\n";
  // the other cells, and every cell under a budget it never reaches: as without a budget
  for (const ChunkData* other : {&cut, &unreached})
    for (std::size_t c = 0; c < n; ++c) {
      if (other == &cut && c == slow) continue;
      SCOPED_TRACE("cell " + std::to_string(c) + (other == &cut ? ", 1 ns budget" : ", 1e6 s budget"));
      EXPECT_EQ(other->status[c], full.status[c]);
      EXPECT_EQ(other->message[c], full.message[c]);
      EXPECT_EQ(other->steps[c], full.steps[c]);
      EXPECT_EQ(other->end_time[c], full.end_time[c]);
      ASSERT_EQ(other->count[c], full.count[c]);
      for (std::size_t k = 0; k < full.count[c]; ++k) {
        EXPECT_EQ(other->time[other->offset[c] + k], full.time[full.offset[c] + k]);
        EXPECT_EQ(other->voltage[other->offset[c] + k], full.voltage[full.offset[c] + k]);
      }
    }
}

TEST(Budget, BadValuesAreRejected) {
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const CellParams cell = ps.cell_params(5.0);
  RunOptions ro = every_step_run(cell);
  ro.solver.max_steps = 0;
  ionflux::testing::expect_throw_with<InputError>([&] { (void)simulate(cell, ro); }, {"max_steps", "from 1 to", "got 0"});
  ro.solver.max_steps = 100;
  ro.solver.max_wall_time = -1.0;
  ionflux::testing::expect_throw_with<InputError>([&] { (void)simulate(cell, ro); }, {"max_wall_time", "positive"});
  // the CLI
  for (const auto& bad : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--max-steps", "0"}, "--max-steps: must be an integer from 1 to"},
           {{"--max-steps", "1.5"}, "--max-steps: '1.5' is not an integer"},
           {{"--max-steps", "3000000000"}, "--max-steps"},
           {{"--max-wall-time", "0"}, "--max-wall-time: must be a positive number of seconds"},
           {{"--max-wall-time", "-2"}, "--max-wall-time: must be a positive number of seconds"},
           {{"--max-wall-time", "soon"}, "--max-wall-time: 'soon' is not a number"}}) {
    std::vector<std::string> args = {"simulate", "--output", "/dev/null"};
    args.insert(args.end(), bad.first.begin(), bad.first.end());
    const CliRun r = run_cli(args);
    EXPECT_EQ(r.rc, 2) << bad.first[0] << " " << bad.first[1];
    EXPECT_NE(r.err.find(bad.second), std::string::npos) << r.err;
  }
}

// The CLI: --max-steps cuts the run (exit status 1: the cell could not be solved; the CSV
// keeps the outputs up to there), its rows the first rows of the unbudgeted run's.
TEST(Budget, CliMaxSteps) {
  const fs::path dir = fs::temp_directory_path() / ("ionflux_budget_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string full_csv = (dir / "full.csv").string(), cut_csv = (dir / "cut.csv").string();
  const std::vector<std::string> base = {"simulate", "--mesh", "x_n=8,x_s=6,x_p=8,r_n=6,r_p=6", "--quiet"};
  std::vector<std::string> a = base, b = base;
  a.insert(a.end(), {"--output", full_csv});
  b.insert(b.end(), {"--output", cut_csv, "--max-steps", "40"});
  const CliRun full = run_cli(a), cut = run_cli(b);
  ASSERT_EQ(full.rc, 0) << full.err;
  EXPECT_EQ(cut.rc, 1) << cut.err;
  EXPECT_NE(cut.err.find("maximum number of steps reached: 40 steps"), std::string::npos) << cut.err;
  auto lines = [](const std::string& path) {
    std::ifstream f(path);
    std::vector<std::string> v;
    for (std::string l; std::getline(f, l);)
      if (!l.empty() && l[0] != '#') v.push_back(l);
    return v;
  };
  const auto lf = lines(full_csv), lc = lines(cut_csv);
  ASSERT_GT(lc.size(), 2u);  // the header, t = 0 and some steps
  ASSERT_LT(lc.size(), lf.size());
  for (std::size_t k = 0; k < lc.size(); ++k) EXPECT_EQ(lc[k], lf[k]) << "row " << k;
  fs::remove_all(dir);
}

// Both budget statuses are in the code table written to every file (/cells/status
// "codes", generated from IONFLUX_CELL_STATUS_LIST) and in docs/hdf5_layout.md's table.
TEST(Budget, StatusesAreInTheCodeTables) {
  const std::string codes = status_code_table();
  EXPECT_NE(codes.find("5: step_limit"), std::string::npos) << codes;
  EXPECT_NE(codes.find("13: time_limit"), std::string::npos) << codes;
  std::ifstream doc(std::string(IONFLUX_FIXTURES_DIR) + "/../../docs/hdf5_layout.md");
  ASSERT_TRUE(doc) << "docs/hdf5_layout.md not found";
  std::stringstream text;
  text << doc.rdbuf();
#define IONFLUX_X(name, code, msg)                                                                      \
  EXPECT_NE(text.str().find("| " + std::to_string(code) + " | `" #name "` |"), std::string::npos) \
      << "docs/hdf5_layout.md lacks the status row of " #name;
  IONFLUX_CELL_STATUS_LIST(IONFLUX_X)
#undef IONFLUX_X
}

#ifdef IONFLUX_TEST_HDF5
// A sweep config with "solver": {"max_wall_time": tiny}: the sweep runs every cell, each
// ends with time_limit, the file says so and names the code.
TEST(Budget, SweepWithAWallTimeBudget) {
  using namespace ionflux::testing::h5;
  const fs::path dir = fs::temp_directory_path() / ("ionflux_budget_sweep_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string cfg = (dir / "sweep.json").string(), out = (dir / "out.h5").string();
  std::ofstream(cfg) << R"({"parameters": "Chen2020", "mesh": {"x_n": 8, "x_s": 6, "x_p": 8, "r_n": 6, "r_p": 6},
    "period": 60, "solver": {"max_wall_time": 1e-9}, "vary": {"C-rate": [0.5, 1, 2]}})";
  const CliRun r = run_cli({"sweep", cfg, "--output", out, "--device", "cpu", "--threads", "1", "--quiet"});
  // Failed cells are data, written to the file, not a stop of the sweep; but a sweep none
  // of whose cells could be solved exits 1 (SweepCli.ASweepWhoseCellsAllFailExitsOne)
  ASSERT_EQ(r.rc, 1) << r.err;
  EXPECT_NE(r.err.find("time_limit 3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("none of the 3 cells could be solved; the first, cell 0: maximum wall time"), std::string::npos)
      << r.err;
  File f(out);
  EXPECT_EQ(read_ints(f, "/cells/status"), std::vector<int>(3, static_cast<int>(CellStatus::time_limit)));
  EXPECT_NE(read_string_attribute(f, "/cells/status", "codes").find("13: time_limit"), std::string::npos);
  fs::remove_all(dir);
}
#endif

// ---- max_steps per protocol step (issue 16 item 1) ----------------------------------
namespace {

//! OKane2022 with SEI (solvent-diffusion limited) and reversible plating, `cycles` CC-CV
//! cycles of the ageing benchmark's protocol (benchmarks/bench_ageing.py --case
//! sei_plating), on a cheap mesh, outputs every hour.
Solution ageing_run(int cycles, const SolverOptions& so) {
  const ParameterSet ps = ParameterSet::load("OKane2022");
  const ModelOptions o = resolve_model_options(
      {{"SEI", OptionValue("solvent-diffusion limited")}, {"lithium plating", OptionValue("reversible")}});
  const Experiment ex = parse_experiment(
      {{"Discharge at 1C until 2.5 V", "Charge at 0.3C until 4.2 V", "Hold at 4.2 V until C/100"}}, cycles, ps);
  const CellParams cell = build_cell(ps, protocol_start_current(ps, ex.steps), false, std::nullopt, o);
  RunOptions r;
  r.mesh = MeshSpec{4, 3, 4, 8, 8};
  r.model = o;
  r.solver = so;
  r.steps = ex.steps;
  r.tables = ex.tables;
  r.step_text = ex.text;
  r.period = 3600.0;
  r.t_end = 12.0 * 3600.0 * cycles;
  return simulate(cell, r);
}

}  // namespace

// The default budget (100000 BDF steps) is per protocol step: an ageing run of 22 CC-CV
// cycles (OKane2022's interpolated graphite OCP makes each take thousands of steps: ~7,000
// on the benchmark's mesh, benchmarks/LOG.md) completes with the defaults. Before,
// the budget was for the whole run and this run stopped with step_limit (in cycle ~15 of
// the benchmark's mesh): the test checks that it takes more than 100000 steps in all.
TEST(Budget, MaxStepsIsPerProtocolStepSoLongAgeingRunsComplete) {
  const SolverOptions defaults;
  ASSERT_EQ(defaults.max_steps, 100000);
  const Solution s = ageing_run(22, defaults);
  ASSERT_EQ(s.status, CellStatus::finished) << s.message;
  EXPECT_EQ(s.steps.size(), 66u);
  EXPECT_GT(s.stats.steps, defaults.max_steps) << "the run must need more than the old whole-run budget";
  std::cout << "  22 cycles: " << s.stats.steps << " BDF steps in all\n";
}

// A budget smaller than one protocol step needs still stops the cell there with
// step_limit, its outputs kept, and the message names the budget, the protocol step (its
// text and cycle) and the steps taken.
TEST(Budget, ATinyMaxStepsStopsInTheFirstProtocolStepWithItsName) {
  SolverOptions so;
  so.max_steps = 40;
  const Solution s = ageing_run(2, so);
  ASSERT_EQ(s.status, CellStatus::step_limit) << s.message;
  EXPECT_EQ(s.stats.steps, 40);
  EXPECT_NE(s.message.find("40 steps (solver max_steps, per protocol step) in step 0 \"Discharge at 1C until 2.5 V\" "
                           "(cycle 0) of 6 protocol steps, 40 steps in all, at t = "),
            std::string::npos)
      << s.message;
  EXPECT_GT(s.end_time, 0.0);  // where it stopped: early in the 1C discharge (~3,500 s)
  EXPECT_LT(s.end_time, 600.0);
}

// A drive cycle's step has kStepsPerDriveKnot BDF steps per knot of its table on top of
// max_steps: the solver stops on every knot, and a dense profile ran out of the default
// budget where PyBaMM completes (WLTC at 0.1 s, 18,000 knots: step_limit at 1,321 of
// 1,800 s; a differential test, session 18). Here 1,200 knots at 0.5 s with max_steps 500:
// the knots alone take more than 500 steps, and the run completes within its budget.
TEST(Budget, ADriveCycleHasStepsForEachKnotOfItsTable) {
  const fs::path dir = fs::temp_directory_path() / ("ionflux_budget_drive_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream f(dir / "dense.csv");
    for (int k = 0; k < 1200; ++k) f << 0.5 * k << "," << 5.0 + 2.0 * std::sin(0.05 * k) << "\n";
  }
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const Experiment ex = parse_experiment({"Discharge with current from dense.csv"}, ps, dir.string());
  ASSERT_EQ(ex.steps.size(), 1u);
  EXPECT_EQ(drive_knots(ex.steps[0], ex.tables.data()), 1200.0);
  EXPECT_EQ(step_budget(&ex.steps[0], ex.tables.data(), 500), 500.0 + kStepsPerDriveKnot * 1200.0);
  RunOptions ro;
  ro.mesh = {8, 6, 8, 6, 6};
  ro.steps = ex.steps;
  ro.tables = ex.tables;
  ro.t_end = 1000.0;
  ro.solver.max_steps = 500;
  const Solution s = simulate(ps.cell_params(5.0), ro);
  EXPECT_EQ(s.status, CellStatus::finished) << s.message;
  EXPECT_GT(s.stats.steps, 1200);  // more than max_steps: the knots' share was needed
  EXPECT_DOUBLE_EQ(s.time.back(), 599.5);
  // a step that ran out of such a budget says how it was made (40 knots, max_steps 1)
  std::vector<StepSpec> tight = ex.steps;
  tight[0].table_len = 40;
  tight[0].duration = 19.5;
  EXPECT_EQ(step_limit_message(1, tight.data(), 1, nullptr, 0, 801, 801, 3.0, ex.tables.data()),
            "801 steps (solver max_steps 1 + 20 for each of 40 drive-cycle knots, per protocol step) in step 0 "
            "(cycle 0) of 1 protocol steps, 801 steps in all, at t = 3 s");
  fs::remove_all(dir);
}

// The whole run's safety net (max_steps x protocol steps, at most 10^9) and its message.
TEST(Budget, StepLimitMessageNamesTheBudgetThatStoppedTheCell) {
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const Experiment ex = parse_experiment({{"Discharge at 1C until 3 V", "Rest for 1 hour"}}, 3, ps);
  ASSERT_EQ(ex.steps.size(), 6u);
  // per protocol step
  EXPECT_EQ(step_limit_message(500, ex.steps.data(), 6, ex.text.data(), 4, 500, 1234, 7.5),
            "500 steps (solver max_steps, per protocol step) in step 4 \"Discharge at 1C until 3 V\" (cycle 2) of 6 "
            "protocol steps, 1234 steps in all, at t = 7.5 s");
  // the whole run's net, capped at 10^9
  EXPECT_EQ(step_limit_message(400000000, ex.steps.data(), 6, ex.text.data(), 5, 17, 1000000000, 9.0),
            "the whole run's 1000000000 steps (solver max_steps x 6 protocol steps, at most 1000000000), 17 of them in "
            "step 5 \"Rest for 1 hour\" (cycle 2) of 6 protocol steps, at t = 9 s");
  // no protocol: as before
  EXPECT_EQ(step_limit_message(100, nullptr, 0, nullptr, 0, 100, 100, 2.25), "100 steps (solver max_steps), at t = 2.25 s");
}

}  // namespace IONFLUX_TEST_FILE_ID
