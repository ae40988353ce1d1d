"""The run stage's point bookkeeping, as the executors see it: a small protocol.

An executor (``executors.py``: local, slurm, or a site's registered one) gets a ``PointJob``
and the points to simulate. It runs ``point_command(point)`` from ``workdir`` with
``point_env()``, appends the command's output to ``point_output(point)``, applies the
job's ``settings.retries`` and ``settings.sim_timeout``, stops when ``cancelled`` (or waits
on ``cancel_event``), and books each point's outcome with ``book(PointResult)`` from the
calling thread (``retrying`` before a retry, ``failure_reason`` to say why an attempt
failed). ``engine.job.Job`` implements it; an executor never sees the rest of the job.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from wkpup_harness.points import Point
from wkpup_harness.results.runlog import PointResult

if TYPE_CHECKING:
    from wkpup_harness.config.scenario import JobSpec
    from wkpup_harness.core.stage import Usage
    from wkpup_harness.engine.budget import Budget
    from wkpup_harness.settings import Settings


class PointJob(Protocol):
    """What an executor may use of the job whose points it runs."""

    id: int | None
    token: str
    spec: JobSpec
    settings: Settings
    budget: Budget
    workdir: Path

    @property
    def root(self) -> Path: ...
    @property
    def cancelled(self) -> bool: ...
    @property
    def cancel_event(self) -> threading.Event: ...
    def cancel(self) -> None: ...
    def stop_for_timeout(self) -> None: ...
    def stop_reason(self) -> str: ...
    def point_command(self, point: Point) -> list[str]: ...
    def point_env(self) -> dict[str, str]: ...
    def point_output(self, point: Point) -> Path: ...
    def failure_reason(self, point: Point, returncode: int) -> str: ...
    def add_usage(self, usage: Usage | None) -> None: ...
    def retrying(self, point: Point, attempt: int, reason: str) -> None: ...
    def book(self, result: PointResult) -> None: ...
