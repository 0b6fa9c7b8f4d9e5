"""Parameter sets: PyBaMM-named parameters as a mutable mapping."""
from __future__ import annotations

import html
import numbers
from collections.abc import ItemsView, KeysView, MutableMapping, ValuesView
from typing import Any, Dict, Iterator, List, Mapping, Union

from . import _core
from ._core import ParameterSet as _CoreSet
from ._errors import UnknownParameterError, translate_core_errors

__all__ = ["ParameterSet", "ParameterFunction", "parameter_sets"]

#: A parameter value: a number, or the function a built-in set defines.
ParameterValue = Union[float, "ParameterFunction"]


def parameter_sets() -> List[str]:
    """Names of the built-in parameter sets.

    Returns
    -------
    list of str
        For example ``["Chen2020", "Marquis2019"]``.

    Examples
    --------
    >>> import ionflux
    >>> ionflux.parameter_sets()
    ['Chen2020', 'Marquis2019']
    """
    return list(_core.builtin_sets())


class ParameterFunction:
    """A function-valued parameter of a built-in set (an OCP, a conductivity, ...).

    The function itself lives in the compiled solver; this object only names it.
    Assigning a number to the parameter replaces the function by that constant (as in
    PyBaMM); assigning the set's own `ParameterFunction` back restores it.

    Parameters
    ----------
    name : str
        The function's name, as in PyBaMM (e.g. ``"graphite_LGM50_ocp_Chen2020"``).

    Attributes
    ----------
    name : str
        The function's name.

    Examples
    --------
    >>> ps = ionflux.ParameterSet("Chen2020")
    >>> ps["Negative electrode OCP [V]"]
    <function graphite_LGM50_ocp_Chen2020>
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = str(name)

    def __repr__(self) -> str:
        return f"<function {self.name}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ParameterFunction) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("ParameterFunction", self.name))


def _as_number(key: str, value: Any) -> float:
    """`value` as a float, or TypeError (bools and strings are not numbers here)."""
    if not isinstance(value, (bool, str, bytes)):
        if isinstance(value, numbers.Real):
            return float(value)
        if hasattr(value, "__float__"):
            try:
                return float(value)
            except (TypeError, ValueError):
                pass
    raise TypeError(
        f"'{key}' must be set to a number (or the set's own function), got {type(value).__name__} {value!r}"
    )


class ParameterSet(MutableMapping):
    """A DFN parameter set, keyed by PyBaMM's parameter names (units included).

    Behaves like a `dict`: ``ps[name]`` gives a float, or a `ParameterFunction` for a
    function-valued parameter; ``ps[name] = value`` sets a number, replacing a function
    by a constant as PyBaMM does. Every value is range-checked as it is set;
    checks that involve several parameters (e.g. porosity + active material fraction
    ≤ 1) run when a simulation or sweep starts. Parameters cannot be added or removed.

    Parameters
    ----------
    name : str or ParameterSet, optional
        A built-in set (see `parameter_sets`), by default ``"Chen2020"``; a
        `ParameterSet` gives a copy of it.

    Attributes
    ----------
    name : str
        The name of the base set.

    Raises
    ------
    ValueError
        For an unknown set name (the message lists the built-in sets).

    See Also
    --------
    parameter_sets : the built-in set names.

    Examples
    --------
    >>> ps = ionflux.ParameterSet("Chen2020")
    >>> ps["Negative electrode thickness [m]"]
    8.52e-05
    >>> ps["Negative electrode porosity"] = 0.3
    >>> ps.changed()
    {'Negative electrode porosity': 0.3}
    >>> ps["Negative electrode porosity"] = 1.5
    Traceback (most recent call last):
    ...
    ValueError: 'Negative electrode porosity' must be in (0, 1), got 1.5
    """

    _core: _CoreSet
    _base: _CoreSet

    def __init__(self, name: Union[str, "ParameterSet"] = "Chen2020") -> None:
        if isinstance(name, ParameterSet):
            self._core = name._core.copy()
            self._base = name._base
            return
        if not isinstance(name, str):
            raise TypeError(f"ParameterSet name must be a str, got {type(name).__name__}")
        self._core = _CoreSet(name)
        self._base = _CoreSet(name)

    # -- mapping protocol ---------------------------------------------------------------
    def _unknown(self, key: Any) -> UnknownParameterError:
        msg = f"unknown parameter {key!r} in set {self.name}" if not isinstance(key, str) else \
            f"unknown parameter '{key}' in set {self.name}"
        near = self._core.closest_names(key, 3) if isinstance(key, str) else []
        if near:
            msg += "; did you mean " + ", ".join(f"'{n}'" for n in near) + "?"
        else:
            msg += f" (list(ps) gives its {len(self)} names; ps.search(text) finds some)"
        return UnknownParameterError(msg)

    def __getitem__(self, key: str) -> ParameterValue:
        if not isinstance(key, str) or not self._core.contains(key):
            raise self._unknown(key)
        if self._core.is_function(key):
            return ParameterFunction(self._core.function_name(key))
        return float(self._core.get(key))

    @translate_core_errors
    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str) or not self._core.contains(key):
            raise self._unknown(key)
        if isinstance(value, ParameterFunction):
            self._restore_function(key, value)
            return
        self._core.set(key, _as_number(key, value))

    def __delitem__(self, key: str) -> None:
        raise TypeError(
            f"cannot remove parameter '{key}' from a ParameterSet: every parameter of the set is needed "
            "(assign a new value instead)"
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self._core.names())

    def __len__(self) -> int:
        return len(self._core.names())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and bool(self._core.contains(key))

    def keys(self) -> KeysView[str]:  # type: ignore[override]
        """The parameter names, in set order.

        Returns
        -------
        KeysView
            A view of the names.
        """
        return KeysView(self)

    def values(self) -> ValuesView[ParameterValue]:  # type: ignore[override]
        """The parameter values, in set order.

        Returns
        -------
        ValuesView
            A view of the values (floats, or `ParameterFunction` objects).
        """
        return ValuesView(self)

    def items(self) -> ItemsView[str, ParameterValue]:  # type: ignore[override]
        """(name, value) pairs, in set order.

        Returns
        -------
        ItemsView
            A view of the pairs.
        """
        return ItemsView(self)

    def get(self, key: str, default: Any = None) -> Any:
        """The value of `key`, or `default` if the set has no such parameter.

        Parameters
        ----------
        key : str
            A parameter name.
        default : optional
            Returned when `key` is unknown.

        Returns
        -------
        float or ParameterFunction or default
            The value.
        """
        return self[key] if key in self else default

    def pop(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        """Not supported: parameters cannot be removed.

        Parameters
        ----------
        key : str
            A parameter name.
        default : optional
            Ignored.

        Raises
        ------
        TypeError
            Always.
        """
        del self[key]

    def popitem(self) -> Any:
        """Not supported: parameters cannot be removed.

        Raises
        ------
        TypeError
            Always.
        """
        del self[next(iter(self))]

    def clear(self) -> None:
        """Not supported: parameters cannot be removed.

        Raises
        ------
        TypeError
            Always.
        """
        del self[next(iter(self))]

    def setdefault(self, key: str, default: Any = None) -> Any:
        """The value of `key` (every parameter already has one; nothing is set).

        Parameters
        ----------
        key : str
            A parameter name.
        default : optional
            Ignored: unknown names raise.

        Returns
        -------
        float or ParameterFunction
            The value.

        Raises
        ------
        KeyError
            For an unknown name.
        """
        return self[key]

    def _restore_function(self, key: str, value: ParameterFunction) -> None:
        if not (self._base.contains(key) and self._base.is_function(key)
                and self._base.function_name(key) == value.name):
            base = self._base_value(key)
            raise ValueError(
                f"'{key}' can be set to a number or to the set's own function ({base!r}), not {value!r}: "
                "other functions cannot be assigned from Python"
            )
        if self._core.is_function(key):
            return
        # Rebuild from the base set, replaying every other change.
        changes = self.changed()
        changes.pop(key, None)
        fresh = _CoreSet(self._base.name)
        for k, v in changes.items():
            fresh.set(k, v)
        self._core = fresh

    def _base_value(self, key: str) -> ParameterValue:
        if self._base.is_function(key):
            return ParameterFunction(self._base.function_name(key))
        return float(self._base.get(key))

    # -- dict-like extras ---------------------------------------------------------------
    @property
    def name(self) -> str:
        """The name of the base parameter set (``"Chen2020"``, ...)."""
        return str(self._core.name)

    def copy(self) -> "ParameterSet":
        """An independent copy (changes to one do not affect the other).

        Returns
        -------
        ParameterSet
            The copy, with the same base set and values.
        """
        return ParameterSet(self)

    def update(self, other: Any = (), /, **kwargs: Any) -> None:  # type: ignore[override]
        """Set several parameters at once.

        All values are checked before any is applied: if one is rejected, the set is
        left unchanged.

        Parameters
        ----------
        other : mapping or iterable of (name, value) pairs, optional
            The new values.
        **kwargs
            More values (only useful for names that are Python identifiers).

        Raises
        ------
        KeyError
            For an unknown name (the message suggests the closest names).
        ValueError
            For a value outside its physical range.
        """
        trial = self.copy()
        items = list(other.items()) if isinstance(other, Mapping) else list(other)
        for k, v in items + list(kwargs.items()):
            trial[k] = v
        self._core = trial._core

    def changed(self) -> Dict[str, float]:
        """The parameters whose values differ from the base set.

        Returns
        -------
        dict
            Name → new value (a float), in set order. A function replaced by a constant
            is included. This is the ``"set"`` entry of a sweep config.
        """
        out: Dict[str, float] = {}
        for key in self._core.names():
            if self._core.is_function(key):
                continue  # only the base set's own functions can be present
            value = float(self._core.get(key))
            if self._base.is_function(key) or float(self._base.get(key)) != value:
                out[key] = value
        return out

    def to_dict(self) -> Dict[str, ParameterValue]:
        """All parameters as a plain `dict`, in set order.

        Returns
        -------
        dict
            Name → float, or `ParameterFunction` for function-valued parameters
            (for JSON: ``json.dumps(d, default=lambda f: f.name)``).
        """
        return {k: self[k] for k in self}

    def search(self, text: str) -> Dict[str, ParameterValue]:
        """Parameters whose names contain every word of `text` (case-insensitive).

        Parameters
        ----------
        text : str
            For example ``"negative porosity"``.

        Returns
        -------
        dict
            Name → value of the matching parameters, in set order.
        """
        words = text.lower().split()
        return {k: self[k] for k in self if all(w in k.lower() for w in words)}

    def check(self) -> None:
        """Run the checks that involve several parameters now.

        These also run when a simulation or sweep starts.

        Raises
        ------
        ValueError
            Naming the parameters and values that conflict.
        """
        self._core.validate()

    @staticmethod
    @translate_core_errors
    def check_value(name: str, value: float) -> None:
        """Check one value against the named parameter's physical range.

        Parameters
        ----------
        name : str
            The parameter name.
        value : float
            The value to check.

        Raises
        ------
        ValueError
            If the value is outside the range (the message gives the range).
        """
        _core.check_parameter_range(name, float(value))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ParameterSet):
            return self.name == other.name and self.to_dict() == other.to_dict()
        if isinstance(other, Mapping):
            return self.to_dict() == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        changed = self.changed()
        head = f"<ionflux.ParameterSet '{self.name}': {len(self)} parameters"
        head += f", {len(changed)} changed>" if changed else ">"
        shown = list(changed)[:8]
        for key in ("Nominal cell capacity [A.h]", "Negative electrode thickness [m]",
                    "Positive electrode thickness [m]", "Negative electrode OCP [V]", "Current function [A]"):
            if len(shown) >= 5:
                break
            if key in self and key not in shown:
                shown.append(key)
        lines = [head]
        for key in shown:
            mark = " (changed)" if key in changed else ""
            lines.append(f"  {key}: {_fmt(self[key])}{mark}")
        lines.append("  ...")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        changed = self.changed()
        rows = []
        for key in self:
            value = self[key]
            style = ' style="font-weight:bold"' if key in changed else ""
            base = f" (was {html.escape(_fmt(self._base_value(key)))})" if key in changed else ""
            rows.append(
                f"<tr{style}><td style='text-align:left'>{html.escape(key)}</td>"
                f"<td style='text-align:left'>{html.escape(_fmt(value))}{base}</td></tr>"
            )
        title = f"ParameterSet '{html.escape(self.name)}': {len(self)} parameters"
        if changed:
            title += f", {len(changed)} changed (bold)"
        return (f"<div><b>{title}</b><div style='max-height:24em;overflow:auto'>"
                f"<table><tr><th style='text-align:left'>name</th><th style='text-align:left'>value</th></tr>"
                + "".join(rows) + "</table></div></div>")


def _fmt(value: ParameterValue) -> str:
    return repr(value) if isinstance(value, ParameterFunction) else f"{value:.6g}"


def as_parameter_set(parameters: Union[str, ParameterSet, None]) -> ParameterSet:
    """A private copy of `parameters` (a set name or a `ParameterSet`)."""
    if parameters is None:
        return ParameterSet()
    if isinstance(parameters, ParameterSet):
        return parameters.copy()
    if isinstance(parameters, str):
        return ParameterSet(parameters)
    raise TypeError(f"parameters must be a set name or an ionflux.ParameterSet, got {type(parameters).__name__}")
