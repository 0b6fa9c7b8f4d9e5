#include "solver/inputs/parameter_function.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/model/degradation_functions.hpp"
#include "kernels/model/functions.hpp"
#include "solver/inputs/degradation_params.hpp"
#include "solver/inputs/user_function.hpp"
#include "solver/util/errors.hpp"

namespace ionflux {
namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string r;
  for (std::size_t i = 0; i < names.size(); ++i) r += (i ? ", " : "") + names[i];
  return r;
}

//! The kernel's reference to the entry's function: the general record of a user
//! function (no temperature specialisation), a built-in closed form, or a constant.
FunctionRef reference_of(const Entry& e) {
  if (e.is_function()) return e.function;  // user entries point at their kernel record
  FunctionRef f;
  f.p[0] = e.value;
  return f;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

bool is_degradation_function(const std::string& key) {
  const auto& names = degradation_parameter_names();
  return std::find(names.begin(), names.end(), key) != names.end();
}

}  // namespace

std::vector<std::string> function_arguments(const std::string& parameter) {
  FunctionSignature sig;
  if (!function_signature(parameter, sig)) throw InvalidParameter("'" + parameter + "' takes a number, not a function");
  std::vector<std::string> r;
  std::string cur;
  for (char ch : sig.arguments + ",") {
    if (ch == ',') {
      if (!cur.empty()) r.push_back(cur);
      cur.clear();
    } else if (ch != ' ') {
      cur += ch;
    }
  }
  return r;
}

void evaluate_function(const ParameterSet& ps, const std::string& key, const std::vector<const double*>& args,
                       std::size_t n, double* out) {
  const Entry& entry = ps.entry(key);  // UnknownParameter first
  const std::vector<std::string> names = function_arguments(key);
  if (args.size() != names.size())
    throw InvalidParameter("'" + key + "' is a function of (" + joined(names) + "): got " +
                           std::to_string(args.size()) + " argument" + (args.size() == 1 ? "" : "s") + ", expected " +
                           std::to_string(names.size()));
  const FunctionRef f = reference_of(entry);
  const std::string kind = parameter_kind(key);
  auto a = [&](std::size_t i, std::size_t k) { return args[i][k]; };
  constexpr double lo = 1e-10, hi = 1.0 - 1e-10;  // the solver's stoichiometry clip (fn::ocp)
  if (kind == "electrode OCP [V]") {
    for (std::size_t k = 0; k < n; ++k) out[k] = fn::ocp_ref(f, ad_clip(a(0, k), lo, hi));
  } else if (kind == "electrode OCP entropic change [V.K-1]") {
    for (std::size_t k = 0; k < n; ++k) out[k] = fn::entropic_change(f, ad_clip(a(0, k), lo, hi));
  } else if (kind == "particle diffusivity [m2.s-1]") {
    ElectrodeParams e{};
    e.diffusivity = f;
    e.c_max = 1.0;  // the kernel reads c_s / c_max: pass the stoichiometry itself
    for (std::size_t k = 0; k < n; ++k) out[k] = fn::particle_diffusivity(e, a(0, k), a(1, k));
  } else if (kind == "electrode exchange-current density [A.m-2]") {
    const double c_e_scale = ps.get("Initial concentration in electrolyte [mol.m-3]");
    ElectrodeParams e{};
    e.exchange = f;
    for (std::size_t k = 0; k < n; ++k) {
      e.c_max = a(2, k);
      out[k] = fn::exchange_current(e, a(0, k), a(1, k), a(3, k), c_e_scale);
    }
  } else if (key == "Electrolyte diffusivity [m2.s-1]") {
    for (std::size_t k = 0; k < n; ++k) out[k] = fn::electrolyte_diffusivity(f, a(0, k), a(1, k));
  } else if (key == "Electrolyte conductivity [S.m-1]") {
    for (std::size_t k = 0; k < n; ++k) out[k] = fn::electrolyte_conductivity(f, a(0, k), a(1, k));
  } else if (key == "Cation transference number") {
    for (std::size_t k = 0; k < n; ++k) out[k] = fn::transference_number(f, a(0, k), a(1, k));
  } else if (key == "Thermodynamic factor") {
    for (std::size_t k = 0; k < n; ++k) out[k] = fn::thermodynamic_factor(f, a(0, k), a(1, k));
  } else if (kind == "electrode conductivity [S.m-1]") {
    ElectrodeParams e{};
    e.conductivity_t = f;
    e.solid_tor = 1.0;  // the bare conductivity, before (1 - eps)^b_s
    e.sigma_eff = f.p[0];
    for (std::size_t k = 0; k < n; ++k) out[k] = fn::sigma_eff(e, a(0, k));
  } else if (names.size() == 1 && names[0] == "T" && starts_with(kind, "current collector")) {
    for (std::size_t k = 0; k < n; ++k) out[k] = fn::thermal_property(f, a(0, k), 0.0);
  } else if (names.size() == 2 && names[0] == "T" && names[1] == "eps") {
    for (std::size_t k = 0; k < n; ++k) out[k] = fn::thermal_property(f, a(0, k), a(1, k));
  } else if (is_degradation_function(key)) {
    // closed forms with their constants from the set (degradation_params.cpp); the
    // kernel's evaluators (kernels/model/degradation_functions.hpp)
    const FunctionRef g = degradation_function(ps, key, std::nan(""));
    DegradationParams d{};
    ElectrodeDegradation el{};
    d.plating_j0 = d.stripping_j0 = d.dead_lithium_rate = g;
    el.young_modulus = el.partial_molar_volume = el.volume_change = el.cracking_rate = el.lam_beta =
        el.lam_beta_compressive = el.lam_beta_tensile = el.lam_current_rate = g;
    for (std::size_t k = 0; k < n; ++k) {
      if (key == "Exchange-current density for plating [A.m-2]") out[k] = fn::plating_j0(d, a(0, k), a(1, k), a(2, k));
      else if (key == "Exchange-current density for stripping [A.m-2]") out[k] = fn::stripping_j0(d, a(0, k), a(1, k), a(2, k));
      else if (key == "Dead lithium decay rate [s-1]") out[k] = fn::dead_lithium_rate(d, a(0, k));
      else if (kind == "electrode Young's modulus [Pa]") out[k] = fn::young_modulus(el, a(0, k), a(1, k));
      else if (kind == "electrode partial molar volume [m3.mol-1]") out[k] = fn::partial_molar_volume(el, a(0, k), a(1, k));
      else if (kind == "electrode volume change") out[k] = fn::volume_change(el, a(0, k));
      else if (kind == "electrode current-driven LAM rate") out[k] = fn::lam_current_rate(el, a(0, k), a(1, k));
      else out[k] = fn::cracking_rate(el, a(0, k));  // the functions of T alone: the same form
    }
  } else {
    throw InvalidParameter("'" + key + "': no evaluation for this function parameter");
  }
}

}  // namespace ionflux
