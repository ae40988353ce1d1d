"""``wkpup cancel <job>``: stop a queued or running job, whichever face started it.

The request goes through the store: the job's driver (a ``wkpup run``, a pytest worker, the
web server) sees it within a second, kills its simulations and records the job cancelled.
A driver that does not answer in ``--wait`` seconds (dead, stopped) is overruled: the job's
processes are killed here and the job is recorded cancelled.
"""

from __future__ import annotations

import argparse
from typing import Any

from wkpup_harness.cli import common
from wkpup_harness.engine import service
from wkpup_harness.engine.reaper import reap


def add_parser(subs: Any, parent: argparse.ArgumentParser) -> None:
    p = subs.add_parser(
        "cancel",
        parents=[parent],
        help="cancel a queued or running job (any face)",
        description="Cancel a job and kill its simulations. Exit 0 when it ended cancelled, "
        "1 when it had already ended.",
    )
    p.add_argument("job", help="job id")
    p.add_argument(
        "--wait", type=float, default=15.0, metavar="S", help="seconds to wait for its driver"
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    conn = common.open_store(args)
    reap(conn)
    row = common.require_job(conn, args.job)
    row, ended = service.cancel(conn, row["id"], args.wait)
    if ended:
        print(f"wkpup: job {row['id']} is already {common.job_state(row)}; nothing to cancel")
        return common.EXIT_BAD
    common.say(args, f"job {row['id']}: {common.job_state(row)}")
    return common.EXIT_OK if row["status"] == "cancelled" else common.EXIT_BAD
