// Physical invariants along full discharges (rtol 1e-6, atol 1e-8, states stored at
// every output): Chen2020 1C on the default 20-cell mesh, and Marquis2019 2C on an
// uneven mesh.
//
// Lithium: the finite-volume DFN conserves
//   Li = sum_x eps_i c_e,i dx_i + sum_electrode eps_s,i dx_i <c_s>_i
// exactly (what the electrolyte gains, a j dx / F per node, the particle loses through
// its surface flux j/F; the face fluxes telescope; zero flux at x = 0, L and r = 0),
// with <c_s> the volume average over shells (weights r_out^3 - r_in^3). Every BDF step
// preserves a linear invariant whose rows sum to zero exactly up to the Newton
// residual, so the drift measures the Newton/linear-solve accuracy, not the time error.
// Bound: relative drift <= 1e-7 at every output (from the brief; ten times below rtol).
//
// Charge: summing the phi_s rows over the positive electrode telescopes to
// i_s(L) - i_s(L_n + L_s) + sum a j dx = i_cell + sum_p a j dx, and the phi_e rows over
// the whole cell to -sum_all a j dx (i_e = 0 at both ends), so
//   sum_n a_i j_i dx_i = I/A,   sum_p a_i j_i dx_i = -I/A
// hold to the algebraic residual left by Newton. Bound: relative 1e-6 (= rtol, which
// sets the Newton stopping test on the potentials; see the figures printed).
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <string>

#include "../test_support.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

//! Checks both invariants at every output of a stored-state run; prints the figures.
void check_invariants(const std::string& label, const CellParams& p, const Solution& sol) {
  ASSERT_EQ(sol.status, CellStatus::cutoff_lower) << sol.message;
  EXPECT_NEAR(sol.voltage.back(), p.v_min, 1e-9);
  ASSERT_EQ(sol.states.size(), sol.time.size() * static_cast<std::size_t>(sol.layout.n_state));
  const Layout& l = sol.layout;
  const double li0 = testing::total_lithium(p, l, sol.state(0));
  const double i_cell = p.current / p.area;
  double drift_max = 0.0, worst_n = 0.0, worst_p = 0.0;
  for (std::size_t k = 0; k < sol.time.size(); ++k) {
    const double* y = sol.state(k);
    const double drift = std::fabs(testing::total_lithium(p, l, y) - li0) / li0;
    EXPECT_LE(drift, 1e-7) << label << " lithium, t = " << sol.time[k];
    drift_max = std::max(drift_max, drift);
    const double sn = testing::reaction_current(p, l, y, 0);
    const double sp = testing::reaction_current(p, l, y, 2);
    EXPECT_NEAR(sn, i_cell, 1e-6 * i_cell) << label << " negative, t = " << sol.time[k];
    EXPECT_NEAR(sp, -i_cell, 1e-6 * i_cell) << label << " positive, t = " << sol.time[k];
    worst_n = std::max(worst_n, std::fabs(sn - i_cell) / i_cell);
    worst_p = std::max(worst_p, std::fabs(sp + i_cell) / i_cell);
  }
  // Not trivially constant: lithium has moved out of the negative particles.
  const double* y0 = sol.state(0);
  const double* y1 = sol.state(sol.time.size() - 1);
  const int mid_n = l.cs_index(l.nn / 2, l.rn - 1);
  EXPECT_LT(y1[mid_n], 0.9 * y0[mid_n]);
  std::cout << "  [" << label << "] " << sol.time.size() << " outputs to " << sol.end_time << " s ("
            << sol.stats.steps << " steps, " << sol.wall_time << " s): lithium " << li0
            << " mol/m2, max relative drift " << testing::sci(drift_max) << "; charge balance max relative error "
            << "negative " << testing::sci(worst_n) << ", positive " << testing::sci(worst_p) << " (I/A = " << i_cell
            << " A/m2)\n";
  ::testing::Test::RecordProperty("lithium_max_relative_drift", testing::sci(drift_max));
  ::testing::Test::RecordProperty("charge_balance_negative_max_rel", testing::sci(worst_n));
  ::testing::Test::RecordProperty("charge_balance_positive_max_rel", testing::sci(worst_p));
}

Solution run_stored(const CellParams& p, const MeshSpec& mesh, double t_end) {
  RunOptions o;
  o.mesh = mesh;
  o.solver.rtol = 1e-6;
  o.solver.atol = 1e-8;
  o.t_end = t_end;
  o.store_states = true;
  return simulate(p, o);
}

TEST(Invariants, Chen2020OneCFullDischarge) {
  // The brief's case: Chen2020, 1C = 5 A, default 20-cell mesh.
  const CellParams p = testing::cell_of("Chen2020", 5.0);
  check_invariants("Chen2020 1C, 20-cell mesh", p, run_stored(p, testing::uniform_mesh(20), 1.5 * 3600.0));
}

TEST(Invariants, Marquis2019TwoCUnevenMesh) {
  // A second set (separator porosity 1, Bruggeman 1.5 in the solid, Arrhenius D_s) at
  // 2C on a mesh with different cell counts (and widths) in every domain.
  const CellParams p = testing::cell_of("Marquis2019", 2.0 * 0.680616);
  check_invariants("Marquis2019 2C, mesh 7/5/9/6/8", p, run_stored(p, testing::mesh_of(7, 5, 9, 6, 8), 0.75 * 3600.0));
}

TEST(ImpossibleCell, CutoffAtStartAndPrompt) {
  // 2000 A on the 5 A.h Chen2020 cell (400C): the consistent initial voltage is far
  // below 2.5 V, so the run must stop at t = 0 with cutoff_at_start.
  const CellParams p = testing::cell_of("Chen2020", 2000.0);
  RunOptions o;
  o.mesh = testing::uniform_mesh(20);
  o.t_end = 3600.0;
  const auto t0 = std::chrono::steady_clock::now();
  const Solution s = simulate(p, o);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(s.status, CellStatus::cutoff_at_start) << cell_status_name(s.status) << ": " << s.message;
  EXPECT_EQ(s.stats.steps, 0);
  ASSERT_FALSE(s.time.empty());
  EXPECT_EQ(s.time.back(), 0.0);
  EXPECT_LT(s.voltage.front(), p.v_min);
  // Only the consistent initialisation runs (a few Newton iterations on 400 unknowns):
  // milliseconds; 1 s allows for sanitizer builds and a busy machine.
  EXPECT_LT(wall, 1.0);
  std::cout << "  2000 A: " << cell_status_name(s.status) << ", V(0) = " << s.voltage.front() << " V, " << wall
            << " s\n";
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
