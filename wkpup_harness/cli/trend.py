"""``wkpup trend <name | scenario::name>``: a job's measurements across its recorded runs —
the runs (date, spec and golden verdict, simulator, core), each measurement's worst margin,
the latest one and its change since the previous run, and a warning where a margin shrank
into the near band or by more than it (``report.trend`` decides, as for the web page)."""

from __future__ import annotations

import argparse
from typing import Any

from wkpup_harness.cli import common
from wkpup_harness.report import trend as report_trend
from wkpup_harness.report.units import eng
from wkpup_harness.store import trendqueries

RUN_COLUMNS = 6  # runs shown side by side in the margin table (--json has them all)


def add_parser(subs: Any, parent: argparse.ArgumentParser) -> None:
    p = subs.add_parser(
        "trend",
        parents=[parent],
        help="a job's measurements and margins across its recorded runs",
        description="Every stored run of the job NAME (or SCENARIO::NAME, e.g. "
        "gpio/wkpup_1p8v::smoke), oldest first: each measurement's worst value and margin "
        "to its spec limits per run, with a warning where a margin shrank into the near "
        "band (near_margin of the limit) or by more than it since the run before. Exit 0: "
        "no warning, 1: a margin got worse.",
    )
    p.add_argument("job", help="job name, or SCENARIO::NAME")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=main)


def margin_cells(m: dict[str, Any]) -> list[str]:
    """worst margin, latest margin, change since the previous run (the unit's text)."""
    u = m["unit"]
    limited = [r for r in m["runs"] if r["margin"] is not None]
    change = "-"
    if len(limited) > 1:
        change = eng(limited[-1]["margin"] - limited[-2]["margin"], u)
    return [eng(m["worst_margin"], u), eng(m["latest_margin"], u), change]


def limits_text(m: dict[str, Any]) -> str:
    last = m["runs"][-1]
    lo, hi, u = last["lo"], last["hi"], m["unit"]
    if lo is None and hi is None:
        return "-"
    return f"{eng(lo, u) if lo is not None else ''} .. {eng(hi, u) if hi is not None else ''}"


def margin_matrix(t: dict[str, Any], last: int = RUN_COLUMNS) -> str:
    """Worst margin per run (the last ``last`` runs) of every measurement with limits."""
    runs = [r["id"] for r in t["runs"]][-last:]
    rows = []
    for m in t["measurements"]:
        if m["latest_margin"] is None:
            continue
        by_job = {r["job"]: r for r in m["runs"]}
        cells = [by_job[j]["margin"] if j in by_job else None for j in runs]
        rows.append([m["name"], *(eng(c, m["unit"]) for c in cells)])
    if not rows:
        return ""
    return common.table(rows, ["worst margin", *(f"job {j}" for j in runs)])


def main(args: argparse.Namespace) -> int:
    try:
        report_trend.parse_job(args.job)
    except report_trend.TrendError as e:
        raise common.UsageError(str(e)) from None
    conn = common.open_store(args)
    near = common.settings(args).near_margin
    try:
        t = trendqueries.trend_of(conn, args.job, near)
    except report_trend.TrendError as e:
        raise common.NotFound(str(e)) from None
    code = common.EXIT_BAD if t["warnings"] else common.EXIT_OK
    if args.json:
        common.print_json(t)
        return code
    common.say(args, f"job {args.job}: {len(t['runs'])} run(s), oldest first")
    runs = [[r["id"], common.fmt_time(r["date"]), r["status"], r["spec_verdict"] or "-",
             r["golden"] or "-", r["simulator"] or "-", r["core"] or "-"]
            for r in t["runs"]]  # fmt: skip
    print(common.table(runs, ["job", "date", "status", "spec", "golden", "simulator", "core"]))
    rows = []
    for m in t["measurements"]:
        last, u = m["runs"][-1], m["unit"]
        worst = eng(last["worst"], u) if last["worst"] is not None else (
            f"{eng(last['min'], u)} .. {eng(last['max'], u)}")  # fmt: skip
        rows.append([m["name"], limits_text(m), worst, last["verdict"] or "-",
                     *margin_cells(m), "WARNING" if m["warnings"] else ""])  # fmt: skip
    header = ["measurement", "limits", "latest worst (or range)", "verdict", "worst margin",
              "latest margin", "change", ""]  # fmt: skip
    print(common.table(rows, header))
    per_run = margin_matrix(t)
    if per_run:
        print(per_run)
    for w in t["warnings"]:
        print(f"WARNING: {w}")
    return code
