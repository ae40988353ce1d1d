"""Jobs, their stages and their results in the store.

Every function takes an open connection (``db.connect``) and does its writes in one
``db.write()`` transaction; reads that touch several tables run in one ``db.read()`` snapshot.
Times are POSIX seconds (float, UTC-based) so ranges and cleanups are plain comparisons.
"""

from __future__ import annotations

import getpass
import json
import math
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wkpup_harness.core import procs
from wkpup_harness.core.stage import STAGE_ORDER
from wkpup_harness.results import Creport
from wkpup_harness.store.db import read, write
from wkpup_harness.store.schema import (
    JOB_STATUSES,
    STAGE_STATUSES,
    TERMINAL_STATUSES,
    StoreError,
)

INTERRUPTED = "interrupted"
# Stages sort in pipeline order (gen run chk ext srt mc bkp usr_script), never by name; a stage
# the core does not know sorts last.
STAGE_RANK = (
    "CASE stage "
    + " ".join(f"WHEN '{name}' THEN {i}" for i, name in enumerate(STAGE_ORDER))
    + f" ELSE {len(STAGE_ORDER)} END"
)
# history() leaves out the big text columns (config, report header): a dashboard list
# of 100 jobs should not drag 100 config files along.
HISTORY_COLUMNS = (
    "id, status, submitted_at, started_at, finished_at, elapsed_s, user, domain, scenario, "
    "name, simulator, n_points, n_failed_points, error, error_stage, backup_path, face, "
    "golden, stage, points_done, points_total, resumes, spec_verdict"
)


@dataclass(frozen=True)
class PointPaths:
    netlist: str | None = None
    mt0: str | None = None
    report: str | None = None


def parse_config_keys(text: str) -> list[tuple[int, str, str]]:
    """(line, key, value) of every ``key:value`` line; the value is everything after the
    first ':' (so ``custom:FSG SFG`` stays whole), kept raw with any leading space."""
    keys = []
    for number, line in enumerate(text.split("\n"), start=1):
        key, sep, value = line.partition(":")
        if sep:
            keys.append((number, key, value))
    return keys


def current_user() -> str:
    """The login name recorded with a job ("unknown" where the system cannot tell)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


# --- process liveness (for interrupted jobs) ---------------------------------------------------
def process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (clock ticks since boot), to tell a reused pid."""
    fields = procs.stat(pid)
    return fields[19] if fields and len(fields) > 19 else None


def process_alive(pid: int, start: str | None = None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    fields = procs.stat(pid)
    if fields is None:
        return True  # no /proc: trust kill(0)
    if fields[0] in ("Z", "X"):
        return False  # killed, waiting to be reaped
    return start is None or process_start(pid) == start


# --- jobs --------------------------------------------------------------------------------------
def create_job(conn: sqlite3.Connection, **fields: Any) -> int:
    """A new job in status 'queued', with its config text and parsed keys; returns its id.

    Keyword fields: see ``insert_job``.
    """
    with write(conn):
        return insert_job(conn, **fields)


def insert_job(
    conn: sqlite3.Connection,
    *,
    domain: str,
    scenario: str | None = None,
    name: str | None = None,
    user: str | None = None,
    config_text: str | None = None,
    core_path: str | None = None,
    manifest_hash: str | None = None,
    simulator: str | None = None,
    simulator_version: str | None = None,
    work_path: str | None = None,
    backup_path: str | None = None,
    submitted_at: float | None = None,
) -> int:
    """``create_job`` inside the caller's write transaction."""
    keys = parse_config_keys(config_text) if config_text is not None else []
    if simulator is None:
        simulator = next((v for _, k, v in keys if k == "simulator"), None)
    cur = conn.execute(
        "INSERT INTO jobs (status, submitted_at, user, domain, scenario, name, core_path,"
        " manifest_hash, simulator, simulator_version, config_text, work_path, backup_path)"
        " VALUES ('queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            time.time() if submitted_at is None else submitted_at,
            user,
            domain,
            scenario,
            name,
            core_path,
            manifest_hash,
            simulator,
            simulator_version,
            config_text,
            work_path,
            backup_path,
        ),
    )
    job = int(cur.lastrowid or 0)
    conn.executemany(
        "INSERT INTO config_keys (job_id, line, key, value) VALUES (?, ?, ?, ?)",
        [(job, line, key, value) for line, key, value in keys],
    )
    return job


def _status(conn: sqlite3.Connection, job: int) -> sqlite3.Row:
    row = conn.execute("SELECT status, started_at FROM jobs WHERE id = ?", (job,)).fetchone()
    if row is None:
        raise StoreError(f"no job {job}")
    return row


def mark_running(
    conn: sqlite3.Connection,
    job: int,
    *,
    started_at: float | None = None,
    pid: int | None = None,
    host: str | None = None,
) -> None:
    """queued -> running, recording which process runs it (default: this one)."""
    pid = os.getpid() if pid is None else pid
    with write(conn):
        status = _status(conn, job)["status"]
        if status != "queued":
            raise StoreError(f"job {job} is {status}, not queued")
        conn.execute(
            "UPDATE jobs SET status = 'running', started_at = ?, pid = ?, host = ?,"
            " pid_start = ? WHERE id = ?",
            (
                time.time() if started_at is None else started_at,
                pid,
                socket.gethostname() if host is None else host,
                process_start(pid),
                job,
            ),
        )


# Columns a caller may fill in after creating the job (the harness's controller creates the
# row when an item starts and learns the rest when its report arrives).
UPDATABLE = (
    "domain", "scenario", "name", "user", "core_path", "manifest_hash", "simulator",
    "simulator_version", "work_path", "backup_path", "started_at", "face", "token",
    "run_root", "log_path", "corners", "temperatures", "stages_planned", "points_total",
    "spec_json",
)  # fmt: skip


def update_job(conn: sqlite3.Connection, job: int, **fields: Any) -> None:
    """Fill in descriptive columns of a job that is not finished; ``config_text`` also
    replaces the parsed config keys. None values are ignored."""
    config_text = fields.pop("config_text", None)
    bad = sorted(set(fields) - set(UPDATABLE))
    if bad:
        raise StoreError(f"cannot update {', '.join(bad)}; allowed: {', '.join(UPDATABLE)}")
    values = {k: v for k, v in fields.items() if v is not None}
    with write(conn):
        status = _status(conn, job)["status"]
        if status in TERMINAL_STATUSES:
            raise StoreError(f"job {job} is already {status}")
        if values:
            assignments = ", ".join(f"{k} = ?" for k in values)  # names checked above
            conn.execute(f"UPDATE jobs SET {assignments} WHERE id = ?", (*values.values(), job))
        if config_text is not None:
            conn.execute("UPDATE jobs SET config_text = ? WHERE id = ?", (config_text, job))
            conn.execute("DELETE FROM config_keys WHERE job_id = ?", (job,))
            conn.executemany(
                "INSERT INTO config_keys (job_id, line, key, value) VALUES (?, ?, ?, ?)",
                [(job, line, key, value) for line, key, value in parse_config_keys(config_text)],
            )


def record_stage(
    conn: sqlite3.Connection,
    job: int,
    stage: str,
    status: str,
    *,
    started_at: float | None = None,
    finished_at: float | None = None,
    exit_code: int | None = None,
    log_path: str | None = None,
    cpu_s: float | None = None,
    max_rss_kib: int | None = None,
) -> None:
    """Insert or update one stage; fields left None keep their earlier value."""
    if status not in STAGE_STATUSES:
        raise StoreError(f"stage status {status!r}; allowed: {', '.join(STAGE_STATUSES)}")
    with write(conn):
        _status(conn, job)
        conn.execute(
            "INSERT INTO stages (job_id, stage, status, started_at, finished_at, exit_code,"
            " log_path, cpu_s, max_rss_kib) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (job_id, stage) DO UPDATE SET status = excluded.status,"
            " started_at = coalesce(excluded.started_at, started_at),"
            " finished_at = coalesce(excluded.finished_at, finished_at),"
            " exit_code = coalesce(excluded.exit_code, exit_code),"
            " log_path = coalesce(excluded.log_path, log_path),"
            " cpu_s = coalesce(excluded.cpu_s, cpu_s),"
            " max_rss_kib = coalesce(excluded.max_rss_kib, max_rss_kib)",
            (job, stage, status, started_at, finished_at, exit_code, log_path, cpu_s, max_rss_kib),
        )


def _finish(
    conn: sqlite3.Connection,
    job: int,
    status: str,
    error: str | None,
    error_stage: str | None,
    finished_at: float | None,
) -> None:
    if status not in TERMINAL_STATUSES:
        raise StoreError(f"final status {status!r}; allowed: {', '.join(TERMINAL_STATUSES)}")
    row = _status(conn, job)
    if row["status"] in TERMINAL_STATUSES:
        # Keeps an interrupted job from being 'completed' later by a process presumed dead.
        raise StoreError(f"job {job} is already {row['status']}")
    end = time.time() if finished_at is None else finished_at
    elapsed = None if row["started_at"] is None else end - row["started_at"]
    conn.execute(
        "UPDATE jobs SET status = ?, finished_at = ?, elapsed_s = ?, error = ?, error_stage = ?"
        " WHERE id = ?",
        (status, end, elapsed, error, error_stage, job),
    )
    # A stage still marked running ended with its job.
    stage_status = "completed" if status == "completed" else status
    conn.execute(
        "UPDATE stages SET status = ?, finished_at = coalesce(finished_at, ?)"
        " WHERE job_id = ? AND status IN ('queued', 'running')",
        (stage_status, end, job),
    )


def finish_job(
    conn: sqlite3.Connection,
    job: int,
    status: str,
    *,
    error: str | None = None,
    error_stage: str | None = None,
    finished_at: float | None = None,
) -> None:
    """running/queued -> completed | failed | cancelled (a terminal job is never changed)."""
    with write(conn):
        _finish(conn, job, status, error, error_stage, finished_at)


def _running_stage(conn: sqlite3.Connection, job: int) -> str | None:
    row = conn.execute(
        "SELECT stage FROM stages WHERE job_id = ? AND status = 'running'"
        " ORDER BY started_at DESC LIMIT 1",
        (job,),
    ).fetchone()
    return None if row is None else row["stage"]


def mark_interrupted(conn: sqlite3.Connection, job: int, *, stage: str | None = None) -> bool:
    """A job whose process died: failed, error 'interrupted', error_stage the stage that was
    running. Returns False (and changes nothing) if the job had already ended."""
    with write(conn):
        if _status(conn, job)["status"] in TERMINAL_STATUSES:
            return False
        stage = stage or _running_stage(conn, job)
        _finish(conn, job, "failed", INTERRUPTED, stage, None)
    return True


def reap_interrupted(conn: sqlite3.Connection) -> list[int]:
    """Mark interrupted every 'running' job of this host whose process is gone.

    Jobs of other hosts cannot be checked from here and are left as they are.
    """
    rows = conn.execute(
        "SELECT id, pid, pid_start FROM jobs WHERE status = 'running' AND host = ?",
        (socket.gethostname(),),
    ).fetchall()
    dead = [
        r["id"]
        for r in rows
        if r["pid"] is not None and not process_alive(r["pid"], r["pid_start"])
    ]
    return [job for job in dead if mark_interrupted(conn, job)]


# --- results -----------------------------------------------------------------------------------
def insert_result(
    conn: sqlite3.Connection,
    job: int,
    creport: Creport,
    point_paths: Mapping[str, PointPaths] | None = None,
) -> tuple[int, int]:
    """Insert all points and cells of ``creport`` (inside the caller's write transaction).

    Returns (points, failed points). A cell's raw text is stored as written; its value is
    NULL when the text is not a number ('failed'). Missing trailing cells are not invented.
    """
    paths = point_paths or {}
    n_names = len(creport.names)
    points = []
    cells = []
    failed = 0
    for seq, row in enumerate(creport.rows):
        if len(row.levels) > 3:
            raise StoreError(f"creport line {row.line}: {len(row.levels)} supply levels (max 3)")
        levels = (*row.levels, None, None, None)[:3]
        bad = len(row.cells) != n_names or any(c.value is None for c in row.cells.values())
        failed += bad
        p = paths.get(row.point.stem, PointPaths())
        points.append(
            (job, seq, row.corner, row.extraction, row.temperature, *levels, row.swp,
             "failed" if bad else "ok", p.netlist, p.mt0, p.report)
        )  # fmt: skip
        cells.extend((job, seq, name, c.value, c.raw) for name, c in row.cells.items())
    conn.executemany(
        "INSERT INTO points (job_id, seq, corner, extraction, temperature, v1, v2, v3, swp,"
        " status, netlist_path, mt0_path, report_path) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        points,
    )
    conn.executemany(
        "INSERT INTO measurements (job_id, seq, name, value, raw) VALUES (?, ?, ?, ?, ?)", cells
    )
    header = "\n".join(creport.text.split("\n")[:9])
    conn.execute(
        "UPDATE jobs SET report_header = ?, report_names = ?, n_points = ?, n_failed_points = ?"
        " WHERE id = ?",
        (header, json.dumps(list(creport.names)), len(points), failed, job),
    )
    return len(points), failed


def store_result(
    conn: sqlite3.Connection,
    job: int,
    creport: Creport,
    point_paths: Mapping[str, PointPaths] | None = None,
    *,
    status: str | None = None,
    error: str | None = None,
    error_stage: str | None = None,
    backup_path: str | None = None,
) -> tuple[int, int]:
    """Store a job's whole result in ONE transaction, replacing any earlier one; with
    ``status`` the job is finished in that same transaction, so a reader sees either a
    running job without result or a finished job with all of it — never half."""
    with write(conn):
        current = _status(conn, job)["status"]
        if current in TERMINAL_STATUSES:
            raise StoreError(f"job {job} is already {current}")
        conn.execute("DELETE FROM points WHERE job_id = ?", (job,))
        counts = insert_result(conn, job, creport, point_paths)
        if backup_path is not None:
            conn.execute("UPDATE jobs SET backup_path = ? WHERE id = ?", (backup_path, job))
        if status is not None:
            _finish(conn, job, status, error, error_stage, None)
    return counts


SPEC_COLUMNS = (
    "name", "lo", "hi", "status", "n_points", "n_fail", "worst_value", "worst_seq", "verdict",
    "margin",
)  # fmt: skip


def record_specs(
    conn: sqlite3.Connection,
    job: int,
    verdicts: Iterable[Mapping[str, Any]],
    job_verdict: str | None = None,
) -> None:
    """Store spec verdicts as ``spec.verdicts`` computed them (one checker for every face:
    per-corner overrides and failed cells are its business, not the store's), and the job's
    one spec verdict (``spec.job_verdict``)."""
    with write(conn):
        for v in verdicts:
            conn.execute(
                f"INSERT OR REPLACE INTO spec_results (job_id, {', '.join(SPEC_COLUMNS)})"
                f" VALUES (?{',?' * len(SPEC_COLUMNS)})",
                (job, *(v.get(c) for c in SPEC_COLUMNS)),
            )
        conn.execute("UPDATE jobs SET spec_verdict = ? WHERE id = ?", (job_verdict, job))


# --- the engine's live records -----------------------------------------------------------------
FINISHED_SIM = ("ok", "failed")  # the statuses points_done counts


def plan_sims(conn: sqlite3.Connection, job: int, points: Iterable[Any]) -> None:
    """One 'pending' row per PVT point the job simulates (kept on resume)."""
    with write(conn):
        conn.executemany(
            "INSERT OR IGNORE INTO sims (job_id, idx, name, corner, extraction, temp_token, vt,"
            " status) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')",
            [
                (job, i, p.name, p.corner, p.extraction, p.temp_token, p.vt)
                for i, p in enumerate(points)
            ],
        )
        # (counted once per job here; record_sim then moves the counters point by point)
        conn.execute(
            "UPDATE jobs SET points_total = (SELECT count(*) FROM sims WHERE job_id = ?1),"
            " points_done = (SELECT count(*) FROM sims WHERE job_id = ?1"
            " AND status IN ('ok', 'failed')),"
            " points_failed = (SELECT count(*) FROM sims WHERE job_id = ?1"
            " AND status = 'failed') WHERE id = ?1",
            (job,),
        )


@dataclass(frozen=True)
class SimOutcome:
    """One point's outcome as the recorder books it (``record_sims``)."""

    name: str
    status: str
    attempts: int = 1
    reason: str | None = None
    elapsed: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    count_attempts: bool = True  # False: a point complete from before a resume
    reused: bool = False  # copied from the result cache, not simulated


def record_sim(conn: sqlite3.Connection, job: int, name: str, status: str, **kw: Any) -> None:
    """One point's outcome in its own transaction (``record_sims`` of one)."""
    record_sims(conn, job, [SimOutcome(name, status, **kw)])


def record_sims(conn: sqlite3.Connection, job: int, outcomes: Sequence[SimOutcome]) -> None:
    """Points' outcomes in one transaction (the recorder's batch); attempts add up over
    resumes. Per point one indexed SELECT and one UPDATE of its row, then the job's progress
    moved once by the points' status transitions: the same statements and rows per point
    whatever the number of points (``tests/test_scale_store.py``)."""
    if not outcomes:
        return
    done = failed = 0
    with write(conn):
        for o in outcomes:
            row = conn.execute(
                "SELECT status FROM sims WHERE job_id = ? AND name = ?", (job, o.name)
            ).fetchone()
            conn.execute(
                "UPDATE sims SET status = ?, attempts = attempts + ?, reason = ?,"
                " elapsed_s = coalesce(?, elapsed_s), started_at = coalesce(?, started_at),"
                " finished_at = coalesce(?, finished_at), reused = max(reused, ?)"
                " WHERE job_id = ? AND name = ?",
                (o.status, o.attempts if o.count_attempts else 0, o.reason or None, o.elapsed,
                 o.started_at, o.finished_at, int(o.reused), job, o.name),
            )  # fmt: skip
            if row is not None:
                done += (o.status in FINISHED_SIM) - (row[0] in FINISHED_SIM)
                failed += (o.status == "failed") - (row[0] == "failed")
        _progress(conn, job, done, failed)


def _progress(conn: sqlite3.Connection, job: int, done: int, failed: int) -> None:
    """points_done counts the points finished (ok or failed), points_failed the failed ones:
    moved by the points' changes of status. A job without counters yet (NULL) is counted
    once."""
    if not (done or failed):
        return
    conn.execute(
        "UPDATE jobs SET"
        " points_done = coalesce(points_done, (SELECT count(*) FROM sims WHERE job_id = ?1"
        " AND status IN ('ok', 'failed')) - ?2) + ?2,"
        " points_failed = coalesce(points_failed, (SELECT count(*) FROM sims WHERE job_id = ?1"
        " AND status = 'failed') - ?3) + ?3 WHERE id = ?1",
        (job, done, failed),
    )


def set_stage(conn: sqlite3.Connection, job: int, stage: str | None) -> None:
    with write(conn):
        conn.execute("UPDATE jobs SET stage = ? WHERE id = ?", (stage, job))


def sims(conn: sqlite3.Connection, job: int) -> list[dict[str, Any]]:
    return [
        dict(r) for r in conn.execute("SELECT * FROM sims WHERE job_id = ? ORDER BY idx", (job,))
    ]


def request_cancel(conn: sqlite3.Connection, job: int) -> str:
    """Ask the job's driver to cancel it; returns the job's status at that moment."""
    with write(conn):
        status = _status(conn, job)["status"]
        if status not in TERMINAL_STATUSES:
            conn.execute(
                "UPDATE jobs SET cancel_requested = ? WHERE id = ? AND cancel_requested IS NULL",
                (time.time(), job),
            )
    return status


def cancel_requested(conn: sqlite3.Connection, job: int) -> bool:
    row = conn.execute("SELECT cancel_requested FROM jobs WHERE id = ?", (job,)).fetchone()
    return row is not None and row[0] is not None


def reopen(conn: sqlite3.Connection, job: int, *, token: str, pid: int | None = None) -> None:
    """A failed, cancelled or interrupted job runs again (resume): status running, this
    process its driver, one more resume; its points and stages are kept."""
    pid = os.getpid() if pid is None else pid
    with write(conn):
        status = _status(conn, job)["status"]
        if status not in ("failed", "cancelled"):
            raise StoreError(
                f"job {job} is {status}; only failed, cancelled or interrupted jobs can be resumed"
            )
        conn.execute(
            "UPDATE jobs SET status = 'running', finished_at = NULL, elapsed_s = NULL,"
            " error = NULL, error_stage = NULL, cancel_requested = NULL, golden = NULL,"
            " resumes = resumes + 1, pid = ?, host = ?, pid_start = ?, token = ?,"
            " started_at = coalesce(started_at, ?) WHERE id = ?",
            (pid, socket.gethostname(), process_start(pid), token, time.time(), job),
        )
        conn.execute(
            "UPDATE sims SET status = 'pending' WHERE job_id = ? AND status IN"
            " ('running', 'cancelled')",
            (job,),
        )


def set_golden(conn: sqlite3.Connection, job: int, verdict: str, path: str | None) -> None:
    """The golden gate's verdict on a job's creport (kept with the job, finished or not)."""
    with write(conn):
        _status(conn, job)
        conn.execute(
            "UPDATE jobs SET golden = ?, golden_path = ? WHERE id = ?", (verdict, path, job)
        )


# --- queries -----------------------------------------------------------------------------------
def get_job(conn: sqlite3.Connection, job: int) -> dict[str, Any] | None:
    """The job row with its stages and parsed config keys, or None."""
    with read(conn):
        row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        out["stages"] = [
            dict(r)
            for r in conn.execute(
                "SELECT stage, status, started_at, finished_at, exit_code, log_path, cpu_s,"
                " max_rss_kib FROM stages"
                f" WHERE job_id = ? ORDER BY {STAGE_RANK}, coalesce(started_at, 1e300)",
                (job,),
            )
        ]
        out["config_keys"] = [
            (r["key"], r["value"])
            for r in conn.execute(
                "SELECT key, value FROM config_keys WHERE job_id = ? ORDER BY line", (job,)
            )
        ]
    return out


def points(conn: sqlite3.Connection, job: int) -> list[dict[str, Any]]:
    """A job's points in report order; ``cells`` maps name -> (raw, value)."""
    with read(conn):
        pts = [
            dict(r, cells={})
            for r in conn.execute("SELECT * FROM points WHERE job_id = ? ORDER BY seq", (job,))
        ]
        by_seq = {p["seq"]: p for p in pts}
        for seq, name, raw, value in conn.execute(
            "SELECT seq, name, raw, value FROM measurements WHERE job_id = ?", (job,)
        ):
            # A store written before imports were checked may hold inf/nan (a `1e999`
            # cell): it reads as no value, its raw text kept.
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            if seq in by_seq:
                by_seq[seq]["cells"][name] = (raw, value)
    return pts


def history(
    conn: sqlite3.Connection,
    *,
    domain: str | None = None,
    status: str | None = None,
    user: str | None = None,
    since: float | None = None,
    scenario: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Newest jobs first, filtered by any of domain, status, user, scenario, submitted >=
    since."""
    if status is not None and status not in JOB_STATUSES:
        raise StoreError(f"job status {status!r}; allowed: {', '.join(JOB_STATUSES)}")
    where = []
    args: list[Any] = []
    for column, value in (
        ("domain", domain), ("status", status), ("user", user), ("scenario", scenario)
    ):  # fmt: skip
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    if since is not None:
        where.append("submitted_at >= ?")
        args.append(since)
    sql = f"SELECT {HISTORY_COLUMNS} FROM jobs"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY submitted_at DESC, id DESC LIMIT ?"
    return [dict(r) for r in conn.execute(sql, (*args, limit))]


def verdict_rows(conn: sqlite3.Connection, ids: Iterable[int]) -> list[dict[str, Any]]:
    """The jobs ``ids`` (in that order; unknown ids left out), each with its spec results
    under ``specs``: what a session's verdict table shows."""
    out = []
    with read(conn):
        for ident in dict.fromkeys(ids):
            row = conn.execute(f"SELECT {HISTORY_COLUMNS} FROM jobs WHERE id = ?", (ident,))
            found = row.fetchone()
            if found is None:
                continue
            job = dict(found)
            job["specs"] = [
                dict(r)
                for r in conn.execute(
                    "SELECT * FROM spec_results WHERE job_id = ? ORDER BY name", (ident,)
                )
            ]
            out.append(job)
    return out


def worst(
    conn: sqlite3.Connection,
    domain: str,
    name: str,
    direction: str = "min",
    *,
    statuses: Iterable[str] = ("completed",),
) -> dict[str, Any] | None:
    """The extreme value of measurement ``name`` over all jobs of ``domain`` (by default the
    completed ones), with its job and PVT point; None when no job has a number for it.
    Ties go to the oldest job and the first point in report order."""
    if direction not in ("min", "max"):
        raise StoreError(f"direction {direction!r}; allowed: min, max")
    statuses = tuple(statuses)
    marks = ", ".join("?" * len(statuses))
    order = "ASC" if direction == "min" else "DESC"
    with read(conn):
        # One index seek per job (see schema: measurements_by_name), then one sort of jobs.
        # MATERIALIZED: otherwise the subquery is flattened and the per-job seek runs twice.
        best = conn.execute(
            "WITH per_job AS MATERIALIZED (SELECT j.id AS job_id,"
            f" (SELECT {direction}(m.value) FROM measurements m"
            "   WHERE m.job_id = j.id AND m.name = ?) AS v"
            f" FROM jobs j WHERE j.domain = ? AND j.status IN ({marks}))"
            f" SELECT job_id, v FROM per_job WHERE v IS NOT NULL ORDER BY v {order}, job_id"
            " LIMIT 1",
            (name, domain, *statuses),
        ).fetchone()
        if best is None:
            return None
        row = conn.execute(
            "SELECT p.*, m.raw, m.value FROM measurements m"
            " JOIN points p ON p.job_id = m.job_id AND p.seq = m.seq"
            " WHERE m.job_id = ? AND m.name = ? AND m.value = ? ORDER BY m.seq LIMIT 1",
            (best["job_id"], name, best["v"]),
        ).fetchone()
    out = dict(row)
    out["name"] = name
    return out


def _point_key(p: Mapping[str, Any]) -> tuple[Any, ...]:
    return (p["corner"], p["extraction"], p["temperature"], p["v1"], p["v2"], p["v3"], p["swp"])


def compare(
    conn: sqlite3.Connection, job_a: int, job_b: int, names: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """Per point and measurement: a, b, delta = b - a and rel = |delta| / max(|a|, |b|).

    Largest first by ``rel``, since the measurements' scales differ by decades (amps vs
    ohms); a cell that is failed or absent on one side has no delta and comes first of all.
    Points are matched by corner, extraction, temperature, levels and swp, not row number.
    """
    wanted = None if names is None else set(names)
    sides = []
    for job in (job_a, job_b):
        cells: dict[tuple[Any, ...], tuple[str, float | None]] = {}
        for p in points(conn, job):
            for name, cell in p["cells"].items():
                if wanted is None or name in wanted:
                    cells[(*_point_key(p), name)] = cell
        sides.append(cells)
    a_cells, b_cells = sides
    out = []
    for key in list(a_cells) + [k for k in b_cells if k not in a_cells]:
        a_raw, a = a_cells.get(key, (None, None))
        b_raw, b = b_cells.get(key, (None, None))
        delta = rel = None
        if a is not None and b is not None:
            delta = b - a
            scale = max(abs(a), abs(b))
            rel = abs(delta) / scale if scale else 0.0
        corner, ex, temp, v1, v2, v3, swp, name = key
        out.append(
            {"corner": corner, "extraction": ex, "temperature": temp, "v1": v1, "v2": v2,
             "v3": v3, "swp": swp, "name": name, "a_raw": a_raw, "a": a, "b_raw": b_raw, "b": b,
             "delta": delta, "rel": rel}
        )  # fmt: skip
    out.sort(key=lambda d: (d["rel"] is not None, -(d["rel"] or 0.0), -abs(d["delta"] or 0.0)))
    return out


def next_queued(conn: sqlite3.Connection, face: str) -> dict[str, Any] | None:
    """The oldest queued job that ``face`` put in the queue (the web server's queue lives
    here: each waiting job is a 'queued' row with its config, subsets and stages)."""
    row = conn.execute(
        "SELECT id FROM jobs WHERE status = 'queued' AND face = ? ORDER BY submitted_at, id"
        " LIMIT 1",
        (face,),
    ).fetchone()
    return None if row is None else get_job(conn, row["id"])
