"""``wkpup run <domain>``: one PVT job through the job engine, recorded in the store as it
goes (the same engine, rules and records as a pytest item or a web submission).

The job row is created before anything runs and marked running, so a killed ``wkpup run``
leaves a job the store reports as interrupted, never one that looks completed; its
simulations die with it (the engine's watchdog) and ``wkpup resume <job>`` finishes it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from wkpup_harness.cli import common
from wkpup_harness.config import Config, read_config
from wkpup_harness.config.scenario import (
    JobSpec,
    ScenarioError,
    domain_job,
    load_scenario,
    resolve_domain,
)
from wkpup_harness.core import Core, guard, locate_core
from wkpup_harness.engine import rules, service
from wkpup_harness.engine.events import Event
from wkpup_harness.engine.job import Job
from wkpup_harness.errors import ConfigError, ResultError, WkpupError
from wkpup_harness.inputs import echo
from wkpup_harness.report import summary
from wkpup_harness.report import verdicts as verdict_table
from wkpup_harness.report.mcsummary import mc_yield_text
from wkpup_harness.results.mcreport import read_mcreport
from wkpup_harness.settings import Settings
from wkpup_harness.store.recorder import Recorder

BAR_WIDTH = 30
PLAIN_EVERY_S = 10.0  # a log file or CI console gets a line this often, not a \r bar


def add_parser(subs: Any, parent: argparse.ArgumentParser) -> None:
    p = subs.add_parser(
        "run",
        parents=[parent],
        help="run one PVT job through the core and record it",
        description="Run the core's stages on a private copy of a domain, recording the job, "
        "its stages and every point in the store. Exit 0 when the job completed, 1 when a "
        "stage or a point failed, 130 on Ctrl-C (the job is recorded as cancelled).",
    )
    p.add_argument(
        "domain",
        help="a folder under --domains (e.g. gpio/1p8v), a domain path, or a scenario job "
        "(regression/gpio/wkpup_1p8v.yaml::smoke: the same job a pytest item runs, judged by "
        "its golden and spec)",
    )
    p.add_argument("--config", metavar="FILE", help="config.cfg (default: the domain's)")
    p.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="override one config key (repeatable), e.g. --set condition=htol",
    )
    p.add_argument("--corners", nargs="+", metavar="C", help="subset of the run's corners")
    p.add_argument(
        "--temperatures", nargs="+", metavar="T", help="subset of the core's temperatures"
    )
    p.add_argument(
        "--stages",
        default=",".join(rules.PIPELINE),
        help=f"comma-separated stages (default {','.join(rules.PIPELINE)})",
    )
    p.add_argument("--workdir", metavar="DIR", help="job root (default: <run root>/<job id>)")
    p.add_argument(
        "--mc",
        metavar="N",
        help="Monte Carlo: N samples at each worst PVT point after the PVT run "
        "(config key mc_samples; docs/montecarlo.md)",
    )
    p.add_argument("--seed", metavar="S", help="Monte Carlo seed (mc_seed, default 1)")
    p.add_argument(
        "--mc-kind",
        metavar="K",
        help="mismatch (default: at the PVT points) or process+mismatch (at TT)",
    )
    p.add_argument("--mc-at", metavar="AT", help="worst (default) or 'CORNER/T ...' (mc_at)")
    add_engine_options(p)
    p.add_argument("--core", metavar="PATH", help="core to drive (default: embedded)")
    p.add_argument("--domains", metavar="DIR", help="where domain names are looked up")
    p.add_argument("--name", help="job name in the store (default: the domain)")
    p.set_defaults(func=main)


def add_engine_options(p: argparse.ArgumentParser) -> None:
    """The engine's knobs, shared by run and resume (defaults: docs/settings.md)."""
    p.add_argument("--cpus", metavar="N", help="CPU budget: simulations at once on this machine")
    p.add_argument("--retries", metavar="N", help="retries of a failed point (default 1)")
    p.add_argument("--sim-timeout", metavar="S", help="seconds per simulation (default none)")
    p.add_argument("--stage-timeout", metavar="S", help="seconds per stage (default none)")
    p.add_argument("--runs", metavar="DIR", help="run root (default .wkpup/runs)")
    p.add_argument(
        "--executor",
        metavar="NAME",
        help="where the run stage's points run: local (default) or slurm (docs/slurm.md)",
    )
    p.add_argument(
        "--cache",
        action="store_const",
        const=True,
        default=None,
        help="reuse the result of a point whose inputs are unchanged (docs/cache.md)",
    )
    p.add_argument(
        "--cache-verify",
        metavar="K",
        help="simulate K random cache hits again and fail on any difference (turns --cache on)",
    )


# --- the job description ----------------------------------------------------------------------
def find_domain(name: str, root: Path) -> tuple[Path, str]:
    """The domain directory and its name in the store (``gpio/1p8v``)."""
    direct = Path(name)
    # lexists: a direct path whose config.cfg is broken (a FIFO, a directory, a dangling
    # link) is still the domain asked for, so check_domain names its problem (exit 2).
    if os.path.lexists(direct / "config.cfg"):
        path = direct.resolve()
    else:
        try:
            path = resolve_domain(name, root).resolve()
        except ScenarioError as exc:
            problem = exc.problems[0].problem if exc.problems else str(exc)
            raise common.NotFound(f"domain {problem}") from None
    return path, "/".join(path.parts[-2:])


def parse_sets(items: Sequence[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise common.UsageError(f"--set {echo(item)}: expected KEY=VALUE")
        if key in out:
            raise common.UsageError(f"--set {echo(key)}: given twice")
        out[key] = value
    return out


MC_FLAGS = (("mc", "mc_samples"), ("seed", "mc_seed"), ("mc_kind", "mc_kind"), ("mc_at", "mc_at"))


def mc_overrides(args: argparse.Namespace) -> dict[str, str]:
    """--mc N --seed S --mc-kind K --mc-at AT as config overrides (checked as config lines)."""
    given = {key: getattr(args, flag, None) for flag, key in MC_FLAGS}
    out = {k: v for k, v in given.items() if v is not None}
    if out and "mc_samples" not in out:
        first = next(f for f, k in MC_FLAGS if k in out)
        raise common.UsageError(f"--{first.replace('_', '-')} needs --mc N (Monte Carlo samples)")
    clash = sorted(set(out) & set(parse_sets(args.set)))
    if clash:
        raise common.UsageError(f"--set {clash[0]}: given by a Monte Carlo flag too")
    return out


def mc_flag(args: argparse.Namespace, key: str | None) -> str | None:
    """``--mc`` for mc_samples (and so on) when that flag, not --set, gave the key."""
    for flag, k in MC_FLAGS:
        if k == key and getattr(args, flag, None) is not None:
            return "--" + flag.replace("_", "-")
    return None


def check_stages(text: str) -> tuple[str, ...]:
    """``--stages``: the one stage-list rule of every face (``rules.check_stages``)."""
    try:
        return rules.check_stages(text)
    except rules.StagesError as exc:
        raise common.UsageError(f"--{exc}") from None


def scenario_job(text: str, core: Core, settings: Settings) -> JobSpec:
    """``<file.yaml>::<job>``: the scenario's job exactly as the pytest plugin collects it
    (its name is the file's path below the scenario root ``regression/``)."""
    file, sep, name = text.partition("::")
    path = Path(file).resolve()
    if not os.path.lexists(path):
        raise common.NotFound(f"scenario file {file} not found")
    root = settings.project_root / "regression"
    # A ScenarioError lists every problem of the file, one ERROR: line each (exit 2).
    scenario = load_scenario(
        path,
        root=root if root in path.parents else path.parent,
        domains_root=settings.domains,
        tables=core.tables(),
    )
    names = [j.name for j in scenario.jobs]
    if not sep or name not in names:
        raise common.UsageError(
            f"{echo(text)}: name one job of the scenario as FILE::JOB; jobs: {', '.join(names)}"
        )
    return scenario.jobs[names.index(name)]


def job_spec(args: argparse.Namespace, core: Core, settings: Settings) -> JobSpec:
    if "::" in args.domain or args.domain.endswith((".yaml", ".yml")):
        if args.set or args.corners or args.temperatures or args.config or mc_overrides(args):
            raise common.UsageError(
                "a scenario job is run as written: --config, --set, --corners and "
                "--temperatures are for domains"
            )
        return scenario_job(args.domain, core, settings)
    domain_dir, domain = find_domain(args.domain, settings.domains)
    config_file = Path(args.config) if args.config else domain_dir / "config.cfg"
    if not os.path.lexists(config_file):
        raise common.NotFound(f"config {config_file}: no such file")
    config: Config = read_config(config_file, tables=core.tables())
    try:
        return domain_job(
            domain,
            domain_dir,
            config,
            overrides={**parse_sets(args.set), **mc_overrides(args)},
            corners=args.corners,
            temperatures=args.temperatures,
            name=args.name,
            source="--set",
            tables=core.tables(),
        )
    except ScenarioError as exc:
        if exc.problems:
            raise  # a file's problems (the domain's spec.yaml): one ERROR: line each (main)
        # The error names its input (``field``): a flag of this command is shown as one.
        flag = "--" if exc.field in ("corners", "name") else ""
        raise common.UsageError(flag + str(exc)) from None
    except ConfigError as exc:
        flag = mc_flag(args, exc.key) if exc.file == "--set" else None
        if flag is not None:  # a Monte Carlo flag's value: named as the flag the user gave
            raise ConfigError(flag, exc.key, exc.problem, exc.allowed) from None
        if exc.file != "<temperatures>":
            raise
        raise ConfigError("--temperatures", exc.key, exc.problem, exc.allowed) from None


# --- progress ----------------------------------------------------------------------------------
class Progress:
    """The terminal face of the engine's events: a bar of points done while ``run`` runs (a
    plain line every few seconds when not a terminal), one line per stage."""

    def __init__(self, stream: TextIO, args: argparse.Namespace) -> None:
        self.stream = stream
        self.args = args
        self.enabled = not getattr(args, "quiet", False)
        self.tty = stream.isatty()
        self.t0 = time.monotonic()
        self._last_plain = time.monotonic()
        self._drawn = False

    def line(self, event: Event) -> str:
        total = max(event.total, 1)
        done = event.done
        filled = BAR_WIDTH * done // total
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        tail = f"  {event.failed} failed" if event.failed else ""
        elapsed = common.fmt_elapsed(time.monotonic() - self.t0)
        what = "samples" if event.kind == "sample" else "points"
        return f"[{bar}] {done}/{event.total} {what}  {elapsed}{tail}"

    def __call__(self, event: Event) -> None:
        if not self.enabled:
            return
        if event.kind == "stage-start" and event.stage in ("run", "mc"):
            self.t0 = time.monotonic()
        elif event.kind in ("point", "sample"):
            now = time.monotonic()
            if self.tty:
                self.stream.write("\r" + self.line(event))
                self.stream.flush()
                self._drawn = True
            elif now - self._last_plain >= PLAIN_EVERY_S or event.done == event.total:
                self._last_plain = now
                self.stream.write(self.line(event) + "\n")
                self.stream.flush()
        elif event.kind == "stage-end" and event.result is not None:
            if self._drawn:
                self.stream.write("\n")
                self._drawn = False
            r = event.result
            state = "ok" if r.ok else "cancelled" if r.cancelled else f"exit {r.returncode}"
            common.say(self.args, f"  {r.stage:<10} {state:<9} {r.elapsed:6.1f}s")
        elif event.kind == "stage-skip":
            common.say(self.args, f"  {event.stage:<10} skipped")


def _terminated(signum: int, frame: object) -> None:
    # SIGTERM (a batch system or `kill`) ends the job like Ctrl-C: simulations killed, job
    # recorded as cancelled, instead of dying with the simulations left running.
    raise KeyboardInterrupt


def drive(job: Job, args: argparse.Namespace, *, judge: bool = False) -> int:
    """Run an engine job in the foreground (run, resume): progress, Ctrl-C/SIGTERM ->
    cancelled, the summary, the exit code. ``judge``: a scenario job's golden and spec
    limits decide too, as for a pytest item."""
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        job.run()
    except KeyboardInterrupt:
        print(f"\nwkpup: job {job.id}: cancelled", file=sys.stderr)
        return common.EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
    if job.has_report:
        try:
            common.say(args, summary.render(job.creport()))
        except ResultError as exc:
            print(f"wkpup: job {job.id}: {exc}", file=sys.stderr)
    mc_summary(job, args)
    error, _ = job.error_line()
    if job.unrecorded:
        # A fault the store did not take: one line, what to do about it.
        note = "" if error == job.unrecorded else f" ({job.unrecorded})"
        print(
            f"wkpup: job {job.id}: {error or job.status}; its end is not in the store{note}: "
            f"once the store can be written, wkpup resume {job.id}",
            file=sys.stderr,
        )
    elif error and job.status != "completed":
        print(f"wkpup: job {job.id}: {error}", file=sys.stderr)
        for r in [r for r in job.failed_points if r.status == "failed"][:20]:
            print(f"  {r.point.label}: {r.reason} ({r.attempts} attempt(s))", file=sys.stderr)
    cached = job.cache_summary()
    if cached is not None:
        common.say(args, cached)
    bad = job.status != "completed" or job.unrecorded is not None
    if judge and not bad:
        bad = judged_bad(job, args)
    common.say(args, f"job {job.id}: {job.status}")
    if getattr(args, "quiet", False):
        print(job.id)  # -q: just the id, for scripts
    return common.EXIT_BAD if bad else common.EXIT_OK


def mc_summary(job: Job, args: argparse.Namespace) -> None:
    """The yield table of the job's Monte Carlo samples (report/mcreport.txt), if any."""
    path = job.mcreport_path
    if path is None:
        return
    try:
        report = read_mcreport(path)
        common.say(args, mc_yield_text(report.stat_samples(), job.spec.spec, report.corners()))
    except WkpupError as exc:
        print(f"wkpup: job {job.id}: {exc}", file=sys.stderr)


def judged_bad(job: Job, args: argparse.Namespace) -> bool:
    """A job's one verdict (``service.judge``, recorded with it): golden (no update from
    the CLI: ``wkpup golden --update``), spec limits, the hooks' gates."""
    verdict = job.verdict
    if verdict is None:
        return False
    if verdict.golden is not None:
        common.say(args, f"golden {verdict.golden_path}: {verdict.golden}")
    if verdict.specs:
        worst = verdict_table.margin_text(verdict_table.worst_spec(list(verdict.specs)))
        common.say(args, f"spec: {verdict.spec}; worst margin {worst}")
    elif not job.spec.spec:
        common.say(args, f"spec: none ({job.spec.domain} has no spec.yaml)")
    for problem in verdict.problems:
        print(problem, file=sys.stderr)
    return not verdict.ok


def recorder(settings: Settings) -> Recorder | None:
    return service.recorder_for(settings)


def main(args: argparse.Namespace) -> int:
    settings = common.settings(args)
    core = locate_core(settings.core)
    spec = job_spec(args, core, settings)
    stages = check_stages(args.stages)
    guard(core)  # a modified core is refused before anything is created (exit 1)
    root = Path(args.workdir).resolve() if args.workdir else None
    try:
        # A taken --workdir is refused before the job row exists: a bad input creates nothing.
        job = service.start(
            spec,
            settings,
            core,
            face="cli",
            recorder=recorder(settings),
            listeners=[Progress(sys.stderr, args)],
            stages=stages,
            workdir=root,
        )
    except service.TakenWorkdir as exc:
        raise common.UsageError(str(exc)) from None
    common.say(args, f"job {job.id}: {spec.domain}, {spec.point_count} points, in {job.workdir}")
    return drive(job, args, judge=True)
