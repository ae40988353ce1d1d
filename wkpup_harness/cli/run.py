"""``wkpup run <domain>``: one PVT job through the core, recorded in the store as it goes.

The job row is created before anything runs and marked running, so a killed ``wkpup run``
leaves a job the store later reports as interrupted (``jobs.reap_interrupted``), never one
that looks completed. Point failures are kept: ext and srt still run, so the creport shows
those points as ``failed``; bkp is then skipped, because it deletes the point directories
the engineer needs for the post-mortem (the pytest plugin does the same).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from wkpup_harness import manifest, simulators, summary
from wkpup_harness.cli import common
from wkpup_harness.config import Config, read_config, validate_temperature_subset
from wkpup_harness.core import Core, guard, locate_core
from wkpup_harness.errors import ResultError
from wkpup_harness.runner import (
    DEFAULT_JOB_STAGES,
    LOG_DIR,
    STAGES,
    Job,
    JobResult,
    StageResult,
    parse_point_status,
)
from wkpup_harness.scenario import JobSpec, ScenarioError, resolve_domain
from wkpup_harness.store import jobs
from wkpup_harness.workdir import holds_job, prepare_job_dir

RUNS_DIR = Path(".wkpup") / "runs"
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
    p.add_argument("domain", help="a folder under --domains (e.g. gpio/1p8v) or a domain path")
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
        default=",".join(DEFAULT_JOB_STAGES),
        help=f"comma-separated stages (default {','.join(DEFAULT_JOB_STAGES)})",
    )
    p.add_argument("--workdir", metavar="DIR", help=f"job root (default {RUNS_DIR}/<job id>)")
    p.add_argument("--cpus", type=int, metavar="N", help="simulations at once (PAIHO_JOBS)")
    p.add_argument("--core", metavar="PATH", help="core to drive (default: embedded)")
    p.add_argument("--domains", metavar="DIR", help="where domain names are looked up")
    p.add_argument("--name", help="job name in the store (default: the domain)")
    p.set_defaults(func=main)


# --- the job description ----------------------------------------------------------------------
def domains_root(given: str | None) -> Path:
    if given:
        return Path(given)
    local = Path("domains")
    # Outside a checkout, the repository's own domains (next to the embedded core).
    return local if local.is_dir() else Path(__file__).resolve().parents[2] / "domains"


def find_domain(name: str, root: Path) -> tuple[Path, str]:
    """The domain directory and its name in the store (``gpio/1p8v``)."""
    direct = Path(name)
    if (direct / "config.cfg").is_file():
        path = direct.resolve()
    else:
        try:
            path = resolve_domain(name, root).resolve()
        except ScenarioError as exc:
            raise common.NotFound(str(exc)) from None
    return path, "/".join(path.parts[-2:])


def parse_sets(items: Sequence[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise common.UsageError(f"--set {item!r}: expected KEY=VALUE")
        out[key] = value
    return out


def default_name(
    overrides: dict[str, str], corners: Sequence[str] | None, temps: Sequence[str] | None
) -> str:
    """What distinguishes this run from the domain's plain job, e.g. ``condition=htol TT m40``."""
    parts = [f"{k}={v}" for k, v in overrides.items()]
    parts += list(corners or ()) + list(temps or ())
    return " ".join(parts) or "full"


def job_spec(args: argparse.Namespace, core: Core) -> JobSpec:
    domain_dir, domain = find_domain(args.domain, domains_root(args.domains))
    config_file = Path(args.config) if args.config else domain_dir / "config.cfg"
    config: Config = read_config(config_file, tables=core.tables())
    overrides = parse_sets(args.set)
    if overrides:
        config = config.with_overrides(overrides)
    temps = validate_temperature_subset(args.temperatures) if args.temperatures else None
    corners = tuple(args.corners) if args.corners else None
    if corners is not None:
        allowed = list(dict.fromkeys(config.typical_corners + config.cross_corners))
        bad = [c for c in corners if c not in allowed] or len(set(corners)) != len(corners)
        if bad:
            raise common.UsageError(
                f"--corners {' '.join(corners)}: each once, from this run's list: "
                f"{' '.join(allowed)}"
            )
    stages = tuple(s for s in args.stages.split(",") if s)
    unknown = [s for s in stages if s not in STAGES]
    if unknown or not stages:
        raise common.UsageError(
            f"--stages {args.stages!r}: unknown stage(s); allowed: {', '.join(STAGES)}"
        )
    if args.cpus is not None and args.cpus < 1:
        raise common.UsageError(f"--cpus {args.cpus}: must be at least 1")
    spec = JobSpec(
        scenario="cli",
        name=args.name or default_name(overrides, corners, temps),
        domain=domain,
        domain_dir=domain_dir,
        config=config,
        overrides=overrides,
        corners=corners,
        temperatures=temps,
        spec={},
        golden=False,
        marks=(),
        source=config_file,
    )
    if spec.point_count == 0:
        raise common.UsageError("the corner/temperature subset leaves no PVT point")
    return spec


# --- progress ----------------------------------------------------------------------------------
class Progress:
    """Follows the run stage's log as it grows and counts the per-point status lines."""

    def __init__(self, log: Path, total: int, stream: TextIO, enabled: bool) -> None:
        self.log = log
        self.total = total
        self.stream = stream
        self.enabled = enabled
        self.tty = stream.isatty()
        self.t0 = time.monotonic()
        self.done = 0
        self.failed = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_plain = 0.0

    def start(self) -> None:
        if self.enabled and self._thread is None:
            self.t0 = time.monotonic()
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Idempotent; the final count is drawn once, on its own line."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            self._poll()
            self._draw(final=True)

    def _poll(self) -> None:
        try:
            text = self.log.read_bytes().decode("utf-8", "replace")
        except OSError:
            return
        # Only whole lines: a status line half written must not be miscounted.
        points = parse_point_status(text[: text.rfind("\n") + 1])
        self.done = len(points)
        self.failed = sum(not p.ok for p in points)

    def line(self) -> str:
        total = max(self.total, self.done, 1)
        filled = BAR_WIDTH * self.done // total
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        failed = f"  {self.failed} failed" if self.failed else ""
        elapsed = common.fmt_elapsed(time.monotonic() - self.t0)
        return f"[{bar}] {self.done}/{self.total} points  {elapsed}{failed}"

    def _draw(self, final: bool = False) -> None:
        if self.tty:
            self.stream.write("\r" + self.line() + ("\n" if final else ""))
            self.stream.flush()
            return
        now = time.monotonic()
        if final or now - self._last_plain >= PLAIN_EVERY_S:
            self._last_plain = now
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def _loop(self) -> None:
        self._last_plain = time.monotonic()  # the first plain line after PLAIN_EVERY_S
        while not self._stop.wait(0.25):
            self._poll()
            self._draw()


# --- recording -----------------------------------------------------------------------------------
class Recorder:
    """Stage rows in the store: all queued up front, each marked running when it starts."""

    def __init__(self, conn: Any, job: int, log_dir: Path) -> None:
        self.conn = conn
        self.job = job
        self.log_dir = log_dir
        self.current: str | None = None

    def plan(self, stages: Sequence[str]) -> None:
        for stage in stages:
            jobs.record_stage(self.conn, self.job, stage, "queued")

    def start(self, stage: str) -> None:
        self.current = stage
        jobs.record_stage(
            self.conn,
            self.job,
            stage,
            "running",
            started_at=time.time(),
            # Known before the stage ends, so `wkpup status` can follow a running job.
            log_path=str(self.log_dir / f"{stage}.log"),
        )

    def finish(self, result: StageResult) -> None:
        status = "completed" if result.ok else "cancelled" if result.cancelled else "failed"
        jobs.record_stage(
            self.conn,
            self.job,
            result.stage,
            status,
            started_at=result.started,
            finished_at=result.finished,
            exit_code=result.returncode,
            log_path=str(result.log_path),
        )
        self.current = None

    def skip_rest(self, stages: Sequence[str], ran: Sequence[StageResult]) -> None:
        done = {s.stage for s in ran}
        for stage in stages:
            if stage not in done:
                jobs.record_stage(self.conn, self.job, stage, "skipped")


def run_stages(
    core: Core,
    workdir: Path,
    stages: Sequence[str],
    env: dict[str, str],
    rec: Recorder,
    progress: Progress,
    args: argparse.Namespace,
) -> JobResult:
    """Everything up to bkp as one Job (point failures tolerated), then bkp only when every
    point succeeded. Each stage is announced, recorded, and the run stage shows progress."""

    def begin(stage: str) -> None:
        rec.start(stage)
        if stage == "run":
            progress.start()

    def on_stage(result: StageResult) -> None:
        if result.stage == "run":
            progress.stop()  # before the stage line, so the bar is not overwritten
        rec.finish(result)
        state = "ok" if result.ok else f"exit {result.returncode}"
        common.say(args, f"  {result.stage:<10} {state:<8} {result.elapsed:6.1f}s")
        following = stages[stages.index(result.stage) + 1 :]
        if following and (result.ok or result.returncode == 1):
            begin(following[0])

    before = [s for s in stages if s != "bkp"]
    begin(stages[0])
    common_args = dict(env=env, on_stage=on_stage, check_core=False)
    try:
        result = Job(core, workdir, before, tolerate_point_failures=True, **common_args).run()
    finally:
        progress.stop()
    if "bkp" in stages:
        if result.ok:
            bkp = Job(core, workdir, ["bkp"], **common_args).run()  # type: ignore[arg-type]
            result.stages.extend(bkp.stages)
            result.failed_stage = bkp.failed_stage
        else:
            rec.current = None  # bkp is recorded as skipped by the caller
    return result


def _terminated(signum: int, frame: object) -> None:
    # SIGTERM (a batch system or `kill`) ends the job like Ctrl-C: stage killed, job
    # recorded as cancelled, instead of dying with the simulations left running.
    raise KeyboardInterrupt


def main(args: argparse.Namespace) -> int:
    core = locate_core(args.core)
    spec = job_spec(args, core)
    guard(core)  # a modified core is refused before anything is created (exit 1)
    if args.workdir:
        # Refused before the job row exists: a bad input creates nothing.
        family, voltage = spec.domain_dir.parts[-2:]
        taken = Path(args.workdir) / family / voltage
        if holds_job(taken):
            raise common.UsageError(f"{taken} already holds a job; use a fresh --workdir")
    stages = tuple(s for s in args.stages.split(",") if s)
    conn = common.open_store(args, create=True)
    job = jobs.create_job(
        conn,
        domain=spec.domain,
        scenario="cli",
        name=spec.name,
        user=jobs.current_user(),
        config_text=spec.config.to_text(),
        core_path=str(core.root),
        manifest_hash=manifest.digest(core.root),
        simulator=spec.config.simulator,
        simulator_version=simulators.version(spec.config.simulator),
    )
    root = Path(args.workdir) if args.workdir else RUNS_DIR / str(job)
    try:
        workdir = prepare_job_dir(spec.domain_dir, root, spec.config)
    except BaseException as exc:
        jobs.finish_job(conn, job, "failed", error=str(exc) or "interrupted", error_stage="setup")
        raise
    jobs.update_job(conn, job, work_path=str(workdir))
    jobs.mark_running(conn, job)
    env = spec.core_env()
    if args.cpus is not None:
        env["PAIHO_JOBS"] = str(args.cpus)
    rec = Recorder(conn, job, workdir / LOG_DIR)
    rec.plan(stages)
    common.say(args, f"job {job}: {spec.domain}, {spec.point_count} points, in {workdir}")
    progress = Progress(
        workdir / LOG_DIR / "run.log",
        spec.point_count,
        sys.stderr,
        enabled="run" in stages and not getattr(args, "quiet", False),
    )
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        result = run_stages(core, workdir, stages, env, rec, progress, args)
    except KeyboardInterrupt:
        # The runner killed the stage's whole session before re-raising.
        stage = rec.current
        if stage is not None:
            jobs.record_stage(conn, job, stage, "cancelled", finished_at=time.time())
        jobs.finish_job(conn, job, "cancelled", error="interrupted (Ctrl-C)", error_stage=stage)
        print(f"\nwkpup: job {job} cancelled", file=sys.stderr)
        return common.EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
    rec.skip_rest(stages, result.stages)
    return finish(conn, job, result, args)


def finish(conn: Any, job: int, result: JobResult, args: argparse.Namespace) -> int:
    failed = result.stage(result.failed_stage) if result.failed_stage else None
    tolerated = result.stage(result.tolerated[0]) if result.tolerated else None
    bad = failed or tolerated
    status = "completed" if result.ok else "cancelled" if result.cancelled else "failed"
    error = bad.describe() if bad is not None else None
    if not result.ok and failed is None and result.failed_points:
        error = f"{len(result.failed_points)} point(s) failed"
    error_stage = bad.stage if bad is not None else None
    creport = None
    srt = result.stage("srt")
    if srt is not None and srt.ok:
        try:
            creport = result.creport()
        except ResultError as exc:
            status, error, error_stage = "failed", f"creport unreadable: {exc}", "srt"
    if creport is not None:
        backup = result.backup_dir
        jobs.store_result(
            conn,
            job,
            creport,
            status=status,
            error=error,
            error_stage=error_stage,
            backup_path=str(backup) if backup is not None else None,
        )
        common.say(args, summary.render(creport))
    else:
        jobs.finish_job(conn, job, status, error=error, error_stage=error_stage)
    if error:
        print(f"wkpup: job {job}: {error}", file=sys.stderr)
    common.say(args, f"job {job}: {status}")
    if getattr(args, "quiet", False):
        print(job)  # -q: just the id, for scripts
    return common.EXIT_OK if status == "completed" else common.EXIT_BAD
