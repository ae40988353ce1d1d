"""F13: the harness's validator and the core's own reader agree on every config.

For each generated file, ``wkpup_harness.config.parse_config`` (with the core's tables) and
``perl <core>/ver03/configuration/read_cfg.pl <file> <confdir>`` must give the same verdict:
both accept (exit 0) or both reject (exit 2 with one ``ERROR:`` line on stderr). Accepted
files must round-trip byte for byte through ``Config.to_text()``. Run against the core's own
tables and, the real ver03 tables (tests/data).

The generator starts from a valid config built from the tables and applies zero to three
mutations from docs/config.md's rule list: wrong values, missing / unknown / duplicate keys,
whitespace, CRLF, non-ASCII and NUL bytes, empty files, blank lines, custom cross lists,
second colons, lines without a colon, no final newline.
"""

from __future__ import annotations

import functools
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from coreutil import CORE, FIXTURE, REAL_CONFIG_LINES
from hypothesis import event, given, settings
from hypothesis import strategies as st

from wkpup_harness.config import (
    KNOWN_KEYS,
    REQUIRED_KEYS,
    ROW_FILTERS,
    VID_ROWS,
    parse_config,
)
from wkpup_harness.config.tables import CONDITION_COLUMNS, SIM_MODE_ALIASES, CoreTables, load_tables
from wkpup_harness.errors import ConfigError

READ_CFG = CORE / "configuration" / "read_cfg.pl"
TABLE_SETS = {
    "core": CORE / "configuration",
    "real": FIXTURE / "configuration",
}
SWEEP_VALUES = {
    "1st_supply_swp": ("vcc", "vccana", "vccn"),
    "2nd_supply_swp": ("vccn", "vcctx", "vccana", "NA"),
    "3rd_supply_swp": ("vccn", "vccn_vcctx", "NA"),
}
YES_NO = ("Yes", "No")


@functools.cache
def tables_of(name: str) -> CoreTables:
    return load_tables(TABLE_SETS[name])


@pytest.fixture(scope="module", params=sorted(TABLE_SETS))
def table_set(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    # Module-scoped: hypothesis reuses it across examples (one file, rewritten each time).
    with tempfile.TemporaryDirectory(prefix="wkpup-agree-") as d:
        yield Path(d)


# --- the two verdicts -------------------------------------------------------------------------
def python_verdict(data: bytes, tables: CoreTables) -> tuple[bool, str]:
    try:
        cfg = parse_config(data, tables=tables)
    except ConfigError as exc:
        message = str(exc)
        assert "\n" not in message and message.startswith("ERROR: "), message
        return False, message
    # Accepted: the text round-trips byte for byte (bytes are decoded one-to-one).
    assert cfg.to_text().encode("latin-1") == data
    return True, ""


def core_verdict(data: bytes, confdir: Path, scratch: Path) -> tuple[bool, str]:
    path = scratch / "config.cfg"
    path.write_bytes(data)
    p = subprocess.run(
        ["perl", str(READ_CFG), str(path), str(confdir)], capture_output=True, check=False
    )
    err = p.stderr.decode("latin-1")
    if p.returncode == 0:
        assert err == "", err
        return True, ""
    assert p.returncode == 2, (p.returncode, err)
    assert p.stdout == b"", "read_cfg.pl printed assignments for a rejected file"
    # One line means one "\n": the core echoes offending text raw, so a control character
    # such as \x1e (a line boundary for str.splitlines) can sit inside the line.
    assert err.endswith("\n") and err.count("\n") == 1 and err.startswith("ERROR: "), err
    return False, err[:-1]


def assert_agree(data: bytes, table_set: str, scratch: Path) -> bool:
    tables = tables_of(table_set)
    py_ok, py_msg = python_verdict(data, tables)
    core_ok, core_msg = core_verdict(data, TABLE_SETS[table_set], scratch)
    assert py_ok == core_ok, (
        f"disagreement on {data!r} with {table_set} tables: "
        f"python {'accepts' if py_ok else 'rejects: ' + py_msg}; "
        f"core {'accepts' if core_ok else 'rejects: ' + core_msg}"
    )
    return py_ok


# --- generators -------------------------------------------------------------------------------
def _rows(tables: CoreTables, sim_mode: str, key: str) -> list[str]:
    table = tables.supply(sim_mode)
    assert table is not None
    return [r for r in table.names() if ROW_FILTERS[key](r)]


def _usable(tables: CoreTables, sim_mode: str, rails: dict[str, str], condition: str) -> bool:
    """Every cell the generator needs under ``condition`` is filled (docs/config.md)."""
    table = tables.supply(sim_mode)
    assert table is not None
    for rail in (*rails.values(), *VID_ROWS):
        row = table.get(rail)
        if row is None or row.empty_columns(condition):
            return False
    return True


@st.composite
def sweeps(draw: st.DrawFn) -> dict[str, str]:
    """A valid 1st/2nd/3rd supply combination (no rail twice; 3rd needs a 2nd)."""
    s1 = draw(st.sampled_from(SWEEP_VALUES["1st_supply_swp"]))
    s2 = draw(st.sampled_from([v for v in SWEEP_VALUES["2nd_supply_swp"] if v != s1]))
    used = {s1, s2}
    third = ["NA"]
    if s2 != "NA":
        # vccn_vcctx moves vcn always, vctx only when vcctx is not the 2nd supply (§9.2)
        third += [v for v in ("vccn", "vccn_vcctx") if "vccn" not in used]
    s3 = draw(st.sampled_from(third))
    return {"1st_supply_swp": s1, "2nd_supply_swp": s2, "3rd_supply_swp": s3}


@st.composite
def valid_entries(draw: st.DrawFn, tables: CoreTables) -> list[tuple[str, str]]:
    """(key, value) pairs of a config that docs/config.md accepts, in a random key order."""
    sim_mode = draw(st.sampled_from([*sorted(tables.supplies), *SIM_MODE_ALIASES]))
    rails = {k: draw(st.sampled_from(_rows(tables, sim_mode, k))) for k in ("vccn", "vcctx")}
    optional = {}
    for key in ("vcc", "vccana"):
        if draw(st.booleans()):
            optional[key] = draw(st.sampled_from(_rows(tables, sim_mode, key)))
    all_rails = {"vcc": "vcc", "vccana": "vccana", **rails, **optional}
    conditions = [c for c in CONDITION_COLUMNS if _usable(tables, sim_mode, all_rails, c)]
    # Some row choices leave no condition (an empty func_max, say): keep those for the
    # agreement test and pick rows that work here.
    if not conditions:
        rails["vccn"] = draw(
            st.sampled_from(
                [
                    r
                    for r in _rows(tables, sim_mode, "vccn")
                    if any(
                        _usable(tables, sim_mode, {**all_rails, "vccn": r}, c)
                        for c in CONDITION_COLUMNS
                    )
                ]
            )
        )
        all_rails["vccn"] = rails["vccn"]
        conditions = [c for c in CONDITION_COLUMNS if _usable(tables, sim_mode, all_rails, c)]
    entries = {
        "mode": draw(st.sampled_from(("prelay", "polo", "postlay"))),
        **rails,
        **draw(sweeps()),
        "condition": draw(st.sampled_from(conditions)),
        "CPU #": str(draw(st.integers(1, 9999))),
        "MEM [G]": str(draw(st.integers(1, 9999))),
        "alter_extraction": draw(st.sampled_from(YES_NO)),
        "alter_string#": str(draw(st.integers(0, 9999))),
        "sim_mode": sim_mode,
        "gs/gf_corner": draw(st.sampled_from(YES_NO)),
        "vcc_vid": draw(st.sampled_from(YES_NO)),
        "simulator": draw(st.sampled_from(("ngspice", "primesim", "finesim"))),
        **optional,
    }
    cross = draw(st.sampled_from((None, "default", "full", "custom")))
    if cross == "custom":
        full = tables.corners.get("full_tt_gsgf")
        assert full is not None
        corners = draw(st.lists(st.sampled_from(full.corners), unique=True, min_size=1))
        entries["postlay_cross_cornerlist"] = "custom:" + " ".join(corners)
    elif cross is not None:
        entries["postlay_cross_cornerlist"] = cross
    entries.update(draw(mc_entries(tables, entries)))
    keys = draw(st.permutations(list(entries)))
    return [(k, entries[k]) for k in keys]


@st.composite
def mc_entries(draw: st.DrawFn, tables: CoreTables, entries: dict[str, str]) -> dict[str, str]:
    """The Monte Carlo keys (ours), valid: none, or mc_samples with any of the other three
    (mc_at: worst or CORNER/T entries of the run's corners)."""
    if not draw(st.booleans()):
        return {}
    out = {"mc_samples": str(draw(st.integers(1, 99999)))}
    if draw(st.booleans()):
        out["mc_seed"] = str(draw(st.integers(0, 999999999)))
    kind = draw(st.sampled_from((None, "mismatch", "process+mismatch")))
    if kind is not None:
        out["mc_kind"] = kind
    nom = tables.corners.get("nom_tt")
    full = tables.corners.get("full_tt_gsgf" if entries["gs/gf_corner"] == "Yes" else "full_tt")
    if draw(st.booleans()) and nom is not None and full is not None:
        typical = nom.corners[0]
        corners = [typical] if kind == "process+mismatch" else list(full.corners)
        pool = [f"{c}/{t}" for c in corners for t in ("m40", "125")]
        pool += [f"{typical}/85", f"{typical}/100"]
        picked = draw(st.lists(st.sampled_from(pool), unique=True, min_size=1, max_size=3))
        out["mc_at"] = draw(st.sampled_from(("worst", " ".join(picked))))
    return out


BLANKS = ("", " ", "\t", "  \t ")


def _join(draw: st.DrawFn, lines: list[str], crlf: bool = False) -> bytes:
    end = "\r\n" if crlf else "\n"
    text = end.join(lines)
    if lines and draw(st.booleans()):
        text += end  # the last line may lack its newline (both readers take it)
    # Characters beyond ASCII become UTF-8; lone surrogates stand for raw (latin-1) bytes.
    return text.encode("utf-8", errors="surrogateescape")


@st.composite
def valid_files(draw: st.DrawFn, tables: CoreTables) -> bytes:
    lines = [f"{k}:{v}" for k, v in draw(valid_entries(tables))]
    for _ in range(draw(st.integers(0, 2))):  # blank lines are ignored anywhere
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(BLANKS)))
    return _join(draw, lines)


WRONG_VALUES = (
    "", " ", "yes", "no", "YES", "NA", "na", "0", "00", "01", "10000", "-1", "+1", "1.0", " 1",
    "prelay ", " polo", "tran\t", "Yes ", "vcc_vid_tt_h", "vcc_vid_ff_c", "vcctx", "vcc",
    "vccana", "vccana_max_0p96", "vcc_min_0p54", "1p8V", "3p3v", "1p1v", "custom", "full",
    "default", "9999", "vccn_vcctx", "vccn", "perf", "func", "htol", "hvqk", "ac", "dc",
    "hspice", "polo\x0b", "\x7f", "postlay", "post", "tr", "TR", "transient", "vcctx_600",
)  # fmt: skip
UNKNOWN_KEYS = (
    "foo", "CPU#", "cpu #", "CPU  #", "mode ", " mode", "Mode", "MEM[G]", "vcc_vid ", "#mode",
    "sim mode", "postlay_cross_cornerlist ", "vcctx_NA", "", "4th_supply_swp", "temperature",
)  # fmt: skip
CUSTOM_LISTS = (
    "", " ", "FSG", "FSG SFG", " FSG", "FSG ", "FSG  SFG", "FSG FSG", "fsg", "XYZ", "TT FFG_SSG",
    "SSG_FFG FFAG SSAG TT", "FSG\tSFG", "FSG,SFG", "FSG:SFG", "TT FSG SFG FFG FFAG SSG SSAG "
    "FFG_SSG SSG_FFG",
)  # fmt: skip
NON_ASCII = ("é", "\u00a0", "\u2019", "µ", "\udce9", "\udcff", "\udc85", "Ω")
ASCII_TEXT = st.text(st.characters(codec="ascii", exclude_characters="\n"), max_size=12)
MUTATIONS = (
    "blank", "wrong_value", "drop", "unknown", "duplicate", "space", "crlf_line", "crlf_all",
    "non_ascii", "nul", "no_colon", "second_colon", "custom", "empty", "random_line", "int",
    "random_value", "mc",
)  # fmt: skip
MC_LINES = (
    "mc_samples:0", "mc_samples:100000", "mc_samples:01", "mc_samples:200", "mc_seed:0",
    "mc_seed:1000000000", "mc_seed:-1", "mc_kind:process", "mc_kind:process+mismatch",
    "mc_at:", "mc_at:worst ", "mc_at:TT/m40", "mc_at:TT/85 TT/85", "mc_at:SSG/85",
    "mc_at:FSG/125", "mc_at:TT/m40  TT/125", "mc_at:XYZ/m40", "mc_at:worst TT/m40",
    "mc_at:TT/m40 SSAG/125", "mc_at:FFG_SSG/m40",
)  # fmt: skip


def _mutate(draw: st.DrawFn, lines: list[str], kind: str) -> bool:
    """Apply one mutation in place; returns True when the file should use CRLF endings."""
    pos = draw(st.integers(0, max(len(lines) - 1, 0)))
    has = bool(lines)
    key, _, value = lines[pos].partition(":") if has else ("", "", "")
    if kind == "blank":
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(BLANKS)))
    elif kind == "wrong_value" and has:
        lines[pos] = f"{key}:{draw(st.sampled_from(WRONG_VALUES))}"
    elif kind == "random_value" and has:
        lines[pos] = f"{key}:{draw(ASCII_TEXT)}"
    elif kind == "drop" and has:
        del lines[pos]
    elif kind == "unknown":
        line = f"{draw(st.sampled_from(UNKNOWN_KEYS))}:{draw(st.sampled_from(WRONG_VALUES))}"
        lines.insert(draw(st.integers(0, len(lines))), line)
    elif kind == "duplicate" and has:
        again = (
            lines[pos] if draw(st.booleans()) else f"{key}:{draw(st.sampled_from(WRONG_VALUES))}"
        )
        lines.insert(draw(st.integers(0, len(lines))), again)
    elif kind == "space" and has:
        ws = draw(st.sampled_from((" ", "\t", "  ")))
        lines[pos] = draw(
            st.sampled_from(
                (ws + lines[pos], lines[pos] + ws, f"{key}{ws}:{value}", f"{key}:{ws}{value}")
            )
        )
    elif kind == "crlf_line" and has:
        lines[pos] += "\r"
    elif kind == "crlf_all":
        return True
    elif kind == "non_ascii" and has:
        at = draw(st.integers(0, len(lines[pos])))
        lines[pos] = lines[pos][:at] + draw(st.sampled_from(NON_ASCII)) + lines[pos][at:]
    elif kind == "nul" and has:
        at = draw(st.integers(0, len(lines[pos])))
        lines[pos] = lines[pos][:at] + "\0" + lines[pos][at:]
    elif kind == "no_colon" and has:
        lines[pos] = draw(st.sampled_from((key, value, key + value)))
    elif kind == "second_colon" and has:
        lines[pos] += ":" + draw(st.sampled_from(("", "x", "FSG", "custom", ":")))
    elif kind == "custom":
        custom = "postlay_cross_cornerlist:custom"
        custom += draw(st.sampled_from(("", ":"))) + draw(st.sampled_from(CUSTOM_LISTS))
        lines[:] = [ln for ln in lines if not ln.startswith("postlay_cross_cornerlist:")]
        lines.insert(draw(st.integers(0, len(lines))), custom)
    elif kind == "empty":
        lines[:] = draw(st.lists(st.sampled_from(BLANKS), max_size=3))
    elif kind == "random_line":
        lines.insert(draw(st.integers(0, len(lines))), draw(ASCII_TEXT))
    elif kind == "mc":
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(MC_LINES)))
    elif kind == "int":
        target = draw(st.sampled_from(("CPU #", "MEM [G]", "alter_string#")))
        edge = draw(st.sampled_from(("0", "1", "9999", "10000", "01", "00", "+1", "1e3", "٣")))
        lines[:] = [f"{target}:{edge}" if ln.startswith(target + ":") else ln for ln in lines]
    return False


@st.composite
def any_files(draw: st.DrawFn, tables: CoreTables) -> bytes:
    lines = [f"{k}:{v}" for k, v in draw(valid_entries(tables))]
    crlf = False
    for kind in draw(st.lists(st.sampled_from(MUTATIONS), max_size=3)):
        crlf = _mutate(draw, lines, kind) or crlf
    return _join(draw, lines, crlf)


# --- the properties ---------------------------------------------------------------------------
@given(data=st.data())
def test_valid_configs_are_accepted_by_both_and_round_trip(table_set, scratch, data):
    blob = data.draw(valid_files(tables_of(table_set)), label="config.cfg")
    assert assert_agree(blob, table_set, scratch), "a valid config was rejected by both"
    path = scratch / "roundtrip.cfg"
    path.write_bytes(parse_config(blob, tables=tables_of(table_set)).to_text().encode("ascii"))
    assert path.read_bytes() == blob


@given(data=st.data())
def test_python_and_core_agree_on_every_config(table_set, scratch, data):
    blob = data.draw(any_files(tables_of(table_set)), label="config.cfg")
    accepted = assert_agree(blob, table_set, scratch)
    event("accepted" if accepted else "rejected")  # --hypothesis-show-statistics


# --- fixed cases: the shipped configs and the rules' edge cases, named ----------------------
def _shipped_configs() -> list[Path]:
    return [*sorted((CORE.parents[1] / "domains").glob("*/*/config.cfg")), FIXTURE / "config.cfg"]


@pytest.mark.parametrize("path", _shipped_configs(), ids=lambda p: "/".join(p.parts[-3:]))
def test_shipped_configs_agree(path, table_set, scratch):
    assert_agree(path.read_bytes(), table_set, scratch)


def _base() -> list[str]:
    return list(REAL_CONFIG_LINES)


EDGE_CASES = {
    "base": (lambda b: b, True),
    "no final newline": (lambda b: b, True),
    "gs/gf with a space": (lambda b: [*b[:12], "gs/gf_corner: No", *b[13:]], False),
    "custom list": (lambda b: [*b, "postlay_cross_cornerlist:custom:FSG SFG"], True),
    "custom list, double space": (
        lambda b: [*b, "postlay_cross_cornerlist:custom:FSG  SFG"],
        False,
    ),
    "custom without list": (lambda b: [*b, "postlay_cross_cornerlist:custom"], False),
    "default with a third field": (lambda b: [*b, "postlay_cross_cornerlist:default:"], False),
    "3rd without 2nd": (
        lambda b: [*b[:4], "2nd_supply_swp:NA", "3rd_supply_swp:vccn", *b[6:]],
        False,
    ),
    "vccn twice via vccn_vcctx": (lambda b: [*b[:5], "3rd_supply_swp:vccn_vcctx", *b[6:]], False),
    "vcctx then vccn_vcctx (§9.2)": (
        lambda b: [*b[:4], "2nd_supply_swp:vcctx", "3rd_supply_swp:vccn_vcctx", *b[6:]],
        True,
    ),
    "mode postlay (§9.8)": (lambda b: ["mode:postlay", *b[1:]], True),
    "sim_mode tr (§9.8)": (lambda b: [*b[:11], "sim_mode:tr", *b[12:]], True),
    "sim_mode other (§9.8: refused here)": (lambda b: [*b[:11], "sim_mode:sp", *b[12:]], False),
    "CPU # zero": (lambda b: [*b[:7], "CPU #:0", *b[8:]], False),
    "alter_string# zero": (lambda b: [*b[:10], "alter_string#:0", *b[11:]], True),
    "tran func with empty func_max": (
        lambda b: [*b[:6], "condition:func", *b[7:11], "sim_mode:tran", *b[12:]],
        False,
    ),
    "only blank lines": (lambda b: ["", " ", "\t"], False),
    "key without value": (lambda b: [*b, "vcc"], False),
    "mc_samples alone": (lambda b: [*b, "mc_samples:200"], True),
    "mc_seed without mc_samples": (lambda b: [*b, "mc_seed:3"], False),
    "mc worst, process+mismatch": (
        lambda b: [*b, "mc_samples:2", "mc_kind:process+mismatch", "mc_at:worst"],
        True,
    ),
    "mc_at at a slow corner": (lambda b: [*b, "mc_samples:2", "mc_at:SSG/m40 TT/85"], True),
    "mc_at slow corner, process+mismatch": (
        lambda b: [*b, "mc_samples:2", "mc_kind:process+mismatch", "mc_at:SSG/m40"],
        False,
    ),
    "mc_at 85 off the typical corner": (lambda b: [*b, "mc_samples:2", "mc_at:SSG/85"], False),
    "mc_at empty": (lambda b: [*b, "mc_samples:2", "mc_at:"], False),
}


@pytest.mark.parametrize("case", sorted(EDGE_CASES))
def test_edge_cases_agree(case, scratch):
    build, expected = EDGE_CASES[case]
    lines = build(_base())
    blob = "\n".join(lines).encode() + (b"" if case == "no final newline" else b"\n")
    assert assert_agree(blob, "core", scratch) is expected


def test_the_generator_reaches_both_verdicts_and_every_key(scratch):
    """The property is only as good as its inputs: the fixed seed above must produce both
    verdicts. Checked cheaply here on the Python side alone (agreement is checked above)."""
    tables = tables_of("core")
    seen_keys: set[str] = set()
    verdicts: set[bool] = set()

    # Its own settings: a coverage claim must not depend on the profile's example count or
    # on the run's random seed (50 random examples once missed mc_at, a key drawn 1 in ~8).
    @settings(max_examples=500, derandomize=True, deadline=None, database=None)
    @given(data=st.data())
    def probe(data):
        blob = data.draw(any_files(tables))
        verdicts.add(python_verdict(blob, tables)[0])
        for line in blob.decode("latin-1").split("\n"):
            seen_keys.add(line.partition(":")[0])

    probe()
    assert verdicts == {True, False}
    assert set(REQUIRED_KEYS) <= seen_keys and set(KNOWN_KEYS) <= seen_keys
