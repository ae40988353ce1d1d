"""Which run directories belong to which store: two stores of one project (``--db a.db``,
``--db b.db``) share the default run root ``.wkpup/runs`` without colliding.

Each store has an id (``store_id`` in its ``meta`` table, made on first use). The run root
``<runs>`` is *owned* by one store, named in ``<runs>/.wkpup-store``: the first store to run
a job there claims it, as does a store that already has jobs directly under it (a store from
before this file existed keeps its layout). The owner's job N runs in ``<runs>/<N>`` as it
always did; any other store's in ``<runs>/store-<id>/<N>``. A job's run root is recorded
with it, so a resume never depends on this rule.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import sqlite3
from pathlib import Path

from wkpup_harness.perms import restrict_umask
from wkpup_harness.store.db import read, write

MARKER = ".wkpup-store"
STORE_ID = re.compile(r"[0-9a-f]{16}")


def store_id(conn: sqlite3.Connection) -> str:
    """This store's id (16 hex digits), made and kept in ``meta`` on first use."""
    with read(conn):
        row = conn.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()
    if row is not None:
        return str(row[0])
    with write(conn):
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('store_id', ?)",
            (secrets.token_hex(8),),
        )
        return str(conn.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0])


def _owner(runs: Path) -> str | None:
    try:
        text = (runs / MARKER).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if STORE_ID.fullmatch(text) else None


def _has_jobs_at(conn: sqlite3.Connection, runs: Path) -> bool:
    """Whether this store ran a job directly under ``runs`` (the layout before the marker)."""
    with read(conn):
        roots = conn.execute("SELECT run_root FROM jobs WHERE run_root IS NOT NULL").fetchall()
    resolved = runs.resolve()
    return any(Path(r[0]).parent.resolve() == resolved for r in roots)


def _unclaimed_free(runs: Path) -> bool:
    """No job directory of an unknown store directly under ``runs``."""
    try:
        return not any(p.name.isdigit() for p in runs.iterdir())
    except OSError:
        return True


def _claim(runs: Path, ident: str) -> None:
    """Name this store the owner of ``runs`` unless another already is (a run root that
    cannot be written is left alone: preparing the job directory then says why)."""
    restrict_umask()
    with contextlib.suppress(OSError):  # FileExistsError: another store was first
        runs.mkdir(parents=True, exist_ok=True)
        fd = os.open(runs / MARKER, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(ident + "\n")


def run_root(conn: sqlite3.Connection, runs: Path, job_id: int) -> Path:
    """The run root of this store's job ``job_id`` under ``runs`` (see the module's doc)."""
    ident = store_id(conn)
    owner = _owner(runs)
    if owner is None and (_unclaimed_free(runs) or _has_jobs_at(conn, runs)):
        _claim(runs, ident)
        owner = _owner(runs) or ident  # one that cannot be claimed (not writable): as before
    if owner == ident:
        return runs / str(job_id)
    return runs / f"store-{ident}" / str(job_id)
