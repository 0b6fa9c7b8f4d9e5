"""ionflux: a DFN lithium-ion cell solver for single cells and large parameter sweeps.

The API follows PyBaMM's names where it can:

* `ParameterSet` — a parameter set as a dict keyed by PyBaMM's names;
* `Simulation` / `Solution` — one cell at a constant current or through an experiment
  (PyBaMM's step strings, e.g. ``"Hold at 4.2 V until C/50"``), isothermal or with
  PyBaMM's lumped thermal model, with internal fields and per-step/per-cycle records;
* `Sweep` / `SweepResult` — many cells at once on the CPU or a GPU, streamed to an
  HDF5 file; `load` reads such a file back (also one written by ``ionflux sweep``).

Examples
--------
>>> import ionflux
>>> sol = ionflux.Simulation("Chen2020", c_rate=1).solve()
>>> sol["Voltage [V]"]
>>> res = ionflux.Sweep("Chen2020", vary={"C-rate": [0.5, 1, 2]}).run()
>>> res.summary
>>> sol = ionflux.Simulation("Chen2020", thermal="lumped", experiment=[
...     ("Discharge at 1C until 2.5 V", "Charge at 1C until 4.2 V", "Hold at 4.2 V until C/50")] * 3).solve()
>>> sol.cycle_summary["Coulombic efficiency"]
>>> sol.cycles[0].steps[1]["Voltage [V]"]
"""
from . import _core
from ._errors import SolverWarning, UnitWarning, UnknownParameterError, UnknownVariableError
from ._pybamm import Experiment, PyBaMMConversionWarning
from .parameters import ParameterFunction, ParameterSet, TabulationWarning, parameter_sets
from .result import SweepResult, load
from .simulation import Simulation, Solution
from .sweep import Sweep
from ._units import to_display_units
from ._experiment import summary_variable_names

__version__: str = _core.__version__

__all__ = [
    "__version__",
    "has_cuda",
    "has_hdf5",
    "cuda_available",
    "devices",
    "parameter_sets",
    "ParameterSet",
    "ParameterFunction",
    "Simulation",
    "Solution",
    "Experiment",
    "PyBaMMConversionWarning",
    "Sweep",
    "SweepResult",
    "load",
    "to_display_units",
    "summary_variable_names",
    "UnknownParameterError",
    "UnknownVariableError",
    "SolverWarning",
    "UnitWarning",
    "TabulationWarning",
]


def has_cuda() -> bool:
    """Whether ionflux was built with its CUDA backend.

    Returns
    -------
    bool
        True for a CUDA build (a GPU may still be missing: see `cuda_available`).
    """
    return bool(_core.has_cuda())


def cuda_available() -> bool:
    """Whether a CUDA device is usable now (a CUDA build, a driver and a GPU).

    Returns
    -------
    bool
        True when ``Sweep.run(device="cuda")`` can run.
    """
    return bool(_core.cuda_available())


def has_hdf5() -> bool:
    """Whether ionflux was built with HDF5 output (needed by `Sweep.run`).

    Returns
    -------
    bool
        True when sweeps can write their HDF5 files.
    """
    return bool(_core.has_hdf5())


def devices() -> "list[dict[str, str]]":
    """The devices a sweep can run on now.

    Returns
    -------
    list of dict
        One ``{"name": ..., "description": ...}`` per device: always ``"cpu"``, and
        ``"cuda"`` (with the GPU's name) when a GPU is usable.

    Examples
    --------
    >>> ionflux.devices()
    [{'name': 'cpu', 'description': 'CPU (OpenMP over cells)'}]
    """
    return [{"name": str(d["name"]), "description": str(d["description"])} for d in _core.devices()]


def __dir__() -> "list[str]":
    # The public API only: no typing helpers or submodules in dir(ionflux) / tab completion.
    return sorted(__all__)
