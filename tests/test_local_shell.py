"""The local executor's point shells: no process per point beyond the point's own, each point
its own process group (a timeout or a cancel kills all of it), leftovers of a finished point
killed, per-point logs appended per attempt. Real bash and real processes; the job is the
executor's small ``PointJob`` protocol over a scratch directory."""

from __future__ import annotations

import os
import textwrap
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from wkpup_harness.core.stage import Usage
from wkpup_harness.engine import local
from wkpup_harness.engine.budget import Budget
from wkpup_harness.engine.local import LocalExecutor
from wkpup_harness.points import Point
from wkpup_harness.results.runlog import PointResult


class ScratchJob:
    """A PointJob whose points run ``bash point.sh <name>`` in ``workdir``."""

    def __init__(self, tmp: Path, script: str, slots: int = 1, **settings: object) -> None:
        self.id = None
        self.token = "t"
        self.spec = None
        self.settings = SimpleNamespace(**{"retries": 0, "sim_timeout": None, **settings})
        self.budget = Budget(slots, tmp / "slots")
        self.workdir = tmp
        self.root = tmp
        self.cancel_event = threading.Event()
        self.results: list[PointResult] = []
        self.retries: list[tuple[str, int, str]] = []
        self.usage: Usage | None = None
        (tmp / "point.sh").write_text(textwrap.dedent(script))

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def cancel(self) -> None:
        self.cancel_event.set()

    def stop_for_timeout(self) -> None:
        self.cancel_event.set()

    def stop_reason(self) -> str:
        return "cancelled"

    def point_command(self, point: Point) -> list[str]:
        return ["bash", str(self.workdir / "point.sh"), point.name]

    def point_env(self) -> dict[str, str]:
        return {**os.environ, "OUT": str(self.workdir)}

    def point_output(self, point: Point) -> Path:
        return self.workdir / "logs" / f"{point.name}.log"

    def failure_reason(self, point: Point, returncode: int) -> str:
        return f"exit {returncode}"

    def add_usage(self, usage: Usage | None) -> None:
        self.usage = usage if self.usage is None else self.usage + usage

    def retrying(self, point: Point, attempt: int, reason: str) -> None:
        self.retries.append((point.name, attempt, reason))

    def book(self, result: PointResult) -> None:
        self.results.append(result)


POINTS = [Point("TT", "typical", t, ("nom", "nom")) for t in ("m40", "125", "85", "100")]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().rsplit(")", 1)[1].split()[0] == "Z"


def test_points_run_in_forked_subshells_of_one_shell_per_slot(tmp_path: Path) -> None:
    # $$ is the shell that forked the subshell: one per executor thread, not one per point
    # (a new bash per point would have $$ == $BASHPID); each point leads its own group.
    job = ScratchJob(tmp_path, 'echo "$$ $BASHPID $(ps -o pgid= "$BASHPID") $1"\n', slots=2)
    assert LocalExecutor().simulate(job, POINTS, None) is False
    assert sorted(r.point.name for r in job.results if r.ok) == sorted(p.name for p in POINTS)
    lines = [job.point_output(p).read_text().split() for p in POINTS]
    shells = {int(words[0]) for words in lines}
    assert 1 <= len(shells) <= 2
    for shell, pid, pgid, name in lines:
        assert int(pid) != int(shell) and int(pgid) == int(pid)
        assert name in {p.name for p in POINTS}
    assert all(_gone(s) for s in shells)  # the shells end with the stage
    assert job.usage is not None and job.usage.cpu_s > 0  # the points' CPU is counted


def test_a_timeout_kills_the_points_whole_group_and_the_retry_log_appends(tmp_path: Path) -> None:
    script = """\
        echo "attempt $1"
        sleep 300 &
        echo "$!" >> "$OUT/children"
        sleep 300
    """
    job = ScratchJob(tmp_path, script, retries=1, sim_timeout=1.0)
    t0 = time.monotonic()
    LocalExecutor().simulate(job, POINTS[:1], None)
    assert time.monotonic() - t0 < 30
    (result,) = job.results
    assert (result.ok, result.reason, result.attempts) == (False, "timeout 1s", 2)
    assert job.retries == [(POINTS[0].name, 1, "timeout 1s")]
    children = [int(x) for x in (tmp_path / "children").read_text().split()]
    assert len(children) == 2 and all(_gone(pid) for pid in children)
    log = job.point_output(POINTS[0]).read_text()
    assert log.count("attempt ") == 2  # each attempt appended to the point's log


def test_what_a_finished_point_leaves_in_its_group_is_killed(tmp_path: Path) -> None:
    script = """\
        sleep 300 &
        echo "$!" > "$OUT/left_$1"
        exit 0
    """
    job = ScratchJob(tmp_path, script)
    LocalExecutor().simulate(job, POINTS[:2], None)
    assert [r.ok for r in job.results] == [True, True]
    for p in POINTS[:2]:
        pid = int((tmp_path / f"left_{p.name}").read_text())
        deadline = time.monotonic() + 5
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(pid)


def test_cancel_kills_the_running_point_and_books_it_cancelled(tmp_path: Path) -> None:
    job = ScratchJob(tmp_path, 'echo "$BASHPID" > "$OUT/pid"; sleep 300\n')
    threading.Timer(1.0, job.cancel).start()
    LocalExecutor().simulate(job, POINTS[:1], None)
    (result,) = job.results
    assert (result.ok, result.reason) == (False, "cancelled")
    assert _gone(int((tmp_path / "pid").read_text()))


@pytest.mark.parametrize(("code", "ok"), [("exit 0", True), ("exit 3", False)])
def test_exit_status_and_a_new_shell_after_one_is_killed(tmp_path: Path, code: str, ok: bool):
    # the first point kills its own shell ($$): the point fails, the next gets a fresh shell
    script = f"""\
        if [ "$1" = {POINTS[0].name} ]; then kill -KILL "$$"; sleep 1; fi
        {code}
    """
    job = ScratchJob(tmp_path, script)
    LocalExecutor().simulate(job, POINTS[:2], None)
    first, second = job.results
    assert first.ok is False
    assert second.ok is ok
    assert second.reason == ("" if ok else "exit 3")


class WindowJob(ScratchJob):
    """Books like ScratchJob; the test counts what the pool holds."""


def test_the_pool_holds_a_window_of_points_not_the_whole_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """40 points on 2 slots: at most 2 x 2 are in the pool at a time (the controller's memory
    and each wait() flat in the job's size); every point still runs and is booked, the last
    one included. The pool is the real one, counting its futures not yet done."""
    held: list[int] = []
    live: set[Any] = set()

    class CountingPool(local.ThreadPoolExecutor):
        def submit(self, *args: Any, **kwargs: Any) -> Any:
            fut = super().submit(*args, **kwargs)
            live.difference_update({f for f in live if f.done()})
            live.add(fut)
            held.append(len(live))
            return fut

    monkeypatch.setattr(local, "ThreadPoolExecutor", CountingPool)
    points = [Point("TT", "typical", "m40", (f"l{i}",)) for i in range(40)]
    job = WindowJob(tmp_path, 'echo "$1" >> "$OUT/ran"\n', slots=2)
    LocalExecutor().simulate(job, points, None)  # type: ignore[arg-type]
    assert sorted(r.point.name for r in job.results) == sorted(p.name for p in points)
    assert all(r.ok for r in job.results)
    assert len((tmp_path / "ran").read_text().split()) == 40
    assert len(held) == 40 and max(held) <= 4


def test_after_a_cancel_the_points_not_yet_taken_come_back_cancelled(tmp_path: Path) -> None:
    points = [Point("TT", "typical", "m40", (f"l{i}",)) for i in range(12)]
    job = WindowJob(tmp_path, 'echo "$1" >> "$OUT/ran"; sleep 0.3\n', slots=1)
    threading.Timer(0.45, job.cancel).start()
    LocalExecutor().simulate(job, points, None)  # type: ignore[arg-type]
    assert len(job.results) == 12  # every point booked, the ones never started included
    ran = (tmp_path / "ran").read_text().split()
    assert 1 <= len(ran) < 12
    assert sum(not r.ok for r in job.results) >= 12 - len(ran)
    assert all(r.reason == "cancelled" for r in job.results if not r.ok)
