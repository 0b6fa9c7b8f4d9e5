"""One cell: `Simulation` (set up and solve) and `Solution` (outputs and fields)."""
from __future__ import annotations

import math
import os
import time
import warnings
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core
from . import _experiment as exp
from . import _pybamm
from . import _options as opt
from . import _variables as var
from ._errors import SolverWarning, UnitWarning, UnknownVariableError, did_you_mean, translate_core_errors
from .parameters import ParameterSet, as_parameter_set

__all__ = ["Simulation", "Solution"]

#: PyBaMM-like termination strings for the solver's status names.
_TERMINATION = {
    "finished": "protocol completed",
    "end_time_reached": "final time",
    "cutoff_lower": "event: Minimum voltage [V]",
    "cutoff_upper": "event: Maximum voltage [V]",
}

#: Status names that mean the cell ended normally.
OK_STATUSES = ("finished", "cutoff_lower", "cutoff_upper", "degradation_limit", "experiment_end")

_SCALAR_VARIABLES = ("Time [s]", "Voltage [V]", "Current [A]", "Discharge capacity [A.h]")
#: Further time series: the cell temperature and the protocol step and cycle of each output.
_PROTOCOL_VARIABLES = ("Temperature [K]", "Step", "Cycle")
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
#: From the stored states (issue 13): the net energy (PyBaMM's "Discharge energy [W.h]") and the
#: particle concentrations over r, (n_times, n_nodes, n_shells); the variables derived from
#: them (_variables.derived_variables) are computed on first use.
_STATE_VARIABLES = ("Discharge energy [W.h]", "Negative particle concentration [mol.m-3]",
                    "Positive particle concentration [mol.m-3]")
#: Degradation time series (issue 16), computed from the stored states by the solver where the
#: option that defines each is on (docs/degradation_mechanics.md, "Outputs").
_DEGRADATION_VARIABLES = tuple(
    name for d in ("negative", "positive") for name in (
        f"{d.capitalize()} electrode thickness change [m]", f"X-averaged {d} electrode roughness ratio",
        f"X-averaged {d} particle crack length [m]", f"X-averaged {d} SEI on cracks thickness [m]",
        f"X-averaged {d} electrode active material volume fraction",
        f"Loss of lithium due to loss of active material in {d} electrode [mol]",
        f"X-averaged {d} electrode porosity",
        f"{d.capitalize()} electrode stoichiometry")) + ("Cell thickness change [m]",)  # (with LAM: eps_s-weighted)
_GRIDS = ("x [m]", "x_n [m]", "x_p [m]", "r_n [m]", "r_p [m]")
_DERIVED = ("Time [h]", "Power [W]")



class _SolveProgress:
    """`Simulation.solve`'s progress bar: made at the first report once `always` or 2 s
    have passed; cycles done of all (an experiment), else the time reached."""

    DELAY = 2.0  # seconds (the environment variable IONFLUX_PROGRESS_AFTER changes it)

    def __init__(self, experiment: Optional[Sequence[Sequence[str]]], cycles: int, always: bool) -> None:
        self._start = time.monotonic()
        try:
            self._delay = float(os.environ.get("IONFLUX_PROGRESS_AFTER", "") or self.DELAY)
        except ValueError:  # a malformed value: the default, as the CLI
            self._delay = self.DELAY
        self._always = always
        self._bar: Any = None
        per_cycle = [len(c) for c in experiment or []] * int(cycles or 1)
        self._cycle_of = [c for c, n in enumerate(per_cycle) for _ in range(n)]
        self._n_cycles = len(per_cycle)
        if always:
            self._make_bar()

    def _make_bar(self) -> None:
        with warnings.catch_warnings():  # no ipywidgets in a notebook: a text bar, silently
            warnings.simplefilter("ignore")
            from tqdm.auto import tqdm
        self._bar = tqdm(total=self._n_cycles or None, unit="cycle" if self._n_cycles else "",
                         desc="ionflux solve", dynamic_ncols=True,
                         bar_format=None if self._n_cycles else "{desc}: {postfix} [{elapsed}]")

    def update(self, t: float, step: int) -> None:
        if self._bar is None:
            if time.monotonic() - self._start < self._delay:
                return
            self._make_bar()
        where = f"t = {t:.6g} s"
        if self._cycle_of and 0 <= step < len(self._cycle_of):
            cycle = self._cycle_of[step]
            where = f"step {step + 1}/{len(self._cycle_of)}, {where}"
            if cycle > self._bar.n:
                self._bar.update(cycle - self._bar.n)  # cycles before this one are done
        self._bar.set_postfix_str(where, refresh=True)

    def reached(self, cycle: Any) -> None:
        """The solve returned: the bar shows the cycles it reached (its "Cycle" output)."""
        if self._bar is not None and self._n_cycles and cycle is not None and len(cycle):
            last = int(np.nanmax(np.asarray(cycle, dtype=float))) + 1
            if last > self._bar.n:
                self._bar.update(last - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

class Simulation:
    """One DFN cell: a constant-current discharge (or charge), or an experiment.

    Parameters
    ----------
    parameters : str or ParameterSet, optional
        A built-in set name or a `ParameterSet` (copied: later changes to it do not
        affect the simulation), by default ``"Chen2020"``; also a
        ``pybamm.ParameterValues`` (converted, see `ParameterSet`) or, as PyBaMM's first
        argument, a ``pybamm.lithium_ion.DFN()`` model with default options (its thermal
        option is kept; its default parameter values are used unless
        `parameter_values` is given).
    c_rate : float, optional
        Current as a multiple of ``"Nominal cell capacity [A.h]"``; positive =
        discharge. Not together with `current`.
    current : float, optional
        Current [A]; positive = discharge. Not together with `c_rate`. With neither,
        the set's ``"Current function [A]"``.
    initial_soc : float or str, optional
        Initial state of charge in [0, 1] (as PyBaMM's ``initial_soc``), or, as in PyBaMM,
        an open-circuit voltage such as ``"3.9 V"`` (the SOC whose OCV it is, between the
        set's ``"Open-circuit voltage at 0% / 100% SOC [V]"``); by default the set's
        initial concentrations.
    mesh : dict, optional
        Points per domain, any subset of ``x_n``, ``x_s``, ``x_p``, ``r_n``, ``r_p``
        (each 2 to 1000; 20 when not given).
    solver : dict, optional
        ``rtol`` (default 1e-6) and ``atol`` (default 1e-8) of the BDF integrator, on
        PyBaMM's scaled states; the cell's budget ``max_steps`` (BDF steps per
        protocol step, default 100000; the whole run at most ``max_steps`` times the
        number of protocol steps, and 10^9; past it the status is ``"step_limit"``,
        the message naming the protocol step) and ``max_wall_time`` (seconds,
        default none; past it ``"time_limit"``), the outputs up to there kept.
    period : float, optional
        Spacing of the output times [s]. By default the outputs are the integrator's
        own accepted steps (as PyBaMM's IDAKLU returns for a two-element `t_eval`):
        dense where the voltage changes fast, sparse where it does not; step ends and
        the cut-off are always outputs.
    t_end : float, optional
        End time [s] if no voltage cut-off comes first (``t_eval[-1]`` when `t_eval` is
        given). By default 1.2 times the time in which the current moves all the
        lithium available to it, from the cell's theoretical capacity (its electrode
        loadings and area, as PyBaMM's calculated capacities; not the nominal
        capacity). A run that stops here before a cut-off is truncated: its status is
        ``"end_time_reached"`` and `solve` issues a `SolverWarning`.
    t_eval : array_like, optional
        Explicit increasing output times [s] (instead of `period`). The end point
        (cut-off or `t_end`) is always added as a last output. Two values ``[0,
        t_end]`` are a time span, as in PyBaMM: run to ``t_end`` with the default
        (every-step) outputs.
    experiment : str or list, optional
        A protocol of PyBaMM step strings (``"Discharge at 1C until 2.5 V"``,
        ``"Rest for 1 hour"``, ``"Hold at 4.2 V until C/50"``, ...; the grammar is in
        ``docs/experiments.md``), grouped into cycles as ``pybamm.Experiment`` does:
        each string of the list is a cycle of its own, each tuple of strings is one
        cycle, so ``[("Discharge at 1C until 2.5 V", "Charge at 1C until 4.2 V")] * 3``
        is three cycles of two steps. A single string is a one-step experiment. The
        steps set the current, so not together with `c_rate` or `current`. Without an
        experiment the cell runs at one constant current. Also an `ionflux.Experiment` or
        a ``pybamm.Experiment`` (its period is the default of `period`, its temperature
        the ambient temperature, its terminations are taken as `termination`).
    cycles : int, optional
        Run the whole experiment this many times (default 1): ``[(a, b)]`` with
        ``cycles=3`` equals ``[(a, b)] * 3``. Only with an experiment.
    thermal : {"isothermal", "lumped"}, optional
        The thermal model: ``"isothermal"`` (default; the cell stays at the ambient
        temperature) or ``"lumped"`` (PyBaMM's lumped model, ``options={"thermal":
        "lumped"}``: one cell temperature heated by the cell's losses and cooled
        through ``"Total heat transfer coefficient [W.m-2.K-1]"``).
    parameter_values : optional
        PyBaMM's spelling of `parameters` (a set name, `ParameterSet` or
        ``pybamm.ParameterValues``); not together with `parameters`.
    termination : str or list of str, optional
        The experiment's own termination, as PyBaMM's ``Experiment(termination=...)``,
        checked at the end of every cycle: ``"80% capacity"`` (the cycle's eSOH
        ``"Capacity [A.h]"`` at or below 80 % of the first cycle's), ``"4 Ah
        capacity"``, ``"2.5 V"`` (the cycle's lowest voltage at or below 2.5 V); the run
        then ends with status ``"experiment_end"`` (`termination` ``"experiment capacity
        limit reached"`` or ``"... voltage ..."``) and the cycles after it do not run.
        A time, ``"10 hours"``, ends the run when it is reached, in whatever step
        (``"experiment time limit reached"``; an earlier `t_end` truncates it instead).
        An `Experiment`'s or ``pybamm.Experiment``'s termination is taken too, and a
        later one of a kind replaces an earlier one (as PyBaMM's dict). Needs an
        experiment.
    options : dict, optional
        PyBaMM's model options for the degradation submodels, as for
        ``pybamm.lithium_ion.DFN(options)``: ``{"SEI": "solvent-diffusion limited",
        "lithium plating": ("partially reversible", "none"), ...}`` (a value is a
        string or a (negative, positive) tuple; docs/degradation_options.md). Defaults
        are derived as PyBaMM does; what PyBaMM refuses raises ValueError, as do
        unknown names and values (naming the closest) and parameters the options need
        but the set lacks. ``"thermal"`` may be given here instead of `thermal`.
        Default: the plain DFN.

    Raises
    ------
    ValueError
        For `c_rate` and `current` given together, or either with `experiment`, a
        zero current, an SOC outside [0, 1], a bad mesh or solver entry,
        non-positive `period` / `t_end`, an empty experiment or cycle, `cycles`
        below 1 or without an experiment, an unknown `thermal`, or a mistake in a
        step string (the message names the step by number and text, and the word).
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

    A CC-CV charge, then a discharge, three times over, with the lumped thermal model:

    >>> sim = ionflux.Simulation("Chen2020", initial_soc=0.2, thermal="lumped", experiment=[(
    ...     "Charge at 1C until 4.2 V", "Hold at 4.2 V until C/50", "Discharge at 1C until 2.5 V")] * 3)
    >>> sol = sim.solve()
    >>> sol.cycle_summary["Discharge capacity [A.h]"]
    >>> sol["Temperature [K]"].max()
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
        experiment: Union[str, Sequence[Union[str, Sequence[str]]], None] = None,
        cycles: int = 1,
        thermal: str = "isothermal",
        parameter_values: Any = None,
        options: Optional[Mapping[str, Any]] = None,
        termination: Union[str, Sequence[str], None] = None,
    ) -> None:
        if options is None:  # a pybamm.lithium_ion.DFN(options) as the first argument brings its options
            options = _pybamm.model_degradation_options(parameters)
        self._options, thermal_opt = opt.check_model_options(options, None if thermal == "isothermal" else thermal)
        thermal = thermal_opt or thermal
        parameters, thermal = _pybamm.resolve_parameters(parameters, parameter_values, thermal)
        self._parameters = as_parameter_set(parameters)
        experiment, period, t_end, self._termination = _pybamm.unpack_experiment(experiment, self._parameters, period,
                                                                                 t_end, termination)
        opt.check_current(c_rate, current)
        self._experiment = exp.normalize_experiment(experiment)
        if self._termination and self._experiment is None:
            raise ValueError(f"termination {self._termination!r} needs an experiment: it is checked at the end of "
                             "each cycle")
        if self._experiment is not None:
            exp.check_no_current(c_rate, current)
        self._cycles = int(exp.check_cycles(cycles, self._experiment is not None) or 1)
        self._thermal = str(exp.check_thermal(thermal))
        if self._experiment is not None:  # step strings checked now, as thermal is, not at solve()
            _core.check_experiment([list(c) for c in self._experiment], self._parameters._core, self._cycles, ".")
        self._c_rate = None if c_rate is None else float(c_rate)
        self._current = None if current is None else float(current)
        self._initial_soc = self._soc(initial_soc)
        self._mesh = opt.full_mesh(opt.check_mesh(mesh))
        solver_opts = opt.check_solver(solver)
        self._rtol = solver_opts.get("rtol", opt.DEFAULT_RTOL)
        self._atol = solver_opts.get("atol", opt.DEFAULT_ATOL)
        self._max_steps = int(solver_opts.get("max_steps", opt.DEFAULT_MAX_STEPS))
        self._max_wall_time = solver_opts.get("max_wall_time")
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
            With an experiment (its steps set the current), or if neither `c_rate`
            nor `current` was given and the set's ``"Current function [A]"`` is zero.
        """
        if self._experiment is not None:
            raise ValueError("the simulation runs an experiment: its steps set the current")
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
    def solver(self) -> Dict[str, Any]:
        """The integrator's tolerances, ``{"rtol": ..., "atol": ...}``, and the budget
        (``max_steps``, ``max_wall_time``) when given."""
        out: Dict[str, Any] = {"rtol": self._rtol, "atol": self._atol}
        if self._max_steps != opt.DEFAULT_MAX_STEPS:
            out["max_steps"] = self._max_steps
        if self._max_wall_time is not None:
            out["max_wall_time"] = self._max_wall_time
        return out

    @property
    def t_end(self) -> Optional[float]:
        """The end time [s] (the default when none was given).

        With an experiment and neither `t_end` nor `t_eval` given, None: the run ends
        with the experiment's last step (the solver's limit is the sum of the step
        durations, with 1.2 x min(Q_n, Q_p, Q_Li) / |I| from the cell's theoretical
        capacities for a current step without one and 10 hours for other steps
        without one). A time termination (``"50 minutes"``) is the end time where it
        comes first.
        """
        given = self._t_end if self._t_end is not None else (self._t_eval[-1] if self._t_eval else None)
        timed, _ = _pybamm._split_termination(self._termination)  # the solver ends the run there
        if timed is not None and (given is None or timed < given):
            return timed
        if given is not None:
            return given
        if self._experiment is not None:
            return None
        return float(_core.default_end_time(self._parameters._core, self.current, self._initial_soc, self._thermal))

    @property
    def experiment(self) -> Optional[List[Tuple[str, ...]]]:
        """The experiment as cycles (one tuple of step strings per cycle, before the
        `cycles` repeat), or None for a constant-current run."""
        return None if self._experiment is None else list(self._experiment)

    @property
    def cycles(self) -> int:
        """How many times the experiment runs (1 without an experiment)."""
        return self._cycles

    @property
    def thermal(self) -> str:
        """The thermal model, ``"isothermal"`` or ``"lumped"``."""
        return self._thermal

    @property
    def options(self) -> Dict[str, str]:
        """The model options as resolved (PyBaMM's defaults derived): {name: value} for
        every degradation option, tuples written as PyBaMM prints them."""
        return dict(_core.describe_model_options(dict(self._options)))

    @property
    def solution(self) -> Optional["Solution"]:
        """The last `Solution` from `solve`, or None."""
        return self._solution

    # -- solving --------------------------------------------------------------------------
    @translate_core_errors
    def _soc(self, initial_soc: Any) -> Optional[float]:
        """An initial SOC, checked: a fraction, or PyBaMM's voltage form ("3.9 V") as the SOC
        of that open-circuit voltage for this simulation's parameters."""
        if isinstance(initial_soc, str):
            text = initial_soc.strip()
            if text[-1:] in ("V", "v"):
                try:
                    volts = float(text[:-1])
                except ValueError:
                    raise ValueError(f"initial_soc {initial_soc!r}: expected a number of volts, e.g. '3.9 V'") \
                        from None
                return float(_core.soc_at_voltage(self._parameters._core, volts))
            raise ValueError(f"initial_soc {initial_soc!r}: expected a fraction in [0, 1] or a voltage, e.g. '3.9 V'")
        return opt.check_soc(initial_soc)

    def solve(self, t_eval: Optional[Sequence[float]] = None, initial_soc: Optional[float] = None,
              showprogress: Optional[bool] = None) -> "Solution":
        """Solve the cell from its initial state to a voltage cut-off or the end time.

        With an experiment, the steps run in order until the last one ends (or a
        voltage cut-off, a failure or the end time comes first).

        Parameters
        ----------
        t_eval : array_like, optional
            Output times for this solve (overrides the constructor's `t_eval`); two
            values ``[0, t_end]`` are a time span, as in PyBaMM (``sim.solve([0,
            3600])``): outputs at every accepted solver step up to ``t_end``.
        initial_soc : float or str, optional
            Initial SOC for this solve (overrides the constructor's `initial_soc`; a
            voltage such as ``"3.9 V"`` as there).
        showprogress : bool, optional
            A progress bar (`tqdm.auto`, a widget in notebooks) with the cycle, step and
            time the solve has reached: True from the start, False never; by default
            (None) once the solve has taken 2 s, so that a long ageing experiment shows
            where it is and a short run shows nothing (PyBaMM's ``showprogress``, whose
            default is False).

        Returns
        -------
        Solution
            Outputs, internal fields and summary. A cell that ends abnormally (e.g.
            the voltage is outside the cut-offs at t = 0) still gives a Solution,
            with a `SolverWarning`; see ``Solution.status``.

        Raises
        ------
        KeyboardInterrupt
            On Ctrl-C (a notebook's "interrupt kernel"), within a few solver steps: the
            outputs up to there are the exception's ``partial_result`` (a Solution with
            status ``"interrupted"``), also kept as ``sim.solution``.
        ValueError
            For parameters that conflict (e.g. porosity + active material fraction
            > 1), an unusable current, or a mistake in an experiment's step string
            that parameter changes made since construction expose (step strings are
            checked when the Simulation is made: e.g. ``experiment step 2 "Dischrage
            at 1C for 1 hour": unknown instruction 'Dischrage' ...``).
        """
        te = self._t_eval if t_eval is None else _check_t_eval(t_eval)
        span = te is not None and len(te) == 2  # [0, t_end]: a time span, as in PyBaMM
        soc = self._initial_soc if initial_soc is None else self._soc(initial_soc)
        if self._experiment is None:
            current = self.current
            if not math.isfinite(current):
                raise ValueError(f"the current is not finite ({current} A)")
        else:
            current = math.nan  # the solver takes the current from the steps
        if self._t_end is not None:
            t_end = self._t_end
        elif te:
            t_end = te[-1]
        else:
            t_end = 0.0  # the solver's default, from the cell's theoretical capacity
        progress = _SolveProgress(self._experiment, self._cycles, bool(showprogress))
        try:
            raw = _core.simulate(
                self._parameters._core,
                current,
                soc,
                dict(self._mesh),
                self._rtol,
                self._atol,
                self._period or 0.0,
                t_end,
                [] if span else list(te or []),
                True,
                [list(c) for c in self._experiment or []],
                self._cycles,
                self._thermal,
                ".",
                self._max_steps,
                self._max_wall_time or 0.0,
                dict(self._options),
                list(self._termination),
                progress=None if showprogress is False else progress.update,
            )
            progress.reached(raw.get("Cycle"))
        finally:
            progress.close()
        experiment = None if self._experiment is None else list(self._experiment) * self._cycles
        interrupted = raw.pop("interrupted", False)
        skipped = raw.pop("skipped_steps", "")  # steps whose end condition held when they began
        for text in raw.pop("warnings", []):
            warnings.warn(text, UnitWarning, stacklevel=3)
        t_end_used = raw.pop("t_end", t_end)
        sol = Solution(raw, parameters=self._parameters.copy(), current=current, initial_soc=soc,
                       mesh=dict(self._mesh), solver=self.solver, experiment=experiment, thermal=self._thermal)
        if interrupted:  # Ctrl-C: the solve stopped within a few steps; the outputs so far go with the exception
            self._solution = sol
            e = KeyboardInterrupt(f"solve interrupted at t = {sol['Time [s]'][-1] if len(sol['Time [s]']) else 0:g} s; "
                                  "the outputs up to there are the exception's partial_result (and sim.solution)")
            e.partial_result = sol  # type: ignore[attr-defined]
            raise e
        if sol.status == "end_time_reached":
            warnings.warn(f"the run stopped at the end time t_end = {t_end_used:.6g} s before any voltage cut-off "
                          "or step end condition; the results are truncated (give a larger t_end, or t_eval "
                          "reaching further)", SolverWarning, stacklevel=3)
        elif sol.status not in OK_STATUSES:
            warnings.warn(f"cell could not be solved: {sol.message} ({sol.status})", SolverWarning, stacklevel=3)
        elif raw.get("protocol_cut_short", False):
            warnings.warn(f"experiment cut short: {sol.message}", SolverWarning, stacklevel=3)
        if skipped and not interrupted:
            warnings.warn(skipped, SolverWarning, stacklevel=3)
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
        if self._experiment is not None:
            cur = "experiment, " + exp.describe(self._experiment, self._cycles)
        else:
            try:
                cur = f"{self.current:g} A ({self.c_rate:g}C)"
            except ValueError:
                cur = "no current"
        soc = "" if self._initial_soc is None else f", initial SOC {self._initial_soc:g}"
        thermal = ", lumped thermal" if self._thermal == "lumped" else ""
        return f"<ionflux.Simulation: {self._parameters.name}, {cur}{soc}{thermal}, mesh " + \
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
    if arr.size == 2 and arr[0] != 0.0:
        raise ValueError(f"a two-element t_eval is a time span [0, t_end] (as in PyBaMM), and runs start at "
                         f"t = 0; got [{arr[0]:g}, {arr[1]:g}]. Give [0, {arr[1]:g}], or three or more output times")
    return [float(x) for x in arr]


class Solution:
    """The outputs of one solved cell.

    Index it by variable name, as in PyBaMM: ``sol["Voltage [V]"]``. Time series
    (``"Time [s]"``, ``"Voltage [V]"``, ``"Current [A]"``, ``"Discharge capacity
    [A.h]"``, ``"Temperature [K]"``, ``"Step"``, ``"Cycle"``, ``"Time [h]"``,
    ``"Power [W]"``) are 1-D arrays with one value per output time; internal fields
    (``"Electrolyte concentration [mol.m-3]"``, ...) are 2-D arrays of shape
    (n_times, n_nodes) on the grids ``"x [m]"`` (all nodes), ``"x_n [m]"`` and
    ``"x_p [m]"`` (electrode nodes). `variables` lists every name.

    ``"Temperature [K]"`` is the cell temperature (constant at the ambient
    temperature unless the thermal model is ``"lumped"``). ``"Step"`` and ``"Cycle"``
    are int arrays: the experiment step (counted over all cycles from 0, as in
    `steps`) and the cycle of each output; 0 for a constant-current run.

    Created by `Simulation.solve`; not meant to be built directly.

    Attributes
    ----------
    status : str
        How the cell ended: ``"finished"`` (the experiment completed),
        ``"cutoff_lower"``, ``"cutoff_upper"``, ``"end_time_reached"`` (stopped at
        `t_end`), or a failure such as ``"cutoff_at_start"`` or ``"newton_failure"``.
    message : str
        The status in words. When a voltage cut-off of the set stopped an experiment
        before its end, it names the step cut short (index, cycle, text) and the steps
        that did not run (and `solve` warns with a `SolverWarning`).
    termination : str
        PyBaMM-style: ``"protocol completed"``, ``"final time"``, ``"event: Minimum
        voltage [V]"``, ``"event: Maximum voltage [V]"``, or ``"failure: <message>"``.
    parameters : ParameterSet
        A copy of the parameters that were solved.
    current : float
        The applied current [A]; NaN for an experiment (see ``sol["Current [A]"]``).
    initial_soc : float or None
        The initial SOC, or None for the set's initial concentrations.
    mesh : dict
        Points per domain.
    solver : dict
        The tolerances.
    experiment : list of tuple of str, or None
        The cycles that were run (the `cycles` repeat expanded), or None for a
        constant-current run.
    thermal : str
        The thermal model, ``"isothermal"`` or ``"lumped"``.
    """

    def __init__(self, raw: Mapping[str, Any], parameters: Optional[ParameterSet] = None, current: float = math.nan,
                 initial_soc: Optional[float] = None, mesh: Optional[Dict[str, int]] = None,
                 solver: Optional[Dict[str, float]] = None, experiment: Optional[Sequence[Tuple[str, ...]]] = None,
                 thermal: str = "isothermal", set_name: Optional[str] = None) -> None:
        self._data: Dict[str, np.ndarray] = {}
        for name in (_SCALAR_VARIABLES + _PROTOCOL_VARIABLES + _FIELD_VARIABLES + _STATE_VARIABLES +
                     _DEGRADATION_VARIABLES + _GRIDS):
            if name in raw:
                arr = np.asarray(raw[name], dtype=np.int64 if name in ("Step", "Cycle") else float)
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
        # the set's name where the set itself is not at hand (a sweep's cell: the file's)
        self._set_name = parameters.name if parameters is not None else set_name
        self.current = float(current)
        self.initial_soc = initial_soc
        self.mesh = dict(mesh or {})
        self.solver = dict(solver or {})
        self.experiment: Optional[List[Tuple[str, ...]]] = None if experiment is None else \
            [tuple(c) for c in experiment]
        self.thermal = str(thermal)
        #: The resolved model options of the run ({name: value}, PyBaMM's spelling).
        self.options: Dict[str, str] = {str(k): str(v) for k, v in dict(raw.get("model options", {})).items()}
        self._step_records: List[Dict[str, Any]] = [dict(r) for r in raw.get("steps", [])]
        # PyBaMM's per-cycle summary variables from the compiled solver (an experiment only)
        self._summary_variables: Dict[str, np.ndarray] = {
            str(k): np.asarray(v, dtype=float) for k, v in dict(raw.get("summary_variables", {}) or {}).items()}
        self._cell: Dict[str, float] = {str(k): float(v) for k, v in dict(raw.get("cell", {})).items()}
        self._derived = var.derived_variables(self._cell, list(self._data))
        self._cache: Dict[str, np.ndarray] = {}
        self._subs: Dict[str, Any] = {}
        stats = dict(raw.get("stats", {}))
        self._summary: Dict[str, Any] = {
            "End reason": self.status,
            "End time [s]": float(raw.get("end_time", math.nan)),
            "Discharge capacity [A.h]": float(raw.get("discharge_capacity", math.nan)),
            "Charge capacity [A.h]": float(raw.get("charge_capacity", math.nan)),
            "Discharge energy [W.h]": float(raw.get("discharge_energy", math.nan)),
            "Charge energy [W.h]": float(raw.get("charge_energy", math.nan)),
            "Energy [W.h]": float(raw.get("energy", math.nan)),
            "Mean voltage [V]": float(raw.get("mean_voltage", math.nan)),
            "Wall time [s]": float(raw.get("wall_time", math.nan)),
            "Steps": int(stats.get("steps", 0)),
            "Newton iterations": int(stats.get("newton_iterations", 0)),
            "Jacobian setups": int(stats.get("jacobian_setups", 0)),
            "Residual evaluations": int(stats.get("residual_evaluations", 0)),
            "Error test failures": int(stats.get("error_test_failures", 0)),
            "Convergence failures": int(stats.get("convergence_failures", 0)),
        }

    # -- access ---------------------------------------------------------------------------
    @property
    def variables(self) -> List[str]:
        """Names of every variable the solution holds (outputs, fields, grids) or derives
        on demand (stoichiometries, averages, throughputs, temperatures; docs/python.md)."""
        return list(self._data) + [n for n in self._derived if n not in self._data]

    def _get(self, name: str) -> np.ndarray:
        if name in self._data:
            return self._data[name]
        if name not in self._cache:
            arr = np.asarray(self._derived[name](self._get), dtype=float)
            arr.flags.writeable = False
            self._cache[name] = arr
        return self._cache[name]

    def __getitem__(self, name: str) -> np.ndarray:
        """A variable: a read-only array, time first, with PyBaMM's ``.entries`` / ``.data``
        (time last) and ``sol[name](t=...)`` (see `ProcessedArray`)."""
        try:
            arr = self._get(name)
        except (KeyError, TypeError):
            # a per-cycle quantity of PyBaMM's summary variables is there, not a series
            if isinstance(name, str) and name in _core.summary_variable_names():
                raise UnknownVariableError(
                    f"{name!r} is a summary variable (one value per cycle, at its end): "
                    f"sol.summary_variables[{name!r}] (after an experiment)") from None
            raise UnknownVariableError(
                f"unknown variable {name!r}{did_you_mean(str(name), self.variables)} "
                "(Solution.variables lists them; the per-cycle summary variables are in "
                "sol.summary_variables)"
            ) from None
        if name in _GRIDS:
            return arr
        return var.ProcessedArray(arr, name, self._data["Time [s]"])

    def __contains__(self, name: object) -> bool:
        return name in self._data or name in self._derived

    def __iter__(self) -> Iterator[str]:
        return iter(self.variables)

    def __len__(self) -> int:
        return len(self.variables)

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
        """True when the cell ended normally (the protocol completed, or a voltage cut-off)."""
        return self.status in OK_STATUSES

    @property
    def termination(self) -> str:
        """Why the solve stopped, in PyBaMM's words (``"event: Minimum voltage [V]"``, ...)."""
        if self.status == "experiment_end":  # PyBaMM's words for its experiment terminations
            if self.message.startswith("the experiment's time termination"):
                return "experiment time limit reached"
            return "experiment capacity limit reached" if "capacity" in self.message.split("(t =")[-1] else \
                "experiment voltage limit reached"
        return _TERMINATION.get(self.status, f"failure: {self.message}")

    @property
    def summary(self) -> Dict[str, Any]:
        """End-of-run quantities and solver statistics.

        Returns
        -------
        dict
            ``"End reason"``, ``"End time [s]"``, ``"Discharge capacity [A.h]"`` and
            ``"Charge capacity [A.h]"`` (the charge moved while discharging and while
            charging, each >= 0; a drive cycle that goes both ways is split where the
            current changes sign; not the last value of ``sol["Discharge capacity
            [A.h]"]``, PyBaMM's net charge, except in a run that only discharges),
            ``"Discharge energy [W.h]"`` and ``"Charge energy
            [W.h]"`` (likewise), ``"Energy [W.h]"`` (net: discharge - charge energy),
            ``"Mean voltage [V]"`` (while discharging: discharge energy / discharge
            capacity; for a run that never discharged, while charging),
            ``"Wall time [s]"``, ``"Steps"``, ``"Newton iterations"``,
            ``"Jacobian setups"``, ``"Residual evaluations"``, ``"Error test failures"``,
            ``"Convergence failures"`` (the counters of a sweep's ``res.stats``). The net capacity is ``sol["Discharge capacity [A.h]"][-1]`` (PyBaMM's
            variable, positive on discharge).
        """
        return dict(self._summary)

    @property
    def step_summary(self) -> Any:
        """One row per step that ran: its times, capacity, energy and how it ended.

        Returns
        -------
        pandas.DataFrame
            Index ``"Step"``: the step number, counted from 0 over all cycles (the
            values of ``sol["Step"]``). Columns: ``"Cycle"``, ``"Text"`` (the step
            string; ``""`` for a constant-current run, which is one step),
            ``"Start time [s]"``, ``"End time [s]"``, ``"Duration [s]"``,
            ``"Capacity [A.h]"`` (net charge passed, positive on discharge),
            ``"Energy [W.h]"`` (net, positive when the cell delivers energy),
            ``"Discharge capacity [A.h]"``, ``"Charge capacity [A.h]"``,
            ``"Discharge energy [W.h]"``, ``"Charge energy [W.h]"`` (moved while
            discharging / charging, each >= 0, split inside a step that goes both
            ways) and ``"Ended by"`` (``"duration"``, ``"end condition"``, ``"cut-off"``, ``"failure"``,
            ``"end time"``, or ``"skipped"``: its end condition held when it began, so it
            took no time, as PyBaMM skips it; `solve` warns). Steps never reached (the run stopped at a cut-off, a
            failure or `t_end`) have no row.

        Examples
        --------
        >>> sol.step_summary[["Text", "Duration [s]", "Capacity [A.h]", "Ended by"]]

        (Before issue 13 this table was ``sol.steps``, which is now the list of step
        solutions, as in PyBaMM.)
        """
        import pandas as pd

        columns = {
            "Cycle": ("cycle", np.int64),
            "Text": ("text", object),
            "Start time [s]": ("start time [s]", float),
            "End time [s]": ("end time [s]", float),
            "Duration [s]": ("duration [s]", float),
            "Capacity [A.h]": ("capacity [A.h]", float),
            "Energy [W.h]": ("energy [W.h]", float),
            "Discharge capacity [A.h]": ("discharge capacity [A.h]", float),
            "Charge capacity [A.h]": ("charge capacity [A.h]", float),
            "Discharge energy [W.h]": ("discharge energy [W.h]", float),
            "Charge energy [W.h]": ("charge energy [W.h]", float),
            "Ended by": ("ended by", object),
        }
        recs = self._step_records
        data = {col: np.array([r[key] for r in recs], dtype=dtype) for col, (key, dtype) in columns.items()}
        index = pd.Index(np.array([r["step"] for r in recs], dtype=np.int64), name="Step")
        return pd.DataFrame(data, index=index)

    @property
    def cycle_summary(self) -> Any:
        """One row per cycle that ran, summed over its steps.

        Returns
        -------
        pandas.DataFrame
            Index ``"Cycle"``. Columns: ``"Start time [s]"``, ``"End time [s]"``,
            ``"Duration [s]"``, ``"Net capacity [A.h]"`` (net, positive on discharge;
            PyBaMM's ``"Capacity [A.h]"`` is the eSOH one of `summary_variables`),
            ``"Discharge capacity [A.h]"`` and ``"Charge capacity [A.h]"`` (moved
            while discharging and while charging, each >= 0), ``"Energy [W.h]"``
            (net), ``"Discharge energy [W.h]"``, ``"Charge energy [W.h]"``,
            ``"Coulombic efficiency"`` (discharge / charge capacity of the cycle; NaN
            when it charged nothing), ``"Energy efficiency"`` (discharge / charge
            energy; likewise), ``"Throughput capacity [A.h]"`` and ``"Throughput energy
            [W.h]"`` (moved either way from the start of the run to the cycle's end),
            ``"Maximum temperature [K]"`` and ``"Mean temperature [K]"`` (over the
            cycle's time span; the mean weighted by time). Computed by the one cycle
            reducer of the compiled solver (the same numbers as a sweep's
            ``/cycles``, docs/hdf5_layout.md). A constant-current run is one cycle. A
            cycle cut short counts the steps that ran.

        Examples
        --------
        >>> sol.cycle_summary["Discharge capacity [A.h]"]   # capacity fade over the cycles

        (Before issue 13 this table was ``sol.cycles``, which is now the list of cycle
        solutions, as in PyBaMM.)
        """
        import pandas as pd

        steps = self.step_summary
        cycle_of_step = steps["Cycle"].to_numpy()
        present = np.unique(cycle_of_step)
        n_cycles = int(present.max()) + 1 if present.size else 0
        per_step = {name: steps[name].to_numpy(dtype=float) for name in
                    ("Start time [s]", "End time [s]", "Capacity [A.h]", "Energy [W.h]") + exp.SPLIT_QUANTITIES}
        # the steps as one cell's records (the reducer's last axis is the steps)
        per_step = {name: v.reshape(1, -1) for name, v in per_step.items()}
        series = dict(time=self._data["Time [s]"], temperature=self._data.get("Temperature [K]")) \
            if len(cycle_of_step) else {}
        summary = exp.cycle_summaries(per_step, cycle_of_step, n_cycles, **series)
        names = exp.CYCLE_QUANTITIES + exp.CYCLE_RESULTS
        return pd.DataFrame({name: summary[name][0, present] for name in names},
                            index=pd.Index(present.astype(np.int64), name="Cycle"))

    # -- PyBaMM's sub-solutions, summary variables and save_data (issue 13) ----------------
    @property
    def cycles(self) -> Any:
        """The cycles that ran, each a `Solution` (as PyBaMM's ``sol.cycles``).

        ``sol.cycles[i]`` holds the outputs of cycle i (``sol["Cycle"] == i``) with the
        time, capacity and energy variables continuing from the run (as in PyBaMM), its
        step records, and ``.steps`` (its steps, numbered within the cycle). A
        constant-current run is one cycle. The per-cycle table is `cycle_summary`.

        Examples
        --------
        >>> last = sol.cycles[-1]
        >>> last["Voltage [V]"], last.steps[0].t
        """
        if "cycles" not in self._subs:
            cycles = sorted({int(r["cycle"]) for r in self._step_records})
            self._subs["cycles"] = var.SubSolutions("cycle", cycles, self._cycle_solution, "cycle_summary")
        return self._subs["cycles"]

    @property
    def steps(self) -> Any:
        """The steps that ran, each a `Solution` (``sol.steps[i]`` is step i counted over
        all cycles, as ``sol["Step"]``; within a cycle solution, the cycle's steps from 0,
        as PyBaMM's ``sol.cycles[i].steps[j]``). A step's outputs are those with its step
        number: they begin after the previous step's last output, which is the state at
        its start. A step skipped because its end condition held at once has no outputs.
        The per-step table is `step_summary`.
        """
        if "steps" not in self._subs:
            self._subs["steps"] = var.SubSolutions("step", list(range(len(self._step_records))), self._step_solution,
                                                   "step_summary")
        return self._subs["steps"]

    def _cycle_solution(self, cycle: int) -> "Solution":
        records = [r for r in self._step_records if int(r["cycle"]) == cycle]
        exp_cycle = None
        if self.experiment is not None and 0 <= cycle < len(self.experiment):
            exp_cycle = [self.experiment[cycle]]
        return self._sub(self._data["Cycle"] == cycle if "Cycle" in self._data else None, records, exp_cycle)

    def _step_solution(self, k: int) -> "Solution":
        rec = self._step_records[k]
        exp_step = [(str(rec.get("text", "")),)] if self.experiment is not None else None
        return self._sub(self._data["Step"] == int(rec["step"]) if "Step" in self._data else None, [rec], exp_step)

    def _sub(self, rows: Optional[np.ndarray], records: List[Dict[str, Any]],
             experiment: Optional[List[Tuple[str, ...]]]) -> "Solution":
        """A Solution of some output rows (a cycle or a step) and their step records."""
        nt = self._data["Time [s]"].size
        rows = np.ones(nt, dtype=bool) if rows is None else np.asarray(rows, dtype=bool)
        sub = object.__new__(Solution)
        sub.__dict__.update(self.__dict__)
        data: Dict[str, np.ndarray] = {}
        for name, arr in self._data.items():
            if name in _GRIDS:
                data[name] = arr
            else:
                part = arr[rows]
                part.flags.writeable = False
                data[name] = part
        sub._data = data
        sub._cache = {}
        for name in var.CUMULATIVE:  # the run's running sums at these rows (they continue from the run)
            if name in self._derived:
                part = np.asarray(self._get(name))[rows]
                part.flags.writeable = False
                sub._cache[name] = part
        sub._subs = {}
        sub._step_records = [dict(r) for r in records]
        sub.experiment = experiment
        last = bool(rows[-1]) if nt else True
        if not last:
            sub.status, sub.message = "finished", "finished: this part of the protocol completed"
        q = {k: float(sum(r[k] for r in records)) for k in ("discharge capacity [A.h]", "charge capacity [A.h]",
                                                               "discharge energy [W.h]", "charge energy [W.h]",
                                                               "energy [W.h]")}
        dis, chg = q["discharge capacity [A.h]"], q["charge capacity [A.h]"]
        mean_v = q["discharge energy [W.h]"] / dis if dis > 0 else \
            (q["charge energy [W.h]"] / chg if chg > 0 else math.nan)
        sub._summary = dict(self._summary)  # solver statistics: the whole run's
        sub._summary.update({
            "End reason": sub.status,
            "End time [s]": float(data["Time [s]"][-1]) if data["Time [s]"].size else math.nan,
            "Discharge capacity [A.h]": dis, "Charge capacity [A.h]": chg,
            "Discharge energy [W.h]": q["discharge energy [W.h]"], "Charge energy [W.h]": q["charge energy [W.h]"],
            "Energy [W.h]": q["energy [W.h]"], "Mean voltage [V]": mean_v,
        })
        return sub

    @property
    def summary_variables(self) -> "var.SummaryVariables":
        """Per-cycle summary variables with PyBaMM's names (``sol.summary_variables``).

        After an experiment, PyBaMM's summary variables as the compiled solver gives them
        at each cycle's last state (solver/output/summary.hpp; the names of
        `ionflux.summary_variable_names`): the lithium totals and losses, LLI and LAM [%],
        the electrode capacities, the degradation losses (0 without degradation), each with
        its ``"Change in ..."``, and the eSOH variables (``"Capacity [A.h]"``, ``"x_100"``,
        ``"x_0"``, ``"y_100"``, ``"y_0"``, ``"Cyclable lithium capacity [A.h]"``,
        ``"Formation capacity loss [A.h]"``, ``"NPR"``, ...); docs/python.md defines each.
        A constant-current run is one cycle and gets the same, from the compiled solver.
        Where the solver gave none (a run that failed, or a sweep's cell, which stores no
        states), the subset below is computed from the outputs, and the lithium totals
        and electrode capacities only while eps_s and the porosity are constant (they are
        states under loss of active material and a porosity change).

        One value per cycle that ran: ``"Cycle number"`` (from 1), ``"Time [s]"`` and
        ``"Time [h]"`` (at the cycle's end), ``"Throughput capacity [A.h]"`` and
        ``"Throughput energy [W.h]"`` (from the start of the run to the cycle's end),
        ``"Total lithium in negative electrode [mol]"``, ``"... positive electrode
        [mol]"``, ``"Total lithium in particles [mol]"``, ``"Total lithium in electrolyte
        [mol]"``, ``"Total lithium [mol]"`` (at the cycle's end), ``"Negative electrode
        capacity [A.h]"``, ``"Positive electrode capacity [A.h]"``, each with its
        ``"Change in ..."`` over the cycle (PyBaMM: last - first state of the cycle); and
        ionflux's per-cycle quantities of `cycle_summary`: ``"Discharge capacity
        [A.h]"``, ``"Charge capacity [A.h]"``, ``"Discharge energy [W.h]"``, ``"Charge
        energy [W.h]"``, ``"Coulombic efficiency"``, ``"Energy efficiency"``,
        ``"Maximum temperature [K]"``, ``"Mean temperature [K]"`` (definitions in
        docs/python.md). PyBaMM reports ``"Throughput energy [W.h]"`` only with the model
        option ``"calculate discharge energy"``; ionflux always does.
        """
        table = self.cycle_summary
        cyc = table.index.to_numpy()
        t = self._data["Time [s]"]
        end_t = table["End time [s]"].to_numpy(dtype=float)
        start_t = table["Start time [s]"].to_numpy(dtype=float)
        out: Dict[str, np.ndarray] = {"Cycle number": cyc + 1}
        last = np.clip(np.searchsorted(t, end_t, side="right") - 1, 0, max(t.size - 1, 0))
        first = np.clip(np.searchsorted(t, start_t, side="right") - 1, 0, max(t.size - 1, 0))
        values: Dict[str, Tuple[np.ndarray, np.ndarray]] = {
            "Time [s]": (end_t, start_t), "Time [h]": (end_t / 3600.0, start_t / 3600.0)}
        tq = table["Throughput capacity [A.h]"].to_numpy(dtype=float)
        te = table["Throughput energy [W.h]"].to_numpy(dtype=float)
        moved_q = (table["Discharge capacity [A.h]"] + table["Charge capacity [A.h]"]).to_numpy(dtype=float)
        moved_e = (table["Discharge energy [W.h]"] + table["Charge energy [W.h]"]).to_numpy(dtype=float)
        values["Throughput capacity [A.h]"] = (tq, tq - moved_q)
        values["Throughput energy [W.h]"] = (te, te - moved_e)
        # the outputs' totals assume constant eps_s and porosity (the parameters')
        constant_fractions = not any(n.endswith(("active material volume fraction", "electrode porosity"))
                                     for n in self._data)
        if self._cell and t.size and constant_fractions:
            at_end = var.lithium_totals(self._get, self._cell, last)
            at_start = var.lithium_totals(self._get, self._cell, first)
            for name in at_end:
                values[name] = (at_end[name], at_start[name])
            c = self._cell
            for D, s in (("Negative", "n"), ("Positive", "p")):
                cap = c[f"eps_s_{s}"] * c[f"c_max_{s}"] * c[f"L_{s}"] * c["area"] * var.FARADAY / 3600.0
                values[f"{D} electrode capacity [A.h]"] = (np.full(cyc.size, cap), np.full(cyc.size, cap))
        if self._summary_variables:  # an experiment: every summary variable from the compiled solver
            values = {}
            for name, arr in self._summary_variables.items():
                out[name] = arr[cyc] if arr.size > (cyc.max() if cyc.size else -1) else np.full(cyc.size, np.nan)
        for name, (end, start) in values.items():
            out[name] = np.asarray(end, dtype=float)
            out[f"Change in {name[0].lower() + name[1:]}"] = np.asarray(end, dtype=float) - start
        for name in exp.SPLIT_QUANTITIES + ("Coulombic efficiency", "Energy efficiency", "Maximum temperature [K]",
                                             "Mean temperature [K]"):
            out[name] = table[name].to_numpy(dtype=float)
        return var.SummaryVariables(out)

    def save_data(self, filename: Any = None, variables: Optional[Sequence[str]] = None, to_format: str = "csv",
                  short_names: Optional[Mapping[str, str]] = None) -> Optional[str]:
        """Save variables to a file, as PyBaMM's ``Solution.save_data``.

        Parameters
        ----------
        filename : str or path-like, optional
            The file; for ``"csv"`` without one, the CSV text is returned.
        variables : sequence of str, optional
            The variables (``sol.variables`` names); by default every time series
            (one value per output) for ``"csv"`` and ``"parquet"``, and every variable
            (fields and grids too) for ``"matlab"``. After an experiment ``"Cycle"`` and
            ``"Step"`` are added, as PyBaMM does; there, as in PyBaMM's files, ``"Step"``
            is the step's number within its cycle (from 0), where ``sol["Step"]`` counts
            the steps over all cycles.
        to_format : {"csv", "matlab", "parquet"}
            ``"csv"`` and ``"parquet"`` (needs pyarrow or fastparquet) hold time series
            only, one column each; ``"matlab"`` (needs scipy) any variable, in PyBaMM's
            layout (``sol[name].data``: time last).
        short_names : dict, optional
            Names to write instead (MATLAB variable names may hold only letters, digits
            and ``_``).

        Returns
        -------
        str or None
            The CSV text when no filename is given for ``"csv"``.

        Raises
        ------
        ValueError
            For an unknown format, a field in a CSV/parquet file, or a name MATLAB
            cannot take (the message shows `short_names`).
        ImportError
            When the format's package (scipy, pyarrow) is not installed; the message
            names it.

        Examples
        --------
        >>> sol.save_data("run.csv", ["Time [s]", "Voltage [V]"])
        >>> sol.save_data("run.mat", ["Time [s]", "Voltage [V]"], to_format="matlab",
        ...               short_names={"Time [s]": "t", "Voltage [V]": "V"})
        """
        nt = self._data["Time [s]"].size
        if variables is None:
            names = [n for n in self.variables if to_format == "matlab" or
                     (n not in _GRIDS and self._get(n).ndim == 1 and self._get(n).shape[0] == nt)]
        else:
            names = [variables] if isinstance(variables, str) else list(variables)
            if self.experiment is not None:
                names += [n for n in ("Cycle", "Step") if n not in names]
        short = dict(short_names or {})
        data: Dict[str, np.ndarray] = {}
        for name in names:
            arr = self[name]
            if name == "Step" and self.experiment is not None:
                arr = self._step_in_cycle()
            data[short.get(name, name)] = arr.entries if isinstance(arr, var.ProcessedArray) else np.asarray(arr)
        return var.save_data(data, filename, to_format)

    def _step_in_cycle(self) -> np.ndarray:
        """Each output's step numbered within its cycle from 0 (PyBaMM's "Step" column of
        saved data): sol["Step"] less the number of the cycle's first step."""
        step, cycle = np.asarray(self._get("Step")), np.asarray(self._get("Cycle"))
        first: Dict[int, int] = {}
        for r in self._step_records:
            c = int(r["cycle"])
            first[c] = min(first.get(c, int(r["step"])), int(r["step"]))
        start = np.array([first.get(int(c), int(s)) for s, c in zip(step, cycle)], dtype=step.dtype)
        return step - start

    @property
    def _shows_temperature(self) -> bool:
        return self.thermal == "lumped" or self.experiment is not None

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
            ``"Discharge capacity [A.h]"`` (the columns of ``ionflux simulate``'s CSV);
            after an experiment also ``"Step"``, ``"Cycle"`` and ``"Temperature [K]"``
            (as the CSV of ``ionflux simulate --experiment ...``), and with the lumped
            thermal model ``"Temperature [K]"``.
        """
        import pandas as pd

        names = list(_SCALAR_VARIABLES)
        if self.experiment is not None:
            names += ["Step", "Cycle", "Temperature [K]"]
        elif self.thermal == "lumped":
            names.append("Temperature [K]")
        return pd.DataFrame({name: np.array(self._data[name]) for name in names if name in self._data})

    def __repr__(self) -> str:
        t = self.t
        span = f"{t[0]:.6g} to {t[-1]:.6g} s" if t.size else "no outputs"
        name = getattr(self, "_set_name", None) or (self.parameters.name if self.parameters is not None else "?")
        what = f"experiment, {exp.describe(self.experiment, 1)}" if self.experiment is not None else \
            f"{self.current:g} A"
        return f"<ionflux.Solution: {name}, {what}, {span}, {len(t)} outputs, {self.termination}>"

    # -- plotting -------------------------------------------------------------------------
    def plot(self, times: Optional[Sequence[float]] = None, figsize: Optional[Sequence[float]] = None) -> Any:
        """A dashboard of the solution.

        Voltage and current against time, and against x at a few times: electrolyte
        concentration and potential, particle surface concentrations, electrode
        potentials and interfacial current densities. With the lumped thermal model
        or after an experiment, the cell temperature against time as well.

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
            The figure: 9 axes, 3 by 3; with the temperature, 10 (4 in the top row:
            voltage, current, temperature, electrolyte concentration).

        Notes
        -----
        Drawn in display units (docs/python.md, "Plots and units"): x in µm,
        concentrations in mol/L, potentials in V (mV or µV when small), temperature
        in °C, time in s, min or h. The legend of the profile times sits below the
        panels.
        """
        from ._plots import solution_dashboard

        if times is not None and not isinstance(times, (str, bytes)) and any(isinstance(t, str) for t in times) \
                or isinstance(times, str):
            # PyBaMM's plot(output_variables): here the dashboard's variables are fixed
            raise TypeError("Solution.plot(times) takes output times [s] for the profiles, not variable names "
                            f"({times!r}): the dashboard's variables are fixed; plot another with matplotlib, "
                            "plt.plot(sol['Time [s]'], sol[name])")
        return solution_dashboard(self, times, figsize)

    def plot_capacity_fade(self, x: str = "Cycle number", axes: Any = None) -> Any:
        """Capacity fade over the cycles: PyBaMM's ``"Capacity [A.h]"`` (the eSOH capacity
        at each cycle's end) and the degradation modes (``"Loss of lithium inventory
        [%]"``, ``"Loss of active material in negative/positive electrode [%]"``) from
        `summary_variables`.

        Parameters
        ----------
        x : str
            ``"Cycle number"`` (default), ``"Throughput capacity [A.h]"``, ``"Throughput
            energy [W.h]"`` or ``"Time [h]"``.
        axes : pair of matplotlib axes, optional
            Where to draw (capacity, modes); by default a new figure with two panels.

        Returns
        -------
        tuple of matplotlib.axes.Axes
            The capacity axes and the degradation-mode axes.

        Raises
        ------
        UnknownVariableError
            Without an experiment (no summary variables), or for an unknown `x`.
        """
        from ._plots import capacity_fade

        if self.experiment is None:  # one cycle: its summary variables make no fade to draw
            raise UnknownVariableError("plot_capacity_fade draws the summary variables over the cycles of an "
                                       "experiment; this run has none (Simulation(..., experiment=[...], cycles=N))")
        sv = self.summary_variables
        return capacity_fade({name: np.asarray(sv[name])[None, :] for name in sv}, x, axes)
