"""The middleware in front of every request: Host check on a loopback server, the access
token (header, or the cookie ``/login`` sets), CSRF and body-size guards, and the security
headers on every answer. The checks themselves are ``web.security``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from wkpup_harness.web import security
from wkpup_harness.web.deps import AppState
from wkpup_harness.web.errors import error
from wkpup_harness.web.security import Refused

# No request the API takes is anywhere near this (a submission is a few hundred bytes).
MAX_BODY_BYTES = 1024 * 1024
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

CallNext = Callable[[Request], Awaitable[Response]]


def login(token: str, request: Request) -> Response:
    """``/login?token=``: the token checked once, then kept in an HTTP-only cookie."""
    if not security.token_ok(token, request.query_params.get("token")):
        raise Refused(401, "bad or missing token: open /login?token=<token>")
    reply = RedirectResponse("/", status_code=303)
    reply.set_cookie(security.TOKEN_COOKIE, token, httponly=True, samesite="strict")
    return reply


def check_token(token: str, request: Request, headers: Mapping[str, str]) -> None:
    given = security.bearer(headers.get("authorization")) or request.cookies.get(
        security.TOKEN_COOKIE
    )
    if not security.token_ok(token, given):
        raise Refused(
            401,
            "access token required: header 'Authorization: Bearer <token>' or "
            "open /login?token=<token> once",
        )


def check(state: AppState, request: Request) -> Response | None:
    """Every guard on ``request``; a Response when the guard answers it itself (login)."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    if state.loopback and not security.is_loopback(
        security.host_name(headers.get("host", "")) or "x"
    ):
        raise Refused(421, "this server answers only 127.0.0.1 / localhost as Host")
    if state.token is not None:
        if request.url.path == "/login":
            return login(state.token, request)
        check_token(state.token, request, headers)
    security.check_csrf(request.method, headers, request.url.scheme)
    security.check_body_size(request.method, headers, MAX_BODY_BYTES)
    return None


async def guard(request: Request, call_next: CallNext) -> Response:
    state: AppState = request.app.state.wkpup
    try:
        answered = check(state, request)
    except Refused as exc:
        return error(exc.status, exc.message)
    if answered is not None:
        return answered
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
