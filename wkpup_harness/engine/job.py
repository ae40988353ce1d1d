"""The one job engine: every face (pytest, ``wkpup run``/``resume``, the web server) runs a
PVT job through ``Job``.

A job is a JobSpec (domain, config, subsets) run on a private copy of its domain under the
run root (``<runs>/<job id>/``), stage by stage through the core:

    gen -> run -> ext -> srt [-> mc] -> bkp      (mc: a job with mc_samples)

The engine owns the rules between stages, so every face behaves the same:

- ``gen`` or ``srt`` failing stops the job;
- the **run** stage is the engine's own: each PVT point is simulated by the core's per-point
  entry (``simulation/run_point.sh``, what the real flow submits per point) under the
  machine-wide CPU budget, with a per-simulation timeout and up to ``retries`` retries; a
  core without a per-point entry gets its whole ``run`` stage run instead;
- failed points do not stop ``ext`` and ``srt`` (their creport rows say ``failed``), but
  ``bkp`` is skipped so their directories stay for the post-mortem;
- cancel (``Job.cancel()``, or a cancel request in the store from any process) kills the
  running stage or simulations and the job ends ``cancelled``;
- resume (``service.resume``) reruns only the points without a complete result, then ext, srt,
  bkp, and the creport equals that of an uninterrupted run;
- a fault (the core differing from its manifest before a stage, a full disk or another OS
  error while the engine writes, a store that cannot be written) stops the job like a
  cancel, and it ends ``failed`` with that one line as its error (``Job.fault``).

Progress (stage, points done) goes to ``listener`` callbacks and, through the recorder, to
the store as it happens, so ``wkpup status`` follows a job whichever face started it.

``Job`` is the lifecycle over the stages; the rest lives beside it: the pipeline rules as
pure functions (``rules.py``), the run stage and its points' bookkeeping (``runstage.py``,
what executors see through ``points.PointJob``), the events as plain data (``events.py``)
and the verdict (``engine.service.judge`` -> ``results.verdict.Verdict``, set as ``judge``).
Faces never build a ``Job``: they ask ``engine.service``.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from wkpup_harness.config.scenario import JobSpec
from wkpup_harness.core import Core, guard, manifest
from wkpup_harness.core.stage import (
    StageResult,
    run_stage,
)
from wkpup_harness.engine import jobcache, outcome, rules
from wkpup_harness.engine.budget import Budget
from wkpup_harness.engine.events import Event, Listener, stage_status
from wkpup_harness.engine.joblog import JobLog
from wkpup_harness.engine.mcstage import McStage
from wkpup_harness.engine.reaper import TOKEN_ENV, Watchdog
from wkpup_harness.engine.runstage import RunStage, os_error_line
from wkpup_harness.engine.workdir import prepare_job_dir
from wkpup_harness.errors import ResultError, WkpupError
from wkpup_harness.perms import restrict_umask
from wkpup_harness.points import Point
from wkpup_harness.results import BACKUP_NAME, Creport, read_creport
from wkpup_harness.results import verdict as verdicts
from wkpup_harness.results.runlog import (
    PointResult,
    backup_named,
)
from wkpup_harness.results.verdict import Verdict
from wkpup_harness.settings import Settings
from wkpup_harness.store.schema import StoreUnavailable

PIPELINE = rules.PIPELINE
STAGES = rules.STAGES
CANCEL_POLL_S = 0.5
# Free bytes below which a failed stage is put down to a full disk.
DISK_FULL_BYTES = 64 * 1024


class JobError(WkpupError):
    """A job that cannot be prepared or resumed as asked."""


class _Refused(Exception):
    """A stage not started (the fault says why)."""


class RecorderLike(Protocol):
    def create(self, job: Job) -> int: ...
    def attach(self, job: Job) -> None: ...
    def event(self, event: Event) -> None: ...
    def finish(self, job: Job) -> None: ...
    def cancel_requested(self, job_id: int) -> bool: ...


def disk_full(path: Path) -> str | None:
    """'no space left on <path> (N bytes free)' when the file system of ``path`` is (nearly)
    full, else None."""
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    free = st.f_bavail * st.f_frsize
    return f"no space left on {path} ({free} bytes free)" if free < DISK_FULL_BYTES else None


def newest_backup(domain_dir: Path) -> Path | None:
    """The newest complete ``00bkp_<12 digits>`` directory (names sort by their stamp)."""
    if not domain_dir.is_dir():
        return None
    found = sorted(p for p in domain_dir.iterdir() if p.is_dir() and BACKUP_NAME.fullmatch(p.name))
    return found[-1] if found else None


@dataclass
class Job:
    """One PVT job. Faces call ``open()``, then ``step(stage)`` for each stage (or ``run()``
    for all), then ``close()``; ``run()`` does all three."""

    spec: JobSpec
    settings: Settings
    core: Core
    face: str = "cli"
    recorder: RecorderLike | None = None
    listeners: list[Listener] = field(default_factory=list)
    stages: tuple[str, ...] = PIPELINE
    workdir_root: Path | None = None  # default <runs>/<job id>
    id: int | None = None
    resuming: bool = False
    check_core: bool = True
    # How the job is judged when it closes (golden + spec: ``engine.service.judge``); by
    # default by its spec limits alone.
    judge: Callable[[Job], Verdict] | None = None

    # state
    workdir: Path = field(init=False)
    results: list[StageResult] = field(default_factory=list, init=False)
    setup_error: str | None = field(default=None, init=False)
    started: float = field(default_factory=time.time, init=False)
    finished: float | None = field(default=None, init=False)
    status: str | None = field(default=None, init=False)  # once closed
    verdict: Verdict | None = field(default=None, init=False)  # once closed
    token: str = field(default_factory=lambda: secrets.token_hex(8), init=False)
    skipped: list[str] = field(default_factory=list, init=False)
    _cancel: threading.Event = field(default_factory=threading.Event, init=False)
    _watchdog: Watchdog | None = field(default=None, init=False)
    _monitor: threading.Thread | None = field(default=None, init=False)
    _closed: threading.Event = field(default_factory=threading.Event, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _opened: bool = field(default=False, init=False)
    _timeout_stop: bool = field(default=False, init=False)
    _journal: JobLog | None = field(default=None, init=False)
    fault: str | None = field(default=None, init=False)  # what stopped the job (one line)
    unrecorded: str | None = field(default=None, init=False)  # the store missed the end

    def __post_init__(self) -> None:
        try:
            self.stages = rules.check_stages(self.stages)
        except rules.StagesError as exc:
            raise JobError(str(exc)) from None
        self.budget = Budget(self.settings.cpus, self.settings.slot_dir)
        self.points: tuple[Point, ...] = self.spec.points
        if self.spec.config.mc_samples is not None and self.stages == PIPELINE:
            self.stages = rules.MC_PIPELINE
        self.workdir = Path()
        self.runs = RunStage(self)
        self.mc = McStage(self)
        self.jobcache: jobcache.JobCache | None = None  # docs/cache.md: a whole job at once

    # --- lifecycle ---------------------------------------------------------------------------
    @property
    def root(self) -> Path:
        assert self.workdir_root is not None
        return self.workdir_root

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"

    def open(self) -> Job:
        """Check the core, create the job's record and its private work directory."""
        if self._opened:
            return self
        self._opened = True
        restrict_umask()  # nothing of the job group- or world-writable (perms.py)
        if self.check_core:
            guard(self.core)
        if self.recorder is not None and self.id is None:
            self.id = self.recorder.create(self)
        if self.workdir_root is None:
            name = str(self.id) if self.id is not None else f"x{self.token}"
            self.workdir_root = self.settings.runs / name
        if self.resuming:
            family, voltage = self.spec.domain_dir.parts[-2:]
            self.workdir = self.root / family / voltage
            if not (self.workdir / "config.cfg").is_file():
                raise JobError(f"cannot resume: {self.workdir} holds no job (removed?)")
        else:
            try:
                self.workdir = prepare_job_dir(self.spec.domain_dir, self.root, self.spec.config)
            except WkpupError as exc:
                self.setup_error = f"{self.spec.job_id}: cannot prepare the job directory: {exc}"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._journal = JobLog(
            self.log_dir,
            self.id,
            domain=self.spec.domain,
            scenario=self.spec.scenario,
            name=self.spec.name,
            face=self.face,
            points=len(self.points),
            stages=list(self.stages),
            resume=self.resuming,
        )
        if self.recorder is not None:
            self.recorder.attach(self)
        db = self.settings.db if self.recorder is not None else None
        self._watchdog = Watchdog(self.token, db, self.id, run_root=self.root)
        if self.recorder is not None and self.id is not None:
            self._monitor = threading.Thread(target=self._watch_store, daemon=True)
            self._monitor.start()
        return self

    def plan_resume(self, planned: Sequence[str] | None = None) -> tuple[str, ...]:
        """The stages a resumed job runs: the planned ones after gen, and gen first when a
        point's netlist is missing. Call after ``open()``."""
        base = tuple(s for s in (planned or self.stages) if s != "gen")
        missing = any(
            not (self.workdir / p.directory / f"{self.tb_name}.sp").is_file() for p in self.points
        )
        self.stages = (("gen",) if missing else ()) + base
        return self.stages

    def _watch_store(self) -> None:
        assert self.recorder is not None and self.id is not None
        while not self._closed.wait(CANCEL_POLL_S):
            try:
                if self.recorder.cancel_requested(self.id):
                    self.cancel()
                    return
            except WkpupError:
                continue

    def cancel(self) -> None:
        """Kill the running stage or simulations; no further stage starts."""
        self._cancel.set()

    def stop_for_timeout(self) -> None:
        """The run stage's deadline passed: stop its simulations like a cancel, but the job
        ends failed (a stage timeout), as a timeout of any other stage does."""
        self._timeout_stop = True
        self._cancel.set()

    def stop_for_fault(self, reason: str) -> None:
        """Something the job cannot go on without failed (the core changed, the disk or the
        store refused a write): stop like a cancel; the job ends failed with ``reason``."""
        with self._lock:
            if self.fault is None:
                self.fault = " ".join(reason.split())
        self._cancel.set()

    def stop_reason(self) -> str:
        """Why a point's simulation was stopped: 'cancelled' (by someone, or by a fault: the
        point is simply not done) or 'stage timeout Ns'."""
        if self._timeout_stop and self.fault is None:
            return f"stage timeout {self.settings.stage_timeout:g}s"
        return "cancelled"

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def cancel_event(self) -> threading.Event:
        """Set when the job is cancelled (executors wait on it)."""
        return self._cancel

    def _event(self, kind: str, stage: str | None = None, **data: Any) -> Event:
        """An event of this job, with its data (the points so far, the stage's status)."""
        result = data.get("result")
        if result is not None:
            data["status"] = stage_status(result)
        runs: RunStage = self.runs
        if kind == "sample" and self.mc.samples is not None:
            runs = self.mc.samples  # a Monte Carlo sample: the samples so far
        return Event(
            kind,
            self.id,
            stage,
            done=runs.points_done,
            total=len(runs.points),
            failed=runs.failed_count,
            scenario=self.spec.scenario,
            name=self.spec.name,
            log_dir=self.log_dir if self.workdir_root is not None else None,
            job=self,
            **data,
        )

    def _emit(self, event: Event) -> None:
        """The one path of every event: job.jsonl, the store (recorder), the listeners."""
        if self._journal is not None:
            self._journal.event(event)
        if self.recorder is not None:
            try:
                self.recorder.event(event)
            except StoreUnavailable as exc:
                self.stop_for_fault(f"{self._store_name()}: {exc}")
        for listener in self.listeners:
            listener(event)

    def _store_name(self) -> str:
        return str(getattr(self.recorder, "path", "store"))

    def env(self) -> dict[str, str]:
        env = {**self.budget.env(), **self.spec.core_env(), TOKEN_ENV: self.token}
        if self.settings.sim_timeout is not None and self.runs.point_script is None:
            # only a core's own run stage reads it; the engine times its points itself
            env["PAIHO_SIM_TIMEOUT"] = f"{max(self.settings.sim_timeout, 0.001):.3f}"
        return env

    # --- the pipeline rules ------------------------------------------------------------------
    def result(self, stage: str) -> StageResult | None:
        return next((r for r in reversed(self.results) if r.stage == stage), None)

    @property
    def failed_stage(self) -> StageResult | None:
        """The first stage that did not succeed."""
        return rules.first_failed(self.results)

    def should_run(self, stage: str) -> bool:
        if self.setup_error is not None or stage not in self.stages or self.cancelled:
            return False
        if self.fault is not None:
            return False
        return rules.may_run(stage, self.results)

    def step(self, stage: str) -> StageResult | None:
        """Run one stage if the rules allow it; None (and recorded skipped) otherwise."""
        if not self.should_run(stage):
            if stage in self.stages and stage not in self.skipped:
                self.skipped.append(stage)
                self._emit(self._event("stage-skip", stage))
            return None
        self._emit(self._event("stage-start", stage))
        started, t0 = time.time(), time.monotonic()
        changed = self._core_changed()
        try:
            if changed is not None:
                self.stop_for_fault(f"stage {stage} not started: {changed}")
                raise _Refused
            if stage == "gen":
                self._look_up_whole_job()
            if self.jobcache is not None and self.jobcache.hit and stage in PIPELINE:
                result = self.runs.replayed() if stage == "run" else self.jobcache.replay(stage)
            elif stage == "run":
                result = self.runs.run()
            elif stage == "mc":
                result = self.mc.run()
            elif stage == "ext":
                result = self._ext_stage()
            else:
                result = self.core_stage(stage)
        except (OSError, _Refused) as exc:
            if isinstance(exc, OSError):
                self.stop_for_fault(f"stage {stage}: {os_error_line(exc)}")
            result = self._faulted(stage, started, t0)
        if not result.ok and self.fault is None and not result.cancelled:
            full = disk_full(self.root)
            if full is not None:
                self.stop_for_fault(f"stage {stage}: {full}")
        self.results.append(result)
        if stage == "bkp" and self.jobcache is not None and self.ok:
            self.jobcache.save(self.runs.cache)
        self._emit(self._event("stage-end", stage, result=result))
        return result

    def _look_up_whole_job(self) -> None:
        """With the result cache on: the whole job restored when its inputs are unchanged
        (``jobcache.py``); the five stages are then recorded as reused, not run."""
        cfg = self.spec.config
        if (
            self.setup_error is not None
            or not jobcache.eligible(self)
            or cfg.simulator != "ngspice"
            or self.runs.point_script is None
        ):
            return
        self.jobcache = jobcache.JobCache(
            self, self.core.root, self.runs.point_env(), simulator=cfg.simulator, cpu=cfg.cpu
        )
        self.jobcache.lookup()

    def cache_summary(self) -> str | None:
        """One line for the faces: what the result cache did in this job (None: it was off)."""
        if self.jobcache is not None and self.jobcache.hit:
            return self.jobcache.summary()
        return self.runs.cache.summary() if self.runs.cache is not None else None

    def _core_changed(self) -> str | None:
        """Why the core is no longer the validated one (a file changed or removed since the
        job started), or None: checked before every stage (a few ms)."""
        try:
            verification = manifest.verify(self.core.root)
        except WkpupError as exc:
            return str(exc)
        except OSError as exc:  # a file going while it is read
            return f"core at {self.core.root}: {os_error_line(exc)}"
        return None if verification.ok else verification.describe()

    def _faulted(self, stage: str, started: float, t0: float) -> StageResult:
        """The record of a stage the fault stopped (or never let start)."""
        log_path = self.log_dir / f"{stage}.log"
        try:
            with open(log_path, "a", encoding="utf-8") as fh:
                fh.write(f"\nwkpup: {self.fault}\n")
        except OSError:
            pass  # the disk may be what failed
        return StageResult.engine_failed(stage, log_path, started, t0)

    def run(self) -> Job:
        """open, every stage in order, close."""
        self.open()
        try:
            for stage in self.stages:
                self.step(stage)
        except BaseException:
            self.cancel()  # Ctrl-C, SIGTERM: recorded as cancelled, nothing left running
            raise
        finally:
            self.close()
        return self

    def close(self) -> Job:
        """Record the final state (idempotent) and stop the watchdog."""
        if self._closed.is_set():
            return self
        self.finished = time.time()
        self.status = self.final_status()
        self._closed.set()
        try:
            try:
                self.verdict = self._judged()
                error, _ = self.error_line()
                seconds = round(self.finished - self.started, 3)
                self._emit(self._event("job-end", status=self.status, error=error, seconds=seconds))
            finally:
                # Recorded even when a job-end listener raises (never a job left running).
                if self.recorder is not None:
                    try:
                        self.recorder.finish(self)
                    except StoreUnavailable as exc:
                        # The job's end is not in the store: it shows running until its
                        # driver is gone, then interrupted (reaped); `wkpup resume` finishes it.
                        self.unrecorded = f"{self._store_name()}: {exc}"
        finally:
            if self._journal is not None:
                self._journal.close()
            if self._watchdog is not None:
                self._watchdog.close()
        return self

    @property
    def user_cancelled(self) -> bool:
        """Cancelled by someone (not stopped by a stage timeout or a fault)."""
        return self._cancel.is_set() and not self._timeout_stop and self.fault is None

    def final_status(self) -> str:
        ran = [r.stage for r in self.results]
        return rules.final_status(
            ok=self.ok, user_cancelled=self.user_cancelled, ran=ran, planned=self.stages
        )

    def _judged(self) -> Verdict:
        """The job's verdict (its ``judge``, by default its spec limits alone); a creport
        that cannot be read is a problem of the verdict, never a job left unrecorded."""
        try:
            if self.judge is not None:
                return self.judge(self)
            report = self.creport_path if self.has_report else None
            return verdicts.judge(report, self.spec.spec, self.settings.near_margin)
        except (WkpupError, OSError) as exc:
            return Verdict(spec_error=f"{self.spec.job_id}: cannot be judged: {exc}")

    @property
    def ok(self) -> bool:
        return (
            self.setup_error is None
            and self.failed_stage is None
            and not self.cancelled
            and self.fault is None
        )

    # --- stages ---------------------------------------------------------------------------------
    def core_stage(self, stage: str, ex: str | None = None) -> StageResult:
        return run_stage(
            self.core,
            self.workdir,
            stage,
            ex=ex,
            env=self.env(),
            timeout=self.settings.stage_timeout,
            log_dir=self.log_dir,
            cancel=self._cancel,
        )

    @property
    def tb_name(self) -> str:
        found = sorted((self.workdir / "template").glob("*.sp"))
        return found[0].stem if found else "sim_tx"

    def _ext_stage(self) -> StageResult:
        result = self.core_stage("ext")
        if result.returncode == 1 and not (result.timed_out or result.cancelled):
            # ext exits 1 when a point had nothing to extract. A point extracted by an earlier
            # run of this job (resume) has its report already: only missing reports count.
            missing = [p for p in self.points if not self.report_path(p).is_file()]
            if not missing:
                with open(result.log_path, "ab") as fh:
                    fh.write(b"\nwkpup: every point has its report (some from an earlier run)\n")
                result.returncode = 0
        return result

    def report_path(self, point: Point) -> Path:
        return self.workdir / "report" / f"report_{point.name}.txt"

    # --- the run stage (runstage.py: the executors' PointJob) ----------------------------------
    @property
    def point_results(self) -> dict[str, PointResult]:
        return self.runs.point_results

    @property
    def points_done(self) -> int:
        return self.runs.points_done

    @property
    def failed_points(self) -> list[PointResult]:
        return self.runs.failed_points

    @property
    def executor_error(self) -> str | None:
        return self.runs.executor_error

    def point_event(self, kind: str, result: PointResult, stage: str = "run") -> None:
        """A point of the run stage booked (``point``) or retried (``point-retry``); a
        Monte Carlo sample of the mc stage (``sample``, ``sample-retry``)."""
        self._emit(self._event(kind, stage, point=result))

    def mc_outcomes(self) -> dict[int, tuple[bool, int, str, float]]:
        """How each Monte Carlo sample simulated by this run ended, by sample index."""
        return {
            getattr(r.point, "index", 0): (r.ok, r.attempts, r.reason, r.elapsed)
            for r in self.mc.sample_results.values()
        }

    @property
    def mcreport_path(self) -> Path | None:
        """The job's report/mcreport.txt (in its backup once bkp ran); None without one."""
        if self.spec.config.mc_samples is None:
            return None
        backup = self.backup_dir
        path = (backup if backup is not None else self.workdir) / "report" / "mcreport.txt"
        return path if path.is_file() else None

    # --- what the job produced ------------------------------------------------------------------
    @property
    def backup_dir(self) -> Path | None:
        """The backup this job's bkp stage wrote (its log names it)."""
        bkp = self.result("bkp")
        if bkp is None or not bkp.ok:
            return None
        name = backup_named(bkp.log())
        if name is not None and (self.workdir / name).is_dir():
            return self.workdir / name
        return newest_backup(self.workdir)

    @property
    def creport_path(self) -> Path:
        backup = self.backup_dir
        if backup is not None:
            return backup / "report" / "creport.txt"
        return self.workdir / "report" / "creport.txt"

    @property
    def has_report(self) -> bool:
        srt = self.result("srt")
        return srt is not None and srt.ok and self.creport_path.is_file()

    def creport(self) -> Creport:
        path = self.creport_path
        if not path.is_file():
            raise ResultError(f"{path}: creport.txt not found (did srt run?)")
        return read_creport(path)

    def failure_message(self) -> str | None:
        """Stage, exit code, failed points with reasons, the stage log's tail and the first
        failed points' simulator log tails; None when nothing failed (``outcome.py``)."""
        return outcome.failure_text(
            self.spec.job_id,
            setup_error=self.setup_error,
            failed=self.failed_stage,
            fault=self.fault,
            unrecorded=self.unrecorded,
            user_cancelled=self.user_cancelled,
            points=self.failed_points,
            sim_log=lambda r: self.workdir / r.point.directory / f"{self.tb_name}.log",
        )

    def error_line(self) -> tuple[str | None, str | None]:
        """(error, error_stage) as the store keeps them: one line each."""
        if self.setup_error is not None:
            return self.setup_error.splitlines()[0], "setup"
        failed = self.failed_stage
        if self.fault is not None:
            return self.fault, failed.stage if failed is not None else None
        if failed is None:
            return ("cancelled", None) if self.user_cancelled else (None, None)
        return rules.error_line(
            failed, failed_points=len(self.failed_points), executor_error=self.executor_error
        )
