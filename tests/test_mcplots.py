"""report.mcplots: the Monte Carlo histogram (bars that hold every value, the fitted normal
scaled to them, the limits, the worst sample, the yield in the title, the unit on the axis)
and the HTML export's Monte Carlo section. Samples are hand-written statistics inputs."""

from __future__ import annotations

import json
import math
import random
import statistics
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wkpup_harness.report import mcplots, plots
from wkpup_harness.results.mcstats import Sample, summarize, values_at, wilson

POINT = "SS typical m40 v1min"


def samples(values: list[float | None], name: str = "rwkpull0") -> list[Sample]:
    return [Sample(i, 500 + i, POINT, {name: v}) for i, v in enumerate(values, start=1)]


# 40 values 4.0 .. 7.9 kΩ in 100 Ω steps, and one failed sample
SPREAD = [4000.0 + 100.0 * i for i in range(40)]


def figure(values: list[float | None], limits: tuple, name: str = "rwkpull0") -> tuple:
    data = samples(values, name)
    stat = summarize(data, {name: limits})[0]
    return stat, mcplots.histogram(stat, values_at(data, name, POINT))


def traces(fig: dict, kind: str) -> list[dict]:
    return [t for t in fig["data"] if t["type"] == kind]


def test_the_histogram_holds_every_value_and_the_fit_has_its_area() -> None:
    stat, fig = figure([*SPREAD, None], (3000.0, 9000.0))
    (bars,) = traces(fig, "bar")
    assert sum(bars["y"]) == 40 and len(bars["y"]) == math.ceil(math.sqrt(40))  # 7 bins
    width = bars["width"]
    assert width == pytest.approx(3900.0 / 7)
    assert bars["x"][0] == pytest.approx(4000.0 + width / 2)
    fit = next(t for t in traces(fig, "scatter") if t["name"].startswith("normal fit"))
    xs, ys = fit["x"], fit["y"]
    # the mean is the middle point; the peak is N · width · pdf(mean)
    assert xs[len(xs) // 2] == pytest.approx(stat.mean)
    peak = 40 * width / (stat.sigma * math.sqrt(2 * math.pi))
    assert max(ys) == pytest.approx(peak)
    # the area under the curve (trapezoids over ±4 σ) is the bars' area, N · width
    area = sum((xs[i + 1] - xs[i]) * (ys[i] + ys[i + 1]) / 2 for i in range(len(xs) - 1))
    assert area == pytest.approx(40 * width * (2 * statistics.NormalDist().cdf(4) - 1), rel=1e-3)
    assert "σ 1.169 kΩ" in fit["name"]  # the sample σ of 4.0 .. 7.9 kΩ: 100 Ω · sqrt(41·40/12)
    json.dumps(fig, allow_nan=False)  # plain JSON for the browser


def test_title_axis_limits_and_worst() -> None:
    stat, fig = figure([*SPREAD, None], (3000.0, 7500.0))
    layout = fig["layout"]
    assert layout["xaxis"]["title"]["text"] == "rwkpull0 (Ω)"
    lo, hi = wilson(36, 41)  # the 36 of 4.0 .. 7.5 kΩ pass; the failed sample fails
    text = layout["title"]["text"]
    assert text.startswith(f"rwkpull0 at {POINT}: yield 87.80 % (")
    assert f"{math.floor(lo * 1e4) / 100:.2f} … {math.ceil(hi * 1e4) / 100:.2f} %" in text
    assert text.endswith("95 % Wilson), N = 41")
    lines = layout["shapes"]
    assert [(s["x0"], s["x1"], s["yref"]) for s in lines] == [
        (3000.0, 3000.0, "paper"),
        (7500.0, 7500.0, "paper"),
    ]
    assert all(s["line"]["color"] == plots.LIMIT_COLOUR for s in lines)
    notes = [a["text"] for a in layout["annotations"]]
    assert notes[0].startswith("spec min 3 kΩ (") and notes[1].startswith("spec max 7.5 kΩ (")
    assert "1 failed sample(s) not drawn, counted as failing" in notes
    # the x range shows both limits
    assert layout["xaxis"]["range"][0] < 3000.0 and layout["xaxis"]["range"][1] > 7900.0
    (worst,) = [t for t in traces(fig, "scatter") if t["name"].startswith("worst")]
    assert worst["x"] == [7900.0] and worst["name"] == "worst: #40 seed 540, 7.9 kΩ"
    assert stat.worst is not None and stat.worst.index == 40


def test_a_limit_far_outside_is_an_arrow_at_the_edge() -> None:
    _, fig = figure(SPREAD, (3000.0, 1e6))
    layout = fig["layout"]
    assert [s["x0"] for s in layout["shapes"]] == [3000.0]  # no line at 1 MΩ: bars kept wide
    (high,) = [a for a in layout["annotations"] if a["text"].endswith("→")]
    assert high["text"].startswith("spec max 1 MΩ (") and (high["xref"], high["x"]) == ("paper", 1)
    assert layout["xaxis"]["range"][1] < 1.2e4  # the axis stays on the data
    _, fig = figure([1e5 + v for v in SPREAD], (0.0, None))
    assert fig["layout"]["shapes"] == []
    (low,) = fig["layout"]["annotations"]
    assert low["text"].startswith("← spec min 0 Ω (") and (low["xref"], low["x"]) == ("paper", 0)


def test_one_sided_limit_draws_one_line() -> None:
    _, fig = figure(SPREAD, (None, 7000.0))
    assert [s["x0"] for s in fig["layout"]["shapes"]] == [7000.0]


def test_equal_values_one_bar_and_no_fit() -> None:
    _, fig = figure([5.0e-4] * 6, (4e-4, 6e-4), name="iwkp")
    (bars,) = traces(fig, "bar")
    assert bars["y"] == [6] and bars["x"] == [pytest.approx(5.0e-4)]
    assert not [t for t in traces(fig, "scatter") if t["name"].startswith("normal")]
    assert fig["layout"]["xaxis"]["title"]["text"] == "iwkp (A)"
    # σ = 0: every limit is infinitely many σ away, and far from the one narrow bin
    notes = [a["text"] for a in fig["layout"]["annotations"]]
    assert notes == ["← spec min 400 µA (+inf σ)", "spec max 600 µA (+inf σ) →"]
    json.dumps(fig, allow_nan=False)  # an infinite σ to limit is text, never a JSON number


def test_no_value_no_limits() -> None:
    stat, fig = figure([None, None], (None, None))
    assert fig["data"] == []
    assert fig["layout"]["title"]["text"] == f"rwkpull0 at {POINT}: N = 2, no spec limits"
    assert stat.n_failed == 2


def test_figures_one_per_stat_with_unique_ids() -> None:
    data = [
        Sample(1, 1, "TT a", {"rwkpull0": 1.0, "iwkp": 2.0}),
        Sample(2, 2, "TT/a", {"rwkpull0": 1.5, "iwkp": 2.5}),
    ]
    stats = summarize(data, {})
    figs = mcplots.figures(data, stats)
    assert [(f["name"], f["point"], f["kind"]) for f in figs] == [
        ("rwkpull0", "TT a", "mc-histogram"), ("rwkpull0", "TT/a", "mc-histogram"),
        ("iwkp", "TT a", "mc-histogram"), ("iwkp", "TT/a", "mc-histogram"),
    ]  # fmt: skip
    assert len({f["id"] for f in figs}) == 4
    assert sum(figs[3]["figure"]["data"][0]["y"]) == 1  # only that point's sample


def test_the_html_section_escapes_and_holds_table_and_plots() -> None:
    hostile = "</script><b>x"
    data = [Sample(i, i, hostile, {"rwkpull0": v}) for i, v in enumerate([5e3, 6e3, None], 1)]
    stats = summarize(data, {"rwkpull0": (4e3, 5.5e3)})
    figs = mcplots.figures(data, stats)
    text = mcplots.mc_section_html(stats, figs)
    assert "<b>x" not in text and "&lt;/script&gt;&lt;b&gt;x" in text
    assert text.count("</script>") == 1  # only the one that ends the plot script
    assert f'<div class="plot" id="{figs[0]["id"]}"></div>' in text
    assert "<td>5.5 kΩ</td>" in text  # the mean, with its unit
    assert "1 sample(s) without a value (failing): #3" in text
    assert "interval: two-sided 95 % Wilson" in text
    assert plots.plotly_js()[:200] not in text
    with_js = mcplots.mc_section_html(stats, figs, with_plotly=True)
    assert plots.plotly_js()[:200] in with_js
    assert "no Monte Carlo samples" in mcplots.mc_section_html([], [])


CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def test_the_section_draws_in_a_real_browser(tmp_path: Path) -> None:
    """The exported section, Plotly inlined, opened from a file in Debian's chromium: the
    bars, the fitted curve, both limit lines and the title are drawn, with no script error
    and nothing fetched. Hand-made normal data (a fixed seed), not simulator output."""
    assert CHROMIUM.is_file(), "no /usr/bin/chromium: `apt-get install -y chromium` (make tools)"
    from playwright.sync_api import sync_playwright

    rng = random.Random(7)
    data = samples([rng.gauss(6000.0, 500.0) for _ in range(200)])
    stats = summarize(data, {"rwkpull0": (4500.0, 7000.0)})
    section = mcplots.mc_section_html(stats, mcplots.figures(data, stats), with_plotly=True)
    page_file = tmp_path / "mc.html"
    page_file.write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{section}</body></html>',
        encoding="utf-8",
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            pg = browser.new_page(viewport={"width": 1200, "height": 900})
            errors: list[str] = []
            fetched: list[str] = []
            pg.on("pageerror", lambda e: errors.append(str(e)))
            pg.on("request", lambda r: fetched.append(r.url))
            pg.goto(page_file.as_uri())
            plot = pg.locator("div.plot").first
            plot.locator("g.trace.bars").first.wait_for(timeout=30_000)
            assert plot.locator("g.trace.bars g.point").count() == 15  # ceil(sqrt(200)) bins
            assert plot.locator("g.trace.scatter").count() == 2  # the fit, the worst sample
            assert plot.locator(".shapelayer path").count() == 2  # the two limits
            assert "yield" in (plot.locator(".gtitle").text_content() or "")
            pg.screenshot(path=str(tmp_path / "mc-histogram.png"))
        finally:
            browser.close()
    assert errors == [] and fetched == [page_file.as_uri()]


@given(st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=1, max_size=300))
def test_every_value_is_in_its_bin(values: list[float]) -> None:
    start, width, counts = mcplots.bins(values)
    assert sum(counts) == len(values) and width > 0
    assert len(counts) == (
        1 if min(values) == max(values) else min(40, math.ceil(len(values) ** 0.5))
    )
    slack = 1e-9 * (max(values) - min(values)) + 1e-300  # float rounding of the edges
    for v in values:
        i = min(len(counts) - 1, int((v - start) / width))
        assert start + i * width - slack <= v <= start + (i + 1) * width + slack
