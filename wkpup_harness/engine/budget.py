"""The machine-wide CPU budget: at most N simulations at once on this machine, whichever
face (pytest worker, ``wkpup run``, the web server) started them.

A budget is a directory of lock files ``slot.0 .. slot.<N-1>``; a simulation holds one
``flock`` on one of them while it runs. The reference core's own run stage takes the same
slots (``PAIHO_SLOT_DIR``/``PAIHO_SLOTS``, stages/run.sh), so a bare core run started by the
harness and the engine's point executor share one budget too. Locks die with their holder:
a killed process never leaks a slot.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from wkpup_harness.errors import WkpupError

POLL_S = 0.02


class Cancelled(WkpupError):
    """The wait for a slot was cancelled."""


@dataclass(frozen=True)
class Budget:
    slots: int
    slot_dir: Path

    def __post_init__(self) -> None:
        if isinstance(self.slots, bool) or not isinstance(self.slots, int) or self.slots < 1:
            raise WkpupError(f"CPU budget {self.slots!r}: expected a whole number >= 1")

    def env(self) -> dict[str, str]:
        """What the core's own stages read: the same slots, and a job may use them all."""
        return {
            "PAIHO_SLOT_DIR": str(self.slot_dir),
            "PAIHO_SLOTS": str(self.slots),
            "PAIHO_JOBS": str(self.slots),
        }

    def _ensure_dir(self) -> None:
        self.slot_dir.mkdir(mode=0o700, parents=True, exist_ok=True)

    @contextmanager
    def slot(self, cancel: threading.Event | None = None) -> Iterator[int]:
        """Hold one slot for the ``with`` body; raises Cancelled if ``cancel`` is set while
        waiting."""
        self._ensure_dir()
        while True:
            for i in range(self.slots):
                fd = os.open(
                    self.slot_dir / f"slot.{i}", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600
                )
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    os.close(fd)
                    continue
                try:
                    yield i
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    os.close(fd)
                return
            if cancel is not None and cancel.is_set():
                raise Cancelled("cancelled while waiting for a CPU slot")
            time.sleep(POLL_S)


def busy_slots(budget: Budget) -> int:
    """How many of the budget's slots are held right now (by any process on this machine)."""
    busy = 0
    for i in range(budget.slots):
        path = budget.slot_dir / f"slot.{i}"
        if not path.exists():
            continue
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            busy += 1
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    return busy
