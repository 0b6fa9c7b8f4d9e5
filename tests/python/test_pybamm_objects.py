"""PyBaMM objects as they are (issue 13 item 3): ``pybamm.ParameterValues`` converted into
ionflux sets, ``pybamm.Experiment`` and ``ionflux.Experiment`` as experiments, PyBaMM's
``parameter_values=`` spelling.

The conversion needs PyBaMM at test time (scripts/install_python.sh --test installs
pybamm==26.10.1.1); without it these tests skip. The PyBaMM voltages come from
tests/fixtures/pybamm_objects_sets.json (tests/fixtures/write_pybamm_objects.py), so no
test solves with PyBaMM.
"""
import json
import math
import pathlib
import re
import warnings

import numpy as np
import pytest

import ionflux

pybamm = pytest.importorskip("pybamm")

FIXTURE = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "pybamm_objects_sets.json"
PINNED = "26.10.1.1"
pinned = pytest.mark.skipif(pybamm.__version__ != PINNED,
                            reason=f"the fixture is PyBaMM {PINNED}'s (installed: {pybamm.__version__})")


def load_fixture():
    with open(FIXTURE) as fh:
        return json.load(fh)


def solved_sets():
    return sorted(n for n, v in load_fixture()["sets"].items() if "t [s]" in v)


def refused_sets():
    return sorted(n for n, v in load_fixture()["sets"].items() if "pybamm_error" in v)


def lithium_ion_sets():
    """Every lithium-ion set of the installed PyBaMM (as write_pybamm_objects.py decides)."""
    # an entry point until the set is first loaded, then PyBaMM keeps the loaded function
    # there (so this must not depend on which tests loaded sets before)
    return sorted(n for n, ep in pybamm.parameter_sets._all_entries.items()
                  if ".lithium_ion." in (ep.value if hasattr(ep, "value") else f"{ep.__module__}."))


def conversion_warnings(record):
    return [str(w.message) for w in record if issubclass(w.category, ionflux.PyBaMMConversionWarning)]


# Functions that ionflux cannot write as an expression, per set, and why (the warning
# must name the parameter and the reason). Every other function converts exactly.
TABULATED = {
    # Three copies of a quartic polynomial and an exponential: 162 operations, more than
    # an expression's 128.
    "Mohtat2020": ("Positive electrode OCP entropic change [V.K-1]", "NMC_entropic_change_PeymanMPM",
                   "too long (at most 128 operations)"),
}

# Sets the default DFN cannot solve (the fixture records PyBaMM's error): what ionflux says.
REFUSED = {
    "Bonkile2024": r"two particle phases .*'Primary: .*ionflux's DFN has one particle phase per electrode",
    "Chen2020_composite": r"two particle phases .*'Primary: Negative electrode OCP \[V\]'.*one particle phase",
    "MSMR_Example": r"MSMR reactions .*'Negative electrode host site .*needs each electrode's OCP as a function of "
                    r"sto",
    "Ecker2015_graphite_halfcell": r"half-cell set \(a lithium-metal negative electrode.*two porous electrodes",
    "OKane2022_graphite_SiOx_halfcell": r"half-cell set \(a lithium-metal negative electrode.*two porous electrodes",
    "Xu2019": r"half-cell set \(a lithium-metal negative electrode.*two porous electrodes",
}


# ---------------------------------------------------------------------------------------
# Every PyBaMM set
# ---------------------------------------------------------------------------------------

@pinned
def test_fixture_covers_every_lithium_ion_set():
    # A set added to PyBaMM needs the fixture regenerated (and a line in REFUSED or TABULATED).
    assert sorted(load_fixture()["sets"]) == lithium_ion_sets()
    assert sorted(REFUSED) == refused_sets()
    assert len(solved_sets()) == 10  # the nine ionflux ships (Chen2020 ... Prada2013) and Ramadass2004


@pinned
@pytest.mark.parametrize("name", solved_sets())
def test_every_pybamm_set_matches_pybamm_at_1C(name):
    ref = load_fixture()["sets"][name]
    t_ref = np.asarray(ref["t [s]"])
    v_ref = np.asarray(ref["Voltage [V]"])
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        sim = ionflux.Simulation(pybamm.ParameterValues(name), c_rate=1, initial_soc=ref.get("initial_soc"),
                                 t_eval=t_ref[:-1], t_end=2 * t_ref[-1])
    notes = conversion_warnings(record)
    if name in TABULATED:
        parameter, function, why = TABULATED[name]
        assert len(notes) == 1, notes
        assert f"'{parameter}' (PyBaMM function {function})" in notes[0] and why in notes[0], notes[0]
        assert "tabulated over sto in [0, 1]" in notes[0]
    else:
        assert notes == []  # every function converted exactly
    sol = sim.solve()
    # Both solvers end at the lower cut-off; ionflux's outputs at PyBaMM's sample times.
    assert sol.termination == ref["termination"] == "event: Minimum voltage [V]"
    t, v = sol["Time [s]"], sol["Voltage [V]"]
    np.testing.assert_allclose(t[:-1], t_ref[:-1], rtol=0, atol=1e-9)
    rms_mV = 1e3 * math.sqrt(float(np.mean((v[:-1] - v_ref[:-1]) ** 2)))
    assert rms_mV < 1.0, f"{name}: {rms_mV:.4f} mV RMS"  # the criterion (measured: <= 0.003 mV)
    # The cut-off time within 1 s of PyBaMM's (0.03 % of a 1C discharge; measured: <= 1.3 ms).
    assert abs(t[-1] - t_ref[-1]) < 1.0


@pinned
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_sets_that_need_other_dfn_options_are_refused_precisely(name):
    assert "not found" in load_fixture()["sets"][name]["pybamm_error"]  # PyBaMM's default DFN fails too
    with pytest.raises(ValueError, match=REFUSED[name]):
        ionflux.ParameterSet(pybamm.ParameterValues(name))


def test_converted_set_is_complete_and_named():
    pv = pybamm.ParameterValues("Chen2020")
    ps = ionflux.ParameterSet(pv)
    assert ps.name == "pybamm.ParameterValues (Chen2020)"
    shipped = ionflux.ParameterSet("Chen2020")
    assert set(ps) == set(shipped)
    for key in ps:
        if isinstance(ps[key], float):
            assert ps[key] == float(pv[key]), key  # numbers copied exactly
    ocp = ps["Negative electrode OCP [V]"]
    assert ocp.expression is not None and "tanh" in ocp.expression and "sto" in ocp.expression
    j0 = ps["Positive electrode exchange-current density [A.m-2]"]
    assert all(v in j0.expression for v in ("c_e", "c_s_surf", "c_s_max", "T"))
    # An interpolant becomes the function's table (OKane2022's graphite OCP: PyBaMM's cubic).
    table = ionflux.ParameterSet(pybamm.ParameterValues("OKane2022"))["Negative electrode OCP [V]"]
    pv_ocp = pybamm.ParameterValues("OKane2022")["Negative electrode OCP [V]"](pybamm.Variable("sto"))
    assert table.interpolator == "cubic" and table.x == list(pv_ocp.x[0]) and table.y == list(pv_ocp.y)


def test_porosity_read_by_a_heat_capacity_stays_an_argument():
    # ORegan2022's wet-layer heat capacities read the layer's porosity: it stays `eps`,
    # so that a changed porosity changes them (as in PyBaMM).
    ps = ionflux.ParameterSet(pybamm.ParameterValues("ORegan2022"))
    assert "eps" in ps["Negative electrode specific heat capacity [J.kg-1.K-1]"].expression
    assert "eps" not in ps["Negative current collector specific heat capacity [J.kg-1.K-1]"].expression


def test_sweep_takes_parameter_values(tmp_path):
    pv = pybamm.ParameterValues("Chen2020")
    sweep = ionflux.Sweep(pv, vary={"C-rate": [1, 2]}, mesh={"x_n": 8, "x_s": 6, "x_p": 8, "r_n": 6, "r_p": 6})
    cfg = sweep.config()
    assert cfg["parameters"]["name"] == "pybamm.ParameterValues (Chen2020)"  # the converted set, inline
    assert "tanh" in cfg["parameters"]["parameters"]["Negative electrode OCP [V]"]
    if not ionflux.has_hdf5():
        pytest.skip("sweeps write HDF5")
    res = sweep.run(output=tmp_path / "pv.h5")
    ref = ionflux.Sweep("Chen2020", vary={"C-rate": [1, 2]},
                        mesh={"x_n": 8, "x_s": 6, "x_p": 8, "r_n": 6, "r_p": 6}).run(output=tmp_path / "ref.h5")
    # The converted functions are PyBaMM's formulas, as the built-in ones: same capacities.
    np.testing.assert_allclose(res.summary["Discharge capacity [A.h]"], ref.summary["Discharge capacity [A.h]"],
                               rtol=1e-6)


def test_parameter_values_from_bpx_convert_exactly():
    # PyBaMM's create_from_bpx builds its functions from the BPX strings and tables; they
    # convert without tabulation, and the cell discharges as ionflux's own BPX reader
    # gives it (measured: 0.0002 mV apart). Needs the optional bpx package (not installed by
    # the test set-up: skips in CI).
    pytest.importorskip("bpx")
    example = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "reference-data" / "bpx" / \
        "nmc_pouch_cell_BPX.json"
    if not example.exists():
        pytest.skip("shared/reference-data/bpx is not there")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bpx's and PyBaMM's own warnings
        pv = pybamm.ParameterValues.create_from_bpx(str(example))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        a = ionflux.Simulation(pv, c_rate=1).solve()
    assert conversion_warnings(record) == []
    b = ionflux.Simulation(ionflux.ParameterSet.from_bpx(example), c_rate=1).solve()
    t = np.linspace(0, min(a["Time [s]"][-1], b["Time [s]"][-1]), 200)
    dv = np.interp(t, a["Time [s]"], a["Voltage [V]"]) - np.interp(t, b["Time [s]"], b["Voltage [V]"])
    assert np.max(np.abs(dv)) < 1e-5 and abs(a["Time [s]"][-1] - b["Time [s]"][-1]) < 1e-3


# ---------------------------------------------------------------------------------------
# Functions ionflux cannot write: tabulated, or a precise error
# ---------------------------------------------------------------------------------------

def chen_ocp(sto):
    return pybamm.ParameterValues("Chen2020")["Negative electrode OCP [V]"](sto)


def identity_arcsinh(x):
    """x, written with a node ionflux's expressions lack (arcsinh)."""
    return pybamm.arcsinh(pybamm.sinh(x))


def test_unsupported_node_in_one_argument_is_tabulated_and_said():
    pv = pybamm.ParameterValues("Chen2020")

    def ocp_arcsinh(sto):
        return identity_arcsinh(chen_ocp(sto))

    pv["Negative electrode OCP [V]"] = ocp_arcsinh
    with pytest.warns(ionflux.PyBaMMConversionWarning) as record:
        ps = ionflux.ParameterSet(pv)
    (text,) = conversion_warnings(record)
    assert text.startswith("'Negative electrode OCP [V]' (PyBaMM function ocp_arcsinh): its node "
                           "pybamm.Arcsinh 'arcsinh(sinh(")
    assert "ionflux expressions have no such operation, so it was tabulated over sto in [0, 1]" in text
    table = ps["Negative electrode OCP [V]"]
    assert table.interpolator == "cubic" and len(table.x) >= 2001 and table.x[0] == 0.0 and table.x[-1] == 1.0
    # The table is the function: the same discharge as with the exact expression (Chen2020's
    # own OCP), to the tabulation's accuracy (the spline's largest deviation, 2e-10 of the
    # OCP's range, is in the warning); measured: 6e-11 V, bound 1e-8 V.
    mesh = {"x_n": 8, "x_s": 6, "x_p": 8, "r_n": 6, "r_p": 6}
    t_eval = np.linspace(0, 3400, 69)
    a = ionflux.Simulation(ps, c_rate=1, mesh=mesh, t_eval=t_eval, t_end=5000).solve()
    b = ionflux.Simulation(pybamm.ParameterValues("Chen2020"), c_rate=1, mesh=mesh, t_eval=t_eval, t_end=5000).solve()
    assert a.termination == b.termination == "event: Minimum voltage [V]"
    assert np.max(np.abs(a["Voltage [V]"][:-1] - b["Voltage [V]"][:-1])) < 1e-8


def test_unsupported_subtree_in_one_argument_becomes_the_table_inside_the_expression():
    pv = pybamm.ParameterValues("Chen2020")

    def diffusivity(sto, T):
        arrhenius = pybamm.exp(30000 / pybamm.constants.R * (1 / 298.15 - 1 / T))
        return 3.3e-14 * identity_arcsinh(1 + 0.5 * sto) * arrhenius

    pv["Negative particle diffusivity [m2.s-1]"] = diffusivity
    with pytest.warns(ionflux.PyBaMMConversionWarning, match=r"'Negative particle diffusivity \[m2.s-1\]' \(PyBaMM "
                      r"function diffusivity\): its node pybamm.Arcsinh .*tabulated over sto"):
        ps = ionflux.ParameterSet(pv)
    f = ps["Negative particle diffusivity [m2.s-1]"]
    assert "table(sto)" in f.expression and "T" in f.expression  # the Arrhenius factor stays exact
    x, y = np.asarray(f.x), np.asarray(f.y)
    np.testing.assert_allclose(y, 1 + 0.5 * x, rtol=1e-14)


def test_unsupported_node_in_two_arguments_is_a_precise_error():
    pv = pybamm.ParameterValues("Chen2020")

    def my_diffusivity(sto, T):
        return 3.3e-14 * pybamm.arcsinh(sto * T / 298.15)

    pv["Negative particle diffusivity [m2.s-1]"] = my_diffusivity
    with pytest.raises(ValueError) as e:
        ionflux.ParameterSet(pv)
    # (PyBaMM prints the node simplified: 'arcsinh(0.0033540164346805303 * sto * T)'.)
    assert re.fullmatch(
        re.escape("cannot convert 'Negative particle diffusivity [m2.s-1]' (PyBaMM function my_diffusivity): node "
                  "pybamm.Arcsinh 'arcsinh(") + r"[^']*sto \* T\)" + re.escape(
            "': ionflux expressions have no such operation; it cannot be tabulated either: it depends on T and sto "
            "(an ionflux table has one argument)"), str(e.value)), str(e.value)


def test_function_that_is_nowhere_finite_is_a_precise_error():
    pv = pybamm.ParameterValues("Chen2020")

    def bad_ocp(sto):
        return pybamm.arcsinh(pybamm.log(sto - 2))

    pv["Positive electrode OCP [V]"] = bad_ocp
    with pytest.raises(ValueError, match=r"^cannot convert 'Positive electrode OCP \[V\]' \(PyBaMM function "
                                         r"bad_ocp\): node pybamm.Arcsinh .*it is not finite inside sto in \[0, 1\]"):
        ionflux.ParameterSet(pv)


def test_function_that_fails_when_called_is_a_precise_error():
    pv = pybamm.ParameterValues("Chen2020")

    def broken(c_e, T):
        raise RuntimeError("no data")

    pv["Electrolyte conductivity [S.m-1]"] = broken
    with pytest.raises(ValueError, match=r"cannot convert 'Electrolyte conductivity \[S.m-1\]' \(PyBaMM function "
                                         r"broken\): calling it with PyBaMM symbols for \(c_e, T\) failed: "
                                         r"RuntimeError: no data"):
        ionflux.ParameterSet(pv)


def test_input_parameter_is_refused_with_the_ionflux_way():
    pv = pybamm.ParameterValues("Chen2020")
    pv["Negative electrode thickness [m]"] = "[input]"
    with pytest.raises(ValueError, match=r"'Negative electrode thickness \[m\]' is a pybamm.InputParameter "
                                         r"\('\[input\]'\).*ionflux.Sweep\(vary="):
        ionflux.ParameterSet(pv)


def test_missing_or_out_of_range_parameters_are_named():
    pv = pybamm.ParameterValues("Chen2020")
    pv.pop("Separator porosity")
    with pytest.raises(ValueError, match=r"^pybamm.ParameterValues: missing 1 required parameter \(ionflux's DFN "
                                         r"reads them\): 'Separator porosity'$"):
        ionflux.Simulation(pv)
    pv = pybamm.ParameterValues("Chen2020")
    pv["Separator porosity"] = 1.5
    with pytest.raises(ValueError, match=r"^pybamm.ParameterValues: 'Separator porosity' must be in \(0, 1\], got "
                                         r"1.5$"):
        ionflux.Simulation(pv)


def test_data_tuple_becomes_a_linear_table():
    pv = pybamm.ParameterValues("Chen2020")
    x = np.linspace(0, 1, 11)
    pv["Negative electrode OCP [V]"] = ("my_ocp", ([x], 0.1 + 0.5 * (1 - x)))
    ps = ionflux.ParameterSet(pv)
    f = ps["Negative electrode OCP [V]"]
    assert f.interpolator == "linear" and f.x == list(x)  # PyBaMM's Interpolant default


# ---------------------------------------------------------------------------------------
# Experiments
# ---------------------------------------------------------------------------------------

MESH = {"x_n": 8, "x_s": 6, "x_p": 8, "r_n": 6, "r_p": 6}
STRINGS = [("Discharge at 1C until 3.2 V", "Rest for 10 minutes"),
           ("Charge at 0.5 A for 20 minutes or until 4.1 V", "Hold at 4.1 V until C/20")]


def run(experiment, **kw):
    return ionflux.Simulation("Chen2020", experiment=experiment, mesh=MESH, **kw).solve()


def same(a, b):
    for name in ("Time [s]", "Voltage [V]", "Current [A]", "Step", "Cycle"):
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_pybamm_experiment_of_strings_gives_the_same_results_as_the_strings():
    ref = run(STRINGS)
    same(run(pybamm.Experiment(STRINGS)), ref)
    same(run(ionflux.Experiment(STRINGS)), ref)


def test_pybamm_step_objects_give_the_same_results_as_the_equivalent_strings():
    steps = [(pybamm.step.c_rate(1, termination="3.2 V"), pybamm.step.rest(600)),
             (pybamm.step.current(-0.5, duration=1200, termination="4.1 V"),
              pybamm.step.voltage(4.1, termination="C/20"))]
    exp = ionflux.Experiment(steps)
    assert exp.cycles == [("Discharge at 1C until 3.2 V", "Rest for 600 seconds"),
                          ("Charge at 0.5 A for 1200 seconds or until 4.1 V", "Hold at 4.1 V until 0.05C")]
    same(run(pybamm.Experiment(steps)), run(STRINGS))


def test_experiment_period_temperature_and_time_termination():
    e = pybamm.Experiment(STRINGS, period="30 seconds", temperature=308.15, termination="50 minutes")
    sim = ionflux.Simulation("Chen2020", experiment=e, mesh=MESH)
    assert sim.parameters["Ambient temperature [K]"] == 308.15
    assert sim.t_end == 3000.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the experiment's own time limit: not a truncated run
        sol = sim.solve()
    assert sol.termination == "experiment time limit reached"  # PyBaMM's words
    t = sol["Time [s]"]
    assert t[-1] == 3000.0 and np.allclose(np.diff(t[:-1]), 30.0)  # the period: outputs every 30 s
    assert sim.parameters["Initial temperature [K]"] == 308.15  # as PyBaMM: the cell starts at it
    # The same as saying it the ionflux way.
    ps = ionflux.ParameterSet("Chen2020")
    ps["Ambient temperature [K]"] = 308.15
    ps["Initial temperature [K]"] = 308.15
    with pytest.warns(ionflux.SolverWarning, match="end time t_end = 3000 s"):
        same(sol, ionflux.Simulation(ps, experiment=STRINGS, mesh=MESH, period=30, t_end=3000).solve())


def test_an_experiment_temperature_starts_a_lumped_cell_there_as_in_pybamm():
    # tests/fixtures/pybamm_exp_thermal_cold.json (generate_pybamm_experiment_fixtures.py
    # --only thermal_cold): PyBaMM 26.10.1.1, Marquis2019 lumped, an experiment at 273.15 K.
    # The converter had set only the ambient temperature: the cell started at 298.15 K
    # (13-23 mV RMS, found by a differential test).
    fx = json.loads((pathlib.Path(__file__).parents[1] / "fixtures" / "pybamm_exp_thermal_cold.json").read_text())
    ts = fx["time_series"]
    exp = pybamm.Experiment(fx["experiment"]["operating_conditions"], period="10 seconds", temperature=273.15)
    sol = ionflux.Simulation("Marquis2019", thermal="lumped", experiment=exp).solve()
    t = np.asarray(ts["t [s]"])
    assert sol["Volume-averaged cell temperature [K]"][0] == 273.15
    ours = np.interp(t, sol["Time [s]"], sol["Voltage [V]"])
    keep = np.abs(t - 600.0) > 1.0  # not at the step change (both sides' values there)
    rms = float(np.sqrt(np.mean((ours[keep] - np.asarray(ts["Voltage [V]"])[keep]) ** 2)))
    assert rms < 1e-3, rms
    temp = np.interp(t, sol["Time [s]"], sol["Volume-averaged cell temperature [K]"])
    assert np.max(np.abs(temp - np.asarray(ts["Volume-averaged cell temperature [K]"]))) < 0.01


def test_step_objects_run_their_own_fields_and_a_start_time_is_refused():
    # a description is the step's text only where PyBaMM reads it as the same step: a
    # label, or a string that means another step, no longer replaces the step (a 2C step
    # labelled "Discharge at 1C ..." ran at 1C; a free label failed to parse)
    for label in ("Discharge at 1C for 10 minutes", "fast discharge"):
        exp = ionflux.Experiment([pybamm.step.c_rate(2, duration=600, description=label)])
        assert exp.cycles == [("Discharge at 2C for 600 seconds",)], label
    text = "Discharge at 1C for 10 minutes or until 2.5 V"
    assert ionflux.Experiment([pybamm.step.string(text)]).cycles == [(text,)]
    from datetime import datetime
    steps = [pybamm.step.string("Discharge at 1C for 10 minutes", start_time=datetime(2024, 1, 1, 0, 0)),
             pybamm.step.string("Charge at 1C for 5 minutes", start_time=datetime(2024, 1, 1, 0, 30))]
    with pytest.raises(ValueError, match=r"start_time .* is not supported by ionflux .*'Rest for 20 minutes'"):
        ionflux.Simulation("Chen2020", experiment=pybamm.Experiment(steps))


def test_experiment_capacity_and_voltage_terminations_are_taken():
    # PyBaMM's read_termination: {"capacity": (80.0, "%")}, {"capacity": (4.0, "Ah")},
    # {"voltage": (2.5, "V")}; ionflux's solver checks them at each cycle's end
    # (tests/python/test_degradation_summary.py runs them against PyBaMM's rule)
    for term in ("80% capacity", "4 Ah capacity", "2.5 V"):
        sim = ionflux.Simulation("Chen2020", experiment=pybamm.Experiment(STRINGS, termination=term), mesh=MESH)
        assert sim._termination == [term]
        assert ionflux.Experiment(STRINGS, termination=term).termination == [term]
    with pytest.raises(ValueError, match=r"experiment termination \"80 capacity\""):
        ionflux.Experiment(STRINGS, termination="80 capacity")


def test_ionflux_experiment_is_validated_at_construction():
    with pytest.raises(ValueError, match=r"Dischrage at 1C.*unknown instruction 'Dischrage'"):
        ionflux.Experiment(["Dischrage at 1C until 2.5 V"])
    with pytest.raises(ValueError, match=r"Hold is a voltage hold"):
        ionflux.Experiment(["Hold at 4.2 A for 1 hour"])
    with pytest.raises(ValueError, match=r"Resistance step has no ionflux equivalent"):
        ionflux.Experiment([pybamm.step.resistance(1.0, duration=60)])
    exp = ionflux.Experiment([("Discharge at 1C until 2.5 V", "Rest for 1 hour")] * 2, period="10 s")
    assert exp.period == 10.0 and exp.steps == ["Discharge at 1C until 2.5 V", "Rest for 1 hour"] * 2


def test_sweep_takes_a_pybamm_experiment():
    sweep = ionflux.Sweep("Chen2020", vary={"Negative electrode porosity": [0.25, 0.3]},
                          experiment=pybamm.Experiment(STRINGS, period=60))
    cfg = sweep.config()
    assert cfg["experiment"] == [list(c) for c in STRINGS] and cfg["period"] == 60.0


# ---------------------------------------------------------------------------------------
# PyBaMM's spellings
# ---------------------------------------------------------------------------------------

def test_parameter_values_keyword_and_a_dfn_model_as_first_argument():
    pv = pybamm.ParameterValues("Chen2020")
    a = ionflux.Simulation(parameter_values=pv, c_rate=1, mesh=MESH).solve()
    b = ionflux.Simulation(pybamm.lithium_ion.DFN(), parameter_values=pv, c_rate=1, mesh=MESH).solve()
    c = ionflux.Simulation(pv, c_rate=1, mesh=MESH).solve()
    np.testing.assert_array_equal(a["Voltage [V]"], c["Voltage [V]"])
    np.testing.assert_array_equal(b["Voltage [V]"], c["Voltage [V]"])
    assert ionflux.Simulation(parameter_values="Marquis2019").parameters.name == "Marquis2019"
    # PyBaMM's DFN default parameter values are Marquis2019's.
    assert ionflux.Simulation(pybamm.lithium_ion.DFN()).parameters.name == "pybamm.ParameterValues (Marquis2019)"
    lumped = ionflux.Simulation(pybamm.lithium_ion.DFN(options={"thermal": "lumped"}), parameter_values=pv)
    assert lumped.thermal == "lumped"
    with pytest.raises(ValueError, match=r"not both"):
        ionflux.Simulation("Marquis2019", parameter_values=pv)
    # the degradation options come with the model (docs/degradation_options.md); others are refused
    sei = ionflux.Simulation(pybamm.lithium_ion.DFN(options={"SEI": "reaction limited"}), parameter_values=pv)
    assert sei.options["SEI"] == "('reaction limited', 'none')"
    with pytest.raises(ValueError, match=r"default options .*'particle': 'uniform profile'"):
        ionflux.Simulation(pybamm.lithium_ion.DFN(options={"particle": "uniform profile"}), parameter_values=pv)
    with pytest.raises(ValueError, match=r"not a pybamm.models.full_battery_models.lithium_ion.spm.SPM"):
        ionflux.Simulation(pybamm.lithium_ion.SPM(), parameter_values=pv)


def test_a_current_that_varies_in_time_is_refused_with_the_drive_cycle_way():
    # the message had said "uniform in x and r" of a function of time (a differential test)
    pv = pybamm.ParameterValues("Chen2020")
    pv["Current function [A]"] = lambda t: 5 + 0.001 * t
    with pytest.raises(ValueError, match=r"Current function \[A\].*'Discharge with current from FILE.csv'"):
        ionflux.Simulation(parameter_values=pv)
