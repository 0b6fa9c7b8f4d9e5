"""Functions of temperature (electrode conductivity, thermal properties) and the lumped
thermal model from Python (issue 10 item 8): ORegan2022 runs lumped with its heat
capacities as functions of T; Prada2013 (no thermal parameters, in PyBaMM too) is
refused with a message that names the option and the missing parameters."""
import pytest
from conftest import COARSE

import ionflux
from ionflux import Simulation, Sweep


def test_oregan2022_runs_with_the_lumped_model():
    ps = ionflux.ParameterSet("ORegan2022")
    assert isinstance(ps["Positive electrode conductivity [S.m-1]"], ionflux.ParameterFunction)
    assert isinstance(ps["Separator specific heat capacity [J.kg-1.K-1]"], ionflux.ParameterFunction)
    sol = Simulation("ORegan2022", c_rate=2, thermal="lumped").solve()  # PyBaMM's default mesh
    temps = sol["Temperature [K]"]
    # PyBaMM 26.10.1.1, same mesh: 2C from 298.15 K reaches 2.5 V at 1,389.0 s and
    # 328.914 K (tests/fixtures/pybamm_set_ORegan2022_lumped_2C.json; the full curve is
    # compared in tests/integration/test_shipped_sets.cpp). Bounds: ionflux's default
    # tolerances move the end by well under a second and the temperature by mK.
    assert sol.summary["End reason"] == "cutoff_lower"
    assert temps[0] == pytest.approx(298.15)
    assert sol.summary["End time [s]"] == pytest.approx(1389.0, abs=1.0)
    assert temps[-1] == pytest.approx(328.914, abs=0.01)


def test_prada2013_lumped_names_the_option_and_the_missing_parameters():
    with pytest.raises(ValueError) as err:
        Simulation("Prada2013", thermal="lumped", mesh=COARSE).solve()
    msg = str(err.value)
    assert "'Prada2013' has no thermal parameters" in msg
    assert 'thermal="lumped"' in msg
    assert "'Cell volume [m3]'" in msg and "'Separator specific heat capacity [J.kg-1.K-1]'" in msg
    assert "did you mean" not in msg


def test_a_function_of_temperature_may_be_set_from_python():
    ps = ionflux.ParameterSet("Chen2020")
    ps["Positive electrode conductivity [S.m-1]"] = "0.18 * exp(3500 / 8.314 * (1 / 298.15 - 1 / T))"
    ps["Negative electrode specific heat capacity [J.kg-1.K-1]"] = "700 + 100 * eps"
    with pytest.raises(ValueError, match=r"uses 'sto' at position 8, but this parameter is a function of \(T\) only"):
        ps["Positive electrode conductivity [S.m-1]"] = "0.18 * sto"


def test_prada2013_lumped_sweep_is_refused(tmp_path):
    with pytest.raises(ValueError, match="'Prada2013' has no thermal parameters"):
        Sweep("Prada2013", thermal="lumped", vary={"Negative electrode porosity": [0.3, 0.35]},
              mesh=COARSE).run(tmp_path / "prada.h5")
