"""Flat cost in the number of points (issue 21, item 4): the store's per-point write
(``jobs.record_sims``, the recorder's batch) does the same work for a point of a 92-point job
as for one of a 10,000-point job (counted in SQL statements, SQLite virtual-machine steps and
rows changed: no clock), batched writes keep the progress counters equal to a recount, and a
real job's booked points are all in the store after it completes, after a cancel, and for a
reader of the store (what ``wkpup status`` and the web read) while it runs."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import NamedTuple

import pytest
from test_engine import ALL_TT, settings_for, spec_for, wait_for
from test_store_progress import P

from wkpup_harness.core import Core, locate_core
from wkpup_harness.engine import Event, Job
from wkpup_harness.store import connect
from wkpup_harness.store.jobs import (
    SimOutcome,
    create_job,
    get_job,
    mark_running,
    plan_sims,
    record_sims,
    sims,
)
from wkpup_harness.store.recorder import BATCH_POINTS, Recorder

CORE_ROOT = Path(__file__).resolve().parents[1] / "pai_ho_core"


def planned(conn: sqlite3.Connection, n: int) -> int:
    job = create_job(conn, domain="gpio/1p8v")
    mark_running(conn, job)
    plan_sims(conn, job, [P(f"p{i}") for i in range(n)])
    return job


def batch(first: int, size: int = BATCH_POINTS) -> list[SimOutcome]:
    """``size`` points from index ``first``: every fifth failed, the rest ok."""
    return [
        SimOutcome(
            f"p{i}", "failed" if i % 5 == 0 else "ok", elapsed=1.0, started_at=1.0, finished_at=2.0
        )
        for i in range(first, first + size)
    ]


class Work(NamedTuple):
    statements: tuple[str, ...]  # the SQL run, in order (the job's id left out)
    vm_steps: int  # SQLite virtual-machine instructions executed
    rows_changed: int


def work_of_a_batch(conn: sqlite3.Connection, job: int, first: int) -> Work:
    statements: list[str] = []
    steps = [0]

    def step() -> int:
        steps[0] += 1
        return 0

    before = conn.total_changes
    conn.set_trace_callback(lambda sql: statements.append(re.sub(r"id = \d+", "id = ?", sql)))
    conn.set_progress_handler(step, 1)
    try:
        record_sims(conn, job, batch(first))
    finally:
        conn.set_trace_callback(None)
        conn.set_progress_handler(None, 1)
    return Work(tuple(statements), steps[0], conn.total_changes - before)


def test_a_point_written_costs_the_same_in_a_92_and_a_10000_point_job(tmp_path: Path) -> None:
    conn = connect(tmp_path / "store.db")
    try:
        small, large = planned(conn, 92), planned(conn, 10_000)
        # the same batch (the same names, statuses and values) in each job
        a, b = work_of_a_batch(conn, small, 10), work_of_a_batch(conn, large, 10)
    finally:
        conn.close()
    # per point one SELECT and one UPDATE of its row; one progress UPDATE per batch
    assert len(a.statements) == 2 * BATCH_POINTS + 3  # + BEGIN IMMEDIATE, the counters, COMMIT
    assert a.rows_changed == BATCH_POINTS + 1
    assert a.statements == b.statements and a.rows_changed == b.rows_changed
    # a recount of the job's points (what the writes did before issue 21) would be 100x here
    assert a.vm_steps == b.vm_steps


def test_a_batch_is_cheaper_per_point_than_a_transaction_per_point(tmp_path: Path) -> None:
    """Counted in statements: one BEGIN / COMMIT and one counter update per batch."""
    conn = connect(tmp_path / "store.db")
    try:
        job = planned(conn, 2 * BATCH_POINTS)
        batched = work_of_a_batch(conn, job, 0)
        statements: list[str] = []
        conn.set_trace_callback(statements.append)
        for outcome in batch(BATCH_POINTS):
            record_sims(conn, job, [outcome])
        conn.set_trace_callback(None)
    finally:
        conn.close()
    assert len(statements) == 5 * BATCH_POINTS
    assert len(batched.statements) == 2 * BATCH_POINTS + 3


# --- a real job (real ngspice) -------------------------------------------------------------------
@pytest.fixture
def core() -> Core:
    return locate_core(CORE_ROOT)


def store_view(db: Path, job: int) -> tuple[int, dict[str, str]]:
    """What a reader of the store sees (its own connection, as ``wkpup status`` and the web):
    points done, and each point's status."""
    conn = connect(db)
    try:
        row = get_job(conn, job)
        assert row is not None
        return row["points_done"] or 0, {s["name"]: s["status"] for s in sims(conn, job)}
    finally:
        conn.close()


@pytest.mark.ngspice
def test_a_running_job_shows_each_point_to_a_reader_and_all_after_a_cancel(
    tmp_path: Path, core: Core
) -> None:
    """Seven points one at a time; a reader of the store sees each point soon after it ends
    (the batch's timer, not the job's end); the job is cancelled after its third point and
    every point the engine booked is in the store, as the engine booked it."""
    settings = settings_for(tmp_path)
    recorder = Recorder(settings.db)
    seen: list[int] = []

    def listener(event: Event) -> None:
        if event.kind != "point" or event.done > 3:
            return  # (after the cancel, points end cancelled: not counted as done)
        assert event.job_id is not None and event.point is not None and event.point.ok
        done = wait_for(
            f"point {event.done} in the store",
            lambda: (n := store_view(settings.db, event.job_id)[0]) >= event.done and n,
            timeout=30,
        )
        seen.append(done)
        if event.done == 3:
            job.cancel()

    job = Job(spec_for(core, ALL_TT, ("m40",)), settings, core, recorder=recorder,
              listeners=[listener])  # fmt: skip
    try:
        job.run()
    finally:
        recorder.close()
    assert seen[:3] == [1, 2, 3]
    assert job.status == "cancelled" and job.id is not None
    done, statuses = store_view(settings.db, job.id)
    booked = {r.point.name: r.status for r in job.runs.point_results.values()}
    assert {name: statuses[name] for name in booked} == booked
    assert done == sum(s in ("ok", "failed") for s in booked.values()) >= 3
    assert set(statuses.values()) <= {"ok", "failed", "cancelled", "pending"}


@pytest.mark.ngspice
def test_a_completed_job_has_every_point_in_the_store(tmp_path: Path, core: Core) -> None:
    settings = settings_for(tmp_path, cpus=2)
    recorder = Recorder(settings.db)
    job = Job(spec_for(core, ALL_TT, ("m40", "125")), settings, core, recorder=recorder)
    try:
        job.run()
    finally:
        recorder.close()
    assert job.status == "completed" and job.id is not None
    done, statuses = store_view(settings.db, job.id)
    assert done == 14 and statuses == dict.fromkeys(statuses, "ok") and len(statuses) == 14
