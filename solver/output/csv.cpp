#include "solver/output/csv.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "solver/util/errors.hpp"

namespace ionflux {

const char* const kCsvHeader = "Time [s],Voltage [V],Current [A],Discharge capacity [A.h]";
const char* const kCsvProtocolColumns = ",Step,Cycle,Temperature [K]";

namespace {

[[noreturn]] void io_error(const std::string& path, int err) {
  throw RuntimeError("cannot write output file '" + path + "': " +
                     (err != 0 ? std::strerror(err) : "write failed"));
}

//! `v` in the fewest significant digits that read back to the same double (std::to_chars
//! without a precision, C++17 [charconv.to.chars]: the shortest round-trip text, in fixed or
//! exponent notation, whichever is shorter). Exact like printf's "%.17g", shorter, and about
//! four times cheaper to produce (benchmarks/LOG.md, "The `ionflux` command as a process").
char* put_number(char* p, double v) { return std::to_chars(p, p + 32, v).ptr; }

char* put_int(char* p, int v) { return std::to_chars(p, p + 16, v).ptr; }

}  // namespace

void write_csv(const std::string& path, const Solution& sol) {
  const std::size_t n = sol.time.size();
  if (sol.voltage.size() != n || sol.current.size() != n || sol.capacity.size() != n)
    throw RuntimeError("cannot write output file '" + path +
                       "': the solution's time, voltage, current and capacity columns differ in length");
  // Opened without O_TRUNC, written over, and cut at the end of what was written: the
  // same file as fopen(path, "w") gives, but ext4 (auto_da_alloc) makes truncating a
  // file that was just written wait for its write-back, and frees and reallocates its
  // blocks: milliseconds when a script writes the same output again (issue 14).
  errno = 0;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) io_error(path, errno);
  std::FILE* f = ::fdopen(fd, "w");  // "w" here truncates nothing
  if (f == nullptr) {
    const int e = errno;
    ::close(fd);
    io_error(path, e);
  }
  std::setvbuf(f, nullptr, _IOFBF, 1 << 16);  // one write(2) for a typical run, not one per 4 KiB
  // Protocol runs (more than one step) add the step, cycle and temperature columns.
  const bool protocol = sol.protocol && sol.step.size() == n && sol.cycle.size() == n && sol.temperature.size() == n;
  bool ok = std::fprintf(f, "%s%s\n", kCsvHeader, protocol ? kCsvProtocolColumns : "") >= 0;
  // one row: at most 5 numbers of 24 characters ("-2.2250738585072014e-308"), 2 ints and 7 separators
  char row[5 * 32 + 2 * 16 + 8];
  for (std::size_t k = 0; ok && k < n; ++k) {
    char* p = put_number(row, sol.time[k]);
    *p++ = ',';
    p = put_number(p, sol.voltage[k]);
    *p++ = ',';
    p = put_number(p, sol.current[k]);
    *p++ = ',';
    p = put_number(p, sol.capacity[k]);
    if (protocol) {
      *p++ = ',';
      p = put_int(p, sol.step[k]);
      *p++ = ',';
      p = put_int(p, sol.cycle[k]);
      *p++ = ',';
      p = put_number(p, sol.temperature[k]);
    }
    *p++ = '\n';
    const auto len = static_cast<std::size_t>(p - row);
    ok = std::fwrite(row, 1, len, f) == len;
  }
  int err = ok ? 0 : errno;
  if (std::fflush(f) != 0 && ok) ok = false, err = errno;
  if (std::ferror(f) && ok) ok = false, err = errno;
  // the old content past the end goes (regular files: not a pipe or /dev/stdout), also after
  // a failed write, which leaves what was written as the truncating open did
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    const off_t end = ::lseek(fd, 0, SEEK_CUR);
    if ((end < 0 || ::ftruncate(fd, end) != 0) && ok) ok = false, err = errno;
  }
  if (std::fclose(f) != 0 && ok) ok = false, err = errno;
  if (!ok) io_error(path, err);
}

}  // namespace ionflux
