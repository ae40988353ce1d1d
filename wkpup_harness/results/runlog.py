"""The run stage's per-point status lines, ``CORNER EX TTOK VT Done 1.23s`` or
``... failed (timeout 60s) 60.01s`` (the core's stages/run.sh and the engine write the same
format to the run log and ``job_log.txt``), and the one record of a point's run outcome."""

from __future__ import annotations

import re
from dataclasses import dataclass

from wkpup_harness.points import TEMP_TOKENS, Point

POINT_STATUS = re.compile(
    r"(?P<corner>\S+) (?P<ex>\S+) (?P<temp>\S+) (?P<vt>v1\S*) "
    r"(?P<status>Done|failed \((?P<reason>[^)]*)\)) (?P<elapsed>[0-9]{1,9}(?:\.[0-9]*)?)s"
)


@dataclass(frozen=True)
class PointResult:
    """How one PVT point's simulation ended."""

    point: Point
    ok: bool
    reason: str  # "" when ok: "exit 3", "timeout 60s", "non-convergence", "cancelled" ...
    attempts: int
    elapsed: float  # seconds, all attempts
    started: float = 0.0  # epoch seconds
    finished: float = 0.0
    skipped: bool = False  # complete before this run (resume): not simulated again

    @property
    def status(self) -> str:
        if self.ok:
            return "ok"
        return "cancelled" if self.reason == "cancelled" else "failed"

    def line(self) -> str:
        p = self.point
        state = "Done" if self.ok else f"failed ({self.reason})"
        return f"{p.corner} {p.extraction} {p.temp_token} {p.vt} {state} {self.elapsed:.2f}s"


def parse_point_status(text: str) -> tuple[PointResult, ...]:
    """Every per-point status line of a run log (or of job_log.txt), in order; a line that
    is not one (a half-written last line, a message) is passed over."""
    out = []
    for line in text.splitlines():
        m = POINT_STATUS.fullmatch(line)
        if m is None or m["temp"] not in TEMP_TOKENS:
            continue
        try:
            point = Point.from_vt(m["corner"], m["ex"], m["temp"], m["vt"])
        except ValueError:
            continue
        out.append(
            PointResult(point, m["status"] == "Done", m["reason"] or "", 1, float(m["elapsed"]))
        )
    return tuple(out)
