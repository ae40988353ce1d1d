"""A machine-wide CPU budget for simulations, shared by every xdist worker.

The reference core takes one of ``PAIHO_SLOTS`` lock files in ``PAIHO_SLOT_DIR`` before each
simulation, so however many jobs run at once (``-n 8`` on 2 cores), no more than the budget
of simulations run together. The controller creates the directory and hands it to the
workers through ``workerinput``; without xdist the session creates it itself.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass

import pytest

WORKERINPUT_KEY = "wkpup_budget"


@dataclass(frozen=True)
class Budget:
    slot_dir: str
    slots: int

    def env(self) -> dict[str, str]:
        # PAIHO_JOBS lets one job use the whole budget when it runs alone.
        return {
            "PAIHO_SLOT_DIR": self.slot_dir,
            "PAIHO_SLOTS": str(self.slots),
            "PAIHO_JOBS": str(self.slots),
        }


def default_slots() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def create(config: pytest.Config, slots: int | None) -> Budget:
    budget = Budget(tempfile.mkdtemp(prefix="wkpup-slots-"), slots or default_slots())
    config.add_cleanup(lambda: shutil.rmtree(budget.slot_dir, ignore_errors=True))
    return budget


def for_session(config: pytest.Config) -> Budget:
    """The budget of this pytest process: the controller's when run by an xdist worker."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and WORKERINPUT_KEY in workerinput:
        slot_dir, slots = workerinput[WORKERINPUT_KEY]
        return Budget(slot_dir, int(slots))
    existing = config.stash.get(BUDGET_KEY, None)
    if existing is None:
        existing = create(config, config.getoption("pvt_cpus"))
        config.stash[BUDGET_KEY] = existing
    return existing


BUDGET_KEY = pytest.StashKey[Budget]()
