"""``job.jsonl``: the job's structured log, one JSON object per line, beside the plain stage
logs (``<run root>/logs/``), written by the engine for every face (pytest, CLI, web, Slurm).

Every line has ``ts`` (UTC, ISO 8601 with milliseconds), ``event`` and ``job`` (the store's
id, absent when the job is not recorded); the other keys depend on the event:

====================  =========================================================================
``job_start``         ``domain``, ``scenario``, ``name``, ``face``, ``points``, ``stages``,
                      ``resume``
``stage_start``       ``stage``
``stage_end``         ``stage``, ``status`` (completed / failed / cancelled), ``exit_code``,
                      ``seconds``, ``cpu_s``, ``max_rss_mib`` (absent when not measured)
``stage_skipped``     ``stage``
``point_done``        ``stage``, ``point``, ``status`` (ok), ``attempts``, ``seconds``;
                      ``skipped: true`` for a point complete from before a resume,
                      ``reused: true`` for a point copied from the result cache
``point_failed``      ``stage``, ``point``, ``status`` (failed / cancelled), ``reason``,
                      ``attempts``, ``seconds``
``point_retried``     ``stage``, ``point``, ``attempt`` (the one that failed), ``reason``
``job_end``           ``status`` (completed / failed / cancelled), ``seconds``, ``error``
====================  =========================================================================

A resumed job appends to the same file (a second ``job_start`` with ``resume: true``).
The log never stops a job: when it cannot be written (disk full, directory gone) it falls
silent and the job, the plain logs and the store go on.
"""

from __future__ import annotations

import contextlib
import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from wkpup_harness.core.stage import Usage
from wkpup_harness.engine.events import Event
from wkpup_harness.report.units import mib

NAME = "job.jsonl"


def stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def usage_fields(usage: Usage | None) -> dict[str, float]:
    """``cpu_s`` and ``max_rss_mib`` of a stage, rounded for people ({} when not measured)."""
    if usage is None:
        return {}
    return {"cpu_s": round(usage.cpu_s, 3), "max_rss_mib": round(mib(usage.max_rss_kib) or 0.0, 1)}


class JobLog:
    """Appends the job's events to ``<log dir>/job.jsonl`` (thread-safe, flushed per line)."""

    def __init__(self, log_dir: Path, job_id: int | None, **start: Any) -> None:
        """Open ``<log_dir>/job.jsonl`` and write the ``job_start`` line with ``start``."""
        self.path: Path = log_dir / NAME
        self._lock = threading.Lock()
        try:
            self._fh: TextIO | None = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        except OSError:
            self._fh = None
        self.job_id = job_id
        self.write("job_start", **start)

    def write(self, event: str, ts: float | None = None, **fields: Any) -> None:
        line: dict[str, Any] = {"ts": stamp(datetime.now(UTC).timestamp() if ts is None else ts)}
        line["event"] = event
        if self.job_id is not None:
            line["job"] = self.job_id
        line.update((k, v) for k, v in fields.items() if v is not None)
        text = json.dumps(line, ensure_ascii=False, allow_nan=False, default=str) + "\n"
        with self._lock:
            if self._fh is None:
                return
            try:
                self._fh.write(text)
                self._fh.flush()
            except OSError:
                self._close()

    def event(self, ev: Event) -> None:
        """One engine event, as its line."""
        kind = ev.kind
        if kind == "stage-start":
            self.write("stage_start", stage=ev.stage)
        elif kind == "stage-skip":
            self.write("stage_skipped", stage=ev.stage)
        elif kind == "stage-end" and ev.result is not None:
            r = ev.result
            self.write(
                "stage_end",
                stage=r.stage,
                status=ev.status,
                exit_code=r.returncode,
                seconds=round(r.elapsed, 3),
                **usage_fields(r.usage),
            )
        elif kind == "point" and ev.point is not None:
            p = ev.point
            self.write(
                "point_done" if p.ok else "point_failed",
                stage=ev.stage,
                point=p.point.name,
                status=p.status,
                reason=p.reason or None,
                attempts=p.attempts,
                seconds=round(p.elapsed, 3),
                skipped=True if p.skipped else None,
                reused=True if p.reused else None,
            )
        elif kind == "sample" and ev.point is not None:
            p = ev.point
            self.write(
                "sample_done" if p.ok else "sample_failed",
                stage=ev.stage,
                sample=p.point.name,
                status=p.status,
                reason=p.reason or None,
                attempts=p.attempts,
                seconds=round(p.elapsed, 3),
            )
        elif kind == "point-retry" and ev.point is not None:
            p = ev.point
            self.write(
                "point_retried",
                stage=ev.stage,
                point=p.point.name,
                attempt=p.attempts,
                reason=p.reason,
            )
        elif kind == "job-end":
            self.write("job_end", status=ev.status, seconds=ev.seconds, error=ev.error)

    def _close(self) -> None:
        fh, self._fh = self._fh, None
        if fh is not None:
            with contextlib.suppress(OSError):
                fh.close()

    def close(self) -> None:
        with self._lock:
            self._close()
