#!/usr/bin/env python3
"""CPU cost of ionflux's outputs in the coupled ageing case (issue 16, benchmarks/LOG.md,
"Cost per output and per step of the coupled case").

  PYTHONPATH=python python3 benchmarks/ageing_output_cost.py N PERIOD   (ROOT=<checkout> to time another build)

Solves bench_ageing's coupled case (the notebook's experiment with N ageing cycles) with an
output at every BDF step (PERIOD 0) or every PERIOD seconds, and prints the user and system
CPU time and the minor page faults of Simulation.solve, and the part spent outside _core.simulate.
The difference between PERIOD 0 and PERIOD 60, divided by the difference in outputs, is the
cost of an output.
"""
import os
import resource
import sys
import time

ROOT = os.environ.get("ROOT", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ionflux  # noqa: E402
import ionflux.simulation as simulation  # noqa: E402
import bench_ageing as b  # noqa: E402

n = int(sys.argv[1]) if len(sys.argv) > 1 else 2
period = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
options, cycles = b.case_setup("coupled", n)
kw = dict(options=options, experiment=[tuple(c) for c in cycles], mesh=b.VAR_PTS)
if period:
    kw["period"] = period
sim = ionflux.Simulation("OKane2022", **kw)
core_simulate, spent = simulation._core.simulate, {}


def timed(*args):
    c0 = time.process_time()
    r = core_simulate(*args)
    spent["core"] = time.process_time() - c0
    return r


simulation._core.simulate = timed
r0 = resource.getrusage(resource.RUSAGE_SELF)
c0 = time.process_time()
sol = sim.solve()
c1 = time.process_time()
r1 = resource.getrusage(resource.RUSAGE_SELF)
steps, outputs = sol.summary["Steps"], len(sol["Time [s]"])
print(f"user {r1.ru_utime - r0.ru_utime:.3f} s, system {r1.ru_stime - r0.ru_stime:.3f} s, "
      f"minor faults {r1.ru_minflt - r0.ru_minflt}; {steps} steps, {outputs} outputs; solve CPU {c1 - c0:.3f} s "
      f"(outside _core.simulate {c1 - c0 - spent['core']:.3f} s), {(c1 - c0) / steps * 1e6:.2f} us per step")
