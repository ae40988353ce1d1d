"""``wkpup core verify``: the core against its checksum manifest (exit 1 when modified)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from wkpup_harness.cli import common
from wkpup_harness.core import locate_core, manifest


def add_parser(subs: Any, parent: argparse.ArgumentParser) -> None:
    p = subs.add_parser(
        "core", parents=[parent], help="the core: verify it against MANIFEST.sha256"
    )
    ops = p.add_subparsers(dest="op", metavar="OP", parser_class=type(p))
    ops.required = True
    v = ops.add_parser(
        "verify",
        parents=[parent],
        help="check every core file against MANIFEST.sha256",
        description="Exit 0 when the core matches its manifest, 1 naming every modified, "
        "missing or extra file, 3 when there is no core.",
    )
    v.add_argument(
        "--core",
        metavar="PATH",
        help="core root (default: $WKPUP_CORE, core = in wkpup.toml, else the embedded one)",
    )
    v.set_defaults(func=verify)


def verify(args: argparse.Namespace) -> int:
    # manifest.verify, not Core.verify: a difference is this command's answer, not an error.
    # The core the one settings resolver names (flag > $WKPUP_CORE > project file > embedded),
    # the very core a run would use.
    result = manifest.verify(locate_core(common.settings(args).core).root)
    if result.ok:
        common.say(args, result.describe())
        return common.EXIT_OK
    print(f"wkpup: {result.describe()}", file=sys.stderr)
    return common.EXIT_BAD
