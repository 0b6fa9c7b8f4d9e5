"""A resumed sweep's warnings count the whole sweep, the cells kept from the file too.

Every even cell of this sweep starts at SOC 1, so its "Charge at 1C until 4.2 V" is
skipped at once (PyBaMM skips such steps too), and every cell's two-hour 1C discharge
reaches Chen2020's 2.5 V cut-off (the experiment is cut short). A run interrupted after
some cells and resumed used to say only what the resumed part did: "k of N cells skipped
a step" with k the resumed cells' count and its first cell one of theirs, and `ionflux
sweep --resume` the same for the cut-short experiments. The expected counts come from the
sweep's definition (N/2 skipping cells, the first cell 0; N cut short), and the test
checks them against the complete file as well."""
import json
import subprocess

import numpy as np
import pytest

import ionflux
from ionflux import _experiment
from conftest import interrupt_sweep_run

h5py = pytest.importorskip("h5py")

MESH = {"x_n": 10, "x_s": 6, "x_p": 10, "r_n": 10, "r_p": 10}
N = 40
SOC = [1.0 if i % 2 == 0 else 0.5 for i in range(N)]
EXPERIMENT = [("Charge at 1C until 4.2 V", "Discharge at 1C for 2 hours")]
SKIP = rf"{N // 2} of {N} cells skipped a step because its end condition already held when it began .*first: cell 0\)"


def _sweep():
    return ionflux.Sweep("Chen2020", vary={"Initial SOC": SOC}, mesh=MESH, experiment=EXPERIMENT)


def _interrupted(path, monkeypatch):
    """The sweep's file, interrupted (KeyboardInterrupt, as Ctrl-C) after some cells."""
    kept = interrupt_sweep_run(_sweep(), path, monkeypatch, threads=1, memory_budget=150000)
    if kept in (0, N):
        pytest.skip(f"the interruption left {kept} of {N} cells in the file")
    return kept


def _assert_the_file_says_so(path):
    """The complete file: the even cells skipped their first step, every experiment was cut short."""
    with h5py.File(path, "r") as f:
        assert f.attrs["status"] == "complete"
        duration = f["steps/Duration [s]"][:]
        assert np.array_equal(np.flatnonzero(duration[:, 0] == 0), np.arange(0, N, 2))
        assert all(_experiment.CUT_SHORT_MARK in m.decode() for m in f["cells/message"][:])


def test_a_resumed_sweep_run_counts_the_kept_cells_skipped_steps(tmp_path, monkeypatch):
    out = tmp_path / "resumed.h5"
    _interrupted(out, monkeypatch)
    with pytest.warns(ionflux.SolverWarning, match=SKIP):
        res = _sweep().run(output=out, resume=True, threads=1, progress=False)
    assert res.run_info["cells_with_skipped_steps"] == N // 2 and res.run_info["first_skipping_cell"] == 0
    _assert_the_file_says_so(out)


def test_ionflux_sweep_resume_counts_the_kept_cells_in_its_warnings(tmp_path, monkeypatch):
    from conftest import find_cli

    cli = find_cli()
    if cli is None:
        pytest.skip("the ionflux program is not built (set IONFLUX_CLI or build build/ionflux)")
    out, config = tmp_path / "resumed.h5", tmp_path / "sweep.json"
    kept = _interrupted(out, monkeypatch)
    _sweep().to_json(config)  # the same sweep: the same fingerprint
    assert json.loads(config.read_text())["vary"]["Initial SOC"] == SOC
    r = subprocess.run([cli, "sweep", str(config), "--output", str(out), "--threads", "1", "--resume"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert f"resuming: {kept} of {N} cells are in the file" in r.stdout, r.stdout
    assert (f"warning: {N} of {N} cells: a voltage cut-off of the parameter set stopped the experiment before its "
            f"end") in r.stderr, r.stderr
    assert f"warning: {N // 2} of {N} cells skipped a step" in r.stderr and "first: cell 0)" in r.stderr, r.stderr
    _assert_the_file_says_so(out)


def test_a_resumed_dask_run_counts_the_kept_cells_skipped_steps(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    out = tmp_path / "resumed.h5"
    _interrupted(out, monkeypatch)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) \
            as cluster, distributed.Client(cluster) as client:
        with pytest.warns(ionflux.SolverWarning, match=SKIP):
            res = _sweep().run(output=out, client=client, partitions=2, resume=True, progress=False)
    assert res.run_info["cells_with_skipped_steps"] == N // 2 and res.run_info["first_skipping_cell"] == 0
    _assert_the_file_says_so(out)
