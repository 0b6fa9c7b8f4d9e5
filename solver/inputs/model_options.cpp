#include "solver/inputs/model_options.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "solver/util/text.hpp"

namespace ionflux {
namespace {

// ---------------------------------------------------------------------------
// The options: PyBaMM 26.10.1.1's names and values (BatteryModelOptions.possible_options)

const std::vector<std::string> kSeiValues = {"none",
                                             "constant",
                                             "reaction limited",
                                             "reaction limited (asymmetric)",
                                             "solvent-diffusion limited",
                                             "electron-migration limited",
                                             "interstitial-diffusion limited",
                                             "ec reaction limited",
                                             "ec reaction limited (asymmetric)",
                                             "VonKolzenberg2020",
                                             "tunnelling limited"};  // SeiModel order
const std::vector<std::string> kFilmValues = {"none", "distributed", "average"};  // FilmResistance order
const std::vector<std::string> kPlatingValues = {"none", "reversible", "partially reversible",
                                                 "irreversible"};  // PlatingModel order
const std::vector<std::string> kMechanicsValues = {"none", "swelling only",
                                                   "swelling and cracking"};  // MechanicsModel order
const std::vector<std::string> kLamValues = {"none",
                                             "stress-driven",
                                             "asymmetric stress-driven",
                                             "reaction-driven",
                                             "current-driven",
                                             "stress and reaction-driven",
                                             "asymmetric stress and reaction-driven"};  // LamModel order
const std::vector<std::string> kBool = {"false", "true"};

struct Spec {
  std::string name;
  std::vector<std::string> values;  //!< PyBaMM's possible values
  bool tuple;                       //!< a 2-tuple (negative, positive) is allowed
  std::string fixed;                //!< non-empty: ionflux supports only this (PyBaMM's DFN default)
  std::string why;                  //!< what to do instead, for such an option
};

const std::vector<Spec>& specs() {
  static const std::vector<Spec> s = {
      {"SEI", kSeiValues, true, "", ""},
      {"SEI film resistance", kFilmValues, false, "", ""},
      {"SEI on cracks", kBool, true, "", ""},
      {"SEI porosity change", kBool, false, "", ""},
      {"lithium plating", kPlatingValues, true, "", ""},
      {"lithium plating porosity change", kBool, false, "", ""},
      {"particle mechanics", kMechanicsValues, true, "", ""},
      {"stress-induced diffusion", kBool, true, "", ""},
      {"loss of active material", kLamValues, true, "", ""},
      {"total interfacial current density as a state", kBool, false, "", ""},
      {"x-average side reactions", kBool, false, "false",
       "ionflux's DFN solves the side reactions at every node (PyBaMM's DFN default)"},
      // PyBaMM options outside the degradation submodels: accepted with the value the
      // ionflux DFN has (PyBaMM's default), refused otherwise.
      {"thermal", {}, false, "isothermal",
       "and 'lumped': --thermal lumped or --option thermal=lumped (CLI), \"thermal\": \"lumped\" (sweep "
       "configs), thermal=\"lumped\" (Python)"},
      {"working electrode", {}, false, "both", "ionflux models full cells"},
      {"particle", {}, false, "Fickian diffusion", ""},
      {"particle size", {}, false, "single", ""},
      {"particle phases", {}, false, "1", ""},
      {"particle shape", {}, false, "spherical", ""},
      {"open-circuit potential", {}, false, "single", ""},
      {"intercalation kinetics", {}, false, "symmetric Butler-Volmer", ""},
      {"exchange-current density", {}, false, "single", ""},
      {"diffusivity", {}, false, "single", ""},
      {"interface utilisation", {}, false, "full", ""},
      {"surface form", {}, false, "false", ""},
      {"electrolyte conductivity", {}, false, "default", ""},
      {"transport efficiency", {}, false, "Bruggeman", ""},
      {"current collector", {}, false, "uniform", ""},
      {"dimensionality", {}, false, "0", ""},
      {"convection", {}, false, "none", ""},
      {"cell geometry", {}, false, "arbitrary", ""},
      {"contact resistance", {}, false, "false", ""},
      {"heat of mixing", {}, false, "false", ""},
      {"hydrolysis", {}, false, "false", ""},
      {"number of MSMR reactions", {}, false, "none", ""},
      {"operating mode", {}, false, "current",
       "ionflux sets the control (current, voltage, power) per experiment step"},
      {"surface temperature", {}, false, "ambient", ""},
      {"use lumped thermal capacity", {}, false, "false", ""},
      {"voltage as a state", {}, false, "false", ""},
      {"calculate discharge energy", kBool, false, "", ""},  // ionflux always does: either value
      {"calculate heat source for isothermal models", {}, false, "false", ""},
  };
  return s;
}

const Spec* find_spec(const std::string& name) {
  for (const auto& s : specs())
    if (s.name == name) return &s;
  return nullptr;
}

std::string py_list(const std::vector<std::string>& v) {
  std::string r = "[";
  for (std::size_t i = 0; i < v.size(); ++i) r += (i ? ", '" : "'") + v[i] + "'";
  return r + "]";
}

//! " (did you mean 'X'?)" for the closest candidate, if close enough to be a typo.
std::string suggestion(const std::string& word, const std::vector<std::string>& candidates) {
  std::size_t best = std::string::npos, best_edit = std::string::npos;
  std::string pick;
  const std::string w = to_lower(word);
  for (const auto& c : candidates) {
    const std::string lc = to_lower(c);
    const std::size_t e = edit_distance(w, lc);
    std::size_t d = e;
    if (w.size() >= 3 && lc.find(w) != std::string::npos) d = std::min<std::size_t>(d, 1);  // a part ("plating")
    if (d < best || (d == best && e < best_edit)) best = d, best_edit = e, pick = c;
  }
  if (pick.empty() || best > std::max<std::size_t>(3, word.size() / 2)) return "";
  return " (did you mean '" + pick + "'?)";
}

std::string show(const OptionValue& v) {
  return v.pair ? "('" + v.first + "', '" + v.second + "')" : "'" + v.first + "'";
}

std::string trim_copy(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::string unquote(std::string s) {
  s = trim_copy(s);
  if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') && s.back() == s.front()) s = s.substr(1, s.size() - 2);
  return s;
}

// PyBaMM's `s in value`: a substring test for a string, membership for a tuple.
bool py_in(const std::string& s, const OptionValue& v) {
  if (v.pair) return v.first == s || v.second == s;
  return v.first.find(s) != std::string::npos;
}

bool is(const OptionValue& v, const std::string& s) { return !v.pair && v.first == s; }

template <class E>
E enum_of(const std::vector<std::string>& values, const std::string& v) {
  const auto it = std::find(values.begin(), values.end(), v);
  return static_cast<E>(it - values.begin());  // validated before
}

const std::string& electrode_value(const OptionValue& v, int k) { return v.pair && k == 1 ? v.second : v.first; }

}  // namespace

OptionValue parse_option_value(const std::string& text) {
  const std::string t = trim_copy(text);
  const bool bracket = t.size() >= 2 && ((t.front() == '(' && t.back() == ')') || (t.front() == '[' && t.back() == ']'));
  if (bracket) {
    // a tuple: split at the comma outside nested parentheses
    const std::string inner = t.substr(1, t.size() - 2);
    int depth = 0;
    std::size_t comma = std::string::npos;
    bool two = false;
    for (std::size_t i = 0; i < inner.size(); ++i) {
      const char c = inner[i];
      if (c == '(' || c == '[') ++depth;
      else if (c == ')' || c == ']') --depth;
      else if (c == ',' && depth == 0) {
        if (comma != std::string::npos) two = true;
        comma = i;
      }
    }
    if (comma != std::string::npos && !two)
      return OptionValue(unquote(inner.substr(0, comma)), unquote(inner.substr(comma + 1)));
    if (comma != std::string::npos)
      throw OptionError("option value '" + text +
                        "': a tuple has two values, (negative, positive), e.g. \"(partially reversible, none)\"");
  }
  return OptionValue(unquote(t));
}

std::pair<std::string, OptionValue> parse_option_assignment(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw OptionError("expected NAME=VALUE (e.g. --option \"SEI=solvent-diffusion limited\" or --option "
                      "\"lithium plating=(partially reversible, none)\"), got '" + assignment + "'");
  return {trim_copy(assignment.substr(0, eq)), parse_option_value(assignment.substr(eq + 1))};
}

std::vector<std::string> model_option_names() {
  std::vector<std::string> r;
  for (const auto& s : specs()) r.push_back(s.name);
  return r;
}

std::optional<bool> take_thermal_option(OptionList& options) {
  std::optional<bool> lumped;
  OptionList rest;
  for (auto& kv : options) {
    if (kv.first == "thermal" && !kv.second.pair && (kv.second.first == "isothermal" || kv.second.first == "lumped"))
      lumped = kv.second.first == "lumped";
    else
      rest.push_back(std::move(kv));
  }
  options = std::move(rest);
  return lumped;
}

ModelOptions resolve_model_options(const OptionList& options) {
  // No options: PyBaMM's defaults, the plain DFN (every submodel "none"/"false"), without
  // building the tables below (a run's start-up, issue 14; the defaults' resolution through
  // them is checked equal in test_model_options).
  if (options.empty()) return ModelOptions{};
  // The user's options (a later duplicate replaces an earlier one), names checked first
  // as PyBaMM does when it merges them with its defaults.
  std::map<std::string, OptionValue> user;
  std::vector<std::string> order;
  for (const auto& kv : options) {
    const std::string& name = kv.first;
    if (!find_spec(name)) {
      if (name == "particle cracking")
        throw OptionError("The 'particle cracking' option has been renamed. Use 'particle mechanics' instead.");
      std::vector<std::string> names = model_option_names();
      throw OptionError("option '" + name + "' not recognised" + suggestion(name, names) +
                        "; the degradation options are 'SEI', 'SEI film resistance', 'SEI on cracks', "
                        "'SEI porosity change', 'lithium plating', 'lithium plating porosity change', "
                        "'particle mechanics', 'stress-induced diffusion', 'loss of active material' "
                        "(docs/degradation_options.md)");
    }
    if (!user.count(name)) order.push_back(name);
    user[name] = kv.second;
  }
  auto given = [&](const std::string& n) { return user.count(n) > 0; };
  auto get = [&](const std::string& n, const char* dflt) { return given(n) ? user.at(n) : OptionValue(dflt); };

  // 1. Full cell: a scalar SEI / SEI on cracks / lithium plating is the negative's only.
  for (const auto& p : std::vector<std::pair<std::string, const char*>>{
           {"SEI", "none"}, {"SEI on cracks", "false"}, {"lithium plating", "none"}})
    if (given(p.first) && !user[p.first].pair && user[p.first].first != p.second)
      user[p.first] = OptionValue(user[p.first].first, p.second);

  std::map<std::string, OptionValue> dflt;
  for (const auto& s : specs()) dflt[s.name] = OptionValue(s.fixed.empty() ? s.values.front() : s.fixed);
  // 2. SEI film resistance: from the user's SEI (after step 1)
  dflt["SEI film resistance"] = OptionValue(is(get("SEI", "none"), "none") ? "none" : "distributed");
  // 3. particle mechanics: from SEI on cracks and the kind of LAM
  const OptionValue cracks = get("SEI on cracks", "false");
  const OptionValue lam = get("loss of active material", "none");
  bool stress_lam = false;
  for (const char* s : {"stress-driven", "stress and reaction-driven", "asymmetric stress-driven",
                        "asymmetric stress and reaction-driven"})
    stress_lam = stress_lam || py_in(s, lam);
  if (is(cracks, "true")) {
    dflt["particle mechanics"] = OptionValue("swelling and cracking");
  } else if (cracks == OptionValue("true", "false")) {
    dflt["particle mechanics"] = OptionValue("swelling and cracking", stress_lam ? "swelling only" : "none");
  } else {
    dflt["particle mechanics"] = OptionValue(stress_lam ? "swelling only" : "none");
  }
  // 4. stress-induced diffusion: on (both electrodes) with any mechanics
  dflt["stress-induced diffusion"] =
      OptionValue(is(get("particle mechanics", "none"), "none") && is(dflt["particle mechanics"], "none") ? "false"
                                                                                                         : "true");
  // 5. SEI: "constant" under partially reversible plating
  const OptionValue plating = get("lithium plating", "none");
  if (is(plating, "partially reversible")) dflt["SEI"] = OptionValue("constant");
  else if (plating == OptionValue("partially reversible", "none")) dflt["SEI"] = OptionValue("constant", "none");

  std::map<std::string, OptionValue> o = dflt;
  for (const auto& kv : user) o[kv.first] = kv.second;

  // 6. A distributed film makes the total interfacial current density a state.
  if (is(o["SEI film resistance"], "distributed")) {
    o["total interfacial current density as a state"] = OptionValue("true");
    if (given("total interfacial current density as a state") &&
        is(user["total interfacial current density as a state"], "false"))
      throw OptionError("If 'sei film resistance' is 'distributed' then 'total interfacial current density as a "
                        "state' must be 'true'");
  }
  // Refusals (reference §1.3), in PyBaMM's order.
  if (is(o["stress-induced diffusion"], "true") && is(o["particle mechanics"], "none"))
    throw OptionError("cannot have stress-induced diffusion without a particle mechanics model" +
                      std::string(stress_lam && given("particle mechanics")
                                      ? " (a stress-driven 'loss of active material' needs 'particle mechanics' "
                                        "'swelling only' or 'swelling and cracking')"
                                      : ""));
  if (py_in("true", o["SEI on cracks"]) && o["SEI on cracks"].pair) {
    OptionValue mech = o["particle mechanics"];
    if (!mech.pair) mech = OptionValue(mech.first, mech.first);
    for (int k = 0; k < 2; ++k)
      if (electrode_value(o["SEI on cracks"], k) == "true" && electrode_value(mech, k) != "swelling and cracking")
        throw OptionError("If 'SEI on cracks' is 'true' then 'particle mechanics' must be 'swelling and cracking'.");
  }
  // Values: strings or, where allowed, 2-tuples, each one of the option's values.
  for (const auto& s : specs()) {
    const OptionValue& v = o[s.name];
    if (v.pair && !s.tuple)
      throw OptionError(show(v) + " is not recognized in option '" + s.name +
                        "'. Values must be strings or (in some cases) 2-tuples of strings");
    if (!s.fixed.empty()) {
      if (v.first != s.fixed)
        throw OptionError("option '" + s.name + "' = " + show(v) + " is not supported by ionflux, which has " +
                          (s.name == "thermal" ? "" : "only ") + "'" + s.fixed + "'" +
                          (s.why.empty() ? std::string() : s.name == "thermal" ? " " + s.why : " (" + s.why + ")"));
      continue;
    }
    for (const std::string* val : {&v.first, v.pair ? &v.second : nullptr}) {
      if (!val || std::find(s.values.begin(), s.values.end(), *val) != s.values.end()) continue;
      throw OptionError("'" + *val + "' is not recognized in option '" + s.name + "'" + suggestion(*val, s.values) +
                        ". Possible values are " + py_list(s.values));
    }
  }

  ModelOptions m;
  m.sei_film = enum_of<FilmResistance>(kFilmValues, o["SEI film resistance"].first);
  m.porosity_change = is(o["SEI porosity change"], "true") || is(o["lithium plating porosity change"], "true");
  for (int k = 0; k < 2; ++k) {
    m.sei[k] = enum_of<SeiModel>(kSeiValues, electrode_value(o["SEI"], k));
    m.sei_on_cracks[k] = electrode_value(o["SEI on cracks"], k) == "true";
    m.plating[k] = enum_of<PlatingModel>(kPlatingValues, electrode_value(o["lithium plating"], k));
    m.mechanics[k] = enum_of<MechanicsModel>(kMechanicsValues, electrode_value(o["particle mechanics"], k));
    m.stress_induced_diffusion[k] = electrode_value(o["stress-induced diffusion"], k) == "true";
    m.lam[k] = enum_of<LamModel>(kLamValues, electrode_value(o["loss of active material"], k));
  }
  return m;
}

std::vector<std::pair<std::string, std::string>> describe_model_options(const ModelOptions& m) {
  auto pair = [](const std::string& a, const std::string& b) { return "('" + a + "', '" + b + "')"; };
  // SEI, SEI on cracks and plating: a string means the negative electrode only (full
  // cell), so anything but "none"/"false" is written as PyBaMM holds it, a tuple.
  auto neg_only = [&](const std::string& a, const std::string& b, const char* off) {
    return a == off && b == off ? std::string(off) : pair(a, b);
  };
  auto both = [&](const std::string& a, const std::string& b) { return a == b ? a : pair(a, b); };
  auto tf = [](bool b) { return std::string(b ? "true" : "false"); };
  std::vector<std::pair<std::string, std::string>> r;
  r.emplace_back("SEI", neg_only(kSeiValues[static_cast<int>(m.sei[0])], kSeiValues[static_cast<int>(m.sei[1])], "none"));
  r.emplace_back("SEI film resistance", kFilmValues[static_cast<int>(m.sei_film)]);
  r.emplace_back("SEI on cracks", neg_only(tf(m.sei_on_cracks[0]), tf(m.sei_on_cracks[1]), "false"));
  r.emplace_back("SEI porosity change", tf(m.porosity_change));
  r.emplace_back("lithium plating", neg_only(kPlatingValues[static_cast<int>(m.plating[0])],
                                             kPlatingValues[static_cast<int>(m.plating[1])], "none"));
  r.emplace_back("lithium plating porosity change", tf(m.porosity_change));
  r.emplace_back("particle mechanics", both(kMechanicsValues[static_cast<int>(m.mechanics[0])],
                                            kMechanicsValues[static_cast<int>(m.mechanics[1])]));
  r.emplace_back("stress-induced diffusion", both(tf(m.stress_induced_diffusion[0]), tf(m.stress_induced_diffusion[1])));
  r.emplace_back("loss of active material",
                 both(kLamValues[static_cast<int>(m.lam[0])], kLamValues[static_cast<int>(m.lam[1])]));
  r.emplace_back("total interfacial current density as a state", tf(m.sei_film == FilmResistance::distributed));
  return r;
}

std::string model_options_summary(const ModelOptions& m) {
  const auto plain = describe_model_options(ModelOptions{});
  const auto d = describe_model_options(m);
  std::string r;
  for (std::size_t i = 0; i < d.size(); ++i)
    if (d[i].second != plain[i].second) r += (r.empty() ? "" : "; ") + d[i].first + ": " + d[i].second;
  return r;
}

std::string model_options_json(const ModelOptions& m) {
  std::string r = "{";
  bool first = true;
  for (const auto& d : describe_model_options(m)) {
    r += (first ? "\"" : ", \"") + d.first + "\": \"" + d.second + "\"";  // no '"' or '\\' in either
    first = false;
  }
  return r + "}";
}

}  // namespace ionflux
