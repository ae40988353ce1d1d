"""No simulation outlives the job that started it.

Every process the engine starts for a job (core stages, point simulations and whatever they
start: ngspice, perl, ...) carries ``WKPUP_JOB_TOKEN=<token>`` in its environment. Processes
are found by that mark in ``/proc/<pid>/environ``, whatever session or parent they have, so:

- ``kill_token(token)`` ends all of a job's processes (cancel, or a reaper after a crash);
- a watchdog process per running job (``python -m wkpup_harness.engine.reaper``) holds the
  read end of a pipe whose only writer is the driver; when the driver dies (``kill -9``),
  the pipe closes, and the watchdog kills the job's processes at once and marks the job
  interrupted in the store. A driver that ends normally writes ``done`` first.

On Slurm the simulations run under slurmd, not on this machine: ``kill_job`` (the watchdog,
``reap`` and ``wkpup cancel`` of a dead driver) also ``scancel``s the arrays the job's run
directory records (``<run root>/slurm/arrays``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from wkpup_harness.core import procs

# (The store and Slurm are imported where they are used: the watchdog process, started per
# job, reads "done" and exits without needing either, so it starts in a few milliseconds.)

TOKEN_ENV = "WKPUP_JOB_TOKEN"
GRACE_S = 2.0


def processes_with_token(token: str) -> list[int]:
    """PIDs of live processes of this user whose environment carries the token."""
    mark = f"{TOKEN_ENV}={token}".encode()
    me = os.getpid()
    return [
        pid
        for pid in procs.pids() or ()
        if pid != me and mark in procs.environ(pid) and procs.live(procs.stat(pid))
    ]


def kill_token(token: str | None, grace: float = GRACE_S) -> int:
    """SIGTERM every process of the job, SIGKILL what is left after ``grace`` seconds.
    Returns how many processes were signalled."""
    if not token:
        return 0
    pids = processes_with_token(token)
    signalled = len(pids)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while pids and time.monotonic() < deadline:
        time.sleep(0.05)
        pids = processes_with_token(token)
    for pid in processes_with_token(token):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return signalled


class Watchdog:
    """The driver's side: start the watchdog, tell it ``done`` when the job ends."""

    def __init__(
        self, token: str, db: Path | None, job: int | None, run_root: Path | None = None
    ) -> None:
        cmd = [sys.executable, "-m", "wkpup_harness.engine.reaper", "--token", token]
        if run_root is not None:
            cmd += ["--run-root", str(run_root)]
        if db is not None and job is not None:
            cmd += ["--db", str(db), "--job", str(job), "--driver", str(os.getpid())]
        env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # Ctrl-C in the terminal is the driver's to handle
        )

    def close(self) -> None:
        if self.proc.stdin is None or self.proc.stdin.closed:
            return
        try:
            self.proc.stdin.write(b"done\n")
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def kill_job(token: str | None, run_root: str | Path | None, grace: float = GRACE_S) -> int:
    """kill_token, and scancel the Slurm arrays the job's run directory records
    (``<run root>/slurm/arrays``): its simulations run under slurmd, not under the driver."""
    signalled = kill_token(token, grace)
    if run_root and (Path(run_root) / "slurm" / "arrays").is_file():
        from wkpup_harness.engine.slurm import scancel_recorded

        scancel_recorded(run_root)
    return signalled


def reap(conn: Any) -> list[int]:
    """Jobs of this host whose driver is gone: marked interrupted in the store (never
    completed), and whatever they left running killed. Every harness command calls this."""
    from wkpup_harness.store import enginequeries, jobs

    dead = jobs.reap_interrupted(conn)
    for job in dead:
        found = enginequeries.token_and_root(conn, job)
        if found is not None:
            kill_job(*found)
    return dead


def _mark_interrupted(db: str, job: int, driver: int) -> None:
    from wkpup_harness.store import db as store_db
    from wkpup_harness.store import jobs

    if jobs.process_alive(driver):
        return
    conn = store_db.connect(db)
    try:
        jobs.mark_interrupted(conn, job)
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="wkpup-watchdog")
    p.add_argument("--token", required=True)
    p.add_argument("--db")
    p.add_argument("--job", type=int)
    p.add_argument("--driver", type=int)
    p.add_argument("--run-root")
    args = p.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    data = b""
    while True:
        try:
            chunk = os.read(0, 64)
        except InterruptedError:
            continue
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    if b"done" in data:
        return 0
    # The driver died without saying done: its simulations go with it.
    kill_job(args.token, args.run_root)
    if args.db and args.job is not None and args.driver is not None:
        try:
            _mark_interrupted(args.db, args.job, args.driver)
        except Exception:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
