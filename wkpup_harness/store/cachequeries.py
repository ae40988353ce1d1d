"""The store's record of the result cache (docs/cache.md): which points of a job were copied
from the cache instead of simulated (``sims.reused``, schema V6)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from wkpup_harness.store.db import read, write


def mark_reused(conn: sqlite3.Connection, job: int, name: str) -> None:
    """The point ``name`` of ``job`` was reused from the cache, not simulated."""
    with write(conn):
        conn.execute("UPDATE sims SET reused = 1 WHERE job_id = ? AND name = ?", (job, name))


def reused_count(conn: sqlite3.Connection, job: int) -> int:
    """How many points of ``job`` were reused from the cache."""
    with read(conn):
        row = conn.execute(
            "SELECT count(*) FROM sims WHERE job_id = ? AND reused = 1", (job,)
        ).fetchone()
    return int(row[0])


def reused_of(conn: sqlite3.Connection, job_ids: Sequence[int]) -> tuple[int, int]:
    """(points reused, points) over ``job_ids`` (a pytest session's jobs)."""
    if not job_ids:
        return 0, 0
    marks = ", ".join("?" * len(job_ids))
    with read(conn):
        row = conn.execute(
            f"SELECT coalesce(sum(reused), 0), count(*) FROM sims WHERE job_id IN ({marks})",
            tuple(job_ids),
        ).fetchone()
    return int(row[0]), int(row[1])
