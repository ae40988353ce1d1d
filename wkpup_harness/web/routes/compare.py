"""``/api/compare``: job ``a`` vs job ``b``, or vs its golden (``b=golden``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query

from wkpup_harness.errors import WkpupError
from wkpup_harness.inputs import echo
from wkpup_harness.report import views
from wkpup_harness.report.units import unit
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


def with_job(conn: Connection, a: int, b: str) -> tuple[list[dict[str, Any]], str]:
    if re.fullmatch(r"[0-9]{1,18}", b) is None or int(b) == 0:
        raise service.InputError(f"b {echo(b)}: a job id or 'golden'", "b")
    job_row(conn, int(b))
    return jobs.compare(conn, a, int(b)), f"job {b}"


@router.get("/compare")
def compare(
    state: State,
    a: Annotated[int, Query(ge=1, le=MAX_JOB_ID)],
    b: str,
    limit: int = Query(200, ge=0, le=100000),
) -> dict[str, Any]:
    """Job ``a`` vs job ``b``, or vs its golden (``b=golden``): per-cell deltas, largest
    relative change first."""
    with state.store() as conn:
        row_a = job_row(conn, a)
        if row_a["n_points"] is None:
            raise Refused(409, f"job {a} has no stored result to compare")
        if b == "golden":
            rows, b_label = with_golden(state.settings, conn, row_a)
        else:
            rows, b_label = with_job(conn, a, b)
    diffs = [dict(r, unit=unit(r["name"]), point=views.point_text(r))
             for r in rows if r["a_raw"] != r["b_raw"]]  # fmt: skip
    return clean(
        {"a": f"job {a}", "b": b_label, "cells": len(rows), "differences": len(diffs),
         "identical": not diffs, "rows": diffs if limit == 0 else diffs[:limit]}
    )  # fmt: skip
