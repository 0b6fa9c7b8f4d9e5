"""PyBaMM's model options for the degradation submodels from Python: options={...} on
Simulation and Sweep (PyBaMM's dict, tuples allowed), resolved and refused as PyBaMM
26.10.1.1 does, and the degradation parameters they need (docs/degradation_options.md).

Expected resolved options and refusal messages: pybamm.BatteryModelOptions(d) of PyBaMM
26.10.1.1 for the same dicts (compared with the installed PyBaMM where it is importable,
else with its output copied here; reference pybamm-degradation.md §1.2, §11.1)."""
import json
import pathlib

import pytest
from conftest import COARSE, REPO

import ionflux
from ionflux import ParameterSet, Simulation, Sweep, _core

# short runs (t_end = 1 s) end at the end time, on purpose
pytestmark = pytest.mark.filterwarnings("ignore:the run stopped at the end time")

DEGRADATION = ("SEI", "SEI film resistance", "SEI on cracks", "SEI porosity change", "lithium plating",
               "lithium plating porosity change", "particle mechanics", "stress-induced diffusion",
               "loss of active material", "total interfacial current density as a state")

COUPLED = {"SEI": "solvent-diffusion limited", "SEI porosity change": "true",
           "lithium plating": "partially reversible", "lithium plating porosity change": "true",
           "particle mechanics": ("swelling and cracking", "swelling only"),
           "SEI on cracks": "true", "loss of active material": "stress-driven"}

# PyBaMM 26.10.1.1's resolution of COUPLED (printed {k: o[k]} for the keys above)
COUPLED_RESOLVED = {"SEI": "('solvent-diffusion limited', 'none')", "SEI film resistance": "distributed",
                    "SEI on cracks": "('true', 'false')", "SEI porosity change": "true",
                    "lithium plating": "('partially reversible', 'none')", "lithium plating porosity change": "true",
                    "particle mechanics": "('swelling and cracking', 'swelling only')",
                    "stress-induced diffusion": "true", "loss of active material": "stress-driven",
                    "total interfacial current density as a state": "true"}

CASES = [
    {},
    {"SEI": "reaction limited"},
    {"SEI": ("ec reaction limited", "reaction limited (asymmetric)")},
    {"lithium plating": "partially reversible"},
    {"lithium plating": ("partially reversible", "none")},
    {"SEI on cracks": "true"},
    {"SEI on cracks": "true", "loss of active material": ("stress-driven", "none")},
    {"loss of active material": "asymmetric stress and reaction-driven"},
    {"loss of active material": "reaction-driven"},
    {"particle mechanics": "swelling only", "stress-induced diffusion": ("false", "true")},
    {"SEI": "constant", "SEI film resistance": "average"},
    COUPLED,
]


def pybamm_strings(d):
    """PyBaMM's resolution of d as the strings describe_model_options gives."""
    pybamm = pytest.importorskip("pybamm")
    o = pybamm.BatteryModelOptions(dict(d))
    return {k: (repr(o[k]) if isinstance(o[k], tuple) else o[k]) for k in DEGRADATION}


def test_coupled_case_resolves_as_pybamm():
    assert _core.describe_model_options(COUPLED) == COUPLED_RESOLVED


@pytest.mark.parametrize("case", CASES, ids=[json.dumps(c)[:60] for c in CASES])
def test_defaults_match_pybamm(case):
    ours = _core.describe_model_options(case)
    want = pybamm_strings(case)
    # PyBaMM writes the aliased porosity flags separately; ionflux holds one switch
    if want["SEI porosity change"] != want["lithium plating porosity change"]:
        want["SEI porosity change"] = want["lithium plating porosity change"] = "true"
    # a scalar string of a both-electrode option is the same as the tuple of equal values
    assert ours == want


REFUSED = [
    ({"SEI film resistance": "distributed", "total interfacial current density as a state": "false"},
     "If 'sei film resistance' is 'distributed' then 'total interfacial current density as a state' must be 'true'"),
    ({"SEI on cracks": "true", "particle mechanics": "swelling only"},
     "If 'SEI on cracks' is 'true' then 'particle mechanics' must be 'swelling and cracking'."),
    ({"stress-induced diffusion": "true"}, "cannot have stress-induced diffusion without a particle mechanics model"),
    ({"loss of active material": "stress-driven", "particle mechanics": "none"},
     "cannot have stress-induced diffusion without a particle mechanics model"),
    ({"SEI film resistance": ("none", "none")},
     "is not recognized in option 'SEI film resistance'. Values must be strings or (in some cases) 2-tuples"),
    ({"particle cracking": "none"}, "The 'particle cracking' option has been renamed. Use 'particle mechanics' instead."),
]


@pytest.mark.parametrize("case,message", REFUSED)
def test_refusals_as_pybamm(case, message):
    with pytest.raises(ValueError, match=None) as e:
        Simulation("OKane2022", options=case)
    assert message in str(e.value)
    pybamm = pytest.importorskip("pybamm")
    with pytest.raises(pybamm.OptionError) as pe:
        pybamm.BatteryModelOptions(case)
    assert message.split("'")[-1].strip() in str(pe.value) or message in str(pe.value)


def test_unknown_names_and_values_suggest_the_closest():
    with pytest.raises(ValueError, match=r"option 'lithium platting' not recognised \(did you mean 'lithium plating'\?\)"):
        Simulation("OKane2022", options={"lithium platting": "reversible"})
    with pytest.raises(ValueError, match=r"did you mean 'solvent-diffusion limited'\?"):
        Simulation("OKane2022", options={"SEI": "solvent diffusion limited"})
    with pytest.raises(ValueError, match=r"'x-average side reactions'.*only 'false'"):
        Simulation("OKane2022", options={"x-average side reactions": "true"})
    with pytest.raises(ValueError, match="two strings"):
        Simulation("OKane2022", options={"SEI": ("a", "b", "c")})
    with pytest.raises(TypeError):
        Simulation("OKane2022", options={"SEI": 3.5})
    with pytest.raises(TypeError):
        Simulation("OKane2022", options=["SEI"])


def test_simulation_options_reach_the_run():
    sim = Simulation("OKane2022", options={"SEI": "solvent-diffusion limited",
                                           "lithium plating": ["partially reversible", "none"]},
                     mesh=COARSE, t_end=1.0)
    assert sim.options["SEI"] == "('solvent-diffusion limited', 'none')"
    assert sim.options["lithium plating"] == "('partially reversible', 'none')"
    sol = sim.solve()
    # the options the run used come back with the solution (from RunOptions::model)
    assert sol.options["SEI"] == "('solvent-diffusion limited', 'none')"
    assert sol.options["SEI film resistance"] == "distributed"
    # the plain DFN
    assert Simulation("OKane2022").options["SEI"] == "none"


def test_thermal_may_be_an_option():
    sim = Simulation("OKane2022", options={"thermal": "lumped"})
    assert sim.thermal == "lumped"
    with pytest.raises(ValueError, match="give one of them"):
        Simulation("OKane2022", options={"thermal": "isothermal"}, thermal="lumped")


def test_pybamm_dfn_brings_its_degradation_options():
    pybamm = pytest.importorskip("pybamm")
    model = pybamm.lithium_ion.DFN({"SEI": "reaction limited"})
    # (an ionflux set name: loading a PyBaMM set here would change pybamm.parameter_sets for
    # test_pybamm_objects.py)
    sim = Simulation(model, parameter_values="OKane2022")
    assert sim.options["SEI"] == "('reaction limited', 'none')"


def test_missing_parameters_name_the_option():
    # Chen2020 (PyBaMM's too) has SEI parameters but none for plating or mechanics
    Simulation("Chen2020", options={"SEI": "solvent-diffusion limited"}, mesh=COARSE, t_end=1.0).solve()
    with pytest.raises(ValueError, match=r"'Lithium metal partial molar volume \[m3\.mol-1\]' \(needed by "
                                         r"'lithium plating' = \('reversible', 'none'\)"):
        Simulation("Chen2020", options={"lithium plating": "reversible"}, mesh=COARSE, t_end=1.0).solve()


def test_okane2022_functions_are_complete_and_evaluate_as_pybamm():
    ps = ParameterSet("OKane2022")
    description = json.loads((REPO / "solver" / "inputs" / "sets" / "OKane2022.json").read_text())["description"]
    assert "no place for" not in description and "Omitted" not in description
    for name in ("Exchange-current density for plating [A.m-2]", "Exchange-current density for stripping [A.m-2]",
                 "Dead lithium decay rate [s-1]", "Negative electrode volume change", "Positive electrode volume change",
                 "Negative electrode cracking rate", "Positive electrode cracking rate"):
        assert name in ps
    # PyBaMM's test_OKane2022.py spot values (abs tol 1e-4) and its volume changes at 0.9
    f = ps["Exchange-current density for plating [A.m-2]"]
    assert f(1e3, 1e4, 298.15) == pytest.approx(9.6485e-2, abs=1e-4)
    f = ps["Exchange-current density for stripping [A.m-2]"]
    assert f(1e3, 1e4, 298.15) == pytest.approx(9.6485e-1, abs=1e-4)
    assert ps["Dead lithium decay rate [s-1]"](1e-8) == pytest.approx(5e-7, rel=1e-14)
    assert ps["Negative electrode volume change"](0.9) == pytest.approx(0.0897, abs=1e-4)
    assert ps["Positive electrode volume change"](0.9) == pytest.approx(0.70992, rel=1e-14)


def test_sweep_options_and_varied_degradation_parameters(tmp_path):
    sweep = Sweep("OKane2022", options={"SEI": "solvent-diffusion limited"}, t_end=1.0, mesh=COARSE,
                  vary={"SEI solvent diffusivity [m2.s-1]": [1e-22, 5e-22]})
    assert sweep.config()["options"] == {"SEI": "solvent-diffusion limited"}
    res = sweep.run(device="cpu", output=tmp_path / "sei.h5", threads=1, progress=False)
    if ionflux._core.has_hdf5():  # the file says which options ran
        got = ionflux.load(tmp_path / "sei.h5").attrs
        assert json.loads(got["model options"])["SEI"] == "('solvent-diffusion limited', 'none')"
        assert "degradation: SEI: ('solvent-diffusion limited', 'none')" in got["model"]
    assert len(res.status) == 2
    # a degradation parameter varied without an option that reads it
    with pytest.raises(ValueError, match="only the degradation submodels read it"):
        Sweep("OKane2022", t_end=1.0, vary={"SEI solvent diffusivity [m2.s-1]": [1e-22, 5e-22]})
    # tuples in Python are lists in the config
    s2 = Sweep("OKane2022", options={"lithium plating": ("partially reversible", "none")}, t_end=1.0)
    assert s2.config()["options"] == {"lithium plating": ["partially reversible", "none"]}


def test_parameter_files_and_bpx_carry_degradation_parameters(tmp_path):
    # a parameter file on top of Chen2020 adding the plating parameters, one as an
    # expression in PyBaMM's argument names
    f = tmp_path / "plating.json"
    f.write_text(json.dumps({"ionflux parameter file": 1, "base": "Chen2020", "parameters": {
        "Lithium metal partial molar volume [m3.mol-1]": 1.3e-05,
        "Initial plated lithium concentration [mol.m-3]": 0.0,
        "Typical plated lithium concentration [mol.m-3]": 1000.0,
        "Lithium plating transfer coefficient": 0.5,
        "Exchange-current density for plating [A.m-2]": "96485.33212331001 * 1e-9 * c_e",
        "Exchange-current density for stripping [A.m-2]": {"function": "stripping_exchange_current_density_OKane2020"},
        "Lithium plating kinetic rate constant [m.s-1]": 1e-9}}))
    ps = ParameterSet(str(f))
    Simulation(ps, options={"lithium plating": "reversible"}, mesh=COARSE, t_end=1.0).solve()
    with pytest.raises(ValueError, match="c_Li"):
        f.write_text(json.dumps({"ionflux parameter file": 1, "base": "Chen2020", "parameters": {
            "Negative electrode OCP [V]": "0.1 * c_Li"}}))
        ParameterSet(str(f))
    # BPX: degradation parameters in "User-defined"
    example = REPO.parent / "shared" / "reference-data" / "bpx" / "nmc_pouch_cell_BPX.json"
    if not example.exists():
        pytest.skip("shared/reference-data/bpx is not there")
    bpx = json.loads(example.read_text())
    with pytest.raises(ValueError, match="SEI partial molar volume"):
        Simulation(ParameterSet.from_bpx(example), options={"SEI": "solvent-diffusion limited"}).solve()
    bpx["Parameterisation"].setdefault("User-defined", {}).update({
        "SEI partial molar volume [m3.mol-1]": 9.585e-05, "Initial SEI thickness [m]": 5e-09,
        "Ratio of lithium moles to SEI moles": 2.0, "SEI resistivity [Ohm.m]": 200000.0,
        "SEI open-circuit potential [V]": 0.4, "SEI growth activation energy [J.mol-1]": 0.0,
        "SEI solvent diffusivity [m2.s-1]": 2.5e-22, "Bulk solvent concentration [mol.m-3]": 2636.0})
    g = tmp_path / "bpx_sei.json"
    g.write_text(json.dumps(bpx))
    ps = ParameterSet.from_bpx(g)
    assert ps["SEI solvent diffusivity [m2.s-1]"] == 2.5e-22
    Simulation(ps, options={"SEI": "solvent-diffusion limited"}, mesh=COARSE, t_end=1.0).solve()
