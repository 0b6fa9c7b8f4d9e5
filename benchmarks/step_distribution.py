#!/usr/bin/env python3
"""Where in time the integrator's steps fall: ionflux against PyBaMM, one 1C discharge.

Runs one set's 1C discharge to its lower cut-off (default mesh, rtol 1e-6, atol 1e-8) in
PyBaMM 26.10.1.1 (DFN, IDAKLUSolver, output at the solver's own steps, as
benchmarks/pybamm_dfn.py) and in `ionflux simulate --period 0` (a row per BDF step), and
counts the steps of each in time windows. Where one code takes fewer steps than the other
shows which phase of the discharge the difference comes from (issue 14: Chen2020 takes a
third fewer steps than PyBaMM, Mohtat2020 about as many).

    python3 benchmarks/step_distribution.py --set Mohtat2020 --soc 1 --cli build/ionflux
"""

import argparse
import os
import subprocess
import tempfile

import numpy as np
import pandas as pd
import pybamm

WINDOWS = [0, 1e-3, 0.1, 1, 10, 100, 500, 1000, 2000, 3000, 3300, 3400, 3450, 3500, 3550, 3600, 4000, 1e9]


def pybamm_times(set_name, soc):
    pv = pybamm.ParameterValues(set_name)
    if soc >= 0:
        pv.set_initial_state(soc)
    pv["Current function [A]"] = pv["Nominal cell capacity [A.h]"]
    sim = pybamm.Simulation(pybamm.lithium_ion.DFN(), parameter_values=pv)
    sim.build()
    sol = pybamm.IDAKLUSolver(rtol=1e-6, atol=1e-8).solve(sim.built_model, [0.0, 5400.0])
    return np.asarray(sol.t)


def ionflux_times(cli, set_name, soc):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "steps.csv")
        args = [cli, "simulate", "--parameters", set_name, "--output", out, "--period", "0", "--quiet"]
        if soc >= 0:
            args += ["--soc", repr(soc)]
        subprocess.run(args, check=True, capture_output=True, text=True)
        return pd.read_csv(out)["Time [s]"].to_numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default="Chen2020")
    ap.add_argument("--soc", type=float, default=-1.0, help="initial SOC (default: the set's own state)")
    ap.add_argument("--cli", default="build/ionflux")
    args = ap.parse_args()
    tp, ti = pybamm_times(args.set, args.soc), ionflux_times(args.cli, args.set, args.soc)
    print(f"{args.set}: PyBaMM {len(tp) - 1} steps to {tp[-1]:.3f} s, ionflux {len(ti) - 1} steps to {ti[-1]:.3f} s")
    hp, _ = np.histogram(tp, WINDOWS)
    hi, _ = np.histogram(ti, WINDOWS)
    print("| window [s] | PyBaMM steps | ionflux steps |\n|---|---|---|")
    for a, b, p, i in zip(WINDOWS[:-1], WINDOWS[1:], hp, hi):
        if p or i:
            print(f"| [{a:g}, {b:g}) | {p} | {i} |")


if __name__ == "__main__":
    main()
