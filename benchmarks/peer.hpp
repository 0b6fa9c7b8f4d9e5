// Helpers the benchmarks share: statistics and running the PyBaMM peer scripts
// (benchmarks/pybamm_*.py), which print one JSON object.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "solver/problem/batch.hpp"
#include "solver/inputs/parameters.hpp"
#include "solver/problem/problem.hpp"

namespace ionflux {
namespace bench {

//! The benchmarks' sweep: n cells of `ps` at `current` [A] that differ in "Negative
//! particle diffusivity [m2.s-1]" (log-spaced 1e-14..1e-13, a parameter PyBaMM's
//! IDAKLU group solver takes as an input too), t_end 5400 s, outputs every `period` s.
inline BatchInputs diffusivity_sweep(ParameterSet ps, long n, double current, double period) {
  // A Batch (docs/problem.md): the set (owning its user functions) and one varied
  // column; each chunk's records are packed when it runs.
  BatchInputs in;
  const auto base = std::make_shared<const ParameterSet>(std::move(ps));
  in.n_packed = static_cast<std::size_t>(n);
  in.pack = [base, n, current](std::size_t first, std::size_t m, CellParams* out) {
    ParameterSet work = *base;
    for (std::size_t k = 0; k < m; ++k) {
      const double c = static_cast<double>(first + k);
      work.set("Negative particle diffusivity [m2.s-1]", std::pow(10.0, -14.0 + (n > 1 ? c / (n - 1.0) : 0.0)));
      out[k] = build_cell(work, current, false, std::nullopt);
    }
  };
  in.pre_status.assign(in.n_packed, CellStatus::running);
  in.pre_message.assign(in.n_packed, std::string());
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
