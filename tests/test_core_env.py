"""The core's own inputs as a user types them (issue #17): every environment value the core
reads is checked by sim_pvt.sh before the config is read and before anything is written (one
`ERROR: NAME=...` line, exit 2, nothing created), never word-split or glob-expanded; and a
stage that is not one of the names, whole, gets the usage line and exit 2."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from coreutil import CORE, DOMAINS, sim_pvt

SIM_PVT = CORE / "sim_pvt.sh"
RUN_POINT = CORE / "simulation" / "run_point.sh"

# Hostile values a user can type: a glob, two words, a newline, a leading dash.
HOSTILE = ("*", "a b", "x\ny", "-1")
# variable -> the values of HOSTILE it must refuse (all of them unless noted)
VARIABLES = {
    "PAIHO_CORNERS": HOSTILE,
    "PAIHO_TEMPS": HOSTILE,
    "PAIHO_JOBS": HOSTILE,
    "PAIHO_SLOTS": HOSTILE,
    "PAIHO_SIM_TIMEOUT": HOSTILE,
    "PAIHO_WAVE_MAX_BYTES": HOSTILE,
    "PAIHO_BKP_TIMESTAMP": HOSTILE,
    "PAIHO_MODEL_TRIM": HOSTILE,
    "PAIHO_NGSPICE_VERSION": HOSTILE,
    "PAIHO_SLOT_DIR": HOSTILE,
    "PAIHO_CACHE": HOSTILE,
    "PAIHO_SKY130_MODELS": HOSTILE,
    "PAIHO_CONF_DIR": HOSTILE,
    # commands and a path the core passes on quoted: only a control character is refused
    "PDK_ROOT": ("x\ny",),
    "PAIHO_PYTHON": ("x\ny",),
    "NGSPICE": ("x\ny",),
}
CASES = [(name, value) for name, values in VARIABLES.items() for value in values]


def domain_inputs(tmp_path: Path) -> Path:
    """gpio/1p8v's inputs only (config.cfg, template/): gen needs nothing else."""
    domain = tmp_path / "dom"
    (domain / "template").mkdir(parents=True)
    src = DOMAINS / "gpio" / "1p8v"
    shutil.copy(src / "config.cfg", domain / "config.cfg")
    shutil.copy(src / "template" / "sim_tx.sp", domain / "template" / "sim_tx.sp")
    return domain


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def clean_env(**extra: str) -> dict[str, str]:
    # (the models are found through this interpreter, PAIHO_PYTHON of conftest.py)
    keep = ("PAIHO_PYTHON", "PDK_ROOT", "NGSPICE")
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES or k in keep}
    env.update(extra)
    return env


def one_error_line(p: subprocess.CompletedProcess) -> str:
    lines = p.stderr.splitlines()
    assert p.returncode == 2, (p.returncode, p.stdout[-500:], p.stderr[-1000:])
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("ERROR: ") and lines[0].isprintable(), lines
    return lines[0]


@pytest.mark.parametrize(("name", "value"), CASES, ids=[f"{n}={v!r}" for n, v in CASES])
def test_hostile_environment_value_is_refused_before_anything_is_written(tmp_path, name, value):
    domain = domain_inputs(tmp_path)
    # a file a glob would find: '*' must not turn into its name
    (domain / "glob_marker").write_text("")
    before = tree(domain)
    p = sim_pvt(domain, "gen", env=clean_env(**{name: value}))
    line = one_error_line(p)
    assert name in line, line
    if value == "*":
        assert f"{name}='*'" in line and "glob_marker" not in line, line
    if "\n" in value:
        assert "$'x\\ny'" in line, line  # shown as printf %q does, on one line
    assert tree(domain) == before  # nothing created
    assert p.stdout == ""


@pytest.mark.parametrize("name", sorted(VARIABLES))
def test_empty_value_is_the_default(tmp_path, name):
    """An empty value is the same as an unset one: the job generates as without it."""
    domain = domain_inputs(tmp_path)
    subset = {"PAIHO_CORNERS": "TT", "PAIHO_TEMPS": "85"}
    if name == "PAIHO_CORNERS":
        subset["PAIHO_TEMPS"] = "m40"
    subset[name] = ""
    p = sim_pvt(domain, "gen", env=clean_env(**subset))
    assert p.returncode == 0, p.stderr
    points = sorted(str(x.parent.relative_to(domain)) for x in domain.glob("*/*/*/*/sim_tx.sp"))
    if name == "PAIHO_CORNERS":
        assert len(points) == 45, points  # the nine corners x 5 voltage combos at -40 C
    elif name == "PAIHO_TEMPS":
        assert len(points) == 12, points  # TT: m40, 125 x 5 combos, 85, 100
    else:
        assert points == ["TT/typical/typical_85/v1nom_v2nom"], points


def test_lists_are_split_on_single_spaces_only(tmp_path):
    domain = domain_inputs(tmp_path)
    p = sim_pvt(domain, "gen", env=clean_env(PAIHO_CORNERS="TT SSG", PAIHO_TEMPS="m40 85"))
    assert p.returncode == 0, p.stderr
    assert sorted({x.parts[-5] for x in domain.glob("*/*/*/*/sim_tx.sp")}) == ["SSG", "TT"]
    for bad in ("TT  SSG", "TT\tSSG", " TT", "TT ", "TT,SSG", "TT;SSG", "$(id)", "TT\\"):
        p = sim_pvt(domain_inputs(tmp_path / "x"), "gen", env=clean_env(PAIHO_CORNERS=bad))
        assert "PAIHO_CORNERS=" in one_error_line(p), bad
        shutil.rmtree(tmp_path / "x")


@pytest.mark.parametrize("stage", ["gen run", "bogus", "", "gen*", "*", "gen\nrun", "-gen", "run "])
def test_stage_that_is_not_a_name_gets_the_usage_line(tmp_path, stage):
    domain = domain_inputs(tmp_path)
    before = tree(domain)
    p = sim_pvt(domain, stage, env=clean_env())
    line = one_error_line(p)
    assert "unknown; usage: sh sim_pvt.sh <config.cfg> <stage> [ex]" in line, line
    assert "stages: gen run chk ext srt mc bkp usr_script" in line, line
    assert tree(domain) == before
    assert "No such file" not in p.stderr and "line " not in p.stderr  # no raw bash error


SELF_CONTAINED = """* one resistor of the SKY130 library
.lib "$DP_HSPICE_MODEL" TT
.temp 25
vres rr 0 1
xres rr 0 0 sky130_fd_pr__res_high_po w=1.41 l=10
.tran 10n 100n
.meas tran ires FIND i(vres) AT=50n
.end
"""


def test_perl_side_refuses_what_run_point_alone_is_given(tmp_path):
    """run_point.sh run alone (the harness engine's path) meets the perl library's own checks:
    PAIHO_MODEL_TRIM and PAIHO_CACHE are refused in one line, not taken as a default or as a
    directory relative to the point."""
    domain = domain_inputs(tmp_path)
    # a template of its own (no include): the refusals, not a missing file, must stop it
    (domain / "template" / "sim_tx.sp").write_text(SELF_CONTAINED)
    p = sim_pvt(domain, "gen", env=clean_env(PAIHO_CORNERS="TT", PAIHO_TEMPS="85"))
    assert p.returncode == 0, p.stderr
    point = domain / "TT" / "typical" / "typical_85" / "v1nom_v2nom"
    ok = subprocess.run(
        ["bash", str(RUN_POINT), str(point), "sim_tx", "ngspice", "1"],
        env=clean_env(PAIHO_CACHE=str(tmp_path / "cache")),
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr  # the same point runs with valid values
    (point / "sim_tx.mt0").unlink()
    for name, value, words in (
        ("PAIHO_MODEL_TRIM", "yes", "PAIHO_MODEL_TRIM='yes' not allowed"),
        ("PAIHO_CACHE", "*", "PAIHO_CACHE='*' must be an absolute path"),
    ):
        p = subprocess.run(
            ["bash", str(RUN_POINT), str(point), "sim_tx", "ngspice", "1"],
            env=clean_env(**{name: value}),
            capture_output=True,
            text=True,
            check=False,
        )
        assert p.returncode != 0 and words in p.stderr, (name, p.stderr)
        assert not (point / "*").exists() and not (point / "sim_tx.mt0").exists()


def test_ngspice_name_never_reaches_a_shell(tmp_path):
    """The library asks `$NGSPICE --version` with the name as one word (was a shell string)."""
    marker = tmp_path / "PWNED"
    p = subprocess.run(
        [
            "perl",
            f"-I{CORE / 'simulation'}",
            "-MSky130Lib",
            "-e",
            "print Sky130Lib::ngspice_version()",
        ],
        env=clean_env(NGSPICE=f'ngspice"; touch {marker}; "'),
        capture_output=True,
        text=True,
        check=False,
    )
    assert p.returncode == 0 and p.stdout == "unknown", (p.stdout, p.stderr)
    assert not marker.exists()


def test_runme_refuses_before_its_log_is_written(tmp_path):
    domain = domain_inputs(tmp_path)
    shutil.copy(DOMAINS / "gpio" / "1p8v" / "runme.sh", domain / "runme.sh")
    before = tree(domain)
    for env, words in (
        ({"PAIHO_TEMPS": "*"}, "PAIHO_TEMPS='*'"),
        ({"PAIHO_CONFIG": "nosuch.cfg"}, "PAIHO_CONFIG='nosuch.cfg'"),
    ):
        p = subprocess.run(
            ["bash", "runme.sh"],
            cwd=domain,
            env=clean_env(PAIHO_CORE=str(CORE.parent), **env),
            capture_output=True,
            text=True,
            check=False,
        )
        assert words in one_error_line(p), p.stderr
        assert tree(domain) == before  # no script_logging.log
