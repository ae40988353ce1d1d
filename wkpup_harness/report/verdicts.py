"""The verdict table of a set of recorded jobs (a regression session, ``make sweep``): each
job, its points, its golden verdict, its spec verdict and the measurement nearest its limit,
with the margin in the measurement's unit and as a percentage of that limit.

Reads only what the store keeps (``store.jobs.verdict_rows``), so it says the same whichever
face or worker ran the jobs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tabulate import tabulate

from wkpup_harness.report.units import MISSING, unit
from wkpup_harness.report.units import margin_text as margin_value
from wkpup_harness.results import spec as spec_check

SERVE_URL = "http://127.0.0.1:8888"  # ``wkpup serve``'s default address (cli/serve.py)


def relative_margin(spec: Mapping[str, Any]) -> float:
    """A measurement's margin as a fraction of the limit it is nearest to (-inf: no value,
    i.e. a failed point; +inf: no margin recorded), so measurements of different units can
    be ranked. The denominator is that limit's magnitude, or the span when the limit is 0."""
    margin, value = spec.get("margin"), spec.get("worst_value")
    if margin is None:
        return -math.inf if spec.get("verdict") in ("fail", "no_data") else math.inf
    bounds = [b for b in (spec.get("lo"), spec.get("hi")) if b is not None]
    if not bounds or value is None:
        return margin
    nearest = min(bounds, key=lambda b: abs(value - b))
    scale = abs(nearest) or (abs(bounds[-1] - bounds[0]) if len(bounds) == 2 else 0.0)
    return margin / scale if scale else margin


def margin_percent(bounds: spec_check.Bounds, value: float | None) -> float | None:
    """A margin as a percent of the limit it is measured from (``2.448 kΩ`` inside a
    4 kΩ minimum: 61.2), as ``report.verdicts.relative_margin`` ranks them; None without a
    value or a limit to relate to."""
    m = spec_check.margin(bounds, value)
    if not math.isfinite(m):
        return None
    spec = {"margin": m, "worst_value": value, "lo": bounds.min, "hi": bounds.max}
    rel = relative_margin(spec)
    return None if rel == m else 100.0 * rel  # the same number: no limit to relate to


def worst_spec(specs: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The measurement nearest (or furthest past) its limit, relatively."""
    found = list(specs)
    return min(found, key=relative_margin) if found else None


def margin_text(spec: Mapping[str, Any] | None) -> str:
    """``rwkpull0 2.6 kΩ (18.6 %)``: the measurement, its margin with unit, and the margin
    as a percentage of the nearest limit (negative: past it)."""
    if spec is None:
        return MISSING
    name = str(spec["name"])
    if spec.get("margin") is None:
        return f"{name} no value"
    rel = relative_margin(spec)
    pct = 100 * rel if math.isfinite(rel) and rel != spec["margin"] else None
    return f"{name} {margin_value(spec['margin'], pct, unit(name))}"


def golden_text(job: Mapping[str, Any]) -> str:
    """A job's golden verdict; ``none`` for a finished job that has no golden (a domain job,
    a Python test's job), ``-`` while it runs or when it stopped before the gate."""
    if job.get("golden"):
        return str(job["golden"])
    return "none" if job.get("status") == "completed" else MISSING


def spec_text(job: Mapping[str, Any]) -> str:
    """A job's spec verdict (pass / near / fail); ``none`` for a finished job judged by no
    limits, ``-`` when there is no result to judge."""
    if job.get("spec_verdict"):
        return str(job["spec_verdict"])
    return "none" if job.get("status") == "completed" else MISSING


def render_jobs(rows: Sequence[Mapping[str, Any]]) -> str:
    """One line per job: id, job (scenario::name), domain, status, points (failed),
    golden verdict, spec verdict, worst margin; and the Monte Carlo yield (``mc_yield``, the
    lowest over the measurements with limits) when a job of the table has one."""
    table = []
    for r in rows:
        points = "" if r.get("n_points") is None else str(r["n_points"])
        if r.get("n_failed_points"):
            points += f" ({r['n_failed_points']} failed)"
        job = f"{r['scenario']}::{r['name']}" if r.get("scenario") else str(r.get("name") or "")
        table.append(
            [
                r["id"],
                job,
                r["domain"],
                r["status"],
                points,
                golden_text(r),
                spec_text(r),
                margin_text(worst_spec(r.get("specs") or ())),
            ]
        )
    headers = ["job", "name", "domain", "status", "points", "golden", "spec", "worst margin"]
    if any(r.get("mc_yield") for r in rows):
        headers.append("MC yield")
        for line, r in zip(table, rows, strict=True):
            line.append(r.get("mc_yield") or "")
    return tabulate(table, headers, tablefmt="simple", disable_numparse=True)


def next_steps(job_id: int | None, db: str) -> str:
    """Where to look next, after a session's table."""
    show = f"wkpup show {job_id}" if job_id is not None else "wkpup show <job>"
    page = f"{SERVE_URL}/jobs/{job_id}" if job_id is not None else SERVE_URL
    return "\n".join(
        [
            f"next: {show}        one job: stages, worst cases, spec verdicts, failed points",
            "      wkpup history       every recorded job, newest first",
            f"      wkpup serve         the dashboard, then open {page}",
            f"      (store: {db}; run `. .venv/bin/activate` first, or use .venv/bin/wkpup)",
        ]
    )
