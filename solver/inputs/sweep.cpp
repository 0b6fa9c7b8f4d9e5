// Sweep config parser: JSON text -> SweepSpec. Every check that needs no solving runs
// here, before any values are generated; the format is documented in docs/sweep_config.md.
#include "solver/inputs/sweep.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <utility>

#include "solver/util/errors.hpp"
#include "solver/inputs/json_text.hpp"
#include "solver/util/text.hpp"
#include "solver/inputs/parameters.hpp"
#include "solver/inputs/experiment.hpp"
#include "solver/inputs/parameter_file.hpp"

namespace ionflux {
namespace {

using ojson = nlohmann::ordered_json;

#ifndef IONFLUX_SWEEP_MAX_CELLS  // the fuzz build lowers it (tests/fuzz)
#define IONFLUX_SWEEP_MAX_CELLS 100000000
#endif
constexpr std::uint64_t kMaxCells = IONFLUX_SWEEP_MAX_CELLS;  // 10^8: largest grid / sample count / range count
constexpr int kMaxMesh = 1000;                  // as `ionflux simulate --mesh`

// ---------------------------------------------------------------------------
// Text helpers

//! " (did you mean 'X'?)" when a candidate is close enough to be a likely typo, else "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(to_lower(word), to_lower(c));
    if (d < best_d) best_d = d, best = &c;
  }
  return best ? " (did you mean '" + *best + "'?)" : "";
}

//! What a JSON value is, for "expected ..., got <this>" messages (short, one line).
std::string describe(const ojson& j) {
  std::string text = j.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  switch (j.type()) {
    case ojson::value_t::null: return "null";
    case ojson::value_t::boolean: return "a boolean (" + text + ")";
    case ojson::value_t::string: return "a string (" + text + ")";
    case ojson::value_t::array: return j.empty() ? "an empty array" : "an array (" + text + ")";
    case ojson::value_t::object: return j.empty() ? "an empty object" : "an object (" + text + ")";
    default: return text;  // numbers
  }
}

// ---------------------------------------------------------------------------
// Errors: every message starts with the source, then names the key.

struct Context {
  std::string where;
  [[noreturn]] void input(const std::string& msg) const { throw InputError(where + ": " + msg); }
  [[noreturn]] void invalid(const std::string& msg) const { throw InvalidParameter(where + ": " + msg); }
  [[noreturn]] void unknown(const std::string& msg) const { throw UnknownParameter(where + ": " + msg); }

  //! Runs fn; library errors get the source and `prefix` in front, keeping their type.
  template <class Fn>
  void wrap(const std::string& prefix, Fn fn) const {
    try {
      fn();
    } catch (const UnknownParameter& e) {
      throw UnknownParameter(where + ": " + prefix + e.what());
    } catch (const InvalidParameter& e) {
      throw InvalidParameter(where + ": " + prefix + e.what());
    } catch (const InputError& e) {
      throw InputError(where + ": " + prefix + e.what());
    }
  }
};

// ---------------------------------------------------------------------------
// Typed getters

double get_number(const Context& cx, const ojson& j, const std::string& key) {
  if (!j.is_number()) cx.input(key + " must be a number, got " + describe(j));
  return j.get<double>();
}

//! An integer in [lo, hi]; JSON floats (even 20.0) are rejected.
std::int64_t get_integer(const Context& cx, const ojson& j, const std::string& key, std::int64_t lo,
                         std::int64_t hi) {
  const std::string range = "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
  if (!j.is_number_integer()) cx.input(key + " must be " + range + ", got " + describe(j));
  const bool too_big = j.is_number_unsigned() && j.get<std::uint64_t>() > static_cast<std::uint64_t>(hi);
  if (too_big || j.get<std::int64_t>() < lo || j.get<std::int64_t>() > hi)
    cx.input(key + " must be " + range + ", got " + j.dump());
  return j.get<std::int64_t>();
}

std::string get_string(const Context& cx, const ojson& j, const std::string& key) {
  if (!j.is_string()) cx.input(key + " must be a string, got " + describe(j));
  return j.get<std::string>();
}

const ojson& get_object(const Context& cx, const ojson& j, const std::string& key) {
  if (!j.is_object()) cx.input(key + " must be an object ({...}), got " + describe(j));
  return j;
}

// ---------------------------------------------------------------------------
// JSON parsing with line/column and duplicate-key detection

ojson parse_json(const Context& cx, const std::string& text) {
  return parse_json_checked(text, [&](const std::string& m) { cx.input(m); });
}

// ---------------------------------------------------------------------------
// Values of the special names and of parameters

bool is_special(const std::string& name) {
  return name == sweep_names::kCRate || name == sweep_names::kCurrent || name == sweep_names::kInitialSoc;
}

bool is_protocol(const std::string& name) {
  return name == sweep_names::kCRate || name == sweep_names::kCurrent || name == sweep_names::kCurrentFunction;
}

//! Range check of one value of a varied name (special names here, parameters by
//! check_parameter_range). Throws InvalidParameter naming the parameter.
void check_value(const std::string& name, double v) {
  if (is_protocol(name)) {
    if (!std::isfinite(v) || v == 0.0)
      throw InvalidParameter("'" + name + "' must be a finite non-zero number (positive = discharge), got " +
                             num(v));
  } else if (name == sweep_names::kInitialSoc) {
    if (!(v >= 0.0 && v <= 1.0)) throw InvalidParameter("'" + name + "' must be in [0, 1], got " + num(v));
  } else {
    check_parameter_range(name, v);
  }
}

//! Up to three known names (the set's and the special ones) closest to `key`.
std::vector<std::string> closest_varied_names(const ParameterSet& ps, const std::string& key) {
  std::vector<std::string> cands = ps.closest_names(key, 3);
  for (const char* s : {sweep_names::kCRate, sweep_names::kCurrent, sweep_names::kInitialSoc}) cands.emplace_back(s);
  const std::string k = to_lower(key);
  const std::size_t limit = std::max<std::size_t>(6, key.size() / 2);  // as ParameterSet::closest_names
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const auto& c : cands) scored.emplace_back(edit_distance(k, to_lower(c)), c);
  std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> r;
  for (const auto& s : scored)
    if (s.first <= limit && r.size() < 3) r.push_back(s.second);
  return r;
}

// ---------------------------------------------------------------------------
// Varied entries

enum class Kind { list, linspace, logspace, uniform, loguniform };

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::list: return "list";
    case Kind::linspace: return "linspace";
    case Kind::logspace: return "logspace";
    case Kind::uniform: return "uniform";
    default: return "loguniform";
  }
}

struct VaryEntry {
  std::string name;
  Kind kind = Kind::list;
  std::vector<double> values;  // list, linspace, logspace
  double lo = 0.0, hi = 0.0;   // uniform, loguniform
  bool random() const { return kind == Kind::uniform || kind == Kind::loguniform; }
};

//! start + (stop - start) i / (n - 1), endpoints exact.
std::vector<double> linspace(double a, double b, std::size_t n) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = n == 1 ? a : a + (b - a) * (static_cast<double>(i) / static_cast<double>(n - 1));
  if (n > 1) v.back() = b;
  for (double& x : v) x = std::clamp(x, std::min(a, b), std::max(a, b));
  return v;
}

//! Geometric spacing between the values a and b (both > 0), endpoints exact.
std::vector<double> logspace(double a, double b, std::size_t n) {
  std::vector<double> v(n);
  const double la = std::log(a), lb = std::log(b);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = n == 1 ? a : std::exp(la + (lb - la) * (static_cast<double>(i) / static_cast<double>(n - 1)));
  v.front() = a;
  if (n > 1) v.back() = b;
  for (double& x : v) x = std::clamp(x, std::min(a, b), std::max(a, b));
  return v;
}

VaryEntry parse_vary_entry(const Context& cx, const ParameterSet& ps, const std::string& name, const ojson& j,
                           const std::vector<std::string>& placeholders) {
  const std::string key = "vary '" + name + "'";
  VaryEntry e;
  e.name = name;
  const bool placeholder = std::find(placeholders.begin(), placeholders.end(), name) != placeholders.end();
  if (!ps.contains(name) && !is_special(name) && !placeholder) {
    std::string msg = "vary: unknown parameter '" + name + "' in set " + ps.name();
    const auto near = closest_varied_names(ps, name);
    if (!near.empty()) msg += "; did you mean " + quoted_list(near) + "?";
    cx.unknown(msg);
  }
  static const std::vector<std::string> kinds = {"linspace", "logspace", "uniform", "loguniform"};
  if (j.is_array()) {
    if (j.empty()) cx.input(key + ": empty list; give at least one value");
    for (std::size_t i = 0; i < j.size(); ++i)
      e.values.push_back(get_number(cx, j[i], key + " element " + std::to_string(i + 1)));
  } else if (j.is_object()) {
    if (j.size() != 1)
      cx.input(key + " must be a list of numbers or an object with exactly one key (linspace, logspace, uniform or "
                     "loguniform), got " + describe(j));
    const std::string dist = j.begin().key();
    const ojson& args = j.begin().value();
    const std::string dkey = key + " " + dist;
    if (dist == "linspace" || dist == "logspace") {
      e.kind = dist == "linspace" ? Kind::linspace : Kind::logspace;
      if (!args.is_array() || args.size() != 3)
        cx.input(dkey + " must be [start, stop, count], got " + describe(args));
      const double a = get_number(cx, args[0], dkey + " start");
      const double b = get_number(cx, args[1], dkey + " stop");
      const auto n = static_cast<std::size_t>(
          get_integer(cx, args[2], dkey + " count", 1, static_cast<std::int64_t>(kMaxCells)));
      if (e.kind == Kind::logspace && !(a > 0.0 && b > 0.0))
        cx.input(dkey + ": start and stop must be positive (they are values, not exponents), got [" + num(a) +
                 ", " + num(b) + "]");
      e.values = e.kind == Kind::linspace ? linspace(a, b, n) : logspace(a, b, n);
    } else if (dist == "uniform" || dist == "loguniform") {
      e.kind = dist == "uniform" ? Kind::uniform : Kind::loguniform;
      if (!args.is_array() || args.size() != 2) cx.input(dkey + " must be [low, high], got " + describe(args));
      e.lo = get_number(cx, args[0], dkey + " low");
      e.hi = get_number(cx, args[1], dkey + " high");
      if (e.kind == Kind::loguniform && !(e.lo > 0.0))
        cx.input(dkey + ": low must be positive, got " + num(e.lo));
      if (!(e.lo < e.hi)) cx.input(dkey + ": low must be below high, got [" + num(e.lo) + ", " + num(e.hi) + "]");
    } else {
      cx.input(key + ": unknown distribution '" + dist + "'" + did_you_mean(dist, kinds) +
               "; expected a list of numbers or one of linspace, logspace, uniform, loguniform");
    }
  } else {
    cx.input(key + " must be a list of numbers or an object (linspace, logspace, uniform, loguniform), got " +
             describe(j));
  }
  // Physical range of every value. Sampled values lie in [low, high] and every range is an
  // interval, so checking both bounds checks every sample (except currents crossing zero).
  cx.wrap("vary: ", [&] {
    if (e.random()) {
      check_value(name, e.lo);
      check_value(name, e.hi);
      if (is_protocol(name) && e.lo < 0.0 && e.hi > 0.0)
        throw InvalidParameter("'" + name + "' " + kind_name(e.kind) + " range [" + num(e.lo) + ", " + num(e.hi) +
                               "] contains 0; a current must be non-zero (sweep charge and discharge separately)");
    } else {
      for (double v : e.values) check_value(name, v);
    }
  });
  return e;
}

// ---------------------------------------------------------------------------
// Random numbers: std::mt19937_64 (portable), distributions written out (the standard
// library's are not).

double unit_draw(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

//! Unbiased integer in [0, n): reject the 2^64 mod n lowest raw values, then modulo.
std::uint64_t bounded_draw(std::mt19937_64& rng, std::uint64_t n) {
  const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n
  for (;;) {
    const std::uint64_t x = rng();
    if (x >= threshold) return x % n;
  }
}

//! u[d][s] in [0, 1]: `dims` x `n` unit values, independent or Latin hypercube.
std::vector<std::vector<double>> unit_samples(std::size_t dims, std::size_t n, bool lhs, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<double>> u(dims, std::vector<double>(n));
  if (!lhs) {
    for (std::size_t s = 0; s < n; ++s)
      for (std::size_t d = 0; d < dims; ++d) u[d][s] = unit_draw(rng);
    return u;
  }
  std::vector<std::uint32_t> perm(n);
  const double inv_n = 1.0 / static_cast<double>(n);
  for (std::size_t d = 0; d < dims; ++d) {
    for (std::size_t i = 0; i < n; ++i) perm[i] = static_cast<std::uint32_t>(i);
    for (std::size_t i = n; i-- > 1;) std::swap(perm[i], perm[bounded_draw(rng, i + 1)]);  // Fisher-Yates
    for (std::size_t s = 0; s < n; ++s)
      u[d][s] = std::min(1.0, (static_cast<double>(perm[s]) + unit_draw(rng)) * inv_n);
  }
  return u;
}

double map_unit(const VaryEntry& e, double u) {
  const double v = e.kind == Kind::uniform ? e.lo + u * (e.hi - e.lo)
                                           : std::exp(std::log(e.lo) + u * (std::log(e.hi) - std::log(e.lo)));
  return std::clamp(v, e.lo, e.hi);
}

// ---------------------------------------------------------------------------

const std::vector<std::string>& top_level_keys() {
  static const std::vector<std::string> k = {"parameters", "set",         "mesh",    "solver",  "period",
                                             "t_end",      "c_rate",      "current", "initial_soc", "vary",
                                             "combine",    "samples",     "sampling", "seed",
                                             "experiment", "cycles",      "thermal",  "options", "base_dir",
                                             "termination"};
  return k;
}

void check_keys(const Context& cx, const ojson& obj, const std::vector<std::string>& known, const std::string& in) {
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (std::find(known.begin(), known.end(), it.key()) == known.end()) {
      std::string list;
      for (std::size_t i = 0; i < known.size(); ++i) list += (i ? ", " : "") + known[i];
      cx.input("unknown key '" + it.key() + "'" + (in.empty() ? std::string() : " in " + in) +
               did_you_mean(it.key(), known) + "; known keys are " + list);
    }
}

//! "Chen2020" stays a set name; a relative file path resolves against `base_dir`.
std::string resolve_parameters(const std::string& name, const std::string& base_dir) {
  const auto builtin = ParameterSet::builtin_names();
  if (std::find(builtin.begin(), builtin.end(), name) != builtin.end()) return name;
  const bool looks_like_file = name.find('/') != std::string::npos || name.find('.') != std::string::npos;
  if (!looks_like_file || name[0] == '/' || base_dir.empty()) return name;
  return base_dir + "/" + name;
}

//! The one reader of a sweep's description: a config's JSON (`root`), or the same keys
//! built in memory with the set given as an object (`given`, Python's Sweep: make_sweep_spec).
SweepSpec parse_root(const Context& cx, const ojson& root, const std::string& base_dir,
                     const std::optional<CellRange>& cells, const ParameterSet* given = nullptr,
                     const std::string& given_label = std::string()) {
  if (!root.is_object()) cx.input("the config must be a JSON object ({...}), got " + describe(root));
  check_keys(cx, root, top_level_keys(), "");

  SweepSpec spec;
  spec.source = cx.where;
  // the folder of relative file paths: "base_dir" (itself relative to the config's folder),
  // else the config file's folder
  spec.base_dir = base_dir;
  if (root.contains("base_dir")) {
    const std::string dir = get_string(cx, root["base_dir"], "base_dir");
    if (dir.empty()) cx.input("base_dir must be a folder (the one relative drive-cycle and parameter files are read from), got \"\"");
    spec.base_dir = dir[0] == '/' || base_dir.empty() ? dir : base_dir + "/" + dir;
  }

  // Parameter set and shared overrides.
  if (given != nullptr) {
    if (root.contains("parameters"))
      cx.input("parameters: the set is given as an object; the settings cannot name another");
    spec.parameters = given_label.empty() ? given->name() : given_label;
    spec.parameter_set = std::make_shared<const ParameterSet>(*given);
  } else if (root.contains("parameters") && root["parameters"].is_object()) {
    // a parameter file inline (what the Python API sends for sets with user functions)
    spec.parameters_text = root["parameters"].dump();
    spec.parameters = root["parameters"].contains("name") && root["parameters"]["name"].is_string()
                          ? root["parameters"]["name"].get<std::string>()
                          : std::string("inline parameters");
  } else if (root.contains("parameters")) {
    spec.parameters = get_string(cx, root["parameters"], "parameters");
    if (spec.parameters.empty()) cx.input("parameters must be a set name (Chen2020, Marquis2019) or a file, got \"\"");
    spec.parameters = resolve_parameters(spec.parameters, spec.base_dir);
  }
  ParameterSet ps;
  cx.wrap("parameters: ", [&] { ps = load_sweep_parameters(spec); });
  if (root.contains("set")) {
    const ojson& set = get_object(cx, root["set"], "set");
    for (auto it = set.begin(); it != set.end(); ++it) {
      const std::string& name = it.key();
      if (is_special(name)) {
        const char* top = name == sweep_names::kCRate ? "c_rate" : name == sweep_names::kCurrent ? "current"
                                                                                                 : "initial_soc";
        cx.input("set: '" + name + "' is not a parameter of the set; use the top-level key '" + top +
                 "' (or vary it)");
      }
      if (!ps.contains(name)) cx.wrap("set: ", [&] { (void)ps.entry(name); });  // UnknownParameter + suggestions
      const double v = get_number(cx, it.value(), "set '" + name + "'");
      cx.wrap("set: ", [&] { ps.set(name, v); });  // range-checked
      spec.set.emplace_back(name, v);
    }
  }

  // Mesh and solver.
  if (root.contains("mesh")) {
    const ojson& mesh = get_object(cx, root["mesh"], "mesh");
    check_keys(cx, mesh, {"x_n", "x_s", "x_p", "r_n", "r_p"}, "mesh");
    const std::pair<const char*, int*> fields[] = {{"x_n", &spec.mesh.x_n},
                                                   {"x_s", &spec.mesh.x_s},
                                                   {"x_p", &spec.mesh.x_p},
                                                   {"r_n", &spec.mesh.r_n},
                                                   {"r_p", &spec.mesh.r_p}};
    for (const auto& f : fields)
      if (mesh.contains(f.first))
        *f.second = static_cast<int>(get_integer(cx, mesh[f.first], std::string("mesh.") + f.first, 2, kMaxMesh));
  }
  if (root.contains("solver")) {
    const ojson& solver = get_object(cx, root["solver"], "solver");
    check_keys(cx, solver, {"rtol", "atol", "max_steps", "max_wall_time"}, "solver");
    if (solver.contains("rtol")) {
      spec.solver.rtol = get_number(cx, solver["rtol"], "solver.rtol");
      if (!(spec.solver.rtol > 0.0 && spec.solver.rtol < 1.0))
        cx.input("solver.rtol must be in (0, 1), got " + num(spec.solver.rtol));
    }
    if (solver.contains("atol")) {
      spec.solver.atol = get_number(cx, solver["atol"], "solver.atol");
      if (!(spec.solver.atol > 0.0)) cx.input("solver.atol must be positive, got " + num(spec.solver.atol));
    }
    if (solver.contains("max_steps"))  // BDF steps per cell; a cell past it ends with step_limit
      spec.solver.max_steps = static_cast<int>(get_integer(cx, solver["max_steps"], "solver.max_steps", 1, kMaxSolverSteps));
    if (solver.contains("max_wall_time")) {  // seconds per cell; a cell past it ends with time_limit
      spec.solver.max_wall_time = get_number(cx, solver["max_wall_time"], "solver.max_wall_time");
      if (!(spec.solver.max_wall_time > 0.0 && std::isfinite(spec.solver.max_wall_time)))
        cx.input("solver.max_wall_time must be a positive number of seconds, got " + num(spec.solver.max_wall_time));
    }
  }

  // Output times.
  if (root.contains("period")) {
    spec.period = get_number(cx, root["period"], "period");
    if (!(spec.period > 0.0)) cx.input("period must be positive (seconds between outputs), got " + num(spec.period));
  }
  if (root.contains("t_end")) {
    spec.t_end = get_number(cx, root["t_end"], "t_end");
    if (!(spec.t_end > 0.0)) cx.input("t_end must be positive (seconds), got " + num(spec.t_end));
  }

  // Protocol and initial state shared by every cell.
  if (root.contains("c_rate") && root.contains("current"))
    cx.input("c_rate and current cannot both be given; give one of them");
  for (const char* k : {"c_rate", "current"})
    if (root.contains(k)) {
      const double v = get_number(cx, root[k], k);
      if (v == 0.0 || !std::isfinite(v))
        cx.invalid(std::string(k) + " must be non-zero (positive = discharge, negative = charge), got " + num(v));
      (std::string(k) == "c_rate" ? spec.c_rate : spec.current) = v;
    }
  // PyBaMM's voltage form, "3.9 V": the SOC whose open-circuit voltage that is (as
  // ionflux simulate --soc), found once the varied entries are known (below)
  std::optional<double> soc_volts;
  if (root.contains("initial_soc") && root["initial_soc"].is_string()) {
    const std::string text = trim(root["initial_soc"].get<std::string>());
    const std::optional<std::string> volts = volts_text(text);
    char* end = nullptr;
    const double v = volts && !volts->empty() ? std::strtod(volts->c_str(), &end) : 0.0;
    if (!volts || volts->empty() || !end || *end != '\0' || !std::isfinite(v))
      cx.input("initial_soc must be a number in [0, 1] or a voltage such as \"3.9 V\", got \"" + text + "\"");
    soc_volts = v;
  } else if (root.contains("initial_soc")) {
    const double v = get_number(cx, root["initial_soc"], "initial_soc");
    if (!(v >= 0.0 && v <= 1.0)) cx.invalid("initial_soc must be in [0, 1], got " + num(v));
    spec.initial_soc = v;
  }

  // How values combine.
  if (root.contains("combine")) {
    spec.combine = get_string(cx, root["combine"], "combine");
    if (spec.combine != "grid" && spec.combine != "zip")
      cx.input("combine must be \"grid\" or \"zip\", got \"" + spec.combine + "\"" +
               did_you_mean(spec.combine, {"grid", "zip"}));
  }
  bool lhs = false;
  if (root.contains("sampling")) {
    const std::string s = get_string(cx, root["sampling"], "sampling");
    if (s != "random" && s != "latin_hypercube")
      cx.input("sampling must be \"random\" or \"latin_hypercube\", got \"" + s + "\"" +
               did_you_mean(s, {"random", "latin_hypercube"}));
    lhs = s == "latin_hypercube";
  }
  std::size_t samples = 0;
  if (root.contains("samples"))
    samples = static_cast<std::size_t>(
        get_integer(cx, root["samples"], "samples", 1, static_cast<std::int64_t>(kMaxCells)));
  if (root.contains("seed")) {
    const ojson& s = root["seed"];
    if (!s.is_number_unsigned())
      cx.input("seed must be a non-negative integer (at most 18446744073709551615), got " + describe(s));
    spec.seed = s.get<std::uint64_t>();
  }

  // Protocol: experiment strings (a list of steps = one cycle, or a list of lists =
  // cycles), cycles, thermal model.
  std::vector<std::string> placeholders;
  if (root.contains("experiment")) {
    const ojson& ex = root["experiment"];
    if (!ex.is_array() || ex.empty())
      cx.input("experiment must be a non-empty list of step strings (or of lists of them, one per cycle), got " +
               describe(ex));
    bool last_was_string = false;  // consecutive bare strings form one cycle
    for (const ojson& item : ex) {
      if (item.is_string()) {
        if (!last_was_string) spec.experiment.emplace_back();
        spec.experiment.back().push_back(item.get<std::string>());
        last_was_string = true;
      } else if (item.is_array() && !item.empty()) {
        last_was_string = false;
        std::vector<std::string> cycle;
        for (const ojson& st : item) cycle.push_back(get_string(cx, st, "experiment step"));
        spec.experiment.push_back(cycle);
      } else {
        cx.input("experiment: each element must be a step string or a non-empty list of them, got " + describe(item));
      }
    }
    for (const auto& cycle : spec.experiment)
      for (const std::string& st : cycle) {
        std::size_t pos = 0;
        while ((pos = st.find('{', pos)) != std::string::npos) {
          const std::size_t end = st.find('}', pos);
          if (end == std::string::npos) cx.input("experiment step '" + st + "': '{' without a closing '}'");
          placeholders.push_back(st.substr(pos + 1, end - pos - 1));
          pos = end + 1;
        }
      }
  }
  if (!spec.experiment.empty())
    for (const char* k : {"c_rate", "current"})
      if (root.contains(k))
        cx.input(std::string(k) + " cannot be given with an experiment: the steps set the current (use a "
                 "placeholder such as \"Discharge at {C-rate}C until 2.5 V\" to vary it)");
  if (root.contains("cycles")) {
    spec.cycles = static_cast<int>(get_integer(cx, root["cycles"], "cycles", 1, 100000));
    if (spec.experiment.empty()) cx.input("cycles needs an experiment");
  }
  if (root.contains("termination")) {  // PyBaMM's Experiment(termination=...): a string or a list of them
    const ojson& t = root["termination"];
    std::vector<std::string> terms;
    if (t.is_array())
      for (std::size_t k = 0; k < t.size(); ++k) terms.push_back(get_string(cx, t[k], "termination"));
    else
      terms.push_back(get_string(cx, t, "termination"));
    if (spec.experiment.empty()) cx.input("termination needs an experiment (it is checked at the end of each cycle)");
    cx.wrap("", [&] { spec.experiment_end = parse_experiment_termination(terms); });
    // a time termination ends every cell there (or at an earlier t_end)
    if (const std::optional<double> t = time_termination_end(spec.experiment_end, spec.t_end)) spec.t_end = *t;
  }
  if (root.contains("thermal")) {
    const std::string t = get_string(cx, root["thermal"], "thermal");
    if (t != "isothermal" && t != "lumped")
      cx.input("thermal must be \"isothermal\" or \"lumped\", got \"" + t + "\"" +
               did_you_mean(t, {"isothermal", "lumped"}));
    spec.lumped_thermal = t == "lumped";
  }
  if (root.contains("options")) {
    // PyBaMM's model options: {"SEI": "solvent-diffusion limited", "lithium plating":
    // ["partially reversible", "none"], ...}; a 2-tuple as a JSON array of two strings
    // (or the string "(a, b)").
    const ojson& opts = get_object(cx, root["options"], "options");
    for (auto it = opts.begin(); it != opts.end(); ++it) {
      const ojson& v = it.value();
      const std::string key = "options: '" + it.key() + "'";
      if (v.is_string()) {
        cx.wrap(key + ": ", [&] { spec.options.emplace_back(it.key(), parse_option_value(v.get<std::string>())); });
      } else if (v.is_array() && v.size() == 2 && v[0].is_string() && v[1].is_string()) {
        spec.options.emplace_back(it.key(), OptionValue(v[0].get<std::string>(), v[1].get<std::string>()));
      } else {
        cx.input(key + " must be a string or a pair [negative, positive] of strings, got " + describe(v));
      }
    }
    // PyBaMM's "thermal" (isothermal / lumped) is the config's "thermal"
    if (const std::optional<bool> lumped = take_thermal_option(spec.options)) {
      if (root.contains("thermal") && *lumped != spec.lumped_thermal)
        cx.input(std::string("options: 'thermal': '") + (*lumped ? "lumped" : "isothermal") + "' and \"thermal\": \"" +
                 (spec.lumped_thermal ? "lumped" : "isothermal") + "\" disagree; give one of them");
      spec.lumped_thermal = *lumped;
    }
    cx.wrap("options: ", [&] { spec.model = resolve_model_options(spec.options); });
  }

  // Varied names.
  std::vector<VaryEntry> entries;
  if (root.contains("vary")) {
    const ojson& vary = get_object(cx, root["vary"], "vary");
    for (auto it = vary.begin(); it != vary.end(); ++it)
      entries.push_back(parse_vary_entry(cx, ps, it.key(), it.value(), placeholders));
  }
  for (const std::string& ph : placeholders)
    if (std::none_of(entries.begin(), entries.end(), [&](const VaryEntry& e) { return e.name == ph; }))
      cx.input("experiment: placeholder '{" + ph + "}' has no entry of that name in vary");
  if (!spec.experiment.empty())
    for (const VaryEntry& e : entries)
      if (is_protocol(e.name) && std::find(placeholders.begin(), placeholders.end(), e.name) == placeholders.end())
        cx.input("vary '" + e.name + "': with an experiment the steps set the current; use it as a placeholder, e.g. "
                 "\"Discharge at {" + e.name + "}" + (e.name == sweep_names::kCRate ? "C" : " A") + " until 2.5 V\"");
  const auto has = [&](const char* n) {
    return std::any_of(entries.begin(), entries.end(), [&](const VaryEntry& e) { return e.name == n; });
  };
  {
    std::vector<std::string> currents;  // each sets the cell's current: at most one may vary
    for (const char* n : {sweep_names::kCRate, sweep_names::kCurrent, sweep_names::kCurrentFunction})
      if (has(n) && std::find(placeholders.begin(), placeholders.end(), n) == placeholders.end()) currents.push_back(n);
    if (currents.size() > 1)
      cx.input("vary: '" + currents[0] + "' and '" + currents[1] + "' cannot both be varied (each sets the cell's "
               "current); vary one of them");
  }
  const std::size_t n_random = static_cast<std::size_t>(
      std::count_if(entries.begin(), entries.end(), [](const VaryEntry& e) { return e.random(); }));
  if (n_random > 0 && samples == 0)
    cx.input("samples is required: vary has random entries (uniform/loguniform); give the number of samples");
  if (n_random == 0 && root.contains("samples"))
    cx.input("samples is given but no vary entry is random (uniform or loguniform); remove it");
  if (n_random == 0 && root.contains("sampling"))
    cx.input("sampling is given but no vary entry is random (uniform or loguniform); remove it");
  spec.n_sampled = n_random;
  if (n_random > 0) spec.sampling = lhs ? "latin_hypercube" : "random", spec.samples = samples;

  // Cell count (checked before anything is expanded).
  std::size_t n_cells = 1;
  if (entries.empty()) {
    // one cell, nothing varied
  } else if (spec.combine == "zip") {
    std::string lengths;
    std::size_t common = 0;
    bool differ = false;
    for (const auto& e : entries) {
      if (e.random()) continue;
      if (common == 0) common = e.values.size();
      differ |= e.values.size() != common;
      lengths += (lengths.empty() ? "'" : ", '") + e.name + "' has " + std::to_string(e.values.size());
    }
    if (differ) cx.input("combine \"zip\" needs lists of the same length: " + lengths);
    if (n_random > 0 && common != 0 && samples != common)
      cx.input("combine \"zip\": samples is " + std::to_string(samples) + " but the lists have " +
               std::to_string(common) + " values; they must be equal");
    n_cells = common != 0 ? common : samples;
  } else {
    std::string dims;
    long double product = 1.0L;
    bool block_seen = false;
    for (const auto& e : entries) {
      std::size_t len = e.values.size();
      if (e.random()) {
        if (block_seen) continue;
        block_seen = true;
        len = samples;
      }
      product *= static_cast<long double>(len);
      dims += (dims.empty() ? "" : " x ") + std::to_string(len);
    }
    if (product > static_cast<long double>(kMaxCells)) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.4Lg", product);
      cx.input("combine \"grid\": " + dims + " = " + buf + " cells is too many (at most " +
               std::to_string(kMaxCells) + "); use fewer values or combine \"zip\"");
    }
    n_cells = static_cast<std::size_t>(product);
  }

  // Generate: the sampled block (one point = one value per random entry), then combine.
  std::vector<std::vector<double>> block;  // block[r][s], r over random entries in config order
  if (n_random > 0) {
    const auto u = unit_samples(n_random, samples, lhs, spec.seed);
    std::size_t r = 0;
    for (const auto& e : entries)
      if (e.random()) {
        block.emplace_back(samples);
        for (std::size_t s = 0; s < samples; ++s) block.back()[s] = map_unit(e, u[r][s]);
        ++r;
      }
  }
  for (const auto& e : entries) spec.varied.push_back(e.name);
  if (soc_volts) {
    // The SOC of a voltage depends on the cell's parameters. When only the protocol varies
    // (the current, a step's placeholder: neither is applied to the cell's parameters),
    // every cell has the set's: found here once. Otherwise each cell's own is found from
    // its parameters when the sweep is planned (solver/problem/sweep_plan.cpp), and a cell
    // whose window does not hold the voltage fails alone, as an invalid cell.
    bool parameters_vary = false;
    for (const std::string& name : spec.varied)
      parameters_vary |= !is_protocol(name) && name != sweep_names::kInitialSoc &&
                         std::find(placeholders.begin(), placeholders.end(), name) == placeholders.end();
    for (const std::string& name : spec.varied)
      if (name == sweep_names::kInitialSoc)
        cx.input("initial_soc \"" + shortest_num(*soc_volts) + " V\" and a varied '" + name +
                 "' both set the initial state: give one of them");
    if (parameters_vary) {
      // outside the set's SOC window every cell would fail alone: say so once (each end
      // that does not vary; a varied end is each cell's own)
      const char* const ends[] = {"Open-circuit voltage at 0% SOC [V]", "Open-circuit voltage at 100% SOC [V]"};
      auto varies = [&](const char* e) { return std::find(spec.varied.begin(), spec.varied.end(), e) != spec.varied.end(); };
      cx.wrap("initial_soc: ", [&] {  // (a set without them: UnknownParameter, as for one SOC)
        const double lo = ps.get(ends[0]), hi = ps.get(ends[1]);
        if ((!varies(ends[0]) && !(*soc_volts >= lo)) || (!varies(ends[1]) && !(*soc_volts <= hi)))
          throw InvalidParameter("\"" + shortest_num(*soc_volts) + " V\" is outside the set's open-circuit voltages "
                                 "at 0% and 100% SOC, [" + num(lo) + ", " + num(hi) + "] V");
      });
      spec.initial_voltage = *soc_volts;
    } else {
      cx.wrap("initial_soc: ", [&] { spec.initial_soc = soc_at_voltage(ps, *soc_volts); });
    }
  }
  // A cell range: only its cells' values are made (cell 0's are kept for the whole
  // sweep's checks: index 0 of every entry, in a grid as in a zip).
  std::size_t first = 0, last = n_cells;
  if (cells) {
    first = cells->first;
    last = cells->last == CellRange::kToEnd ? n_cells : cells->last;
    if (!(first < last && last <= n_cells))
      throw InputError("cells " + std::to_string(first) + ":" +
                       (cells->last == CellRange::kToEnd ? std::string() : std::to_string(last)) +
                       " are not a non-empty range of this sweep's " + std::to_string(n_cells) + " cells (0:" +
                       std::to_string(n_cells) + " is all of them)");
    spec.first_cell = first;
    spec.sweep_cells = n_cells;
    std::size_t r = 0;
    for (const auto& e : entries) spec.first_values.push_back(e.random() ? block[r++][0] : e.values[0]);
  }
  spec.values.assign(entries.size(), std::vector<double>());
  if (spec.combine == "zip") {
    std::size_t r = 0;
    for (std::size_t v = 0; v < entries.size(); ++v) {
      std::vector<double>& src = entries[v].random() ? block[r++] : entries[v].values;
      if (cells) spec.values[v].assign(src.begin() + static_cast<std::ptrdiff_t>(first),
                                       src.begin() + static_cast<std::ptrdiff_t>(last));
      else spec.values[v] = std::move(src);
    }
  } else {
    // Axes in config order (first slowest); the sampled block is the axis of the first random entry.
    std::vector<std::size_t> axis_of(entries.size()), axis_len;
    std::size_t block_axis = 0;
    bool block_seen = false;
    for (std::size_t v = 0; v < entries.size(); ++v) {
      if (entries[v].random()) {
        if (!block_seen) block_seen = true, block_axis = axis_len.size(), axis_len.push_back(samples);
        axis_of[v] = block_axis;
      } else {
        axis_of[v] = axis_len.size();
        axis_len.push_back(entries[v].values.size());
      }
    }
    std::vector<std::size_t> stride(axis_len.size(), 1);
    for (std::size_t a = axis_len.size(); a-- > 1;) stride[a - 1] = stride[a] * axis_len[a];
    std::size_t r = 0;
    for (std::size_t v = 0; v < entries.size(); ++v) {
      const std::vector<double>& src = entries[v].random() ? block[r++] : entries[v].values;
      const std::size_t a = axis_of[v], st = stride[a], len = axis_len[a];
      auto& row = spec.values[v];
      row.resize(last - first);
      for (std::size_t c = first; c < last; ++c) row[c - first] = src[(c / st) % len];
    }
  }
  return spec;
}

SweepSpec parse_impl(const std::string& text, const std::string& where, const std::string& base_dir,
                     const std::optional<CellRange>& cells) {
  const Context cx{where};
  return parse_root(cx, parse_json(cx, text), base_dir, cells);
}

}  // namespace

SweepSpec parse_sweep_config(const std::string& json_text, const std::string& where,
                             const std::optional<CellRange>& cells) {
  return parse_impl(json_text, where, "", cells);
}

SweepSpec make_sweep_spec(const ParameterSet& ps, const std::string& label, const nlohmann::ordered_json& settings,
                          const std::string& where, const std::optional<CellRange>& cells) {
  return parse_root(Context{where}, settings, "", cells, &ps, label);
}

SweepSpec load_sweep_config(const std::string& path, const std::optional<CellRange>& cells) {
  errno = 0;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    const int err = errno;
    throw InputError("cannot read sweep config '" + path + "': " + (err ? std::strerror(err) : "cannot open"));
  }
  std::string text;
  char buf[65536];
  std::size_t got = 0;
  while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, got);
  const int err = std::ferror(f) ? errno : 0;
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) throw InputError("cannot read sweep config '" + path + "': " + (err ? std::strerror(err) : "read error"));
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? std::string() : slash == 0 ? std::string("/") : path.substr(0, slash);
  return parse_impl(text, path, dir, cells);
}

ParameterSet load_sweep_parameters(const SweepSpec& spec) {
  if (spec.parameter_set) return *spec.parameter_set;
  if (!spec.parameters_text.empty()) return parse_parameter_file(spec.parameters_text, "inline parameters");
  return ParameterSet::load(spec.parameters);
}

}  // namespace ionflux
