"""``wkpup core verify``, ``wkpup --version`` and the pytest plugin's activation find the core
through the one settings resolver (issue #18 item 3): a core named in ``wkpup.toml`` is the
core they verify, report and activate for, as ``wkpup run`` would use it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from coreutil import REPO

from wkpup_harness.settings import SettingsError, project_core_configured


def wkpup(cwd: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("WKPUP_")}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "wkpup_harness.cli.main", *argv],
        cwd=cwd, env=full, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture
def modified(tmp_path: Path) -> Path:
    """A project whose wkpup.toml names a copy of the core with one byte changed."""
    core = tmp_path / "site_core"
    shutil.copytree(REPO / "pai_ho_core", core)
    victim = core / "ver03" / "tb_gen" / "gen_tb.pl"
    data = bytearray(victim.read_bytes())
    data[100] ^= 0x01
    victim.write_bytes(bytes(data))
    project = tmp_path / "project"
    project.mkdir()
    (project / "wkpup.toml").write_text(f'core = "{core}"\n')
    return project


def test_core_verify_checks_the_project_files_core(modified: Path) -> None:
    o = wkpup(modified, "core", "verify")
    assert o.returncode == 1 and "modified: ver03/tb_gen/gen_tb.pl" in o.stderr, o
    # The environment wins over the project file, a flag over both.
    o = wkpup(modified, "core", "verify", WKPUP_CORE=str(REPO / "pai_ho_core"))
    assert o.returncode == 0 and o.stdout.startswith("core OK:"), o
    o = wkpup(modified, "core", "verify", "--core", str(REPO / "pai_ho_core"))
    assert o.returncode == 0, o


def test_version_names_the_project_files_core(modified: Path) -> None:
    o = wkpup(modified, "--version")
    core = modified.parent / "site_core"
    assert o.returncode == 0 and f"core {core} manifest sha256" in o.stdout, o
    o = wkpup(modified.parent, "--version")  # no project: the embedded core
    assert f"core {REPO / 'pai_ho_core'} manifest" in o.stdout, o


def test_plugin_activation_is_a_settings_question(tmp_path: Path) -> None:
    assert not project_core_configured(tmp_path, env={})
    assert project_core_configured(tmp_path, env={"WKPUP_CORE": "/x"})
    assert project_core_configured(tmp_path, flag="/x", env={})
    assert project_core_configured(tmp_path, ini="/x", env={})
    assert not project_core_configured(tmp_path, env={"WKPUP_CORE": ""})
    (tmp_path / "pyproject.toml").write_text('[tool.wkpup]\ncore = "core"\n')
    assert project_core_configured(tmp_path, env={})
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\npvt_core = "c"\n')
    assert project_core_configured(tmp_path, env={})
    (tmp_path / "pyproject.toml").write_text("[tool.wkpup]\ncpus = 2\n")
    assert not project_core_configured(tmp_path, env={})
    (tmp_path / "pyproject.toml").write_text("[tool.wkpup]\nbogus = 2\n")
    with pytest.raises(SettingsError, match="bogus"):
        project_core_configured(tmp_path, env={})
    (tmp_path / "wkpup.toml").write_text("")
    assert project_core_configured(tmp_path, env={})
