"""Our four domains: shape of the real gpio/1p1v (config.cfg, runme.sh, one template), the
line-52 property of the weak pull-up templates, and the files their templates include."""

from __future__ import annotations

import re

import pytest
from coreutil import DOMAINS, netlists, our_domain, sim_pvt

from wkpup_harness.config import read_config
from wkpup_harness.config.tables import load_tables
from wkpup_harness.engine.workdir import is_run_product

TABLES = load_tables(DOMAINS.parent / "pai_ho_core" / "ver03" / "configuration")
ALL = ("gpio/1p8v", "i3c/1p8v", "gpio/3p3v", "gpio_tx/1p8v")
PULLUPS = {
    "gpio/1p8v": ("weakpullup.lib", "enable"),
    "i3c/1p8v": ("weakpullup.lib", "enable_i3c"),
    "gpio/3p3v": ("weakpullup_3p3v.lib", "enable"),
}
NINE = ["ioh_0", "ioh", "ioh0", "ioh1", "rwkpull0", "rwkpull_vih", "rwkpull_vih2", "vwkp"]
NINE.append("vwkp_drop")
TX = ["del_rr", "del_ff", "trise", "tfall", "tph", "dcd"]
INCLUDE = re.compile(r'^\.(?:inc|lib)\s+"(\.\./[^"]+)"', re.M)


def template(domain: str) -> str:
    return (DOMAINS / domain / "template" / "sim_tx.sp").read_text()


@pytest.mark.parametrize("domain", ALL)
def test_domain_shape_and_default_config_is_valid(domain):
    d = DOMAINS / domain
    # a sweep or a job run by hand leaves its products here (gitignored); the inputs are
    # these (spec.yaml: the domain's spec limits, the harness's; the core never reads it)
    inputs = sorted(p.name for p in d.iterdir() if not is_run_product(d, p.name))
    assert inputs == ["config.cfg", "runme.sh", "spec.yaml", "template"]
    assert [p.name for p in (d / "template").iterdir()] == ["sim_tx.sp"]
    assert (d / "runme.sh").read_bytes() == (DOMAINS / "gpio/1p8v/runme.sh").read_bytes()
    read_config(d / "config.cfg", tables=TABLES)


@pytest.mark.parametrize("domain", ALL)
def test_template_includes_exist_for_every_extraction(domain):
    text = template(domain)
    includes = INCLUDE.findall(text)
    assert includes, domain
    for rel in includes:
        # from a point dir <domain>/<C>/<ex>/<ex>_<T>/<vt>/: six levels up is domains/
        assert rel.startswith("../../../../../../common/"), rel
        path = DOMAINS / rel.removeprefix("../../../../../../")
        assert path.is_file(), rel
        if "_tparam_typical.spf" in rel:
            for ex in ("cworst_CCworst_T", "cbest_CCbest_T"):
                assert path.with_name(path.name.replace("typical", ex)).is_file(), (rel, ex)


@pytest.mark.parametrize("domain", PULLUPS)
def test_pullup_line_52_selects_the_flavour(domain):
    lib, section = PULLUPS[domain]
    line52 = template(domain).splitlines()[51]
    assert line52 == f'.lib "../../../../../../common/lib/{lib}" {section}'
    names = re.findall(r"^\.meas tran (\w+)", template(domain), re.M)
    assert names == NINE


def test_gpio_and_i3c_differ_only_on_line_52():
    gpio, i3c = template("gpio/1p8v").splitlines(), template("i3c/1p8v").splitlines()
    assert len(gpio) == len(i3c)
    assert [i + 1 for i, (a, b) in enumerate(zip(gpio, i3c, strict=True)) if a != b] == [52]
    assert (DOMAINS / "gpio/1p8v/config.cfg").read_bytes() == (
        DOMAINS / "i3c/1p8v/config.cfg"
    ).read_bytes()


def test_tx_bench_measures_the_timing_set():
    assert re.findall(r"^\.meas tran (\w+)", template("gpio_tx/1p8v"), re.M) == TX


@pytest.mark.parametrize("domain", ["gpio/1p8v", "i3c/1p8v"])
def test_gen_keeps_our_line_52_in_every_netlist(tmp_path, domain):
    family, voltage = domain.split("/")
    d = our_domain(tmp_path, family, voltage)
    p = sim_pvt(d, "gen")
    assert p.returncode == 0, p.stderr
    line52 = template(domain).splitlines()[51]
    nets = netlists(d)
    assert len(nets) == 92
    for path in nets:
        assert path.read_text().splitlines()[51] == line52, path
