"""``wkpup compare <jobA> <jobB | golden PATH>``: the verdict (identical / identical within
tolerance / N of M cells differ), both jobs and their config differences, the points only in
A or only in B, then the changed cells largest first (``report.compare`` decides all of it,
as for the web page)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from wkpup_harness.cli import common
from wkpup_harness.report import compare as cmp
from wkpup_harness.report import views
from wkpup_harness.report.units import eng, number
from wkpup_harness.results import read_creport
from wkpup_harness.store import db, jobs


def add_parser(subs: Any, parent: argparse.ArgumentParser) -> None:
    p = subs.add_parser(
        "compare",
        parents=[parent],
        help="per-point deltas between two jobs, or a job and a golden creport",
        description="Compare job A with job B (or with a golden creport.txt: "
        "`compare A golden PATH`). Points are matched by corner, extraction, temperature, "
        "voltages and swp; temper and alter# are not compared. A cell is identical within "
        "tolerance when |b - a| <= max(abs, rel * max(|a|, |b|)); defaults rel "
        f"{cmp.DEFAULT_REL:g}, abs A={cmp.DEFAULT_ABS['A']:g} V={cmp.DEFAULT_ABS['V']:g} "
        f"ohm={cmp.DEFAULT_ABS['Ω']:g} s={cmp.DEFAULT_ABS['s']:g} (docs/cli.md says why). "
        "Changed cells are listed largest relative change first. Exit 0 when nothing "
        "differs beyond tolerance, 1 when something does.",
    )
    p.add_argument("job", help="job A")
    p.add_argument("other", help="job B, or the word 'golden' followed by a creport path")
    p.add_argument("path", nargs="?", help="golden creport.txt (after 'golden')")
    p.add_argument("--name", action="append", metavar="M", help="only this measurement")
    p.add_argument("--rel", metavar="R", help=f"relative tolerance (default {cmp.DEFAULT_REL:g})")
    p.add_argument(
        "--abs",
        action="append",
        metavar="TOL",
        help="absolute tolerance: one number for every unit, or UNIT=N (A, V, ohm, s), "
        "repeatable or comma-separated (default A=1e-12,V=1e-9,ohm=1e-3,s=1e-15)",
    )
    p.add_argument("--limit", type=int, default=20, metavar="N", help="show N rows (0: all)")
    p.add_argument("--offset", type=int, default=0, metavar="K", help="skip the first K rows")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=main)


def against_golden(
    conn: db.Connection, job: dict[str, Any], path: Path, names: list[str] | None
) -> list[dict[str, Any]]:
    """Job vs a creport file (``views.compare_with_creport``)."""
    if job.get("report_header") is None:
        raise common.UsageError(f"job {job['id']} has no stored result to compare")
    return views.compare_with_creport(conn, job, read_creport(path), names)


def sections(result: dict[str, Any], limit: int = 0) -> list[str]:
    """The text before the changed cells: the jobs, their config differences, the points
    that only one side has."""
    lines = []
    for key in ("a", "b"):
        j = result[key]
        named = " ".join(str(j[k]) for k in ("domain", "scenario", "name") if j.get(k))
        sim = " ".join(str(j[k]) for k in ("simulator", "simulator_version") if j.get(k))
        ver = f", {sim}" if sim else ""
        lines.append(f"{key.upper()}: {j['label']} {named}{ver}".rstrip())
    for d in result["config"]:
        lines.append(f"  config {d['key']}: A {d['a'] or '-'} / B {d['b'] or '-'}")
    for key, side in (("only_a", "A"), ("only_b", "B")):
        if result[key]:
            lines.append(f"{len(result[key])} point(s) only in {side}:")
            points = result[key] if limit == 0 else result[key][:limit]
            lines += [f"  {p['point']}" for p in points]
            if len(points) < len(result[key]):
                lines.append(f"  ... {len(result[key]) - len(points)} more (--limit 0 shows all)")
    return lines


def delta_text(r: dict[str, Any]) -> list[str]:
    u = r["unit"]
    rel = "-" if r["rel"] is None else f"{number(100 * r['rel'])} %"
    return [eng(r["a"], u) if r["a"] is not None else r["a_raw"] or "-",
            eng(r["b"], u) if r["b"] is not None else r["b_raw"] or "-",
            eng(r["delta"], u), rel]  # fmt: skip


def rows_of(args: argparse.Namespace, conn: db.Connection, job_a: dict[str, Any]) -> tuple:
    """(rows, job B or None, B's label)."""
    if args.other == "golden":
        if not args.path:
            raise common.UsageError("compare JOB golden PATH: the golden creport path is missing")
        return against_golden(conn, job_a, Path(args.path), args.name), None, f"golden {args.path}"
    if args.path:
        raise common.UsageError(f"unexpected argument {args.path!r}")
    job_b = common.require_job(conn, args.other)
    return jobs.compare(conn, job_a["id"], job_b["id"], args.name), job_b, f"job {job_b['id']}"


def main(args: argparse.Namespace) -> int:
    for flag, value in (("--limit", args.limit), ("--offset", args.offset)):
        if value < 0:
            raise common.UsageError(f"{flag} {value}: must be 0 or more")
    try:
        tol = cmp.tolerance(args.rel, args.abs)
    except cmp.ToleranceError as e:
        raise common.UsageError(f"--{e}") from None
    conn = common.open_store(args)
    job_a = common.require_job(conn, args.job)
    rows, job_b, b_label = rows_of(args, conn, job_a)
    result = cmp.comparison(rows, job_a, job_b, b_label, tol, offset=args.offset, limit=args.limit)
    code = common.EXIT_OK if result["identical"] else common.EXIT_BAD
    if args.json:
        common.print_json(result)
        return code
    apart = [f"{len(result[k])} point(s) only in {s}"
             for k, s in (("only_a", "A"), ("only_b", "B")) if result[k]]  # fmt: skip
    counts = "; ".join([f"{result['cells']} cells compared", *apart])
    common.say(args, f"{result['a']['label']} vs {b_label}: {result['verdict']} ({counts})")
    for line in sections(result, args.limit):
        print(line)
    shown = result["rows"]
    if shown:
        table = [[views.point_text(r), r["name"], *delta_text(r)] for r in shown]
        print(common.table(table, ["point", "measurement", "a", "b", "b - a", "rel"]))
        rest = result["differences"] - args.offset - len(shown)
        if rest > 0:
            common.say(args, f"... {rest} more (--offset {args.offset + len(shown)}, "
                       "--limit 0 shows all)")  # fmt: skip
    return code
