"""Tests of the ext/srt pieces: move.sh, extract.sh, extract_alt.sh, srt_report.pl
(WKPUP2_CONTRACT.md section 5)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DE = REPO / "pai_ho_core" / "ver03" / "data_extraction"
MOVE, EXTRACT, EXTRACT_ALT, SRT = (
    DE / n for n in ("move.sh", "extract.sh", "extract_alt.sh", "srt_report.pl")
)
FIXTURE = REPO / "tests" / "data" / "wkpup2_ver03_gpio"  # the real run: tests/data/README.md
BKP = FIXTURE / "00bkp_202510301443"

MT0_HEAD = "$DATA1 SOURCE='PrimeSim' VERSION='W-2024.09-SP1' PARAM_COUNT=0\n"


def sh(script, *args, cwd):
    return subprocess.run(
        ["bash", str(script), *map(str, args)], cwd=cwd, capture_output=True, text=True
    )


def pad102(tokens):
    tokens = list(tokens)
    assert len(tokens) <= 102
    return "\t".join(tokens + [""] * (102 - len(tokens))) + "\n"


def pad103(tokens):
    """An extract_alt.sh line (contract §9.3): the swp token, then 102 fields."""
    tokens = list(tokens)
    return tokens[0] + "\t" + pad102(tokens[1:])


def make_mt0(path: Path, names, rows, title="fmax"):
    text = MT0_HEAD + f".TITLE '{title}'\n" + "  ".join(names) + "\n"
    text += "".join("  ".join(r) + "\n" for r in rows)
    path.write_text(text)


def test_static_checks():
    for s in (MOVE, EXTRACT, EXTRACT_ALT):
        p = subprocess.run(["shellcheck", str(s)], capture_output=True, text=True)
        assert p.returncode == 0, p.stdout
        assert s.read_text().startswith("#!/usr/bin/env bash\n")
        assert "set -euo pipefail" in s.read_text()
    p = subprocess.run(["perl", "-wc", str(SRT)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


# ---- move.sh ------------------------------------------------------------------
def test_move_sorts_point_dir(tmp_path):
    keep = ["sim_tx.sp", "sim_tx.log", "extract.sh", "move.sh", "notes.txt"]
    junk = [
        "sim_tx.pd0",
        "x.fp.log",
        "x.fp.log1",
        "sim_tx.pdmi",
        "##Jun-16-10:48:53#.job.1",
        "sim_tx.pa0",
        "sim_tx.st0",
        "sim_tx.ic0",
        "sim_tx.lis",
        "sim_tx.elog",
    ]
    moved = [
        "sim_tx.mt0",
        "sim_tx.mt1",
        "sim_tx.ma0",
        "sim_tx.md0",
        "sim_tx.tr0",
        "sim_tx.fsdb",
        "sim_tx.ac0",
        "sim_tx.sw0",
        "sim_tx_a1.mt0",
        "sim_tx_a2.fsdb",
        "sim_tx#1.mt0",
    ]
    for n in keep + junk + moved:
        (tmp_path / n).write_text(n)
    p = sh(MOVE, "sim_tx", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert sorted(x.name for x in tmp_path.iterdir()) == sorted([*keep, "result"])
    assert sorted(x.name for x in (tmp_path / "result").iterdir()) == sorted(moved)
    assert (tmp_path / "result" / "sim_tx.mt0").read_text() == "sim_tx.mt0"


def test_move_other_tb_name_and_empty_dir(tmp_path):
    (tmp_path / "tb2.mt0").write_text("x")
    (tmp_path / "sim_tx.mt0").write_text("x")  # another testbench's file is not ours
    p = sh(MOVE, "tb2", cwd=tmp_path)
    assert p.returncode == 0
    assert (tmp_path / "result" / "tb2.mt0").exists() and (tmp_path / "sim_tx.mt0").exists()
    empty = tmp_path / "e"
    empty.mkdir()
    assert sh(MOVE, cwd=empty).returncode == 0 and (empty / "result").is_dir()


# ---- extract.sh ---------------------------------------------------------------
def test_extract_102_fields(tmp_path):
    (tmp_path / "result").mkdir()
    names = ["ioh_0", "ioh", "temper", "alter#"]
    rows = [["-1.3e-04", "failed", "-4.0e+01", "1.0e+00"], ["1", "2", "3", "4"]]
    make_mt0(tmp_path / "result" / "sim_tx.mt0", names, rows)
    p = sh(EXTRACT, "sim_tx", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    rep = (tmp_path / "report.txt").read_text()
    assert rep == pad102(names) + pad102(rows[0]) + pad102(rows[1])
    for line in rep.splitlines():
        assert line.count("\t") == 101 and line.endswith("\t")


def test_extract_whitespace_tabs_cr_and_unterminated_last_line(tmp_path):
    (tmp_path / "sim_tx.mt0").write_bytes(
        b"$DATA1 x\r\n.TITLE 'a'\r\n  a\tb   c \r\n 1 \t 2 3\r\n4 5 6"
    )  # in cwd, CRLF
    p = sh(EXTRACT, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "report.txt").read_text() == pad102("abc") + pad102("123") + pad102("456")


def test_extract_more_than_102_tokens(tmp_path):
    names = [f"m{i}" for i in range(105)]
    make_mt0(tmp_path / "sim_tx.mt0", names, [[str(i) for i in range(105)]])
    assert sh(EXTRACT, cwd=tmp_path).returncode == 0
    first = (tmp_path / "report.txt").read_text().splitlines()[0].split("\t")
    assert len(first) == 102 and first[100] == "m100" and first[101] == "m101 m102 m103 m104"


@pytest.mark.parametrize("ext", ["ma0", "md0"])
def test_extract_fallback_ma0_md0(tmp_path, ext):
    (tmp_path / "result").mkdir()
    make_mt0(tmp_path / "result" / f"tbx.{ext}", ["a"], [["1"]])
    p = sh(EXTRACT, "tbx", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "report.txt").read_text() == pad102(["a"]) + pad102(["1"])


def test_extract_prefers_mt0(tmp_path):
    (tmp_path / "result").mkdir()
    make_mt0(tmp_path / "result" / "sim_tx.ma0", ["a"], [["ma"]])
    make_mt0(tmp_path / "result" / "sim_tx.mt0", ["a"], [["mt"]])
    assert sh(EXTRACT, cwd=tmp_path).returncode == 0
    assert (tmp_path / "report.txt").read_text().splitlines()[1].split("\t")[0] == "mt"


def test_extract_missing_measure_file(tmp_path):
    (tmp_path / "result").mkdir()
    (tmp_path / "sim_tx.log").write_text("error\n")
    p = sh(EXTRACT, "sim_tx", cwd=tmp_path)
    assert p.returncode == 3
    assert p.stderr.count("\n") == 1 and "sim_tx.mt0" in p.stderr
    assert not (tmp_path / "report.txt").exists()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["result", "sim_tx.log"]


def test_extract_names_but_no_data(tmp_path):
    make_mt0(tmp_path / "sim_tx.mt0", ["a", "b"], [])
    p = sh(EXTRACT, cwd=tmp_path)
    assert p.returncode == 3
    assert (tmp_path / "report.txt").read_text() == pad102(["a", "b"])


def test_extract_truncated_file(tmp_path):
    (tmp_path / "sim_tx.mt0").write_text("$DATA1\n.TITLE 'x'\n")
    p = sh(EXTRACT, cwd=tmp_path)
    assert p.returncode == 3 and not (tmp_path / "report.txt").exists()


def test_extract_locale_independent(tmp_path):
    make_mt0(tmp_path / "sim_tx.mt0", ["a"], [["1,5e-3"]])
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "de_DE.UTF-8", "LANG": "de_DE.UTF-8"}
    p = subprocess.run(
        ["bash", str(EXTRACT)], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert p.returncode == 0
    assert (tmp_path / "report.txt").read_text() == pad102(["a"]) + pad102(["1,5e-3"])


# ---- extract_alt.sh -------------------------------------------------------------
def test_extract_alt_primesim_names(tmp_path):
    res = tmp_path / "result"
    res.mkdir()
    for n in (0, 1, 2, 10):
        make_mt0(
            res / f"sim_tx_a{n}.mt0",
            ["vmon0", "vmon1"],
            [[f"{n}.0", "2.0"]],
            title=f"swp={n:02d}_long_title",
        )
    p = sh(EXTRACT_ALT, "sim_tx", 5, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "report.txt").read_text() == (
        pad103(["swp", "vmon0", "vmon1"])
        + pad103(["swp=0", "0.0", "2.0"])  # §9.3: `=` is kept
        + pad103(["swp=0", "1.0", "2.0"])
        + pad103(["swp=0", "2.0", "2.0"])
        + pad103(["swp=1", "10.0", "2.0"])
    )


def test_extract_alt_mtN_and_finesim_and_full_title(tmp_path):
    make_mt0(tmp_path / "tb.mt0", ["d"], [["0"]], title="swp01")
    make_mt0(tmp_path / "tb.mt1", ["d"], [["1"]], title="swp02")
    p = sh(EXTRACT_ALT, "tb", 11, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "report.txt").read_text() == pad103(["swp", "d"]) + pad103(
        ["swp01", "0"]
    ) + pad103(["swp02", "1"])
    fs = tmp_path / "fs"
    fs.mkdir()
    make_mt0(fs / "tb.mt0", ["d"], [["0"]], title="a'b=c")
    make_mt0(fs / "tb#1.mt0", ["d"], [["1"]], title="xyz")
    assert sh(EXTRACT_ALT, "tb", 2, cwd=fs).returncode == 0
    assert (fs / "report.txt").read_text() == pad103(["swp", "d"]) + pad103(["ab", "0"]) + pad103(
        ["xy", "1"]
    )


def test_extract_alt_zero_length_keeps_empty_swp(tmp_path):
    make_mt0(tmp_path / "sim_tx.mt0", ["d"], [["0"]], title="swp01")
    assert sh(EXTRACT_ALT, "sim_tx", 0, cwd=tmp_path).returncode == 0
    assert (tmp_path / "report.txt").read_text() == pad103(["swp", "d"]) + pad103(["", "0"])


def test_extract_alt_missing_and_partial(tmp_path):
    p = sh(EXTRACT_ALT, "sim_tx", 5, cwd=tmp_path)
    assert p.returncode == 3 and p.stderr.count("\n") == 1
    assert not (tmp_path / "report.txt").exists()
    make_mt0(tmp_path / "sim_tx.mt0", ["a", "b"], [["1", "2"]], title="s0")
    make_mt0(tmp_path / "sim_tx.mt1", ["a", "b"], [], title="s1")
    p = sh(EXTRACT_ALT, "sim_tx", 5, cwd=tmp_path)
    assert p.returncode == 3
    assert (tmp_path / "report.txt").read_text() == (
        pad103(["swp", "a", "b"]) + pad103(["s0", "1", "2"]) + pad103(["s1", "failed", "failed"])
    )


def test_extract_alt_bad_length(tmp_path):
    assert sh(EXTRACT_ALT, "sim_tx", "x", cwd=tmp_path).returncode == 2


# ---- srt_report.pl (synthetic) ------------------------------------------------------
SUPPLY_LINES = [
    "supply condition",
    "v1: vcc",
    "v2: vccn",
    "v3: NA",
    "vcc none vid: 0.702,0.78,0.8424",
    "vccana: 0.715,0.75,0.785",
    "vccn: 0.99,1.1,1.188",
    'vcctx: "0.5*vcn","0.5*vcn","0.5*vcn"',
]


def run_srt(tmp_path, points, nsupply, names_report, supply=SUPPLY_LINES):
    sup = tmp_path / "supply.txt"
    sup.write_text("".join(x + "\n" for x in supply))
    lst = tmp_path / "points.txt"
    lst.write_text("".join("\t".join(map(str, p)) + "\n" for p in points))
    out = tmp_path / "creport.txt"
    p = subprocess.run(
        [
            "perl",
            str(SRT),
            "--supply",
            str(sup),
            "--nsupply",
            str(nsupply),
            "--names",
            str(names_report),
            "--list",
            str(lst),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    return p, out


def slots100(tokens):
    return "\t".join(list(tokens) + [""] * (100 - len(tokens)))


def test_srt_synthetic_with_failed_points(tmp_path):
    r1 = tmp_path / "r1.txt"
    r1.write_text(pad102(["a", "b"]) + pad102(["1", "2"]))
    r_nodata = tmp_path / "r2.txt"
    r_nodata.write_text(pad102(["a", "b"]))
    points = [
        ["TT", "typical", "-40", "min", r1],
        ["TT", "typical", "125", "max", tmp_path / "missing.txt"],
        ["FFG", "typical", "85", "nom", r_nodata],
    ]
    p, out = run_srt(tmp_path, points, 1, r1)
    assert p.returncode == 0, p.stderr
    lines = out.read_text().split("\n")
    assert lines[:8] == SUPPLY_LINES and lines[8] == "" and lines[-1] == ""
    assert lines[9] == "process\textract\ttemp\tv1\t" + slots100(["a", "b"])
    assert lines[9].count("\t") == 103
    assert lines[10] == "TT\ttypical\t-40\tmin\t" + slots100(["1", "2"])
    assert lines[11] == "TT\ttypical\t125\tmax\t" + slots100(["failed", "failed"])
    assert lines[12] == "FFG\ttypical\t85\tnom\t" + slots100(["failed", "failed"])
    assert len(lines) == 14


def test_srt_three_supplies_alter_rows_and_100_column_cut(tmp_path):
    names = ["swp"] + [f"m{i}" for i in range(101)]
    r = tmp_path / "r.txt"
    r.write_text(pad102(names) + pad102(["s0"] + ["0"] * 101) + pad102(["s1"] + ["1"] * 101))
    p, out = run_srt(tmp_path, [["TT", "typical", "-40", "min", "max", "nom", r]], 3, r)
    assert p.returncode == 0, p.stderr
    lines = out.read_text().split("\n")
    assert lines[9] == "process\textract\ttemp\tv1\tv2\tv3\t" + "\t".join(names[:100])
    assert lines[9].count("\t") == 105
    assert lines[10] == "TT\ttypical\t-40\tmin\tmax\tnom\t" + "\t".join(["s0"] + ["0"] * 99)
    assert lines[11] == "TT\ttypical\t-40\tmin\tmax\tnom\t" + "\t".join(["s1"] + ["1"] * 99)


def test_srt_header_fallback_and_usage(tmp_path):
    r = tmp_path / "r.txt"
    r.write_text(pad102(["a"]) + pad102(["1"]))
    p, out = run_srt(tmp_path, [["TT", "typical", "85", "nom", "nom", r]], 2, tmp_path / "nope.txt")
    assert p.returncode == 0 and "warning" in p.stderr
    assert out.read_text().split("\n")[9] == "process\textract\ttemp\tv1\tv2\t" + slots100(["a"])
    # wrong field count in the list -> usage error, no output
    bad = tmp_path / "bad"
    bad.mkdir()
    p, out2 = run_srt(bad, [["TT", "typical", "85", r]], 2, r)
    assert p.returncode == 2 and p.stderr.count("\n") == 1
    assert not out2.exists()
    p, _ = run_srt(tmp_path, [["TT", "typical", "85", "nom", r]], 1, r, supply=SUPPLY_LINES[:7])
    assert p.returncode == 2


# ---- real fixture: 92 reports and the creport -----------------------------------------
def real_reports():
    return sorted((BKP / "report").glob("report_*.txt"))


def test_fixture_has_92_reports():
    assert len(real_reports()) == 92


@pytest.mark.parametrize("report", real_reports(), ids=lambda p: p.stem)
def test_real_report_reproduced_from_primesim_mt0(tmp_path, report):
    lines = report.read_text().split("\n")
    names = [x for x in lines[0].split("\t") if x]
    values = [x for x in lines[1].split("\t") if x]
    point = tmp_path / "point"
    point.mkdir()
    make_mt0(point / "sim_tx.mt0", names, [values])
    for junk in ("sim_tx.pd0", "sim_tx.st0", "##Jun-16.job"):
        (point / junk).write_text("junk")
    (point / "sim_tx.sp").write_text("* netlist\n")
    assert sh(MOVE, "sim_tx", cwd=point).returncode == 0
    p = sh(EXTRACT, "sim_tx", cwd=point)
    assert p.returncode == 0, p.stderr
    assert (point / "report.txt").read_bytes() == report.read_bytes()


def read_config(path: Path) -> dict:
    cfg = {}
    for line in path.read_text().splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            cfg[k] = v
    return cfg


def supply_lines_from_fixture() -> list[str]:
    """creport lines 1-8 computed from the real config + CSV (perf: c3, c4, c5)."""
    cfg = read_config(FIXTURE / "config.cfg")
    assert cfg["condition"] == "perf" and cfg["sim_mode"] == "ac"
    rows = {}
    for line in (
        (FIXTURE / "configuration" / "table_supply_list_ac.csv").read_text().splitlines()[1:]
    ):
        f = line.split(",")
        rows[f[0]] = ",".join(f[2:5])
    vid = "; ".join(
        f"vcc_{r}#{rows['vcc_vid_' + r]}" for r in ("ff_h", "ff_c", "tt_h", "tt_c", "ss_h", "ss_c")
    )
    return [
        "supply condition",
        f"v1: {cfg['1st_supply_swp']}",
        f"v2: {cfg['2nd_supply_swp']}",
        f"v3: {cfg['3rd_supply_swp']}",
        f"vcc_vid: {vid}",
        f"vccana: {rows['vccana']}",
        f"vccn: {rows[cfg['vccn']]}",
        f"vcctx: {rows[cfg['vcctx']]}",
    ]


def fixture_points(report_dir: Path):
    corners = None
    for line in (FIXTURE / "configuration" / "table_corner_list.csv").read_text().splitlines():
        f = line.split(",")
        if f[0] == "full_tt_gsgf":
            corners = f[2].split()
    vts = ["v1min_v2min", "v1min_v2max", "v1max_v2min", "v1max_v2max", "v1nom_v2nom"]
    temp = {"m40": "-40", "125": "125", "85": "85", "100": "100"}
    pts = [(c, "typical", t, vt) for c in corners for t in ("m40", "125") for vt in vts]
    pts += [("TT", "typical", "85", "v1nom_v2nom"), ("TT", "typical", "100", "v1nom_v2nom")]
    return [
        [
            c,
            ex,
            temp[t],
            *[x[2:] for x in vt.split("_")],
            report_dir / f"report_{c}_{ex}_{t}_{vt}.txt",
        ]
        for c, ex, t, vt in pts
    ]


def test_real_creport_reproduced(tmp_path):
    rdir = BKP / "report"
    points = fixture_points(rdir)
    assert len(points) == 92
    p, out = run_srt(
        tmp_path,
        points,
        2,
        rdir / "report_TT_typical_85_v1nom_v2nom.txt",
        supply=supply_lines_from_fixture(),
    )
    assert p.returncode == 0, p.stderr
    assert out.read_bytes() == (rdir / "creport.txt").read_bytes()


def test_real_creport_keeps_failed_point(tmp_path):
    rdir = tmp_path / "report"
    shutil.copytree(BKP / "report", rdir)
    victim = rdir / "report_FSG_typical_125_v1max_v2min.txt"
    victim.unlink()
    p, out = run_srt(
        tmp_path,
        fixture_points(rdir),
        2,
        rdir / "report_TT_typical_85_v1nom_v2nom.txt",
        supply=supply_lines_from_fixture(),
    )
    assert p.returncode == 0
    got = out.read_text().split("\n")
    want = (BKP / "report" / "creport.txt").read_text().split("\n")
    assert len(got) == len(want)
    diff = [i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b]
    assert len(diff) == 1
    assert got[diff[0]] == "FSG\ttypical\t125\tmax\tmin\t" + slots100(["failed"] * 11)


def test_srt_no_report_at_all_still_writes_failed_rows(tmp_path):
    points = [
        ["TT", "typical", "-40", "min", tmp_path / "a.txt"],
        ["TT", "typical", "125", "max", tmp_path / "b.txt"],
    ]
    p, out = run_srt(tmp_path, points, 1, tmp_path / "a.txt")
    assert p.returncode == 3
    lines = out.read_text().split("\n")
    assert lines[9] == "process\textract\ttemp\tv1\t" + slots100([])
    assert lines[10:12] == [
        "TT\ttypical\t-40\tmin\t" + slots100(["failed"]),
        "TT\ttypical\t125\tmax\t" + slots100(["failed"]),
    ]


def test_extract_usage_error(tmp_path):
    for s in (MOVE, EXTRACT):
        assert sh(s, "a", "b", cwd=tmp_path).returncode == 2
    assert sh(EXTRACT_ALT, "a", "1", "x", cwd=tmp_path).returncode == 2
