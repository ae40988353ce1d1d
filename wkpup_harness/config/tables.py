"""The core's CSV tables, read at run time from its ``configuration/`` directory.

Nothing here hard-codes a table value: corner lists and supply rows always come from the
files of the core being driven (the real ver03 tables or our reference core's). Cells are
kept as raw strings, double quotes included, because the real flow passes them verbatim
(``vcctx_NA`` gives ``"0.5*vcn"`` and creport.txt prints the quotes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from wkpup_harness.errors import TableError

CORNER_TABLE = "table_corner_list.csv"
CORNER_HEADER = ("type", "extraction", "corner list")

SUPPLY_HEADER = ("rail", "func_min", "perf_min", "nom", "perf_max", "func_max", "htol", "hvqk")

# sim_mode -> supply table file (docs/config.md).
SUPPLY_TABLES: Mapping[str, str] = {
    "ac": "table_supply_list_ac.csv",
    "dc": "table_supply_list_dc.csv",
    "tran": "table_supply_list.csv",
}
# Other sim_mode names for a table above: the real flow takes table_supply_list.csv for any
# value but ac/dc; `tr` is the other transient name it is used with (contract §9.8).
SIM_MODE_ALIASES: Mapping[str, str] = {"tr": "tran"}

# condition -> (min, nom, max) columns (contract §3).
CONDITION_COLUMNS: Mapping[str, tuple[str, str, str]] = {
    "func": ("func_min", "nom", "func_max"),
    "perf": ("perf_min", "nom", "perf_max"),
    "htol": ("func_min", "nom", "htol"),
    "hvqk": ("func_min", "nom", "hvqk"),
}


@dataclass(frozen=True)
class Levels:
    """min / nom / max of one rail under one condition, as raw CSV strings."""

    min: str
    nom: str
    max: str

    def as_tuple(self) -> tuple[str, str, str]:
        return (self.min, self.nom, self.max)

    def get(self, level: str) -> str:
        """``level`` is ``min``, ``nom`` or ``max``."""
        return {"min": self.min, "nom": self.nom, "max": self.max}[level]


@dataclass(frozen=True)
class SupplyRow:
    rail: str
    cells: tuple[str, ...]  # the seven value columns, SUPPLY_HEADER[1:] order, raw

    def cell(self, column: str) -> str:
        return self.cells[SUPPLY_HEADER.index(column) - 1]

    def levels(self, condition: str) -> Levels:
        lo, nom, hi = (self.cell(c) for c in CONDITION_COLUMNS[condition])
        return Levels(lo, nom, hi)

    def empty_columns(self, condition: str) -> tuple[str, ...]:
        """Columns ``condition`` selects that are empty (the real flow's argument shift)."""
        return tuple(c for c in CONDITION_COLUMNS[condition] if self.cell(c) == "")


@dataclass(frozen=True)
class SupplyTable:
    filename: str
    rows: tuple[SupplyRow, ...]

    def names(self) -> tuple[str, ...]:
        return tuple(r.rail for r in self.rows)

    def get(self, rail: str) -> SupplyRow | None:
        # First match wins, as with the core's grep/awk lookups.
        for row in self.rows:
            if row.rail == rail:
                return row
        return None


@dataclass(frozen=True)
class CornerRow:
    type: str
    extractions: tuple[str, ...]
    corners: tuple[str, ...]


@dataclass(frozen=True)
class CornerTable:
    filename: str
    rows: tuple[CornerRow, ...]

    def get(self, type_: str) -> CornerRow | None:
        for row in self.rows:
            if row.type == type_:
                return row
        return None

    def types(self) -> tuple[str, ...]:
        return tuple(r.type for r in self.rows)


@dataclass(frozen=True)
class CoreTables:
    """All tables of one core; a supply table absent from the directory is simply missing."""

    directory: Path
    corners: CornerTable
    supplies: Mapping[str, SupplyTable]  # keyed by sim_mode

    def supply(self, sim_mode: str) -> SupplyTable | None:
        return self.supplies.get(SIM_MODE_ALIASES.get(sim_mode, sim_mode))

    def corner_names(self) -> tuple[str, ...]:
        """Every corner name the corner table mentions, in first-seen order."""
        return tuple(dict.fromkeys(c for row in self.corners.rows for c in row.corners))

    def extractions(self) -> tuple[str, ...]:
        """Every extraction name the corner table mentions, in first-seen order."""
        seen: dict[str, None] = {}
        for row in self.corners.rows:
            for ex in row.extractions:
                seen.setdefault(ex, None)
        return tuple(seen)


def _csv_lines(path: Path) -> list[tuple[int, list[str]]]:
    """Split a table into cells without any CSV unquoting: quotes are part of the value."""
    try:
        text = path.read_bytes().decode("ascii")
    except FileNotFoundError:
        raise TableError(f"{path}: table not found") from None
    except UnicodeDecodeError:
        raise TableError(f"{path}: non-ASCII byte in table") from None
    if "\r" in text:
        raise TableError(f"{path}: carriage return in table (CRLF file)")
    out = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip() == "":
            continue
        out.append((number, line.split(",")))
    if not out:
        raise TableError(f"{path}: empty table")
    return out


def _check_header(path: Path, cells: list[str], expected: tuple[str, ...]) -> None:
    if tuple(cells) != expected:
        raise TableError(f"{path}:1: header {','.join(cells)!r}; expected {','.join(expected)!r}")


def read_corner_table(path: Path) -> CornerTable:
    lines = _csv_lines(path)
    _check_header(path, lines[0][1], CORNER_HEADER)
    rows = []
    for number, cells in lines[1:]:
        if len(cells) != len(CORNER_HEADER):
            raise TableError(f"{path}:{number}: {len(cells)} cells; expected {len(CORNER_HEADER)}")
        rows.append(CornerRow(cells[0], tuple(cells[1].split()), tuple(cells[2].split())))
    return CornerTable(path.name, tuple(rows))


def read_supply_table(path: Path) -> SupplyTable:
    lines = _csv_lines(path)
    _check_header(path, lines[0][1], SUPPLY_HEADER)
    rows = []
    for number, cells in lines[1:]:
        if len(cells) != len(SUPPLY_HEADER):
            raise TableError(f"{path}:{number}: {len(cells)} cells; expected {len(SUPPLY_HEADER)}")
        rows.append(SupplyRow(cells[0], tuple(cells[1:])))
    return SupplyTable(path.name, tuple(rows))


def load_tables(configuration_dir: Path | str) -> CoreTables:
    """Read the corner table (required) and whichever supply tables exist."""
    directory = Path(configuration_dir)
    corners = read_corner_table(directory / CORNER_TABLE)
    supplies = {
        mode: read_supply_table(directory / name)
        for mode, name in SUPPLY_TABLES.items()
        if (directory / name).is_file()
    }
    if not supplies:
        raise TableError(f"{directory}: no supply table ({', '.join(SUPPLY_TABLES.values())})")
    return CoreTables(directory, corners, supplies)
