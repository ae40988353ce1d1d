"""Spec limits per measurement, checked at every PVT point.

    rwkpull0: {min: 3000, max: 20000, corners: {SSG: {max: 25000}}}

`corners` overrides the bounds for the rows of those corners. A point whose value is
`failed` violates every limit on that measurement: a missing number never passes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from wkpup_harness.errors import WkpupError
from wkpup_harness.inputs import echo
from wkpup_harness.results import Creport, CreportRow

BOUND_KEYS = {"min", "max"}


class SpecError(WkpupError):
    """A spec limit that cannot be applied."""


@dataclass(frozen=True)
class Bounds:
    min: float | None = None
    max: float | None = None

    def describe(self) -> str:
        if self.min is not None and self.max is not None:
            return f"[{self.min:g}, {self.max:g}]"
        if self.min is not None:
            return f">= {self.min:g}"
        return f"<= {self.max:g}"

    def admits(self, value: float | None) -> bool:
        if value is None or math.isnan(value):
            return False
        if self.min is not None and value < self.min:
            return False
        return not (self.max is not None and value > self.max)


@dataclass(frozen=True)
class Limit:
    name: str
    bounds: Bounds
    corners: Mapping[str, Bounds] = field(default_factory=dict)

    def for_corner(self, corner: str) -> Bounds:
        return self.corners.get(corner, self.bounds)


@dataclass(frozen=True)
class Violation:
    row: CreportRow
    name: str
    value: float | None
    raw: str
    bounds: Bounds

    def describe(self) -> str:
        got = "failed" if self.value is None else self.raw
        return f"{self.row.label}: {self.name} = {got}, spec {self.bounds.describe()}"


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(f"spec {where}: expected a number, got {echo(value)}")
    if not math.isfinite(value):
        # a NaN limit would admit every value (every comparison with it is false)
        raise SpecError(f"spec {where}: expected a finite number, got {value!r}")
    return float(value)


def _bounds(raw: object, where: str) -> Bounds:
    if not isinstance(raw, Mapping):
        raise SpecError(f"spec {where}: expected a mapping with min and/or max")
    unknown = sorted(set(raw) - BOUND_KEYS - ({"corners"} if "." not in where else set()))
    if unknown:
        names = ", ".join(map(str, unknown))
        raise SpecError(f"spec {where}: unknown key(s) {names}; allowed: min, max, corners")
    lo = _number(raw["min"], f"{where}.min") if "min" in raw else None
    hi = _number(raw["max"], f"{where}.max") if "max" in raw else None
    if lo is None and hi is None:
        raise SpecError(f"spec {where}: needs min and/or max")
    if lo is not None and hi is not None and lo > hi:
        raise SpecError(f"spec {where}: min {lo:g} is above max {hi:g}")
    return Bounds(lo, hi)


def parse_spec(raw: Mapping[str, object]) -> dict[str, Limit]:
    limits = {}
    for name, body in raw.items():
        name = str(name)
        bounds = _bounds(body, name)
        corners_raw = body.get("corners", {}) if isinstance(body, Mapping) else {}
        if not isinstance(corners_raw, Mapping):
            raise SpecError(f"spec {name}.corners: expected a mapping of corner -> min/max")
        corners = {}
        for corner, cb in corners_raw.items():
            merged = {"min": bounds.min, "max": bounds.max}
            if isinstance(cb, Mapping):
                merged.update(cb)
            merged = {k: v for k, v in merged.items() if v is not None}
            corners[str(corner)] = _bounds(
                merged if isinstance(cb, Mapping) else cb, f"{name}.{corner}"
            )
        limits[name] = Limit(name, bounds, corners)
    return limits


def check(report: Creport, spec: Mapping[str, Limit]) -> list[Violation]:
    """Every (point, measurement) outside its limit, in report order."""
    unknown = sorted(set(spec) - set(report.names))
    if unknown:
        raise SpecError(
            f"spec names measurement(s) {', '.join(unknown)} that the report does not have; "
            f"measured: {', '.join(report.names)}"
        )
    out = []
    for row in report.rows:
        for name, limit in spec.items():
            cell = row.cells.get(name)
            bounds = limit.for_corner(row.corner)
            value = cell.value if cell is not None else None
            if not bounds.admits(value):
                out.append(Violation(row, name, value, cell.raw if cell else "", bounds))
    return out


def summarize(violations: Iterable[Violation], limit: int = 50) -> str:
    items = list(violations)
    lines = [f"{len(items)} spec violation(s):"]
    lines += [f"  {v.describe()}" for v in items[:limit]]
    if len(items) > limit:
        lines.append(f"  ... and {len(items) - limit} more")
    return "\n".join(lines)


def margin(bounds: Bounds, value: float | None) -> float:
    """Distance to the nearest limit: positive inside, negative outside, -inf for failed."""
    if value is None or math.isnan(value):
        return -math.inf
    return min(
        math.inf if bounds.min is None else value - bounds.min,
        math.inf if bounds.max is None else bounds.max - value,
    )


def verdicts(
    report: Creport, spec: Mapping[str, Limit], fraction: float | None = None
) -> list[dict[str, object]]:
    """Per measurement: pass / fail / no_data over every point, each point judged by its
    corner's bounds, with the worst point (smallest margin; its row index as ``worst_seq``),
    that margin, and the pass / near / fail verdict (``judge``; near within ``fraction``,
    the near_margin setting, of a limit). What the store keeps and
    every face shows; ``check`` lists the violating points."""
    unknown = sorted(set(spec) - set(report.names))
    if unknown:
        raise SpecError(
            f"spec names measurement(s) {', '.join(unknown)} that the report does not have; "
            f"measured: {', '.join(report.names)}"
        )
    out: list[dict[str, object]] = []
    for name, limit in spec.items():
        cells = []
        for row in report.rows:
            cell = row.cells.get(name)
            cells.append((row.corner, cell.value if cell is not None else None))
        j = judge(limit, cells, NEAR_DEFAULT if fraction is None else fraction)
        worst_value = None if j.worst is None else cells[j.worst][1]
        out.append(
            {
                "name": name,
                "lo": limit.bounds.min,
                "hi": limit.bounds.max,
                "status": "no_data" if not cells else "fail" if j.n_fail else "pass",
                "n_points": len(cells),
                "n_fail": j.n_fail,
                "worst_value": worst_value,
                "worst_seq": j.worst,
                "verdict": j.verdict,
                "margin": None if j.margin is None or math.isinf(j.margin) else j.margin,
            }
        )
    return out


def job_verdict(measurements: Iterable[Mapping[str, object]]) -> str | None:
    """One verdict for a job from its measurements' (``verdicts``): fail > near > pass, None
    when the job had no limits; a measurement with no data counts as fail."""
    found = [str(m.get("verdict") or m.get("status")) for m in measurements]
    if not found:
        return None
    return worst_verdict("fail" if v == "no_data" else v for v in found)


def limits_data(spec: Mapping[str, Limit]) -> dict[str, dict[str, object]]:
    """Limits as a scenario's ``spec:`` writes them (``parse_spec`` reads this back): what the
    store keeps with a job so that a resume is judged by the same limits."""
    out: dict[str, dict[str, object]] = {}
    for name, limit in spec.items():
        body: dict[str, object] = {
            k: v for k, v in (("min", limit.bounds.min), ("max", limit.bounds.max)) if v is not None
        }
        corners = {
            c: {k: v for k, v in (("min", b.min), ("max", b.max)) if v is not None}
            for c, b in limit.corners.items()
        }
        if corners:
            body["corners"] = corners
        out[name] = body
    return out


# --- pass / near / fail at a point (ADE's "nearly met") ------------------------------------------
NEAR_DEFAULT = 0.05
POINT_VERDICTS = ("pass", "near", "fail")


def near_band(bounds: Bounds, fraction: float = NEAR_DEFAULT) -> float:
    """How close to a limit counts as near: ``fraction`` of the limit span when both limits
    are set, else of the one limit's magnitude."""
    if bounds.min is not None and bounds.max is not None and bounds.max > bounds.min:
        return fraction * (bounds.max - bounds.min)
    limit = bounds.min if bounds.min is not None else bounds.max
    return fraction * abs(limit) if limit is not None else 0.0


def point_verdict(
    bounds: Bounds, value: float | None, fraction: float = NEAR_DEFAULT
) -> tuple[str, float]:
    """(pass | near | fail, margin) of one value: fail outside the limits (or failed), near
    inside but within ``near_band`` of a limit, pass otherwise."""
    m = margin(bounds, value)
    if m < 0:
        return "fail", m
    return ("near" if m <= near_band(bounds, fraction) else "pass"), m


def worst_verdict(statuses: Iterable[str]) -> str:
    """The worst of several point verdicts (fail > near > pass); pass when there are none."""
    found = set(statuses)
    return next((v for v in ("fail", "near") if v in found), "pass")


def stored_limits(rows: Iterable[Mapping[str, object]]) -> dict[str, Limit]:
    """Limits from the store's spec rows (``name``, ``lo``, ``hi``): the bounds every face
    judges a stored job's points by (per-corner overrides are not stored)."""
    out = {}
    for r in rows:
        lo, hi = r.get("lo"), r.get("hi")
        if lo is None and hi is None:
            continue
        out[str(r["name"])] = Limit(
            str(r["name"]),
            Bounds(None if lo is None else float(lo), None if hi is None else float(hi)),  # type: ignore[arg-type]
        )
    return out


@dataclass(frozen=True)
class Judgement:
    """A measurement judged at every point: the worst verdict, how many points are near or
    fail, the smallest margin and the index of the point that gave it (None: no point)."""

    verdict: str
    n_near: int
    n_fail: int
    margin: float | None
    worst: int | None
    verdicts: tuple[tuple[str, float], ...]


def judge(
    limit: Limit, cells: Iterable[tuple[str, float | None]], fraction: float = NEAR_DEFAULT
) -> Judgement:
    """Judge (corner, value) pairs, in point order, by the limit's bounds for each corner."""
    verdicts = tuple(point_verdict(limit.for_corner(c), v, fraction) for c, v in cells)
    if not verdicts:
        return Judgement("no_data", 0, 0, None, None, ())
    worst = min(range(len(verdicts)), key=lambda i: verdicts[i][1])
    names = [v for v, _ in verdicts]
    return Judgement(
        worst_verdict(names),
        names.count("near"),
        names.count("fail"),
        verdicts[worst][1],
        worst,
        verdicts,
    )
