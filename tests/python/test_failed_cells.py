"""Failed cells in sweeps (issue 10 item 3) and `where` on the grid (item 4).

A failed cell (any status but a normal end or ``end_time_reached``) has NaN capacity,
energy and mean voltage; `Sweep.run` and `load` warn with the count per status; plots
leave failed cells out and mark where they are. ``plot_heatmap(where=...)`` takes only
values of the sweep (up to float round-off) and says which one it used.
"""
import shutil
import warnings

import h5py
import matplotlib.patches
import numpy as np
import pytest
from conftest import COARSE

import ionflux
from ionflux import SolverWarning, Sweep

# 200C is 1000 A for Chen2020 (5 A.h): the voltage is below the 2.5 V cut-off at t = 0,
# so those cells end "cutoff_at_start" (as the 1000 A cell of tests/equivalence/batch_cases.hpp).
VARY = {"C-rate": [1, 200], "Separator porosity": [0.4, 0.5], "Initial SOC": [1.0, 0.9]}
FAILING = [False] * 4 + [True] * 4  # grid order, C-rate slowest
NAN_SUMMARIES = ["Discharge capacity [A.h]", "Energy [W.h]", "Mean voltage [V]"]


@pytest.fixture(scope="module")
def failing(tmp_path_factory):
    path = tmp_path_factory.mktemp("failed") / "failing.h5"
    with pytest.warns(SolverWarning, match=r"4 of 8 cells did not end normally \(cutoff_at_start 4\); "
                                           r"failed cells have NaN capacity, energy and mean voltage"):
        res = Sweep(vary=VARY, mesh=COARSE, period=120).run(device="cpu", output=path, progress=False)
    return res


def test_failed_cells_have_nan_summaries(failing):
    assert failing.failed.tolist() == FAILING
    assert list(failing.status_names) == ["cutoff_lower"] * 4 + ["cutoff_at_start"] * 4
    assert failing.abnormal_counts == {"cutoff_at_start": 4}
    df = failing.summary
    bad = np.array(FAILING)
    for name in NAN_SUMMARIES:  # today's main: 0 A.h, 0 W.h and the voltage at t = 0
        assert np.all(np.isnan(df[name].to_numpy()[bad])), name
        assert np.all(np.isfinite(df[name].to_numpy()[~bad])), name
    assert np.all(df["End time [s]"].to_numpy()[bad] == 0.0)  # where they stopped
    assert (df["End reason"][bad] == "cutoff_at_start").all()
    assert np.isnan(failing.cell(5)["Energy [W.h]"]) and failing.cell(5)["status"] == "cutoff_at_start"
    assert "cut-off already crossed" in failing.messages[5]
    ds = failing.to_xarray()
    assert bool(ds["failed"].sel({"C-rate": 200}).all()) and not bool(ds["failed"].sel({"C-rate": 1}).any())
    assert np.all(np.isnan(ds["Mean voltage [V]"].sel({"C-rate": 200}).values))


def test_load_warns_and_masks_files_of_older_versions(failing, tmp_path):
    with pytest.warns(SolverWarning, match=r"4 of 8 cells did not end normally \(cutoff_at_start 4\)"):
        ionflux.load(failing.path)
    # a file written before failed cells got NaN summaries: 0 W.h, V(t=0) as the mean voltage
    old = tmp_path / "old.h5"
    shutil.copy(failing.path, old)
    with h5py.File(old, "r+") as f:
        for name in NAN_SUMMARIES:
            data = f[f"summary/{name}"][...]
            data[4:] = 0.88
            f[f"summary/{name}"][...] = data
    with pytest.warns(SolverWarning):
        res = ionflux.load(old)
    for name in NAN_SUMMARIES:
        assert np.all(np.isnan(res.summary[name].to_numpy()[4:]))


def test_no_warning_when_every_cell_ends_normally(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", SolverWarning)
        res = Sweep(vary={"C-rate": [1, 2]}, mesh=COARSE, period=120).run(device="cpu", output=tmp_path / "ok.h5",
                                                                          progress=False)
        ionflux.load(res.path)
    assert res.abnormal_counts == {} and not res.failed.any()


def _hatched(ax):
    return [p for p in ax.patches if isinstance(p, matplotlib.patches.Rectangle) and p.get_hatch()]


def test_heatmap_leaves_failed_cells_out_and_marks_them(failing):
    # x = C-rate (1, 200), y = porosity, mean over Initial SOC: the 200C column has no value
    ax = failing.plot_heatmap("Mean voltage [V]")
    data = ax.collections[0].get_array()
    assert data.shape == (2, 2)
    assert np.all(np.ma.getmaskarray(data)[:, 1])  # 200C: every cell failed, no value drawn
    df = failing.summary
    ok = df[~np.array(FAILING)]
    expected = ok.groupby("Separator porosity")["Mean voltage [V]"].mean().to_numpy()
    np.testing.assert_allclose(np.ma.getdata(data)[:, 0], expected)  # 1C: the mean of the cells that ran
    hatched = _hatched(ax)
    assert len(hatched) == 2 and {p.get_hatch() for p in hatched} == {"xx"}
    assert sorted((p.get_x(), p.get_y()) for p in hatched) == [(0.5, -0.5), (0.5, 0.5)]  # column 1
    legend = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert "cutoff_at_start 4" in legend
    assert "failed cells left out" in ax.get_title()


def test_heatmap_bin_with_some_failed_cells_shows_the_mean_of_the_others(failing):
    # x = porosity, y = Initial SOC, mean over C-rate: every bin has one failed cell (200C),
    # so each shows the 1C cell's value alone (today's main averages the 200C cell in)
    ax = failing.plot_heatmap("Energy [W.h]", x="Separator porosity", y="Initial SOC")
    data = ax.collections[0].get_array()
    df = failing.summary
    one_c = df[df["C-rate"] == 1].pivot(index="Initial SOC", columns="Separator porosity", values="Energy [W.h]")
    np.testing.assert_allclose(np.ma.getdata(data), one_c.loc[[1.0, 0.9]].to_numpy())  # y in grid order
    assert not np.ma.getmaskarray(data).any()
    hatched = _hatched(ax)
    assert len(hatched) == 4 and {p.get_hatch() for p in hatched} == {"//"}
    assert "cutoff_at_start 4" in " ".join(t.get_text() for t in ax.get_legend().get_texts())


def test_heatmap_where_must_be_a_grid_value(failing):
    # issue 10 item 4: today's main draws the 1C data titled "at C-rate = 50"
    with pytest.raises(ValueError, match=r"C-rate = 50 is not a value of the sweep; its values are 1, 200"):
        failing.plot_heatmap(x="Separator porosity", y="Initial SOC", where={"C-rate": 50})
    with pytest.raises(ValueError, match=r"Initial SOC = 0.95 .* 0.9, 1"):
        failing.plot_heatmap(where={"Initial SOC": 0.95})
    # a value within float round-off of a grid value is that value, and the title says which
    ax = failing.plot_heatmap("Energy [W.h]", where={"Initial SOC": 0.9 * (1 + 1e-15)})
    assert "at Initial SOC = 0.9" in ax.get_title() and "mean over" not in ax.get_title()
    data = ax.collections[0].get_array()
    df = failing.summary
    pick = df[(df["Initial SOC"] == 0.9) & (df["C-rate"] == 1)].sort_values("Separator porosity")
    np.testing.assert_allclose(np.ma.getdata(data)[:, 0], pick["Energy [W.h]"].to_numpy())
    assert np.all(np.ma.getmaskarray(data)[:, 1])


def test_scatter_marks_failed_cells_and_checks_where(tmp_path):
    with pytest.warns(SolverWarning, match=r"1 of 3 cells did not end normally \(cutoff_at_start 1\)"):
        res = Sweep(vary={"C-rate": [1, 200, 2], "Separator porosity": [0.4, 0.5, 0.6], "Initial SOC": [1, 1, 0.9]},
                    combine="zip", mesh=COARSE, period=120).run(device="cpu", output=tmp_path / "zip.h5",
                                                                progress=False)
    ax = res.plot_heatmap("Mean voltage [V]")
    good, bad = ax.collections[0], ax.collections[1]
    assert len(good.get_offsets()) == 2 and np.all(np.isfinite(good.get_array()))
    np.testing.assert_allclose(bad.get_offsets(), [[200, 0.5]])
    assert "cutoff_at_start 1" in ax.get_legend().get_texts()[0].get_text()
    with pytest.raises(ValueError, match=r"Initial SOC = 0.95 is not a value of the sweep; its values are 0.9, 1"):
        res.plot_heatmap(where={"Initial SOC": 0.95})
    ax = res.plot_heatmap(where={"Initial SOC": 1})  # the two cells at SOC 1, one of them failed
    assert len(ax.collections[0].get_offsets()) == 1 and len(ax.collections[1].get_offsets()) == 1
    assert "at Initial SOC = 1" in ax.get_title()


def test_plot_voltage_leaves_failed_cells_out(failing):
    ax = failing.plot_voltage()
    assert len(ax.collections[0].get_segments()) == 4  # the 4 cells that ran
    assert "not shown: 4 failed cells (cutoff_at_start 4)" in ax.get_title()
    bar = ax.figure.axes[1]
    assert bar.get_ylabel() == "C-rate"
    marks = [c for c in bar.collections if c.get_label() == "failed cells"]
    assert len(marks) == 1 and np.allclose(marks[0].get_offsets()[:, 1], 200)
    ax = failing.plot_voltage(cells=[0, 5])  # asked for explicitly: still left out, and said so
    assert len(ax.collections[0].get_segments()) == 1
    assert "not shown: 1 failed cells" in ax.get_title()


def test_a_failed_cell_keeps_the_steps_it_completed_as_a_simulation_does(tmp_path):
    # the third step (a hold at 2.0 V, below Chen2020's cut-off, from 80 % SOC) fails on
    # this mesh; the two before it completed. The sweep had left every step of the cycle
    # NaN while a Simulation of the cell showed both (a new-user audit). If a later solver
    # follows the hold, this test needs another failing step.
    exp = [("Discharge at 1C for 10 minutes", "Rest for 1 minute", "Hold at 2.0 V for 10 minutes")]
    mesh = {"x_n": 8, "x_s": 5, "x_p": 8, "r_n": 8, "r_p": 8}
    with pytest.warns(SolverWarning, match="could not be solved"):
        sol = ionflux.Simulation("Chen2020", initial_soc=0.8, experiment=exp, mesh=mesh).solve()
    assert sol.status in ("newton_failure", "error_test_failure", "nonphysical_state"), sol.status
    with pytest.warns(SolverWarning):
        res = Sweep("Chen2020", initial_soc=0.8, experiment=exp, vary={"Initial SOC": [0.8]}, mesh=mesh).run(
            output=tmp_path / "f.h5", progress=False)
    assert res.status_names[0] == sol.status
    ours, theirs = res[0].step_summary, sol.step_summary
    assert list(theirs.index) == [0, 1] and list(ours.index) == [0, 1]
    for col in ("Start time [s]", "End time [s]", "Duration [s]", "Capacity [A.h]", "Energy [W.h]"):
        np.testing.assert_array_equal(ours[col].to_numpy(), theirs[col].to_numpy(), err_msg=col)
    with h5py.File(tmp_path / "f.h5", "r") as f:
        assert np.isnan(f["steps/Duration [s]"][0, 2])  # the failed step has no record
        assert f["steps/Duration [s]"][0, 1] == 60.0
