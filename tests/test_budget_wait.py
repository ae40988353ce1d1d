"""The budget's waiters sleep (issue 21): behind the head of the queue a waiter costs no CPU,
the slots are still never oversubscribed, and a cancelled waiter leaves the queue at once
without keeping a lock. Real processes, real flocks; no timing of the machine is asserted
beyond "asleep" (CPU time, which load does not inflate)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from wkpup_harness.engine.budget import Budget, Cancelled

WAITER = """
import sys, threading, time
from pathlib import Path
from wkpup_harness.engine.budget import Budget
budget = Budget(int(sys.argv[3]), Path(sys.argv[1]))
threads = int(sys.argv[2])
def wait():
    with budget.slot():
        pass
for _ in range(threads):
    threading.Thread(target=wait, daemon=True).start()
time.sleep(0.5)  # every thread is queued by now
c0 = time.process_time()
time.sleep(1.0)
print(f"{time.process_time() - c0:.6f}", flush=True)
sys.stdin.read()  # wait to be told to go (then the slots are free)
"""


def hold_all(slot_dir: Path, n: int) -> list[int]:
    slot_dir.mkdir(parents=True, exist_ok=True)
    fds = []
    for i in range(n):
        fd = os.open(slot_dir / f"slot.{i}", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        fds.append(fd)
    return fds


def queue_held(slot_dir: Path) -> bool:
    fd = os.open(slot_dir / "queue", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def waiter(slot_dir: Path, threads: int, slots: int = 2) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WAITER, str(slot_dir), str(threads), str(slots)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_waiters_behind_the_head_of_the_queue_use_no_cpu(tmp_path: Path) -> None:
    slots = tmp_path / "slots"
    held = hold_all(slots, 2)
    head = waiter(slots, 1)
    deadline = time.monotonic() + 30
    while not queue_held(slots):  # the head has queued (and now looks for a slot)
        assert time.monotonic() < deadline, "the first waiter never queued"
        time.sleep(0.05)
    behind = waiter(slots, 8)  # eight threads, beyond the budget and behind the head
    try:
        cpu = float(behind.stdout.readline())
        head_cpu = float(head.stdout.readline())
        # Polling every slot every 20 ms (the old waiters) cost 8 threads ~20 ms a second;
        # asleep they cost nothing measurable. The head alone looks, at a bounded pace.
        assert cpu < 0.003, f"{cpu * 1000:.1f} ms of CPU in 1 s of waiting"
        assert head_cpu < 0.05, f"head: {head_cpu * 1000:.1f} ms of CPU in 1 s"
        for fd in held:
            os.close(fd)  # the slots free up: every waiter gets one in turn
        held = []
        for p in (head, behind):
            p.stdin.close()
            assert p.wait(timeout=60) == 0
    finally:
        for fd in held:
            os.close(fd)
        for p in (head, behind):
            p.kill() if p.poll() is None else None
            p.wait()


def test_threads_never_hold_more_slots_than_the_budget(tmp_path: Path) -> None:
    budget = Budget(2, tmp_path / "slots")
    lock = threading.Lock()
    now = peak = 0
    taken: list[int] = []

    def work() -> None:
        nonlocal now, peak
        with budget.slot() as i:
            with lock:
                now += 1
                peak = max(peak, now)
                taken.append(i)
            time.sleep(0.01)
            with lock:
                now -= 1

    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(taken) == 12
    assert peak == 2  # used, never exceeded
    assert set(taken) == {0, 1}
    assert sorted(p.name for p in (tmp_path / "slots").iterdir()) == ["queue", "slot.0", "slot.1"]


@pytest.mark.parametrize("position", ["head", "behind"])
def test_a_cancelled_waiter_leaves_the_queue_and_keeps_no_lock(
    tmp_path: Path, position: str
) -> None:
    slots = tmp_path / "slots"
    budget = Budget(1, slots)
    held = hold_all(slots, 1)
    other = None
    if position == "behind":  # another process is the head: this one waits on the queue
        other = waiter(slots, 1, slots=1)
        deadline = time.monotonic() + 30
        while not queue_held(slots):
            assert time.monotonic() < deadline, "the other waiter never queued"
            time.sleep(0.05)
    cancel = threading.Event()
    outcome: list[str] = []

    def wait() -> None:
        try:
            with budget.slot(cancel):
                outcome.append("got a slot")
        except Cancelled:
            outcome.append("cancelled")

    t = threading.Thread(target=wait)
    t.start()
    time.sleep(0.3)
    assert outcome == []
    t0 = time.monotonic()
    cancel.set()
    t.join(timeout=10)
    assert outcome == ["cancelled"]
    assert time.monotonic() - t0 < 5  # at once, not after the slot frees
    if other is not None:
        assert other.stdout.readline()  # its measurement line
        other.stdin.close()
    os.close(held[0])
    if other is not None:
        assert other.wait(timeout=30) == 0
    # Nothing was left locked: the slot (and the queue) can be taken again.
    with budget.slot() as i:
        assert i == 0
    assert not queue_held(slots)


def test_a_forked_child_does_not_inherit_a_held_turnstile(tmp_path: Path) -> None:
    """A process forked while one of its threads waits in the queue (holding the process's
    turnstile) takes a free slot at once: the child has no such thread to let go."""
    from wkpup_harness.engine import budget as budget_mod

    slots = tmp_path / "slots"
    slots.mkdir()
    turnstile = budget_mod._turnstile(slots)
    turnstile.acquire()  # as a waiting thread of this process would
    try:
        pid = os.fork()
        if pid == 0:  # the child: one slot, free
            try:
                with Budget(1, slots).slot() as i:
                    os._exit(10 + i)
            finally:
                os._exit(1)
        deadline = time.monotonic() + 20
        while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        if done[0] == 0:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the forked child waited on its parent's turnstile")
        assert os.waitstatus_to_exitcode(done[1]) == 10
    finally:
        turnstile.release()
