#!/usr/bin/env python3
"""PyBaMM peer for ionflux's experiment benchmark (bench_experiment).

Cases (Chen2020, default DFN, default mesh, IDAKLUSolver(rtol=1e-6, atol=1e-8)):
  cccv: "Discharge at 1C until 2.5 V", "Rest for 1 hour", "Charge at 1C until 4.2 V",
        "Hold at 4.2 V until C/50"
  us06: the US06 current drive cycle (600 s) from 90 % SOC
The Simulation is built and solved once (warm-up: PyBaMM builds one model per step
kind), then --repeats solves are timed (sim.solve again, reusing the built models).
Prints one JSON line: case, median and min wall time per solve [ms], end time.

    python3 benchmarks/pybamm_experiment.py --case cccv --repeats 5
"""
import argparse
import json
import statistics
import time

import numpy as np
import pybamm


def build(case, us06_path):
    pv = pybamm.ParameterValues("Chen2020")
    solver = pybamm.IDAKLUSolver(rtol=1e-6, atol=1e-8)
    if case == "cccv":
        exp = pybamm.Experiment(["Discharge at 1C until 2.5 V", "Rest for 1 hour", "Charge at 1C until 4.2 V",
                                 "Hold at 4.2 V until C/50"])
    else:
        data = np.loadtxt(us06_path, delimiter=",", comments="#")
        pv.set_initial_state(0.9)
        exp = pybamm.Experiment([pybamm.step.current(data)])
    return pybamm.Simulation(pybamm.lithium_ion.DFN(), parameter_values=pv, experiment=exp, solver=solver)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", choices=["cccv", "us06"], default="cccv")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--us06", default="../shared/reference-data/drive_cycles/US06.csv")
    args = ap.parse_args()
    sim = build(args.case, args.us06)
    sol = sim.solve()  # warm-up: builds the step models
    walls = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        sol = sim.solve()
        walls.append((time.perf_counter() - t0) * 1e3)
    print(json.dumps({"tool": "pybamm", "version": pybamm.__version__, "case": args.case,
                      "median_ms": statistics.median(walls), "min_ms": min(walls),
                      "t_end_s": float(sol.t[-1]), "repeats": args.repeats}))


if __name__ == "__main__":
    main()
