"""``wkpup history``: past jobs, newest first, filtered by domain, status, user and age."""

from __future__ import annotations

import argparse
from typing import Any

from wkpup_harness.cli import common
from wkpup_harness.errors import WkpupError
from wkpup_harness.report import verdicts, views
from wkpup_harness.store import jobs
from wkpup_harness.store.schema import JOB_STATUSES


def add_parser(subs: Any, parent: argparse.ArgumentParser) -> None:
    p = subs.add_parser(
        "history",
        parents=[parent],
        help="past jobs, newest first",
        description="Jobs in the store, newest first; a Monte Carlo job's yield column: its "
        "lowest yield over the measurements with limits (>= its 95 %% interval's lower end).",
    )
    p.add_argument("--domain", help="only this domain (e.g. gpio/1p8v)")
    p.add_argument("--status", choices=JOB_STATUSES, help="only jobs in this state")
    p.add_argument("--user", help="only this user's jobs")
    p.add_argument(
        "--since", metavar="WHEN", help="submitted on/after YYYY-MM-DD, or in the last N days (7d)"
    )
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N jobs (50)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=main)


def parse_since(text: str, now: float | None = None) -> float:
    try:
        return views.parse_since(text, now)
    except WkpupError as exc:
        raise common.UsageError(f"--{exc}") from None


def main(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise common.UsageError(f"--limit {args.limit}: must be at least 1")
    since = parse_since(args.since) if args.since else None
    conn = common.open_store(args)
    rows = jobs.history(
        conn,
        domain=args.domain,
        status=args.status,
        user=args.user,
        since=since,
        limit=args.limit,
    )
    yields = views.mc_yields(conn, rows)
    if args.json:
        common.print_json([{**r, "mc_yield": yields.get(r["id"], "")} for r in rows])
        return common.EXIT_OK
    if not rows:
        common.say(args, "no jobs match")
        return common.EXIT_OK
    table = [
        [r["id"], common.job_state(r), common.fmt_time(r["submitted_at"]),
         common.fmt_elapsed(r["elapsed_s"]), r["user"] or "", r["domain"], r["name"] or "",
         "" if r["n_points"] is None else r["n_points"],
         "" if r["n_failed_points"] is None else r["n_failed_points"],
         verdicts.golden_text(r), verdicts.spec_text(r), yields.get(r["id"], "")]
        for r in rows
    ]  # fmt: skip
    header = ["job", "status", "submitted", "elapsed", "user", "domain", "name", "points"]
    print(common.table(table, [*header, "failed", "golden", "spec", "yield"]))
    return common.EXIT_OK
