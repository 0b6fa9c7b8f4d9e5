"""Expressions, tables and parameter files from Python (ParameterSet), in simulations and sweeps.

Expected values are ionflux's own built-in Chen2020 functions (validated against PyBaMM in
the C++ tests): the same formulas given as expressions must give the same discharge.
"""
import json

import numpy as np
import pytest
from conftest import COARSE

import ionflux
from ionflux import ParameterSet, Simulation, Sweep

OCP_N = ("1.9793 * exp(-39.3631 * sto) + 0.2482 - 0.0909 * tanh(29.8538 * (sto - 0.1234)) "
         "- 0.04478 * tanh(14.9159 * (sto - 0.2769)) - 0.0205 * tanh(30.4444 * (sto - 0.6103))")


def test_expression_assignment_and_repr():
    ps = ParameterSet("Chen2020")
    ps["Negative electrode OCP [V]"] = OCP_N
    f = ps["Negative electrode OCP [V]"]
    assert isinstance(f, ionflux.ParameterFunction) and f.is_user_function
    assert f.expression == OCP_N
    assert repr(f) == f"<function expression: {OCP_N}>"
    a = Simulation("Chen2020", mesh=COARSE).solve()
    b = Simulation(ps, mesh=COARSE).solve()
    assert abs(b["Discharge capacity [A.h]"][-1] - a["Discharge capacity [A.h]"][-1]) < 1e-6 * 5
    n = min(len(a["Voltage [V]"]), len(b["Voltage [V]"])) - 1
    assert np.max(np.abs(a["Voltage [V]"][:n] - b["Voltage [V]"][:n])) < 2e-6


def test_table_assignment_from_numpy_and_back():
    ps = ParameterSet("Chen2020")
    sto = np.linspace(0, 1, 41)
    ps["Positive particle diffusivity [m2.s-1]"] = {"x": sto, "y": 4e-15 * (1 + 0.5 * sto),
                                                   "interpolator": "linear"}
    f = ps["Positive particle diffusivity [m2.s-1]"]
    assert f.interpolator == "linear" and len(f.x) == 41 and f.expression == ""
    assert repr(f) == "<function table (linear, 41 points)>"
    other = ParameterSet("Chen2020")
    other["Positive particle diffusivity [m2.s-1]"] = f  # a user function can be copied across sets
    assert other["Positive particle diffusivity [m2.s-1]"] == f
    sol = Simulation(ps, mesh=COARSE).solve()
    assert sol.status == "cutoff_lower"
    # back to the set's own (built-in) value: a number
    ps["Positive particle diffusivity [m2.s-1]"] = 4e-15
    assert ps["Positive particle diffusivity [m2.s-1]"] == 4e-15


def test_errors_are_value_errors_with_the_position():
    ps = ParameterSet("Chen2020")
    with pytest.raises(ValueError, match=r"expression for 'Negative electrode OCP \[V\]' uses 'c_e' at position 7, "
                                         r"but this parameter is a function of \(sto\) only"):
        ps["Negative electrode OCP [V]"] = "0.2 + c_e"
    with pytest.raises(ValueError, match=r"unknown variable 'stoo' \(did you mean 'sto'\?\) at position 7 "
                                         r"\(arguments: sto\)"):
        ps["Negative electrode OCP [V]"] = "0.2 + stoo"
    with pytest.raises(ValueError, match="strictly increasing"):
        ps["Negative electrode OCP [V]"] = {"x": [0, 0.5, 0.4], "y": [1, 2, 3]}
    with pytest.raises(ValueError, match="a table is"):
        ps["Negative electrode OCP [V]"] = {"x": [0, 1]}
    with pytest.raises(TypeError, match="must be set to a number"):
        ps["Separator porosity"] = "0.4"
    with pytest.raises(KeyError):
        ps["Negative electrode OCV [V]"] = "sto"
    assert ps["Negative electrode OCP [V]"].name == "graphite_LGM50_ocp_Chen2020"  # unchanged


def test_to_json_and_from_file_round_trip(tmp_path):
    ps = ParameterSet("Chen2020")
    ps["Negative electrode OCP [V]"] = OCP_N
    ps["Electrolyte conductivity [S.m-1]"] = {"x": [10, 500, 1000, 2000, 4000], "y": [0.1, 0.6, 0.95, 0.9, 0.3]}
    ps["Negative electrode porosity"] = 0.24
    path = tmp_path / "cell.json"
    text = ps.to_json(path)
    assert json.loads(text)["parameters"]["Negative electrode OCP [V]"] == OCP_N
    back = ParameterSet.from_file(path)
    assert back.to_json() == text
    a = Simulation(ps, mesh=COARSE).solve()
    b = Simulation(back, mesh=COARSE).solve()
    np.testing.assert_array_equal(a["Voltage [V]"], b["Voltage [V]"])
    with pytest.raises(ValueError, match="end in .json"):
        ParameterSet.from_file(tmp_path / "cell.txt")


def test_sweep_over_a_set_with_user_functions_equals_single_runs():
    ps = ParameterSet("Chen2020")
    ps["Negative electrode OCP [V]"] = OCP_N
    ps["Positive particle diffusivity [m2.s-1]"] = {"x": [0, 1], "y": [4e-15, 6e-15], "interpolator": "linear"}
    sweep = Sweep(ps, vary={"C-rate": [0.5, 1.0]}, mesh=COARSE)
    assert isinstance(sweep.config()["parameters"], dict)  # the set travels inline
    res = sweep.run(device="cpu")
    for i, c in enumerate([0.5, 1.0]):
        single = Simulation(ps, c_rate=c, mesh=COARSE).solve()
        q = res.summary["Discharge capacity [A.h]"].iloc[i]
        assert abs(q - single["Discharge capacity [A.h]"][-1]) < 1e-9 * q


def test_shipped_sets_are_listed_and_load():
    names = ionflux.parameter_sets()
    for n in ["Chen2020", "Marquis2019", "Ecker2015", "Mohtat2020", "NCA_Kim2011", "Prada2013", "Ai2020",
              "ORegan2022", "OKane2022"]:
        assert n in names
    ps = ParameterSet("ORegan2022")
    assert ps["Cation transference number"].is_user_function


def test_sweep_uses_a_changed_table_even_when_its_description_is_unchanged():
    # Same interpolator and number of points ("table (cubic, 125 points)"), other values:
    # the sweep must run the changed set, not the shipped one.
    ps = ParameterSet("Ai2020")
    f = ps["Negative electrode OCP [V]"]
    ps["Negative electrode OCP [V]"] = {"x": f.x, "y": [v + 0.05 for v in f.y], "interpolator": f.interpolator}
    assert ps["Negative electrode OCP [V]"].name == f.name
    assert list(ps.changed_functions()) == ["Negative electrode OCP [V]"]
    assert isinstance(Sweep(ps, vary={"C-rate": [1.0]}, mesh=COARSE).config()["parameters"], dict)
    assert Sweep(ParameterSet("Ai2020"), vary={"C-rate": [1.0]}).config()["parameters"] == "Ai2020"
    res = Sweep(ps, vary={"C-rate": [1.0]}, mesh=COARSE).run(device="cpu")
    single = Simulation(ps, c_rate=1.0, mesh=COARSE).solve()
    q = res.summary["Discharge capacity [A.h]"].iloc[0]
    assert abs(q - single["Discharge capacity [A.h]"][-1]) < 1e-9 * q
