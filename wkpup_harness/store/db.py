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
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from wkpup_harness.errors import show
from wkpup_harness.store.schema import StoreError, StoreUnavailable, migrate, refuse

BUSY_TIMEOUT_MS = 10_000
# Looks at a store file before it is opened (check()).
CHECK_TRIES = 3
# Total patience across retries: a long sweep store or a VACUUM may hold the lock for seconds.
RETRY_DEADLINE_S = 120.0
# Errors after which the store cannot take a write now (full disk, I/O error, read-only file).
UNAVAILABLE_CODES = (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY)


# What the faces name without importing sqlite3 (no sqlite3 outside store/): a connection
# to the store, and any error of the database engine.
Connection = sqlite3.Connection
DatabaseError = sqlite3.Error


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


def check(path: Path | str) -> None:
    """Refuse, before anything is written to it, a store path that cannot be a store: a
    directory, a FIFO or device, a file that is not SQLite, a SQLite file that is not a
    wkpup store, a store of a newer schema. A path that does not exist passes (it will be
    created). Raises StoreError naming the path."""
    path = Path(path)
    name = show(str(path))
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(
            f"{name}: cannot open the store ({show(exc.strerror or str(exc))})"
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise StoreError(f"{name}: is a directory, not a store file")
    if not stat.S_ISREG(st.st_mode):
        raise StoreError(f"{name}: not a regular file (a pipe, device or socket), not a store")
    if st.st_size == 0:
        return  # a new store: sqlite3 takes an empty file as an empty database
    # Looked at through SQLite, never through a file descriptor of our own: closing one would
    # drop the POSIX locks this process's open connections hold on the file (fcntl semantics).
    # Read-only and immutable: the look takes no lock and writes nothing (no journal, no WAL
    # switch, no -shm). A page read while another process checkpoints may come out torn:
    # retried before the file is called a non-store.
    for attempt in range(CHECK_TRIES):
        try:
            current, app, has_tables, size = _look(path)
            break
        except sqlite3.DatabaseError as exc:
            notadb = getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_NOTADB
            if not notadb and attempt == CHECK_TRIES - 1 and _has_wal(path):
                # The file alone is not the database: its last commits (or a checkpoint cut
                # short, by a full disk say) are in the -wal file, which the immutable look
                # cannot read. The real open below reads both and judges.
                return
            if notadb or attempt == CHECK_TRIES - 1:
                raise StoreError(f"{name}: not a wkpup store ({show(str(exc))})") from None
            time.sleep(0.05)
    if size > st.st_size:
        raise StoreError(f"{name}: not a wkpup store (cut short: {st.st_size} of {size} bytes)")
    try:
        refuse(current, app, has_tables)
    except StoreError as exc:
        raise StoreError(f"{name}: {exc}") from None


def _has_wal(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    try:
        return wal.stat().st_size > 0
    except OSError:
        return False


def _look(path: Path) -> tuple[int, int, bool, int]:
    """user_version, application_id, whether it has tables, and the size its header claims."""
    ro = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        current = ro.execute("PRAGMA user_version").fetchone()[0]
        app = ro.execute("PRAGMA application_id").fetchone()[0]
        tables = current == 0 and ro.execute("SELECT 1 FROM sqlite_schema").fetchone() is not None
        pages = ro.execute("PRAGMA page_count").fetchone()[0]
        page_size = ro.execute("PRAGMA page_size").fetchone()[0]
        return current, app, tables, pages * page_size
    finally:
        ro.close()


def schema_ids(path: Path | str) -> tuple[int, int]:
    """(application_id, user_version) of the SQLite file at ``path``, read-only (nothing is
    created or written); raises DatabaseError when it is not a SQLite database."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        app = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
    return app, version


def connect(
    path: Path | str, *, migrate_schema: bool = True, wait: float | None = None
) -> sqlite3.Connection:
    """Open (creating if needed) the store at ``path`` and bring its schema up to date.

    The connection is in autocommit mode: transactions are only those opened by ``write()``
    and ``read()``, so nothing is ever left half-committed by Python's implicit BEGIN.
    What cannot be a store (see :func:`check`) or cannot be opened is a one-line StoreError
    naming the path. ``wait``: seconds a write may wait for another process's lock (default
    120; the ``store_wait`` setting) before it fails with ``StoreUnavailable``.
    """
    check(path)
    try:
        return _open(path, migrate_schema, wait)
    except sqlite3.OperationalError as exc:
        if _busy(exc):
            raise
        raise StoreError(f"{show(str(path))}: cannot open the store ({show(str(exc))})") from None
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{show(str(path))}: not a wkpup store ({show(str(exc))})") from None


def _open(path: Path | str, migrate_schema: bool, wait: float | None) -> sqlite3.Connection:
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
