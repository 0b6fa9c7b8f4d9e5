"""One cell: `Simulation` (set up and solve) and `Solution` (outputs and fields)."""
from __future__ import annotations

import math
import warnings
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Union

import numpy as np

from . import _core
from . import _options as opt
from ._errors import SolverWarning, UnknownVariableError, did_you_mean, translate_core_errors
from .parameters import ParameterSet, as_parameter_set

__all__ = ["Simulation", "Solution"]

#: PyBaMM-like termination strings for the solver's status names.
_TERMINATION = {
    "finished": "final time",
    "cutoff_lower": "event: Minimum voltage [V]",
    "cutoff_upper": "event: Maximum voltage [V]",
}

#: Status names that mean the cell ended normally.
OK_STATUSES = ("finished", "cutoff_lower", "cutoff_upper")

_SCALAR_VARIABLES = ("Time [s]", "Voltage [V]", "Current [A]", "Discharge capacity [A.h]")
_FIELD_VARIABLES = (
    "Electrolyte concentration [mol.m-3]",
    "Electrolyte potential [V]",
    "Negative electrode potential [V]",
    "Positive electrode potential [V]",
    "Negative particle surface concentration [mol.m-3]",
    "Positive particle surface concentration [mol.m-3]",
    "Negative electrode interfacial current density [A.m-2]",
    "Positive electrode interfacial current density [A.m-2]",
)
_GRIDS = ("x [m]", "x_n [m]", "x_p [m]")
_DERIVED = ("Time [h]", "Power [W]")


class Simulation:
    """A constant-current discharge (or charge) of one DFN cell.

    Parameters
    ----------
    parameters : str or ParameterSet, optional
        A built-in set name or a `ParameterSet` (copied: later changes to it do not
        affect the simulation), by default ``"Chen2020"``.
    c_rate : float, optional
        Current as a multiple of ``"Nominal cell capacity [A.h]"``; positive =
        discharge. Not together with `current`.
    current : float, optional
        Current [A]; positive = discharge. Not together with `c_rate`. With neither,
        the set's ``"Current function [A]"``.
    initial_soc : float, optional
        Initial state of charge in [0, 1] (as PyBaMM's ``initial_soc``); by default
        the set's initial concentrations.
    mesh : dict, optional
        Points per domain, any subset of ``x_n``, ``x_s``, ``x_p``, ``r_n``, ``r_p``
        (each 2 to 1000; 20 when not given).
    solver : dict, optional
        ``rtol`` (default 1e-6) and ``atol`` (default 1e-8) of the BDF integrator, on
        PyBaMM's scaled states.
    period : float, optional
        Spacing of the output times [s]; by default ``t_end / 200``.
    t_end : float, optional
        End time [s] if no voltage cut-off comes first; by default three times the
        nominal discharge time at the current (``t_eval[-1]`` when `t_eval` is given).
    t_eval : array_like, optional
        Explicit increasing output times [s] (instead of `period`). The end point
        (cut-off or `t_end`) is always added as a last output.

    Raises
    ------
    ValueError
        For `c_rate` and `current` given together, a zero current, an SOC outside
        [0, 1], a bad mesh or solver entry, or non-positive `period` / `t_end`.
    TypeError
        For a value of the wrong type.

    See Also
    --------
    Sweep : many cells at once.

    Examples
    --------
    >>> sim = ionflux.Simulation("Chen2020", c_rate=1)
    >>> sol = sim.solve()
    >>> sol.termination
    'event: Minimum voltage [V]'
    >>> sol["Voltage [V]"][-1]
    2.5
    """

    def __init__(
        self,
        parameters: Union[str, ParameterSet] = "Chen2020",
        c_rate: Optional[float] = None,
        current: Optional[float] = None,
        initial_soc: Optional[float] = None,
        mesh: Optional[Mapping[str, int]] = None,
        solver: Optional[Mapping[str, float]] = None,
        period: Optional[float] = None,
        t_end: Optional[float] = None,
        t_eval: Optional[Sequence[float]] = None,
    ) -> None:
        self._parameters = as_parameter_set(parameters)
        opt.check_current(c_rate, current)
        self._c_rate = None if c_rate is None else float(c_rate)
        self._current = None if current is None else float(current)
        self._initial_soc = opt.check_soc(initial_soc)
        self._mesh = opt.full_mesh(opt.check_mesh(mesh))
        solver_opts = opt.check_solver(solver)
        self._rtol = solver_opts.get("rtol", opt.DEFAULT_RTOL)
        self._atol = solver_opts.get("atol", opt.DEFAULT_ATOL)
        self._period = opt.check_positive("period", period)
        self._t_end = opt.check_positive("t_end", t_end)
        self._t_eval = _check_t_eval(t_eval)
        self._solution: Optional[Solution] = None

    def _nominal_capacity(self) -> float:
        value = self._parameters["Nominal cell capacity [A.h]"]
        if not isinstance(value, float):
            raise ValueError(f"'Nominal cell capacity [A.h]' must be a number, got {value!r}")
        return value

    # -- properties -----------------------------------------------------------------------
    @property
    def parameters(self) -> ParameterSet:
        """The simulation's own `ParameterSet` (changes to it apply to the next solve)."""
        return self._parameters

    @property
    def current(self) -> float:
        """The applied current [A] (positive = discharge), as resolved from the options.

        Raises
        ------
        ValueError
            If neither `c_rate` nor `current` was given and the set's
            ``"Current function [A]"`` is zero.
        """
        if self._current is not None:
            return self._current
        if self._c_rate is not None:
            return self._c_rate * self._nominal_capacity()
        value = self._parameters["Current function [A]"]
        if not isinstance(value, float) or value == 0.0 or not math.isfinite(value):
            raise ValueError(f"'Current function [A]' is {value!r}; give a non-zero c_rate or current")
        return value

    @property
    def c_rate(self) -> float:
        """The applied current as a C-rate (current / nominal capacity)."""
        return self.current / self._nominal_capacity()

    @property
    def initial_soc(self) -> Optional[float]:
        """The initial state of charge, or None for the set's initial concentrations."""
        return self._initial_soc

    @property
    def mesh(self) -> Dict[str, int]:
        """Points per domain (all five keys)."""
        return dict(self._mesh)

    @property
    def solver(self) -> Dict[str, float]:
        """The integrator's tolerances, ``{"rtol": ..., "atol": ...}``."""
        return {"rtol": self._rtol, "atol": self._atol}

    @property
    def t_end(self) -> float:
        """The end time [s] (the default when none was given)."""
        if self._t_end is not None:
            return self._t_end
        if self._t_eval:
            return self._t_eval[-1]
        return 3.0 * 3600.0 * self._nominal_capacity() / abs(self.current)

    @property
    def solution(self) -> Optional["Solution"]:
        """The last `Solution` from `solve`, or None."""
        return self._solution

    # -- solving --------------------------------------------------------------------------
    @translate_core_errors
    def solve(self, t_eval: Optional[Sequence[float]] = None, initial_soc: Optional[float] = None) -> "Solution":
        """Solve the cell from its initial state to a voltage cut-off or the end time.

        Parameters
        ----------
        t_eval : array_like, optional
            Output times for this solve (overrides the constructor's `t_eval`).
        initial_soc : float, optional
            Initial SOC for this solve (overrides the constructor's `initial_soc`).

        Returns
        -------
        Solution
            Outputs, internal fields and summary. A cell that ends abnormally (e.g.
            the voltage is outside the cut-offs at t = 0) still gives a Solution,
            with a `SolverWarning`; see ``Solution.status``.

        Raises
        ------
        ValueError
            For parameters that conflict (e.g. porosity + active material fraction
            > 1), or an unusable current.
        """
        te = self._t_eval if t_eval is None else _check_t_eval(t_eval)
        soc = self._initial_soc if initial_soc is None else opt.check_soc(initial_soc)
        current = self.current
        if not math.isfinite(current):
            raise ValueError(f"the current is not finite ({current} A)")
        if self._t_end is not None:
            t_end = self._t_end
        elif te:
            t_end = te[-1]
        else:
            t_end = 0.0  # the solver's default: 3 x nominal discharge time
        raw = _core.simulate(
            self._parameters._core,
            current,
            soc,
            dict(self._mesh),
            self._rtol,
            self._atol,
            self._period or 0.0,
            t_end,
            list(te or []),
            True,
        )
        sol = Solution(raw, parameters=self._parameters.copy(), current=current, initial_soc=soc,
                       mesh=dict(self._mesh), solver=self.solver)
        if sol.status not in OK_STATUSES:
            warnings.warn(f"cell could not be solved: {sol.message} ({sol.status})", SolverWarning, stacklevel=3)
        self._solution = sol
        return sol

    def plot(self, times: Optional[Sequence[float]] = None) -> Any:
        """Plot the last solution, solving first if there is none.

        Parameters
        ----------
        times : sequence of float, optional
            Times [s] of the profiles against x; see `Solution.plot`.

        Returns
        -------
        matplotlib.figure.Figure
            The dashboard figure.
        """
        if self._solution is None:
            self.solve()
        assert self._solution is not None
        return self._solution.plot(times=times)

    def __repr__(self) -> str:
        try:
            cur = f"{self.current:g} A ({self.c_rate:g}C)"
        except ValueError:
            cur = "no current"
        soc = "" if self._initial_soc is None else f", initial SOC {self._initial_soc:g}"
        return f"<ionflux.Simulation: {self._parameters.name}, {cur}{soc}, mesh " + \
            ",".join(f"{k}={v}" for k, v in self._mesh.items()) + ">"


def _check_t_eval(t_eval: Any) -> Optional[List[float]]:
    if t_eval is None:
        return None
    arr = np.asarray(t_eval, dtype=float).ravel()
    if arr.size == 0:
        raise ValueError("t_eval must hold at least one time")
    if not np.all(np.isfinite(arr)) or arr[0] < 0.0:
        raise ValueError("t_eval must hold finite, non-negative times [s]")
    if np.any(np.diff(arr) <= 0.0):
        raise ValueError("t_eval must be strictly increasing")
    return [float(x) for x in arr]


class Solution:
    """The outputs of one solved cell.

    Index it by variable name, as in PyBaMM: ``sol["Voltage [V]"]``. Time series
    (``"Time [s]"``, ``"Voltage [V]"``, ``"Current [A]"``, ``"Discharge capacity
    [A.h]"``, ``"Time [h]"``, ``"Power [W]"``) are 1-D arrays with one value per
    output time; internal fields (``"Electrolyte concentration [mol.m-3]"``, ...)
    are 2-D arrays of shape (n_times, n_nodes) on the grids ``"x [m]"`` (all nodes),
    ``"x_n [m]"`` and ``"x_p [m]"`` (electrode nodes). `variables` lists every name.

    Created by `Simulation.solve`; not meant to be built directly.

    Attributes
    ----------
    status : str
        How the cell ended: ``"finished"`` (end time), ``"cutoff_lower"``,
        ``"cutoff_upper"``, or a failure such as ``"cutoff_at_start"`` or
        ``"newton_failure"``.
    message : str
        The status in words.
    termination : str
        PyBaMM-style: ``"final time"``, ``"event: Minimum voltage [V]"``,
        ``"event: Maximum voltage [V]"``, or ``"failure: <message>"``.
    parameters : ParameterSet
        A copy of the parameters that were solved.
    current : float
        The applied current [A].
    initial_soc : float or None
        The initial SOC, or None for the set's initial concentrations.
    mesh : dict
        Points per domain.
    solver : dict
        The tolerances.
    """

    def __init__(self, raw: Mapping[str, Any], parameters: Optional[ParameterSet] = None, current: float = math.nan,
                 initial_soc: Optional[float] = None, mesh: Optional[Dict[str, int]] = None,
                 solver: Optional[Dict[str, float]] = None) -> None:
        self._data: Dict[str, np.ndarray] = {}
        for name in _SCALAR_VARIABLES + _FIELD_VARIABLES + _GRIDS:
            if name in raw:
                arr = np.asarray(raw[name], dtype=float)
                arr.flags.writeable = False
                self._data[name] = arr
        t = self._data["Time [s]"]
        derived = {"Time [h]": t / 3600.0, "Power [W]": self._data["Voltage [V]"] * self._data["Current [A]"]}
        for name, arr in derived.items():
            arr.flags.writeable = False
            self._data[name] = arr
        self.status: str = str(raw.get("status", ""))
        self.message: str = str(raw.get("message", ""))
        self.parameters = parameters
        self.current = float(current)
        self.initial_soc = initial_soc
        self.mesh = dict(mesh or {})
        self.solver = dict(solver or {})
        stats = dict(raw.get("stats", {}))
        capacity = float(raw.get("discharge_capacity", math.nan))
        energy = float(raw.get("energy", math.nan))
        v = self._data["Voltage [V]"]
        mean_v = energy / capacity if capacity != 0.0 else (float(v[-1]) if v.size else math.nan)
        self._summary: Dict[str, Any] = {
            "End reason": self.status,
            "End time [s]": float(raw.get("end_time", math.nan)),
            "Discharge capacity [A.h]": capacity,
            "Energy [W.h]": energy,
            "Mean voltage [V]": mean_v,
            "Wall time [s]": float(raw.get("wall_time", math.nan)),
            "Steps": int(stats.get("steps", 0)),
            "Newton iterations": int(stats.get("newton_iterations", 0)),
            "Jacobian setups": int(stats.get("jacobian_setups", 0)),
            "Residual evaluations": int(stats.get("residual_evaluations", 0)),
            "Error test failures": int(stats.get("error_test_failures", 0)),
        }

    # -- access ---------------------------------------------------------------------------
    @property
    def variables(self) -> List[str]:
        """Names of every variable the solution holds (outputs, fields, grids)."""
        return list(self._data)

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self._data[name]
        except (KeyError, TypeError):
            raise UnknownVariableError(
                f"unknown variable {name!r}{did_you_mean(str(name), self._data)} "
                "(Solution.variables lists them)"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def keys(self) -> List[str]:
        """The variable names.

        Returns
        -------
        list of str
            Same as `variables`.
        """
        return self.variables

    @property
    def t(self) -> np.ndarray:
        """Output times [s] (``sol["Time [s]"]``)."""
        return self._data["Time [s]"]

    @property
    def ok(self) -> bool:
        """True when the cell ended normally (end time or a voltage cut-off)."""
        return self.status in OK_STATUSES

    @property
    def termination(self) -> str:
        """Why the solve stopped, in PyBaMM's words (``"event: Minimum voltage [V]"``, ...)."""
        return _TERMINATION.get(self.status, f"failure: {self.message}")

    @property
    def summary(self) -> Dict[str, Any]:
        """End-of-run quantities and solver statistics.

        Returns
        -------
        dict
            ``"End reason"``, ``"End time [s]"``, ``"Discharge capacity [A.h]"``,
            ``"Energy [W.h]"``, ``"Mean voltage [V]"`` (energy / capacity),
            ``"Wall time [s]"``, ``"Steps"``, ``"Newton iterations"``,
            ``"Jacobian setups"``, ``"Residual evaluations"``, ``"Error test failures"``.
        """
        return dict(self._summary)

    @property
    def solve_time(self) -> float:
        """Wall time of the solve [s] (PyBaMM's name)."""
        return float(self._summary["Wall time [s]"])

    def to_dataframe(self) -> Any:
        """The time series as a `pandas.DataFrame`, one row per output time.

        Returns
        -------
        pandas.DataFrame
            Columns ``"Time [s]"``, ``"Voltage [V]"``, ``"Current [A]"``,
            ``"Discharge capacity [A.h]"`` (the columns of ``ionflux simulate``'s CSV).
        """
        import pandas as pd

        return pd.DataFrame({name: np.array(self._data[name]) for name in _SCALAR_VARIABLES})

    def __repr__(self) -> str:
        t = self.t
        span = f"0 to {t[-1]:.6g} s" if t.size else "no outputs"
        name = self.parameters.name if self.parameters is not None else "?"
        return (f"<ionflux.Solution: {name}, {self.current:g} A, {span}, {len(t)} outputs, "
                f"{self.termination}>")

    # -- plotting -------------------------------------------------------------------------
    def plot(self, times: Optional[Sequence[float]] = None, figsize: Optional[Sequence[float]] = None) -> Any:
        """A dashboard of the solution.

        Voltage and current against time, and against x at a few times: electrolyte
        concentration and potential, particle surface concentrations, electrode
        potentials and interfacial current densities.

        Parameters
        ----------
        times : sequence of float, optional
            Times [s] for the profiles (each snapped to the nearest output time); by
            default five times evenly spread over the run.
        figsize : (float, float), optional
            Figure size in inches, by default (14, 10).

        Returns
        -------
        matplotlib.figure.Figure
            The figure (9 axes, 3 by 3).
        """
        import matplotlib.pyplot as plt

        t = self.t
        if t.size == 0:
            raise ValueError("the solution has no outputs to plot")
        wanted = np.linspace(t[0], t[-1], 5) if times is None else np.atleast_1d(np.asarray(times, dtype=float))
        idx: List[int] = []
        for ti in wanted:
            k = int(np.argmin(np.abs(t - ti)))
            if k not in idx:
                idx.append(k)
        colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.9, max(len(idx), 1)))
        fig, axes = plt.subplots(3, 3, figsize=tuple(figsize or (14, 10)), layout="constrained")
        th = t / 3600.0

        ax = axes[0, 0]
        ax.plot(th, self["Voltage [V]"], color="k")
        for k, c in zip(idx, colors):
            ax.axvline(th[k], color=c, lw=0.8, ls="--")
        ax.set(xlabel="Time [h]", ylabel="Voltage [V]", title="Voltage")
        ax = axes[0, 1]
        ax.plot(th, self["Current [A]"], color="k")
        ax.set(xlabel="Time [h]", ylabel="Current [A]", title="Current")

        neg_j = "Negative electrode interfacial current density [A.m-2]"
        pos_j = "Positive electrode interfacial current density [A.m-2]"
        panels = [  # (axes, [(grid, variable), ...], y label)
            (axes[0, 2], [("x [m]", "Electrolyte concentration [mol.m-3]")], "Electrolyte concentration [mol.m-3]"),
            (axes[1, 0], [("x_n [m]", "Negative particle surface concentration [mol.m-3]")],
             "Negative particle surface\nconcentration [mol.m-3]"),
            (axes[1, 1], [("x_p [m]", "Positive particle surface concentration [mol.m-3]")],
             "Positive particle surface\nconcentration [mol.m-3]"),
            (axes[1, 2], [("x [m]", "Electrolyte potential [V]")], "Electrolyte potential [V]"),
            (axes[2, 0], [("x_n [m]", "Negative electrode potential [V]")], "Negative electrode potential [V]"),
            (axes[2, 1], [("x_p [m]", "Positive electrode potential [V]")], "Positive electrode potential [V]"),
            (axes[2, 2], [("x_n [m]", neg_j), ("x_p [m]", pos_j)], "Interfacial current density [A.m-2]"),
        ]
        for ax, series, label in panels:
            for n, (grid, name) in enumerate(series):
                if name not in self._data:
                    continue
                x_um = self._data[grid] * 1e6
                for k, c in zip(idx, colors):
                    ax.plot(x_um, self._data[name][k], color=c, label=f"t = {t[k]:.0f} s" if n == 0 else None)
            ax.set(xlabel="x [μm]", ylabel=label)
        handles, labels = axes[0, 2].get_legend_handles_labels()
        if handles:
            axes[0, 1].legend(handles, labels, loc="best", fontsize="small")
        name = self.parameters.name if self.parameters is not None else ""
        fig.suptitle(f"{name} {self.current:g} A: {self.termination}")
        return fig
