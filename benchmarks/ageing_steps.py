#!/usr/bin/env python3
"""Where the BDF steps of an ageing cycle go (issue 16; benchmarks/LOG.md, "Where the
steps of an ageing cycle go").

One CC-CV cycle of bench_ageing.py's sei_plating case (OKane2022, 1C discharge to 2.5 V,
0.3C charge to 4.2 V, hold at 4.2 V to C/100, x 5/5/5, r 30/30) with an output at every
accepted step, counted per protocol step (the output's "Step"), for: the degradation
options of the case, each alone, none, Chen2020 (analytic OCPs), and Chen2020 with
OKane2022's interpolated graphite OCP; then the case at other tolerances.

    PYTHONPATH=python python3 benchmarks/ageing_steps.py
"""
import numpy as np

import ionflux

CYCLE = [("Discharge at 1C until 2.5 V", "Charge at 0.3C until 4.2 V", "Hold at 4.2 V until C/100")]
MESH = {"x_n": 5, "x_s": 5, "x_p": 5, "r_n": 30, "r_p": 30}
BOTH = {"SEI": "solvent-diffusion limited", "lithium plating": "reversible"}


def run(label, params, options=None, solver=None):
    sol = ionflux.Simulation(params, options=options or {}, experiment=CYCLE, mesh=MESH, solver=solver or {}).solve()
    t, st = np.asarray(sol.t), np.asarray(sol["Step"])
    parts = []
    for k in np.unique(st):
        tt = t[st == k]
        parts.append(f"step {int(k)}: {tt.size} outputs, h median {np.median(np.diff(tt)):.3g} s")
    print(f"{label:58s} {sol.summary['Steps']:6d} steps ({sol.termination}); " + "; ".join(parts))


def main():
    run("OKane2022, SEI solvent-diffusion + reversible plating", "OKane2022", BOTH)
    run("OKane2022, SEI only", "OKane2022", {"SEI": BOTH["SEI"]})
    run("OKane2022, plating only", "OKane2022", {"lithium plating": BOTH["lithium plating"]})
    run("OKane2022, no degradation", "OKane2022")
    run("Chen2020, no degradation", "Chen2020")
    chen = ionflux.ParameterSet("Chen2020")
    chen["Negative electrode OCP [V]"] = ionflux.ParameterSet("OKane2022")["Negative electrode OCP [V]"]
    run("Chen2020 with OKane2022's graphite OCP table", chen)
    for solver in ({"atol": 1e-7}, {"atol": 1e-6}, {"rtol": 1e-5}):
        run(f"OKane2022, SEI + plating, {solver}", "OKane2022", BOTH, solver)


if __name__ == "__main__":
    main()
