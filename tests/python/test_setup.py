"""The problem set-up seen from Python (issue 10 items 1, 2, 6, 11): varied parameters take
effect per cell as in single runs, truncated runs warn, values in the wrong units warn,
and a sweep file's attributes describe the sweep."""
import warnings

import numpy as np
import pytest
from conftest import COARSE

import ionflux
from ionflux import ParameterSet, Simulation, SolverWarning, Sweep, UnitWarning


# -- item 1: a varied "Current function [A]" is each cell's current ------------------------
def test_sweep_varying_current_function_equals_single_runs(tmp_path):
    # the config; a shared period and t_end so that rows compare one to one
    sweep = Sweep("Chen2020", vary={"Current function [A]": [5.0, 5000.0, 2.5]}, combine="zip", mesh=COARSE,
                  period=60, t_end=8000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the 5000 A cell's failure may be reported by run()
        res = sweep.run(output=tmp_path / "s.h5", device="cpu", progress=False)
    status = [str(s) for s in res.status_names]
    # 5000 A (1000C) is below the cut-off at t = 0; its neighbours discharge to it
    assert status == ["cutoff_lower", "cutoff_at_start", "cutoff_lower"]
    volts = np.asarray(res["Voltage [V]"])
    amps = np.asarray(res["Current [A]"])
    for c, value in enumerate([5.0, 5000.0, 2.5]):
        assert amps[c, 0] == value
        ps = ParameterSet("Chen2020")
        ps["Current function [A]"] = value  # the single run with the same value set
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SolverWarning)
            sol = Simulation(ps, mesh=COARSE, period=60, t_end=8000).solve()
        v = np.asarray(sol["Voltage [V]"])
        np.testing.assert_array_equal(volts[c, : len(v)], v)
        assert np.all(np.isnan(volts[c, len(v):]))


def test_sweep_refuses_a_varied_parameter_the_model_does_not_use():
    with pytest.raises(ValueError, match="thermal"):
        Sweep("Chen2020", vary={"Initial temperature [K]": [290, 300]})
    with pytest.raises(ValueError, match="cannot both be varied"):
        Sweep("Chen2020", vary={"Current function [A]": [1, 2], "Current [A]": [1, 2]}, combine="zip")


# -- item 2: truncated runs say so ---------------------------------------------------------
def test_short_t_end_gives_a_solver_warning():
    with pytest.warns(SolverWarning, match=r"stopped at the end time t_end = 100 s .*truncated"):
        sol = Simulation("Chen2020", mesh=COARSE, t_end=100).solve()
    assert sol.status == "end_time_reached"


def test_enlarged_cell_runs_to_its_cut_off_by_default():
    # Marquis2019 with a 1 m x 1 m electrode (24x the nominal capacity) at 72 A (3C of it):
    # the old default end (3 x the nominal discharge time) stopped it at 102 s
    ps = ParameterSet("Marquis2019")
    ps["Electrode width [m]"] = 1.0
    ps["Electrode height [m]"] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", SolverWarning)
        sol = Simulation(ps, current=72.0, mesh=COARSE).solve()
    assert sol.status == "cutoff_lower"
    assert sol["Time [s]"][-1] > 1000.0
    assert sol["Voltage [V]"][-1] == pytest.approx(3.105, abs=1e-9)


# -- item 6: values in the wrong units -----------------------------------------------------
def test_unit_warning_in_simulation():
    ps = ParameterSet("Chen2020")
    ps["Negative particle radius [m]"] = 5.86
    with pytest.warns(UnitWarning, match=r"'Negative particle radius \[m\]' = 5.86 .*µm"):
        Simulation(ps, mesh=COARSE, t_end=60).solve()
    assert issubclass(UnitWarning, UserWarning)


def test_unit_warning_in_sweep_once_per_parameter():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Sweep("Chen2020", vary={"Negative electrode thickness [m]": [80, 90, 8.52e-5], "C-rate": [1, 2]})
    unit = [w for w in caught if issubclass(w.category, UnitWarning)]
    assert len(unit) == 1, [str(w.message) for w in unit]
    assert "Negative electrode thickness [m]" in str(unit[0].message)
    assert "µm" in str(unit[0].message)


def test_init_failure_names_its_cause():
    ps = ParameterSet("Chen2020")
    ps["Negative electrode thickness [m]"] = 80
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sol = Simulation(ps, mesh=COARSE, t_end=3600).solve()
    assert sol.status == "init_failure"  # as the issue reports; the message now names why
    assert "'Negative electrode thickness [m]' = 80" in sol.message
    assert "ohmic drop across the electrolyte" in sol.message


def test_sweep_init_failure_names_its_cause(tmp_path):
    with pytest.warns(UnitWarning):
        sweep = Sweep("Chen2020", vary={"Negative electrode thickness [m]": [80, 8.52e-5]}, mesh=COARSE, t_end=600)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sweep.run(output=tmp_path / "thick.h5", device="cpu", progress=False)
    assert str(res.status_names[0]) == "init_failure"
    assert "Negative electrode thickness [m]" in str(res.messages[0])
    assert "ohmic drop" in str(res.messages[0])


# -- item 11: attributes -------------------------------------------------------------------
def test_latin_hypercube_sweep_is_not_called_a_grid(tmp_path):
    sweep = Sweep("Chen2020", vary={"Negative particle radius [m]": {"uniform": [3e-6, 8e-6]}}, samples=3,
                  sampling="latin_hypercube", mesh=COARSE, c_rate=2)
    res = sweep.run(output=tmp_path / "lhs.h5", device="cpu", progress=False)
    assert res.attrs["combine"] == "latin_hypercube"
    assert res.attrs["sampling"].startswith("latin_hypercube (3 points")
    assert ionflux.load(tmp_path / "lhs.h5").attrs["combine"] == "latin_hypercube"
