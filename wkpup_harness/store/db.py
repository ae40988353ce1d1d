"""Connections to the store and its transactions.

Concurrency model: WAL (readers never block the writer nor each other), every write is
``BEGIN IMMEDIATE`` (the write lock is taken up front, so a transaction never has to upgrade
a stale read snapshot — the one case where SQLite returns SQLITE_BUSY without waiting), and
waiting for the lock is bounded by a busy timeout plus our own retry loop, which turns a
wait that is truly too long into a one-line ``StoreUnavailable`` instead of 'database is
locked'. A full disk (or an I/O error) while writing rolls the transaction back and is a
``StoreUnavailable`` too: the file stays consistent, the caller decides what to stop.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from wkpup_harness.store.schema import StoreError, StoreUnavailable, migrate

BUSY_TIMEOUT_MS = 10_000
# Total patience across retries: a long sweep store or a VACUUM may hold the lock for seconds.
RETRY_DEADLINE_S = 120.0
# Errors after which the store cannot take a write now (full disk, I/O error, read-only file).
UNAVAILABLE_CODES = (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY)


class StoreConnection(sqlite3.Connection):
    """A connection that knows how long its writes may wait for the lock (``wait``)."""

    wait: float = RETRY_DEADLINE_S


def _busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


def _unavailable(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in UNAVAILABLE_CODES
    return "disk is full" in str(exc) or "disk I/O error" in str(exc)


def _wait(conn: sqlite3.Connection) -> float:
    return getattr(conn, "wait", RETRY_DEADLINE_S)


def _retrying(conn: sqlite3.Connection, sql: str, what: str) -> None:
    """Run one statement (BEGIN ..., PRAGMA ...), retrying with jittered backoff while busy."""
    wait = _wait(conn)
    deadline = time.monotonic() + wait
    delay = 0.005
    while True:
        try:
            conn.execute(sql)
            return
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
            if time.monotonic() >= deadline:
                raise StoreUnavailable(
                    f"store busy (locked by another process) for {wait:g} s: {what}"
                ) from None
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.5)


def connect(
    path: Path | str, *, migrate_schema: bool = True, wait: float | None = None
) -> sqlite3.Connection:
    """Open (creating if needed) the store at ``path`` and bring its schema up to date.

    The connection is in autocommit mode: transactions are only those opened by ``write()``
    and ``read()``, so nothing is ever left half-committed by Python's implicit BEGIN.
    ``wait``: seconds a write may wait for another process's lock (default 120; the
    ``store_wait`` setting) before it fails with ``StoreUnavailable``.
    """
    wait = RETRY_DEADLINE_S if wait is None else wait
    busy_ms = max(1, min(BUSY_TIMEOUT_MS, int(wait * 1000)))
    conn = sqlite3.connect(
        str(path),
        timeout=busy_ms / 1000,
        isolation_level=None,
        check_same_thread=False,
        factory=StoreConnection,
    )
    conn.wait = wait  # type: ignore[attr-defined]
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {busy_ms}")
    conn.execute("PRAGMA foreign_keys = ON")
    # Switching to WAL needs a moment of exclusive access on a fresh file: retry, not fail.
    _retrying(conn, "PRAGMA journal_mode = WAL", f"{path}: journal_mode")
    # NORMAL in WAL: a committed transaction survives a process crash; only an OS crash or
    # power loss can drop the last commits, never corrupt the file.
    conn.execute("PRAGMA synchronous = NORMAL")
    if migrate_schema:
        with write(conn):
            migrate(conn)
    return conn


@contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: BEGIN IMMEDIATE (retried while busy), COMMIT, or ROLLBACK on error."""
    if conn.in_transaction:
        raise StoreError("nested store transaction")
    _retrying(conn, "BEGIN IMMEDIATE", "write transaction")
    try:
        yield conn
        _retrying(conn, "COMMIT", "commit")
    except sqlite3.OperationalError as exc:
        _rollback(conn)
        if _unavailable(exc):
            raise StoreUnavailable(f"store cannot be written: {exc}") from None
        raise
    except BaseException:
        _rollback(conn)
        raise


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back what is open (SQLite may already have rolled back, after a full disk)."""
    if conn.in_transaction:
        with suppress(sqlite3.OperationalError):
            conn.execute("ROLLBACK")


@contextmanager
def read(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A read snapshot spanning several SELECTs (a job and its stages seen at one instant).

    Nested inside ``write()`` it simply reuses the write transaction.
    """
    if conn.in_transaction:
        yield conn
        return
    _retrying(conn, "BEGIN DEFERRED", "read transaction")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")
