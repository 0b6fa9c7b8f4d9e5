// A chunk whose cycle summaries were reduced elsewhere (issue 15 item 3, the Dask road's
// one writer): H5SweepWriter::write_chunk(chunk, cycles) writes the chunk as
// write_chunk(chunk) does, but takes the given per-cycle summaries instead of reducing
// the chunk's steps; that is how a Dask partition, whose cycles the worker's memory sink
// reduced, goes into the file (python/src/core.cpp, SweepFile.write). Expected values:
// the same cells written by write_chunk(chunk) in the same test (every dataset equal),
// and the given summaries themselves.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "solver/inputs/sweep.hpp"
#include "solver/output/h5_writer.hpp"
#include "solver/output/results.hpp"
#include "solver/problem/sweep_plan.hpp"
#include "solver/problem/sweep_run.hpp"
#include "solver/util/errors.hpp"

#if defined(IONFLUX_HAVE_HDF5) && IONFLUX_HAVE_HDF5
#include "tests/h5_read.hpp"
#endif

namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
#if defined(IONFLUX_HAVE_HDF5) && IONFLUX_HAVE_HDF5

namespace fs = std::filesystem;
using namespace ionflux;
using namespace ionflux::testing::h5;

namespace {

// 4 cells, two cycles of a discharge and a rest (per-cell C-rates): /steps and /cycles,
// PyBaMM's summary variables among them.
const char* kConfig = R"({
  "mesh": {"x_n": 5, "x_s": 4, "x_p": 5, "r_n": 5, "r_p": 5}, "period": 300,
  "experiment": [["Discharge at {C-rate}C for 10 minutes", "Rest for 5 minutes"]], "cycles": 2,
  "vary": {"C-rate": [1, 2, 0.5, 1.5]}})";

bool same(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) return false;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!(x[i] == y[i] || (std::isnan(x[i]) && std::isnan(y[i])))) return false;
  return true;
}

//! The sweep's file description, and its cells run into memory (as a Dask worker runs
//! its partition: the memory sink, whose close() reduces the cycles).
std::unique_ptr<MemorySweepSink> run_in_memory(SweepFileInfo& info) {
  const SweepSpec spec = parse_sweep_config(kConfig, "test");
  const SweepPlan plan = plan_sweep(spec);
  info = sweep_file_info(spec, plan);
  auto memory = std::make_unique<MemorySweepSink>(info.n_cells, info.n_steps, info.step_cycle, info.temperature);
  BatchOptions opt;
  opt.device = Device::cpu;
  opt.threads = 1;
  run_sweep_cells(plan.inputs, opt, *memory);
  memory->close();
  return memory;
}

}  // namespace

TEST(H5Partition, ReducedCyclesAreWrittenAsGivenAndTheRestAsAnyChunk) {
  const fs::path dir = fs::temp_directory_path() / ("ionflux_h5_partition_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  SweepFileInfo info;
  const std::unique_ptr<MemorySweepSink> memory = run_in_memory(info);
  ASSERT_GT(info.n_steps, 0);
  const ChunkData& cells = memory->results();
  const CycleSummaries& reduced = memory->cycles();
  ASSERT_EQ(reduced.n_cycles, 2u);
  ASSERT_FALSE(reduced.variables.names.empty());

  const std::string plain = (dir / "plain.h5").string(), given = (dir / "given.h5").string(),
                    marked = (dir / "marked.h5").string();
  {
    H5SweepWriter w(plain, info);
    w.write_chunk(cells);  // reduces the chunk's steps itself
    w.close();
  }
  {
    H5SweepWriter w(given, info);
    w.write_chunk(cells, reduced);  // the memory sink's reduction
    w.close();
  }
  // summaries that differ from the steps' reduction: written as given
  CycleSummaries other = reduced;
  for (std::size_t i = 0; i < other.coulombic_efficiency.size(); ++i) other.coulombic_efficiency[i] = double(i);
  other.variables.values[0].assign(other.variables.values[0].size(), 7.0);
  {
    H5SweepWriter w(marked, info);
    w.write_chunk(cells, other);
    w.close();
  }
  File p(plain), g(given), m(marked);
  for (const char* name : {"/cells/Time [s]", "/cells/Voltage [V]", "/cells/Cycle", "/summary/Energy [W.h]",
                           "/steps/Duration [s]", "/cycles/Start time [s]", "/cycles/Discharge capacity [A.h]",
                           "/cycles/Coulombic efficiency", "/cycles/Mean temperature [K]"})
    EXPECT_TRUE(same(read_doubles(p, name), read_doubles(g, name))) << name;
  for (const std::string& name : reduced.variables.names)
    if (exists(p, "/cycles/" + name))
      EXPECT_TRUE(same(read_doubles(p, "/cycles/" + name), read_doubles(g, "/cycles/" + name))) << name;
  EXPECT_EQ(read_ints(p, "/cells/status"), read_ints(g, "/cells/status"));
  EXPECT_EQ(read_int64s(p, "/cells/offset"), read_int64s(g, "/cells/offset"));
  EXPECT_EQ(read_strings(p, "/cells/message"), read_strings(g, "/cells/message"));
  EXPECT_EQ(read_doubles(m, "/cycles/Coulombic efficiency"), other.coulombic_efficiency);
  EXPECT_EQ(read_doubles(m, "/cycles/" + other.variables.names[0]), other.variables.values[0]);
  EXPECT_TRUE(same(read_doubles(m, "/cycles/Discharge capacity [A.h]"),
                   read_doubles(p, "/cycles/Discharge capacity [A.h]")));
  fs::remove_all(dir);
}

TEST(H5Partition, SummariesOfAnotherShapeAreRefusedBeforeAnythingIsWritten) {
  const fs::path dir = fs::temp_directory_path() / ("ionflux_h5_partition_bad_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  SweepFileInfo info;
  const std::unique_ptr<MemorySweepSink> memory = run_in_memory(info);
  const std::string path = (dir / "refused.h5").string();
  {
    H5SweepWriter w(path, info);
    CycleSummaries short_one = memory->cycles();
    short_one.mean_temperature.pop_back();
    EXPECT_THROW(w.write_chunk(memory->results(), short_one), RuntimeError);
    CycleSummaries none;  // a partition without its cycles
    EXPECT_THROW(w.write_chunk(memory->results(), none), RuntimeError);
    w.close();
  }
  File f(path);
  for (const int s : read_ints(f, "/cells/status")) EXPECT_EQ(s, kStatusNotRun);
  EXPECT_EQ(shape(f, "/cells/Time [s]"), std::vector<hsize_t>{0}) << "no outputs appended";
  EXPECT_EQ(H5Aexists(f, "status"), 0) << "the file was not marked failed";
  fs::remove_all(dir);
}
#endif

}  // namespace IONFLUX_TEST_FILE_ID
