#!/usr/bin/env python3
"""CPU time per step of a sweep's stiffest cells against its median cells (issue 14, item 1:
"time per step at the sweep's median").

Runs a sweep config once to learn every cell's steps (or reads ``--h5``, the config's own
output), takes the slowest ``--count`` cells by steps and the ``--count`` cells nearest the
median, writes each group as a ``"combine": "zip"`` config of its cells' varied values (the
rest of the config unchanged, its relative file paths made absolute), and runs the two
groups with ``ionflux sweep --device cpu --threads 1`` in turn, ``--rounds`` times each,
pinned to one core (taskset, where it exists; PIN_CORE, default the last core this process
may use). Checks that every rerun cell takes the steps it took in the sweep (the same
cells), then prints per group: steps, Newton iterations, Jacobian setups, error-test
failures, the median wall time of the process over the rounds, that time per step and per
Newton iteration (process start-up and the file included: about 1-2 ms per run, a few
tenths of a percent here), and setups per step.

    python3 benchmarks/stiff_step_cost.py --cli build/ionflux                 # LHS sweep
    python3 benchmarks/stiff_step_cost.py --cli build/ionflux --h5 lhs.h5 --rounds 7

Needs h5py and numpy.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def run_sweep(cli, config, out, pin):
    cmd = pin + [cli, "sweep", str(config), "--output", str(out), "--device", "cpu", "--threads", "1", "--quiet"]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return wall


def counts(h5):
    with h5py.File(h5, "r") as f:
        get = lambda path: np.asarray(f[path][:], dtype=np.int64)
        return {
            "steps": get("summary/Steps"),
            "newton": get("stats/Newton iterations"),
            "setups": get("stats/Jacobian setups"),
            "etf": get("stats/Error test failures"),
        }


def varied_inputs(h5):
    """{parameter name: values per cell} of a sweep file (a dataset's real name is its
    "name" attribute: the writer replaces "/" in dataset keys)."""
    with h5py.File(h5, "r") as f:
        return {ds.attrs.get("name", key): np.asarray(ds[:]) for key, ds in f["inputs"].items()}


def absolute_paths(cfg, base):
    """The config with its relative "parameters" and "experiment" file paths made absolute
    (resolved against the config's folder, as ionflux does), for a copy written elsewhere."""
    out = dict(cfg)
    for key in ("parameters", "experiment"):
        v = out.get(key)
        if isinstance(v, str) and (v.endswith(".json") or os.sep in v) and not os.path.isabs(v):
            candidate = (base / v).resolve()
            if candidate.exists():
                out[key] = str(candidate)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", default=str(ROOT / "build" / "ionflux"))
    ap.add_argument("--config", default=str(ROOT / "examples" / "sweep_lhs_chen2020.json"))
    ap.add_argument("--h5", help="the config's sweep output, if already run (else it is run here)")
    ap.add_argument("--count", type=int, default=40, help="cells per group (default 40: 1 %% of the LHS sweep)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--json", help="write the figures here too")
    args = ap.parse_args()

    core = os.environ.get("PIN_CORE", str(max(os.sched_getaffinity(0))) if hasattr(os, "sched_getaffinity") else "0")
    pin = ["taskset", "-c", core] if shutil.which("taskset") else []
    cfg = absolute_paths(json.loads(Path(args.config).read_text()), Path(args.config).resolve().parent)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        h5 = Path(args.h5) if args.h5 else tmp / "all.h5"
        if not args.h5:
            print(f"running {args.config} to learn each cell's steps ...", flush=True)
            run_sweep(args.cli, args.config, h5, pin)
        steps = counts(h5)["steps"]
        order = np.argsort(steps, kind="stable")
        stiff = order[::-1][: args.count]
        med = np.median(steps)
        median_cells = np.argsort(np.abs(steps - med), kind="stable")[: args.count]
        inputs = varied_inputs(h5)
        missing = [name for name in cfg.get("vary", {}) if name not in inputs]
        if missing or len(inputs) != len(cfg.get("vary", {})):
            sys.exit(f"{h5} does not hold the varied parameters of {args.config} (missing: {missing})")
        groups = {}
        for label, cells in (("slowest", np.sort(stiff)), ("median", np.sort(median_cells))):
            c = {k: v for k, v in cfg.items() if k not in ("vary", "samples", "sampling", "seed", "combine")}
            c["vary"] = {name: [float(x) for x in inputs[name][cells]] for name in cfg["vary"]}  # the config's order
            c["combine"] = "zip"
            path = tmp / f"{label}.json"
            path.write_text(json.dumps(c))
            groups[label] = {"config": path, "cells": cells, "walls": []}
        for _ in range(args.rounds):
            for label, g in groups.items():
                g["walls"].append(run_sweep(args.cli, g["config"], tmp / f"{label}.h5", pin))
        result = {"config": args.config, "cells in sweep": int(len(steps)), "median steps": float(med), "groups": {}}
        print(f"{args.config}: {len(steps)} cells, median {med:g} steps per cell; {args.count} cells per group, "
              f"{args.rounds} rounds, one thread")
        print(f"{'group':8} {'steps':>8} {'Newton':>8} {'setups':>7} {'etf':>6} {'wall median':>12} "
              f"{'us/step':>8} {'us/Newton':>10} {'setups/step':>12}")
        for label, g in groups.items():
            n = counts(tmp / f"{label}.h5")
            if not np.array_equal(n["steps"], steps[g["cells"]]):  # the same cells, run again
                sys.exit(f"the {label} cells rerun took other step counts than in the sweep "
                         f"({n['steps'].tolist()} vs {steps[g['cells']].tolist()}): not the same cells")
            tot = {k: int(v.sum()) for k, v in n.items()}
            wall = statistics.median(g["walls"])
            row = {**tot, "wall_s": wall, "walls_s": g["walls"], "us_per_step": 1e6 * wall / tot["steps"],
                   "us_per_newton": 1e6 * wall / tot["newton"], "cells": [int(x) for x in g["cells"]]}
            result["groups"][label] = row
            print(f"{label:8} {tot['steps']:8d} {tot['newton']:8d} {tot['setups']:7d} {tot['etf']:6d} "
                  f"{wall * 1e3:10.1f} ms {row['us_per_step']:8.2f} {row['us_per_newton']:10.2f} "
                  f"{tot['setups'] / tot['steps']:12.3f}")
        r = result["groups"]
        print(f"time per step, slowest / median cells: {r['slowest']['us_per_step'] / r['median']['us_per_step']:.2f}")
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
