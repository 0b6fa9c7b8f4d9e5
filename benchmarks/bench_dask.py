"""Dask overhead (issue 12): the same 10,000-cell sweep run by one process with 2 CPU
threads and by a Dask LocalCluster of 2 worker processes x 1 thread (Sweep.run(client=...)),
side by side in one run; prints both wall times and their ratio, and checks that the two
results are identical. Two roads, each timed both ways: results in memory (no output
file: the partitions' arrays come back and are assembled) and one HDF5 file.

Case: Chen2020, a coarse mesh (5 points per domain and per particle), constant current,
t_end = 600 s (short: every cell stops at t_end, status end_time_reached), 100 C-rates
(0.5C..2C) x 100 negative particle radii (4..8 um) = 10,000 cells, every-step output.
Each timing is what a user pays for a new sweep: `Sweep(...)` (which plans and checks
every cell) and `.run()` (running, and writing the HDF5 file or keeping the arrays; for
Dask also each worker's planning of its partitions' cells, sending the partitions'
results back and joining them), best of --repeats. The cluster's start-up is reported
apart. Also reported: the CPU seconds each road used (this process, plus for Dask the
workers' processes, and the scheduler's when it is not this process: a LocalCluster's
scheduler runs in this process), best of --repeats: on a machine shared with other work,
CPU time is disturbed far less than wall time; and, of the Dask run's, the part spent in
Dask's event loops (heartbeats and other periodic work, which grow with the wall time and
so with the machine's load) and the rest (the work: running the cells, sending and
joining the partitions).

    PYTHONPATH=python python3 benchmarks/bench_dask.py [--cells-per-axis 100] [--repeats 2]
                                                       [--road memory|file|both]
"""
import argparse
import logging
import os
import sys
import tempfile
import time
import warnings

import h5py
import numpy as np


def cpu_seconds():
    """User + system CPU seconds of this process (all its threads)."""
    t = os.times()
    return t.user + t.system


def loop_cpu_seconds():
    """CPU seconds of this process's Dask event loop thread (Linux /proc; 0 elsewhere): on a
    worker its main thread, in the driver the "IO loop" thread (client, and a LocalCluster's
    scheduler and nannies). Heartbeats and other periodic work cost ~0.03 CPU s per second
    there even when idle, so this part grows with the wall time (the machine's load),
    not with the work."""
    import threading
    names = {t.native_id: t.name for t in threading.enumerate()}
    import distributed
    on_worker = True
    try:
        distributed.get_worker()
    except ValueError:
        on_worker = False
    wanted = [tid for tid, name in names.items() if name == ("MainThread" if on_worker else "IO loop")]
    total = 0.0
    for tid in wanted:
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def same_files(a, b):
    def read(path):
        out = {}
        with h5py.File(path, "r") as f:
            f.visititems(lambda n, o: out.__setitem__(n, o[...]) if isinstance(o, h5py.Dataset) else None)
        return out
    x, y = read(a), read(b)
    return sorted(x) == sorted(y) and all(
        np.array_equal(x[k], y[k], equal_nan=x[k].dtype.kind == "f") for k in x)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cells-per-axis", type=int, default=100, help="C-rates x radii (default 100: 10,000 cells)")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--partitions", type=int, default=None, help="default: guided sizes")
    p.add_argument("--road", choices=("memory", "file", "both"), default="both",
                   help="results in memory, in one HDF5 file, or both (default)")
    args = p.parse_args()

    import distributed
    import ionflux

    n = args.cells_per_axis

    def make_sweep():
        return ionflux.Sweep("Chen2020", mesh={k: 5 for k in ("x_n", "x_s", "x_p", "r_n", "r_p")}, t_end=600,
                             vary={"C-rate": {"linspace": [0.5, 2.0, n]},
                                   "Negative particle radius [m]": {"linspace": [4e-6, 8e-6, n]}})

    t = time.perf_counter()
    sweep = make_sweep()
    t_plan = time.perf_counter() - t
    tmp = tempfile.mkdtemp(prefix="bench-dask-")
    one, dask = os.path.join(tmp, "one.h5"), os.path.join(tmp, "dask.h5")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=logging.ERROR)
    client = distributed.Client(cluster)
    startup = time.perf_counter() - t0

    roads = ("memory", "file") if args.road == "both" else (args.road,)
    times = {(road, who): [] for road in roads for who in ("one", "dask")}
    cpu = {(road, who): [] for road in roads for who in ("one", "dask")}
    loops = {road: [] for road in roads}  # the Dask run's event loops' CPU seconds

    # A LocalCluster's scheduler (and its nannies) run in this process: counting the
    # scheduler's process as well would count this process twice (this benchmark did so
    # before 2026-12-05: its Dask CPU seconds were too high by the driver's).
    scheduler_apart = client.run_on_scheduler(os.getpid) != os.getpid()

    def cluster_cpu():  # this process + the workers' + the scheduler's (when it is another process)
        return (cpu_seconds() + sum(client.run(cpu_seconds).values()) +
                (client.run_on_scheduler(cpu_seconds) if scheduler_apart else 0.0))
    def cluster_loops():
        return loop_cpu_seconds() + sum(client.run(loop_cpu_seconds).values())
    identical = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # every cell is end_time_reached on purpose
        for _ in range(args.repeats):  # alternate, so that drifts in the machine's load hit both
            for road in roads:
                out_one, out_dask = (one, dask) if road == "file" else (None, None)
                c, t = cpu_seconds(), time.perf_counter()
                r_one = make_sweep().run(output=out_one, device="cpu", threads=2, progress=False)
                times[road, "one"].append(time.perf_counter() - t)
                cpu[road, "one"].append(cpu_seconds() - c)
                c, lo = cluster_cpu(), cluster_loops()
                t = time.perf_counter()
                res = make_sweep().run(output=out_dask, device="cpu", client=client, partitions=args.partitions,
                                       progress=False)
                times[road, "dask"].append(time.perf_counter() - t)
                cpu[road, "dask"].append(cluster_cpu() - c)
                loops[road].append(cluster_loops() - lo)
                if road == "file":
                    identical[road] = same_files(one, dask)
                else:
                    a, b = r_one._memory, res._memory
                    identical[road] = sorted(a._datasets) == sorted(b._datasets) and all(
                        np.array_equal(a[k][...], b[k][...], equal_nan=a[k][...].dtype.kind == "f")
                        for k in a._datasets)
                del r_one
    client.close()
    cluster.close()
    print(f"bench_dask: {sweep.n_cells} cells (Chen2020, mesh 5 everywhere, t_end 600 s), "
          f"{res.run_info['partitions']} partitions; planning the sweep (Sweep(...)) takes {t_plan:.2f} s; "
          f"cluster start-up {startup:.1f} s (not counted)")
    who = "driver + workers + scheduler" if scheduler_apart else "driver with the scheduler + workers"
    for road in roads:
        t_one, t_dask = times[road, "one"], times[road, "dask"]
        best_one, best_dask = min(t_one), min(t_dask)
        print(f"  [{road}] one process, 2 threads:     {best_one:.2f} s  ({sweep.n_cells / best_one:.0f} cells/s)"
              f"  runs: {', '.join(f'{t:.2f}' for t in t_one)}")
        print(f"  [{road}] LocalCluster 2 workers x 1: {best_dask:.2f} s  ({sweep.n_cells / best_dask:.0f} cells/s)"
              f"  runs: {', '.join(f'{t:.2f}' for t in t_dask)}")
        print(f"  [{road}] ratio dask / one process:   {best_dask / best_one:.3f}  (goal <= 1.10); "
              f"results identical: {identical[road]}")
        c_one, c_dask = min(cpu[road, "one"]), min(cpu[road, "dask"])
        print(f"  [{road}] CPU seconds (best): one process {c_one:.2f}, dask {c_dask:.2f} ({who}); "
              f"ratio {c_dask / c_one:.3f}")
        k = cpu[road, "dask"].index(c_dask)
        print(f"  [{road}] of the dask CPU seconds, Dask's event loops (grow with the wall time): {loops[road][k]:.2f}; "
              f"the rest {c_dask - loops[road][k]:.2f} (ratio to one process {(c_dask - loops[road][k]) / c_one:.3f}); "
              f"all runs: " + ", ".join(f"{c:.2f} ({lp:.2f})" for c, lp in zip(cpu[road, 'dask'], loops[road])))
    return 0 if all(identical.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
