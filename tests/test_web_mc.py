"""A Monte Carlo job on the faces beside the PVT job's (docs/montecarlo.md, "In the web and
the export"): ``/api/jobs/{id}/mc`` (shape, 404, hostile ids, nothing private), the job
page's Monte Carlo section in a real browser (yield table in engineering units, one
histogram per measurement with its limits), the history's yield column (web and
``wkpup history``), and ``wkpup export --html`` with the section, working offline.

Real ngspice and SQLite: two small CLI jobs in the server's store (gpio/1p8v, condition
htol, SSG at -40 C: one PVT point), one with ``--mc 5 --seed 1``, one without. A screenshot
of the section goes to the test's tmp dir, and to ``WKPUP_SCREENSHOT_DIR`` when it is set."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import sqlite3
import statistics
from pathlib import Path

import pytest
from coreutil import DOMAINS
from hostile import isolated, wkpup

from tests.test_web_browser import browser, page  # noqa: F401  (fixtures, reused)
from tests.webutil import Server, running
from wkpup_harness.report import plots
from wkpup_harness.report.units import eng, unit

pytestmark = pytest.mark.ngspice

JOB = ["gpio/1p8v", "--set", "condition=htol", "--corners", "SSG", "--temperatures", "m40"]
N = 5
YIELD_CELL = re.compile(r"^\d{1,3}\.\d\d % \(≥ \d{1,3}\.\d\d %\)$")


def run_job(root: Path, domains: Path, *extra: str) -> int:
    env = isolated(root, WKPUP_DOMAINS=str(domains))
    o = wkpup("run", *JOB, *extra, "-q", cwd=root, env=env, timeout=600)
    assert o.code == 0, o.err[-3000:]
    return int(o.out.split()[-1])


def pvt_value(root: Path, job: int, name: str) -> float:
    conn = sqlite3.connect(root / "store" / "wkpup.db")
    (value,) = conn.execute(
        "SELECT value FROM measurements WHERE job_id = ? AND name = ?",
        (job, name),
    ).fetchone()
    conn.close()
    return value


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int]:
    """(root, the Monte Carlo job, a plain job), in one store. The Monte Carlo job runs in a
    copy of the domains whose rwkpull0 maximum sits 1 % above the plain job's simulated
    value at that point: the mismatch samples straddle it (a limit line amid the bars)."""
    root = tmp_path_factory.mktemp("webmc")
    plain = run_job(root, DOMAINS)
    tight = root / "domains"
    shutil.copytree(DOMAINS, tight)
    spec = tight / "gpio" / "1p8v" / "spec.yaml"
    edge = 1.01 * pvt_value(root, plain, "rwkpull0")
    text = re.sub(r"rwkpull0: \{min: (\S+), max: \S+\}", rf"rwkpull0: {{min: \1, max: {edge!r}}}",
                  spec.read_text())  # fmt: skip
    assert repr(edge) in text
    spec.write_text(text)
    return root, run_job(root, tight, "--mc", str(N), "--seed", "1"), plain


@pytest.fixture(scope="module")
def server(jobs: tuple[Path, int, int]):  # the page fixture's server: this store's
    with running(jobs[0]) as s:
        yield s


def stored_values(root: Path, job: int) -> dict[str, list[float]]:
    """Each measurement's sample values as the store holds them (from the simulation)."""
    conn = sqlite3.connect(root / "store" / "wkpup.db")
    rows = conn.execute(
        "SELECT name, value FROM mc_values WHERE job_id = ? ORDER BY idx", (job,)
    ).fetchall()
    conn.close()
    out: dict[str, list[float]] = {}
    for name, value in rows:
        if value is not None:
            out.setdefault(name, []).append(value)
    return out


def test_api_mc_shape_numbers_and_nothing_private(server: Server, jobs) -> None:
    root, mc, _ = jobs
    code, body = server.get(f"/api/jobs/{mc}/mc")
    assert code == 200, body
    assert (body["kind"], body["seed"], body["samples_per_point"], body["at"]) == (
        "mismatch", 1, N, "worst",
    )  # fmt: skip
    assert body["samples"] == N and body["points"] == 1
    assert "Wilson" in body["legend"]
    stats = body["stats"]
    values = stored_values(root, mc)
    assert stats and {s["measurement"] for s in stats} <= set(values)
    for s in stats:
        assert s["n"] == N and s["unit"] == unit(s["measurement"])
        vals = values[s["measurement"]]
        assert math.isclose(s["mean"], statistics.fmean(vals), rel_tol=1e-12)
        assert math.isclose(s["sigma"], statistics.stdev(vals), rel_tol=1e-9)
        assert s["cells"]["mean"] == eng(s["mean"], s["unit"])
        assert s["lo"] is not None or s["hi"] is not None  # only measurements with limits
        assert 0 <= s["ci_lo"] <= s["yield"] <= s["ci_hi"] <= 1
        w = s["worst"]
        assert w["rerun"] == f"wkpup rerun {mc} --sample {w['index']}" and 1 <= w["index"] <= N
    figs = body["figures"]
    assert [f["name"] for f in figs] == [s["measurement"] for s in stats]
    assert all(f["kind"] == "mc-histogram" for f in figs)
    for f in figs:  # the histogram's bars hold every sample
        assert sum(f["figure"]["data"][0]["y"]) == N
    text = json.dumps(body)
    assert "token" not in text and str(root) not in text  # no secret, no path
    # the job's stages in pipeline order, mc between srt and bkp
    _, job = server.get(f"/api/jobs/{mc}")
    assert [s["stage"] for s in job["stages"]] == ["gen", "run", "ext", "srt", "mc", "bkp"]
    assert [s["stage"] for s in job["progress"]["stages"]][-2:] == ["mc", "bkp"]


def test_api_mc_404_and_hostile_ids(server: Server, jobs) -> None:
    _, _, plain = jobs
    code, body = server.get(f"/api/jobs/{plain}/mc")
    assert code == 404 and body["detail"] == f"job {plain} has no Monte Carlo samples"
    code, body = server.get("/api/jobs/999999/mc")
    assert code == 404 and "no job 999999" in body["detail"]
    for bad in ("0", "-1", "abc", "1e3", "9" * 30, "1%20OR%201=1", "%2e%2e"):
        code, body = server.get(f"/api/jobs/{bad}/mc")
        assert code in (404, 422), (bad, code)
        assert "Traceback" not in json.dumps(body)


def test_history_yield_column_web_and_cli(server: Server, jobs) -> None:
    root, mc, plain = jobs
    code, rows = server.get("/api/jobs")
    assert code == 200
    by_id = {r["id"]: r for r in rows}
    assert YIELD_CELL.match(by_id[mc]["mc_yield"]), by_id[mc]["mc_yield"]
    assert by_id[plain]["mc_yield"] == ""
    env = isolated(root)
    o = wkpup("history", cwd=root, env=env)
    assert o.code == 0, o.err
    head, *lines = o.out.splitlines()
    assert head.split()[-1] == "yield"
    line = next(ln for ln in lines if ln.split()[0] == str(mc))
    assert line.rstrip().endswith(by_id[mc]["mc_yield"])
    o = wkpup("history", "--json", cwd=root, env=env)
    assert {r["id"]: r["mc_yield"] for r in json.loads(o.out)} == {
        mc: by_id[mc]["mc_yield"],
        plain: "",
    }


def test_job_page_mc_section_in_a_browser(page, server: Server, jobs, tmp_path) -> None:  # noqa: F811
    _, mc, plain = jobs
    _, body = server.get(f"/api/jobs/{mc}/mc")
    stats = body["stats"]
    pg = page
    pg.goto(f"{server.url}/jobs/{mc}")
    pg.wait_for_selector("#mc-plots .plot .main-svg")
    rows = pg.locator("#mc-table tbody tr")
    assert rows.count() == len(stats)
    heads = pg.locator("#mc-table thead th").all_inner_texts()
    for i, s in enumerate(stats):  # every number in engineering units, with its unit
        cells = rows.nth(i).locator("td").all_inner_texts()
        got = dict(zip(heads, cells, strict=True))
        assert got["measurement"] == s["measurement"]
        for col, key in (("mean", "mean"), ("σ", "sigma"), ("min", "min"), ("max", "max")):
            assert got[col] == eng(s[key], s["unit"]), (col, got[col])
            assert got[col].endswith(s["unit"])
        assert got["yield"] == s["cells"]["yield"] and got["interval"].endswith("%")
        worst, rerun = got["worst sample, rerun alone"].split("\n")
        w = s["worst"]
        assert worst == f"#{w['index']} seed {w['seed']}: {eng(w['value'], s['unit'])}"
        assert rerun == w["rerun"] == rows.nth(i).locator("code.mc-rerun").inner_text()
    # one histogram per measurement; its limits drawn (a line, or an edge marker when far)
    plots_ = pg.locator("#mc-plots .mc-histogram")
    assert plots_.count() == len(stats)
    lines = 0
    for i, s in enumerate(stats):
        div = plots_.nth(i)
        assert s["measurement"] in div.locator(".gtitle").text_content()
        assert "yield" in div.locator(".gtitle").text_content()
        text = div.text_content()
        for side in ("min", "max"):
            limit = s["lo" if side == "min" else "hi"]
            if limit is not None:
                assert f"spec {side} {eng(limit, s['unit'])}" in text
        assert "normal fit" in text
        lines += div.locator(".shapelayer path").count()
    assert lines >= 1  # at least one limit near enough the data to be a line
    pg.set_viewport_size({"width": 2000, "height": 1000})  # the whole table, no scrolling
    section = pg.locator("#mc")
    section.scroll_into_view_if_needed()
    pg.wait_for_timeout(300)
    path = tmp_path / "mc_section.png"
    section.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    if os.environ.get("WKPUP_SCREENSHOT_DIR"):
        target = Path(os.environ["WKPUP_SCREENSHOT_DIR"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / path.name)
    # a job without samples: no section
    pg.goto(f"{server.url}/jobs/{plain}")
    pg.wait_for_selector("#plots .plot .main-svg")
    assert pg.locator("#mc").is_hidden()
    # the home page's history: the yield column
    pg.goto(server.url + "/")
    cell = pg.locator(f"#history tbody tr:has(a[href='/jobs/{mc}']) td.mc-yield")
    cell.wait_for()
    assert YIELD_CELL.match(cell.inner_text())
    blank = pg.locator(f"#history tbody tr:has(a[href='/jobs/{plain}']) td.mc-yield")
    assert blank.inner_text() == ""


def test_export_html_has_the_section_and_works_offline(browser, jobs, tmp_path) -> None:  # noqa: F811
    root, mc, plain = jobs
    out = tmp_path / "mc.html"
    o = wkpup("export", str(mc), "--html", str(out), cwd=root, env=isolated(root))
    assert o.code == 0, o.err
    text = out.read_text(encoding="utf-8")
    assert text.count("<h2>Monte Carlo</h2>") == 1
    assert text.count(plots.plotly_js()[:400]) == 1  # Plotly inlined once for all the plots
    ours = text.replace(plots.plotly_js(), "")  # the bundle itself names plotly.com in strings
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", ours)
    assert "<link" not in ours
    plain_out = tmp_path / "plain.html"
    wkpup("export", str(plain), "--html", str(plain_out), cwd=root, env=isolated(root))
    assert "Monte Carlo" not in plain_out.read_text(encoding="utf-8")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    fetched: list[str] = []
    context.route("**/*", lambda r: (fetched.append(r.request.url), r.continue_()))
    errors: list[str] = []
    pg = context.new_page()
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(out.as_uri())
    pg.wait_for_selector("div.plot[id^='mc-'] .main-svg")
    drawn = pg.locator("div.plot.js-plotly-plot[id^='mc-']").count()
    context.close()
    assert drawn == text.count('<div class="plot" id="mc-') > 0  # every histogram drawn
    assert errors == []
    assert [u for u in fetched if not u.startswith("file://")] == []  # nothing from elsewhere
