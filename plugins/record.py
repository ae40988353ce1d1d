"""Recording every PVT job in the SQLite store, from the controller only.

A worker (or the single pytest process) attaches the finished job to its teardown report as
a JSON user property; the controller, which receives every report, writes it. The job row is
created as 'running' when the item starts, so a session killed mid-job leaves a job that the
store later reports as interrupted, never as completed.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from wkpup_harness import manifest, simulators
from wkpup_harness.errors import WkpupError
from wkpup_harness.results import parse_creport
from wkpup_harness.store import db, jobs

PROPERTY = "wkpup_job"
DB_KEY = pytest.StashKey["Recorder | None"]()


class Recorder:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn: sqlite3.Connection = db.connect(path)
        jobs.reap_interrupted(self.conn)
        self.open: dict[str, int] = {}  # nodeid -> job id
        self.outcome: dict[str, str] = {}  # nodeid -> outcome of the call phase

    def start(self, nodeid: str) -> None:
        if nodeid in self.open:
            return
        job = jobs.create_job(self.conn, domain="?", name=nodeid, user=jobs.current_user())
        jobs.mark_running(self.conn, job)
        self.open[nodeid] = job

    def finish(self, nodeid: str, payload: dict[str, Any]) -> None:
        job = self.open.pop(nodeid, None)
        if job is None:
            self.start(nodeid)
            job = self.open.pop(nodeid)
        jobs.update_job(
            self.conn,
            job,
            domain=payload["domain"],
            scenario=payload["scenario"],
            name=payload["name"],
            config_text=payload["config_text"],
            core_path=payload["core_path"],
            manifest_hash=payload["manifest_hash"],
            simulator=payload["simulator"],
            simulator_version=payload.get("simulator_version"),
            work_path=payload["work_path"],
            started_at=payload["started"],
        )
        for st in payload["stages"]:
            jobs.record_stage(
                self.conn,
                job,
                st["stage"],
                "completed" if st["ok"] else "failed",
                started_at=st["started"],
                finished_at=st["finished"],
                exit_code=st["returncode"],
                log_path=st["log_path"],
            )
        status = "completed" if payload["error_stage"] is None else "failed"
        if payload.get("cancelled"):
            status = "cancelled"
        creport = payload.get("creport_text")
        parsed = None
        if creport is not None:
            try:
                parsed = parse_creport(creport, payload["creport_path"])
            except WkpupError as exc:
                # A creport the stages left unreadable: the job is recorded, as failed.
                status = "failed"
                payload["error"] = payload["error"] or f"creport unreadable: {exc}"
                payload["error_stage"] = payload["error_stage"] or "srt"
        if parsed is not None:
            jobs.store_result(
                self.conn,
                job,
                parsed,
                status=status,
                error=payload["error"],
                error_stage=payload["error_stage"],
                backup_path=payload["backup_path"],
            )
            if payload["spec"]:
                jobs.record_specs(self.conn, job, {k: tuple(v) for k, v in payload["spec"].items()})
        else:
            jobs.finish_job(
                self.conn, job, status, error=payload["error"], error_stage=payload["error_stage"]
            )

    def close(self) -> None:
        # Items that started but never reported: the session is ending under them.
        for job in self.open.values():
            jobs.mark_interrupted(self.conn, job)
        self.open.clear()
        self.conn.close()


def configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return  # workers never write: the controller records their reports
    value = config.getoption("pvt_db") or config.getini("pvt_db")
    if not value or value == "none":
        return
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = config.rootpath / path
    config.pluginmanager.register(RecordPlugin(path), "wkpup-record")


class RecordPlugin:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.recorder: Recorder | None = None
        self.warnings: list[str] = []

    def _rec(self) -> Recorder:
        if self.recorder is None:
            self.recorder = Recorder(self.path)
        return self.recorder

    @pytest.hookimpl
    def pytest_runtest_logstart(self, nodeid: str, location) -> None:  # type: ignore[no-untyped-def]
        if "::" in nodeid and _is_pvt_location(nodeid):
            self._rec().start(nodeid)

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        if report.when == "teardown" and PROPERTY in props:
            try:
                self._rec().finish(report.nodeid, json.loads(props[PROPERTY]))
            except (WkpupError, sqlite3.Error) as exc:
                # Recording must never take the session down; say so and go on.
                self.warnings.append(f"{report.nodeid}: not recorded: {exc}")
        elif report.when == "teardown" and self.recorder and report.nodeid in self.recorder.open:
            # A scenario item that failed before its job existed (setup error): recorded as such.
            job = self.recorder.open.pop(report.nodeid)
            jobs.finish_job(
                self.recorder.conn, job, "failed", error="setup error", error_stage="setup"
            )

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.recorder is not None:
            self.recorder.close()

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter) -> None:  # type: ignore[no-untyped-def]
        if self.recorder is not None:
            terminalreporter.write_line(f"wkpup: jobs recorded in {self.path}")
        for warning in self.warnings:
            terminalreporter.write_line(f"wkpup: WARNING: {warning}", yellow=True)


def _is_pvt_location(nodeid: str) -> bool:
    """Scenario items are known jobs from their start; a Python test using the pvt fixtures
    is recorded when its report arrives (the controller cannot see its fixtures)."""
    return nodeid.split("::", 1)[0].endswith((".yaml", ".yml"))


# --- worker side: the payload -------------------------------------------------------------------
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if report.when != "teardown":
        return
    from plugins.stages import JOB_ATTR

    job = getattr(item, JOB_ATTR, None)
    if job is None:
        return
    report.user_properties.append((PROPERTY, json.dumps(payload(item, job))))


def payload(item: pytest.Item, job) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from plugins.pytest_wkpup import session_core
    from wkpup_harness.runner import newest_backup

    core = session_core(item.config)
    failed = job.failed_stage
    creport_path = job.creport_path
    return {
        "domain": job.spec.domain,
        "scenario": job.spec.scenario,
        "name": job.spec.name,
        "config_text": job.spec.config.to_text(),
        "core_path": str(core.root),
        "manifest_hash": manifest.digest(core.root),
        "simulator": job.spec.config.simulator,
        "simulator_version": simulators.version(job.spec.config.simulator),
        "work_path": str(job.workdir),
        "backup_path": str(newest_backup(job.workdir))
        if job.workdir.is_dir() and newest_backup(job.workdir)
        else None,
        "started": job.started,
        "finished": job.finished or time.time(),
        "stages": [
            {
                "stage": s.stage,
                "ok": s.ok,
                "returncode": s.returncode,
                "started": s.started,
                "finished": s.finished,
                "log_path": str(s.log_path),
            }
            for s in job.stages
        ],
        "error": job.failure_message().splitlines()[0] if job.failure_message() else None,
        "error_stage": failed.stage
        if failed is not None
        else ("setup" if job.setup_error else None),
        "cancelled": bool(failed is not None and failed.cancelled),
        "creport_path": str(creport_path),
        "creport_text": creport_path.read_text() if creport_path.is_file() else None,
        "spec": {
            name: [limit.bounds.min, limit.bounds.max] for name, limit in job.spec.spec.items()
        },
    }
