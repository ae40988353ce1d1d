"""The unit of a measurement (one map for web and export) and the spec's pass / near / fail."""

from __future__ import annotations

import math

import pytest

from wkpup_harness.report.units import unit, with_unit
from wkpup_harness.results.spec import (
    Bounds,
    near_band,
    point_verdict,
    stored_limits,
    worst_verdict,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ioh_0", "A"), ("ioh", "A"), ("ioh1", "A"), ("rwkpull0", "Ω"), ("rwkpull_vih2", "Ω"),
        ("vwkp", "V"), ("vwkp_drop", "V"), ("del_rr", "s"), ("del_ff", "s"), ("trise", "s"),
        ("tfall", "s"), ("temper", ""), ("alter#", ""), ("gain", ""),
    ],
)  # fmt: skip
def test_unit_from_the_measurement_name(name: str, expected: str) -> None:
    assert unit(name) == expected
    assert with_unit(name) == (f"{name} ({expected})" if expected else name)


def test_near_is_within_the_margin_of_the_span_or_the_value() -> None:
    both = Bounds(5000.0, 12000.0)  # span 7000: near within 350 of a limit
    assert near_band(both) == pytest.approx(350.0)
    assert point_verdict(both, 8000.0) == ("pass", 3000.0)
    assert point_verdict(both, 5300.0)[0] == "near"
    assert point_verdict(both, 11700.0)[0] == "near"
    assert point_verdict(both, 4999.0) == ("fail", -1.0)
    assert point_verdict(both, 5300.0, fraction=0.01)[0] == "pass"  # configurable
    upper = Bounds(None, 0.01)  # one limit: 5 % of its value
    assert near_band(upper) == pytest.approx(5e-4)
    assert point_verdict(upper, 0.0096)[0] == "near" and point_verdict(upper, 0.009)[0] == "pass"
    verdict, margin = point_verdict(upper, None)  # a failed cell never passes
    assert verdict == "fail" and margin == -math.inf
    assert worst_verdict(["pass", "near", "pass"]) == "near"
    assert worst_verdict(["near", "fail"]) == "fail" and worst_verdict([]) == "pass"


def test_limits_from_the_store_rows() -> None:
    rows = [{"name": "rwkpull0", "lo": 5000.0, "hi": 12000.0},
            {"name": "vwkp_drop", "lo": None, "hi": 0.01},
            {"name": "nothing", "lo": None, "hi": None}]  # fmt: skip
    limits = stored_limits(rows)
    assert set(limits) == {"rwkpull0", "vwkp_drop"}
    assert limits["vwkp_drop"].bounds == Bounds(None, 0.01)


def test_judge_every_point_by_its_corner_bounds() -> None:
    from wkpup_harness.results.spec import Limit, judge

    limit = Limit("rwkpull0", Bounds(5000.0, 12000.0), {"SSG": Bounds(5000.0, 20000.0)})
    j = judge(limit, [("TT", 8000.0), ("FFG", 5200.0), ("SSG", 15000.0), ("TT", None)])
    assert j.verdict == "fail" and j.n_fail == 1 and j.n_near == 1
    assert j.worst == 3 and j.margin == -math.inf  # the failed cell is the worst
    assert [v for v, _ in j.verdicts] == ["pass", "near", "pass", "fail"]  # SSG's own bounds
    assert judge(limit, []).verdict == "no_data"
