"""The unit of a measurement, from its name, for every table and plot axis (web, export).

The real measurement names say what they are: ``i*`` currents (A), ``r*`` resistances (Ω),
``v*`` voltages (V), ``del*`` / ``t*`` delays and times (s). Anything else has no unit.
"""

from __future__ import annotations

UNITS: tuple[tuple[str, str], ...] = (
    ("del", "s"),
    ("i", "A"),
    ("r", "Ω"),
    ("v", "V"),
    ("t", "s"),
)
NO_UNIT = ("temper", "alter#")


def unit(name: str) -> str:
    """``ioh`` -> ``A``, ``rwkpull0`` -> ``Ω``, ``vwkp_drop`` -> ``V``, ``del_rr`` -> ``s``."""
    low = name.lower()
    if low in NO_UNIT:
        return ""
    return next((u for prefix, u in UNITS if low.startswith(prefix)), "")


def with_unit(name: str) -> str:
    """``rwkpull0 (Ω)``: an axis or column title."""
    u = unit(name)
    return f"{name} ({u})" if u else name
