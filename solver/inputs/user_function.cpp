#include "solver/inputs/user_function.hpp"

#include <algorithm>
#include <cmath>

#include "solver/util/errors.hpp"
#include "solver/inputs/expression.hpp"
#include "solver/inputs/table.hpp"

namespace ionflux {
namespace {

using expr::Var;

constexpr unsigned bit(Var v) { return 1u << static_cast<int>(v); }

struct KindSignature {
  const char* kind;
  FunctionSignature sig;
};

const std::vector<KindSignature>& signatures() {
  static const std::vector<KindSignature> s = {
      {"electrode OCP [V]", {bit(Var::sto), static_cast<int>(Var::sto), false, "sto"}},
      {"electrode OCP entropic change [V.K-1]", {bit(Var::sto), static_cast<int>(Var::sto), false, "sto"}},
      {"particle diffusivity [m2.s-1]", {bit(Var::sto) | bit(Var::T), static_cast<int>(Var::sto), false, "sto, T"}},
      {"electrode exchange-current density [A.m-2]",
       {bit(Var::c_e) | bit(Var::c_s_surf) | bit(Var::c_s_max) | bit(Var::T), -1, true, "c_e, c_s_surf, c_s_max, T"}},
      {"Electrolyte diffusivity [m2.s-1]", {bit(Var::c_e) | bit(Var::T), static_cast<int>(Var::c_e), false, "c_e, T"}},
      {"Electrolyte conductivity [S.m-1]", {bit(Var::c_e) | bit(Var::T), static_cast<int>(Var::c_e), false, "c_e, T"}},
      {"Cation transference number", {bit(Var::c_e) | bit(Var::T), static_cast<int>(Var::c_e), false, "c_e, T"}},
      {"Thermodynamic factor", {bit(Var::c_e) | bit(Var::T), static_cast<int>(Var::c_e), false, "c_e, T"}},
      // Functions of temperature (PyBaMM 26.10's FunctionParameters of T; its electrode
      // conductivity also takes the surface stoichiometry, which ionflux does not pass:
      // sigma varying along x with c_s would couple the solid-phase rows to the particles).
      // The wet-layer thermal properties may read their layer's porosity as `eps`, as
      // PyBaMM's ORegan2022 heat capacities read pybamm.Parameter("... porosity").
      {"electrode conductivity [S.m-1]", {bit(Var::T), static_cast<int>(Var::T), false, "T"}},
      {"current collector density [kg.m-3]", {bit(Var::T), static_cast<int>(Var::T), false, "T"}},
      {"current collector specific heat capacity [J.kg-1.K-1]", {bit(Var::T), static_cast<int>(Var::T), false, "T"}},
      {"current collector thermal conductivity [W.m-1.K-1]", {bit(Var::T), static_cast<int>(Var::T), false, "T"}},
      {"electrode density [kg.m-3]", {bit(Var::T) | bit(Var::eps), static_cast<int>(Var::T), false, "T, eps"}},
      {"electrode specific heat capacity [J.kg-1.K-1]",
       {bit(Var::T) | bit(Var::eps), static_cast<int>(Var::T), false, "T, eps"}},
      {"electrode thermal conductivity [W.m-1.K-1]",
       {bit(Var::T) | bit(Var::eps), static_cast<int>(Var::T), false, "T, eps"}},
      {"Separator density [kg.m-3]", {bit(Var::T) | bit(Var::eps), static_cast<int>(Var::T), false, "T, eps"}},
      {"Separator specific heat capacity [J.kg-1.K-1]",
       {bit(Var::T) | bit(Var::eps), static_cast<int>(Var::T), false, "T, eps"}},
      {"Separator thermal conductivity [W.m-1.K-1]",
       {bit(Var::T) | bit(Var::eps), static_cast<int>(Var::T), false, "T, eps"}},
      // Degradation (kernels/model/degradation_functions.hpp), in PyBaMM's argument
      // names: c_Li the plated lithium concentration, L_sei the local SEI thickness,
      // i the applied current density I/A_cc. PyBaMM regularises square roots and powers
      // in the plating exchange currents (scales c_e,init and c_Li,typ); ionflux does
      // not (its shipped functions are linear).
      {"Exchange-current density for plating [A.m-2]",
       {bit(Var::c_e) | bit(Var::c_Li) | bit(Var::T), -1, false, "c_e, c_Li, T"}},
      {"Exchange-current density for stripping [A.m-2]",
       {bit(Var::c_e) | bit(Var::c_Li) | bit(Var::T), -1, false, "c_e, c_Li, T"}},
      {"Dead lithium decay rate [s-1]", {bit(Var::L_sei), static_cast<int>(Var::L_sei), false, "L_sei"}},
      {"electrode Young's modulus [Pa]", {bit(Var::sto) | bit(Var::T), static_cast<int>(Var::sto), false, "sto, T"}},
      {"electrode partial molar volume [m3.mol-1]",
       {bit(Var::sto) | bit(Var::T), static_cast<int>(Var::sto), false, "sto, T"}},
      {"electrode volume change", {bit(Var::sto), static_cast<int>(Var::sto), false, "sto"}},
      {"electrode cracking rate", {bit(Var::T), static_cast<int>(Var::T), false, "T"}},
      {"electrode LAM constant proportional term [s-1]", {bit(Var::T), static_cast<int>(Var::T), false, "T"}},
      {"electrode LAM constant proportional term (compressive) [s-1]",
       {bit(Var::T), static_cast<int>(Var::T), false, "T"}},
      {"electrode LAM constant proportional term (tensile) [s-1]",
       {bit(Var::T), static_cast<int>(Var::T), false, "T"}},
      {"electrode current-driven LAM rate", {bit(Var::i) | bit(Var::T), static_cast<int>(Var::i), false, "i, T"}},
  };
  return s;
}

//! Kinds that exist once per electrode ("Negative ..."/"Positive ...").
bool per_electrode(const std::string& kind) {
  return kind.rfind("electrode", 0) == 0 || kind.rfind("particle", 0) == 0 || kind.rfind("current collector", 0) == 0;
}

}  // namespace

std::string parameter_kind(const std::string& name) {
  for (const char* prefix : {"Negative ", "Positive "}) {
    const std::string p = prefix;
    if (name.compare(0, p.size(), p) == 0) return name.substr(p.size());
  }
  return name;
}

bool function_signature(const std::string& parameter, FunctionSignature& out) {
  const std::string k = parameter_kind(parameter);
  const bool prefixed = k != parameter;
  for (const auto& s : signatures())
    if (k == s.kind && prefixed == per_electrode(k)) {
      out = s.sig;
      return true;
    }
  return false;
}

std::vector<std::string> function_parameter_names() {
  std::vector<std::string> r;
  for (const auto& s : signatures()) {
    const std::string k = s.kind;
    if (per_electrode(k)) {
      r.push_back("Negative " + k);
      r.push_back("Positive " + k);
    } else {
      r.push_back(k);
    }
  }
  return r;
}

namespace {
FunctionSignature signature_or_throw(const std::string& parameter) {
  FunctionSignature sig;
  if (!function_signature(parameter, sig))
    throw InvalidParameter("'" + parameter + "' takes a number, not a function");
  return sig;
}

expr::Program compile_for(const std::string& parameter, const FunctionSignature& sig, const std::string& text,
                          bool with_table) {
  try {
    CompileOptions o;
    o.table = with_table;
    o.regularise_powers = sig.regularise_powers;
    return compile_expression(text, sig.allowed, o);
  } catch (const ExpressionError& e) {
    if (!e.variable.empty())
      throw InvalidParameter("expression for '" + parameter + "' uses '" + e.variable + "' at position " +
                             std::to_string(e.position + 1) + ", but this parameter is a function of (" +
                             sig.arguments + ") only: \"" + text + "\"");
    // One line: the message without the caret lines, which follow on their own.
    std::string m = e.what();
    const std::size_t nl = m.find('\n');
    const std::string head = nl == std::string::npos ? m : m.substr(0, nl);
    throw InvalidParameter("'" + parameter + "': " + head + " (arguments: " + sig.arguments + ")");
  }
}
}  // namespace

std::shared_ptr<const UserFunctionSource> UserFunctionSource::expression(const std::string& parameter,
                                                                         const std::string& text) {
  const FunctionSignature sig = signature_or_throw(parameter);
  std::shared_ptr<UserFunctionSource> s(new UserFunctionSource());
  s->expression_ = text;
  s->fn_.program = compile_for(parameter, sig, text, false);
  return s;
}

std::shared_ptr<const UserFunctionSource> UserFunctionSource::table(const std::string& parameter,
                                                                    std::vector<double> x, std::vector<double> y,
                                                                    const std::string& interpolator,
                                                                    const std::string& expression) {
  const FunctionSignature sig = signature_or_throw(parameter);
  table::Kind kind;
  try {
    kind = table_kind(interpolator);
  } catch (const std::invalid_argument& e) {
    throw InvalidParameter("'" + parameter + "': " + e.what());
  }
  Table t;
  try {
    t = make_table(std::move(x), std::move(y), kind, "'" + parameter + "'");
  } catch (const std::invalid_argument& e) {
    throw InvalidParameter(e.what());
  }
  std::string text = expression;
  if (text.empty()) {
    if (sig.table_argument < 0)
      throw InvalidParameter("'" + parameter + "': a table for this function needs an \"expression\" in " +
                             sig.arguments + " that uses it through table(...)");
    text = std::string("table(") + variable_name(static_cast<Var>(sig.table_argument)) + ")";
  }
  std::shared_ptr<UserFunctionSource> s(new UserFunctionSource());
  s->expression_ = expression;
  s->interpolator_ = interpolator;
  s->fn_.program = compile_for(parameter, sig, text, true);
  const std::size_t n = t.x.size();
  s->data_.reserve(3 * n);
  s->data_.insert(s->data_.end(), t.x.begin(), t.x.end());
  s->data_.insert(s->data_.end(), t.y.begin(), t.y.end());
  if (t.d.empty()) s->data_.resize(3 * n, 0.0);
  else s->data_.insert(s->data_.end(), t.d.begin(), t.d.end());
  s->x_ = std::move(t.x);
  s->y_ = std::move(t.y);
  s->fn_.table.kind = static_cast<int>(kind);
  s->fn_.table.n = static_cast<int>(n);
  s->fn_.table.data = s->data_.data();
  return s;
}

const UserFunction& UserFunctionSource::at_temperature(double temperature) const {
  if (!(fn_.program.uses & bit(Var::T)) || !std::isfinite(temperature)) return fn_;
  std::lock_guard<std::mutex> lock(specialised_mutex_);
  // A sweep over many temperatures would make one record per cell (each copied to the
  // device): past kMaxSpecialisations distinct temperatures, the general record.
  constexpr std::size_t kMaxSpecialisations = 64;
  if (!specialised_.count(temperature) && specialised_.size() >= kMaxSpecialisations) return fn_;
  auto& slot = specialised_[temperature];
  if (!slot) {
    slot = std::make_unique<UserFunction>(fn_);
    slot->program = specialize(fn_.program, Var::T, temperature);
  }
  return *slot;
}

std::string UserFunctionSource::describe() const {
  if (!has_table()) return "expression: " + expression_;
  std::string r = "table (" + interpolator_ + ", " + std::to_string(x_.size()) + " points)";
  if (!expression_.empty()) r += ": " + expression_;
  return r;
}

double UserFunctionSource::operator()(double sto, double c_e, double c_s_surf, double c_s_max,
                                      double temperature, double eps) const {
  const double vars[expr::kSlots] = {sto, c_e, c_s_surf, c_s_max, temperature, eps, 1.0};
  return evaluate(fn_, vars);
}

}  // namespace ionflux
