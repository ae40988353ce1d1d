"""ngspice raw files (the kept waveforms of docs/core.md "Kept waveforms"), binary and ascii.

A raw file is one or more plots, each a text header (``Title:``, ``Date:``, ``Plotname:``,
``Flags: real|complex``, ``No. Variables:``, ``No. Points:``, ``Variables:`` with one
``<index> <name> <type>`` line per vector) followed by ``Binary:`` (points x variables
little-endian doubles, two per value when complex) or ``Values:`` (per point its index then
one value per line, ``re,im`` when complex). The first vector is the scale (time, frequency):
real (ngspice writes garbage as a complex scale's imaginary part); the other vectors of a
complex plot are read as their magnitude.

Any file that is not that (a wrong header, counts that do not fit the bytes, a truncated
table, a count beyond the limits below) is a ``ResultError`` naming the file and the line or
byte, never another exception and never an allocation sized by the file's own claims.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path

from wkpup_harness.errors import ResultError

MAX_BYTES = 64 * 1024 * 1024  # the core drops waveforms over 8 MiB (PAIHO_WAVE_MAX_BYTES)
MAX_VARIABLES = 10_000
MAX_HEADER_LINES = MAX_VARIABLES + 64
DOUBLE = 8
# ngspice's vector types -> the unit of their values
TYPE_UNITS = {
    "time": "s",
    "voltage": "V",
    "current": "A",
    "frequency": "Hz",
    "impedance": "Ω",
    "admittance": "S",
    "power": "W",
    "temp-sweep": "°C",
}


@dataclass(frozen=True)
class Vector:
    name: str
    kind: str  # ngspice's type word: time, voltage, current, ...
    values: tuple[float, ...]  # the real part, or the magnitude of a complex vector

    @property
    def unit(self) -> str:
        return TYPE_UNITS.get(self.kind, "")


@dataclass(frozen=True)
class Plot:
    title: str
    plotname: str
    complex: bool
    vectors: tuple[Vector, ...]  # vectors[0] is the scale

    @property
    def scale(self) -> Vector:
        return self.vectors[0]

    def vector(self, name: str) -> Vector | None:
        return next((v for v in self.vectors if v.name == name), None)


class _Reader:
    """A cursor over the file's bytes."""

    def __init__(self, data: bytes, source: str) -> None:
        self.data = data
        self.pos = 0
        self.line_no = 0
        self.source = source

    def fail(self, problem: str) -> ResultError:
        return ResultError(f"{self.source}: line {self.line_no}: {problem}")

    def at_end(self) -> bool:
        return self.data[self.pos :].strip() == b""

    def line(self) -> str:
        end = self.data.find(b"\n", self.pos)
        if end < 0:
            end = len(self.data)
        raw = self.data[self.pos : end]
        self.pos = end + 1
        self.line_no += 1
        try:
            return raw.decode("ascii").rstrip("\r")
        except UnicodeDecodeError:
            raise self.fail("not text where the header is expected") from None


def _count(reader: _Reader, text: str, what: str, limit: int) -> int:
    try:
        n = int(text.strip())
    except ValueError:
        raise reader.fail(f"{what} {text.strip()[:40]!r} is not a whole number") from None
    if not 0 < n <= limit:
        raise reader.fail(f"{what} {n} outside 1..{limit}")
    return n


def _header(reader: _Reader) -> dict[str, str]:
    """The ``key: value`` lines up to ``Variables:`` (title, plot name, flags, counts)."""
    fields: dict[str, str] = {}
    while True:
        if reader.pos >= len(reader.data):
            raise reader.fail("the file ends before 'Variables:'")
        text = reader.line()
        key, sep, value = text.partition(":")
        if not sep:
            raise reader.fail(f"expected 'key: value', got {text[:60]!r}")
        key = key.strip()
        if key == "Variables":
            break
        fields[key] = value.strip()
        if len(fields) > 32:
            raise reader.fail("more than 32 header lines before 'Variables:'")
    for key in ("Plotname", "Flags", "No. Variables", "No. Points"):
        if key not in fields:
            raise reader.fail(f"no '{key}:' line in the header")
    return fields


def _variables(reader: _Reader, n: int) -> list[tuple[str, str]]:
    out = []
    for i in range(n):
        parts = reader.line().split()
        if len(parts) < 3 or parts[0] != str(i):
            raise reader.fail(f"expected variable {i} as '<index> <name> <type>'")
        out.append((parts[1], parts[2]))
    return out


def _binary(reader: _Reader, n_vars: int, n_points: int, is_complex: bool) -> list[list[float]]:
    width = 2 if is_complex else 1
    size = n_vars * n_points * width * DOUBLE
    if reader.pos + size > len(reader.data):
        raise ResultError(
            f"{reader.source}: binary data truncated: {n_points} points x {n_vars} vectors "
            f"need {size} bytes after byte {reader.pos}, the file has "
            f"{len(reader.data) - reader.pos}"
        )
    flat = struct.unpack_from(f"<{n_vars * n_points * width}d", reader.data, reader.pos)
    reader.pos += size
    step = n_vars * width
    if not is_complex:
        return [list(flat[v::step]) for v in range(n_vars)]
    parts = [(flat[2 * v :: step], flat[2 * v + 1 :: step]) for v in range(1, n_vars)]
    scale = list(flat[0::step])  # the scale is real: ngspice leaves its imaginary part unset
    return [scale] + [[math.hypot(r, i) for r, i in zip(re_, im, strict=True)] for re_, im in parts]


def _ascii_value(reader: _Reader, text: str, is_complex: bool, scale: bool) -> float:
    try:
        if is_complex:
            re_, _, im = text.partition(",")
            return float(re_) if scale else math.hypot(float(re_), float(im or 0))
        return float(text)
    except ValueError:
        raise reader.fail(f"{text[:40]!r} is not a number") from None


def _ascii(reader: _Reader, n_vars: int, n_points: int, is_complex: bool) -> list[list[float]]:
    # each value takes at least two bytes: a file too short for its counts is refused first
    if (n_vars * n_points) * 2 > len(reader.data) - reader.pos:
        raise ResultError(
            f"{reader.source}: ascii data truncated: {n_points} points x {n_vars} vectors "
            "do not fit in the rest of the file"
        )
    cols: list[list[float]] = [[] for _ in range(n_vars)]
    for p in range(n_points):
        for v in range(n_vars):
            if reader.pos >= len(reader.data):
                raise reader.fail(f"ascii data truncated at point {p} of {n_points}")
            parts = reader.line().split()
            if v == 0:
                if len(parts) != 2 or parts[0] != str(p):
                    raise reader.fail(f"expected '{p} <value>' for point {p}")
                parts = parts[1:]
            if len(parts) != 1:
                raise reader.fail(f"expected one value of vector {v} at point {p}")
            cols[v].append(_ascii_value(reader, parts[0], is_complex, v == 0))
    return cols


def _plot(reader: _Reader) -> Plot:
    fields = _header(reader)
    n_vars = _count(reader, fields["No. Variables"], "No. Variables", MAX_VARIABLES)
    n_points = _count(reader, fields["No. Points"], "No. Points", MAX_BYTES // DOUBLE)
    flags = fields["Flags"].split()
    is_complex = "complex" in flags
    names = _variables(reader, n_vars)
    marker = reader.line().strip()
    if marker == "Binary:":
        cols = _binary(reader, n_vars, n_points, is_complex)
    elif marker == "Values:":
        cols = _ascii(reader, n_vars, n_points, is_complex)
    else:
        raise reader.fail(f"expected 'Binary:' or 'Values:', got {marker[:40]!r}")
    vectors = tuple(
        Vector(name, kind, tuple(col)) for (name, kind), col in zip(names, cols, strict=True)
    )
    return Plot(fields.get("Title", ""), fields["Plotname"], is_complex, vectors)


def parse_raw(data: bytes, source: str = "<rawfile>") -> tuple[Plot, ...]:
    """Every plot of a raw file's bytes, in file order."""
    if len(data) > MAX_BYTES:
        raise ResultError(f"{source}: {len(data)} bytes; raw files over {MAX_BYTES} are refused")
    if not data.startswith(b"Title:"):
        raise ResultError(f"{source}: not an ngspice raw file (it does not start with 'Title:')")
    reader = _Reader(data, source)
    plots = []
    while not reader.at_end():
        plots.append(_plot(reader))
    return tuple(plots)


def read_raw(path: Path | str) -> tuple[Plot, ...]:
    """The plots of the raw file at ``path`` (``ResultError`` when it is not one)."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise ResultError(f"{p.name}: {size} bytes; raw files over {MAX_BYTES} are refused")
        data = p.read_bytes()
    except OSError as e:
        raise ResultError(f"{p.name}: cannot read: {e.strerror}") from None
    return parse_raw(data, p.name)
