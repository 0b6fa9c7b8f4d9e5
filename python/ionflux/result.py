"""Sweep results: `SweepResult` holds a sweep's results in memory (from `Sweep.run`) or reads
its HDF5 file (h5py, only for files; no compiled code)."""
from __future__ import annotations

import json
import math
import os
import re
import warnings
import weakref
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core
from ._units import annotate_dataset
from ._errors import SolverWarning, UnknownVariableError, did_you_mean
from ._experiment import CYCLE_QUANTITIES, CYCLE_RESULTS, STEP_QUANTITIES, cycle_summaries, summary_variable_names

__all__ = ["SweepResult", "load"]

#: The per-time outputs of every cell (datasets in /cells).
OUTPUTS = ("Time [s]", "Voltage [V]", "Current [A]", "Discharge capacity [A.h]")
#: Per-time outputs present only in files of sweeps with a thermal model or an experiment.
PROTOCOL_OUTPUTS = ("Temperature [K]", "Step", "Cycle")
#: The per-cell summary quantities (datasets in /summary), in file-layout order.
#: "Discharge capacity [A.h]" / "Charge capacity [A.h]" and the energies: moved while
#: discharging / charging (each >= 0); "Energy [W.h]": net; "Mean voltage [V]": while
#: discharging (discharge energy / capacity), while charging for a cell that never discharged.
SUMMARY = ("End time [s]", "End reason", "Discharge capacity [A.h]", "Energy [W.h]", "Mean voltage [V]", "Steps",
           "Charge capacity [A.h]", "Discharge energy [W.h]", "Charge energy [W.h]")
_NUMERIC_SUMMARY = tuple(s for s in SUMMARY if s != "End reason")
#: The integrator's counters per cell (datasets in /stats; docs/hdf5_layout.md), with the
#: keys of a single run's ``Solution.stats`` ("Steps" is /summary/Steps).
STATS = (("Newton iterations", "newton_iterations"), ("Jacobian setups", "jacobian_setups"),
         ("Residual evaluations", "residual_evaluations"), ("Error test failures", "error_test_failures"),
         ("Convergence failures", "convergence_failures"))
#: The old name of the summary's discharge capacity where it sat next to the per-time
#: outputs (``res[name]``, `SweepResult.cell`, `SweepResult.to_xarray`). Deprecated: the
#: summary quantity has one name, "Discharge capacity [A.h]", everywhere
#: (docs/hdf5_layout.md, "Names"); reading the old name still works, with a
#: DeprecationWarning.
END_CAPACITY = "End discharge capacity [A.h]"
_NEW_CAPACITY = "Discharge capacity [A.h]"


def _warn_end_capacity(where: str, stacklevel: int = 3) -> None:
    warnings.warn(f"{END_CAPACITY!r} is deprecated: the summary's discharge capacity is named "
                  f"{_NEW_CAPACITY!r} everywhere; read it as {where}", DeprecationWarning, stacklevel=stacklevel)


class _CellDict(dict):
    """`SweepResult.cell`'s dict: the deprecated key END_CAPACITY warns when read."""

    def __getitem__(self, key: Any) -> Any:
        if key == END_CAPACITY:
            _warn_end_capacity('res.cell(i)["summary"]["Discharge capacity [A.h]"]')
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        return self[key] if key in self else default


def _sweep_dataset_class() -> Any:
    """An `xarray.Dataset` whose deprecated variable END_CAPACITY warns when read."""
    global _SweepDataset
    if _SweepDataset is None:
        import xarray as xr

        class SweepDataset(xr.Dataset):
            __slots__ = ()

            def __getitem__(self, key: Any) -> Any:
                if isinstance(key, str) and key == END_CAPACITY:
                    _warn_end_capacity('res.to_xarray(outputs=False)["Discharge capacity [A.h]"]')
                return super().__getitem__(key)

        _SweepDataset = SweepDataset
    return _SweepDataset


_SweepDataset: Any = None
NOT_RUN = -1
#: The status code table (as in docs/hdf5_layout.md), used when a file lacks its own.
_DEFAULT_CODES = {
    -1: "not_run", 0: "running", 1: "finished", 2: "cutoff_lower", 3: "cutoff_upper", 4: "cutoff_at_start",
    5: "step_limit", 6: "newton_failure", 7: "error_test_failure", 8: "init_failure", 9: "nonphysical_state",
    10: "invalid_input", 11: "output_overflow", 12: "end_time_reached", 13: "time_limit",
    14: "degradation_limit",
    15: "interrupted", 16: "experiment_end",
}
#: Statuses of a normal end (as cell_status_ok in kernels/common.hpp).
NORMAL_END = ("finished", "cutoff_lower", "cutoff_upper", "degradation_limit", "experiment_end")
#: A run stopped at t_end: its summaries are valid but it is truncated, so it is warned about.
TRUNCATED = "end_time_reached"
#: Summary quantities that are NaN for a failed cell (its end time and solver steps stay).
_FAILED_NAN = ("Discharge capacity [A.h]", "Charge capacity [A.h]", "Discharge energy [W.h]", "Charge energy [W.h]",
               "Energy [W.h]", "Mean voltage [V]")


def _input_key(name: str, taken: Any) -> str:
    """The key of the varied input `name` next to other quantities: `name` itself, or
    ``"Input " + name`` (first letter lower-cased: ``"Input current [A]"``) when `name`
    is in `taken`, the names of the outputs (or summary quantities) beside it.

    A sweep may vary ``"Current [A]"`` (each cell's current), the name of the per-time
    output too; `SweepResult.cell` and `SweepResult.to_xarray` keep the output under its
    name and give the input this key. `SweepResult.inputs` and `SweepResult.summary`
    hold no outputs, so the input keeps its own name there.
    """
    if name not in taken:
        return name
    return "Input " + name[:1].lower() + name[1:]


def load(path: Union[str, os.PathLike]) -> "SweepResult":
    """Open a sweep file written by `Sweep.run` or ``ionflux sweep``.

    Parameters
    ----------
    path : str or path-like
        The HDF5 file.

    Returns
    -------
    SweepResult
        The results (read on demand; the file is not kept open).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If it is not an ionflux sweep file.

    Examples
    --------
    >>> res = ionflux.load("sweep.h5")
    >>> res.summary.head()

    Warns
    -----
    SolverWarning
        When some cells did not end normally, with the count per status (see
        `SweepResult.abnormal_counts`).
    """
    res = SweepResult(path)
    res._warn_abnormal(stacklevel=3)
    return res


def _decode(values: Any) -> np.ndarray:
    out = [v.decode("utf-8") if isinstance(v, bytes) else ("" if v is None else str(v)) for v in values]
    return np.array(out, dtype=object)


class SweepResult:
    """The results of a sweep: in memory (from `Sweep.run` without `output`), or read from
    its HDF5 file (`load`, or `Sweep.run` with `output`); both hold the same arrays.

    Returned by `Sweep.run` and `load`. ``res[i]`` (an int) is cell i as a `Solution`,
    the class `Simulation.solve` returns (see `solution`). ``res["Voltage [V]"]`` gives an array of shape
    (n_cells, n_times), where n_times is the most outputs any cell has (each cell's own
    outputs first, then NaN; all NaN for cells that were never run); ``"Time [s]"``,
    ``"Current [A]"`` and ``"Discharge capacity [A.h]"`` likewise. Each cell has its own
    output times (`n_points` per cell); the file stores them without padding
    (docs/hdf5_layout.md), and `cell` gives one cell's series as it is stored. Summary quantities (``"End time [s]"``, ``"Energy [W.h]"``, ...) and
    varied inputs can be indexed too, giving (n_cells,) arrays; ``"Discharge capacity
    [A.h]"`` is the per-time output, the summary's is ``res.summary["Discharge capacity
    [A.h]"]`` (the old ``"End discharge capacity [A.h]"`` reads it with a
    DeprecationWarning).

    A sweep with the lumped thermal model or an experiment also has the per-time
    outputs ``"Temperature [K]"`` and ``"Step"`` (the experiment step of each output,
    as a float: NaN after the cell's end); a sweep with an experiment also
    ``"Cycle"`` (the cycle of each output), per-step records (`steps`) and per-cycle
    summaries (`cycles`).

    Parameters
    ----------
    path : str or path-like, optional
        The sweep file (None with `memory`).
    run_info : dict, optional
        What the run reported (device, wall time, chunks); set by `Sweep.run`.
    temporary : bool, optional
        Delete the file when this object is garbage-collected.
    varied : sequence of str, optional
        The varied names in the sweep's order (set by `Sweep.run`; otherwise taken
        from the file).
    memory : dict, optional
        The compiled memory sink's datasets, named as in the file (set by `Sweep.run`).

    Attributes
    ----------
    path : str or None
        The file; None for results held only in memory.
    run_info : dict
        ``device``, ``device_description``, ``wall_time``, ``chunks``,
        ``cancelled``, ``not_run``, ``status_counts``, ``bytes_per_cell`` of the run
        that wrote the file, and for a GPU run ``device_slots``, ``slot_refills``,
        ``handed_to_cpu`` and ``taken_by_cpu`` (docs/gpu.md; 0 on the CPU) (empty for
        `load`).
    """

    def __init__(self, path: Union[str, os.PathLike, None] = None, run_info: Optional[Mapping[str, Any]] = None,
                 temporary: bool = False, varied: Optional[Sequence[str]] = None, *,
                 memory: Optional[Mapping[str, Any]] = None) -> None:
        self.run_info: Dict[str, Any] = dict(run_info or {})
        self._sweep_config: Optional[Dict[str, Any]] = None  # set by Sweep.run
        self._memory: Optional[_MemoryFile] = None
        if memory is not None:  # the memory sink's datasets (no file, no h5py)
            self.path: Optional[str] = None if path is None else os.fspath(path)  # a file written as well
            self._memory = _MemoryFile(memory)
            f = self._memory
        else:
            if path is None:
                raise TypeError("SweepResult needs the path of a sweep file")
            self.path = os.fspath(path)
            if temporary:
                self._finalizer = weakref.finalize(self, _remove_quietly, self.path)
            if not os.path.exists(self.path):
                raise FileNotFoundError(f"no such sweep file: '{self.path}'")
            try:
                f = self._open()
            except OSError as e:
                raise ValueError(f"'{self.path}' is not a readable HDF5 file: {e}") from None
        with f:
            missing = [g for g in ("cells/status", "inputs", "summary") if g not in f] + \
                [f"cells/{o}" for o in OUTPUTS if f"cells/{o}" not in f]
            if missing:
                raise ValueError(f"'{self.path}' is not an ionflux sweep file (missing {', '.join(missing)})")
            self._attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
            status = f["cells/status"]
            self._status = np.asarray(status[...], dtype=np.int32)
            codes_attr = status.attrs.get("codes")
            self._codes = _parse_codes(codes_attr) if codes_attr is not None else dict(_DEFAULT_CODES)
            time_ds = f["cells/Time [s]"]
            if time_ds.ndim == 1:  # ragged: cell i's outputs at [offset[i], offset[i] + count[i])
                if "cells/offset" not in f or "cells/count" not in f:
                    raise ValueError(f"'{self.path}' is not an ionflux sweep file (missing cells/offset, cells/count)")
                self._offset: Optional[np.ndarray] = np.asarray(f["cells/offset"][...], dtype=np.int64)
                self._count = np.asarray(f["cells/count"][...], dtype=np.int64)
                self._n_cells = int(self._count.size)
                self._n_times = int(self._count.max()) if self._count.size else 0
            else:  # files of ionflux before the ragged layout: (n_cells, n_times), NaN tails
                self._offset = None
                self._n_cells, self._n_times = (int(s) for s in time_ds.shape)
                t = np.asarray(time_ds[...])
                self._count = (~np.isnan(t)).sum(axis=1).astype(np.int64) if t.size else \
                    np.zeros(self._n_cells, dtype=np.int64)
            self._count.flags.writeable = False
            # each row's number in the whole sweep: /cells/index in a file of a cell range
            # (`ionflux sweep --cells A:B`), else the row itself
            if "cells/index" in f:
                self._cell_numbers = np.asarray(f["cells/index"][...], dtype=np.int64)
            else:
                self._cell_numbers = np.arange(self._n_cells, dtype=np.int64)
            self._cell_numbers.flags.writeable = False
            self._outputs = OUTPUTS + tuple(o for o in PROTOCOL_OUTPUTS if f"cells/{o}" in f)
            if "steps/Cycle" in f:
                self._step_cycle = np.asarray(f["steps/Cycle"][...], dtype=np.int64)
            else:
                self._step_cycle = np.zeros(0, dtype=np.int64)
            self._step_cycle.flags.writeable = False
            inputs: Dict[str, np.ndarray] = {}
            for key, ds in f["inputs"].items():
                name = ds.attrs.get("name", key)
                name = name.decode() if isinstance(name, bytes) else str(name)
                inputs[name] = np.asarray(ds[...], dtype=float)
            self._messages = _decode(f["cells/message"][...]) if "cells/message" in f else \
                np.full(self._n_cells, "", dtype=object)
            self._summary_data: Dict[str, np.ndarray] = {}
            for name in SUMMARY:
                if f"summary/{name}" not in f:
                    continue
                data = f[f"summary/{name}"][...]
                self._summary_data[name] = _decode(data) if name == "End reason" else np.asarray(data)
            self._stats_data: Dict[str, np.ndarray] = {
                name: np.asarray(f[f"stats/{name}"][...]) for name, _ in STATS if f"stats/{name}" in f}
            # each cell's initial SOC where the sweep starts at a voltage, as the sweep found it
            self._initial_soc: Optional[np.ndarray] = \
                np.asarray(f["cells/initial_soc"][...], dtype=float) if "cells/initial_soc" in f else None
        names = self.status_names
        self._failed = ~np.isin(names, NORMAL_END + (TRUNCATED,))
        for name in _FAILED_NAN:  # files written before failed cells got NaN summaries
            if name in self._summary_data and self._failed.any():
                self._summary_data[name] = np.where(self._failed, np.nan, self._summary_data[name].astype(float))
        self._failed.flags.writeable = False
        self._varied, self._axes = _infer_axes(inputs, self._attrs, self._n_cells, varied)
        self._inputs = {name: inputs[name] for name in self._varied}
        for a in self._inputs.values():
            a.flags.writeable = False
        self._status.flags.writeable = False

    def _open(self) -> Any:
        """The results' datasets: the in-memory ones, or the HDF5 file opened read-only."""
        if self._memory is not None:
            return self._memory
        import h5py

        # As a SWMR reader: a file that `ionflux sweep` is still writing (or one whose
        # writer was killed) opens too, with the cells finished so far
        # (docs/hdf5_layout.md, "Watching a running sweep").
        try:
            return h5py.File(self.path, "r", swmr=True)
        except (OSError, ValueError):
            return h5py.File(self.path, "r")

    # -- basic facts ----------------------------------------------------------------------
    @property
    def n_cells(self) -> int:
        """Number of cells in the sweep."""
        return self._n_cells

    @property
    def n_times(self) -> int:
        """Columns of the (n_cells, n_times) arrays of ``res[output]``: the most outputs of any cell."""
        return self._n_times

    @property
    def n_points(self) -> np.ndarray:
        """(n_cells,) int array: how many outputs each cell has (0 for cells never run)."""
        return self._count

    @property
    def attrs(self) -> Dict[str, Any]:
        """The file's root attributes (ionflux version, parameters, mesh, solver, protocol, status, ...)."""
        return dict(self._attrs)

    @property
    def complete(self) -> bool:
        """True when every cell was run (the file's ``status`` attribute is ``"complete"``)."""
        return self._attrs.get("status") == "complete"

    @property
    def varied(self) -> List[str]:
        """The varied names: the keys of `inputs`."""
        return list(self._varied)

    @property
    def inputs(self) -> Dict[str, np.ndarray]:
        """Varied name → (n_cells,) array of the value each cell used."""
        return dict(self._inputs)

    @property
    def status(self) -> np.ndarray:
        """(n_cells,) int array of status codes (-1: not run, 1: finished, 2: lower cut-off, ...)."""
        return self._status

    @property
    def status_names(self) -> np.ndarray:
        """(n_cells,) array of status names (``"not_run"``, ``"cutoff_lower"``, ...)."""
        return np.array([self._codes.get(int(s), f"status {int(s)}") for s in self._status], dtype=object)

    @property
    def failed(self) -> np.ndarray:
        """(n_cells,) bool array: True for the cells that failed or were never run.

        A failed cell ended neither normally (``"finished"``, ``"cutoff_lower"``,
        ``"cutoff_upper"``) nor truncated at the end time (``"end_time_reached"``):
        e.g. ``"cutoff_at_start"``, ``"newton_failure"``, ``"invalid_input"``. Its
        ``"Discharge capacity [A.h]"``, ``"Energy [W.h]"`` and ``"Mean voltage [V]"``
        summaries are NaN, and so is the record of the step it failed in (the steps
        it completed keep theirs, as in a `Simulation` of the cell, and its cycle sums
        them; the summary variables of that cycle are NaN); its status and message say
        why. Plots leave these cells out and mark where they are.
        """
        return self._failed.copy()

    @property
    def abnormal_counts(self) -> Dict[str, int]:
        """Status name → number of cells, for the cells that did not end normally.

        Failed cells (see `failed`), cells never run (``"not_run"``) and truncated
        ones (``"end_time_reached"``); empty when every cell ended normally. `Sweep.run`
        and `load` warn with these counts.
        """
        counts: Dict[str, int] = {}
        codes, n = np.unique(self._status, return_counts=True)
        for code, count in zip(codes.tolist(), n.tolist()):
            name = self._codes.get(code, f"status {code}")
            if name not in NORMAL_END:
                counts[name] = int(count)
        return counts

    def _warn_abnormal(self, stacklevel: int) -> None:
        """Issue a `SolverWarning` with the count per status of the cells that did not end normally."""
        counts = self.abnormal_counts
        if not counts:
            return
        total = sum(counts.values())
        text = ", ".join(f"{name} {n}" for name, n in counts.items())
        notes = []
        if total > counts.get(TRUNCATED, 0):
            notes.append("failed cells have NaN capacity, energy and mean voltage")
        if TRUNCATED in counts:
            notes.append(f"{TRUNCATED} cells stopped at t_end before any cut-off or step end (raise t_end)")
        warnings.warn(f"{total} of {self._n_cells} cells did not end normally ({text}); " + "; ".join(notes)
                      + "; see SweepResult.status_names and .messages", SolverWarning, stacklevel=stacklevel)

    @property
    def status_codes(self) -> Dict[int, str]:
        """The file's status code table, code → name."""
        return dict(self._codes)

    @property
    def messages(self) -> np.ndarray:
        """(n_cells,) array of the per-cell messages (why a cell ended; ``""`` if never run)."""
        return self._messages.copy()

    @property
    def outputs(self) -> List[str]:
        """The per-time outputs in the file: ``"Time [s]"``, ``"Voltage [V]"``,
        ``"Current [A]"``, ``"Discharge capacity [A.h]"``; with a thermal model or
        an experiment ``"Temperature [K]"`` and ``"Step"``; with an experiment
        ``"Cycle"`` (in files that have ``/cells/Cycle``)."""
        return list(self._outputs)

    @property
    def n_steps(self) -> int:
        """Number of experiment steps, counted over all cycles (0 without an experiment)."""
        return int(self._step_cycle.size)

    @property
    def n_cycles(self) -> int:
        """Number of experiment cycles (0 without an experiment)."""
        return int(self._step_cycle.max()) + 1 if self._step_cycle.size else 0

    @property
    def steps(self) -> Dict[str, np.ndarray]:
        """Per-step records of an experiment sweep (the file's group ``/steps``).

        Returns
        -------
        dict
            ``"Start time [s]"``, ``"End time [s]"``, ``"Duration [s]"``,
            ``"Capacity [A.h]"`` (net, positive on discharge), ``"Energy [W.h]"``
            (net), ``"Discharge capacity [A.h]"``, ``"Charge capacity [A.h]"``,
            ``"Discharge energy [W.h]"``, ``"Charge energy [W.h]"`` (moved while
            discharging / charging, each >= 0, split inside a step that goes both ways),
            ``"End code"`` (how the step ended: 0 duration, 1 end condition, 2 cut-off,
            3 failure, 4 end time; a step that ended by its condition in no time was
            skipped; ``Solution.step_summary["Ended by"]`` names them):
            float arrays of shape (n_cells, n_steps), NaN for steps a cell never
            reached (and for cells never run); and ``"Cycle"``: the (n_steps,) int
            array of the cycle of each step. Steps are counted over all cycles, as
            the values of ``res["Step"]``. Empty without an experiment.

        Examples
        --------
        >>> res.steps["Duration [s]"][:, res.steps["Cycle"] == 0]   # the first cycle's steps
        """
        if not self._step_cycle.size:
            return {}
        out: Dict[str, np.ndarray] = {}
        with self._open() as f:
            for name in STEP_QUANTITIES + ("End code",):
                if f"steps/{name}" in f:  # older files lack the discharge/charge split and the end code
                    out[name] = np.asarray(f[f"steps/{name}"][...], dtype=float)
        out["Cycle"] = self._step_cycle.copy()
        return out

    @property
    def cycles(self) -> Dict[str, np.ndarray]:
        """Per-cycle summaries of an experiment sweep (the file's group ``/cycles``).

        Returns
        -------
        dict
            Float arrays of shape (n_cells, n_cycles): ``"Start time [s]"``,
            ``"End time [s]"``, ``"Duration [s]"``, ``"Net capacity [A.h]"`` (net,
            positive on discharge), ``"Discharge capacity [A.h]"`` (the sum of the
            cycle's positive step capacities), ``"Charge capacity [A.h]"`` (minus the
            sum of the negative ones: a positive number) and ``"Energy [W.h]"``
            (net). A cycle counts the steps the cell reached; NaN for a cycle it
            never reached; and ``"Coulombic efficiency"``, ``"Energy efficiency"``,
            ``"Throughput capacity [A.h]"``, ``"Throughput energy [W.h]"``,
            ``"Maximum temperature [K]"``, ``"Mean temperature [K]"`` (docs/hdf5_layout.md
            defines them). The same quantities as `Solution.cycle_summary`. And PyBaMM's
            summary variables with PyBaMM's names (`ionflux.summary_variable_names`:
            ``"Capacity [A.h]"`` is the eSOH capacity at the cycle's end, ``"Loss of
            lithium inventory [%]"``, ``"Loss of active material in negative electrode
            [%]"``, ... and their ``"Change in ..."``), as `Solution.summary_variables`.
            Read from ``/cycles``; for a file without that group, computed from the
            per-step records (`steps`) and their cycles (the temperatures then NaN: files
            written before issue 13 lack them too; PyBaMM's summary variables absent:
            files written before issue 16 lack them, and their ``"Capacity [A.h]"`` was
            the net capacity). Empty without an experiment.

        Examples
        --------
        >>> fade = res.cycles["Discharge capacity [A.h]"]   # (n_cells, n_cycles)
        >>> fade[:, -1] / fade[:, 0]
        """
        if not self._step_cycle.size:
            return {}
        with self._open() as f:
            if "cycles" in f and all(f"cycles/{name}" in f for name in CYCLE_QUANTITIES):
                out = {name: np.asarray(f[f"cycles/{name}"][...], dtype=float) for name in CYCLE_QUANTITIES}
                if all(f"cycles/{name}" in f for name in CYCLE_RESULTS):
                    out.update({name: np.asarray(f[f"cycles/{name}"][...], dtype=float) for name in CYCLE_RESULTS})
                    # PyBaMM's summary variables (files written before issue 16 lack them)
                    out.update({name: np.asarray(f[f"cycles/{name}"][...], dtype=float)
                                for name in summary_variable_names() if name not in out and f"cycles/{name}" in f})
                    return out
        return cycle_summaries(self.steps, self._step_cycle, self.n_cycles)

    @property
    def stats(self) -> Dict[str, np.ndarray]:
        """The integrator's counters per cell (the file's group ``/stats``, and
        ``/summary/Steps``).

        Returns
        -------
        dict
            Int arrays of shape (n_cells,): ``"Steps"`` (accepted BDF steps),
            ``"Newton iterations"``, ``"Jacobian setups"``, ``"Residual
            evaluations"``, ``"Error test failures"``, ``"Convergence failures"``
            (Newton failures); 0 for cells never integrated. The same counters as a
            single run's ``Solution.summary`` (and ``res[i].summary``). Files written
            before ionflux kept them hold only ``"Steps"``.

        Examples
        --------
        >>> res.stats["Newton iterations"] / res.stats["Steps"]   # Newton iterations per step
        """
        out: Dict[str, np.ndarray] = {}
        if "Steps" in self._summary_data:
            out["Steps"] = np.asarray(self._summary_data["Steps"]).astype(np.int64)
        for name, _ in STATS:
            if name in self._stats_data:
                out[name] = self._stats_data[name].astype(np.int64)
        return out

    @property
    def is_grid(self) -> bool:
        """True when the cells form a grid over the varied names (see `to_xarray`)."""
        return self._axes is not None

    @property
    def variables(self) -> List[str]:
        """Names that ``res[name]`` accepts: outputs, summary quantities, inputs, ``"status"``
        (``"Discharge capacity [A.h]"`` is the per-time output; the summary's is in `summary`)."""
        return list(self._outputs) + [s for s in SUMMARY if s in self._summary_data and s not in self._outputs] + \
            list(self._inputs) + ["status"]

    def __repr__(self) -> str:
        varied = ", ".join(self._varied) if self._varied else "nothing varied"
        state = "complete" if self.complete else str(self._attrs.get("status", "incomplete"))
        where = "in memory" if self.path is None else repr(self.path)
        return (f"<ionflux.SweepResult {where}: {self._n_cells} cells x {self._n_times} times; "
                f"{varied}; {state}>")

    # -- data -----------------------------------------------------------------------------
    def _read(self, dataset: str, rows: Any = slice(None)) -> np.ndarray:
        """Rows of a /cells output as (len(rows), n_times), each cell's outputs then NaN."""
        with self._open() as f:
            if self._offset is None:
                return np.asarray(f[dataset][rows])
            cells = np.arange(self._n_cells)[rows]
            out = np.full((cells.size, self._n_times), np.nan)
            if cells.size == 0:
                return out
            ds = f[dataset]
            counts = self._count[cells]
            if cells.size * 4 >= self._n_cells:  # most cells: one read, then scatter
                data = np.asarray(ds[...], dtype=float)
                for k, (c, n) in enumerate(zip(cells, counts)):
                    out[k, :n] = data[self._offset[c]:self._offset[c] + n]
            else:
                for k, (c, n) in enumerate(zip(cells, counts)):
                    if n:
                        out[k, :n] = ds[self._offset[c]:self._offset[c] + n]
            return out

    def _read_cell(self, f: Any, name: str, i: int) -> np.ndarray:
        """Cell i's outputs of one /cells dataset, as stored (no padding)."""
        ds = f[f"cells/{name}"]
        if self._offset is None:
            row = np.asarray(ds[i])
            return row[:int(self._count[i])]
        start = int(self._offset[i])
        return np.asarray(ds[start:start + int(self._count[i])], dtype=float)

    def read(self, name: str, cells: Any = None) -> np.ndarray:
        """One output for some cells only, read from the file without loading the rest.

        Parameters
        ----------
        name : str
            An output: ``"Time [s]"``, ``"Voltage [V]"``, ``"Current [A]"``,
            ``"Discharge capacity [A.h]"``, and where the file has them
            ``"Temperature [K]"`` and ``"Step"`` (see `outputs`).
        cells : int, slice, sequence of int or bool array, optional
            The cells (rows), in any order; by default all of them.

        Returns
        -------
        numpy.ndarray
            Shape (len(cells), n_times), or (n_times,) for one int.
        """
        if name not in self._outputs:
            raise UnknownVariableError(
                f"unknown output {name!r}{did_you_mean(str(name), self._outputs)}; the outputs are "
                + ", ".join(self._outputs))
        if cells is None:
            return self._read(f"cells/{name}")
        if isinstance(cells, slice):
            return self._read(f"cells/{name}", cells)
        idx = np.asarray(cells)
        if idx.dtype == bool:
            if idx.shape != (self._n_cells,):
                raise IndexError(f"a boolean cell mask must have {self._n_cells} entries, got {idx.shape}")
            idx = np.flatnonzero(idx)
        scalar = idx.ndim == 0
        idx = np.atleast_1d(idx).astype(np.int64)
        if idx.size and (idx.min() < -self._n_cells or idx.max() >= self._n_cells):
            raise IndexError(f"cell index out of range for a sweep of {self._n_cells} cells")
        idx = idx % max(self._n_cells, 1)
        if idx.size == 0:
            return np.empty((0, self._n_times))
        unique, inverse = np.unique(idx, return_inverse=True)  # h5py wants increasing rows
        rows = self._read(f"cells/{name}", unique)[inverse]
        return rows[0] if scalar else rows

    def __getitem__(self, name: Union[str, int, slice]) -> Any:
        if isinstance(name, (int, np.integer)) and not isinstance(name, (bool, np.bool_)):
            return self.solution(int(name))
        if isinstance(name, slice):  # res[a:b]: those cells' Solutions, in a list
            return [self.solution(i) for i in range(*name.indices(self._n_cells))]
        if not isinstance(name, str):
            raise TypeError(f"a SweepResult is indexed by a cell number (res[3]), a slice of cells (res[2:5]) or a "
                            f"variable name (res[\"Voltage [V]\"]), not by {type(name).__name__}")
        if name in self._outputs:
            return self._read(f"cells/{name}")
        if name == END_CAPACITY and _NEW_CAPACITY in self._summary_data:
            _warn_end_capacity('res.summary["Discharge capacity [A.h]"]')
            return self._summary_data[_NEW_CAPACITY].copy()
        if name in self._summary_data:
            return self._summary_data[name].copy()
        if name in self._inputs:
            return self._inputs[name].copy()
        if name == "status":
            return self._status.copy()
        raise UnknownVariableError(
            f"unknown variable {name!r}{did_you_mean(str(name), self.variables)} (SweepResult.variables lists them)"
        )

    def __contains__(self, name: object) -> bool:
        return name in self.variables

    def _index(self, index: Any) -> int:
        i = int(index)
        if not -self._n_cells <= i < self._n_cells:
            raise IndexError(f"cell {index} out of range for a sweep of {self._n_cells} cells")
        return i % self._n_cells

    def __len__(self) -> int:
        return self._n_cells

    def _config(self) -> Dict[str, Any]:
        """The sweep's settings (``initial_soc``, ``experiment``, ``cycles``, ...), from what
        the results hold, later sources taking precedence:

        * the root attribute ``settings``, a JSON object of the config's sweep-wide
          ``initial_soc``, ``c_rate`` and ``current`` (solver/problem/sweep_plan.cpp,
          sweep_file_info; files written before it existed lack it);
        * the root attribute ``config`` when it holds JSON (it holds the config's path
          for ``ionflux sweep``, ``"ionflux.Sweep"`` for `Sweep.run`);
        * what `Sweep.run` passed (its ``experiment`` and ``cycles``);
        * without an experiment so far, the ``protocol`` attribute's experiment
          (``"experiment: (step, step) x N"``, docs/hdf5_layout.md), so that the cells
          of any file know their step texts; `solution` checks its steps against
          ``/steps/Cycle``.
        """
        cfg: Dict[str, Any] = {}
        for key in ("settings", "config"):
            try:
                value = json.loads(str(self._attrs.get(key, "")))
            except ValueError:
                continue
            if isinstance(value, dict):
                cfg.update(value)
        if self._sweep_config is not None:
            cfg.update(self._sweep_config)
        if "experiment" not in cfg:
            parsed = _protocol_experiment(str(self._attrs.get("protocol", "")))
            if parsed is not None:
                cfg["experiment"], cfg["cycles"] = parsed
        return cfg

    def solution(self, index: int) -> Any:
        """Cell `index` as a `Solution`, the class `Simulation.solve` returns (also ``res[index]``).

        Its time series are the cell's outputs as stored (no padding): ``"Time [s]"``,
        ``"Voltage [V]"``, ``"Current [A]"``, ``"Discharge capacity [A.h]"``, ``"Step"``,
        ``"Cycle"`` (0 for a constant-current sweep), ``"Time [h]"``, ``"Power [W]"``, and
        ``"Temperature [K]"`` (stored by a sweep with a thermal model or an experiment;
        otherwise the constant ambient temperature, as a single simulation's). `Solution.summary` has the sweep's summary quantities under the
        same names as a single simulation's, the solver statistics from ``/stats``
        (0 in files written before they were kept; the wall time is NaN: a sweep does
        not time its cells);
        `Solution.step_summary` and `Solution.cycle_summary` the cell's step records (its
        ``"Ended by"`` from ``/steps/End code``, empty in files written before it was
        kept, and for a constant-current sweep's one step) and cycle
        summaries, `Solution.steps` and `Solution.cycles` their sub-solutions; `status`
        and `message` the cell's. Internal fields are not stored
        by sweeps.

        Parameters
        ----------
        index : int
            Cell number (negative counts from the end).

        Returns
        -------
        Solution
        """
        from .simulation import Solution

        i = self._index(index)
        raw: Dict[str, Any] = {}
        with self._open() as f:
            for name in self._outputs:
                raw[name] = self._read_cell(f, name, i)
        n = int(self._count[i])
        if "Step" not in raw:  # a constant-current sweep: one step, one cycle (as Simulation)
            raw["Step"] = np.zeros(n)
        if "Cycle" not in raw:
            step = np.asarray(raw["Step"], dtype=float)
            raw["Cycle"] = self._step_cycle[step.astype(np.int64)] if self._step_cycle.size else np.zeros(n)
        for name in ("Step", "Cycle"):
            arr = np.asarray(raw[name], dtype=float)
            raw[name] = np.where(np.isnan(arr), -1, arr).astype(np.int64)
        summary = {name: arr[i] for name, arr in self._summary_data.items()}
        raw.update(status=self._codes.get(int(self._status[i]), f"status {int(self._status[i])}"),
                   message=str(self._messages[i]), end_time=summary.get("End time [s]", np.nan),
                   discharge_capacity=summary.get("Discharge capacity [A.h]", np.nan),
                   charge_capacity=summary.get("Charge capacity [A.h]", np.nan),
                   discharge_energy=summary.get("Discharge energy [W.h]", np.nan),
                   charge_energy=summary.get("Charge energy [W.h]", np.nan),
                   energy=summary.get("Energy [W.h]", np.nan), mean_voltage=summary.get("Mean voltage [V]", np.nan),
                   stats=dict({"steps": int(summary.get("Steps", 0))},
                              **{key: int(self._stats_data[name][i]) for name, key in STATS
                                 if name in self._stats_data}))
        cfg = self._config()
        experiment = None
        if self.n_steps:
            cycles = [tuple(str(t) for t in c) if isinstance(c, (list, tuple)) else (str(c),)
                      for c in cfg.get("experiment", [])] * int(cfg.get("cycles", 1) or 1)
            texts = [t for c in cycles for t in c]
            values = {name: arr[i] for name, arr in self._inputs.items()}
            texts = [_fill_placeholders(t, values) for t in texts]
            experiment = [tuple(_fill_placeholders(t, values) for t in c) for c in cycles]
            per_cycle = np.bincount(self._step_cycle, minlength=self.n_cycles).tolist()
            if [len(c) for c in experiment] != per_cycle:
                # no experiment whose steps match /steps/Cycle (a file without a readable
                # config or protocol): the steps of each cycle, without their texts
                experiment = [tuple("" for _ in range(n)) for n in per_cycle]
                texts = []
            steps = self.steps
            records = []
            for k in range(self.n_steps):
                if np.isnan(steps["End time [s]"][i, k]):
                    continue
                code = steps["End code"][i, k] if "End code" in steps else np.nan  # older files lack it
                rec = {"step": k, "cycle": int(self._step_cycle[k]), "text": texts[k] if k < len(texts) else "",
                       "ended by": _core.step_end_name(float(code), float(steps["Start time [s]"][i, k]),
                                                       float(steps["End time [s]"][i, k]))}
                for name in STEP_QUANTITIES:
                    rec[name[0].lower() + name[1:]] = float(steps[name][i, k]) if name in steps else np.nan
                records.append(rec)
            raw["steps"] = records
            cyc = self.cycles  # PyBaMM's summary variables of this cell, per cycle
            raw["summary_variables"] = {name: cyc[name][i] for name in summary_variable_names() if name in cyc}
        else:  # one constant-current step, as Simulation's
            raw["steps"] = [{"step": 0, "cycle": 0, "text": "", "ended by": "",
                             "start time [s]": 0.0, "end time [s]": float(raw["end_time"]),
                             "duration [s]": float(raw["end_time"]),
                             "capacity [A.h]": float(raw["discharge_capacity"]) - float(raw["charge_capacity"]),
                             "energy [W.h]": float(raw["energy"]),
                             "discharge capacity [A.h]": float(raw["discharge_capacity"]),
                             "charge capacity [A.h]": float(raw["charge_capacity"]),
                             "discharge energy [W.h]": float(raw["discharge_energy"]),
                             "charge energy [W.h]": float(raw["charge_energy"])}] if n else []
        mesh = {}
        for part in str(self._attrs.get("mesh", "")).split(","):
            if "=" in part:
                key, value = part.split("=", 1)
                try:
                    mesh[key.strip()] = int(value)
                except ValueError:
                    pass
        thermal = "lumped" if "lumped" in str(self._attrs.get("model", "")) else "isothermal"
        if "Temperature [K]" not in raw and thermal == "isothermal":  # constant: the ambient temperature
            ambient = self._ambient_temperature(i)
            if ambient is not None:
                raw["Temperature [K]"] = np.full(n, ambient)
        current = math.nan if self.n_steps else self._constant_current(i, cfg, raw["Current [A]"])
        soc = self._inputs.get("Initial SOC")
        initial_soc = float(soc[i]) if soc is not None else cfg.get("initial_soc")
        if initial_soc is None and self._initial_soc is not None:  # the sweep started at a voltage
            initial_soc = float(self._initial_soc[i]) if math.isfinite(self._initial_soc[i]) else None
        solver = {k: float(v) for k, v in dict(cfg.get("solver", {}) or {}).items()}
        try:  # the sweep's resolved model options (every cell the same)
            raw["model options"] = json.loads(str(self._attrs.get("model options", "{}")))
        except ValueError:
            pass
        return Solution(raw, parameters=None, current=current, initial_soc=initial_soc, mesh=mesh, solver=solver,
                        experiment=experiment, thermal=thermal,
                        set_name=str(self._attrs.get("parameter set", "")) or None)

    def _cell_value(self, i: int, name: str) -> Optional[float]:
        """Cell i's value of the scalar parameter `name`: varied, or the set's (the file's
        ``parameters``); None when neither holds a number."""
        if name in self._inputs:
            return float(self._inputs[name][i])
        try:
            value = json.loads(str(self._attrs.get("parameters", ""))).get("parameters", {}).get(name)
        except (ValueError, AttributeError):
            return None
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    def _ambient_temperature(self, i: int) -> Optional[float]:
        """Cell i's ambient temperature [K]: varied, or the set's (the file's ``parameters``)."""
        return self._cell_value(i, "Ambient temperature [K]")

    def _constant_current(self, i: int, cfg: Dict[str, Any], series: Any) -> float:
        """Cell i's applied current [A] in a constant-current sweep, as the sweep chose it:
        a varied current or C-rate (times the cell's nominal capacity), else the config's
        ``current`` or ``c_rate``; else (a file that does not keep its config: `Sweep.run`'s)
        the cell's first output of "Current [A]" (`series`, the current it held, to the
        solver's tolerance); NaN for a cell without outputs."""
        def times_nominal(c_rate: float) -> float:
            nominal = self._cell_value(i, "Nominal cell capacity [A.h]")
            return c_rate * nominal if nominal is not None else math.nan

        if "Current [A]" in self._inputs:
            return float(self._inputs["Current [A]"][i])
        if "C-rate" in self._inputs:
            return times_nominal(float(self._inputs["C-rate"][i]))
        if cfg.get("current") is not None:
            return float(cfg["current"])
        if cfg.get("c_rate") is not None:
            return times_nominal(float(cfg["c_rate"]))
        return float(series[0]) if len(series) else math.nan

    def cell(self, index: int) -> Dict[str, Any]:
        """One cell's outputs without the NaN tail, with its inputs and summary.

        Parameters
        ----------
        index : int
            Cell number (negative counts from the end).

        Returns
        -------
        dict
            The outputs (see `outputs`) as 1-D arrays (only the computed points),
            each varied input and each summary quantity as scalars (``"Discharge
            capacity [A.h]"`` is the per-time output; a varied input named as an
            output, such as ``"Current [A]"``, is under ``"Input current [A]"``;
            `inputs` has it under its own name), ``"status"``, ``"message"``,
            and ``"summary"``: a dict of every summary quantity under its one name
            (``"Discharge capacity [A.h]"`` included). The old key ``"End discharge
            capacity [A.h]"`` still reads the summary's capacity, with a
            DeprecationWarning.
        """
        i = int(index)
        if not -self._n_cells <= i < self._n_cells:
            raise IndexError(f"cell {index} out of range for a sweep of {self._n_cells} cells")
        i %= self._n_cells
        out: Dict[str, Any] = _CellDict()
        with self._open() as f:
            for name in self._outputs:
                out[name] = self._read_cell(f, name, i)
        taken = set(self._outputs) | set(self._summary_data)
        for name, arr in self._inputs.items():  # an input named as an output gets another key
            out[_input_key(name, taken)] = float(arr[i])
        summary = {name: arr[i].item() if hasattr(arr[i], "item") else arr[i] for name, arr in self._summary_data.items()}
        for name, value in summary.items():
            if name not in self._outputs:
                out[name] = value
        if _NEW_CAPACITY in summary:  # deprecated: read it from out["summary"]
            out[END_CAPACITY] = summary[_NEW_CAPACITY]
        out["summary"] = summary
        out["status"] = self._codes.get(int(self._status[i]), str(int(self._status[i])))
        out["message"] = self._messages[i]
        return out

    @property
    def summary(self) -> Any:
        """One row per cell: the varied inputs and the end-of-run quantities.

        Returns
        -------
        pandas.DataFrame
            Index ``cell``: each cell's number in the sweep (the file's row, except in
            the file of a cell range, ``ionflux sweep --cells A:B``, whose rows are
            cells A to B - 1; ``res[i]`` is always the file's row i); columns: each
            varied input, then ``"End time [s]"``,
            ``"End reason"`` (``"not_run"`` for cells never run), ``"Discharge
            capacity [A.h]"`` (moved while discharging), ``"Energy [W.h]"`` (net),
            ``"Mean voltage [V]"`` (while discharging), ``"Steps"``, ``"Charge capacity
            [A.h]"``, ``"Discharge energy [W.h]"``, ``"Charge energy [W.h]"``.
            Capacities, energies and mean voltage are NaN for failed cells (see `failed`);
            their end time is where they stopped.
        """
        import pandas as pd

        cols: Dict[str, Any] = {name: arr for name, arr in self._inputs.items()}
        for name in SUMMARY:
            if name not in self._summary_data:
                continue
            data = self._summary_data[name]
            if name == "End reason":
                data = np.where(self._status == NOT_RUN, "not_run", data).astype(object)
            cols[name] = data
        if np.array_equal(self._cell_numbers, np.arange(self._n_cells)):
            index = pd.RangeIndex(self._n_cells, name="cell")
        else:  # a file of a cell range: the cells' numbers in the whole sweep
            index = pd.Index(self._cell_numbers, name="cell")
        return pd.DataFrame(cols, index=index)

    # -- xarray ---------------------------------------------------------------------------
    def to_xarray(self, outputs: bool = True) -> Any:
        """The results as an `xarray.Dataset`.

        For a grid sweep the dimensions are the varied names (coordinates: their
        values, in file order) plus ``"time index"``; a block of random entries that
        vary together becomes one ``"sample"`` dimension with those names as
        coordinates along it. For zip and purely random sweeps there is one ``"cell"``
        dimension, with the varied inputs as coordinates along it. A varied input
        named as a variable of the Dataset keeps the variable's name free: a varied
        ``"Current [A]"`` is the coordinate (and dimension) ``"Input current [A]"``
        next to the per-time output ``"Current [A]"`` (with ``outputs=False`` there is
        no such output, and the coordinate is ``"Current [A]"``).

        Parameters
        ----------
        outputs : bool, optional
            Include the per-time outputs (default). With False, the Dataset holds the
            per-cell quantities only (summary, status, steps, cycles: the maps of a
            sweep), and every summary quantity has its one name, ``"Discharge capacity
            [A.h]"`` included.

        Returns
        -------
        xarray.Dataset
            Variables: the outputs (..., ``"time index"``; see `outputs`), each
            summary quantity, ``"status"``, ``"failed"`` (bool, see `failed`) and
            ``"cell index"`` (the cell's number in the sweep: as `summary`'s index).
            With the outputs,
            ``"Discharge capacity [A.h]"`` is the per-time output, and the summary's
            discharge capacity is there only under its deprecated name ``"End
            discharge capacity [A.h]"`` (reading it warns; use ``outputs=False`` or
            `summary`).
            With an experiment also the per-step records (`steps`), each as ``"Step "``
            and its name with a lower-case first letter: ``"Step start time [s]"``,
            ``"Step end time [s]"``, ``"Step duration [s]"``, ``"Step capacity
            [A.h]"`` (net), ``"Step energy [W.h]"``, ``"Step discharge capacity
            [A.h]"``, ..., ``"Step end code"`` (how the step ended, the codes of
            `steps`) (..., ``"step"``), with the coordinate ``"cycle of step"``
            along ``"step"``; and every per-cycle quantity of `cycles` likewise as
            ``"Cycle ..."`` (..., ``"cycle"``). The cycle sums are ``"Cycle net
            capacity [A.h]"`` (net charge over the cycle's steps), ``"Cycle
            discharge capacity [A.h]"``, ``"Cycle charge capacity [A.h]"``, ``"Cycle
            energy [W.h]"``, ``"Cycle discharge energy [W.h]"``, ``"Cycle charge
            energy [W.h]"``; with them ``"Cycle start time [s]"``, ``"Cycle end time
            [s]"``, ``"Cycle duration [s]"``, the efficiencies, throughputs and
            temperatures. ``"Cycle capacity [A.h]"`` is not a sum: it is PyBaMM's
            summary variable ``"Capacity [A.h]"``, the eSOH capacity at the cycle's
            end (in files written before issue 16, the net capacity); the other
            summary variables follow (``"Cycle loss of lithium inventory [%]"``,
            ...). Attributes: the file's root
            attributes. Each variable and coordinate with a unit has ``long_name``,
            ``units`` (SI, as its values) and ``display_units`` /
            ``display_scale`` / ``display_offset``; `ionflux.to_display_units`
            makes a copy in those units (µm, °C, ...) for reading and plotting.

        Examples
        --------
        >>> ds = res.to_xarray()
        >>> ds["Cycle discharge capacity [A.h]"].sel({"Hold voltage [V]": 4.2})   # over "cycle"
        >>> res.to_xarray(outputs=False)["Discharge capacity [A.h]"]   # the summary, a map over the inputs
        """
        dataset = _sweep_dataset_class()  # (imports xarray)

        # name -> (trailing dimensions, array of shape (n_cells, *trailing))
        per_cell: Dict[str, Tuple[List[str], np.ndarray]] = {}
        if outputs:
            for name in self._outputs:
                per_cell[name] = (["time index"], self._read(f"cells/{name}"))
        for name, arr in self._summary_data.items():
            # next to the outputs, the summary's capacity keeps its deprecated name (warns when read)
            per_cell[END_CAPACITY if name in per_cell and name == _NEW_CAPACITY else name] = ([], arr)
        per_cell["status"] = ([], self._status)
        per_cell["failed"] = ([], self._failed.copy())
        per_cell["cell index"] = ([], self._cell_numbers.copy())
        extra_coords: Dict[str, Any] = {}
        steps = self.steps
        if steps:
            for name in STEP_QUANTITIES + ("End code",):
                if name in steps:
                    per_cell["Step " + name[0].lower() + name[1:]] = (["step"], steps[name])
            for name, arr in self.cycles.items():
                per_cell["Cycle " + name[0].lower() + name[1:]] = (["cycle"], arr)
            extra_coords["step"] = np.arange(self.n_steps)
            extra_coords["cycle of step"] = ("step", self._step_cycle.copy())
            extra_coords["cycle"] = np.arange(self.n_cycles)
        attrs = {k: v for k, v in self._attrs.items() if isinstance(v, (str, int, float))}
        coords: Dict[str, Any] = dict(extra_coords)
        data: Dict[str, Any] = {}
        # a coordinate cannot share its name with a variable: an input named as an output
        # ("Current [A]") is the coordinate "Input current [A]" (_input_key)
        key = {name: _input_key(name, per_cell) for name in self._inputs}
        if self._axes is None:
            coords.update({key[name]: ("cell", arr) for name, arr in self._inputs.items()})
            coords["cell"] = np.arange(self._n_cells)
            data.update({name: (["cell"] + trail, arr) for name, (trail, arr) in per_cell.items()})
            return annotate_dataset(dataset(data, coords=coords, attrs=attrs))
        dims = [key.get(ax.dim, ax.dim) for ax in self._axes]
        shape = tuple(ax.length for ax in self._axes)
        for ax in self._axes:
            if ax.dim == "sample":
                coords["sample"] = np.arange(ax.length)
                for name in ax.names:
                    coords[key[name]] = ("sample", ax.values[name])
            else:
                coords[key[ax.dim]] = ax.values[ax.dim]
        data.update({name: (dims + trail, arr.reshape(shape + arr.shape[1:]))
                     for name, (trail, arr) in per_cell.items()})
        return annotate_dataset(dataset(data, coords=coords, attrs=attrs))

    # -- plots ----------------------------------------------------------------------------
    def plot_voltage(self, color_by: Optional[str] = None, ax: Any = None, x: str = "Time [s]",
                     cells: Optional[Sequence[int]] = None, cmap: str = "viridis", max_curves: int = 2000) -> Any:
        """Voltage curves of the cells, coloured by a varied input.

        Parameters
        ----------
        color_by : str, optional
            A varied name; by default the first one. With nothing varied, one colour.
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; by default a new figure.
        x : str, optional
            The x variable: ``"Time [s]"`` (default), ``"Discharge capacity [A.h]"``
            or another output (see `outputs`).
        cells : sequence of int, optional
            Only these cells (default: every cell that ran). Failed cells (see
            `failed`) are never drawn: the title counts them per status, and with
            `color_by` their values are marked with a red x on the colorbar.
        cmap : str, optional
            Colormap name.
        max_curves : int, optional
            Draw at most this many curves: with more cells, every k-th is drawn
            (the title says so).

        Returns
        -------
        matplotlib.axes.Axes
            The axes (with a colorbar when coloured).

        Notes
        -----
        Drawn in display units (docs/python.md, "Plots and units"): time in s, min
        or h, the colour bar in µm, °C, ... as its input needs; values stay SI.
        """
        from ._plots import sweep_voltage

        return sweep_voltage(self, color_by, ax, x, cells, cmap, max_curves)

    def plot_capacity_fade(self, x: str = "Cycle number", cells: Optional[Sequence[int]] = None,
                           axes: Any = None) -> Any:
        """Capacity fade of the cells of an experiment sweep: PyBaMM's ``"Capacity [A.h]"``
        (the eSOH capacity at each cycle's end) and the degradation modes (LLI, LAM of each
        electrode [%]) from `cycles`, one line per cell.

        Parameters
        ----------
        x : str
            ``"Cycle number"`` (default), ``"Throughput capacity [A.h]"``, ``"Throughput
            energy [W.h]"`` or ``"Time [h]"``.
        cells : sequence of int, optional
            The cells to draw (default: all; label per cell up to 10).
        axes : pair of matplotlib axes, optional
            Where to draw (capacity, modes); by default a new figure with two panels.

        Returns
        -------
        tuple of matplotlib.axes.Axes
            The capacity axes and the degradation-mode axes.
        """
        from ._plots import capacity_fade

        cyc = self.cycles
        rows = np.arange(self._n_cells) if cells is None else np.atleast_1d(np.asarray(cells, dtype=int))
        values = {name: np.asarray(arr)[rows] for name, arr in cyc.items()}
        if "End time [s]" in values:
            values["Time [h]"] = values["End time [s]"] / 3600.0
        return capacity_fade(values, x, axes, labels=[f"cell {int(r)}" for r in rows])

    def plot_heatmap(self, quantity: str = "Discharge capacity [A.h]", x: Optional[str] = None,
                     y: Optional[str] = None, ax: Any = None, where: Optional[Mapping[str, float]] = None,
                     cmap: str = "viridis", *, mark_best: Union[bool, str] = False,
                     mark_base: Union[bool, Mapping[str, float]] = False) -> Any:
        """A summary quantity over two varied inputs.

        For a grid sweep, a heatmap over the two inputs' values (other varied inputs
        are averaged over, or fixed with `where`); otherwise a scatter plot of the
        cells coloured by the quantity.

        Parameters
        ----------
        quantity : str, optional
            A summary quantity, by default ``"Discharge capacity [A.h]"``.
        x, y : str, optional
            Varied names for the axes; by default the first two varied names.
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; by default a new figure.
        where : dict, optional
            Varied name → value: use only the cells at that value of the other
            inputs, instead of averaging over them. The value must be one of the
            sweep's values of that input (equal up to float round-off); the title
            shows the value used.
        cmap : str, optional
            Colormap name.
        mark_best : bool or {"max", "min"}, optional
            Mark the best bin (a grid) or cell (a scatter) with a white star: the
            largest value (True or ``"max"``) or the smallest (``"min"``); the legend
            gives its value and its x and y. As the report ranks designs
            (`ionflux.report.designs`), a bin with failed cells or cells stopped at
            t_end is starred only when no bin without them has a value (the legend
            then says so), and a bin with cells never run is not starred.
        mark_base : bool or dict, optional
            Mark the base design with a red diamond: True takes its x and y from the
            sweep's parameter set (``"C-rate"`` and ``"Current [A]"`` from its
            ``"Current function [A]"``); a dict ``{x: value, y: value}`` (SI) gives
            them. Between grid values it sits between the bins; outside the swept
            range the legend says so.

        Returns
        -------
        matplotlib.axes.Axes
            The axes, with a colorbar.

        Raises
        ------
        ValueError
            If fewer than two inputs are varied, `x` equals `y`, a name is used
            both as an axis and in `where`, a `where` value is not one of the
            sweep's values (the message lists them), or `mark_base` is True and the
            set has no value of x or y.
        KeyError
            For an unknown quantity or input name.

        Notes
        -----
        Failed cells (see `failed`) are left out: a heatmap bin whose cells all
        failed is left empty and cross-hatched (``"xx"``), a bin where some failed
        shows the mean of the others and is hatched (``"//"``); in a scatter plot
        failed cells are red crosses. The legend counts them per status. Cells
        stopped at t_end (``"end_time_reached"``) keep their values, which are up to
        t_end: their bins are dotted (``".."``), in a scatter plot they are framed
        by a grey square.

        Drawn in display units (docs/python.md, "Plots and units"): the ticks of a
        thickness read ``60``, ``64.4``, ... under ``"... [µm]"``; the colour bar in
        the quantity's display unit. The legend sits below the axes, off the data.
        """
        from ._plots import sweep_heatmap

        return sweep_heatmap(self, quantity, x, y, ax, where, cmap, mark_best, mark_base)


def _grid_value(name: str, grid: np.ndarray, value: float) -> float:
    """The value of `grid` that `value` names (equal to within float round-off).

    Raises ValueError naming the grid values when there is none.
    """
    grid = np.unique(np.asarray(grid, dtype=float))
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"where: {name!r} must be a number, got {value!r}") from None
    close = np.isclose(grid, v, rtol=1e-9, atol=0.0) | (grid == v)
    if not close.any():
        shown = ", ".join(f"{g:g}" for g in grid[:20]) + (f", ... ({grid.size} values)" if grid.size > 20 else "")
        raise ValueError(f"where: {name} = {v:g} is not a value of the sweep; its values are {shown}")
    return float(grid[np.flatnonzero(close)[np.argmin(np.abs(grid[close] - v))]])


def _count_text(names: np.ndarray) -> str:
    """``"cutoff_at_start 15, newton_failure 1"``: the count of each name, most frequent first."""
    values, counts = np.unique(np.asarray(names, dtype=str), return_counts=True)
    order = np.lexsort((values, -counts))
    return ", ".join(f"{values[i]} {counts[i]}" for i in order)


def _mark_failed_bins(ax: Any, some: np.ndarray, every: np.ndarray, counts: str, averaged: bool) -> List[Any]:
    """Hatch the heatmap bins that hold failed cells; return the legend handles.

    A bin whose cells all failed has no value (drawn empty) and is cross-hatched; a bin
    where only some failed (with other inputs averaged over) shows the mean of the rest
    and is hatched with single lines.
    """
    from matplotlib.patches import Rectangle

    handles: List[Any] = []
    kinds = ((every, "xx", "no value: all its cells failed" if averaged else "no value: the cell failed"),
             (some & ~every, "//", "some cells failed: mean of the others"))
    for mask, hatch, label in kinds:
        if not mask.any():
            continue
        if not handles:
            label = f"{label} ({counts})"
        for iy, ix in zip(*np.nonzero(mask)):
            patch = Rectangle((ix - 0.5, iy - 0.5), 1.0, 1.0, fill=False, hatch=hatch, edgecolor="0.35",
                              linewidth=0.0, label=label)
            ax.add_patch(patch)
        handles.append(patch)
    return handles


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


class _MemoryDataset:
    """One in-memory dataset, read as an h5py dataset is (``ds[...]``, ``ds[a:b]``, ``attrs``)."""

    def __init__(self, data: Any, attrs: Optional[Dict[str, Any]] = None) -> None:
        arr = np.asarray(data) if not isinstance(data, list) else np.array(data, dtype=object)
        arr.flags.writeable = False
        self._data = arr
        self.attrs: Dict[str, Any] = dict(attrs or {})

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def shape(self) -> Tuple[int, ...]:
        return self._data.shape

    def __getitem__(self, key: Any) -> np.ndarray:
        return self._data[key]


class _MemoryFile:
    """A sweep's results held in memory (the memory sink of the compiled solver), with the
    names of the HDF5 layout (docs/hdf5_layout.md): ``f["cells/Time [s]"]``,
    ``"summary/..." in f``, ``f["inputs"].items()``, ``f.attrs``. Used as a context
    manager, as an h5py.File is."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.attrs: Dict[str, Any] = dict(data.get("attrs", {}))
        self._datasets: Dict[str, _MemoryDataset] = {}
        for key, value in data.items():
            if "/" in key:
                self._datasets[key] = _MemoryDataset(value)
        if "cells/status" in self._datasets and "status codes" in data:
            self._datasets["cells/status"].attrs["codes"] = data["status codes"]
        self._inputs = {str(k): _MemoryDataset(v) for k, v in dict(data.get("inputs", {})).items()}

    def __contains__(self, key: object) -> bool:
        if key == "inputs":
            return True
        return key in self._datasets or any(k.startswith(f"{key}/") for k in self._datasets)

    def __getitem__(self, key: str) -> Any:
        if key == "inputs":
            return self._inputs
        return self._datasets[key]

    def __enter__(self) -> "_MemoryFile":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None


def _protocol_experiment(text: str) -> Optional[Tuple[List[List[str]], int]]:
    """The experiment of a file's ``protocol`` attribute: (cycles as lists of step strings,
    number of repeats); None when it describes no experiment.

    The solver writes ``"experiment: "``, each cycle's steps in parentheses joined by
    ``", "``, cycles joined by ``"; "``, then ``" x N"`` for N repeats and ``"; lumped
    thermal model"`` (solver/problem/sweep_plan.cpp). A step whose text holds ``", "``
    splits wrongly here; `SweepResult.solution` then finds the step counts differ from
    ``/steps/Cycle`` and leaves the texts empty rather than shifting them.
    """
    prefix = "experiment: "
    if not text.startswith(prefix):
        return None
    body = text[len(prefix):]
    thermal = "; lumped thermal model"
    if body.endswith(thermal):
        body = body[:-len(thermal)]
    repeats = 1
    match = re.fullmatch(r"(.*\)) x (\d+)", body, flags=re.DOTALL)
    if match:
        body, repeats = match.group(1), int(match.group(2))
    if not (body.startswith("(") and body.endswith(")")):
        return None
    return [group.split(", ") for group in body[1:-1].split("); (")], repeats


def _fill_placeholders(text: str, values: Mapping[str, Any]) -> str:
    """A step string with ``{name}`` replaced by the cell's value of the varied `name`."""
    for name, value in values.items():
        text = text.replace("{" + name + "}", f"{float(value):g}")
    return text


def _parse_codes(text: Any) -> Dict[int, str]:
    if isinstance(text, bytes):
        text = text.decode()
    codes: Dict[int, str] = {}
    for entry in str(text).split(","):
        if ":" not in entry:
            continue
        code, name = entry.split(":", 1)
        try:
            codes[int(code.strip())] = name.strip()
        except ValueError:
            continue
    return codes or dict(_DEFAULT_CODES)


class _Axis:
    """One axis of a grid sweep: its dimension name, length and per-name values."""

    def __init__(self, dim: str, names: List[str], length: int, values: Dict[str, np.ndarray]) -> None:
        self.dim = dim
        self.names = names
        self.length = length
        self.values = values


def _axis_dim(axes: Sequence[_Axis], name: str) -> Optional[str]:
    for ax in axes:
        if name in ax.names:
            return ax.dim
    return None


def _first_change(a: np.ndarray) -> int:
    """Index of the first element that differs from a[0] (len(a) if none)."""
    diff = np.flatnonzero(a != a[0])
    return int(diff[0]) if diff.size else len(a)


def _infer_axes(inputs: Dict[str, np.ndarray], attrs: Mapping[str, Any], n_cells: int,
                hint: Optional[Sequence[str]] = None) -> Tuple[List[str], Optional[List[_Axis]]]:
    """The varied names in file order, and the grid axes (None if not a grid).

    The file stores the inputs without their order, so for a grid sweep the axes are
    recovered from the data: the first axis changes slowest, and entries of one
    random block change together. A root attribute ``varied`` (a JSON list of
    names), when present, gives the order of the names directly.
    """
    names = list(inputs)
    declared: Optional[List[str]] = list(hint) if hint is not None else None
    order_attr = attrs.get("varied")
    if declared is None and isinstance(order_attr, str):
        try:
            declared = [str(n) for n in json.loads(order_attr)]
        except (ValueError, TypeError):
            declared = None
    if declared is not None and sorted(declared) != sorted(names):
        declared = None
    if n_cells == 0:
        return (declared or names), None
    stride = {n: _first_change(inputs[n]) for n in names}  # cells that share the first value
    if declared is not None:
        names = declared
    else:
        names.sort(key=lambda n: -stride[n])  # stable: ties keep the file's (alphabetical) order
    if attrs.get("combine", "grid") != "grid":
        return names, None
    # Constant inputs are axes of length 1; the others group by stride (a random block
    # is several inputs with one stride), slowest first.
    axes: List[_Axis] = []
    groups: List[List[str]] = []
    for n in sorted(names, key=lambda n: -stride[n]):
        if stride[n] >= n_cells:
            axes.append(_Axis(n, [n], 1, {n: inputs[n][:1].copy()}))
        elif groups and stride[groups[-1][0]] == stride[n]:
            groups[-1].append(n)
        else:
            groups.append([n])
    outer = n_cells
    for group in groups:
        s = stride[group[0]]
        if outer % s != 0:
            return names, None
        length, outer = outer // s, s
        values = {n: inputs[n][::s][:length].copy() for n in group}
        axes.append(_Axis(group[0] if len(group) == 1 else "sample", group, length, values))
    if outer != 1 or sum(1 for ax in axes if ax.dim == "sample") > 1:
        return names, None
    if any(ax.dim == "sample" for ax in axes) and not any(ax.dim != "sample" and ax.length > 1 for ax in axes):
        return names, None  # only random entries vary: a sampled sweep, one "cell" dimension
    shape = tuple(ax.length for ax in axes)
    for k, ax in enumerate(axes):
        for n in ax.names:
            expected = ax.values[n].reshape([-1 if j == k else 1 for j in range(len(axes))])
            if not np.array_equal(inputs[n].reshape(shape), np.broadcast_to(expected, shape)):
                return names, None
    if declared is not None:
        # Length-1 axes go where the declaration puts them (the data cannot tell);
        # the order of the others is fixed by the data.
        rank = {n: i for i, n in enumerate(declared)}
        ordered = sorted(axes, key=lambda ax: min(rank[n] for n in ax.names))
        if [ax.dim for ax in ordered if ax.length > 1] == [ax.dim for ax in axes if ax.length > 1]:
            axes = ordered
    return names, axes
