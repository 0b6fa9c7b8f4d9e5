"""The answer of a design sweep, in a few lines and one heat map.

``python3 -m ionflux.report out/sweep_chen2020.h5`` prints the best and the worst designs
of a sweep file (their parameter values and their discharge capacity and energy, in
display units) and writes a heat map next to the file (``out/sweep_chen2020.png``).
`scripts/run.sh` ends with it. From Python: `designs`, `best_and_worst`, `text`,
`save_heatmap`.

A *design* is one combination of the varied inputs that describe the cell (thickness,
particle radius, ...); the operating conditions (`OPERATING`: C-rate, current (``"Current
[A]"`` or ``"Current function [A]"``), initial SOC, temperatures) are what each design is
run at. Designs are ranked by a summary quantity (by default the discharge energy)
averaged over their operating conditions: first the designs whose cells all ended
normally, then those with cells stopped at t_end (their values are up to t_end), then
those with failed cells (the failed cells are left out of the mean). A sweep that varies
nothing but operating conditions has one design per cell. The heat map's star follows the
same order.
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from ._errors import SolverWarning, did_you_mean
from ._plots import OPERATING, base_values
from ._units import display_unit, format_values, split_name
from .result import NOT_RUN, TRUNCATED

__all__ = ["designs", "best_and_worst", "text", "save_heatmap", "main"]

CAPACITY = "Discharge capacity [A.h]"


def _energy_name(res: Any) -> str:
    return "Discharge energy [W.h]" if "Discharge energy [W.h]" in res._summary_data else "Energy [W.h]"


def _split_inputs(res: Any) -> Tuple[List[str], List[str]]:
    """(design inputs, operating inputs) among the varied names; all varied are design
    inputs when only operating conditions are varied."""
    varied = list(res.varied)
    operating = [n for n in varied if n in OPERATING]
    design = [n for n in varied if n not in OPERATING]
    if not design:
        return varied, []
    return design, operating


def designs(res: Any, by: Optional[str] = None) -> Any:
    """One row per design: its inputs and its capacity and energy over its operating conditions.

    Parameters
    ----------
    res : SweepResult
        A sweep (``ionflux.load(path)`` or `Sweep.run`).
    by : str, optional
        The summary quantity to rank by; by default ``"Discharge energy [W.h]"``
        (``"Energy [W.h]"`` in files without it).

    Returns
    -------
    pandas.DataFrame
        Columns: the design inputs (SI), then for the capacity, the energy and `by`:
        ``"<name> mean"``, ``"<name> min"``, ``"<name> max"`` over the design's cells
        that did not fail (cells stopped at t_end included, with their values up to
        t_end), ``"Cells"``, ``"Failed cells"`` (cells that ran and failed),
        ``"Truncated cells"`` (stopped at t_end: ``"end_time_reached"``), ``"Not run
        cells"`` (an interrupted file's) and ``"Ranked"``; sorted best first: the
        ranked designs (those with a value of `by` and every cell run) in three
        groups, those whose cells all ended normally, then those with truncated cells
        but none failed, then those with failed cells (with truncated ones too last),
        each group by the mean of `by`,
        largest first; then the designs that are not ranked. A truncated or failed
        design's mean is over other conditions, or over shorter runs, than a complete
        design's, so it is not ranked above one.
    """
    import pandas as pd

    by = by or _energy_name(res)
    design, _ = _split_inputs(res)
    summary = res.summary
    not_run = pd.Series(np.asarray(res.status) == NOT_RUN, index=summary.index)
    failed = pd.Series(res.failed, index=summary.index)
    quantities = list(dict.fromkeys([CAPACITY, _energy_name(res), by]))
    for q in quantities:
        if q not in summary.columns:
            numeric = [c for c in summary.columns if c not in design and summary[c].dtype.kind == "f"]
            raise KeyError(f"the sweep has no summary quantity {q!r}{did_you_mean(q, numeric)} (its quantities: "
                           + ", ".join(numeric) + ")")
    frame = summary[design + quantities].copy()
    for q in quantities:
        frame[q] = frame[q].where(~failed)
    frame["Failed cells"] = (failed & ~not_run).astype(int)
    frame["Truncated cells"] = (pd.Series(res.status_names, index=summary.index) == TRUNCATED).astype(int)
    frame["Not run cells"] = not_run.astype(int)
    frame["Cells"] = 1
    if design:
        grouped = frame.groupby(design, sort=False, dropna=False)
    else:  # nothing varied: the one cell
        grouped = frame.groupby(np.zeros(len(frame), dtype=int))
    table = pd.DataFrame({f"{q} {stat}": getattr(grouped[q], stat)() for q in quantities
                          for stat in ("mean", "min", "max")})
    table["Cells"] = grouped["Cells"].sum()
    table["Failed cells"] = grouped["Failed cells"].sum()
    table["Truncated cells"] = grouped["Truncated cells"].sum()
    table["Not run cells"] = grouped["Not run cells"].sum()
    table = table.reset_index() if design else table.reset_index(drop=True)
    # a design with cells not run (an interrupted file) or with no value at all is not
    # compared with the others: its mean would be over other conditions, or none
    table["Ranked"] = np.isfinite(table[f"{by} mean"].to_numpy()) & (table["Not run cells"] == 0).to_numpy()
    key = table[f"{by} mean"].fillna(-np.inf)
    order = np.lexsort((-key.to_numpy(), (table["Truncated cells"] > 0).to_numpy(),
                        (table["Failed cells"] > 0).to_numpy(), ~table["Ranked"].to_numpy()))
    return table.iloc[order].reset_index(drop=True)


def best_and_worst(res: Any, by: Optional[str] = None, n: int = 1) -> Tuple[Any, Any]:
    """The `n` best and `n` worst ranked designs (rows of `designs`), best first / worst
    first (designs that are not ranked, with no value or cells not run, are in neither)."""
    table = designs(res, by)
    table = table[table["Ranked"]]
    n = max(1, min(int(n), len(table)))
    return table.head(n), table.iloc[::-1].head(n)


def _values_text(res: Any, row: Any, names: Sequence[str]) -> str:
    parts = []
    for name in names:
        unit = display_unit(name, res.inputs[name])
        shown = format_values([unit(row[name])])[0]
        parts.append(f"{unit.name} {shown}" + (f" {unit.unit}" if unit.unit else ""))
    return ", ".join(parts)


def _quantity_text(res: Any, row: Any, q: str, spread: bool) -> str:
    unit = display_unit(q, res._summary_data[q])
    mean, lo, hi = (row[f"{q} {s}"] for s in ("mean", "min", "max"))
    if not np.isfinite(mean):
        return f"{split_name(q)[0].lower()}: no value (every cell failed)"
    out = f"{split_name(q)[0].lower()} {unit.text(mean)}"
    if spread and hi > lo:
        lo_text, hi_text = format_values([unit(lo), unit(hi)])
        out += f" ({lo_text} to {hi_text})"
    return out


def text(res: Any, by: Optional[str] = None, n: int = 1, heatmap: Optional[str] = None) -> str:
    """The report as text: what was swept, the best and worst designs, the heat map's path.

    Parameters
    ----------
    res : SweepResult
        The sweep.
    by : str, optional
        The quantity to rank by (see `designs`).
    n : int, optional
        How many best and worst designs to show (default 1 each).
    heatmap : str, optional
        The path of the heat map, to name it in the last line.

    Returns
    -------
    str
        Lines without a trailing newline.
    """
    by = by or _energy_name(res)
    design, operating = _split_inputs(res)
    table = designs(res, by)
    where = res.path if res.path is not None else "(in memory)"
    counts = res.abnormal_counts
    status = "every cell ended normally" if not counts else \
        "did not end normally: " + ", ".join(f"{k} {v}" for k, v in counts.items())
    lines = [f"Sweep {where}: {len(res)} cells; {status}"]
    cond = ""
    if operating:
        parts = []
        for name in operating:
            unit = display_unit(name, res.inputs[name])
            vals = np.unique(res.inputs[name])
            lo, hi = format_values([unit(vals.min()), unit(vals.max())])
            parts.append(f"{unit.name} {lo} to {hi}" + (f" {unit.unit}" if unit.unit else "")
                         + f" ({vals.size} values)")
        cond = " and ".join(parts)
    if design:
        lines.append(f"{len(table)} designs over " + " x ".join(split_name(d)[0] for d in design)
                     + (f", each at {cond}" if cond else ""))
    spread = bool(operating)
    over = " (mean over " + ", ".join(split_name(o)[0] for o in operating) + "; range in brackets)" if spread else ""
    values = np.asarray(res.summary[by], dtype=float) if by in res.summary else None
    if values is not None and not np.isfinite(values).any():  # nothing to rank: say so, and why
        lines.append(f"No cell ended with a value of {split_name(by)[0].lower()}: nothing to rank "
                     f"(cell 0: {res.messages[0]})" if len(res) else "The sweep has no cells.")
        if heatmap:
            lines.append(f"Heat map: {heatmap}")
        return "\n".join(lines)
    if str(res.attrs.get("status", "")).startswith("interrupted"):
        lines.append(f"The file is interrupted ({res.attrs['status']}): {int(table['Not run cells'].sum())} cells "
                     "were not run; complete it with `ionflux sweep CONFIG --output FILE --resume` "
                     "(or Sweep.run(output=FILE, resume=True))")
    unranked = table[~table["Ranked"]]
    lines.append(f"Ranked by {split_name(by)[0].lower()}{over}:")
    best, worst = best_and_worst(res, by, n)
    shown = list(dict.fromkeys([CAPACITY, _energy_name(res), by]))
    width = len("worst") + (len(f" {len(worst)}") if len(worst) > 1 else 0)
    for label, rows in (("best", best), ("worst", worst)):
        for k, (_, row) in enumerate(rows.iterrows()):
            tag = f"{label} {k + 1}" if len(rows) > 1 else label
            values = _values_text(res, row, design) if design else "the one cell"
            failed = f"; {int(row['Failed cells'])} of {int(row['Cells'])} cells failed" if row["Failed cells"] else ""
            if row["Truncated cells"]:
                failed += (f"; {int(row['Truncated cells'])} of {int(row['Cells'])} cells stopped at t_end "
                           "(values up to t_end)")
            lines.append(f"  {tag:<{width}}: {values}")
            lines.append(f"  {'':<{width}}  " + ", ".join(_quantity_text(res, row, q, spread) for q in shown) + failed)
    if len(unranked):
        no_value = int((~np.isfinite(unranked[f"{by} mean"].to_numpy())).sum())
        lines.append(f"  not ranked: {len(unranked)} of {len(table)} designs ("
                     + ", ".join(p for p in (f"{no_value} with no value: every cell failed or was not run"
                                             if no_value else "",
                                             f"{len(unranked) - no_value} with cells not run"
                                             if len(unranked) > no_value else "") if p)
                     + "; see res.failed and res.messages)")
    short = int((table["Truncated cells"] > 0).sum())
    if short:
        lines.append(f"  {short} of {len(table)} designs have cells stopped at t_end ({TRUNCATED}): their values "
                     "are up to t_end, and they rank after the designs whose cells all ended; raise t_end to "
                     "compare them")
    if heatmap:
        lines.append(f"Heat map: {heatmap}")
    return "\n".join(lines)


def save_heatmap(res: Any, path: str, dpi: int = 120) -> str:
    """Write the sweep's heat maps (discharge capacity and energy over the first two design
    inputs, mean over the rest; best bin and base design marked) to a PNG; with fewer than
    two varied inputs, the voltage curves instead. The star follows `designs`' order: a
    bin with failed or truncated cells is starred only when no bin without them has a
    value, and a bin with cells never run is not starred.

    Parameters
    ----------
    res : SweepResult
        The sweep.
    path : str
        The image file (overwritten).
    dpi : int, optional
        Resolution.

    Returns
    -------
    str
        `path`.
    """
    from matplotlib.figure import Figure

    design, operating = _split_inputs(res)
    axes_names = (design + operating)[:2]
    if len(axes_names) < 2:
        fig = Figure(figsize=(7, 4.5), layout="constrained")
        res.plot_voltage(ax=fig.subplots(), x=CAPACITY)
    else:
        x, y = axes_names
        _, base = base_values(res)
        mark_base = x in base and y in base
        fig = Figure(figsize=(13, 5.8), layout="constrained")
        for ax, q in zip(fig.subplots(1, 2), (CAPACITY, _energy_name(res))):
            res.plot_heatmap(q, x=x, y=y, ax=ax, mark_best=True, mark_base=mark_base)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return path


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python3 -m ionflux.report FILE [--png PATH | --no-png] [--by QUANTITY] [--top N]``.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default: the command line).

    Returns
    -------
    int
        0, or 2 for a missing or unreadable file or an unknown `--by` quantity.
    """
    parser = argparse.ArgumentParser(prog="python3 -m ionflux.report",
                                     description="Print the best and worst designs of a sweep file and write "
                                                 "its heat map next to it.")
    parser.add_argument("file", help="a sweep file (ionflux sweep --output, or Sweep.run(output=...))")
    parser.add_argument("--png", default=None, help="the heat map's path (default: FILE with .png)")
    parser.add_argument("--no-png", action="store_true", help="print only, write no image")
    parser.add_argument("--by", default=None, help="the summary quantity to rank by "
                                                   "(default: 'Discharge energy [W.h]')")
    parser.add_argument("--top", type=int, default=1, help="how many best and worst designs (default 1)")
    args = parser.parse_args(argv)

    from .result import SweepResult

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SolverWarning)  # the counts are in the report
            res = SweepResult(args.file)
    except (OSError, ValueError) as exc:
        print(f"ionflux.report: {exc}", file=sys.stderr)
        return 2
    png = None
    try:
        answer = text(res, by=args.by, n=args.top)
    except KeyError as exc:
        print(f"ionflux.report: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    if not args.no_png:
        png = args.png or os.path.splitext(args.file)[0] + ".png"
        save_heatmap(res, png)
        answer += f"\nHeat map: {png}"
    print(answer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
