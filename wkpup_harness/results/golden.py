"""Golden creport.txt files: the bit-identical gate.

A job's creport must equal its golden byte for byte. When it does not, the difference is
told the way an engineer reads a corner report: which PVT rows changed, and in them which
measurements, old -> new; plus header (supply condition) lines, and rows gained or lost.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from wkpup_harness.errors import WkpupError
from wkpup_harness.inputs import echo, write_output
from wkpup_harness.points import label as point_label
from wkpup_harness.results import Creport, CreportRow, parse_creport

GOLDEN_NAME = "creport.txt"
MC_GOLDEN_NAME = "mcreport.txt"  # a Monte Carlo job's samples (docs/montecarlo.md), beside it
OBTAINED_SUFFIX = ".obtained"  # creport.txt.obtained beside the golden, for review


def golden_path(golden_root: Path, scenario: str, job: str, name: str = GOLDEN_NAME) -> Path:
    """``<golden root>/<scenario>/<job>/creport.txt``. The names come from scenario files
    and the store: the scenario is a relative path (``gpio/wkpup_1p8v``) and the job one
    name, each part a plain name, so that no name makes the gate read or (on update) write
    a file outside the golden root."""
    parts = scenario.split("/")
    for what, names in (("scenario", parts), ("job", [job])):
        if any(n in ("", ".", "..") or "\\" in n or "\0" in n for n in names) or (
            what == "job" and "/" in job
        ):
            shown = scenario if what == "scenario" else job
            raise WkpupError(
                f"{what} name {echo(shown)}: not usable as a golden directory name "
                "(plain names only: no '..', '.', empty part, backslash or NUL"
                + (", no '/')" if what == "job" else ")")
            )
    return golden_root.joinpath(*parts, job, name)


@dataclass(frozen=True)
class GoldenDiff:
    lines: tuple[str, ...]

    def describe(self, limit: int = 40) -> str:
        shown = list(self.lines[:limit])
        if len(self.lines) > limit:
            shown.append(f"... and {len(self.lines) - limit} more differences")
        return "\n".join(shown)


def _row_key(row: CreportRow) -> tuple[str, ...]:
    return (row.corner, row.extraction, str(row.temperature), *row.levels, row.swp or "")


def _label(row: CreportRow) -> str:
    """``TT typical -40C v1=min v2=max``: corner, extraction, temperature, each voltage."""
    return point_label(row.corner, row.extraction, row.temperature, row.levels, row.swp, named=True)


def _text_diff(old: str, new: str) -> tuple[str, ...]:
    return tuple(
        difflib.unified_diff(old.splitlines(), new.splitlines(), "golden", "new", lineterm="", n=0)
    )


def diff(golden: str, new: str) -> GoldenDiff | None:
    """None when identical; otherwise the differences, row by row."""
    if golden == new:
        return None
    try:
        old_r: Creport = parse_creport(golden, "golden")
        new_r: Creport = parse_creport(new, "new")
    except WkpupError:
        return GoldenDiff(
            ("creport no longer parses as a corner report; line diff:", *_text_diff(golden, new))
        )
    out: list[str] = []
    if old_r.title != new_r.title or dict(old_r.supply) != dict(new_r.supply):
        for key in dict.fromkeys([*old_r.supply, *new_r.supply]):
            a, b = old_r.supply.get(key), new_r.supply.get(key)
            if a != b:
                out.append(f"supply header {key}: {a!r} -> {b!r}")
    if old_r.names != new_r.names or old_r.level_columns != new_r.level_columns:
        out.append(
            f"table header: {' '.join(old_r.level_columns + old_r.names)} -> "
            f"{' '.join(new_r.level_columns + new_r.names)}"
        )
    old_rows = {_row_key(r): r for r in old_r.rows}
    new_rows = {_row_key(r): r for r in new_r.rows}
    for key, row in new_rows.items():
        if key not in old_rows:
            out.append(f"{_label(row)}: row not in golden")
            continue
        before = old_rows[key]
        if before.raw == row.raw:
            continue
        # One line per differing cell: where (corner, extraction, temperature, voltages),
        # which measurement, golden -> new.
        changed = [
            f"{_label(row)} {name}: {before.cells[name].raw if name in before.cells else '-'}"
            f" -> {row.cells[name].raw if name in row.cells else '-'}"
            for name in dict.fromkeys([*before.cells, *row.cells])
            if (before.cells.get(name) and before.cells[name].raw)
            != (row.cells.get(name) and row.cells[name].raw)
        ]
        out.extend(changed or [f"{_label(row)}: whitespace/padding differs"])
    out.extend(
        f"{_label(r)}: row missing (in golden)" for k, r in old_rows.items() if k not in new_rows
    )
    if [_row_key(r) for r in old_r.rows if _row_key(r) in new_rows] != [
        _row_key(r) for r in new_r.rows if _row_key(r) in old_rows
    ]:
        out.append("row order differs from golden")
    if not out:
        out = ["bytes differ outside the table cells; line diff:", *_text_diff(golden, new)]
    return GoldenDiff(tuple(out))


class GoldenMismatch(WkpupError):
    """``str()`` is one line (errors stay one line); ``report()`` is the readable diff."""

    def __init__(self, path: Path, difference: GoldenDiff) -> None:
        self.path = path
        self.difference = difference
        super().__init__(
            f"{path.stem} differs from golden {path}: {len(difference.lines)} difference(s)"
        )

    @property
    def obtained(self) -> Path:
        return obtained_path(self.path)

    def report(self, limit: int = 40) -> str:
        return (
            f"{self.path.stem} differs from golden {self.path} (golden -> new):\n"
            f"{self.difference.describe(limit)}\n"
            f"new {self.path.stem} written to {self.obtained} for review; if the change is "
            "intended, rerun with --pvt-update-golden (or: wkpup golden <job> --update)"
        )


class GoldenMissing(WkpupError):
    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"golden {path} does not exist; create it by rerunning with --pvt-update-golden "
            "and commit it after review"
        )


def obtained_path(path: Path) -> Path:
    return path.with_name(path.name + OBTAINED_SUFFIX)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_output(path, data, "golden file")


def check(path: Path, new_bytes: bytes, *, update: bool = False) -> str:
    """Compare with the golden at `path`; with `update`, (re)write it. Returns what happened
    ('identical', 'created', 'updated'); raises GoldenMismatch (after writing the new
    creport as ``<golden>.obtained``) / GoldenMissing otherwise."""
    exists = path.is_file()
    obtained = obtained_path(path)
    if exists and path.read_bytes() == new_bytes:
        obtained.unlink(missing_ok=True)
        return "identical"
    if update:
        _write(path, new_bytes)
        obtained.unlink(missing_ok=True)
        return "updated" if exists else "created"
    if not exists:
        raise GoldenMissing(path)
    _write(obtained, new_bytes)
    old_bytes = path.read_bytes()
    difference = diff(old_bytes.decode("utf-8", "replace"), new_bytes.decode("utf-8", "replace"))
    if difference is None:
        # Bytes that differ only inside invalid UTF-8 decode to the same text: show them
        # escaped, line by line, so the mismatch is still reported and readable.
        difference = GoldenDiff(
            (
                "creports differ only in bytes that are not UTF-8; line diff (escaped):",
                *_text_diff(
                    old_bytes.decode("utf-8", "backslashreplace"),
                    new_bytes.decode("utf-8", "backslashreplace"),
                ),
            )
        )
    raise GoldenMismatch(path, difference)
