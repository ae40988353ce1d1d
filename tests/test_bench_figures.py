"""The bench summary's protocol (bench/figures.py): `make bench` collects the figures of every
bench module that defines figures(), Figure rows or dicts alike, and fails on any FAIL."""

from __future__ import annotations

import sys

import pytest
from coreutil import REPO

sys.path.insert(0, str(REPO / "bench"))
import figures


def test_every_figure_module_is_found_and_skippable() -> None:
    found = figures.providers()
    expected = {"harness_overhead", "xdist_scaling", "scale_bench", "cache_bench", "mc_bench"}
    assert expected | {"slurm_bench"} <= set(found)
    assert all(callable(fn) for fn in found.values())
    assert "harness_overhead" not in figures.providers(skip=["harness_overhead"])
    assert not {"perf", "figures", "procwatch"} & set(found)


def test_summary_takes_figures_and_dicts_and_fails_on_any_fail(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = [
        figures.Figure("harness / bare", 1.021, 1.03, True, "bare 60.1 s"),
        figures.as_figure(
            {
                "name": "cached rerun / first run",
                "value": 0.04,
                "target": 0.05,
                "passed": True,
                "detail": "92 points",
            }
        ),
        figures.Figure("peak", 2, 2, None),
    ]
    assert figures.print_summary(rows)
    out = capsys.readouterr().out
    assert "harness / bare" in out and "<= 1.030" in out and "PASS" in out and "info" in out
    assert "cached rerun / first run" in out and "92 points" in out
    assert not figures.print_summary([*rows, figures.Figure("-n 8 / -n 2", 1.2, 1.05, False)])
    assert "FAIL" in capsys.readouterr().out
