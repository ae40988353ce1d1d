"""wkpup: PVT jobs of a frozen simulation core as pytest items.

- Scenario files (``*.yaml`` under ``regression/``) are collected; each job in them is one
  item (``regression/gpio/wkpup.yaml::perf_fast``), run by the stage fixtures of
  ``plugins.stages`` and judged by the golden creport and the spec limits.
- Python tests get the same fixtures (``pvt_job`` ...) with ``@pytest.mark.pvt(domain=...)``.
- The core is checked against its manifest once per session, before any job (on the xdist
  controller); a modified core stops the session.
- Under xdist, jobs of one domain stay on one worker (``xdist_group``), and every worker
  shares one CPU budget for simulations (``plugins.budget``).
- Every finished job is recorded in SQLite, by the controller only (``plugins.record``).

The plugin is active in a project that sets the ini option ``pvt_core`` (or passes
``--pvt-core`` or exports ``WKPUP_CORE``); elsewhere it only registers its options.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from plugins import budget, record
from plugins.stages import (
    CORE_KEY,
    PIPELINE,
    SELECTED_KEY,
    SPEC_ATTR,
    check_scenario_job,
    pvt_bkp,
    pvt_core,
    pvt_ext,
    pvt_gen,
    pvt_job,
    pvt_run,
    pvt_spec,
    pvt_srt,
    pvt_workdir,
)
from wkpup_harness.core import Core, guard, locate_core
from wkpup_harness.errors import WkpupError
from wkpup_harness.scenario import JobSpec, load_scenario

__all__ = [
    "pvt_bkp",
    "pvt_core",
    "pvt_ext",
    "pvt_gen",
    "pvt_job",
    "pvt_run",
    "pvt_spec",
    "pvt_srt",
    "pvt_workdir",
]

ACTIVE_KEY = pytest.StashKey[bool]()
LOADGROUP_KEY = "wkpup_loadgroup"
EXIT_CORE_MODIFIED = 3


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wkpup", "PVT regression (wkpup)")
    group.addoption("--pvt-core", default=None, help="core to drive (default: ini pvt_core)")
    group.addoption("--pvt-domains", default=None, help="domains root (default: <rootdir>/domains)")
    group.addoption(
        "--pvt-golden-dir", default=None, help="golden root (default: <rootdir>/golden)"
    )
    group.addoption(
        "--pvt-update-golden",
        action="store_true",
        default=False,
        help="write each job's creport.txt as its golden instead of comparing",
    )
    group.addoption(
        "--pvt-stages",
        default="bkp",
        help="run the pipeline up to this stage, or exactly this comma-separated prefix of "
        "gen,run,ext,srt,bkp (default: bkp)",
    )
    group.addoption(
        "--pvt-cpus",
        type=int,
        default=None,
        help="simulations at once on this machine, across all workers (default: all cores)",
    )
    group.addoption("--pvt-sim-timeout", type=float, default=None, help="seconds per simulation")
    group.addoption("--pvt-stage-timeout", type=float, default=None, help="seconds per stage")
    group.addoption(
        "--pvt-db", default=None, help="SQLite store (default: ini pvt_db; 'none' to disable)"
    )
    parser.addini("pvt_core", "core the harness drives (path, relative to rootdir)", default="")
    parser.addini("pvt_domains", "domains root, relative to rootdir", default="domains")
    parser.addini("pvt_golden_dir", "golden root, relative to rootdir", default="golden")
    parser.addini(
        "pvt_scenario_dirs",
        "directories whose *.yaml are scenarios",
        type="args",
        default=["regression"],
    )
    parser.addini("pvt_db", "SQLite store, relative to rootdir ('' = none)", default="")


def _rootpath(config: pytest.Config, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else config.rootpath / path


def is_active(config: pytest.Config) -> bool:
    return config.stash.get(ACTIVE_KEY, False)


def domains_root(config: pytest.Config) -> Path:
    return _rootpath(config, config.getoption("pvt_domains") or config.getini("pvt_domains"))


def golden_root(config: pytest.Config) -> Path:
    return _rootpath(config, config.getoption("pvt_golden_dir") or config.getini("pvt_golden_dir"))


def _parse_stages(value: str) -> tuple[str, ...]:
    names = tuple(v.strip() for v in value.split(",") if v.strip())
    if len(names) == 1 and names[0] in PIPELINE:
        return PIPELINE[: PIPELINE.index(names[0]) + 1]
    if names and names == PIPELINE[: len(names)]:
        return names
    raise pytest.UsageError(
        f"--pvt-stages {value!r}: give one stage (the pipeline runs up to it) or a prefix of "
        f"{','.join(PIPELINE)}"
    )


def session_core(config: pytest.Config) -> Core:
    core = config.stash.get(CORE_KEY, None)
    if core is None:
        option = config.getoption("pvt_core") or config.getini("pvt_core") or None
        try:
            core = locate_core(_rootpath(config, option) if option else None)
        except WkpupError as exc:
            raise pytest.UsageError(str(exc)) from exc
        config.stash[CORE_KEY] = core
    return core


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "pvt(domain, config=None, corners=None, temperatures=None, spec=None, golden=False): "
        "the PVT job the pvt_* fixtures run for this test",
    )
    config.addinivalue_line("markers", "slow: a long sweep (full PVT job)")
    config.addinivalue_line("markers", "fast: a reduced sweep, run in CI")
    active = bool(
        config.getoption("pvt_core") or config.getini("pvt_core") or os.environ.get("WKPUP_CORE")
    )
    config.stash[ACTIVE_KEY] = active
    config.stash[SELECTED_KEY] = _parse_stages(config.getoption("pvt_stages"))
    # Jobs of one domain go to one worker: switch xdist's plain load to loadgroup. Workers
    # rebuild their options from the command line, which may not say loadgroup, so the
    # controller tells them (pytest_configure_node) to add the group suffixes.
    if getattr(config.option, "dist", "no") == "load":
        config.option.dist = "loadgroup"
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and workerinput.get(LOADGROUP_KEY):
        config.option.loadgroup = True
    config.pluginmanager.register(record, "wkpup-record-payload")
    record.configure(config)


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if not is_active(config) or hasattr(config, "workerinput"):
        return  # xdist workers trust the controller's check
    core = session_core(config)
    try:
        verification = guard(core)
    except WkpupError as exc:
        pytest.exit(f"wkpup: refusing to run: {exc}", returncode=EXIT_CORE_MODIFIED)
    config.stash[VERIFIED_KEY] = verification.describe()


VERIFIED_KEY = pytest.StashKey[str]()


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    if not is_active(config):
        return None
    core = session_core(config)
    lines = [f"wkpup core: {core.root} ({config.stash.get(VERIFIED_KEY, 'not checked')})"]
    lines.append(f"wkpup stages: {','.join(config.stash[SELECTED_KEY])}")
    return lines


# --- xdist ------------------------------------------------------------------------------------
@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:  # type: ignore[no-untyped-def]
    b = budget.for_session(node.config)
    node.workerinput[budget.WORKERINPUT_KEY] = (b.slot_dir, b.slots)
    node.workerinput[LOADGROUP_KEY] = node.config.getoption("dist", "no") == "loadgroup"


# --- collection -------------------------------------------------------------------------------
class ScenarioFile(pytest.File):
    """A scenario YAML file: one item per job."""

    def collect(self):  # type: ignore[no-untyped-def]
        config = self.config
        core = session_core(config)
        try:
            scenario = load_scenario(
                Path(self.path),
                root=self._scenario_root(),
                domains_root=domains_root(config),
                tables=core.tables(),
            )
        except WkpupError as exc:
            raise self.CollectError(str(exc)) from exc
        for job in scenario.jobs:
            yield PvtItem.from_job(self, job)

    def _scenario_root(self) -> Path:
        for name in self.config.getini("pvt_scenario_dirs"):
            root = _rootpath(self.config, name)
            if root in Path(self.path).parents:
                return root
        return Path(self.path).parent


class PvtItem(pytest.Function):
    """One PVT job; a pytest.Function so that fixtures work as for any test (pytest#3639)."""

    pvt_spec: JobSpec

    @classmethod
    def from_job(cls, parent: ScenarioFile, job: JobSpec) -> PvtItem:
        item = cls.from_parent(parent, name=job.name, callobj=check_scenario_job)
        setattr(item, SPEC_ATTR, job)
        family, _, voltage = job.domain.rpartition("/")
        item.extra_keyword_matches.update(
            {
                job.domain,
                job.domain.replace("/", "_"),
                family,
                voltage,
                job.config.condition,
                job.config.mode,
                "pvt",
            }
        )
        for mark in job.marks:
            item.add_marker(getattr(pytest.mark, mark))
        return item

    def reportinfo(self):  # type: ignore[no-untyped-def]
        job: JobSpec = getattr(self, SPEC_ATTR)
        return self.path, None, f"{job.job_id} [{job.domain}, {job.point_count} points]"


def pytest_collect_file(file_path: Path, parent: pytest.Collector):  # type: ignore[no-untyped-def]
    config = parent.config
    if not is_active(config) or file_path.suffix not in (".yaml", ".yml"):
        return None
    roots = [_rootpath(config, d) for d in config.getini("pvt_scenario_dirs")]
    if not any(root == file_path.parent or root in file_path.parents for root in roots):
        return None
    return ScenarioFile.from_parent(parent, path=file_path)


# tryfirst: xdist's worker turns xdist_group marks into node-id suffixes in its own
# modifyitems hook, which must see the marks added here.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        job = getattr(item, SPEC_ATTR, None)
        if job is not None:
            item.add_marker(pytest.mark.xdist_group(name=f"pvt:{job.domain}"))
            continue
        marker = item.get_closest_marker("pvt")
        if marker is not None and marker.kwargs.get("domain"):
            item.add_marker(pytest.mark.xdist_group(name=f"pvt:{marker.kwargs['domain']}"))
