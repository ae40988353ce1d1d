"""config.cfg: parsing and validation exactly as docs/config.md, and the PVT point list.

The file is kept as raw text: ``Config.to_text()`` returns it unchanged, and
``with_overrides`` rewrites only the overridden lines, so a valid file round-trips
byte for byte and a derived config differs from its parent only where it must.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from wkpup_harness.config.domain import local_loop_problem
from wkpup_harness.config.tables import (
    CONDITION_COLUMNS,
    SIM_MODE_ALIASES,
    SUPPLY_TABLES,
    CoreTables,
    SupplyTable,
)
from wkpup_harness.errors import ConfigError, show
from wkpup_harness.inputs import InputError, read_input
from wkpup_harness.points import Point, vt_token

REQUIRED_KEYS: tuple[str, ...] = (
    "mode",
    "vccn",
    "vcctx",
    "1st_supply_swp",
    "2nd_supply_swp",
    "3rd_supply_swp",
    "condition",
    "CPU #",
    "MEM [G]",
    "alter_extraction",
    "alter_string#",
    "sim_mode",
    "gs/gf_corner",
    "vcc_vid",
    "simulator",
)
OPTIONAL_DEFAULTS: Mapping[str, str] = {
    "vcc": "vcc",
    "vccana": "vccana",
    "postlay_cross_cornerlist": "default",
}
# Monte Carlo (ours, docs/montecarlo.md): mc_samples turns the job's mc stage on; the other
# three need it. The real flow has none of these keys.
MC_DEFAULTS: Mapping[str, str] = {
    "mc_samples": "",
    "mc_seed": "1",
    "mc_kind": "mismatch",
    "mc_at": "worst",
}
MC_KINDS = ("mismatch", "process+mismatch")
KNOWN_KEYS: tuple[str, ...] = REQUIRED_KEYS + tuple(OPTIONAL_DEFAULTS) + tuple(MC_DEFAULTS)
# What an unknown key's error offers: the Monte Carlo keys folded (the line stays short).
ALLOWED_KEYS_SHOWN: tuple[str, ...] = (*REQUIRED_KEYS, *OPTIONAL_DEFAULTS, "mc_*")
CROSS_KEY = "postlay_cross_cornerlist"

# Keys whose values are fixed lists (the others are checked against the tables).
STATIC_VALUES: Mapping[str, tuple[str, ...]] = {
    # Any mode but prelay is the post-layout (polo) branch; `postlay` is the docs' name.
    "mode": ("prelay", "polo", "postlay"),
    "1st_supply_swp": ("vcc", "vccana", "vccn"),
    "2nd_supply_swp": ("vccn", "vcctx", "vccana", "NA"),
    "3rd_supply_swp": ("vccn", "vccn_vcctx", "NA"),
    "condition": tuple(CONDITION_COLUMNS),
    "alter_extraction": ("Yes", "No"),
    "sim_mode": (*SUPPLY_TABLES, *SIM_MODE_ALIASES),
    "gs/gf_corner": ("Yes", "No"),
    "vcc_vid": ("Yes", "No"),
    "simulator": ("ngspice", "primesim", "finesim"),
    CROSS_KEY: ("default", "full", "custom"),
    "mc_kind": MC_KINDS,
}
POSITIVE_INT = re.compile(r"[1-9][0-9]{0,3}")
COUNT_INT = re.compile(r"0|[1-9][0-9]{0,3}")
INT_KEYS: Mapping[str, tuple[re.Pattern[str], str]] = {
    "CPU #": (POSITIVE_INT, "integer 1..9999 without sign or leading zero"),
    "MEM [G]": (POSITIVE_INT, "integer 1..9999 without sign or leading zero"),
    "alter_string#": (COUNT_INT, "integer 0..9999 without sign or leading zero"),
    "mc_samples": (re.compile(r"[1-9][0-9]{0,4}"), "integer 1..99999, no sign or leading zero"),
    "mc_seed": (re.compile(r"0|[1-9][0-9]{0,8}"), "integer 0..999999999, no sign or leading zero"),
}
SWEEP_KEYS = ("1st_supply_swp", "2nd_supply_swp", "3rd_supply_swp")
VID_ROWS = tuple(f"vcc_vid_{c}_{t}" for c in ("tt", "ff", "ss") for t in ("h", "c"))

# Row-name filters for the table-dependent keys (docs/config.md "Keys").
VCCN_ROW = re.compile(r"[0-9]+p[0-9]+v")
ROW_FILTERS: Mapping[str, Callable[[str], bool]] = {
    "vccn": lambda r: VCCN_ROW.fullmatch(r) is not None,
    "vcctx": lambda r: r.startswith("vcctx_"),
    "vcc": lambda r: r == "vcc" or (r.startswith("vcc_") and not r.startswith("vcc_vid_")),
    "vccana": lambda r: r.startswith("vccana"),
}

# Temperatures the core knows, in its loop order; the only ones a subset may use.
TEMPERATURES: tuple[str, ...] = ("m40", "125", "85", "100")
TEMPERATURE_VALUES: Mapping[str, int] = {"m40": -40, "125": 125, "85": 85, "100": 100}
SWEPT_TEMPERATURES = ("m40", "125")  # every corner; 85/100 run at TT typical nominal only
NOMINAL_TEMPERATURES = ("85", "100")


@dataclass(frozen=True)
class ConfigLine:
    number: int  # 1-based line number in the file, blank lines counted
    key: str
    value: str
    third: str | None  # rest of the line after the 2nd ':' (None when there is none)


def voltage_combos(supplies: int, condition: str) -> tuple[tuple[str, ...], ...]:
    """vt combos at m40/125: min/max in binary order (v1 most significant) then nominal;
    htol/hvqk keep only the all-max combo."""
    if condition in ("htol", "hvqk"):
        return (("max",) * supplies,)
    combos = tuple(itertools.product(("min", "max"), repeat=supplies))
    return (*combos, ("nom",) * supplies)


def allowed_temperatures() -> tuple[str, ...]:
    return TEMPERATURES


def validate_temperature_subset(temperatures: Iterable[object]) -> tuple[str, ...]:
    """Normalise a temperature subset to core tokens in core order, or raise ConfigError.

    Refuses what the seeds rejected: values outside the core's list (e.g. 50), and
    per-temperature voltages (a mapping, or an item carrying a voltage combo).
    """
    by_value = {str(v): t for t, v in TEMPERATURE_VALUES.items()}
    allowed = TEMPERATURES
    if isinstance(temperatures, (str, bytes, Mapping)):
        raise ConfigError(
            "<temperatures>",
            "temperatures",
            "expected a list of temperatures; per-temperature voltages are not supported",
            allowed,
        )
    chosen: list[str] = []
    for item in temperatures:
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise ConfigError(
                "<temperatures>",
                "temperatures",
                f"{item!r} is not a temperature; per-temperature voltages are not supported",
                allowed,
            )
        text = str(item)
        token = text if text in TEMPERATURE_VALUES else by_value.get(text)
        if token is None:
            problem = f"temperature {text!r} is not in the core's list"
            if re.search(r"[:=@ ]|v[123]", text):
                problem = f"{text!r}: per-temperature voltages are not supported"
            raise ConfigError("<temperatures>", "temperatures", problem, allowed)
        if token in chosen:
            raise ConfigError(
                "<temperatures>", "temperatures", f"temperature {text!r} repeated", allowed
            )
        chosen.append(token)
    if not chosen:
        raise ConfigError("<temperatures>", "temperatures", "empty temperature subset", allowed)
    return tuple(t for t in TEMPERATURES if t in chosen)


def reject_local_pvt_loop(domain_dir: Path | str) -> None:
    """Refuse a domain that carries a ``local_pvt_loop.sh`` override (bypasses the core)."""
    problem = local_loop_problem(Path(domain_dir))
    if problem is not None:
        raise problem


def _quote(text: str) -> str:
    return "'" + text + "'"


def _char_problem(line: str) -> str | None:
    for ch in line:
        if ch == "\r":
            return "carriage return (CRLF line ending)"
        if ch == "\0":
            return "NUL byte"
        if ord(ch) > 0x7F:
            return f"non-ASCII character U+{ord(ch):04X}"
    return None


def _split(line: str) -> tuple[str, str, str | None]:
    """``IFS=':' read col1 col2 col3``: key, value, and the rest after a second ':'."""
    key, _, rest = line.partition(":")
    value, sep, third = rest.partition(":")
    return key, value, (third if sep else None)


def _rails(value: str, swept: set[str]) -> set[str]:
    """Rails a sweep position moves. ``vccn_vcctx`` moves vcn (and vsh), and vctx unless
    vcctx is already swept: with ``2nd_supply_swp:vcctx`` the generator gives vctx the v2
    trend and v3 moves only vcn and vsh (contract §9.2)."""
    if value == "vccn_vcctx":
        return {"vccn"} if "vcctx" in swept else {"vccn", "vcctx"}
    return {value}


def _value_problem(value: str) -> str:
    if value == "":
        return "empty value"
    if value != value.strip():
        return f"leading or trailing whitespace in value {_quote(value)}"
    return f"invalid value {_quote(value)}"


def allowed_values(key: str, tables: CoreTables, sim_mode: str) -> tuple[str, ...] | None:
    """The values a config key may take with these tables (the rows of the ``sim_mode``
    supply table for the rail keys); None for the integer keys (any 1..9999) and the
    custom cross-corner list."""
    if key in ROW_FILTERS:
        table = tables.supply(sim_mode)
        return () if table is None else tuple(r for r in table.names() if ROW_FILTERS[key](r))
    if key in STATIC_VALUES:
        return STATIC_VALUES[key]
    return None


class _Validator:
    """One validation run that collects every problem of the file, in a fixed order (lines
    with bad characters, then each line's own problems, missing keys, then the checks against
    the tables), so the first problem is deterministic. A check whose inputs already have a
    problem is skipped: each mistake is reported once, not again as the cause of another."""

    def __init__(self, text: str, tables: CoreTables, filename: str) -> None:
        self.text = text
        self.tables = tables
        self.filename = filename
        self.problems: list[ConfigError] = []
        self.flagged: set[str] = set()  # keys with a problem already reported

    def fail(self, key: str, problem: str, allowed: Iterable[str], line: int | None = None):
        return ConfigError(self.filename, key, problem, tuple(allowed), line)

    def add(self, key: str, problem: str, allowed: Iterable[str], line: int | None = None) -> None:
        self.problems.append(self.fail(key, problem, allowed, line))
        self.flagged.add(key)

    def good(self, *keys: str) -> bool:
        return not self.flagged.intersection(keys)

    def run(self) -> tuple[ConfigLine, ...]:
        lines = self.parse_lines()
        if lines is None:  # not a text config at all: its one problem says so
            raise ConfigError.collected(self.problems)
        entries = {ln.key: ln for ln in lines}
        for key in REQUIRED_KEYS:
            if key not in entries and key not in self.flagged:
                self.add(key, "missing required key", self.missing_allowed(key, entries))
        values = {k: ln.value for k, ln in entries.items()}
        table = None
        if "sim_mode" in entries:
            table = self.supply_table(values["sim_mode"])
        if table is not None:
            for ln in lines:
                self.check_table_value(ln, table)
        if self.good(*SWEEP_KEYS):
            self.check_sweeps(entries)
        if self.good("mode", "gs/gf_corner", CROSS_KEY):
            self.check_corner_rows(values)
        if table is not None and self.good("condition"):
            self.check_cells(values, table)
        self.check_mc(entries)
        if self.problems:
            raise ConfigError.collected(self.problems)
        return lines

    def missing_allowed(self, key: str, entries: Mapping[str, ConfigLine]) -> tuple[str, ...]:
        sim_mode = entries.get("sim_mode")
        table = self.tables.supply(sim_mode.value) if sim_mode is not None else None
        if key in ROW_FILTERS and table is not None:
            return self.row_choices(key, table)
        return self.key_allowed(key)

    def key_allowed(self, key: str) -> tuple[str, ...]:
        """Allowed values for messages about ``key`` before the tables are consulted."""
        if key in STATIC_VALUES:
            return STATIC_VALUES[key]
        if key in INT_KEYS:
            return (INT_KEYS[key][1],)
        if key == "mc_at":
            return ("worst", "CORNER/T entries (docs/montecarlo.md)")
        return ("rows of the selected supply table",)

    def whole_file_problem(self, raw: list[str]) -> bool:
        """A binary file (a NUL byte) or one with CRLF line endings throughout is one
        problem, at its first line, not one per line."""
        nul = next((n for n, line in enumerate(raw, start=1) if "\0" in line), None)
        if nul is not None:
            self.add(
                _split(raw[nul - 1])[0], "NUL byte", ("printable ASCII with LF line endings",), nul
            )
            return True
        if len(raw) > 1 and all(line.endswith("\r") for line in raw):
            problem = _char_problem(raw[0]) or "carriage return (CRLF line ending)"
            self.add(_split(raw[0])[0], problem, ("printable ASCII with LF line endings",), 1)
            return True
        return False

    def parse_lines(self) -> tuple[ConfigLine, ...] | None:
        """The file's good lines; each bad line is one problem (its characters first).
        None for a file that is not a text config (the one problem recorded)."""
        raw = self.text.split("\n")
        if raw and raw[-1] == "":
            raw.pop()  # the terminating newline, not a line
        if self.whole_file_problem(raw):
            return None
        skip: set[int] = set()
        for number, line in enumerate(raw, start=1):
            problem = _char_problem(line)
            if problem is not None:
                skip.add(number)
                key = _split(line)[0]
                self.add(key, problem, ("printable ASCII with LF line endings",), number)
        out: list[ConfigLine] = []
        seen: dict[str, int] = {}
        for number, line in enumerate(raw, start=1):
            if number in skip or line.strip(" \t") == "":
                continue
            key, value, third = _split(line)
            if key not in KNOWN_KEYS:
                self.add(key, f"unknown key {_quote(key)}", ALLOWED_KEYS_SHOWN, number)
                continue
            if key in seen:
                problem = f"duplicate key (first at line {seen[key]})"
                self.add(key, problem, ("one line per key",), number)
                continue
            seen[key] = number
            if third is not None and not (key == CROSS_KEY and value == "custom"):
                self.add(key, "unexpected second ':'", self.key_allowed(key), number)
                continue
            if self.check_static_value(key, value, third, number):
                out.append(ConfigLine(number, key, value, third))
        return tuple(out)

    def check_static_value(self, key: str, value: str, third: str | None, number: int) -> bool:
        if key in STATIC_VALUES and value not in STATIC_VALUES[key]:
            self.add(key, _value_problem(value), STATIC_VALUES[key], number)
            return False
        if key in INT_KEYS:
            pattern, describe = INT_KEYS[key]
            if pattern.fullmatch(value) is None:
                self.add(key, _value_problem(value), (describe,), number)
                return False
        if key == CROSS_KEY and value == "custom" and third is None:
            self.add(
                key, "custom needs a corner list: custom:<corners>", ("custom:<corners>",), number
            )
            return False
        return True

    def supply_table(self, sim_mode: str) -> SupplyTable | None:
        table = self.tables.supply(sim_mode)
        if table is None:
            self.add(
                "sim_mode",
                f"{SUPPLY_TABLES[SIM_MODE_ALIASES.get(sim_mode, sim_mode)]} not found in "
                f"{self.tables.directory}",
                tuple(self.tables.supplies),
            )
        return table

    def row_choices(self, key: str, table: SupplyTable) -> tuple[str, ...]:
        return tuple(r for r in table.names() if ROW_FILTERS[key](r))

    def check_table_value(self, ln: ConfigLine, table: SupplyTable) -> None:
        if ln.key in ROW_FILTERS:
            choices = self.row_choices(ln.key, table)
            if ln.value not in choices:
                self.add(ln.key, _value_problem(ln.value), choices, ln.number)
        elif ln.key == CROSS_KEY and ln.value == "custom":
            self.check_custom(ln)

    def check_custom(self, ln: ConfigLine) -> None:
        full = self.tables.corners.get("full_tt_gsgf")
        if full is None:
            self.add(CROSS_KEY, "row full_tt_gsgf missing from corner table", ("full_tt_gsgf",))
            return
        corners = (ln.third or "").split(" ")
        if corners == [""]:
            self.add(CROSS_KEY, "custom corner list is empty", full.corners, ln.number)
            return
        seen: set[str] = set()
        for corner in corners:
            if corner == "":
                problem = "corners must be separated by single spaces, no leading/trailing space"
            elif corner not in full.corners:
                problem = f"unknown corner {_quote(corner)}"
            elif corner in seen:
                problem = f"corner {_quote(corner)} repeated"
            else:
                seen.add(corner)
                continue
            self.add(CROSS_KEY, problem, full.corners, ln.number)
            return  # one line, one problem: the first of the list

    def check_sweeps(self, entries: Mapping[str, ConfigLine]) -> None:
        s2 = entries["2nd_supply_swp"].value
        third = entries["3rd_supply_swp"]
        if third.value != "NA" and s2 == "NA":
            self.add(
                third.key,
                "a 3rd supply needs a 2nd supply (2nd_supply_swp is NA)",
                ("NA",),
                third.number,
            )
            return
        swept: set[str] = set()
        for key in SWEEP_KEYS:
            ln = entries[key]
            if ln.value == "NA":
                continue
            rails = _rails(ln.value, swept)
            if rails & swept:
                free = tuple(
                    v for v in STATIC_VALUES[key] if v == "NA" or not (_rails(v, swept) & swept)
                )
                problem = f"rail {', '.join(sorted(rails & swept))} already swept"
                self.add(key, problem, free, ln.number)
                return  # the later positions depend on this one
            swept |= rails

    def check_corner_rows(self, values: Mapping[str, str]) -> None:
        gsgf = "_gsgf" if values["gs/gf_corner"] == "Yes" else ""
        needed = ["nom_tt", f"full_tt{gsgf}"]
        if values["mode"] != "prelay":
            cross = values.get(CROSS_KEY, "default")
            needed.append("cross_default" if cross == "custom" else f"cross_{cross}{gsgf}")
        for type_ in needed:
            if self.tables.corners.get(type_) is None:
                self.add(
                    "gs/gf_corner"
                    if "full_tt" in type_
                    else ("mode" if type_ == "nom_tt" else CROSS_KEY),
                    f"row {type_} missing from {self.tables.corners.filename}",
                    self.tables.corners.types(),
                )

    def check_mc(self, entries: Mapping[str, ConfigLine]) -> None:
        """The Monte Carlo keys (ours): the others need mc_samples; mc_at is ``worst`` or
        CORNER/T entries of this run (m40 or 125 at any of its corners, 85 or 100 at the
        typical one; only the typical corner for process+mismatch), each once."""
        if "mc_samples" not in entries:
            if not self.good("mc_samples"):
                return
            for key in ("mc_seed", "mc_kind", "mc_at"):
                if key in entries and self.good(key):
                    self.add(key, "needs mc_samples", ("a mc_samples:<1..99999> line",),
                             entries[key].number)  # fmt: skip
            return
        at = entries.get("mc_at")
        if at is None or at.value == "worst" or not self.good("mc_at", "mc_kind"):
            return
        allowed = self.mc_at_entries(entries)
        if allowed is None:
            return
        seen: set[str] = set()
        for entry in at.value.split(" "):
            if entry == "":
                problem = "entries must be separated by single spaces"
            elif entry not in allowed:
                problem = f"entry {_quote(entry)} not in this run"
            elif entry in seen:
                problem = f"entry {_quote(entry)} repeated"
            else:
                seen.add(entry)
                continue
            self.add("mc_at", problem, ("worst", *allowed), at.number)
            return

    def mc_at_entries(self, entries: Mapping[str, ConfigLine]) -> tuple[str, ...] | None:
        """The CORNER/T entries mc_at may name (None when the corner rows are broken)."""
        if not self.good("mode", "gs/gf_corner", CROSS_KEY):
            return None
        values = {k: ln.value for k, ln in entries.items()}
        gsgf = "_gsgf" if values.get("gs/gf_corner") == "Yes" else ""
        nom = self.tables.corners.get("nom_tt")
        full = self.tables.corners.get(f"full_tt{gsgf}")
        if nom is None or full is None:
            return None
        corners = list(full.corners)
        if values.get("mode", "prelay") != "prelay":
            cross = entries.get(CROSS_KEY)
            if cross is not None and cross.value == "custom":
                corners += (cross.third or "").split(" ")
            else:
                row = self.tables.corners.get(
                    f"cross_{cross.value if cross is not None else 'default'}{gsgf}"
                )
                corners += list(row.corners) if row is not None else []
        typical = nom.corners[0]
        if values.get("mc_kind") == "process+mismatch":
            corners = [typical]
        out = {f"{c}/{t}": None for c in corners for t in SWEPT_TEMPERATURES}
        out.update({f"{typical}/{t}": None for t in NOMINAL_TEMPERATURES})
        return tuple(sorted(out))

    def check_cells(self, values: Mapping[str, str], table: SupplyTable) -> None:
        condition = values["condition"]
        for key in ("vcc", "vccn", "vccana", "vcctx"):
            if self.good(key):
                self.check_rail_cells(key, values.get(key, OPTIONAL_DEFAULTS.get(key, "")), table,
                                      condition)  # fmt: skip
        for rail in VID_ROWS:
            row = table.get(rail)
            if row is None:
                self.add("vcc_vid", f"row {rail} missing from {table.filename}", VID_ROWS)
                return
            empty = row.empty_columns(condition)
            if empty:
                usable = tuple(
                    c
                    for c in CONDITION_COLUMNS
                    if all(
                        table.get(r) is not None and not table.get(r).empty_columns(c)  # type: ignore[union-attr]
                        for r in VID_ROWS
                    )
                )
                problem = f"{table.filename} row {rail} has empty {', '.join(empty)}"
                self.add("condition", problem, usable)
                return  # one line for the condition, not one per VID row

    def check_rail_cells(self, key: str, rail: str, table: SupplyTable, condition: str) -> None:
        row = table.get(rail)
        if row is None:  # only reachable for a defaulted optional key
            self.add(
                key,
                f"default row {_quote(rail)} missing from {table.filename}",
                self.row_choices(key, table),
            )
            return
        empty = row.empty_columns(condition)
        if not empty:
            return
        usable = tuple(
            r
            for r in self.row_choices(key, table)
            if not table.get(r).empty_columns(condition)  # type: ignore[union-attr]
        )
        if not usable:  # no row works: point at the conditions that would
            usable = tuple(f"condition:{c}" for c in CONDITION_COLUMNS if not row.empty_columns(c))
        problem = (
            f"{table.filename} row {rail} has empty {', '.join(empty)} under condition {condition}"
        )
        self.add(key, problem, usable)


@dataclass(frozen=True)
class Config:
    """A validated config.cfg. Build it with ``parse_config``."""

    text: str
    filename: str
    tables: CoreTables
    lines: tuple[ConfigLine, ...]

    # --- raw access -------------------------------------------------------------------------
    def to_text(self) -> str:
        return self.text

    def get(self, key: str) -> str:
        """The value of ``key``, the documented default for an absent optional key."""
        for ln in self.lines:
            if ln.key == key:
                return ln.value
        if key in MC_DEFAULTS:
            return MC_DEFAULTS[key]
        return OPTIONAL_DEFAULTS[key]

    # --- Monte Carlo (ours) -----------------------------------------------------------------
    @property
    def mc_samples(self) -> int | None:
        """Samples per Monte Carlo point; None: no Monte Carlo in this job."""
        value = self.get("mc_samples")
        return int(value) if value else None

    @property
    def mc_seed(self) -> int:
        return int(self.get("mc_seed"))

    @property
    def mc_kind(self) -> str:
        return self.get("mc_kind")

    @property
    def mc_at(self) -> str:
        return self.get("mc_at")

    def with_overrides(self, overrides: Mapping[str, str | None]) -> Config:
        """A new validated config where each given key's line is replaced by ``key:value``.

        The value is everything after the key's ':' (so ``custom:FSG SFG`` for the cross
        list); ``None`` deletes the key's line; a key not present is appended at the end.
        Every other byte of the file is kept.
        """
        raw = self.text.split("\n")
        by_key = {ln.key: ln.number for ln in self.lines}
        drop: set[int] = set()
        appended: list[str] = []
        for key, value in overrides.items():
            number = by_key.get(key)
            if value is None:
                if number is not None:
                    drop.add(number)
            elif number is not None:
                raw[number - 1] = f"{key}:{value}"
            else:
                appended.append(f"{key}:{value}")
        kept = [line for i, line in enumerate(raw, start=1) if i not in drop]
        text = "\n".join(kept)
        terminated = self.text == "" or self.text.endswith("\n")
        for line in appended:
            if text == "" or text.endswith("\n"):
                text += line + ("\n" if terminated else "")
            else:
                text += "\n" + line
        return parse_config(text, tables=self.tables, filename=self.filename)

    # --- typed values -----------------------------------------------------------------------
    @property
    def mode(self) -> str:
        return self.get("mode")

    @property
    def is_polo(self) -> bool:
        """The post-layout branch: any mode but prelay (``polo``, ``postlay``)."""
        return self.mode != "prelay"

    @property
    def condition(self) -> str:
        return self.get("condition")

    @property
    def sim_mode(self) -> str:
        return self.get("sim_mode")

    @property
    def simulator(self) -> str:
        return self.get("simulator")

    @property
    def cpu(self) -> int:
        return int(self.get("CPU #"))

    @property
    def mem_gb(self) -> int:
        return int(self.get("MEM [G]"))

    @property
    def alter_extraction(self) -> bool:
        return self.get("alter_extraction") == "Yes"

    @property
    def alter_string_length(self) -> int:
        return int(self.get("alter_string#"))

    @property
    def gs_gf(self) -> bool:
        return self.get("gs/gf_corner") == "Yes"

    @property
    def vcc_vid(self) -> bool:
        return self.get("vcc_vid") == "Yes"

    @property
    def supplies(self) -> tuple[str, ...]:
        """Swept rails in position order (``vccn_vcctx`` stays one position)."""
        return tuple(v for v in (self.get(k) for k in SWEEP_KEYS) if v != "NA")

    @property
    def supply_table(self) -> SupplyTable:
        table = self.tables.supply(self.sim_mode)
        assert table is not None  # checked by parse_config
        return table

    def rail_row(self, rail: str) -> str:
        """Row name the config selects for ``rail`` (vcc, vccn, vccana or vcctx)."""
        return self.get(rail)

    def levels(self, rail: str) -> tuple[str, str, str]:
        """(min, nom, max) raw strings for ``rail`` under this config's condition."""
        return self._row_levels(self.rail_row(rail))

    # --- corner lists -----------------------------------------------------------------------
    def _corner_row(self, type_: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        row = self.tables.corners.get(type_)
        assert row is not None  # checked by parse_config
        return row.extractions, row.corners

    @property
    def typical_extraction(self) -> str:
        return self._corner_row("nom_tt")[0][0]

    @property
    def typical_corner(self) -> str:
        return self._corner_row("nom_tt")[1][0]

    @property
    def typical_corners(self) -> tuple[str, ...]:
        return self._corner_row("full_tt_gsgf" if self.gs_gf else "full_tt")[1]

    @property
    def cross_list(self) -> str:
        return self.get(CROSS_KEY)

    def _cross_type(self) -> str:
        kind = "default" if self.cross_list == "custom" else self.cross_list
        return f"cross_{kind}" + ("_gsgf" if self.gs_gf and self.cross_list != "custom" else "")

    @property
    def cross_extractions(self) -> tuple[str, ...]:
        """cworst/cbest extractions (polo only; empty for prelay)."""
        return self._corner_row(self._cross_type())[0] if self.is_polo else ()

    @property
    def cross_corners(self) -> tuple[str, ...]:
        if not self.is_polo:
            return ()
        if self.cross_list == "custom":
            for ln in self.lines:
                if ln.key == CROSS_KEY:
                    return tuple((ln.third or "").split(" "))
        return self._corner_row(self._cross_type())[1]

    # --- PVT points -------------------------------------------------------------------------
    @property
    def v_count(self) -> int:
        return len(voltage_combos(len(self.supplies), self.condition))

    @property
    def point_count(self) -> int:
        c_typ = len(self.typical_corners)
        c_cross = len(self.cross_corners) * len(self.cross_extractions)
        return (c_typ + c_cross) * 2 * self.v_count + 2

    def points(self, temperatures: Iterable[object] | None = None) -> tuple[Point, ...]:
        """Every PVT point in the core's loop order, optionally restricted to a whitelisted
        temperature subset (the order is never changed)."""
        temps = TEMPERATURES if temperatures is None else validate_temperature_subset(temperatures)
        n = len(self.supplies)
        combos = voltage_combos(n, self.condition)
        out: list[Point] = []

        def sweep(corner: str, ex: str) -> None:
            for t in SWEPT_TEMPERATURES:
                if t in temps:
                    out.extend(Point(corner, ex, t, c) for c in combos)

        for corner in self.typical_corners:
            sweep(corner, self.typical_extraction)
        for corner in self.cross_corners:
            for ex in self.cross_extractions:
                sweep(corner, ex)
        nominal = ("nom",) * n
        for t in NOMINAL_TEMPERATURES:
            if t in temps:
                out.append(Point(self.typical_corner, self.typical_extraction, t, nominal))
        return tuple(out)

    def creport_supply_header(self) -> str:
        """Lines 1-9 of creport.txt (contract §5) as the core's srt prints them for this config.

        With VID off the line is ``vcc none vid: <vcc min,nom,max>``: its layout is from the
        contract's example, which was made with older tables, so only the VID-on form is
        checked against a real creport.
        """
        if self.vcc_vid:
            vid = "; ".join(
                f"vcc_{c}_{t}#" + ",".join(self._row_levels(f"vcc_vid_{c}_{t}"))
                for c in ("ff", "tt", "ss")
                for t in ("h", "c")
            )
            vid_line = f"vcc_vid: {vid}"
        else:
            vid_line = "vcc none vid: " + ",".join(self.levels("vcc"))
        lines = [
            "supply condition",
            *(f"v{i}: {self.get(k)}" for i, k in enumerate(SWEEP_KEYS, start=1)),
            vid_line,
            *(f"{r}: " + ",".join(self.levels(r)) for r in ("vccana", "vccn", "vcctx")),
            "",
        ]
        return "\n".join(lines) + "\n"

    def _row_levels(self, row_name: str) -> tuple[str, str, str]:
        row = self.supply_table.get(row_name)
        assert row is not None
        return row.levels(self.condition).as_tuple()

    @property
    def nominal_vt(self) -> str:
        return vt_token(("nom",) * len(self.supplies))


def parse_config(text: str | bytes, *, tables: CoreTables, filename: str = "config.cfg") -> Config:
    """Validate ``text`` against docs/config.md and the core's ``tables``.

    Raises ConfigError (never another exception) for any invalid input: the first problem,
    with every problem of the file, each a one-line ConfigError, in its ``problems``.
    """
    if isinstance(text, bytes):
        # Bytes are decoded one-to-one so a non-ASCII byte reaches the charset check.
        text = text.decode("latin-1")
    lines = _Validator(text, tables, filename).run()
    return Config(text, filename, tables, lines)


MAX_CONFIG_BYTES = 64 * 1024  # a real config.cfg is ~300 bytes


def read_config(path: Path | str, *, tables: CoreTables) -> Config:
    """The config.cfg at ``path`` (a regular file of at most 64 KiB: a FIFO, a device or a
    directory is refused without waiting on it), validated; every problem a ConfigError."""
    path = Path(path)
    try:
        data = read_input(path, "config file", limit=MAX_CONFIG_BYTES)
    except InputError as exc:
        problem = str(exc).removeprefix(show(str(path)) + ": ")
        raise ConfigError(str(path), "file", problem, ("a regular text file",)) from None
    return parse_config(data, tables=tables, filename=str(path))
