"""Named queries of the engine and the pytest plugin (no SQL outside ``store/``): the jobs a
pytest controller follows, the job of a crashed xdist worker's item, the unfinished runs of
a job ``--pvt-resume`` may take, what the reaper kills of a job."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from wkpup_harness.store.db import read


def _rows(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
    with read(conn):
        return [dict(r) for r in conn.execute(sql, args)]


def running_pytest_jobs(conn: sqlite3.Connection, since: float) -> list[dict[str, Any]]:
    """Running jobs of the pytest face submitted since ``since``: id, scenario, name, stage,
    points done / total / failed."""
    return _rows(
        conn,
        "SELECT id, scenario, name, stage, points_done, points_total, points_failed"
        " FROM jobs WHERE face = 'pytest' AND status = 'running' AND submitted_at >= ?",
        (since,),
    )


def interrupted_pytest_job(
    conn: sqlite3.Connection, names: Iterable[str], since: float
) -> dict[str, Any] | None:
    """The newest pytest job of one of ``names`` recorded interrupted since ``since``."""
    chosen = tuple(names)
    marks = ", ".join("?" * len(chosen))
    rows = _rows(
        conn,
        "SELECT id, scenario, name, status, error, error_stage, points_done,"
        f" points_total FROM jobs WHERE face = 'pytest' AND name IN ({marks}) AND"
        " error = 'interrupted' AND finished_at >= ? ORDER BY id DESC LIMIT 1",
        (*chosen, since),
    )
    return rows[0] if rows else None


def unfinished_like(
    conn: sqlite3.Connection, scenario: str, name: str, domain: str
) -> list[dict[str, Any]]:
    """Unfinished runs (failed or cancelled, no backup, run by the engine) of the same
    scenario job, newest first: what ``--pvt-resume`` may take."""
    return _rows(
        conn,
        "SELECT * FROM jobs WHERE scenario = ? AND name = ? AND domain = ? AND"
        " status IN ('failed', 'cancelled') AND backup_path IS NULL AND run_root IS NOT NULL"
        " ORDER BY id DESC",
        (scenario, name, domain),
    )


def token_and_root(conn: sqlite3.Connection, job: int) -> tuple[str | None, str | None] | None:
    """(token, run root) of a job, what its processes and Slurm arrays are found by."""
    rows = _rows(conn, "SELECT token, run_root FROM jobs WHERE id = ?", (job,))
    return (rows[0]["token"], rows[0]["run_root"]) if rows else None
