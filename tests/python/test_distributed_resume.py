"""Sweep.run(resume=True, client=...): an interrupted file continued on a Dask cluster
(docs/distributed.md, "Resuming"). The file is checked and cut back in this process, the
cells it lacks are split into partitions that the workers run (each its own ranges), and
the file ends as an uninterrupted single-process run's: every dataset equal, the ragged
series cell by cell. The expected file is that single-process run, made here."""
import numpy as np
import pytest

import ionflux
from conftest import interrupt_sweep_run
from ionflux import distributed as idist

h5py = pytest.importorskip("h5py")
try:
    import distributed
except ImportError:
    distributed = None
needs_dask = pytest.mark.skipif(distributed is None, reason="dask.distributed is not installed (ionflux[distributed])")

MESH = {"x_n": 5, "x_s": 4, "x_p": 5, "r_n": 5, "r_p": 5}
N = 120


def _sweep():
    return ionflux.Sweep("Chen2020", vary={"C-rate": {"linspace": [0.5, 3.0, N]}}, mesh=MESH, period=120)


def test_resume_bounds_cover_the_missing_cells_once_in_ranges():
    status = np.zeros(20, dtype=np.int32)
    status[[3, 4, 5, 9, 10, 11, 12, 13, 18, 19]] = -1
    # the 10 missing cells in 3 partitions of 3, 3 and 4 of them ([3, 4, 5], [9, 10, 11],
    # [12, 13, 18, 19]), the last cut where kept cells lie between
    bounds = idist.resume_bounds(status, lambda n: idist.partition_bounds(n, 3))
    assert bounds == [(3, 6), (9, 12), (12, 14), (18, 20)]
    cells = np.concatenate([np.arange(a, b) for a, b in bounds])
    assert np.array_equal(cells, np.flatnonzero(status == -1))
    assert idist.resume_bounds(np.zeros(5, dtype=np.int32), lambda n: [(0, n)]) == []


def _interrupted(path, monkeypatch):
    """A file of the sweep interrupted (KeyboardInterrupt, as Ctrl-C) after some cells."""
    return interrupt_sweep_run(_sweep(), path, monkeypatch, threads=1, memory_budget=200000)


def _assert_same_sweep(got, ref):
    with h5py.File(got, "r") as g, h5py.File(ref, "r") as r:
        assert g.attrs["status"] == "complete"
        names = []
        r.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        got_names = []
        g.visititems(lambda n, o: got_names.append(n) if isinstance(o, h5py.Dataset) else None)
        assert sorted(got_names) == sorted(names)
        go, gc, ro, rc = g["cells/offset"][:], g["cells/count"][:], r["cells/offset"][:], r["cells/count"][:]
        assert np.array_equal(gc, rc)
        n_points = int(rc.sum())
        for name in names:
            if name == "cells/offset":
                continue
            x, y = g[name][()], r[name][()]
            assert x.shape == y.shape, name
            if name.startswith("cells/") and x.ndim == 1 and x.shape[0] == n_points != len(rc):
                for i in range(len(rc)):  # each cell's outputs (their order in the series may differ)
                    assert np.array_equal(x[go[i]:go[i] + gc[i]], y[ro[i]:ro[i] + rc[i]]), (name, i)
            else:
                assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), name


@needs_dask
@pytest.mark.filterwarnings("ignore::ionflux.SolverWarning")  # 2 cells at 3C fail on this coarse mesh, in every run
def test_resume_with_a_client_equals_an_uninterrupted_run(tmp_path, monkeypatch):
    ref = tmp_path / "ref.h5"
    _sweep().run(output=ref, threads=1, progress=False)
    out = tmp_path / "resumed.h5"
    kept = _interrupted(out, monkeypatch)
    if kept == N:
        pytest.skip("the sweep finished before the interruption")
    assert kept > 0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) \
            as cluster, distributed.Client(cluster) as client:
        res = _sweep().run(output=out, client=client, partitions=3, resume=True, progress=False)
        assert res.run_info["partitions"] >= 3  # the missing cells, in 3 partitions (cut at kept cells)
        # the workers planned only the missing cells (and each partition the sweep's cell 0 once
        # more for the protocol check at most): nothing already in the file ran again
        assert res.run_info["planned_cells"] <= (N - kept) + res.run_info["partitions"]
        with h5py.File(out, "r") as f:
            assert f"resumed: {kept} cells were in the file" in f.attrs["distributed"]
        _assert_same_sweep(out, ref)
        # a complete file resumed: nothing to run, the file unchanged
        again = _sweep().run(output=out, client=client, resume=True, progress=False)
        assert again.run_info["partitions"] == 0
        _assert_same_sweep(out, ref)
    with pytest.raises(ValueError, match="different sweep"):
        ionflux.Sweep("Chen2020", vary={"C-rate": [1.0, 2.0]}, mesh=MESH).run(
            output=out, client="tcp://127.0.0.1:1", resume=True, progress=False)


@needs_dask
@pytest.mark.filterwarnings("ignore::ionflux.SolverWarning")
def test_cli_scheduler_resume_equals_an_uninterrupted_run(tmp_path, monkeypatch):
    import os
    import subprocess
    import sys

    from conftest import find_cli

    cli = find_cli()
    if cli is None:
        pytest.skip("the ionflux program is not built (set IONFLUX_CLI or build build/ionflux)")
    ref, out, config = tmp_path / "ref.h5", tmp_path / "resumed.h5", tmp_path / "sweep.json"
    _sweep().run(output=ref, threads=1, progress=False)
    kept = _interrupted(out, monkeypatch)
    if kept == N:
        pytest.skip("the sweep finished before the interruption")
    _sweep().to_json(config)  # the same sweep (tests/python/test_sweep_direct.py): the same fingerprint
    env = dict(os.environ, IONFLUX_PYTHON=sys.executable)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                                  dashboard_address=None) as cluster:
        r = subprocess.run([cli, "sweep", str(config), "--output", str(out), "--scheduler", cluster.scheduler.address,
                            "--partitions", "2", "--resume"], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert f"resuming: {kept} of {N} cells are in the file" in r.stdout, r.stdout
    # the summary counts this run's cells, not the ones kept from the file
    assert f"Done: {N - kept} cells in " in r.stdout, r.stdout
    assert f"; {kept} cells kept from the file, {N} in all" in r.stdout, r.stdout
    _assert_same_sweep(out, ref)
    r = subprocess.run([cli, "sweep", str(config), "--output", str(tmp_path / "none.h5"), "--scheduler",
                        "tcp://127.0.0.1:1", "--resume"], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 2 and "does not exist" in r.stderr, r.stderr
