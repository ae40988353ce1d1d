"""wkpup_harness.results: .mt0, report_*.txt, creport.txt and real 00bkp_* backups."""

from __future__ import annotations

from pathlib import Path

import pytest
from coreutil import FIXTURE, FIXTURE_BKP

from wkpup_harness.config import read_config
from wkpup_harness.config.tables import load_tables
from wkpup_harness.errors import ResultError
from wkpup_harness.results import (
    Cell,
    Point,
    parse_creport,
    parse_mt0,
    parse_report,
    parse_report_name,
    read_backup,
    read_creport,
    read_mt0,
    read_report,
)

FIXTURES = FIXTURE
BACKUP = FIXTURE_BKP


NAMES = ["ioh_0", "ioh", "vwkp", "temper", "alter#"]
MT0 = (
    "$DATA1 SOURCE='PrimeSim' VERSION='W-2024.09-SP1' PARAM_COUNT=0\n"
    ".TITLE 'fmax'\n"
    "ioh_0  ioh  vwkp  temper  alter#\n"
    "-1.33825437e-04  failed  9.89256093e-01  -4.00000000e+01  1.00000000e+00\n"
)


def pad(fields: list[str], width: int) -> str:
    return "\t".join(fields + [""] * (width - len(fields)))


# --- .mt0 ------------------------------------------------------------------------------------
def test_mt0() -> None:
    mt0 = parse_mt0(MT0)
    assert mt0.attributes == {
        "SOURCE": "PrimeSim",
        "VERSION": "W-2024.09-SP1",
        "PARAM_COUNT": "0",
    }
    assert mt0.title == "fmax" and mt0.names == tuple(NAMES) and mt0.text == MT0
    row = mt0.row()
    assert row["ioh_0"] == Cell("-1.33825437e-04", -1.33825437e-04)
    assert row["ioh"] == Cell("failed", None) and row["ioh"].failed
    assert row["temper"].value == -40.0


def test_mt0_several_value_lines_and_ngspice_source(tmp_path: Path) -> None:
    text = MT0.replace("PrimeSim", "ngspice") + "1 2 3 4 5\n\n"
    path = tmp_path / "sim_tx.mt0"
    path.write_text(text)
    mt0 = read_mt0(path)
    assert mt0.attributes["SOURCE"] == "ngspice"
    assert len(mt0.rows) == 2 and mt0.row(1)["alter#"].value == 5.0


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "lines"),
        (MT0.replace("$DATA1", "DATA1"), r"\$DATA1"),
        (MT0.replace(".TITLE 'fmax'", "TITLE fmax"), "TITLE"),
        (MT0.replace("alter#\n", "alter#\nextra\n", 1), "values for"),  # wrapped header
        (MT0 + "1 2\n", "values for"),
    ],
)
def test_bad_mt0(text: str, problem: str) -> None:
    with pytest.raises(ResultError, match=problem):
        parse_mt0(text)


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1.5e-3", 1.5e-3), ("-4", -4.0), (".5", 0.5), ("nan", None), ("inf", None), ("1_0", None)],
)
def test_cells_only_take_plain_numbers(raw: str, value: float | None) -> None:
    assert Cell.parse(raw) == Cell(raw, value)


# --- report names and files ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "point"),
    [
        ("report_TT_typical_m40_v1min_v2max.txt", ("TT", "typical", "m40", "v1min_v2max")),
        (
            "report_FFG_SSG_typical_125_v1nom_v2nom.txt",
            ("FFG_SSG", "typical", "125", "v1nom_v2nom"),
        ),
        (
            "report_SSG_FFG_cworst_CCworst_T_85_v1nom.txt",
            ("SSG_FFG", "cworst_CCworst_T", "85", "v1nom"),
        ),
        ("report_FSG_cbest_CCbest_T_100_v1max.txt", ("FSG", "cbest_CCbest_T", "100", "v1max")),
        (
            "report_TT_typical_m40_v1min_v2max_v3min.txt",
            ("TT", "typical", "m40", "v1min_v2max_v3min"),
        ),
    ],
)
def test_report_names(name: str, point: tuple[str, str, str, str]) -> None:
    parsed = parse_report_name(name)
    assert parsed == Point.from_vt(*point)
    assert f"report_{parsed.stem}.txt" == name


def test_report_name_levels_and_custom_extractions() -> None:
    p = parse_report_name("report_FFG_typical_125_v1min_v2max.txt")
    assert p.levels == ("min", "max") and p.temperature == 125
    assert parse_report_name("/a/report_TT_rc_x_m40_v1min.txt", ["typical", "rc_x"]).corner == "TT"


@pytest.mark.parametrize(
    "name",
    [
        "creport.txt",
        "report_TT_typical_m40.txt",
        "report_TT_typical_50_v1min.txt",
        "report_TT_typo_m40_v1min.txt",
        "report_typical_m40_v1min.txt",
        "report_TT_typical_m40_v2min.txt",
        "report_TT_typical_m40_v1min_v3min.txt",
    ],
)
def test_bad_report_names(name: str) -> None:
    with pytest.raises(ResultError):
        parse_report_name(name)


def test_report_file_padding_and_failed() -> None:
    text = pad(NAMES, 102) + "\n" + pad(["1e-3", "failed", "1", "85", "1"], 102) + "\n"
    report = parse_report(text)
    assert report.names == tuple(NAMES) and report.text == text
    assert report.row()["ioh"] == Cell("failed", None)
    assert report.row()["temper"].value == 85.0


def test_bad_reports() -> None:
    with pytest.raises(ResultError, match="lines"):
        parse_report("a\tb\n")
    with pytest.raises(ResultError, match="values for"):
        parse_report("a\tb\n1\t2\t3\n")
    with pytest.raises(ResultError, match="empty header"):
        parse_report("\t\t\n1\n")


# --- creport ---------------------------------------------------------------------------------
HEADER9 = (
    "supply condition\nv1: vcc\nv2: NA\nv3: NA\nvcc none vid: 0.702,0.78,0.8424\n"
    "vccana: 0.715,0.75,0.785\nvccn: 0.99,1.1,1.188\nvcctx: 0.575,0.6,0.625\n\n"
)


def test_creport_one_supply_with_failed() -> None:
    names = ["del_rr", "del_ff"]
    text = (
        HEADER9
        + pad(["process", "extract", "temp", "v1", *names], 103)
        + "\n"
        + pad(["TT", "typical", "-40", "min", "1e-9", "failed"], 103)
        + "\n"
    )
    creport = parse_creport(text)
    assert creport.supply["vcc none vid"] == "0.702,0.78,0.8424"
    assert creport.level_columns == ("v1",) and creport.names == tuple(names)
    row = creport.rows[0]
    assert (row.temperature, row.levels, row.swp) == (-40, ("min",), None)
    assert row.values == {"del_rr": 1e-9, "del_ff": None}
    assert row.point == Point("TT", "typical", "m40", ("min",))


@pytest.mark.parametrize("leading", [True, False])
def test_creport_alter_mode(leading: bool) -> None:
    fixed = ["process", "extract", "temp", "v1", "v2"]
    header = ["swp", *fixed, "vmon"] if leading else [*fixed, "swp", "vmon"]
    rows = [["TT", "typical", "125", "max", "nom"]]
    lines = [pad(header, 105)]
    for n in ("swp01", "swp02"):
        lines.append(pad([n, *rows[0], "0.5"] if leading else [*rows[0], n, "0.5"], 105))
    creport = parse_creport(HEADER9 + "\n".join(lines) + "\n")
    assert creport.alter and creport.names == ("vmon",)
    assert [r.swp for r in creport.rows] == ["swp01", "swp02"]
    assert creport.rows[1].values == {"vmon": 0.5} and creport.rows[1].temperature == 125


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (HEADER9, "lines"),
        (HEADER9.replace("v1: vcc", "v1 vcc") + "process\n", "key"),
        (HEADER9[:-1] + "x\nprocess\textract\ttemp\tv1\n", "empty line"),
        (HEADER9 + "proc\textract\ttemp\tv1\n", "process"),
        (HEADER9 + "process\textract\ttemp\tx\n", "v1"),
        (HEADER9 + "process\textract\ttemp\tv1\ta\nTT\ttypical\thot\tmin\t1\n", "temperature"),
        (HEADER9 + "process\textract\ttemp\tv1\ta\nTT\ttypical\n", "short"),
        (HEADER9 + "process\textract\ttemp\tv1\ta\nTT\ttypical\t85\tnom\t1\t2\n", "values for"),
    ],
)
def test_bad_creports(text: str, problem: str) -> None:
    with pytest.raises(ResultError, match=problem):
        parse_creport(text)


# --- the real backup -------------------------------------------------------------------------
def test_real_reports() -> None:
    files = sorted((BACKUP / "report").glob("report_*.txt"))
    assert len(files) == 92
    for file in files:
        report = read_report(file)
        assert report.point is not None and file.name == f"report_{report.point.stem}.txt"
        assert report.text.split("\n")[0].count("\t") == 101
        assert len(report.names) == 11 and len(report.rows) == 1
        cells = report.row()
        assert all(c.value is not None for c in cells.values())
        assert cells["temper"].value == report.point.temperature


def test_real_creport() -> None:
    creport = read_creport(BACKUP / "report" / "creport.txt")
    assert creport.title == "supply condition"
    assert list(creport.supply) == ["v1", "v2", "v3", "vcc_vid", "vccana", "vccn", "vcctx"]
    assert creport.supply["vcctx"] == '"0.5*vcn","0.5*vcn","0.5*vcn"'
    assert creport.level_columns == ("v1", "v2") and not creport.alter
    assert creport.names[:2] == ("ioh_0", "ioh") and creport.names[-2:] == ("temper", "alter#")
    assert len(creport.rows) == 92
    first = creport.rows[0]
    assert (first.corner, first.extraction, first.temperature, first.levels) == (
        "TT",
        "typical",
        -40,
        ("min", "min"),
    )
    assert first.cells["ioh_0"] == Cell("-1.33825437e-04", -1.33825437e-04)
    assert first.line == 11 and first.raw.count("\t") == 104
    assert [r.temperature for r in creport.rows[-2:]] == [85, 100]


def test_real_backup_cells_match_reports() -> None:
    backup = read_backup(BACKUP)
    assert backup.stamp == "202510301443" and len(backup.reports) == 92
    assert backup.simulation_log is None
    creport = backup.creport
    assert {r.point.stem for r in creport.rows} == set(backup.reports)
    for row in creport.rows:
        report = backup.reports[row.point.stem]
        assert report.names == creport.names
        assert [c.raw for c in report.rows[0]] == [c.raw for c in row.cells.values()]
        assert report.rows[0] == tuple(row.cells.values())


def test_real_creport_rows_follow_the_config_loop_order() -> None:
    cfg = read_config(FIXTURES / "config.cfg", tables=load_tables(FIXTURES / "configuration"))
    creport = read_creport(BACKUP / "report" / "creport.txt")
    assert [r.point.stem for r in creport.rows] == [p.name for p in cfg.points()]
    assert [r.levels for r in creport.rows] == [p.levels for p in cfg.points()]


def test_backup_errors(tmp_path: Path) -> None:
    with pytest.raises(ResultError, match="00bkp_"):
        read_backup(tmp_path / "00bkp_20251030144301")
    bkp = tmp_path / "00bkp_202501010000"
    (bkp / "report").mkdir(parents=True)
    with pytest.raises(ResultError, match=r"creport\.txt not found"):
        read_backup(bkp)
    names = ["a"]
    (bkp / "report" / "creport.txt").write_text(
        HEADER9
        + pad(["process", "extract", "temp", "v1", *names], 103)
        + "\n"
        + pad(["TT", "typical", "85", "nom", "1"], 103)
        + "\n"
    )
    (bkp / "report" / "report_TT_typical_85_v1nom.txt").write_text("a\t\n1\t\n")
    (bkp / "simulation.log").write_text("ngspice Successfully Completed\n")
    backup = read_backup(bkp)
    assert backup.reports["TT_typical_85_v1nom"].row()["a"].value == 1.0
    assert backup.simulation_log == "ngspice Successfully Completed\n"
    (bkp / "report" / "report_TT_typical_85_v1nom.txt").write_bytes(b"\xe9\n1\n")
    with pytest.raises(ResultError, match="non-ASCII"):
        read_backup(bkp)
