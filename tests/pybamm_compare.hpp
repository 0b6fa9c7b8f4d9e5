// A 1C discharge against a PyBaMM fixture (tests/fixtures/pybamm_set_*.json,
// pybamm_bpx_*.json: t, Voltage and Discharge capacity at PyBaMM's output times):
// the same cell at the fixture's current on PyBaMM's default mesh, ionflux's default
// tolerances, compared at every fixture time before both cut-offs. Fixtures that record
// "ambient_temperature_K", "initial_temperature_K" and "thermal" ("lumped") run at those
// temperatures and with that model; lumped ones also compare the cell temperature.
#pragma once

#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace ionflux {
namespace testing {

struct Comparison {
  double rms = 0.0, max = 0.0, capacity_rel = 0.0;  //!< [V], [V], relative
  double temperature_max = 0.0;                      //!< [K], lumped thermal fixtures only
  std::size_t points = 0;
};

inline Comparison compare_discharge(const ParameterSet& ps_in, const json& fx) {
  ParameterSet ps = ps_in;
  if (fx.contains("ambient_temperature_K")) ps.set("Ambient temperature [K]", fx["ambient_temperature_K"].get<double>());
  if (fx.contains("initial_temperature_K")) ps.set("Initial temperature [K]", fx["initial_temperature_K"].get<double>());
  const bool lumped = fx.contains("thermal") && fx["thermal"].get<std::string>() == "lumped";
  CellParams p = ps.cell_params(fx["current_A"].get<double>());
  if (lumped) enable_lumped_thermal(p, ps);
  if (fx.contains("initial_soc"))  // a set whose own initial state is not charged (Mohtat2020)
    apply_initial_soc(p, fx["initial_soc"].get<double>(), ps.get("Open-circuit voltage at 0% SOC [V]"),
                      ps.get("Open-circuit voltage at 100% SOC [V]"));
  const std::vector<double> t_ref = to_vec(fx["time_series"]["t [s]"]);
  const std::vector<double> v_ref = to_vec(fx["time_series"]["Voltage [V]"]);
  const std::vector<double> q_ref = to_vec(fx["time_series"]["Discharge capacity [A.h]"]);
  RunOptions o;
  o.mesh = uniform_mesh(20);  // PyBaMM's default: 20 cells everywhere
  o.solver.rtol = 1e-6;
  o.solver.atol = 1e-8;
  o.t_eval.assign(t_ref.begin(), t_ref.end() - 1);
  o.t_end = 1.5 * fx["t_end"].get<double>();
  const Solution s = simulate(p, o);
  EXPECT_EQ(s.status, CellStatus::cutoff_lower) << s.message;
  std::vector<double> dv, temp_ref;
  if (lumped) temp_ref = to_vec(fx["time_series"]["Volume-averaged cell temperature [K]"]);
  double dtemp = 0.0;
  for (std::size_t k = 0; k + 1 < t_ref.size(); ++k) {
    const int j = find_time(s.time, t_ref[k]);
    if (j < 0 || j + 1 == static_cast<int>(s.time.size())) continue;  // after our cut-off
    dv.push_back(s.voltage[j] - v_ref[k]);
    if (lumped) dtemp = std::max(dtemp, std::fabs(s.temperature.at(j) - temp_ref[k]));
  }
  EXPECT_GE(dv.size() + 2, t_ref.size()) << "ionflux stopped early";
  Comparison c;
  c.points = dv.size();
  c.rms = rms(dv);
  c.max = max_abs(dv);
  c.capacity_rel = s.discharge_capacity / q_ref.back() - 1.0;
  c.temperature_max = dtemp;
  return c;
}

inline void report(const std::string& label, const Comparison& c, double rms_bound) {
  std::cout << "  [" << label << "] " << c.points << " points: voltage RMS " << sci(c.rms * 1e3) << " mV (bound "
            << rms_bound * 1e3 << "), max " << sci(c.max * 1e3) << " mV; capacity rel " << sci(c.capacity_rel)
            << "\n";
}

}  // namespace testing
}  // namespace ionflux
