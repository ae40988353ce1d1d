"""Worst-case summary of a creport.txt: for every measurement, its minimum and maximum over
all PVT points and the point that gave each, plus the points that failed.

    python -m wkpup_harness.report.summary <creport.txt>
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from tabulate import tabulate

from wkpup_harness.errors import WkpupError
from wkpup_harness.report.units import eng, unit
from wkpup_harness.results import Creport, CreportRow, read_creport

# The simulator appends these to every measure file; they are conditions, not results.
BOOKKEEPING = ("temper", "alter#")


@dataclass(frozen=True)
class Extreme:
    name: str
    low: float
    low_row: CreportRow
    high: float
    high_row: CreportRow
    failed: int


def extremes(report: Creport) -> list[Extreme]:
    out = []
    for name in report.names:
        if name in BOOKKEEPING:
            continue
        seen = [(row.cells[name].value, row) for row in report.rows if name in row.cells]
        good = [(v, row) for v, row in seen if v is not None]
        failed = len(report.rows) - len(good)
        if not good:
            continue
        low = min(good, key=lambda item: item[0])
        high = max(good, key=lambda item: item[0])
        out.append(Extreme(name, low[0], low[1], high[0], high[1], failed))
    return out


def render(report: Creport) -> str:
    table = [
        [
            e.name,
            unit(e.name),
            eng(e.low, unit(e.name)),
            e.low_row.label,
            eng(e.high, unit(e.name)),
            e.high_row.label,
        ]
        + ([e.failed] if any(x.failed for x in extremes(report)) else [])
        for e in extremes(report)
    ]
    headers = ["measurement", "unit", "min", "at", "max", "at"]
    if table and len(table[0]) == 7:
        headers.append("failed")
    failed_rows = [r for r in report.rows if all(c.value is None for c in r.cells.values())]
    lines = [
        f"{len(report.rows)} PVT points, {len(report.names)} measurement columns",
        tabulate(table, headers=headers, tablefmt="github"),
    ]
    if failed_rows:
        lines.append(f"{len(failed_rows)} point(s) FAILED:")
        lines.extend(f"  {r.label}" for r in failed_rows)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m wkpup_harness.report.summary <creport.txt>", file=sys.stderr)
        return 2
    try:
        report = read_creport(Path(args[0]))
    except (OSError, WkpupError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    print(render(report))
    return 1 if any(e.failed for e in extremes(report)) else 0


if __name__ == "__main__":
    sys.exit(main())
