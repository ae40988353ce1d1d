"""The real flow beside ours: a site's real wkpup2 ver03 scripts, run unmodified on the real
inputs of tests/data, and the reference core on the same inputs and the real core's own CSV
tables must write the same files, byte for byte.

The real scripts are a site's own and cannot ship with the project, so these are the only tests
that need something from outside the repository: marked ``realflow``, they run with
``--pvt-real-core DIR`` (or ``WKPUP_REAL_CORE=DIR``) and are otherwise skipped in one summary
line (tests/conftest.py). Everything they compare against is in tests/data."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from coreutil import (
    FIXTURE_BKP,
    fixture_domain,
    fixture_env,
    netlists,
    plant_real_measurements,
    sim_pvt,
)

pytestmark = pytest.mark.realflow


def run_real(core: Path, domain: Path, stage: str) -> subprocess.CompletedProcess[str]:
    """`sh sim_pvt.sh config.cfg <stage>` from the domain, as the real flow runs it (its `sh`
    being bash: contract §9), the script left exactly as the site has it."""
    return subprocess.run(
        ["bash", str(core / "sim_pvt.sh"), "config.cfg", stage],
        cwd=domain,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def tree(domain: Path, pattern: str) -> dict[str, bytes]:
    return {str(p.relative_to(domain)): p.read_bytes() for p in sorted(domain.glob(pattern))}


def both_domains(tmp_path: Path, real_core: Path) -> tuple[Path, Path, dict[str, str]]:
    """Two copies of the real domain (config.cfg + template/sim_tx.sp of tests/data), one per
    core, and our core's environment pointing at the real core's own tables."""
    real = fixture_domain(tmp_path / "real")
    ours = fixture_domain(tmp_path / "ours")
    tables = real_core / "configuration"
    env = fixture_env(PAIHO_CONF_DIR=str(tables)) if tables.is_dir() else fixture_env()
    return real, ours, env


def generate(real_core: Path, real: Path, ours: Path, env: dict[str, str]) -> dict[str, bytes]:
    """gen in both; returns our netlists once the real ones equal them (or the time is up)."""
    p = sim_pvt(ours, "gen", env=env)
    assert p.returncode == 0, p.stderr
    expected = tree(ours, "*/*/*/*/sim_tx.sp")
    assert len(expected) == 92  # the real run's point count (its creport has 92 rows)
    r = run_real(real_core, real, "gen")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    # The real gen returns before its background writers finish (contract §9.6; its runme.sh
    # sleeps 10 s): wait until its netlists are complete.
    deadline = time.monotonic() + 120
    while tree(real, "*/*/*/*/sim_tx.sp") != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    return expected


def test_real_gen_and_ours_write_the_same_92_testbenches(tmp_path: Path, real_core: Path) -> None:
    real, ours, env = both_domains(tmp_path, real_core)
    expected = generate(real_core, real, ours, env)
    got = tree(real, "*/*/*/*/sim_tx.sp")
    assert sorted(got) == sorted(expected)
    differ = [name for name in expected if got[name] != expected[name]]
    assert differ == [], f"{len(differ)} netlists differ from the real gen's, e.g. {differ[:3]}"
    # and the real core given is the ver03 that wrote tests/data's backup
    for ref in sorted((FIXTURE_BKP / "tb_bkp").glob("*/*/sim_tx.sp")):
        ex, vt = ref.parent.parent.name, ref.parent.name
        assert (real / "TT" / "typical" / ex / vt / "sim_tx.sp").read_bytes() == ref.read_bytes()


def test_real_ext_and_srt_and_ours_write_the_same_reports(tmp_path: Path, real_core: Path) -> None:
    real, ours, env = both_domains(tmp_path, real_core)
    generate(real_core, real, ours, env)
    for domain in (real, ours):  # the measure files PrimeSim wrote, rebuilt from the real reports
        plant_real_measurements(domain)
        assert len(netlists(domain)) == 92
    for stage in ("ext", "srt"):
        r = run_real(real_core, real, stage)
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
        p = sim_pvt(ours, stage, env=env)
        assert p.returncode == 0, p.stderr
    theirs, mine = tree(real, "report/*.txt"), tree(ours, "report/*.txt")
    assert len(theirs) == 93  # 92 reports and creport.txt
    assert sorted(mine) == sorted(theirs)
    differ = [name for name in theirs if mine[name] != theirs[name]]
    assert differ == [], f"{len(differ)} reports differ from the real flow's, e.g. {differ[:3]}"
    assert theirs["report/creport.txt"] == (FIXTURE_BKP / "report" / "creport.txt").read_bytes()
