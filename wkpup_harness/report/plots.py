"""The one plotting module: Plotly figures (plain JSON-able dicts) of a job's result, shown
by the web pages and inlined in the self-contained HTML export, with the same look.

- each measurement against temperature, one colour per corner, one dash per voltage combo;
- each measurement against the voltage combination, one trace per corner and temperature
  (only when the job has more than one combination: one column says nothing);
- the worst spec margin per corner x temperature as a heat map;

axes carry the measurement's unit (``report.units``) and are scaled to the data; a spec limit
near the data is a line, one far outside an edge marker (``spec max 10 mV ↑ off scale``);
legends have one entry per corner (Plotly legend groups) and a key for the dashes, laid out
below the plot so that they wrap instead of scrolling; hover texts are ``units.eng``. The
figures are built here as dicts (no plotly Python API needed); the browser side is Plotly's
own offline bundle, ``plotly.min.js`` from the ``plotly`` package, served or inlined as is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from wkpup_harness.report.summary import BOOKKEEPING
from wkpup_harness.report.units import eng, unit, with_unit
from wkpup_harness.results import Creport, CreportRow
from wkpup_harness.results import spec as spec_check

PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
    "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#ad494a",
)  # fmt: skip
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
LIMIT_COLOUR = "#b00000"
FONT = {"family": "sans-serif", "size": 12}
LEGEND_PER_ROW = 6


def plotly_js_path() -> Path:
    """Plotly's offline bundle as the ``plotly`` package ships it (MIT licence)."""
    import plotly  # only for where its files are

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@cache
def plotly_js() -> str:
    return plotly_js_path().read_text(encoding="utf-8")


def series_key(row: CreportRow) -> str:
    return row.corner if row.extraction == "typical" else f"{row.corner} {row.extraction}"


def _volts(row: CreportRow) -> str:
    return "/".join(row.levels) + (f" {row.swp}" if row.swp else "")


# A limit is drawn on the data's axis when the data still fill at least this fraction of the
# axis with the limit in it; a limit further away is an edge marker ("limit 10 mV ↑ off scale")
# and the axis stays scaled to the data (a 0.4 mV drop is not flattened by a 10 mV limit).
DATA_FILL = 0.25
PAD = 0.08  # of the shown span, above and below


def _span(values: list[float]) -> tuple[float, float, float]:
    """(low, high, span) of the data; a flat set gets a span from its magnitude."""
    lo, hi = min(values), max(values)
    span = hi - lo or abs(hi) * 0.1 or 1.0
    return lo, hi, span


def _limit_line(label: str, y: float, unit_name: str) -> tuple[dict, dict]:
    line = {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": y, "y1": y,
            "line": {"color": LIMIT_COLOUR, "width": 1.5, "dash": "dash"}}  # fmt: skip
    note = {"xref": "paper", "x": 1, "xanchor": "right", "yref": "y", "y": y,
            "yanchor": "bottom", "text": f"spec {label} {eng(y, unit_name)}", "showarrow": False,
            "font": {"color": LIMIT_COLOUR, "size": 11}}  # fmt: skip
    return line, note


def _edge_marker(label: str, y: float, unit_name: str, above: bool) -> dict:
    arrow = "↑" if above else "↓"
    return {"xref": "paper", "x": 1, "xanchor": "right", "yref": "paper",
            "y": 1 if above else 0, "yanchor": "top" if above else "bottom",
            "text": f"spec {label} {eng(y, unit_name)} {arrow} off scale",
            "showarrow": False, "bgcolor": "#fff5f5", "bordercolor": LIMIT_COLOUR,
            "borderwidth": 1, "font": {"color": LIMIT_COLOUR, "size": 11},
            "meta": "limit-off-scale"}  # fmt: skip


def _limit_shapes(
    limit: spec_check.Limit | None, values: list[float], unit_name: str = ""
) -> tuple[list[dict], list[dict], list[float] | None]:
    """The spec's min and max as lines when near the data, else as edge markers; and the
    y range (None: Plotly's autorange) that shows the data and the near limits."""
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    if limit is None or not values:
        return shapes, notes, None
    lo, hi, span = _span(values)
    shown_lo, shown_hi = lo, hi
    for label, y in (("min", limit.bounds.min), ("max", limit.bounds.max)):
        if y is None:
            continue
        if span / (max(hi, y) - min(lo, y) or span) >= DATA_FILL:
            line, note = _limit_line(label, y, unit_name)
            shapes.append(line)
            notes.append(note)
            shown_lo, shown_hi = min(shown_lo, y), max(shown_hi, y)
        else:
            notes.append(_edge_marker(label, y, unit_name, above=y > hi))
    pad = PAD * ((shown_hi - shown_lo) or span)
    return shapes, notes, [shown_lo - pad, shown_hi + pad]


def _layout(
    title: str, x_title: str, name: str, limit: spec_check.Limit | None, values: list[float]
) -> dict:
    shapes, notes, y_range = _limit_shapes(limit, values, unit(name))
    yaxis: dict[str, Any] = {"title": {"text": with_unit(name)}, "exponentformat": "SI"}
    if y_range is not None:
        yaxis.update(range=y_range, autorange=False)
    return {
        "title": {"text": title},
        "font": FONT,
        "xaxis": {"title": {"text": x_title}, "zeroline": False},
        "yaxis": yaxis,
        "shapes": shapes,
        "annotations": notes,
        "legend": {"font": {"size": 10}, "orientation": "h", "x": 0, "xanchor": "left",
                   "yref": "container", "y": 0, "yanchor": "bottom",
                   "groupclick": "togglegroup"},
        "margin": {"l": 80, "r": 20, "t": 50, "b": 60},
        "height": 420,
        "hovermode": "closest",
    }  # fmt: skip


def _legend_room(layout: dict, entries: int) -> None:
    """A horizontal legend below the plot wraps instead of scrolling: make room for it."""
    rows = -(-entries // LEGEND_PER_ROW)
    layout["margin"]["b"] = 75 + 22 * rows
    layout["height"] = 400 + 22 * rows


def _key_traces(title: str, labels: list[str]) -> list[dict[str, Any]]:
    """Legend-only entries saying what each dash means (no data): ``vcc/vccn min/max``,
    each its own entry so that they flow along the legend's rows."""
    return [
        {"type": "scatter", "mode": "lines", "x": [None], "y": [None],
         "name": f"{title} {lab}", "legendgroup": f"key {lab}", "hoverinfo": "skip",
         "showlegend": True,
         "line": {"color": "#555555", "dash": DASHES[i % len(DASHES)], "width": 1.5}}
        for i, lab in enumerate(labels)
    ]  # fmt: skip


def _values(report: Creport, name: str) -> list[tuple[CreportRow, float]]:
    out = []
    for row in report.rows:
        cell = row.cells.get(name)
        if cell is not None and cell.value is not None:
            out.append((row, cell.value))
    return out


def _group(data: list[dict[str, Any]]) -> None:
    """One legend entry per corner: the first line of a corner names it, the others join its
    group (a click on the entry shows or hides the corner's lines together)."""
    seen: set[str] = set()
    for trace in data:
        group = trace["legendgroup"]
        trace["showlegend"] = group not in seen
        if group not in seen:
            trace["name"] = group
        seen.add(group)


def against_temperature(
    report: Creport, name: str, limit: spec_check.Limit | None = None
) -> dict[str, Any]:
    """One measurement against temperature: a line per corner x voltage combo (x alter);
    a legend entry per corner and one per voltage combo's dash."""
    pts = _values(report, name)
    corners = list(dict.fromkeys(series_key(r) for r, _ in pts))
    vts = list(dict.fromkeys(r.vt for r, _ in pts))
    lines: dict[tuple[str, str, str], list[tuple[CreportRow, float]]] = {}
    for row, value in pts:
        lines.setdefault((series_key(row), row.vt, row.swp or ""), []).append((row, value))
    data = []
    for (corner, vt, swp), members in lines.items():
        members.sort(key=lambda item: item[0].temperature)
        data.append(
            {
                **_trace(
                    report, name, f"{corner} {_volts(members[0][0])}", corner,
                    [r.temperature for r, _ in members], members,
                    PALETTE[corners.index(corner) % len(PALETTE)],
                    DASHES[vts.index(vt) % len(DASHES)],
                ),
                "meta": swp,
            }
        )  # fmt: skip
    _group(data)
    labels = list(dict.fromkeys(_volts(r).split(" ")[0] for r, _ in pts))
    if len(vts) > 1:
        data += _key_traces(_supplies(report), labels)
    layout = _layout(f"{name} vs temperature", "temperature (°C)", name, limit, [v for _, v in pts])
    layout["xaxis"]["tickvals"] = sorted({r.temperature for r, _ in pts})
    _legend_room(layout, len(corners) + (len(labels) if len(vts) > 1 else 0))
    return {"data": data, "layout": layout}


def _supplies(report: Creport) -> str:
    """``vcc/vccn``: the swept supplies the level labels name."""
    return "/".join(report.supply.get(c, c) for c in report.level_columns) or "supplies"


def _trace(
    report: Creport,
    name: str,
    label: str,
    group: str,
    x: list[Any],
    members: list[tuple[CreportRow, float]],
    color: str,
    dash: str,
) -> dict[str, Any]:
    """One line of a plot: the points' values of ``name`` at ``x``; the hover text is the
    point and its value in engineering units, ``customdata`` the point's place in the
    report (the job page opens its waveforms on a click)."""
    where = {id(r): i for i, r in enumerate(report.rows)}
    u = unit(name)
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": label,
        "legendgroup": group,
        "x": x,
        "y": [v for _, v in members],
        "text": [f"{r.label}: {eng(v, u)}" for r, v in members],
        "customdata": [where[id(r)] for r, _ in members],
        "hoverinfo": "text",
        "line": {"color": color, "dash": dash, "width": 1.5},
        "marker": {"size": 7},
    }


def voltage_combos(report: Creport) -> list[str]:
    """The job's supply combinations (with alter), in report order."""
    return list(dict.fromkeys(_volts(r) for r in report.rows))


def against_voltage(
    report: Creport, name: str, limit: spec_check.Limit | None = None
) -> dict[str, Any]:
    """One measurement against the supply combination (v1/v2/...): a line per corner x
    temperature; a legend entry per corner and one per temperature's dash."""
    pts = _values(report, name)
    order = voltage_combos(report)
    corners = list(dict.fromkeys(series_key(r) for r, _ in pts))
    lines: dict[tuple[str, int], list[tuple[CreportRow, float]]] = {}
    for row, value in pts:
        lines.setdefault((series_key(row), row.temperature), []).append((row, value))
    temps = sorted({t for _, t in lines})
    data = []
    for (corner, temp), members in lines.items():
        members.sort(key=lambda item: order.index(_volts(item[0])))
        data.append(
            _trace(
                report, name, f"{corner} {temp}°C", corner,
                [_volts(r) for r, _ in members], members,
                PALETTE[corners.index(corner) % len(PALETTE)],
                DASHES[temps.index(temp) % len(DASHES)],
            )
        )  # fmt: skip
    _group(data)
    if len(temps) > 1:
        data += _key_traces("at", [f"{t}°C" for t in temps])
    layout = _layout(
        f"{name} vs supply levels", f"supply levels ({_supplies(report)}: min / nom / max)",
        name, limit, [v for _, v in pts],
    )  # fmt: skip
    layout["xaxis"]["type"] = "category"
    layout["xaxis"]["categoryorder"] = "array"
    layout["xaxis"]["categoryarray"] = order
    _legend_room(layout, len(corners) + (len(temps) if len(temps) > 1 else 0))
    return {"data": data, "layout": layout}


def relative_margin(limit: spec_check.Limit, row: CreportRow, value: float | None) -> float:
    """A point's margin to its spec as a fraction of the limit span (or value), so that
    measurements in different units compare: < 0 fails, 0..near is near."""
    bounds = limit.for_corner(row.corner)
    m = spec_check.margin(bounds, value)
    scale = spec_check.near_band(bounds, 1.0) or 1.0
    return m / scale


def margin_heatmap(
    report: Creport, limits: Mapping[str, spec_check.Limit], near: float
) -> dict[str, Any] | None:
    """The worst spec margin (fraction of the limit span) per corner x temperature, over
    every voltage combo and every measurement with a limit; None without limits."""
    names = [n for n in limits if n in report.names]
    if not names:
        return None
    corners = list(dict.fromkeys(series_key(r) for r in report.rows))
    temps = sorted({r.temperature for r in report.rows})
    worst: dict[tuple[str, int], tuple[float, str]] = {}
    for row in report.rows:
        for name in names:
            cell = row.cells.get(name)
            m = relative_margin(limits[name], row, None if cell is None else cell.value)
            key = (series_key(row), row.temperature)
            if key not in worst or m < worst[key][0]:
                worst[key] = (m, f"{name} at {row.label}")
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    for corner in corners:
        zr: list[float | None] = []
        tr: list[str] = []
        for t in temps:
            if (corner, t) not in worst:
                zr.append(None)
                tr.append("")
                continue
            m, where = worst[(corner, t)]
            shown = max(m, -1.0) if math.isfinite(m) else -1.0
            zr.append(round(shown, 6))
            verdict = "fail" if m < 0 else "near" if m <= near else "pass"
            tr.append(f"{verdict} {100 * m:.1f}%<br>{where}" if math.isfinite(m) else where)
        z.append(zr)
        text.append(tr)
    data = [
        {
            "type": "heatmap",
            "x": [f"{t}°C" for t in temps],
            "y": corners,
            "z": z,
            "text": text,
            "texttemplate": "%{text}",
            "hoverinfo": "text",
            "zmin": -0.5,
            "zmax": 0.5,
            "colorscale": [[0, "#c0392b"], [0.5, "#f1c40f"], [0.5 + near, "#f9e79f"],
                           [1, "#27ae60"]],
            "colorbar": {"title": {"text": "margin (fraction of limit)"}},
        }
    ]  # fmt: skip
    layout = {
        "title": {"text": "worst spec margin per corner and temperature"},
        "font": FONT,
        "xaxis": {"title": {"text": "temperature"}, "type": "category"},
        "yaxis": {"title": {"text": "corner"}, "type": "category", "autorange": "reversed"},
        "margin": {"l": 90, "r": 20, "t": 50, "b": 60},
        "height": max(260, 60 + 55 * len(corners)),
    }
    return {"data": data, "layout": layout}


def figures(
    report: Creport, limits: Mapping[str, spec_check.Limit] | None = None, near: float = 0.05
) -> list[dict[str, Any]]:
    """Every figure of a job, in page order: the margin heat map (when there are limits),
    then per measurement (those with limits first) its plot against temperature and, when
    the job has more than one supply combination, against the supply levels."""
    limits = limits or {}
    out: list[dict[str, Any]] = []
    heat = margin_heatmap(report, limits, near)
    if heat is not None:
        out.append({"id": "margin-heatmap", "name": None, "kind": "heatmap", "figure": heat})
    # measurements with spec limits first: what a reviewer looks at
    names = sorted(report.names, key=lambda n: n not in limits)
    several_combos = len(voltage_combos(report)) > 1  # one combination: no column plot
    for name in names:
        if name in BOOKKEEPING or not _values(report, name):
            continue
        limit = limits.get(name)
        out.append(
            {"id": f"temp-{name}", "name": name, "kind": "temperature",
             "figure": against_temperature(report, name, limit)}
        )  # fmt: skip
        if several_combos:
            out.append(
                {"id": f"volt-{name}", "name": name, "kind": "voltage",
                 "figure": against_voltage(report, name, limit)}
            )  # fmt: skip
    return out
