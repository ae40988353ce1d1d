"""Faults survived (issue 11, Build 3): real ngspice, real SKY130 models, real SQLite, a real
tmpfs, real processes killed or stopped through /proc. For each fault the tests show

(a) the job's state in the store says what happened (job, stage and point status, reason);
(b) nothing already stored is lost (points done before the fault are kept, not simulated
    again; ``PRAGMA integrity_check`` is ok);
(c) ``wkpup resume`` (or ``pytest --pvt-resume``) finishes the job with the creport of an
    uninterrupted run, byte for byte (the repository's golden smoke rows).

The jobs are 2 points of domains/gpio/1p8v (condition htol), as in tests/test_engine.py,
whose helpers they use.
"""

# ruff: noqa: F401, F811  (fixtures imported from test_engine are parameters of the tests)
from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from test_engine import (  # core, pvt_env, spawned: test_engine's fixtures, used by name
    CORE_ROOT,
    WAIT_S,
    WKPUP,
    Spawned,
    clean_env,
    core,
    job_row,
    pvt_env,
    pytest_argv,
    pytest_project,
    query,
    run_args,
    scenario_job,
    settings_for,
    smoke_subset,
    spawned,
    spec_for,
    stage_states,
    wait_for,
)

from wkpup_harness.core import Core, locate_core
from wkpup_harness.engine import Event, Job
from wkpup_harness.results.runlog import classify
from wkpup_harness.store import connect
from wkpup_harness.store import jobs as store_jobs
from wkpup_harness.store.recorder import Recorder
from wkpup_harness.store.schema import StoreUnavailable

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from procwatch import ngspice_pids

TWO = ("TT",), ("m40", "125")  # two points, simulated one after the other (--cpus 1)
TT_FFG = ("TT", "FFG"), ("m40",)
EXPECT_TWO = smoke_subset(*TWO)
# A deck that does not converge: a current source that flips with its own node voltage
# (ngspice: "Timestep too small ... trouble with node nc").
NONCONVERGING = (
    "rnc1 nc 0 1k\nbnc nc 0 I = 1e3*(v(nc) > 0.9 ? 1 : -1)*sin(time*1e9)\n.tran 1n 10u\n"
)
# The shell script of a line holding a store's write lock until its stdin closes.
LOCKER = (
    "import sqlite3, sys\n"
    "c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)\n"
    "c.execute('BEGIN EXCLUSIVE')\n"
    "print('locked', flush=True)\n"
    "sys.stdin.read()\n"
    "c.execute('COMMIT')\n"
)


# --- helpers -----------------------------------------------------------------------------------
def wkpup(env: dict[str, str], cwd: Path, *argv: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(WKPUP), *map(str, argv)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=WAIT_S,
    )


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("wkpup: ")]


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def sims(db: Path) -> dict[str, dict[str, Any]]:
    rows = query(db, "SELECT name, status, attempts, reason FROM sims ORDER BY idx")
    return {r["name"]: r for r in rows}


def resume_and_check(
    env: dict[str, str], cwd: Path, job: int, expected: bytes, *extra: str
) -> dict[str, Any]:
    """``wkpup resume`` finishes the job: completed, one job in the store, every point ok,
    the creport byte for byte ``expected``. Returns the final job row."""
    db = Path(env["WKPUP_DB"])
    done = wkpup(env, cwd, "resume", job, *extra)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"job {job}: completed" in done.stdout
    final = job_row(db, job)
    assert (final["status"], final["error"], final["resumes"]) == ("completed", None, 1)
    assert query(db, "SELECT count(*) AS n FROM jobs") == [{"n": 1}]
    creport = Path(final["backup_path"]) / "report" / "creport.txt"
    assert creport.read_bytes() == expected
    n = expected.count(b"\n") - 10
    assert {s["status"] for s in sims(db).values()} == {"ok"} and len(sims(db)) == n
    points = query(db, "SELECT status FROM points WHERE job_id = ?", job)
    assert len(points) == n and {p["status"] for p in points} == {"ok"}
    assert integrity(db) == "ok"
    return final


def start_run(
    tmp_path: Path, spawned: Spawned, *extra: str, **env_extra: str
) -> tuple[subprocess.Popen[bytes], Path, dict[str, str]]:
    """``wkpup run`` of the two points, one at a time, in the background (output in
    tmp_path/run.out): (its process, the store, its environment)."""
    env = clean_env(tmp_path, **env_extra)
    db = Path(env["WKPUP_DB"])
    spawned.stores.append(db)
    argv = run_args(*TWO, "--cpus", "1", *extra)
    proc = spawned.popen([WKPUP, *argv], cwd=tmp_path, env=env, log=tmp_path / "run.out")
    return proc, db, env


def point_recorded(db: Path) -> None:
    wait_for("a point recorded", lambda: query(db, "SELECT 1 FROM sims WHERE status = 'ok'"))


def first_simulation(below: Path, timeout: float = WAIT_S) -> tuple[int, Path]:
    """The pid of the first ngspice simulating below ``below`` and its point directory."""
    while True:
        pid = wait_for("an ngspice simulation", lambda: ngspice_pids(below), timeout)[0]
        with contextlib.suppress(OSError):
            return pid, Path(os.readlink(f"/proc/{pid}/cwd"))


def point_words(point_dir: Path) -> tuple[str, str, str, str]:
    """TT/typical/typical_m40/v1max_v2max -> (TT, typical, m40, v1max_v2max)"""
    corner, ex, ex_t, vt = point_dir.parts[-4:]
    return corner, ex, ex_t.removeprefix(ex + "_"), vt


def point_name(point_dir: Path) -> str:
    return "_".join(point_words(point_dir))


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """``mount(size)``: a fresh tmpfs of that size below tmp_path, unmounted at the end."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        where = tmp_path / f"tmpfs{len(mounted)}"
        where.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs (root needed): {done.stderr.strip()}")
        mounted.append(where)
        return where

    try:
        yield mount
    finally:
        for where in reversed(mounted):
            subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(where: Path) -> Path:
    """Fill the file system of ``where`` to the last byte; returns the filler file."""
    filler = where / "filler"
    with open(filler, "ab", buffering=0) as fh:
        chunk = b"\0" * (1 << 20)
        while chunk:
            try:
                fh.write(chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                chunk = chunk[: len(chunk) // 2] if len(chunk) > 64 else b""
    assert os.statvfs(where).f_bavail == 0
    return filler


# === 1. the simulator killed mid-point ========================================================
def test_a_killed_simulator_is_named_as_the_reason() -> None:
    output = "ERROR: run_point: ngspice exited 137 for /r/TT/sim_tx.cir (see /r/TT/sim_tx.log)\n"
    assert classify(1, output, "") == "ngspice killed by SIGKILL"
    assert classify(1, output.replace("137", "139"), "") == "ngspice killed by SIGSEGV"
    assert classify(-9, "", "") == "killed by SIGKILL"
    assert classify(1, output.replace("137", "1"), "") == "exit 1"


@pytest.mark.ngspice
def test_simulator_killed_mid_point_then_resume(tmp_path: Path, spawned: Spawned) -> None:
    proc, db, env = start_run(tmp_path, spawned, "--retries", "0")
    pid, point_dir = first_simulation(tmp_path / "runs")
    os.kill(pid, signal.SIGKILL)
    assert proc.wait(timeout=WAIT_S) == 1
    killed = point_name(point_dir)
    # (a) the point killed is failed, by name and signal; the other point ran; no backup.
    out = (tmp_path / "run.out").read_text()
    assert "ngspice killed by SIGKILL (1 attempt(s))" in out, out
    (row,) = query(db, "SELECT * FROM jobs")
    assert (row["status"], row["error"], row["error_stage"]) == (
        "failed",
        "1 point(s) failed",
        "run",
    )
    assert row["backup_path"] is None and stage_states(job_row(db, row["id"]))["bkp"] == "skipped"
    before = sims(db)
    assert before[killed] == {
        "name": killed,
        "status": "failed",
        "attempts": 1,
        "reason": "ngspice killed by SIGKILL",
    }
    (other,) = [s for n, s in before.items() if n != killed]
    assert (other["status"], other["attempts"]) == ("ok", 1)
    # (b) + (c): only the killed point is simulated again.
    resume_and_check(env, tmp_path, row["id"], EXPECT_TWO)
    after = sims(db)
    assert after[other["name"]]["attempts"] == 1 and after[killed]["attempts"] == 2


# === 2. the simulator hung: the per-simulation and the stage timeout ===========================
@pytest.mark.ngspice
def test_hung_simulator_times_out_and_its_retry_finishes_the_job(
    tmp_path: Path, spawned: Spawned
) -> None:
    """A stopped ngspice (SIGSTOP: alive, never finishing) is killed at --sim-timeout; the
    retry runs a fresh simulation and the job completes with the uninterrupted creport."""
    proc, db, _ = start_run(tmp_path, spawned, "--retries", "1", "--sim-timeout", "10")
    pid, point_dir = first_simulation(tmp_path / "runs")
    os.kill(pid, signal.SIGSTOP)
    assert proc.wait(timeout=WAIT_S) == 0, (tmp_path / "run.out").read_text()
    hung = point_name(point_dir)
    assert not ngspice_pids(tmp_path / "runs")  # the stopped one was killed
    (row,) = query(db, "SELECT * FROM jobs")
    assert (row["status"], row["error"]) == ("completed", None)
    assert sims(db)[hung] == {"name": hung, "status": "ok", "attempts": 2, "reason": None}
    assert Path(row["backup_path"], "report", "creport.txt").read_bytes() == EXPECT_TWO
    run_log = (Path(row["log_path"]) / "run.log").read_text()
    assert f"{' '.join(point_words(point_dir))} Done " in run_log


@pytest.mark.ngspice
def test_hung_simulator_hits_the_pytest_stage_timeout_then_pvt_resume(
    pytester: pytest.Pytester, pvt_env: Path, spawned: Spawned
) -> None:
    root = pytest_project(pytester, scenario_job("sub", *TWO, True), {"sub": EXPECT_TWO})
    db = root / "wk.db"
    spawned.stores.append(db)
    spawned.dirs.append(root)
    limit = 10
    proc = spawned.popen(
        pytest_argv(
            "regression", "--pvt-cpus", "1", "--pvt-retries", "0", "--pvt-stage-timeout", str(limit)
        ),
        cwd=root,
        env=dict(os.environ),
        log=root / "first.out",
    )
    pid, point_dir = first_simulation(root / ".wkpup" / "runs")
    os.kill(pid, signal.SIGSTOP)
    assert proc.wait(timeout=WAIT_S) == 1
    out = (root / "first.out").read_text()
    assert "stage run: timed out after" in out and "1 failed" in out.splitlines()[-1], out
    hung = point_name(point_dir)
    assert not ngspice_pids(root)
    (row,) = query(db, "SELECT * FROM jobs")
    assert (row["status"], row["error_stage"]) == ("failed", "run")
    assert row["error"].startswith("stage run: timed out after "), row["error"]
    assert stage_states(job_row(db, row["id"]))["run"] == "failed"
    points = sims(db)
    assert points[hung] == {
        "name": hung,
        "status": "failed",
        "attempts": 1,
        "reason": f"stage timeout {limit}s",
    }
    (other,) = [s for n, s in points.items() if n != hung]
    assert other["status"] == "cancelled"  # waited for the CPU slot, never started
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "regression", "--pvt-cpus", "1", "--pvt-resume"
    )
    result.assert_outcomes(passed=1)  # golden identical: the uninterrupted creport
    (final,) = query(db, "SELECT * FROM jobs")
    assert (final["id"], final["status"], final["resumes"]) == (row["id"], "completed", 1)
    assert Path(final["backup_path"], "report", "creport.txt").read_bytes() == EXPECT_TWO
    assert {s["status"] for s in sims(db).values()} == {"ok"}


# === 3. non-convergence =======================================================================
@pytest.mark.ngspice
def test_non_converging_deck_fails_its_point_after_bounded_retries_then_resume(
    tmp_path: Path, core: Core
) -> None:
    settings = settings_for(tmp_path, retries=2)
    recorder = Recorder(settings.db)
    job = Job(spec_for(core, *TT_FFG), settings, core, recorder=recorder)
    broken = "FFG_typical_m40_v1max_v2max"
    try:
        job.open()
        assert job.step("gen").ok  # type: ignore[union-attr]
        (point,) = [p for p in job.points if p.name == broken]
        netlist = job.workdir / point.directory / "sim_tx.sp"
        text = netlist.read_text()
        assert text.count(".tran 1n 10u\n") == 1
        netlist.write_text(text.replace(".tran 1n 10u\n", NONCONVERGING))
        for stage in ("run", "ext", "srt", "bkp"):
            job.step(stage)
    finally:
        job.close()
        recorder.close()
    (failed,) = job.failed_points
    assert (failed.point.name, failed.reason, failed.attempts) == (broken, "non-convergence", 3)
    sim_log = (job.workdir / point.directory / "sim_tx.log").read_text()
    assert "Timestep too small" in sim_log
    row = job_row(settings.db, job.id)  # type: ignore[arg-type]
    assert (row["status"], row["error"], row["error_stage"]) == (
        "failed",
        "1 point(s) failed",
        "run",
    )
    assert sims(settings.db)[broken] == {
        "name": broken,
        "status": "failed",
        "attempts": 3,
        "reason": "non-convergence",
    }
    assert sims(settings.db)["TT_typical_m40_v1max_v2max"]["attempts"] == 1
    # The deck fixed (its netlist removed: resume regenerates it), resume finishes the job;
    # the point done before is not simulated again.
    netlist.unlink()
    resume_and_check(clean_env(tmp_path), tmp_path, job.id, smoke_subset(*TT_FFG))  # type: ignore[arg-type]
    after = sims(settings.db)
    assert (after["TT_typical_m40_v1max_v2max"]["attempts"], after[broken]["attempts"]) == (1, 4)


# === 4. the disk full =========================================================================
@pytest.mark.ngspice
def test_disk_full_while_writing_reports_then_resume(
    tmp_path: Path, core: Core, tmpfs: Callable[[str], Path]
) -> None:
    """The run directory on a small tmpfs, filled after the run stage: ext cannot write the
    reports; the job fails naming the full disk, its points kept; resume after freeing space
    finishes it."""
    disk = tmpfs("32m")
    settings = settings_for(tmp_path, runs=disk / "runs")
    recorder = Recorder(settings.db)
    job = Job(spec_for(core, *TWO), settings, core, recorder=recorder)
    try:
        job.open()
        assert job.step("gen").ok and job.step("run").ok  # type: ignore[union-attr]
        filler = fill(disk)
        for stage in ("ext", "srt", "bkp"):
            job.step(stage)
    finally:
        job.close()
        recorder.close()
    assert job.status == "failed"
    row = job_row(settings.db, job.id)  # type: ignore[arg-type]
    expected = f"stage ext: no space left on {job.root} (0 bytes free)"
    assert (row["status"], row["error"], row["error_stage"]) == ("failed", expected, "ext")
    assert stage_states(row) == {
        "gen": "completed", "run": "completed", "ext": "failed", "srt": "skipped",
        "bkp": "skipped",
    }  # fmt: skip
    assert {s["status"] for s in sims(settings.db).values()} == {"ok"}
    assert integrity(settings.db) == "ok"
    # The core's ext moves a point's measure files aside before writing its report: a point
    # whose report the full disk refused has lost them, and only it is simulated again.
    lost = {p.name for p in job.points if not job.report_path(p).is_file()}
    assert lost
    filler.unlink()
    env = clean_env(tmp_path, WKPUP_RUNS=str(disk / "runs"))
    resume_and_check(env, tmp_path, job.id, EXPECT_TWO)  # type: ignore[arg-type]
    attempts = {n: s["attempts"] for n, s in sims(settings.db).items()}
    assert attempts == {n: 2 if n in lost else 1 for n in attempts}


@pytest.mark.ngspice
def test_disk_full_under_the_store_stops_the_job_with_one_line_then_resume(
    tmp_path: Path, spawned: Spawned, tmpfs: Callable[[str], Path]
) -> None:
    """The store on a small tmpfs, filled once a point is recorded: the next write fails
    (SQLITE_FULL, rolled back), the job stops, ``wkpup run`` says so in one line; the store
    stays consistent, keeps what it had, and resume after freeing space finishes the job."""
    disk = tmpfs("8m")
    proc, db, env = start_run(tmp_path, spawned, WKPUP_DB=str(disk / "wkpup.db"))
    point_recorded(db)
    filler = fill(disk)
    assert proc.wait(timeout=WAIT_S) == 1
    lines = error_lines((tmp_path / "run.out").read_text())
    assert len(lines) == 1, lines
    assert "database or disk is full" in lines[0] and "wkpup resume 1" in lines[0], lines
    assert integrity(db) == "ok"
    (row,) = query(db, "SELECT * FROM jobs")
    assert row["status"] == "running"  # its end could not be written; the driver is gone
    assert query(db, "SELECT count(*) AS n FROM points") == [{"n": 0}]  # no half result
    assert len([s for s in sims(db).values() if s["status"] == "ok"]) >= 1  # kept
    # While the disk is full a command that must write says so in one line.
    status = wkpup(env, tmp_path, "status", row["id"])
    assert status.returncode != 0 and len(status.stderr.strip().splitlines()) == 1
    assert "database or disk is full" in status.stderr
    filler.unlink()
    status = wkpup(env, tmp_path, "status", row["id"])
    assert f"job {row['id']}: interrupted" in status.stdout, status.stdout + status.stderr
    resume_and_check(env, tmp_path, row["id"], EXPECT_TWO)


def test_a_full_disk_rolls_the_store_write_back_and_says_so(
    tmp_path: Path, tmpfs: Callable[[str], Path]
) -> None:
    """The store layer alone: a write on a full disk is rolled back whole (SQLITE_FULL ->
    StoreUnavailable), what was committed before stays, and writes work again once space
    is freed."""
    disk = tmpfs("2m")
    conn = connect(disk / "wkpup.db")
    try:
        kept = store_jobs.create_job(conn, domain="gpio/1p8v", config_text="mode:prelay\n")
        filler = fill(disk)
        with pytest.raises(StoreUnavailable, match="database or disk is full"):
            # one transaction: the job row and its 5000 config keys, all or nothing
            store_jobs.create_job(conn, domain="gpio/1p8v", config_text="k:v\n" * 5000)
        assert not conn.in_transaction
        filler.unlink()
        again = store_jobs.create_job(conn, domain="gpio/1p8v")
    finally:
        conn.close()
    assert integrity(disk / "wkpup.db") == "ok"
    rows = query(disk / "wkpup.db", "SELECT id FROM jobs ORDER BY id")
    assert [r["id"] for r in rows] == [kept, again]
    keys = query(disk / "wkpup.db", "SELECT job_id, count(*) AS n FROM config_keys GROUP BY 1")
    assert keys == [{"job_id": kept, "n": 1}]


# === 5. the store locked by another process ===================================================
def lock_store(spawned_: Spawned, db: Path) -> subprocess.Popen[bytes]:
    """A real sqlite3 connection in another process holding BEGIN EXCLUSIVE on ``db`` until
    its stdin is closed."""
    proc = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    spawned_.procs.append(proc)  # type: ignore[arg-type]
    assert proc.stdout is not None and proc.stdout.readline() == b"locked\n"
    return proc


def unlock(proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    assert proc.wait(timeout=30) == 0


@pytest.mark.ngspice
def test_a_store_locked_for_a_while_is_waited_for(tmp_path: Path, spawned: Spawned) -> None:
    proc, db, _ = start_run(tmp_path, spawned)
    point_recorded(db)
    locker = lock_store(spawned, db)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=3)  # the job cannot end while the store is locked
    assert proc.poll() is None
    unlock(locker)
    assert proc.wait(timeout=WAIT_S) == 0, (tmp_path / "run.out").read_text()
    (row,) = query(db, "SELECT * FROM jobs")
    assert (row["status"], row["error"]) == ("completed", None)
    assert Path(row["backup_path"], "report", "creport.txt").read_bytes() == EXPECT_TWO
    assert {(s["status"], s["attempts"]) for s in sims(db).values()} == {("ok", 1)}
    assert integrity(db) == "ok"


@pytest.mark.ngspice
def test_a_store_locked_too_long_stops_the_job_with_one_line_then_resume(
    tmp_path: Path, spawned: Spawned
) -> None:
    proc, db, env = start_run(tmp_path, spawned, WKPUP_STORE_WAIT="2")
    point_recorded(db)
    locker = lock_store(spawned, db)
    assert proc.wait(timeout=WAIT_S) == 1
    unlock(locker)
    lines = error_lines((tmp_path / "run.out").read_text())
    assert len(lines) == 1, lines
    assert "store busy (locked by another process) for 2 s" in lines[0], lines
    assert integrity(db) == "ok"
    (row,) = query(db, "SELECT * FROM jobs")
    assert query(db, "SELECT count(*) AS n FROM points") == [{"n": 0}]  # no half result
    kept = [n for n, s in sims(db).items() if s["status"] == "ok"]
    assert kept
    final = resume_and_check(env, tmp_path, row["id"], EXPECT_TWO)
    assert final["resumes"] == 1
    assert all(sims(db)[n]["attempts"] == 1 for n in kept)  # not simulated again


def test_a_store_locked_before_the_job_starts_creates_nothing(
    tmp_path: Path, spawned: Spawned
) -> None:
    env = clean_env(tmp_path, WKPUP_STORE_WAIT="1")
    db = Path(env["WKPUP_DB"])
    db.parent.mkdir()
    connect(db).close()  # the project's store, from earlier jobs
    locker = lock_store(spawned, db)
    try:
        done = wkpup(env, tmp_path, *run_args(*TWO))
    finally:
        unlock(locker)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "wkpup: error: store busy (locked by another process) for 1 s: write transaction"
    ]
    assert not (tmp_path / "runs").exists()
    assert query(db, "SELECT count(*) AS n FROM jobs") == [{"n": 0}]


# === 6. a core file removed mid-run ===========================================================
@pytest.mark.ngspice
def test_a_core_file_removed_mid_run_stops_the_next_stage_then_resume(tmp_path: Path) -> None:
    copy = tmp_path / "core"
    shutil.copytree(CORE_ROOT, copy)
    copied = locate_core(copy)
    ext = copy / "ver03" / "stages" / "ext.sh"
    saved = ext.read_bytes()

    def remove(event: Event) -> None:
        if event.kind == "point" and ext.exists():
            ext.unlink()  # while the run stage runs

    settings = settings_for(tmp_path)
    recorder = Recorder(settings.db)
    job = Job(spec_for(copied, *TWO), settings, copied, recorder=recorder, listeners=[remove])
    try:
        job.run()
    finally:
        recorder.close()
    expected = (
        f"stage ext not started: core at {copy} differs from its manifest; "
        "missing: ver03/stages/ext.sh"
    )
    row = job_row(settings.db, job.id)  # type: ignore[arg-type]
    assert (row["status"], row["error"], row["error_stage"]) == ("failed", expected, "ext")
    assert stage_states(row) == {
        "gen": "completed", "run": "completed", "ext": "failed", "srt": "skipped",
        "bkp": "skipped",
    }  # fmt: skip
    assert expected in (job.log_dir / "ext.log").read_text()
    assert {(s["status"], s["attempts"]) for s in sims(settings.db).values()} == {("ok", 1)}
    # The core restored, resume finishes the job without simulating again.
    ext.write_bytes(saved)
    resume_and_check(clean_env(tmp_path), tmp_path, job.id, EXPECT_TWO, "--core", str(copy))  # type: ignore[arg-type]
    assert {s["attempts"] for s in sims(settings.db).values()} == {1}


# === 7. an xdist worker crashing ==============================================================
def crash_worker_midway(
    pytester: pytest.Pytester, spawned: Spawned, *args: str
) -> tuple[Path, dict[str, Any], str]:
    """A pytest -n 1 session of one 2-point item whose worker is killed (SIGKILL) once a
    point is done: (project root, the job row then, the session's output)."""
    root = pytest_project(pytester, scenario_job("sub", *TWO, True), {"sub": EXPECT_TWO})
    db = root / "wk.db"
    spawned.stores.append(db)
    spawned.dirs.append(root)
    proc = spawned.popen(
        pytest_argv("regression", "--pvt-cpus", "1", "-n", "1", "-rA", *args),
        cwd=root,
        env=dict(os.environ),
        log=root / "first.out",
    )
    row = wait_for(
        "a point done on the worker",
        lambda: next(iter(query(db, "SELECT * FROM jobs WHERE points_done >= 1")), None),
    )
    assert row["pid"] != proc.pid  # the worker drives the job
    os.kill(row["pid"], signal.SIGKILL)
    assert proc.wait(timeout=WAIT_S) == 1
    out = (root / "first.out").read_text()
    assert "crashed while running 'regression/gpio/e.yaml::sub" in out, out
    note = (
        f"wkpup: job {row['id']} gpio/e::sub ran on that worker: recorded interrupted (stage run, "
    )
    assert note in out and f"or wkpup resume {row['id']}" in out, out
    return root, row, out


@pytest.mark.ngspice
def test_xdist_worker_killed_its_item_fails_and_the_rerun_resumes_the_job(
    pytester: pytest.Pytester, pvt_env: Path, spawned: Spawned
) -> None:
    """xdist reports the crashed item failed (with the job's state from the hook) and runs it
    again on the replacement worker, which resumes the crashed job: one job, completed."""
    root, row, out = crash_worker_midway(pytester, spawned)
    assert "1 failed, 1 passed" in out.splitlines()[-1], out
    db = root / "wk.db"
    (final,) = query(db, "SELECT * FROM jobs")
    assert (final["id"], final["status"], final["resumes"]) == (row["id"], "completed", 1)
    assert final["golden"] == "identical"
    assert Path(final["backup_path"], "report", "creport.txt").read_bytes() == EXPECT_TWO
    done = [n for n, s in sims(db).items() if s["attempts"] == 1]
    assert done and {s["status"] for s in sims(db).values()} == {"ok"}


@pytest.mark.ngspice
def test_xdist_worker_killed_without_a_replacement_then_pvt_resume(
    pytester: pytest.Pytester, pvt_env: Path, spawned: Spawned
) -> None:
    root, row, _ = crash_worker_midway(pytester, spawned, "--max-worker-restart", "0")
    db = root / "wk.db"
    # Recorded by the time pytest ends (the hook), not left running.
    final = job_row(db, row["id"])
    assert (final["status"], final["error"], final["error_stage"]) == (
        "failed",
        "interrupted",
        "run",
    )
    assert not ngspice_pids(root)
    kept = [n for n, s in sims(db).items() if s["status"] == "ok"]
    assert kept
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "regression", "--pvt-cpus", "1", "--pvt-resume", "-n", "1"
    )
    result.assert_outcomes(passed=1)  # golden identical
    (final,) = query(db, "SELECT * FROM jobs")
    assert (final["status"], final["resumes"]) == ("completed", 1)
    assert Path(final["backup_path"], "report", "creport.txt").read_bytes() == EXPECT_TWO
    assert all(sims(db)[n]["attempts"] == 1 for n in kept)
