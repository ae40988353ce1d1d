"""Operations (issue 11, build 4 and 5): ``wkpup doctor``, ``wkpup --version``, the job's
``job.jsonl``, per-stage CPU seconds and peak memory (store V3, migrated from V2), units
and the one number format in show / compare / CSV / web, file permissions and confined
golden paths.

Real parts only: the jobs are real `wkpup run` subprocesses of the reference core on
ngspice and the SKY130 models (domains/gpio/1p8v, condition htol, 1-2 points); every figure
checked comes from them.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sqlite3
import stat
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from coreutil import DOMAINS, REPO
from hostile import assert_one_line_error, isolated, snapshot, wkpup

import wkpup_harness
from wkpup_harness.core import manifest
from wkpup_harness.engine.joblog import JobLog
from wkpup_harness.report.units import eng, number, quantity, unit
from wkpup_harness.store import connect, jobs
from wkpup_harness.store.schema import LATEST, MIGRATIONS

CHROMIUM = Path("/usr/bin/chromium")  # Debian's, as in test_web_browser.py

CORE_ROOT = REPO / "pai_ho_core"
RUN = ["run", "gpio/1p8v", "--domains", str(DOMAINS), "--set", "condition=htol", "--cpus", "1"]
CHECK_LINE = re.compile(r"(OK|WARN|FAIL|SKIP)  +(\S+)  +(.+)")


def events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def rows(db: Path, sql: str, *args: Any) -> list[dict[str, Any]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two real jobs in one store: job 1 (TT at -40 and 125 C) run with umask 000, job 2
    (TT -40 C) with a 0.05 s simulation limit and one retry, run with umask 077."""
    tmp = tmp_path_factory.mktemp("ops")
    env = isolated(tmp)
    ok = wkpup(*RUN, "--corners", "TT", "--temperatures", "m40", "125", cwd=tmp, env=env,
               timeout=600, umask=0o000)  # fmt: skip
    assert ok.code == 0, ok.err[-3000:]
    retried = wkpup(*RUN, "--corners", "TT", "--temperatures", "m40", "--sim-timeout", "0.05",
                    "--retries", "1", cwd=tmp, env=env, timeout=600, umask=0o077)  # fmt: skip
    assert retried.code == 1, retried.err[-3000:]
    return {"tmp": tmp, "env": env, "db": tmp / "store" / "wkpup.db", "runs": tmp / "runs"}


# --- doctor --------------------------------------------------------------------------------------
def checks_of(out: str) -> dict[str, tuple[str, str]]:
    found = {}
    for line in out.splitlines()[:-1]:
        m = CHECK_LINE.fullmatch(line)
        assert m is not None, f"not a check line: {line!r}"
        found[m[2]] = (m[1], m[3])
    return found


@pytest.mark.ngspice
def test_doctor_is_green_here_and_creates_nothing(tmp_path: Path) -> None:
    before = snapshot(tmp_path)
    o = wkpup("doctor", cwd=tmp_path, env=isolated(tmp_path))
    assert o.code == 0, o.out + o.err
    assert o.err == ""
    checks = checks_of(o.out)
    assert list(checks) == [
        "python", "ngspice", "tools", "models", "core", "disk", "store", "slurm", "chromium"
    ]  # fmt: skip
    assert {n: s for n, (s, _) in checks.items() if s != "OK"} == {"slurm": "SKIP"}
    assert "not configured" in checks["slurm"][1]
    digest = manifest.digest(CORE_ROOT)
    assert digest is not None and digest[:12] in checks["core"][1]
    assert re.search(r"ngspice-\S+ at /", checks["ngspice"][1])
    assert re.search(r"[0-9.]+ GiB free of [0-9.]+ GiB", checks["disk"][1])
    assert f"schema v{LATEST}" in checks["store"][1]
    assert f"wkpup-harness {wkpup_harness.__version__}" in checks["python"][1]
    assert o.out.splitlines()[-1] == "9 checks: 8 OK, 0 WARN, 0 FAIL, 1 SKIP"
    assert snapshot(tmp_path) == before  # no store, no run root

    j = wkpup("doctor", "--json", cwd=tmp_path, env=isolated(tmp_path))
    assert j.code == 0
    data = json.loads(j.out)
    assert data["ok"] is True
    assert [c["name"] for c in data["checks"]] == list(checks)


@pytest.mark.ngspice
def test_doctor_without_ngspice_names_it_and_the_install_hint(tmp_path: Path) -> None:
    """A PATH with the core's other tools but no ngspice: exit 1, the ngspice line says
    what is missing and how to install it; every other check still runs."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "perl", "timeout", "awk", "sed"):
        found = shutil.which(tool)
        assert found is not None
        (bin_dir / tool).symlink_to(found)
    env = isolated(tmp_path, PATH=str(bin_dir))
    o = wkpup("doctor", cwd=tmp_path, env=env)
    assert o.code == 1, o.out + o.err
    assert "Traceback" not in o.out + o.err
    checks = checks_of(o.out)
    status, detail = checks["ngspice"]
    assert status == "FAIL"
    assert "ngspice not found on PATH" in detail and "apt-get install ngspice" in detail
    assert [n for n, (s, _) in checks.items() if s == "FAIL"] == ["ngspice"]
    assert checks["core"][0] == "OK" and checks["models"][0] == "OK"

    # and a tool of the core missing too: named with its package
    (bin_dir / "perl").unlink()
    o = wkpup("doctor", cwd=tmp_path, env=env)
    checks = checks_of(o.out)
    assert o.code == 1 and checks["tools"][0] == "FAIL"
    assert "perl" in checks["tools"][1] and "apt-get install perl" in checks["tools"][1]


def test_doctor_reads_the_store_schema_version(tmp_path: Path) -> None:
    """An old store: WARN (migrated on the next write), untouched by doctor; a store from a
    newer harness or a file that is no store: FAIL."""
    old = tmp_path / "old.db"
    make_v2_store(old)
    o = wkpup("doctor", "--db", str(old), cwd=tmp_path, env=isolated(tmp_path))
    status, detail = checks_of(o.out)["store"]
    assert (status, f"schema v2, this harness v{LATEST}" in detail) == ("WARN", True)
    assert rows(old, "PRAGMA user_version")[0]["user_version"] == 2  # not migrated by doctor

    newer = tmp_path / "newer.db"
    connect(newer).close()
    raw = sqlite3.connect(newer)
    raw.execute(f"PRAGMA user_version = {LATEST + 1}")
    raw.close()
    o = wkpup("doctor", "--db", str(newer), cwd=tmp_path, env=isolated(tmp_path))
    assert o.code == 1 and checks_of(o.out)["store"][0] == "FAIL"
    assert "newer than this harness" in checks_of(o.out)["store"][1]

    foreign = tmp_path / "foreign.db"
    foreign.write_bytes(b"not a database at all" * 100)
    o = wkpup("doctor", "--db", str(foreign), cwd=tmp_path, env=isolated(tmp_path))
    assert o.code == 1 and checks_of(o.out)["store"][0] == "FAIL"


def test_doctor_checks_slurm_only_when_configured(tmp_path: Path) -> None:
    env = isolated(tmp_path, WKPUP_EXECUTOR="slurm", PATH=os.environ["PATH"])
    o = wkpup("doctor", cwd=tmp_path, env=env)
    status, detail = checks_of(o.out)["slurm"]
    if shutil.which("sinfo") is None:
        assert (o.code, status) == (1, "FAIL") and "no sinfo on PATH" in detail
    else:
        assert status in ("OK", "FAIL")  # asked, whatever the cluster says


def test_version() -> None:
    o = wkpup("--version", cwd=REPO)
    assert o.code == 0 and o.err == ""
    digest = manifest.digest(CORE_ROOT)
    assert digest is not None
    assert o.out.strip() == (
        f"wkpup {wkpup_harness.__version__}; core {CORE_ROOT} manifest sha256 {digest[:12]}"
    )


# --- job.jsonl -----------------------------------------------------------------------------------
@pytest.mark.ngspice
def test_job_jsonl_has_every_event_in_order_with_times(ran: dict[str, Any]) -> None:
    log = ran["runs"] / "1" / "logs" / "job.jsonl"
    assert (log.parent / "run.log").is_file()  # beside the plain logs
    ev = events(log)
    names = [(e["event"], e.get("stage")) for e in ev]
    assert names == [
        ("job_start", None),
        ("stage_start", "gen"), ("stage_end", "gen"),
        ("stage_start", "run"), ("point_done", "run"), ("point_done", "run"), ("stage_end", "run"),
        ("stage_start", "ext"), ("stage_end", "ext"),
        ("stage_start", "srt"), ("stage_end", "srt"),
        ("stage_start", "bkp"), ("stage_end", "bkp"),
        ("job_end", None),
    ]  # fmt: skip
    assert all(e["job"] == 1 for e in ev)
    stamps = [datetime.fromisoformat(e["ts"]) for e in ev]
    assert stamps == sorted(stamps)
    assert ev[0]["points"] == 2 and ev[0]["face"] == "cli" and ev[0]["resume"] is False
    points = [e for e in ev if e["event"] == "point_done"]
    assert {p["point"] for p in points} == {
        "TT_typical_m40_v1max_v2max",
        "TT_typical_125_v1max_v2max",
    }
    assert all(p["status"] == "ok" and p["attempts"] == 1 and p["seconds"] > 0 for p in points)
    for e in (e for e in ev if e["event"] == "stage_end"):
        assert e["status"] == "completed" and e["exit_code"] == 0 and e["seconds"] > 0
    # a point's time lies within its stage's
    run_end = next(e for e in ev if e["event"] == "stage_end" and e["stage"] == "run")
    assert sum(p["seconds"] for p in points) <= run_end["seconds"] * 1.05 + 0.05
    assert ev[-1]["status"] == "completed" and ev[-1]["seconds"] >= run_end["seconds"]


@pytest.mark.ngspice
def test_job_jsonl_records_the_retry_and_the_failure(ran: dict[str, Any]) -> None:
    ev = events(ran["runs"] / "2" / "logs" / "job.jsonl")
    pointy = [e for e in ev if e.get("point")]
    assert [(e["event"], e.get("attempt", e.get("attempts"))) for e in pointy] == [
        ("point_retried", 1),
        ("point_failed", 2),
    ]
    assert all(e["reason"] == "timeout 0.05s" for e in pointy)
    assert pointy[1]["status"] == "failed"
    run_end = next(e for e in ev if e["event"] == "stage_end" and e["stage"] == "run")
    assert (run_end["status"], run_end["exit_code"]) == ("failed", 1)
    assert ("stage_skipped", "bkp") in [(e["event"], e.get("stage")) for e in ev]
    assert ev[-1]["event"] == "job_end" and ev[-1]["status"] == "failed"
    assert ev[-1]["error"] == "1 point(s) failed"
    # the store tells the same story
    (sim,) = rows(ran["db"], "SELECT status, attempts, reason FROM sims WHERE job_id = 2")
    assert sim == {"status": "failed", "attempts": 2, "reason": "timeout 0.05s"}


# --- resources -----------------------------------------------------------------------------------
@pytest.mark.ngspice
def test_stage_cpu_seconds_and_peak_memory_are_recorded_and_shown(ran: dict[str, Any]) -> None:
    stages = {
        r["stage"]: r
        for r in rows(ran["db"], "SELECT stage, cpu_s, max_rss_kib FROM stages WHERE job_id = 1")
    }
    assert set(stages) == {"gen", "run", "ext", "srt", "bkp"}
    for s in stages.values():
        assert s["cpu_s"] is not None and s["cpu_s"] > 0, s
        assert s["max_rss_kib"] is not None and s["max_rss_kib"] > 1024, s  # > 1 MiB
    # ngspice on two points: more CPU than gathering their reports, and a process that
    # holds the SKY130 models (more than any shell: > 16 MiB)
    assert stages["run"]["cpu_s"] > stages["srt"]["cpu_s"]
    assert stages["run"]["max_rss_kib"] > 16 * 1024
    # job.jsonl says the same, in s and MiB
    ev = events(ran["runs"] / "1" / "logs" / "job.jsonl")
    run_end = next(e for e in ev if e["event"] == "stage_end" and e["stage"] == "run")
    assert run_end["cpu_s"] == round(stages["run"]["cpu_s"], 3)
    assert run_end["max_rss_mib"] == round(stages["run"]["max_rss_kib"] / 1024, 1)

    o = wkpup("show", "1", cwd=ran["tmp"], env=ran["env"])
    assert o.code == 0, o.err
    head = next(line for line in o.out.splitlines() if line.startswith("stage "))
    assert head.split() == ["stage", "status", "exit", "started", "took", "cpu", "peak", "mem",
                            "log"]  # fmt: skip
    run_line = next(line for line in o.out.splitlines() if line.startswith("run "))
    cpu = quantity(stages["run"]["cpu_s"], "s", 3)
    mem = quantity(stages["run"]["max_rss_kib"] / 1024, "MiB", 3)
    assert f"  {cpu}  " in run_line and f"  {mem}  " in run_line, run_line


def make_v2_store(path: Path) -> None:
    """A store as the harness before V3 wrote it: the V1 and V2 migrations, one job with
    a recorded stage."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    for number_, statements in enumerate(MIGRATIONS[:2], start=1):
        for statement in statements:
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number_}")
    conn.execute(
        "INSERT INTO jobs (id, status, submitted_at, domain) VALUES (1, 'failed', 1.0, 'gpio')"
    )
    conn.execute(
        "INSERT INTO stages (job_id, stage, status, started_at, finished_at, exit_code)"
        " VALUES (1, 'gen', 'completed', 1.0, 2.5, 0)"
    )
    conn.execute("COMMIT")
    conn.close()


def test_a_v2_store_migrates_to_the_latest_keeping_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    make_v2_store(db)
    conn = connect(db)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST == 6
        job = jobs.get_job(conn, 1)
        assert job is not None
        # V4: a job recorded before it has no limits and no spec verdict (not "pass").
        assert (job["spec_json"], job["spec_verdict"]) == (None, None)
        (gen,) = job["stages"]
        assert (gen["stage"], gen["status"], gen["exit_code"]) == ("gen", "completed", 0)
        assert (gen["cpu_s"], gen["max_rss_kib"]) == (None, None)  # not measured then
        jobs.record_stage(conn, 1, "run", "completed", cpu_s=2.5, max_rss_kib=4096)
    finally:
        conn.close()
    o = wkpup("show", "1", "--db", str(db), cwd=tmp_path, env=isolated(tmp_path))
    gen_line = next(line for line in o.out.splitlines() if line.startswith("gen "))
    run_line = next(line for line in o.out.splitlines() if line.startswith("run "))
    assert gen_line.split()[6:8] == ["-", "-"]  # cpu, peak mem (started: date and time)
    assert "2.5 s" in run_line and "4 MiB" in run_line


# --- units and the number format -----------------------------------------------------------------
@pytest.mark.ngspice
def test_units_in_show_compare_and_csv(ran: dict[str, Any]) -> None:
    o = wkpup("show", "1", cwd=ran["tmp"], env=ran["env"])
    lines = o.out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("measurement "))
    assert lines[head].split()[:3] == ["measurement", "unit", "min"]
    conn = connect(ran["db"])
    try:
        points = jobs.points(conn, 1)
    finally:
        conn.close()
    names = list(points[0]["cells"])
    shown = {}
    for line in lines[head + 2 :]:
        if not line.strip():
            break
        cols = line.split()
        shown[cols[0]] = cols
    assert len(shown) == len(names) - 2  # all but the bookkeeping columns (temper, alter#)
    units_seen = set()
    for name, cols in shown.items():
        values = [p["cells"][name][1] for p in points]
        assert cols[1] == unit(name) and " ".join(cols[2:4]) == eng(min(values), cols[1]), cols
        units_seen.add(cols[1])
    assert units_seen == {"A", "Ω", "V"}

    out = ran["tmp"] / "job1.csv"
    e = wkpup("export", "1", "--csv", str(out), cwd=ran["tmp"], env=ran["env"])
    assert e.code == 0, e.err
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(table[0])[7:9] == ["name", "unit"]
    assert {r["name"]: r["unit"] for r in table} == {n: unit(n) for n in names}
    assert {"A", "Ω", "V"} <= {r["unit"] for r in table}

    c = wkpup("compare", "1", "2", cwd=ran["tmp"], env=ran["env"])
    # job 2's one point failed (0.05 s limit): job 1's two points are its only, listed apart
    assert c.code == 1 and "point sets differ (2 only in A); no point in common" in c.out
    assert "2 point(s) only in A:\n  TT typical -40C max/max\n  TT typical 125C max/max" in c.out
    assert "config temperatures: A -40, 125 / B none with results" in c.out


def test_the_web_page_formats_numbers_as_the_cli_does() -> None:
    """static/app.js fmt() and report.units.number() write the same text; fmt() runs in the
    headless chromium that shows the page (`make tools` installs it: no node needed)."""
    assert CHROMIUM.is_file(), "no /usr/bin/chromium: `apt-get install -y chromium` (make tools)"
    from playwright.sync_api import sync_playwright

    values = [0, 1, -0.000349256, 5772.28, 1e-5, 123456789, 0.000123456789, 100000, 1234567,
              2.01554, 12.5, -4.5e-13, 0.1, 99999.95, None]  # fmt: skip
    src = next(
        line
        for line in (REPO / "wkpup_harness/web/static/app.js").read_text().splitlines()
        if line.startswith("const fmt =")
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            out = browser.new_page().evaluate(
                f"(values) => {{ {src}\nreturn values.map(fmt); }}", values
            )
        finally:
            browser.close()
    assert out == [number(v) for v in values]


# --- permissions and paths -----------------------------------------------------------------------
def modes(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): stat.S_IMODE(p.lstat().st_mode)
        for p in (root, *root.rglob("*"))
        if not p.is_symlink()
    }


@pytest.mark.ngspice
def test_store_and_run_directories_are_never_group_or_world_writable(ran: dict[str, Any]) -> None:
    # job 1 ran with umask 000: still nothing group- or world-writable
    job1 = modes(ran["runs"] / "1")
    assert len(job1) > 20
    shared = {p: oct(m) for p, m in job1.items() if m & 0o022}
    assert shared == {}
    assert job1["logs"] == 0o755 and job1["logs/job.jsonl"] == 0o644
    store_dir = ran["db"].parent
    assert stat.S_IMODE(store_dir.stat().st_mode) == 0o700
    for f in store_dir.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) & 0o022 == 0, f
    # job 2 ran with umask 077: its files are the owner's only (the umask is respected,
    # copied domain files included)
    job2 = modes(ran["runs"] / "2")
    assert {p: oct(m) for p, m in job2.items() if m & 0o077} == {}


def test_golden_names_cannot_lead_out_of_the_golden_root(tmp_path: Path) -> None:
    """A job whose name (from the store: `wkpup run --name`, a scenario) is a path:
    `wkpup golden --update` refuses it in one line and writes nothing."""
    db = tmp_path / "store" / "wkpup.db"
    db.parent.mkdir()
    work = tmp_path / "work"
    (work / "report").mkdir(parents=True)
    (work / "report" / "creport.txt").write_text("x\n")
    conn = connect(db)
    try:
        ident = jobs.create_job(conn, domain="gpio/1p8v", scenario="smoke", name="../../../escaped")
        jobs.update_job(conn, ident, work_path=str(work))
    finally:
        conn.close()
    golden = tmp_path / "golden"
    before = snapshot(tmp_path)
    o = wkpup("golden", str(ident), "--update", "--golden-dir", str(golden), "--db", str(db),
              cwd=tmp_path, env=isolated(tmp_path))  # fmt: skip
    assert_one_line_error(o, 2, "job name", "../../../escaped", "golden")
    assert snapshot(tmp_path) - before <= {"store/wkpup.db-wal", "store/wkpup.db-shm"}
    assert not (tmp_path / "escaped").exists()


def test_job_jsonl_falls_silent_on_a_full_disk(tmp_path: Path) -> None:
    """job.jsonl on a device that is always full (/dev/full): the writes fail with ENOSPC,
    the log closes itself and the job goes on (nothing raised)."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    (tmp_path / "job.jsonl").symlink_to("/dev/full")
    log = JobLog(tmp_path, 7, domain="gpio/1p8v", scenario="cli", name="x", face="cli",
                 points=0, stages=["gen"], resume=False)  # fmt: skip
    log.write("stage_start", stage="gen")
    log.close()
    assert log._fh is None


def test_every_measurement_of_every_domain_has_a_unit() -> None:
    """The `.meas` names of the real templates: each gets A, Ω, V or s."""
    names = set()
    for template in DOMAINS.glob("*/*/template/*.sp"):
        for line in template.read_text(encoding="utf-8", errors="replace").splitlines():
            words = line.split()
            if len(words) > 2 and words[0].lower() == ".meas":
                names.add(words[2])
    assert {"ioh", "rwkpull0", "vwkp", "del_rr", "trise", "dcd"} <= names
    assert {n: unit(n) for n in names if unit(n) not in ("A", "Ω", "V", "s")} == {}
    assert unit("dcd") == "s" and unit("temper") == "" and unit("alter#") == ""


def test_doctor_names_a_bad_setting_instead_of_failing(tmp_path: Path) -> None:
    o = wkpup("doctor", cwd=tmp_path, env=isolated(tmp_path, WKPUP_CPUS="abc"))
    assert o.code == 1 and o.err == "" and "Traceback" not in o.out
    status, detail = checks_of(o.out)["settings"]
    assert status == "FAIL" and "WKPUP_CPUS" in detail and "'abc'" in detail


def test_resume_refuses_a_work_directory_outside_its_run_root(tmp_path: Path) -> None:
    """A store row whose domain copy is not below its run root (edited, or from elsewhere):
    `wkpup resume` refuses it in one line and runs nothing there."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "config.cfg").write_text((DOMAINS / "gpio/1p8v/config.cfg").read_text())
    db = tmp_path / "store" / "wkpup.db"
    db.parent.mkdir()
    conn = connect(db)
    try:
        ident = jobs.create_job(conn, domain="gpio/1p8v", scenario="cli", name="x")
        jobs.update_job(conn, ident, run_root=str(tmp_path / "runs" / "1"),
                        work_path=str(elsewhere))  # fmt: skip
        jobs.finish_job(conn, ident, "failed", error="x", error_stage="run")
    finally:
        conn.close()
    before = snapshot(tmp_path)
    o = wkpup("resume", str(ident), "--db", str(db), cwd=tmp_path, env=isolated(tmp_path))
    assert_one_line_error(o, 2, "outside its run root", str(elsewhere))
    assert snapshot(tmp_path) - before <= {"store/wkpup.db-wal", "store/wkpup.db-shm"}
