"""What every face shows of a stored job, built once from the store's named queries: the
state an engineer should read, point labels, stages in pipeline order, spec verdicts, the
worst cases and failed points, live progress and the job page's result tables.

The CLI (``show``, ``export``, ``compare``, ``history``), the pytest plugin and the web
server all present jobs through here. Reading the store is ``store.queries`` / ``store.jobs``
(re-exported below under the names the faces have always used); nothing here runs SQL.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from wkpup_harness.config import SWEEP_KEYS, Config, parse_config
from wkpup_harness.config.tables import CoreTables
from wkpup_harness.core import Core
from wkpup_harness.engine import STAGES
from wkpup_harness.errors import WkpupError
from wkpup_harness.points import label as point_label
from wkpup_harness.report.summary import BOOKKEEPING, extremes
from wkpup_harness.report.units import unit
from wkpup_harness.report.verdicts import margin_percent
from wkpup_harness.results import spec as spec_check
from wkpup_harness.store import jobs
from wkpup_harness.store.maintenance import DAY_S
from wkpup_harness.store.queries import (
    Connection,
    compare_with_creport,
    spec_results,
    stored_creport,
)

__all__ = [
    "BULKY",
    "collect",
    "compare_with_creport",
    "failed_points",
    "job_state",
    "ordered_stages",
    "parse_since",
    "point_text",
    "progress",
    "result_view",
    "spec_results",
    "stored_creport",
    "strip",
]

# Big text columns a job listing leaves out (``show --json`` and the job page have them).
BULKY = ("config_text", "report_header")


def point_text(p: Mapping[str, Any]) -> str:
    """A stored point as the summary labels it: ``SSG typical -40C max/min swp01``."""
    return point_label(
        p["corner"], p["extraction"], p["temperature"], (p["v1"], p["v2"], p["v3"]), p.get("swp")
    )


def job_state(job: Mapping[str, Any]) -> str:
    """The status an engineer should read: ``interrupted`` for a job whose driver died, and a
    golden mismatch is never a plain ``completed``."""
    status = str(job["status"])
    if status == "failed" and job.get("error") == "interrupted":
        status = "interrupted"
    if job.get("golden") == "mismatch":
        status += " (golden mismatch)"
    return status


def stage_rank(stage: str) -> tuple[int, str]:
    """Where a stage sits in the engine's pipeline (gen, run, chk, ext, srt, bkp,
    usr_script); a stage the engine does not know comes last, by name."""
    return (STAGES.index(stage), "") if stage in STAGES else (len(STAGES), stage)


def ordered_stages(stages: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A job's stage records in pipeline order, never alphabetical nor by start time."""
    return sorted((dict(s) for s in stages), key=lambda s: stage_rank(str(s["stage"])))


def strip(job: Mapping[str, Any]) -> dict[str, Any]:
    """A job without the bulky texts, its stages (if any) in pipeline order."""
    out = {k: v for k, v in job.items() if k not in BULKY}
    if "stages" in out:
        out["stages"] = ordered_stages(out["stages"])
    return out


def progress(row: Mapping[str, Any]) -> dict[str, Any]:
    """A job's live progress as the web pages follow it: stage, k / N points, stages."""
    return {
        "id": row["id"],
        "status": row["status"],
        "state": job_state(row),
        "stage": row.get("stage"),
        "points_done": row.get("points_done") or 0,
        "points_total": row.get("points_total"),
        "points_failed": row.get("points_failed") or 0,
        "stages": [
            {"stage": s["stage"], "status": s["status"]} for s in ordered_stages(row["stages"])
        ],
        "error": row.get("error"),
        "golden": row.get("golden"),
        "face": row.get("face"),
    }


def failed_points(conn: Connection, job: int) -> list[dict[str, Any]]:
    """The job's failed points with the measurements that have no value."""
    out = []
    for p in jobs.points(conn, job):
        if p["status"] == "failed":
            bad = sorted(n for n, (_, value) in p["cells"].items() if value is None)
            out.append({"seq": p["seq"], "point": point_text(p), "failed": bad})
    return out


def collect(conn: Connection, job: dict[str, Any]) -> dict[str, Any]:
    """Everything show, export and the job page present about a job, as plain data."""
    report = stored_creport(conn, job)
    worst = [
        {"name": e.name, "min": e.low, "min_point": e.low_row.label, "max": e.high,
         "max_point": e.high_row.label, "failed": e.failed}
        for e in (extremes(report) if report is not None else [])
    ]  # fmt: skip
    specs = spec_results(conn, job["id"])
    by_seq = {p["seq"]: p for p in jobs.points(conn, job["id"])} if specs else {}
    for s in specs:
        p = by_seq.get(s["worst_seq"])
        s["worst_point"] = point_text(p) if p is not None else None
    return {
        "job": strip(job),
        "worst": worst,
        "specs": specs,
        "failed_points": failed_points(conn, job["id"]),
        # the engine's record of each simulation that did not end ok: status, reason, attempts
        "failed_simulations": [
            {k: s[k] for k in ("name", "status", "reason", "attempts", "elapsed_s")}
            for s in jobs.sims(conn, job["id"])
            if s["status"] != "ok"
        ],
    }


def parse_since(text: str, now: float | None = None) -> float:
    """``7d`` (the last seven days) or ``YYYY-MM-DD`` (local midnight) as POSIX seconds."""
    m = re.fullmatch(r"([0-9]{1,6})d", text)
    if m:
        return (time.time() if now is None else now) - int(m.group(1)) * DAY_S
    try:
        day = dt.datetime.strptime(text, "%Y-%m-%d")  # local midnight, as `date` shows it
    except ValueError:
        raise WkpupError(f"since {text!r}: expected YYYY-MM-DD or Nd (e.g. 7d)") from None
    return day.timestamp()


# --- the job page's result tables ------------------------------------------------------------
# gen_tb.pl's corner classes for the VID rows (vcc_vid_<class>_<h|c>), docs/core.md
VID_CLASS = {
    "TT": "tt", "FSG": "tt", "SFG": "tt", "FFG": "ff", "FFG_SSG": "ff", "FFAG": "ff",
    "SSG": "ss", "SSG_FFG": "ss", "SSAG": "ss",
}  # fmt: skip
VID_TEMPERATURE = {-40: "c", 125: "h"}
RAILS = ("vcc", "vccn", "vcctx", "vccana")  # the order a point's volts are listed in


def _volt(text: str, vcn: float | None) -> float | str:
    """A supply table cell as volts: ``1.8``, or an expression of vcn (``"0.5*vcn"``)
    evaluated with the point's vccn; anything else stays text."""
    cell = text.strip().strip('"')
    try:
        return float(cell)
    except ValueError:
        pass
    m = re.fullmatch(r"([0-9.eE+-]+)\s*\*\s*vcn|vcn\s*\*\s*([0-9.eE+-]+)", cell)
    if m and vcn is not None:
        try:
            return float(m.group(1) or m.group(2)) * vcn
        except ValueError:
            pass
    return cell


def point_supplies(
    config: Config, corner: str, temperature: int, levels: Sequence[str | None]
) -> dict[str, float | str]:
    """The supply volts a point ran at, as the generator (gen_tb.pl) sets ``.param vc``,
    ``vcn``, ``vctx`` and ``vccana`` from the config's rows of the core's supply table:
    a swept rail at the point's level (vcc from its VID row at -40/125 °C when VID is on),
    vcctx at its nominal when not swept; rails the template keeps are left out."""
    swept = [config.get(k) for k in SWEEP_KEYS]
    trend = dict(zip(swept, (lv for lv in levels if lv is not None), strict=False))

    def at(rail: str, level: str, row: str | None = None) -> str:
        row = row or config.rail_row(rail)
        found = config.supply_table.get(row)
        return found.levels(config.condition).get(level) if found is not None else ""

    out: dict[str, float | str] = {}
    vccn_level = trend.get("vccn") or trend.get("vccn_vcctx")
    if vccn_level:
        out["vccn"] = _volt(at("vccn", vccn_level), None)
    vcn = out.get("vccn") if isinstance(out.get("vccn"), float) else None
    if swept[0] == "vcc" and "vcc" in trend:
        hc, cls = VID_TEMPERATURE.get(temperature), VID_CLASS.get(corner)
        vid = f"vcc_vid_{cls}_{hc}" if config.vcc_vid and hc and cls else None
        out["vcc"] = _volt(at("vcc", trend["vcc"], vid), vcn)
    tx_level = trend.get("vcctx") if swept[1] == "vcctx" else trend.get("vccn_vcctx")
    out["vcctx"] = _volt(at("vcctx", tx_level or "nom"), vcn)
    if "vccana" in swept[:2]:
        out["vccana"] = _volt(at("vccana", trend["vccana"]), vcn)
    return {rail: out[rail] for rail in RAILS if rail in out}


def tables_of(core: Core) -> CoreTables | None:
    """The core's tables, or None when they do not read (the volts are then left out)."""
    try:
        return core.tables()
    except (WkpupError, OSError):
        return None


def job_config(row: Mapping[str, Any], tables: CoreTables | None) -> Config | None:
    """The job's config read against the core's tables (None when it no longer reads)."""
    if tables is None or not row.get("config_text"):
        return None
    try:
        return parse_config(row["config_text"], tables=tables)
    except WkpupError:
        return None


def _judged(
    specs: Sequence[Mapping[str, Any]], pts: Sequence[Mapping[str, Any]], near: float
) -> dict[str, tuple[spec_check.Limit, spec_check.Judgement]]:
    limits = spec_check.stored_limits(specs)
    return {
        n: (lim, spec_check.judge(
            lim, [(p["corner"], p["cells"].get(n, (None, None))[1]) for p in pts], near
        ))
        for n, lim in limits.items()
    }  # fmt: skip


def _point_cells(
    p: Mapping[str, Any], i: int, names: Sequence[str], judged: Mapping[str, Any]
) -> dict[str, Any]:
    cells = {}
    for name in names:
        if name not in p["cells"]:
            continue
        raw, value = p["cells"][name]
        cell: dict[str, Any] = {"raw": raw, "value": value}
        if name in judged:
            limit, j = judged[name]
            cell["verdict"], cell["margin"] = j.verdicts[i]
            cell["margin_pct"] = margin_percent(limit.for_corner(p["corner"]), value)
        cells[name] = cell
    return cells


def _point_row(
    p: Mapping[str, Any],
    i: int,
    names: Sequence[str],
    judged: Mapping[str, Any],
    config: Config | None,
) -> dict[str, Any]:
    levels = (p["v1"], p["v2"], p["v3"])
    supplies = point_supplies(config, p["corner"], p["temperature"], levels) if config else {}
    return {
        "seq": p["seq"], "corner": p["corner"], "extraction": p["extraction"],
        "temperature": p["temperature"], "v1": p["v1"], "v2": p["v2"], "v3": p["v3"],
        "swp": p["swp"], "status": p["status"], "label": point_text(p),
        "supplies": supplies, "cells": _point_cells(p, i, names, judged),
    }  # fmt: skip


def _spec_row(
    s: Mapping[str, Any], judged: Mapping[str, Any], pts: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    limit, j = judged.get(s["name"], (None, None))
    pct = None
    if j is not None and j.worst is not None:
        p = pts[j.worst]
        value = p["cells"].get(s["name"], (None, None))[1]
        pct = margin_percent(limit.for_corner(p["corner"]), value)
    return {
        **s, "unit": unit(s["name"]),
        "verdict": j.verdict if j is not None else "no_data",
        "n_near": j.n_near if j is not None else 0,
        "margin": None if j is None else j.margin,
        "margin_pct": pct,
        "margin_point": None if j is None or j.worst is None else point_text(pts[j.worst]),
    }  # fmt: skip


def result_view(
    row: Mapping[str, Any],
    data: Mapping[str, Any],
    pts: Sequence[Mapping[str, Any]],
    near: float,
    tables: CoreTables | None = None,
) -> dict[str, Any]:
    """The job page's tables: points x measurements (each cell judged pass / near / fail
    against the job's spec limits, margins also in percent of the limit), each point's supply
    volts (with the core's ``tables``), worst cases and spec verdicts with units and margins."""
    names = json.loads(row["report_names"] or "[]") if row.get("report_names") else []
    judged = _judged(data["specs"], pts, near)
    config = job_config(row, tables)
    return {
        "job": row["id"],
        "names": [n for n in names if n not in BOOKKEEPING],
        "units": {n: unit(n) for n in names},
        "near_margin": near,
        "points": [_point_row(p, i, names, judged, config) for i, p in enumerate(pts)],
        "worst": [dict(w, unit=unit(w["name"])) for w in data["worst"]],
        "specs": [_spec_row(s, judged, pts) for s in data["specs"]],
        "failed_points": data["failed_points"],
        "failed_simulations": data["failed_simulations"],
    }
