"""The machine-wide CPU budget: however many xdist workers run jobs, no more simulations
run at once than the budget (counted from /proc while the session runs)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from coreutil import DOMAINS, REPO

sys.path.insert(0, str(REPO / "bench"))
from procwatch import Watcher

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


@pytest.mark.parametrize("budget", [1, 2])
def test_workers_share_one_simulation_budget(pytester: pytest.Pytester, budget: int):
    shutil.copytree(DOMAINS, pytester.path / "domains")
    (pytester.path / "regression").mkdir()
    for domain in ("gpio/1p8v", "i3c/1p8v"):
        name = domain.split("/")[0]
        (pytester.path / "regression" / f"{name}.yaml").write_text(SCENARIO.format(domain=domain))
    pytester.makeini(f"[pytest]\npvt_core = {REPO / 'pai_ho_core'}\n")
    with Watcher(Path(pytester.path)) as watch:
        result = pytester.runpytest_subprocess(
            "regression", "-p", "no:cacheprovider", "-n", "4", f"--pvt-cpus={budget}",
            "--pvt-db=none",
        )  # fmt: skip
    result.assert_outcomes(passed=4)
    assert len(watch.seen) == 8  # every simulation was seen by the sampler
    assert watch.peak <= budget
    if budget == 2:
        assert watch.peak == 2  # and the budget is used, not just respected
