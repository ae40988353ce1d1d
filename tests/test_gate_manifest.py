"""The core checksum gate (core/manifest.py) on small cores built in tmp_path: which files it
covers and which it skips, the exact sha256sum line format it reads and writes, and the
verdict and exit status of every outcome. Fast: no simulator, no copy of the real core."""

from __future__ import annotations

import hashlib
import os
import sys

import pytest

from wkpup_harness.core import manifest


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def core(tmp_path):
    root = tmp_path / "core"
    (root / "ver03" / "stages").mkdir(parents=True)
    (root / "ver03" / "sim_pvt.sh").write_text("#!/bin/sh\n")
    (root / "ver03" / "stages" / "gen.sh").write_text("gen\n")
    (root / "table.csv").write_text("a,b\n")
    manifest.write(root)
    return root


# --- which files the manifest covers ---------------------------------------------------------
def test_core_files_are_every_file_but_the_manifest_sorted(core):
    assert manifest.core_files(core) == ["table.csv", "ver03/sim_pvt.sh", "ver03/stages/gen.sh"]


def test_only_pycache_directories_are_skipped(core):
    (core / "ver03" / "__pycache__").mkdir()
    (core / "ver03" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    (core / "__pycache__x").mkdir()
    (core / "__pycache__x" / "kept.txt").write_text("k")
    (core / "ver03" / "__pycache__.txt").write_text("k")
    names = manifest.core_files(core)
    assert "ver03/__pycache__/x.pyc" not in names
    assert "__pycache__x/kept.txt" in names and "ver03/__pycache__.txt" in names
    result = manifest.verify(core)
    assert result.extra == ["__pycache__x/kept.txt", "ver03/__pycache__.txt"]


def test_names_that_only_resemble_the_manifest_are_covered(core):
    (core / "MANIFEST.sha256.bak").write_text("x")
    (core / "manifest.sha256").write_text("x")
    assert manifest.verify(core).extra == ["MANIFEST.sha256.bak", "manifest.sha256"]


def test_symlinks_are_covered_even_dangling(core):
    os.symlink("nowhere", core / "ver03" / "dangling")
    os.symlink("sim_pvt.sh", core / "ver03" / "alias.sh")
    names = manifest.core_files(core)
    assert "ver03/dangling" in names and "ver03/alias.sh" in names
    assert manifest.verify(core).extra == ["ver03/alias.sh", "ver03/dangling"]


def test_directories_are_not_files(core):
    (core / "empty_dir").mkdir()
    assert "empty_dir" not in manifest.core_files(core)
    assert manifest.verify(core).ok


# --- hashing and the sha256sum format ---------------------------------------------------------
def test_a_large_file_hashes_like_sha256sum(tmp_path):
    data = bytes(range(256)) * 700  # 179200 bytes: several read blocks
    (tmp_path / "big.bin").write_bytes(data)
    assert manifest.compute(tmp_path) == {"big.bin": sha(data)}


def test_write_produces_sha256sum_lines_and_no_temporary(core):
    path = manifest.write(core)
    assert path == core / "MANIFEST.sha256"
    assert path.read_text() == (
        f"{sha(b'a,b' + bytes([10]))}  table.csv\n"
        f"{sha(b'#!/bin/sh' + bytes([10]))}  ver03/sim_pvt.sh\n"
        f"{sha(b'gen' + bytes([10]))}  ver03/stages/gen.sh\n"
    )
    assert sorted(p.name for p in core.iterdir()) == ["MANIFEST.sha256", "table.csv", "ver03"]


def test_digest_names_the_manifest_itself(core, tmp_path):
    assert manifest.digest(core) == sha((core / "MANIFEST.sha256").read_bytes())
    assert manifest.digest(tmp_path / "nothing") is None


def test_read_manifest_entries(core):
    entries = manifest.read_manifest(core)
    assert entries == {
        "table.csv": sha(b"a,b\n"),
        "ver03/sim_pvt.sh": sha(b"#!/bin/sh\n"),
        "ver03/stages/gen.sh": sha(b"gen\n"),
    }


def test_a_name_with_two_spaces_keeps_them(tmp_path):
    (tmp_path / "MANIFEST.sha256").write_text(f"{'a' * 64}  odd  name\n")
    assert manifest.read_manifest(tmp_path) == {"odd  name": "a" * 64}


def test_an_empty_manifest_has_no_entries(tmp_path):
    (tmp_path / "MANIFEST.sha256").write_text("")
    assert manifest.read_manifest(tmp_path) == {}


@pytest.mark.parametrize(
    "bad",
    [
        "a" * 63 + "  x",  # digest one short
        "a" * 65 + "  x",  # one long
        "a" * 64 + " x",  # one space: not the sha256sum separator
        "a" * 64,  # no name
    ],
)
def test_a_line_that_is_not_sha256sum_is_refused_with_its_number(tmp_path, bad):
    (tmp_path / "MANIFEST.sha256").write_text(f"{'b' * 64}  ok\n{bad}\n")
    with pytest.raises(manifest.ManifestError) as info:
        manifest.read_manifest(tmp_path)
    assert str(info.value) == f"{tmp_path / 'MANIFEST.sha256'}:2: not a sha256sum line: {bad!r}"


def test_a_missing_manifest_is_a_manifest_error(tmp_path):
    with pytest.raises(manifest.ManifestError) as info:
        manifest.read_manifest(tmp_path)
    assert str(info.value) == (
        f"{tmp_path / 'MANIFEST.sha256'}: cannot read the core manifest (No such file or directory)"
    )


# --- verify: the verdict ---------------------------------------------------------------------
def test_the_written_core_verifies(core):
    result = manifest.verify(core)
    assert result.ok and result.checked == 3
    assert (result.modified, result.missing, result.extra) == ([], [], [])
    assert result.core == core.resolve()
    assert result.describe() == f"core OK: 3 files match {core.resolve() / 'MANIFEST.sha256'}"


def test_every_kind_of_difference_is_named_sorted(core):
    (core / "ver03" / "sim_pvt.sh").write_text("#!/bin/sh\nexit 0\n")
    (core / "table.csv").write_text("a,b\n ")  # one trailing space
    (core / "ver03" / "stages" / "gen.sh").unlink()
    (core / "zz.sh").write_text("new\n")
    (core / "aa.sh").write_text("new\n")
    result = manifest.verify(core)
    assert not result.ok
    assert result.checked == 3
    assert result.modified == ["table.csv", "ver03/sim_pvt.sh"]
    assert result.missing == ["ver03/stages/gen.sh"]
    assert result.extra == ["aa.sh", "zz.sh"]
    assert result.describe() == (
        f"core at {core.resolve()} differs from its manifest; "
        "modified: table.csv, ver03/sim_pvt.sh; missing: ver03/stages/gen.sh; "
        "not in manifest: aa.sh, zz.sh"
    )


@pytest.mark.parametrize("kind", ["modified", "missing", "extra"])
def test_each_kind_alone_fails_the_gate(core, kind):
    if kind == "modified":
        (core / "table.csv").write_bytes(b"a,b\r\n")  # line ending only
    elif kind == "missing":
        (core / "table.csv").unlink()
    else:
        (core / "new.txt").write_text("")
    result = manifest.verify(core)
    assert not result.ok
    label = {"modified": "modified", "missing": "missing", "extra": "not in manifest"}[kind]
    name = "new.txt" if kind == "extra" else "table.csv"
    assert result.describe().endswith(f"differs from its manifest; {label}: {name}")


def test_a_missing_file_is_not_also_modified(core):
    (core / "table.csv").unlink()
    result = manifest.verify(core)
    assert result.modified == [] and result.missing == ["table.csv"]


# --- the command line ----------------------------------------------------------------------
def test_main_usage_errors(capsys):
    usage = "usage: python -m wkpup_harness.core.manifest verify|write [core_root]\n"
    for argv in ([], ["check"], ["verify", "a", "b"]):
        assert manifest.main(argv) == 2
        assert capsys.readouterr().err == usage


def test_main_write_then_verify(core, capsys):
    (core / "new.txt").write_text("n")
    assert manifest.main(["verify", str(core)]) == 1
    out = capsys.readouterr()
    assert out.out == "" and out.err.startswith(f"core at {core.resolve()} differs")
    assert manifest.main(["write", str(core)]) == 0
    assert capsys.readouterr().out == f"wrote {core / 'MANIFEST.sha256'}\n"
    assert manifest.main(["verify", str(core)]) == 0
    out = capsys.readouterr()
    assert out.err == "" and out.out == f"core OK: 4 files match {core.resolve()}/MANIFEST.sha256\n"


def test_main_without_a_manifest_is_an_error(tmp_path, capsys):
    assert manifest.main(["verify", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"ERROR: {tmp_path.resolve() / 'MANIFEST.sha256'}: cannot read")


def test_main_defaults_to_the_shipped_core(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["manifest", "verify"])
    assert manifest.main() == 0
    expected = manifest.DEFAULT_CORE.resolve() / "MANIFEST.sha256"
    out = capsys.readouterr().out
    assert out.startswith("core OK: ") and out.endswith(f" files match {expected}\n")
    assert manifest.DEFAULT_CORE.name == "pai_ho_core" and manifest.DEFAULT_CORE.is_dir()
