#!/usr/bin/env python3
"""How accurate each solver is at the tolerances the speed comparisons use.

Issue 14 compares ionflux with PyBaMM at the same rtol and atol (PyBaMM's IDAKLU
defaults, 1e-6 and 1e-8). The comparison is fair only if the two are about as accurate
there: a solver could be fast by being loose. This runs, for each set (1C discharge,
default mesh, from the set's initial state; Mohtat2020 from SOC 1 as elsewhere):

* PyBaMM 26.10.1.1 (DFN, IDAKLUSolver) at the given tolerances and at rtol 1e-10 /
  atol 1e-12, with t_eval = [0, 3600] and the voltage interpolated (t_interp) every
  `--period` seconds below `--t-max`, so that its own step choice is kept;
* `ionflux simulate` at the same two pairs of tolerances with `--period`.

The two tight runs agree to about 1e-10 V (the same finite-volume discretisation, printed
as "references"), so the tight ionflux run is the common reference, and each
default-tolerance run's error is its voltage's distance from it: max and RMS over the
output times. Also printed: the steps each solver took at the given tolerances (PyBaMM's
`solver_statistics.number_of_steps`, ionflux's summary).

    python3 benchmarks/work_precision.py --cli build/ionflux [--sets Chen2020,Prada2013]
"""
import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

SETS = "Chen2020,Marquis2019,Prada2013,Mohtat2020,NCA_Kim2011,Ecker2015,Ai2020,OKane2022,ORegan2022"
SOC = {"Mohtat2020": 1.0}  # as bench_dfn --set Mohtat2020 --soc 1 (its own state is not at the top)


def pybamm_run(name, rtol, atol, times):
    import pybamm

    pv = pybamm.ParameterValues(name)
    pv["Current function [A]"] = pv["Nominal cell capacity [A.h]"]
    sim = pybamm.Simulation(pybamm.lithium_ion.DFN(), parameter_values=pv,
                            solver=pybamm.IDAKLUSolver(rtol=rtol, atol=atol))
    kw = {"initial_soc": SOC[name]} if name in SOC else {}
    sol = sim.solve([0, 3600], t_interp=times, **kw)
    st = sol.solver_statistics
    return (np.asarray(sol["Time [s]"].entries), np.asarray(sol["Voltage [V]"].entries),
            int(st.number_of_steps) if st is not None else -1)


def ionflux_run(cli, name, rtol, atol, period, out):
    cmd = [cli, "simulate", "--parameters", name, "--c-rate", "1", "--period", str(period), "--rtol", str(rtol),
           "--atol", str(atol), "--output", out]  # (1C of the nominal capacity, as PyBaMM's run above)
    if name in SOC:
        cmd += ["--soc", str(SOC[name])]
    run = subprocess.run(cmd, capture_output=True, text=True, check=True)
    steps = re.search(r"Solver\s+(\d+) steps", run.stdout)
    with open(out) as f:
        rows = list(csv.reader(f))
    head = rows[0]
    it, iv = 0, next(i for i, h in enumerate(head) if h.startswith("Voltage"))
    t = np.array([float(r[it]) for r in rows[1:]])
    v = np.array([float(r[iv]) for r in rows[1:]])
    return t, v, int(steps.group(1)) if steps else -1


def on_grid(t, v, grid):
    """v at the times of `grid` (each must be an output time of t)."""
    index = {round(x, 6): k for k, x in enumerate(t)}
    return np.array([v[index[round(g, 6)]] for g in grid])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", default="build/ionflux")
    ap.add_argument("--sets", default=SETS)
    ap.add_argument("--rtol", type=float, default=1e-6)
    ap.add_argument("--atol", type=float, default=1e-8)
    ap.add_argument("--period", type=float, default=10.0)
    ap.add_argument("--t-max", type=float, default=2900.0,
                    help="compare outputs below this time [s] (every set's 1C cut-off is later)")
    a = ap.parse_args()
    grid = np.arange(0.0, a.t_max, a.period)
    print(f"1C discharges, default mesh; tolerances rtol {a.rtol:g}, atol {a.atol:g} against rtol 1e-10, atol 1e-12; "
          f"voltage every {a.period:g} s below {a.t_max:g} s")
    print(f"{'set':12} {'references':>12} | {'PyBaMM max':>10} {'rms':>9} {'steps':>6} | "
          f"{'ionflux max':>11} {'rms':>9} {'steps':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.sets.split(","):
            _, vp, np_steps = pybamm_run(name, a.rtol, a.atol, grid)
            vp_ref, tight = None, ""
            for rt, at in ((1e-10, 1e-12), (1e-9, 1e-11), (1e-8, 1e-10)):  # PyBaMM's IDA fails on some sets
                try:
                    _, vp_ref, _ = pybamm_run(name, rt, at, grid)
                    tight = "" if rt == 1e-10 else f" (PyBaMM's reference at rtol {rt:g}: it failed at tighter ones)"
                    break
                except Exception:  # noqa: BLE001 - pybamm.SolverError
                    continue
            t, v, ni_steps = ionflux_run(a.cli, name, a.rtol, a.atol, a.period, os.path.join(tmp, "a.csv"))
            tr, vr, _ = ionflux_run(a.cli, name, 1e-10, 1e-12, a.period, os.path.join(tmp, "r.csv"))
            ref = on_grid(tr, vr, grid)
            mine = on_grid(t, v, grid)
            n = min(len(vp), len(grid))
            if vp_ref is None:  # the agreement of the references is then not shown
                vp_ref, tight = np.full(len(grid), np.nan), " (PyBaMM failed at rtol 1e-10, 1e-9 and 1e-8)"
            if len(vp_ref) < n or n < len(grid):
                sys.exit(f"{name}: PyBaMM stopped before {a.t_max:g} s; give a smaller --t-max")
            agree = np.abs(vp_ref[:n] - ref[:n]).max()
            ep, ei = np.abs(vp[:n] - ref[:n]), np.abs(mine[:n] - ref[:n])
            rms = lambda e: float(np.sqrt(np.mean(e ** 2)))  # noqa: E731
            print(f"{name:12} {agree:12.2e} | {ep.max():10.2e} {rms(ep):9.2e} {np_steps:6d} | "
                  f"{ei.max():11.2e} {rms(ei):9.2e} {ni_steps:6d}{tight}", flush=True)


if __name__ == "__main__":
    main()
