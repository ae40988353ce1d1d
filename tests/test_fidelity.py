"""Fidelity guard of the core's bin-level model trimming (issue #12): for a sample of points of
every domain, every measurement of the default run (models_fet trimmed to the size bins the
circuit uses, asked of ngspice; resistor, capacitor and rescap files trimmed to what it
reaches) is identical, as `%.8e`, to a run with the whole files (PAIHO_MODEL_TRIM=0) and to a
run on the whole official library section (`.lib sky130.lib.spice <section>`); and the
fallback to the device-level trim works and says why. Real ngspice + SKY130; about 80 CPU-s."""

from __future__ import annotations

import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from coreutil import CORE, our_domain, sim_pvt
from hostile import wkpup

from wkpup_harness.core.pdk import sky130_models_dir

RUN_POINT = CORE / "simulation" / "run_point.sh"

# domain -> points (corner, extraction, temperature token); across the sample: the fet
# corners tt ff ss sf fs (TT FFG SSG FSG SFG), the RC variants ss_hh (SSAG) and the cross
# corners sf_hh (FFG_SSG) and fs_ll (SSG_FFG), and both temperature extremes.
SAMPLE = {
    ("gpio", "1p8v"): [
        ("TT", "typical", "m40"),
        ("FFG", "typical", "125"),
        ("FFG_SSG", "typical", "m40"),
    ],
    ("i3c", "1p8v"): [("SSG", "typical", "m40"), ("FSG", "typical", "125")],
    ("gpio", "3p3v"): [
        ("SFG", "typical", "125"),
        ("SSAG", "typical", "m40"),
        ("SSG_FFG", "typical", "125"),
    ],
    ("gpio_tx", "1p8v"): [("FFG", "cworst_CCworst_T", "m40"), ("SFG", "cbest_CCbest_T", "125")],
}
BIN_NOTE = re.compile(r"^pai_ho_core: models_fet: bin-trimmed to (\d+) bins of ", re.M)
CARD = re.compile(r"^\.model\s+(\S+\.\d+)\s", re.M | re.I)


def run_point(point: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(RUN_POINT), str(point), "sim_tx", "ngspice", "1"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def mt0_values(point: Path) -> dict[str, str]:
    lines = (point / "sim_tx.mt0").read_text().splitlines()
    return dict(zip(lines[2].split(), lines[3].split(), strict=True))


def official_sections() -> dict[str, str]:
    """Contract corner -> the section of the official sky130.lib.spice with the same fet, res
    and cap corners (table_model_map.csv: FFAG = ff, low, low -> `ff_ll`)."""
    out = {}
    for line in (CORE / "configuration" / "table_model_map.csv").read_text().splitlines()[1:]:
        corner, fet, res, cap, _rescap = line.split(",")
        rc = "" if (res, cap) == ("nom", "nom") else res[0] + cap[0]
        out[corner] = "_".join(x for x in (fet if (fet != "tt" or not rc) else "", rc) if x)
    # (SKY130's `sf` section has the fast nfet and the slow pfet, `fs` the reverse: measured
    # in tests/test_corner_devices.py; FSG = N fast / P slow is therefore `sf`)
    assert out["TT"] == "tt" and out["SSAG"] == "ss_hh" and out["FFAG"] == "ff_ll", out
    assert out["FSG"] == "sf" and out["SFG"] == "fs", out
    assert out["FFG_SSG"] == "sf_hh" and out["SSG_FFG"] == "fs_ll", out
    return out


def sample_points(tmp_path: Path) -> list[Path]:
    """Generated points (the core's gen stage) of the sample, one nominal-voltage-ish vt each."""
    out = []
    for (family, voltage), picks in SAMPLE.items():
        domain = our_domain(tmp_path / family / voltage, family, voltage)
        gen = sim_pvt(domain, "gen")
        assert gen.returncode == 0, gen.stderr
        for corner, ex, ttok in picks:
            vts = sorted((domain / corner / ex / f"{ex}_{ttok}").iterdir())
            assert vts, (family, corner, ex, ttok)
            out.append(vts[len(vts) // 2])
    return out


@pytest.mark.ngspice
def test_bin_trimmed_runs_equal_whole_models_fet(tmp_path):
    points = sample_points(tmp_path)
    bins_env = dict(os.environ, PAIHO_CACHE=str(tmp_path / "cache"))
    bins_env.pop("PAIHO_MODEL_TRIM", None)
    whole_env = dict(bins_env, PAIHO_MODEL_TRIM="0")

    sections = official_sections()

    def both(point: Path) -> tuple[dict[str, str], dict[str, str], dict[str, str], str, str]:
        whole_dir = point.with_name(point.name + "_whole")
        whole_dir.mkdir()
        (whole_dir / "sim_tx.sp").write_bytes((point / "sim_tx.sp").read_bytes())
        # the deck on the official library itself: sky130.lib.spice, the corner's section
        official = point.with_name(point.name + "_official")
        official.mkdir()
        text = (point / "sim_tx.sp").read_text()
        (lib_line,) = re.findall(r'^\.lib "\$DP_HSPICE_MODEL" (\w+)$', text, re.M)
        (official / "sim_tx.sp").write_text(
            text.replace(
                f'.lib "$DP_HSPICE_MODEL" {lib_line}',
                f'.lib "{sky130_models_dir() / "sky130.lib.spice"}" {sections[lib_line]}',
            )
        )
        a = run_point(point, bins_env)
        assert a.returncode == 0, a.stderr
        b = run_point(whole_dir, whole_env)
        assert b.returncode == 0, b.stderr
        c = run_point(official, whole_env)
        assert c.returncode == 0, c.stderr
        return (
            mt0_values(point),
            mt0_values(whole_dir),
            mt0_values(official),
            (point / "sim_tx.log").read_text(),
            (point / "sky130_models.lib").read_text(),
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(both, points))
    seen_temps = set()
    for point, (binned, whole, official, log, lib) in zip(points, results, strict=True):
        assert binned == whole, point
        assert binned == official, point
        assert all(v != "failed" for v in binned.values()), (point, binned)
        seen_temps.add(binned["temper"])
        # the run used the bin-trimmed copy: a handful of binned cards, not all of them
        note = BIN_NOTE.search(log)
        assert note, (point, log[:300])
        (include,) = re.findall(
            r'^\.include "(\S*models_fet\.bins\.[0-9a-f]{20}\.spice)"', lib, re.M
        )
        cards = CARD.findall(Path(include).read_text())
        assert len(cards) == int(note.group(1)) and 0 < len(cards) < 60, (point, cards)
        # only the point's own corner section is written (ngspice reads every section)
        assert len(re.findall(r"^\.lib ", lib, re.M)) == 1
        # models_resistors/models_capacitors trimmed to what the circuit reaches: res_high_po
        # (when used) and the parasitic cap subckt it instantiates, none of the top-level cards
        rc = rc_copies(lib)
        res = subckts_and_models(rc["resistors"])
        assert res in ([], ["sky130_fd_pr__res_high_po"]), (point, res)
        cap = ["sky130_fd_pr__model__parasitic__cap_p2ps"] if res else []
        assert subckts_and_models(rc["capacitors"]) == cap, point
        # the rescap files with their ~60 included cap_vpp cell models inlined and trimmed:
        # their parameters only, no include left
        for kind, text in rescap_copies(lib).items():
            assert subckts_and_models(text) == [], (point, kind)
            assert not re.search(r"^\s*\.inc", text, re.M | re.I), (point, kind)
            assert re.search(r"^\+ (?:tol_nfom|camimc)\s*=", text, re.M), (point, kind)
    assert seen_temps == {"-4.00000000e+01", "1.25000000e+02"}
    # one probe per circuit geometry, shared by the corners and temperatures of a domain
    probes = sorted((tmp_path / "cache").glob("probe.*.bins"))
    assert 4 <= len(probes) <= len(points), probes


TOP = re.compile(r"^\.(?:subckt|model)\s+(\S+)", re.M | re.I)


def rc_copies(lib: str) -> dict[str, str]:
    """The texts of the models_resistors/models_capacitors copies a point library includes."""
    found = re.findall(
        r'^\.include "(\S*models_(resistors|capacitors)\.[0-9a-f]{20}\.spice)"', lib, re.M
    )
    assert sorted(kind for _, kind in found) == ["capacitors", "resistors"], lib
    return {kind: Path(path).read_text() for path, kind in found}


def rescap_copies(lib: str) -> dict[str, str]:
    """The texts of the two rescap copies (`res_*__cap_*` and its `__lin`) a point library
    includes, by kind ("rescap", "lin")."""
    found = re.findall(
        r'^\.include "(\S*/res_[a-z]+__cap_[a-z]+(__lin)?\.[0-9a-f]{20}\.spice)"', lib, re.M
    )
    assert sorted(lin for _, lin in found) == ["", "__lin"], lib
    return {("lin" if lin else "rescap"): Path(path).read_text() for path, lin in found}


def subckts_and_models(text: str) -> list[str]:
    """Top-level .subckt/.model names of a model file, in order (a subckt's own cards skipped)."""
    out, depth = [], 0
    for line in text.splitlines():
        m = TOP.match(line)
        if m and depth == 0:
            out.append(m.group(1).lower())
        if re.match(r"\s*\.subckt\b", line, re.I):
            depth += 1
        elif re.match(r"\s*\.ends\b", line, re.I):
            depth -= 1
    return out


def edited_point_and_twin(tmp_path: Path, extra: str) -> tuple[Path, Path, dict[str, str]]:
    """A generated gpio/1p8v point (TT, -40 C) with `extra` lines before its stimulus, a copy
    of it beside (`<point>_whole`), and the default run's environment (bin trim)."""
    domain = our_domain(tmp_path, "gpio", "1p8v")
    assert sim_pvt(domain, "gen").returncode == 0
    point = sorted((domain / "TT" / "typical" / "typical_m40").iterdir())[0]
    text = (point / "sim_tx.sp").read_text()
    assert "**stimulus**" in text
    (point / "sim_tx.sp").write_text(text.replace("**stimulus**", extra + "\n**stimulus**", 1))
    whole = point.with_name(point.name + "_whole")
    whole.mkdir()
    (whole / "sim_tx.sp").write_text((point / "sim_tx.sp").read_text())
    env = dict(os.environ, PAIHO_CACHE=str(tmp_path / "cache"))
    env.pop("PAIHO_MODEL_TRIM", None)
    return point, whole, env


@pytest.mark.ngspice
def test_top_level_resistor_and_capacitor_models_are_kept_when_used(tmp_path):
    """A deck's R element naming a top-level model of models_resistors (`rndiff`), an X of
    a models_capacitors subckt (mim cap) and an X of a cap_vpp cell (from a file a rescap
    file includes) keep exactly those (and what they reach) in the
    trimmed copies, and the measurements equal those of the whole files. (The capacitor
    files' top-level `.model`s need parameters the continuous models do not define: unusable.)"""
    point, whole, env = edited_point_and_twin(
        tmp_path,
        "rextra ball1 vextra rndiff w=0.5 l=20\nvextra vextra 0 0\n"
        "xmim ball1 0 sky130_fd_pr__cap_mim_m3_1 w=5 l=5\n"
        "xvpp ball1 0 0 sky130_fd_pr__cap_vpp_08p6x07p8_m1m2_noshield\n"
        ".meas tran iextra avg i(vextra)",
    )
    proc = run_point(point, env)
    assert proc.returncode == 0, proc.stderr
    rc = rc_copies((point / "sky130_models.lib").read_text())
    assert subckts_and_models(rc["resistors"]) == ["rndiff", "sky130_fd_pr__res_high_po"]
    assert subckts_and_models(rc["capacitors"]) == [
        "sky130_fd_pr__cap_mim_m3_1",
        "sky130_fd_pr__model__parasitic__cap_p2ps",
    ]
    # the cap_vpp cell comes from a file the rescap __lin file includes: inlined, alone
    lin = rescap_copies((point / "sky130_models.lib").read_text())["lin"]
    assert subckts_and_models(lin) == ["sky130_fd_pr__cap_vpp_08p6x07p8_m1m2_noshield"]
    proc = run_point(whole, dict(env, PAIHO_MODEL_TRIM="0"))
    assert proc.returncode == 0, proc.stderr
    assert "models_resistors.spice" in (whole / "sky130_models.lib").read_text()
    values = mt0_values(point)
    assert values == mt0_values(whole)
    assert values["iextra"] != "failed" and float(values["iextra"]) != 0.0


@pytest.mark.ngspice
def test_bins_do_not_depend_on_corner_or_temperature(tmp_path):
    """The probe's answer for one circuit is the same at every corner and temperature (the
    claim its cache key rests on), asked afresh for each point (no shared cache)."""
    domain = our_domain(tmp_path, "gpio", "1p8v")
    assert sim_pvt(domain, "gen").returncode == 0
    answers = set()
    for n, (corner, ttok) in enumerate((("TT", "m40"), ("SSAG", "125"), ("FFG_SSG", "m40"))):
        point = sorted((domain / corner / "typical" / f"typical_{ttok}").iterdir())[0]
        cache = tmp_path / f"cache{n}"
        env = dict(os.environ, PAIHO_CACHE=str(cache))
        env.pop("PAIHO_MODEL_TRIM", None)
        proc = run_point(point, env)
        assert proc.returncode == 0, proc.stderr
        (probe,) = cache.glob("probe.*.bins")
        answers.add(probe.read_text())
    assert len(answers) == 1
    assert next(iter(answers)).count("keep ") >= 4


@pytest.mark.ngspice
def test_probe_that_cannot_decide_falls_back_to_device_trim(tmp_path):
    """A circuit whose MOS instance binds a model of the deck's own named like a SKY130 bin
    family (`pshort_model...`, no matching bin) cannot be decided: the point runs on the
    device-trimmed models_fet, its log says why, and the measurements stay those of the
    whole models_fet."""
    point, whole, env = edited_point_and_twin(
        tmp_path,
        ".model pshort_model_local pmos level=54 version=4.5 lmin=1e-9 lmax=1 wmin=1e-9 wmax=1\n"
        "mextra ball1 ball1 ball1 ball1 pshort_model_local l=0.15 w=1",
    )
    proc = run_point(point, env)
    assert proc.returncode == 0, proc.stderr
    log = (point / "sim_tx.log").read_text()
    first = log.splitlines()[0]
    assert first.startswith("pai_ho_core: models_fet: trimmed to sky130_fd_pr__nfet_01v8 "), first
    assert "device level: bin probe undecided:" in first and "pshort_model_local" in first
    assert "matches no bin" in first
    lib = (point / "sky130_models.lib").read_text()
    assert re.search(r'models_fet\.[0-9a-f]{20}\.spice"', lib) and "models_fet.bins." not in lib
    # the answer is cached: a second point of the same circuit does not probe again
    (probe,) = (tmp_path / "cache").glob("probe.*.bins")
    assert probe.read_text().startswith("fallback ")
    before = probe.stat().st_mtime_ns
    proc = run_point(point, env)
    assert proc.returncode == 0, proc.stderr
    assert probe.stat().st_mtime_ns == before
    assert "bin probe undecided" in (point / "sim_tx.log").read_text().splitlines()[0]
    proc = run_point(whole, dict(env, PAIHO_MODEL_TRIM="0"))
    assert proc.returncode == 0, proc.stderr
    assert mt0_values(point) == mt0_values(whole)


@pytest.mark.ngspice
def test_probe_leaves_the_point_library_alone(tmp_path):
    """The probe loads its own copies (<deck>.probe.cir naming sky130_models.lib.probe, the
    binned cards cut to the words that choose a bin) and removes them; a deck that names the
    library only in a file it includes is probed as it is, with the device-trimmed library.
    Either way the point runs on the bin-trimmed copy with the measurements of the whole
    models_fet, and no probe file is left beside it."""
    point, whole, env = edited_point_and_twin(tmp_path, "* nothing added")
    # a second circuit (another geometry: another probe) naming the library in an include
    elsewhere = point.with_name(point.name + "_inc")
    elsewhere.mkdir()
    text = (point / "sim_tx.sp").read_text()
    assert text.count('.lib "$DP_HSPICE_MODEL" TT') == 1
    (elsewhere / "sim_tx.sp").write_text(
        text.replace('.lib "$DP_HSPICE_MODEL" TT', '.inc "models_here.inc"').replace(
            "**stimulus**", "xextra ball1 0 0 0 sky130_fd_pr__nfet_01v8 l=0.5 w=3\n**stimulus**"
        )
    )
    (elsewhere / "models_here.inc").write_text('.lib "sky130_models.lib" TT\n')
    for p in (point, elsewhere):
        proc = run_point(p, env)
        assert proc.returncode == 0, proc.stderr
        assert BIN_NOTE.search((p / "sim_tx.log").read_text().splitlines()[0]), p
        left = sorted(f.name for f in p.iterdir() if "probe" in f.name)
        assert left == [], (p, left)
        assert ".probe" not in (p / "sky130_models.lib").read_text()
    probes = sorted((tmp_path / "cache").glob("probe.*.bins"))
    assert len(probes) == 2
    (copy,) = (tmp_path / "cache").glob("models_fet.*.probe.spice")
    card = re.search(r"^\.model (\S+\.\d+) .*$", copy.read_text(), re.M | re.I)
    assert card and set(re.findall(r"(\w+)=", card.group(0))) == {
        "lmin",
        "lmax",
        "wmin",
        "wmax",
        "level",
        "version",
    }, card
    proc = run_point(whole, dict(env, PAIHO_MODEL_TRIM="0"))
    assert proc.returncode == 0, proc.stderr
    assert mt0_values(point) == mt0_values(whole)
    twin = elsewhere.with_name(elsewhere.name + "_whole")
    twin.mkdir()
    for name in ("sim_tx.sp", "models_here.inc"):
        (twin / name).write_bytes((elsewhere / name).read_bytes())
    proc = run_point(twin, dict(env, PAIHO_MODEL_TRIM="0"))
    assert proc.returncode == 0, proc.stderr
    assert mt0_values(elsewhere) == mt0_values(twin)


def ngspice_wrapper(tmp_path: Path) -> tuple[Path, Path]:
    """An ngspice that records its arguments and the job constants it was given."""
    calls = tmp_path / "calls.txt"
    wrapper = tmp_path / "ngspice-wrapper"
    wrapper.write_text(
        "#!/bin/bash\n"
        f'printf "%s|%s|%s\\n" "$*" "${{PAIHO_SKY130_MODELS:-}}" "${{PAIHO_NGSPICE_VERSION:-}}"'
        f" >> {calls}\n"
        'exec ngspice "$@"\n'
    )
    wrapper.chmod(0o755)
    return wrapper, calls


@pytest.mark.ngspice
def test_engine_resolves_job_constants_once(tmp_path):
    """`wkpup run` (the engine runs each point itself) also resolves the models directory and
    the ngspice version once for the job and hands them to every point."""
    domains = tmp_path / "domains"
    our_domain(tmp_path, "gpio", "1p8v")
    wrapper, calls = ngspice_wrapper(tmp_path)
    env = {"PAIHO_CACHE": str(tmp_path / "cache"), "NGSPICE": str(wrapper)}
    out = wkpup(
        "--db", str(tmp_path / "wk.db"), "-q", "run", "gpio/1p8v", "--core",
        str(CORE.parent), "--domains", str(domains), "--runs", str(tmp_path / "runs"),
        "--corners", "TT", "--temperatures", "m40", "--cpus", "2",
        cwd=tmp_path, env=env, timeout=300,
    )  # fmt: skip
    assert out.code == 0, out.err
    lines = [line.split("|") for line in calls.read_text().splitlines()]
    assert [args for args, *_ in lines].count("--version") == 1
    runs = [(models, version) for args, models, version in lines if "-p " in args]
    probes = [args for args, *_ in lines if args.startswith("-D paiho_probe -p ")]
    assert len(runs) == 5 + 1 and len(probes) == 1  # five points, one probe
    assert all(Path(models, "continuous", "models_fet.spice").is_file() for models, _ in runs)
    versions = {version for _, version in runs}
    assert len(versions) == 1 and "" not in versions


@pytest.mark.ngspice
def test_run_stage_resolves_job_constants_once(tmp_path):
    """The models directory and the ngspice version are looked up once per job (job_env.sh),
    not per point: one `ngspice --version` for the whole run stage, one probe, one run per
    point."""
    domain = our_domain(tmp_path, "gpio", "1p8v")
    wrapper, calls = ngspice_wrapper(tmp_path)
    env = dict(
        os.environ,
        PAIHO_CACHE=str(tmp_path / "cache"),
        PAIHO_CORNERS="TT",
        PAIHO_TEMPS="m40",
        NGSPICE=str(wrapper),
    )
    env.pop("PAIHO_MODEL_TRIM", None)
    assert sim_pvt(domain, "gen", env=env).returncode == 0
    run = sim_pvt(domain, "run", env=env)
    assert run.returncode == 0, run.stderr
    lines = [line.split("|")[0] for line in calls.read_text().splitlines()]
    points = len(list(domain.glob("TT/typical/typical_m40/*/sim_tx.mt0")))
    assert points == 5
    assert lines.count("--version") == 1
    runs = [line for line in lines if line.startswith("-p ")]
    probes = [line for line in lines if line.startswith("-D paiho_probe -p ")]
    assert len(runs) == points and len(probes) == 1  # one probe, then one run per point
