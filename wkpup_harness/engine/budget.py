"""The machine-wide CPU budget: at most N simulations at once on this machine, whichever
face (pytest worker, ``wkpup run``, the web server) started them.

A budget is a directory of lock files ``slot.0 .. slot.<N-1>``; a simulation holds one
``flock`` on one of them while it runs. The reference core's own run stage takes the same
slots (``PAIHO_SLOT_DIR``/``PAIHO_SLOTS``, stages/run.sh), so a bare core run started by the
harness and the engine's point executor share one budget too. Locks die with their holder:
a killed process never leaks a slot.

Waiting costs no CPU: waiters queue like the core's run stage does (``queue``, a lock file
beside the slots, taken blocking): only the head of the queue looks for a free slot, every
other waiter sleeps in the kernel (a lock of its process, then a blocking ``flock``).
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

POLL_S = 0.01  # the queue's head tries the slots at this pace (one process machine-wide)
WAKE_S = 0.25  # a waiter behind the head sleeps, waking this often only to see a cancel
QUEUE = "queue"


class Cancelled(WkpupError):
    """The wait for a slot was cancelled."""


# One turnstile per slot directory and process: only one thread of a process queues on the
# machine-wide lock file, the others sleep on this lock.
_turnstiles: dict[Path, threading.Lock] = {}
_turnstiles_lock = threading.Lock()


def _forget_turnstiles() -> None:
    """In a forked child: the parent's turnstiles may be held by threads it does not have."""
    global _turnstiles_lock
    _turnstiles.clear()
    _turnstiles_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_turnstiles)


def _turnstile(slot_dir: Path) -> threading.Lock:
    with _turnstiles_lock:
        return _turnstiles.setdefault(slot_dir, threading.Lock())


def _open(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _cancelled(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("cancelled while waiting for a CPU slot")


def _wait_local(lock: threading.Lock, cancel: threading.Event | None) -> None:
    """Take the process's turnstile, sleeping (no polling) until it is free or cancelled."""
    while not lock.acquire(timeout=WAKE_S):
        _cancelled(cancel)


def _lock_queue(path: Path, cancel: threading.Event | None) -> int:
    """A descriptor holding the machine-wide queue lock (the core's stages/run.sh queues on
    the same file). A blocking flock in a helper thread: the waiter sleeps until the lock is
    its own or it is cancelled; a cancelled waiter's helper lets the lock go once it has it."""
    fd = _open(path)
    if _try_lock(fd):
        return fd
    os.close(fd)
    got = threading.Event()
    guard = threading.Lock()
    state: dict[str, int | bool] = {"abandoned": False}

    def take() -> None:
        mine = _open(path)
        fcntl.flock(mine, fcntl.LOCK_EX)
        with guard:
            if state["abandoned"]:
                os.close(mine)  # releases the lock
                return
            state["fd"] = mine
            got.set()  # under the guard: a cancel either sees it or abandons before it

    threading.Thread(target=take, name="budget-queue", daemon=True).start()
    while not got.wait(WAKE_S):
        if cancel is not None and cancel.is_set():
            with guard:
                if not got.is_set():
                    state["abandoned"] = True
                    _cancelled(cancel)
            break
    with guard:
        return int(state["fd"])


def _take_slot(slot_dir: Path, slots: int, cancel: threading.Event | None) -> tuple[int, int]:
    """(index, descriptor) of a free slot, the lowest, taken by the head of the queue; a slot
    file is created when first tried. ``cancel`` counts only once every slot was busy."""
    fds: dict[int, int] = {}
    try:
        while True:
            for i in range(slots):
                if i not in fds:
                    fds[i] = _open(slot_dir / f"slot.{i}")
                if _try_lock(fds[i]):
                    return i, fds.pop(i)
            _cancelled(cancel)
            time.sleep(POLL_S)
    finally:
        for fd in fds.values():
            os.close(fd)


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
        waiting. Waiters queue as the core's run stage does: one thread per process behind
        a turnstile, one process machine-wide on the ``queue`` lock file, and only that head
        of the queue looks for a free slot; everyone behind it sleeps."""
        self._ensure_dir()
        local = _turnstile(self.slot_dir)
        _wait_local(local, cancel)
        try:
            queue = _lock_queue(self.slot_dir / QUEUE, cancel)
            try:
                i, fd = _take_slot(self.slot_dir, self.slots, cancel)
            finally:
                os.close(queue)
        finally:
            local.release()
        try:
            yield i
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


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
