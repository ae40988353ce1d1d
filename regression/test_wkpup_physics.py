"""Physics every bench of ours must show, whatever the goldens say.

Weak pull-ups (gpio/1p8v, i3c/1p8v, gpio/3p3v): slow silicon is weaker (higher resistance)
than typical, typical than fast; a slow PMOS (FSG, FFG_SSG) weaker than typical, a fast one
(SFG, SSG_FFG) stronger; and the pull-up is device-dominated: at equal temperature
and voltages the nine corners span at least +-10 % around TT (the slowest corner >= +10 %,
the fastest <= -10 %), at -40 C and at 125 C. I3C pulls harder than GPIO (a ~2 kohm class
pull-up against ~7-8 kohm).

TX driver (gpio_tx/1p8v): slow silicon is slower; the worst-capacitance extraction
(cworst_CCworst_T) gives longer delays than the best one (cbest_CCbest_T), by at least 3 %,
at equal corner, temperature and voltage.
"""

import pytest

# htol: one voltage combo (all rails at max: vccn 2.016 V, so rwkpull0 is ~25 % below its
# value at 1.8 V), so every row of a temperature is at equal
# voltages; gs/gf Yes: all nine corners. 18 points per job.
SPREAD_JOB = {
    "golden": True,  # gated like the scenario jobs: golden/test_wkpup_physics/<test>/
    "config": {"condition": "htol", "gs/gf_corner": "Yes"},
    "temperatures": ["m40", "125"],
}
SPREAD = 0.10
CWORST_OVER_CBEST = 0.03


def by_corner(job, name, temperature, extraction="typical"):
    return {
        row.corner: row.cells[name].value
        for row in job.creport().rows
        if row.temperature == temperature and row.extraction == extraction
    }


def check_pullup(job):
    for temperature in (-40, 125):  # one job, both temperatures: a job per check costs sims
        r = by_corner(job, "rwkpull0", temperature)
        assert len(r) == 9, (temperature, r)
        assert r["SSG"] > r["TT"] > r["FFG"], (temperature, r)
        # the leg is a PMOS: P slow (FSG, and FFG_SSG with high R) is weak, P fast strong
        assert r["FSG"] > r["TT"] > r["SFG"], (temperature, r)
        assert r["FFG_SSG"] > r["TT"] > r["SSG_FFG"], (temperature, r)
        tt = r["TT"]
        spread = {c: round(100 * (v / tt - 1), 2) for c, v in r.items()}
        assert max(r.values()) >= (1 + SPREAD) * tt, (temperature, "slowest corner", spread)
        assert min(r.values()) <= (1 - SPREAD) * tt, (temperature, "fastest corner", spread)
    assert pvt_worst_corner(job) in ("SSG", "SSAG", "FSG", "FFG_SSG")


def pvt_worst_corner(job):
    return job.worst("rwkpull0", "max").row.corner


@pytest.mark.fast
@pytest.mark.pvt(domain="gpio/1p8v", **SPREAD_JOB)
def test_gpio_1p8v_pullup_is_device_dominated(pvt_job):
    check_pullup(pvt_job)
    assert 5000 < by_corner(pvt_job, "rwkpull0", -40)["TT"] < 9000, "GPIO: ~7-8 kohm class"


@pytest.mark.fast
@pytest.mark.pvt(domain="i3c/1p8v", **SPREAD_JOB)
def test_i3c_pullup_is_2k_class_and_device_dominated(pvt_job):
    check_pullup(pvt_job)
    i3c = pvt_job.worst("rwkpull0", "max").value
    assert i3c < 4000, "I3C pull-up should be a ~2 kohm class pull-up"
    assert 1500 < by_corner(pvt_job, "rwkpull0", -40)["TT"] < 3000


@pytest.mark.fast
@pytest.mark.pvt(domain="gpio/3p3v", **SPREAD_JOB)
def test_gpio_3p3v_pullup_is_device_dominated(pvt_job):
    check_pullup(pvt_job)
    # 3.3 V leg (large gate overdrive): weaker when hot, as a mobility-limited device is
    r = by_corner(pvt_job, "rwkpull0", 125)["TT"], by_corner(pvt_job, "rwkpull0", -40)["TT"]
    assert r[0] > r[1], r


@pytest.mark.fast
@pytest.mark.pvt(
    domain="gpio_tx/1p8v",
    config={"condition": "htol"},
    corners=["TT", "FFG", "SSG"],
    temperatures=["m40", "125"],
    golden=True,
)
def test_tx_cworst_slower_than_cbest_and_ss_slower_than_ff(pvt_job):
    for temperature in (-40, 125):
        for name in ("del_rr", "del_ff"):
            typ = by_corner(pvt_job, name, temperature)
            assert typ["SSG"] > typ["TT"] > typ["FFG"], (temperature, name, typ)
            worst = by_corner(pvt_job, name, temperature, "cworst_CCworst_T")
            best = by_corner(pvt_job, name, temperature, "cbest_CCbest_T")
            assert set(worst) == set(best) == {"FFG", "SSG"}, (worst, best)
            for corner in worst:
                assert worst[corner] >= (1 + CWORST_OVER_CBEST) * best[corner], (
                    temperature,
                    name,
                    corner,
                    worst[corner],
                    best[corner],
                )
