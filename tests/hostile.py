"""Shared assertions for the malformed-input corpus (tests/test_hostile_*.py).

Every hostile input, whatever the entry point, must give: the documented exit code, exactly
one line on stderr that names the problem, no traceback, nothing created (no store, no run
directory, no stray file), and nothing executed (no simulator started).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WKPUP = [sys.executable, "-m", "wkpup_harness.cli.main"]


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def run(argv: list[str], cwd: Path, *, env: dict[str, str] | None = None, stdin: str = "",
        timeout: float = 60, umask: int = -1) -> Outcome:  # fmt: skip
    """Run a command as a user would (a subprocess, so a hang or a crash is seen as such);
    ``env`` is added to this environment, ``umask`` (when >= 0) is the command's."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(
        argv, cwd=cwd, env=full_env, input=stdin, capture_output=True, text=True,
        timeout=timeout, errors="replace", umask=umask,
    )  # fmt: skip
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def wkpup(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60,
          umask: int = -1) -> Outcome:  # fmt: skip
    return run([*WKPUP, *args], cwd, env=env, timeout=timeout, umask=umask)


def isolated(tmp: Path, **extra: str) -> dict[str, str]:
    """The settings of a command run by a test: store, run root and CPU slots in ``tmp``,
    every other WKPUP_* setting of this environment blanked (the resolver treats an empty
    value as unset)."""
    env = {k: "" for k in os.environ if k.startswith("WKPUP_")}
    env.update(
        WKPUP_DB=str(tmp / "store" / "wkpup.db"),
        WKPUP_RUNS=str(tmp / "runs"),
        WKPUP_SLOT_DIR=str(tmp / "slots"),
    )
    env.update(extra)
    return env


def snapshot(root: Path) -> set[str]:
    """Every path under ``root`` (relative), to prove nothing was created."""
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def assert_one_line_error(o: Outcome, code: int, *words: str, max_len: int = 400) -> str:
    """The outcome is a clean input error: exit ``code``, one stderr line of at most
    ``max_len`` characters containing every one of ``words`` (case-insensitive), no
    traceback. Returns the line."""
    lines = [ln for ln in o.err.splitlines() if ln.strip()]
    assert o.code == code, f"exit {o.code}, expected {code}; stderr: {o.err[-2000:]!r}"
    assert "Traceback" not in o.err and "INTERNALERROR" not in o.err + o.out, o.err[-3000:]
    assert len(lines) == 1, f"expected one stderr line, got {len(lines)}: {o.err[-2000:]!r}"
    line = lines[0]
    assert len(line) <= max_len, f"error line is {len(line)} characters: {line[:200]!r}..."
    assert line.isprintable(), repr(line)
    for w in words:
        assert w.lower() in line.lower(), f"{w!r} not in {line!r}"
    return line


# One subprocess for many CLI cases: each argv runs through wkpup's main() with its own
# environment additions; stdout, stderr and the exit code are captured per case, and an
# exception escaping main() is recorded as a traceback (exit -1) so the case fails.
_BATCH_DRIVER = r"""
import contextlib, io, json, os, sys, traceback
from wkpup_harness.cli.main import main
cases = json.load(sys.stdin)
base = dict(os.environ)
results = []
start = os.getcwd()
for argv, env, cwd in cases:
    os.chdir(cwd or start)
    os.environ.clear()
    os.environ.update(base)
    os.environ.update(env)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except BaseException:
            traceback.print_exc()
            code = -1
    results.append([code, out.getvalue(), err.getvalue()])
sys.__stdout__.write(json.dumps(results))
"""


def wkpup_batch(
    cases: list[tuple[list[str], dict[str, str]] | tuple[list[str], dict[str, str], Path]],
    cwd: Path,
    *,
    timeout: float = 120,
) -> list[Outcome]:
    """Run each ``(argv, env[, cwd])`` as ``wkpup <argv>`` in one Python process (one start
    for all of them)."""
    import json

    full = [(c[0], c[1], str(c[2]) if len(c) > 2 else None) for c in cases]  # type: ignore[misc]
    proc = subprocess.run(
        [sys.executable, "-c", _BATCH_DRIVER], cwd=cwd, input=json.dumps(full),
        capture_output=True, text=True, timeout=timeout, errors="replace",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [Outcome(code, out, err) for code, out, err in json.loads(proc.stdout)]


def error_lines(o: Outcome, code: int, max_len: int = 400) -> list[str]:
    """The outcome failed cleanly with ``code`` (no traceback, every stderr line printable
    and at most ``max_len`` characters); returns the stderr lines."""
    assert o.code == code, f"exit {o.code}, expected {code}; stderr: {o.err[-2000:]!r}"
    assert "Traceback" not in o.err and "INTERNALERROR" not in o.err + o.out, o.err[-3000:]
    lines = [ln for ln in o.err.splitlines() if ln.strip()]
    for line in lines:
        assert len(line) <= max_len, f"error line is {len(line)} characters: {line[:200]!r}..."
        assert line.isprintable(), repr(line)
    return lines
