"""End to end in a real browser: Debian's headless chromium driven by Playwright (no browser
download), against a real ``wkpup serve`` with real jobs (ngspice + SKY130).

Screenshots go to the test's temporary directory only: the suite never writes into the
checkout. To refresh the pictures the docs show (docs/screenshots/), name a directory in
``WKPUP_SCREENSHOT_DIR``: the job page and the live progress are then copied there as well
(``WKPUP_SCREENSHOT_DIR=docs/screenshots pytest tests/test_web_browser.py``, docs/web.md)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.webutil import Server, ngspice_under, running, smoke_limits
from wkpup_harness.engine.reaper import processes_with_token
from wkpup_harness.report.units import eng, unit
from wkpup_harness.store import jobs, queries

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
# where the docs' pictures are copied, only when asked for (never by default: a test run must
# leave a checkout as it found it)
SCREENSHOT_DIR = os.environ.get("WKPUP_SCREENSHOT_DIR")
pytestmark = pytest.mark.ngspice


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    # PAIHO_MODEL_TRIM=0: each point loads the whole models_fet (same numbers, the goldens
    # still match: tests/test_fidelity.py), so a 6-point job takes seconds and the live bar
    # is seen between 0 and 6 even on an idle machine (bin-trimmed points can all finish
    # within one 0.4 s event poll).
    with running(tmp_path_factory.mktemp("webui"), PAIHO_MODEL_TRIM="0") as s:
        yield s


@pytest.fixture(scope="module")
def browser():
    # `make test` installs chromium (apt, as root) and playwright (pip): a missing one is a
    # failure of the set-up, said plainly, never a skip.
    assert CHROMIUM.is_file(), "no /usr/bin/chromium: `apt-get install -y chromium` (make tools)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server: Server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    outside: list[str] = []
    pg.on("request", lambda r: None if r.url.startswith(server.url) else outside.append(r.url))
    pg.set_default_timeout(60_000)
    yield pg
    context.close()
    assert errors == [], errors  # no script error on any page
    assert outside == [], outside  # nothing fetched from anywhere but the server


def shot(pg, tmp_path: Path, name: str, docs: bool = False, full: bool = False) -> Path:
    path = tmp_path / f"{name}.png"
    pg.screenshot(path=str(path), full_page=full)
    if docs and SCREENSHOT_DIR:
        target = Path(SCREENSHOT_DIR)
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / path.name)
    return path


def test_submit_watch_progress_job_page_plots_and_golden(page, server: Server, tmp_path) -> None:
    pg = page
    pg.goto(server.url + "/")
    pg.wait_for_selector("#scenario option[value='gpio/wkpup_1p8v::smoke']", state="attached")
    pg.select_option("#scenario", "gpio/wkpup_1p8v::smoke")
    pg.evaluate("window.__sameDocument = true")  # gone if the page ever reloads
    pg.click("#submit")
    pg.wait_for_selector("#message a")
    job = int(re.search(r"job (\d+)", pg.inner_text("#message")).group(1))
    # live progress without reload: the SSE-driven bar counts the points
    row = pg.locator(f"#active-{job}")
    row.locator(".ptext", has_text=re.compile(r"[1-5] / 6 points")).wait_for(timeout=120_000)
    shot(pg, tmp_path, "live_progress", docs=True)
    row.locator(".ptext", has_text="completed").wait_for(timeout=120_000)
    assert pg.evaluate("window.__sameDocument") is True
    assert "6 / 6 points" in row.inner_text()

    # the job page: verdicts, worst cases with units, points table, Plotly plots
    row.locator("a").click()
    pg.wait_for_url(f"**/jobs/{job}")
    pg.wait_for_selector("#plots .plot .main-svg")
    pg.wait_for_selector("#heatmap .main-svg")
    assert "completed" in pg.inner_text("#title")
    specs = pg.inner_text("#specs")
    lo, hi = smoke_limits()
    limits = rf"\[{eng(lo, 'Ω')}, {eng(hi, 'Ω')}\]"  # engineering units: [4 kΩ, 14 kΩ]
    assert re.search(rf"rwkpull0\s+{limits}\s+(PASS|NEAR)", specs), specs
    worst = pg.inner_text("#worst")
    assert re.search(r"ioh_0\s+A\s", worst) and re.search(r"rwkpull0\s+Ω\s", worst), worst
    assert "golden" in pg.inner_text("#summary") and "identical" in pg.inner_text("#summary")
    n_plots = pg.locator("#plots .plot").count()
    assert n_plots == 9  # 9 measurements x temperature; one supply combination: no column plot
    svg = pg.locator("#plot-temp-rwkpull0")  # SVG text: text_content, not inner_text
    assert svg.locator(".gtitle").text_content() == "rwkpull0 vs temperature"
    assert svg.locator(".ytitle").text_content() == "rwkpull0 (Ω)"
    assert svg.locator(".xtitle").text_content() == "temperature (°C)"
    text = svg.text_content()  # a limit far from the data is an edge marker, still named
    assert f"spec max {eng(hi, 'Ω')}" in text and f"spec min {eng(lo, 'Ω')}" in text
    # points table: filter by corner, sort by a measurement
    assert pg.inner_text("#p-count") == "6 of 6 points"
    pg.select_option("#p-corner", "SSG")
    assert pg.inner_text("#p-count") == "2 of 6 points"
    pg.select_option("#p-corner", "")
    pg.click("#points th:has-text('rwkpull0 (Ω)')")
    first = pg.inner_text("#points tbody tr:first-child td:first-child")
    assert first == "FFG"  # strongest corner, lowest pull-up resistance first
    # values in engineering units (report.units.eng); the exact text kept as data-raw
    heads = [h.split(" (")[0] for h in pg.locator("#points thead th").all_inner_texts()]
    cells = pg.locator("#points tbody tr:first-child td")
    assert pg.locator("#points tbody tr:first-child td[data-raw]").count() == 9
    for i, name in enumerate(heads):
        raw = cells.nth(i).get_attribute("data-raw")
        if raw is not None:
            assert cells.nth(i).inner_text() == eng(float(raw), unit(name)), raw
    pg.set_viewport_size({"width": 1400, "height": 2400})  # header, tables, heat map, plots
    pg.evaluate("window.scrollTo(0, 0)")
    pg.wait_for_timeout(500)  # Plotly re-lays out responsive plots
    shot(pg, tmp_path, "job_page", docs=True)
    pg.set_viewport_size({"width": 1400, "height": 1000})
    shot(pg, tmp_path, "job_page_full", full=True)

    # compare with its golden
    pg.click("#compare-golden")
    pg.wait_for_url("**/compare?a=*&b=golden")
    pg.wait_for_selector("#verdict-text")
    assert pg.inner_text("#verdict-text") == "identical"
    assert "54 cells compared" in pg.inner_text("#verdict")  # temper, alter# not compared
    shot(pg, tmp_path, "compare_golden")


def test_cancel_from_the_job_page_leaves_no_simulation(page, server: Server, tmp_path) -> None:
    pg = page
    pg.goto(server.url + "/")
    pg.wait_for_selector("#domain option[value='gpio/1p8v']", state="attached")
    pg.check("input[name=mode][value=domain]")
    for corner in ("TT", "SSG"):
        pg.check(f"input[name=corner][value={corner}]")
    for temp in ("m40", "125"):
        pg.check(f"input[name=temp][value='{temp}']")
    pg.click("#validate")
    pg.wait_for_selector("#message.ok")
    assert "20 PVT points" in pg.inner_text("#message")
    pg.click("#submit")
    pg.wait_for_selector("#message a")
    pg.click("#message a")
    pg.wait_for_selector("#cancel:not([hidden])")
    pg.locator("#progress-text", has_text=re.compile(r"[1-9]\d* / 20 points")).wait_for(
        timeout=120_000
    )
    shot(pg, tmp_path, "before_cancel")
    pg.click("#cancel")
    pg.click("#cancel-yes")  # cancel asks for confirmation first
    pg.locator("#title", has_text="cancelled").wait_for(timeout=60_000)
    assert pg.locator("#resume").is_visible()
    job = int(pg.url.rsplit("/", 1)[1])
    _, row = server.get(f"/api/jobs/{job}")
    assert row["status"] == "cancelled" and row["points_done"] < 20
    assert "token" not in row  # never in an answer: read from the store
    with queries.opened(server.env["WKPUP_DB"]) as conn:
        token = jobs.get_job(conn, job)["token"]
    assert processes_with_token(token) == []
    assert ngspice_under(Path(row["run_root"])) == []
    shot(pg, tmp_path, "cancelled")


def test_form_errors_next_to_the_field_and_health(page, server: Server, tmp_path) -> None:
    pg = page
    pg.goto(server.url + "/")
    pg.wait_for_selector("#domain option[value='gpio/1p8v']", state="attached")
    pg.check("input[name=mode][value=domain]")
    pg.fill("#name", "x; reboot")
    pg.click("#validate")
    err = pg.locator(".err[data-field=name]")
    err.wait_for()
    assert "1 to 80 characters" in err.inner_text()
    pg.fill("#name", "")
    pg.check("input[name=corner][value=FFG]")
    pg.check("input[name=temp][value='85']")
    pg.click("#validate")
    pg.locator(".err[data-field=temperatures]", has_text="no PVT point").wait_for()
    shot(pg, tmp_path, "form_error")
    before = server.get("/api/jobs")[1]
    pg.click("#submit")
    pg.locator(".err[data-field=temperatures]", has_text="no PVT point").wait_for()
    assert server.get("/api/jobs")[1] == before  # nothing queued

    pg.goto(server.url + "/health")
    pg.wait_for_selector("#health tbody tr")
    text = pg.inner_text("#health")
    assert "core OK" in text and re.search(r"ngspice \S+ \(/", text), text
    assert pg.locator("#health td.fail").count() == 0
    shot(pg, tmp_path, "health")
