"""report/mcreport.txt, the one parser (``results/mcreport.py``) on the golden of a real run
(golden/gpio/wkpup_1p8v/mc_smoke, 8 samples from ngspice) and on hostile inputs: every
broken file is one ``ResultError`` line naming the file, never another exception."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from coreutil import REPO
from hypothesis import given
from hypothesis import strategies as st

from wkpup_harness.errors import ResultError
from wkpup_harness.results.mcreport import MAX_BYTES, limit_pairs, parse_mcreport, read_mcreport
from wkpup_harness.results.spec import parse_spec

GOLDEN = REPO / "golden" / "gpio" / "wkpup_1p8v" / "mc_smoke" / "mcreport.txt"
TEXT = GOLDEN.read_text(encoding="ascii")
LINES = TEXT.split("\n")[:-1]


def test_the_golden_reads_back_row_for_row() -> None:
    r = read_mcreport(GOLDEN)
    assert (r.kind, r.seed, r.samples_per_point, r.at, r.n_points) == ("mismatch", 1, 8, "worst", 1)
    assert r.names[0] == "ioh_0" and "rwkpull0" in r.names and "temper" not in r.names
    assert [s.index for s in r.samples] == list(range(1, 9))
    first = LINES[7].split("\t")
    assert r.samples[0].seed == int(first[1]) and r.raw[0] == tuple(first[7:])
    assert r.samples[0].pvt.name == "SSG_typical_m40_v1max_v2max"
    assert r.samples[0].directory == "mc/SSG_typical/m40_v1max_v2max/s1"
    samples = r.stat_samples()
    assert samples[0].values["rwkpull0"] == float(first[7 + r.names.index("rwkpull0")])
    assert len({s.seed for s in r.samples}) == 8  # a seed per part


def test_limits_take_the_per_corner_override_of_the_sampled_point() -> None:
    spec = parse_spec({"rwkpull0": {"min": 4000, "max": 14000, "corners": {"SSG": {"max": 9000}}}})
    r = parse_mcreport(TEXT)
    assert limit_pairs(spec, r.corners()) == {
        "rwkpull0": (4000.0, 14000.0),
        ("rwkpull0", "SSG_typical_m40_v1max_v2max"): (4000.0, 9000.0),
    }


def _with(line_no: int, text: str) -> str:
    lines = list(LINES)
    lines[line_no - 1] = text
    return "\n".join(lines) + "\n"


BROKEN = {
    "empty": "",
    "no final newline": TEXT[:-1],
    "crlf": TEXT.replace("\n", "\r\n"),
    "nul": TEXT.replace("mismatch", "mis\0match", 1),
    "header key": _with(1, "kind: mismatch"),
    "unknown kind": _with(1, "mc_kind: process"),
    "seed not a number": _with(2, "mc_seed: -1"),
    "no empty line": _with(6, "x"),
    "columns": _with(7, LINES[6].replace("sample", "index")),
    "duplicate name": _with(7, LINES[6] + "\tioh"),
    "short row": _with(8, LINES[7].rsplit("\t", 1)[0]),
    "index out of order": _with(9, LINES[8].replace("2", "3", 1)),
    "bad temperature": _with(8, LINES[7].replace("\t-40\t", "\t-41\t")),
    "bad level": _with(8, LINES[7].replace("\tmax\t", "\tmid\t", 1)),
    "nan value": _with(8, LINES[7].rsplit("\t", 1)[0] + "\tnan"),
    "infinite value": _with(8, LINES[7].rsplit("\t", 1)[0] + "\t1e999"),
    "mc_points lies": _with(5, "mc_points: 2"),
    "corner with a slash": _with(8, LINES[7].replace("SSG", "../x", 1)),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_file_is_one_line(case: str) -> None:
    with pytest.raises(ResultError) as err:
        parse_mcreport(BROKEN[case].encode("latin-1"), "r/mcreport.txt")
    assert "\n" not in str(err.value) and str(err.value).startswith("r/mcreport.txt")


def test_a_failed_value_is_none_and_counts_as_failed() -> None:
    r = parse_mcreport(_with(8, LINES[7].rsplit("\t", 1)[0] + "\tfailed"))
    assert r.values[0][-1] is None and r.raw[0][-1] == "failed"
    assert r.stat_samples()[0].values[r.names[-1]] is None


def test_non_ascii_fifo_directory_and_oversize_are_refused_unread(tmp_path: Path) -> None:
    (tmp_path / "u.txt").write_bytes(TEXT.replace("worst", "wörst").encode())
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "dir").mkdir()
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:
        fh.truncate(MAX_BYTES + 1)  # sparse: refused by its size, never read
    for name in ("u.txt", "fifo", "dir", "big.txt", "missing.txt"):
        with pytest.raises(ResultError) as err:
            read_mcreport(tmp_path / name)
        assert "\n" not in str(err.value), name


@given(
    st.lists(
        st.tuples(st.integers(0, len(LINES) - 1), st.text(max_size=20)), min_size=1, max_size=3
    )
)
def test_any_edit_parses_or_is_one_resulterror(edits: list[tuple[int, str]]) -> None:
    lines = list(LINES)
    for at, text in edits:
        lines[at] = text
    try:
        parse_mcreport(("\n".join(lines) + "\n").encode("utf-8", "surrogateescape"))
    except ResultError as exc:
        assert "\n" not in str(exc)
