"""What every subcommand shares: exit codes, the store path, job ids, output helpers."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tabulate import tabulate

from wkpup_harness.errors import WkpupError
from wkpup_harness.perms import restrict_umask
from wkpup_harness.report.views import (  # noqa: F401  (the CLI's names for them)
    job_state,
    point_text,
    spec_results,
    stored_creport,
)
from wkpup_harness.settings import Settings
from wkpup_harness.settings import resolve as resolve_settings
from wkpup_harness.store import db, jobs

# Documented in `wkpup --help` and docs/cli.md; scripts depend on them.
EXIT_OK = 0
EXIT_BAD = 1  # the thing checked is bad: failed job, spec violated, core modified, ...
EXIT_USAGE = 2  # usage or input error: bad arguments or settings, invalid config or scenario
EXIT_NOT_FOUND = 3  # job, file, store or core not found
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it
EXIT_BROKEN_PIPE = 141  # the reader of stdout went away (128 + SIGPIPE), as shells report it

EXIT_CODES_HELP = """exit codes:
  0    ok
  1    the thing checked is bad (job failed, spec violated, core modified,
       compare found differences)
  2    usage or input error (bad arguments or settings, invalid config.cfg or
       scenario file: one ERROR: line per problem)
  3    not found (job, file, store, core)
  130  interrupted (Ctrl-C during run)
  141  stdout closed by its reader (e.g. | head)"""

ENV_DB = "WKPUP_DB"
DEFAULT_DB = Path(".wkpup") / "wkpup.db"  # relative to the project root (settings)
# argparse dest -> settings name, for the flags a subcommand may have
SETTING_FLAGS = {
    "db": "db", "core": "core", "domains": "domains", "golden_dir": "golden", "runs": "runs",
    "cpus": "cpus", "retries": "retries", "sim_timeout": "sim_timeout",
    "stage_timeout": "stage_timeout", "executor": "executor",
    "cache": "cache", "cache_verify": "cache_verify",
}  # fmt: skip


class UsageError(WkpupError):
    """Bad arguments or input: exit 2."""


class NotFound(WkpupError):
    """A job, file or store that does not exist: exit 3."""


def settings(args: argparse.Namespace) -> Settings:
    """The one resolver (flag > WKPUP_* > project file > default) fed with this command's
    flags; cached on ``args``."""
    cached = getattr(args, "_settings", None)
    if cached is None:
        flags = {name: getattr(args, dest, None) for dest, name in SETTING_FLAGS.items()}
        cached = resolve_settings(flags)
        args._settings = cached
    return cached


def store_path(args: argparse.Namespace) -> Path:
    path = settings(args).db
    if path is None:
        raise UsageError("no store: the store is set to 'none'")
    return path


def open_store(args: argparse.Namespace, *, create: bool = False) -> db.Connection:
    """The store; only commands that record something create it, so a mistyped ``--db`` on
    a query says "not found" instead of leaving an empty store behind."""
    path = store_path(args)
    if not path.exists():
        if not create:
            raise NotFound(f"no store at {path} (set --db or ${ENV_DB})")
        restrict_umask()
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    elif path.is_dir():
        raise UsageError(f"store {path} is a directory, not a file")
    return db.connect(path, wait=settings(args).store_wait)


def parse_job_id(text: str) -> int:
    if re.fullmatch(r"[0-9]{1,18}", text) is None or int(text) == 0:
        raise UsageError(f"job id {text!r}: expected a positive integer")
    return int(text)


def require_job(conn: db.Connection, text: str) -> dict[str, Any]:
    job = jobs.get_job(conn, parse_job_id(text))
    if job is None:
        raise NotFound(f"no job {text} in the store")
    return job


def fmt_time(ts: float | None) -> str:
    return "-" if ts is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def fmt_elapsed(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = round(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def table(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> str:
    return tabulate(list(rows), headers=list(headers), tablefmt="simple", disable_numparse=True)


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


def say(args: argparse.Namespace, text: str) -> None:
    """Human output on stdout, silenced by -q (results a script parses use --json)."""
    if not getattr(args, "quiet", False):
        print(text)
