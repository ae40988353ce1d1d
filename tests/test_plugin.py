"""The pytest plugin end to end, in throw-away projects (pytester), on the real core and real
ngspice: collection and ids, stage fixtures, failures naming the stage, golden gate and its
update flag, spec limits, the core gate, --pvt-stages, Python tests with the pvt marker,
xdist, and the SQLite record."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import textwrap
from pathlib import Path

import pytest
from coreutil import DOMAINS, REPO

from wkpup_harness.engine.workdir import copy_domain

CORE = REPO / "pai_ho_core"

TINY = """\
domain: gpio/1p8v
spec:
  rwkpull0: {min: 1000, max: 50000}
jobs:
  - name: one_point
    config: {condition: htol}
    corners: [TT]
    temperatures: [m40]
  - name: two_corners
    config: {condition: htol}
    corners: [FFG, SSG]
    temperatures: [125]
"""


@pytest.fixture
def project(pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A project using the plugin: our domains, one scenario file, golden/ and a store. Its
    pytest runs take CPU slots of their own (the budget is machine-wide) and inherit no
    other WKPUP_* setting."""
    for name in [k for k in os.environ if k.startswith("WKPUP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("WKPUP_SLOT_DIR", str(tmp_path / "slots"))
    copy_domain(DOMAINS / "common", pytester.path / "domains" / "common")
    copy_domain(DOMAINS / "gpio", pytester.path / "domains" / "gpio")
    pytester.makeini(
        f"""
        [pytest]
        pvt_core = {CORE}
        pvt_db = wk.db
        """
    )
    (pytester.path / "regression" / "gpio").mkdir(parents=True)
    (pytester.path / "regression" / "gpio" / "tiny.yaml").write_text(TINY)
    return pytester


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_collect_only_names_items_by_file_and_job(project):
    result = run(project, "--collect-only", "-q", "regression")
    result.stdout.fnmatch_lines(
        ["regression/gpio/tiny.yaml::one_point", "regression/gpio/tiny.yaml::two_corners"]
    )
    result = run(project, "--collect-only", "-q", "regression", "-k", "gpio and htol")
    assert "2 tests collected" in result.stdout.str()
    result = run(project, "--collect-only", "-q", "regression", "-k", "two_corners")
    assert "1/2 tests collected" in result.stdout.str()


def test_bad_scenario_is_a_one_line_collection_error(project):
    (project.path / "regression" / "gpio" / "bad.yaml").write_text(
        "domain: gpio/1p8v\njobs:\n  - name: x\n    temperatures: [50]\n"
    )
    result = run(project, "--collect-only", "-q", "regression")
    assert result.ret != 0
    result.stdout.fnmatch_lines(
        ["ERROR: *bad.yaml:4: jobs[[]0].temperatures: temperature '50' is not in the core's list*"]
    )


def test_golden_missing_then_created_then_gates_byte_for_byte(project):
    golden = project.path / "golden" / "gpio" / "tiny" / "one_point" / "creport.txt"
    obtained = golden.with_name("creport.txt.obtained")

    def verdicts() -> list[tuple[str, str]]:
        """Each run's golden verdict, as the store keeps it with the job."""
        db = sqlite3.connect(project.path / "wk.db")
        try:
            return db.execute("SELECT golden, golden_path FROM jobs ORDER BY id").fetchall()
        finally:
            db.close()

    result = run(project, "regression", "-k", "one_point")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*golden*does not exist; create it by rerunning with --pvt-update-golden*"]
    )
    result = run(project, "regression", "-k", "one_point", "--pvt-update-golden")
    result.assert_outcomes(passed=1)
    assert golden.is_file()
    # The terminal summary lists what --pvt-update-golden wrote.
    result.stdout.fnmatch_lines(
        ["*wkpup: goldens written (--pvt-update-golden)*", f"  created  {golden}"]
    )
    result = run(project, "regression", "-k", "one_point")
    result.assert_outcomes(passed=1)
    assert "goldens written" not in result.stdout.str()
    # One changed byte: the item fails and names the PVT row and the measurement.
    text = golden.read_text()
    row = next(line for line in text.splitlines() if line.startswith("TT\t"))
    cells = row.split("\t")
    old = cells[9]  # rwkpull0
    cells[9] = old[:-1] + ("1" if old[-1] != "1" else "2")
    golden.write_text(text.replace(row, "\t".join(cells)))
    result = run(project, "regression", "-k", "one_point")
    result.assert_outcomes(failed=1)
    # One line per differing cell, naming corner, extraction, temperature, voltages and the
    # measurement; the new creport is kept beside the golden for review.
    result.stdout.fnmatch_lines(
        [
            "*creport differs from golden*(golden -> new):",
            f"TT typical -40C v1=max v2=max rwkpull0: {cells[9]} -> {old}",
            "new creport written to *creport.txt.obtained for review*",
        ]
    )
    assert obtained.read_text() == text
    assert "\\n" not in result.stdout.str()
    result = run(project, "regression", "-k", "one_point", "--pvt-update-golden")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"  updated  {golden}"])
    assert not obtained.exists()
    result = run(project, "regression", "-k", "one_point")
    result.assert_outcomes(passed=1)
    assert verdicts() == [
        (verdict, str(golden))
        for verdict in ("missing", "created", "identical", "mismatch", "updated", "identical")
    ]


def test_spec_violations_list_every_point(project):
    (project.path / "regression" / "gpio" / "tiny.yaml").write_text(
        TINY.replace("rwkpull0: {min: 1000, max: 50000}", "rwkpull0: {max: 100}")
    )
    result = run(project, "regression", "-k", "two_corners", "--pvt-update-golden")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "2 spec violation(s):" in out
    assert "FFG typical 125C max/max: rwkpull0 = " in out
    assert "SSG typical 125C max/max: rwkpull0 = " in out


def test_modified_core_stops_the_session_before_any_simulation(project, tmp_path):
    core = tmp_path / "core"
    shutil.copytree(CORE, core)
    target = core / "ver03" / "tb_gen" / "gen_tb.pl"
    target.write_bytes(target.read_bytes().replace(b"use warnings;", b"use  warnings;", 1))
    result = run(project, "regression", f"--pvt-core={core}")
    assert result.ret == 3
    assert "modified: ver03/tb_gen/gen_tb.pl" in result.stdout.str() + result.stderr.str()
    assert not list(project.path.rglob("typical_*/*/sim_tx.sp"))  # nothing generated


def test_failing_stage_names_the_stage_the_exit_code_and_the_log(project):
    template = project.path / "domains" / "gpio" / "1p8v" / "template" / "sim_tx.sp"
    template.write_text(
        template.read_text().replace(".tran 1n 10u", ".tran 1n 10u\nxbad nowhere nosuchsubckt")
    )
    result = run(project, "regression", "-k", "one_point")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "stage run: exit 1" in out
    assert "1 failed point(s): TT_typical_m40_v1max_v2max" in out
    assert "--- last 25 lines of" in out


def test_pvt_stages_runs_a_prefix(project):
    result = run(project, "regression", "-k", "one_point", "--pvt-stages", "gen", "-s", "-rA")
    result.assert_outcomes(passed=1)
    netlists = list(project.path.rglob("TT/typical/typical_m40/*/sim_tx.sp"))
    assert len(netlists) == 1
    assert not list(project.path.rglob("sim_tx.mt0"))
    assert not list(project.path.rglob("creport.txt"))
    result = run(project, "regression", "--pvt-stages", "gen,ext")
    assert result.ret == 4  # usage error
    assert "--pvt-stages 'gen,ext'" in result.stderr.str()


def test_a_python_test_job_with_golden_true_is_gated_and_recorded(project):
    """``@pytest.mark.pvt(..., golden=True)``: missing golden fails; --pvt-update-golden
    writes it; the same job then passes as identical; a changed golden fails the test after
    its body ran, with the readable diff; each verdict lands in the store and in the
    session's verdict table."""
    project.makepyfile(
        test_gated=textwrap.dedent(
            """
            import pytest

            @pytest.mark.pvt(domain="gpio/1p8v", config={"condition": "htol"},
                             corners=["TT"], temperatures=["m40"], golden=True)
            def test_one(pvt_job):
                assert pvt_job.creport().rows
            """
        )
    )
    golden = project.path / "golden" / "test_gated" / "test_one" / "creport.txt"
    result = run(project, "test_gated.py")
    result.assert_outcomes(failed=1)
    assert "golden" in result.stdout.str() and not golden.exists()
    result = run(project, "test_gated.py", "--pvt-update-golden")
    result.assert_outcomes(passed=1)
    assert golden.is_file()
    result = run(project, "test_gated.py")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_gated::test_one*gpio/1p8v*completed*identical*pass*"])
    lines = golden.read_text().splitlines()
    lines[-1] = lines[-1].replace("\t", "\t ", 1)  # a whitespace-only difference
    golden.write_text("\n".join(lines) + "\n")
    result = run(project, "test_gated.py")
    result.assert_outcomes(failed=1)
    assert "mismatch" in result.stdout.str() or "differ" in result.stdout.str()
    conn = sqlite3.connect(project.path / "wk.db")
    got = [r[0] for r in conn.execute("SELECT golden FROM jobs ORDER BY id")]
    conn.close()
    assert got == ["missing", "created", "identical", "mismatch"]


def test_each_session_ends_with_the_verdict_table_worst_cases_and_next_steps(project):
    """What `make sweep` prints (pytest regression/ --pvt-worst ...): every job of the
    session from the store with its golden and spec verdicts and the measurement nearest its
    limit; the worst cases of the --pvt-worst job; where to look next. A second session is a
    new set of jobs."""
    args = ("regression", "--pvt-update-golden", "--pvt-worst", "gpio/tiny::two_corners")
    first = run(project, *args)
    first.assert_outcomes(passed=2)
    out = first.stdout.str()
    assert "wkpup: 2 PVT job(s), recorded in" in out
    first.stdout.fnmatch_lines(
        [
            "*job*name*domain*status*points*golden*spec*worst margin*",
            # rwkpull0 is loose in this file (1k..50k): the domain's rwkpull_vih is nearest
            "1 *gpio/tiny::one_point*gpio/1p8v*completed*1*created*pass*rwkpull_vih *Ω (*%)*",
            "2 *gpio/tiny::two_corners*gpio/1p8v*completed*2*created*pass*rwkpull_vih *Ω (*%)*",
            "*wkpup: worst cases of gpio/tiny::two_corners*",
            "job 2: 2 PVT points*",
            "*rwkpull0*Ω*SSG typical 125C*",
            "next: wkpup show 2 *",
            "*wkpup serve*http://127.0.0.1:8888/jobs/2",
        ]
    )
    second = run(project, "regression", "--pvt-worst", "gpio/tiny::one_point")
    second.assert_outcomes(passed=2)
    second.stdout.fnmatch_lines(
        [
            "3 *gpio/tiny::one_point*completed*identical*pass*",
            "4 *gpio/tiny::two_corners*completed*identical*pass*",
            "*wkpup: worst cases of gpio/tiny::one_point*",
            "next: wkpup show 3 *",
        ]
    )
    assert "1 *gpio/tiny" not in second.stdout.str()  # only this session's jobs
    missing = run(project, "regression", "-k", "one_point", "--pvt-worst", "gpio/tiny::nope")
    missing.stdout.fnmatch_lines(["no recorded result of gpio/tiny::nope in this session"])


def test_python_test_with_the_pvt_marker_and_worst(project):
    project.makepyfile(
        test_physics=textwrap.dedent(
            """
            import pytest

            @pytest.mark.pvt(domain="gpio/1p8v", config={"condition": "htol"},
                             corners=["TT", "FFG", "SSG"], temperatures=["m40"])
            def test_ordering(pvt_job):
                report = pvt_job.creport()
                r = {row.corner: row.cells["rwkpull0"].value for row in report.rows}
                assert r["SSG"] > r["TT"] > r["FFG"]
                worst = pvt_job.worst("rwkpull0", "max")
                assert worst.row.corner == "SSG" and worst.value == r["SSG"]
                assert pvt_job.worst("rwkpull0", "min").row.corner == "FFG"
                # By default the worst follows the domain's limits (spec.yaml: 4000..14000):
                # the point nearest a bound, FFG's ~5.2 kohm near the 4 kohm minimum.
                assert pvt_job.worst("rwkpull0").row.corner == "FFG"
                print("WORST", worst)
            """
        )
    )
    result = run(project, "test_physics.py", "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*WORST rwkpull0 max * at SSG typical -40C max/max"])


def test_xdist_and_the_sqlite_record(project):
    result = run(project, "regression", "-n", "3", "--pvt-update-golden")
    result.assert_outcomes(passed=2)
    db = sqlite3.connect(project.path / "wk.db")
    rows = db.execute(
        "SELECT name, status, domain, n_points, n_failed_points FROM jobs ORDER BY name"
    ).fetchall()
    assert rows == [
        ("one_point", "completed", "gpio/1p8v", 1, 0),
        ("two_corners", "completed", "gpio/1p8v", 2, 0),
    ]
    versions = {r[0] for r in db.execute("SELECT simulator || ' ' || simulator_version FROM jobs")}
    banner = subprocess.run(["ngspice", "--version"], capture_output=True, text=True).stdout
    assert len(versions) == 1 and f"ngspice-{versions.pop().split()[1]}" in banner
    n = db.execute("SELECT count(*) FROM measurements").fetchone()[0]
    assert n == 3 * 11
    stages = db.execute("SELECT count(*) FROM stages WHERE status = 'completed'").fetchone()[0]
    assert stages == 2 * 5
    # the pytest face writes the same job.jsonl and resource figures as every other
    for (run_root,) in db.execute("SELECT run_root FROM jobs"):
        lines = (Path(run_root) / "logs" / "job.jsonl").read_text().splitlines()
        kinds = [json.loads(x)["event"] for x in lines]
        assert kinds[0] == "job_start" and kinds[-1] == "job_end" and "point_done" in kinds
        assert json.loads(lines[0])["face"] == "pytest"
    cpu = db.execute("SELECT min(cpu_s), min(max_rss_kib) FROM stages").fetchone()
    assert cpu[0] > 0 and cpu[1] > 0
    # Every stored value is the creport's text.
    for name in ("one_point", "two_corners"):
        golden = project.path / "golden" / "gpio" / "tiny" / name / "creport.txt"
        cells = {
            tuple(line.split("\t")[:5]): line.split("\t")[5:16]
            for line in golden.read_text().splitlines()[10:]
        }
        stored = db.execute(
            "SELECT p.corner, p.extraction, p.temperature, p.v1, p.v2, m.name, m.raw "
            "FROM measurements m JOIN points p USING (job_id, seq) JOIN jobs j ON j.id = p.job_id "
            "WHERE j.name = ?",
            (name,),
        ).fetchall()
        assert len(stored) == 11 * len(cells)
        header = golden.read_text().splitlines()[9].split("\t")[5:16]
        for corner, ex, temp, v1, v2, mname, raw in stored:
            assert cells[(corner, ex, str(temp), v1, v2)][header.index(mname)] == raw


def test_plugin_is_inactive_without_a_core_setting(pytester):
    (pytester.path / "regression").mkdir()
    (pytester.path / "regression" / "x.yaml").write_text("domain: nowhere\n")
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1)
    assert Path(pytester.path / "wk.db").exists() is False
