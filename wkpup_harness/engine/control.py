"""Controlling recorded jobs from any face: cancel through the store, and what a resume
needs (is the job resumable, its JobSpec rebuilt from its own run directory).

``wkpup cancel`` / ``wkpup resume`` and the web server's cancel and resume call these.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

from wkpup_harness.config import read_config
from wkpup_harness.config.scenario import JobSpec
from wkpup_harness.config.tables import CoreTables
from wkpup_harness.engine.job import JobError
from wkpup_harness.engine.reaper import kill_job, kill_token, processes_with_token, reap
from wkpup_harness.results.spec import parse_spec
from wkpup_harness.store import jobs
from wkpup_harness.store.db import Connection
from wkpup_harness.store.schema import TERMINAL_STATUSES, StoreError

CANCEL_POLL_S = 0.2


class NotResumable(JobError):
    """A job that cannot be resumed (completed, running, imported, backed up)."""


class RunDirGone(JobError):
    """A job whose run directory no longer exists."""


def cancel(conn: Connection, job: int, wait: float = 15.0) -> tuple[dict[str, Any], bool]:
    """Cancel a queued or running job, whichever face started it: a request in the store
    that the job's driver sees within a second (it kills its simulations and records the
    job cancelled); a driver that does not answer in ``wait`` seconds, or a queued job, is
    overruled: the job's processes are killed here and the job is recorded cancelled.
    Returns (the job row afterwards, whether it had already ended)."""
    reap(conn)
    row = jobs.get_job(conn, job)
    if row is None:
        raise StoreError(f"no job {job}")
    status = jobs.request_cancel(conn, job)
    if status in TERMINAL_STATUSES:
        return row, True
    deadline = time.monotonic() + max(wait, 0.0)
    while time.monotonic() < deadline:
        row = jobs.get_job(conn, job) or row
        if row["status"] in TERMINAL_STATUSES:
            break
        if row["status"] == "queued" or not jobs.process_alive(row["pid"], row["pid_start"]):
            break
        time.sleep(CANCEL_POLL_S)
    row = jobs.get_job(conn, job) or row
    if row["status"] not in TERMINAL_STATUSES:
        # its local processes and, on Slurm, its recorded arrays
        kill_job(row.get("token"), row.get("run_root"))
        with contextlib.suppress(StoreError):  # its driver may have finished it meanwhile
            jobs.finish_job(conn, job, "cancelled", error="cancelled", error_stage=row["stage"])
        row = jobs.get_job(conn, job) or row
    if row.get("token") and processes_with_token(row["token"]):
        kill_token(row["token"])
    return row, False


def check_resumable(row: dict[str, Any]) -> None:
    """Refuse what cannot be resumed, with the reason."""
    job = row["id"]
    if row["status"] == "completed":
        raise NotResumable(f"job {job} is completed; nothing to resume")
    if row["status"] in ("running", "queued"):
        raise NotResumable(f"job {job} is {row['status']} (pid {row['pid']} on {row['host']})")
    if not row.get("run_root") or not row.get("work_path"):
        raise NotResumable(f"job {job} was not run by the engine (imported?); cannot resume")
    work = Path(row["work_path"])
    root = Path(row["run_root"])
    # A row whose domain copy lies outside its own run root is not one the engine wrote:
    # resuming it would run the core in a directory nobody chose.
    if not work.resolve().is_relative_to(root.resolve()):
        raise NotResumable(f"job {job}: its work directory {work} is outside its run root {root}")
    if not (work / "config.cfg").is_file():
        raise RunDirGone(f"job {job}: its run directory {work} is gone")
    if row.get("backup_path"):
        raise NotResumable(f"job {job} already wrote its backup {row['backup_path']}")


def resume_spec(row: dict[str, Any], tables: CoreTables) -> JobSpec:
    """The JobSpec of a recorded job, from the config in its own run directory, judged by
    the limits recorded with it (the domain's and its scenario's, as when it started)."""
    work = Path(row["work_path"])
    config = read_config(work / "config.cfg", tables=tables)
    corners = tuple(json.loads(row["corners"])) if row.get("corners") else None
    temps = tuple(json.loads(row["temperatures"])) if row.get("temperatures") else None
    return JobSpec(
        scenario=row["scenario"] or "cli",
        name=row["name"] or "",
        domain=row["domain"],
        domain_dir=work,
        config=config,
        overrides={},
        corners=corners,
        temperatures=temps,
        spec=parse_spec(json.loads(row["spec_json"])) if row.get("spec_json") else {},
        golden=False,
        marks=(),
        source=work / "config.cfg",
    )
