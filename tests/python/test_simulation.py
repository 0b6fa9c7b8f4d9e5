"""ionflux.Simulation and ionflux.Solution, and agreement with `ionflux simulate`."""
import csv
import os
import subprocess

import matplotlib.figure
import numpy as np
import pandas as pd
import pytest
from conftest import COARSE

import ionflux
from ionflux import ParameterSet, Simulation, Solution

FIELDS = [
    "Electrolyte concentration [mol.m-3]",
    "Electrolyte potential [V]",
    "Negative electrode potential [V]",
    "Positive electrode potential [V]",
    "Negative particle surface concentration [mol.m-3]",
    "Positive particle surface concentration [mol.m-3]",
    "Negative electrode interfacial current density [A.m-2]",
    "Positive electrode interfacial current density [A.m-2]",
]
SERIES = ["Time [s]", "Voltage [V]", "Current [A]", "Discharge capacity [A.h]"]


@pytest.fixture(scope="module")
def sol():
    return Simulation("Chen2020", c_rate=1, mesh=COARSE).solve()


# -- construction ------------------------------------------------------------------------
def test_defaults():
    sim = Simulation()
    assert sim.parameters.name == "Chen2020"
    assert sim.current == 5.0  # the set's "Current function [A]"
    assert sim.c_rate == 1.0
    assert sim.mesh == {"x_n": 20, "x_s": 20, "x_p": 20, "r_n": 20, "r_p": 20}
    assert sim.solver == {"rtol": 1e-6, "atol": 1e-8}
    assert sim.initial_soc is None
    # the default end from the cell's theoretical capacity (issue 10 item 2): 1.2 x the time
    # in which 5 A moves the lithium available on discharge, min(x0 Q_n, (1 - y0) Q_p),
    # Q = eps_s c_max L A F / 3600, from Chen2020's values
    p = sim.parameters
    area_f = p["Electrode height [m]"] * p["Electrode width [m]"] * 96485.33212331001 / 3600
    q_n = (p["Negative electrode active material volume fraction"] * p["Maximum concentration in negative electrode "
           "[mol.m-3]"] * p["Negative electrode thickness [m]"] * area_f)
    q_p = (p["Positive electrode active material volume fraction"] * p["Maximum concentration in positive electrode "
           "[mol.m-3]"] * p["Positive electrode thickness [m]"] * area_f)
    x0 = p["Initial concentration in negative electrode [mol.m-3]"] / p["Maximum concentration in negative electrode [mol.m-3]"]
    y0 = p["Initial concentration in positive electrode [mol.m-3]"] / p["Maximum concentration in positive electrode [mol.m-3]"]
    assert sim.t_end == pytest.approx(1.2 * 3600 * min(x0 * q_n, (1 - y0) * q_p) / 5.0, rel=1e-12)
    assert sim.solution is None
    assert "Chen2020" in repr(sim) and "5 A" in repr(sim)


def test_c_rate_and_current():
    assert Simulation(c_rate=0.5).current == 2.5
    assert Simulation(current=2.0).current == 2.0
    assert Simulation(current=2.0).c_rate == 0.4
    assert Simulation("Marquis2019", c_rate=1).current == ParameterSet("Marquis2019")["Nominal cell capacity [A.h]"]


def test_c_rate_and_current_together_is_an_error():
    with pytest.raises(ValueError, match="c_rate or current, not both"):
        Simulation(c_rate=1, current=5)


@pytest.mark.parametrize("kwargs, match", [
    (dict(c_rate=0), "non-zero"),
    (dict(current=0.0), "non-zero"),
    (dict(c_rate=float("inf")), "finite"),
    (dict(initial_soc=1.5), r"initial_soc must be in \[0, 1\]"),
    (dict(initial_soc=-0.1), r"initial_soc must be in \[0, 1\]"),
    (dict(mesh={"x_q": 5}), "unknown mesh key 'x_q'"),
    (dict(mesh={"xn": 5}), "did you mean 'x_n'"),
    (dict(mesh={"x_n": 1}), "from 2 to 1000"),
    (dict(mesh={"x_n": 1001}), "from 2 to 1000"),
    (dict(mesh={"x_n": 10.5}), "integer"),
    (dict(solver={"rtol": 2}), r"rtol' must be in \(0, 1\)"),
    (dict(solver={"atol": 0}), "atol' must be positive"),
    (dict(solver={"rtl": 1e-6}), "did you mean 'rtol'"),
    (dict(period=0), "period must be positive"),
    (dict(t_end=-1), "t_end must be positive"),
    (dict(t_eval=[0, 10, 5]), "strictly increasing"),
    (dict(t_eval=[-1, 10]), "non-negative"),
    (dict(t_eval=[]), "at least one"),
    (dict(initial_soc="full"), r"expected a fraction in \[0, 1\] or a voltage"),
])
def test_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Simulation(**kwargs)


@pytest.mark.parametrize("kwargs", [dict(c_rate="1"), dict(mesh=[8]), dict(solver=1e-6), dict(parameters=3),
                                    dict(initial_soc=[0.5])])
def test_wrong_types(kwargs):
    with pytest.raises(TypeError):
        Simulation(**kwargs)


def test_unknown_set():
    with pytest.raises(ValueError, match="unknown parameter set 'Chen2021'"):
        Simulation("Chen2021")


def test_parameters_are_copied():
    ps = ParameterSet()
    sim = Simulation(ps, mesh=COARSE)
    ps["Negative electrode porosity"] = 0.3
    assert sim.parameters["Negative electrode porosity"] == 0.25
    # ... but the simulation's own set may be changed before solving
    sim.parameters["Negative electrode active material volume fraction"] = 0.9
    with pytest.raises(ValueError, match="must not exceed 1"):
        sim.solve()


def test_cross_parameter_errors_at_solve_time():
    ps = ParameterSet()
    ps["Negative electrode porosity"] = 0.3  # 0.3 + 0.75 > 1: allowed to set, fails at solve
    sim = Simulation(ps, c_rate=1, mesh=COARSE)
    with pytest.raises(ValueError, match="porosity"):
        sim.solve()


def test_zero_current_function():
    ps = ParameterSet()
    ps["Current function [A]"] = 0.0
    sim = Simulation(ps)
    with pytest.raises(ValueError, match="give a non-zero c_rate or current"):
        sim.solve()
    assert Simulation(ps, c_rate=1, mesh=COARSE).solve().ok


# -- the solution ------------------------------------------------------------------------
def test_solution_series(sol):
    assert isinstance(sol, Solution)
    n = sol.t.size
    assert n > 10
    for name in SERIES:
        a = sol[name]
        assert isinstance(a, np.ndarray) and a.shape == (n,) and a.dtype == float
    np.testing.assert_array_equal(sol.t, sol["Time [s]"])
    assert sol.t[0] == 0.0 and np.all(np.diff(sol.t) > 0)
    assert np.all(sol["Current [A]"] == 5.0)
    np.testing.assert_allclose(sol["Discharge capacity [A.h]"], 5.0 * sol.t / 3600.0, rtol=1e-12)
    np.testing.assert_allclose(sol["Time [h]"], sol.t / 3600)
    np.testing.assert_allclose(sol["Power [W]"], sol["Voltage [V]"] * 5.0)
    assert sol["Voltage [V]"][-1] == pytest.approx(2.5, abs=1e-6)
    with pytest.raises(ValueError):
        sol["Voltage [V]"][0] = 0.0  # read-only


def test_solution_fields(sol):
    n = sol.t.size
    nx = COARSE["x_n"] + COARSE["x_s"] + COARSE["x_p"]
    assert sol["x [m]"].shape == (nx,)
    assert sol["x_n [m]"].shape == (COARSE["x_n"],)
    assert sol["x_p [m]"].shape == (COARSE["x_p"],)
    np.testing.assert_array_equal(sol["x [m]"][:COARSE["x_n"]], sol["x_n [m]"])
    np.testing.assert_array_equal(sol["x [m]"][-COARSE["x_p"]:], sol["x_p [m]"])
    assert np.all(np.diff(sol["x [m]"]) > 0)
    for name in FIELDS:
        cols = nx if name.startswith("Electrolyte") else COARSE["x_n"] if name.startswith("Negative") else COARSE["x_p"]
        assert sol[name].shape == (n, cols), name
        assert np.all(np.isfinite(sol[name])), name
    ce = sol["Electrolyte concentration [mol.m-3]"]
    np.testing.assert_allclose(ce[0], 1000.0)
    csn = sol["Negative particle surface concentration [mol.m-3]"]
    assert np.all((csn > 0) & (csn < 33133))
    # the applied current is carried by the interfacial currents: integral a*j dx = I/A
    ps = sol.parameters
    area = ps["Electrode height [m]"] * ps["Electrode width [m]"]
    eps_n = ps["Negative electrode active material volume fraction"]
    a_n = 3 * eps_n / ps["Negative particle radius [m]"]
    dx = ps["Negative electrode thickness [m]"] / COARSE["x_n"]
    total = a_n * sol["Negative electrode interfacial current density [A.m-2]"][-1].sum() * dx
    assert total == pytest.approx(5.0 / area, rel=1e-6)


def test_variables_listing(sol):
    v = sol.variables
    for name in SERIES + FIELDS + ["x [m]", "x_n [m]", "x_p [m]"]:
        assert name in v and name in sol
    assert list(sol) == v == sol.keys()
    assert len(sol) == len(v)


def test_unknown_variable(sol):
    with pytest.raises(KeyError, match="did you mean 'Voltage \\[V\\]'") as e:
        sol["Voltage"]
    assert isinstance(e.value, ionflux.UnknownVariableError)
    with pytest.raises(KeyError, match="did you mean 'Electrolyte concentration"):
        sol["electrolyte concentration"]
    with pytest.raises(KeyError):
        sol[3]


def test_status_and_summary(sol):
    assert sol.status == "cutoff_lower"
    assert sol.ok
    assert sol.message == "reached the lower voltage cut-off"
    assert sol.termination == "event: Minimum voltage [V]"
    s = sol.summary
    for key in ["End reason", "End time [s]", "Discharge capacity [A.h]", "Energy [W.h]", "Mean voltage [V]",
                "Wall time [s]", "Steps", "Newton iterations", "Jacobian setups", "Residual evaluations",
                "Error test failures"]:
        assert key in s
    assert s["End time [s]"] == sol.t[-1]
    assert s["Discharge capacity [A.h]"] == pytest.approx(sol["Discharge capacity [A.h]"][-1], rel=1e-12)
    assert s["Mean voltage [V]"] == pytest.approx(s["Energy [W.h]"] / s["Discharge capacity [A.h]"])
    assert 2.5 < s["Mean voltage [V]"] < 4.2
    assert s["Steps"] > 0 and s["Wall time [s]"] >= 0 and sol.solve_time == s["Wall time [s]"]
    s["Steps"] = -1  # a copy
    assert sol.summary["Steps"] > 0
    assert "event: Minimum voltage [V]" in repr(sol)


def test_final_time_and_charge():
    with pytest.warns(ionflux.SolverWarning, match="end time"):
        s = Simulation(c_rate=1, t_end=600, mesh=COARSE).solve()
    # stopped by t_end before the cut-off: truncated, PyBaMM's "final time"
    assert s.status == "end_time_reached" and s.termination == "final time" and s.t[-1] == 600.0
    c = Simulation(c_rate=-1, initial_soc=0.05, mesh=COARSE).solve()
    assert c.termination == "event: Maximum voltage [V]"
    assert np.all(c["Current [A]"] == -5.0)


def test_failure_gives_solution_and_warning():
    sim = Simulation(c_rate=1, initial_soc=0.0, mesh=COARSE)
    with pytest.warns(ionflux.SolverWarning, match="cut-off already crossed"):
        s = sim.solve()
    assert s.status == "cutoff_at_start" and not s.ok
    assert s.termination.startswith("failure: ")
    # a failed cell's summaries are NaN, not 0 A.h / 0 W.h / the voltage at t = 0 (issue 10 item 3)
    for name in ("Discharge capacity [A.h]", "Energy [W.h]", "Mean voltage [V]"):
        assert np.isnan(s.summary[name]), name
    assert s.t.size == 1
    assert sim.solution is s


def test_period_t_eval_and_soc():
    s = Simulation(c_rate=1, period=60, mesh=COARSE).solve()
    np.testing.assert_array_equal(s.t[:-1], 60.0 * np.arange(s.t.size - 1))
    s = Simulation(c_rate=1, t_eval=[0, 100, 1000], mesh=COARSE).solve()
    np.testing.assert_array_equal(s.t, [0, 100, 1000])
    assert s.termination == "final time"
    sim = Simulation(c_rate=1, mesh=COARSE)
    s = sim.solve(t_eval=np.array([0.0, 50.0]), initial_soc=0.5)
    assert s.initial_soc == 0.5
    full = sim.solve()
    assert s["Voltage [V]"][0] < full["Voltage [V]"][0]
    with pytest.raises(ValueError, match="initial_soc"):
        sim.solve(initial_soc=2)


def test_to_dataframe(sol):
    df = sol.to_dataframe()
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == SERIES
    assert len(df) == sol.t.size
    np.testing.assert_array_equal(df["Voltage [V]"].to_numpy(), sol["Voltage [V]"])


def test_plot(sol):
    fig = sol.plot()
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes) == 9
    assert len(fig.axes[2].lines) == 5  # five profile times by default
    fig = sol.plot(times=[0, 1000, 1000.1])  # snapped to outputs, duplicates dropped
    assert len(fig.axes[2].lines) == 2


def test_simulation_plot_solves_first():
    sim = Simulation(c_rate=2, mesh=COARSE)
    fig = sim.plot(times=[0])
    assert sim.solution is not None and isinstance(fig, matplotlib.figure.Figure)


# -- agreement with the command-line program ----------------------------------------------
def _read_csv(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    assert rows[0] == SERIES
    return np.array(rows[1:], dtype=float)


@pytest.mark.parametrize("args, kwargs, sets", [
    ([], {}, {}),
    (["--c-rate", "2", "--mesh", "x_n=8,x_s=6,x_p=8,r_n=6,r_p=6", "--period", "30"],
     dict(c_rate=2, mesh=COARSE, period=30), {}),
    (["--current", "3", "--soc", "0.8", "--rtol", "1e-8", "--atol", "1e-9", "--t-end", "2000",
      "--set", "Negative particle radius [m]=4e-6", "--set", "Electrolyte diffusivity [m2.s-1]=3e-10"],
     dict(current=3, initial_soc=0.8, solver={"rtol": 1e-8, "atol": 1e-9}, t_end=2000),
     {"Negative particle radius [m]": 4e-6, "Electrolyte diffusivity [m2.s-1]": 3e-10}),
    (["--parameters", "Marquis2019", "--c-rate", "1", "--mesh", "x_n=10,r_p=7"],
     dict(parameters="Marquis2019", c_rate=1, mesh={"x_n": 10, "r_p": 7}), {}),
])
def test_simulation_equals_cli(cli, tmp_path, args, kwargs, sets):
    out = tmp_path / "cli.csv"
    r = subprocess.run([cli, "simulate", *args, "--output", str(out), "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    ref = _read_csv(out)
    ps = ParameterSet(kwargs.pop("parameters", "Chen2020"))
    ps.update(sets)
    s = Simulation(ps, **kwargs).solve()
    mine = np.column_stack([s[name] for name in SERIES])
    assert mine.shape == ref.shape
    np.testing.assert_allclose(mine, ref, rtol=1e-12, atol=1e-12)


LONG_AGEING = ("Simulation('OKane2022', options={'SEI': 'solvent-diffusion limited', "
               "'lithium plating': 'partially reversible'}, experiment=[('Discharge at 1C until 2.5 V', "
               "'Charge at 0.3C until 4.2 V', 'Hold at 4.2 V until C/20')], cycles=200, period=3600)")


def test_ctrl_c_stops_a_solve_at_once_and_keeps_its_outputs():
    # a 200-cycle ageing solve takes about 30 s here: Ctrl-C (a notebook's "interrupt
    # kernel") had waited for the whole solve and then thrown its outputs away (a new-user
    # audit). It now stops within a few solver steps, and KeyboardInterrupt carries them.
    from conftest import ctrl_c_python
    code = ("from ionflux import Simulation\n"
            f"sim = {LONG_AGEING}\n"
            "print('start', flush=True)\n"
            "try:\n"
            "    sim.solve()\n"
            "    print('finished', flush=True)\n"
            "except KeyboardInterrupt as e:\n"
            "    sol = e.partial_result\n"
            "    print('interrupted', sol.status, sol['Time [s]'][-1], len(sol['Time [s]']),\n"
            "          sim.solution is sol, flush=True)\n")
    out, err, waited = ctrl_c_python(code, 2.0)
    assert "finished" not in out, "the solve finished before the signal: the test tested nothing"
    words = out.split()
    assert words[:2] == ["interrupted", "interrupted"], (out, err)
    assert float(words[2]) > 0 and int(words[3]) > 10 and words[4] == "True", out
    assert waited < 2.0, f"Ctrl-C took {waited:.1f} s to stop the solve"


def test_ctrl_c_stops_ionflux_simulate_and_keeps_the_csv(tmp_path):
    import signal
    import subprocess
    import time
    from conftest import find_cli
    cli = find_cli()
    if cli is None:
        pytest.skip("the ionflux program is not built (set IONFLUX_CLI or build build/ionflux)")
    out = tmp_path / "long.csv"
    p = subprocess.Popen([cli, "simulate", "--parameters", "OKane2022", "--option", "SEI=solvent-diffusion limited",
                          "--experiment", "Discharge at 1C until 2.5 V", "--experiment", "Charge at 0.3C until 4.2 V",
                          "--experiment", "Hold at 4.2 V until C/20", "--cycles", "200", "--period", "60",
                          "--output", str(out), "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)
    assert p.poll() is None, "the run ended before the signal"
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    assert time.monotonic() - t0 < 2.0
    assert p.returncode == 130, err
    assert "interrupted (SIGINT) at t = " in err and f"{out} holds the outputs up to there" in err, err
    rows = out.read_text().splitlines()
    assert rows[0].startswith("Time [s],Voltage [V]") and len(rows) > 10


def test_misdirected_calls_say_where_to_go(tmp_path):
    # PyBaMM habits a new-user audit tried: plot(variable names), a summary variable as a
    # series, a parameter file that is not there
    sol = Simulation("Chen2020", mesh=COARSE).solve()
    with pytest.raises(TypeError, match=r"takes output times \[s\] for the profiles, not variable names"):
        sol.plot(["Voltage [V]", "Electrolyte concentration [mol.m-3]"])
    with pytest.raises(KeyError, match=r"is a summary variable .*sol.summary_variables"):
        sol["X-averaged negative SEI thickness [m]"]
    with pytest.raises(KeyError, match=r"unknown variable .*sol.summary_variables"):
        sol["Voltage [mV]"]
    with pytest.raises(FileNotFoundError, match="no such parameter file"):
        ParameterSet.from_file(tmp_path / "nonexistent.json")


def test_an_initial_voltage_is_pybamms_initial_soc_of_that_ocv(cli, tmp_path):
    # PyBaMM's initial_soc="3.69 V" (tests/fixtures/pybamm_initial_soc.json, made by
    # generate_pybamm_fixtures.py --only initial_soc: set_initial_state at 30 % and 70 % of
    # the OCV window); Python and the CLI (--soc "3.69 V") had refused it
    import json
    import pathlib
    fx = json.loads((pathlib.Path(__file__).parents[1] / "fixtures" / "pybamm_initial_soc.json").read_text())
    entry = fx["sets"]["Chen2020"]
    for v, cn in zip(entry["voltage_V"], entry["c_n_init_at_voltage"]):
        sim = Simulation("Chen2020", initial_soc=f"{v!r} V", mesh=COARSE)
        sol = sim.solve()
        c0 = sol["Average negative particle concentration [mol.m-3]"][0]
        assert abs(c0 / cn - 1.0) < 1e-9, (v, c0, cn)
        assert sim.solve(initial_soc=f"{v!r}V")["Voltage [V]"][0] == sol["Voltage [V]"][0]
    with pytest.raises(ValueError, match=r"outside the set's open-circuit voltages at 0% and 100% SOC, \[2.5, 4.2\] V"):
        Simulation("Chen2020", initial_soc="4.5 V")
    with pytest.raises(ValueError, match="expected a number of volts"):
        Simulation("Chen2020", initial_soc="high V")
    out = tmp_path / "v.csv"
    r = subprocess.run([cli, "simulate", "--soc", "3.69 V", "--mesh", "x_n=10,x_s=10,x_p=10,r_n=10,r_p=10",
                        "--output", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "(open-circuit voltage 3.69 V)" in r.stdout, r.stdout
