"""What a job tells the world as it runs: plain data, no engine object needed to read it.

The engine emits one ``Event`` per stage start / end / skip, per point (done, failed,
retried) and at the job's end; the recorder (``store/recorder.py``), the job's structured
log (``joblog.py``), the faces' progress and the conftest hooks (``hookspecs.py``) all read
the same fields. ``JobFacts`` is what the recorder reads of the job itself when it creates,
attaches and finishes its row: a protocol, so the store depends on this module only.

This module sits below the store in the layer order (docs/engine.md): it imports nothing of
the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from wkpup_harness.core.stage import StageResult
from wkpup_harness.results.runlog import PointResult

if TYPE_CHECKING:
    from wkpup_harness.config.scenario import JobSpec
    from wkpup_harness.core import Core
    from wkpup_harness.points import Point
    from wkpup_harness.results import Creport
    from wkpup_harness.results.verdict import Verdict

# Event kinds, in the order a job emits them.
KINDS: tuple[str, ...] = (
    "stage-start",
    "point",
    "point-retry",
    "stage-end",
    "stage-skip",
    "job-end",
)


def stage_status(result: StageResult) -> str:
    """completed / cancelled / failed (``StageResult.status``, where the mapping lives)."""
    return result.status


@dataclass(frozen=True)
class Event:
    """One thing that happened to a job. ``kind`` is stage-start, stage-end, stage-skip,
    point, point-retry or job-end; the other fields are set when they apply:

    - ``stage``: the stage (every kind but job-end); ``result`` and ``status`` its outcome
      (stage-end);
    - ``point``: a point's outcome (point, point-retry: the attempt that failed);
    - ``done`` / ``total`` / ``failed``: points booked so far, planned, failed;
    - ``status`` / ``error`` / ``seconds``: the job's end (job-end).

    ``job`` is the emitting engine job, for a face that wants more than the data (the
    store and the hooks never read it)."""

    kind: str
    job_id: int | None
    stage: str | None = None
    result: StageResult | None = None
    point: PointResult | None = None
    status: str | None = None
    error: str | None = None
    seconds: float | None = None
    done: int = 0
    total: int = 0
    failed: int = 0
    scenario: str = ""
    name: str = ""
    log_dir: Path | None = None
    job: Any = field(default=None, repr=False, compare=False)


Listener = Callable[[Event], None]


class JobFacts(Protocol):
    """What the recorder reads of a job (engine.job.Job is one)."""

    spec: JobSpec
    core: Core
    face: str
    stages: tuple[str, ...]
    id: int | None
    resuming: bool
    token: str
    workdir: Path
    status: str | None
    verdict: Verdict | None

    @property
    def points(self) -> Sequence[Point]: ...
    @property
    def root(self) -> Path: ...
    @property
    def log_dir(self) -> Path: ...
    @property
    def has_report(self) -> bool: ...
    @property
    def backup_dir(self) -> Path | None: ...
    def creport(self) -> Creport: ...
    @property
    def mcreport_path(self) -> Path | None: ...
    def mc_outcomes(self) -> Mapping[int, tuple[bool, int, str, float]]: ...
    def error_line(self) -> tuple[str | None, str | None]: ...
