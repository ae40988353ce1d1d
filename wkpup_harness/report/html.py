"""A job's self-contained HTML report: header, spec verdicts (pass / near / fail with
margins), worst cases with units, failed points, the job's Plotly figures (``report.plots``:
each measurement against temperature and against the supply levels, units on the axes,
spec limits drawn, the worst-margin heat map — the same figures the web pages show), a
Monte Carlo job's yield table and histograms (``report.mcplots``), the supply header and the
exact config text.

Plotly's offline bundle (``plotly.min.js`` of the ``plotly`` package, MIT) is inlined: no
script, stylesheet or font is fetched, so the file can be mailed, archived and opened
offline. Every piece of text from the store goes through ``html.escape`` (and the figures'
JSON cannot close its script element).
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

from wkpup_harness.report import mcplots, plots
from wkpup_harness.report.summary import extremes
from wkpup_harness.report.units import eng, margin_text, unit
from wkpup_harness.report.verdicts import margin_percent
from wkpup_harness.results import Creport
from wkpup_harness.results import spec as spec_check
from wkpup_harness.results.mcstats import McStat, Sample

CSS = """
body{font-family:sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #bbb;padding:2px 8px;text-align:left;font-size:13px}
th{background:#eee}.pass{color:#176117;font-weight:bold}.fail{color:#b00;font-weight:bold}
pre{background:#f6f6f6;border:1px solid #ddd;padding:.6em;overflow-x:auto}
.plot{margin:.5em 0 1.5em;border:1px solid #ddd}
.near{color:#a66a00;font-weight:bold}
"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def script_json(value: object) -> str:
    """JSON to embed in a <script>: no ``<`` at all (``</script>``, ``<!--``), so text from
    the store cannot end the element early."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c")


def plots_html(report: Creport, limits: Mapping[str, spec_check.Limit], near: float) -> list[str]:
    """The job's Plotly figures (``report.plots``, the same the web pages draw) and the
    Plotly bundle itself, inlined: the file needs nothing from anywhere."""
    figures = plots.figures(report, limits, near)
    if not figures:
        return ["<p>no numeric value to plot</p>"]
    out = [f'<div class="plot" id="{esc(f["id"])}"></div>' for f in figures]
    out.append(f"<script>{plots.plotly_js()}</script>")
    payload = script_json({f["id"]: f["figure"] for f in figures})
    out.append(
        "<script>(function(){var figs=" + payload + ";"
        "for(var id in figs){Plotly.newPlot(id,figs[id].data,figs[id].layout,"
        "{displaylogo:false,responsive:true});}})();</script>"
    )
    return out


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _value(row: Any, name: str) -> float | None:
    cell = row.cells.get(name)
    return None if cell is None else cell.value


def _spec_rows(specs: Sequence[Mapping[str, Any]], report: Creport | None, near: float) -> str:
    """Per spec: limits with unit, pass / near / fail over every point (each judged by
    ``spec.point_verdict``), failing points, the worst value, its margin and point."""
    limits = spec_check.stored_limits(specs)
    rows = []
    for s in specs:
        u = unit(s["name"])
        lo = "-inf" if s["lo"] is None else eng(s["lo"], u)
        hi = "+inf" if s["hi"] is None else eng(s["hi"], u)
        verdict, margin, pct = s["status"], None, None
        limit = limits.get(s["name"])
        if report is not None and limit is not None:
            cells = [(r.corner, _value(r, s["name"])) for r in report.rows]
            judged = spec_check.judge(limit, cells, near)
            verdict, margin = judged.verdict, judged.margin
            if judged.worst is not None:
                row = report.rows[judged.worst]
                pct = margin_percent(limit.for_corner(row.corner), _value(row, s["name"]))
        worst = "failed" if s["worst_value"] is None else eng(s["worst_value"], u)
        shown = "-" if margin is None or margin == float("-inf") else margin_text(margin, pct, u)
        rows.append(
            f"<tr><td>{esc(s['name'])}</td><td>[{esc(lo)}, {esc(hi)}]</td>"
            f'<td class="{esc(verdict)}">{esc(verdict.upper())}</td>'
            f"<td>{esc(s['n_fail'])}/{esc(s['n_points'])}</td><td>{esc(worst)}</td>"
            f"<td>{esc(shown)}</td><td>{esc(s.get('worst_point') or '')}</td></tr>"
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("measurement", "limits", "verdict", "fail", "worst", "margin", "at")
    )
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _when(ts: float | None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _core_text(job: Mapping[str, Any]) -> str:
    digest = job.get("manifest_hash")
    where = f" ({job['core_path']})" if job.get("core_path") else ""
    if not digest:
        return f"no manifest recorded{where}"
    # the engine verifies the core against its manifest before every stage: a completed job
    # ran on exactly this core
    checked = ", verified before every stage" if job.get("status") == "completed" else ""
    return f"manifest sha256 {digest[:16]}{checked}{where}"


def _golden_text(job: Mapping[str, Any]) -> str:
    verdict = job.get("golden") or "not compared"
    return f"{verdict} ({job['golden_path']})" if job.get("golden_path") else verdict


def header_rows(job: Mapping[str, Any]) -> list[tuple[str, object]]:
    """What the export's header says of the run, every row labelled: when, what, on which
    simulator and core, and both verdicts (golden, spec)."""
    sim = " ".join(str(v) for v in (job.get("simulator"), job.get("simulator_version")) if v)
    rows: list[tuple[str, object]] = [
        ("status", job["status"]),
        ("date", _when(job.get("finished_at") or job.get("submitted_at"))),
        ("domain", job["domain"]),
        ("scenario", job.get("scenario")),
        ("name", job.get("name")),
        ("user", job.get("user")),
        ("simulator", sim or "not recorded"),
        ("core", _core_text(job)),
        ("golden", _golden_text(job)),
        ("spec verdict", job.get("spec_verdict") or "no limits"),
        ("points", job.get("n_points")),
        ("failed points", job.get("n_failed_points")),
        ("error", job.get("error")),
        ("backup", job.get("backup_path")),
    ]
    return [(k, v) for k, v in rows if v is not None]


def _info_table(rows: Sequence[tuple[str, object]]) -> str:
    """Label and value per row (row headers, no empty header row)."""
    body = "".join(f'<tr><th scope="row">{esc(k)}</th><td>{esc(v)}</td></tr>' for k, v in rows)
    return f'<table class="info">{body}</table>'


def render(
    job: Mapping[str, Any],
    report: Creport | None,
    specs: Sequence[Mapping[str, Any]] = (),
    failed: Sequence[Mapping[str, Any]] = (),
    near: float = spec_check.NEAR_DEFAULT,
    mc: tuple[Sequence[Sample], Sequence[McStat]] | None = None,
) -> str:
    """The whole report as one HTML document (a str; write it as UTF-8). ``mc``: a Monte
    Carlo job's samples and statistics (``report.views.stored_mc``): its section
    (``mcplots.mc_section_html``) follows the plots, Plotly inlined once for both."""
    title = f"wkpup job {job['id']}: {job['domain']} {job.get('name') or ''}".rstrip()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        _info_table(header_rows(job)),
    ]
    if specs:
        parts += [
            f"<h2>Spec verdicts</h2><p>near: within {100 * near:g} % of the limit span "
            "(or of the limit)</p>",
            _spec_rows(specs, report, near),
        ]
    if report is not None:
        worst = [
            (e.name, unit(e.name), eng(e.low, unit(e.name)), e.low_row.label,
             eng(e.high, unit(e.name)), e.high_row.label, e.failed or "")
            for e in extremes(report)
        ]  # fmt: skip
        parts += [
            "<h2>Worst cases</h2>",
            _table(["measurement", "unit", "min", "at", "max", "at", "failed"], worst),
        ]
    if failed:
        parts += [
            f"<h2>Failed points ({len(failed)})</h2>",
            _table(["point", "failed measurements"], [
                (f["point"], ", ".join(f["failed"])) for f in failed
            ]),
        ]  # fmt: skip
    plotly_in = False
    if report is not None:
        drawn = plots_html(report, spec_check.stored_limits(specs), near)
        plotly_in = len(drawn) > 1  # the figures and the bundle, or one "nothing to plot"
        parts += ["<h2>Plots</h2>", *drawn]
    if mc is not None:
        samples, stats = mc
        figs = mcplots.figures(samples, stats)
        parts.append(mcplots.mc_section_html(stats, figs, with_plotly=bool(figs) and not plotly_in))
    if job.get("report_header"):
        parts += ["<h2>Supply condition</h2>", f"<pre>{esc(job['report_header'])}</pre>"]
    if job.get("config_text") is not None:
        parts += ["<h2>config.cfg</h2>", f"<pre>{esc(job['config_text'])}</pre>"]
    parts.append("</body></html>\n")
    return "\n".join(parts)
