"""The README's first hour: its two commands in their order, each with a measured time, and
no placeholder left where a figure or the sweep's output belongs."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def first_hour() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("## The first hour", 1)[1].split("\n## ", 1)[0]


def test_the_two_commands_come_in_order_each_with_its_time() -> None:
    part = first_hour()
    sweep, test = part.index("**1. `make sweep`**"), part.index("**3. `make test`**")
    assert sweep < part.index("**2. Look at it.**") < test
    for start, end in ((sweep, part.index("**2.")), (test, len(part))):
        assert re.search(r"≈ [0-9.]+ min on 2 cores: [0-9]+ s measured", part[start:end])


def test_no_placeholder_is_left() -> None:
    assert re.findall(r"\b[A-Z]+_(?:TIME|SAMPLE)\b", README.read_text(encoding="utf-8")) == []


def test_the_sample_is_what_the_sweep_prints() -> None:
    """The lines the plugin writes (session.verdict_summary, report.verdicts.next_steps)."""
    part = first_hour()
    lines = (
        "PVT job(s), recorded in",
        "wkpup: worst cases of gpio/wkpup_1p8v::perf_full",
        "next: wkpup show",
        "wkpup serve         the dashboard, then open http",
    )
    for line in lines:
        assert line in part
