"""``wkpup golden <job> [--update]``: a recorded job's creport against its golden.

The golden of a scenario job is ``<golden root>/<scenario>/<job name>/creport.txt``. Without
``--update`` the verdict is shown (and, on a mismatch, the differing cells one per line and
the new creport written beside the golden as ``creport.txt.obtained``); with it the golden
is (re)written from the job's creport. The verdict is kept with the job in the store.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from wkpup_harness.cli import common
from wkpup_harness.results import golden as golden_gate
from wkpup_harness.store import jobs


def add_parser(subs: Any, parent: argparse.ArgumentParser) -> None:
    p = subs.add_parser(
        "golden",
        parents=[parent],
        help="compare a recorded job with its golden creport, or update the golden",
        description="Exit 0 when identical (or updated), 1 on a mismatch, 3 when the job has "
        "no creport.",
    )
    p.add_argument("job", help="job id")
    p.add_argument("--update", action="store_true", help="write the job's creport as golden")
    p.add_argument("--golden-dir", metavar="DIR", help="golden root (default: golden/)")
    p.set_defaults(func=main)


def creport_of(job: dict[str, Any]) -> Path:
    for base, sub in ((job.get("backup_path"), "report"), (job.get("work_path"), "report")):
        if base:
            path = Path(base) / sub / "creport.txt"
            if path.is_file():
                return path
    raise common.NotFound(f"job {job['id']}: no creport.txt (backup or run directory gone?)")


def main(args: argparse.Namespace) -> int:
    settings = common.settings(args)
    conn = common.open_store(args)
    job = common.require_job(conn, args.job)
    if not job.get("scenario") or not job.get("name"):
        raise common.UsageError(f"job {job['id']}: no scenario/name to find its golden by")
    path = golden_gate.golden_path(settings.golden, job["scenario"], job["name"])
    new = creport_of(job).read_bytes()
    try:
        verdict = golden_gate.check(path, new, update=args.update)
    except golden_gate.GoldenMismatch as exc:
        jobs.set_golden(conn, job["id"], "mismatch", str(path))
        print(exc.report())
        return common.EXIT_BAD
    except golden_gate.GoldenMissing as exc:
        jobs.set_golden(conn, job["id"], "missing", str(path))
        print(f"wkpup: {exc}")
        return common.EXIT_NOT_FOUND
    jobs.set_golden(conn, job["id"], verdict, str(path))
    common.say(args, f"job {job['id']}: golden {path}: {verdict}")
    return common.EXIT_OK
