"""``wkpup validate <config.cfg>``: the config against the core's own tables, before any run."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from wkpup_harness.cli import common
from wkpup_harness.config import Config, read_config
from wkpup_harness.core import locate_core
from wkpup_harness.errors import ConfigError


def add_parser(subs: Any, parent: argparse.ArgumentParser) -> None:
    p = subs.add_parser(
        "validate",
        parents=[parent],
        help="check a config.cfg against the core's tables",
        description="Validate a config.cfg against the core's CSV whitelists. Exit 0 when "
        "valid, 1 with the one-line ConfigError otherwise.",
    )
    p.add_argument("config", help="config.cfg to check")
    p.add_argument("--core", metavar="PATH", help="core to validate against (default: embedded)")
    p.add_argument("--json", action="store_true", help="machine-readable result")
    p.set_defaults(func=main)


def summary(config: Config) -> dict[str, Any]:
    points = config.points()
    return {
        "points": len(points),
        "mode": config.mode,
        "condition": config.condition,
        "corners": list(dict.fromkeys(p.corner for p in points)),
        "extractions": list(dict.fromkeys(p.extraction for p in points)),
        "temperatures": list(dict.fromkeys(p.temp_token for p in points)),
        "supplies": list(config.supplies),
        "voltages": list(dict.fromkeys(p.vt for p in points)),
    }


def main(args: argparse.Namespace) -> int:
    core = locate_core(args.core)
    try:
        config = read_config(args.config, tables=core.tables())
    except ConfigError as exc:
        if args.json:
            common.print_json({"ok": False, "config": args.config, "error": str(exc)})
        else:
            print(str(exc), file=sys.stderr)
        return common.EXIT_BAD
    info = summary(config)
    if args.json:
        common.print_json({"ok": True, "config": args.config, **info})
        return common.EXIT_OK
    common.say(
        args,
        f"OK: {args.config}: {info['points']} PVT points ({info['mode']}, {info['condition']})\n"
        f"  corners:      {' '.join(info['corners'])}\n"
        f"  extractions:  {' '.join(info['extractions'])}\n"
        f"  temperatures: {' '.join(info['temperatures'])}\n"
        f"  supplies:     {' '.join(info['supplies'])}\n"
        f"  voltages:     {' '.join(info['voltages'])}",
    )
    return common.EXIT_OK
