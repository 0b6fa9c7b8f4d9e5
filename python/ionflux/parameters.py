"""Parameter sets: PyBaMM-named parameters as a mutable mapping."""
from __future__ import annotations

import html
import inspect
import json
import numbers
import os
import warnings
from collections.abc import ItemsView, KeysView, MutableMapping, ValuesView
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core, _pybamm
from ._core import ParameterSet as _CoreSet
from ._errors import UnknownParameterError, translate_core_errors
from ._sampling import SamplingError, sample_table

__all__ = ["ParameterSet", "ParameterFunction", "TabulationWarning", "parameter_sets"]

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


class TabulationWarning(UserWarning):
    """A Python function, PyBaMM tuple or DataFrame was turned into an ionflux table.

    The message names the parameter, the argument and range sampled, the number of
    points and the interpolator (see `ParameterSet.tabulate`).
    """


#: Each argument of a parameter function: what it is, its units, and the range a Python
#: function is sampled over (`ParameterSet.tabulate`) and plotted over (`ParameterSet.plot`).
#: c_s_surf runs over [0, c_s_max] of the electrode; c_s_max has no range (a fixed value).
ARGUMENTS: Dict[str, Tuple[str, str, Optional[Tuple[float, float]]]] = {
    "sto": ("Stoichiometry", "-", (0.0, 1.0)),
    "c_e": ("Electrolyte concentration", "mol.m-3", (0.0, 4000.0)),
    "c_s_surf": ("Particle surface concentration", "mol.m-3", None),
    "c_s_max": ("Maximum particle concentration", "mol.m-3", None),
    "T": ("Temperature", "K", (233.15, 373.15)),
    "eps": ("Porosity", "-", (0.0, 1.0)),
}


class ParameterFunction:
    """A function-valued parameter: a built-in set's function, an expression or a table.

    Taken from a set (``f = ps[name]``), it can be evaluated and plotted: ``f(sto)``,
    ``f(c_e, T)``, ... with numbers or numpy arrays (broadcast together), in the order
    of `arguments` (PyBaMM's order) or by name (``f(c_e=1000, T=298.15)``). The values
    come from the solver's own C++ code (kernels/model/functions.hpp) as the solver
    evaluates that parameter: OCPs and entropic changes at the stoichiometry clipped to
    [1e-10, 1 - 1e-10], particle diffusivities likewise, exchange-current densities with
    PyBaMM's DFN wrapper (concentrations clipped to [0, c_s_max], regularised square
    roots), electrolyte diffusivity and conductivity at max(c_e, 10 mol/m3).

    Built-in functions live in the compiled solver; this object names them.
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

    Attributes
    ----------
    parameter : str or None
        The parameter it was taken from (None for one made directly: it cannot be
        evaluated then).

    Examples
    --------
    >>> ps = ionflux.ParameterSet("Chen2020")
    >>> U = ps["Negative electrode OCP [V]"]
    >>> U
    <function graphite_LGM50_ocp_Chen2020>
    >>> U.arguments
    ('sto',)
    >>> U(0.5)
    0.1330855128593352
    >>> ps["Electrolyte conductivity [S.m-1]"](c_e=[500, 1000], T=298.15)
    array([0.79329349, 0.9487    ])
    >>> ps.plot("Negative electrode OCP [V]")  # doctest: +SKIP
    >>> ps["Negative particle diffusivity [m2.s-1]"] = "3.3e-14 * exp(-2000 * (1 / T - 1 / 298.15))"
    >>> ps["Negative particle diffusivity [m2.s-1]"]
    <function expression: 3.3e-14 * exp(-2000 * (1 / T - 1 / 298.15))>
    """

    __slots__ = ("name", "expression", "x", "y", "interpolator", "_set", "_key")

    def __init__(self, name: str, expression: Optional[str] = None, x: Optional[List[float]] = None,
                 y: Optional[List[float]] = None, interpolator: Optional[str] = None) -> None:
        self.name = str(name)
        self.expression = expression
        self.x = None if x is None else [float(v) for v in x]
        self.y = None if y is None else [float(v) for v in y]
        self.interpolator = interpolator
        self._set: Optional[_CoreSet] = None  # a snapshot of the set it was taken from
        self._key: Optional[str] = None

    @property
    def is_user_function(self) -> bool:
        """True for an expression or a table (False for a built-in set's function)."""
        return self.expression is not None or self.x is not None

    @property
    def parameter(self) -> Optional[str]:
        """The parameter name this function was taken from (None if made directly)."""
        return self._key

    @property
    def arguments(self) -> Tuple[str, ...]:
        """The argument names, in call order (PyBaMM's): ``("sto",)``, ``("sto", "T")``,
        ``("c_e", "c_s_surf", "c_s_max", "T")``, ``("c_e", "T")``, ``("T",)``,
        ``("T", "eps")`` (eps: the layer's porosity)."""
        return tuple(_core.function_arguments(self._attached()[1]))

    def _attached(self) -> Tuple[_CoreSet, str]:
        if self._set is None or self._key is None:
            raise ValueError(f"{self!r} is not attached to a parameter set: take it from one (ps[name]) to evaluate it")
        return self._set, self._key

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.evaluate(*args, **kwargs)

    def evaluate(self, *args: Any, **kwargs: Any) -> Any:
        """The function's values, computed by the solver's C++ code.

        Parameters
        ----------
        *args : float or array_like
            The arguments in the order of `arguments` (broadcast together, as numpy does).
        **kwargs : float or array_like
            Arguments by name instead.

        Returns
        -------
        float or numpy.ndarray
            A float when every argument is a number, else an array of the broadcast shape.

        Raises
        ------
        TypeError
            For a wrong number of arguments, an unknown or repeated name (the message
            lists the function's arguments).
        """
        core, key = self._attached()
        names = self.arguments
        sig = f"'{key}' is a function of ({', '.join(names)})"
        if len(args) > len(names):
            raise TypeError(f"{sig}: got {len(args)} arguments, expected {len(names)}")
        values: Dict[str, Any] = dict(zip(names, args))
        for k, v in kwargs.items():
            if k not in names:
                raise TypeError(f"{sig}: unknown argument {k!r}")
            if k in values:
                raise TypeError(f"{sig}: argument {k!r} given twice")
            values[k] = v
        missing = [n for n in names if n not in values]
        if missing:
            raise TypeError(f"{sig}: missing {', '.join(repr(m) for m in missing)} "
                            f"(got {len(values)} argument{'s' if len(values) != 1 else ''}, expected {len(names)})")
        arrays = np.broadcast_arrays(*[np.asarray(values[n], dtype=float) for n in names])
        shape = arrays[0].shape
        out = np.asarray(_core.evaluate_function(core, key, [np.ascontiguousarray(a).ravel() for a in arrays]))
        if shape == ():
            return float(out[0])
        return out.reshape(shape)

    def default_arguments(self) -> Dict[str, float]:
        """The values `plot` holds the other arguments at, from the set it came from.

        Returns
        -------
        dict
            ``T``: the set's ambient temperature; ``c_e``: its initial electrolyte
            concentration; ``c_s_max``: the electrode's maximum concentration;
            ``c_s_surf``: half of that; ``sto``: 0.5; ``eps``: the layer's porosity.
        """
        core, key = self._attached()
        side = "negative" if key.startswith("Negative") else "positive"
        out: Dict[str, float] = {"sto": 0.5}
        for arg, name in (("T", "Ambient temperature [K]"), ("c_e", "Initial concentration in electrolyte [mol.m-3]"),
                          ("c_s_max", f"Maximum concentration in {side} electrode [mol.m-3]")):
            if core.contains(name) and not core.is_function(name):
                out[arg] = float(core.get(name))
        if "c_s_max" in out:
            out["c_s_surf"] = 0.5 * out["c_s_max"]
        layer = key.split(" ")[0] + " electrode porosity" if key.split(" ")[0] in ("Negative", "Positive") \
            else "Separator porosity"
        if "current collector" not in key and core.contains(layer) and not core.is_function(layer):
            out["eps"] = float(core.get(layer))
        return out

    def plot(self, x: Optional[str] = None, *, points: int = 201, ax: Any = None, **fixed: Any) -> Any:
        """Plot the function against one argument (matplotlib).

        Parameters
        ----------
        x : str, optional
            The argument on the horizontal axis (default: the first one; for an
            exchange-current density ``"c_s_surf"``), over its range (`ARGUMENTS`;
            c_s_surf over [0, c_s_max]).
        points : int, optional
            Points per curve (default 201).
        ax : matplotlib.axes.Axes, optional
            Draw there (default: a new figure).
        **fixed : float or sequence of float
            Values of the other arguments (default: `default_arguments`); a sequence
            draws one curve per value. ``range=(lo, hi)`` sets the range of `x`.

        Returns
        -------
        matplotlib.axes.Axes
            The axes: x labelled with the argument and its units, y with the parameter
            name (its units in brackets).
        """
        import matplotlib.pyplot as plt

        core, key = self._attached()
        names = self.arguments
        if x is None:
            x = "c_s_surf" if "c_s_surf" in names else names[0]
        if x not in names:
            raise ValueError(f"'{key}' is a function of ({', '.join(names)}): cannot plot it against {x!r}")
        defaults = self.default_arguments()
        lohi = fixed.pop("range", None)
        unknown = sorted(set(fixed) - set(names))
        if unknown or x in fixed:
            bad = unknown or [x]
            raise ValueError(f"'{key}' is a function of ({', '.join(names)}): {', '.join(map(repr, bad))} cannot be "
                             f"fixed (x={x!r} varies)")
        if lohi is None:
            lohi = ARGUMENTS[x][2] or (0.0, fixed.get("c_s_max", defaults.get("c_s_max", 1.0)))
        grid = np.linspace(float(lohi[0]), float(lohi[1]), int(points))
        held = {n: fixed.get(n, defaults.get(n)) for n in names if n != x}
        varying = [n for n, v in held.items() if np.ndim(v) == 1]
        if len(varying) > 1:
            raise ValueError(f"only one argument may take several values, got {', '.join(varying)}")
        from ._units import display_unit, readable_ticks

        if ax is None:
            _, ax = plt.subplots()

        def shown_value(n: str, v: float) -> str:  # "25 °C", "1 mol/L": the plots' units (_units.py)
            return f"{n} = " + display_unit(f"{ARGUMENTS[n][0]} [{ARGUMENTS[n][1]}]", [v]).text(v, digits=6)

        curves = [None] if not varying else list(np.asarray(held[varying[0]], dtype=float))
        values = []
        for value in curves:
            args = dict(held)
            if varying:
                args[varying[0]] = value
            args[x] = grid
            values.append(np.asarray(self.evaluate(**args), dtype=float))
        what, unit = ARGUMENTS[x][0], ARGUMENTS[x][1]
        xu = display_unit(f"{what} {x} [{unit}]", grid)
        yu = display_unit(key if key.endswith("]") else f"{key} [-]", np.concatenate(values))
        for value, y in zip(curves, values):
            ax.plot(xu(grid), yu(y), label=None if not varying else shown_value(varying[0], value))
        ax.set_xlabel(xu.label)
        ax.set_ylabel(yu.label)
        shown = ", ".join(shown_value(n, v) for n, v in held.items() if n not in varying)
        ax.set_title(self.name + (f"\n({shown})" if shown else ""), fontsize="medium")
        readable_ticks(ax)
        if varying:
            ax.legend()
        return ax

    def __repr__(self) -> str:
        return f"<function {self.name}>"

    def __getstate__(self) -> Tuple[Any, ...]:
        # Pickled without the set snapshot (a compiled object): a loaded copy is detached.
        return (self.name, self.expression, self.x, self.y, self.interpolator, self._key)

    def __setstate__(self, state: Tuple[Any, ...]) -> None:
        self.name, self.expression, self.x, self.y, self.interpolator, self._key = state
        self._set = None

    def __copy__(self) -> "ParameterFunction":
        f = ParameterFunction(self.name, self.expression, self.x, self.y, self.interpolator)
        f._set, f._key = self._set, self._key  # the snapshot is never changed: shared
        return f

    def __deepcopy__(self, memo: Dict[int, Any]) -> "ParameterFunction":
        return self.__copy__()

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
        f = ParameterFunction(core.function_name(key))
    else:
        f = ParameterFunction(core.function_name(key), expression=u["expression"], x=u.get("x"), y=u.get("y"),
                              interpolator=u.get("interpolator"))
    f._set, f._key = core.copy(), key  # a snapshot: later changes to the set do not change f
    return f


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
    ≤ 1) run when a simulation or sweep starts. Parameters cannot be removed; ``update(...,
    check_already_exists=False)`` adds ones the set lacks, as in PyBaMM.

    A function parameter also takes a Python function, PyBaMM's ``(name, (x, y))`` data
    tuple or a pandas DataFrame (sampled or read into a table: `tabulate`), and
    ``ps[name](...)`` evaluates it, ``ps.plot(name)`` draws it (`ParameterFunction`).

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
            if "table_points" in vars(name):
                self.table_points = name.table_points
            self._extra = dict(name.extra)
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
        self._base = _CoreSet(_file_base(name) or name)  # a file's "base" set: changed() is relative to it
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
        FileNotFoundError
            For a path where no file is.
        ValueError
            For a file that cannot be read or is not a valid parameter file (the message
            names the file, the parameter and the problem; JSON errors give line and column).
        """
        p = os.fspath(path)
        if not p.endswith(".json"):
            raise ValueError(f"parameter files end in .json, got {p!r}")
        if not os.path.exists(p):
            raise FileNotFoundError(f"no such parameter file: {p!r}")
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

        A set that differs from its base set is written with ``"name": "Chen2020
        (modified)"`` (a set with its own name keeps it), ``"base": "Chen2020"`` and a
        ``"description"`` listing the changed parameters; loaded back, `changed` and
        `changed_functions` give the same entries and solutions carry that name.

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
        header = self._modified_header()
        if header is not None:
            # Record that it is modified, and from what: reloaded, changed() is the same
            # and solutions are not labelled with the base set's name.
            base = str(self._base.name)
            d = json.loads(text)
            out = {k: d[k] for k in d if k not in ("name", "base", "description", "parameters")}
            out["name"] = header[0]
            if base in parameter_sets():
                out["base"] = base
            out["description"] = header[1]
            out["parameters"] = d["parameters"]
            text = json.dumps(out, indent=2) + "\n"
        if path is not None:
            with open(os.fspath(path), "w", encoding="utf-8") as fh:
                fh.write(text)
        return text

    def _modified_header(self) -> Optional[Tuple[str, str]]:
        """(name, description) that `to_json` writes for a set changed from its base
        ("Chen2020 (modified)", "...; changed from Chen2020: ..."); None if unchanged."""
        names = list(self.changed()) + list(self.changed_functions())
        if not names:
            return None
        base = str(self._base.name)
        note = f"changed from {base}: " + ", ".join(names)
        kept = str(self._core.description)
        kept = kept[:kept.find("changed from ")].rstrip("; ") if "changed from " in kept else kept
        return (f"{base} (modified)" if self.name == base else self.name), (f"{kept}; {note}" if kept else note)

    def _sweep_set(self) -> Tuple[Any, str]:
        """The compiled set a `Sweep` runs, and its label (the file's "parameter set"):
        what the sweep config's "parameters" (`_config_parameters`) gives the CLI, the
        same set under the same name, without writing a parameter file."""
        if not self._needs_inline():
            return self._core, str(self._source)
        header = self._modified_header()
        core = self._core.copy() if header is None else self._core.renamed(*header)
        return core, str(core.name)

    def _needs_inline(self) -> bool:
        return any(self._function_changed(k) or not self._base.contains(k) for k in self._core.names())

    def _has_user_functions(self) -> bool:
        return any(self._core.user_function(k) is not None for k in self._core.names())

    def _config_parameters(self) -> Any:
        """What a sweep config's "parameters" gets: the source name/file, or the whole set
        inline when any function differs from the source's (every point and the
        expression text are compared, not just the description) or a parameter was
        added (update(..., check_already_exists=False))."""
        if self._needs_inline():
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
        if key in _FUNCTION_PARAMETERS and not isinstance(value, (str, Mapping, ParameterFunction, numbers.Real)):
            table = _as_table(key, value)  # a PyBaMM (name, (x, y)) tuple or a DataFrame: its points
            if table is not None:
                self._set_table(key, table)
                return
            if callable(value):
                self.tabulate(key, value, _stacklevel=5)
                return
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

    #: Points of the table a Python function is sampled into (`tabulate`); set it on a
    #: set (``ps.table_points = 2001``) or on the class for every set.
    table_points: int = 1001

    @translate_core_errors
    def tabulate(self, key: str, function: Callable[..., Any], points: Optional[int] = None,
                 range: Optional[Tuple[float, float]] = None, interpolator: str = "cubic",
                 _stacklevel: int = 3) -> None:
        """Set a function parameter to a Python function, sampled into an ionflux table.

        ``ps[key] = function`` does the same with the defaults. The solver (C++, and on
        the GPU) cannot call Python, so the function is evaluated once, at `points`
        evenly spaced values of the parameter's first argument over its physical range,
        and the solver interpolates that table (a not-a-knot cubic spline by default:
        for a smooth function its error shrinks as (1/points)^4). A `TabulationWarning`
        says what was sampled, where and how finely.

        Ranges (`ARGUMENTS`): stoichiometry sto in [0, 1] (OCPs, entropic changes,
        particle diffusivities); electrolyte concentration c_e in [0, 4000] mol/m3
        (electrolyte diffusivity, conductivity, transference number, thermodynamic
        factor; beyond, the table's end cubics extrapolate); temperature T in
        [233.15, 373.15] K (-40 to 100 degC: conductivities and thermal properties
        of T). Other arguments a function takes (T of a diffusivity, eps of a thermal
        property) are held at the set's values (ambient temperature, the layer's
        porosity); the warning says so, and whether the function depended on them.
        A function of (x, T) equal to a function of x times an Arrhenius factor
        (PyBaMM's ``D_ref(sto) * arrhenius(T)``, checked at 8 temperatures over the T
        range to 1e-9) becomes ``table(x) * exp(k * (1 / T0 - 1 / T))``, the table at
        T0 = the ambient temperature; any other dependence on a second argument cannot
        be held by a table in one argument (give an expression string to keep it).
        Exchange-current densities, functions of four arguments, take expressions, not
        Python functions.

        Parameters
        ----------
        key : str
            A function parameter (``"Negative electrode OCP [V]"``, ...).
        function : callable
            Called with numpy arrays: ``function(sto)`` or with all the parameter's
            arguments (``function(sto, T)``); a function that fails on arrays is called
            point by point.
        points : int, optional
            Number of samples (default `table_points`, 1001), at least 2.
        range : (float, float), optional
            The sampled interval instead of the default (e.g. ``(0.01, 0.99)`` for a
            function that is infinite at the ends).
        interpolator : {"cubic", "pchip", "linear"}, optional
            How the solver interpolates the samples (default ``"cubic"``).

        Raises
        ------
        ValueError
            For a parameter that cannot take a Python function, a function that
            returns a non-finite value (the message gives the argument value) or the
            wrong number of values.
        """
        if not isinstance(key, str) or not self._core.contains(key):
            raise self._unknown(key)
        if key not in _FUNCTION_PARAMETERS:
            raise TypeError(f"'{key}' takes a number, not a function")
        names = list(_core.function_arguments(key))
        if "c_s_surf" in names:
            raise ValueError(f"'{key}' is a function of ({', '.join(names)}): a Python function of four arguments "
                             f"cannot be sampled into a table; give an expression string in {', '.join(names)} "
                             f"(e.g. \"2e-5 * c_e ^ 0.5 * c_s_surf ^ 0.5 * (c_s_max - c_s_surf) ^ 0.5\")")
        n = int(self.table_points if points is None else points)
        if n < 2:
            raise ValueError(f"'{key}': points must be at least 2, got {n}")
        arg = names[0]
        lo, hi = ARGUMENTS[arg][2] if range is None else (float(range[0]), float(range[1]))  # type: ignore[misc]
        if not lo < hi:
            raise ValueError(f"'{key}': range must be (low, high) with low < high, got {range!r}")
        grid = np.linspace(lo, hi, n)
        probe = ParameterFunction("probe")
        probe._set, probe._key = self._core, key
        held = {a: probe.default_arguments()[a] for a in names[1:]}
        takes_all = _accepts(function, len(names))
        y = _sample(key, function, grid, [held[a] for a in names[1:]] if takes_all else [], arg)
        notes, expression = "", ""
        if names[1:]:
            fixed = ", ".join(f"{a} = {v:g} {ARGUMENTS[a][1]}" for a, v in held.items())
            if not takes_all:
                notes = f"; it takes {arg} only, so it is the same at every {', '.join(names[1:])}"
            else:
                bumped = [v + (10.0 if a == "T" else 0.05) for a, v in held.items()]
                y2 = _sample(key, function, grid[:: max(1, n // 50)], bumped, arg)
                depends = not np.allclose(y2, y[:: max(1, n // 50)], rtol=1e-12, atol=0.0)
                k = _arrhenius_factor(key, function, grid, y, held["T"], arg) if depends and names[1:] == ["T"] \
                    else None
                if k is not None:
                    t0 = held["T"]
                    expression = f"table({arg}) * exp({k!r} * (1 / {t0!r} - 1 / T))"
                    notes = (f" at T = {t0:g} K (the set's ambient temperature), times its temperature factor, "
                             f"found to be Arrhenius over [{ARGUMENTS['T'][2][0]:g}, {ARGUMENTS['T'][2][1]:g}] K: "
                             f"the function is {expression}")
                else:
                    notes = (f"; {', '.join(names[1:])} held at {fixed} (the set's values)" +
                             (f": the function depends on {', '.join(names[1:])}, which a table in {arg} cannot "
                              f"follow (give an expression string to keep that dependence)" if depends else
                              f" (the function does not depend on {', '.join(names[1:])} there)"))
        what = getattr(function, "__name__", type(function).__name__)
        self._set_table(key, {"x": grid, "y": y, "interpolator": interpolator, "expression": expression})
        unit = "" if ARGUMENTS[arg][1] == "-" else " " + ARGUMENTS[arg][1]
        warnings.warn(f"'{key}': the Python function {what} was sampled at {n} points over {arg} in "
                      f"[{lo:g}, {hi:g}]{unit} (step {(hi - lo) / (n - 1):.3g}) into a {interpolator} "
                      f"table{notes}. Set ps.table_points or ps.tabulate(name, f, points=..., range=...) to change "
                      f"this.", TabulationWarning, stacklevel=_stacklevel)

    def plot(self, name: str, x: Optional[str] = None, **kwargs: Any) -> Any:
        """Plot a function parameter against one of its arguments (matplotlib).

        ``ps.plot("Negative electrode OCP [V]")`` draws the OCP over sto in [0, 1];
        ``ps.plot("Electrolyte conductivity [S.m-1]", T=[273.15, 298.15, 318.15])``
        one curve per temperature. The values are the solver's (`ParameterFunction`).

        Parameters
        ----------
        name : str
            A parameter holding a function.
        x : str, optional
            The argument on the horizontal axis (see `ParameterFunction.plot`).
        **kwargs
            ``points``, ``ax``, ``range`` and values of the other arguments, as in
            `ParameterFunction.plot`.

        Returns
        -------
        matplotlib.axes.Axes
        """
        f = self[name]
        if not isinstance(f, ParameterFunction):
            raise TypeError(f"'{name}' is a number ({f:g}) in set {self.name}, not a function: nothing to plot")
        return f.plot(x, **kwargs)

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
        if not self._base.contains(key):
            return float("nan")  # added by update(..., check_already_exists=False)
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

    def update(self, other: Any = (), /, check_conflict: bool = False, check_already_exists: bool = True,
               path: str = "", **kwargs: Any) -> None:  # type: ignore[override]
        """Set several parameters at once (PyBaMM's ``ParameterValues.update`` spelling).

        All values are checked before any is applied: if one is rejected, the set is
        left unchanged.

        Parameters
        ----------
        other : mapping or iterable of (name, value) pairs, optional
            The new values.
        check_conflict : bool, optional
            Accepted for PyBaMM compatibility; ignored (each value is range-checked).
        check_already_exists : bool, optional
            True (default): every name must be one of the set's parameters. False, as
            in PyBaMM: names the set lacks are added — a parameter ionflux's model reads
            (e.g. the thermal parameters ``thermal="lumped"`` needs, which Prada2013
            lacks) becomes part of the set; any other name is kept in `extra`, unused
            by the solver (a warning lists them).
        path : str, optional
            Accepted for PyBaMM compatibility; ignored.
        **kwargs
            More values (only useful for names that are Python identifiers).

        Raises
        ------
        KeyError
            For an unknown name with ``check_already_exists=True`` (the message suggests
            the closest names and says how to add one).
        ValueError
            For a value outside its physical range.
        """
        del check_conflict, path  # PyBaMM's options with no ionflux meaning
        trial = self.copy()
        items = list(other.items()) if isinstance(other, Mapping) else list(other)
        items += list(kwargs.items())
        missing = [k for k, _ in items if k not in trial]
        if missing and check_already_exists:
            err = trial._unknown(missing[0])
            raise UnknownParameterError(
                f"{err.args[0]}. To add a parameter the set lacks, as PyBaMM does: "
                f"ps.update({{...}}, check_already_exists=False)")
        extra = [k for k in missing if not isinstance(k, str) or k not in set(_core.known_parameters())]
        added = [k for k in missing if k not in extra]
        if added:  # through the parameter-file reader: the entries the model reads are checked as files' are
            d = json.loads(str(trial._core.to_json()))
            values = dict(items)
            for k in added:
                v = values[k]
                d["parameters"][k] = v if isinstance(v, (str, Mapping, numbers.Real)) and not isinstance(v, bool) \
                    else 1.0  # replaced below
            trial._core = _core.parse_parameter_file(json.dumps(d), trial.name)
        for k, v in items:
            if k in extra:
                trial.extra[k] = v
            else:
                trial[k] = v
        if extra:
            warnings.warn(f"ionflux's DFN model does not read {', '.join(repr(k) for k in extra)}: kept in "
                          f"ps.extra, unused by the solver", UserWarning, stacklevel=2)
        self._core = trial._core
        self._extra = trial.extra

    @property
    def extra(self) -> Dict[str, Any]:
        """Values added with ``update(..., check_already_exists=False)`` under names
        ionflux's model does not read: kept for reference, unused by the solver."""
        if "_extra" not in vars(self):
            self._extra: Dict[str, Any] = {}
        return self._extra

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
            if not self._base.contains(key) or self._base.is_function(key) or float(self._base.get(key)) != value:
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
        if not self._base.contains(key) or not self._base.is_function(key):
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


def _file_base(path: str) -> Optional[str]:
    """The built-in set a parameter file names as its "base" (None for none, or not a file)."""
    if not path.endswith(".json"):
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            top = json.load(fh)
    except (OSError, ValueError):
        return None  # the compiled loader has already said what is wrong
    base = top.get("base") if isinstance(top, dict) and "ionflux parameter file" in top else None
    return base if isinstance(base, str) and base in parameter_sets() else None


def _accepts(function: Callable[..., Any], count: int) -> bool:
    """Whether `function` can be called with `count` positional arguments (else: one)."""
    try:
        sig = inspect.signature(function)
    except (TypeError, ValueError):  # builtins, numpy ufuncs
        return getattr(function, "nin", 1) >= count
    try:
        sig.bind(*([0.0] * count))
        return True
    except TypeError:
        return False


def _arrhenius_factor(key: str, function: Callable[..., Any], grid: np.ndarray, y0: np.ndarray, t0: float,
                      arg: str) -> Optional[float]:
    """k when f(x, T) = f(x, T0) exp(k (1/T0 - 1/T)) at every sampled x and at 8
    temperatures over the T range (relative 1e-9), as PyBaMM's Arrhenius-scaled
    diffusivities and conductivities are; else None."""
    lo, hi = ARGUMENTS["T"][2]  # type: ignore[misc]
    temps = [t for t in np.linspace(lo, hi, 8) if abs(t - t0) > 1.0]
    step = max(1, grid.size // 100)
    x, ref = grid[::step], y0[::step]
    live = ref != 0.0
    if not live.any():
        return None
    ks = []
    for t in temps:
        try:
            yt = _sample(key, function, x, [t], arg)
        except ValueError:
            return None
        if np.any(yt[~live] != 0.0) or np.any(yt[live] / ref[live] <= 0.0):
            return None
        ratio = yt[live] / ref[live]
        if not np.allclose(ratio, ratio[0], rtol=1e-9, atol=0.0):
            return None  # the T factor differs along x: not separable
        ks.append(np.log(ratio[0]) / (1.0 / t0 - 1.0 / t))
    k = float(np.median(ks))
    # exp(k (1/T0 - 1/T)) to 1e-9 relative at every temperature: |dk| |1/T0 - 1/T| < 1e-9
    if all(abs(kt - k) * abs(1.0 / t0 - 1.0 / t) < 1e-9 for kt, t in zip(ks, temps)):
        return k
    return None


def _sample(key: str, function: Callable[..., Any], grid: np.ndarray, others: Sequence[float],
            arg: str) -> np.ndarray:
    """`function` at every grid point (vectorised if it can be, else point by point), by
    the one sampler (`_sampling.sample_table`), with this module's error messages."""
    try:
        return sample_table(function, grid=grid, others=others).y
    except SamplingError as e:
        if e.kind == "call":
            raise ValueError(f"'{key}': calling the Python function at {arg} = {e.at:g} failed: {e.error}") from e.error
        raise ValueError(f"'{key}': the Python function is not finite at {arg} = {e.at:g} ({e.value}); "
                         f"sample a narrower interval: ps.tabulate(name, f, range=(low, high))") from None


def _as_table(key: str, value: Any) -> Optional[Dict[str, Any]]:
    """A PyBaMM data tuple ``(name, (x, y))`` (x may be ``[x]``, as
    pybamm.parameters.process_1D_data gives it) as a linear table, PyBaMM's default
    interpolator for these; a pandas DataFrame (two columns x, y, or one column over its
    index) or Series (values over its index) as a pchip table, ionflux's default.
    None for anything else."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        data = value[1]
        if not (isinstance(data, (tuple, list)) and len(data) == 2):
            raise ValueError(f"'{key}': a PyBaMM data tuple is (name, (x, y)), got {value!r:.80}")
        x, y = data
        if isinstance(x, (tuple, list)) and len(x) == 1 and np.ndim(x[0]) == 1:
            x = x[0]
        if np.ndim(x) != 1:
            raise ValueError(f"'{key}': ionflux tables are 1-D: (name, (x, y)) with one x array, "
                             f"got x of shape {np.shape(x)}")
        return {"x": x, "y": y, "interpolator": "linear"}
    mod = type(value).__module__ or ""
    if mod.startswith("pandas"):
        name = type(value).__name__
        if name == "Series":
            return {"x": np.asarray(value.index, dtype=float), "y": np.asarray(value, dtype=float)}
        if name == "DataFrame":
            if value.shape[1] == 2:
                return {"x": value.iloc[:, 0].to_numpy(float), "y": value.iloc[:, 1].to_numpy(float)}
            if value.shape[1] == 1:
                return {"x": np.asarray(value.index, dtype=float), "y": value.iloc[:, 0].to_numpy(float)}
            raise ValueError(f"'{key}': a DataFrame for a table has two columns (x, y) or one column over its "
                             f"index, got columns {list(value.columns)}")
    return None


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
