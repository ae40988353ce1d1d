"""results.mcstats and report.mctable against known values: the binomial intervals against
published ones, mean / σ / sigma-to-limit / Cpk on small hand-checkable data, the samples a
yield claim needs against the standard success-run table, and properties (hypothesis).

The samples here are hand-written statistics inputs, not simulator output.
"""

from __future__ import annotations

import math
import random
import re
from decimal import ROUND_CEILING, ROUND_FLOOR
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wkpup_harness.errors import WkpupError
from wkpup_harness.report.mctable import HEADERS, interval_text, pct, sigmas, yield_table
from wkpup_harness.results import mcstats
from wkpup_harness.results.mcstats import (
    CLOPPER_PEARSON,
    WILSON,
    McStatsError,
    Sample,
    binom_cdf,
    check_claim,
    clopper_pearson,
    interval,
    lower_bound,
    required_samples,
    summarize,
    wilson,
)

# (x, n, Wilson lo, hi, Clopper–Pearson lo, hi), two-sided 95 %.
# The first four rows are Newcombe, R. G. (1998), "Two-sided confidence intervals for the
# single proportion: comparison of seven methods", Statistics in Medicine 17, 857-872,
# Table I (methods 3, Wilson score without continuity correction, and 5, exact), to the
# four decimals printed there. Every row also agrees to 1e-9 with scipy 1.17.1,
# scipy.stats.binomtest(x, n).proportion_ci(0.95, method="wilson" / "exact"), run once
# outside this suite (scipy is not a dependency); the digits below are scipy's, rounded to 12.
KNOWN_95 = [
    (81, 263, 0.2553, 0.3662, 0.2527, 0.3676),
    (15, 148, 0.0624, 0.1605, 0.0578, 0.1617),
    (0, 20, 0.0, 0.1611, 0.0, 0.1684),
    (1, 29, 0.0061, 0.1718, 0.0009, 0.1776),
    (0, 10, 0.0, 0.277532799863, 0.0, 0.308497107819),
    (5, 10, 0.236593090513, 0.763406909487, 0.187086028447, 0.812913971553),
    (95, 100, 0.888249530768, 0.978456320846, 0.887165088895, 0.983568120818),
    (10, 10, 0.722467200137, 1.0, 0.691502892181, 1.0),
    (199, 200, 0.972226295602, 0.999116831284, 0.972458101542, 0.999873418972),
]
# scipy 1.17.1 likewise, 90 % confidence
KNOWN_90 = [
    (5, 10, 0.269271821138, 0.730728178862, 0.222441101008, 0.777558898992),
    (95, 100, 0.900838914721, 0.975452636574, 0.897746622357, 0.980094436338),
    (299, 299, 0.991032503337, 1.0, 0.990030853207, 1.0),
]


def _close(got: tuple[float, float], lo: float, hi: float, table_digits: bool) -> None:
    tol = 6e-5 if table_digits else 1e-9
    assert got[0] == pytest.approx(lo, abs=tol)
    assert got[1] == pytest.approx(hi, abs=tol)


@pytest.mark.parametrize("row", KNOWN_95, ids=lambda r: f"{r[0]}of{r[1]}")
def test_intervals_at_95_match_the_published_values(row: tuple) -> None:
    x, n, w_lo, w_hi, cp_lo, cp_hi = row
    digits = len(str(w_hi)) <= 6
    _close(wilson(x, n), w_lo, w_hi, digits)
    _close(clopper_pearson(x, n), cp_lo, cp_hi, digits)
    assert interval(x, n, 0.95, WILSON) == wilson(x, n)
    assert interval(x, n, 0.95, CLOPPER_PEARSON) == clopper_pearson(x, n)


@pytest.mark.parametrize("row", KNOWN_90, ids=lambda r: f"{r[0]}of{r[1]}")
def test_intervals_at_90_match_the_published_values(row: tuple) -> None:
    x, n, w_lo, w_hi, cp_lo, cp_hi = row
    _close(wilson(x, n, 0.90), w_lo, w_hi, False)
    _close(clopper_pearson(x, n, 0.90), cp_lo, cp_hi, False)


def test_the_exact_interval_with_no_failure_is_the_closed_form() -> None:
    # x = n: lo = (α/2)^(1/n); x = 0: hi = 1 - (α/2)^(1/n) (Clopper & Pearson 1934)
    assert clopper_pearson(10, 10) == (0.025 ** (1 / 10), 1.0)
    assert clopper_pearson(0, 10) == (0.0, 1 - 0.025 ** (1 / 10))
    # the "rule of three": 0 of n -> the one-sided 95 % bound is about 3/n
    assert clopper_pearson(0, 300, 0.90)[1] == pytest.approx(3 / 300, rel=0.01)


def test_clopper_pearson_far_in_the_tail_and_at_a_million() -> None:
    """3 failures in 100,000 (a high-yield run): the bounds by bisection on the exact binomial
    tail in mpmath 1.3.0 at 50 digits (run once outside this suite): 6.18676395892e-6 and
    8.76702025664e-5 (scipy 1.17.1 gives 6.1867639159e-6, 7e-9 off). 999,000 of 1,000,000:
    scipy 1.17.1, 0.998936081893 and 0.999060998792."""
    lo, hi = clopper_pearson(3, 100_000)
    assert lo == pytest.approx(6.18676395892e-6, rel=1e-9)
    assert hi == pytest.approx(8.76702025664e-5, rel=1e-9)
    lo, hi = clopper_pearson(999_000, 1_000_000)
    assert (lo, hi) == (
        pytest.approx(0.998936081893, abs=1e-11),
        pytest.approx(0.999060998792, abs=1e-11),
    )


def _exact_cdf(k: int, n: int, p: Fraction) -> Fraction:
    return sum((math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1)), Fraction(0))


@given(st.integers(1, 60), st.data(), st.fractions(Fraction(1, 1000), Fraction(999, 1000)))
def test_the_binomial_cdf_is_the_exact_sum(n: int, data: st.DataObject, p: Fraction) -> None:
    """The incomplete-beta CDF against the exact rational sum of the binomial terms."""
    k = data.draw(st.integers(-1, n))
    got = binom_cdf(k, n, float(p))
    assert got == pytest.approx(float(_exact_cdf(k, n, p)), abs=1e-12)


@given(st.integers(1, 400), st.data(), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_the_exact_bounds_put_alpha_half_in_each_tail(
    n: int, data: st.DataObject, confidence: float
) -> None:
    """The definition of Clopper–Pearson, checked independently of the bisection."""
    x = data.draw(st.integers(0, n))
    lo, hi = clopper_pearson(x, n, confidence)
    tail = (1 - confidence) / 2
    if x > 0:
        assert 1 - binom_cdf(x - 1, n, lo) == pytest.approx(tail, abs=1e-9)
    if x < n:
        assert binom_cdf(x, n, hi) == pytest.approx(tail, abs=1e-9)


METHOD = st.sampled_from([WILSON, CLOPPER_PEARSON])


@given(st.integers(1, 2000), st.data(), METHOD, st.floats(0.5, 0.999))
def test_an_interval_holds_the_estimate_within_0_1(
    n: int, data: st.DataObject, method: str, confidence: float
) -> None:
    x = data.draw(st.integers(0, n))
    lo, hi = interval(x, n, confidence, method)
    assert 0.0 <= lo <= x / n <= hi <= 1.0
    assert lo < hi


@given(st.integers(1, 300), st.data(), METHOD, st.integers(2, 10))
def test_an_interval_narrows_with_more_samples(
    n: int, data: st.DataObject, method: str, k: int
) -> None:
    """The same observed yield over k times the samples: a narrower interval."""
    x = data.draw(st.integers(0, n))
    lo, hi = interval(x, n, 0.95, method)
    lo_k, hi_k = interval(k * x, k * n, 0.95, method)
    assert hi_k - lo_k < hi - lo


@given(st.integers(1, 300), st.data(), METHOD)
def test_a_higher_confidence_widens_the_interval(n: int, data: st.DataObject, method: str) -> None:
    x = data.draw(st.integers(0, n))
    lo90, hi90 = interval(x, n, 0.90, method)
    lo99, hi99 = interval(x, n, 0.99, method)
    assert lo99 <= lo90 and hi90 <= hi99 and hi99 - lo99 > hi90 - lo90


# --- how many samples ---------------------------------------------------------------------


def test_required_samples_is_the_success_run_table() -> None:
    """N such that a yield of y is shown at confidence c with k failures: the standard
    success-run (reliability demonstration) values, e.g. 0.99 at 95 %: 299 / 473 / 628."""
    assert required_samples(0.99) == 299
    assert required_samples(0.99, 0.95) == 299
    assert [required_samples(0.90, 0.95, k) for k in (0, 1, 2)] == [29, 46, 61]
    assert [required_samples(0.99, 0.95, k) for k in (0, 1, 2)] == [299, 473, 628]
    assert required_samples(0.90, 0.90) == 22
    assert required_samples(0.999, 0.95) == 2995
    # an exact boundary: 0.5**2 == 1 - 0.75
    assert required_samples(0.5, 0.75) == 2


@given(st.floats(0.5, 0.9999), st.floats(0.5, 0.999))
def test_required_samples_with_no_failure_is_the_least_n(yield_target: float, c: float) -> None:
    """ln(1 - c) / ln(y) rounded up, checked in exact rational arithmetic."""
    n = required_samples(yield_target, c)
    y, alpha = Fraction(yield_target), 1 - Fraction(c)
    assert y**n <= alpha
    assert n == 1 or y ** (n - 1) > alpha


@given(st.sampled_from([0.8, 0.9, 0.95]), st.sampled_from([0.9, 0.95]), st.integers(1, 4))
def test_required_samples_with_failures_is_the_least_n(y: float, c: float, k: int) -> None:
    n = required_samples(y, c, k)
    q = 1 - Fraction(y)
    assert _exact_cdf(k, n, q) <= 1 - Fraction(c)
    assert _exact_cdf(k, n - 1, q) > 1 - Fraction(c)
    # the claim's bound is the one-sided exact one (the two-sided one's at 2c - 1)
    lo = lower_bound(n - k, n, c)
    assert lo == pytest.approx(clopper_pearson(n - k, n, 2 * c - 1)[0], abs=1e-12)
    assert lo >= y - 1e-12 and lower_bound(n - 1 - k, n - 1, c) < y


def test_the_lower_bound_of_a_clean_run_is_the_zero_failure_formula() -> None:
    assert lower_bound(299, 299) == 0.05 ** (1 / 299) and lower_bound(299, 299) > 0.99
    assert lower_bound(298, 298) < 0.99
    assert lower_bound(0, 10) == 0.0
    # 95 of 100 at one-sided 95 %: the lower end of the two-sided 90 % interval (scipy 1.17.1)
    assert lower_bound(95, 100) == pytest.approx(0.897746622357, abs=1e-9)


def test_check_claim_refuses_too_few_samples_in_one_line() -> None:
    check_claim(299, 0.99)
    check_claim(29, 0.90, 0.95)
    with pytest.raises(McStatsError) as caught:
        check_claim(298, 0.99)
    text = str(caught.value)
    assert isinstance(caught.value, WkpupError)
    assert "\n" not in text
    assert text.startswith("298 samples cannot show a yield of 99 % at 95 % confidence")
    assert "at least 299 samples" in text
    with pytest.raises(McStatsError, match="at least 2995 samples"):
        check_claim(1000, 0.999)


@pytest.mark.parametrize(
    "call",
    [
        lambda: check_claim(100, 1.0),
        lambda: check_claim(100, 0.99, 0.0),
        lambda: check_claim(100, 0.99, 1),
        lambda: check_claim(-1, 0.9),
        lambda: check_claim(True, 0.9),  # type: ignore[arg-type]
        lambda: required_samples(float("nan")),
        lambda: required_samples(0.9, "0.95"),  # type: ignore[arg-type]
        lambda: required_samples(0.9, 0.95, -1),
        lambda: wilson(3, 0),
        lambda: wilson(11, 10),
        lambda: clopper_pearson(-1, 10),
        lambda: lower_bound(5, 4),
        lambda: lower_bound(1, 4, 1.0),
        lambda: interval(1, 2, 0.95, "wald"),
        lambda: summarize([], {}, 1.5),
        lambda: summarize([], {}, 0.95, "agresti"),
        lambda: summarize(samples([1.0]), {"r": (2.0, 1.0)}),
        lambda: summarize(samples([1.0]), {"r": (float("nan"), None)}),
        lambda: summarize(samples([1.0]), {"r": (None, "5")}),
    ],
)
def test_impossible_input_is_one_clear_error(call: object) -> None:
    with pytest.raises(McStatsError) as caught:
        call()  # type: ignore[operator]
    assert "\n" not in str(caught.value) and str(caught.value)


# --- summarize ----------------------------------------------------------------------------

POINT = "TT typical 25 v1nom"


def samples(values: list[float | None], name: str = "r", point: str = POINT) -> list[Sample]:
    return [Sample(i, 100 + i, point, {name: v}) for i, v in enumerate(values, start=1)]


def only(stats: list[mcstats.McStat]) -> mcstats.McStat:
    assert len(stats) == 1
    return stats[0]


def test_mean_sigma_sigma_to_limits_and_cpk_by_hand() -> None:
    # 1..5: mean 3, variance (4+1+0+1+4)/4 = 2.5, σ = 1.58114; limits 0 and 6: 3/σ each side
    s = only(summarize(samples([1.0, 2.0, 3.0, 4.0, 5.0]), {"r": (0.0, 6.0)}))
    sigma = math.sqrt(2.5)
    assert (s.n, s.n_failed, s.n_pass, s.mean, s.min, s.max) == (5, 0, 5, 3.0, 1.0, 5.0)
    assert s.sigma == pytest.approx(sigma, rel=1e-15)
    assert s.sigma_to_lo == pytest.approx(3 / sigma) and s.sigma_to_hi == pytest.approx(3 / sigma)
    assert s.cpk == pytest.approx(1 / sigma)  # min(3, 3) / (3 σ)
    assert s.yield_ == 1.0 and (s.ci_lo, s.ci_hi) == wilson(5, 5)
    assert (s.measurement, s.point, s.method, s.confidence) == ("r", POINT, WILSON, 0.95)
    # the worst: 1 and 5 are both 1 from a limit; the first one wins
    assert s.worst == mcstats.Worst(1, 101, 1.0, 1.0)


def test_the_sign_of_sigma_to_limit_says_inside_or_outside() -> None:
    data = samples([1.0, 2.0, 3.0, 4.0, 5.0])
    sigma = math.sqrt(2.5)
    below = only(summarize(data, {"r": (4.0, None)}))  # the mean is under the lower limit
    assert below.sigma_to_lo == pytest.approx(-1 / sigma) and below.sigma_to_hi is None
    assert below.cpk == pytest.approx(-1 / (3 * sigma))
    above = only(summarize(data, {"r": (None, 2.5)}))  # ... over the upper limit
    assert above.sigma_to_hi == pytest.approx(-0.5 / sigma) and above.sigma_to_lo is None
    # a limit is inclusive (spec.Bounds.admits): 1, 2 and 2.5 would pass "<= 2.5"
    assert above.n_pass == 2 and above.yield_ == 0.4
    assert above.worst == mcstats.Worst(5, 105, 5.0, -2.5)


def test_one_sided_limits_give_one_sided_cpk() -> None:
    data = samples([1.0, 2.0, 3.0, 4.0, 5.0])
    sigma = math.sqrt(2.5)
    lower = only(summarize(data, {"r": (2.0, None)}))
    assert lower.sigma_to_lo == pytest.approx(1 / sigma)
    assert lower.cpk == pytest.approx(1 / (3 * sigma))  # Cpl alone
    assert lower.n_pass == 4 and lower.yield_ == 0.8  # 2.0 passes ">= 2"
    upper = only(summarize(data, {"r": (None, 9.0)}))
    assert upper.cpk == pytest.approx(6 / (3 * sigma))  # Cpu alone
    assert (lower.lo, lower.hi, upper.lo, upper.hi) == (2.0, None, None, 9.0)


def test_failed_samples_fail_the_yield_and_are_reported() -> None:
    data = samples([1.0, None, 3.0, float("nan"), 5.0, math.inf])
    data.append(Sample(7, 107, POINT, {}))  # a sample without the measurement at all
    s = only(summarize(data, {"r": (0.0, 10.0)}))
    assert (s.n, s.n_failed, s.failed, s.n_valid, s.n_pass) == (7, 4, (2, 4, 6, 7), 3, 3)
    assert s.yield_ == 3 / 7 and (s.ci_lo, s.ci_hi) == wilson(3, 7)
    assert s.mean == 3.0 and s.sigma == 2.0  # over the three values only
    assert s.worst == mcstats.Worst(1, 101, 1.0, 1.0)  # the worst *value*


def test_all_failed_names_the_first_failed_sample() -> None:
    s = only(summarize(samples([None, None]), {"r": (0.0, 1.0)}))
    assert (s.n_pass, s.yield_, s.mean, s.sigma, s.min, s.max) == (0, 0.0, None, None, None, None)
    assert s.worst == mcstats.Worst(1, 101, None, -math.inf)
    assert (s.sigma_to_lo, s.cpk) == (None, None)


def test_sigma_zero_is_defined() -> None:
    data = samples([2.0, 2.0, 2.0])
    inside = only(summarize(data, {"r": (1.0, 3.0)}))
    assert inside.sigma == 0.0
    assert (inside.sigma_to_lo, inside.sigma_to_hi, inside.cpk) == (math.inf, math.inf, math.inf)
    on = only(summarize(data, {"r": (2.0, 3.0)}))
    assert (on.sigma_to_lo, on.cpk, on.yield_) == (0.0, 0.0, 1.0)
    outside = only(summarize(data, {"r": (3.0, 4.0)}))
    assert (outside.sigma_to_lo, outside.cpk, outside.yield_) == (-math.inf, -math.inf, 0.0)


def test_one_sample_is_defined() -> None:
    s = only(summarize(samples([2.0]), {"r": (1.0, 3.0)}))
    assert (s.n, s.mean, s.sigma, s.min, s.max) == (1, 2.0, None, 2.0, 2.0)
    assert (s.sigma_to_lo, s.sigma_to_hi, s.cpk) == (None, None, None)
    assert s.yield_ == 1.0 and (s.ci_lo, s.ci_hi) == wilson(1, 1)


def test_no_limits_means_no_yield() -> None:
    s = only(summarize(samples([1.0, None, 3.0]), {}))
    assert (s.yield_, s.ci_lo, s.ci_hi, s.cpk, s.worst) == (None, None, None, None, None)
    assert (s.n_pass, s.n_failed, s.mean) == (2, 1, 2.0)


def test_order_limits_per_point_and_a_limit_no_sample_has() -> None:
    data = [
        Sample(1, 11, "SS", {"a": 1.0, "b": 5.0}),
        Sample(2, 12, "FF", {"a": 2.0, "b": 6.0}),
        Sample(3, 13, "SS", {"a": 3.0, "b": 7.0}),
    ]
    stats = summarize(data, {"b": (None, 6.5), ("b", "FF"): (None, 5.5), "c": (0.0, None)})
    assert [(s.measurement, s.point) for s in stats] == [
        ("a", "SS"), ("a", "FF"), ("b", "SS"), ("b", "FF"), ("c", "SS"), ("c", "FF"),
    ]  # fmt: skip
    b_ss, b_ff = stats[2], stats[3]
    assert (b_ss.hi, b_ss.n, b_ss.n_pass, b_ff.hi, b_ff.n_pass) == (6.5, 2, 1, 5.5, 0)
    assert (stats[4].n_failed, stats[4].yield_) == (2, 0.0)  # "c" was never measured: fails


def test_clopper_pearson_on_request() -> None:
    s = only(summarize(samples([1.0, 2.0, 9.0]), {"r": (0.0, 5.0)}, 0.9, CLOPPER_PEARSON))
    assert (s.method, s.confidence) == (CLOPPER_PEARSON, 0.9)
    assert (s.ci_lo, s.ci_hi) == clopper_pearson(2, 3, 0.9)


VALUE = st.one_of(st.none(), st.floats(-1e3, 1e3, allow_nan=False))


@given(st.lists(VALUE, min_size=1, max_size=60), st.floats(-1e3, 1e3), st.floats(0, 1e3))
def test_yield_is_a_fraction_and_the_order_of_samples_does_not_matter(
    values: list[float | None], lo: float, span: float
) -> None:
    data = samples(values)
    stat = only(summarize(data, {"r": (lo, lo + span)}))
    assert 0.0 <= stat.yield_ <= 1.0  # type: ignore[operator]
    assert stat.ci_lo <= stat.yield_ <= stat.ci_hi  # type: ignore[operator]
    assert stat.n_pass + stat.n_failed <= stat.n == len(values)
    shuffled = data[:]
    random.Random(len(values)).shuffle(shuffled)
    again = only(summarize(shuffled, {"r": (lo, lo + span)}))
    assert (again.mean, again.sigma, again.n_pass, again.cpk) == (
        stat.mean,
        stat.sigma,
        stat.n_pass,
        stat.cpk,
    )
    assert set(again.failed) == set(stat.failed)
    assert (again.worst is None) == (stat.worst is None)
    if stat.worst is not None:
        assert again.worst.margin == stat.worst.margin  # type: ignore[union-attr]


# --- the yield table ----------------------------------------------------------------------


def test_the_yield_table_has_units_percent_and_the_failed_samples() -> None:
    data = samples([3000.0, 4000.0, 5000.0, None, 8000.0], name="rwkpull0")
    text = yield_table(summarize(data, {"rwkpull0": (3500.0, 7000.0)}), {})
    row = text.splitlines()[2]
    assert "5 kΩ" in row and "3.5 kΩ … 7 kΩ" in row  # mean and limits, the unit from the name
    assert "40.00 %" in row  # 2 of 5 pass: 4000 and 5000
    lo, hi = wilson(2, 5)
    assert f"{pct(lo, ROUND_FLOOR)} … {pct(hi, ROUND_CEILING)} %" in row
    assert "#5 seed 105: 8 kΩ" in row  # 1 kΩ over the max: the worst
    # σ = 2.160 kΩ (deviations -2, -1, 0, 3 kΩ): 1.5 / 2.16 to the min, 2 / 2.16 to the max
    assert "2.16 kΩ" in row and "0.69 σ" in row and "0.93 σ" in row and "0.23" in row
    assert "interval: two-sided 95 % Wilson" in text
    assert "rwkpull0 at TT typical 25 v1nom: 1 sample(s) without a value (failing): #4" in text
    # a unit the caller gives wins over the name's
    assert "5 kV" in yield_table(summarize(data, {}), {"rwkpull0": "V"})
    assert yield_table([], {}) == "no Monte Carlo samples"


def test_percent_and_sigma_text() -> None:
    assert pct(0.995) == "99.50"  # 100 * 0.995 is 99.4999... in binary: decimal arithmetic
    assert pct(0.99999, ROUND_FLOOR) == "99.99" and pct(0.99991, ROUND_CEILING) == "100.00"
    assert sigmas(-0.5) == "−0.50 σ" and sigmas(math.inf) == "+inf σ" and sigmas(None) == "-"
    s = only(summarize(samples([1.0, 2.0]), {"r": (0.0, 5.0)}, 0.9, CLOPPER_PEARSON))
    assert interval_text(s).endswith("100.00 %")
    assert "interval: two-sided 90 % Clopper–Pearson" in yield_table([s], {})


def test_the_docs_table_of_n_is_required_samples() -> None:
    """docs/montecarlo.md "Choosing N": every cell of the table is what the code says."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "montecarlo.md").read_text("utf-8")
    section = doc.split("## Choosing N", 1)[1]
    rows = re.findall(r"^\| ([0-9.]+) % \|((?: [0-9]+ \|)+)$", section, re.MULTILINE)
    assert [y for y, _ in rows] == ["90", "95", "99", "99.9"]
    for y, cells in rows:
        want = [required_samples(float(y) / 100, c, k) for c in (0.90, 0.95) for k in (0, 1, 2)]
        assert [int(c) for c in cells.split("|") if c.strip()] == want, y
    assert "298 samples cannot show a yield of 99 % at 95 % confidence" in section
    lo95, lo90 = clopper_pearson(299, 299)[0], clopper_pearson(299, 299, 0.90)[0]
    assert f"{pct(lo95, ROUND_FLOOR)} … 100 %" in section and f"{100 * lo90:.3f} %" in section


def test_the_docs_explain_every_column_of_the_yield_table() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "montecarlo.md").read_text("utf-8")
    section = doc.split("## Statistics", 1)[1].split("\n## ", 1)[0]
    explained = {
        name.strip()
        for cell in re.findall(r"^\| ([^|]+) \| ", section, re.MULTILINE)
        for name in cell.split(",")
    }
    assert set(HEADERS) - {"measurement", "point"} <= explained
