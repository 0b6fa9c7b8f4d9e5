#!/usr/bin/env python3
"""PyBaMM timing peer for ionflux's DFN benchmark.

Case: pybamm.lithium_ion.DFN() (default options), Chen2020 (or --set NAME), 1C
constant-current discharge from t = 0 (from --soc S when given, via set_initial_state)
until the "Minimum voltage [V]" event, default mesh
(20 cells in x_n, x_s, x_p, r_n, r_p; 962 states), IDAKLUSolver(rtol=1e-6, atol=1e-8).

The model is parameterised and discretised once (Simulation.build()); one warm-up
solve sets up the solver (CasADi functions, IDAKLU object); then --repeats solves are
timed with time.perf_counter() around solver.solve() only. Output is returned at the
solver's own steps (t_eval = [0, 5400 s], no t_interp), as PyBaMM does by default.

Reported: median / min wall time per solve [ms], median sol.integration_time [ms]
(time inside the IDAKLU C++ integrator only), end time, final voltage, solver steps.

    python3 benchmarks/pybamm_dfn.py                 # human-readable
    python3 benchmarks/pybamm_dfn.py --json          # one JSON line
    python3 benchmarks/pybamm_dfn.py --repeats 50
"""

import argparse
import json
import os
import platform
import statistics
import time

import pybamm


def build(c_rate=1.0, set_name="Chen2020", soc=-1.0):
    pv = pybamm.ParameterValues(set_name)
    if soc >= 0:
        pv.set_initial_state(soc)
    pv["Current function [A]"] = c_rate * pv["Nominal cell capacity [A.h]"]
    sim = pybamm.Simulation(pybamm.lithium_ion.DFN(), parameter_values=pv)
    sim.build()
    return sim.built_model


def main():
    ap = argparse.ArgumentParser(description="PyBaMM DFN timing (Chen2020, 1C to cut-off)")
    ap.add_argument("--repeats", type=int, default=20, help="number of timed solves (default 20)")
    ap.add_argument("--json", action="store_true", help="print one JSON line only")
    ap.add_argument("--rtol", type=float, default=1e-6)
    ap.add_argument("--atol", type=float, default=1e-8)
    ap.add_argument("--c-rate", type=float, default=1.0)
    ap.add_argument("--set", default="Chen2020", help="PyBaMM parameter set (default Chen2020)")
    ap.add_argument("--soc", type=float, default=-1.0, help="initial SOC (default: the set's own state)")
    args = ap.parse_args()

    t_build0 = time.perf_counter()
    model = build(args.c_rate, args.set, args.soc)
    t_build = time.perf_counter() - t_build0

    solver = pybamm.IDAKLUSolver(rtol=args.rtol, atol=args.atol)
    t_eval = [0.0, 1.5 * 3600.0 / args.c_rate]

    t_w0 = time.perf_counter()
    sol = solver.solve(model, t_eval)  # warm-up: solver set-up + first solve
    t_warm = time.perf_counter() - t_w0

    walls, integ = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        sol = solver.solve(model, t_eval)
        walls.append(time.perf_counter() - t0)
        integ.append(float(getattr(sol.integration_time, "value", sol.integration_time)))

    assert sol.termination == "event: Minimum voltage [V]", sol.termination
    st = sol.solver_statistics
    res = {
        "tool": "pybamm",
        "pybamm_version": pybamm.__version__,
        "case": f"DFN {args.set} {args.c_rate:g}C discharge to the lower cut-off, default mesh",
        "n_states": int(model.len_rhs_and_alg),
        "rtol": args.rtol,
        "atol": args.atol,
        "repeats": args.repeats,
        "median_ms": 1e3 * statistics.median(walls),
        "min_ms": 1e3 * min(walls),
        "median_integration_ms": 1e3 * statistics.median(integ),
        "build_s": t_build,
        "warmup_s": t_warm,
        "t_end_s": float(sol.t[-1]),
        "final_voltage_V": float(sol["Voltage [V]"].entries[-1]),
        "n_output_points": int(len(sol.t)),
        "steps": int(st.number_of_steps) if st is not None else None,
        "nonlinear_iterations": int(st.number_of_nonlinear_solver_iterations) if st is not None else None,
        "linear_solver_setups": int(st.number_of_linear_solver_setups) if st is not None else None,
        "error_test_failures": int(st.number_of_error_test_failures) if st is not None else None,
        "host": platform.node(),
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(res))
        return
    print(f"PyBaMM {res['pybamm_version']}: {res['case']} ({res['n_states']} states), "
          f"IDAKLU rtol={args.rtol:g} atol={args.atol:g}")
    print(f"  build {t_build:.2f} s, warm-up solve {t_warm:.3f} s")
    print(f"  {args.repeats} solves: median {res['median_ms']:.2f} ms, min {res['min_ms']:.2f} ms "
          f"(median integration_time {res['median_integration_ms']:.2f} ms)")
    print(f"  t_end {res['t_end_s']:.3f} s, final V {res['final_voltage_V']:.6f} V, "
          f"{res['steps']} steps, {res['nonlinear_iterations']} Newton iters, "
          f"{res['linear_solver_setups']} Jacobian setups, {res['n_output_points']} output points")


if __name__ == "__main__":
    main()
