"""Contract §9 in the reference core: final newline (§9.1), vcctx + vccn_vcctx (§9.2), the
extract_alt.sh swp token and 103-field lines (§9.3), chk's rerun.sh (§9.5), mode:postlay
and sim_mode:tran/tr (§9.8). No simulator needed here."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
from coreutil import (
    CORE,
    FIXTURE,
    fixture_domain,
    fixture_env,
    netlists,
    set_keys,
    sim_pvt,
)

EXTRACT_ALT = CORE / "data_extraction" / "extract_alt.sh"


def real_config() -> str:
    return (FIXTURE / "config.cfg").read_text()


# --- §9.1 -------------------------------------------------------------------------------------
def test_template_without_final_newline_gives_netlists_ending_in_newline(tmp_path):
    domain = fixture_domain(tmp_path, set_keys(real_config(), second="NA", gsgf="No"))
    tpl = domain / "template" / "sim_tx.sp"
    text = tpl.read_bytes().rstrip(b"\n")
    assert not text.endswith(b"\n")
    tpl.write_bytes(text)
    p = sim_pvt(domain, "gen", env=fixture_env())
    assert p.returncode == 0, p.stderr
    paths = netlists(domain)
    assert len(paths) == 44
    for path in paths:
        data = path.read_bytes()
        assert data.endswith(b"\n"), path
        assert data.count(b"\n") == text.count(b"\n") + 1  # one output line per input line


# --- §9.2 -------------------------------------------------------------------------------------
def vcctx_vccn_vcctx_config(**extra: str) -> str:
    return set_keys(real_config(), vcctx="vcctx_600", second="vcctx", third="vccn_vcctx", **extra)


def param(netlist: str, name: str) -> str:
    m = re.search(rf"^\.param {name}=(.*)$", netlist, re.M)
    assert m, name
    return m.group(1)


def test_vcctx_with_vccn_vcctx_gives_164_distinct_netlists(tmp_path):
    domain = fixture_domain(tmp_path, vcctx_vccn_vcctx_config())
    p = sim_pvt(domain, "gen", env=fixture_env())
    assert p.returncode == 0, p.stderr
    paths = netlists(domain)
    assert len(paths) == 164
    assert "gen: done, 164 testbenches" in p.stdout
    assert len({path.read_bytes() for path in paths}) == 164  # all distinct
    # v2 drives vctx (vcctx_600 perf: 0.575 0.6 0.625); v3 moves vcn (1p1v perf: 0.99 1.1
    # 1.188) and vsh; the _lib.lib section has no _v3 (the real quirk, contract §7).
    point = domain / "TT/typical/typical_m40/v1min_v2max_v3min/sim_tx.sp"
    text = point.read_text()
    assert param(text, "vctx") == "0.625"
    assert param(text, "vcn") == "0.99"
    assert param(text, "vsh") == '"((1.1-0.85)*vcn/1.1)-0.05"'
    point = domain / "TT/typical/typical_m40/v1min_v2min_v3max/sim_tx.sp"
    text = point.read_text()
    assert param(text, "vctx") == "0.575"
    assert param(text, "vcn") == "1.188"
    nominal = (domain / "TT/typical/typical_85/v1nom_v2nom_v3nom/sim_tx.sp").read_text()
    assert param(nominal, "vctx") == "0.6" and param(nominal, "vcn") == "1.1"


def test_the_harness_agrees_on_the_164_points(tmp_path):
    from wkpup_harness.config import parse_config
    from wkpup_harness.config.tables import load_tables

    domain = fixture_domain(tmp_path, vcctx_vccn_vcctx_config())
    assert sim_pvt(domain, "gen", env=fixture_env()).returncode == 0
    cfg = parse_config(vcctx_vccn_vcctx_config(), tables=load_tables(FIXTURE / "configuration"))
    assert cfg.point_count == 164
    ours = sorted(str(p.parent.relative_to(domain)) for p in netlists(domain))
    assert sorted(pt.directory for pt in cfg.points()) == ours


def test_vccn_twice_is_still_refused(tmp_path):
    domain = fixture_domain(tmp_path, set_keys(real_config(), third="vccn_vcctx"))
    p = sim_pvt(domain, "gen", env=fixture_env())
    assert p.returncode == 2 and p.stderr.count("\n") == 1
    assert "already swept" in p.stderr
    assert netlists(domain) == []


# --- §9.8 -------------------------------------------------------------------------------------
def test_mode_postlay_is_the_polo_branch(tmp_path):
    base = set_keys(real_config(), second="NA", gsgf="No")
    polo = fixture_domain(tmp_path / "polo", set_keys(base, mode="polo"))
    postlay = fixture_domain(tmp_path / "postlay", set_keys(base, mode="postlay"))
    for domain in (polo, postlay):
        p = sim_pvt(domain, "gen", env=fixture_env())
        assert p.returncode == 0, p.stderr
    a, b = netlists(polo), netlists(postlay)
    assert len(a) == len(b) == 92  # contract §3: polo, 1 supply, default, gs/gf No
    assert [x.relative_to(polo) for x in a] == [y.relative_to(postlay) for y in b]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b, strict=True))
    assert (postlay / "FSG" / "cworst_CCworst_T").is_dir()
    p = sim_pvt(postlay, "run", "cbest_CCbest_T", env=fixture_env(PAIHO_CORNERS="XYZ"))
    assert p.returncode == 2 and "'XYZ' not in this run" in p.stderr


def test_sim_mode_tran_and_tr_select_the_plain_table(tmp_path):
    out = {}
    for mode in ("tran", "tr", "ac"):
        domain = fixture_domain(tmp_path / mode, set_keys(real_config(), sim_mode=mode))
        p = sim_pvt(domain, "gen", env=fixture_env())
        assert p.returncode == 0, p.stderr
        out[mode] = p.stdout
        assert f"table table_supply_list{'_ac' if mode == 'ac' else ''}.csv" in p.stdout
    assert out["tran"] == out["tr"]


@pytest.mark.parametrize("value", ["sp", "TR", "transient", ""])
def test_other_sim_modes_and_modes_stay_one_line_errors(tmp_path, value):
    for key in ("sim_mode", "mode"):
        domain = fixture_domain(tmp_path / key, set_keys(real_config(), **{key: value}))
        p = sim_pvt(domain, "gen", env=fixture_env())
        assert p.returncode == 2 and p.stderr.count("\n") == 1, p.stderr
        assert p.stderr.startswith("ERROR: config.cfg:") and f"{key}:" in p.stderr
        assert netlists(domain) == []


# --- §9.3 -------------------------------------------------------------------------------------
def mt0(path, title_line, values):
    path.write_text(
        "$DATA1 SOURCE='PrimeSim' VERSION='x' PARAM_COUNT=0\n"
        f"{title_line}\n"
        "vmon0  vmon1  temper  alter#\n"
        f"{values}\n"
    )


def test_extract_alt_swp_token_and_103_fields(tmp_path):
    (tmp_path / "star").write_text("a file a glob would find\n")
    mt0(tmp_path / "sim_tx.mt0", ".TITLE 'swp=01'", "1 2 25 1")
    mt0(tmp_path / "sim_tx.mt01", ".TITLE  'case   1\thot'  ", "3 4 25 2")
    mt0(tmp_path / "sim_tx.mt02", ".TITLE '*'", "5 6 25 3")
    p = subprocess.run(
        ["bash", str(EXTRACT_ALT), "sim_tx", "9"], cwd=tmp_path, capture_output=True, text=True
    )
    assert p.returncode == 0, p.stderr
    lines = (tmp_path / "report.txt").read_text().split("\n")
    assert lines[-1] == ""
    lines = lines[:-1]
    assert [line.count("\t") for line in lines] == [102] * 4
    rows = [line.split("\t") for line in lines]
    assert rows[0][:5] == ["swp", "vmon0", "vmon1", "temper", "alter#"]
    assert rows[0][5:] == [""] * 98
    assert [r[0] for r in rows[1:]] == ["swp=01", "case 1 ho", "*"]
    assert rows[2][1:5] == ["3", "4", "25", "2"]


def test_extract_alt_full_title_kept_up_to_alter_string(tmp_path):
    mt0(tmp_path / "sim_tx.mt0", ".TITLE 'case 1 hot'", "1 2 25 1")
    p = subprocess.run(
        ["bash", str(EXTRACT_ALT), "sim_tx", "100"], cwd=tmp_path, capture_output=True, text=True
    )
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "report.txt").read_text().split("\n")[1].split("\t")[0] == "case 1 hot"


# --- §9.5 -------------------------------------------------------------------------------------
def planted(tmp_path):
    domain = fixture_domain(tmp_path, set_keys(real_config(), second="NA", gsgf="No"))
    env = fixture_env(PAIHO_CORNERS="TT", PAIHO_TEMPS="m40")
    assert sim_pvt(domain, "gen", env=env).returncode == 0
    for path in netlists(domain):
        (path.parent / "sim_tx.log").write_text("PrimeSim Successfully Completed at now\n")
    return domain, env


def test_chk_after_a_clean_run_leaves_no_rerun_sh(tmp_path):
    domain, env = planted(tmp_path)
    (domain / "rerun.sh").write_text("stale\n")
    p = sim_pvt(domain, "chk", env=env)
    assert p.returncode == 0, p.stderr
    assert "rerun.sh script generated" not in p.stdout
    assert not (domain / "rerun.sh").exists()
    assert not (domain / "rerun").exists()


def test_chk_writes_cd_and_submit_lines_for_each_point_not_done(tmp_path):
    domain, env = planted(tmp_path)
    points = [p.parent for p in netlists(domain)]
    assert len(points) == 3
    (points[0] / "sim_tx.log").write_text("ERROR\n")
    (points[2] / "sim_tx.log").unlink()
    p = sim_pvt(domain, "chk", env=env)
    assert p.returncode == 1
    assert "rerun.sh script generated for un-completed job" in p.stdout
    assert not (domain / "rerun").exists()  # the marker is deleted
    lines = (domain / "rerun.sh").read_text().splitlines()
    assert len(lines) == 4
    assert lines[0] == f"cd {points[0]}" and lines[2] == f"cd {points[2]}"
    assert "run_point.sh . sim_tx primesim 4" in lines[1]
    assert "run_point.sh . sim_tx primesim 4" in lines[3]


def test_rerun_sh_reruns_a_point_on_the_real_simulator_command(tmp_path):
    """The submit line is a real command: with simulator ngspice it reruns the point."""
    domain, env = planted(tmp_path)
    cfg = domain / "config.cfg"
    cfg.write_text(set_keys(cfg.read_text(), simulator="ngspice"))
    point = netlists(domain)[1].parent
    (point / "sim_tx.log").unlink()
    assert sim_pvt(domain, "chk", env=env).returncode == 1
    # run it with a simulator that is missing on purpose: the line must reach run_point.sh
    p = subprocess.run(
        ["bash", "rerun.sh"],
        cwd=domain,
        capture_output=True,
        text=True,
        env={**os.environ, "NGSPICE": "/nonexistent/ngspice"},
    )
    assert p.returncode != 0
    assert "ERROR: run_point: ngspice: not found" in p.stderr
