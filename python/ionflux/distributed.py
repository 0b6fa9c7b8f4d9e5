"""Sweeps across many GPUs and machines on Dask (docs/distributed.md).

The cells of a sweep are split into partitions, ranges ``[first, last)`` of the
sweep's cell numbers. Each partition is one Dask task: a worker plans only the
partition's cells from the sweep's config (``_core.SweepRunner(config, source,
cells=(first, last), planned=...)``: the same road as ``Sweep.run``, O(partition); what
the driver's plan of the whole sweep already found for those cells (which are invalid,
their currents, default end times and initial SOCs: ``SweepRunner.planned_range``) travels with the
task, so the worker builds no cell record before running them), runs them on its
GPU if it has one, else on its CPU cores, and sends the partition's results back as
arrays (the memory sink's datasets; no file on the worker, whichever road). The driver
(the process that called ``Sweep.run(client=...)`` or ``ionflux sweep --scheduler``)
takes the partitions as they complete (``distributed.as_completed``) and, in cell
order, either assembles them into the same in-memory results as a single-process
``Sweep.run()`` (no HDF5, no h5py), or writes them straight into ONE file through the
single process's writer (the C++ HDF5 sink: ``SweepRunner.open_file``, then
``SweepFile.write`` per partition), opened from the driver's plan of the whole sweep as
a single process opens it, in HDF5's SWMR mode (readers may open it while it is
written): the layout of docs/hdf5_layout.md, identical in every dataset to the file of
a single-process run of the same sweep.

A worker that dies takes its running partition (and the results it held) with it;
Dask's scheduler runs those partitions again on the other workers, and the driver
takes each partition exactly once (rows ``[first, last)``, checked against the
partition's cell count), so no cell is lost or duplicated.

Command line: ``python -m ionflux.distributed CONFIG --scheduler ADDRESS [--output
OUT.h5] ...`` (what ``ionflux sweep CONFIG --scheduler ADDRESS`` runs).
"""
from __future__ import annotations

import argparse
import numbers
import os
import pickle
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import uuid
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

__all__ = ["run_sweep", "connect", "partition_bounds", "main"]

#: Without `partitions`, sizes are guided (as OpenMP's guided schedule): each partition
#: takes 1/(2 x workers) of the cells not yet given out, but at least 1/(GUIDED_MIN x
#: workers) of the sweep and at most MAX_PARTITION_CELLS (a partition's results travel
#: and wait in memory whole). Big partitions first, small ones last, so the workers
#: finish together.
GUIDED_MIN = 16
MAX_PARTITION_CELLS = 20000

#: Seconds to wait for a scheduler given by its address ($IONFLUX_DASK_CONNECT_TIMEOUT).
CONNECT_TIMEOUT = float(os.environ.get("IONFLUX_DASK_CONNECT_TIMEOUT", "10"))

#: Retries of a partition whose task raised (a worker that dies is handled by Dask's
#: scheduler on top of these: `distributed.scheduler.allowed-failures`).
RETRIES = 2

#: Seconds between progress reports from a running partition, and progress redraws.
PROGRESS_INTERVAL = 0.5

#: A config longer than this (characters) is sent to the workers once (scattered to
#: all of them) instead of inside every task.
SCATTER_CONFIG_CHARS = 1 << 20

#: Test hook: ``(marker_path, partition)``. The first time `partition` starts on a
#: worker and `marker_path` does not exist, the task creates the file and kills its
#: worker process (SIGKILL), as a crashed machine would.
_test_kill: Optional[Tuple[str, int]] = None

_INSTALL = "pip install \"ionflux[distributed]\""


def _require_dask() -> Any:
    """The `distributed` module, or an ImportError that says what to install."""
    try:
        import distributed
    except ImportError as e:
        raise ImportError(f"ionflux: distributed sweeps need dask.distributed ({e}); install it with: {_INSTALL}") \
            from None
    return distributed


def connect(scheduler: Any, timeout: Optional[float] = None) -> Tuple[Any, bool]:
    """A Dask client for `scheduler`, and whether the caller owns (must close) it.

    Parameters
    ----------
    scheduler : distributed.Client, cluster or str
        A client (used as it is), a cluster object (``LocalCluster``,
        ``LocalCUDACluster``, ``SLURMCluster``, ...) or a scheduler address such as
        ``"tcp://host:8786"``.
    timeout : float, optional
        Seconds to wait for the scheduler (default `CONNECT_TIMEOUT`).

    Raises
    ------
    ConnectionError
        When the scheduler cannot be reached (one error, naming the address).
    """
    distributed = _require_dask()
    timeout = CONNECT_TIMEOUT if timeout is None else float(timeout)
    if isinstance(scheduler, distributed.Client):
        return scheduler, False
    if isinstance(scheduler, (str, bytes, os.PathLike)):
        address = os.fsdecode(scheduler)
        problem = None
        try:
            return distributed.Client(address, timeout=timeout, set_as_default=False), True
        except (OSError, TimeoutError, ValueError) as e:  # refused, unknown host, timed out, bad address
            problem = f"{type(e).__name__}: {e}".strip()
        raise ConnectionError(f"ionflux: cannot reach the Dask scheduler at '{address}' within {timeout:g} s "
                              f"({problem}); check the address, and that a scheduler runs there "
                              f"(docs/distributed.md)")
    if hasattr(scheduler, "scheduler_address"):  # a cluster object
        return distributed.Client(scheduler, timeout=timeout, set_as_default=False), True
    raise TypeError(f"client must be a dask.distributed Client, a cluster or a scheduler address, "
                    f"got {type(scheduler).__name__}")


def partition_bounds(n_cells: int, partitions: int) -> List[Tuple[int, int]]:
    """Split cells ``0 .. n_cells-1`` into `partitions` consecutive ranges of sizes
    that differ by at most one (fewer when there are fewer cells)."""
    p = max(1, min(int(partitions), int(n_cells)))
    edges = [n_cells * k // p for k in range(p + 1)]
    return [(edges[k], edges[k + 1]) for k in range(p)]


def guided_bounds(n_cells: int, workers: int) -> List[Tuple[int, int]]:
    """Consecutive ranges covering cells ``0 .. n_cells-1``, of decreasing sizes: each
    1/(2 x workers) of the cells left, between n_cells/(GUIDED_MIN x workers) (at least 1)
    and MAX_PARTITION_CELLS."""
    w = max(1, int(workers))
    smallest = max(1, -(-n_cells // (GUIDED_MIN * w)))
    bounds, first = [], 0
    while first < n_cells:
        size = min(MAX_PARTITION_CELLS, max(smallest, -(-(n_cells - first) // (2 * w))))
        last = min(n_cells, first + size)
        bounds.append((first, last))
        first = last
    return bounds


# -- on the worker ---------------------------------------------------------------------
_RUN_LOCK = threading.Lock()  # one partition at a time per worker process: it uses all of its threads


def _run_partition(config_json: str, source: str, index: int, first: int, last: int, device: str,
                   threads: Optional[int], memory_budget: int, topic: str,
                   kill: Optional[Tuple[str, int]] = None,
                   planned: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """One partition, on a worker: plan and run cells [first, last) only; return its
    results as arrays ("memory": the memory sink's datasets, as `_core.SweepRunner.run`
    gives them; the same whether the driver keeps them in memory or writes the file).
    `planned`: the driver's ``SweepRunner.planned_range(first, last)`` (else the worker
    finds the cells' validity, currents and end times itself)."""
    from distributed import get_worker

    from . import _core

    worker = get_worker()
    if kill is not None and kill[1] == index:
        try:
            fd = os.open(kill[0], os.O_CREAT | os.O_EXCL | os.O_WRONLY)  # only the first time
        except FileExistsError:
            pass
        else:
            os.close(fd)
            os.kill(os.getpid(), signal.SIGKILL)
    n_threads = int(threads) if threads else int(worker.state.nthreads)
    with _RUN_LOCK:
        runner = _core.SweepRunner(config_json, source, (int(first), int(last)), planned)  # its cells only
        stop = threading.Event()

        def report() -> None:  # cells done so far, to the driver's progress bar
            while not stop.wait(PROGRESS_INTERVAL):
                try:
                    worker.log_event(topic, {"partition": index, "done": int(runner.progress()[0])})
                except Exception:  # noqa: BLE001 - progress is best effort
                    return

        reporter = threading.Thread(target=report, name="ionflux-progress", daemon=True)
        reporter.start()
        try:
            info = dict(runner.run("", device, n_threads, int(memory_budget)))
        finally:
            stop.set()
            reporter.join()
    memory = info.pop("memory")
    info.update(partition=index, first=first, last=last, worker=worker.address, host=socket.gethostname(),
                threads=n_threads, planned_cells=int(runner.planned_cells))
    return {"info": info, "memory": memory}


# -- on the driver: partitions taken once each, in cell order --------------------------
#: Bytes of partitions that may wait in the driver's memory for an earlier one (they
#: arrived before their turn) while the file is written; more wait in a temporary
#: spool folder on disk. (In memory the whole sweep is kept anyway: no spool.)
SPOOL_BYTES = 1 << 28


def _nbytes(memory: Dict[str, Any]) -> int:
    """About the bytes a partition's results hold (arrays; ~64 per string)."""
    total = 0
    for value in memory.values():
        if isinstance(value, np.ndarray):
            total += value.nbytes
        elif isinstance(value, (list, tuple)):
            total += 64 * len(value)
    return total


class _InOrder:
    """Takes partitions' in-memory results (the memory sink's datasets of cells
    [first, last), as `_run_partition` returns them), each exactly once (its row count
    checked against its range), and hands them to `_join` in cell order: a partition
    that arrives before its turn waits, in memory, or with `spool` in a temporary
    folder once SPOOL_BYTES of partitions wait in memory."""

    def __init__(self, n_cells: int, bounds: Sequence[Tuple[int, int]], spool: bool = False) -> None:
        self.n_cells = n_cells
        self.bounds = list(bounds)
        self.next = 0  # the partition to join next
        self.infos: Dict[int, Dict[str, Any]] = {}
        self.waiting: Dict[int, Any] = {}  # partition -> its results, or the path they were spooled to
        self.waiting_bytes = 0  # of the results waiting in memory
        self.spool = spool
        self.spool_dir: Optional[str] = None

    def add(self, index: int, memory: Dict[str, Any], info: Dict[str, Any]) -> bool:
        """Take partition `index`, and join every partition now in turn; False (and
        nothing kept) for one already taken."""
        if index in self.infos:
            return False
        first, last = self.bounds[index]
        n = int(np.asarray(memory["cells/status"]).shape[0])
        if n != last - first:
            raise RuntimeError(f"ionflux: partition {index} came back with {n} cells instead of {first}:{last}")
        self.infos[index] = info
        size = _nbytes(memory) if index != self.next else 0
        if size and self.spool and self.waiting_bytes + size > SPOOL_BYTES:
            if self.spool_dir is None:
                self.spool_dir = tempfile.mkdtemp(prefix="ionflux-partitions-")
            path = os.path.join(self.spool_dir, f"part-{index}.pickle")
            with open(path, "wb") as f:
                pickle.dump(memory, f, protocol=pickle.HIGHEST_PROTOCOL)
            self.waiting[index] = path
        else:
            self.waiting[index] = (memory, size)
            self.waiting_bytes += size
        memory = None
        while self.next in self.waiting:
            part = self.waiting.pop(self.next)
            if isinstance(part, str):  # spooled
                with open(part, "rb") as f:
                    part_memory = pickle.load(f)  # (our own file, written above)
                os.remove(part)
            else:
                part_memory, size = part
                self.waiting_bytes -= size
            self._join(self.next, part_memory)
            self.next += 1
        return True

    def _join(self, index: int, part: Dict[str, Any]) -> None:
        raise NotImplementedError

    def complete(self) -> bool:
        return self.next == len(self.bounds)

    def drop_spool(self) -> None:
        if self.spool_dir is not None:
            shutil.rmtree(self.spool_dir, ignore_errors=True)
            self.spool_dir = None


# -- on the driver: one output file ----------------------------------------------------
class _FileWriter(_InOrder):
    """Writes the partitions' in-memory results into one sweep file, in cell order, each
    exactly once, through the single process's writer (the C++ HDF5 sink,
    ``SweepRunner.open_file``): the file is created from the driver's plan of the whole
    sweep as a single process creates it (every dataset, the inputs, the root
    attributes), or, with `resume`, is an interrupted file being resumed (checked and cut
    back as ``SweepRunner.resume_status`` does; the cells in it stay and the partitions'
    outputs go after its own), and stays open in HDF5's SWMR mode, so that readers
    (``ionflux.load``, ``h5py.File(path, "r", swmr=True)``) may open it while it is
    written and see every partition written so far. Each partition goes in as a single
    process's chunk does: its outputs after those written, its rows to its cells,
    ``/cells/status`` last, flushed."""

    def __init__(self, path: str, n_cells: int, bounds: Sequence[Tuple[int, int]], planner: Any,
                 resume: bool = False) -> None:
        super().__init__(n_cells, bounds, spool=True)
        self.path = path
        self.file = planner.open_file(path, resume)
        self.status = np.array(self.file.status_in_file, dtype=np.int32)  # the file's, kept up to date
        self.already = int((self.status != -1).sum())  # cells in the file before this run (a resumed file)

    def _join(self, index: int, part: Dict[str, Any]) -> None:
        first, last = self.bounds[index]
        self.file.write(first, part)
        self.status[first:last] = part["cells/status"]

    def written(self) -> int:
        """Cells in the file now: those it held (resumed), and the partitions written."""
        return self.already + sum(b - a for a, b in self.bounds[:self.next])

    def status_counts(self) -> Tuple[str, Dict[str, int]]:
        """'cutoff_lower 998, invalid_input 2' of the file's statuses (as the solver writes it)."""
        return _counts_text(self.status, self.file.status_codes)

    def close(self, status: Optional[str], attrs: Dict[str, str]) -> None:
        try:
            if self.file is not None:
                try:  # (a write that failed in the file closed it, marked "failed: ..." where it could)
                    for k, v in (attrs.items() if self.file.is_open else ()):
                        self.file.set_attribute(k, v)
                    if status is not None and self.file.is_open:
                        self.file.set_attribute("status", status)
                finally:
                    file, self.file = self.file, None
                    file.close()
        finally:
            self.drop_spool()


def sweep_attributes(runner: Any) -> Dict[str, str]:
    """The whole sweep's root attributes from a runner that planned it whole (the
    partitions, each planned alone, cannot know what depends on every cell)."""
    attributes = dict(runner.attributes)
    attributes["bytes per cell"] = str(int(runner.bytes_per_cell))
    return attributes


# -- on the driver: results in memory -------------------------------------------------
#: Per-cell datasets of the memory sink that are not ragged outputs (the other "cells/..."
#: datasets are each cell's outputs, one after the other).
_CELL_ROWS = ("cells/offset", "cells/count", "cells/status", "cells/device", "cells/message",
              "cells/initial_soc")


def _is_ragged(key: str) -> bool:
    """Is this dataset of a partition's results one of the per-output series?"""
    return key.startswith("cells/") and key not in _CELL_ROWS


class _Assembler(_InOrder):
    """Takes partitions' in-memory results (the memory sink's datasets of cells
    [first, last)), each exactly once, and joins them in cell order into the datasets of
    the whole sweep: what `_core.SweepRunner.run` gives for the whole sweep in one process.

    A partition is copied into the sweep's arrays as soon as every partition before it
    has come (one that arrives early waits), while the workers compute the next ones:
    at the end only the last partition's copy is left to do. Per-cell rows go straight
    to their rows; the per-output (ragged) series are appended to buffers sized from the
    outputs per cell seen so far (grown by half when short, cut in place at the end), and
    ``cells/offset`` is shifted by the outputs before the partition."""

    def __init__(self, n_cells: int, bounds: Sequence[Tuple[int, int]], attributes: Dict[str, str]) -> None:
        super().__init__(n_cells, bounds)
        self.attributes = dict(attributes)
        self.points = 0  # outputs joined so far
        self.rows: Dict[str, np.ndarray] = {}  # per-cell datasets, (n_cells, ...)
        self.ragged: Dict[str, np.ndarray] = {}  # per-output datasets (buffers, `points` used)
        self.lists: Dict[str, List[Any]] = {}  # messages, end reasons
        self.inputs: Dict[str, np.ndarray] = {}
        self.shared: Dict[str, Any] = {}  # status codes, steps/Cycle: the same in every partition

    def _join(self, index: int, part: Dict[str, Any]) -> None:
        first, last = self.bounds[index]
        n_points = int(np.asarray(part["cells/count"]).sum())
        for key, value in part.items():
            if key in ("attrs", "status codes", "steps/Cycle"):
                self.shared.setdefault(key, value)
            elif key == "inputs":
                for name, column in value.items():
                    if name not in self.inputs:
                        self.inputs[name] = np.empty(self.n_cells, dtype=np.asarray(column).dtype)
                    self.inputs[name][first:last] = column
            elif isinstance(value, list):  # messages, end reasons
                self.lists.setdefault(key, []).extend(value)
            elif _is_ragged(key):
                self._append(key, np.asarray(value), n_points, last)
            else:
                value = np.asarray(value)
                if key == "cells/offset":  # the partition's offsets start at its first output
                    value = value.astype(np.int64) + self.points
                if key not in self.rows:
                    self.rows[key] = np.empty((self.n_cells,) + value.shape[1:], dtype=value.dtype)
                self.rows[key][first:last] = value
        self.points += n_points

    def _append(self, key: str, values: np.ndarray, n_points: int, cells_done: int) -> None:
        buf = self.ragged.get(key)
        need = self.points + len(values)
        if buf is None or len(buf) < need:
            # room for the sweep at the outputs per cell seen so far (+5%), at least half again
            estimate = int(need / max(cells_done, 1) * self.n_cells * 1.05) + 1
            size = max(need, estimate, int(1.5 * len(buf)) if buf is not None else 0)
            grown = np.empty(size, dtype=values.dtype)
            if buf is not None:
                grown[:self.points] = buf[:self.points]
            self.ragged[key] = buf = grown
        buf[self.points:need] = values

    def result(self, attrs: Dict[str, str]) -> Dict[str, Any]:
        out: Dict[str, Any] = dict(self.rows)
        for key, buf in self.ragged.items():  # the used part: the buffer (ours alone) cut in place,
            if len(buf) != self.points:      # realloc, no copy (a copy of the outputs cost 0.1-0.2 CPU s
                buf.resize(self.points, refcheck=False)  # for 10,000 cells, bench_dask.py)
            out[key] = buf
        out.update(self.lists)
        out["status codes"] = self.shared["status codes"]
        if "steps/Cycle" in self.shared:
            out["steps/Cycle"] = self.shared["steps/Cycle"]  # the protocol's shape: the same in every partition
        out["inputs"] = self.inputs
        out["attrs"] = dict(self.attributes, **attrs)
        return out


def _counts_text(status: np.ndarray, codes_text: Any) -> Tuple[str, Dict[str, int]]:
    """'cutoff_lower 998, invalid_input 2' (as the solver writes it) and the counts."""
    if isinstance(codes_text, bytes):
        codes_text = codes_text.decode()
    names = {}
    for entry in str(codes_text).split(", "):
        if ": " in entry:
            code, name = entry.split(": ", 1)
            names[int(code)] = name
    counts: Dict[str, int] = {}
    parts = []
    values, n = np.unique(status, return_counts=True)
    for code, count in sorted(zip(values.tolist(), n.tolist()), key=lambda x: (x[0] < 0, x[0])):
        name = names.get(code, str(code))
        counts[name] = count
        parts.append(f"{name} {count}")
    return ", ".join(parts), counts


def _num(x: float) -> str:
    return repr(float(x))


def resume_bounds(status: np.ndarray, bounds_of: Any) -> List[Tuple[int, int]]:
    """Partitions of the cells a resumed file lacks (status -1): `bounds_of(n)` splits
    n cells as for a whole sweep; its ranges, counted over the missing cells only, are
    mapped to the sweep's cell numbers and cut where a kept cell lies between."""
    missing = np.flatnonzero(np.asarray(status) == -1)
    out: List[Tuple[int, int]] = []
    for a, b in bounds_of(int(missing.size)) if missing.size else []:
        cells = missing[a:b]
        breaks = np.flatnonzero(np.diff(cells) != 1) + 1
        for run in np.split(cells, breaks):
            out.append((int(run[0]), int(run[-1]) + 1))
    return out


def run_sweep(config_json: str, source: str, client: Any, output: Optional[str], n_cells: int,
              partitions: Optional[int] = None, device: str = "auto", threads: Optional[int] = None,
              memory_budget: int = 0, progress: bool = True, connect_timeout: Optional[float] = None,
              retries: int = RETRIES, attributes: Optional[Dict[str, str]] = None,
              resume_status: Optional[np.ndarray] = None, planner: Any = None) -> Dict[str, Any]:
    """Run a sweep config on a Dask cluster: results in memory, or one HDF5 file.

    Parameters
    ----------
    config_json : str
        The sweep config (JSON text, docs/sweep_config.md).
    source : str
        Where the config came from (relative file paths in it are taken from its
        folder; they must be readable on the workers).
    client : distributed.Client, cluster or str
        The cluster (see `connect`).
    output : str or None
        The HDF5 file to write (overwritten); None or "": the results are returned in
        memory (``"memory"``), as ``_core.SweepRunner.run`` returns them for the whole
        sweep, and neither HDF5 nor h5py is needed on this process.
    n_cells : int
        The sweep's number of cells.
    partitions : int, optional
        Number of partitions, of equal sizes; by default guided sizes (`guided_bounds`).
    device, threads, memory_budget
        As for `Sweep.run`, on each worker; by default each worker runs its
        partitions on its GPU if it has one (``"auto"``), with as many CPU threads as
        the worker has.
    progress : bool
        A progress bar over the cells done on all workers.
    attributes : dict, optional
        The whole sweep's root attributes (``_core.SweepRunner(config).attributes``):
        each partition is planned alone, so what depends on every cell (``t_end [s]``
        with default end times) comes from here. By default planned here (the whole
        sweep's planning, once).
    planner : _core.SweepRunner, optional
        The whole sweep, planned here (`Sweep`'s own runner, or the command line's):
        each partition takes what it found for the partition's cells
        (``planned_range``), so that the workers build no cell record before running
        them; a new `output` file is created by it (``open_file``: a single
        process's file before its first cell). By default planned here when
        `attributes` is not given or a new file is written; otherwise (`attributes`,
        in memory or resumed, without `planner`) each worker plans its cells itself.

    Returns
    -------
    dict
        ``device``, ``device_description``, ``bytes_per_cell``, ``chunks``,
        ``wall_time``, ``cancelled``, ``not_run``, ``status_counts``, ``partitions``,
        ``workers`` (address -> partitions run there), ``planned_cells`` (cell records
        the workers built while planning: one per partition with a per-cell protocol
        check, plus each partition's cells when no `planner` was there);
        without `output` also ``memory``.
    """
    distributed = _require_dask()
    if partitions is not None and (isinstance(partitions, bool) or not isinstance(partitions, numbers.Integral)
                                   or partitions < 1):
        raise ValueError(f"partitions must be a positive whole number, got {partitions!r}")
    start = time.monotonic()
    to_file = bool(output)
    if planner is None and (attributes is None or to_file):
        from . import _core

        planner = _core.SweepRunner(config_json, source)  # the file is made from the whole sweep's plan
    if attributes is None:
        attributes = sweep_attributes(planner)
    if resume_status is not None and not to_file:
        raise ValueError("resume needs the output file to continue")
    dask_client, owned = connect(client, connect_timeout)
    joiner: Any = None
    futures: List[Any] = []
    bar = None
    topic = f"ionflux-progress-{uuid.uuid4().hex}"
    subscribed = False
    try:
        n_workers = len(dask_client.scheduler_info().get("workers", {}))

        def bounds_of(n: int) -> List[Tuple[int, int]]:
            return guided_bounds(n, n_workers) if partitions is None else partition_bounds(n, partitions)

        # resumed (docs/distributed.md): the partitions cover only the cells the file lacks
        bounds = bounds_of(n_cells) if resume_status is None else resume_bounds(resume_status, bounds_of)
        if to_file:  # resumed: the file holds the cells whose status is not -1
            joiner = _FileWriter(output, n_cells, bounds, planner, resume=resume_status is not None)
        else:
            joiner = _Assembler(n_cells, bounds, attributes)

        done_in: Dict[int, int] = {}  # partition -> cells done (reported while running)
        finished: set = set()  # partitions whose result has arrived: no more reports count
        lock = threading.Lock()

        def on_progress(event: Any) -> None:
            msg = event[1] if isinstance(event, tuple) and len(event) == 2 else event
            try:
                k, d = int(msg["partition"]), int(msg["done"])
            except (KeyError, TypeError, ValueError):
                return
            with lock:
                if k not in finished:
                    done_in[k] = d

        if progress:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from tqdm.auto import tqdm
            bar = tqdm(total=int(sum(b - a for a, b in bounds)), unit="cell", desc="ionflux sweep (dask)",
                       dynamic_ncols=True)
            dask_client.subscribe_topic(topic, on_progress)
            subscribed = True

        def redraw() -> None:
            if bar is None:
                return
            with lock:
                total = sum(done_in.values())
            if total != bar.n:
                bar.n = total
                bar.refresh()

        config_arg: Any = config_json
        if len(config_json) > SCATTER_CONFIG_CHARS:
            config_arg = dask_client.scatter(config_json, broadcast=True)
        token = uuid.uuid4().hex[:8]
        for k, (a, b) in enumerate(bounds):
            planned = planner.planned_range(a, b) if planner is not None else None
            futures.append(dask_client.submit(
                _run_partition, config_arg, source, k, a, b, device, threads, int(memory_budget), topic,
                _test_kill, planned, key=f"ionflux-partition-{token}-{k}", retries=retries, pure=False))
        pending = distributed.as_completed(futures, loop=dask_client.loop)
        while not joiner.complete():
            if not pending.has_ready():
                if pending.is_empty():
                    break
                time.sleep(min(PROGRESS_INTERVAL, 0.05))
                redraw()
                continue
            for future in pending.next_batch(block=False):
                k = int(str(future.key).rsplit("-", 1)[1])
                try:
                    result = future.result()
                except Exception as error:  # the task raised after its retries, its workers died, cancelled
                    a, b = bounds[k]
                    raise RuntimeError(f"ionflux: partition {k} (cells {a}:{b}) failed on the cluster: "
                                       f"{type(error).__name__}: {error}") from error
                futures[k] = None  # the worker may forget it now
                with lock:
                    finished.add(k)
                    done_in[k] = bounds[k][1] - bounds[k][0]
                joiner.add(k, result["memory"], result["info"])
                result = None
                redraw()
        if not joiner.complete():
            missing = [k for k in range(len(bounds)) if k not in joiner.infos]
            raise RuntimeError(f"ionflux: partitions {missing} never came back")
        redraw()
        infos = [joiner.infos[k] for k in range(len(bounds))]
        if not infos:  # a resumed file that held every cell: nothing ran
            infos = [{"device": "none", "device_description": "nothing to run", "host": socket.gethostname(),
                      "worker": "none"}]
        descriptions: Dict[str, int] = {}
        workers: Dict[str, int] = {}
        for info in infos:
            d = f"{info.get('device_description', info.get('device'))} on {info['host']}"
            descriptions[d] = descriptions.get(d, 0) + 1
            workers[info["worker"]] = workers.get(info["worker"], 0) + 1
        device_used = {str(i.get("device")) for i in infos}
        wall = time.monotonic() - start
        summary = (f"dask: {len(bounds)} partitions on {len(workers)} workers (scheduler "
                   f"{dask_client.scheduler.address}): " +
                   "; ".join(f"{n} x {d}" for d, n in sorted(descriptions.items())))
        attrs = {"device": summary,
                 "bytes per cell": attributes.get("bytes per cell", str(infos[0].get("bytes_per_cell", ""))),
                 "wall time [s]": _num(wall),
                 "distributed": (f"{len(bounds)} partitions of {min(b - a for a, b in bounds)} to "
                                 f"{max(b - a for a, b in bounds)} cells, written in cell order by "
                                 f"ionflux.distributed" if bounds else "no partitions") +
                                (f"; resumed: {joiner.already} cells were in the file"
                                 if resume_status is not None else "")}
        run_info = {"device": device_used.pop() if len(device_used) == 1 else "mixed", "device_description": summary,
                    "bytes_per_cell": int(attrs["bytes per cell"] or 0),
                    "chunks": int(sum(int(i.get("chunks", 0)) for i in infos)), "wall_time": wall,
                    "cancelled": False, "not_run": 0, "partitions": len(bounds), "workers": workers,
                    "planned_cells": int(sum(int(i.get("planned_cells", 0)) for i in infos))}
        # steps skipped because their end condition held at once: the partitions' counts,
        # and the first such cell as a sweep index (a partition counts from its own first)
        # and, resuming a file, its cells' (counted when it was reopened)
        skipping = [i for i in infos if int(i.get("cells_with_skipped_steps", 0))]
        if resume_status is not None and to_file:
            kept = joiner.file.kept_counts
            if int(kept["cells_with_skipped_steps"]):
                skipping.append(dict(kept, first=0))
        run_info["cells_with_skipped_steps"] = int(sum(int(i["cells_with_skipped_steps"]) for i in skipping))
        run_info["first_skipping_cell"] = (min(int(i["first"]) + int(i.get("first_skipping_cell", 0)) for i in skipping)
                                           if skipping else 0)
        if to_file:
            counts, by_name = joiner.status_counts()
            joiner.close("complete", dict(attrs, **{"status counts": counts}))
        else:
            memory = joiner.result(attrs)
            counts, by_name = _counts_text(np.asarray(memory["cells/status"]), memory["status codes"])
            memory["attrs"].update({"status counts": counts, "status": "complete"})
            run_info["memory"] = memory
        run_info["status_counts"] = counts
        run_info["status_by_name"] = by_name
        return run_info
    except BaseException as e:
        live = [f for f in futures if f is not None]
        if live:
            try:
                dask_client.cancel(live)
            except Exception:  # noqa: BLE001 - the original error matters
                pass
        if isinstance(joiner, _FileWriter):
            written = joiner.written()
            why = "interrupted" if isinstance(e, KeyboardInterrupt) else f"failed ({type(e).__name__}: {e})"
            try:
                joiner.close(f"{why}: {written} of {n_cells} cells written; cells with status -1 were not run",
                             {"wall time [s]": _num(time.monotonic() - start)})
            except Exception:  # noqa: BLE001
                pass
        raise
    finally:
        if bar is not None:
            bar.close()
        if subscribed:
            try:
                dask_client.unsubscribe_topic(topic)
            except Exception:  # noqa: BLE001
                pass
        if owned:
            dask_client.close()


# -- command line ----------------------------------------------------------------------
def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m ionflux.distributed CONFIG --scheduler ADDRESS [options]``: what
    ``ionflux sweep CONFIG --scheduler ADDRESS`` runs. Returns the exit code: 0, 1
    (the run failed, the scheduler is unreachable, dask is missing) or 2 (bad input)."""
    parser = argparse.ArgumentParser(prog="ionflux sweep", description="Run a sweep on a Dask cluster.")
    parser.add_argument("config")
    parser.add_argument("--scheduler", required=True, help="scheduler address, e.g. tcp://host:8786")
    parser.add_argument("--output", default="ionflux_sweep.h5")
    parser.add_argument("--device", default="auto")
    def whole(text: str) -> int:  # "4", "1e9" (as the ionflux program reads numbers)
        return int(float(text))

    parser.add_argument("--threads", type=whole, default=None)
    parser.add_argument("--memory-budget", type=whole, default=0)
    parser.add_argument("--partitions", type=whole, default=None)
    parser.add_argument("--connect-timeout", type=float, default=None)
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted OUTPUT (docs/distributed.md)")
    parser.add_argument("--overwrite", action="store_true", help="replace an OUTPUT that holds an unfinished sweep")
    args = parser.parse_args(argv)
    err = sys.stderr
    try:
        _require_dask()
        from . import _core
        from .sweep import _check_writable

        with open(args.config, encoding="utf-8") as f:
            text = f.read()
        source = os.path.abspath(args.config)
        runner = _core.SweepRunner(text, source)  # every check, before the cluster is asked
        for w in runner.warnings:
            print(f"warning: {w}", file=err)
        n = int(runner.n_cells)
        status = None
        if args.resume:  # checked and cut back here; the workers run the cells the file lacks
            if not os.path.exists(args.output):
                raise ValueError(f"--resume: '{args.output}' does not exist; run without --resume to start the sweep")
            status = runner.resume_status(args.output)
            if not args.quiet:
                print(f"resuming: {int((status != -1).sum())} of {n} cells are in the file", flush=True)
        else:
            _check_writable(args.output)
            if not args.overwrite:  # an unfinished sweep's cells are not lost by a re-run
                _core.check_not_unfinished(args.output, "--resume", "--overwrite")
        attributes = sweep_attributes(runner)
        if not args.quiet:
            print(f"ionflux {_core.__version__} sweep: {n} cells from {args.config} on the Dask cluster at "
                  f"{args.scheduler}; output {args.output}", flush=True)
        info = run_sweep(text, source, args.scheduler, args.output, n, partitions=args.partitions,
                         device=args.device, threads=args.threads, memory_budget=args.memory_budget,
                         progress=not args.quiet, connect_timeout=args.connect_timeout, attributes=attributes,
                         resume_status=status, planner=runner)
    except (ValueError, KeyError, TypeError, FileNotFoundError) as e:
        print(f"error: {e.args[0] if isinstance(e, KeyError) and e.args else e}", file=err)
        return 2
    except (ConnectionError, ImportError, RuntimeError, OSError) as e:
        print(f"error: {e}", file=err)
        return 1
    except KeyboardInterrupt:
        print(f"error: interrupted; the cells written so far are in {args.output}", file=err)
        return 130
    if not args.quiet:
        kept = int((status != -1).sum()) if status is not None else 0  # a resumed file's: not run again
        ran = n - kept
        rate = ran / max(info['wall_time'], 1e-9)
        print(f"Done: {ran} cells in {info['wall_time']:.1f} s on {len(info['workers'])} Dask workers, "
              f"{info['partitions']} partitions ({_core.rate_text(rate)} cells/s)"
              + (f"; {kept} cells kept from the file, {n} in all" if status is not None else "") + "\n"
              f"  by status: {info['status_counts']}\n  wrote {args.output}", flush=True)
    # as `ionflux sweep` without a scheduler: failed cells are a warning, a sweep none of
    # whose cells gave a result is exit status 1
    from .result import NORMAL_END, TRUNCATED
    by_name = info.get("status_by_name", {})
    abnormal = {k: v for k, v in by_name.items() if k not in NORMAL_END}
    if abnormal:
        print(f"warning: {sum(abnormal.values())} of {n} cells did not end normally ("
              + ", ".join(f"{k} {v}" for k, v in abnormal.items()) + "); see /cells/status and /cells/message",
              file=err)
    if info.get("cells_with_skipped_steps"):  # as `ionflux sweep` says it
        print(f"warning: {info['cells_with_skipped_steps']} of {n} cells skipped a step because its end condition "
              f"already held when it began (PyBaMM skips such steps too; first: cell {info['first_skipping_cell']}); "
              f"such steps have /steps/Duration [s] = 0", file=err)
    if n > 0 and not any(k in NORMAL_END or k == TRUNCATED for k in by_name):
        print(f"error: none of the {n} cells could be solved ({args.output} holds every cell's status and message)",
              file=err)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
