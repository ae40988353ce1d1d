""".alter sweeps on ngspice (issue #8 item 3) and kept waveforms (item 4), end to end on
real ngspice + SKY130: a copy of domains/gpio/1p8v whose template gets three .alter blocks
(a .param change, an element replacement, a .lib section change), two PVT points, the whole
job (gen -> run -> ext -> srt -> bkp) with alter_extraction:Yes."""

from __future__ import annotations

import os
import subprocess

import pytest
from coreutil import REPO, our_domain, set_keys, sim_pvt

# one worker runs the job once for all the tests of this module
pytestmark = [pytest.mark.ngspice, pytest.mark.xdist_group("core_alter")]

STAMP = "202611240000"
ALTERS = (
    "\n.alter swp=pad_1k\n"
    ".param pad_parest = 1000\n"
    "\n.alter 'elem  replaced'\n"
    "* rball0 back to 1 ohm (rball1 stays at pad_parest)\n"
    "rball0 trace0 ball0\n+ 1\n"
    "\n.alter i3c\n"
    '.lib "../../../../../../common/lib/weakpullup.lib" enable_i3c\n'
)
WAVE_MAX = 8 * 1024 * 1024


def alter_domain(tmp_path, alters=ALTERS):
    domain = our_domain(tmp_path)
    cfg = domain / "config.cfg"
    cfg.write_text(set_keys(cfg.read_text(), alter_extraction="Yes", **{"alter_string#": "12"}))
    tpl = domain / "template" / "sim_tx.sp"
    text = tpl.read_text()
    assert text.endswith("\n.end\n")
    tpl.write_text(text[: -len(".end\n")] + alters + ".end\n")
    return domain


def env(**extra):
    return {
        **os.environ,
        "PAIHO_CORE": str(REPO / "pai_ho_core"),
        "PAIHO_CORNERS": "TT",
        "PAIHO_TEMPS": "85 100",
        "PAIHO_JOBS": "2",
        "PAIHO_BKP_TIMESTAMP": STAMP,
        **extra,
    }


@pytest.fixture(scope="module")
def alter_job(tmp_path_factory):
    domain = alter_domain(tmp_path_factory.mktemp("alter"))
    p = subprocess.run(
        ["bash", "runme.sh"], cwd=domain, env=env(), capture_output=True, text=True, check=False
    )
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    return domain


def rows(domain):
    lines = (domain / f"00bkp_{STAMP}" / "report" / "creport.txt").read_text().splitlines()
    header = lines[9].split("\t")
    return header, [line.split("\t") for line in lines[10:]]


def test_creport_has_the_swp_column_and_one_row_per_alter(alter_job):
    header, data = rows(alter_job)
    assert header[:6] == ["process", "extract", "temp", "v1", "v2", "swp"]
    assert header[6:8] == ["ioh_0", "ioh"] and "alter#" in header
    assert len(data) == 2 * 4  # two points, the base run and three alters each
    assert [r[5] for r in data[:4]] == ["fmax", "swp=pad_1k", "elem replace", "i3c"]
    assert [r[2] for r in data] == ["85"] * 4 + ["100"] * 4
    alter_no = header.index("alter#")
    assert [float(r[alter_no]) for r in data[:4]] == [1.0, 2.0, 3.0, 4.0]
    for point in (data[:4], data[4:]):
        ioh0 = [float(r[6]) for r in point]
        base, pad_1k, replaced, i3c = ioh0
        assert len(set(ioh0)) == 3
        assert abs(pad_1k) < abs(base)  # 1 kohm in series: less current (.param change)
        assert replaced == base  # rball0 back to 1 ohm, cumulative (element replacement)
        assert abs(i3c) > 2 * abs(base)  # enable_i3c: the stronger pull-up (.lib change)


def test_every_run_has_its_measure_file_and_title(alter_job):
    # bkp removed the point directories: rerun one point's run stage to look at them
    domain = alter_job
    e = env(PAIHO_TEMPS="85")
    assert sim_pvt(domain, "gen", env=e).returncode == 0
    p = sim_pvt(domain, "run", env=e)
    assert p.returncode == 0, p.stderr
    point = domain / "TT/typical/typical_85/v1nom_v2nom"
    titles = [(point / f"sim_tx.{ext}").read_text().splitlines()[1] for ext in ("mt0", "mt01")]
    assert titles == [".TITLE 'fmax'", ".TITLE 'swp=pad_1k'"]
    assert (point / "sim_tx.mt03").read_text().splitlines()[1] == ".TITLE 'i3c'"
    # the generated netlist is the real generator's output, .alter blocks included
    assert (point / "sim_tx.sp").read_text().count("\n.alter ") == 3
    log = (point / "sim_tx.log").read_text()
    assert log.endswith("ngspice Successfully Completed\n")
    assert log.count("Measurements for Transient Analysis") == 4


def test_backup_keeps_one_bounded_readable_waveform_per_run(alter_job):
    wave = alter_job / f"00bkp_{STAMP}" / "compiled_waveform"
    names = sorted(p.name for p in wave.iterdir())
    expected = sorted(
        f"sim_tx_TT_typical_{t}_v1nom_v2nom{s}.raw"
        for t in ("85", "100")
        for s in ("", "_a1", "_a2", "_a3")
    )
    assert names == expected
    for path in wave.iterdir():
        data = path.read_bytes()
        assert 10_000 < len(data) < WAVE_MAX, path.name
        head = data[: data.index(b"Binary:\n")].decode()
        assert "Plotname: Transient Analysis" in head
        variables = head.split("Variables:\n")[1].split("\n")
        named = {line.split("\t")[2] for line in variables if line.count("\t") >= 3}
        # the vectors the measurements read, nothing else
        assert named == {"time", "v(ball0)", "i(v.xdut.visub0)", "v(ball1)"}, named


@pytest.mark.parametrize(
    ("block", "construct"),
    [
        (".tran 1n 5u\n", ".tran"),
        (".meas tran extra FIND v(ball1) AT=5u\n", ".meas"),
        (".subckt foo a b\nr1 a b 1\n.ends\n", ".subckt"),
    ],
)
def test_unsupported_alter_content_fails_the_point_in_one_line(tmp_path, block, construct):
    domain = alter_domain(tmp_path, "\n.alter bad\n" + block)
    e = env(PAIHO_TEMPS="85")
    assert sim_pvt(domain, "gen", env=e).returncode == 0
    p = subprocess.run(
        [
            "bash",
            str(REPO / "pai_ho_core/ver03/simulation/run_point.sh"),
            "TT/typical/typical_85/v1nom_v2nom",
            "sim_tx",
            "ngspice",
            "1",
        ],
        cwd=domain,
        env=e,
        capture_output=True,
        text=True,
    )
    assert p.returncode != 0
    assert p.stderr.count("\n") == 1, p.stderr  # one line, naming the file and the line
    first = p.stderr.splitlines()[0]
    assert first.startswith("ERROR: ") and f"'{construct}' is not supported in an .alter" in first
    assert "v1nom_v2nom/sim_tx.sp line " in first
    assert not list((domain / "TT").rglob("*.mt0"))


def raw_vectors(path):
    data = path.read_bytes()
    head = data[: data.index(b"Binary:\n")].decode()
    lines = head.split("Variables:\n")[1].split("\n")
    return [line.split("\t")[2] for line in lines if line.count("\t") >= 3]


def test_save_lines_choose_the_waveform_vectors(tmp_path):
    """A deck with .save lines keeps exactly the saved vectors (the measurements still work)."""
    domain = our_domain(tmp_path)
    tpl = domain / "template" / "sim_tx.sp"
    tpl.write_text(
        tpl.read_text().replace(
            "\n.end\n", "\n.save v(ball0) v(ball1) i(v.xdut.visub0) v(trace0)\n.end\n"
        )
    )
    e = env(PAIHO_TEMPS="85")
    assert sim_pvt(domain, "gen", env=e).returncode == 0
    p = sim_pvt(domain, "run", env=e)
    assert p.returncode == 0, p.stderr
    point = domain / "TT/typical/typical_85/v1nom_v2nom"
    assert sorted(raw_vectors(point / "sim_tx.raw")) == sorted(
        ["time", "v(ball0)", "v(ball1)", "i(v.xdut.visub0)", "v(trace0)"]
    )
    assert "failed" not in (point / "sim_tx.mt0").read_text()
