"""``/api/validate`` and ``/api/jobs``: submit, history, a job, its results and plots,
cancel and resume. Submissions are validated by the job service exactly as ``wkpup run``
validates them; cancel and resume are ``engine.control``, as ``wkpup cancel`` / ``resume``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from wkpup_harness.engine import control
from wkpup_harness.errors import WkpupError
from wkpup_harness.inputs import echo
from wkpup_harness.report import plots, views
from wkpup_harness.report.partial import partial_creport
from wkpup_harness.results import spec as spec_check
from wkpup_harness.store import jobs, queries
from wkpup_harness.store.schema import JOB_STATUSES
from wkpup_harness.web import security, service
from wkpup_harness.web.deps import AppState, Job, JobId, State, job_row
from wkpup_harness.web.errors import clean
from wkpup_harness.web.models import JobRequest
from wkpup_harness.web.security import Refused

CANCEL_WAIT_S = 15.0
# Never in an answer: the token marks a job's processes (whoever has it can find and signal
# them through the reaper's rules).
SECRET = ("token",)
# Who runs a job and where its files are: only to a caller the server trusts (it listens on
# loopback, or the caller holds the access token). The files stay reachable by their links.
PRIVATE = (
    "pid", "host", "pid_start", "core_path", "work_path", "backup_path", "run_root",
    "log_path", "golden_path",
)  # fmt: skip

router = APIRouter(prefix="/api", tags=["api"])


@router.post("/validate")
def validate(body: JobRequest, state: State) -> dict[str, Any]:
    """Validate a submission exactly as ``wkpup run`` would; nothing is created."""
    spec = service.job_spec(body.submission(), state.settings, state.core)
    service.check_stages(body.stages)
    return service.describe(spec)


@router.post("/jobs", status_code=201)
def submit(body: JobRequest, state: State) -> dict[str, Any]:
    """Queue a job (validated as ``wkpup run`` does); the server's worker runs it."""
    sub = body.submission()
    spec = service.job_spec(sub, state.settings, state.core)
    stages = service.check_stages(sub.stages)
    ident = service.enqueue(state.settings, state.core, spec, stages)
    if state.worker is not None:
        state.worker.wake()
    return {"id": ident, "url": f"/jobs/{ident}", "points": spec.point_count,
            "name": spec.name}  # fmt: skip


@router.get("/jobs")
def history(
    state: State,
    request: Request,
    domain: str | None = None,
    status: str | None = None,
    user: str | None = None,
    since: str | None = None,
    scenario: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[dict[str, Any]]:
    """Jobs newest first, filtered by domain, status, user, since (YYYY-MM-DD or Nd),
    scenario; ``mc_yield``: a Monte Carlo job's lowest yield with its interval's lower end
    (``99.50 % (≥ 97.91 %)``), empty for a job without samples."""
    if status is not None and status not in JOB_STATUSES:
        raise service.InputError(
            f"status {echo(status)}; allowed: {', '.join(JOB_STATUSES)}", "status"
        )
    try:
        when = views.parse_since(since) if since else None
    except WkpupError as exc:
        raise service.InputError(str(exc), "since") from None
    with state.store() as conn:
        rows = jobs.history(
            conn, domain=domain, status=status, user=user, since=when,
            scenario=scenario, limit=limit,
        )  # fmt: skip
        yields = views.mc_yields(conn, rows)
    keep = trusted(state, request)
    return [
        {**redact(r, keep), "state": views.job_state(r), "mc_yield": yields.get(r["id"], "")}
        for r in rows
    ]


def trusted(state: AppState, request: Request) -> bool:
    """Whether the caller may see pids, hosts and paths: the server listens on loopback
    (anyone there can read the store as the CLI does), or the caller holds the access
    token (header or the ``/login`` cookie)."""
    if state.loopback:
        return True
    if state.token is None:
        return False
    given = security.bearer(request.headers.get("authorization")) or request.cookies.get(
        security.TOKEN_COOKIE
    )
    return security.token_ok(state.token, given)


def redact(row: dict[str, Any], keep_private: bool) -> dict[str, Any]:
    """A job as the API answers it: never its token; pids, hosts and paths (a stage's
    ``log_path`` too: ``log`` names its file) only when ``keep_private``."""
    drop = SECRET if keep_private else SECRET + PRIVATE
    out = {k: v for k, v in row.items() if k not in drop}
    if not keep_private and isinstance(out.get("stages"), list):
        out["stages"] = [{k: v for k, v in st.items() if k != "log_path"} for st in out["stages"]]
    return out


def resumable(row: dict[str, Any]) -> bool:
    try:
        control.check_resumable(row)
    except WkpupError:
        return False
    return True


def links(row: dict[str, Any]) -> dict[str, str]:
    """Where the job's files are served: run directory, logs, backup, waveforms, creport."""
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


@router.get("/jobs/{job_id}")
def job(job_id: JobId, state: State, request: Request) -> dict[str, Any]:
    """A job: status, stages (as they stand now), progress with elapsed time and ETA,
    simulations not ok, links to its files. Never its token; pid, host and paths only to
    a trusted caller (``trusted``)."""
    with state.store() as conn:
        row = job_row(conn, job_id)
        sims = jobs.sims(conn, job_id)
        times = queries.point_times(conn, job_id) if row["status"] == "running" else []
    out = redact(views.strip(row), trusted(state, request))
    out["config_text"] = row["config_text"]
    out["state"] = views.job_state(row)
    out["progress"] = views.progress(row, times)
    out["results_partial"] = views.results_partial(row)
    out["sims_not_ok"] = [
        {k: s[k] for k in ("name", "status", "reason", "attempts")}
        for s in sims
        if s["status"] not in ("ok", "pending")
    ]
    out["links"] = links(row)
    out["resumable"] = resumable(row)
    return out


def run_dir(row: dict[str, Any], state: AppState) -> Path | None:
    """The job's working directory, when it lies inside this server's run root (a path
    from the store is never followed elsewhere)."""
    work, root = row.get("work_path"), row.get("run_root")
    if not work or not root or not security.inside(Path(root), [state.settings.runs]):
        return None
    path = Path(work)
    return path if security.inside(path, [Path(root)]) and path.is_dir() else None


@router.get("/jobs/{job_id}/results")
def results(job_id: JobId, state: State) -> dict[str, Any]:
    """Points x measurements with units, worst cases, spec verdicts (pass / near / fail,
    margins), failed points. For a running job, or one cancelled / failed before it had a
    result: the points finished so far, read from its run directory by the result
    parsers, with ``partial: true``."""
    near = state.settings.near_margin
    with state.store() as conn:
        row = job_row(conn, job_id)
        if views.results_partial(row):
            sims = jobs.sims(conn, job_id)
        else:
            data = views.collect(conn, row)
            pts = jobs.points(conn, job_id)
    tables = views.tables_of(state.core)  # for the points' supply volts
    if views.results_partial(row):
        return clean(views.partial_view(row, run_dir(row, state), sims, near, tables))
    return clean({**views.result_view(row, data, pts, near, tables), "partial": False})


@router.get("/jobs/{job_id}/plots")
def job_plots(job_id: JobId, state: State) -> dict[str, Any]:
    """The job's Plotly figures (``report.plots``, the same as in the HTML export); of
    the points so far while it runs or when it ended without a result (``partial``)."""
    with state.store() as conn:
        row = job_row(conn, job_id)
        partial = views.results_partial(row)
        report = None if partial else queries.stored_creport(conn, row)
        limits = spec_check.stored_limits(queries.spec_results(conn, job_id))
        sims = jobs.sims(conn, job_id) if partial else []
    if partial:
        work = run_dir(row, state)
        report = partial_creport(work, sims) if work is not None else None
        limits = views.job_limits(row)
    if report is None:
        return {"figures": []}
    return clean({"figures": plots.figures(report, limits, state.settings.near_margin)})


@router.post("/jobs/{job_id}/cancel")
async def cancel(row: Job, state: State) -> dict[str, Any]:
    """Cancel through the store, as ``wkpup cancel`` does: the job's driver (this
    server, a CLI run, a pytest worker) kills its simulations."""
    job_id = row["id"]

    def do() -> tuple[dict[str, Any], bool]:
        with state.store() as conn:
            return control.cancel(conn, job_id, CANCEL_WAIT_S)

    now, ended = await run_in_threadpool(do)
    if ended:
        raise Refused(409, f"job {job_id} is already {views.job_state(now)}; nothing to cancel")
    return {"id": job_id, "status": now["status"], "state": views.job_state(now)}


@router.post("/jobs/{job_id}/resume", status_code=202)
def resume(row: Job, state: State) -> dict[str, Any]:
    """Resume a failed, cancelled or interrupted job: only its unfinished points run
    again, in this server's worker."""
    job_id = row["id"]
    try:
        control.check_resumable(row)
    except control.RunDirGone as exc:
        raise Refused(410, str(exc)) from None
    except control.NotResumable as exc:
        raise Refused(409, str(exc)) from None
    if not security.inside(Path(row["run_root"]), [state.settings.runs]):
        raise Refused(403, f"job {job_id}'s run directory is outside the run root")
    if state.worker is None:
        raise Refused(503, "this server runs no worker")
    state.worker.resume(job_id)
    return {"id": job_id, "accepted": True}
