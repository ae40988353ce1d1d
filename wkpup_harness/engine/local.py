"""The local executor: the job's points on this machine, at most ``cpus`` at once machine-wide
(each simulation holds a slot of the budget), each in its own process session so a timeout or
a cancel kills all of it."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

from wkpup_harness.core.stage import end_session, kill_session, pidfd_open, wait_exit
from wkpup_harness.engine.budget import Cancelled
from wkpup_harness.points import Point
from wkpup_harness.results.runlog import PointResult

if TYPE_CHECKING:
    from wkpup_harness.engine.points import PointJob

POLL_S = 0.1


class LocalExecutor:
    name = "local"

    def simulate(self, job: PointJob, points: Sequence[Point], deadline: float | None) -> bool:
        timed_out = False
        with ThreadPoolExecutor(max_workers=job.budget.slots, thread_name_prefix="pvt") as pool:
            pending: set[Future[PointResult]] = {pool.submit(self._point, job, p) for p in points}
            try:
                while pending:
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    for fut in done:
                        job.book(fut.result())
                    if deadline is not None and time.monotonic() >= deadline and not timed_out:
                        timed_out = True
                        job.stop_for_timeout()
            except BaseException:
                job.cancel()  # the pool's threads kill their simulations and return
                raise
        return timed_out

    def _point(self, job: PointJob, point: Point) -> PointResult:
        """One point, retried up to ``retries`` times, under the budget."""
        started = time.time()
        t0 = time.monotonic()
        reason = "cancelled"
        attempts = 0
        job.point_output(point).parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(1 + job.settings.retries):
            if job.cancelled:
                break
            attempts = attempt + 1
            try:
                with job.budget.slot(job.cancel_event):
                    if job.cancelled:
                        break
                    rc, timed_out = self._exec(job, point)
            except Cancelled:
                break
            if rc == 0 and not timed_out:
                return PointResult(
                    point, True, "", attempts, time.monotonic() - t0, started, time.time()
                )
            if job.cancelled:
                reason = job.stop_reason()
                break
            if timed_out:
                reason = f"timeout {job.settings.sim_timeout:g}s"
            else:
                reason = job.failure_reason(point, rc)
            if attempt < job.settings.retries and not job.cancelled:
                job.retrying(point, attempts, reason)
        return PointResult(
            point, False, reason, attempts, time.monotonic() - t0, started, time.time()
        )

    def _exec(self, job: PointJob, point: Point) -> tuple[int, bool]:
        """(exit code, timed out) of one attempt."""
        with open(job.point_output(point), "ab") as out:
            proc = subprocess.Popen(
                job.point_command(point),
                cwd=job.workdir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=job.point_env(),
                start_new_session=True,
            )
        pidfd = pidfd_open(proc.pid)
        timed_out = False
        limit = job.settings.sim_timeout
        t0 = time.monotonic()
        try:
            while not (exited := wait_exit(proc, pidfd, POLL_S)):
                if job.cancelled:
                    break
                if limit is not None and time.monotonic() - t0 >= limit:
                    timed_out = True
                    break
            if exited:  # done by itself: no /proc scan unless something of it is left
                job.add_usage(end_session(proc, 1.0))
            else:
                job.add_usage(kill_session(proc, 2.0))
        except BaseException:
            kill_session(proc, 2.0)
            raise
        finally:
            if pidfd is not None:
                os.close(pidfd)
        return proc.returncode if proc.returncode is not None else -1, timed_out
