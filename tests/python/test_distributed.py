"""Sweeps on Dask (issue 12 item 5; docs/distributed.md): a LocalCluster of 2 worker
processes x 1 thread writes the same file, or returns the same in-memory results, as
one process; each worker plans only its partitions' cells; a worker killed mid-sweep
loses and duplicates no cell (file and memory); an unreachable scheduler is one clear
error; the in-memory road needs no h5py; and ``ionflux sweep CONFIG --scheduler
ADDRESS`` goes the same way.

The expected values are always the single-process run of the same sweep, made in the
same test (every cell is integrated independently, so the numbers must be identical,
bit for bit, whichever process and thread run a cell).
"""
import json
import logging
import os
import subprocess
import sys
import warnings

import h5py
import numpy as np
import pytest

import ionflux
from ionflux import distributed as idist

from conftest import find_cli

try:
    import distributed
except ImportError:  # CI installs it (scripts/install_python.sh --test); elsewhere these tests skip
    distributed = None

needs_dask = pytest.mark.skipif(distributed is None, reason="dask.distributed is not installed (ionflux[distributed])")

#: Attributes that say when, where and how fast a run went: the only ones that may differ.
RUN_ATTRS = {"created", "device", "wall time [s]", "distributed", "config"}

# 12 cells: a CC-CV cycle whose hold voltage and C-rate vary (per-cell protocols:
# /steps, /cycles), the lumped thermal model (/cells/Temperature [K]), and cells 8..11
# with a porosity the active material leaves no room for (invalid_input: no outputs).
# With 5 or 6 partitions the last one holds only invalid cells: planned alone, it must
# still have the sweep's /steps and /cycles columns.
CONFIG = {
    "parameters": "Chen2020",
    "mesh": {"x_n": 5, "x_s": 4, "x_p": 5, "r_n": 5, "r_p": 5},
    "thermal": "lumped",
    "experiment": [["Discharge at {C-rate}C for 8 minutes", "Charge at 1C until {Hold voltage [V]} V",
                    "Hold at {Hold voltage [V]} V for 2 minutes"]],
    "vary": {"Negative electrode porosity": [0.25, 0.2, 0.3], "C-rate": [1, 2],
             "Hold voltage [V]": [4.0, 4.1]},
}


def _sweep():
    return ionflux.Sweep(CONFIG["parameters"], mesh=CONFIG["mesh"], thermal=CONFIG["thermal"],
                         experiment=[tuple(c) for c in CONFIG["experiment"]], vary=CONFIG["vary"])


def datasets(path):
    """Every dataset of the file as an array, keyed by its path."""
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[...]) if isinstance(obj, h5py.Dataset) else None)
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
    return out, attrs


def layout(path):
    """Every group's attributes, and every dataset's type, shape, HDF5 chunks, maximum
    shape, fill value and attributes, keyed by path."""
    out = {}
    with h5py.File(path, "r") as f:
        def note(name, obj):
            attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in obj.attrs.items()}
            if isinstance(obj, h5py.Dataset):
                fill = None if obj.dtype.kind == "O" else obj.fillvalue
                out[name] = (str(obj.dtype), obj.shape, obj.chunks, obj.maxshape, repr(fill), repr(attrs))
            else:
                out[name] = repr(attrs)
        f.visititems(note)
    return out


def assert_same_file(expected, actual):
    """Every dataset of `expected` exactly equal in `actual` (NaN where NaN), no more datasets,
    with the same layout (chunks, fill values, attributes: `layout`); every root attribute
    equal except the run's own (RUN_ATTRS)."""
    a, a_attrs = datasets(expected)
    b, b_attrs = datasets(actual)
    assert sorted(a) == sorted(b)
    a_layout, b_layout = layout(expected), layout(actual)
    for name in a_layout:
        assert a_layout[name] == b_layout[name], name
    for name in a:
        x, y = a[name], b[name]
        assert x.dtype == y.dtype and x.shape == y.shape, name
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), name
    assert set(b_attrs) - set(a_attrs) <= RUN_ATTRS
    for k in set(a_attrs) - RUN_ATTRS:
        assert a_attrs[k] == b_attrs[k], k
    assert b_attrs["status"] == "complete"


def assert_same_memory(expected, actual):
    """Every in-memory dataset, input and attribute of `expected` (a SweepResult held in
    memory) exactly equal in `actual` (NaN where NaN), no more; attributes except RUN_ATTRS."""
    a, b = expected._memory, actual._memory
    assert a is not None and b is not None and actual.path is None
    assert sorted(a._datasets) == sorted(b._datasets)
    for name, x in a._datasets.items():
        x, y = x[...], b._datasets[name][...]
        assert x.dtype == y.dtype and x.shape == y.shape, name
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), name
        assert a._datasets[name].attrs == b._datasets[name].attrs, name
    assert sorted(a._inputs) == sorted(b._inputs)
    for name in a._inputs:
        assert np.array_equal(a._inputs[name][...], b._inputs[name][...]), name
    assert set(b.attrs) - set(a.attrs) <= RUN_ATTRS
    for k in set(a.attrs) - RUN_ATTRS:
        assert a.attrs[k] == b.attrs[k], k
    assert b.attrs["status"] == "complete"


@pytest.fixture(scope="module")
def cluster():
    """2 worker processes x 1 thread (as in CI: 2 cores)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                     silence_logs=logging.CRITICAL)
    client = distributed.Client(c)
    yield client
    client.close()
    c.close()


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    """The sweep run in this process (the expected file)."""
    path = tmp_path_factory.mktemp("single") / "single.h5"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = _sweep().run(output=path, device="cpu", threads=2, progress=False)
    assert res.n_cells == 12
    status = res.status_names
    assert list(status[8:]) == ["invalid_input"] * 4 and "invalid_input" not in list(status[:8])
    return str(path)


@pytest.fixture(scope="module")
def single_memory():
    """The sweep run in this process, results in memory (the expected results)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = _sweep().run(device="cpu", threads=2, progress=False)
    assert res.n_cells == 12 and res.path is None
    return res


def test_partitions_are_ranges_of_the_cells():
    assert idist.partition_bounds(10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert idist.partition_bounds(2, 5) == [(0, 1), (1, 2)]
    assert idist.partition_bounds(7, 1) == [(0, 7)]
    for n, workers in ((10000, 2), (10**6, 8), (3, 2), (1, 4), (77, 1)):
        bounds = idist.guided_bounds(n, workers)
        assert bounds[0][0] == 0 and bounds[-1][1] == n  # every cell once, in order
        assert all(b[1] == c[0] for b, c in zip(bounds, bounds[1:]))
        sizes = [b - a for a, b in bounds]
        assert min(sizes) >= 1 and max(sizes) <= idist.MAX_PARTITION_CELLS
        assert sizes[:-1] == sorted(sizes[:-1], reverse=True)  # big first, small last
    # 10,000 cells on 2 workers: 1/4 of what is left each time, down to 10000/32
    assert [b - a for a, b in idist.guided_bounds(10000, 2)][:3] == [2500, 1875, 1407]


def test_a_range_is_planned_alone_and_gives_the_whole_sweeps_cells(single_memory):
    from ionflux import _core

    sweep = _sweep()
    runner = _core.SweepRunner(sweep.to_json(), "ionflux.Sweep", (5, 10))  # the config a Dask worker gets
    assert (runner.n_cells, runner.first_cell, runner.sweep_cells) == (5, 5, 12)
    assert runner.planned_cells == 5 + 1  # its cells, and the sweep's cell 0 for the protocol check
    part = runner.run("", "cpu", 1, 0)["memory"]
    whole = single_memory._memory  # the expected rows: cells 5..9 of the whole run, bit for bit
    for name in whole._datasets:
        x, y = whole[name][...], np.asarray(part[name])
        if name == "steps/Cycle":
            assert np.array_equal(x, y)
        elif name.startswith("cells/") and name not in idist._CELL_ROWS:  # each cell's outputs
            off, cnt = whole["cells/offset"][...], whole["cells/count"][...]
            assert np.array_equal(x[off[5]:off[9] + cnt[9]], y, equal_nan=True), name
        elif name != "cells/offset":
            assert np.array_equal(x[5:10], y, equal_nan=x.dtype.kind == "f"), name
    # a range of a 10^6-cell grid plans its 5 cells and nothing else (counted, not timed)
    big = json.dumps({"parameters": "Chen2020", "t_end": 60,  # (not a Sweep: that would plan every cell)
                      "vary": {"C-rate": {"linspace": [0.5, 2, 1000]},
                               "Negative particle radius [m]": {"linspace": [4e-6, 8e-6, 1000]}}})
    small = _core.SweepRunner(big, "test", (500000, 500005))
    assert (small.n_cells, small.sweep_cells, small.planned_cells) == (5, 10**6, 5)


def test_a_range_planned_with_the_drivers_plan_builds_no_cell_and_gives_the_same_cells(single_memory):
    # what a Dask worker gets: the config, its range, and what the driver's plan of the
    # whole sweep found for those cells (SweepRunner.planned_range); cells 6..11 hold the
    # invalid cells 8..11 (their message must come through) and every cell has its own
    # default end time
    from ionflux import _core

    sweep = _sweep()
    whole = sweep._runner  # the driver's plan (Sweep(...) plans every cell)
    planned = whole.planned_range(6, 12)
    assert [c for c, _ in planned["invalid"]] == [2, 3, 4, 5] and planned["end_invalid"] == []
    assert planned["currents"].shape == (6,) and planned["t_end"].shape == (6,)
    runner = _core.SweepRunner(sweep.to_json(), "ionflux.Sweep", (6, 12), planned)
    # no cell record built: only the sweep's cell 0 for the protocol check (without
    # `planned`: 6 + 1, test_a_range_is_planned_alone_and_gives_the_whole_sweeps_cells)
    assert (runner.n_cells, runner.first_cell, runner.planned_cells) == (6, 6, 1)
    alone = _core.SweepRunner(sweep.to_json(), "ionflux.Sweep", (6, 12))
    assert alone.planned_cells == 6 + 1
    assert runner.attributes["t_end [s]"] == alone.attributes["t_end [s]"]  # the range's longest end, as planned alone
    part = runner.run("", "cpu", 1, 0)["memory"]
    whole_mem = single_memory._memory  # the expected rows: cells 6..11 of the whole run, bit for bit
    off, cnt = whole_mem["cells/offset"][...], whole_mem["cells/count"][...]
    for name in whole_mem._datasets:
        x, y = whole_mem[name][...], np.asarray(part[name])
        if name == "steps/Cycle":
            assert np.array_equal(x, y)
        elif name.startswith("cells/") and name not in idist._CELL_ROWS:  # each cell's outputs
            assert np.array_equal(x[off[6]:off[11] + cnt[11]], y, equal_nan=True), name
        elif name != "cells/offset":
            assert np.array_equal(x[6:12], y, equal_nan=x.dtype.kind == "f"), name
    # a plan that does not fit the range is refused, not run
    with pytest.raises(ValueError, match="planned cells"):
        _core.SweepRunner(sweep.to_json(), "ionflux.Sweep", (6, 11), planned)
    with pytest.raises(ValueError, match="planned"):
        _core.SweepRunner(sweep.to_json(), "ionflux.Sweep", (6, 12), {"currents": [1.0]})


def test_a_partition_of_a_sweep_started_at_a_voltage_takes_each_cells_soc_from_the_drivers_plan():
    # initial_soc "3.9 V" with varied parameters: each cell's SOC is found once, by the
    # driver's plan, and travels with the partition (planned_range's "initial_soc"); the
    # partition gives the whole run's rows, cells/initial_soc included (NaN for cell 3,
    # whose own 100% SOC voltage, 3.8 V, is below 3.9 V: invalid_input)
    from ionflux import _core

    mesh = {"x_n": 5, "x_s": 5, "x_p": 5, "r_n": 5, "r_p": 5}
    sweep = ionflux.Sweep("Chen2020", initial_soc="3.9 V", mesh=mesh, c_rate=1.0, combine="zip",
                          vary={"Negative electrode thickness [m]": [6e-5, 7e-5, 8e-5, 9e-5, 1e-4],
                                "Open-circuit voltage at 100% SOC [V]": [4.2, 4.2, 4.2, 3.8, 4.2]})
    planned = sweep._runner.planned_range(1, 5)  # the driver's plan (Sweep(...) plans every cell)
    with pytest.warns(ionflux.SolverWarning, match="invalid_input 1"):
        whole = sweep.run(progress=False)._memory
    soc = whole["cells/initial_soc"][...]
    assert np.isfinite(soc[[0, 1, 2, 4]]).all() and np.isnan(soc[3]) and len(set(soc[[0, 1, 2, 4]])) == 4
    np.testing.assert_array_equal(planned["initial_soc"], soc[1:5])
    runner = _core.SweepRunner(sweep.to_json(), "ionflux.Sweep", (1, 5), planned)
    assert runner.planned_cells == 0  # no cell record built, no SOC found again
    part = runner.run("", "cpu", 1, 0)["memory"]
    off, cnt = whole["cells/offset"][...], whole["cells/count"][...]
    for name in whole._datasets:
        x, y = whole[name][...], np.asarray(part[name])
        if name.startswith("cells/") and name not in idist._CELL_ROWS:  # each cell's outputs
            assert np.array_equal(x[off[1]:off[4] + cnt[4]], y, equal_nan=True), name
        elif name != "cells/offset":
            assert np.array_equal(x[1:5], y, equal_nan=x.dtype.kind == "f"), name
    # initial SOCs that do not fit the range, or a running cell without one: refused
    with pytest.raises(ValueError, match="planned cells: 3 initial SOCs for 4 cells"):
        _core.SweepRunner(sweep.to_json(), "ionflux.Sweep", (1, 5), dict(planned, initial_soc=soc[1:4]))
    with pytest.raises(ValueError, match="planned cells: cell 1 runs but its initial SOC is missing"):
        _core.SweepRunner(sweep.to_json(), "ionflux.Sweep", (1, 5),
                          dict(planned, initial_soc=np.full(4, np.nan)))


def test_partitions_in_memory_are_joined_in_cell_order_once_each():
    # synthetic partitions of a 10-cell sweep whose later cells have many more outputs
    # (the ragged buffers must grow), arriving out of order and one twice; the expected
    # datasets are the partitions' arrays one after the other, offsets shifted
    rng = np.random.default_rng(1)
    bounds = [(0, 3), (3, 4), (4, 8), (8, 10)]
    counts = [np.array([1, 2, 0]), np.array([5]), np.array([40, 0, 33, 7]), np.array([90, 120])]
    parts = []
    for (a, b), count in zip(bounds, counts):
        n, pts = b - a, int(count.sum())
        parts.append({"cells/Time [s]": rng.random(pts), "cells/Step": rng.random(pts),
                      "cells/offset": np.concatenate(([0], np.cumsum(count)[:-1])).astype(np.int64),
                      "cells/count": count.astype(np.int64), "cells/status": np.arange(a, b, dtype=np.int32),
                      "cells/device": np.zeros(n, dtype=np.int32), "cells/message": [f"m{i}" for i in range(a, b)],
                      "summary/End reason": [f"r{i}" for i in range(a, b)], "summary/Energy [W.h]": rng.random(n),
                      "steps/Capacity [A.h]": rng.random((n, 3)), "steps/Cycle": np.array([0, 0, 1]),
                      "status codes": "0: running", "inputs": {"x": np.arange(a, b) * 0.5}, "attrs": {"a": "p"}})
    asm = idist._Assembler(10, bounds, {"a": "whole"})
    for k in (2, 0, 3):
        assert asm.add(k, dict(parts[k]), {"k": k})
        assert not asm.complete()
    assert not asm.add(2, dict(parts[2]), {"k": 2})  # delivered twice: taken once
    assert asm.add(1, dict(parts[1]), {"k": 1}) and asm.complete()
    out = asm.result({"status": "complete"})
    for key in ("cells/Time [s]", "cells/Step", "cells/count", "cells/status", "summary/Energy [W.h]",
                "steps/Capacity [A.h]"):
        expected = np.concatenate([p[key] for p in parts])
        assert out[key].dtype == expected.dtype and np.array_equal(out[key], expected), key
    all_counts = np.concatenate(counts)
    assert np.array_equal(out["cells/offset"], np.concatenate(([0], np.cumsum(all_counts)[:-1])))
    assert out["cells/message"] == [f"m{i}" for i in range(10)]
    assert out["summary/End reason"] == [f"r{i}" for i in range(10)]
    assert np.array_equal(out["inputs"]["x"], np.arange(10) * 0.5)
    assert np.array_equal(out["steps/Cycle"], [0, 0, 1])
    assert out["attrs"] == {"a": "whole", "status": "complete"}


def test_the_driver_writes_partitions_straight_into_the_file_in_cell_order_once_each(single, tmp_path,
                                                                                      monkeypatch):
    # The partitions' in-memory results, as the workers return them (the ranges run
    # here), given to the driver's file writer out of order and one twice; with
    # SPOOL_BYTES 0 every partition that comes before its turn waits on disk. The
    # expected file is the single-process run's (fixture `single`); nothing but the
    # output is left in its folder (no partition file), and the spool folder is removed.
    from ionflux import _core

    monkeypatch.setattr(idist, "SPOOL_BYTES", 0)
    config = _sweep().to_json()
    planner = _core.SweepRunner(config, "ionflux.Sweep")
    bounds = [(0, 3), (3, 5), (5, 9), (9, 12)]  # the last: only invalid cells (no outputs)
    parts = [_core.SweepRunner(config, "ionflux.Sweep", (a, b), planner.planned_range(a, b)).run(
        "", "cpu", 1)["memory"] for a, b in bounds]
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "dask.h5"
    writer = idist._FileWriter(str(out), 12, bounds, planner)
    for k in (2, 3):
        assert writer.add(k, parts[k], {})
    assert sorted(os.listdir(writer.spool_dir)) == ["part-2.pickle", "part-3.pickle"]
    spool = writer.spool_dir
    assert not writer.add(2, parts[2], {})  # delivered twice: taken once
    assert writer.add(0, parts[0], {}) and writer.written() == 3 and not writer.complete()
    with h5py.File(single, "r") as f:  # what run_sweep sets at the end (tested with the cluster below)
        end = {k: f.attrs[k] for k in ("bytes per cell", "status counts")}
    assert writer.add(1, parts[1], {}) and writer.complete()
    writer.close("complete", end)
    assert_same_file(single, out)
    assert os.listdir(folder) == ["dask.h5"] and not os.path.exists(spool)
    other = idist._FileWriter(str(folder / "other.h5"), 12, bounds, planner)
    with pytest.raises(RuntimeError, match="came back with 2 cells instead of 0:3"):
        other.add(0, parts[1], {})
    other.close(None, {})


#: A reader in its own process (as a user watching a run): opens `path` as a SWMR reader
#: and keeps it open; for each line on stdin it refreshes the datasets and prints the
#: cells whose status is written, and whether their rows and outputs equal `ref`'s.
WATCHER = r"""
import json, sys
import h5py, numpy as np
ROWS = ["cells/status", "cells/count", "summary/End time [s]", "summary/Discharge capacity [A.h]",
        "steps/End time [s]", "cycles/Discharge capacity [A.h]"]
SERIES = ["cells/Time [s]", "cells/Voltage [V]", "cells/Temperature [K]"]
with h5py.File(sys.argv[2], "r") as r, h5py.File(sys.argv[1], "r", swmr=True) as f:
    print("open", flush=True)
    for line in sys.stdin:
        for name in ROWS + SERIES + ["cells/offset"]:
            f[name].refresh()
        done = np.flatnonzero(f["cells/status"][...] != -1)
        same = all(np.array_equal(f[n][done], r[n][done], equal_nan=True) for n in ROWS)
        fo, fc, ro = f["cells/offset"][...], f["cells/count"][...], r["cells/offset"][...]
        for n in SERIES:
            x, y = f[n][...], r[n][...]
            same = same and all(np.array_equal(x[fo[i]:fo[i] + fc[i]], y[ro[i]:ro[i] + fc[i]]) for i in done)
        print(json.dumps({"done": done.tolist(), "same": bool(same)}), flush=True)
"""

#: ionflux.load in its own process: the cells with a status, and whether their voltages
#: and messages equal `ref`'s.
LOADER = r"""
import json, sys, warnings
import numpy as np
import ionflux
warnings.simplefilter("ignore")
res, ref = ionflux.load(sys.argv[1]), ionflux.load(sys.argv[2])
done = np.flatnonzero(res.status != -1)
v, w = res["Voltage [V]"][done], ref["Voltage [V]"][done]  # padded with NaN to the longest cell
same = np.array_equal(v, w[:, :v.shape[1]], equal_nan=True) and np.isnan(w[:, v.shape[1]:]).all()
same = same and list(res.messages[done]) == list(ref.messages[done])
print(json.dumps({"done": done.tolist(), "same": bool(same)}))
"""


def test_a_dask_runs_file_can_be_watched_while_its_partitions_are_written(single, tmp_path):
    # Issue 15 item 3 on the Dask road: the driver's writer is the single process's (the
    # C++ sink, in SWMR mode), so a reader in another process opens the file while it
    # is written and, between partitions, sees exactly the partitions written so far,
    # each cell equal to the single-process run's (fixture `single`). The partitions are
    # the workers' results (the ranges run here) handed to the driver's writer one by
    # one, one before its turn. (The h5py writer before held the file open read-write,
    # not in SWMR mode: the reader could not open it until the run ended.)
    from ionflux import _core

    config = _sweep().to_json()
    planner = _core.SweepRunner(config, "ionflux.Sweep")
    bounds = [(0, 3), (3, 5), (5, 9), (9, 12)]
    parts = [_core.SweepRunner(config, "ionflux.Sweep", (a, b), planner.planned_range(a, b)).run(
        "", "cpu", 1)["memory"] for a, b in bounds]
    out = tmp_path / "watched.h5"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    writer = idist._FileWriter(str(out), 12, bounds, planner)
    watcher = subprocess.Popen([sys.executable, "-c", WATCHER, str(out), single], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        first = watcher.stdout.readline().strip()
        assert first == "open", watcher.communicate(timeout=60)[1]  # opened before the first partition

        def watch():
            watcher.stdin.write("check\n")
            watcher.stdin.flush()
            return json.loads(watcher.stdout.readline())

        def load():
            p = subprocess.run([sys.executable, "-c", LOADER, str(out), single], capture_output=True, text=True,
                               env=env, timeout=120)
            assert p.returncode == 0, p.stderr
            return json.loads(p.stdout)

        assert watch() == {"done": [], "same": True}
        assert writer.add(1, parts[1], {})  # before its turn: waits, nothing written
        assert watch() == {"done": [], "same": True}
        assert writer.add(0, parts[0], {})
        assert watch() == {"done": [0, 1, 2, 3, 4], "same": True}
        assert load() == {"done": [0, 1, 2, 3, 4], "same": True}
        assert writer.add(2, parts[2], {})
        assert watch() == {"done": list(range(9)), "same": True}
        assert load() == {"done": list(range(9)), "same": True}
        assert writer.add(3, parts[3], {}) and writer.complete()
        assert watch() == {"done": list(range(12)), "same": True}
    finally:
        watcher.stdin.close()
        watcher.wait(timeout=60)
    with h5py.File(single, "r") as r:
        end = {"bytes per cell": r.attrs["bytes per cell"], "status counts": writer.status_counts()[0]}
    writer.close("complete", end)
    assert_same_file(single, out)  # the reading changed nothing


def test_a_partition_that_does_not_fit_the_file_is_one_error_before_anything_is_written(single, tmp_path):
    # The writer checks a partition's arrays against its cells and the file's steps and
    # cycles before it writes: a partition whose /cycles lack a column is refused, and
    # the file keeps what it had.
    from ionflux import _core

    config = _sweep().to_json()
    planner = _core.SweepRunner(config, "ionflux.Sweep")
    part = _core.SweepRunner(config, "ionflux.Sweep", (0, 3), planner.planned_range(0, 3)).run("", "cpu", 1)["memory"]
    out = tmp_path / "refused.h5"
    sweep_file = planner.open_file(str(out))
    ce = part["cycles/Coulombic efficiency"]
    bad = dict(part, **{"cycles/Coulombic efficiency": np.hstack([ce, ce])})  # 2 cycles; the sweep has 1
    with pytest.raises(ValueError, match="cycles/Coulombic efficiency' does not have 1 cycles"):
        sweep_file.write(0, bad)
    del bad["cycles/Coulombic efficiency"]
    with pytest.raises(RuntimeError, match=r"cells \[0, 0 \+ 3\).*cycle summaries are not 3 cells x 1 cycles"):
        sweep_file.write(0, bad)
    short = dict(part, **{"summary/Energy [W.h]": part["summary/Energy [W.h]"][:2]})
    with pytest.raises(ValueError, match="summary/Energy \\[W.h\\]' is not an array of 3 rows"):
        sweep_file.write(0, short)
    sweep_file.write(0, part)
    sweep_file.close()
    with h5py.File(out, "r") as f:
        assert (f["cells/status"][:3] != -1).all() and (f["cells/status"][3:] == -1).all()
        assert "status" not in f.attrs  # no write failed: the file was not marked


def test_a_write_failure_on_the_dask_road_is_the_single_processs_error_and_keeps_the_written_cells(
        single, tmp_path, monkeypatch):
    # Issue 15 item 4 on the Dask road: the driver writes through the single process's
    # writer, so a write that fails (injected inside HDF5: IONFLUX_FAULT_H5_WRITE=2, the
    # second partition written) is its one error, naming the file and the cells safe in
    # it; the partition written before reads back as the single-process run's cells, and
    # the spool is removed when the driver closes the writer.
    from ionflux import _core

    monkeypatch.setenv("IONFLUX_FAULT_H5_WRITE", "2")  # read when the file is created
    config = _sweep().to_json()
    planner = _core.SweepRunner(config, "ionflux.Sweep")
    bounds = [(0, 3), (3, 5), (5, 12)]
    parts = [_core.SweepRunner(config, "ionflux.Sweep", (a, b), planner.planned_range(a, b)).run(
        "", "cpu", 1)["memory"] for a, b in bounds]
    out = tmp_path / "failed.h5"
    monkeypatch.setattr(idist, "SPOOL_BYTES", 0)
    writer = idist._FileWriter(str(out), 12, bounds, planner)
    assert writer.add(2, parts[2], {}) and writer.spool_dir is not None  # waits on disk
    spool = writer.spool_dir
    assert writer.add(0, parts[0], {})
    with pytest.raises(RuntimeError, match=r"fault injected.*; 3 of 12 cells are safe in it") as e:
        writer.add(1, parts[1], {})
    assert f"'{out}'" in str(e.value)
    writer.close("failed (as run_sweep closes it)", {})  # the file is closed already: nothing more
    assert not os.path.exists(spool)
    with h5py.File(out, "r") as f, h5py.File(single, "r") as r:
        assert f.attrs["status"].startswith("failed: cannot write /cells/Voltage [V]")
        status = f["cells/status"][...]
        assert (status[:3] != -1).all() and (status[3:] == -1).all()
        np.testing.assert_array_equal(f["summary/End time [s]"][:3], r["summary/End time [s]"][:3])
        n = int(f["cells/count"][:3].sum())
        np.testing.assert_array_equal(f["cells/Voltage [V]"][:n], r["cells/Voltage [V]"][:n])


@needs_dask
def test_two_workers_write_the_single_process_file(cluster, single, tmp_path, capsys):
    out = tmp_path / "dask.h5"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = _sweep().run(output=out, client=cluster, partitions=5, progress=True)
    assert_same_file(single, out)
    bar = capsys.readouterr().err  # one bar over the cells of all workers
    assert "ionflux sweep (dask)" in bar and "12/12" in bar and "/5" not in bar
    assert res.run_info["partitions"] == 5
    assert sum(res.run_info["workers"].values()) == 5
    # the workers built no cell record to plan their partitions (the driver's plan of the
    # whole sweep travels with each: SweepRunner.planned_range), only the sweep's cell 0
    # once per partition, to check the per-cell protocols as the whole sweep does
    assert res.run_info["planned_cells"] == 5
    assert res.n_cells == 12 and res.status_names[8] == "invalid_input"
    with h5py.File(out, "r") as f:
        assert "cells/index" not in f  # the partitions' index is checked, not copied
        assert f.attrs["device"].startswith("dask: 5 partitions on")


@needs_dask
def test_two_workers_give_the_single_process_results_in_memory(cluster, single_memory, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = _sweep().run(client=cluster, partitions=5, progress=True)
    assert res.path is None  # no file: the partitions' arrays, assembled
    assert_same_memory(single_memory, res)
    assert res.run_info["partitions"] == 5 and res.run_info["planned_cells"] == 5  # (as above)
    bar = capsys.readouterr().err  # progress aggregated as for a file
    assert "ionflux sweep (dask)" in bar and "12/12" in bar
    assert res.attrs["device"].startswith("dask: 5 partitions on")
    assert res.attrs["status counts"] == single_memory.attrs["status counts"]
    # the public view reads the same
    for name in ("Energy [W.h]", "Voltage [V]", "Negative electrode porosity"):
        assert np.array_equal(np.asarray(res[name]), np.asarray(single_memory[name]), equal_nan=True), name


@needs_dask
@pytest.mark.parametrize("road", ["file", "memory"])
def test_a_worker_killed_mid_sweep_loses_and_duplicates_no_cell(cluster, single, single_memory, tmp_path,
                                                                 monkeypatch, road):
    marker = tmp_path / "killed"
    # partition 3 of 6 kills its worker process (SIGKILL) the first time it starts
    monkeypatch.setattr(idist, "_test_kill", (str(marker), 3))
    out = tmp_path / "dask.h5" if road == "file" else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = _sweep().run(output=out, client=cluster, partitions=6, progress=False)
    assert marker.exists(), "the worker was not killed: the test tested nothing"
    assert sum(res.run_info["workers"].values()) == 6
    if road == "memory":
        assert_same_memory(single_memory, res)  # every cell exactly once, no extra output
        status, offset, count = (res._memory[k][...] for k in ("cells/status", "cells/offset", "cells/count"))
        n_points = len(res._memory["cells/Time [s]"][...])
    else:
        assert_same_file(single, out)  # every cell exactly once: same rows, same ragged outputs, no extra
        with h5py.File(out, "r") as f:
            status, offset, count = (f[k][...] for k in ("cells/status", "cells/offset", "cells/count"))
            n_points = len(f["cells/Time [s]"])
    assert (status != -1).all()
    assert offset[0] == 0 and (offset[1:] == offset[:-1] + count[:-1]).all()
    assert n_points == count.sum()


@needs_dask
def test_an_unreachable_scheduler_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(idist, "CONNECT_TIMEOUT", 1.0)
    out = tmp_path / "never.h5"
    with pytest.raises(ConnectionError) as e:
        _sweep().run(output=out, client="tcp://127.0.0.1:1", progress=False)
    text = str(e.value)
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:1'" in text
    assert e.value.__cause__ is None  # one error, no chain of dask's
    assert e.value.__context__ is None or e.value.__suppress_context__
    assert not out.exists()


def test_partitions_without_a_client_is_an_error():
    with pytest.raises(ValueError, match="client="):
        _sweep().run(partitions=3, progress=False)


def _run_cli(args, **env):
    environ = dict(os.environ, IONFLUX_PYTHON=sys.executable)
    environ.update(env)
    return subprocess.run(args, capture_output=True, text=True, env=environ, timeout=300)


@needs_dask
def test_cli_scheduler_writes_the_single_process_file(cluster, tmp_path):
    cli = find_cli()
    if cli is None:
        pytest.skip("the ionflux program is not built (set IONFLUX_CLI or build build/ionflux)")
    config = tmp_path / "sweep.json"
    config.write_text(json.dumps(CONFIG))
    single, dask = tmp_path / "single.h5", tmp_path / "dask.h5"
    r = _run_cli([cli, "sweep", str(config), "--output", str(single), "--quiet"])
    assert r.returncode == 0, r.stderr
    address = cluster.scheduler.address
    r = _run_cli([cli, "sweep", str(config), "--output", str(dask), "--scheduler", address, "--partitions", "3"])
    assert r.returncode == 0, r.stderr
    assert "on the Dask cluster at " + address in r.stdout and "3 partitions" in r.stdout, r.stdout
    assert_same_file(single, dask)


@needs_dask
def test_cli_scheduler_warns_of_failed_cells_and_exits_1_when_none_was_solved(cluster, tmp_path):
    # as `ionflux sweep` without a scheduler (tests/integration/test_sweep_cli.cpp,
    # SweepCli.ASweepWhoseCellsAllFailExitsOne): 200C and 300C cross the cut-off at t = 0
    cli = find_cli()
    if cli is None:
        pytest.skip("the ionflux program is not built (set IONFLUX_CLI or build build/ionflux)")
    mesh = {"x_n": 6, "x_s": 4, "x_p": 6, "r_n": 5, "r_p": 5}
    for rates, code in (([1, 200], 0), ([200, 300], 1)):
        config = tmp_path / f"fail_{code}.json"
        config.write_text(json.dumps({"mesh": mesh, "period": 120, "vary": {"C-rate": rates}}))
        out = tmp_path / f"fail_{code}.h5"
        r = _run_cli([cli, "sweep", str(config), "--output", str(out), "--scheduler", cluster.scheduler.address,
                      "--quiet"])
        assert r.returncode == code, r.stderr
        n_failed = 1 if code == 0 else 2
        assert f"warning: {n_failed} of 2 cells did not end normally (cutoff_at_start {n_failed})" in r.stderr
        assert ("error: none of the 2 cells could be solved" in r.stderr) == (code == 1), r.stderr
        assert out.exists()


@needs_dask
def test_skipped_steps_are_said_on_the_dask_road_with_the_sweeps_cell_index(cluster, tmp_path):
    # as a sweep in one process says it (test_experiment.py, test_skipped_steps_are_said_on_
    # every_road): cells 2 and 3 start at SOC 1, so their "Charge ... until 4.2 V" is
    # skipped; they are the second partition's, whose own count starts at 0 (the Dask road
    # had said nothing)
    mesh = {"x_n": 6, "x_s": 4, "x_p": 6, "r_n": 5, "r_p": 5}
    config = {"mesh": mesh, "experiment": ["Charge at 1C until 4.2 V", "Discharge at 1C for 1 minute"],
              "vary": {"Initial SOC": [0.5, 0.6, 1.0, 1.0]}}
    sweep = ionflux.Sweep(mesh=mesh, experiment=[tuple(config["experiment"])], vary=config["vary"])
    with pytest.warns(ionflux.SolverWarning, match=r"2 of 4 cells skipped a step .*first: cell 2\)"):
        sweep.run(client=cluster, partitions=2, progress=False)
    cli = find_cli()
    if cli is None:
        pytest.skip("the ionflux program is not built (set IONFLUX_CLI or build build/ionflux)")
    (tmp_path / "skip.json").write_text(json.dumps(config))
    r = _run_cli([cli, "sweep", str(tmp_path / "skip.json"), "--output", str(tmp_path / "skip.h5"), "--scheduler",
                  cluster.scheduler.address, "--partitions", "2", "--quiet"])
    assert r.returncode == 0, r.stderr
    assert "warning: 2 of 4 cells skipped a step because its end condition already held" in r.stderr, r.stderr
    assert "first: cell 2)" in r.stderr, r.stderr


@needs_dask
def test_cli_scheduler_errors_are_one_line(cluster, tmp_path):
    cli = find_cli()
    if cli is None:
        pytest.skip("the ionflux program is not built (set IONFLUX_CLI or build build/ionflux)")
    config = tmp_path / "sweep.json"
    config.write_text(json.dumps(CONFIG))
    out = tmp_path / "never.h5"
    r = _run_cli([cli, "sweep", str(config), "--output", str(out), "--scheduler", "tcp://127.0.0.1:1"],
                 IONFLUX_DASK_CONNECT_TIMEOUT="1")
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ionflux: cannot reach the Dask scheduler at"), r.stderr
    # a Python that cannot import ionflux (no site-packages, no PYTHONPATH)
    wrapper = tmp_path / "python-without-ionflux"
    wrapper.write_text(f"#!/bin/sh\nexec {sys.executable} -I -S \"$@\"\n")
    wrapper.chmod(0o755)
    r = _run_cli([cli, "sweep", str(config), "--output", str(out), "--scheduler", cluster.scheduler.address],
                 IONFLUX_PYTHON=str(wrapper))
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 1 and len(lines) == 1, r.stderr
    assert "cannot import" in lines[0] and "ionflux[distributed]" in lines[0], r.stderr
    # a Python without dask.distributed (a stand-in package that fails to import comes first)
    (tmp_path / "nodask" / "distributed").mkdir(parents=True)
    (tmp_path / "nodask" / "distributed" / "__init__.py").write_text("raise ImportError('no dask here')\n")
    path = os.pathsep.join([str(tmp_path / "nodask")] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    r = _run_cli([cli, "sweep", str(config), "--output", str(out), "--scheduler", cluster.scheduler.address],
                 PYTHONPATH=path)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 1 and len(lines) == 1, r.stderr
    assert "need dask.distributed" in lines[0] and 'pip install "ionflux[distributed]"' in lines[0], r.stderr
    r = _run_cli([cli, "sweep", str(config), "--output", str(out), "--scheduler", "tcp://127.0.0.1:1"],
                 IONFLUX_PYTHON=str(tmp_path / "no-such-python"))
    assert r.returncode == 1 and "cannot start Python" in r.stderr, r.stderr
    assert not out.exists()


@needs_dask
def test_a_partition_that_keeps_failing_is_one_error_and_the_file_keeps_what_was_written(tmp_path, monkeypatch):
    # partition 2's task raises every time (its marker's folder does not exist), so after
    # its retries the run stops. One worker with one thread runs the partitions in order,
    # so partitions 0 and 1 (cells 0..5 of 12 in 4 partitions) are written before it
    # fails, and the cells after it are not.
    monkeypatch.setattr(idist, "_test_kill", (str(tmp_path / "no-such-folder" / "marker"), 2))
    out = tmp_path / "partial.h5"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None,
                                      silence_logs=logging.CRITICAL) as one, distributed.Client(one) as client:
            with pytest.raises(RuntimeError, match=r"partition 2 \(cells 6:9\) failed on the cluster: "
                                                   r"FileNotFoundError"):
                _sweep().run(output=out, client=client, partitions=4, progress=False)
    with h5py.File(out, "r") as f:
        status = f["cells/status"][...]
        assert f.attrs["status"].startswith("failed (")
        assert f.attrs["status"].endswith("6 of 12 cells written; cells with status -1 were not run")
    assert (status[:6] != -1).all() and (status[6:] == -1).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ionflux.load(out)
    assert list(res.status_names[6:]) == ["not_run"] * 6


def test_without_dask_a_client_is_one_clear_import_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if dask.distributed were not installed
    with pytest.raises(ImportError, match=r'pip install "ionflux\[distributed\]"') as e:
        _sweep().run(client="tcp://127.0.0.1:1", output=tmp_path / "s.h5", progress=False)
    assert e.value.__cause__ is None and e.value.__suppress_context__


_NO_H5PY_CHILD = r"""
import logging, sys, warnings
import numpy as np
import distributed, ionflux
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    sweep = ionflux.Sweep("Chen2020", mesh={"x_n": 5, "x_s": 4, "x_p": 5, "r_n": 5, "r_p": 5}, t_end=600,
                          vary={"C-rate": [0.5, 1, 2], "Negative particle radius [m]": [4e-6, 6e-6]})
    local = sweep.run(device="cpu", threads=1, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=logging.CRITICAL) as c, distributed.Client(c) as client:
        res = sweep.run(client=client, partitions=3, progress=False)
        workers_h5py = client.run(lambda: "h5py" in sys.modules)
assert "h5py" not in sys.modules, "h5py was imported"
assert not any(workers_h5py.values()), workers_h5py
assert res.path is None and res.n_cells == 6
for name in ("cells/Time [s]", "cells/Voltage [V]", "cells/offset", "cells/status", "summary/Energy [W.h]"):
    assert np.array_equal(local._memory[name][...], res._memory[name][...], equal_nan=True), name
print("OK")
"""


@needs_dask
def test_a_dask_run_in_memory_needs_no_h5py(tmp_path):
    # h5py cannot be imported (a stand-in package that fails comes first on the path) in
    # the client nor in its workers; the expected results are the same child's local run
    (tmp_path / "noh5py" / "h5py").mkdir(parents=True)
    (tmp_path / "noh5py" / "h5py" / "__init__.py").write_text("raise ImportError('no h5py here')\n")
    path = os.pathsep.join([str(tmp_path / "noh5py")] + sys.path)
    r = subprocess.run([sys.executable, "-c", _NO_H5PY_CHILD], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, PYTHONPATH=path), cwd=str(tmp_path))
    assert r.returncode == 0 and r.stdout.strip().endswith("OK"), r.stdout + r.stderr
