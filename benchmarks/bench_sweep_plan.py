#!/usr/bin/env python3
"""Time it takes to make (plan and check) a Python `ionflux.Sweep` of many cells, before
any cell runs: the wait a notebook user has after `Sweep(...)`.

    python3 benchmarks/bench_sweep_plan.py [--cells 50000] [--repeats 3]

The grid varies the C-rate and the initial SOC (each cell's initial concentrations come
from inverting the OCV, the dominant planning cost per cell). Prints the median wall time
and the time per cell.
"""
import argparse
import statistics
import time

import ionflux


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cells", type=int, default=50000, help="cells (a multiple of 50)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    n_rate = max(1, args.cells // 50)
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        s = ionflux.Sweep("Chen2020", vary={"C-rate": {"linspace": [1, 2, n_rate]},
                                            "Initial SOC": {"linspace": [0.5, 1, 50]}})
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(f"Sweep(...) of {s.n_cells} cells: median {med:.3f} s over {args.repeats} ({1e6 * med / s.n_cells:.1f} us per cell)")


if __name__ == "__main__":
    main()
