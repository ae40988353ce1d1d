"""``wkpup serve [--host 127.0.0.1] [--port 8888]``: the web dashboard and REST API
(``wkpup_harness.web``) with its queue worker, on uvicorn.

Loopback by default. Bound to any other address, every request needs the access token: the
``web_token`` setting (``WKPUP_WEB_TOKEN``, ``wkpup.toml``), or one generated now and
printed once.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from wkpup_harness.cli import common
from wkpup_harness.web import security


def add_parser(subs: Any, parent: argparse.ArgumentParser) -> None:
    p = subs.add_parser(
        "serve",
        parents=[parent],
        help="the web dashboard and REST API (submit, progress, results, compare)",
        description="Serve the web dashboard and REST API; jobs submitted there run through "
        "the same engine, budget and store as the CLI and pytest. Loopback by default; on "
        "any other address every request needs the access token.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8888, help="port (default 8888)")
    p.add_argument("--cpus", metavar="N", help="CPU budget: simulations at once on this machine")
    p.add_argument("--runs", metavar="DIR", help="run root (default .wkpup/runs)")
    p.add_argument("--core", metavar="PATH", help="core to drive (default: embedded)")
    p.add_argument("--domains", metavar="DIR", help="where domain names are looked up")
    p.set_defaults(func=main)


GRACE_S = 20


def main(args: argparse.Namespace) -> int:
    import uvicorn

    from wkpup_harness.web.app import create_app

    if not 0 < args.port < 65536:
        raise common.UsageError(f"--port {args.port}: expected 1..65535")
    settings = common.settings(args)
    common.store_path(args).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    token = None
    if not security.is_loopback(args.host):
        token = settings.web_token or security.new_token()
        if settings.web_token is None:
            print(f"wkpup serve: access token (shown once): {token}", file=sys.stderr)
        print(
            f"wkpup serve: open http://{args.host}:{args.port}/login?token=<token> once, or "
            "send 'Authorization: Bearer <token>'",
            file=sys.stderr,
        )
    app = create_app(settings, host=args.host, token=token)
    print(f"wkpup serve: http://{args.host}:{args.port}/  (store {settings.db})", file=sys.stderr)
    # On Ctrl-C / SIGTERM uvicorn waits for open requests; the pages' event streams end by
    # themselves then (routes/events.py), and after GRACE_S (more than a cancel request
    # waits) whatever is still open is ended. Then the worker cancels the running job.
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False,
                timeout_graceful_shutdown=GRACE_S)  # fmt: skip
    return common.EXIT_OK
