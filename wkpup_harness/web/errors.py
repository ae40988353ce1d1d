"""How the API answers what it refuses: one JSON body ``{"detail": ..., "field": ...}`` with
a one-line message, whichever layer refused (security guard, submission, request validation,
the library)."""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from wkpup_harness.errors import WkpupError, show
from wkpup_harness.web import service
from wkpup_harness.web.security import Refused

# How long an error message may be: one readable line, never a hostile value echoed whole.
MAX_MESSAGE = 400


def one_line(message: str) -> str:
    """An error message as the API sends it: one printable line, at most MAX_MESSAGE
    characters (the head and the tail of a longer one, which names what is allowed)."""
    text = show(message)
    if len(text) > MAX_MESSAGE:
        cut = MAX_MESSAGE // 2 - 20
        text = f"{text[:cut]} ... ({len(text)} characters) ... {text[-cut:]}"
    return text


def error(status: int, message: str, field: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"detail": one_line(message)}
    if field is not None:
        body["field"] = one_line(field)
    return JSONResponse(body, status_code=status)


def clean(value: Any) -> Any:
    """JSON has no inf/nan: they become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


async def refused(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Refused)
    return error(exc.status, exc.message)


async def bad_input(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, service.InputError)
    return error(exc.status, str(exc), exc.field)


async def bad_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    if first.get("type") == "json_invalid":
        return error(422, f"body: not valid JSON ({first.get('msg', 'invalid')})", "body")
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
    field = ".".join(loc) or None
    message = f"{field or 'request'}: {first.get('msg', 'invalid')}"
    return error(422, message, field)


async def library_error(request: Request, exc: Exception) -> JSONResponse:
    return error(400, str(exc))


def install(app: FastAPI) -> None:
    """The app's exception handlers (the most specific first: InputError is a WkpupError)."""
    app.add_exception_handler(Refused, refused)
    app.add_exception_handler(service.InputError, bad_input)
    app.add_exception_handler(RequestValidationError, bad_request)
    app.add_exception_handler(WkpupError, library_error)
