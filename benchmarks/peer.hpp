// Helpers the benchmarks share: statistics and running the PyBaMM peer scripts
// (benchmarks/pybamm_*.py), which print one JSON object.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "solver/batch.hpp"
#include "solver/parameters.hpp"

namespace ionflux {
namespace bench {

//! The benchmarks' sweep: n cells of `ps` at `current` [A] that differ in "Negative
//! particle diffusivity [m2.s-1]" (log-spaced 1e-14..1e-13, a parameter PyBaMM's
//! IDAKLU group solver takes as an input too), t_end 5400 s, outputs every `period` s.
inline BatchInputs diffusivity_sweep(ParameterSet ps, long n, double current, double period) {
  BatchInputs in;
  for (const auto& name : ps.names())
    if (ps.entry(name).user) in.keep_alive.push_back(ps.entry(name).user);  // user functions' owners
  for (long c = 0; c < n; ++c) {
    ps.set("Negative particle diffusivity [m2.s-1]", std::pow(10.0, -14.0 + (n > 1 ? c / (n - 1.0) : 0.0)));
    in.cells.push_back(ps.cell_params(current));
    in.pre_status.push_back(CellStatus::running);
    in.pre_message.emplace_back();
  }
  in.run.t_end = 5400.0;
  in.run.period = period;
  return in;
}

inline double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

//! "key": number from a one-line JSON object; NaN when the key is absent.
inline double json_number(const std::string& text, const char* key) {
  const std::string k = std::string("\"") + key + "\":";
  const auto pos = text.find(k);
  return pos == std::string::npos ? NAN : std::strtod(text.c_str() + pos + k.size(), nullptr);
}

//! True when `python3 -c 'import pybamm'` works here.
inline bool pybamm_available() { return std::system("python3 -c 'import pybamm' >/dev/null 2>&1") == 0; }

//! Run a shell command and return what it printed on stdout ("" if it could not start).
inline std::string run_capture(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  return out;
}

}  // namespace bench
}  // namespace ionflux
