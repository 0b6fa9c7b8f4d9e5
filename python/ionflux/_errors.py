"""Exception types and the name-suggestion helper shared by the package."""
from __future__ import annotations

import difflib
import functools
from typing import Any, Callable, Iterable, List, TypeVar

from . import _core

__all__ = ["UnknownParameterError", "UnknownVariableError", "SolverWarning", "closest_names", "translate_core_errors"]


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
    """Issued when a single-cell solve ends abnormally (no cut-off and no end time).

    The `Solution` is still returned, with the outputs computed up to the failure;
    its ``status``, ``message`` and ``termination`` say what happened.
    """
