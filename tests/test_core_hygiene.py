"""Core hygiene (issue #8 item 6): no failure hidden by a command substitution, one-line
errors for bad environment values, no leaked temporary files, no uninitialised variables,
no recursive delete of a path built from unvalidated table data, and domain paths with a
blank or a quote simulate."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from coreutil import (
    CORE,
    FIXTURE,
    REPO,
    fixture_domain,
    fixture_env,
    netlists,
    set_keys,
    sim_pvt,
)

from wkpup_harness.engine.workdir import copy_domain, is_run_product

EXTRACT = CORE / "data_extraction" / "extract.sh"


def small_config() -> str:
    return set_keys((FIXTURE / "config.cfg").read_text(), second="NA", gsgf="No")


def assert_one_line_error(p, code, text):
    assert p.returncode == code, (p.returncode, p.stdout, p.stderr)
    assert p.stderr.count("\n") == 1 and p.stderr.startswith("ERROR: "), p.stderr
    assert text in p.stderr


@pytest.mark.parametrize("jobs", ["abc", "0", "-1", "1.5", " 2"])
def test_gen_with_a_bad_paiho_jobs_fails_and_writes_nothing(tmp_path, jobs):
    domain = fixture_domain(tmp_path, small_config())
    p = sim_pvt(domain, "gen", env=fixture_env(PAIHO_JOBS=jobs))
    assert_one_line_error(p, 2, "PAIHO_JOBS")
    assert netlists(domain) == []


@pytest.mark.parametrize("kind", ["directory", "dangling link", "link to a directory"])
def test_gen_refuses_a_template_that_is_not_a_regular_file(tmp_path, kind):
    domain = fixture_domain(tmp_path, small_config())
    tpl = domain / "template" / "sim_tx.sp"
    tpl.unlink()
    if kind == "directory":
        tpl.mkdir()
    elif kind == "dangling link":
        tpl.symlink_to(tmp_path / "nowhere.sp")
    else:
        (tmp_path / "d.sp").mkdir()
        tpl.symlink_to(tmp_path / "d.sp")
    p = sim_pvt(domain, "gen", env=fixture_env())
    assert_one_line_error(p, 2, "not a readable regular file")
    assert sorted(x.name for x in domain.iterdir()) == ["config.cfg", "template"]


@pytest.mark.parametrize(
    ("var", "value"),
    [("PAIHO_SLOTS", "0"), ("PAIHO_SLOTS", "x"), ("PAIHO_SIM_TIMEOUT", "0"),
     ("PAIHO_SIM_TIMEOUT", "1h"), ("PAIHO_JOBS", "0")],
)  # fmt: skip
def test_run_refuses_bad_budget_values_at_once(tmp_path, var, value):
    domain = fixture_domain(tmp_path, small_config())
    env = fixture_env(PAIHO_CORNERS="TT", PAIHO_TEMPS="85")
    assert sim_pvt(domain, "gen", env=env).returncode == 0
    env = {**env, var: value, "PAIHO_SLOT_DIR": str(tmp_path / "slots")}
    p = subprocess.run(
        ["sh", str(CORE / "sim_pvt.sh"), "config.cfg", "run"],
        cwd=domain,
        capture_output=True,
        text=True,
        env=env,
        timeout=20,  # PAIHO_SLOTS=0 used to wait here for ever
    )
    assert_one_line_error(p, 2, var)
    assert not (domain / "job_log.txt").exists()


def test_srt_removes_its_temporary_files_when_it_fails(tmp_path):
    domain = fixture_domain(tmp_path, small_config())
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = fixture_env(TMPDIR=str(tmp))
    assert sim_pvt(domain, "gen", env=env).returncode == 0
    (domain / "report" / "creport.txt").mkdir(parents=True)  # srt_report.pl cannot rename
    p = sim_pvt(domain, "srt", env=env)
    assert p.returncode == 1 and "srt: creport.txt not written" in p.stderr
    assert list(tmp.iterdir()) == []
    p = sim_pvt(domain, "srt", env={**env, "PAIHO_CORNERS": "TT"})
    assert list(tmp.iterdir()) == []


def test_extract_ignores_an_rc_from_the_environment(tmp_path):
    (tmp_path / "sim_tx.mt0").write_text(
        "$DATA1 SOURCE='ngspice' VERSION='39' PARAM_COUNT=0\n.TITLE 'x'\na  b\n1  2\n"
    )
    p = subprocess.run(
        ["bash", str(EXTRACT), "sim_tx"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "rc": "5"},
    )
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "report.txt").read_text().startswith("a\tb\t")


@pytest.mark.parametrize("bad", ["..", "-rf", "a/b", "x y", ".hidden"])
def test_unsafe_corner_names_in_a_replaced_table_are_refused(tmp_path, bad):
    conf = tmp_path / "conf"
    shutil.copytree(FIXTURE / "configuration", conf)
    table = conf / "table_corner_list.csv"
    name = bad.replace(" ", "_") if bad == "x y" else bad
    text = table.read_text().replace("TT FSG SFG FFG FFAG SSG SSAG\n", f"TT {name} SFG\n", 1)
    if bad == "x y":  # a blank inside a name is a second name; use a tab instead
        text = text.replace("x_y", "x\ty")
    table.write_text(text)
    domain = fixture_domain(tmp_path, small_config())
    victim = tmp_path / "victim"
    victim.mkdir()
    for stage in ("gen", "bkp"):
        p = sim_pvt(domain, stage, env={**fixture_env(), "PAIHO_CONF_DIR": str(conf)})
        assert_one_line_error(p, 2, "table_corner_list.csv")
    assert victim.is_dir()
    assert sorted(x.name for x in domain.iterdir()) == ["config.cfg", "template"]


def _not_ours(rel: Path) -> bool:
    """What `make lint` leaves out: the venv, git, the store and runs, a domain's run products
    (a failed sweep's rerun.sh has no shebang, as the real chk writes it)."""
    if rel.parts[0] in (".venv", ".git", ".wkpup"):
        return True
    if rel.parts[0] == "domains" and len(rel.parts) > 3:
        return is_run_product(REPO / Path(*rel.parts[:3]), rel.parts[3])
    return False


def test_make_lint_runs_shellcheck_with_masked_returns_checked():
    makefile = (REPO / "Makefile").read_text()
    assert "shellcheck -x -o check-extra-masked-returns" in makefile
    scripts = [p for p in REPO.rglob("*.sh") if not _not_ours(p.relative_to(REPO))]
    assert len(scripts) > 10
    p = subprocess.run(
        ["shellcheck", "-x", "-o", "check-extra-masked-returns", *map(str, scripts)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert p.returncode == 0, p.stdout[-3000:]


@pytest.mark.ngspice
def test_a_domain_under_a_path_with_a_blank_and_a_quote_simulates(tmp_path):
    root = tmp_path / "dom ain'x" / "domains"
    copy_domain(REPO / "domains" / "common", root / "common")
    copy_domain(REPO / "domains" / "gpio" / "1p8v", root / "gpio" / "1p8v")
    domain = root / "gpio" / "1p8v"
    env = {**os.environ, "PAIHO_CORNERS": "TT", "PAIHO_TEMPS": "85", "PAIHO_JOBS": "1"}
    for stage in ("gen", "run", "chk", "ext", "srt"):
        p = sim_pvt(domain, stage, env=env)
        assert p.returncode == 0, (stage, p.stdout[-1500:], p.stderr[-1500:])
    rows = (domain / "report" / "creport.txt").read_text().splitlines()[10:]
    assert len(rows) == 1 and rows[0].startswith("TT\ttypical\t85\tnom\tnom\t")
    assert "failed" not in rows[0]
    assert float(rows[0].split("\t")[5]) < 0  # ioh_0: the pull-up sources current
    wave = domain / "compiled_waveform" / "sim_tx_TT_typical_85_v1nom_v2nom.raw"
    assert b"Variables:" in wave.read_bytes()[:2000]
