// PyBaMM's model options for the degradation submodels (solver/inputs/model_options.cpp)
// and the degradation parameters they read (solver/inputs/degradation_params.cpp), from
// the three entry points (CLI --option, sweep "options", ProblemBuilder for Python).
//
// Expected resolved options: pybamm.BatteryModelOptions(d) of PyBaMM 26.10.1.1 for each
// dict d below, printed as {k: o[k]} for the degradation keys (run here; the coupled case
// and the plating-alone case are also in reference pybamm-degradation.md §1.2 and §11.1).
// Expected refusals: the OptionError messages PyBaMM 26.10.1.1 raised for the same dicts.
// Expected parameter values: PyBaMM's OKane2022.py / Chen2020.py (reference §10).
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "kernels/model/degradation_functions.hpp"
#include "solver/cli/cli.hpp"
#include "solver/inputs/degradation_params.hpp"
#include "solver/inputs/model_options.hpp"
#include "solver/inputs/sweep.hpp"
#include "solver/problem/problem.hpp"
#include "solver/problem/simulation.hpp"
#include "solver/problem/sweep_plan.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

std::string description(const ModelOptions& m, const std::string& name) {
  for (const auto& d : describe_model_options(m))
    if (d.first == name) return d.second;
  return "?";
}

//! The message of the OptionError that resolving `o` throws ("" if none).
std::string refusal(const OptionList& o) {
  try {
    resolve_model_options(o);
  } catch (const OptionError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(ModelOptions, NoOptionsIsThePlainDfn) {
  const ModelOptions m = resolve_model_options({});
  EXPECT_FALSE(m.any());
  // PyBaMM's defaults, spelled out
  const ModelOptions d = resolve_model_options({{"SEI", OptionValue("none")},
                                                {"lithium plating", OptionValue("none")},
                                                {"particle mechanics", OptionValue("none")},
                                                {"x-average side reactions", OptionValue("false")},
                                                {"thermal", OptionValue("isothermal")}});
  EXPECT_FALSE(d.any());
  // no options at all (a shortcut past the resolution's tables) resolves every option as
  // the spelled-out defaults do through them
  EXPECT_EQ(describe_model_options(m), describe_model_options(d));
  EXPECT_EQ(model_options_summary(m), "");
}

TEST(ModelOptions, ScalarSeiIsTheNegativeElectrodesWithADistributedFilm) {
  // PyBaMM: {'SEI': ('reaction limited', 'none'), 'SEI film resistance': 'distributed',
  // 'total interfacial current density as a state': 'true'}
  const ModelOptions m = resolve_model_options({{"SEI", OptionValue("reaction limited")}});
  EXPECT_EQ(m.sei[0], SeiModel::reaction_limited);
  EXPECT_EQ(m.sei[1], SeiModel::none);
  EXPECT_EQ(m.sei_film, FilmResistance::distributed);
  EXPECT_FALSE(m.stress_induced_diffusion[0] || m.stress_induced_diffusion[1]);
  EXPECT_EQ(description(m, "SEI"), "('reaction limited', 'none')");
  EXPECT_EQ(description(m, "total interfacial current density as a state"), "true");
  // an explicit film wins over the default
  const ModelOptions a = resolve_model_options({{"SEI", OptionValue("ec reaction limited (asymmetric)")},
                                                {"SEI film resistance", OptionValue("average")}});
  EXPECT_EQ(a.sei[0], SeiModel::ec_reaction_limited_asymmetric);
  EXPECT_EQ(a.sei_film, FilmResistance::average);
  // a tuple gives the positive electrode its own SEI
  const ModelOptions t = resolve_model_options({{"SEI", OptionValue("solvent-diffusion limited", "VonKolzenberg2020")}});
  EXPECT_EQ(t.sei[1], SeiModel::vonkolzenberg2020);
}

TEST(ModelOptions, PartiallyReversiblePlatingAloneGivesAConstantSeiWithoutFilm) {
  // PyBaMM: {'SEI': ('constant', 'none'), 'SEI film resistance': 'none', 'lithium plating':
  // ('partially reversible', 'none'), ...} (reference §1.2 step 5)
  const ModelOptions m = resolve_model_options({{"lithium plating", OptionValue("partially reversible")}});
  EXPECT_EQ(m.plating[0], PlatingModel::partially_reversible);
  EXPECT_EQ(m.plating[1], PlatingModel::none);
  EXPECT_EQ(m.sei[0], SeiModel::constant);
  EXPECT_EQ(m.sei[1], SeiModel::none);
  EXPECT_EQ(m.sei_film, FilmResistance::none);
  EXPECT_EQ(description(m, "SEI"), "('constant', 'none')");
  // other plating options leave SEI at "none"
  EXPECT_EQ(resolve_model_options({{"lithium plating", OptionValue("irreversible")}}).sei[0], SeiModel::none);
}

TEST(ModelOptions, CoupledDegradationCaseAsPyBaMMResolvesIt) {
  // The coupled-degradation notebook's options (reference §11.1); PyBaMM resolves them to
  // SEI ('solvent-diffusion limited', 'none'), film 'distributed', SEI on cracks ('true',
  // 'false'), plating ('partially reversible', 'none'), mechanics ('swelling and
  // cracking', 'swelling only'), stress-induced diffusion 'true', LAM 'stress-driven',
  // both porosity changes 'true', total interfacial current density as a state 'true'.
  const OptionList o = {{"SEI", OptionValue("solvent-diffusion limited")},
                        {"SEI porosity change", OptionValue("true")},
                        {"lithium plating", OptionValue("partially reversible")},
                        {"lithium plating porosity change", OptionValue("true")},
                        {"particle mechanics", OptionValue("swelling and cracking", "swelling only")},
                        {"SEI on cracks", OptionValue("true")},
                        {"loss of active material", OptionValue("stress-driven")}};
  const ModelOptions m = resolve_model_options(o);
  EXPECT_EQ(m.sei[0], SeiModel::solvent_diffusion_limited);
  EXPECT_EQ(m.sei[1], SeiModel::none);
  EXPECT_EQ(m.sei_film, FilmResistance::distributed);
  EXPECT_TRUE(m.sei_on_cracks[0]);
  EXPECT_FALSE(m.sei_on_cracks[1]);
  EXPECT_TRUE(m.porosity_change);
  EXPECT_EQ(m.plating[0], PlatingModel::partially_reversible);
  EXPECT_EQ(m.mechanics[0], MechanicsModel::swelling_and_cracking);
  EXPECT_EQ(m.mechanics[1], MechanicsModel::swelling_only);
  EXPECT_TRUE(m.stress_induced_diffusion[0] && m.stress_induced_diffusion[1]);
  EXPECT_EQ(m.lam[0], LamModel::stress_driven);
  EXPECT_EQ(m.lam[1], LamModel::stress_driven);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"SEI", "('solvent-diffusion limited', 'none')"},
      {"SEI film resistance", "distributed"},
      {"SEI on cracks", "('true', 'false')"},
      {"SEI porosity change", "true"},
      {"lithium plating", "('partially reversible', 'none')"},
      {"lithium plating porosity change", "true"},
      {"particle mechanics", "('swelling and cracking', 'swelling only')"},
      {"stress-induced diffusion", "true"},
      {"loss of active material", "stress-driven"},
      {"total interfacial current density as a state", "true"}};
  EXPECT_EQ(describe_model_options(m), want);
  EXPECT_TRUE(contains(model_options_json(m), "\"particle mechanics\": \"('swelling and cracking', 'swelling only')\""));
}

TEST(ModelOptions, MechanicsAndStressInducedDiffusionDefaults) {
  // PyBaMM {'SEI on cracks': 'true'}: cracks ('true', 'false'), mechanics ('swelling and
  // cracking', 'none'), stress-induced diffusion 'true' (a string: both electrodes)
  ModelOptions m = resolve_model_options({{"SEI on cracks", OptionValue("true")}});
  EXPECT_EQ(m.mechanics[0], MechanicsModel::swelling_and_cracking);
  EXPECT_EQ(m.mechanics[1], MechanicsModel::none);
  EXPECT_TRUE(m.stress_induced_diffusion[0] && m.stress_induced_diffusion[1]);
  // with a stress-driven LAM (even a tuple that has it): ('swelling and cracking', 'swelling only')
  m = resolve_model_options({{"SEI on cracks", OptionValue("true")},
                             {"loss of active material", OptionValue("stress-driven", "none")}});
  EXPECT_EQ(m.mechanics[1], MechanicsModel::swelling_only);
  EXPECT_EQ(m.lam[1], LamModel::none);
  // a stress-type LAM alone: "swelling only" in both electrodes ("asymmetric stress-driven"
  // contains "stress-driven")
  m = resolve_model_options({{"loss of active material", OptionValue("asymmetric stress and reaction-driven")}});
  EXPECT_EQ(m.mechanics[0], MechanicsModel::swelling_only);
  EXPECT_EQ(m.mechanics[1], MechanicsModel::swelling_only);
  EXPECT_TRUE(m.stress_induced_diffusion[1]);
  // a reaction-driven LAM needs no mechanics (PyBaMM: mechanics 'none', SID 'false')
  m = resolve_model_options({{"loss of active material", OptionValue("reaction-driven")}});
  EXPECT_EQ(m.mechanics[0], MechanicsModel::none);
  EXPECT_FALSE(m.stress_induced_diffusion[0]);
  // stress-induced diffusion off by request
  m = resolve_model_options({{"particle mechanics", OptionValue("swelling only")},
                             {"stress-induced diffusion", OptionValue("false", "true")}});
  EXPECT_FALSE(m.stress_induced_diffusion[0]);
  EXPECT_TRUE(m.stress_induced_diffusion[1]);
}

TEST(ModelOptions, RefusesWhatPyBaMMRefuses) {
  // PyBaMM 26.10.1.1's OptionError messages for the same dicts
  EXPECT_TRUE(contains(refusal({{"SEI film resistance", OptionValue("distributed")},
                                {"total interfacial current density as a state", OptionValue("false")}}),
                       "If 'sei film resistance' is 'distributed' then 'total interfacial current density as a "
                       "state' must be 'true'"));
  EXPECT_TRUE(contains(refusal({{"SEI on cracks", OptionValue("true")}, {"particle mechanics", OptionValue("swelling only")}}),
                       "If 'SEI on cracks' is 'true' then 'particle mechanics' must be 'swelling and cracking'."));
  EXPECT_TRUE(contains(refusal({{"stress-induced diffusion", OptionValue("true")}}),
                       "cannot have stress-induced diffusion without a particle mechanics model"));
  EXPECT_TRUE(contains(refusal({{"loss of active material", OptionValue("stress-driven")},
                                {"particle mechanics", OptionValue("none")}}),
                       "cannot have stress-induced diffusion without a particle mechanics model"));
  EXPECT_TRUE(contains(refusal({{"SEI film resistance", OptionValue("none", "none")}}),
                       "('none', 'none') is not recognized in option 'SEI film resistance'. Values must be strings "
                       "or (in some cases) 2-tuples of strings"));
  EXPECT_TRUE(contains(refusal({{"particle cracking", OptionValue("none")}}),
                       "The 'particle cracking' option has been renamed. Use 'particle mechanics' instead."));
}

TEST(ModelOptions, UnknownNamesAndValuesSuggestTheClosest) {
  std::string e = refusal({{"SEi", OptionValue("none")}});
  EXPECT_TRUE(contains(e, "option 'SEi' not recognised (did you mean 'SEI'?)")) << e;
  e = refusal({{"lithium platting", OptionValue("reversible")}});
  EXPECT_TRUE(contains(e, "did you mean 'lithium plating'?")) << e;
  e = refusal({{"SEI", OptionValue("solvent diffusion limited")}});
  EXPECT_TRUE(contains(e, "'solvent diffusion limited' is not recognized in option 'SEI' (did you mean "
                          "'solvent-diffusion limited'?). Possible values are ['none', 'constant',"))
      << e;
  e = refusal({{"lithium plating", OptionValue("partially reversible", "partialy reversible")}});
  EXPECT_TRUE(contains(e, "'partialy reversible' is not recognized in option 'lithium plating' (did you mean "
                          "'partially reversible'?)"))
      << e;
  // PyBaMM options the ionflux DFN has only at their default
  e = refusal({{"x-average side reactions", OptionValue("true")}});
  EXPECT_TRUE(contains(e, "only 'false'")) << e;
  e = refusal({{"thermal", OptionValue("lumped")}});
  EXPECT_TRUE(contains(e, "--thermal lumped")) << e;
}

TEST(ModelOptions, ValuesFromText) {
  EXPECT_EQ(parse_option_value("solvent-diffusion limited"), OptionValue("solvent-diffusion limited"));
  EXPECT_EQ(parse_option_value(" (partially reversible, none) "), OptionValue("partially reversible", "none"));
  EXPECT_EQ(parse_option_value("('swelling and cracking', \"swelling only\")"),
            OptionValue("swelling and cracking", "swelling only"));
  EXPECT_EQ(parse_option_value("[true, false]"), OptionValue("true", "false"));
  // parentheses inside a value
  EXPECT_EQ(parse_option_value("reaction limited (asymmetric)"), OptionValue("reaction limited (asymmetric)"));
  EXPECT_EQ(parse_option_value("(reaction limited (asymmetric), none)"),
            OptionValue("reaction limited (asymmetric)", "none"));
  EXPECT_THROW(parse_option_value("(a, b, c)"), OptionError);
  const auto kv = parse_option_assignment("lithium plating = (partially reversible, none)");
  EXPECT_EQ(kv.first, "lithium plating");
  EXPECT_EQ(kv.second, OptionValue("partially reversible", "none"));
  EXPECT_THROW(parse_option_assignment("SEI"), OptionError);
}

// Options that resolve but whose submodels ionflux does not solve yet are refused where
// every road starts (validate_run_options), never run as the plain DFN: before this check a
// stress-driven LAM ran and reported 0 % LAM. The solved ones pass.
TEST(ModelOptions, UnsolvedSubmodelsAreRefusedBeforeARun) {
  auto refused = [](const OptionList& o) {
    RunOptions run;
    run.model = resolve_model_options(o);
    try {
      validate_run_options(run);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  // the one combination still refused: a constant SEI on cracks under porosity change
  EXPECT_TRUE(contains(refused({{"SEI", OptionValue("constant")},
                                {"SEI on cracks", OptionValue("true")},
                                {"SEI porosity change", OptionValue("true")},
                                {"particle mechanics", OptionValue("swelling and cracking", "none")}}),
                       "(negative electrode) is not solved"));
  // solved (i16-mech): SEI on cracks, in either electrode
  EXPECT_EQ(refused({{"SEI", OptionValue("solvent-diffusion limited", "reaction limited")},
                     {"SEI on cracks", OptionValue("false", "true")},
                     {"particle mechanics", OptionValue("none", "swelling and cracking")}}),
            "");
  // solved (i16-mech): loss of active material
  EXPECT_EQ(refused({{"loss of active material", OptionValue("stress-driven")}}), "");
  EXPECT_EQ(refused({{"loss of active material", OptionValue("none", "reaction-driven")}}), "");
  // solved (i16-mech): swelling only, with the stress-induced diffusion it turns on; cracking
  EXPECT_EQ(refused({{"particle mechanics", OptionValue("swelling only")}}), "");
  EXPECT_EQ(refused({{"particle mechanics", OptionValue("swelling and cracking")}}), "");
  EXPECT_EQ(refused({{"particle mechanics", OptionValue("swelling only")},
                     {"stress-induced diffusion", OptionValue("false", "true")}}),
            "");
  EXPECT_EQ(refused({{"SEI", OptionValue("solvent-diffusion limited")},
                     {"SEI on cracks", OptionValue("true")},
                     {"particle mechanics", OptionValue("swelling and cracking", "none")}}),
            "");
  EXPECT_EQ(refused({{"SEI", OptionValue("solvent-diffusion limited")},
                     {"SEI porosity change", OptionValue("true")},
                     {"lithium plating", OptionValue("partially reversible")}}),
            "");
  EXPECT_EQ(refused({}), "");
}

// PyBaMM's "thermal" option: 'isothermal' and 'lumped' are the front ends' thermal
// choice (taken out of the list), other values are refused with what ionflux has; the
// "calculate discharge energy" option takes either value (ionflux always calculates it).
// Both had been refused although ionflux has them (a new-user audit, session 18).
TEST(ModelOptions, ThermalIsTakenAsTheThermalModelAndDischargeEnergyIsAlwaysCalculated) {
  OptionList o{{"thermal", OptionValue("lumped")}, {"SEI", OptionValue("reaction limited")}};
  EXPECT_EQ(take_thermal_option(o), std::optional<bool>(true));
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].first, "SEI");
  OptionList iso{{"thermal", OptionValue("lumped")}, {"thermal", OptionValue("isothermal")}};
  EXPECT_EQ(take_thermal_option(iso), std::optional<bool>(false));  // the last counts
  EXPECT_TRUE(iso.empty());
  OptionList none{{"SEI", OptionValue("reaction limited")}};
  EXPECT_EQ(take_thermal_option(none), std::nullopt);
  OptionList other{{"thermal", OptionValue("x-full")}};
  EXPECT_EQ(take_thermal_option(other), std::nullopt);
  ASSERT_EQ(other.size(), 1u);
  try {
    resolve_model_options(other);
    ADD_FAILURE() << "'x-full' accepted";
  } catch (const OptionError& e) {
    EXPECT_TRUE(contains(e.what(), "option 'thermal' = 'x-full' is not supported by ionflux, which has 'isothermal' "
                                   "and 'lumped': --thermal lumped or --option thermal=lumped"))
        << e.what();
  }
  for (const char* v : {"true", "false"})
    EXPECT_NO_THROW(resolve_model_options({{"calculate discharge energy", OptionValue(v)}})) << v;
  EXPECT_THROW(resolve_model_options({{"calculate discharge energy", OptionValue("yes")}}), OptionError);
}

// ---------------------------------------------------------------------------
// Parameters

OptionList coupled() {
  return {{"SEI", OptionValue("solvent-diffusion limited")},
          {"SEI porosity change", OptionValue("true")},
          {"lithium plating", OptionValue("partially reversible")},
          {"particle mechanics", OptionValue("swelling and cracking", "swelling only")},
          {"SEI on cracks", OptionValue("true")},
          {"loss of active material", OptionValue("stress-driven")}};
}

TEST(DegradationParameters, OKane2022CoupledCaseReachesCellParams) {
  const ParameterSet ps = ParameterSet::load("OKane2022");
  // build_cell, not ProblemBuilder::build: a run with mechanics/LAM is refused until they
  // are solved (validate_run_options), but their parameters are read already
  const ModelOptions m = resolve_model_options(coupled());
  const CellParams cell = build_cell(ps, 5.0, false, std::nullopt, m);
  const DegradationParams& d = cell.deg;
  EXPECT_TRUE(m.any());
  EXPECT_EQ(m.sei[0], SeiModel::solvent_diffusion_limited);
  // OKane2022.py values (reference §10)
  EXPECT_EQ(d.sei_partial_molar_volume, 9.585e-05);
  EXPECT_EQ(d.sei_initial_thickness, 5e-09);
  EXPECT_EQ(d.sei_cracks_initial_thickness, 5e-13);
  EXPECT_EQ(d.sei_z, 1.0);
  EXPECT_EQ(d.sei_resistivity, 200000.0);
  EXPECT_EQ(d.sei_ocp, 0.4);
  EXPECT_EQ(d.sei_activation_energy, 38000.0);
  EXPECT_EQ(d.sei_solvent_diffusivity, 2.5e-22);
  EXPECT_EQ(d.sei_bulk_solvent_conc, 2636.0);
  EXPECT_EQ(d.li_partial_molar_volume, 1.3e-05);
  EXPECT_EQ(d.plated_initial_conc, 0.0);
  EXPECT_EQ(d.plated_typical_conc, 1000.0);
  EXPECT_EQ(d.plating_transfer_coefficient, 0.65);
  EXPECT_EQ(d.plating_j0.id, FunctionId::plating_j0_okane2020);
  EXPECT_EQ(d.plating_j0.p[0], 1e-09);
  EXPECT_EQ(d.stripping_j0.id, FunctionId::stripping_j0_okane2020);
  EXPECT_EQ(d.dead_lithium_rate.id, FunctionId::dead_lithium_okane2022);
  EXPECT_EQ(d.dead_lithium_rate.p[0], 1e-06);
  EXPECT_EQ(d.dead_lithium_rate.p[1], 5e-09);
  const ElectrodeDegradation& n = d.electrode[0];
  const ElectrodeDegradation& q = d.electrode[1];
  EXPECT_EQ(n.poisson_ratio, 0.3);
  EXPECT_EQ(n.young_modulus.p[0], 1.5e10);
  EXPECT_EQ(n.partial_molar_volume.p[0], 3.1e-06);
  EXPECT_EQ(n.volume_change.id, FunctionId::graphite_volume_change_ai2020);
  EXPECT_EQ(n.crack_length0, 2e-08);
  EXPECT_EQ(n.crack_width0, 1.5e-08);
  EXPECT_EQ(n.cracks_per_area, 3.18e15);
  EXPECT_EQ(n.paris_b, 1.12);
  EXPECT_EQ(n.paris_m, 2.2);
  EXPECT_EQ(n.cracking_rate.id, FunctionId::cracking_rate_ai2020);
  EXPECT_EQ(n.lam_beta.p[0], 2.7778e-07);
  EXPECT_EQ(n.lam_m, 2.0);
  EXPECT_EQ(n.critical_stress, 6.0e7);
  EXPECT_EQ(q.poisson_ratio, 0.2);
  EXPECT_EQ(q.young_modulus.p[0], 3.75e11);
  EXPECT_EQ(q.volume_change.id, FunctionId::volume_change_linear_ai2020);
  EXPECT_EQ(q.critical_stress, 3.75e8);
  // the evaluators on these records give PyBaMM's spot values (reference §10)
  EXPECT_NEAR(fn::plating_j0(d, 1e3, 1e4, 298.15), 9.6485e-2, 1e-4);
  EXPECT_NEAR(fn::stripping_j0(d, 1e3, 1e4, 298.15), 9.6485e-1, 1e-4);
  EXPECT_NEAR(fn::dead_lithium_rate(d, 1e-8), 5e-7, 1e-12);
  EXPECT_NEAR(fn::volume_change(n, 0.9), 0.0897, 1e-4);
  EXPECT_NEAR(fn::volume_change(q, 0.9), 0.70992, 1e-9);
  EXPECT_EQ(fn::cracking_rate(n, 298.15), 3.9e-20);
  // swelling only in the positive: no crack parameters read there
  EXPECT_EQ(q.crack_length0, 0.0);
}

TEST(DegradationParameters, ThePlainDfnReadsNoneAndNeedsNone) {
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const Problem p = ProblemBuilder(ps).build();
  EXPECT_EQ(p.cell.deg.sei_partial_molar_volume, 0.0);
  EXPECT_FALSE(p.run.model.any());
}

TEST(DegradationParameters, AMissingParameterNamesItselfAndTheOption) {
  // Chen2020 (PyBaMM's too) has SEI parameters but no plating ones.
  const ParameterSet ps = ParameterSet::load("Chen2020");
  EXPECT_NO_THROW(ProblemBuilder(ps).model(resolve_model_options({{"SEI", OptionValue("solvent-diffusion limited")}})).build());
  try {
    ProblemBuilder(ps).model(resolve_model_options({{"lithium plating", OptionValue("irreversible")}})).build();
    FAIL() << "no error";
  } catch (const InvalidParameter& e) {
    const std::string m = e.what();
    EXPECT_TRUE(contains(m, "'Lithium metal partial molar volume [m3.mol-1]' (needed by 'lithium plating' = "
                            "('irreversible', 'none') (negative electrode))"))
        << m;
    EXPECT_TRUE(contains(m, "'Exchange-current density for plating [A.m-2]'")) << m;
    EXPECT_FALSE(contains(m, "stripping")) << m;  // irreversible plating has no stripping
  }
  try {
    ProblemBuilder(ps).model(resolve_model_options({{"particle mechanics", OptionValue("swelling only")}})).build();
    FAIL() << "no error";
  } catch (const InvalidParameter& e) {
    EXPECT_TRUE(contains(e.what(), "'Negative electrode Young's modulus [Pa]' (needed by 'particle mechanics' = "
                                   "'swelling only' (negative electrode))"))
        << e.what();
  }
  // Mohtat2020 has a constant plating exchange current but no stripping one: irreversible
  // plating runs, reversible plating needs the stripping one.
  const ParameterSet mo = ParameterSet::load("Mohtat2020");
  const Problem p =
      ProblemBuilder(mo).model(resolve_model_options({{"lithium plating", OptionValue("irreversible")}})).build();
  EXPECT_EQ(p.cell.deg.plating_j0.id, FunctionId::constant);
  EXPECT_EQ(p.cell.deg.plating_j0.p[0], 0.001);
  EXPECT_THROW(ProblemBuilder(mo).model(resolve_model_options({{"lithium plating", OptionValue("reversible")}})).build(),
               InvalidParameter);
}

TEST(DegradationParameters, ClosedFormsReadTheSetsCurrentValues) {
  // As PyBaMM's plating function reads pybamm.Parameter("Lithium plating kinetic rate
  // constant [m.s-1]"), a changed constant changes the exchange current.
  ParameterSet ps = ParameterSet::load("OKane2022");
  ps.set("Lithium plating kinetic rate constant [m.s-1]", 3e-9);
  ps.set("Dead lithium decay constant [s-1]", 2e-6);
  const Problem p = ProblemBuilder(ps).model(resolve_model_options({{"lithium plating", OptionValue("partially reversible")}})).build();
  EXPECT_NEAR(fn::plating_j0(p.cell.deg, 1e3, 1e4, 298.15), 3 * 9.648533212331e-2, 1e-12);
  EXPECT_NEAR(fn::dead_lithium_rate(p.cell.deg, 1e-8), 1e-6, 1e-18);
  // Ai2020's cracking rate reads its activation energy (exp(E/R (1/T - 1/298.15)));
  // PyBaMM gives 2.348554705617341e-20 at 318.15 K with E = 20 kJ/mol.
  ParameterSet ai = ParameterSet::load("Ai2020");
  ai.set("Negative electrode activation energy for cracking rate [J.mol-1]", 20000.0);
  // (build_cell: mechanics runs are refused until solved, its parameters are read already)
  const CellParams pa =
      build_cell(ai, 1.0, false, std::nullopt,
                 resolve_model_options({{"particle mechanics", OptionValue("swelling and cracking")}}));
  EXPECT_NEAR(fn::cracking_rate(pa.deg.electrode[0], 318.15), 2.348554705617341e-20, 1e-33);
  EXPECT_EQ(pa.deg.electrode[1].volume_change.id, FunctionId::volume_change_linear_ai2020);
}

// ---------------------------------------------------------------------------
// Entry points: sweep configs and the CLI

const char* kSweepSeiConfig = R"({
  "parameters": "OKane2022",
  "t_end": 10,
  "options": {"SEI": "solvent-diffusion limited", "lithium plating": ["partially reversible", "none"]},
  "vary": {"SEI solvent diffusivity [m2.s-1]": [1e-22, 2.5e-22, 5e-22]}
})";

TEST(ModelOptionsEntryPoints, SweepOptionsReachRunOptionsAndVariedParametersReachDeg) {
  const SweepSpec spec = parse_sweep_config(kSweepSeiConfig);
  EXPECT_EQ(spec.model.sei[0], SeiModel::solvent_diffusion_limited);
  EXPECT_EQ(spec.model.plating[0], PlatingModel::partially_reversible);
  const SweepPlan plan = plan_sweep(spec);
  EXPECT_EQ(plan.inputs.run.model.sei[0], SeiModel::solvent_diffusion_limited);
  ASSERT_TRUE(static_cast<bool>(plan.inputs.pack));
  std::vector<CellParams> cells(3);
  plan.inputs.pack(0, 3, cells.data());
  EXPECT_EQ(cells[0].deg.sei_solvent_diffusivity, 1e-22);
  EXPECT_EQ(cells[1].deg.sei_solvent_diffusivity, 2.5e-22);
  EXPECT_EQ(cells[2].deg.sei_solvent_diffusivity, 5e-22);
  EXPECT_EQ(cells[2].deg.plating_j0.p[0], 1e-9);
  // the file's attributes say which options ran
  const SweepFileInfo info = sweep_file_info(spec, plan);
  bool found = false;
  for (const auto& a : info.attributes)
    if (a.first == "model options") {
      found = true;
      EXPECT_TRUE(contains(a.second, "\"SEI\": \"('solvent-diffusion limited', 'none')\"")) << a.second;
    }
  EXPECT_TRUE(found);
}

TEST(ModelOptionsEntryPoints, SweepErrors) {
  // a degradation parameter varied without the option that reads it
  std::string cfg = kSweepSeiConfig;
  cfg.replace(cfg.find("\"options\""), cfg.find("\"vary\"") - cfg.find("\"options\""), "");
  try {
    plan_sweep(parse_sweep_config(cfg));
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_TRUE(contains(e.what(), "only the degradation submodels read it")) << e.what();
  }
  // a bad option value, with the suggestion
  try {
    parse_sweep_config(R"({"parameters": "OKane2022", "options": {"SEI": "solvent-diffusion limted"}})");
    FAIL() << "no error";
  } catch (const OptionError& e) {
    EXPECT_TRUE(contains(e.what(), "did you mean 'solvent-diffusion limited'?")) << e.what();
  } catch (const InputError& e) {
    EXPECT_TRUE(contains(e.what(), "did you mean 'solvent-diffusion limited'?")) << e.what();
  }
  // a set without the parameters the options need: the sweep's error, before any cell
  try {
    plan_sweep(parse_sweep_config(R"({"parameters": "Chen2020", "t_end": 1, "options": {"lithium plating": "reversible"},
                                      "vary": {"C-rate": [1, 2]}})"));
    FAIL() << "no error";
  } catch (const InvalidParameter& e) {
    EXPECT_TRUE(contains(e.what(), "'Exchange-current density for stripping [A.m-2]' (needed by 'lithium plating'"))
        << e.what();
  }
  EXPECT_THROW(parse_sweep_config(R"({"options": {"SEI": ["a", "b", "c"]}})"), InputError);
  EXPECT_THROW(parse_sweep_config(R"({"options": {"SEI": 3}})"), InputError);
}

TEST(ModelOptionsEntryPoints, CliOptionIsParsedValidatedAndSummarised) {
  std::ostringstream out, err;
  int rc = cli_main({"simulate", "--parameters", "Chen2020", "--option", "SEI=solvent diffusion limited", "--quiet"},
                    out, err);
  EXPECT_EQ(rc, 2);
  EXPECT_TRUE(contains(err.str(), "did you mean 'solvent-diffusion limited'?")) << err.str();
  std::ostringstream out2, err2;
  rc = cli_main({"simulate", "--parameters", "Chen2020", "--option", "lithium plating=(partially reversible, none)"},
                out2, err2);
  EXPECT_EQ(rc, 2);  // Chen2020 has no plating parameters
  EXPECT_TRUE(contains(err2.str(), "Lithium metal partial molar volume")) << err2.str();
  EXPECT_TRUE(contains(err2.str(), "'lithium plating' = ('partially reversible', 'none')")) << err2.str();
  // a valid option: the run's summary names the resolved options
  const std::string csv = ::testing::TempDir() + "ionflux_model_options.csv";
  std::ostringstream out4, err4;
  rc = cli_main({"simulate", "--parameters", "OKane2022", "--option", "SEI=solvent-diffusion limited", "--t-end", "1",
                 "--output", csv},
                out4, err4);
  EXPECT_EQ(rc, 0) << err4.str();
  EXPECT_TRUE(contains(out4.str(), "Model options")) << out4.str();
  EXPECT_TRUE(contains(out4.str(), "SEI: ('solvent-diffusion limited', 'none'); SEI film resistance: distributed"))
      << out4.str();
  std::ostringstream out3, err3;
  rc = cli_main({"simulate", "--option", "particle cracking=none"}, out3, err3);
  EXPECT_EQ(rc, 2);
  EXPECT_TRUE(contains(err3.str(), "Use 'particle mechanics' instead")) << err3.str();
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
