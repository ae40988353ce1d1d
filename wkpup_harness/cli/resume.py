"""``wkpup resume <job>``: finish a failed, cancelled or interrupted job where it stopped.

Only the points without a complete result (killed, failed, never started) are simulated
again, then ext, srt and bkp: the creport equals that of an uninterrupted run, and the store
keeps one job, its resumes counted, each point once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from wkpup_harness.cli import common
from wkpup_harness.cli.run import Progress, add_engine_options, drive, recorder
from wkpup_harness.config.scenario import JobSpec
from wkpup_harness.core import guard, locate_core
from wkpup_harness.engine import PIPELINE, Job, control
from wkpup_harness.engine.reaper import reap


def add_parser(subs: Any, parent: argparse.ArgumentParser) -> None:
    p = subs.add_parser(
        "resume",
        parents=[parent],
        help="finish a failed, cancelled or interrupted job",
        description="Rerun only the points of a job without a complete result, then ext, "
        "srt and bkp, in the job's own run directory. Exit 0 when the job completed, 1 "
        "otherwise, 130 on Ctrl-C.",
    )
    p.add_argument("job", help="job id")
    add_engine_options(p)
    p.add_argument("--core", metavar="PATH", help="core to drive (default: embedded)")
    p.set_defaults(func=main)


def resumable(conn: Any, row: dict[str, Any]) -> None:
    """Refuse what cannot be resumed, with the reason (``control.check_resumable``)."""
    try:
        control.check_resumable(row)
    except control.RunDirGone as exc:
        raise common.NotFound(str(exc)) from None
    except control.NotResumable as exc:
        raise common.UsageError(str(exc)) from None


def spec_of(row: dict[str, Any], tables: Any) -> JobSpec:
    return control.resume_spec(row, tables)


def main(args: argparse.Namespace) -> int:
    settings = common.settings(args)
    conn = common.open_store(args)
    reap(conn)
    row = common.require_job(conn, args.job)
    resumable(conn, row)
    core = locate_core(settings.core)
    guard(core)
    spec = spec_of(row, core.tables())
    job = Job(
        spec,
        settings,
        core,
        face=row.get("face") or "cli",
        recorder=recorder(settings),
        listeners=[Progress(sys.stderr, args)],
        workdir_root=Path(row["run_root"]),
        id=row["id"],
        resuming=True,
        check_core=False,
    )
    job.open()
    planned = tuple(s for s in (row.get("stages_planned") or "").split(",") if s)
    job.plan_resume(planned or PIPELINE)
    common.say(args, f"job {job.id}: resuming {spec.domain} in {job.workdir}")
    return drive(job, args, judge=True)
