"""The PVT job as fixtures: one fixture per core stage, each a step of the pipeline.

    pvt_spec -> pvt_workdir -> pvt_gen -> pvt_run -> pvt_ext -> pvt_srt -> pvt_bkp -> pvt_job

A stage fixture runs its stage (unless ``--pvt-stages`` stops the pipeline earlier, or an
earlier stage failed) and returns its ``StageResult`` (``None`` when it did not run). Stage
fixtures never raise: a failing stage is recorded, and the item *fails* (rather than
erroring in setup) when the test touches the results — with the stage, its exit code and
the tail of its log.

Point failures (``run``/``ext`` exit 1: some points failed, every other one is done) do not
stop ``ext`` and ``srt``, so the creport shows those points as ``failed``; ``bkp`` is then
skipped so the failed points' directories stay for inspection.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from plugins import budget
from wkpup_harness import golden as golden_gate
from wkpup_harness import spec as spec_check
from wkpup_harness.core import Core
from wkpup_harness.errors import WkpupError
from wkpup_harness.results import Creport, CreportRow, read_creport
from wkpup_harness.runner import POINT_STAGES, StageResult, newest_backup, run_stage
from wkpup_harness.scenario import JobSpec, ScenarioError, job_from_marker
from wkpup_harness.workdir import prepare_job_dir

PIPELINE: tuple[str, ...] = ("gen", "run", "ext", "srt", "bkp")
LOG_TAIL = 25
SIM_LOG_TAIL = 12
SIM_LOGS_SHOWN = 3


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
        levels = "/".join(self.row.levels)
        swp = f" {self.row.swp}" if self.row.swp else ""
        return f"{self.row.corner} {self.row.extraction} {self.row.temperature}C {levels}{swp}"

    def __str__(self) -> str:
        return f"{self.name} {self.direction} {self.value:.8g} at {self.point}"


@dataclass
class PvtJob:
    """One PVT job run through the core: its stages and, once srt ran, its results."""

    spec: JobSpec
    workdir: Path
    selected: tuple[str, ...]
    stages: list[StageResult] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    finished: float | None = None
    setup_error: str | None = None
    golden_outcome: str | None = None  # identical / created / updated, once compared

    # --- pipeline state ----------------------------------------------------------------------
    def stage(self, name: str) -> StageResult | None:
        return next((s for s in self.stages if s.stage == name), None)

    @property
    def failed_stage(self) -> StageResult | None:
        """The first stage that did not succeed."""
        return next((s for s in self.stages if not s.ok), None)

    def _fatal(self) -> bool:
        failed = self.failed_stage
        if failed is None:
            return False
        tolerated = failed.stage in POINT_STAGES and failed.returncode == 1
        return not tolerated or failed.timed_out or failed.cancelled

    def should_run(self, stage: str) -> bool:
        if self.setup_error is not None or stage not in self.selected:
            return False
        if stage == "bkp":
            return self.failed_stage is None  # keep failed points' directories
        return not self._fatal()

    @property
    def ok(self) -> bool:
        return self.setup_error is None and self.failed_stage is None

    def failure_message(self) -> str | None:
        if self.setup_error is not None:
            return self.setup_error
        failed = self.failed_stage
        if failed is None:
            return None
        lines = [f"{self.spec.job_id}: {failed.describe()}"]
        points = failed.failed_points()
        if points:
            lines.append(f"{len(points)} failed point(s): " + ", ".join(p.name for p in points))
        lines.append(f"--- last {LOG_TAIL} lines of {failed.log_path} ---")
        lines.append(failed.tail(LOG_TAIL))
        for point in points[:SIM_LOGS_SHOWN]:
            log = self.workdir / point.directory / f"{self.tb_name}.log"
            if log.is_file():
                text = log.read_bytes().decode("utf-8", "replace").splitlines()
                lines.append(f"--- last {SIM_LOG_TAIL} lines of {log} ---")
                lines.extend(text[-SIM_LOG_TAIL:])
        return "\n".join(lines)

    @property
    def tb_name(self) -> str:
        found = sorted((self.workdir / "template").glob("*.sp"))
        return found[0].stem if found else "sim_tx"

    def require_ok(self) -> None:
        message = self.failure_message()
        if message is not None:
            raise PvtStageFailure(message)

    # --- results -------------------------------------------------------------------------------
    @property
    def creport_path(self) -> Path:
        if self.stage("bkp") is not None and self.stage("bkp").ok:
            backup = newest_backup(self.workdir)
            if backup is not None:
                return backup / "report" / "creport.txt"
        return self.workdir / "report" / "creport.txt"

    def creport(self) -> Creport:
        """The parsed creport; PvtStageFailure when a stage failed or srt did not run."""
        self.require_ok()
        if "srt" not in self.selected:
            raise PvtStageFailure(f"{self.spec.job_id}: no creport: --pvt-stages stops before srt")
        return read_creport(self.creport_path)

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
            elif b.min is not None and b.max is not None:
                span = (b.max - b.min) or 1.0
                value, row = min(rows, key=lambda vr: min(vr[0] - b.min, b.max - vr[0]) / span)
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
SPEC_ATTR = "pvt_spec"
JOB_ATTR = "pvt_job_state"


def selected_stages(config: pytest.Config) -> tuple[str, ...]:
    return config.stash[SELECTED_KEY]


SELECTED_KEY = pytest.StashKey[tuple[str, ...]]()
CORE_KEY = pytest.StashKey[Core]()


@pytest.fixture(scope="session")
def pvt_core(pytestconfig: pytest.Config) -> Core:
    """The (verified) core this session drives."""
    from plugins.pytest_wkpup import session_core

    return session_core(pytestconfig)


@pytest.fixture
def pvt_spec(request: pytest.FixtureRequest, pvt_core: Core) -> JobSpec:
    """The job of this test: a scenario item's, or the one its ``pvt`` marker describes."""
    spec = getattr(request.node, SPEC_ATTR, None)
    if spec is not None:
        return spec
    marker = request.node.get_closest_marker("pvt")
    if marker is None:
        raise pytest.UsageError(
            f"{request.node.nodeid}: the pvt fixtures need @pytest.mark.pvt(domain=...) "
            "or a scenario file item"
        )
    from plugins.pytest_wkpup import domains_root

    try:
        return job_from_marker(
            dict(marker.kwargs),
            name=request.node.name.replace("[", "_").replace("]", "").replace("/", "_"),
            source=Path(str(request.node.path)),
            scenario=Path(str(request.node.path)).stem,
            domains_root=domains_root(request.config),
            tables=pvt_core.tables(),
        )
    except (ScenarioError, WkpupError) as exc:
        pytest.fail(f"pvt marker: {exc}", pytrace=False)


@pytest.fixture
def pvt_workdir(
    request: pytest.FixtureRequest, pvt_spec: JobSpec, tmp_path: Path
) -> Iterator[PvtJob]:
    """A private copy of the job's domain, with the job's config.cfg."""
    job = PvtJob(pvt_spec, tmp_path / "job", selected_stages(request.config))
    try:
        job.workdir = prepare_job_dir(pvt_spec.domain_dir, tmp_path / "job", pvt_spec.config)
    except WkpupError as exc:
        job.setup_error = f"{pvt_spec.job_id}: cannot prepare the job directory: {exc}"
    setattr(request.node, JOB_ATTR, job)
    yield job
    job.finished = job.finished or time.time()


def _step(request: pytest.FixtureRequest, job: PvtJob, stage: str) -> StageResult | None:
    if not job.should_run(stage):
        return None
    core = request.getfixturevalue("pvt_core")
    env = {**budget.for_session(request.config).env(), **job.spec.core_env()}
    timeout = request.config.getoption("pvt_sim_timeout")
    if timeout:
        env["PAIHO_SIM_TIMEOUT"] = str(timeout)
    result = run_stage(
        core,
        job.workdir,
        stage,
        env=env,
        timeout=request.config.getoption("pvt_stage_timeout"),
        log_dir=job.workdir.parent.parent / "logs",
    )
    job.stages.append(result)
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
    return _step(request, pvt_workdir, "bkp")


@pytest.fixture
def pvt_job(pvt_workdir: PvtJob, pvt_bkp) -> PvtJob:
    """The finished job (its stages as far as --pvt-stages goes): ``pvt_job.worst(name)``,
    ``pvt_job.creport()``, ``pvt_job.violations()``."""
    pvt_workdir.finished = time.time()
    return pvt_workdir


# --- the test body of a scenario item ----------------------------------------------------------
def check_scenario_job(pvt_job: PvtJob, pytestconfig: pytest.Config) -> None:
    """Stages ok, then golden (byte for byte) and spec limits; every problem is reported."""
    message = pvt_job.failure_message()
    problems = [message] if message else []
    has_report = "srt" in pvt_job.selected and (
        pvt_job.stage("srt") is not None and pvt_job.stage("srt").ok
    )
    if has_report and pvt_job.spec.golden:
        from plugins.pytest_wkpup import golden_root

        path = golden_gate.golden_path(
            golden_root(pytestconfig), pvt_job.spec.scenario, pvt_job.spec.name
        )
        try:
            pvt_job.golden_outcome = golden_gate.check(
                path,
                pvt_job.creport_path.read_bytes(),
                update=pytestconfig.getoption("pvt_update_golden") and message is None,
            )
        except WkpupError as exc:
            problems.append(str(exc))
    if has_report and pvt_job.spec.spec:
        try:
            found = spec_check.check(read_creport(pvt_job.creport_path), pvt_job.spec.spec)
        except WkpupError as exc:
            problems.append(str(exc))
        else:
            if found:
                problems.append(spec_check.summarize(found))
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)
