"""PyBaMM objects as ionflux inputs: ``pybamm.ParameterValues`` and ``pybamm.Experiment``.

PyBaMM is not imported by ionflux: these objects are recognised by their type, and the
conversion uses the PyBaMM that made them (docs/python.md, "Coming from PyBaMM").

* A ``pybamm.ParameterValues`` becomes a complete ionflux parameter set: numbers are
  copied; a function is called with symbols for the arguments PyBaMM's DFN passes it
  (``sto``, ``c_e``, ``c_s_surf``, ``c_s_max``, ``T``), PyBaMM substitutes the parameters it
  reads, and the expression tree is written as an ionflux expression (a 1-D
  ``pybamm.Interpolant`` becomes the function's table). A node without an ionflux
  equivalent is tabulated over its argument's physical range, with a
  `PyBaMMConversionWarning` naming the parameter and the node; where that is not possible
  either, a ValueError names the parameter, the function and the node.
* A ``pybamm.Experiment`` (or `Experiment`) becomes ionflux's step strings: a step
  written as a string keeps its text; a ``pybamm.step`` object is written as the string
  that means the same. Its period becomes the output period, its temperature the ambient
  temperature, a time termination the end time.
"""
from __future__ import annotations

import json
import math
import numbers
import os
import re
import tempfile
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import _core

__all__ = ["Experiment", "PyBaMMConversionWarning"]


class PyBaMMConversionWarning(UserWarning):
    """A PyBaMM function was tabulated (its expression tree has a node ionflux's
    expressions lack), or a PyBaMM setting has no ionflux equivalent."""


def _is_pybamm(obj: Any, cls: str) -> bool:
    return any(k.__name__ == cls and k.__module__.split(".")[0] == "pybamm" for k in type(obj).__mro__)


def is_parameter_values(obj: Any) -> bool:
    """True for a ``pybamm.ParameterValues``."""
    return _is_pybamm(obj, "ParameterValues")


def is_experiment(obj: Any) -> bool:
    """True for a ``pybamm.Experiment`` or an `ionflux.Experiment`."""
    return isinstance(obj, Experiment) or _is_pybamm(obj, "Experiment")


# ---------------------------------------------------------------------------------------
# Parameter values
# ---------------------------------------------------------------------------------------

_KNOWN_NAMES: Optional[frozenset] = None
_REQUIRED: Optional[frozenset] = None


def _required_names() -> frozenset:
    """The parameters a complete ionflux parameter file must give (its loader lists them)."""
    global _REQUIRED
    if _REQUIRED is None:
        fd, path = tempfile.mkstemp(prefix="ionflux_pybamm_", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write('{"ionflux parameter file": 1, "parameters": {}}')
            try:
                _core.ParameterSet(path)
                names: List[str] = []
            except ValueError as e:
                names = re.findall(r"'([^']+)'", str(e).split("):", 1)[-1])
        finally:
            os.unlink(path)
        _REQUIRED = frozenset(names)
    return _REQUIRED


def _known_names() -> frozenset:
    """Every parameter name of ionflux's sets (the names a parameter file accepts)."""
    global _KNOWN_NAMES
    if _KNOWN_NAMES is None:
        names = set()
        for s in _core.builtin_sets():
            names.update(_core.ParameterSet(s).names())
        _KNOWN_NAMES = frozenset(names)
    return _KNOWN_NAMES


def _kind(name: str) -> str:
    for prefix in ("Negative ", "Positive "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


#: The arguments PyBaMM 26.10's DFN passes each function parameter, by kind (ionflux names).
_ARGUMENTS = {
    "electrode OCP [V]": ("sto",),
    "electrode OCP entropic change [V.K-1]": ("sto",),
    "particle diffusivity [m2.s-1]": ("sto", "T"),
    "electrode exchange-current density [A.m-2]": ("c_e", "c_s_surf", "c_s_max", "T"),
    "Electrolyte diffusivity [m2.s-1]": ("c_e", "T"),
    "Electrolyte conductivity [S.m-1]": ("c_e", "T"),
    "Cation transference number": ("c_e", "T"),
    "Thermodynamic factor": ("c_e", "T"),
    # PyBaMM 26.10 passes (sto, T); ionflux's conductivity is a function of T only.
    "electrode conductivity [S.m-1]": ("sto", "T"),
    # degradation (docs/degradation_options.md)
    "Exchange-current density for plating [A.m-2]": ("c_e", "c_Li", "T"),
    "Exchange-current density for stripping [A.m-2]": ("c_e", "c_Li", "T"),
    "Dead lithium decay rate [s-1]": ("L_sei",),
    "electrode Young's modulus [Pa]": ("sto", "T"),
    "electrode partial molar volume [m3.mol-1]": ("sto", "T"),
    "electrode volume change": ("sto",),
    "electrode current-driven LAM rate": ("i", "T"),
}

#: Wet-layer thermal properties: the layer's porosity is ionflux's argument `eps`.
_POROSITY_OF = {
    "Negative electrode": "Negative electrode porosity",
    "Positive electrode": "Positive electrode porosity",
    "Separator": "Separator porosity",
}

_FUNCTIONS = {"Exp": "exp", "Log": "log", "Sqrt": "sqrt", "Tanh": "tanh", "Cosh": "cosh", "Sinh": "sinh"}
_BINARY = {"Addition": "+", "Subtraction": "-", "Multiplication": "*", "Division": "/", "Power": "^"}


class _Unsupported(Exception):
    """A node of the tree has no ionflux expression (and could not be tabulated)."""

    def __init__(self, node: Any, reason: str) -> None:
        super().__init__(reason)
        self.node = node
        self.reason = reason


def _node_text(node: Any) -> str:
    try:
        text = str(node)
    except Exception:  # pragma: no cover - printing never fails in practice
        text = type(node).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _node_name(node: Any) -> str:
    return f"pybamm.{type(node).__name__} '{_node_text(node)}'"


def _variables(node: Any) -> List[str]:
    import pybamm

    return sorted({n.name for n in node.pre_order() if isinstance(n, pybamm.Variable)})


def _number(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"the number {value} is not finite")
    text = repr(float(value))
    return f"({text})" if text.startswith("-") else text


class _Ranges:
    """Physical ranges of the arguments, for tabulating."""

    def __init__(self, values: Dict[str, Any], electrode: Optional[str]) -> None:
        c_e0 = _as_float(values.get("Initial concentration in electrolyte [mol.m-3]"), 1000.0)
        c_max = _as_float(values.get(f"Maximum concentration in {electrode.lower()} electrode [mol.m-3]"), math.nan) \
            if electrode else math.nan
        self.ranges = {
            "sto": (0.0, 1.0, "stoichiometry"),
            "c_e": (0.0, 4.0 * c_e0, "mol.m-3 (0 to 4 x the initial electrolyte concentration)"),
            "T": (233.15, 373.15, "K (-40 to 100 degC)"),
            "c_s_surf": (0.0, c_max, "mol.m-3 (0 to the maximum concentration)"),
            "eps": (0.0, 1.0, "(porosity)"),
        }


def _as_float(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _evaluate(node: Any, env: Dict[str, np.ndarray]) -> np.ndarray:
    """Evaluate a tree whose leaves are Variables (from `env`) and numbers, with numpy."""
    import pybamm

    if isinstance(node, pybamm.Variable):
        return env[node.name]
    if not any(isinstance(n, pybamm.Variable) for n in node.pre_order()):
        return np.asarray(node.evaluate(), dtype=float)
    kids = [_evaluate(c, env) for c in node.children]
    if isinstance(node, pybamm.BinaryOperator):
        return np.asarray(node._binary_evaluate(kids[0], kids[1]), dtype=float)
    if isinstance(node, pybamm.UnaryOperator):
        return np.asarray(node._unary_evaluate(kids[0]), dtype=float)
    if isinstance(node, pybamm.Function):
        if isinstance(node, pybamm.Interpolant):
            shape = np.shape(kids[0])
            out = node._function_evaluate([np.ravel(k) for k in kids])
            return np.reshape(np.asarray(out, dtype=float), shape)
        return np.asarray(node._function_evaluate(kids), dtype=float)
    raise _Unsupported(node, "it cannot be evaluated numerically")


class _Converter:
    """One function parameter: PyBaMM expression tree -> ionflux expression (+ one table)."""

    def __init__(self, parameter: str, ranges: _Ranges) -> None:
        self.parameter = parameter
        self.ranges = ranges
        self.table: Optional[Dict[str, Any]] = None
        self.notes: List[str] = []

    def emit(self, node: Any) -> str:
        import pybamm

        if isinstance(node, pybamm.Variable):
            return node.name
        if not any(isinstance(n, pybamm.Variable) for n in node.pre_order()):
            try:
                return _number(float(np.asarray(node.evaluate(), dtype=float).reshape(-1)[0]))
            except Exception as e:  # noqa: BLE001 - named in the message
                raise _Unsupported(node, f"it does not evaluate to a number ({e})") from None
        name = type(node).__name__
        if name in _BINARY:
            return f"({self.emit(node.children[0])} {_BINARY[name]} {self.emit(node.children[1])})"
        if name in ("Minimum", "Maximum"):
            return f"{name[:3].lower()}({self.emit(node.children[0])}, {self.emit(node.children[1])})"
        if name == "Negate":
            return f"(-{self.emit(node.children[0])})"
        if name == "AbsoluteValue":
            return f"abs({self.emit(node.children[0])})"
        if name == "NotConstant":
            return self.emit(node.children[0])
        if name in _FUNCTIONS and len(node.children) == 1:
            return f"{_FUNCTIONS[name]}({self.emit(node.children[0])})"
        if isinstance(node, pybamm.Interpolant) and len(node.children) == 1 and self.table is None \
                and getattr(node, "_num_derivatives", 0) == 0 \
                and node.interpolator in ("linear", "cubic", "pchip"):
            x = np.asarray(node.x[0], dtype=float).ravel()
            y = np.asarray(node.y, dtype=float).ravel()
            self.table = {"x": x.tolist(), "y": y.tolist(), "interpolator": node.interpolator}
            self.notes.append(f"the interpolant '{node.name}' ({node.interpolator}, {len(x)} points) is its table")
            return f"table({self.emit(node.children[0])})"
        why = "a second interpolant (an ionflux function has one table)" if isinstance(node, pybamm.Interpolant) \
            and self.table is not None else "ionflux expressions have no such operation"
        return self.tabulate_node(node, why)

    def tabulate_node(self, node: Any, why: str) -> str:
        """A subtree in one argument as the function's table, read at that argument."""
        args = _variables(node)
        if len(args) != 1 or self.table is not None or args[0] not in self.ranges.ranges:
            reason = why
            if self.table is not None:
                reason += "; it cannot be tabulated either: the function already has a table"
            elif len(args) != 1:
                reason += f"; it cannot be tabulated either: it depends on {' and '.join(args)} " \
                          "(an ionflux table has one argument)"
            raise _Unsupported(node, reason)
        self.table = tabulate(self.parameter, node, args[0], self.ranges, why)
        self.notes.append(self.table.pop("note"))
        return f"table({args[0]})"


def tabulate(parameter: str, node: Any, arg: str, ranges: _Ranges, why: str, whole: bool = False) -> Dict[str, Any]:
    """Sample `node` (a tree in the one variable `arg`) over the argument's range.

    The grid is refined (2001 up to 16001 points) until a cubic spline through the points
    matches the function at the midpoints to 1e-9 relative to its range.
    """
    lo, hi, unit = ranges.ranges[arg]
    if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
        raise _Unsupported(node, f"{why}; it cannot be tabulated either: no range known for {arg}")
    from ._sampling import SamplingError, sample_table  # the one sampler (also ParameterSet.tabulate)

    try:
        s = sample_table(lambda v: _evaluate(node, {arg: v}), lo, hi, points=2001, pointwise=False,
                         tolerance=1e-9, max_points=16001, trim=True, passthrough=(_Unsupported,))
    except SamplingError as e:
        if e.kind == "call":
            raise _Unsupported(node, f"{why}; it cannot be tabulated either: evaluating it over {arg} in "
                                     f"[{lo:g}, {hi:g}] failed ({type(e.error).__name__}: {e.error})") from None
        raise _Unsupported(node, f"{why}; it cannot be tabulated either: it is not finite inside "
                                 f"{arg} in [{lo:g}, {hi:g}]") from None
    x, y, err = s.x, s.y, s.deviation
    dropped = "" if s.trimmed is None else \
        f" (not finite at {arg} = {s.trimmed[0]:g}: points from {s.trimmed[1]:g} to {s.trimmed[2]:g})"
    note = ("it" if whole else f"its node {_node_name(node)}:") + \
        f" {why}, so it was tabulated over {arg} in [{x[0]:g}, {x[-1]:g}] {unit} at " \
        f"{len(x)} points (cubic; largest deviation between points {err:.1e} of its range){dropped}"
    return {"x": x.tolist(), "y": y.tolist(), "interpolator": "cubic", "note": note}


def _function_label(value: Any) -> str:
    name = getattr(value, "__name__", None)
    return f"function {name}" if name else type(value).__name__


def _convert_function(parameter: str, value: Any, pv: Any, values: Dict[str, Any]) -> Tuple[Any, List[str]]:
    """One PyBaMM function parameter as an ionflux parameter-file value, and notes (warnings)."""
    import pybamm

    kind = _kind(parameter)
    electrode = parameter.split(" ")[0] if parameter.startswith(("Negative ", "Positive ")) else None
    ranges = _Ranges(values, electrode)
    label = _function_label(value)
    where = f"cannot convert '{parameter}' (PyBaMM {label})"

    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return float(value), []
    _refuse_input(parameter, value)
    if isinstance(value, tuple) and len(value) == 2:  # (name, (x, y)) data: PyBaMM's linear Interpolant
        from .parameters import _as_table  # the one reader of PyBaMM data tuples (also ps[name] = (name, (x, y)))

        try:
            table = _as_table(parameter, value)
        except ValueError as e:
            raise ValueError(f"{where}: {e}") from None
        if table is None:
            raise ValueError(f"{where}: a PyBaMM data tuple is (name, (x, y)), got {value!r:.80}")
        return {"x": np.asarray(table["x"], dtype=float).tolist(),
                "y": np.asarray(table["y"], dtype=float).ravel().tolist(), "interpolator": "linear"}, []

    args = _ARGUMENTS.get(kind, ("T",))  # the thermal properties are functions of T
    if isinstance(value, pybamm.Symbol):
        tree = value
    elif callable(value):
        n_args = len(args)
        try:
            import inspect

            params = [p for p in inspect.signature(value).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            if kind == "electrode conductivity [S.m-1]" and len(params) == 1:
                args = ("T",)  # a conductivity of T only (before PyBaMM 26.6)
            n_args = len(args)
        except (TypeError, ValueError):
            pass
        try:
            tree = value(*[pybamm.Variable(a) for a in args[:n_args]])
        except Exception as e:  # noqa: BLE001 - named in the message
            raise ValueError(f"{where}: calling it with PyBaMM symbols for ({', '.join(args)}) failed: "
                             f"{type(e).__name__}: {e}") from None
    else:
        raise ValueError(f"{where}: a {type(value).__name__} is neither a number, a function nor data")
    if not isinstance(tree, pybamm.Symbol):
        try:
            return float(tree), []
        except (TypeError, ValueError):
            raise ValueError(f"{where}: it returned a {type(tree).__name__}, not a PyBaMM expression") from None

    # PyBaMM substitutes the parameters a function reads (a wet layer's porosity stays the
    # argument `eps`, which ionflux passes).
    processor = pv
    layer = next((lay for lay in _POROSITY_OF if parameter.startswith(lay + " ")), None)
    if layer and kind not in _ARGUMENTS:  # a wet layer's density, heat capacity or thermal conductivity
        processor = pv.copy()
        processor.update({_POROSITY_OF[layer]: pybamm.Variable("eps")}, check_already_exists=False)
    try:
        tree = processor.process_symbol(tree)
    except Exception as e:  # noqa: BLE001 - named in the message
        raise ValueError(f"{where}: PyBaMM could not substitute the parameters it reads: "
                         f"{type(e).__name__}: {e}") from None

    used = _variables(tree)
    if kind == "electrode conductivity [S.m-1]" and "sto" in used:
        raise ValueError(f"{where}: it depends on the electrode stoichiometry, and ionflux's electrode "
                         "conductivity is a function of T only")

    conv = _Converter(parameter, ranges)
    try:
        text = conv.emit(tree)
    except _Unsupported as u:
        # The whole function in one argument: a table of it.
        if len(used) == 1 and used[0] in ranges.ranges and conv.table is None:
            try:
                table = tabulate(parameter, tree, used[0], ranges,
                                 f"has the node {_node_name(u.node)}, and {u.reason}", whole=True)
            except _Unsupported as u2:
                raise ValueError(f"{where}: node {_node_name(u.node)}: {u2.reason}") from None
            return _finish_table(table, None), [table_note(parameter, label, table)]
        raise ValueError(f"{where}: node {_node_name(u.node)}: {u.reason}") from None

    out: Any = text if conv.table is None else dict(conv.table, expression=text)
    problem = _compile_problem(parameter, out)
    if problem is not None:
        if len(used) == 1 and used[0] in ranges.ranges:
            table = tabulate(parameter, tree, used[0], ranges, f"does not compile in ionflux ({problem})",
                             whole=True)
            return _finish_table(table, None), [table_note(parameter, label, table)]
        raise ValueError(f"{where}: its expression does not compile in ionflux ({problem}), and it depends on "
                         f"{' and '.join(used)}, so it cannot be tabulated over one argument")
    notes = [f"'{parameter}' (PyBaMM {label}): {n}" for n in conv.notes if "was tabulated" in n]
    return out, notes


def table_note(parameter: str, label: str, table: Dict[str, Any]) -> str:
    return f"'{parameter}' (PyBaMM {label}): {table.pop('note')}"


def _finish_table(table: Dict[str, Any], expression: Optional[str]) -> Dict[str, Any]:
    out = {k: v for k, v in table.items() if k != "note"}
    if expression:
        out["expression"] = expression
    return out


_SCRATCH: Dict[str, Any] = {}


def _compile_problem(parameter: str, value: Any) -> Optional[str]:
    """None if ionflux compiles the expression/table, else the reason (one line)."""
    scratch = _SCRATCH.get(parameter)
    if scratch is None:
        for s in _core.builtin_sets():
            core = _core.ParameterSet(s)
            if core.contains(parameter):
                scratch = _SCRATCH[parameter] = core
                break
        else:
            return None  # checked when the whole set loads
    try:
        if isinstance(value, str):
            scratch.set_expression(parameter, value)
        elif isinstance(value, dict):
            scratch.set_table(parameter, value["x"], value["y"], value.get("interpolator", "pchip"),
                              value.get("expression", ""))
    except (ValueError, TypeError) as e:
        text = str(e).split("\n")[0].replace(f"'{parameter}': ", "")
        return re.sub(r'expression "[^"]*"(: )?', "", text)
    return None


def _refuse_input(parameter: str, value: Any) -> None:
    import pybamm

    if isinstance(value, pybamm.InputParameter) or (isinstance(value, str) and value == "[input]"):
        raise ValueError(f"'{parameter}' is a pybamm.InputParameter ('[input]') in the pybamm.ParameterValues: give "
                         "it a number, or vary it with ionflux.Sweep(vary={...})")


def _scalar(parameter: str, value: Any, pv: Any) -> float:
    """A number-valued parameter's PyBaMM value as a float."""
    import pybamm

    _refuse_input(parameter, value)

    if isinstance(value, bool):
        raise ValueError(f"'{parameter}' is {value!r} in the pybamm.ParameterValues; ionflux takes a number")
    if isinstance(value, numbers.Number):
        return float(value)
    if isinstance(value, str):
        hint = " (a pybamm.InputParameter: give a number, or vary it with ionflux.Sweep(vary=...))" \
            if value == "[input]" else ""
        raise ValueError(f"'{parameter}' is the string {value!r} in the pybamm.ParameterValues{hint}; ionflux "
                         "takes a number")
    tree = value
    if callable(value) and not isinstance(value, pybamm.Symbol):
        import inspect

        try:
            n = len(inspect.signature(value).parameters)
        except (TypeError, ValueError):
            n = 0
        try:
            tree = value(*[pybamm.Variable(f"argument {i + 1}") for i in range(n)])
        except Exception as e:  # noqa: BLE001
            raise ValueError(f"cannot convert '{parameter}' (PyBaMM {_function_label(value)}): calling it failed: "
                             f"{type(e).__name__}: {e}") from None
    if isinstance(tree, pybamm.Symbol):
        tree = pv.process_symbol(tree)
        if not any(isinstance(n, pybamm.Variable) for n in tree.pre_order()):
            try:
                return float(np.asarray(tree.evaluate(), dtype=float).reshape(-1)[0])
            except Exception:  # noqa: BLE001
                pass
        time = {"Current function [A]": "give the current as a drive cycle in an experiment: write (t, I) to a "
                                        "CSV file and use 'Discharge with current from FILE.csv' "
                                        "(docs/experiments.md)",
                "Ambient temperature [K]": "ionflux's ambient temperature is constant in a run (or per experiment: "
                                           "pybamm.Experiment(..., temperature=T))"}
        how = time.get(parameter, "ionflux takes a number for it (constant in time and uniform in x and r)")
        raise ValueError(f"cannot convert '{parameter}' (PyBaMM {_function_label(value)}): it is a function of "
                         f"{', '.join(_variables(tree)) or 'its arguments'} in PyBaMM; {how}")
    try:
        return float(tree)
    except (TypeError, ValueError):
        raise ValueError(f"'{parameter}': a {type(value).__name__} in the pybamm.ParameterValues; ionflux takes a "
                         "number") from None


def _check_model(values: Dict[str, Any]) -> None:
    """Sets that need a PyBaMM model ionflux does not have: a precise message."""
    phased = sorted(k for k in values if k.startswith(("Primary: ", "Secondary: ")))
    if phased:
        fns = [k for k in phased if callable(values[k]) or isinstance(values[k], tuple)]
        example = ", ".join(f"'{k}'" for k in (fns or phased)[:2])
        raise ValueError(
            f"cannot convert this pybamm.ParameterValues: it has two particle phases (PyBaMM's option "
            f"'particle phases', {len(phased)} 'Primary: '/'Secondary: ' parameters such as {example}); ionflux's "
            "DFN has one particle phase per electrode, so these functions have no ionflux parameter")
    msmr = sorted(k for k in values if "host site" in k)
    if msmr and "Negative electrode OCP [V]" not in values:
        raise ValueError(
            f"cannot convert this pybamm.ParameterValues: its open-circuit potentials are MSMR reactions "
            f"('{msmr[0]}', ...; PyBaMM's option 'open-circuit potential': 'MSMR'), with no 'Negative electrode OCP "
            "[V]' function of the stoichiometry; ionflux's DFN needs each electrode's OCP as a function of sto")
    if "Exchange-current density for lithium metal electrode [A.m-2]" in values and \
            "Negative particle radius [m]" not in values:
        raise ValueError(
            "cannot convert this pybamm.ParameterValues: it is a half-cell set (a lithium-metal negative "
            "electrode: 'Exchange-current density for lithium metal electrode [A.m-2]', and no negative particles; "
            "PyBaMM's option 'working electrode': 'positive'); ionflux's DFN has two porous electrodes")


def set_name(pv: Any) -> str:
    """A name for the converted set: ``pybamm.ParameterValues (Chen2020)`` when its
    citations name it, else ``pybamm.ParameterValues``."""
    cites = pv._store.get("citations") if hasattr(pv, "_store") else None
    try:
        cites = list(pv["citations"]) if cites is None and "citations" in pv.keys() else cites
    except Exception:  # noqa: BLE001
        cites = None
    if isinstance(cites, (list, tuple)) and cites:
        shown = ", ".join(str(c) for c in cites[:3]) + (", ..." if len(cites) > 3 else "")
        return f"pybamm.ParameterValues ({shown})"
    return "pybamm.ParameterValues"


def convert_parameter_values(pv: Any, name: Optional[str] = None) -> Tuple[Dict[str, Any], List[str], List[str]]:
    """The ionflux parameter file for `pv`, the conversion notes (warnings) and the
    PyBaMM parameters left out (not read by ionflux's DFN)."""
    values = {k: pv[k] for k in pv.keys()}
    _check_model(values)
    known = _known_names()
    fns = set(_core.function_parameters())
    entries: Dict[str, Any] = {}
    notes: List[str] = []
    skipped: List[str] = []
    for key, value in values.items():
        if key not in known:
            if key != "citations" and key != "chemistry":
                skipped.append(key)
            continue
        if key in fns:
            converted, n = _convert_function(key, value, pv, values)
            entries[key] = converted
            notes.extend(n)
        else:
            try:
                entries[key] = _scalar(key, value, pv)
            except ValueError:
                if key in _required_names():
                    raise
                skipped.append(key)  # e.g. a plating exchange current: not read by ionflux's DFN
    doc = {
        "ionflux parameter file": 1,
        "name": name or set_name(pv),
        "description": "converted from a pybamm.ParameterValues by ionflux (numbers copied, functions "
                       "converted from PyBaMM's expression trees)"
                       + (f"; PyBaMM parameters not read by ionflux's DFN: {', '.join(skipped)}" if skipped else ""),
        "parameters": entries,
    }
    return doc, notes, skipped


def parameter_set_core(pv: Any, name: Optional[str] = None) -> Tuple[Any, Dict[str, Any]]:
    """A compiled ionflux set (`_core.ParameterSet`) from a ``pybamm.ParameterValues``, and
    the parameter file it was made from. Warns once per tabulated function."""
    doc, notes, _ = convert_parameter_values(pv, name)
    for note in notes:
        warnings.warn(note, PyBaMMConversionWarning, stacklevel=4)
    fd, path = tempfile.mkstemp(prefix="ionflux_pybamm_", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh)
        try:
            core = _core.ParameterSet(path)
        except ValueError as e:
            msg = str(e).replace(f"parameter file '{path}': ", "").replace(path, "<converted set>")
            msg = msg.replace('(give them, or start from a built-in set with "base")', "(ionflux's DFN reads them)")
            raise ValueError(f"pybamm.ParameterValues: {msg}") from None
    finally:
        os.unlink(path)
    return core, doc


# ---------------------------------------------------------------------------------------
# Experiments
# ---------------------------------------------------------------------------------------

def _duration_seconds(value: Any, where: str) -> float:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    m = re.fullmatch(r"\s*([0-9.eE+-]+)\s*(s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hr|hrs|hour|hours)"
                     r"\s*", str(value))
    if not m:
        raise ValueError(f"{where}: cannot read the duration {value!r} (a number of seconds, or e.g. '10 minutes')")
    unit = m.group(2)[0]
    return float(m.group(1)) * {"s": 1.0, "m": 60.0, "h": 3600.0}[unit]


def _g(value: float) -> str:
    return repr(float(value)) if float(value) != int(value) else str(int(value))


def _termination_text(t: Any, where: str) -> str:
    kind = type(t).__name__
    op = getattr(t, "operator", None)
    op = f"{op} " if op else ""
    if kind == "VoltageTermination":
        return f"{op}{_g(t.value)} V"
    if op and kind in ("CurrentTermination", "CRateTermination"):
        # PyBaMM compares the signed current (positive on discharge) there; ionflux's
        # current conditions are |I| <= value: refused rather than run as the opposite
        unit = "A" if kind == "CurrentTermination" else "C"
        raise ValueError(f"{where}: the end condition '{op}{_g(t.value)} {unit}' compares PyBaMM's signed current "
                         f"(positive on discharge); ionflux's current end conditions are on |I| ('until "
                         f"{_g(t.value)} {unit}' ends once |I| <= {_g(t.value)} {unit}): give the termination "
                         "without the operator if that is what you mean")
    if kind == "CurrentTermination":
        return f"{_g(t.value)} A"
    if kind == "CRateTermination":
        return f"{_g(t.value)}C"
    raise ValueError(f"{where}: a {kind} end condition has no ionflux step string (ionflux ends steps on a "
                     "voltage, a current or a C-rate)")


def step_string(step: Any, where: str) -> str:
    """A ``pybamm.step`` object as the ionflux (and PyBaMM) step string that means the same.

    A step made from a string keeps it. Default durations (PyBaMM gives every step one)
    are left out, so the step ends as its string form would in ionflux.
    """
    if isinstance(step, str):
        return step
    if getattr(step, "start_time", None) is not None:
        # PyBaMM rests until a step's start time (or cuts the step before short): a
        # timeline ionflux's steps cannot express; refused rather than run back to back
        raise ValueError(f"{where}: a pybamm.step with a start_time ({step.start_time}) is not supported by "
                         "ionflux (its steps run one after the other); give the wait as a rest step, e.g. "
                         "'Rest for 20 minutes'")
    desc = getattr(step, "description", None)
    if isinstance(desc, str) and desc.strip() and _described_by(step, desc):
        return desc  # a step made from a string: that string
    kind = type(step).__name__
    if kind in ("CustomStepExplicit", "CustomStepImplicit", "Resistance"):
        raise ValueError(f"{where}: a pybamm.step {kind} step has no ionflux equivalent (ionflux's steps are "
                         "currents, C-rates, powers, voltage holds, rests and drive cycles from files)")
    value = step.value
    if not isinstance(value, numbers.Real):
        raise ValueError(f"{where}: a pybamm.step {kind} whose value is a {type(value).__name__} (a drive cycle) "
                         "has no ionflux string; write the (time, value) data to a CSV file and use "
                         "'Discharge with current from FILE.csv' (docs/experiments.md)")
    value = float(value)
    if kind == "Rest" or (value == 0.0 and kind != "Voltage"):
        text = "Rest"
    elif kind == "Voltage":
        text = f"Hold at {_g(value)} V"
    else:
        unit = {"Current": " A", "CRate": "C", "Power": " W"}.get(kind)
        if unit is None:
            raise ValueError(f"{where}: a pybamm.step {kind} step has no ionflux equivalent")
        text = f"{'Discharge' if value > 0 else 'Charge'} at {_g(abs(value))}{unit}"
    parts = [text]
    if getattr(step, "input_duration", None) is not None:
        parts.append(f"for {_g(_duration_seconds(step.input_duration, where))} seconds")
    terms = [_termination_text(t, where) for t in (getattr(step, "termination", None) or [])]
    if terms:
        parts.append(("or until " if len(parts) > 1 else "until ") + " or ".join(terms))
    if text == "Rest" and len(parts) == 1:
        parts.append(f"for {_g(step.duration)} seconds")
    return " ".join(parts)


def _described_by(step: Any, text: str) -> bool:
    """Whether PyBaMM reads `text` as `step` (its kind, value, duration, direction and
    terminations): the step was made from that string. A step made otherwise may carry any
    description (a label, or a string that means another step), so its own fields count."""
    try:
        import pybamm

        parsed = pybamm.step.string(text)
    except Exception:  # a label that is no step string
        return False

    def fields(s: Any) -> Tuple[Any, ...]:
        value = s.value
        if isinstance(value, numbers.Real):
            value = float(value)
        terms = tuple((type(t).__name__, float(t.value), getattr(t, "operator", None))
                      for t in (getattr(s, "termination", None) or []))
        return type(s).__name__, value, str(s.input_duration), getattr(s, "direction", None), terms

    try:
        return fields(parsed) == fields(step)
    except (TypeError, ValueError, AttributeError):
        return False


def _to_kelvin(value: Any, where: str) -> float:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    m = re.fullmatch(r"\s*([0-9.eE+-]+)\s*(oC|K)\s*", str(value))
    if not m:
        raise ValueError(f"{where}: cannot read the temperature {value!r} (a number in K, or e.g. '25oC')")
    return float(m.group(1)) + (273.15 if m.group(2) == "oC" else 0.0)


class Experiment:
    """A protocol, as ``pybamm.Experiment``: a list of steps, grouped into cycles.

    Parameters
    ----------
    operating_conditions : list
        Step strings (``"Discharge at 1C until 2.5 V"``, grammar in docs/experiments.md),
        ``pybamm.step`` objects, or tuples of them: each item outside a tuple is a cycle of
        its own, each tuple one cycle (``[(a, b)] * 3`` is three cycles of two steps).
    period : float or str, optional
        Spacing of the output times (seconds, or ``"10 seconds"``); used as the
        simulation's ``period`` unless that is given.
    temperature : float or str, optional
        Ambient temperature for the whole experiment (K, or ``"25oC"``); it replaces the
        set's ``"Ambient temperature [K]"`` and, as in PyBaMM, its ``"Initial temperature
        [K]"`` (the cell starts at it; with the lumped thermal model this matters).
    termination : str or list of str, optional
        As PyBaMM's, checked at the end of every cycle: ``"80% capacity"`` (of the
        first cycle's eSOH ``"Capacity [A.h]"``), ``"4 Ah capacity"``, ``"2.5 V"`` (a
        cycle's lowest voltage); the run then ends with status ``experiment_end``. A time
        (``"10 hours"``) ends the run when it is reached (status ``experiment_end``,
        ``termination`` "experiment time limit reached"), unless an earlier ``t_end`` is
        given. One of each kind: a later one replaces an earlier one, as in PyBaMM.

    Raises
    ------
    ValueError
        At construction, for a step string ionflux cannot read (the message names the
        step and the offending word), a step with no ionflux equivalent, or an
        unsupported termination.

    Examples
    --------
    >>> exp = ionflux.Experiment([("Discharge at 1C until 2.5 V", "Rest for 1 hour")] * 2, period="10 s")
    >>> sol = ionflux.Simulation("Chen2020", experiment=exp).solve()
    """

    def __init__(self, operating_conditions: Sequence[Any], period: Any = None, temperature: Any = None,
                 termination: Any = None) -> None:
        if isinstance(operating_conditions, (str, bytes)) or not hasattr(operating_conditions, "__iter__"):
            raise TypeError("operating_conditions must be a list of step strings (or pybamm.step objects) and "
                            f"tuples of them, got {type(operating_conditions).__name__}")
        cycles: List[Tuple[str, ...]] = []
        for i, item in enumerate(operating_conditions):
            group = item if isinstance(item, tuple) else (item,)
            if not group:
                raise ValueError(f"operating_conditions[{i}] is an empty cycle")
            cycles.append(tuple(step_string(s, f"operating_conditions[{i}]") for s in group))
        if not cycles:
            raise ValueError("an experiment needs at least one step, e.g. ['Discharge at 1C until 2.5 V']")
        self.cycles = cycles
        self.period = None if period is None else _duration_seconds(period, "period")
        if self.period is not None and not self.period > 0:
            raise ValueError(f"period must be positive, got {period!r}")
        self.temperature = None if temperature is None else _to_kelvin(temperature, "temperature")
        self.t_end, self.termination = _split_termination(termination)
        _check_steps(self.cycles)

    @property
    def steps(self) -> List[str]:
        """Every step string, in order."""
        return [s for c in self.cycles for s in c]

    def __repr__(self) -> str:
        return f"ionflux.Experiment({[c if len(c) > 1 else c[0] for c in self.cycles]!r}" + \
            (f", period={self.period}" if self.period is not None else "") + \
            (f", temperature={self.temperature}" if self.temperature is not None else "") + ")"


def _split_termination(termination: Any) -> Tuple[Optional[float], List[str]]:
    """An experiment's terminations as (the end time of a time termination, if any; every
    termination, checked now: the solver ends the run at the time termination, and checks
    the capacity and voltage ones at each cycle's end)."""
    if termination is None:
        return None, []
    items = [termination] if isinstance(termination, str) else list(termination)
    t_end = None
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"termination must be a string such as '80% capacity', got {type(item).__name__}")
        try:
            t_end = _duration_seconds(item, "termination")
        except ValueError:
            pass
    if items:
        _core.experiment_termination(items)  # checked now: ValueError naming the forms
    return t_end, items


def _check_steps(cycles: Sequence[Sequence[str]]) -> None:
    """Parse the step strings now, against a set with wide cut-offs (placeholders such as
    ``{C-rate}`` read as 1), so that a mistake is reported at construction."""
    check = getattr(_core, "check_experiment", None)
    if check is None:  # pragma: no cover - an older compiled core
        return
    groups = [[re.sub(r"\{[^}]*\}", "1", s) for s in c] for c in cycles]
    check(groups)


def from_pybamm_experiment(e: Any) -> Experiment:
    """An `Experiment` from a ``pybamm.Experiment``."""
    termination = getattr(e, "termination", None) or {}
    t_end, others = None, []
    for key, val in dict(termination).items():
        if key == "time":  # seconds
            t_end = _duration_seconds(val[0] if isinstance(val, tuple) else val, "termination")
            others.append(f"{t_end:.17g} s")
        elif key == "capacity":  # (value, "%" or "Ah")
            value, unit = val
            others.append(f"{value:.17g}% capacity" if unit == "%" else f"{value:.17g} Ah capacity")
        elif key == "voltage":  # (value, "V")
            others.append(f"{val[0]:.17g} V")
        else:
            raise ValueError(f"pybamm.Experiment termination {key!r} ({val!r}) is not supported by ionflux")
    temps = {s.temperature for s in e.steps}
    if len(temps) > 1:
        raise ValueError("the pybamm.Experiment's steps have different temperatures "
                         f"({sorted(t for t in temps if t is not None)}); ionflux runs an experiment at one ambient "
                         "temperature")
    periods = {s.period for s in e.steps if s.period is not None}
    period = getattr(e, "period", None)
    if period is None and len(periods) == 1:
        period = periods.pop()
    out = Experiment.__new__(Experiment)
    out.cycles = [tuple(step_string(s, f"cycle {i} of the pybamm.Experiment") for s in
                        (c if isinstance(c, tuple) else (c,))) for i, c in enumerate(e.cycles)]
    out.period = None if period is None else float(period)
    temp = next(iter(temps)) if temps else getattr(e, "temperature", None)
    out.temperature = None if temp is None else _to_kelvin(temp, "temperature")
    out.t_end = t_end
    out.termination = others
    _check_steps(out.cycles)
    return out


def unpack_experiment(experiment: Any, parameters: Any, period: Optional[float],
                      t_end: Optional[float], termination: Any = None) -> Tuple[Any, Optional[float], Optional[float],
                                                                               List[str]]:
    """For `Simulation`/`Sweep`: an experiment object as ionflux's cycles; its period as the
    default of `period`; its temperature set as the ambient
    temperature of `parameters` (the simulation's own copy); its capacity and voltage
    terminations (capacity, voltage, time: the solver ends the run at a time one, or at an
    earlier `t_end`), with those of `termination` (a string or list of them, as PyBaMM's;
    a later one of a kind replaces an earlier one)."""
    _, given = _split_termination(termination)  # a time among them: the solver ends the run there
    if not is_experiment(experiment):
        return experiment, period, t_end, given
    exp = experiment if isinstance(experiment, Experiment) else from_pybamm_experiment(experiment)
    if exp.temperature is not None:
        # as PyBaMM: the experiment's temperature is the ambient one and the cell's at the
        # start (a lumped-thermal cell started at the set's 298.15 K otherwise)
        parameters["Ambient temperature [K]"] = exp.temperature
        parameters["Initial temperature [K]"] = exp.temperature
    return [tuple(c) for c in exp.cycles], exp.period if period is None else period, \
        t_end, list(getattr(exp, "termination", [])) + given  # a time among them: the solver's end


#: PyBaMM's model options of the degradation submodels (docs/degradation_options.md),
#: which a ``pybamm.lithium_ion.DFN(options)`` passes on to ionflux.
DEGRADATION_OPTIONS = ("SEI", "SEI film resistance", "SEI on cracks", "SEI porosity change", "lithium plating",
                       "lithium plating porosity change", "particle mechanics", "stress-induced diffusion",
                       "loss of active material", "total interfacial current density as a state")


def model_degradation_options(model: Any) -> Optional[Dict[str, Any]]:
    """The degradation options of a ``pybamm.lithium_ion.DFN`` (as it resolved them), or
    None for anything that is not a PyBaMM model."""
    if not _is_pybamm(model, "BaseModel"):
        return None
    opts = dict(model.options)
    return {k: opts[k] for k in DEGRADATION_OPTIONS if k in opts}


def resolve_parameters(parameters: Any, parameter_values: Any, thermal: Any) -> Tuple[Any, Any]:
    """PyBaMM's spellings of a simulation's set: ``parameter_values=``, and a
    ``pybamm.lithium_ion.DFN()`` model as the first argument. Returns (parameters, thermal)."""
    if _is_pybamm(parameters, "BaseModel"):
        model = parameters
        if type(model).__name__ != "DFN" or "lithium_ion" not in type(model).__module__:
            raise ValueError(f"ionflux solves PyBaMM's DFN (pybamm.lithium_ion.DFN()), not a "
                             f"{type(model).__module__}.{type(model).__name__}; pass the parameter values: "
                             "ionflux.Simulation(parameter_values=...)")
        import pybamm

        defaults = pybamm.BatteryModelOptions({})
        differ = {k: v for k, v in dict(model.options).items()
                  if k != "thermal" and k not in DEGRADATION_OPTIONS and defaults.get(k) != v}
        if differ or model.options["thermal"] not in ("isothermal", "lumped"):
            shown = ", ".join(f"{k!r}: {v!r}" for k, v in list(differ.items())[:4]) or \
                f"'thermal': {model.options['thermal']!r}"
            raise ValueError(f"ionflux solves PyBaMM's DFN with its default options (and 'thermal': 'lumped', "
                             f"and the degradation options); "
                             f"this model has {shown}")
        if thermal == "isothermal":
            thermal = model.options["thermal"]
        parameters = model.default_parameter_values if parameter_values is None else None
    if parameter_values is not None:
        if parameters is not None and not (isinstance(parameters, str) and parameters == "Chen2020"):
            raise ValueError("give parameters or parameter_values (PyBaMM's name for them), not both")
        parameters = parameter_values
    return parameters, thermal
