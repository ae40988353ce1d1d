"""The yield table of a job's Monte Carlo samples, as ``wkpup run`` and ``wkpup show`` print
it: ``results.mcstats.summarize`` against the job's spec limits (per-corner overrides
honoured), then ``report.mctable.yield_table``. With limits, only the measurements that have
them are shown (a yield needs a spec); without, every measurement."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from wkpup_harness.report.mctable import yield_table
from wkpup_harness.results.mcreport import limit_pairs
from wkpup_harness.results.mcstats import Sample, summarize
from wkpup_harness.results.spec import Limit, parse_spec
from wkpup_harness.store import mcsamples
from wkpup_harness.store.db import Connection


def mc_yield_text(
    samples: Sequence[Sample], spec: Mapping[str, Limit], corners: Mapping[str, str]
) -> str:
    """The header line (samples, points) and the yield table."""
    stats = summarize(samples, limit_pairs(spec, corners))
    if spec:
        stats = [s for s in stats if s.measurement in spec]
    points = len({s.point for s in samples})
    head = f"Monte Carlo: {len(samples)} samples at {points} PVT point(s)"
    return head + "\n" + yield_table(stats, {})


def stored_mc(conn: Connection, job: Mapping[str, Any]) -> dict[str, Any] | None:
    """A stored job's Monte Carlo run (``wkpup show``): its settings, sample count and yield
    table against the limits recorded with the job; None for a job without samples."""
    head = mcsamples.mc_header(conn, job["id"])
    if head is None:
        return None
    samples, corners = mcsamples.mc_samples(conn, job["id"])
    spec = parse_spec(json.loads(job["spec_json"])) if job.get("spec_json") else {}
    return {
        "kind": head["mc_kind"],
        "seed": head["mc_seed"],
        "samples_per_point": head["mc_samples"],
        "at": head["mc_at"],
        "samples": head["n"],
        "table": mc_yield_text(samples, spec, corners),
    }
