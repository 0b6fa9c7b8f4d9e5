"""What PyBaMM users expect of a solution, with PyBaMM's names (issue 13 item 4):
`ProcessedArray` (``sol[name].entries``, ``.data``, ``sol[name](t=...)``), the variables
derived on demand from the stored states (stoichiometries, particle concentrations over r,
throughputs, temperatures), `SummaryVariables` (``sol.summary_variables``), the
sub-solutions of ``sol.cycles`` / ``sol.steps`` and ``sol.save_data``.

docs/python.md ("Variables") lists every name with its unit and shape.
"""
from __future__ import annotations

import importlib.util
import os
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Union

import numpy as np

from ._errors import UnknownVariableError, did_you_mean

_DOMAINS = (("Negative", "negative", "n"), ("Positive", "positive", "p"))

#: Faraday constant [C/mol] (as the solver, kernels/common.hpp).
FARADAY = 96485.33212


class ProcessedArray(np.ndarray):
    """A variable of a `Solution`: a read-only numpy array (time first), with PyBaMM's
    `ProcessedVariable` attributes.

    ``sol["Voltage [V]"]`` is an array of shape (n_times,); an internal field such as
    ``sol["Electrolyte concentration [mol.m-3]"]`` is (n_times, n_x) and a particle
    concentration (n_times, n_x, n_r). Indexing and arithmetic give plain numpy arrays.

    Attributes
    ----------
    entries, data : numpy.ndarray
        The values in PyBaMM's layout, time last: (n_times,), (n_x, n_times) or
        (n_r, n_x, n_times) — the transpose of the array (``.data`` is PyBaMM's alias of
        ``.entries``; numpy's buffer of the array is ``memoryview(arr)``).
    name : str
        The variable's name.
    """

    def __new__(cls, values: np.ndarray, name: str, t: np.ndarray) -> "ProcessedArray":
        obj = np.asarray(values).view(cls)
        obj._name = name
        obj._t = t
        return obj

    def __array_finalize__(self, obj: Any) -> None:
        self._name = getattr(obj, "_name", "")
        self._t = getattr(obj, "_t", None)

    def __array_wrap__(self, out: np.ndarray, context: Any = None, return_scalar: bool = False) -> Any:
        out = out.view(np.ndarray)  # ufunc results are plain arrays
        return out[()] if return_scalar else out

    def __getitem__(self, key: Any) -> Any:
        return self.view(np.ndarray)[key]

    def __reduce__(self) -> Any:  # pickles as a plain array
        return np.array(self.view(np.ndarray)).__reduce__()

    @property
    def name(self) -> str:
        return self._name

    @property
    def entries(self) -> np.ndarray:
        """The values, time last (PyBaMM's layout): the array transposed."""
        return self.view(np.ndarray).T

    @property
    def data(self) -> np.ndarray:  # type: ignore[override]
        """Same as `entries` (PyBaMM's ``ProcessedVariable.data``)."""
        return self.entries

    def __call__(self, t: Any = None, **space: Any) -> np.ndarray:
        """The variable at times `t` [s], linear between output times (as PyBaMM's
        ``sol[name](t=...)``); PyBaMM's layout: a field at one time is (n_x,), at several
        (n_x, len(t)).

        Raises
        ------
        ValueError
            For `t` outside the output times, or for x or r (interpolation in space is
            not offered: index the field's nodes, ``sol["x [m]"]``).
        """
        if space:
            raise ValueError(f"{self._name!r}: only t can be given (the nodes are sol['x [m]'], sol['r_n [m]'], ...), "
                             f"got {', '.join(space)}")
        arr = self.view(np.ndarray)
        if t is None:
            return self.entries
        times = self._t
        tq = np.asarray(t, dtype=float)
        if times is None or times.size == 0:
            raise ValueError(f"{self._name!r} has no output times to interpolate between")
        if np.any(tq < times[0]) or np.any(tq > times[-1]):
            raise ValueError(f"t must lie within the output times [{times[0]:g}, {times[-1]:g}] s, got {t!r}")
        flat = arr.reshape(arr.shape[0], -1)
        vals = np.stack([np.interp(tq.ravel(), times, flat[:, k]) for k in range(flat.shape[1])], axis=-1)
        if tq.ndim > 1:
            raise ValueError(f"t must be a time or a 1-D array of times, got shape {tq.shape}")
        return vals.reshape(tq.shape + arr.shape[1:]).T  # time last, as PyBaMM


# -- the variables derived from the stored outputs -------------------------------------------------
def _r_weights(n_r: int) -> np.ndarray:
    """Shell volumes of n_r uniform shells (r_(k+1)^3 - r_k^3), normalised: PyBaMM's r-average."""
    edges = np.arange(n_r + 1, dtype=float) ** 3
    w = np.diff(edges)
    return w / w.sum()


#: Derived variables that accumulate over the run: a cycle's or a step's sub-solution takes
#: the run's values at its rows (PyBaMM's throughputs continue from the run), not a sum
#: restarted over its own rows.
CUMULATIVE = ("Throughput capacity [A.h]", "Throughput energy [W.h]")


def derived_variables(cell: Mapping[str, float], available: Sequence[str]) -> Dict[str, Callable[..., np.ndarray]]:
    """Name -> function(getter) of each variable derivable from the `available` stored ones
    (and, for the stoichiometries, the maximum concentrations in `cell`)."""
    rules: Dict[str, Any] = {}  # name -> (needs, function of the getter)

    def throughput(name: str) -> Callable[[Callable[[str], np.ndarray]], np.ndarray]:
        # the running sum of |change| between outputs: exact while the current keeps its sign
        # between consecutive outputs (every step end is an output)
        return lambda get: np.concatenate([[0.0], np.cumsum(np.abs(np.diff(get(name))))])[:get(name).size]

    rules["Throughput capacity [A.h]"] = (("Discharge capacity [A.h]",), throughput("Discharge capacity [A.h]"))
    rules["Throughput energy [W.h]"] = (("Discharge energy [W.h]",), throughput("Discharge energy [W.h]"))
    for D, d, s in _DOMAINS:
        c = f"{D} particle concentration [mol.m-3]"
        surf = f"{D} particle surface concentration [mol.m-3]"
        rav, xav, avg = (f"{w} {d} particle concentration [mol.m-3]" for w in ("R-averaged", "X-averaged", "Average"))
        xsurf = f"X-averaged {d} particle surface concentration [mol.m-3]"

        def r_avg(get: Callable[[str], np.ndarray], c: str = c) -> np.ndarray:
            cs = get(c)
            return cs @ _r_weights(cs.shape[-1])

        rules[rav] = ((c,), r_avg)
        rules[xav] = ((c,), lambda get, c=c: get(c).mean(axis=1))  # uniform nodes in an electrode
        rules[avg] = ((rav,), lambda get, rav=rav: get(rav).mean(axis=1))
        rules[xsurf] = ((surf,), lambda get, surf=surf: get(surf).mean(axis=1))
        c_max = float(cell.get(f"c_max_{s}", np.nan))
        if np.isfinite(c_max):
            for prefix, conc in ((f"{D} particle", c), (f"R-averaged {d} particle", rav),
                                 (f"X-averaged {d} particle", xav), (f"Average {d} particle", avg),
                                 (f"{D} particle surface", surf), (f"X-averaged {d} particle surface", xsurf)):
                rules[f"{prefix} stoichiometry"] = ((conc,), lambda get, conc=conc, c_max=c_max: get(conc) / c_max)
            # PyBaMM: x-average(eps_s r-average(c)) / x-average(eps_s) / c_max; while eps_s
            # is uniform in each electrode, the average stoichiometry (with loss of active
            # material the solver gives the variable from the states: it is then stored)
            sto = f"Average {d} particle stoichiometry"
            rules[f"{D} electrode stoichiometry"] = ((sto,), lambda get, sto=sto: get(sto))
    T = "Temperature [K]"
    rules["Cell temperature [K]"] = ((T, "x [m]"), lambda get: np.repeat(get(T)[:, None], get("x [m]").size, axis=1))
    # the lumped (or constant) temperature is uniform: its x- and volume-averages are it
    rules["X-averaged cell temperature [K]"] = ((T,), lambda get: np.array(get(T), dtype=float))
    rules["Volume-averaged cell temperature [K]"] = ((T,), lambda get: np.array(get(T), dtype=float))
    for name in ("Cell temperature", "X-averaged cell temperature", "Volume-averaged cell temperature"):
        rules[f"{name} [C]"] = ((f"{name} [K]",), lambda get, name=name: get(f"{name} [K]") - 273.15)
    have = set(available)
    out: Dict[str, Callable[..., np.ndarray]] = {}
    for name, (needs, fn) in rules.items():  # in dependency order
        if all(n in have for n in needs):
            have.add(name)
            out[name] = fn
    return out


def lithium_totals(get: Callable[[str], np.ndarray], cell: Mapping[str, float],
                   rows: np.ndarray) -> Dict[str, np.ndarray]:
    """PyBaMM's totals of lithium [mol] at output rows `rows`."""
    area = float(cell["area"])
    n_n = cell["eps_s_n"] * get("Average negative particle concentration [mol.m-3]")[rows] * cell["L_n"] * area
    n_p = cell["eps_s_p"] * get("Average positive particle concentration [mol.m-3]")[rows] * cell["L_p"] * area
    ce = get("Electrolyte concentration [mol.m-3]")
    x = get("x [m]")
    n_e = np.zeros(len(rows))
    if ce.size:
        nx = x.size
        # nodes per domain from the grids (uniform within each)
        nn, np_ = get("x_n [m]").size, get("x_p [m]").size
        ns = nx - nn - np_
        eps = np.concatenate([np.full(nn, cell["eps_n"]), np.full(ns, cell["eps_s"]), np.full(np_, cell["eps_p"])])
        dx = np.concatenate([np.full(nn, cell["L_n"] / nn), np.full(ns, cell["L_s"] / max(ns, 1)),
                             np.full(np_, cell["L_p"] / np_)])
        n_e = ce[rows] @ (eps * dx) * area
    return {
        "Total lithium in negative electrode [mol]": n_n,
        "Total lithium in positive electrode [mol]": n_p,
        "Total lithium in particles [mol]": n_n + n_p,
        "Total lithium in electrolyte [mol]": n_e,
        "Total lithium [mol]": n_n + n_p + n_e,
    }


# -- summary variables -----------------------------------------------------------------------------
class SummaryVariables(Mapping):
    """Per-cycle summary variables with PyBaMM's names (``sol.summary_variables``).

    ``sv[name]`` is an array with one value per cycle that ran; ``sv.cycle_number`` the
    cycle numbers counted from 1 (PyBaMM's ``"Cycle number"``). `all_variables` lists the
    names; docs/python.md ("Summary variables") defines each.
    """

    def __init__(self, values: Dict[str, np.ndarray]) -> None:
        self._values = {k: np.asarray(v) for k, v in values.items()}
        for v in self._values.values():
            v.flags.writeable = False

    @property
    def cycle_number(self) -> np.ndarray:
        return self._values["Cycle number"]

    @property
    def all_variables(self) -> List[str]:
        return list(self._values)

    def get_summary_variables(self) -> Dict[str, np.ndarray]:
        """Every summary variable, as a dict (PyBaMM's method)."""
        return dict(self._values)

    def __getitem__(self, key: str) -> np.ndarray:
        try:
            return self._values[key]
        except (KeyError, TypeError):
            raise UnknownVariableError(f"{key!r} is not a summary variable{did_you_mean(str(key), self._values)}; "
                                       "SummaryVariables.all_variables lists them") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def to_dataframe(self) -> Any:
        """The summary variables as a `pandas.DataFrame`, one row per cycle (index: cycle number)."""
        import pandas as pd

        return pd.DataFrame({k: v for k, v in self._values.items() if k != "Cycle number"},
                            index=pd.Index(self.cycle_number, name="Cycle number"))

    def __repr__(self) -> str:
        return f"<ionflux.SummaryVariables: {len(self.cycle_number)} cycles, {len(self._values)} variables>"


# -- sub-solutions ---------------------------------------------------------------------------------
class SubSolutions(Sequence):
    """``sol.cycles`` / ``sol.steps``: the sub-solutions, built on first access (as PyBaMM's
    lists of `Solution`)."""

    def __init__(self, what: str, keys: Sequence[int], make: Callable[[int], Any], table: str) -> None:
        self._what = what
        self._keys = list(keys)
        self._make = make
        self._table = table
        self._cache: Dict[int, Any] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if isinstance(i, str):
            raise TypeError(f"sol.{self._what}s is a list of Solutions (as in PyBaMM): index it by number, "
                            f"e.g. sol.{self._what}s[0][{i!r}]; the per-{self._what} table is sol.{self._table}"
                            f"[{i!r}]")
        try:
            k = int(i)
        except (TypeError, ValueError):
            raise TypeError(f"sol.{self._what}s is indexed by an int, got {type(i).__name__}") from None
        n = len(self._keys)
        if not -n <= k < n:
            raise IndexError(f"{self._what} {k} is not in this solution: it has {n} {self._what}s"
                             + (f" (0 to {n - 1})" if n else ""))
        k %= n
        if k not in self._cache:
            self._cache[k] = self._make(self._keys[k])
        return self._cache[k]

    def __iter__(self) -> Iterator[Any]:
        for k in range(len(self)):
            yield self[k]

    def __repr__(self) -> str:
        return f"<{len(self)} {self._what} solutions (sol.{self._table} is the table)>"


# -- save_data -------------------------------------------------------------------------------------
FORMATS = ("csv", "matlab", "parquet")


def _valid_matlab_name(name: str) -> bool:
    return bool(name) and (name[0].isascii() and name[0].isalpha()) and \
        all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in name)


def save_data(data: Dict[str, np.ndarray], filename: Union[str, os.PathLike, None], to_format: str) -> Optional[str]:
    """Write name -> array (PyBaMM's layout) as `to_format`; see `Solution.save_data`."""
    if to_format not in FORMATS:
        raise ValueError(f"to_format must be one of {', '.join(map(repr, FORMATS))}, got {to_format!r}")
    if to_format in ("csv", "parquet"):
        for name, arr in data.items():
            if np.ndim(arr) != 1:
                raise ValueError(f"only time series (one value per output time) can be saved as {to_format}, but "
                                 f"{name!r} has shape {np.shape(arr)}; save it with to_format='matlab'")
        import pandas as pd

        df = pd.DataFrame({k: np.asarray(v) for k, v in data.items()})
        if to_format == "csv":
            return df.to_csv(filename, index=False)
        if filename is None:
            raise ValueError("parquet must be written to a file: give filename")
        if importlib.util.find_spec("pyarrow") is None and importlib.util.find_spec("fastparquet") is None:
            raise ImportError("to_format='parquet' needs the package 'pyarrow' (or 'fastparquet'), which is not "
                              "installed: pip install pyarrow")
        df.to_parquet(filename, index=False)
        return None
    if filename is None:
        raise ValueError("matlab must be written to a file: give filename")
    for name in data:
        if not _valid_matlab_name(name):
            raise ValueError(f"{name!r} is not a MATLAB variable name (letters, digits and _, starting with a "
                             f"letter); give short names, e.g. sol.save_data({os.fspath(filename)!r}, "
                             f"[{name!r}], to_format='matlab', short_names={{{name!r}: 'v'}})")
    if importlib.util.find_spec("scipy") is None:
        raise ImportError("to_format='matlab' needs the package 'scipy', which is not installed: pip install scipy")
    from scipy.io import savemat

    savemat(os.fspath(filename), {k: np.asarray(v) for k, v in data.items()})
    return None
