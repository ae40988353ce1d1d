"""Named queries for a job's history across runs (``wkpup trend``, ``/trend``): every stored
run of one job name, oldest first, with its spec results (verdict, worst value, margin) and
each measurement's extremes. Reads only; the schema is unchanged (``report.trend`` turns this
into series and warnings)."""

from __future__ import annotations

from typing import Any

from wkpup_harness.report import trend as report_trend
from wkpup_harness.results.spec import NEAR_DEFAULT
from wkpup_harness.store.db import read
from wkpup_harness.store.queries import Connection

RUN_COLUMNS = (
    "id, status, submitted_at, finished_at, domain, scenario, name, simulator, "
    "simulator_version, manifest_hash, core_path, golden, spec_verdict, n_points, "
    "n_failed_points"
)
MAX_RUNS = 500  # the newest runs a trend reads


def runs(
    conn: Connection, name: str, scenario: str | None = None, limit: int = MAX_RUNS
) -> list[dict[str, Any]]:
    """The stored runs of the job ``name`` (of ``scenario`` when given) that have a result,
    oldest first (the newest ``limit`` of them)."""
    where = "name = ? AND n_points IS NOT NULL"
    args: list[Any] = [name]
    if scenario is not None:
        where += " AND scenario = ?"
        args.append(scenario)
    with read(conn):
        found = conn.execute(
            f"SELECT {RUN_COLUMNS} FROM jobs WHERE {where}"
            " ORDER BY submitted_at DESC, id DESC LIMIT ?",
            (*args, limit),
        ).fetchall()
    return [dict(r) for r in reversed(found)]


def _rows_of_jobs(conn: Connection, sql: str, ids: list[int]) -> list[dict[str, Any]]:
    """The rows of ``sql`` (its ``{marks}``: one placeholder per job id) for the jobs
    ``ids``; [] for none."""
    if not ids:
        return []
    with read(conn):
        return [dict(r) for r in conn.execute(sql.format(marks=", ".join("?" * len(ids))), ids)]


def spec_rows(conn: Connection, ids: list[int]) -> list[dict[str, Any]]:
    """Every spec result of the jobs ``ids`` (job_id, name, lo, hi, verdict, margin, ...)."""
    return _rows_of_jobs(
        conn, "SELECT * FROM spec_results WHERE job_id IN ({marks}) ORDER BY job_id, name", ids
    )


def extremes(conn: Connection, ids: list[int]) -> list[dict[str, Any]]:
    """Per job and measurement: the smallest and largest value over its points and how many
    points gave no number (failed cells)."""
    return _rows_of_jobs(
        conn,
        "SELECT job_id, name, min(value) AS lo_value, max(value) AS hi_value,"
        " count(*) - count(value) AS n_failed FROM measurements"
        " WHERE job_id IN ({marks}) GROUP BY job_id, name ORDER BY job_id, name",
        ids,
    )


def job_names(conn: Connection, limit: int = 200) -> list[dict[str, Any]]:
    """The job names with stored results, newest first: (scenario, name, runs, last)."""
    with read(conn):
        return [
            dict(r)
            for r in conn.execute(
                "SELECT scenario, name, count(*) AS runs, max(submitted_at) AS last FROM jobs"
                " WHERE name IS NOT NULL AND n_points IS NOT NULL GROUP BY scenario, name"
                " ORDER BY last DESC LIMIT ?",
                (limit,),
            )
        ]


def trend_of(conn: Connection, text: str, fraction: float | None = None) -> dict[str, Any]:
    """The trend of job ``text`` (``NAME`` or ``SCENARIO::NAME``) as ``report.trend`` builds
    it, or a TrendError naming the job names that have runs."""
    scenario, name = report_trend.parse_job(text)
    found = runs(conn, name, scenario)
    if not found:
        known = list(dict.fromkeys(report_trend.job_label(r["scenario"], r["name"])
                                   for r in job_names(conn, 8)))  # fmt: skip
        raise report_trend.TrendError(
            f"no stored run of job {text!r}; jobs with runs: {', '.join(known) or 'none'}"
        )
    report_trend.one_job(text, found)
    ids = [r["id"] for r in found]
    near = NEAR_DEFAULT if fraction is None else fraction
    out = report_trend.trend(found, spec_rows(conn, ids), extremes(conn, ids), near)
    out["job"] = {"scenario": scenario, "name": name, "text": text}
    return out
