// ionflux's JSON parameter files: reading (with every check done before a run) and
// writing. The format is documented in docs/parameter_files.md.
#include "solver/inputs/parameter_file.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <unordered_set>
#include <utility>

#include <nlohmann/json.hpp>

#include "solver/inputs/bpx.hpp"
#include "solver/inputs/builtin_sets.hpp"
#include "solver/inputs/degradation_params.hpp"
#include "solver/util/errors.hpp"
#include "solver/inputs/json_text.hpp"
#include "solver/inputs/shipped_sets.hpp"
#include "solver/util/text.hpp"
#include "solver/inputs/user_function.hpp"

namespace ionflux {
namespace {

using ojson = nlohmann::ordered_json;

const char* const kFormatKey = "ionflux parameter file";
const std::vector<std::string> kTopLevelKeys = {kFormatKey, "base", "name", "description", "parameters"};

// ---------------------------------------------------------------------------
// Names and functions known from the built-in sets

std::vector<const std::vector<Entry>*> builtin_sets() { return {&builtin::chen2020(), &builtin::marquis2019()}; }

struct FunctionInfo {
  std::string name;
  FunctionRef ref;                 //!< with the constants of the set that defines it
  std::vector<std::string> kinds;  //!< parameter_kind() of the parameters it serves in the built-in sets
};

const std::vector<FunctionInfo>& function_table() {
  static const std::vector<FunctionInfo> table = [] {
    std::vector<FunctionInfo> t;
    for (const auto* set : builtin_sets())
      for (const Entry& e : *set) {
        if (!e.is_function()) continue;
        auto it = std::find_if(t.begin(), t.end(), [&](const FunctionInfo& f) { return f.name == e.function_name; });
        if (it == t.end()) it = t.insert(t.end(), FunctionInfo{e.function_name, e.function, {}});
        const std::string k = parameter_kind(e.name);
        if (std::find(it->kinds.begin(), it->kinds.end(), k) == it->kinds.end()) it->kinds.push_back(k);
      }
    // the degradation functions of the shipped sets (constants filled per cell from the
    // set's parameters: degradation_params.cpp)
    for (const auto& d : degradation_functions()) {
      FunctionRef ref;
      ref.id = d.id;
      t.push_back(FunctionInfo{d.name, ref, {d.kind}});
    }
    return t;
  }();
  return table;
}

bool fits(const FunctionInfo& f, const std::string& key) {
  return std::find(f.kinds.begin(), f.kinds.end(), parameter_kind(key)) != f.kinds.end();
}

std::vector<std::string> functions_for(const std::string& key) {
  std::vector<std::string> r;
  for (const auto& f : function_table())
    if (fits(f, key)) r.push_back(f.name);
  return r;
}

//! Up to `count` candidates closest to `word` (case-insensitive edit distance), close
//! enough to be a likely typo.
std::vector<std::string> nearest(const std::string& word, const std::vector<std::string>& candidates, int count) {
  std::vector<std::pair<std::size_t, std::string>> scored;
  const std::string w = to_lower(word);
  for (const auto& c : candidates) {
    const std::string lc = to_lower(c);
    std::size_t d = edit_distance(w, lc);
    // an abbreviation ("interp" for "interpolator") is a close match
    if (w.size() >= 3 && lc.size() >= 3 && (lc.rfind(w, 0) == 0 || w.rfind(lc, 0) == 0)) d = std::min<std::size_t>(d, 1);
    scored.emplace_back(d, c);
  }
  std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  const std::size_t limit = std::max<std::size_t>(6, word.size() / 2);
  std::vector<std::string> r;
  for (const auto& s : scored) {
    if (static_cast<int>(r.size()) >= count || s.first > limit) break;
    r.push_back(s.second);
  }
  return r;
}

std::string did_you_mean(const std::vector<std::string>& near) {
  if (near.empty()) return "";
  std::string r = " (did you mean ";
  for (std::size_t i = 0; i < near.size(); ++i) r += (i == 0 ? "" : i + 1 == near.size() ? " or " : ", ") + ("'" + near[i] + "'");
  return r + "?)";
}

// ---------------------------------------------------------------------------
// Errors: one line, naming the file

class Reader {
 public:
  explicit Reader(std::string source) : prefix_("parameter file '" + std::move(source) + "': ") {}
  [[noreturn]] void input(const std::string& msg) const { throw InputError(prefix_ + msg); }
  [[noreturn]] void unknown(const std::string& msg) const { throw UnknownParameter(prefix_ + msg); }
  [[noreturn]] void invalid(const std::string& msg) const { throw InvalidParameter(prefix_ + msg); }
  //! Run f; an InputError it throws gets the file prefix (and keeps its kind).
  template <class F>
  auto named(F f) const {
    try {
      return f();
    } catch (const UnknownParameter& e) {
      unknown(e.what());
    } catch (const InvalidParameter& e) {
      invalid(e.what());
    } catch (const InputError& e) {
      input(e.what());
    }
  }

 private:
  std::string prefix_;
};

std::string describe(const ojson& j) { return json_kind(j); }

// ---------------------------------------------------------------------------
// JSON text -> value, with line/column and duplicate keys

ojson parse_json(const Reader& rd, const std::string& text) {
  return parse_json_checked(text, [&](const std::string& m) { rd.input(m); });
}

// ---------------------------------------------------------------------------
// One parameter value -> Entry

std::vector<double> read_numbers(const Reader& rd, const std::string& key, const ojson& obj, const char* field) {
  const ojson& a = obj.at(field);
  if (!a.is_array())
    rd.invalid("'" + key + "': table \"" + field + "\" must be an array of numbers, got " + describe(a));
  std::vector<double> r;
  r.reserve(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_number())
      rd.invalid("'" + key + "': table \"" + field + "\"[" + std::to_string(i) + "] must be a number, got " +
                 describe(a[i]));
    r.push_back(a[i].get<double>());
  }
  return r;
}

const std::vector<std::string> kTableKeys = {"x", "y", "interpolator", "expression"};

Entry read_table(const Reader& rd, const std::string& key, const ojson& v) {
  for (auto it = v.begin(); it != v.end(); ++it)
    if (std::find(kTableKeys.begin(), kTableKeys.end(), it.key()) == kTableKeys.end())
      rd.invalid("'" + key + "': unknown table key '" + it.key() + "'" + did_you_mean(nearest(it.key(), kTableKeys, 1)) +
                 "; a table has " + quoted_list(kTableKeys));
  for (const char* f : {"x", "y"})
    if (!v.contains(f)) rd.invalid("'" + key + "': a table needs \"x\" and \"y\" (missing \"" + f + "\")");
  std::string interpolator = "pchip", expression;
  if (v.contains("interpolator")) {
    if (!v.at("interpolator").is_string())
      rd.invalid("'" + key + "': \"interpolator\" must be \"linear\", \"pchip\" or \"cubic\", got " +
                 describe(v.at("interpolator")));
    interpolator = v.at("interpolator").get<std::string>();
  }
  if (v.contains("expression")) {
    if (!v.at("expression").is_string())
      rd.invalid("'" + key + "': \"expression\" must be a string, got " + describe(v.at("expression")));
    expression = v.at("expression").get<std::string>();
  }
  std::vector<double> x = read_numbers(rd, key, v, "x"), y = read_numbers(rd, key, v, "y");
  return rd.named([&] { return user_function_entry(key, UserFunctionSource::table(key, x, y, interpolator, expression)); });
}

Entry read_entry(const Reader& rd, const std::string& key, const ojson& v) {
  FunctionSignature sig;
  const bool takes_function = function_signature(key, sig);
  const std::string expected = takes_function
                                   ? "expected a number, an expression string, a table {\"x\": [...], \"y\": [...]} "
                                     "or {\"function\": NAME}"
                                   : "expected a number";
  if (v.is_number()) {
    const double x = v.get<double>();
    rd.named([&] { check_parameter_range(key, x); });
    Entry e{key, x, FunctionRef{}, "", nullptr};
    e.function.p[0] = x;  // as ParameterSet::set: a constant function of value x
    return e;
  }
  if (!takes_function) rd.invalid("'" + key + "' takes a number; " + expected + ", got " + describe(v));
  if (v.is_string()) {
    const std::string text = v.get<std::string>();
    return rd.named([&] { return user_function_entry(key, UserFunctionSource::expression(key, text)); });
  }
  if (!v.is_object()) rd.invalid("'" + key + "': " + expected + ", got " + describe(v));
  if (v.contains("x") || v.contains("y")) return read_table(rd, key, v);
  if (!v.contains("function") || v.size() != 1) {
    std::vector<std::string> keys;
    for (auto it = v.begin(); it != v.end(); ++it) keys.push_back(it.key());
    rd.invalid("'" + key + "': " + expected + ", got an object with keys " +
               (keys.empty() ? std::string("(none)") : quoted_list(keys)));
  }
  const ojson& f = v.at("function");
  if (!f.is_string()) rd.invalid("'" + key + "': the function name must be a string, got " + describe(f));
  const std::string fname = f.get<std::string>();
  const std::vector<std::string> allowed = functions_for(key);
  const auto& table = function_table();
  const auto it = std::find_if(table.begin(), table.end(), [&](const FunctionInfo& i) { return i.name == fname; });
  if (allowed.empty())
    rd.invalid("'" + key + "' has no built-in functions (got {\"function\": \"" + fname +
               "\"}); give an expression or a table");
  const std::string listing = "; built-in functions for it: " + quoted_list(allowed);
  if (it == table.end())
    rd.invalid("'" + key + "': unknown function '" + fname + "'" + did_you_mean(nearest(fname, allowed, 1)) + listing);
  if (!fits(*it, key))
    rd.invalid("'" + key + "': function '" + fname + "' is a function for '" + it->kinds.front() +
               "', not for this parameter" + listing);
  return Entry{key, 0.0, it->ref, fname, nullptr};
}

void check_top_level(const Reader& rd, const ojson& top) {
  if (!top.is_object()) rd.input("expected a JSON object ({...}) at the top level, got " + describe(top));
  for (auto it = top.begin(); it != top.end(); ++it)
    if (std::find(kTopLevelKeys.begin(), kTopLevelKeys.end(), it.key()) == kTopLevelKeys.end())
      rd.input("unknown top-level key '" + it.key() + "'" + did_you_mean(nearest(it.key(), kTopLevelKeys, 1)) +
               "; the keys are " + quoted_list(kTopLevelKeys));
  if (!top.contains(kFormatKey))
    rd.input("not an ionflux parameter file: the top level needs \"" + std::string(kFormatKey) + "\": " +
             std::to_string(kParameterFileVersion) + " (see docs/parameter_files.md)");
  const ojson& ver = top.at(kFormatKey);
  if (!ver.is_number_integer() || ver.get<long long>() != kParameterFileVersion)
    rd.input("unsupported \"" + std::string(kFormatKey) + "\" version " + ver.dump() + "; this ionflux reads version " +
             std::to_string(kParameterFileVersion));
  if (top.contains("name") && !top.at("name").is_string())
    rd.input("\"name\" must be a string, got " + describe(top.at("name")));
  if (top.contains("description") && !top.at("description").is_string())
    rd.input("\"description\" must be a string, got " + describe(top.at("description")));
  if (top.contains("base") && !top.at("base").is_string())
    rd.input("\"base\" must be the name of a built-in set (a string), got " + describe(top.at("base")));
  if (!top.contains("parameters")) rd.input("missing \"parameters\": {NAME: VALUE, ...}");
  if (!top.at("parameters").is_object())
    rd.input("\"parameters\" must be an object ({NAME: VALUE, ...}), got " + describe(top.at("parameters")));
}

}  // namespace

// ---------------------------------------------------------------------------

const std::vector<std::string>& required_parameter_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> r;
    for (const std::string D : {"Negative", "Positive"}) {
      const std::string d = to_lower(D);
      for (const char* s : {" electrode thickness [m]", " electrode porosity", " electrode active material volume fraction",
                            " particle radius [m]", " electrode Bruggeman coefficient (electrolyte)",
                            " electrode Bruggeman coefficient (electrode)", " electrode conductivity [S.m-1]"})
        r.push_back(D + s);
      r.push_back("Maximum concentration in " + d + " electrode [mol.m-3]");
      r.push_back("Initial concentration in " + d + " electrode [mol.m-3]");
      for (const char* s : {" electrode OCP [V]", " electrode OCP entropic change [V.K-1]",
                            " electrode exchange-current density [A.m-2]", " particle diffusivity [m2.s-1]"})
        r.push_back(D + s);
    }
    for (const char* s :
         {"Separator thickness [m]", "Separator porosity", "Separator Bruggeman coefficient (electrolyte)",
          "Electrode height [m]", "Electrode width [m]", "Number of electrodes connected in parallel to make a cell",
          "Initial concentration in electrolyte [mol.m-3]", "Electrolyte diffusivity [m2.s-1]",
          "Electrolyte conductivity [S.m-1]", "Cation transference number", "Thermodynamic factor",
          "Ambient temperature [K]", "Reference temperature [K]", "Lower voltage cut-off [V]",
          "Upper voltage cut-off [V]", "Nominal cell capacity [A.h]", "Current function [A]",
          "Open-circuit voltage at 0% SOC [V]", "Open-circuit voltage at 100% SOC [V]"})
      r.push_back(s);
    return r;
  }();
  return names;
}

namespace {
//! The first names of known_parameter_names, in its order: those of the compiled sets and
//! every degradation parameter (only the model options that need them read them).
const std::vector<std::string>& compiled_parameter_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> r;
    for (const auto* set : builtin_sets())
      for (const Entry& e : *set)
        if (std::find(r.begin(), r.end(), e.name) == r.end()) r.push_back(e.name);
    for (const auto& n : degradation_parameter_names())
      if (std::find(r.begin(), r.end(), n) == r.end()) r.push_back(n);
    return r;
  }();
  return names;
}
}  // namespace

bool is_known_parameter_name(const std::string& name) {
  // The shipped files are parsed (~2 ms, issue 14) only for a name outside the compiled ones.
  static const std::unordered_set<std::string> compiled(compiled_parameter_names().begin(),
                                                         compiled_parameter_names().end());
  if (compiled.count(name) != 0) return true;
  const auto& known = known_parameter_names();
  return std::find(known.begin(), known.end(), name) != known.end();
}

const std::vector<std::string>& known_parameter_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> r = compiled_parameter_names();
    // and every name the shipped parameter-file sets use
    for (const auto& s : shipped_set_files()) {
      const ojson top = ojson::parse(s.second);
      for (auto it = top.at("parameters").begin(); it != top.at("parameters").end(); ++it)
        if (std::find(r.begin(), r.end(), it.key()) == r.end()) r.push_back(it.key());
    }
    return r;
  }();
  return names;
}

std::vector<std::string> builtin_function_names() {
  std::vector<std::string> r;
  for (const auto& f : function_table()) r.push_back(f.name);
  return r;
}

namespace {
//! parse_parameter_file; `shipped`: the text is one of shipped_set_files(), whose keys are
//! known names by definition (known_parameter_names holds them) and are not looked up.
ParameterSet parse_file(const std::string& text, const std::string& source, bool shipped) {
  const Reader rd(source);
  const ojson top = parse_json(rd, text);
  // A BPX file (top level "Header"/"Parameterisation", no format key): solver/inputs/bpx.cpp.
  if (top.is_object() && !top.contains(kFormatKey) && (top.contains("Header") || top.contains("Parameterisation")))
    return parse_bpx(text, source);
  check_top_level(rd, top);

  std::vector<Entry> entries;
  const bool has_base = top.contains("base");
  if (has_base) {
    const std::string base = top.at("base").get<std::string>();
    const auto sets = ParameterSet::builtin_names();
    if (std::find(sets.begin(), sets.end(), base) == sets.end())
      rd.input("\"base\": unknown built-in set '" + base + "'" + did_you_mean(nearest(base, sets, 1)) +
               "; built-in sets are " + quoted_list(sets));
    const ParameterSet b = ParameterSet::load(base);
    for (const auto& n : b.names()) entries.push_back(b.entry(n));
  }

  const ojson& params = top.at("parameters");
  for (auto it = params.begin(); it != params.end(); ++it) {
    const std::string& key = it.key();
    if (!shipped && !is_known_parameter_name(key))
      rd.unknown("unknown parameter '" + key + "'" + did_you_mean(nearest(key, known_parameter_names(), 3)));
    Entry e = read_entry(rd, key, it.value());
    auto at = std::find_if(entries.begin(), entries.end(), [&](const Entry& x) { return x.name == key; });
    if (at != entries.end()) *at = std::move(e);
    else entries.push_back(std::move(e));
  }

  if (!has_base) {
    std::vector<std::string> missing;
    for (const auto& n : required_parameter_names())
      if (std::none_of(entries.begin(), entries.end(), [&](const Entry& e) { return e.name == n; }))
        missing.push_back(n);
    if (!missing.empty())
      rd.input("missing " + std::to_string(missing.size()) + " required parameter" +
               (missing.size() == 1 ? "" : "s") + " (give them, or start from a built-in set with \"base\"): " +
               quoted_list(missing));
  }

  ParameterSet ps = ParameterSet::from_entries(top.contains("name") ? top.at("name").get<std::string>() : source,
                                               std::move(entries));
  if (top.contains("description")) ps.set_description(top.at("description").get<std::string>());
  rd.named([&] { (void)ps.cell_params(1.0); });  // cross-parameter checks (validate) and functions
  return ps;
}
}  // namespace

ParameterSet parse_parameter_file(const std::string& text, const std::string& source) {
  return parse_file(text, source, false);
}

ParameterSet parse_shipped_parameter_file(const std::string& text, const std::string& name) {
  return parse_file(text, name, true);
}

ParameterSet load_parameter_file(const std::string& path) {
  return parse_parameter_file(read_text_file(path, "parameter file"), path);
}

std::string to_json(const ParameterSet& ps) {
  ojson j;
  j[kFormatKey] = kParameterFileVersion;
  j["name"] = ps.name();
  if (!ps.description().empty()) j["description"] = ps.description();
  ojson params = ojson::object();
  for (const auto& n : ps.names()) {
    const Entry& e = ps.entry(n);
    if (e.user && !e.user->has_table()) {
      params[n] = e.user->expression_text();
    } else if (e.user) {
      ojson t = ojson::object();
      t["x"] = e.user->x();
      t["y"] = e.user->y();
      t["interpolator"] = e.user->interpolator();
      if (!e.user->expression_text().empty()) t["expression"] = e.user->expression_text();
      params[n] = std::move(t);
    } else if (e.is_function()) {
      params[n] = ojson{{"function", e.function_name}};
    } else {
      params[n] = e.value;
    }
  }
  j["parameters"] = std::move(params);
  return j.dump(2) + "\n";
}

}  // namespace ionflux
