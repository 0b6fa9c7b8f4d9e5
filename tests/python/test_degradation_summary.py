"""Per-cycle degradation summary variables (issue 16, "Outputs") of runs with SEI and
lithium plating, against PyBaMM 26.10.1.1 fixtures made by
tests/fixtures/degradation/generate_degradation_fixtures.py (OKane2022, mesh 5/5/5, r 30/30,
two CC-CV cycles 1C / 0.3C / hold to C/100, IDAKLU rtol = atol = 1e-8). The losses come from
the SEI and plating states (kernels/model/inventory.hpp); before they were wired they read 0.
The issue asks capacity within 0.1 % and LLI/losses within 1 % relative; measured here
(2026-12-05) the agreement is ~1e-9 (capacity) and ~1e-7 (losses), so the bounds are
1e-6 and 1e-5: tight enough to catch a wrong term, loose enough for time-integration error."""
import json
import os
import subprocess

import numpy as np
import pytest
from conftest import REPO

import ionflux
from ionflux import ParameterSet, Simulation

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


# -- particle mechanics, LAM and SEI on cracks (issue 16, i16-mhost) ----------------------------------
# Fixtures (same generator, PyBaMM 26.10.1.1, OKane2022, mesh 5/5/5, r 30/30, IDAKLU rtol = atol
# = 1e-8): lam_stress_driven_cccv ("loss of active material": "stress-driven", two CC-CV
# cycles), mech_sei_on_cracks_cccv (SEI solvent-diffusion + "SEI on cracks", two cycles) and
# coupled_n10 (the coupled-degradation notebook's options and protocol with N = 10: 16 cycles;
# reference 11.1). Bounds: the (Capacity 0.1 %, LLI / LAM / losses 1 % relative where
# PyBaMM's value is not ~0, voltage RMS 1 mV). Measured (2026-12-05, after i16-mech's stages):
#   lam_stress_driven_cccv   voltage RMS 2.3e-6 V, Capacity 3e-13, LLI 6e-9, LAM 1.4e-8 / 6.6e-8
#   mech_sei_on_cracks_cccv  voltage RMS 9.1e-7 V, Capacity 2e-11, LLI 4.7e-8, SEI on cracks 4.3e-8
#   coupled_n10 (16 cycles)  voltage RMS 3.5e-6 V, Capacity 4.4e-9, LLI 9.9e-7, LAM 1.4e-8 / 4.1e-8,
#                            SEI 1.4e-7, SEI on cracks 2.2e-7, plating 1.7e-6 (max relative, per cycle)
# and coupled_n100 (opt-in below, 106 cycles, 32-40 s here): Capacity 2.8e-7, LLI 5.3e-5, LAM
# 3.1e-7 / 7.1e-7, SEI on cracks 1.1e-5, plating 2.8e-4 (PyBaMM's default tolerances there).
MECH_CASES = ["lam_stress_driven_cccv", "mech_sei_on_cracks_cccv", "coupled_n10"]
MECH_LOSSES = ("Loss of lithium inventory [%]", "Loss of active material in negative electrode [%]",
               "Loss of active material in positive electrode [%]", "Total lithium lost to side reactions [mol]",
               "Loss of capacity to negative SEI [A.h]", "Loss of capacity to negative SEI on cracks [A.h]",
               "Loss of capacity to negative lithium plating [A.h]")


def solve_or_skip(fx):
    experiment = [tuple(c) for c in fx["experiment"]["cycles"]]
    try:
        sim = Simulation(fx["parameter_set"], options=fx["options"], experiment=experiment, mesh=fx["var_pts"],
                         solver={"rtol": 1e-8, "atol": 1e-8, "max_steps": 10**7})
        return sim.solve()
    except ValueError as e:  # validate_run_options refuses mechanics/LAM until i16-mech's kernel stages
        if "not solved by ionflux yet" in str(e):
            pytest.skip(f"mechanics/LAM not solved on this branch yet: {e}")
        raise


#: Below these PyBaMM's values are round-off, not a loss: 1 - Q/Q_init of an unchanged
#: capacity reads 2.8e-14 to 5.7e-14 % in PyBaMM (mech_sei_on_cracks_cccv, coupled_n10 cycle 1).
ZERO_FLOOR = {"[%]": 1e-10, "[A.h]": 1e-12, "[mol]": 1e-14}


def close_where_not_zero(ours, ref, rtol, name):
    """ours vs ref within rtol relative where PyBaMM's value is not ~0: |ref| > 1e-3 max|ref|
    and above the unit's round-off floor; elsewhere within rtol of that threshold (absolute)."""
    ours, ref = np.asarray(ours, dtype=float), np.asarray(ref, dtype=float)
    floor = next((v for k, v in ZERO_FLOOR.items() if name.endswith(k)), 0.0)
    threshold = max(1e-3 * np.max(np.abs(ref)), floor)
    big = np.abs(ref) > threshold
    np.testing.assert_allclose(ours[big], ref[big], rtol=rtol, err_msg=name)
    np.testing.assert_allclose(ours[~big], ref[~big], rtol=0, atol=max(rtol * threshold, floor), err_msg=name)


@pytest.mark.parametrize("case", MECH_CASES)
def test_mechanics_and_lam_summaries_match_pybamm(case):
    fx = load(case)
    sol = solve_or_skip(fx)
    sv, theirs = sol.summary_variables, fx["summary"]
    assert len(sv["Capacity [A.h]"]) == len(theirs["Capacity [A.h]"])
    np.testing.assert_allclose(sv["Capacity [A.h]"], theirs["Capacity [A.h]"], rtol=1e-3)
    for name in MECH_LOSSES:
        close_where_not_zero(sv[name], theirs[name], 1e-2, name)
    # lithium lost with the active material, at each cycle's end (a PyBaMM time series)
    t_end = [c["steps"][-1]["t_end"] for c in fx["cycles"]]
    for d in ("negative", "positive"):
        name = f"Loss of lithium due to loss of active material in {d} electrode [mol]"
        if name in fx["variables"]:
            ref = np.interp(t_end, fx["t"], fx["variables"][name])
            close_where_not_zero(sv[name], ref, 1e-2, name)
    # voltage RMS over the run at PyBaMM's stored times, away (> 1 s) from step changes
    ends = np.array([s["t_end"] for c in fx["cycles"] for s in c["steps"]])
    t = np.asarray(fx["t"])
    keep = np.array([np.min(np.abs(ends - tk)) > 1.0 for tk in t])
    v = np.interp(t[keep], np.asarray(sol["Time [s]"]), np.asarray(sol["Voltage [V]"]))
    rms = float(np.sqrt(np.mean((v - np.asarray(fx["voltage"])[keep]) ** 2)))
    assert rms <= 1e-3, rms
    print(f"{case}: voltage RMS {rms:.3g} V, capacity max rel diff "
          f"{np.max(np.abs(np.asarray(sv['Capacity [A.h]']) / theirs['Capacity [A.h]'] - 1)):.3g}")


def test_lithium_is_conserved_with_every_option():
    """coupled_n10's options and protocol on a coarse mesh: particles (current eps_s) +
    electrolyte + side reactions + lost with LAM is constant (reference 9.1; the fixtures'
    own check closes to 5e-12). Bound: the issue's 1e-8 relative."""
    fx = load("coupled_n10")
    fx = dict(fx, var_pts={"x_n": 4, "x_s": 3, "x_p": 4, "r_n": 8, "r_p": 8})
    experiment = [tuple(c) for c in fx["experiment"]["cycles"]]
    try:
        sol = Simulation(fx["parameter_set"], options=fx["options"], experiment=experiment, mesh=fx["var_pts"],
                         solver={"rtol": 1e-6, "atol": 1e-8, "max_steps": 10**7}).solve()
    except ValueError as e:
        if "not solved by ionflux yet" in str(e):
            pytest.skip(f"mechanics/LAM not solved on this branch yet: {e}")
        raise
    sv = sol.summary_variables
    total = (np.asarray(sv["Total lithium [mol]"]) + np.asarray(sv["Total lithium lost to side reactions [mol]"]) +
             np.asarray(sv["Loss of lithium due to loss of active material in negative electrode [mol]"]) +
             np.asarray(sv["Loss of lithium due to loss of active material in positive electrode [mol]"]))
    np.testing.assert_allclose(total, total[0], rtol=1e-8)
    assert sv["Loss of capacity to negative SEI on cracks [A.h]"][-1] > 0.0
    assert sv["Loss of active material in negative electrode [%]"][-1] > 0.0


def test_porosity_time_series_matches_pybamm():
    """The degradation time series (solved from the stored states: summary.hpp's
    degradation_series) with an option main solves: "X-averaged negative electrode porosity"
    under SEI porosity change, 1C discharge, against generate_core_fixtures.py's
    core_sei_solvent_porosity (PyBaMM 26.10.1.1, r 10/10, rtol = atol = 1e-8). The porosity
    falls by ~2e-5; its change agrees to 3.7e-9 relative (measured 2026-12-05), bound 1e-6
    (tight enough to catch a wrong term, loose for time-integration error). Options without one of
    these outputs give none (sol[...] raises)."""
    fx = load("core_sei_solvent_porosity")
    sol = Simulation(fx["parameter_set"], current=5.0, options=fx["options"], mesh=fx["var_pts"],
                     solver={"rtol": 1e-8, "atol": 1e-8}).solve()
    t = np.asarray(fx["t"])
    t = t[t <= float(np.asarray(sol["Time [s]"])[-1])]
    ours = np.interp(t, np.asarray(sol["Time [s]"]), np.asarray(sol["X-averaged negative electrode porosity"]))
    ref = np.asarray(fx["variables"]["X-averaged negative electrode porosity"])[: t.size]
    eps0 = 0.25  # OKane2022's "Negative electrode porosity"
    np.testing.assert_allclose(eps0 - ours[1:], eps0 - ref[1:], rtol=1e-6)
    with pytest.raises(Exception):
        sol["Cell thickness change [m]"]  # no particle mechanics in this run


@pytest.mark.skipif(not os.environ.get("IONFLUX_SLOW_TESTS"), reason="opt-in (IONFLUX_SLOW_TESTS=1): 106 cycles")
def test_coupled_100_cycles_match_pybamm():
    """The coupled configuration with N = 100 (106 cycles) against coupled_n100.json (PyBaMM
    26.10.1.1 at its default IDAKLU tolerances, which the fixture notes put at <= 1e-4 relative
    of the 1e-8 run in LLI and LAM): per-cycle Capacity within 0.1 %, LLI, LAM and the losses
    within 1 % where PyBaMM's is not ~0, at every cycle PyBaMM reaches (all 106). Opt-in: too
    long for CI (the 10-cycle case is test_mechanics_and_lam_summaries_match_pybamm)."""
    fx = load("coupled_n100")
    experiment = [tuple(c) for c in fx["experiment"]["cycles"]]
    try:
        sol = Simulation(fx["parameter_set"], options=fx["options"], experiment=experiment, mesh=fx["var_pts"],
                         solver={"max_steps": 10**8}, period=60.0).solve()
    except ValueError as e:
        if "not solved by ionflux yet" in str(e):
            pytest.skip(f"mechanics/LAM not solved on this branch yet: {e}")
        raise
    sv, theirs = sol.summary_variables, fx["summary"]
    n = fx["cycles_completed"]
    np.testing.assert_allclose(np.asarray(sv["Capacity [A.h]"])[:n], theirs["Capacity [A.h]"][:n], rtol=1e-3)
    for name in MECH_LOSSES:
        if name in theirs:
            close_where_not_zero(np.asarray(sv[name])[:n], np.asarray(theirs[name])[:n], 1e-2, name)


@pytest.mark.parametrize("fixture", ["mech_swelling_only_thickness_1c", "mech_swelling_only_thickness_ai2020"])
def test_thickness_change_matches_pybamm(fixture):
    """"{Negative,Positive} electrode thickness change [m]", "Cell thickness change [m]" and the
    roughness ratio ("swelling only": 1) of a 1C discharge against PyBaMM 26.10.1.1
    (outputs/mech_swelling_only_thickness_1c.json and ..._ai2020.json, made by
    generate_thickness_fixture.py in the same folder: OKane2022 at t = 600 ... 3000 s, and
    Ai2020, whose 34 electrodes in parallel multiply the changes, at t = 300 ... 1800 s; r
    30/30, IDAKLU rtol = atol = 1e-8). Measured (2026-12-05, OKane2022): <= 1.1e-8 relative
    (negative; positive 1e-14), bound 1e-6. Ai2020's were 34 times too small until session 18
    (n_par taken as 1; found by a differential test)."""
    fx = load("outputs/" + fixture)
    try:
        sol = Simulation(fx["parameter_set"], current=fx["current_function"], options=fx["options"],
                         mesh=fx["var_pts"], solver=fx["solver"], t_end=fx["t"][-1] + 1.0).solve()
    except ValueError as e:
        if "not solved by ionflux yet" in str(e):
            pytest.skip(f"particle mechanics not solved on this branch yet: {e}")
        raise
    t = np.asarray(fx["t"])[1:]
    for name, ref in fx["variables"].items():
        if name == "Voltage [V]":
            continue
        ours = np.interp(t, np.asarray(sol["Time [s]"]), np.asarray(sol[name]))
        np.testing.assert_allclose(ours, np.asarray(ref)[1:], rtol=1e-6, err_msg=name)


def test_a_constant_current_runs_summary_follows_the_lost_active_material():
    """A constant-current run's summary variables under loss of active material (PyBaMM
    fixture lam_reaction_driven_1c: OKane2022, SEI + reaction-driven LAM, 5 A to 2.5 V).
    They had been computed in Python with the set's initial eps_s (the lithium in the
    negative electrode 0.24 % off, its capacity and its change not moving at all); they now
    come from the solver's inventory, as an experiment's. The electrode stoichiometry is
    PyBaMM's x-average(eps_s c) / x-average(eps_s) / c_max, which PyBaMM's own totals give:
    Total lithium in negative electrode / ((1 - LAM / 100) eps_s,0 L_n A c_max)."""
    fx = load("lam_reaction_driven_1c")
    ps = ParameterSet(fx["parameter_set"])
    for k, v in fx["parameter_updates"].items():
        ps[k] = v
    sol = Simulation(ps, options=fx["options"], current=5.0, mesh=fx["var_pts"],
                     solver={"rtol": 1e-8, "atol": 1e-8}).solve()
    assert sol.termination == "event: Minimum voltage [V]"
    sv, theirs = sol.summary_variables, fx["variables"]
    for name in ("Total lithium in negative electrode [mol]", "Total lithium [mol]", "Total lithium in particles [mol]",
                 "Loss of active material in negative electrode [%]"):
        np.testing.assert_allclose(sv[name][0], theirs[name][-1], rtol=1e-5, err_msg=name)
        change = "Change in " + name[0].lower() + name[1:]
        np.testing.assert_allclose(sv[change][0], theirs[name][-1] - theirs[name][0], rtol=1e-4, atol=1e-12,
                                   err_msg=change)
    # the electrode stoichiometry from PyBaMM's totals, at the fixture's times
    eps0, c_max = ps["Negative electrode active material volume fraction"], ps["Maximum concentration in negative electrode [mol.m-3]"]
    area = ps["Electrode height [m]"] * ps["Electrode width [m]"] * ps["Number of electrodes connected in parallel to make a cell"]
    t = np.asarray(fx["t"])
    lam = np.asarray(theirs["Loss of active material in negative electrode [%]"])
    sto_theirs = np.asarray(theirs["Total lithium in negative electrode [mol]"]) / (
        (1 - lam / 100) * eps0 * ps["Negative electrode thickness [m]"] * area * c_max)
    inside = t <= sol.t[-1]
    ours = np.interp(t[inside], sol.t, sol["Negative electrode stoichiometry"])
    np.testing.assert_allclose(ours, sto_theirs[inside], rtol=1e-6, atol=1e-7)


def test_experiment_termination_at_a_capacity_or_a_voltage_as_pybamm():
    """PyBaMM's Experiment(termination=...) (simulation.py: after each cycle, stop once the
    cycle's eSOH "Capacity [A.h]" is at or below the limit, "X%" of the first cycle's, or
    the cycle's lowest voltage at or below "V"), checked by the solver at each cycle's end.
    The limits are set between PyBaMM's own cycle capacities (fixture
    sei_solvent_diffusion_limited_cccv: 5.10975369886 and 5.10956733875 A.h), so PyBaMM's
    rule stops a 5-cycle run after its second cycle."""
    fx = load("sei_solvent_diffusion_limited_cccv")
    cycle = tuple(fx["experiment"]["cycles"][0])
    q1, q2 = fx["summary"]["Capacity [A.h]"]
    between = (q1 + q2) / 2

    def run(termination, cycles=5):
        return Simulation(fx["parameter_set"], options=fx["options"], experiment=[cycle], cycles=cycles,
                          mesh=fx["var_pts"], solver={"rtol": 1e-8, "atol": 1e-8}, termination=termination).solve()

    for term in (f"{between:.12g} Ah capacity", f"{100 * between / q1:.12g}% capacity"):
        sol = run(term)
        assert sol.status == "experiment_end" and sol.termination == "experiment capacity limit reached", sol.message
        assert len(sol.cycles) == 2 and sol.ok
        np.testing.assert_allclose(sol.summary_variables["Capacity [A.h]"], [q1, q2], rtol=1e-6)
        assert "reached at the end of cycle 1" in sol.message and "3 cycles did not run" in sol.message
    # 100 %: the first cycle meets it (PyBaMM: capacity_now <= 100 % of itself)
    assert len(run("100% capacity").cycles) == 1
    # a voltage: the first cycle's discharge reaches 2.5 V
    sol = run("3.0 V")
    assert sol.termination == "experiment voltage limit reached" and len(sol.cycles) == 1
    assert "lowest voltage 2.5 V <= 3 V" in sol.message
    done = run("2.4 V", cycles=2)  # never met: the protocol completes
    assert done.status == "finished" and len(done.cycles) == 2
    with pytest.raises(ValueError, match="needs an experiment"):
        Simulation("Chen2020", termination="80% capacity")
    with pytest.raises(ValueError, match=r"experiment termination \"80 capacity\": a capacity termination is a "
                                         r"percentage of the first cycle's or A.h"):
        run("80 capacity")


def test_experiment_termination_in_a_sweep_and_the_cli(cli, tmp_path):
    fx = load("sei_solvent_diffusion_limited_cccv")
    cycle = fx["experiment"]["cycles"][0]
    q1, q2 = fx["summary"]["Capacity [A.h]"]
    term = f"{(q1 + q2) / 2:.12g} Ah capacity"
    sweep = ionflux.Sweep(fx["parameter_set"], options=fx["options"], experiment=[tuple(cycle)], cycles=4,
                          mesh=fx["var_pts"], solver={"rtol": 1e-8, "atol": 1e-8}, termination=term,
                          vary={"Negative electrode thickness [m]": [8.52e-5]})
    assert sweep.config()["termination"] == [term]
    res = sweep.run(progress=False, output=tmp_path / "s.h5")
    assert list(res.status_names) == ["experiment_end"]
    np.testing.assert_allclose(res.cycles["Capacity [A.h]"][0][:2], [q1, q2], rtol=1e-6)
    assert np.isnan(res.cycles["Capacity [A.h]"][0][2:]).all()  # the cycles not run
    assert json.loads(res.attrs["settings"])["termination"] == term
    # the CLI: --termination, and a sweep config's "termination"
    args = [cli, "simulate", "--parameters", "OKane2022", "--mesh", "x_n=5,x_s=5,x_p=5,r_n=30,r_p=30", "--rtol", "1e-8",
            "--atol", "1e-8", "--option", "SEI=solvent-diffusion limited", "--cycles", "4", "--termination", term,
            "--output", str(tmp_path / "s.csv")] + [a for s in cycle for a in ("--experiment", s)]
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "the experiment's termination" in r.stdout and "reached at the end of cycle 1" in r.stdout
    sweep.to_json(tmp_path / "c.json")
    r = subprocess.run([cli, "sweep", str(tmp_path / "c.json"), "--output", str(tmp_path / "c.h5"), "--quiet"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert list(ionflux.load(tmp_path / "c.h5").status_names) == ["experiment_end"]
