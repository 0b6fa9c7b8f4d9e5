"""Type stubs for ``ionflux._core``, the compiled solver (pybind11).

Use the `ionflux` package; this module is its thin binding layer. Error mapping:
an unknown parameter raises `UnknownParameterError` (a `KeyError`), other input
errors raise `ValueError`, run-time failures `RuntimeError`.
"""
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, overload


__version__: str

class UnknownParameterError(KeyError): ...
class IonfluxRuntimeError(RuntimeError): ...

def has_cuda() -> bool:
    """True when ionflux was built with the CUDA backend."""

def has_hdf5() -> bool:
    """True when ionflux was built with HDF5 output."""

def cuda_available() -> bool:
    """True when a CUDA device is usable now."""

def devices() -> List[Dict[str, str]]:
    """The devices a sweep can run on: dicts with ``name`` and ``description``."""

def builtin_sets() -> List[str]:
    """Names of the built-in parameter sets."""

def load_bpx(path: str) -> "ParameterSet":
    """A BPX file (0.x or 1.x) as a parameter set, mapped as PyBaMM's create_from_bpx;
    ValueError for a file that cannot be read or mapped."""

def check_parameter_range(name: str, value: float) -> None:
    """Raise ValueError if `value` is outside the named parameter's physical range."""

def default_end_time(params: "ParameterSet", current: float, soc: Optional[float] = None,
                     thermal: str = "isothermal") -> float:
    """The default end [s] of a constant-current run, from the cell's theoretical capacity."""

def function_parameters() -> List[str]:
    """Names of the parameters that may be functions (expressions, tables)."""

class ParameterSet:
    """A parameter set (built-in name or file), keyed by PyBaMM names."""

    def __init__(self, name_or_file: str) -> None: ...
    @property
    def name(self) -> str: ...
    def names(self) -> List[str]: ...
    def contains(self, key: str) -> bool: ...
    def is_function(self, key: str) -> bool: ...
    def get(self, key: str) -> float:
        """Scalar value; UnknownParameterError if unknown, ValueError for a function."""
    def function_name(self, key: str) -> str:
        """The function's name ("" for a scalar)."""
    def set(self, key: str, value: float) -> None:
        """Set a scalar (range-checked; replaces a function by a constant)."""
    def closest_names(self, key: str, count: int = 3) -> List[str]: ...
    def validate(self) -> None:
        """Checks that involve several parameters; ValueError on failure."""
    def copy(self) -> "ParameterSet": ...
    @property
    def description(self) -> str: ...
    def renamed(self, name: str, description: str) -> "ParameterSet":
        """A copy under another name and description (what a sweep's file records)."""
    def set_expression(self, key: str, text: str) -> None:
        """Make a function parameter an expression (ValueError with the position on a bad one)."""
    def set_table(self, key: str, x: Sequence[float], y: Sequence[float], interpolator: str = "pchip",
                  expression: str = "") -> None:
        """Make a function parameter a table ("linear", "pchip" or "cubic"), optionally inside an expression."""
    def user_function(self, key: str) -> Optional[Dict[str, Any]]:
        """{"expression", and for a table "x", "y", "interpolator"}, or None for a number or a built-in."""
    def to_json(self) -> str:
        """The whole set as an ionflux parameter file."""

def simulate(
    params: ParameterSet,
    current: float,
    soc: Optional[float] = None,
    mesh: Dict[str, int] = ...,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    period: float = 0.0,
    t_end: float = 0.0,
    t_eval: Sequence[float] = ...,
    store_states: bool = True,
    experiment: Sequence[Sequence[str]] = ...,
    cycles: int = 1,
    thermal: str = "isothermal",
    base_dir: str = ".",
    max_steps: int = ...,
    max_wall_time: float = 0.0,
    options: Dict[str, Any] = ...,
    termination: Sequence[str] = ...,
    progress: Optional[Callable[[float, int], None]] = None,
) -> Dict[str, Any]:
    """One run of one cell (GIL released while solving): a constant current, or an
    experiment.

    `experiment` is a list of cycles, each a list of PyBaMM step strings; the whole
    list runs `cycles` times. With an experiment, `current` is ignored (the steps
    set it). `thermal` is "isothermal" or "lumped". Drive-cycle files in steps are
    read relative to `base_dir`. A bad step string raises ValueError naming the step
    (number and text) and the offending word.

    Returns a dict: "Time [s]", "Voltage [V]", "Current [A]", "Discharge capacity
    [A.h]", "Temperature [K]", "Step", "Cycle" (1-D float arrays, one value per
    output; Step and Cycle are 0 for a constant-current run); "steps" (list of dicts,
    one per step that ran, with keys "step", "cycle", "text", "start time [s]", "end
    time [s]", "duration [s]", "capacity [A.h]", "energy [W.h]", "ended by");
    "status", "message" (str); "end_time", "discharge_capacity", "energy",
    "wall_time" (float); "stats" (dict of int); and with store_states the grids "x
    [m]", "x_n [m]", "x_p [m]" and the (n_times, n_nodes) fields.
    """

def cycle_summaries(steps: Dict[str, Any], step_cycle: List[int], n_cycles: int) -> Dict[str, Any]:
    """Per-cycle summaries from per-step records: the one reducer (solver/output/results.hpp).

    `steps`: "Start time [s]", "End time [s]", "Capacity [A.h]", "Energy [W.h]" and
    optionally "Discharge capacity [A.h]", "Charge capacity [A.h]", "Discharge energy
    [W.h]", "Charge energy [W.h]": float arrays of shape (..., n_steps), NaN for steps
    not reached. Returns "Start time [s]", "End time [s]", "Duration [s]", "Net capacity
    [A.h]" (the per-step "Capacity [A.h]" summed), the split quantities, efficiencies,
    throughputs and temperatures, each (..., n_cycles).
    """

def summary_variable_names() -> List[str]:
    """PyBaMM's per-cycle summary variable names ionflux gives (solver/output/summary.hpp), in order."""

def solve_esoh(parameters: ParameterSet, Q_n: float, Q_p: float, Q_Li: float) -> Dict[str, float]:
    """The eSOH solve of the summary variables (PyBaMM's ElectrodeSOHSolver with the cyclable
    lithium capacity known): "x_100", "y_100", "x_0", "y_0", "Un(x_100)", "Up(y_100)",
    "Un(x_0)", "Up(y_0)", "Capacity [A.h]"; NaN where the OCV limits are not reached."""

def check_experiment(experiment: Sequence[Sequence[str]], params: Optional[ParameterSet] = None, cycles: int = 1,
                     base_dir: str = ".") -> int:
    """Parse step strings (one list per cycle) against `params`, or without a set against
    Chen2020 with cut-offs wide open (the grammar and units only). Returns the number of
    steps; ValueError naming the step and the offending word."""

class SweepFile:
    """A sweep file held open by the single process's HDF5 writer (SweepRunner.open_file),
    in SWMR mode, for a Dask driver to write the partitions into."""

    status_codes: str  # "-1: not_run, 0: running, 1: finished, ..."
    @property
    def status_in_file(self) -> Any:
        """Per cell, the status the file held when it was opened (int32 array, -1: not in it)."""
    @property
    def kept_counts(self) -> Dict[str, int]:
        """The cells in the file when it was opened, counted as a run counts its own:
        "cells_with_skipped_steps", "first_skipping_cell"."""
    def write(self, first: int, part: Dict[str, Any]) -> None:
        """A partition's results (SweepRunner.run's "memory" for the sweep's cells [first,
        first + n)) into the file as a single process's chunk goes in: its outputs after
        those written, its rows to its cells, /cells/status last, flushed (GIL released
        while writing). ValueError / RuntimeError when the arrays do not fit the file."""
    def set_attribute(self, name: str, value: str) -> None:
        """Add or replace a string root attribute."""
    @property
    def is_open(self) -> bool:
        """False once closed, by close() or by a write that failed in the file (marked
        "failed: ..." by the writer where it could be)."""
    def close(self) -> None:
        """Flush and close the file (again: nothing)."""

class SweepRunner:
    """A sweep planned from a JSON config; run() writes the HDF5 file and/or keeps the
    results in memory."""

    @overload
    def __init__(self, config_json: str, source: str = "python",
                 cells: Optional[Tuple[int, int]] = None, planned: Optional[Dict[str, Any]] = None) -> None:
        """Plan the sweep, or only its cells [first, last) of `cells` (O(range): no other
        cell's values or records are made; run() then runs that range). `planned`: what the
        whole sweep's plan found for those cells (`planned_range` of a runner of the whole
        sweep): no cell record is then built (ValueError when it does not fit the range)."""
    @overload
    def __init__(self, params: ParameterSet, label: str, settings: Dict[str, Any], source: str = "python",
                 cells: Optional[Tuple[int, int]] = None) -> None:
        """The same from the set object and the config's other keys as Python values (lists,
        dicts, numbers, 1-D float arrays): Python's Sweep, no JSON text; `label` is the
        file's "parameter set" attribute."""
    @property
    def n_cells(self) -> int:
        """Cells planned: the range's, or the sweep's."""
    @property
    def sweep_cells(self) -> int:
        """Cells of the whole sweep."""
    @property
    def first_cell(self) -> int:
        """The sweep's number of the first planned cell (0 unless a range)."""
    @property
    def planned_cells(self) -> int:
        """Cells whose inputs planning built (the range's, none with `planned`, plus the
        sweep's cell 0 once more where a range's protocol is checked)."""
    def planned_range(self, first: int, last: int) -> Dict[str, Any]:
        """What this plan found for the sweep's cells [first, last), for a worker that plans
        them again (`planned`): ``invalid`` and ``end_invalid`` (lists of (cell counted from
        `first`, message): invalid from their values, or from their default end time),
        ``currents`` and ``t_end`` (float64 arrays; ``t_end`` None when the sweep gives it),
        ``initial_soc`` (float64 array: each cell's SOC where the sweep starts at a voltage,
        NaN for a cell that has none; else None)."""
    @property
    def attributes(self) -> Dict[str, str]:
        """The root attributes of this plan's file (docs/hdf5_layout.md)."""
    @property
    def varied(self) -> List[str]: ...
    @property
    def warnings(self) -> List[str]: ...
    @property
    def bytes_per_cell(self) -> int: ...
    def run(self, output: str, device: str = "auto", threads: int = 0, memory_budget: int = 0,
            cells: Optional[Tuple[int, int]] = None, keep_in_memory: bool = False) -> Dict[str, Any]:
        """Run every planned cell, or the cells [first, last) of `cells` (the sweep's cell
        numbers, within the planned range) (GIL released). `output`
        "": results in memory only (the memory sink); otherwise the HDF5 file (a range's
        file holds its rows and /cells/index), and with keep_in_memory both. Returns
        device, device_description, bytes_per_cell, chunks, wall_time, cancelled,
        not_run, status_counts, ...; with the memory sink also "memory": the datasets
        named as in the file ("cells/Time [s]", ..., "inputs": name -> array, "attrs")."""
    def resume_status(self, output: str) -> Any:
        """Check `output` is an interrupted file of this sweep and cut back its unfinished
        outputs, as run(resume=True) does, then close it: its status per cell (int32
        array, -1: not in the file). For a resume on a Dask cluster."""
    def open_file(self, output: str, resume: bool = False) -> "SweepFile":
        """Create `output` as run(output) creates it before its first chunk (every dataset,
        the inputs and the root attributes; every status -1), or with `resume` reopen an
        interrupted file of this sweep (checked and cut back as resume_status does), and
        keep it open in HDF5's SWMR mode (readers may open it meanwhile): a Dask driver
        writes the partitions into it (SweepFile.write). ValueError when it cannot be
        created or continued."""
    def progress(self) -> Tuple[int, int, float]:
        """(cells done, cells of this run, seconds elapsed); callable from another thread."""
    def cancel(self) -> None:
        """Ask a running run() to stop after the cells in flight (callable from another thread)."""

# Parameter functions evaluated by the kernels' code, experiment checks (issue 13).
def function_arguments(key: str) -> List[str]:
    """The arguments of a function parameter, in call order (['sto'], ['c_e', 'T'], ...)."""

def evaluate_function(params: ParameterSet, key: str, args: Sequence[Any]) -> Any:
    """Parameter `key` of `params` at the points `args` (one flat array per argument), as the solver evaluates it."""

def step_end_name(end_code: float, t_start: float, t_end: float) -> str:
    """How a step ended, from /steps/End code and its times ('duration', 'end condition',
    'cut-off', 'failure', 'end time', 'skipped'; '' for NaN)."""

def known_parameters() -> List[str]:
    """Every parameter name a parameter file may set."""

def soc_at_voltage(params: ParameterSet, volts: float) -> float:
    """The initial SOC whose open-circuit voltage is `volts` (PyBaMM's initial_soc='3.9 V')."""

def check_not_unfinished(path: str, resume: str, overwrite: str) -> None:
    """ValueError where `path` holds a sweep a run did not finish (interrupted, failed, killed)."""

def parse_parameter_file(text: str, source: str) -> ParameterSet:
    """A parameter set from a parameter file's text (`source` names it in messages)."""


def describe_model_options(options: Dict[str, Any]) -> Dict[str, str]:
    """PyBaMM's model-option dict (values strings or 2-tuples) resolved as PyBaMM 26.10
    resolves it: {name: value} for every degradation option. ValueError for what
    PyBaMM refuses, unknown names or values (with the closest), or what ionflux does
    not support."""

def model_option_names() -> List[str]:
    """The model option names ionflux accepts."""
