"""Under xdist: the jobs of one domain stay on one worker, and the machine-wide CPU budget
(``--pvt-cpus`` / ``WKPUP_CPUS``, slots in ``WKPUP_SLOT_DIR``) holds however many workers run
jobs (simulations counted from /proc while the session runs). Each test has a slot directory
of its own: the budget is machine-wide, so the default one is shared with every other test
worker (and user) on this machine."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from coreutil import DOMAINS, REPO, SIM_PVT, our_domain, set_keys, sim_pvt

sys.path.insert(0, str(REPO / "bench"))
from procwatch import Watcher

from wkpup_harness.engine.workdir import copy_domain

SCENARIO = """\
domain: {domain}
golden: false
jobs:
  - name: a
    corners: [TT]
    temperatures: [m40, 125]
    config: {{2nd_supply_swp: NA, condition: htol}}
  - name: b
    corners: [SSG]
    temperatures: [m40, 125]
    config: {{2nd_supply_swp: NA, condition: htol}}
"""


def project(pytester: pytest.Pytester) -> None:
    copy_domain(DOMAINS, pytester.path / "domains")
    (pytester.path / "regression").mkdir()
    for domain in ("gpio/1p8v", "i3c/1p8v"):
        name = domain.split("/")[0]
        (pytester.path / "regression" / f"{name}.yaml").write_text(SCENARIO.format(domain=domain))
    pytester.makeini(f"[pytest]\npvt_core = {REPO / 'pai_ho_core'}\n")


@pytest.fixture
def slots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private slot directory for the pytest run under test (inherited through the
    environment); no other WKPUP_* setting leaks in."""
    for name in [k for k in os.environ if k.startswith("WKPUP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("WKPUP_SLOT_DIR", str(tmp_path / "slots"))
    return tmp_path / "slots"


@pytest.mark.parametrize(
    ("budget", "how"),
    [(2, "environment"), pytest.param(1, "flag", marks=pytest.mark.slow)],
    ids=str,
)
def test_workers_share_one_simulation_budget(
    pytester: pytest.Pytester, slots: Path, monkeypatch: pytest.MonkeyPatch, budget: int, how: str
):
    project(pytester)
    if how == "environment":
        monkeypatch.setenv("WKPUP_CPUS", str(budget))
        option = []
    else:
        option = [f"--pvt-cpus={budget}"]
    with Watcher(Path(pytester.path)) as watch:
        result = pytester.runpytest_subprocess(
            "regression", "-p", "no:cacheprovider", "-n", "4", *option, "--pvt-db=none", "-v",
        )  # fmt: skip
    result.assert_outcomes(passed=4)
    workers: dict[str, set[str]] = {}
    for line in result.stdout.lines:
        m = re.match(r"\[(gw\d+)\] .*PASSED regression/(\w+)\.yaml::", line)
        if m:
            workers.setdefault(m.group(2), set()).add(m.group(1))
    assert {k: len(v) for k, v in workers.items()} == {"gpio": 1, "i3c": 1}, workers
    assert len(watch.seen) == 8  # every simulation was seen by the sampler
    assert watch.peak <= budget
    if budget == 2:
        assert watch.peak == 2  # and the budget is used, not just respected
    # The slots taken were this test's own.
    # (and the queue its waiters line up on, as the core's run stage does)
    assert sorted(p.name for p in slots.iterdir()) == ["queue"] + [
        f"slot.{i}" for i in range(budget)
    ]
    result.stdout.fnmatch_lines([f"*cpus: {budget} (machine-wide)*"])


@pytest.mark.ngspice
def test_the_core_run_stages_of_two_jobs_share_the_slots(tmp_path: Path) -> None:
    """The core's own budget (PAIHO_SLOT_DIR): two run stages started at once, each wanting
    both cores, never run more than PAIHO_SLOTS=2 simulations together, use both, and finish;
    the waiters queue on one lock file."""
    env = {**os.environ, "PAIHO_SLOT_DIR": str(tmp_path / "slots"), "PAIHO_SLOTS": "2",
           "PAIHO_JOBS": "2", "PAIHO_CACHE": str(tmp_path / "cache")}  # fmt: skip
    domains = []
    for name in ("one", "two"):
        domain = our_domain(tmp_path / name)
        cfg = domain / "config.cfg"
        cfg.write_text(set_keys(cfg.read_text(), condition="htol", gsgf="No"))
        assert sim_pvt(domain, "gen", env=env).returncode == 0
        domains.append(domain)
    with Watcher(tmp_path) as watch:
        procs = [
            subprocess.Popen(["sh", str(SIM_PVT), "config.cfg", "run"], cwd=d, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for d in domains
        ]  # fmt: skip
        outs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert all("run: done" in out for out in outs), outs
    assert watch.peak == 2, watch.peak  # the budget is used, and never exceeded
    assert sorted(p.name for p in (tmp_path / "slots").iterdir()) == ["queue", "slot.0", "slot.1"]
