"""The FastAPI app: REST API under ``/api`` (OpenAPI at ``/api/openapi.json``), server-sent
progress, the pages and their static files (Plotly's offline bundle from the ``plotly``
package), job files under ``/files``.

The routes live in ``web/routes/`` by resource (health, jobs, mc, events, compare, trend,
files, waves, pages), each a thin call into the library; what they share (settings, core,
the job service's worker, the store) reaches them through ``web.deps``. This module only
assembles them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from wkpup_harness.errors import WkpupError
from wkpup_harness.settings import Settings
from wkpup_harness.web import errors, guard, security, service
from wkpup_harness.web.deps import AppState
from wkpup_harness.web.routes import compare, events, files, health, jobs, mc, pages, trend, waves

ROUTERS = (
    health.router, jobs.router, mc.router, events.router, compare.router, trend.router,
    files.router, waves.router, pages.router,
)  # fmt: skip


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The queue worker runs while the server does (when this server has one)."""
    runner = app.state.wkpup.worker
    events.end_streams_on_signals()  # open event streams must not hold up a stop
    if runner is not None:
        runner.start()
    try:
        yield
    finally:
        if runner is not None:
            await run_in_threadpool(runner.stop)


def create_app(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    token: str | None = None,
    worker: bool = True,
) -> FastAPI:
    """The app for ``settings``. ``token``: required on every request (None: loopback,
    no token). ``worker``: run the queue worker in this process."""
    if settings.db is None:
        raise WkpupError("the web server needs a store (db is 'none')")
    core = service.core_of(settings)
    runner = service.Worker(settings, core) if worker else None
    app = FastAPI(
        title="wkpup",
        version="1",
        description="PVT jobs on the wkpup job engine: submit, follow, results, compare.",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.wkpup = AppState(settings, core, runner, security.is_loopback(host), token)
    app.state.worker = runner
    app.state.settings = settings
    app.middleware("http")(guard.guard)
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    return app
