"""What the routes share, provided through FastAPI dependencies: the server's state (settings,
core, the job service's worker, the store) kept on ``app.state``, a store connection per
request, and a job looked up by its id (404 when the store has none)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi import Path as PathParam

from wkpup_harness.core import Core
from wkpup_harness.settings import Settings
from wkpup_harness.store import jobs, queries
from wkpup_harness.store.queries import Connection
from wkpup_harness.web import service
from wkpup_harness.web.security import Refused

# A job id as SQLite can hold it: anything else is a 422 before the store is asked.
MAX_JOB_ID = 2**63 - 1
JobId = Annotated[int, PathParam(ge=1, le=MAX_JOB_ID)]


@dataclass(frozen=True)
class AppState:
    """One server's state: its settings, the core it drives, its queue worker (None: this
    server runs none), whether it listens on loopback only and its access token."""

    settings: Settings
    core: Core
    worker: service.Worker | None
    loopback: bool
    token: str | None

    @property
    def db(self) -> Path:
        assert self.settings.db is not None  # create_app refuses a server without a store
        return self.settings.db

    @contextmanager
    def store(self) -> Iterator[Connection]:
        """A store connection for one piece of work, closed after it."""
        with queries.opened(self.db) as conn:
            yield conn


async def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.wkpup
    return state


State = Annotated[AppState, Depends(app_state)]


def job_row(conn: Connection, job_id: int) -> dict[str, Any]:
    """The stored job ``job_id`` (with its stages), or a 404."""
    row = jobs.get_job(conn, job_id)
    if row is None:
        raise Refused(404, f"no job {job_id}")
    return row


def existing_job(job_id: JobId, state: State) -> dict[str, Any]:
    """The dependency of every route under a job id: the job's row, or a 404."""
    with state.store() as conn:
        return job_row(conn, job_id)


Job = Annotated[dict[str, Any], Depends(existing_job)]
