"""The pages (``/``, ``/health``, ``/compare``, ``/trend``, ``/jobs/{id}``) and their static files,
Plotly's offline bundle among them (from the installed ``plotly`` package)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

from wkpup_harness.report import plots
from wkpup_harness.web import security
from wkpup_harness.web.deps import JobId

STATIC = Path(__file__).parents[1] / "static"
PAGES = {
    "/": "index.html",
    "/health": "health.html",
    "/compare": "compare.html",
    "/trend": "trend.html",
}
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".txt": "text/plain"}

router = APIRouter(include_in_schema=False)


def page(name: str) -> HTMLResponse:
    return HTMLResponse((STATIC / name).read_text(encoding="utf-8"))


for _path, _name in PAGES.items():
    router.add_api_route(_path, (lambda n=_name: page(n)), methods=["GET"])


@router.get("/jobs/{job_id}")
def job_page(job_id: JobId) -> HTMLResponse:
    return page("job.html")


@router.get("/static/plotly.min.js")
def plotly_bundle() -> Response:
    return FileResponse(plots.plotly_js_path(), media_type="text/javascript")


@router.get("/static/{name}")
def static(name: str) -> Response:
    target = security.safe_path(STATIC, name)
    return FileResponse(target, media_type=MEDIA_TYPES.get(target.suffix, "text/plain"))


@router.get("/favicon.ico")
def favicon() -> Response:
    return PlainTextResponse("", status_code=204)
