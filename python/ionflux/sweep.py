"""Parameter sweeps: `Sweep` builds a sweep config and runs it in the compiled solver."""
from __future__ import annotations

import json
import numbers
import os
import sys
import tempfile
import threading
import time
import warnings
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

import numpy as np

from . import _core
from . import _options as opt
from ._errors import translate_core_errors
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


class Sweep:
    """Many cells that differ in some parameters, run together by the compiled solver.

    All cells share one parameter set, mesh, solver options and constant-current
    protocol; `vary` gives the per-cell values. The sweep is described by the same
    config as ``ionflux sweep CONFIG.json`` (see ``docs/sweep_config.md``); `config`
    returns it. The config is checked when the Sweep is created, so mistakes raise
    here, before anything runs.

    Parameters
    ----------
    parameters : str or ParameterSet, optional
        The base set, by default ``"Chen2020"``. For a `ParameterSet`, its changes
        from the built-in set (`ParameterSet.changed`) become the config's ``set``.
    vary : dict, optional
        Name → values. Names are parameter names (units included) or ``"C-rate"``,
        ``"Current [A]"``, ``"Initial SOC"``. Values are a list or array of
        numbers, or one of ``{"linspace": [start, stop, count]}``,
        ``{"logspace": [start, stop, count]}``, ``{"uniform": [low, high]}``,
        ``{"loguniform": [low, high]}``. Without `vary` the sweep is one cell.
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
        ``"Current [A]"`` or ``"Initial SOC"`` overrides them).

    Raises
    ------
    KeyError
        For an unknown parameter name (the message suggests the closest names).
    ValueError
        For any other problem with the config (the message names the key).

    Examples
    --------
    >>> sweep = ionflux.Sweep("Chen2020", vary={
    ...     "Negative particle radius [m]": {"linspace": [2e-6, 1e-5, 5]},
    ...     "C-rate": [0.5, 1, 2]})
    >>> sweep.n_cells
    15
    >>> result = sweep.run()
    >>> result.summary["Discharge capacity [A.h]"].max()
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
        initial_soc: Optional[float] = None,
        mesh: Optional[Mapping[str, int]] = None,
        solver: Optional[Mapping[str, float]] = None,
        period: Optional[float] = None,
        t_end: Optional[float] = None,
    ) -> None:
        self._parameters = as_parameter_set(parameters)
        opt.check_current(c_rate, current)
        if vary is not None and not isinstance(vary, Mapping):
            raise TypeError(f"vary must be a dict of name -> values, got {type(vary).__name__}")
        cfg: Dict[str, Any] = {"parameters": self._parameters.name}
        changed = self._parameters.changed()
        if changed:
            cfg["set"] = changed
        items = [("mesh", mesh), ("solver", solver), ("period", period), ("t_end", t_end), ("c_rate", c_rate),
                 ("current", current), ("initial_soc", initial_soc)]
        for key, value in items:
            if value is not None:
                cfg[key] = _jsonable(value, key)
        if vary:
            cfg["vary"] = {str(k): _jsonable(v, f"vary '{k}'") for k, v in vary.items()}
        if combine != "grid":
            cfg["combine"] = _jsonable(combine, "combine")
        for key, extra in (("samples", samples), ("sampling", sampling), ("seed", seed)):
            if extra is not None:
                cfg[key] = _jsonable(extra, key)
        self._config = cfg
        self._json = json.dumps(cfg, indent=2, allow_nan=False)
        self._runner: Optional[Any] = _core.SweepRunner(self._json, "ionflux.Sweep")
        self._n_cells = int(self._runner.n_cells)
        self._varied = list(self._runner.varied)
        self._bytes_per_cell = int(self._runner.bytes_per_cell)

    # -- description ----------------------------------------------------------------------
    def config(self) -> Dict[str, Any]:
        """The sweep config, as ``ionflux sweep`` reads it from a JSON file.

        Returns
        -------
        dict
            ``parameters`` (the base set name), ``set`` (changed parameters), the
            run options that were given, ``vary``, ``combine``, ``samples``,
            ``sampling``, ``seed``.
        """
        return json.loads(self._json)

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
        text = json.dumps(self._config, indent=indent, allow_nan=False)
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text + "\n")
        return text

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

    def __repr__(self) -> str:
        varied = ", ".join(self._varied) if self._varied else "nothing varied"
        return f"<ionflux.Sweep: {self._parameters.name}, {self._n_cells} cells ({varied})>"

    # -- running --------------------------------------------------------------------------
    @translate_core_errors
    def run(
        self,
        device: str = "auto",
        output: Union[str, os.PathLike, None] = None,
        threads: Optional[int] = None,
        memory_budget: Optional[int] = None,
        progress: bool = True,
    ) -> SweepResult:
        """Run every cell, writing the results to an HDF5 file.

        The solver runs in a background thread; this thread shows a progress bar
        (`tqdm.auto`, a widget in notebooks). Ctrl-C (KeyboardInterrupt) stops the
        sweep within about a second: the cells finished so far are written, the file
        is closed with its ``status`` attribute starting with ``"interrupted"``, and
        the KeyboardInterrupt is re-raised (`ionflux.load` reads the partial file).

        Parameters
        ----------
        device : {"auto", "cpu", "cuda"}, optional
            ``"auto"`` takes a usable GPU, else the CPU.
        output : str or path-like, optional
            The HDF5 file to write (overwritten). By default a temporary file that is
            deleted when the returned `SweepResult` is garbage-collected.
        threads : int, optional
            CPU threads (default: all cores).
        memory_budget : int, optional
            Bytes of memory for one chunk of cells (default: 80% of free GPU memory,
            or 1 GiB on the CPU); smaller budgets give more, smaller chunks.
        progress : bool, optional
            Show a progress bar (default True).

        Returns
        -------
        SweepResult
            The results, read from the file.

        Raises
        ------
        ValueError
            For an unknown or unusable device, an unwritable output file, or bad
            `threads` / `memory_budget`.
        RuntimeError
            For a failure while running (bad cells do not raise: they get a status).
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

        temporary = output is None
        if temporary:
            fd, path = tempfile.mkstemp(prefix="ionflux-sweep-", suffix=".h5")
            os.close(fd)
        else:
            path = os.fspath(output)  # type: ignore[arg-type]
            _check_writable(path)
        runner = self._runner if self._runner is not None else _core.SweepRunner(self._json, "ionflux.Sweep")
        self._runner = None  # a runner is used once (its cancel flag stays set)
        try:
            info = _drive(runner, path, device, int(threads), int(memory_budget), progress)
        except KeyboardInterrupt:
            if os.path.exists(path):
                print(f"ionflux: sweep interrupted; the finished cells are in {path} "
                      f"(ionflux.load({path!r}))", file=sys.stderr)
            raise
        except BaseException:
            if temporary and os.path.exists(path):
                os.remove(path)
            raise
        return SweepResult(path, run_info=info, temporary=temporary, varied=self._varied)


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


def _drive(runner: Any, path: str, device: str, threads: int, memory_budget: int, progress: bool) -> Dict[str, Any]:
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
            outcome["info"] = runner.run(path, device, threads, memory_budget)
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

        bar = tqdm(total=int(runner.n_cells), unit="cell", desc="ionflux sweep", dynamic_ncols=True)

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
