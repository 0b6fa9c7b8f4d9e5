// Parser for PyBaMM-style experiment strings (see experiment.hpp and docs/experiments.md).
//
// A step string is split into whitespace-separated words and read left to right:
//   <instruction> [at <value> | with <current|power> from <file> [in <unit>]]
//                 [for <duration>] [or] [until <end> [or <end>]] [(<period> period)]
// The words of a value, a duration or an end condition are joined without spaces before
// they are read, so "1 C", "1C", "C / 2", "200 mA" and "200mA" all read the same.
#include "solver/inputs/experiment.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <utility>

#include "kernels/numerics/bdf.hpp"
#include "solver/util/errors.hpp"
#include "solver/util/text.hpp"

namespace ionflux {

namespace {

//! A problem with one step; parse_experiment adds the step's number and text.
struct StepProblem {
  std::string message;
};

[[noreturn]] void fail(const std::string& message) { throw StepProblem{message}; }

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> words;
  std::istringstream in(s);
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

std::string join(const std::vector<std::string>& words, std::size_t a, std::size_t b, const char* sep) {
  std::string out;
  for (std::size_t k = a; k < b; ++k) {
    if (k > a) out += sep;
    out += words[k];
  }
  return out;
}

//! Read a decimal number at the start of `s` (sign, digits, point, exponent; no inf/nan).
//! Returns the characters used, 0 if `s` does not start with a number.
std::size_t scan_number(const std::string& s, double& value) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  const std::size_t digits0 = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  std::size_t n_digits = i - digits0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    const std::size_t f0 = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    n_digits += i - f0;
  }
  if (n_digits == 0) return 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    const std::size_t e0 = j;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    if (j > e0) i = j;  // "5e" without digits: the 'e' is not part of the number
  }
  const char* first = s.data() + (s[0] == '+' ? 1 : 0);
  const auto r = std::from_chars(first, s.data() + i, value);
  if (r.ec != std::errc() || !std::isfinite(value)) return 0;
  return i;
}

//! The whole of `s` as a number, or false.
bool parse_number(const std::string& s, double& value) {
  const std::string t = trim(s);
  return !t.empty() && scan_number(t, value) == t.size();
}

// ------------------------------------------------------------------------- quantities

enum class Kind { c_rate, current, voltage, power };

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::c_rate: return "a C-rate";
    case Kind::current: return "a current";
    case Kind::voltage: return "a voltage";
    case Kind::power: return "a power";
  }
  return "?";
}

//! A value with its unit: amperes, volts, watts, or a C-rate (num / den).
struct Quantity {
  Kind kind = Kind::current;
  double num = 0.0;
  double den = 1.0;
  double value() const { return num / den; }
};

const char* const kUnitList = "A, mA, C (C-rate, also 'C/2'), V, mV, W, mW or kW";

//! The unit word `u` (as written) for a value; false if unknown.
bool read_unit(const std::string& u, Kind& kind, double& den, double& mul) {
  den = 1.0;
  mul = 1.0;
  if (!u.empty() && u[0] == 'M') return false;  // mega-: never meant; milli- is 'm'
  const std::string l = to_lower(u);
  if (l == "a") kind = Kind::current;
  else if (l == "ma") kind = Kind::current, den = 1000.0;
  else if (l == "c") kind = Kind::c_rate;
  else if (l == "v") kind = Kind::voltage;
  else if (l == "mv") kind = Kind::voltage, den = 1000.0;
  else if (l == "w") kind = Kind::power;
  else if (l == "mw") kind = Kind::power, den = 1000.0;
  else if (l == "kw") kind = Kind::power, mul = 1000.0;
  else return false;
  return true;
}

//! Read "1C", "0.5C", "C/20", "200mA", "4.1V", "10W", "0.2kW" (spaces already removed).
//! `shown` is the text as the user wrote it, for messages.
Quantity parse_quantity(const std::string& s, const std::string& shown) {
  if (s.empty()) fail("missing value");
  Quantity q;
  if ((s[0] == 'C' || s[0] == 'c') && s.size() > 1 && s[1] == '/') {
    double den = 0.0;
    if (!parse_number(s.substr(2), den)) fail("bad C-rate '" + shown + "' (write e.g. 'C/2', '0.5C' or '2 C')");
    if (!(den > 0.0)) fail("bad C-rate '" + shown + "': the divisor must be positive");
    q.kind = Kind::c_rate;
    q.num = 1.0;
    q.den = den;
    return q;
  }
  double v = 0.0;
  const std::size_t n = scan_number(s, v);
  const std::string unit = s.substr(n);
  if (n == 0) {
    Kind k;
    double d, m;
    if (read_unit(unit, k, d, m)) fail("missing value: '" + shown + "' has a unit but no number");
    fail("missing value: '" + shown + "' is not a number with a unit (" + kUnitList + ")");
  }
  if (unit.empty()) fail("missing unit after '" + shown + "' (" + kUnitList + ")");
  double den = 1.0, mul = 1.0;
  if (!read_unit(unit, q.kind, den, mul)) {
    const std::string l = to_lower(unit);
    if (l == "ohm" || l == "mohm")
      fail("unknown unit '" + unit + "': resistance control is not supported (" + kUnitList + ")");
    fail("unknown unit '" + unit + "' (" + kUnitList + ")");
  }
  q.num = v * mul;
  q.den = den;
  return q;
}

//! Read "0.5hours", "45 minutes", "20s" (spaces removed) into seconds.
double parse_duration(const std::string& s, const std::string& shown) {
  if (s.empty()) fail("missing duration after 'for'");
  double v = 0.0;
  const std::size_t n = scan_number(s, v);
  if (n == 0) fail("missing value: duration '" + shown + "' has no number");
  const std::string u = to_lower(s.substr(n));
  double scale;
  if (u == "s" || u == "sec" || u == "secs" || u == "second" || u == "seconds") scale = 1.0;
  else if (u == "m" || u == "min" || u == "mins" || u == "minute" || u == "minutes") scale = 60.0;
  else if (u == "h" || u == "hr" || u == "hrs" || u == "hour" || u == "hours") scale = 3600.0;
  else if (u.empty()) fail("missing time unit in duration '" + shown + "' (s, min or h)");
  else fail("unknown unit '" + s.substr(n) + "' in duration '" + shown + "' (seconds, minutes or hours)");
  if (!(v > 0.0)) fail("the duration must be positive, got '" + shown + "'");
  const double t = v * scale;
  if (!std::isfinite(t)) fail("duration '" + shown + "' is too large");
  return t;
}

// ------------------------------------------------------------------------- context

struct Context {
  Context(const ParameterSet& p, std::string dir) : params(p), base_dir(std::move(dir)) {}
  const ParameterSet& params;
  std::string base_dir;
  double nominal = std::numeric_limits<double>::quiet_NaN();  //!< A.h, NaN if absent
  double v_low = std::numeric_limits<double>::quiet_NaN();
  double v_high = std::numeric_limits<double>::quiet_NaN();
  std::vector<double>* tables = nullptr;
  std::vector<std::string>* files = nullptr;  //!< Experiment::files
  std::map<std::pair<std::string, double>, std::pair<int, int>> table_cache;  //!< (path, scale) -> (offset, len)

  double nominal_capacity() const {
    if (!(nominal > 0.0) || !std::isfinite(nominal))
      fail("C-rates need a positive 'Nominal cell capacity [A.h]' in the parameter set");
    return nominal;
  }
};

double optional_param(const ParameterSet& ps, const char* key) {
  if (!ps.contains(key) || ps.is_function(key)) return std::numeric_limits<double>::quiet_NaN();
  return ps.get(key);
}

// ------------------------------------------------------------------------- drive cycles

//! Fields of one CSV line: split at ',' if it has one, else ';', else white space.
std::vector<std::string> csv_fields(const std::string& line) {
  char sep = 0;
  if (line.find(',') != std::string::npos) sep = ',';
  else if (line.find(';') != std::string::npos) sep = ';';
  std::vector<std::string> out;
  if (sep == 0) return split_words(line);
  std::size_t a = 0;
  while (true) {
    const std::size_t b = line.find(sep, a);
    out.push_back(trim(line.substr(a, b == std::string::npos ? std::string::npos : b - a)));
    if (b == std::string::npos) break;
    a = b + 1;
  }
  return out;
}

//! Load a two-column (time [s], value) table, values multiplied by `scale`; appends the pairs
//! to ctx.tables once per (file, scale). Returns (offset in pairs, number of pairs).
std::pair<int, int> load_table(Context& ctx, const std::string& file, double scale) {
  namespace fs = std::filesystem;
  fs::path p(file);
  if (p.is_relative()) p = fs::path(ctx.base_dir) / p;
  std::error_code ec;
  const fs::path abs = fs::absolute(p, ec);
  const std::string path = (ec ? p : abs).lexically_normal().string();  // for messages and the cache
  const auto key = std::make_pair(path, scale);
  if (auto it = ctx.table_cache.find(key); it != ctx.table_cache.end()) return it->second;

  if (!fs::exists(p, ec)) fail("drive-cycle file '" + path + "' does not exist");
  if (fs::is_directory(p, ec)) fail("drive-cycle file '" + path + "' is a directory");
  std::ifstream in(p);
  if (!in) fail("cannot read drive-cycle file '" + path + "'");

  std::vector<double> rows;
  std::string line;
  int line_no = 0;
  bool first_data_line = true;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    const std::vector<std::string> f = csv_fields(t);
    double tv = 0.0, yv = 0.0;
    const bool numeric = f.size() == 2 && parse_number(f[0], tv) && parse_number(f[1], yv);
    if (first_data_line) {
      first_data_line = false;
      double dummy;
      if (!f.empty() && !parse_number(f[0], dummy)) continue;  // a header line
    }
    const std::string where = "line " + std::to_string(line_no) + " of drive-cycle file '" + path + "'";
    if (f.size() != 2)
      fail(where + " has " + std::to_string(f.size()) + " columns; expected 2 (time [s], value): '" + t + "'");
    if (!numeric) fail(where + " is not two numbers: '" + t + "'");
    if (!rows.empty() && !(tv > rows[rows.size() - 2]))
      fail("times in drive-cycle file '" + path + "' are not strictly increasing: t = " + shortest_num(tv) +
           " on line " + std::to_string(line_no) + " follows t = " + shortest_num(rows[rows.size() - 2]));
    if (!std::isfinite(yv * scale))
      fail(where + ": the value " + shortest_num(yv) + " times the step's unit (" + shortest_num(scale) +
           ") is not a finite number; expected a magnitude below " +
           shortest_num(std::numeric_limits<double>::max() / std::fabs(scale)));
    rows.push_back(tv);
    rows.push_back(yv * scale);
  }
  if (in.bad()) fail("error while reading drive-cycle file '" + path + "'");
  if (rows.empty()) fail("drive-cycle file '" + path + "' is empty (no data rows)");
  if (rows.size() < 4) fail("drive-cycle file '" + path + "' has only 1 data row; it needs at least 2");
  const std::size_t n_pairs = rows.size() / 2;
  const std::size_t offset = ctx.tables->size() / 2;
  if (offset + n_pairs > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    fail("drive-cycle data too large");
  ctx.tables->insert(ctx.tables->end(), rows.begin(), rows.end());
  if (std::find(ctx.files->begin(), ctx.files->end(), path) == ctx.files->end()) ctx.files->push_back(path);
  const std::pair<int, int> r{static_cast<int>(offset), static_cast<int>(n_pairs)};
  ctx.table_cache.emplace(key, r);
  return r;
}

// ------------------------------------------------------------------------- one step

bool is_clause_word(const std::string& lw) { return lw == "for" || lw == "until" || lw == "or"; }

//! The words [from, end) of one number with its unit among words[from, to): one word if it
//! holds both ("1C", "200mA", "C/2", "10min"), else two ("1 C", "45 minutes").
std::size_t quantity_end(const std::vector<std::string>& words, std::size_t from, std::size_t to) {
  if (from >= to) return from;
  const std::string& a = words[from];
  double v;
  const std::size_t n = scan_number(a, v);
  const bool complete = (n > 0 && n < a.size()) || (a.size() > 2 && (a[0] == 'C' || a[0] == 'c') && a[1] == '/');
  return complete ? from + 1 : std::min(to, from + 2);
}

//! Parse one step string (its cycle is set by the caller).
StepSpec parse_step(const std::string& original, Context& ctx) {
  std::string text = trim(original);
  if (text.empty()) fail("empty step");

  // Temperatures are not part of ionflux's steps (PyBaMM also rejects them in strings).
  for (const std::string& w : split_words(text)) {
    const std::string l = to_lower(w);
    if (l.size() >= 2 && l.compare(l.size() - 2, 2, "oc") == 0 &&
        (l.size() == 2 || std::isdigit(static_cast<unsigned char>(l[l.size() - 3]))))
      fail("temperatures in step strings are not supported ('" + w + "')");
  }

  // Optional trailing "(<period> period)": read and ignored (outputs use the run's period).
  if (text.back() == ')') {
    const std::size_t open = text.rfind('(');
    if (open != std::string::npos) {
      const std::string inner = trim(text.substr(open + 1, text.size() - open - 2));
      const std::string li = to_lower(inner);
      const std::string suffix = "period";
      if (li.size() >= suffix.size() && li.compare(li.size() - suffix.size(), suffix.size(), suffix) == 0) {
        const std::string d = trim(inner.substr(0, inner.size() - suffix.size()));
        std::string joined = d;
        joined.erase(std::remove_if(joined.begin(), joined.end(), [](unsigned char c) { return std::isspace(c); }),
                     joined.end());
        try {
          parse_duration(joined, d);
        } catch (const StepProblem& p) {
          fail("bad period '(" + inner + ")': " + p.message);
        }
        text = trim(text.substr(0, open));
      }
    }
  }

  const std::vector<std::string> w = split_words(text);
  std::vector<std::string> lw(w.size());
  for (std::size_t k = 0; k < w.size(); ++k) lw[k] = to_lower(w[k]);
  if (w.empty()) fail("empty step");

  StepSpec s;
  enum class Instr { discharge, charge, hold, rest, run } instr;
  if (lw[0] == "discharge") instr = Instr::discharge;
  else if (lw[0] == "charge") instr = Instr::charge;
  else if (lw[0] == "hold") instr = Instr::hold;
  else if (lw[0] == "rest") instr = Instr::rest;
  else if (lw[0] == "run") instr = Instr::run;
  else {
    const auto near = closest(lw[0], {"discharge", "charge", "hold", "rest", "run"});
    std::string shown = near ? *near : std::string();
    if (!shown.empty()) shown[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(shown[0])));
    fail("unknown instruction '" + w[0] + "'" + (near ? " (did you mean '" + shown + "'?)" : std::string()) +
         "; a step starts with Discharge, Charge, Hold, Rest or Run");
  }
  const double sign = instr == Instr::charge ? -1.0 : 1.0;

  std::size_t i = 1;
  bool voltage_held = false;
  bool drive_cycle = false;

  // reads words up to the next clause word (or one of `stops`); returns [i, j)
  auto take_until = [&](std::size_t from, std::initializer_list<const char*> stops) {
    std::size_t j = from;
    while (j < w.size()) {
      bool stop = is_clause_word(lw[j]);
      for (const char* st : stops) stop = stop || lw[j] == st;
      if (stop) break;
      ++j;
    }
    return j;
  };

  // table-valued step: "with current|power from FILE [in UNIT]" or "Run FILE (UNIT)"
  auto set_table = [&](const std::string& file, Kind kind, double unit_scale) {
    const auto [off, len] = load_table(ctx, file, sign * unit_scale);
    s.mode = kind == Kind::power ? ControlMode::power : ControlMode::current;
    s.table_offset = off;
    s.table_len = len;
    const double* tab = ctx.tables->data() + 2 * off;
    s.value = tab[1];
    s.duration = tab[2 * (len - 1)] - tab[0];  // default: the file's span ("for" overrides)
    drive_cycle = true;
  };

  if (instr == Instr::rest) {
    if (i < w.size() && lw[i] == "at") fail("'Rest' takes no value ('at " + join(w, i + 1, w.size(), " ") + "')");
    s.mode = ControlMode::current;
    s.value = 0.0;
  } else if (instr == Instr::run) {
    // Run FILE (A|W|kW)
    std::size_t j = i;
    while (j < w.size() && w[j][0] != '(') ++j;
    if (j == i) fail("missing drive-cycle file after 'Run'");
    const std::string file = join(w, i, j, " ");
    if (j == w.size()) fail("missing unit after 'Run " + file + "': write '(A)', '(W)' or '(kW)'");
    std::size_t k = j;
    std::string unit;
    while (k < w.size()) {
      unit += w[k];
      ++k;
      if (unit.back() == ')') break;
    }
    if (unit.size() < 2 || unit.back() != ')') fail("unclosed '(' after 'Run " + file + "'");
    const std::string u = trim(unit.substr(1, unit.size() - 2));
    const std::string lu = to_lower(u);
    if (lu == "a") set_table(file, Kind::current, 1.0);
    else if (lu == "w") set_table(file, Kind::power, 1.0);
    else if (lu == "kw") set_table(file, Kind::power, 1000.0);
    else fail("unknown unit '" + u + "' for 'Run': write '(A)', '(W)' or '(kW)'");
    i = k;
  } else {
    if (i >= w.size()) fail("missing 'at <value>' after '" + w[0] + "'");
    if (lw[i] == "at") {
      const std::size_t j = quantity_end(w, i + 1, take_until(i + 1, {}));
      if (j == i + 1) fail("missing value after 'at'");
      const Quantity q = parse_quantity(join(w, i + 1, j, ""), join(w, i + 1, j, " "));
      const std::string shown = join(w, i + 1, j, " ");
      if (instr == Instr::hold && q.kind != Kind::voltage)
        fail("'Hold at " + shown + "': Hold is a voltage hold; got " + std::string(kind_name(q.kind)) +
             " (use Discharge/Charge for a current or power)");
      if (q.value() < 0.0)
        fail("negative value '" + shown + "': give a magnitude; the sign comes from Discharge (+) or Charge (-)");
      switch (q.kind) {
        case Kind::current:
          s.mode = ControlMode::current;
          s.value = sign * q.value();
          break;
        case Kind::c_rate:
          s.mode = ControlMode::current;
          s.value = sign * ctx.nominal_capacity() * q.num / q.den;
          break;
        case Kind::power:
          s.mode = ControlMode::power;
          s.value = sign * q.value();
          break;
        case Kind::voltage:
          if (!(q.value() > 0.0)) fail("the voltage must be positive, got '" + shown + "'");
          s.mode = ControlMode::voltage;
          s.value = q.value();  // a voltage has no direction
          voltage_held = true;
          break;
      }
      i = j;
    } else if (lw[i] == "with" && instr != Instr::hold) {
      // with current|power from FILE [in UNIT]
      if (i + 1 >= w.size() || (lw[i + 1] != "current" && lw[i + 1] != "power"))
        fail("expected 'with current from <file>' or 'with power from <file> in kW|W'" +
             std::string(i + 1 < w.size() ? ", got '" + w[i + 1] + "'" : ""));
      const Kind kind = lw[i + 1] == "power" ? Kind::power : Kind::current;
      if (i + 2 >= w.size() || lw[i + 2] != "from") fail("missing 'from <file>' after 'with " + w[i + 1] + "'");
      const std::size_t j = take_until(i + 3, {"in"});
      if (j == i + 3) fail("missing drive-cycle file after 'from'");
      const std::string file = join(w, i + 3, j, " ");
      double scale = 1.0;
      std::size_t k = j;
      if (k < w.size() && lw[k] == "in") {
        if (k + 1 >= w.size() || is_clause_word(lw[k + 1])) fail("missing unit after 'in'");
        const std::string u = w[k + 1];
        const std::string lu = to_lower(u);
        if (kind == Kind::current && lu == "a") scale = 1.0;
        else if (kind == Kind::current && lu == "ma" && u[0] == 'm') scale = 1e-3;
        else if (kind == Kind::power && lu == "w") scale = 1.0;
        else if (kind == Kind::power && lu == "kw") scale = 1000.0;
        else if (kind == Kind::power && lu == "mw" && u[0] == 'm') scale = 1e-3;
        else
          fail("unknown unit '" + u + "' for a " + (kind == Kind::power ? "power (W, mW or kW)" : "current (A or mA)"));
        k += 2;
      } else if (kind == Kind::power) {
        fail("missing unit: write 'with power from " + file + " in kW' or '... in W'");
      }
      set_table(file, kind, scale);
      i = k;
    } else {
      fail("expected 'at' after '" + w[0] + "', got '" + w[i] + "'");
    }
  }

  // clauses: for <duration> / [or] until <end> [or <end>]
  bool has_duration = false;
  std::vector<std::pair<std::string, std::string>> ends;  // (joined, shown)
  while (i < w.size()) {
    if (lw[i] == "for") {
      if (has_duration) fail("two durations ('for' twice)");
      if (!ends.empty()) fail("'for' after 'until': write 'for <duration> or until <condition>'");
      const std::size_t j = quantity_end(w, i + 1, take_until(i + 1, {}));
      if (j == i + 1) fail("missing duration after 'for'");
      s.duration = parse_duration(join(w, i + 1, j, ""), join(w, i + 1, j, " "));
      has_duration = true;
      i = j;
    } else if (lw[i] == "or") {
      if (i + 1 >= w.size() || lw[i + 1] != "until")
        fail("unexpected word 'or'" + std::string(i + 1 < w.size() ? " before '" + w[i + 1] + "'" : " at the end"));
      ++i;
    } else if (lw[i] == "until") {
      if (!ends.empty()) fail("'until' twice: join end conditions with 'or' ('until 4.2 V or 50 mA')");
      std::size_t a = i + 1;
      while (true) {
        std::size_t b = a;
        while (b < w.size() && lw[b] != "or") ++b;
        if (b == a) fail("missing end condition after '" + w[a - 1] + "'");
        for (std::size_t k = a; k < b; ++k)
          if (lw[k] == "for" || lw[k] == "until") fail("unexpected word '" + w[k] + "' in the end conditions");
        ends.emplace_back(join(w, a, b, ""), join(w, a, b, " "));
        if (b == w.size()) break;
        a = b + 1;
      }
      i = w.size();
    } else {
      const auto near = closest(lw[i], {"for", "until", "or"});
      fail("unknown word '" + w[i] + "'" + (near ? " (did you mean '" + *near + "'?)" : std::string()) +
           "; after the set-point come 'for <duration>' and 'until <condition>', joined by 'or'");
    }
  }

  if (static_cast<int>(ends.size()) > kMaxStepEnds)
    fail("too many end conditions (" + std::to_string(ends.size()) + "); at most " + std::to_string(kMaxStepEnds));

  // direction of the step for voltage ends without an operator: from the sign of the
  // set-point at its start, as PyBaMM (positive: discharge)
  for (const auto& [joined, shown] : ends) {
    std::string body = joined;
    char op = 0;
    if (!body.empty() && (body[0] == '<' || body[0] == '>')) {
      op = body[0];
      body = body.substr(1);
      if (!body.empty() && body[0] == '=') body = body.substr(1);  // "<=" reads as "<"
    }
    const Quantity q = parse_quantity(body, shown);
    EndKind kind = EndKind::none;
    double value = 0.0;
    if (q.kind == Kind::voltage) {
      if (voltage_held)
        fail("'until " + shown + "' on a voltage-held step: the voltage is fixed; end it on a current ('until 50 mA', "
             "'until C/50') or a duration");
      value = q.value();
      if (!(value > 0.0)) fail("the end voltage must be positive, got '" + shown + "'");
      if (op == 0) {
        if (s.value > 0.0) op = '<';
        else if (s.value < 0.0) op = '>';
        else
          fail("'until " + shown + "': a step without current has no direction; write 'until < " + shortest_num(value) +
               " V' or 'until > " + shortest_num(value) + " V'");
      }
      if (std::isfinite(ctx.v_high) && value > ctx.v_high)
        fail("'until " + shown + "' is above the upper voltage cut-off " + shortest_num(ctx.v_high) +
             " V of the parameter set ('Upper voltage cut-off [V]')");
      if (std::isfinite(ctx.v_low) && value < ctx.v_low)
        fail("'until " + shown + "' is below the lower voltage cut-off " + shortest_num(ctx.v_low) +
             " V of the parameter set ('Lower voltage cut-off [V]')");
      kind = op == '<' ? EndKind::voltage_below : EndKind::voltage_above;
    } else if (q.kind == Kind::current || q.kind == Kind::c_rate) {
      if (op != 0)
        fail("'until " + shown + "': '<' and '>' are for voltages only; a current end condition always means |I| <= value");
      if (instr == Instr::rest) fail("'until " + shown + "' on a rest: a rest carries no current, so it would end at once");
      value = q.kind == Kind::current ? q.value() : ctx.nominal_capacity() * q.num / q.den;
      if (!(value > 0.0)) fail("the end current must be positive, got '" + shown + "'");
      kind = EndKind::current_below;
    } else {
      fail("'until " + shown + "': a step cannot end on a power; use a voltage, a current or a C-rate");
    }
    s.end_kind[s.n_ends] = kind;
    s.end_value[s.n_ends] = value;
    ++s.n_ends;
  }

  // every step must be able to end
  if (!has_duration && s.n_ends == 0 && !drive_cycle) {
    if (instr == Instr::hold) fail("a hold must end: add 'for <duration>' or 'until <current>'");
    if (instr == Instr::rest) fail("a rest must end: add 'for <duration>'");
    if (voltage_held) fail("a voltage-controlled step must end: add 'for <duration>' or 'until <current>'");
    if (s.value == 0.0) fail("a step at zero current or power never ends: add 'for <duration>'");
    // otherwise: runs until a voltage cut-off of the parameter set
  }
  return s;
}

}  // namespace

Experiment parse_experiment(const std::vector<std::vector<std::string>>& cycle_groups, int repeat,
                            const ParameterSet& params, const std::string& base_dir) {
  if (cycle_groups.empty()) throw InputError("empty experiment: give at least one step");
  if (repeat < 1) throw InputError("experiment repeat count must be at least 1, got " + std::to_string(repeat));

  Experiment ex;
  Context ctx(params, base_dir);
  ctx.nominal = optional_param(params, "Nominal cell capacity [A.h]");
  ctx.v_low = optional_param(params, "Lower voltage cut-off [V]");
  ctx.v_high = optional_param(params, "Upper voltage cut-off [V]");
  ctx.tables = &ex.tables;
  ctx.files = &ex.files;

  // parse each distinct position once, then lay the cycles out
  std::vector<std::vector<StepSpec>> parsed(cycle_groups.size());
  std::size_t number = 0;  // 1-based step number over the input, for messages
  std::size_t per_repeat = 0;
  for (std::size_t g = 0; g < cycle_groups.size(); ++g) {
    if (cycle_groups[g].empty())
      throw InputError("experiment cycle " + std::to_string(g + 1) + " has no steps");
    for (std::size_t k = 0; k < cycle_groups[g].size(); ++k) {
      ++number;
      const std::string& text = cycle_groups[g][k];
      try {
        parsed[g].push_back(parse_step(text, ctx));
      } catch (const StepProblem& p) {
        std::string where = "experiment step " + std::to_string(number);
        if (cycle_groups.size() > 1)
          where += " (cycle " + std::to_string(g + 1) + ", step " + std::to_string(k + 1) + ")";
        throw InputError(where + " \"" + text + "\": " + p.message);
      }
    }
    per_repeat += cycle_groups[g].size();
  }

  const std::size_t n_cycles = cycle_groups.size() * static_cast<std::size_t>(repeat);
  const std::size_t limit = static_cast<std::size_t>(std::numeric_limits<int>::max());
  if (n_cycles > limit || per_repeat > limit / static_cast<std::size_t>(repeat))
    throw InputError("experiment too long: " + std::to_string(per_repeat) + " steps x " + std::to_string(repeat) +
                     " repeats");
  ex.n_cycles = static_cast<int>(n_cycles);
  ex.steps.reserve(per_repeat * static_cast<std::size_t>(repeat));
  ex.text.reserve(per_repeat * static_cast<std::size_t>(repeat));
  for (int r = 0; r < repeat; ++r) {
    for (std::size_t g = 0; g < cycle_groups.size(); ++g) {
      const int cycle = static_cast<int>(static_cast<std::size_t>(r) * cycle_groups.size() + g);
      for (std::size_t k = 0; k < parsed[g].size(); ++k) {
        StepSpec s = parsed[g][k];
        s.cycle = cycle;
        ex.steps.push_back(s);
        ex.text.push_back(cycle_groups[g][k]);
      }
    }
  }
  return ex;
}

namespace {

//! `step 3 "Rest for 1 hour" (cycle 1)`.
std::string step_label(const StepSpec* steps, const std::string* texts, int k) {
  std::string out = "step " + std::to_string(k);
  if (texts && !texts[k].empty()) out += " \"" + texts[k] + "\"";
  return out + " (cycle " + std::to_string(steps[k].cycle) + ")";
}

//! A duration in words: "7200 s (2 h)".
std::string seconds(double s) {
  char buf[64];
  if (s >= 3600.0) std::snprintf(buf, sizeof buf, "%.6g s (%.4g h)", s, s / 3600.0);
  else std::snprintf(buf, sizeof buf, "%.6g s", s);
  return buf;
}

}  // namespace

std::string cut_short_message(CellStatus status, const CellParams& params, const StepSpec* steps, int n_steps,
                              const std::string* texts, int step, double step_start, double t_stop) {
  if (status != CellStatus::cutoff_lower && status != CellStatus::cutoff_upper) return {};
  if (!steps || n_steps <= 0 || step < 0 || step >= n_steps) return {};
  const StepSpec& st = steps[step];
  const bool open_ended = st.duration <= 0.0 && st.n_ends == 0;  // runs to a cut-off by design
  const int remaining = n_steps - 1 - step;
  if (open_ended && remaining == 0) return {};
  const bool lower = status == CellStatus::cutoff_lower;
  std::string m = std::string("reached the ") + (lower ? "lower" : "upper") + " voltage cut-off " +
                  shortest_num(lower ? params.v_min : params.v_max) + " V of the parameter set ('" +
                  (lower ? "Lower" : "Upper") + " voltage cut-off [V]') at t = " + seconds(t_stop) + ", " +
                  seconds(t_stop - step_start) + " into " + step_label(steps, texts, step) + " of " +
                  std::to_string(n_steps) + " steps";
  if (open_ended) {
    m += ", which runs until a cut-off";
  } else {
    m += t_stop > step_start ? ": the step was cut short by the cut-off"
                             : ": the step began past the cut-off (the voltage jump when its current was applied) "
                               "and did not run";
    if (st.duration > 0.0) m += " (it was to run " + seconds(st.duration) + (st.n_ends > 0 ? " or until its end condition)" : ")");
    else m += " (before its end condition)";
  }
  if (remaining > 0) {
    m += "; the experiment stopped there, " + std::to_string(remaining) + (remaining == 1 ? " step" : " steps") +
         " did not run: ";
    const int first = step + 1, last = n_steps - 1;
    if (remaining <= 3) {
      for (int k = first; k <= last; ++k) m += (k > first ? ", " : "") + step_label(steps, texts, k);
    } else {
      m += "steps " + std::to_string(first) + " to " + std::to_string(last) + " (cycles " +
           std::to_string(steps[first].cycle) + " to " + std::to_string(steps[last].cycle) + "), from " +
           step_label(steps, texts, first) + " to " + step_label(steps, texts, last);
    }
  } else {
    m += "; it was the last step";
  }
  return m + ". " + kCutShortMark + ", where PyBaMM widens them by 1 V (docs/experiments.md)";
}

std::string step_limit_message(int max_steps, const StepSpec* steps, int n_steps, const std::string* texts, int step,
                               int steps_in_step, int steps_in_all, double t_stop, const double* tables) {
  char at[64];
  std::snprintf(at, sizeof at, ", at t = %.6g s", t_stop);
  if (!steps || n_steps <= 0 || step < 0 || step >= n_steps)
    return std::to_string(max_steps) + " steps (solver max_steps)" + at;
  const std::string where = " of " + std::to_string(n_steps) + " protocol steps";
  // the budgets as CellSolver counts them (step_budget: more for a drive cycle's knots)
  const double budget = std::min<double>(step_budget(steps + step, tables, max_steps), kMaxSolverSteps);
  if (steps_in_step >= budget) {
    const double knots = drive_knots(steps[step], tables);
    return std::to_string(static_cast<long long>(budget)) + " steps (solver max_steps" +
           (knots > 0.0 ? " " + std::to_string(max_steps) + " + " + std::to_string(kStepsPerDriveKnot) + " for each of " +
                              std::to_string(static_cast<long long>(knots)) + " drive-cycle knots"
                        : std::string()) +
           ", per protocol step) in " + step_label(steps, texts, step) + where + ", " + std::to_string(steps_in_all) +
           " steps in all" + at;
  }
  double whole = 0.0, knots = 0.0;
  for (int k = 0; k < n_steps; ++k) {
    whole += step_budget(steps + k, tables, max_steps);
    knots += drive_knots(steps[k], tables);
  }
  return "the whole run's " + std::to_string(steps_in_all) + " steps (solver max_steps x " + std::to_string(n_steps) +
         " protocol steps" +
         (knots > 0.0 ? " + " + std::to_string(kStepsPerDriveKnot) + " per drive-cycle knot" : std::string()) +
         (whole > kMaxSolverSteps ? ", at most " + std::to_string(kMaxSolverSteps) : std::string()) + "), " +
         std::to_string(steps_in_step) + " of them in " + step_label(steps, texts, step) + where + at;
}

ExperimentEnd parse_experiment_termination(const std::vector<std::string>& terms) {
  ExperimentEnd e;
  for (const std::string& raw : terms) {
    const std::string t = trim(raw);
    auto bad = [&](const std::string& why) {
      return InputError("experiment termination \"" + t + "\": " + why +
                        " (PyBaMM's forms: \"80% capacity\", \"4 Ah capacity\", \"2.5 V\", \"10 hours\")");
    };
    auto number = [&](const std::string& text) {
      char* end = nullptr;
      const double v = std::strtod(text.c_str(), &end);
      if (text.empty() || !end || trim(std::string(end)) != "" || !(v > 0.0) || !std::isfinite(v))
        throw bad("expected a positive number" + std::string(end && *end && end != text.c_str()
                                                                  ? " and the unit %, Ah, A.h or V, got '" + text + "'"
                                                                  : ", got '" + text + "'"));
      return v;
    };
    const std::string lower = to_lower(t);
    const std::string cap = "capacity";
    if (lower.size() > cap.size() && lower.compare(lower.size() - cap.size(), cap.size(), cap) == 0) {
      std::string amount = trim(t.substr(0, t.size() - cap.size()));
      std::string compact;
      for (char ch : amount)
        if (ch != ' ') compact += ch;
      if (!compact.empty() && compact.back() == '%') {
        const double pct = number(compact.substr(0, compact.size() - 1));
        e.capacity_fraction = pct / 100.0;
        e.capacity_ah = 0.0;  // one capacity termination: the last given, as PyBaMM's dict keeps it
      } else if (compact.size() > 3 && to_lower(compact.substr(compact.size() - 3)) == "a.h") {
        e.capacity_ah = number(compact.substr(0, compact.size() - 3));
        e.capacity_fraction = 0.0;
      } else if (compact.size() > 2 && to_lower(compact.substr(compact.size() - 2)) == "ah") {
        e.capacity_ah = number(compact.substr(0, compact.size() - 2));
        e.capacity_fraction = 0.0;
      } else {
        throw bad("a capacity termination is a percentage of the first cycle's or A.h");
      }
    } else if (!t.empty() && (t.back() == 'V' || t.back() == 'v')) {
      e.min_voltage = number(trim(t.substr(0, t.size() - 1)));
    } else {
      // a time ("10 hours", "50 min", "3600 s"): PyBaMM's time termination
      std::string compact;
      for (char ch : t)
        if (ch != ' ') compact += ch;
      const bool has_digit = std::any_of(compact.begin(), compact.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
      try {
        e.time = parse_duration(compact, t);
      } catch (const StepProblem& p) {
        throw bad(has_digit ? p.message : "not a capacity, voltage or time termination");
      }
    }
  }
  return e;
}

void check_termination_parameters(const ExperimentEnd& e, const ParameterSet& params,
                                  const std::vector<std::string>& varied) {
  if (!(e.capacity_fraction > 0.0 || e.capacity_ah > 0.0)) return;
  std::vector<std::string> missing;
  for (const char* key : {"Open-circuit voltage at 0% SOC [V]", "Open-circuit voltage at 100% SOC [V]"}) {
    if (std::find(varied.begin(), varied.end(), key) != varied.end()) continue;
    if (!params.contains(key)) missing.push_back(std::string("\"") + key + "\" (not in the set)");
    else if (params.is_function(key)) missing.push_back(std::string("\"") + key + "\" (a function, not a number)");
  }
  if (missing.empty()) return;
  std::string list;
  for (std::size_t k = 0; k < missing.size(); ++k) list += (k ? " and " : "") + missing[k];
  throw InputError("the experiment termination \"" + experiment_termination_text(e) +
                   "\" compares each cycle's eSOH capacity, which needs the voltage limits of the eSOH solve as "
                   "numbers, as in PyBaMM: " + list +
                   "; give them (usually the set's lower and upper voltage cut-offs) or drop the capacity termination");
}

std::optional<double> time_termination_end(const ExperimentEnd& e, double given_t_end) {
  if (e.time > 0.0 && (!(given_t_end > 0.0) || e.time < given_t_end)) return e.time;
  return std::nullopt;
}

std::string experiment_termination_text(const ExperimentEnd& e) {
  std::string s;
  auto add = [&](const std::string& part) { s += (s.empty() ? "" : ", ") + part; };
  if (e.capacity_fraction > 0.0) add(shortest_num(e.capacity_fraction * 100.0) + "% capacity");
  if (e.capacity_ah > 0.0) add(shortest_num(e.capacity_ah) + " Ah capacity");
  if (e.min_voltage > 0.0) add(shortest_num(e.min_voltage) + " V");
  if (e.time > 0.0) add(shortest_num(e.time) + " s");
  return s;
}

std::string experiment_end_message(const ExperimentEnd& e, const StepSpec* steps, int n_steps, int step,
                                   double cycle_v_min, double capacity, double capacity0, double t_stop) {
  const int cycle = steps && step >= 0 && step < n_steps ? steps[step].cycle : 0;
  const int last_cycle = steps && n_steps > 0 ? steps[n_steps - 1].cycle : cycle;
  std::string why;
  auto add = [&](const std::string& part) { why += (why.empty() ? "" : "; ") + part; };
  if (e.capacity_fraction > 0.0 && capacity <= e.capacity_fraction * capacity0)
    add("capacity " + format("%.6g", capacity) + " A.h <= " + shortest_num(e.capacity_fraction * 100.0) +
        "% of the first cycle's " + format("%.6g", capacity0) + " A.h");
  if (e.capacity_ah > 0.0 && capacity <= e.capacity_ah)
    add("capacity " + format("%.6g", capacity) + " A.h <= " + shortest_num(e.capacity_ah) + " A.h");
  if (e.min_voltage > 0.0 && cycle_v_min <= e.min_voltage)
    add("lowest voltage " + format("%.6g", cycle_v_min) + " V <= " + shortest_num(e.min_voltage) + " V");
  if (e.time_reached(t_stop)) {  // during a step, not at a cycle's end
    const std::string step_text = steps && step >= 0 && step < n_steps ? " in step " + std::to_string(step) : "";
    return "the experiment's time termination \"" + experiment_termination_text(e) + "\" was reached at t = " +
           format("%.6g", t_stop) + " s" + step_text + " of cycle " + std::to_string(cycle) +
           " (the run's end time), as in PyBaMM";
  }
  const int left = last_cycle - cycle;
  return "the experiment's termination \"" + experiment_termination_text(e) + "\" was reached at the end of cycle " +
         std::to_string(cycle) + " (t = " + format("%.6g", t_stop) + " s: " + why + "); " + std::to_string(left) +
         (left == 1 ? " cycle" : " cycles") + " did not run, as in PyBaMM";
}

std::string failure_place(const StepSpec* steps, int n_steps, const std::string* texts, int step, double t_stop) {
  char at[64];
  std::snprintf(at, sizeof at, "at t = %.6g s", t_stop);
  if (!steps || n_steps <= 0 || step < 0 || step >= n_steps) return at;
  return std::string(at) + ", in " + step_label(steps, texts, step) + " of " + std::to_string(n_steps) +
         " protocol steps";
}

Experiment parse_experiment(const std::vector<std::string>& steps, const ParameterSet& params,
                            const std::string& base_dir) {
  if (steps.empty()) throw InputError("empty experiment: give at least one step");
  return parse_experiment(std::vector<std::vector<std::string>>{steps}, 1, params, base_dir);
}

}  // namespace ionflux
