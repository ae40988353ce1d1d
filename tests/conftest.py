"""Hypothesis profiles, and the one optional part of the suite: the `realflow` tests.

Hypothesis: "ci" is derandomised and thorough, "dev" is quick (HYPOTHESIS_PROFILE).

Everything the suite reads is in the repository (the real wkpup2 data in tests/data, see its
README). The only thing it cannot ship is a site's real wkpup2 ver03 scripts: the tests that
run them beside ours are marked ``realflow`` and need ``--pvt-real-core DIR`` (or
``WKPUP_REAL_CORE=DIR``), DIR being the real ver03 directory (the one holding ``sim_pvt.sh``)
or its parent. Without it they are skipped, all from one place, so that pytest's summary
(``-ra``) folds them into one line; no other test is ever skipped for a missing input.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=500)
settings.register_profile("dev", deadline=None, max_examples=50)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

REAL_CORE_ENV = "WKPUP_REAL_CORE"
REALFLOW_SKIP = (
    "realflow: no real wkpup2 ver03 core given (--pvt-real-core DIR or WKPUP_REAL_CORE=DIR): "
    "the tests that run the real flow's own scripts did not run"
)
_real_core = pytest.StashKey["Path | None"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("wkpup").addoption(
        "--pvt-real-core",
        default=None,
        metavar="DIR",
        help=f"a site's real wkpup2 ver03 scripts (the directory holding sim_pvt.sh, or its "
        f"parent) for the `realflow` tests (default: ${REAL_CORE_ENV}; none: they are skipped)",
    )


def _locate_real_core(given: str) -> Path:
    path = Path(given).expanduser().resolve()
    for candidate in (path, path / "ver03", path.parent):
        if (candidate / "sim_pvt.sh").is_file():
            return candidate
    raise pytest.UsageError(
        f"--pvt-real-core / {REAL_CORE_ENV} {given}: no sim_pvt.sh there nor in its ver03/"
    )


def pytest_configure(config: pytest.Config) -> None:
    given = config.getoption("pvt_real_core", None) or os.environ.get(REAL_CORE_ENV, "")
    config.stash[_real_core] = _locate_real_core(given) if given else None


def _real_core_or_skip(node: pytest.Item) -> Path:
    core = node.config.stash[_real_core]
    if core is None:
        pytest.skip(REALFLOW_SKIP)
    return core


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    # pytest reports a skip at its test's line, one summary line per test; every realflow skip
    # is given this file instead, so that `-ra` folds them all into one line.
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple) and longrepr[2].endswith(REALFLOW_SKIP):
        report.longrepr = (__file__, None, longrepr[2])
    return report


@pytest.fixture(autouse=True)
def _realflow_gate(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("realflow") is not None:
        _real_core_or_skip(request.node)


@pytest.fixture
def real_core(request: pytest.FixtureRequest) -> Path:
    """The real ver03 directory (holding sim_pvt.sh); only for tests marked `realflow`."""
    assert request.node.get_closest_marker("realflow") is not None, (
        "a test that runs the real flow's scripts is marked realflow"
    )
    return _real_core_or_skip(request.node)
