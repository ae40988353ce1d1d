"""``wkpup show <job>``: a job's header and stages, the worst case of each measurement with
the PVT point that gave it, the spec verdicts and the failed points."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from wkpup_harness.cli import common, status
from wkpup_harness.report import views
from wkpup_harness.report.mcsummary import mc_yield_text
from wkpup_harness.report.units import eng, margin_text, unit
from wkpup_harness.results import spec as spec_check
from wkpup_harness.store import cachequeries
from wkpup_harness.store.db import Connection


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


def stored_mc(conn: Connection, job: Mapping[str, Any]) -> dict[str, Any] | None:
    """A stored job's Monte Carlo run (``wkpup show``): its settings, sample count and yield
    table against the limits recorded with the job; None for a job without samples."""
    mc = views.stored_mc(conn, job)
    if mc is None:
        return None
    head = mc["head"]
    return {
        "kind": head["mc_kind"],
        "seed": head["mc_seed"],
        "samples_per_point": head["mc_samples"],
        "at": head["mc_at"],
        "samples": head["n"],
        "table": mc_yield_text(mc["samples"], mc["spec"], mc["corners"]),
    }


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
    u = unit(spec["name"])
    lo = "-inf" if spec["lo"] is None else eng(spec["lo"], u)
    hi = "+inf" if spec["hi"] is None else eng(spec["hi"], u)
    return f"[{lo}, {hi}]"


def margin(spec: dict[str, Any]) -> str:
    """The worst point's margin to the limits, and in percent of the nearer limit."""
    if spec["worst_seq"] is None:
        return ""
    bounds = spec_check.Bounds(spec["lo"], spec["hi"])
    value = spec["worst_value"]
    m = spec_check.margin(bounds, value)
    return margin_text(m, views.margin_percent(bounds, value), unit(spec["name"]))


def worst(spec: dict[str, Any]) -> str:
    if spec["worst_value"] is None:
        return "failed" if spec["worst_seq"] is not None else ""
    return eng(spec["worst_value"], unit(spec["name"]))


def main(args: argparse.Namespace) -> int:
    conn = common.open_store(args)
    job = common.require_job(conn, args.job)
    data = collect(conn, job)
    mc = stored_mc(conn, job)
    if mc is not None:
        data["monte_carlo"] = mc
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
            [w["name"], unit(w["name"]), eng(w["min"], unit(w["name"])), w["min_point"],
             eng(w["max"], unit(w["name"])), w["max_point"], w["failed"] or ""]
            for w in data["worst"]
        ]  # fmt: skip
        print(common.table(rows, ["measurement", "unit", "min", "at", "max", "at", "failed"]))
    else:
        print("no results stored")
    if data["specs"]:
        print()
        rows = [
            [s["name"], unit(s["name"]), limits(s), s["status"].upper(),
             f"{s['n_fail']}/{s['n_points']}", worst(s), margin(s), s["worst_point"] or ""]
            for s in data["specs"]
        ]  # fmt: skip
        head = ["spec", "unit", "limits", "verdict", "fail", "worst", "margin", "at"]
        print(common.table(rows, head))
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
    if mc is not None:
        print()
        print(
            f"{mc['kind']}, mc_seed {mc['seed']}, {mc['samples_per_point']} per point at {mc['at']}"
        )
        print(mc["table"])
    return verdict(data)
