// Particle mechanics, stress-induced diffusion, SEI on cracks, LAM and porosity laws
// (kernels/model/mechanics.hpp) against PyBaMM 26.10.1.1, evaluated on PyBaMM's own states.
//
// Expected values: tests/fixtures/pybamm_mechanics.json, written by
// tests/fixtures/generate_mechanics_fixture.py: OKane2022 DFN (x = 5/5/5, r = 30/30), 1C
// (5 A) discharge from the OKane2022 initial state, IDAKLU rtol = atol = 1e-10; the first
// state (t = 0) and the state at t = 1800 s, for four option sets ("coupled": reference
// section 11.1; "asymmetric_reaction": asymmetric stress- and reaction-driven LAM with SEI;
// "current_driven": current-driven LAM; "sto_dependent": swelling only with Young's moduli
// and a partial molar volume quadratic in sto and nonzero stress-free concentrations). Each node's inputs (shell
// concentrations, T, the crack length, eps_s, the SEI-on-cracks concentration, j_sei, ...) are PyBaMM's states and
// variables there; the outputs are PyBaMM's variables (and the discretised rhs for d/dt).
//
// Tolerance: relative kRel = 1e-10 (reference section 11.2: PyBaMM's sigma_t, cracking
// rate, LAM rate, rho, L_sei,cr, eps matched to <= 1e-10 relative; both sides evaluate the
// same closed forms in double, so the differences are rounding, ~1e-15). Where a quantity
// is a difference that cancels at t = 0 (uniform particles: c_bar - c_surf = 0 up to
// rounding, so sigma_t, and the LAM and crack rates and the thickness change derived from
// it, are rounding noise on both sides; PyBaMM reports sigma_t,n(0) = -1.19e-7 Pa), the
// bound adds an absolute floor: the value of the quantity at a stress (or stoichiometry)
// error of 1e-14 relative of c_max, i.e. a few ulp of the concentrations that cancel.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "../test_support.hpp"
#include "kernels/model/degradation_functions.hpp"
#include "kernels/model/mechanics.hpp"
#include "solver/inputs/degradation_params.hpp"
#include "solver/inputs/user_function.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

using testing::json;
using testing::load_fixture;
using testing::to_vec;

constexpr double kRel = 1e-10;
constexpr double kRound = 1e-14;  // relative size of the cancellation floors above
//! PyBaMM 26.10 reports constant-valued outputs quantised to multiples of 2^-53 (absolute,
//! reference section 11.3): the floor for outputs that do not depend on the state.
const double kQuantum = std::ldexp(1.0, -53);

const json& fixture() { return load_fixture("pybamm_mechanics.json"); }
const json& case_of(const std::string& name) { return fixture()["cases"][name]; }

std::string cap(const std::string& dom) { return dom == "negative" ? "Negative" : "Positive"; }
double param(const json& c, const std::string& name) { return c["params"][name].get<double>(); }
double dparam(const json& c, const std::string& dom, const std::string& what) {
  return param(c, cap(dom) + " electrode " + what);
}

//! The electrode parameters mechanics.hpp reads, from the fixture's PyBaMM values. D_s is
//! OKane2022's D_ref Arrhenius(E_a) (OKane2022.py: graphite 3.3e-14, 3.03e4 J/mol;
//! NMC 4e-15, 2.5e4 J/mol; pybamm-degradation.md section 10), an input, not an output.
ElectrodeParams electrode_of(const json& c, const std::string& dom) {
  ElectrodeParams e{};
  e.particle_radius = param(c, cap(dom) + " particle radius [m]");
  e.c_max = param(c, "Maximum concentration in " + dom + " electrode [mol.m-3]");
  e.c_init = param(c, "Initial concentration in " + dom + " electrode [mol.m-3]");
  e.thickness = dparam(c, dom, "thickness [m]");
  e.active_fraction = dparam(c, dom, "active material volume fraction");
  e.porosity = dparam(c, dom, "porosity");
  e.diffusivity.id = FunctionId::arrhenius;
  e.diffusivity.p[0] = dom == "negative" ? 3.3e-14 : 4e-15;
  e.diffusivity.p[1] = dom == "negative" ? 3.03e4 : 2.5e4;
  return e;
}
FunctionRef constant(double v) {
  FunctionRef f;
  f.p[0] = v;
  return f;
}
ElectrodeDegradation degradation_of(const json& c, const std::string& dom) {
  ElectrodeDegradation d{};
  d.poisson_ratio = dparam(c, dom, "Poisson's ratio");
  d.young_modulus = constant(dparam(c, dom, "Young's modulus [Pa]"));
  d.partial_molar_volume = constant(dparam(c, dom, "partial molar volume [m3.mol-1]"));
  d.stress_free_conc = dparam(c, dom, "reference concentration for free of deformation [mol.m-3]");
  d.crack_length0 = dparam(c, dom, "initial crack length [m]");
  d.crack_width0 = dparam(c, dom, "initial crack width [m]");
  d.cracks_per_area = dparam(c, dom, "number of cracks per unit area [m-2]");
  d.paris_b = dparam(c, dom, "Paris' law constant b");
  d.paris_m = dparam(c, dom, "Paris' law constant m");
  d.cracking_rate = constant(dparam(c, dom, "cracking rate"));
  d.lam_beta = constant(dparam(c, dom, "LAM constant proportional term [s-1]"));
  const std::string comp = cap(dom) + " electrode LAM constant proportional term (compressive) [s-1]";
  const std::string tens = cap(dom) + " electrode LAM constant proportional term (tensile) [s-1]";
  if (c["params"].contains(comp)) d.lam_beta_compressive = constant(param(c, comp));
  if (c["params"].contains(tens)) d.lam_beta_tensile = constant(param(c, tens));
  d.lam_m = dparam(c, dom, "LAM constant exponential term");
  d.critical_stress = dparam(c, dom, "critical stress [Pa]");
  d.lam_reaction_factor = dparam(c, dom, "reaction-driven LAM factor [m3.mol-1]");
  return d;
}

//! Node q's values of a per-node variable, or of a per-shell one (its shells).
std::vector<double> node_var(const json& rec, const std::string& dom, const std::string& name) {
  return to_vec(rec[dom][name]);
}
std::vector<double> shells(const json& rec, const std::string& dom, int q) {
  return to_vec(rec[dom][cap(dom) + " particle concentration [mol.m-3]"][q]);
}

void expect_close(double ours, double ref, double floor, const std::string& what) {
  EXPECT_LE(std::fabs(ours - ref), kRel * std::fabs(ref) + floor) << what << ": ours " << ours << " pybamm " << ref;
}

//! The option-set cases and the electrodes whose particles have mechanics in them.
const char* const kCases[] = {"coupled", "asymmetric_reaction", "current_driven"};
bool has_mechanics(const std::string& cs) { return cs != "current_driven"; }

struct NodeState {
  std::vector<double> c;
  double temp;
};
NodeState node_state(const json& rec, const std::string& dom, int q) {
  return NodeState{shells(rec, dom, q), node_var(rec, dom, cap(dom) + " electrode temperature [K]")[q]};
}

//! sigma_t's cancellation floor: Omega E / (3 (1 - nu)) times kRound c_max.
double stress_floor(const ElectrodeParams& e, const ElectrodeDegradation& d) {
  return d.partial_molar_volume.p[0] * d.young_modulus.p[0] / (3.0 * (1.0 - d.poisson_ratio)) * kRound * e.c_max;
}

TEST(Mechanics, RAverageAndSurfaceConcentrationMatchPyBaMM) {
  for (const char* cs : kCases) {
    const json& c = case_of(cs);
    for (const json& rec : c["times"]) {
      for (const std::string dom : {"negative", "positive"}) {
        const auto cbar = node_var(rec, dom, "R-averaged " + dom + " particle concentration [mol.m-3]");
        const auto csurf = node_var(rec, dom, cap(dom) + " particle surface concentration [mol.m-3]");
        for (std::size_t q = 0; q < cbar.size(); ++q) {
          const auto s = shells(rec, dom, static_cast<int>(q));
          const int nr = static_cast<int>(s.size());
          const auto get = [&](int k) { return s[k]; };
          const std::string where = std::string(cs) + " " + dom + " node " + std::to_string(q);
          expect_close(mech::r_average<double>(nr, get), cbar[q], 0.0, "c_bar " + where);
          expect_close(mech::surface<double>(nr, get), csurf[q], 0.0, "c_surf " + where);
        }
      }
    }
  }
  // The shell weights are the exact volume fractions: they sum to 1, and the centre shell
  // of 30 holds 1/27000 of the volume.
  double sum = 0.0;
  for (int k = 0; k < 30; ++k) sum += shell_weight(k, 30);
  EXPECT_NEAR(sum, 1.0, 1e-15);
  EXPECT_EQ(shell_weight(0, 30), 1.0 / 27000.0);
}

TEST(Mechanics, StateVectorHelpersReadTheLayoutsShells) {
  // r_average_node / surface_node on a Layout's state vector equal the per-shell forms
  // (and surface_node is the kernel's dfn::surface_concentration).
  const json& rec = case_of("coupled")["times"][1];
  const Layout l = Layout::make(MeshSpec{5, 5, 5, 30, 30});
  std::vector<double> y(l.n_state, 0.0);
  for (int i = 0; i < l.nx; ++i) {
    if (!l.electrode(i)) continue;
    const std::string dom = i < l.nn ? "negative" : "positive";
    const int q = i < l.nn ? i : i - l.nn - l.ns;
    const auto s = shells(rec, dom, q);
    for (int k = 0; k < l.nr(i); ++k) y[l.cs_index(i, k)] = s[k];
  }
  for (int i = 0; i < l.nx; ++i) {
    if (!l.electrode(i)) continue;
    const std::string dom = i < l.nn ? "negative" : "positive";
    const int q = i < l.nn ? i : i - l.nn - l.ns;
    const auto s = shells(rec, dom, q);
    const auto get = [&](int k) { return s[k]; };
    EXPECT_EQ(mech::r_average_node(l, y.data(), i), mech::r_average<double>(30, get));
    // the same weights; the two may differ in the last bit where the compiler contracts
    // one of them into an FMA
    EXPECT_NEAR(mech::surface_node(l, y.data(), i), mech::surface<double>(30, get),
                4e-16 * std::fabs(mech::surface<double>(30, get)));
    EXPECT_EQ(mech::surface_node(l, y.data(), i), dfn::surface_concentration(l, y.data(), i));
  }
}

TEST(Mechanics, StressDisplacementAndCrackingMatchPyBaMM) {
  for (const char* cs : {"coupled", "asymmetric_reaction"}) {
    const json& c = case_of(cs);
    for (const json& rec : c["times"]) {
      for (const std::string dom : {"negative", "positive"}) {
        const ElectrodeParams e = electrode_of(c, dom);
        const ElectrodeDegradation d = degradation_of(c, dom);
        const std::string D = cap(dom);
        const auto sig = node_var(rec, dom, D + " particle surface tangential stress [Pa]");
        // sigma_r,surf is PyBaMM's Scalar(0): a number in the fixture
        EXPECT_EQ(rec[dom][D + " particle surface radial stress [Pa]"].get<double>(), 0.0);
        const auto disp = node_var(rec, dom, D + " particle surface displacement [m]");
        const auto rate = node_var(rec, dom, D + " particle cracking rate [m.s-1]");
        const auto lcr = node_var(rec, dom, D + " particle crack length [m]");
        const bool cracking = std::string(cs) == "coupled" && dom == "negative";
        const double sfloor = stress_floor(e, d);
        for (std::size_t q = 0; q < sig.size(); ++q) {
          const NodeState ns = node_state(rec, dom, static_cast<int>(q));
          const auto m = mech::node_mechanics<double>(
              e, d, 30, [&](int k) { return ns.c[k]; }, ns.temp);
          const std::string where = std::string(cs) + " t=" + std::to_string(rec["t"].get<double>()) + " " + dom +
                                    " node " + std::to_string(q);
          expect_close(m.sigma_t, sig[q], sfloor, "sigma_t " + where);
          expect_close(m.u_surf, disp[q], 0.0, "u_surf " + where);
          // crack growth: only the cracking electrode has a crack-length state; elsewhere
          // PyBaMM's rate is 0 and l_cr = 0
          if (!cracking) {
            EXPECT_EQ(rate[q], 0.0) << where;
            EXPECT_EQ(lcr[q], 0.0) << where;
            continue;
          }
          const double k_cr = mech::crack_rate_constant(d, ns.temp);
          const double ours = mech::cracking_rate(k_cr, d.paris_b, d.paris_m, m.sigma_t, lcr[q]);
          const double rfloor = mech::cracking_rate(k_cr, d.paris_b, d.paris_m, sfloor, lcr[q]);
          expect_close(ours, rate[q], rfloor, "dl_cr/dt " + where);
          const double rhs = rec["d/dt " + D + " particle crack length [m]"][q].get<double>();
          expect_close(ours, rhs, rfloor, "crack-length rhs " + where);
        }
      }
    }
  }
  // at 1800 s of discharge the graphite surface is tensile and the NMC compressive, and
  // the graphite cracks (the test would not see the laws otherwise)
  const json& rec = case_of("coupled")["times"][1];
  EXPECT_GT(node_var(rec, "negative", "Negative particle surface tangential stress [Pa]")[0], 1e6);
  EXPECT_LT(node_var(rec, "positive", "Positive particle surface tangential stress [Pa]")[0], -1e6);
  EXPECT_GT(node_var(rec, "negative", "Negative particle cracking rate [m.s-1]")[0], 1e-17);
}

//! A user function of sto: a (1 + b sto^2) (nonlinear: its r-average is not its value at
//! c_bar), compiled as an expression. It is compiled under
//! a parameter kind that takes sto ("Negative electrode OCP [V]"): the mechanics kinds get
//! their signatures in i16-options' branch; the program is the same.
std::shared_ptr<const UserFunctionSource> quadratic_in_sto(const json& ab) {
  char text[128];
  std::snprintf(text, sizeof text, "%.17g * (1 + %.17g * sto^2)", ab[0].get<double>(), ab[1].get<double>());
  return UserFunctionSource::expression("Negative electrode OCP [V]", text);
}

TEST(Mechanics, StoDependentModuliAreRAveragedOverTheShells) {
  // "sto_dependent": E_n(sto), E_p(sto), Omega_n(sto) quadratic in sto, stress-free
  // concentrations 5000 / 1000 mol/m3: PyBaMM's r_average(E(sto, T)) over the shells, and
  // the (c - c_0) terms of u_surf and the stress factor
  const json& c = case_of("sto_dependent");
  const json& coef = fixture()["sto_dependent"];
  const auto e_n = quadratic_in_sto(coef["E_n"]), e_p = quadratic_in_sto(coef["E_p"]),
             om_n = quadratic_in_sto(coef["Omega_n"]);
  for (const json& rec : c["times"]) {
    for (const std::string dom : {"negative", "positive"}) {
      const ElectrodeParams e = electrode_of(c, dom);
      ElectrodeDegradation d = degradation_of(case_of("coupled"), dom);  // nu and the rest
      d.stress_free_conc = dparam(c, dom, "reference concentration for free of deformation [mol.m-3]");
      d.young_modulus.id = FunctionId::user;
      d.young_modulus.user = dom == "negative" ? &e_n->kernel() : &e_p->kernel();
      if (dom == "negative") {
        d.partial_molar_volume.id = FunctionId::user;
        d.partial_molar_volume.user = &om_n->kernel();
      }
      const std::string D = cap(dom);
      const auto sig = node_var(rec, dom, D + " particle surface tangential stress [Pa]");
      const auto disp = node_var(rec, dom, D + " particle surface displacement [m]");
      const json& deff = rec[dom][D + " particle effective diffusivity [m2.s-1]"];
      for (std::size_t q = 0; q < sig.size(); ++q) {
        const NodeState ns = node_state(rec, dom, static_cast<int>(q));
        const auto m = mech::node_mechanics<double>(
            e, d, 30, [&](int k) { return ns.c[k]; }, ns.temp);
        const std::string where =
            "t=" + std::to_string(rec["t"].get<double>()) + " " + dom + " node " + std::to_string(q);
        const double sfloor = m.omega * m.young / (3.0 * (1.0 - d.poisson_ratio)) * kRound * e.c_max;
        expect_close(m.sigma_t, sig[q], sfloor, "sigma_t " + where);
        expect_close(m.u_surf, disp[q], 0.0, "u_surf " + where);
        for (int k = 0; k < 30; ++k)
          expect_close(mech::effective_diffusivity(e, ns.c[k], ns.temp, m.theta, d.stress_free_conc),
                       deff[q][k].get<double>(), 0.0, "D_eff " + where + " shell " + std::to_string(k));
      }
    }
  }
}

TEST(Mechanics, CompressiveStressGrowsNoCracks) {
  EXPECT_EQ(mech::cracking_rate(3.9e-20, 1.12, 2.2, -1e7, 2e-8), 0.0);
  EXPECT_EQ(mech::cracking_rate(3.9e-20, 1.12, 2.2, 0.0, 2e-8), 0.0);
  // the hard-coded /3600: k (sigma b sqrt(pi l))^m / 3600
  const double s = 1e7, l = 2e-8;
  EXPECT_DOUBLE_EQ(mech::cracking_rate(3.9e-20, 1.12, 2.2, s, l),
                   3.9e-20 * std::pow(s * 1.12 * std::sqrt(M_PI * l), 2.2) / 3600.0);
}

TEST(Mechanics, RoughnessAndCrackAreaMatchPyBaMM) {
  for (const char* cs : kCases) {
    const json& c = case_of(cs);
    for (const json& rec : c["times"]) {
      for (const std::string dom : {"negative", "positive"}) {
        const ElectrodeDegradation d = degradation_of(c, dom);
        const std::string D = cap(dom);
        const auto rho = node_var(rec, dom, D + " electrode roughness ratio");
        const auto acr = node_var(rec, dom, D + " crack surface to volume ratio [m-1]");
        const auto lcr = node_var(rec, dom, D + " particle crack length [m]");
        const auto a = node_var(rec, dom, D + " electrode surface area to volume ratio [m-1]");
        for (std::size_t q = 0; q < rho.size(); ++q) {
          const double r = mech::roughness(lcr[q], d.cracks_per_area, d.crack_width0);
          expect_close(r, rho[q], 0.0, std::string("rho ") + cs + " " + dom);
          expect_close(mech::crack_area(r, a[q]), acr[q], 0.0, std::string("a_cr ") + cs + " " + dom);
        }
      }
    }
  }
  // reference section 10 / 6.3: rho0 = 1 + 2 (2e-8)(3.18e15)(1.5e-8) = 2.908
  const json& c = case_of("coupled");
  const ElectrodeDegradation d = degradation_of(c, "negative");
  EXPECT_NEAR(mech::roughness(d.crack_length0, d.cracks_per_area, d.crack_width0), 2.908, 1e-12);
}

TEST(Mechanics, StressInducedDiffusivityPerShellMatchesPyBaMM) {
  for (const char* cs : {"coupled", "asymmetric_reaction"}) {
    const json& c = case_of(cs);
    for (const json& rec : c["times"]) {
      for (const std::string dom : {"negative", "positive"}) {
        const ElectrodeParams e = electrode_of(c, dom);
        const ElectrodeDegradation d = degradation_of(c, dom);
        const json& deff = rec[dom][cap(dom) + " particle effective diffusivity [m2.s-1]"];
        for (std::size_t q = 0; q < deff.size(); ++q) {
          const NodeState ns = node_state(rec, dom, static_cast<int>(q));
          const auto m = mech::node_mechanics<double>(
              e, d, 30, [&](int k) { return ns.c[k]; }, ns.temp);
          for (int k = 0; k < 30; ++k) {
            const double ours = mech::effective_diffusivity(e, ns.c[k], ns.temp, m.theta, d.stress_free_conc);
            expect_close(
                ours, deff[q][k].get<double>(), 0.0,
                std::string("D_eff ") + cs + " " + dom + " node " + std::to_string(q) + " shell " + std::to_string(k));
          }
        }
      }
    }
  }
  // reference section 11.2's check numbers at t = 0 (6 significant digits):
  // D_eff,n = 5.11939e-14 and D_eff,p = 4.51464e-13
  const json& c = case_of("coupled");
  const json& rec = c["times"][0];
  const double want[2] = {5.11939e-14, 4.51464e-13};
  int n = 0;
  for (const std::string dom : {"negative", "positive"}) {
    const ElectrodeParams e = electrode_of(c, dom);
    const ElectrodeDegradation d = degradation_of(c, dom);
    const NodeState ns = node_state(rec, dom, 0);
    const auto m = mech::node_mechanics<double>(
        e, d, 30, [&](int k) { return ns.c[k]; }, ns.temp);
    const double ours = mech::effective_diffusivity(e, ns.c[0], ns.temp, m.theta, d.stress_free_conc);
    EXPECT_NEAR(ours / want[n], 1.0, 1e-5) << dom;
    ++n;
  }
}

TEST(Mechanics, LossOfActiveMaterialRatesMatchPyBaMM) {
  const LamModel model_of[3] = {LamModel::stress_driven, LamModel::asymmetric_stress_and_reaction_driven,
                                LamModel::current_driven};
  const json& coeff = fixture()["current_lam_coefficient"];
  for (int ci = 0; ci < 3; ++ci) {
    const std::string cs = kCases[ci];
    const json& c = case_of(cs);
    const double area = param(c, "Electrode height [m]") * param(c, "Electrode width [m]") *
                        param(c, "Number of electrodes connected in parallel to make a cell");
    for (const json& rec : c["times"]) {
      // i = I / A_cc, signed, positive on discharge (the current-driven law's argument)
      const double i_cell = rec["Current [A]"].get<double>() / area;
      expect_close(i_cell, rec["Total current density [A.m-2]"].get<double>(), 0.0, "i = I / A_cc");
      for (const std::string dom : {"negative", "positive"}) {
        const ElectrodeParams e = electrode_of(c, dom);
        const ElectrodeDegradation d = degradation_of(c, dom);
        const std::string D = cap(dom);
        const auto deps = node_var(rec, dom, D + " electrode active material volume fraction change [s-1]");
        const auto deps_rhs = to_vec(rec["d/dt " + D + " electrode active material volume fraction"]);
        const auto aj_sei = node_var(rec, dom, D + " electrode SEI volumetric interfacial current density [A.m-3]");
        const auto cbar = node_var(rec, dom, "R-averaged " + dom + " particle concentration [mol.m-3]");
        const double dx = e.thickness / static_cast<double>(deps.size());
        double lli_rate = 0.0, lli_floor = 0.0;
        for (std::size_t q = 0; q < deps.size(); ++q) {
          const NodeState ns = node_state(rec, dom, static_cast<int>(q));
          const mech::LamConstants k = mech::lam_constants(d, ns.temp);
          double sigma_h = 0.0, floor = 0.0;
          if (has_mechanics(cs)) {
            const auto m = mech::node_mechanics<double>(
                e, d, 30, [&](int kk) { return ns.c[kk]; }, ns.temp);
            sigma_h = m.sigma_h;
            // the stress terms at a stress of the cancellation floor (both signs)
            const double sh = mech::hydrostatic_stress(stress_floor(e, d));
            floor = std::fabs(mech::lam_asymmetric_stress_term(k, sh)) +
                    std::fabs(mech::lam_asymmetric_stress_term(k, -sh)) + std::fabs(mech::lam_stress_term(k, sh));
          }
          const double current_rate = coeff[dom].get<double>() * i_cell;  // the generator's f(i, T) = k i
          // current-driven: d eps_s/dt = k I / A_cc is state-independent, so PyBaMM
          // quantises it (11.3); it is within 2^-53 absolute of k i, 5e-10 relative here
          if (model_of[ci] == LamModel::current_driven) floor += kQuantum;
          const double ours = mech::active_material_rate(model_of[ci], k, sigma_h, aj_sei[q], current_rate);
          const std::string where =
              cs + " t=" + std::to_string(rec["t"].get<double>()) + " " + dom + " node " + std::to_string(q);
          expect_close(ours, deps[q], floor, "deps_s/dt " + where);
          expect_close(ours, deps_rhs[q], floor, "eps_s rhs " + where);
          lli_rate += mech::lam_lithium_rate_node(area, dx, cbar[q], ours);
          lli_floor += area * dx * cbar[q] * floor;
        }
        const double ref = rec["d/dt Loss of lithium due to loss of active material in " + dom + " electrode [mol]"];
        expect_close(lli_rate, ref, lli_floor, "LAM lithium rate " + cs + " " + dom);
      }
    }
  }
  // the laws are exercised: tensile graphite loses material in "coupled" at 1800 s, the
  // compressive NMC only under the asymmetric law, the reaction term acts at t = 0
  EXPECT_LT(node_var(case_of("coupled")["times"][1], "negative",
                     "Negative electrode active material volume fraction change [s-1]")[0],
            -1e-10);
  EXPECT_LT(node_var(case_of("asymmetric_reaction")["times"][1], "positive",
                     "Positive electrode active material volume fraction change [s-1]")[0],
            -1e-11);
  EXPECT_LT(node_var(case_of("asymmetric_reaction")["times"][0], "negative",
                     "Negative electrode active material volume fraction change [s-1]")[0],
            -1e-11);
}

TEST(Mechanics, LamOptionsSelectTheirTerms) {
  const mech::LamConstants k{2.0, 3.0, 5.0, 2.0, 10.0, 7.0};
  const double sh = 4.0, aj = -2.0, cur = -0.25;
  const double st = -2.0 * 0.16, asym_t = -5.0 * 0.16, asym_c = -3.0 * 0.16, rx = 7.0 * aj / constants::F;
  EXPECT_EQ(mech::active_material_rate(LamModel::none, k, sh, aj, cur), 0.0);
  EXPECT_DOUBLE_EQ(mech::active_material_rate(LamModel::stress_driven, k, sh, aj, cur), st);
  EXPECT_EQ(mech::active_material_rate(LamModel::stress_driven, k, -sh, aj, cur), 0.0);
  EXPECT_DOUBLE_EQ(mech::active_material_rate(LamModel::asymmetric_stress_driven, k, sh, aj, cur), asym_t);
  EXPECT_DOUBLE_EQ(mech::active_material_rate(LamModel::asymmetric_stress_driven, k, -sh, aj, cur), asym_c);
  EXPECT_DOUBLE_EQ(mech::active_material_rate(LamModel::reaction_driven, k, sh, aj, cur), rx);
  EXPECT_DOUBLE_EQ(mech::active_material_rate(LamModel::stress_and_reaction_driven, k, sh, aj, cur), st + rx);
  EXPECT_DOUBLE_EQ(mech::active_material_rate(LamModel::asymmetric_stress_and_reaction_driven, k, -sh, aj, cur),
                   asym_c + rx);
  EXPECT_DOUBLE_EQ(mech::active_material_rate(LamModel::current_driven, k, sh, aj, cur), cur);
}

TEST(Mechanics, SeiOnCracksThicknessAndRateMatchPyBaMM) {
  const json& c = case_of("coupled");
  const ElectrodeParams e = electrode_of(c, "negative");
  const ElectrodeDegradation d = degradation_of(c, "negative");
  const double vbar = param(c, "SEI partial molar volume [m3.mol-1]");
  const double z = param(c, "Ratio of lithium moles to SEI moles");
  const double atyp = mech::a_typ(e.active_fraction, e.particle_radius);
  const double c0 = mech::sei_cracks_initial_conc(param(c, "Initial SEI on cracks thickness [m]"), atyp, vbar);
  // reference section 10: c_sei,cr(0) = 2.0029162e-3 mol/m3
  EXPECT_NEAR(c0 / 2.0029162e-3, 1.0, 1e-7);
  for (const json& rec : c["times"]) {
    const auto conc = node_var(rec, "negative", "Negative SEI on cracks concentration [mol.m-3]");
    const auto thick = node_var(rec, "negative", "Negative SEI on cracks thickness [m]");
    const auto lcr = node_var(rec, "negative", "Negative particle crack length [m]");
    const auto eps_s = node_var(rec, "negative", "Negative electrode active material volume fraction");
    const auto a_pb = node_var(rec, "negative", "Negative electrode surface area to volume ratio [m-1]");
    const auto jcr = node_var(rec, "negative", "Negative electrode SEI on cracks interfacial current density [A.m-2]");
    const auto rhs = to_vec(rec["d/dt Negative SEI on cracks concentration [mol.m-3]"]);
    for (std::size_t q = 0; q < conc.size(); ++q) {
      const double a = 3.0 * eps_s[q] / e.particle_radius;  // the current a (reference 2.2)
      expect_close(a, a_pb[q], 0.0, "a");
      const double rho = mech::roughness(lcr[q], d.cracks_per_area, d.crack_width0);
      expect_close(mech::sei_cracks_thickness(conc[q], vbar, a, rho), thick[q], 0.0, "L_sei,cr");
      expect_close(mech::sei_cracks_conc_rate(a, rho, jcr[q], z), rhs[q], 0.0, "dc_sei,cr/dt");
      if (rec["t"].get<double>() == 0.0) {
        EXPECT_EQ(conc[q], c0);  // the IC (PyBaMM's own state)
        // reference 3.4 / 11.2: L_sei,cr(0) = L_sei,cr0 / (rho0 - 1) = 2.62055e-13 m
        EXPECT_NEAR(mech::sei_cracks_thickness(c0, vbar, a, rho) / 2.62055e-13, 1.0, 2e-6);
      }
    }
  }
}

TEST(Mechanics, PorosityWithCracksMatchesPyBaMM) {
  for (const char* cs : {"coupled", "asymmetric_reaction"}) {
    const json& c = case_of(cs);
    for (const json& rec : c["times"]) {
      for (const std::string dom : {"negative", "positive"}) {
        const ElectrodeParams e = electrode_of(c, dom);
        const ElectrodeDegradation d = degradation_of(c, dom);
        const std::string D = cap(dom);
        const auto eps = node_var(rec, dom, D + " electrode porosity");
        const auto l_sei = node_var(rec, dom, D + " SEI thickness [m]");
        const auto l_pl = node_var(rec, dom, D + " lithium plating thickness [m]");
        const auto l_dead = node_var(rec, dom, D + " dead lithium thickness [m]");
        const auto conc_cr = node_var(rec, dom, D + " SEI on cracks concentration [mol.m-3]");
        const auto l_cr_pb = node_var(rec, dom, D + " SEI on cracks thickness [m]");
        const auto lcr = node_var(rec, dom, D + " particle crack length [m]");
        const auto eps_s = node_var(rec, dom, D + " electrode active material volume fraction");
        // SEI is on in the negative only (a string SEI option is ("...", "none"))
        const double l0 = dom == "negative" ? param(c, "Initial SEI thickness [m]") : 0.0;
        const bool cracks_sei = std::string(cs) == "coupled" && dom == "negative";
        for (std::size_t q = 0; q < eps.size(); ++q) {
          const double a = 3.0 * eps_s[q] / e.particle_radius;
          const double rho = mech::roughness(lcr[q], d.cracks_per_area, d.crack_width0);
          // without SEI on cracks PyBaMM's thickness is c Vbar / a with c = 0
          const double l_sei_cr = cracks_sei ? mech::sei_cracks_thickness(
                                                   conc_cr[q], param(c, "SEI partial molar volume [m3.mol-1]"), a, rho)
                                             : 0.0;
          if (!cracks_sei) EXPECT_EQ(l_cr_pb[q], 0.0);
          const double ours = mech::porosity(e.porosity, a, l_sei[q], l0, l_pl[q], l_dead[q], l_sei_cr, rho);
          expect_close(ours, eps[q], 0.0, std::string("eps ") + cs + " " + dom + " node " + std::to_string(q));
        }
      }
    }
  }
  // reference section 5: the SEI-on-cracks volume is subtracted at t = 0: eps_n(0) =
  // 0.25 - 1.92e-7
  const double eps0 = node_var(case_of("coupled")["times"][0], "negative", "Negative electrode porosity")[0];
  EXPECT_NEAR((0.25 - eps0) / 1.92e-7, 1.0, 2e-3);
}

//! "Negative/Positive electrode volume change" of the shipped OKane2022 set, as the
//! set's record gives it to the kernels (degradation_function: graphite_volume_change_Ai2020,
//! and volume_change_Ai2020 = Omega_p c_max,p sto with the set's Omega_p and c_max,p),
//! evaluated by fn::volume_change. An input of the thickness change (mechanics.hpp), not
//! an output: its own check values are below (reference section 10).
double volume_change(const std::string& dom, double sto) {
  static const FunctionRef rec[2] = {
      degradation_function(ParameterSet::load("OKane2022"), "Negative electrode volume change", std::nan("")),
      degradation_function(ParameterSet::load("OKane2022"), "Positive electrode volume change", std::nan(""))};
  ElectrodeDegradation e{};
  e.volume_change = rec[dom == "negative" ? 0 : 1];
  return fn::volume_change(e, sto);
}

//! The sum of the magnitudes of volume_change's terms (its rounding scale). The graphite
//! polynomial's coefficients alternate in sign (+ for sto^9, - for sto^0), so for sto >= 0
//! that sum is -p(-sto); the positive's one term is its own magnitude.
double volume_change_magnitude(const std::string& dom, double sto) {
  if (dom == "positive") return std::fabs(volume_change(dom, sto));
  return -volume_change(dom, -sto);
}

TEST(Mechanics, ThicknessChangeMatchesPyBaMM) {
  // the polynomial's check value (reference section 10): 0.0897 at sto = 0.9, 0.70992 (+)
  EXPECT_NEAR(volume_change("negative", 0.9), 0.0897, 1e-4);
  EXPECT_NEAR(volume_change("positive", 0.9), 0.70992, 1e-5);
  for (const char* cs : {"coupled", "asymmetric_reaction"}) {
    const json& c = case_of(cs);
    const double n_par = param(c, "Number of electrodes connected in parallel to make a cell");
    for (const json& rec : c["times"]) {
      double change[2];
      double floor = 0.0;
      int n = 0;
      for (const std::string dom : {"negative", "positive"}) {
        const ElectrodeParams e = electrode_of(c, dom);
        const auto cbar = node_var(rec, dom, "R-averaged " + dom + " particle concentration [mol.m-3]");
        const auto eps_s = node_var(rec, dom, cap(dom) + " electrode active material volume fraction");
        const double sto_init = e.c_init / e.c_max;
        const double tc_init = volume_change(dom, sto_init);
        const double dx = e.thickness / static_cast<double>(cbar.size());
        double mean = 0.0;
        for (std::size_t q = 0; q < cbar.size(); ++q)
          mean += mech::volume_change_node(eps_s[q], volume_change(dom, cbar[q] / e.c_max), tc_init) * dx;
        mean /= e.thickness;
        change[n] = mech::electrode_thickness_change(n_par, e.thickness, mean);
        // floor at t = 0, where t_change(sto_rav) - t_change(sto_init) cancels: the rounding
        // of the two evaluations of the graphite polynomial (terms up to ~1e3 that cancel
        // to ~0.1): 4 ulp of the sum of its terms' magnitudes, times n_par L eps_s <= n_par L
        floor += n_par * e.thickness * volume_change_magnitude(dom, sto_init) * 4.0 * 2.220446049250313e-16;
        expect_close(change[n], rec[cap(dom) + " electrode thickness change [m]"].get<double>(), floor,
                     std::string("thickness change ") + cs + " " + dom);
        ++n;
      }
      const double cell = mech::cell_thickness_change(
          change[0], change[1], param(c, "Cell thermal expansion coefficient [m.K-1]"),
          rec["X-averaged cell temperature [K]"].get<double>(), param(c, "Reference temperature [K]"));
      expect_close(cell, rec["Cell thickness change [m]"].get<double>(), floor,
                   std::string("cell thickness change ") + cs);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Dual derivatives vs central finite differences
// ---------------------------------------------------------------------------------------
//! Central difference of f at x with step h = 1e-6 |x| (relative error ~1e-9 for these
//! smooth laws): the Dual derivative must agree to 1e-6 relative.
template <class F>
double fd(F f, double x, double rel_step = 1e-6) {
  const double h = rel_step * std::fabs(x);
  return (f(x + h) - f(x - h)) / (2.0 * h);
}
void expect_derivative(double ad, double num, const std::string& what) {
  EXPECT_LE(std::fabs(ad - num), 1e-6 * std::fabs(num) + 1e-300) << what << ": dual " << ad << " fd " << num;
  EXPECT_NE(num, 0.0) << what;
}

TEST(Mechanics, DualDerivativesMatchFiniteDifferences) {
  using D3 = Dual<3>;
  const json& c = case_of("coupled");
  const json& rec = c["times"][1];
  for (const std::string dom : {"negative", "positive"}) {
    const ElectrodeParams e = electrode_of(c, dom);
    const ElectrodeDegradation d = degradation_of(c, dom);
    const NodeState ns = node_state(rec, dom, 2);
    // seeds: the outer shell (29), the one below (28), an interior shell (10)
    const int seed_k[3] = {29, 28, 10};
    auto dual_c = [&](int k) -> D3 {
      for (int s = 0; s < 3; ++s)
        if (k == seed_k[s]) return D3::variable(ns.c[k], s);
      return D3(ns.c[k]);
    };
    const auto md = mech::node_mechanics<D3>(e, d, 30, dual_c, ns.temp);
    for (int s = 0; s < 3; ++s) {
      const int ks = seed_k[s];
      auto sigma_at = [&](double v) {
        std::vector<double> cc = ns.c;
        cc[ks] = v;
        return mech::node_mechanics<double>(
                   e, d, 30, [&](int k) { return cc[k]; }, ns.temp)
            .sigma_t;
      };
      expect_derivative(md.sigma_t.d[s], fd(sigma_at, ns.c[ks]), dom + " dsigma_t/dc_" + std::to_string(ks));
    }
    // D_eff at a shell with respect to its concentration
    const D3 cd = D3::variable(ns.c[10], 0);
    const D3 theta =
        mech::stress_theta(D3(d.partial_molar_volume.p[0]), D3(d.young_modulus.p[0]), d.poisson_ratio, ns.temp);
    const D3 deff = mech::effective_diffusivity(e, cd, ns.temp, theta, d.stress_free_conc);
    expect_derivative(
        deff.d[0],
        fd([&](double v) { return mech::effective_diffusivity(e, v, ns.temp, theta.v, d.stress_free_conc); }, ns.c[10]),
        dom + " dD_eff/dc");
  }
  // cracking rate in sigma_t and l_cr; LAM terms in sigma_h and a j_sei
  const double sig = 8e6, lcr = 2.0001e-8;
  const D3 cr = mech::cracking_rate(3.9e-20, 1.12, 2.2, D3::variable(sig, 0), D3::variable(lcr, 1));
  expect_derivative(cr.d[0], fd([&](double v) { return mech::cracking_rate(3.9e-20, 1.12, 2.2, v, lcr); }, sig),
                    "dcr/dsigma");
  expect_derivative(cr.d[1], fd([&](double v) { return mech::cracking_rate(3.9e-20, 1.12, 2.2, sig, v); }, lcr),
                    "dcr/dl");
  const mech::LamConstants k{2.7778e-7, 1e-7, 3e-7, 2.0, 6e7, 1e-5};
  for (const LamModel m : {LamModel::stress_driven, LamModel::asymmetric_stress_and_reaction_driven}) {
    for (const double sh : {5e6, -5e6}) {
      if (m == LamModel::stress_driven && sh < 0) continue;  // no compressive term: rate 0
      const double aj = -4.9;
      const D3 r = mech::active_material_rate(m, k, D3::variable(sh, 0), D3::variable(aj, 1), D3(0.0));
      expect_derivative(r.d[0], fd([&](double v) { return mech::active_material_rate(m, k, v, aj, 0.0); }, sh),
                        "dLAM/dsigma_h");
      if (m != LamModel::stress_driven)
        expect_derivative(r.d[1], fd([&](double v) { return mech::active_material_rate(m, k, sh, v, 0.0); }, aj),
                          "dLAM/daj");
    }
  }
  // L_sei,cr in (c_cr, a, rho) and the porosity in (a, L_sei, rho)
  const double ccr = 2.1e-3, a = 3.9e5, rho = 2.91, vbar = 9.585e-5;
  const D3 l = mech::sei_cracks_thickness(D3::variable(ccr, 0), vbar, D3::variable(a, 1), D3::variable(rho, 2));
  expect_derivative(l.d[0], fd([&](double v) { return mech::sei_cracks_thickness(v, vbar, a, rho); }, ccr), "dL/dc");
  expect_derivative(l.d[1], fd([&](double v) { return mech::sei_cracks_thickness(ccr, vbar, v, rho); }, a), "dL/da");
  expect_derivative(l.d[2], fd([&](double v) { return mech::sei_cracks_thickness(ccr, vbar, a, v); }, rho), "dL/drho");
  const double ls = 5.2e-9, lpl = 1e-10, ldead = 2e-11, lscr = 2.7e-13;
  const D3 eps = mech::porosity(0.25, D3::variable(a, 0), D3::variable(ls, 1), 5e-9, D3(lpl), D3(ldead), D3(lscr),
                                D3::variable(rho, 2));
  expect_derivative(eps.d[0], fd([&](double v) { return mech::porosity(0.25, v, ls, 5e-9, lpl, ldead, lscr, rho); }, a),
                    "deps/da");
  expect_derivative(eps.d[1], fd([&](double v) { return mech::porosity(0.25, a, v, 5e-9, lpl, ldead, lscr, rho); }, ls),
                    "deps/dL");
  // eps is linear in rho and its change is 1e-7 of eps: a large step (no truncation
  // error) keeps the difference above eps's rounding
  expect_derivative(eps.d[2],
                    fd([&](double v) { return mech::porosity(0.25, a, ls, 5e-9, lpl, ldead, lscr, v); }, rho, 1e-2),
                    "deps/drho");
  // SEI-on-cracks ODE rate in (a, rho, j) and the LAM-lithium share in (c_bar, deps)
  const double j = -0.24;
  const D3 dc = mech::sei_cracks_conc_rate(D3::variable(a, 0), D3::variable(rho, 1), D3::variable(j, 2), 1.0);
  expect_derivative(dc.d[0], fd([&](double v) { return mech::sei_cracks_conc_rate(v, rho, j, 1.0); }, a), "dcdot/da");
  expect_derivative(dc.d[1], fd([&](double v) { return mech::sei_cracks_conc_rate(a, v, j, 1.0); }, rho), "dcdot/drho");
  expect_derivative(dc.d[2], fd([&](double v) { return mech::sei_cracks_conc_rate(a, rho, v, 1.0); }, j), "dcdot/dj");
  const D3 li = mech::lam_lithium_rate_node(0.1027, 1.7e-5, D3::variable(2e4, 0), D3::variable(-2e-9, 1));
  expect_derivative(li.d[0], fd([&](double v) { return mech::lam_lithium_rate_node(0.1027, 1.7e-5, v, -2e-9); }, 2e4),
                    "dLLI/dc");
  expect_derivative(li.d[1], fd([&](double v) { return mech::lam_lithium_rate_node(0.1027, 1.7e-5, 2e4, v); }, -2e-9),
                    "dLLI/deps");
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
