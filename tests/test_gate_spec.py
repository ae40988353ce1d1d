"""The spec gate (results/spec.py) at its edges: a value exactly on a limit passes, one just
past it fails; a failed or missing cell never passes; near is inclusive of its band; every
malformed limit is refused with its own line; verdicts of failed points and stored limits are
what every face shows. Fast: no simulator."""

from __future__ import annotations

import math

import pytest

from wkpup_harness.results import parse_creport, spec
from wkpup_harness.results.spec import Bounds, Judgement, Limit, SpecError

SUPPLY = ["v1: vcc", "v2: vccn", "v3: NA", "vcc_vid: x", "vccana: 1.8", "vccn: 1.8", "vcctx: y"]


def report(rows: list[str], names: str = "a\tb"):
    header = f"process\textract\ttemp\tv1\t{names}"
    return parse_creport("\n".join(["supply condition", *SUPPLY, "", header, *rows]) + "\n")


# rows: TT a=10 b=1 | SSG a=20 b=failed | FFG a=30 (b missing: a short row)
REPORT = report(
    [
        "TT\ttypical\t25\tmax\t10\t1",
        "SSG\ttypical\t25\tmax\t20\tfailed",
        "FFG\ttypical\t25\tmax\t30",
    ]
)


# --- Bounds ----------------------------------------------------------------------------------
def test_a_value_on_a_limit_is_admitted_just_past_it_is_not():
    b = Bounds(10.0, 20.0)
    assert b.admits(10.0) and b.admits(20.0) and b.admits(15.0)
    assert not b.admits(9.999) and not b.admits(20.001)
    assert Bounds(10.0, None).admits(1e300) and not Bounds(10.0, None).admits(9.0)
    assert Bounds(None, 20.0).admits(-1e300) and not Bounds(None, 20.0).admits(21.0)


def test_no_number_is_never_admitted():
    b = Bounds(None, 20.0)
    assert not b.admits(None) and not b.admits(math.nan)


def test_bounds_describe():
    assert Bounds(1.5, 2e4).describe() == "[1.5, 20000]"
    assert Bounds(1.5, None).describe() == ">= 1.5"
    assert Bounds(None, 2e-7).describe() == "<= 2e-07"


# --- parse_spec: every malformed limit, its own message --------------------------------------
def test_parse_spec_with_corner_overrides_inheriting_the_other_bound():
    limits = spec.parse_spec({"a": {"min": 1, "max": 5, "corners": {"SSG": {"max": 9}}}})
    assert limits["a"].name == "a"
    assert limits["a"].bounds == Bounds(1.0, 5.0)
    assert limits["a"].corners == {"SSG": Bounds(1.0, 9.0)}
    assert limits["a"].for_corner("SSG") == Bounds(1.0, 9.0)
    assert limits["a"].for_corner("TT") == Bounds(1.0, 5.0)


def test_min_equal_to_max_is_a_limit():
    assert spec.parse_spec({"a": {"min": 3, "max": 3}})["a"].bounds == Bounds(3.0, 3.0)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"a": 5}, "spec a: expected a mapping with min and/or max"),
        ({"a": {"min": "x"}}, "spec a.min: expected a number, got 'x'"),
        ({"a": {"max": True}}, "spec a.max: expected a number, got 'True'"),
        ({"a": {"max": math.nan}}, "spec a.max: expected a finite number, got nan"),
        ({"a": {"min": -math.inf}}, "spec a.min: expected a finite number, got -inf"),
        ({"a": {}}, "spec a: needs min and/or max"),
        ({"a": {"corners": {}}}, "spec a: needs min and/or max"),
        ({"a": {"min": 5, "max": 3}}, "spec a: min 5 is above max 3"),
        (
            {"a": {"min": 1, "typ": 2, "lo": 3}},
            "spec a: unknown key(s) lo, typ; allowed: min, max, corners",
        ),
        ({"a": {"min": 1, 7: 3}}, "spec a: unknown key(s) 7; allowed: min, max, corners"),
        ({"a": {"min": 1, "corners": 5}},
         "spec a.corners: expected a mapping of corner -> min/max"),
        ({"a": {"min": 1, "corners": {"SSG": 5}}},
         "spec a.SSG: expected a mapping with min and/or max"),
        (
            {"a": {"min": 1, "corners": {"SSG": {"corners": {}}}}},
            "spec a.SSG: unknown key(s) corners; allowed: min, max, corners",
        ),
        ({"a": {"min": 1, "corners": {"SSG": {"max": 0}}}}, "spec a.SSG: min 1 is above max 0"),
        ({"a": {"min": 1, "corners": {"SSG": {"max": "x"}}}},
         "spec a.SSG.max: expected a number, got 'x'"),
    ],
)  # fmt: skip
def test_each_malformed_limit_has_its_line(raw, message):
    with pytest.raises(SpecError) as info:
        spec.parse_spec(raw)
    assert str(info.value) == message


def test_a_bool_is_not_a_number_an_int_is():
    with pytest.raises(SpecError):
        spec.parse_spec({"a": {"min": False}})
    assert spec.parse_spec({"a": {"min": 0}})["a"].bounds == Bounds(0.0, None)


# --- check / summarize: the violating points ---------------------------------------------------
def test_check_lists_every_violation_with_failed_and_missing_cells():
    limits = spec.parse_spec({"a": {"max": 20}, "b": {"min": 0}})
    found = spec.check(REPORT, limits)
    # report order; a on its limit (SSG a = 20, max 20) passes
    assert [(v.row.corner, v.name, v.value, v.raw) for v in found] == [
        ("SSG", "b", None, "failed"),
        ("FFG", "a", 30.0, "30"),
        ("FFG", "b", None, ""),
    ]
    assert [v.describe() for v in found] == [
        "SSG typical 25C max: b = failed, spec >= 0",
        "FFG typical 25C max: a = 30, spec <= 20",
        "FFG typical 25C max: b = failed, spec >= 0",
    ]


def test_check_uses_the_corner_bounds():
    limits = spec.parse_spec(
        {"a": {"max": 15, "corners": {"SSG": {"max": 25}, "FFG": {"max": 35}}}}
    )
    assert spec.check(REPORT, limits) == []


def test_a_spec_naming_unmeasured_quantities_is_refused():
    msg = "spec names measurement(s) x, y that the report does not have; measured: a, b"
    limits = spec.parse_spec({"x": {"min": 0}, "y": {"min": 0}, "a": {"min": 0}})
    with pytest.raises(SpecError) as info:
        spec.check(REPORT, limits)
    assert str(info.value) == msg
    with pytest.raises(SpecError) as info:
        spec.verdicts(REPORT, limits)
    assert str(info.value) == msg


def test_summarize_cuts_at_fifty():
    v = spec.check(REPORT, spec.parse_spec({"a": {"max": 0}}))[0]
    line = "  TT typical 25C max: a = 10, spec <= 0"
    assert spec.summarize([v]) == "1 spec violation(s):\n" + line
    assert spec.summarize([v] * 50) == "\n".join(["50 spec violation(s):", *[line] * 50])
    assert spec.summarize([v] * 51) == "\n".join(
        ["51 spec violation(s):", *[line] * 50, "  ... and 1 more"]
    )
    assert spec.summarize([v] * 3, limit=2).endswith(f"{line}\n{line}\n  ... and 1 more")
    assert spec.summarize([]) == "0 spec violation(s):"


# --- margins, near, verdicts -----------------------------------------------------------------
def test_margin_is_the_distance_to_the_nearest_limit():
    assert spec.margin(Bounds(0.0, 10.0), 3.0) == 3.0
    assert spec.margin(Bounds(0.0, 10.0), 8.0) == 2.0
    assert spec.margin(Bounds(0.0, None), 8.0) == 8.0
    assert spec.margin(Bounds(None, 10.0), 12.0) == -2.0
    assert spec.margin(Bounds(0.0, 10.0), None) == -math.inf
    assert spec.margin(Bounds(0.0, 10.0), math.nan) == -math.inf


def test_near_band_of_each_kind_of_bounds():
    assert spec.near_band(Bounds(0.0, 100.0)) == 5.0
    assert spec.near_band(Bounds(10.0, 10.0)) == 0.5  # no span: 5 % of the limit
    assert spec.near_band(Bounds(-40.0, None)) == 2.0
    assert spec.near_band(Bounds(None, -40.0)) == 2.0
    assert spec.near_band(Bounds()) == 0.0
    assert spec.near_band(Bounds(0.0, 100.0), 0.5) == 50.0


def test_near_includes_the_edge_of_its_band():
    b = Bounds(0.0, 100.0)  # band 5
    assert spec.point_verdict(b, 95.0) == ("near", 5.0)
    assert spec.point_verdict(b, 5.0) == ("near", 5.0)
    assert spec.point_verdict(b, 94.0) == ("pass", 6.0)
    assert spec.point_verdict(b, 100.0) == ("near", 0.0)
    assert spec.point_verdict(b, 100.5) == ("fail", -0.5)


def test_judge_no_data_and_the_fraction():
    limit = Limit("a", Bounds(0.0, 100.0))
    assert spec.judge(limit, []) == Judgement("no_data", 0, 0, None, None, ())
    assert spec.judge(limit, [("TT", 80.0)]).verdict == "pass"
    j = spec.judge(limit, [("TT", 80.0)], 0.25)
    assert (j.verdict, j.n_near, j.margin, j.worst) == ("near", 1, 20.0, 0)


def test_verdicts_of_passing_near_and_failed_points():
    limits = spec.parse_spec({"a": {"min": 0, "max": 100}, "b": {"min": 0}})
    got = spec.verdicts(REPORT, limits)
    assert got == [
        {
            "name": "a", "lo": 0.0, "hi": 100.0, "status": "pass", "n_points": 3, "n_fail": 0,
            "worst_value": 10.0, "worst_seq": 0, "verdict": "pass", "margin": 10.0,
        },
        {
            # a failed cell: fail, its margin -inf is shown as no margin (None)
            "name": "b", "lo": 0.0, "hi": None, "status": "fail", "n_points": 3, "n_fail": 2,
            "worst_value": None, "worst_seq": 1, "verdict": "fail", "margin": None,
        },
    ]  # fmt: skip
    near = spec.verdicts(REPORT, spec.parse_spec({"a": {"min": 0, "max": 100}}), fraction=0.2)
    assert near[0]["verdict"] == "near" and near[0]["status"] == "pass"


def test_verdicts_of_a_report_without_rows_are_no_data():
    empty = report([])
    got = spec.verdicts(empty, spec.parse_spec({"a": {"min": 0}}))
    assert got[0]["status"] == "no_data" and got[0]["verdict"] == "no_data"
    assert got[0]["margin"] is None and got[0]["worst_seq"] is None
    assert spec.job_verdict(got) == "fail"


@pytest.mark.parametrize(
    ("measurements", "verdict"),
    [
        ([], None),
        ([{"verdict": "pass"}, {"verdict": "near"}], "near"),
        ([{"verdict": "near"}, {"verdict": "fail"}], "fail"),
        ([{"status": "fail"}], "fail"),  # stored before verdicts existed: its status
        ([{"status": "pass"}], "pass"),
        ([{"status": "no_data"}], "fail"),
        ([{"verdict": None, "status": "fail"}], "fail"),
        ([{"verdict": "no_data"}, {"verdict": "pass"}], "fail"),
    ],
)
def test_job_verdict(measurements, verdict):
    assert spec.job_verdict(measurements) == verdict


# --- limits kept with a job ------------------------------------------------------------------
def test_limits_data_round_trips():
    raw = {"a": {"min": 1.0, "max": 5.0, "corners": {"SSG": {"min": 1.0, "max": 9.0}}},
           "b": {"max": 2.0}}  # fmt: skip
    assert spec.limits_data(spec.parse_spec(raw)) == raw
    assert spec.parse_spec(spec.limits_data(spec.parse_spec(raw))) == spec.parse_spec(raw)


def test_stored_limits_skip_rows_without_bounds_and_keep_the_rest():
    rows = [
        {"name": "none", "lo": None, "hi": None},
        {"name": "lo_only", "lo": 1, "hi": None},
        {"name": "hi_only", "lo": None, "hi": "2.5"},
        {"name": 7, "lo": 0, "hi": 1},
    ]
    got = spec.stored_limits(rows)
    assert got == {
        "lo_only": Limit("lo_only", Bounds(1.0, None)),
        "hi_only": Limit("hi_only", Bounds(None, 2.5)),
        "7": Limit("7", Bounds(0.0, 1.0)),
    }
    assert isinstance(got["lo_only"].bounds.min, float)
