"""``wkpup db backup|restore|cleanup|vacuum|stats``: store maintenance
(``store.maintenance`` does the work, through SQLite's online backup API)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from wkpup_harness.cli import common
from wkpup_harness.store import maintenance


def add_parser(subs: Any, parent: argparse.ArgumentParser) -> None:
    p = subs.add_parser(
        "db",
        parents=[parent],
        help="store maintenance: backup, restore, cleanup, vacuum, stats",
        description="Maintain the job store.",
    )
    ops = p.add_subparsers(dest="op", metavar="OP", parser_class=type(p))
    ops.required = True
    b = ops.add_parser("backup", parents=[parent], help="consistent snapshot to FILE")
    b.add_argument("file")
    b.set_defaults(func=backup)
    r = ops.add_parser("restore", parents=[parent], help="replace the store by backup FILE")
    r.add_argument("file")
    r.set_defaults(func=restore)
    c = ops.add_parser("cleanup", parents=[parent], help="delete finished jobs older than N days")
    c.add_argument("--older-than", type=float, required=True, metavar="DAYS")
    c.set_defaults(func=cleanup)
    v = ops.add_parser("vacuum", parents=[parent], help="return free space to the file system")
    v.set_defaults(func=vacuum)
    s = ops.add_parser("stats", parents=[parent], help="rows per table, size, schema version")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=stats)


def backup(args: argparse.Namespace) -> int:
    conn = common.open_store(args)
    dest = maintenance.backup(conn, Path(args.file))
    common.say(args, f"backed up {common.store_path(args)} to {dest}")
    return common.EXIT_OK


def restore(args: argparse.Namespace) -> int:
    src = Path(args.file)
    if not src.exists():
        raise common.NotFound(f"{src}: no such backup file")
    target = common.store_path(args)
    target.parent.mkdir(parents=True, exist_ok=True)
    maintenance.restore(src, target)
    common.say(args, f"restored {target} from {src}")
    return common.EXIT_OK


def cleanup(args: argparse.Namespace) -> int:
    if not args.older_than >= 0:  # also refuses nan
        raise common.UsageError(f"--older-than {args.older_than}: must be 0 or more days")
    conn = common.open_store(args)
    runs = common.settings(args).runs
    n = maintenance.cleanup(conn, args.older_than, runs=runs)
    common.say(
        args,
        f"deleted {n} finished job(s) older than {args.older_than:g} days, "
        f"and their run directories under {runs}",
    )
    return common.EXIT_OK


def vacuum(args: argparse.Namespace) -> int:
    conn = common.open_store(args)
    maintenance.vacuum(conn)
    common.say(args, f"vacuumed {common.store_path(args)}")
    return common.EXIT_OK


def stats(args: argparse.Namespace) -> int:
    conn = common.open_store(args)
    data = {"path": str(common.store_path(args)), **maintenance.stats(conn)}
    if args.json:
        common.print_json(data)
        return common.EXIT_OK
    print(f"store {data['path']}: schema v{data['version']}, {data['file_bytes']} bytes "
          f"(+{data['wal_bytes']} WAL)")  # fmt: skip
    print(common.table(sorted(data["rows"].items()), ["table", "rows"]))
    return common.EXIT_OK
