"""Where the run stage's points are simulated: one executor per place, chosen by the
``executor`` setting and found by name in the entry-point group ``wkpup.executors``.

The local and Slurm executors are registered there like any site's (pyproject.toml)::

    [project.entry-points."wkpup.executors"]
    local = "wkpup_harness.engine.local:LocalExecutor"
    slurm = "wkpup_harness.engine.slurm:SlurmExecutor"

so an LSF or PBS executor is a package of its own with one such line, never an edit here
(docs/engine.md). ``register(name, executor)`` adds one in-process (a conftest, a test).

An executor runs ``job.point_command(point)`` for every point (from the job's domain copy,
with ``job.point_env()``), applies the job's retries and per-simulation timeout, stops when
``job.cancelled``, and books each point's outcome with ``job.book(PointResult)`` from the
calling thread (the ``PointJob`` protocol, ``engine/points.py``). ``simulate`` returns True
when the stage ``deadline`` (``time.monotonic()`` seconds) passed, and raises ExecutorError
when it cannot run the points at all (the job then stops with that message).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Protocol

from wkpup_harness.errors import WkpupError
from wkpup_harness.points import Point
from wkpup_harness.settings import EXECUTOR_GROUP

if TYPE_CHECKING:
    from wkpup_harness.engine.points import PointJob

GROUP = EXECUTOR_GROUP  # one name: settings accept what this group registers
# The package's own, used when its entry points are not installed (a source tree on PYTHONPATH).
BUILTIN = {
    "local": "wkpup_harness.engine.local:LocalExecutor",
    "slurm": "wkpup_harness.engine.slurm:SlurmExecutor",
}


class Executor(Protocol):
    name: str

    def simulate(self, job: PointJob, points: Sequence[Point], deadline: float | None) -> bool: ...


REGISTRY: dict[str, Executor] = {}
_lock = threading.Lock()
_loaded: dict[str, str] = {}  # name -> "module:attr" of the entry points seen


def _instance(obj: Any) -> Executor:
    return obj() if isinstance(obj, type) else obj


def _load(target: str) -> Executor:
    module, _, attr = target.partition(":")
    return _instance(getattr(importlib.import_module(module), attr))


def available() -> dict[str, str]:
    """Every executor name that can be chosen -> where it comes from."""
    found = dict(BUILTIN)
    for ep in entry_points(group=GROUP):
        found[ep.name] = ep.value
    for name in REGISTRY:
        found.setdefault(name, "registered")
    return found


def register(name: str, executor: Any) -> None:
    """Make ``executor`` (an object with ``simulate``, or a class of one) choosable as
    ``name`` in this process (``executor = <name>`` in the settings)."""
    with _lock:
        REGISTRY[name] = _instance(executor)


def unregister(name: str) -> None:
    with _lock:
        REGISTRY.pop(name, None)


def get(name: str) -> Executor:
    """The executor called ``name``: registered in-process, else an entry point of
    ``wkpup.executors``, else a built-in one."""
    with _lock:
        if name in REGISTRY:
            return REGISTRY[name]
        target = available().get(name)
        if target is None:
            raise WkpupError(f"executor {name!r}; allowed: {', '.join(sorted(available()))}")
        executor = _load(target)
        REGISTRY[name] = executor
        return executor
