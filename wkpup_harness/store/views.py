"""What every face shows of a stored job, built once from the store: its result as a
Creport, point labels, the state an engineer should read, spec verdicts, the worst cases
and failed points, and the comparison with a creport file (a golden).

The CLI (``show``, ``export``, ``compare``) and the web server both read jobs through here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import time
from typing import Any

from wkpup_harness.errors import WkpupError
from wkpup_harness.points import label as point_label
from wkpup_harness.results import Cell, Creport, CreportRow, parse_creport
from wkpup_harness.store import db, jobs
from wkpup_harness.store.maintenance import DAY_S

# Big text columns a job listing leaves out (``show --json`` and the job page have them).
BULKY = ("config_text", "report_header")


def stored_creport(conn: sqlite3.Connection, job: dict[str, Any]) -> Creport | None:
    """The job's result as a Creport rebuilt from the store (raw cells as stored), so the
    summary and spec code that read creport files work unchanged on stored jobs."""
    if job.get("report_header") is None:
        return None
    names = tuple(json.loads(job["report_names"] or "[]"))
    header = job["report_header"]
    rows = []
    for p in jobs.points(conn, job["id"]):
        levels = tuple(v for v in (p["v1"], p["v2"], p["v3"]) if v is not None)
        cells = {n: Cell(raw, value) for n, (raw, value) in p["cells"].items()}
        ordered = {n: cells[n] for n in names if n in cells}
        rows.append(
            CreportRow(
                p["corner"], p["extraction"], p["temperature"], levels, p["swp"], ordered,
                p["seq"] + 11, "",
            )
        )  # fmt: skip
    try:
        parsed = parse_creport(header + "\nprocess\textract\ttemp\tv1\n", "stored header")
        title, supply = parsed.title, parsed.supply
    except WkpupError:
        title, supply = header.split("\n", 1)[0], {}
    levels = rows[0].levels if rows else ()
    return Creport(
        title,
        supply,
        tuple(f"v{i}" for i in range(1, len(levels) + 1)),
        names,
        any(r.swp for r in rows),
        tuple(rows),
        header,
    )


def point_text(p: dict[str, Any]) -> str:
    """A stored point as the summary labels it: ``SSG typical -40C max/min swp01``."""
    return point_label(
        p["corner"], p["extraction"], p["temperature"], (p["v1"], p["v2"], p["v3"]), p.get("swp")
    )


def job_state(job: dict[str, Any]) -> str:
    """The status an engineer should read: ``interrupted`` for a job whose driver died, and a
    golden mismatch is never a plain ``completed``."""
    status = job["status"]
    if status == "failed" and job.get("error") == "interrupted":
        status = "interrupted"
    if job.get("golden") == "mismatch":
        status += " (golden mismatch)"
    return status


def strip(job: dict[str, Any]) -> dict[str, Any]:
    """A job without the bulky texts."""
    return {k: v for k, v in job.items() if k not in BULKY}


def spec_results(conn: sqlite3.Connection, job: int) -> list[dict[str, Any]]:
    """The spec verdicts ``record_specs`` stored with the job."""
    return [
        dict(r)
        for r in conn.execute("SELECT * FROM spec_results WHERE job_id = ? ORDER BY name", (job,))
    ]


def failed_points(conn: sqlite3.Connection, job: int) -> list[dict[str, Any]]:
    out = []
    for p in jobs.points(conn, job):
        if p["status"] == "failed":
            bad = sorted(n for n, (_, value) in p["cells"].items() if value is None)
            out.append({"seq": p["seq"], "point": point_text(p), "failed": bad})
    return out


def collect(conn: sqlite3.Connection, job: dict[str, Any]) -> dict[str, Any]:
    """Everything show, export and the job page present about a job, as plain data."""
    from wkpup_harness.report.summary import extremes  # report reads results, not the store

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


def compare_with_creport(
    conn: sqlite3.Connection,
    job: dict[str, Any],
    other: Creport,
    names: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Job vs a creport (a golden): both go into a scratch in-memory store so the comparison
    is exactly ``jobs.compare`` between two stored jobs."""
    report = stored_creport(conn, job)
    if report is None:
        raise WkpupError(f"job {job['id']} has no stored result to compare")
    scratch = db.connect(":memory:")
    try:
        ids = []
        for creport in (report, other):
            with db.write(scratch):
                ident = jobs.insert_job(scratch, domain=job["domain"])
                jobs.insert_result(scratch, ident, creport)
            ids.append(ident)
        return jobs.compare(scratch, ids[0], ids[1], names)
    finally:
        scratch.close()


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
