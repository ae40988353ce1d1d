"""``wkpup``: argparse with one subparser per subcommand module, and the one place where
errors become a single ``wkpup: error: ...`` line and a documented exit code."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import wkpup_harness
from wkpup_harness.cli import (
    cache,
    cancel,
    common,
    compare,
    core,
    db,
    doctor,
    export,
    golden,
    history,
    importcmd,
    rerun,
    resume,
    run,
    serve,
    show,
    status,
    trend,
    validate,
)
from wkpup_harness.config.scenario import ScenarioError
from wkpup_harness.core import locate_core, manifest
from wkpup_harness.errors import ConfigError, CoreError, CoreModifiedError, WkpupError
from wkpup_harness.errors import show as one_line
from wkpup_harness.settings import resolve as resolve_settings
from wkpup_harness.store.db import DatabaseError

COMMANDS: tuple[ModuleType, ...] = (
    validate, run, resume, rerun, cancel, status, history, show, compare, trend, golden, export,
    importcmd, db, core, doctor, serve, cache,
)  # fmt: skip


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line (raised, so main() returns 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        # main() adds the one "wkpup: error: " prefix; name the subcommand, not wkpup again.
        where = self.prog.removeprefix("wkpup").strip()
        raise common.UsageError(f"{where}: {message}" if where else message)


def version_text() -> str:
    """``wkpup 0.1.0; core <root> sha256 <12 hex of its manifest>``: which harness and which
    validated core (the digest the store records with every job)."""
    text = f"wkpup {wkpup_harness.__version__}"
    try:
        # The core a run here would use: the one settings resolver (environment, project
        # file, embedded default).
        core = locate_core(resolve_settings().core)
    except WkpupError:
        return f"{text}; core: not found"
    digest = manifest.digest(core.root)
    return f"{text}; core {core.root} manifest sha256 {digest[:12] if digest else '(none)'}"


class VersionAction(argparse.Action):
    """--version, worked out only when asked (it hashes the core's manifest)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        print(version_text())
        parser.exit()


def global_options() -> argparse.ArgumentParser:
    # SUPPRESS: given before or after the subcommand, the later one wins, an absent one
    # does not overwrite the other.
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--db",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help=f"the SQLite store (default: ${common.ENV_DB}, else {common.DEFAULT_DB})",
    )
    parent.add_argument(
        "-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="less output"
    )
    return parent


def build_parser() -> argparse.ArgumentParser:
    parent = global_options()
    parser = Parser(
        prog="wkpup",
        description="PVT regression harness: validate configs, run jobs through the core, "
        "and query the job store.",
        epilog=common.EXIT_CODES_HELP + "\n\nsee docs/cli.md",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[parent],
    )
    parser.add_argument(
        "--version", action=VersionAction, help="the harness and core versions, and exit"
    )
    subs = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    subs.required = True
    for module in COMMANDS:
        module.add_parser(subs, parent)
    return parser


def exit_code(exc: BaseException) -> int:
    if isinstance(exc, (ConfigError, ScenarioError)):
        return common.EXIT_USAGE  # an input file the core would refuse too (it exits 2)
    if isinstance(exc, CoreModifiedError):
        return common.EXIT_BAD
    if isinstance(exc, (common.NotFound, CoreError, FileNotFoundError)):
        return common.EXIT_NOT_FOUND
    return common.EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(args_list)
        return int(args.func(args))
    except SystemExit as exc:  # --help / --version
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print("wkpup: interrupted", file=sys.stderr)
        return common.EXIT_INTERRUPTED
    except BrokenPipeError:
        # `wkpup history | head`: the reader has what it wanted; say nothing more.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return common.EXIT_BROKEN_PIPE
    except (ConfigError, ScenarioError) as exc:
        # ERROR: file:line: key: problem; allowed: ... (one line per problem)
        plain = isinstance(exc, ScenarioError) and not exc.problems
        lines = [str(p) for p in exc.problems] if isinstance(exc, ConfigError) else [str(exc)]
        print(f"wkpup: error: {exc}" if plain else "\n".join(lines), file=sys.stderr)
        return exit_code(exc)
    except (WkpupError, OSError, DatabaseError) as exc:
        print(f"wkpup: error: {describe(exc)}", file=sys.stderr)
        return exit_code(exc)


def describe(exc: BaseException) -> str:
    if isinstance(exc, WkpupError):
        return str(exc)  # already one line
    if isinstance(exc, OSError) and exc.filename is not None:
        return one_line(f"{exc.filename}: {exc.strerror or exc}")
    return one_line(str(exc) or type(exc).__name__)


if __name__ == "__main__":
    sys.exit(main())
