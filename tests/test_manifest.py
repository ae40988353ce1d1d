"""The core checksum manifest: the shipped core matches it, and any byte change, missing
file or extra file is caught (by the library and by `make verify-core`)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from coreutil import REPO

from wkpup_harness.core import manifest

CORE = REPO / "pai_ho_core"


def test_shipped_core_matches_its_manifest():
    result = manifest.verify(CORE)
    assert result.ok, result.describe()
    assert result.checked == len(manifest.core_files(CORE)) > 20


def test_manifest_is_sha256sum_compatible():
    p = subprocess.run(
        ["sha256sum", "--quiet", "-c", "MANIFEST.sha256"], cwd=CORE, capture_output=True, text=True
    )
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.fixture
def core_copy(tmp_path):
    dest = tmp_path / "pai_ho_core"
    shutil.copytree(CORE, dest)
    return dest


def test_one_changed_byte_is_caught(core_copy):
    target = core_copy / "ver03" / "tb_gen" / "gen_tb.pl"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    result = manifest.verify(core_copy)
    assert not result.ok
    assert result.modified == ["ver03/tb_gen/gen_tb.pl"]
    assert "modified: ver03/tb_gen/gen_tb.pl" in result.describe()


def test_missing_and_extra_files_are_caught(core_copy):
    (core_copy / "ver03" / "stages" / "bkp.sh").unlink()
    (core_copy / "ver03" / "local_pvt_loop.sh").write_text("# a local override\n")
    result = manifest.verify(core_copy)
    assert result.missing == ["ver03/stages/bkp.sh"]
    assert result.extra == ["ver03/local_pvt_loop.sh"]


def test_make_verify_core_fails_on_a_modified_core(core_copy):
    (core_copy / "ver03" / "sim_pvt.sh").write_text("#!/bin/sh\n")
    p = subprocess.run(
        ["make", "-s", "verify-core", f"CORE={core_copy}"], cwd=REPO, capture_output=True, text=True
    )
    assert p.returncode != 0
    assert "sim_pvt.sh" in p.stdout + p.stderr


def test_cli_exit_codes(core_copy, capsys):
    assert manifest.main(["verify", str(core_copy)]) == 0
    (core_copy / "ver03" / "extra.txt").write_text("x")
    assert manifest.main(["verify", str(core_copy)]) == 1
    assert "not in manifest: ver03/extra.txt" in capsys.readouterr().err
    (core_copy / "MANIFEST.sha256").unlink()
    assert manifest.main(["verify", str(core_copy)]) == 2
