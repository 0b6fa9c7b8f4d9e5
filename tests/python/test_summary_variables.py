"""PyBaMM's per-cycle summary variables (issue 16, "Outputs"): ``sol.summary_variables``,
``res.cycles`` (memory and HDF5 ``/cycles``), the CLI summary and the capacity-fade plots,
against tests/fixtures/pybamm_summary_variables.json (PyBaMM 26.10.1.1;
tests/fixtures/generate_pybamm_summary_fixture.py)."""
import json
import subprocess

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from conftest import COARSE, REPO  # noqa: E402

import ionflux  # noqa: E402
from ionflux import Simulation, Sweep  # noqa: E402

FIXTURE = json.loads((REPO / "tests/fixtures/pybamm_summary_variables.json").read_text())
RUN = FIXTURE["runs"]["Chen2020"]
EXPERIMENT = [tuple(c) for c in RUN["experiment"]]
MESH20 = {"x_n": 20, "x_s": 20, "x_p": 20, "r_n": 20, "r_p": 20}
SHORT = [("Discharge at 1C until 3.3 V", "Rest for 5 minutes", "Charge at 1C until 4.1 V", "Hold at 4.1 V until C/5")]


@pytest.fixture(scope="module")
def sol():
    return Simulation("Chen2020", experiment=EXPERIMENT, mesh=MESH20).solve()


def test_solution_summary_variables_match_pybamm(sol):
    # the fixture's run on the same mesh; bounds as tests/integration/test_summary_variables.cpp:
    # eSOH and lithium totals 1e-6 relative, LLI 1e-10 % absolute (both conserve lithium
    # to round-off; PyBaMM drifts by ~8e-12 %), throughput 1e-4 relative
    sv = sol.summary_variables
    theirs = RUN["summary"]
    names = set(ionflux.summary_variable_names())
    # PyBaMM's names: every fixture name is given but the ECM resistance (documented)
    assert {n for n in theirs if "ECM" not in n} <= names <= set(sv)
    for name in ("Capacity [A.h]", "x_100", "x_0", "y_100", "y_0", "Total lithium [mol]",
                 "Total lithium in particles [mol]", "Total lithium in electrolyte [mol]",
                 "Negative electrode capacity [A.h]", "Cyclable lithium capacity [A.h]", "NPR"):
        np.testing.assert_allclose(sv[name], theirs[name], rtol=1e-6, err_msg=name)
    for name in ("Loss of lithium inventory [%]", "Loss of active material in positive electrode [%]"):
        np.testing.assert_allclose(sv[name], theirs[name], rtol=0, atol=1e-10, err_msg=name)
    np.testing.assert_allclose(sv["Throughput capacity [A.h]"], theirs["Throughput capacity [A.h]"], rtol=1e-4)
    assert np.all(np.asarray(sv["Loss of capacity to negative SEI [A.h]"]) == 0.0)  # no degradation
    np.testing.assert_array_equal(sv.cycle_number, [1, 2, 3])


def test_sweep_cycles_have_pybamm_names_and_equal_single_runs(tmp_path):
    # a sweep over two C-rates of a short CC-CV cycle, in memory and in a file: res.cycles
    # holds PyBaMM's summary variables (n_cells, n_cycles), the same numbers in both, and
    # each cell's equal its single run's sol.summary_variables (cells of a sweep are single
    # runs: to the solver's round-off, 1e-9 relative)
    sweep = Sweep("Chen2020", mesh=COARSE, period=120, experiment=SHORT, cycles=2,
                  vary={"Ambient temperature [K]": [298.15, 308.15]})
    mem = sweep.run(device="cpu", progress=False)
    disk = sweep.run(device="cpu", output=tmp_path / "s.h5", progress=False)
    names = ionflux.summary_variable_names()
    for res in (mem, disk):
        cyc = res.cycles
        assert set(names) <= set(cyc) and "Net capacity [A.h]" in cyc
        assert cyc["Capacity [A.h]"].shape == (2, 2) and np.all(cyc["Capacity [A.h]"] > 4.0)
    for name in names:
        np.testing.assert_array_equal(mem.cycles[name], disk.cycles[name], err_msg=name)
    with h5py.File(tmp_path / "s.h5", "r") as f:
        assert "cycles/Loss of lithium inventory [%]" in f and "cycles/Change in total lithium [mol]" in f
        np.testing.assert_array_equal(f["cycles/Capacity [A.h]"][...], disk.cycles["Capacity [A.h]"])
    for i, temp in enumerate((298.15, 308.15)):
        ps = ionflux.ParameterSet("Chen2020")
        ps["Ambient temperature [K]"] = temp
        one = Simulation(ps, mesh=COARSE, period=120, experiment=SHORT * 2).solve()
        sv = one.summary_variables
        for name in ("Capacity [A.h]", "Total lithium in negative electrode [mol]", "Throughput capacity [A.h]",
                     "Change in total lithium in positive electrode [mol]"):
            np.testing.assert_allclose(mem.cycles[name][i], sv[name], rtol=1e-9, atol=1e-15, err_msg=name)
        # the sweep's cell, as a Solution, carries the same summary variables
        np.testing.assert_array_equal(mem[i].summary_variables["Capacity [A.h]"], mem.cycles["Capacity [A.h]"][i])


def test_cli_prints_the_summary_variables(cli, tmp_path):
    args = [cli, "simulate", "--mesh", ",".join(f"{k}={v}" for k, v in COARSE.items()), "--cycles", "2",
            "--output", str(tmp_path / "a.csv")]
    for step in SHORT[0]:
        args += ["--experiment", step]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    sol = Simulation("Chen2020", mesh=COARSE, experiment=SHORT * 2).solve()
    assert "Summary variables (PyBaMM's, at each cycle's end):" in out
    for c in range(2):
        line = next(ln for ln in out.splitlines() if ln.strip().startswith(f"cycle {c}:") and "Capacity [A.h]" in ln)
        value = float(line.split('"Capacity [A.h]"')[1].split(",")[0])
        assert value == pytest.approx(sol.summary_variables["Capacity [A.h]"][c], rel=1e-7)  # printed to 8 digits


def test_capacity_fade_plots(sol, tmp_path):
    axes = sol.plot_capacity_fade()
    assert len(axes) == 2
    line = axes[0].get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(line.get_ydata(), sol.summary_variables["Capacity [A.h]"])
    assert len(axes[1].get_lines()) == 3  # LLI, LAM negative, LAM positive
    assert axes[0].get_ylabel() == "Capacity [A.h]"
    plt.close("all")
    axes = sol.plot_capacity_fade(x="Throughput capacity [A.h]")
    np.testing.assert_array_equal(axes[0].get_lines()[0].get_xdata(), sol.summary_variables["Throughput capacity [A.h]"])
    plt.close("all")
    with pytest.raises(ionflux.UnknownVariableError, match="Cycle number"):
        sol.plot_capacity_fade(x="Cycle")
    res = Sweep("Chen2020", mesh=COARSE, period=120, experiment=SHORT, cycles=2,
                vary={"Ambient temperature [K]": [298.15, 308.15]}).run(device="cpu", progress=False)
    axes = res.plot_capacity_fade()
    assert len(axes[0].get_lines()) == 2 and len(axes[1].get_lines()) == 6  # per cell: capacity; 3 modes
    np.testing.assert_array_equal(axes[0].get_lines()[1].get_ydata(), res.cycles["Capacity [A.h]"][1])
    plt.close("all")
    # no experiment: no summary variables to plot
    cc = Simulation("Chen2020", mesh=COARSE, c_rate=1).solve()
    with pytest.raises(ionflux.UnknownVariableError, match="experiment"):
        cc.plot_capacity_fade()
