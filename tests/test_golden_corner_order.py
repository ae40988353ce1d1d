"""The corners of the goldens mean what their names say (issue #17, F28): in the 92-point
goldens of the three pull-up domains, rwkpull0 orders SSG > TT > FFG (slow silicon, weak
pull-up) and FFG_SSG > TT > SSG_FFG (the pull-up is a PMOS: N fast / P slow with high R is
weak, N slow / P fast with low R strong) at every (temperature, supplies) row of the nine
corners; FSG > TT > SFG the same way (P slow / P fast). Reads the goldens only."""

from __future__ import annotations

from collections import defaultdict

import pytest
from coreutil import REPO

from wkpup_harness.results import read_creport

PULLUP_GOLDENS = ("gpio/wkpup_1p8v", "i3c/wkpup_1p8v", "gpio/wkpup_3p3v")
CORNERS = {"TT", "FSG", "SFG", "FFG", "FFAG", "SSG", "SSAG", "FFG_SSG", "SSG_FFG"}


def rows_by_condition(scenario: str, job: str, name: str) -> dict[tuple, dict[str, float]]:
    creport = read_creport(REPO / "golden" / scenario / job / "creport.txt")
    out: dict[tuple, dict[str, float]] = defaultdict(dict)
    for row in creport.rows:
        key = (row.extraction, row.temperature, row.levels)
        assert row.corner not in out[key], row.label
        value = row.cells[name].value
        assert value is not None, row.label
        out[key][row.corner] = value
    return out


@pytest.mark.parametrize("scenario", PULLUP_GOLDENS)
def test_pullup_corner_order_at_every_row(scenario):
    groups = rows_by_condition(scenario, "perf_full", "rwkpull0")
    full = {k: r for k, r in groups.items() if set(r) == CORNERS}
    # -40 and 125 C x 5 supply combos, every one with the nine corners (85/100 C are TT only)
    assert len(full) == 10, sorted(groups)
    assert sum(len(r) for r in groups.values()) == 92
    for key, r in full.items():
        assert r["SSG"] > r["TT"] > r["FFG"], (scenario, key, r)
        assert r["FFG_SSG"] > r["TT"] > r["SSG_FFG"], (scenario, key, r)
        assert r["FSG"] > r["TT"] > r["SFG"], (scenario, key, r)
        assert r["SSAG"] > r["TT"] > r["FFAG"], (scenario, key, r)


def test_tx_driver_edges_follow_the_device_of_each_edge():
    """TX driver (gpio_tx polo_full_sweep, typical rows): the rising edge is the output PMOS's,
    the falling edge the output NMOS's, so FSG (N fast / P slow) rises slower and falls faster
    than TT, SFG the reverse, at every (temperature, supply) row."""
    rise = rows_by_condition("gpio_tx/txdrv_1p8v", "polo_full_sweep", "trise")
    fall = rows_by_condition("gpio_tx/txdrv_1p8v", "polo_full_sweep", "tfall")
    keys = [k for k, r in rise.items() if k[0] == "typical" and {"TT", "FSG", "SFG"} <= set(r)]
    assert len(keys) == 6, sorted(rise)  # -40 / 125 C x vccn min, max, nom
    for k in keys:
        r, f = rise[k], fall[k]
        assert r["FSG"] > r["TT"] > r["SFG"], (k, r)
        assert f["FSG"] < f["TT"] < f["SFG"], (k, f)
        assert r["SSG"] > r["TT"] > r["FFG"] and f["SSG"] > f["TT"] > f["FFG"], (k, r, f)
