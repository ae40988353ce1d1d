"""``report/mcreport.txt``, the Monte Carlo report of a job (ours: the real flow has none; the
core's ``mc ext`` writes it, ``pai_ho_core/ver03/montecarlo/mc_report.pl``; docs/montecarlo.md
"mcreport.txt"). The one parser of the format:

    mc_kind: mismatch
    mc_seed: 1
    mc_samples: 200                 (samples per point)
    mc_at: worst
    mc_points: 3
    <empty line>
    sample<TAB>seed<TAB>process<TAB>extract<TAB>temp<TAB>v1[<TAB>v2[<TAB>v3]]<TAB><names>
    <one row per sample: index, seed, the point's creport columns, each value or `failed`>

Anything else is a ``ResultError`` of one line naming the file and the line: a file over
64 MiB, a non-ASCII byte, a header key missing or out of order, a row of the wrong width, an
index not 1, 2, 3 ... in order, a temperature or level the core does not write, a value that
is neither a number nor ``failed``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from wkpup_harness.errors import ResultError
from wkpup_harness.inputs import InputError, read_input, show
from wkpup_harness.points import SamplePoint
from wkpup_harness.results.mcstats import LimitPair, Sample
from wkpup_harness.results.spec import Limit

MAX_BYTES = 64 * 1024 * 1024
HEADER_KEYS = ("mc_kind", "mc_seed", "mc_samples", "mc_at", "mc_points")
KINDS = ("mismatch", "process+mismatch")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.#]*")
CORNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_]*")
NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
TEMPS = {"-40": "m40", "125": "125", "85": "85", "100": "100"}
LEVELS = ("min", "nom", "max")


@dataclass(frozen=True)
class McReport:
    kind: str
    seed: int
    samples_per_point: int
    at: str
    n_points: int
    names: tuple[str, ...]
    samples: tuple[SamplePoint, ...]  # one per row, in order
    values: tuple[tuple[float | None, ...], ...]  # per row, per name (None: failed)
    raw: tuple[tuple[str, ...], ...]  # the values as written

    def stat_samples(self) -> list[Sample]:
        """The rows as ``mcstats.Sample`` (point: the PVT point's name)."""
        return [
            Sample(s.index, s.seed, s.pvt.name, dict(zip(self.names, vals, strict=True)))
            for s, vals in zip(self.samples, self.values, strict=True)
        ]

    def corners(self) -> dict[str, str]:
        """The corner of each sampled PVT point, by the point's name."""
        return {s.pvt.name: s.corner for s in self.samples}


def _fail(path: str, line: int | None, problem: str) -> ResultError:
    where = f"{path}:{line}" if line is not None else path
    return ResultError(f"{where}: {problem}")


def _header(path: str, lines: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for n, key in enumerate(HEADER_KEYS, start=1):
        if n > len(lines) or not lines[n - 1].startswith(f"{key}: "):
            raise _fail(path, n, f"expected '{key}: <value>' (mcreport.txt header)")
        out[key] = lines[n - 1][len(key) + 2 :]
    for key in ("mc_seed", "mc_samples", "mc_points"):
        if not out[key].isdigit() or len(out[key]) > 9:
            raise _fail(path, HEADER_KEYS.index(key) + 1, f"{key}: {show(out[key])} not an integer")
    if out["mc_kind"] not in KINDS:
        raise _fail(path, 1, f"mc_kind: {show(out['mc_kind'])} not one of {', '.join(KINDS)}")
    if len(lines) < 7 or lines[5] != "":
        raise _fail(path, 6, "expected an empty line after the header")
    return out


def _columns(path: str, line: str) -> tuple[int, tuple[str, ...]]:
    cols = line.split("\t")
    nv = 0
    while nv < 3 and len(cols) > 5 + nv and cols[5 + nv] == f"v{nv + 1}":
        nv += 1
    if cols[:5] != ["sample", "seed", "process", "extract", "temp"] or nv == 0:
        raise _fail(path, 7, "expected 'sample seed process extract temp v1 ...' columns")
    names = tuple(cols[5 + nv :])
    bad = next((c for c in names if NAME.fullmatch(c) is None), None)
    if bad is not None or len(set(names)) != len(names) or not names:
        raise _fail(path, 7, f"measurement names: {show(bad or ' '.join(names))} not valid")
    return nv, names


def _row(path: str, n: int, line: str, nv: int, names: tuple[str, ...], expect: int):
    f = line.split("\t")
    if len(f) != 5 + nv + len(names):
        raise _fail(path, n, f"{len(f)} fields, expected {5 + nv + len(names)}")
    index, seed, corner, ex, temp = f[:5]
    if index != str(expect):
        raise _fail(path, n, f"sample {show(index)}, expected {expect}")
    if not seed.isdigit() or len(seed) > 10:
        raise _fail(path, n, f"seed {show(seed)} not an integer")
    levels = tuple(f[5 : 5 + nv])
    if (
        CORNER.fullmatch(corner) is None
        or CORNER.fullmatch(ex) is None
        or temp not in TEMPS
        or any(lv not in LEVELS for lv in levels)
    ):
        raise _fail(path, n, f"PVT point {show(' '.join(f[: 5 + nv]))} not valid")
    raw = tuple(f[5 + nv :])
    values: list[float | None] = []
    for text in raw:
        if text == "failed":
            values.append(None)
        elif NUMBER.fullmatch(text) and math.isfinite(float(text)):
            values.append(float(text))
        else:
            raise _fail(path, n, f"value {show(text)} is neither a number nor 'failed'")
    sample = SamplePoint(corner, ex, TEMPS[temp], levels, int(index), int(seed))
    return sample, tuple(values), raw


def parse_mcreport(data: bytes | str, path: str = "mcreport.txt") -> McReport:
    """An mcreport.txt's text, checked (ResultError, one line, otherwise)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("ascii")
        except UnicodeDecodeError:
            raise _fail(path, None, "not ASCII text") from None
    if not data.endswith("\n") or "\r" in data or "\0" in data:
        raise _fail(path, None, "not an mcreport.txt (LF-terminated lines, no CR or NUL)")
    lines = data[:-1].split("\n")
    head = _header(path, lines)
    nv, names = _columns(path, lines[6])
    samples, values, raw = [], [], []
    for n, line in enumerate(lines[7:], start=8):
        sample, vals, text = _row(path, n, line, nv, names, len(samples) + 1)
        samples.append(sample)
        values.append(vals)
        raw.append(text)
    points = {s.pvt for s in samples}
    if len(points) != int(head["mc_points"]):
        raise _fail(path, 5, f"mc_points {head['mc_points']}, the rows hold {len(points)}")
    return McReport(
        kind=head["mc_kind"],
        seed=int(head["mc_seed"]),
        samples_per_point=int(head["mc_samples"]),
        at=head["mc_at"],
        n_points=len(points),
        names=names,
        samples=tuple(samples),
        values=tuple(values),
        raw=tuple(raw),
    )


def read_mcreport(path: Path | str) -> McReport:
    """The mcreport.txt at ``path`` (a regular file of at most 64 MiB)."""
    try:
        data = read_input(path, "mcreport.txt", limit=MAX_BYTES)
    except InputError as exc:
        raise ResultError(str(exc)) from None
    return parse_mcreport(data, str(path))


def limit_pairs(
    spec: Mapping[str, Limit], corners: Mapping[str, str]
) -> dict[str | tuple[str, str], LimitPair]:
    """The spec's limits in ``mcstats.summarize``'s form: (min, max) per measurement, and
    per (measurement, point) where a per-corner override applies (``corners``: the corner
    of each PVT point, by name)."""
    out: dict[str | tuple[str, str], LimitPair] = {}
    for name, limit in spec.items():
        out[name] = (limit.bounds.min, limit.bounds.max)
        for point, corner in corners.items():
            b = limit.for_corner(corner)
            if b != limit.bounds:
                out[(name, point)] = (b.min, b.max)
    return out
