"""A sweep's results read alike on every road (in memory, Python file, CLI file) and the
report answers the same question the same way (the cross-road audit, findings 2-7 and 9).

Each test fails on the code before the fix: the finding's symptom is asserted away.
"""
import json
import subprocess

import h5py
import numpy as np
import pytest
from conftest import COARSE

import ionflux
from ionflux import Sweep, SweepResult, report
from ionflux.result import _protocol_experiment

THICKNESS = "Negative electrode thickness [m]"
RADIUS = "Negative particle radius [m]"
ENERGY = "Discharge energy [W.h]"


def _run(tmp_path, name, **kwargs):
    return Sweep("Chen2020", mesh=COARSE, **kwargs).run(device="cpu", output=tmp_path / f"{name}.h5", progress=False)


def _star(ax):
    stars = [c for c in ax.collections if c.get_label().startswith("best")]
    assert len(stars) == 1, [c.get_label() for c in ax.collections]
    return stars[0]


# -- finding 2: a varied "Current [A]" and the output "Current [A]" ---------------------------
def test_a_varied_current_leaves_the_output_current_a_series_in_cell_and_xarray(tmp_path):
    res = _run(tmp_path, "current", vary={"Current [A]": [2.0, 5.0]})
    cell = res.cell(1)
    # the output stays the 1-D series (it was the scalar input), the input has its own key
    assert isinstance(cell["Current [A]"], np.ndarray) and cell["Current [A]"].shape == (res.n_points[1],)
    np.testing.assert_array_equal(cell["Current [A]"], res[1]["Current [A]"])
    assert cell["Input current [A]"] == 5.0
    assert list(res.inputs["Current [A]"]) == [2.0, 5.0] and list(res.summary["Current [A]"]) == [2.0, 5.0]
    # to_xarray raised "variables {'Current [A]'} are found in both data_vars and coords"
    ds = res.to_xarray()
    assert ds["Current [A]"].dims == ("Input current [A]", "time index")
    assert list(ds["Input current [A]"].values) == [2.0, 5.0]
    np.testing.assert_array_equal(ds["Current [A]"].sel({"Input current [A]": 5.0}).values[:res.n_points[1]],
                                  cell["Current [A]"])
    assert ds["Input current [A]"].attrs["units"] == "A"
    # without the outputs nothing collides: the input keeps its name
    maps = res.to_xarray(outputs=False)
    assert maps[ENERGY].dims == ("Current [A]",)


def test_a_varied_current_in_a_zip_sweep_is_a_coordinate_along_cell(tmp_path):
    res = _run(tmp_path, "zip", vary={"Current [A]": [2.0, 5.0], "Separator porosity": [0.4, 0.5]}, combine="zip")
    ds = res.to_xarray()
    assert ds["Current [A]"].dims == ("cell", "time index")
    assert ds["Input current [A]"].dims == ("cell",) and list(ds["Input current [A]"].values) == [2.0, 5.0]


# -- finding 3: "Current function [A]" is an operating condition ------------------------------
def test_the_report_treats_a_varied_current_function_as_the_current(tmp_path):
    vary = {THICKNESS: [6e-5, 1e-4]}
    by_current = _run(tmp_path, "i", vary=dict(vary, **{"Current [A]": [2.5, 5.0]}))
    by_function = _run(tmp_path, "f", vary=dict(vary, **{"Current function [A]": [2.5, 5.0]}))
    table = report.designs(by_function)
    # it was 4 designs "over Negative electrode thickness x Current function"
    assert len(table) == 2 and "Current function [A]" not in table.columns
    assert "2 designs over Negative electrode thickness, each at Current function 2.5 to 5 A (2 values)" in \
        report.text(by_function)
    expected = report.designs(by_current)
    np.testing.assert_array_equal(table[THICKNESS], expected[THICKNESS])
    np.testing.assert_allclose(table[f"{ENERGY} mean"], expected[f"{ENERGY} mean"])


# -- finding 4: the heat map's star follows the text's ranking ---------------------------------
def test_the_heatmap_star_is_the_reports_best_design_when_cells_failed(tmp_path):
    res = _run(tmp_path, "star", vary={THICKNESS: [6e-5, 1e-4], RADIUS: [4e-6, 8e-6], "C-rate": [0.5, 2.0]})
    assert not res.failed.any()
    # fail the fast cell of the design with the most energy at 0.5C: the mean of its other
    # cell is then the largest of all, though the text ranks that design last
    summary = res.summary
    slow = summary[summary["C-rate"] == 0.5]
    top = slow[ENERGY].idxmax()
    failing = summary.index[(summary[THICKNESS] == summary.loc[top, THICKNESS])
                            & (summary[RADIUS] == summary.loc[top, RADIUS]) & (summary["C-rate"] == 2.0)][0]
    with h5py.File(res.path, "r+") as f:
        status = f["cells/status"][...]
        status[failing] = 6  # newton_failure; the summaries read as NaN for a failed cell
        f["cells/status"][...] = status
    res = SweepResult(res.path)  # load() would warn about the failed cell
    table = report.designs(res)
    best = table.iloc[0]
    assert table.iloc[-1][THICKNESS] == summary.loc[top, THICKNESS] and table.iloc[-1]["Failed cells"] == 1
    ax = res.plot_heatmap(ENERGY, x=THICKNESS, y=RADIUS, mark_best=True)
    ix = [6e-5, 1e-4].index(best[THICKNESS])
    iy = [4e-6, 8e-6].index(best[RADIUS])
    # the star sat on the failed design's bin (the text's worst)
    np.testing.assert_allclose(_star(ax).get_offsets(), [[ix, iy]])
    assert f"{best[f'{ENERGY} mean']:.3g} W.h" in _star(ax).get_label()
    # when every bin with a value has failed cells, the star says so
    with h5py.File(res.path, "r+") as f:
        status = f["cells/status"][...]
        status[(f["inputs/C-rate"][...] == 2.0)] = 6
        f["cells/status"][...] = status
    ax = SweepResult(res.path).plot_heatmap(ENERGY, x=THICKNESS, y=RADIUS, mark_best=True)
    assert _star(ax).get_label().endswith("(some cells failed)")


# -- finding 5: cells truncated at t_end -------------------------------------------------------
def test_designs_with_cells_stopped_at_t_end_are_flagged_and_rank_after_complete_ones(tmp_path):
    # at 1C the 100 µm cell needs about 3700 s, the 60 µm one about 2500 s: t_end = 3000 s
    # stops only the 100 µm design's 1C cell, whose energy up to then still gives that
    # design the larger mean
    with pytest.warns(ionflux.SolverWarning, match="end_time_reached 1"):
        res = _run(tmp_path, "trunc", vary={THICKNESS: [6e-5, 1e-4], "C-rate": [1.0, 2.0]}, t_end=3000)
    assert list(res.status_names) == ["cutoff_lower", "cutoff_lower", "end_time_reached", "cutoff_lower"], \
        list(res.status_names)
    means = res.summary.groupby(THICKNESS)[ENERGY].mean()
    assert means[1e-4] > means[6e-5]  # ranked as if complete, 100 µm was the best
    table = report.designs(res)
    assert list(table[THICKNESS]) == [6e-5, 1e-4] and list(table["Truncated cells"]) == [0, 1]
    assert table["Ranked"].all()
    out = report.text(res)
    worst = out.splitlines()[next(k for k, line in enumerate(out.splitlines()) if line.strip().startswith("worst"))
                             + 1]
    assert "1 of 2 cells stopped at t_end (values up to t_end)" in worst, out
    assert "1 of 2 designs have cells stopped at t_end (end_time_reached)" in out and "raise t_end" in out, out
    # the heat map dots the truncated bin and does not star it
    ax = res.plot_heatmap(ENERGY, x=THICKNESS, y="C-rate", mark_best=True)
    dotted = [p for p in ax.patches if p.get_hatch() == ".."]
    assert len(dotted) == 1 and np.allclose(dotted[0].get_xy(), (1 - 0.5, 0 - 0.5))
    values = res.summary.set_index([THICKNESS, "C-rate"])[ENERGY]
    complete = values.drop((1e-4, 1.0))
    t, c = complete.idxmax()
    np.testing.assert_allclose(_star(ax).get_offsets(), [[[6e-5, 1e-4].index(t), [1.0, 2.0].index(c)]])


# -- finding 6: the initial SOC of a cell ------------------------------------------------------
def test_a_cells_initial_soc_is_read_from_the_files_settings(tmp_path):
    res = _run(tmp_path, "soc", vary={"Separator porosity": [0.4, 0.5]}, initial_soc=0.8)
    # the solver keeps no sweep-wide initial_soc yet (see docs/python.md, "Results"); with
    # the run settings as a root attribute, every road's cells give it
    with h5py.File(res.path, "r+") as f:
        f.attrs["settings"] = json.dumps({"initial_soc": 0.8, "c_rate": 1})
    loaded = SweepResult(res.path)
    assert loaded[0].initial_soc == 0.8 and loaded[1].initial_soc == 0.8
    # a varied SOC is each cell's own
    varied = _run(tmp_path, "soc_v", vary={"Initial SOC": [0.7, 0.9]})
    assert [varied[0].initial_soc, varied[1].initial_soc] == [0.7, 0.9]


def test_a_sweep_wide_initial_soc_reaches_every_cell(tmp_path):
    # the file's root attribute "settings" (solver/problem/sweep_plan.cpp sweep_file_info)
    res = _run(tmp_path, "soc_top", vary={"Separator porosity": [0.4, 0.5]}, initial_soc=0.8)
    assert res[0].initial_soc == 0.8 and ionflux.load(res.path)[0].initial_soc == 0.8
    assert json.loads(ionflux.load(res.path).attrs["settings"]) == {"initial_soc": 0.8}


# -- finding 7: step texts of a loaded file ----------------------------------------------------
EXPERIMENT = [("Discharge at {C}C until 3.0 V", "Rest for 5 minutes"), ("Charge at 1C until 4.0 V",)]


def test_a_loaded_files_cells_have_their_step_texts(tmp_path, cli):
    sweep = Sweep("Chen2020", experiment=EXPERIMENT, cycles=2, thermal="lumped", vary={"C": [0.5, 2.0]},
                  mesh=COARSE, period=120)
    memory = sweep.run(device="cpu", progress=False)
    expected = ["Discharge at 2C until 3.0 V", "Rest for 5 minutes", "Charge at 1C until 4.0 V"] * 2
    assert list(memory[1].step_summary["Text"]) == expected
    python_file = sweep.run(device="cpu", output=tmp_path / "py.h5", progress=False).path
    sweep.to_json(tmp_path / "cfg.json")
    run = subprocess.run([cli, "sweep", str(tmp_path / "cfg.json"), "--output", str(tmp_path / "cli.h5")],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    for path in (python_file, tmp_path / "cli.h5"):
        sol = ionflux.load(path)[1]
        # they were empty strings: the file's config attribute is not JSON
        assert list(sol.step_summary["Text"]) == expected, path
        assert sol.experiment == memory[1].experiment, path


def test_the_protocol_attribute_gives_the_experiment():
    assert _protocol_experiment("experiment: (Discharge at 1C until 2.5 V, Rest for 10 minutes) x 2") == \
        ([["Discharge at 1C until 2.5 V", "Rest for 10 minutes"]], 2)
    assert _protocol_experiment("experiment: (A, B); (C); lumped thermal model") == ([["A", "B"], ["C"]], 1)
    assert _protocol_experiment("constant current, positive = discharge; 5 A (1C); until the voltage cut-offs "
                                "or t_end; lumped thermal model") is None


def test_steps_that_do_not_match_the_protocol_are_left_without_text(tmp_path):
    # a protocol whose steps cannot be told apart (here: one step too many in cycle 0)
    # gives no texts rather than texts shifted onto the wrong steps
    res = _run(tmp_path, "mismatch", experiment=[("Discharge at {C}C until 3.0 V", "Rest for 5 minutes")],
               vary={"C": [1.0, 2.0]}, period=120)
    with h5py.File(res.path, "r+") as f:
        f.attrs["protocol"] = "experiment: (Discharge at {C}C until 3.0 V, Rest for 5 minutes, Rest for 1 minute)"
    sol = SweepResult(res.path)[1]
    assert list(sol.step_summary["Text"]) == ["", ""]


# -- finding 9: "Cycle capacity [A.h]" is the eSOH capacity ------------------------------------
def test_xarray_cycle_capacity_is_the_esoh_capacity_and_the_docstring_says_so(tmp_path):
    res = _run(tmp_path, "cyc", experiment=[("Discharge at {C}C until 3.0 V", "Charge at 1C until 4.0 V")],
               cycles=2, vary={"C": [0.5, 2.0]}, period=120)
    ds = res.to_xarray(outputs=False)
    np.testing.assert_array_equal(ds["Cycle capacity [A.h]"].values, res.cycles["Capacity [A.h]"])
    np.testing.assert_array_equal(ds["Cycle net capacity [A.h]"].values, res.cycles["Net capacity [A.h]"])
    doc = " ".join(ionflux.SweepResult.to_xarray.__doc__.split())
    # the docstring listed "Cycle capacity [A.h]" among the cycle sums, its meaning before issue 16
    assert "``\"Cycle net capacity [A.h]\"`` (net charge over the cycle's steps)" in doc
    assert "``\"Cycle capacity [A.h]\"`` is not a sum: it is PyBaMM's summary variable" in doc
