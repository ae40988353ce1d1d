"""What ``/proc`` tells about processes: the one reader for stage sessions, job tokens and
the liveness of a job's driver (Linux; callers fall back where it is absent)."""

from __future__ import annotations

import os
from collections.abc import Iterator


def pids() -> Iterator[int] | None:
    """Every pid in /proc, or None where there is no /proc."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    return (int(e) for e in entries if e.isdigit())


def stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name: state, ppid, pgrp, session, ...
    (index 19 is the start time); None when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            text = fh.read()
    except OSError:
        return None
    # The command name may contain spaces and ')': split after its last ')'.
    return text[text.rfind(b")") + 2 :].decode("ascii", "replace").split()


def live(fields: list[str] | None) -> bool:
    return fields is not None and bool(fields) and fields[0] not in ("Z", "X")


def environ(pid: int) -> list[bytes]:
    """The NUL-separated entries of /proc/<pid>/environ ([] when unreadable)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            return fh.read().split(b"\0")
    except OSError:
        return []
