"""Plots chemists read (issue 13 item 1) and the main job's answer (item 5).

Every public plot draws in display units (python/ionflux/_units.py): the tests read the
labels, tick texts, offset texts and the places of legends (their boxes against the
axes'), never pixels. The expected tick texts come from the sweep's own values: a
thickness of linspace(60e-6, 100e-6, 10) m reads 60, 64.4, ..., 100 under "[µm]".
"""
import json
import os
import pathlib
import subprocess
import sys

import matplotlib.pyplot as plt
import h5py
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from conftest import COARSE, REPO

import ionflux
from ionflux import Simulation, Sweep
from ionflux import report
from ionflux._units import display_unit, format_values

MICRO_M = "\u00b5m"
DEG_C = "\u00b0C"
THICKNESS = "Negative electrode thickness [m]"
RADIUS = "Negative particle radius [m]"
THICKNESSES = np.linspace(60e-6, 100e-6, 10)  # as examples/sweep_chen2020.json: ten values
RADII = [3e-6, 6e-6]
C_RATES = [1.0, 2.0]


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    path = tmp_path_factory.mktemp("plots") / "grid.h5"
    return Sweep("Chen2020", vary={THICKNESS: [float(v) for v in THICKNESSES], RADIUS: RADII, "C-rate": C_RATES},
                 mesh=COARSE, period=120).run(device="cpu", output=path, progress=False)


def _draw(fig):
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def _texts(labels):
    return [t.get_text() for t in labels if t.get_visible() and t.get_text()]


def _no_offsets(fig):
    """No axis of the figure shows an offset or multiplier text (``1e-5``, ``+3.6``)."""
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            assert axis.get_offset_text().get_text() == "", (ax.get_title(), axis.get_offset_text().get_text())


def _no_overlap(boxes):
    for a, b in zip(boxes, boxes[1:]):
        assert not a.overlaps(b), (a, b)


def _sorted_tick_boxes(axis, renderer, key):
    labels = [t for t in axis.get_ticklabels() if t.get_visible() and t.get_text()]
    boxes = [t.get_window_extent(renderer) for t in labels]
    return sorted(boxes, key=key)


# -- the unit table ---------------------------------------------------------------------------
def test_display_units_table():
    assert display_unit(THICKNESS).label == f"Negative electrode thickness [{MICRO_M}]"
    assert display_unit(THICKNESS)(85.2e-6) == pytest.approx(85.2)
    assert display_unit("Temperature [K]").label == f"Temperature [{DEG_C}]"
    assert display_unit("Temperature [K]")(298.15) == pytest.approx(25.0)  # 298.15 K = 25 °C
    assert display_unit("Temperature rise [K]").unit == "K"  # a difference stays in kelvin
    assert display_unit("Electrolyte concentration [mol.m-3]")(1000.0) == pytest.approx(1.0)  # mol/L
    assert display_unit("Electrolyte concentration [mol.m-3]").unit == "mol/L"
    assert display_unit("Negative electrode potential [V]", [-0.02, 0.0]).unit == "mV"  # small: mV
    assert display_unit("Voltage [V]", [2.5, 4.2]).unit == "V"
    assert display_unit("Time [s]", [0, 7200]).unit == "h"
    assert display_unit("Discharge capacity [A.h]").unit == "A.h"
    assert display_unit("Current [A]").unit == "A"
    assert display_unit("C-rate").label == "C-rate" and not display_unit("C-rate").scaled
    assert display_unit("Electrode height [m]", [0.065]).unit == "mm"  # not 65000 µm
    assert format_values(1e6 * THICKNESSES) == [f"{v:.3g}" for v in 1e6 * THICKNESSES]


# -- heat maps -------------------------------------------------------------------------------
def test_heatmap_ticks_read_in_micrometres(grid):
    # issue 13: the ticks read "5e-055.75e-05…0.0001000.00011" (run together)
    ax = grid.plot_heatmap("Discharge capacity [A.h]", x=THICKNESS, y=RADIUS)
    renderer = _draw(ax.figure)
    assert _texts(ax.get_xticklabels()) == [f"{v:.3g}" for v in 1e6 * THICKNESSES]  # "60", "64.4", ..., "100"
    assert _texts(ax.get_xticklabels())[0] == "60" and _texts(ax.get_xticklabels())[-1] == "100"
    assert _texts(ax.get_yticklabels()) == ["3", "6"]
    assert MICRO_M in ax.get_xlabel() and ax.get_xlabel() == f"Negative electrode thickness [{MICRO_M}]"
    assert MICRO_M in ax.get_ylabel()
    _no_overlap(_sorted_tick_boxes(ax.xaxis, renderer, key=lambda b: b.x0))
    _no_overlap(_sorted_tick_boxes(ax.yaxis, renderer, key=lambda b: b.y0))
    bar = ax.figure.axes[1]
    assert bar.get_ylabel() == "Discharge capacity [A.h]"
    _no_offsets(ax.figure)
    # the values stay SI in the result; the mesh holds the (unscaled) capacities
    assert np.allclose(np.unique(grid[THICKNESS]), THICKNESSES)


def test_heatmap_marks_the_best_bin_and_the_base_design(grid):
    ax = grid.plot_heatmap("Discharge energy [W.h]", x=THICKNESS, y=RADIUS, mark_best=True, mark_base=True)
    data = np.ma.getdata(ax.collections[0].get_array()).reshape(len(RADII), len(THICKNESSES))
    df = grid.summary  # the expected best bin: the largest mean over C-rate, computed here with pandas
    mean = df.groupby([RADIUS, THICKNESS])["Discharge energy [W.h]"].mean().unstack(THICKNESS).to_numpy()
    np.testing.assert_allclose(data, mean)
    iy, ix = np.unravel_index(np.argmax(mean), mean.shape)
    legend = ax.get_legend()
    labels = _texts(legend.get_texts())
    star = [c for c in ax.collections if c.get_label().startswith("best")]
    assert len(star) == 1 and np.allclose(star[0].get_offsets(), [[ix, iy]])
    assert f"{mean[iy, ix]:.3g} W.h" in labels[0] and f"{1e6 * THICKNESSES[ix]:.3g} {MICRO_M}" in labels[0]
    # the base design: Chen2020's 85.2 µm and 5.86 µm, between bins (fractional bin index)
    ps = ionflux.ParameterSet("Chen2020")
    base = [c for c in ax.collections if c.get_label().startswith("Chen2020")]
    bx = np.interp(ps[THICKNESS], THICKNESSES, np.arange(10))
    by = np.interp(ps[RADIUS], RADII, [0, 1])
    assert len(base) == 1 and np.allclose(base[0].get_offsets(), [[bx, by]])
    assert f"85.2 {MICRO_M}" in labels[1] and f"5.86 {MICRO_M}" in labels[1]
    # the legend sits off the data: outside the axes, below the tick labels and the x label
    renderer = _draw(ax.figure)
    box = legend.get_window_extent(renderer)
    assert not box.overlaps(ax.get_window_extent(renderer))
    assert not box.overlaps(ax.xaxis.label.get_window_extent(renderer))
    for t in ax.get_xticklabels():
        assert not box.overlaps(t.get_window_extent(renderer))
    # "min" marks the smallest; an explicit base design outside the map is said, not drawn
    ax = grid.plot_heatmap("Discharge energy [W.h]", x=THICKNESS, y=RADIUS, mark_best="min",
                           mark_base={THICKNESS: 120e-6, RADIUS: 4e-6})
    star = [c for c in ax.collections if c.get_label().startswith("best")]
    assert np.allclose(star[0].get_offsets(), [np.unravel_index(np.argmin(mean), mean.shape)[::-1]])
    assert "outside the map" in _texts(ax.get_legend().get_texts())[-1]
    with pytest.raises(ValueError, match="mark_best"):
        grid.plot_heatmap(mark_best="best")


def test_heatmap_title_and_scatter_in_display_units(grid, tmp_path):
    ax = grid.plot_heatmap(x="C-rate", y=RADIUS, where={THICKNESS: float(THICKNESSES[3])})
    assert f"at Negative electrode thickness = {1e6 * THICKNESSES[3]:.3g} {MICRO_M}" in ax.get_title()
    res = Sweep("Chen2020", vary={THICKNESS: [60e-6, 80e-6, 100e-6], "Ambient temperature [K]": [288.15, 298.15,
                                                                                              308.15]},
                combine="zip", mesh=COARSE, period=120).run(device="cpu", output=tmp_path / "zip.h5", progress=False)
    ax = res.plot_heatmap("Mean voltage [V]", mark_best=True)
    np.testing.assert_allclose(ax.collections[0].get_offsets(), [[60, 15], [80, 25], [100, 35]])  # µm, °C
    assert ax.get_xlabel() == f"Negative electrode thickness [{MICRO_M}]"
    assert ax.get_ylabel() == f"Ambient temperature [{DEG_C}]"
    _draw(ax.figure)
    _no_offsets(ax.figure)


# -- voltage curves --------------------------------------------------------------------------
def test_plot_voltage_colour_bar_in_micrometres(grid):
    # issue 13: the colour bar read 0.00005 ... 0.00011
    ax = grid.plot_voltage(color_by=THICKNESS)
    renderer = _draw(ax.figure)
    bar = ax.figure.axes[1]
    assert bar.get_ylabel() == f"Negative electrode thickness [{MICRO_M}]"
    ticks = _texts(bar.get_yticklabels())
    values = [float(t.replace("\u2212", "-")) for t in ticks]
    assert min(values) >= 60 and max(values) <= 100 and len(ticks) >= 3  # plain µm numbers
    assert all("e" not in t for t in ticks)
    np.testing.assert_allclose(ax.collections[0].get_array(), 1e6 * grid[THICKNESS])
    # time in hours (the longest run here is over an hour), from the file's seconds
    t = grid["Time [s]"]
    assert ax.get_xlabel() == "Time [h]"
    seg = ax.collections[0].get_segments()[0]
    np.testing.assert_allclose(seg[:, 0], t[0][~np.isnan(t[0])] / 3600.0)
    _no_offsets(ax.figure)
    _no_overlap(_sorted_tick_boxes(bar.yaxis, renderer, key=lambda b: b.y0))


# -- the dashboard ---------------------------------------------------------------------------
def test_dashboard_units_offsets_and_legend():
    sol = Simulation("Marquis2019", c_rate=2, thermal="lumped", mesh=COARSE).solve()
    fig = sol.plot()
    renderer = _draw(fig)
    ylabels = [ax.get_ylabel().replace("\n", " ") for ax in fig.axes]
    temp = [ax for ax in fig.axes if ax.get_ylabel() == f"Temperature [{DEG_C}]"]
    assert len(temp) == 1  # issue 13: was Temperature [K]
    np.testing.assert_allclose(temp[0].lines[0].get_ydata(), sol["Temperature [K]"] - 273.15)
    assert "Electrolyte concentration [mol/L]" in ylabels
    conc = [ax for ax in fig.axes if ax.get_ylabel() == "Electrolyte concentration [mol/L]"][0]
    np.testing.assert_allclose(conc.lines[0].get_ydata(), sol["Electrolyte concentration [mol.m-3]"][0] / 1000)
    np.testing.assert_allclose(conc.lines[0].get_xdata(), 1e6 * sol["x [m]"])
    assert all(ax.get_xlabel() == f"x [{MICRO_M}]" for ax in fig.axes if ax.get_xlabel().startswith("x "))
    neg = [ax for ax in fig.axes if ax.get_ylabel().startswith("Negative electrode potential")][0]
    assert neg.get_ylabel().endswith(("[mV]", "[\u00b5V]"))  # about 1e-5 V: not "1e-5" offset on V
    _no_offsets(fig)  # issue 13: a 1e-5 offset on the negative potential
    # the time legend: a figure legend below the panels, on no axes (was on the Current panel's curves)
    assert all(ax.get_legend() is None for ax in fig.axes)
    assert len(fig.legends) == 1
    box = fig.legends[0].get_window_extent(renderer)
    for ax in fig.axes:
        assert not box.overlaps(ax.get_tightbbox(renderer)), ax.get_title()
    texts = _texts(fig.legends[0].get_texts())
    assert len(texts) == 5 and texts[0] == "t = 0 min" and all(t.endswith(" min") for t in texts)


# -- pandas and xarray -----------------------------------------------------------------------
def test_xarray_attrs_and_display_copy(grid):
    ds = grid.to_xarray()
    coord = ds[THICKNESS]
    np.testing.assert_allclose(coord.values, THICKNESSES)  # values stay SI
    assert coord.attrs["units"] == "m" and coord.attrs["long_name"] == "Negative electrode thickness"
    assert coord.attrs["display_units"] == MICRO_M and coord.attrs["display_scale"] == 1e6
    shown = ionflux.to_display_units(ds)
    name = f"Negative electrode thickness [{MICRO_M}]"
    assert name in shown.dims and THICKNESS not in shown.dims
    np.testing.assert_allclose(shown[name].values, 1e6 * THICKNESSES)
    assert shown[name].attrs["units"] == MICRO_M
    np.testing.assert_allclose(ds[THICKNESS].values, THICKNESSES)  # the original is untouched
    np.testing.assert_allclose(shown["End time [h]"].values, ds["End time [s]"].values / 3600)
    lines = shown["Energy [W.h]"].sel({"C-rate": 1.0}).mean(f"Negative particle radius [{MICRO_M}]")
    line = lines.plot()[0]
    assert MICRO_M in line.axes.get_xlabel()
    np.testing.assert_allclose(line.get_xdata(), 1e6 * THICKNESSES)
    one = ionflux.to_display_units(ds["End time [s]"])
    assert isinstance(one, xr.DataArray) and one.name == "End time [h]" and name in one.dims


def test_pandas_display_copy(grid):
    df = grid.summary
    shown = ionflux.to_display_units(df)
    name = f"Negative electrode thickness [{MICRO_M}]"
    assert name in shown.columns and THICKNESS not in shown.columns
    np.testing.assert_allclose(shown[name], 1e6 * df[THICKNESS])  # 57.5 µm reads 57.5, not 0.000058
    assert list(shown["Discharge capacity [A.h]"]) == list(df["Discharge capacity [A.h]"])
    assert THICKNESS in df.columns and df[THICKNESS].max() < 1e-3  # the original stays SI
    sol = Simulation("Marquis2019", c_rate=2, thermal="lumped", mesh=COARSE).solve()
    t = ionflux.to_display_units(sol.to_dataframe())
    np.testing.assert_allclose(t[f"Temperature [{DEG_C}]"], sol["Temperature [K]"] - 273.15)
    # a step table: start 0 s, end and duration 1769 s (~30 min): one time unit for all three (min: below 1 h)
    steps = ionflux.to_display_units(pd.DataFrame({"Start time [s]": [0.0], "End time [s]": [1769.0],
                                                   "Duration [s]": [1769.0]}))
    assert list(steps.columns) == ["Start time [min]", "End time [min]", "Duration [min]"]
    np.testing.assert_allclose(steps.iloc[0], [0.0, 1769.0 / 60, 1769.0 / 60])
    s = ionflux.to_display_units(df[THICKNESS])
    assert s.name == name
    with pytest.raises(TypeError, match="pandas DataFrame"):
        ionflux.to_display_units([1, 2])


# -- the main job's answer (issue 13 item 5) -----------------------------------------------
def _design_means(df, quantity):
    return df.groupby([THICKNESS, RADIUS])[quantity].mean()


def test_report_best_and_worst_designs(grid, tmp_path, capsys):
    png = tmp_path / "answer.png"
    assert report.main([grid.path, "--png", str(png)]) == 0
    out = capsys.readouterr().out
    # expected: the designs (thickness x radius) ranked by discharge energy, mean over C-rate (pandas here)
    energy = _design_means(grid.summary, "Discharge energy [W.h]")
    capacity = _design_means(grid.summary, "Discharge capacity [A.h]")
    (bt, br), (wt, wr) = energy.idxmax(), energy.idxmin()
    lines = out.splitlines()
    best = lines.index(next(line for line in lines if line.strip().startswith("best")))
    worst = lines.index(next(line for line in lines if line.strip().startswith("worst")))
    assert f"Negative electrode thickness {1e6 * bt:.3g} {MICRO_M}" in lines[best]
    assert f"Negative particle radius {1e6 * br:.3g} {MICRO_M}" in lines[best]
    assert f"discharge energy {energy.max():.3g} W.h" in lines[best + 1]
    assert f"discharge capacity {capacity[(bt, br)]:.3g} A.h" in lines[best + 1]
    assert f"Negative electrode thickness {1e6 * wt:.3g} {MICRO_M}" in lines[worst]
    assert f"discharge energy {energy.min():.3g} W.h" in lines[worst + 1]
    assert "20 designs" in out and "C-rate 1 to 2 (2 values)" in out
    assert f"Heat map: {png}" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # safe to run twice: the image is rewritten
    os.utime(png, (0, 0))
    assert report.main([grid.path, "--png", str(png)]) == 0
    assert png.stat().st_mtime > 0
    assert report.main([grid.path, "--no-png", "--by", "Mean voltage"]) == 2
    assert "did you mean 'Mean voltage [V]'" in capsys.readouterr().err
    table = report.designs(grid)
    assert len(table) == 20 and table.loc[0, THICKNESS] == bt and table.loc[19, THICKNESS] == wt


def test_report_as_a_module_next_to_the_file(grid, tmp_path):
    # as scripts/run.sh calls it: python3 -m ionflux.report FILE (the PNG next to the file by default)
    path = tmp_path / "sweep.h5"
    path.write_bytes(pathlib.Path(grid.path).read_bytes())
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(pathlib.Path(ionflux.__file__).parents[1])]
                                        + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    run = subprocess.run([sys.executable, "-m", "ionflux.report", str(path)], capture_output=True, text=True,
                         env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "best" in run.stdout and "worst" in run.stdout
    assert (tmp_path / "sweep.png").read_bytes()[:4] == b"\x89PNG"
    missing = subprocess.run([sys.executable, "-m", "ionflux.report", str(tmp_path / "nope.h5")],
                             capture_output=True, text=True, env=env, timeout=300)
    assert missing.returncode == 2 and "no such sweep file" in missing.stderr


def test_report_of_a_sweep_whose_cells_all_failed_says_there_is_nothing_to_rank(tmp_path):
    # charges from the set's initial state: every cell is past the upper cut-off at t = 0
    res = ionflux.Sweep("Chen2020", vary={"C-rate": [-1, -2]},
                        mesh={"x_n": 5, "x_s": 5, "x_p": 5, "r_n": 5, "r_p": 5}).run(
        output=tmp_path / "failed.h5", progress=False)
    assert (res.status != 0).all()
    out = report.text(res)
    assert "nothing to rank (cell 0: voltage cut-off already crossed at t=0" in out, out
    assert "best" not in out and "worst" not in out


def test_report_ranks_only_designs_with_a_value_and_says_when_the_file_is_interrupted(tmp_path):
    # porosity 0.3 leaves no room beside Chen2020's active fraction 0.75: that design's
    # cells are invalid, so it has no value. It was shown as the "worst" design; it is now
    # listed as not ranked, and the worst is the worse of the two that ran.
    mesh = {"x_n": 5, "x_s": 5, "x_p": 5, "r_n": 5, "r_p": 5}
    porosity = "Negative electrode porosity"
    res = ionflux.Sweep("Chen2020", vary={porosity: [0.2, 0.25, 0.3], "C-rate": [1, 2]}, mesh=mesh).run(
        output=tmp_path / "p.h5", progress=False)
    energy = res.summary.groupby(porosity)["Discharge energy [W.h]"].mean()
    assert np.isnan(energy[0.3]) and np.isfinite(energy[[0.2, 0.25]]).all()
    worst_ran = energy[[0.2, 0.25]].idxmin()
    best, worst = report.best_and_worst(res)
    assert worst.iloc[0][porosity] == worst_ran and best.iloc[0][porosity] == energy[[0.2, 0.25]].idxmax()
    out = report.text(res)
    worst_line = next(line for line in out.splitlines() if line.strip().startswith("worst"))
    assert f"{porosity} {worst_ran:g}" in worst_line, out
    assert "not ranked: 1 of 3 designs (1 with no value: every cell failed or was not run" in out, out
    # the same file marked interrupted with the 0.2 design's cells never run: the design is
    # not ranked (its mean would be over no condition) and the report says how to finish it
    with h5py.File(tmp_path / "p.h5", "r+") as f:
        rows = np.flatnonzero(f["inputs"][porosity][...] == 0.2)
        status = f["cells/status"][...]
        status[rows] = -1
        f["cells/status"][...] = status
        f.attrs["status"] = "interrupted: 4 of 6 cells"
    out = report.text(ionflux.load(tmp_path / "p.h5"))
    assert "The file is interrupted (interrupted: 4 of 6 cells): 2 cells were not run" in out, out
    assert "--resume" in out and "not ranked: 2 of 3 designs" in out, out
    best_line = next(line for line in out.splitlines() if line.strip().startswith("best"))
    assert f"{porosity} 0.25" in best_line, out


def test_run_sh_ends_with_the_report():
    text = (REPO / "scripts" / "run.sh").read_text(encoding="utf-8")
    assert "-m ionflux.report out/sweep_chen2020.h5 --png out/sweep_chen2020.png" in text
    # after the package is installed
    assert text.index("bash scripts/install_python.sh") < text.index("-m ionflux.report out/")
    deps = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert "matplotlib" in deps


# -- the notebook that renders every public plot -------------------------------------------
def test_plots_notebook_calls_every_public_plot():
    nb = json.loads((REPO / "examples" / "05_plots.ipynb").read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    public = {f".{name}(" for cls in (ionflux.Simulation, ionflux.Solution, ionflux.SweepResult,
                                      ionflux.ParameterSet)
              for name in dir(cls) if name.startswith("plot") and callable(getattr(cls, name))}
    assert {".plot(", ".plot_voltage(", ".plot_heatmap("} <= public
    for call in sorted(public):
        assert call in code, call
    for extra in ("mark_best=", "mark_base=", "to_display_units(", "report.", "thermal=\"lumped\""):
        assert extra in code, extra
    plt.close("all")


def test_dashboard_of_a_sweep_cell(grid):
    # a sweep keeps no internal fields: those panels say so; the title gives the cell's current
    fig = grid[0].plot()
    _draw(fig)
    title = fig._suptitle.get_text()
    assert "nan" not in title and f"{grid['Current [A]'][0][0]:.4g} A" in title
    empty = [ax for ax in fig.axes if not ax.axison]
    assert len(empty) == 7 and all("not stored" in ax.texts[0].get_text() for ax in empty)
    _no_offsets(fig)
