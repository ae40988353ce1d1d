"""Figures of a Monte Carlo run: per measurement and PVT point, a histogram of the samples
with the fitted normal curve (scaled to the histogram: N · bin width · pdf), the spec limits
as vertical lines (an arrow at the plot's edge when a limit is far outside the data), the
worst sample marked, and the yield with its interval in the title; the unit on the axis
(``report.units``). Plain JSON-able Plotly dicts in the style of ``report.plots`` (same
palette, font, limit colour), drawn by the web pages and inlined in the HTML export
(``mc_section_html``).

Bins: ``ceil(sqrt(n))`` equal bins (at most ``MAX_BINS``) from the smallest to the largest
value; all values equal: one bin 1 % of the value wide (1 when the value is 0).
"""

from __future__ import annotations

import html
import json
import math
import re
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from wkpup_harness.report import mctable, plots
from wkpup_harness.report.units import eng, unit, with_unit
from wkpup_harness.results.mcstats import McStat, Sample, values_at

MAX_BINS = 40
CURVE_POINTS = 121
FIT_SIGMAS = 4.0  # the normal curve is drawn over mean ± 4 σ
# A limit further outside the data than this many data widths is an edge marker, not a line:
# a line there would squeeze the histogram into a sliver.
FAR = 1.0
PAD = 0.05
BAR_COLOUR = plots.PALETTE[0]
FIT_COLOUR = plots.PALETTE[3]
WORST_COLOUR = "#000000"


def bins(values: Sequence[float]) -> tuple[float, float, list[int]]:
    """(first edge, bin width, counts): ``ceil(sqrt(n))`` bins over [min, max]; the last
    bin holds its upper edge."""
    lo, hi = min(values), max(values)
    if hi == lo:
        return lo - 0.5 * (abs(lo) * 0.01 or 1.0), abs(lo) * 0.01 or 1.0, [len(values)]
    k = min(MAX_BINS, math.ceil(math.sqrt(len(values))))
    width = (hi - lo) / k
    counts = [0] * k
    for v in values:
        counts[min(k - 1, int((v - lo) / width))] += 1
    return lo, width, counts


def _bars(values: Sequence[float], u: str) -> tuple[dict[str, Any], float, float, float]:
    """The histogram as a bar trace, and its first edge, bin width and last edge."""
    start, width, counts = bins(values)
    edges = [start + i * width for i in range(len(counts) + 1)]
    trace = {
        "type": "bar",
        "name": f"samples ({len(values)})",
        "x": [start + (i + 0.5) * width for i in range(len(counts))],
        "y": counts,
        "width": width,
        "text": [
            f"{eng(edges[i], u)} … {eng(edges[i + 1], u)}: {c} sample(s)"
            for i, c in enumerate(counts)
        ],
        "hoverinfo": "text",
        "textposition": "none",
        "marker": {"color": BAR_COLOUR, "opacity": 0.75, "line": {"color": "#ffffff", "width": 1}},
    }
    return trace, start, width, edges[-1]


def _normal(stat: McStat, n: int, width: float, u: str) -> dict[str, Any] | None:
    """The fitted normal, scaled so that its area is the histogram's (n · width)."""
    if stat.mean is None or not stat.sigma:
        return None
    dist = statistics.NormalDist(stat.mean, stat.sigma)
    x0 = stat.mean - FIT_SIGMAS * stat.sigma
    step = 2 * FIT_SIGMAS * stat.sigma / (CURVE_POINTS - 1)
    xs = [x0 + i * step for i in range(CURVE_POINTS)]
    return {
        "type": "scatter",
        "mode": "lines",
        "name": f"normal fit: μ {eng(stat.mean, u)}, σ {eng(stat.sigma, u)}",
        "x": xs,
        "y": [n * width * dist.pdf(x) for x in xs],
        "hoverinfo": "name",
        "line": {"color": FIT_COLOUR, "width": 2},
    }


def _worst(stat: McStat, u: str) -> dict[str, Any] | None:
    w = stat.worst
    if w is None or w.value is None:
        return None
    label = f"worst: #{w.index} seed {w.seed}, {eng(w.value, u)}"
    return {
        "type": "scatter",
        "mode": "markers",
        "name": label,
        "x": [w.value],
        "y": [0],
        "text": [label],
        "hoverinfo": "text",
        "marker": {"symbol": "triangle-up", "size": 12, "color": WORST_COLOUR},
    }


def _limit_marks(
    stat: McStat, view: tuple[float, float], u: str
) -> tuple[list[dict], list[dict], tuple[float, float]]:
    """Vertical lines at the limits near the data (the x range grown to show them), or an
    arrow at the plot's edge for a limit far outside; the sigma to each limit in its label."""
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    lo_x, hi_x = view
    span = hi_x - lo_x
    for label, limit, side, to in (
        ("min", stat.lo, 0, stat.sigma_to_lo),
        ("max", stat.hi, 1, stat.sigma_to_hi),
    ):
        if limit is None:
            continue
        text = f"spec {label} {eng(limit, u)}" + (
            f" ({mctable.sigmas(to)})" if to is not None else ""
        )
        font = {"color": plots.LIMIT_COLOUR, "size": 11}
        if view[0] - FAR * span <= limit <= view[1] + FAR * span:
            lo_x, hi_x = min(lo_x, limit), max(hi_x, limit)
            shapes.append(
                {"type": "line", "xref": "x", "x0": limit, "x1": limit, "yref": "paper",
                 "y0": 0, "y1": 1, "line": {"color": plots.LIMIT_COLOUR, "width": 1.5,
                                            "dash": "dash"}}
            )  # fmt: skip
            notes.append(
                {"xref": "x", "x": limit, "xanchor": "right" if side else "left",
                 "yref": "paper", "y": 1, "yanchor": "bottom", "text": text,
                 "showarrow": False, "font": font}
            )  # fmt: skip
        else:
            arrow = f"{text} →" if side else f"← {text}"
            notes.append(
                {"xref": "paper", "x": side, "xanchor": "right" if side else "left",
                 "yref": "paper", "y": 0.95, "text": arrow, "showarrow": False, "font": font}
            )  # fmt: skip
    return shapes, notes, (lo_x, hi_x)


def title(stat: McStat) -> str:
    """``rwkpull0 at SS …: yield 98.50 % (95.68 … 99.49 %, 95 % Wilson), N = 200``."""
    where = f"{stat.measurement} at {stat.point}"
    if stat.yield_ is None:
        return f"{where}: N = {stat.n}, no spec limits"
    return (
        f"{where}: yield {mctable.pct(stat.yield_)} % ({mctable.interval_text(stat)}, "
        f"{mctable.legend([stat]).removeprefix('interval: two-sided ')}), N = {stat.n}"
    )


def histogram(stat: McStat, values: Sequence[float]) -> dict[str, Any]:
    """The figure of one measurement at one point; ``values`` are its samples' numbers
    (``mcstats.values_at``)."""
    u = unit(stat.measurement)
    layout: dict[str, Any] = {
        "title": {"text": title(stat), "font": {"size": 13}},
        "font": plots.FONT,
        "xaxis": {"title": {"text": with_unit(stat.measurement)}, "exponentformat": "SI",
                  "zeroline": False},
        "yaxis": {"title": {"text": "samples"}, "rangemode": "tozero"},
        "bargap": 0,
        "legend": {"font": {"size": 10}},
        "margin": {"l": 70, "r": 20, "t": 60, "b": 60},
        "height": 420,
        "hovermode": "closest",
        "shapes": [],
        "annotations": [],
    }  # fmt: skip
    data: list[dict[str, Any]] = []
    if values:
        bars, first, width, last = _bars(values, u)
        fit = _normal(stat, len(values), width, u)
        data = [t for t in (bars, fit, _worst(stat, u)) if t is not None]
        view = (first, last) if fit is None else (min(first, fit["x"][0]), max(last, fit["x"][-1]))
        shapes, notes, (lo_x, hi_x) = _limit_marks(stat, view, u)
        pad = PAD * (hi_x - lo_x)
        layout["xaxis"]["range"] = [lo_x - pad, hi_x + pad]
        layout["shapes"], layout["annotations"] = shapes, notes
    if stat.n_failed:
        layout["annotations"].append(
            {"xref": "paper", "x": 0, "xanchor": "left", "yref": "paper", "y": 0.85,
             "text": f"{stat.n_failed} failed sample(s) not drawn, counted as failing",
             "showarrow": False, "font": {"color": plots.LIMIT_COLOUR, "size": 11}}
        )  # fmt: skip
    return {"data": data, "layout": layout}


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")


def figures(samples: Sequence[Sample], stats: Sequence[McStat]) -> list[dict[str, Any]]:
    """A histogram per McStat, in the stats' order, as ``plots.figures`` lists them:
    ``{"id", "name", "point", "kind": "mc-histogram", "figure"}``."""
    return [
        {
            "id": f"mc-{i}-{slug(s.measurement)}-{slug(s.point)}",
            "name": s.measurement,
            "point": s.point,
            "kind": "mc-histogram",
            "figure": histogram(s, values_at(samples, s.measurement, s.point)),
        }
        for i, s in enumerate(stats, start=1)
    ]


def _script_json(value: object) -> str:
    """JSON for a <script> element: no ``<`` at all, so no text can end the element."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c")


def _table_html(stats: Sequence[McStat], units: Mapping[str, str]) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in mctable.HEADERS)
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{esc(c)}</td>"
            for c in mctable.row(s, units.get(s.measurement, unit(s.measurement)))
        )
        + "</tr>"
        for s in stats
    )
    return f"<table><tr>{head}</tr>{rows}</table>"


def mc_section_html(
    stats: Sequence[McStat],
    figures: Sequence[Mapping[str, Any]],
    units: Mapping[str, str] | None = None,
    *,
    with_plotly: bool = False,
) -> str:
    """The Monte Carlo part of the self-contained HTML export: the yield table, what the
    interval is, the failed samples, one plot per figure (``figures``). The page must load
    Plotly before this part (``report.html`` inlines it with the job's plots), or pass
    ``with_plotly=True`` to inline the bundle here."""
    esc = html.escape
    units = units or {}
    parts = ["<h2>Monte Carlo</h2>"]
    if not stats:
        return "\n".join([*parts, "<p>no Monte Carlo samples</p>"])
    parts += [
        _table_html(stats, units),
        f"<p>yield: samples inside the limits / N, a failed sample fails; "
        f"{esc(mctable.legend(stats))}</p>",
    ]
    parts += [
        f'<p class="fail">{esc(s.measurement)} at {esc(s.point)}: {s.n_failed} sample(s) '
        f"without a value (failing): {esc(', '.join(f'#{i}' for i in s.failed))}</p>"
        for s in stats
        if s.failed
    ]
    parts += [f'<div class="plot" id="{esc(f["id"])}"></div>' for f in figures]
    if with_plotly:
        parts.append(f"<script>{plots.plotly_js()}</script>")
    payload = _script_json({f["id"]: f["figure"] for f in figures})
    parts.append(
        "<script>(function(){var figs=" + payload + ";"
        "for(var id in figs){Plotly.newPlot(id,figs[id].data,figs[id].layout,"
        "{displaylogo:false,responsive:true});}})();</script>"
    )
    return "\n".join(parts)
