#!/usr/bin/env python3
"""PyBaMM peer for ionflux's CPU sweep benchmark.

Chen2020, 1C discharge to 2.5 V, default mesh, IDAKLUSolver(rtol=1e-6, atol=1e-8),
N cells that differ in "Negative particle diffusivity [m2.s-1]" (log-spaced from
1e-14 to 1e-13 — a parameter PyBaMM accepts as an input, unlike geometry). The model
is built once; one warm-up solve; then all N input sets are solved in one call with
IDAKLU's OpenMP group solver (options num_threads = num_solvers = threads).
Prints one JSON line: cells, threads, wall time, cells per second.

    python3 benchmarks/pybamm_sweep.py --cells 1000 --threads 2
"""
import argparse
import json
import time

import numpy as np
import pybamm


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    pv = pybamm.ParameterValues("Chen2020")
    pv["Current function [A]"] = 5.0
    pv["Negative particle diffusivity [m2.s-1]"] = "[input]"
    sim = pybamm.Simulation(pybamm.lithium_ion.DFN(), parameter_values=pv)
    sim.build()
    model = sim.built_model
    solver = pybamm.IDAKLUSolver(
        rtol=1e-6, atol=1e-8, options={"num_threads": args.threads, "num_solvers": args.threads}
    )
    d = np.logspace(-14, -13, args.cells)
    inputs = [{"Negative particle diffusivity [m2.s-1]": float(x)} for x in d]
    solver.solve(model, [0, 5400], inputs=inputs[:1])  # warm-up
    t0 = time.perf_counter()
    sols = solver.solve(model, [0, 5400], inputs=inputs)
    wall = time.perf_counter() - t0
    ends = [float(s.t[-1]) for s in sols]
    print(json.dumps({"tool": "pybamm", "version": pybamm.__version__, "cells": args.cells,
                      "threads": args.threads, "wall_s": wall, "cells_per_s": args.cells / wall,
                      "end_time_min_s": min(ends), "end_time_max_s": max(ends)}))


if __name__ == "__main__":
    main()
