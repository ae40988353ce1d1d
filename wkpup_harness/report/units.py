"""Units and the one number format of every table, CSV header, report and plot axis (CLI,
export, web).

The unit of a measurement comes from its name: the real measurement names say what they are:
``i*`` currents (A), ``r*`` resistances (Ω), ``v*`` voltages (V), ``del*`` / ``t*`` delays
and times (s); a measurement whose name says nothing (``dcd``, gpio_tx's duty-cycle
distortion, a difference of two delays) is named in ``EXACT`` with the unit its domain
documents (docs/domains.md). Every ``.meas`` of every domain template has a unit
(tests/test_ops.py reads them); the creport's bookkeeping columns have none.

Numbers shown to people are written by ``number`` (``%.6g``: six significant digits, the
exponent form for very small or large values, no trailing zeros); the web page's ``fmt``
(static/app.js) writes the same text. Data meant for programs (CSV ``value``, ``--json``)
keeps every digit.
"""

from __future__ import annotations

import math

UNITS: tuple[tuple[str, str], ...] = (
    ("del", "s"),
    ("i", "A"),
    ("r", "Ω"),
    ("v", "V"),
    ("t", "s"),
)
EXACT = {"dcd": "s"}
NO_UNIT = ("temper", "alter#")
DIGITS = 6
MISSING = "-"
KIB_PER_MIB = 1024


def unit(name: str) -> str:
    """``ioh`` -> ``A``, ``rwkpull0`` -> ``Ω``, ``vwkp_drop`` -> ``V``, ``del_rr`` -> ``s``."""
    low = name.lower()
    if low in NO_UNIT:
        return ""
    if low in EXACT:
        return EXACT[low]
    return next((u for prefix, u in UNITS if low.startswith(prefix)), "")


def with_unit(name: str) -> str:
    """``rwkpull0 (Ω)``: an axis or column title."""
    u = unit(name)
    return f"{name} ({u})" if u else name


def number(value: float | None, digits: int = DIGITS) -> str:
    """``1.23457e-05``, ``0.001``, ``-inf``: the one format of a number in a table or a
    report ('-' when there is none)."""
    if value is None:
        return MISSING
    if math.isinf(value):
        return "+inf" if value > 0 else "-inf"
    return f"{value:.{digits}g}"


def mib(kib: float | None) -> float | None:
    """KiB (what the kernel reports for memory) in MiB (what tables show)."""
    return None if kib is None else kib / KIB_PER_MIB


def quantity(value: float | None, unit_name: str, digits: int = DIGITS) -> str:
    """``12.3 s``, ``45.1 MiB``: a number with its unit ('-' when there is none)."""
    if value is None:
        return MISSING
    text = number(value, digits)
    return f"{text} {unit_name}" if unit_name else text
