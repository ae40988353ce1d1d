"""A domain's spec limits (``<domain>/spec.yaml``): defined once, applied to every job of the
domain whichever face asks for it, replaced per measurement by a scenario, recorded with the
job (so a resume is judged alike), and one verdict per job in the store."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from coreutil import DOMAINS
from hypothesis import given
from hypothesis import strategies as st

from wkpup_harness.config import read_config
from wkpup_harness.config.scenario import (
    SPEC_FILE,
    ScenarioError,
    domain_job,
    domain_limits,
    load_scenario,
)
from wkpup_harness.config.tables import load_tables
from wkpup_harness.engine.control import resume_spec
from wkpup_harness.report.verdicts import margin_text, relative_margin, render_jobs, worst_spec
from wkpup_harness.results import spec as spec_check

REPO = Path(__file__).resolve().parents[1]
TABLES = load_tables(REPO / "pai_ho_core" / "ver03" / "configuration")
# What each domain's spec.yaml says: the literal limits, so a lost or misread one shows here.
EXPECTED = {
    "gpio/1p8v": {
        "rwkpull0": (4000, 14000),
        "rwkpull_vih": (3000, 9000),
        "vwkp_drop": (None, 0.01),
    },
    "gpio/3p3v": {
        "rwkpull0": (4000, 14000),
        "rwkpull_vih": (3000, 10000),
        "vwkp_drop": (None, 0.01),
    },
    "i3c/1p8v": {
        "rwkpull0": (1200, 4500),
        "rwkpull_vih": (900, 3000),
        "vwkp_drop": (None, 0.005),
    },
    "gpio_tx/1p8v": {
        "del_rr": (None, 1.0e-9),
        "del_ff": (None, 1.0e-9),
        "trise": (None, 0.6e-9),
        "tfall": (None, 0.6e-9),
        "dcd": (-0.3e-9, 0.3e-9),
    },
}


def bounds(limits: dict[str, spec_check.Limit]) -> dict[str, tuple[float | None, float | None]]:
    return {n: (lim.bounds.min, lim.bounds.max) for n, lim in limits.items()}


@pytest.mark.parametrize("domain", sorted(EXPECTED))
def test_every_domain_has_its_limits(domain: str) -> None:
    assert bounds(domain_limits(DOMAINS / domain, TABLES)) == EXPECTED[domain]


def test_every_domain_of_the_tree_has_a_spec_file() -> None:
    found = {p.parent.relative_to(DOMAINS).as_posix() for p in DOMAINS.glob(f"*/*/{SPEC_FILE}")}
    configs = {p.parent.relative_to(DOMAINS).as_posix() for p in DOMAINS.glob("*/*/config.cfg")}
    assert found == configs == set(EXPECTED)


def copy_domain(tmp_path: Path, spec_text: str | None) -> Path:
    """domains/gpio/1p8v's inputs (config, template) in tmp, with ``spec_text`` as spec.yaml."""
    root = tmp_path / "domains"
    dom = root / "gpio" / "1p8v"
    dom.mkdir(parents=True)
    shutil.copy(DOMAINS / "gpio" / "1p8v" / "config.cfg", dom / "config.cfg")
    shutil.copytree(DOMAINS / "gpio" / "1p8v" / "template", dom / "template")
    if spec_text is not None:
        (dom / SPEC_FILE).write_text(spec_text)
    return dom


def job_of(dom: Path, **kw) -> object:
    base = read_config(dom / "config.cfg", tables=TABLES)
    return domain_job("gpio/1p8v", dom, base, tables=TABLES, **kw)


def test_a_domain_job_is_judged_by_the_domain_limits(tmp_path: Path) -> None:
    """``wkpup run <domain>`` and the web form build their job with domain_job."""
    job = job_of(DOMAINS / "gpio" / "1p8v", corners=["TT"], temperatures=["m40"])
    assert bounds(job.spec) == EXPECTED["gpio/1p8v"]
    # Without a spec.yaml: no limits (and no error).
    bare = copy_domain(tmp_path, None)
    assert job_of(bare).spec == {}


def test_per_corner_overrides_of_a_domain(tmp_path: Path) -> None:
    dom = copy_domain(
        tmp_path, "spec:\n  rwkpull0: {min: 4000, max: 14000, corners: {SSG: {max: 15000}}}\n"
    )
    lim = job_of(dom).spec["rwkpull0"]
    assert lim.for_corner("SSG") == spec_check.Bounds(4000, 15000)
    assert lim.for_corner("TT") == spec_check.Bounds(4000, 14000)


BAD_SPEC = """\
spec:
  rwkpull0: {min: 9000, max: 4000}
  rwkpul0: {max: 1}
  vwkp: {min: 1.5, corners: {XX: {min: 1}}}
  ioh: {min: "1"}
colour: red
"""


def test_a_bad_spec_file_reports_every_problem_with_its_line(tmp_path: Path) -> None:
    dom = copy_domain(tmp_path, BAD_SPEC)
    with pytest.raises(ScenarioError) as info:
        domain_limits(dom, TABLES)
    lines = str(info.value).splitlines()
    # The schema's problems first (a wrong type, an unknown key): all of them at once.
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"ERROR: {dom / SPEC_FILE}:5: spec.ioh.min:")
    assert lines[1] == (
        f"ERROR: {dom / SPEC_FILE}:6: colour: unknown key; allowed: description, spec"
    )
    # Once the shape is right, the domain checks: three problems, each with its line.
    dom2 = copy_domain(tmp_path / "b", BAD_SPEC.replace('"1"', "1").replace("colour: red\n", ""))
    with pytest.raises(ScenarioError) as info:
        domain_limits(dom2, TABLES)
    lines = str(info.value).splitlines()
    assert len(lines) == 3, lines
    assert ":2: spec.rwkpull0: spec rwkpull0: min 9000 is above max 4000" in lines[0]
    assert ":3: spec.rwkpul0: 'rwkpul0' is not a measurement of this domain" in lines[1]
    assert ":4: spec.vwkp.corners.XX: corner 'XX' is not a corner of the core" in lines[2]
    assert lines[2].endswith("FFG_SSG, SSG_FFG")  # the allowed list, to its last element


def test_a_bad_domain_spec_fails_a_scenario_of_it_with_the_scenario_own_problems(
    tmp_path: Path,
) -> None:
    dom = copy_domain(tmp_path, "spec:\n  rwkpul0: {max: 1}\n")
    path = tmp_path / "regression" / "s.yaml"
    path.parent.mkdir()
    path.write_text("domain: gpio/1p8v\njobs:\n  - name: a\n    corners: [QQ]\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, root=path.parent, domains_root=dom.parents[1], tables=TABLES)
    text = str(info.value)
    assert "spec.yaml:2: spec.rwkpul0" in text and "s.yaml:4: jobs[0].corners" in text


def test_scenario_limits_replace_the_domain_ones_per_measurement(tmp_path: Path) -> None:
    path = tmp_path / "regression" / "s.yaml"
    path.parent.mkdir()
    path.write_text(
        "domain: gpio/1p8v\nspec: {rwkpull0: {max: 20000}}\njobs:\n"
        "  - name: a\n  - name: b\n    spec: {vwkp_drop: {max: 0.02}, ioh: {max: 0}}\n"
    )
    a, b = load_scenario(path, root=path.parent, domains_root=DOMAINS, tables=TABLES).jobs
    assert bounds(a.spec) == {**EXPECTED["gpio/1p8v"], "rwkpull0": (None, 20000)}
    assert bounds(b.spec) == {
        **EXPECTED["gpio/1p8v"],
        "rwkpull0": (None, 20000),
        "vwkp_drop": (None, 0.02),
        "ioh": (None, 0.0),
    }


finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@st.composite
def limit_sets(draw: st.DrawFn) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for name in draw(st.lists(st.sampled_from(["rwkpull0", "ioh", "vwkp"]), unique=True)):
        lo, hi = sorted(draw(st.lists(finite, min_size=2, max_size=2)))
        body: dict[str, object] = draw(
            st.sampled_from([{"min": lo}, {"max": hi}, {"min": lo, "max": hi}])
        )
        corners = draw(st.lists(st.sampled_from(["SSG", "FFG", "TT"]), unique=True))
        if corners:
            body = {**body, "corners": {c: {"max": hi} for c in corners}}
        out[name] = body
    return out


@given(limit_sets())
def test_limits_recorded_with_a_job_read_back_the_same(raw: dict[str, dict[str, object]]) -> None:
    limits = spec_check.parse_spec(raw)
    assert spec_check.parse_spec(spec_check.limits_data(limits)) == limits


def test_a_resumed_job_is_judged_by_the_limits_recorded_with_it(tmp_path: Path) -> None:
    """control.resume_spec (the CLI's and the web's resume) reads the job's spec_json."""
    work = copy_domain(tmp_path, None)  # a run directory: the domain's copy, no spec.yaml
    limits = spec_check.parse_spec({"rwkpull0": {"min": 1, "corners": {"SSG": {"max": 9}}}})
    row = {
        "work_path": str(work),
        "scenario": "gpio/s",
        "name": "a",
        "domain": "gpio/1p8v",
        "corners": None,
        "temperatures": None,
        "spec_json": json.dumps(spec_check.limits_data(limits)),
    }
    assert resume_spec(row, TABLES).spec == limits
    assert resume_spec({**row, "spec_json": None}, TABLES).spec == {}


def test_job_verdict_is_the_worst_measurement() -> None:
    v = spec_check.job_verdict
    assert v([]) is None
    assert v([{"verdict": "pass"}, {"verdict": "pass"}]) == "pass"
    assert v([{"verdict": "pass"}, {"verdict": "near"}]) == "near"
    assert v([{"verdict": "near"}, {"verdict": "fail"}, {"verdict": "pass"}]) == "fail"
    assert v([{"verdict": "pass"}, {"verdict": "no_data"}]) == "fail"
    assert v([{"status": "pass"}]) == "pass"  # a row stored before V4 has no verdict


def spec_row(name: str, lo, hi, value, margin, verdict="pass") -> dict[str, object]:
    return {"name": name, "lo": lo, "hi": hi, "worst_value": value, "margin": margin,
            "verdict": verdict}  # fmt: skip


def test_worst_margin_is_relative_to_the_nearest_limit_with_units() -> None:
    r = spec_row("rwkpull0", 4000.0, 14000.0, 5218.0, 1218.0)
    assert math.isclose(relative_margin(r), 1218 / 4000)
    assert margin_text(r) == "rwkpull0 1.218 kΩ (30.4 %)"
    drop = spec_row("vwkp_drop", None, 0.01, 0.0004, 0.0096)
    assert margin_text(drop) == "vwkp_drop 9.6 mV (96.0 %)"
    # Relative ranking across units: the resistance is nearer its limit than the voltage.
    assert worst_spec([drop, r]) is r
    # A limit at zero: the span is the scale.
    dcd = spec_row("dcd", -0.3e-9, 0.0, -0.1e-9, 0.1e-9)
    assert math.isclose(relative_margin(dcd), 0.1e-9 / 0.3e-9)
    # Past a limit: negative; a failed point (no value): ranked worst of all.
    past = spec_row("ioh", None, 0.0, 0.5, -0.5, "fail")
    failed = spec_row("vwkp", 1.5, None, None, None, "fail")
    assert worst_spec([r, past, failed]) is failed and margin_text(failed) == "vwkp no value"
    assert worst_spec([]) is None and margin_text(None) == "-"


def test_the_session_table_lists_every_job_with_both_verdicts() -> None:
    rows = [
        {"id": 3, "scenario": "gpio/wkpup_1p8v", "name": "smoke", "domain": "gpio/1p8v",
         "status": "completed", "n_points": 6, "n_failed_points": 0, "golden": "identical",
         "spec_verdict": "pass", "specs": [spec_row("rwkpull0", 4000.0, 14000.0, 5218.0, 1218.0)]},
        {"id": 4, "scenario": "cli", "name": "TT m40", "domain": "gpio/1p8v",
         "status": "failed", "n_points": 5, "n_failed_points": 2, "golden": None,
         "spec_verdict": None, "specs": []},
    ]  # fmt: skip
    lines = render_jobs(rows).splitlines()
    assert lines[0].split() == ["job", "name", "domain", "status", "points", "golden", "spec",
                                "worst", "margin"]  # fmt: skip
    first = ["3", "gpio/wkpup_1p8v::smoke", "gpio/1p8v", "completed", "6", "identical", "pass"]
    assert lines[2].split() == [*first, "rwkpull0", "1.218", "kΩ", "(30.4", "%)"]
    assert lines[3].split() == ["4", "cli::TT", "m40", "gpio/1p8v", "failed", "5", "(2",
                                "failed)", "-", "-", "-"]  # fmt: skip


def test_wkpup_run_prints_each_problem_of_a_bad_spec_file_and_creates_nothing(
    tmp_path: Path,
) -> None:
    import os
    import subprocess
    import sys

    dom = copy_domain(tmp_path, "spec:\n  rwkpull0: {min: 9000, max: 4000}\n  nope: {max: 1}\n")
    wkpup = Path(sys.executable).with_name("wkpup")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WKPUP_")}
    env.update(WKPUP_DB=str(tmp_path / "st" / "db"), WKPUP_RUNS=str(tmp_path / "runs"))
    argv = [str(wkpup), "run", "gpio/1p8v", "--domains", str(dom.parents[1]),
            "--corners", "TT", "--temperatures", "m40"]  # fmt: skip
    done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True)
    lines = done.stderr.splitlines()
    assert done.returncode == 2 and len(lines) == 2, done.stderr
    assert lines[0].startswith(f"ERROR: {dom / SPEC_FILE}:2: spec.rwkpull0:")
    assert lines[1].startswith(f"ERROR: {dom / SPEC_FILE}:3: spec.nope:")
    assert not (tmp_path / "st").exists() and not (tmp_path / "runs").exists()
    # A spec.yaml that is a link out of the domain is refused unread (its text never shown).
    secret = tmp_path / "secret.yaml"
    secret.write_text("spec: {rwkpull0: {min: 1}}  # not the domain's\n")
    (dom / SPEC_FILE).unlink()
    (dom / SPEC_FILE).symlink_to(secret)
    done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.splitlines() == [
        f"ERROR: {dom / SPEC_FILE}: file: a link leading out of the domain; "
        "allowed: a regular file inside the domain folder"
    ]
    assert not (tmp_path / "st").exists() and not (tmp_path / "runs").exists()


def test_the_web_form_refuses_a_bad_spec_file_naming_every_problem(tmp_path: Path) -> None:
    from wkpup_harness.core import locate_core
    from wkpup_harness.settings import resolve
    from wkpup_harness.web import service

    dom = copy_domain(tmp_path, "spec:\n  rwkpull0: {min: 9000, max: 4000}\n  nope: {max: 1}\n")
    settings = resolve(
        {"domains": str(dom.parents[1]), "db": str(tmp_path / "st" / "db")},
        project_root=Path(__file__).resolve().parents[1],
        env={},
    )
    sub = service.Submission(domain="gpio/1p8v", corners=["TT"], temperatures=["m40"])
    with pytest.raises(service.InputError) as info:
        service.job_spec(sub, settings, locate_core(settings.core))
    first, second = str(info.value).split("; ERROR: ")
    assert info.value.field == "domain" and "\n" not in str(info.value)
    assert first.startswith(f"ERROR: {dom / SPEC_FILE}:2: spec.rwkpull0:")
    assert second.startswith(f"{dom / SPEC_FILE}:3: spec.nope:")
    assert not (tmp_path / "st").exists()
