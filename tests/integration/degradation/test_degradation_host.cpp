// The host side of particle mechanics, loss of active material (LAM) and SEI on cracks
// (issue 16): the lithium inventory and summary variables from the eps_s, n_LAM, c_sei,cr
// and l_cr states (kernels/model/inventory.hpp, solver/output/summary.hpp), the time
// series (degradation_series), PyBaMM's degradation termination events, and lithium
// conservation with every degradation option on. PyBaMM's definitions: reference
// ../shared/reference/pybamm-degradation.md sections 3.4, 3.5, 5, 6, 7, 9.1; its coupled
// runs: tests/fixtures/degradation/coupled_n10.json (generate_degradation_fixtures.py,
// PyBaMM 26.10.1.1). The vs-PyBaMM summary comparisons are in
// tests/python/test_degradation_summary.py.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "../../test_support.hpp"
#include "kernels/model/cell_solver.hpp"
#include "kernels/model/inventory.hpp"
#include "solver/inputs/experiment.hpp"
#include "solver/inputs/model_options.hpp"
#include "solver/inputs/parameters.hpp"
#include "solver/output/summary.hpp"
#include "solver/problem/problem.hpp"
#include "solver/problem/simulation.hpp"
#include "solver/util/errors.hpp"

namespace ionflux {
namespace {

//! OKane2022's coupled-degradation options (reference 11.1; coupled_n10.json's "options"),
//! resolved as PyBaMM resolves them.
ModelOptions coupled_options() {
  return resolve_model_options({{"SEI", parse_option_value("solvent-diffusion limited")},
                                {"SEI porosity change", parse_option_value("true")},
                                {"lithium plating", parse_option_value("partially reversible")},
                                {"lithium plating porosity change", parse_option_value("true")},
                                {"particle mechanics", parse_option_value("(swelling and cracking, swelling only)")},
                                {"SEI on cracks", parse_option_value("true")},
                                {"loss of active material", parse_option_value("stress-driven")}});
}

CellParams okane_cell(const ParameterSet& ps, const ModelOptions& o) {
  return build_cell(ps, 5.0, false, std::nullopt, o);
}

//! OKane2022 with the coupled options on `mesh`, and the state initial_guess gives: every
//! degradation unknown at its initial value (deg::initial_value: eps_s = eps_s,0, c_sei,
//! c_sei,cr, l_cr = 2e-8 m), T = the ambient temperature.
struct CoupledAtStart {
  ParameterSet ps = ParameterSet::load("OKane2022");
  ModelOptions o = coupled_options();
  CellParams p = okane_cell(ps, o);
  Layout l;
  std::vector<double> y;
  explicit CoupledAtStart(const MeshSpec& mesh)
      : l(Layout::make(mesh, o)), y(static_cast<std::size_t>(l.n_state), 0.0) {
    initial_guess(p, l, CView{y.data()});
  }
};

// ------------------------------------------------------------ inventory ----------
TEST(DegradationHost, InventoryReadsTheActiveMaterialLamAndCrackStates) {
  // A state with eps_s, n_LAM and c_sei,cr set by hand (not solved: the kernel's
  // equations are not needed to check the bookkeeping). Expected values: PyBaMM's
  // definitions (reference 9.1, 3.5, 7.1), computed here by their own loops. Before the
  // states were read the inventory used the parameter eps_s and left LAM and SEI-on-cracks
  // lithium at 0 (all four checks below failed).
  CoupledAtStart c(testing::mesh_of(5, 4, 5, 6, 7));
  const CellParams& p = c.p;
  const Layout& l = c.l;
  std::vector<double>& y = c.y;
  ASSERT_GE(l.dslot[0][kDegEpsS], 0);
  ASSERT_GE(l.dslot[1][kDegLamLi], 0);
  ASSERT_GE(l.dslot[0][kDegSeiCr], 0);
  ASSERT_LT(l.dslot[1][kDegSeiCr], 0);
  const double vbar = p.deg.sei_partial_molar_volume;
  const double c_cr0 = p.deg.sei_cracks_initial_thickness * p.neg.a / vbar;  // L_cr0 a_typ / Vbar (3.4)
  double eps_sum[2] = {0, 0}, lith[2] = {0, 0}, lam[2] = {0, 0}, c_cr = 0.0;
  for (int q = 0; q < l.nn + l.np; ++q) {
    const int i = l.electrode_node(q), e = l.electrode_of(i);
    const ElectrodeParams& ep = e == 0 ? p.neg : p.pos;
    const double eps_s = ep.active_fraction * (1.0 - 0.01 * (q + 1));  // lost 1 %, 2 %, ... of the material
    y[l.d_index(i, kDegEpsS)] = eps_s;
    y[l.d_index(i, kDegLamLi)] = 3.0 * (q + 1);  // mol per m3 of electrode
    if (e == 0) y[l.d_index(i, kDegSeiCr)] = c_cr0 * (1.0 + 0.1 * q);
    double cbar = 0.0;  // r-average: exact shell volumes
    for (int k = 0; k < l.nr(i); ++k) {
      const double a = static_cast<double>(k) / l.nr(i), b = static_cast<double>(k + 1) / l.nr(i);
      cbar += (b * b * b - a * a * a) * y[l.cs_index(i, k)];
    }
    const double dx = ep.thickness / (e == 0 ? l.nn : l.np);
    eps_sum[e] += eps_s / (e == 0 ? l.nn : l.np);
    lith[e] += eps_s * cbar * dx * p.area;
    lam[e] += 3.0 * (q + 1) * dx * p.area;
    if (e == 0) c_cr += y[l.d_index(i, kDegSeiCr)] / l.nn;
  }
  const Inventory inv = lithium_inventory(p, l, CView{y.data()});
  const double fah = constants::F / 3600.0;
  EXPECT_NEAR(inv.v[kInvLithiumNeg], lith[0], 1e-13 * lith[0]);
  EXPECT_NEAR(inv.v[kInvLithiumPos], lith[1], 1e-13 * lith[1]);
  EXPECT_NEAR(inv.v[kInvCapacityNeg], eps_sum[0] * p.neg.thickness * p.area * p.neg.c_max * fah, 1e-12);
  EXPECT_NEAR(inv.v[kInvCapacityPos], eps_sum[1] * p.pos.thickness * p.area * p.pos.c_max * fah, 1e-12);
  EXPECT_NEAR(inv.v[kInvLamNeg], lam[0], 1e-13 * lam[0]);
  EXPECT_NEAR(inv.v[kInvLamPos], lam[1], 1e-13 * lam[1]);
  const double cr_ref = (c_cr - c_cr0) * p.neg.thickness * p.area * p.deg.sei_z;
  EXPECT_NEAR(inv.v[kInvSeiCracksNeg], cr_ref, 1e-12 * cr_ref);
  EXPECT_EQ(inv.v[kInvSeiCracksPos], 0.0);
  // the summary variables of a one-cycle run ending in this state (PyBaMM's names)
  CycleStates cs;
  cs.n = 1;
  cs.n_cycles = 1;
  for (int f = 0; f < kInventoryFields; ++f) cs.end_inv[f] = {inv.v[f]}, cs.start_inv[f] = {inv.v[f]};
  for (int f = 0; f < kEsohFields; ++f) cs.esoh[f] = {0.5};
  cs.t_end = {3600.0};
  cs.t_start = {0.0};
  cs.throughput_capacity = cs.throughput_energy = cs.moved_capacity = cs.moved_energy = {0.0};
  cs.cell.resize(kCellSummaryFields);
  cell_summary_inputs(p, l, cs.cell.data());
  const SummaryVariables sv = summary_variables(cs);
  auto get = [&](const std::string& n) {
    const std::vector<double>* v = sv.find(n);
    EXPECT_NE(v, nullptr) << n;
    return v ? (*v)[0] : std::numeric_limits<double>::quiet_NaN();
  };
  // LAM [%] = 100 (1 - <eps_s>_x / eps_s,init) (reference 9.1 with Q_k of 7.3)
  EXPECT_NEAR(get("Loss of active material in negative electrode [%]"),
              100.0 * (1.0 - eps_sum[0] / p.neg.active_fraction), 1e-10);
  EXPECT_NEAR(get("Loss of active material in positive electrode [%]"),
              100.0 * (1.0 - eps_sum[1] / p.pos.active_fraction), 1e-10);
  EXPECT_NEAR(get("Loss of lithium due to loss of active material in negative electrode [mol]"), lam[0], 1e-13 * lam[0]);
  EXPECT_NEAR(get("Loss of lithium due to loss of active material in positive electrode [mol]"), lam[1], 1e-13 * lam[1]);
  EXPECT_NEAR(get("Loss of capacity to negative SEI on cracks [A.h]"), cr_ref * fah, 1e-12 * cr_ref * fah);
  // SEI on cracks is in the side-reaction total, LAM lithium is not (9.1)
  EXPECT_NEAR(get("Total lithium lost to side reactions [mol]"),
              inv.v[kInvSeiNeg] + inv.v[kInvPlatingNeg] + cr_ref, 1e-12 * cr_ref);
  // the time series of the same state
  std::vector<std::string> names;
  std::vector<double> vals;
  degradation_series(p, l, y.data(), &names, vals);
  auto series = [&](const std::string& n) {
    for (std::size_t k = 0; k < names.size(); ++k)
      if (names[k] == n) return vals[k];
    ADD_FAILURE() << "no series " << n;
    return std::numeric_limits<double>::quiet_NaN();
  };
  EXPECT_NEAR(series("X-averaged negative electrode active material volume fraction"), eps_sum[0], 1e-15);
  EXPECT_NEAR(series("Loss of lithium due to loss of active material in positive electrode [mol]"), lam[1],
              1e-13 * lam[1]);
  // initial crack length 2e-8 m (the guess leaves l_cr at 0 before i16-mech's initial value:
  // whichever, the roughness is 1 + 2 l_cr rho_cr w_cr of the state's l_cr)
  const double lcr = y[l.d_index(0, kDegCrack)];
  const ElectrodeDegradation& dn = p.deg.electrode[0];
  EXPECT_NEAR(series("X-averaged negative electrode roughness ratio"),
              1.0 + 2.0 * lcr * dn.cracks_per_area * dn.crack_width0, 1e-12);
  // "Cell thickness change [m]" is defined (both electrodes have mechanics) and is the sum
  // of the electrode changes at T = T_ref... plus alpha (T - T_ref)
  const double tc = series("Cell thickness change [m]");
  EXPECT_NEAR(tc,
              series("Negative electrode thickness change [m]") + series("Positive electrode thickness change [m]") +
                  p.deg.thermal_expansion * (y[l.kT()] - p.t_ref),
              1e-18);
}

TEST(DegradationHost, ThicknessChangeIsZeroAtTheInitialState) {
  // PyBaMM's thickness change is eps_s (t(sto_rav) - t(sto_init)) (reference 6.1): 0 at
  // the initial state (uniform c = c_init), nonzero once lithium moves.
  CoupledAtStart c(testing::mesh_of(3, 2, 3, 5, 5));
  const CellParams& p = c.p;
  const Layout& l = c.l;
  std::vector<double>& y = c.y;
  ASSERT_EQ(y[l.kT()], p.t_ref);  // OKane2022's ambient temperature: no thermal expansion either
  std::vector<std::string> names;
  std::vector<double> v0, v1;
  degradation_series(p, l, y.data(), &names, v0);
  for (std::size_t k = 0; k < names.size(); ++k)
    if (names[k].find("thickness change") != std::string::npos)
      EXPECT_NEAR(v0[k], 0.0, 1e-15 * (p.neg.thickness + p.pos.thickness)) << names[k];  // r-average round-off
  for (int k = 0; k < l.rn; ++k)
    for (int i = 0; i < l.nn; ++i) y[l.cs_index(i, k)] *= 1.2;  // lithiate the graphite: it swells
  degradation_series(p, l, y.data(), nullptr, v1);
  for (std::size_t k = 0; k < names.size(); ++k)
    if (names[k] == "Negative electrode thickness change [m]") EXPECT_GT(v1[k], 0.0);
}

// ------------------------------------------------------------ events -------------
TEST(DegradationHost, EventFunctionIsPyBaMMsCrackAndPorosityEvents) {
  // 1 - max l_cr / R and min eps, 1 - max eps (reference 5, 6.2): the smallest of them.
  CoupledAtStart c(testing::mesh_of(3, 2, 3, 5, 5));
  const CellParams& p = c.p;
  const Layout& l = c.l;
  std::vector<double>& y = c.y;
  const CView v{y.data()};
  double eps_min = 1.0, eps_max = 0.0;
  for (int q = 0; q < l.nn + l.np; ++q) {
    const double e = deg::node_porosity(p, l, l.electrode_node(q), v);
    eps_min = std::min(eps_min, e), eps_max = std::max(eps_max, e);
  }
  const double g0 = degradation_event(p, l, v);
  EXPECT_DOUBLE_EQ(g0, std::min(eps_min, 1.0 - eps_max));
  // a crack at 99.9 % of the radius at node 1: the crack event is the smallest
  y[l.d_index(1, kDegCrack)] = 0.999 * p.neg.particle_radius;
  EXPECT_NEAR(degradation_event(p, l, v), 1e-3, 1e-12);
  y[l.d_index(1, kDegCrack)] = 1.001 * p.neg.particle_radius;
  EXPECT_LT(degradation_event(p, l, v), 0.0);
  // the plain DFN has no event
  const Layout plain = Layout::make(testing::mesh_of(3, 2, 3, 5, 5));
  std::vector<double> yp(static_cast<std::size_t>(plain.n_state), 0.0);
  EXPECT_EQ(degradation_event(p, plain, CView{yp.data()}), 1.0);
}

//! simulate(), skipping the test while validate_run_options refuses the options (until
//! i16-mech's kernel stages are merged).
#define IONFLUX_SIMULATE_OR_SKIP(sol, p, r)                                                              \
  try {                                                                                                  \
    sol = simulate(p, r);                                                                                \
  } catch (const InputError& e) {                                                                        \
    if (std::string(e.what()).find("not solved by ionflux yet") != std::string::npos)                    \
      GTEST_SKIP() << "mechanics/LAM not solved yet on this branch (i16-mech): " << e.what();           \
    throw;                                                                                               \
  }

TEST(DegradationHost, CrackLongerThanTheParticleRadiusEndsTheRun) {
  // "swelling and cracking" with "Negative electrode cracking rate" 1e-14 (OKane2022's
  // cracking_rate_Ai2020 gives 3.9e-20 at T_ref): the cracks outgrow the particles within
  // the 1C discharge. PyBaMM ends on "negative  particle crack length larger than particle
  // radius" (1 - max l_cr / R); here status degradation_limit, a normal end, with the last
  // output's cracks still shorter than R. Without the event the run went on past l_cr = R.
  // The porosity events (min eps, 1 - max eps) are in the same function; with this
  // solver, as with PyBaMM's, a porosity that tends to 0 stalls the integration before it
  // crosses 0 (tried: SEI filling the pores ends in error_test_failure at eps ~ 1e-12),
  // so their run-level check is EventFunctionIsPyBaMMsCrackAndPorosityEvents.
  ParameterSet ps = ParameterSet::load("OKane2022");
  ps.set("Negative electrode cracking rate", 1e-14);
  const ModelOptions o = resolve_model_options({{"particle mechanics", parse_option_value("swelling and cracking")}});
  const CellParams p = okane_cell(ps, o);
  RunOptions r;
  r.mesh = testing::mesh_of(3, 2, 3, 8, 8);
  r.model = o;
  r.t_end = 3600.0;
  r.store_states = true;
  Solution s;
  IONFLUX_SIMULATE_OR_SKIP(s, p, r);
  EXPECT_EQ(s.status, CellStatus::degradation_limit) << s.message;
  ASSERT_GT(s.time.size(), 2u);
  const double* y = s.state(s.time.size() - 1);
  double l_max = 0.0;
  for (int i = 0; i < s.layout.nn; ++i) l_max = std::max(l_max, y[s.layout.d_index(i, kDegCrack)]);
  EXPECT_LT(l_max, p.neg.particle_radius);
  EXPECT_GT(l_max, 0.5 * p.neg.particle_radius);  // it did grow to the radius' order
  std::cout << "  ended at t = " << s.end_time << " s, max crack length " << l_max << " m (R = "
            << p.neg.particle_radius << " m)\n";
}

// ------------------------------------------------------------ conservation -------
//! Lithium of the cell [mol] from its summary bookkeeping: particles (current eps_s) +
//! electrolyte (current porosity) + SEI + SEI on cracks + plated + dead + lost with LAM
//! (reference 9.1; the fixtures' own check, NOTES.md "Lithium conservation").
double all_lithium(const CellParams& p, const Layout& l, const double* y) {
  const Inventory v = lithium_inventory(p, l, CView{const_cast<double*>(y)});
  double n = v.v[kInvLithiumNeg] + v.v[kInvLithiumPos] + v.v[kInvLithiumElyte];
  for (int f : {kInvSeiNeg, kInvSeiPos, kInvSeiCracksNeg, kInvSeiCracksPos, kInvPlatingNeg, kInvPlatingPos, kInvLamNeg,
                kInvLamPos})
    n += v.v[f];
  return n;
}

//! 10 CC-CV cycles (1C / 0.3C / hold to C/20) of OKane2022 with options o on a coarse mesh:
//! the largest relative drift of all_lithium over the stored states, and the end inventory.
//! Bound: the 1e-8 relative (porosity change: the BDF's time error of eps c_e,
//! test_degradation.cpp's PorosityChangeConservesLithiumToTheTimeError).
void check_conservation(const ModelOptions& o, bool sei_on_cracks) {
  const ParameterSet ps = ParameterSet::load("OKane2022");
  const CellParams p = okane_cell(ps, o);
  const Experiment ex = parse_experiment(
      {{"Discharge at 1C until 2.5 V", "Charge at 0.3C until 4.2 V", "Hold at 4.2 V until C/20"}}, 10, ps);
  RunOptions r;
  r.mesh = testing::mesh_of(4, 3, 4, 6, 6);
  r.model = o;
  r.solver.rtol = 1e-6;
  r.solver.atol = 1e-8;
  r.steps = ex.steps;
  r.tables = ex.tables;
  r.step_text = ex.text;
  r.t_end = 400.0 * 3600.0;
  r.store_states = true;
  Solution s;
  IONFLUX_SIMULATE_OR_SKIP(s, p, r);
  ASSERT_EQ(s.status, CellStatus::finished) << s.message;
  const double li0 = all_lithium(p, s.layout, s.state(0));
  double worst = 0.0;
  for (std::size_t k = 0; k < s.time.size(); ++k)
    worst = std::max(worst, std::fabs(all_lithium(p, s.layout, s.state(k)) - li0) / li0);
  EXPECT_LE(worst, 1e-8);
  // not trivially constant: lithium went to each of SEI on cracks and LAM
  const Inventory end = lithium_inventory(p, s.layout, CView{const_cast<double*>(s.state(s.time.size() - 1))});
  if (sei_on_cracks) EXPECT_GT(end.v[kInvSeiCracksNeg] / li0, 1e-5);
  EXPECT_GT(end.v[kInvLamNeg] / li0, 1e-8);
  EXPECT_GT(end.v[kInvLamPos] / li0, 1e-8);
  std::cout << "  10 coupled cycles (" << s.time.size() << " outputs, " << s.stats.steps << " steps): lithium drift "
            << testing::sci(worst) << ", SEI on cracks " << end.v[kInvSeiCracksNeg] << " mol, LAM " << end.v[kInvLamNeg]
            << " / " << end.v[kInvLamPos] << " mol\n";
}

TEST(DegradationHost, TenCyclesWithEveryOptionConserveLithium) {
  // OKane2022's coupled options (coupled_n10.json's): SEI + porosity change, partially
  // reversible plating, swelling and cracking / swelling only, SEI on cracks, stress-driven LAM.
  // Measured (2026-12-05): drift 5.9e-10 over 10 cycles (74k steps, ~2 s).
  check_conservation(coupled_options(), true);
}

TEST(DegradationHost, TenCyclesWithLamCrackingSeiAndPlatingConserveLithium) {
  // The same without SEI on cracks (solved before it): the lithium lost with the active
  // material closes the balance (its share of the lithium is printed: the drift without it).
  check_conservation(resolve_model_options({{"SEI", parse_option_value("solvent-diffusion limited")},
                                            {"SEI porosity change", parse_option_value("true")},
                                            {"lithium plating", parse_option_value("partially reversible")},
                                            {"particle mechanics", parse_option_value("(swelling and cracking, swelling only)")},
                                            {"loss of active material", parse_option_value("stress-driven")}}),
                     false);
}

}  // namespace
}  // namespace ionflux
