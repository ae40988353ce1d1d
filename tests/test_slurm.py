"""The Slurm executor on a real one-node Slurm (tests/slurm_cluster.py: munged, slurmctld,
slurmd started once per session) with real ngspice and the real SQLite store: the same job
gives a byte-identical creport locally and on Slurm (``wkpup run --executor slurm`` and
``pytest --pvt-executor slurm``), a driver killed with ``kill -9`` is resumed to the same
creport with each point once in the store, ``wkpup cancel`` empties the queue, a transient
sbatch failure (the controller really down) is retried, a refused submission stops the job
with the scheduler's message, and a point that fails for real is resubmitted ``retries``
times.

Jobs are small (1-3 points of gpio/1p8v, condition htol: one point per corner and
temperature). All tests of this module run on one xdist worker (one cluster)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from coreutil import DOMAINS, REPO, our_domain
from slurm_cluster import ClusterUnavailable, OneNodeCluster, ensure_installed

from wkpup_harness.engine.slurm import (
    SLURM_DIR,
    record_array,
    recorded_arrays,
    task_script,
    time_limit_minutes,
)
from wkpup_harness.engine.slurmbatch import TASK_COST_S, task_lines, tasks_for
from wkpup_harness.engine.workdir import copy_domain

pytestmark = [pytest.mark.ngspice, pytest.mark.xdist_group("slurm")]

WKPUP = [sys.executable, "-m", "wkpup_harness.cli.main"]
# gpio/1p8v, condition htol: one point per corner and temperature
JOB = ["gpio/1p8v", "--set", "condition=htol", "--corners", "TT", "FFG", "SSG"]
JOB += ["--temperatures", "m40"]
WAIT_S = 120.0


# --- the cluster and the projects --------------------------------------------------------------
@pytest.fixture(scope="session")
def cluster() -> Iterator[OneNodeCluster]:
    """One real one-node Slurm for the session; skipped only where it cannot run."""
    try:
        ensure_installed()
    except ClusterUnavailable as exc:
        pytest.skip(f"no Slurm here: {exc}")
    if os.geteuid() != 0:
        pytest.skip("a one-node Slurm needs root (SlurmUser=root)")
    base = Path(tempfile.mkdtemp(prefix="wkpup-slurm-"))  # short: munge's socket path
    c = OneNodeCluster(base)
    c.start()  # as root with the packages: it must start (an error, not a skip)
    try:
        yield c
    finally:
        c.stop()
        shutil.rmtree(base, ignore_errors=True)


def env_for(cluster: OneNodeCluster, tmp: Path, **extra: str) -> dict[str, str]:
    """The cluster's client environment, a private store, run root and CPU slots."""
    env = {k: v for k, v in cluster.env.items() if not k.startswith("WKPUP_")}
    env.update(
        WKPUP_DB=str(tmp / "wk.db"),
        WKPUP_RUNS=str(tmp / "runs"),
        WKPUP_SLOT_DIR=str(tmp / "slots"),
        WKPUP_DOMAINS=str(DOMAINS),
        WKPUP_SLURM_POLL="0.2",
    )
    env.update(extra)
    return env


def wkpup(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WKPUP, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def start(env: dict[str, str], *args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*WKPUP, *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def store(tmp: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(tmp / "wk.db", timeout=30)
    conn.row_factory = sqlite3.Row
    return conn


def job_row(tmp: Path, job: int) -> sqlite3.Row:
    conn = store(tmp)
    try:
        row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job,)).fetchone()
    finally:
        conn.close()
    assert row is not None
    return row


def sims(tmp: Path, job: int) -> list[sqlite3.Row]:
    conn = store(tmp)
    try:
        return conn.execute("SELECT * FROM sims WHERE job_id = ? ORDER BY idx", (job,)).fetchall()
    finally:
        conn.close()


def creport(tmp: Path, job: int) -> bytes:
    row = job_row(tmp, job)
    assert row["status"] == "completed" and row["backup_path"], dict(row)
    return (Path(row["backup_path"]) / "report" / "creport.txt").read_bytes()


def queued(cluster: OneNodeCluster, job: int) -> list[str]:
    """This job's tasks still in squeue (by the executor's job name)."""
    done = subprocess.run(
        ["squeue", "-h", "-r", "-n", f"wkpup-{job}", "-o", "%i %T"],
        env=cluster.env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return done.stdout.split("\n")[:-1]


def wait_for(what: str, ready, timeout: float = WAIT_S, proc=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            pytest.fail(f"driver exited {proc.returncode} before {what}:\n{out}")
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def booked(tmp: Path, job: int) -> int:
    """Points the controller recorded ok (0 while the store does not exist yet)."""
    if not (tmp / "wk.db").exists():
        return 0
    try:
        return sum(r["status"] == "ok" for r in sims(tmp, job))
    except sqlite3.OperationalError:  # the schema is being created
        return 0


@pytest.fixture(scope="module")
def local_reference(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The creport of JOB run locally: what every Slurm run must equal byte for byte."""
    tmp = tmp_path_factory.mktemp("local")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WKPUP_", "SLURM_"))}
    env.update(
        WKPUP_DB=str(tmp / "wk.db"),
        WKPUP_RUNS=str(tmp / "runs"),
        WKPUP_SLOT_DIR=str(tmp / "slots"),
        WKPUP_DOMAINS=str(DOMAINS),
    )
    done = wkpup(env, "run", *JOB, "-q", cwd=tmp)
    assert done.returncode == 0, done.stderr
    return creport(tmp, int(done.stdout.split()[-1]))


def cancel_when(
    env: dict[str, str],
    root: Path,
    proc: subprocess.Popen[str],
    what: str,
    ready: Callable[[], bool],
) -> None:
    """``wkpup cancel 1`` once ``ready()``; the driver must then end with exit 1."""
    try:
        wait_for(what, ready, proc=proc)
        done = wkpup(env, "cancel", "1", cwd=root)
        assert done.returncode == 0, done.stderr + done.stdout
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1, out


# --- byte-identical ----------------------------------------------------------------------------


def test_cli_run_on_slurm_gives_the_local_creport(
    cluster: OneNodeCluster, local_reference: bytes, tmp_path: Path
) -> None:
    env = env_for(cluster, tmp_path)
    done = wkpup(env, "run", *JOB, "--executor", "slurm", "--sim-timeout", "100", cwd=tmp_path)
    assert done.returncode == 0, done.stderr + done.stdout
    assert creport(tmp_path, 1) == local_reference
    rows = sims(tmp_path, 1)
    assert [(r["status"], r["attempts"]) for r in rows] == [("ok", 1)] * 3
    # One array, the three points batched on the node's two CPUs (two tasks: one of two
    # points, one of one), sized from the config (CPU # 1, MEM [G] 1) and the timeout: a
    # batch of two may use 2 x (100 + 2 + 5) s = 4 min.
    slurm = tmp_path / "runs" / "1" / SLURM_DIR
    log = (slurm / "submit.log").read_text()
    assert "--array=0-1 --job-name=wkpup-1" in log
    assert "--cpus-per-task=1 --mem=1G --time=4" in log
    assert "batching: 3 point(s), 2 CPU slot(s)" in log
    assert [a[:2] for a in recorded_arrays(tmp_path / "runs" / "1")] == [
        (log.split("array ")[1].split(":")[0], "wkpup-1")
    ]
    assert sorted(p.name for p in (slurm / "s1").glob("*.rc")) == ["0.rc", "1.rc", "2.rc"]
    assert "with ngspice, slurm (engine" in (tmp_path / "runs/1/logs/run.log").read_text()
    assert queued(cluster, 1) == []
    # wkpup status follows a Slurm job from the store the controller wrote, like any other
    got = json.loads(wkpup(env, "status", "1", "--json", cwd=tmp_path).stdout)
    assert got["status"] == "completed" and got["points_done"] == 3


MC_JOB = ["gpio/1p8v", "--set", "condition=htol", "--corners", "SSG", "--temperatures", "m40"]
MC_JOB += ["--mc", "3", "--seed", "7", "-q"]


def mcreport(tmp: Path, job: int) -> bytes:
    row = job_row(tmp, job)
    assert row["status"] == "completed" and row["backup_path"], dict(row)
    return (Path(row["backup_path"]) / "report" / "mcreport.txt").read_bytes()


def test_monte_carlo_samples_are_array_tasks_and_give_the_local_mcreport(
    cluster: OneNodeCluster, tmp_path: Path
) -> None:
    """docs/montecarlo.md: the samples run as the points do, here as Slurm array tasks; the
    mcreport.txt is the local one, byte for byte."""
    local = tmp_path / "local"
    local.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WKPUP_", "SLURM_"))}
    env.update(WKPUP_DB=str(local / "wk.db"), WKPUP_RUNS=str(local / "runs"),
               WKPUP_SLOT_DIR=str(local / "slots"), WKPUP_DOMAINS=str(DOMAINS))  # fmt: skip
    done = wkpup(env, "run", *MC_JOB, cwd=local)
    assert done.returncode == 0, done.stderr
    reference = mcreport(local, 1)
    env = env_for(cluster, tmp_path)
    done = wkpup(env, "run", *MC_JOB, "--executor", "slurm", "--sim-timeout", "100", cwd=tmp_path)
    assert done.returncode == 0, done.stderr + done.stdout
    assert mcreport(tmp_path, 1) == reference
    log = (tmp_path / "runs" / "1" / SLURM_DIR / "submit.log").read_text()
    # the PVT point, then the three samples: a second array, batched on the two CPUs
    assert "--array=0-0 " in log and "--array=0-1 " in log, log
    assert "2 task(s), 3 point(s) in s2" in log
    assert "3 samples with ngspice, slurm" in (tmp_path / "runs/1/logs/mc.log").read_text()


SCENARIO = """\
domain: gpio/1p8v
jobs:
  - name: three
    config: {condition: htol}
    corners: [TT, FFG, SSG]
    temperatures: [m40]
"""


def test_pytest_on_slurm_gives_the_local_creport(
    cluster: OneNodeCluster,
    local_reference: bytes,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The local creport as the golden of a scenario job run with --pvt-executor slurm:
    the item passes only if Slurm's creport is byte-identical."""
    copy_domain(DOMAINS / "common", pytester.path / "domains" / "common")
    copy_domain(DOMAINS / "gpio", pytester.path / "domains" / "gpio")
    pytester.makeini(f"[pytest]\npvt_core = {REPO / 'pai_ho_core'}\npvt_db = wk.db\n")
    (pytester.path / "regression" / "gpio").mkdir(parents=True)
    (pytester.path / "regression" / "gpio" / "tiny.yaml").write_text(SCENARIO)
    golden = pytester.path / "golden" / "gpio" / "tiny" / "three" / "creport.txt"
    golden.parent.mkdir(parents=True)
    golden.write_bytes(local_reference)
    for k in [k for k in os.environ if k.startswith("WKPUP_")]:
        monkeypatch.delenv(k)
    monkeypatch.setenv("SLURM_CONF", str(cluster.conf))
    monkeypatch.setenv("WKPUP_SLOT_DIR", str(pytester.path / "slots"))
    monkeypatch.setenv("WKPUP_SLURM_POLL", "0.2")
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "regression", "--pvt-executor", "slurm"
    )
    result.assert_outcomes(passed=1)
    assert "executor: slurm" in result.stdout.str()
    assert golden.read_bytes() == local_reference
    arrays = recorded_arrays(pytester.path / ".wkpup" / "runs" / "1")
    assert len(arrays) == 1 and arrays[0][1] == "wkpup-1"
    conn = sqlite3.connect(pytester.path / "wk.db")
    try:
        got = conn.execute("SELECT status, golden FROM jobs").fetchall()
        assert got == [("completed", "identical")]
    finally:
        conn.close()


# --- kill -9 and resume ------------------------------------------------------------------------
def test_driver_killed_then_resumed_on_slurm(
    cluster: OneNodeCluster, local_reference: bytes, tmp_path: Path
) -> None:
    env = env_for(cluster, tmp_path)
    proc = start(env, "run", *JOB, "--executor", "slurm", cwd=tmp_path)
    try:
        # killed once the controller has booked a point, while the others run or wait
        wait_for("a point booked", lambda: booked(tmp_path, 1) >= 1, proc=proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # The watchdog scancels the recorded arrays and marks the job interrupted.
    wait_for("the queue empty after kill -9", lambda: queued(cluster, 1) == [], timeout=60)
    wait_for(
        "the job marked interrupted",
        lambda: job_row(tmp_path, 1)["status"] not in ("running", "queued"),
        timeout=60,
    )
    before = [r["name"] for r in sims(tmp_path, 1) if r["status"] == "ok"]
    # With points batched per task, all three may be booked before the kill lands (an idle
    # machine): the resume then submits nothing, and must still finish the job.
    assert 1 <= len(before) <= 3
    done = wkpup(env, "resume", "1", "--executor", "slurm", cwd=tmp_path)
    assert done.returncode == 0, done.stderr + done.stdout
    assert creport(tmp_path, 1) == local_reference
    conn = store(tmp_path)
    try:
        assert conn.execute("SELECT count(*) FROM jobs").fetchone()[0] == 1
    finally:
        conn.close()
    row = job_row(tmp_path, 1)
    assert row["resumes"] == 1 and row["points_done"] == 3
    rows = sims(tmp_path, 1)
    assert len(rows) == 3 and len({r["name"] for r in rows}) == 3  # each point once
    # The resumed run submitted only points the first run did not finish: none it booked.
    second = tmp_path / "runs" / "1" / SLURM_DIR / "s2" / "points"
    resumed = second.read_text().splitlines() if second.exists() else []
    again = {r["name"] for r in rows if any(f"/{r['name']}.log" in line for line in resumed)}
    assert len(again) == len(resumed) and not again & set(before)
    assert len(before) < 3 or not resumed  # all booked before the kill: nothing resubmitted
    # Attempts: 1 for a point booked before the kill or simulated after the resume; 0 for a
    # point that finished on its node after the driver died (the core's chk finds it done,
    # it is not simulated again).
    assert [r["status"] for r in rows] == ["ok"] * 3
    assert all(r["attempts"] == int(r["name"] in again or r["name"] in before) for r in rows)
    assert queued(cluster, 1) == []


# --- cancel ------------------------------------------------------------------------------------
def test_cancel_on_slurm_empties_the_queue(cluster: OneNodeCluster, tmp_path: Path) -> None:
    env = env_for(cluster, tmp_path)
    # five points (perf), two at a time on the node: several seconds of array to cancel
    proc = start(
        env, "run", "gpio/1p8v", "--corners", "TT", "--temperatures", "m40",
        "--executor", "slurm", cwd=tmp_path,
    )  # fmt: skip
    running = lambda: any(line.endswith("RUNNING") for line in queued(cluster, 1))  # noqa: E731
    cancel_when(env, tmp_path, proc, "a running task", running)
    assert queued(cluster, 1) == []
    row = job_row(tmp_path, 1)
    assert row["status"] == "cancelled"
    statuses = [r["status"] for r in sims(tmp_path, 1)]
    assert "cancelled" in statuses and "pending" not in statuses


def test_ctrl_c_of_the_driver_scancels_and_records_cancelled(
    cluster: OneNodeCluster, tmp_path: Path
) -> None:
    env = env_for(cluster, tmp_path)
    proc = start(env, "run", *JOB, "--executor", "slurm", cwd=tmp_path)
    try:
        wait_for("a task in the queue", lambda: queued(cluster, 1) != [], proc=proc)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, out
    assert queued(cluster, 1) == []
    assert job_row(tmp_path, 1)["status"] == "cancelled"


# --- failures ----------------------------------------------------------------------------------
FRAGILE = """\
* fails for real below 0 C: v(frag) = time/1us * temper never reaches 100 when cold
bfrag frag 0 V='time*1e6*temper'
rfrag frag 0 1k
.meas tran fragile WHEN v(frag)=100 cross=1
"""


def test_a_failing_point_is_resubmitted_retries_times(
    cluster: OneNodeCluster, tmp_path: Path
) -> None:
    """A domain copy whose template breaks a measurement at -40 C: of the two points, only
    the failing one is resubmitted, as an array of its own, ``retries`` times."""
    domain = our_domain(tmp_path)
    tb = domain / "template" / "sim_tx.sp"
    tb.write_text(tb.read_text().replace("\n.end", "\n" + FRAGILE + ".end"))
    env = env_for(
        cluster,
        tmp_path,
        WKPUP_SLURM_PARTITION="debug",
        WKPUP_SLURM_OPTIONS="--nice=10 --comment=wkpup-test",
    )
    done = wkpup(
        env, "run", str(domain), "--set", "condition=htol", "--corners", "TT",
        "--temperatures", "m40", "125", "--executor", "slurm", "--retries", "2", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr + done.stdout
    assert "1 point(s) failed" in done.stderr
    assert "TT typical -40C max/max: missing measurement (3 attempt(s))" in done.stderr
    rows = {r["name"]: r for r in sims(tmp_path, 1)}
    cold, hot = rows["TT_typical_m40_v1max_v2max"], rows["TT_typical_125_v1max_v2max"]
    assert (cold["status"], cold["attempts"], cold["reason"]) == (
        "failed",
        3,
        "missing measurement",
    )
    assert (hot["status"], hot["attempts"]) == ("ok", 1)
    slurm = tmp_path / "runs" / "1" / SLURM_DIR
    tasks = [len((slurm / f"s{k}" / "points").read_text().splitlines()) for k in (1, 2, 3)]
    assert tasks == [2, 1, 1] and not (slurm / "s4").exists()
    assert len(recorded_arrays(tmp_path / "runs" / "1")) == 3
    log = (slurm / "submit.log").read_text()
    assert log.count("TT_typical_m40_v1max_v2max: attempt") == 2
    assert "--partition=debug --nice=10 --comment=wkpup-test" in log
    # three attempts appended to the point's log, each saying why
    plog = tmp_path / "runs/1/logs/points/TT_typical_m40_v1max_v2max.log"
    assert plog.read_text().count("failed measurement") == 3
    assert job_row(tmp_path, 1)["status"] == "failed"
    # job.jsonl, written by the engine whatever the executor: two retries, then the failure
    events = [json.loads(x) for x in (tmp_path / "runs/1/logs/job.jsonl").read_text().splitlines()]
    cold_events = [
        (e["event"], e.get("attempt", e.get("attempts")))
        for e in events
        if e.get("point") == "TT_typical_m40_v1max_v2max"
    ]
    assert cold_events == [("point_retried", 1), ("point_retried", 2), ("point_failed", 3)]


def test_sim_timeout_is_the_task_limit(cluster: OneNodeCluster, tmp_path: Path) -> None:
    """--sim-timeout: --time in whole minutes for Slurm, the exact seconds inside the task;
    the point fails 'timeout 0.2s' like a local one."""
    env = env_for(cluster, tmp_path)
    done = wkpup(
        env, "run", "gpio/1p8v", "--set", "condition=htol", "--corners", "TT",
        "--temperatures", "m40", "--executor", "slurm", "--sim-timeout", "0.2",
        "--retries", "0", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1
    assert "TT typical -40C max/max: timeout 0.2s (1 attempt(s))" in done.stderr
    assert "--time=1 " in (tmp_path / "runs" / "1" / SLURM_DIR / "submit.log").read_text()
    rc = (tmp_path / "runs" / "1" / SLURM_DIR / "s1" / "0.rc").read_text().split()
    assert rc[0] in ("124", "137")


# --- batches: several points per array task -------------------------------------------------
FOUR = ["--set", "condition=htol", "--corners", "TT", "--temperatures", "m40", "125", "85", "100"]


def rc_fields(sub: Path, line: int) -> tuple[int, float, float]:
    """(exit code, start, end) of the point on ``line`` of a submission's points file."""
    rc, start, end = (sub / f"{line}.rc").read_text().split()
    return int(rc), float(start), float(end)


def line_of(sub: Path, point: str) -> int:
    lines = (sub / "points").read_text().splitlines()
    return next(i for i, line in enumerate(lines) if f"/{point}.log" in line)


def test_a_failing_point_inside_a_batch_is_retried_alone(
    cluster: OneNodeCluster, tmp_path: Path
) -> None:
    """Four points in two tasks of two; the cold one fails for real. Its batch goes on with
    its other point (booked ok, once), and only the cold point is resubmitted, alone."""
    domain = our_domain(tmp_path)
    tb = domain / "template" / "sim_tx.sp"
    tb.write_text(tb.read_text().replace("\n.end", "\n" + FRAGILE + ".end"))
    env = env_for(cluster, tmp_path)
    done = wkpup(
        env, "run", str(domain), *FOUR, "--executor", "slurm", "--retries", "1", cwd=tmp_path
    )
    assert done.returncode == 1, done.stderr + done.stdout
    rows = {r["name"]: r for r in sims(tmp_path, 1)}
    cold = "TT_typical_m40_v1max_v2max"
    assert (rows[cold]["status"], rows[cold]["attempts"]) == ("failed", 2)
    assert [(r["status"], r["attempts"]) for n, r in rows.items() if n != cold] == [("ok", 1)] * 3
    slurm = tmp_path / "runs" / "1" / SLURM_DIR
    log = (slurm / "submit.log").read_text()
    assert "array " in log and "2 task(s), 4 point(s) in s1" in log, log
    assert "1 task(s), 1 point(s) in s2" in log and not (slurm / "s3").exists()
    assert (slurm / "s2" / "points").read_text().count(f"/{cold}.log") == 1
    # The cold point's batch partner (same task: lines i and i+2) ran after it failed.
    s1 = slurm / "s1"
    first = line_of(s1, cold)
    partner = (first + 2) % 4
    rc_cold, rc_partner = rc_fields(s1, first), rc_fields(s1, partner)
    assert rc_cold[0] != 0 and rc_partner[0] == 0
    assert (rc_partner[1] >= rc_cold[2]) == (partner > first)
    assert len(recorded_arrays(tmp_path / "runs" / "1")) == 2


def test_sim_timeout_applies_to_each_point_of_a_batch(
    cluster: OneNodeCluster, tmp_path: Path
) -> None:
    """--sim-timeout 0.2 with two points per task: each point is killed at its own limit and
    booked 'timeout', and its task goes on with the next point (not one limit per batch)."""
    env = env_for(cluster, tmp_path)
    done = wkpup(
        env, "run", "gpio/1p8v", *FOUR, "--executor", "slurm", "--sim-timeout", "0.2",
        "--retries", "0", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1
    rows = sims(tmp_path, 1)
    assert [(r["status"], r["reason"]) for r in rows] == [("failed", "timeout 0.2s")] * 4
    s1 = tmp_path / "runs" / "1" / SLURM_DIR / "s1"
    log = (s1.parent / "submit.log").read_text()
    # two points per task: --time = 2 x (0.2 + 2 + 5) s, one minute
    assert "2 task(s), 4 point(s) in s1" in log and "--array=0-1 " in log and "--time=1 " in log
    for first in (0, 1):  # task 0: lines 0, 2; task 1: lines 1, 3
        a, b = rc_fields(s1, first), rc_fields(s1, first + 2)
        assert a[0] in (124, 137) and b[0] in (124, 137)
        assert b[1] >= a[2]  # the second point started once the first was killed
        assert a[2] - a[1] < 2.0 + 0.2 + 1.0  # killed at its limit (+ kill grace)


def test_cancel_mid_batch_books_the_rest_cancelled_and_resume_runs_only_those(
    cluster: OneNodeCluster, tmp_path: Path
) -> None:
    """Twenty-four points in two tasks of twelve: cancelled once a point is booked (the batches
    half run), the booked points stay ok, the rest are cancelled, the queue is empty; the
    resume submits just the points not ok, and they all complete."""
    env = env_for(cluster, tmp_path)
    job = ["gpio/1p8v", "--corners", "TT", "FFG", "--temperatures", "m40", "125", "85", "100"]
    proc = start(env, "run", *job, "--executor", "slurm", cwd=tmp_path)
    cancel_when(env, tmp_path, proc, "a point booked", lambda: booked(tmp_path, 1) >= 1)
    assert queued(cluster, 1) == []
    slurm = tmp_path / "runs" / "1" / SLURM_DIR
    rows = sims(tmp_path, 1)
    n = len(rows)  # 24 (perf: 12 supply points per corner)
    assert n >= 16 and f"2 task(s), {n} point(s) in s1" in (slurm / "submit.log").read_text()
    statuses = [r["status"] for r in rows]
    assert set(statuses) == {"ok", "cancelled"}, statuses
    ok = {r["name"] for r in rows if r["status"] == "ok"}
    # every point booked ok has its rc file, exit 0; none of the cancelled ones does
    s1 = slurm / "s1"
    for r in rows:
        line = line_of(s1, r["name"])
        if r["name"] in ok:
            assert rc_fields(s1, line)[0] == 0
    assert job_row(tmp_path, 1)["status"] == "cancelled"
    done = wkpup(env, "resume", "1", "--executor", "slurm", cwd=tmp_path)
    assert done.returncode == 0, done.stderr + done.stdout
    rows = sims(tmp_path, 1)
    assert [r["status"] for r in rows] == ["ok"] * n
    last = sorted(slurm.glob("s[0-9]*"), key=lambda p: int(p.name[1:]))[-1]
    again = {r["name"] for r in rows if any(
        f"/{r['name']}.log" in x for x in (last / "points").read_text().splitlines())}  # fmt: skip
    assert again and again <= {r["name"] for r in rows} - ok
    assert queued(cluster, 1) == []


def test_refused_submission_stops_the_job_with_sbatch_message(
    cluster: OneNodeCluster, tmp_path: Path
) -> None:
    env = env_for(cluster, tmp_path, WKPUP_SLURM_PARTITION="nosuchpartition")
    done = wkpup(env, "run", *JOB, "--executor", "slurm", cwd=tmp_path)
    assert done.returncode == 1
    assert "Invalid partition name specified" in done.stderr
    row = job_row(tmp_path, 1)
    assert row["status"] == "failed" and "Invalid partition name" in row["error"]
    conn = store(tmp_path)
    try:
        stages = dict(conn.execute("SELECT stage, status FROM stages WHERE job_id = 1"))
    finally:
        conn.close()
    assert stages["run"] == "failed" and stages["ext"] == "skipped" and stages["srt"] == "skipped"
    log = (tmp_path / "runs" / "1" / SLURM_DIR / "submit.log").read_text()
    assert log.count("sbatch attempt") == 1  # not transient: no retry


def test_transient_sbatch_failure_is_retried(cluster: OneNodeCluster, tmp_path: Path) -> None:
    """slurmctld really down when the job submits: sbatch fails ("Unable to contact slurm
    controller"), the executor backs off and retries, the controller comes back, the job
    completes."""
    env = env_for(cluster, tmp_path)
    cluster.stop_controller()
    try:
        proc = start(
            env, "run", "gpio/1p8v", "--set", "condition=htol", "--corners", "TT",
            "--temperatures", "m40", "--executor", "slurm", cwd=tmp_path,
        )  # fmt: skip
        log = tmp_path / "runs" / "1" / SLURM_DIR / "submit.log"
        wait_for(
            "a failed sbatch attempt",
            lambda: log.is_file() and "sbatch attempt 1" in log.read_text(),
            proc=proc,
        )
    finally:
        cluster.start_controller()
    out, _ = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 0, out
    text = log.read_text()
    assert "sbatch attempt 1: sbatch: error: Batch job submission failed: Unable to contact" in text
    assert "array " in text.split("sbatch attempt 1")[1]
    assert job_row(tmp_path, 1)["status"] == "completed"
    cluster.wait_idle()


def test_controller_inside_a_slurm_allocation(cluster: OneNodeCluster, tmp_path: Path) -> None:
    """`wkpup run --executor slurm` as a batch job itself (sites that keep long drivers off
    login nodes): the allocation's SLURM_* variables (SLURM_JOB_ID, SLURM_MEM_PER_CPU, ...)
    do not disturb the arrays it submits from inside, with their own --mem."""
    env = env_for(cluster, tmp_path)
    cmd = " ".join(
        [*WKPUP, "run", "gpio/1p8v", "--set", "condition=htol", "--corners", "TT",
         "--temperatures", "m40", "--executor", "slurm"]
    )  # fmt: skip
    done = subprocess.run(
        ["sbatch", "--parsable", "--cpus-per-task=1", "--mem-per-cpu=300M", "--job-name=controller",
         f"--output={tmp_path}/controller.out", f"--chdir={tmp_path}", "--wrap", cmd],
        env=env, capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    controller = done.stdout.strip().split(";")[0]
    wait_for(
        "the controller job to end",
        lambda: subprocess.run(
            ["squeue", "-h", "-j", controller], env=cluster.env, capture_output=True,
            text=True, check=False, timeout=30,
        ).stdout.strip() == "",
    )  # fmt: skip
    out = (tmp_path / "controller.out").read_text()
    assert job_row(tmp_path, 1)["status"] == "completed", out
    assert "job 1: completed" in out


def test_sbatch_timed_out_but_accepted_is_adopted_not_resubmitted(
    cluster: OneNodeCluster, tmp_path: Path
) -> None:
    """slurmctld frozen (SIGSTOP) while the job submits: sbatch times out ("Socket timed out
    on send/recv operation") although the controller, thawed, accepts the array. The
    executor finds it in squeue (its name, its submission directory) and adopts it instead
    of submitting the same tasks a second time."""
    env = env_for(cluster, tmp_path)
    log = tmp_path / "runs" / "1" / SLURM_DIR / "submit.log"
    cluster.pause_controller()
    try:
        proc = start(
            env, "run", "gpio/1p8v", "--set", "condition=htol", "--corners", "TT",
            "--temperatures", "m40", "--executor", "slurm", cwd=tmp_path,
        )  # fmt: skip
        wait_for(
            "an sbatch attempt timing out",
            lambda: log.is_file() and "sbatch attempt 1" in log.read_text(),
            proc=proc,
        )
    finally:
        cluster.pause_controller(False)
    out, _ = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 0, out
    text = log.read_text()
    assert "sbatch attempt 1: sbatch: error: Batch job submission failed: Socket timed out" in text
    assert "was accepted despite the failure: adopted" in text
    assert len(recorded_arrays(tmp_path / "runs" / "1")) == 1
    assert text.count("sbatch attempt") == 1 and not (log.parent / "s2").exists()
    assert job_row(tmp_path, 1)["status"] == "completed"


# --- the kill path of a dead driver ------------------------------------------------------------
def test_reaper_kill_path_scancels_recorded_arrays(cluster: OneNodeCluster, tmp_path: Path) -> None:
    """kill_job (watchdog, reap, wkpup cancel of a dead driver) scancels the arrays a run
    directory records, and only jobs of the recorded name."""
    from wkpup_harness.engine.reaper import kill_job

    def submit(name: str) -> str:
        done = subprocess.run(
            ["sbatch", "--parsable", "--array=0-1", f"--job-name={name}", "--mem=10M",
             "--output=/dev/null", "--wrap", "sleep 60"],
            env=cluster.env, capture_output=True, text=True, check=True, timeout=30,
        )  # fmt: skip
        return done.stdout.strip().split(";")[0]

    ours, other = submit("wkpup-77"), submit("someone-else")
    record_array(tmp_path, ours, "wkpup-77", cluster.env)
    record_array(tmp_path, other, "wkpup-77", cluster.env)  # a recycled id: not ours
    old = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = str(cluster.conf)
    try:
        kill_job(None, tmp_path)
    finally:
        if old is None:
            del os.environ["SLURM_CONF"]
        else:
            os.environ["SLURM_CONF"] = old

    def ids() -> set[str]:
        return {line.split("_")[0] for line in cluster.squeue()}

    wait_for("the recorded array gone", lambda: ours not in ids(), timeout=30)
    assert other in ids()
    subprocess.run(["scancel", other], env=cluster.env, check=True, timeout=30)


# --- no cluster needed -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({}, ["--executor", "nope"], "--executor: executor 'nope'; allowed: local, slurm"),
        (
            {"WKPUP_SLURM_OPTIONS": "--comment=x;reboot"},
            ["--executor", "slurm"],
            "WKPUP_SLURM_OPTIONS: slurm_options: '--comment=x;reboot': not a plain sbatch",
        ),
        (
            {"WKPUP_SLURM_PARTITION": "a b"},
            ["--executor", "slurm"],
            "WKPUP_SLURM_PARTITION: slurm_partition 'a b': expected a Slurm name",
        ),
    ],
)
def test_bad_executor_input_is_one_line_and_creates_nothing(
    tmp_path: Path, env: dict[str, str], args: list[str], message: str
) -> None:
    full = {k: v for k, v in os.environ.items() if not k.startswith("WKPUP_")}
    full.update(WKPUP_DB=str(tmp_path / "wk.db"), WKPUP_RUNS=str(tmp_path / "runs"), **env)
    done = wkpup(full, "run", *JOB, *args, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr
    assert list(tmp_path.iterdir()) == []


def test_generated_batch_script_is_clean_shell() -> None:
    """The script every task runs passes shellcheck (as the repository's .sh files do)."""
    if shutil.which("shellcheck") is None:
        pytest.fail("shellcheck is installed by `make` (lint needs it)")
    done = subprocess.run(
        ["shellcheck", "-o", "check-extra-masked-returns", "-s", "bash", "-"],
        input=task_script(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout
    assert [time_limit_minutes(s) for s in (0.5, 60, 61, 3600.5)] == [1, 1, 2, 61]


@pytest.mark.parametrize(
    ("n", "slots", "point_s", "tasks"),
    [
        (92, 2, 0.2, 2),  # short points (the first guess): one wave of 46 per CPU
        (92, 2, 1.0, 12),  # 1 s points: >= 7 per task, 6 waves of 2
        (92, 200, 1.0, 92),  # more CPUs than points: every point at once (the shortest wall)
        (92, 2, 7.0, 92),  # long points: a task per point, as before batching
        (3, 2, 0.2, 2),
        (2, 2, 0.2, 2),
        (1, 8, 0.2, 1),
    ],
)
def test_batch_rule(n: int, slots: int, point_s: float, tasks: int) -> None:
    """engine/slurmbatch.py: per-task overhead at most 10 % where that is possible, never
    fewer tasks than CPU slots (or points), every point in exactly one task."""
    got = tasks_for(n, slots, point_s, TASK_COST_S)
    assert got == tasks
    if got < n:
        k = n // got
        assert TASK_COST_S / (TASK_COST_S + k * point_s) <= 0.10 or got == min(n, slots)
    assert got >= min(n, slots)
    lines = sorted(x for t in range(got) for x in task_lines(t, got, n))
    assert lines == list(range(n))


def test_doctor_asks_slurm_only_when_configured(cluster: OneNodeCluster, tmp_path: Path) -> None:
    """`wkpup doctor`: with the Slurm executor configured it asks the controller (OK, the
    partition listed; FAIL for a partition it does not have); without, one SKIP line."""
    env = env_for(cluster, tmp_path, WKPUP_EXECUTOR="slurm", WKPUP_SLURM_PARTITION="debug")
    done = wkpup(env, "doctor", cwd=tmp_path)
    line = next(x for x in done.stdout.splitlines() if x.split()[1:2] == ["slurm"])
    assert done.returncode == 0 and line.startswith("OK") and "debug" in line, done.stdout
    env = env_for(cluster, tmp_path, WKPUP_EXECUTOR="slurm", WKPUP_SLURM_PARTITION="nosuch")
    done = wkpup(env, "doctor", cwd=tmp_path)
    line = next(x for x in done.stdout.splitlines() if x.split()[1:2] == ["slurm"])
    assert done.returncode == 1 and line.startswith("FAIL"), done.stdout
    done = wkpup(env_for(cluster, tmp_path), "doctor", cwd=tmp_path)
    line = next(x for x in done.stdout.splitlines() if x.split()[1:2] == ["slurm"])
    assert done.returncode == 0 and line.startswith("SKIP") and "not configured" in line
