"""What a job's end says to a person: the failure text a pytest item fails with and the CLI
prints — the stage and its exit, the failed points with their reasons, the tail of the
stage's log and of the first failed points' simulator logs. A function of what the job
did; ``Job.failure_message`` calls it (the store's one-line error is ``rules.error_line``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from wkpup_harness.core.stage import StageResult
from wkpup_harness.results.runlog import PointResult

LOG_TAIL = 25
SIM_LOG_TAIL = 12
SIM_LOGS_SHOWN = 3


def failure_text(
    job_id: str,
    *,
    setup_error: str | None,
    failed: StageResult | None,
    fault: str | None,
    unrecorded: str | None,
    user_cancelled: bool,
    points: Sequence[PointResult],
    sim_log: Callable[[PointResult], Path],
) -> str | None:
    """The failure message of a job (``job_id``: ``scenario::name``); None when nothing
    failed. ``sim_log`` names a failed point's simulator log."""
    if setup_error is not None:
        return setup_error
    note = (
        f"{job_id}: its end is not in the store ({unrecorded}); resume it "
        "once the store can be written"
        if unrecorded
        else None
    )
    if failed is None:
        if fault is not None:
            return "\n".join(filter(None, [f"{job_id}: {fault}", note]))
        if user_cancelled:
            return f"{job_id}: cancelled"
        return note
    lines = [f"{job_id}: {failed.describe()}"]
    if fault is not None:
        lines.insert(0, f"{job_id}: {fault}")
    if note:
        lines.insert(1 if fault else 0, note)
    if points:
        lines.append(
            f"{len(points)} failed point(s): "
            + ", ".join(f"{r.point.name} ({r.reason}, {r.attempts} attempt(s))" for r in points)
        )
    lines.append(f"--- last {LOG_TAIL} lines of {failed.log_path} ---")
    lines.append(failed.tail(LOG_TAIL))
    for r in points[:SIM_LOGS_SHOWN]:
        log = sim_log(r)
        if log.is_file():
            text = log.read_bytes().decode("utf-8", "replace").splitlines()
            lines.append(f"--- last {SIM_LOG_TAIL} lines of {log} ---")
            lines.extend(text[-SIM_LOG_TAIL:])
    return "\n".join(lines)
