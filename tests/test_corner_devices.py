"""Each contract corner means what its name says (issue #17, F28), proven by the currents the
core itself simulates: a tiny domain (made here, in tmp_path) whose template measures the drive
current of every device type our domains use, the current of a P+ poly resistor and of a MIM
capacitor, run through the core's own stages (gen -> run -> ext -> srt) at the nine contract
corners, -40 C. Each corner's values are compared with TT's against the literal table below:
the contract's reading of the corner names (first letter NMOS, second PMOS; FFAG/SSAG the
fast/slow extremes with low/high R and C; the cross corners FFG_SSG = NMOS fast / PMOS slow
with high R/C, SSG_FFG the reverse with low R/C). Nothing here reads the core's own corner map.
Real ngspice + SKY130, a few seconds."""

from __future__ import annotations

import os

import pytest
from coreutil import sim_pvt

from wkpup_harness.results import read_creport

# What each contract corner must be, against TT: NMOS and PMOS drive ("fast": more current,
# "slow": less, "typ": the same), R and C ("nom", "high", "low").
CONTRACT = {
    "TT": ("typ", "typ", "nom"),
    "FSG": ("fast", "slow", "nom"),
    "SFG": ("slow", "fast", "nom"),
    "FFG": ("fast", "fast", "nom"),
    "FFAG": ("fast", "fast", "low"),
    "SSG": ("slow", "slow", "nom"),
    "SSAG": ("slow", "slow", "high"),
    "FFG_SSG": ("fast", "slow", "high"),
    "SSG_FFG": ("slow", "fast", "low"),
}
# measurement -> (device, polarity); every device type of domains/ (grep sky130_fd_pr__)
DEVICES = {
    "idn18": ("sky130_fd_pr__nfet_01v8", "n"),
    "idn18l": ("sky130_fd_pr__nfet_01v8_lvt", "n"),
    "idn50": ("sky130_fd_pr__nfet_g5v0d10v5", "n"),
    "idp18": ("sky130_fd_pr__pfet_01v8", "p"),
    "idp18l": ("sky130_fd_pr__pfet_01v8_lvt", "p"),
    "idp50": ("sky130_fd_pr__pfet_g5v0d10v5", "p"),
}
# a corner moves a device's drive by more than this when it is "fast" or "slow" (the SKY130
# corners move Idsat by 5-25 %), and by less when it is "typ" for that polarity
MOVE = 0.02
# the resistor's current follows the fet corner a little (poly CD): "nom" within 2 %, a
# high/low resistor corner moves it by more than 5 %; the MIM capacitor follows only the cap
# corner
R_NOM, R_MOVE = 0.02, 0.05

CONFIG = """mode:prelay
vccn:1p8v
vcctx:vcctx_NA
1st_supply_swp:vccn
2nd_supply_swp:NA
3rd_supply_swp:NA
condition:htol
CPU #:1
MEM [G]:1
alter_extraction:No
alter_string#:11
sim_mode:ac
gs/gf_corner:Yes
vcc_vid:No
simulator:ngspice
"""

# Saturation drive: gate = drain at the device's rail (1.8 V, 3.3 V for the 5 V-oxide devices),
# source and body at 0 (NMOS) or at the rail (PMOS). Fixed literal biases: no generator rule
# touches them, so every corner sees the same bias.
TEMPLATE = """* Drive current of each device type at the corner the generator writes on .lib
.title idsat
.lib "$DP_HSPICE_MODEL" TT
.temp 25

vn18 dn18 0 1.8
xn18 dn18 dn18 0 0 sky130_fd_pr__nfet_01v8 w=1 l=0.15
vn18l dn18l 0 1.8
xn18l dn18l dn18l 0 0 sky130_fd_pr__nfet_01v8_lvt w=1 l=0.15
vn50 dn50 0 3.3
xn50 dn50 dn50 0 0 sky130_fd_pr__nfet_g5v0d10v5 w=1 l=0.5
vp18 sp18 0 1.8
xp18 0 0 sp18 sp18 sky130_fd_pr__pfet_01v8 w=1 l=0.15
vp18l sp18l 0 1.8
xp18l 0 0 sp18l sp18l sky130_fd_pr__pfet_01v8_lvt w=1 l=0.35
vp50 sp50 0 3.3
xp50 0 0 sp50 sp50 sky130_fd_pr__pfet_g5v0d10v5 w=1 l=0.5
* P+ poly resistor (the pull-up legs' res_high_po) at 1 V
vres rr 0 1
xres rr 0 0 sky130_fd_pr__res_high_po w=1.41 l=10
* MIM capacitor charged by a 1 V/us ramp: i = C dV/dt
vcap cc 0 PWL(0 0 1u 1)
xcap cc 0 sky130_fd_pr__cap_mim_m3_1 w=10 l=10

.tran 10n 1u
.meas tran idn18 FIND i(vn18) AT=0.5u
.meas tran idn18l FIND i(vn18l) AT=0.5u
.meas tran idn50 FIND i(vn50) AT=0.5u
.meas tran idp18 FIND i(vp18) AT=0.5u
.meas tran idp18l FIND i(vp18l) AT=0.5u
.meas tran idp50 FIND i(vp50) AT=0.5u
.meas tran ires FIND i(vres) AT=0.5u
.meas tran icap FIND i(vcap) AT=0.5u
.end
"""


@pytest.fixture(scope="module")
def currents(tmp_path_factory) -> dict[str, dict[str, float]]:
    """corner -> measurement -> |current| in A, from the core's creport of the tiny domain."""
    tmp = tmp_path_factory.mktemp("corner_devices")
    domain = tmp / "domain"
    (domain / "template").mkdir(parents=True)
    (domain / "config.cfg").write_text(CONFIG)
    (domain / "template" / "sim_tx.sp").write_text(TEMPLATE)
    env = dict(os.environ, PAIHO_TEMPS="m40", PAIHO_JOBS="2", PAIHO_CACHE=str(tmp / "cache"))
    for stage in ("gen", "run", "ext", "srt"):
        p = sim_pvt(domain, stage, env=env)
        assert p.returncode == 0, (stage, p.stdout[-2000:], p.stderr[-2000:])
    rows = read_creport(domain / "report" / "creport.txt").rows
    out = {}
    for row in rows:
        assert row.temperature == -40 and row.corner not in out, row.label
        values = row.values
        assert all(v is not None for v in values.values()), (row.label, row.raw)
        out[row.corner] = {k: abs(v) for k, v in values.items() if k != "temper"}
    assert sorted(out) == sorted(CONTRACT), sorted(out)
    return out


def relative(currents, corner, name):
    return currents[corner][name] / currents["TT"][name] - 1


def table(currents) -> str:
    names = [*DEVICES, "ires", "icap"]
    lines = ["corner  " + "  ".join(f"{n:>13}" for n in names)]
    for corner in CONTRACT:
        cells = [
            f"{currents[corner][n] * 1e6:7.1f} {100 * relative(currents, corner, n):+5.1f}%"
            for n in names[:-1]
        ]
        dc = 100 * relative(currents, corner, "icap")
        cells.append(f"{currents[corner]['icap'] * 1e9:6.1f}n {dc:+5.1f}%")
        lines.append(f"{corner:8}" + "  ".join(f"{c:>13}" for c in cells))
    return "\n".join(lines)


@pytest.mark.ngspice
@pytest.mark.parametrize("corner", list(CONTRACT))
def test_corner_moves_each_device_type_as_its_name_says(currents, corner):
    nmos, pmos, _rc = CONTRACT[corner]
    for name, (device, polarity) in DEVICES.items():
        want = nmos if polarity == "n" else pmos
        d = relative(currents, corner, name)
        if want == "fast":
            ok = d > MOVE
        elif want == "slow":
            ok = d < -MOVE
        else:
            ok = abs(d) < 1e-12 if corner == "TT" else abs(d) <= MOVE
        assert ok, f"{corner}: {device} is {100 * d:+.1f} % vs TT, want {want}\n{table(currents)}"


@pytest.mark.ngspice
@pytest.mark.parametrize("corner", list(CONTRACT))
def test_corner_moves_resistor_and_capacitor_as_its_name_says(currents, corner):
    rc = CONTRACT[corner][2]
    # more resistance = less current; more capacitance = more charging current
    dr = -relative(currents, corner, "ires")
    dc = relative(currents, corner, "icap")
    if rc == "nom":
        assert abs(dr) < R_NOM and dc == 0, (corner, dr, dc, table(currents))
    elif rc == "high":
        assert dr > R_MOVE and dc > R_MOVE, (corner, dr, dc, table(currents))
    else:
        assert dr < -R_MOVE and dc < -R_MOVE, (corner, dr, dc, table(currents))


@pytest.mark.ngspice
def test_ffag_and_ssag_are_the_extremes(currents):
    """FFAG is the fastest corner and SSAG the slowest: for each pair of device types of one
    supply class (1.8 V, 1.8 V LVT, 5 V oxide) the mean NMOS/PMOS drive change against TT is the
    highest at FFAG (tied with FFG: the same devices) and the lowest at SSAG (tied with SSG),
    and no corner has less capacitance than FFAG or more than SSAG, nor less resistance than a
    low-R corner or more than a high-R one. (Not per device: SKY130's `fs` pfet_01v8 is
    stronger than its `ff` one, +15 % against +7 % at -40 C, so SFG/SSG_FFG out-drive FFAG on
    that one device; `sf`'s is weaker than `ss`'s.)"""
    pairs = (("idn18", "idp18"), ("idn18l", "idp18l"), ("idn50", "idp50"))
    for n, p in pairs:
        mean = {c: (relative(currents, c, n) + relative(currents, c, p)) / 2 for c in CONTRACT}
        assert mean["FFAG"] == max(mean.values()) > MOVE, (n, p, mean, table(currents))
        assert mean["SSAG"] == min(mean.values()) < -MOVE, (n, p, mean, table(currents))
    for corner, (_n, _p, rc) in CONTRACT.items():
        cap = currents[corner]["icap"]
        assert currents["FFAG"]["icap"] <= cap <= currents["SSAG"]["icap"], corner
        # ires: more current = less resistance
        if rc != "low":
            assert currents["FFAG"]["ires"] > currents[corner]["ires"], corner
        if rc != "high":
            assert currents["SSAG"]["ires"] < currents[corner]["ires"], corner
