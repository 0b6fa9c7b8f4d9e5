"""Per-cycle degradation summary variables (issue 16, "Outputs") of runs with SEI and
lithium plating, against PyBaMM 26.10.1.1 fixtures made by
tests/fixtures/degradation/generate_degradation_fixtures.py (OKane2022, mesh 5/5/5, r 30/30,
two CC-CV cycles 1C / 0.3C / hold to C/100, IDAKLU rtol = atol = 1e-8). The losses come from
the SEI and plating states (kernels/model/inventory.hpp); before they were wired they read 0.
The issue asks capacity within 0.1 % and LLI/losses within 1 % relative; measured here
(2026-12-05) the agreement is ~1e-9 (capacity) and ~1e-7 (losses), so the bounds are
1e-6 and 1e-5: tight enough to catch a wrong term, loose enough for time-integration error."""
import json

import numpy as np
import pytest
from conftest import REPO

from ionflux import Simulation

CASES = ["sei_solvent_diffusion_limited_cccv", "plating_partially_reversible_cccv",
         "sei_solvent_diffusion_limited_film_average_cccv"]


def load(case):
    return json.loads((REPO / f"tests/fixtures/degradation/{case}.json").read_text())


@pytest.mark.parametrize("case", CASES)
def test_losses_match_pybamm(case):
    fx = load(case)
    experiment = [tuple(c) for c in fx["experiment"]["cycles"]]
    sol = Simulation(fx["parameter_set"], options=fx["options"], experiment=experiment, mesh=fx["var_pts"],
                     solver={"rtol": 1e-8, "atol": 1e-8}).solve()
    sv, theirs = sol.summary_variables, fx["summary"]
    np.testing.assert_allclose(sv["Capacity [A.h]"], theirs["Capacity [A.h]"], rtol=1e-6)
    for name in ("Loss of lithium inventory [%]", "Total lithium lost to side reactions [mol]",
                 "Loss of capacity to negative SEI [A.h]", "Loss of capacity to negative lithium plating [A.h]"):
        ref = np.asarray(theirs[name])
        if np.all(ref == 0.0):  # the mechanism is off in this case: exactly 0 here too
            assert np.all(np.asarray(sv[name]) == 0.0), name
        else:
            np.testing.assert_allclose(sv[name], ref, rtol=1e-5, err_msg=name)
    # the side-reaction losses account for the lithium the particles lost (PyBaMM: the
    # same identity; electrolyte lithium is conserved by both models)
    lost = np.asarray(sv["Total lithium lost from particles [mol]"])
    np.testing.assert_allclose(sv["Total lithium lost to side reactions [mol]"], lost, rtol=1e-6)
