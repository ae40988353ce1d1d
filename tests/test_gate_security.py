"""The web server's guards (web/security.py) called directly: each check is an exact match
(a near miss is refused), each boundary is pinned (body size, path length), and every refusal
carries its status and its one line. Real files and links in tmp_path. Fast: no server."""

from __future__ import annotations

import os
import shutil
import string
import tempfile
from pathlib import Path

import pytest
from hypothesis import given as hypothesis_given
from hypothesis import strategies as st

from wkpup_harness.errors import WkpupError, show
from wkpup_harness.web import security
from wkpup_harness.web.security import Refused


def refused(fn, *args) -> Refused:
    with pytest.raises(Refused) as info:
        fn(*args)
    assert str(info.value) == info.value.message
    return info.value


# --- loopback, tokens, Host ------------------------------------------------------------------
@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "localhost", "::1", "[::1]"])
def test_loopback_hosts(host):
    assert security.is_loopback(host)


@pytest.mark.parametrize(
    "host",
    ["0.0.0.0", "10.0.0.1", "::", "example.com", "localhost.evil.com", "", "[]", "x",
     "localhostX", "X127.0.0.1", "[localhost]x", "127.0.0.1X"],
)  # fmt: skip
def test_other_hosts_are_not_loopback(host):
    assert not security.is_loopback(host)


def test_new_tokens_are_long_random_and_url_safe():
    a, b = security.new_token(), security.new_token()
    assert a != b and len(a) == len(b) == 32
    assert set(a) <= set(string.ascii_letters + string.digits + "-_")


def test_token_ok_is_an_exact_match():
    assert security.token_ok("s3cret", "s3cret")
    for given in (None, "", "s3cre", "s3cret ", "S3CRET", "s3cret\n", "é"):
        assert not security.token_ok("s3cret", given), given


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (None, None),
        ("", None),
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("BEARER  abc ", "abc"),
        ("Bearer", ""),
        ("Basic abc", None),
        ("Bearerabc", None),
        ("Bearer a b", "a b"),
    ],
)
def test_bearer(header, token):
    assert security.bearer(header) == token


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("127.0.0.1:8888", "127.0.0.1"),
        ("localhost", "localhost"),
        ("[::1]:8888", "[::1]"),
        ("[::1]", "[::1]"),
        ("[::1]x]:80", "[::1]"),  # up to the first ']'
        ("evil.com:80:80", "evil.com:80"),
        ("", ""),
    ],
)
def test_host_name(header, name):
    assert security.host_name(header) == name


# --- CSRF ------------------------------------------------------------------------------------
HOST = {"host": "127.0.0.1:8888"}


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_safe_methods_need_no_csrf_header(method):
    assert security.check_csrf(method, {"origin": "http://evil.example"}, "http") is None


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "get", "Get"])
def test_other_methods_need_the_csrf_header(method):
    err = refused(security.check_csrf, method, dict(HOST), "http")
    assert err.status == 403
    assert err.message == "state-changing request without the x-wkpup-csrf header (CSRF)"


@pytest.mark.parametrize("value", ["0", "true", "1 ", " 1", "11", ""])
def test_the_csrf_header_must_be_exactly_1(value):
    err = refused(security.check_csrf, "POST", {**HOST, "x-wkpup-csrf": value}, "http")
    assert err.status == 403


def test_csrf_header_without_origin_passes():
    assert security.check_csrf("POST", {**HOST, "x-wkpup-csrf": "1"}, "http") is None


def test_same_origin_passes_and_any_other_origin_is_refused():
    ok = {**HOST, "x-wkpup-csrf": "1", "origin": "http://127.0.0.1:8888"}
    assert security.check_csrf("POST", ok, "http") is None
    for origin in (
        "http://evil.example",
        "https://127.0.0.1:8888",  # other scheme
        "http://127.0.0.1:8889",  # other port
        "http://127.0.0.1:8888/",
        "http://127.0.0.1",
        "null",
    ):
        err = refused(security.check_csrf, "POST", {**ok, "origin": origin}, "http")
        assert err.status == 403
        assert err.message == f"cross-origin request from {origin!r} refused (CSRF)"
    https = {**ok, "origin": "https://127.0.0.1:8888"}
    assert security.check_csrf("POST", https, "https") is None


@pytest.mark.parametrize("origin", ["http://x", "http://None", "http://XXXX", "http://localhost"])
def test_without_a_host_header_no_named_origin_is_same_origin(origin):
    headers = {"x-wkpup-csrf": "1", "origin": origin}
    assert refused(security.check_csrf, "POST", headers, "http").status == 403


# --- body size -------------------------------------------------------------------------------
def test_a_body_up_to_the_limit_passes_one_byte_more_is_413():
    assert security.check_body_size("POST", {"content-length": "100"}, 100) is None
    assert security.check_body_size("POST", {"content-length": "0"}, 100) is None
    err = refused(security.check_body_size, "POST", {"content-length": "101"}, 100)
    assert err.status == 413
    assert err.message == "request body of 101 bytes; allowed: at most 100"


def test_a_safe_request_with_a_length_is_checked_too():
    assert security.check_body_size("GET", {"content-length": "100"}, 100) is None
    err = refused(security.check_body_size, "GET", {"content-length": "101"}, 100)
    assert err.status == 413


def test_a_safe_request_without_a_length_passes_even_chunked():
    assert security.check_body_size("GET", {"transfer-encoding": "chunked"}, 10) is None


@pytest.mark.parametrize("te", ["chunked", "Chunked", "gzip, chunked", "CHUNKED"])
def test_a_chunked_state_changing_body_is_411(te):
    err = refused(security.check_body_size, "POST", {"transfer-encoding": te}, 100)
    assert err.status == 411
    assert err.message == "a request body needs a Content-Length (chunked bodies refused)"


def test_a_state_changing_request_without_body_passes():
    assert security.check_body_size("POST", {}, 100) is None
    assert security.check_body_size("POST", {"transfer-encoding": "gzip"}, 100) is None


@pytest.mark.parametrize("length", ["", "-1", "+5", " 5", "5 ", "1e3", "0x10", "\u0661\u0662"])
def test_a_content_length_that_is_not_a_byte_count_is_400(length):
    err = refused(security.check_body_size, "POST", {"content-length": length}, 10**30)
    assert err.status == 400
    assert err.message.startswith("Content-Length '") and err.message.endswith(
        "' is not a byte count"
    )


def test_content_length_digits_are_capped_at_18():
    assert security.check_body_size("POST", {"content-length": "0" * 18}, 10) is None
    err = refused(security.check_body_size, "POST", {"content-length": "0" * 19}, 10**30)
    assert err.status == 400
    assert err.message == f"Content-Length '{'0' * 19}' is not a byte count"


# --- files -----------------------------------------------------------------------------------
@pytest.fixture
def base(tmp_path):
    root = tmp_path / "runs" / "1"
    (root / "gpio").mkdir(parents=True)
    (root / "gpio" / "creport.txt").write_text("report\n")
    (tmp_path / "secret.txt").write_text("secret\n")
    return root


def test_a_file_and_a_directory_inside_are_served(base):
    assert security.safe_path(base, "gpio/creport.txt") == (base / "gpio" / "creport.txt").resolve()
    assert security.safe_path(base, "gpio") == (base / "gpio").resolve()
    assert security.safe_path(base, "") == base.resolve()
    assert security.safe_path(base, "gpio/./creport.txt") == (base / "gpio/creport.txt").resolve()


@pytest.mark.parametrize("rel", ["a\0b", "a\\b", "..\\secret.txt"])
def test_nul_and_backslash_are_400(base, rel):
    err = refused(security.safe_path, base, rel)
    assert (err.status, err.message) == (400, "bad character in file path")


@pytest.mark.parametrize("rel", ["/etc/passwd", "..", "../secret.txt", "gpio/../../secret.txt"])
def test_dotdot_and_absolute_are_400(base, rel):
    err = refused(security.safe_path, base, rel)
    assert err.status == 400
    assert err.message == f"path '{rel}': '..' and absolute paths are not served"


def test_a_name_part_containing_dots_is_not_dotdot(base):
    (base / "a..b").write_text("x")
    assert security.safe_path(base, "a..b").name == "a..b"
    err = refused(security.safe_path, base, "...")
    assert err.status == 404  # a name of three dots, not '..'


def test_path_length_limits(base):
    err = refused(security.safe_path, base, "a/" * 512 + "b")  # 1025 characters
    assert err.status == 414
    assert err.message.startswith("path 'a/a/") and err.message.endswith(
        "(1025 characters): too long; allowed: 1024 characters"
    )
    assert refused(security.safe_path, base, "a/" * 511 + "bb").status == 404  # 1024: not too long
    assert refused(security.safe_path, base, "x" * 256).status == 414
    assert refused(security.safe_path, base, "gpio/" + "x" * 256).status == 414
    assert refused(security.safe_path, base, "x" * 255).status == 404


def test_a_link_leading_out_is_403_a_link_staying_in_is_served(base, tmp_path):
    os.symlink(tmp_path / "secret.txt", base / "out.txt")
    os.symlink(tmp_path, base / "outdir")
    os.symlink("gpio/creport.txt", base / "in.txt")
    for rel in ("out.txt", "outdir/secret.txt"):
        err = refused(security.safe_path, base, rel)
        assert err.status == 403
        assert err.message == f"path '{rel}' leads outside the job's directory"
    assert security.safe_path(base, "in.txt") == (base / "gpio" / "creport.txt").resolve()


def test_a_sibling_with_the_same_prefix_is_outside(base):
    sibling = base.parent / "10"
    sibling.mkdir()
    (sibling / "f.txt").write_text("x")
    os.symlink(sibling / "f.txt", base / "f.txt")
    assert refused(security.safe_path, base, "f.txt").status == 403


def test_a_missing_file_is_404(base):
    err = refused(security.safe_path, base, "gpio/nothing.txt")
    assert (err.status, err.message) == (404, "no file 'gpio/nothing.txt'")
    os.symlink("gone", base / "dangling")
    assert refused(security.safe_path, base, "dangling").status == 404


def test_a_fifo_is_403(base):
    os.mkfifo(base / "pipe")
    err = refused(security.safe_path, base, "pipe")
    assert err.status == 403
    assert err.message == "path 'pipe': not a regular file (a pipe, device or socket)"


def as_user(uid: int, fn, *args) -> str:
    """``fn(*args)`` in a child process running as ``uid``: what it returned or refused."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            try:
                out = f"served {fn(*args)}"
            except Refused as exc:
                out = f"{exc.status} {exc.message}"
            os.write(w, out.encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as fh:
        out = fh.read().decode()
    os.waitpid(pid, 0)
    return out


@pytest.fixture
def shared_base():
    """A job directory others may enter (tmp_path is root's own, 0700): files in it readable
    or not by the unprivileged user the test switches to."""
    root = Path(tempfile.mkdtemp(prefix="wkpup-gate-"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_an_unreadable_file_is_403(shared_base):
    (shared_base / "open.txt").write_text("x")
    (shared_base / "open.txt").chmod(0o644)
    (shared_base / "closed.txt").write_text("x")
    (shared_base / "closed.txt").chmod(0o600)
    if os.geteuid() != 0:
        err = refused(security.safe_path, shared_base, "closed.txt")
        assert (err.status, err.message) == (403, "path 'closed.txt': not readable")
        return
    # root reads every file: the check is seen from an unprivileged user's process
    assert security.safe_path(shared_base, "closed.txt") == (shared_base / "closed.txt").resolve()
    nobody = 65534
    assert as_user(nobody, security.safe_path, shared_base, "closed.txt") == (
        "403 path 'closed.txt': not readable"
    )
    opened = as_user(nobody, security.safe_path, shared_base, "open.txt")
    assert opened == f"served {(shared_base / 'open.txt').resolve()}"


def test_an_os_error_is_400_with_its_reason(tmp_path):
    # a base so deep that base/rel passes PATH_MAX: stat fails with ENAMETOOLONG
    deep = tmp_path
    while len(str(deep)) < 3400:
        deep = deep / ("d" * 200)
    os.makedirs(deep)
    rel = "/".join(["p" * 250] * 4)
    err = refused(security.safe_path, deep, rel)
    assert err.status == 400
    assert err.message.startswith("path 'pppp") and err.message.endswith(": File name too long")


def test_a_symlink_loop_is_refused(base):
    """Found by the mutation run: on Python < 3.13 resolve() raises RuntimeError on a loop,
    which was a 500; now a refusal on every Python."""
    os.symlink("loop_b", base / "loop_a")
    os.symlink("loop_a", base / "loop_b")
    err = refused(security.safe_path, base, "loop_a")
    assert (err.status, err.message) == (400, "path 'loop_a': a symbolic link loop")


def test_inside(base, tmp_path):
    runs = tmp_path / "runs"
    assert security.inside(base, [runs])
    assert security.inside(runs, [runs])
    assert security.inside(base, [tmp_path / "other", runs])
    assert not security.inside(tmp_path / "runs2", [runs])
    assert not security.inside(tmp_path, [runs])
    assert not security.inside(base, [])
    os.symlink(tmp_path, runs / "escape")
    assert not security.inside(runs / "escape", [runs])


@hypothesis_given(st.text(max_size=60))
def test_show_writes_one_printable_line_and_showing_twice_changes_nothing(text: str) -> None:
    """An error that quotes another error's text (a trend name through the store, the web's
    JSON) must not double its backslashes at each pass: seen as 'a\\\\\\\\x01b' before."""
    shown = show(text)
    assert all(" " <= c <= "~" for c in shown)
    assert show(shown) == shown
    assert str(WkpupError(f"job name {text!r}")) == show(f"job name {text!r}")
