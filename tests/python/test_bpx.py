"""ionflux.ParameterSet.from_bpx: BPX files from Python (the mapping itself is checked
against PyBaMM in tests/integration/test_bpx.cpp)."""
import json
import pathlib

import pytest
from conftest import COARSE, REPO

import ionflux
from ionflux import ParameterSet, Simulation, Sweep

EXAMPLE = REPO.parent / "shared" / "reference-data" / "bpx" / "nmc_pouch_cell_BPX.json"
FIXTURE = REPO / "tests" / "fixtures" / "pybamm_bpx_nmc_pouch.json"

pytestmark = pytest.mark.skipif(not EXAMPLE.exists(), reason="shared/reference-data/bpx is not there")


def test_from_bpx_maps_as_pybamm():
    ps = ParameterSet.from_bpx(EXAMPLE)
    assert ps.name == "Parameterisation example of an NMC111|graphite 12.5 Ah pouch cell"
    expected = json.loads(FIXTURE.read_text())["parameters"]
    for name in ("Negative electrode active material volume fraction", "Separator Bruggeman coefficient (electrolyte)",
                 "Electrode width [m]", "Number of electrodes connected in parallel to make a cell",
                 "Current function [A]"):
        assert ps[name] == pytest.approx(expected[name], rel=1e-15)
    assert ps["Initial concentration in negative electrode [mol.m-3]"] == pytest.approx(
        expected["Initial concentration in negative electrode [mol.m-3]"], rel=1e-9)
    # the same as reading the file by path
    by_path = ParameterSet(str(EXAMPLE))
    assert dict(by_path.items()) == dict(ps.items())


def test_from_bpx_simulates_and_sweeps(tmp_path):
    ps = ParameterSet.from_bpx(EXAMPLE)
    sol = Simulation(ps, mesh=COARSE).solve()
    assert sol["Voltage [V]"][-1] == pytest.approx(2.7, abs=1e-6)
    assert sol["Discharge capacity [A.h]"][-1] == pytest.approx(12.95, rel=5e-3)
    ps["Negative electrode porosity"] = 0.26
    res = Sweep(ps, vary={"C-rate": [0.5, 1.0]}, mesh=COARSE, period=200).run(
        device="cpu", output=tmp_path / "bpx.h5", progress=False)
    assert res.complete and res.n_cells == 2
    assert list(res.status_names) == ["cutoff_lower", "cutoff_lower"]


def test_from_bpx_errors(tmp_path):
    bad = tmp_path / "cell.json"
    obj = json.loads(EXAMPLE.read_text())
    del obj["Parameterisation"]["Cell"]["Electrode area [m2]"]
    bad.write_text(json.dumps(obj))
    with pytest.raises(ValueError, match=r"missing 1 required BPX field: 'Parameterisation' > 'Cell' > "
                                         r"'Electrode area \[m2\]'"):
        ParameterSet.from_bpx(bad)
    with pytest.raises(ValueError, match="cannot open BPX file"):
        ParameterSet.from_bpx(tmp_path / "missing.json")
    with pytest.raises(ValueError, match=r"\.json"):
        ParameterSet.from_bpx(pathlib.Path("cell.yaml"))
