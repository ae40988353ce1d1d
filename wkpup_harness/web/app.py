"""The FastAPI app: REST API under ``/api`` (OpenAPI at ``/api/openapi.json``), server-sent
progress, the pages and their static files (Plotly's offline bundle from the ``plotly``
package), job files under ``/files``. Every route is a thin call into the library."""

from __future__ import annotations

import asyncio
import html
import json
import math
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from wkpup_harness import doctor
from wkpup_harness.engine import Budget, control
from wkpup_harness.engine.budget import busy_slots
from wkpup_harness.errors import WkpupError, show
from wkpup_harness.inputs import echo
from wkpup_harness.report import plots
from wkpup_harness.report.units import unit
from wkpup_harness.results import golden as golden_gate
from wkpup_harness.results import read_creport
from wkpup_harness.results import spec as spec_check
from wkpup_harness.settings import Settings
from wkpup_harness.store import db, jobs, views
from wkpup_harness.store.schema import JOB_STATUSES, TERMINAL_STATUSES
from wkpup_harness.web import security, service
from wkpup_harness.web.security import Refused

STATIC = Path(__file__).parent / "static"
# A job id as SQLite can hold it: anything else is a 422 before the store is asked.
MAX_JOB_ID = 2**63 - 1
JobId = Annotated[int, PathParam(ge=1, le=MAX_JOB_ID)]
# No request the API takes is anywhere near this (a submission is a few hundred bytes).
MAX_BODY_BYTES = 1024 * 1024
# How long an error message may be: one readable line, never a hostile value echoed whole.
MAX_MESSAGE = 400
PAGES = {"/": "index.html", "/health": "health.html", "/compare": "compare.html"}
EVENT_POLL_S = 0.4
CANCEL_WAIT_S = 15.0


class JobRequest(BaseModel):
    """A submission: a domain with config overrides and subsets, or a scenario job."""

    model_config = ConfigDict(extra="forbid")
    domain: str | None = None
    scenario: str | None = None
    config: dict[str, str] = {}
    corners: list[str] | None = None
    temperatures: list[str] | None = None
    name: str | None = None
    stages: list[str] | None = None

    def submission(self) -> service.Submission:
        return service.Submission(
            domain=self.domain,
            scenario=self.scenario,
            config=self.config,
            corners=self.corners,
            temperatures=self.temperatures,
            name=self.name,
            stages=self.stages,
        )


def one_line(message: str) -> str:
    """An error message as the API sends it: one printable line, at most MAX_MESSAGE
    characters (the head and the tail of a longer one, which names what is allowed)."""
    text = show(message)
    if len(text) > MAX_MESSAGE:
        cut = MAX_MESSAGE // 2 - 20
        text = f"{text[:cut]} ... ({len(text)} characters) ... {text[-cut:]}"
    return text


def error(status: int, message: str, field: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"detail": one_line(message)}
    if field is not None:
        body["field"] = one_line(field)
    return JSONResponse(body, status_code=status)


def clean(value: Any) -> Any:
    """JSON has no inf/nan: they become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


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
    loopback = security.is_loopback(host)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if runner is not None:
            runner.start()
        try:
            yield
        finally:
            if runner is not None:
                await run_in_threadpool(runner.stop)

    app = FastAPI(
        title="wkpup",
        version="1",
        description="PVT jobs on the wkpup job engine: submit, follow, results, compare.",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )

    @contextmanager
    def store() -> Iterator[sqlite3.Connection]:
        assert settings.db is not None
        conn = db.connect(settings.db)
        try:
            yield conn
        finally:
            conn.close()

    def job_row(conn: sqlite3.Connection, job_id: int) -> dict[str, Any]:
        row = jobs.get_job(conn, job_id)
        if row is None:
            raise Refused(404, f"no job {job_id}")
        return row

    # --- guards ----------------------------------------------------------------------------
    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            if loopback and not security.is_loopback(
                security.host_name(headers.get("host", "")) or "x"
            ):
                raise Refused(421, "this server answers only 127.0.0.1 / localhost as Host")
            if token is not None:
                if request.url.path == "/login":
                    given = request.query_params.get("token")
                    if not security.token_ok(token, given):
                        raise Refused(401, "bad or missing token: open /login?token=<token>")
                    reply = RedirectResponse("/", status_code=303)
                    reply.set_cookie(security.TOKEN_COOKIE, token, httponly=True, samesite="strict")
                    return reply
                given = security.bearer(headers.get("authorization")) or request.cookies.get(
                    security.TOKEN_COOKIE
                )
                if not security.token_ok(token, given):
                    raise Refused(
                        401,
                        "access token required: header 'Authorization: Bearer <token>' or "
                        "open /login?token=<token> once",
                    )
            security.check_csrf(request.method, headers, request.url.scheme)
            security.check_body_size(request.method, headers, MAX_BODY_BYTES)
        except Refused as exc:
            return error(exc.status, exc.message)
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> JSONResponse:
        return error(exc.status, exc.message)

    @app.exception_handler(service.InputError)
    async def bad_input(request: Request, exc: service.InputError) -> JSONResponse:
        return error(exc.status, str(exc), exc.field)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        if first.get("type") == "json_invalid":
            return error(422, f"body: not valid JSON ({first.get('msg', 'invalid')})", "body")
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        field = ".".join(loc) or None
        message = f"{field or 'request'}: {first.get('msg', 'invalid')}"
        return error(422, message, field)

    @app.exception_handler(WkpupError)
    async def library_error(request: Request, exc: WkpupError) -> JSONResponse:
        return error(400, str(exc))

    # --- API -------------------------------------------------------------------------------
    @app.get("/api/health", tags=["api"])
    def health() -> dict[str, Any]:
        """Core manifest verdict, simulator and version, SKY130 models, store, CPU budget."""
        out: dict[str, Any] = {}
        # the checks of `wkpup doctor`, in the shape this page has always had
        checked = doctor.check_core(settings, core)
        out["core"] = {"ok": checked.ok, "path": str(core.root), "verdict": checked.detail}
        checked = doctor.check_simulator()
        out["simulator"] = {
            "name": doctor.SIMULATOR,
            "path": checked.data.get("path"),
            "version": checked.data.get("version"),
            "ok": checked.ok,
        }
        checked = doctor.check_models()
        out["models"] = {"ok": checked.ok, "path": checked.data.get("path")}
        if not checked.ok:
            out["models"]["error"] = checked.detail
        assert settings.db is not None
        writable = os.access(settings.db.parent, os.W_OK) and (
            not settings.db.exists() or os.access(settings.db, os.W_OK)
        )
        with store() as conn:
            counts = {
                s: conn.execute("SELECT count(*) FROM jobs WHERE status = ?", (s,)).fetchone()[0]
                for s in JOB_STATUSES
            }
        out["store"] = {"ok": writable, "path": str(settings.db), "writable": writable,
                        "jobs": counts}  # fmt: skip
        budget = Budget(settings.cpus, settings.slot_dir)
        out["budget"] = {
            "cpus": settings.cpus,
            "slot_dir": str(settings.slot_dir),
            "busy": busy_slots(budget),
            "ok": True,
        }
        current = runner.current if runner is not None else None
        out["worker"] = {"running": runner is not None,
                         "job": current.id if current is not None else None}  # fmt: skip
        out["ok"] = all(out[k]["ok"] for k in ("core", "simulator", "models", "store"))
        return out

    @app.get("/api/options", tags=["api"])
    def options() -> dict[str, Any]:
        """Domains and, for each config key, the values the core's own tables allow."""
        return service.options(settings, core)

    @app.post("/api/validate", tags=["api"])
    def validate(body: JobRequest) -> dict[str, Any]:
        """Validate a submission exactly as ``wkpup run`` would; nothing is created."""
        spec = service.job_spec(body.submission(), settings, core)
        service.check_stages(body.stages)
        return service.describe(spec)

    @app.post("/api/jobs", status_code=201, tags=["api"])
    def submit(body: JobRequest) -> dict[str, Any]:
        """Queue a job (validated as ``wkpup run`` does); the server's worker runs it."""
        sub = body.submission()
        spec = service.job_spec(sub, settings, core)
        stages = service.check_stages(sub.stages)
        ident = service.enqueue(settings, core, spec, stages)
        if runner is not None:
            runner.wake()
        return {"id": ident, "url": f"/jobs/{ident}", "points": spec.point_count,
                "name": spec.name}  # fmt: skip

    @app.get("/api/jobs", tags=["api"])
    def history(
        domain: str | None = None,
        status: str | None = None,
        user: str | None = None,
        since: str | None = None,
        scenario: str | None = None,
        limit: int = Query(100, ge=1, le=1000),
    ) -> list[dict[str, Any]]:
        """Jobs newest first, filtered by domain, status, user, since (YYYY-MM-DD or Nd),
        scenario."""
        if status is not None and status not in JOB_STATUSES:
            raise service.InputError(
                f"status {echo(status)}; allowed: {', '.join(JOB_STATUSES)}", "status"
            )
        try:
            when = views.parse_since(since) if since else None
        except WkpupError as exc:
            raise service.InputError(str(exc), "since") from None
        with store() as conn:
            rows = jobs.history(
                conn, domain=domain, status=status, user=user, since=when,
                scenario=scenario, limit=limit,
            )  # fmt: skip
        return [{**r, "state": views.job_state(r)} for r in rows]

    @app.get("/api/jobs/{job_id}", tags=["api"])
    def job(job_id: JobId) -> dict[str, Any]:
        """A job: status, stages, progress, simulations not ok, links to its files."""
        with store() as conn:
            row = job_row(conn, job_id)
            sims = jobs.sims(conn, job_id)
        out = views.strip(row)
        out["config_text"] = row["config_text"]
        out["state"] = views.job_state(row)
        out["progress"] = progress(row)
        out["sims_not_ok"] = [
            {k: s[k] for k in ("name", "status", "reason", "attempts")}
            for s in sims
            if s["status"] not in ("ok", "pending")
        ]
        out["links"] = links(row)
        out["resumable"] = resumable(row)
        return out

    @app.get("/api/jobs/{job_id}/events", tags=["api"])
    async def events(job_id: JobId, request: Request) -> StreamingResponse:
        """Server-sent events: ``progress`` (stage, k / N points, stages) on every change,
        then ``end`` when the job has ended. Read from the store, so jobs of any face show."""
        with store() as conn:
            job_row(conn, job_id)

        async def stream() -> AsyncIterator[str]:
            last = None
            conn = db.connect(settings.db)  # type: ignore[arg-type]
            try:
                yield "retry: 2000\n\n"
                while not await request.is_disconnected():
                    row = jobs.get_job(conn, job_id)
                    if row is None:
                        break
                    data = progress(row)
                    if data != last:
                        yield f"event: progress\ndata: {json.dumps(data)}\n\n"
                        last = data
                    if row["status"] in TERMINAL_STATUSES:
                        yield f"event: end\ndata: {json.dumps(data)}\n\n"
                        break
                    await asyncio.sleep(EVENT_POLL_S)
            finally:
                conn.close()

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.get("/api/jobs/{job_id}/results", tags=["api"])
    def results(job_id: JobId) -> dict[str, Any]:
        """Points x measurements with units, worst cases, spec verdicts (pass / near / fail,
        margins), failed points."""
        with store() as conn:
            row = job_row(conn, job_id)
            data = views.collect(conn, row)
            pts = jobs.points(conn, job_id)
        return clean(result_view(row, data, pts, settings.near_margin))

    @app.get("/api/jobs/{job_id}/plots", tags=["api"])
    def job_plots(job_id: JobId) -> dict[str, Any]:
        """The job's Plotly figures (``report.plots``, the same as in the HTML export)."""
        with store() as conn:
            row = job_row(conn, job_id)
            report = views.stored_creport(conn, row)
            limits = spec_check.stored_limits(views.spec_results(conn, job_id))
        if report is None:
            return {"figures": []}
        return clean({"figures": plots.figures(report, limits, settings.near_margin)})

    @app.get("/api/compare", tags=["api"])
    def compare(
        a: Annotated[int, Query(ge=1, le=MAX_JOB_ID)],
        b: str,
        limit: int = Query(200, ge=0, le=100000),
    ) -> dict[str, Any]:
        """Job ``a`` vs job ``b``, or vs its golden (``b=golden``): per-cell deltas, largest
        relative change first."""
        with store() as conn:
            row_a = job_row(conn, a)
            if row_a["n_points"] is None:
                raise Refused(409, f"job {a} has no stored result to compare")
            if b == "golden":
                path = golden_of(row_a)
                if path is None or not path.is_file():
                    raise Refused(404, f"job {a} has no golden creport (not a scenario job?)")
                rows = views.compare_with_creport(conn, row_a, read_creport(path))
                shown = (
                    path.relative_to(settings.golden)
                    if path.is_relative_to(settings.golden)
                    else path
                )
                b_label = f"golden {shown}"
            else:
                if re.fullmatch(r"[0-9]{1,18}", b) is None or int(b) == 0:
                    raise service.InputError(f"b {echo(b)}: a job id or 'golden'", "b")
                job_row(conn, int(b))
                rows = jobs.compare(conn, a, int(b))
                b_label = f"job {b}"
        diffs = [dict(r, unit=unit(r["name"]), point=views.point_text(r))
                 for r in rows if r["a_raw"] != r["b_raw"]]  # fmt: skip
        return clean(
            {"a": f"job {a}", "b": b_label, "cells": len(rows), "differences": len(diffs),
             "identical": not diffs, "rows": diffs if limit == 0 else diffs[:limit]}
        )  # fmt: skip

    @app.post("/api/jobs/{job_id}/cancel", tags=["api"])
    async def cancel(job_id: JobId) -> dict[str, Any]:
        """Cancel through the store, as ``wkpup cancel`` does: the job's driver (this
        server, a CLI run, a pytest worker) kills its simulations."""
        with store() as conn:
            job_row(conn, job_id)

        def do() -> tuple[dict[str, Any], bool]:
            with store() as conn:
                return control.cancel(conn, job_id, CANCEL_WAIT_S)

        row, ended = await run_in_threadpool(do)
        if ended:
            raise Refused(409, f"job {job_id} is already {views.job_state(row)}; nothing to cancel")
        return {"id": job_id, "status": row["status"], "state": views.job_state(row)}

    @app.post("/api/jobs/{job_id}/resume", status_code=202, tags=["api"])
    def resume(job_id: JobId) -> dict[str, Any]:
        """Resume a failed, cancelled or interrupted job: only its unfinished points run
        again, in this server's worker."""
        with store() as conn:
            row = job_row(conn, job_id)
        try:
            control.check_resumable(row)
        except control.RunDirGone as exc:
            raise Refused(410, str(exc)) from None
        except control.NotResumable as exc:
            raise Refused(409, str(exc)) from None
        if not security.inside(Path(row["run_root"]), [settings.runs]):
            raise Refused(403, f"job {job_id}'s run directory is outside the run root")
        if runner is None:
            raise Refused(503, "this server runs no worker")
        runner.resume(job_id)
        return {"id": job_id, "accepted": True}

    # --- helpers on rows -------------------------------------------------------------------
    def progress(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": row["id"],
            "status": row["status"],
            "state": views.job_state(row),
            "stage": row.get("stage"),
            "points_done": row.get("points_done") or 0,
            "points_total": row.get("points_total"),
            "points_failed": row.get("points_failed") or 0,
            "stages": [{"stage": s["stage"], "status": s["status"]} for s in row["stages"]],
            "error": row.get("error"),
            "golden": row.get("golden"),
            "face": row.get("face"),
        }

    def golden_of(row: dict[str, Any]) -> Path | None:
        if row.get("golden_path"):
            return Path(row["golden_path"])
        if row.get("scenario") and row["scenario"] not in ("cli", service.FACE) and row["name"]:
            try:
                return golden_gate.golden_path(settings.golden, row["scenario"], row["name"])
            except WkpupError:  # a name that cannot be a directory has no golden
                return None
        return None

    def resumable(row: dict[str, Any]) -> bool:
        try:
            control.check_resumable(row)
        except WkpupError:
            return False
        return True

    def links(row: dict[str, Any]) -> dict[str, str]:
        out = {}
        job_id = row["id"]
        if row.get("run_root") and Path(row["run_root"]).is_dir():
            out["run directory"] = f"/files/{job_id}/run/"
            if row.get("log_path"):
                rel = Path(row["log_path"]).relative_to(row["run_root"]).as_posix()
                out["logs"] = f"/files/{job_id}/run/{rel}/"
        if row.get("backup_path") and Path(row["backup_path"]).is_dir():
            out["backup"] = f"/files/{job_id}/backup/"
            if (Path(row["backup_path"]) / "compiled_waveform").is_dir():
                out["waveforms"] = f"/files/{job_id}/backup/compiled_waveform/"
            out["creport.txt"] = f"/files/{job_id}/backup/report/creport.txt"
        return out

    # --- files -----------------------------------------------------------------------------
    @app.get("/files/{job_id}/{kind}/{rel:path}", include_in_schema=False)
    def files(job_id: JobId, kind: str, rel: str = "") -> Response:
        with store() as conn:
            row = job_row(conn, job_id)
        if kind == "run":
            if not row.get("run_root"):
                raise Refused(404, f"job {job_id} has no run directory")
            base = Path(row["run_root"])
            if not security.inside(base, [settings.runs]):
                raise Refused(403, f"job {job_id}'s run directory is outside the run root")
        elif kind == "backup":
            if not row.get("backup_path"):
                raise Refused(404, f"job {job_id} has no backup")
            base = Path(row["backup_path"])
        else:
            raise Refused(404, f"no {echo(kind)} files; use run or backup")
        target = security.safe_path(base, rel.rstrip("/") if rel else "")
        if target.is_dir():
            return HTMLResponse(listing(job_id, kind, rel, target))
        if target.suffix.lower() in security.TEXT_SUFFIXES or target.name == "creport.txt":
            return FileResponse(
                target, media_type="text/plain; charset=utf-8",
                headers={"Content-Security-Policy": "sandbox"},
            )  # fmt: skip
        return FileResponse(
            target, media_type="application/octet-stream", filename=target.name,
            headers={"Content-Security-Policy": "sandbox"},
        )  # fmt: skip

    def listing(job_id: int, kind: str, rel: str, target: Path) -> str:
        prefix = f"/files/{job_id}/{kind}/" + (rel.rstrip("/") + "/" if rel.strip("/") else "")
        items = sorted(target.iterdir(), key=lambda p: (not p.is_dir(), p.name))
        rows = "".join(
            f'<li><a href="{html.escape(prefix + p.name + ("/" if p.is_dir() else ""))}">'
            f"{html.escape(p.name)}{'/' if p.is_dir() else ''}</a></li>"
            for p in items
        )
        title = html.escape(f"job {job_id} {kind}/{rel}")
        return (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f'<link rel="stylesheet" href="/static/style.css"></head><body>'
            f'<nav><a href="/jobs/{job_id}">&larr; job {job_id}</a></nav><h1>{title}</h1>'
            f"<ul>{rows}</ul></body></html>"
        )

    # --- pages -----------------------------------------------------------------------------
    def page(name: str) -> HTMLResponse:
        return HTMLResponse((STATIC / name).read_text(encoding="utf-8"))

    for path, name in PAGES.items():
        app.add_api_route(path, (lambda n=name: page(n)), methods=["GET"], include_in_schema=False)

    @app.get("/jobs/{job_id}", include_in_schema=False)
    def job_page(job_id: JobId) -> HTMLResponse:
        return page("job.html")

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_bundle() -> Response:
        return FileResponse(plots.plotly_js_path(), media_type="text/javascript")

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        target = security.safe_path(STATIC, name)
        kinds = {".js": "text/javascript", ".css": "text/css", ".txt": "text/plain"}
        return FileResponse(target, media_type=kinds.get(target.suffix, "text/plain"))

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return PlainTextResponse("", status_code=204)

    app.state.worker = runner
    app.state.settings = settings
    return app


def result_view(
    row: dict[str, Any], data: dict[str, Any], pts: list[dict[str, Any]], near: float
) -> dict[str, Any]:
    """The job page's tables: points x measurements (each cell judged pass / near / fail
    against the job's spec limits), worst cases and spec verdicts with units and margins."""
    names = json.loads(row["report_names"] or "[]") if row.get("report_names") else []
    limits = spec_check.stored_limits(data["specs"])
    judged = {
        n: spec_check.judge(
            lim, [(p["corner"], p["cells"].get(n, (None, None))[1]) for p in pts], near
        )
        for n, lim in limits.items()
    }
    points = []
    for i, p in enumerate(pts):
        cells = {}
        for name in names:
            if name not in p["cells"]:
                continue
            raw, value = p["cells"][name]
            cell: dict[str, Any] = {"raw": raw, "value": value}
            if name in judged:
                cell["verdict"], cell["margin"] = judged[name].verdicts[i]
            cells[name] = cell
        points.append(
            {"seq": p["seq"], "corner": p["corner"], "extraction": p["extraction"],
             "temperature": p["temperature"], "v1": p["v1"], "v2": p["v2"], "v3": p["v3"],
             "swp": p["swp"], "status": p["status"], "label": views.point_text(p),
             "cells": cells}
        )  # fmt: skip
    specs = []
    for s in data["specs"]:
        j = judged.get(s["name"])
        specs.append(
            {**s, "unit": unit(s["name"]),
             "verdict": j.verdict if j is not None else "no_data",
             "n_near": j.n_near if j is not None else 0,
             "margin": None if j is None else j.margin,
             "margin_point": None if j is None or j.worst is None
             else views.point_text(pts[j.worst])}
        )  # fmt: skip
    return {
        "job": row["id"],
        "names": [n for n in names if n not in ("temper", "alter#")],
        "units": {n: unit(n) for n in names},
        "near_margin": near,
        "points": points,
        "worst": [dict(w, unit=unit(w["name"])) for w in data["worst"]],
        "specs": specs,
        "failed_points": data["failed_points"],
        "failed_simulations": data["failed_simulations"],
    }
