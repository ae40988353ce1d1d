"""A job's result SO FAR, read from its run directory while it runs or after it was
cancelled: the points whose simulation has ended, each read by the one parser of its file
format (``results.read_report`` for a ``report_<point>.txt`` the ext stage wrote, else
``results.read_mt0`` for the point's ``.mt0`` / ``.mt01`` ... measure files), assembled as a
``Creport`` so that worst cases, spec verdicts and plots work on it unchanged.

A finished job's result is the stored one (``store.queries.stored_creport``); this is only
for the points of a job that has none yet (or is running again).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from wkpup_harness.errors import WkpupError
from wkpup_harness.points import Point
from wkpup_harness.results import Cell, Creport, CreportRow, read_mt0, read_report

# The measure files of one point: sim_tx.mt0 (base) and sim_tx.mt01, .mt02 ... (alters).
MT0_FILE = re.compile(r".+\.mt0[0-9]*")
DONE = ("ok", "failed")
PARTIAL_TITLE = "partial result (points finished so far)"


def _report_dirs(workdir: Path) -> list[Path]:
    """Where ext writes a point's report: the job's report/ directory, else (a job stopped
    while its backup was made) the newest backup's."""
    backups = sorted(workdir.glob("00bkp_*/report"))
    return [workdir / "report", *backups[-1:]]


def _from_report(point: Point, dirs: Iterable[Path]) -> list[tuple[str | None, dict[str, Cell]]]:
    for d in dirs:
        path = d / f"report_{point.name}.txt"
        if path.is_file():
            rep = read_report(path)
            alter = len(rep.rows) > 1
            return [(f"alter{i + 1}" if alter else None, dict(zip(rep.names, r, strict=False)))
                    for i, r in enumerate(rep.rows)]  # fmt: skip
    return []


def _from_mt0(point: Point, workdir: Path) -> list[tuple[str | None, dict[str, Cell]]]:
    folder = workdir / point.directory
    if not folder.is_dir():
        return []
    files = sorted(p for p in folder.iterdir() if MT0_FILE.fullmatch(p.name) and p.is_file())
    out = []
    for path in files:
        mt0 = read_mt0(path)
        out.append((mt0.title if len(files) > 1 else None, mt0.row(0)))
    return out


def point_rows(point: Point, workdir: Path) -> list[tuple[str | None, dict[str, Cell]]]:
    """(swp, cells) per value row of one finished point; [] when its files are gone or
    unreadable (a point killed mid-write)."""
    try:
        return _from_report(point, _report_dirs(workdir)) or _from_mt0(point, workdir)
    except (WkpupError, OSError, ValueError):
        return []


def _names(rows: Iterable[CreportRow]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for r in rows:
        seen.update(dict.fromkeys(r.cells))
    return tuple(seen)


def partial_creport(workdir: Path, sims: Iterable[Mapping[str, Any]]) -> Creport | None:
    """The finished points of a job (its ``sims`` records, in order) as a Creport; a failed
    point without measure files is a row without cells (it fails its specs), a point that
    simulated fine but cannot be read now is left out. None: no point to show yet."""
    rows: list[CreportRow] = []
    for s in sims:
        if s["status"] not in DONE:
            continue
        try:
            point = Point.from_vt(s["corner"], s["extraction"], s["temp_token"], s["vt"])
            temperature = point.temperature
        except (ValueError, KeyError):
            continue
        found = point_rows(point, workdir)
        if not found and s["status"] == "ok":
            # Simulated fine, but its files are between places (ext moving them, a cancel
            # mid-move): not readable now is not a failure; it shows once readable.
            continue
        found = found or [(None, {})]
        for swp, cells in found:
            rows.append(
                CreportRow(point.corner, point.extraction, temperature, point.levels,
                           swp, cells, len(rows) + 11, "")
            )  # fmt: skip
    if not rows:
        return None
    levels = rows[0].levels
    return Creport(
        PARTIAL_TITLE,
        {},
        tuple(f"v{i}" for i in range(1, len(levels) + 1)),
        _names(rows),
        any(r.swp for r in rows),
        tuple(rows),
        "",
    )
