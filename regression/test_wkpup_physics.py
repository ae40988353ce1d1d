"""Physics every weak pull-up of ours must show, whatever the goldens say: slow silicon is
weaker (higher resistance) than typical, typical than fast; I3C pulls harder than GPIO
(a ~2 kohm class pull-up against ~7 kohm)."""

import pytest

FAST_JOB = {
    "config": {"condition": "htol"},
    "corners": ["TT", "FFG", "SSG"],
    "temperatures": ["m40", "125"],
}


def by_corner(job, name, temperature):
    return {
        row.corner: row.cells[name].value
        for row in job.creport().rows
        if row.temperature == temperature
    }


@pytest.mark.fast
@pytest.mark.pvt(domain="gpio/1p8v", **FAST_JOB)
def test_gpio_pullup_orders_with_process(pvt_job):
    for temperature in (-40, 125):  # one job, both temperatures: a job per check costs sims
        r = by_corner(pvt_job, "rwkpull0", temperature)
        assert r["SSG"] > r["TT"] > r["FFG"], (temperature, r)
    assert pvt_job.worst("rwkpull0", "max").row.corner == "SSG"


@pytest.mark.fast
@pytest.mark.pvt(domain="i3c/1p8v", **FAST_JOB)
def test_i3c_pullup_is_2k_class_and_orders_with_process(pvt_job):
    i3c = pvt_job.worst("rwkpull0", "max").value
    assert i3c < 4000, "I3C pull-up should be a ~2 kohm class pull-up"
    r = by_corner(pvt_job, "rwkpull0", -40)
    assert r["SSG"] > r["TT"] > r["FFG"], r
