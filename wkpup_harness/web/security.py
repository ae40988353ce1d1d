"""The web server's guards, in one place.

- **Access token**: bound to a loopback address the server answers anyone on this machine
  (like the CLI, which reads the same store); bound to any other address every request must
  carry the token — header ``Authorization: Bearer <token>`` or the ``wkpup_token`` cookie
  that ``/login?token=<token>`` sets (HttpOnly, SameSite=Strict). The token is the
  ``web_token`` setting, or one generated at start and printed once.
- **Host check** (DNS rebinding): on loopback only ``127.0.0.1``, ``localhost`` and
  ``[::1]`` are accepted as the Host.
- **CSRF**: a state-changing request (POST, PUT, PATCH, DELETE) must carry the custom
  header ``X-Wkpup-Csrf: 1`` — a cross-site form cannot set it and a cross-site script
  cannot without a CORS preflight, which this server never grants — and, when the browser
  sends ``Origin``, it must be this server's own origin.
- **Body size**: a request body is at most ``MAX_BODY_BYTES`` (413 otherwise), and a
  state-changing request must say its length (411 for a chunked body of unknown size).
- **Files**: only below a job's run root (inside the store's run directory) or its
  recorded backup directory; ``..``, absolute paths, NUL and symlinks leading out are
  refused; files are sent as plain text or a download, never rendered as HTML.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path, PurePosixPath

from wkpup_harness.inputs import echo

TOKEN_COOKIE = "wkpup_token"
CSRF_HEADER = "x-wkpup-csrf"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")
TEXT_SUFFIXES = (
    ".log", ".txt", ".sp", ".cfg", ".mt0", ".csv", ".cir", ".lib", ".spf", ".sh", ".pl",
    ".raw0", ".lis", ".out",
)  # fmt: skip


class Refused(Exception):
    """A request refused: ``status`` and a one-line ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def is_loopback(host: str) -> bool:
    name = host.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_ok(expected: str, given: str | None) -> bool:
    return given is not None and secrets.compare_digest(expected.encode(), given.encode())


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def host_name(host_header: str) -> str:
    """The name part of a Host header (``127.0.0.1:8888`` -> ``127.0.0.1``)."""
    if host_header.startswith("["):
        return host_header.split("]", 1)[0] + "]"
    return host_header.rsplit(":", 1)[0] if ":" in host_header else host_header


def check_csrf(method: str, headers: dict[str, str], scheme: str) -> None:
    if method in SAFE_METHODS:
        return
    if headers.get(CSRF_HEADER) != "1":
        raise Refused(403, f"state-changing request without the {CSRF_HEADER} header (CSRF)")
    origin = headers.get("origin")
    host = headers.get("host", "")
    if origin is not None and origin != f"{scheme}://{host}":
        raise Refused(403, f"cross-origin request from {origin!r} refused (CSRF)")


def check_body_size(method: str, headers: dict[str, str], limit: int) -> None:
    """Refuse a body larger than ``limit`` before it is read (413), and a body of unknown
    length on a state-changing request (411: chunked, so its size is not known up front)."""
    if method in SAFE_METHODS and "content-length" not in headers:
        return
    length = headers.get("content-length")
    if length is None:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            raise Refused(411, "a request body needs a Content-Length (chunked bodies refused)")
        return
    if not length.isascii() or not length.isdigit() or len(length) > 18:
        raise Refused(400, f"Content-Length {echo(length)} is not a byte count")
    if int(length) > limit:
        raise Refused(413, f"request body of {int(length)} bytes; allowed: at most {limit}")


MAX_PATH_CHARS = 1024


def safe_path(base: Path, rel: str) -> Path:
    """``base/rel`` when it stays inside ``base`` (symlinks resolved); Refused otherwise."""
    if "\x00" in rel or "\\" in rel:
        raise Refused(400, "bad character in file path")
    if len(rel) > MAX_PATH_CHARS or any(len(p) > 255 for p in rel.split("/")):
        raise Refused(414, f"path {echo(rel)}: too long; allowed: {MAX_PATH_CHARS} characters")
    parts = PurePosixPath(rel).parts
    if rel.startswith("/") or any(p == ".." for p in parts):
        raise Refused(400, f"path {echo(rel)}: '..' and absolute paths are not served")
    try:
        root = base.resolve()
        target = (root / rel).resolve()
        if target != root and not target.is_relative_to(root):
            raise Refused(403, f"path {echo(rel)} leads outside the job's directory")
        if not target.exists():
            raise Refused(404, f"no file {echo(rel)}")
        if not (target.is_dir() or target.is_file()):
            raise Refused(403, f"path {echo(rel)}: not a regular file (a pipe, device or socket)")
        if not os.access(target, os.R_OK):
            raise Refused(403, f"path {echo(rel)}: not readable")
    except OSError as exc:
        raise Refused(400, f"path {echo(rel)}: {exc.strerror or 'cannot be read'}") from None
    except RuntimeError:
        # Python < 3.13: Path.resolve() raises RuntimeError (not OSError) on a symlink loop.
        raise Refused(400, f"path {echo(rel)}: a symbolic link loop") from None
    return target


def inside(path: Path, roots: list[Path]) -> bool:
    real = path.resolve()
    return any(real == r.resolve() or real.is_relative_to(r.resolve()) for r in roots)
