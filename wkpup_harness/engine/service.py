"""The one job service: how every face (the pytest fixtures, ``wkpup run`` / ``resume`` /
``cancel``, the web server) asks for a job. No face builds an engine ``Job`` itself.

- ``start``: a new job of a validated JobSpec, recorded and opened (its run directory made);
- ``queue``: a job row for the web's worker to run later (``run_queued``);
- ``resume``: a recorded job finished where it stopped, in its own run directory, judged by
  the limits recorded with it and, for a scenario job, by its golden again;
- ``cancel``: a queued or running job stopped, whichever face started it;
- ``judge``: golden + spec limits -> the job's one ``Verdict``, which the recorder stores
  when the job closes, every face shows, and the ``pvt_job_finished`` hook receives.

So a job resumed from any face is judged and recorded exactly as an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from wkpup_harness.config.scenario import JobSpec, load_scenario
from wkpup_harness.core import Core
from wkpup_harness.engine import control, hooks, rules
from wkpup_harness.engine.events import Event, Listener
from wkpup_harness.engine.job import Job
from wkpup_harness.engine.workdir import holds_job
from wkpup_harness.errors import WkpupError
from wkpup_harness.results import golden as golden_gate
from wkpup_harness.results.verdict import GoldenTarget, Verdict, judge_golden
from wkpup_harness.results.verdict import judge as judge_report
from wkpup_harness.settings import Settings
from wkpup_harness.store import jobs, runroot
from wkpup_harness.store.db import Connection
from wkpup_harness.store.recorder import Recorder

SCENARIO_ROOT = "regression"
# Scenario names of jobs that were not written in a scenario file.
FACE_SCENARIOS = ("cli", "web")


class TakenWorkdir(WkpupError):
    """A ``--workdir`` that already holds a job."""

    field = "workdir"


# --- judging --------------------------------------------------------------------------------
def judge(job: Job, *, golden_root: Path | None, update: bool = False) -> Verdict:
    """The job's one verdict: its creport against its golden (a job marked golden; written
    instead with ``update``, only for a job that did not fail) and its spec limits."""
    report = job.creport_path if job.has_report else None
    target = None
    if job.spec.golden and golden_root is not None:
        target = GoldenTarget(golden_root, job.spec.scenario, job.spec.name, update)
    may_update = report is not None and job.failure_message() is None
    verdict = judge_report(report, job.spec.spec, job.settings.near_margin, target,
                           may_update=may_update)  # fmt: skip
    mc = job.mcreport_path
    if target is None or mc is None:
        return verdict
    # A Monte Carlo job's samples are gated too: mcreport.txt beside the golden creport.
    mc_verdict, _, mc_problem = judge_golden(
        target, mc, may_update=may_update, name=golden_gate.MC_GOLDEN_NAME
    )
    return dataclasses.replace(verdict, mc_golden=mc_verdict, mc_golden_problem=mc_problem)


def _judge_with(settings: Settings, update: bool, relay: Any) -> Any:
    """The job's judge: golden + spec, then the gates of the hooks (``relay``)."""

    def judged(job: Job) -> Verdict:
        verdict = judge(job, golden_root=settings.golden, update=update)
        if relay is None:
            return verdict
        assert job.status is not None
        gates = hooks.finished(relay, job.id, job.spec, job.status, verdict)
        return dataclasses.replace(verdict, gates=tuple(gates)) if gates else verdict

    return judged


def _relay(hook: Any | None) -> Any | None:
    """The hooks to call: the face's own (pytest's ``config.hook``), else those of the
    plugins installed under the ``wkpup`` entry-point group (None when there are none)."""
    if hook is not None:
        return hook
    pm = hooks.manager()
    return pm.hook if pm.has_plugins() else None


def _hooked(listeners: Iterable[Listener], relay: Any | None) -> list[Listener]:
    """The face's listeners, then the hooks' ``pytest_pvt_job_event``."""
    out = list(listeners)
    if relay is not None:

        def to_hooks(event: Event) -> None:
            hooks.emit(relay, event)

        out.append(to_hooks)
    return out


# --- the one place a Job is built -------------------------------------------------------------
def build(
    spec: JobSpec,
    settings: Settings,
    core: Core,
    *,
    face: str,
    recorder: Recorder | None = None,
    listeners: Iterable[Listener] = (),
    stages: Sequence[str] | str | None = None,
    workdir_root: Path | None = None,
    job_id: int | None = None,
    resuming: bool = False,
    update_golden: bool = False,
    hook: Any | None = None,
) -> Job:
    """An engine job, not yet opened; ``stages`` is checked by the one rule
    (``rules.check_stages``). The core is the caller's to guard before (``core.guard``).
    ``hook``: the face's hook relay (pytest's ``config.hook``); by default the plugins of
    the ``wkpup`` entry-point group."""
    relay = _relay(hook)
    return Job(
        spec,
        settings,
        core,
        face=face,
        recorder=recorder,
        listeners=_hooked(listeners, relay),
        stages=rules.check_stages(stages),
        workdir_root=workdir_root,
        id=job_id,
        resuming=resuming,
        check_core=False,
        judge=_judge_with(settings, update_golden, relay),
    )


def recorder_for(settings: Settings) -> Recorder | None:
    """The store's recorder (None when the store is off)."""
    return Recorder(settings.db, settings.store_wait) if settings.db is not None else None


def start(
    spec: JobSpec,
    settings: Settings,
    core: Core,
    *,
    face: str,
    recorder: Recorder | None = None,
    listeners: Iterable[Listener] = (),
    stages: Sequence[str] | str | None = None,
    workdir: Path | None = None,
    update_golden: bool = False,
    hook: Any | None = None,
) -> Job:
    """A new job, recorded and opened: its run directory is ``workdir`` (refused when it
    already holds a job, before anything is recorded) or the store's run root for it."""
    chosen = rules.check_stages(stages)
    if workdir is not None:
        family, voltage = spec.domain_dir.parts[-2:]
        taken = workdir / family / voltage
        if holds_job(taken):
            raise TakenWorkdir(f"{taken} already holds a job; use a fresh --workdir")
    job = build(
        spec,
        settings,
        core,
        face=face,
        recorder=recorder,
        listeners=listeners,
        stages=chosen,
        workdir_root=workdir,
        update_golden=update_golden,
        hook=hook,
    )
    if workdir is None:
        job.workdir_root = _run_root(settings, recorder, job)
    return job.open()


def _run_root(settings: Settings, recorder: Recorder | None, job: Job) -> Path | None:
    """None: the job's own run root is chosen once it has an id (``open``)."""
    if recorder is None:
        return None
    job.id = recorder.create(job)
    with recorder.lock:
        return runroot.run_root(recorder.conn, settings.runs, job.id)


# --- the web's queue ----------------------------------------------------------------------------
def queue(spec: JobSpec, settings: Settings, core: Core, *, face: str, stages: Any) -> int:
    """A queued job row (config text, subsets, stages, limits) for a worker to run later
    (``run_queued``). Nothing runs and no directory is made here."""
    assert settings.db is not None
    recorder = Recorder(settings.db, settings.store_wait)
    try:
        job = build(spec, settings, core, face=face, recorder=recorder, stages=stages)
        ident = recorder.queue(job)
        if spec.spec:
            # The limits travel with the queued job (the store's spec rows, no verdict yet);
            # the recorder replaces them with the verdicts when the job ends.
            jobs.record_specs(
                recorder.conn, ident, [_pending(n, lim) for n, lim in spec.spec.items()]
            )
        return ident
    finally:
        recorder.close()


def _pending(name: str, limit: Any) -> dict[str, Any]:
    return {
        "name": name,
        "lo": limit.bounds.min,
        "hi": limit.bounds.max,
        "status": "no_data",
        "n_points": 0,
        "n_fail": 0,
        "worst_value": None,
        "worst_seq": None,
    }


def run_queued(
    spec: JobSpec,
    row: Mapping[str, Any],
    settings: Settings,
    core: Core,
    recorder: Recorder,
    *,
    face: str,
) -> Job:
    """A queued job (its row), built to run in this process: not yet opened."""
    job = build(
        spec,
        settings,
        core,
        face=face,
        recorder=recorder,
        stages=planned_stages(row),
        job_id=row["id"],
    )
    with recorder.lock:
        job.workdir_root = runroot.run_root(recorder.conn, settings.runs, row["id"])
    return job


# --- resume ---------------------------------------------------------------------------------
def planned_stages(row: Mapping[str, Any]) -> tuple[str, ...]:
    """The stages a recorded job was planned with (the pipeline when none are recorded)."""
    planned = tuple(s for s in (row.get("stages_planned") or "").split(",") if s)
    return planned or rules.PIPELINE


def scenario_job(settings: Settings, core: Core, scenario: str, name: str) -> JobSpec | None:
    """The job ``name`` of the scenario file ``regression/<scenario>.yaml``, as the pytest
    plugin collects it; None when the file or the job no longer exists or does not load."""
    if not scenario or scenario in FACE_SCENARIOS or not name:
        return None
    root = settings.project_root / SCENARIO_ROOT
    for suffix in (".yaml", ".yml"):
        path = root / f"{scenario}{suffix}"
        if not path.is_file():
            continue
        try:
            loaded = load_scenario(
                path, root=root, domains_root=settings.domains, tables=core.tables()
            )
        except WkpupError:
            return None
        return next((j for j in loaded.jobs if j.name == name), None)
    return None


def resume_spec(row: Mapping[str, Any], settings: Settings, core: Core) -> JobSpec:
    """The JobSpec of a recorded job to resume: the config in its own run directory, the
    limits recorded with it, and — for a scenario job whose file still has it with the same
    config — its golden gate, so it is judged as an uninterrupted run is."""
    spec = control.resume_spec(dict(row), core.tables())
    found = scenario_job(settings, core, row.get("scenario") or "", row.get("name") or "")
    if found is not None and found.config.to_text() == row.get("config_text"):
        spec = dataclasses.replace(spec, golden=found.golden, marks=found.marks)
    return spec


def resume(
    row: Mapping[str, Any],
    settings: Settings,
    core: Core,
    *,
    face: str | None = None,
    recorder: Recorder | None = None,
    listeners: Iterable[Listener] = (),
    spec: JobSpec | None = None,
    stages: Sequence[str] | None = None,
    update_golden: bool = False,
    hook: Any | None = None,
) -> Job:
    """A recorded job (its store row) opened to finish where it stopped: refused when it
    cannot be resumed (``control.NotResumable``, ``control.RunDirGone``); its stages are
    the planned ones after gen (gen too when a netlist is missing). ``spec``: the face's own
    (a pytest item's), else rebuilt (``resume_spec``)."""
    control.check_resumable(dict(row))
    job = build(
        spec if spec is not None else resume_spec(row, settings, core),
        settings,
        core,
        face=face or row.get("face") or "cli",
        recorder=recorder,
        listeners=listeners,
        stages=planned_stages(row),
        workdir_root=Path(row["run_root"]),
        job_id=row["id"],
        resuming=True,
        update_golden=update_golden,
        hook=hook,
    )
    job.open()
    job.plan_resume(stages or planned_stages(row))
    return job


# --- cancel ---------------------------------------------------------------------------------
def cancel(conn: Connection, job_id: int, wait: float = 15.0) -> tuple[dict[str, Any], bool]:
    """Cancel a queued or running job, whichever face started it (``control.cancel``)."""
    return control.cancel(conn, job_id, wait)
