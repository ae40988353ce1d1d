"""Parsers of the core's result files: ``.mt0``, ``report_*.txt``, ``creport.txt`` and
whole ``00bkp_<12 digits>/`` backups (ours or a site's real ones).

Every cell keeps its raw text next to its float value, so a re-rendered report can be
compared byte for byte and ``failed`` measurements are never confused with numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wkpup_harness.errors import ResultError
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
        return cls(raw, float(raw) if NUMBER.fullmatch(raw) else None)

    @property
    def failed(self) -> bool:
        return self.value is None


def _trim(fields: list[str]) -> list[str]:
    """Drop the trailing empty fields the core pads every line with."""
    while fields and fields[-1] == "":
        fields.pop()
    return fields


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("ascii")
    except UnicodeDecodeError:
        raise ResultError(f"{path}: non-ASCII byte") from None


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
    if not re.fullmatch(r"-?[0-9]+", temp):
        raise ResultError(f"{source}:{number}: temperature {temp!r} is not an integer")
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


# --- 00bkp_<12 digits>/ -----------------------------------------------------------------------
@dataclass(frozen=True)
class Backup:
    path: Path
    stamp: str  # YYYYMMDDHHMM
    creport: Creport
    reports: Mapping[str, Report] = field(default_factory=dict)  # keyed by Point.stem
    simulation_log: str | None = None


def read_backup(path: Path | str, extractions: Iterable[str] = KNOWN_EXTRACTIONS) -> Backup:
    """Read ``00bkp_<12 digits>/report/{creport.txt,report_*.txt}`` (and simulation.log)."""
    path = Path(path)
    m = BACKUP_NAME.fullmatch(path.name)
    if m is None:
        raise ResultError(f"{path}: a backup directory is named 00bkp_<YYYYMMDDHHMM>")
    report_dir = path / "report"
    if not (report_dir / "creport.txt").is_file():
        raise ResultError(f"{path}: report/creport.txt not found")
    extractions = tuple(extractions)
    reports = {}
    for file in sorted(report_dir.glob("report_*.txt")):
        report = read_report(file, extractions)
        assert report.point is not None
        reports[report.point.stem] = report
    log = path / "simulation.log"
    return Backup(
        path,
        m.group(1),
        read_creport(report_dir / "creport.txt"),
        reports,
        log.read_bytes().decode("latin-1") if log.is_file() else None,
    )
