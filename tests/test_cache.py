"""The result cache (docs/cache.md) on the real core, real ngspice, the real SKY130 models and
a real store: a cached rerun is byte-identical and simulates nothing; changing any one input
of the key makes the point simulate again; verify catches a poisoned entry; a corrupted entry
is a miss with a warning; concurrent writers never leave a mixed entry; the environment list
matches what the core reads; ``wkpup cache stats|prune`` and the settings.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from coreutil import DOMAINS, REPO, our_domain
from test_engine import clean_env, cli, cli_env, query, settings_for, spec_for  # noqa: F401
from test_plugin import project, run  # noqa: F401
from test_slurm import JOB, cluster, local_reference  # noqa: F401
from test_slurm import creport as slurm_creport
from test_slurm import env_for as slurm_env
from test_slurm import wkpup as slurm_wkpup

from wkpup_harness.core import Core, locate_core, manifest
from wkpup_harness.engine import Job, cachekey
from wkpup_harness.engine.resultcache import ENTRY_FILE, CorruptEntry, EntryGone, ResultCache
from wkpup_harness.settings import SettingsError, resolve
from wkpup_harness.store.recorder import Recorder

CORE_ROOT = REPO / "pai_ho_core"
SIMULATION = CORE_ROOT / "ver03" / "simulation"
WKPUP = Path(sys.executable).with_name("wkpup")
TWO = ("TT", "FFG"), ("m40",)
ONE = ("TT",), ("m40",)
SPICEINIT = "set ngbehavior=hsa\nset ng_nomodcheck\nset num_threads=1\nset noaskquit\n"


@pytest.fixture
def core() -> Core:
    return locate_core(CORE_ROOT)


def run_job(
    tmp_path: Path,
    core: Core,
    points: tuple[Sequence[str], Sequence[str]] = TWO,
    *,
    domain_dir: Path | None = None,
    **flags: Any,
) -> Job:
    """One whole job (gen .. bkp) of domains/gpio/1p8v (htol), recorded in tmp_path's store,
    the cache in tmp_path/cache unless ``flags`` say otherwise."""
    settings = settings_for(tmp_path, cache_dir=tmp_path / "cache", **flags)
    recorder = Recorder(settings.db)
    extra = {} if domain_dir is None else {"domain_dir": domain_dir}
    job = Job(spec_for(core, *points, **extra), settings, core, recorder=recorder)
    try:
        job.run()
    finally:
        job.close()
        recorder.close()
    return job


def sims(tmp_path: Path, job: Job) -> list[dict[str, Any]]:
    return query(
        tmp_path / "store" / "wkpup.db",
        "SELECT name, status, attempts, reused FROM sims WHERE job_id = ? ORDER BY idx",
        job.id,
    )


def reused(tmp_path: Path, job: Job) -> list[int]:
    return [s["reused"] for s in sims(tmp_path, job)]


def entries(tmp_path: Path, kind: str = "point") -> list[Path]:
    """The cache's entries of one kind: a point's, or a whole job's (jobcache.py)."""
    found = sorted((tmp_path / "cache" / "v1").glob("??/*"))
    return [
        e for e in found if json.loads((e / ENTRY_FILE).read_text()).get("kind", "point") == kind
    ]


@pytest.mark.ngspice
# --- a cached rerun ---------------------------------------------------------------------------
def test_a_cached_rerun_reuses_every_point_with_a_byte_identical_creport(
    tmp_path: Path, core: Core
) -> None:
    plain = run_job(tmp_path, core)
    cold = run_job(tmp_path, core, cache=True)
    warm = run_job(tmp_path, core, cache=True)
    for job in (plain, cold, warm):
        assert job.status == "completed", job.error_line()
    creport = plain.creport_path.read_bytes()
    assert cold.creport_path.read_bytes() == creport
    assert warm.creport_path.read_bytes() == creport
    # The store says which points were simulated and which reused.
    assert [(s["status"], s["attempts"], s["reused"]) for s in sims(tmp_path, cold)] == [
        ("ok", 1, 0),
        ("ok", 1, 0),
    ]
    assert [(s["status"], s["attempts"], s["reused"]) for s in sims(tmp_path, warm)] == [
        ("ok", 0, 1),
        ("ok", 0, 1),
    ]
    assert reused(tmp_path, plain) == [0, 0]
    assert len(entries(tmp_path)) == 2
    # An entry depends on the files the point loaded after trimming: the trimmed models_fet
    # copy and the SKY130 file it was cut from, the parameter files of its corner only, the
    # domain's include files (relative: the next job has its own copy).
    deps = [ref for ref, _ in json.loads((entries(tmp_path)[0] / ENTRY_FILE).read_text())["deps"]]
    names = [Path(d).name for d in deps]
    assert any(re.fullmatch(r"models_fet\.bins\.[0-9a-f]+\.spice", n) for n in names), names
    assert any(d.endswith("/continuous/models_fet.spice") for d in deps), deps
    assert len([n for n in names if n.startswith("parameters_fet_")]) == 1, names
    assert "../../../../../../common/lib/weakpullup.lib" in deps
    assert not [n for n in names if n == "sky130_models.lib" or n.startswith("sim_tx")]
    # The unchanged job is served whole (jobcache.py): gen .. bkp not run, each stage's log
    # says so, the job's directory is what the stages left (the backup named for now).
    assert cold.jobcache is not None and not cold.jobcache.hit
    assert warm.jobcache is not None and warm.jobcache.hit
    assert warm.runs.cache is None  # no point looked up: the run stage did not run
    assert (
        "the whole job reused from the result cache: 2 of 2 points"
        in (warm.log_dir / "run.log").read_text()
    )
    for stage in ("gen", "ext", "srt", "bkp"):
        assert (
            f"wkpup: {stage} not run: the whole job was reused"
            in (warm.log_dir / f"{stage}.log").read_text()
        )
    assert _tree(warm.workdir) == _tree(cold.workdir)
    (job_entry,) = entries(tmp_path, "job")
    job_deps = [ref for ref, _ in json.loads((job_entry / ENTRY_FILE).read_text())["deps"]]
    assert all(os.path.isabs(d) for d in job_deps), job_deps
    assert any(d.endswith("/continuous/models_fet.spice") for d in job_deps), job_deps
    lines = [json.loads(x) for x in (warm.log_dir / "job.jsonl").read_text().splitlines()]
    done = [x for x in lines if x["event"] == "point_done"]
    assert [x.get("reused") for x in done] == [True, True]
    # Reused: no simulator ran, so the run stage logged no point output of its own.
    assert list((warm.log_dir / "points").glob("*.log")) == []
    assert len(list((cold.log_dir / "points").glob("*.log"))) == 2


@pytest.mark.ngspice
def test_a_job_that_changes_one_corner_simulates_only_that_corners_points(
    tmp_path: Path, core: Core
) -> None:
    first = run_job(tmp_path, core, (("TT", "FFG"), ("m40", "125")), cache=True)
    second = run_job(tmp_path, core, (("TT", "SSG"), ("m40", "125")), cache=True)
    assert (first.status, second.status) == ("completed", "completed")
    by_name = {s["name"]: (s["reused"], s["attempts"]) for s in sims(tmp_path, second)}
    assert by_name == {
        "TT_typical_m40_v1max_v2max": (1, 0),
        "TT_typical_125_v1max_v2max": (1, 0),
        "SSG_typical_m40_v1max_v2max": (0, 1),
        "SSG_typical_125_v1max_v2max": (0, 1),
    }


@pytest.mark.ngspice
def test_wkpup_run_cache_says_what_it_reused_and_show_counts_it(
    tmp_path: Path,
    cli_env: Path,  # noqa: F811 (the fixture of test_engine)
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WKPUP_CACHE_DIR", str(tmp_path / "cache"))
    argv = ["run", "gpio/1p8v", "--domains", str(DOMAINS), "--set", "condition=htol",
            "--corners", "TT", "--temperatures", "m40", "--cache"]  # fmt: skip
    code, out, err = cli(capsys, *argv)
    assert code == 0, err
    assert "result cache: 0 point(s) reused, 1 simulated" in out + err
    code, out, err = cli(capsys, *argv)
    assert code == 0, err
    assert "result cache: the whole job reused (1 point(s), gen..bkp not run" in out + err
    code, out, err = cli(capsys, "show", "2")
    assert "result cache: 1 of 1 point(s) reused, not simulated" in out
    code, out, err = cli(capsys, "show", "2", "--json")
    assert json.loads(out)["reused_points"] == 1
    code, out, err = cli(capsys, "show", "1")
    assert "result cache" not in out


@pytest.mark.ngspice
def test_pytest_pvt_cache_reuses_and_the_gate_still_holds(
    project: pytest.Pytester,  # noqa: F811 (the fixture of test_plugin)
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``pytest --pvt-cache``: the first session simulates and writes the golden, the second
    reuses every point and its creport still equals the golden byte for byte; without the
    flag (and in CI, where nothing sets it) the cache is off."""
    monkeypatch.setenv("WKPUP_CACHE_DIR", str(tmp_path / "cache"))
    args = ("regression", "-k", "two_corners")
    run(project, *args, "--pvt-cache", "--pvt-update-golden").assert_outcomes(passed=1)
    warm = run(project, *args, "--pvt-cache")
    warm.assert_outcomes(passed=1)
    warm.stdout.fnmatch_lines(["result cache: 2 of 2 point(s) reused, not simulated*"])
    off = run(project, *args)
    off.assert_outcomes(passed=1)
    assert "result cache" not in off.stdout.str()
    db = project.path / "wk.db"
    rows = query(db, "SELECT job_id, reused, attempts FROM sims ORDER BY job_id, idx")
    assert [(r["job_id"], r["reused"], r["attempts"]) for r in rows] == [
        (1, 0, 1), (1, 0, 1), (2, 1, 0), (2, 1, 0), (3, 0, 1), (3, 0, 1),
    ]  # fmt: skip
    golden = query(db, "SELECT golden FROM jobs ORDER BY id")
    assert [g["golden"] for g in golden] == ["created", "identical", "identical"]


@pytest.mark.ngspice
@pytest.mark.xdist_group("slurm")
def test_on_slurm_a_cached_rerun_submits_nothing_and_equals_the_local_creport(
    cluster: Any,  # noqa: F811 (the fixture of test_slurm)
    local_reference: bytes,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The Slurm executor with the cache: the first run simulates on the cluster and stores
    (the controller books the points), the second reuses every point without an sbatch; both
    creports equal the local run's, byte for byte."""
    env = slurm_env(cluster, tmp_path, WKPUP_CACHE_DIR=str(tmp_path / "cache"))
    for job in (1, 2):
        done = slurm_wkpup(env, "run", *JOB, "--executor", "slurm", "--cache", cwd=tmp_path)
        assert done.returncode == 0, done.stderr + done.stdout
        assert slurm_creport(tmp_path, job) == local_reference
    db = tmp_path / "wk.db"
    rows = query(db, "SELECT job_id, reused, attempts FROM sims ORDER BY job_id, idx")
    assert [(r["job_id"], r["reused"], r["attempts"]) for r in rows] == [
        (1, 0, 1), (1, 0, 1), (1, 0, 1), (2, 1, 0), (2, 1, 0), (2, 1, 0),
    ]  # fmt: skip
    assert (tmp_path / "runs" / "1" / "slurm" / "submit.log").is_file()
    assert not (tmp_path / "runs" / "2" / "slurm" / "submit.log").exists()


# --- the key leaks nothing ----------------------------------------------------------------------
def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def _netlist(ctx: dict[str, Any]) -> None:
    template = ctx["domain"] / "template" / "sim_tx.sp"
    first, rest = template.read_text().split("\n", 1)
    template.write_text(f"{first}\n* a changed comment\n{rest}")


def _include(ctx: dict[str, Any]) -> None:
    _append(ctx["domain"].parent.parent / "common" / "lib" / "weakpullup.lib", "* changed\n")


def _model(ctx: dict[str, Any]) -> None:
    _append(ctx["pdk"] / "continuous" / "parameters_fet_tt.spice", "* changed\n")


def _spiceinit(ctx: dict[str, Any]) -> None:
    _append(ctx["userinit"] / ".spiceinit", "* changed\n")


def _core(ctx: dict[str, Any]) -> None:
    _append(ctx["core"].root / "ver03" / "simulation" / "run_point.sh", "# changed\n")
    manifest.write(ctx["core"].root)


def _environment(ctx: dict[str, Any]) -> None:
    ctx["monkeypatch"].setenv("PAIHO_WAVE_MAX_BYTES", "8388607")


CHANGES: dict[str, Callable[[dict[str, Any]], None]] = {
    "netlist": _netlist,
    "include file": _include,
    "model file": _model,
    ".spiceinit": _spiceinit,
    "core file": _core,
    "environment variable": _environment,
}


@pytest.mark.ngspice
@pytest.mark.parametrize("change", list(CHANGES))
def test_changing_any_one_input_makes_the_point_simulate_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """Three runs of one point with the cache: cold (simulated), unchanged (reused), then
    with exactly one input changed (simulated again). The models come from a copy of the PDK
    (PDK_ROOT), the core from a copy with its manifest, the .spiceinit from
    SPICE_USERINIT_DIR (ngspice reads it instead of the point's own)."""
    core_copy = tmp_path / "core"
    shutil.copytree(CORE_ROOT, core_copy)
    pdk_root = tmp_path / "pdk"
    models = Path(_models_dir())
    pdk = pdk_root / "sky130A" / "libs.tech" / "ngspice"
    shutil.copytree(models, pdk)
    userinit = tmp_path / "userinit"
    userinit.mkdir()
    (userinit / ".spiceinit").write_text(SPICEINIT)
    monkeypatch.setenv("PDK_ROOT", str(pdk_root))
    monkeypatch.setenv("SPICE_USERINIT_DIR", str(userinit))
    monkeypatch.delenv("PAIHO_WAVE_MAX_BYTES", raising=False)
    ctx = {
        "domain": our_domain(tmp_path),
        "pdk": pdk,
        "userinit": userinit,
        "core": locate_core(core_copy),
        "monkeypatch": monkeypatch,
    }
    jobs = []
    for step in range(3):
        if step == 2:
            CHANGES[change](ctx)
        job = run_job(tmp_path, ctx["core"], ONE, domain_dir=ctx["domain"], cache=True)
        assert job.status == "completed", (change, step, job.error_line())
        jobs.append(job)
    got = [(s["reused"], s["attempts"]) for j in jobs for s in sims(tmp_path, j)]
    assert got == [(0, 1), (1, 0), (0, 1)], change
    # The unchanged run was served whole; the changed one not (the job's key leaks nothing).
    assert [j.jobcache is not None and j.jobcache.hit for j in jobs] == [False, True, False]


def _models_dir() -> str:
    out = subprocess.run(
        ["bash", str(SIMULATION / "job_env.sh")],
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "PDK_ROOT"},
    ).stdout
    return dict(line.split("=", 1) for line in out.splitlines())["PAIHO_SKY130_MODELS"]


# --- verify, corruption -------------------------------------------------------------------------
def _entry_of(tmp_path: Path, point: str) -> Path:
    for entry in entries(tmp_path):
        if json.loads((entry / ENTRY_FILE).read_text())["point"] == point:
            return entry
    raise AssertionError(f"no entry for {point}")


@pytest.mark.ngspice
def test_verify_resimulates_hits_and_fails_loudly_on_a_poisoned_entry(
    tmp_path: Path, core: Core, capsys: pytest.CaptureFixture[str]
) -> None:
    run_job(tmp_path, core, cache=True)
    clean = run_job(tmp_path, core, cache_verify=2)  # verify turns the cache on
    assert clean.status == "completed", clean.error_line()
    assert clean.runs.cache is not None and clean.runs.cache.tally.verified == 2
    assert [(s["reused"], s["attempts"]) for s in sims(tmp_path, clean)] == [(0, 1), (0, 1)]
    # Poison one entry as a leaky key would: another value, with a valid checksum.
    point = "FFG_typical_m40_v1max_v2max"
    entry = _entry_of(tmp_path, point)
    mt0 = entry / "sim_tx.mt0"
    lines = mt0.read_bytes().split(b"\n")
    values = lines[3].split()
    values[0] = b"1.00000000e+00" if values[0] != b"1.00000000e+00" else b"2.00000000e+00"
    lines[3] = b" ".join(values)
    poisoned = b"\n".join(lines)
    mt0.write_bytes(poisoned)
    meta = json.loads((entry / ENTRY_FILE).read_text())
    meta["files"]["sim_tx.mt0"] = {
        "size": len(poisoned),
        "sha256": __import__("hashlib").sha256(poisoned).hexdigest(),
    }
    (entry / ENTRY_FILE).write_text(json.dumps(meta))
    capsys.readouterr()
    caught = run_job(tmp_path, core, cache_verify=2)
    assert caught.status == "failed"
    (bad,) = caught.failed_points
    assert bad.point.name == point
    assert "cache verify: sim_tx.mt0 differ(s)" in bad.reason and "leaky" in bad.reason
    assert f"{point}: cache verify: sim_tx.mt0" in capsys.readouterr().err
    run_log = (caught.log_dir / "run.log").read_text()
    assert re.search(r"ERROR: run: FFG typical m40 v1max_v2max: cache verify: sim_tx\.mt0", run_log)


@pytest.mark.ngspice
def test_a_corrupted_entry_is_a_miss_with_a_warning(
    tmp_path: Path, core: Core, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run_job(tmp_path, core, cache=True)
    entry = _entry_of(tmp_path, "TT_typical_m40_v1max_v2max")
    raw = entry / "sim_tx.raw"
    data = bytearray(raw.read_bytes())
    data[-1] ^= 0xFF  # one flipped byte, the checksum left as it was
    raw.write_bytes(bytes(data))
    for whole in entries(tmp_path, "job"):  # the point entries are what this test is about
        shutil.rmtree(whole)
    capsys.readouterr()
    second = run_job(tmp_path, core, cache=True)
    assert second.status == "completed", second.error_line()
    assert second.creport_path.read_bytes() == first.creport_path.read_bytes()
    assert reused(tmp_path, second) == [0, 1]
    assert "sim_tx.raw: checksum mismatch" in capsys.readouterr().err
    assert "WARNING: run: cache entry" in (second.log_dir / "run.log").read_text()
    # The simulated point stored a good entry again: a third run reuses both.
    third = run_job(tmp_path, core, cache=True)
    assert reused(tmp_path, third) == [1, 1]


def _tree(workdir: Path) -> dict[str, bytes]:
    """A job directory's files (the backup's stamp left out of their names) and contents."""
    return {
        re.sub(r"00bkp_[0-9]{12}", "00bkp_*", str(f.relative_to(workdir))): f.read_bytes()
        for f in sorted(workdir.rglob("*"))
        if f.is_file()
    }


@pytest.mark.ngspice
def test_a_corrupted_job_entry_is_a_miss_with_a_warning_and_is_written_again(
    tmp_path: Path, core: Core, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = run_job(tmp_path, core, cache=True)
    (whole,) = entries(tmp_path, "job")
    meta = json.loads((whole / ENTRY_FILE).read_text())
    creport = next(blob for rel, blob, _ in meta["tree"] if rel.endswith("report/creport.txt"))
    data = bytearray((whole / creport).read_bytes())
    data[-2] ^= 0x01  # one flipped bit of the stored creport, its checksum as it was
    (whole / creport).write_bytes(bytes(data))
    capsys.readouterr()
    second = run_job(tmp_path, core, cache=True)
    assert second.status == "completed", second.error_line()
    assert second.jobcache is not None and not second.jobcache.hit
    assert f"{creport}: checksum mismatch" in capsys.readouterr().err
    # The stages ran (the points from their own entries) and wrote the job's entry again.
    assert "wkpup: gen not run" not in (second.log_dir / "gen.log").read_text()
    assert reused(tmp_path, second) == [1, 1]
    assert second.creport_path.read_bytes() == first.creport_path.read_bytes()
    assert not list(second.root.glob(".wkpup-cache-*"))  # nothing half restored left over
    # PAIHO_BKP_TIMESTAMP names a restored backup as it names bkp's own.
    monkeypatch.setenv("PAIHO_BKP_TIMESTAMP", "203001020304")
    third = run_job(tmp_path, core, cache=True)
    assert third.jobcache is not None and third.jobcache.hit
    assert third.backup_dir == third.workdir / "00bkp_203001020304"
    assert third.creport_path.read_bytes() == first.creport_path.read_bytes()
    assert (third.log_dir / "bkp.log").read_text().startswith("bkp: 00bkp_203001020304\n")


@pytest.mark.ngspice
def test_only_the_core_pipeline_outside_resume_and_verify_is_served_whole(
    tmp_path: Path, core: Core
) -> None:
    run_job(tmp_path, core, cache=True)
    verifying = run_job(tmp_path, core, cache_verify=1)  # verify must simulate
    assert verifying.jobcache is None and verifying.runs.cache is not None
    assert reused(tmp_path, verifying) == [0, 1] or reused(tmp_path, verifying) == [1, 0]
    settings = settings_for(tmp_path, cache_dir=tmp_path / "cache", cache=True)
    part = Job(spec_for(core, *TWO), settings, core, stages=("gen", "run", "ext", "srt"))
    part.run()
    assert part.status == "completed", part.error_line()
    assert part.jobcache is None and part.runs.cache is not None


def test_an_unreadable_entry_record_is_corrupt_not_a_crash(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "c")
    key = "ab" * 32
    assert cache.put(key, {"f": b"x"}, {"deps": []})
    (cache.entry_dir(key) / ENTRY_FILE).write_text("{not json")
    with pytest.raises(CorruptEntry):
        cache.meta(key)


# --- concurrent writers -------------------------------------------------------------------------
def _writer(root: str, key: str, tag: int, n: int) -> None:
    cache = ResultCache(Path(root))
    for i in range(n):
        body = f"{tag}:{i}".encode() * 1000
        cache.put(key, {"a": body, "b": body[::-1]}, {"deps": [], "tag": tag})


def test_concurrent_writers_never_leave_a_mixed_or_broken_entry(tmp_path: Path) -> None:
    """Four processes write the same key 40 times each while this one reads it: every read
    is a whole entry of one writer (its files agree with each other and with their
    checksums), and the entry at the end is whole."""
    key = "cd" * 32
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), key, t, 40)) for t in range(4)]
    for p in procs:
        p.start()
    cache = ResultCache(tmp_path)
    seen = 0
    while any(p.is_alive() for p in procs) or seen == 0:
        found = cache.meta(key)
        if found is None:
            continue
        fd, meta = found
        try:
            files = cache.read_files(key, fd, meta)
        except EntryGone:  # replaced while read: the reader sees a miss
            continue
        finally:
            os.close(fd)
        assert files["b"] == files["a"][::-1]
        assert files["a"].startswith(f"{meta['tag']}:".encode())
        seen += 1
    for p in procs:
        p.join()
        assert p.exitcode == 0
    fd, meta = cache.meta(key)  # type: ignore[misc]
    os.close(fd)
    assert len(list(cache.entries())) == 1
    assert not [d for d in (tmp_path / "v1" / "tmp").iterdir()]  # no leftovers


@pytest.mark.ngspice
def test_two_jobs_filling_the_cache_at_once_both_complete_and_agree(tmp_path: Path) -> None:
    """Two `wkpup run --cache` of the same two points at once, the cache cold: both store
    the same keys concurrently, both complete with the same creport, and a third run reuses
    every point from what they left."""
    env = {**clean_env(tmp_path), "WKPUP_CACHE_DIR": str(tmp_path / "cache"), "WKPUP_CPUS": "2"}
    argv = [str(WKPUP), "run", "gpio/1p8v", "--domains", str(DOMAINS), "--set",
            "condition=htol", "--corners", "TT", "FFG", "--temperatures", "m40",
            "--cache", "-q"]  # fmt: skip
    procs = [
        subprocess.Popen(
            argv, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    third = subprocess.run(argv, env=env, cwd=tmp_path, capture_output=True, check=False)
    assert third.returncode == 0, third.stderr
    db = tmp_path / "store" / "wkpup.db"
    jobs = query(db, "SELECT id, backup_path FROM jobs ORDER BY id")
    reports = {(Path(j["backup_path"]) / "report" / "creport.txt").read_bytes() for j in jobs}
    assert len(jobs) == 3 and len(reports) == 1
    rows = query(db, "SELECT reused FROM sims WHERE job_id = 3")
    assert [r["reused"] for r in rows] == [1, 1]
    assert len(entries(tmp_path)) == 2
    assert not list((tmp_path / "cache" / "v1" / "tmp").iterdir())


# --- the environment list -----------------------------------------------------------------------
def _core_reads() -> set[str]:
    """Every environment variable the core's point scripts name (bash ``$X``/``${X}`` in upper
    case; perl ``$ENV{X}``)."""
    names: set[str] = set()
    for path in SIMULATION.iterdir():
        text = path.read_text()
        if path.suffix == ".sh":
            names |= set(re.findall(r"\$\{?([A-Z][A-Z0-9_]+)", text))
        else:
            names |= set(re.findall(r"\$ENV\{([A-Z][A-Z0-9_]+)\}", text))
    return names


def test_the_keyed_environment_is_what_the_core_reads() -> None:
    reads = _core_reads()
    assert reads, "no environment read found: the scan is broken"
    unaccounted = reads - set(cachekey.POINT_ENV) - set(cachekey.NOT_KEYED)
    assert not unaccounted, f"core reads {sorted(unaccounted)}: add to POINT_ENV or NOT_KEYED"
    # Every core variable of the key is read by the core (the list holds nothing stale) ...
    assert set(cachekey.CORE_POINT_ENV) - reads <= {"PAIHO_CACHE", "PAIHO_MODEL_TRIM",
                                                    "PAIHO_CONF_DIR"}  # fmt: skip
    for name in ("PAIHO_CACHE", "PAIHO_MODEL_TRIM"):
        assert f"$ENV{{{name}}}" in "".join(p.read_text() for p in SIMULATION.glob("*.pm"))
    # ... and docs/core.md's "Environment the core reads" names nothing left out silently.
    doc = (REPO / "docs" / "core.md").read_text().split("## Environment the core reads")[1]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", doc.split("\n## ")[0]))
    assert documented - set(cachekey.POINT_ENV) - set(cachekey.NOT_KEYED) == set()


def test_a_netlists_include_path_variables_are_in_its_key() -> None:
    inputs = cachekey.JobInputs((("x", "y"),))
    net = b'* t\n.inc "$MYLIB/a.sp"\n.lib "$DP_HSPICE_MODEL" TT\n.end\n'
    assert cachekey.netlist_env(net) == ["MYLIB"]
    a = cachekey.point_key(inputs, net, {"MYLIB": "/a"})
    assert a == cachekey.point_key(inputs, net, {"MYLIB": "/a", "DP_HSPICE_MODEL": "z"})
    assert a != cachekey.point_key(inputs, net, {"MYLIB": "/b"})
    assert a != cachekey.point_key(inputs, net, {})


# --- settings, wkpup cache stats|prune ----------------------------------------------------------
def test_the_cache_is_off_by_default_and_a_setting_everywhere(tmp_path: Path) -> None:
    assert resolve({}, project_root=tmp_path, env={}).cache is False
    assert resolve({}, project_root=tmp_path, env={"WKPUP_CACHE": "yes"}).cache is True
    (tmp_path / "wkpup.toml").write_text("cache = true\ncache_verify = 3\n")
    s = resolve({}, project_root=tmp_path, env={})
    assert (s.cache, s.cache_verify, s.sources["cache"]) == (True, 3, str(tmp_path / "wkpup.toml"))
    assert resolve({"cache": False}, project_root=tmp_path, env={}).cache is False
    with pytest.raises(
        SettingsError, match=r"^WKPUP_CACHE: cache 'maybe': expected true or false$"
    ):
        resolve({}, project_root=tmp_path, env={"WKPUP_CACHE": "maybe"})


def test_cache_stats_and_prune(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "c")
    for i, key in enumerate(("a1" * 32, "b2" * 32, "c3" * 32)):
        cache.put(key, {"f": bytes(1024 * 1024)}, {"deps": []})
        os.utime(cache.entry_dir(key) / ENTRY_FILE, (1e9 + i * 86400 * 10, 1e9 + i * 86400 * 10))
    cache.touch("c3" * 32)  # used now
    env = {**clean_env(tmp_path), "WKPUP_CACHE_DIR": str(tmp_path / "c")}

    def wkpup(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([WKPUP, *argv], env=env, cwd=tmp_path, capture_output=True,
                              text=True, check=False)  # fmt: skip

    out = wkpup("cache", "stats")
    assert out.returncode == 0 and "entries: 3 (3 MiB)" in out.stdout, out
    out = wkpup("cache", "prune", "--older-than", "30")
    assert out.returncode == 0 and "removed 2 entries (2 MiB)" in out.stdout, out
    assert [k for k, _ in cache.entries()] == ["c3" * 32]
    out = wkpup("cache", "prune", "--max-size", "0.5M")
    assert "removed 1 entry (1 MiB)" in out.stdout
    assert json.loads(wkpup("cache", "stats", "--json").stdout)["entries"] == 0
    for argv, msg in (
        (("prune",), "give --older-than DAYS, --max-size SIZE or both"),
        (("prune", "--older-than", "-1"), "--older-than '-1': expected a number of days"),
        (("prune", "--older-than", "nan"), "--older-than 'nan': expected a number of days"),
        (("prune", "--max-size", "lots"), "--max-size 'lots': expected a size"),
        (("prune", "--cache-dir", str(tmp_path / "new"), "--max-size", "x"), "expected a size"),
    ):
        out = wkpup("cache", *argv)
        assert out.returncode == 2 and out.stdout == "", out
        assert len(out.stderr.splitlines()) == 1 and msg in out.stderr, out.stderr
    assert not (tmp_path / "new").exists()  # bad input created nothing
