"""``wkpup status [job]``: the jobs queued or running now, or one job with its stages.

A running job's progress (stage, k / N points) is what its engine records in the store as it
goes, so jobs started by pytest, the CLI or the web server are all followed the same way.
"""

from __future__ import annotations

import argparse
from typing import Any

from wkpup_harness.cli import common
from wkpup_harness.engine import rules
from wkpup_harness.engine.reaper import reap
from wkpup_harness.report import views
from wkpup_harness.report.units import mib, quantity
from wkpup_harness.store import jobs


def add_parser(subs: Any, parent: argparse.ArgumentParser) -> None:
    p = subs.add_parser(
        "status",
        parents=[parent],
        help="queued and running jobs, or one job with its stages",
        description="Without a job: the queued and running jobs. With one: its state and "
        "stages; exit 1 when that job failed or was cancelled.",
    )
    p.add_argument("job", nargs="?", help="job id")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=main)


def run_progress(job: dict[str, Any]) -> tuple[int, int | None] | None:
    """(points done, points planned) of a running job, as its engine records them."""
    if job["status"] != "running" or job.get("points_total") is None:
        return None
    return job.get("points_done") or 0, job["points_total"]


def progress_text(job: dict[str, Any]) -> str:
    stage = job.get("stage") or next(
        (s["stage"] for s in job["stages"] if s["status"] == "running"), None
    )
    prog = run_progress(job)
    if stage is None:
        return "-"
    if prog is not None and stage == "run":
        done, total = prog
        failed = job.get("points_failed") or 0
        return f"run {done}/{total} points" + (f", {failed} failed" if failed else "")
    return stage


def main(args: argparse.Namespace) -> int:
    conn = common.open_store(args)
    reap(conn)  # a dead process's job shows as interrupted, not running
    if args.job is not None:
        return one(args, common.require_job(conn, args.job))
    active = [
        jobs.get_job(conn, row["id"])
        for status in ("running", "queued")
        for row in jobs.history(conn, status=status, limit=1000)
    ]
    found = [j for j in active if j is not None]
    if args.json:
        common.print_json([{**strip(j), "progress": run_progress(j)} for j in found])
        return common.EXIT_OK
    if not found:
        common.say(args, "no queued or running jobs")
        return common.EXIT_OK
    rows = [
        [j["id"], common.job_state(j), j["domain"], j["name"] or "", j.get("face") or "",
         common.fmt_time(j["started_at"] or j["submitted_at"]), progress_text(j)]
        for j in found
    ]  # fmt: skip
    print(common.table(rows, ["job", "status", "domain", "name", "face", "since", "progress"]))
    return common.EXIT_OK


strip = views.strip


def one(args: argparse.Namespace, job: dict[str, Any]) -> int:
    code = common.EXIT_BAD if job["status"] in ("failed", "cancelled") else common.EXIT_OK
    if args.json:
        common.print_json({**strip(job), "progress": run_progress(job)})
        return code
    print(header(job))
    if job["status"] == "running":
        print(f"progress: {progress_text(job)}")
    print(stages_table(job))
    return code


def header(job: dict[str, Any]) -> str:
    lines = [
        f"job {job['id']}: {common.job_state(job)}  {job['domain']}  {job['name'] or ''}".rstrip(),
        f"user {job['user'] or '-'}  submitted {common.fmt_time(job['submitted_at'])}  "
        f"started {common.fmt_time(job['started_at'])}  "
        f"finished {common.fmt_time(job['finished_at'])}  "
        f"elapsed {common.fmt_elapsed(job['elapsed_s'])}",
    ]
    if job["n_points"] is not None:
        lines.append(f"points {job['n_points']}, failed {job['n_failed_points']}")
    elif job.get("points_total") is not None:
        lines.append(
            f"simulated {job.get('points_done') or 0}/{job['points_total']} points, "
            f"failed {job.get('points_failed') or 0}"
        )
    extra = [f"face {job['face']}"] if job.get("face") else []
    if job.get("resumes"):
        extra.append(f"resumed {job['resumes']}x")
    if job.get("golden"):
        extra.append(f"golden {job['golden']}")
    if extra:
        lines.append("  ".join(extra))
    if job["error"]:
        lines.append(f"error ({job['error_stage'] or '-'}): {job['error']}")
    for label, key in (("work", "work_path"), ("logs", "log_path"), ("backup", "backup_path")):
        if job[key]:
            lines.append(f"{label} {job[key]}")
    return "\n".join(lines)


def stages_table(job: dict[str, Any]) -> str:
    if not job["stages"]:
        return "no stages recorded"
    rows = []
    by_name = {s["stage"]: s for s in job["stages"]}
    for s in (by_name[name] for name in rules.in_pipeline_order(list(by_name))):
        took = None
        if s["started_at"] is not None and s["finished_at"] is not None:
            took = s["finished_at"] - s["started_at"]
        rows.append(
            [s["stage"], s["status"], "" if s["exit_code"] is None else s["exit_code"],
             common.fmt_time(s["started_at"]), common.fmt_elapsed(took),
             quantity(s.get("cpu_s"), "s", 3),
             quantity(mib(s.get("max_rss_kib")), "MiB", 3),
             s["log_path"] or ""]
        )  # fmt: skip
    return common.table(
        rows, ["stage", "status", "exit", "started", "took", "cpu", "peak mem", "log"]
    )
