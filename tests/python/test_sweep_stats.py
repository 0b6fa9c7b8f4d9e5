"""Per-cell solver statistics of a sweep: /stats in the HDF5 file (docs/hdf5_layout.md),
`SweepResult.stats` in memory and from the file, and each cell's `Solution.summary`."""
import numpy as np
import pytest

import ionflux

COARSE = {"x_n": 6, "x_s": 5, "x_p": 6, "r_n": 6, "r_p": 6}
COUNTERS = ("Steps", "Newton iterations", "Jacobian setups", "Residual evaluations", "Error test failures",
            "Convergence failures")


def _sweep():
    # three rates: the faster cells take more steps, so the rows cannot agree by accident
    return ionflux.Sweep("Chen2020", vary={"C-rate": [0.5, 1.0, 3.0]}, mesh=COARSE, period=60)


def test_sweep_stats_are_each_cells_own_single_run_counters(tmp_path):
    res = _sweep().run(device="cpu", threads=1, progress=False)
    stats = res.stats
    assert set(COUNTERS) == set(stats)
    for k, rate in enumerate([0.5, 1.0, 3.0]):
        # Expected: the same cell run alone by Simulation, which is a batch of one through
        # the same per-cell driver (tests/integration/test_single_road.cpp: bitwise equal
        # outputs), so its integrator counters are the same integers.
        alone = ionflux.Simulation("Chen2020", c_rate=rate, mesh=COARSE, period=60).solve()
        for name in COUNTERS:
            assert stats[name][k] == alone.summary[name], (rate, name)
        assert res[k].summary["Newton iterations"] == alone.summary["Newton iterations"]
    assert stats["Newton iterations"][2] > stats["Newton iterations"][0] > 0


def test_sweep_stats_in_the_file_equal_memory(tmp_path):
    h5py = pytest.importorskip("h5py")
    if not ionflux._core.has_hdf5():
        pytest.skip("built without HDF5")
    mem = _sweep().run(device="cpu", threads=1, progress=False).stats
    path = tmp_path / "s.h5"
    res = _sweep().run(output=path, device="cpu", threads=1, progress=False)
    with h5py.File(path, "r") as f:
        assert sorted(f["stats"]) == sorted(n for n in mem if n != "Steps")
        for name in f["stats"]:
            assert f["stats"][name].dtype == np.int32 and f["stats"][name].shape == (3,)
            assert np.array_equal(f["stats"][name][()], mem[name]), name
    for name, arr in ionflux.load(path).stats.items():
        assert np.array_equal(arr, mem[name]), name
    assert np.array_equal(res.stats["Jacobian setups"], mem["Jacobian setups"])
