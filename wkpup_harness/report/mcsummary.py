"""The yield table of a job's Monte Carlo samples, as ``wkpup run`` and ``wkpup show`` print
it: ``results.mcstats.summarize`` against the job's spec limits (per-corner overrides
honoured), then ``report.mctable.yield_table``. With limits, only the measurements that have
them are shown (a yield needs a spec); without, every measurement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from wkpup_harness.report.mctable import yield_table
from wkpup_harness.results.mcreport import limit_pairs
from wkpup_harness.results.mcstats import Sample, summarize
from wkpup_harness.results.spec import Limit


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
