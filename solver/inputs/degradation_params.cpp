#include "solver/inputs/degradation_params.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "solver/inputs/model_options.hpp"
#include "solver/inputs/user_function.hpp"
#include "solver/util/errors.hpp"
#include "solver/util/text.hpp"

namespace ionflux {
namespace {

// Cell-wide (no electrode prefix)
const char* const kSeiVbar = "SEI partial molar volume [m3.mol-1]";
const char* const kSeiL0 = "Initial SEI thickness [m]";
const char* const kSeiCrL0 = "Initial SEI on cracks thickness [m]";
const char* const kSeiZ = "Ratio of lithium moles to SEI moles";
const char* const kSeiR = "SEI resistivity [Ohm.m]";
const char* const kSeiU = "SEI open-circuit potential [V]";
const char* const kSeiE = "SEI growth activation energy [J.mol-1]";
const char* const kSeiJ0 = "SEI reaction exchange current density [A.m-2]";
const char* const kSeiDsol = "SEI solvent diffusivity [m2.s-1]";
const char* const kSeiCsol = "Bulk solvent concentration [mol.m-3]";
const char* const kSeiKappa = "SEI electron conductivity [S.m-1]";
const char* const kSeiDli = "SEI lithium interstitial diffusivity [m2.s-1]";
const char* const kSeiCli = "Lithium interstitial reference concentration [mol.m-3]";
const char* const kSeiCec = "EC initial concentration in electrolyte [mol.m-3]";
const char* const kSeiDec = "EC diffusivity [m2.s-1]";
const char* const kSeiK = "SEI kinetic rate constant [m.s-1]";
const char* const kSeiAlpha = "SEI growth transfer coefficient";
const char* const kSeiKappaLi = "SEI lithium ion conductivity [S.m-1]";
const char* const kSeiLtun = "Tunneling distance for electrons [m]";
const char* const kSeiBeta = "Tunneling barrier factor [m-1]";
const char* const kLiVbar = "Lithium metal partial molar volume [m3.mol-1]";
const char* const kPlC0 = "Initial plated lithium concentration [mol.m-3]";
const char* const kPlCtyp = "Typical plated lithium concentration [mol.m-3]";
const char* const kPlAlpha = "Lithium plating transfer coefficient";
const char* const kPlJ0 = "Exchange-current density for plating [A.m-2]";
const char* const kStJ0 = "Exchange-current density for stripping [A.m-2]";
const char* const kDeadRate = "Dead lithium decay rate [s-1]";
const char* const kPlK = "Lithium plating kinetic rate constant [m.s-1]";
const char* const kDeadGamma = "Dead lithium decay constant [s-1]";
const char* const kThermalExpansion = "Cell thermal expansion coefficient [m.K-1]";

// Per electrode: "Negative" / "Positive" + one of these
const char* const kNu = " electrode Poisson's ratio";
const char* const kYoung = " electrode Young's modulus [Pa]";
const char* const kOmega = " electrode partial molar volume [m3.mol-1]";
const char* const kC0 = " electrode reference concentration for free of deformation [mol.m-3]";
const char* const kVolume = " electrode volume change";
const char* const kCrL0 = " electrode initial crack length [m]";
const char* const kCrW0 = " electrode initial crack width [m]";
const char* const kCrRho = " electrode number of cracks per unit area [m-2]";
const char* const kParisB = " electrode Paris' law constant b";
const char* const kParisM = " electrode Paris' law constant m";
const char* const kCrRate = " electrode cracking rate";
const char* const kCrEa = " electrode activation energy for cracking rate [J.mol-1]";
const char* const kLamBeta = " electrode LAM constant proportional term [s-1]";
const char* const kLamBetaC = " electrode LAM constant proportional term (compressive) [s-1]";
const char* const kLamBetaT = " electrode LAM constant proportional term (tensile) [s-1]";
const char* const kLamM = " electrode LAM constant exponential term";
const char* const kLamSigma = " electrode critical stress [Pa]";
const char* const kLamReaction = " electrode reaction-driven LAM factor [m3.mol-1]";
const char* const kLamCurrent = " electrode current-driven LAM rate";

const char* const kSide[2] = {"Negative", "Positive"};

bool growth(SeiModel s) { return s != SeiModel::none && s != SeiModel::constant; }
bool stress_lam(LamModel l) {
  return l == LamModel::stress_driven || l == LamModel::stress_and_reaction_driven;
}
bool asymmetric_lam(LamModel l) {
  return l == LamModel::asymmetric_stress_driven || l == LamModel::asymmetric_stress_and_reaction_driven;
}
bool reaction_lam(LamModel l) {
  return l == LamModel::reaction_driven || l == LamModel::stress_and_reaction_driven ||
         l == LamModel::asymmetric_stress_and_reaction_driven;
}

//! "'SEI' = 'solvent-diffusion limited'" (the option as described for PyBaMM), with the
//! electrode where the option is per electrode.
std::string option_text(const std::vector<std::pair<std::string, std::string>>& described, const std::string& name,
                        int k = -1) {
  for (const auto& d : described)
    if (d.first == name)
      return "'" + name + "' = " + (d.second.front() == '(' ? d.second : "'" + d.second + "'") +
             (k < 0 ? "" : std::string(" (") + (k == 0 ? "negative" : "positive") + " electrode)");
  return "'" + name + "'";
}


}  // namespace

const std::vector<std::string>& degradation_parameter_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> r = {kSeiVbar, kSeiL0,   kSeiCrL0, kSeiZ,     kSeiR,       kSeiU,     kSeiE,
                                  kSeiJ0,   kSeiDsol, kSeiCsol, kSeiKappa, kSeiDli,     kSeiCli,   kSeiCec,
                                  kSeiDec,  kSeiK,    kSeiAlpha, kSeiKappaLi, kSeiLtun, kSeiBeta, kLiVbar,
                                  kPlC0,    kPlCtyp,  kPlAlpha, kPlJ0,     kStJ0,       kDeadRate, kPlK,
                                  kDeadGamma, kThermalExpansion};
    for (const char* D : kSide)
      for (const char* s : {kNu, kYoung, kOmega, kC0, kVolume, kCrL0, kCrW0, kCrRho, kParisB, kParisM, kCrRate, kCrEa,
                            kLamBeta, kLamBetaC, kLamBetaT, kLamM, kLamSigma, kLamReaction, kLamCurrent})
        r.push_back(std::string(D) + s);
    return r;
  }();
  return names;
}

const std::vector<DegradationFunctionInfo>& degradation_functions() {
  static const std::vector<DegradationFunctionInfo> t = {
      {"plating_exchange_current_density_OKane2020", FunctionId::plating_j0_okane2020, kPlJ0},
      {"stripping_exchange_current_density_OKane2020", FunctionId::stripping_j0_okane2020, kStJ0},
      {"SEI_limited_dead_lithium_OKane2022", FunctionId::dead_lithium_okane2022, kDeadRate},
      {"graphite_volume_change_Ai2020", FunctionId::graphite_volume_change_ai2020, "electrode volume change"},
      {"volume_change_Ai2020", FunctionId::volume_change_linear_ai2020, "electrode volume change"},
      {"lico2_volume_change_Ai2020", FunctionId::volume_change_linear_ai2020, "electrode volume change"},
      {"graphite_cracking_rate_Ai2020", FunctionId::cracking_rate_ai2020, "electrode cracking rate"},
      {"cracking_rate_Ai2020", FunctionId::cracking_rate_ai2020, "electrode cracking rate"},
      {"lico2_cracking_rate_Ai2020", FunctionId::cracking_rate_ai2020, "electrode cracking rate"},
  };
  return t;
}

FunctionRef degradation_function(const ParameterSet& ps, const std::string& key, double temperature,
                                 const std::string& needed_by) {
  FunctionRef f = function_of(ps, key, temperature);
  const std::string D = key.rfind("Positive", 0) == 0 ? "Positive" : "Negative";
  auto constant = [&](const std::string& name) {
    if (!ps.contains(name))
      throw InvalidParameter("'" + key + "' (" + ps.entry(key).function_name + ") reads '" + name +
                             "', which parameter set '" + ps.name() + "' lacks" +
                             (needed_by.empty() ? std::string() : "; " + needed_by + " needs it"));
    return ps.get(name);
  };
  switch (f.id) {
    case FunctionId::plating_j0_okane2020:
    case FunctionId::stripping_j0_okane2020:
      f.p[0] = constant(kPlK);  // F k c_e / F k c_Li
      break;
    case FunctionId::dead_lithium_okane2022:
      f.p[0] = constant(kDeadGamma);  // gamma0 L_sei0 / L_sei
      f.p[1] = constant(kSeiL0);
      break;
    case FunctionId::volume_change_linear_ai2020:
      // PyBaMM's volume_change_Ai2020 reads the positive electrode's parameters whichever
      // electrode it serves.
      f.p[0] = constant(std::string("Positive") + kOmega);
      f.p[1] = constant("Maximum concentration in positive electrode [mol.m-3]");
      break;
    case FunctionId::cracking_rate_ai2020:
      // Ai2020's forms read the activation energy; OKane2022's have 0 written in.
      f.p[0] = 3.9e-20;
      f.p[1] = ps.contains(D + kCrEa) ? ps.get(D + kCrEa) : 0.0;
      break;
    default:
      break;
  }
  return f;
}

std::vector<std::pair<std::string, std::string>> required_degradation_parameters(const ParameterSet& ps,
                                                                                 const ModelOptions& m) {
  std::vector<std::pair<std::string, std::string>> r;
  const auto described = describe_model_options(m);
  auto option = [&](const std::string& name, int k = -1) { return option_text(described, name, k); };
  auto need = [&](const std::string& p, const std::string& why) {
    for (const auto& x : r)
      if (x.first == p) return;
    r.emplace_back(p, why);
  };
  for (int k = 0; k < 2; ++k) {
    const std::string D = kSide[k];
    const SeiModel s = m.sei[k];
    if (s != SeiModel::none) {
      const std::string why = option("SEI", k);
      for (const char* p : {kSeiVbar, kSeiL0, kSeiZ}) need(p, why);
      if (m.sei_film != FilmResistance::none) need(kSeiR, option("SEI film resistance"));
    }
    if (growth(s)) {
      const std::string why = option("SEI", k);
      for (const char* p : {kSeiU, kSeiE, kSeiR}) need(p, why);
      switch (s) {
        case SeiModel::reaction_limited_asymmetric:
          need(kSeiAlpha, why);
          need(kSeiJ0, why);
          break;
        case SeiModel::reaction_limited:
          need(kSeiJ0, why);
          break;
        case SeiModel::solvent_diffusion_limited:
          need(kSeiDsol, why);
          need(kSeiCsol, why);
          break;
        case SeiModel::electron_migration_limited:
          need(kSeiKappa, why);
          break;
        case SeiModel::interstitial_diffusion_limited:
          need(kSeiDli, why);
          need(kSeiCli, why);
          break;
        case SeiModel::ec_reaction_limited_asymmetric:
          need(kSeiAlpha, why);
          [[fallthrough]];
        case SeiModel::ec_reaction_limited:
          for (const char* p : {kSeiCec, kSeiDec, kSeiK}) need(p, why);
          break;
        case SeiModel::vonkolzenberg2020:
          for (const char* p : {kSeiKappaLi, kSeiLtun, kSeiJ0, kSeiDli, kSeiCli}) need(p, why);
          break;
        case SeiModel::tunnelling_limited:
          need(kSeiJ0, why);
          need(kSeiBeta, why);
          break;
        default:
          break;
      }
      if (m.sei_on_cracks[k]) need(kSeiCrL0, option("SEI on cracks", k));
    }
    const PlatingModel pl = m.plating[k];
    if (pl != PlatingModel::none) {
      const std::string why = option("lithium plating", k);
      for (const char* p : {kLiVbar, kPlC0, kPlCtyp, kPlAlpha, kPlJ0}) need(p, why);
      if (pl != PlatingModel::irreversible) need(kStJ0, why);
      if (pl == PlatingModel::partially_reversible) need(kDeadRate, why);
    }
    const bool mech = m.mechanics[k] != MechanicsModel::none;
    if (mech || m.stress_induced_diffusion[k]) {
      const std::string why = mech ? option("particle mechanics", k) : option("stress-induced diffusion", k);
      for (const char* p : {kNu, kYoung, kOmega, kC0}) need(D + p, why);
    }
    if (mech) need(D + kVolume, option("particle mechanics", k));
    if (m.mechanics[k] == MechanicsModel::swelling_and_cracking)
      for (const char* p : {kCrL0, kCrW0, kCrRho, kParisB, kParisM, kCrRate})
        need(D + p, option("particle mechanics", k));
    const LamModel l = m.lam[k];
    if (l != LamModel::none) {
      const std::string why = option("loss of active material", k);
      if (stress_lam(l)) for (const char* p : {kLamBeta, kLamM, kLamSigma}) need(D + p, why);
      if (asymmetric_lam(l)) for (const char* p : {kLamBetaC, kLamBetaT, kLamM, kLamSigma}) need(D + p, why);
      if (reaction_lam(l)) need(D + kLamReaction, why);
      if (l == LamModel::current_driven) need(D + kLamCurrent, why);
    }
  }
  // The cell thickness change (both electrodes swelling) reads the thermal expansion.
  if (m.mechanics[0] != MechanicsModel::none && m.mechanics[1] != MechanicsModel::none)
    need(kThermalExpansion, option("particle mechanics"));
  (void)ps;
  return r;
}

void check_degradation_parameters(const ParameterSet& ps, const ModelOptions& m) {
  if (!m.any()) return;
  std::vector<std::pair<std::string, std::string>> missing;
  for (const auto& p : required_degradation_parameters(ps, m))
    if (!ps.contains(p.first)) missing.push_back(p);
  if (missing.empty()) return;
  std::string msg = "parameter set '" + ps.name() + "' lacks " +
                    (missing.size() == 1 ? std::string("a parameter") : std::to_string(missing.size()) + " parameters") +
                    " that the model options need:";
  for (std::size_t i = 0; i < missing.size(); ++i)
    msg += (i ? "; '" : " '") + missing[i].first + "' (needed by " + missing[i].second + ")";
  msg += ". Add them (--set, or a parameter file with \"base\": \"" + ps.name() +
         "\"; docs/degradation_options.md lists what each option needs), or use a set that has them (OKane2022)";
  throw InvalidParameter(msg);
}

void enable_degradation(CellParams& c, const ParameterSet& ps, const ModelOptions& m, double temperature) {
  if (!m.any()) return;
  check_degradation_parameters(ps, m);
  const auto req = required_degradation_parameters(ps, m);
  auto needed = [&](const std::string& p) {
    return std::any_of(req.begin(), req.end(), [&](const auto& x) { return x.first == p; });
  };
  auto why = [&](const std::string& p) {
    for (const auto& x : req)
      if (x.first == p) return x.second;
    return std::string();
  };
  auto scalar = [&](const std::string& p, double& out) {
    if (needed(p)) out = ps.get(p);
  };
  auto function = [&](const std::string& p, FunctionRef& out) {
    if (needed(p)) out = degradation_function(ps, p, temperature, why(p));
  };
  DegradationParams& d = c.deg;
  scalar(kSeiVbar, d.sei_partial_molar_volume);
  scalar(kSeiL0, d.sei_initial_thickness);
  scalar(kSeiCrL0, d.sei_cracks_initial_thickness);
  scalar(kSeiZ, d.sei_z);
  scalar(kSeiR, d.sei_resistivity);
  scalar(kSeiU, d.sei_ocp);
  scalar(kSeiE, d.sei_activation_energy);
  scalar(kSeiJ0, d.sei_exchange_current);
  scalar(kSeiDsol, d.sei_solvent_diffusivity);
  scalar(kSeiCsol, d.sei_bulk_solvent_conc);
  scalar(kSeiKappa, d.sei_electron_conductivity);
  scalar(kSeiDli, d.sei_interstitial_diffusivity);
  scalar(kSeiCli, d.sei_interstitial_conc);
  scalar(kSeiCec, d.sei_ec_initial_conc);
  scalar(kSeiDec, d.sei_ec_diffusivity);
  scalar(kSeiK, d.sei_kinetic_rate);
  scalar(kSeiAlpha, d.sei_transfer_coefficient);
  scalar(kSeiKappaLi, d.sei_li_ion_conductivity);
  scalar(kSeiLtun, d.sei_tunnelling_distance);
  scalar(kSeiBeta, d.sei_tunnelling_barrier);
  scalar(kLiVbar, d.li_partial_molar_volume);
  scalar(kPlC0, d.plated_initial_conc);
  scalar(kPlCtyp, d.plated_typical_conc);
  scalar(kPlAlpha, d.plating_transfer_coefficient);
  function(kPlJ0, d.plating_j0);
  function(kStJ0, d.stripping_j0);
  function(kDeadRate, d.dead_lithium_rate);
  scalar(kThermalExpansion, d.thermal_expansion);
  for (int k = 0; k < 2; ++k) {
    const std::string D = kSide[k];
    ElectrodeDegradation& e = d.electrode[k];
    scalar(D + kNu, e.poisson_ratio);
    function(D + kYoung, e.young_modulus);
    function(D + kOmega, e.partial_molar_volume);
    scalar(D + kC0, e.stress_free_conc);
    function(D + kVolume, e.volume_change);
    scalar(D + kCrL0, e.crack_length0);
    scalar(D + kCrW0, e.crack_width0);
    scalar(D + kCrRho, e.cracks_per_area);
    scalar(D + kParisB, e.paris_b);
    scalar(D + kParisM, e.paris_m);
    function(D + kCrRate, e.cracking_rate);
    function(D + kLamBeta, e.lam_beta);
    function(D + kLamBetaC, e.lam_beta_compressive);
    function(D + kLamBetaT, e.lam_beta_tensile);
    scalar(D + kLamM, e.lam_m);
    scalar(D + kLamSigma, e.critical_stress);
    scalar(D + kLamReaction, e.lam_reaction_factor);
    function(D + kLamCurrent, e.lam_current_rate);
  }
}

}  // namespace ionflux
