"""The package's plots, drawn in display units (`_units`): `Solution.plot` (the dashboard),
`SweepResult.plot_voltage` and `SweepResult.plot_heatmap` call these.

Every axis is labelled with its display unit (µm, °C, mol/L, mV, min/h ...), ticks are
plain numbers without offset text, colour bars are labelled in the same units, and
legends sit outside the data (below the axes, or below the figure)."""
from __future__ import annotations

import json
import textwrap
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from ._errors import UnknownVariableError, did_you_mean
from ._units import (DisplayUnit, display_unit, format_values, readable_colorbar, readable_ticks, split_name)

#: Names of varied inputs that are operating conditions rather than the cell's design. A
#: varied "Current function [A]" is each cell's current, as "Current [A]" (docs/python.md).
OPERATING = ("C-rate", "Current [A]", "Current function [A]", "Initial SOC", "Ambient temperature [K]",
             "Initial temperature [K]")


def _wrapped(unit: DisplayUnit, width: int = 28) -> str:
    """The display label, broken over two lines when long (so it is never cut)."""
    label = unit.label
    if len(label) <= width:
        return label
    return "\n".join(textwrap.wrap(unit.name, width)) + (f" [{unit.unit}]" if unit.unit else "")


def legend_below(ax: Any, handles: Sequence[Any], **kwargs: Any) -> Any:
    """A legend below the axes, under the x tick labels and the x label (outside the data)."""
    import matplotlib as mpl
    from matplotlib.font_manager import FontProperties
    from matplotlib.transforms import offset_copy

    rc = mpl.rcParams

    def size(key: str) -> float:
        return FontProperties(size=rc[key]).get_size_in_points()

    lines = max(1, ax.get_xlabel().count("\n") + 1)
    drop = (max(rc["xtick.major.size"], 0) + rc["xtick.major.pad"] + 1.3 * size("xtick.labelsize")
            + rc["axes.labelpad"] + 1.3 * lines * size("axes.labelsize") + 4.0)
    anchor = offset_copy(ax.transAxes, fig=ax.figure, y=-drop, units="points")
    kwargs.setdefault("fontsize", "small")
    kwargs.setdefault("frameon", False)
    return ax.legend(handles=list(handles), loc="upper center", bbox_to_anchor=(0.5, 0.0),
                     bbox_transform=anchor, **kwargs)


def _category_ticks(axis: Any, values: np.ndarray, unit: DisplayUnit) -> None:
    """Ticks at the bins of a heat map, labelled with the display values (at most 10 labels;
    x labels that are long for their number are slanted, so they never run together)."""
    n = len(values)
    step = max(1, int(np.ceil(n / 10)))
    ticks = np.arange(0, n, step)
    texts = format_values(np.asarray(unit(np.asarray(values, dtype=float)))[ticks]) if n else []
    axis.set_ticks(ticks)
    axis.set_ticklabels(texts)
    if axis.axis_name == "x" and texts and max(len(t) for t in texts) * len(texts) > 48:
        for label in axis.get_ticklabels():
            label.set(rotation=30, ha="right", rotation_mode="anchor")


# -- Solution.plot --------------------------------------------------------------------------
def solution_dashboard(sol: Any, times: Optional[Sequence[float]] = None,
                       figsize: Optional[Sequence[float]] = None) -> Any:
    """`Solution.plot`: voltage, current (and temperature) against time; the fields against x."""
    import matplotlib.pyplot as plt

    from . import _experiment as exp

    t = sol.t
    if t.size == 0:
        raise ValueError("the solution has no outputs to plot")
    wanted = np.linspace(t[0], t[-1], 5) if times is None else np.atleast_1d(np.asarray(times, dtype=float))
    idx: List[int] = []
    for ti in wanted:
        k = int(np.argmin(np.abs(t - ti)))
        if k not in idx:
            idx.append(k)
    colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.9, max(len(idx), 1)))
    thermal_ax = None
    if sol._shows_temperature:
        fig = plt.figure(figsize=tuple(figsize or (16, 10.5)), layout="constrained")
        grid = fig.add_gridspec(3, 12)
        top = [fig.add_subplot(grid[0, 3 * k:3 * k + 3]) for k in range(4)]
        rest = [[fig.add_subplot(grid[r, 4 * k:4 * k + 4]) for k in range(3)] for r in (1, 2)]
        axes = np.array([[top[0], top[1], top[3]], rest[0], rest[1]], dtype=object)
        thermal_ax = top[2]
    else:
        fig, axes = plt.subplots(3, 3, figsize=tuple(figsize or (14, 10.5)), layout="constrained")
    tu = display_unit("Time [s]", t)
    tt = tu(t)
    time_label = tu.label

    ax = axes[0, 0]
    ax.plot(tt, sol["Voltage [V]"], color="k")
    for k, c in zip(idx, colors):
        ax.axvline(tt[k], color=c, lw=0.8, ls="--")
    ax.set(xlabel=time_label, ylabel="Voltage [V]", title="Voltage")
    ax = axes[0, 1]
    ax.plot(tt, sol["Current [A]"], color="k")
    ax.set(xlabel=time_label, ylabel="Current [A]", title="Current")
    if thermal_ax is not None:
        temp = sol["Temperature [K]"]
        ku = display_unit("Temperature [K]", temp)
        thermal_ax.plot(tt, ku(temp), color="C3")
        thermal_ax.set(xlabel=time_label, ylabel=ku.label, title="Cell temperature")

    neg_j = "Negative electrode interfacial current density [A.m-2]"
    pos_j = "Positive electrode interfacial current density [A.m-2]"
    panels = [  # (axes, [(grid, variable), ...], label name, title)
        (axes[0, 2], [("x [m]", "Electrolyte concentration [mol.m-3]")], None, "Electrolyte concentration"),
        (axes[1, 0], [("x_n [m]", "Negative particle surface concentration [mol.m-3]")], None,
         "Negative particle surface concentration"),
        (axes[1, 1], [("x_p [m]", "Positive particle surface concentration [mol.m-3]")], None,
         "Positive particle surface concentration"),
        (axes[1, 2], [("x [m]", "Electrolyte potential [V]")], None, "Electrolyte potential"),
        (axes[2, 0], [("x_n [m]", "Negative electrode potential [V]")], None, "Negative electrode potential"),
        (axes[2, 1], [("x_p [m]", "Positive electrode potential [V]")], None, "Positive electrode potential"),
        (axes[2, 2], [("x_n [m]", neg_j), ("x_p [m]", pos_j)], "Interfacial current density [A.m-2]",
         "Interfacial current density"),
    ]
    texts = format_values(tt[idx]) if idx else []
    time_texts = {k: f"t = {s} {tu.unit}" for k, s in zip(idx, texts)}
    data = sol._data
    for ax, series, label_name, title in panels:
        present = [(g, n) for g, n in series if n in data and g in data]
        if not present:  # a sweep's cell: sweeps keep no internal fields
            ax.set_title(title)
            ax.text(0.5, 0.5, "not stored\n(sweeps keep no internal fields)", ha="center", va="center",
                    transform=ax.transAxes, color="0.4")
            ax.set_axis_off()
            continue
        values = np.concatenate([np.ravel(np.asarray(data[n])[idx]) for _, n in present])
        vu = display_unit(label_name or present[0][1], values)
        for n, (grid, name) in enumerate(present):
            xu = display_unit(grid, data[grid])
            x = xu(data[grid])
            for k, c in zip(idx, colors):
                ax.plot(x, vu(data[name][k]), color=c, label=time_texts[k] if n == 0 else None)
            ax.set_xlabel(f"x [{xu.unit}]")
        ax.set_ylabel(_wrapped(vu))
        ax.set_title(title)
    for ax in fig.axes:
        readable_ticks(ax)
    handles, labels = axes[0, 2].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=len(handles), fontsize="small",
                   title="Profiles against x at the times marked on the voltage curve", title_fontsize="small",
                   frameon=False)
    name = sol.parameters.name if sol.parameters is not None else ""
    current = sol.current if np.isfinite(sol.current) else float(np.asarray(sol["Current [A]"])[0])
    what = f"experiment ({exp.describe(sol.experiment, 1)})" if sol.experiment is not None else \
        f"{current:.4g} A"
    fig.suptitle(f"{name} {what}: {sol.termination}".strip())
    return fig


# -- SweepResult.plot_voltage -----------------------------------------------------------------
def sweep_voltage(res: Any, color_by: Optional[str], ax: Any, x: str, cells: Optional[Sequence[int]], cmap: str,
                  max_curves: int) -> Any:
    """`SweepResult.plot_voltage`."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection
    from matplotlib.colors import LogNorm, Normalize

    from .result import _count_text

    if x not in res._outputs:
        raise UnknownVariableError(f"unknown x variable {x!r}{did_you_mean(x, res._outputs)}")
    if color_by is None and res._varied:
        color_by = res._varied[0]
    if color_by is not None and color_by not in res._inputs:
        raise UnknownVariableError(
            f"color_by {color_by!r} is not a varied input{did_you_mean(color_by, res._inputs)}; varied: "
            + (", ".join(res._varied) or "nothing"))
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    rows = np.arange(res._n_cells) if cells is None else np.atleast_1d(np.asarray(cells, dtype=int))
    left_out = rows[res._failed[rows]] if rows.size else rows
    rows = rows[~res._failed[rows]] if rows.size else rows
    thinned = ""
    if rows.size > max_curves > 0:
        step = int(np.ceil(rows.size / max_curves))
        total = rows.size
        rows = rows[::step]
        thinned = f"{rows.size} of {total} cells shown (one in {step})"
    xs = res.read(x, rows)
    vs = res.read("Voltage [V]", rows)
    xu = display_unit(x, xs)
    xs = np.asarray(xu(xs), dtype=float) if xu.scaled else xs
    segments = []
    for xi, vi in zip(xs, vs):
        keep = ~(np.isnan(xi) | np.isnan(vi))
        segments.append(np.column_stack([xi[keep], vi[keep]]))
    lines = LineCollection(segments, linewidths=1.0)
    if color_by is not None and rows.size:
        span_si = res._inputs[color_by][np.concatenate([rows, left_out])]  # the failed cells' marks fit too
        cu = display_unit(color_by, span_si)
        values = np.asarray(cu(res._inputs[color_by][rows]), dtype=float)
        span = np.asarray(cu(span_si), dtype=float)
        lo, hi = float(np.min(span)), float(np.max(span))
        norm = LogNorm(lo, hi) if lo > 0 and hi / lo > 100 else Normalize(lo, hi if hi > lo else lo + 1)
        lines.set_array(values)
        lines.set_cmap(cmap)
        lines.set_norm(norm)
        ax.add_collection(lines)
        bar = ax.figure.colorbar(lines, ax=ax, label=_wrapped(cu, 34))
        readable_colorbar(bar)
        if left_out.size:
            from matplotlib.transforms import blended_transform_factory

            marks = np.atleast_1d(cu(res._inputs[color_by][left_out]))
            bar.ax.scatter(np.full(marks.size, 0.5), marks, marker="x", color="red", s=30, zorder=3,
                           transform=blended_transform_factory(bar.ax.transAxes, bar.ax.transData),
                           label="failed cells")
    else:
        lines.set_color("C0")
        ax.add_collection(lines)
    ax.autoscale()
    ax.set_xlabel(xu.label)
    ax.set_ylabel("Voltage [V]")
    readable_ticks(ax)
    title = [thinned] if thinned else []
    if left_out.size:
        title.append(f"not shown: {left_out.size} failed cells ({_count_text(res.status_names[left_out])})")
    if title:
        ax.set_title("\n".join(title))
    return ax


# -- SweepResult.plot_heatmap ------------------------------------------------------------------
def base_values(res: Any) -> Tuple[str, Dict[str, float]]:
    """The base design of a sweep: its parameter set's name and values (SI), from the file's
    ``parameters`` attribute; ``"C-rate"`` and ``"Current [A]"`` from ``"Current function [A]"``."""
    attrs = res._attrs
    name = str(attrs.get("parameter set", "") or "")
    try:
        doc = json.loads(str(attrs.get("parameters", "")))
    except ValueError:
        doc = {}
    params = doc.get("parameters", {}) if isinstance(doc, dict) else {}
    name = name or (str(doc.get("name", "")) if isinstance(doc, dict) else "")
    out: Dict[str, float] = {}
    for key, value in (params or {}).items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[str(key)] = float(value)
    current = out.get("Current function [A]")
    capacity = out.get("Nominal cell capacity [A.h]")
    if current is not None:
        out.setdefault("Current [A]", current)
        if capacity:
            out.setdefault("C-rate", current / capacity)
    return name or "base", out


def _position(grid: np.ndarray, value: float) -> Optional[float]:
    """The fractional bin index of `value` on a heat-map axis with bin values `grid`; None outside."""
    grid = np.asarray(grid, dtype=float)
    if grid.size == 1:
        return 0.0 if np.isclose(grid[0], value, rtol=1e-9) else None
    idx = np.arange(grid.size, dtype=float)
    d = np.diff(grid)
    if np.all(d > 0):
        pass
    elif np.all(d < 0):
        grid, idx = grid[::-1], idx[::-1]
    else:
        hit = np.flatnonzero(np.isclose(grid, value, rtol=1e-9))
        return float(hit[0]) if hit.size else None
    if value < grid[0] - 1e-12 * abs(grid[0]) or value > grid[-1] + 1e-12 * abs(grid[-1]):
        return None
    return float(np.interp(value, grid, idx))


_BEST = {"max": "best", "min": "best (lowest)"}
#: The star's tiers, in the order in which the report ranks designs (report.designs):
#: bins whose cells all ended normally, then bins with cells stopped at t_end, then bins
#: with failed cells (those with truncated cells too last); a bin with cells never run is
#: not starred (NO_STAR). What the legend adds for each.
STAR_TIER_NOTE = {0: "", 1: " (cells stopped at t_end)", 2: " (some cells failed)",
                  3: " (some cells failed, some stopped at t_end)"}
NO_STAR = -1


def _star_tiers(failed: np.ndarray, truncated: np.ndarray, not_run: np.ndarray) -> np.ndarray:
    """The tier of each bin or cell for the best star (`STAR_TIER_NOTE`), from whether it
    holds failed, truncated (``end_time_reached``) or never-run cells."""
    tiers = 2 * np.asarray(failed, dtype=int) + np.asarray(truncated, dtype=int)
    return np.where(not_run, NO_STAR, tiers)


def _best_index(values: np.ndarray, best: str, tiers: Optional[np.ndarray] = None) -> Optional[Tuple[int, ...]]:
    """The index of the best finite value of the lowest tier (`_star_tiers`; all tier 0 when None)."""
    finite = np.isfinite(values)
    if tiers is not None:
        finite &= tiers != NO_STAR
        if finite.any():
            finite &= tiers == tiers[finite].min()
    if not finite.any():
        return None
    filled = np.where(finite, values, -np.inf if best == "max" else np.inf)
    flat = int(np.argmax(filled) if best == "max" else np.argmin(filled))
    return tuple(int(i) for i in np.unravel_index(flat, values.shape))


def _best_mode(mark_best: Union[bool, str, None]) -> Optional[str]:
    if mark_best is None or mark_best is False:
        return None
    if mark_best is True:
        return "max"
    if mark_best in ("max", "min"):
        return str(mark_best)
    raise ValueError(f"mark_best must be True, False, 'max' or 'min', got {mark_best!r}")


def _base_design(res: Any, mark_base: Union[bool, Mapping[str, float], None], x: str,
                 y: str) -> Optional[Tuple[str, Dict[str, float]]]:
    if mark_base is None or mark_base is False:
        return None
    if mark_base is True:
        name, values = base_values(res)
        missing = [n for n in (x, y) if n not in values]
        if missing:
            raise ValueError(f"mark_base: the sweep's parameter set has no value of {', '.join(map(repr, missing))}; "
                             "give the base design as a dict, mark_base={name: value, ...} (SI units)")
        return name, {x: values[x], y: values[y]}
    if isinstance(mark_base, Mapping):
        missing = [n for n in (x, y) if n not in mark_base]
        if missing:
            raise ValueError(f"mark_base needs a value of {', '.join(map(repr, missing))} (the heat map's x and y)")
        return "base", {x: float(mark_base[x]), y: float(mark_base[y])}
    raise TypeError(f"mark_base must be True, False or a dict of x and y values, got {mark_base!r}")


def sweep_heatmap(res: Any, quantity: str, x: Optional[str], y: Optional[str], ax: Any,
                  where: Optional[Mapping[str, float]], cmap: str, mark_best: Union[bool, str, None],
                  mark_base: Union[bool, Mapping[str, float], None]) -> Any:
    """`SweepResult.plot_heatmap`."""
    import matplotlib.pyplot as plt

    from .result import NOT_RUN, TRUNCATED, _NUMERIC_SUMMARY, _axis_dim, _count_text, _grid_value, _mark_failed_bins

    if quantity not in _NUMERIC_SUMMARY or quantity not in res._summary_data:
        raise UnknownVariableError(
            f"unknown summary quantity {quantity!r}{did_you_mean(quantity, _NUMERIC_SUMMARY)}; "
            "the quantities are " + ", ".join(_NUMERIC_SUMMARY))
    names = list(res._varied)
    if len(names) < 2 and (x is None or y is None):
        raise ValueError(f"a heatmap needs two varied inputs; this sweep varies {len(names)}: {names}")
    x = names[0] if x is None else x
    y = (names[1] if names[1] != x else names[0]) if y is None else y
    where = dict(where or {})
    for n in [x, y, *where]:
        if n not in res._inputs:
            raise UnknownVariableError(
                f"{n!r} is not a varied input{did_you_mean(n, res._inputs)}; varied: " + ", ".join(names))
    if x == y:
        raise ValueError(f"x and y must be different inputs, both are {x!r}")
    if x in where or y in where:
        raise ValueError("where cannot fix the x or y input")
    best = _best_mode(mark_best)
    base = _base_design(res, mark_base, x, y)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 5.5), layout="constrained")
    xu = display_unit(x, res._inputs[x])
    yu = display_unit(y, res._inputs[y])
    values = np.where(res._failed, np.nan, res._summary_data[quantity].astype(float))
    qu = display_unit(quantity, values)
    failed_names = res.status_names
    used: Dict[str, float] = {}  # where: the grid value each entry selected
    averaged: List[str] = []
    handles: List[Any] = []
    if res._axes is not None and all(_axis_dim(res._axes, n) == n for n in (x, y)):
        ds, key = _summary_dataset(res, quantity)
        truncated_codes = [code for code, name in res.status_codes.items() if name == TRUNCATED]
        sub = ds[["failed", "cell index"]].assign(value=ds[key].where(~ds["failed"]),
                                                 truncated=ds["status"].isin(truncated_codes),
                                                 not_run=ds["status"] == NOT_RUN)
        for n, v in where.items():
            used[n] = _grid_value(n, np.asarray(ds[n].values).ravel(), v)
            if _axis_dim(res._axes, n) == n:
                sub = sub.sel({n: used[n]})
            else:  # a coordinate along "sample"
                sub = sub.where(sub[n] == used[n], drop=True)
        da, bad = sub["value"], sub["failed"].fillna(False).astype(bool)
        short, never = sub["truncated"].fillna(False).astype(bool), sub["not_run"].fillna(False).astype(bool)
        cells = np.asarray(sub["cell index"].values).ravel()[np.asarray(bad.values).ravel()].astype(int)
        names_shown = failed_names[cells]
        n_short = int(np.asarray(short.values).sum())
        others = [str(d) for d in da.dims if d not in (x, y)]
        averaged = [d for d in others if da.sizes[d] > 1]
        if others:
            da = da.mean(dim=others)  # skips NaN: the mean over the cells that did not fail
            some, every = bad.any(dim=others), bad.all(dim=others)
            short, never = short.any(dim=others), never.any(dim=others)
        else:
            some = every = bad
        da = da.transpose(y, x)
        some, every = np.asarray(some.transpose(y, x).values), np.asarray(every.transpose(y, x).values)
        short, never = np.asarray(short.transpose(y, x).values), np.asarray(never.transpose(y, x).values)
        xv, yv = np.asarray(da[x].values), np.asarray(da[y].values)
        grid_values = np.asarray(da.values, dtype=float)
        mesh = ax.pcolormesh(np.arange(len(xv) + 1) - 0.5, np.arange(len(yv) + 1) - 0.5,
                             np.ma.masked_invalid(np.asarray(qu(grid_values), dtype=float)), cmap=cmap,
                             shading="flat")
        _category_ticks(ax.xaxis, xv, xu)
        _category_ticks(ax.yaxis, yv, yu)
        bar = ax.figure.colorbar(mesh, ax=ax, label=_wrapped(qu, 34))
        handles = _mark_failed_bins(ax, some, every, _count_text(names_shown), bool(others))
        if short.any():  # values up to t_end: drawn, and dotted so that they are not read as complete
            from matplotlib.patches import Rectangle

            label = f"stopped at t_end ({TRUNCATED} {n_short}): values up to t_end"
            for iy, ix in zip(*np.nonzero(short)):
                patch = Rectangle((ix - 0.5, iy - 0.5), 1.0, 1.0, fill=False, hatch="..", edgecolor="0.35",
                                  linewidth=0.0, label=label)
                ax.add_patch(patch)
            handles.append(patch)
        if best is not None:
            # the report's rule (report.designs): a bin with failed or truncated cells is
            # starred only when no bin without them has a value
            tiers = _star_tiers(some & ~never, short, never)
            hit = _best_index(grid_values, best, tiers)
            if hit is not None:
                iy, ix = hit
                handles.append(ax.scatter([ix], [iy], marker="*", s=260, color="white", edgecolors="black",
                                          linewidths=1.0, zorder=4,
                                          label=f"{_BEST[best]}: {qu.text(grid_values[iy, ix])} at {_at(xu, xv[ix])}, "
                                                f"{_at(yu, yv[iy])}{STAR_TIER_NOTE[int(tiers[iy, ix])]}"))
        if base is not None:
            set_name, bv = base
            px, py = _position(xv, bv[x]), _position(yv, bv[y])
            where_text = f"{_at(xu, bv[x])}, {_at(yu, bv[y])}"
            if px is not None and py is not None:
                handles.append(ax.scatter([px], [py], marker="D", s=70, facecolors="none", edgecolors="red",
                                          linewidths=2.0, zorder=4, label=f"{set_name}: {where_text}"))
            else:
                from matplotlib.lines import Line2D

                handles.append(Line2D([], [], marker="D", ls="none", mfc="none", mec="red", mew=2.0,
                                      label=f"{set_name}: {where_text} (outside the map)"))
    else:
        mask = np.ones(res._n_cells, dtype=bool)
        for n, v in where.items():
            vals = res._inputs[n]
            used[n] = _grid_value(n, np.unique(vals), v)
            mask &= vals == used[n]
        good, bad_cells = mask & ~res._failed, mask & res._failed
        xd, yd = np.asarray(xu(res._inputs[x]), dtype=float), np.asarray(yu(res._inputs[y]), dtype=float)
        sc = ax.scatter(xd[good], yd[good], c=np.asarray(qu(values[good]), dtype=float), cmap=cmap, s=18)
        if bad_cells.any():
            handles = [ax.scatter(xd[bad_cells], yd[bad_cells], marker="x", color="red", s=24,
                                  label=f"failed: {_count_text(failed_names[bad_cells])} (no value)")]
        short_cells = good & (failed_names == TRUNCATED)
        if short_cells.any():
            handles.append(ax.scatter(xd[short_cells], yd[short_cells], marker="s", s=60, facecolors="none",
                                      edgecolors="0.35", label=f"stopped at t_end ({TRUNCATED} "
                                                               f"{int(short_cells.sum())}): values up to t_end"))
        for axis, n in ((ax.set_xscale, x), (ax.set_yscale, y)):
            vals = res._inputs[n]
            if vals.size and np.min(vals) > 0 and np.max(vals) / np.min(vals) > 100:
                axis("log")
        bar = ax.figure.colorbar(sc, ax=ax, label=_wrapped(qu, 34))
        if best is not None:
            shown = np.where(good, values, np.nan)
            tiers = _star_tiers(np.zeros(shown.shape, dtype=bool), short_cells, np.zeros(shown.shape, dtype=bool))
            hit = _best_index(shown, best, tiers)
            if hit is not None:
                i = hit[0]
                handles.append(ax.scatter([xd[i]], [yd[i]], marker="*", s=260, color="white", edgecolors="black",
                                          linewidths=1.0, zorder=4,
                                          label=f"{_BEST[best]}: {qu.text(values[i])} at {_at(xu, res._inputs[x][i])}, "
                                                f"{_at(yu, res._inputs[y][i])} (cell {i})"
                                                f"{STAR_TIER_NOTE[int(tiers[i])]}"))
        if base is not None:
            set_name, bv = base
            handles.append(ax.scatter([xu(bv[x])], [yu(bv[y])], marker="D", s=70, facecolors="none",
                                      edgecolors="red", linewidths=2.0, zorder=4,
                                      label=f"{set_name}: {_at(xu, bv[x])}, {_at(yu, bv[y])}"))
        readable_ticks(ax)
    readable_colorbar(bar)
    ax.set_xlabel(xu.label)
    ax.set_ylabel(_wrapped(yu, 34))
    if handles:
        legend_below(ax, handles)
    title = qu.label
    if where:
        title += " at " + ", ".join(_value_text(k, used[k], res._inputs[k]) for k in where)
    if averaged:
        title += "\n(mean over " + ", ".join(split_name(a)[0] for a in averaged) + \
            (", failed cells left out)" if any(h.get_label().startswith(("no value", "some cells", "failed"))
                                               for h in handles) else ")")
    ax.set_title(title)
    return ax


def _summary_dataset(res: Any, quantity: str) -> Tuple[Any, str]:
    """The sweep's per-cell Dataset (``to_xarray(outputs=False)``: every summary quantity
    under its one name) and the name of `quantity` in it."""
    return res.to_xarray(outputs=False), quantity


def _at(unit: DisplayUnit, value: float) -> str:
    """``"85.2 µm"``; a value without a unit with its name, ``"C-rate 2"``."""
    return unit.text(value) if unit.unit else f"{unit.name} {unit.text(value)}"


def _value_text(name: str, value: float, values: Any) -> str:
    """``"Negative particle radius = 4.67 µm"``, ``"Initial SOC = 0.9"``."""
    unit = display_unit(name, values)
    shown = format_values([unit(value)])[0]
    return f"{unit.name} = {shown}" + (f" {unit.unit}" if unit.unit else "")


# -- capacity fade (Solution.plot_capacity_fade, SweepResult.plot_capacity_fade) --------------
#: The degradation modes drawn in the right-hand panel, PyBaMM's names.
FADE_MODES = ("Loss of lithium inventory [%]", "Loss of active material in negative electrode [%]",
              "Loss of active material in positive electrode [%]")
FADE_X = ("Cycle number", "Throughput capacity [A.h]", "Throughput energy [W.h]", "Time [h]")


def capacity_fade(values: Mapping[str, np.ndarray], x: str, axes: Any = None,
                  labels: Optional[Sequence[str]] = None) -> Any:
    """PyBaMM's "Capacity [A.h]" (the eSOH capacity at each cycle's end) and the degradation
    modes (LLI, LAM in each electrode, [%]) against `x` ("Cycle number", "Throughput capacity
    [A.h]", "Throughput energy [W.h]" or "Time [h]"), one line per row of `values`' arrays
    (shape (n_lines, n_cycles); cycles not reached are NaN and left out). Returns the two axes."""
    import matplotlib.pyplot as plt

    if x not in FADE_X:
        raise UnknownVariableError(f"unknown x {x!r}{did_you_mean(x, FADE_X)}; one of {', '.join(FADE_X)}")
    missing = [n for n in ("Capacity [A.h]",) + FADE_MODES + ("Throughput capacity [A.h]",) if n not in values]
    if missing:
        raise UnknownVariableError("no capacity fade to plot: the results lack " + ", ".join(repr(m) for m in missing)
                                   + " (an experiment gives PyBaMM's summary variables)")
    cap = np.atleast_2d(np.asarray(values["Capacity [A.h]"], dtype=float))
    n_lines, n_cycles = cap.shape
    if x == "Cycle number":
        xs = np.broadcast_to(np.arange(1, n_cycles + 1, dtype=float), cap.shape)
    else:
        xs = np.atleast_2d(np.asarray(values[x], dtype=float))
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    ax_q, ax_m = axes
    many = n_lines > 1
    for k in range(n_lines):
        keep = ~(np.isnan(xs[k]) | np.isnan(cap[k]))
        label = labels[k] if labels is not None and k < len(labels) else (f"cell {k}" if many else None)
        ax_q.plot(xs[k][keep], cap[k][keep], marker="o" if keep.sum() < 30 else None, label=label)
        for m, (name, style) in enumerate(zip(FADE_MODES, ("-", "--", ":"))):
            v = np.atleast_2d(np.asarray(values[name], dtype=float))[k]
            ok = ~(np.isnan(xs[k]) | np.isnan(v))
            ax_m.plot(xs[k][ok], v[ok], linestyle=style, color=f"C{k % 10}" if many else f"C{m}",
                      label=("LLI", "LAM (negative)", "LAM (positive)")[m] if (k == 0 or not many) else None)
    xlabel = x
    ax_q.set_xlabel(xlabel)
    ax_m.set_xlabel(xlabel)
    ax_q.set_ylabel("Capacity [A.h]")
    ax_m.set_ylabel("Degradation mode [%]")
    ax_q.set_title("Capacity (eSOH, at each cycle's end)")
    ax_m.set_title("Loss of lithium inventory and of active material")
    ax_m.legend(loc="best")
    if many and n_lines <= 10:
        ax_q.legend(loc="best")
    for ax in (ax_q, ax_m):
        readable_ticks(ax)
    return axes
