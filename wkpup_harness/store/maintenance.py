"""Store maintenance: backup, restore, cleanup, vacuum, stats and a content checksum.

Backup and restore both go through SQLite's online backup API, never a file copy: a copy of
a WAL database taken while someone writes can miss the WAL's committed pages, and a file
dropped over a live store would be mixed with the old store's -wal/-shm files.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import struct
import time
from pathlib import Path
from typing import Any

from wkpup_harness.inputs import output_target
from wkpup_harness.store.db import connect, write
from wkpup_harness.store.schema import APPLICATION_ID, LATEST, TERMINAL_STATUSES, StoreError

DAY_S = 86_400.0


def backup(conn: sqlite3.Connection, dest: Path | str) -> Path:
    """A consistent snapshot of the open store written to ``dest`` (replaced atomically)."""
    dest = output_target(dest, "backup file")
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        out = sqlite3.connect(str(tmp))
        try:
            conn.backup(out)
            # A single self-contained file: no -wal next to the backup to forget.
            out.execute("PRAGMA journal_mode = DELETE")
        finally:
            out.close()
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def _check_backup(src: Path) -> sqlite3.Connection:
    if not src.is_file():
        raise StoreError(f"{src}: no such backup file")
    # as_uri(): a '?' or '#' in the file's name stays part of the name, never a parameter.
    conn = sqlite3.connect(f"{src.resolve().as_uri()}?mode=ro", uri=True)
    try:
        app = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        ok = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{src}: not a store backup ({exc})") from None
    problem = None
    if app != APPLICATION_ID:
        problem = "not a wkpup store"
    elif version > LATEST:
        problem = f"schema version {version} is newer than this harness ({LATEST})"
    elif ok != "ok":
        problem = f"damaged ({ok})"
    if problem:
        conn.close()
        raise StoreError(f"{src}: {problem}")
    return conn


def restore(src: Path | str, path: Path | str) -> None:
    """Replace the store at ``path`` (existing or not) by the backup ``src``.

    The backup is checked first (ours, not newer, not damaged), then copied in by the backup
    API as one write transaction: readers see the old store or the new one, never a mix.
    An older backup is migrated to the current schema afterwards.
    """
    source = _check_backup(Path(src))
    try:
        target = connect(path, migrate_schema=False)
        try:
            # backup() itself waits (sleep and retry) while a writer holds the target.
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()
    connect(path).close()  # migrate an older backup


def cleanup(
    conn: sqlite3.Connection,
    older_than_days: float,
    *,
    now: float | None = None,
    runs: Path | None = None,
) -> int:
    """Delete finished jobs submitted more than N days ago (their stages, points,
    measurements and spec results go with them); queued and running jobs are kept. With
    ``runs`` (the run root), their run directories below it are removed too; a recorded
    path outside it is never touched."""
    cutoff = (time.time() if now is None else now) - older_than_days * DAY_S
    marks = ", ".join("?" * len(TERMINAL_STATUSES))
    where = f"submitted_at < ? AND status IN ({marks})"
    with write(conn):
        roots = [
            r[0]
            for r in conn.execute(
                f"SELECT run_root FROM jobs WHERE {where} AND run_root IS NOT NULL",
                (cutoff, *TERMINAL_STATUSES),
            )
        ]
        cur = conn.execute(f"DELETE FROM jobs WHERE {where}", (cutoff, *TERMINAL_STATUSES))
    if runs is not None:
        base = runs.resolve()
        for root in roots:
            path = Path(root).resolve()
            if path.parent == base and path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
    return cur.rowcount


def vacuum(conn: sqlite3.Connection) -> None:
    """Give the space of deleted rows back to the file system and refresh planner stats."""
    conn.execute("VACUUM")
    conn.execute("PRAGMA optimize")
    # Fold the WAL back in so the file size stats reports is the real one.
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def tables(conn: sqlite3.Connection) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
    ]


def stats(conn: sqlite3.Connection) -> dict[str, Any]:
    """Row count per table, schema version and bytes on disk (database + WAL)."""
    counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables(conn)}
    file = conn.execute("PRAGMA database_list").fetchone()[2]
    size = wal = 0
    if file:
        size = os.path.getsize(file)
        wal = os.path.getsize(file + "-wal") if os.path.exists(file + "-wal") else 0
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    return {"rows": counts, "version": version, "file_bytes": size, "wal_bytes": wal}


def _encode(value: Any) -> bytes:
    """Type-tagged, exact encoding: 1 and 1.0 and '1' differ, floats by their bits."""
    if value is None:
        return b"N"
    if isinstance(value, int):
        return b"I" + str(value).encode() + b";"
    if isinstance(value, float):
        return b"R" + struct.pack("<d", value)
    if isinstance(value, bytes):
        return b"B" + str(len(value)).encode() + b":" + value
    text = str(value).encode("utf-8")
    return b"T" + str(len(text)).encode() + b":" + text


def checksum(conn: sqlite3.Connection) -> str:
    """SHA-256 over the schema and every row of every table, tables by name and rows in the
    order of all their columns — equal for two stores exactly when their content is."""
    h = hashlib.sha256()
    h.update(str(conn.execute("PRAGMA user_version").fetchone()[0]).encode())
    for table in tables(conn):
        sql = conn.execute(
            "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()[0]
        h.update(b"\0table\0" + table.encode() + b"\0" + sql.encode())
        ncols = len(conn.execute(f'SELECT * FROM "{table}" LIMIT 0').description)
        order = ", ".join(str(i) for i in range(1, ncols + 1))
        for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY {order}'):
            h.update(b"\0row")
            for value in row:
                h.update(_encode(value))
    return h.hexdigest()
