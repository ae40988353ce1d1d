"""Where the run stage's points are simulated: one executor per place, chosen by the
``executor`` setting. An executor runs ``job.point_command(point)`` for every point (from the
job's domain copy, with ``job.point_env()``), applies the job's retries and per-simulation
timeout, stops when ``job.cancelled``, and books each point's outcome with
``job.book(PointResult)`` from the calling thread. ``simulate`` returns True when the
stage ``deadline`` (``time.monotonic()`` seconds) passed, and raises ExecutorError when it
cannot run the points at all (the job then stops with that message)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from wkpup_harness.engine.local import LocalExecutor
from wkpup_harness.engine.slurm import SlurmExecutor
from wkpup_harness.errors import WkpupError
from wkpup_harness.points import Point

if TYPE_CHECKING:
    from wkpup_harness.engine.job import Job


class Executor(Protocol):
    name: str

    def simulate(self, job: Job, points: Sequence[Point], deadline: float | None) -> bool: ...


REGISTRY: dict[str, Executor] = {"local": LocalExecutor(), "slurm": SlurmExecutor()}


def get(name: str) -> Executor:
    try:
        return REGISTRY[name]
    except KeyError:
        raise WkpupError(f"executor {name!r}; allowed: {', '.join(REGISTRY)}") from None
