"""``wkpup resume <job>``: finish a failed, cancelled or interrupted job where it stopped.

Only the points without a complete result (killed, failed, never started) are simulated
again, then ext, srt and bkp: the creport equals that of an uninterrupted run, and the store
keeps one job, its resumes counted, each point once.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from wkpup_harness.cli import common
from wkpup_harness.cli.run import Progress, add_engine_options, drive, recorder
from wkpup_harness.core import guard, locate_core
from wkpup_harness.engine import control, service
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


def main(args: argparse.Namespace) -> int:
    settings = common.settings(args)
    conn = common.open_store(args)
    reap(conn)
    row = common.require_job(conn, args.job)
    resumable(conn, row)
    core = locate_core(settings.core)
    guard(core)
    # Judged as an uninterrupted run: its recorded limits, a scenario job's golden.
    job = service.resume(
        row, settings, core, recorder=recorder(settings), listeners=[Progress(sys.stderr, args)]
    )
    common.say(args, f"job {job.id}: resuming {job.spec.domain} in {job.workdir}")
    return drive(job, args, judge=True)
