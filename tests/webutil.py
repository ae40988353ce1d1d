"""A real ``wkpup serve`` for the web tests: a uvicorn subprocess on a free loopback port,
its own store, run root, slot directory and golden copy in tmp; plain urllib clients."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
CSRF = {"X-Wkpup-Csrf": "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def web_env(root: Path, **extra: str) -> dict[str, str]:
    """The server's environment: everything it writes lives under ``root``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WKPUP_")}
    golden = root / "golden"
    if not golden.exists():
        shutil.copytree(REPO / "golden", golden)  # a mismatch writes .obtained beside it
    env.update(
        WKPUP_DB=str(root / "store" / "wkpup.db"),
        WKPUP_RUNS=str(root / "runs"),
        WKPUP_SLOT_DIR=str(root / "slots"),
        WKPUP_GOLDEN=str(golden),
        WKPUP_CPUS="1",
        PAIHO_PYTHON=sys.executable,
    )
    env.update(extra)
    return env


class Server:
    def __init__(self, root: Path, *, host: str = "127.0.0.1", **env: str) -> None:
        self.root = root
        self.host = host
        self.port = free_port()
        self.env = web_env(root, **env)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = root / f"serve-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> Server:
        exe = Path(sys.executable).with_name("wkpup")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [str(exe), "serve", "--host", self.host, "--port", str(self.port)],
                cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"wkpup serve exited {self.proc.returncode}: {self.log_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"wkpup serve did not listen in {timeout}s: {self.log_text()}")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def kill(self) -> None:
        """kill -9: the server dies as a crash would leave it."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    # --- a client ---------------------------------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        csrf: bool = True,
    ) -> tuple[int, Any, dict[str, str]]:
        hdrs = dict(headers or {})
        if csrf and method != "GET":
            hdrs.update(CSRF)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, _decode(r.read(), r.headers), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, _decode(e.read(), e.headers), dict(e.headers)

    def get(self, path: str, **kw: Any) -> tuple[int, Any]:
        code, body, _ = self.call("GET", path, **kw)
        return code, body

    def post(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        code, data, _ = self.call("POST", path, body, **kw)
        return code, data

    def wait_job(
        self, job: int, statuses: tuple[str, ...], timeout: float = 120.0, resumes: int = 0
    ) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code, row = self.get(f"/api/jobs/{job}")
            assert code == 200, row
            if row["status"] in statuses and row["resumes"] >= resumes:
                return row
            time.sleep(0.2)
        raise AssertionError(f"job {job} not {statuses} after {timeout}s: {row}\n{self.log_text()}")

    def events(self, job: int, timeout: float = 120.0) -> list[tuple[str, dict]]:
        """Read the job's server-sent events until ``end``."""
        req = urllib.request.Request(self.url + f"/api/jobs/{job}/events")
        out: list[tuple[str, dict]] = []
        with urllib.request.urlopen(req, timeout=timeout) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            kind = None
            for raw in r:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind is not None:
                    out.append((kind, json.loads(line[6:])))
                    if kind == "end":
                        break
        return out


def _decode(raw: bytes, headers: Any) -> Any:
    if "json" in (headers.get("content-type") or ""):
        return json.loads(raw)
    return raw.decode(errors="replace")


@contextlib.contextmanager
def running(root: Path, **kw: Any):
    server = Server(root, **kw).start()
    try:
        yield server
    finally:
        server.stop()


def ngspice_under(root: Path) -> list[int]:
    """PIDs of ngspice processes working below ``root`` (their cwd)."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if (d / "comm").read_text().strip() != "ngspice":
                continue
            cwd = Path(os.readlink(d / "cwd"))
        except OSError:
            continue
        if cwd == root or root in cwd.parents:
            found.append(int(d.name))
    return found


def smoke_limits() -> tuple[float, float]:
    """rwkpull0's (min, max) for the gpio scenario job the web tests submit: the domain's
    own limits (domains/gpio/1p8v/spec.yaml; the scenario file names none), read from the
    file so the tests follow it when the spec is retuned."""
    scenario = yaml.safe_load((REPO / "regression" / "gpio" / "wkpup_1p8v.yaml").read_text())
    assert "spec" not in scenario, "the scenario overrides the domain's limits: read them here"
    data = yaml.safe_load((REPO / "domains" / "gpio" / "1p8v" / "spec.yaml").read_text())
    lim = data["spec"]["rwkpull0"]
    return float(lim["min"]), float(lim["max"])
