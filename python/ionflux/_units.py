"""Display units: how ionflux shows its SI quantities to people.

Arrays, files and PyBaMM-style names stay in SI (``"Negative electrode thickness
[m]"`` holds 8.52e-05). Plots, and the display copies made by `to_display_units`, show
the same quantities in the units a chemist reads: lengths in µm, temperatures in °C,
potentials in V (mV or µV when small, as for the solid potential of the negative
electrode), concentrations in mol/L, current densities in mA/cm², times in s, min or
h. `UNITS` below is the one table of these choices: every plot of the package and
every display view (pandas, xarray) reads it, so they always agree.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Optional, Sequence, Tuple

import numpy as np

__all__ = ["DisplayUnit", "UNITS", "display_unit", "display_label", "split_name", "to_display_units",
           "format_values"]

MICRO = "\u00b5"  # µ, the micro sign
DEGREE_CELSIUS = "\u00b0C"

#: SI unit (as written in PyBaMM's names) -> the display units it can take, each
#: ``(unit, scale, offset, bound)``: display value = SI value * scale + offset, used
#: while the largest magnitude of the SI values is below `bound` (the first that fits
#: is taken); and the typical SI magnitude that decides when no values are given.
UNITS = {
    "m": ((("\u00b5m", 1e6, 0.0, 1e-3), ("mm", 1e3, 0.0, 1.0), ("m", 1.0, 0.0, math.inf)), 1e-4),
    "K": (((DEGREE_CELSIUS, 1.0, -273.15, math.inf),), 300.0),  # a temperature difference stays in K
    "V": ((("\u00b5V", 1e6, 0.0, 1e-4), ("mV", 1e3, 0.0, 0.1), ("V", 1.0, 0.0, math.inf)), 1.0),
    "mol.m-3": ((("mol/L", 1e-3, 0.0, math.inf),), 1e3),
    "A.m-2": ((("mA/cm\u00b2", 0.1, 0.0, math.inf),), 1.0),
    "s": ((("s", 1.0, 0.0, 600.0), ("min", 1.0 / 60.0, 0.0, 3600.0), ("h", 1.0 / 3600.0, 0.0, math.inf)), 3600.0),
    "A": ((("A", 1.0, 0.0, math.inf),), 1.0),
    "A.h": ((("A.h", 1.0, 0.0, math.inf),), 1.0),
    "W": ((("W", 1.0, 0.0, math.inf),), 1.0),
    "W.h": ((("W.h", 1.0, 0.0, math.inf),), 1.0),
}

#: SI units whose display unit is shared by every column of one table or dataset (decided
#: by the largest value among them), so that start, end and duration read alike.
SHARED = ("s",)

#: Words that make a "[K]" quantity a temperature difference (shown in K, not °C).
_DIFFERENCE_WORDS = ("difference", "rise", "increase", "change", "drop", "delta")

_NAME = re.compile(r"^(.*?)\s*\[([^\[\]]+)\]\s*$")


@dataclass(frozen=True)
class DisplayUnit:
    """How one quantity is shown: display value = SI value * `scale` + `offset`.

    Attributes
    ----------
    name : str
        The quantity's name without its unit (``"Negative electrode thickness"``).
    si : str
        The SI unit of the name (``"m"``); ``""`` when the name has none.
    unit : str
        The display unit (``"µm"``); equal to `si` when the quantity is shown as it is.
    scale, offset : float
        The conversion from SI.
    """

    name: str
    si: str
    unit: str
    scale: float = 1.0
    offset: float = 0.0

    @property
    def label(self) -> str:
        """The name with the display unit, ``"Negative electrode thickness [µm]"``."""
        return f"{self.name} [{self.unit}]" if self.unit else self.name

    @property
    def scaled(self) -> bool:
        """True when the display values differ from the SI values."""
        return self.scale != 1.0 or self.offset != 0.0

    def __call__(self, values: Any) -> Any:
        """SI values -> display values (a float for a scalar, else a float array)."""
        if not self.scaled:
            return values if np.ndim(values) else float(values)
        out = np.asarray(values, dtype=float) * self.scale + self.offset
        return float(out) if out.ndim == 0 else out

    def to_si(self, values: Any) -> Any:
        """Display values -> SI values."""
        out = (np.asarray(values, dtype=float) - self.offset) / self.scale
        return float(out) if out.ndim == 0 else out

    def text(self, value: float, digits: int = 3) -> str:
        """One SI value as display text with its unit: ``"85.2 µm"``, ``"25 °C"``, ``"0.5"``."""
        shown = f"{self(value):.{digits}g}"
        return f"{shown} {self.unit}" if self.unit else shown


def split_name(name: str) -> Tuple[str, str]:
    """``"Negative electrode thickness [m]"`` -> ``("Negative electrode thickness", "m")``;
    a name without a unit -> ``(name, "")``."""
    m = _NAME.match(str(name))
    return (m.group(1), m.group(2)) if m else (str(name), "")


def display_unit(name: str, values: Any = None) -> DisplayUnit:
    """The display unit of a quantity, from `UNITS`.

    Parameters
    ----------
    name : str
        A name with its SI unit in brackets, as in PyBaMM (``"Time [s]"``).
    values : array_like, optional
        The SI values to be shown: units that depend on the magnitude (m -> µm or mm,
        V -> µV, mV or V, s -> s, min or h) are chosen from the largest finite one. Without
        values, from the quantity's typical magnitude (µm, V, h).

    Returns
    -------
    DisplayUnit
        Identity (the name as it is) for names without a unit or with a unit not in the table.
    """
    base, si = split_name(name)
    entry = UNITS.get(si)
    if entry is None or (si == "K" and any(w in base.lower() for w in _DIFFERENCE_WORDS)):
        return DisplayUnit(base, si, si)
    choices, typical = entry
    magnitude = typical
    if values is not None:
        arr = np.abs(np.asarray(values, dtype=float)).ravel()
        arr = arr[np.isfinite(arr)]
        if arr.size:
            magnitude = float(arr.max())
    for unit, scale, offset, bound in choices:
        if magnitude < bound:
            return DisplayUnit(base, si, unit, scale, offset)
    unit, scale, offset, _ = choices[-1]
    return DisplayUnit(base, si, unit, scale, offset)


def display_label(name: str, values: Any = None) -> str:
    """The name with its display unit: ``"Negative electrode thickness [m]"`` -> ``"... [µm]"``."""
    return display_unit(name, values).label


def format_values(values: Sequence[float], digits: int = 3, max_digits: int = 6) -> list:
    """Short tick texts for display values: `digits` significant digits, more only where
    neighbours would read the same (``60, 64.4, 68.9, ..., 100``)."""
    vals = [float(v) for v in values]
    for d in range(digits, max_digits + 1):
        texts = [_num(v, d) for v in vals]
        if len(set(texts)) == len(set(vals)):
            return texts
    return [_num(v, max_digits) for v in vals]


def _num(v: float, digits: int) -> str:
    if v == 0.0:
        return "0"
    text = f"{v:.{digits}g}"
    if "e" in text:  # 1e+03 -> 1000: plain numbers for the magnitudes display units give
        exp = int(text.split("e")[1])
        if -4 <= exp < 6:
            text = f"{v:.{max(digits - 1 - exp, 0)}f}"
    return text


# -- matplotlib ------------------------------------------------------------------------------
def readable_formatter() -> Any:
    """A tick formatter without offset or shared multiplier text: plain numbers (``60``,
    ``0.025``) for display-range values, each label in e-notation (``1.5e-14``) for
    extreme magnitudes that no display unit covers."""
    from matplotlib import ticker

    class ReadableFormatter(ticker.ScalarFormatter):
        def __init__(self) -> None:
            super().__init__(useOffset=False)
            self.set_scientific(False)
            self._extreme = False

        def set_locs(self, locs: Any) -> None:
            vmin, vmax = (self.axis.get_view_interval() if self.axis is not None else (0.0, 0.0))
            finite = [abs(v) for v in list(locs) + [vmin, vmax] if np.isfinite(v) and v != 0.0]
            big = max(finite) if finite else 1.0
            self._extreme = big < 1e-3 or big >= 1e6
            super().set_locs(locs)

        def __call__(self, x: float, pos: Optional[int] = None) -> str:
            if self._extreme:
                return "0" if x == 0 else f"{x:.3g}".replace("-", "\u2212")
            return super().__call__(x, pos)

        def get_offset(self) -> str:
            return ""

    return ReadableFormatter()


def readable_ticks(ax: Any, which: str = "xy") -> None:
    """Put `readable_formatter` on the linear axes `which` ("x", "y" or "xy") of `ax`
    (leaves log axes and axes with fixed category labels as they are)."""
    from matplotlib import ticker

    for letter in which:
        axis = ax.xaxis if letter == "x" else ax.yaxis
        if axis.get_scale() != "linear":
            continue
        if isinstance(axis.get_major_formatter(), ticker.FixedFormatter):
            continue
        axis.set_major_formatter(readable_formatter())


def readable_colorbar(bar: Any) -> None:
    """Readable ticks on a colour bar with a linear scale."""
    from matplotlib.colors import LogNorm

    if isinstance(bar.norm, LogNorm):
        return
    bar.formatter = readable_formatter()
    bar.update_ticks()


# -- pandas / xarray -------------------------------------------------------------------------
def _units_of(items: Any) -> dict:
    """name -> DisplayUnit for (name, values) pairs, with the `SHARED` units shared."""
    items = list(items)
    largest: dict = {}
    for name, values in items:
        si = split_name(str(name))[1]
        if si in SHARED and values is not None:
            arr = np.abs(np.asarray(values, dtype=float)).ravel()
            arr = arr[np.isfinite(arr)]
            if arr.size:
                largest[si] = max(largest.get(si, 0.0), float(arr.max()))
    out = {}
    for name, values in items:
        si = split_name(str(name))[1]
        out[name] = display_unit(str(name), [largest[si]] if si in largest else values)
    return out


def annotate_dataset(ds: Any) -> Any:
    """Set CF-style attributes on every variable and coordinate of an xarray Dataset whose
    name has a unit: ``long_name`` (the name without its unit), ``units`` (the SI unit of
    the values, which stay SI), and ``display_units`` / ``display_scale`` /
    ``display_offset`` (how plots and `to_display_units` show them). Returns `ds`."""
    units = _units_of((name, var.values if var.dtype.kind == "f" else None) for name, var in ds.variables.items()
                      if split_name(str(name))[1])
    for name, unit in units.items():
        base, si = split_name(str(name))
        var = ds.variables[name]
        var.attrs.update(long_name=base, units=si, display_units=unit.unit, display_scale=unit.scale,
                         display_offset=unit.offset)
    return ds


def to_display_units(obj: Any) -> Any:
    """A copy of a table or dataset in display units, for reading and plotting.

    Every column, variable, coordinate or dimension whose name has an SI unit that
    `UNITS` shows otherwise is scaled and renamed: ``"Negative electrode thickness
    [m]"`` (8.52e-05) becomes ``"Negative electrode thickness [µm]"`` (85.2),
    ``"Temperature [K]"`` becomes ``"Temperature [°C]"``, ``"Electrolyte
    concentration [mol.m-3]"`` becomes ``"... [mol/L]"``, ``"End time [s]"`` becomes
    ``"End time [min]"`` or ``"[h]"``. The original is not changed: keep it (SI) for
    computing and saving; the copy is for looking at.

    Parameters
    ----------
    obj : pandas.DataFrame, pandas.Series, xarray.Dataset or xarray.DataArray
        E.g. ``res.summary``, ``sol.to_dataframe()``, ``sol.cycles``, ``res.to_xarray()``.

    Returns
    -------
    pandas.DataFrame, pandas.Series, xarray.Dataset or xarray.DataArray
        The same type as `obj`. xarray objects carry ``long_name`` and ``units``
        attributes in the display units, so ``.plot()`` labels its axes with them.

    Raises
    ------
    TypeError
        For any other type.

    Examples
    --------
    >>> ionflux.to_display_units(res.summary).head()
    >>> ds = ionflux.to_display_units(res.to_xarray(outputs=False))
    >>> ds["Discharge capacity [A.h]"].sel({"C-rate": 1}).plot()   # axes in µm
    """
    import sys

    pd = sys.modules.get("pandas")  # only types of libraries already imported can match
    if pd is not None and isinstance(obj, (pd.DataFrame, pd.Series)):
        return _pandas_display(obj)
    xr = sys.modules.get("xarray")
    if xr is not None and isinstance(obj, (xr.Dataset, xr.DataArray)):  # subclasses too
        return _xarray_display(obj)
    raise TypeError(f"to_display_units takes a pandas DataFrame or Series or an xarray Dataset or DataArray, "
                    f"got {type(obj).__name__}")


def _pandas_display(obj: Any) -> Any:
    import pandas as pd

    if isinstance(obj, pd.Series):
        unit = display_unit(str(obj.name), obj.to_numpy() if obj.dtype.kind == "f" else None)
        out = obj.copy()
        if unit.scaled and obj.dtype.kind in "fiu":
            out = pd.Series(unit(obj.to_numpy(dtype=float)), index=obj.index, name=unit.label)
        out.index = _display_index(obj.index)
        return out
    out = obj.copy()
    renames = {}
    units = _units_of((col, obj[col].to_numpy() if obj[col].dtype.kind == "f" else None) for col in obj.columns)
    for col in obj.columns:
        series = obj[col]
        unit = units[col]
        if not unit.scaled or series.dtype.kind not in "fiu":
            continue
        out[col] = unit(series.to_numpy(dtype=float))
        renames[col] = unit.label
    out = out.rename(columns=renames)
    out.index = _display_index(obj.index)
    return out


def _display_index(index: Any) -> Any:
    import pandas as pd

    if isinstance(index, pd.MultiIndex):
        levels = [_display_index(index.get_level_values(k)) for k in range(index.nlevels)]
        return pd.MultiIndex.from_arrays([lv.to_numpy() for lv in levels], names=[lv.name for lv in levels])
    if index.name is None or index.dtype.kind not in "fiu":
        return index
    unit = display_unit(str(index.name), index.to_numpy())
    if not unit.scaled:
        return index
    return pd.Index(unit(index.to_numpy(dtype=float)), name=unit.label)


def _xarray_display(obj: Any) -> Any:
    import xarray as xr

    is_array = isinstance(obj, xr.DataArray)
    ds = obj.to_dataset(name=obj.name if obj.name is not None else "__values__") if is_array else obj
    ds = ds.copy()
    renames = {}
    units = _units_of((name, var.values if var.dtype.kind == "f" else None) for name, var in ds.variables.items()
                      if split_name(str(name))[1])
    for name, unit in units.items():
        var = ds.variables[name]
        base, si = split_name(str(name))
        attrs = {k: v for k, v in var.attrs.items() if not str(k).startswith("display_")}
        attrs.update(long_name=base, units=unit.unit)
        if unit.scaled and var.dtype.kind in "fiu":
            new = xr.Variable(var.dims, unit(var.values), attrs=attrs)
            if name in ds.coords:
                ds = ds.assign_coords({name: new})
            else:
                ds[name] = new
            renames[name] = unit.label
        else:
            ds.variables[name].attrs = attrs
    ds = ds.rename({k: v for k, v in renames.items()})
    if is_array:
        key = renames.get(obj.name, obj.name) if obj.name is not None else "__values__"
        out = ds[key]
        return out.rename(None) if obj.name is None else out
    return ds
