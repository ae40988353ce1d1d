"""The one PVT-point type: a corner, an extraction, a temperature token and the supply levels.

Config enumeration (``Config.points``), result parsing (``report_<name>.txt``, creport rows)
and run status (the engine's per-point results) all speak of points through this class, so a
point has one name (``TT_typical_m40_v1min_v2max``), one directory below the domain
(``TT/typical/typical_m40/v1min_v2max``) and one human label
(``TT typical -40C min/max``) everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

TEMP_TOKENS: Mapping[str, int] = {"m40": -40, "125": 125, "85": 85, "100": 100}
VT_PART = re.compile(r"v([123])(min|max|nom)")


def vt_token(levels: Sequence[str]) -> str:
    """``("min", "max")`` -> ``v1min_v2max``."""
    return "_".join(f"v{i}{lv}" for i, lv in enumerate(levels, start=1))


def levels_of(vt: str) -> tuple[str, ...]:
    """``v1min_v2max`` -> ``("min", "max")``; ValueError for anything else."""
    out = []
    for i, part in enumerate(vt.split("_"), start=1):
        m = VT_PART.fullmatch(part)
        if m is None or int(m.group(1)) != i:
            raise ValueError(f"{vt!r}: not a v1<level>[_v2<level>[_v3<level>]] token")
        out.append(m.group(2))
    return tuple(out)


def temp_token(temperature: int) -> str:
    """-40 -> ``m40``; 125 -> ``125``."""
    return "m40" if temperature == -40 else str(temperature)


@dataclass(frozen=True, order=False)
class Point:
    corner: str
    extraction: str
    temp_token: str  # m40 | 125 | 85 | 100
    levels: tuple[str, ...]  # min | nom | max per swept supply

    @classmethod
    def from_vt(cls, corner: str, extraction: str, temp_token: str, vt: str) -> Point:
        return cls(corner, extraction, temp_token, levels_of(vt))

    @property
    def vt(self) -> str:
        return vt_token(self.levels)

    @property
    def temperature(self) -> int:
        return TEMP_TOKENS[self.temp_token]

    @property
    def name(self) -> str:
        """``<CORNER>_<EX>_<Ttok>_<vt>``, as in ``report_<name>.txt``."""
        return f"{self.corner}_{self.extraction}_{self.temp_token}_{self.vt}"

    # the name the report files carry (kept for readers of report_<stem>.txt)
    stem = name

    @property
    def directory(self) -> str:
        """The point's directory below the domain."""
        return f"{self.corner}/{self.extraction}/{self.extraction}_{self.temp_token}/{self.vt}"

    @property
    def label(self) -> str:
        """``TT typical -40C min/max``: how tables and messages name a point."""
        return label(self.corner, self.extraction, self.temperature, self.levels)

    def core_line(self) -> str:
        """The line the core's ``pvt_points`` prints for this point (docs/core.md)."""
        levels = list(self.levels) + ["NA"] * (3 - len(self.levels))
        return " ".join([self.corner, self.extraction, self.temp_token, self.vt, *levels])


def label(
    corner: str,
    extraction: str,
    temperature: int | str,
    levels: Sequence[str | None],
    swp: str | None = None,
    *,
    named: bool = False,
) -> str:
    """The one point label: ``SSG typical -40C max/min`` (+ `` <swp>`` in alter mode); with
    ``named``, each supply spelt out: ``SSG typical -40C v1=max v2=min swp=<swp>`` (diffs)."""
    lv = [v for v in levels if v is not None]
    if named:
        volts = " ".join(f"v{i}={v}" for i, v in enumerate(lv, start=1))
        return f"{corner} {extraction} {temperature}C {volts}" + (f" swp={swp}" if swp else "")
    tail = f" {swp}" if swp else ""
    return f"{corner} {extraction} {temperature}C {'/'.join(lv)}{tail}"


@dataclass(frozen=True)
class SamplePoint(Point):
    """A Monte Carlo sample (ours, docs/montecarlo.md): one simulation of the PVT point it
    carries, with its own seed, in ``mc/<CORNER>_<EX>/<Ttok>_<vt>/s<index>`` (the core's
    ``mc gen`` writes it; the depth of a point directory, so the netlist's includes resolve
    alike). ``index`` runs 1.. over the job's samples; samples of one seed are one part."""

    index: int = 0
    seed: int = 0

    @property
    def pvt(self) -> Point:
        return Point(self.corner, self.extraction, self.temp_token, self.levels)

    @property
    def name(self) -> str:
        return f"mc_s{self.index}"

    @property
    def directory(self) -> str:
        return f"mc/{self.corner}_{self.extraction}/{self.temp_token}_{self.vt}/s{self.index}"

    @property
    def label(self) -> str:
        return f"sample {self.index} (seed {self.seed}) at {self.pvt.label}"

    def status_line(self, state: str, elapsed: float) -> str:
        """The core's ``mc/mc_log.txt`` line of this sample."""
        return (
            f"s{self.index} seed={self.seed} {self.corner} {self.extraction} {self.temp_token}"
            f" {self.vt} {state} {elapsed:.2f}s"
        )
