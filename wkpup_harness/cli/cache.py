"""``wkpup cache stats|prune``: the result cache's directory (docs/cache.md)."""

from __future__ import annotations

import argparse
import math
import re
import time
from pathlib import Path
from typing import Any

from wkpup_harness.cli import common
from wkpup_harness.engine.pointcache import cache_dir
from wkpup_harness.engine.resultcache import ResultCache
from wkpup_harness.report.units import quantity

DAY_S = 86400.0
_SIZE = re.compile(r"([0-9]+(?:\.[0-9]*)?)\s*([KMGT]?)(?:i?B)?", re.IGNORECASE)
_FACTORS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def add_parser(subs: Any, parent: argparse.ArgumentParser) -> None:
    p = subs.add_parser(
        "cache", parents=[parent], help="the result cache: stats, prune (docs/cache.md)"
    )
    ops = p.add_subparsers(dest="op", metavar="OP", parser_class=type(p))
    ops.required = True
    s = ops.add_parser(
        "stats",
        parents=[parent],
        help="where the cache is, its entries and their size",
        description="The result cache's directory, how many entries it holds, their size and "
        "when the oldest and newest were last used.",
    )
    s.add_argument("--cache-dir", metavar="DIR", help="the cache (default: the cache_dir setting)")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=stats)
    r = ops.add_parser(
        "prune",
        parents=[parent],
        help="remove entries unused for a while, or the least recently used beyond a size",
        description="Remove the entries not used for --older-than DAYS, then the least "
        "recently used until the rest fit in --max-size (e.g. 500M, 2G). Give at least one.",
    )
    r.add_argument("--cache-dir", metavar="DIR", help="the cache (default: the cache_dir setting)")
    r.add_argument("--older-than", metavar="DAYS", help="days since an entry was last used")
    r.add_argument("--max-size", metavar="SIZE", help="bytes to keep at most (K, M, G, T: x1024)")
    r.set_defaults(func=prune)


def _cache(args: argparse.Namespace) -> ResultCache:
    if args.cache_dir:
        return ResultCache(Path(args.cache_dir).expanduser().resolve())
    return ResultCache(cache_dir(common.settings(args)))


def parse_days(text: str) -> float:
    try:
        days = float(text)
    except ValueError:
        days = math.nan
    if not (math.isfinite(days) and days >= 0):
        raise common.UsageError(f"--older-than {text!r}: expected a number of days, 0 or more")
    return days


def parse_size(text: str) -> int:
    m = _SIZE.fullmatch(text.strip())
    if m is None:
        raise common.UsageError(
            f"--max-size {text!r}: expected a size such as 500M or 2G (K, M, G, T: x1024)"
        )
    return int(float(m[1]) * _FACTORS[m[2].upper()])


def _age(seconds: float) -> str:
    return quantity(seconds / DAY_S, "d", 3) if seconds >= DAY_S else quantity(seconds, "s", 3)


def stats(args: argparse.Namespace) -> int:
    cache = _cache(args)
    rows = cache.usage()
    now = time.time()
    total = sum(r[2] for r in rows)
    data = {
        "cache_dir": str(cache.root),
        "entries": len(rows),
        "bytes": total,
        "oldest_use_s": round(now - min(r[1] for r in rows), 1) if rows else None,
        "newest_use_s": round(now - max(r[1] for r in rows), 1) if rows else None,
    }
    if args.json:
        common.print_json(data)
        return common.EXIT_OK
    print(f"result cache: {cache.root}")
    print(f"entries: {len(rows)} ({quantity(total / (1 << 20), 'MiB', 3)})")
    if rows:
        print(f"last used: newest {_age(data['newest_use_s'])} ago, "
              f"oldest {_age(data['oldest_use_s'])} ago")  # fmt: skip
    return common.EXIT_OK


def prune(args: argparse.Namespace) -> int:
    if args.older_than is None and args.max_size is None:
        raise common.UsageError("cache prune: give --older-than DAYS, --max-size SIZE or both")
    days = None if args.older_than is None else parse_days(args.older_than)
    size = None if args.max_size is None else parse_size(args.max_size)
    cache = _cache(args)
    removed, freed = cache.prune(older_than=None if days is None else days * DAY_S, max_bytes=size)
    common.say(
        args,
        f"removed {removed} entr{'y' if removed == 1 else 'ies'} "
        f"({quantity(freed / (1 << 20), 'MiB', 3)}) from {cache.root}",
    )
    return common.EXIT_OK
