"""The run stage's per-point status lines, ``CORNER EX TTOK VT Done 1.23s`` or
``... failed (timeout 60s) 60.01s`` (the core's stages/run.sh and the engine write the same
format to the run log and ``job_log.txt``), and the one record of a point's run outcome;
the core's other run logs (``job_stat.log`` of chk, the bkp log) and why a simulation failed
(its output and the simulator's log, classified)."""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass
from pathlib import Path

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
    reused: bool = False  # copied from the result cache: not simulated (docs/cache.md)

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


# --- the core's other run logs: job_stat.log (chk), the bkp log, the simulator's log ----------
JOB_STAT_LINE = re.compile(r"(\S+) (\S+) (\S+) (v1\S*)\s+(Done|not-complete.*|not-start)\s*")
BKP_LINE = re.compile(r"bkp: (00bkp_[0-9]{12})")
NONCONVERGENCE = re.compile(
    r"timestep too small|singular matrix|no convergence|gmin stepping failed|"
    r"source stepping failed|iteration limit reached",
    re.IGNORECASE,
)
# run_point.sh: "ERROR: run_point: ngspice exited 137 for <deck> (see <log>)"
SIM_EXIT = re.compile(r"(\S+) exited ([0-9]+) for ")


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def classify(returncode: int, output: str, log_text: str) -> str:
    """Why a simulation failed, in the words an engineer searches for."""
    if returncode < 0:  # the point's own command was killed
        return f"killed by {signal_name(-returncode)}"
    m = SIM_EXIT.search(output)
    if m is not None and 128 < int(m[2]) < 160:  # the shell's 128 + signal number
        return f"{m[1]} killed by {signal_name(int(m[2]) - 128)}"
    if NONCONVERGENCE.search(log_text) or NONCONVERGENCE.search(output):
        return "non-convergence"
    if "failed measurement" in output or "produced no measurements" in output:
        return "missing measurement"
    return f"exit {returncode}"


def read_job_stat(path: Path) -> dict[str, bool]:
    """job_stat.log (the core's chk): point name -> done."""
    out: dict[str, bool] = {}
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return out
    for line in lines[1:]:
        m = JOB_STAT_LINE.fullmatch(line)
        if m is not None:
            name = f"{m[1]}_{m[2]}_{m[3]}_{m[4]}"
            out[name] = m[5] == "Done"
    return out


def backup_named(bkp_log: str) -> str | None:
    """The backup directory name (``00bkp_<12 digits>``) the bkp stage's log names."""
    m = BKP_LINE.search(bkp_log)
    return m.group(1) if m is not None else None
