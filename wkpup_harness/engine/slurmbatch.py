"""How many points each Slurm array task runs: the batch rule of the Slurm executor.

A task costs the scheduler about ``task_cost`` seconds of a CPU slot beyond its points
(scheduling, the prolog, starting bash, accounting; measured on the one-node test cluster
as 2 CPUs / the start rate of an array of no-op tasks, see ``TASK_COST_S``). A task of
``k`` points of ``t`` seconds each spends the share ``c / (c + k t)`` of its slot in that
overhead; at most ``MAX_OVERHEAD`` (10 %) needs ``k >= c (1 - MAX_OVERHEAD) / (MAX_OVERHEAD
t)`` = ``9 c / t``. The rule (``tasks_for``):

- ``n`` points at most ``9 c / t`` ... one point per task when every point is long enough
  (``k_min = 1``): ``n`` tasks, today's behaviour;
- otherwise as many tasks as keep each at ``k_min`` points or more, rounded down to whole
  waves of the cluster's CPU slots (``slots``: the CPUs the partition offers / CPUs per
  task), and never fewer than ``slots`` (nor than ``n``, if smaller): the whole job is
  never serialised onto one task while CPUs are idle;
- points are dealt round-robin (task ``j`` runs lines ``j, j + T, j + 2T, ...`` of the
  points file), so each task gets a like mix of corners and temperatures and the waves end
  together.

``t`` is the median time of the points already finished in this run directory (this run or
the one it resumes), else ``DEFAULT_POINT_S`` (a short guess: it errs towards fewer,
longer tasks, never towards more overhead). ``c`` is ``TASK_COST_S``, raised to the
submission -> first start latency measured on the run's first array when that is longer
(a busy cluster).
"""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Iterable
from pathlib import Path

MAX_OVERHEAD = 0.10  # the per-task scheduler cost's share of a task's slot time, at most
# Per-task cost of the one-node test cluster (tests/slurm_cluster.py): an array of 40 no-op
# tasks starts at 2.7 tasks/s on 2 CPUs (bench/slurm_bench.py), 2 / 2.7 = 0.75 s of a slot
# per task; submission -> first task start 0.03-0.97 s.
TASK_COST_S = 0.75
DEFAULT_POINT_S = 0.2  # a first guess of a point's time before any point of the run ended
PER_POINT_SLACK_S = 5  # --time of a batch: k x (sim_timeout + kill grace + this)


def points_per_task_min(point_s: float, task_cost_s: float) -> int:
    """The fewest points a task must run for its overhead to stay within MAX_OVERHEAD."""
    point_s = max(point_s, 1e-3)
    need = task_cost_s * (1.0 - MAX_OVERHEAD) / (MAX_OVERHEAD * point_s)
    return max(1, math.ceil(need - 1e-9))


def tasks_for(n: int, slots: int, point_s: float, task_cost_s: float) -> int:
    """How many array tasks for ``n`` points (see the module's docstring)."""
    if n <= 0:
        return 0
    k_min = points_per_task_min(point_s, task_cost_s)
    if k_min == 1:
        return n
    slots = max(1, slots)
    if n <= slots:
        return n
    waves = max(1, (n // k_min) // slots)
    return min(n, waves * slots)


def task_lines(task: int, tasks: int, n: int) -> range:
    """The points-file lines (from 0) array task ``task`` of ``tasks`` runs, in order."""
    return range(task, n, tasks)


def median_point_s(times: Iterable[float]) -> float | None:
    got = [t for t in times if t > 0]
    return statistics.median(got) if got else None


def rc_times(base: Path) -> list[float]:
    """Seconds of every point that ended with exit 0 in the run directory's submissions
    (``<base>/s<k>/<line>.rc``: exit code, start, end)."""
    out = []
    try:
        subs = [p for p in base.iterdir() if p.name.startswith("s") and p.name[1:].isdigit()]
    except OSError:
        return out
    for sub in subs:
        try:
            names = [n for n in os.listdir(sub) if n.endswith(".rc")]
        except OSError:
            continue
        for name in names:
            try:
                rc, start, end = (sub / name).read_text(encoding="ascii").split()[:3]
                if rc == "0":
                    out.append(float(end) - float(start))
            except (OSError, ValueError, UnicodeDecodeError):
                continue
    return out


def time_limit_s(per_point_s: float, points: int, kill_after_s: float) -> float:
    """A batch task's Slurm --time (seconds): every point may use its whole limit."""
    return points * (per_point_s + kill_after_s + PER_POINT_SLACK_S)
