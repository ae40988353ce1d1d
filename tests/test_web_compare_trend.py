"""Compare that tells signal from noise, trends across runs, and the form and layout an
engineer can use: in headless chromium against a real ``wkpup serve`` whose jobs ran on real
ngspice (issue 19, build items 4-6), plus the compare module and ``wkpup trend`` on their own.

The runs: gpio ``vid_on`` twice and ``vid_off`` once (the same five points; VID moves vc in
the last printed digits), a one-point domain job ``trendjob`` three times while its domain's
rwkpull0 limit (a tmp copy of domains/) is moved towards the measured value, and a two-point
job that shares one point with ``trendjob``. No number below is typed in: every value
compared or judged came from a simulation."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from tests.webutil import REPO, Server, running
from wkpup_harness.cli.main import main
from wkpup_harness.config import KNOWN_KEYS
from wkpup_harness.config.keyhelp import KEY_HELP
from wkpup_harness.report import compare as cmp
from wkpup_harness.results import read_creport
from wkpup_harness.store import db, jobs, queries

CHROMIUM = Path("/usr/bin/chromium")
# screenshots go to the test's tmp directory; copied to $WKPUP_SCREENSHOT_DIR too when set
SCREENSHOT_DIR = os.environ.get("WKPUP_SCREENSHOT_DIR")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
GOLDEN = REPO / "golden" / "gpio" / "wkpup_1p8v"
TREND_JOB = {"domain": "gpio/1p8v", "config": {"condition": "htol"}, "corners": ["TT"],
             "temperatures": ["m40"], "name": "trendjob"}  # fmt: skip


# --- the compare module on real creports (the goldens came from ngspice) ------------------------
def golden_store(tmp_path: Path, *names: str) -> tuple[db.Connection, list[dict]]:
    conn = db.connect(tmp_path / "cmp.db")
    out = []
    for name in names:
        with db.write(conn):
            ident = jobs.insert_job(conn, domain="gpio/1p8v", name=name)
            jobs.insert_result(conn, ident, read_creport(GOLDEN / name / "creport.txt"))
        out.append(jobs.get_job(conn, ident))
    return conn, out


def test_vid_on_vs_off_is_identical_within_tolerance_and_differs_at_zero(tmp_path) -> None:
    conn, (on, off) = golden_store(tmp_path, "vid_on", "vid_off")
    rows = jobs.compare(conn, on["id"], off["id"])
    got = cmp.comparison(rows, on, off, "job B")
    assert got["verdict"] == "identical within tolerance"
    assert got["cells"] == 5 * 9  # temper and alter# not compared
    assert {"temper", "alter#"} <= {r["name"] for r in rows} and got["hidden"] == [
        "temper", "alter#"
    ]  # fmt: skip
    assert got["within_tolerance"] > 0 and got["differences"] == 0 and got["rows"] == []
    strict = cmp.comparison(rows, on, off, "job B", cmp.tolerance("0", "0"))
    n = strict["differences"]
    assert (
        strict["within_tolerance"] == 0
        and strict["verdict"] == f"{n} of 45 cells differ"
        and n == got["within_tolerance"]
    )
    # every such change is a last-digit one: far inside the default relative tolerance
    assert all(r["rel"] < cmp.DEFAULT_REL for r in strict["rows"])
    same = cmp.comparison(jobs.compare(conn, on["id"], on["id"]), on, on, "job A")
    assert same["verdict"] == "identical" and same["identical"]


def test_different_point_sets_are_listed_apart_and_paged(tmp_path) -> None:
    conn, (smoke, full) = golden_store(tmp_path, "smoke", "perf_full")
    rows = jobs.compare(conn, smoke["id"], full["id"])
    got = cmp.comparison(rows, smoke, full, "job B", limit=7)
    only_b = {p["point"] for p in got["only_b"]}
    assert got["only_a"] == [] and len(only_b) == 92 - 6
    changed = {r["point"] for r in jobs_rows(conn, smoke, full)}
    assert not only_b & changed  # a point of one side only is never a changed cell
    assert (
        got["cells"] == 6 * 9
        and got["verdict"].startswith(f"point sets differ ({92 - 6} only in B); ")
        and got["verdict"].endswith(f"of the {got['cells']} cells in common differ")
    )
    pages, offset = [], 0
    while offset < got["differences"]:
        page = cmp.comparison(rows, smoke, full, "job B", offset=offset, limit=7)["rows"]
        assert 0 < len(page) <= 7
        pages += page
        offset += 7
    assert len(pages) == got["differences"]  # nothing cut
    rels = [r["rel"] for r in pages if r["rel"] is not None]
    assert rels == sorted(rels, reverse=True)  # largest change first across pages
    corners = next(d for d in got["config"] if d["key"] == "corners")
    assert corners["a"] == "FFG, SSG, TT" and "FFG_SSG" in corners["b"]


def jobs_rows(conn: db.Connection, a: dict, b: dict) -> list[dict]:
    return cmp.comparison(jobs.compare(conn, a["id"], b["id"]), a, b, "b", limit=0)["rows"]


def test_tolerance_parsing_one_line_errors() -> None:
    assert cmp.parse_abs("1e-9") == dict.fromkeys(cmp.DEFAULT_ABS, 1e-9)
    assert cmp.parse_abs("A=2e-12, ohm=0.5")["Ω"] == 0.5
    assert cmp.parse_abs(None) == dict(cmp.DEFAULT_ABS)
    for bad in ("X=1", "A=-1", "A=nan", "lots"):
        with pytest.raises(cmp.ToleranceError, match="abs"):
            cmp.parse_abs(bad)
    with pytest.raises(cmp.ToleranceError, match="rel"):
        cmp.parse_rel("-1e-6")


def test_config_help_has_one_source_and_the_doc_matches_it() -> None:
    assert set(KEY_HELP) == set(KNOWN_KEYS)
    doc = (REPO / "docs" / "config.md").read_text(encoding="utf-8")
    section = doc.split("## Key help", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `([^`]+)` \| (.+) \|$", section, re.M))
    assert rows == dict(KEY_HELP)


# --- the real runs ----------------------------------------------------------------------------
def move_limit(domains: Path, lo: float) -> None:
    spec = domains / "gpio" / "1p8v" / "spec.yaml"
    data = yaml.safe_load(spec.read_text(encoding="utf-8"))
    data["spec"]["rwkpull0"]["min"] = lo
    spec.write_text(yaml.safe_dump(data), encoding="utf-8")


def submit(server: Server, body: dict) -> dict:
    code, reply = server.post("/api/jobs", body)
    assert code in (200, 201, 202), reply
    return server.wait_job(reply["id"], ("completed",), timeout=300)


def trend_runs(server: Server, domains: Path) -> list[dict]:
    """Three runs of one point while rwkpull0's lower limit moves up to the value: the
    margin shrinks by more than the near band, then into it."""
    first = submit(server, TREND_JOB)
    _, res = server.get(f"/api/jobs/{first['id']}/results")
    value = res["points"][0]["cells"]["rwkpull0"]["value"]
    hi = float(yaml.safe_load((REPO / "domains/gpio/1p8v/spec.yaml").read_text())["spec"]
               ["rwkpull0"]["max"])  # fmt: skip
    runs = [first]
    for lo in (value - 0.4 * (value - 4000), value - 0.01 * (hi - value)):
        move_limit(domains, lo)
        runs.append(submit(server, TREND_JOB))
    return runs


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("cmptrend")
    domains = root / "domains"
    shutil.copytree(REPO / "domains", domains)
    with running(root, WKPUP_DOMAINS=str(domains)) as s:
        ids = {}
        for key, scen in (("on", "vid_on"), ("on2", "vid_on"), ("off", "vid_off")):
            ids[key] = submit(s, {"scenario": f"gpio/wkpup_1p8v::{scen}"})["id"]
        ids["trend"] = [r["id"] for r in trend_runs(s, domains)]
        pair = dict(TREND_JOB, temperatures=["m40", "125"], name="pair")
        ids["pair"] = submit(s, pair)["id"]
        yield s, ids


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM.is_file(), "no /usr/bin/chromium: `apt-get install -y chromium` (make tools)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, world):
    server = world[0]
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


def shot(pg, tmp_path: Path, name: str, full: bool = True) -> Path:
    path = tmp_path / f"{name}.png"
    pg.screenshot(path=str(path), full_page=full)
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(SCREENSHOT_DIR) / path.name)
    return path


def compare_verdict(pg, server: Server, query: str) -> str:
    pg.goto(f"{server.url}/compare?{query}")
    pg.wait_for_selector("#verdict-text")
    return pg.inner_text("#verdict-text")


@pytest.mark.ngspice
def test_compare_same_job_twice_is_identical(page, world, tmp_path) -> None:
    server, ids = world
    assert compare_verdict(page, server, f"a={ids['on']}&b={ids['on2']}") == "identical"
    assert "job " + str(ids["on"]) in page.inner_text("#jobs") and "vid_on" in page.inner_text(
        "#jobs"
    )
    assert page.locator("#diffs tbody tr").count() == 0 and page.locator("#diffs").is_hidden()
    shot(page, tmp_path, "compare_identical")


@pytest.mark.ngspice
def test_vid_on_vs_vid_off_within_tolerance_then_differs_at_zero(page, world, tmp_path) -> None:
    server, ids = world
    q = f"a={ids['on']}&b={ids['off']}"
    assert compare_verdict(page, server, q) == "identical within tolerance"
    assert page.locator("#diffs tbody tr").count() == 0 and page.locator("#diffs").is_hidden()
    # config differences at the top: the key that differs, with both values
    assert re.search(r"vcc_vid\s+Yes\s+No", page.inner_text("#config"))
    page.fill("#rel", "0")
    page.fill("#abs", "0")
    page.click("#compare-form button[type=submit]")
    page.locator("#verdict-text", has_text="cells differ").wait_for()
    n = int(page.inner_text("#verdict-text").split()[0])
    assert n > 0 and page.locator("#diffs tbody tr").count() == n
    assert "temper" not in page.inner_text("#diffs") and "alter#" not in page.inner_text("#diffs")
    shot(page, tmp_path, "compare_tol0")


@pytest.mark.ngspice
def test_different_point_sets_listed_apart_and_paging(page, world, tmp_path) -> None:
    server, ids = world
    a, b = ids["trend"][0], ids["pair"]
    verdict = compare_verdict(page, server, f"a={a}&b={b}")
    # the shared point is identical; the point sets' difference is said first
    assert verdict == "point sets differ (1 only in B); the 9 cells in common identical"
    assert page.locator("#only-b li").count() == 1
    assert page.inner_text("#only-b").startswith("TT typical 125C ")
    assert page.locator("#only-a").count() == 0
    # paging: vid_on vs vid_off at tolerance 0, 3 rows a page, every row reached once
    _, api = server.get(f"/api/compare?a={ids['on']}&b={ids['off']}&rel=0&abs=0&limit=0")
    total = api["differences"]
    assert total > 3
    compare_verdict(page, server, f"a={ids['on']}&b={ids['off']}&rel=0&abs=0&limit=3")
    seen = []
    while True:
        text = page.inner_text("#page-text")
        first, last, of = map(int, re.findall(r"\d+", text))
        assert of == total and last - first < 3
        seen += [tuple(c.inner_text() for c in r.locator("td").all()[:2])
                 for r in page.locator("#diffs tbody tr").all()]  # fmt: skip
        if last == total:
            break
        page.click("#next")
        page.locator("#page-text", has_text=f"rows {last + 1}").wait_for()
    assert len(seen) == total == len(set(seen))
    shot(page, tmp_path, "compare_paged")


@pytest.mark.ngspice
def test_trend_page_shows_history_and_warns_on_a_shrinking_margin(page, world, tmp_path) -> None:
    server, ids = world
    page.goto(f"{server.url}/trend?job=trendjob")
    page.wait_for_selector("#runs tbody tr")
    assert page.locator("#runs tbody tr").count() == 3
    runs_text = page.inner_text("#runs")
    assert all(str(i) in runs_text for i in ids["trend"]) and "ngspice" in runs_text
    warn = page.inner_text("#warning-list")
    assert "rwkpull0" in warn and "shrank by" in warn and "into the near band" in warn
    row = page.locator("#measurements tbody tr", has_text="rwkpull0")
    assert "near" in row.inner_text() and "kΩ" in row.inner_text()
    matrix = page.locator("#matrix tbody tr", has_text="rwkpull0").locator("td")
    assert matrix.count() == 4 and "near" in (matrix.nth(3).get_attribute("class") or "")
    page.wait_for_selector("#trend-plot .main-svg")
    shot(page, tmp_path, "trend_1400")
    page.set_viewport_size({"width": 800, "height": 1000})
    page.wait_for_timeout(500)  # Plotly re-lays out a responsive plot
    assert page.evaluate("document.documentElement.scrollWidth") <= 800
    shot(page, tmp_path, "trend_800")
    # the API says the same, and a name with no runs is one clear 404
    code, t = server.get("/api/trend?job=trendjob")
    assert code == 200 and [r["id"] for r in t["runs"]] == ids["trend"]
    code, names = server.get("/api/trend/jobs")
    runs_of = {n["job"]: n["runs"] for n in names}
    assert runs_of["trendjob"] == 3 and runs_of["gpio/wkpup_1p8v::vid_on"] == 2
    assert page.locator("#job-names option[value=trendjob]").count() == 1
    code, reply = server.get("/api/trend?job=nosuchjob")
    assert code == 404 and "no stored run of job 'nosuchjob'" in reply["detail"]
    assert "trendjob" in reply["detail"]


@pytest.mark.ngspice
def test_narrow_viewport_no_page_scrolls_sideways(page, world, tmp_path) -> None:
    server, ids = world
    page.set_viewport_size({"width": 800, "height": 1000})
    paths = ["/", f"/jobs/{ids['on']}", f"/compare?a={ids['on']}&b={ids['off']}&rel=0&abs=0",
             f"/compare?a={ids['trend'][0]}&b={ids['pair']}", "/trend?job=trendjob",
             "/health"]  # fmt: skip
    for path in paths:
        page.goto(server.url + path)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)
        width = page.evaluate("document.documentElement.scrollWidth")
        name = re.sub(r"\W+", "_", path).strip("_") or "index"
        shot(page, tmp_path, f"{name}_800")
        assert width <= 800, f"{path}: the page scrolls sideways ({width} px)"


LABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter((e) => e.type !== 'hidden' && !(e.labels && e.labels.length)
    && !e.getAttribute('aria-label'))
  .map((e) => e.id || e.name || e.outerHTML.slice(0, 60))"""


@pytest.mark.ngspice
def test_every_control_is_labelled_and_all_corners_is_explicit(page, world) -> None:
    server, _ = world
    page.goto(server.url + "/")
    page.wait_for_selector("#domain option[value='gpio/1p8v']", state="attached")
    page.check("input[name=mode][value=domain]")
    page.wait_for_selector("#config-keys [data-key]")
    assert page.evaluate(LABELLED) == []
    # help text from the one source beside each key
    help_id = page.get_attribute("[data-key='vcc_vid']", "aria-describedby")
    assert page.inner_text(f"#{help_id}") == KEY_HELP["vcc_vid"]
    assert page.is_checked("#all-corners") and "No corner ticked runs all" in page.inner_text(
        "#corners-help"
    )  # fmt: skip
    page.check("input[name=corner][value=TT]")
    assert not page.is_checked("#all-corners")
    page.uncheck("input[name=corner][value=TT]")
    assert page.is_checked("#all-corners")
    page.check("input[name=corner][value=TT]")
    page.check("#all-corners")
    assert page.locator("input[name=corner]:checked").count() == 0
    for path in ("/compare", "/trend", "/health"):
        page.goto(server.url + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate(LABELLED) == [], path


@pytest.mark.ngspice
def test_sortable_headers_work_from_the_keyboard(page, world) -> None:
    server, ids = world
    compare_verdict(page, server, f"a={ids['on']}&b={ids['off']}&rel=0&abs=0")
    th = page.locator("#diffs th[data-sort=rel]")
    assert th.get_attribute("tabindex") == "0"

    def rels() -> list[float]:
        cells = page.locator("#diffs tbody tr td:nth-child(6)").all_inner_texts()
        return [float(c.removesuffix(" %")) for c in cells]

    assert rels() == sorted(rels(), reverse=True)  # the server's order: largest first
    th.focus()
    page.keyboard.press("Enter")
    assert rels() == sorted(rels()) and th.get_attribute("aria-sort") == "ascending"
    page.keyboard.press(" ")
    assert rels() == sorted(rels(), reverse=True)
    assert th.get_attribute("aria-sort") == "descending"
    # the job page's points table (its own th.sortable): Enter sorts as a click does
    page.goto(f"{server.url}/jobs/{ids['off']}")
    page.wait_for_selector("#points tbody tr")
    header = "#points th.sortable >> nth=4"  # ioh_0: five different values

    def order() -> list[str]:
        return page.locator("#points tbody tr").all_inner_texts()

    before = order()
    assert page.get_attribute(header, "tabindex") == "0"
    page.focus(header)
    page.keyboard.press("Enter")
    by_key = order()
    page.reload()
    page.wait_for_selector("#points tbody tr")
    page.click(header)
    assert by_key == order() and sorted(by_key) == sorted(before)
    page.focus(header)
    page.keyboard.press(" ")  # again: the other direction
    column = page.locator("#points tbody tr td:nth-child(5)").all_inner_texts()
    assert column == [row.split("\t")[4] for row in by_key][::-1] and column != column[::-1]
    compare_verdict(page, server, f"a={ids['on']}&b={ids['off']}&rel=0&abs=0")
    # reached with Tab from the table's previous header
    page.locator("#diffs th[data-sort=point]").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.sort") == "name"


# --- wkpup trend / compare on the command line -----------------------------------------------
@pytest.fixture
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in [k for k in os.environ if k.startswith("WKPUP_")]:
        monkeypatch.delenv(name)
    path = tmp_path / "store" / "wkpup.db"
    monkeypatch.setenv("WKPUP_DB", str(path))
    monkeypatch.setenv("WKPUP_SLOT_DIR", str(tmp_path / "slots"))
    monkeypatch.chdir(tmp_path)
    return path


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.ngspice
def test_wkpup_trend_cli_output_and_bad_name(cli_store: Path, tmp_path: Path, capsys) -> None:
    domains = tmp_path / "domains"
    shutil.copytree(REPO / "domains", domains)
    base = ["run", "gpio/1p8v", "--domains", str(domains), "--set", "condition=htol",
            "--corners", "TT", "--temperatures", "m40", "--name", "clitrend", "-q"]  # fmt: skip
    code, out, err = cli(capsys, *base)
    assert code == 0, err
    conn = db.connect(cli_store)
    first = jobs.history(conn, limit=1)[0]
    value = queries.spec_results(conn, first["id"])
    lo = next(s for s in value if s["name"] == "rwkpull0")
    measured = lo["worst_value"]
    move_limit(domains, measured - 0.3 * (measured - lo["lo"]))  # margin shrinks by 70 %
    code, out, err = cli(capsys, *base)
    assert code == 0, err
    code, out, err = cli(capsys, "trend", "clitrend")
    assert code == 1, err  # a margin got worse
    assert re.search(r"^rwkpull0\s+\S+ kΩ \.\. 14 kΩ\s+\S+ kΩ\s+(pass|near)\s", out, re.M), out
    assert "WARNING: rwkpull0: margin" in out and "shrank by" in out
    assert out.count("ngspice") >= 2  # simulator per run
    ids = [str(first["id"]), str(first["id"] + 1)]
    assert re.search(rf"^worst margin\s+job {ids[0]}\s+job {ids[1]}$", out, re.M), out
    assert re.search(r"^rwkpull0\s+\S+ kΩ\s+\S+ (k)?Ω$", out, re.M), out
    code, out, err = cli(capsys, "trend", "clitrend", "--json")
    data = json.loads(out)
    assert len(data["runs"]) == 2 and data["warnings"]
    code, out, err = cli(capsys, "trend", "no_such_job")
    assert code == 3 and out == ""
    assert err.strip().splitlines() == [
        "wkpup: error: no stored run of job 'no_such_job'; jobs with runs: clitrend"
    ]
    code, out, err = cli(capsys, "trend", "a\x01b")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    # compare: same sections and tolerances on the command line
    code, out, err = cli(capsys, "compare", str(first["id"]), str(first["id"] + 1))
    assert code == 0 and "identical" in out.splitlines()[0]
    # the HTML export's header: labelled rows only, date, simulator, core, both verdicts
    code, out, err = cli(capsys, "export", str(first["id"]), "--html", str(tmp_path / "r.html"))
    assert code == 0, err
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    head = page.split('<table class="info">', 1)[1].split("</table>", 1)[0]
    rows = dict(re.findall(r'<tr><th scope="row">([^<]+)</th><td>([^<]*)</td></tr>', head))
    assert "<th></th>" not in page and rows["status"] == "completed"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", rows["date"])
    assert rows["simulator"].startswith("ngspice ") and rows["simulator"] != "ngspice "
    assert rows["core"].startswith("manifest sha256 ") and "verified" in rows["core"]
    assert rows["spec verdict"] in ("pass", "near")
    assert rows["golden"] == "not compared"  # a domain job has no golden
    code, out, err = cli(capsys, "compare", "1", "2", "--rel", "x")
    assert code == 2 and err.strip() == "wkpup: error: --rel 'x': a number >= 0 (e.g. 1e-6)"


@pytest.mark.ngspice
def test_bad_compare_and_trend_requests_are_one_line_4xx(world) -> None:
    server, ids = world
    a, b = ids["on"], ids["off"]
    for query, field in ((f"a={a}&b={b}&rel=abc", "rel"), (f"a={a}&b={b}&abs=X%3D1", "abs"),
                         (f"a={a}&b={b}&rel=-1", "rel"), (f"a={a}&b={b}&offset=-1", "offset"),
                         (f"a={a}&b={b}&limit=x", "limit")):  # fmt: skip
        code, reply = server.get(f"/api/compare?{query}")
        assert code == 422 and reply["field"] == field, (query, reply)
        assert "\n" not in reply["detail"] and "Traceback" not in reply["detail"]
    for job in ("", "a%01b", "::", "x" * 201):
        code, reply = server.get(f"/api/trend?job={job}")
        assert code == 422 and "\n" not in reply["detail"], (job, reply)
    # paging past the end is an empty page with the true total, never an error
    code, reply = server.get(f"/api/compare?a={a}&b={b}&rel=0&abs=0&offset=1000")
    assert code == 200 and reply["rows"] == [] and reply["differences"] > 0


@pytest.mark.parametrize(
    ("counts", "text"),
    [
        ((0, 54, 0, 0, 0), "identical"),
        ((0, 54, 1, 0, 0), "identical within tolerance"),
        ((3, 54, 0, 0, 0), "3 of 54 cells differ"),
        ((0, 9, 0, 0, 5), "point sets differ (5 only in B); the 9 cells in common identical"),
        (
            (0, 9, 2, 1, 0),
            "point sets differ (1 only in A); the 9 cells in common identical within tolerance",
        ),
        (
            (2, 9, 0, 1, 1),
            "point sets differ (1 only in A, 1 only in B); 2 of the 9 cells in common differ",
        ),
        ((0, 0, 0, 2, 0), "point sets differ (2 only in A); no point in common"),
    ],
)
def test_the_verdict_says_a_point_set_difference_first(counts, text) -> None:
    assert cmp.verdict(*counts) == text
