#include "solver/inputs/plausibility.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "kernels/model/functions.hpp"

namespace ionflux {
namespace {

std::string g(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

std::string g6(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

bool has(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

//! A unit a value may have been given in by mistake: SI value = given * scale + offset.
struct Alt {
  const char* unit;
  double scale, offset;
};

struct Range {
  double lo, hi;               //!< the usual range [SI unit of the name]
  const char* unit;            //!< as shown in the message
  const Alt* alts;             //!< likely mistakes, most likely first (static tables)
  int n_alts;
  bool zero_ok = false;        //!< 0 is a legitimate value (e.g. no current collector)
};

template <int N>
Range range(double lo, double hi, const char* unit, const Alt (&alts)[N], bool zero_ok = false) {
  return {lo, hi, unit, alts, N, zero_ok};
}
Range range(double lo, double hi, const char* unit) { return {lo, hi, unit, nullptr, 0, false}; }

// The units a value is likely given in by mistake (static: the check runs for every
// parameter of every run, issue 14's start-up).
constexpr Alt kLengths[] = {{"µm", 1e-6, 0}, {"mm", 1e-3, 0}, {"cm", 1e-2, 0}, {"nm", 1e-9, 0}};
constexpr Alt kSizes[] = {{"mm", 1e-3, 0}, {"cm", 1e-2, 0}};
constexpr Alt kMolPerLitre[] = {{"mol/L (1 mol/L = 1000 mol.m-3)", 1e3, 0}};
constexpr Alt kMaxConc[] = {{"mol/L (1 mol/L = 1000 mol.m-3)", 1e3, 0}, {"mol.cm-3", 1e6, 0}};
constexpr Alt kCelsius[] = {{"°C (25 °C = 298.15 K)", 1.0, 273.15}};
constexpr Alt kCm2[] = {{"cm2.s-1", 1e-4, 0}};
constexpr Alt kMilliVolt[] = {{"mV", 1e-3, 0}};
constexpr Alt kMilliAh[] = {{"mA.h", 1e-3, 0}};

//! The usual range of a parameter's quantity, by its name; false when not checked.
//! The ranges are wide (every shipped set and PyBaMM's sets lie well inside): a value
//! outside is orders of magnitude away from any real cell.
bool usual_range(const std::string& n, Range& r) {
  // every checked name ends in one of these units: the others are passed by one look at
  // their unit, not a dozen searches (this runs for every parameter of every run)
  const std::size_t u = n.rfind('[');
  if (u == std::string::npos) return false;
  const char* unit = n.c_str() + u;
  bool checked = false;
  for (const char* c : {"[m]", "[mol.m-3]", "[K]", "[m2.s-1]", "[S.m-1]", "[V]", "[A.h]"})
    checked = checked || std::strcmp(unit, c) == 0;
  if (!checked) return false;
  if (has(n, "particle radius [m]")) r = range(1e-9, 1e-3, "m", kLengths);
  else if (has(n, "current collector thickness [m]")) r = range(1e-7, 1e-2, "m", kLengths, true);
  else if (has(n, "electrode thickness [m]") || n == "Separator thickness [m]") r = range(1e-6, 1e-2, "m", kLengths);
  // a wound electrode is a few metres long (an 18650's about 0.6-1.5 m, large formats more),
  // and a pouch's stack may be modelled as one long sheet: the width up to 100 m; a height
  // is a sheet's short side
  else if (n == "Electrode height [m]") r = range(1e-3, 10.0, "m", kSizes);
  else if (n == "Electrode width [m]") r = range(1e-3, 1e2, "m", kSizes);
  else if (n == "Initial concentration in electrolyte [mol.m-3]") r = range(10.0, 1e4, "mol.m-3", kMolPerLitre);
  else if (has(n, "Maximum concentration in") && has(n, "[mol.m-3]")) r = range(1e3, 1e6, "mol.m-3", kMaxConc);
  else if (has(n, "temperature [K]")) r = range(150.0, 600.0, "K", kCelsius);
  else if (has(n, "diffusivity [m2.s-1]") && !has(n, "SEI") && !has(n, "EC ")) r = range(1e-22, 1e-6, "m2.s-1", kCm2);
  else if ((has(n, "electrode conductivity [S.m-1]") || n == "Electrolyte conductivity [S.m-1]"))
    r = range(1e-6, 1e9, "S.m-1");
  else if (n == "Lower voltage cut-off [V]" || n == "Upper voltage cut-off [V]" || has(n, "Open-circuit voltage at"))
    r = range(0.0, 10.0, "V", kMilliVolt, true);
  else if (n == "Nominal cell capacity [A.h]") r = range(1e-6, 1e5, "A.h", kMilliAh);
  else return false;
  return true;
}

}  // namespace

std::string implausible_value(const std::string& name, double v) {
  Range r;
  if (!std::isfinite(v) || !usual_range(name, r)) return {};
  if ((v >= r.lo && v <= r.hi) || (r.zero_ok && v == 0.0)) return {};
  std::string msg = "'" + name + "' = " + g(v) + " is far outside the usual " + g(r.lo) + ".." + g(r.hi) + " " + r.unit;
  // Of the units that would put the value inside the range, the one that puts it nearest
  // the range's middle (geometric where the range is positive): a 5 µm radius typed in mm
  // (5e-3) is 5e-6 m, not the 5e-9 m it would be in µm.
  const bool log_scale = r.lo > 0.0;
  const double mid = log_scale ? std::sqrt(r.lo * r.hi) : 0.5 * (r.lo + r.hi);
  const Alt* best = nullptr;
  double best_si = 0.0, best_dist = 0.0;
  for (int k = 0; k < r.n_alts; ++k) {
    const Alt& a = r.alts[k];
    const double si = v * a.scale + a.offset;
    if (!(si >= r.lo && si <= r.hi)) continue;
    const double dist = log_scale ? std::fabs(std::log(si / mid)) : std::fabs(si - mid);
    if (!best || dist < best_dist) best = &a, best_si = si, best_dist = dist;
  }
  if (best) return msg + "; was it given in " + best->unit + "? (that would be " + g6(best_si) + " " + r.unit + ")";
  return msg + "; check its unit";
}

std::vector<std::string> implausible_values(const ParameterSet& ps) {
  std::vector<std::string> w;
  for (const std::string& n : ps.names()) {
    const Entry& e = ps.entry(n);
    if (e.is_function()) continue;
    std::string m = implausible_value(n, e.value);
    if (!m.empty()) w.push_back(std::move(m));
  }
  return w;
}

std::string diagnose_cutoff_at_start(const CellParams& c, double v0, double i0) {
  if (!std::isfinite(v0)) return {};
  std::string s = "voltage " + g6(v0) + " V at " + g6(i0) + " A, outside the cut-offs [" + g6(c.v_min) + ", " +
                  g6(c.v_max) + "] V";
  const double temp = c.thermal ? c.t_init : c.temperature;
  const double ocv = open_circuit_voltage(c, c.neg.c_init / c.neg.c_max, c.pos.c_init / c.pos.c_max, temp);
  if (!std::isfinite(ocv)) return s;
  const bool high = v0 >= c.v_max;  // past the upper cut-off (else the lower)
  const char* room = high ? "a lower initial state of charge (--soc / initial_soc)"
                          : "a higher initial state of charge (--soc / initial_soc)";
  // at the cut-off counts as past it (to 1 uV): an initial SOC of 0 or 1 puts the OCV on
  // the set's OCV limit, which is usually its cut-off, to rounding that differs by build
  constexpr double kAt = 1e-6;
  if (high ? ocv >= c.v_max - kAt : ocv <= c.v_min + kAt)
    return s + "; the open-circuit voltage of the initial state, " + g6(ocv) + " V, is already at or past it: " +
           "start from " + room;
  // another initial state helps only where the cell starts near the cut-off it crossed
  const bool near = std::fabs(ocv - (high ? c.v_max : c.v_min)) < 0.1 * (c.v_max - c.v_min);
  return s + "; the open-circuit voltage of the initial state is " + g6(ocv) + " V, and the current's drop of " +
         g6(std::fabs(v0 - ocv)) + " V takes it past the cut-off: give a smaller current" +
         (near ? std::string(", or start from ") + room : std::string());
}

std::string diagnose_init_failure(const CellParams& c) {
  std::vector<std::string> found;
  auto bad = [](double v) { return !std::isfinite(v) || v <= 0.0; };
  auto show = [](double v) { return std::isfinite(v) ? g(v) : std::string(std::isnan(v) ? "NaN" : "infinite"); };
  const double temp = c.thermal ? c.t_init : c.temperature;
  const double ce = c.c_e_init;
  const double i_dens = c.current / c.area;  // [A/m2] of electrode area
  const double kappa = fn::electrolyte_conductivity(c.electrolyte_conductivity, ce, temp);
  const double de = fn::electrolyte_diffusivity(c.electrolyte_diffusivity, ce, temp);
  if (bad(kappa)) found.push_back("electrolyte conductivity at c_e = " + g(ce) + " mol.m-3 is " + show(kappa) + " S.m-1");
  if (bad(de)) found.push_back("electrolyte diffusivity at c_e = " + g(ce) + " mol.m-3 is " + show(de) + " m2.s-1");
  double drop_e = 0.0, drop_s = 0.0;
  for (int side = 0; side < 2; ++side) {
    const ElectrodeParams& e = side ? c.pos : c.neg;
    const std::string d = side ? "positive" : "negative";
    const double sto = e.c_init / e.c_max;
    const double u = fn::ocp(e, sto, temp, c.t_ref);
    const double j0 = fn::exchange_current(e, ce, e.c_init, temp, c.c_e_init);
    const double ds = fn::particle_diffusivity(e, e.c_init, temp);
    if (!std::isfinite(u) || u < -2.0 || u > 8.0)
      found.push_back(d + " OCP at stoichiometry " + g(sto) + " is " + show(u) + " V");
    if (!(sto > 0.0 && sto < 1.0)) found.push_back(d + " initial stoichiometry is " + g(sto) + " (an empty or full electrode)");
    if (bad(j0)) found.push_back(d + " exchange-current density is " + show(j0) + " A.m-2");
    if (bad(ds)) found.push_back(d + " particle diffusivity is " + show(ds) + " m2.s-1");
    // the mean pore-wall current density the applied current needs, against j0
    const double j_mean = std::fabs(i_dens) / (e.a * e.thickness);
    if (std::isfinite(j0) && j0 > 0.0 && j_mean > 1e3 * j0)
      found.push_back(d + " electrode: the current needs " + g(j_mean) + " A.m-2 of pore-wall current density, " +
                      g(j_mean / j0) + " times its exchange-current density " + g(j0) + " A.m-2");
    drop_e += e.thickness / e.tor;
    drop_s += e.thickness / e.sigma_eff;
  }
  drop_e = std::fabs(i_dens) * (drop_e + c.sep_thickness / c.sep_tor) / kappa;
  drop_s = std::fabs(i_dens) * drop_s;
  if (std::isfinite(drop_e) && drop_e > 2.0)
    found.push_back("the ohmic drop across the electrolyte would be about " + g(drop_e) + " V at " + g(c.current) + " A");
  if (std::isfinite(drop_s) && drop_s > 2.0)
    found.push_back("the ohmic drop across the electrodes' solid phase would be about " + g(drop_s) + " V at " +
                    g(c.current) + " A");
  // inputs orders of magnitude from the usual range
  const std::pair<const char*, double> inputs[] = {
      {"Negative electrode thickness [m]", c.neg.thickness},
      {"Separator thickness [m]", c.sep_thickness},
      {"Positive electrode thickness [m]", c.pos.thickness},
      {"Negative particle radius [m]", c.neg.particle_radius},
      {"Positive particle radius [m]", c.pos.particle_radius},
      {"Maximum concentration in negative electrode [mol.m-3]", c.neg.c_max},
      {"Maximum concentration in positive electrode [mol.m-3]", c.pos.c_max},
      {"Initial concentration in electrolyte [mol.m-3]", c.c_e_init},
      {c.thermal ? "Initial temperature [K]" : "Ambient temperature [K]", temp},
  };
  for (const auto& in : inputs) {
    const std::string m = implausible_value(in.first, in.second);
    if (!m.empty()) found.push_back(m);
  }
  if (found.empty()) return {};
  std::string s = "at the initial state: ";
  for (std::size_t k = 0; k < found.size(); ++k) s += (k ? "; " : "") + found[k];
  return s;
}

}  // namespace ionflux
