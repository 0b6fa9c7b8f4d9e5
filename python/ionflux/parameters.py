"""Parameter sets: PyBaMM-named parameters as a mutable mapping."""
from __future__ import annotations

import html
import json
import numbers
import os
from collections.abc import ItemsView, KeysView, MutableMapping, ValuesView
from typing import Any, Dict, Iterator, List, Mapping, Optional, Union

import numpy as np

from . import _core, _pybamm
from ._core import ParameterSet as _CoreSet
from ._errors import UnknownParameterError, translate_core_errors

__all__ = ["ParameterSet", "ParameterFunction", "parameter_sets"]

#: A parameter value: a number, or a function (a built-in set's, an expression or a table).
ParameterValue = Union[float, "ParameterFunction"]


def parameter_sets() -> List[str]:
    """Names of the built-in parameter sets.

    Returns
    -------
    list of str
        Chen2020 and Marquis2019 (compiled), then the sets shipped as parameter files:
        Ai2020, Ecker2015, Mohtat2020, NCA_Kim2011, OKane2022, ORegan2022, Prada2013.

    Examples
    --------
    >>> import ionflux
    >>> ionflux.parameter_sets()[:3]
    ['Chen2020', 'Marquis2019', 'Ai2020']
    """
    return list(_core.builtin_sets())


class ParameterFunction:
    """A function-valued parameter: a built-in set's function, an expression or a table.

    Built-in functions live in the compiled solver; this object only names them.
    Expressions and tables carry their definition (``expression``, ``x``, ``y``,
    ``interpolator``) and can be assigned to another set's parameter of the same kind.
    Assigning a number to the parameter replaces the function by that constant (as in
    PyBaMM); assigning the set's own `ParameterFunction` back restores it.

    Parameters
    ----------
    name : str
        The function's name, as in PyBaMM (e.g. ``"graphite_LGM50_ocp_Chen2020"``), or a
        description of a user function (``"expression: ..."``, ``"table (pchip, 251 points)"``).
    expression : str, optional
        A user function's expression (empty for a plain table).
    x, y : list of float, optional
        A table's points.
    interpolator : str, optional
        A table's interpolator: ``"linear"``, ``"pchip"`` or ``"cubic"``.

    Examples
    --------
    >>> ps = ionflux.ParameterSet("Chen2020")
    >>> ps["Negative electrode OCP [V]"]
    <function graphite_LGM50_ocp_Chen2020>
    >>> ps["Negative particle diffusivity [m2.s-1]"] = "3.3e-14 * exp(-2000 * (1 / T - 1 / 298.15))"
    >>> ps["Negative particle diffusivity [m2.s-1]"]
    <function expression: 3.3e-14 * exp(-2000 * (1 / T - 1 / 298.15))>
    """

    __slots__ = ("name", "expression", "x", "y", "interpolator")

    def __init__(self, name: str, expression: Optional[str] = None, x: Optional[List[float]] = None,
                 y: Optional[List[float]] = None, interpolator: Optional[str] = None) -> None:
        self.name = str(name)
        self.expression = expression
        self.x = None if x is None else [float(v) for v in x]
        self.y = None if y is None else [float(v) for v in y]
        self.interpolator = interpolator

    @property
    def is_user_function(self) -> bool:
        """True for an expression or a table (False for a built-in set's function)."""
        return self.expression is not None or self.x is not None

    def __repr__(self) -> str:
        return f"<function {self.name}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ParameterFunction) and (other.name, other.expression, other.x, other.y,
                                                         other.interpolator) == \
            (self.name, self.expression, self.x, self.y, self.interpolator)

    def __hash__(self) -> int:
        return hash(("ParameterFunction", self.name, self.expression))


#: The parameters that may be functions (expressions, tables).
_FUNCTION_PARAMETERS = frozenset(_core.function_parameters())


def _function_of(core: _CoreSet, key: str) -> ParameterFunction:
    u = core.user_function(key)
    if u is None:
        return ParameterFunction(core.function_name(key))
    return ParameterFunction(core.function_name(key), expression=u["expression"], x=u.get("x"), y=u.get("y"),
                             interpolator=u.get("interpolator"))


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
        f"'{key}' must be set to a number (or, for a function parameter, an expression string, a table "
        f"{{'x': [...], 'y': [...]}} or a ParameterFunction), got {type(value).__name__} {value!r}"
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
        `ParameterSet` gives a copy of it; a ``pybamm.ParameterValues`` is converted
        (numbers copied, functions converted from PyBaMM's expression trees or
        tabulated, with a warning; docs/python.md, "Coming from PyBaMM").

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
            self._source = name._source
            return
        if _pybamm.is_parameter_values(name):  # converted: docs/python.md, "Coming from PyBaMM"
            self._core, self._source = _pybamm.parameter_set_core(name)
            self._base = self._core.copy()
            return
        if isinstance(name, os.PathLike):
            name = os.fspath(name)
        if not isinstance(name, str):
            raise TypeError(f"ParameterSet name must be a str, got {type(name).__name__}")
        if name.endswith(".json"):
            name = os.path.abspath(name)
        self._core = _CoreSet(name)
        self._base = _CoreSet(name)
        self._source = name  # a built-in set's name or a parameter file's absolute path

    @classmethod
    def from_file(cls, path: Union[str, "os.PathLike[str]"]) -> "ParameterSet":
        """Load an ionflux parameter file (see docs/parameter_files.md).

        Parameters
        ----------
        path : str or path-like
            A ``.json`` parameter file: PyBaMM names as keys, numbers, expressions,
            tables or built-in functions as values.

        Returns
        -------
        ParameterSet

        Raises
        ------
        ValueError
            For a file that cannot be read or is not a valid parameter file (the message
            names the file, the parameter and the problem; JSON errors give line and column).
        """
        p = os.fspath(path)
        if not p.endswith(".json"):
            raise ValueError(f"parameter files end in .json, got {p!r}")
        return cls(p)

    @classmethod
    def from_bpx(cls, path: Union[str, "os.PathLike[str]"]) -> "ParameterSet":
        """Load a BPX file (Battery Parameter eXchange, versions 0.x and 1.x).

        The BPX quantities are mapped to PyBaMM's parameter names exactly as
        ``pybamm.ParameterValues.create_from_bpx`` does (exchange-current prefactor,
        Bruggeman coefficients from the transport efficiencies, active material fractions
        from the surface areas, Arrhenius factors, initial concentrations from the BPX
        "State" or full charge); see docs/parameter_files.md, section "BPX".
        ``ParameterSet("cell_bpx.json")`` reads the same file the same way.

        Parameters
        ----------
        path : str or path-like
            A ``.json`` BPX file.

        Returns
        -------
        ParameterSet

        Raises
        ------
        ValueError
            For a file that cannot be read or mapped: not JSON, an unsupported BPX version,
            missing or unknown fields, unsupported function strings (the message names the
            file and the field).

        Examples
        --------
        >>> ps = ionflux.ParameterSet.from_bpx("nmc_pouch_cell_BPX.json")  # doctest: +SKIP
        >>> ps["Number of electrodes connected in parallel to make a cell"]  # doctest: +SKIP
        34.0
        """
        p = os.path.abspath(os.fspath(path))
        if not p.endswith(".json"):
            raise ValueError(f"BPX files are read from .json files, got {os.fspath(path)!r}")
        core = _core.load_bpx(p)
        ps = cls.__new__(cls)
        ps._core = core
        ps._base = core.copy()
        ps._source = p  # a sweep reads the file again through ParameterSet::load
        return ps

    def to_json(self, path: Union[str, "os.PathLike[str]", None] = None) -> str:
        """The whole set as an ionflux parameter file (it loads back to the same results).

        Parameters
        ----------
        path : str or path-like, optional
            Also write it there.

        Returns
        -------
        str
            The file's text.
        """
        text = str(self._core.to_json())
        if path is not None:
            with open(os.fspath(path), "w", encoding="utf-8") as fh:
                fh.write(text)
        return text

    def _has_user_functions(self) -> bool:
        return any(self._core.user_function(k) is not None for k in self._core.names())

    def _config_parameters(self) -> Any:
        """What a sweep config's "parameters" gets: the source name/file, or the whole set
        inline when any function differs from the source's (every point and the
        expression text are compared, not just the description)."""
        if any(self._function_changed(k) for k in self._core.names()):
            return json.loads(self.to_json())
        return self._source

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
            return _function_of(self._core, key)
        return float(self._core.get(key))

    @translate_core_errors
    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str) or not self._core.contains(key):
            raise self._unknown(key)
        if isinstance(value, ParameterFunction) and value.is_user_function:
            value = {"x": value.x, "y": value.y, "interpolator": value.interpolator,
                     "expression": value.expression} if value.x is not None else value.expression
        if isinstance(value, (str, Mapping)) and key not in _FUNCTION_PARAMETERS:
            _as_number(key, value)  # raises TypeError: this parameter takes a number
        if isinstance(value, ParameterFunction):
            self._restore_function(key, value)
        elif isinstance(value, str):
            self._core.set_expression(key, value)
        elif isinstance(value, Mapping):
            self._set_table(key, value)
        else:
            self._core.set(key, _as_number(key, value))

    def _set_table(self, key: str, table: Mapping[str, Any]) -> None:
        unknown = sorted(set(table) - {"x", "y", "interpolator", "expression"})
        if unknown or "x" not in table or "y" not in table:
            raise ValueError(f"'{key}': a table is {{'x': [...], 'y': [...]}} with optional 'interpolator' "
                             f"('linear', 'pchip' (default), 'cubic') and 'expression' (using table(...)); got keys "
                             f"{sorted(table)}")
        x = [float(v) for v in np.asarray(table["x"], dtype=float).ravel()]
        y = [float(v) for v in np.asarray(table["y"], dtype=float).ravel()]
        self._core.set_table(key, x, y, table.get("interpolator") or "pchip", table.get("expression") or "")

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
                f"'{key}' can be set to a number, an expression, a table or the set's own function "
                f"({base!r}), not {value!r}: another set's built-in function cannot be assigned"
            )
        if self._core.is_function(key) and self._core.user_function(key) is None:
            return
        # Restore that entry from the base set, keeping every other value.
        fresh = self._base.copy()
        for k in self._core.names():
            if k == key:
                continue
            if self._core.user_function(k) is not None:
                u = self._core.user_function(k)
                if "x" in u:
                    fresh.set_table(k, u["x"], u["y"], u["interpolator"], u["expression"])
                else:
                    fresh.set_expression(k, u["expression"])
            elif not self._core.is_function(k):
                fresh.set(k, self._core.get(k))
        self._core = fresh

    def _base_value(self, key: str) -> ParameterValue:
        if self._base.is_function(key):
            return _function_of(self._base, key)
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
        """The numbers that differ from the base set.

        Returns
        -------
        dict
            Name → new value (a float), in set order. A function replaced by a constant
            is included; functions assigned in Python (expressions, tables) are not —
            `changed_functions` lists those. This is the ``"set"`` entry of a sweep config.
        """
        out: Dict[str, float] = {}
        for key in self._core.names():
            if self._core.is_function(key):
                continue  # a function: see changed_functions()
            value = float(self._core.get(key))
            if self._base.is_function(key) or float(self._base.get(key)) != value:
                out[key] = value
        return out

    def changed_functions(self) -> Dict[str, ParameterFunction]:
        """The function parameters that differ from the base set (expressions, tables).

        Returns
        -------
        dict
            Name → `ParameterFunction`, in set order.
        """
        return {k: _function_of(self._core, k) for k in self._core.names() if self._function_changed(k)}

    def _function_changed(self, key: str) -> bool:
        if not self._core.is_function(key):
            return False
        if not self._base.is_function(key):
            return True
        return (self._core.function_name(key), self._core.user_function(key)) != \
            (self._base.function_name(key), self._base.user_function(key))

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
    if isinstance(parameters, str) or _pybamm.is_parameter_values(parameters):
        return ParameterSet(parameters)
    raise TypeError(f"parameters must be a set name, an ionflux.ParameterSet or a pybamm.ParameterValues, got "
                    f"{type(parameters).__name__}")
