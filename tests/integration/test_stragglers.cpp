// A sweep whose cells differ 100x in cost completes, on the CPU path, with every cell's
// status (issue 11, "no stragglers"): cheap and expensive cells share chunks and
// threads, an invalid cell and one that fails numerically ride along, and every cell
// ends with its own status, the one a single-cell run of it gives, recorded as run on
// the CPU (ChunkData::device).
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "solver/problem/batch.hpp"
#include "solver/cli/cli.hpp"
#include "solver/inputs/experiment.hpp"
#include "solver/problem/simulation.hpp"
#include "tests/equivalence/batch_cases.hpp"

namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)

using namespace ionflux;

namespace {

//! 20 Chen2020 cells on a coarse mesh, each with its own protocol: most a 1C
//! discharge of 10 s (a few dozen steps), every fifth eight 1C CC-rest-CC-CV cycles (thousands);
//! cell 7 invalid, cell 13 a NaN conductivity (its initialisation fails).
BatchInputs straggler_batch(std::vector<int>& expensive) {
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const Experiment cheap = parse_experiment({"Discharge at 1C for 10 seconds"}, ps);
  const Experiment dear = parse_experiment(
      {{"Discharge at 1C until 3.2 V", "Rest for 10 minutes", "Charge at 1C until 4.1 V", "Hold at 4.1 V until C/50"}},
      8, ps);
  BatchInputs in;
  const int n = 20;
  for (int c = 0; c < n; ++c) {
    const bool is_dear = c % 5 == 2;
    if (is_dear) expensive.push_back(c);
    const Experiment& ex = is_dear ? dear : cheap;
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
  in.run.t_end = *std::max_element(in.t_end.begin(), in.t_end.end());
  in.run.period = 60.0;
  return in;
}

}  // namespace

TEST(Stragglers, SweepWithCellsDiffering100xInCostCompletesWithEveryStatus) {
  std::vector<int> expensive;
  const BatchInputs in = straggler_batch(expensive);
  BatchOptions o;
  o.device = Device::cpu;
  o.threads = 2;
  o.max_chunk_cells = 6;  // chunks mix cheap and expensive cells; the last one is partial
  ionflux::testing::CollectSink sink;
  const BatchSummary sum = run_batch(in, o, &sink);
  const ChunkData& b = sink.all;
  ASSERT_EQ(b.n, in.cells.size());
  EXPECT_EQ(sum.not_run, 0u);
  EXPECT_EQ(sum.handed_to_cpu, 0u) << "--device cpu: nothing runs on a GPU";
  int cheapest = std::numeric_limits<int>::max(), dearest = 0;
  for (std::size_t c = 0; c < b.n; ++c) {
    EXPECT_NE(b.status[c], kStatusNotRun) << "cell " << c;
    EXPECT_NE(b.status[c], static_cast<int>(CellStatus::running)) << "cell " << c;
    if (c == 7) {
      EXPECT_EQ(b.status[c], static_cast<int>(CellStatus::invalid_input));
      EXPECT_EQ(b.device[c], kRanNowhere);
      continue;
    }
    EXPECT_EQ(b.device[c], kRanOnCpu) << "cell " << c;
    RunOptions ro = in.run;  // the cell alone, as a single-cell run
    ro.t_end = in.t_end[c];
    ro.steps.assign(in.protocol_steps.begin() + in.protocol_first[c],
                    in.protocol_steps.begin() + in.protocol_first[c] + in.protocol_count[c]);
    const Solution s = simulate(in.cells[c], ro);
    EXPECT_EQ(b.status[c], static_cast<int>(s.status)) << "cell " << c;
    EXPECT_EQ(b.count[c], s.voltage.size()) << "cell " << c;
    if (c == 13) {
      EXPECT_EQ(b.status[c], static_cast<int>(CellStatus::init_failure));
      continue;
    }
    EXPECT_EQ(b.status[c], static_cast<int>(CellStatus::finished)) << "cell " << c << ": " << b.message[c];
    if (std::find(expensive.begin(), expensive.end(), static_cast<int>(c)) != expensive.end())
      dearest = std::max(dearest, b.steps[c]);
    else
      cheapest = std::min(cheapest, b.steps[c]);
  }
  // what the test says: the cells' costs (solver steps) differ 100x or more
  EXPECT_GE(dearest, 100 * cheapest) << "cheapest " << cheapest << " steps, dearest " << dearest;
  std::cout << "  solver steps per cell: cheapest " << cheapest << ", dearest " << dearest << "\n";
}

TEST(Stragglers, CliTakesTheHandOffThreshold) {
  // `ionflux sweep --gpu-handoff N|auto`: bad values fail with one line before any
  // work; good ones are accepted (on the CPU they change nothing).
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("ionflux_handoff_cli_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string cfg = (dir / "c.json").string(), out = (dir / "o.h5").string();
  std::ofstream(cfg) << R"({"parameters": "Chen2020", "mesh": {"x_n": 8, "x_s": 5, "x_p": 7, "r_n": 6, "r_p": 9},
                           "period": 120, "vary": {"C-rate": [1, 2]}})";
  for (const char* bad : {"-3", "1.5", "many"}) {
    std::ostringstream o, e;
    EXPECT_EQ(cli_main({"sweep", cfg, "--output", out, "--quiet", "--gpu-handoff", bad}, o, e), 2) << bad;
    const std::string err = e.str();
    EXPECT_NE(err.find("--gpu-handoff"), std::string::npos) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_FALSE(fs::exists(out));
  }
#if defined(IONFLUX_HAVE_HDF5) && IONFLUX_HAVE_HDF5
  for (const char* good : {"auto", "0", "300"}) {
    std::ostringstream o, e;
    EXPECT_EQ(cli_main({"sweep", cfg, "--output", out, "--device", "cpu", "--gpu-handoff", good}, o, e), 0)
        << good << ": " << e.str();
    EXPECT_EQ(o.str().find("finished on the CPU threads"), std::string::npos) << "--device cpu hands nothing over";
    fs::remove(out);
  }
#endif
  fs::remove_all(dir);
}

}  // namespace IONFLUX_TEST_FILE_ID
