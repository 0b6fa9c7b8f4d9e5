"""Experiments (protocols) and thermal options shared by `Simulation` and `Sweep`.

The step strings themselves are parsed by the compiled solver (docs/experiments.md);
this module only groups them into cycles the way PyBaMM does and checks the types; per-cycle
summaries come from the compiled solver's one reducer (`cycle_summaries`).
"""
from __future__ import annotations

import numbers
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ._errors import did_you_mean

#: The thermal models.
THERMAL_MODELS = ("isothermal", "lumped")

#: Per-cycle quantities, in the order of `Solution.cycles` and `SweepResult.cycles`.
CYCLE_QUANTITIES = (
    "Start time [s]",
    "End time [s]",
    "Duration [s]",
    "Net capacity [A.h]",
    "Discharge capacity [A.h]",
    "Charge capacity [A.h]",
    "Energy [W.h]",
    "Discharge energy [W.h]",
    "Charge energy [W.h]",
)

#: Per-cycle results of the same reducer (solver/output/results.hpp CycleSummaries): coulombic
#: efficiency = discharge / charge capacity of the cycle and energy efficiency = discharge /
#: charge energy (NaN when the cycle charged nothing), the throughputs from the start of the
#: run to the cycle's end, the largest and the time-averaged temperature over the cycle.
CYCLE_RESULTS = (
    "Coulombic efficiency",
    "Energy efficiency",
    "Throughput capacity [A.h]",
    "Throughput energy [W.h]",
    "Maximum temperature [K]",
    "Mean temperature [K]",
)

def summary_variable_names() -> Tuple[str, ...]:
    """PyBaMM's per-cycle summary variables that ionflux gives.

    Returns
    -------
    tuple of str
        The names in order (solver/output/summary.hpp): the base names, their ``"Change
        in ..."`` variants and the eSOH names (``"Capacity [A.h]"``, ``"x_100"``, ...).
        Columns of `SweepResult.cycles` and keys of `Solution.summary_variables` after an
        experiment (docs/hdf5_layout.md, "Summary variables", defines each).
    """
    from . import _core

    return tuple(_core.summary_variable_names())


#: Per step (and per cycle, per run): charge and energy moved while discharging and while
#: charging, each >= 0, split where the current changes sign inside a step.
SPLIT_QUANTITIES = ("Discharge capacity [A.h]", "Charge capacity [A.h]", "Discharge energy [W.h]",
                    "Charge energy [W.h]")

#: The per-step datasets of a sweep file (group /steps), besides "Cycle" (files written
#: before ionflux split the steps lack the `SPLIT_QUANTITIES`).
STEP_QUANTITIES = ("Start time [s]", "End time [s]", "Duration [s]", "Capacity [A.h]", "Energy [W.h]") + \
    SPLIT_QUANTITIES

Cycles = List[Tuple[str, ...]]

#: The words that end every cell message of an experiment that a voltage cut-off of the
#: set stopped before its end (solver/inputs/experiment.cpp cut_short_message).
CUT_SHORT_MARK = "ionflux stops an experiment at the set's voltage cut-offs"


def _step(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{where} must be a step string such as 'Discharge at 1C until 2.5 V', "
                        f"got {type(value).__name__} {value!r}")
    if not value.strip():
        raise ValueError(f"{where} is an empty step string")
    return str(value)


def normalize_experiment(experiment: Any) -> Optional[Cycles]:
    """Group an experiment into cycles, as ``pybamm.Experiment`` does.

    Each string of the list is a cycle of its own (one step); each tuple (or list) of
    strings is one cycle. A single string is one one-step cycle. None stays None.

    Returns
    -------
    list of tuple of str, or None
        One tuple of step strings per cycle.
    """
    if experiment is None:
        return None
    if isinstance(experiment, str):
        return [(_step(experiment, "experiment"),)]
    if isinstance(experiment, (bytes, bytearray)) or not hasattr(experiment, "__iter__") or \
            isinstance(experiment, dict):
        raise TypeError("experiment must be a list of step strings and tuples of step strings "
                        f"(one tuple per cycle), got {type(experiment).__name__}")
    cycles: Cycles = []
    for i, item in enumerate(experiment):
        if isinstance(item, str):
            cycles.append((_step(item, f"experiment[{i}]"),))
        elif isinstance(item, (tuple, list)):
            if len(item) == 0:
                raise ValueError(f"experiment[{i}] is an empty cycle; a cycle needs at least one step")
            cycles.append(tuple(_step(s, f"experiment[{i}][{j}]") for j, s in enumerate(item)))
        else:
            raise TypeError(f"experiment[{i}] must be a step string or a tuple of step strings (one cycle), "
                            f"got {type(item).__name__} {item!r}")
    if not cycles:
        raise ValueError("experiment is empty; give at least one step, e.g. ['Discharge at 1C until 2.5 V']")
    return cycles


def check_cycles(cycles: Any, has_experiment: bool, default: Optional[int] = 1) -> Optional[int]:
    """`cycles` as a positive int (None stays None where `default` is None)."""
    if cycles is None:
        return default
    if not isinstance(cycles, numbers.Integral) or isinstance(cycles, bool):
        raise TypeError(f"cycles must be a positive integer, got {type(cycles).__name__} {cycles!r}")
    if int(cycles) < 1:
        raise ValueError(f"cycles must be a positive integer, got {cycles!r}")
    if not has_experiment and int(cycles) != 1:
        raise ValueError("cycles needs an experiment (it repeats the experiment's steps)")
    return int(cycles)


def check_thermal(thermal: Any, allow_none: bool = False) -> Optional[str]:
    """`thermal` checked: ``"isothermal"`` or ``"lumped"``."""
    if thermal is None and allow_none:
        return None
    if not isinstance(thermal, str):
        raise TypeError(f"thermal must be 'isothermal' or 'lumped', got {type(thermal).__name__} {thermal!r}")
    if thermal not in THERMAL_MODELS:
        raise ValueError(f"thermal must be 'isothermal' or 'lumped', got {thermal!r}"
                         f"{did_you_mean(thermal, THERMAL_MODELS, 1)}")
    return thermal


def check_no_current(c_rate: Any, current: Any) -> None:
    """An experiment sets the current step by step: c_rate/current are an error with it."""
    given = [name for name, value in (("c_rate", c_rate), ("current", current)) if value is not None]
    if given:
        raise ValueError(f"give {given[0]} or experiment, not both: the experiment's steps set the current "
                         "(write it in the steps, e.g. 'Discharge at 2C until 2.5 V')")


def describe(cycles: Cycles, repeat: int) -> str:
    """A short description, e.g. ``"3 steps in 2 cycles x 5"``."""
    n = sum(len(c) for c in cycles)
    text = f"{n} step{'s' if n != 1 else ''} in {len(cycles)} cycle{'s' if len(cycles) != 1 else ''}"
    return text + (f" x {repeat}" if repeat != 1 else "")


def cycle_summaries(steps: Dict[str, np.ndarray], step_cycle: np.ndarray, n_cycles: int,
                    time: Optional[np.ndarray] = None,
                    temperature: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
    """Per-cycle quantities from per-step records, by the compiled solver's one reducer
    (solver/output/results.hpp: the same code writes a sweep file's ``/cycles``).

    Parameters
    ----------
    steps : dict
        ``"Start time [s]"``, ``"End time [s]"``, ``"Capacity [A.h]"``, ``"Energy [W.h]"``:
        arrays of shape (..., n_steps), NaN for steps not reached; optionally the
        `SPLIT_QUANTITIES` of each step (charge and energy moved while discharging and
        while charging), without which a step counts as discharge or charge by the sign
        of its net capacity (and the discharge and charge energies are NaN).
    step_cycle : numpy.ndarray
        (n_steps,) cycle index of each step.
    n_cycles : int
        Number of cycles (columns of the result).
    time, temperature : numpy.ndarray, optional
        One cell's output times [s] and temperatures [K] (its steps as arrays of shape
        (1, n_steps)): the cycles' maximum and mean temperatures; NaN without them.

    Returns
    -------
    dict
        Each name of `CYCLE_QUANTITIES` → array of shape (..., n_cycles); NaN for a
        cycle none of whose steps was reached (a step counts as reached when its end
        time is not NaN). Start: the first reached step's start; end: the last one's
        end; capacities and energies are sums over the cycle's steps:
        ``"Net capacity [A.h]"`` and ``"Energy [W.h]"`` net (positive on discharge);
        ``"Discharge capacity [A.h]"``, ``"Charge capacity [A.h]"``, ``"Discharge
        energy [W.h]"``, ``"Charge energy [W.h]"`` what was moved while discharging
        and while charging (each >= 0); and each name of `CYCLE_RESULTS`.
    """
    from . import _core

    names = ("Start time [s]", "End time [s]", "Capacity [A.h]", "Energy [W.h]")
    if all(name in steps for name in SPLIT_QUANTITIES):
        names += SPLIT_QUANTITIES
    arrays = {name: np.ascontiguousarray(steps[name], dtype=float) for name in names}
    cycles = np.asarray(step_cycle, dtype=np.int64).reshape(-1).astype(np.int32).tolist()
    series = {}
    if time is not None and temperature is not None:
        series = dict(time=np.ascontiguousarray(time, dtype=float), temperature=np.ascontiguousarray(temperature,
                                                                                                     dtype=float))
    out = _core.cycle_summaries(arrays, cycles, int(n_cycles), **series)
    return {name: np.asarray(out[name]) for name in CYCLE_QUANTITIES + CYCLE_RESULTS}


def check_placeholders(cycles: Sequence[Sequence[str]], vary_names: Sequence[str]) -> None:
    """With an experiment, a varied "C-rate" or "Current [A]" must be used as a placeholder.

    Otherwise it would be silently ignored: the steps set the current.
    """
    text = "\n".join(s for c in cycles for s in c)
    for name in ("C-rate", "Current [A]"):
        if name in vary_names and "{" + name + "}" not in text:
            raise ValueError(
                f"vary {name!r} has no effect with an experiment (the steps set the current); use it in a step as "
                f"a placeholder, e.g. 'Discharge at {{{name}}}{'C' if name == 'C-rate' else ' A'} until 2.5 V'")
