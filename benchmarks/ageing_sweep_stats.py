"""What an ageing sweep's file holds: statuses, BDF steps, capacity fade and loss of lithium
inventory over the cycles (min / median / max), and the medians of fade and of the capacity
lost to SEI and to plating at each level of every varied input. The figures of
benchmarks/LOG.md, "1,000 cells x 100 cycles on the CPU threads", come from it:

    python3 benchmarks/ageing_sweep_stats.py /work/ageing_run/ageing.h5
"""
import sys

import h5py
import numpy as np


def spread(x):
    return f"{np.min(x):.3f} / {np.median(x):.3f} / {np.max(x):.3f}"


def main(path):
    with h5py.File(path, "r", swmr=True) as f:
        status = f["cells/status"][()]
        codes, counts = np.unique(status, return_counts=True)
        print("file status:", f.attrs.get("status"), "| cell statuses:", dict(zip(codes.tolist(), counts.tolist())))
        for key in ("wall time [s]", "runs"):
            if key in f.attrs:
                print(f"{key}: {f.attrs[key]}")
        done = status >= 0
        steps = f["summary/Steps"][()][done]
        print(f"cells with a status {done.sum()}; BDF steps {int(steps.sum()):,} "
              f"(per cell min / median / max {int(steps.min()):,} / {int(np.median(steps)):,} / {int(steps.max()):,})")
        cycles = f["cycles"]
        capacity = cycles["Capacity [A.h]"][()][done]
        fade = 100 * (capacity[:, 0] - capacity[:, -1]) / capacity[:, 0]
        lli = cycles["Loss of lithium inventory [%]"][()][done][:, -1]
        print(f"{capacity.shape[1]} cycles: capacity fade [%] {spread(fade)}; LLI after the last cycle [%] {spread(lli)}")
        losses = {name: cycles[key][()][done][:, -1] * 1e3 for name, key in
                  (("SEI", "Loss of capacity to negative SEI [A.h]"),
                   ("plating", "Loss of capacity to negative lithium plating [A.h]")) if key in cycles}
        for name, ds in f["inputs"].items():
            values = ds[()][done]
            label = ds.attrs.get("name", name)
            print(f"by {label.decode() if isinstance(label, bytes) else label} (median at each level):")
            levels = np.unique(values)
            print("  fade [%]      " + "  ".join(f"{v:.3g}: {np.median(fade[values == v]):.3f}" for v in levels))
            for what, loss in losses.items():
                print(f"  {what} [mA.h]".ljust(15) + " " + "  ".join(f"{np.median(loss[values == v]):.2f}" for v in levels))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: ageing_sweep_stats.py SWEEP.h5")
    main(sys.argv[1])
