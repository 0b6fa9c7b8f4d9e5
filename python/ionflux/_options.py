"""Checks and conversions of the run options shared by `Simulation` and `Sweep`."""
from __future__ import annotations

import math
import numbers
from typing import Any, Dict, Mapping, Optional

from ._errors import did_you_mean

MESH_KEYS = ("x_n", "x_s", "x_p", "r_n", "r_p")
DEFAULT_MESH = 20
MAX_MESH = 1000
SOLVER_KEYS = ("rtol", "atol", "max_steps", "max_wall_time")
DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-8
DEFAULT_MAX_STEPS = 100000  # SolverOptions::max_steps (kernels/numerics/bdf.hpp), per protocol step
MAX_SOLVER_STEPS = 1000000000  # kMaxSolverSteps


def is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def number(name: str, value: Any) -> float:
    """`value` as a finite float, else ValueError/TypeError naming `name`."""
    if not is_number(value):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return v


def check_mesh(mesh: Optional[Mapping[str, Any]]) -> Dict[str, int]:
    """The mesh dict given by the user (a subset of `MESH_KEYS`), checked."""
    if mesh is None:
        return {}
    if not isinstance(mesh, Mapping):
        raise TypeError(f"mesh must be a dict such as {{'x_n': 20, 'r_p': 10}}, got {type(mesh).__name__}")
    out: Dict[str, int] = {}
    for key, value in mesh.items():
        if key not in MESH_KEYS:
            raise ValueError(
                f"unknown mesh key {key!r}{did_you_mean(str(key), MESH_KEYS, 1)}; the keys are " + ", ".join(MESH_KEYS)
            )
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or not 2 <= int(value) <= MAX_MESH:
            raise ValueError(f"mesh '{key}' must be an integer from 2 to {MAX_MESH}, got {value!r}")
        out[key] = int(value)
    return out


def full_mesh(mesh: Mapping[str, int]) -> Dict[str, int]:
    return {k: int(mesh.get(k, DEFAULT_MESH)) for k in MESH_KEYS}


def check_solver(solver: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """The solver dict given by the user (``rtol``, ``atol``, ``max_steps``, ``max_wall_time``), checked."""
    if solver is None:
        return {}
    if not isinstance(solver, Mapping):
        raise TypeError(f"solver must be a dict such as {{'rtol': 1e-6, 'atol': 1e-8}}, got {type(solver).__name__}")
    out: Dict[str, Any] = {}
    for key, value in solver.items():
        if key not in SOLVER_KEYS:
            raise ValueError(
                f"unknown solver key {key!r}{did_you_mean(str(key), SOLVER_KEYS, 1)}; the keys are " + ", ".join(SOLVER_KEYS)
            )
        if key == "max_steps":  # BDF steps per cell: past it the cell ends with step_limit
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or not 1 <= int(value) <= MAX_SOLVER_STEPS:
                raise ValueError(f"solver 'max_steps' must be an integer from 1 to {MAX_SOLVER_STEPS}, got {value!r}")
            out[key] = int(value)
            continue
        v = number(f"solver '{key}'", value)
        if key == "rtol" and not 0.0 < v < 1.0:
            raise ValueError(f"solver 'rtol' must be in (0, 1), got {v!r}")
        if key == "atol" and not v > 0.0:
            raise ValueError(f"solver 'atol' must be positive, got {v!r}")
        if key == "max_wall_time" and not v > 0.0:  # seconds per cell: past it the cell ends with time_limit
            raise ValueError(f"solver 'max_wall_time' must be a positive number of seconds, got {v!r}")
        out[key] = v
    return out


def check_current(c_rate: Any, current: Any) -> None:
    if c_rate is not None and current is not None:
        raise ValueError("give c_rate or current, not both (c_rate and current are mutually exclusive)")
    for name, value in (("c_rate", c_rate), ("current", current)):
        if value is not None and number(name, value) == 0.0:
            raise ValueError(f"{name} must be non-zero (positive = discharge, negative = charge), got {value!r}")


def check_soc(initial_soc: Any) -> Optional[float]:
    if initial_soc is None:
        return None
    v = number("initial_soc", initial_soc)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"initial_soc must be in [0, 1], got {v!r}")
    return v


def check_positive(name: str, value: Any) -> Optional[float]:
    if value is None:
        return None
    v = number(name, value)
    if not v > 0.0:
        raise ValueError(f"{name} must be positive (seconds), got {v!r}")
    return v


def check_model_options(options: Any, thermal: Optional[str]) -> "tuple[Dict[str, Any], Optional[str]]":
    """PyBaMM's model-option dict (``{"SEI": "solvent-diffusion limited", "lithium plating":
    ("partially reversible", "none")}``, a ``pybamm.BatteryModelOptions`` too) checked and
    resolved once (ValueError with PyBaMM's message, or the closest name or value), and
    the thermal model it names: returns (options as plain strings and 2-tuples, without
    "thermal"; thermal). An ``"thermal"`` entry is the `thermal` argument in PyBaMM's
    spelling: given both, they must agree."""
    from . import _core

    if options is None:
        return {}, thermal
    if not isinstance(options, Mapping):
        raise TypeError(f"options must be a dict of PyBaMM model options, got {type(options).__name__}")
    out: Dict[str, Any] = {}
    for key, value in options.items():
        if not isinstance(key, str):
            raise TypeError(f"model option names must be strings, got {type(key).__name__} {key!r}")
        if isinstance(value, (tuple, list)):
            if len(value) != 2 or not all(isinstance(v, str) for v in value):
                raise ValueError(f"model option '{key}': a tuple value is (negative, positive), two strings; "
                                 f"got {value!r}")
            out[key] = (value[0], value[1])
        elif isinstance(value, str):
            out[key] = value
        elif is_number(value) and key == "dimensionality":  # PyBaMM's "dimensionality": 0
            out[key] = str(int(value)) if float(value).is_integer() else str(value)
        else:
            raise TypeError(f"model option '{key}' must be a string or a 2-tuple of strings, "
                            f"got {type(value).__name__} {value!r}")
    if "thermal" in out:
        t = out.pop("thermal")
        if t in ("isothermal", "lumped"):
            if thermal not in (None, "isothermal", t):
                raise ValueError(f"options say 'thermal': {t!r} but thermal={thermal!r}; give one of them")
            if t == "lumped" or thermal is None:
                thermal = t
        else:
            out["thermal"] = t  # refused below, with what to do instead
    _core.describe_model_options(out)  # ValueError now, not at solve()
    return out, thermal
