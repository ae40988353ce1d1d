"""A domain is checked before any job of it exists (issue #18 item 4).

Each hostile domain below (a missing, empty, dangling, duplicated or non-regular template,
a config.cfg that is a directory, FIFO or device, a link leading out of the domain) is
refused by every face that starts a job of it: ``wkpup run <domain>`` (exit 2), the web's
submit (HTTP 4xx), a scenario file naming it (``wkpup validate`` and the run of its job), and
``wkpup validate <domain>``: one line naming the file at fault and what is wrong, no job row
in the store, nothing in the run root. ``ngspice`` on PATH is a tripwire.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from coreutil import DOMAINS, REPO
from hostile import Outcome, assert_one_line_error, isolated, snapshot, wkpup_batch

from tests.webutil import running
from wkpup_harness.config import read_config
from wkpup_harness.config.domain import check_domain, domain_names
from wkpup_harness.config.scenario import ScenarioError, domain_job, read_domain_job
from wkpup_harness.core import locate_core
from wkpup_harness.errors import ConfigError

TABLES = locate_core(REPO / "pai_ho_core").tables()
FAMILY = "bad"
TB = "sim_tx.sp"


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _device(path: Path) -> None:
    """A character device (/dev/null's numbers); a link to /dev/null where mknod is denied."""
    path.unlink()
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except OSError:
        path.symlink_to("/dev/null")


def _dir(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _dangling(path: Path) -> None:
    path.unlink()
    path.symlink_to(path.parent / "no-such-file.sp")


def _link_out(path: Path) -> None:
    outside = path.parents[3] / "outside" / path.name
    outside.parent.mkdir(exist_ok=True)
    shutil.copyfile(path, outside)
    path.unlink()
    path.symlink_to(outside)


def _no_template(d: Path) -> None:
    shutil.rmtree(d / "template")


def _empty_template(d: Path) -> None:
    (d / "template" / TB).unlink()
    (d / "template" / "README").write_text("no testbench here\n")


def _two_templates(d: Path) -> None:
    shutil.copyfile(d / "template" / TB, d / "template" / "other.sp")


def _template_file(d: Path) -> None:
    shutil.rmtree(d / "template")
    (d / "template").write_text("not a folder\n")


def on_template(change: Callable[[Path], None]) -> Callable[[Path], None]:
    return lambda d: change(d / "template" / TB)


def on_config(change: Callable[[Path], None]) -> Callable[[Path], None]:
    return lambda d: change(d / "config.cfg")


# (case, how the copy of gpio/1p8v is spoilt, words of the one error line, config.cfg broken)
CASES: list[tuple[str, Callable[[Path], None], tuple[str, ...], bool]] = [
    ("no_template", _no_template, ("template", "no template/ directory"), False),
    ("empty_template", _empty_template, ("template", "no *.sp testbench"), False),
    ("two_templates", _two_templates, ("template", "other.sp", "exactly one"), False),
    ("template_not_dir", _template_file, ("template", "not a directory"), False),
    ("template_dangling", on_template(_dangling), (TB, "dangling link"), False),
    ("template_is_dir", on_template(_dir), (TB, "a directory"), False),
    ("template_fifo", on_template(_fifo), (TB, "not a regular file"), False),
    ("template_device", on_template(_device), (TB,), False),
    ("template_link_out", on_template(_link_out), (TB, "leading out of the domain"), False),
    ("config_dir", on_config(_dir), ("config.cfg", "directory"), True),
    ("config_fifo", on_config(_fifo), ("config.cfg", "not a regular file"), True),
    ("config_device", on_config(_device), ("config.cfg",), True),
    ("config_dangling", on_config(_dangling), ("config.cfg",), True),
]
IDS = [c[0] for c in CASES]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose domains root holds one spoilt copy of gpio/1p8v per case (and the
    good one), a scenario file per case, and a tripwire ``ngspice``."""
    root = tmp_path_factory.mktemp("domain_check")
    domains = root / "domains"
    shutil.copytree(DOMAINS / "common", domains / "common")
    shutil.copytree(DOMAINS / "gpio" / "1p8v", domains / FAMILY / "good")
    for name, spoil, _, _ in CASES:
        d = domains / FAMILY / name
        shutil.copytree(DOMAINS / "gpio" / "1p8v", d)
        spoil(d)
    (root / "wkpup.toml").write_text(f'core = "{REPO / "pai_ho_core"}"\ndomains = "domains"\n')
    scenarios = root / "regression"
    scenarios.mkdir()
    for name, _, _, _ in CASES:
        (scenarios / f"{name}.yaml").write_text(
            f"domain: {FAMILY}/{name}\njobs:\n  - name: a\n    corners: [TT]\n"
        )
    trip = root / "bin"
    trip.mkdir()
    (trip / "ngspice").write_text(f"#!/bin/sh\ntouch {root}/EXECUTED_ngspice\nexit 1\n")
    (trip / "ngspice").chmod(0o755)
    return root


def env_of(project: Path) -> dict[str, str]:
    return {
        **isolated(project / "state"),
        "PATH": f"{project / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


@pytest.fixture(scope="module")
def cli(project: Path) -> dict[str, Outcome]:
    """Every CLI case in one process: run <domain>, run <scenario>::a, validate <scenario>,
    validate <domain>. Nothing may be created by any of them."""
    cases: list[tuple[list[str], dict[str, str]]] = []
    keys = []
    domains = str(project / "domains")
    for name, _, _, _ in CASES:
        for kind, argv in (
            ("run", ["run", f"{FAMILY}/{name}", "--domains", domains, "--corners", "TT"]),
            ("run_scenario", ["run", f"regression/{name}.yaml::a"]),
            ("validate_scenario", ["validate", f"regression/{name}.yaml"]),
            ("validate_domain", ["validate", f"domains/{FAMILY}/{name}"]),
        ):
            cases.append((argv, env_of(project)))
            keys.append(f"{kind}:{name}")
    before = snapshot(project)
    outcomes = wkpup_batch(cases, project, timeout=300)
    assert snapshot(project) == before, sorted(snapshot(project) - before)[:10]
    assert not (project / "state").exists() and not list(project.glob("EXECUTED_*"))
    return dict(zip(keys, outcomes, strict=True))


@pytest.mark.parametrize(("name", "spoil", "words", "config_broken"), CASES, ids=IDS)
def test_wkpup_run_refuses_the_domain(cli, name, spoil, words, config_broken) -> None:
    line = assert_one_line_error(cli[f"run:{name}"], 2, *words)
    assert line.startswith("ERROR: ") and f"{FAMILY}/{name}/" in line
    assert "see log" not in line and "is not allowed" not in line


@pytest.mark.parametrize(("name", "spoil", "words", "config_broken"), CASES, ids=IDS)
def test_a_scenario_of_the_domain_is_refused(cli, name, spoil, words, config_broken) -> None:
    for kind in ("run_scenario", "validate_scenario"):
        line = assert_one_line_error(cli[f"{kind}:{name}"], 2, f"{name}.yaml:1:", *words)
        assert "domain" in line


@pytest.mark.parametrize(("name", "spoil", "words", "config_broken"), CASES, ids=IDS)
def test_wkpup_validate_refuses_the_domain(cli, name, spoil, words, config_broken) -> None:
    line = assert_one_line_error(cli[f"validate_domain:{name}"], 2, *words)
    assert line.startswith(f"ERROR: domains/{FAMILY}/{name}/")


def test_the_good_copy_passes(project: Path) -> None:
    [run, val] = wkpup_batch(
        [
            (["validate", f"domains/{FAMILY}/good"], env_of(project)),
            (["validate", f"domains/{FAMILY}"], env_of(project)),
        ],
        project,
    )
    assert run.code == 0 and run.err == "", run.err
    assert val.code == 2 and f"OK: domains/{FAMILY}/good: domain" in val.out
    assert len(val.err.splitlines()) == len(CASES)  # one line per spoilt domain


def test_web_submit_refuses_the_domain(project: Path, tmp_path: Path) -> None:
    """POST /api/jobs of each spoilt domain: 4xx, one line; no job row, no run directory."""
    with running(tmp_path, WKPUP_DOMAINS=str(project / "domains")) as server:
        runs = tmp_path / "runs"
        before = snapshot(runs) if runs.exists() else set()
        for name, _, words, config_broken in CASES:
            code, body = server.post("/api/jobs", {"domain": f"{FAMILY}/{name}"})
            assert 400 <= code < 500, (name, code, body)
            message = body["detail"] if isinstance(body, dict) else str(body)
            assert "\n" not in message, message
            if not config_broken:  # a domain without a readable config.cfg is not listed
                assert all(w.lower() in message.lower() for w in words), (name, message)
        code, rows = server.get("/api/jobs")
        assert code == 200 and rows == []
        assert (snapshot(runs) if runs.exists() else set()) == before
        code, ok = server.post("/api/validate", {"domain": f"{FAMILY}/good", "corners": ["TT"]})
        assert code == 200 and ok["ok"], ok
    assert not list(project.glob("EXECUTED_*"))


# --- in process: domain_job and check_domain ----------------------------------------------------
@pytest.mark.parametrize(("name", "spoil", "words", "config_broken"), CASES, ids=IDS)
def test_check_domain_names_the_file(project: Path, name, spoil, words, config_broken) -> None:
    d = project / "domains" / FAMILY / name
    [problem] = check_domain(d)
    assert problem.field == "domain" and str(d) in problem.file
    assert "\n" not in str(problem)


def test_domain_job_checks_the_domain_first(project: Path) -> None:
    good = project / "domains" / FAMILY / "good"
    base = read_config(good / "config.cfg", tables=TABLES)
    assert domain_job("bad/good", good, base, tables=TABLES, corners=["TT"]).point_count == 12
    bad = project / "domains" / FAMILY / "two_templates"
    with pytest.raises(ConfigError) as info:
        domain_job("bad/two_templates", bad, base, tables=TABLES)
    assert info.value.field == "domain" and len(info.value.problems) == 1


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"corners": ["XX"]}, "corners"),
        ({"temperatures": ["50"]}, "temperatures"),
        ({"name": "a;b"}, "name"),
        ({"overrides": {"condition": "fast"}}, "config.condition"),
        ({"overrides": {"cond\nition": "perf"}}, "config.cond\nition"),
    ],
)
def test_domain_job_errors_carry_their_field(project: Path, kw: dict, field: str) -> None:
    good = project / "domains" / FAMILY / "good"
    base = read_config(good / "config.cfg", tables=TABLES)
    with pytest.raises((ConfigError, ScenarioError)) as info:
        domain_job("bad/good", good, base, tables=TABLES, source="--set", **kw)
    assert info.value.field == field, (info.value.field, str(info.value))


def test_domain_names_include_the_broken_ones(project: Path) -> None:
    """What a face offers: every domain folder, the broken ones too (check_domain then names
    their problem), never common/ (no config.cfg, no template/)."""
    names = domain_names(project / "domains")
    assert names == sorted(f"{FAMILY}/{n}" for n in ["good", *IDS])
    assert domain_names(project / "nowhere") == []


def test_read_domain_job_reports_folder_and_config_together(project: Path, tmp_path) -> None:
    d = tmp_path / "bad" / "both"
    shutil.copytree(project / "domains" / FAMILY / "good", d)
    _two_templates(d)
    cfg = d / "config.cfg"
    cfg.write_text(cfg.read_text().replace("condition:perf", "condition:fast") + "colour:red\n")
    with pytest.raises(ConfigError) as info:
        read_domain_job("bad/both", d, tables=TABLES)
    problems = info.value.problems
    assert [(p.key, p.field) for p in problems] == [
        ("template", "domain"), ("condition", "config"), ("colour", "config")
    ]  # fmt: skip
    good = project / "domains" / FAMILY / "good"
    spec = read_domain_job("bad/good", good, tables=TABLES, corners=["TT"], source="--set")
    assert spec.point_count == 12 and spec.corners == ("TT",)
