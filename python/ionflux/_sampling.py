"""The one sampler of a function into a table (`sample_table`).

Used by `ParameterSet.tabulate` (Python callables, ``ps[name] = f``: a fixed number of
points, the function called on an array or point by point) and by the PyBaMM conversion
(`_pybamm.tabulate`: expression sub-trees, refined until a cubic spline through the points
is within a tolerance at the midpoints, non-finite ends trimmed). Each caller words its
own errors from the `SamplingError` raised here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence, Tuple, Type

import numpy as np

__all__ = ["SamplingError", "Sampled", "sample_table"]


class SamplingError(ValueError):
    """The function could not be sampled.

    ``kind`` is ``"call"`` (calling it failed: ``error``, at ``at`` when called point by
    point, else None), ``"not finite"`` (not finite at ``at``, where it is ``value``) or
    ``"not finite inside"`` (with ``trim``: not finite inside the interval, or finite on
    fewer than 11 points).
    """

    def __init__(self, kind: str, at: Optional[float] = None, value: float = float("nan"),
                 error: Optional[BaseException] = None) -> None:
        super().__init__(kind if error is None else f"{kind}: {type(error).__name__}: {error}")
        self.kind, self.at, self.value, self.error = kind, at, value, error


@dataclass
class Sampled:
    """Sample points ``x`` and values ``y``; ``deviation``: with a tolerance, the cubic
    spline's largest deviation at the midpoints relative to the function's range (else
    None); ``trimmed``: with ``trim``, (the first non-finite x, the first and last kept x)
    when ends were cut, else None."""
    x: np.ndarray
    y: np.ndarray
    deviation: Optional[float] = None
    trimmed: Optional[Tuple[float, float, float]] = None


def _values(function: Callable[..., Any], x: np.ndarray, others: Sequence[float], pointwise: bool,
            passthrough: Tuple[Type[BaseException], ...]) -> np.ndarray:
    """`function` at every x: on the array, else (with `pointwise`) one point at a time."""
    try:
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(function(x, *others), dtype=float), x.shape).copy()
    except passthrough:
        raise
    except Exception as exc:  # noqa: BLE001 - handed to the caller
        if not pointwise:
            raise SamplingError("call", error=exc) from exc
    try:
        with np.errstate(all="ignore"):
            return np.array([float(function(float(g), *others)) for g in x])
    except passthrough:
        raise
    except Exception as exc:  # noqa: BLE001 - handed to the caller
        raise SamplingError("call", at=float(x[0]), error=exc) from exc


def sample_table(function: Callable[..., Any], lo: float = 0.0, hi: float = 1.0, *, points: int = 1001,
                 grid: Optional[np.ndarray] = None, others: Sequence[float] = (), pointwise: bool = True,
                 tolerance: Optional[float] = None, max_points: int = 16001, trim: bool = False,
                 passthrough: Tuple[Type[BaseException], ...] = ()) -> Sampled:
    """Sample ``function(x, *others)`` at `points` evenly spaced x in [lo, hi] (or at `grid`).

    Parameters
    ----------
    function : callable
        Called with a numpy array of x (and `others`); with `pointwise`, a function that
        fails on an array is called at each point.
    lo, hi, points, grid
        The interval and number of points, or the points themselves (`grid`).
    tolerance : float, optional
        Refine: the number of points goes from `points` to 2 n - 1 until a not-a-knot
        cubic spline through the samples is within `tolerance` (relative to the
        function's range) of the function at the midpoints, or `max_points` is reached.
    trim : bool
        Cut non-finite values at the ends (else any non-finite value is an error).
    passthrough : exception types
        Raised as they are (not wrapped in `SamplingError`).

    Raises
    ------
    SamplingError
        The function failed, or is not finite (see `SamplingError.kind`).
    """
    n = int(points)
    while True:
        x = np.asarray(grid, dtype=float) if grid is not None else np.linspace(lo, hi, n)
        y = _values(function, x, others, pointwise, passthrough)
        ok = np.isfinite(y)
        trimmed = None
        if not ok.all():
            bad = np.flatnonzero(~ok)
            if not trim:
                raise SamplingError("not finite", at=float(x[bad[0]]), value=float(y[bad[0]]))
            first, last = int(np.argmax(ok)), len(ok) - 1 - int(np.argmax(ok[::-1]))
            if not ok.any() or not ok[first:last + 1].all() or last - first < 10:
                raise SamplingError("not finite inside")
            trimmed = (float(x[bad[0]]), float(x[first]), float(x[last]))
            x, y = x[first:last + 1], y[first:last + 1]
        if tolerance is None or grid is not None:
            return Sampled(x, y, None, trimmed)
        from scipy.interpolate import CubicSpline

        xm = 0.5 * (x[1:] + x[:-1])
        with np.errstate(all="ignore"):
            ym = _values(function, xm, others, pointwise, passthrough)
        scale = max(float(np.ptp(y)), float(np.max(np.abs(y))) * 1e-3, 1e-300)
        err = float(np.nanmax(np.abs(CubicSpline(x, y)(xm) - ym))) / scale
        if err <= tolerance or n >= max_points:
            return Sampled(x, y, err, trimmed)
        n = 2 * n - 1
