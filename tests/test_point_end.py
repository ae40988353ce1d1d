"""A point's process that exited by itself (issue 21): reaped without a /proc scan when
nothing of it is left, and whatever it left behind in its process group still killed."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from wkpup_harness.core import procs
from wkpup_harness.core.stage import end_session, pidfd_open, wait_exit


def start(script: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["bash", "-c", script], start_new_session=True,
                            stdin=subprocess.DEVNULL)  # fmt: skip


def exited(proc: subprocess.Popen[bytes]) -> None:
    fd = pidfd_open(proc.pid)
    try:
        assert wait_exit(proc, fd, 30)
    finally:
        if fd is not None:
            os.close(fd)


def test_a_clean_exit_is_reaped_without_scanning_proc(monkeypatch: pytest.MonkeyPatch) -> None:
    proc = start("exit 3")
    exited(proc)

    def no_scan() -> None:
        raise AssertionError("/proc scanned for a point that left nothing behind")

    monkeypatch.setattr(procs, "pids", no_scan)
    usage = end_session(proc, 1.0)
    assert proc.returncode == 3
    assert usage is not None and usage.cpu_s >= 0


def test_what_a_point_left_running_is_killed(tmp_path: Path) -> None:
    pidfile = tmp_path / "bg.pid"
    proc = start(f"sleep 300 & echo $! > {pidfile}; exit 0")
    exited(proc)
    bg = int(pidfile.read_text())
    assert procs.live(procs.stat(bg))  # the straggler runs after its point ended
    end_session(proc, 1.0)
    assert proc.returncode == 0
    deadline = time.monotonic() + 10
    while procs.live(procs.stat(bg)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not procs.live(procs.stat(bg))
