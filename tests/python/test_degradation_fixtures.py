"""Sanity checks of the PyBaMM degradation fixtures (issue 16) that ionflux's ageing tests read.

The fixtures are made by tests/fixtures/degradation/generate_degradation_fixtures.py
(PyBaMM 26.10.1.1). These tests need neither PyBaMM nor the ionflux build: they check that
each file is complete and self-consistent, and that the coupled-degradation files reproduce the
PyBaMM numbers quoted in the shared reference (/work/shared/reference/pybamm-degradation.md,
sections 11.1 and 11.2), so a wrongly regenerated fixture fails here before it misleads a
comparison.
"""
import json
import pathlib

import numpy as np
import pytest

DIR = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "degradation"
# generate_degradation_fixtures.py's files; core_*.json are generate_core_fixtures.py's (another
# layout, read by the C++ degradation_tests)
FILES = sorted(p for p in DIR.glob("*.json") if not p.name.startswith("core_"))
REQUIRED = ["generator", "pybamm_version", "parameter_set", "parameter_updates", "options",
            "resolved_options", "var_pts", "solver", "t", "voltage", "current", "variables",
            "termination", "t0"]


def load(name):
    return json.loads((DIR / name).read_text())


def test_fixtures_exist():
    assert len(FILES) >= 50, f"expected the degradation fixtures in {DIR}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_layout(path):
    d = json.loads(path.read_text())
    for key in REQUIRED:
        assert key in d, f"{path.name}: missing {key}"
    assert d["pybamm_version"] == "26.10.1.1"
    assert ("experiment" in d) != ("current_function" in d)
    n = len(d["t"])
    assert n >= 100
    assert np.all(np.diff(d["t"]) > 0), "output times must increase strictly"
    assert len(d["voltage"]) == n and len(d["current"]) == n
    for name, values in d["variables"].items():
        assert len(values) == n, name
    if "experiment" in d:
        assert d["cycles_completed"] == d["cycles_requested"] == len(d["experiment"]["cycles"])
        for name, values in d["summary"].items():
            assert len(values) == d["cycles_completed"], name
    assert path.stat().st_size < 300_000, "keep each fixture small"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_lithium_conserved(path):
    # PyBaMM's bookkeeping (reference 9.1): lithium in particles and electrolyte + lost to side
    # reactions + lost with active material is constant. The 12-digit rounding of the stored
    # values sets the floor (~1e-11).
    d = json.loads(path.read_text())
    v = d["variables"]
    if "Total lithium [mol]" not in v:
        pytest.skip("no lithium totals stored")
    total = np.array(v["Total lithium [mol]"])
    for name in ["Total lithium lost to side reactions [mol]",
                 "Loss of lithium due to loss of active material in negative electrode [mol]",
                 "Loss of lithium due to loss of active material in positive electrode [mol]"]:
        if name in v:
            total = total + np.array(v[name])
    assert np.ptp(total) / total[0] < 1e-10


def test_coupled_n10_reproduces_reference_table():
    # Reference section 11.1 table (PyBaMM 26.10.1.1, IDAKLUSolver() defaults), cycles 1, 4,
    # 15, 16; compared at the number of digits the table prints.
    table = {
        "Capacity [A.h]": [5.104038, 5.078415, 5.084292, 5.096205],
        "Loss of lithium inventory [%]": [0.083274, 0.440960, 0.360103, 0.194030],
        "Loss of active material in negative electrode [%]": [None, 1.5615e-04, 1.53021e-02, 1.54575e-02],
        "Loss of active material in positive electrode [%]": [5.14e-07, 2.5620e-04, 2.99460e-03, 2.99460e-03],
        "Loss of capacity to negative SEI [A.h]": [9.191e-06, 7.005e-04, 2.2404e-03, 2.5279e-03],
        "Loss of capacity to negative SEI on cracks [A.h]": [5.603e-04, 5.073e-03, 9.7433e-03, 1.04772e-02],
        "Loss of capacity to negative lithium plating [A.h]": [5.768e-03, 2.7772e-02, 1.4930e-02, 1.2660e-03],
        "Total lithium lost [mol]": [2.3647e-04, 1.25218e-03, 1.02257e-03, 5.5098e-04],
    }
    d = load("coupled_n10.json")
    assert d["cycles_completed"] == 16
    default = d["extra"]["default_tolerances"]["summary"]
    for name, ref in table.items():
        for cycle, expected in zip([0, 3, 14, 15], ref):
            if expected is None:  # 5.7e-14: rounding noise, not a value
                continue
            got = default[name][cycle]
            digits = len(f"{expected:e}".split("e")[0].replace(".", "").rstrip("0"))
            assert got == pytest.approx(expected, rel=0.6 * 10.0 ** (1 - digits)), (name, cycle)
            # The stored run (rtol = atol = 1e-8) agrees with the default-tolerance one well
            # inside the 0.1 % (capacity) and 1 % (LLI, LAM) targets.
            assert d["summary"][name][cycle] == pytest.approx(got, rel=1e-3), (name, cycle)


def test_coupled_t0_values():
    # Reference section 11.2: j_tot,n ~ 1.3009 A/m2 at the first node at t = 0 of a 1C
    # discharge; D_eff,n = 5.11939e-14 and D_eff,p = 4.51464e-13 m2/s (the particle surface);
    # section 10: L_sei,cr(0) = 2.62055e-13 m, c_sei(0) = 20.029162 mol/m3.
    t0 = load("coupled_1c_t1800.json")["t0"]
    assert t0["Total negative electrode interfacial current density variable [A.m-2]"][0] == pytest.approx(1.3009, rel=1e-4)
    assert t0["Negative particle effective diffusivity [m2.s-1] [r x x]"][-1][0] == pytest.approx(5.11939e-14, rel=1e-5)
    assert t0["Positive particle effective diffusivity [m2.s-1] [r x x]"][-1][0] == pytest.approx(4.51464e-13, rel=1e-5)
    assert t0["Negative SEI on cracks thickness [m]"] == pytest.approx([2.62055e-13] * 5, rel=1e-5)
    assert t0["Negative SEI concentration [mol.m-3]"] == pytest.approx([20.029162] * 5, rel=1e-7)
    t1800 = load("coupled_1c_t1800.json")["extra"]["t1800"]
    assert t1800["t"] == 1800.0
