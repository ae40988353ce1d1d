"""Live progress as server-sent events, read from the store, so jobs of every face (web,
CLI, pytest) show:

- ``/api/events``: ONE stream of every job's changes — what the pages follow. A
  ``progress`` event whenever a queued or running job changes (a job resumed after a
  cancel comes back as running), and once more when a job it showed has ended; with
  ``?job=<id>`` only that job, whatever its status, for as long as the page is open
  (cancel, resume and the end all arrive on the same stream). Never ends by itself.
- ``/api/jobs/{id}/events``: one job, ending with ``end`` once the job has ended.
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from wkpup_harness.report import views
from wkpup_harness.store import jobs, queries
from wkpup_harness.store.queries import Connection
from wkpup_harness.store.schema import TERMINAL_STATUSES
from wkpup_harness.web.deps import MAX_JOB_ID, AppState, Job, State, job_row

EVENT_POLL_S = 0.4
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

router = APIRouter(prefix="/api", tags=["api"])
# Set when the server is told to stop (Ctrl-C, SIGTERM): every stream ends at its next poll.
# Uvicorn waits for open responses before it shuts down, and a stream never ends by itself.
STOPPING = threading.Event()


def end_streams_on_signals() -> None:
    """Chain a handler before the server's own SIGINT / SIGTERM handlers (uvicorn's, set
    before the app starts) that sets ``STOPPING``. Only from the main thread; elsewhere
    (an app run without signals) nothing is changed."""
    STOPPING.clear()
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(sig)
        if not callable(previous):
            continue

        def handler(number: int, frame: Any, previous: Any = previous) -> None:
            STOPPING.set()
            previous(number, frame)

        try:
            signal.signal(sig, handler)
        except ValueError:  # not the main thread
            return


async def open_while(request: Request) -> bool:
    return not STOPPING.is_set() and not await request.is_disconnected()


def live(conn: Connection, row: dict[str, Any]) -> dict[str, Any]:
    """A job's progress with its ETA from the measured point times."""
    times = queries.point_times(conn, row["id"]) if row["status"] == "running" else []
    return views.progress(row, times)


def message(kind: str, data: dict[str, Any]) -> str:
    # ``now``: the server's clock, so a page counts the elapsed time from the job's start
    # without trusting its own clock; it is not part of what counts as a change.
    return f"event: {kind}\ndata: {json.dumps({**data, 'now': time.time()})}\n\n"


async def stream(state: AppState, job_id: int, request: Request) -> AsyncIterator[str]:
    """``progress`` on every change, then ``end`` once the job has ended."""
    last = None
    with state.store() as conn:
        yield "retry: 2000\n\n"
        while await open_while(request):
            row = jobs.get_job(conn, job_id)
            if row is None:
                break
            data = live(conn, row)
            if data != last:
                yield message("progress", data)
                last = data
            if row["status"] in TERMINAL_STATUSES:
                yield message("end", data)
                break
            await asyncio.sleep(EVENT_POLL_S)


async def stream_all(state: AppState, only: int | None, request: Request) -> AsyncIterator[str]:
    """Every job's changes (``only``: one job's), never ending by itself."""
    sent: dict[int, dict[str, Any]] = {}
    with state.store() as conn:
        yield "retry: 2000\n\n"
        while await open_while(request):
            if only is None:
                rows = queries.live_jobs(conn, sent)
            else:
                found = jobs.get_job(conn, only)
                rows = [found] if found is not None else []
            for row in rows:
                data = live(conn, row)
                if sent.get(row["id"]) != data:
                    yield message("progress", data)
                    sent[row["id"]] = data
                if only is None and row["status"] in TERMINAL_STATUSES:
                    sent.pop(row["id"], None)  # shown ended once; back if it is resumed
            await asyncio.sleep(EVENT_POLL_S)


@router.get("/events")
async def all_events(
    state: State,
    request: Request,
    job: int | None = Query(None, ge=1, le=MAX_JOB_ID),
) -> StreamingResponse:
    """Server-sent ``progress`` events of every queued or running job on each change (a
    finished job once more, with its final state); ``job``: that one job only, whatever its
    status, cancel and resume included. Read from the store, so jobs of any face show."""
    if job is not None:
        with state.store() as conn:
            job_row(conn, job)  # 404 for an unknown job
    return StreamingResponse(stream_all(state, job, request), media_type="text/event-stream",
                             headers=HEADERS)  # fmt: skip


@router.get("/jobs/{job_id}/events")
async def events(row: Job, state: State, request: Request) -> StreamingResponse:
    """Server-sent events: ``progress`` (stage, k / N points, stages) on every change,
    then ``end`` when the job has ended. Read from the store, so jobs of any face show."""
    return StreamingResponse(
        stream(state, row["id"], request), media_type="text/event-stream", headers=HEADERS
    )
