"""Experiments (protocols) and the lumped thermal model from Python: Simulation/Solution,
Sweep/SweepResult, agreement with the command-line program, cycle grouping, errors."""
import csv
import json
import math
import os
import re
import subprocess
import warnings

import h5py
import matplotlib.figure
import numpy as np
import pandas as pd
import pytest
from conftest import COARSE, REPO

import ionflux
from ionflux import Simulation, Sweep

MESH_ARG = ",".join(f"{k}={v}" for k, v in COARSE.items())

CCCV = ("Charge at 1C until 4.2 V", "Hold at 4.2 V until C/20", "Discharge at 2C for 5 minutes", "Rest for 2 minutes")

A = "Discharge at 1C for 2 minutes"
B = "Rest for 1 minute"
C = "Charge at C/2 for 1 minute"


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], np.array(rows[1:], dtype=float)


# -- one cell: agreement with `ionflux simulate --experiment` ------------------------------
def test_cccv_experiment_equals_cli(cli, tmp_path):
    out = tmp_path / "cli.csv"
    args = [cli, "simulate", "--soc", "0.3", "--mesh", MESH_ARG, "--period", "60", "--thermal", "lumped",
            "--cycles", "2", "--output", str(out)]
    for step in CCCV:
        args += ["--experiment", step]
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    header, data = read_csv(out)
    assert header == ["Time [s]", "Voltage [V]", "Current [A]", "Discharge capacity [A.h]", "Step", "Cycle",
                      "Temperature [K]"]

    sim = Simulation("Chen2020", initial_soc=0.3, mesh=COARSE, period=60, thermal="lumped", experiment=[CCCV],
                     cycles=2)
    sol = sim.solve()
    df = sol.to_dataframe()
    assert list(df.columns) == header
    assert data.shape == df.shape
    for k, name in enumerate(header):
        np.testing.assert_allclose(df[name].to_numpy(dtype=float), data[:, k], rtol=1e-12, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(sol[name], data[:, k], rtol=1e-12, atol=1e-12, err_msg=name)
    assert sol["Step"].dtype.kind == "i" and sol["Cycle"].dtype.kind == "i"
    assert sol["Temperature [K]"][-1] > sol["Temperature [K]"][0] + 1.0  # the cell heats up

    # The step records equal the CLI's per-step lines (printed to 6 digits).
    lines = re.findall(r"step (\d+) \(cycle (\d+)\) (.+): (\S+) s, (\S+) A\.h, (\S+) W\.h net(?: \(.*?\))?, ended by (.+)",
                       r.stdout)
    steps = sol.step_summary
    assert len(lines) == len(steps) == 2 * len(CCCV)
    for (step, cycle, text, dur, cap, energy, ended), (index, row) in zip(lines, steps.iterrows()):
        assert (int(step), int(cycle), text, ended.strip()) == (index, row["Cycle"], row["Text"], row["Ended by"])
        for value, name in ((dur, "Duration [s]"), (cap, "Capacity [A.h]"), (energy, "Energy [W.h]")):
            assert float(value) == pytest.approx(row[name], rel=1e-5, abs=1e-9), name
    assert list(steps["Text"]) == list(CCCV) * 2
    assert list(steps["Cycle"]) == [0] * 4 + [1] * 4

    # Records and time series agree: steps are contiguous, their capacities add up to the
    # run's, and each output's cycle is its step's cycle.
    np.testing.assert_allclose(steps["End time [s]"].to_numpy()[:-1], steps["Start time [s]"].to_numpy()[1:])
    assert steps["End time [s]"].iloc[-1] == sol.t[-1]
    assert steps["Capacity [A.h]"].sum() == pytest.approx(sol["Discharge capacity [A.h]"][-1], rel=1e-9)
    np.testing.assert_array_equal(sol["Cycle"], steps["Cycle"].to_numpy()[sol["Step"]])
    cyc = sol.cycle_summary
    assert list(cyc.index) == [0, 1] and cyc.index.name == "Cycle"
    for k in (0, 1):
        s = steps[steps["Cycle"] == k]
        q = s["Capacity [A.h]"]
        assert cyc.loc[k, "Discharge capacity [A.h]"] == pytest.approx(q[q > 0].sum(), rel=1e-12)
        assert cyc.loc[k, "Charge capacity [A.h]"] == pytest.approx(-q[q < 0].sum(), rel=1e-12)
        assert cyc.loc[k, "Net capacity [A.h]"] == pytest.approx(q.sum(), rel=1e-12)
        assert cyc.loc[k, "Energy [W.h]"] == pytest.approx(s["Energy [W.h]"].sum(), rel=1e-12)
        assert cyc.loc[k, "Duration [s]"] == pytest.approx(s["Duration [s]"].sum(), rel=1e-12)
    assert cyc.loc[0, "Charge capacity [A.h]"] > 0 and cyc.loc[1, "Discharge capacity [A.h]"] > 0


def test_simulation_with_experiment_properties():
    sim = Simulation(mesh=COARSE, experiment=[(A, B)], cycles=3)
    assert sim.experiment == [(A, B)] and sim.cycles == 3 and sim.thermal == "isothermal"
    assert sim.t_end is None  # the experiment's own end
    assert Simulation(mesh=COARSE, experiment=A, t_end=100).t_end == 100
    with pytest.raises(ValueError, match="steps set the current"):
        sim.current
    assert "experiment, 2 steps in 1 cycle x 3" in repr(sim)
    sol = sim.solve()
    assert math.isnan(sol.current)
    # three 2-minute 1C (5 A) discharges: 0.5 A.h discharged, none charged; the mean voltage
    # is the mean while discharging (issue 10 item 7: it was NaN after an experiment)
    summary = sol.summary
    assert summary["Discharge capacity [A.h]"] == pytest.approx(3 * 5.0 * 120 / 3600, rel=1e-6)
    assert summary["Charge capacity [A.h]"] == 0.0 and summary["Charge energy [W.h]"] == 0.0
    assert summary["Mean voltage [V]"] == pytest.approx(summary["Discharge energy [W.h]"] /
                                                        summary["Discharge capacity [A.h]"], rel=1e-14)
    assert sol.termination == "protocol completed" and sol.message == "finished: the protocol completed"
    assert sol.experiment == [(A, B)] * 3
    assert "experiment, 6 steps in 3 cycles" in repr(sol)
    assert sol.t[-1] == pytest.approx(3 * 180.0)
    # a constant-current run is one step in one cycle, with the old columns
    cc = Simulation(c_rate=1, mesh=COARSE).solve()
    assert cc.experiment is None and list(cc.step_summary.index) == [0] and list(cc.cycle_summary.index) == [0]
    assert cc.step_summary["Ended by"].iloc[0] == "cut-off" and cc.step_summary["Text"].iloc[0] == ""
    assert not cc["Step"].any() and not cc["Cycle"].any()
    assert np.all(cc["Temperature [K]"] == cc.parameters["Ambient temperature [K]"])
    assert list(cc.to_dataframe().columns) == ["Time [s]", "Voltage [V]", "Current [A]", "Discharge capacity [A.h]"]
    assert cc.cycle_summary.loc[0, "Discharge capacity [A.h]"] == pytest.approx(cc.summary["Discharge capacity [A.h]"])


# -- PyBaMM's cycle idioms ----------------------------------------------------------------
@pytest.mark.parametrize("experiment, cycles, expected", [
    (A, 1, [0]),                            # one string: one one-step cycle
    ([A, B], 1, [0, 1]),                    # each bare string is a cycle of its own (PyBaMM)
    ([(A, B)], 1, [0, 0]),                  # a tuple is one cycle
    ([(A, B)] * 2, 1, [0, 0, 1, 1]),        # PyBaMM's [(...)] * N idiom
    ([(A, B), C], 1, [0, 0, 1]),
    ([[A, B], (C,)], 1, [0, 0, 1]),         # a list inside the list is a cycle too
    ([A, B], 2, [0, 1, 2, 3]),              # cycles repeats the whole experiment
    ([(A, B)], 2, [0, 0, 1, 1]),
    ([(A, B), C], 2, [0, 0, 1, 2, 2, 3]),
])
def test_cycle_idioms(experiment, cycles, expected):
    sol = Simulation(mesh=COARSE, period=30, initial_soc=0.5, experiment=experiment, cycles=cycles).solve()
    assert sol.status == "finished"
    steps = sol.step_summary
    assert list(steps.index) == list(range(len(expected)))
    assert list(steps["Cycle"]) == expected
    assert list(sol.cycle_summary.index) == sorted(set(expected))
    np.testing.assert_array_equal(sol["Cycle"], np.asarray(expected)[sol["Step"]])
    assert [s for c in sol.experiment for s in c] == list(steps["Text"])


def test_repeat_idiom_equals_cycles():
    a = Simulation(mesh=COARSE, period=30, initial_soc=0.5, experiment=[(A, B, C)] * 3).solve()
    b = Simulation(mesh=COARSE, period=30, initial_soc=0.5, experiment=[(A, B, C)], cycles=3).solve()
    assert a.status == "finished" and len(a.step_summary) == 9
    for name in ["Time [s]", "Voltage [V]", "Current [A]", "Step", "Cycle", "Temperature [K]"]:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    pd.testing.assert_frame_equal(a.step_summary, b.step_summary)
    pd.testing.assert_frame_equal(a.cycle_summary, b.cycle_summary)


# -- the lumped thermal model -------------------------------------------------------------
def test_lumped_thermal_marquis2019_2c_matches_pybamm():
    # PyBaMM 26.10: DFN(options={"thermal": "lumped"}), Marquis2019, Experiment(["Discharge at
    # 2C until 3.105 V"], period="5 seconds"): the volume-averaged cell temperature at the end
    # is 298.905 K (tests/fixtures/pybamm_exp_thermal.json, made by
    # tests/fixtures/generate_pybamm_experiment_fixtures.py).
    fixture = json.loads((REPO / "tests/fixtures/pybamm_exp_thermal.json").read_text())
    pybamm_end = fixture["time_series"]["Volume-averaged cell temperature [K]"][-1]
    assert pybamm_end == pytest.approx(298.905, abs=1e-3)
    sol = Simulation("Marquis2019", experiment=["Discharge at 2C until 3.105 V"], thermal="lumped", period=5).solve()
    temp = sol["Temperature [K]"]
    assert temp[0] == sol.parameters["Initial temperature [K]"] == 298.15
    assert abs(temp[-1] - pybamm_end) < 0.01
    assert temp.min() == temp[0] and temp[-1] > temp[0] + 0.7  # heats up at 2C
    assert sol.t[-1] == pytest.approx(fixture["time_series"]["t [s]"][-1], abs=0.1)
    assert sol.step_summary["Ended by"].iloc[0] == "end condition"
    # the same discharge without an experiment (PyBaMM: identical), and the isothermal model
    cc = Simulation("Marquis2019", c_rate=2, thermal="lumped", period=5).solve()
    assert cc.termination == "event: Minimum voltage [V]"
    np.testing.assert_allclose(cc["Temperature [K]"], temp, rtol=0, atol=1e-9)
    assert list(cc.to_dataframe().columns)[-1] == "Temperature [K]"
    iso = Simulation("Marquis2019", c_rate=2, period=5).solve()
    assert np.all(iso["Temperature [K]"] == 298.15)
    assert sol.thermal == "lumped" and "lumped thermal" in repr(Simulation("Marquis2019", thermal="lumped"))


def test_plot_shows_temperature():
    sol = Simulation("Marquis2019", c_rate=2, thermal="lumped", mesh=COARSE).solve()
    fig = sol.plot()
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 10
    temp_ax = [ax for ax in fig.axes if ax.get_ylabel() == "Temperature [\u00b0C]"]  # display units
    assert len(temp_ax) == 1
    np.testing.assert_allclose(temp_ax[0].lines[0].get_ydata(), sol["Temperature [K]"] - 273.15)
    fig = Simulation(mesh=COARSE, experiment=[A, B]).solve().plot()  # an experiment shows it too
    assert len(fig.axes) == 10 and "experiment" in fig._suptitle.get_text()
    assert len(Simulation(c_rate=1, mesh=COARSE).solve().plot().axes) == 9  # unchanged otherwise


# -- sweeps -------------------------------------------------------------------------------
SWEEP_STEPS = ("Discharge at {C-rate of discharge}C until 2.5 V", "Rest for 10 minutes",
               "Charge at 1C until 4.2 V", "Hold at {Hold voltage [V]} V until C/20")
SWEEP_VARY = {"C-rate of discharge": [0.5, 2], "Hold voltage [V]": [4.1, 4.2]}


def read_all(path):
    """Every dataset of the file (strings decoded), keyed by path."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                data = obj[...]
                if data.dtype.kind == "O":
                    data = np.array([v.decode() if isinstance(v, bytes) else v for v in data], dtype=object)
                out[name] = data
        f.visititems(visit)
        attrs = dict(f.attrs)
    return out, attrs


@pytest.fixture(scope="module")
def exp_sweep(tmp_path_factory):
    path = tmp_path_factory.mktemp("exp") / "py.h5"
    sweep = Sweep("Chen2020", mesh=COARSE, period=60, experiment=[SWEEP_STEPS], cycles=2, thermal="lumped",
                  vary=SWEEP_VARY)
    return sweep, sweep.run(device="cpu", output=path, progress=False)


def test_sweep_config_keys(exp_sweep):
    sweep, _ = exp_sweep
    cfg = sweep.config()
    assert cfg["experiment"] == [list(SWEEP_STEPS)] and cfg["cycles"] == 2 and cfg["thermal"] == "lumped"
    assert sweep.n_cells == 4 and sweep.varied == list(SWEEP_VARY)
    # PyBaMM's grouping becomes explicit cycles in the config
    assert Sweep(mesh=COARSE, experiment=[A, (B, C)]).config()["experiment"] == [[A], [B, C]]
    assert Sweep(mesh=COARSE, experiment=A).config()["experiment"] == [[A]]
    assert "experiment" not in Sweep(mesh=COARSE, thermal="lumped").config()


def test_sweep_with_experiment_equals_cli(exp_sweep, cli, tmp_path):
    _, res = exp_sweep
    cfg = {"parameters": "Chen2020", "mesh": COARSE, "period": 60, "experiment": [list(SWEEP_STEPS)], "cycles": 2,
           "thermal": "lumped", "vary": SWEEP_VARY}
    (tmp_path / "c.json").write_text(json.dumps(cfg))
    r = subprocess.run([cli, "sweep", str(tmp_path / "c.json"), "--output", str(tmp_path / "cli.h5"), "--device",
                        "cpu", "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    mine, my_attrs = read_all(res.path)
    theirs, their_attrs = read_all(tmp_path / "cli.h5")
    assert sorted(mine) == sorted(theirs)
    for group in ("steps/Capacity [A.h]", "steps/Cycle", "cells/Temperature [K]", "cells/Step"):
        assert group in mine
    for key in mine:
        x, y = mine[key], theirs[key]
        assert x.shape == y.shape and x.dtype == y.dtype, key
        if x.dtype.kind == "f":
            np.testing.assert_array_equal(x, y, err_msg=key)  # NaN == NaN here
        else:
            assert (x == y).all(), key
    for attr in ("protocol", "varied", "t_end [s]", "output", "mesh", "parameters"):
        assert my_attrs[attr] == their_attrs[attr], attr
    assert json.loads(my_attrs["varied"]) == list(SWEEP_VARY)
    assert "{Hold voltage [V]}" in my_attrs["protocol"] and "lumped thermal" in my_attrs["protocol"]
    # the CLI's file reads the same through ionflux.load
    other = ionflux.load(tmp_path / "cli.h5")
    for name, arr in res.cycles.items():
        np.testing.assert_array_equal(other.cycles[name], arr, err_msg=name)


def test_sweep_result_steps_cycles_and_outputs(exp_sweep):
    _, res = exp_sweep
    assert res.outputs[-3:] == ["Temperature [K]", "Step", "Cycle"] and res.n_steps == 8 and res.n_cycles == 2
    temp, step, cycle = res["Temperature [K]"], res["Step"], res["Cycle"]
    assert temp.shape == step.shape == cycle.shape == (4, res.n_times)
    assert np.all(np.isnan(step) == np.isnan(res["Time [s]"]))
    ran = ~np.isnan(step)
    np.testing.assert_array_equal(cycle[ran], res.steps["Cycle"][step[ran].astype(int)])
    assert np.all(np.nanmax(temp, axis=1) > 298.15 + 1.0)
    assert "Temperature [K]" in res.variables and res.read("Step", 2).shape == (res.n_times,)
    c = res.cell(1)
    assert c["Step"][-1] == 7 and c["Temperature [K]"].size == c["Time [s]"].size
    assert c["Discharge capacity [A.h]"].shape == c["Time [s]"].shape and "Discharge capacity [A.h]" in c["summary"]

    steps = res.steps
    assert sorted(steps) == ["Capacity [A.h]", "Charge capacity [A.h]", "Charge energy [W.h]", "Cycle",
                             "Discharge capacity [A.h]", "Discharge energy [W.h]", "Duration [s]", "End code",
                             "End time [s]", "Energy [W.h]", "Start time [s]"]
    np.testing.assert_array_equal(steps["Cycle"], [0, 0, 0, 0, 1, 1, 1, 1])
    assert steps["Capacity [A.h]"].shape == (4, 8)
    np.testing.assert_array_equal(steps["Duration [s]"], steps["End time [s]"] - steps["Start time [s]"])
    # every cell ran the whole protocol: the last step ends at the cell's end time
    np.testing.assert_array_equal(steps["End time [s]"][:, -1], res["End time [s]"])

    # per-cycle summaries, recomputed here from the step records
    cycles = res.cycles
    q, e = steps["Capacity [A.h]"], steps["Energy [W.h]"]
    # A cycle's discharge (charge) capacity sums its steps' records, each a difference of
    # the solver's running sum of the charge moved while discharging (charging), to which
    # every accepted BDF step adds its piece(s) fl(Q_k - Q_k-1) (cell_solver.hpp,
    # accumulate/add_moved); a step's net capacity is the difference of the Q state
    # itself. No step changes the sign of its current here, so both are the same
    # telescoping sum, rounded differently: each of the <= 2 n + 16 additions and
    # subtractions (n accepted BDF steps, pieces split at a current root, 8 step ends and
    # the cycle's sum) rounds by at most u = 2^-53 times the largest running total, which
    # is at most M, the charge the cell moved in all (Higham, Accuracy and Stability of
    # Numerical Algorithms, 2nd ed., sec. 4.2): here (6-9)e-12 A.h, against differences of
    # up to 3e-14 A.h seen, and >= 1.3 A.h for a step or a cycle counted wrongly.
    u = np.finfo(float).eps / 2
    moved = np.nansum(cycles["Discharge capacity [A.h]"] + cycles["Charge capacity [A.h]"], axis=1)
    bound = (2 * res.stats["Steps"] + 16) * u * moved
    for k in range(2):
        sel = steps["Cycle"] == k
        for name, pieces in (("Discharge capacity [A.h]", np.where(q > 0, q, 0)),
                             ("Charge capacity [A.h]", -np.where(q < 0, q, 0))):
            diff = np.abs(cycles[name][:, k] - pieces[:, sel].sum(1))
            assert np.all(diff <= bound), (name, k, diff, bound)
        np.testing.assert_allclose(cycles["Net capacity [A.h]"][:, k], q[:, sel].sum(1), rtol=1e-14, atol=1e-14)
        np.testing.assert_allclose(cycles["Energy [W.h]"][:, k], e[:, sel].sum(1), rtol=1e-14, atol=1e-14)
        np.testing.assert_array_equal(cycles["Start time [s]"][:, k], steps["Start time [s]"][:, sel][:, 0])
        np.testing.assert_array_equal(cycles["End time [s]"][:, k], steps["End time [s]"][:, sel][:, -1])
    assert cycles["Discharge capacity [A.h]"].shape == (4, 2)
    assert np.all(cycles["Charge capacity [A.h]"] > 0) and np.all(cycles["Discharge capacity [A.h]"] > 0)

    # and they equal a single-cell Simulation with the placeholders filled in, bit for bit
    # (the sweep builds the cell as the Simulation does, its first step's current included,
    # and runs the same per-cell code)
    cell = 3
    values = {name: res.inputs[name][cell] for name in SWEEP_VARY}
    filled = tuple(re.sub(r"\{([^}]*)\}", lambda m: f"{values[m.group(1)]:g}", s) for s in SWEEP_STEPS)
    assert filled[0] == "Discharge at 2C until 2.5 V" and filled[3] == "Hold at 4.2 V until C/20"
    sol = Simulation("Chen2020", mesh=COARSE, period=60, experiment=[filled], cycles=2, thermal="lumped",
                     t_end=float(res.attrs["t_end [s]"])).solve()  # the sweep's t_end: the same steps
    n = sol.t.size
    assert n == res.n_points[cell]
    np.testing.assert_array_equal(res["Voltage [V]"][cell, :n], sol["Voltage [V]"])
    np.testing.assert_array_equal(res["Temperature [K]"][cell, :n], sol["Temperature [K]"])
    np.testing.assert_array_equal(res["Step"][cell, :n], sol["Step"])
    for name in ("Start time [s]", "Capacity [A.h]", "Energy [W.h]"):
        np.testing.assert_array_equal(steps[name][cell], sol.step_summary[name].to_numpy(), err_msg=name)
    for name in sol.cycle_summary.columns:
        np.testing.assert_array_equal(cycles[name][cell], sol.cycle_summary[name].to_numpy(), err_msg=name)


def test_cycles_from_steps_when_the_file_has_no_cycles_group(exp_sweep, tmp_path):
    _, res = exp_sweep
    copy = tmp_path / "no_cycles.h5"
    copy.write_bytes(open(res.path, "rb").read())
    with h5py.File(copy, "a") as f:
        assert "cycles" in f
        del f["cycles"]
    old = ionflux.load(copy)
    assert old.n_cycles == 2
    for name, arr in res.cycles.items():  # the file's /cycles, and the same computed from /steps
        if name in ionflux.summary_variable_names() and name not in old.cycles:  # need the inventories (documented)
            continue
        if name in ("Maximum temperature [K]", "Mean temperature [K]"):  # need /cells series: NaN (documented)
            assert np.all(np.isnan(old.cycles[name])), name
            continue
        np.testing.assert_allclose(old.cycles[name], arr, rtol=1e-14, atol=1e-14, err_msg=name)


def test_sweep_to_xarray_with_experiment(exp_sweep):
    _, res = exp_sweep
    ds = res.to_xarray()
    assert ds["Temperature [K]"].dims == ("C-rate of discharge", "Hold voltage [V]", "time index")
    assert ds["Step capacity [A.h]"].dims == ("C-rate of discharge", "Hold voltage [V]", "step")
    assert ds["Cycle discharge capacity [A.h]"].dims == ("C-rate of discharge", "Hold voltage [V]", "cycle")
    np.testing.assert_array_equal(ds["cycle of step"].values, res.steps["Cycle"])
    np.testing.assert_array_equal(ds["Cycle discharge capacity [A.h]"].values.reshape(4, 2),
                                  res.cycles["Discharge capacity [A.h]"])
    np.testing.assert_array_equal(ds["Step energy [W.h]"].sel({"C-rate of discharge": 2, "Hold voltage [V]": 4.2}),
                                  res.steps["Energy [W.h]"][3])
    # how each step ended, as in `steps` (it had been left out of the dataset)
    assert ds["Step end code"].dims == ("C-rate of discharge", "Hold voltage [V]", "step")
    np.testing.assert_array_equal(ds["Step end code"].values.reshape(res.n_cells, -1), res.steps["End code"])
    assert np.isfinite(res.steps["End code"]).all()


def test_sweep_partial_cycles_are_nan(cli, tmp_path):
    # Duration-only steps on the output grid; the second cell stops at t_end during the
    # discharge of its second cycle: its rest is never reached.
    sweep = Sweep(mesh=COARSE, period=60, t_end=1800, combine="zip", cycles=2,
                  experiment=[("Discharge at 1C for {Discharge minutes} minutes", "Rest for 5 minutes")],
                  vary={"Discharge minutes": [5, 20]})
    res = sweep.run(device="cpu", progress=False)
    # the first completes its protocol; the second is cut short by t_end (truncated, not completed)
    assert list(res.status_names) == ["finished", "end_time_reached"]
    steps, cycles = res.steps, res.cycles
    np.testing.assert_array_equal(steps["Start time [s]"], [[0, 300, 600, 900], [0, 1200, 1500, np.nan]])
    np.testing.assert_array_equal(steps["End time [s]"], [[300, 600, 900, 1200], [1200, 1500, 1800, np.nan]])
    np.testing.assert_array_equal(cycles["End time [s]"], [[600, 1200], [1500, 1800]])
    np.testing.assert_array_equal(cycles["Duration [s]"], [[600, 600], [1500, 300]])
    np.testing.assert_allclose(cycles["Discharge capacity [A.h]"], [[5 / 12, 5 / 12], [5 / 3, 5 / 12]], rtol=1e-12)
    assert np.all(cycles["Charge capacity [A.h]"] == 0)
    # a cycle never reached is NaN
    short = Sweep(mesh=COARSE, period=60, t_end=900, cycles=2, experiment=[("Discharge at 1C for 10 minutes",
                                                                             "Rest for 5 minutes")]).run(progress=False)
    assert short.n_cycles == 2 and np.isnan(short.cycles["Energy [W.h]"][0, 1])
    assert short.cycles["End time [s]"][0, 0] == 900


def test_sweep_thermal_only():
    res = Sweep("Marquis2019", mesh=COARSE, thermal="lumped", vary={"C-rate": [1, 2]}).run(progress=False)
    assert res.outputs[-2:] == ["Temperature [K]", "Step"]
    assert res.steps == {} and res.cycles == {} and res.n_steps == 0 and res.n_cycles == 0
    end_temp = [row[~np.isnan(row)][-1] for row in res["Temperature [K]"]]
    assert 298.15 < end_temp[0] < end_temp[1]
    sol = Simulation("Marquis2019", mesh=COARSE, thermal="lumped", c_rate=2).solve()
    assert end_temp[1] == pytest.approx(sol["Temperature [K]"][-1], abs=1e-9)
    ds = res.to_xarray()
    assert "Temperature [K]" in ds and "step" not in ds.dims
    # a plain sweep's file is unchanged: no temperature, no steps
    plain = Sweep(mesh=COARSE, c_rate=1).run(progress=False)
    assert plain.outputs == ["Time [s]", "Voltage [V]", "Current [A]", "Discharge capacity [A.h]"]
    assert plain.steps == {} and plain.cycles == {}


# -- the config's flat list ---------------------------------------------------------------
def test_config_flat_list_is_one_cycle(cli, tmp_path):
    cfg = {"mesh": COARSE, "period": 60, "experiment": [A, B]}
    (tmp_path / "flat.json").write_text(json.dumps(cfg))
    r = subprocess.run([cli, "sweep", str(tmp_path / "flat.json"), "--output", str(tmp_path / "flat.h5"), "--quiet"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert list(ionflux.load(tmp_path / "flat.h5").steps["Cycle"]) == [0, 0]


# -- errors ---------------------------------------------------------------------------------
def test_bad_step_strings():
    with pytest.raises(ValueError, match="experiment step 1 \"Dischrage at 1C for 1 hour\": unknown instruction "
                                         "'Dischrage'"):
        Simulation(mesh=COARSE, experiment=["Dischrage at 1C for 1 hour"]).solve()
    with pytest.raises(ValueError, match=r"step 2 \(cycle 2, step 1\) \"Charge at 1C until 4.3 V\": 'until 4.3 V'"):
        Simulation(mesh=COARSE, experiment=[(A,), "Charge at 1C until 4.3 V"]).solve()
    with pytest.raises(ValueError, match="step 2 \"Discharge at 1 Q\": unknown unit 'Q'"):
        Simulation(mesh=COARSE, experiment=[(B, "Discharge at 1 Q")]).solve()
    with pytest.raises(ValueError, match="step 1 \"Dischrage at 1C for 1 hour\": unknown instruction 'Dischrage'"):
        Sweep(mesh=COARSE, experiment=["Dischrage at 1C for 1 hour"])  # a sweep checks when it is made


def test_skipped_steps_are_said_on_every_road(cli, tmp_path):
    """A step whose end condition holds when it begins is skipped, as PyBaMM does; ionflux
    names it (it had been silent: a zero-duration step "ended by end condition")."""
    steps = ["Charge at 1C until 4.2 V", "Hold at 4.2 V until C/20", "Discharge at 1C for 1 minute"]
    with pytest.warns(ionflux.SolverWarning, match=r"2 steps were skipped because their end conditions already held "
                                                   r"when they began .*step 0 \(cycle 0\) 'Charge at 1C until 4.2 V'"):
        sol = Simulation(mesh=COARSE, initial_soc=1, experiment=[tuple(steps)]).solve()
    assert list(sol.step_summary["Ended by"]) == ["skipped", "skipped", "duration"]
    assert list(sol.step_summary["Duration [s]"])[:2] == [0.0, 0.0]
    r = subprocess.run([cli, "simulate", "--soc", "1", "--mesh", MESH_ARG, "--output", str(tmp_path / "s.csv")]
                       + [a for st in steps for a in ("--experiment", st)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "step 0 (cycle 0) Charge at 1C until 4.2 V: 0 s, 0 A.h, 0 W.h net, skipped" in r.stdout
    assert "warning: 2 steps were skipped" in r.stderr
    with pytest.warns(ionflux.SolverWarning, match=r"2 of 2 cells skipped a step .*first: cell 0"):
        res = Sweep(mesh=COARSE, initial_soc=1, experiment=[tuple(steps)],
                    vary={"Negative electrode thickness [m]": [80e-6, 85e-6]}).run()
    # a sweep's cells say how each step ended, as a Simulation's do (/steps/End code; the
    # column had been empty)
    assert list(res[0].step_summary["Ended by"]) == ["skipped", "skipped", "duration"]
    np.testing.assert_array_equal(res.steps["End code"], [[1, 1, 0], [1, 1, 0]])
    # nothing skipped: no such warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Simulation(mesh=COARSE, initial_soc=0.5, experiment=[tuple(steps)]).solve()


def test_a_drive_cycle_that_begins_past_a_cut_off_is_cut_short(tmp_path):
    """A 25 A pulse after a discharge to 2.6 V begins below the 2.5 V cut-off (the voltage
    jump of the step change). It had run on unchecked (a drive cycle was never checked
    again once past a cut-off) to 2.19 V and ended 'finished'; it is now cut short at
    once, as the same current written as 'Discharge at 25 A for 3 s' is."""
    t = np.arange(0.0, 61.0, 1.0)
    np.savetxt(tmp_path / "pulse.csv", np.column_stack([t, np.where(t < 5, 25.0, 0.0)]), delimiter=",")
    for second in (f"Discharge with current from {tmp_path / 'pulse.csv'}", "Discharge at 25 A for 3 s"):
        with pytest.warns(ionflux.SolverWarning, match="began past the cut-off"):
            sol = Simulation(mesh=COARSE, initial_soc=0.5, experiment=[("Discharge at 2C until 2.6 V", second,
                                                                        "Rest for 1 minute")]).solve()
        assert sol.status == "cutoff_lower", (second, sol.message)
        assert list(sol.step_summary["Ended by"]) == ["end condition", "cut-off"]
        assert sol["Voltage [V]"].min() >= 2.5 - 1e-9


def test_a_drive_cycle_from_soc_1_is_checked_against_the_cut_off(tmp_path):
    """A cell at SOC 1 sits at the upper cut-off itself (within rounding, which the 1 uV
    slack accepts); a drive cycle that starts at 0 A and then charges (regen) had never been
    checked against the cut-off, since the check looks for a crossing from inside, and ran
    to 4.71 V. It now stops at the cut-off (moved out by the slack)."""
    np.savetxt(tmp_path / "regen.csv", [[0, 0], [10, 0], [11, -10], [60, -10]], delimiter=",")
    with pytest.warns(ionflux.SolverWarning, match="upper voltage cut-off 4.2 V"):
        sol = Simulation(mesh=COARSE, initial_soc=1, experiment=[
            (f"Discharge with current from {tmp_path / 'regen.csv'}", "Rest for 1 minute")]).solve()
    assert sol.status == "cutoff_upper", sol.message
    assert sol["Voltage [V]"].max() <= 4.2 + 1.1e-6


def test_time_termination_is_the_experiments_end_not_a_truncation(cli, tmp_path):
    cycle = ("Discharge at 1C for 20 minutes", "Rest for 10 minutes")
    exp_ = ionflux.Experiment([cycle] * 3, termination="50 minutes")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "results are truncated" warning
        sol = Simulation(mesh=COARSE, initial_soc=0.9, experiment=exp_).solve()
        # the same as termination=, and in a Sweep (whose cells had been end_time_reached,
        # with a warning to raise t_end)
        given = Simulation(mesh=COARSE, initial_soc=0.9, experiment=[cycle] * 3, termination="50 minutes").solve()
        res = Sweep(mesh=COARSE, initial_soc=0.9, experiment=exp_,
                    vary={"Negative electrode thickness [m]": [80e-6, 85e-6]}).run()
    assert sol.t[-1] == 3000.0 and sol.termination == "experiment time limit reached"  # PyBaMM's words
    assert sol.status == "experiment_end" and "time termination" in sol.message
    assert given.status == "experiment_end" and given.t[-1] == 3000.0
    np.testing.assert_array_equal(given["Voltage [V]"], sol["Voltage [V]"])
    assert list(res.status_names) == ["experiment_end"] * 2
    assert res[0].termination == "experiment time limit reached" and res[0].t[-1] == 3000.0
    # an Experiment's own time termination and a later one given: the later one, as
    # PyBaMM's dict keeps one of each kind (the Experiment's had also been the end time,
    # so the run stopped there as a truncation)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        later = Simulation(mesh=COARSE, initial_soc=0.9, experiment=ionflux.Experiment([cycle] * 3,
                           termination="40 minutes"), termination="50 minutes").solve()
    assert later.status == "experiment_end" and later.t[-1] == 3000.0
    # an earlier t_end truncates the run, and says so
    with pytest.warns(ionflux.SolverWarning, match="truncated"):
        short = Simulation(mesh=COARSE, initial_soc=0.9, experiment=exp_, t_end=1500).solve()
    assert short.status == "end_time_reached" and short.t[-1] == 1500.0
    # the CLI takes PyBaMM's time form too
    r = subprocess.run([cli, "simulate", "--soc", "0.9", "--mesh", MESH_ARG, "--output", str(tmp_path / "t.csv"),
                        "--experiment", cycle[0], "--experiment", cycle[1], "--cycles", "3",
                        "--termination", "50 minutes"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "time termination \"3000 s\" was reached at t = 3000 s" in r.stdout + r.stderr, r.stdout + r.stderr


def test_a_pybamm_current_end_condition_with_an_operator_is_refused():
    pybamm = pytest.importorskip("pybamm")
    e = pybamm.Experiment([(pybamm.step.c_rate(1, duration=600),
                            pybamm.step.voltage(3.6, termination="> 0.5 A"))])
    # PyBaMM compares the signed current there; ionflux's "until 0.5 A" is |I| <= 0.5 A
    with pytest.raises(ValueError, match=r"'> 0.5 A' compares PyBaMM's signed current"):
        Simulation(mesh=COARSE, experiment=e)


def test_the_termination_is_checked_where_a_skipped_step_ends_the_cycle(cli, tmp_path):
    """A cycle whose last step is skipped (its end condition held at once) ends there, and
    its termination is checked there too (it had not been: the run went on through every
    cycle, where PyBaMM stops). The last cycle is checked as well, as PyBaMM does."""
    cycle = ("Discharge at 1C for 10 minutes", "Charge at 1C for 5 minutes", "Rest for 1 minute or until > 3 V")
    with pytest.warns(ionflux.SolverWarning, match="skipped"):
        sol = Simulation(mesh=COARSE, initial_soc=0.5, experiment=[cycle], cycles=3,
                         termination="100% capacity").solve()
    assert sol.status == "experiment_end" and len(sol.cycles) == 1, sol.message
    assert list(sol.step_summary["Ended by"]) == ["duration", "duration", "skipped"]
    one = Simulation(mesh=COARSE, initial_soc=0.5, experiment=[cycle[:2]], termination="100% capacity").solve()
    assert one.status == "experiment_end" and "0 cycles did not run" in one.message
    # --termination is repeatable
    r = subprocess.run([cli, "simulate", "--soc", "0.5", "--mesh", MESH_ARG, "--output", str(tmp_path / "t.csv"),
                        "--experiment", cycle[0], "--cycles", "2", "--termination", "50% capacity",
                        "--termination", "3.5 V"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "lowest voltage" in r.stdout and "<= 3.5 V" in r.stdout


def test_a_sweeps_cells_say_how_each_step_ended_as_a_simulation_does(cli, tmp_path):
    """/steps/End code (the kernel's StepEnd of each step) on every road: in memory, in the
    HDF5 file of `ionflux sweep`, and a cell's `step_summary["Ended by"]` equal to a
    Simulation's of the same cell (a cut-off, a condition, a duration, steps not reached)."""
    cycle = ("Discharge at 1C for 10 minutes", "Charge at 1C until 4.0 V", "Rest for 1 minute",
             "Discharge at 3C for 1 hour", "Rest for 1 minute")
    thick = [70e-6, 85e-6]
    with pytest.warns(ionflux.SolverWarning, match="cut-off"):
        res = Sweep(mesh=COARSE, initial_soc=0.5, experiment=[cycle],
                    vary={"Negative electrode thickness [m]": thick}).run()
    for i, t in enumerate(thick):
        params = ionflux.ParameterSet("Chen2020")
        params["Negative electrode thickness [m]"] = t
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sim = Simulation(params, mesh=COARSE, initial_soc=0.5, experiment=[cycle]).solve()
        assert list(res[i].step_summary["Ended by"]) == list(sim.step_summary["Ended by"]), i
    assert list(res[0].step_summary["Ended by"]) == ["duration", "end condition", "duration", "cut-off"]
    assert np.isnan(res.steps["End code"][:, 4]).all()  # not reached
    config = tmp_path / "ends.json"
    config.write_text(json.dumps({"mesh": COARSE, "initial_soc": 0.5, "experiment": list(cycle),
                                  "vary": {"Negative electrode thickness [m]": thick}}))
    r = subprocess.run([cli, "sweep", str(config), "--output", str(tmp_path / "ends.h5"), "--quiet"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with h5py.File(tmp_path / "ends.h5") as f:
        np.testing.assert_array_equal(f["steps/End code"][...], res.steps["End code"])


def test_a_long_solve_shows_its_progress(cli, tmp_path, capsys, monkeypatch):
    """A long run (an ageing experiment of many cycles) shows the cycle, step and time it
    has reached: Simulation.solve's bar (by default once 2 s have passed; here at once,
    through IONFLUX_PROGRESS_AFTER), and ionflux simulate's lines on stderr. A short run
    shows nothing by default, and showprogress=False never."""
    cycle = ("Discharge at 1C for 10 minutes", "Charge at 1C for 10 minutes")
    Simulation(mesh=COARSE, initial_soc=0.5, experiment=[cycle], cycles=3).solve()
    assert "ionflux solve" not in capsys.readouterr().err
    sol = Simulation(mesh=COARSE, initial_soc=0.5, experiment=[cycle], cycles=3).solve(showprogress=True)
    err = capsys.readouterr().err
    assert "ionflux solve" in err and "3/3" in err, err
    assert sol.status == "finished"
    monkeypatch.setenv("IONFLUX_PROGRESS_AFTER", "0")
    Simulation(mesh=COARSE, initial_soc=0.5, experiment=[cycle], cycles=3).solve(showprogress=False)
    assert "ionflux solve" not in capsys.readouterr().err
    r = subprocess.run([cli, "simulate", "--soc", "0.5", "--mesh", MESH_ARG, "--output", str(tmp_path / "p.csv"),
                        "--experiment", cycle[0], "--experiment", cycle[1], "--cycles", "3"],
                       capture_output=True, text=True, env=dict(os.environ, IONFLUX_PROGRESS_AFTER="0"))
    assert r.returncode == 0, r.stderr
    assert re.search(r"simulate: cycle 1 of 3, step \d of 6, t = [0-9.e+]+ s, \d+ s elapsed", r.stderr), r.stderr
    r = subprocess.run([cli, "simulate", "--soc", "0.5", "--mesh", MESH_ARG, "--output", str(tmp_path / "q.csv"),
                        "--experiment", cycle[0], "--cycles", "2"], capture_output=True, text=True,
                       env={k: v for k, v in os.environ.items() if k != "IONFLUX_PROGRESS_AFTER"})
    assert r.returncode == 0 and "simulate:" not in r.stderr, r.stderr  # a short run: nothing


def test_a_skipped_steps_start_voltage_is_not_in_its_cycles_lowest_voltage():
    """PyBaMM 26.10.1.1 (tests/fixtures/generate_pybamm_experiment_fixtures.py, group
    skip_termination): the 5C discharge "until 4.0 V" is skipped at once (its ohmic drop
    starts it below 4.0 V), its start voltage is no point of PyBaMM's cycle solution, so the
    first two cycles' lowest voltage is the rest's (4.0967 V), above the termination's
    3.95 V, and the run stops only after the last cycle. ionflux had counted the skipped
    step's start voltage and stopped after the first cycle."""
    fx = json.loads((REPO / "tests" / "fixtures" / "pybamm_exp_skip_termination.json").read_text())
    cond = [tuple(c) for c in fx["operating_conditions"]]
    with pytest.warns(ionflux.SolverWarning, match="skipped"):
        sol = Simulation("Chen2020", initial_soc=0.9, experiment=cond,
                         termination=fx["experiment_termination"]).solve()
    assert fx["termination"] == "experiment voltage limit reached"
    assert sol.status == "experiment_end" and sol.termination == fx["termination"], sol.message
    assert len(sol.cycles) == len(fx["cycles"]) == 3
    assert sol.t[-1] == pytest.approx(fx["t_end"], abs=1e-6)
    assert list(sol.step_summary["Ended by"]) == ["duration", "skipped", "duration", "skipped", "duration"]
    # each cycle's lowest voltage: 5e-8 V from PyBaMM's at most here (ionflux at its default
    # rtol 1e-6, the fixture at 1e-10); 1 uV is the bound, 2e-3 V the skipped step's error
    for cyc, ref in zip(sol.cycles, fx["cycles"]):
        assert cyc["Voltage [V]"].min() == pytest.approx(ref["min_voltage"], abs=1e-6)
    low = float(re.search(r"lowest voltage ([0-9.]+) V", sol.message).group(1))
    assert low == pytest.approx(fx["cycles"][-1]["min_voltage"], abs=1e-5)  # (the message's 6 digits)


def test_experiment_with_current_is_an_error():
    with pytest.raises(ValueError, match="give c_rate or experiment, not both"):
        Simulation(c_rate=1, experiment=[A])
    with pytest.raises(ValueError, match="give current or experiment, not both"):
        Simulation(current=5, experiment=A)
    with pytest.raises(ValueError, match="give c_rate or experiment, not both"):
        Sweep(c_rate=1, experiment=[A])
    with pytest.raises(ValueError, match="vary 'C-rate' has no effect with an experiment"):
        Sweep(mesh=COARSE, experiment=[A], vary={"C-rate": [1, 2]})
    Sweep(mesh=COARSE, experiment=["Discharge at {C-rate}C for 1 minute"], vary={"C-rate": [1, 2]})  # as a placeholder


def test_unknown_thermal_and_bad_cycles():
    with pytest.raises(ValueError, match="thermal must be 'isothermal' or 'lumped', got 'lumpd'; did you mean "
                                         "'lumped'"):
        Simulation(thermal="lumpd")
    with pytest.raises(ValueError, match="thermal must be 'isothermal' or 'lumped', got 'adiabatic'"):
        Sweep(mesh=COARSE, thermal="adiabatic")
    with pytest.raises(TypeError, match="thermal must be"):
        Simulation(thermal=1)
    with pytest.raises(ValueError, match="cycles needs an experiment"):
        Simulation(cycles=2)
    with pytest.raises(ValueError, match="cycles needs an experiment"):
        Sweep(mesh=COARSE, cycles=2)
    with pytest.raises(ValueError, match="cycles must be a positive integer"):
        Simulation(experiment=[A], cycles=0)
    with pytest.raises(TypeError, match="cycles must be a positive integer"):
        Simulation(experiment=[A], cycles=1.5)


@pytest.mark.parametrize("experiment, error, match", [
    ([], ValueError, "experiment is empty"),
    ([()], ValueError, r"experiment\[0\] is an empty cycle"),
    ([A, 3], TypeError, r"experiment\[1\] must be a step string or a tuple"),
    ([(A, [B])], TypeError, r"experiment\[0\]\[1\] must be a step string"),
    ([" "], ValueError, "empty step string"),
    ({"a": 1}, TypeError, "experiment must be a list"),
])
def test_bad_experiment_forms(experiment, error, match):
    with pytest.raises(error, match=match):
        Simulation(experiment=experiment)
    with pytest.raises(error, match=match):
        Sweep(experiment=experiment)


def test_placeholder_errors():
    with pytest.raises(ValueError, match=r"placeholder '\{Hold voltage \[V\]\}' has no entry of that name in vary"):
        Sweep(mesh=COARSE, experiment=["Hold at {Hold voltage [V]} V until C/50"])
    with pytest.raises(ValueError, match="without a closing"):
        Sweep(mesh=COARSE, experiment=["Rest for {minutes minutes"], vary={"minutes": [1, 2]})


# -- issue 10 item 7: discharged and charged, separately ------------------------------------
CRD = ("Discharge at 1C for 10 minutes", "Rest for 5 minutes", "Charge at 1C for 5 minutes")


def test_protocol_summary_reports_discharge_and_charge_separately(cli, tmp_path):
    # Two cycles of a 10-minute 1C discharge, a rest and a 5-minute 1C charge (Chen2020:
    # 1C = 5 A). Expected from the protocol alone: 2 x 5 A x 600 s = 5/3 A.h discharged,
    # 2 x 5 A x 300 s = 5/6 A.h charged; the net is 5/6 A.h. Before the fix the summary's
    # "Discharge capacity [A.h]" was the net and its mean voltage NaN.
    sol = Simulation(mesh=COARSE, period=60, initial_soc=0.5, experiment=[CRD], cycles=2).solve()
    assert sol.status == "finished" and sol.termination == "protocol completed"
    s = sol.summary
    assert s["Discharge capacity [A.h]"] == pytest.approx(5 / 3, rel=1e-6)
    assert s["Charge capacity [A.h]"] == pytest.approx(5 / 6, rel=1e-6)
    assert s["Discharge capacity [A.h]"] - s["Charge capacity [A.h]"] == pytest.approx(
        sol["Discharge capacity [A.h]"][-1], rel=1e-9)
    assert s["Discharge energy [W.h]"] - s["Charge energy [W.h]"] == pytest.approx(s["Energy [W.h]"], rel=1e-9)
    v, i = sol["Voltage [V]"], sol["Current [A]"]
    assert v[i > 0].min() < s["Mean voltage [V]"] < v[i > 0].max()
    assert s["Mean voltage [V]"] == pytest.approx(s["Discharge energy [W.h]"] / s["Discharge capacity [A.h]"])
    # charging takes more energy per A.h than discharging gives back
    assert s["Charge energy [W.h]"] / s["Charge capacity [A.h]"] > s["Mean voltage [V]"]
    steps, cycles = sol.step_summary, sol.cycle_summary
    np.testing.assert_allclose(steps["Discharge capacity [A.h]"], [5 / 6, 0, 0] * 2, rtol=1e-6, atol=1e-15)
    np.testing.assert_allclose(steps["Charge capacity [A.h]"], [0, 0, 5 / 12] * 2, rtol=1e-6, atol=1e-15)
    np.testing.assert_allclose(cycles["Discharge capacity [A.h]"], [5 / 6] * 2, rtol=1e-6)
    np.testing.assert_allclose(cycles["Charge energy [W.h]"], steps["Charge energy [W.h]"].to_numpy()[[2, 5]])

    # the command line prints the same
    args = [cli, "simulate", "--soc", "0.5", "--mesh", MESH_ARG, "--period", "60", "--cycles", "2",
            "--output", str(tmp_path / "crd.csv")]
    for step in CRD:
        args += ["--experiment", step]
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0 and "warning" not in r.stderr, r.stderr
    assert re.search(r"End\s+finished: the protocol completed", r.stdout), r.stdout
    dis = float(re.search(r"Discharge capacity\s+(\S+) A\.h", r.stdout).group(1))
    chg = float(re.search(r"Charge capacity\s+(\S+) A\.h", r.stdout).group(1))
    mean = float(re.search(r"Mean voltage\s+(\S+) V while discharging", r.stdout).group(1))
    assert (dis, chg) == (pytest.approx(5 / 3, rel=1e-5), pytest.approx(5 / 6, rel=1e-5))
    assert mean == pytest.approx(s["Mean voltage [V]"], rel=1e-5)

    # and a sweep's file
    res = Sweep(mesh=COARSE, period=60, initial_soc=0.5, experiment=[CRD], cycles=2).run(device="cpu", progress=False)
    summary = res.summary
    assert list(summary["End reason"]) == ["finished"] and res.messages[0] == "finished: the protocol completed"
    assert summary["Discharge capacity [A.h]"][0] == pytest.approx(5 / 3, rel=1e-6)
    assert summary["Charge capacity [A.h]"][0] == pytest.approx(5 / 6, rel=1e-6)
    assert summary["Mean voltage [V]"][0] == pytest.approx(s["Mean voltage [V]"], rel=1e-9)
    for name in ("Discharge energy [W.h]", "Charge energy [W.h]"):
        assert summary[name][0] == pytest.approx(s[name], rel=1e-9)
        np.testing.assert_allclose(res.steps[name][0], steps[name], rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(res.cycles[name][0], cycles[name], rtol=1e-9)


def test_drive_cycle_going_both_ways_is_split_inside_the_step(tmp_path):
    # A drive cycle from +5 A to -5 A and back, linear between its knots (0, 10, 20 s):
    # the current is positive for 5 s of each 10 s segment. Discharged: two triangles of
    # 5 s x 5 A / 2 = 25 A.s = 25/3600 A.h; charged the same; the net is zero. Before the
    # fix a step counted only by the sign of its net capacity (~0 here).
    path = tmp_path / "both_ways.csv"
    path.write_text("time [s],current [A]\n0,5\n10,-5\n20,5\n")
    experiment = [(f"Discharge with current from {path}",)]
    tight = {"rtol": 1e-9, "atol": 1e-11}  # Q is integrated to the tolerance (1e-6 of it by default)
    sol = Simulation(mesh=COARSE, initial_soc=0.5, solver=tight, experiment=experiment).solve()
    assert sol.status == "finished"
    step = sol.step_summary.iloc[0]
    assert step["Discharge capacity [A.h]"] == pytest.approx(25 / 3600, rel=1e-6)
    assert step["Charge capacity [A.h]"] == pytest.approx(25 / 3600, rel=1e-6)
    assert abs(step["Capacity [A.h]"]) < 1e-9
    assert step["Discharge energy [W.h]"] > 0 and step["Charge energy [W.h]"] > step["Discharge energy [W.h]"]
    assert sol.cycle_summary.loc[0, "Charge capacity [A.h]"] == step["Charge capacity [A.h]"]
    assert sol.summary["Discharge capacity [A.h]"] == pytest.approx(25 / 3600, rel=1e-6)
    res = Sweep(mesh=COARSE, initial_soc=0.5, solver=tight, experiment=experiment).run(device="cpu", progress=False)
    assert res.steps["Charge capacity [A.h]"][0, 0] == pytest.approx(25 / 3600, rel=1e-6)
    assert res.cycles["Discharge capacity [A.h]"][0, 0] == pytest.approx(25 / 3600, rel=1e-6)


# -- issue 10 item 9: a step cut short by the set's cut-off -----------------------------------
def test_step_cut_short_by_the_sets_cut_off_is_reported(cli, tmp_path):
    # Chen2020 at 1C reaches its 2.5 V cut-off after about 3,555 s, well before 2 hours:
    # ionflux stops the experiment there (PyBaMM would widen the cut-off to 1.5 V), and says
    # which step was cut short and which did not run.
    experiment = [("Discharge at 1C for 2 hours", "Rest for 10 minutes")]
    sim = Simulation(mesh=COARSE, experiment=experiment)
    with pytest.warns(ionflux.SolverWarning, match="experiment cut short") as record:
        sol = sim.solve()
    assert sol.status == "cutoff_lower" and sol.termination == "event: Minimum voltage [V]"
    assert list(sol.step_summary.index) == [0] and sol.step_summary["Ended by"].iloc[0] == "cut-off"
    parts = ['into step 0 "Discharge at 1C for 2 hours" (cycle 0) of 2 steps', "cut short",
             '1 step did not run: step 1 "Rest for 10 minutes" (cycle 0)', "PyBaMM widens them by 1 V"]
    for part in parts:
        assert part in sol.message and part in str(record[0].message), part

    args = [cli, "simulate", "--mesh", MESH_ARG, "--output", str(tmp_path / "cut.csv")]
    for step in experiment[0]:
        args += ["--experiment", step]
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stderr.startswith("warning: reached the lower voltage cut-off 2.5 V")
    for part in parts:
        assert part in r.stderr and part in r.stdout, part  # the warning and the "End" line

    with pytest.warns(ionflux.SolverWarning, match="1 of 1 cells: a voltage cut-off of the parameter set stopped"):
        res = Sweep(mesh=COARSE, experiment=experiment).run(device="cpu", progress=False)
    assert list(res.status_names) == ["cutoff_lower"]
    for part in parts:
        assert part in res.messages[0], part
