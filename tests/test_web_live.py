"""Live state that is never stale, in a real browser (Debian's headless chromium through
Playwright) against a real ``wkpup serve`` running real jobs (ngspice + SKY130): the job page
AND the home page stay open, without reload, through cancel -> resume -> complete; partial
results after a cancel, labelled partial; cancel asks first and reads ``cancelled`` as no
error; stages in pipeline order; elapsed and an ETA while running. And the job API's
redaction: never a job's token; pid, host and paths only to a caller the server trusts.

Screenshots go to the test's temporary directory only."""

from __future__ import annotations

import re
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from starlette.requests import Request

from tests import test_web_browser
from tests.webutil import Server, running
from wkpup_harness.engine import STAGES
from wkpup_harness.report import views
from wkpup_harness.settings import resolve
from wkpup_harness.store import jobs, queries
from wkpup_harness.web import service
from wkpup_harness.web.deps import AppState
from wkpup_harness.web.routes.jobs import PRIVATE, redact, trusted

# TT and SSG at -40 and 125 C: 20 points, enough to cancel part-way through
JOB = {"domain": "gpio/1p8v", "corners": ["TT", "SSG"],
       "temperatures": ["m40", "125"], "name": "live"}  # fmt: skip
PIPELINE = ["gen", "run", "ext", "srt", "bkp"]
pytestmark = pytest.mark.ngspice
browser = test_web_browser.browser  # the one headless-chromium fixture


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    # PAIHO_MODEL_TRIM=0: each point loads the whole models_fet (same numbers), so a point
    # takes long enough that a cancel lands part-way and the resume is seen running.
    with running(tmp_path_factory.mktemp("weblive"), PAIHO_MODEL_TRIM="0") as s:
        yield s


@pytest.fixture
def context(browser, server: Server):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    outside: list[str] = []
    ctx.on("page", lambda pg: pg.on("pageerror", lambda e: errors.append(str(e))))
    ctx.on("request", lambda r: None if r.url.startswith(server.url) else outside.append(r.url))
    ctx.set_default_timeout(60_000)
    yield ctx
    ctx.close()
    assert errors == [], errors  # no script error on any page
    assert outside == [], outside  # nothing fetched from anywhere but the server


def stage_rows(pg) -> list[list[str]]:
    """The stage table as [stage, status, exit, took] per row, top to bottom."""
    return [
        [c.strip() for c in row.split("\t")][:4]
        for row in pg.locator("#stages tbody tr").all_inner_texts()
    ]


def wait_stage(pg, stage: str, status: str, timeout: float = 120_000) -> None:
    pg.wait_for_function(
        """([stage, status]) => {
             const r = document.querySelector(`#stages tr[data-stage="${stage}"]`);
             return r && r.cells[1].textContent.trim() === status; }""",
        arg=[stage, status],
        timeout=timeout,
    )


def history_cell(home, job: int, text: str):
    return home.locator(f"#history tbody tr:has(a[href='/jobs/{job}']) td", has_text=text)


def active_text(home, job: int) -> str:
    row = home.locator(f"#active-{job}")
    return row.inner_text() if row.count() else ""


def test_job_and_home_pages_follow_cancel_resume_complete(context, server: Server, tmp_path):
    home = context.new_page()
    home.goto(server.url + "/")
    home.wait_for_selector("#history tbody", state="attached")
    code, sub = server.post("/api/jobs", JOB)
    assert code == 201 and sub["points"] == 20, sub
    job = sub["id"]
    pg = context.new_page()
    pg.goto(server.url + f"/jobs/{job}")
    for p in (home, pg):
        p.evaluate("window.__sameDocument = true")  # gone if a page ever reloads

    # running: points counting, elapsed and an ETA labelled an estimate, stages in order
    pg.locator("#progress-text", has_text=re.compile(r"running.* [1-9]\d* / 20 points")).wait_for(
        timeout=120_000
    )
    pg.locator("#timing", has_text="ETA ~").wait_for()
    timing = pg.inner_text("#timing")
    assert re.search(r"elapsed \d", timing) and "estimate from" in timing, timing
    assert [r[0] for r in stage_rows(pg)] == PIPELINE
    home.locator(f"#active-{job} .ptext", has_text="running").wait_for()
    home.locator(f"#active-{job} .ttext", has_text=re.compile(r"elapsed \d.*ETA ~")).wait_for()
    # the points so far while it runs, labelled partial
    pg.locator("#partial-note", has_text="(job running)").wait_for()
    assert pg.locator("#points tbody tr").count() >= 1
    pg.screenshot(path=str(tmp_path / "running.png"))

    # cancel asks first; "Keep running" keeps it running
    pg.click("#cancel")
    assert pg.locator("#cancel-confirm").is_visible()
    pg.click("#cancel-no")
    assert not pg.locator("#cancel-confirm").is_visible()
    assert server.get(f"/api/jobs/{job}")[1]["status"] == "running"
    pg.click("#cancel")
    pg.click("#cancel-yes")
    pg.locator("#title", has_text="cancelled").wait_for()
    _, row = server.get(f"/api/jobs/{job}")
    assert row["status"] == "cancelled" and 0 < row["points_done"] < 20, row
    done = row["points_done"]
    # cancelled is neutral: no error row, nothing in the failure colour
    summary = pg.inner_text("#summary")
    assert "error" not in summary and "cancelled after" not in summary, summary
    assert pg.locator("#summary .fail").count() == 0
    assert pg.locator("#title .status-cancelled").count() == 1
    # the points finished so far, labelled partial, with worst cases and verdicts
    pg.locator("#partial-note", has_text="Partial results").wait_for()
    assert f"the {done} of 20 points" in pg.inner_text("#partial-note")
    pg.locator("#p-count", has_text=f"{done} of {done} points").wait_for()
    assert pg.locator("#worst tbody tr").count() >= 1
    assert "rwkpull0" in pg.inner_text("#specs")
    _, res = server.get(f"/api/jobs/{job}/results")
    assert res["partial"] is True and len(res["points"]) == done
    ok = [p for p in res["points"] if p["status"] == "ok"]
    assert ok and all(isinstance(p["cells"]["rwkpull0"]["value"], float) for p in ok)
    pg.screenshot(path=str(tmp_path / "cancelled.png"), full_page=True)
    # the home page: cancelled, then the job leaves the running list; history says so
    history_cell(home, job, "cancelled").wait_for()
    home.wait_for_function(
        f"!document.querySelector('#active-{job}') || "
        f"document.querySelector('#active-{job}').textContent.includes('cancelled')"
    )

    # resume from the job page: no reload, both pages show it running again
    pg.click("#resume")
    pg.locator("#title", has_text="running").wait_for()
    home.locator(f"#active-{job} .ptext", has_text="running").wait_for()
    assert "cancelled" not in active_text(home, job)
    wait_stage(pg, "run", "running")
    rows = {r[0]: r for r in stage_rows(pg)}
    assert [r[0] for r in stage_rows(pg)] == PIPELINE
    # the running stage shows no exit code nor time of the cancelled attempt; the later
    # stages the cancel left behind read queued again
    assert rows["run"][2] == "" and rows["run"][3] == "running…", rows
    assert [rows[s][1] for s in ("ext", "srt", "bkp")] == ["queued"] * 3, rows
    assert all(rows[s][2] == "" for s in ("ext", "srt", "bkp")), rows
    pg.locator("#partial-note", has_text="(job running)").wait_for()  # not "(job cancelled)"
    pg.screenshot(path=str(tmp_path / "resumed.png"))
    home.screenshot(path=str(tmp_path / "home_resumed.png"))

    # complete: full results (not partial), every stage completed, the job leaves the list
    pg.locator("#title", has_text="completed").wait_for(timeout=180_000)
    pg.locator("#progress-text", has_text="20 / 20 points").wait_for()
    wait_stage(pg, "bkp", "completed")
    assert [r[:2] for r in stage_rows(pg)] == [[s, "completed"] for s in PIPELINE]
    pg.locator("#p-count", has_text="20 of 20 points").wait_for()
    assert not pg.locator("#partial-note").is_visible()
    _, res = server.get(f"/api/jobs/{job}/results")
    assert res["partial"] is False and len(res["points"]) == 20
    history_cell(home, job, "completed").wait_for()
    home.locator(f"#active-{job}").wait_for(state="detached", timeout=30_000)
    for p in (home, pg):
        assert p.evaluate("window.__sameDocument") is True
    pg.screenshot(path=str(tmp_path / "completed.png"), full_page=True)


def test_api_stages_in_pipeline_order_and_live_stream(server: Server) -> None:
    code, sub = server.post("/api/jobs", {**JOB, "corners": ["TT"], "temperatures": ["m40"]})
    assert code == 201
    events = server.events(sub["id"], timeout=180)
    assert events[-1][0] == "end" and events[-1][1]["status"] == "completed"
    for _, data in events:
        names = [s["stage"] for s in data["stages"]]
        assert names == sorted(names, key=STAGES.index)  # pipeline order in every event
    _, row = server.get(f"/api/jobs/{sub['id']}")
    assert [s["stage"] for s in row["stages"]] == PIPELINE
    assert row["progress"]["elapsed_s"] > 0 and row["progress"]["eta_s"] is None
    # the one stream's job filter: an id as every route takes it, an unknown job a 404
    for bad in ("abc", "0", "-1", str(2**63)):
        code, reply = server.get(f"/api/events?job={bad}")
        assert code == 422 and reply["field"] == "job", (bad, reply)
    code, reply = server.get("/api/events?job=999999")
    assert code == 404 and reply["detail"] == "no job 999999"


def test_job_api_never_returns_the_token_and_hides_paths_off_loopback(tmp_path) -> None:
    token = "live-token-0123456789abcdef"
    with running(tmp_path, host="0.0.0.0", WKPUP_WEB_TOKEN=token) as server:
        code, _ = server.get("/api/jobs")
        assert code == 401  # no token: refused before any job is read
        auth = {"Authorization": f"Bearer {token}"}
        code, sub, _ = server.call("POST", "/api/jobs", {**JOB, "corners": ["TT"],
                                   "temperatures": ["m40"]}, headers=auth)  # fmt: skip
        assert code == 201, sub
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            code, row, _ = server.call("GET", f"/api/jobs/{sub['id']}", headers=auth)
            assert code == 200 and "token" not in row
            if row["status"] in ("completed", "failed"):
                break
            time.sleep(0.3)
        assert row["status"] == "completed", row
        with queries.opened(server.env["WKPUP_DB"]) as conn:
            assert jobs.get_job(conn, sub["id"])["token"]  # the store has one
        # the caller holds the token: who runs it and where its files are
        assert row["run_root"] and "pid" in row and "host" in row
        code, listed, _ = server.call("GET", "/api/jobs", headers=auth)
        assert code == 200 and all("token" not in r for r in listed)


def _request(authorization: str | None = None, cookie: str | None = None) -> Request:
    headers = [(b"host", b"10.1.2.3:8888")]
    if authorization:
        headers.append((b"authorization", authorization.encode()))
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return Request({"type": "http", "method": "GET", "path": "/api/jobs/1", "headers": headers,
                    "query_string": b""})  # fmt: skip


def test_redaction_rules(tmp_path) -> None:
    """Whom the routes trust, on a non-loopback server: only a caller with the token."""
    settings = resolve({}, project_root=Path(__file__).resolve().parents[1],
                       env={"WKPUP_DB": str(tmp_path / "db")})  # fmt: skip
    core = service.core_of(settings)
    token = "redact-token-0123456789abcdef"
    off = AppState(settings, core, None, loopback=False, token=token)
    assert trusted(off, _request(f"Bearer {token}"))
    assert trusted(off, _request(cookie=f"wkpup_token={token}"))
    assert not trusted(off, _request())
    assert not trusted(off, _request("Bearer wrong-token-000000000000"))
    assert not trusted(AppState(settings, core, None, loopback=False, token=None), _request())
    assert trusted(AppState(settings, core, None, loopback=True, token=None), _request())
    stage = {"stage": "run", "log_path": "/r/logs/run.log", "log": "run.log"}
    row = {"id": 1, "token": "t", "pid": 4, "host": "h", "run_root": "/r", "work_path": "/w",
           "stages": [stage]}  # fmt: skip
    hidden = redact(row, False)
    assert not set(hidden) & {"token", *PRIVATE}
    assert hidden["stages"] == [{"stage": "run", "log": "run.log"}]
    shown = redact(row, True)
    assert "token" not in shown and shown["pid"] == 4 and shown["run_root"] == "/r"


def test_eta_counts_busy_time_once() -> None:
    """The ETA rests on the wall time in which simulations ran: two side by side count
    once, the pause between a cancel and its resume not at all."""
    row = {"status": "running", "points_total": 10, "points_done": 4}
    # 0-10 and 2-10 side by side (10 s busy), a pause, then 100-104 and 104-110 (10 s busy)
    times = [(0.0, 10.0), (2.0, 10.0), (100.0, 104.0), (104.0, 110.0)]
    assert views.eta(row, times) == 20.0 / 4 * 6
    assert views.eta({**row, "status": "cancelled"}, times) is None
    assert views.eta(row, []) is None  # nothing measured yet: no guess


def test_live_stages_of_a_resumed_job() -> None:
    """While a job runs again, its stages show nothing of the cancelled attempt."""
    row = {
        "status": "running", "stage": "run",
        "stages": [
            {"stage": "bkp", "status": "skipped", "exit_code": None, "started_at": None,
             "finished_at": None, "log_path": None},
            {"stage": "run", "status": "running", "exit_code": 1, "started_at": 5.0,
             "finished_at": 30.0, "log_path": "/r/logs/run.log"},
            {"stage": "gen", "status": "completed", "exit_code": 0, "started_at": 1.0,
             "finished_at": 2.0, "log_path": "/r/logs/gen.log"},
            {"stage": "ext", "status": "cancelled", "exit_code": 1, "started_at": 31.0,
             "finished_at": 31.5, "log_path": None},
        ],
    }  # fmt: skip
    got = {s["stage"]: s for s in views.live_stages(row)}
    assert list(got) == ["gen", "run", "ext", "bkp"]  # pipeline order
    assert got["gen"]["exit_code"] == 0 and got["gen"]["finished_at"] == 2.0  # done: kept
    assert got["run"]["exit_code"] is None and got["run"]["started_at"] is None
    assert got["run"]["log"] == "run.log"
    assert got["ext"]["status"] == "queued" and got["ext"]["exit_code"] is None
    assert got["bkp"]["status"] == "queued"
    ended = views.live_stages({**row, "status": "cancelled"})
    assert [s["status"] for s in ended] == ["completed", "running", "cancelled", "skipped"]


def test_serve_stops_promptly_with_an_event_stream_open(tmp_path) -> None:
    """A page's event stream never ends by itself; a stop must not wait for it."""
    server = Server(tmp_path).start()
    ended = threading.Event()

    def follow() -> None:
        with urllib.request.urlopen(server.url + "/api/events", timeout=60) as r:
            for _ in r:
                pass
        ended.set()

    threading.Thread(target=follow, daemon=True).start()
    time.sleep(1.0)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 10
    assert ended.wait(5)  # the stream was ended, not cut
    assert "Traceback" not in server.log_text()
