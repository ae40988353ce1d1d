"""``/api/jobs/{id}/events``: a job's live progress as server-sent events, read from the
store, so jobs of every face (web, CLI, pytest) show."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from wkpup_harness.report import views
from wkpup_harness.store import jobs
from wkpup_harness.store.schema import TERMINAL_STATUSES
from wkpup_harness.web.deps import AppState, Job, State

EVENT_POLL_S = 0.4

router = APIRouter(prefix="/api", tags=["api"])


async def stream(state: AppState, job_id: int, request: Request) -> AsyncIterator[str]:
    """``progress`` on every change, then ``end`` once the job has ended."""
    last = None
    with state.store() as conn:
        yield "retry: 2000\n\n"
        while not await request.is_disconnected():
            row = jobs.get_job(conn, job_id)
            if row is None:
                break
            data = views.progress(row)
            if data != last:
                yield f"event: progress\ndata: {json.dumps(data)}\n\n"
                last = data
            if row["status"] in TERMINAL_STATUSES:
                yield f"event: end\ndata: {json.dumps(data)}\n\n"
                break
            await asyncio.sleep(EVENT_POLL_S)


@router.get("/jobs/{job_id}/events")
async def events(row: Job, state: State, request: Request) -> StreamingResponse:
    """Server-sent events: ``progress`` (stage, k / N points, stages) on every change,
    then ``end`` when the job has ended. Read from the store, so jobs of any face show."""
    return StreamingResponse(
        stream(state, row["id"], request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
