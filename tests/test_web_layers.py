"""The web and report layers stay thin: no SQL and no ``sqlite3`` in ``web/`` or ``report/``
(every query is a named function in ``store/``), no function longer than 80 lines there, and
a job's stages shown in the engine's pipeline order — never alphabetical, never by start time
— by the API, the live progress, the job page and ``wkpup show --json``."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.webutil import REPO, Server, running
from wkpup_harness.engine import STAGES
from wkpup_harness.report import views
from wkpup_harness.store import db, jobs

PACKAGE = REPO / "wkpup_harness"
THIN = ("web", "report")
MAX_FUNCTION_LINES = 80
# SQL as this code base writes it: a statement keyword, then what it works on.
SQL = re.compile(
    r"\bSELECT\b.*\bFROM\b|\bINSERT\s+(OR\s+\w+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b"
    r"|\bDELETE\s+FROM\b|\bCREATE\s+(TABLE|INDEX|VIEW)\b|\bPRAGMA\s+\w+",
    re.DOTALL,
)
RUNS_SQL = {"execute", "executemany", "executescript"}


def thin_files() -> list[Path]:
    files = sorted(p for d in THIN for p in (PACKAGE / d).rglob("*.py"))
    assert len(files) > 10, files  # the walk found the layers
    return files


def sql_in(source: str) -> list[str]:
    """Where ``source`` imports sqlite3, holds SQL text or runs a statement itself."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] == "sqlite3"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlite3":
            found.append(f"from {node.module} import")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if SQL.search(node.value):
                found.append(f"line {node.lineno}: {node.value[:60]!r}")
        elif isinstance(node, ast.Attribute) and node.attr in RUNS_SQL:
            found.append(f"line {node.lineno}: .{node.attr}(...)")
    return found


def test_the_sql_check_finds_sql() -> None:
    """The check itself: the store's own modules are full of what it looks for."""
    assert sql_in("import sqlite3")
    assert sql_in("from sqlite3 import Row")
    assert sql_in("q = f'SELECT * FROM jobs WHERE id = {x}'")
    assert sql_in("c.execute(q)")
    assert sql_in('"UPDATE jobs SET status = ?"')
    assert sql_in('"INSERT OR REPLACE INTO t VALUES (1)"')
    assert sql_in('"DELETE FROM points"')
    assert not sql_in('"""Select the jobs to show, then update the page."""')
    for name in ("jobs.py", "queries.py", "maintenance.py"):
        assert sql_in((PACKAGE / "store" / name).read_text()), name


@pytest.mark.parametrize("path", thin_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_sql_in_web_or_report(path: Path) -> None:
    assert sql_in(path.read_text()) == []


@pytest.mark.parametrize("path", thin_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_long_function_in_web_or_report(path: Path) -> None:
    long = [
        f"{node.name}: {node.end_lineno - node.lineno + 1} lines"  # type: ignore[operator]
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES  # type: ignore[operator]
    ]
    assert long == []


def imports_store_views(source: str) -> bool:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import) and any(
            a.name == "wkpup_harness.store.views" for a in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (
            node.module == "wkpup_harness.store.views"
            or (node.module == "wkpup_harness.store" and any(a.name == "views" for a in node.names))
        ):
            return True
    return False


def test_the_store_views_moved_to_report() -> None:
    """Presentation lives in ``report.views``; the store keeps data access only."""
    assert not (PACKAGE / "store" / "views.py").exists()
    assert imports_store_views("from wkpup_harness.store import db, views")
    assert not imports_store_views("from wkpup_harness.report import views")
    sources = [*PACKAGE.rglob("*.py"), *(REPO / "plugins").rglob("*.py"), *REPO.glob("tests/*.py")]
    assert [p for p in sources if imports_store_views(p.read_text())] == []


# --- stages in pipeline order ------------------------------------------------------------------
PIPELINE_ORDER = ["gen", "run", "chk", "ext", "srt", "bkp"]


def test_ordered_stages_follow_the_engine_pipeline() -> None:
    assert [s for s in STAGES if s in PIPELINE_ORDER] == PIPELINE_ORDER
    shuffled = [{"stage": s, "status": "queued"} for s in sorted(PIPELINE_ORDER)]
    assert [s["stage"] for s in views.ordered_stages(shuffled)] == PIPELINE_ORDER
    odd = [*shuffled, {"stage": "usr_script"}, {"stage": "zzz"}, {"stage": "aaa"}]
    assert [s["stage"] for s in views.ordered_stages(odd)] == [
        *PIPELINE_ORDER, "usr_script", "aaa", "zzz"
    ]  # fmt: skip


def stored_out_of_order(path: Path) -> int:
    """A cancelled job as a resume leaves one: gen at t=100, ext at t=200, run again at t=300,
    chk, srt and bkp never started, recorded in alphabetical order. By clock or by insertion
    this is not pipeline order; the store's reader (store.jobs.get_job) gives pipeline order
    and the web keeps it (report.views.ordered_stages)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = db.connect(path)
    try:
        job = jobs.create_job(conn, domain="gpio/1p8v", name="order", submitted_at=50.0)
        jobs.mark_running(conn, job, started_at=90.0, pid=2**22 + 7)
        for stage in sorted(PIPELINE_ORDER):
            jobs.record_stage(conn, job, stage, "queued")
        for stage, start in (("gen", 100.0), ("ext", 200.0), ("run", 300.0)):
            jobs.record_stage(conn, job, stage, "completed", started_at=start,
                              finished_at=start + 1, exit_code=0)  # fmt: skip
        jobs.finish_job(conn, job, "cancelled", finished_at=400.0)
        stored = [s["stage"] for s in (jobs.get_job(conn, job) or {})["stages"]]
    finally:
        conn.close()
    assert stored == PIPELINE_ORDER, stored  # every reader gets pipeline order from the store
    return job


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("web-order")
    job = stored_out_of_order(Path(Server(root).env["WKPUP_DB"]))
    with running(root) as s:
        s.job = job  # type: ignore[attr-defined]
        yield s


def test_api_and_progress_show_stages_in_pipeline_order(server: Server) -> None:
    job = server.job  # type: ignore[attr-defined]
    code, row = server.get(f"/api/jobs/{job}")
    assert code == 200, row
    assert [s["stage"] for s in row["stages"]] == PIPELINE_ORDER
    assert [s["stage"] for s in row["progress"]["stages"]] == PIPELINE_ORDER
    events = server.events(job)
    assert [kind for kind, _ in events] == ["progress", "end"]
    for _, data in events:
        assert [s["stage"] for s in data["stages"]] == PIPELINE_ORDER


def test_show_json_lists_stages_in_pipeline_order(server: Server) -> None:
    job = server.job  # type: ignore[attr-defined]
    out = subprocess.run(
        [str(Path(sys.executable).with_name("wkpup")), "show", str(job), "--json"],
        cwd=REPO, env=server.env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    data = json.loads(out.stdout)
    assert [s["stage"] for s in data["job"]["stages"]] == PIPELINE_ORDER


CHROMIUM = Path("/usr/bin/chromium")


def test_job_page_shows_stages_in_pipeline_order(server: Server) -> None:
    assert CHROMIUM.is_file(), "no /usr/bin/chromium: `apt-get install -y chromium` (make tools)"
    from playwright.sync_api import sync_playwright

    job = server.job  # type: ignore[attr-defined]
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{server.url}/jobs/{job}")
            page.wait_for_selector("#stages tbody tr", timeout=30_000)
            shown = page.locator("#stages tbody tr td:first-child").all_inner_texts()
        finally:
            browser.close()
    assert shown == PIPELINE_ORDER
    assert errors == []
