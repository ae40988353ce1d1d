"""What the web API does, in library terms: the choices a form may offer (the core's own
tables), a submission turned into a validated JobSpec exactly as ``wkpup run`` builds one,
the queue in the store, and the worker that runs queued jobs through ``engine.service``.

Nothing here parses configs, builds a job, runs stages or writes records itself: config
validation is ``config``, every job (start, queue, resume, cancel, judge) is
``engine.service`` (face ``web``), queries are ``store.jobs`` / ``store.queries``, views
``report.views``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wkpup_harness.config import (
    STATIC_VALUES,
    TEMPERATURES,
    allowed_values,
    parse_config,
    read_config,
)
from wkpup_harness.config.domain import domain_names
from wkpup_harness.config.keyhelp import KEY_HELP
from wkpup_harness.config.scenario import (
    JobSpec,
    ScenarioError,
    domain_job,
    load_scenario,
    resolve_domain,
)
from wkpup_harness.core import Core, guard, locate_core
from wkpup_harness.engine import rules, service
from wkpup_harness.engine.job import Job
from wkpup_harness.engine.reaper import reap
from wkpup_harness.errors import ConfigError, WkpupError
from wkpup_harness.inputs import echo
from wkpup_harness.settings import Settings
from wkpup_harness.store import jobs
from wkpup_harness.store.recorder import Recorder, open_store
from wkpup_harness.store.schema import TERMINAL_STATUSES

FACE = "web"
POLL_S = 0.5
SCENARIO_ROOT = "regression"
log = logging.getLogger("wkpup.web")


class InputError(WkpupError):
    """A submission the API refuses (4xx): ``field`` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


@dataclass(frozen=True)
class Submission:
    """What a person asks for: a domain job (config overrides, corner and temperature
    subsets) or a scenario job (``gpio/wkpup_1p8v::smoke``) run as written."""

    domain: str | None = None
    scenario: str | None = None
    config: Mapping[str, str] = dataclasses.field(default_factory=dict)
    corners: Sequence[str] | None = None
    temperatures: Sequence[str] | None = None
    name: str | None = None
    stages: Sequence[str] | None = None


# --- what may be chosen ----------------------------------------------------------------------
def domains(settings: Settings) -> list[str]:
    """Domain names (``gpio/1p8v``) the form offers: every domain folder below the domains
    root, broken ones included, so that a submit names its problem (``check_domain``)."""
    return domain_names(settings.domains)


def scenario_files(settings: Settings) -> list[Path]:
    root = settings.project_root / SCENARIO_ROOT
    return sorted(root.rglob("*.yaml")) if root.is_dir() else []


def scenario_jobs(settings: Settings, core: Core) -> dict[str, JobSpec]:
    """Every scenario job of the project (``<scenario>::<job>`` -> JobSpec), as the pytest
    plugin collects them; a file that does not load is left out."""
    out: dict[str, JobSpec] = {}
    root = settings.project_root / SCENARIO_ROOT
    tables = core.tables()
    for path in scenario_files(settings):
        try:
            scenario = load_scenario(path, root=root, domains_root=settings.domains, tables=tables)
        except WkpupError:
            continue
        for job in scenario.jobs:
            out[job.job_id] = job
    return out


def options(settings: Settings, core: Core) -> dict[str, Any]:
    """The form's choices: per domain its config as written and, for every key, the values
    the core's own tables allow; corners of the domain's run; the core's temperatures;
    the stages; the scenario jobs."""
    tables = core.tables()
    out_domains = []
    for name in domains(settings):
        d = settings.domains / name
        try:
            config = read_config(d / "config.cfg", tables=tables)
        except ConfigError as exc:
            out_domains.append({"name": name, "error": str(exc)})
            continue
        keys = {}
        for ln in config.lines:
            allowed = allowed_values(ln.key, tables, config.sim_mode)
            keys[ln.key] = {"value": ln.value, "allowed": None if allowed is None else allowed,
                            "help": KEY_HELP.get(ln.key, "")}  # fmt: skip
        out_domains.append(
            {
                "name": name,
                "config": keys,
                "corners": list(dict.fromkeys(config.typical_corners + config.cross_corners)),
                "points": config.point_count,
            }
        )
    return {
        "domains": out_domains,
        "temperatures": list(TEMPERATURES),
        "stages": list(rules.STAGES),
        "pipeline": list(rules.PIPELINE),
        "static_values": {k: list(v) for k, v in STATIC_VALUES.items()},
        "scenarios": [
            {
                "id": ident,
                "domain": j.domain,
                "points": j.point_count,
                "description": j.description,
                "golden": j.golden,
                "spec": sorted(j.spec),
            }
            for ident, j in scenario_jobs(settings, core).items()
        ],
    }


# --- a submission -> a validated JobSpec ------------------------------------------------------
def _strings(value: object, field: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):  # type: ignore[union-attr]
        raise InputError(f"{field}: expected a list of names", field)
    return tuple(value)  # type: ignore[arg-type]


def check_stages(stages: Sequence[str] | None) -> tuple[str, ...]:
    """The one stage-list rule of every face (``rules.check_stages``)."""
    try:
        return rules.check_stages(_strings(stages, "stages") or None)
    except rules.StagesError as exc:
        raise InputError(str(exc), exc.field) from None


def job_spec(sub: Submission, settings: Settings, core: Core) -> JobSpec:
    """The JobSpec of a submission, validated as ``wkpup run`` validates its arguments;
    InputError (naming the field) for anything the core's tables or lists do not allow."""
    if (sub.domain is None) == (sub.scenario is None):
        raise InputError("give either a domain or a scenario job", "domain")
    if sub.scenario is not None:
        if sub.config or sub.corners is not None or sub.temperatures is not None:
            raise InputError(
                "a scenario job runs as written: config, corners and temperatures are for domains",
                "scenario",
            )
        found = scenario_jobs(settings, core)
        if sub.scenario not in found:
            raise InputError(
                f"scenario job {echo(sub.scenario)} not found; known: {', '.join(found) or 'none'}",
                "scenario",
            )
        return found[sub.scenario]
    names = domains(settings)
    if sub.domain not in names:
        raise InputError(
            f"domain {echo(sub.domain)} not found; known: {', '.join(names) or 'none'}", "domain"
        )
    domain_dir = resolve_domain(sub.domain, settings.domains).resolve()
    tables = core.tables()
    corners = _strings(sub.corners, "corners")
    temps = _strings(sub.temperatures, "temperatures")
    overrides = dict(sub.config)
    for key, value in overrides.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise InputError("config: expected key -> text value", "config")
    try:
        base = read_config(domain_dir / "config.cfg", tables=tables)
        return domain_job(
            sub.domain,
            domain_dir,
            base,
            overrides=overrides,
            corners=corners,
            temperatures=temps,
            name=sub.name or None,
            scenario=FACE,
            tables=tables,
        )
    except ConfigError as exc:
        field = "temperatures" if exc.key == "temperatures" else f"config.{exc.key}"
        if exc.key not in overrides and field != "temperatures":
            field = "config"
        raise InputError(str(exc), field) from None
    except ScenarioError as exc:
        if exc.problems:
            # The domain's own spec.yaml: every problem, each with its file and line.
            raise InputError("; ".join(str(p) for p in exc.problems), "domain") from None
        # The error names its input (``field``); a problem of the domain's files: config.
        raise InputError(str(exc), exc.field or "config") from None


def describe(spec: JobSpec) -> dict[str, Any]:
    """What validate answers: the job as it would run."""
    return {
        "ok": True,
        "domain": spec.domain,
        "scenario": spec.scenario,
        "name": spec.name,
        "points": spec.point_count,
        "corners_allowed": list(
            dict.fromkeys(spec.config.typical_corners + spec.config.cross_corners)
        ),
        "corners": list(spec.corners) if spec.corners else None,
        "temperatures": list(spec.temperatures) if spec.temperatures else None,
        "point_labels": [p.label for p in spec.points[:200]],
        "spec": sorted(spec.spec),
        "golden": spec.golden,
    }


# --- the queue ----------------------------------------------------------------------------------
def enqueue(settings: Settings, core: Core, spec: JobSpec, stages: Sequence[str]) -> int:
    """A queued job row in the store (config text, subsets, stages, face web); the worker
    runs it. Nothing runs and no directory is made here."""
    return service.queue(spec, settings, core, face=FACE, stages=stages)


def queued_spec(row: Mapping[str, Any], settings: Settings, core: Core) -> JobSpec:
    """Rebuild a queued job's JobSpec from its row: a scenario job from its file, a domain
    job from the stored config text and subsets (validated again against today's tables)."""
    ident = f"{row['scenario']}::{row['name']}"
    if row["scenario"] not in ("cli", FACE):
        found = service.scenario_job(settings, core, row["scenario"], row["name"] or "")
        if found is None:
            raise WkpupError(f"scenario job {ident} no longer exists")
        return found
    domain_dir = resolve_domain(row["domain"], settings.domains).resolve()
    config = parse_config(row["config_text"], tables=core.tables(), filename="config.cfg")
    corners = json.loads(row["corners"]) if row.get("corners") else None
    temps = json.loads(row["temperatures"]) if row.get("temperatures") else None
    spec = domain_job(
        row["domain"], domain_dir, config, corners=corners, temperatures=temps, tables=core.tables()
    )
    return dataclasses.replace(spec, scenario=row["scenario"], name=row["name"] or spec.name)


class Worker:
    """The server's queue worker: one thread taking the web's queued jobs from the store in
    order, and resume requests, and running each through ``engine.Job``."""

    def __init__(self, settings: Settings, core: Core) -> None:
        self.settings = settings
        self.core = core
        self.resumes: deque[int] = deque()
        self.current: Job | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="wkpup-web-worker", daemon=True)

    def start(self) -> None:
        assert self.settings.db is not None
        conn = open_store(self.settings.db)
        try:
            # Jobs whose driver died (a server killed mid-job included) are marked
            # interrupted, their leftovers killed; they stay so until someone resumes them.
            reap(conn)
        finally:
            conn.close()
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop taking jobs; a running job is cancelled (recorded cancelled, resumable)."""
        self._stop.set()
        self._wake.set()
        job = self.current
        if job is not None:
            job.cancel()
        self._thread.join(timeout)

    def resume(self, job_id: int) -> None:
        self.resumes.append(job_id)
        self.wake()

    def _loop(self) -> None:
        assert self.settings.db is not None
        conn = open_store(self.settings.db)
        try:
            while not self._stop.is_set():
                try:
                    if not self._one(conn):
                        self._wake.wait(POLL_S)
                        self._wake.clear()
                except Exception:  # a bug must not stop the queue
                    log.exception("web worker")
                    self._wake.wait(POLL_S)
        finally:
            conn.close()

    def _one(self, conn: Any) -> bool:
        if self.resumes:
            self._resume(self.resumes.popleft())
            return True
        row = jobs.next_queued(conn, FACE)
        if row is None:
            return False
        if row.get("cancel_requested") is not None:
            with contextlib.suppress(WkpupError):
                jobs.finish_job(conn, row["id"], "cancelled", error="cancelled")
            return True
        try:
            spec = queued_spec(row, self.settings, self.core)
            guard(self.core)
        except WkpupError as exc:
            with contextlib.suppress(WkpupError):
                jobs.finish_job(conn, row["id"], "failed", error=str(exc), error_stage="setup")
            return True
        self._run(row, spec)
        return True

    def _resume(self, job_id: int) -> None:
        assert self.settings.db is not None
        conn = open_store(self.settings.db)
        try:
            row = jobs.get_job(conn, job_id)
        finally:
            conn.close()
        if row is not None:
            self._run(row, None)

    def _run(self, row: Mapping[str, Any], spec: JobSpec | None) -> None:
        """A queued job (``spec``: its JobSpec) or, without one, a recorded job to resume
        (judged as an uninterrupted run: ``service.resume``)."""
        assert self.settings.db is not None
        recorder = Recorder(self.settings.db, self.settings.store_wait)
        job: Job | None = None
        try:
            if spec is None:
                job = service.resume(row, self.settings, self.core, face=FACE, recorder=recorder)
            else:
                job = service.run_queued(spec, row, self.settings, self.core, recorder, face=FACE)
                job.open()
            self.current = job
            if self._stop.is_set():
                job.cancel()
            job.run()
            for gate in job.verdict.gates if job.verdict is not None else ():
                log.warning("job %s: %s", row["id"], gate)  # a site plugin's gate
        except WkpupError as exc:
            log.warning("job %s: %s", row["id"], exc)
            with contextlib.suppress(WkpupError):
                if job is not None and job.status is None:
                    job.setup_error = job.setup_error or str(exc)
                    job.close()
        finally:
            self.current = None
            recorder.close()


def core_of(settings: Settings) -> Core:
    return locate_core(settings.core)


def terminal(status: str) -> bool:
    return status in TERMINAL_STATUSES
