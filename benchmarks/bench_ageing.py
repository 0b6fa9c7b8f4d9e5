#!/usr/bin/env python3
"""Ageing benchmark (issue 16): OKane2022 coupled degradation, ionflux vs PyBaMM IDAKLU.

Case (PyBaMM's coupled-degradation notebook, docs/source/examples/notebooks/models/
coupled-degradation.ipynb; reference pybamm-degradation.md section 11.1):
  DFN options {"SEI": "solvent-diffusion limited", "SEI porosity change": "true",
  "lithium plating": "partially reversible", "lithium plating porosity change": "true",
  "particle mechanics": ("swelling and cracking", "swelling only"), "SEI on cracks": "true",
  "loss of active material": "stress-driven"}, ParameterValues("OKane2022"),
  var_pts x 5/5/5, r 30/30, experiment
  "Hold at 4.2 V until C/100", "Rest for 4 hours", "Discharge at 0.1C until 2.5 V",
  "Charge at 0.3C until 4.2 V", "Hold at 4.2 V until C/100",
  ("Discharge at 1C until 2.5 V", "Charge at 0.3C until 4.2 V", "Hold at 4.2 V until C/100") x N,
  "Discharge at 0.1C until 2.5 V"   (N + 6 cycles).

Case "sei_plating" (--case sei_plating; the configuration of the fixture
tests/fixtures/degradation/long_sei_plating_100.json, see NOTES.md there): DFN options
  {"SEI": "solvent-diffusion limited", "lithium plating": "reversible"}, OKane2022, the same
  mesh, experiment ("Discharge at 1C until 2.5 V", "Charge at 0.3C until 4.2 V",
  "Hold at 4.2 V until C/100") x N from the set's initial state (N cycles). ionflux solves
  this case with SEI and plating alone: one cell, PyBaMM then ionflux in the same run, the time ratio and the per-cycle difference of
  PyBaMM's eSOH "Capacity [A.h]" and of "Loss of lithium inventory [%]" are printed.

Modes
-----
  python3 benchmarks/bench_ageing.py [--case coupled|sei_plating] [--cycles N]
        one cell: PyBaMM, then ionflux; how far each gets (cycles completed, the step and
        termination where it stopped) and, per cycle, Capacity, LLI, LAM (both electrodes) and
        the loss to SEI on cracks of both
  python3 benchmarks/bench_ageing.py --cells 1000 [--cycles N] [--threads T] [--device cpu|cuda]
        1000 cells x N ageing cycles through `ionflux sweep` (grid of 10 SEI solvent
        diffusivities x 10 plating kinetic rate constants x 10 C-rates of the ageing
        discharge; --cells K: round(K^(1/3)) values per axis over the same ranges);
        ionflux's default tolerances (--ionflux-rtol/--ionflux-atol) and budget, outputs
        every --sweep-period s (600). PyBaMM is not run cell by cell (its one-cell time x
        cells is printed as an estimate when --pybamm-estimate is given). The issue's
        benchmark: --case sei_plating --cells 1000 --cycles 100 (--device cuda on a GPU
        machine; --write-config FILE writes the config for `ionflux sweep FILE` instead).

PyBaMM: pybamm.Simulation(...).solve() with IDAKLUSolver() defaults (rtol 1e-6, atol 1e-6 on
PyBaMM's scaled states; the notebook's solver) unless --rtol/--atol; the wall time includes
PyBaMM's per-step model build (Simulation.solve builds on first call); the build is also
timed separately (sim.build_for_experiment()). A run that stops early (solver failure,
infeasible experiment) is reported with the cycle and step where it stopped.

ionflux: the Python package (`ionflux.Simulation(..., options=...)`, PYTHONPATH=python with
build/_core*.so linked in, see COMMON/README) for one cell, `ionflux sweep` (the CLI, from
$IONFLUX_CLI or build/ionflux) for --cells. While ionflux does not accept the degradation
options (validate_run_options' "not solved by ionflux yet" refusal, an "unknown option" error,
or no `options` argument), the script says so and reports PyBaMM alone. Results go to benchmarks/LOG.md by hand ("Ageing (issue 16)"), and the latest into RESULTS.md.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Where the ionflux build to time lives (python/ + build/_core*.so, build/ionflux): this
# checkout unless IONFLUX_ROOT says otherwise.
IONFLUX_ROOT = os.environ.get("IONFLUX_ROOT", REPO)

OPTIONS = {
    "SEI": "solvent-diffusion limited",
    "SEI porosity change": "true",
    "lithium plating": "partially reversible",
    "lithium plating porosity change": "true",
    "particle mechanics": ("swelling and cracking", "swelling only"),
    "SEI on cracks": "true",
    "loss of active material": "stress-driven",
}
VAR_PTS = {"x_n": 5, "x_s": 5, "x_p": 5, "r_n": 30, "r_p": 30}
SEI_PLATING_OPTIONS = {"SEI": "solvent-diffusion limited", "lithium plating": "reversible"}
AGEING_CYCLE = ["Discharge at 1C until 2.5 V", "Charge at 0.3C until 4.2 V", "Hold at 4.2 V until C/100"]


def experiment_cycles(n, discharge="Discharge at 1C until 2.5 V"):
    return ([["Hold at 4.2 V until C/100"], ["Rest for 4 hours"], ["Discharge at 0.1C until 2.5 V"],
             ["Charge at 0.3C until 4.2 V"], ["Hold at 4.2 V until C/100"]]
            + [[discharge] + AGEING_CYCLE[1:]] * n
            + [["Discharge at 0.1C until 2.5 V"]])


def case_setup(case, n, discharge="Discharge at 1C until 2.5 V"):
    """(options, experiment as a list of cycles) of a case."""
    if case == "sei_plating":
        return dict(SEI_PLATING_OPTIONS), [[discharge] + AGEING_CYCLE[1:]] * n
    return dict(OPTIONS), experiment_cycles(n, discharge)


def jsonable_options(options=None):
    return {k: list(v) if isinstance(v, tuple) else v for k, v in (options or OPTIONS).items()}


def run_pybamm(n, rtol, atol, case="coupled"):
    import pybamm

    options, cycles = case_setup(case, n)
    model = pybamm.lithium_ion.DFN(options)
    pv = pybamm.ParameterValues("OKane2022")
    exp = pybamm.Experiment([tuple(c) for c in cycles])
    solver = pybamm.IDAKLUSolver(rtol=rtol, atol=atol)
    sim = pybamm.Simulation(model, parameter_values=pv, var_pts=VAR_PTS, experiment=exp, solver=solver)
    out = {"pybamm_version": pybamm.__version__, "cycles_requested": len(cycles),
           "ageing_cycles_requested": n, "rtol": rtol, "atol": atol}
    t0 = time.perf_counter()
    sim.build_for_experiment()
    out["build_s"] = time.perf_counter() - t0
    t1, c1 = time.perf_counter(), time.process_time()
    error = None
    try:
        sol = sim.solve()
    except Exception as exc:  # noqa: BLE001  (PyBaMM raises SolverError and others)
        error = f"{type(exc).__name__}: {exc}"
        sol = sim.solution
    out["solve_s"] = time.perf_counter() - t1
    out["solve_cpu_s"] = time.process_time() - c1  # this process's CPU time: less sensitive to load
    out["total_s"] = out["build_s"] + out["solve_s"]
    out["error"] = error
    if sol is None:
        out["cycles_completed"] = 0
        return out, None
    out["termination"] = sol.termination
    out["cycles_completed"] = len(sol.cycles)
    last = sol.cycles[-1]
    out["last_cycle_steps"] = [st.termination for st in last.steps]
    out["t_end_s"] = float(sol.t[-1])
    # what the solution holds: a time point per solver step, each with every state (the
    # like-for-like ionflux run keeps an output, with its state, at every BDF step too)
    out["outputs"] = int(len(sol.t))
    try:
        out["states_per_output"] = int(sol.all_ys[0].shape[0])
    except Exception:  # noqa: BLE001
        out["states_per_output"] = None
    try:
        cap = list(map(float, sol.summary_variables["Capacity [A.h]"]))
        lli = list(map(float, sol.summary_variables["Loss of lithium inventory [%]"]))
        out["capacity_first_last"] = [cap[0], cap[-1]]
        out["lli_last_pct"] = lli[-1]
        out["capacity"], out["lli"] = cap, lli
        for name in COMPARED:
            out[name] = list(map(float, sol.summary_variables[name]))
    except Exception as exc:  # noqa: BLE001
        out["summary_error"] = f"{type(exc).__name__}: {exc}"
    return out, sol


def unsupported(msg):
    m = msg.lower()
    return any(k in m for k in ("unknown option", "unsupported", "not supported", "unexpected keyword",
                                "options", "okane2022", "unknown key", "not solved by ionflux yet"))


# The per-cycle summary variables both runs report and the script compares (PyBaMM's names).
COMPARED = ("Loss of active material in negative electrode [%]", "Loss of active material in positive electrode [%]",
            "Loss of capacity to negative SEI [A.h]", "Loss of capacity to negative SEI on cracks [A.h]",
            "Loss of capacity to negative lithium plating [A.h]")
# ionflux refuses the options its kernel does not solve (validate_run_options: "not solved by
# ionflux yet"), so a case it accepts is the same model as PyBaMM's; nothing to filter here.
NOT_IN_KERNEL = ()


def run_ionflux_one(n, rtol, atol, case="coupled", force=False, max_steps=None, period=None):
    sys.path.insert(0, os.path.join(IONFLUX_ROOT, "python"))
    try:
        import ionflux  # noqa: F401
    except Exception as exc:  # noqa: BLE001
        return {"supported": False, "reason": f"ionflux Python package not importable: {exc}"}
    options, cycles = case_setup(case, n)
    missing = [k for k in NOT_IN_KERNEL if k in options and options[k] not in ("none", "false")]
    if missing and not force:
        return {"supported": False,
                "reason": "ionflux accepts the options " + ", ".join(repr(k) for k in missing)
                          + " but does not solve them yet (docs/degradation.md, 'Not yet'); "
                          "use --case sei_plating, or --force-ionflux to time it anyway"}
    kw = dict(options=options, experiment=[tuple(c) for c in cycles], mesh=VAR_PTS)
    if period:  # outputs every `period` s instead of at every BDF step (long runs: 1 GiB output cap)
        kw["period"] = period
    # rtol/atol: else ionflux's defaults (rtol 1e-6, atol 1e-8). max_steps: ionflux's budget
    # per protocol step (default 100000; ~3,000-3,700 BDF steps per CC step here). Before
    # issue 16 it was for the whole run, and 100 cycles needed it raised.
    kw["solver"] = {k: v for k, v in (("rtol", rtol), ("atol", atol), ("max_steps", max_steps))
                    if v is not None}
    sim, msg = None, ""
    t_setup = time.perf_counter()
    for params in ("OKane2022", "pybamm"):  # the built-in set, else PyBaMM's ParameterValues
        try:
            if params == "pybamm":
                import pybamm
                sim = ionflux.Simulation(parameter_values=pybamm.ParameterValues("OKane2022"), **kw)
            else:
                sim = ionflux.Simulation(params, **kw)
            break
        except (TypeError, ValueError, KeyError, NotImplementedError) as exc:
            msg = f"{type(exc).__name__}: {exc}"
            if "options" in msg and "keyword" in msg:  # no options= argument at all
                break
    if sim is None:
        if unsupported(msg):
            return {"supported": False, "reason": msg}
        raise RuntimeError(msg)
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        sol = sim.solve()  # the options are validated here (validate_run_options)
    except ValueError as exc:
        if unsupported(str(exc)):
            return {"supported": False, "reason": f"{type(exc).__name__}: {exc}"}
        raise
    t1 = time.perf_counter()
    out = {"supported": True, "solve_s": t1 - t0, "total_s": t1 - t_setup,
           "solve_cpu_s": time.process_time() - c0,  # this process's CPU time: less sensitive to load
           "termination": getattr(sol, "termination", None), "resolved_options": dict(sim.options),
           "steps": sol.summary.get("Steps"), "cycles_requested": len(cycles),
           "status": getattr(sol, "status", None), "message": getattr(sol, "message", None),
           "t_end_s": float(sol["Time [s]"][-1]) if len(sol["Time [s]"]) else None,
           "outputs": int(len(sol["Time [s]"]))}
    try:
        out["cycles_completed"] = len(sol.cycles)
        sv = sol.summary_variables
        cap = list(map(float, sv["Capacity [A.h]"]))
        out["capacity"], out["lli"] = cap, list(map(float, sv["Loss of lithium inventory [%]"]))
        if cap:
            out["capacity_first_last"] = [cap[0], cap[-1]]
        for name in COMPARED:
            out[name] = list(map(float, sv[name]))
    except Exception as exc:  # noqa: BLE001
        out["summary_error"] = f"{type(exc).__name__}: {exc}"
    return out


def sweep_config(n, rtol, atol, case="coupled", period=None):
    options, cycles = case_setup(case, n, "Discharge at {C-rate of ageing discharge}C until 2.5 V")
    solver = {k: v for k, v in (("rtol", rtol), ("atol", atol)) if v is not None}
    cfg = {
        "parameters": "OKane2022",
        "options": jsonable_options(options),
        "mesh": VAR_PTS,
        "solver": solver,
        "experiment": cycles,
        "vary": {
            "SEI solvent diffusivity [m2.s-1]": {"logspace": [1e-22, 1e-21, 10]},
            "Lithium plating kinetic rate constant [m.s-1]": {"logspace": [1e-10, 1e-8, 10]},
            "C-rate of ageing discharge": {"linspace": [0.5, 2.0, 10]},
        },
        "combine": "grid",
    }
    if period:  # outputs every `period` s (an output per BDF step: ~7000 rows per cell-cycle)
        cfg["period"] = period
    return cfg


def grid_cells(cells):
    """The grid behind --cells: k values per axis, k = round(cells^(1/3)) (1000: 10 x 10 x 10)."""
    return max(1, round(cells ** (1 / 3)))


def run_ionflux_sweep(n, rtol, atol, threads, cells, case="coupled", force=False, device="cpu", period=None,
                      write_config=None, keep_output=None):
    cli = os.environ.get("IONFLUX_CLI", os.path.join(IONFLUX_ROOT, "build", "ionflux"))
    if not os.path.exists(cli) and not write_config:
        return {"supported": False, "reason": f"no ionflux CLI at {cli} (build it or set IONFLUX_CLI)"}
    cfg = sweep_config(n, rtol, atol, case, period)
    missing = [k for k in NOT_IN_KERNEL if cfg["options"].get(k, "none") not in ("none", "false")]
    if missing and not force:
        return {"supported": False, "reason": "ionflux accepts " + ", ".join(repr(k) for k in missing)
                + " but does not solve them yet; use --case sei_plating or --force-ionflux"}
    if cells != 1000:  # keep a grid: cells = k x k x k over the same ranges
        k = grid_cells(cells)
        for key, spec in cfg["vary"].items():
            spec[next(iter(spec))][2] = k
    if write_config:  # the config alone, e.g. to run on a GPU machine with the CLI
        with open(write_config, "w") as f:
            json.dump(cfg, f, indent=1)
        return {"supported": True, "config_written": write_config}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "ageing_sweep.json")
        with open(path, "w") as f:
            json.dump(cfg, f, indent=1)
        out_h5 = keep_output or os.path.join(tmp, "ageing.h5")
        cmd = [cli, "sweep", path, "--output", out_h5, "--device", device]
        if threads:
            cmd += ["--threads", str(threads)]
        import resource
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)  # the sweep's CPU time, all threads
        summary = sweep_summary(out_h5) if p.returncode == 0 else {}
    if p.returncode != 0:
        msg = (p.stderr or p.stdout).strip()
        if unsupported(msg):
            return {"supported": False, "reason": msg.splitlines()[-1] if msg else f"exit {p.returncode}"}
        return {"supported": True, "error": msg, "returncode": p.returncode, "wall_s": wall}
    return {"supported": True, "wall_s": wall, "cpu_s": cpu, "stdout_tail": p.stdout.strip().splitlines()[-5:],
            "command": cmd,
            **summary}


def sweep_summary(path):
    """Statuses, BDF steps and capacity fade of a finished sweep file (ionflux.load)."""
    try:
        sys.path.insert(0, os.path.join(IONFLUX_ROOT, "python"))
        import numpy as np
        import ionflux
        res = ionflux.load(path)
        names, counts = np.unique(np.asarray(res.status_names, dtype=str), return_counts=True)
        out = {"statuses": dict(zip(names.tolist(), counts.tolist())), "cells_run": int(res.n_cells),
               "cycles_per_cell": int(res.n_cycles)}
        steps = np.asarray(res.stats.get("Steps", []), dtype=float)
        if steps.size:
            out["bdf_steps_total"] = float(steps.sum())
            out["bdf_steps_per_cell"] = [float(steps.min()), float(np.median(steps)), float(steps.max())]
        cap = np.asarray(res.cycles.get("Capacity [A.h]", np.empty((0, 0))), dtype=float)
        if cap.size:
            fade = 100.0 * (1.0 - cap[:, -1] / cap[:, 0])
            ok = fade[np.isfinite(fade)]
            if ok.size:
                out["capacity_fade_pct_min_median_max"] = [float(ok.min()), float(np.median(ok)), float(ok.max())]
        return out
    except Exception as exc:  # noqa: BLE001  (the timing stands without the summary)
        return {"summary_error": f"{type(exc).__name__}: {exc}"}


def main():
    ap = argparse.ArgumentParser(description="OKane2022 coupled-degradation ageing benchmark")
    ap.add_argument("--case", choices=("coupled", "sei_plating"), default="coupled",
                    help="coupled: OKane2022 coupled degradation (default); sei_plating: SEI "
                         "solvent-diffusion + reversible plating (fixture long_sei_plating_100)")
    ap.add_argument("--cycles", type=int, default=100, help="ageing cycles N (default 100)")
    ap.add_argument("--cells", type=int, default=0, help="sweep mode: number of cells (1000)")
    ap.add_argument("--threads", type=int, default=0, help="ionflux sweep --threads (default: all)")
    ap.add_argument("--rtol", type=float, default=1e-6)
    ap.add_argument("--atol", type=float, default=1e-6)
    ap.add_argument("--ionflux-rtol", type=float, default=None,
                    help="one-cell ionflux rtol (default: ionflux's, 1e-6)")
    ap.add_argument("--ionflux-atol", type=float, default=None,
                    help="one-cell ionflux atol on its unscaled states (default: ionflux's, 1e-8)")
    ap.add_argument("--ionflux-max-steps", type=int, default=None,
                    help="one-cell ionflux BDF step budget per protocol step (default: ionflux's, 1e5)")
    ap.add_argument("--device", choices=("cpu", "cuda", "auto"), default="cpu",
                    help="sweep mode: ionflux sweep --device (cuda on a GPU machine)")
    ap.add_argument("--sweep-period", type=float, default=600.0,
                    help="sweep mode: output period [s] (default 600; 0 = an output per BDF step)")
    ap.add_argument("--write-config", metavar="FILE",
                    help="sweep mode: only write the sweep config to FILE (run it with "
                         "`ionflux sweep FILE --output X.h5 --device cuda` on a GPU machine)")
    ap.add_argument("--keep-output", metavar="FILE.h5", help="sweep mode: keep the sweep's HDF5 file here")
    ap.add_argument("--ionflux-period", type=float, default=None,
                    help="one-cell ionflux output period [s] (default: an output per BDF step; "
                         "100 cycles at one per step pass ionflux's 1 GiB output cap)")
    ap.add_argument("--force-ionflux", action="store_true",
                    help="(kept for old command lines: ionflux itself refuses the options it does not solve)")
    ap.add_argument("--skip-pybamm", action="store_true")
    ap.add_argument("--pybamm-estimate", action="store_true",
                    help="sweep mode: also time PyBaMM on one cell and print cells x that time")
    ap.add_argument("--json", help="write the measurements to this JSON file")
    args = ap.parse_args()

    res = {"case": {"coupled": "OKane2022 coupled degradation",
                    "sei_plating": "OKane2022 SEI solvent-diffusion + reversible plating"}[args.case], "ageing_cycles": args.cycles,
           "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "cpus": os.cpu_count(),
           "loadavg": os.getloadavg()}
    pyb = None
    if not args.skip_pybamm and (args.cells == 0 or args.pybamm_estimate):
        pyb, _ = run_pybamm(args.cycles, args.rtol, args.atol, args.case)
        res["pybamm"] = pyb
        print(f"PyBaMM {pyb['pybamm_version']} IDAKLU (rtol {args.rtol:g}, atol {args.atol:g}): "
              f"build {pyb['build_s']:.2f} s + solve {pyb['solve_s']:.2f} s = {pyb['total_s']:.2f} s "
              f"(solve CPU time {pyb['solve_cpu_s']:.2f} s); "
              f"{pyb['cycles_completed']}/{pyb['cycles_requested']} cycles; termination {pyb.get('termination')}; "
              f"{pyb.get('outputs')} time points x {pyb.get('states_per_output')} states returned"
              + (f"; ERROR {pyb['error']}" if pyb["error"] else ""))
        if "capacity_first_last" in pyb:
            print(f"  Capacity [A.h] cycle 1 {pyb['capacity_first_last'][0]:.6f}, last "
                  f"{pyb['capacity_first_last'][1]:.6f}; LLI last {pyb['lli_last_pct']:.4f} %")
        if pyb["cycles_completed"] < pyb["cycles_requested"]:
            print(f"  PyBaMM stopped in cycle {pyb['cycles_completed']} (1-based), step terminations "
                  f"{pyb.get('last_cycle_steps')}")
    if args.cells == 0:
        ion = run_ionflux_one(args.cycles, args.ionflux_rtol, args.ionflux_atol, args.case,
                              args.force_ionflux, args.ionflux_max_steps,
                              args.ionflux_period)
        res["ionflux"] = ion
        if not ion["supported"]:
            print(f"ionflux does not support this case yet ({ion['reason']}); PyBaMM alone reported")
        else:
            print(f"ionflux: setup + solve {ion['total_s']:.3f} s (solve {ion['solve_s']:.3f} s, "
                  f"solve CPU time {ion['solve_cpu_s']:.3f} s), "
                  f"{ion.get('cycles_completed')}/{ion.get('cycles_requested')} cycles, {ion.get('steps')} BDF steps, "
                  f"{ion.get('outputs')} outputs (with their states), "
                  f"termination {ion.get('termination')}")
            if (ion.get("cycles_completed") != ion.get("cycles_requested")
                    or "failure" in str(ion.get("termination"))):
                print(f"  ionflux stopped at t = {ion.get('t_end_s')} s in cycle {ion.get('cycles_completed')} "
                      f"(1-based): status {ion.get('status')} ({ion.get('message')})")
                print("  WARNING: ionflux did not complete the protocol: the ratio below is not a like-for-like one")
            if "summary_error" in ion:
                print(f"  ionflux summary variables: {ion['summary_error']}")
            if pyb:
                print(f"  ratio PyBaMM total / ionflux total: {pyb['total_s'] / ion['total_s']:.1f}x; "
                      f"PyBaMM solve / ionflux solve: {pyb['solve_s'] / ion['solve_s']:.1f}x; "
                      f"solve CPU times: {pyb['solve_cpu_s'] / ion['solve_cpu_s']:.1f}x")
            if pyb and pyb.get("capacity") and ion.get("capacity"):
                m = min(len(pyb["capacity"]), len(ion["capacity"]))
                print("  cycle  Capacity PyBaMM [A.h]  ionflux [A.h]  diff [%]    LLI PyBaMM [%]  ionflux [%]")
                diffs = []
                for i in range(m):
                    cp, ci = pyb["capacity"][i], ion["capacity"][i]
                    diffs.append(100 * (ci - cp) / cp)
                    print(f"  {i + 1:5d}  {cp:21.6f}  {ci:13.6f}  {diffs[-1]:+9.1e}    "
                          f"{pyb['lli'][i]:14.5f}  {ion['lli'][i]:11.5f}")
                ok = [abs(d) for d in diffs if d == d]
                print(f"  max |capacity difference| over the {len(ok)} cycles both have: "
                      f"{max(ok) if ok else float('nan'):.2e} %")
                res["capacity_diff_pct"] = diffs
                for name in COMPARED:
                    a, b = pyb.get(name), ion.get(name)
                    if not a or not b:
                        continue
                    k = min(len(a), len(b))
                    rel = [abs(b[i] - a[i]) / abs(a[i]) for i in range(k) if abs(a[i]) > 1e-3 * max(map(abs, a[:k]))]
                    print(f"  {name}: last cycle PyBaMM {a[k - 1]:.6g}, ionflux {b[k - 1]:.6g}; max relative "
                          f"difference where PyBaMM's is not ~0: {max(rel) if rel else float('nan'):.2e}")
                    res.setdefault("max_rel_diff", {})[name] = max(rel) if rel else None
            for name in ("Loss of capacity to negative SEI [A.h]", "Loss of capacity to negative lithium plating [A.h]"):
                vals = ion.get(name)
                if vals is not None and not any(vals):
                    print(f"  note: ionflux's '{name}' is 0 in every cycle although the mechanism is on: check the summary wiring")
    else:
        sw = run_ionflux_sweep(args.cycles, args.ionflux_rtol, args.ionflux_atol, args.threads, args.cells,
                               args.case, args.force_ionflux, args.device, args.sweep_period or None,
                               args.write_config, args.keep_output)
        res["ionflux_sweep"] = sw
        if not sw["supported"]:
            print(f"ionflux sweep does not support this case yet ({sw['reason']}); skipped")
        elif "config_written" in sw:
            print(f"sweep config written to {sw['config_written']} ({grid_cells(args.cells) ** 3} cells x "
                  f"{args.cycles} cycles); run: ionflux sweep {sw['config_written']} --output ageing.h5 --device cuda")
        elif "error" in sw:
            print(f"ionflux sweep failed (exit {sw['returncode']}): {sw['error'][-500:]}")
        else:
            n_cells = sw.get("cells_run", grid_cells(args.cells) ** 3)
            print(f"ionflux sweep ({args.device}, threads {args.threads or 'all'}): {n_cells} cells x {args.cycles} "
                  f"ageing cycles in {sw['wall_s']:.1f} s = {sw['wall_s'] / (n_cells * args.cycles) * 1e3:.1f} ms "
                  f"per cell-cycle; CPU time {sw['cpu_s']:.1f} s = {sw['cpu_s'] / (n_cells * args.cycles) * 1e3:.1f} ms "
                  f"per cell-cycle; command: {' '.join(sw['command'])}")
            for key in ("statuses", "bdf_steps_total", "bdf_steps_per_cell", "capacity_fade_pct_min_median_max",
                        "summary_error"):
                if key in sw:
                    print(f"  {key}: {sw[key]}")
            print("  " + "\n  ".join(sw["stdout_tail"]))
        if pyb:
            print(f"  PyBaMM estimate for {args.cells} cells one after another: "
                  f"{pyb['total_s'] * args.cells / 3600:.1f} h")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1, default=str)


if __name__ == "__main__":
    main()
