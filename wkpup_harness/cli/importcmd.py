"""``wkpup import <00bkp dir | creport.txt>``: a real backup (or a bare creport) stored as a
completed job, every cell's text as written (``store.importer`` does the work)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from wkpup_harness.cli import common
from wkpup_harness.store import jobs
from wkpup_harness.store.importer import import_backup


def add_parser(subs: Any, parent: argparse.ArgumentParser) -> None:
    p = subs.add_parser(
        "import",
        parents=[parent],
        help="store a real 00bkp_* backup or creport.txt as a job",
        description="Import a backup directory 00bkp_<YYYYMMDDHHMM> (or a bare creport.txt, "
        "alter `swp` column included) as a completed job. The domain defaults to the "
        "backup's parent directories (gpio/1p1v).",
    )
    p.add_argument("path", help="00bkp_<YYYYMMDDHHMM> directory or creport.txt")
    p.add_argument("--domain", help="domain to file it under (default: from the path)")
    p.add_argument("--config", metavar="FILE", help="the config.cfg it ran with (stored as is)")
    p.add_argument("--name", help="job name (default: the backup's name)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if not path.exists():
        raise common.NotFound(f"{path}: no such backup directory or creport.txt")
    config_text = None
    if args.config:
        # Kept byte for byte (latin-1 round-trips every byte); not validated: a site's
        # backup ran against the site's tables, not necessarily ours.
        config_text = Path(args.config).read_bytes().decode("latin-1")
    conn = common.open_store(args, create=True)
    job = import_backup(
        conn, path, domain=args.domain, name=args.name, user=None, config_text=config_text
    )
    got = jobs.get_job(conn, job)
    assert got is not None
    common.say(
        args,
        f"imported {path} as job {job}: {got['domain']}, {got['n_points']} points, "
        f"{got['n_failed_points']} failed",
    )
    if getattr(args, "quiet", False):
        print(job)
    return common.EXIT_OK
