"""`-n N` of a scenario-only session starts no more xdist workers than it has domains (a
domain's jobs run on one worker: the others would only start, collect and idle); a Python
test file among the paths, or a single item, leaves -n as given."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from coreutil import DOMAINS, REPO
from wkpup_pytest.workers import session_domains

from wkpup_harness.engine.workdir import copy_domain

CORE = REPO / "pai_ho_core"


def scenario(domain: str, corner: str) -> str:
    return f"domain: {domain}\njobs:\n  - name: j_{corner}\n    corners: [{corner}]\n"


@pytest.fixture
def project(pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name in [k for k in os.environ if k.startswith("WKPUP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("WKPUP_SLOT_DIR", str(tmp_path / "slots"))
    copy_domain(DOMAINS, pytester.path / "domains")
    pytester.makeini(f"[pytest]\npvt_core = {CORE}\n")
    reg = pytester.path / "regression"
    (reg / "gpio").mkdir(parents=True)
    (reg / "gpio" / "a.yaml").write_text(scenario("gpio/1p8v", "TT"))
    (reg / "gpio" / "b.yaml").write_text(scenario("gpio/1p8v", "FFG"))
    (reg / "i3c.yaml").write_text(scenario("i3c/1p8v", "TT"))
    return pytester


def test_the_domains_of_a_scenario_tree(tmp_path: Path) -> None:
    reg = tmp_path / "regression"
    (reg / "x" / ".hidden").mkdir(parents=True)
    (reg / "x" / "a.yaml").write_text(scenario("gpio/1p8v", "TT"))
    (reg / "x" / "b.yml").write_text(scenario("gpio/1p8v", "SSG"))
    (reg / "c.yaml").write_text(scenario("i3c/1p8v", "TT"))
    (reg / "x" / ".hidden" / "d.yaml").write_text(scenario("other/1v", "TT"))
    (reg / "conftest.py").write_text("")
    (tmp_path / "elsewhere.yaml").write_text("not: a scenario\n")
    pats = ["test_*.py"]
    assert session_domains([reg], [reg], pats) == {"gpio/1p8v", "i3c/1p8v"}
    assert session_domains([tmp_path], [reg], pats) == {"gpio/1p8v", "i3c/1p8v"}
    assert session_domains([reg / "c.yaml"], [reg], pats) == {"i3c/1p8v"}
    (reg / "x" / "test_more.py").write_text("def test_x(): pass\n")
    assert session_domains([reg], [reg], pats) is None  # Python tests: cannot be counted
    assert session_domains([reg / "c.yaml"], [reg], pats) == {"i3c/1p8v"}
    assert session_domains([reg / "missing"], [reg], pats) is None
    (reg / "c.yaml").write_text("domain: [\n")
    assert session_domains([reg / "c.yaml"], [reg], pats) is None


def test_n8_of_two_domains_starts_two_workers(project) -> None:
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "regression", "-n", "8",
                                          "--pvt-db", "none", "--collect-only", "-q")  # fmt: skip
    # (--collect-only: xdist starts no worker; the count is in the header of a real run)
    assert result.ret == 0
    result = project.runpytest_subprocess(
        "-p", "no:cacheprovider", "regression", "-n", "8", "--pvt-db", "none", "-k", "nomatch"
    )
    out = result.stdout.str()
    assert "created: 2/2 workers" in out, out
    assert "wkpup: 2 xdist worker(s) for 2 domain(s) (-n 8" in out


def test_a_python_test_file_leaves_n_as_given(project) -> None:
    (project.path / "regression" / "test_extra.py").write_text("def test_x():\n    pass\n")
    result = project.runpytest_subprocess(
        "-p", "no:cacheprovider", "regression", "-n", "3", "--pvt-db", "none", "-k", "nomatch"
    )
    out = result.stdout.str()
    assert "created: 3/3 workers" in out, out
    assert "xdist worker(s) for" not in out
