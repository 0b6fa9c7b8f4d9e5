#include "solver/output/csv.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
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

__extension__ typedef unsigned __int128 u128;

//! 10^0 ... 10^22 (10^22 m < 2^127 for a 53-bit m)
struct Pow10 {
  u128 v[23];
  constexpr Pow10() : v() {
    u128 r = 1;
    for (u128& x : v) x = r, r *= 10;
  }
};
constexpr Pow10 kPow10{};

//! printf's "%.17g" of v for 1e-5 <= |v| < 2^53 (every time, voltage, current and
//! capacity of a run but the first rows' tiny ones): the 17 digits are v's exact binary
//! value m 2^-k times 10^s, rounded half to even, in 128-bit integers (m 10^s < 2^127),
//! then %g's layout. nullptr for any other v. ~1/4 of std::to_chars' instructions
//! (Ryu printf), which it equals byte for byte (tests/integration/test_cli.cpp).
char* put_g17_fast(char* p, double v) {
  const double a = std::fabs(v);
  if (!(a >= 1e-5 && a < 9007199254740992.0)) return nullptr;
  std::uint64_t bits;
  std::memcpy(&bits, &a, sizeof bits);
  const int exp2 = static_cast<int>(bits >> 52);                        // normal: a >= 1e-5
  const std::uint64_t m = (bits & ((std::uint64_t{1} << 52) - 1)) | (std::uint64_t{1} << 52);
  const int shift = 1075 - exp2;                                       // a = m / 2^shift, 0..69
  int e10 = ((exp2 - 1023) * 78913) >> 18;                             // floor(log10 a) or one less
  const u128 lo = kPow10.v[16], hi = kPow10.v[17];
  u128 n = 0;
  for (int tries = 0;; ++tries) {
    const int s = 16 - e10;
    if (tries == 3 || s < 0 || s > 22) return nullptr;
    const u128 num = static_cast<u128>(m) * kPow10.v[s];
    n = num >> shift;
    if (n >= hi) {
      ++e10;
      continue;
    }
    if (n < lo) {
      --e10;
      continue;
    }
    if (shift > 0) {  // round half to even, as printf does in the default rounding mode
      const u128 rem = num & ((static_cast<u128>(1) << shift) - 1), half = static_cast<u128>(1) << (shift - 1);
      if (rem > half || (rem == half && (n & 1) != 0)) ++n;
    }
    if (n == hi) n = lo, ++e10;
    break;
  }
  char d[17];  // the 17 digits
  std::uint64_t u = static_cast<std::uint64_t>(n);
  for (int k = 16; k >= 0; --k) d[k] = static_cast<char>('0' + u % 10), u /= 10;
  int last = 16;  // %g drops the fraction's trailing zeros
  if (v < 0) *p++ = '-';
  if (e10 >= -4) {  // fixed: 16 - e10 digits after the point
    const int int_digits = e10 >= 0 ? e10 + 1 : 0;
    while (last >= int_digits && d[last] == '0') --last;
    if (e10 >= 0) {
      std::memcpy(p, d, static_cast<std::size_t>(int_digits));
      p += int_digits;
      if (last >= int_digits) {
        *p++ = '.';
        std::memcpy(p, d + int_digits, static_cast<std::size_t>(last + 1 - int_digits));
        p += last + 1 - int_digits;
      }
    } else {
      *p++ = '0';
      *p++ = '.';
      for (int k = 0; k < -e10 - 1; ++k) *p++ = '0';
      std::memcpy(p, d, static_cast<std::size_t>(last + 1));
      p += last + 1;
    }
    return p;
  }
  // exponent style (e10 = -5 here): d.ddd...e-05
  while (last >= 1 && d[last] == '0') --last;
  *p++ = d[0];
  if (last >= 1) {
    *p++ = '.';
    std::memcpy(p, d + 1, static_cast<std::size_t>(last));
    p += last;
  }
  std::memcpy(p, "e-05", 4);
  return p + 4;
}

//! `v` as printf's "%.17g" writes it: put_g17_fast, else std::to_chars with a precision,
//! specified to give printf's text (C++17 [charconv.to.chars]); both far faster than
//! glibc's printf (benchmarks/RESULTS.md, "The `ionflux` command as a process").
char* put_g17(char* p, double v) {
  if (char* e = put_g17_fast(p, v)) return e;
  return std::to_chars(p, p + 32, v, std::chars_format::general, 17).ptr;
}

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
    char* p = put_g17(row, sol.time[k]);
    *p++ = ',';
    p = put_g17(p, sol.voltage[k]);
    *p++ = ',';
    p = put_g17(p, sol.current[k]);
    *p++ = ',';
    p = put_g17(p, sol.capacity[k]);
    if (protocol) {
      *p++ = ',';
      p = put_int(p, sol.step[k]);
      *p++ = ',';
      p = put_int(p, sol.cycle[k]);
      *p++ = ',';
      p = put_g17(p, sol.temperature[k]);
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
