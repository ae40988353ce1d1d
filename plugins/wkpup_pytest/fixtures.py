"""The PVT job as fixtures: one engine job, one fixture per stage, each a step of it.

    pvt_spec -> pvt_workdir -> pvt_gen -> pvt_run -> pvt_ext -> pvt_srt -> pvt_bkp -> pvt_job

``pvt_workdir`` opens the engine job (its store record, its run directory under the run
root), each stage fixture calls ``Job.step(stage)`` (the engine's rules decide whether it
runs) and returns its StageResult (None when it did not run). Stage fixtures never raise: the
item *fails* (rather than erroring in setup) when the test touches the results, with the
stage, its exit code, the failed points and the tails of the logs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from wkpup_harness.config.scenario import JobSpec, ScenarioError, job_from_marker
from wkpup_harness.core import Core
from wkpup_harness.core.stage import StageResult
from wkpup_harness.engine import service
from wkpup_harness.engine.job import Job
from wkpup_harness.engine.reaper import reap
from wkpup_harness.errors import WkpupError
from wkpup_harness.report.units import quantity, unit
from wkpup_harness.results import Creport, CreportRow
from wkpup_harness.results import spec as spec_check
from wkpup_pytest.collect import job_of
from wkpup_pytest.session import (
    GOLDEN_PROBLEM_ATTR,
    JOB_PROPERTY,
    WkpupSession,
    session_of,
    store_jobs_like,
)


class PvtStageFailure(AssertionError):
    """A stage of the job failed; raised when a test touches the job's results."""


@dataclass(frozen=True)
class WorstCase:
    name: str
    value: float
    row: CreportRow
    direction: str

    @property
    def point(self) -> str:
        return self.row.label

    def __str__(self) -> str:
        return f"{self.name} {self.direction} {self.value:.8g} at {self.point}"


class PvtJob:
    """What a test sees of its engine job: stages, results, worst cases, spec violations."""

    def __init__(self, job: Job) -> None:
        self.job = job

    @property
    def spec(self) -> JobSpec:
        return self.job.spec

    @property
    def workdir(self) -> Path:
        return self.job.workdir

    @property
    def id(self) -> int | None:
        return self.job.id

    @property
    def stages(self) -> list[StageResult]:
        """The stages that ran, in order."""
        return list(self.job.results)

    def stage(self, name: str) -> StageResult | None:
        return self.job.result(name)

    @property
    def failed_stage(self) -> StageResult | None:
        return self.job.failed_stage

    @property
    def creport_path(self) -> Path:
        return self.job.creport_path

    def failure_message(self) -> str | None:
        return self.job.failure_message()

    def require_ok(self) -> None:
        message = self.failure_message()
        if message is not None:
            raise PvtStageFailure(message)

    def creport(self) -> Creport:
        """The parsed creport; PvtStageFailure when a stage failed or srt did not run."""
        self.require_ok()
        if "srt" not in self.job.stages:
            raise PvtStageFailure(f"{self.spec.job_id}: no creport: --pvt-stages stops before srt")
        return self.job.creport()

    def worst(self, name: str, direction: str | None = None) -> WorstCase:
        """The extreme of one measurement over every PVT point, and the point giving it.

        ``direction`` is "min" or "max"; by default it follows the spec (a limit with only a
        max is judged by the largest value, only a min by the smallest; with both, the point
        nearest a bound) and is "max" without a spec.
        """
        report = self.creport()
        if name not in report.names:
            raise KeyError(f"{name!r} not measured; measured: {', '.join(report.names)}")
        rows = [(r.cells[name].value, r) for r in report.rows if r.cells[name].value is not None]
        if not rows:
            raise PvtStageFailure(f"{name}: failed at every point")
        limit = self.spec.spec.get(name)
        if direction is None and limit is not None:
            b = limit.bounds
            if b.min is not None and b.max is None:
                direction = "min"
            elif b.max is not None and b.min is None:
                direction = "max"
            else:
                value, row = min(
                    rows, key=lambda vr: spec_check.margin(limit.for_corner(vr[1].corner), vr[0])
                )
                return WorstCase(name, value, row, "nearest-limit")
        direction = direction or "max"
        if direction not in ("min", "max"):
            raise ValueError("direction must be 'min' or 'max'")
        pick = min if direction == "min" else max
        value, row = pick(rows, key=lambda vr: vr[0])
        return WorstCase(name, value, row, direction)

    def violations(self) -> list[spec_check.Violation]:
        return spec_check.check(self.creport(), self.spec.spec) if self.spec.spec else []


# --- fixtures ----------------------------------------------------------------------------------
JOB_ATTR = "pvt_engine_job"
VERDICT_ATTR = "_pvt_verdict_recorded"


@pytest.fixture(scope="session")
def pvt_core(pytestconfig: pytest.Config) -> Core:
    """The (verified) core this session drives."""
    return session_of(pytestconfig).core


@pytest.fixture
def pvt_spec(request: pytest.FixtureRequest, pvt_core: Core) -> JobSpec:
    """The job of this test: a scenario item's, or the one its ``pvt`` marker describes."""
    spec = job_of(request.node)
    if spec is not None:
        return spec
    marker = request.node.get_closest_marker("pvt")
    if marker is None:
        raise pytest.UsageError(
            f"{request.node.nodeid}: the pvt fixtures need @pytest.mark.pvt(domain=...) "
            "or a scenario file item"
        )
    session = session_of(request.config)
    try:
        return job_from_marker(
            dict(marker.kwargs),
            name=request.node.name.replace("[", "_").replace("]", "").replace("/", "_"),
            source=Path(str(request.node.path)),
            scenario=Path(str(request.node.path)).stem,
            domains_root=session.settings.domains,
            tables=pvt_core.tables(),
        )
    except (ScenarioError, WkpupError) as exc:
        pytest.fail(f"pvt marker: {exc}", pytrace=False)


def _resumable(session: WkpupSession, spec: JobSpec) -> dict[str, Any] | None:
    """With --pvt-resume: this job's newest unfinished run whose directory is still there.
    On a worker replacing a crashed one: the job that crashed with it, when this is its item."""
    recorder = session.recorder
    if not (session.resume or session.resume_jobs) or recorder is None:
        return None
    with recorder.lock:
        reap(recorder.conn)
        rows = store_jobs_like(recorder.conn, spec.scenario, spec.name, spec.domain)
    if not session.resume:
        rows = [row for row in rows if row["id"] in session.resume_jobs]
    for row in rows:
        work = Path(row["work_path"] or "")
        same = row["config_text"] == spec.config.to_text()
        subsets = (row["corners"], row["temperatures"]) == (
            json.dumps(list(spec.corners)) if spec.corners else None,
            json.dumps(list(spec.temperatures)) if spec.temperatures else None,
        )
        if same and subsets and (work / "config.cfg").is_file():
            return row
    return None


@pytest.fixture
def pvt_workdir(request: pytest.FixtureRequest, pvt_spec: JobSpec) -> Iterator[PvtJob]:
    """The engine job of this test, opened: a private copy of the domain with the job's
    config.cfg, under the run root (or, with --pvt-resume, its last unfinished run)."""
    session = session_of(request.config)
    row = _resumable(session, pvt_spec)
    # The core was checked by the controller before any job. A resumed job is judged like
    # an uninterrupted one (the one service for every face).
    common = {
        "recorder": session.recorder,
        "listeners": session.listeners(),
        "update_golden": session.update_golden,
        "hook": request.config.hook,
    }
    if row is not None:
        job = service.resume(
            dict(row),
            session.settings,
            session.core,
            face="pytest",
            spec=pvt_spec,
            stages=session.stages,
            **common,
        )
        request.node.user_properties.append(("pvt_resumed", str(job.id)))
    else:
        job = service.start(
            pvt_spec, session.settings, session.core, face="pytest", stages=session.stages, **common
        )
    if job.id is not None:
        # The controller's verdict table lists the session's jobs (WkpupSession).
        request.node.user_properties.insert(0, (JOB_PROPERTY, str(job.id)))
    setattr(request.node, JOB_ATTR, job)
    try:
        yield PvtJob(job)
    finally:
        job.close()


def _step(request: pytest.FixtureRequest, job: PvtJob, stage: str) -> StageResult | None:
    result = job.job.step(stage)
    if result is not None:
        request.node.user_properties.append(
            ("pvt_stage", f"{stage} rc={result.returncode} {result.elapsed:.2f}s")
        )
    return result


@pytest.fixture
def pvt_gen(request: pytest.FixtureRequest, pvt_workdir: PvtJob) -> StageResult | None:
    return _step(request, pvt_workdir, "gen")


@pytest.fixture
def pvt_run(request: pytest.FixtureRequest, pvt_workdir: PvtJob, pvt_gen) -> StageResult | None:
    return _step(request, pvt_workdir, "run")


@pytest.fixture
def pvt_ext(request: pytest.FixtureRequest, pvt_workdir: PvtJob, pvt_run) -> StageResult | None:
    return _step(request, pvt_workdir, "ext")


@pytest.fixture
def pvt_srt(request: pytest.FixtureRequest, pvt_workdir: PvtJob, pvt_ext) -> StageResult | None:
    return _step(request, pvt_workdir, "srt")


@pytest.fixture
def pvt_bkp(request: pytest.FixtureRequest, pvt_workdir: PvtJob, pvt_srt) -> StageResult | None:
    # A Monte Carlo job (config mc_samples, a scenario's monte_carlo:) samples after srt,
    # before bkp; for any other job the engine has no mc stage and this is a no-op.
    _step(request, pvt_workdir, "mc")
    return _step(request, pvt_workdir, "bkp")


@pytest.fixture
def pvt_job(request: pytest.FixtureRequest, pvt_workdir: PvtJob, pvt_bkp) -> PvtJob:
    """The finished job (its stages as far as --pvt-stages goes): ``pvt_job.worst(name)``,
    ``pvt_job.creport()``, ``pvt_job.violations()``. A Python test's job marked
    ``golden=True`` is gated like a scenario job: its verdict is recorded now, and a
    mismatch fails the test after its body ran (``WkpupSession.pytest_runtest_call``)."""
    job = pvt_workdir.job
    job.close()
    record_verdict(request.node, job)
    if job_of(request.node) is None and job.verdict is not None:
        # A Python test's job: its golden (marked golden=True) and the hooks' gates.
        v = job.verdict
        problems = [v.golden_problem, v.mc_golden_problem, *v.gates]
        if any(problems):
            setattr(request.node, GOLDEN_PROBLEM_ATTR, "\n\n".join(p for p in problems if p))
    return pvt_workdir


def record_verdict(node: pytest.Item, job: Job) -> None:
    """The job's verdict as the item's properties (JUnit XML ``<property>``, for CI
    dashboards): golden, each spec's verdict, worst value and margin with units."""
    verdict = job.verdict
    if verdict is None or getattr(node, VERDICT_ATTR, False):
        return
    setattr(node, VERDICT_ATTR, True)
    props = node.user_properties
    props.append(("pvt_status", str(job.status)))
    if verdict.golden is not None:
        props.append(("pvt_golden", verdict.golden))
        if verdict.golden in ("created", "updated"):
            props.append(("wkpup_golden", f"{verdict.golden} {verdict.golden_path}"))
    if verdict.spec is not None:
        props.append(("pvt_spec", verdict.spec))
    for row in verdict.specs:
        name = str(row["name"])
        props.append((f"pvt_spec.{name}", property_text(row)))


def property_text(row: Any) -> str:
    """One spec row as a property: ``pass; worst 1.23 mA; margin 0.45 mA``."""
    u = unit(str(row["name"]))
    worst = quantity(row.get("worst_value"), u)
    margin = quantity(row.get("margin"), u)
    return f"{row.get('verdict') or row.get('status')}; worst {worst}; margin {margin}"


# --- the test body of a scenario item ----------------------------------------------------------
def check_scenario_job(
    pvt_job: PvtJob, pytestconfig: pytest.Config, request: pytest.FixtureRequest
) -> None:
    """Stages ok, then golden (byte for byte) and spec limits; every problem is reported."""
    job = pvt_job.job
    message = job.failure_message()
    problems = [message] if message else []
    # The job's one verdict (engine.service.judge, recorded with it): golden, spec, gates.
    if job.verdict is not None:
        problems.extend(job.verdict.problems)
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)
