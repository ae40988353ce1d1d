"""The reference core end to end on real ngspice and SKY130: a reduced sweep of our GPIO
domain, deterministic to the byte across reruns and CPU budgets, equal to the golden the
harness keeps for the same job, physically ordered; and failed points kept, never dropped."""

from __future__ import annotations

import os
import subprocess

import pytest
from coreutil import REPO, netlists, our_domain, sim_pvt

# The same job as regression/gpio/wkpup_1p8v.yaml::smoke, run by hand on the bare core.
SMOKE = {"PAIHO_CORNERS": "TT FFG SSG", "PAIHO_TEMPS": "m40 125"}
SMOKE_GOLDEN = REPO / "golden" / "gpio" / "wkpup_1p8v" / "smoke" / "creport.txt"


def smoke_config(domain):
    cfg = domain / "config.cfg"
    cfg.write_text(cfg.read_text().replace("condition:perf", "condition:htol"))


def runme(domain, **env):
    full = {**os.environ, **SMOKE, "PAIHO_BKP_TIMESTAMP": "202611220000", **env}
    full["PAIHO_CORE"] = str(REPO / "pai_ho_core")
    return subprocess.run(
        ["bash", "runme.sh"], cwd=domain, env=full, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The smoke job run twice from scratch, with 1 and with 2 simulations at a time."""
    out = []
    for jobs in ("1", "2"):
        domain = our_domain(tmp_path_factory.mktemp(f"jobs{jobs}"))
        smoke_config(domain)
        p = runme(domain, PAIHO_JOBS=jobs)
        assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
        out.append(domain)
    return out


def test_rerun_gives_a_byte_identical_creport(two_runs):
    a, b = (d / "00bkp_202611220000" / "report" / "creport.txt" for d in two_runs)
    assert a.read_bytes() == b.read_bytes()
    assert len(a.read_text().splitlines()) == 10 + 6


def test_bare_core_run_equals_the_harness_golden(two_runs):
    creport = two_runs[0] / "00bkp_202611220000" / "report" / "creport.txt"
    assert creport.read_bytes() == SMOKE_GOLDEN.read_bytes()


def test_backup_holds_the_real_layout_and_the_domain_is_clean(two_runs):
    domain = two_runs[0]
    bkp = domain / "00bkp_202611220000"
    assert len(list((bkp / "report").glob("report_*.txt"))) == 6
    assert (bkp / "simulation.log").exists() is False  # TT 85 is not in this subset
    assert sorted(p.name for p in (bkp / "tb_bkp").iterdir()) == ["typical_125", "typical_m40"]
    left = sorted(p.name for p in domain.iterdir())
    assert left == [
        "00bkp_202611220000",
        "config.cfg",
        "runme.sh",
        "script_logging.log",
        "spec.yaml",
        "template",
    ]


def test_pull_up_resistance_orders_with_process(two_runs):
    lines = (two_runs[0] / "00bkp_202611220000" / "report" / "creport.txt").read_text()
    rows = [line.split("\t") for line in lines.splitlines()[10:]]
    header = lines.splitlines()[9].split("\t")
    col = header.index("rwkpull0")
    for temp in ("-40", "125"):
        r = {row[0]: float(row[col]) for row in rows if row[2] == temp}
        assert r["SSG"] > r["TT"] > r["FFG"], (temp, r)
        assert 3000 < r["TT"] < 15000


def test_failed_point_is_kept_everywhere(tmp_path):
    domain = our_domain(tmp_path)
    smoke_config(domain)
    env = {**os.environ, **SMOKE}
    assert sim_pvt(domain, "gen", env=env).returncode == 0
    assert len(netlists(domain)) == 6
    bad = domain / "SSG" / "typical" / "typical_m40" / "v1max_v2max" / "sim_tx.sp"
    bad.write_text(bad.read_text().replace(".end\n", "xbroken a b no_such_subckt\n.end\n"))
    p = sim_pvt(domain, "run", env=env)
    assert p.returncode == 1
    assert "1 of 6 points failed" in p.stderr
    assert "SSG/typical/typical_m40/v1max_v2max" in p.stderr
    p = sim_pvt(domain, "chk", env=env)
    assert p.returncode == 1
    stat = (domain / "job_stat.log").read_text()
    assert "SSG typical m40 v1max_v2max    not-complete, check if error" in stat
    assert stat.count("    Done") == 5
    assert sim_pvt(domain, "ext", env=env).returncode == 1
    assert sim_pvt(domain, "srt", env=env).returncode == 0
    rows = (domain / "report" / "creport.txt").read_text().splitlines()[10:]
    assert len(rows) == 6
    failed = [r for r in rows if "failed" in r]
    assert len(failed) == 1 and failed[0].startswith("SSG\ttypical\t-40\tmax\tmax\tfailed\t")


def test_a_failing_command_of_run_point_fails_the_point(tmp_path):
    """run_point.sh's own `set -e` holds when the run stage runs it in a subshell: a point
    whose .spiceinit cannot be written (a directory there) fails instead of simulating
    without the hsa compatibility mode; the other points complete."""
    domain = our_domain(tmp_path)
    smoke_config(domain)
    env = {**os.environ, "PAIHO_CORNERS": "TT FFG", "PAIHO_TEMPS": "m40"}
    assert sim_pvt(domain, "gen", env=env).returncode == 0
    points = sorted(p.parent for p in netlists(domain))
    assert len(points) == 2
    (points[-1] / ".spiceinit").mkdir()
    p = sim_pvt(domain, "run", env=env)
    assert p.returncode == 1
    assert f"1 of {len(points)} points failed" in p.stderr
    assert "Is a directory" in p.stderr
    assert not (points[-1] / "sim_tx.mt0").exists()
    assert all((q / "sim_tx.mt0").is_file() for q in points[:-1])


def test_simulation_timeout_fails_the_points_and_names_them(tmp_path):
    domain = our_domain(tmp_path)
    smoke_config(domain)
    env = {**os.environ, "PAIHO_CORNERS": "TT", "PAIHO_TEMPS": "m40"}
    assert sim_pvt(domain, "gen", env=env).returncode == 0
    p = sim_pvt(domain, "run", env={**env, "PAIHO_SIM_TIMEOUT": "0.05"})
    assert p.returncode == 1
    assert "TT typical m40 v1max_v2max failed (timeout 0.05s)" in p.stdout
