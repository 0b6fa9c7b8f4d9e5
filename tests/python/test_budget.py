"""A budget per cell (issue 15 item 1): solver={"max_steps": N, "max_wall_time": S}."""
import warnings

import numpy as np
import pytest
from conftest import COARSE

from ionflux import Simulation, SolverWarning, Sweep


def test_max_steps_keeps_the_outputs_so_far():
    full = Simulation("Chen2020", c_rate=1, mesh=COARSE).solve()
    n = len(full.t) // 2  # outputs are the accepted steps (no period): half the steps, about half the rows
    with pytest.warns(SolverWarning, match="maximum number of steps reached"):
        cut = Simulation("Chen2020", c_rate=1, mesh=COARSE, solver={"max_steps": n}).solve()
    assert cut.status == "step_limit"
    assert f"{n} steps (solver max_steps)" in cut.message
    assert 2 < len(cut.t) < len(full.t)
    # the same rows as the unbudgeted run's first ones, bit for bit (a budget changes no step)
    np.testing.assert_array_equal(cut.t, full.t[: len(cut.t)])
    np.testing.assert_array_equal(cut["Voltage [V]"], full["Voltage [V]"][: len(cut.t)])


def test_tiny_max_wall_time_ends_with_time_limit_and_the_sweep_goes_on():
    with pytest.warns(SolverWarning, match="maximum wall time per cell reached"):
        sol = Simulation("Chen2020", c_rate=1, mesh=COARSE, solver={"max_wall_time": 1e-9}).solve()
    assert sol.status == "time_limit"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SolverWarning)
        res = Sweep(vary={"C-rate": [0.5, 1, 2]}, mesh=COARSE, solver={"max_wall_time": 1e-9}).run(
            device="cpu", progress=False)
    assert list(res.status_names) == ["time_limit"] * 3  # every cell ran, each with its own status


@pytest.mark.parametrize("solver, match", [
    ({"max_steps": 0}, "'max_steps' must be an integer from 1 to"),
    ({"max_steps": 2.5}, "'max_steps' must be an integer"),
    ({"max_steps": True}, "'max_steps' must be an integer"),
    ({"max_wall_time": 0}, "'max_wall_time' must be a positive number of seconds"),
    ({"max_wall_time": -3.0}, "'max_wall_time' must be a positive number of seconds"),
    ({"max_stesp": 10}, "did you mean 'max_steps'"),
])
def test_bad_budgets_are_rejected(solver, match):
    with pytest.raises(ValueError, match=match):
        Simulation("Chen2020", solver=solver)


@pytest.mark.parametrize("solver, match", [
    ({"max_steps": 0}, "solver.max_steps must be an integer from 1 to"),
    ({"max_wall_time": -1}, "solver.max_wall_time must be a positive number of seconds"),
])
def test_bad_sweep_budgets_are_rejected(solver, match):
    with pytest.raises(ValueError, match=match):
        Sweep(vary={"C-rate": [1]}, solver=solver).run(device="cpu", progress=False)
