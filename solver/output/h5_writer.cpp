// HDF5 writer of sweep results (layout in solver/output/h5_writer.hpp and docs/hdf5_layout.md).
// Every HDF5 call lives in this file; without HDF5 (IONFLUX_HAVE_HDF5 unset) the writer
// only reports that it is unavailable.
#include "solver/output/h5_writer.hpp"

#include "solver/util/errors.hpp"
#include "solver/util/text.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(IONFLUX_HAVE_HDF5) && IONFLUX_HAVE_HDF5
#include <fcntl.h>
#include <hdf5.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <limits>
#include <set>
#include <thread>
#endif

namespace ionflux {

#if defined(IONFLUX_HAVE_HDF5) && IONFLUX_HAVE_HDF5

namespace {

static_assert(sizeof(int) == 4, "status and step datasets are written from 32-bit int");

//! HDF5 chunks aim at this many bytes (rows of one chunk = this / bytes per row).
constexpr std::size_t kChunkBytes = std::size_t(1) << 20;
//! Bytes one element of a variable-length string dataset takes in its chunk.
constexpr std::size_t kVlenElementBytes = 16;

//! A number attribute's value ("wall time [s]", written by shortest_num), read without the
//! locale; 0 where it is not a finite number >= 0.
double number_attribute(const std::string& text) {
  const double v = parse_decimal(text);
  return std::isfinite(v) && v >= 0 ? v : 0.0;
}

//! "runs" with one more line.
std::string runs_plus(const std::string& runs, const std::string& line) {
  return runs.empty() ? line : runs + "\n" + line;
}

//! One line of a resumed file's "runs": "interrupted by SIGINT after 5214.2 s on CPU, 2
//! threads", "complete after 1326.6 s on ...", or "... (its wall time is not known)".
std::string run_entry(const std::string& outcome, const std::string& signal, const std::string& wall,
                      const std::string& device) {
  return outcome + (outcome == "interrupted" && !signal.empty() ? " by " + signal : std::string()) +
         (wall.empty() ? std::string(" (its wall time is not known)") : " after " + wall + " s") +
         (device.empty() ? std::string() : " on " + device);
}

//! Turns HDF5's automatic error printing off while alive, and restores what was set
//! before (the library is shared with whoever else in the process uses it).
class ErrorSilencer {
 public:
  ErrorSilencer() {
    if (H5Eget_auto2(H5E_DEFAULT, &func_, &data_) < 0) {
      func_ = nullptr;
      data_ = nullptr;
    }
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~ErrorSilencer() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  ErrorSilencer(const ErrorSilencer&) = delete;
  ErrorSilencer& operator=(const ErrorSilencer&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

//! The most specific message on HDF5's error stack (where the failure was detected),
//! e.g. "unable to open file: name = '...', errno = 2, ...". Empty when there is none.
std::string hdf5_error_detail() {
  std::string detail;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* err, void* data) -> herr_t {
        if (n == 0 && err != nullptr && err->desc != nullptr) *static_cast<std::string*>(data) = err->desc;
        return 0;
      },
      &detail);
  // The error stack is per thread in a thread-safe HDF5: clear it once read, or a
  // worker thread's stale stack trips the library's shutdown.
  H5Eclear2(H5E_DEFAULT);
  return detail;
}

//! An owned HDF5 identifier, closed with its own close function.
class Hid {
 public:
  using Closer = herr_t (*)(hid_t);
  Hid() = default;
  Hid(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Hid() { reset(); }
  Hid(Hid&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
  Hid& operator=(Hid&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      closer_ = o.closer_;
      o.id_ = -1;
    }
    return *this;
  }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;

  hid_t get() const { return id_; }
  //! Forgets the identifier without closing it.
  void forget() { id_ = -1; }
  bool valid() const { return id_ >= 0; }
  //! Closes; returns false when HDF5 reported an error.
  bool reset() {
    herr_t r = 0;
    if (id_ >= 0 && closer_ != nullptr) r = closer_(id_);
    id_ = -1;
    return r >= 0;
  }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

//! "End reason" of a status code (the name in the code table).
const char* end_reason(int status) {
  if (status == kStatusNotRun) return "not_run";
  return cell_status_name(static_cast<CellStatus>(status));
}

//! HDF5 link names cannot hold '/': it becomes U+2215 DIVISION SLASH.
std::string link_name(const std::string& name) {
  std::string out;
  out.reserve(name.size());
  for (const char c : name) {
    if (c == '/')
      out += "\xE2\x88\x95";
    else
      out += c;
  }
  return out;
}

//! HDF5's shutdown at exit closes the files still open, and crashes (1.10.8) on one
//! whose close failed because it could not be written (H5SweepWriter::Impl::abandon):
//! turned off before the library's first use (the writer closes its files itself).
const herr_t kNoHdf5Shutdown = H5dont_atexit();

//! File access with the latest file format (SWMR needs it); with `clear_marks`, also
//! clears the superblock's "being written" marks a killed SWMR writer leaves (the
//! library's own property, which h5clear -s sets). Invalid when HDF5 refuses.
Hid swmr_fapl(bool clear_marks) {
  Hid fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (!fapl.valid() || H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST) < 0) return Hid();
  if (clear_marks) {
    hbool_t clear = 1;
    if (H5Pexist(fapl.get(), "clear_status_flags") > 0) H5Pset(fapl.get(), "clear_status_flags", &clear);
  }
  return fapl;
}

//! A write that failed for lack of space (a full disk, `ulimit -f`) can leave the file
//! shorter than the space HDF5 had allocated in it, which HDF5 refuses to open for
//! writing ("truncated file"); what was flushed before is whole. Extends the file to
//! that size with zeros (the bytes never written) and says whether it did.
bool extend_to_allocated(const std::string& path) {
  hsize_t allocated = 0;
  {
    Hid ro(H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT), H5Fclose);
    if (!ro.valid() || H5Fget_filesize(ro.get(), &allocated) < 0) return false;
  }
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && static_cast<hsize_t>(st.st_size) < allocated &&
         truncate(path.c_str(), static_cast<off_t>(allocated)) == 0;
}

//! False where HDF5_USE_FILE_LOCKING=FALSE (or 0) turns HDF5's file locks off.
bool hdf5_file_locking() {
  if (const char* env = std::getenv("HDF5_USE_FILE_LOCKING")) {
    const std::string v = to_lower(env);
    if (v == "false" || v == "0") return false;
  }
  return true;
}

//! The variable-length UTF-8 string type (in memory and in the file) of every string
//! this writer writes and reads; invalid where HDF5 cannot make it.
Hid utf8_string_type() {
  Hid type(H5Tcopy(H5T_C_S1), H5Tclose);
  if (!type.valid() || H5Tset_size(type.get(), H5T_VARIABLE) < 0 || H5Tset_cset(type.get(), H5T_CSET_UTF8) < 0)
    return Hid();
  return type;
}

//! The scalar string attribute `name` of `loc`, read as `str_type` (utf8_string_type):
//! nullopt where there is none; where it cannot be read, nullopt and *failed = true.
std::optional<std::string> read_utf8_attribute(hid_t loc, const char* name, hid_t str_type, bool* failed = nullptr) {
  if (H5Aexists(loc, name) <= 0) return std::nullopt;
  Hid attr(H5Aopen(loc, name, H5P_DEFAULT), H5Aclose);
  char* text = nullptr;
  if (!attr.valid() || H5Aread(attr.get(), str_type, &text) < 0) {
    if (failed) *failed = true;
    return std::nullopt;
  }
  std::string out = text ? text : "";
  H5free_memory(text);
  return out;
}

//! Whether another process holds HDF5's lock on the file at `path` (HDF5 >= 1.10 takes a
//! flock when it opens a file: shared for readers, exclusive for writers, unless
//! HDF5_USE_FILE_LOCKING=FALSE, and then this says false). A reader watching a sweep
//! (h5py, ionflux.load) holds it while its file is open; so does this process's own
//! h5py handle (flock locks belong to open file descriptions), reported the same way.
bool locked_by_another_process(const std::string& path) {
  if (!hdf5_file_locking()) return false;  // HDF5 takes no lock then
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);  // a FIFO must not block
  if (fd < 0) return false;
  const bool locked = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // also releases the lock taken, if it was
  return locked;
}

//! Calls `open` (an HDF5 open or create that returns an invalid Hid when it fails) once no
//! other process holds the file's lock, and again while a failure coincides with such a
//! lock, for up to about two seconds: a watcher polling the file opens and closes it within
//! milliseconds, and a resumed or restarted sweep must not fail because it opened the file
//! in the same moment. The lock is checked before each try because HDF5 truncates a file
//! it is asked to create before it finds the lock taken: a reader's file is not emptied by
//! a run that then fails. `locked` says whether the last failure was such a lock (a reader
//! that keeps the file open longer, reported by the caller).
template <class Open>
Hid open_waiting_for_readers(const std::string& path, Open&& open, bool& locked) {
  constexpr int kTries = 100;
  constexpr auto kPause = std::chrono::milliseconds(20);
  for (int attempt = 1;; ++attempt) {
    Hid file;
    locked = locked_by_another_process(path);
    if (!locked) {
      file = open();
      locked = !file.valid() && locked_by_another_process(path);
    }
    if (file.valid() || !locked || attempt == kTries) return file;
    H5Eclear2(H5E_DEFAULT);
    std::this_thread::sleep_for(kPause);
  }
}

//! Why a file cannot be created at `path` in words (its directory missing, not a directory
//! or not writable), or empty when none of these holds (HDF5's own reason is then shown).
std::string why_not_creatable(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return ": its directory '" + dir + "' does not exist";
  if (!S_ISDIR(st.st_mode)) return ": '" + dir + "' is not a directory";
  if (::access(dir.c_str(), W_OK) != 0)
    return ": its directory '" + dir + "' cannot be written (" + std::strerror(errno) + ")";
  return {};
}

//! The end of an error message for a file that could not be opened because another
//! process held it.
std::string held_open_elsewhere() {
  return ": another process has it open (an HDF5 reader such as h5py, ionflux.load or HDFView holds its file "
         "lock, or another ionflux run is writing it); close it there, or wait for that run, and run again, or set "
         "HDF5_USE_FILE_LOCKING=FALSE where the file system cannot lock files";
}

//! IONFLUX_FAULT_H5_WRITE=N (tests, docs/reliability.md): the N-th chunk written to a
//! sweep file fails inside HDF5 (0 or unset: none).
long long h5_write_fault_from_env() {
  const char* env = std::getenv("IONFLUX_FAULT_H5_WRITE");
  if (!env || !*env) return 0;
  char* end = nullptr;
  const long long n = std::strtoll(env, &end, 10);
  return end && *end == '\0' && n > 0 ? n : 0;
}

}  // namespace

struct H5SweepWriter::Impl {
  std::string path;
  std::size_t n_cells = 0;
  int n_times = 0;
  bool open = false;
  bool reopen = false;            //!< Open::resume: the objects exist; open them instead of creating
  bool swmr = false;              //!< in HDF5 SWMR-write mode: readers may open the file while it is written
  std::size_t cells_in_file = 0;  //!< cells whose status is in the file (safe in it)
  std::size_t chunks_written = 0;  //!< write_chunk calls (IONFLUX_FAULT_H5_WRITE counts them)
  long long fault_chunk = 0;       //!< IONFLUX_FAULT_H5_WRITE: the chunk whose write fails (0: none)
  dev_t file_dev = 0;              //!< the file written (a removed or replaced file is noticed at the next chunk)
  ino_t file_ino = 0;

  void note_file_identity() {
    struct stat st {};
    if (stat(path.c_str(), &st) == 0) file_dev = st.st_dev, file_ino = st.st_ino;
  }
  //! The file was removed (or another put in its place) while it was written: its
  //! writes would go on into a file nobody can open.
  bool file_gone() const {
    struct stat st {};
    return file_ino != 0 && (stat(path.c_str(), &st) != 0 || st.st_dev != file_dev || st.st_ino != file_ino);
  }
  KeptCells kept;  //!< per cell, its status at open; Open::resume: those cells' counts (count_kept_cells)
  // A resumed file's run history (docs/hdf5_layout.md, "Interrupting and resuming"): the
  // earlier runs, one line each, as written to "runs" at open, and what this run has set.
  double earlier_wall = 0.0;  //!< Open::resume: the file's "wall time [s]" (its earlier runs')
  std::string earlier_runs;   //!< Open::resume: "runs" with every earlier run
  std::string run_wall, run_signal, run_device;  //!< this run's "wall time [s]", "interrupted by", "device"

  //! This run's claim on the file while it writes in SWMR mode. HDF5 drops its own
  //! (exclusive) lock when SWMR writing starts, so that readers can open the file; from
  //! then on nothing stopped a second run from truncating and writing the same file (found
  //! by a new-user audit: two sweeps to one output, a corrupt file). A shared flock on a
  //! descriptor of our own lets readers in (their locks are shared) and makes a second
  //! writer's exclusive lock, and the probe before it (locked_by_another_process), fail.
  //! Not taken with HDF5_USE_FILE_LOCKING=FALSE (no locks at all, as HDF5 then).
  struct Claim {
    int fd = -1;
    void take(const std::string& file_path) {
      if (fd >= 0 || !hdf5_file_locking()) return;
      fd = ::open(file_path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
      if (fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) != 0) release();  // (no claim: as before)
    }
    void release() {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
    ~Claim() { release(); }
  } claim;

  // Declared first, so closed last by the destructor (the claim after them).
  Hid file;
  Hid str_type;  //!< variable-length UTF-8 string (memory and file type)
  Hid g_cells, g_inputs, g_summary;
  Hid d_time, d_voltage, d_current, d_capacity, d_status, d_message;
  // ragged layout: cell i's outputs are [offset[i], offset[i] + count[i]) of the series
  Hid d_offset, d_count;
  Hid d_device;  //!< per cell: where it was integrated (ChunkData::device codes)
  std::uint64_t points = 0;  //!< outputs written so far (the series' length)
  hsize_t series_chunk = 1;  //!< elements per chunk of the series
  Hid d_end_time, d_end_reason, d_sum_capacity, d_energy, d_mean_voltage, d_steps;
  Hid d_sum_chg, d_sum_dis_e, d_sum_chg_e;  // charge capacity, discharge and charge energy
  // optional: temperature and step index per output; per-step summaries
  Hid g_steps, d_temperature, d_step_index, d_s_start, d_s_end, d_s_duration, d_s_capacity, d_s_energy;
  Hid d_s_dis, d_s_chg, d_s_dis_e, d_s_chg_e;  // per step: discharge/charge capacity and energy
  Hid d_s_end_code;                            // per step: how it ended (StepEnd's code)
  int n_steps = 0;
  // per-cycle summaries and the cycle of each output (from the steps' cycles)
  Hid g_cycles, d_cycle_index, d_c_start, d_c_end, d_c_duration, d_c_capacity, d_c_dis, d_c_chg, d_c_energy;
  Hid d_c_dis_e, d_c_chg_e;
  // per cycle: efficiencies, throughputs, temperatures (CycleSummaries)
  Hid d_c_ce, d_c_ee, d_c_tq, d_c_te, d_c_tmax, d_c_tmean;
  // per cycle: PyBaMM's summary variables (summary.hpp), but the two throughputs above
  std::vector<std::string> c_var_names;
  std::vector<Hid> d_c_vars;
  std::vector<int> step_cycle;
  int n_cycles = 0;
  // per cell: the integrator's counters (ChunkData::stats), group /stats
  Hid g_stats, d_st_newton, d_st_jac, d_st_res, d_st_etf, d_st_cfn;

  [[noreturn]] void fail(const std::string& what) const {
    const std::string detail = hdf5_error_detail();
    throw RuntimeError(what + " in HDF5 file '" + path + "'" + (detail.empty() ? "" : ": " + detail));
  }

  Hid checked(hid_t id, Hid::Closer closer, const std::string& what) const {
    if (id < 0) fail(what);
    return Hid(id, closer);
  }

  //! Property list that marks link / attribute names as UTF-8.
  Hid utf8_names(hid_t cls, const std::string& what) const {
    Hid p = checked(H5Pcreate(cls), H5Pclose, what);
    if (H5Pset_char_encoding(p.get(), H5T_CSET_UTF8) < 0) fail(what);
    return p;
  }

  //! Open::resume: the dataset the create_* functions below would make, opened.
  Hid open_dataset(const Hid& group, const std::string& group_name, const std::string& name) const {
    if (H5Lexists(group.get(), name.c_str(), H5P_DEFAULT) <= 0)  // a file of an earlier layout
      throw InputError("--resume: the file has no /" + group_name + "/" + name +
                       ": it was written by an earlier ionflux, whose layout lacks it; it cannot be continued by "
                       "this one: run without --resume to start it again");
    return checked(H5Dopen2(group.get(), name.c_str(), H5P_DEFAULT), H5Dclose,
                   "cannot open dataset /" + group_name + "/" + name + " (not a sweep file of this layout?)");
  }

  Hid create_group(const std::string& name) const {
    if (reopen) return checked(H5Gopen2(file.get(), name.c_str(), H5P_DEFAULT), H5Gclose, "cannot open group /" + name);
    const std::string what = "cannot create group /" + name;
    Hid lcpl = utf8_names(H5P_LINK_CREATE, what);
    return checked(H5Gcreate2(file.get(), name.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), H5Gclose, what);
  }

  //! A dataset of shape (n_cells) or (n_cells, n_times) at full size, chunked by rows of
  //! about kChunkBytes, unwritten elements reading as `fill` (of memory type fill_type;
  //! none when null).
  Hid create_dataset(const Hid& group, const std::string& group_name, const std::string& name, hid_t file_type,
                     bool per_time, std::size_t element_bytes, hid_t fill_type, const void* fill) const {
    if (reopen) return open_dataset(group, group_name, name);
    const std::string what = "cannot create dataset /" + group_name + "/" + name;
    const int rank = per_time ? 2 : 1;
    const hsize_t dims[2] = {hsize_t(n_cells), hsize_t(per_time ? n_times : 1)};
    Hid space = checked(H5Screate_simple(rank, dims, nullptr), H5Sclose, what);
    Hid dcpl = checked(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, what);
    if (n_cells > 0 && (!per_time || n_times > 0)) {  // chunk dimensions must be positive
      const std::size_t row_bytes = element_bytes * std::size_t(per_time ? n_times : 1);
      const std::size_t rows = std::min(n_cells, std::max<std::size_t>(1, kChunkBytes / row_bytes));
      const hsize_t chunk[2] = {hsize_t(rows), dims[1]};
      if (H5Pset_chunk(dcpl.get(), rank, chunk) < 0) fail(what);
    }
    if (fill != nullptr && H5Pset_fill_value(dcpl.get(), fill_type, fill) < 0) fail(what);
    Hid lcpl = utf8_names(H5P_LINK_CREATE, what);
    return checked(H5Dcreate2(group.get(), name.c_str(), file_type, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
                   H5Dclose, what);
  }

  //! A (n_cells, cols) float64 dataset filled with NaN, chunked by rows.
  Hid create_double_cols(const Hid& group, const std::string& group_name, const std::string& name,
                         std::size_t cols) const {
    if (reopen) return open_dataset(group, group_name, name);
    const std::string what = "cannot create dataset /" + group_name + "/" + name;
    const hsize_t dims[2] = {hsize_t(n_cells), hsize_t(cols)};
    Hid space = checked(H5Screate_simple(2, dims, nullptr), H5Sclose, what);
    Hid dcpl = checked(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, what);
    if (n_cells > 0 && cols > 0) {
      const std::size_t rows = std::min(n_cells, std::max<std::size_t>(1, kChunkBytes / (sizeof(double) * cols)));
      const hsize_t chunk[2] = {hsize_t(rows), hsize_t(cols)};
      if (H5Pset_chunk(dcpl.get(), 2, chunk) < 0) fail(what);
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    if (H5Pset_fill_value(dcpl.get(), H5T_NATIVE_DOUBLE, &nan) < 0) fail(what);
    Hid lcpl = utf8_names(H5P_LINK_CREATE, what);
    return checked(
        H5Dcreate2(group.get(), name.c_str(), H5T_IEEE_F64LE, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
        H5Dclose, what);
  }
  //! Writes rows [first, first + n) of a (n_cells, cols) dataset.
  void write_rows_cols(const Hid& ds, std::size_t cols, std::size_t first, std::size_t n, const double* data,
                       const char* name) const {
    if (n == 0 || cols == 0) return;
    const std::string what = std::string("cannot write ") + name;
    const auto [file_space, mem_space] = rows_cols_spaces(ds, cols, first, n, what);
    if (H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, mem_space.get(), file_space.get(), H5P_DEFAULT, data) < 0) fail(what);
  }

  //! The file space of rows [first, first + n) of an (n_cells x cols) dataset, selected,
  //! and the memory space of those rows.
  std::pair<Hid, Hid> rows_cols_spaces(const Hid& ds, std::size_t cols, std::size_t first, std::size_t n,
                                       const std::string& what) const {
    const hsize_t start[2] = {hsize_t(first), 0};
    const hsize_t count[2] = {hsize_t(n), hsize_t(cols)};
    Hid file_space = checked(H5Dget_space(ds.get()), H5Sclose, what);
    if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr) < 0) fail(what);
    return {std::move(file_space), checked(H5Screate_simple(2, count, nullptr), H5Sclose, what)};
  }

  //! A 1-D float64 series of unlimited length (starts empty), in chunks of series_chunk
  //! elements, unwritten elements reading as NaN: the cells' outputs one after another.
  Hid create_series(const Hid& group, const std::string& group_name, const std::string& name) const {
    if (reopen) return open_dataset(group, group_name, name);
    const std::string what = "cannot create dataset /" + group_name + "/" + name;
    const hsize_t dims[1] = {0}, max_dims[1] = {H5S_UNLIMITED};
    Hid space = checked(H5Screate_simple(1, dims, max_dims), H5Sclose, what);
    Hid dcpl = checked(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, what);
    const hsize_t chunk[1] = {series_chunk};
    if (H5Pset_chunk(dcpl.get(), 1, chunk) < 0) fail(what);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    if (H5Pset_fill_value(dcpl.get(), H5T_NATIVE_DOUBLE, &nan) < 0) fail(what);
    Hid lcpl = utf8_names(H5P_LINK_CREATE, what);
    return checked(
        H5Dcreate2(group.get(), name.c_str(), H5T_IEEE_F64LE, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
        H5Dclose, what);
  }
  //! Writes n values at [at, at + n) of a series, extending it to at + n.
  void append_series(const Hid& ds, std::uint64_t at, std::size_t n, const double* data, const char* name) const {
    if (n == 0) return;
    const std::string what = std::string("cannot write ") + name;
    const hsize_t size[1] = {hsize_t(at + n)};
    if (H5Dset_extent(ds.get(), size) < 0) fail(what);
    const hsize_t start[1] = {hsize_t(at)}, count[1] = {hsize_t(n)};
    Hid file_space = checked(H5Dget_space(ds.get()), H5Sclose, what);
    if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr) < 0) fail(what);
    Hid mem_space = checked(H5Screate_simple(1, count, nullptr), H5Sclose, what);
    if (H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, mem_space.get(), file_space.get(), H5P_DEFAULT, data) < 0) fail(what);
  }

  Hid create_double(const Hid& group, const std::string& group_name, const std::string& name, bool per_time) const {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return create_dataset(group, group_name, name, H5T_IEEE_F64LE, per_time, sizeof(double), H5T_NATIVE_DOUBLE,
                          &nan);
  }
  Hid create_int(const Hid& group, const std::string& group_name, const std::string& name, int fill) const {
    return create_dataset(group, group_name, name, H5T_STD_I32LE, false, sizeof(std::int32_t), H5T_NATIVE_INT,
                          &fill);
  }
  //! No fill value is set: unwritten strings are null and read as empty strings (h5py:
  //! b""; C: a null pointer). An explicit "" fill would put one global-heap object per
  //! element into every chunk, and HDF5 (1.10) fails to read unallocated chunks of a
  //! variable-length dataset with a fill value from a read-only file.
  Hid create_string(const Hid& group, const std::string& group_name, const std::string& name) const {
    return create_dataset(group, group_name, name, str_type.get(), false, kVlenElementBytes, str_type.get(),
                          nullptr);
  }

  //! Writes a scalar string attribute on `obj`, replacing one of that name.
  void string_attribute(hid_t obj, const std::string& name, const std::string& value) const {
    const std::string what = "cannot write attribute '" + name + "'";
    const htri_t exists = H5Aexists(obj, name.c_str());
    if (exists < 0) fail(what);
    if (exists > 0 && H5Adelete(obj, name.c_str()) < 0) fail(what);
    Hid space = checked(H5Screate(H5S_SCALAR), H5Sclose, what);
    Hid acpl = utf8_names(H5P_ATTRIBUTE_CREATE, what);
    Hid attr = checked(H5Acreate2(obj, name.c_str(), str_type.get(), space.get(), acpl.get(), H5P_DEFAULT),
                       H5Aclose, what);
    const char* data = value.c_str();
    if (H5Awrite(attr.get(), str_type.get(), &data) < 0) fail(what);
  }

  void int_attribute(hid_t obj, const std::string& name, int value) const {
    if (reopen) return;  // written when the file was created
    const std::string what = "cannot write attribute '" + name + "'";
    Hid space = checked(H5Screate(H5S_SCALAR), H5Sclose, what);
    Hid acpl = utf8_names(H5P_ATTRIBUTE_CREATE, what);
    Hid attr = checked(H5Acreate2(obj, name.c_str(), H5T_STD_I32LE, space.get(), acpl.get(), H5P_DEFAULT),
                       H5Aclose, what);
    if (H5Awrite(attr.get(), H5T_NATIVE_INT, &value) < 0) fail(what);
  }

  //! Writes rows [first, first + n) of a (n_cells) or (n_cells, n_times) dataset.
  void write_rows(const Hid& ds, hid_t mem_type, bool per_time, std::size_t first, std::size_t n, const void* data,
                  const char* name) const {
    if (n == 0 || (per_time && n_times == 0)) return;
    const std::string what = std::string("cannot write ") + name + " of cells " + std::to_string(first) + ".." +
                             std::to_string(first + n - 1);
    const int rank = per_time ? 2 : 1;
    const hsize_t start[2] = {hsize_t(first), 0};
    const hsize_t count[2] = {hsize_t(n), hsize_t(per_time ? n_times : 1)};
    Hid file_space = checked(H5Dget_space(ds.get()), H5Sclose, what);
    if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr) < 0) fail(what);
    Hid mem_space = checked(H5Screate_simple(rank, count, nullptr), H5Sclose, what);
    if (H5Dwrite(ds.get(), mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data) < 0) fail(what);
  }

  void write_strings(const Hid& ds, std::size_t first, const std::vector<const char*>& strings,
                     const char* name) const {
    write_rows(ds, str_type.get(), false, first, strings.size(), strings.data(), name);
  }

  //! A scalar string attribute of the file ("" when there is none).
  std::string read_string_attribute(const char* name) const {
    bool failed = false;
    const std::optional<std::string> value = read_utf8_attribute(file.get(), name, str_type.get(), &failed);
    if (failed) fail(std::string("cannot read attribute '") + name + "'");
    return value.value_or("");
  }

  //! Reads a whole (n_cells) dataset.
  template <class T>
  std::vector<T> read_cells(const Hid& ds, hid_t mem_type, const char* name) const {
    std::vector<T> out(n_cells);
    cells_space(ds, name);  // its shape checked
    if (n_cells && H5Dread(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
      fail(std::string("cannot read ") + name);
    return out;
  }

  //! Open::resume: which cells the file holds (status written last, so a cell with a
  //! status has all its data), and the series cut back to the end of the last of their
  //! outputs (outputs a cut-off chunk appended without its statuses are dropped).
  void resume_rows() {
    kept.status = read_cells<int>(d_status, H5T_NATIVE_INT, "/cells/status");
    const std::vector<std::int64_t> offset = read_cells<std::int64_t>(d_offset, H5T_NATIVE_INT64, "/cells/offset");
    const std::vector<std::int64_t> count = read_cells<std::int64_t>(d_count, H5T_NATIVE_INT64, "/cells/count");
    std::uint64_t end = 0;
    for (std::size_t i = 0; i < n_cells; ++i)
      if (kept.status[i] != kStatusNotRun && count[i] > 0)
        end = std::max<std::uint64_t>(end, static_cast<std::uint64_t>(offset[i] + count[i]));
    const hsize_t size[1] = {hsize_t(end)};
    for (const Hid* h : {&d_time, &d_voltage, &d_current, &d_capacity, &d_temperature, &d_step_index, &d_cycle_index})
      if (h->valid() && H5Dset_extent(h->get(), size) < 0) fail("cannot cut back the outputs");
    points = end;
  }

  //! Open::resume: the cells the file holds (kept.status) counted as a run counts its
  //! cells (count_cell: statuses, experiments cut short, steps skipped), from their
  //! messages and, with a protocol, their steps' end codes, start and end times (read
  //! in blocks of cells: a million cells of tens of steps).
  void count_kept_cells() {
    const std::vector<std::string> messages = read_strings(d_message, "/cells/message");
    const std::size_t ns = n_steps > 0 ? static_cast<std::size_t>(n_steps) : 0;
    const std::size_t block = ns ? std::max<std::size_t>(1, (std::size_t{1} << 18) / ns) : std::max<std::size_t>(n_cells, 1);
    std::vector<double> code, start, end;
    for (std::size_t first = 0; first < n_cells; first += block) {
      const std::size_t n = std::min(block, n_cells - first);
      if (ns) {
        read_rows_cols(d_s_end_code, ns, first, n, code, "/steps/End code");
        read_rows_cols(d_s_start, ns, first, n, start, "/steps/Start time [s]");
        read_rows_cols(d_s_end, ns, first, n, end, "/steps/End time [s]");
      }
      for (std::size_t k = 0; k < n; ++k) {
        const std::size_t i = first + k;
        if (kept.status[i] == kStatusNotRun) continue;
        count_cell(kept.counts, i, kept.status[i], messages[i], ns ? &code[k * ns] : nullptr,
                   ns ? &start[k * ns] : nullptr, ns ? &end[k * ns] : nullptr, ns);
      }
    }
  }

  //! Reads rows [first, first + n) of an (n_cells x cols) dataset into `out`.
  void read_rows_cols(const Hid& ds, std::size_t cols, std::size_t first, std::size_t n, std::vector<double>& out,
                      const char* name) const {
    out.assign(n * cols, 0.0);
    if (n == 0 || cols == 0) return;
    const std::string what = std::string("cannot read ") + name;
    const auto [file_space, mem_space] = rows_cols_spaces(ds, cols, first, n, what);
    if (H5Dread(ds.get(), H5T_NATIVE_DOUBLE, mem_space.get(), file_space.get(), H5P_DEFAULT, out.data()) < 0)
      fail(what);
  }

  //! The dataspace of a per-cell (1-D, n_cells) dataset being read back; InputError
  //! when the file's has another shape.
  Hid cells_space(const Hid& ds, const char* name) const {
    Hid space = checked(H5Dget_space(ds.get()), H5Sclose, std::string("cannot read ") + name);
    hsize_t dims[2] = {0, 0};
    if (H5Sget_simple_extent_ndims(space.get()) != 1 || H5Sget_simple_extent_dims(space.get(), dims, nullptr) < 0 ||
        dims[0] != n_cells)
      throw InputError("--resume: " + std::string(name) + " in '" + path + "' does not have the sweep's " +
                       std::to_string(n_cells) + " rows");
    return space;
  }

  //! Reads a whole (n_cells) dataset of strings ("" where none was written).
  std::vector<std::string> read_strings(const Hid& ds, const char* name) const {
    std::vector<std::string> out(n_cells);
    if (n_cells == 0) return out;
    const std::string what = std::string("cannot read ") + name;
    const Hid space = cells_space(ds, name);
    std::vector<char*> raw(n_cells, nullptr);
    if (H5Dread(ds.get(), str_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0) fail(what);
    for (std::size_t i = 0; i < n_cells; ++i)
      if (raw[i]) out[i] = raw[i];
#if H5_VERSION_GE(1, 12, 0)
    if (H5Treclaim(str_type.get(), space.get(), H5P_DEFAULT, raw.data()) < 0) fail(what);
#else
    if (H5Dvlen_reclaim(str_type.get(), space.get(), H5P_DEFAULT, raw.data()) < 0) fail(what);
#endif
    return out;
  }

  //! Every object exists: from now on readers may open the file as SWMR readers
  //! (h5py.File(path, "r", swmr=True), ionflux.load) and see each chunk once it is
  //! flushed. A file HDF5 cannot switch (an older file format) is written as before.
  void start_swmr() {
    note_file_identity();
    swmr = H5Fstart_swmr_write(file.get()) >= 0;
    if (!swmr) hdf5_error_detail();  // clears the stack
    else claim.take(path);
  }

  //! After a write that failed in the file (full, too large): HDF5 1.10 cannot close
  //! a file it cannot flush (H5Fclose fails, and the library's shutdown then crashes
  //! on the half-closed file), so every identifier is left open and the library's
  //! shutdown at exit is off (kNoHdf5Shutdown): what was flushed before the failure,
  //! every chunk with its statuses, stays on disk as it is.
  void abandon() {
    open = false;
    for (Hid* h : {&d_st_newton, &d_st_jac, &d_st_res, &d_st_etf, &d_st_cfn, &g_stats}) h->forget();
    for (Hid* h : {&d_sum_chg, &d_sum_dis_e, &d_sum_chg_e, &d_s_dis, &d_s_chg, &d_s_dis_e, &d_s_chg_e, &d_s_end_code, &d_c_dis_e,
                   &d_c_chg_e, &d_c_ce, &d_c_ee, &d_c_tq, &d_c_te, &d_c_tmax, &d_c_tmean, &d_cycle_index, &d_c_start,
                   &d_c_end, &d_c_duration, &d_c_capacity, &d_c_dis, &d_c_chg, &d_c_energy, &g_cycles,
                   &d_temperature, &d_step_index, &d_s_start, &d_s_end, &d_s_duration, &d_s_capacity, &d_s_energy,
                   &g_steps, &d_offset, &d_count, &d_device, &d_time, &d_voltage, &d_current, &d_capacity, &d_status,
                   &d_message, &d_end_time, &d_end_reason, &d_sum_capacity, &d_energy, &d_mean_voltage, &d_steps,
                   &g_cells, &g_inputs, &g_summary, &file})
      h->forget();
    for (Hid& h : d_c_vars) h.forget();
  }

  //! Flushes and closes every handle; throws (after closing all) when HDF5 reported an error.
  void close_all() {
    open = false;
    std::string error;
    auto note = [&](bool ok, const char* what) {
      if (!ok && error.empty()) {
        const std::string detail = hdf5_error_detail();
        error = std::string(what) + (detail.empty() ? "" : ": " + detail);
      }
    };
    if (file.valid()) note(H5Fflush(file.get(), H5F_SCOPE_LOCAL) >= 0, "cannot flush");
    for (Hid* h : {&d_sum_chg, &d_sum_dis_e, &d_sum_chg_e, &d_s_dis, &d_s_chg, &d_s_dis_e, &d_s_chg_e, &d_s_end_code, &d_c_dis_e,
                   &d_c_chg_e})
      note(h->reset(), "cannot close an object");
    for (Hid* h : {&d_c_ce, &d_c_ee, &d_c_tq, &d_c_te, &d_c_tmax, &d_c_tmean})
      note(h->reset(), "cannot close an object");
    for (Hid& h : d_c_vars) note(h.reset(), "cannot close an object");
    for (Hid* h : {&d_cycle_index, &d_c_start, &d_c_end, &d_c_duration, &d_c_capacity, &d_c_dis, &d_c_chg,
                   &d_c_energy, &g_cycles})
      note(h->reset(), "cannot close an object");
    for (Hid* h : {&d_temperature, &d_step_index, &d_s_start, &d_s_end, &d_s_duration, &d_s_capacity, &d_s_energy,
                   &g_steps})
      note(h->reset(), "cannot close an object");
    for (Hid* h : {&d_offset, &d_count, &d_device})
      note(h->reset(), "cannot close an object");
    for (Hid* h : {&d_st_newton, &d_st_jac, &d_st_res, &d_st_etf, &d_st_cfn, &g_stats})
      note(h->reset(), "cannot close an object");
    for (Hid* h : {&d_time, &d_voltage, &d_current, &d_capacity, &d_status, &d_message, &d_end_time, &d_end_reason,
                   &d_sum_capacity, &d_energy, &d_mean_voltage, &d_steps, &g_cells, &g_inputs, &g_summary,
                   &str_type})
      note(h->reset(), "cannot close an object");
    note(file.reset(), "cannot close the file");
    claim.release();
    if (!error.empty()) throw RuntimeError("error while closing HDF5 file '" + path + "': " + error);
  }
};

bool hdf5_available() { return true; }

std::string unfinished_sweep_status(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || locked_by_another_process(path)) return "";
  ErrorSilencer quiet;
  Hid file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) {  // a writer killed in SWMR mode leaves the file marked as being written
    H5Eclear2(H5E_DEFAULT);
    file = Hid(H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT), H5Fclose);
  }
  H5Eclear2(H5E_DEFAULT);
  if (!file.valid()) return "";
  const Hid str_type = utf8_string_type();
  auto attribute = [&](const char* name) -> std::optional<std::string> {
    bool failed = false;  // (an attribute that cannot be read as a string: there, but "")
    const std::optional<std::string> value = read_utf8_attribute(file.get(), name, str_type.get(), &failed);
    return failed ? std::optional<std::string>(std::string()) : value;
  };
  if (!attribute("inputs fingerprint")) return "";  // not an ionflux sweep file
  const std::optional<std::string> status = attribute("status");
  if (!status) return "not finished: the run that wrote it stopped before closing it";
  if (*status == "complete") return "";
  return status->empty() ? std::string("not finished") : *status;
}

H5SweepWriter::H5SweepWriter(const std::string& path, const SweepFileInfo& info, Open mode)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.path = path;
  m.n_cells = info.n_cells;
  m.n_times = info.n_times;
  m.reopen = mode == Open::resume;
  m.kept.status.assign(info.n_cells, kStatusNotRun);
  m.fault_chunk = h5_write_fault_from_env();

  // The description is checked before the file is touched.
  if (info.n_times < 0) throw InputError("HDF5 sweep file: n_times must be >= 0, got " + std::to_string(info.n_times));
  if (info.inputs.size() != info.varied.size())
    throw InputError("HDF5 sweep file: " + std::to_string(info.varied.size()) + " varied parameter names but " +
                     std::to_string(info.inputs.size()) + " input columns");
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (std::size_t v = 0; v < info.varied.size(); ++v) {
    if (info.inputs[v].size() != info.n_cells)
      throw InputError("HDF5 sweep file: input '" + info.varied[v] + "' has " + std::to_string(info.inputs[v].size()) +
                       " values for " + std::to_string(info.n_cells) + " cells");
    if (info.varied[v].empty()) throw InputError("HDF5 sweep file: empty varied parameter name");
    names.push_back(link_name(info.varied[v]));
    if (!seen.insert(names.back()).second)
      throw InputError("HDF5 sweep file: varied parameter '" + info.varied[v] + "' appears twice");
  }

  if (!info.initial_soc.empty() && info.initial_soc.size() != info.n_cells)
    throw InputError("HDF5 sweep file: " + std::to_string(info.initial_soc.size()) + " initial SOCs for " +
                     std::to_string(info.n_cells) + " cells");

  if (info.sweep_cells > 0 && (info.first_cell > info.sweep_cells || info.n_cells > info.sweep_cells - info.first_cell))
    throw InputError("HDF5 sweep file: cells [" + std::to_string(info.first_cell) + ", " +
                     std::to_string(info.first_cell + info.n_cells) + ") lie outside the sweep's " +
                     std::to_string(info.sweep_cells) + " cells");

  ErrorSilencer quiet;
  // the whole sweep's fingerprint (sweep_file_info puts it among the attributes; a cell
  // range keeps it, and its "cells" attribute says which rows it holds)
  std::string fingerprint, cells;
  for (const auto& [name, value] : info.attributes)
    if (name == "inputs fingerprint") fingerprint = value;
  if (info.sweep_cells > 0)
    cells = std::to_string(info.first_cell) + ":" + std::to_string(info.first_cell + info.n_cells) + " of " +
            std::to_string(info.sweep_cells);
  if (m.reopen && fingerprint.empty())
    throw InputError("--resume: this sweep's description has no inputs fingerprint to check '" + path + "' against");
  m.str_type = utf8_string_type();
  if (!m.str_type.valid()) m.fail("cannot create the string type");
  if (m.reopen) {
    // checked read-only first: a file that cannot be resumed is left byte for byte as it was
    for (const unsigned flags : {H5F_ACC_RDONLY, H5F_ACC_RDWR}) {
      std::string detail;
      bool locked = false;
      m.file = open_waiting_for_readers(
          path,
          [&] {
            Hid file(H5Fopen(path.c_str(), flags, H5P_DEFAULT), H5Fclose);
            if (file.valid()) return file;
            detail = hdf5_error_detail();  // the plain open's reason (the fallbacks' may be empty)
            // a writer killed in SWMR mode leaves the superblock marked as being written
            // (docs/hdf5_layout.md, "Watching a running sweep"): read it as a SWMR reader,
            // and reopen it for writing with those marks cleared (what h5clear -s does)
            Hid fapl = swmr_fapl(flags != H5F_ACC_RDONLY);
            file = Hid(H5Fopen(path.c_str(), flags == H5F_ACC_RDONLY ? flags | H5F_ACC_SWMR_READ : flags,
                               fapl.valid() ? fapl.get() : H5P_DEFAULT),
                       H5Fclose);
            if (!file.valid() && flags != H5F_ACC_RDONLY && extend_to_allocated(path)) {
              H5Eclear2(H5E_DEFAULT);
              file = Hid(H5Fopen(path.c_str(), flags, fapl.valid() ? fapl.get() : H5P_DEFAULT), H5Fclose);
            }
            H5Eclear2(H5E_DEFAULT);
            return file;
          },
          locked);
      if (!m.file.valid())
        throw RuntimeError("cannot open HDF5 file '" + path + "' to resume it" +
                           (locked ? held_open_elsewhere() : detail.empty() ? "" : ": " + detail));
      if (flags != H5F_ACC_RDONLY) break;
      auto expect = [&](const char* name, const std::string& want, const char* what) {
        const std::string have = m.read_string_attribute(name);
        if (have != want)
          throw InputError("--resume: '" + path + "' " +
                           (have.empty() ? std::string("has no '") + name + "' attribute"
                                         : std::string(what) + " ('" + have + "', now '" + want + "')") +
                           "; it cannot be continued: run without --resume to start it again");
      };
      expect("ionflux version", IONFLUX_VERSION, "was written by another ionflux version");
      {  // the range first: a whole sweep's file and a range's have different fingerprints
        const std::string have = m.read_string_attribute("cells");
        if (have != cells)
          throw InputError("--resume: '" + path + "' holds " +
                           (have.empty() ? std::string("the whole sweep") : "the sweep's cells " + have) +
                           ", and this run is of " +
                           (cells.empty() ? std::string("the whole sweep") : "its cells " + cells) +
                           ": resume it with the same cells (" +
                           (have.empty() ? std::string("without --cells") : "--cells " + have.substr(0, have.find(' '))) +
                           "), or run without --resume to start it again");
      }
      expect("inputs fingerprint", fingerprint,
             "was written for a different sweep (parameters, varied values, protocol, mesh or solver options "
             "differ)");
      // The earlier runs: "runs" holds every run that a resumed run finished or found;
      // the last run is missing from it where that run was the file's first, or failed or
      // was killed: then its "status", "interrupted by", "wall time [s]" and "device" say
      // what it did. The list is written back when the file is reopened below.
      const std::string wall = m.read_string_attribute("wall time [s]");
      m.earlier_wall = wall.empty() ? 0.0 : number_attribute(wall);
      m.earlier_runs = m.read_string_attribute("runs");
      const std::string status = m.read_string_attribute("status");
      const bool interrupted = status.rfind("interrupted", 0) == 0;
      if (m.earlier_runs.empty() || !(interrupted || status == "complete")) {
        const std::string signal = m.read_string_attribute("interrupted by");
        const std::string device = m.read_string_attribute("device");
        const std::string last =
            interrupted || status == "complete"
                ? run_entry(interrupted ? "interrupted" : "complete", signal, wall, device)
            : status.rfind("failed", 0) == 0 ? status + " (its wall time is not known)"
                                             : std::string("stopped before it finished (its wall time is not known)");
        m.earlier_runs = runs_plus(m.earlier_runs, last);
      }
      m.file.reset();
    }
  } else {
    // the latest file format: what SWMR needs (readers need HDF5 >= 1.10)
    Hid fapl = swmr_fapl(false);
    std::string detail;
    bool locked = false;
    m.file = open_waiting_for_readers(
        path,
        [&] {
          Hid file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.valid() ? fapl.get() : H5P_DEFAULT),
                   H5Fclose);
          if (!file.valid()) detail = hdf5_error_detail();
          return file;
        },
        locked);
    if (!m.file.valid()) {
      const std::string why = locked ? held_open_elsewhere() : why_not_creatable(path);
      throw RuntimeError("cannot create HDF5 file '" + path + "'" +
                         (!why.empty() ? why : detail.empty() ? "" : ": " + detail));
    }
  }
  m.open = true;

  m.g_cells = m.create_group("cells");
  m.g_inputs = m.create_group("inputs");
  m.g_summary = m.create_group("summary");

  // Chunks of about kChunkBytes, smaller for a small sweep (a chunk is allocated whole):
  // the expected outputs (n_times per cell when known, else 512), at least 1024.
  m.series_chunk = hsize_t(std::clamp<double>(double(info.n_cells) * (info.n_times > 0 ? info.n_times : 512), 1024.0,
                                              double(kChunkBytes / sizeof(double))));
  m.d_time = m.create_series(m.g_cells, "cells", "Time [s]");
  m.d_voltage = m.create_series(m.g_cells, "cells", "Voltage [V]");
  m.d_current = m.create_series(m.g_cells, "cells", "Current [A]");
  m.d_capacity = m.create_series(m.g_cells, "cells", "Discharge capacity [A.h]");
  {
    const std::int64_t zero = 0;
    m.d_offset = m.create_dataset(m.g_cells, "cells", "offset", H5T_STD_I64LE, false, sizeof(std::int64_t),
                                  H5T_NATIVE_INT64, &zero);
    m.d_count = m.create_dataset(m.g_cells, "cells", "count", H5T_STD_I64LE, false, sizeof(std::int64_t),
                                 H5T_NATIVE_INT64, &zero);
    m.string_attribute(m.g_cells.get(), "layout",
                       "ragged: the per-output datasets hold every cell's outputs one after another; cell i's are "
                       "[offset[i], offset[i] + count[i])");
  }
  m.d_status = m.create_int(m.g_cells, "cells", "status", kStatusNotRun);
  m.string_attribute(m.d_status.get(), "codes", status_code_table());
  m.int_attribute(m.d_status.get(), "not_run_code", kStatusNotRun);
  m.d_message = m.create_string(m.g_cells, "cells", "message");
  m.d_device = m.create_int(m.g_cells, "cells", "device", kRanNowhere);
  m.string_attribute(m.d_device.get(), "codes",
                     "-1: not integrated (invalid input or not run), 0: CPU, 1: GPU, 2: started on the GPU and "
                     "finished by the CPU threads (hand-off)");

  m.d_end_time = m.create_double(m.g_summary, "summary", "End time [s]", false);
  m.d_end_reason = m.create_string(m.g_summary, "summary", "End reason");
  m.d_sum_capacity = m.create_double(m.g_summary, "summary", "Discharge capacity [A.h]", false);
  m.d_energy = m.create_double(m.g_summary, "summary", "Energy [W.h]", false);
  m.d_mean_voltage = m.create_double(m.g_summary, "summary", "Mean voltage [V]", false);
  m.d_steps = m.create_int(m.g_summary, "summary", "Steps", 0);
  m.d_sum_chg = m.create_double(m.g_summary, "summary", "Charge capacity [A.h]", false);
  m.d_sum_dis_e = m.create_double(m.g_summary, "summary", "Discharge energy [W.h]", false);
  m.d_sum_chg_e = m.create_double(m.g_summary, "summary", "Charge energy [W.h]", false);
  m.g_stats = m.create_group("stats");
  m.d_st_newton = m.create_int(m.g_stats, "stats", "Newton iterations", 0);
  m.d_st_jac = m.create_int(m.g_stats, "stats", "Jacobian setups", 0);
  m.d_st_res = m.create_int(m.g_stats, "stats", "Residual evaluations", 0);
  m.d_st_etf = m.create_int(m.g_stats, "stats", "Error test failures", 0);
  m.d_st_cfn = m.create_int(m.g_stats, "stats", "Convergence failures", 0);
  if (info.temperature || info.n_steps > 0) {
    m.d_temperature = m.create_series(m.g_cells, "cells", "Temperature [K]");
    m.d_step_index = m.create_series(m.g_cells, "cells", "Step");
  }
  if (info.n_steps > 0) {
    m.n_steps = info.n_steps;
    m.g_steps = m.create_group("steps");
    const std::size_t ns = static_cast<std::size_t>(info.n_steps);
    m.d_s_start = m.create_double_cols(m.g_steps, "steps", "Start time [s]", ns);
    m.d_s_end = m.create_double_cols(m.g_steps, "steps", "End time [s]", ns);
    m.d_s_duration = m.create_double_cols(m.g_steps, "steps", "Duration [s]", ns);
    m.d_s_capacity = m.create_double_cols(m.g_steps, "steps", "Capacity [A.h]", ns);
    m.d_s_energy = m.create_double_cols(m.g_steps, "steps", "Energy [W.h]", ns);
    m.d_s_dis = m.create_double_cols(m.g_steps, "steps", "Discharge capacity [A.h]", ns);
    m.d_s_chg = m.create_double_cols(m.g_steps, "steps", "Charge capacity [A.h]", ns);
    m.d_s_dis_e = m.create_double_cols(m.g_steps, "steps", "Discharge energy [W.h]", ns);
    m.d_s_chg_e = m.create_double_cols(m.g_steps, "steps", "Charge energy [W.h]", ns);
    m.d_s_end_code = m.create_double_cols(m.g_steps, "steps", "End code", ns);
    if (!info.step_cycle.empty()) {
      m.step_cycle = info.step_cycle;
      m.n_cycles = 1 + *std::max_element(info.step_cycle.begin(), info.step_cycle.end());
      m.d_cycle_index = m.create_series(m.g_cells, "cells", "Cycle");
      m.g_cycles = m.create_group("cycles");
      const std::size_t nc = static_cast<std::size_t>(m.n_cycles);
      m.d_c_start = m.create_double_cols(m.g_cycles, "cycles", "Start time [s]", nc);
      m.d_c_end = m.create_double_cols(m.g_cycles, "cycles", "End time [s]", nc);
      m.d_c_duration = m.create_double_cols(m.g_cycles, "cycles", "Duration [s]", nc);
      m.d_c_capacity = m.create_double_cols(m.g_cycles, "cycles", "Net capacity [A.h]", nc);
      m.d_c_dis = m.create_double_cols(m.g_cycles, "cycles", "Discharge capacity [A.h]", nc);
      m.d_c_chg = m.create_double_cols(m.g_cycles, "cycles", "Charge capacity [A.h]", nc);
      m.d_c_energy = m.create_double_cols(m.g_cycles, "cycles", "Energy [W.h]", nc);
      m.d_c_dis_e = m.create_double_cols(m.g_cycles, "cycles", "Discharge energy [W.h]", nc);
      m.d_c_chg_e = m.create_double_cols(m.g_cycles, "cycles", "Charge energy [W.h]", nc);
      m.d_c_ce = m.create_double_cols(m.g_cycles, "cycles", "Coulombic efficiency", nc);
      m.d_c_ee = m.create_double_cols(m.g_cycles, "cycles", "Energy efficiency", nc);
      m.d_c_tq = m.create_double_cols(m.g_cycles, "cycles", "Throughput capacity [A.h]", nc);
      m.d_c_te = m.create_double_cols(m.g_cycles, "cycles", "Throughput energy [W.h]", nc);
      m.d_c_tmax = m.create_double_cols(m.g_cycles, "cycles", "Maximum temperature [K]", nc);
      m.d_c_tmean = m.create_double_cols(m.g_cycles, "cycles", "Mean temperature [K]", nc);
      for (const std::string& name : summary_variable_names()) {
        if (name == "Throughput capacity [A.h]" || name == "Throughput energy [W.h]") continue;  // above
        m.c_var_names.push_back(name);
        m.d_c_vars.push_back(m.create_double_cols(m.g_cycles, "cycles", name, nc));
      }
      if (!m.reopen) {
      const std::string what = "cannot create dataset /steps/Cycle";
      const hsize_t dims[1] = {hsize_t(info.step_cycle.size())};
      Hid space = m.checked(H5Screate_simple(1, dims, nullptr), H5Sclose, what);
      Hid ds = m.checked(H5Dcreate2(m.g_steps.get(), "Cycle", H5T_STD_I32LE, space.get(), H5P_DEFAULT, H5P_DEFAULT,
                                    H5P_DEFAULT),
                         H5Dclose, what);
      if (H5Dwrite(ds.get(), H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, info.step_cycle.data()) < 0) m.fail(what);
      }
    }
  }

  if (m.reopen) {
    m.resume_rows();
    m.count_kept_cells();
    // the history first (a run killed from here on is found by the next open: "resuming")
    m.string_attribute(m.file.get(), "runs", m.earlier_runs);
    if (H5Aexists(m.file.get(), "interrupted by") > 0 && H5Adelete(m.file.get(), "interrupted by") < 0)
      m.fail("cannot remove attribute 'interrupted by'");
    m.string_attribute(m.file.get(), "status", "resuming");
    for (const int st : m.kept.status) m.cells_in_file += st != kStatusNotRun;
    if (H5Fflush(m.file.get(), H5F_SCOPE_LOCAL) < 0) m.fail("cannot flush");
    m.start_swmr();
    return;  // inputs, cell numbers and attributes are the file's (the fingerprint matched)
  }

  for (std::size_t v = 0; v < info.varied.size(); ++v) {
    Hid ds = m.create_double(m.g_inputs, "inputs", names[v], false);
    m.write_rows(ds, H5T_NATIVE_DOUBLE, false, 0, info.n_cells, info.inputs[v].data(),
                 ("/inputs/" + names[v]).c_str());
    if (names[v] != info.varied[v]) m.string_attribute(ds.get(), "name", info.varied[v]);
  }

  if (!info.initial_soc.empty()) {  // the sweep starts at a voltage: each cell's SOC there
    Hid ds = m.create_double(m.g_cells, "cells", "initial_soc", false);
    m.write_rows(ds, H5T_NATIVE_DOUBLE, false, 0, info.n_cells, info.initial_soc.data(), "/cells/initial_soc");
    m.string_attribute(ds.get(), "description",
                       "each cell's initial SOC: the SOC whose open-circuit voltage, from the cell's own parameters, "
                       "is the sweep's initial voltage (settings: initial_voltage); NaN where the cell has none");
  }

  if (info.sweep_cells > 0) {  // a cell range: each row's number in the whole sweep
    std::vector<std::int64_t> index(info.n_cells);
    for (std::size_t k = 0; k < info.n_cells; ++k) index[k] = static_cast<std::int64_t>(info.first_cell + k);
    const std::int64_t none = -1;
    Hid ds = m.create_dataset(m.g_cells, "cells", "index", H5T_STD_I64LE, false, sizeof(std::int64_t),
                              H5T_NATIVE_INT64, &none);
    m.write_rows(ds, H5T_NATIVE_INT64, false, 0, info.n_cells, index.data(), "/cells/index");
    m.string_attribute(m.file.get(), "cells",
                       std::to_string(info.first_cell) + ":" + std::to_string(info.first_cell + info.n_cells) +
                           " of " + std::to_string(info.sweep_cells));
  }

  for (const auto& [name, value] : info.attributes) m.string_attribute(m.file.get(), name, value);

  if (H5Fflush(m.file.get(), H5F_SCOPE_LOCAL) < 0) m.fail("cannot flush");
  m.start_swmr();
}

H5SweepWriter::~H5SweepWriter() {
  try {
    close();
  } catch (...) {
    // A destructor must not throw; close() explicitly to see the error.
  }
}

void H5SweepWriter::write_chunk(const ChunkData& c) { write(c, nullptr); }

void H5SweepWriter::write_chunk(const ChunkData& c, const CycleSummaries& cycles) { write(c, &cycles); }

void H5SweepWriter::write(const ChunkData& c, const CycleSummaries* cycles) {
  Impl& m = *impl_;
  if (!m.open) throw RuntimeError("HDF5 file '" + m.path + "' is already closed");

  const std::string where = "chunk of cells [" + std::to_string(c.first) + ", " + std::to_string(c.first) + " + " +
                            std::to_string(c.n) + ") for HDF5 file '" + m.path + "'";
  if (c.first > m.n_cells || c.n > m.n_cells - c.first)
    throw RuntimeError(where + ": the file has " + std::to_string(m.n_cells) + " cells");
  const std::size_t values = c.points();
  auto check_size = [&](std::size_t size, std::size_t expected, const char* name) {
    if (size != expected)
      throw RuntimeError(where + ": " + name + " has " + std::to_string(size) + " values, expected " +
                         std::to_string(expected));
  };
  check_size(c.offset.size(), c.n, "offset");
  check_size(c.count.size(), c.n, "count");
  for (std::size_t k = 0; k < c.n; ++k)
    if (c.offset[k] > values || c.count[k] > values - c.offset[k])
      throw RuntimeError(where + ": cell " + std::to_string(c.first + k) + "'s outputs lie outside the chunk's " +
                         std::to_string(values));
  check_size(c.voltage.size(), values, "voltage");
  check_size(c.current.size(), values, "current");
  check_size(c.capacity.size(), values, "capacity");
  check_size(c.status.size(), c.n, "status");
  check_size(c.message.size(), c.n, "message");
  check_size(c.end_time.size(), c.n, "end_time");
  check_size(c.discharge_capacity.size(), c.n, "discharge_capacity");
  check_size(c.energy.size(), c.n, "energy");
  check_size(c.mean_voltage.size(), c.n, "mean_voltage");
  check_size(c.steps.size(), c.n, "steps");
  if (cycles && m.n_cycles > 0 && m.n_steps > 0 && c.n_steps > 0) {  // reduced elsewhere: their sizes, before any write
    const std::size_t nc = static_cast<std::size_t>(m.n_cycles);
    bool sized = cycles->n == c.n && cycles->n_cycles == nc;
    for (const std::vector<double>* v :
         {&cycles->start, &cycles->end, &cycles->duration, &cycles->capacity, &cycles->discharge_capacity,
          &cycles->charge_capacity, &cycles->energy, &cycles->coulombic_efficiency, &cycles->energy_efficiency,
          &cycles->throughput_capacity, &cycles->throughput_energy, &cycles->max_temperature,
          &cycles->mean_temperature})
      sized = sized && v->size() == c.n * nc;
    if (c.step_discharge_capacity.size() == c.step_start.size())
      sized = sized && cycles->discharge_energy.size() == c.n * nc && cycles->charge_energy.size() == c.n * nc;
    if (!sized)
      throw RuntimeError(where + ": its cycle summaries are not " + std::to_string(c.n) + " cells x " +
                         std::to_string(nc) + " cycles");
  }
  if (c.n == 0) return;

  std::vector<const char*> messages(c.n), reasons(c.n);
  for (std::size_t i = 0; i < c.n; ++i) {
    messages[i] = c.message[i].c_str();
    reasons[i] = end_reason(c.status[i]);
  }

  // The chunk's outputs go at the end of the series; each cell's offset is its place there.
  std::size_t total = 0;
  for (std::size_t k = 0; k < c.n; ++k) total += c.count[k];
  std::vector<double> packed;
  std::vector<std::int64_t> offset(c.n), count(c.n);
  auto pack = [&](const std::vector<double>& src) -> const double* {
    // the chunk's arrays are normally contiguous in cell order already: pack only if not
    bool contiguous = total == values;
    for (std::size_t k = 0, at = 0; contiguous && k < c.n; at += c.count[k], ++k) contiguous = c.offset[k] == at;
    if (contiguous) return src.data();
    packed.clear();
    for (std::size_t k = 0; k < c.n; ++k)
      packed.insert(packed.end(), src.begin() + static_cast<std::ptrdiff_t>(c.offset[k]),
                    src.begin() + static_cast<std::ptrdiff_t>(c.offset[k] + c.count[k]));
    return packed.data();
  };
  for (std::size_t k = 0, at = 0; k < c.n; at += c.count[k], ++k) {
    offset[k] = static_cast<std::int64_t>(m.points + at);
    count[k] = static_cast<std::int64_t>(c.count[k]);
  }
  if (m.file_gone()) {
    const std::size_t lost = m.cells_in_file;
    try {
      ErrorSilencer quiet;
      m.close_all();  // into the removed file, which the system frees then
    } catch (const RuntimeError&) {
      // the error below says what matters
    }
    throw RuntimeError("HDF5 file '" + m.path + "' was removed or replaced while the sweep was writing it: the " +
                       std::to_string(lost) + " cells written before went with it, 0 of " +
                       std::to_string(m.n_cells) + " cells are safe in it; run the sweep again");
  }
  ErrorSilencer quiet;
  ++m.chunks_written;
  const bool fault = m.fault_chunk > 0 && static_cast<long long>(m.chunks_written) == m.fault_chunk;
  try {
  m.append_series(m.d_time, m.points, total, pack(c.time), "/cells/Time [s]");
  if (fault) {  // an HDF5 call that fails, as a full disk or a removed file make them fail
    H5Dwrite(H5I_INVALID_HID, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, c.voltage.data());
    m.fail("cannot write /cells/Voltage [V] (fault injected by IONFLUX_FAULT_H5_WRITE=" +
           std::to_string(m.fault_chunk) + ")");
  }
  m.append_series(m.d_voltage, m.points, total, pack(c.voltage), "/cells/Voltage [V]");
  m.append_series(m.d_current, m.points, total, pack(c.current), "/cells/Current [A]");
  m.append_series(m.d_capacity, m.points, total, pack(c.capacity), "/cells/Discharge capacity [A.h]");
  m.write_strings(m.d_message, c.first, messages, "/cells/message");
  m.write_rows(m.d_end_time, H5T_NATIVE_DOUBLE, false, c.first, c.n, c.end_time.data(), "/summary/End time [s]");
  m.write_strings(m.d_end_reason, c.first, reasons, "/summary/End reason");
  m.write_rows(m.d_sum_capacity, H5T_NATIVE_DOUBLE, false, c.first, c.n, c.discharge_capacity.data(),
               "/summary/Discharge capacity [A.h]");
  m.write_rows(m.d_energy, H5T_NATIVE_DOUBLE, false, c.first, c.n, c.energy.data(), "/summary/Energy [W.h]");
  m.write_rows(m.d_mean_voltage, H5T_NATIVE_DOUBLE, false, c.first, c.n, c.mean_voltage.data(),
               "/summary/Mean voltage [V]");
  m.write_rows(m.d_steps, H5T_NATIVE_INT, false, c.first, c.n, c.steps.data(), "/summary/Steps");
  if (c.charge_capacity.size() == c.n && c.discharge_energy.size() == c.n && c.charge_energy.size() == c.n) {
    m.write_rows(m.d_sum_chg, H5T_NATIVE_DOUBLE, false, c.first, c.n, c.charge_capacity.data(),
                 "/summary/Charge capacity [A.h]");
    m.write_rows(m.d_sum_dis_e, H5T_NATIVE_DOUBLE, false, c.first, c.n, c.discharge_energy.data(),
                 "/summary/Discharge energy [W.h]");
    m.write_rows(m.d_sum_chg_e, H5T_NATIVE_DOUBLE, false, c.first, c.n, c.charge_energy.data(),
                 "/summary/Charge energy [W.h]");
  }
  if (m.d_temperature.valid() && !c.temperature.empty()) {
    check_size(c.temperature.size(), values, "temperature");
    check_size(c.step_index.size(), values, "step_index");
    m.append_series(m.d_temperature, m.points, total, pack(c.temperature), "/cells/Temperature [K]");
    m.append_series(m.d_step_index, m.points, total, pack(c.step_index), "/cells/Step");
  }
  if (m.n_steps > 0 && c.n_steps > 0) {
    const std::size_t ns = static_cast<std::size_t>(m.n_steps);
    if (static_cast<std::size_t>(c.n_steps) != ns)
      throw RuntimeError(where + ": " + std::to_string(c.n_steps) + " protocol steps, the file has " + std::to_string(ns));
    std::vector<double> duration(c.step_start.size());
    for (std::size_t i = 0; i < duration.size(); ++i) duration[i] = c.step_end[i] - c.step_start[i];
    m.write_rows_cols(m.d_s_start, ns, c.first, c.n, c.step_start.data(), "/steps/Start time [s]");
    m.write_rows_cols(m.d_s_end, ns, c.first, c.n, c.step_end.data(), "/steps/End time [s]");
    m.write_rows_cols(m.d_s_duration, ns, c.first, c.n, duration.data(), "/steps/Duration [s]");
    m.write_rows_cols(m.d_s_capacity, ns, c.first, c.n, c.step_capacity.data(), "/steps/Capacity [A.h]");
    m.write_rows_cols(m.d_s_energy, ns, c.first, c.n, c.step_energy.data(), "/steps/Energy [W.h]");
    const bool split = c.step_discharge_capacity.size() == c.step_start.size();
    if (split) {
      m.write_rows_cols(m.d_s_dis, ns, c.first, c.n, c.step_discharge_capacity.data(),
                        "/steps/Discharge capacity [A.h]");
      m.write_rows_cols(m.d_s_chg, ns, c.first, c.n, c.step_charge_capacity.data(), "/steps/Charge capacity [A.h]");
      m.write_rows_cols(m.d_s_dis_e, ns, c.first, c.n, c.step_discharge_energy.data(),
                        "/steps/Discharge energy [W.h]");
      m.write_rows_cols(m.d_s_chg_e, ns, c.first, c.n, c.step_charge_energy.data(), "/steps/Charge energy [W.h]");
    }
    if (c.step_end_code.size() == c.step_start.size())
      m.write_rows_cols(m.d_s_end_code, ns, c.first, c.n, c.step_end_code.data(), "/steps/End code");
    if (m.n_cycles > 0) {
      // per cycle: the one reducer (results.hpp), also behind the memory sink and Python
      const std::size_t nc = static_cast<std::size_t>(m.n_cycles);
      const CycleSummaries reduced = cycles ? CycleSummaries{} : reduce_cycles(c, m.step_cycle, nc);
      const CycleSummaries& cy = cycles ? *cycles : reduced;
      const double *cs = cy.start.data(), *ce = cy.end.data(), *dur = cy.duration.data(), *cap = cy.capacity.data(),
                   *dis = cy.discharge_capacity.data(), *chg = cy.charge_capacity.data(), *en = cy.energy.data(),
                   *dis_e = cy.discharge_energy.data(), *chg_e = cy.charge_energy.data();
      m.write_rows_cols(m.d_c_start, nc, c.first, c.n, cs, "/cycles/Start time [s]");
      m.write_rows_cols(m.d_c_end, nc, c.first, c.n, ce, "/cycles/End time [s]");
      m.write_rows_cols(m.d_c_duration, nc, c.first, c.n, dur, "/cycles/Duration [s]");
      m.write_rows_cols(m.d_c_capacity, nc, c.first, c.n, cap, "/cycles/Net capacity [A.h]");
      m.write_rows_cols(m.d_c_dis, nc, c.first, c.n, dis, "/cycles/Discharge capacity [A.h]");
      m.write_rows_cols(m.d_c_chg, nc, c.first, c.n, chg, "/cycles/Charge capacity [A.h]");
      m.write_rows_cols(m.d_c_energy, nc, c.first, c.n, en, "/cycles/Energy [W.h]");
      if (split) {
        m.write_rows_cols(m.d_c_dis_e, nc, c.first, c.n, dis_e, "/cycles/Discharge energy [W.h]");
        m.write_rows_cols(m.d_c_chg_e, nc, c.first, c.n, chg_e, "/cycles/Charge energy [W.h]");
      }
      m.write_rows_cols(m.d_c_ce, nc, c.first, c.n, cy.coulombic_efficiency.data(), "/cycles/Coulombic efficiency");
      m.write_rows_cols(m.d_c_ee, nc, c.first, c.n, cy.energy_efficiency.data(), "/cycles/Energy efficiency");
      m.write_rows_cols(m.d_c_tq, nc, c.first, c.n, cy.throughput_capacity.data(), "/cycles/Throughput capacity [A.h]");
      m.write_rows_cols(m.d_c_te, nc, c.first, c.n, cy.throughput_energy.data(), "/cycles/Throughput energy [W.h]");
      m.write_rows_cols(m.d_c_tmax, nc, c.first, c.n, cy.max_temperature.data(), "/cycles/Maximum temperature [K]");
      m.write_rows_cols(m.d_c_tmean, nc, c.first, c.n, cy.mean_temperature.data(), "/cycles/Mean temperature [K]");
      const std::vector<double> none(c.n * nc, std::numeric_limits<double>::quiet_NaN());
      for (std::size_t j = 0; j < m.d_c_vars.size(); ++j) {
        const std::vector<double>* v = cy.variables.find(m.c_var_names[j]);
        m.write_rows_cols(m.d_c_vars[j], nc, c.first, c.n, v && v->size() == none.size() ? v->data() : none.data(),
                          ("/cycles/" + m.c_var_names[j]).c_str());
      }
      // the cycle of each output, from its step
      if (!c.step_index.empty()) {
        const std::vector<double> cyc = output_cycles(c.step_index, m.step_cycle);
        m.append_series(m.d_cycle_index, m.points, total, pack(cyc), "/cells/Cycle");
      }
    }
  }
  m.write_rows(m.d_offset, H5T_NATIVE_INT64, false, c.first, c.n, offset.data(), "/cells/offset");
  m.write_rows(m.d_count, H5T_NATIVE_INT64, false, c.first, c.n, count.data(), "/cells/count");
  m.points += total;
  if (c.device.size() == c.n) {
    const std::vector<int> device(c.device.begin(), c.device.end());
    m.write_rows(m.d_device, H5T_NATIVE_INT, false, c.first, c.n, device.data(), "/cells/device");
  }
  if (c.stats.size() == c.n) {  // the integrator's counters per cell (docs/hdf5_layout.md, /stats)
    const std::pair<const Hid*, int SolverStats::*> counters[] = {
        {&m.d_st_newton, &SolverStats::newton_iters},         {&m.d_st_jac, &SolverStats::jacobian_setups},
        {&m.d_st_res, &SolverStats::residual_evals},          {&m.d_st_etf, &SolverStats::error_test_failures},
        {&m.d_st_cfn, &SolverStats::convergence_failures}};
    std::vector<int> column(c.n);
    for (const auto& [ds, field] : counters) {
      for (std::size_t k = 0; k < c.n; ++k) column[k] = c.stats[k].*field;
      m.write_rows(*ds, H5T_NATIVE_INT, false, c.first, c.n, column.data(), "/stats");
    }
  }
  // Status last: a cell whose status is not -1 has all of its data in the file. In
  // SWMR mode the data is flushed first, so that a reader who sees the status finds
  // the data too (the message strings' heap included, which SWMR does not order).
  if (m.swmr && H5Fflush(m.file.get(), H5F_SCOPE_LOCAL) < 0) m.fail("cannot flush");
  m.write_rows(m.d_status, H5T_NATIVE_INT, false, c.first, c.n, c.status.data(), "/cells/status");
  if (H5Fflush(m.file.get(), H5F_SCOPE_LOCAL) < 0) m.fail("cannot flush");
  } catch (const RuntimeError& e) {
    // One error that says what failed, in which file, and what is safe in it; the
    // file is marked (when it still can be) and closed with what it holds.
    const std::string safe = std::to_string(m.cells_in_file) + " of " + std::to_string(m.n_cells) +
                             " cells are safe in it (those whose /cells/status is not -1; the chunk of cells [" +
                             std::to_string(c.first) + ", " + std::to_string(c.first + c.n) +
                             ") was not written; once the cause is fixed, continue it with --resume, or "
                             "Sweep.run(resume=True))";
    bool closed = false;
    try {  // only into a file that still takes writes: a failed flush leaves its metadata as it was on disk
      if (H5Fflush(m.file.get(), H5F_SCOPE_LOCAL) >= 0) {
        m.string_attribute(m.file.get(), "status", std::string("failed: ") + e.what());
        m.close_all();
        closed = true;
      }
    } catch (...) {
      // the file cannot be written any more (full, too large, gone): below
    }
    if (!closed) m.abandon();
    throw RuntimeError(std::string(e.what()) + "; " + safe);
  }
  for (const int st : c.status) m.cells_in_file += st != kStatusNotRun;
}

const KeptCells& H5SweepWriter::kept() const { return impl_->kept; }

void H5SweepWriter::set_attribute(const std::string& name, const std::string& value) {
  Impl& m = *impl_;
  if (!m.open) throw RuntimeError("HDF5 file '" + m.path + "' is already closed");
  ErrorSilencer quiet;
  if (name == "interrupted by") m.run_signal = value;
  if (name == "device") m.run_device = value;
  if (m.reopen && name == "wall time [s]") {  // a resumed file's: the sum over its runs
    m.run_wall = value;
    m.string_attribute(m.file.get(), name, shortest_num(m.earlier_wall + number_attribute(value)));
    return;
  }
  if (m.reopen && name == "status" && (value == "complete" || value.rfind("interrupted", 0) == 0)) {
    // this run joins the history before its status is written (a failed run is added by
    // the next open, from its "failed: ..." status)
    const std::string entry = run_entry(value == "complete" ? "complete" : "interrupted", m.run_signal, m.run_wall,
                                        m.run_device);
    m.string_attribute(m.file.get(), "runs", runs_plus(m.earlier_runs, entry));
  }
  m.string_attribute(m.file.get(), name, value);
}

bool H5SweepWriter::is_open() const { return impl_ && impl_->open; }

void H5SweepWriter::close() {
  if (!impl_ || !impl_->open) return;
  ErrorSilencer quiet;
  impl_->close_all();
}

#else  // built without HDF5

namespace {
constexpr const char* kNoHdf5 = "ionflux was built without HDF5 (install libhdf5-dev and rebuild)";
}

struct H5SweepWriter::Impl {};

bool hdf5_available() { return false; }

std::string unfinished_sweep_status(const std::string&) { return ""; }

H5SweepWriter::H5SweepWriter(const std::string& path, const SweepFileInfo& info, Open mode) {
  (void)path;
  (void)info;
  (void)mode;
  throw RuntimeError(kNoHdf5);
}

const KeptCells& H5SweepWriter::kept() const { throw RuntimeError(kNoHdf5); }

H5SweepWriter::~H5SweepWriter() = default;

void H5SweepWriter::write_chunk(const ChunkData& chunk) { write(chunk, nullptr); }

void H5SweepWriter::write_chunk(const ChunkData& chunk, const CycleSummaries& cycles) { write(chunk, &cycles); }

void H5SweepWriter::write(const ChunkData& chunk, const CycleSummaries* cycles) {
  (void)chunk;
  (void)cycles;
  throw RuntimeError(kNoHdf5);
}

void H5SweepWriter::set_attribute(const std::string& name, const std::string& value) {
  (void)name;
  (void)value;
  throw RuntimeError(kNoHdf5);
}

void H5SweepWriter::close() {}

bool H5SweepWriter::is_open() const { return false; }

#endif

std::string sweep_fingerprint(const SweepFileInfo& info) {
  // FNV-1a, 64 bits, over a canonical byte stream of the description
  std::uint64_t h = 1469598103934665603ull;
  auto bytes = [&](const void* p, std::size_t n) {
    const unsigned char* c = static_cast<const unsigned char*>(p);
    for (std::size_t k = 0; k < n; ++k) h = (h ^ c[k]) * 1099511628211ull;
  };
  auto text = [&](const std::string& t) {
    const std::uint64_t n = t.size();
    bytes(&n, sizeof n);
    bytes(t.data(), t.size());
  };
  auto number = [&](std::uint64_t v) { bytes(&v, sizeof v); };
  number(info.n_cells);
  number(static_cast<std::uint64_t>(info.n_times));
  number(info.temperature);
  number(static_cast<std::uint64_t>(info.n_steps));
  number(info.first_cell);
  number(info.sweep_cells);
  for (int c : info.step_cycle) number(static_cast<std::uint64_t>(c));
  for (std::size_t v = 0; v < info.varied.size(); ++v) {
    text(info.varied[v]);
    if (v < info.inputs.size()) bytes(info.inputs[v].data(), info.inputs[v].size() * sizeof(double));
  }
  for (const auto& [name, value] : info.attributes)
    if (name != "created" && name != "config" && name != "inputs fingerprint") text(name), text(value);
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

}  // namespace ionflux
