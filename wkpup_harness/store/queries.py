"""Named queries the faces run (the web server first of all), so no SQL lives outside the
store: each is a plain function of an open connection (``db.connect``) that returns plain
data or a ``results`` type.

What is data access stays here — reading rows, rebuilding a stored result as a ``Creport``,
comparing a job with a creport file through a scratch store; what a face shows of it (states,
point labels, worst cases, tables) is ``report.views``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from wkpup_harness.errors import WkpupError
from wkpup_harness.results import Cell, Creport, CreportRow, parse_creport
from wkpup_harness.store import db, jobs
from wkpup_harness.store.db import read
from wkpup_harness.store.schema import JOB_STATUSES

# The faces' name for an open store, so they need not import sqlite3 to annotate one.
Connection = sqlite3.Connection


@contextmanager
def opened(path: Path | str) -> Iterator[Connection]:
    """A connection to the store at ``path`` for one request, closed after it."""
    conn = db.connect(path)
    try:
        yield conn
    finally:
        conn.close()


def job_counts(conn: Connection) -> dict[str, int]:
    """How many jobs the store holds in each status (every status, zeros included)."""
    with read(conn):
        found = dict(conn.execute("SELECT status, count(*) FROM jobs GROUP BY status").fetchall())
    return {s: int(found.get(s, 0)) for s in JOB_STATUSES}


def spec_results(conn: Connection, job: int) -> list[dict[str, Any]]:
    """The spec verdicts ``jobs.record_specs`` stored with the job, by measurement name."""
    return [
        dict(r)
        for r in conn.execute("SELECT * FROM spec_results WHERE job_id = ? ORDER BY name", (job,))
    ]


def _stored_row(p: dict[str, Any], names: tuple[str, ...]) -> CreportRow:
    levels = tuple(v for v in (p["v1"], p["v2"], p["v3"]) if v is not None)
    cells = {n: Cell(raw, value) for n, (raw, value) in p["cells"].items()}
    ordered = {n: cells[n] for n in names if n in cells}
    return CreportRow(
        p["corner"], p["extraction"], p["temperature"], levels, p["swp"], ordered,
        p["seq"] + 11, "",
    )  # fmt: skip


def stored_creport(conn: Connection, job: dict[str, Any]) -> Creport | None:
    """The job's result as a Creport rebuilt from the store (raw cells as stored), so the
    summary and spec code that read creport files work unchanged on stored jobs."""
    if job.get("report_header") is None:
        return None
    names = tuple(json.loads(job["report_names"] or "[]"))
    header = job["report_header"]
    rows = [_stored_row(p, names) for p in jobs.points(conn, job["id"])]
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


def compare_with_creport(
    conn: Connection,
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


# --- live views (the web's event stream) ---------------------------------------------------------
def point_times(conn: Connection, job: int) -> list[tuple[float, float]]:
    """(started_at, finished_at) of each of the job's simulated points that has ended with
    both times recorded: what an ETA is estimated from (``report.views.eta``)."""
    with read(conn):
        rows = conn.execute(
            "SELECT started_at, finished_at FROM sims WHERE job_id = ? AND status IN"
            " ('ok', 'failed') AND started_at IS NOT NULL AND finished_at IS NOT NULL"
            " ORDER BY started_at",
            (job,),
        ).fetchall()
    return [(float(a), float(b)) for a, b in rows]


def live_jobs(conn: Connection, also: Iterable[int] = ()) -> list[dict[str, Any]]:
    """Every queued or running job (oldest first), then the jobs of ``also`` that are not,
    each as ``jobs.get_job`` returns it (stages included): what the live event stream
    follows — a job it showed running is read once more when it has ended."""
    with read(conn):
        active = [
            int(r[0])
            for r in conn.execute(
                "SELECT id FROM jobs WHERE status IN ('queued', 'running') ORDER BY id"
            )
        ]
    ids = active + sorted(set(also) - set(active))
    return [row for row in (jobs.get_job(conn, i) for i in ids) if row is not None]
