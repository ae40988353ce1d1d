"""The run stage, the engine's own: each PVT point simulated by the core's per-point entry
(``simulation/run_point.sh``) through the chosen executor, and its bookkeeping — the points
booked, their usage, the run log and the core's ``job_log.txt``.

``RunStage`` is the ``PointJob`` (``points.py``) an executor gets: it sees the points, their
command, environment and output, and the job's cancel and timeout, nothing else of the job.
Its owner (``engine.job.Job``) is reached through the small ``Owner`` protocol below.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from wkpup_harness.core.stage import StageResult, Usage, stage_env
from wkpup_harness.engine import executors, pointcache
from wkpup_harness.errors import ExecutorError
from wkpup_harness.points import Point
from wkpup_harness.results.runlog import PointResult, classify, parse_point_status, read_job_stat

if TYPE_CHECKING:
    from wkpup_harness.config.scenario import JobSpec
    from wkpup_harness.core import Core
    from wkpup_harness.engine.budget import Budget
    from wkpup_harness.settings import Settings

POINT_SCRIPT = Path("simulation") / "run_point.sh"
# The core's once-per-job constants of its points (models directory, simulator version):
# KEY=VALUE lines, passed to every point by environment.
JOB_ENV_SCRIPT = Path("simulation") / "job_env.sh"


class Owner(Protocol):
    """What the run stage uses of its job."""

    id: int | None
    token: str
    spec: JobSpec
    settings: Settings
    core: Core
    budget: Budget
    workdir: Path
    resuming: bool

    @property
    def root(self) -> Path: ...
    @property
    def log_dir(self) -> Path: ...
    @property
    def points(self) -> Sequence[Point]: ...
    @property
    def tb_name(self) -> str: ...
    @property
    def cancelled(self) -> bool: ...
    @property
    def user_cancelled(self) -> bool: ...
    @property
    def cancel_event(self) -> threading.Event: ...
    def cancel(self) -> None: ...
    def stop_for_timeout(self) -> None: ...
    def stop_for_fault(self, reason: str) -> None: ...
    def stop_reason(self) -> str: ...
    def env(self) -> dict[str, str]: ...
    def core_stage(self, stage: str, ex: str | None = None) -> StageResult: ...
    def report_path(self, point: Point) -> Path: ...
    def point_event(self, kind: str, result: PointResult, stage: str = "run") -> None: ...


def os_error_line(exc: OSError) -> str:
    """One line for an OS error: '<file>: <strerror>'."""
    text = exc.strerror or str(exc) or type(exc).__name__
    return f"{exc.filename}: {text}" if exc.filename else text


class RunStage:
    """The run stage of one job and its points' bookkeeping (a ``PointJob``). The Monte
    Carlo stage runs its samples through a subclass (``engine/mcstage.py``): the same
    executors, budget, timeouts, retries."""

    stage = "run"
    status_file = "job_log.txt"  # the core's status lines of the stage
    event_kind = "point"

    def __init__(self, job: Owner) -> None:
        self.job = job
        self.point_results: dict[str, PointResult] = {}
        self.failed_count = 0  # points of point_results not ok, kept as they are booked: O(1)
        self.executor_error: str | None = None  # the executor could not run the points
        self._lock = threading.Lock()
        self._log: IO[str] | None = None
        self._usage: Usage | None = None
        self._consts: dict[str, str] | None = None
        self.cache: pointcache.PointCache | None = None  # docs/cache.md

    # --- the PointJob protocol: what an executor sees of the job -------------------------------
    @property
    def id(self) -> int | None:
        return self.job.id

    @property
    def token(self) -> str:
        return self.job.token

    @property
    def spec(self) -> JobSpec:
        return self.job.spec

    @property
    def settings(self) -> Settings:
        return self.job.settings

    @property
    def budget(self) -> Budget:
        return self.job.budget

    @property
    def workdir(self) -> Path:
        return self.job.workdir

    @property
    def root(self) -> Path:
        return self.job.root

    @property
    def cancelled(self) -> bool:
        return self.job.cancelled

    @property
    def cancel_event(self) -> threading.Event:
        return self.job.cancel_event

    def cancel(self) -> None:
        self.job.cancel()

    def stop_for_timeout(self) -> None:
        self.job.stop_for_timeout()

    def stop_reason(self) -> str:
        return self.job.stop_reason()

    # --- the points ------------------------------------------------------------------------------
    @property
    def points(self) -> Sequence[Point]:
        return self.job.points

    @property
    def points_done(self) -> int:
        return len(self.point_results)

    @property
    def failed_points(self) -> list[PointResult]:
        return [r for r in self.point_results.values() if not r.ok]

    @property
    def point_script(self) -> Path | None:
        script = self.job.core.sim_pvt.parent / POINT_SCRIPT
        return script if script.is_file() else None

    def point_command(self, point: Point) -> list[str]:
        """What simulates one point, run from the job's domain copy: the core's per-point
        entry (what the real flow submits per point)."""
        script = self.point_script
        assert script is not None
        cfg = self.spec.config
        return ["bash", str(script), point.directory, self.job.tb_name, cfg.simulator, str(cfg.cpu)]

    def point_env(self) -> dict[str, str]:
        env = stage_env(self.job.core, self.job.env())
        with self._lock:
            if self._consts is None:
                self._consts = self._job_constants(env)
        return {**env, **self._consts}

    def _job_constants(self, env: dict[str, str]) -> dict[str, str]:
        """The core's per-job constants (``simulation/job_env.sh``), resolved once; none when
        the core has no such script or it fails (each point then says why itself)."""
        script = self.job.core.sim_pvt.parent / JOB_ENV_SCRIPT
        if self.spec.config.simulator != "ngspice" or not script.is_file():
            return {}
        proc = subprocess.run(
            ["bash", str(script)], env=env, capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            return {}
        pairs = (line.partition("=") for line in proc.stdout.splitlines())
        return {k: v for k, sep, v in pairs if sep and k.startswith("PAIHO_")}

    def point_output(self, point: Point) -> Path:
        """Where a point's command writes its stdout and stderr (every attempt appended)."""
        return self.job.log_dir / "points" / f"{point.name}.log"

    def failure_reason(self, point: Point, returncode: int) -> str:
        """Why a point's simulation failed, from its output and the simulator's log."""
        try:
            output = self.point_output(point).read_text(encoding="utf-8", errors="replace")
        except OSError:
            output = ""
        sim_log = self.workdir / point.directory / f"{self.job.tb_name}.log"
        try:
            log_text = sim_log.read_text(encoding="utf-8", errors="replace")[-20000:]
        except OSError:
            log_text = ""
        return classify(returncode, output, log_text)

    def add_usage(self, usage: Usage | None) -> None:
        """A simulation of the run stage was reaped: its CPU time and memory count."""
        if usage is None:
            return
        with self._lock:
            self._usage = usage if self._usage is None else self._usage + usage

    def retrying(self, point: Point, attempt: int, reason: str) -> None:
        """An executor runs ``point`` again after its attempt ``attempt`` failed."""
        self.job.point_event(
            f"{self.event_kind}-retry", PointResult(point, False, reason, attempt, 0.0), self.stage
        )

    def _point_done(self, result: PointResult) -> None:
        with self._lock:
            before = self.point_results.get(result.point.name)
            self.point_results[result.point.name] = result
            self.failed_count += (not result.ok) - (before is not None and not before.ok)
        self.job.point_event(self.event_kind, result, self.stage)

    def status_line(self, result: PointResult) -> str:
        """The core's status line of a booked point."""
        return result.line()

    def book(self, result: PointResult) -> None:
        """A point finished: the run log, job_log.txt (the core's format), listeners, store.
        Called by the executor from the thread that runs the stage."""
        if self.cache is not None:
            result = self.cache.after(result)  # verify a re-simulated hit, or store it
        line = self.status_line(result)
        assert self._log is not None
        self._point_done(result)
        try:
            self._log.write(line + "\n")
            self._log.flush()
            with open(self.workdir / self.status_file, "a", encoding="utf-8") as jl:
                jl.write(line + "\n")
        except OSError as exc:
            self.job.stop_for_fault(f"stage {self.stage}: {os_error_line(exc)}")

    # --- the stage ------------------------------------------------------------------------------
    def _todo(self) -> list[Point]:
        """The points to simulate: all of them, or on resume those the core's chk does not
        find done (killed, failed, never started)."""
        if not self.job.resuming:
            return list(self.job.points)
        chk = self.job.core_stage("chk")
        self.add_usage(chk.usage)
        if chk.cancelled:
            return []
        done = read_job_stat(self.workdir / "job_stat.log")
        todo = []
        for p in self.job.points:
            if done.get(p.name) and self._has_results(p):
                self._point_done(
                    PointResult(p, True, "", 0, 0.0, time.time(), time.time(), skipped=True)
                )
            else:
                todo.append(p)
        return todo

    def _has_results(self, point: Point) -> bool:
        """A point chk finds done still has what ext needs: its report, or its measure files
        (an ext stopped by a full disk has moved them away and written no report)."""
        if self.job.report_path(point).is_file():
            return True
        return any((self.workdir / point.directory).glob(f"{self.job.tb_name}.mt0*"))

    def run(self) -> StageResult:
        """Simulate the points to do through the executor; the stage's result."""
        script = self.point_script
        if script is None:  # a site core without a per-point entry: its own run stage
            result = self.job.core_stage("run")
            for status in parse_point_status(result.log()):
                self._point_done(status)
            return result
        started, t0 = time.time(), time.monotonic()
        log_path = self.job.log_dir / f"{self.stage}.log"
        self._usage = None
        todo = self._todo()
        with open(log_path, "w", encoding="utf-8") as log:
            timed_out = self._simulate(todo, log, t0)
            failed = self._summary(log, timed_out)
        return StageResult(
            stage=self.stage,
            ex=None,
            # 2 (fatal): the executor could not run the points; 1: some points failed
            returncode=2
            if self.executor_error
            else int(bool(failed or self.cancelled or timed_out)),
            started=started,
            finished=time.time(),
            elapsed=time.monotonic() - t0,
            log_path=log_path,
            timed_out=timed_out,
            command=["wkpup-engine", self.settings.executor, str(script)],
            cancelled=self.job.user_cancelled and not timed_out,
            usage=self._usage,
        )

    def replayed(self) -> StageResult:
        """The run stage of a job restored whole from the result cache: every point booked
        reused, nothing simulated (``jobcache.py``)."""
        started, t0 = time.time(), time.monotonic()
        log_path = self.job.log_dir / f"{self.stage}.log"
        total = len(self.points)
        with open(log_path, "w", encoding="utf-8") as log:
            log.write(
                f"{self.stage}: the whole job reused from the result cache: {total} of {total} "
                f"{self.event_kind}s, nothing simulated\n"
            )
            for p in self.points:
                result = PointResult(p, True, "", 0, 0.0, started, time.time(), reused=True)
                self._point_done(result)
                log.write(self.status_line(result) + "\n")
            log.write(f"{self.stage}: done, {total} {self.event_kind}s\n")
        return StageResult.by_engine(self.stage, log_path, started, t0, 0, ["wkpup-cache", "job"])

    def _simulate(self, todo: list[Point], log: IO[str], t0: float) -> bool:
        """The executor's part; True when the stage deadline passed."""
        executor_name = self.settings.executor
        where = f"{self.budget.slots} at a time" if executor_name == "local" else executor_name
        self._log = log
        todo = self._reuse(todo, log)
        log.write(
            f"{self.stage}: {len(todo)} {self.event_kind}s with {self.spec.config.simulator}, "
            f"{where} (engine, {self.settings.retries} retries)\n"
        )
        if self.job.resuming:
            log.write(f"run: {len(self.job.points) - len(todo)} points complete from before\n")
        log.flush()
        limit = self.settings.stage_timeout
        deadline = None if limit is None else t0 + limit
        try:
            return executors.get(executor_name).simulate(self, todo, deadline)
        except ExecutorError as exc:  # e.g. sbatch refused the submission: stop the job
            self.executor_error = str(exc)
            log.write(f"ERROR: run: {executor_name}: {exc}\n")
            return False
        finally:
            self._log = None

    def _reuse(self, todo: list[Point], log: IO[str]) -> list[Point]:
        """With the result cache on (ngspice points): the hits restored and booked as reused;
        the points left to simulate."""
        self.cache = None
        cfg = self.spec.config
        if not pointcache.enabled(self.settings) or cfg.simulator != "ngspice" or not todo:
            return todo
        self.cache = pointcache.PointCache(
            self.settings,
            core_root=self.job.core.root,
            workdir=self.workdir,
            job_root=self.root,
            tb=self.job.tb_name,
            simulator=cfg.simulator,
            cpu=cfg.cpu,
            env=self.point_env(),
            job_id=self.id,
            log=log,
        )
        return self.cache.reuse(todo, self.book)

    def _summary(self, log: IO[str], timed_out: bool) -> list[PointResult]:
        """The run log's last lines; the failed points."""
        failed = self.failed_points
        total = len(self.points)
        what = f"{self.event_kind}s"
        if failed:
            log.write(f"ERROR: {self.stage}: {len(failed)} of {total} {what} failed:\n")
            for r in failed:
                log.write(f"  {r.point.directory} ({r.reason})\n")
        if timed_out:
            log.write(
                f"\nwkpup: stage {self.stage} killed after the "
                f"{self.settings.stage_timeout:g}s timeout\n"
            )
        elif self.cancelled:
            log.write(f"\nwkpup: stage {self.stage} cancelled\n")
        else:
            log.write(f"{self.stage}: done, {total} {what}\n")
        return failed
