"""The ``wkpup`` command line, called in-process (``main([...])``) on a temporary store,
plus the installed console script once; real backup, real core, real ngspice."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from coreutil import FIXTURE, FIXTURE_BKP

from wkpup_harness.cli.main import main
from wkpup_harness.engine.reaper import kill_token, processes_with_token
from wkpup_harness.report.summary import BOOKKEEPING
from wkpup_harness.report.units import unit
from wkpup_harness.results import parse_creport, read_creport
from wkpup_harness.results import spec as spec_check
from wkpup_harness.store import connect
from wkpup_harness.store.jobs import (
    create_job,
    finish_job,
    get_job,
    mark_running,
    points,
    record_specs,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from procwatch import ngspice_pids

REPO = Path(__file__).resolve().parents[1]

FIXTURES = FIXTURE
BACKUP = FIXTURE_BKP
# ngspice is installed by `make test`; a test that needs it fails without it, never skips.
needs_ngspice = pytest.mark.ngspice
NINE = ("ioh_0", "ioh", "ioh0", "ioh1", "rwkpull0", "rwkpull_vih", "rwkpull_vih2", "vwkp")
NINE = (*NINE, "vwkp_drop")
HEADER = (
    "supply condition\nv1: vcc\nv2: vccn\nv3: NA\nvcc none vid: 0.702,0.78,0.8424\n"
    'vccana: 0.715,0.75,0.785\nvccn: 0.99,1.1,1.188\nvcctx: "0.5*vcn","0.5*vcn","0.5*vcn"\n\n'
)
POINTS = [(c, t, vt) for c in ("TT", "FFG", "SSG") for t in (-40, 125) for vt in ("min", "max")]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store path (not created) that every main() call uses through $WKPUP_DB."""
    path = tmp_path / "store" / "wkpup.db"
    for name in [k for k in os.environ if k.startswith("WKPUP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("WKPUP_DB", str(path))
    # The CPU budget is machine-wide: a private slot directory keeps this test's simulations
    # from waiting for other test workers' (and other users') slots.
    monkeypatch.setenv("WKPUP_SLOT_DIR", str(tmp_path / "slots"))
    monkeypatch.chdir(tmp_path)
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    """stderr must be exactly one 'wkpup: error: ...' line (an input file's or a config
    value's: 'ERROR: <where>: <key>: ...'), never a traceback."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(("wkpup: error: ", "ERROR: ")), err
    assert "Traceback" not in err
    return lines[0]


def creport_text(value, swps: tuple[str, ...] = (), names: tuple[str, ...] = NINE) -> str:
    """A creport.txt in the real layout; with ``swps`` a leading swp column (alter mode)."""
    pad = "\t" * (40 - len(names))
    lead = "swp\t" if swps else ""
    lines = [f"{lead}process\textract\ttemp\tv1\tv2\t" + "\t".join(names) + pad]
    for p, (corner, temp, lv) in enumerate(POINTS):
        for swp in swps or ("",):
            cells = "\t".join(value(p, k, swp) for k in range(len(names)))
            first = f"{swp}\t" if swps else ""
            lines.append(f"{first}{corner}\ttypical\t{temp}\t{lv}\tmax\t{cells}{pad}")
    return HEADER + "\n".join(lines) + "\n"


def write_backup(root: Path, stamp: str, text: str) -> Path:
    backup = root / "gpio" / "1p1v" / f"00bkp_{stamp}"
    (backup / "report").mkdir(parents=True)
    (backup / "report" / "creport.txt").write_text(text, encoding="ascii")
    return backup


def import_job(capsys, *argv: str) -> int:
    code, out, _ = run_cli(capsys, "-q", "import", *argv)
    assert code == 0
    return int(out.strip())


# --- import + show on the real backup ----------------------------------------------------------
def test_import_real_backup_then_show_worst_cases(store: Path, capsys) -> None:
    code, out, err = run_cli(
        capsys, "import", str(BACKUP), "--config", str(FIXTURES / "config.cfg")
    )
    assert code == 0, err
    assert re.search(r"as job 1: .*92 points, 0 failed", out)
    creport = read_creport(BACKUP / "report" / "creport.txt")
    conn = connect(store)
    pts = points(conn, 1)
    measured = [n for n in creport.names if n not in BOOKKEEPING]
    assert len(pts) == 92 and measured == list(NINE)
    for row, p in zip(creport.rows, pts, strict=True):
        # Every cell, bookkeeping columns included, stored as the exact text of the file.
        assert {n: raw for n, (raw, _) in p["cells"].items()} == {
            n: c.raw for n, c in row.cells.items()
        }
        assert len([n for n in p["cells"] if n not in BOOKKEEPING]) == 9
    job = get_job(conn, 1)
    assert job is not None
    assert job["config_text"] == (FIXTURES / "config.cfg").read_bytes().decode("latin-1")

    code, out, err = run_cli(capsys, "show", "1")
    assert code == 0, err
    assert "worst cases over 92 points" in out
    for name in NINE:
        # engineering text: "−336.9 µA" (the number, the prefixed unit)
        u = unit(name)
        assert re.search(rf"^{name}\s+{u}\s+\S+ \S?{u}\s+\S+ typical (-40|125)C", out, re.M)
    # The real rwkpull0 extremes: FFG hot and SSG cold, as the physics says.
    assert re.search(r"^rwkpull0 .*FFG typical 125C .*SSG typical -40C", out, re.M)

    code, out, _ = run_cli(capsys, "show", "1", "--json")
    data = json.loads(out)
    assert code == 0 and [w["name"] for w in data["worst"]] == list(NINE)
    assert data["failed_points"] == [] and data["job"]["n_points"] == 92

    # Importing it twice is refused (input error), and creates nothing.
    code, _, err = run_cli(capsys, "import", str(BACKUP))
    assert code == 2 and "already imported as job 1" in one_error_line(err)


def test_import_bare_real_creport(store: Path, capsys) -> None:
    job = import_job(capsys, str(BACKUP / "report" / "creport.txt"), "--domain", "gpio/1p1v")
    code, out, _ = run_cli(capsys, "history", "--domain", "gpio/1p1v", "--json")
    rows = json.loads(out)
    assert code == 0 and [r["id"] for r in rows] == [job] and rows[0]["n_points"] == 92


def test_import_synthetic_alter_creport_keeps_swp(store: Path, tmp_path: Path, capsys) -> None:
    text = creport_text(
        lambda p, k, swp: "failed" if (p, k, swp) == (1, 0, "swp02") else f"{p + k / 10:.8e}",
        swps=("swp01", "swp02", "swp03"),
    )
    backup = write_backup(tmp_path, "202401020304", text)
    job = import_job(capsys, str(backup))
    conn = connect(store)
    pts = points(conn, job)
    assert len(pts) == 12 * 3
    assert [p["swp"] for p in pts[:4]] == ["swp01", "swp02", "swp03", "swp01"]
    assert pts[4]["cells"]["ioh_0"] == ("failed", None)
    got = get_job(conn, job)
    assert got is not None and got["domain"] == "gpio/1p1v" and got["n_failed_points"] == 1

    code, out, _ = run_cli(capsys, "show", str(job))
    assert code == 1  # a failed point is a bad result
    assert "1 failed point(s):" in out and "TT typical -40C max/max swp02: ioh_0" in out
    # The worst-case label carries the alter title.
    assert re.search(r"^ioh_0 .* swp0[123]", out, re.M)


# --- history -----------------------------------------------------------------------------------
def test_history_filters(store: Path, capsys) -> None:
    store.parent.mkdir(parents=True)
    conn = connect(store)
    now = time.time()
    specs = [
        ("gpio/1p8v", "ann", now - 30 * 86400, "completed"),
        ("gpio/1p8v", "bob", now - 2 * 86400, "failed"),
        ("i3c/1p8v", "ann", now - 3600, "completed"),
        ("i3c/1p8v", "bob", now - 60, None),  # still queued
    ]
    ids = []
    for domain, user, when, status in specs:
        job = create_job(conn, domain=domain, user=user, submitted_at=when, name=f"{user}-{domain}")
        if status is not None:
            mark_running(conn, job)
            finish_job(conn, job, status)
        ids.append(job)

    def hist(*extra: str) -> list[int]:
        code, out, err = run_cli(capsys, "history", "--json", *extra)
        assert code == 0, err
        return [r["id"] for r in json.loads(out)]

    assert hist() == ids[::-1]
    assert hist("--domain", "gpio/1p8v") == [ids[1], ids[0]]
    assert hist("--status", "completed") == [ids[2], ids[0]]
    assert hist("--user", "ann") == [ids[2], ids[0]]
    assert hist("--since", "7d") == [ids[3], ids[2], ids[1]]
    day = time.strftime("%Y-%m-%d", time.localtime(now - 10 * 86400))
    assert hist("--since", day) == [ids[3], ids[2], ids[1]]
    assert hist("--limit", "2") == [ids[3], ids[2]]
    assert hist("--domain", "i3c/1p8v", "--user", "bob") == [ids[3]]
    code, out, _ = run_cli(capsys, "history", "--user", "ann")
    assert code == 0 and "ann-gpio/1p8v" in out and "bob" not in out
    code, out, _ = run_cli(capsys, "status")
    assert code == 0 and re.search(rf"^{ids[3]}\s+queued\s+i3c/1p8v", out, re.M)
    code, _, err = run_cli(capsys, "history", "--since", "last week")
    assert code == 2 and "--since" in one_error_line(err)


# --- compare -----------------------------------------------------------------------------------
def test_compare_orders_largest_relative_first(store: Path, tmp_path: Path, capsys) -> None:
    base = creport_text(lambda p, k, s: f"{1.0 + p:.8e}")
    changed = {(0, 4): 1.10, (3, 0): 1.50, (5, 8): 1.01}  # (point, column) -> factor

    def value(p: int, k: int, s: str) -> str:
        return f"{(1.0 + p) * changed.get((p, k), 1.0):.8e}"

    a = import_job(capsys, str(write_backup(tmp_path / "a", "202401010000", base)))
    b = import_job(capsys, str(write_backup(tmp_path / "b", "202401020000", creport_text(value))))
    code, out, err = run_cli(capsys, "compare", str(a), str(b), "--json")
    assert code == 1, err
    data = json.loads(out)
    assert data["cells"] == 12 * 9 and data["differences"] == 3
    got = [(r["corner"], r["temperature"], r["v1"], r["name"]) for r in data["rows"]]
    assert got == [
        ("TT", 125, "max", "ioh_0"),  # +50 %: rel 0.5 / 1.5
        ("TT", -40, "min", "rwkpull0"),  # +10 %
        ("FFG", -40, "max", "vwkp_drop"),  # +1 %
    ]
    rels = [r["rel"] for r in data["rows"]]
    assert rels == sorted(rels, reverse=True)
    code, out, _ = run_cli(capsys, "compare", str(a), str(b), "--limit", "1")
    assert code == 1 and "3 of 108 cells differ" in out and "... 2 more" in out
    assert "ioh_0" in out
    assert "rwkpull0" not in out

    code, out, _ = run_cli(capsys, "compare", str(a), str(a))
    assert code == 0 and ": identical (108 cells compared)" in out
    golden = tmp_path / "golden_creport.txt"
    golden.write_text(base, encoding="ascii")
    code, out, err = run_cli(capsys, "compare", str(b), "golden", str(golden), "--json")
    assert code == 1, err
    assert json.loads(out)["differences"] == 3
    code, _, _ = run_cli(capsys, "compare", str(a), "golden", str(golden))
    assert code == 0


# --- export ------------------------------------------------------------------------------------
def test_export_csv_and_self_contained_html(store: Path, tmp_path: Path, capsys) -> None:
    text = creport_text(
        lambda p, k, s: "failed" if (p, k) == (2, 3) else f"{(k + 1) * (1 + p / 7):.8e}"
    )
    cfg = tmp_path / "config.cfg"
    cfg.write_text("mode:prelay\nsimulator:ngspice <script>alert('x')</script> & co\n")
    job = import_job(
        capsys, str(write_backup(tmp_path, "202402030405", text)), "--config", str(cfg)
    )

    out_csv = tmp_path / "job.csv"
    code, _, err = run_cli(capsys, "export", str(job), "--csv", str(out_csv))
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text())))
    assert len(rows) == len(POINTS) * len(NINE)
    assert list(rows[0]) == [
        "corner", "extraction", "temperature", "v1", "v2", "v3", "swp", "name", "unit", "value",
        "raw",
    ]  # fmt: skip
    failed = [r for r in rows if r["raw"] == "failed"]
    assert len(failed) == 1 and failed[0]["value"] == "" and failed[0]["name"] == "ioh1"
    assert rows[0]["raw"] == "1.00000000e+00" and float(rows[0]["value"]) == 1.0

    # Spec verdicts as every face records them (the one checker): shown by `show` and in the
    # report.
    limits = spec_check.parse_spec({"ioh": {"min": 0.0, "max": 100.0}, "vwkp": {"max": 1e-3}})
    record_specs(connect(store), job, spec_check.verdicts(parse_creport(text), limits))
    code, out, _ = run_cli(capsys, "show", str(job))
    assert code == 1
    assert re.search(r"^ioh\s+A\s+\[0 A, 100 A\]\s+PASS\s+0/12", out, re.M), out
    # worst value and margin (value and percent of the limit) in engineering units
    m = re.search(
        r"^vwkp\s+V\s+\[-inf, 1 mV\]\s+FAIL\s+12/12\s+(\S+ V)\s+(\S+ \S?V \(\S+ %\))\s+\S+ typical",
        out,
        re.M,
    )
    assert m, out
    assert float(m.group(1).split()[0]) > 1 and m.group(2).startswith("\u2212"), m.groups()

    out_html = tmp_path / "job.html"
    code, _, err = run_cli(capsys, "export", str(job), "--html", str(out_html))
    assert code == 0, err
    page = out_html.read_text(encoding="utf-8")
    # self-contained: Plotly's own bundle inlined, nothing referenced from anywhere
    assert "<script src" not in page and "<link" not in page and 'src="http' not in page
    assert page.count("plotly.js v") == 1 and "Plotly.newPlot" in page
    assert page.count('<div class="plot"') == 2 * len(NINE) + 1  # + the margin heat map
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co" in page
    assert "FFG typical -40C max/max" in page  # the failed point is listed
    for name in NINE:
        assert f'"{name} vs temperature"' in page and f'"{name} vs supply levels"' in page
    assert '"temperature (°C)"' in page and '"ioh (A)"' in page and '"rwkpull0 (Ω)"' in page
    assert '"spec max 1 mV"' in page  # limits drawn on the plots, in engineering units
    # pass / near / fail with margins: ioh within 5 % of its [0, 100] span is near
    assert '<td class="fail">FAIL</td>' in page and '<td class="near">NEAR</td>' in page
    figures = page.split("var figs=", 1)[1]
    assert "<" not in figures.split(";for(var id", 1)[0]  # nothing can close the script

    code, _, err = run_cli(capsys, "export", str(job))
    assert code == 2 and "one of the arguments --csv --html is required" in one_error_line(err)


# --- db maintenance ----------------------------------------------------------------------------
def test_db_backup_restore_stats_cleanup(store: Path, tmp_path: Path, capsys) -> None:
    old = import_job(capsys, str(write_backup(tmp_path, "202001010000", creport_text(
        lambda p, k, s: "1.0"))))  # fmt: skip
    new = import_job(capsys, str(write_backup(tmp_path / "n", "209901010000", creport_text(
        lambda p, k, s: "2.0"))))  # fmt: skip
    code, out, _ = run_cli(capsys, "db", "stats", "--json")
    stats = json.loads(out)
    assert code == 0 and stats["rows"]["jobs"] == 2
    assert stats["rows"]["measurements"] == 2 * 12 * 9

    snap = tmp_path / "snap.db"
    assert run_cli(capsys, "db", "backup", str(snap))[0] == 0
    code, out, _ = run_cli(capsys, "db", "cleanup", "--older-than", "365")
    assert code == 0 and "deleted 1 " in out
    code, out, _ = run_cli(capsys, "history", "--json")
    assert [r["id"] for r in json.loads(out)] == [new]
    assert run_cli(capsys, "db", "vacuum")[0] == 0

    code, _, err = run_cli(capsys, "db", "restore", str(snap))
    assert code == 0, err
    code, out, _ = run_cli(capsys, "history", "--json")
    assert sorted(r["id"] for r in json.loads(out)) == [old, new]
    code, out, _ = run_cli(capsys, "db", "stats")
    assert code == 0 and re.search(r"^measurements\s+216$", out, re.M)

    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    code, _, err = run_cli(capsys, "db", "restore", str(junk))
    assert code == 2 and "not a store backup" in one_error_line(err)


# --- core and validate -------------------------------------------------------------------------
def test_core_verify_real_and_modified(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capsys, "core", "verify")
    assert code == 0 and out.startswith("core OK:")
    copy = tmp_path / "core"
    shutil.copytree(REPO / "pai_ho_core", copy)
    victim = copy / "ver03" / "tb_gen" / "gen_tb.pl"
    data = bytearray(victim.read_bytes())
    data[100] ^= 0x01
    victim.write_bytes(bytes(data))
    code, out, err = run_cli(capsys, "core", "verify", "--core", str(copy))
    assert code == 1 and "modified: ver03/tb_gen/gen_tb.pl" in err and out == ""
    # `run` refuses the modified core before creating a store, a job or a work directory.
    store = tmp_path / "s.db"
    code, _, err = run_cli(capsys, "--db", str(store), "run", "gpio/1p8v", "--core", str(copy))
    assert code == 1 and "gen_tb.pl" in one_error_line(err) and not store.exists()
    code, _, err = run_cli(capsys, "core", "verify", "--core", str(tmp_path / "nowhere"))
    assert code == 3 and "core not found" in one_error_line(err)


def test_validate_good_and_bad_configs(tmp_path: Path, capsys) -> None:
    good = REPO / "domains" / "gpio" / "1p8v" / "config.cfg"
    code, out, err = run_cli(capsys, "validate", str(good))
    assert code == 0, err
    assert "92 PVT points" in out and "m40 125 85 100" in out and "TT" in out
    code, out, _ = run_cli(capsys, "validate", str(good), "--json")
    assert code == 0 and json.loads(out)["points"] == 92

    bad = tmp_path / "bad.cfg"
    bad.write_text(good.read_text().replace("condition:perf", "condition:fast"))
    code, out, err = run_cli(capsys, "validate", str(bad))
    assert code == 2 and out == ""  # config errors exit 2 everywhere, as the core's
    assert err.count("\n") == 1
    assert err.startswith(f"ERROR: {bad}:7: condition: invalid value 'fast'; allowed: func")
    code, out, _ = run_cli(capsys, "validate", str(bad), "--json")
    assert code == 2 and "invalid value 'fast'" in json.loads(out)["error"]
    code, _, err = run_cli(capsys, "validate", str(tmp_path / "missing.cfg"))
    assert code == 3 and "missing.cfg" in one_error_line(err)


# --- error paths -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "code", "needle"),
    [
        (["show", "1"], 3, "no store at"),
        (["status", "1"], 3, "no store at"),
        (["history"], 3, "no store at"),
        (["frobnicate"], 2, "invalid choice"),
        (["show"], 2, "required: job"),
        (["import", "/nonexistent/00bkp_202401010000"], 3, "no such backup"),
        (["validate", "/dev/null"], 2, "not a regular file"),
        (["history", "--limit", "x"], 2, "invalid int value"),
    ],
)
def test_errors_are_one_line_with_documented_code(
    store: Path, capsys, argv: list[str], code: int, needle: str
) -> None:
    got, out, err = run_cli(capsys, *argv)
    assert got == code and needle in one_error_line(err) and out == ""
    assert not store.exists()  # a failing query creates no store


def test_errors_on_an_existing_store(store: Path, tmp_path: Path, capsys) -> None:
    job = import_job(capsys, str(write_backup(tmp_path, "202401010000", creport_text(
        lambda p, k, s: "1.0"))))  # fmt: skip
    cases = [
        (["show", "abc"], 2, "job id 'abc'"),
        (["show", "99"], 3, "no job 99"),
        (["compare", str(job), "99"], 3, "no job 99"),
        (["compare", str(job), "golden"], 2, "golden creport path is missing"),
        (["compare", str(job), "golden", str(tmp_path / "none.txt")], 3, "none.txt"),
        (["export", "99", "--csv", "-"], 3, "no job 99"),
        (["export", str(job), "--csv", str(tmp_path / "no" / "dir.csv")], 3, "dir.csv"),
        (["import", str(tmp_path)], 2, "00bkp_"),
        (["db", "restore", str(tmp_path / "none.db")], 3, "no such backup"),
        (["history", "--status", "weird"], 2, "invalid choice"),
        (["run", "no/such_domain"], 3, "no config.cfg"),
        (["run", "gpio/1p8v", "--corners", "XX"], 2, "--corners XX"),
        (["run", "gpio/1p8v", "--temperatures", "50"], 2, "--temperatures: temperatures: temp"),
        (["run", "gpio/1p8v", "--set", "condition"], 2, "expected KEY=VALUE"),
        (["run", "gpio/1p8v", "--stages", "gen,fly"], 2, "unknown stage"),
    ]
    for argv, code, needle in cases:
        got, _, err = run_cli(capsys, "--db", str(store), *argv)
        assert (got, needle in one_error_line(err)) == (code, True), (argv, err)
    # Nothing above created a job.
    code, out, _ = run_cli(capsys, "history", "--json")
    assert [r["id"] for r in json.loads(out)] == [job]

    not_db = tmp_path / "text.db"
    not_db.write_text("hello, not sqlite\n" * 100)
    got, _, err = run_cli(capsys, "--db", str(not_db), "history")
    assert got == 2 and "not a database" in one_error_line(err)


def test_store_path_default_and_global_option_positions(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.delenv("WKPUP_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    backup = write_backup(tmp_path, "202401010000", creport_text(lambda p, k, s: "1.0"))
    assert run_cli(capsys, "import", str(backup))[0] == 0
    assert (tmp_path / ".wkpup" / "wkpup.db").is_file()  # the pytest plugin's ini default
    other = tmp_path / "other.db"
    assert run_cli(capsys, "import", str(backup), "--db", str(other))[0] == 0
    code, out, _ = run_cli(capsys, "history", "--json", "--db", str(other))
    assert code == 0 and len(json.loads(out)) == 1
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0 and "exit codes:" in out and "3    not found" in out


# --- real runs through the core and ngspice ----------------------------------------------------
@needs_ngspice
@pytest.mark.ngspice
def test_run_tiny_job_is_recorded(store: Path, tmp_path: Path, capsys) -> None:
    code, out, err = run_cli(
        capsys, "run", "gpio/1p8v", "--domains", str(REPO / "domains"),
        "--set", "condition=htol", "--corners", "TT", "--temperatures", "m40", "--cpus", "1",
    )  # fmt: skip
    assert code == 0, err
    m = re.search(r"^job ([0-9]+): completed$", out, re.M)
    assert m is not None, out
    job = int(m.group(1))
    assert "1/1 points" in err  # the progress line (stderr is not a TTY here)
    assert re.search(r"^\| rwkpull0 .*TT typical -40C max/max", out, re.M)
    conn = connect(store)
    got = get_job(conn, job)
    assert got is not None and got["status"] == "completed" and got["n_points"] == 1
    assert got["name"] == "condition=htol TT m40" and "condition:htol" in got["config_text"]
    assert [(s["stage"], s["status"], s["exit_code"]) for s in got["stages"]] == [
        (s, "completed", 0) for s in ("gen", "run", "ext", "srt", "bkp")
    ]
    work = Path(got["work_path"])
    assert work.is_relative_to(tmp_path / ".wkpup" / "runs" / str(job))
    assert got["backup_path"] and Path(got["backup_path"]).is_dir()
    pts = points(conn, job)
    creport = read_creport(Path(got["backup_path"]) / "report" / "creport.txt")
    assert [{n: raw for n, (raw, _) in p["cells"].items()} for p in pts] == [
        {n: c.raw for n, c in r.cells.items()} for r in creport.rows
    ]
    assert (pts[0]["corner"], pts[0]["temperature"], pts[0]["v1"]) == ("TT", -40, "max")

    # Judged by the domain's limits (domains/gpio/1p8v/spec.yaml), as every face's job is.
    assert re.search(r"^spec: pass; worst margin rwkpull\S+ \S+ \S?Ω \(\d+\.\d %\)$", out, re.M), (
        out
    )
    assert got["spec_verdict"] == "pass"
    assert json.loads(got["spec_json"])["vwkp_drop"] == {"max": 0.01}
    code, out, _ = run_cli(capsys, "history")
    assert code == 0 and out.splitlines()[0].split()[-3:] == ["golden", "spec", "yield"]
    assert out.splitlines()[2].split()[-2:] == [
        "none",
        "pass",
    ]  # a domain job has no golden; no Monte Carlo: no yield

    code, out, _ = run_cli(capsys, "show", str(job))
    assert code == 0 and "worst cases over 1 points" in out
    code, out, _ = run_cli(capsys, "status", str(job), "--json")
    assert code == 0 and json.loads(out)["status"] == "completed"


@needs_ngspice
@pytest.mark.ngspice
def test_console_script_run_interrupted_is_cancelled(store: Path, tmp_path: Path) -> None:
    """The installed `wkpup` script: a bigger job, SIGINT while run simulates -> exit 130,
    the job and its run stage recorded as cancelled, no simulation left behind."""
    exe = Path(sys.executable).with_name("wkpup")
    assert exe.is_file(), "the wkpup console script is installed by `make` (pip install -e .)"
    with open(tmp_path / "run.err", "w+") as out:  # a file: no pipe left unread while it runs
        proc = subprocess.Popen(
            [str(exe), "run", "gpio/1p8v", "--domains", str(REPO / "domains"),
             "--temperatures", "m40", "125", "--cpus", "1"],
            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=out, env=dict(os.environ),
        )  # fmt: skip
        token = None
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if store.exists():
                    conn = connect(store)
                    row = conn.execute("SELECT token, points_done FROM jobs").fetchone()
                    conn.close()
                    if row is not None and (row["points_done"] or 0) >= 1:
                        token = row["token"]
                        break
                time.sleep(0.1)
            else:
                pytest.fail("the run stage never reported a point")
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if token is not None:
                kill_token(token, grace=0.5)
        out.seek(0)
        err = out.read()
    assert proc.returncode == 130, err
    assert "cancelled" in err and "Traceback" not in err
    conn = connect(store)
    job = conn.execute("SELECT id FROM jobs").fetchone()[0]
    got = get_job(conn, job)
    assert got is not None and got["status"] == "cancelled"
    stages = {s["stage"]: s["status"] for s in got["stages"]}
    assert stages["gen"] == "completed" and stages["run"] == "cancelled"
    assert stages["ext"] in ("queued", "cancelled", "skipped")
    # Nothing of the job is left: no process with its token, no simulation in its run root.
    assert processes_with_token(got["token"]) == []
    assert ngspice_pids(Path(got["run_root"])) == []


def test_progress_bar_follows_the_engine_events(tmp_path: Path, capsys) -> None:
    """The terminal face of a real engine Job's events: a bar of points done (failed ones
    counted) on a terminal, one plain line when all are done otherwise, a line per stage."""
    import argparse

    from wkpup_harness.cli.run import Progress
    from wkpup_harness.config import read_config
    from wkpup_harness.config.scenario import JobSpec
    from wkpup_harness.core import locate_core
    from wkpup_harness.core.stage import StageResult
    from wkpup_harness.engine import Event, Job, PointResult
    from wkpup_harness.settings import resolve

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    core = locate_core(REPO / "pai_ho_core")
    domain = REPO / "domains" / "gpio" / "1p8v"
    config = read_config(domain / "config.cfg", tables=core.tables())
    config = config.with_overrides({"condition": "htol"})
    spec = JobSpec(
        scenario="cli", name="bar", domain="gpio/1p8v", domain_dir=domain, config=config,
        overrides={"condition": "htol"}, corners=("TT", "FFG"), temperatures=("m40", "125"),
        spec={}, golden=False, marks=(), source=domain / "config.cfg",
    )  # fmt: skip
    settings = resolve(
        {"db": "none", "runs": tmp_path / "runs", "slot_dir": tmp_path / "slots", "cpus": 1},
        project_root=tmp_path,
        env={},
    )
    job = Job(spec, settings, core)
    assert len(job.points) == 4
    args = argparse.Namespace(quiet=False)
    tty, plain = Tty(), io.StringIO()
    bars = [Progress(tty, args), Progress(plain, args)]
    for bar in bars:
        bar(Event("stage-start", None, "run", total=4))
    outcomes = [(True, ""), (False, "exit 1"), (True, ""), (True, "")]
    for point, (ok, reason) in zip(job.points, outcomes, strict=True):
        result = PointResult(point, ok, reason, 1 if ok else 2, 0.2)
        job.point_results[point.name] = result
        done, failed = len(job.point_results), len(job.failed_points)
        for bar in bars:  # events carry their data: points done, planned, failed
            bar(Event("point", None, "run", point=result, done=done, total=4, failed=failed))
        if len(job.point_results) == 2:
            line = tty.getvalue().rsplit("\r", 1)[1]
            assert re.fullmatch(r"\[#{15}\.{15}\] 2/4 points  0:00:0[0-9]  1 failed", line), line
    assert plain.getvalue().splitlines() == [
        plain.getvalue().splitlines()[-1]
    ]  # one line, at the end (a log file gets no \r bar)
    assert re.fullmatch(r"\[#{30}\] 4/4 points  0:00:0[0-9]  1 failed\n", plain.getvalue())
    end = StageResult("run", None, 1, 0.0, 1.0, 1.0, tmp_path / "run.log", False, [])
    bars[0](Event("stage-end", None, "run", result=end))
    assert tty.getvalue().endswith("1 failed\n")  # the bar line is closed before the stage line
    bars[0](Event("stage-skip", None, "bkp"))
    out = capsys.readouterr().out
    assert re.search(r"^  run\s+exit 1\s+1\.0s$", out, re.M) and "  bkp        skipped" in out


def test_validate_takes_a_domain_by_name_as_run_does(store: Path, capsys) -> None:
    code, out, err = run_cli(capsys, "validate", "gpio/1p8v", "--domains", str(REPO / "domains"))
    assert code == 0, err
    assert out.strip().endswith("gpio/1p8v: domain, 92 PVT points (prelay, perf)")
    code, _, err = run_cli(capsys, "validate", "gpio/9v9", "--domains", str(REPO / "domains"))
    assert code == 3 and one_error_line(err).endswith("gpio/9v9: no such file, directory or domain")
