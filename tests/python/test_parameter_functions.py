"""Parameter functions evaluated and plotted from Python (issue 13 item 2), Python functions,
PyBaMM data tuples and DataFrames as tables, and the smaller PyBaMM habits of issue 13:
a modified set's to_json, experiment typos at construction, update(check_already_exists=),
dir(ionflux), the message of an expression naming another argument.

Expected values: PyBaMM 26.10.1.1 fixtures in tests/fixtures (generators named there):
pybamm_functions.json (Chen2020/Marquis2019 functions with the DFN wrappers,
generate_pybamm_fixtures.py), pybamm_set_ORegan2022_functions.json (functions of T,
generate_set_fixtures.py ORegan2022_functions) and pybamm_bpx_nmc_pouch.json (a BPX file's
expressions, generate_bpx_fixture.py). The tolerances are those of the C++ tests that
compare the same kernel code with the same fixtures (tests/unit/test_functions.cpp,
tests/integration/test_bpx.cpp), since f(...) runs that code.
"""
import json
import warnings

import numpy as np
import pytest
from conftest import COARSE, REPO

import ionflux
from ionflux import ParameterFunction, ParameterSet, Simulation, TabulationWarning

FIXTURES = REPO / "tests" / "fixtures"
BPX_EXAMPLE = REPO.parent / "shared" / "reference-data" / "bpx" / "nmc_pouch_cell_BPX.json"


def _fixture(name):
    return json.loads((FIXTURES / name).read_text())


def _close(ours, ref, rel):
    """test_functions.cpp's bound: |ours - ref| <= rel * max(|ref|, 1e-3 * max|ref|)
    (terms that cancel near a zero of the function are bounded by the function's scale)."""
    ours, ref = np.asarray(ours, float), np.asarray(ref, float)
    bound = rel * np.maximum(np.abs(ref), 1e-3 * np.max(np.abs(ref)))
    assert np.all(np.abs(ours - ref) <= bound), np.max(np.abs(ours - ref) / bound)


# -- evaluation through the solver's code ------------------------------------------------
@pytest.mark.parametrize("set_name", ["Chen2020", "Marquis2019"])
def test_built_in_functions_equal_pybamm(set_name):
    fx = _fixture("pybamm_functions.json")["sets"][set_name]["functions"]
    ps = ParameterSet(set_name)
    rel = 1e-12  # tests/unit/test_functions.cpp: same closed forms in double, a few ulp apart
    for side in ("negative", "positive"):
        D = side.capitalize()
        c_max = ps[f"Maximum concentration in {side} electrode [mol.m-3]"]
        f = fx[f"{side}_U_ref"]
        _close(ps[f"{D} electrode OCP [V]"](np.array(f["inputs"]["sto"])), f["output"], rel)
        f = fx[f"{side}_dUdT"]
        dudt = ps[f"{D} electrode OCP entropic change [V.K-1]"]
        _close(dudt(f["inputs"]["sto"]) if isinstance(dudt, ParameterFunction) else dudt, f["output"], rel)
        f = fx[f"{side}_D_s"]
        D_s = ps[f"{D} particle diffusivity [m2.s-1]"]
        if isinstance(D_s, ParameterFunction):
            assert D_s.arguments == ("sto", "T")
            _close(D_s(f["inputs"]["sto"], f["inputs"]["T"]), f["output"], rel)
        f = fx[f"{side}_j0"]  # PyBaMM's DFN wrapper: clipped, RegPower, as the solver uses it
        j0 = ps[f"{D} electrode exchange-current density [A.m-2]"]
        assert j0.arguments == ("c_e", "c_s_surf", "c_s_max", "T")
        _close(j0(f["inputs"]["c_e"], f["inputs"]["c_s_surf"], c_max, f["inputs"]["T"]), f["output"], rel)
    for key, name in (("D_e", "Electrolyte diffusivity [m2.s-1]"), ("kappa_e", "Electrolyte conductivity [S.m-1]"),
                      ("t_plus", "Cation transference number"), ("thermodynamic_factor", "Thermodynamic factor")):
        f, fn = fx[key], ps[name]
        if isinstance(fn, ParameterFunction):
            assert fn.arguments == ("c_e", "T")
            _close(fn(c_e=f["inputs"]["c_e"], T=f["inputs"]["T"]), f["output"], rel)


def test_functions_of_temperature_equal_pybamm_oregan2022():
    fx = _fixture("pybamm_set_ORegan2022_functions.json")
    temps = np.array(fx["temperatures_K"])
    ps = ParameterSet("ORegan2022")
    checked = 0
    for name, entry in fx["functions"].items():
        f = ps[name]
        if not isinstance(f, ParameterFunction):
            continue
        args = f.default_arguments()
        values = f(temps) if f.arguments == ("T",) else f(temps, args["eps"])  # eps: the layer's porosity
        _close(values, entry["values"], 1e-13)  # tests/unit/test_functions.cpp, ORegan2022 functions of T
        checked += 1
    assert checked >= 8


@pytest.mark.skipif(not BPX_EXAMPLE.exists(), reason="shared/reference-data/bpx is not there")
def test_bpx_expressions_equal_pybamm():
    fx = _fixture("pybamm_bpx_nmc_pouch.json")["functions"]
    ps = ParameterSet.from_bpx(BPX_EXAMPLE)
    for name, f in fx.items():
        if "exchange-current" in name:
            continue  # the fixture has PyBaMM's raw j0, without the DFN's RegPower (tested above on Chen2020)
        fn = ps[name]
        if not isinstance(fn, ParameterFunction):
            assert np.allclose(f["output"], fn, rtol=1e-14)
            continue
        got = fn(**{a: f[a] for a in fn.arguments})
        # tests/integration/test_bpx.cpp: 1e-14 relative; the negative OCP sums terms of
        # size 5e4 to 0.1 V, so 1e-10 V absolute there
        if name == "Negative electrode OCP [V]":
            np.testing.assert_allclose(got, f["output"], rtol=0, atol=1e-10)
        else:
            np.testing.assert_allclose(got, f["output"], rtol=1e-14, atol=0)


def test_shapes_names_and_snapshots():
    ps = ParameterSet("Chen2020")
    U = ps["Negative electrode OCP [V]"]
    assert U.parameter == "Negative electrode OCP [V]"
    assert isinstance(U(0.5), float)
    grid = np.linspace(0.1, 0.9, 6).reshape(2, 3)
    assert U(grid).shape == (2, 3)
    np.testing.assert_array_equal(U.evaluate(grid), U(sto=grid))
    kappa = ps["Electrolyte conductivity [S.m-1]"]
    assert kappa(np.array([500.0, 1000.0]), 298.15).shape == (2,)  # broadcast
    # a snapshot: changing the set afterwards does not change a function taken before
    ps["Negative electrode OCP [V]"] = "0.1 + 0 * sto"
    assert U(0.5) != ps["Negative electrode OCP [V]"](0.5) == pytest.approx(0.1, abs=1e-15)


def test_wrong_arguments_are_clear_errors():
    ps = ParameterSet("Chen2020")
    kappa = ps["Electrolyte conductivity [S.m-1]"]
    with pytest.raises(TypeError, match=r"'Electrolyte conductivity \[S.m-1\]' is a function of \(c_e, T\): "
                                        r"missing 'T' \(got 1 argument, expected 2\)"):
        kappa(1000.0)
    with pytest.raises(TypeError, match=r"function of \(sto\): got 2 arguments, expected 1"):
        ps["Negative electrode OCP [V]"](0.5, 298.15)
    with pytest.raises(TypeError, match=r"unknown argument 'temperature'"):
        kappa(1000.0, temperature=298.15)
    with pytest.raises(ValueError, match="not attached to a parameter set"):
        ParameterFunction("my_ocp")(0.5)
    with pytest.raises(ValueError, match=r"differ in length"):
        ionflux._core.evaluate_function(ps._core, "Electrolyte conductivity [S.m-1]",
                                        [np.ones(2), np.ones(3)])
    with pytest.raises(ValueError, match=r"is a function of \(c_e, T\): got 1 argument, expected 2"):
        ionflux._core.evaluate_function(ps._core, "Electrolyte conductivity [S.m-1]", [np.ones(2)])


def test_plot_labels_the_argument_and_the_units():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    ps = ParameterSet("Chen2020")
    ax = ps.plot("Negative electrode OCP [V]")
    assert ax.get_xlabel() == "Stoichiometry sto [-]"
    assert ax.get_ylabel() == "Negative electrode OCP [V]"
    x, y = ax.lines[0].get_data()
    assert x[0] == 0.0 and x[-1] == 1.0
    np.testing.assert_array_equal(y, ps["Negative electrode OCP [V]"](x))
    # the plots' display units (_units.py): concentrations in mol/L, temperatures in °C,
    # values in the arrays unchanged (SI)
    ax = ps.plot("Electrolyte conductivity [S.m-1]", T=[273.15, 298.15])
    assert ax.get_xlabel() == "Electrolyte concentration c_e [mol/L]"
    x, _ = ax.lines[0].get_data()
    assert x[0] == 0.0 and x[-1] == pytest.approx(4.0)  # 0 .. 4000 mol/m3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["T = 0 °C", "T = 25 °C"]
    ax = ps.plot("Negative electrode exchange-current density [A.m-2]")
    assert ax.get_xlabel() == "Particle surface concentration c_s_surf [mol/L]"
    assert "c_e = 1 mol/L" in ax.get_title() and "T = 25 °C" in ax.get_title()
    assert ax.get_ylabel() == "Negative electrode exchange-current density [mA/cm²]"
    ax.figure.canvas.draw()  # the offset text is set when drawn
    assert not ax.yaxis.get_offset_text().get_text()
    with pytest.raises(TypeError, match="is a number"):
        ps.plot("Negative electrode porosity")
    plt.close("all")


# -- Python functions, tuples and DataFrames as tables ------------------------------------
OCP_N = ("1.9793 * exp(-39.3631 * sto) + 0.2482 - 0.0909 * tanh(29.8538 * (sto - 0.1234)) - "
         "0.04478 * tanh(14.9159 * (sto - 0.2769)) - 0.0205 * tanh(30.4444 * (sto - 0.6103))")


def ocp_n(sto):
    """Chen2020's graphite OCP (the same formula as OCP_N), in numpy."""
    return (1.9793 * np.exp(-39.3631 * sto) + 0.2482 - 0.0909 * np.tanh(29.8538 * (sto - 0.1234))
            - 0.04478 * np.tanh(14.9159 * (sto - 0.2769)) - 0.0205 * np.tanh(30.4444 * (sto - 0.6103)))


def test_python_function_is_sampled_and_says_so():
    ps = ParameterSet("Chen2020")
    with pytest.warns(TabulationWarning, match=r"'Negative electrode OCP \[V\]': the Python function ocp_n was "
                                               r"sampled at 1001 points over sto in \[0, 1\] \(step 0.001\) into a "
                                               r"cubic table"):
        ps["Negative electrode OCP [V]"] = ocp_n
    f = ps["Negative electrode OCP [V]"]
    assert f.interpolator == "cubic" and len(f.x) == 1001
    s = np.linspace(0.001, 0.999, 1234)
    # not-a-knot spline of a smooth function at h = 1e-3: error ~ h^4 f''''/384 ~ 1e-8 V
    # (f'''' ~ 1.98 * 39.36^4 near sto = 0), so 1e-7 V
    np.testing.assert_allclose(f(s), ocp_n(s), rtol=0, atol=1e-7)
    ps.table_points = 11
    with pytest.warns(TabulationWarning, match=r"sampled at 11 points over sto in \[0.1, 0.9\]"):
        ps.tabulate("Negative electrode OCP [V]", ocp_n, range=(0.1, 0.9), interpolator="pchip")
    assert ps["Negative electrode OCP [V]"].x[0] == 0.1 and ps.copy().table_points == 11


def test_python_ocp_solution_matches_the_expression():
    a, b = ParameterSet("Chen2020"), ParameterSet("Chen2020")
    a["Negative electrode OCP [V]"] = OCP_N
    with pytest.warns(TabulationWarning):
        b["Negative electrode OCP [V]"] = lambda sto: ocp_n(sto)
    sa, sb = Simulation(a, mesh=COARSE).solve(), Simulation(b, mesh=COARSE).solve()
    assert sa.status == sb.status == "cutoff_lower"
    t = np.linspace(0, min(sa["Time [s]"][-1], sb["Time [s]"][-1]), 200)
    va, vb = np.interp(t, sa["Time [s]"], sa["Voltage [V]"]), np.interp(t, sb["Time [s]"], sb["Voltage [V]"])
    # the table is within 1e-7 V of the expression (above); the two solves take their own
    # steps under rtol = 1e-6: measured 8e-7 V apart (2026-12), so 1e-5 V. The OCP
    # shifted by 1e-3 in sto gives 17 mV here: the bound tells the functions apart.
    assert np.max(np.abs(va - vb)) < 1e-5


def test_functions_of_two_arguments_hold_the_other_and_say_whether_it_matters():
    ps = ParameterSet("Chen2020")
    with pytest.warns(TabulationWarning, match=r"T held at T = 298.15 K \(the set's values\): the function depends "
                                               r"on T, which a table in sto cannot follow"):
        ps["Negative particle diffusivity [m2.s-1]"] = lambda sto, T: 3.3e-14 * (1 + sto * (T - 250) / 50)
    # PyBaMM's usual form, D_ref(sto) x Arrhenius(T), is kept whole: table(sto) x exp(...)
    key = "Positive particle diffusivity [m2.s-1]"

    def d_p(sto, T):
        return 4e-15 * (1 + sto) * np.exp(3500 * (1 / 298.15 - 1 / T))

    with pytest.warns(TabulationWarning, match=r"found to be Arrhenius over \[233.15, 373.15\] K: the function is "
                                               r"table\(sto\) \* exp\(3500.0\d* \* \(1 / 298.15 - 1 / T\)\)"):
        ps[key] = d_p
    sto, T = np.linspace(0.05, 0.95, 7), np.array([263.15, 298.15, 318.15, 333.15, 263.15, 298.15, 350.0])
    # the table at 298.15 K (cubic spline of a linear function: exact to rounding) times the
    # factor, whose exponent k is fitted to 1e-9 relative: 1e-12 relative is rounding-level
    np.testing.assert_allclose(ps[key](sto, T), d_p(sto, T), rtol=1e-12, atol=0)
    with pytest.warns(TabulationWarning, match=r"does not depend on T there"):
        ps["Electrolyte conductivity [S.m-1]"] = lambda c_e, T: 0.1 + 1e-3 * c_e
    with pytest.warns(TabulationWarning, match=r"over c_e in \[0, 4000\] mol.m-3"):
        ps["Electrolyte diffusivity [m2.s-1]"] = lambda c_e: 3e-10 + 0 * c_e
    with pytest.raises(ValueError, match=r"not finite at sto = 0.*range=\(low, high\)"):
        ps["Positive electrode OCP [V]"] = lambda sto: 4 - np.log(sto)
    with pytest.raises(ValueError, match=r"cannot be sampled into a table; give an expression string"):
        ps["Negative electrode exchange-current density [A.m-2]"] = lambda c_e, c_s, c_max, T: 1.0


def test_pybamm_tuple_and_dataframe_equal_the_table():
    x = np.array([0.0, 0.2, 0.5, 0.8, 1.0])
    y = np.array([1.0, 0.3, 0.15, 0.1, 0.05])
    key = "Negative electrode OCP [V]"
    table = ParameterSet("Chen2020")
    table[key] = {"x": x, "y": y, "interpolator": "linear"}
    tup = ParameterSet("Chen2020")
    tup[key] = ("graphite_ocp", ([x], y))  # as pybamm.parameters.process_1D_data gives it
    assert tup[key] == table[key]  # PyBaMM's Interpolant default for tuples: linear
    tup[key] = ("graphite_ocp", (x, y))
    assert tup[key] == table[key]
    pd = pytest.importorskip("pandas")
    table[key] = {"x": x, "y": y}  # ionflux's table default: pchip
    frame = ParameterSet("Chen2020")
    frame[key] = pd.DataFrame({"sto": x, "U [V]": y})
    assert frame[key] == table[key]
    frame[key] = pd.Series(y, index=x)
    assert frame[key] == table[key]
    s = np.linspace(0, 1, 17)
    np.testing.assert_array_equal(frame[key](s), table[key](s))
    with pytest.raises(ValueError, match="two columns"):
        frame[key] = pd.DataFrame({"a": x, "b": y, "c": y})


# -- smaller items --------------------------------------------------------------------------
def test_public_namespace_is_the_api():
    public = [n for n in dir(ionflux) if not n.startswith("_")]
    assert not {"Dict", "List", "annotations"} & set(public)
    assert set(public) <= set(ionflux.__all__)
    assert all(hasattr(ionflux, n) for n in ionflux.__all__)


def test_experiment_typo_raised_at_construction():
    with pytest.raises(ValueError, match=r"experiment step 2 \(cycle 2, step 1\) \"Dischrage at 1C for 1 hour\": "
                                         r"unknown instruction 'Dischrage'"):
        Simulation("Chen2020", experiment=["Rest for 1 minute", "Dischrage at 1C for 1 hour"])


def test_modified_set_round_trips_through_to_json(tmp_path):
    ps = ParameterSet("Chen2020")
    ps["Negative electrode porosity"] = 0.24
    ps["Negative electrode OCP [V]"] = OCP_N
    path = tmp_path / "mine.json"
    text = ps.to_json(path)
    top = json.loads(text)
    assert top["name"] == "Chen2020 (modified)" and top["base"] == "Chen2020"
    assert top["description"] == "changed from Chen2020: Negative electrode porosity, Negative electrode OCP [V]"
    back = ParameterSet.from_file(path)
    assert back.name == "Chen2020 (modified)"
    assert back.changed() == ps.changed() == {"Negative electrode porosity": 0.24}
    assert back.changed_functions() == ps.changed_functions()
    assert back.to_json() == text
    assert Simulation(back, mesh=COARSE).solve().parameters.name == "Chen2020 (modified)"
    assert json.loads(ParameterSet("Chen2020").to_json())["name"] == "Chen2020"  # unmodified: as before


def test_update_with_check_already_exists():
    ps = ParameterSet("Prada2013")  # no thermal parameters, in PyBaMM too
    key = "Negative electrode density [kg.m-3]"
    with pytest.raises(KeyError, match=r"unknown parameter 'Negative electrode density \[kg.m-3\]' in set "
                                       r"Prada2013.*check_already_exists=False"):
        ps.update({key: 1657.0})
    with pytest.warns(UserWarning, match=r"does not read 'My fitting constant': kept in ps.extra"):
        ps.update({key: 1657.0, "My fitting constant": 2.5}, check_already_exists=False)
    assert ps[key] == 1657.0 and ps.changed()[key] == 1657.0
    assert ps.extra == {"My fitting constant": 2.5} and ps.copy().extra == ps.extra
    ps.update({"Negative electrode porosity": 0.4}, check_conflict=True)  # PyBaMM's other keywords are accepted
    assert ps["Negative electrode porosity"] == 0.4
