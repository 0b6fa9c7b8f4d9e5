// Parameter functions of Chen2020 and Marquis2019 against PyBaMM.
//
// Expected values: tests/fixtures/pybamm_functions.json (generate_pybamm_fixtures.py,
// section 1): PyBaMM 26.10.1.1's pybamm.LithiumIonParameters wrappers (OCP clipping +
// U_asym barrier, j0 clipping + RegPower, D_s sto clipping, D_e/kappa_e at
// max(c_e, 10), chiRT/(F c) at max(c_e, 0.01)), evaluated on grids in float64.
//
// Tolerance: relative 1e-12. Both sides evaluate the same closed-form expressions in
// IEEE double; the only differences are the order of operations and the libm
// implementations of exp/tanh/cosh/log/sqrt/pow (each within ~1 ulp), giving a few
// ulp (~1e-15) per function. 1e-12 leaves three orders of magnitude for the sums of
// up to ten such terms, but would catch any wrong constant, clip or wrapper (the
// smallest structural effect in the fixtures, RegPower in j0 at normal
// concentrations, is ~2e-6 relative, see NOTES.md section f).
// Where an output is a sum of terms that cancel (the entropic changes and the OCPs
// pass through or near zero), the error is bounded relative to the largest value of
// that function on its grid instead: a rounding error of 1 ulp of a term of size S
// is 1e-16 S in absolute terms whatever the sum is. The check is therefore
//   |ours - pybamm| <= 1e-12 * max(|pybamm|, 1e-3 * max_grid |pybamm|).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "../test_support.hpp"
#include "kernels/model/functions.hpp"
#include "solver/inputs/parameter_function.hpp"
#include "solver/inputs/user_function.hpp"
#include "solver/util/errors.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

using testing::json;
using testing::load_fixture;
using testing::to_vec;

constexpr double kRelTol = 1e-12;

const json& fset(const std::string& set) { return load_fixture("pybamm_functions.json")["sets"][set]["functions"]; }

//! Compare ours(k) with the fixture's output over its whole grid; reports the worst point.
template <class Fn>
void check_function(const std::string& set, const std::string& key, Fn ours) {
  SCOPED_TRACE(set + " / " + key);
  const json& f = fset(set)[key];
  const std::vector<double> out = to_vec(f["output"]);
  ASSERT_FALSE(out.empty());
  double scale = 0.0;
  for (double v : out) scale = std::max(scale, std::fabs(v));
  double worst = 0.0;
  std::size_t worst_k = 0;
  for (std::size_t k = 0; k < out.size(); ++k) {
    const double mine = ours(f["inputs"], k);
    const double ref = out[k];
    const double bound = kRelTol * std::max(std::fabs(ref), 1e-3 * scale);
    const double err = std::fabs(mine - ref);
    ASSERT_TRUE(std::isfinite(mine)) << "k=" << k;
    EXPECT_LE(err, bound) << "point " << k << ": ours " << mine << " pybamm " << ref;
    if (err / std::max(std::fabs(ref), 1e-3 * scale) > worst) {
      worst = err / std::max(std::fabs(ref), 1e-3 * scale);
      worst_k = k;
    }
  }
  ::testing::Test::RecordProperty(set + "_" + key + "_max_rel_err", testing::sci(worst));
  (void)worst_k;
}

double in(const json& inputs, const char* name, std::size_t k) { return inputs[name][k].get<double>(); }

class FunctionsVsPyBaMM : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { cell = testing::cell_of(GetParam(), 1.0); }
  const ElectrodeParams& electrode(const std::string& dom) const { return dom == "negative" ? cell.neg : cell.pos; }
  CellParams cell{};
};

TEST_P(FunctionsVsPyBaMM, OpenCircuitPotentialWithWrappers) {
  for (const std::string dom : {"negative", "positive"}) {
    const ElectrodeParams& e = electrode(dom);
    // U(sto, T) on the interior grid and on the extended grid (sto <= 0, >= 1, beyond
    // the linear continuation points of the barrier at sto_limit ~ -0.006086).
    for (const std::string& key : {dom + "_U", dom + "_U_ext"})
      check_function(GetParam(), key, [&](const json& x, std::size_t k) {
        return fn::ocp(e, in(x, "sto", k), in(x, "T", k), cell.t_ref);
      });
    // U_ref(clip(sto, 1e-10, 1 - 1e-10)) alone.
    check_function(GetParam(), dom + "_U_ref", [&](const json& x, std::size_t k) {
      const double s = std::min(std::max(in(x, "sto", k), 1e-10), 1.0 - 1e-10);
      return fn::ocp_ref(e.ocp, s);
    });
    check_function(GetParam(), dom + "_dUdT",
                   [&](const json& x, std::size_t k) { return fn::entropic_change(e.entropic, in(x, "sto", k)); });
  }
}

TEST_P(FunctionsVsPyBaMM, ExchangeCurrentDensityWithClippingAndRegPower) {
  for (const std::string dom : {"negative", "positive"}) {
    const ElectrodeParams& e = electrode(dom);
    // Grid includes c_e = 0, 1e-3 (RegPower's regime x/s <~ 1e-3) and sto = 0, 1 - 1e-7, 1.
    check_function(GetParam(), dom + "_j0", [&](const json& x, std::size_t k) {
      return fn::exchange_current(e, in(x, "c_e", k), in(x, "c_s_surf", k), in(x, "T", k), cell.c_e_init);
    });
  }
}

TEST_P(FunctionsVsPyBaMM, RegPowerIsNotTheRawFunction) {
  // Guard on the fixture itself: the raw (unregularised) j0 differs from the wrapped one
  // by far more than the tolerance at small c_e, so the check above does test RegPower.
  const json& f = fset(GetParam())["negative_j0"];
  const json& raw = fset(GetParam())["negative_j0_raw"];
  double worst = 0.0;
  for (std::size_t k = 0; k < f["output"].size(); ++k) {
    const double a = f["output"][k].get<double>(), b = raw["output"][k].get<double>();
    if (b > 0.0) worst = std::max(worst, std::fabs(a - b) / b);
  }
  EXPECT_GT(worst, 1e-3);
}

TEST_P(FunctionsVsPyBaMM, ParticleDiffusivityAndSolidConductivity) {
  for (const std::string dom : {"negative", "positive"}) {
    const ElectrodeParams& e = electrode(dom);
    check_function(GetParam(), dom + "_D_s", [&](const json& x, std::size_t k) {
      return fn::particle_diffusivity(e, in(x, "c_s", k), in(x, "T", k));
    });
    // sigma(sto, T) is a constant in both sets; ours is the scalar `conductivity`.
    check_function(GetParam(), dom + "_sigma", [&](const json&, std::size_t) { return e.conductivity; });
  }
}

TEST_P(FunctionsVsPyBaMM, ElectrolyteTransport) {
  const CellParams& p = cell;
  // c_e grid runs from 0 through the clip points 0.01 and 10 to 3000 mol/m3.
  check_function(GetParam(), "D_e", [&](const json& x, std::size_t k) {
    return fn::electrolyte_diffusivity(p.electrolyte_diffusivity, in(x, "c_e", k), in(x, "T", k));
  });
  check_function(GetParam(), "kappa_e", [&](const json& x, std::size_t k) {
    return fn::electrolyte_conductivity(p.electrolyte_conductivity, in(x, "c_e", k), in(x, "T", k));
  });
  check_function(GetParam(), "t_plus", [&](const json& x, std::size_t k) {
    return fn::transference_number(p.transference, in(x, "c_e", k), in(x, "T", k));
  });
  check_function(GetParam(), "thermodynamic_factor", [&](const json& x, std::size_t k) {
    return fn::thermodynamic_factor(p.thermodynamic_factor, in(x, "c_e", k), in(x, "T", k));
  });
  // chi = 2 (1 - t+) TDF (Stefan-Maxwell), unclipped.
  check_function(GetParam(), "chi", [&](const json& x, std::size_t k) {
    const double c = in(x, "c_e", k), t = in(x, "T", k);
    return 2.0 * (1.0 - fn::transference_number(p.transference, c, t)) *
           fn::thermodynamic_factor(p.thermodynamic_factor, c, t);
  });
  check_function(GetParam(), "chiRT_over_Fc", [&](const json& x, std::size_t k) {
    return fn::chi_rt_over_fc(p, in(x, "c_e", k), in(x, "T", k));
  });
}

TEST_P(FunctionsVsPyBaMM, PhysicalConstantsAndAsymptoteConstants) {
  const json& c = load_fixture("pybamm_functions.json")["constants"];
  // Exact: the same decimal literals (scipy's CODATA 2018 values).
  EXPECT_EQ(constants::F, c["F"].get<double>());
  EXPECT_EQ(constants::R, c["R"].get<double>());
  // The barrier alone against PyBaMM's U_asymptotes on its check grid (same 1e-12 rule,
  // scaled by the largest value: the barrier spans 0 .. ~1e4 V on that grid).
  const std::vector<double> s = to_vec(c["U_asym"]["check"]["sto"]);
  const std::vector<double> u = to_vec(c["U_asym"]["check"]["U_asym"]);
  double scale = 0.0;
  for (double v : u) scale = std::max(scale, std::fabs(v));
  for (std::size_t k = 0; k < s.size(); ++k) {
    const double mine = fn::ocp_barrier(s[k]) - fn::ocp_barrier(1.0 - s[k]);
    EXPECT_LE(std::fabs(mine - u[k]), kRelTol * std::max(std::fabs(u[k]), 1e-3 * scale))
        << "sto " << s[k] << " ours " << mine << " pybamm " << u[k];
  }
}

TEST_P(FunctionsVsPyBaMM, ScalarParametersMatchTheSet) {
  // Every scalar parameter in PyBaMM's set that ionflux's set also has: identical value.
  const ParameterSet ps = ParameterSet::load(GetParam());
  const json& pars = load_fixture("pybamm_functions.json")["sets"][GetParam()]["parameters"];
  int compared = 0;
  for (auto it = pars.begin(); it != pars.end(); ++it) {
    if (!ps.contains(it.key()) || ps.is_function(it.key())) continue;
    EXPECT_EQ(ps.get(it.key()), it.value().get<double>()) << it.key();
    ++compared;
  }
  EXPECT_GT(compared, 50);
}

// The host entry point behind Python's ps[name](...) (solver/inputs/parameter_function.hpp):
// by parameter name, the same kernel code gives the fixture's values, wrappers included.
TEST_P(FunctionsVsPyBaMM, EvaluateFunctionByParameterName) {
  const ParameterSet ps = ParameterSet::load(GetParam());
  auto by_name = [&](const std::string& key, std::vector<double> args) {
    std::vector<const double*> p;
    for (const double& a : args) p.push_back(&a);
    double out = 0.0;
    evaluate_function(ps, key, p, 1, &out);
    return out;
  };
  for (const std::string dom : {"negative", "positive"}) {
    const std::string D = dom == "negative" ? "Negative" : "Positive";
    const double c_max = electrode(dom).c_max;
    check_function(GetParam(), dom + "_U_ref", [&](const json& i, std::size_t k) {
      return by_name(D + " electrode OCP [V]", {in(i, "sto", k)});
    });
    check_function(GetParam(), dom + "_dUdT", [&](const json& i, std::size_t k) {
      return by_name(D + " electrode OCP entropic change [V.K-1]", {in(i, "sto", k)});
    });
    check_function(GetParam(), dom + "_D_s", [&](const json& i, std::size_t k) {
      return by_name(D + " particle diffusivity [m2.s-1]", {in(i, "sto", k), in(i, "T", k)});
    });
    check_function(GetParam(), dom + "_j0", [&](const json& i, std::size_t k) {
      return by_name(D + " electrode exchange-current density [A.m-2]",
                     {in(i, "c_e", k), in(i, "c_s_surf", k), c_max, in(i, "T", k)});
    });
  }
  check_function(GetParam(), "D_e", [&](const json& i, std::size_t k) {
    return by_name("Electrolyte diffusivity [m2.s-1]", {in(i, "c_e", k), in(i, "T", k)});
  });
  check_function(GetParam(), "kappa_e", [&](const json& i, std::size_t k) {
    return by_name("Electrolyte conductivity [S.m-1]", {in(i, "c_e", k), in(i, "T", k)});
  });
  EXPECT_EQ(function_arguments("Negative electrode exchange-current density [A.m-2]"),
            (std::vector<std::string>{"c_e", "c_s_surf", "c_s_max", "T"}));
  try {
    by_name("Electrolyte conductivity [S.m-1]", {1000.0});
    ADD_FAILURE() << "no error for a missing argument";
  } catch (const InvalidParameter& e) {
    EXPECT_STREQ(e.what(), "'Electrolyte conductivity [S.m-1]' is a function of (c_e, T): got 1 argument, expected 2");
  }
  EXPECT_THROW(function_arguments("Negative electrode porosity"), InvalidParameter);
}

INSTANTIATE_TEST_SUITE_P(Sets, FunctionsVsPyBaMM, ::testing::Values("Chen2020", "Marquis2019"));

// ORegan2022's functions of temperature (issue 10 item 8): conductivities, densities,
// specific heat capacities and thermal conductivities as the shipped set gives them,
// the kernel's effective solid conductivity and the lumped model's rho_c_p_eff(T),
// against PyBaMM's values in tests/fixtures/pybamm_set_ORegan2022_functions.json
// (generate_set_fixtures.py ORegan2022_functions: ParameterValues("ORegan2022")
// processing each FunctionParameter, and thermal_parameters.rho_c_p_eff(T)).
// Tolerance 1e-13 relative: the same polynomials and exponentials in the same order;
// ionflux computes T^3 as T*T*T where Python calls pow (1 ulp each), and the cubic
// heat-capacity fits cancel terms 20x larger than their sum (measured worst: 1.2e-14).
// A wrong coefficient, porosity or layer would be off by far more.
TEST(ORegan2022Functions, FunctionsOfTemperatureMatchPyBaMM) {
  const json& fx = load_fixture("pybamm_set_ORegan2022_functions.json");
  const std::vector<double> temps = to_vec(fx["temperatures_K"]);
  const ParameterSet ps = ParameterSet::load("ORegan2022");
  auto porosity = [&](const std::string& name) {
    if (name.rfind("Separator", 0) == 0) return ps.get("Separator porosity");
    if (name.find("current collector") != std::string::npos) return 0.0;
    return ps.get(name.substr(0, name.find(" electrode ")) + " electrode porosity");
  };
  int functions = 0;
  for (auto it = fx["functions"].begin(); it != fx["functions"].end(); ++it) {
    const std::string name = it.key();
    SCOPED_TRACE(name);
    ASSERT_TRUE(ps.contains(name));
    const Entry& e = ps.entry(name);
    // what PyBaMM has as a function of T is one here too (and a number stays a number)
    EXPECT_EQ(e.user != nullptr, !it.value()["function"].is_null());
    if (e.user) ++functions;
    const std::vector<double> want = to_vec(it.value()["values"]);
    for (std::size_t k = 0; k < temps.size(); ++k) {
      const double got = e.user ? (*e.user)(0.0, 0.0, 0.0, 0.0, temps[k], porosity(name)) : ps.get(name);
      EXPECT_LE(std::fabs(got - want[k]), 1e-13 * std::fabs(want[k])) << "T " << temps[k] << " ours " << got;
    }
  }
  EXPECT_EQ(functions, 9);
  // the kernel's view: lumped-thermal cell parameters at each temperature
  CellParams c = ps.cell_params(5.0);
  enable_lumped_thermal(c, ps);
  const std::vector<double> rcp = to_vec(fx["rho_c_p_eff"]);
  const std::vector<double> sig_p = to_vec(fx["functions"]["Positive electrode conductivity [S.m-1]"]["values"]);
  const double tor_p = std::pow(1.0 - ps.get("Positive electrode porosity"),
                                ps.get("Positive electrode Bruggeman coefficient (electrode)"));
  for (std::size_t k = 0; k < temps.size(); ++k) {
    EXPECT_LE(std::fabs(fn::heat_capacity(c, temps[k]) - rcp[k]), 1e-13 * rcp[k]) << "T " << temps[k];
    EXPECT_LE(std::fabs(fn::sigma_eff(c.pos, temps[k]) - sig_p[k] * tor_p), 1e-13 * sig_p[k]) << "T " << temps[k];
    EXPECT_EQ(fn::sigma_eff(c.neg, temps[k]), 215.0 * std::pow(0.75, 0.0));  // a number in PyBaMM too
  }
  // an isothermal cell folds sigma(T) to its value at the ambient temperature
  ParameterSet cold = ps;
  cold.set("Ambient temperature [K]", temps[1]);
  const CellParams ci = cold.cell_params(5.0);
  EXPECT_EQ(ci.pos.conductivity_t.id, FunctionId::constant);
  EXPECT_LE(std::fabs(ci.pos.conductivity - sig_p[1]), 1e-13 * sig_p[1]);
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
