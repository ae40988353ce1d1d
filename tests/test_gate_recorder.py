"""The recorder (store/recorder.py) on real SQLite stores in tmp_path, fed real engine events
(``engine.events.Event``, ``StageResult``, ``PointResult``) and a job that is plain data
(``JobFacts``): every column of the job row it writes, the stages and points as they start,
end, fail or are skipped (the last of them included), resumes that keep what was done, the
final record of a failed job and of one whose creport cannot be read, the golden and spec
verdicts, and what it does when the job was ended from outside or the store is locked.
Fast: no core, no simulator (its version is stubbed), no subprocess."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import sqlite3
import stat
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest

from wkpup_harness.core import simulators
from wkpup_harness.core.stage import StageResult, Usage
from wkpup_harness.engine.events import Event
from wkpup_harness.errors import ResultError
from wkpup_harness.points import Point
from wkpup_harness.results import parse_creport
from wkpup_harness.results import spec as spec_check
from wkpup_harness.results.spec import Bounds, Limit
from wkpup_harness.results.verdict import Verdict
from wkpup_harness.store import jobs, mcsamples
from wkpup_harness.store import recorder as recorder_module
from wkpup_harness.store.recorder import BATCH_POINTS, BATCH_S, Recorder, open_store, stage_status
from wkpup_harness.store.schema import StoreError, StoreUnavailable

CONFIG = "simulator:ngspice\ncustom:FSG SFG\nvcc:vcc\n"
MANIFEST = b"0" * 64 + b"  ver03/sim_pvt.sh\n"
POINTS = (
    Point("TT", "typical", "m40", ("max",)),
    Point("SSG", "typical", "125", ("min",)),
    Point("FFG", "typical", "125", ("max",)),
)
SUPPLY = ["v1: vcc", "v2: NA", "v3: NA", "vcc_vid: x", "vccana: 1.8", "vccn: 1.8", "vcctx: y"]
CREPORT = parse_creport(
    "\n".join(
        [
            "supply condition",
            *SUPPLY,
            "",
            "process\textract\ttemp\tv1\ta\tb",
            "TT\ttypical\t-40\tmax\t1.5\t2",
            "SSG\ttypical\t125\tmin\t2.5\tfailed",
            "FFG\ttypical\t125\tmax\t3.5\t4",
        ]
    )
    + "\n"
)
LIMITS = {
    "a": Limit("a", Bounds(1.0, 3.0)),
    "b": Limit("b", Bounds(None, 5.0), {"FFG": Bounds(3.0, 4.0)}),
}


@dataclass
class FakeConfig:
    text: str = CONFIG
    simulator: str = "ngspice"

    def to_text(self) -> str:
        return self.text


@dataclass
class FakeJob:
    """A job as the recorder reads it (engine.events.JobFacts), every fact set by hand."""

    core_root: Path
    spec: SimpleNamespace = field(default_factory=lambda: spec_ns())
    face: str = "cli"
    stages: tuple[str, ...] = ("gen", "run", "ext", "srt", "bkp")
    id: int | None = None
    resuming: bool = False
    token: str = "tok-1"
    workdir: Path = Path("/work/dom")
    status: str | None = None
    verdict: Verdict | None = None
    points: tuple[Point, ...] = POINTS
    root: Path = Path("/runs/root")
    log_dir: Path = Path("/runs/root/logs")
    has_report: bool = False
    backup_dir: Path | None = None
    report: object = None  # a Creport, or an exception creport() raises
    error: tuple[str | None, str | None] = (None, None)
    mcreport_path: Path | None = None  # a Monte Carlo job's report/mcreport.txt

    def mc_outcomes(self):
        return {}

    @property
    def core(self):
        return SimpleNamespace(root=self.core_root)

    def creport(self):
        if isinstance(self.report, Exception):
            raise self.report
        return self.report

    def error_line(self):
        return self.error


def spec_ns(**kw) -> SimpleNamespace:
    base = dict(
        domain="gpio/1p8v",
        scenario="smoke/fast",
        name="perf",
        config=FakeConfig(),
        corners=("TT", "SSG"),
        temperatures=("m40", "125"),
        spec=LIMITS,
    )
    return SimpleNamespace(**{**base, **kw})


@pytest.fixture(autouse=True)
def no_simulator_call(monkeypatch):
    monkeypatch.setattr(simulators, "version", lambda sim: f"{sim} 42")


@pytest.fixture
def core(tmp_path) -> Path:
    root = tmp_path / "core"
    root.mkdir()
    (root / "MANIFEST.sha256").write_bytes(MANIFEST)
    return root


@pytest.fixture
def rec(tmp_path):
    r = Recorder(tmp_path / "store" / "wkpup.db")
    yield r
    r.close()


def row(rec: Recorder, ident: int) -> dict:
    rec.flush()  # the points booked so far (written in batches)
    out = jobs.get_job(rec.conn, ident)
    assert out is not None
    return out


def stages(rec: Recorder, ident: int) -> dict[str, dict]:
    return {s["stage"]: s for s in row(rec, ident)["stages"]}


def sims(rec: Recorder, ident: int) -> dict[str, dict]:
    rec.flush()
    return {s["name"]: s for s in jobs.sims(rec.conn, ident)}


def sr(stage, rc=0, *, cancelled=False, timed_out=False, usage=None) -> StageResult:
    return StageResult(
        stage, None, rc, 1000.0, 1002.5, 2.5, Path(f"/runs/root/logs/{stage}.log"), timed_out,
        ["bash", "sim_pvt.sh", "config.cfg", stage], cancelled, usage,
    )  # fmt: skip


def pr(point: Point, ok=True, reason="", attempts=1, elapsed=1.25, skipped=False):
    from wkpup_harness.results.runlog import PointResult

    return PointResult(point, ok, reason, attempts, elapsed, 500.0, 501.25, skipped)


def started(rec: Recorder, core: Path, **kw) -> FakeJob:
    job = FakeJob(core, **kw)
    job.id = rec.create(job)
    rec.attach(job)
    return job


# --- the store ---------------------------------------------------------------------------------
def test_open_store_creates_the_directory_owner_only(tmp_path):
    path = tmp_path / "a" / "b" / "wkpup.db"
    conn = open_store(path, wait=0.5)
    try:
        assert path.is_file()
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert conn.wait == 0.5
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 500
    finally:
        conn.close()
    again = open_store(path)  # an existing directory and store
    try:
        assert again.wait == 120
        assert again.execute("SELECT count(*) FROM jobs").fetchone()[0] == 0
    finally:
        again.close()


def test_a_recorder_keeps_its_path_and_wait_and_closes(tmp_path):
    path = tmp_path / "s" / "wkpup.db"
    r = Recorder(path, wait=0.25)
    assert r.path == path
    assert r.conn.wait == 0.25
    assert path.is_file()
    r.close()
    with pytest.raises(sqlite3.ProgrammingError):
        r.conn.execute("SELECT 1")


def test_stage_status_is_the_events_mapping():
    assert stage_status(sr("gen")) == "completed"
    assert stage_status(sr("gen", 1)) == "failed"
    assert stage_status(sr("gen", 0, cancelled=True)) == "cancelled"


# --- the job row -------------------------------------------------------------------------------
def test_create_writes_every_fact_of_the_job(rec, core):
    job = FakeJob(core)
    ident = rec.create(job)
    r = row(rec, ident)
    assert r["status"] == "queued"
    assert (r["domain"], r["scenario"], r["name"]) == ("gpio/1p8v", "smoke/fast", "perf")
    assert r["user"] == jobs.current_user()
    assert r["config_text"] == CONFIG
    assert r["config_keys"] == [("simulator", "ngspice"), ("custom", "FSG SFG"), ("vcc", "vcc")]
    assert r["core_path"] == str(core)
    assert r["manifest_hash"] == hashlib.sha256(MANIFEST).hexdigest()
    assert (r["simulator"], r["simulator_version"]) == ("ngspice", "ngspice 42")
    # nothing of the run yet
    assert r["face"] is None and r["token"] is None and r["stages"] == []
    assert rec.create(FakeJob(core)) == ident + 1


def test_create_names_the_configs_simulator(rec, core):
    job = FakeJob(core, spec=spec_ns(config=FakeConfig("simulator:primesim\n", "primesim")))
    r = row(rec, rec.create(job))
    assert (r["simulator"], r["simulator_version"]) == ("primesim", "primesim 42")


def test_a_core_without_manifest_has_no_digest(rec, tmp_path):
    bare = tmp_path / "bare"
    bare.mkdir()
    assert row(rec, rec.create(FakeJob(bare)))["manifest_hash"] is None


def test_queue_keeps_the_face_subsets_stages_limits_and_point_count(rec, core):
    ident = rec.queue(FakeJob(core, face="web", stages=("gen", "run", "usr_script")))
    r = row(rec, ident)
    assert r["status"] == "queued"
    assert r["face"] == "web"
    assert r["points_total"] == 3
    assert r["corners"] == '["TT", "SSG"]'
    assert r["temperatures"] == '["m40", "125"]'
    assert r["stages_planned"] == "gen,run,usr_script"
    assert json.loads(r["spec_json"]) == {
        "a": {"min": 1.0, "max": 3.0},
        "b": {"max": 5.0, "corners": {"FFG": {"min": 3.0, "max": 4.0}}},
    }
    assert spec_check.parse_spec(json.loads(r["spec_json"])) == LIMITS
    # queued, not started: no driver, no stage rows, no sims
    assert r["pid"] is None and r["started_at"] is None and r["stages"] == []
    assert jobs.sims(rec.conn, ident) == []
    assert jobs.next_queued(rec.conn, "web")["id"] == ident


def test_no_subsets_and_no_limits_are_left_empty(rec, core):
    spec = spec_ns(corners=None, temperatures=(), spec={})
    r = row(rec, rec.queue(FakeJob(core, spec=spec, stages=("srt",), points=())))
    assert r["corners"] is None and r["temperatures"] is None and r["spec_json"] is None
    assert r["stages_planned"] == "srt"
    assert r["points_total"] == 0


def test_attach_marks_it_running_by_this_process_with_its_plan(rec, core):
    job = FakeJob(core, face="pytest", token="tok-77")
    job.id = rec.create(job)
    rec.attach(job)
    r = row(rec, job.id)
    assert r["status"] == "running"
    assert r["pid"] == os.getpid() and r["host"] and r["started_at"] is not None
    assert r["face"] == "pytest" and r["token"] == "tok-77"
    assert r["run_root"] == "/runs/root"
    assert r["work_path"] == "/work/dom"
    assert r["log_path"] == "/runs/root/logs"
    assert r["corners"] == '["TT", "SSG"]' and r["temperatures"] == '["m40", "125"]'
    assert r["stages_planned"] == "gen,run,ext,srt,bkp"
    assert r["spec_json"] is not None
    assert [(s["stage"], s["status"]) for s in r["stages"]] == [
        ("gen", "queued"), ("run", "queued"), ("ext", "queued"), ("srt", "queued"),
        ("bkp", "queued"),
    ]  # fmt: skip
    got = jobs.sims(rec.conn, job.id)
    assert [(s["idx"], s["name"], s["status"], s["attempts"]) for s in got] == [
        (0, "TT_typical_m40_v1max", "pending", 0),
        (1, "SSG_typical_125_v1min", "pending", 0),
        (2, "FFG_typical_125_v1max", "pending", 0),
    ]
    assert (got[-1]["corner"], got[-1]["temp_token"], got[-1]["vt"]) == ("FFG", "125", "v1max")
    assert r["points_total"] == 3 and not r["points_done"]


def test_an_empty_workdir_is_no_work_path(rec, core):
    job = started(rec, core, workdir=Path(""))
    assert row(rec, job.id)["work_path"] is None


def test_attach_needs_a_job_id(rec, core):
    with pytest.raises(AssertionError):
        rec.attach(FakeJob(core))


def test_attach_of_a_queued_job_keeps_its_queue_facts(rec, core):
    job = FakeJob(core, face="web")
    job.id = rec.queue(job)
    rec.attach(job)
    r = row(rec, job.id)
    assert r["status"] == "running" and r["face"] == "web" and r["points_total"] == 3


def test_a_resume_reopens_the_job_and_keeps_what_was_done(rec, core):
    job = started(rec, core)
    first = row(rec, job.id)
    rec.event(Event("stage-end", job.id, "gen", result=sr("gen"), status="completed"))
    rec.event(Event("point", job.id, "run", point=pr(POINTS[0], attempts=2)))
    job.status, job.error = "failed", ("1 point(s) failed", "run")
    rec.finish(job)
    assert row(rec, job.id)["status"] == "failed"

    again = FakeJob(
        core, id=job.id, resuming=True, token="tok-2", face="web", root=Path("/other"),
        points=(*POINTS, Point("SS", "typical", "m40", ("min",))),
    )  # fmt: skip
    rec.attach(again)
    r = row(rec, job.id)
    assert r["status"] == "running" and r["resumes"] == 1 and r["token"] == "tok-2"
    assert r["error"] is None and r["finished_at"] is None
    # the row of the first run stays: no update_job on a resume
    assert r["face"] == "cli" and r["run_root"] == "/runs/root"
    assert r["started_at"] == first["started_at"]
    # stages are not set back to queued
    assert stages(rec, job.id)["gen"]["status"] == "completed"
    s = sims(rec, job.id)
    assert s["TT_typical_m40_v1max"]["status"] == "ok"
    assert s["TT_typical_m40_v1max"]["attempts"] == 2
    assert s["SS_typical_m40_v1min"]["status"] == "pending"
    assert r["points_total"] == 4


def test_a_completed_job_cannot_be_resumed(rec, core):
    job = started(rec, core)
    job.status = "completed"
    rec.finish(job)
    with pytest.raises(StoreError, match="is completed; only failed"):
        rec.attach(FakeJob(core, id=job.id, resuming=True))


# --- live events -------------------------------------------------------------------------------
def test_a_stage_start_marks_it_running_with_its_log(rec, core):
    job = started(rec, core)
    rec.event(Event("stage-start", job.id, "run", log_dir=Path("/runs/root/logs")))
    s = stages(rec, job.id)
    assert s["run"]["status"] == "running"
    assert s["run"]["log_path"] == "/runs/root/logs/run.log"
    assert s["run"]["started_at"] is None  # the end brings the times
    assert s["gen"]["status"] == "queued"
    assert row(rec, job.id)["stage"] == "run"


def test_a_stage_start_without_log_dir_has_no_log(rec, core):
    job = started(rec, core)
    rec.event(Event("stage-start", job.id, "bkp"))
    assert stages(rec, job.id)["bkp"]["status"] == "running"
    assert stages(rec, job.id)["bkp"]["log_path"] is None
    assert row(rec, job.id)["stage"] == "bkp"


def test_a_stage_end_records_its_times_exit_log_and_usage(rec, core):
    job = started(rec, core)
    result = sr("ext", 1, usage=Usage(3.25, 2048))
    rec.event(Event("stage-end", job.id, "ext", result=result, status=stage_status(result)))
    s = stages(rec, job.id)["ext"]
    assert s["status"] == "failed"
    assert (s["started_at"], s["finished_at"]) == (1000.0, 1002.5)
    assert s["exit_code"] == 1
    assert s["log_path"] == "/runs/root/logs/ext.log"
    assert (s["cpu_s"], s["max_rss_kib"]) == (3.25, 2048)


def test_a_stage_end_without_usage_or_status(rec, core):
    job = started(rec, core)
    rec.event(Event("stage-end", job.id, "srt", result=sr("srt", 2)))
    rec.event(Event("stage-end", job.id, "gen", result=sr("gen", 0, cancelled=True)))
    rec.event(Event("stage-end", job.id, "bkp", result=sr("bkp")))
    s = stages(rec, job.id)
    assert s["srt"]["status"] == "failed" and s["srt"]["exit_code"] == 2
    assert s["srt"]["cpu_s"] is None and s["srt"]["max_rss_kib"] is None
    assert s["gen"]["status"] == "cancelled"
    assert s["bkp"]["status"] == "completed"


def test_a_stage_end_keeps_the_start_log_and_its_status_wins(rec, core):
    job = started(rec, core)
    rec.event(Event("stage-start", job.id, "run", log_dir=Path("/runs/root/logs")))
    rec.event(Event("stage-end", job.id, "run", result=sr("run", 1), status="cancelled"))
    s = stages(rec, job.id)["run"]
    assert s["status"] == "cancelled" and s["exit_code"] == 1
    assert s["log_path"] == "/runs/root/logs/run.log"


def test_a_skipped_stage(rec, core):
    job = started(rec, core)
    rec.event(Event("stage-skip", job.id, "bkp"))
    s = stages(rec, job.id)
    assert s["bkp"]["status"] == "skipped"
    assert s["srt"]["status"] == "queued"
    assert s["bkp"]["started_at"] is None and s["bkp"]["exit_code"] is None


def test_events_without_their_data_write_nothing(rec, core):
    job = started(rec, core)
    before = (stages(rec, job.id), sims(rec, job.id), row(rec, job.id)["stage"])
    rec.event(Event("stage-start", job.id, None))
    rec.event(Event("stage-end", job.id, "gen"))
    rec.event(Event("stage-skip", job.id, None))
    rec.event(Event("point", job.id, "run"))
    rec.event(Event("point-retry", job.id, "run", point=pr(POINTS[0], False, "exit 3")))
    rec.event(Event("job-end", job.id, status="failed", error="x"))
    assert (stages(rec, job.id), sims(rec, job.id), row(rec, job.id)["stage"]) == before
    assert row(rec, job.id)["status"] == "running"


def test_an_event_without_a_job_id_is_not_recorded(rec, core):
    job = started(rec, core)
    rec.event(Event("stage-skip", None, "gen"))
    rec.event(Event("point", None, "run", point=pr(POINTS[0])))
    assert stages(rec, job.id)["gen"]["status"] == "queued"
    assert sims(rec, job.id)["TT_typical_m40_v1max"]["status"] == "pending"


def test_each_point_as_it_finishes_and_the_progress(rec, core):
    job = started(rec, core)
    rec.event(Event("point", job.id, "run", point=pr(POINTS[0], attempts=2, elapsed=3.5)))
    rec.event(Event("point", job.id, "run", point=pr(POINTS[2], False, "timeout 60s")))
    s = sims(rec, job.id)
    ok, failed = s["TT_typical_m40_v1max"], s["FFG_typical_125_v1max"]
    assert (ok["status"], ok["attempts"], ok["reason"]) == ("ok", 2, None)
    assert (ok["elapsed_s"], ok["started_at"], ok["finished_at"]) == (3.5, 500.0, 501.25)
    assert (failed["status"], failed["attempts"], failed["reason"]) == ("failed", 1, "timeout 60s")
    assert failed["elapsed_s"] == 1.25
    assert s["SSG_typical_125_v1min"]["status"] == "pending"
    r = row(rec, job.id)
    assert (r["points_done"], r["points_failed"], r["points_total"]) == (2, 1, 3)


def test_a_cancelled_point(rec, core):
    job = started(rec, core)
    rec.event(Event("point", job.id, "run", point=pr(POINTS[1], False, "cancelled")))
    s = sims(rec, job.id)["SSG_typical_125_v1min"]
    assert (s["status"], s["reason"]) == ("cancelled", "cancelled")
    assert row(rec, job.id)["points_done"] == 0


def test_a_point_copied_from_the_cache_is_marked_reused(rec, core):
    job = started(rec, core)
    cached = dataclasses.replace(pr(POINTS[0]), reused=True)  # copied from the result cache
    rec.event(Event("point", job.id, "run", point=cached))
    rec.event(Event("point", job.id, "run", point=pr(POINTS[1])))
    s = sims(rec, job.id)
    assert (s[POINTS[0].name]["reused"], s[POINTS[0].name]["status"]) == (1, "ok")
    assert s[POINTS[1].name]["reused"] == 0


def test_a_point_done_before_a_resume_keeps_its_attempts_and_times(rec, core):
    job = started(rec, core)
    rec.event(Event("point", job.id, "run", point=pr(POINTS[0], False, "exit 3", elapsed=2.0)))
    skipped = pr(POINTS[0], attempts=4, elapsed=9.9, skipped=True)
    rec.event(Event("point", job.id, "run", point=skipped))
    s = sims(rec, job.id)["TT_typical_m40_v1max"]
    assert s["status"] == "ok" and s["reason"] is None
    assert s["attempts"] == 1
    assert (s["elapsed_s"], s["started_at"], s["finished_at"]) == (2.0, 500.0, 501.25)


def test_a_skipped_point_never_run_has_no_times(rec, core):
    job = started(rec, core)
    rec.event(Event("point", job.id, "run", point=pr(POINTS[1], skipped=True)))
    s = sims(rec, job.id)["SSG_typical_125_v1min"]
    assert s["status"] == "ok" and s["attempts"] == 0
    assert (s["elapsed_s"], s["started_at"], s["finished_at"]) == (None, None, None)


def test_an_event_of_a_job_gone_from_the_store_is_passed_over(rec, core):
    rec.event(Event("stage-start", 999, "gen", log_dir=Path("/l")))
    rec.event(Event("stage-end", 999, "gen", result=sr("gen")))
    assert jobs.get_job(rec.conn, 999) is None
    job = started(rec, core)
    rec.event(Event("stage-end", job.id, "gen", result=sr("gen"), status="bogus"))
    assert stages(rec, job.id)["gen"]["status"] == "queued"


def test_a_store_locked_too_long_is_raised(tmp_path, core):
    path = tmp_path / "wkpup.db"
    r = Recorder(path, wait=0.2)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        job = started(r, core)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreUnavailable):
            r.event(Event("stage-skip", job.id, "bkp"))
        other.execute("ROLLBACK")
        r.event(Event("stage-skip", job.id, "bkp"))
        assert stages(r, job.id)["bkp"]["status"] == "skipped"
    finally:
        other.close()
        r.close()


def test_cancel_requested(rec, core):
    job = started(rec, core)
    assert rec.cancel_requested(job.id) is False
    assert jobs.request_cancel(rec.conn, job.id) == "running"
    assert rec.cancel_requested(job.id) is True
    assert rec.cancel_requested(999) is False


# --- the end -----------------------------------------------------------------------------------
def test_a_failed_job_without_report(rec, core):
    job = started(rec, core)
    rec.event(Event("stage-start", job.id, "run"))
    job.status, job.error = "failed", ("2 point(s) failed", "run")
    rec.finish(job)
    r = row(rec, job.id)
    assert r["status"] == "failed"
    assert (r["error"], r["error_stage"]) == ("2 point(s) failed", "run")
    assert r["stage"] is None
    assert r["finished_at"] is not None and r["elapsed_s"] >= 0
    assert r["n_points"] is None and jobs.points(rec.conn, job.id) == []
    # stages still queued or running ended with the job
    s = stages(rec, job.id)
    assert s["run"]["status"] == "failed" and s["bkp"]["status"] == "failed"


def test_a_cancelled_job(rec, core):
    job = started(rec, core)
    job.status, job.error = "cancelled", ("stage run: cancelled after 1.00s; log x", "run")
    rec.finish(job)
    r = row(rec, job.id)
    assert (r["status"], r["error_stage"]) == ("cancelled", "run")
    assert r["error"] == "stage run: cancelled after 1.00s; log x"
    assert stages(rec, job.id)["bkp"]["status"] == "cancelled"


def test_a_completed_job_with_its_report_and_verdict(rec, core):
    job = started(rec, core)
    rows = spec_check.verdicts(CREPORT, LIMITS, 0.1)
    job.status = "completed"
    job.has_report, job.report = True, CREPORT
    job.backup_dir = Path("/dom/00bkp_202612071600")
    job.verdict = Verdict(
        "identical", Path("/golden/smoke/fast/perf/creport.txt"), specs=tuple(rows),
        spec=spec_check.job_verdict(rows), judged_limits=True,
    )  # fmt: skip
    rec.finish(job)
    r = row(rec, job.id)
    assert r["status"] == "completed" and r["error"] is None and r["error_stage"] is None
    assert r["backup_path"] == "/dom/00bkp_202612071600"
    assert (r["n_points"], r["n_failed_points"]) == (3, 1)
    pts = jobs.points(rec.conn, job.id)
    assert [p["corner"] for p in pts] == ["TT", "SSG", "FFG"]
    assert pts[-1]["cells"] == {"a": ("3.5", 3.5), "b": ("4", 4.0)}
    assert pts[1]["status"] == "failed"
    assert r["golden"] == "identical"
    assert r["golden_path"] == "/golden/smoke/fast/perf/creport.txt"
    assert r["spec_verdict"] == "fail"
    specs = {s["name"]: s for s in jobs.verdict_rows(rec.conn, [job.id])[0]["specs"]}
    assert sorted(specs) == ["a", "b"]
    assert (specs["a"]["status"], specs["a"]["n_fail"], specs["a"]["worst_seq"]) == ("fail", 1, 2)
    assert (specs["b"]["status"], specs["b"]["n_fail"]) == ("fail", 1)
    assert r["stage"] is None
    assert all(s["status"] == "completed" for s in r["stages"])


def test_a_failed_job_with_a_report_keeps_error_and_points(rec, core):
    job = started(rec, core)
    job.status, job.error = "failed", ("1 point(s) failed", "run")
    job.has_report, job.report = True, CREPORT
    rec.finish(job)
    r = row(rec, job.id)
    assert (r["status"], r["error"], r["error_stage"]) == ("failed", "1 point(s) failed", "run")
    assert r["n_points"] == 3 and r["backup_path"] is None
    assert r["golden"] is None and r["spec_verdict"] is None
    assert jobs.verdict_rows(rec.conn, [job.id])[0]["specs"] == []


def test_an_unreadable_creport_fails_the_job_at_srt(rec, core):
    job = started(rec, core)
    job.status = "completed"
    job.has_report, job.report = True, ResultError("creport.txt: line 3: 2 cells")
    job.verdict = Verdict("identical", None)
    rec.finish(job)
    r = row(rec, job.id)
    assert r["status"] == "failed"
    assert r["error"] == "creport unreadable: creport.txt: line 3: 2 cells"
    assert r["error_stage"] == "srt"
    assert r["n_points"] is None
    assert r["golden"] is None  # no report stored, no verdict stored


def test_a_report_is_only_read_when_the_job_has_one(rec, core):
    job = started(rec, core)
    job.status = "failed"
    job.report = ResultError("must not be read")
    rec.finish(job)
    r = row(rec, job.id)
    assert r["status"] == "failed" and r["error"] is None and r["error_stage"] is None


def test_a_golden_without_file_and_limits_not_judged(rec, core):
    job = started(rec, core)
    job.status = "completed"
    job.has_report, job.report = True, CREPORT
    row_a = {"name": "a", "lo": 1.0, "hi": 3.0, "status": "pass", "n_points": 3, "n_fail": 0}
    job.verdict = Verdict("created", None, specs=(row_a,), spec="pass", judged_limits=False)
    rec.finish(job)
    r = row(rec, job.id)
    assert r["golden"] == "created" and r["golden_path"] is None
    assert r["spec_verdict"] is None
    assert jobs.verdict_rows(rec.conn, [job.id])[0]["specs"] == []


def test_limits_that_could_not_be_applied(rec, core):
    job = started(rec, core)
    job.status = "completed"
    job.has_report, job.report = True, CREPORT
    job.verdict = Verdict(spec_error="spec c: not a measurement", judged_limits=True)
    rec.finish(job)
    r = row(rec, job.id)
    assert r["golden"] is None and r["spec_verdict"] is None and r["status"] == "completed"


def test_finish_needs_an_id_and_a_status(rec, core):
    job = started(rec, core)
    with pytest.raises(AssertionError):
        rec.finish(job)  # status None: the job has not ended
    with pytest.raises(AssertionError):
        rec.finish(FakeJob(core, status="failed"))
    assert row(rec, job.id)["status"] == "running"


def test_a_job_ended_from_outside_keeps_its_record(rec, core):
    job = started(rec, core)
    assert jobs.mark_interrupted(rec.conn, job.id, stage="run")
    job.status, job.error = "completed", (None, None)
    rec.finish(job)  # no report: finish_job refused, passed over
    r = row(rec, job.id)
    assert (r["status"], r["error"], r["error_stage"]) == ("failed", "interrupted", "run")

    other = started(rec, core)
    jobs.finish_job(rec.conn, other.id, "cancelled", error="by user", error_stage="gen")
    other.status = "completed"
    other.has_report, other.report = True, CREPORT
    rows = spec_check.verdicts(CREPORT, LIMITS, None)
    other.verdict = Verdict(
        "mismatch", Path("/g/creport.txt"), specs=tuple(rows), spec="fail", judged_limits=True
    )
    rec.finish(other)  # store_result refused: no points, no spec rows
    r = row(rec, other.id)
    assert (r["status"], r["error"], r["error_stage"]) == ("cancelled", "by user", "gen")
    assert r["n_points"] is None and jobs.points(rec.conn, other.id) == []
    assert r["spec_verdict"] is None
    assert jobs.verdict_rows(rec.conn, [other.id])[0]["specs"] == []
    # the golden verdict is kept with the job, finished or not
    assert (r["golden"], r["golden_path"]) == ("mismatch", "/g/creport.txt")


def test_golden_sets_the_verdict_and_its_file(rec, core):
    job = started(rec, core)
    rec.golden(job.id, "updated", Path("/g/a/creport.txt"))
    r = row(rec, job.id)
    assert (r["golden"], r["golden_path"]) == ("updated", "/g/a/creport.txt")
    rec.golden(job.id, "missing", None)
    r = row(rec, job.id)
    assert (r["golden"], r["golden_path"]) == ("missing", None)
    with pytest.raises(StoreError, match="no job 999"):
        rec.golden(999, "identical", None)


def test_a_verdict_without_golden_leaves_the_golden_as_it_was(rec, core):
    job = started(rec, core)
    rec.golden(job.id, "created", Path("/g/creport.txt"))
    job.status = "completed"
    job.has_report, job.report = True, CREPORT
    rows = spec_check.verdicts(CREPORT, LIMITS, None)
    job.verdict = Verdict(None, None, specs=tuple(rows), spec="fail", judged_limits=True)
    rec.finish(job)
    r = row(rec, job.id)
    assert (r["golden"], r["golden_path"]) == ("created", "/g/creport.txt")
    assert r["spec_verdict"] == "fail"


# --- points written in batches -------------------------------------------------------------------
MANY = tuple(Point("TT", "typical", "m40", (f"l{i}",)) for i in range(150))


def seen_by_a_reader(rec: Recorder, ident: int) -> tuple[int, dict[str, str]]:
    """Points done and each point's status as another connection (the web, `wkpup status`)
    sees them: no flush."""
    other = open_store(rec.path)
    try:
        got = jobs.get_job(other, ident)
        assert got is not None
        return got["points_done"] or 0, {s["name"]: s["status"] for s in jobs.sims(other, ident)}
    finally:
        other.close()


def point(job, i: int) -> Event:
    return Event("point", job.id, "run", point=pr(MANY[i], ok=i % 7 != 0, reason="exit 1"))


def test_points_are_written_a_batch_at_a_time_and_all_before_the_stage_ends(rec, core):
    job = started(rec, core, points=MANY)
    for i in range(2 * BATCH_POINTS):
        rec.event(point(job, i))
    assert seen_by_a_reader(rec, job.id)[0] >= 2 * BATCH_POINTS  # two full batches written
    for i in range(2 * BATCH_POINTS, len(MANY)):
        rec.event(point(job, i))
    rec.event(Event("stage-end", job.id, "run", result=sr("run")))
    done, statuses = seen_by_a_reader(rec, job.id)
    assert done == len(MANY)
    assert statuses == {p.name: "failed" if i % 7 == 0 else "ok" for i, p in enumerate(MANY)}
    assert row(rec, job.id)["points_failed"] == len(range(0, len(MANY), 7))


def test_a_reader_sees_a_point_within_the_batch_time_without_any_other_event(rec, core):
    job = started(rec, core, points=MANY)
    rec.event(point(job, 1))
    deadline = time.monotonic() + 20 * BATCH_S  # generous on a loaded machine
    while seen_by_a_reader(rec, job.id)[0] < 1:
        assert time.monotonic() < deadline, "the booked point never reached the store"
        time.sleep(0.02)
    assert seen_by_a_reader(rec, job.id)[1][MANY[1].name] == "ok"


def test_a_cancelled_job_keeps_every_point_it_booked(rec, core):
    job = started(rec, core, points=MANY)
    for i in range(1, 100):
        rec.event(point(job, i))
    job.status, job.error = "cancelled", ("stage run: cancelled after 1.00s; log x", "run")
    rec.finish(job)
    done, statuses = seen_by_a_reader(rec, job.id)
    assert done == 99 and sum(s != "pending" for s in statuses.values()) == 99
    assert row(rec, job.id)["status"] == "cancelled"


def test_close_writes_what_waits(tmp_path, core):
    r = Recorder(tmp_path / "wkpup.db")
    job = started(r, core, points=MANY)
    for i in range(1, 6):
        r.event(point(job, i))
    r.close()
    reader = Recorder(tmp_path / "wkpup.db")
    try:
        assert seen_by_a_reader(reader, job.id)[0] == 5
    finally:
        reader.close()


@contextlib.contextmanager
def locked_store(tmp_path: Path, core: Path):
    """A recorder with a job of MANY points started, and another connection holding the
    store's write lock (``other.execute("ROLLBACK")`` frees it); both closed after."""
    path = tmp_path / "wkpup.db"
    r = Recorder(path, wait=0.2)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        job = started(r, core, points=MANY)
        other.execute("BEGIN IMMEDIATE")
        yield r, other, job
    finally:
        other.close()
        r.close()


def test_a_batch_the_store_refused_is_kept_raised_and_written_later(tmp_path, core):
    with locked_store(tmp_path, core) as (r, other, job):
        r.event(point(job, 1))
        with pytest.raises(StoreUnavailable):
            r.flush()
        # the timer's write fails too: the next event raises it (the engine stops the job)
        deadline, booked = time.monotonic() + 30, 1
        with pytest.raises(StoreUnavailable):
            while time.monotonic() < deadline:
                booked += 1
                r.event(point(job, booked))
                time.sleep(0.05)
        other.execute("ROLLBACK")
        r.event(Event("stage-skip", job.id, "bkp"))
        assert seen_by_a_reader(r, job.id)[0] == booked  # nothing booked was lost


def timers_started(before: set[threading.Thread]) -> list[threading.Timer]:
    return [t for t in threading.enumerate() if isinstance(t, threading.Timer) and t not in before]


def test_a_batch_is_written_at_exactly_64_points_and_counts_from_zero_again(rec, core, monkeypatch):
    monkeypatch.setattr(recorder_module, "BATCH_S", 60.0)  # only the count writes here
    assert BATCH_POINTS == 64 and BATCH_S == 0.25
    job = started(rec, core, points=MANY)
    for i in range(63):
        rec.event(point(job, i))
    assert seen_by_a_reader(rec, job.id)[0] == 0  # 63 points wait
    rec.event(point(job, 63))
    assert seen_by_a_reader(rec, job.id)[0] == 64  # the 64th writes the batch
    for i in range(64, 127):
        rec.event(point(job, i))
    assert seen_by_a_reader(rec, job.id)[0] == 64  # the next batch counts from 0: 63 wait
    rec.event(point(job, 127))
    assert seen_by_a_reader(rec, job.id)[0] == 128


def test_flush_writes_what_waits_and_the_next_batch_is_64_more(rec, core, monkeypatch):
    monkeypatch.setattr(recorder_module, "BATCH_S", 60.0)
    job = started(rec, core, points=MANY)
    for i in range(10):
        rec.event(point(job, i))
    assert seen_by_a_reader(rec, job.id)[0] == 0
    rec.flush()
    assert seen_by_a_reader(rec, job.id)[0] == 10
    for i in range(10, 73):
        rec.event(point(job, i))
    assert seen_by_a_reader(rec, job.id)[0] == 10
    rec.event(point(job, 73))
    assert seen_by_a_reader(rec, job.id)[0] == 74


def test_the_batch_timer_never_keeps_the_process_alive(rec, core, monkeypatch):
    monkeypatch.setattr(recorder_module, "BATCH_S", 60.0)
    job = started(rec, core, points=MANY)
    before = set(threading.enumerate())
    rec.event(point(job, 1))
    rec.event(point(job, 2))  # one timer per batch, not per point
    (timer,) = timers_started(before)
    assert timer.daemon is True and timer.interval == 60.0
    rec.flush()  # the batch written: its timer is cancelled
    timer.join(5)
    assert not timer.is_alive() and seen_by_a_reader(rec, job.id)[0] == 2


def test_a_batch_the_timer_could_not_write_stops_the_next_event_even_once_the_store_is_free(
    tmp_path, core
):
    with locked_store(tmp_path, core) as (r, other, job):
        before = set(threading.enumerate())
        r.event(point(job, 1))
        (timer,) = timers_started(before)
        timer.join(30)  # the timer fired and its write failed (store locked)
        assert not timer.is_alive()
        other.execute("ROLLBACK")
        # the store is free again, but the job went on without the store following it:
        # the next event says so (the engine stops the job)
        with pytest.raises(StoreUnavailable):
            r.event(Event("stage-skip", job.id, "bkp"))
        r.event(Event("stage-skip", job.id, "bkp"))  # the next try writes what waited
        assert seen_by_a_reader(r, job.id) == (
            1,
            {**{p.name: "pending" for p in MANY}, MANY[1].name: "ok"},
        )


# --- Monte Carlo samples ------------------------------------------------------------------------
MCREPORT = Path(__file__).resolve().parents[1] / "golden/gpio/wkpup_1p8v/mc_smoke/mcreport.txt"


def mc_job(rec: Recorder, core: Path, path: Path | None) -> FakeJob:
    job = started(rec, core, stages=("gen", "run", "ext", "srt", "mc", "bkp"))
    job.status = "completed"
    job.has_report, job.report = True, CREPORT
    job.mcreport_path = path
    return job


def test_a_monte_carlo_jobs_samples_are_stored_with_how_each_ended(rec, core):
    """The golden of a real ngspice run (8 samples): the report's header, every sample and
    its values, and the outcome of the samples this run simulated."""
    job = mc_job(rec, core, MCREPORT)
    job.mc_outcomes = lambda: {2: (False, 3, "exit 1", 4.5), 5: (True, 2, "", 1.25)}
    rec.finish(job)
    assert row(rec, job.id)["status"] == "completed" and row(rec, job.id)["n_points"] == 3
    header = mcsamples.mc_header(rec.conn, job.id)
    assert header == {
        "mc_kind": "mismatch",
        "mc_seed": 1,
        "mc_samples": 8,
        "mc_at": "worst",
        "n": 8,
    }
    lines = MCREPORT.read_text(encoding="ascii").split("\n")
    names, first = lines[6].split("\t")[7:], lines[7].split("\t")
    one = mcsamples.mc_sample(rec.conn, job.id, 1)
    assert (one["seed"], one["corner"], one["temp_token"], one["status"]) == (
        int(first[1]), "SSG", "m40", "ok",
    )  # fmt: skip
    assert (one["attempts"], one["reason"], one["elapsed_s"]) == (None, None, None)
    assert one["raw"] == dict(zip(names, first[7:], strict=True))
    two = mcsamples.mc_sample(rec.conn, job.id, 2)
    assert (two["status"], two["attempts"], two["reason"], two["elapsed_s"]) == (
        "failed", 3, "exit 1", 4.5,
    )  # fmt: skip
    five = mcsamples.mc_sample(rec.conn, job.id, 5)
    assert (five["status"], five["attempts"], five["elapsed_s"]) == ("ok", 2, 1.25)
    assert mcsamples.mc_sample(rec.conn, job.id, 9) is None


def test_a_job_without_or_with_an_unreadable_mcreport_has_no_samples(rec, core, tmp_path):
    bad = tmp_path / "mcreport.txt"
    bad.write_text("mc_kind: process\n", encoding="ascii")
    for path in (None, tmp_path / "missing.txt", bad):
        job = mc_job(rec, core, path)
        rec.finish(job)
        r = row(rec, job.id)
        # the PVT result is still recorded; the mc stage's own log says why
        assert (r["status"], r["n_points"]) == ("completed", 3)
        assert mcsamples.mc_header(rec.conn, job.id) is None


def test_a_late_tick_of_a_cancelled_timer_leaves_no_timer_running(rec, core, monkeypatch):
    """A timer that fired while another thread's write held the lock, and was cancelled by
    that write too late, still writes what waits when it gets the lock, and cancels the newer
    batch's timer: no stray timer is left to write a later batch before its time. The race
    is made deterministic by holding the recorder's lock (as an engine thread's write does)."""
    job = started(rec, core, points=MANY)
    fired = threading.Event()
    tick = rec._tick

    def late_tick():
        fired.set()
        tick()

    rec._tick = late_tick
    monkeypatch.setattr(recorder_module, "BATCH_S", 0.01)
    with rec.lock:
        rec._book(job.id, Recorder._outcome(point(job, 1)))
        first = rec._timer
        assert fired.wait(30)  # the first timer fired: it waits for the lock
        rec._flush()  # the first batch written; its timer's cancel comes too late
        monkeypatch.setattr(recorder_module, "BATCH_S", 60.0)
        rec._book(job.id, Recorder._outcome(point(job, 2)))
        second = rec._timer
    assert first is not None and second is not None and first is not second
    first.join(30)
    assert seen_by_a_reader(rec, job.id)[0] == 2  # the late tick wrote the second batch
    second.join(5)
    assert not second.is_alive() and rec._timer is None  # and cancelled its timer
