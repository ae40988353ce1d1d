"""The yield table of a job's Monte Carlo samples, as ``wkpup run`` and ``wkpup show`` print
it: ``results.mcstats.summarize`` against the job's spec limits (per-corner overrides
honoured), then ``report.mctable.yield_table``. With limits, only the measurements that have
them are shown (a yield needs a spec); without, every measurement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_FLOOR

from wkpup_harness.report.mctable import pct, yield_table
from wkpup_harness.results.mcreport import limit_pairs
from wkpup_harness.results.mcstats import McStat, Sample, summarize
from wkpup_harness.results.spec import Limit


def mc_stats(
    samples: Sequence[Sample], spec: Mapping[str, Limit], corners: Mapping[str, str]
) -> list[McStat]:
    """The statistics every face shows (the table, the web, the export): with limits, of
    the measurements that have them; without, of every measurement."""
    stats = summarize(samples, limit_pairs(spec, corners))
    return [s for s in stats if s.measurement in spec] if spec else stats


def lowest_yield(stats: Sequence[McStat]) -> McStat | None:
    """The row with the lowest yield (then the lowest interval end) over the measurements
    with limits; None when no row has a yield."""
    judged = [s for s in stats if s.yield_ is not None]
    return min(judged, key=lambda s: (s.yield_, s.ci_lo or 0.0), default=None)


def yield_cell(stats: Sequence[McStat]) -> str:
    """A job's yield in one cell (history): ``99.50 % (≥ 97.91 %)``, the lowest yield and
    its interval's lower end (rounded down); empty without a yield."""
    low = lowest_yield(stats)
    if low is None:
        return ""
    return f"{pct(low.yield_)} % (≥ {pct(low.ci_lo, ROUND_FLOOR)} %)"


def mc_yield_text(
    samples: Sequence[Sample], spec: Mapping[str, Limit], corners: Mapping[str, str]
) -> str:
    """The header line (samples, points) and the yield table."""
    stats = mc_stats(samples, spec, corners)
    points = len({s.point for s in samples})
    head = f"Monte Carlo: {len(samples)} samples at {points} PVT point(s)"
    return head + "\n" + yield_table(stats, {})
