"""A job's measurements across its recorded runs: "did this get worse since last week?".

Input is what ``store.trendqueries.history`` reads (the runs of one job name, oldest first,
their spec results and per-measurement extremes); output is one series per measurement — per
run its worst value, its margin to the limits and the spec verdict — and warnings where a
margin got worse:

- **fails**: a margin that was >= 0 went below 0 (the spec is violated);
- **into the near band**: a margin above the near band (``results.spec.near_band``: the
  ``near_margin`` fraction, 5 %, of the limit span or value) fell into it;
- **shrank past the near band**: a margin fell by more than the near band from one run to
  the next, even if it is still far from the limit.

The CLI (``wkpup trend``) and the web (``/trend``, ``/api/trend``) show this and nothing else.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from wkpup_harness.errors import WkpupError
from wkpup_harness.report.summary import BOOKKEEPING
from wkpup_harness.report.units import eng, unit
from wkpup_harness.results import spec as spec_check
from wkpup_harness.results.spec import Bounds

MAX_NAME = 200
HASH_SHOWN = 12
# What the scenario column holds for a domain job: the face that started it (the engine's
# FACE_SCENARIOS, engine/service.py), not a scenario file.
FACE_SCENARIOS = ("cli", "web")


class TrendError(WkpupError):
    """A job name that cannot be one, or one with no stored run (one line; 4xx / exit 2-3)."""


def parse_job(text: str) -> tuple[str | None, str]:
    """``gpio/wkpup_1p8v::smoke`` -> (scenario, name); ``smoke`` -> (None, name)."""
    if not (0 < len(text) <= MAX_NAME and text.isprintable()):
        raise TrendError(f"job name {text[:60]!r}: 1 to {MAX_NAME} printable characters")
    scenario, sep, name = text.rpartition("::")
    if sep and not (scenario and name):
        raise TrendError(f"job name {text!r}: NAME or SCENARIO::NAME")
    return (scenario or None), name


def job_label(scenario: str | None, name: str) -> str:
    """How a job is named to ``trend``: ``SCENARIO::NAME`` for a scenario job, ``NAME`` for a
    domain job."""
    return f"{scenario}::{name}" if scenario and scenario not in FACE_SCENARIOS else name


def one_job(text: str, runs: Sequence[Mapping[str, Any]]) -> None:
    """A trend follows one job: runs of the same name in two scenarios, or on two domains,
    are different jobs (a TrendError naming them)."""
    groups = {(job_label(r.get("scenario"), r["name"]), r["domain"]) for r in runs}
    if len(groups) > 1:
        named = sorted(f"{label} ({domain})" for label, domain in groups)
        raise TrendError(
            f"job name {text!r} names {len(groups)} different jobs: {', '.join(named)}; "
            "give SCENARIO::NAME"
        )


def run_info(job: Mapping[str, Any]) -> dict[str, Any]:
    core = (job.get("manifest_hash") or "")[:HASH_SHOWN] or None
    sim = " ".join(str(v) for v in (job.get("simulator"), job.get("simulator_version")) if v)
    return {"id": job["id"], "date": job.get("finished_at") or job["submitted_at"],
            "status": job["status"], "spec_verdict": job.get("spec_verdict"),
            "golden": job.get("golden"), "simulator": sim or None, "core": core,
            "domain": job.get("domain"), "scenario": job.get("scenario"),
            "points": job.get("n_points"), "failed": job.get("n_failed_points")}  # fmt: skip


def _warning(name: str, u: str, prev: Mapping[str, Any], now: Mapping[str, Any]) -> str | None:
    """What got worse from run ``prev`` to run ``now`` of one measurement, or None."""
    a, b = prev.get("margin"), now.get("margin")
    if a is None or b is None or b >= a:
        return None
    band = spec_check.near_band(Bounds(now.get("lo"), now.get("hi")), now["fraction"])
    where = f"{name}: margin {eng(a, u)} (job {prev['job']}) -> {eng(b, u)} (job {now['job']})"
    if b < 0 <= a:
        return f"{where}: fails now"
    if b <= band < a:
        return f"{where}: into the near band ({eng(band, u)})"
    if a - b > band:
        return f"{where}: shrank by {eng(a - b, u)}, more than the near band ({eng(band, u)})"
    return None


def _series(name: str, points: list[dict[str, Any]]) -> dict[str, Any]:
    u = unit(name)
    warnings = [w for p, n in itertools.pairwise(points) if (w := _warning(name, u, p, n))]
    limited = [p for p in points if p.get("margin") is not None]
    return {
        "name": name,
        "unit": u,
        "runs": [{k: v for k, v in p.items() if k != "fraction"} for p in points],
        "warnings": warnings,
        "worst_margin": min((p["margin"] for p in limited), default=None),
        "latest_margin": limited[-1]["margin"] if limited else None,
    }


def trend(
    runs: Sequence[Mapping[str, Any]],
    specs: Sequence[Mapping[str, Any]],
    extremes: Sequence[Mapping[str, Any]],
    fraction: float = spec_check.NEAR_DEFAULT,
) -> dict[str, Any]:
    """Runs (oldest first) and, per measurement, its series and warnings; measurements with
    limits first, by name."""
    spec_of = {(s["job_id"], s["name"]): s for s in specs}
    points: dict[str, list[dict[str, Any]]] = {}
    for e in extremes:
        if e["name"] in BOOKKEEPING:
            continue
        s = spec_of.get((e["job_id"], e["name"]), {})
        points.setdefault(e["name"], []).append(
            {
                "job": e["job_id"],
                "min": e["lo_value"],
                "max": e["hi_value"],
                "failed": e["n_failed"],
                "worst": s.get("worst_value"),
                "margin": s.get("margin"),
                "verdict": s.get("verdict") or s.get("status"),
                "lo": s.get("lo"),
                "hi": s.get("hi"),
                "fraction": fraction,
            }
        )
    order = {r["id"]: i for i, r in enumerate(runs)}
    series = [
        _series(n, sorted(p, key=lambda x: order.get(x["job"], 0))) for n, p in points.items()
    ]
    series.sort(key=lambda s: (s["latest_margin"] is None, s["name"]))
    return {
        "runs": [run_info(r) for r in runs],
        "measurements": series,
        "warnings": [w for s in series for w in s["warnings"]],
        "near_margin": fraction,
    }
