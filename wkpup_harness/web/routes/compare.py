"""``/api/compare``: job ``a`` vs job ``b``, or vs its golden (``b=golden``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query

from wkpup_harness.errors import WkpupError
from wkpup_harness.inputs import echo
from wkpup_harness.report import compare as compare_report
from wkpup_harness.results import golden as golden_gate
from wkpup_harness.results import read_creport
from wkpup_harness.settings import Settings
from wkpup_harness.store import jobs, queries
from wkpup_harness.store.queries import Connection
from wkpup_harness.web import service
from wkpup_harness.web.deps import MAX_JOB_ID, State, job_row
from wkpup_harness.web.errors import clean
from wkpup_harness.web.security import Refused

router = APIRouter(prefix="/api", tags=["api"])


def golden_of(settings: Settings, row: dict[str, Any]) -> Path | None:
    """The golden creport a job is gated on: the one it recorded, else its scenario's."""
    if row.get("golden_path"):
        return Path(row["golden_path"])
    if row.get("scenario") and row["scenario"] not in ("cli", service.FACE) and row["name"]:
        try:
            return golden_gate.golden_path(settings.golden, row["scenario"], row["name"])
        except WkpupError:  # a name that cannot be a directory has no golden
            return None
    return None


def with_golden(
    settings: Settings, conn: Connection, row: dict[str, Any]
) -> tuple[list[dict[str, Any]], str]:
    path = golden_of(settings, row)
    if path is None or not path.is_file():
        raise Refused(404, f"job {row['id']} has no golden creport (not a scenario job?)")
    rows = queries.compare_with_creport(conn, row, read_creport(path))
    shown = path.relative_to(settings.golden) if path.is_relative_to(settings.golden) else path
    return rows, f"golden {shown}"


def with_job(conn: Connection, a: int, b: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    if re.fullmatch(r"[0-9]{1,18}", b) is None or int(b) == 0:
        raise service.InputError(f"b {echo(b)}: a job id or 'golden'", "b")
    row_b = job_row(conn, int(b))
    return jobs.compare(conn, a, int(b)), row_b


def tolerance_of(rel: str | None, abs_: str | None) -> compare_report.Tolerance:
    try:
        return compare_report.tolerance(rel, abs_)
    except compare_report.ToleranceError as e:
        raise service.InputError(str(e), "abs" if str(e).startswith("abs") else "rel") from None


@router.get("/compare")
def compare(
    state: State,
    a: Annotated[int, Query(ge=1, le=MAX_JOB_ID)],
    b: str,
    rel: Annotated[str | None, Query(max_length=40)] = None,
    abs_: Annotated[str | None, Query(alias="abs", max_length=200)] = None,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    limit: Annotated[int, Query(ge=0, le=compare_report.MAX_PAGE)] = compare_report.PAGE,
) -> dict[str, Any]:
    """Job ``a`` vs job ``b``, or vs its golden (``b=golden``), with tolerances ``rel`` and
    ``abs`` (``1e-12`` or ``A=1e-12,V=1e-9,ohm=1e-3,s=1e-15``; defaults in the answer): the
    verdict, changed cells largest first from ``offset`` (``limit`` rows, 0: all), the
    points only in A / only in B, both jobs and their config differences."""
    tol = tolerance_of(rel, abs_)
    with state.store() as conn:
        row_a = job_row(conn, a)
        if row_a["n_points"] is None:
            raise Refused(409, f"job {a} has no stored result to compare")
        row_b: dict[str, Any] | None = None
        if b == "golden":
            rows, b_label = with_golden(state.settings, conn, row_a)
        else:
            rows, row_b = with_job(conn, a, b)
            b_label = f"job {b}"
    out = compare_report.comparison(rows, row_a, row_b, b_label, tol, offset=offset, limit=limit)
    return clean(out)
