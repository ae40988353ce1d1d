"""Units and the one number format of every table, CSV header, report and plot axis (CLI,
export, web).

The unit of a measurement comes from its name: the real measurement names say what they are:
``i*`` currents (A), ``r*`` resistances (Ω), ``v*`` voltages (V), ``del*`` / ``t*`` delays
and times (s); a measurement whose name says nothing (``dcd``, gpio_tx's duty-cycle
distortion, a difference of two delays) is named in ``EXACT`` with the unit its domain
documents (docs/domains.md). Every ``.meas`` of every domain template has a unit
(tests/test_ops.py reads them); the creport's bookkeeping columns have none.

A measurement shown to people is written by ``eng`` (``−336.9 µA``, ``9.517 mV``,
``2.448 kΩ``: SI prefix, four significant digits, the typographic minus), a spec margin by
``margin_text`` (``2.448 kΩ (61.2 %)``); the pages' ``eng`` (static/app.js) writes the same
text. A number without a unit is written by ``number`` (``%.6g``), as the pages' ``fmt``.
Data meant for programs (CSV ``value``, ``--json``, the API) keeps every digit.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

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


ENG_UNITS = frozenset({"A", "V", "Ω", "s", "F", "H", "W", "Hz"})
ENG_PREFIX = {-15: "f", -12: "p", -9: "n", -6: "µ", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T"}
ENG_DIGITS = 4
MINUS = "\u2212"
ENG_MIN, ENG_MAX = 1e-15, 1e15


def _mantissa(value: float, e3: int) -> Decimal:
    """``value / 10**e3`` to ENG_DIGITS significant digits, ties away from zero (what
    JavaScript's ``toPrecision`` does), scaled by an exact power of ten."""
    scaled = value * 10**-e3 if e3 < 0 else value / 10**e3
    exact = Decimal(scaled)
    step = Decimal(1).scaleb(exact.adjusted() - ENG_DIGITS + 1)
    return exact.quantize(step, rounding=ROUND_HALF_UP)


def eng(value: float | None, unit_name: str = "") -> str:
    """``−336.9 µA``, ``9.517 mV``, ``2.448 kΩ``: a number shown to people with an SI prefix
    (four significant digits, the typographic minus); a unit that takes no prefix (``°C``,
    ``%``, none) or a magnitude beyond f..T keeps ``number``'s text. The web page's ``eng``
    (static/app.js) writes the same text (tests/test_units_eng.py runs both)."""
    if value is None:
        return MISSING
    suffix = f" {unit_name}" if unit_name else ""
    if math.isnan(value):
        return "nan" + suffix
    if math.isinf(value):
        return ("+inf" if value > 0 else "-inf") + suffix
    if value == 0:  # -0.0 too: a sign on zero says nothing to a reader
        return f"0{suffix}"
    if unit_name not in ENG_UNITS or not ENG_MIN <= abs(value) < ENG_MAX:
        return number(value) + suffix
    e3 = 3 * math.floor(math.log10(abs(value)) / 3)
    mant = _mantissa(value, e3)
    if abs(mant) >= 1000 and e3 < max(ENG_PREFIX):
        e3 += 3
        mant = _mantissa(value, e3)
    elif abs(mant) < 1 and e3 > min(ENG_PREFIX):  # log10 just below a power of 1000
        e3 -= 3
        mant = _mantissa(value, e3)
    text = format(mant.normalize(), "f")
    return f"{text.replace('-', MINUS)} {ENG_PREFIX[e3]}{unit_name}"


def margin_text(margin: float | None, percent: float | None, unit_name: str) -> str:
    """``2.448 kΩ (61.2 %)``: a spec margin and its percent of the limit it is measured
    from (the job page writes the same text)."""
    if margin is None:
        return MISSING
    text = "failed" if math.isinf(margin) and margin < 0 else eng(margin, unit_name)
    return text if percent is None else f"{text} ({percent:.1f} %)"


def mib(kib: float | None) -> float | None:
    """KiB (what the kernel reports for memory) in MiB (what tables show)."""
    return None if kib is None else kib / KIB_PER_MIB


def quantity(value: float | None, unit_name: str, digits: int = DIGITS) -> str:
    """``12.3 s``, ``45.1 MiB``: a number with its unit ('-' when there is none)."""
    if value is None:
        return MISSING
    text = number(value, digits)
    return f"{text} {unit_name}" if unit_name else text
