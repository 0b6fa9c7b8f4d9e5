"""ionflux.SweepResult and ionflux.load: data access, summary, xarray, plots."""
import subprocess

import h5py
import matplotlib.axes
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from conftest import COARSE

import ionflux
from ionflux import Sweep, SweepResult

SUMMARY_COLUMNS = ["End time [s]", "End reason", "Discharge capacity [A.h]", "Energy [W.h]", "Mean voltage [V]",
                   "Steps", "Charge capacity [A.h]", "Discharge energy [W.h]", "Charge energy [W.h]"]
OUTPUTS = ["Time [s]", "Voltage [V]", "Current [A]", "Discharge capacity [A.h]"]
GRID_VARY = {"C-rate": [0.5, 1, 2], "Negative particle radius [m]": {"linspace": [3e-6, 8e-6, 4]},
             "Separator porosity": [0.4, 0.5]}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("results")
    out = {}
    out["grid"] = Sweep(vary=GRID_VARY, mesh=COARSE, period=120).run(device="cpu", output=d / "grid.h5",
                                                                     progress=False).path
    out["random"] = Sweep(vary={"C-rate": [1, 2], "Positive particle radius [m]": {"uniform": [3e-6, 6e-6]},
                                "Separator porosity": {"uniform": [0.3, 0.6]}, "Initial SOC": [0.9, 1.0]},
                          samples=3, seed=5, mesh=COARSE, period=120).run(device="cpu", output=d / "random.h5",
                                                                          progress=False).path
    out["zip"] = Sweep(vary={"C-rate": [0.5, 1, 2, 3], "Separator porosity": {"linspace": [0.3, 0.6, 4]}},
                       combine="zip", mesh=COARSE, period=120).run(device="cpu", output=d / "zip.h5",
                                                                   progress=False).path
    out["single"] = Sweep(mesh=COARSE, period=120).run(device="cpu", output=d / "single.h5", progress=False).path
    return out


@pytest.fixture(scope="module")
def grid(files):
    return ionflux.load(files["grid"])


# -- load ------------------------------------------------------------------------------------
def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such sweep file"):
        ionflux.load(tmp_path / "nope.h5")
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(ValueError, match="not a readable HDF5 file"):
        ionflux.load(tmp_path / "text.h5")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = [1, 2]
    with pytest.raises(ValueError, match="not an ionflux sweep file"):
        ionflux.load(str(tmp_path / "other.h5"))


def test_load_gives_a_sweep_result(files, grid):
    assert isinstance(grid, SweepResult)
    assert grid.path == files["grid"]
    assert grid.run_info == {}
    assert grid.n_cells == 24 and grid.n_times > 10
    assert grid.complete
    assert "24 cells" in repr(grid) and "complete" in repr(grid)


def test_attrs(grid):
    a = grid.attrs
    assert a["ionflux version"] == ionflux.__version__
    assert a["parameter set"] == "Chen2020"
    assert a["status"] == "complete"
    assert a["mesh"] == "x_n=8,x_s=6,x_p=8,r_n=6,r_p=6"
    assert a["combine"] == "grid"
    assert "Negative electrode OCP [V]" in a["parameters"]


# -- data --------------------------------------------------------------------------------------
def test_outputs(grid):
    for name in OUTPUTS:
        arr = grid[name]
        assert arr.shape == (24, grid.n_times) and arr.dtype == float
    t, v = grid["Time [s]"], grid["Voltage [V]"]
    assert np.all(t[:, 0] == 0.0)
    for i in range(24):
        ok = ~np.isnan(t[i])
        n = ok.sum()
        assert np.all(ok[:n]) and not ok[n:].any()  # NaN tail only
        assert np.all(np.isnan(v[i, n:])) and np.all(np.isfinite(v[i, :n]))
    np.testing.assert_allclose(grid["Current [A]"][:, 0], 5.0 * grid.inputs["C-rate"])


def test_inputs_are_in_grid_order(grid):
    assert grid.varied == list(GRID_VARY)
    inp = grid.inputs
    assert list(inp) == list(GRID_VARY)
    assert inp["C-rate"].tolist() == [0.5] * 8 + [1.0] * 8 + [2.0] * 8
    assert inp["Separator porosity"].tolist() == [0.4, 0.5] * 12
    np.testing.assert_allclose(inp["Negative particle radius [m]"][:8:2], np.linspace(3e-6, 8e-6, 4))
    inp["C-rate"] = None  # a copy of the dict
    assert "C-rate" in grid.inputs
    np.testing.assert_array_equal(grid["C-rate"], grid.inputs["C-rate"])


def test_status_and_messages(grid):
    assert grid.status.dtype == np.int32 and grid.status.tolist() == [2] * 24
    assert list(grid.status_names) == ["cutoff_lower"] * 24
    assert list(grid.messages) == ["reached the lower voltage cut-off"] * 24
    assert grid.status_codes[-1] == "not_run" and grid.status_codes[10] == "invalid_input"


def test_summary_dataframe(grid):
    df = grid.summary
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == list(GRID_VARY) + SUMMARY_COLUMNS
    assert df.index.name == "cell" and len(df) == 24
    assert (df["End reason"] == "cutoff_lower").all()
    assert df["Steps"].dtype == np.int32 and (df["Steps"] > 0).all()
    np.testing.assert_array_equal(df["End time [s]"], np.nanmax(grid["Time [s]"], axis=1))
    np.testing.assert_allclose(df["Mean voltage [V]"], df["Energy [W.h]"] / df["Discharge capacity [A.h]"])
    # lower C-rate -> more capacity
    means = df.groupby("C-rate")["Discharge capacity [A.h]"].mean()
    assert means.is_monotonic_decreasing
    np.testing.assert_array_equal(grid.to_xarray(outputs=False)["Discharge capacity [A.h]"].values.ravel(),
                                  df["Discharge capacity [A.h]"])
    np.testing.assert_array_equal(grid["End time [s]"], df["End time [s]"])


def test_unknown_variable(grid):
    with pytest.raises(KeyError, match="did you mean 'Voltage \\[V\\]'"):
        grid["Voltage"]
    with pytest.raises(ionflux.UnknownVariableError, match="did you mean 'C-rate'"):
        grid["C rate"]
    assert "Voltage [V]" in grid and "C-rate" in grid and "nope" not in grid
    assert set(OUTPUTS) <= set(grid.variables)


def test_cell(grid):
    c = grid.cell(5)
    ok = ~np.isnan(grid["Time [s]"][5])
    np.testing.assert_array_equal(c["Voltage [V]"], grid["Voltage [V]"][5][ok])
    assert c["C-rate"] == 0.5 and c["status"] == "cutoff_lower"
    assert c["End time [s]"] == c["Time [s]"][-1]
    assert grid.cell(-1)["C-rate"] == 2.0
    with pytest.raises(IndexError):
        grid.cell(24)


# -- xarray ----------------------------------------------------------------------------------
def test_to_xarray_grid(grid):
    ds = grid.to_xarray()
    assert isinstance(ds, xr.Dataset)
    assert ds["Voltage [V]"].dims == ("C-rate", "Negative particle radius [m]", "Separator porosity", "time index")
    assert ds.sizes["C-rate"] == 3 and ds.sizes["Negative particle radius [m]"] == 4
    assert ds.sizes["Separator porosity"] == 2 and ds.sizes["time index"] == grid.n_times
    assert ds["C-rate"].values.tolist() == [0.5, 1.0, 2.0]
    assert ds["Separator porosity"].values.tolist() == [0.4, 0.5]
    assert ds["End time [s]"].dims == ("C-rate", "Negative particle radius [m]", "Separator porosity")
    for name in SUMMARY_COLUMNS[:1] + SUMMARY_COLUMNS[3:] + ["status", "cell index"]:
        assert name in ds.data_vars, name
    maps = grid.to_xarray(outputs=False)
    assert "Discharge capacity [A.h]" in maps.data_vars and "time index" not in maps.dims
    # every cell lands where its inputs say
    v = grid["Voltage [V]"]
    for cell in [0, 7, 13, 23]:
        sel = ds.sel({name: grid.inputs[name][cell] for name in grid.varied})
        assert int(sel["cell index"]) == cell
        np.testing.assert_array_equal(sel["Voltage [V]"].values, v[cell])
        assert float(maps.sel({name: grid.inputs[name][cell] for name in grid.varied})["Discharge capacity [A.h]"]) \
            == grid.summary["Discharge capacity [A.h]"][cell]
    assert ds.attrs["parameter set"] == "Chen2020"


def test_to_xarray_grid_with_random_block(files):
    res = ionflux.load(files["random"])
    assert res.n_cells == 12 and res.is_grid
    ds = res.to_xarray()
    assert ds["Voltage [V]"].dims == ("C-rate", "sample", "Initial SOC", "time index")
    assert ds["Positive particle radius [m]"].dims == ("sample",)
    assert ds["Separator porosity"].dims == ("sample",)
    sel = ds.isel({"C-rate": 1, "sample": 2, "Initial SOC": 0})
    cell = int(sel["cell index"])
    assert cell == 1 * 6 + 2 * 2 + 0
    assert float(sel["Separator porosity"]) == res.inputs["Separator porosity"][cell]
    np.testing.assert_array_equal(sel["Voltage [V]"].values, res["Voltage [V]"][cell])


def test_to_xarray_zip(files):
    res = ionflux.load(files["zip"])
    assert not res.is_grid
    ds = res.to_xarray()
    assert ds["Voltage [V]"].dims == ("cell", "time index")
    assert ds["C-rate"].dims == ("cell",) and ds["C-rate"].values.tolist() == [0.5, 1, 2, 3]
    np.testing.assert_allclose(ds["Separator porosity"].values, [0.3, 0.4, 0.5, 0.6])
    assert ds["End time [s]"].dims == ("cell",)
    np.testing.assert_array_equal(ds["Voltage [V]"].values, res["Voltage [V]"])


def test_to_xarray_sampled(tmp_path):
    res = Sweep(vary={"Separator porosity": {"uniform": [0.3, 0.6]}, "C-rate": {"uniform": [0.5, 2]}},
                samples=4, sampling="latin_hypercube", mesh=COARSE, period=300).run(
        device="cpu", output=tmp_path / "lhs.h5", progress=False)
    for r in (res, ionflux.load(res.path)):
        assert not r.is_grid
        ds = r.to_xarray()
        assert ds["Voltage [V]"].dims == ("cell", "time index")
        assert ds["C-rate"].dims == ("cell",) and ds["Separator porosity"].dims == ("cell",)
        np.testing.assert_array_equal(ds["C-rate"].values, r.inputs["C-rate"])
        assert isinstance(r.plot_heatmap("Energy [W.h]"), matplotlib.axes.Axes)  # a scatter


def test_single_cell_sweep(files):
    res = ionflux.load(files["single"])
    assert res.n_cells == 1 and res.varied == [] and res.inputs == {}
    assert list(res.summary.columns) == SUMMARY_COLUMNS
    ds = res.to_xarray()
    assert ds["Voltage [V]"].dims == ("time index",)
    sim = ionflux.Simulation(mesh=COARSE, period=120).solve()
    ok = ~np.isnan(res["Time [s]"][0])
    np.testing.assert_array_equal(res["Voltage [V]"][0][ok], sim["Voltage [V]"])
    with pytest.raises(ValueError, match="two varied inputs"):
        res.plot_heatmap()
    assert isinstance(res.plot_voltage(), matplotlib.axes.Axes)


def test_cli_file_loads_the_same(cli, files, tmp_path):
    s = Sweep(vary=GRID_VARY, mesh=COARSE, period=120)
    s.to_json(tmp_path / "cfg.json")
    r = subprocess.run([cli, "sweep", str(tmp_path / "cfg.json"), "--output", str(tmp_path / "cli.h5"),
                        "--device", "cpu", "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    mine, theirs = ionflux.load(files["grid"]), ionflux.load(tmp_path / "cli.h5")
    assert theirs.varied == mine.varied and theirs.is_grid
    pd.testing.assert_frame_equal(theirs.summary, mine.summary)
    a, b = mine.to_xarray(), theirs.to_xarray()
    a.attrs, b.attrs = {}, {}
    xr.testing.assert_identical(a, b)


# -- plots -------------------------------------------------------------------------------------
def test_plot_voltage(grid):
    ax = grid.plot_voltage()
    assert isinstance(ax, matplotlib.axes.Axes)
    assert len(ax.collections) == 1 and len(ax.collections[0].get_segments()) == 24
    assert len(ax.figure.axes) == 2  # with a colorbar
    assert ax.figure.axes[1].get_ylabel() == "C-rate"
    ax = grid.plot_voltage(color_by="Negative particle radius [m]", x="Discharge capacity [A.h]", cells=[0, 1])
    assert ax.get_xlabel() == "Discharge capacity [A.h]"
    assert len(ax.collections[0].get_segments()) == 2
    import matplotlib.pyplot as plt

    fig, own = plt.subplots()
    assert grid.plot_voltage(ax=own) is own
    with pytest.raises(KeyError, match="did you mean 'C-rate'"):
        grid.plot_voltage(color_by="C rate")
    with pytest.raises(KeyError):
        grid.plot_voltage(x="Energy")


def test_plot_heatmap(grid):
    ax = grid.plot_heatmap()
    assert isinstance(ax, matplotlib.axes.Axes)
    assert ax.get_xlabel() == "C-rate" and ax.get_ylabel() == "Negative particle radius [\u00b5m]"  # display units
    mesh = ax.collections[0]
    data = np.asarray(mesh.get_array()).reshape(4, 3)
    df = grid.summary
    expected = df.groupby(["Negative particle radius [m]", "C-rate"])["Discharge capacity [A.h]"].mean()
    np.testing.assert_allclose(data, expected.to_numpy().reshape(4, 3))
    assert "mean over Separator porosity" in ax.get_title()
    ax = grid.plot_heatmap("Energy [W.h]", x="Separator porosity", y="C-rate",
                           where={"Negative particle radius [m]": 3e-6 + 5e-6 / 3})  # a grid value
    data = np.asarray(ax.collections[0].get_array()).reshape(3, 2)
    pick = df[np.isclose(df["Negative particle radius [m]"], 3e-6 + 5e-6 / 3)]
    np.testing.assert_allclose(data, pick.pivot(index="C-rate", columns="Separator porosity",
                                                values="Energy [W.h]").to_numpy())
    assert "at Negative particle radius = 4.67 \u00b5m" in ax.get_title()  # 3 + 5/3 µm


def test_plot_heatmap_errors(grid):
    with pytest.raises(KeyError, match="did you mean 'Energy \\[W.h\\]'"):
        grid.plot_heatmap("Energy")
    with pytest.raises(KeyError, match="not a varied input"):
        grid.plot_heatmap(x="Separator porosty")
    with pytest.raises(ValueError, match="must be different"):
        grid.plot_heatmap(x="C-rate", y="C-rate")
    with pytest.raises(ValueError, match="cannot fix"):
        grid.plot_heatmap(x="C-rate", y="Separator porosity", where={"C-rate": 1})


def test_plot_heatmap_scatter_for_zip(files):
    res = ionflux.load(files["zip"])
    ax = res.plot_heatmap("Mean voltage [V]")
    assert len(ax.collections) == 1 and len(ax.collections[0].get_offsets()) == 4


def test_read_some_cells(grid):
    v = grid["Voltage [V]"]
    np.testing.assert_array_equal(grid.read("Voltage [V]", [5, 1, 5]), v[[5, 1, 5]])
    np.testing.assert_array_equal(grid.read("Voltage [V]", 3), v[3])
    np.testing.assert_array_equal(grid.read("Voltage [V]", -1), v[-1])
    np.testing.assert_array_equal(grid.read("Time [s]", slice(2, 6)), grid["Time [s]"][2:6])
    mask = grid.inputs["C-rate"] == 1.0
    np.testing.assert_array_equal(grid.read("Current [A]", mask), grid["Current [A]"][mask])
    np.testing.assert_array_equal(grid.read("Voltage [V]"), v)
    assert grid.read("Voltage [V]", []).shape == (0, grid.n_times)
    with pytest.raises(IndexError):
        grid.read("Voltage [V]", [24])
    with pytest.raises(IndexError):
        grid.read("Voltage [V]", np.ones(3, dtype=bool))
    with pytest.raises(KeyError, match="did you mean 'Voltage \\[V\\]'"):
        grid.read("Voltage", [0])


def test_plot_voltage_thins_many_curves(grid):
    ax = grid.plot_voltage(max_curves=5)
    assert len(ax.collections[0].get_segments()) == 5
    assert ax.get_title() == "5 of 24 cells shown (one in 5)"


def _cli_sweep(tmp_path, name, config_text, *extra):
    """`ionflux sweep` of `config_text` into tmp_path/name.h5 (skips where the program is
    not built); the file's path."""
    from conftest import find_cli
    cli = find_cli()
    if cli is None:
        pytest.skip("the ionflux program is not built (set IONFLUX_CLI or build build/ionflux)")
    config = tmp_path / f"{name}.json"
    config.write_text(config_text)
    out = tmp_path / f"{name}.h5"
    r = subprocess.run([cli, "sweep", str(config), "--output", str(out), "--quiet", *extra], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return out


def test_a_cell_range_file_numbers_its_cells_as_the_sweep_does(tmp_path):
    # `ionflux sweep --cells 1:4` writes cells 1, 2, 3 of the sweep, /cells/index their
    # numbers: the summary's index and xarray's "cell index" are those numbers, not the
    # file's rows (res[i] stays the file's row i)
    config = ('{"mesh": {"x_n": 5, "x_s": 5, "x_p": 5, "r_n": 5, "r_p": 5}, '
              '"vary": {"C-rate": [0.5, 1, 2, 3, 4]}}')
    res = ionflux.load(_cli_sweep(tmp_path, "part", config, "--cells", "1:4"))
    assert list(res.summary.index) == [1, 2, 3] and res.summary.index.name == "cell"
    assert list(res.summary["C-rate"]) == [1, 2, 3]
    assert list(res.to_xarray(outputs=False)["cell index"].values) == [1, 2, 3]
    assert res[0].summary["End time [s]"] == res.summary.loc[1, "End time [s]"]
    assert isinstance(ionflux.load(_cli_sweep(tmp_path, "whole", config)).summary.index, pd.RangeIndex)


def test_a_cli_files_cells_know_their_experiments_steps(tmp_path):
    # the CLI's file keeps its config's path, not its JSON: a cell read back from it said
    # "0 steps in 0 cycles" (a new-user audit); the cycles' steps now come from /steps/Cycle
    out = _cli_sweep(tmp_path, "cyc", '{"mesh": {"x_n": 5, "x_s": 5, "x_p": 5, "r_n": 5, "r_p": 5}, "period": 120, '
                     '"experiment": [["Discharge at 1C for 10 minutes", "Rest for 5 minutes"]], "cycles": 3, '
                     '"vary": {"Initial SOC": [0.8, 0.9]}}')
    sol = ionflux.load(out)[1]
    assert "6 steps in 3 cycles" in repr(sol), repr(sol)
    assert list(sol.step_summary["Cycle"]) == [0, 0, 1, 1, 2, 2]
