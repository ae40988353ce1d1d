"""report.partial: a job's result so far. A point that failed is a row without cells (it
fails its specs); a point that simulated fine but whose files cannot be read right now (the
ext stage moving them when a cancel came) is left out, never judged as a failure."""

from __future__ import annotations

from pathlib import Path

from wkpup_harness.report.partial import partial_creport


def sim(status: str, temp: str) -> dict[str, str]:
    return {"status": status, "corner": "TT", "extraction": "typical", "temp_token": temp,
            "vt": "v1max_v2max"}  # fmt: skip


def test_an_unreadable_ok_point_is_left_out_and_a_failed_one_is_an_empty_row(tmp_path: Path):
    report = partial_creport(tmp_path, [sim("ok", "m40"), sim("failed", "125")])
    assert report is not None
    assert [(r.temperature, r.cells) for r in report.rows] == [(125, {})]


def test_only_unreadable_ok_points_is_nothing_to_show_yet(tmp_path: Path) -> None:
    assert partial_creport(tmp_path, [sim("ok", "m40"), sim("running", "125")]) is None
