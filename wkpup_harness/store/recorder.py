"""The one recorder: how a job run by the engine is written to the store, for every face.

It reads the job through ``engine.events.JobFacts`` and its events as plain data
(``engine.events.Event``): it never imports the engine's ``Job``.

It builds the job row once (user, domain, scenario, config text and keys, core path and
manifest digest, simulator and version, face), marks it running with this process as its
driver (host, pid), plans its stages and PVT points, then follows the engine's events: each
stage as it starts and ends (one mapping of stage states for every face), each point as it
finishes (status, attempts, reason), the live progress (stage, k / N points), and at the
end the creport's points and measurements, the job's one verdict (``results.verdict``: the
golden gate and the spec limits, judged once when the job closed) and its final status.

Engine threads report points concurrently; one lock serialises the store writes.

Points are written in batches (``jobs.record_sims``, one transaction): a booked point waits
until ``BATCH_POINTS`` are waiting or for at most ``BATCH_S`` (a timer), and every other
event, the job's end, ``golden`` and ``close`` write what waits first, so the store's stage
and point records keep their order and a reader of the store (``wkpup status``, the web)
sees a point within ``BATCH_S`` of its end. A controller killed outright loses at most that
last batch from the store, never from the run: a resume decides what to simulate from the
run directory (the core's chk and the point's results), not from the store, and records the
points it finds complete. ``flush()`` writes what waits now (for a reader in this process).

A write refused because the job was ended from outside (reaped, cancelled) is passed over:
the final record says what happened. A write the store cannot take now (``StoreUnavailable``:
locked by another process for longer than ``store_wait``, disk full) is raised: the engine
stops the job rather than go on with a store that no longer follows it.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from wkpup_harness.core import manifest, simulators
from wkpup_harness.engine.events import Event, JobFacts, stage_status
from wkpup_harness.errors import WkpupError
from wkpup_harness.perms import restrict_umask
from wkpup_harness.results import spec as spec_check
from wkpup_harness.results.mcreport import read_mcreport
from wkpup_harness.results.verdict import Verdict
from wkpup_harness.store import db, jobs, mcsamples
from wkpup_harness.store.schema import StoreError, StoreUnavailable

__all__ = ["BATCH_POINTS", "BATCH_S", "Recorder", "open_store", "stage_status"]

# A batch of booked points is written when it holds this many points, or this many seconds
# after its first point (whichever comes first).
BATCH_POINTS = 64
BATCH_S = 0.25


def open_store(path: Path, wait: float | None = None) -> db.sqlite3.Connection:
    """The store at ``path``, created (with its directory, owner-only) when missing."""
    restrict_umask()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return db.connect(path, wait=wait)


class Recorder:
    def __init__(self, path: Path, wait: float | None = None) -> None:
        self.path = path
        self.conn = open_store(path, wait)
        self.lock = threading.Lock()
        self._waiting: dict[int, list[jobs.SimOutcome]] = {}  # job id -> points not written
        self._count = 0
        self._timer: threading.Timer | None = None
        self._deferred: StoreUnavailable | None = None  # a batch the timer could not write

    def close(self) -> None:
        with self.lock:
            self._deferred = None  # one more try
            try:
                self._flush()
            except WkpupError:
                pass  # the job's end already said the store could not take it
            finally:
                self.conn.close()

    # --- the batch of booked points -------------------------------------------------------------
    def flush(self) -> None:
        """Write the points waiting in the batch now."""
        with self.lock:
            self._flush()

    def _flush(self) -> None:
        """(lock held) One transaction per job with points waiting. A store that cannot be
        written keeps them waiting (the next flush tries again) and is raised; a job ended
        from outside is passed over like any other write."""
        if self._deferred is not None:
            exc, self._deferred = self._deferred, None
            raise exc
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._waiting:
            job_id, outcomes = next(iter(self._waiting.items()))
            try:
                jobs.record_sims(self.conn, job_id, outcomes)
            except StoreUnavailable:
                raise
            except WkpupError:
                pass
            del self._waiting[job_id]
            self._count -= len(outcomes)

    def _tick(self) -> None:
        """The timer: the batch's first point has waited BATCH_S."""
        with self.lock:
            if self._timer is threading.current_thread():
                self._timer = None
            try:
                self._flush()
            except StoreUnavailable as exc:
                self._deferred = exc  # raised by the next event: the engine stops the job

    def _book(self, job_id: int, outcome: jobs.SimOutcome) -> None:
        """(lock held) A point into the batch; the batch written when full."""
        self._waiting.setdefault(job_id, []).append(outcome)
        self._count += 1
        if self._count >= BATCH_POINTS or self._deferred is not None:
            self._flush()
        elif self._timer is None:
            self._timer = threading.Timer(BATCH_S, self._tick)
            self._timer.daemon = True
            self._timer.start()

    # --- the job row --------------------------------------------------------------------------
    def create(self, job: JobFacts) -> int:
        spec = job.spec
        with self.lock:
            return jobs.create_job(
                self.conn,
                domain=spec.domain,
                scenario=spec.scenario,
                name=spec.name,
                user=jobs.current_user(),
                config_text=spec.config.to_text(),
                core_path=str(job.core.root),
                manifest_hash=manifest.digest(job.core.root),
                simulator=spec.config.simulator,
                simulator_version=simulators.version(spec.config.simulator),
            )

    def queue(self, job: JobFacts) -> int:
        """A job put in the store's queue (status queued) without running it: its row with
        the config text, subsets, planned stages and face, for a worker to run later as
        ``Job(..., id=<row id>)`` (``attach`` then marks it running)."""
        ident = self.create(job)
        with self.lock:
            jobs.update_job(
                self.conn,
                ident,
                face=job.face,
                points_total=len(job.points),
                **self._subsets(job),
            )
        return ident

    @staticmethod
    def _subsets(job: JobFacts) -> dict[str, str | None]:
        spec = job.spec
        return {
            "corners": json.dumps(list(spec.corners)) if spec.corners else None,
            "temperatures": json.dumps(list(spec.temperatures)) if spec.temperatures else None,
            "stages_planned": ",".join(job.stages),
            # the limits it is judged by, kept so that a resume (any face) is judged alike
            "spec_json": json.dumps(spec_check.limits_data(spec.spec)) if spec.spec else None,
        }

    def attach(self, job: JobFacts) -> None:
        """The job starts (or resumes) in this process."""
        assert job.id is not None
        with self.lock:
            if job.resuming:
                jobs.reopen(self.conn, job.id, token=job.token)
            else:
                jobs.update_job(
                    self.conn,
                    job.id,
                    face=job.face,
                    token=job.token,
                    run_root=str(job.root),
                    work_path=str(job.workdir) if job.workdir.parts else None,
                    log_path=str(job.log_dir),
                    **self._subsets(job),
                )
                jobs.mark_running(self.conn, job.id)
                for stage in job.stages:
                    jobs.record_stage(self.conn, job.id, stage, "queued")
            jobs.plan_sims(self.conn, job.id, job.points)

    # --- live events ----------------------------------------------------------------------------
    def event(self, event: Event) -> None:
        if event.job_id is None:
            return
        # A job reaped or cancelled from outside meanwhile: the engine goes on, and the
        # final record says what happened. A store that cannot be written is raised.
        with self.lock:
            if event.kind == "point" and event.point is not None:
                self._book(event.job_id, self._outcome(event))
                return
            self._flush()
            try:
                self._event(event.job_id, event)
            except StoreUnavailable:
                raise
            except WkpupError:
                pass

    @staticmethod
    def _outcome(event: Event) -> jobs.SimOutcome:
        p = event.point
        assert p is not None
        return jobs.SimOutcome(
            p.point.name,
            p.status,
            attempts=p.attempts,
            reason=p.reason,
            elapsed=None if p.skipped else p.elapsed,
            started_at=None if p.skipped else p.started,
            finished_at=None if p.skipped else p.finished,
            count_attempts=not p.skipped,
            reused=bool(p.reused),
        )

    def _event(self, job_id: int, event: Event) -> None:
        if event.kind == "stage-start" and event.stage is not None:
            jobs.record_stage(
                self.conn,
                job_id,
                event.stage,
                "running",
                started_at=None,
                log_path=str(event.log_dir / f"{event.stage}.log") if event.log_dir else None,
            )
            jobs.set_stage(self.conn, job_id, event.stage)
        elif event.kind == "stage-end" and event.result is not None:
            r = event.result
            jobs.record_stage(
                self.conn,
                job_id,
                r.stage,
                event.status or stage_status(r),
                started_at=r.started,
                finished_at=r.finished,
                exit_code=r.returncode,
                log_path=str(r.log_path),
                cpu_s=None if r.usage is None else r.usage.cpu_s,
                max_rss_kib=None if r.usage is None else r.usage.max_rss_kib,
            )
        elif event.kind == "stage-skip" and event.stage is not None:
            jobs.record_stage(self.conn, job_id, event.stage, "skipped")

    def cancel_requested(self, job_id: int) -> bool:
        with self.lock:
            return jobs.cancel_requested(self.conn, job_id)

    # --- the end --------------------------------------------------------------------------------
    def finish(self, job: JobFacts) -> None:
        assert job.id is not None and job.status is not None
        error, error_stage = job.error_line()
        status = job.status
        with self.lock:
            self._flush()
            jobs.set_stage(self.conn, job.id, None)
            creport = None
            if job.has_report:
                try:
                    creport = job.creport()
                except WkpupError as exc:
                    status, error, error_stage = "failed", f"creport unreadable: {exc}", "srt"
            try:
                if creport is None:
                    jobs.finish_job(self.conn, job.id, status, error=error, error_stage=error_stage)
                    return
                backup = job.backup_dir
                self._mc(job, job.id)
                # The golden verdict first: no reader sees a finished job without it.
                self._verdict(job.id, job.verdict, specs=False)
                jobs.store_result(
                    self.conn,
                    job.id,
                    creport,
                    status=status,
                    error=error,
                    error_stage=error_stage,
                    backup_path=str(backup) if backup is not None else None,
                )
                self._verdict(job.id, job.verdict, golden=False)
            except StoreUnavailable:
                raise
            except StoreError:
                # Reaped as interrupted or finished from outside: what is stored stays.
                return

    def _mc(self, job: JobFacts, job_id: int) -> None:
        """The job's Monte Carlo samples (report/mcreport.txt), before it is finished."""
        path = job.mcreport_path
        if path is None:
            return
        try:
            report = read_mcreport(path)
        except WkpupError:
            return  # the mc stage's own log says why; the PVT result is still recorded
        mcsamples.record_mc(self.conn, job_id, report, job.mc_outcomes())

    def _verdict(
        self, job_id: int, verdict: Verdict | None, *, golden: bool = True, specs: bool = True
    ) -> None:
        """The job's verdict: its golden and, when it was judged by limits, their rows."""
        if verdict is None:
            return
        if golden and verdict.golden is not None:
            path = verdict.golden_path
            jobs.set_golden(self.conn, job_id, verdict.golden, str(path) if path else None)
        if specs and verdict.judged_limits:
            jobs.record_specs(self.conn, job_id, verdict.specs, verdict.spec)

    def golden(self, job_id: int, verdict: str, path: Path | None) -> None:
        with self.lock:
            self._flush()
            jobs.set_golden(self.conn, job_id, verdict, str(path) if path else None)
