"""``wkpup show <job>``: a job's header and stages, the worst case of each measurement with
the PVT point that gave it, the spec verdicts and the failed points."""

from __future__ import annotations

import argparse
from typing import Any

from wkpup_harness.cli import common, status
from wkpup_harness.report import views
from wkpup_harness.report.units import number, unit
from wkpup_harness.store import cachequeries


def add_parser(subs: Any, parent: argparse.ArgumentParser) -> None:
    p = subs.add_parser(
        "show",
        parents=[parent],
        help="one job: stages, worst cases, spec verdicts, failed points",
        description="A job's worst cases per measurement (min and max, with the PVT point), "
        "spec verdicts and failed points. Exit 1 when the job failed or was cancelled, a "
        "spec failed, or a point failed.",
    )
    p.add_argument("job", help="job id")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=main)


failed_points = views.failed_points
collect = views.collect


def verdict(data: dict[str, Any]) -> int:
    job = data["job"]
    bad = (
        job["status"] in ("failed", "cancelled")
        or any(s["status"] != "pass" for s in data["specs"])
        or bool(data["failed_points"])
        or job.get("golden") in ("mismatch", "missing")
    )
    return common.EXIT_BAD if bad else common.EXIT_OK


def limits(spec: dict[str, Any]) -> str:
    lo = "-inf" if spec["lo"] is None else number(spec["lo"])
    hi = "+inf" if spec["hi"] is None else number(spec["hi"])
    return f"[{lo}, {hi}]"


def main(args: argparse.Namespace) -> int:
    conn = common.open_store(args)
    job = common.require_job(conn, args.job)
    data = collect(conn, job)
    data["reused_points"] = cachequeries.reused_count(conn, job["id"])
    if args.json:
        common.print_json(data)
        return verdict(data)
    print(status.header(job))
    print()
    print(status.stages_table(job))
    print()
    if data["reused_points"]:
        print(
            f"result cache: {data['reused_points']} of {job['points_total']} point(s) reused,"
            " not simulated (docs/cache.md)"
        )
        print()
    if data["worst"]:
        print(f"worst cases over {job['n_points']} points:")
        rows = [
            [w["name"], unit(w["name"]), number(w["min"]), w["min_point"], number(w["max"]),
             w["max_point"], w["failed"] or ""]
            for w in data["worst"]
        ]  # fmt: skip
        print(common.table(rows, ["measurement", "unit", "min", "at", "max", "at", "failed"]))
    else:
        print("no results stored")
    if data["specs"]:
        print()
        rows = [
            [s["name"], unit(s["name"]), limits(s), s["status"].upper(),
             f"{s['n_fail']}/{s['n_points']}",
             "failed" if s["worst_value"] is None and s["worst_seq"] is not None
             else "" if s["worst_value"] is None else number(s["worst_value"]),
             s["worst_point"] or ""]
            for s in data["specs"]
        ]  # fmt: skip
        print(common.table(rows, ["spec", "unit", "limits", "verdict", "fail", "worst", "at"]))
    if data["failed_simulations"]:
        print()
        print(f"{len(data['failed_simulations'])} simulation(s) not ok:")
        for f in data["failed_simulations"]:
            print(
                f"  {f['name']}: {f['status']} ({f['reason'] or '-'}, {f['attempts']} attempt(s))"
            )
    if data["failed_points"]:
        print()
        print(f"{len(data['failed_points'])} failed point(s):")
        for f in data["failed_points"]:
            print(f"  {f['point']}: {', '.join(f['failed']) or 'missing cells'}")
    return verdict(data)
