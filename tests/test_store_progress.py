"""A job's progress counters (points_done, points_failed) move by each point's change of
status, O(1) per write (issue 21): after any mix of writes, resumes and rewrites they equal a
recount of the job's sims."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wkpup_harness.store import connect
from wkpup_harness.store.jobs import (
    SimOutcome,
    create_job,
    finish_job,
    get_job,
    mark_running,
    plan_sims,
    record_sim,
    record_sims,
    reopen,
    sims,
)
from wkpup_harness.store.schema import SIM_STATUSES


class P(NamedTuple):
    name: str
    corner: str = "TT"
    extraction: str = "typical"
    temp_token: str = "25"
    vt: str = "v1"


POINTS = [P(f"p{i}") for i in range(6)]
WRITE = st.tuples(st.sampled_from(range(len(POINTS))), st.sampled_from(SIM_STATUSES))
OPS = st.lists(st.one_of(WRITE, st.just("resume")), max_size=40)


def recount(conn: sqlite3.Connection, job: int) -> tuple[int, int]:
    rows = sims(conn, job)
    return (
        sum(r["status"] in ("ok", "failed") for r in rows),
        sum(r["status"] == "failed" for r in rows),
    )


def counters(conn: sqlite3.Connection, job: int) -> tuple[int, int]:
    got = get_job(conn, job)
    assert got is not None
    return got["points_done"], got["points_failed"]


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory):
    c = connect(Path(tmp_path_factory.mktemp("progress")) / "store.db")
    yield c
    c.close()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_progress_counters_equal_a_recount(conn: sqlite3.Connection, ops: list) -> None:
    job = create_job(conn, domain="gpio/1p8v")
    mark_running(conn, job)
    plan_sims(conn, job, POINTS)
    assert counters(conn, job) == (0, 0)
    for op in ops:
        if op == "resume":  # a failed job runs again: its running/cancelled points pending
            finish_job(conn, job, "failed")
            reopen(conn, job, token="t")
            plan_sims(conn, job, POINTS)  # kept rows, counters as they were
        else:
            i, status = op
            record_sim(conn, job, POINTS[i].name, status, attempts=1, reason=None,
                       elapsed=1.0, started_at=1.0, finished_at=2.0)  # fmt: skip
        assert counters(conn, job) == recount(conn, job), op


BATCHES = st.lists(st.lists(WRITE, max_size=12), max_size=8)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=BATCHES)
def test_batched_writes_count_like_a_recount(conn: sqlite3.Connection, batches: list) -> None:
    """The recorder's batches (``record_sims``, one transaction), the same point several times
    in one included: the counters equal a recount, each point's row is its last write."""
    job = create_job(conn, domain="gpio/1p8v")
    mark_running(conn, job)
    plan_sims(conn, job, POINTS)
    last: dict[str, str] = {}
    for ops in batches:
        record_sims(conn, job, [SimOutcome(POINTS[i].name, status) for i, status in ops])
        last.update((POINTS[i].name, status) for i, status in ops)
    assert counters(conn, job) == recount(conn, job)
    assert {r["name"]: r["status"] for r in sims(conn, job) if r["name"] in last} == last
