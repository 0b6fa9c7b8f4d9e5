"""A degradation sweep's cells equal single runs (issue 16, "Tests"; item 4 of the ageing
session): 4 cells of OKane2022 with SEI (solvent-diffusion limited) and reversible lithium
plating, 2 CC-CV cycles, varying the SEI solvent diffusivity (the SEI's kinetics for this
submodel), the plating kinetic rate constant (the plating j0) and the discharge C-rate
(through a step placeholder), run as one `Sweep` on 2 CPU threads, each compared with
`Simulation` of the same cell. Both go through the same kernel and the same per-cell
driver; nothing is shared between a sweep's cells, so the outputs, step records and
per-cycle summaries (PyBaMM's summary variables included) are equal bit for bit."""
import numpy as np
import pytest

from ionflux import ParameterSet, Simulation, Sweep

OPTIONS = {"SEI": "solvent-diffusion limited", "lithium plating": "reversible"}
MESH = {"x_n": 4, "x_s": 3, "x_p": 4, "r_n": 8, "r_p": 8}
CYCLE = ("Discharge at {C-rate of discharge}C until 2.5 V", "Charge at 0.3C until 4.2 V", "Hold at 4.2 V until C/100")
VARY = {  # combine="zip": cell k takes the k-th value of each
    "SEI solvent diffusivity [m2.s-1]": [2.5e-22, 1e-21, 5e-22, 1e-22],
    "Lithium plating kinetic rate constant [m.s-1]": [1e-9, 1e-10, 1e-8, 3e-9],
    "C-rate of discharge": [1.0, 0.5, 2.0, 1.5],
}


@pytest.fixture(scope="module")
def sweep_and_singles():
    res = Sweep("OKane2022", options=OPTIONS, experiment=[CYCLE] * 2, mesh=MESH, vary=VARY, combine="zip",
                period=600.0).run(device="cpu", threads=2, progress=False)
    singles = []
    for k in range(4):
        ps = ParameterSet("OKane2022")
        for name in ("SEI solvent diffusivity [m2.s-1]", "Lithium plating kinetic rate constant [m.s-1]"):
            ps[name] = VARY[name][k]
        cyc = tuple(s.replace("{C-rate of discharge}", f"{VARY['C-rate of discharge'][k]:g}") for s in CYCLE)
        singles.append(Simulation(ps, options=OPTIONS, experiment=[cyc] * 2, mesh=MESH, period=600.0).solve())
    return res, singles


def test_each_cell_equals_its_single_run(sweep_and_singles):
    res, singles = sweep_and_singles
    assert res.n_cells == 4
    for k, sol in enumerate(singles):
        assert sol.termination == "protocol completed", sol.message
        cell = res.solution(k)
        assert cell.status == sol.status
        for name in ("Time [s]", "Voltage [V]", "Current [A]", "Discharge capacity [A.h]", "Step"):
            np.testing.assert_array_equal(cell[name], sol[name], err_msg=f"cell {k}: {name}")


def test_each_cells_cycle_summaries_equal_its_single_run(sweep_and_singles):
    res, singles = sweep_and_singles
    cycles = res.cycles
    names = ("Capacity [A.h]", "Loss of lithium inventory [%]", "Loss of capacity to negative SEI [A.h]",
             "Loss of capacity to negative lithium plating [A.h]", "Discharge capacity [A.h]",
             "X-averaged negative SEI thickness [m]")
    for name in names:
        assert name in cycles, name
    for k, sol in enumerate(singles):
        sv = sol.summary_variables
        for name in names:
            ours = cycles[name][k]
            single = np.asarray(sv[name] if name in sv else sol.cycle_summary[name], dtype=float)
            np.testing.assert_array_equal(ours, single, err_msg=f"cell {k}: {name}")
    # the cells differ (the sweep varied something that matters)
    q_sei = cycles["Loss of capacity to negative SEI [A.h]"][:, -1]
    assert len(set(q_sei.tolist())) == 4
    assert np.all(q_sei > 0)
