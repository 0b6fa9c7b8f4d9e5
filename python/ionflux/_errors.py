"""Exception types and the name-suggestion helper shared by the package."""
from __future__ import annotations

import difflib
import functools
from typing import Any, Callable, Iterable, List, TypeVar

from . import _core

__all__ = ["UnknownParameterError", "UnknownVariableError", "SolverWarning", "UnitWarning", "closest_names",
           "translate_core_errors"]


class _MessageKeyError(KeyError):
    """A `KeyError` whose ``str()`` is its message (``KeyError`` quotes it)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UnknownParameterError(_MessageKeyError):
    """A parameter name that is not in the parameter set.

    A subclass of `KeyError`; the message names the closest known parameters.
    """


class UnknownVariableError(_MessageKeyError):
    """A variable name that a `Solution` or `SweepResult` does not hold.

    A subclass of `KeyError`; the message names the closest known variables.
    """


def closest_names(key: str, names: Iterable[str], count: int = 3) -> List[str]:
    """Up to `count` names from `names` closest to `key` (case-insensitive).

    Parameters
    ----------
    key : str
        The name that was not found.
    names : iterable of str
        The known names.
    count : int, optional
        How many names to return at most.

    Returns
    -------
    list of str
        The closest names, best first; names that contain `key` come first.
    """
    names = list(names)
    low = key.lower().strip()
    scored = []
    for i, name in enumerate(names):
        n = name.lower()
        ratio = difflib.SequenceMatcher(None, low, n).ratio()
        if low and low in n:
            ratio += 1.0
        scored.append((-ratio, i, name))
    scored.sort()
    return [name for score, _, name in scored[:count] if -score >= 0.4]


def did_you_mean(key: str, names: Iterable[str], count: int = 3) -> str:
    """``"; did you mean 'a', 'b'?"`` for the names closest to `key`, or ``""``."""
    near = closest_names(key, names, count)
    if not near:
        return ""
    return "; did you mean " + ", ".join(f"'{n}'" for n in near) + "?"


F = TypeVar("F", bound=Callable[..., Any])


def translate_core_errors(fn: F) -> F:
    """Decorator: re-raise the compiled module's `KeyError` as `UnknownParameterError`.

    The message stays the same; only the exception type changes (and ``str()`` no
    longer wraps the message in quotes).
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except _core.UnknownParameterError as e:
            raise UnknownParameterError(e.args[0] if e.args else str(e)) from None

    return wrapper  # type: ignore[return-value]


class SolverWarning(RuntimeWarning):
    """Issued when a single-cell solve does not end at a cut-off or the protocol's end.

    Either the cell failed (e.g. the voltage is outside the cut-offs at t = 0), or the
    run stopped at its end time ``t_end`` before any cut-off or step end condition
    (status ``"end_time_reached"``: the results are truncated). The `Solution` is
    still returned, with the outputs computed up to that point; its ``status``,
    ``message`` and ``termination`` say what happened.
    """


class UnitWarning(UserWarning):
    """A parameter value far outside the usual range of its unit.

    Issued by `Simulation.solve` and when a `Sweep` is created (once per parameter,
    not per cell), e.g. ``'Negative electrode thickness [m]' = 80 is far outside the
    usual 1e-06..0.01 m; was it given in µm? (that would be 8e-05 m)``. The value is
    used as given.
    """
