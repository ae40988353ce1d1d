"""``/api/trend``: a job's measurements across its recorded runs (``report.trend``), and
``/api/trend/jobs``: the job names that have runs (the trend page's chooser)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from wkpup_harness.report import trend as report_trend
from wkpup_harness.store import trendqueries
from wkpup_harness.web.deps import State
from wkpup_harness.web.errors import clean
from wkpup_harness.web.security import Refused
from wkpup_harness.web.service import InputError

router = APIRouter(prefix="/api", tags=["api"])


@router.get("/trend")
def trend(
    state: State, job: Annotated[str, Query(max_length=report_trend.MAX_NAME)]
) -> dict[str, Any]:
    """Every stored run of job ``job`` (``NAME`` or ``SCENARIO::NAME``), oldest first: per
    measurement its worst value, margin and verdict per run, and the warnings where a
    margin shrank into the near band or by more than it."""
    try:
        report_trend.parse_job(job)
    except report_trend.TrendError as e:
        raise InputError(str(e), "job") from None
    with state.store() as conn:
        try:
            out = trendqueries.trend_of(conn, job, state.settings.near_margin)
        except report_trend.TrendError as e:
            raise Refused(404, str(e)) from None
    return clean(out)


@router.get("/trend/jobs")
def trend_jobs(state: State) -> list[dict[str, Any]]:
    """Job names with stored runs, the most recently run first."""
    with state.store() as conn:
        rows = trendqueries.job_names(conn)
    out: dict[str, dict[str, Any]] = {}
    for r in rows:  # a domain job's runs from the CLI and from the web are one job name
        label = report_trend.job_label(r["scenario"], r["name"])
        seen = out.setdefault(label, {"job": label, "runs": 0, "last": r["last"]})
        seen["runs"] += r["runs"]
    return list(out.values())
