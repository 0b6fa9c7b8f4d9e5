#include "solver/output/csv.hpp"

#include <cerrno>
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

}  // namespace

void write_csv(const std::string& path, const Solution& sol) {
  const std::size_t n = sol.time.size();
  if (sol.voltage.size() != n || sol.current.size() != n || sol.capacity.size() != n)
    throw RuntimeError("cannot write output file '" + path +
                       "': the solution's time, voltage, current and capacity columns differ in length");
  errno = 0;
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) io_error(path, errno);
  // Protocol runs (more than one step) add the step, cycle and temperature columns.
  const bool protocol = sol.protocol && sol.step.size() == n && sol.cycle.size() == n && sol.temperature.size() == n;
  bool ok = std::fprintf(f, "%s%s\n", kCsvHeader, protocol ? kCsvProtocolColumns : "") >= 0;
  for (std::size_t k = 0; ok && k < n; ++k) {
    ok = std::fprintf(f, "%.17g,%.17g,%.17g,%.17g", sol.time[k], sol.voltage[k], sol.current[k], sol.capacity[k]) >= 0;
    if (ok && protocol) ok = std::fprintf(f, ",%d,%d,%.17g", sol.step[k], sol.cycle[k], sol.temperature[k]) >= 0;
    if (ok) ok = std::fputc('\n', f) != EOF;
  }
  int err = ok ? 0 : errno;
  if (std::fflush(f) != 0 && ok) ok = false, err = errno;
  if (std::ferror(f) && ok) ok = false, err = errno;
  if (std::fclose(f) != 0 && ok) ok = false, err = errno;
  if (!ok) io_error(path, err);
}

}  // namespace ionflux
