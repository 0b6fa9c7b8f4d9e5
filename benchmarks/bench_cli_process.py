#!/usr/bin/env python3
"""The `ionflux` command timed the way a user or a shell script runs it (issue 14, item 4).

Each case starts a fresh process and waits for it (subprocess.run), --repeats times,
interleaved so that load on the machine affects every case alike:

  floor      /bin/true: what starting any process costs on this machine
  version    ionflux --version
  simulate   ionflux simulate --output FILE.csv (Chen2020, 1C, default mesh: the
             default job), its solve time read from its own "Wall time" line
  peer       (with --peer) the same discharge in PyBaMM 26.10.1.1 as a process:
             python3 -c "import pybamm; DFN, Chen2020, 1C, IDAKLU(rtol 1e-6, atol 1e-8),
             CSV of time and voltage"; --peer-repeats times (each takes seconds)

Reported: min and median wall time per case [ms]; "simulate beyond the solve" =
simulate's process time less its own reported solve time (start-up, set-up, CSV
writing, exit), per run, min and median; and, with --peer, PyBaMM process / ionflux
simulate process (medians).

    python3 benchmarks/bench_cli_process.py --cli build/ionflux
    python3 benchmarks/bench_cli_process.py --cli build/ionflux --repeats 200 --peer
"""

import argparse
import os
import platform
import re
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
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
    return dt, p.stdout


def stats(xs):
    return f"min {min(xs) * 1e3:8.2f} ms   median {statistics.median(xs) * 1e3:8.2f} ms"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", default=os.environ.get("IONFLUX_CLI", "build/ionflux"), help="the ionflux executable")
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--peer", action="store_true", help="also time PyBaMM as a process")
    ap.add_argument("--peer-repeats", type=int, default=3)
    a = ap.parse_args()
    cli = os.path.abspath(a.cli)
    if not os.path.exists(cli):
        sys.exit(f"no ionflux executable at {cli} (build it, or pass --cli PATH)")
    true = shutil.which("true") or "/bin/true"
    tmp = tempfile.mkdtemp(prefix="ionflux_cli_bench_")
    csv = os.path.join(tmp, "out.csv")
    floor, version, simulate, beyond = [], [], [], []
    for _ in range(3):  # warm the page cache
        timed([cli, "simulate", "--output", csv], tmp)
    for _ in range(a.repeats):
        floor.append(timed([true], tmp)[0])
        version.append(timed([cli, "--version"], tmp)[0])
        dt, out = timed([cli, "simulate", "--output", csv], tmp)
        m = re.search(r"Wall time\s+([0-9.]+) ms", out)
        if not m:
            sys.exit("ionflux simulate printed no 'Wall time' line:\n" + out)
        simulate.append(dt)
        beyond.append(dt - float(m.group(1)) * 1e-3)
    print(f"machine: {platform.node()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print(f"ionflux: {cli}; {a.repeats} runs per case, interleaved")
    print(f"  floor (/bin/true)                {stats(floor)}")
    print(f"  ionflux --version                {stats(version)}")
    print(f"  ionflux simulate (Chen2020 1C)   {stats(simulate)}")
    print(f"  simulate beyond its solve        {stats(beyond)}")
    if a.peer:
        script = os.path.join(tmp, "peer.py")
        with open(script, "w") as f:
            f.write(PEER)
        peer = [timed([sys.executable, script, os.path.join(tmp, "peer.csv")], tmp)[0] for _ in range(a.peer_repeats)]
        print(f"  PyBaMM as a process (same case)  {stats(peer)}")
        print(f"  ratio PyBaMM / ionflux simulate (medians): {statistics.median(peer) / statistics.median(simulate):.0f}x")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
