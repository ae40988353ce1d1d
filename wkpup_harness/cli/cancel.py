"""``wkpup cancel <job>``: stop a queued or running job, whichever face started it.

The request goes through the store: the job's driver (a ``wkpup run``, a pytest worker, the
web server) sees it within a second, kills its simulations and records the job cancelled.
A driver that does not answer in ``--wait`` seconds (dead, stopped) is overruled: the job's
processes are killed here and the job is recorded cancelled.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from typing import Any

from wkpup_harness.cli import common
from wkpup_harness.engine.reaper import kill_job, kill_token, processes_with_token, reap
from wkpup_harness.store import jobs
from wkpup_harness.store.schema import TERMINAL_STATUSES, StoreError


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
    job = row["id"]
    status = jobs.request_cancel(conn, job)
    if status in TERMINAL_STATUSES:
        print(f"wkpup: job {job} is already {common.job_state(row)}; nothing to cancel")
        return common.EXIT_BAD
    deadline = time.monotonic() + max(args.wait, 0.0)
    while time.monotonic() < deadline:
        row = jobs.get_job(conn, job) or row
        if row["status"] in TERMINAL_STATUSES:
            break
        if row["status"] == "queued" or not jobs.process_alive(row["pid"], row["pid_start"]):
            break
        time.sleep(0.2)
    row = jobs.get_job(conn, job) or row
    if row["status"] not in TERMINAL_STATUSES:
        kill_job(row.get("token"), row.get("run_root"))
        with contextlib.suppress(StoreError):  # its driver may have finished it meanwhile
            jobs.finish_job(conn, job, "cancelled", error="cancelled", error_stage=row["stage"])
        row = jobs.get_job(conn, job) or row
    left = processes_with_token(row["token"]) if row.get("token") else []
    if left:
        kill_token(row["token"])
    common.say(args, f"job {job}: {common.job_state(row)}")
    return common.EXIT_OK if row["status"] == "cancelled" else common.EXIT_BAD
