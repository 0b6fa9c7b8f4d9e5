#!/usr/bin/env python3
"""The `ionflux` command timed the way a user or a shell script runs it (issue 14, item 4).

Each case starts a fresh process and waits for it, --repeats times, interleaved so that
load on the machine affects every case alike:

  floor      /bin/true: what starting any process costs on this machine
  version    ionflux --version
  simulate   ionflux simulate --output FILE.csv (Chen2020, 1C, default mesh: the
             default job; --parameters NAME for another set), its solve time read from
             its own "Wall time" line
  peer       (with --peer) the same discharge in PyBaMM 26.10.1.1 as a process:
             python3 -c "import pybamm; DFN, Chen2020, 1C, IDAKLU(rtol 1e-6, atol 1e-8),
             CSV of time and voltage"; --peer-repeats times (each takes seconds)

With --baseline PATH a second ionflux executable (e.g. a build of main) runs the same
cases in the same loop, so that before and after are measured under the same load.

Reported per case: the wall time and the CPU time (user + system: getrusage of the children) of the
process, min and median [ms]; "simulate beyond the solve" = simulate's process wall
time less its own reported solve time (start-up, set-up, CSV writing, exit), per run
(not in CPU time: the solve reports only its wall time); with --peer,
PyBaMM process / ionflux simulate process (medians). On a loaded machine the minima
and the CPU times are the numbers to compare.

    python3 benchmarks/bench_cli_process.py --cli build/ionflux
    python3 benchmarks/bench_cli_process.py --cli build/ionflux --baseline /tmp/main/ionflux --repeats 200
    python3 benchmarks/bench_cli_process.py --cli build/ionflux --repeats 200 --peer
"""

import argparse
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

PEER = r"""
import sys, pybamm, numpy as np
pv = pybamm.ParameterValues("Chen2020")
pv["Current function [A]"] = 1.0 * pv["Nominal cell capacity [A.h]"]
sim = pybamm.Simulation(pybamm.lithium_ion.DFN(), parameter_values=pv,
                        solver=pybamm.IDAKLUSolver(rtol=1e-6, atol=1e-8))
sol = sim.solve([0, 5400])
np.savetxt(sys.argv[1], np.column_stack([sol["Time [s]"].entries, sol["Voltage [V]"].entries]),
           delimiter=",", header="Time [s],Voltage [V]", comments="")
"""


def timed(cmd, cwd):
    """(wall [s], CPU user + system [s], stdout) of one run of cmd."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)  # the children waited for so far
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
    return dt, (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime), p.stdout


def stats(xs):
    return f"min {min(xs) * 1e3:7.2f} ms  median {statistics.median(xs) * 1e3:7.2f} ms"


class Cli:
    """The cases of one ionflux executable: wall and CPU time per case."""

    def __init__(self, path, tmp, extra):
        self.path, self.csv, self.extra = path, os.path.join(tmp, f"out{id(self)}.csv"), extra
        self.t = {k: [] for k in ("version", "simulate", "beyond")}
        self.cpu = {k: [] for k in ("version", "simulate")}

    def run(self, tmp):
        dt, cpu, _ = timed([self.path, "--version"], tmp)
        self.t["version"].append(dt)
        self.cpu["version"].append(cpu)
        dt, cpu, out = timed([self.path, "simulate", "--output", self.csv] + self.extra, tmp)
        m = re.search(r"Wall time\s+([0-9.]+) ms", out)
        if not m:
            sys.exit("ionflux simulate printed no 'Wall time' line:\n" + out)
        solve = float(m.group(1)) * 1e-3
        self.t["simulate"].append(dt)
        self.cpu["simulate"].append(cpu)
        self.t["beyond"].append(dt - solve)

    def report(self, title):
        print(f"{title}: {self.path}")
        case = f"ionflux simulate ({self.extra[1] if self.extra else 'Chen2020'})"
        for k, label in (("version", "ionflux --version"), ("simulate", case),
                         ("beyond", "simulate beyond its solve")):
            cpu = f"   CPU {stats(self.cpu[k])}" if k in self.cpu else ""
            print(f"  {label:31s} wall {stats(self.t[k])}{cpu}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", default=os.environ.get("IONFLUX_CLI", "build/ionflux"), help="the ionflux executable")
    ap.add_argument("--baseline", help="a second ionflux executable, timed in the same loop")
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--parameters", help="simulate this set (--parameters NAME|FILE) instead of the default Chen2020")
    ap.add_argument("--peer", action="store_true", help="also time PyBaMM as a process")
    ap.add_argument("--peer-repeats", type=int, default=3)
    a = ap.parse_args()
    paths = [os.path.abspath(a.cli)] + ([os.path.abspath(a.baseline)] if a.baseline else [])
    for path in paths:
        if not os.path.exists(path):
            sys.exit(f"no ionflux executable at {path} (build it, or pass --cli PATH)")
    true = shutil.which("true") or "/bin/true"
    tmp = tempfile.mkdtemp(prefix="ionflux_cli_bench_")
    extra = ["--parameters", a.parameters] if a.parameters else []
    clis = [Cli(path, tmp, extra) for path in paths]
    floor, floor_cpu = [], []
    for c in clis:  # warm the page cache
        for _ in range(3):
            timed([c.path, "simulate", "--output", c.csv] + extra, tmp)
    for _ in range(a.repeats):
        dt, cpu, _ = timed([true], tmp)
        floor.append(dt)
        floor_cpu.append(cpu)
        for c in clis:
            c.run(tmp)
    load = os.getloadavg()
    print(f"machine: {platform.node()}, {os.cpu_count()} CPUs, {platform.platform()}, "
          f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(f"{a.repeats} runs per case, interleaved")
    print(f"  {'floor (/bin/true)':31s} wall {stats(floor)}   CPU {stats(floor_cpu)}")
    clis[0].report("ionflux")
    if a.baseline:
        clis[1].report("baseline")
    if a.peer:
        script = os.path.join(tmp, "peer.py")
        with open(script, "w") as f:
            f.write(PEER)
        peer = [timed([sys.executable, script, os.path.join(tmp, "peer.csv")], tmp)[0] for _ in range(a.peer_repeats)]
        print(f"  PyBaMM as a process (same case)  {stats(peer)}")
        print(f"  ratio PyBaMM / ionflux simulate (medians): "
              f"{statistics.median(peer) / statistics.median(clis[0].t['simulate']):.0f}x")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
