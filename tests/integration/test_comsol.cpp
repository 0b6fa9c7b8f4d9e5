// Voltage against COMSOL's DFN (Marquis2019), as PyBaMM's own COMSOL comparison.
//
// COMSOL data: shared/reference-data/comsol_DFN_Marquis2019/{05C,1C,2C,3C}/Voltage.csv
// (time [s], voltage [V]; 200 rows; see reference-data/README.md).
// Settings and PyBaMM's figures: tests/fixtures/pybamm_vs_comsol.json (generator
// section 3): Marquis2019 with electrode width = height = 1 m, sigma_n = 126 S/m,
// sigma_p = 16.6 S/m, I = 24 * C A, mesh x_n = 31, x_s = 11, x_p = 31, r_n = 11, r_p = 11
// ("script" mesh, PyBaMM's compare_comsol_DFN.py); PyBaMM's voltage at the COMSOL
// times before its 3.105 V cut-off (IDAKLU, rtol = atol = 1e-10).
//
// ionflux runs the same settings at its default tolerances (rtol 1e-6, atol 1e-8) with
// t_eval = the COMSOL times. Both RMS figures are taken over the same points: the
// COMSOL times before both cut-offs. Requirement: RMS_ionflux <= 1.01 RMS_PyBaMM.
// Why a 1 % margin: ionflux solves PyBaMM's discretised equations (same mesh, same
// stencils), so the two RMS figures differ only by the time-integration error of each
// run. By the triangle inequality for the RMS norm,
//   |RMS(V_ion - V_com) - RMS(V_pb - V_com)| <= RMS(V_ion - V_pb),
// and RMS(V_ion - V_pb) at rtol 1e-6 is ~1e-4 mV (printed), ~1e-4 of PyBaMM's RMS: at
// 2C ionflux's figure is 3e-5 mV above PyBaMM's, below at 3C, equal to 4 digits at 0.5C
// and 1C. So "<= PyBaMM" with no margin would test the integrator's noise, not the
// model. We therefore also require RMS(V_ion - V_pb) <= 1 % of PyBaMM's RMS, which is
// what makes the 1 % margin sufficient; any modelling difference that moved the
// voltage by a tenth of the COMSOL discrepancy would fail it.
#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <vector>

#include "../test_support.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

class VsComsol : public ::testing::TestWithParam<std::string> {};

TEST_P(VsComsol, VoltageRmsNoWorseThanPyBaMM) {
  const std::string rate = GetParam();
  const testing::json& fx = testing::load_fixture("pybamm_vs_comsol.json");
  const testing::json& fr = fx["rates"][rate];
  const auto comsol = testing::read_csv2(testing::shared_path("reference-data/comsol_DFN_Marquis2019/" + rate + "/Voltage.csv"));
  const std::vector<double>& t_c = comsol.first;
  const std::vector<double>& v_c = comsol.second;
  ASSERT_EQ(t_c.size(), 200u);

  ParameterSet ps = ParameterSet::load(fx["parameter_set"].get<std::string>());
  for (const char* key : {"Electrode width [m]", "Electrode height [m]", "Negative electrode conductivity [S.m-1]",
                          "Positive electrode conductivity [S.m-1]"})
    ps.set(key, fx["parameter_changes"][key].get<double>());
  const CellParams p = ps.cell_params(fr["current_A"].get<double>());
  ASSERT_EQ(p.v_min, fx["lower_cutoff_V"].get<double>());

  RunOptions o;
  const testing::json& m = fx["meshes"]["script"];
  o.mesh = testing::mesh_of(m["x_n"], m["x_s"], m["x_p"], m["r_n"], m["r_p"]);
  o.t_eval = t_c;
  o.t_end = 1.5 * t_c.back();
  const Solution s = simulate(p, o);
  ASSERT_TRUE(s.status == CellStatus::cutoff_lower || s.status == CellStatus::finished) << s.message;

  // PyBaMM's voltages at its first n_points COMSOL times.
  const std::vector<double> t_pb = testing::to_vec(fr["t [s]"]);
  const std::vector<double> v_pb = testing::to_vec(fr["script"]["pybamm_voltage [V]"]);
  ASSERT_EQ(t_pb.size(), v_pb.size());
  std::vector<double> d_ours, d_pb, d_ours_pb;
  for (std::size_t k = 0; k < t_c.size() && k < t_pb.size(); ++k) {
    ASSERT_EQ(t_pb[k], t_c[k]);
    const int j = testing::find_time(s.time, t_c[k]);
    // before our cut-off: an output at this time that is not the final (cut-off) point
    if (j < 0 || (j + 1 == static_cast<int>(s.time.size()) && s.status == CellStatus::cutoff_lower)) continue;
    d_ours.push_back(s.voltage[j] - v_c[k]);
    d_pb.push_back(v_pb[k] - v_c[k]);
    d_ours_pb.push_back(s.voltage[j] - v_pb[k]);
  }
  ASSERT_GE(d_ours.size() + 1, t_pb.size()) << "ionflux stopped much earlier than PyBaMM";
  const double rms_ours = testing::rms(d_ours), rms_pb = testing::rms(d_pb);
  const double rms_ours_pb = testing::rms(d_ours_pb);
  EXPECT_LE(rms_ours, 1.01 * rms_pb);
  EXPECT_LE(rms_ours_pb, 0.01 * rms_pb);
  std::cout << "  [" << rate << "] " << d_ours.size() << " COMSOL points: RMS ionflux " << testing::sci(rms_ours * 1e3, 6)
            << " mV, PyBaMM " << testing::sci(rms_pb * 1e3, 6) << " mV (fixture: " << testing::sci(fr["script"]["rms_V"].get<double>() * 1e3, 4)
            << " mV on " << fr["script"]["n_points"] << " points); RMS(ionflux - PyBaMM) " << testing::sci(rms_ours_pb * 1e3)
            << " mV; end " << s.end_time << " s vs PyBaMM " << fr["script"]["t_end [s]"].get<double>() << " s\n";
  RecordProperty("rms_ionflux_mV", testing::sci(rms_ours * 1e3, 6));
  RecordProperty("rms_pybamm_mV", testing::sci(rms_pb * 1e3, 4));
  RecordProperty("rms_ionflux_minus_pybamm_mV", testing::sci(rms_ours_pb * 1e3));
}

INSTANTIATE_TEST_SUITE_P(Rates, VsComsol, ::testing::Values("05C", "1C", "2C", "3C"));

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
