"""Dask overhead (issue 12): the same 10,000-cell sweep run by one process with 2 CPU
threads and by a Dask LocalCluster of 2 worker processes x 1 thread (Sweep.run(client=...)),
side by side in one run; prints both wall times and their ratio, and checks that the two
files are identical.

Case: Chen2020, a coarse mesh (5 points per domain and per particle), constant current,
t_end = 600 s (short: every cell stops at t_end, status end_time_reached), 100 C-rates
(0.5C..2C) x 100 negative particle radii (4..8 um) = 10,000 cells, every-step output.
Each timing is what a user pays for a new sweep: `Sweep(...)` (which plans and checks
every cell) and `.run()` (running, writing the HDF5 file; for Dask also each worker's
planning of the sweep, sending the partitions' files back and joining them), best of
--repeats; the workers forget their planned sweep before each Dask run. The cluster's
start-up is reported apart.

    PYTHONPATH=python python3 benchmarks/bench_dask.py [--cells-per-axis 100] [--repeats 2]
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
    args = p.parse_args()

    import distributed
    import ionflux

    from ionflux import distributed as idist

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

    t_one, t_dask = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # every cell is end_time_reached on purpose
        for _ in range(args.repeats):  # alternate, so that drifts in the machine's load hit both
            t = time.perf_counter()
            make_sweep().run(output=one, device="cpu", threads=2, progress=False)
            t_one.append(time.perf_counter() - t)
            client.run(idist._RUNNER_CACHE.clear)
            t = time.perf_counter()
            res = make_sweep().run(output=dask, device="cpu", client=client, partitions=args.partitions,
                                   progress=False)
            t_dask.append(time.perf_counter() - t)
    identical = same_files(one, dask)
    client.close()
    cluster.close()
    best_one, best_dask = min(t_one), min(t_dask)
    print(f"bench_dask: {sweep.n_cells} cells (Chen2020, mesh 5 everywhere, t_end 600 s), "
          f"{res.run_info['partitions']} partitions; planning the sweep (Sweep(...)) takes {t_plan:.2f} s")
    print(f"  one process, 2 threads:       {best_one:.2f} s  ({sweep.n_cells / best_one:.0f} cells/s)"
          f"  runs: {', '.join(f'{t:.2f}' for t in t_one)}")
    print(f"  LocalCluster 2 workers x 1:   {best_dask:.2f} s  ({sweep.n_cells / best_dask:.0f} cells/s)"
          f"  runs: {', '.join(f'{t:.2f}' for t in t_dask)}  (+ {startup:.1f} s cluster start-up, not counted)")
    print(f"  ratio dask / one process:     {best_dask / best_one:.3f}  (goal <= 1.10)")
    print(f"  files identical: {identical}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
