"""Import a real backup (``00bkp_<YYYYMMDDHHMM>/`` or a bare ``creport.txt``) as a completed job.

The backup holds no config copy and no run times (contract §5 bkp), so the job's submitted,
started and finished times are all the 12-digit stamp (local time, as ``date`` wrote it),
its elapsed time is unknown, and a config is stored only when the caller gives one.

All or nothing: :func:`load_import` reads and checks the whole backup (every file, every
cell, symlinks, FIFOs; ``results.check_creport`` / ``check_reports``) before the store is
even opened, and :func:`store_import` writes it in one transaction.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wkpup_harness.errors import ResultError
from wkpup_harness.results import (
    BACKUP_NAME,
    KNOWN_EXTRACTIONS,
    Creport,
    Report,
    check_creport,
    read_backup,
    read_creport,
)
from wkpup_harness.store.db import write
from wkpup_harness.store.jobs import PointPaths, insert_job, insert_result
from wkpup_harness.store.schema import StoreError


def stamp_time(stamp: str) -> float:
    """POSIX time of a ``YYYYMMDDHHMM`` backup stamp, read as local time."""
    try:
        return time.mktime(time.strptime(stamp, "%Y%m%d%H%M"))
    except ValueError:
        raise ResultError(f"backup stamp {stamp!r} is not a valid YYYYMMDDHHMM time") from None


def _backup_dir(path: Path) -> Path | None:
    """The ``00bkp_*`` directory a path is or lies in (``00bkp_x/report/creport.txt``)."""
    for candidate in (path, *path.parents):
        if BACKUP_NAME.fullmatch(candidate.name):
            return candidate
    return None


def derive_domain(backup: Path | None, creport: Path) -> str:
    """``gpio/1p1v`` for ``.../gpio/1p1v/00bkp_*``: the domain is the backup's parent dir,
    named like the real ones by its last two path components."""
    home = backup.parent if backup is not None else creport.parent
    return "/".join(home.parts[-2:]) or "."


def _point_paths(backup: Path, reports: Mapping[str, Report]) -> dict[str, PointPaths]:
    """Per point stem: its ``report/report_<stem>.txt`` and, for the TT typical points whose
    testbench bkp kept (``tb_bkp/<ex>_<Ttok>/<vt>/*.sp``), that netlist."""
    paths: dict[str, PointPaths] = {}
    for stem, report in reports.items():
        point = report.point
        netlist = None
        if point is not None and (point.corner, point.extraction) == ("TT", "typical"):
            tb = backup / "tb_bkp" / f"{point.extraction}_{point.temp_token}" / point.vt
            sp = sorted(tb.glob("*.sp")) if tb.is_dir() else []
            netlist = str(sp[0]) if sp else None
        paths[stem] = PointPaths(
            netlist=netlist, report=str(backup / "report" / f"report_{stem}.txt")
        )
    return paths


@dataclass(frozen=True)
class Importable:
    """A backup (or bare creport) read and checked, ready to be stored."""

    backup: Path | None
    creport: Creport
    creport_path: Path
    point_paths: Mapping[str, PointPaths]
    when: float  # the backup's stamp (or the loose creport's file time)

    @property
    def where(self) -> str:
        return str(self.backup if self.backup is not None else self.creport_path)


def load_import(
    path: Path | str,
    *,
    corners: Iterable[str] | None = None,
    extractions: Iterable[str] = KNOWN_EXTRACTIONS,
) -> Importable:
    """Read and check everything an import would store; touches no store. ``corners`` and
    ``extractions`` are the core's tables (a row naming another corner is refused)."""
    path = Path(path).resolve()
    extractions = tuple(extractions)
    if path.is_dir():
        if BACKUP_NAME.fullmatch(path.name) is None:
            raise ResultError(f"{path}: a backup directory is named 00bkp_<YYYYMMDDHHMM>")
        data = read_backup(path, extractions, corners=corners)
        backup: Path | None = path
        creport, creport_path = data.creport, path / "report" / "creport.txt"
        point_paths = _point_paths(path, data.reports)
    elif path.exists():
        backup = _backup_dir(path.parent)
        creport, creport_path = read_creport(path), path
        check_creport(creport, str(path), corners=corners, extractions=extractions)
        point_paths = {}
    else:
        raise ResultError(f"{path}: no such backup directory or creport.txt")
    stamp = BACKUP_NAME.fullmatch(backup.name) if backup is not None else None
    # A loose creport.txt has no stamp: its file time is the best guess of when it ran.
    when = stamp_time(stamp.group(1)) if stamp else path.stat().st_mtime
    return Importable(backup, creport, creport_path, point_paths, when)


def store_import(
    conn: sqlite3.Connection,
    item: Importable,
    *,
    domain: str | None = None,
    scenario: str | None = None,
    name: str | None = None,
    user: str | None = None,
    config_text: str | None = None,
    allow_duplicate: bool = False,
) -> int:
    """Store a checked import as one completed job (one transaction) and return its id.

    A backup already imported (same resolved path) is refused unless ``allow_duplicate``.
    """
    backup, creport_path, when, where = item.backup, item.creport_path, item.when, item.where
    # Job, result and 'completed' status land in one transaction: an import that fails
    # half-way leaves nothing behind, never a completed job with some of its points.
    with write(conn):
        if not allow_duplicate:
            old = conn.execute("SELECT id FROM jobs WHERE backup_path = ?", (where,)).fetchone()
            if old is not None:
                raise StoreError(f"{where}: already imported as job {old[0]}")
        job = insert_job(
            conn,
            domain=domain or derive_domain(backup, creport_path),
            scenario=scenario,
            name=name or (backup.name if backup else creport_path.name),
            user=user,
            config_text=config_text,
            work_path=str((backup or creport_path).parent),
            backup_path=where,
            submitted_at=when,
        )
        insert_result(conn, job, item.creport, item.point_paths)
        conn.execute(
            "UPDATE jobs SET status = 'completed', started_at = ?, finished_at = ? WHERE id = ?",
            (when, when, job),
        )
    return job


def import_backup(
    conn: sqlite3.Connection,
    path: Path | str,
    *,
    corners: Iterable[str] | None = None,
    extractions: Iterable[str] = KNOWN_EXTRACTIONS,
    **options: Any,
) -> int:
    """:func:`load_import` then :func:`store_import` (``options``: its keywords): the backup
    or creport at ``path`` as one completed job; its id."""
    item = load_import(path, corners=corners, extractions=extractions)
    return store_import(conn, item, **options)
