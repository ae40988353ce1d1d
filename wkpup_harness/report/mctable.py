"""The yield table of a Monte Carlo run (``wkpup run --mc``, ``wkpup show``, the HTML
export): one row per measurement and PVT point from ``results.mcstats.McStat``, every number
with its unit (``units.eng``), yields and intervals in percent, the sigma to each limit in σ.

Percentages keep two decimals; an interval's lower end is rounded down and its upper end up
(never narrower than computed), a yield to the nearest.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from tabulate import tabulate

from wkpup_harness.report.units import MINUS, MISSING, eng, unit
from wkpup_harness.results.mcstats import McStat, percent

HEADERS = (
    "measurement", "point", "N", "failed", "mean", "σ", "min", "max", "limits", "yield",
    "interval", "σ to min", "σ to max", "Cpk", "worst sample",
)  # fmt: skip
PERCENT_STEP = Decimal("0.01")


def pct(fraction: float | None, rounding: str = ROUND_HALF_UP) -> str:
    """``0.995`` -> ``99.50``: a fraction in percent, two decimals, without the sign."""
    if fraction is None:
        return MISSING
    return str((Decimal(repr(fraction)) * 100).quantize(PERCENT_STEP, rounding=rounding))


def interval_text(stat: McStat) -> str:
    """``97.23 … 99.91 %``: the yield's interval, never narrower than computed."""
    if stat.ci_lo is None or stat.ci_hi is None:
        return MISSING
    return f"{pct(stat.ci_lo, ROUND_FLOOR)} … {pct(stat.ci_hi, ROUND_CEILING)} %"


def sigmas(value: float | None) -> str:
    """``4.21 σ``, ``−0.53 σ``, ``+inf σ`` (σ = 0): a distance in standard deviations."""
    if value is None:
        return MISSING
    if math.isinf(value):
        return f"{'+' if value > 0 else MINUS}inf σ"
    return f"{value:.2f}".replace("-", MINUS) + " σ"


def ratio(value: float | None) -> str:
    """Cpk: a plain ratio, two decimals."""
    if value is None:
        return MISSING
    if math.isinf(value):
        return "+inf" if value > 0 else f"{MINUS}inf"
    return f"{value:.2f}".replace("-", MINUS)


def limits_text(lo: float | None, hi: float | None, u: str) -> str:
    """``2 kΩ … 20 kΩ``, ``≥ 2 kΩ``, ``≤ 20 kΩ``, or ``-`` without limits."""
    if lo is not None and hi is not None:
        return f"{eng(lo, u)} … {eng(hi, u)}"
    if lo is not None:
        return f"≥ {eng(lo, u)}"
    if hi is not None:
        return f"≤ {eng(hi, u)}"
    return MISSING


def worst_text(stat: McStat, u: str) -> str:
    """``#17 seed 1017: 2.105 kΩ`` (or ``failed``): the sample to rerun alone."""
    w = stat.worst
    if w is None:
        return MISSING
    return f"#{w.index} seed {w.seed}: {'failed' if w.value is None else eng(w.value, u)}"


def row(stat: McStat, u: str) -> list[str]:
    return [
        stat.measurement,
        stat.point,
        str(stat.n),
        str(stat.n_failed),
        eng(stat.mean, u),
        eng(stat.sigma, u),
        eng(stat.min, u),
        eng(stat.max, u),
        limits_text(stat.lo, stat.hi, u),
        MISSING if stat.yield_ is None else f"{pct(stat.yield_)} %",
        interval_text(stat),
        sigmas(stat.sigma_to_lo),
        sigmas(stat.sigma_to_hi),
        ratio(stat.cpk),
        worst_text(stat, u),
    ]


def legend(stats: Sequence[McStat]) -> str:
    """What the interval is: its confidence and method (one line; several when mixed)."""
    kinds = dict.fromkeys((s.confidence, s.method) for s in stats)
    return "; ".join(
        f"interval: two-sided {percent(c)} {m.replace('-', '–').title()}" for c, m in kinds
    )


def yield_table(stats: Sequence[McStat], units: Mapping[str, str]) -> str:
    """The text table for the terminal, then what the interval is and which samples failed
    (they count as failing the yield). ``units`` maps a measurement to its unit; one it does
    not name takes ``units.unit(name)``."""
    if not stats:
        return "no Monte Carlo samples"
    table = [row(s, units.get(s.measurement, unit(s.measurement))) for s in stats]
    lines = [
        tabulate(table, headers=list(HEADERS), tablefmt="simple", disable_numparse=True),
        f"yield: samples inside the limits / N, a failed sample fails; {legend(stats)}",
    ]
    for s in stats:
        if s.failed:
            shown = ", ".join(f"#{i}" for i in s.failed[:20])
            more = f" and {len(s.failed) - 20} more" if len(s.failed) > 20 else ""
            lines.append(
                f"{s.measurement} at {s.point}: {s.n_failed} sample(s) without a value "
                f"(failing): {shown}{more}"
            )
    return "\n".join(lines)
