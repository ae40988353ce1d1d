"""``wkpup validate <config.cfg | scenario.yaml | DIR>``: configs against the core's own
tables and scenario files against the domains and the schema, before any run. A directory
is searched for ``*.yaml``, ``*.yml`` and ``*.cfg``; every problem of every file is listed,
one ``ERROR: file:line: key: problem; allowed: ...`` line each."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from wkpup_harness.cli import common
from wkpup_harness.config import Config, read_config
from wkpup_harness.config.domain import CONFIG_NAME, TEMPLATE_DIR, check_domain
from wkpup_harness.config.scenario import ScenarioError, domain_spec_models, load_scenario
from wkpup_harness.config.tables import CoreTables
from wkpup_harness.core import locate_core
from wkpup_harness.errors import ConfigError
from wkpup_harness.settings import Settings

SCENARIO_SUFFIXES = (".yaml", ".yml")
MAX_FILES = 10_000


def add_parser(subs: Any, parent: argparse.ArgumentParser) -> None:
    p = subs.add_parser(
        "validate",
        parents=[parent],
        help="check config.cfg / scenario files against the core's tables and the domains",
        description="Validate a config.cfg against the core's CSV whitelists, a scenario "
        "YAML against its schema, its domain and the core's tables, or every *.yaml, *.yml "
        "and *.cfg below a directory. Exit 0 when all are valid, 2 with one ERROR: line per "
        "problem otherwise, 3 when the path does not exist.",
    )
    p.add_argument("config", metavar="PATH", help="config.cfg, scenario .yaml, or a directory")
    p.add_argument("--core", metavar="PATH", help="core to validate against (default: embedded)")
    p.add_argument("--domains", metavar="DIR", help="where scenario domains are looked up")
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


def is_domain(path: Path) -> bool:
    """A domain folder: it holds a config.cfg or a template/ (whatever they are)."""
    return os.path.lexists(path / CONFIG_NAME) or os.path.lexists(path / TEMPLATE_DIR)


def collect(path: Path) -> list[Path]:
    """The files to check: ``path`` itself, or the candidates below a directory (links to
    directories are not followed); a domain folder is one candidate (checked whole: its
    config.cfg, template and spec.yaml), never searched for files."""
    if not path.is_dir() or is_domain(path):
        return [path]
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        if is_domain(Path(dirpath)):
            found.append(Path(dirpath))
            dirnames[:] = []
            continue
        for name in sorted(filenames):
            if name.endswith((*SCENARIO_SUFFIXES, ".cfg")):
                found.append(Path(dirpath) / name)
        if len(found) > MAX_FILES:
            raise common.UsageError(f"{path}: more than {MAX_FILES} files to check")
    if not found:
        raise common.NotFound(f"{path}: no *.yaml, *.yml or *.cfg file below it")
    return found


def check_domain_dir(path: Path, tables: CoreTables) -> tuple[list[str], str]:
    """(problem lines, the OK line) of a domain folder, checked as a job of it would be:
    the folder (``check_domain``), its config.cfg, its spec.yaml."""
    found = check_domain(path)
    problems = [str(p) for p in found]
    config = None
    if not any(p.key in (CONFIG_NAME, "domain") for p in found):
        try:
            config = read_config(path / CONFIG_NAME, tables=tables)
        except ConfigError as exc:
            problems += [str(p) for p in exc.problems]
    try:
        domain_spec_models(path, tables)
    except ScenarioError as exc:
        problems += [str(p) for p in exc.problems] or [str(exc)]
    if problems or config is None:
        return problems, ""
    info = summary(config)
    ok = f"OK: {path}: domain, {info['points']} PVT points ({info['mode']}, {info['condition']})"
    return [], ok


def check_file(path: Path, tables: CoreTables, settings: Settings) -> tuple[list[str], str]:
    """(problem lines, the OK line) of one file (or domain folder)."""
    if path.is_dir():
        return check_domain_dir(path, tables)
    if path.suffix in SCENARIO_SUFFIXES:
        root = settings.project_root / "regression"
        try:
            scenario = load_scenario(
                path,
                root=root if root in path.resolve().parents else path.parent,
                domains_root=settings.domains,
                tables=tables,
            )
        except ScenarioError as exc:
            return [str(p) for p in exc.problems], ""
        points = sum(j.point_count for j in scenario.jobs)
        return [], f"OK: {path}: {len(scenario.jobs)} job(s), {points} PVT points"
    try:
        config = read_config(path, tables=tables)
    except ConfigError as exc:
        return [str(p) for p in exc.problems], ""
    info = summary(config)
    return [], f"OK: {path}: {info['points']} PVT points ({info['mode']}, {info['condition']})"


def main(args: argparse.Namespace) -> int:
    target = Path(args.config)
    settings = common.settings(args)
    if not os.path.lexists(target):
        # A domain by name (gpio/1p8v), as `wkpup run` takes it: its folder under the
        # domains root.
        named = settings.domains / args.config
        if args.config.startswith(("/", ".")) or not os.path.lexists(named / "config.cfg"):
            raise common.NotFound(f"{args.config}: no such file, directory or domain")
        target = named
        args.config = str(named)
    tables = locate_core(settings.core).tables()
    if not target.is_dir() and target.suffix not in SCENARIO_SUFFIXES:
        return one_config(args, tables)
    results = {str(f): check_file(f, tables, settings) for f in collect(target)}
    problems = [line for errors, _ in results.values() for line in errors]
    if args.json:
        common.print_json(
            {
                "ok": not problems,
                "files": [{"path": f, "ok": not e, "errors": e} for f, (e, _) in results.items()],
            }
        )
    else:
        for line in problems:
            print(line, file=sys.stderr)
        oks = [ok for _, ok in results.values() if ok]
        if oks:
            common.say(args, "\n".join(oks))
    return common.EXIT_USAGE if problems else common.EXIT_OK


def one_config(args: argparse.Namespace, tables: CoreTables) -> int:
    try:
        config = read_config(args.config, tables=tables)
    except ConfigError as exc:
        lines = [str(p) for p in exc.problems]
        if args.json:
            common.print_json(
                {"ok": False, "config": args.config, "error": lines[0], "errors": lines}
            )
        else:
            print("\n".join(lines), file=sys.stderr)
        return common.EXIT_USAGE
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
