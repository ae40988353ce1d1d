"""The golden gate (results/golden.py) at its edges: every difference a creport can have is
named exactly (a whitespace-only one too), names that could leave the golden root are refused,
and check() writes, keeps and removes exactly the files it says. Fast: no simulator."""

from __future__ import annotations

import pytest

from wkpup_harness.errors import WkpupError
from wkpup_harness.inputs import InputError
from wkpup_harness.results import golden

SUPPLY = ["v1: vcc", "v2: vccn", "v3: NA", "vcc_vid: x", "vccana: 1.8", "vccn: 1.8", "vcctx: y"]


def creport(
    rows: list[str],
    header: str = "process\textract\ttemp\tv1\tv2\ta\tb",
    title: str = "supply condition",
    supply: list[str] | None = None,
) -> str:
    """A corner report in the core's format: title, 7 supply lines, empty line, table."""
    return "\n".join([title, *(supply or SUPPLY), "", header, *rows]) + "\n"


ROW1 = "TT\ttypical\t-40\tmax\tmin\t1.5\t2.5"
ROW2 = "SSG\tcworst\t125\tmin\tmax\t3.5\t4.5"
BASE = creport([ROW1, ROW2])


# --- golden_path: names that stay under the golden root -------------------------------------
def test_golden_path_joins_scenario_parts_and_job(tmp_path):
    got = golden.golden_path(tmp_path, "gpio/wkpup_1p8v", "smoke")
    assert got == tmp_path / "gpio" / "wkpup_1p8v" / "smoke" / "creport.txt"


SCENARIO_TAIL = "(plain names only: no '..', '.', empty part, backslash or NUL)"
JOB_TAIL = "(plain names only: no '..', '.', empty part, backslash or NUL, no '/')"


@pytest.mark.parametrize("scenario", ["gpio/../x", "gpio/./x", "gpio//x", "", "a\\b", "a\0b"])
def test_golden_path_refuses_each_bad_scenario_part(tmp_path, scenario):
    with pytest.raises(WkpupError) as info:
        golden.golden_path(tmp_path, scenario, "smoke")
    msg = str(info.value)
    assert msg.startswith("scenario name '") and msg.endswith(
        ": not usable as a golden directory name " + SCENARIO_TAIL
    ), msg


def test_golden_path_scenario_message_names_the_scenario(tmp_path):
    with pytest.raises(WkpupError) as info:
        golden.golden_path(tmp_path, "gpio/..", "smoke")
    assert str(info.value) == (
        "scenario name 'gpio/..': not usable as a golden directory name " + SCENARIO_TAIL
    )


@pytest.mark.parametrize("job", ["a/b", "..", ".", "", "a\\b", "a\0b"])
def test_golden_path_refuses_each_bad_job_name(tmp_path, job):
    with pytest.raises(WkpupError) as info:
        golden.golden_path(tmp_path, "gpio/wkpup_1p8v", job)
    msg = str(info.value)
    assert msg.startswith("job name '") and msg.endswith(JOB_TAIL), msg


def test_golden_path_job_message_names_the_job(tmp_path):
    with pytest.raises(WkpupError) as info:
        golden.golden_path(tmp_path, "gpio/wkpup_1p8v", "x/y")
    assert str(info.value) == "job name 'x/y': not usable as a golden directory name " + JOB_TAIL


# --- diff: what differs, named exactly ------------------------------------------------------
def test_identical_reports_have_no_diff():
    assert golden.diff(BASE, BASE) is None


def test_one_changed_cell_is_one_line():
    new = creport([ROW1, ROW2.replace("4.5", "4.6")])
    assert golden.diff(BASE, new).lines == ("SSG cworst 125C v1=min v2=max b: 4.5 -> 4.6",)


def test_every_changed_cell_of_a_row_is_named():
    new = creport([ROW1.replace("1.5\t2.5", "1.6\t2.6"), ROW2])
    assert golden.diff(BASE, new).lines == (
        "TT typical -40C v1=max v2=min a: 1.5 -> 1.6",
        "TT typical -40C v1=max v2=min b: 2.5 -> 2.6",
    )


def test_a_cell_lost_or_gained_shows_a_dash():
    short = creport([ROW1, "SSG\tcworst\t125\tmin\tmax\t3.5"])
    assert golden.diff(BASE, short).lines == ("SSG cworst 125C v1=min v2=max b: 4.5 -> -",)
    assert golden.diff(short, BASE).lines == ("SSG cworst 125C v1=min v2=max b: - -> 4.5",)


def test_whitespace_only_row_difference_is_still_a_difference():
    # trailing tabs (the core pads its lines) change the bytes, not a cell
    new = creport([ROW1 + "\t\t", ROW2])
    assert golden.diff(BASE, new).lines == (
        "TT typical -40C v1=max v2=min: whitespace/padding differs",
    )


def test_whitespace_only_header_difference_gives_the_line_diff():
    padded = "process\textract\ttemp\tv1\tv2\ta\tb\t"
    new = creport([ROW1, ROW2], header=padded)
    assert golden.diff(BASE, new).lines == (
        "bytes differ outside the table cells; line diff:",
        "--- golden",
        "+++ new",
        "@@ -10 +10 @@",
        "-process\textract\ttemp\tv1\tv2\ta\tb",
        "+" + padded,
    )


def test_a_title_change_alone_gives_the_line_diff():
    new = creport([ROW1, ROW2], title="supply condition ")
    assert golden.diff(BASE, new).lines == (
        "bytes differ outside the table cells; line diff:",
        "--- golden",
        "+++ new",
        "@@ -1 +1 @@",
        "-supply condition",
        "+supply condition ",
    )


def test_an_unparseable_report_gives_the_line_diff():
    assert golden.diff(BASE, "garbage\n").lines[:2] == (
        "creport no longer parses as a corner report; line diff:",
        "--- golden",
    )
    assert golden.diff("x\ny\n", "x\nz\n").lines == (
        "creport no longer parses as a corner report; line diff:",
        "--- golden",
        "+++ new",
        "@@ -2 +2 @@",
        "-y",
        "+z",
    )


def test_supply_header_changes_show_old_and_new_values():
    supply = [s.replace("vccana: 1.8", "vccana: 9,1.8") for s in SUPPLY]
    new = creport([ROW1, ROW2], supply=supply)
    assert golden.diff(BASE, new).lines == ("supply header vccana: '1.8' -> '9,1.8'",)
    renamed = [s.replace("vcctx: y", "vcctz: y") for s in SUPPLY]
    assert golden.diff(BASE, creport([ROW1, ROW2], supply=renamed)).lines == (
        "supply header vcctx: 'y' -> None",
        "supply header vcctz: None -> 'y'",
    )


def test_a_renamed_measurement_column_is_a_table_header_change():
    header = "process\textract\ttemp\tv1\tv2\ta\tc"
    d = golden.diff(BASE, creport([ROW1, ROW2], header=header))
    assert d.lines[0] == "table header: v1 v2 a b -> v1 v2 a c"


def test_an_added_supply_column_is_a_table_header_change():
    header = "process\textract\ttemp\tv1\tv2\tv3\ta\tb"
    rows = [ROW1.replace("min\t", "min\tmin\t", 1), ROW2.replace("max\t", "max\tmin\t", 1)]
    d = golden.diff(BASE, creport(rows, header=header))
    assert d.lines[0] == "table header: v1 v2 a b -> v1 v2 v3 a b"


def test_rows_gained_lost_and_reordered():
    row3 = "FFG\ttypical\t25\tmax\tmax\t5.5\t6.5"
    gained = creport([row3, ROW1, ROW2.replace("4.5", "4.7")])
    # a new row first, a changed row after it: both are reported
    assert golden.diff(BASE, gained).lines == (
        "FFG typical 25C v1=max v2=max: row not in golden",
        "SSG cworst 125C v1=min v2=max b: 4.5 -> 4.7",
    )
    assert golden.diff(BASE, creport([ROW2])).lines == (
        "TT typical -40C v1=max v2=min: row missing (in golden)",
    )
    assert golden.diff(BASE, creport([ROW2, ROW1])).lines == ("row order differs from golden",)


ALTER_HEADER = "swp\tprocess\textract\ttemp\tv1\ta"


def test_alter_rows_are_told_apart_by_their_swp():
    rows = ["s1\tTT\ttypical\t25\tmax\t1.0", "s2\tTT\ttypical\t25\tmax\t2.0"]
    old = creport(rows, header=ALTER_HEADER)
    new = creport([rows[0], rows[1].replace("2.0", "3.0")], header=ALTER_HEADER)
    assert golden.diff(old, new).lines == ("TT typical 25C v1=max swp=s2 a: 2.0 -> 3.0",)
    swapped = creport([rows[1], rows[0]], header=ALTER_HEADER)
    assert golden.diff(old, swapped).lines == ("row order differs from golden",)


# --- GoldenDiff.describe / the mismatch report: the 40-line cut -----------------------------
def lines(n: int) -> golden.GoldenDiff:
    return golden.GoldenDiff(tuple(f"d{i}" for i in range(n)))


def test_describe_shows_forty_lines_then_counts_the_rest():
    assert lines(40).describe() == "\n".join(f"d{i}" for i in range(40))
    assert lines(41).describe() == "\n".join(
        [*(f"d{i}" for i in range(40)), "... and 1 more differences"]
    )
    assert lines(5).describe(limit=2) == "d0\nd1\n... and 3 more differences"
    assert lines(2).describe(limit=2) == "d0\nd1"


def test_mismatch_report_text(tmp_path):
    path = tmp_path / "creport.txt"
    m = golden.GoldenMismatch(path, lines(41))
    assert str(m) == f"creport differs from golden {path}: 41 difference(s)"
    assert m.path == path and m.difference == lines(41)
    report = m.report()
    assert report.splitlines()[0] == f"creport differs from golden {path} (golden -> new):"
    assert report.splitlines()[-2] == "... and 1 more differences"
    assert report.splitlines()[-1] == (
        f"new creport written to {path}.obtained for review; if the change is intended, "
        "rerun with --pvt-update-golden (or: wkpup golden <job> --update)"
    )
    assert "... and" not in golden.GoldenMismatch(path, lines(40)).report()
    assert m.report(limit=1).splitlines()[1:3] == ["d0", "... and 40 more differences"]


def test_missing_golden_text(tmp_path):
    path = tmp_path / "g" / "creport.txt"
    with pytest.raises(golden.GoldenMissing) as info:
        golden.check(path, b"x")
    assert info.value.path == path
    assert str(info.value) == (
        f"golden {path} does not exist; create it by rerunning with --pvt-update-golden "
        "and commit it after review"
    )
    assert not path.parent.exists()  # nothing written for a missing golden


# --- check(): the files it writes and removes -----------------------------------------------
def test_update_creates_the_golden_directories(tmp_path):
    path = tmp_path / "golden" / "gpio" / "wkpup_1p8v" / "smoke" / "creport.txt"
    assert golden.check(path, BASE.encode(), update=True) == "created"
    assert path.read_bytes() == BASE.encode()


def test_identical_removes_a_stale_obtained(tmp_path):
    path = tmp_path / "creport.txt"
    path.write_text(BASE)
    obtained = tmp_path / "creport.txt.obtained"
    obtained.write_text("old review copy")
    assert golden.check(path, BASE.encode()) == "identical"
    assert not obtained.exists()


def test_a_one_byte_difference_fails_and_keeps_the_golden(tmp_path):
    path = tmp_path / "creport.txt"
    path.write_text(BASE)
    new = BASE.replace("2.5", "2.6").encode()
    with pytest.raises(golden.GoldenMismatch) as info:
        golden.check(path, new)
    assert path.read_text() == BASE
    assert (tmp_path / "creport.txt.obtained").read_bytes() == new
    assert info.value.difference.lines == ("TT typical -40C v1=max v2=min b: 2.5 -> 2.6",)


def test_non_utf8_bytes_are_compared_not_crashed_on(tmp_path):
    path = tmp_path / "creport.txt"
    path.write_bytes(b"x\n\xff\n")
    with pytest.raises(golden.GoldenMismatch) as info:
        golden.check(path, b"x\ny\xfe\n")
    assert info.value.difference.lines[-2:] == ("-\ufffd", "+y\ufffd")


def test_bytes_differing_only_in_invalid_utf8_are_a_mismatch(tmp_path):
    """Found by the mutation run: they decode (with replacement) to the same text; check()
    used to trip its own assert instead of reporting the mismatch."""
    path = tmp_path / "creport.txt"
    path.write_bytes(b"x\n\xff\n")
    with pytest.raises(golden.GoldenMismatch) as info:
        golden.check(path, b"x\n\xfe\n")
    lines = info.value.difference.lines
    assert lines[0].startswith("creports differ only in bytes that are not UTF-8")
    assert lines[-2:] == ("-\\xff", "+\\xfe")
    assert (tmp_path / "creport.txt.obtained").read_bytes() == b"x\n\xfe\n"


def test_a_directory_in_place_of_the_golden_is_refused_on_update(tmp_path):
    path = tmp_path / "creport.txt"
    path.mkdir()
    with pytest.raises(InputError) as info:
        golden.check(path, BASE.encode(), update=True)
    assert "is a directory, not a regular file" in str(info.value)
    assert "for the golden file" in str(info.value)
