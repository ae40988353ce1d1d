"""The bench summary's protocol: how `make bench` (bench/perf.py) collects the figures of
every bench module in one run.

A bench module (``bench/<name>.py``) that has a figure for the summary defines

    def figures() -> list[Figure | dict]:

which runs its measurement (printing its own table as it goes) and returns one row per
figure: ``name`` (what is measured), ``value`` (the measurement, with its unit when text),
``target`` (the bar, e.g. "<= 1.03"; numbers mean "at most"), ``passed`` (True / False, or
None for a figure shown for information) and optionally ``detail`` (one line: the raw
numbers behind it, the load). A dict with those keys is accepted as well as a ``Figure``.
`perf.py` finds the modules by that function, calls each once (``--skip <name>`` leaves one
out) and prints every row with PASS/FAIL; the bench fails when any figure fails.
Measure side by side in one run (A/B interleaved, medians), never against a stored number.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
# Not figure providers: the driver, this protocol, helpers.
NOT_MODULES = {"perf", "figures", "procwatch"}


@dataclass(frozen=True)
class Figure:
    name: str
    value: Any
    target: Any
    passed: bool | None
    detail: str = ""

    @property
    def result(self) -> str:
        return "info" if self.passed is None else ("PASS" if self.passed else "FAIL")


def as_figure(row: Figure | Mapping[str, Any]) -> Figure:
    if isinstance(row, Figure):
        return row
    return Figure(
        str(row["name"]), row["value"], row.get("target", "info"), row.get("passed"),
        str(row.get("detail", "")),
    )  # fmt: skip


def text(value: Any, target: bool = False) -> str:
    if isinstance(value, float):
        return f"{'<= ' if target else ''}{value:.3f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{'<= ' if target else ''}{value}"
    return str(value)


def providers(skip: Iterable[str] = ()) -> dict[str, Callable[[], list[Any]]]:
    """name -> figures() of every bench module that has one, in name order."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    out = {}
    for path in sorted(BENCH.glob("*.py")):
        name = path.stem
        if name in NOT_MODULES or name in set(skip):
            continue
        if "def figures(" not in path.read_text(encoding="utf-8"):
            continue  # imported only when it provides figures
        fn = getattr(importlib.import_module(name), "figures", None)
        if callable(fn):
            out[name] = fn
    return out


def collect(skip: Iterable[str] = ()) -> list[Figure]:
    rows: list[Figure] = []
    for name, fn in providers(skip).items():
        print(f"\n== {name}.figures()", flush=True)
        rows.extend(as_figure(r) for r in fn())
    return rows


def print_summary(rows: Iterable[Figure]) -> bool:
    """The table; True when no figure failed."""
    rows = list(rows)
    print(f"{'figure':<56} {'measured':>22} {'target':>14}  result")
    for r in rows:
        print(f"{r.name:<56} {text(r.value):>22} {text(r.target, True):>14}  {r.result}")
        if r.detail:
            print(f"    {r.detail}")
    return all(r.passed is not False for r in rows)


def load() -> str:
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
