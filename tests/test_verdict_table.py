"""The session's verdict table (report.verdicts.render_jobs): a Monte Carlo yield column only
when a job of the table has samples, filled for every such job, the last one included."""

from __future__ import annotations

from wkpup_harness.report.verdicts import render_jobs


def row(job: int, mc_yield: str = "") -> dict:
    return {"id": job, "scenario": "gpio/wkpup_1p8v", "name": f"j{job}", "domain": "gpio/1p8v",
            "status": "completed", "n_points": 6, "golden": "identical", "spec_verdict": "pass",
            "specs": [], "mc_yield": mc_yield}  # fmt: skip


def test_no_monte_carlo_no_yield_column() -> None:
    text = render_jobs([row(1), row(2)])
    assert "MC yield" not in text.splitlines()[0]


def test_the_yield_column_holds_each_monte_carlo_job() -> None:
    lines = render_jobs([row(1), row(2, "99.50 % (≥ 97.9 %)"), row(3, "40.00 % (≥ 11.76 %)")])
    lines = lines.splitlines()
    assert lines[0].split()[-2:] == ["MC", "yield"]
    assert not lines[2].rstrip().endswith("%)")  # job 1 has no samples: an empty cell
    assert lines[3].rstrip().endswith("99.50 % (≥ 97.9 %)")
    assert lines[4].rstrip().endswith("40.00 % (≥ 11.76 %)")
