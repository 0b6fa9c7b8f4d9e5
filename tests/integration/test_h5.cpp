// The HDF5 sweep writer (solver/output/h5_writer.hpp): files are read back with the HDF5 C API
// (and with h5py where it is installed) and compared exactly with what was written.
// Everything skips when ionflux was built without HDF5.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "../test_util.hpp"
#include "solver/util/errors.hpp"
#include "solver/output/h5_writer.hpp"

// The tests read files with the HDF5 C API, which needs the HDF5 headers on this
// target's include path (IONFLUX_HAVE_HDF5 set for it as for ionflux_core).
#if defined(IONFLUX_HAVE_HDF5) && IONFLUX_HAVE_HDF5 && defined(__has_include)
#if __has_include(<hdf5.h>)
#include <hdf5.h>
#define IONFLUX_TEST_HDF5 1
#endif
#endif
#ifdef IONFLUX_TEST_HDF5
#include "tests/h5_read.hpp"
#endif

namespace fs = std::filesystem;
using ionflux::ChunkData;
using ionflux::H5SweepWriter;
using ionflux::SweepFileInfo;

namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

//! Scratch directories named after this file's tests.
struct TempDir : ionflux::testing::TempDir {
  TempDir() : ionflux::testing::TempDir("ionflux_h5") {}
};

int code(ionflux::CellStatus s) { return static_cast<int>(s); }

// ---------------------------------------------------------------------------------
// A small sweep with known results: 7 cells x 5 output times, two varied inputs.

constexpr std::size_t kCells = 7;
constexpr int kTimes = 5;
const char* const kInputD = "Negative particle diffusivity [m2.s-1]";
const char* const kInputI = "Current function [A]";

struct Sweep {
  SweepFileInfo info;
  std::vector<double> time, voltage, current, capacity;  // (kCells, kTimes)
  std::vector<int> status;
  std::vector<std::string> message, reason;
  std::vector<double> end_time, discharge_capacity, energy, mean_voltage;
  std::vector<int> steps;
  std::vector<ionflux::SolverStats> stats;
};

Sweep make_sweep() {
  using ionflux::CellStatus;
  Sweep s;
  s.info.n_cells = kCells;
  s.info.n_times = kTimes;
  s.info.varied = {kInputD, kInputI};
  s.info.inputs = {{3.9e-14, 1e-14, 2.5e-14, 7.77e-15, 1.0 / 3.0, 4e-14, -1.0}, {5.0, 1.0, 2.0, 10.0, 5.0, 0.1, 3.3}};
  s.info.attributes = {{"ionflux version", "0.1.0"},
                       {"creation time", "2024-01-02T03:04:05Z"},
                       {"parameters", R"({"Nominal cell capacity [A.h]": 5.0})"},
                       {"protocol", "discharge at 1C to 2.5 V"}};
  // Outputs per cell: how many of the kTimes columns a cell filled, then its status.
  const int filled[kCells] = {5, 4, 2, 5, 1, 5, 0};
  s.status = {code(CellStatus::finished),       code(CellStatus::cutoff_lower), code(CellStatus::newton_failure),
              code(CellStatus::cutoff_upper),   code(CellStatus::cutoff_at_start), code(CellStatus::cutoff_lower),
              code(CellStatus::invalid_input)};
  s.reason = {"finished",        "cutoff_lower",    "newton_failure", "cutoff_upper",
              "cutoff_at_start", "cutoff_lower",    "invalid_input"};
  s.message = {"",
               "",
               "Newton iteration failed to converge at t = 12.5 s (\xCE\x94t = 1e-12 s)",
               "",
               "voltage cut-off already crossed at t=0",
               "",
               "Negative electrode porosity must be in (0, 1), got 1.5"};
  for (std::size_t i = 0; i < kCells; ++i) {
    for (int j = 0; j < kTimes; ++j) {
      const bool on = j < filled[i];
      s.time.push_back(on ? 10.0 * j + 0.1 * double(i) : kNaN);
      s.voltage.push_back(on ? 4.2 - std::sqrt(2.0) * 0.01 * j - 0.001 * double(i) : kNaN);
      s.current.push_back(on ? s.info.inputs[1][i] : kNaN);
      s.capacity.push_back(on ? s.info.inputs[1][i] * 10.0 * j / 3600.0 : kNaN);
    }
    const bool ran = filled[i] > 0;
    s.end_time.push_back(ran ? 10.0 * (filled[i] - 1) + 0.1 * double(i) : kNaN);
    s.discharge_capacity.push_back(ran ? s.capacity[i * kTimes + filled[i] - 1] : kNaN);
    s.energy.push_back(ran ? 3.7 * s.discharge_capacity.back() : kNaN);
    s.mean_voltage.push_back(ran ? 3.7 + 1e-3 * double(i) : kNaN);
    s.steps.push_back(ran ? 17 * int(i) + 3 : 0);
    // integrator counters: distinct per cell and per counter, so a swapped column shows
    const int k = int(i);
    s.stats.push_back(ran ? ionflux::SolverStats{17 * k + 3, 100 + k, 200 + k, 300 + k, 400 + k, 500 + k}
                          : ionflux::SolverStats{});
  }
  return s;
}

#if IONFLUX_TEST_HDF5

//! Same value, NaN equal to NaN.
bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

void expect_same(const std::vector<double>& got, const std::vector<double>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_TRUE(same(got[i], want[i])) << what << "[" << i << "]: got " << got[i] << ", want " << want[i];
}

//! Outputs a cell filled (the prefix of its kTimes columns before the NaN tail).
std::size_t filled_of(const Sweep& s, std::size_t i) {
  std::size_t k = 0;
  while (k < std::size_t(kTimes) && !std::isnan(s.time[i * kTimes + k])) ++k;
  return k;
}

//! Cells [first, first + n) of a (cell, time) grid without the NaN tails, one after another:
//! the ragged layout of the file.
std::vector<double> ragged(const Sweep& s, const std::vector<double>& grid, std::size_t first, std::size_t n) {
  std::vector<double> out;
  for (std::size_t i = first; i < first + n; ++i)
    out.insert(out.end(), grid.begin() + i * kTimes, grid.begin() + i * kTimes + filled_of(s, i));
  return out;
}

ChunkData chunk_of(const Sweep& s, std::size_t first, std::size_t n) {
  ChunkData c;
  c.first = first;
  c.n = n;
  for (std::size_t i = first, at = 0; i < first + n; ++i) {
    c.offset.push_back(at);
    c.count.push_back(filled_of(s, i));
    at += c.count.back();
  }
  auto rows = [&](const std::vector<double>& v) { return ragged(s, v, first, n); };
  auto cells = [&](const auto& v) {
    return std::vector<typename std::decay_t<decltype(v)>::value_type>(v.begin() + first, v.begin() + first + n);
  };
  c.time = rows(s.time);
  c.voltage = rows(s.voltage);
  c.current = rows(s.current);
  c.capacity = rows(s.capacity);
  c.status = cells(s.status);
  c.message = cells(s.message);
  c.end_time = cells(s.end_time);
  c.discharge_capacity = cells(s.discharge_capacity);
  c.energy = cells(s.energy);
  c.mean_voltage = cells(s.mean_voltage);
  c.steps = cells(s.steps);
  c.stats = cells(s.stats);
  return c;
}

//! Writes the whole sweep in chunks of 3, 3, 1 cells and closes.
void write_sweep(const Sweep& s, const std::string& path) {
  H5SweepWriter w(path, s.info);
  w.write_chunk(chunk_of(s, 0, 3));
  w.write_chunk(chunk_of(s, 3, 3));
  w.write_chunk(chunk_of(s, 6, 1));
  w.close();
}

//! The code table the writer must attach to /cells/status.
std::string expected_codes() {
  std::string s = "-1: not_run";
#define IONFLUX_X(name, code, msg) s += ", " + std::to_string(code) + ": " + #name;
  IONFLUX_CELL_STATUS_LIST(IONFLUX_X)
#undef IONFLUX_X
  return s;
}

// ---------------------------------------------------------------------------------
}  // namespace

#ifdef IONFLUX_TEST_HDF5
using namespace ionflux::testing::h5;
#endif

namespace {
std::set<std::string> attribute_names(hid_t file, const std::string& path) {
  std::set<std::string> names;
  Id obj(H5Oopen(file, path.c_str(), H5P_DEFAULT), H5Oclose);
  hsize_t idx = 0;
  H5Aiterate2(
      obj, H5_INDEX_NAME, H5_ITER_INC, &idx,
      [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
        static_cast<std::set<std::string>*>(data)->insert(name);
        return 0;
      },
      &names);
  return names;
}

//! Every object below the root, as path -> "group" / "dataset" (H5Literate, recursively).
std::map<std::string, std::string> list_objects(hid_t file) {
  struct Walk {
    std::map<std::string, std::string> found;
    std::string prefix;
    static herr_t visit(hid_t group, const char* name, const H5L_info_t*, void* data) {
      auto* w = static_cast<Walk*>(data);
      const std::string path = w->prefix + "/" + name;
      Id obj(H5Oopen(group, name, H5P_DEFAULT), H5Oclose);
      if (!obj.ok()) return -1;
      const H5I_type_t type = H5Iget_type(obj);
      if (type == H5I_GROUP) {
        w->found[path] = "group";
        const std::string saved = w->prefix;
        w->prefix = path;
        hsize_t idx = 0;
        const herr_t r = H5Literate(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, &Walk::visit, data);
        w->prefix = saved;
        return r;
      }
      w->found[path] = type == H5I_DATASET ? "dataset" : "other";
      return 0;
    }
  } walk;
  hsize_t idx = 0;
  if (H5Literate(file, H5_INDEX_NAME, H5_ITER_INC, &idx, &Walk::visit, &walk) < 0)
    throw std::runtime_error("H5Literate failed");
  return walk.found;
}

struct DatasetType {
  H5T_class_t cls;
  std::size_t size;      // bytes (0 for variable-length strings)
  bool utf8_vlen = false;
};

DatasetType dataset_type(hid_t file, const std::string& path) {
  Id ds(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose);
  Id t(H5Dget_type(ds), H5Tclose);
  DatasetType r{H5Tget_class(t), H5Tget_size(t)};
  if (r.cls == H5T_STRING) {
    r.utf8_vlen = H5Tis_variable_str(t) > 0 && H5Tget_cset(t) == H5T_CSET_UTF8;
    r.size = 0;
  }
  return r;
}

std::vector<hsize_t> chunk_dims(hid_t file, const std::string& path) {
  Id ds(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose);
  Id dcpl(H5Dget_create_plist(ds), H5Pclose);
  if (H5Pget_layout(dcpl) != H5D_CHUNKED) return {};
  hsize_t dims[2] = {0, 0};
  const int rank = H5Pget_chunk(dcpl, 2, dims);
  return std::vector<hsize_t>(dims, dims + std::max(rank, 0));
}

const std::vector<std::string> kCellVariables = {"Time [s]", "Voltage [V]", "Current [A]", "Discharge capacity [A.h]"};

#define SKIP_WITHOUT_HDF5()                                                              \
  do {                                                                                   \
    if (!ionflux::hdf5_available()) GTEST_SKIP() << "ionflux was built without HDF5"; \
  } while (0)

#endif  // IONFLUX_TEST_HDF5

}  // namespace

// Without HDF5 the constructor says how to get it; with it, a file is created.
TEST(H5Writer, AvailabilityMatchesConstructor) {
  TempDir dir;
  const Sweep s = make_sweep();
  if (ionflux::hdf5_available()) {
    EXPECT_NO_THROW(H5SweepWriter(dir / "a.h5", s.info));
    EXPECT_TRUE(fs::exists(dir / "a.h5"));
  } else {
    try {
      H5SweepWriter w(dir / "a.h5", s.info);
      FAIL() << "constructor did not throw";
    } catch (const ionflux::RuntimeError& e) {
      EXPECT_STREQ(e.what(), "ionflux was built without HDF5 (install libhdf5-dev and rebuild)");
    }
  }
}

#if IONFLUX_TEST_HDF5

TEST(H5Writer, RoundTripInChunks) {
  SKIP_WITHOUT_HDF5();
  TempDir dir;
  const Sweep s = make_sweep();
  write_sweep(s, dir / "sweep.h5");

  File f(dir / "sweep.h5");
  // Ragged: only the 22 outputs the cells made (5 + 4 + 2 + 5 + 1 + 5 + 0), no padding to
  // the longest cell (7 x 5 = 35 values).
  for (const auto& name : kCellVariables) EXPECT_EQ(shape(f, "/cells/" + name), (std::vector<hsize_t>{22})) << name;
  expect_same(read_doubles(f, "/cells/Time [s]"), ragged(s, s.time, 0, kCells), "time");
  expect_same(read_doubles(f, "/cells/Voltage [V]"), ragged(s, s.voltage, 0, kCells), "voltage");
  expect_same(read_doubles(f, "/cells/Current [A]"), ragged(s, s.current, 0, kCells), "current");
  expect_same(read_doubles(f, "/cells/Discharge capacity [A.h]"), ragged(s, s.capacity, 0, kCells), "capacity");
  EXPECT_EQ(read_int64s(f, "/cells/count"), (std::vector<long long>{5, 4, 2, 5, 1, 5, 0}));
  EXPECT_EQ(read_int64s(f, "/cells/offset"), (std::vector<long long>{0, 5, 9, 11, 16, 17, 22}));
  EXPECT_EQ(read_ints(f, "/cells/status"), s.status);
  EXPECT_EQ(read_strings(f, "/cells/message"), s.message);

  expect_same(read_doubles(f, std::string("/inputs/") + kInputD), s.info.inputs[0], "input D");
  expect_same(read_doubles(f, std::string("/inputs/") + kInputI), s.info.inputs[1], "input I");

  expect_same(read_doubles(f, "/summary/End time [s]"), s.end_time, "end time");
  EXPECT_EQ(read_strings(f, "/summary/End reason"), s.reason);
  expect_same(read_doubles(f, "/summary/Discharge capacity [A.h]"), s.discharge_capacity, "discharge capacity");
  expect_same(read_doubles(f, "/summary/Energy [W.h]"), s.energy, "energy");
  expect_same(read_doubles(f, "/summary/Mean voltage [V]"), s.mean_voltage, "mean voltage");
  EXPECT_EQ(read_ints(f, "/summary/Steps"), s.steps);
  // the integrator's counters per cell, each in its own dataset of /stats
  const std::pair<const char*, int ionflux::SolverStats::*> counters[] = {
      {"/stats/Newton iterations", &ionflux::SolverStats::newton_iters},
      {"/stats/Jacobian setups", &ionflux::SolverStats::jacobian_setups},
      {"/stats/Residual evaluations", &ionflux::SolverStats::residual_evals},
      {"/stats/Error test failures", &ionflux::SolverStats::error_test_failures},
      {"/stats/Convergence failures", &ionflux::SolverStats::convergence_failures}};
  for (const auto& [name, field] : counters) {
    std::vector<int> want;
    for (const auto& st : s.stats) want.push_back(st.*field);
    EXPECT_EQ(read_ints(f, name), want) << name;
  }

  // The early failure (cell 2) kept its two outputs, and nothing pads it.
  EXPECT_EQ(read_doubles(f, "/cells/Voltage [V]")[9 + 1], s.voltage[2 * kTimes + 1]);

  for (const auto& [name, value] : s.info.attributes) EXPECT_EQ(read_string_attribute(f, "/", name), value) << name;
  EXPECT_EQ(read_string_attribute(f, "/cells/status", "codes"), expected_codes());
  EXPECT_EQ(read_int_attribute(f, "/cells/status", "not_run_code"), -1);
}

// A sweep that died after its first chunk: that chunk is complete in the file (it was
// flushed), every later cell reads as not run (-1) with NaN rows and empty strings.
TEST(H5Writer, FileOfASweepThatDiedAfterTheFirstChunk) {
  SKIP_WITHOUT_HDF5();
  TempDir dir;
  const Sweep s = make_sweep();
  const std::string path = dir / "died.h5";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // the sweep: one chunk, then gone without closing anything
    try {
      H5SweepWriter w(path, s.info);
      w.write_chunk(chunk_of(s, 0, 3));
      ::_exit(0);  // no destructor runs: the file is never closed
    } catch (...) {
    }
    ::_exit(1);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);

  File f(path);
  const std::vector<int> status = read_ints(f, "/cells/status");
  const std::vector<double> voltage = read_doubles(f, "/cells/Voltage [V]");
  const std::vector<long long> count = read_int64s(f, "/cells/count");
  const std::vector<std::string> reason = read_strings(f, "/summary/End reason");
  const std::vector<std::string> message = read_strings(f, "/cells/message");
  const std::vector<double> end_time = read_doubles(f, "/summary/End time [s]");
  const std::vector<int> steps = read_ints(f, "/summary/Steps");
  ASSERT_EQ(status.size(), kCells);
  for (std::size_t i = 0; i < kCells; ++i) {
    const bool written = i < 3;
    EXPECT_EQ(status[i], written ? s.status[i] : -1) << i;
    EXPECT_EQ(reason[i], written ? s.reason[i] : "") << i;
    EXPECT_EQ(message[i], written ? s.message[i] : "") << i;
    EXPECT_TRUE(same(end_time[i], written ? s.end_time[i] : kNaN)) << i;
    EXPECT_EQ(steps[i], written ? s.steps[i] : 0) << i;
    EXPECT_EQ(count[i], written ? static_cast<long long>(filled_of(s, i)) : 0) << i;
  }
  expect_same(voltage, ragged(s, s.voltage, 0, 3), "voltage of the written cells");
  // The inputs and attributes were written (and flushed) by the constructor.
  expect_same(read_doubles(f, std::string("/inputs/") + kInputD), s.info.inputs[0], "input D");
  EXPECT_EQ(read_string_attribute(f, "/", "protocol"), "discharge at 1C to 2.5 V");
}

// Closed early (not all chunks written) the same way.
TEST(H5Writer, ClosedAfterTheFirstChunk) {
  SKIP_WITHOUT_HDF5();
  TempDir dir;
  const Sweep s = make_sweep();
  {
    H5SweepWriter w(dir / "early.h5", s.info);
    w.write_chunk(chunk_of(s, 0, 3));
  }  // the destructor closes
  File f(dir / "early.h5");
  const std::vector<int> status = read_ints(f, "/cells/status");
  EXPECT_EQ(status, (std::vector<int>{s.status[0], s.status[1], s.status[2], -1, -1, -1, -1}));
  expect_same(read_doubles(f, "/cells/Time [s]"), ragged(s, s.time, 0, 3), "time of the written cells");
  EXPECT_EQ(read_int64s(f, "/cells/count"), (std::vector<long long>{5, 4, 2, 0, 0, 0, 0}));
}

TEST(H5Writer, RootAttributes) {
  SKIP_WITHOUT_HDF5();
  TempDir dir;
  Sweep s = make_sweep();
  std::string big = "{\"values\": [";
  for (int i = 0; i < 20000; ++i) big += (i ? ", " : "") + std::to_string(i * 1.25);
  big += "]}";
  ASSERT_GT(big.size(), std::size_t(100000));  // beyond HDF5's 64 KiB compact attribute limit
  s.info.attributes.emplace_back("parameters as JSON", big);
  s.info.attributes.emplace_back("unicode \xC2\xB5m", "\xC2\xB5m \xE2\x88\x95 \xC3\xBC");
  s.info.attributes.emplace_back("empty", "");
  {
    H5SweepWriter w(dir / "attrs.h5", s.info);
    w.set_attribute("device used", "cpu (2 threads)");
    w.set_attribute("protocol", "replaced");  // replaces the constructor's value
    w.set_attribute("protocol", "replaced twice");
    w.write_chunk(chunk_of(s, 0, 7));
    w.set_attribute("status counts", R"({"finished": 1})");
    w.close();
    w.close();  // a second close does nothing
    EXPECT_THROW(w.set_attribute("late", "x"), ionflux::RuntimeError);
  }
  File f(dir / "attrs.h5");
  EXPECT_EQ(attribute_names(f, "/"),
            (std::set<std::string>{"ionflux version", "creation time", "parameters", "protocol", "parameters as JSON",
                                   "unicode \xC2\xB5m", "empty", "device used", "status counts"}));
  EXPECT_EQ(read_string_attribute(f, "/", "ionflux version"), "0.1.0");
  EXPECT_EQ(read_string_attribute(f, "/", "protocol"), "replaced twice");
  EXPECT_EQ(read_string_attribute(f, "/", "parameters as JSON"), big);
  EXPECT_EQ(read_string_attribute(f, "/", "unicode \xC2\xB5m"), "\xC2\xB5m \xE2\x88\x95 \xC3\xBC");
  EXPECT_EQ(read_string_attribute(f, "/", "empty"), "");
  EXPECT_EQ(read_string_attribute(f, "/", "device used"), "cpu (2 threads)");
  EXPECT_EQ(read_string_attribute(f, "/", "status counts"), R"({"finished": 1})");
}

TEST(H5Writer, UnwritablePathThrowsWithThePath) {
  SKIP_WITHOUT_HDF5();
  const Sweep s = make_sweep();
  try {
    H5SweepWriter w("/nonexistent_dir/x.h5", s.info);
    FAIL() << "no exception";
  } catch (const ionflux::RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot create HDF5 file '/nonexistent_dir/x.h5'"), std::string::npos)
        << e.what();
  }
}

TEST(H5Writer, LayoutMatchesTheDocumentation) {
  SKIP_WITHOUT_HDF5();
  TempDir dir;
  const Sweep s = make_sweep();
  write_sweep(s, dir / "layout.h5");
  File f(dir / "layout.h5");

  const std::map<std::string, std::string> expected = {
      {"/cells", "group"},
      {"/cells/Time [s]", "dataset"},
      {"/cells/Voltage [V]", "dataset"},
      {"/cells/Current [A]", "dataset"},
      {"/cells/Discharge capacity [A.h]", "dataset"},
      {"/cells/status", "dataset"},
      {"/cells/message", "dataset"},
      {"/cells/offset", "dataset"},
      {"/cells/count", "dataset"},
      {"/cells/device", "dataset"},
      {"/inputs", "group"},
      {std::string("/inputs/") + kInputD, "dataset"},
      {std::string("/inputs/") + kInputI, "dataset"},
      {"/summary", "group"},
      {"/summary/End time [s]", "dataset"},
      {"/summary/End reason", "dataset"},
      {"/summary/Discharge capacity [A.h]", "dataset"},
      {"/summary/Energy [W.h]", "dataset"},
      {"/summary/Mean voltage [V]", "dataset"},
      {"/summary/Steps", "dataset"},
      {"/summary/Charge capacity [A.h]", "dataset"},
      {"/summary/Discharge energy [W.h]", "dataset"},
      {"/summary/Charge energy [W.h]", "dataset"},
      {"/stats", "group"},
      {"/stats/Newton iterations", "dataset"},
      {"/stats/Jacobian setups", "dataset"},
      {"/stats/Residual evaluations", "dataset"},
      {"/stats/Error test failures", "dataset"},
      {"/stats/Convergence failures", "dataset"},
  };
  EXPECT_EQ(list_objects(f), expected);

  // Types and shapes: float64 (n_points) / (n_cells), int32, int64, UTF-8 strings.
  for (const auto& name : kCellVariables) {
    const DatasetType t = dataset_type(f, "/cells/" + name);
    EXPECT_EQ(t.cls, H5T_FLOAT) << name;
    EXPECT_EQ(t.size, 8u) << name;
    // 7 cells x 5 times = 35 expected outputs: the smallest chunk, 1024 elements
    EXPECT_EQ(chunk_dims(f, "/cells/" + name), (std::vector<hsize_t>{1024})) << name;
  }
  for (const char* name : {"/cells/offset", "/cells/count"}) {
    const DatasetType t = dataset_type(f, name);
    EXPECT_EQ(t.cls, H5T_INTEGER) << name;
    EXPECT_EQ(t.size, 8u) << name;
    EXPECT_EQ(shape(f, name), (std::vector<hsize_t>{kCells})) << name;
  }
  EXPECT_NE(read_string_attribute(f, "/cells", "layout").find("offset[i] + count[i]"), std::string::npos);
  for (const char* name : {"/cells/status", "/summary/Steps"}) {
    const DatasetType t = dataset_type(f, name);
    EXPECT_EQ(t.cls, H5T_INTEGER) << name;
    EXPECT_EQ(t.size, 4u) << name;
    EXPECT_EQ(shape(f, name), (std::vector<hsize_t>{kCells})) << name;
  }
  for (const char* name : {"/cells/message", "/summary/End reason"}) {
    const DatasetType t = dataset_type(f, name);
    EXPECT_EQ(t.cls, H5T_STRING) << name;
    EXPECT_TRUE(t.utf8_vlen) << name;
    EXPECT_EQ(shape(f, name), (std::vector<hsize_t>{kCells})) << name;
  }
  for (const std::string& name : {std::string("/inputs/") + kInputD, std::string("/inputs/") + kInputI,
                                 std::string("/summary/End time [s]"), std::string("/summary/Discharge capacity [A.h]"),
                                 std::string("/summary/Energy [W.h]"), std::string("/summary/Mean voltage [V]")}) {
    const DatasetType t = dataset_type(f, name);
    EXPECT_EQ(t.cls, H5T_FLOAT) << name;
    EXPECT_EQ(t.size, 8u) << name;
    EXPECT_EQ(shape(f, name), (std::vector<hsize_t>{kCells})) << name;
    EXPECT_EQ(chunk_dims(f, name), (std::vector<hsize_t>{kCells})) << name;
  }
  EXPECT_EQ(attribute_names(f, "/cells/status"), (std::set<std::string>{"codes", "not_run_code"}));
  const std::string codes = read_string_attribute(f, "/cells/status", "codes");
  EXPECT_EQ(codes.rfind("-1: not_run, 0: running, 1: finished, 2: cutoff_lower, 3: cutoff_upper", 0), 0u) << codes;
}

// Per-cell datasets exist at full size from the start, chunked by about 1 MiB; the outputs
// are appended, so the file grows with the outputs that exist, not with n_cells x the
// longest cell.
TEST(H5Writer, LargeSweepChunkingAndOffsetWrites) {
  SKIP_WITHOUT_HDF5();
  TempDir dir;
  SweepFileInfo info;
  info.n_cells = 200000;
  info.varied = {"x"};
  info.inputs = {std::vector<double>(info.n_cells)};
  for (std::size_t i = 0; i < info.n_cells; ++i) info.inputs[0][i] = double(i);

  ChunkData c;
  c.first = 100000;
  c.n = 10;
  for (std::size_t i = 0; i < c.n; ++i) {
    c.offset.push_back(c.time.size());
    c.count.push_back(100 * (i + 1));  // 100, 200, ..., 1000 outputs
    for (std::size_t j = 0; j < c.count.back(); ++j) {
      const double v = double(c.first + i) + 1e-4 * double(j);
      c.time.push_back(v);
      c.voltage.push_back(-v);
      c.current.push_back(2 * v);
      c.capacity.push_back(3 * v);
    }
    c.status.push_back(1);
    c.message.push_back("cell " + std::to_string(c.first + i));
    c.end_time.push_back(1.0);
    c.discharge_capacity.push_back(2.0);
    c.energy.push_back(3.0);
    c.mean_voltage.push_back(4.0);
    c.steps.push_back(int(i));
  }
  {
    H5SweepWriter w(dir / "large.h5", info);
    w.write_chunk(c);
  }
  // a padded (200000, 1000) layout would be 200000 x 1000 x 4 doubles = 6.4 GB of datasets
  EXPECT_LT(fs::file_size(dir / "large.h5"), std::uintmax_t(16) << 20);

  File f(dir / "large.h5");
  EXPECT_EQ(shape(f, "/cells/Voltage [V]"), (std::vector<hsize_t>{5500}));  // 100 + 200 + ... + 1000
  EXPECT_EQ(chunk_dims(f, "/cells/Voltage [V]"), (std::vector<hsize_t>{(1u << 20) / 8}));
  EXPECT_EQ(chunk_dims(f, "/summary/Energy [W.h]"), (std::vector<hsize_t>{(1u << 20) / 8}));
  EXPECT_EQ(chunk_dims(f, "/cells/status"), (std::vector<hsize_t>{200000}));
  EXPECT_EQ(read_doubles(f, "/cells/Voltage [V]"), c.voltage);
  const std::vector<long long> offset = read_int64s(f, "/cells/offset"), count = read_int64s(f, "/cells/count");
  EXPECT_EQ(count[99999], 0);
  EXPECT_EQ(count[100010], 0);
  for (std::size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(offset[100000 + i], static_cast<long long>(c.offset[i])) << i;
    EXPECT_EQ(count[100000 + i], static_cast<long long>(c.count[i])) << i;
  }
  const std::vector<int> status = read_ints(f, "/cells/status");
  EXPECT_EQ(status[99999], -1);
  EXPECT_EQ(status[100000], 1);
  EXPECT_EQ(status[100009], 1);
  EXPECT_EQ(status[100010], -1);
  EXPECT_EQ(read_strings(f, "/cells/message")[100004], "cell 100004");
  EXPECT_EQ(read_doubles(f, "/inputs/x")[123456], 123456.0);
}

TEST(H5Writer, EmptySweeps) {
  SKIP_WITHOUT_HDF5();
  TempDir dir;
  SweepFileInfo none;  // no cells, no times, nothing varied
  { H5SweepWriter w(dir / "none.h5", none); }
  SweepFileInfo no_times;
  no_times.n_cells = 2;
  no_times.varied = {"x"};
  no_times.inputs = {{1.0, 2.0}};
  {
    H5SweepWriter w(dir / "no_times.h5", no_times);
    ChunkData c;
    c.n = 2;
    c.offset = c.count = {0, 0};
    c.status = {1, 2};
    c.message = {"a", "b"};
    c.end_time = c.discharge_capacity = c.energy = c.mean_voltage = {0.0, 0.0};
    c.steps = {0, 0};
    w.write_chunk(c);
  }
  File f0(dir / "none.h5");
  EXPECT_EQ(shape(f0, "/cells/Voltage [V]"), (std::vector<hsize_t>{0}));
  EXPECT_TRUE(read_ints(f0, "/cells/status").empty());
  File f1(dir / "no_times.h5");
  EXPECT_EQ(shape(f1, "/cells/Time [s]"), (std::vector<hsize_t>{0}));
  EXPECT_EQ(read_int64s(f1, "/cells/count"), (std::vector<long long>{0, 0}));
  EXPECT_EQ(read_ints(f1, "/cells/status"), (std::vector<int>{1, 2}));
  EXPECT_EQ(read_strings(f1, "/summary/End reason"), (std::vector<std::string>{"finished", "cutoff_lower"}));
}

// '/' cannot be part of an HDF5 name: it becomes U+2215 and the original name is kept
// in the dataset's "name" attribute.
TEST(H5Writer, SlashInAVariedParameterName) {
  SKIP_WITHOUT_HDF5();
  TempDir dir;
  SweepFileInfo info;
  info.n_cells = 2;
  info.n_times = 1;
  info.varied = {"Ratio a/b [-]", "Plain [m]"};
  info.inputs = {{0.5, 0.25}, {1.0, 2.0}};
  { H5SweepWriter w(dir / "slash.h5", info); }
  File f(dir / "slash.h5");
  const std::string escaped = "/inputs/Ratio a\xE2\x88\x95" "b [-]";
  ASSERT_TRUE(exists(f, escaped));
  EXPECT_EQ(read_doubles(f, escaped), (std::vector<double>{0.5, 0.25}));
  EXPECT_EQ(read_string_attribute(f, escaped, "name"), "Ratio a/b [-]");
  EXPECT_TRUE(attribute_names(f, "/inputs/Plain [m]").empty());
  EXPECT_FALSE(exists(f, "/inputs/Ratio a"));
}

TEST(H5Writer, MalformedDescriptionIsRejectedBeforeTheFileIsTouched) {
  SKIP_WITHOUT_HDF5();
  TempDir dir;
  SweepFileInfo info;
  info.n_cells = 2;
  info.n_times = 1;
  info.varied = {"a", "b"};
  info.inputs = {{1.0, 2.0}};  // one column short
  EXPECT_THROW(H5SweepWriter(dir / "bad.h5", info), ionflux::InputError);
  info.inputs = {{1.0, 2.0}, {1.0}};  // one value short
  EXPECT_THROW(H5SweepWriter(dir / "bad.h5", info), ionflux::InputError);
  info.varied = {"x/y", "x\xE2\x88\x95y"};  // the same name once escaped
  info.inputs = {{1.0, 2.0}, {1.0, 2.0}};
  EXPECT_THROW(H5SweepWriter(dir / "bad.h5", info), ionflux::InputError);
  info.varied = {"a", "b"};
  info.initial_soc = {0.5};  // an initial SOC short
  EXPECT_THROW(H5SweepWriter(dir / "bad.h5", info), ionflux::InputError);
  EXPECT_FALSE(fs::exists(dir / "bad.h5"));
}

TEST(H5Writer, ChunksOutsideTheFileOrOfTheWrongShapeAreRejected) {
  SKIP_WITHOUT_HDF5();
  TempDir dir;
  const Sweep s = make_sweep();
  H5SweepWriter w(dir / "chunks.h5", s.info);

  ChunkData past_end = chunk_of(s, 4, 3);
  past_end.first = 5;  // cells 5..7 of 7
  EXPECT_THROW(w.write_chunk(past_end), ionflux::RuntimeError);
  ChunkData far = chunk_of(s, 0, 1);
  far.first = std::numeric_limits<std::size_t>::max();  // first + n overflows
  EXPECT_THROW(w.write_chunk(far), ionflux::RuntimeError);
  ChunkData times = chunk_of(s, 0, 3);
  times.count.back() += 1;  // the last cell's outputs run past the chunk's arrays
  EXPECT_THROW(w.write_chunk(times), ionflux::RuntimeError);
  ChunkData no_offsets = chunk_of(s, 0, 3);
  no_offsets.offset.pop_back();
  EXPECT_THROW(w.write_chunk(no_offsets), ionflux::RuntimeError);
  ChunkData short_voltage = chunk_of(s, 0, 3);
  short_voltage.voltage.pop_back();
  EXPECT_THROW(w.write_chunk(short_voltage), ionflux::RuntimeError);
  ChunkData short_steps = chunk_of(s, 0, 3);
  short_steps.steps.pop_back();
  EXPECT_THROW(w.write_chunk(short_steps), ionflux::RuntimeError);
  try {
    w.write_chunk(past_end);
  } catch (const ionflux::RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("chunks.h5"), std::string::npos) << e.what();
  }

  // Nothing was written by the rejected chunks; good ones still go in.
  w.write_chunk(chunk_of(s, 0, 7));
  w.close();
  EXPECT_THROW(w.write_chunk(chunk_of(s, 0, 1)), ionflux::RuntimeError);
  File f(dir / "chunks.h5");
  EXPECT_EQ(read_ints(f, "/cells/status"), s.status);
}

// The same file read by h5py (only where h5py is installed; never installed here), and
// the reading example of docs/hdf5_layout.md run against it.
TEST(H5Python, ReadWithH5py) {
  SKIP_WITHOUT_HDF5();
  if (std::system("python3 -c 'import h5py, numpy' >/dev/null 2>&1") != 0) GTEST_SKIP() << "h5py is not installed";
  TempDir dir;
  const Sweep s = make_sweep();
  write_sweep(s, dir / "sweep.h5");

  const std::string script = dir / "read.py";
  std::ofstream(script) << R"(import json, math, sys
import h5py
with h5py.File(sys.argv[1], "r") as f:
    def floats(a):
        return [None if math.isnan(x) else float(x) for x in a]
    out = {
        "groups": sorted(f.keys()),
        "cells": sorted(f["cells"].keys()),
        "inputs": sorted(f["inputs"].keys()),
        "summary": sorted(f["summary"].keys()),
        "voltage_shape": list(f["cells/Voltage [V]"].shape),
        "voltage": floats(f["cells/Voltage [V]"][...].ravel()),
        "status": [int(x) for x in f["cells/status"][...]],
        "codes": f["cells/status"].attrs["codes"],
        "message": list(f["cells/message"].asstr()[...]),
        "reason": list(f["summary/End reason"].asstr()[...]),
        "steps": [int(x) for x in f["summary/Steps"][...]],
        "attrs": {k: f.attrs[k] for k in f.attrs},
    }
print(json.dumps(out))
)";
  const std::string out_path = dir / "out.json";
  ASSERT_EQ(std::system(("python3 '" + script + "' '" + (dir / "sweep.h5") + "' > '" + out_path + "'").c_str()), 0);
  std::ifstream in(out_path);
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["groups"], nlohmann::json({"cells", "inputs", "stats", "summary"}));
  EXPECT_EQ(j["cells"], nlohmann::json({"Current [A]", "Discharge capacity [A.h]", "Time [s]", "Voltage [V]",
                                        "count", "device", "message", "offset", "status"}));
  EXPECT_EQ(j["inputs"], nlohmann::json({kInputI, kInputD}));
  EXPECT_EQ(j["summary"], nlohmann::json({"Charge capacity [A.h]", "Charge energy [W.h]", "Discharge capacity [A.h]",
                                          "Discharge energy [W.h]", "End reason", "End time [s]", "Energy [W.h]",
                                          "Mean voltage [V]", "Steps"}));
  const std::vector<double> voltage = ragged(s, s.voltage, 0, kCells);
  EXPECT_EQ(j["voltage_shape"], nlohmann::json({voltage.size()}));
  ASSERT_EQ(j["voltage"].size(), voltage.size());
  for (std::size_t k = 0; k < voltage.size(); ++k) EXPECT_EQ(j["voltage"][k].get<double>(), voltage[k]) << k;
  EXPECT_EQ(j["status"].get<std::vector<int>>(), s.status);
  EXPECT_EQ(j["codes"].get<std::string>(), expected_codes());
  EXPECT_EQ(j["message"].get<std::vector<std::string>>(), s.message);
  EXPECT_EQ(j["reason"].get<std::vector<std::string>>(), s.reason);
  EXPECT_EQ(j["steps"].get<std::vector<int>>(), s.steps);
  for (const auto& [name, value] : s.info.attributes) EXPECT_EQ(j["attrs"][name].get<std::string>(), value) << name;

  // The documentation's example, run as written on a file named sweep.h5.
  std::ifstream doc(std::string(IONFLUX_FIXTURES_DIR) + "/../../docs/hdf5_layout.md");
  ASSERT_TRUE(doc) << "docs/hdf5_layout.md not found";
  std::stringstream ss;
  ss << doc.rdbuf();
  const std::string text = ss.str();
  const std::string open = "```python\n";
  const std::size_t a = text.find(open);
  ASSERT_NE(a, std::string::npos) << "no python example in docs/hdf5_layout.md";
  const std::size_t b = text.find("```", a + open.size());
  ASSERT_NE(b, std::string::npos);
  std::ofstream(dir / "example.py") << text.substr(a + open.size(), b - a - open.size());
  const std::string example_out = dir / "example.txt";
  ASSERT_EQ(std::system(("cd '" + dir.path().string() + "' && python3 example.py > example.txt 2>&1").c_str()), 0)
      << [&] {
           std::ifstream e(example_out);
           std::stringstream es;
           es << e.rdbuf();
           return es.str();
         }();
  std::ifstream e(example_out);
  std::stringstream es;
  es << e.rdbuf();
  // Cells 1 and 5 reached the lower cut-off.
  EXPECT_NE(es.str().find("2 cells reached the lower cut-off"), std::string::npos) << es.str();
}

#else  // !IONFLUX_TEST_HDF5

// ionflux_core has HDF5 but this test target cannot see its headers: the read-back tests
// above were compiled out, which must not pass unnoticed.
TEST(H5Writer, TestsCanReadHdf5WhenIonfluxWritesIt) {
  if (!ionflux::hdf5_available()) GTEST_SKIP() << "ionflux was built without HDF5";
  FAIL() << "ionflux was built with HDF5 but the test target lacks the HDF5 headers or IONFLUX_HAVE_HDF5 "
            "(tests/CMakeLists.txt): the HDF5 read-back tests were not compiled";
}

#endif  // IONFLUX_TEST_HDF5

}  // namespace IONFLUX_TEST_FILE_ID
