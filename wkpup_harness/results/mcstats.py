"""Statistics of a Monte Carlo run: what an engineer signs a yield off with.

Per measurement and PVT point, over the samples of ``report/mcreport.txt`` (``Sample``, one
row each): mean, σ (the sample standard deviation, n − 1), min / max, the yield against the
spec limits with a two-sided confidence interval (Wilson by default, Clopper–Pearson on
request), the sigma to each limit, Cpk, and the worst sample with its seed (rerunnable
alone). ``required_samples`` / ``check_claim`` say how many samples a yield claim needs.
docs/montecarlo.md ("Statistics", "Choosing N") explains every number.

Pure Python (``math``, ``statistics``): the Clopper–Pearson bounds are found by bisection on
the binomial CDF, itself the regularized incomplete beta function (a continued fraction,
Numerical Recipes 3rd ed. §6.4). Sums are exactly rounded (``math.fsum``,
``statistics.stdev`` works in exact fractions), so the numbers do not depend on the order
the samples arrive in.

Defined edge cases (no ZeroDivisionError, no NaN):

- a sample whose value is None (failed, missing), NaN or infinite fails every limit of that
  measurement: it counts in ``n`` and ``n_failed`` (its index in ``failed``), never in
  ``n_pass``; ``worst`` is the worst sample *with a value* (a failed one only when no
  sample has a value: value None, margin −inf);
- one valid value: ``sigma``, ``sigma_to_*`` and ``cpk`` are None (no spread is known);
- σ = 0 (all values equal): ``sigma_to_*`` is +inf inside a limit, −inf outside, 0 on it,
  and ``cpk`` is the smaller of them / 3 (±inf or 0);
- a measurement without limits: ``yield_``, the interval, ``sigma_to_*``, ``cpk`` are None
  (a yield needs a spec); ``n_pass`` counts the samples that gave a number.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from wkpup_harness.errors import WkpupError
from wkpup_harness.results.spec import Bounds, margin

WILSON = "wilson"
CLOPPER_PEARSON = "clopper-pearson"
METHODS = (WILSON, CLOPPER_PEARSON)
CONFIDENCE = 0.95
# the continued fraction converges in O(sqrt(max(a, b))) steps; 1e6 samples need ~2000
BETACF_MAX_STEPS = 100_000
BETACF_EPS = 1e-16
BISECTION_STEPS = 200

LimitPair = tuple[float | None, float | None]


class McStatsError(WkpupError):
    """A Monte Carlo statistic asked of impossible input (a yield claim N cannot support, a
    confidence outside (0, 1), an unknown interval method); one line."""


@dataclass(frozen=True)
class Sample:
    """One row of mcreport.txt."""

    index: int  # 1..N
    seed: int
    point: str  # the PVT point's name as creport rows name it
    values: Mapping[str, float | None]  # measurement -> value (None: failed/missing)


@dataclass(frozen=True)
class Worst:
    """The sample nearest to (or furthest over) a limit: rerun it alone by its index."""

    index: int
    seed: int
    value: float | None  # None: the sample failed
    margin: float  # to the nearest limit, in the measurement's unit: < 0 outside, -inf failed


@dataclass(frozen=True)
class McStat:
    """The statistics of one measurement at one PVT point (docs/montecarlo.md)."""

    measurement: str
    point: str
    n: int  # samples at this point, failed ones included
    n_failed: int  # samples without a number for this measurement
    failed: tuple[int, ...]  # their indices
    mean: float | None  # over the samples with a number (None without any)
    sigma: float | None  # sample standard deviation (n - 1); None below two numbers
    min: float | None
    max: float | None
    lo: float | None  # the limits judged against
    hi: float | None
    n_pass: int  # samples inside the limits (a failed sample never passes)
    yield_: float | None  # n_pass / n; None without limits
    ci_lo: float | None  # the yield's two-sided interval at `confidence`
    ci_hi: float | None
    confidence: float
    method: str  # WILSON or CLOPPER_PEARSON
    sigma_to_lo: float | None  # (mean - lo) / sigma: > 0 inside
    sigma_to_hi: float | None  # (hi - mean) / sigma: > 0 inside
    cpk: float | None  # min(sigma_to_lo, sigma_to_hi) / 3 over the limits given
    worst: Worst | None  # of the samples with a value; None without limits

    @property
    def n_valid(self) -> int:
        return self.n - self.n_failed


# --- input checks ------------------------------------------------------------------------


def _fraction(value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise McStatsError(f"{what} must be a number between 0 and 1 (exclusive), got {value!r}")
    return float(value)


def _count(value: int, what: str, least: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise McStatsError(f"{what} must be a whole number >= {least}, got {value!r}")
    return value


def percent(fraction: float) -> str:
    """``0.99`` -> ``99 %``, ``0.999`` -> ``99.9 %``: a stated yield or confidence."""
    return f"{100 * fraction:.6g} %"


# --- the binomial distribution -----------------------------------------------------------


def _betacf(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, BETACF_MAX_STEPS + 1):
        m2 = 2 * m
        for num in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                    -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):  # fmt: skip
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            step = d * c
            h *= step
        if abs(step - 1.0) < BETACF_EPS:
            return h
    raise McStatsError(f"incomplete beta I_{x}({a}, {b}) did not converge")


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b), a, b > 0, 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return betainc(n - k, k + 1, 1.0 - p)


def _bisect(f: Callable[[float], float], target: float, increasing: bool) -> float:
    """The p in [0, 1] where the monotone ``f(p)`` crosses ``target``."""
    lo, hi = 0.0, 1.0
    for _ in range(BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        below = f(mid) < target
        if below == increasing:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


# --- intervals ---------------------------------------------------------------------------


def wilson(x: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson's score interval (no continuity correction) for x successes in n trials."""
    _check_counts(x, n)
    alpha = 1.0 - _fraction(confidence, "the confidence")
    z = statistics.NormalDist().inv_cdf(1.0 - alpha / 2.0)
    p = x / n
    z2n = z * z / n
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z / (1.0 + z2n) * math.sqrt(p * (1.0 - p) / n + z2n / (4.0 * n))
    lo = 0.0 if x == 0 else max(0.0, centre - half)
    hi = 1.0 if x == n else min(1.0, centre + half)
    return lo, hi


def _exact_lower(x: int, n: int, tail: float) -> float:
    """The p with P(X >= x | p) = tail (0 at x = 0; tail^(1/n) at x = n)."""
    if x == 0:
        return 0.0
    if x == n:
        return tail ** (1.0 / n)
    return _bisect(lambda p: 1.0 - binom_cdf(x - 1, n, p), tail, increasing=True)


def _exact_upper(x: int, n: int, tail: float) -> float:
    """The p with P(X <= x | p) = tail (1 at x = n; 1 - tail^(1/n) at x = 0)."""
    if x == n:
        return 1.0
    if x == 0:
        return 1.0 - tail ** (1.0 / n)
    return _bisect(lambda p: binom_cdf(x, n, p), tail, increasing=False)


def _check_counts(x: int, n: int) -> None:
    _count(n, "the number of samples", 1)
    _count(x, "the number passing")
    if x > n:
        raise McStatsError(f"{x} passing out of {n} samples")


def clopper_pearson(x: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The exact (Clopper–Pearson) interval: P(X >= x | lo) = P(X <= x | hi) = α/2."""
    _check_counts(x, n)
    tail = (1.0 - _fraction(confidence, "the confidence")) / 2.0
    return _exact_lower(x, n, tail), _exact_upper(x, n, tail)


def lower_bound(x: int, n: int, confidence: float = CONFIDENCE) -> float:
    """The one-sided exact lower bound of the yield with x of n passing: the largest Y that
    "yield >= Y at ``confidence``" may claim (what ``required_samples`` plans for)."""
    _check_counts(x, n)
    return _exact_lower(x, n, 1.0 - _fraction(confidence, "the confidence"))


def interval(
    x: int, n: int, confidence: float = CONFIDENCE, method: str = WILSON
) -> tuple[float, float]:
    """The yield's two-sided interval by ``method`` (WILSON or CLOPPER_PEARSON)."""
    if method == WILSON:
        return wilson(x, n, confidence)
    if method == CLOPPER_PEARSON:
        return clopper_pearson(x, n, confidence)
    raise McStatsError(f"unknown interval method {method!r}; allowed: {', '.join(METHODS)}")


# --- how many samples a yield claim needs ------------------------------------------------


def _claim_holds(n: int, fail_p: float, failures: int, alpha: float) -> bool:
    """With ``failures`` failures in ``n`` samples, is a failure rate of ``fail_p`` (or more)
    rejected at level ``alpha``?"""
    if failures == 0:
        return (1.0 - fail_p) ** n <= alpha
    return binom_cdf(failures, n, fail_p) <= alpha


def required_samples(yield_target: float, confidence: float = CONFIDENCE, failures: int = 0) -> int:
    """The smallest N whose one-sided exact (Clopper–Pearson) lower yield bound, with
    ``failures`` failing samples among them, reaches ``yield_target`` at ``confidence``.
    With no failure: the least N with yield_target**N <= 1 - confidence, i.e.
    N >= ln(1 - confidence) / ln(yield_target) (99 % at 95 %: 299)."""
    target = _fraction(yield_target, "the yield to claim")
    alpha = 1.0 - _fraction(confidence, "the confidence")
    _count(failures, "the number of failures")
    fail_p = 1.0 - target
    if failures == 0:
        n = max(1, math.ceil(math.log(alpha) / math.log(target)))
        while n > 1 and _claim_holds(n - 1, fail_p, 0, alpha):
            n -= 1
        while not _claim_holds(n, fail_p, 0, alpha):
            n += 1
        return n
    lo, hi = failures, failures + 1
    while not _claim_holds(hi, fail_p, failures, alpha):
        lo, hi = hi, 2 * hi
    while hi - lo > 1:  # invariant: lo does not hold, hi holds
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if _claim_holds(mid, fail_p, failures, alpha) else (mid, hi)
    return hi


def check_claim(n: int, yield_target: float, confidence: float = CONFIDENCE) -> None:
    """Refuse (McStatsError, one line) a yield claim that ``n`` samples cannot support even
    if every one of them passes."""
    _count(n, "the number of samples")
    need = required_samples(yield_target, confidence)
    if n < need:
        raise McStatsError(
            f"{n} samples cannot show a yield of {percent(yield_target)} at "
            f"{percent(confidence)} confidence: that takes at least {need} samples, all "
            f"passing (N >= ln(1 - confidence) / ln(yield); docs/montecarlo.md, Choosing N)"
        )


# --- per measurement and point -----------------------------------------------------------


def _number(value: float | None) -> float | None:
    """A sample's value, or None when it has none: failed, missing, NaN or infinite."""
    return None if value is None or not math.isfinite(value) else float(value)


def values_at(samples: Sequence[Sample], measurement: str, point: str) -> list[float]:
    """The numbers of ``measurement`` at ``point``, in sample order (failed ones left out:
    what a histogram draws; ``McStat.failed`` names those)."""
    return [
        v
        for s in samples
        if s.point == point and (v := _number(s.values.get(measurement))) is not None
    ]


def sigma_to(
    limit: float | None, mean: float | None, sigma: float | None, side: int
) -> float | None:
    """(limit − mean) / σ signed so that > 0 is inside: ``side`` -1 for a lower limit, +1
    for an upper one. σ = 0: ±inf (0 exactly on the limit)."""
    if limit is None or mean is None or sigma is None:
        return None
    distance = side * (limit - mean)
    if sigma == 0:
        return math.copysign(math.inf, distance) if distance else 0.0
    return distance / sigma


def _worst(samples: Sequence[tuple[Sample, float | None]], bounds: Bounds) -> Worst | None:
    """The sample with a value nearest to or furthest over a limit (the first on a tie);
    the first failed sample when none has a value; None without limits otherwise."""
    valued = [(s, v) for s, v in samples if v is not None]
    if not valued:
        return next((Worst(s.index, s.seed, None, -math.inf) for s, _ in samples), None)
    if bounds.min is None and bounds.max is None:
        return None
    sample, value = min(valued, key=lambda sv: margin(bounds, sv[1]))
    return Worst(sample.index, sample.seed, value, margin(bounds, value))


def _limits_for(limits: Mapping, measurement: str, point: str) -> LimitPair:
    lo, hi = limits.get((measurement, point), limits.get(measurement, (None, None)))
    for bound in (lo, hi):
        if bound is not None and (
            isinstance(bound, bool)
            or not isinstance(bound, int | float)
            or not math.isfinite(bound)
        ):
            raise McStatsError(f"{measurement} at {point}: limit {bound!r} is not a finite number")
    if lo is not None and hi is not None and lo > hi:
        raise McStatsError(f"{measurement} at {point}: min limit {lo:g} is above max {hi:g}")
    return (None if lo is None else float(lo), None if hi is None else float(hi))


def stat(
    measurement: str,
    point: str,
    samples: Sequence[Sample],
    limits: LimitPair,
    confidence: float = CONFIDENCE,
    method: str = WILSON,
) -> McStat:
    """The McStat of one measurement over the samples of one point."""
    pairs = [(s, _number(s.values.get(measurement))) for s in samples]
    values = [v for _, v in pairs if v is not None]
    failed = tuple(s.index for s, v in pairs if v is None)
    bounds = Bounds(*limits)
    limited = bounds.min is not None or bounds.max is not None
    n = len(pairs)
    n_pass = sum(1 for _, v in pairs if bounds.admits(v))
    mean = math.fsum(values) / len(values) if values else None
    sigma = statistics.stdev(values) if len(values) >= 2 else None
    ci = interval(n_pass, n, confidence, method) if limited and n else (None, None)
    to_lo = sigma_to(bounds.min, mean, sigma, -1)
    to_hi = sigma_to(bounds.max, mean, sigma, +1)
    sides = [s for s in (to_lo, to_hi) if s is not None]
    return McStat(
        measurement=measurement,
        point=point,
        n=n,
        n_failed=len(failed),
        failed=failed,
        mean=mean,
        sigma=sigma,
        min=min(values) if values else None,
        max=max(values) if values else None,
        lo=bounds.min,
        hi=bounds.max,
        n_pass=n_pass,
        yield_=n_pass / n if limited and n else None,
        ci_lo=ci[0],
        ci_hi=ci[1],
        confidence=confidence,
        method=method,
        sigma_to_lo=to_lo,
        sigma_to_hi=to_hi,
        cpk=min(sides) / 3.0 if sides else None,
        worst=_worst(pairs, bounds),
    )


def summarize(
    samples: Sequence[Sample],
    limits: Mapping[str | tuple[str, str], LimitPair],
    confidence: float = CONFIDENCE,
    method: str = WILSON,
) -> list[McStat]:
    """A McStat per (measurement, point): measurements in the order the samples (then the
    limits) name them, points in the order they first appear. ``limits`` maps a measurement
    to (lo, hi), either None; a key ``(measurement, point)`` overrides it at that point (a
    spec's per-corner bounds). A measurement a sample lacks is a failed value there."""
    _fraction(confidence, "the confidence")
    if method not in METHODS:
        raise McStatsError(f"unknown interval method {method!r}; allowed: {', '.join(METHODS)}")
    names: dict[str, None] = {}
    points: dict[str, list[Sample]] = {}
    for s in samples:
        names.update(dict.fromkeys(s.values))
        points.setdefault(s.point, []).append(s)
    names.update(dict.fromkeys(k for k in limits if isinstance(k, str)))
    return [
        stat(name, point, members, _limits_for(limits, name, point), confidence, method)
        for name in names
        for point, members in points.items()
    ]
