"""``wkpup compare <jobA> <jobB | golden PATH>``: per point and measurement, what changed,
largest relative change first (``jobs.compare`` does the matching and the ordering)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from wkpup_harness.cli import common
from wkpup_harness.report import views
from wkpup_harness.report.units import number, unit
from wkpup_harness.results import read_creport
from wkpup_harness.store import db, jobs


def add_parser(subs: Any, parent: argparse.ArgumentParser) -> None:
    p = subs.add_parser(
        "compare",
        parents=[parent],
        help="per-point deltas between two jobs, or a job and a golden creport",
        description="Compare job A with job B (or with a golden creport.txt: "
        "`compare A golden PATH`). Points are matched by corner, extraction, temperature, "
        "voltages and swp; differences are listed largest relative change first. Exit 0 "
        "when every cell is identical, 1 when something differs.",
    )
    p.add_argument("job", help="job A")
    p.add_argument("other", help="job B, or the word 'golden' followed by a creport path")
    p.add_argument("path", nargs="?", help="golden creport.txt (after 'golden')")
    p.add_argument("--name", action="append", metavar="M", help="only this measurement")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="show N rows (0: all)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=main)


def against_golden(
    conn: db.Connection, job: dict[str, Any], path: Path, names: list[str] | None
) -> list[dict[str, Any]]:
    """Job vs a creport file (``views.compare_with_creport``)."""
    if job.get("report_header") is None:
        raise common.UsageError(f"job {job['id']} has no stored result to compare")
    return views.compare_with_creport(conn, job, read_creport(path), names)


def label(d: dict[str, Any]) -> str:
    return common.point_text(d)


def main(args: argparse.Namespace) -> int:
    if args.limit < 0:
        raise common.UsageError(f"--limit {args.limit}: must be 0 (all) or more")
    conn = common.open_store(args)
    job_a = common.require_job(conn, args.job)
    if args.other == "golden":
        if not args.path:
            raise common.UsageError("compare JOB golden PATH: the golden creport path is missing")
        rows = against_golden(conn, job_a, Path(args.path), args.name)
        b_label = f"golden {args.path}"
    else:
        if args.path:
            raise common.UsageError(f"unexpected argument {args.path!r}")
        job_b = common.require_job(conn, args.other)
        rows = jobs.compare(conn, job_a["id"], job_b["id"], args.name)
        b_label = f"job {job_b['id']}"
    diffs = [r for r in rows if r["a_raw"] != r["b_raw"]]
    shown = diffs if args.limit == 0 else diffs[: args.limit]
    if args.json:
        common.print_json(
            {"a": f"job {job_a['id']}", "b": b_label, "cells": len(rows),
             "differences": len(diffs), "rows": shown}
        )  # fmt: skip
        return common.EXIT_BAD if diffs else common.EXIT_OK
    common.say(
        args,
        f"job {job_a['id']} vs {b_label}: {len(rows)} cells, {len(diffs)} differ",
    )
    if shown:
        table = [
            [label(r), r["name"], unit(r["name"]), r["a_raw"] or "-", r["b_raw"] or "-",
             number(r["delta"]), "-" if r["rel"] is None else f"{number(100 * r['rel'])} %"]
            for r in shown
        ]  # fmt: skip
        print(common.table(table, ["point", "measurement", "unit", "a", "b", "b - a", "rel"]))
        if len(shown) < len(diffs):
            common.say(args, f"... {len(diffs) - len(shown)} more (--limit 0 shows all)")
    return common.EXIT_BAD if diffs else common.EXIT_OK
