"""A job's self-contained HTML report: header, spec verdicts, worst cases, failed points,
one SVG plot per measurement (value against temperature, one colour per corner, one dash
pattern per voltage combination), the supply header and the exact config text.

Everything is drawn here as inline SVG: no script, no stylesheet or font fetched, no
external reference at all, so the file can be mailed, archived and opened offline. Every
piece of text from the store goes through ``html.escape``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

from wkpup_harness.report.summary import BOOKKEEPING, extremes
from wkpup_harness.results import Creport, CreportRow

WIDTH, HEIGHT = 720, 380
LEFT, RIGHT, TOP, BOTTOM = 80, 190, 34, 52  # plot margins; the legend sits on the right
PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
    "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#ad494a",
)  # fmt: skip
DASHES = ("", "6 3", "2 3", "8 3 2 3", "12 4", "1 2", "4 1 1 1")
CSS = """
body{font-family:sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #bbb;padding:2px 8px;text-align:left;font-size:13px}
th{background:#eee}.pass{color:#176117;font-weight:bold}.fail{color:#b00;font-weight:bold}
pre{background:#f6f6f6;border:1px solid #ddd;padding:.6em;overflow-x:auto}
.plot{margin:.5em 0 1.5em}
"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def nice_step(span: float, count: int) -> float:
    raw = span / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 2.5, 5, 10):
        if raw <= mult * mag:
            return mult * mag
    return 10 * mag


def ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """Round tick values covering [lo, hi]; a flat series gets a small band around it."""
    if hi <= lo:
        pad = abs(lo) * 0.05 or 1.0
        lo, hi = lo - pad, hi + pad
    step = nice_step(hi - lo, count)
    first = math.floor(lo / step) * step
    out = []
    k = 0
    while True:
        value = first + k * step
        out.append(0.0 if abs(value) < step * 1e-9 else value)
        if value >= hi - step * 1e-9:
            return out
        k += 1


def tick_label(value: float) -> str:
    return f"{value:.4g}"


def series_key(row: CreportRow) -> str:
    return row.corner if row.extraction == "typical" else f"{row.corner} {row.extraction}"


def plot(report: Creport, name: str) -> str:
    """One measurement against temperature as an inline SVG element."""
    pts = [
        (row, row.cells[name].value)
        for row in report.rows
        if name in row.cells and row.cells[name].value is not None
    ]
    if not pts:
        return f"<p>{esc(name)}: no numeric value at any point</p>"
    xs = ticks(min(r.temperature for r, _ in pts), max(r.temperature for r, _ in pts))
    ys = ticks(min(v for _, v in pts if v is not None), max(v for _, v in pts if v is not None))
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(x: float) -> float:
        return LEFT + (x - xs[0]) / (xs[-1] - xs[0]) * pw

    def sy(y: float) -> float:
        return TOP + ph - (y - ys[0]) / (ys[-1] - ys[0]) * ph

    corners = list(dict.fromkeys(series_key(r) for r, _ in pts))
    vts = list(dict.fromkeys(r.vt for r, _ in pts))
    colour = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(corners)}
    dash = {v: DASHES[i % len(DASHES)] for i, v in enumerate(vts)}
    out = [
        f'<svg class="plot" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{esc(name)} against temperature">',
        f'<text x="{LEFT + pw / 2}" y="20" text-anchor="middle" font-size="15" '
        f'font-weight="bold">{esc(name)} vs temperature</text>',
        f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>',
    ]
    for x in xs:
        px = sx(x)
        out.append(
            f'<line x1="{px:.1f}" y1="{TOP}" x2="{px:.1f}" y2="{TOP + ph}" stroke="#e4e4e4"/>'
            f'<line x1="{px:.1f}" y1="{TOP + ph}" x2="{px:.1f}" y2="{TOP + ph + 5}" '
            f'stroke="#444"/><text x="{px:.1f}" y="{TOP + ph + 18}" text-anchor="middle" '
            f'font-size="11">{esc(tick_label(x))}</text>'
        )
    for y in ys:
        py = sy(y)
        out.append(
            f'<line x1="{LEFT}" y1="{py:.1f}" x2="{LEFT + pw}" y2="{py:.1f}" stroke="#e4e4e4"/>'
            f'<line x1="{LEFT - 5}" y1="{py:.1f}" x2="{LEFT}" y2="{py:.1f}" stroke="#444"/>'
            f'<text x="{LEFT - 8}" y="{py + 4:.1f}" text-anchor="end" font-size="11">'
            f"{esc(tick_label(y))}</text>"
        )
    out.append(
        f'<text x="{LEFT + pw / 2}" y="{HEIGHT - 10}" text-anchor="middle" font-size="12">'
        "temperature (&#176;C)</text>"
        f'<text x="16" y="{TOP + ph / 2}" text-anchor="middle" font-size="12" '
        f'transform="rotate(-90 16 {TOP + ph / 2})">{esc(name)}</text>'
    )
    # One line per corner x voltage combo x alter: the temperature trend of one condition.
    lines: dict[tuple[str, str, str], list[tuple[CreportRow, float]]] = {}
    for row, value in pts:
        assert value is not None
        lines.setdefault((series_key(row), row.vt, row.swp or ""), []).append((row, value))
    for (corner, vt, _), members in lines.items():
        members.sort(key=lambda item: item[0].temperature)
        if len(members) > 1:
            coords = " ".join(f"{sx(r.temperature):.1f},{sy(v):.1f}" for r, v in members)
            style = f' stroke-dasharray="{dash[vt]}"' if dash[vt] else ""
            out.append(
                f'<polyline points="{coords}" fill="none" stroke="{colour[corner]}" '
                f'stroke-width="1.2"{style}/>'
            )
        for row, value in members:
            out.append(
                f'<circle cx="{sx(row.temperature):.1f}" cy="{sy(value):.1f}" r="3" '
                f'fill="{colour[corner]}"><title>{esc(row.label)}: '
                f"{esc(row.cells[name].raw)}</title></circle>"
            )
    lx = LEFT + pw + 16
    for i, corner in enumerate(corners):
        y = TOP + 8 + i * 16
        out.append(
            f'<circle cx="{lx}" cy="{y}" r="4" fill="{colour[corner]}"/>'
            f'<text x="{lx + 10}" y="{y + 4}" font-size="11">{esc(corner)}</text>'
        )
    base = TOP + 16 + len(corners) * 16
    for i, vt in enumerate(vts):
        y = base + i * 16
        style = f' stroke-dasharray="{dash[vt]}"' if dash[vt] else ""
        out.append(
            f'<line x1="{lx - 6}" y1="{y}" x2="{lx + 14}" y2="{y}" stroke="#333"{style}/>'
            f'<text x="{lx + 20}" y="{y + 4}" font-size="11">{esc(vt)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _spec_rows(specs: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for s in specs:
        lo = "-inf" if s["lo"] is None else f"{s['lo']:g}"
        hi = "+inf" if s["hi"] is None else f"{s['hi']:g}"
        worst = "failed" if s["worst_value"] is None else f"{s['worst_value']:.6g}"
        css = "pass" if s["status"] == "pass" else "fail"
        rows.append(
            f"<tr><td>{esc(s['name'])}</td><td>[{esc(lo)}, {esc(hi)}]</td>"
            f'<td class="{css}">{esc(s["status"].upper())}</td>'
            f"<td>{esc(s['n_fail'])}/{esc(s['n_points'])}</td><td>{esc(worst)}</td>"
            f"<td>{esc(s.get('worst_point') or '')}</td></tr>"
        )
    head = "".join(
        f"<th>{h}</th>" for h in ("measurement", "limits", "verdict", "fail", "worst", "at")
    )
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def render(
    job: Mapping[str, Any],
    report: Creport | None,
    specs: Sequence[Mapping[str, Any]] = (),
    failed: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The whole report as one HTML document (a str; write it as UTF-8)."""
    title = f"wkpup job {job['id']}: {job['domain']} {job.get('name') or ''}".rstrip()
    info = [
        ("status", job["status"]),
        ("domain", job["domain"]),
        ("name", job.get("name")),
        ("user", job.get("user")),
        ("points", job.get("n_points")),
        ("failed points", job.get("n_failed_points")),
        ("error", job.get("error")),
        ("backup", job.get("backup_path")),
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        _table(["", ""], [(k, v) for k, v in info if v is not None]),
    ]
    if specs:
        parts += ["<h2>Spec verdicts</h2>", _spec_rows(specs)]
    if report is not None:
        worst = [
            (e.name, f"{e.low:.6g}", e.low_row.label, f"{e.high:.6g}",
             e.high_row.label, e.failed or "")
            for e in extremes(report)
        ]  # fmt: skip
        parts += [
            "<h2>Worst cases</h2>",
            _table(["measurement", "min", "at", "max", "at", "failed"], worst),
        ]
    if failed:
        parts += [
            f"<h2>Failed points ({len(failed)})</h2>",
            _table(["point", "failed measurements"], [
                (f["point"], ", ".join(f["failed"])) for f in failed
            ]),
        ]  # fmt: skip
    if report is not None:
        parts.append("<h2>Measurements against temperature</h2>")
        parts += [plot(report, n) for n in report.names if n not in BOOKKEEPING]
    if job.get("report_header"):
        parts += ["<h2>Supply condition</h2>", f"<pre>{esc(job['report_header'])}</pre>"]
    if job.get("config_text") is not None:
        parts += ["<h2>config.cfg</h2>", f"<pre>{esc(job['config_text'])}</pre>"]
    parts.append("</body></html>\n")
    return "\n".join(parts)
