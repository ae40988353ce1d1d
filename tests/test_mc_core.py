"""Monte Carlo end to end (docs/montecarlo.md): the core's mc stage, ``wkpup run --mc``, the
store (schema V5), ``wkpup show``'s yield table, ``wkpup rerun --sample``, scenario files'
``monte_carlo:`` block and byte-identical mcreport.txt per seed (locally, twice; under
``pytest -n 2``); real ngspice, real SQLite, small jobs (gpio/1p8v, condition htol, SSG at
-40 C: one PVT point, so the worst point of every measurement is that one)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from coreutil import DOMAINS, REPO, SIM_PVT, our_domain, set_keys
from hostile import assert_one_line_error, isolated, snapshot, wkpup

from wkpup_harness.config.scenario import ScenarioError, scenario_from_data
from wkpup_harness.core import locate_core
from wkpup_harness.store import db
from wkpup_harness.store.schema import LATEST, MIGRATIONS

pytestmark = pytest.mark.ngspice

JOB = ["gpio/1p8v", "--set", "condition=htol", "--corners", "SSG", "--temperatures", "m40"]


def run_mc(tmp: Path, *extra: str) -> tuple[int, str]:
    env = isolated(tmp, WKPUP_DOMAINS=str(DOMAINS))
    o = wkpup("run", *JOB, "--mc", "3", *extra, cwd=tmp, env=env, timeout=300)
    assert o.code == 0, o.err[-3000:]
    return int(o.out.split()[-1]) if o.out.split() else 0, o.err


def mcreport_of(tmp: Path, job: int) -> bytes:
    conn = sqlite3.connect(tmp / "store" / "wkpup.db")
    (backup,) = conn.execute("SELECT backup_path FROM jobs WHERE id = ?", (job,)).fetchone()
    conn.close()
    return (Path(backup) / "report" / "mcreport.txt").read_bytes()


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Jobs 1 and 2: --mc 3 --seed 1 twice; job 3: --seed 2 (one store)."""
    tmp = tmp_path_factory.mktemp("mc")
    for seed in ("1", "1", "2"):
        run_mc(tmp, "--seed", seed, "-q")
    return tmp


def test_a_seed_gives_the_same_mcreport_byte_for_byte_another_seed_another(two_runs: Path):
    first, again, other = (mcreport_of(two_runs, j) for j in (1, 2, 3))
    assert first == again
    assert first != other
    rows = first.decode().split("\n")[7:-1]
    assert len(rows) == 3 and all(r.split("\t")[2:5] == ["SSG", "typical", "-40"] for r in rows)
    assert len({r.split("\t")[1] for r in rows}) == 3  # a seed per sample


def test_the_store_holds_the_samples_linked_to_the_job(two_runs: Path):
    conn = sqlite3.connect(two_runs / "store" / "wkpup.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST == 6
    job = conn.execute("SELECT mc_kind, mc_seed, mc_samples, mc_at FROM jobs WHERE id = 1")
    assert job.fetchone() == ("mismatch", 1, 3, "worst")
    rows = conn.execute(
        "SELECT idx, status, attempts, corner, temp_token FROM mc_samples WHERE job_id = 1"
    ).fetchall()
    assert rows == [(i, "ok", 1, "SSG", "m40") for i in (1, 2, 3)]
    text = mcreport_of(two_runs, 1).decode().split("\n")
    names = text[6].split("\t")[7:]
    (raw,) = conn.execute(
        "SELECT raw FROM mc_values WHERE job_id = 1 AND idx = 2 AND name = 'rwkpull0'"
    ).fetchone()
    assert raw == text[8].split("\t")[7 + names.index("rwkpull0")]


def test_show_prints_the_yield_table_with_intervals_and_sigma_to_limits(two_runs: Path):
    o = wkpup("show", "1", cwd=two_runs, env=isolated(two_runs))
    assert o.code == 0, o.err
    assert "mismatch, mc_seed 1, 3 per point at worst" in o.out
    table = o.out[o.out.index("Monte Carlo: 3 samples") :]
    for word in ("yield", "interval", "σ to min", "σ to max", "Cpk", "worst sample", "kΩ"):
        assert word in table, table
    assert "rwkpull0" in table and "SSG_typical_m40_v1max_v2max" in table


def test_rerun_of_one_sample_gives_its_recorded_values(two_runs: Path):
    o = wkpup("rerun", "1", "--sample", "2", cwd=two_runs, env=isolated(two_runs), timeout=120)
    assert o.code == 0, o.out + o.err
    assert "sample 2 (seed" in o.out and "identical to the recorded run" in o.out
    missing = wkpup("rerun", "1", "--sample", "9", cwd=two_runs, env=isolated(two_runs))
    assert_one_line_error(missing, 3, "no sample 9", "1..3")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--seed", "3"], ["--seed needs --mc"]),
        (["--mc", "0"], ["--mc: mc_samples"]),  # named as the flag given, not --set
        (["--mc", "2", "--mc-kind", "process"], ["--mc-kind: mc_kind"]),
        (["--mc", "2", "--mc-at", "SSG/85"], ["--mc-at: mc_at", "SSG/85"]),
        (["--set", "mc_samples=0"], ["--set: mc_samples"]),
        (["--mc", "2", "--mc-kind", "process+mismatch", "--mc-at", "SSG/m40"], ["mc_at"]),
    ],
)
def test_bad_monte_carlo_flags_are_one_line_and_create_nothing(tmp_path: Path, args, words):
    before = snapshot(tmp_path)
    o = wkpup("run", *JOB, *args, cwd=tmp_path, env=isolated(tmp_path, WKPUP_DOMAINS=str(DOMAINS)))
    assert_one_line_error(o, 2, *words)
    assert snapshot(tmp_path) == before


def test_the_core_alone_runs_the_mc_stage_and_refuses_without_mc_samples(tmp_path: Path):
    domain = our_domain(tmp_path)
    cfg = domain / "config.cfg"
    env = {"PAIHO_CORNERS": "SSG", "PAIHO_TEMPS": "m40", "PAIHO_JOBS": "2"}
    cfg.write_text(set_keys(cfg.read_text(), condition="htol"))

    def core(*args: str) -> subprocess.CompletedProcess[str]:
        command = ["bash", str(SIM_PVT), "config.cfg", *args]
        full = {**os.environ, **env}
        return subprocess.run(command, cwd=domain, env=full, capture_output=True, text=True)

    off = core("mc")
    assert off.returncode == 2 and off.stderr.count("\n") == 1 and "mc_samples" in off.stderr
    cfg.write_text(cfg.read_text() + "mc_samples:2\nmc_seed:4\n")
    bad = core("mc", "bogus")
    assert bad.returncode == 2 and "step 'bogus' unknown" in bad.stderr
    for stage in ("gen", "run", "ext", "srt", "mc"):
        done = core(stage)
        assert done.returncode == 0, (stage, done.stderr)
    report = (domain / "report" / "mcreport.txt").read_text()
    assert report.startswith("mc_kind: mismatch\nmc_seed: 4\nmc_samples: 2\nmc_at: worst\n")
    netlist = (domain / "mc" / "SSG_typical" / "m40_v1max_v2max" / "s1" / "sim_tx.sp").read_text()
    assert '.lib "$DP_HSPICE_MODEL" SSG_mm\n.option seed=' in netlist
    point = (domain / "SSG" / "typical" / "typical_m40" / "v1max_v2max" / "sim_tx.sp").read_text()
    assert '.lib "$DP_HSPICE_MODEL" SSG\n' in point and "seed" not in point  # untouched


def test_a_v4_store_is_migrated_to_v5(tmp_path: Path):
    path = tmp_path / "old.db"
    raw = sqlite3.connect(path, isolation_level=None)
    for number, migration in enumerate(MIGRATIONS[:4], start=1):
        for statement in migration:
            raw.execute(statement)
        raw.execute(f"PRAGMA user_version = {number}")
    raw.close()
    conn = db.connect(path)
    try:
        assert (
            conn.execute("PRAGMA user_version").fetchone()[0] == LATEST == 6
        )  # through V5 (Monte Carlo) and V6 (the cache)
        cols = {r[1] for r in conn.execute("PRAGMA table_info(jobs)")}
        assert {"mc_kind", "mc_seed", "mc_samples", "mc_at"} <= cols
        assert conn.execute("SELECT count(*) FROM mc_samples").fetchone()[0] == 0
    finally:
        conn.close()


def _scenario(jobs: list[dict]) -> None:
    core = locate_core(None)
    scenario_from_data(
        {"domain": "gpio/1p8v", "jobs": jobs},
        path=Path("x.yaml"),
        name="x",
        domains_root=DOMAINS,
        tables=core.tables(),
    )


@pytest.mark.parametrize(
    ("block", "words"),
    [
        ({"samples": 0}, ["jobs[0].monte_carlo.samples", "1..99999"]),
        ({"sample": 3}, ["monte_carlo"]),
        ({"samples": 3, "kind": "process"}, ["monte_carlo.kind", "process+mismatch"]),
        ({"samples": 3, "at": "XYZ/m40"}, ["monte_carlo.at", "XYZ/m40"]),
    ],
)
def test_a_bad_monte_carlo_block_is_named(block: dict, words: list[str]) -> None:
    with pytest.raises(ScenarioError) as err:
        _scenario([{"name": "j", "monte_carlo": block}])
    text = str(err.value)
    assert all(w in text for w in words), text


def test_scenario_mc_jobs_under_xdist_equal_their_goldens(tmp_path: Path) -> None:
    """``pytest -n 2``: the scenario's Monte Carlo job and another, on two workers; the
    mc_smoke item passes only when its mcreport.txt equals the golden byte for byte."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:randomly",
         "--pvt-db", str(tmp_path / "wk.db"), "--pvt-runs", str(tmp_path / "runs"),
         "regression/gpio/wkpup_1p8v.yaml::mc_smoke", "regression/gpio/wkpup_1p8v.yaml::func"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    assert "2 passed" in done.stdout
    conn = sqlite3.connect(tmp_path / "wk.db")
    golden = conn.execute("SELECT golden FROM jobs WHERE name = 'mc_smoke'").fetchone()
    conn.close()
    assert golden == ("identical",)
