#include "solver/problem/cell_range.hpp"

#include <cctype>
#include <utility>

#include "solver/util/errors.hpp"

namespace ionflux {
namespace {

//! A whole number from decimal digits only; false for anything else (or too large).
bool parse_index(const std::string& s, std::size_t& out) {
  if (s.empty() || s.size() > 18) return false;
  std::size_t v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  out = v;
  return true;
}

template <class T>
std::vector<T> cut(const std::vector<T>& v, const CellRange& r) {
  if (v.empty()) return v;
  return std::vector<T>(v.begin() + static_cast<std::ptrdiff_t>(r.first), v.begin() + static_cast<std::ptrdiff_t>(r.last));
}

void check_range(const CellRange& r, std::size_t n, const char* what) {
  if (!(r.first < r.last && r.last <= n))
    throw InputError(std::string(what) + ": cells [" + std::to_string(r.first) + ", " + std::to_string(r.last) +
                     ") are not a non-empty range of the sweep's " + std::to_string(n) + " cells");
}

}  // namespace

CellRange parse_cell_range(const std::string& text) {
  const std::size_t colon = text.find(':');
  const std::string usage = "--cells: expected FIRST:LAST (cells FIRST to LAST-1, counted from 0; either may be left "
                            "out), got '" + text + "'";
  if (colon == std::string::npos || text.find(':', colon + 1) != std::string::npos) throw InputError(usage);
  CellRange r{0, CellRange::kToEnd};
  const std::string a = text.substr(0, colon), b = text.substr(colon + 1);
  if ((!a.empty() && !parse_index(a, r.first)) || (!b.empty() && !parse_index(b, r.last))) throw InputError(usage);
  if (!(r.first < r.last))
    throw InputError("--cells " + text + ": not a non-empty range (FIRST must be below LAST)");
  return r;
}

CellRange parse_cell_range(const std::string& text, std::size_t n_cells) {
  CellRange r = parse_cell_range(text);
  if (r.last == CellRange::kToEnd) r.last = n_cells;
  if (!(r.first < r.last && r.last <= n_cells))
    throw InputError("--cells " + text + ": not a non-empty range of this sweep's " + std::to_string(n_cells) +
                     " cells (0:" + std::to_string(n_cells) + " is all of them)");
  return r;
}

BatchInputs batch_cell_range(const BatchInputs& in, const CellRange& r) {
  check_range(r, in.size(), "cell range");
  BatchInputs out;
  if (in.pack) {  // a packed batch: the range's records are the sweep's, packed on demand
    const std::size_t first = r.first;
    const auto pack = in.pack;
    out.pack = [pack, first](std::size_t f, std::size_t n, CellParams* dst) { pack(first + f, n, dst); };
    out.n_packed = r.size();
    out.packed_thermal = in.packed_thermal;
  } else {
    out.cells = cut(in.cells, r);
  }
  out.pre_status = cut(in.pre_status, r);
  out.pre_message = cut(in.pre_message, r);
  out.run = in.run;
  out.t_end = cut(in.t_end, r);
  out.n_times = in.n_times;
  out.protocol_steps = in.protocol_steps;  // shared: the cut ranges still point into them
  out.protocol_first = cut(in.protocol_first, r);
  out.protocol_count = cut(in.protocol_count, r);
  out.protocol_tables = in.protocol_tables;
  out.protocol_text = in.protocol_text;
  out.keep_alive = in.keep_alive;
  return out;
}

SweepFileInfo file_info_cell_range(SweepFileInfo info, const CellRange& r) {
  check_range(r, info.n_cells, "cell range");
  if (info.sweep_cells == 0) info.sweep_cells = info.n_cells;  // (a range of a range file: its sweep's numbers)
  info.first_cell += r.first;
  info.n_cells = r.size();
  for (auto& column : info.inputs) column = cut(column, r);
  if (!info.initial_soc.empty()) info.initial_soc = cut(info.initial_soc, r);
  return info;
}

}  // namespace ionflux
