"""The raw-file reader (``results.rawfile``) against raw files a real ngspice writes in the
test (binary and ascii, transient and ac), and against hostile bytes: a clear
``ResultError``, never another exception."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from wkpup_harness.errors import ResultError
from wkpup_harness.results.rawfile import MAX_BYTES, parse_raw, read_raw

pytestmark = pytest.mark.ngspice

# An RC low-pass driven by a 1 V step at t = 0: v(out) = 1 - exp(-t / RC), RC = 1 us.
DECK = """rc step
V1 in 0 PULSE(0 1 0 1n 1n 1 2)
R1 in out 1k
C1 out 0 1n
.tran 10n 5u
.end
"""
AC_DECK = """rc ac
V1 in 0 AC 1
R1 in out 1k
C1 out 0 1n
.ac dec 5 1k 10meg
.end
"""


def ngspice_raw(tmp_path: Path, deck: str, ascii: bool) -> Path:
    ngspice = shutil.which("ngspice")
    assert ngspice, "ngspice not on PATH"
    cir = tmp_path / "deck.cir"
    cir.write_text(deck)
    raw = tmp_path / ("out_ascii.raw" if ascii else "out_bin.raw")
    env = dict(os.environ, SPICE_ASCIIRAWFILE="1" if ascii else "0")
    subprocess.run(
        [ngspice, "-b", "-r", str(raw), str(cir)], cwd=tmp_path, env=env, check=True,
        capture_output=True, timeout=60,
    )  # fmt: skip
    assert raw.is_file()
    return raw


@pytest.mark.parametrize("ascii", [False, True], ids=["binary", "ascii"])
def test_transient_vectors_follow_the_rc_step(tmp_path: Path, ascii: bool) -> None:
    raw = ngspice_raw(tmp_path, DECK, ascii)
    head = raw.read_bytes()[:2000]
    assert (b"Values:" in head) is ascii and (b"Binary:" in head) is not ascii
    (plot,) = read_raw(raw)
    assert plot.plotname == "Transient Analysis" and not plot.complex
    assert plot.scale.name == "time" and plot.scale.unit == "s"
    out = plot.vector("v(out)")
    assert out is not None and out.unit == "V"
    assert plot.vector("i(v1)") is not None and plot.vector("i(v1)").unit == "A"
    n = len(plot.scale.values)
    assert n > 100 and all(len(v.values) == n for v in plot.vectors)
    assert plot.scale.values[-1] == pytest.approx(5e-6, rel=1e-3)
    # the physics: one time constant after the step, 1 - 1/e of the step
    t, v = plot.scale.values, out.values
    k = min(range(n), key=lambda i: abs(t[i] - 1e-6))
    assert v[k] == pytest.approx(1 - math.exp(-(t[k] - 1e-9) / 1e-6), abs=0.02)
    assert v[-1] == pytest.approx(1.0, abs=0.01)


def test_binary_and_ascii_give_the_same_vectors(tmp_path: Path) -> None:
    (b,) = read_raw(ngspice_raw(tmp_path, DECK, False))
    (a,) = read_raw(ngspice_raw(tmp_path, DECK, True))
    assert [v.name for v in a.vectors] == [v.name for v in b.vectors]
    for va, vb in zip(a.vectors, b.vectors, strict=True):
        assert va.values == pytest.approx(vb.values, rel=1e-6, abs=1e-12)


@pytest.mark.parametrize("ascii", [False, True], ids=["binary", "ascii"])
def test_complex_ac_is_read_as_magnitude(tmp_path: Path, ascii: bool) -> None:
    (plot,) = read_raw(ngspice_raw(tmp_path, AC_DECK, ascii))
    assert plot.complex and plot.scale.unit == "Hz"
    f, out = plot.scale.values, plot.vector("v(out)").values
    # |H| = 1 / sqrt(1 + (2 pi f RC)^2), RC = 1 us
    for fi, mag in zip(f, out, strict=True):
        assert mag == pytest.approx(1 / math.hypot(1, 2 * math.pi * fi * 1e-6), rel=1e-3)


def _cut_header(data: bytes, key: bytes, value: bytes) -> bytes:
    start = data.index(key)
    end = data.index(b"\n", start)
    return data[:start] + key + value + data[end:]


@pytest.mark.parametrize("ascii", [False, True], ids=["binary", "ascii"])
def test_hostile_raw_files_are_one_clear_error(tmp_path: Path, ascii: bool) -> None:
    data = ngspice_raw(tmp_path, DECK, ascii).read_bytes()
    cases = {
        "truncated": data[: len(data) * 2 // 3],
        "header only": data[: data.index(b"Variables:")],
        "wrong first line": b"Titel: x\n" + data[data.index(b"\n") + 1 :],
        "not a raw file": b"\x7fELF\x02\x01\x01" + b"\x00" * 64,
        "huge points": _cut_header(data, b"No. Points:", b" 99999999999"),
        "huge variables": _cut_header(data, b"No. Variables:", b" 4000000000"),
        "negative points": _cut_header(data, b"No. Points:", b" -5"),
        "points not a number": _cut_header(data, b"No. Points:", b" many"),
        "more points than bytes": _cut_header(data, b"No. Points:", b" 1000000"),
        "empty": b"",
        "bad marker": data.replace(b"Binary:" if not ascii else b"Values:", b"Blobs:", 1),
    }
    for what, bad in cases.items():
        with pytest.raises(ResultError) as err:
            parse_raw(bad, "bad.raw")
        assert str(err.value).startswith("bad.raw"), (what, err.value)
        assert "\n" not in str(err.value), what


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.raw"
    with open(big, "wb") as f:
        f.truncate(MAX_BYTES + 1)  # sparse: no disk used
    with pytest.raises(ResultError, match="refused"):
        read_raw(big)
    with pytest.raises(ResultError, match="cannot read"):
        read_raw(tmp_path / "missing.raw")
