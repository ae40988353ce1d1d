"""Parsers of the core's result files: ``.mt0``, ``report_*.txt``, ``creport.txt`` and
whole ``00bkp_<12 digits>/`` backups (ours or a site's real ones).

Every cell keeps its raw text next to its float value, so a re-rendered report can be
compared byte for byte and ``failed`` measurements are never confused with numbers.
"""

from __future__ import annotations

import errno
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wkpup_harness.errors import ResultError
from wkpup_harness.inputs import InputError, echo, read_input
from wkpup_harness.points import TEMP_TOKENS, VT_PART, Point
from wkpup_harness.points import label as point_label

# Plain decimal/scientific numbers only: float() would also take "nan", "inf" and "1_0".
NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
BACKUP_NAME = re.compile(r"00bkp_([0-9]{12})")
LEVEL_COLUMN = re.compile(r"v[123]")
# Extractions of the real flow (ver03 and ver01 names); callers may pass the core's own.
KNOWN_EXTRACTIONS: tuple[str, ...] = (
    "typical",
    "cworst_CCworst_T",
    "cbest_CCbest_T",
    "rcworst_CCworst_T",
    "rcbest_CCbest_T",
)


@dataclass(frozen=True)
class Cell:
    raw: str
    value: float | None  # None for `failed` or any other non-numeric text

    @classmethod
    def parse(cls, raw: str) -> Cell:
        value = float(raw) if NUMBER.fullmatch(raw) else None
        # `1e999` matches NUMBER but is no measurement: kept as text, never as infinity.
        return cls(raw, value if value is not None and math.isfinite(value) else None)

    @property
    def failed(self) -> bool:
        return self.value is None


def _trim(fields: list[str]) -> list[str]:
    """Drop the trailing empty fields the core pads every line with."""
    while fields and fields[-1] == "":
        fields.pop()
    return fields


# A creport of a large alter sweep is the biggest result file; anything beyond is not one.
MAX_RESULT_BYTES = 32 * 1024 * 1024
FAILED = "failed"  # the text the simulators (and srt) write for a measurement without value
LEVELS = ("min", "nom", "max")
# Any ASCII control character but TAB and LF: the core never writes one.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _read(path: Path, limit: int = MAX_RESULT_BYTES) -> str:
    """A result file's text: a regular file (never a FIFO or device), bounded, ASCII, no
    control character but TAB and LF; every refusal is one ResultError line."""
    if not os.path.lexists(path):
        # Missing stays "not found" for the callers (the CLI's exit 3), as before.
        raise FileNotFoundError(errno.ENOENT, "no such result file", str(path))
    try:
        data = read_input(path, "result file", limit=limit)
    except InputError as exc:
        raise ResultError(str(exc)) from None
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ResultError(
            f"{path}:{line}: non-ASCII byte {data[exc.start]:#04x}; allowed: ASCII text"
        ) from None
    bad = _CONTROL.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        char = ord(bad.group())
        what = "a NUL byte" if char == 0 else f"control character {char:#04x}"
        raise ResultError(f"{path}:{line}: {what}; allowed: ASCII text, TAB and LF")
    return text


# --- .mt0 -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mt0:
    attributes: Mapping[str, str]  # from the `$DATA1 KEY='v' ...` line
    title: str
    names: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    text: str

    def row(self, index: int = 0) -> dict[str, Cell]:
        return dict(zip(self.names, self.rows[index], strict=True))


def parse_mt0(text: str, source: str = "<mt0>") -> Mt0:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) < 4:
        raise ResultError(
            f"{source}: {len(lines)} lines; an mt0 needs $DATA1, .TITLE, names, values"
        )
    if not lines[0].startswith("$DATA1"):
        raise ResultError(f"{source}:1: expected a $DATA1 line")
    attrs = {
        m.group(1): m.group(2) if m.group(2) is not None else m.group(3)
        for m in re.finditer(r"(\w+)=(?:'([^']*)'|(\S+))", lines[0])
    }
    title_match = re.fullmatch(r"\.TITLE\s+'([^']*)'\s*", lines[1])
    if title_match is None:
        raise ResultError(f"{source}:2: expected .TITLE '<title>'")
    names = tuple(lines[2].split())
    if not names:
        raise ResultError(f"{source}:3: empty measurement header")
    rows = []
    for number, line in enumerate(lines[3:], start=4):
        values = line.split()
        if not values:
            continue
        if len(values) != len(names):
            # A wrapped (HSPICE-style) header would land here; extract.sh cannot read it either.
            raise ResultError(f"{source}:{number}: {len(values)} values for {len(names)} names")
        rows.append(tuple(Cell.parse(v) for v in values))
    if not rows:
        raise ResultError(f"{source}: no value line")
    return Mt0(attrs, title_match.group(1), names, tuple(rows), text)


def read_mt0(path: Path | str) -> Mt0:
    path = Path(path)
    return parse_mt0(_read(path), str(path))


# --- report_<CORNER>_<EX>_<Ttok>_<vt>.txt -------------------------------------------------------
def parse_report_name(filename: str, extractions: Iterable[str] = KNOWN_EXTRACTIONS) -> Point:
    """Split ``report_<CORNER>_<EX>_<Ttok>_<vt>.txt``: the vt and Ttok tokens are read from the
    end, then the extraction is matched against known names (corners and extractions both
    contain ``_``, so the split cannot be positional)."""
    m = re.fullmatch(r"report_(.+)\.txt", Path(filename).name)
    if m is None:
        raise ResultError(f"{filename}: not a report_<CORNER>_<EX>_<Ttok>_<vt>.txt name")
    parts = m.group(1).split("_")
    vt_parts: list[str] = []
    while parts and VT_PART.fullmatch(parts[-1]):
        vt_parts.insert(0, parts.pop())
    expected = [f"v{i}" for i in range(1, len(vt_parts) + 1)]
    if not vt_parts or [p[:2] for p in vt_parts] != expected:
        raise ResultError(f"{filename}: no v1.. voltage token at the end of the name")
    if not parts or parts[-1] not in TEMP_TOKENS:
        raise ResultError(f"{filename}: temperature token must be one of {', '.join(TEMP_TOKENS)}")
    temp = parts.pop()
    rest = "_".join(parts)
    for ex in sorted(extractions, key=len, reverse=True):
        if rest.endswith("_" + ex) and len(rest) > len(ex) + 1:
            return Point.from_vt(rest[: -len(ex) - 1], ex, temp, "_".join(vt_parts))
    raise ResultError(f"{filename}: unknown extraction in {rest!r}")


@dataclass(frozen=True)
class Report:
    point: Point | None
    names: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]  # one per value line (several only in alter mode)
    text: str

    def row(self, index: int = 0) -> dict[str, Cell]:
        return dict(zip(self.names, self.rows[index], strict=False))


def parse_report(text: str, source: str = "<report>", point: Point | None = None) -> Report:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) < 2:
        raise ResultError(f"{source}: {len(lines)} lines; a report has names then values")
    names = tuple(_trim(lines[0].split("\t")))
    if not names:
        raise ResultError(f"{source}:1: empty header")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        cells = _trim(line.split("\t"))
        if len(cells) > len(names):
            raise ResultError(f"{source}:{number}: {len(cells)} values for {len(names)} names")
        rows.append(tuple(Cell.parse(c) for c in cells))
    return Report(point, names, tuple(rows), text)


def read_report(path: Path | str, extractions: Iterable[str] = KNOWN_EXTRACTIONS) -> Report:
    path = Path(path)
    return parse_report(_read(path), str(path), parse_report_name(path.name, extractions))


# --- creport.txt ------------------------------------------------------------------------------
@dataclass(frozen=True)
class CreportRow:
    corner: str
    extraction: str
    temperature: int
    levels: tuple[str, ...]
    swp: str | None  # the alter title column in alter mode
    cells: Mapping[str, Cell]
    line: int
    raw: str

    @property
    def values(self) -> dict[str, float | None]:
        return {k: c.value for k, c in self.cells.items()}

    @property
    def temp_token(self) -> str:
        return "m40" if self.temperature == -40 else str(self.temperature)

    @property
    def vt(self) -> str:
        return "_".join(f"v{i}{lv}" for i, lv in enumerate(self.levels, start=1))

    @property
    def point(self) -> Point:
        return Point(self.corner, self.extraction, self.temp_token, self.levels)

    @property
    def label(self) -> str:
        return point_label(self.corner, self.extraction, self.temperature, self.levels, self.swp)


@dataclass(frozen=True)
class Creport:
    title: str  # line 1, "supply condition"
    supply: Mapping[str, str]  # lines 2..8 "key: value", raw
    level_columns: tuple[str, ...]  # ("v1", "v2") ...
    names: tuple[str, ...]  # measurement names (without swp)
    alter: bool
    rows: tuple[CreportRow, ...]
    text: str


HEADER_LINES = 9  # "supply condition", 7 "key: value" lines, one empty line


def parse_creport(text: str, source: str = "<creport>") -> Creport:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) < HEADER_LINES + 1:
        raise ResultError(f"{source}: {len(lines)} lines; expected a 9-line header and a table")
    supply: dict[str, str] = {}
    for number, line in enumerate(lines[1:8], start=2):
        key, sep, value = line.partition(": ")
        if not sep:
            raise ResultError(f"{source}:{number}: expected '<key>: <value>'")
        supply[key] = value
    if lines[8] != "":
        raise ResultError(f"{source}:9: expected an empty line")
    header = _trim(lines[9].split("\t"))
    leading_swp = bool(header) and header[0] == "swp"
    fixed = header[1:] if leading_swp else header
    if fixed[:3] != ["process", "extract", "temp"]:
        raise ResultError(f"{source}:10: header must start process, extract, temp")
    n_levels = 0
    while 3 + n_levels < len(fixed) and LEVEL_COLUMN.fullmatch(fixed[3 + n_levels]):
        n_levels += 1
    if n_levels == 0:
        raise ResultError(f"{source}:10: no v1 column")
    names = fixed[3 + n_levels :]
    inner_swp = bool(names) and names[0] == "swp"  # srt copies the report's own swp column
    if inner_swp:
        names = names[1:]
    rows = []
    for number, line in enumerate(lines[10:], start=11):
        rows.append(_creport_row(line, number, source, leading_swp, inner_swp, n_levels, names))
    return Creport(
        lines[0],
        supply,
        tuple(fixed[3 : 3 + n_levels]),
        tuple(names),
        leading_swp or inner_swp,
        tuple(rows),
        text,
    )


def _creport_row(
    line: str,
    number: int,
    source: str,
    leading_swp: bool,
    inner_swp: bool,
    n_levels: int,
    names: Sequence[str],
) -> CreportRow:
    fields = _trim(line.split("\t"))
    swp = fields.pop(0) if leading_swp and fields else None
    if len(fields) < 3 + n_levels:
        raise ResultError(f"{source}:{number}: short row")
    corner, ex, temp = fields[:3]
    if not re.fullmatch(r"-?[0-9]{1,6}", temp):
        raise ResultError(f"{source}:{number}: temperature {echo(temp)} is not an integer")
    levels = tuple(fields[3 : 3 + n_levels])
    values = fields[3 + n_levels :]
    if inner_swp and values:
        swp = values.pop(0)
    if len(values) > len(names):
        raise ResultError(f"{source}:{number}: {len(values)} values for {len(names)} names")
    cells = {n: Cell.parse(v) for n, v in zip(names, values, strict=False)}
    return CreportRow(corner, ex, int(temp), levels, swp, cells, number, line)


def read_creport(path: Path | str) -> Creport:
    path = Path(path)
    return parse_creport(_read(path), str(path))


# --- what the real formats can contain ------------------------------------------------------
def _cell_problem(cell: Cell) -> str | None:
    """Why a measurement cell is not one the flow writes (a number or ``failed``), or None."""
    if cell.value is not None or cell.raw == FAILED:
        return None
    if NUMBER.fullmatch(cell.raw):
        return f"{echo(cell.raw)} is not a finite number"
    return f"garbled cell {echo(cell.raw)}"


def check_creport(
    creport: Creport,
    source: str = "creport.txt",
    *,
    corners: Iterable[str] | None = None,
    extractions: Iterable[str] = KNOWN_EXTRACTIONS,
) -> None:
    """Refuse a creport that the core cannot have written: a header without rows, a
    duplicated measurement name, a corner (``corners``: the core's table) or extraction not
    in the tables, a temperature or level the flow does not know, a truncated row, a cell
    that is neither a finite number nor ``failed``, a duplicated point. Raises ResultError
    ``source:line: problem; allowed: ...`` for the first problem."""
    if not creport.rows:
        raise ResultError(f"{source}:10: a header without rows; allowed: one row per point")
    if list(creport.supply)[:3] != ["v1", "v2", "v3"] or len(creport.supply) != 7:
        raise ResultError(
            f"{source}:2: supply lines {echo(', '.join(creport.supply))}; "
            "allowed: v1, v2, v3 then four supply lines, each key once"
        )
    seen_names: set[str] = set()
    for name in creport.names:
        if name in seen_names or name == "" or " " in name:
            problem = "duplicated" if name in seen_names else "not a measurement name"
            raise ResultError(
                f"{source}:10: measurement {echo(name)} {problem}; "
                "allowed: distinct names without blanks"
            )
        seen_names.add(name)
    if not creport.names:
        raise ResultError(f"{source}:10: no measurement names; allowed: at least one")
    corner_set = None if corners is None else tuple(corners)
    ex_set = tuple(extractions)
    temps = tuple(str(t) for t in TEMP_TOKENS.values())
    first: dict[tuple[object, ...], int] = {}
    for row in creport.rows:
        where = f"{source}:{row.line}"
        if corner_set is not None and row.corner not in corner_set:
            raise ResultError(
                f"{where}: corner {echo(row.corner)} is not in the core's corner table; "
                f"allowed: {', '.join(corner_set)}"
            )
        if re.fullmatch(r"[A-Za-z0-9_]+", row.corner) is None:
            raise ResultError(f"{where}: corner {echo(row.corner)}; allowed: letters, digits, _")
        if row.extraction not in ex_set:
            raise ResultError(
                f"{where}: extraction {echo(row.extraction)}; allowed: {', '.join(ex_set)}"
            )
        if str(row.temperature) not in temps:
            raise ResultError(
                f"{where}: temperature {row.temperature} is not in the core's table; "
                f"allowed: {', '.join(temps)}"
            )
        for lv in row.levels:
            if lv not in LEVELS:
                raise ResultError(f"{where}: level {echo(lv)}; allowed: {', '.join(LEVELS)}")
        if creport.alter and not row.swp:
            raise ResultError(f"{where}: empty swp (alter title); allowed: a non-empty title")
        if len(row.cells) != len(creport.names):
            raise ResultError(
                f"{where}: truncated row, {len(row.cells)} values for "
                f"{len(creport.names)} names; allowed: one value or 'failed' per name"
            )
        for name, cell in row.cells.items():
            problem = _cell_problem(cell)
            if problem is not None:
                raise ResultError(
                    f"{where}: {name}: {problem}; allowed: a finite number or 'failed'"
                )
        key = (row.corner, row.extraction, row.temperature, row.levels, row.swp)
        if key in first:
            raise ResultError(
                f"{where}: duplicated point {row.label} (first at line {first[key]}); "
                "allowed: each point once"
            )
        first[key] = row.line


def check_reports(
    creport: Creport, reports: Mapping[str, Report], report_dir: Path, creport_source: str
) -> None:
    """Refuse ``report_*.txt`` files that disagree with the creport sorted from them: a report
    for a point the creport has no row for, other measurement names, other values, a row
    count that differs; and a creport row with values but no report (when the backup kept
    reports at all: a failed point has no report and a row of ``failed``)."""
    rows_of: dict[str, list[CreportRow]] = {}
    for row in creport.rows:
        rows_of.setdefault(row.point.stem, []).append(row)
    for stem, report in reports.items():
        source = str(report_dir / f"report_{stem}.txt")
        rows = rows_of.get(stem)
        if rows is None:
            raise ResultError(f"{source}: no row of creport.txt for this point; allowed: "
                              "a report per creport row")  # fmt: skip
        names = report.names[1:] if report.names[:1] == ("swp",) else report.names
        alter = len(names) != len(report.names)
        if tuple(names) != creport.names:
            raise ResultError(
                f"{source}:1: measurement names differ from creport.txt:10; "
                "allowed: the creport's names"
            )
        if len(report.rows) != len(rows):
            raise ResultError(
                f"{source}: {len(report.rows)} value lines, creport.txt has {len(rows)} rows "
                "for this point; allowed: the same"
            )
        for number, (cells, row) in enumerate(zip(report.rows, rows, strict=True), start=2):
            raws = [c.raw for c in cells]
            swp = raws.pop(0) if alter and raws else None
            want = [c.raw for c in row.cells.values()]
            if raws != want or (alter and swp != row.swp):
                diff = next(
                    (f"{n}: {echo(a)} vs {echo(b)}"
                     for n, a, b in zip(names, raws, want, strict=False) if a != b),
                    f"{len(raws)} values vs {len(want)}" if raws != want else "swp",
                )  # fmt: skip
                raise ResultError(
                    f"{source}:{number}: disagrees with creport.txt:{row.line} ({diff}); "
                    "allowed: the values creport.txt holds"
                )
    if reports:
        for stem, rows in rows_of.items():
            if stem not in reports and any(not c.failed for r in rows for c in r.cells.values()):
                raise ResultError(
                    f"{creport_source}:{rows[0].line}: no report_{stem}.txt for "
                    "this row with values; allowed: a report per row (a failed point may "
                    "have none)"
                )


# --- 00bkp_<12 digits>/ -----------------------------------------------------------------------
@dataclass(frozen=True)
class Backup:
    path: Path
    stamp: str  # YYYYMMDDHHMM
    creport: Creport
    reports: Mapping[str, Report] = field(default_factory=dict)  # keyed by Point.stem
    simulation_log: str | None = None


# How many entries a backup may hold (92 points x a few files is the real size).
MAX_BACKUP_ENTRIES = 100_000
MAX_LOG_BYTES = 256 * 1024 * 1024


def scan_backup(root: Path) -> None:
    """Refuse a backup that holds anything but directories, regular files and links that
    stay inside it: a symlink leading out (or nowhere), a FIFO, a device or a socket
    (reading one could hang or leak another file). Nothing is opened, only lstat'ed."""
    base = root.resolve()
    pending = [root]
    count = 0
    while pending:
        directory = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError as exc:
            raise ResultError(f"{directory}: cannot list ({exc.strerror or exc})") from None
        for entry in entries:
            count += 1
            if count > MAX_BACKUP_ENTRIES:
                raise ResultError(
                    f"{root}: more than {MAX_BACKUP_ENTRIES} entries; "
                    "allowed: a backup's report/, tb_bkp/, compiled_waveform/, simulation.log"
                )
            path = Path(entry.path)
            if entry.is_symlink():
                target = Path(os.path.realpath(path))
                if not (target == base or target.is_relative_to(base)) or not target.exists():
                    raise ResultError(
                        f"{path}: symlink leads out of the backup "
                        f"(to {echo(os.readlink(path))}); allowed: files inside the backup"
                    )
                continue  # its target is inside: scanned as itself
            if entry.is_dir(follow_symlinks=False):
                pending.append(path)
            elif not entry.is_file(follow_symlinks=False):
                raise ResultError(
                    f"{path}: not a regular file (a FIFO, device or socket); "
                    "allowed: regular files and directories"
                )


def read_backup(
    path: Path | str,
    extractions: Iterable[str] = KNOWN_EXTRACTIONS,
    *,
    corners: Iterable[str] | None = None,
) -> Backup:
    """Read ``00bkp_<12 digits>/report/{creport.txt,report_*.txt}`` (and simulation.log),
    refusing whatever the real flow cannot have written (see :func:`scan_backup`,
    :func:`check_creport`, :func:`check_reports`)."""
    path = Path(path)
    m = BACKUP_NAME.fullmatch(path.name)
    if m is None:
        raise ResultError(f"{path}: a backup directory is named 00bkp_<YYYYMMDDHHMM>")
    scan_backup(path)
    report_dir = path / "report"
    creport_path = report_dir / "creport.txt"
    if not creport_path.exists():
        raise ResultError(f"{path}: report/creport.txt not found")
    extractions = tuple(extractions)
    creport = read_creport(creport_path)
    check_creport(creport, creport_path, corners=corners, extractions=extractions)
    reports = {}
    for file in sorted(report_dir.glob("report_*.txt")):
        report = read_report(file, extractions)
        assert report.point is not None
        reports[report.point.stem] = report
    check_reports(creport, reports, report_dir, creport_path)
    log = path / "simulation.log"
    text = None
    if log.exists():
        try:
            text = read_input(log, "simulation log", limit=MAX_LOG_BYTES).decode("latin-1")
        except InputError as exc:
            raise ResultError(str(exc)) from None
    return Backup(path, m.group(1), creport, reports, text)
