#include "solver/inputs/parameters.hpp"
#include "solver/inputs/user_function.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <mutex>
#include <sstream>
#include <utility>

#include "kernels/model/functions.hpp"
#include "solver/util/errors.hpp"
#include "solver/inputs/parameter_file.hpp"  // [parameter files]
#include "solver/inputs/shipped_sets.hpp"
#include "solver/util/text.hpp"

namespace ionflux {
namespace {

bool has(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

[[noreturn]] void range_error(const std::string& name, const std::string& expected, double v) {
  throw InvalidParameter("'" + name + "' must be " + expected + ", got " + num(v));
}

}  // namespace

void check_parameter_range(const std::string& name, double v) {
  if (!std::isfinite(v)) range_error(name, "a finite number", v);
  const std::string n = name;
  if (n == "Separator porosity") {
    if (!(v > 0.0 && v <= 1.0)) range_error(n, "in (0, 1]", v);
  } else if (has(n, "porosity")) {
    if (!(v > 0.0 && v < 1.0)) range_error(n, "in (0, 1)", v);
  } else if (has(n, "active material volume fraction")) {
    if (!(v > 0.0 && v <= 1.0)) range_error(n, "in (0, 1]", v);
  } else if (has(n, "current collector thickness [m]")) {
    // may be 0, as create_from_bpx sets it (no current collectors in the heat balance)
    if (!(v >= 0.0)) range_error(n, "non-negative", v);
  } else if (has(n, "thickness [m]") || has(n, "radius [m]") || has(n, "height [m]") || has(n, "width [m]") ||
             has(n, "conductivity [S.m-1]") || has(n, "diffusivity [m2.s-1]") || has(n, "Maximum concentration") ||
             has(n, "Initial concentration in electrolyte") || has(n, "temperature [K]") ||
             has(n, "Nominal cell capacity") || has(n, "exchange-current density") || n == "Thermodynamic factor" ||
             has(n, "density [kg.m-3]") || has(n, "specific heat capacity")) {
    if (!(v > 0.0)) range_error(n, "positive", v);
  } else if (has(n, "Initial concentration in")) {
    if (!(v >= 0.0)) range_error(n, "non-negative", v);
  } else if (has(n, "Bruggeman coefficient")) {
    if (!(v >= 0.0)) range_error(n, "non-negative", v);
  } else if (n == "Cation transference number") {
    if (!(v >= 0.0 && v < 1.0)) range_error(n, "in [0, 1)", v);
  } else if (has(n, "Number of electrodes connected in parallel") || has(n, "Number of cells connected in series")) {
    if (!(v >= 1.0)) range_error(n, "at least 1", v);
  }
}

std::vector<std::string> ParameterSet::builtin_names() {
  std::vector<std::string> r = {"Chen2020", "Marquis2019"};
  for (const auto& s : shipped_set_files()) r.push_back(s.first);
  return r;
}

namespace {
//! A shipped parameter-file set, parsed once.
const ParameterSet* shipped_set(const std::string& name) {
  static std::mutex m;
  static std::map<std::string, ParameterSet> cache;  // nodes never move or go away
  {
    std::lock_guard<std::mutex> lock(m);
    const auto hit = cache.find(name);
    if (hit != cache.end()) return &hit->second;
  }
  for (const auto& s : shipped_set_files()) {
    if (s.first != name) continue;
    // parsed outside the lock: a set may name another shipped set as its "base"
    ParameterSet parsed = parse_shipped_parameter_file(s.second, name);
    std::lock_guard<std::mutex> lock(m);
    return &cache.emplace(name, std::move(parsed)).first->second;  // keeps a concurrent first entry
  }
  return nullptr;
}
}  // namespace

ParameterSet ParameterSet::load(const std::string& name_or_file) {
  ParameterSet ps;
  if (name_or_file == "Chen2020") {
    ps.entries_ = builtin::chen2020();
  } else if (name_or_file == "Marquis2019") {
    ps.entries_ = builtin::marquis2019();
  } else if (const ParameterSet* shipped = shipped_set(name_or_file)) {
    ps = *shipped;
  } else if (name_or_file.size() > 5 && name_or_file.substr(name_or_file.size() - 5) == ".json") {
    // [parameter files] ionflux's own JSON format (solver/inputs/parameter_file.cpp).
    return load_parameter_file(name_or_file);
  } else {
    std::string msg = "unknown parameter set '" + name_or_file + "'; built-in sets are:";
    for (const auto& b : builtin_names()) msg += " " + b;
    std::string best;
    std::size_t bd = 1000;
    for (const auto& b : builtin_names()) {
      const std::size_t d = edit_distance(to_lower(name_or_file), to_lower(b));
      if (d < bd) bd = d, best = b;
    }
    if (bd <= 4) msg += " (did you mean '" + best + "'?)";
    throw InputError(msg);
  }
  ps.name_ = name_or_file;
  return ps;
}

// [parameter files]
ParameterSet ParameterSet::from_entries(std::string name, std::vector<Entry> entries) {
  ParameterSet ps;
  ps.name_ = std::move(name);
  ps.entries_ = std::move(entries);
  return ps;
}

std::size_t ParameterSet::index_of(const std::string& key) const {
  for (std::size_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].name == key) return i;
  std::string msg = "unknown parameter '" + key + "' in set " + name_;
  const auto near = closest_names(key);
  if (!near.empty()) {
    msg += "; did you mean ";
    for (std::size_t i = 0; i < near.size(); ++i) msg += (i ? ", '" : "'") + near[i] + "'";
    msg += "?";
  }
  throw UnknownParameter(msg);
}

bool ParameterSet::contains(const std::string& key) const {
  return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.name == key; });
}

const Entry& ParameterSet::entry(const std::string& key) const { return entries_[index_of(key)]; }

bool ParameterSet::is_function(const std::string& key) const { return entry(key).is_function(); }

double ParameterSet::get(const std::string& key) const {
  const Entry& e = entry(key);
  if (e.is_function())
    throw InvalidParameter("'" + key + "' is a function (" + e.function_name + "), not a scalar");
  return e.value;
}

void ParameterSet::set(const std::string& key, double value) {
  Entry& e = entries_[index_of(key)];
  check_parameter_range(key, value);
  e.value = value;
  e.function = FunctionRef{};
  e.function.p[0] = value;
  e.function_name.clear();
  e.user.reset();
}

void ParameterSet::set_function(const std::string& key, std::shared_ptr<const UserFunctionSource> f) {
  Entry& e = entries_[index_of(key)];
  e = user_function_entry(key, std::move(f));
}

Entry user_function_entry(const std::string& key, std::shared_ptr<const UserFunctionSource> f) {
  Entry e{key, 0.0, FunctionRef{}, f->describe(), nullptr};
  e.function.id = FunctionId::user;
  e.function.user = &f->kernel();
  e.user = std::move(f);
  return e;
}

void ParameterSet::set_from_string(const std::string& assignment) {
  const auto eq = assignment.rfind('=');
  if (eq == std::string::npos || eq == 0)
    throw InputError("expected NAME=VALUE (e.g. \"Negative particle radius [m]=4e-6\"), got '" + assignment + "'");
  std::string key = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.erase(0, 1);
  index_of(key);  // unknown names first
  std::size_t used = 0;
  double v = 0.0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  while (used < text.size() && std::isspace(static_cast<unsigned char>(text[used]))) ++used;
  if (text.empty() || used != text.size())
    throw InvalidParameter("'" + key + "': '" + text + "' is not a number");
  set(key, v);
}

std::vector<std::string> ParameterSet::names() const {
  std::vector<std::string> r;
  for (const auto& e : entries_) r.push_back(e.name);
  return r;
}

std::vector<std::string> ParameterSet::closest_names(const std::string& key, int count) const {
  std::vector<std::pair<std::size_t, std::string>> scored;
  const std::string k = to_lower(key);
  for (const auto& e : entries_) scored.emplace_back(edit_distance(k, to_lower(e.name)), e.name);
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> r;
  const std::size_t limit = std::max<std::size_t>(6, key.size() / 2);
  for (const auto& s : scored) {
    if (static_cast<int>(r.size()) >= count || s.first > limit) break;
    r.push_back(s.second);
  }
  return r;
}

void ParameterSet::validate() const {
  for (const auto& e : entries_)
    if (!e.is_function()) check_parameter_range(e.name, e.value);
  for (const char* d : {"Negative", "Positive"}) {
    const std::string D = d;
    const double eps = get(D + " electrode porosity");
    const double eps_s = get(D + " electrode active material volume fraction");
    if (eps + eps_s > 1.0 + 1e-12)
      throw InvalidParameter("'" + D + " electrode porosity' + '" + D +
                             " electrode active material volume fraction' must not exceed 1, got " + num(eps + eps_s));
    const double c0 = get("Initial concentration in " + to_lower(D) + " electrode [mol.m-3]");
    const double cmax = get("Maximum concentration in " + to_lower(D) + " electrode [mol.m-3]");
    if (c0 > cmax)
      throw InvalidParameter("'Initial concentration in " + to_lower(D) + " electrode [mol.m-3]' must not exceed '" +
                             "Maximum concentration in " + to_lower(D) + " electrode [mol.m-3]' (" + num(cmax) +
                             "), got " + num(c0));
  }
  if (!(get("Lower voltage cut-off [V]") < get("Upper voltage cut-off [V]")))
    throw InvalidParameter("'Lower voltage cut-off [V]' (" + num(get("Lower voltage cut-off [V]")) +
                           ") must be below 'Upper voltage cut-off [V]' (" + num(get("Upper voltage cut-off [V]")) +
                           ")");
}

FunctionRef function_of(const ParameterSet& ps, const std::string& key, double temperature) {
  const Entry& e = ps.entry(key);
  if (e.user) {
    FunctionRef f = e.function;
    if (!std::isnan(temperature)) f.user = &e.user->at_temperature(temperature);
    return f;
  }
  if (e.is_function()) return e.function;
  FunctionRef f;
  f.p[0] = e.value;
  return f;
}

namespace {
//! A parameter that may be a function of temperature (PyBaMM's FunctionParameters of T:
//! conductivities, thermal properties) at `temperature` [K]: its number, or its user
//! function's value there (eps: the layer's porosity), which must be positive.
double value_at(const ParameterSet& ps, const std::string& key, double temperature, double eps = 0.0) {
  const Entry& e = ps.entry(key);
  if (!e.user) return ps.get(key);
  const double v = (*e.user)(0.0, 0.0, 0.0, 0.0, temperature, eps);
  if (!(v > 0.0 && std::isfinite(v)))
    throw InvalidParameter("'" + key + "' must be positive, got " + num(v) + " at T = " + num(temperature) +
                           " K (" + e.function_name + ")");
  return v;
}

ElectrodeParams electrode(const ParameterSet& ps, const std::string& D, double temperature) {
  const std::string d = to_lower(D);
  ElectrodeParams e{};
  e.thickness = ps.get(D + " electrode thickness [m]");
  e.porosity = ps.get(D + " electrode porosity");
  e.active_fraction = ps.get(D + " electrode active material volume fraction");
  e.particle_radius = ps.get(D + " particle radius [m]");
  e.bruggeman_e = ps.get(D + " electrode Bruggeman coefficient (electrolyte)");
  e.bruggeman_s = ps.get(D + " electrode Bruggeman coefficient (electrode)");
  // a function of T is folded to its value at the cell temperature (enable_lumped_thermal
  // points conductivity_t at the function when the temperature varies)
  e.conductivity = value_at(ps, D + " electrode conductivity [S.m-1]", temperature);
  e.conductivity_t.p[0] = e.conductivity;
  e.c_max = ps.get("Maximum concentration in " + d + " electrode [mol.m-3]");
  e.c_init = ps.get("Initial concentration in " + d + " electrode [mol.m-3]");
  if (!ps.entry(D + " electrode OCP [V]").is_function())
    throw InvalidParameter("'" + D + " electrode OCP [V]' must be a function of stoichiometry, not a constant");
  return e;
}

}  // namespace

namespace {
//! PyBaMM's usual exchange current as a user expression, K * c_e^0.5 * c_s_surf^0.5 *
//! (c_s_max - c_s_surf)^0.5 (regularised powers) with K an expression of constants,
//! c_s_max and T: for an isothermal cell (its program specialised to its temperature)
//! the shipped closed form exchange_current_sqrt_arrhenius with m_ref = K at the
//! electrode's c_max and no Arrhenius factor (E_r = 0: exactly 1), which takes two square
//! roots and a division per point where the three regularised powers take six and three
//! (the same function: values within a few ulp, tests/unit/test_parameters.cpp;
//! Mohtat2020, Prada2013, Ecker2015, Ai2020, OKane2022, NCA_Kim2011). Any other
//! function, a table, or a K that still reads T (lumped thermal): returned as it is.
FunctionRef closed_form_exchange(const FunctionRef& f, double c_max) {
  if (f.id != FunctionId::user || !f.user || f.user->table.n > 0) return f;
  using expr::Op;
  using expr::Var;
  const expr::Program& p = f.user->program;
  struct Step {
    Op op;
    int arg;  // the variable (Op::variable) or RegPower's scale code (Op::regpow); -1: none
  };
  const int c_e = static_cast<int>(Var::c_e), c_s = static_cast<int>(Var::c_s_surf),
            c_m = static_cast<int>(Var::c_s_max);
  // the ops after K's: * c_e^0.5 * c_s_surf^0.5 * (c_s_max - c_s_surf)^0.5
  const Step tail[] = {{Op::variable, c_e}, {Op::constant, -1}, {Op::regpow, 2},    {Op::mul, -1},
                       {Op::variable, c_s}, {Op::constant, -1}, {Op::regpow, 1},    {Op::mul, -1},
                       {Op::variable, c_m}, {Op::variable, c_s}, {Op::sub, -1},     {Op::constant, -1},
                       {Op::regpow, 1},     {Op::mul, -1}};
  constexpr int nt = static_cast<int>(sizeof tail / sizeof tail[0]);
  const int nk = p.n_ops - nt;  // K's ops
  if (nk < 1) return f;
  for (int i = 0; i < nt; ++i) {
    const int q = nk + i;
    if (static_cast<Op>(p.op[q]) != tail[i].op || (tail[i].arg >= 0 && p.arg[q] != tail[i].arg)) return f;
    if (tail[i].op == Op::constant && p.constants[p.arg[q]] != 0.5) return f;
  }
  // K: one value from constants and c_s_max (T folded by the specialisation), nothing else
  int depth = 0;
  for (int i = 0; i < nk; ++i) {
    const Op op = static_cast<Op>(p.op[i]);
    if (op == Op::table || op == Op::regpow) return f;
    if (op == Op::variable && p.arg[i] != c_m) return f;
    depth += expr::stack_effect(op);
    if (depth < 1) return f;
  }
  if (depth != 1) return f;
  expr::Program k_program = p;
  k_program.n_ops = nk;
  double vars[expr::kSlots] = {};
  vars[c_m] = c_max;
  vars[expr::kCeScaleSlot] = 1.0;
  const double k = expr::evaluate(k_program, vars);
  if (!std::isfinite(k)) return f;
  FunctionRef r;
  r.id = FunctionId::exchange_current_sqrt_arrhenius;
  r.p[0] = k;
  r.p[1] = 0.0;
  return r;
}
}  // namespace

void assign_functions(CellParams& c, const ParameterSet& ps, double temperature) {
  for (const char* side : {"Negative", "Positive"}) {
    const std::string D = side;
    ElectrodeParams& e = D == "Negative" ? c.neg : c.pos;
    e.ocp = function_of(ps, D + " electrode OCP [V]", temperature);
    e.entropic = function_of(ps, D + " electrode OCP entropic change [V.K-1]", temperature);
    e.exchange =
        closed_form_exchange(function_of(ps, D + " electrode exchange-current density [A.m-2]", temperature), e.c_max);
    e.diffusivity = function_of(ps, D + " particle diffusivity [m2.s-1]", temperature);
  }
  c.electrolyte_diffusivity = function_of(ps, "Electrolyte diffusivity [m2.s-1]", temperature);
  c.electrolyte_conductivity = function_of(ps, "Electrolyte conductivity [S.m-1]", temperature);
  c.transference = function_of(ps, "Cation transference number", temperature);
  c.thermodynamic_factor = function_of(ps, "Thermodynamic factor", temperature);
}

CellParams ParameterSet::cell_params(double current) const {
  validate();
  CellParams c{};
  c.neg = electrode(*this, "Negative", get("Ambient temperature [K]"));
  c.pos = electrode(*this, "Positive", get("Ambient temperature [K]"));
  c.sep_thickness = get("Separator thickness [m]");
  c.sep_porosity = get("Separator porosity");
  c.sep_bruggeman_e = get("Separator Bruggeman coefficient (electrolyte)");
  c.n_parallel = get("Number of electrodes connected in parallel to make a cell");
  c.area = get("Electrode height [m]") * get("Electrode width [m]") * c.n_parallel;
  c.c_e_init = get("Initial concentration in electrolyte [mol.m-3]");
  c.temperature = get("Ambient temperature [K]");
  // Isothermal cells see only the ambient temperature: user functions are specialised
  // to it (enable_lumped_thermal points them back to the general records).
  assign_functions(c, *this, c.temperature);
  c.t_ref = get("Reference temperature [K]");
  c.current = current;
  c.v_min = get("Lower voltage cut-off [V]");
  c.v_max = get("Upper voltage cut-off [V]");
  // the eSOH limits of the summary variables (solver/output/summary.hpp); NaN without them
  for (auto [dst, key] : {std::pair<double*, const char*>{&c.ocv_soc_0, "Open-circuit voltage at 0% SOC [V]"},
                          std::pair<double*, const char*>{&c.ocv_soc_100, "Open-circuit voltage at 100% SOC [V]"}})
    *dst = contains(key) && !is_function(key) ? get(key) : std::nan("");
  c.thermal = 0;
  c.t_init = c.temperature;
  derive(c);
  return c;
}

namespace {
//! The five layers of the lumped model's heat capacity, in CellParams::density order.
const char* const kThermalLayers[5] = {"Negative current collector", "Negative electrode", "Separator",
                                       "Positive electrode", "Positive current collector"};
}  // namespace

void check_lumped_thermal(const ParameterSet& ps) {
  std::vector<std::string> needed;
  for (const char* layer : kThermalLayers) {
    needed.push_back(std::string(layer) + " density [kg.m-3]");
    needed.push_back(std::string(layer) + " specific heat capacity [J.kg-1.K-1]");
  }
  const std::size_t n_layer_properties = needed.size();
  for (const char* name : {"Negative current collector thickness [m]", "Positive current collector thickness [m]",
                           "Negative current collector conductivity [S.m-1]",
                           "Positive current collector conductivity [S.m-1]", "Cell volume [m3]",
                           "Cell cooling surface area [m2]", "Total heat transfer coefficient [W.m-2.K-1]",
                           "Initial temperature [K]"})
    needed.push_back(name);
  std::vector<std::string> missing;
  bool any_layer_property = false;
  for (std::size_t k = 0; k < needed.size(); ++k) {
    if (!ps.contains(needed[k])) missing.push_back(needed[k]);
    else if (k < n_layer_properties) any_layer_property = true;
  }
  if (missing.empty()) return;
  std::string msg = "parameter set '" + ps.name() + "' " +
                    (any_layer_property ? "lacks thermal parameters that" : "has no thermal parameters, which") +
                    " the lumped thermal model (--thermal lumped; thermal=\"lumped\" in Python and sweep configs)" +
                    " needs: missing";
  for (std::size_t k = 0; k < missing.size(); ++k) msg += (k ? ", '" : " '") + missing[k] + "'";
  msg += ". Run it isothermal (the default), or add them (a parameter file with \"base\": \"" + ps.name() +
         "\", docs/parameter_files.md)";
  throw InputError(msg);
}

void enable_lumped_thermal(CellParams& c, const ParameterSet& ps) {
  check_lumped_thermal(ps);
  const double l_ccn = ps.get("Negative current collector thickness [m]");
  const double l_ccp = ps.get("Positive current collector thickness [m]");
  const double volume = ps.get("Cell volume [m3]");
  check_parameter_range("Cell volume [m3]", volume);
  c.thermal = 1;
  c.t_init = ps.get("Initial temperature [K]");
  // T varies: the general user-function records (cell_params specialised them to the
  // ambient temperature), and the functions of T alone evaluated in the kernel
  assign_functions(c, ps, std::nan(""));
  for (const char* side : {"Negative", "Positive"}) {
    ElectrodeParams& e = side[0] == 'N' ? c.neg : c.pos;
    const std::string key = std::string(side) + " electrode conductivity [S.m-1]";
    if (ps.entry(key).user) e.conductivity_t = function_of(ps, key, std::nan(""));
  }
  c.cc_thickness[0] = l_ccn;
  c.cc_thickness[1] = l_ccp;
  for (int k = 0; k < 5; ++k) {
    const std::string layer = kThermalLayers[k];
    c.density[k] = function_of(ps, layer + " density [kg.m-3]", std::nan(""));
    c.specific_heat[k] = function_of(ps, layer + " specific heat capacity [J.kg-1.K-1]", std::nan(""));
  }
  // the functions' values at the start, range-checked as numbers are (a function may
  // still leave its range at temperatures the run reaches)
  const double eps[5] = {0.0, c.neg.porosity, c.sep_porosity, c.pos.porosity, 0.0};
  for (int k = 0; k < 5; ++k) {
    const std::string layer = kThermalLayers[k];
    value_at(ps, layer + " density [kg.m-3]", c.t_init, eps[k]);
    value_at(ps, layer + " specific heat capacity [J.kg-1.K-1]", c.t_init, eps[k]);
  }
  for (const char* side : {"Negative", "Positive"})
    value_at(ps, std::string(side) + " electrode conductivity [S.m-1]", c.t_init);
  c.cooling = ps.get("Total heat transfer coefficient [W.m-2.K-1]") * ps.get("Cell cooling surface area [m2]") / volume;
  c.stack_per_volume = c.area / volume;
  c.cc_resistance = l_ccn / ps.get("Negative current collector conductivity [S.m-1]") +
                    l_ccp / ps.get("Positive current collector conductivity [S.m-1]");
}

double open_circuit_voltage(const CellParams& c, double x, double y, double temp) {
  return fn::ocp(c.pos, y, temp, c.t_ref) - fn::ocp(c.neg, x, temp, c.t_ref);
}

namespace {

//! A root of f on [a, b] (f(a) f(b) <= 0, else InvalidParameter(`why`)) by bisection, run
//! until a and b are adjacent doubles (about 60 halvings; the midpoint is then a or b, and
//! halving further would change neither: the same root as 200 halvings, at under a third
//! of the cost, which is a sweep's planning cost per cell).
template <class F>
double bisect_root(F f, double a, double b, const char* why) {
  double fa = f(a), fb = f(b);
  if (!(fa * fb <= 0.0)) throw InvalidParameter(why);
  for (int i = 0; i < 200; ++i) {
    const double m = 0.5 * (a + b);
    if (m == a || m == b) break;
    const double fm = f(m);
    if ((fm > 0.0) == (fa > 0.0)) a = m, fa = fm;
    else b = m, fb = fm;
  }
  return 0.5 * (a + b);
}

}  // namespace

namespace {

//! The stoichiometries at 0 % and 100 % SOC of `c` (its lithium inventory and capacities),
//! where the OCV is ocv_0 and ocv_100: PyBaMM's eSOH (set_initial_state).
struct SocWindow {
  double x0, x100, y0, y100;
};

SocWindow soc_window(const CellParams& c, double ocv_0, double ocv_100) {
  // Capacities per unit area (common factors A F / 3600 cancel).
  const double qn = c.neg.active_fraction * c.neg.thickness * c.neg.c_max;
  const double qp = c.pos.active_fraction * c.pos.thickness * c.pos.c_max;
  const double qli = c.neg.active_fraction * c.neg.thickness * c.neg.c_init +
                     c.pos.active_fraction * c.pos.thickness * c.pos.c_init;
  auto ocv = [&](double x, double y) { return open_circuit_voltage(c, x, y, c.t_ref); };
  // 100%: U_p(y100) - U_n(x100) = ocv_100 with qn x100 + qp y100 = qli.
  const double x_hi = std::min(1.0, qli / qn), x_lo = std::max(0.0, (qli - qp) / qn);
  const double x100 = bisect_root([&](double x) { return ocv(x, (qli - qn * x) / qp) - ocv_100; }, x_lo, x_hi,
                                  "cannot set the initial SOC: no stoichiometry gives the "
                                  "'Open-circuit voltage at 100% SOC [V]'");
  const double y100 = (qli - qn * x100) / qp;
  // 0%: remove capacity q: x0 = x100 - q/qn, y0 = y100 + q/qp with OCV = ocv_0.
  const double q_max = std::min(x100 * qn, (1.0 - y100) * qp);
  const double q = bisect_root([&](double qq) { return ocv(x100 - qq / qn, y100 + qq / qp) - ocv_0; }, 0.0, q_max,
                               "cannot set the initial SOC: no stoichiometry gives the "
                               "'Open-circuit voltage at 0% SOC [V]'");
  return {x100 - q / qn, x100, y100 + q / qp, y100};
}

}  // namespace

void apply_initial_soc(CellParams& c, double soc, double ocv_0, double ocv_100) {
  if (!(soc >= 0.0 && soc <= 1.0)) throw InvalidParameter("initial SOC must be in [0, 1], got " + num(soc));
  const SocWindow w = soc_window(c, ocv_0, ocv_100);
  c.neg.c_init = (w.x0 + soc * (w.x100 - w.x0)) * c.neg.c_max;
  c.pos.c_init = (w.y0 - soc * (w.y0 - w.y100)) * c.pos.c_max;
}

double soc_at_voltage(const ParameterSet& ps, double volts) {
  const double ocv_0 = ps.get("Open-circuit voltage at 0% SOC [V]");
  const double ocv_100 = ps.get("Open-circuit voltage at 100% SOC [V]");
  if (!(volts >= ocv_0 && volts <= ocv_100))
    throw InvalidParameter("an initial voltage of " + num(volts) + " V is outside the set's open-circuit voltages "
                           "at 0% and 100% SOC, [" + num(ocv_0) + ", " + num(ocv_100) + "] V");
  const CellParams c = ps.cell_params(1.0);
  const SocWindow w = soc_window(c, ocv_0, ocv_100);
  return bisect_root(
      [&](double s) {
        return open_circuit_voltage(c, w.x0 + s * (w.x100 - w.x0), w.y0 - s * (w.y0 - w.y100), c.t_ref) - volts;
      },
      0.0, 1.0, "cannot set the initial state from a voltage: no SOC gives it");
}

}  // namespace ionflux
