"""The local executor: the job's points on this machine, at most ``cpus`` at once machine-wide
(each simulation holds a slot of the budget).

No process per point beyond the core's own: each executor thread keeps one long-lived bash
(``PointShell``, started at its first point, ended with the stage) and runs every point of
its thread in a forked subshell of it, as the core's own run stage does (stages/run.sh:
``(. run_point.sh <args>)``, no new bash per point). The shell runs with job control, so
each point's subshell is a process group of its own: a timeout or a cancel kills the
point's whole group (SIGTERM, SIGKILL after a grace), and a point that ended by itself
costs one ``killpg(…, 0)`` to see that nothing of it is left, no ``/proc`` scan. Each
attempt's output is appended to the point's log, as before. The shells carry the job's
environment (its token included: cancel and the watchdog find everything by it).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING

from wkpup_harness.core.stage import pidfd_open, reap, wait_exit
from wkpup_harness.engine.budget import Cancelled
from wkpup_harness.points import Point
from wkpup_harness.results.runlog import PointResult

if TYPE_CHECKING:
    from wkpup_harness.engine.points import PointJob

POLL_S = 0.1
STOP_GRACE_S = 2.0  # SIGTERM -> SIGKILL of a point stopped by a timeout or a cancel
LEFTOVER_GRACE_S = 1.0  # the same for what a finished point left running in its group
WINDOW_PER_SLOT = 2  # points handed to the pool per CPU slot at a time

# The point shell: reads requests (NUL-separated: log path, argument count, arguments),
# runs each in a subshell (its own process group: `set -m`) with stdin from /dev/null and
# output appended to the log, and answers `pid <pid>` at its start and `rc <status>` at its
# end. `bash <script> <args>` is sourced into the subshell, as the core's run stage runs
# run_point.sh; anything else is exec'd. Its own variables are unset before the point runs.
SHELL = r"""
set -m
while IFS= read -r -d '' __wk_log && IFS= read -r -d '' __wk_n; do
    __wk_argv=()
    while [ "${#__wk_argv[@]}" -lt "$__wk_n" ]; do
        IFS= read -r -d '' __wk_a || exit 0
        __wk_argv+=("$__wk_a")
    done
    if [ "${__wk_argv[0]}" = bash ] && [ "${#__wk_argv[@]}" -ge 2 ]; then
        (set -- "${__wk_argv[@]:1}"; unset -v __wk_log __wk_n __wk_a __wk_argv; . "$@") \
            < /dev/null >> "$__wk_log" 2>&1 &
    else
        (exec "${__wk_argv[@]}") < /dev/null >> "$__wk_log" 2>&1 &
    fi
    __wk_pid=$!
    printf 'pid %d\n' "$__wk_pid"
    wait "$__wk_pid"
    printf 'rc %d\n' "$?"
done
"""


class PointShell:
    """One executor thread's bash: runs one point at a time, each in a forked subshell."""

    def __init__(self, job: PointJob) -> None:
        self.proc = subprocess.Popen(
            ["bash", "-c", SHELL, "wkpup-points"],
            cwd=job.workdir,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=job.point_env(),
            start_new_session=True,  # Ctrl-C in the terminal is the driver's to handle
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in = self.proc.stdin
        self._out = os.dup(self.proc.stdout.fileno())
        self.proc.stdout.close()
        self._buf = b""
        self.broken = False

    def start(self, log: Path, argv: Sequence[str]) -> int | None:
        """Start one point; its pid (= its process group), None if the shell is gone."""
        fields = [str(log), str(len(argv)), *argv]
        try:
            self._in.write(b"".join(os.fsencode(f) + b"\0" for f in fields))
            self._in.flush()
        except OSError:
            self.broken = True
            return None
        line = self.reply(None)
        if line is None or not line.startswith("pid "):
            self.broken = True
            return None
        return int(line[4:])

    def reply(self, timeout: float | None) -> str | None:
        """The shell's next line within ``timeout`` seconds ('' when none came yet); None
        once the shell is gone."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            ready, _, _ = select.select([self._out], [], [], left)
            if not ready:
                return ""
            chunk = os.read(self._out, 4096)
            if not chunk:
                self.broken = True
                return None
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line.decode()

    def status(self, timeout: float | None) -> int | str | None:
        """The running point's exit status; '' while it runs; None if the shell is gone."""
        line = self.reply(timeout)
        if line is None or line == "":
            return line
        if not line.startswith("rc "):
            self.broken = True
            return None
        return int(line[3:])

    def close(self, job: PointJob) -> None:
        """End the shell (it reads EOF) and count its usage: every point it ran."""
        with contextlib.suppress(OSError):
            self._in.close()
        if self.broken:  # it may be stuck on a point: it goes with its group
            _signal_group(self.proc.pid, signal.SIGKILL)
        pidfd = pidfd_open(self.proc.pid)
        try:
            if not wait_exit(self.proc, pidfd, 10.0):
                self.proc.kill()
        finally:
            if pidfd is not None:
                os.close(pidfd)
        os.close(self._out)
        job.add_usage(reap(self.proc))


def _signal_group(pgid: int, sig: int) -> bool:
    """Signal a process group; False when it has no member left."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _group_alive(pgid: int) -> bool:
    return _signal_group(pgid, 0)


def _end_group(pgid: int, grace: float) -> None:
    """SIGTERM what is left of a finished point's group, SIGKILL it after ``grace``. The group
    id cannot be reused while it has a member."""
    if not _signal_group(pgid, signal.SIGTERM):
        return
    deadline = time.monotonic() + grace
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    _signal_group(pgid, signal.SIGKILL)


class ShellPool:
    """The point shells of one run stage: one per executor thread at a time."""

    def __init__(self, job: PointJob) -> None:
        self.job = job
        self._idle: list[PointShell] = []
        self._all: list[PointShell] = []
        self._lock = threading.Lock()

    def take(self) -> PointShell:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        shell = PointShell(self.job)
        with self._lock:
            self._all.append(shell)
        return shell

    def give(self, shell: PointShell) -> None:
        if shell.broken:
            return
        with self._lock:
            self._idle.append(shell)

    def close(self) -> None:
        with self._lock:
            shells, self._all, self._idle = self._all, [], []
        for shell in shells:
            shell.close(self.job)


class LocalExecutor:
    name = "local"

    def simulate(self, job: PointJob, points: Sequence[Point], deadline: float | None) -> bool:
        timed_out = False
        shells = ShellPool(job)
        try:
            with ThreadPoolExecutor(max_workers=job.budget.slots, thread_name_prefix="pvt") as pool:
                # A window of points in flight, refilled as they finish: the controller's
                # memory and each wait() stay flat in the job's size (docs/scale.md). After a
                # cancel the rest still pass through, and come back cancelled at once.
                todo = iter(points)
                window = WINDOW_PER_SLOT * job.budget.slots
                pending: set[Future[PointResult]] = set()

                def refill() -> None:
                    for p in itertools.islice(todo, max(window - len(pending), 0)):
                        pending.add(pool.submit(self._point, job, p, shells))

                refill()
                try:
                    while pending:
                        done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                        for fut in done:
                            job.book(fut.result())
                        refill()
                        if deadline is not None and time.monotonic() >= deadline and not timed_out:
                            timed_out = True
                            job.stop_for_timeout()
                except BaseException:
                    job.cancel()  # the pool's threads kill their simulations and return
                    raise
        finally:
            shells.close()
        return timed_out

    def _point(self, job: PointJob, point: Point, shells: ShellPool) -> PointResult:
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
                    rc, timed_out = self._exec(job, point, shells)
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

    def _exec(self, job: PointJob, point: Point, shells: ShellPool) -> tuple[int, bool]:
        """(exit code, timed out) of one attempt, run by a point shell of this thread."""
        log = job.point_output(point)
        open(log, "ab").close()  # an unwritable log fails here, as a Popen's would
        shell = shells.take()
        try:
            return self._attempt(job, shell, log, job.point_command(point))
        except BaseException:
            shell.broken = True
            raise
        finally:
            shells.give(shell)

    def _attempt(
        self, job: PointJob, shell: PointShell, log: Path, argv: Sequence[str]
    ) -> tuple[int, bool]:
        pid = shell.start(log, argv)
        if pid is None:
            return -1, False
        timed_out = False
        limit = job.settings.sim_timeout
        t0 = time.monotonic()
        try:
            while (rc := shell.status(POLL_S)) == "":
                if job.cancelled:
                    break
                if limit is not None and time.monotonic() - t0 >= limit:
                    timed_out = True
                    break
            if rc == "":  # stopped: the point's whole group goes, then its status
                rc = self._stop(shell, pid)
            if rc is None:  # the shell is gone: so is the point
                _signal_group(pid, signal.SIGKILL)
            elif _group_alive(pid):  # done, but something of it is left
                _end_group(pid, LEFTOVER_GRACE_S)
        except BaseException:
            _signal_group(pid, signal.SIGKILL)
            raise
        return (rc if isinstance(rc, int) else -1), timed_out

    @staticmethod
    def _stop(shell: PointShell, pid: int) -> int | str | None:
        """SIGTERM the point's group, SIGKILL it after the grace; its exit status."""
        _signal_group(pid, signal.SIGTERM)
        rc = shell.status(STOP_GRACE_S)
        _signal_group(pid, signal.SIGKILL)
        if rc == "":
            rc = shell.status(STOP_GRACE_S)
            if rc == "":
                shell.broken = True  # the shell does not answer: it is ended with the stage
        return rc
