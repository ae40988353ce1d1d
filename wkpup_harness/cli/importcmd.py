"""``wkpup import <00bkp dir | creport.txt>``: a real backup (or a bare creport) stored as a
completed job, every cell's text as written (``store.importer`` does the work)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from wkpup_harness.cli import common
from wkpup_harness.core import locate_core
from wkpup_harness.inputs import InputError, echo, path_name, read_input
from wkpup_harness.store import jobs
from wkpup_harness.store.importer import load_import, store_import

# A domain or job name given for an import: a label in tables, never a path.
MAX_LABEL = 200


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


def read_config_copy(path: str) -> str:
    """The --config file kept byte for byte (latin-1 round-trips every byte); not validated
    (a site's backup ran against the site's tables), but a regular, bounded text file."""
    data = read_input(path, "config file")
    if b"\0" in data:
        line = data.count(b"\n", 0, data.index(b"\0")) + 1
        raise InputError(f"{path}:{line}: contains a NUL byte; allowed: config text")
    return data.decode("latin-1")


def main(args: argparse.Namespace) -> int:
    path = Path(args.path)
    try:
        found = os.path.lexists(path)
    except (OSError, ValueError):  # a name too long for the system, a NUL
        found = False
    if not found:
        raise common.NotFound(f"{path_name(path)}: no such backup directory or creport.txt")
    # Everything is read and checked before the store is opened: a refused import leaves
    # no store behind, and an existing one untouched.
    for flag, value in (("--domain", args.domain), ("--name", args.name)):
        if value is not None and not (0 < len(value) <= MAX_LABEL and value.isprintable()):
            raise common.UsageError(
                f"{flag} {echo(value)}: allowed: 1 to {MAX_LABEL} printable characters"
            )
    config_text = read_config_copy(args.config) if args.config else None
    tables = locate_core(common.settings(args).core).tables()
    item = load_import(path, corners=tables.corner_names(), extractions=tables.extractions())
    conn = common.open_store(args, create=True)
    job = store_import(
        conn, item, domain=args.domain, name=args.name, user=None, config_text=config_text
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
