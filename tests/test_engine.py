"""The job engine (``wkpup_harness.engine.Job``) on the real core, real ngspice and the real
SKY130 models, through every face:

- in-process: ``open`` / ``step`` / ``run`` / ``close``, the pipeline rules, cancel, timeouts,
  Ctrl-C, retries and the reasons a point failed, as the store records them;
- the ``wkpup`` command in subprocesses: ``kill -9`` then ``wkpup resume``, ``wkpup cancel``,
  three jobs at once under one CPU budget, settings errors, ``wkpup golden``,
  ``wkpup db cleanup``;
- pytest items (pytester projects): ``--pvt-resume`` after ``kill -9``, ``wkpup cancel`` of a
  job pytest runs, the same job through pytest and ``wkpup run`` recorded alike.

The jobs are small (1-6 points of domains/gpio/1p8v with condition htol). What they produce
is compared with the repository's golden smoke creport (golden/gpio/wkpup_1p8v/smoke: TT,
FFG, SSG at -40 and 125 C): an uninterrupted run of any subset of its points reproduces its
header and its rows byte for byte.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest
from coreutil import DOMAINS, REPO, our_domain
from hostile import isolated

from wkpup_harness.cli.main import main as wkpup_main
from wkpup_harness.config import read_config
from wkpup_harness.config.scenario import JobSpec, domain_limits
from wkpup_harness.config.tables import load_tables
from wkpup_harness.core import Core, locate_core
from wkpup_harness.engine import Event, Job, JobError
from wkpup_harness.engine.reaper import kill_token, processes_with_token
from wkpup_harness.engine.workdir import copy_domain
from wkpup_harness.errors import CoreModifiedError, ResultError
from wkpup_harness.results import parse_creport
from wkpup_harness.results import spec as spec_check
from wkpup_harness.results.runlog import classify, parse_point_status, read_job_stat
from wkpup_harness.settings import Settings, resolve
from wkpup_harness.store import connect
from wkpup_harness.store import jobs as store_jobs
from wkpup_harness.store.recorder import Recorder

sys.path.insert(0, str(REPO / "bench"))
from procwatch import Watcher, ngspice_pids

CORE_ROOT = REPO / "pai_ho_core"
TABLES = load_tables(CORE_ROOT / "ver03" / "configuration")
GPIO = DOMAINS / "gpio" / "1p8v"
SMOKE = REPO / "golden" / "gpio" / "wkpup_1p8v" / "smoke" / "creport.txt"
WKPUP = Path(sys.executable).with_name("wkpup")
HTOL = {"condition": "htol"}
ALL_TT = ("TT", "FSG", "SFG", "FFG", "FFAG", "SSG", "SSAG")  # the full_tt corner list
HEADER_LINES = 10  # creport lines before the first row
TEMPERATURE = {"m40": "-40", "125": "125"}
GONE_S = 5.0  # a killed driver's processes are gone within this
WAIT_S = 180.0  # the longest any wait for a simulation event may take (loaded machine)
ONE = ("TT",), ("m40",)
T = TypeVar("T")


# --- helpers -----------------------------------------------------------------------------------
def smoke_subset(corners: Sequence[str], temps: Sequence[str]) -> bytes:
    """The creport an uninterrupted run of these smoke points writes: the golden's header and
    its rows of those corners and temperatures, in the golden's (the core's) order."""
    lines = SMOKE.read_bytes().splitlines(keepends=True)
    wanted = {TEMPERATURE[t] for t in temps}
    rows = [
        line
        for line in lines[HEADER_LINES:]
        if line.split(b"\t")[0].decode() in corners and line.split(b"\t")[2].decode() in wanted
    ]
    assert len(rows) == len(corners) * len(temps)
    return b"".join(lines[:HEADER_LINES] + rows)


def wait_for(what: str, predicate: Callable[[], T], timeout: float = WAIT_S) -> T:
    """Poll ``predicate`` until it returns something true; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:g}s for {what}")
        time.sleep(0.05)


def query(db: Path, sql: str, *args: Any) -> list[dict[str, Any]]:
    """Rows of the store at ``db`` (its own short connection; [] before it exists)."""
    if not db.is_file():
        return []
    conn = sqlite3.connect(db, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, args)]
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        conn.close()


def settings_for(tmp_path: Path, **flags: Any) -> Settings:
    """The engine's settings for an in-process job: everything in ``tmp_path`` (store, run
    root, a private CPU-slot directory), nothing from the environment."""
    values: dict[str, Any] = {
        "db": tmp_path / "store" / "wkpup.db",
        "runs": tmp_path / "runs",
        "slot_dir": tmp_path / "slots",
        "cpus": 1,
        "domains": DOMAINS,
    }
    values.update(flags)
    return resolve(values, project_root=tmp_path, env={})


def spec_for(
    core: Core,
    corners: Sequence[str] | None = ("TT",),
    temps: Sequence[str] | None = ("m40",),
    *,
    domain_dir: Path = GPIO,
    overrides: dict[str, str] | None = None,
    name: str = "job",
) -> JobSpec:
    overrides = dict(HTOL if overrides is None else overrides)
    config = read_config(domain_dir / "config.cfg", tables=core.tables())
    config = config.with_overrides(overrides) if overrides else config
    return JobSpec(
        scenario="engine",
        name=name,
        domain="gpio/1p8v",
        domain_dir=domain_dir,
        config=config,
        overrides=overrides,
        corners=tuple(corners) if corners else None,
        temperatures=tuple(temps) if temps else None,
        spec={},
        golden=False,
        marks=(),
        source=domain_dir / "config.cfg",
    )


def job_row(db: Path, job: int) -> dict[str, Any]:
    conn = connect(db)
    try:
        row = store_jobs.get_job(conn, job)
    finally:
        conn.close()
    assert row is not None
    return row


def stage_states(row: dict[str, Any]) -> dict[str, str]:
    return {s["stage"]: s["status"] for s in row["stages"]}


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a face started as a subprocess: store, run root and CPU slots in
    ``tmp_path``; no other WKPUP_* setting (or job token) inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WKPUP_")}
    env.update({k: v for k, v in isolated(tmp_path, **extra).items() if v != ""})
    return env


class Spawned:
    """Processes a test starts in the background and the stores whose jobs they run: at the
    end every one of them is killed, with every process carrying one of those jobs' tokens
    and any simulation left below the test's directories."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self.stores: list[Path] = []
        self.dirs: list[Path] = []
        self.files: list[Any] = []

    def popen(self, argv: Sequence[str | Path], *, cwd: Path, env: dict[str, str], log: Path):
        out = open(log, "wb")  # noqa: SIM115 (closed in cleanup; a pipe could fill up)
        self.files.append(out)
        proc = subprocess.Popen(
            [str(a) for a in argv],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        return proc

    def cleanup(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        for db in self.stores:
            for row in query(db, "SELECT token FROM jobs WHERE token IS NOT NULL"):
                kill_token(row["token"], grace=0.5)
        for d in self.dirs:
            for pid in ngspice_pids(d):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        for fh in self.files:
            fh.close()


@pytest.fixture
def spawned(tmp_path: Path) -> Iterator[Spawned]:
    s = Spawned()
    s.dirs.append(tmp_path)
    try:
        yield s
    finally:
        s.cleanup()


@pytest.fixture
def core() -> Core:
    return locate_core(CORE_ROOT)


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """In-process ``wkpup`` calls: store, run root and slots in tmp_path (via WKPUP_*), the
    current directory tmp_path. Returns the store path."""
    for name, value in clean_env(tmp_path).items():
        if name.startswith("WKPUP_"):
            monkeypatch.setenv(name, value)
    for name in [k for k in os.environ if k.startswith("WKPUP_")]:
        if name not in ("WKPUP_DB", "WKPUP_RUNS", "WKPUP_SLOT_DIR"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "store" / "wkpup.db"


def cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = wkpup_main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_args(corners: Sequence[str], temps: Sequence[str], *extra: str) -> list[str]:
    """``wkpup run`` of a smoke subset of domains/gpio/1p8v."""
    return [
        "run", "gpio/1p8v", "--domains", str(DOMAINS), "--set", "condition=htol",
        "--corners", *corners, "--temperatures", *temps, *extra,
    ]  # fmt: skip


def sleepy_domain(tmp_path: Path) -> Path:
    """A copy of the GPIO domain whose usr_script stage sleeps 30 s (nothing simulated)."""
    domain = our_domain(tmp_path)
    (domain / "usr_script.sh").write_text("usr_script(){ sleep 30; }\n")
    return domain


# === units ====================================================================================
def test_point_status_lines_are_parsed() -> None:
    log = (
        "run: 3 points with ngspice, 2 at a time\n"
        "TT typical m40 v1min_v2max Done 0.21s\n"
        "FFG_SSG cworst_CCworst_T 125 v1max failed (exit 3) 0.02s\n"
        "SSG typical 85 v1nom_v2nom failed (timeout 5s) 5.01s\n"
        "ERROR: run: 2 of 3 points failed:\n"
        "SSG typical 100 v1nom_v2nom Do"  # half written: not a status line yet
    )
    points = parse_point_status(log)
    assert [p.ok for p in points] == [True, False, False]
    assert points[1].point.name == "FFG_SSG_cworst_CCworst_T_125_v1max"
    assert points[1].reason == "exit 3" and points[2].reason == "timeout 5s"
    assert points[2].elapsed == pytest.approx(5.01)
    # the engine writes the same lines
    assert [p.line() for p in points] == log.splitlines()[1:4]


def test_job_stat_log_is_read_as_the_core_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "job_stat.log"
    path.write_text(
        "corners   status\n"
        "TT typical m40 v1max_v2max    Done\n"
        "FFG typical m40 v1max_v2max    not-complete, check if error\n"
        "SSG typical m40 v1max_v2max    not-start\n"
    )
    assert read_job_stat(path) == {
        "TT_typical_m40_v1max_v2max": True,
        "FFG_typical_m40_v1max_v2max": False,
        "SSG_typical_m40_v1max_v2max": False,
    }
    assert read_job_stat(tmp_path / "missing.log") == {}


@pytest.mark.parametrize(
    ("rc", "output", "log", "reason"),
    [
        (
            1,
            "ERROR: run_point: failed measurement(s) in TT/x/sim_tx.mt0",
            "",
            "missing measurement",
        ),
        (1, "ERROR: run_point: ngspice produced no measurements for x", "", "missing measurement"),
        (1, "ERROR: run_point: ngspice exited 1", "Error: timestep too small", "non-convergence"),
        (3, "ERROR: run_point: x: netlist missing", "", "exit 3"),
    ],
)
def test_failure_reasons(rc: int, output: str, log: str, reason: str) -> None:
    assert classify(rc, output, log) == reason


# === the engine in-process, no simulator ======================================================
def test_unknown_stage_is_refused(tmp_path: Path, core: Core) -> None:
    with pytest.raises(JobError, match=r"'gen,fly': unknown stage 'fly'; allowed: gen, run"):
        Job(spec_for(core), settings_for(tmp_path), core, stages=("gen", "fly"))


def test_modified_core_is_refused_before_anything_is_created(tmp_path: Path) -> None:
    copy = tmp_path / "core"
    shutil.copytree(CORE_ROOT, copy)
    target = copy / "ver03" / "stages" / "run.sh"
    data = bytearray(target.read_bytes())
    data[len(data) // 3] ^= 0x20
    target.write_bytes(bytes(data))
    modified = locate_core(copy)
    settings = settings_for(tmp_path)
    recorder = Recorder(settings.db)
    try:
        job = Job(spec_for(modified), settings, modified, recorder=recorder)
        with pytest.raises(CoreModifiedError, match=r"modified: ver03/stages/run\.sh"):
            job.open()
    finally:
        recorder.close()
    assert query(settings.db, "SELECT id FROM jobs") == []  # no job row
    assert not settings.runs.exists()  # no run directory


def test_failing_gen_stops_the_job_and_names_the_stage(tmp_path: Path, core: Core) -> None:
    domain = our_domain(tmp_path)
    (domain / "template" / "extra.sp").write_text("* a second testbench\n")
    settings = settings_for(tmp_path)
    recorder = Recorder(settings.db)
    events: list[Event] = []
    try:
        job = Job(
            spec_for(core, domain_dir=domain),
            settings,
            core,
            recorder=recorder,
            listeners=[events.append],
        ).run()
    finally:
        recorder.close()
    assert job.status == "failed" and not job.ok
    assert [r.stage for r in job.results] == ["gen"]
    assert job.skipped == ["run", "ext", "srt", "bkp"]
    assert [(e.kind, e.stage) for e in events] == [
        ("stage-start", "gen"), ("stage-end", "gen"), ("stage-skip", "run"),
        ("stage-skip", "ext"), ("stage-skip", "srt"), ("stage-skip", "bkp"), ("job-end", None),
    ]  # fmt: skip
    error, stage = job.error_line()
    assert stage == "gen" and error is not None and error.startswith("stage gen: exit ")
    message = job.failure_message()
    assert message is not None
    assert message.startswith("engine::job: stage gen: exit ")
    assert f"--- last 25 lines of {job.log_dir / 'gen.log'} ---" in message
    assert "exactly one *.sp" in message
    with pytest.raises(ResultError, match=r"creport\.txt not found"):
        job.creport()
    row = job_row(settings.db, job.id)  # type: ignore[arg-type]
    assert (row["status"], row["error_stage"]) == ("failed", "gen")
    assert stage_states(row) == {
        "gen": "failed", "run": "skipped", "ext": "skipped", "srt": "skipped", "bkp": "skipped",
    }  # fmt: skip
    assert (row["points_done"] or 0, row["points_total"], row["stage"]) == (0, 1, None)


def test_cancel_kills_the_running_stage_and_starts_no_other(tmp_path: Path, core: Core) -> None:
    settings = settings_for(tmp_path)
    recorder = Recorder(settings.db)
    job = Job(
        spec_for(core, domain_dir=sleepy_domain(tmp_path)),
        settings,
        core,
        recorder=recorder,
        stages=("usr_script", "gen"),
    )
    timer = threading.Timer(0.5, job.cancel)
    timer.start()
    t0 = time.monotonic()
    try:
        job.run()
    finally:
        timer.cancel()
        recorder.close()
    assert time.monotonic() - t0 < 10
    assert job.status == "cancelled" and job.cancelled
    (usr,) = job.results
    assert usr.cancelled and not usr.timed_out and "cancelled" in usr.tail(2)
    assert job.skipped == ["gen"] and not (job.workdir / "TT").exists()
    error, stage = job.error_line()
    assert stage == "usr_script" and error is not None and "cancelled after" in error
    assert processes_with_token(job.token) == []  # the stage's `sleep 30` is gone too
    row = job_row(settings.db, job.id)  # type: ignore[arg-type]
    assert row["status"] == "cancelled"
    assert stage_states(row) == {"usr_script": "cancelled", "gen": "skipped"}


def test_wkpup_cancel_reaches_the_driver_through_the_store(
    tmp_path: Path, core: Core, cli_env: Path, capsys
) -> None:
    """``wkpup cancel`` only writes a request into the store; the job's driver (here a thread
    of this process) sees it, kills its stage and records the job cancelled."""
    settings = settings_for(tmp_path, db=cli_env)
    recorder = Recorder(settings.db)
    job = Job(
        spec_for(core, domain_dir=sleepy_domain(tmp_path)),
        settings,
        core,
        recorder=recorder,
        stages=("usr_script", "gen"),
    )
    driver = threading.Thread(target=job.run, daemon=True)
    driver.start()
    try:
        wait_for(
            "the usr_script stage running",
            lambda: query(cli_env, "SELECT id FROM jobs WHERE stage = 'usr_script'"),
            30,
        )
        t0 = time.monotonic()
        code, out, err = cli(capsys, "cancel", str(job.id))
        driver.join(timeout=20)
    finally:
        job.cancel()
        driver.join(timeout=20)
        recorder.close()
    assert (code, err) == (0, ""), out
    assert out.strip() == f"job {job.id}: cancelled"
    assert time.monotonic() - t0 < 10
    assert job.status == "cancelled" and job.skipped == ["gen"]
    assert processes_with_token(job.token) == []
    row = job_row(cli_env, job.id)  # type: ignore[arg-type]
    assert row["status"] == "cancelled" and row["cancel_requested"] is not None
    code, out, _ = cli(capsys, "cancel", str(job.id))
    assert code == 1 and "already cancelled" in out


def test_stage_timeout_kills_the_stage_and_fails_the_job(tmp_path: Path, core: Core) -> None:
    settings = settings_for(tmp_path, stage_timeout=1)
    recorder = Recorder(settings.db)
    job = Job(
        spec_for(core, domain_dir=sleepy_domain(tmp_path)),
        settings,
        core,
        recorder=recorder,
        stages=("usr_script", "gen"),
    )
    t0 = time.monotonic()
    try:
        job.run()
    finally:
        recorder.close()
    assert time.monotonic() - t0 < 10
    (usr,) = job.results
    assert usr.timed_out and 1 <= usr.elapsed < 4
    assert "killed after the 1s timeout" in usr.tail(2)
    assert job.status == "failed" and job.skipped == ["gen"]
    error, stage = job.error_line()
    assert stage == "usr_script" and error is not None and "timed out after" in error
    assert processes_with_token(job.token) == []
    row = job_row(settings.db, job.id)  # type: ignore[arg-type]
    assert (row["status"], row["error_stage"]) == ("failed", "usr_script")
    assert stage_states(row) == {"usr_script": "failed", "gen": "skipped"}


def test_ctrl_c_cancels_the_job_kills_its_processes_and_propagates(
    tmp_path: Path, core: Core
) -> None:
    assert threading.current_thread() is threading.main_thread()
    settings = settings_for(tmp_path)
    recorder = Recorder(settings.db)
    job = Job(
        spec_for(core, domain_dir=sleepy_domain(tmp_path)),
        settings,
        core,
        recorder=recorder,
        stages=("usr_script", "gen"),
    )
    # A real SIGINT, as Ctrl-C delivers it (the stage's own session does not get it).
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    t0 = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            job.run()
    finally:
        timer.cancel()
        recorder.close()
    assert time.monotonic() - t0 < 10
    assert job.status == "cancelled"
    assert processes_with_token(job.token) == []
    assert "interrupted" in (job.log_dir / "usr_script.log").read_text()
    assert job_row(settings.db, job.id)["status"] == "cancelled"  # type: ignore[arg-type]


# === the engine in-process, real ngspice ======================================================
@pytest.mark.ngspice
def test_one_point_job_step_by_step_is_recorded_as_it_goes(tmp_path: Path, core: Core) -> None:
    settings = settings_for(tmp_path)
    recorder = Recorder(settings.db)
    events: list[tuple[str, str | None, int]] = []
    job = Job(
        spec_for(core, *ONE),
        settings,
        core,
        face="pytest",
        recorder=recorder,
        listeners=[lambda e: events.append((e.kind, e.stage, e.done))],
    )
    try:
        job.open()
        assert job.root == settings.runs / str(job.id)
        assert job.workdir == job.root / "gpio" / "1p8v"
        row = job_row(settings.db, job.id)  # type: ignore[arg-type]
        assert (row["status"], row["face"], row["token"]) == ("running", "pytest", job.token)
        assert (row["points_total"], row["points_done"] or 0, row["pid"]) == (1, 0, os.getpid())
        assert stage_states(row) == dict.fromkeys(("gen", "run", "ext", "srt", "bkp"), "queued")
        for stage in ("gen", "run", "ext", "srt", "bkp"):
            result = job.step(stage)
            assert result is not None and result.ok, result and result.tail()
            row = job_row(settings.db, job.id)  # type: ignore[arg-type]
            assert stage_states(row)[stage] == "completed"  # recorded as it ends
            if stage == "run":
                assert row["points_done"] == 1 and row["stage"] == "run"
        job.close()
    finally:
        job.close()
        recorder.close()
    assert job.status == "completed" and job.failure_message() is None
    assert events == [
        ("stage-start", "gen", 0), ("stage-end", "gen", 0), ("stage-start", "run", 0),
        ("point", "run", 1), ("stage-end", "run", 1), ("stage-start", "ext", 1),
        ("stage-end", "ext", 1), ("stage-start", "srt", 1), ("stage-end", "srt", 1),
        ("stage-start", "bkp", 1), ("stage-end", "bkp", 1), ("job-end", None, 1),
    ]  # fmt: skip
    # The backup is this job's, its creport that of an uninterrupted run (the golden's row).
    backup = job.backup_dir
    assert backup is not None and backup.parent == job.workdir
    assert job.creport_path == backup / "report" / "creport.txt"
    assert job.creport_path.read_bytes() == smoke_subset(*ONE)
    assert not (job.workdir / "TT").exists()  # bkp cleaned the point directories up
    assert sorted(p.name for p in job.log_dir.glob("*.log")) == [
        "bkp.log",
        "ext.log",
        "gen.log",
        "run.log",
        "srt.log",
    ]  # fmt: skip  (the logs outlive bkp, beside the run directory)
    run_log = (job.log_dir / "run.log").read_text()
    assert "TT typical m40 v1max_v2max Done " in run_log
    row = job_row(settings.db, job.id)  # type: ignore[arg-type]
    assert (row["status"], row["error"], row["stage"]) == ("completed", None, None)
    assert (row["n_points"], row["n_failed_points"], row["points_done"]) == (1, 0, 1)
    assert row["backup_path"] == str(backup) and row["run_root"] == str(job.root)
    assert row["work_path"] == str(job.workdir) and row["log_path"] == str(job.log_dir)
    sims = query(settings.db, "SELECT name, status, attempts, reason FROM sims")
    assert sims == [
        {"name": "TT_typical_m40_v1max_v2max", "status": "ok", "attempts": 1, "reason": None}
    ]
    assert [s["exit_code"] for s in row["stages"]] == [0] * 5


@pytest.mark.ngspice
def test_failed_points_are_retried_named_and_keep_their_directories(
    tmp_path: Path, core: Core
) -> None:
    """One point of three loses its netlist after gen: the run simulates the other two, the
    lost one fails on each of its 1 + retries attempts (exit 1), ext and srt still run (its
    creport row says failed), bkp is skipped so the point directories stay."""
    settings = settings_for(tmp_path, retries=1)
    recorder = Recorder(settings.db)
    corners, temps = ("TT", "FFG", "SSG"), ("m40",)
    job = Job(spec_for(core, corners, temps), settings, core, recorder=recorder)
    lost = "FFG_typical_m40_v1max_v2max"
    try:
        job.open()
        assert job.step("gen").ok  # type: ignore[union-attr]
        (point,) = [p for p in job.points if p.name == lost]
        (job.workdir / point.directory / "sim_tx.sp").unlink()
        run = job.step("run")
        for stage in ("ext", "srt", "bkp"):
            job.step(stage)
    finally:
        job.close()
        recorder.close()
    assert run is not None and run.returncode == 1 and not run.ok
    (failed,) = job.failed_points
    assert (failed.point.name, failed.reason, failed.attempts) == (lost, "exit 1", 2)
    assert [r.stage for r in job.results] == ["gen", "run", "ext", "srt"]
    assert job.skipped == ["bkp"] and job.backup_dir is None
    assert job.status == "failed"
    assert job.error_line() == ("1 point(s) failed", "run")
    message = job.failure_message()
    assert message is not None
    assert f"1 failed point(s): {lost} (exit 1, 2 attempt(s))" in message
    assert f"--- last 25 lines of {job.log_dir / 'run.log'} ---" in message
    assert "  FFG/typical/typical_m40/v1max_v2max (exit 1)" in run.log()
    assert (job.workdir / "TT" / "typical" / "typical_m40").is_dir()  # kept for post-mortem
    # The creport has every row: the simulated ones as an uninterrupted run writes them, the
    # lost point's cells failed.
    creport = job.creport_path.read_bytes()
    assert job.creport_path == job.workdir / "report" / "creport.txt"
    expected = smoke_subset(corners, temps).splitlines(keepends=True)
    got = creport.splitlines(keepends=True)
    assert got[:HEADER_LINES] == expected[:HEADER_LINES]
    assert [got[HEADER_LINES], got[HEADER_LINES + 2]] == [
        expected[HEADER_LINES],
        expected[HEADER_LINES + 2],
    ]
    ffg = job.creport().rows[1]
    assert ffg.corner == "FFG" and all(c.failed for c in ffg.cells.values())
    row = job_row(settings.db, job.id)  # type: ignore[arg-type]
    assert (row["status"], row["error"], row["error_stage"]) == (
        "failed",
        "1 point(s) failed",
        "run",
    )
    assert stage_states(row) == {
        "gen": "completed", "run": "failed", "ext": "failed", "srt": "completed",
        "bkp": "skipped",
    }  # fmt: skip
    assert (row["points_done"], row["points_failed"], row["n_failed_points"]) == (3, 1, 1)
    sims = {s["name"]: s for s in query(settings.db, "SELECT * FROM sims")}
    assert {n: (s["status"], s["attempts"], s["reason"]) for n, s in sims.items()} == {
        "TT_typical_m40_v1max_v2max": ("ok", 1, None),
        lost: ("failed", 2, "exit 1"),
        "SSG_typical_m40_v1max_v2max": ("ok", 1, None),
    }
    stored = query(settings.db, "SELECT corner, status FROM points ORDER BY seq")
    assert [(p["corner"], p["status"]) for p in stored] == [
        ("TT", "ok"),
        ("FFG", "failed"),
        ("SSG", "ok"),
    ]


@pytest.mark.ngspice
@pytest.mark.parametrize("how", ["flags", "environment"])
def test_sim_timeout_is_the_reason_after_every_retry(
    tmp_path: Path, cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys, how: str
) -> None:
    """``--sim-timeout`` / ``WKPUP_SIM_TIMEOUT`` and ``--retries`` / ``WKPUP_RETRIES`` on the
    CLI face: every attempt of the point is killed at the timeout, the store keeps the
    attempts and the reason, the job fails at run, its creport row says failed, no bkp.
    (A creport with some failed rows is stored row by row: see the failed-points test.)"""
    if how == "flags":
        extra = ["--sim-timeout", "0.05", "--retries", "2"]
    else:
        monkeypatch.setenv("WKPUP_SIM_TIMEOUT", "0.05")
        monkeypatch.setenv("WKPUP_RETRIES", "2")
        extra = []
    code, out, err = cli(capsys, *run_args(*ONE, "--cpus", "1", *extra))
    assert code == 1, err
    assert "TT typical -40C max/max: timeout 0.05s (3 attempt(s))" in err
    job = int(re.search(r"^job ([0-9]+): failed$", out, re.M).group(1))  # type: ignore[union-attr]
    row = job_row(cli_env, job)
    assert (row["status"], row["error"], row["error_stage"]) == (
        "failed",
        "1 point(s) failed",
        "run",
    )
    assert row["backup_path"] is None
    # ext and srt still ran; with no point measured at all the core's srt writes the rows as
    # failed and exits 1 (no measurement names to head the table), so no result is stored:
    # the job's points are its sims, each with its status and reason.
    assert stage_states(row) == {
        "gen": "completed", "run": "failed", "ext": "failed", "srt": "failed", "bkp": "skipped",
    }  # fmt: skip
    creport = (Path(row["work_path"]) / "report" / "creport.txt").read_text()
    assert creport.splitlines()[HEADER_LINES].split("\t")[:6] == [
        "TT", "typical", "-40", "max", "max", "failed",
    ]  # fmt: skip
    sims = query(cli_env, "SELECT status, attempts, reason FROM sims WHERE job_id = ?", job)
    assert sims == [{"status": "failed", "attempts": 3, "reason": "timeout 0.05s"}]
    assert (row["points_done"], row["points_failed"]) == (1, 1)
    run_log = (Path(row["log_path"]) / "run.log").read_text()
    assert "TT typical m40 v1max_v2max failed (timeout 0.05s) " in run_log
    code, out, _ = cli(capsys, "show", str(job))
    assert code == 1
    assert "TT_typical_m40_v1max_v2max: failed (timeout 0.05s, 3 attempt(s))" in out


@pytest.mark.ngspice
def test_a_run_stage_timeout_fails_the_job_like_any_stage_timeout(
    tmp_path: Path, core: Core
) -> None:
    settings = settings_for(tmp_path, stage_timeout=1.5)
    recorder = Recorder(settings.db)
    try:
        # 14 points at one CPU: several seconds of simulation, however fast a point is
        job = Job(spec_for(core, ALL_TT, ("m40", "125")), settings, core, recorder=recorder)
        job.run()
    finally:
        recorder.close()
    run = job.result("run")
    assert run is not None and run.timed_out and not run.cancelled
    assert "killed after the 1.5s timeout" in run.tail(3)
    assert processes_with_token(job.token) == []
    assert job_row(settings.db, job.id)["error_stage"] == "run"  # type: ignore[arg-type]
    assert job.status == "failed"  # as for the usr_script stage timeout above


@pytest.mark.ngspice
def test_a_measurement_that_never_triggers_is_a_missing_measurement(
    tmp_path: Path, core: Core
) -> None:
    domain = our_domain(tmp_path)
    template = domain / "template" / "sim_tx.sp"
    text = template.read_text()
    trigger = "WHEN v(ball0)='0.65*vcn' cross=1"
    assert text.count(trigger) == 1
    template.write_text(text.replace(trigger, "WHEN v(ball0)=100 cross=1"))
    settings = settings_for(tmp_path, retries=1)
    recorder = Recorder(settings.db)
    try:
        job = Job(spec_for(core, *ONE, domain_dir=domain), settings, core, recorder=recorder)
        job.run()
    finally:
        recorder.close()
    (failed,) = job.failed_points
    assert (failed.reason, failed.attempts) == ("missing measurement", 2)
    assert job.status == "failed" and job.skipped == ["bkp"]
    sims = query(settings.db, "SELECT status, attempts, reason FROM sims")
    assert sims == [{"status": "failed", "attempts": 2, "reason": "missing measurement"}]
    # The simulator's own log is in the failure message, and stays on disk.
    message = job.failure_message()
    assert message is not None and "--- last 12 lines of " in message
    assert (job.workdir / failed.point.directory / "sim_tx.log").is_file()
    # ioh never triggered: its cell (and what is computed from it) is failed, the rest measured
    (row,) = job.creport().rows
    assert row.cells["ioh"].failed and row.cells["rwkpull_vih"].failed
    assert not row.cells["ioh_0"].failed and not row.cells["rwkpull0"].failed


# === the CLI face in subprocesses =============================================================
# Six points at one CPU: the kill lands with points still to run, however fast a point is.
RESUME_CASES = [pytest.param(("TT", "FFG", "SSG"), ("m40", "125"), id="6-points")]


def kill9_midway(proc: subprocess.Popen[bytes], db: Path, n: int) -> dict[str, Any]:
    """Wait until the job has >= 1 point done, kill -9 its driver, check it died before its
    last point; returns the job row as it was then."""
    row = wait_for(
        "a point done",
        lambda: next(iter(query(db, "SELECT * FROM jobs WHERE points_done >= 1")), None),
    )
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    (after,) = query(db, "SELECT * FROM jobs")
    assert 1 <= after["points_done"] < n, "killed too late: every point was done"
    return row


def assert_nothing_left(token: str, run_dir: Path, since: float) -> None:
    """Within GONE_S of the kill no process carries the job's token, and no simulation
    runs below its run directory."""
    wait_for(
        "the job's processes to go",
        lambda: not processes_with_token(token) and not ngspice_pids(run_dir),
        GONE_S - (time.monotonic() - since),
    )


def kill9_then_resume(
    tmp_path: Path, spawned: Spawned, run_argv: Sequence[str], n: int, expected: bytes
) -> None:
    """``wkpup run`` killed with SIGKILL midway: nothing of it left 5 s later, the store says
    interrupted, ``wkpup resume`` finishes it with ``expected`` as its creport, one job, each
    point once, only the unfinished points simulated again."""
    env = clean_env(tmp_path)
    db = Path(env["WKPUP_DB"])
    spawned.stores.append(db)
    proc = spawned.popen([WKPUP, *run_argv], cwd=tmp_path, env=env, log=tmp_path / "run.out")
    row = kill9_midway(proc, db, n)
    killed = time.monotonic()
    job, token = row["id"], row["token"]
    assert_nothing_left(token, tmp_path / "runs", killed)
    # The watchdog marks the job interrupted at once (never completed) ...
    wait_for(
        "the job marked interrupted",
        lambda: query(db, "SELECT 1 FROM jobs WHERE status = 'failed' AND error = 'interrupted'"),
        GONE_S,
    )
    status = subprocess.run(
        [WKPUP, "status", str(job)], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert status.returncode == 1 and f"job {job}: interrupted  gpio/1p8v" in status.stdout
    done_before = query(db, "SELECT name FROM sims WHERE status = 'ok'")
    # ... and `wkpup resume` finishes it where it stopped.
    resume = subprocess.run(
        [WKPUP, "resume", str(job)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=WAIT_S + 10 * n,
    )
    assert resume.returncode == 0, resume.stderr
    assert f"job {job}: completed" in resume.stdout
    final = job_row(db, job)
    assert (final["status"], final["resumes"], final["error"]) == ("completed", 1, None)
    assert query(db, "SELECT count(*) AS n FROM jobs") == [{"n": 1}]
    # Byte for byte what an uninterrupted run writes.
    assert Path(final["backup_path"]).is_relative_to(tmp_path / "runs" / str(job))
    creport = Path(final["backup_path"]) / "report" / "creport.txt"
    assert creport.read_bytes() == expected
    # Only the points without a complete result were simulated again.
    run_log = (Path(final["log_path"]) / "run.log").read_text()
    kept = int(re.search(r"^run: ([0-9]+) points complete from before$", run_log, re.M)[1])  # type: ignore[index]
    assert len(done_before) <= kept < n
    assert run_log.startswith(f"run: {n - kept} points with ngspice")
    sims = query(db, "SELECT name, status, attempts FROM sims ORDER BY idx")
    assert len(sims) == n and len({s["name"] for s in sims}) == n
    assert {s["status"] for s in sims} == {"ok"}
    for s in sims:  # a point done before the kill was not simulated again
        assert s["attempts"] == 1 or s["name"] not in {d["name"] for d in done_before}
    points = query(db, "SELECT corner, temperature, status FROM points WHERE job_id = ?", job)
    assert len(points) == n and {p["status"] for p in points} == {"ok"}
    assert not processes_with_token(final["token"])
    # Judged as an uninterrupted run is: by the limits recorded when it started (the
    # domain's), each measurement's verdict and worst value as the checker gives them.
    limits = domain_limits(DOMAINS / "gpio" / "1p8v", TABLES)
    want = spec_check.verdicts(parse_creport(expected.decode()), limits)
    assert final["spec_verdict"] == spec_check.job_verdict(want) == "pass"
    got = query(db, "SELECT name, verdict, worst_value FROM spec_results WHERE job_id = ?", job)
    assert sorted((g["name"], g["verdict"], g["worst_value"]) for g in got) == sorted(
        (w["name"], w["verdict"], w["worst_value"]) for w in want
    )


@pytest.mark.ngspice
@pytest.mark.parametrize(("corners", "temps"), RESUME_CASES)
def test_kill9_of_wkpup_run_then_resume_gives_the_uninterrupted_creport(
    tmp_path: Path, spawned: Spawned, corners: tuple[str, ...], temps: tuple[str, ...]
) -> None:
    n = len(corners) * len(temps)
    argv = run_args(corners, temps, "--cpus", "1")
    kill9_then_resume(tmp_path, spawned, argv, n, smoke_subset(corners, temps))


@pytest.mark.slow
@pytest.mark.ngspice
def test_kill9_of_the_92_point_gpio_job_then_resume_equals_its_golden(
    tmp_path: Path, spawned: Spawned
) -> None:
    """The issue's case: the domain's full 92-point job, its golden perf_full."""
    golden = REPO / "golden" / "gpio" / "wkpup_1p8v" / "perf_full" / "creport.txt"
    argv = ["run", "gpio/1p8v", "--domains", str(DOMAINS), "--cpus", "2"]
    kill9_then_resume(tmp_path, spawned, argv, 92, golden.read_bytes())


@pytest.mark.ngspice
def test_three_wkpup_runs_never_exceed_a_budget_of_two(tmp_path: Path, spawned: Spawned) -> None:
    """Three `wkpup run` jobs started at once with --cpus 2 and one slot directory: never
    more than 2 simulations at once (sampled from /proc), and 2 at times (the budget is
    used). They share the project's store, as jobs started from one project do."""
    procs = []
    env = clean_env(tmp_path)
    spawned.stores.append(Path(env["WKPUP_DB"]))
    with Watcher(tmp_path) as watch:
        for i, corner in enumerate(("TT", "FFG", "SSG")):
            procs.append(
                spawned.popen(
                    [WKPUP, *run_args((corner,), ("m40", "125"), "--cpus", "2")],
                    cwd=tmp_path,
                    env=env,
                    log=tmp_path / f"run{i}.out",
                )
            )
        for proc in procs:
            proc.wait(timeout=WAIT_S)
    assert [p.returncode for p in procs] == [0, 0, 0]
    assert len(watch.seen) == 6  # every simulation was seen by the sampler
    assert watch.peak <= 2
    assert watch.peak == 2
    assert sorted(p.name for p in (tmp_path / "slots").iterdir()) == [
        "queue",
        "slot.0",
        "slot.1",
    ]
    rows = query(Path(env["WKPUP_DB"]), "SELECT status, points_done FROM jobs ORDER BY id")
    assert rows == [{"status": "completed", "points_done": 2}] * 3


def test_bad_cpu_budgets_are_one_line_usage_errors(
    tmp_path: Path, cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    cases = [
        (["--cpus", "0"], {}, "--cpus: cpus '0': expected a whole number from 1 to 4096"),
        (["--cpus", "-2"], {}, "--cpus: cpus '-2': expected a whole number from 1 to 4096"),
        (
            [],
            {"WKPUP_CPUS": "abc"},
            "WKPUP_CPUS: cpus 'abc': expected a whole number from 1 to 4096",
        ),
        ([], {"WKPUP_CPUS": "1.5"}, "WKPUP_CPUS: cpus '1.5': expected a whole number"),
        (["--retries", "x"], {}, "--retries: retries 'x': expected a whole number from 0 to 4096"),
        (["--sim-timeout", "0"], {}, "--sim-timeout: sim_timeout '0': expected seconds > 0"),
    ]
    for flags, env, needle in cases:
        with monkeypatch.context() as m:
            for k, v in env.items():
                m.setenv(k, v)
            code, out, err = cli(capsys, *run_args(*ONE, *flags))
        assert code == 2, (flags, env, err)
        assert err.count("\n") == 1 and err.startswith("wkpup: error: ") and needle in err, err
        assert out == "" and "Traceback" not in err
    assert not cli_env.exists() and not (tmp_path / "runs").exists()  # nothing created
    # The flag beats the environment: a good flag over a bad environment value is taken.
    monkeypatch.setenv("WKPUP_CPUS", "abc")
    code, _, err = cli(capsys, *run_args(*ONE, "--cpus", "1", "--stages", "gen"))
    assert code == 0, err


@pytest.mark.ngspice
def test_wkpup_golden_shows_writes_and_records_the_verdict(
    tmp_path: Path, cli_env: Path, capsys
) -> None:
    code, out, err = cli(capsys, *run_args(*ONE, "--cpus", "1", "--name", "one"))
    assert code == 0, err
    job = re.search(r"^job ([0-9]+): completed$", out, re.M).group(1)  # type: ignore[union-attr]
    goldens = tmp_path / "goldens"
    golden = goldens / "cli" / "one" / "creport.txt"  # <golden root>/<scenario>/<job name>
    obtained = golden.with_name("creport.txt.obtained")

    def verdict() -> tuple[str, str]:
        row = job_row(cli_env, int(job))
        return row["golden"], row["golden_path"]

    code, out, _ = cli(capsys, "golden", job, "--golden-dir", str(goldens))
    assert code == 3 and "does not exist" in out and verdict() == ("missing", str(golden))
    code, out, _ = cli(capsys, "golden", job, "--golden-dir", str(goldens), "--update")
    assert code == 0 and out.strip() == f"job {job}: golden {golden}: created"
    assert golden.read_bytes() == smoke_subset(*ONE) and verdict()[0] == "created"
    code, out, _ = cli(capsys, "golden", job, "--golden-dir", str(goldens))
    assert code == 0 and out.strip().endswith(": identical") and verdict()[0] == "identical"
    # One changed cell: one line naming corner, extraction, temperature, voltages and the
    # measurement; the job's creport is written beside the golden for review.
    text = golden.read_text()
    row = text.splitlines()[HEADER_LINES]
    cells = row.split("\t")
    new = cells[9]  # rwkpull0
    cells[9] = new[:-1] + ("1" if new[-1] != "1" else "2")
    golden.write_text(text.replace(row, "\t".join(cells)))
    code, out, _ = cli(capsys, "golden", job, "--golden-dir", str(goldens))
    assert code == 1 and verdict()[0] == "mismatch"
    assert out.splitlines() == [
        f"creport differs from golden {golden} (golden -> new):",
        f"TT typical -40C v1=max v2=max rwkpull0: {cells[9]} -> {new}",
        f"new creport written to {obtained} for review; if the change is intended, rerun with "
        "--pvt-update-golden (or: wkpup golden <job> --update)",
    ]
    assert obtained.read_bytes() == smoke_subset(*ONE)
    # A job whose creport differs from its golden is not shown as a plain success.
    code, out, _ = cli(capsys, "status", job)
    assert out.startswith(f"job {job}: completed (golden mismatch)")
    assert cli(capsys, "show", job)[0] == 1
    code, out, _ = cli(capsys, "history")
    assert re.search(rf"^{job}\s+completed \(golden mismatch\)", out, re.M), out
    code, out, _ = cli(capsys, "golden", job, "--golden-dir", str(goldens), "--update")
    assert code == 0 and out.strip().endswith(": updated") and verdict()[0] == "updated"
    assert golden.read_bytes() == smoke_subset(*ONE) and not obtained.exists()


def test_db_cleanup_removes_the_run_directories_of_the_jobs_it_deletes(
    tmp_path: Path, core: Core, cli_env: Path, capsys
) -> None:
    settings = settings_for(tmp_path, db=cli_env)
    recorder = Recorder(settings.db)
    try:
        done = [
            Job(spec_for(core), settings, core, recorder=recorder, stages=("gen",)).run()
            for _ in range(2)
        ]
    finally:
        recorder.close()
    assert [j.status for j in done] == ["completed", "completed"]
    roots = [j.root for j in done]
    assert all(r.parent == settings.runs and (r / "gpio" / "1p8v").is_dir() for r in roots)
    conn = connect(cli_env)
    # A finished job whose recorded run root lies outside the run root: its row goes, the
    # directory stays (cleanup never deletes what it does not own).
    outside = tmp_path / "elsewhere" / "77"
    (outside / "keep").mkdir(parents=True)
    stray = store_jobs.create_job(conn, domain="gpio/1p8v")
    store_jobs.mark_running(conn, stray)
    store_jobs.update_job(conn, stray, run_root=str(outside))
    store_jobs.finish_job(conn, stray, "failed", error="x")
    # ... or is the run root itself
    whole = store_jobs.create_job(conn, domain="gpio/1p8v")
    store_jobs.mark_running(conn, whole)
    store_jobs.update_job(conn, whole, run_root=str(settings.runs))
    store_jobs.finish_job(conn, whole, "failed", error="x")
    # A running job and its directory are kept.
    running = store_jobs.create_job(conn, domain="gpio/1p8v")
    store_jobs.mark_running(conn, running)
    live = settings.runs / str(running)
    (live / "gpio").mkdir(parents=True)
    store_jobs.update_job(conn, running, run_root=str(live))
    conn.close()
    code, out, err = cli(capsys, "db", "cleanup", "--older-than", "0")
    assert code == 0, err
    assert "deleted 4 finished job(s) older than 0 days, and their run directories under " in out
    assert [r["id"] for r in query(cli_env, "SELECT id FROM jobs")] == [running]
    assert not any(r.exists() for r in roots)
    assert (outside / "keep").is_dir() and live.is_dir() and settings.runs.is_dir()


# === the pytest face (pytester projects) ======================================================
def pytest_project(
    pytester: pytest.Pytester, jobs: str, goldens: dict[str, bytes] | None = None
) -> Path:
    """A project using the plugin: our domains, one scenario file ``regression/gpio/e.yaml``
    holding ``jobs`` (YAML), goldens for some of them, store ``wk.db``. Returns its root."""
    root = pytester.path
    copy_domain(DOMAINS / "common", root / "domains" / "common")
    copy_domain(GPIO, root / "domains" / "gpio" / "1p8v")
    pytester.makeini(f"[pytest]\npvt_core = {CORE_ROOT}\npvt_db = wk.db\n")
    (root / "regression" / "gpio").mkdir(parents=True)
    (root / "regression" / "gpio" / "e.yaml").write_text(f"domain: gpio/1p8v\njobs:\n{jobs}")
    for name, data in (goldens or {}).items():
        path = root / "golden" / "gpio" / "e" / name / "creport.txt"
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
    return root


def scenario_job(name: str, corners: Sequence[str], temps: Sequence[str], golden: bool) -> str:
    return (
        f"  - name: {name}\n    config: {{condition: htol}}\n"
        f"    corners: [{', '.join(corners)}]\n    temperatures: [{', '.join(temps)}]\n"
        f"    golden: {'true' if golden else 'false'}\n"
    )


@pytest.fixture
def pvt_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """pytest subprocesses of this test: CPU slots of their own; no WKPUP_* inherited."""
    for name in [k for k in os.environ if k.startswith("WKPUP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("WKPUP_SLOT_DIR", str(tmp_path / "slots"))
    return tmp_path / "slots"


def pytest_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]


@pytest.mark.ngspice
@pytest.mark.parametrize(("corners", "temps"), RESUME_CASES)
def test_kill9_of_pytest_then_pvt_resume_finishes_the_same_job(
    pytester: pytest.Pytester,
    pvt_env: Path,
    spawned: Spawned,
    corners: tuple[str, ...],
    temps: tuple[str, ...],
) -> None:
    root = pytest_project(
        pytester, scenario_job("sub", corners, temps, True), {"sub": smoke_subset(corners, temps)}
    )
    db = root / "wk.db"
    spawned.stores.append(db)
    spawned.dirs.append(root)
    n = len(corners) * len(temps)
    proc = spawned.popen(
        pytest_argv("regression", "--pvt-cpus", "1"),
        cwd=root,
        env=dict(os.environ),
        log=root / "first.out",
    )
    row = kill9_midway(proc, db, n)
    killed = time.monotonic()
    assert row["face"] == "pytest" and row["pid"] == proc.pid
    assert_nothing_left(row["token"], root / ".wkpup" / "runs", killed)
    wait_for(
        "the job marked interrupted",
        lambda: query(db, "SELECT 1 FROM jobs WHERE status = 'failed' AND error = 'interrupted'"),
        GONE_S,
    )
    done_before = len(query(db, "SELECT name FROM sims WHERE status = 'ok'"))
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "regression", "--pvt-cpus", "1", "--pvt-resume", "-rA"
    )
    result.assert_outcomes(passed=1)  # golden identical: the uninterrupted creport
    (final,) = query(db, "SELECT * FROM jobs")
    assert (final["id"], final["status"], final["resumes"]) == (row["id"], "completed", 1)
    assert (final["golden"], final["face"]) == ("identical", "pytest")
    creport = Path(final["backup_path"]) / "report" / "creport.txt"
    assert creport.read_bytes() == smoke_subset(corners, temps)
    run_log = (Path(final["log_path"]) / "run.log").read_text()
    kept = int(re.search(r"^run: ([0-9]+) points complete from before$", run_log, re.M)[1])  # type: ignore[index]
    assert done_before <= kept < n
    sims = query(db, "SELECT name, status FROM sims ORDER BY idx")
    assert len(sims) == n and len({s["name"] for s in sims}) == n
    assert {s["status"] for s in sims} == {"ok"}
    assert len(query(db, "SELECT seq FROM points")) == n


@pytest.mark.ngspice
def test_wkpup_cancel_ends_a_job_pytest_runs(
    pytester: pytest.Pytester, pvt_env: Path, spawned: Spawned
) -> None:
    corners, temps = ALL_TT, ("m40", "125")  # 14 points: the cancel lands in the run stage
    root = pytest_project(pytester, scenario_job("six", corners, temps, False))
    db = root / "wk.db"
    spawned.stores.append(db)
    spawned.dirs.append(root)
    # On an xdist worker (as `pytest regression/ -n 8` runs jobs); unbuffered, as a terminal
    # would show it.
    proc = spawned.popen(
        pytest_argv("regression", "--pvt-cpus", "1", "-n", "1"),
        cwd=root,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        log=root / "pytest.out",
    )
    row = wait_for(
        "the job running its run stage",
        lambda: next(
            iter(query(db, "SELECT * FROM jobs WHERE status = 'running' AND stage = 'run'")), None
        ),
    )
    # The pytest terminal shows the job's live progress (stage, points) as it runs.
    wait_for(
        "a progress line on the pytest terminal",
        lambda: re.search(
            rf"^wkpup: job {row['id']} gpio/e::six: run \d+/14 points$".encode(),
            (root / "pytest.out").read_bytes(),
            re.M,
        ),
        30,
    )
    # `wkpup status` follows a job pytest runs like any other: face, stage, k / N points.
    listing = subprocess.run(
        [WKPUP, "--db", str(db), "status"], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert listing.returncode == 0, listing.stderr
    assert re.search(
        rf"^{row['id']}\s+running\s+gpio/1p8v\s+six\s+pytest\s+.*run \d+/14 points",
        listing.stdout,
        re.M,
    ), listing.stdout
    cancel = subprocess.run(
        [WKPUP, "--db", str(db), "cancel", str(row["id"])],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cancel.returncode == 0, cancel.stdout + cancel.stderr
    assert cancel.stdout.strip() == f"job {row['id']}: cancelled"
    # The item fails (it does not hang), and nothing of the job is left running.
    assert proc.wait(timeout=60) == 1
    out = (root / "pytest.out").read_text()
    assert re.search(r"gpio/e::six: stage run: cancelled after", out), out
    assert "1 failed" in out.splitlines()[-1], out
    assert processes_with_token(row["token"]) == []
    assert ngspice_pids(root) == []
    final = job_row(db, row["id"])
    assert final["status"] == "cancelled" and stage_states(final)["run"] == "cancelled"
    assert final["points_done"] < 14


# Columns that legitimately differ between two runs of one job: identity, times, the face
# that started it, where it ran and who drove it.
ROW_IGNORE = {
    "id", "submitted_at", "started_at", "finished_at", "elapsed_s", "face", "work_path",
    "backup_path", "run_root", "log_path", "token", "pid", "pid_start", "host",
}  # fmt: skip


@pytest.mark.ngspice
def test_pytest_and_wkpup_run_record_the_same_job_alike(
    pytester: pytest.Pytester, pvt_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One scenario job as a pytest item and as ``wkpup run FILE::JOB``: byte-identical
    creports, job rows equal column by column apart from ROW_IGNORE, the same stages, sims,
    points, measurements and spec verdicts. Both honour WKPUP_DB (over the ini's pvt_db)."""
    root = pytest_project(
        pytester,
        scenario_job("one", *ONE, True).replace(
            "    golden", "    spec: {rwkpull0: {min: 1000, max: 50000}}\n    golden"
        ),
        {"one": smoke_subset(*ONE)},
    )
    db = tmp_path / "store" / "wkpup.db"
    monkeypatch.setenv("WKPUP_DB", str(db))
    # On an xdist worker, as `pytest regression/ -n 8` runs jobs.
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "regression", "--pvt-cpus=1", "-n", "1"
    )
    result.assert_outcomes(passed=1)
    assert not (root / "wk.db").exists()  # the environment beats the ini option
    cli_run = subprocess.run(
        [WKPUP, "run", "regression/gpio/e.yaml::one", "--cpus", "1"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=WAIT_S,
    )
    assert cli_run.returncode == 0, cli_run.stderr
    assert "golden " in cli_run.stdout and ": identical" in cli_run.stdout
    first, second = query(db, "SELECT * FROM jobs ORDER BY id")
    assert (first["face"], second["face"]) == ("pytest", "cli")
    a = Path(first["backup_path"]) / "report" / "creport.txt"
    b = Path(second["backup_path"]) / "report" / "creport.txt"
    assert a.read_bytes() == b.read_bytes() == smoke_subset(*ONE)
    differ = {
        k: (first[k], second[k]) for k in first if k not in ROW_IGNORE and first[k] != second[k]
    }
    assert differ == {}
    assert first["golden"] == "identical" and first["status"] == "completed"

    def rows(sql: str, job: int) -> list[dict[str, Any]]:
        return query(db, sql, job)

    for sql in (
        "SELECT stage, status, exit_code FROM stages WHERE job_id = ? ORDER BY stage",
        "SELECT idx, name, corner, extraction, temp_token, vt, status, attempts, reason"
        " FROM sims WHERE job_id = ? ORDER BY idx",
        "SELECT seq, corner, extraction, temperature, v1, v2, v3, swp, status FROM points"
        " WHERE job_id = ? ORDER BY seq",
        "SELECT seq, name, value, raw FROM measurements WHERE job_id = ? ORDER BY seq, name",
        "SELECT line, key, value FROM config_keys WHERE job_id = ? ORDER BY line",
        "SELECT name, lo, hi, status, n_points, n_fail, worst_value, worst_seq FROM"
        " spec_results WHERE job_id = ? ORDER BY name",
    ):
        assert rows(sql, first["id"]) == rows(sql, second["id"]), sql
        assert rows(sql, first["id"]), sql
    assert json.loads(first["report_names"])[4] == "rwkpull0"


@pytest.mark.ngspice
def test_live_progress_on_the_terminal_without_xdist(
    pytester: pytest.Pytester, pvt_env: Path
) -> None:
    pytest_project(pytester, scenario_job("one", *ONE, False))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "regression", "--pvt-cpus=1")
    result.assert_outcomes(passed=1)
    result.stdout.re_match_lines([r"wkpup: job 1 gpio/e::one: (gen|run|ext|srt|bkp)"])


def test_a_bad_pytest_option_is_named_as_given(pytester: pytest.Pytester, pvt_env: Path) -> None:
    pytest_project(pytester, scenario_job("one", *ONE, False))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "regression", "--pvt-cpus=0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--pvt-cpus" in result.stderr.str()


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (["--pvt-cpus", "0"], {}, "'0': expected a whole number from 1 to 4096"),
        (
            [],
            {"WKPUP_CPUS": "abc"},
            "WKPUP_CPUS: cpus 'abc': expected a whole number from 1 to 4096",
        ),
    ],
)
def test_bad_cpu_budget_stops_pytest_with_one_line(
    pytester: pytest.Pytester,
    pvt_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    needle: str,
) -> None:
    root = pytest_project(pytester, scenario_job("one", *ONE, False))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "regression", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = [line for line in result.stderr.lines if line.strip()]
    assert len(err) == 1 and err[0].startswith("ERROR: ") and needle in err[0], err
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert not (root / "wk.db").exists() and not (root / ".wkpup").exists()
