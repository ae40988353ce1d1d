"""The job engine: one service every face asks for its jobs (``service``: start, resume,
queue, cancel, judge), one ``Job`` it builds, the machine-wide CPU budget, the reaper.

Names are imported on first use, so that ``python -m wkpup_harness.engine.reaper`` (the
watchdog every job starts) does not pay for the whole engine.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Budget": "wkpup_harness.engine.budget",
    "PIPELINE": "wkpup_harness.engine.rules",
    "STAGES": "wkpup_harness.engine.rules",
    "Event": "wkpup_harness.engine.events",
    "Job": "wkpup_harness.engine.job",
    "JobError": "wkpup_harness.engine.job",
    "PointResult": "wkpup_harness.results.runlog",
    "Verdict": "wkpup_harness.results.verdict",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'wkpup_harness.engine' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
