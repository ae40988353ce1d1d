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
import math
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
from wkpup_harness.report.mcsummary import mc_stats, yield_cell
from wkpup_harness.report.partial import partial_creport
from wkpup_harness.report.summary import BOOKKEEPING, extremes
from wkpup_harness.report.units import unit
from wkpup_harness.report.verdicts import margin_percent
from wkpup_harness.results import Creport
from wkpup_harness.results import spec as spec_check
from wkpup_harness.store import jobs, mcsamples
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
    "eta",
    "failed_points",
    "job_limits",
    "job_state",
    "live_stages",
    "mc_yields",
    "ordered_stages",
    "parse_since",
    "partial_view",
    "point_text",
    "progress",
    "result_view",
    "results_partial",
    "spec_results",
    "stored_creport",
    "stored_mc",
    "strip",
    "worst_cases",
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
    """Where a stage sits in the engine's pipeline (gen, run, chk, ext, srt, mc, bkp,
    usr_script; ``mc`` only in a Monte Carlo job); a stage the engine does not know comes
    last, by name."""
    return (STAGES.index(stage), "") if stage in STAGES else (len(STAGES), stage)


def ordered_stages(stages: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A job's stage records in pipeline order, never alphabetical nor by start time."""
    return sorted((dict(s) for s in stages), key=lambda s: stage_rank(str(s["stage"])))


def live_stages(job: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A job's stages in pipeline order as they stand NOW: while the job runs (a resume
    included), a stage running or still to run shows no exit code nor times of an earlier
    attempt, and a stage after the current one that an earlier attempt left cancelled,
    failed or skipped reads ``queued`` (it runs again). Each stage's log is also named by its file
    name alone (``log``), for faces that may not show paths."""
    stages = ordered_stages(job.get("stages") or [])
    active = job.get("status") in ("queued", "running")
    current = job.get("stage")
    here = stage_rank(str(current)) if current else None
    for s in stages:
        s["log"] = str(s["log_path"]).rsplit("/", 1)[-1] if s.get("log_path") else None
        if not active:
            continue
        later = here is None or stage_rank(str(s["stage"])) > here
        if s["status"] in ("cancelled", "failed", "skipped") and later:
            s["status"] = "queued"
        if s["status"] in ("queued", "running"):
            # while it runs, the store still holds the times of an earlier attempt
            s.update(started_at=None, finished_at=None, exit_code=None, cpu_s=None,
                     max_rss_kib=None)  # fmt: skip
    return stages


def strip(job: Mapping[str, Any]) -> dict[str, Any]:
    """A job without the bulky texts, its stages (if any) in pipeline order, as they stand
    now (``live_stages``)."""
    out = {k: v for k, v in job.items() if k not in BULKY}
    if "stages" in out:
        out["stages"] = live_stages(job)
    return out


def eta(row: Mapping[str, Any], times: Sequence[tuple[float, float]]) -> float | None:
    """An ESTIMATE of the seconds left in the run stage, from measured per-point times: the
    wall time during which at least one simulation of the job ran (the union of its finished
    points' [start, end] intervals, so a pause between a cancel and its resume does not
    count, and simulations running side by side are counted once) per finished point, times
    the points left. None when nothing is measured yet or no point is left."""
    total, done = row.get("points_total"), row.get("points_done") or 0
    if row.get("status") != "running" or not total or done >= total or not times:
        return None
    busy, end = 0.0, -math.inf
    for start, finish in sorted(times):
        if finish <= end:
            continue
        busy += finish - max(start, end)
        end = finish
    return busy / len(times) * (total - done)


def progress(
    row: Mapping[str, Any],
    times: Sequence[tuple[float, float]] = (),
    now: float | None = None,
) -> dict[str, Any]:
    """A job's live progress as the web pages follow it: stage, k / N points, stages (as
    ``live_stages``), elapsed time and an ETA estimated from the measured point ``times``
    (``queries.point_times``)."""
    return {
        "id": row["id"],
        "status": row["status"],
        "state": job_state(row),
        "domain": row.get("domain"),
        "name": row.get("name"),
        "stage": row.get("stage"),
        "points_done": row.get("points_done") or 0,
        "points_total": row.get("points_total"),
        "points_failed": row.get("points_failed") or 0,
        "stages": [
            {k: s.get(k) for k in ("stage", "status", "exit_code", "started_at", "finished_at")}
            for s in live_stages(row)
        ],
        "started_at": row.get("started_at"),
        "elapsed_s": row.get("elapsed_s") if row.get("status") != "running" else None,
        "eta_s": eta(row, times),
        "eta_points": len(times),
        "resumes": row.get("resumes"),
        "error": row.get("error"),
        "error_stage": row.get("error_stage"),
        "golden": row.get("golden"),
        "face": row.get("face"),
    }


def failed_points(conn: Connection, job: int) -> list[dict[str, Any]]:
    """The job's failed points with the measurements that have no value."""
    return failed_of(jobs.points(conn, job))


def failed_of(pts: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The failed points among ``pts`` (the store's point dicts) with their empty cells."""
    out = []
    for p in pts:
        if p["status"] == "failed":
            bad = sorted(n for n, (_, value) in p["cells"].items() if value is None)
            out.append({"seq": p["seq"], "point": point_text(p), "failed": bad})
    return out


def worst_cases(report: Creport | None) -> list[dict[str, Any]]:
    """Each measurement's min and max over the points and where, and how many failed."""
    return [
        {"name": e.name, "min": e.low, "min_point": e.low_row.label, "max": e.high,
         "max_point": e.high_row.label, "failed": e.failed}
        for e in (extremes(report) if report is not None else [])
    ]  # fmt: skip


def collect(conn: Connection, job: dict[str, Any]) -> dict[str, Any]:
    """Everything show, export and the job page present about a job, as plain data."""
    report = stored_creport(conn, job)
    worst = worst_cases(report)
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


# --- a job's result so far (running, or cancelled before it had one) -------------------------
def results_partial(row: Mapping[str, Any]) -> bool:
    """Whether a job's results are read as partial, from its run directory: while it runs
    (a resume too: the stored result, if any, is an earlier attempt's) and whenever it has
    no stored result (cancelled, failed or interrupted before srt)."""
    return row.get("status") == "running" or (
        row.get("report_header") is None and row.get("status") != "queued"
    )


def _partial_point(i: int, r: Any) -> dict[str, Any]:
    """A partial report row as the store's point dict (``jobs.points``)."""
    levels = (*r.levels, None, None, None)[:3]
    ok = bool(r.cells) and all(c.value is not None for c in r.cells.values())
    status = "ok" if ok else "failed"
    return {
        "seq": i, "corner": r.corner, "extraction": r.extraction, "temperature": r.temperature,
        "v1": levels[0], "v2": levels[1], "v3": levels[2], "swp": r.swp, "status": status,
        "cells": {n: (c.raw, c.value) for n, c in r.cells.items()},
    }  # fmt: skip


def job_limits(row: Mapping[str, Any]) -> dict[str, spec_check.Limit]:
    """The limits a job is judged by, as stored with it (per-corner ones included)."""
    if not row.get("spec_json"):
        return {}
    return spec_check.parse_spec(json.loads(row["spec_json"]))


def _partial_specs(
    row: Mapping[str, Any], report: Creport, pts: Sequence[Mapping[str, Any]], near: float
) -> list[dict[str, Any]]:
    """The job's own limits (as stored with it) judged on the points so far."""
    measured = {n: lim for n, lim in job_limits(row).items() if n in report.names}
    out = spec_check.verdicts(report, measured, near)
    for s in out:
        seq = s.get("worst_seq")
        s["worst_point"] = point_text(pts[seq]) if isinstance(seq, int) else None  # type: ignore[index]
    return out


def partial_view(
    row: Mapping[str, Any],
    workdir: Any,
    sims: Sequence[Mapping[str, Any]],
    near: float,
    tables: CoreTables | None = None,
) -> dict[str, Any]:
    """The job page's tables (``result_view``) for the points finished so far, read from
    the run directory ``workdir`` (None: not readable), marked ``partial``."""
    report = partial_creport(workdir, sims) if workdir is not None else None
    rows = report.rows if report is not None else ()
    pts = [_partial_point(i, r) for i, r in enumerate(rows)]
    data = {
        "worst": worst_cases(report),
        "specs": _partial_specs(row, report, pts, near) if report is not None else [],
        "failed_points": failed_of(pts),
        "failed_simulations": [
            {k: s.get(k) for k in ("name", "status", "reason", "attempts", "elapsed_s")}
            for s in sims
            if s["status"] == "failed"
        ],
    }
    names = list(report.names) if report is not None else []
    view = result_view({**row, "report_names": json.dumps(names)}, data, pts, near, tables)
    done = sum(1 for s in sims if s["status"] in ("ok", "failed"))
    return {**view, "partial": True, "points_done": done, "points_total": len(sims)}


def stored_mc(conn: Connection, job: Mapping[str, Any]) -> dict[str, Any] | None:
    """A stored job's Monte Carlo run as every face shows it (``wkpup show``, the web, the
    HTML export): its settings (``head``: kind, seed, samples per point, at, count), its
    samples, and the statistics against the limits recorded with the job (per-corner
    overrides honoured; ``report.mcsummary.mc_stats``); None for a job without samples."""
    head = mcsamples.mc_header(conn, job["id"])
    if head is None:
        return None
    samples, corners = mcsamples.mc_samples(conn, job["id"])
    spec = spec_check.parse_spec(json.loads(job["spec_json"])) if job.get("spec_json") else {}
    return {
        "head": head,
        "samples": samples,
        "corners": corners,
        "spec": spec,
        "stats": mc_stats(samples, spec, corners),
    }


def mc_yields(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> dict[int, str]:
    """The history's yield column: per job with Monte Carlo samples, its lowest yield over
    the measurements with limits and its interval's lower end (``mcsummary.yield_cell``)."""
    out: dict[int, str] = {}
    for r in rows:
        if mcsamples.mc_header(conn, r["id"]) is None:
            continue
        job = jobs.get_job(conn, r["id"])
        mc = stored_mc(conn, job) if job is not None else None
        out[r["id"]] = yield_cell(mc["stats"]) if mc is not None else ""
    return out
