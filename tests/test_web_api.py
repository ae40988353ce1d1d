"""The REST API of ``wkpup serve`` against a real server on loopback (uvicorn in a
subprocess), a real store in tmp, real jobs through the engine (ngspice + SKY130)."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.webutil import REPO, Server, ngspice_under, running, smoke_limits, web_env
from wkpup_harness.config import STATIC_VALUES, TEMPERATURES, allowed_values
from wkpup_harness.core import locate_core
from wkpup_harness.engine.reaper import processes_with_token
from wkpup_harness.store import db

SMOKE = "gpio/wkpup_1p8v::smoke"
TINY = {"domain": "gpio/1p8v", "config": {"condition": "htol"}, "corners": ["TT"],
        "temperatures": ["m40"]}  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    with running(tmp_path_factory.mktemp("web")) as s:
        yield s


def stored_token(server: Server, job: int) -> str:
    """The token that marks a job's processes, as the store keeps it (the API never
    returns it)."""
    conn = db.connect(Path(server.env["WKPUP_DB"]))
    try:
        return conn.execute("SELECT token FROM jobs WHERE id = ?", (job,)).fetchone()[0]
    finally:
        conn.close()


def store_jobs(server: Server) -> list[int]:
    path = Path(server.env["WKPUP_DB"])
    if not path.exists():
        return []
    conn = db.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT id FROM jobs ORDER BY id")]
    finally:
        conn.close()


# --- read-only endpoints -------------------------------------------------------------------------
def test_health_openapi_and_pages(server: Server) -> None:
    code, h = server.get("/api/health")
    assert code == 200 and h["ok"], h
    assert h["core"]["ok"] and h["core"]["verdict"].startswith("core OK")
    assert h["simulator"]["name"] == "ngspice" and h["simulator"]["version"]
    assert h["models"]["ok"] and Path(h["models"]["path"]).is_dir()
    assert h["store"]["writable"] and h["budget"]["cpus"] == 1
    code, spec = server.get("/api/openapi.json")
    assert code == 200
    paths = set(spec["paths"])
    for p in ("/api/health", "/api/options", "/api/validate", "/api/jobs", "/api/jobs/{job_id}",
              "/api/jobs/{job_id}/events", "/api/jobs/{job_id}/results", "/api/compare",
              "/api/jobs/{job_id}/cancel", "/api/jobs/{job_id}/resume"):  # fmt: skip
        assert p in paths, p
    for page in ("/", "/health", "/compare", "/jobs/1"):
        code, text = server.get(page)
        assert code == 200 and "<html" in text and "http://" not in text and "https://" not in text
    code, js = server.get("/static/plotly.min.js")
    assert code == 200 and "plotly.js" in js[:400]


def test_options_are_the_core_tables(server: Server) -> None:
    code, opts = server.get("/api/options")
    assert code == 200
    tables = locate_core().tables()
    gpio = next(d for d in opts["domains"] if d["name"] == "gpio/1p8v")
    assert gpio["config"]["condition"]["allowed"] == list(STATIC_VALUES["condition"])
    assert gpio["config"]["vccn"]["allowed"] == list(allowed_values("vccn", tables, "ac"))
    assert gpio["config"]["CPU #"]["allowed"] is None  # an integer, validated by the config
    assert "TT" in gpio["corners"] and opts["temperatures"] == list(TEMPERATURES)
    assert SMOKE in [s["id"] for s in opts["scenarios"]]


# --- bad input: 4xx, one clear line, nothing created --------------------------------------------
BAD = [
    ({"domain": "gpio/1p8v", "config": {"condition": "fast"}}, "config.condition", "'fast'"),
    ({"domain": "gpio/1p8v", "config": {"vccn": "9p9v"}}, "config.vccn", "allowed: 1p1v"),
    ({"domain": "gpio/1p8v", "temperatures": ["50"]}, "temperatures", "'50'"),
    ({"domain": "gpio/1p8v", "corners": ["XX"]}, "corners", "each once"),
    ({"domain": "../../etc"}, "domain", "not found"),
    ({"domain": "/etc/passwd"}, "domain", "not found"),
    ({"scenario": "../../etc/passwd::x"}, "scenario", "not found"),
    # a shell metacharacter in every field
    ({"domain": "gpio/1p8v; rm -rf /"}, "domain", "not found"),
    ({"scenario": "gpio/wkpup_1p8v::smoke`id`"}, "scenario", "not found"),
    ({"domain": "gpio/1p8v", "config": {"condition": "htol;ls"}}, "config.condition", "invalid"),
    (
        {"domain": "gpio/1p8v", "config": {"condition$(id)": "htol"}},
        "config.condition$(id)",
        "unknown key",
    ),
    ({"domain": "gpio/1p8v", "config": {"CPU #": "1 && id"}}, "config.CPU #", "invalid"),
    (
        {"domain": "gpio/1p8v", "config": {"condition": "htol\nmode:polo"}},
        "config.condition",
        "control",
    ),
    ({"domain": "gpio/1p8v", "corners": ["TT|id"]}, "corners", "each once"),
    ({"domain": "gpio/1p8v", "temperatures": ["m40>x"]}, "temperatures", "not in the core"),
    ({"domain": "gpio/1p8v", "name": "x; reboot"}, "name", "1 to 80 characters"),
    ({"domain": "gpio/1p8v", "stages": ["gen;id"]}, "stages", "each once"),
    ({"domain": "gpio/1p8v", "bogus": 1}, "bogus", "Extra inputs"),
]


@pytest.mark.parametrize(("body", "field", "needle"), BAD)
def test_bad_submission_is_refused_and_creates_nothing(
    server: Server, body: dict, field: str, needle: str
) -> None:
    before = store_jobs(server)
    for path in ("/api/validate", "/api/jobs"):
        code, reply = server.post(path, body)
        assert 400 <= code < 500, (path, code, reply)
        assert reply["field"] == field, reply
        assert needle in reply["detail"] and "\n" not in reply["detail"], reply
    assert store_jobs(server) == before
    runs = Path(server.env["WKPUP_RUNS"])
    assert not runs.exists() or {p.name for p in runs.iterdir()} <= {str(j) for j in before}


def test_csrf_and_host_guards(server: Server) -> None:
    before = store_jobs(server)
    code, reply = server.post("/api/jobs", TINY, csrf=False)
    assert code == 403 and "x-wkpup-csrf" in reply["detail"]
    code, reply, _ = server.call(
        "POST", "/api/jobs", TINY, headers={"Origin": "http://evil.example"}
    )
    assert code == 403 and "cross-origin" in reply["detail"]
    code, reply, _ = server.call("GET", "/api/health", headers={"Host": "evil.example"})
    assert code == 421
    assert store_jobs(server) == before


def test_history_filters_and_bad_filters(server: Server) -> None:
    code, rows = server.get("/api/jobs?status=completed&since=1d&domain=gpio/1p8v")
    assert code == 200 and all(r["status"] == "completed" for r in rows)
    code, reply = server.get("/api/jobs?status=weird")
    assert code == 422 and reply["field"] == "status"
    code, reply = server.get("/api/jobs?since=yesterday")
    assert code == 422 and "YYYY-MM-DD" in reply["detail"]
    code, reply = server.get("/api/jobs/999999")
    assert code == 404 and reply["detail"] == "no job 999999"
    code, reply = server.get("/api/compare?a=999999&b=golden")
    assert code == 404


# --- real jobs -----------------------------------------------------------------------------------
@pytest.mark.ngspice
def test_queue_runs_jobs_in_order_with_live_events_results_and_golden(server: Server) -> None:
    code, a = server.post("/api/jobs", {"scenario": SMOKE})
    assert code == 201 and a["points"] == 6
    code, b = server.post("/api/jobs", TINY)
    assert code == 201 and b["points"] == 1 and b["name"] == "condition=htol TT m40"
    events = server.events(a["id"])
    kinds = [k for k, _ in events]
    assert kinds[-1] == "end" and events[-1][1]["status"] == "completed"
    done = [d["points_done"] for k, d in events if d.get("stage") == "run"]
    assert done and done == sorted(done)  # k / N points as they finish
    assert all(d["points_total"] == 6 for _, d in events)
    ja = server.wait_job(a["id"], ("completed",))
    jb = server.wait_job(b["id"], ("completed", "failed"))
    assert jb["status"] == "completed", jb
    assert jb["started_at"] >= ja["finished_at"] - 0.5  # one worker: queue order
    assert ja["face"] == "web" and ja["golden"] == "identical"
    assert [(s["stage"], s["status"]) for s in ja["stages"]] == [
        (s, "completed") for s in ("gen", "run", "ext", "srt", "bkp")
    ]
    code, res = server.get(f"/api/jobs/{a['id']}/results")
    assert code == 200 and len(res["points"]) == 6
    assert res["units"]["rwkpull0"] == "Ω" and res["units"]["ioh"] == "A"
    assert res["units"]["vwkp"] == "V"
    assert {s["name"] for s in res["specs"]} == {"rwkpull0", "rwkpull_vih", "vwkp_drop"}
    assert all(s["verdict"] in ("pass", "near", "fail") for s in res["specs"])
    cell = res["points"][0]["cells"]["rwkpull0"]
    assert cell["verdict"] in ("pass", "near") and cell["margin"] > 0
    code, cmp_ = server.get(f"/api/compare?a={a['id']}&b=golden")
    # 11 columns, temper and alter# not compared
    assert code == 200 and cmp_["identical"] and cmp_["cells"] == 6 * 9
    code, cmp_ = server.get(f"/api/compare?a={b['id']}&b={a['id']}")
    # b's one point is one of a's six, simulated alike: the other five are a's only, apart
    assert (
        code == 200
        and not cmp_["identical"]
        and cmp_["verdict"] == ("point sets differ (5 only in B); the 9 cells in common identical")
    )
    assert len(cmp_["only_b"]) == 5 and cmp_["only_a"] == [] and cmp_["rows"] == []
    code, figs = server.get(f"/api/jobs/{a['id']}/plots")
    kinds = {f["kind"] for f in figs["figures"]}
    assert kinds == {"heatmap", "temperature"}  # one supply combination: no column plot
    temp = next(f for f in figs["figures"] if f["id"] == "temp-rwkpull0")["figure"]
    assert temp["layout"]["yaxis"]["title"]["text"] == "rwkpull0 (Ω)"
    # spec limits: a line near the data, an edge marker ("off scale") far from it
    lines = [s["y0"] for s in temp["layout"]["shapes"]]
    edges = [
        a["text"].split()[1] for a in temp["layout"]["annotations"] if "off scale" in a["text"]
    ]
    lo, hi = smoke_limits()
    assert sorted(lines + [lo if e == "min" else hi for e in edges]) == [lo, hi], (lines, edges)
    # links: logs, backup; files are served from inside them only
    code, row = server.get(f"/api/jobs/{a['id']}")
    assert {"logs", "backup", "creport.txt"} <= set(row["links"])
    code, text = server.get(row["links"]["creport.txt"])
    assert code == 200 and text.startswith("supply condition")
    code, text = server.get(row["links"]["logs"] + "run.log")
    assert code == 200 and "run: done, 6 points" in text


@pytest.mark.ngspice
def test_file_serving_stays_inside_the_job(server: Server, tmp_path: Path) -> None:
    code, b = server.post("/api/jobs", TINY)
    job = server.wait_job(b["id"], ("completed",))
    run_root = Path(job["run_root"])
    (run_root / "outside").symlink_to("/etc")
    for path, want in (
        (f"/files/{b['id']}/run/%2e%2e/%2e%2e/etc/passwd", 400),
        (f"/files/{b['id']}/run/logs/..%2f..%2f..%2fetc%2fpasswd", 400),
        (f"/files/{b['id']}/run/outside/passwd", 403),
        (f"/files/{b['id']}/backup/%2e%2e/config.cfg", 400),
        (f"/files/{b['id']}/etc/passwd", 404),
        ("/static/%2e%2e%2fapp.py", 404),  # no such route: a name has no '/'
        ("/static/%2e%2e", 400),
    ):
        code, reply = server.get(path)
        assert code == want, (path, code, reply)
    code, text = server.get(f"/files/{b['id']}/run/logs/")
    assert code == 200 and "run.log" in text


@pytest.mark.ngspice
def test_cancel_kills_the_simulations_then_resume_finishes(server: Server) -> None:
    body = {"domain": "gpio/1p8v", "corners": ["TT", "SSG"], "temperatures": ["m40", "125"],
            "name": "cancel-me"}  # fmt: skip
    code, sub = server.post("/api/jobs", body)
    assert code == 201 and sub["points"] == 20
    job = sub["id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        row = server.get(f"/api/jobs/{job}")[1]
        if (row.get("points_done") or 0) >= 1:
            break
        time.sleep(0.1)
    code, reply = server.post(f"/api/jobs/{job}/cancel")
    assert code == 200 and reply["status"] == "cancelled", reply
    row = server.get(f"/api/jobs/{job}")[1]
    assert row["status"] == "cancelled" and row["points_done"] < 20
    assert "token" not in row  # never in an answer: read from the store
    assert processes_with_token(stored_token(server, job)) == []
    assert ngspice_under(Path(row["run_root"])) == []
    code, reply = server.post(f"/api/jobs/{job}/cancel")
    assert code == 409 and "already cancelled" in reply["detail"]
    assert row["resumable"]
    code, reply = server.post(f"/api/jobs/{job}/resume")
    assert code == 202
    row = server.wait_job(job, ("completed", "failed"), timeout=240, resumes=1)
    assert row["status"] == "completed" and row["resumes"] == 1 and row["n_points"] == 20
    code, reply = server.post(f"/api/jobs/{job}/resume")
    assert code == 409 and "completed" in reply["detail"]


@pytest.mark.ngspice
def test_jobs_of_the_cli_show_up_live(server: Server, tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("wkpup")
    proc = subprocess.Popen(
        [str(exe), "-q", "run", "gpio/1p8v", "--set", "condition=htol", "--corners", "TT",
         "FFG", "--temperatures", "m40"],
        cwd=REPO, env=server.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    out, _ = proc.communicate(timeout=180)
    job = int(out.decode().split()[-1])
    events = server.events(job)
    assert events[-1][0] == "end" and events[-1][1]["face"] == "cli"
    assert events[-1][1]["status"] == "completed" and events[-1][1]["points_total"] == 2


# --- restart, token -----------------------------------------------------------------------------
@pytest.mark.ngspice
def test_restart_loses_no_queued_job_and_a_killed_one_is_interrupted(tmp_path: Path) -> None:
    server = Server(tmp_path).start()
    try:
        code, first = server.post("/api/jobs", {"domain": "gpio/1p8v", "corners": ["TT"],
                                                 "temperatures": ["m40"]})  # fmt: skip
        code2, second = server.post("/api/jobs", TINY)
        assert code == code2 == 201
        deadline = time.monotonic() + 120
        while (server.get(f"/api/jobs/{first['id']}")[1].get("points_done") or 0) < 1:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        server.kill()  # kill -9 mid-run
        conn = db.connect(server.env["WKPUP_DB"])
        token = conn.execute("SELECT token FROM jobs WHERE id = ?", (first["id"],)).fetchone()[0]
        conn.close()
        deadline = time.monotonic() + 20
        while processes_with_token(token) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert processes_with_token(token) == []  # the job's watchdog killed its simulations
        server = Server(tmp_path)
        server.start()
        row = server.wait_job(second["id"], ("completed", "failed"))
        assert row["status"] == "completed"  # the queued job was picked up again
        row = server.get(f"/api/jobs/{first['id']}")[1]
        assert row["state"] == "interrupted" and row["resumable"]
        assert server.post(f"/api/jobs/{first['id']}/resume")[0] == 202
        row = server.wait_job(first["id"], ("completed", "failed"), timeout=180, resumes=1)
        assert row["status"] == "completed" and row["n_points"] == 5
    finally:
        server.stop()


def test_token_required_off_loopback(tmp_path: Path) -> None:
    token = "test-token-0123456789abcdef"
    with running(tmp_path, host="0.0.0.0", WKPUP_WEB_TOKEN=token) as server:
        for method, path in (("GET", "/api/health"), ("GET", "/"), ("POST", "/api/jobs"),
                             ("GET", "/api/openapi.json"), ("GET", "/files/1/run/")):  # fmt: skip
            code, reply, _ = server.call(method, path, TINY if method == "POST" else None)
            assert code == 401 and "access token required" in reply["detail"], (path, reply)
        bad = {"Authorization": "Bearer wrong-token-0000000000"}
        assert server.call("GET", "/api/health", headers=bad)[0] == 401
        good = {"Authorization": f"Bearer {token}"}
        assert server.call("GET", "/api/health", headers=good)[0] == 200
        assert server.call("GET", "/login?token=nope")[0] == 401
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", f"/login?token={token}")
        login = conn.getresponse()
        assert login.status == 303 and login.getheader("location") == "/"
        cookie_header = login.getheader("set-cookie")
        assert f"wkpup_token={token}" in cookie_header
        assert "httponly" in cookie_header.lower() and "samesite=strict" in cookie_header.lower()
        conn.close()
        # the cookie route: as a browser does after /login
        cookie = {"Cookie": f"wkpup_token={token}"}
        assert server.call("GET", "/api/options", headers=cookie)[0] == 200
        code, reply, _ = server.call("POST", "/api/jobs", TINY, headers=good, csrf=False)
        assert code == 403
        assert store_jobs(server) == []
    assert "access token" not in server.log_text()  # from the settings: never printed


def test_serve_refuses_bad_port_and_generates_a_token_once(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("wkpup")
    env = web_env(tmp_path)
    r = subprocess.run([str(exe), "serve", "--port", "70000"], env=env, cwd=REPO,
                       capture_output=True, text=True, timeout=60)  # fmt: skip
    assert r.returncode == 2 and r.stderr.strip().startswith("wkpup: error: --port 70000")
    server = Server(tmp_path, host="0.0.0.0").start()
    try:
        time.sleep(0.5)
        lines = [ln for ln in server.log_text().splitlines() if "shown once" in ln]
        assert len(lines) == 1
        token = lines[0].rsplit(" ", 1)[1]
        auth = {"Authorization": f"Bearer {token}"}
        assert server.call("GET", "/api/health", headers=auth)[0] == 200
        assert server.call("GET", "/api/health")[0] == 401
    finally:
        server.stop()
    assert os.path.exists(env["WKPUP_DB"])
    assert json.loads("[]") == []
