"""A job's one verdict: its golden gate and its spec limits, judged once (``judge``) and then
stored by the recorder, shown by every face and handed to the ``pvt_job_finished`` hook.

A job is judged when it closes, whichever face ran it and whether it ran in one go or was
resumed: the golden verdict (for a scenario job marked ``golden``: identical / created /
updated / mismatch / missing) and every spec limit's verdict (``spec.verdicts``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wkpup_harness.errors import WkpupError
from wkpup_harness.results import golden as golden_gate
from wkpup_harness.results import read_creport
from wkpup_harness.results import spec as spec_check


@dataclass(frozen=True)
class GoldenTarget:
    """Where a job's golden lives: ``<root>/<scenario>/<name>/creport.txt``; ``update``
    writes the job's creport there instead of comparing (only for a job without failure)."""

    root: Path
    scenario: str
    name: str
    update: bool = False


@dataclass(frozen=True)
class Verdict:
    """What a job was judged: ``golden`` (None: not gated or no report), its file and the
        readable difference; ``specs`` one row per limit (``spec.verdicts``), ``spec`` the job's
        spec verdict (pass / near / fail; None without limits), ``violations`` the violating
        points, ``spec_error`` a report the limits could not be read against, ``gates`` what the
    hooks' gates found."""

    golden: str | None = None
    golden_path: Path | None = None
    golden_problem: str = ""
    specs: tuple[Mapping[str, Any], ...] = ()
    spec: str | None = None
    violations: tuple[spec_check.Violation, ...] = ()
    spec_error: str = ""
    judged_limits: bool = field(default=False)
    gates: tuple[str, ...] = ()  # problems the pytest_pvt_job_finished hooks returned
    # a Monte Carlo job's mcreport.txt against its golden (None: no samples or not gated)
    mc_golden: str | None = None
    mc_golden_problem: str = ""

    @property
    def problems(self) -> list[str]:
        """The readable problems: the golden difference, the spec violations (or why the
        limits could not be applied)."""
        out = [p for p in (self.golden_problem, self.mc_golden_problem) if p]
        if self.spec_error:
            out.append(self.spec_error)
        elif self.violations:
            out.append(spec_check.summarize(self.violations))
        return out + list(self.gates)

    @property
    def ok(self) -> bool:
        return not self.problems


def judge_golden(
    target: GoldenTarget, report: Path, *, may_update: bool, name: str = golden_gate.GOLDEN_NAME
) -> tuple[str, Path | None, str]:
    """(verdict, golden path, problem) of a creport (or a job's other gated report, ``name``:
    its mcreport.txt) against its golden."""
    try:
        path = golden_gate.golden_path(target.root, target.scenario, target.name, name)
    except WkpupError as exc:  # a name that cannot be a golden directory: no golden
        return "missing", None, str(exc)
    try:
        verdict = golden_gate.check(path, report.read_bytes(), update=target.update and may_update)
    except golden_gate.GoldenMismatch as exc:
        return "mismatch", path, exc.report()
    except golden_gate.GoldenMissing as exc:
        return "missing", path, str(exc)
    return verdict, path, ""


def judge(
    report: Path | None,
    limits: Mapping[str, spec_check.Limit],
    near_margin: float | None,
    golden: GoldenTarget | None = None,
    *,
    may_update: bool = False,
) -> Verdict:
    """Judge a job's creport (None: the job has none) by its golden and its limits."""
    if report is None:
        return Verdict()
    g_verdict, g_path, g_problem = (
        judge_golden(golden, report, may_update=may_update) if golden else (None, None, "")
    )
    if not limits:
        return Verdict(g_verdict, g_path, g_problem)
    try:
        creport = read_creport(report)
        rows = spec_check.verdicts(creport, limits, near_margin)
        violations = spec_check.check(creport, limits)
    except WkpupError as exc:
        return Verdict(g_verdict, g_path, g_problem, spec_error=str(exc), judged_limits=True)
    return Verdict(
        g_verdict,
        g_path,
        g_problem,
        specs=tuple(rows),
        spec=spec_check.job_verdict(rows),
        violations=tuple(violations),
        judged_limits=True,
    )
