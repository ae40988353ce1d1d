"""The suite's one optional part (tests/conftest.py): tests marked `realflow` run only with a
real core (`--pvt-real-core DIR` / `WKPUP_REAL_CORE`) and are otherwise skipped in ONE summary
line, wherever they are; a wrong directory is a usage error, not a silent skip."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")
TEST = """\
import pytest

pytestmark = pytest.mark.realflow


def test_{name}_a(real_core):
    assert (real_core / "sim_pvt.sh").is_file()


def test_{name}_b():
    pass
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("WKPUP_REAL_CORE", raising=False)
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makeini("[pytest]\naddopts = -ra --strict-markers\nmarkers =\n    realflow: x\n")
    for name in ("one", "two"):
        pytester.makepyfile(**{f"test_{name}": TEST.format(name=name)})
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    return pytester


def test_without_a_real_core_every_realflow_test_is_skipped_in_one_line(project) -> None:
    result = project.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=4)
    skipped = [line for line in result.outlines if line.startswith("SKIPPED")]
    assert len(skipped) == 1, skipped
    assert skipped[0].startswith("SKIPPED [4] conftest.py: realflow: no real wkpup2 ver03 core")


def test_with_a_real_core_they_run_and_get_its_directory(project, tmp_path: Path) -> None:
    ver03 = tmp_path / "auto_pvt" / "ver03"
    ver03.mkdir(parents=True)
    (ver03 / "sim_pvt.sh").write_text("# the site's\n")
    for given in (ver03, ver03.parent, ver03 / "sim_pvt.sh"):
        project.runpytest("-p", "no:cacheprovider", f"--pvt-real-core={given}").assert_outcomes(
            passed=5
        )


def test_a_wrong_real_core_is_a_usage_error(project, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("WKPUP_REAL_CORE", str(tmp_path / "nowhere"))
    result = project.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*WKPUP_REAL_CORE*nowhere: no sim_pvt.sh there nor in its ver03/"])
