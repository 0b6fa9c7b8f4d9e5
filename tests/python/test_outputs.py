"""Output resolution and size (issue 10 items 5 and 10): every cell's own resolved curve,
PyBaMM's two-element t_eval, the ragged sweep file, and the output size limit."""
import h5py
import numpy as np
import pytest
from conftest import COARSE

import ionflux
from ionflux import Simulation, Sweep

# PyBaMM 26.10.1.1, DFN with default options and mesh, Chen2020 at 1C and 3C, default
# IDAKLUSolver, `sim.solve([0, 3600 / C * 1.2])`: len(sol.t) = 170 and 701 (its adaptive
# steps up to the cut-off; measured for this test with the pinned PyBaMM, see
# tests/fixtures/generate_pybamm_fixtures.py for the set-up).
PYBAMM_POINTS = {1.0: 170, 3.0: 701}


@pytest.mark.parametrize("c_rate", [1.0, 3.0])
def test_default_output_has_at_least_pybamms_points(c_rate):
    sol = Simulation(c_rate=c_rate).solve()
    t = sol["Time [s]"]
    assert sol.status == "cutoff_lower"
    # the old default (period t_end / 200 with t_end = 3 nominal discharge times) gave 67 at 1C
    assert t.size >= PYBAMM_POINTS[c_rate]
    assert np.all(np.diff(t) > 0)
    assert sol["Voltage [V]"][-1] == pytest.approx(2.5, abs=1e-9)  # the cut-off is the last output


def test_two_element_t_eval_is_a_time_span():
    sim = Simulation(c_rate=1)
    sol = sim.solve([0, 3600])
    t = sol["Time [s]"]
    # a resolved curve up to the cut-off (3555.5 s, before the span's end), not 2 points
    assert t.size >= PYBAMM_POINTS[1.0]
    assert t[-1] == pytest.approx(3555.5, abs=0.1) and sol.status == "cutoff_lower"
    # a span that ends first: the run stops at its end, still resolved
    with pytest.warns(ionflux.SolverWarning, match="end time"):  # truncated by the span's end
        short = sim.solve([0, 1000])
    assert short["Time [s]"][-1] == 1000.0 and short["Time [s]"].size > 20
    # three or more values are output times, as before
    with pytest.warns(ionflux.SolverWarning, match="end time"):
        assert sim.solve([0, 500, 1000])["Time [s]"].tolist() == [0.0, 500.0, 1000.0]
    with pytest.raises(ValueError, match="time span"):
        sim.solve([10, 3600])
    # in the constructor too
    assert Simulation(c_rate=1, t_eval=[0, 3600]).solve()["Time [s]"].size >= PYBAMM_POINTS[1.0]


def test_sweep_cells_get_their_own_resolved_curves(tmp_path):
    rates = [0.5, 3.0, 0.5, 3.0]
    res = Sweep(vary={"C-rate": rates}, mesh=COARSE, combine="zip").run(
        device="cpu", output=tmp_path / "mixed.h5", progress=False)
    counts = res.n_points
    for i, c in enumerate(rates):
        single = Simulation(c_rate=c, mesh=COARSE).solve()
        # each cell has at least the points of a single run of it (the old shared grid of
        # the slowest cell gave a 3C cell 8)
        assert counts[i] >= single["Time [s]"].size, (i, c)
        cell = res.cell(i)
        assert cell["Time [s]"].size == counts[i]
        assert cell["Voltage [V]"][-1] == pytest.approx(2.5, abs=1e-9)
        assert cell["Time [s]"][-1] == pytest.approx(single["Time [s]"][-1], rel=1e-6)
    v = res["Voltage [V]"]
    assert v.shape == (4, counts.max())
    assert np.isnan(v[1, counts[1]:]).all() and not np.isnan(v[1, :counts[1]]).any()
    np.testing.assert_array_equal(res.read("Time [s]", [3, 1])[1, :counts[1]], res.cell(1)["Time [s]"])
    ds = res.to_xarray()
    assert ds["Voltage [V]"].shape == (4, counts.max())
    # the file holds what exists: no padding to the longest cell
    with h5py.File(res.path, "r") as f:
        assert f["cells/Voltage [V]"].shape == (int(counts.sum()),)
        np.testing.assert_array_equal(f["cells/count"][:], counts)
        assert "solver step" in f.attrs["output"]


def test_output_too_large_is_refused_before_running(tmp_path):
    with pytest.raises(ValueError, match=r"1e\+09 output rows .*IONFLUX_MAX_OUTPUT_BYTES"):
        Simulation(c_rate=1, period=1e-7, t_end=100).solve()
    out = tmp_path / "huge.h5"
    with pytest.raises(ValueError, match=r"1e\+09 output rows .*limit of 1024 MiB"):
        Sweep(vary={"C-rate": [1, 2]}, period=1e-7, t_end=100).run(device="cpu", output=out, progress=False)
    assert not out.exists()


def test_output_limit_is_configurable(monkeypatch):
    sim = Simulation(c_rate=1, mesh=COARSE, period=1.0)
    monkeypatch.setenv("IONFLUX_MAX_OUTPUT_BYTES", "1000")
    with pytest.raises(ValueError, match="limit of 0.000953674 MiB"):
        sim.solve()
    # every-step output is not known before the run: at the limit the run stops and says so
    adaptive = Simulation(c_rate=1, mesh=COARSE)
    with pytest.warns(ionflux.SolverWarning, match="IONFLUX_MAX_OUTPUT_BYTES"):
        sol = adaptive.solve()
    assert sol.status == "output_overflow"
    monkeypatch.setenv("IONFLUX_MAX_OUTPUT_BYTES", "1e12")
    assert sim.solve().status == "cutoff_lower"
    monkeypatch.setenv("IONFLUX_MAX_OUTPUT_BYTES", "lots")
    with pytest.raises(ValueError, match="IONFLUX_MAX_OUTPUT_BYTES must be a positive number"):
        sim.solve()


def test_a_rest_inside_a_long_protocol_is_resolved():
    # The old default grid (t_end / 200 of the protocol's default end, 3 h + 10 min + 6 h)
    # spaced outputs 166 s apart: 3 or 4 points in the 10-minute rest. Every-step outputs
    # follow the relaxation after the step change.
    sim = Simulation(mesh=COARSE, experiment=[("Discharge at 1C until 2.5 V", "Rest for 10 minutes",
                                               "Charge at 0.5C until 4.1 V")])
    sol = sim.solve()
    assert sol.status == "finished"
    rest = sol["Step"] == 1
    t = sol["Time [s]"][rest]
    assert rest.sum() >= 50
    # from its first step (the discharge's end, at the rest's start, is a step-0 output) to its end
    assert 599.0 < t[-1] - t[0] <= 600.0
