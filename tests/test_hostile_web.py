"""Malformed-input corpus, part B: the web API of a real ``wkpup serve`` (uvicorn on
loopback, its own store in tmp holding an imported copy of the real backup).

Every hostile request must get a 4xx JSON answer whose ``detail`` is one printable line of at
most 400 characters naming the problem, no traceback in the answer or in the server's log,
and nothing created: no job, no run directory, the store's rows and the backup as they were.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from coreutil import FIXTURE_BKP

from tests.hostile import snapshot
from tests.webutil import Server
from wkpup_harness.store import db
from wkpup_harness.store.importer import import_backup

pytestmark = pytest.mark.xdist_group("hostile_web")

JOB = 1  # the imported backup
BIG = 2**63  # one more than SQLite's largest integer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("hostile-web")
    backup = root / "site" / "gpio" / "00bkp_202510301443"
    shutil.copytree(FIXTURE_BKP, backup)
    s = Server(root)
    store = Path(s.env["WKPUP_DB"])
    store.parent.mkdir(parents=True)
    conn = db.connect(store)
    assert import_backup(conn, backup) == JOB
    conn.close()
    # Planted after the import (the import itself refuses them): what the file server meets
    # when a backup is changed under it.
    (backup / "report" / "passwd.txt").symlink_to("/etc/passwd")
    (backup / "up").symlink_to("../..")
    os.mkfifo(backup / "report" / "pipe.txt")
    s.start()
    try:
        yield s
    finally:
        s.stop()
    log = s.log_text()
    assert "Traceback" not in log, log[-3000:]


def request(
    server: Server, method: str, path: str, body: bytes | None = None, headers: dict | None = None
) -> tuple[int, bytes, dict[str, str]]:
    """A raw HTTP request (urllib would normalise the path and the body)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    hdrs = {"Host": "127.0.0.1", "X-Wkpup-Csrf": "1"}
    hdrs.update(headers or {})
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for k, v in hdrs.items():
            conn.putheader(k, v)
        if body is not None and "Content-Length" not in hdrs and "Transfer-Encoding" not in hdrs:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return r.status, r.read(), {k.lower(): v for k, v in r.getheaders()}
    finally:
        conn.close()


def store_state(server: Server) -> tuple[int, int, int]:
    path = Path(server.env["WKPUP_DB"])
    ro = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return ro.execute(
            "SELECT (SELECT count(*) FROM jobs), (SELECT count(*) FROM points),"
            " (SELECT count(*) FROM measurements)"
        ).fetchone()
    finally:
        ro.close()


def body_of(data: Any) -> bytes:
    return data if isinstance(data, bytes) else json.dumps(data).encode()


JSON = {"Content-Type": "application/json"}
# (id, method, path, body, extra headers, expected status, words in the detail)
CASES: list[tuple[str, str, str, Any, dict, int, tuple[str, ...]]] = [
    # job ids
    ("id-word", "GET", "/api/jobs/abc", None, {}, 422, ("job_id", "integer")),
    ("id-zero", "GET", "/api/jobs/0", None, {}, 422, ("job_id", "greater than or equal to 1")),
    ("id-negative", "GET", "/api/jobs/-1", None, {}, 422, ("job_id",)),
    ("id-huge", "GET", f"/api/jobs/{BIG}", None, {}, 422, ("job_id", "less than or equal")),
    ("id-float", "GET", "/api/jobs/1e3", None, {}, 422, ("job_id",)),
    ("id-nul", "GET", "/api/jobs/%00", None, {}, 422, ("job_id",)),
    ("id-unknown", "GET", "/api/jobs/4242", None, {}, 404, ("no job 4242",)),
    ("results-huge", "GET", f"/api/jobs/{BIG}/results", None, {}, 422, ("job_id",)),
    ("plots-word", "GET", "/api/jobs/x/plots", None, {}, 422, ("job_id",)),
    ("events-huge", "GET", f"/api/jobs/{BIG * 10}/events", None, {}, 422, ("job_id",)),
    ("cancel-huge", "POST", f"/api/jobs/{BIG}/cancel", None, {}, 422, ("job_id",)),
    ("resume-word", "POST", "/api/jobs/one/resume", None, {}, 422, ("job_id",)),
    ("cancel-ended", "POST", f"/api/jobs/{JOB}/cancel", None, {}, 409, ("already",)),
    ("resume-imported", "POST", f"/api/jobs/{JOB}/resume", None, {}, 409, ("nothing to resume",)),
    ("page-huge", "GET", f"/jobs/{BIG}", None, {}, 422, ("job_id",)),
    # files: traversal, links and pipes planted in the backup
    ("files-dotdot", "GET", f"/files/{JOB}/backup/../../etc/passwd", None, {}, 400, ("'..'",)),
    (
        "files-encoded-dotdot",
        "GET",
        f"/files/{JOB}/backup/report/..%2f..%2f..%2fx",
        None,
        {},
        400,
        ("'..'",),
    ),
    (
        "files-symlink-out",
        "GET",
        f"/files/{JOB}/backup/report/passwd.txt",
        None,
        {},
        403,
        ("outside",),
    ),
    ("files-dir-link-out", "GET", f"/files/{JOB}/backup/up/", None, {}, 403, ("outside",)),
    ("files-fifo", "GET", f"/files/{JOB}/backup/report/pipe.txt", None, {}, 403, ("pipe",)),
    ("files-nul", "GET", f"/files/{JOB}/backup/report%00x", None, {}, 400, ("bad character",)),
    ("files-backslash", "GET", f"/files/{JOB}/backup/..%5c..%5cx", None, {}, 400, ("character",)),
    (
        "files-long-name",
        "GET",
        f"/files/{JOB}/backup/{'a' * 3000}",
        None,
        {},
        414,
        ("too long", "3000 characters"),
    ),
    ("files-kind", "GET", f"/files/{JOB}/{'k' * 500}/x", None, {}, 404, ("use run or backup",)),
    ("files-run-none", "GET", f"/files/{JOB}/run/x", None, {}, 404, ("no run directory",)),
    ("files-missing", "GET", f"/files/{JOB}/backup/nothing.txt", None, {}, 404, ("no file",)),
    ("static-dotdot", "GET", "/static/%2e%2e", None, {}, 400, ("'..'",)),
    ("static-long", "GET", "/static/" + "s" * 5000, None, {}, 414, ("too long",)),
    # query values
    ("limit-word", "GET", "/api/jobs?limit=abc", None, {}, 422, ("limit",)),
    ("limit-huge", "GET", "/api/jobs?limit=" + "9" * 40, None, {}, 422, ("limit",)),
    (
        "status-huge",
        "GET",
        "/api/jobs?status=" + "x" * 50000,
        None,
        {},
        422,
        ("status", "50000 characters", "allowed: queued"),
    ),
    ("since-huge", "GET", "/api/jobs?since=" + "y" * 50000, None, {}, 422, ("since",)),
    ("since-garbled", "GET", "/api/jobs?since=2025-13-45", None, {}, 422, ("since",)),
    (
        "compare-b-superscript",
        "GET",
        f"/api/compare?a={JOB}&b=%C2%B2",
        None,
        {},
        422,
        ("b", "a job id or 'golden'"),
    ),
    ("compare-b-huge", "GET", f"/api/compare?a={JOB}&b=" + "9" * 40, None, {}, 422, ("b",)),
    (
        "compare-b-path",
        "GET",
        f"/api/compare?a={JOB}&b=../../etc/passwd",
        None,
        {},
        422,
        ("b", "'../../etc/passwd'"),
    ),
    ("compare-a-huge", "GET", f"/api/compare?a={BIG}&b=1", None, {}, 422, ("a",)),
    ("compare-no-golden", "GET", f"/api/compare?a={JOB}&b=golden", None, {}, 404, ("golden",)),
    # bodies
    ("json-broken", "POST", "/api/validate", b"{", JSON, 422, ("not valid JSON",)),
    ("json-undecodable", "POST", "/api/jobs", b"\xff\xfe", JSON, 422, ("not valid JSON",)),
    ("json-null", "POST", "/api/validate", b"null", JSON, 422, ("dictionary",)),
    ("json-list", "POST", "/api/jobs", b"[]", JSON, 422, ("dictionary",)),
    ("json-deep", "POST", "/api/validate", b"[" * 50000 + b"]" * 50000, JSON, 400, ("body",)),
    ("type-domain", "POST", "/api/validate", {"domain": 5}, JSON, 422, ("domain", "string")),
    (
        "type-config",
        "POST",
        "/api/jobs",
        {"domain": "gpio/1p8v", "config": {"vccn": 1}},
        JSON,
        422,
        ("config.vccn",),
    ),
    (
        "type-corners",
        "POST",
        "/api/validate",
        {"domain": "gpio/1p8v", "corners": "TT"},
        JSON,
        422,
        ("corners",),
    ),
    (
        "type-temperature",
        "POST",
        "/api/jobs",
        {"domain": "gpio/1p8v", "temperatures": [1e308]},
        JSON,
        422,
        ("temperatures.0",),
    ),
    (
        "unknown-field",
        "POST",
        "/api/jobs",
        {"domain": "gpio/1p8v", "__class__": 1},
        JSON,
        422,
        ("__class__", "Extra inputs"),
    ),
    (
        "domain-huge",
        "POST",
        "/api/validate",
        {"domain": "d" * 500000},
        JSON,
        422,
        ("domain", "500000 characters", "not found"),
    ),
    (
        "corners-huge",
        "POST",
        "/api/validate",
        {"domain": "gpio/1p8v", "corners": ["TT"] * 50000},
        JSON,
        422,
        ("corners",),
    ),
    (
        "body-oversize",
        "POST",
        "/api/jobs",
        b'{"name": "' + b"n" * (2 << 20) + b'"}',
        JSON,
        413,
        ("request body", "at most"),
    ),
    (
        "body-length-lies",
        "POST",
        "/api/jobs",
        b"{}",
        {**JSON, "Content-Length": "99999999999"},
        413,
        ("at most",),
    ),
    (
        "body-chunked",
        "POST",
        "/api/jobs",
        b"2\r\n{}\r\n0\r\n\r\n",
        {**JSON, "Transfer-Encoding": "chunked"},
        411,
        ("Content-Length",),
    ),
    (
        "no-csrf",
        "POST",
        "/api/jobs",
        {"domain": "gpio/1p8v"},
        {**JSON, "X-Wkpup-Csrf": "0"},
        403,
        ("CSRF",),
    ),
    (
        "cross-origin",
        "POST",
        "/api/jobs",
        {"domain": "gpio/1p8v"},
        {**JSON, "Origin": "http://evil.example"},
        403,
        ("cross-origin",),
    ),
    ("host-rebinding", "GET", "/api/jobs", None, {"Host": "evil.example"}, 421, ("Host",)),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "words"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_hostile_request(
    server: Server,
    method: str,
    path: str,
    body: Any,
    headers: dict,
    status: int,
    words: tuple[str, ...],
) -> None:
    before_store = store_state(server)
    before_tree = snapshot(server.root / "site")
    log_before = len(server.log_text())
    code, raw, hdrs = request(
        server, method, path, None if body is None else body_of(body), headers
    )
    assert code == status, (code, raw[:400])
    assert "json" in hdrs.get("content-type", ""), hdrs
    reply = json.loads(raw)
    detail = reply["detail"]
    assert isinstance(detail, str) and "\n" not in detail and detail.isprintable(), reply
    assert 0 < len(detail) <= 400, len(detail)
    assert "Traceback" not in raw.decode("utf-8", "replace")
    for w in words:
        assert w in detail, (w, detail)
    assert store_state(server) == before_store, "the store changed"
    assert snapshot(server.root / "site") == before_tree, "something was created"
    assert not Path(server.env["WKPUP_RUNS"]).exists(), "a run directory was created"
    assert "Traceback" not in server.log_text()[log_before:]


def test_the_imported_backup_is_served(server: Server) -> None:
    """The control: the same server serves the real files and results."""
    code, raw, _ = request(server, "GET", f"/files/{JOB}/backup/report/creport.txt")
    assert code == 200 and raw.startswith(b"supply condition\n")
    code, raw, _ = request(server, "GET", f"/api/jobs/{JOB}/results")
    assert code == 200 and len(json.loads(raw)["points"]) == 92
