"""wkpup_harness.config: every rule of docs/config.md, round trips, point lists and counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from coreutil import CORE, FIXTURE, REAL_CONFIG_LINES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wkpup_harness.config import (
    ALLOWED_KEYS_SHOWN,
    KNOWN_KEYS,
    MC_DEFAULTS,
    REQUIRED_KEYS,
    Config,
    allowed_temperatures,
    parse_config,
    read_config,
    reject_local_pvt_loop,
    validate_temperature_subset,
)
from wkpup_harness.config.tables import SUPPLY_HEADER, CoreTables, load_tables
from wkpup_harness.errors import ConfigError

FIXTURES = FIXTURE
CORE_CONFIGURATION = CORE / "configuration"

BASE_LINES = REAL_CONFIG_LINES
BASE = "\n".join(BASE_LINES) + "\n"

# --- synthetic tables: same shape as the real ones, our own numbers --------------------------
CORNER_CSV = """type,extraction,corner list
nom_tt,typical,TT
full_tt,typical,TT FSG SFG FFG FFAG SSG SSAG
full_tt_gsgf,typical,TT FSG SFG FFG FFAG SSG SSAG FFG_SSG SSG_FFG
cross_default,cworst_CCworst_T cbest_CCbest_T,FSG SFG SSG FFG
cross_default_gsgf,cworst_CCworst_T cbest_CCbest_T,FSG SFG SSG FFG FFG_SSG SSG_FFG
cross_full,cworst_CCworst_T cbest_CCbest_T,TT FSG SFG FFG FFAG SSG SSAG
cross_full_gsgf,cworst_CCworst_T cbest_CCbest_T,TT FSG SFG FFG FFAG SSG SSAG FFG_SSG SSG_FFG
"""
RAILS = {
    "vcc": "0.7,0.71,0.8,0.9,0.91,0.95,1.5",
    "vcc_min_0p54": "0.54,0.54,0.8,0.96,0.96,0.95,1.5",
    **{
        f"vcc_vid_{c}_{t}": "0.66,0.67,0.75,0.9,0.91,0.95,1.5"
        for c in ("ff", "tt", "ss")
        for t in ("h", "c")
    },
    "vccana": "0.7,0.71,0.75,0.79,0.8,0.95,1.5",
    "vccana_0p70v": "0.65,0.66,0.70,0.74,0.75,0.95,1.5",
    "vccana_max_0p96": "0.54,0.54,0.75,0.96,0.96,0.95,1.5",
    "vcctx_600": "0.56,0.57,0.6,0.63,0.64,0.62,0.8",
    "vcctx_NA": ",".join(['"0.5*vcn"'] * 7),
    "1p1v": "0.98,0.99,1.1,1.19,1.2,1.25,1.6",
    "1p05v": "0.93,0.94,1.05,1.13,1.14,1.25,1.6",
    "1p8v": "1.6,1.62,1.8,1.98,2.0,2.1,2.2",
}


def supply_csv(rails: dict[str, str], empty_func_max: bool = False) -> str:
    lines = [",".join(SUPPLY_HEADER)]
    for rail, cells in rails.items():
        parts = cells.split(",")
        if empty_func_max and rail[0].isdigit():
            parts[4] = ""  # like the real table_supply_list.csv: no func_max for 1p*v
        lines.append(",".join([rail, *parts]))
    return "\n".join(lines) + "\n"


def write_tables(directory: Path, rails: dict[str, str]) -> CoreTables:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "table_corner_list.csv").write_text(CORNER_CSV)
    (directory / "table_supply_list_ac.csv").write_text(supply_csv(rails))
    (directory / "table_supply_list_dc.csv").write_text(supply_csv(rails))
    (directory / "table_supply_list.csv").write_text(supply_csv(rails, empty_func_max=True))
    return load_tables(directory)


@pytest.fixture(scope="session")
def tables(tmp_path_factory: pytest.TempPathFactory) -> CoreTables:
    return write_tables(tmp_path_factory.mktemp("tables"), RAILS)


def parse(text: str | bytes, tables: CoreTables) -> Config:
    return parse_config(text, tables=tables, filename="config.cfg")


def with_line(key: str, line: str | None, base: str = BASE) -> str:
    """BASE with ``key``'s line replaced by ``line`` (None removes it; a new key is appended)."""
    out, found = [], False
    for raw in base.split("\n")[:-1]:
        if raw.split(":", 1)[0] == key:
            found = True
            if line is not None:
                out.append(line)
        else:
            out.append(raw)
    if not found and line is not None:
        out.append(line)
    return "\n".join(out) + "\n"


def with_values(base: str = BASE, **values: str) -> str:
    names = {
        "cpu": "CPU #",
        "mem": "MEM [G]",
        "gsgf": "gs/gf_corner",
        "cross": "postlay_cross_cornerlist",
    }
    for name, value in values.items():
        key = names.get(name) or {"s1": "1st_supply_swp", "s2": "2nd_supply_swp"}.get(name) or name
        key = {"s3": "3rd_supply_swp", "alter_string": "alter_string#"}.get(name, key)
        base = with_line(key, f"{key}:{value}", base)
    return base


def reject(text: str | bytes, tables: CoreTables) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse(text, tables)
    return info.value


# --- the real config -------------------------------------------------------------------------
def test_base_config(tables: CoreTables) -> None:
    cfg = parse(BASE, tables)
    assert cfg.to_text() == BASE
    assert cfg.mode == "prelay" and not cfg.is_polo
    assert cfg.supplies == ("vcc", "vccn")
    assert cfg.condition == "perf" and cfg.sim_mode == "ac" and cfg.simulator == "primesim"
    assert (cfg.cpu, cfg.mem_gb, cfg.alter_string_length) == (4, 4, 11)
    assert cfg.gs_gf and cfg.vcc_vid and not cfg.alter_extraction
    assert cfg.get("vcc") == "vcc" and cfg.get("vccana") == "vccana"  # defaults
    assert cfg.cross_list == "default"
    assert cfg.levels("vcctx") == ('"0.5*vcn"',) * 3
    assert cfg.levels("vccn") == ("0.99", "1.1", "1.19")
    assert cfg.v_count == 5 and cfg.point_count == 92


def test_real_config_and_creport_header() -> None:
    real_tables = load_tables(FIXTURES / "configuration")
    cfg = read_config(FIXTURES / "config.cfg", tables=real_tables)
    assert cfg.to_text() == (FIXTURES / "config.cfg").read_text()
    assert cfg.point_count == len(cfg.points()) == 92
    creport = (FIXTURES / "00bkp_202510301443" / "report" / "creport.txt").read_text()
    assert creport.startswith(cfg.creport_supply_header())
    reports = {
        p.name[len("report_") : -4]
        for p in (FIXTURES / "00bkp_202510301443" / "report").glob("report_*")
    }
    assert reports == {p.name for p in cfg.points()}


# --- format ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        BASE,
        BASE[:-1],  # no trailing newline: the last line is still read
        "\n" + BASE.replace("condition:perf\n", "condition:perf\n\n   \n\t\n \t \n") + "\n\n",
        "".join(reversed(BASE.splitlines(keepends=True))),
        BASE + "vcc:vcc_min_0p54\nvccana:vccana_0p70v\npostlay_cross_cornerlist:full",
        BASE + "postlay_cross_cornerlist:custom:FSG SFG FFG_SSG\n",
    ],
    ids=["base", "no-newline", "blank-lines", "reordered", "optional-no-newline", "custom"],
)
def test_round_trip_is_byte_identical(tables: CoreTables, text: str) -> None:
    assert parse(text, tables).to_text() == text


def test_last_line_without_newline_is_read(tables: CoreTables) -> None:
    text = with_line("simulator", None) + "simulator:ngspice"
    assert parse(text, tables).simulator == "ngspice"
    err = reject(with_line("simulator", None) + "simulator:hspice", tables)
    assert (err.line, err.key) == (15, "simulator")


def test_value_is_between_first_and_second_colon(tables: CoreTables) -> None:
    err = reject(with_values(mode="prelay:x"), tables)
    assert err.key == "mode" and "second ':'" in err.problem
    err = reject(with_values(mode="prelay:"), tables)
    assert err.key == "mode"
    err = reject(with_values(cross="default:FSG"), tables)
    assert err.key == "postlay_cross_cornerlist"


@pytest.mark.parametrize(
    "key", ["Mode", " mode", "mode ", "CPU#", "CPU  #", "MEM[G]", "gs_gf_corner", "foo"]
)
def test_keys_are_exact(tables: CoreTables, key: str) -> None:
    err = reject(BASE + f"{key}:prelay\n", tables)
    assert err.line == 16 and err.key == key and "unknown key" in err.problem
    assert err.allowed == ALLOWED_KEYS_SHOWN
    assert set(KNOWN_KEYS) - set(ALLOWED_KEYS_SHOWN) == set(MC_DEFAULTS)


def test_line_without_colon_is_a_key_without_value(tables: CoreTables) -> None:
    err = reject(with_line("mode", "mode"), tables)
    assert (err.key, err.problem, err.line) == ("mode", "empty value", 1)
    err = reject(BASE + "just words\n", tables)
    assert err.key == "just words"


@pytest.mark.parametrize("value", [" No", "No ", "\tNo", "No\t", " No "])
def test_whitespace_around_values_is_rejected(tables: CoreTables, value: str) -> None:
    err = reject(with_values(gsgf=value), tables)
    assert err.key == "gs/gf_corner" and "whitespace" in err.problem and err.line == 13


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        (BASE.replace("\n", "\r\n"), 1, "carriage return"),
        (BASE.replace("vcc_vid:Yes\n", "vcc_vid:Yes\r\n"), 14, "carriage return"),
        (BASE.replace("mode:prelay", "mode:pre\0lay"), 1, "NUL"),
        (BASE.replace("condition:perf", "condition:perf\u00e9"), 7, "non-ASCII"),
        (BASE + "# caf\u00e9\n", 16, "non-ASCII"),
        (BASE.replace("MEM [G]", "MEM\u00a0[G]"), 9, "non-ASCII"),
    ],
)
def test_bad_characters(tables: CoreTables, text: str, line: int, problem: str) -> None:
    err = reject(text, tables)
    assert err.line == line and problem in err.problem
    assert "\r" not in str(err) and "\0" not in str(err) and str(err).isascii()


def test_bad_bytes(tables: CoreTables) -> None:
    err = reject(BASE.encode() + b"simulator:\xff\n", tables)
    assert err.line == 16 and "non-ASCII" in err.problem
    assert parse(BASE.encode(), tables).to_text() == BASE


# --- keys ------------------------------------------------------------------------------------
KEY_CASES: list[tuple[str, str, list[str], list[str]]] = [
    # (key, base to start from, accepted values, rejected values)
    ("mode", BASE, ["prelay", "polo", "postlay"], ["post", "Prelay", "", "polo ", "Postlay"]),
    ("vccn", BASE, ["1p1v", "1p05v", "1p8v"], ["1p0v", "vcc", "vcctx_600", "1P1V", "1p1"]),
    ("vcctx", BASE, ["vcctx_NA", "vcctx_600"], ["vcctx_800", "vcc", "1p1v", "vcctx"]),
    (
        "1st_supply_swp",
        with_values(s2="NA"),
        ["vcc", "vccana", "vccn"],
        ["vcctx", "NA", "vc", "vccn_vcctx"],
    ),
    (
        "2nd_supply_swp",
        with_values(s1="vcc"),
        ["vccn", "vcctx", "vccana", "NA"],
        ["vcc", "vNA", "na"],
    ),
    (
        "3rd_supply_swp",
        with_values(s2="vccana"),
        ["vccn", "vccn_vcctx", "NA"],
        ["vcctx", "vNA", "vcc", "vccana"],
    ),
    ("condition", BASE, ["perf", "func", "htol", "hvqk"], ["Perf", "typ", ""]),
    ("CPU #", BASE, ["1", "4", "16", "9999"], ["0", "04", "+4", "-1", "10000", "4.0", "four", ""]),
    ("MEM [G]", BASE, ["1", "4", "9999"], ["0", "007", "+4", "1e3", "10000", ""]),
    ("alter_extraction", BASE, ["Yes", "No"], ["yes", "no", "Y", "True"]),
    ("alter_string#", BASE, ["0", "5", "11", "9999"], ["00", "011", "-1", "10000", "x"]),
    ("sim_mode", BASE, ["ac", "dc", "tran", "tr"], ["AC", "other", "sp", "TR", "transient"]),
    ("gs/gf_corner", BASE, ["Yes", "No"], ["YES", "N", ""]),
    ("vcc_vid", BASE, ["Yes", "No"], ["yes", "NO"]),
    ("simulator", BASE, ["ngspice", "primesim", "finesim"], ["hspice", "PrimeSim", ""]),
    ("vcc", BASE, ["vcc", "vcc_min_0p54"], ["vcc_vid_tt_h", "vccana", "vcc_min", ""]),
    ("vccana", BASE, ["vccana", "vccana_0p70v", "vccana_max_0p96"], ["vcc", "vccana_0p7", ""]),
    (
        "postlay_cross_cornerlist",
        with_values(mode="polo"),
        ["default", "full", "custom:FSG", "custom:FFG_SSG SSG_FFG", "custom:TT FSG SFG"],
        [
            "custom",
            "custom:",
            "custom:FSG FSG",
            "custom:XX",
            "custom: FSG",
            "custom:FSG ",
            "custom:FSG  SFG",
            "custom:FSG\tSFG",
            "Full",
            "default:FSG",
            "full:",
            "",
        ],
    ),
]


@pytest.mark.parametrize(
    ("key", "base", "value"),
    [(k, b, v) for k, b, good, _ in KEY_CASES for v in good],
)
def test_key_accepts(tables: CoreTables, key: str, base: str, value: str) -> None:
    cfg = parse(with_line(key, f"{key}:{value}", base), tables)
    assert cfg.get(key) == value.split(":")[0]


@pytest.mark.parametrize(
    ("key", "base", "value"),
    [(k, b, v) for k, b, _, bad in KEY_CASES for v in bad],
)
def test_key_rejects(tables: CoreTables, key: str, base: str, value: str) -> None:
    text = with_line(key, f"{key}:{value}", base)
    err = reject(text, tables)
    assert err.key == key
    assert err.line == text.split("\n").index(f"{key}:{value}") + 1
    assert err.allowed


def test_table_keys_list_table_rows(tables: CoreTables) -> None:
    assert reject(with_values(vccn="1p0v"), tables).allowed == ("1p1v", "1p05v", "1p8v")
    assert reject(with_values(vcctx="x"), tables).allowed == ("vcctx_600", "vcctx_NA")
    assert reject(with_values(vcc="x"), tables).allowed == ("vcc", "vcc_min_0p54")
    assert reject(with_values(vccana="x"), tables).allowed == (
        "vccana",
        "vccana_0p70v",
        "vccana_max_0p96",
    )


def test_optional_key_defaults(tables: CoreTables) -> None:
    cfg = parse(BASE, tables)
    assert cfg.levels("vcc") == ("0.71", "0.8", "0.9")
    cfg = cfg.with_overrides({"vcc": "vcc_min_0p54", "vccana": "vccana_0p70v"})
    assert cfg.levels("vcc") == ("0.54", "0.8", "0.96")
    assert cfg.levels("vccana") == ("0.66", "0.70", "0.74")


# --- rules across keys -----------------------------------------------------------------------
@pytest.mark.parametrize("key", KNOWN_KEYS)
def test_duplicate_key(tables: CoreTables, key: str) -> None:
    cfg = parse(BASE, tables)
    line = f"{key}:{cfg.get(key) or '200'}"  # (mc_samples has no default: absent is off)
    base = BASE if key in REQUIRED_KEYS else BASE + line + "\n"
    if key.startswith("mc_") and key != "mc_samples":
        base += "mc_samples:200\n"  # the other Monte Carlo keys need it
    err = reject(base + line + "\n", tables)
    assert err.key == key and "duplicate" in err.problem
    assert err.line == base.count("\n") + 1


@pytest.mark.parametrize("key", REQUIRED_KEYS)
def test_missing_required_key(tables: CoreTables, key: str) -> None:
    err = reject(with_line(key, None), tables)
    assert (err.key, err.line) == (key, None) and err.problem == "missing required key"
    assert str(err).startswith(f"ERROR: config.cfg: {key}: missing required key; allowed: ")


def test_empty_file(tables: CoreTables) -> None:
    for text in ("", "\n", "\n\n  \n"):
        err = reject(text, tables)
        assert (
            str(err)
            == "ERROR: config.cfg: mode: missing required key; allowed: prelay, polo, postlay"
        )


def test_third_supply_needs_second(tables: CoreTables) -> None:
    err = reject(with_values(s2="NA", s3="vccn"), tables)
    assert (err.key, err.line) == ("3rd_supply_swp", 6) and err.allowed == ("NA",)


@pytest.mark.parametrize(
    ("s1", "s2", "s3", "bad_key"),
    [
        ("vccn", "vccn", "NA", "2nd_supply_swp"),
        ("vccana", "vccana", "NA", "2nd_supply_swp"),
        ("vcc", "vccn", "vccn", "3rd_supply_swp"),
        ("vcc", "vccn", "vccn_vcctx", "3rd_supply_swp"),
        ("vccn", "vccana", "vccn_vcctx", "3rd_supply_swp"),
        ("vccn", "vcctx", "vccn", "3rd_supply_swp"),
    ],
)
def test_no_rail_swept_twice(tables: CoreTables, s1: str, s2: str, s3: str, bad_key: str) -> None:
    err = reject(with_values(s1=s1, s2=s2, s3=s3), tables)
    assert err.key == bad_key and "already swept" in err.problem


@pytest.mark.parametrize(
    ("s1", "s2", "s3", "supplies"),
    [
        ("vcc", "NA", "NA", ("vcc",)),
        ("vcc", "vcctx", "vccn", ("vcc", "vcctx", "vccn")),
        ("vcc", "vccana", "vccn_vcctx", ("vcc", "vccana", "vccn_vcctx")),
        # contract §9.2: v2 drives vctx, v3 moves only vcn and vsh
        ("vcc", "vcctx", "vccn_vcctx", ("vcc", "vcctx", "vccn_vcctx")),
        ("vccn", "vcctx", "NA", ("vccn", "vcctx")),
        ("vccana", "vccn", "NA", ("vccana", "vccn")),
    ],
)
def test_distinct_sweeps_accepted(
    tables: CoreTables, s1: str, s2: str, s3: str, supplies: tuple[str, ...]
) -> None:
    assert parse(with_values(s1=s1, s2=s2, s3=s3), tables).supplies == supplies


def test_empty_cells_rejected_for_the_selected_columns(tables: CoreTables) -> None:
    # table_supply_list.csv (tran) has no func_max for the 1p*v rows.
    err = reject(with_values(sim_mode="tran", condition="func"), tables)
    assert err.key == "vccn" and err.line is None and "func_max" in err.problem
    assert str(err).startswith("ERROR: config.cfg: vccn: table_supply_list.csv row 1p1v")
    for condition in ("perf", "htol", "hvqk"):  # these never read func_max
        parse(with_values(sim_mode="tran", condition=condition), tables)
    parse(with_values(sim_mode="ac", condition="func"), tables)


def test_empty_cell_in_unswept_rail_is_still_rejected(tables: CoreTables) -> None:
    # The generator receives every rail, swept or not.
    err = reject(with_values(sim_mode="tran", condition="func", s2="NA"), tables)
    assert err.key == "vccn"


def test_empty_vid_cell_rejected(tmp_path: Path) -> None:
    rails = dict(RAILS)
    rails["vcc_vid_ss_c"] = "0.66,0.67,0.75,0.9,0.91,,1.5"  # no htol
    broken = write_tables(tmp_path, rails)
    err = reject(with_values(condition="htol", vcc_vid="No"), broken)
    assert err.key == "condition" and "vcc_vid_ss_c" in err.problem and err.line is None
    assert err.allowed == ("func", "perf", "hvqk")
    parse(BASE, broken)


def test_missing_table_and_rows(tmp_path: Path) -> None:
    rails = {k: v for k, v in RAILS.items() if k not in ("vcc", "vcc_vid_tt_h")}
    broken = write_tables(tmp_path, rails)
    err = reject(BASE, broken)
    assert err.key == "vcc" and err.line is None and "default row" in err.problem
    err = reject(with_values(vcc="vcc_min_0p54"), broken)
    assert err.key == "vcc_vid" and "vcc_vid_tt_h" in err.problem
    (tmp_path / "table_supply_list.csv").unlink()
    err = reject(with_values(sim_mode="tran"), load_tables(tmp_path))
    assert err.key == "sim_mode" and "not found" in err.problem and err.allowed == ("ac", "dc")


# --- error message format --------------------------------------------------------------------
def test_error_line_format(tables: CoreTables) -> None:
    assert str(reject(with_values(mode="post"), tables)) == (
        "ERROR: config.cfg:1: mode: invalid value 'post'; allowed: prelay, polo, postlay"
    )
    assert str(reject(with_values(gsgf=" No"), tables)) == (
        "ERROR: config.cfg:13: gs/gf_corner: leading or trailing whitespace in value ' No'; "
        "allowed: Yes, No"
    )
    assert str(reject(with_values(cpu="04"), tables)) == (
        "ERROR: config.cfg:8: CPU #: invalid value '04'; "
        "allowed: integer 1..9999 without sign or leading zero"
    )
    err = parse_error_from_file(tables)
    assert str(err).startswith("ERROR: /x/y/config.cfg:2: vccn: ")


def parse_error_from_file(tables: CoreTables) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(with_values(vccn="1p2v"), tables=tables, filename="/x/y/config.cfg")
    return info.value


# --- overrides -------------------------------------------------------------------------------
def test_with_overrides_changes_only_those_lines(tables: CoreTables) -> None:
    text = "\n" + BASE.replace("condition:perf\n", "condition:perf\n\n")
    cfg = parse(text, tables)
    new = cfg.with_overrides({"condition": "htol", "mode": "polo"})
    assert new.to_text() == text.replace("condition:perf", "condition:htol").replace(
        "mode:prelay", "mode:polo"
    )
    assert cfg.to_text() == text  # unchanged
    added = cfg.with_overrides({"postlay_cross_cornerlist": "custom:FSG SFG"})
    assert added.to_text() == text + "postlay_cross_cornerlist:custom:FSG SFG\n"
    with pytest.raises(ConfigError):
        cfg.with_overrides({"vcc_vid": None})
    with pytest.raises(ConfigError):
        cfg.with_overrides({"mode": "post"})


def test_with_overrides_keeps_missing_trailing_newline(tables: CoreTables) -> None:
    cfg = parse(BASE[:-1], tables)
    new = cfg.with_overrides({"vcc": "vcc_min_0p54", "simulator": "ngspice"})
    assert new.to_text() == BASE[:-1].replace("primesim", "ngspice") + "\nvcc:vcc_min_0p54"
    back = new.with_overrides({"vcc": None})
    assert back.to_text() == BASE[:-1].replace("primesim", "ngspice")


# --- points ----------------------------------------------------------------------------------
COUNT_CASES = [
    # (mode, supplies, gs/gf, condition, cross list, N) — contract §3
    ("prelay", 1, "No", "perf", None, 44),
    ("prelay", 1, "Yes", "perf", None, 56),
    ("prelay", 2, "No", "perf", None, 72),
    ("prelay", 2, "Yes", "perf", None, 92),
    ("prelay", 3, "Yes", "perf", None, 164),
    ("prelay", 2, "Yes", "htol", None, 20),
    ("polo", 1, "No", "perf", "default", 92),
    ("polo", 1, "Yes", "perf", "default", 128),
    ("polo", 1, "No", "perf", "full", 128),
    ("polo", 1, "Yes", "perf", "full", 164),
    ("polo", 1, "No", "perf", "custom:FSG SFG", 68),
    ("polo", 2, "Yes", "perf", "default", 212),
]
SWEEPS = {1: ("vcc", "NA", "NA"), 2: ("vcc", "vccn", "NA"), 3: ("vcc", "vcctx", "vccn")}


def count_config(mode: str, n: int, gsgf: str, condition: str, cross: str | None) -> str:
    s1, s2, s3 = SWEEPS[n]
    text = with_values(mode=mode, s1=s1, s2=s2, s3=s3, gsgf=gsgf, condition=condition)
    return text if cross is None else with_values(text, cross=cross)


def table_sources() -> list[object]:
    return [
        pytest.param(FIXTURES / "configuration", id="real"),
        pytest.param(CORE_CONFIGURATION, id="core"),
    ]


@pytest.mark.parametrize("source", table_sources())
@pytest.mark.parametrize(("mode", "n", "gsgf", "condition", "cross", "expected"), COUNT_CASES)
def test_point_counts(
    source: Path, mode: str, n: int, gsgf: str, condition: str, cross: str | None, expected: int
) -> None:
    cfg = parse(count_config(mode, n, gsgf, condition, cross), load_tables(source))
    assert cfg.point_count == expected
    points = cfg.points()
    assert len(points) == expected
    assert len({p.name for p in points}) == expected


@pytest.mark.parametrize(("mode", "n", "gsgf", "condition", "cross", "expected"), COUNT_CASES)
def test_point_counts_synthetic(
    tables: CoreTables,
    mode: str,
    n: int,
    gsgf: str,
    condition: str,
    cross: str | None,
    expected: int,
) -> None:
    assert len(parse(count_config(mode, n, gsgf, condition, cross), tables).points()) == expected


def vts(cfg: Config, corner: str, temp: str) -> list[str]:
    return [p.vt for p in cfg.points() if p.corner == corner and p.temp_token == temp]


def test_vt_orders(tables: CoreTables) -> None:
    one = parse(count_config("prelay", 1, "No", "perf", None), tables)
    assert vts(one, "TT", "m40") == ["v1min", "v1max", "v1nom"]
    two = parse(BASE, tables)
    assert vts(two, "FSG", "125") == [
        "v1min_v2min",
        "v1min_v2max",
        "v1max_v2min",
        "v1max_v2max",
        "v1nom_v2nom",
    ]
    three = parse(count_config("prelay", 3, "Yes", "perf", None), tables)
    assert vts(three, "SSG", "m40") == [
        "v1min_v2min_v3min",
        "v1min_v2min_v3max",
        "v1min_v2max_v3min",
        "v1min_v2max_v3max",
        "v1max_v2min_v3min",
        "v1max_v2min_v3max",
        "v1max_v2max_v3min",
        "v1max_v2max_v3max",
        "v1nom_v2nom_v3nom",
    ]
    assert vts(three, "TT", "85") == ["v1nom_v2nom_v3nom"]
    for condition in ("htol", "hvqk"):
        for n, top in ((1, "v1max"), (2, "v1max_v2max"), (3, "v1max_v2max_v3max")):
            cfg = parse(count_config("prelay", n, "No", condition, None), tables)
            assert cfg.v_count == 1
            assert vts(cfg, "TT", "m40") == vts(cfg, "TT", "125") == [top]
            assert vts(cfg, "TT", "100") == ["_".join(f"v{i}nom" for i in range(1, n + 1))]


def test_point_order_prelay(tables: CoreTables) -> None:
    points = parse(BASE, tables).points()
    head = [(p.corner, p.temp_token) for p in points[:11]]
    assert head == [("TT", "m40")] * 5 + [("TT", "125")] * 5 + [("FSG", "m40")]
    assert [p.corner for p in points[::10]][:9] == [
        "TT",
        "FSG",
        "SFG",
        "FFG",
        "FFAG",
        "SSG",
        "SSAG",
        "FFG_SSG",
        "SSG_FFG",
    ]
    assert [p.name for p in points[-2:]] == [
        "TT_typical_85_v1nom_v2nom",
        "TT_typical_100_v1nom_v2nom",
    ]
    first = points[1]
    assert first.core_line() == "TT typical m40 v1min_v2max min max NA"
    assert first.directory == "TT/typical/typical_m40/v1min_v2max"
    assert (first.temperature, points[-1].temperature) == (-40, 100)


def test_point_order_polo(tables: CoreTables) -> None:
    cfg = parse(count_config("polo", 1, "No", "perf", "custom:SFG FSG"), tables)
    assert cfg.cross_corners == ("SFG", "FSG")
    assert cfg.cross_extractions == ("cworst_CCworst_T", "cbest_CCbest_T")
    cross = [
        (p.corner, p.extraction, p.temp_token) for p in cfg.points() if p.extraction != "typical"
    ]
    assert cross[::3] == [
        ("SFG", "cworst_CCworst_T", "m40"),
        ("SFG", "cworst_CCworst_T", "125"),
        ("SFG", "cbest_CCbest_T", "m40"),
        ("SFG", "cbest_CCbest_T", "125"),
        ("FSG", "cworst_CCworst_T", "m40"),
        ("FSG", "cworst_CCworst_T", "125"),
        ("FSG", "cbest_CCbest_T", "m40"),
        ("FSG", "cbest_CCbest_T", "125"),
    ]
    assert cfg.points()[21].extraction == "typical" and cfg.points()[-1].extraction == "typical"
    prelay = parse(BASE, tables)
    assert prelay.cross_corners == () and prelay.cross_extractions == ()


def test_gsgf_selects_corner_rows(tables: CoreTables) -> None:
    polo = parse(with_values(mode="polo", gsgf="No"), tables)
    assert polo.typical_corners == ("TT", "FSG", "SFG", "FFG", "FFAG", "SSG", "SSAG")
    assert polo.cross_corners == ("FSG", "SFG", "SSG", "FFG")
    gsgf = polo.with_overrides({"gs/gf_corner": "Yes", "postlay_cross_cornerlist": "full"})
    assert gsgf.cross_corners[-2:] == ("FFG_SSG", "SSG_FFG") and len(gsgf.cross_corners) == 9


# --- temperatures and rejected features ------------------------------------------------------
def test_temperature_subsets(tables: CoreTables) -> None:
    assert allowed_temperatures() == ("m40", "125", "85", "100")
    assert validate_temperature_subset(["125", "m40"]) == ("m40", "125")
    assert validate_temperature_subset([-40, 100]) == ("m40", "100")
    assert validate_temperature_subset(["-40"]) == ("m40",)
    cfg = parse(BASE, tables)
    assert [p.name for p in cfg.points(temperatures=["85"])] == ["TT_typical_85_v1nom_v2nom"]
    assert len(cfg.points(temperatures=["m40"])) == 45


@pytest.mark.parametrize(
    ("subset", "problem"),
    [
        ([50], "not in the core's list"),
        (["50", "75", "90"], "not in the core's list"),
        (["m40", "m40"], "repeated"),
        ([], "empty"),
        ("m40 125", "per-temperature"),
        ({"m40": "v1min_v2min", "125": "v1max_v2max"}, "per-temperature"),
        ([{"125": "v1max_v2max"}], "per-temperature"),
        (["125:v1max_v2max"], "per-temperature"),
        ([True], "per-temperature"),
        ([-40.0], "per-temperature"),
    ],
)
def test_rejected_temperature_features(subset: object, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem) as info:
        validate_temperature_subset(subset)  # type: ignore[arg-type]
    assert str(info.value).startswith("ERROR: <temperatures>: temperatures: ")
    assert str(info.value).endswith("allowed: m40, 125, 85, 100")


def test_local_pvt_loop_refused(tmp_path: Path) -> None:
    reject_local_pvt_loop(tmp_path)
    (tmp_path / "local_pvt_loop.sh").write_text("pvt_loop() { :; }\n")
    with pytest.raises(ConfigError, match="local pvt_loop overrides are not supported"):
        reject_local_pvt_loop(tmp_path)


# --- properties ------------------------------------------------------------------------------
SWEEP_CHOICES = [
    ("vcc", "NA", "NA"),
    ("vccana", "NA", "NA"),
    ("vccn", "NA", "NA"),
    ("vcc", "vccn", "NA"),
    ("vcc", "vcctx", "NA"),
    ("vccn", "vcctx", "NA"),
    ("vccana", "vccn", "NA"),
    ("vcc", "vcctx", "vccn"),
    ("vcc", "vccana", "vccn_vcctx"),
    ("vccana", "vcctx", "vccn"),
    ("vcc", "vcctx", "vccn_vcctx"),
]
CORNERS = ("TT", "FSG", "SFG", "FFG", "FFAG", "SSG", "SSAG", "FFG_SSG", "SSG_FFG")
digits = st.integers(1, 9999).map(str)


@st.composite
def valid_configs(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    s1, s2, s3 = draw(st.sampled_from(SWEEP_CHOICES))
    sim_mode = draw(st.sampled_from(["ac", "dc", "tran", "tr"]))
    conditions = ["perf", "htol", "hvqk"] + ([] if sim_mode in ("tran", "tr") else ["func"])
    values = {
        "mode": draw(st.sampled_from(["prelay", "polo", "postlay"])),
        "vccn": draw(st.sampled_from(["1p1v", "1p05v", "1p8v"])),
        "vcctx": draw(st.sampled_from(["vcctx_NA", "vcctx_600"])),
        "1st_supply_swp": s1,
        "2nd_supply_swp": s2,
        "3rd_supply_swp": s3,
        "condition": draw(st.sampled_from(conditions)),
        "CPU #": draw(digits),
        "MEM [G]": draw(digits),
        "alter_extraction": draw(st.sampled_from(["Yes", "No"])),
        "alter_string#": str(draw(st.integers(0, 9999))),
        "sim_mode": sim_mode,
        "gs/gf_corner": draw(st.sampled_from(["Yes", "No"])),
        "vcc_vid": draw(st.sampled_from(["Yes", "No"])),
        "simulator": draw(st.sampled_from(["ngspice", "primesim", "finesim"])),
    }
    if draw(st.booleans()):
        values["vcc"] = draw(st.sampled_from(["vcc", "vcc_min_0p54"]))
    if draw(st.booleans()):
        values["vccana"] = draw(st.sampled_from(["vccana", "vccana_0p70v", "vccana_max_0p96"]))
    if draw(st.booleans()):
        cross = draw(st.sampled_from(["default", "full", "custom"]))
        if cross == "custom":
            corners = draw(st.lists(st.sampled_from(CORNERS), min_size=1, unique=True))
            cross += ":" + " ".join(corners)
        values["postlay_cross_cornerlist"] = cross
    keys = draw(st.permutations(list(values)))
    lines = [f"{k}:{values[k]}" for k in keys]
    blank = st.sampled_from(["", " ", "\t", "  \t "])
    out: list[str] = []
    for line in lines:
        out.extend(draw(st.lists(blank, max_size=2)))
        out.append(line)
    text = "\n".join(out) + draw(st.sampled_from(["", "\n", "\n\n"]))
    return text, values


CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(suppress_health_check=CHECKS)
@given(valid_configs())
def test_valid_configs_round_trip(tables: CoreTables, case: tuple[str, dict[str, str]]) -> None:
    text, values = case
    cfg = parse(text, tables)
    assert cfg.to_text() == text
    for key, value in values.items():
        assert cfg.get(key) == value.split(":")[0]
    assert len(cfg.points()) == cfg.point_count


def _lines(text: str) -> list[str]:
    return text.split("\n")


@st.composite
def mutated_configs(draw: st.DrawFn) -> str:
    text, _ = draw(valid_configs())
    lines = _lines(text)
    keyed = [i for i, ln in enumerate(lines) if ln.strip(" \t")]
    kind = draw(
        st.sampled_from(
            [
                "value",
                "unknown",
                "missing",
                "duplicate",
                "space",
                "crlf",
                "nonascii",
                "nul",
                "empty",
            ]
        )
    )
    i = draw(st.sampled_from(keyed))
    key, _, rest = lines[i].partition(":")
    if kind == "value":
        lines[i] = f"{key}:{rest.split(':')[0]}{draw(st.text('xyz', min_size=1, max_size=3))}"
    elif kind == "unknown":
        bad = draw(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12))
        bad = bad.replace(":", "")
        if bad in KNOWN_KEYS or bad.strip(" \t") == "":
            bad = "unknown_" + bad
        lines.insert(
            draw(st.integers(0, len(lines))), f"{bad}:{draw(st.sampled_from(['x', 'Yes', '4']))}"
        )
    elif kind == "missing":
        required = [j for j in keyed if lines[j].split(":")[0] in REQUIRED_KEYS]
        del lines[draw(st.sampled_from(required))]
    elif kind == "duplicate":
        lines.insert(draw(st.integers(0, len(lines))), lines[i])
    elif kind == "space":
        pad = draw(st.sampled_from([" ", "\t"]))
        lines[i] = f"{key}:{pad}{rest}" if draw(st.booleans()) else f"{key}:{rest}{pad}"
    elif kind == "crlf":
        if draw(st.booleans()):
            return "\r\n".join(lines)
        lines[i] += "\r"
    elif kind in ("nonascii", "nul"):
        ch = "\0" if kind == "nul" else draw(st.characters(min_codepoint=128))
        pos = draw(st.integers(0, len(lines[i])))
        lines[i] = lines[i][:pos] + ch + lines[i][pos:]
    else:
        return draw(st.sampled_from(["", "\n", " \n\t\n"]))
    return "\n".join(lines)


@settings(suppress_health_check=CHECKS)
@given(mutated_configs())
def test_single_mutations_are_rejected(tables: CoreTables, text: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(text, tables)
    message = str(info.value)
    assert message.startswith("ERROR: config.cfg") and "; allowed: " in message
    assert "\n" not in message and message.isascii()


@settings(suppress_health_check=CHECKS)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_arbitrary_input_never_crashes(tables: CoreTables, text: str | bytes) -> None:
    try:
        parse(text, tables)
    except ConfigError as err:
        assert "\n" not in str(err)
