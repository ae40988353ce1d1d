"""The plugin's session object, registered only when the plugin is active.

It holds what every item shares: the settings (the library's one resolver, fed with the
``--pvt-*`` flags and the ini aliases), the core (checked against its manifest once, on the
controller, before any job), the recorder (each process running jobs writes its own engine
records; SQLite in WAL mode on the local disk), the selected stages, and on the controller a
thread that prints each running job's stage and points as they progress, whichever worker
runs it.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from wkpup_harness.core import Core, guard, locate_core
from wkpup_harness.engine import rules
from wkpup_harness.engine.reaper import reap
from wkpup_harness.engine.rules import PIPELINE
from wkpup_harness.errors import WkpupError
from wkpup_harness.report import summary, views
from wkpup_harness.report import verdicts as verdict_table
from wkpup_harness.settings import Settings, SettingsError
from wkpup_harness.settings import resolve as resolve_settings
from wkpup_harness.store import cachequeries, db, enginequeries, jobs
from wkpup_harness.store.db import Connection, DatabaseError
from wkpup_harness.store.recorder import Recorder
from wkpup_pytest import workers
from wkpup_pytest.collect import SESSION_NAME, ScenarioFile, job_of

EXIT_CORE_MODIFIED = 3
PROGRESS_POLL_S = 2.0
PROGRESS_EVERY_S = 15.0
CRASH_REAP_S = 5.0  # how long a crashed worker's job may take to show interrupted
# --pvt-* option -> settings name
FLAGS = {
    "pvt_core": "core",
    "pvt_domains": "domains",
    "pvt_golden_dir": "golden",
    "pvt_db": "db",
    "pvt_runs": "runs",
    "pvt_cpus": "cpus",
    "pvt_retries": "retries",
    "pvt_sim_timeout": "sim_timeout",
    "pvt_stage_timeout": "stage_timeout",
    "pvt_executor": "executor",
    "pvt_cache": "cache",
    "pvt_cache_verify": "cache_verify",
}
INI = ("pvt_core", "pvt_db", "pvt_domains", "pvt_golden_dir")
# What the end of a session imports anyway (hypothesis, a dependency, imports its package in
# its terminal summary, after the last job): imported in a background thread while the jobs
# wait on their simulations, so the session does not wait for it after its last one.
SUMMARY_IMPORTS = {"hypothesispytest": "hypothesis.internal.observability"}


def parse_stages(value: str) -> tuple[str, ...]:
    """``--pvt-stages``: one stage (the pipeline up to it) or a prefix of the pipeline (the
    stage fixtures are a chain), checked by the one stage-list rule (``rules.check_stages``)."""
    names = tuple(v.strip() for v in value.split(",") if v.strip())
    if len(names) == 1 and names[0] in PIPELINE:
        names = PIPELINE[: PIPELINE.index(names[0]) + 1]
    try:
        names = rules.check_stages(names)
    except rules.StagesError as exc:
        raise pytest.UsageError(f"--pvt-{exc}") from None
    if names == PIPELINE[: len(names)]:
        return names
    raise pytest.UsageError(
        f"--pvt-stages {value!r}: give one stage (the pipeline runs up to it) or a prefix of "
        f"{','.join(PIPELINE)}"
    )


def session_of(config: pytest.Config) -> WkpupSession:
    session = config.pluginmanager.get_plugin(SESSION_NAME)
    if session is None:
        raise pytest.UsageError(
            "the wkpup plugin is inactive here: name a core (--pvt-core, $WKPUP_CORE, ini "
            "pvt_core, or a wkpup.toml / [tool.wkpup] project file)"
        )
    return session


JOB_PROPERTY = "wkpup_job"  # the store id of an item's job, in its reports' user_properties
GOLDEN_PROBLEM_ATTR = "_wkpup_golden_problem"  # a Python test job's golden difference


class WkpupSession:
    LOADGROUP_KEY = "wkpup_loadgroup"
    RESUME_KEY = "wkpup_resume_jobs"  # jobs a replacement worker resumes (crashed workers')

    def __init__(self, config: pytest.Config, test_body: Any) -> None:
        self.config = config
        self.test_body = test_body  # what a scenario item runs (fixtures.check_scenario_job)
        flags = {name: config.getoption(opt) for opt, name in FLAGS.items()}
        ini = {name: config.getini(name) for name in INI}
        try:
            self.settings: Settings = resolve_settings(
                flags,
                project_root=config.rootpath,
                ini=ini,
                flag_names={name: "--" + opt.replace("_", "-") for opt, name in FLAGS.items()},
            )
        except SettingsError as exc:
            raise pytest.UsageError(str(exc)) from None
        self.stages = parse_stages(config.getoption("pvt_stages"))
        self.update_golden: bool = config.getoption("pvt_update_golden")
        self.resume: bool = config.getoption("pvt_resume")
        workerinput = getattr(config, "workerinput", None) or {}
        # Jobs whose worker crashed (ids from the controller): when xdist runs their item
        # again on the replacement worker, the job is resumed, not started afresh.
        self.resume_jobs: set[int] = set(workerinput.get(self.RESUME_KEY, ()))
        self.crashed_jobs: set[int] = set()
        self._core: Core | None = None
        self._recorder: Recorder | None = None
        self.golden_written: list[tuple[str, Path]] = []
        self.session_jobs: dict[str, int] = {}  # item node id -> its job's store id
        self.worst_job: str | None = config.getoption("pvt_worst")
        self.verified = "not checked"
        self.is_worker = hasattr(config, "workerinput")
        self._progress: threading.Thread | None = None
        self._prefetch: threading.Thread | None = None
        self._stop = threading.Event()
        self.started = time.time()
        self.n_jobs = 0  # PVT items collected (scenario jobs and pvt-marked tests)
        self._last_line: dict[tuple[str, str, int | None], float] = {}
        if self.settings.db is not None and not self.is_worker:
            # A store path that cannot be a store is a usage error now, before any item
            # runs (and without creating anything), not an error in every test.
            try:
                db.check(self.settings.db)
            except WkpupError as exc:
                raise pytest.UsageError(f"--pvt-db: {exc}") from None

    # --- shared objects ------------------------------------------------------------------------
    @property
    def core(self) -> Core:
        if self._core is None:
            try:
                self._core = locate_core(self.settings.core)
            except WkpupError as exc:
                raise pytest.UsageError(str(exc)) from None
        return self._core

    @property
    def recorder(self) -> Recorder | None:
        if self._recorder is None and self.settings.db is not None:
            try:
                self._recorder = Recorder(self.settings.db, self.settings.store_wait)
            except (WkpupError, DatabaseError) as exc:
                raise pytest.UsageError(f"store {self.settings.db}: {exc}") from None
        return self._recorder

    # --- hooks ---------------------------------------------------------------------------------
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if self.is_worker:
            return  # xdist workers trust the controller's check
        try:
            self.verified = guard(self.core).describe()
        except WkpupError as exc:
            pytest.exit(f"wkpup: refusing to run: {exc}", returncode=EXIT_CORE_MODIFIED)
        # Under xdist the controller follows the workers' jobs in the store; without xdist
        # each job's events are written as they come (Job listeners, see progress()).
        if self.settings.db is not None and self.config.pluginmanager.has_plugin("dsession"):
            self._progress = threading.Thread(target=self._follow, daemon=True)
            self._progress.start()
        if self.config.pluginmanager.has_plugin("dsession"):
            self.prefetch()  # the controller only waits for its workers

    def prefetch(self) -> None:
        """Import SUMMARY_IMPORTS in the background, once: when a job's run stage starts (the
        main thread then waits on the simulations; earlier, the import would slow the
        collection and the job's start, which wait for the GIL), or on an xdist controller."""
        if self._prefetch is not None:
            return
        wanted = [
            module
            for plugin, module in SUMMARY_IMPORTS.items()
            if self.config.pluginmanager.has_plugin(plugin) and module not in sys.modules
        ]
        self._prefetch = threading.Thread(target=_import_all, args=(wanted,), daemon=True)
        self._prefetch.start()

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        s = self.settings
        return [
            f"wkpup core: {self.core.root} ({self.verified})",
            f"wkpup stages: {','.join(self.stages)}; store: {s.db or 'none'}; runs: {s.runs}; "
            f"cpus: {s.cpus} (machine-wide); retries: {s.retries}; executor: {s.executor}",
            *workers.note(config),
        ]

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> Any:
        if file_path.suffix not in (".yaml", ".yml"):
            return None
        roots = self.scenario_roots()
        if not any(root == file_path.parent or root in file_path.parents for root in roots):
            return None
        return ScenarioFile.from_parent(parent, path=file_path)

    def scenario_roots(self) -> list[Path]:
        out = []
        for name in self.config.getini("pvt_scenario_dirs"):
            p = Path(name).expanduser()
            out.append(p if p.is_absolute() else self.config.rootpath / p)
        return out

    # tryfirst: xdist's worker turns xdist_group marks into node-id suffixes in its own
    # modifyitems hook, which must see the marks added here.
    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            job = job_of(item)
            domain = job.domain if job is not None else None
            if domain is None:
                marker = item.get_closest_marker("pvt")
                domain = marker.kwargs.get("domain") if marker is not None else None
            if domain:
                self.n_jobs += 1
                item.add_marker(pytest.mark.xdist_group(name=f"pvt:{domain}"))

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[self.LOADGROUP_KEY] = node.config.getoption("dist", "no") == "loadgroup"
        node.workerinput[self.RESUME_KEY] = sorted(self.crashed_jobs)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self._prefetch is not None:
            self._prefetch.join()
        self._stop.set()
        if self._progress is not None:
            self._progress.join(timeout=5)
        if self._recorder is not None:
            self._recorder.close()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.is_worker:
            return
        if self.settings.db is not None and self.n_jobs:
            if self.session_jobs:
                self.verdict_summary(terminalreporter)
            else:
                terminalreporter.write_line(f"wkpup: jobs recorded in {self.settings.db}")
        if self.golden_written:
            terminalreporter.write_sep("-", "wkpup: goldens written (--pvt-update-golden)")
            for verdict, path in self.golden_written:
                terminalreporter.write_line(f"  {verdict:<8} {path}")

    @pytest.hookimpl(optionalhook=True)
    def pytest_handlecrashitem(self, crashitem: str, report: pytest.TestReport, sched: Any) -> None:
        """An xdist worker died (``os._exit``, SIGKILL, OOM) while running a PVT item: xdist
        reports the item failed; here its job, whose driver was that worker, is recorded
        interrupted at once (its simulations killed) and the report says so and how to
        finish it."""
        job, note = crashed_job_note(self.settings.db, crashitem)
        if job is not None:
            self.crashed_jobs.add(job)  # the replacement worker resumes it (configure_node)
        if note:
            report.longrepr = f"{report.longrepr}\n{note}"

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        """A Python test whose ``pvt`` job has ``golden=True``: its body ran; a golden
        difference (found by the ``pvt_job`` fixture) now fails it, readably."""
        outcome = yield
        problem = getattr(item, GOLDEN_PROBLEM_ATTR, None)
        if problem and outcome.excinfo is None:
            outcome.force_exception(pytest.fail.Exception(problem, pytrace=False))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # The goldens a worker wrote and each item's job reach the controller in the
        # report's properties.
        for key, value in report.user_properties:
            if key == JOB_PROPERTY:
                self.session_jobs[report.nodeid] = int(value)
        if report.when == "call":
            for key, value in report.user_properties:
                if key == "wkpup_golden":
                    verdict, _, path = str(value).partition(" ")
                    self.golden_written.append((verdict, Path(path)))

    def verdict_summary(self, reporter: Any) -> None:
        """Every job of this session with its verdicts (from the store, whichever worker ran
        it), the worst cases of the ``--pvt-worst`` job, and where to look next."""
        assert self.settings.db is not None
        try:
            conn = db.connect(self.settings.db, migrate_schema=False)
        except (DatabaseError, WkpupError) as exc:
            reporter.write_line(f"wkpup: jobs recorded in {self.settings.db} (unreadable: {exc})")
            return
        try:
            rows = jobs.verdict_rows(conn, sorted(self.session_jobs.values()))
            reporter.write_sep(
                "=", f"wkpup: {len(rows)} PVT job(s), recorded in {self.settings.db}"
            )
            yields = views.mc_yields(conn, rows)
            rows = [{**r, "mc_yield": yields.get(r["id"], "")} for r in rows]
            reporter.write_line(verdict_table.render_jobs(rows))
            reused, points = cachequeries.reused_of(conn, [r["id"] for r in rows])
            if reused:
                reporter.write_line(
                    f"result cache: {reused} of {points} point(s) reused, not simulated "
                    "(docs/cache.md)"
                )
            chosen = next(
                (r for r in rows if f"{r['scenario']}::{r['name']}" == self.worst_job), None
            )
            if self.worst_job is not None:
                reporter.write_sep("-", f"wkpup: worst cases of {self.worst_job}")
                job = jobs.get_job(conn, chosen["id"]) if chosen is not None else None
                report = views.stored_creport(conn, job) if job is not None else None
                if report is None:
                    reporter.write_line(f"no recorded result of {self.worst_job} in this session")
                else:
                    reporter.write_line(f"job {job['id']}: " + summary.render(report))
            pick = chosen or (rows[-1] if rows else None)
            reporter.write_line("")
            reporter.write_line(
                verdict_table.next_steps(pick["id"] if pick else None, str(self.settings.db))
            )
        except (DatabaseError, WkpupError) as exc:
            reporter.write_line(f"wkpup: the store could not be read: {exc}")
        finally:
            conn.close()

    # --- live progress ----------------------------------------------------------------------------
    def listeners(self) -> list[Any]:
        """Engine listeners for a job run in this process: live progress on the terminal,
        unless an xdist controller prints it (workers have no terminal)."""
        return [] if self.is_worker else [self.progress]

    def progress(self, event: Any) -> None:
        """A job event in this (non-xdist) process: a stage starting, or every
        PROGRESS_EVERY_S seconds (and at the last point) the points done, written past
        pytest's output capture, as live logging does."""
        key = (event.scenario, event.name, event.job_id)
        now = time.monotonic()
        if event.kind == "stage-start" and event.stage == "run":
            self.prefetch()
        if event.kind == "point":
            last = self._last_line.get(key, 0.0)
            if now - last < PROGRESS_EVERY_S and event.done != event.total:
                return
        elif event.kind != "stage-start":
            return
        self._last_line[key] = now
        line = progress_line(
            event.job_id,
            event.scenario,
            event.name,
            event.stage,
            event.done,
            event.total,
            event.failed,
        )
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        capman = self.config.pluginmanager.get_plugin("capturemanager")
        if reporter is None:
            return
        if capman is not None:
            with capman.global_and_fixture_disabled():
                reporter.write_line(line)
        else:
            reporter.write_line(line)

    def _follow(self) -> None:
        """Print each running pytest job's stage and points as they move: on a stage change,
        and during run every PROGRESS_EVERY_S seconds."""
        assert self.settings.db is not None
        conn: Connection | None = None
        seen: dict[int, tuple[Any, float]] = {}
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        while not self._stop.wait(PROGRESS_POLL_S):
            try:
                if conn is None:
                    if not self.settings.db.exists():
                        continue
                    conn = db.connect(self.settings.db, migrate_schema=False)
                rows = enginequeries.running_pytest_jobs(conn, self.started - 1)
            except (DatabaseError, WkpupError):
                continue
            now = time.monotonic()
            self.n_jobs = max(self.n_jobs, len(rows))
            for r in rows:
                key = (r["stage"], r["points_done"])
                last = seen.get(r["id"])
                if last is not None and (
                    last[0] == key or (last[0][0] == key[0] and now - last[1] < PROGRESS_EVERY_S)
                ):
                    continue
                seen[r["id"]] = (key, now)
                if r["stage"] is None:
                    continue
                line = progress_line(
                    r["id"],
                    r["scenario"],
                    r["name"],
                    r["stage"],
                    r["points_done"] or 0,
                    r["points_total"] or 0,
                    r["points_failed"] or 0,
                )
                if reporter is not None:
                    reporter.write_line(line)
        if conn is not None:
            conn.close()


def _import_all(modules: list[str]) -> None:
    for module in modules:
        with contextlib.suppress(Exception):
            importlib.import_module(module)


def progress_line(
    job_id: int | None,
    scenario: str,
    name: str,
    stage: str | None,
    done: int,
    total: int,
    failed: int,
) -> str:
    """``wkpup: job 12 gpio/wkpup_1p8v::perf_full: run 40/92 points (1 failed)``"""
    points = ""
    if stage == "run" and total:
        points = f" {done}/{total} points" + (f" ({failed} failed)" if failed else "")
    return f"wkpup: job {job_id if job_id is not None else '-'} {scenario}::{name}: {stage}{points}"


def crashed_job_note(path: Path | None, crashitem: str) -> tuple[int | None, str]:
    """The job of an item whose worker crashed and what became of it: its driver is gone, so
    it is reaped (recorded failed, error interrupted, its processes killed). (None, '')
    without a store or when no job of that item ran."""
    if path is None or not path.is_file():
        return None, ""
    name = crashitem.rsplit("::", 1)[-1].split("@", 1)[0]
    names = {name, name.replace("[", "_").replace("]", "").replace("/", "_")}
    try:
        conn = db.connect(path)
    except (DatabaseError, WkpupError) as exc:
        return None, f"wkpup: store {path}: {exc}; its job's state could not be checked"
    # The worker's pipe closes an instant before the kernel shows the worker dead: look again
    # for a moment until its job is reaped.
    deadline = time.monotonic() + CRASH_REAP_S
    try:
        while True:
            reap(conn)
            r = enginequeries.interrupted_pytest_job(
                conn, sorted(names), time.time() - CRASH_REAP_S - 60
            )
            if r is not None or time.monotonic() >= deadline:
                break
            time.sleep(0.1)
    except (DatabaseError, WkpupError) as exc:
        return None, f"wkpup: store {path}: {exc}; its job's state could not be checked"
    finally:
        conn.close()
    if r is None:
        return None, ""
    return r["id"], (
        f"wkpup: job {r['id']} {r['scenario']}::{r['name']} ran on that worker: recorded "
        f"interrupted (stage {r['error_stage'] or '-'}, {r['points_done'] or 0}/"
        f"{r['points_total'] or 0} points done and kept); xdist runs the item again on a new "
        f"worker, which resumes the job; otherwise finish it with pytest --pvt-resume or "
        f"wkpup resume {r['id']}"
    )


def store_jobs_like(conn: Connection, scenario: str, name: str, domain: str) -> list[Any]:
    """Unfinished runs of the same scenario job, newest first (for --pvt-resume)."""
    return enginequeries.unfinished_like(conn, scenario, name, domain)


__all__ = ["SESSION_NAME", "WkpupSession", "crashed_job_note", "session_of", "store_jobs_like"]
