"""``/files/{id}/run/...`` and ``/files/{id}/backup/...``: a job's run directory and backup,
listed and served as plain text or downloads, never a file outside them
(``security.safe_path``; a run directory outside the run root is refused)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from wkpup_harness.inputs import echo
from wkpup_harness.settings import Settings
from wkpup_harness.web import security
from wkpup_harness.web.deps import Job, JobId, State
from wkpup_harness.web.security import Refused

SANDBOX = {"Content-Security-Policy": "sandbox"}

router = APIRouter(include_in_schema=False)


def base_of(settings: Settings, row: dict[str, Any], kind: str) -> Path:
    """The directory ``kind`` (run or backup) of a job, as served."""
    job_id = row["id"]
    if kind == "run":
        if not row.get("run_root"):
            raise Refused(404, f"job {job_id} has no run directory")
        base = Path(row["run_root"])
        if not security.inside(base, [settings.runs]):
            raise Refused(403, f"job {job_id}'s run directory is outside the run root")
        return base
    if kind == "backup":
        if not row.get("backup_path"):
            raise Refused(404, f"job {job_id} has no backup")
        return Path(row["backup_path"])
    raise Refused(404, f"no {echo(kind)} files; use run or backup")


def listing(job_id: int, kind: str, rel: str, target: Path) -> str:
    """A directory as a page of links, every name escaped."""
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


@router.get("/files/{job_id}/{kind}/{rel:path}")
def files(job_id: JobId, row: Job, state: State, kind: str, rel: str = "") -> Response:
    base = base_of(state.settings, row, kind)
    target = security.safe_path(base, rel.rstrip("/") if rel else "")
    if target.is_dir():
        return HTMLResponse(listing(job_id, kind, rel, target))
    if target.suffix.lower() in security.TEXT_SUFFIXES or target.name == "creport.txt":
        return FileResponse(target, media_type="text/plain; charset=utf-8", headers=SANDBOX)
    return FileResponse(
        target, media_type="application/octet-stream", filename=target.name, headers=SANDBOX
    )
