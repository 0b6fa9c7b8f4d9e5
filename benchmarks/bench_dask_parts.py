"""Dask overhead, parts measured alone in one process (issue 12; benchmarks/LOG.md,
"Dask overhead"): for bench_dask.py's case (10,000 cells, its 12 guided partitions for 2
workers), the CPU seconds of (1) the workers planning their partitions, alone and with
the driver's plan (`SweepRunner.planned_range`), and (2) the driver taking the 12
partitions' in-memory results (what the workers return): writing them into one file
(`ionflux.distributed._FileWriter`, the file road) or assembling them in memory
(`ionflux.distributed._Assembler`, the memory road). CPU seconds, best of --repeats:
less disturbed by other work than the whole runs of bench_dask.py.

    PYTHONPATH=python python3 benchmarks/bench_dask_parts.py [--repeats 3]
"""
import argparse
import os
import shutil
import tempfile
import warnings


def cpu_seconds():
    t = os.times()
    return t.user + t.system


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    import ionflux
    from ionflux import _core
    from ionflux import distributed as idist

    warnings.simplefilter("ignore")  # every cell is end_time_reached on purpose
    sweep = ionflux.Sweep("Chen2020", mesh={k: 5 for k in ("x_n", "x_s", "x_p", "r_n", "r_p")}, t_end=600,
                          vary={"C-rate": {"linspace": [0.5, 2.0, 100]},
                                "Negative particle radius [m]": {"linspace": [4e-6, 8e-6, 100]}})
    cfg, src = sweep.to_json(), "ionflux.Sweep"
    bounds = idist.guided_bounds(sweep.n_cells, 2)
    alone, planned, send, write, assemble = [], [], [], [], []
    tmp = tempfile.mkdtemp(prefix="bench-dask-parts-")
    try:
        parts = [_core.SweepRunner(cfg, src, (a, b), sweep._runner.planned_range(a, b)).run("", "cpu", 2, 0)["memory"]
                 for a, b in bounds]
        attrs = idist.sweep_attributes(sweep._runner)
        for _ in range(args.repeats):
            c = cpu_seconds()
            for ab in bounds:
                _core.SweepRunner(cfg, src, ab)
            alone.append(cpu_seconds() - c)
            c = cpu_seconds()
            plans = [sweep._runner.planned_range(a, b) for a, b in bounds]
            send.append(cpu_seconds() - c)
            c = cpu_seconds()
            for ab, plan in zip(bounds, plans):
                _core.SweepRunner(cfg, src, ab, plan)
            planned.append(cpu_seconds() - c)
            c = cpu_seconds()
            writer = idist._FileWriter(os.path.join(tmp, "written.h5"), sweep.n_cells, bounds, sweep._runner)
            for k, part in enumerate(parts):
                writer.add(k, part, {})
            writer.close("complete", {})
            write.append(cpu_seconds() - c)
            c = cpu_seconds()
            assembler = idist._Assembler(sweep.n_cells, bounds, attrs)
            for k, part in enumerate(parts):
                assembler.add(k, part, {})
            assembler.result({})
            assemble.append(cpu_seconds() - c)
            del assembler
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    mb = sum(idist._nbytes(part) for part in parts) / 1e6
    print(f"bench_dask_parts: {sweep.n_cells} cells, {len(bounds)} partitions; CPU seconds, best of {args.repeats}")
    print(f"  workers planning the partitions alone:            {min(alone):.3f}")
    print(f"  ... with the driver's plan (planned_range):      {min(planned):.3f}  (planned_range on the driver: "
          f"{min(send):.3f})")
    print(f"  the driver writing the partitions ({mb:.0f} MB) into one file: {min(write):.3f}")
    print(f"  the driver assembling them in memory:             {min(assemble):.3f}")


if __name__ == "__main__":
    main()
