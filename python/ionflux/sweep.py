"""Parameter sweeps: `Sweep` builds a sweep config and runs it in the compiled solver."""
from __future__ import annotations

import json
import numbers
import os
import sys
import threading
import time
import warnings
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

import numpy as np

from . import _core
from . import _experiment as exp
from . import _pybamm
from . import _options as opt
from ._errors import SolverWarning, UnitWarning, translate_core_errors
from .parameters import ParameterSet, as_parameter_set
from .result import SweepResult

__all__ = ["Sweep"]

#: Names that can be varied besides the set's parameters.
SPECIAL_NAMES = ("C-rate", "Current [A]", "Initial SOC")

#: Seconds between progress polls while a sweep runs.
POLL_INTERVAL = 0.1

#: Test hook: when set, called after every progress poll with the runner; raising
#: KeyboardInterrupt from it behaves exactly like Ctrl-C in the calling thread.
_poll_hook: Optional[Callable[[Any], None]] = None


def _jsonable(value: Any, where: str) -> Any:
    """Convert numpy arrays/scalars, tuples and ranges to JSON types (recursively)."""
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist(), where)
    if not isinstance(value, (str, bytes, Mapping, list, tuple)) and hasattr(value, "__array__"):
        return _jsonable(np.asarray(value).tolist(), where)  # pandas Series, xarray DataArray, ...
    if isinstance(value, (list, tuple, range)):
        return [_jsonable(v, where) for v in value]
    if isinstance(value, Mapping):
        out = {str(k): _jsonable(v, where) for k, v in value.items()}
        for key in ("linspace", "logspace"):  # a count given as 5.0 (e.g. from a float array)
            spec = out.get(key)
            if isinstance(spec, list) and len(spec) == 3 and isinstance(spec[2], float) and spec[2].is_integer():
                spec[2] = int(spec[2])
        return out
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        if not np.isfinite(float(value)):
            raise ValueError(f"{where}: values must be finite numbers, got {value!r}")
        return float(value)
    if isinstance(value, str) or value is None:
        return value
    raise TypeError(f"{where}: cannot use a {type(value).__name__} ({value!r}) in a sweep config")


def _column(value: Any, where: str) -> Any:
    """A varied entry: an array (or anything numpy reads as a 1-D array of numbers:
    pandas Series, xarray DataArray) is handed to the solver as a float64 column, checked
    finite; lists, tuples and distributions as `_jsonable`."""
    if isinstance(value, np.ndarray) or (not isinstance(value, (str, bytes, Mapping, list, tuple, range))
                                         and hasattr(value, "__array__")):
        a = np.asarray(value)
        if a.ndim == 1 and a.dtype.kind in "fiu":
            a = np.ascontiguousarray(a, dtype=float)
            if not np.isfinite(a).all():
                raise ValueError(f"{where}: values must be finite numbers, got {float(a[~np.isfinite(a)][0])!r}")
            return a
    return _jsonable(value, where)


class Sweep:
    """Many cells that differ in some parameters, run together by the compiled solver.

    All cells share one parameter set, mesh, solver options, thermal model and protocol
    (a constant current, or an experiment); `vary` gives the per-cell values. The sweep
    is described by the same config as ``ionflux sweep CONFIG.json`` (see
    ``docs/sweep_config.md``); `config` returns it. The config is checked when the
    Sweep is created, so mistakes raise here, before anything runs.

    Parameters
    ----------
    parameters : str or ParameterSet, optional
        The base set, by default ``"Chen2020"``. For a `ParameterSet`, its changes
        from the built-in set (`ParameterSet.changed`) become the config's ``set``.
        A ``pybamm.ParameterValues`` is converted (see `ParameterSet`) and written
        into the config inline.
    vary : dict, optional
        Name → values. Names are parameter names (units included),
        ``"C-rate"``, ``"Current [A]"``, ``"Initial SOC"``, or placeholders of the
        experiment's step strings (see `experiment`). Values are a list or array of
        numbers, or one of ``{"linspace": [start, stop, count]}``,
        ``{"logspace": [start, stop, count]}``, ``{"uniform": [low, high]}``,
        ``{"loguniform": [low, high]}``. Without `vary` the sweep is one cell.
        A varied ``"Current function [A]"`` is each cell's current, exactly as
        ``"Current [A]"``. Every varied value takes effect in its cell as in a
        `Simulation` with that value set; a parameter that would change no cell
        (e.g. ``"Initial temperature [K]"`` without ``thermal="lumped"``) is a
        `ValueError` naming what to use instead. Values far outside the usual range
        of their unit give one `UnitWarning` per parameter.
    combine : {"grid", "zip"}, optional
        Every combination (first entry slowest), or the i-th value of each entry.
    samples : int, optional
        Number of random points; required when `vary` has a random entry.
    sampling : {"random", "latin_hypercube"}, optional
        How random points are drawn (only with random entries).
    seed : int, optional
        Seed of the random numbers (default 0).
    c_rate, current, initial_soc, mesh, solver, period, t_end
        As for `Simulation`, shared by every cell (a varied ``"C-rate"``,
        ``"Current [A]"``, ``"Current function [A]"`` or ``"Initial SOC"`` overrides
        them). Without `t_end`, each cell ends by default at its own end from its
        theoretical capacity (as `Simulation`); the file's ``t_end [s]`` is the largest.
        `initial_soc` may be a voltage (``"3.9 V"``, as in PyBaMM): each cell starts
        at the SOC of that open-circuit voltage from its own parameters (one SOC for
        every cell when only the current varies); a cell whose SOC window does not hold
        it fails alone (``invalid_input``). The results keep each cell's SOC
        (``cells/initial_soc``; ``res[i].initial_soc``).
    experiment : str or list, optional
        A protocol of step strings run by every cell, grouped into cycles as in
        `Simulation` (and ``pybamm.Experiment``): each string of the list is a cycle
        of its own, each tuple of strings one cycle; or an `ionflux.Experiment` or
        ``pybamm.Experiment``. Not together with `c_rate` or
        `current`. A step string may hold placeholders ``{name}``, filled in each
        cell with that cell's value of the varied entry `name`, e.g. ``vary={"Hold
        voltage [V]": [4.1, 4.2]}`` with ``"Hold at {Hold voltage [V]} V until
        C/50"``. A placeholder's name need not be a parameter, and a varied name
        used as a placeholder only fills the step strings (a parameter of that name
        is not changed). ``"{C-rate}"`` and ``"{Current [A]}"`` are how a varied
        current reaches the steps (varied without a placeholder they would have no
        effect, and are an error).
    cycles : int, optional
        Run the whole experiment this many times (config key ``cycles``).
    thermal : {"isothermal", "lumped"}, optional
        The thermal model of every cell (config key ``thermal``); by default
        isothermal. With ``"lumped"`` or an experiment the file gains each cell's
        temperature and step per output (``res["Temperature [K]"]``,
        ``res["Step"]``); with an experiment, per-step and per-cycle summaries
        (`SweepResult.steps`, `SweepResult.cycles`).
    termination : str or list of str, optional
        The experiment's own termination (config key ``termination``), as for
        `Simulation`: ``"80% capacity"``, ``"4 Ah capacity"``, ``"2.5 V"``, checked at
        the end of every cycle of every cell, or a time ``"10 hours"`` (every cell's
        end, unless an earlier `t_end`); a cell that meets it ends with status
        ``"experiment_end"``.
    options : dict, optional
        PyBaMM's model options of every cell (config key ``options``), as for
        ``pybamm.lithium_ion.DFN(options)``: values strings or (negative, positive)
        tuples; docs/degradation_options.md. Degradation parameters may then be varied.

    Raises
    ------
    KeyError
        For an unknown parameter name (the message suggests the closest names).
    ValueError
        For any other problem with the config (the message names the key), such as
        a step string the solver cannot read (the message names the step and the
        word) or a placeholder with no varied entry of that name.

    Examples
    --------
    >>> sweep = ionflux.Sweep("Chen2020", vary={
    ...     "Negative particle radius [m]": {"linspace": [2e-6, 1e-5, 5]},
    ...     "C-rate": [0.5, 1, 2]})
    >>> sweep.n_cells
    15
    >>> result = sweep.run()
    >>> result.summary["Discharge capacity [A.h]"].max()

    A CC-CV cycle at three hold voltages, three times over, with the lumped thermal
    model:

    >>> sweep = ionflux.Sweep("Chen2020", thermal="lumped", cycles=3, experiment=[(
    ...     "Discharge at 1C until 2.5 V", "Charge at 1C until {Hold voltage [V]} V",
    ...     "Hold at {Hold voltage [V]} V until C/50")], vary={"Hold voltage [V]": [4.0, 4.1, 4.2]})
    >>> res = sweep.run()
    >>> res.cycles["Discharge capacity [A.h]"]      # (3 cells, 3 cycles)
    """

    @translate_core_errors
    def __init__(
        self,
        parameters: Union[str, ParameterSet] = "Chen2020",
        vary: Optional[Mapping[str, Any]] = None,
        combine: str = "grid",
        samples: Optional[int] = None,
        sampling: Optional[str] = None,
        seed: Optional[int] = None,
        c_rate: Optional[float] = None,
        current: Optional[float] = None,
        initial_soc: Union[float, str, None] = None,
        mesh: Optional[Mapping[str, int]] = None,
        solver: Optional[Mapping[str, float]] = None,
        period: Optional[float] = None,
        t_end: Optional[float] = None,
        experiment: Union[str, Sequence[Union[str, Sequence[str]]], None] = None,
        cycles: Optional[int] = None,
        thermal: Optional[str] = None,
        options: Optional[Mapping[str, Any]] = None,
        termination: Union[str, Sequence[str], None] = None,
    ) -> None:
        model_options, thermal = opt.check_model_options(options, thermal)
        self._parameters = as_parameter_set(parameters)
        experiment, period, t_end, terms = _pybamm.unpack_experiment(experiment, self._parameters, period, t_end,
                                                                     termination)
        opt.check_current(c_rate, current)
        if vary is not None and not isinstance(vary, Mapping):
            raise TypeError(f"vary must be a dict of name -> values, got {type(vary).__name__}")
        groups = exp.normalize_experiment(experiment)
        if groups is not None:
            exp.check_no_current(c_rate, current)
            exp.check_placeholders(groups, [str(k) for k in (vary or {})])
        n_cycles = exp.check_cycles(cycles, groups is not None, default=None)
        thermal = exp.check_thermal(thermal, allow_none=True)
        # The settings: every config key but the set's ("parameters", "set"), which the
        # set object itself carries to the solver (no parameter file, no JSON text);
        # per-cell columns stay numpy arrays (docs/python.md, "Sweeps").
        cfg: Dict[str, Any] = {}
        items = [("mesh", mesh), ("solver", solver), ("period", period), ("t_end", t_end), ("c_rate", c_rate),
                 ("current", current), ("initial_soc", initial_soc)]
        for key, value in items:
            if value is not None:
                cfg[key] = _jsonable(value, key)
        if groups is not None:
            cfg["experiment"] = [list(c) for c in groups]  # always explicit cycles: one list per cycle
            # relative drive-cycle files are read from this folder on every road (a Dask
            # worker's working directory, or ionflux sweep on to_json()'s file elsewhere,
            # would otherwise read another file of the same name)
            cfg["base_dir"] = os.getcwd()
        if n_cycles is not None:
            cfg["cycles"] = n_cycles
        if terms:
            cfg["termination"] = list(terms)
        if thermal is not None:
            cfg["thermal"] = thermal
        if model_options:
            cfg["options"] = {k: list(v) if isinstance(v, tuple) else v for k, v in model_options.items()}
        if vary:
            cfg["vary"] = {str(k): _column(v, f"vary '{k}'") for k, v in vary.items()}
        if combine != "grid":
            cfg["combine"] = _jsonable(combine, "combine")
        for key, extra in (("samples", samples), ("sampling", sampling), ("seed", seed)):
            if extra is not None:
                cfg[key] = _jsonable(extra, key)
        self._settings = cfg
        extras = []
        if groups is not None:
            extras.append("experiment, " + exp.describe(groups, n_cycles or 1))
        if thermal == "lumped":
            extras.append("lumped thermal")
        if model_options:
            extras.append("options " + ", ".join(f"{k}={v!r}" for k, v in model_options.items()))
        self._description = "".join("; " + e for e in extras)
        self._runner: Optional[Any] = self._new_runner()
        self._n_cells = int(self._runner.n_cells)
        self._varied = list(self._runner.varied)
        self._bytes_per_cell = int(self._runner.bytes_per_cell)
        for text in self._runner.warnings:  # once per parameter, not per cell
            warnings.warn(text, UnitWarning, stacklevel=3)

    # -- description ----------------------------------------------------------------------
    def config(self) -> Dict[str, Any]:
        """The sweep config, as ``ionflux sweep`` reads it from a JSON file.

        `run` does not use it (the set goes to the solver as an object); the CLI run
        on it gives the same file (tests/python/test_sweep_direct.py).

        Returns
        -------
        dict
            ``parameters`` (the base set name, or the whole set inline when a function
            differs from it), ``set`` (changed parameters), the run options that were
            given, ``experiment`` (always as a list of cycles, each a list of step
            strings), ``cycles``, ``thermal``, ``options``, ``vary``, ``combine``,
            ``samples``, ``sampling``, ``seed``.
        """
        cfg: Dict[str, Any] = {"parameters": self._parameters._config_parameters()}
        changed = self._parameters.changed()
        if changed:
            cfg["set"] = changed
        cfg.update(self._settings)
        if "vary" in cfg:
            cfg["vary"] = {k: _jsonable(v, f"vary '{k}'") for k, v in cfg["vary"].items()}
        return json.loads(json.dumps(cfg, allow_nan=False))

    def to_json(self, path: Union[str, os.PathLike, None] = None, indent: int = 2) -> str:
        """The config as JSON text; also written to `path` when given.

        Parameters
        ----------
        path : str or path-like, optional
            File to write (for ``ionflux sweep PATH --output OUT.h5``).
        indent : int, optional
            Indentation of the JSON text.

        Returns
        -------
        str
            The JSON text.
        """
        text = json.dumps(self.config(), indent=indent, allow_nan=False)
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text + "\n")
        return text

    def _new_runner(self, cells: Optional[Any] = None) -> Any:
        """The compiled sweep (all cells, or `cells` (first, last)): the set object and the
        settings, read and checked by the same C++ as a config (make_sweep_spec)."""
        core, label = self._parameters._sweep_set()
        return _core.SweepRunner(core, label, self._settings, "ionflux.Sweep", cells)

    @property
    def n_cells(self) -> int:
        """Number of cells in the sweep."""
        return self._n_cells

    @property
    def varied(self) -> List[str]:
        """The varied names, in the order of `vary` (the order of the file's inputs)."""
        return list(self._varied)

    @property
    def bytes_per_cell(self) -> int:
        """Memory one cell needs while it runs on a GPU [bytes]."""
        return self._bytes_per_cell

    @property
    def parameters(self) -> ParameterSet:
        """A copy of the base parameter set (with its changes)."""
        return self._parameters.copy()

    def _protocol(self) -> Dict[str, Any]:
        """The config's protocol keys ("experiment", "cycles"), for `SweepResult.solution`."""
        return {k: self._settings[k] for k in ("experiment", "cycles") if k in self._settings}

    def __repr__(self) -> str:
        varied = ", ".join(self._varied) if self._varied else "nothing varied"
        return f"<ionflux.Sweep: {self._parameters.name}, {self._n_cells} cells ({varied}){self._description}>"

    # -- running --------------------------------------------------------------------------
    @translate_core_errors
    def run(
        self,
        device: str = "auto",
        output: Union[str, os.PathLike, None] = None,
        threads: Optional[int] = None,
        memory_budget: Optional[int] = None,
        progress: bool = True,
        client: Any = None,
        partitions: Optional[int] = None,
        resume: bool = False,
        overwrite: bool = False,
    ) -> SweepResult:
        """Run every cell; the results in memory, and in an HDF5 file if `output` is given.

        The solver runs in a background thread; this thread shows a progress bar
        (`tqdm.auto`, a widget in notebooks). Ctrl-C (KeyboardInterrupt) stops the
        sweep within about a second: the cells finished so far are kept, and the
        KeyboardInterrupt is re-raised. With `output`, the file is closed with its
        ``status`` attribute starting with ``"interrupted"`` (`ionflux.load` reads the
        partial file); without, the exception's ``partial_result`` is a `SweepResult`
        of the finished cells (the others have status -1, not run).

        Parameters
        ----------
        device : {"auto", "cpu", "cuda"}, optional
            ``"auto"`` takes a usable GPU, else the CPU.
        output : str or path-like, optional
            An HDF5 file to write as well (overwritten; docs/hdf5_layout.md). By
            default none: the results stay in memory (numpy arrays), and neither HDF5
            nor h5py is needed. In-memory and file results hold identical arrays. With
            `output`, the returned results read the file on demand (h5py); where h5py
            is not installed they are kept in memory as well.
        threads : int, optional
            CPU threads (default: all cores).
        memory_budget : int, optional
            Bytes of memory for one chunk of cells (default: 80% of free GPU memory,
            or 1 GiB on the CPU); smaller budgets give more, smaller chunks.
        progress : bool, optional
            Show a progress bar (default True).
        client : distributed.Client, cluster or str, optional
            Run on a Dask cluster instead of this process (docs/distributed.md): a
            ``distributed.Client``, a cluster object (``LocalCluster``,
            ``dask_cuda.LocalCUDACluster``, ``dask_jobqueue.SLURMCluster``, ...) or
            a scheduler address (``"tcp://host:8786"``). The cells are split into
            `partitions` ranges, each run by one worker on its GPU if it has one
            (`device` ``"auto"``), else on its CPU cores (`threads` per worker, by
            default the worker's threads); each worker plans only its partitions'
            cells. The partitions come back as arrays as they finish: without
            `output` assembled in cell order into the same in-memory results as a
            run in this process (no HDF5, no h5py); with `output` written straight,
            in cell order, into the one file (h5py needed here, not on the
            workers), identical to a run in this process. A worker that dies has its partitions run again: no cell is
            lost or repeated. Needs ``pip install "ionflux[distributed]"``.
        partitions : int, optional
            With `client`: the number of partitions, of equal sizes (default: guided
            sizes, big first and small last, from the number of workers connected;
            see docs/distributed.md).
        resume : bool, optional
            Continue an interrupted run in `output` instead of starting it again: the
            file must come from the same sweep and ionflux version (else ValueError);
            its finished cells are kept and only the others run, so the file ends as an
            uninterrupted run's (`ionflux sweep CONFIG --output FILE --resume` does the
            same from the command line; docs/hdf5_layout.md, "Interrupting and
            resuming"). Needs `output`. With `client`, the file is checked and cut back
            here and the cells it lacks are split into partitions for the workers (each
            worker runs its own ranges of the missing cells), written into the file as
            they come; the file ends as an uninterrupted run's.
        overwrite : bool, optional
            Replace `output` where it holds a sweep that was not finished (interrupted,
            failed or killed), which is otherwise refused with a ValueError (its finished
            cells would be lost; ``resume=True`` keeps them). A complete sweep file, or
            any other file, is replaced without it.

        Returns
        -------
        SweepResult
            The results: in memory, or read from `output` when given.
            ``result[i]`` is cell i as a `Solution`.

        Raises
        ------
        ValueError
            For an unknown or unusable device, an unwritable output file, or bad
            `threads` / `memory_budget` / `partitions`.
        ConnectionError
            With `client` an address: when no scheduler answers there.
        ImportError
            With `client`: when dask.distributed is not installed.
        RuntimeError
            For a failure while running (bad cells do not raise: they get a status).

        Warns
        -----
        SolverWarning
            When some cells did not end normally: the count per status (failed cells,
            whose capacity, energy and mean voltage are NaN, and cells truncated at
            the end time). See `SweepResult.failed` and `SweepResult.abnormal_counts`.
        KeyboardInterrupt
            Re-raised after an interrupted sweep has been written.
        """
        if not isinstance(device, str):
            raise TypeError(f"device must be a str ('auto', 'cpu' or 'cuda'), got {type(device).__name__}")
        if threads is None:
            threads = 0
        elif not isinstance(threads, numbers.Integral) or isinstance(threads, bool) or threads < 1:
            raise ValueError(f"threads must be a positive integer, got {threads!r}")
        if memory_budget is None:
            memory_budget = 0
        elif not isinstance(memory_budget, numbers.Integral) or isinstance(memory_budget, bool) or memory_budget < 1:
            raise ValueError(f"memory_budget must be a positive number of bytes, got {memory_budget!r}")

        # the memory sink: numpy arrays, no file, no h5py; with an output but no h5py to
        # read it back, the results are kept in memory as well as written
        in_memory = output is None or not _h5py_available()
        path = ""
        if resume and overwrite:
            raise ValueError("resume=True continues the file and overwrite=True replaces it: give one of them")
        if output is not None:
            path = os.fspath(output)  # type: ignore[arg-type]
            _check_writable(path)
            if not resume and not overwrite:  # an unfinished sweep's cells are not lost by a re-run
                _core.check_not_unfinished(path, "resume=True", "overwrite=True")
        if resume:
            if output is None:
                raise ValueError("resume=True continues an interrupted HDF5 file: give it as output=")
            if not _h5py_available():
                raise ImportError("resume=True returns the results read from the resumed file, which needs h5py "
                                  "(pip install h5py); or resume from the command line: ionflux sweep CONFIG "
                                  "--output FILE --resume")
            if not os.path.exists(os.fspath(output)):  # type: ignore[arg-type]
                raise ValueError(f"resume=True: {os.fspath(output)!r} does not exist; "  # type: ignore[arg-type]
                                 "run without resume to start the sweep")
        if partitions is not None and client is None:
            raise ValueError("partitions is for runs on a Dask cluster: give client= too")
        try:
            if client is not None:
                from . import distributed

                attributes = distributed.sweep_attributes(self._runner) if self._runner is not None else None
                # resumed: the file is checked and cut back here, the workers run the cells it lacks
                status = (self._runner or self._new_runner()).resume_status(path) if resume else None
                info = distributed.run_sweep(self.to_json(), "ionflux.Sweep", client, path or None, self._n_cells,
                                             partitions=partitions, device=device, threads=threads or None,
                                             memory_budget=int(memory_budget), progress=progress,
                                             attributes=attributes, resume_status=status, planner=self._runner)
            else:
                runner = self._runner if self._runner is not None else self._new_runner()
                self._runner = None  # a runner is used once (its cancel flag stays set)
                info = _drive(runner, path, device, int(threads), int(memory_budget), progress, in_memory and not resume,
                              resume=resume)
        except KeyboardInterrupt as e:
            partial = getattr(e, "_ionflux_info", None)
            if client is None and in_memory and partial is not None:
                e.partial_result = SweepResult(run_info=partial, varied=self._varied,  # type: ignore[attr-defined]
                                               memory=partial.pop("memory"))
                e.partial_result._sweep_config = self._protocol()  # type: ignore[attr-defined]
                print("ionflux: sweep interrupted; the finished cells are in the exception's partial_result",
                      file=sys.stderr)
            elif path and os.path.exists(path):
                print(f"ionflux: sweep interrupted; the finished cells are in {path} "
                      f"(ionflux.load({path!r}))", file=sys.stderr)
            raise
        memory = info.pop("memory", None)
        result = SweepResult(path or None, run_info=info, varied=self._varied, memory=memory)
        result._sweep_config = self._protocol()  # for result[i]: the cell's experiment
        result._warn_abnormal(stacklevel=4)  # run <- translate_core_errors' wrapper <- the caller
        _warn_cut_short(result)
        skipping = int(info.get("cells_with_skipped_steps", 0))
        if skipping:
            warnings.warn(f"{skipping} of {result.n_cells} cells skipped a step because its end condition already "
                          f"held when it began (PyBaMM skips such steps too; first: cell "
                          f"{info.get('first_skipping_cell', 0)}); such steps have a duration of 0 in "
                          f"SweepResult.steps", SolverWarning, stacklevel=3)
        return result


def _warn_cut_short(result: SweepResult) -> None:
    """A `SolverWarning` when a voltage cut-off of the set stopped cells' experiments early."""
    cut = [i for i, m in enumerate(result.messages) if exp.CUT_SHORT_MARK in str(m)]
    if cut:
        warnings.warn(f"{len(cut)} of {result.n_cells} cells: a voltage cut-off of the parameter set stopped the "
                      f"experiment before its end (first: cell {cut[0]}: "
                      f"{result.messages[cut[0]]}); see SweepResult.messages", SolverWarning, stacklevel=4)


def _h5py_available() -> bool:
    """Can h5py be imported (to read a sweep file back)?"""
    import importlib.util

    try:
        return importlib.util.find_spec("h5py") is not None
    except (ImportError, ValueError):
        return False


def _check_writable(path: str) -> None:
    """Raise ValueError, as the solver would, if `path` cannot be created or overwritten.

    Checked here, in the calling thread, so that the common mistakes are reported
    before the solver's thread starts.
    """
    reason = None
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        reason = "Is a directory"
    elif not os.path.isdir(folder):
        reason = "No such file or directory"
    elif not os.access(folder, os.W_OK | os.X_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        reason = "Permission denied"
    if reason is not None:
        raise ValueError(f"cannot create HDF5 file '{path}': {reason}")


def _cells_in_file(path: str) -> int:
    """Cells whose status is in an interrupted sweep file (0 where it cannot be read: the
    run then says what is wrong with it)."""
    try:
        import h5py

        with h5py.File(path, "r", swmr=True) as f:  # (a killed writer leaves it SWMR-marked)
            return int((f["cells/status"][()] != -1).sum())
    except (OSError, KeyError, ValueError):
        return 0


def _drive(runner: Any, path: str, device: str, threads: int, memory_budget: int, progress: bool,
           keep_in_memory: bool = False, resume: bool = False) -> Dict[str, Any]:
    """Run `runner` in a background thread; poll progress; cancel on KeyboardInterrupt.

    Completion is signalled by an Event set after ``runner.run`` has returned, not by
    ``Thread.join``: a KeyboardInterrupt that lands inside ``Thread.join`` can leave
    the Thread marked as stopped while it still runs (CPython 3.11), and returning
    while the solver is still inside ``run`` would leave the file open.
    """
    outcome: Dict[str, Any] = {}
    finished = threading.Event()

    def work() -> None:
        try:
            outcome["info"] = runner.run(path, device, threads, memory_budget, keep_in_memory=keep_in_memory,
                                         resume=resume)
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller
            outcome["error"] = e
        finally:
            finished.set()

    thread = threading.Thread(target=work, name="ionflux-sweep", daemon=True)
    bar = None
    if progress:
        with warnings.catch_warnings():  # no ipywidgets in a notebook: a text bar, silently
            warnings.simplefilter("ignore")
            from tqdm.auto import tqdm

        # a resumed file's finished cells are kept, not run: the bar starts at them, so
        # that its rate and time left are this run's (tqdm's rate counts from `initial`)
        kept = _cells_in_file(path) if resume else 0
        bar = tqdm(total=int(runner.n_cells), initial=kept, unit="cell", desc="ionflux sweep", dynamic_ncols=True)

    def show() -> None:
        if bar is not None:
            done = int(runner.progress()[0])
            if done > bar.n:
                bar.update(done - bar.n)

    started = False
    try:
        try:
            thread.start()
            started = True
            while not finished.wait(POLL_INTERVAL):
                show()
                if _poll_hook is not None:
                    _poll_hook(runner)
        except KeyboardInterrupt:
            runner.cancel()
            give_up = time.monotonic() + 2.0  # only if interrupted inside thread.start()
            while True:  # further Ctrl-Cs while stopping are ignored: the file must be closed
                try:
                    if finished.wait(POLL_INTERVAL) or (not started and time.monotonic() > give_up):
                        break
                    show()
                except KeyboardInterrupt:
                    continue
            if "info" in outcome:  # what finished, for the caller (Sweep.run: partial_result)
                sys.exc_info()[1]._ionflux_info = dict(outcome["info"])  # type: ignore[union-attr]
            raise
        finally:
            if finished.is_set():
                thread.join(5.0)  # only returns from work() now
        show()
    finally:
        if bar is not None:
            bar.close()
    if "error" in outcome:
        raise outcome["error"]
    return dict(outcome["info"])
