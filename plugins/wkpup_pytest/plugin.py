"""Entry point: options, markers, and the session object registered only when active.

The plugin is active in a project that names a core: ``--pvt-core``, ``$WKPUP_CORE``, the
ini option ``pvt_core``, or a ``wkpup.toml`` / ``[tool.wkpup]`` project file at the rootdir.
Elsewhere it only registers its options and markers.
"""

from __future__ import annotations

import pytest

from wkpup_harness.settings import project_core_configured
from wkpup_pytest import workers
from wkpup_pytest.fixtures import (
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
from wkpup_pytest.session import SESSION_NAME, WkpupSession

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


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wkpup", "PVT regression (wkpup)")
    add = group.addoption
    add("--pvt-core", default=None, help="core to drive (default: settings / embedded core)")
    add("--pvt-domains", default=None, help="domains root (default: <rootdir>/domains)")
    add("--pvt-golden-dir", default=None, help="golden root (default: <rootdir>/golden)")
    add("--pvt-db", default=None, help="SQLite store (default .wkpup/wkpup.db; 'none': off)")
    add("--pvt-runs", default=None, help="run root (default .wkpup/runs)")
    add(
        "--pvt-update-golden",
        action="store_true",
        default=False,
        help="write each job's creport.txt as its golden instead of comparing",
    )
    add(
        "--pvt-stages",
        default="bkp",
        help="run the pipeline up to this stage, or exactly this comma-separated prefix of "
        "gen,run,ext,srt,bkp (default: bkp)",
    )
    add("--pvt-cpus", default=None, help="CPU budget: simulations at once on this machine")
    add("--pvt-retries", default=None, help="retries of a failed point (default 1)")
    add("--pvt-sim-timeout", default=None, help="seconds per simulation")
    add("--pvt-stage-timeout", default=None, help="seconds per stage")
    add(
        "--pvt-executor",
        default=None,
        help="where the run stage's points run: local (default) or slurm (docs/slurm.md)",
    )
    add(
        "--pvt-cache",
        action="store_const",
        const=True,
        default=None,
        help="reuse the result of a point whose inputs are unchanged (docs/cache.md)",
    )
    add(
        "--pvt-cache-verify",
        default=None,
        metavar="K",
        help="simulate K random cache hits again per job and fail on any difference",
    )
    add(
        "--pvt-resume",
        action="store_true",
        default=False,
        help="resume each job's last unfinished run (failed, cancelled, interrupted) instead "
        "of starting afresh",
    )
    add(
        "--pvt-worst",
        default=None,
        metavar="SCENARIO::JOB",
        help="after the session's verdict table, the worst cases of this job (e.g. "
        "gpio/wkpup_1p8v::perf_full)",
    )
    parser.addini("pvt_core", "core the harness drives (alias of the core setting)", default="")
    parser.addini("pvt_domains", "domains root (alias of the domains setting)", default="")
    parser.addini("pvt_golden_dir", "golden root (alias of the golden setting)", default="")
    parser.addini("pvt_db", "SQLite store (alias of the db setting)", default="")
    parser.addini(
        "pvt_scenario_dirs",
        "directories whose *.yaml are scenarios",
        type="args",
        default=["regression"],
    )


def is_active(config: pytest.Config) -> bool:
    """The plugin's activation, asked of the one settings resolver."""
    return project_core_configured(
        config.rootpath, flag=config.getoption("pvt_core"), ini=config.getini("pvt_core")
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "pvt(domain, config=None, corners=None, temperatures=None, spec=None, golden=False): "
        "the PVT job the pvt_* fixtures run for this test",
    )
    config.addinivalue_line("markers", "slow: a long sweep (full PVT job)")
    config.addinivalue_line("markers", "fast: a reduced sweep, run in CI")
    # Jobs of one domain go to one worker: switch xdist's plain load to loadgroup. Workers
    # rebuild their options from the command line, which may not say loadgroup, so the
    # controller tells them (WkpupSession.pytest_configure_node) to add the group suffixes.
    if getattr(config.option, "dist", "no") == "load":
        config.option.dist = "loadgroup"
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and workerinput.get(WkpupSession.LOADGROUP_KEY):
        config.option.loadgroup = True
    if is_active(config):
        session = WkpupSession(config, check_scenario_job)
        config.pluginmanager.register(session, SESSION_NAME)
        workers.cap(config, session.scenario_roots())
        # The site plugins of the `wkpup` entry-point group (the ones `wkpup run` and the web
        # call) see and gate pytest's jobs too, beside conftests.
        from wkpup_harness.engine.hooks import GROUP

        config.pluginmanager.load_setuptools_entrypoints(GROUP)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """The PVT job hooks a conftest.py may implement (``engine/hookspecs.py``)."""
    from wkpup_harness.engine import hookspecs

    pluginmanager.add_hookspecs(hookspecs)
