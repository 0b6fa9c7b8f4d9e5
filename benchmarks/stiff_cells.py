#!/usr/bin/env python3
"""Stiff cells of a sweep, ionflux vs PyBaMM side by side (issue 14, item 1).

Takes the slowest cells (by solver steps) of a sweep and runs each one again, alone,
in ionflux (the Python package, the same recipe as the sweep's cells) and in PyBaMM
(``pybamm.lithium_ion.DFN()``, the same parameters and mesh, ``IDAKLUSolver`` at the
same rtol/atol, constant current from t = 0 to the "Minimum voltage [V]" event, t_eval
= [0, t_end] with ionflux's t_end, so both integrators start from the same first step
h0 = 1e-3 t_end). ionflux applies rtol/atol to PyBaMM's scaled states, so both codes
work to the same accuracy target. For each cell it prints steps, Newton iterations,
Jacobian setups and error-test failures of both, and the RMS difference of the
voltages at PyBaMM's output times (PyBaMM's own steps).

Sweeps (``--sweep``):
  lhs   examples/sweep_lhs_chen2020.json (4,000 cells, Latin hypercube; run with the CLI
        `ionflux sweep` unless ``--h5`` names its output)
  nb02  the grid sweep of examples/02_design_sweep.ipynb (128 cells)
  nb04  the Latin-hypercube sweep of examples/04_big_sweep.ipynb (10,000 cells, coarse mesh)

    PYTHONPATH=python python3 benchmarks/stiff_cells.py --sweep lhs --h5 lhs.h5
    PYTHONPATH=python python3 benchmarks/stiff_cells.py --sweep nb04 --fraction 0.01
    PYTHONPATH=python python3 benchmarks/stiff_cells.py --sweep lhs --cells 3582,1442 --json out.json

Needs the ionflux package (its `_core` built) and pybamm; h5py for ``--h5``.
"""

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

DEFAULT_MESH = {"x_n": 20, "x_s": 20, "x_p": 20, "r_n": 20, "r_p": 20}
NB04_MESH = {"x_n": 10, "x_s": 6, "x_p": 10, "r_n": 8, "r_p": 8}


def sweep_spec(name):
    """(vary dict for ionflux.Sweep or None for a config file, Sweep keywords, mesh, t_end)."""
    if name == "lhs":
        cfg = json.loads((ROOT / "examples" / "sweep_lhs_chen2020.json").read_text())
        return cfg, {}, {**DEFAULT_MESH, **cfg.get("mesh", {})}, None
    if name == "nb02":
        vary = {
            "Negative electrode thickness [m]": {"linspace": [40e-6, 110e-6, 8]},
            "Negative particle radius [m]": {"linspace": [2e-6, 12e-6, 8]},
            "C-rate": [1, 3],
        }
        return None, dict(vary=vary, period=10, t_end=5000), dict(DEFAULT_MESH), 5000.0
    if name == "nb04":
        vary = {
            "Negative electrode thickness [m]": {"uniform": [60e-6, 100e-6]},
            "Negative particle radius [m]": {"loguniform": [2e-6, 12e-6]},
            "Positive particle radius [m]": {"loguniform": [2e-6, 10e-6]},
            "C-rate": {"uniform": [0.5, 3.0]},
        }
        return None, dict(vary=vary, samples=10_000, sampling="latin_hypercube", seed=2024, mesh=NB04_MESH,
                          t_end=10_000, period=50), dict(NB04_MESH), 10_000.0
    raise SystemExit(f"unknown sweep {name!r}: lhs, nb02 or nb04")


def sweep_cells(args):
    """Inputs (dict name -> array) and steps per cell of the whole sweep."""
    import ionflux

    cfg, kw, mesh, t_end = sweep_spec(args.sweep)
    if cfg is not None:  # a config file: the CLI writes its HDF5 output
        import h5py

        h5 = args.h5
        if not h5:
            h5 = os.path.join(tempfile.mkdtemp(prefix="stiff-cells-"), "sweep.h5")
            cmd = [args.cli, "sweep", str(ROOT / "examples" / "sweep_lhs_chen2020.json"), "--output", h5,
                   "--device", "cpu", "--quiet"]
            print("running:", " ".join(cmd), file=sys.stderr)
            subprocess.run(cmd, check=True)
        with h5py.File(h5, "r") as f:
            inputs = {k: f["inputs"][k][:] for k in f["inputs"]}
            steps = f["summary/Steps"][:]
        return inputs, steps, mesh, t_end, cfg.get("solver", {})
    sw = ionflux.Sweep("Chen2020", **kw)
    res = sw.run(progress=False)
    summ = res.summary
    inputs = {k: summ[k].to_numpy() for k in kw["vary"]}
    return inputs, summ["Steps"].to_numpy(), mesh, t_end, {}


def run_ionflux(inp, mesh, rtol, atol, t_end, t_eval=None):
    import ionflux

    ps = ionflux.ParameterSet("Chen2020")
    c_rate = None
    for k, v in inp.items():
        if k == "C-rate":
            c_rate = float(v)
        else:
            ps[k] = float(v)
    kw = dict(c_rate=c_rate, mesh=mesh, solver={"rtol": rtol, "atol": atol})
    if t_eval is not None:
        kw["t_eval"] = list(t_eval)
    elif t_end is not None:
        kw["t_end"] = t_end
    sim = ionflux.Simulation(ps, **kw)
    t0 = time.perf_counter()
    with warnings.catch_warnings():  # a t_eval run ends at its last time, before the cut-off
        warnings.simplefilter("ignore", ionflux.SolverWarning)
        sol = sim.solve()
    wall = time.perf_counter() - t0
    return sim, sol, wall


def run_pybamm(inp, mesh, rtol, atol, t_end):
    import pybamm

    pv = pybamm.ParameterValues("Chen2020")
    c_rate = 1.0
    for k, v in inp.items():
        if k == "C-rate":
            c_rate = float(v)
        else:
            pv[k] = float(v)
    pv["Current function [A]"] = c_rate * pv["Nominal cell capacity [A.h]"]
    model = pybamm.lithium_ion.DFN()
    var_pts = {"x_n": mesh["x_n"], "x_s": mesh["x_s"], "x_p": mesh["x_p"], "r_n": mesh["r_n"], "r_p": mesh["r_p"]}
    sim = pybamm.Simulation(model, parameter_values=pv, var_pts=var_pts)
    sim.build()
    solver = pybamm.IDAKLUSolver(rtol=rtol, atol=atol)
    t0 = time.perf_counter()
    sol = solver.solve(sim.built_model, [0.0, t_end])
    wall = time.perf_counter() - t0
    st = sol.solver_statistics
    return sol, st, wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sweep", default="lhs", help="lhs (default), nb02 or nb04")
    ap.add_argument("--h5", help="lhs: the HDF5 output of `ionflux sweep examples/sweep_lhs_chen2020.json`")
    ap.add_argument("--cli", default=str(ROOT / "build" / "ionflux"), help="the ionflux command (to run the lhs sweep)")
    ap.add_argument("--fraction", type=float, default=0.01, help="slowest fraction of the cells (default 0.01)")
    ap.add_argument("--cells", help="comma-separated cell indices instead of the slowest fraction")
    ap.add_argument("--no-pybamm", action="store_true", help="ionflux only")
    ap.add_argument("--json", help="write the rows to this JSON file")
    args = ap.parse_args()

    t_start = time.perf_counter()
    inputs, steps, mesh, t_end_fixed, solver = sweep_cells(args)
    rtol = float(solver.get("rtol", 1e-6))
    atol = float(solver.get("atol", 1e-8))
    n = len(steps)
    if args.cells:
        pick = [int(c) for c in args.cells.split(",")]
    else:
        k = max(1, int(round(args.fraction * n)))
        pick = [int(i) for i in np.argsort(-steps, kind="stable")[:k]]
    print(f"# sweep {args.sweep}: {n} cells, steps per cell median {np.median(steps):.0f}, "
          f"p99 {np.percentile(steps, 99):.0f}, max {steps.max()}; {len(pick)} cells compared; "
          f"rtol {rtol:g}, atol {atol:g}, mesh {mesh}", flush=True)
    rows = []
    for i in pick:
        inp = {k: v[i] for k, v in inputs.items()}
        sim, sol, wall_i = run_ionflux(inp, mesh, rtol, atol, t_end_fixed)
        s = sol.summary
        t_end = sim.t_end
        row = {"cell": i, "inputs": {k: float(v) for k, v in inp.items()}, "t_end": t_end,
               "sweep_steps": int(steps[i]),
               "ionflux": {"steps": s["Steps"], "newton": s["Newton iterations"], "setups": s["Jacobian setups"],
                           "etf": s["Error test failures"], "end_s": s["End time [s]"], "wall_s": wall_i}}
        if not args.no_pybamm:
            psol, st, wall_p = run_pybamm(inp, mesh, rtol, atol, t_end)
            tp = np.asarray(psol.t)
            vp = np.asarray(psol["Voltage [V]"].entries)
            row["pybamm"] = {"steps": int(st.number_of_steps), "newton": int(st.number_of_nonlinear_solver_iterations),
                             "setups": int(st.number_of_linear_solver_setups),
                             "etf": int(st.number_of_error_test_failures), "end_s": float(tp[-1]), "wall_s": wall_p,
                             "termination": psol.termination}
            # voltages at PyBaMM's own output times, inside both runs
            t_common = min(float(tp[-1]), float(s["End time [s]"]))
            mask = (tp > 0.0) & (tp < t_common)
            _, sol2, _ = run_ionflux(inp, mesh, rtol, atol, t_end, t_eval=list(tp[mask]))
            vi = np.interp(tp[mask], sol2["Time [s]"], sol2["Voltage [V]"])
            row["rms_mV"] = float(1e3 * np.sqrt(np.mean((vi - vp[mask]) ** 2)))
            row["max_mV"] = float(1e3 * np.max(np.abs(vi - vp[mask])))
        rows.append(row)
        ii = row["ionflux"]
        line = (f"cell {i}: ionflux {ii['steps']} steps / {ii['newton']} Newton / {ii['setups']} setups / "
                f"{ii['etf']} etf, end {ii['end_s']:.2f} s")
        if "pybamm" in row:
            pp = row["pybamm"]
            line += (f"; PyBaMM {pp['steps']} / {pp['newton']} / {pp['setups']} / {pp['etf']}, end {pp['end_s']:.2f} s;"
                     f" ratio {ii['steps'] / pp['steps']:.2f}; V RMS {row['rms_mV']:.3f} mV")
        print(line, file=sys.stderr, flush=True)

    names = list(inputs.keys())
    short = {"C-rate": "C", "Negative electrode thickness [m]": "L_n µm", "Positive electrode thickness [m]": "L_p µm",
             "Negative particle radius [m]": "R_n µm", "Positive particle radius [m]": "R_p µm"}
    scale = {k: (1.0 if k == "C-rate" else 1e6) for k in names}
    head = ["cell"] + [short.get(k, k) for k in names] + ["ionflux steps / Newton / setups / etf"]
    if not args.no_pybamm:
        head += ["PyBaMM steps / Newton / setups / etf", "steps ratio", "V RMS [mV]"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        ii = r["ionflux"]
        cells = [str(r["cell"])] + [f"{r['inputs'][k] * scale[k]:.3g}" for k in names]
        cells.append(f"{ii['steps']} / {ii['newton']} / {ii['setups']} / {ii['etf']}")
        if "pybamm" in r:
            pp = r["pybamm"]
            cells += [f"{pp['steps']} / {pp['newton']} / {pp['setups']} / {pp['etf']}",
                      f"{ii['steps'] / pp['steps']:.2f}", f"{r['rms_mV']:.3f}"]
        print("| " + " | ".join(cells) + " |")
    tot_i = sum(r["ionflux"]["steps"] for r in rows)
    summary = f"# total ionflux steps {tot_i}"
    if not args.no_pybamm:
        tot_p = sum(r["pybamm"]["steps"] for r in rows)
        ratios = [r["ionflux"]["steps"] / r["pybamm"]["steps"] for r in rows]
        summary += (f", PyBaMM {tot_p} (ratio of totals {tot_i / tot_p:.2f}; per cell median {np.median(ratios):.2f}, "
                    f"max {max(ratios):.2f}); worst V RMS {max(r['rms_mV'] for r in rows):.3f} mV")
    print(summary)
    print(f"# {platform.node()}, {os.cpu_count()} CPUs, {time.perf_counter() - t_start:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps({"sweep": args.sweep, "rtol": rtol, "atol": atol, "mesh": mesh,
                                               "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
