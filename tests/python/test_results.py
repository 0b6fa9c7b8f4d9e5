"""Issue 12 item 3: one results road. A sweep's results in memory (the memory sink) and in
its HDF5 file hold the same arrays; `SweepResult[i]` is the `Solution` a `Simulation` of
that cell returns; per-cycle summaries are computed once, by the compiled reducer
(solver/output/results.hpp), and equal the Python implementation it replaced; sweeps run
without an output file and without h5py."""
import json
import os
import re
import subprocess
import sys
import textwrap
import warnings

import h5py
import numpy as np
import pandas as pd
import pytest
from conftest import COARSE, REPO

import ionflux
from ionflux import ParameterSet, Simulation, Solution, Sweep
from ionflux import _experiment as exp

PROTOCOL = ("Discharge at {C-rate of discharge}C until 3.0 V", "Rest for 5 minutes", "Charge at 1C until 4.1 V",
            "Hold at 4.1 V until C/10")
CASES = {
    "constant current": dict(vary={"C-rate": [0.5, 2]}, mesh=COARSE, period=120),
    "thermal": dict(vary={"C-rate": [1, 2]}, mesh=COARSE, period=60, thermal="lumped"),
    "protocol": dict(vary={"C-rate of discharge": [0.5, 1]}, mesh=COARSE, period=60, experiment=[PROTOCOL], cycles=2,
                     thermal="lumped"),
    "parameter": dict(vary={"Negative particle radius [m]": [4e-6, 8e-6]}, mesh=COARSE, period=120),
}


def cycle_summaries_before_issue_12(steps, step_cycle, n_cycles):
    """The Python implementation of per-cycle summaries that issue 12 deleted, verbatim
    (python/ionflux/_experiment.py at commit cb35cca): the reference the compiled
    reducer is tested against."""
    start = np.asarray(steps["Start time [s]"], dtype=float)
    end = np.asarray(steps["End time [s]"], dtype=float)
    cap = np.asarray(steps["Capacity [A.h]"], dtype=float)
    energy = np.asarray(steps["Energy [W.h]"], dtype=float)
    if all(name in steps for name in exp.SPLIT_QUANTITIES):
        split = [np.asarray(steps[name], dtype=float) for name in exp.SPLIT_QUANTITIES]
    else:  # by the sign of each step's net capacity (no energy split)
        split = [np.where(cap > 0, cap, 0.0), np.where(cap < 0, -cap, 0.0),
                 np.full(cap.shape, np.nan), np.full(cap.shape, np.nan)]
    step_cycle = np.asarray(step_cycle)
    shape = start.shape[:-1] + (int(n_cycles),)
    out = {name: np.full(shape, np.nan) for name in exp.CYCLE_QUANTITIES}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices: cycles not reached
        for k in range(int(n_cycles)):
            mask = step_cycle == k
            if not mask.any():
                continue
            s, e, q, w = start[..., mask], end[..., mask], cap[..., mask], energy[..., mask]
            reached = ~np.all(np.isnan(s), axis=-1)
            t0, t1 = np.nanmin(s, axis=-1), np.nanmax(e, axis=-1)
            values = {
                "Start time [s]": t0,
                "End time [s]": t1,
                "Duration [s]": t1 - t0,
                "Net capacity [A.h]": np.nansum(q, axis=-1),  # "Capacity [A.h]" before issue 16
                "Energy [W.h]": np.nansum(w, axis=-1),
            }
            for name, arr in zip(exp.SPLIT_QUANTITIES, split):
                part = arr[..., mask]
                values[name] = np.where(np.all(np.isnan(part), axis=-1), np.nan, np.nansum(part, axis=-1))
            for name, v in values.items():
                out[name][..., k] = np.where(reached, v, np.nan)
    return out


def read_file(path):
    """Every dataset of a sweep file (strings decoded) by path, and the root attributes."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                data = obj[...]
                if data.dtype.kind == "O":
                    data = np.array([v.decode() if isinstance(v, bytes) else v for v in data], dtype=object)
                label = obj.attrs.get("name")
                out[f"inputs/{label}" if label is not None else name] = data
        f.visititems(visit)
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        codes = f["cells/status"].attrs["codes"]
    return out, attrs, codes.decode() if isinstance(codes, bytes) else codes


def read_memory(res):
    """The same from an in-memory SweepResult (its memory sink's datasets)."""
    mem = res._memory
    out = {name: ds[...] for name, ds in mem._datasets.items()}
    out.update({f"inputs/{name}": ds[...] for name, ds in mem["inputs"].items()})
    return out, dict(mem.attrs), mem["cells/status"].attrs["codes"]


def run_both(kwargs, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ionflux.SolverWarning)
        memory = Sweep(**kwargs).run(device="cpu", progress=False)
        on_disk = Sweep(**kwargs).run(device="cpu", output=tmp_path / "s.h5", progress=False)
    return memory, on_disk


@pytest.fixture(scope="module", params=list(CASES))
def both(request, tmp_path_factory):
    return request.param, run_both(CASES[request.param], tmp_path_factory.mktemp(request.param.replace(" ", "_")))


def test_memory_and_hdf5_hold_identical_arrays(both):
    name, (memory, on_disk) = both
    assert memory.path is None and on_disk.path is not None
    file_data, file_attrs, file_codes = read_file(on_disk.path)
    mem_data, mem_attrs, mem_codes = read_memory(memory)
    assert sorted(mem_data) == sorted(file_data)  # the same datasets (docs/hdf5_layout.md)
    for key, arr in file_data.items():
        got = mem_data[key]
        assert got.shape == arr.shape, key
        if arr.dtype.kind == "O":
            assert list(got) == list(arr), key
        else:
            assert got.dtype == arr.dtype, key
            np.testing.assert_array_equal(got, arr, err_msg=key)  # bit for bit (NaN = NaN)
    assert mem_codes == file_codes
    assert sorted(mem_attrs) == sorted(file_attrs)
    for key in file_attrs:
        if key not in ("created", "wall time [s]"):  # when, and how long, each run took
            assert mem_attrs[key] == file_attrs[key], key
    # and through the public API
    for v in on_disk.variables:
        np.testing.assert_array_equal(memory[v], on_disk[v], err_msg=v)
    assert memory.summary.equals(on_disk.summary)
    for group in ("steps", "cycles"):
        a, b = getattr(memory, group), getattr(on_disk, group)
        assert sorted(a) == sorted(b)
        for key in a:
            np.testing.assert_array_equal(a[key], b[key], err_msg=f"{group} {key}")
    for i in range(memory.n_cells):
        a, b = memory[i], on_disk[i]
        assert a.variables == b.variables
        for v in a.variables:
            np.testing.assert_array_equal(a[v], b[v])


def simulation_of_cell(name, res, i):
    """The Simulation of cell i of CASES[name], from the cell's varied values."""
    kw = dict(CASES[name])
    vary = kw.pop("vary")
    value = float(res.inputs[list(vary)[0]][i])
    if name == "protocol":
        kw["experiment"] = [tuple(s.replace("{C-rate of discharge}", f"{value:g}") for s in PROTOCOL)]
        return Simulation(**kw)
    if name == "parameter":
        ps = ParameterSet("Chen2020")
        ps["Negative particle radius [m]"] = value
        return Simulation(ps, **kw)
    return Simulation(c_rate=value, **kw)


def test_sweep_item_is_the_solution_of_a_simulation_of_that_cell(both):
    name, (memory, _) = both
    for i in range(memory.n_cells):
        cell = memory[i]
        assert isinstance(cell, Solution)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ionflux.SolverWarning)
            sol = simulation_of_cell(name, memory, i).solve()
        # the sweep keeps the time series (no internal fields, no states): the stored ones
        # and what derives from them (issue 13: the throughput capacity, the averaged cell
        # temperatures), the same names, same numbers
        series = [v for v in sol.variables if sol[v].ndim == 1 and not v.startswith(("x", "r_"))]
        assert [v for v in series if v in cell] == cell.variables
        assert {"Time [s]", "Voltage [V]", "Current [A]", "Discharge capacity [A.h]", "Temperature [K]", "Step",
                "Cycle", "Time [h]", "Power [W]", "Throughput capacity [A.h]",
                "X-averaged cell temperature [K]"} <= set(cell.variables)
        series = cell.variables
        # bit for bit: a sweep's cell is built as a Simulation builds it (parameters,
        # current, thermal model; with a protocol the first step's current, which the
        # initial guess reads) and runs the same per-cell code, so any difference is a
        # difference of inputs or roads, not of rounding
        for v in series:
            np.testing.assert_array_equal(cell[v], sol[v], err_msg=f"{name} cell {i}: {v}")
        assert cell.status == sol.status and cell.message == sol.message and cell.thermal == sol.thermal
        for key, value in sol.summary.items():
            if key in ("Wall time [s]", "Newton iterations", "Jacobian setups", "Residual evaluations",
                       "Error test failures"):  # not kept by sweeps
                continue
            if isinstance(value, str):
                assert cell.summary[key] == value, key
            else:
                np.testing.assert_array_equal(cell.summary[key], value, err_msg=key)
        cols = [c for c in sol.step_summary.columns if c != "Ended by"]  # not recorded by sweeps
        assert list(cell.step_summary.columns) == list(sol.step_summary.columns)
        np.testing.assert_array_equal(cell.step_summary.index, sol.step_summary.index)
        for c in cols:
            if not pd.api.types.is_numeric_dtype(sol.step_summary[c]):
                assert list(cell.step_summary[c]) == list(sol.step_summary[c]), c
            else:
                np.testing.assert_array_equal(cell.step_summary[c].to_numpy(float), sol.step_summary[c].to_numpy(float),
                                              err_msg=c)
        for c in sol.cycle_summary.columns:
            np.testing.assert_array_equal(cell.cycle_summary[c].to_numpy(), sol.cycle_summary[c].to_numpy(), err_msg=c)
        assert cell.experiment == sol.experiment
        # the applied current (exact where it is varied; else the cell's first output, to the
        # solver's tolerance) and the set's name in the repr; NaN under an experiment
        if sol.experiment is None:
            assert cell.current == pytest.approx(sol.current, rel=1e-6), (name, i)
        else:
            assert np.isnan(cell.current)
        assert repr(cell).startswith("<ionflux.Solution: Chen2020, "), repr(cell)
    with pytest.raises(IndexError):
        memory[memory.n_cells]
    assert memory[-1].t.size == memory.n_points[-1] and len(memory) == memory.n_cells
    # slices give the cells' Solutions in a list; other keys a TypeError that says what works
    assert [c.t.size for c in memory[1:]] == [memory[i].t.size for i in range(1, memory.n_cells)]
    assert memory[::-1][0].t.size == memory[-1].t.size and memory[memory.n_cells:] == []
    with pytest.raises(TypeError, match="indexed by a cell number"):
        memory[[0, 1]]


def test_cycle_summaries_equal_the_previous_python_implementation(tmp_path):
    memory, on_disk = run_both(CASES["protocol"], tmp_path)
    steps = on_disk.steps
    cyc = steps.pop("Cycle")
    old = cycle_summaries_before_issue_12(steps, cyc, on_disk.n_cycles)
    assert on_disk.n_cycles == 2 and np.isfinite(old["Net capacity [A.h]"]).all()
    for source in (on_disk.cycles, memory.cycles, exp.cycle_summaries(steps, cyc, on_disk.n_cycles)):
        assert set(old) <= set(source)  # and since issue 13 the efficiencies, throughputs, temperatures
        for key in old:  # the file's /cycles (writer), the memory sink's, and Python's: one reducer
            np.testing.assert_allclose(source[key], old[key], rtol=1e-12, atol=1e-12, err_msg=key)
    # records without the discharge/charge split (files before it): by the sign of the net capacity
    net = {k: steps[k] for k in ("Start time [s]", "End time [s]", "Capacity [A.h]", "Energy [W.h]")}
    old = cycle_summaries_before_issue_12(net, cyc, 2)
    new = exp.cycle_summaries(net, cyc, 2)
    for key in old:
        np.testing.assert_allclose(new[key], old[key], rtol=1e-12, atol=1e-12, err_msg=key)
    # a partly reached protocol: NaN steps left out, cycles never reached NaN
    partial = {k: v.copy() for k, v in steps.items()}
    for v in partial.values():
        v[0, 5:] = np.nan
        v[1, 3:] = np.nan
    old = cycle_summaries_before_issue_12(partial, cyc, 2)
    new = exp.cycle_summaries(partial, cyc, 2)
    assert np.isnan(new["Net capacity [A.h]"][1, 1]) and np.isfinite(new["Net capacity [A.h]"][0, 1])
    for key in old:
        np.testing.assert_allclose(new[key], old[key], rtol=1e-12, atol=1e-12, err_msg=key)
    # a single simulation's cycles (Solution.cycles) likewise
    sol = simulation_of_cell("protocol", memory, 0).solve()
    st = sol.step_summary
    per_step = {k: st[k].to_numpy(float) for k in ("Start time [s]", "End time [s]", "Capacity [A.h]",
                                                   "Energy [W.h]") + exp.SPLIT_QUANTITIES}
    old = cycle_summaries_before_issue_12(per_step, st["Cycle"].to_numpy(), 2)
    for key in old:
        np.testing.assert_allclose(sol.cycle_summary[key].to_numpy(), old[key], rtol=1e-12, atol=1e-12, err_msg=key)


def test_the_python_copy_of_the_cycle_reducer_is_gone():
    source = (REPO / "python" / "ionflux" / "_experiment.py").read_text()
    assert "nansum" not in source and "_core.cycle_summaries" in source


NO_H5PY = textwrap.dedent(r"""
    import importlib.abc, json, sys

    class NoH5py(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "h5py" or name.startswith("h5py."):
                raise ModuleNotFoundError("No module named 'h5py' (hidden by the test)", name=name)
            return None

    sys.meta_path.insert(0, NoH5py())
    sys.modules.pop("h5py", None)
    import numpy as np
    import ionflux

    mesh = {"x_n": 8, "x_s": 6, "x_p": 8, "r_n": 6, "r_p": 6}
    steps = ("Discharge at {C-rate of discharge}C until 3.0 V", "Rest for 5 minutes")
    s = ionflux.Sweep(vary={"C-rate of discharge": [0.5, 1]}, mesh=mesh, period=60, experiment=[steps], cycles=2)
    res = s.run(device="cpu", progress=False)
    out = {"path": res.path, "voltage": np.nan_to_num(res["Voltage [V]"], nan=-1).tolist(),
           "cycles": res.cycles["Discharge capacity [A.h]"].tolist(), "cell1": res[1]["Voltage [V]"].tolist(),
           "summary": res.summary["Discharge capacity [A.h]"].tolist()}
    filed = s.run(device="cpu", output=sys.argv[1], progress=False)  # written, kept in memory too
    out["filed_path"] = filed.path
    out["filed_voltage"] = np.nan_to_num(filed["Voltage [V]"], nan=-1).tolist()
    out["h5py_loaded"] = "h5py" in sys.modules
    try:
        import h5py  # noqa: F401
        out["h5py_importable"] = True
    except ImportError:
        out["h5py_importable"] = False
    print(json.dumps(out))
""")


def test_sweeps_run_without_h5py(tmp_path):
    out = tmp_path / "no_h5py.h5"
    # the child imports the same ionflux as this process (installed, or the checkout's)
    here = os.path.dirname(os.path.dirname(os.path.abspath(ionflux.__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([here, os.environ.get("PYTHONPATH", "")]))
    r = subprocess.run([sys.executable, "-c", NO_H5PY, str(out)], capture_output=True, text=True, env=env,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["h5py_importable"] is False and got["h5py_loaded"] is False
    assert got["path"] is None and got["filed_path"] == str(out)
    # the same numbers as a run here, with h5py (read from the file it wrote)
    ref = ionflux.load(out)
    np.testing.assert_array_equal(np.array(got["voltage"]), np.nan_to_num(ref["Voltage [V]"], nan=-1))
    np.testing.assert_array_equal(np.array(got["filed_voltage"]), np.nan_to_num(ref["Voltage [V]"], nan=-1))
    np.testing.assert_array_equal(np.array(got["cycles"]), ref.cycles["Discharge capacity [A.h]"])
    np.testing.assert_array_equal(np.array(got["cell1"]), ref[1]["Voltage [V]"])
    np.testing.assert_array_equal(np.array(got["summary"]), ref.summary["Discharge capacity [A.h]"].to_numpy())


def test_summary_names_are_one_set(both):
    # Solution.summary, SweepResult.summary, the file's /summary, SweepResult[i].summary,
    # res.cell(i)["summary"] and res.to_xarray(outputs=False) use the same names (the old
    # "End discharge capacity [A.h]" is deprecated: tests/python/test_summary_names.py)
    _, (memory, on_disk) = both
    file_data, _, _ = read_file(on_disk.path)
    file_names = {k.split("/", 1)[1] for k in file_data if k.startswith("summary/")}
    table = set(memory.summary.columns) - set(memory.varied)
    assert table == file_names
    assert table <= set(memory[0].summary)
    np.testing.assert_array_equal(memory.summary["Discharge capacity [A.h]"],
                                  [memory[i].summary["Discharge capacity [A.h]"] for i in range(memory.n_cells)])
    assert set(memory.cell(0)["summary"]) == file_names
    maps = memory.to_xarray(outputs=False)
    assert table <= set(maps.data_vars) and "End discharge capacity [A.h]" not in maps.data_vars


def test_ctrl_c_without_output_keeps_the_finished_cells_in_memory(monkeypatch, capsys):
    import ionflux.sweep as sweep_module

    s = Sweep(vary={"C-rate": {"linspace": [0.5, 2, 40]}, "Negative particle radius [m]":
                    {"linspace": [3e-6, 8e-6, 50]}}, period=60, t_end=7200)  # 2000 cells: many seconds
    n_times, chunk = 7200 // 60 + 2, 40

    def ctrl_c(runner):  # what Ctrl-C in the calling thread does, once two chunks are done
        if runner.progress()[0] >= 2 * chunk:
            raise KeyboardInterrupt

    monkeypatch.setattr(sweep_module, "_poll_hook", ctrl_c)
    with pytest.raises(KeyboardInterrupt) as e:
        s.run(device="cpu", memory_budget=(32 * n_times + 64) * chunk, progress=False)
    assert "partial_result" in capsys.readouterr().err
    res = e.value.partial_result
    assert res.path is None and not res.complete and res.attrs["status"].startswith("interrupted")
    ran = res.status != -1
    assert 2 * chunk <= ran.sum() < res.n_cells
    assert np.all(res.n_points[~ran] == 0) and np.all(res.n_points[ran] > 0)
    assert np.isnan(res["Voltage [V]"][~ran]).all() and np.isfinite(res["Voltage [V]"][ran, 0]).all()
    first = int(np.flatnonzero(ran)[0])
    assert res[first].status == res.status_names[first]


def test_cli_cycle_lines_come_from_the_same_reducer(cli, tmp_path):
    # `ionflux simulate` prints one line per cycle (solver/cli/cli.cpp, by reduce_cycles since
    # issue 12); they equal Solution.cycles of the same run to the 6 digits printed
    steps = ("Discharge at 1C until 3.0 V", "Rest for 5 minutes", "Charge at 1C until 4.1 V", "Hold at 4.1 V until C/10")
    args = [cli, "simulate", "--mesh", ",".join(f"{k}={v}" for k, v in COARSE.items()), "--period", "60",
            "--cycles", "2", "--output", str(tmp_path / "out.csv")]
    for s in steps:
        args += ["--experiment", s]
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    lines = re.findall(r"cycle (\d+): discharge (\S+) A\.h, (\S+) W\.h; charge (\S+) A\.h, (\S+) W\.h; (\S+) s",
                       r.stdout)
    assert [int(m[0]) for m in lines] == [0, 1]
    sol = Simulation(mesh=COARSE, period=60, experiment=[steps], cycles=2).solve()
    cols = ("Discharge capacity [A.h]", "Discharge energy [W.h]", "Charge capacity [A.h]", "Charge energy [W.h]",
            "Duration [s]")
    for k, m in enumerate(lines):
        for col, text in zip(cols, m[1:]):
            assert float(text) == float(f"{sol.cycle_summary[col].iloc[k]:.6g}"), (k, col)


def test_memory_and_file_of_one_interrupted_run_are_identical(tmp_path):
    # one run delivered to both sinks (keep_in_memory with an output: the tee), cancelled
    # after two chunks: the cells not run, and those in no chunk, read the same in both
    import threading

    from ionflux import _core
    from ionflux.result import SweepResult

    cfg = json.dumps({"vary": {"C-rate": {"linspace": [0.5, 2, 40]}, "Negative particle radius [m]":
                               {"linspace": [3e-6, 8e-6, 50]}}, "period": 60, "t_end": 7200})
    runner = _core.SweepRunner(cfg, "test")
    chunk = 50
    out = tmp_path / "cancel.h5"
    info = {}
    th = threading.Thread(target=lambda: info.update(runner.run(str(out), "cpu", 0, (32 * 122 + 64) * chunk, keep_in_memory=True)))
    th.start()
    while runner.progress()[0] < 2 * chunk and th.is_alive():
        threading.Event().wait(0.02)
    runner.cancel()
    th.join(timeout=60)
    assert not th.is_alive() and info["cancelled"] is True and info["not_run"] > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ionflux.SolverWarning)
        memory = SweepResult(memory=info.pop("memory"))
    file_data, file_attrs, _ = read_file(out)
    mem_data, mem_attrs, _ = read_memory(memory)
    assert sorted(mem_data) == sorted(file_data)
    for key, arr in file_data.items():
        if arr.dtype.kind == "O":
            assert list(mem_data[key]) == list(arr), key
        else:
            np.testing.assert_array_equal(mem_data[key], arr, err_msg=key)
    assert mem_attrs == file_attrs  # one run: the same attributes, "created" included
    assert "not_run" in set(file_data["summary/End reason"]) or "" in set(file_data["summary/End reason"])
