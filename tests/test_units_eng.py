"""The engineering formatter: ``report.units.eng`` (CLI, export) and ``eng`` in static/app.js
(the pages) write the same text for the same number: SI prefix, four significant digits,
the typographic minus, ties away from zero."""

from __future__ import annotations

import math

import pytest
from coreutil import REPO
from hypothesis import given, settings
from hypothesis import strategies as st

from wkpup_harness.report.units import MINUS, eng

CHROMIUM_PATH = "/usr/bin/chromium"


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (-0.000336881, "A", f"{MINUS}336.9 µA"),
        (0.00951719, "V", "9.517 mV"),
        (2448.21, "Ω", "2.448 kΩ"),
        (4.148e-10, "s", "414.8 ps"),
        (0.0, "V", "0 V"),
        (999.96, "V", "1 kV"),  # rounds up into the next prefix
        (999.94, "V", "999.9 V"),
        (100.25, "V", "100.3 V"),  # an exact tie goes away from zero, as toPrecision does
        (-100.25, "V", f"{MINUS}100.3 V"),
        (1e-15, "A", "1 fA"),  # the last prefix
        (9.9999e-16, "A", "9.9999e-16 A"),  # below it: number()'s text
        (1.5e13, "Ω", "15 TΩ"),
        (25.0, "°C", "25 °C"),  # no prefix on a unit that takes none
        (0.5, "", "0.5"),
        (None, "A", "-"),
        (math.nan, "V", "nan V"),
        (-math.inf, "A", "-inf A"),
    ],
)
def test_eng_known_values(value: float | None, unit: str, text: str) -> None:
    assert eng(value, unit) == text


FINITE = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e16, max_value=1e16)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(FINITE, min_size=1, max_size=40),
    unit=st.sampled_from(["A", "V", "Ω", "s", "°C", ""]),
)
def test_the_page_writes_what_python_writes(browser_page, values: list[float], unit: str) -> None:
    out = browser_page.evaluate(
        "([values, unit]) => values.map((v) => eng(v, unit))", [values, unit]
    )
    assert out == [eng(v, unit) for v in values]


@pytest.fixture(scope="module")
def browser_page():
    from pathlib import Path

    assert Path(CHROMIUM_PATH).is_file(), "no /usr/bin/chromium: `apt-get install -y chromium`"
    from playwright.sync_api import sync_playwright

    src = (REPO / "wkpup_harness/web/static/app.js").read_text()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM_PATH, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.add_script_tag(content=src)
            yield page
        finally:
            browser.close()
