"""wkpup_harness.config.tables against the real ver03 tables, the reference core's, and broken
ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from coreutil import CORE, FIXTURE

from wkpup_harness.config.tables import (
    CONDITION_COLUMNS,
    SUPPLY_HEADER,
    CoreTables,
    load_tables,
    read_corner_table,
    read_supply_table,
)
from wkpup_harness.errors import TableError

FIXTURES = FIXTURE
CORE_CONFIGURATION = CORE / "configuration"


@pytest.fixture(scope="module")
def real() -> CoreTables:
    return load_tables(FIXTURES / "configuration")


def test_real_corner_lists(real: CoreTables) -> None:
    nom = real.corners.get("nom_tt")
    assert nom is not None and nom.extractions == ("typical",) and nom.corners == ("TT",)
    full = real.corners.get("full_tt_gsgf")
    assert full is not None and full.corners[-2:] == ("FFG_SSG", "SSG_FFG")
    cross = real.corners.get("cross_default")
    assert cross is not None
    assert cross.extractions == ("cworst_CCworst_T", "cbest_CCbest_T")
    assert cross.corners == ("FSG", "SFG", "SSG", "FFG")
    assert real.extractions() == ("typical", "cworst_CCworst_T", "cbest_CCbest_T")


def test_real_supply_tables_keep_raw_cells(real: CoreTables) -> None:
    assert set(real.supplies) == {"ac", "dc", "tran"}
    ac = real.supply("ac")
    assert ac is not None and ac.filename == "table_supply_list_ac.csv"
    na = ac.get("vcctx_NA")
    assert na is not None
    assert set(na.cells) == {'"0.5*vcn"'}  # quotes kept: creport prints them
    vccn = ac.get("1p1v")
    assert vccn is not None
    assert vccn.levels("perf").as_tuple() == ("0.99", "1.1", "1.188")
    assert vccn.levels("func").as_tuple() == ("0.98", "1.1", "1.198")
    assert vccn.levels("htol").as_tuple() == ("0.98", "1.1", "1.246")
    assert vccn.levels("hvqk").as_tuple() == ("0.98", "1.1", "1.65")
    # "0.70" stays "0.70": cells are strings, never re-formatted numbers.
    vccana = ac.get("vccana_0p70v")
    assert vccana is not None and vccana.cell("nom") == "0.70"


def test_plain_table_has_empty_func_max(real: CoreTables) -> None:
    tran = real.supply("tran")
    assert tran is not None
    row = tran.get("1p1v")
    assert row is not None
    assert row.empty_columns("func") == ("func_max",)
    assert row.empty_columns("perf") == ()
    assert row.levels("func").max == ""


def test_core_tables_have_the_contract_shape() -> None:
    tables = load_tables(CORE_CONFIGURATION)
    for type_ in ("nom_tt", "full_tt", "full_tt_gsgf", "cross_default", "cross_full"):
        assert tables.corners.get(type_) is not None
    for table in tables.supplies.values():
        for rail in ("vcc", "vccana", "vcctx_NA", "1p1v"):
            assert table.get(rail) is not None, (table.filename, rail)


def test_core_corner_table_is_the_real_one(real: CoreTables) -> None:
    assert load_tables(CORE_CONFIGURATION).corners.rows == real.corners.rows


def test_condition_columns_are_header_columns() -> None:
    for columns in CONDITION_COLUMNS.values():
        assert all(c in SUPPLY_HEADER for c in columns)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="ascii", newline="")
    return path


def test_supply_row_lookup_first_match_wins(tmp_path: Path) -> None:
    header = ",".join(SUPPLY_HEADER)
    table = read_supply_table(
        _write(tmp_path / "t.csv", f"{header}\nvcc,1,2,3,4,5,6,7\nvcc,9,9,9,9,9,9,9\n\n")
    )
    row = table.get("vcc")
    assert row is not None and row.cell("func_min") == "1"
    assert table.get("nope") is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("rail,func_min\nvcc,1\n", "header"),
        (",".join(SUPPLY_HEADER) + "\nvcc,1,2\n", "cells"),
        (",".join(SUPPLY_HEADER) + "\r\nvcc,1,2,3,4,5,6,7\r\n", "carriage return"),
        ("", "empty"),
    ],
)
def test_bad_supply_tables(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(TableError, match=problem):
        read_supply_table(_write(tmp_path / "t.csv", text))


def test_bad_corner_tables(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="header"):
        read_corner_table(_write(tmp_path / "c.csv", "type,corner list\nnom_tt,TT\n"))
    with pytest.raises(TableError, match="cells"):
        read_corner_table(_write(tmp_path / "c.csv", "type,extraction,corner list\nnom_tt,TT\n"))


def test_missing_tables(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="not found"):
        load_tables(tmp_path)
    _write(tmp_path / "table_corner_list.csv", "type,extraction,corner list\nnom_tt,typical,TT\n")
    with pytest.raises(TableError, match="no supply table"):
        load_tables(tmp_path)
    _write(tmp_path / "table_supply_list_dc.csv", ",".join(SUPPLY_HEADER) + "\n")
    assert set(load_tables(tmp_path).supplies) == {"dc"}
    with pytest.raises(TableError, match="non-ASCII"):
        (tmp_path / "table_supply_list_ac.csv").write_bytes(b"rail\xe9\n")
        load_tables(tmp_path)
