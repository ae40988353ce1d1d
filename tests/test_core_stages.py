"""The reference core driven stage by stage through sim_pvt.sh, on the real ver03 inputs
(tests/data, the real wkpup2 run) and on synthetic ones: validation, point counts, gen byte
identity, ext + srt byte identity, chk, bkp, failure handling. No simulator needed here."""

from __future__ import annotations

import re
import subprocess

import pytest
from coreutil import (
    FIXTURE,
    FIXTURE_BKP,
    SIM_PVT,
    fixture_domain,
    fixture_env,
    netlists,
    plant_real_measurements,
    set_keys,
    sim_pvt,
)


def real_config() -> str:
    return (FIXTURE / "config.cfg").read_text()


# --- point counts: contract §3, every case listed there ------------------------------------
COUNT_CASES = [
    ("prelay 1 supply gs/gf No", dict(second="NA", gsgf="No"), 44),
    ("prelay 1 supply gs/gf Yes", dict(second="NA", gsgf="Yes"), 56),
    ("prelay 2 supplies No", dict(gsgf="No"), 72),
    ("prelay 2 supplies Yes (real gpio/i3c)", dict(), 92),
    ("prelay 3 supplies Yes", dict(second="vcctx", third="vccn"), 164),
    ("prelay 2 supplies Yes htol", dict(condition="htol"), 20),
    ("polo 1 supply default No", dict(mode="polo", second="NA", gsgf="No"), 92),
    ("polo 1 supply default Yes", dict(mode="polo", second="NA", gsgf="Yes"), 128),
    ("polo 1 supply full No", dict(mode="polo", second="NA", gsgf="No", cross="full"), 128),
    ("polo 1 supply full Yes", dict(mode="polo", second="NA", gsgf="Yes", cross="full"), 164),
    (
        "polo custom FSG SFG",
        dict(mode="polo", second="NA", gsgf="No", cross="custom:FSG SFG"),
        68,
    ),
    ("polo 2 supplies default Yes", dict(mode="polo", gsgf="Yes"), 212),
]


@pytest.mark.parametrize(("case", "keys", "expected"), COUNT_CASES, ids=[c[0] for c in COUNT_CASES])
def test_gen_point_count(tmp_path, case, keys, expected):
    domain = fixture_domain(tmp_path, set_keys(real_config(), **keys))
    p = sim_pvt(domain, "gen", env=fixture_env())
    assert p.returncode == 0, p.stderr
    assert f"gen: done, {expected} testbenches" in p.stdout
    assert len(netlists(domain)) == expected


def test_gen_reproduces_the_twelve_real_tt_netlists(tmp_path):
    domain = fixture_domain(tmp_path)
    p = sim_pvt(domain, "gen", env=fixture_env())
    assert p.returncode == 0, p.stderr
    real = sorted((FIXTURE_BKP / "tb_bkp").glob("*/*/sim_tx.sp"))
    assert len(real) == 12
    for ref in real:
        rel = ref.relative_to(FIXTURE_BKP / "tb_bkp")
        ours = domain / "TT" / "typical" / rel
        assert ours.read_bytes() == ref.read_bytes(), f"{rel} differs from the real netlist"


def test_gen_keeps_line_52_in_every_netlist(tmp_path):
    domain = fixture_domain(tmp_path)
    assert sim_pvt(domain, "gen", env=fixture_env()).returncode == 0
    line52 = (domain / "template" / "sim_tx.sp").read_text().splitlines()[51]
    assert line52.endswith('weakpullup.lib" enable')
    for path in netlists(domain):
        assert path.read_text().splitlines()[51] == line52, path


def test_gen_loop_order_and_directory_names(tmp_path):
    domain = fixture_domain(tmp_path)
    p = sim_pvt(domain, "gen", env=fixture_env())
    assert p.returncode == 0
    dirs = {str(p.parent.relative_to(domain)) for p in netlists(domain)}
    assert "TT/typical/typical_m40/v1min_v2max" in dirs
    assert "SSG_FFG/typical/typical_125/v1nom_v2nom" in dirs
    assert "TT/typical/typical_85/v1nom_v2nom" in dirs
    assert "TT/typical/typical_100/v1nom_v2nom" in dirs
    assert not any("typ/" in d for d in dirs)  # the wkpup path-mismatch bug (contract §7)


# --- invalid configs: exit 2, one line, nothing created -------------------------------------
BAD_CONFIGS = [
    ("unknown key", lambda c: c + "colour:blue\n", "colour: unknown key"),
    ("value not in table", lambda c: set_keys(c, vccn="1p8x"), "vccn: '1p8x' not allowed"),
    ("missing key", lambda c: c.replace("condition:perf\n", ""), "condition: missing key"),
    ("bad integer", lambda c: set_keys(c, **{"CPU #": "four"}), "CPU #: 'four' is not an integer"),
    ("leading space", lambda c: c.replace("gs/gf_corner:Yes", "gs/gf_corner: No"), "gs/gf_corner"),
    ("CRLF", lambda c: c.replace("\n", "\r\n"), "carriage return"),
    ("duplicate", lambda c: c + "mode:polo\n", "mode: duplicate key"),
    ("alter_string1 (seed docs)", lambda c: c + "alter_string1:3\n", "alter_string1: unknown key"),
    ("separate gs_corner (seed docs)", lambda c: c + "gs_corner:Yes\n", "gs_corner: unknown key"),
    ("key=value (seed docs)", lambda c: "mode=prelay\n" + c, "expected 'key:value'"),
    ("rail swept twice", lambda c: set_keys(c, first="vccn"), "already swept"),
    ("3rd without 2nd", lambda c: set_keys(c, second="NA", third="vccn"), "needs a 2nd"),
    (
        "empty func_max cell",
        lambda c: set_keys(c, sim_mode="tran", condition="func"),
        "empty func_max cell",
    ),
    ("custom corner unknown", lambda c: set_keys(c, mode="polo", cross="custom:XYZ"), "'XYZ'"),
    ("empty file", lambda c: "", "empty config file"),
]


FORMAT_ERRORS = {"CRLF", "duplicate", "key=value (seed docs)", "empty file"}


@pytest.mark.parametrize(
    ("case", "mutate", "message"), BAD_CONFIGS, ids=[b[0] for b in BAD_CONFIGS]
)
def test_invalid_config_is_refused_in_one_line(tmp_path, case, mutate, message):
    domain = fixture_domain(tmp_path, mutate(real_config()))
    before = sorted(p.name for p in domain.iterdir())
    p = sim_pvt(domain, "gen", env=fixture_env())
    assert p.returncode == 2
    assert p.stdout == ""
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("ERROR: ")
    assert message in lines[0]
    if case not in FORMAT_ERRORS:  # a key's problem names its allowed values
        assert "; allowed: " in lines[0], lines[0]
    assert sorted(p.name for p in domain.iterdir()) == before  # nothing created


def test_unknown_stage_and_usage(tmp_path):
    domain = fixture_domain(tmp_path)
    p = sim_pvt(domain, "simulate", env=fixture_env())
    assert p.returncode == 2 and "stage 'simulate' unknown" in p.stderr
    p = subprocess.run(["sh", str(SIM_PVT)], cwd=domain, capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr.startswith("usage:")


def test_template_must_hold_exactly_one_testbench(tmp_path):
    domain = fixture_domain(tmp_path)
    (domain / "template" / "other.sp").write_text("* second\n")
    p = sim_pvt(domain, "gen", env=fixture_env())
    assert p.returncode == 2 and "exactly one *.sp" in p.stderr
    assert netlists(domain) == []


# --- ext + srt on the real values -----------------------------------------------------------
def test_ext_and_srt_reproduce_the_real_reports_byte_for_byte(tmp_path):
    domain = fixture_domain(tmp_path)
    env = fixture_env()
    assert sim_pvt(domain, "gen", env=env).returncode == 0
    plant_real_measurements(domain)
    p = sim_pvt(domain, "ext", env=env)
    assert p.returncode == 0, p.stderr
    ours = sorted((domain / "report").glob("report_*.txt"))
    assert len(ours) == 92
    for path in ours:
        assert path.read_bytes() == (FIXTURE_BKP / "report" / path.name).read_bytes(), path.name
    p = sim_pvt(domain, "srt", env=env)
    assert p.returncode == 0, p.stderr
    real = (FIXTURE_BKP / "report" / "creport.txt").read_bytes()
    assert (domain / "report" / "creport.txt").read_bytes() == real
    # ext tidied the point directories: measure files gone, logs kept
    assert not list(domain.glob("*/*/*/*/sim_tx.mt0"))
    assert not list(domain.glob("*/*/*/*/result"))
    assert len(list(domain.glob("*/*/*/*/sim_tx.log"))) == 92


# --- chk ------------------------------------------------------------------------------------
def test_chk_lists_every_point_and_writes_rerun(tmp_path):
    domain = fixture_domain(tmp_path)
    env = fixture_env()
    assert sim_pvt(domain, "gen", env=env).returncode == 0
    plant_real_measurements(domain)
    broken = domain / "SSG" / "typical" / "typical_125" / "v1max_v2min"
    (broken / "sim_tx.log").write_text("ERROR: timestep too small\n")
    (domain / "FFG" / "typical" / "typical_m40" / "v1nom_v2nom" / "sim_tx.log").unlink()
    p = sim_pvt(domain, "chk", env=env)
    assert p.returncode == 1
    assert "90 of 92 points done" in p.stdout
    stat = (domain / "job_stat.log").read_text().splitlines()
    assert stat[0] == "corners   status"
    assert len(stat) == 93
    assert "TT typical m40 v1min_v2min    Done" in stat
    assert "SSG typical 125 v1max_v2min    not-complete, check if error" in stat
    assert "FFG typical m40 v1nom_v2nom    not-start" in stat
    rerun = (domain / "rerun.sh").read_text()
    assert rerun.count("run_point.sh") == 2
    assert str(broken) in rerun


# --- failed points are never dropped --------------------------------------------------------
def test_a_point_without_measurements_gets_a_failed_row(tmp_path):
    domain = fixture_domain(tmp_path)
    env = fixture_env()
    assert sim_pvt(domain, "gen", env=env).returncode == 0
    plant_real_measurements(domain)
    (domain / "FSG" / "typical" / "typical_125" / "v1min_v2max" / "sim_tx.mt0").unlink()
    p = sim_pvt(domain, "ext", env=env)
    assert p.returncode == 1
    assert "FSG/typical/typical_125/v1min_v2max" in p.stderr
    assert sim_pvt(domain, "srt", env=env).returncode == 0
    lines = (domain / "report" / "creport.txt").read_text().splitlines()
    assert len(lines) == 102
    row = next(line for line in lines if line.startswith("FSG\ttypical\t125\tmin\tmax\t"))
    assert row.split("\t")[5:16] == ["failed"] * 11
    real_lines = (FIXTURE_BKP / "report" / "creport.txt").read_text().splitlines()
    assert [line for line in lines if "failed" not in line] == [
        line for line in real_lines if not line.startswith("FSG\ttypical\t125\tmin\tmax\t")
    ]


# --- bkp ------------------------------------------------------------------------------------
def test_bkp_layout_and_cleanup(tmp_path):
    domain = fixture_domain(tmp_path)
    env = fixture_env()
    for stage in ("gen",):
        assert sim_pvt(domain, stage, env=env).returncode == 0
    plant_real_measurements(domain)
    for stage in ("ext", "srt"):
        assert sim_pvt(domain, stage, env=env).returncode == 0
    p = sim_pvt(domain, "bkp", env=env)
    assert p.returncode == 0, p.stderr
    backups = [d.name for d in domain.iterdir() if d.name.startswith("00bkp_")]
    assert len(backups) == 1 and re.fullmatch(r"00bkp_\d{12}", backups[0])
    bkp = domain / backups[0]
    assert (bkp / "report" / "creport.txt").read_bytes() == (
        FIXTURE_BKP / "report" / "creport.txt"
    ).read_bytes()
    assert len(list((bkp / "report").glob("report_*.txt"))) == 92
    assert (bkp / "simulation.log").read_text().endswith("PrimeSim Successfully Completed at now\n")
    tb = sorted(str(p.relative_to(bkp / "tb_bkp")) for p in (bkp / "tb_bkp").rglob("*.sp"))
    real_tb = sorted(
        str(p.relative_to(FIXTURE_BKP / "tb_bkp")) for p in (FIXTURE_BKP / "tb_bkp").rglob("*.sp")
    )
    assert tb == real_tb
    left = sorted(p.name for p in domain.iterdir())
    assert left == sorted(["config.cfg", "template", backups[0]])


def test_bkp_timestamp_override_and_refusals(tmp_path):
    domain = fixture_domain(tmp_path)
    env = fixture_env(PAIHO_BKP_TIMESTAMP="202511221015")
    p = sim_pvt(domain, "bkp", env=env)
    assert p.returncode == 1 and "nothing to back up" in p.stderr
    (domain / "report").mkdir()
    (domain / "report" / "creport.txt").write_text("x\n")
    assert sim_pvt(domain, "bkp", env=env).returncode == 0
    assert (domain / "00bkp_202511221015" / "report" / "creport.txt").exists()
    (domain / "report").mkdir()
    (domain / "report" / "creport.txt").write_text("y\n")
    p = sim_pvt(domain, "bkp", env=env)
    assert p.returncode == 1 and "already exists" in p.stderr
    p = sim_pvt(domain, "bkp", env=fixture_env(PAIHO_BKP_TIMESTAMP="20251122101500"))
    assert p.returncode == 2 and "12 digits" in p.stderr


# --- usr_script -----------------------------------------------------------------------------
def test_usr_script_loops_core_func_over_the_points(tmp_path):
    domain = fixture_domain(tmp_path, set_keys(real_config(), second="NA", gsgf="No"))
    (domain / "usr_script.sh").write_text(
        # the real interface (contract §9.4): no arguments, the loop's globals
        'usr_script() {\n  core_func() { echo "$i $j $k $l" >> points.txt; }\n}\n'
    )
    p = sim_pvt(domain, "usr_script", env=fixture_env())
    assert p.returncode == 0, p.stderr
    lines = (domain / "points.txt").read_text().splitlines()
    assert len(lines) == 44
    assert lines[0] == "TT typical m40 v1min"
    assert lines[-2:] == ["TT typical 85 v1nom", "TT typical 100 v1nom"]
