// BPX import: JSON -> checks (bpx 1.1's schema, strict as bpx is) -> PyBaMM's
// create_from_bpx mapping -> ParameterSet. Each step of the mapping cites what it copies
// from pybamm/parameters/bpx.py (26.10.1.1) or parameter_values.py (_create_from_bpx).
#include "solver/inputs/bpx.hpp"

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <numeric>
#include <optional>
#include <regex>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "solver/util/errors.hpp"
#include "solver/inputs/expression.hpp"
#include "solver/inputs/json_text.hpp"
#include "solver/inputs/parameter_file.hpp"
#include "solver/problem/problem.hpp"
#include "solver/util/text.hpp"
#include "solver/inputs/user_function.hpp"

namespace ionflux {
namespace {

using ojson = nlohmann::ordered_json;

// ---------------------------------------------------------------------------
// Small helpers

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t bd = std::string::npos;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(to_lower(word), to_lower(c));
    if (d < bd) bd = d, best = c;
  }
  if (best.empty() || bd > std::max<std::size_t>(4, word.size() / 3)) return "";
  return " (did you mean '" + best + "'?)";
}

std::string describe(const ojson& j) { return json_kind(j); }

//! "'Parameterisation' > 'Cell' > 'Electrode area [m2]'"
std::string path_of(const std::vector<std::string>& parts) {
  std::string r;
  for (std::size_t i = 0; i < parts.size(); ++i) r += (i ? " > '" : "'") + parts[i] + "'";
  return r;
}

class Reader {
 public:
  explicit Reader(std::string source) : prefix_("BPX file '" + std::move(source) + "': ") {}
  [[noreturn]] void input(const std::string& msg) const { throw InputError(prefix_ + msg); }
  [[noreturn]] void invalid(const std::string& msg) const { throw InvalidParameter(prefix_ + msg); }
  //! Run f; an InputError it throws gets the file prefix and `context` (and keeps its kind).
  template <class F>
  auto named(F f, const std::string& context = "") const {
    try {
      return f();
    } catch (const UnknownParameter& e) {
      throw UnknownParameter(prefix_ + context + e.what());
    } catch (const InvalidParameter& e) {
      invalid(context + e.what());
    } catch (const InputError& e) {
      input(context + e.what());
    }
  }

 private:
  std::string prefix_;
};

// ---------------------------------------------------------------------------
// The schema (bpx 1.1.1, bpx/schema.py), as far as a DFN needs it. "required" also
// covers the fields that the schema leaves optional but PyBaMM's mapping or its DFN
// cannot do without (marked below).

enum class Kind { number, integer, function };  // function: bpx's FloatFunctionTable

struct Field {
  const char* name;
  Kind kind;
  bool required;
};

const std::vector<Field> kCellFields = {
    {"Electrode area [m2]", Kind::number, true},
    {"External surface area [m2]", Kind::number, true},  // optional in bpx; create_from_bpx reads it
    {"Volume [m3]", Kind::number, true},                 // optional in bpx; create_from_bpx reads it
    {"Number of electrode pairs connected in parallel to make a cell", Kind::integer, true},
    {"Lower voltage cut-off [V]", Kind::number, true},
    {"Upper voltage cut-off [V]", Kind::number, true},
    {"Nominal cell capacity [A.h]", Kind::number, true},
    {"Reference temperature [K]", Kind::number, true},  // optional in bpx; create_from_bpx reads it
    {"Density [kg.m-3]", Kind::number, false},
    {"Specific heat capacity [J.K-1.kg-1]", Kind::number, false},
};

const std::vector<Field> kElectrolyteFields = {
    {"Cation transference number", Kind::number, true},
    {"Diffusivity [m2.s-1]", Kind::function, true},
    {"Diffusivity activation energy [J.mol-1]", Kind::number, false},
    {"Conductivity [S.m-1]", Kind::function, true},
    {"Conductivity activation energy [J.mol-1]", Kind::number, false},
};

const std::vector<Field> kElectrodeFields = {
    {"Thickness [m]", Kind::number, true},
    {"Porosity", Kind::number, true},
    {"Transport efficiency", Kind::number, true},
    {"Conductivity [S.m-1]", Kind::number, true},
    {"Minimum stoichiometry", Kind::number, true},
    {"Maximum stoichiometry", Kind::number, true},
    {"Maximum concentration [mol.m-3]", Kind::number, true},
    {"Particle radius [m]", Kind::number, true},
    {"Surface area per unit volume [m-1]", Kind::number, true},
    {"Diffusivity [m2.s-1]", Kind::function, true},
    {"Diffusivity activation energy [J.mol-1]", Kind::number, false},
    {"OCP [V]", Kind::function, true},
    {"OCP (delithiation) [V]", Kind::function, false},  // hysteresis: not in the default DFN
    {"OCP (lithiation) [V]", Kind::function, false},
    {"OCP hysteresis decay constant", Kind::number, false},
    // optional in bpx, but PyBaMM's DFN reads it (U = U_ref + (T - T_ref) dU/dT)
    {"Entropic change coefficient [V.K-1]", Kind::function, true},
    {"Reaction rate constant [mol.m-2.s-1]", Kind::number, true},
    {"Reaction rate constant activation energy [J.mol-1]", Kind::number, false},
};

const std::vector<Field> kSeparatorFields = {
    {"Thickness [m]", Kind::number, true},
    {"Porosity", Kind::number, true},
    {"Transport efficiency", Kind::number, true},
};

// State (all optional; null means absent).
const std::vector<Field> kInitialConditionFields = {
    {"Initial state-of-charge", Kind::number, false},
    {"Initial temperature [K]", Kind::number, false},
    {"Initial electrolyte concentration [mol.m-3]", Kind::number, false},
    {"Initial hysteresis state: Positive electrode", Kind::number, false},
    {"Initial hysteresis state: Negative electrode", Kind::number, false},
};
const std::vector<Field> kThermalEnvironmentFields = {
    {"Ambient temperature [K]", Kind::number, false},
    {"Heat transfer coefficient [W.m-2.K-1]", Kind::number, false},
};
const std::vector<Field> kDegradationFields = {
    {"LLI", Kind::number, true},
    {"LAM: Positive electrode", Kind::number, true},
    {"LAM: Negative electrode", Kind::number, true},
};

std::vector<std::string> names_of(const std::vector<Field>& fields) {
  std::vector<std::string> r;
  for (const auto& f : fields) r.push_back(f.name);
  return r;
}

//! A BPX value: a number, a function string, or a table.
struct Value {
  enum class Type { none, number, expression, table } type = Type::none;
  double number = 0.0;
  std::string text;
  std::vector<double> x, y;
  std::string where;  //!< "'Negative electrode' > 'OCP [V]'" for messages
  bool present() const { return type != Type::none; }
};

//! A checked section: field name -> value.
struct Section {
  std::vector<std::pair<std::string, Value>> values;
  const Value* find(const std::string& name) const {
    for (const auto& v : values)
      if (v.first == name) return &v.second;
    return nullptr;
  }
  bool has(const std::string& name) const { return find(name) != nullptr; }
  double number(const std::string& name) const { return find(name)->number; }
  //! The number, or `fallback` when absent (PyBaMM's `dict.get(name) or 0.0`).
  double number_or(const std::string& name, double fallback) const {
    const Value* v = find(name);
    return v ? v->number : fallback;
  }
  const Value& value(const std::string& name) const { return *find(name); }
};

class Checker {
 public:
  explicit Checker(const Reader& rd) : rd_(rd) {}

  //! Check `obj` (the JSON at `where`) against `fields`; missing required fields are
  //! collected (reported together by finish()), everything else throws at once.
  Section section(const ojson* obj, const std::vector<std::string>& where, const std::vector<Field>& fields,
                  bool nulls_allowed = false) {
    Section s;
    if (obj == nullptr) {
      missing_.push_back(path_of(where));
      return s;
    }
    if (!obj->is_object()) rd_.input(path_of(where) + " must be an object, got " + describe(*obj));
    const std::vector<std::string> names = names_of(fields);
    for (auto it = obj->begin(); it != obj->end(); ++it)
      if (std::find(names.begin(), names.end(), it.key()) == names.end()) {
        const std::string near = did_you_mean(it.key(), names);
        rd_.input("unknown field " + path_of(child(where, it.key())) +
                  (near.empty() ? "; BPX 1.1 allows " + quoted_list(names) : near));
      }
    for (const auto& f : fields) {
      const auto it = obj->find(f.name);
      const std::vector<std::string> here = child(where, f.name);
      if (it == obj->end() || (nulls_allowed && it->is_null())) {
        if (f.required) missing_.push_back(path_of(here));
        continue;
      }
      s.values.emplace_back(f.name, read_value(*it, here, f.kind));
    }
    return s;
  }

  Value read_value(const ojson& v, const std::vector<std::string>& where, Kind kind) const {
    Value r;
    r.where = path_of(where);
    if (v.is_number()) {
      r.type = Value::Type::number;
      r.number = v.get<double>();
      if (!std::isfinite(r.number)) rd_.invalid(r.where + " must be a finite number");
      if (kind == Kind::integer && r.number != std::floor(r.number))
        rd_.invalid(r.where + " must be a whole number, got " + shortest_num(r.number));
      return r;
    }
    if (kind != Kind::function)
      rd_.invalid(r.where + " must be a number, got " + describe(v));
    if (v.is_string()) {
      r.type = Value::Type::expression;
      r.text = v.get<std::string>();
      return r;
    }
    if (v.is_object() && v.contains("x") && v.contains("y")) {
      for (auto it = v.begin(); it != v.end(); ++it)
        if (it.key() != "x" && it.key() != "y")
          rd_.invalid(r.where + ": unknown table key '" + it.key() + "'; a BPX table has \"x\" and \"y\"");
      r.type = Value::Type::table;
      r.x = numbers(v.at("x"), r.where + " \"x\"");
      r.y = numbers(v.at("y"), r.where + " \"y\"");
      if (r.x.size() != r.y.size())
        rd_.invalid(r.where + ": table \"x\" and \"y\" must have the same length, got " +
                    std::to_string(r.x.size()) + " and " + std::to_string(r.y.size()));
      return r;
    }
    rd_.invalid(r.where + " must be a number, a function string or a table {\"x\": [...], \"y\": [...]}, got " +
                describe(v) + (v.is_object() ? " without \"x\" and \"y\"" : ""));
  }

  //! Throws the one-line list of every missing field, if any.
  void finish() const {
    if (missing_.empty()) return;
    rd_.input("missing " + std::to_string(missing_.size()) + " required BPX field" + (missing_.size() == 1 ? "" : "s") +
              ": " + [&] {
                std::string r;
                for (std::size_t i = 0; i < missing_.size(); ++i) r += (i ? ", " : "") + missing_[i];
                return r;
              }());
  }
  void missing(const std::vector<std::string>& where) { missing_.push_back(path_of(where)); }

  static std::vector<std::string> child(std::vector<std::string> where, const std::string& name) {
    where.push_back(name);
    return where;
  }

 private:
  std::vector<double> numbers(const ojson& a, const std::string& what) const {
    if (!a.is_array()) rd_.invalid(what + " must be an array of numbers, got " + describe(a));
    std::vector<double> r;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!a[i].is_number())
        rd_.invalid(what + "[" + std::to_string(i) + "] must be a number, got " + describe(a[i]));
      r.push_back(a[i].get<double>());
    }
    return r;
  }

  const Reader& rd_;
  std::vector<std::string> missing_;
};

// ---------------------------------------------------------------------------
// Version and the v0.x -> v1.x conversion (bpx/_migrations.py)

//! The major version of Header.BPX: a number (0.1, 1.0) or a string ("0.4.0", "1.1").
int major_version(const Reader& rd, const ojson& header) {
  const auto it = header.find("BPX");
  if (it == header.end()) rd.input("missing 'Header' > 'BPX' (the BPX format version)");
  if (it->is_number()) {
    const double v = it->get<double>();
    if (!(v >= 0.0 && v < 1000.0)) rd.input("invalid BPX version " + it->dump());
    return static_cast<int>(v);
  }
  if (it->is_string()) {
    const std::string s = it->get<std::string>();
    static const std::regex pattern(R"(^(\d+)\.\d+(?:\.\d+)?$)");
    std::smatch m;
    if (!std::regex_match(s, m, pattern))
      rd.input("invalid BPX version '" + s + "' (expected MAJOR.MINOR or MAJOR.MINOR.PATCH, e.g. \"1.0.0\")");
    return std::atoi(m[1].str().c_str());
  }
  rd.input("'Header' > 'BPX' must be the BPX version (e.g. \"1.0.0\"), got " + describe(*it));
}

//! bpx's convert_v0_to_v1: temperatures and the electrolyte concentration move to a
//! synthesised "State" with initial SOC 1; the lumped thermal conductivity is dropped.
void convert_v0_to_v1(ojson& top) {
  ojson& par = top["Parameterisation"];
  if (!par.is_object()) return;  // reported by the section checks
  ojson* cell = par.contains("Cell") && par["Cell"].is_object() ? &par["Cell"] : nullptr;
  ojson* electrolyte = par.contains("Electrolyte") && par["Electrolyte"].is_object() ? &par["Electrolyte"] : nullptr;
  auto pop = [](ojson* obj, const char* key) -> ojson {
    if (obj == nullptr || !obj->contains(key)) return ojson();
    ojson v = (*obj)[key];
    obj->erase(key);
    return v;
  };
  ojson ambient = pop(cell, "Ambient temperature [K]");
  ojson initial = pop(cell, "Initial temperature [K]");
  const ojson reference = cell && cell->contains("Reference temperature [K]") ? (*cell)["Reference temperature [K]"]
                                                                            : ojson();
  pop(cell, "Thermal conductivity [W.m-1.K-1]");
  if (ambient.is_null()) ambient = reference.is_null() ? ojson(298.15) : reference;
  if (initial.is_null()) initial = ambient;
  ojson conditions = ojson::object();
  conditions["Initial state-of-charge"] = 1;
  conditions["Initial temperature [K]"] = initial;
  ojson c_e = pop(electrolyte, "Initial concentration [mol.m-3]");
  if (!c_e.is_null()) conditions["Initial electrolyte concentration [mol.m-3]"] = c_e;
  ojson state = ojson::object();
  state["Initial conditions"] = conditions;
  state["Thermal environment"] = ojson{{"Ambient temperature [K]", ambient}};
  top["State"] = state;
}

// ---------------------------------------------------------------------------
// BPX function strings -> ionflux expressions

//! The functions a BPX string may call: PyBaMM runs it with "from pybamm import exp,
//! tanh, cosh" (abs is a Python built-in); bpx documents exp and tanh.
const std::vector<std::string> kBpxFunctions = {"exp", "tanh", "cosh", "abs"};

}  // namespace

std::string translate_bpx_expression(const std::string& text, const std::string& variable) {
  std::string out;
  const std::size_t n = text.size();
  auto fail = [&](const std::string& what, std::size_t at) -> void {
    throw InvalidParameter("BPX function \"" + text + "\": " + what + " at position " + std::to_string(at + 1));
  };
  // The text is kept as written (numbers too: ionflux reads Python's float literals),
  // with x renamed and any whitespace as a plain space.
  std::size_t i = 0;
  bool any = false;
  while (i < n) {
    const char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      out += ' ';
      ++i;
      continue;
    }
    any = true;
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && i + 1 < n && std::isdigit(static_cast<unsigned char>(text[i + 1])))) {
      // A Python float or int literal: digits [. digits] [e [+-] digits].
      std::size_t j = i;
      while (j < n && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
      if (j < n && text[j] == '.') {
        ++j;
        while (j < n && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
      }
      if (j < n && (text[j] == 'e' || text[j] == 'E')) {
        std::size_t k = j + 1;
        if (k < n && (text[k] == '+' || text[k] == '-')) ++k;
        if (k >= n || !std::isdigit(static_cast<unsigned char>(text[k]))) fail("malformed number", i);
        while (k < n && std::isdigit(static_cast<unsigned char>(text[k]))) ++k;
        j = k;
      }
      if (j < n && (std::isalpha(static_cast<unsigned char>(text[j])) || text[j] == '_'))
        fail("malformed number", i);
      out += text.substr(i, j - i);
      i = j;
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t j = i;
      while (j < n && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) ++j;
      const std::string name = text.substr(i, j - i);
      std::size_t k = j;
      while (k < n && std::isspace(static_cast<unsigned char>(text[k]))) ++k;
      const bool call = k < n && text[k] == '(';
      if (call) {
        if (std::find(kBpxFunctions.begin(), kBpxFunctions.end(), name) == kBpxFunctions.end())
          fail("function '" + name + "' is not supported (BPX functions may call " + quoted_list(kBpxFunctions) + ")",
               i);
        out += name;
      } else if (name == "x") {
        out += variable;
      } else {
        fail("unknown name '" + name + "' (a BPX function has the single variable x)", i);
      }
      i = j;
      continue;
    }
    if (c == '*' && i + 1 < n && text[i + 1] == '*') {
      out += "**";
      i += 2;
      continue;
    }
    if (c == '*' || c == '/' || c == '+' || c == '-' || c == '(' || c == ')' || c == ',') {
      if (c == '/' && i + 1 < n && text[i + 1] == '/') fail("'//' is not supported", i);
      out += c;
      ++i;
      continue;
    }
    fail(std::string("unexpected '") + c + "' (BPX functions use numbers, x, + - * / ** and parentheses)", i);
  }
  if (!any) throw InvalidParameter("BPX function \"" + text + "\" is empty");
  return out;
}

namespace {

// ---------------------------------------------------------------------------
// The ionflux set being built

class SetBuilder {
 public:
  explicit SetBuilder(const Reader& rd) : rd_(rd) {}

  void number(const std::string& name, double v, const std::string& from = "") {
    rd_.named([&] { check_parameter_range(name, v); }, from.empty() ? "" : from + ": ");
    Entry e{name, v, FunctionRef{}, "", nullptr};
    e.function.p[0] = v;  // as ParameterSet::set: a constant function of value v
    put(std::move(e));
  }
  void function(const std::string& name, std::shared_ptr<const UserFunctionSource> f) {
    put(user_function_entry(name, std::move(f)));
  }
  bool has(const std::string& name) const { return find(name) != entries_.end(); }
  std::vector<Entry> take() { return std::move(entries_); }

  //! A function parameter from a BPX value: a number, an expression or a linear table
  //! (PyBaMM: pybamm.Interpolant(..., interpolator="linear")), read at `variable`. A
  //! non-empty `factor` ("exp(...) * ") multiplies it, as PyBaMM's _diffusivity and
  //! _conductivity wrappers do with the Arrhenius factor.
  void from_value(const std::string& name, const Value& v, const std::string& variable, const std::string& factor = "") {
    const std::string context = v.where + " -> '" + name + "': ";
    if (v.type == Value::Type::number) {
      // A constant: a plain number, except where the kernels need a function (the OCP)
      // or where it is scaled by an Arrhenius factor.
      const bool is_ocp = name.find("electrode OCP [V]") != std::string::npos;
      if (factor.empty() && !is_ocp) {
        number(name, v.number, v.where);
        return;
      }
      function(name, rd_.named([&] { return UserFunctionSource::expression(name, factor + shortest_num(v.number)); },
                               context));
      return;
    }
    if (v.type == Value::Type::expression) {
      const std::string body = rd_.named([&] { return translate_bpx_expression(v.text, variable); }, context);
      // the function alone first, so that a syntax error points into the file's text
      if (!factor.empty()) rd_.named([&] { (void)UserFunctionSource::expression(name, body); }, context);
      const std::string text = factor.empty() ? body : factor + "(" + body + ")";
      function(name, rd_.named([&] { return UserFunctionSource::expression(name, text); }, context));
      return;
    }
    // A table, sorted by x as PyBaMM does before building the interpolant.
    std::vector<std::size_t> order(v.x.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v.x[a] < v.x[b]; });
    std::vector<double> x, y;
    for (std::size_t k : order) x.push_back(v.x[k]), y.push_back(v.y[k]);
    const std::string expression = factor.empty() ? "" : factor + "table(" + variable + ")";
    function(name, rd_.named([&] { return UserFunctionSource::table(name, x, y, "linear", expression); }, context));
  }

 private:
  std::vector<Entry>::iterator find(const std::string& name) {
    return std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.name == name; });
  }
  std::vector<Entry>::const_iterator find(const std::string& name) const {
    return std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.name == name; });
  }
  void put(Entry e) {
    auto it = find(e.name);
    if (it != entries_.end()) *it = std::move(e);
    else entries_.push_back(std::move(e));
  }

  const Reader& rd_;
  std::vector<Entry> entries_;
};

//! PyBaMM's _arrhenius(Ea, T) = exp(Ea / R * (1 / T_ref - 1 / T)) as an expression
//! factor ("exp(...) * "); empty for Ea = 0, where it is exactly 1.
std::string arrhenius(double e_a, double t_ref) {
  if (e_a == 0.0) return "";
  return "exp(" + shortest_num(e_a) + " / " + shortest_num(constants::R) + " * (1 / " + shortest_num(t_ref) +
         " - 1 / T)) * ";
}

const ojson* member(const ojson& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  const auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

void check_keys(const Reader& rd, const ojson& obj, const std::vector<std::string>& where,
                const std::vector<std::string>& allowed) {
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end())
      rd.input("unknown field " + path_of(Checker::child(where, it.key())) + did_you_mean(it.key(), allowed) +
               "; BPX 1.1 allows " + quoted_list(allowed));
}

//! bpx's validators for v1.x files that still carry v0.x fields (bpx/schema.py).
void check_moved_fields(const Reader& rd, const ojson& par) {
  if (const ojson* cell = member(par, "Cell")) {
    if (member(*cell, "Thermal conductivity [W.m-1.K-1]"))
      rd.input("'Cell' > 'Thermal conductivity [W.m-1.K-1]' is not part of the BPX 1.x schema "
               "(give it in 'User-defined')");
    if (member(*cell, "Initial temperature [K]") || member(*cell, "Ambient temperature [K]"))
      rd.input("'Cell' > 'Initial temperature [K]' and 'Ambient temperature [K]' moved in BPX 1.x to 'State' > "
               "'Initial conditions' and 'State' > 'Thermal environment'");
  }
  if (const ojson* el = member(par, "Electrolyte"))
    if (member(*el, "Initial concentration [mol.m-3]"))
      rd.input("'Electrolyte' > 'Initial concentration [mol.m-3]' moved in BPX 1.x to 'State' > 'Initial "
               "conditions' > 'Initial electrolyte concentration [mol.m-3]'");
}

ParameterSet build(const Reader& rd, ojson top, const std::string& source) {
  if (!top.is_object()) rd.input("expected a JSON object ({...}) at the top level, got " + describe(top));
  check_keys(rd, top, {}, {"Header", "Parameterisation", "State", "Validation"});
  const ojson* header = member(top, "Header");
  if (header == nullptr) rd.input("missing 'Header' (with the BPX version and the model)");
  if (!header->is_object()) rd.input("'Header' must be an object, got " + describe(*header));
  check_keys(rd, *header, {"Header"}, {"BPX", "Title", "Description", "References", "Model"});
  const int major = major_version(rd, *header);
  if (major > 1)
    rd.input("unsupported BPX version " + header->at("BPX").dump() + "; ionflux reads BPX 0.x and 1.x files");
  for (const char* k : {"Title", "Description", "References"})
    if (const ojson* v = member(*header, k); v && !v->is_string())
      rd.input("'Header' > '" + std::string(k) + "' must be a string, got " + describe(*v));
  const ojson* model = member(*header, "Model");
  if (model == nullptr) rd.input("missing 'Header' > 'Model' (\"DFN\", \"SPMe\", \"SPM\" or \"Partial\")");
  const std::vector<std::string> models = {"SPM", "SPMe", "DFN", "Partial"};
  if (!model->is_string() || std::find(models.begin(), models.end(), model->get<std::string>()) == models.end())
    rd.input("'Header' > 'Model' must be \"DFN\", \"SPMe\", \"SPM\" or \"Partial\", got " +
             (model->is_string() ? "'" + model->get<std::string>() + "'" : describe(*model)));
  if (model->get<std::string>() == "SPM")
    rd.input("'Header' > 'Model' is \"SPM\": a BPX SPM parameterisation has no electrolyte, separator or electrode "
             "conductivities, which the DFN needs (PyBaMM's create_from_bpx cannot map it either); ionflux reads "
             "\"DFN\" and \"SPMe\" files");
  const ojson* par_json = member(top, "Parameterisation");
  if (par_json == nullptr) rd.input("missing 'Parameterisation'");
  if (!par_json->is_object()) rd.input("'Parameterisation' must be an object, got " + describe(*par_json));

  if (major == 0) convert_v0_to_v1(top);
  else check_moved_fields(rd, top.at("Parameterisation"));
  const ojson& par = top.at("Parameterisation");
  const std::vector<std::string> P = {"Parameterisation"};
  check_keys(rd, par, P,
             {"Cell", "Electrolyte", "Negative electrode", "Positive electrode", "Separator", "User-defined"});
  for (const char* d : {"Negative electrode", "Positive electrode"})
    if (const ojson* e = member(par, d); e && e->is_object() && e->contains("Particle"))
      rd.input(path_of(Checker::child(P, d)) +
               " is a blended electrode ('Particle' with several materials); ionflux models one particle phase per "
               "electrode");

  Checker ck(rd);
  const Section cell = ck.section(member(par, "Cell"), Checker::child(P, "Cell"), kCellFields);
  const Section el = ck.section(member(par, "Electrolyte"), Checker::child(P, "Electrolyte"), kElectrolyteFields);
  const Section neg =
      ck.section(member(par, "Negative electrode"), Checker::child(P, "Negative electrode"), kElectrodeFields);
  const Section pos =
      ck.section(member(par, "Positive electrode"), Checker::child(P, "Positive electrode"), kElectrodeFields);
  const Section sep = ck.section(member(par, "Separator"), Checker::child(P, "Separator"), kSeparatorFields);

  Section ic, te;
  if (const ojson* state = member(top, "State")) {
    if (!state->is_object()) rd.input("'State' must be an object, got " + describe(*state));
    check_keys(rd, *state, {"State"}, {"Initial conditions", "Thermal environment", "Degradation"});
    if (const ojson* s = member(*state, "Initial conditions"); s && !s->is_null())
      ic = ck.section(s, {"State", "Initial conditions"}, kInitialConditionFields, true);
    if (const ojson* s = member(*state, "Thermal environment"); s && !s->is_null())
      te = ck.section(s, {"State", "Thermal environment"}, kThermalEnvironmentFields, true);
    if (const ojson* s = member(*state, "Degradation"); s && !s->is_null())
      (void)ck.section(s, {"State", "Degradation"}, kDegradationFields);  // not used by PyBaMM
  }
  if (const ojson* v = member(top, "Validation"); v && !v->is_object())
    rd.input("'Validation' must be an object of experiments, got " + describe(*v));
  const ojson* user = member(par, "User-defined");
  if (user && !user->is_object()) rd.input("'Parameterisation' > 'User-defined' must be an object, got " + describe(*user));
  ck.finish();

  // ---- the mapping: pybamm/parameters/bpx.py, bpx_to_param_dict ----
  SetBuilder b(rd);
  const double t_ref = cell.number("Reference temperature [K]");

  // State, or PyBaMM's defaults: temperatures T_ref, electrolyte 1000 mol/m3.
  const double c_e0 = ic.number_or("Initial electrolyte concentration [mol.m-3]", 1000.0);
  b.number("Ambient temperature [K]", te.number_or("Ambient temperature [K]", t_ref));
  b.number("Initial temperature [K]", ic.number_or("Initial temperature [K]", t_ref));
  b.number("Reference temperature [K]", t_ref);
  b.number("Initial concentration in electrolyte [mol.m-3]", c_e0);

  // Cell
  const double q_nom = cell.number("Nominal cell capacity [A.h]");
  b.number("Nominal cell capacity [A.h]", q_nom);
  b.number("Current function [A]", q_nom);  // a default of 1C
  b.number("Lower voltage cut-off [V]", cell.number("Lower voltage cut-off [V]"));
  b.number("Upper voltage cut-off [V]", cell.number("Upper voltage cut-off [V]"));
  const double side = std::sqrt(cell.number("Electrode area [m2]"));
  if (!(cell.number("Electrode area [m2]") > 0.0))
    rd.invalid("'Parameterisation' > 'Cell' > 'Electrode area [m2]' must be positive, got " +
               shortest_num(cell.number("Electrode area [m2]")));
  b.number("Electrode width [m]", side);
  b.number("Electrode height [m]", side);
  b.number("Number of electrodes connected in parallel to make a cell",
           cell.number("Number of electrode pairs connected in parallel to make a cell"),
           cell.value("Number of electrode pairs connected in parallel to make a cell").where);
  b.number("Number of cells connected in series to make a battery", 1.0);
  b.number("Thermodynamic factor", 1.0);

  // Thermal (lumped): cell-level density and heat capacity for every layer; current
  // collectors of zero thickness with conductivity 4e7 S/m; adiabatic unless State says.
  b.number("Cell cooling surface area [m2]", cell.number("External surface area [m2]"),
           cell.value("External surface area [m2]").where);
  b.number("Cell volume [m3]", cell.number("Volume [m3]"), cell.value("Volume [m3]").where);
  b.number("Total heat transfer coefficient [W.m-2.K-1]", te.number_or("Heat transfer coefficient [W.m-2.K-1]", 0.0));
  for (const char* layer : {"Negative electrode", "Positive electrode", "Separator", "Negative current collector",
                            "Positive current collector"}) {
    const std::string L = layer;
    if (cell.has("Density [kg.m-3]"))
      b.number(L + " density [kg.m-3]", cell.number("Density [kg.m-3]"), cell.value("Density [kg.m-3]").where);
    if (cell.has("Specific heat capacity [J.K-1.kg-1]"))
      b.number(L + " specific heat capacity [J.kg-1.K-1]", cell.number("Specific heat capacity [J.K-1.kg-1]"),
               cell.value("Specific heat capacity [J.K-1.kg-1]").where);
  }
  for (const char* cc : {"Negative current collector", "Positive current collector"}) {
    b.number(std::string(cc) + " thickness [m]", 0.0);
    b.number(std::string(cc) + " conductivity [S.m-1]", 4e7);
  }

  // Separator
  b.number("Separator thickness [m]", sep.number("Thickness [m]"), sep.value("Thickness [m]").where);
  b.number("Separator porosity", sep.number("Porosity"), sep.value("Porosity").where);
  auto bruggeman = [&](const Section& s) {
    const double tau = s.number("Transport efficiency");
    if (!(tau > 0.0)) rd.invalid(s.value("Transport efficiency").where + " must be positive, got " + shortest_num(tau));
    return std::log(tau) / std::log(s.number("Porosity"));
  };
  b.number("Separator Bruggeman coefficient (electrolyte)", bruggeman(sep), sep.value("Transport efficiency").where);

  // Electrodes
  struct Seed {
    double sto, c_max;
  };
  Seed seeds[2] = {};
  for (int k = 0; k < 2; ++k) {
    const Section& s = k == 0 ? neg : pos;
    const std::string D = k == 0 ? "Negative" : "Positive", d = k == 0 ? "negative" : "positive";
    const std::string E = D + " electrode ";
    b.number(E + "thickness [m]", s.number("Thickness [m]"), s.value("Thickness [m]").where);
    b.number(E + "porosity", s.number("Porosity"), s.value("Porosity").where);
    b.number(E + "conductivity [S.m-1]", s.number("Conductivity [S.m-1]"), s.value("Conductivity [S.m-1]").where);
    b.number(D + " particle radius [m]", s.number("Particle radius [m]"), s.value("Particle radius [m]").where);
    const double c_max = s.number("Maximum concentration [mol.m-3]");
    b.number("Maximum concentration in " + d + " electrode [mol.m-3]", c_max,
             s.value("Maximum concentration [mol.m-3]").where);
    // BPX conductivities are effective: no Bruggeman correction in the solid.
    b.number(E + "Bruggeman coefficient (electrode)", 0.0);
    b.number(E + "Bruggeman coefficient (electrolyte)", bruggeman(s), s.value("Transport efficiency").where);
    // epsilon_s = a R / 3 (spheres of radius R with surface a per unit volume)
    b.number(E + "active material volume fraction",
             (s.number("Surface area per unit volume [m-1]") * s.number("Particle radius [m]")) / 3.0,
             s.value("Surface area per unit volume [m-1]").where);
    b.from_value(E + "OCP [V]", s.value("OCP [V]"), "sto");
    b.from_value(E + "OCP entropic change [V.K-1]", s.value("Entropic change coefficient [V.K-1]"), "sto");
    // j0 = k (Arrhenius) sqrt(c_e c_s (c_max - c_s)) with k = k_norm F / (c_max sqrt(c_e0)):
    // BPX writes j0 = F k_norm sqrt((c_e/c_e0)(c_s/c_max)(1 - c_s/c_max)).
    const double k_norm = s.number("Reaction rate constant [mol.m-2.s-1]");
    const double k_ref = k_norm * constants::F / (c_max * std::pow(c_e0, 0.5));
    const std::string j0 = shortest_num(k_ref) + " * " +
                           arrhenius(s.number_or("Reaction rate constant activation energy [J.mol-1]", 0.0), t_ref) +
                           "c_e ** 0.5 * c_s_surf ** 0.5 * (c_s_max - c_s_surf) ** 0.5";
    const std::string j0_name = E + "exchange-current density [A.m-2]";
    if (!(k_norm > 0.0))
      rd.invalid(s.value("Reaction rate constant [mol.m-2.s-1]").where + " must be positive, got " +
                 shortest_num(k_norm));
    b.function(j0_name, rd.named([&] { return UserFunctionSource::expression(j0_name, j0); },
                                 s.value("Reaction rate constant [mol.m-2.s-1]").where + ": "));
    b.from_value(D + " particle diffusivity [m2.s-1]", s.value("Diffusivity [m2.s-1]"), "sto",
                 arrhenius(s.number_or("Diffusivity activation energy [J.mol-1]", 0.0), t_ref));
    // create_from_bpx: full charge (negative at its maximum, positive at its minimum
    // stoichiometry) unless State gives the initial SOC (then set_initial_state below).
    seeds[k] = {k == 0 ? s.number("Maximum stoichiometry") : s.number("Minimum stoichiometry"), c_max};
    b.number("Initial concentration in " + d + " electrode [mol.m-3]", seeds[k].sto * c_max,
             s.value(k == 0 ? "Maximum stoichiometry" : "Minimum stoichiometry").where);
  }

  // Electrolyte
  b.number("Cation transference number", el.number("Cation transference number"),
           el.value("Cation transference number").where);
  b.from_value("Electrolyte diffusivity [m2.s-1]", el.value("Diffusivity [m2.s-1]"), "c_e",
               arrhenius(el.number_or("Diffusivity activation energy [J.mol-1]", 0.0), t_ref));
  b.from_value("Electrolyte conductivity [S.m-1]", el.value("Conductivity [S.m-1]"), "c_e",
               arrhenius(el.number_or("Conductivity activation energy [J.mol-1]", 0.0), t_ref));

  // User-defined parameters replace (or add) entries by name, as in PyBaMM. Names the
  // ionflux model does not know are not used by it and are skipped.
  if (user) {
    for (auto it = user->begin(); it != user->end(); ++it) {
      const std::string& name = it.key();
      if (name == "description") continue;
      const std::vector<std::string> where = {"Parameterisation", "User-defined", name};
      if (!is_known_parameter_name(name)) {
        // still as strict as bpx about the value's type
        if (!it->is_number() && !it->is_string() && !it->is_object())
          rd.invalid(path_of(where) + " must be a number, a function string or a table, got " + describe(*it));
        continue;
      }
      FunctionSignature sig;
      const bool takes_function = function_signature(name, sig);
      const Value v = ck.read_value(*it, where, takes_function ? Kind::function : Kind::number);
      if (v.type == Value::Type::number) {
        if (name.find("electrode OCP [V]") != std::string::npos) b.from_value(name, v, "sto");
        else b.number(name, v.number, v.where);
        continue;
      }
      if (sig.table_argument < 0)
        rd.invalid(v.where + ": '" + name + "' takes " + sig.arguments +
                   "; a BPX function of the single variable x cannot give it");
      b.from_value(name, v, variable_name(static_cast<expr::Var>(sig.table_argument)));
    }
  }
  // _create_from_bpx: the OCV limits default to the cut-offs.
  if (!b.has("Open-circuit voltage at 0% SOC [V]"))
    b.number("Open-circuit voltage at 0% SOC [V]", cell.number("Lower voltage cut-off [V]"));
  if (!b.has("Open-circuit voltage at 100% SOC [V]"))
    b.number("Open-circuit voltage at 100% SOC [V]", cell.number("Upper voltage cut-off [V]"));
  // ... and the initial particle concentrations are always the seeds (a user-defined
  // value does not survive _create_from_bpx).
  b.number("Initial concentration in negative electrode [mol.m-3]", seeds[0].sto * seeds[0].c_max);
  b.number("Initial concentration in positive electrode [mol.m-3]", seeds[1].sto * seeds[1].c_max);

  std::string name = source;
  if (const ojson* title = member(top.at("Header"), "Title"); title && title->is_string() && !title->get<std::string>().empty())
    name = title->get<std::string>();
  ParameterSet ps = ParameterSet::from_entries(name, b.take());

  // State's initial SOC (1 for every converted v0.x file): PyBaMM's
  // param.set_initial_state(soc), the electrode-SOH solve between the OCV limits.
  if (const Value* soc = ic.find("Initial state-of-charge")) {
    if (!(soc->number >= 0.0 && soc->number <= 1.0))
      rd.invalid(soc->where + " must be between 0 and 1, got " + shortest_num(soc->number));
    rd.named([&] {
      const CellParams c = build_cell(ps, 1.0, false, soc->number);  // the one recipe (problem.hpp)
      ps.set("Initial concentration in negative electrode [mol.m-3]", c.neg.c_init);
      ps.set("Initial concentration in positive electrode [mol.m-3]", c.pos.c_init);
    }, soc->where + ": ");
  }
  rd.named([&] { (void)ps.cell_params(1.0); });  // cross-parameter checks (validate) and functions
  return ps;
}

}  // namespace

ParameterSet parse_bpx(const std::string& text, const std::string& source) {
  const Reader rd(source);
  ojson top = parse_json_checked(text, [&](const std::string& m) { rd.input(m); });
  return build(rd, std::move(top), source);
}

ParameterSet load_bpx(const std::string& path) { return parse_bpx(read_text_file(path, "BPX file"), path); }

}  // namespace ionflux
