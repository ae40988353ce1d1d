"""``wkpup doctor``: the preflight checks of ``wkpup_harness.doctor``, one line each; exit 1
when any check fails."""

from __future__ import annotations

import argparse
from typing import Any

from wkpup_harness import doctor
from wkpup_harness.cli import common


def add_parser(subs: Any, parent: argparse.ArgumentParser) -> None:
    p = subs.add_parser(
        "doctor",
        parents=[parent],
        help="preflight: simulator, models, core, disk, store, Slurm, browser",
        description="Check that this machine can run PVT jobs: ngspice and its version, the "
        "SKY130 models, the core against its manifest, free disk space of the run root and "
        "the store, the store writable and its schema version, Slurm (only when configured), "
        "chromium for the web tests, Python and package versions. One line per check "
        "(OK / WARN / FAIL / SKIP, with how to fix a failure). Exit 1 when a check fails. "
        "Creates nothing.",
    )
    p.add_argument("--core", metavar="PATH", help="core to check (default: embedded)")
    p.add_argument("--runs", metavar="DIR", help="run root (default .wkpup/runs)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    flags = {name: getattr(args, dest, None) for dest, name in common.SETTING_FLAGS.items()}
    checks = doctor.run_checks(flags)
    if args.json:
        common.print_json({"ok": not doctor.failed(checks), "checks": doctor.as_dicts(checks)})
    else:
        print(doctor.render(checks))
    return common.EXIT_BAD if doctor.failed(checks) else common.EXIT_OK
