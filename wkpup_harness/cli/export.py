"""``wkpup export <job> --csv FILE | --html FILE``: a job's every cell as long-form CSV, or
its self-contained HTML report (``wkpup_harness.report.html``). FILE ``-`` is stdout."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from typing import Any

from wkpup_harness.cli import common
from wkpup_harness.errors import show as show_text
from wkpup_harness.inputs import write_output
from wkpup_harness.report import html as report_html
from wkpup_harness.report import views
from wkpup_harness.report.units import unit
from wkpup_harness.store import jobs

CSV_COLUMNS = (
    "corner",
    "extraction",
    "temperature",
    "v1",
    "v2",
    "v3",
    "swp",
    "name",
    "unit",
    "value",
    "raw",
)


def add_parser(subs: Any, parent: argparse.ArgumentParser) -> None:
    p = subs.add_parser(
        "export",
        parents=[parent],
        help="a job as CSV (every cell) or a self-contained HTML report",
        description="Export a job: --csv writes one row per point and measurement "
        f"({','.join(CSV_COLUMNS)}); --html writes a self-contained report with plots.",
    )
    p.add_argument("job", help="job id")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--csv", metavar="FILE", help="CSV file ('-': stdout)")
    what.add_argument("--html", metavar="FILE", help="HTML file ('-': stdout)")
    p.set_defaults(func=main)


def csv_text(conn: Any, job: dict[str, Any]) -> tuple[str, int]:
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(CSV_COLUMNS)
    names = views.stored_creport(conn, job)
    order = list(names.names) if names is not None else []
    count = 0
    for p in jobs.points(conn, job["id"]):
        # Report column order, then anything the header did not name (never dropped).
        for name in order + sorted(set(p["cells"]) - set(order)):
            if name not in p["cells"]:
                continue
            raw, value = p["cells"][name]
            # Text from the store on one line each (an old store may hold control
            # characters); value empty for `failed` and anything not a finite number.
            texts = [p["corner"], p["extraction"], p["temperature"], p["v1"] or "",
                     p["v2"] or "", p["v3"] or "", p["swp"] or "", name]  # fmt: skip
            out.writerow(
                [show_text(str(t)) for t in texts]
                + [unit(name), "" if value is None else repr(value), show_text(raw)]
            )  # fmt: skip
            count += 1
    return buf.getvalue(), count


def html_text(conn: Any, job: dict[str, Any], near: float = 0.05) -> str:
    data = views.collect(conn, job)
    mc = views.stored_mc(conn, job)
    return report_html.render(
        job,
        views.stored_creport(conn, job),
        data["specs"],
        data["failed_points"],
        near=near,
        mc=None if mc is None else (mc["samples"], mc["stats"]),
    )


def emit(target: str, text: str) -> None:
    if target == "-":
        sys.stdout.write(text)
        return
    # Written aside and renamed: a half-written report never replaces a good one.
    write_output(target, text.encode("utf-8"), "export file")


def main(args: argparse.Namespace) -> int:
    conn = common.open_store(args)
    job = common.require_job(conn, args.job)
    if job["n_points"] is None:
        raise common.NotFound(f"job {job['id']} has no stored result to export")
    if args.csv:
        text, rows = csv_text(conn, job)
        emit(args.csv, text)
        if args.csv != "-":
            common.say(args, f"wrote {args.csv}: {rows} rows")
    else:
        emit(args.html, html_text(conn, job, common.settings(args).near_margin))
        if args.html != "-":
            common.say(args, f"wrote {args.html}")
    return common.EXIT_OK
