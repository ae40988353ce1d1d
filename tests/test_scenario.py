"""Scenario files, spec limits and the golden diff: the harness's judging logic, without a
simulator (the creports here are built from real-format text)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from coreutil import DOMAINS, FIXTURE_BKP, REPO

from wkpup_harness.config.scenario import ScenarioError, load_scenario
from wkpup_harness.core import locate_core
from wkpup_harness.engine.workdir import copy_domain
from wkpup_harness.results import golden, parse_creport, spec

TABLES = locate_core(REPO / "pai_ho_core").tables()
GOLDEN_SMOKE = REPO / "golden" / "gpio" / "wkpup_1p8v" / "smoke" / "creport.txt"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "regression" / "gpio" / "s.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def load(tmp_path: Path, text: str, domains: Path = DOMAINS):
    path = write(tmp_path, text)
    return load_scenario(path, root=tmp_path / "regression", domains_root=domains, tables=TABLES)


def test_jobs_inherit_file_settings_and_override_them(tmp_path):
    s = load(
        tmp_path,
        """
domain: gpio/1p8v
config: {condition: htol}
spec: {rwkpull0: {min: 1000}}
marks: [slow]
jobs:
  - name: a
  - name: b
    config: {"gs/gf_corner": No, condition: perf}
    corners: [TT, SSG]
    temperatures: [125, m40]
    spec: {vwkp: {max: 2.5}}
    marks: [fast]
    golden: false
""",
    )
    a, b = s.jobs
    assert s.name == "gpio/s"
    assert a.job_id == "gpio/s::a" and a.config.condition == "htol" and a.golden
    assert a.point_count == 9 * 2 * 1 + 2
    assert b.config.get("gs/gf_corner") == "No" and b.config.condition == "perf"
    assert b.temperatures == ("m40", "125")  # core order, whatever order was written
    assert b.core_env() == {"PAIHO_CORNERS": "TT SSG", "PAIHO_TEMPS": "m40 125"}
    assert b.point_count == 2 * 2 * 5
    # The domain's own limits (domains/gpio/1p8v/spec.yaml) apply too; a measurement the
    # file names is judged by the file's limits alone (rwkpull0: min 1000, no max).
    assert set(b.spec) == {"rwkpull0", "vwkp", "rwkpull_vih", "vwkp_drop"}
    assert b.spec["rwkpull0"].bounds.min == 1000 and b.spec["rwkpull0"].bounds.max is None
    assert b.spec["vwkp_drop"].bounds.max == 0.01
    assert b.marks == ("slow", "fast") and not b.golden
    # Only the overridden lines differ from the domain's config file.
    base = (DOMAINS / "gpio" / "1p8v" / "config.cfg").read_text().splitlines()
    diff = [x for x, y in zip(base, b.config.to_text().splitlines(), strict=True) if x != y]
    assert diff == ["gs/gf_corner:Yes"]


BAD = [
    ("jobs: []\ndomain: gpio/1p8v\n", "jobs: empty list"),
    ("domain: gpio/9v9\njobs: [{name: a}]\n", "domain: 'gpio/9v9': no config.cfg"),
    (
        "domain: gpio/1p8v\ncolour: red\njobs: [{name: a}]\n",
        "colour: unknown key; allowed: config, description",
    ),
    (
        "domain: gpio/1p8v\njobs: [{name: a}, {name: a}]\n",
        "jobs[1].name: job name 'a' used twice (also jobs[0])",
    ),
    ("domain: gpio/1p8v\njobs: [{name: 'a b'}]\n", "jobs[0].name: 'a b' is not allowed"),
    (
        "domain: gpio/1p8v\njobs: [{name: a, config: {vccn: 9p9v}}]\n",
        "s.yaml:2: jobs[0].config.vccn: invalid value '9p9v'; allowed: 1p1v",
    ),
    (
        "domain: gpio/1p8v\njobs: [{name: a, temperatures: [50]}]\n",
        "temperature '50' is not in the core",
    ),
    (
        "domain: gpio/1p8v\njobs: [{name: a, temperatures: {m40: 1.8}}]\n",
        "per-temperature voltages are not supported",
    ),
    (
        "domain: gpio/1p8v\njobs: [{name: a, corners: [XX]}]\n",
        "jobs[0].corners: corner 'XX' is not in this run",
    ),
    (
        "domain: gpio/1p8v\njobs: [{name: a, config: {'gs/gf_corner': No}, corners: [FFG_SSG]}]\n",
        "corner 'FFG_SSG' is not in this run",
    ),
    ("domain: gpio/1p8v\njobs: [{name: a, spec: {vwkp: {min: 2, max: 1}}}]\n", "above max"),
    (
        "domain: gpio/1p8v\njobs: [{name: a, spec: {x: {typ: 1}}}]\n",
        "jobs[0].spec.x.typ: unknown key; allowed: min, max, corners",
    ),
    (
        "domain: gpio/1p8v\njobs: [{name: a, corners: [TT], temperatures: [85],"
        " config: {condition: htol}}]\n",
        None,
    ),
    ("domain: gpio/1p8v\njobs:\n  - name: a\n   bad: indent\n", "s.yaml:4: yaml: not valid YAML"),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=[str(i) for i in range(len(BAD))])
def test_scenario_mistakes_cost_no_simulation(tmp_path, text, message):
    if message is None:  # TT at 85 C exists (the nominal point): a valid subset
        assert load(tmp_path, text).jobs[0].point_count == 1
        return
    with pytest.raises(ScenarioError) as err:
        load(tmp_path, text)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_a_domain_with_a_local_pvt_loop_is_refused(tmp_path):
    domains = tmp_path / "domains"
    copy_domain(DOMAINS / "gpio", domains / "gpio")
    (domains / "gpio" / "1p8v" / "local_pvt_loop.sh").write_text("# my own loop\n")
    with pytest.raises(ScenarioError, match="local pvt_loop overrides are not supported"):
        load(tmp_path, "domain: gpio/1p8v\njobs: [{name: a}]\n", domains)


# --- spec -----------------------------------------------------------------------------------
def smoke_report():
    return parse_creport(GOLDEN_SMOKE.read_text(), str(GOLDEN_SMOKE))


def test_spec_checks_every_point_with_corner_overrides():
    report = smoke_report()
    values = {(r.corner, r.temperature): r.cells["rwkpull0"].value for r in report.rows}
    ref = values[("FFG", -40)]  # the TT points (and FFG 125 C) lie above it
    limits = spec.parse_spec(
        {"rwkpull0": {"max": ref, "corners": {"SSG": {"max": 1e9}}}, "vwkp": {"min": 0}}
    )
    found = spec.check(report, limits)
    expected = {(c, t) for (c, t), v in values.items() if c != "SSG" and v > ref}
    assert expected
    assert {(v.row.corner, v.row.temperature) for v in found} == expected
    assert all(v.name == "rwkpull0" for v in found)
    assert "spec <= " in found[0].describe()


def test_spec_failed_value_violates_and_unknown_names_are_errors():
    text = GOLDEN_SMOKE.read_text().splitlines(keepends=True)
    cells = text[10].split("\t")
    cells[9] = "failed"
    text[10] = "\t".join(cells)
    report = parse_creport("".join(text))
    found = spec.check(report, spec.parse_spec({"rwkpull0": {"min": 0}}))
    assert len(found) == 1 and found[0].value is None and "= failed" in found[0].describe()
    with pytest.raises(spec.SpecError, match="rwkpul0"):
        spec.check(report, spec.parse_spec({"rwkpul0": {"min": 0}}))


# --- golden ---------------------------------------------------------------------------------
def test_golden_diff_names_rows_and_measurements(tmp_path):
    text = GOLDEN_SMOKE.read_text()
    lines = text.splitlines(keepends=True)
    cells = lines[12].split("\t")
    old = cells[13]
    cells[13] = "9.99999999e+00"
    lines[12] = "\t".join(cells)
    changed = "".join(lines)
    d = golden.diff(text, changed)
    assert d is not None
    row = parse_creport(text).rows[2]
    # One line per differing cell: corner, extraction, temperature, each supply's level, the
    # measurement, golden -> new.
    assert d.lines == (
        f"{row.corner} typical {row.temperature}C v1=max v2=max vwkp_drop: {old} -> 9.99999999e+00",
    )
    assert golden.diff(text, text) is None
    # check(): missing, mismatch, update, identical
    path = tmp_path / "g" / "creport.txt"
    with pytest.raises(golden.GoldenMissing, match="--pvt-update-golden"):
        golden.check(path, text.encode())
    assert golden.check(path, text.encode(), update=True) == "created"
    assert golden.check(path, text.encode()) == "identical"
    with pytest.raises(golden.GoldenMismatch, match="1 difference") as info:
        golden.check(path, changed.encode())
    assert "\n" not in str(info.value)  # the error is one line; report() is the readable diff
    assert info.value.report().splitlines()[1] == d.lines[0]
    obtained = path.with_name("creport.txt.obtained")  # the new creport, for review
    assert info.value.obtained == obtained and obtained.read_text() == changed
    assert golden.check(path, changed.encode(), update=True) == "updated"
    assert not obtained.exists()


def test_golden_diff_reports_lost_rows_and_header_changes():
    text = GOLDEN_SMOKE.read_text()
    lines = text.splitlines(keepends=True)
    shorter = "".join(lines[:-1]).replace("vccana: ", "vccana: 9,")
    d = golden.diff(text, shorter)
    assert any(line.startswith("supply header vccana") for line in d.lines)
    assert any(line.endswith("row missing (in golden)") for line in d.lines)


def test_golden_diff_on_the_real_creport():
    real = (FIXTURE_BKP / "report" / "creport.txt").read_text()
    new = real.replace("7.39769677e+03", "7.39769678e+03", 1)
    d = golden.diff(real, new)
    assert d.lines == ("TT typical -40C v1=min v2=min rwkpull0: 7.39769677e+03 -> 7.39769678e+03",)


def test_a_file_level_mistake_still_reports_every_job_mistake(tmp_path):
    """A wrong file-level spec does not hide the jobs' own problems: all in one go, by line."""
    text = (
        "domain: gpio/1p8v\nspec:\n  rwkpull0: {min: .nan}\njobs:\n"
        '  - name: a\n    config: {vccn: "1p8v\\nvcc_vid:No"}\n    marks: [__class__]\n'
        "  - name: b\n    jobz: 1\n"
    )
    with pytest.raises(ScenarioError) as err:
        load(tmp_path, text)
    lines = [str(p) for p in err.value.problems]
    assert [ln.split(": ")[2] for ln in lines] == [
        "spec.rwkpull0.min",
        "jobs[0].config.vccn",
        "jobs[0].marks[0]",
        "jobs[1].jobz",
    ], lines
    assert [p.line for p in err.value.problems] == [3, 6, 7, 9]


# --- seven mistakes, seven lines, at once (issue #18) -------------------------------------------
SEVEN = """\
domain: gpio/1p8v
colour: red
jobs:
  - name: a
    corners: [TT, XX]
    temperatures: [m40, 50]
    config: {condition: fast}
    spec:
      nosuch: {max: 1}
      rwkpull0: {min: 5000, max: 1000}
  - name: a
"""
# (line, key) of each mistake: an unknown key, a corner, a temperature, a config value, a
# spec on a non-measurement, min above max, a job name used twice.
SEVEN_LINES = [
    (2, "colour"),
    (5, "jobs[0].corners"),
    (6, "jobs[0].temperatures"),
    (7, "jobs[0].config.condition"),
    (9, "jobs[0].spec.nosuch"),
    (10, "jobs[0].spec.rwkpull0"),
    (11, "jobs[1].name"),
]


def _seven(lines: list[str], path: str) -> None:
    assert len(lines) == 7, lines
    for line, (number, key) in zip(lines, SEVEN_LINES, strict=True):
        assert line.startswith(f"ERROR: {path}:{number}: {key}: "), line
        assert "; allowed: " in line


def test_seven_mistakes_are_seven_lines_in_process(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as err:
        load(tmp_path, SEVEN)
    _seven(str(err.value).splitlines(), str(tmp_path / "regression" / "gpio" / "s.yaml"))


def test_seven_mistakes_are_seven_lines_in_validate_and_collection(tmp_path: Path) -> None:
    write(tmp_path, SEVEN)
    (tmp_path / "wkpup.toml").write_text(f'core = "{REPO / "pai_ho_core"}"\n')
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WKPUP_")}
    env["WKPUP_DOMAINS"] = str(DOMAINS)
    env["WKPUP_DB"] = str(tmp_path / "never" / "wkpup.db")
    val = subprocess.run(
        [sys.executable, "-m", "wkpup_harness.cli.main", "validate", "regression"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert val.returncode == 2 and val.stdout == "", val
    _seven(val.stderr.splitlines(), "regression/gpio/s.yaml")
    col = subprocess.run(
        [sys.executable, "-m", "pytest", "regression", "--collect-only", "-q",
         "-p", "no:cacheprovider", "--pvt-domains", str(DOMAINS)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert col.returncode == 2, col.stdout[-2000:]
    lines = [ln for ln in col.stdout.splitlines() if ln.startswith("ERROR: /")]
    _seven(lines, str(tmp_path / "regression" / "gpio" / "s.yaml"))
    assert not (tmp_path / "never").exists()
