"""The one job service (engine/service.py) under every face: a cancelled scenario job resumed
from the CLI, the web worker and pytest is judged and recorded exactly as an uninterrupted
run (spec verdicts and golden); two stores of one project run their job 1 side by side."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from test_engine import (
    CORE_ROOT,
    WKPUP,
    pvt_env,
    pytest_project,
    query,
    scenario_job,
    smoke_subset,
)

from wkpup_harness.core import locate_core
from wkpup_harness.engine import rules, service
from wkpup_harness.engine.events import Event
from wkpup_harness.settings import Settings, resolve
from wkpup_harness.store import connect, runroot
from wkpup_harness.store import jobs as store_jobs
from wkpup_harness.store.recorder import Recorder
from wkpup_harness.web.service import Worker

__all__ = ["pvt_env"]  # the fixture, used here
TWO = ("TT",), ("m40", "125")
SPEC = "    spec: {rwkpull0: {min: 1000, max: 50000}, ioh: {max: 1.0}}\n    golden"
# What a verdict is: the job's golden and every spec row but its job id.
SPEC_COLUMNS = "name, lo, hi, status, n_points, n_fail, worst_value, worst_seq, verdict, margin"


def project_settings(root: Path) -> Settings:
    return resolve(
        {"db": root / "wk.db", "cpus": 1, "slot_dir": root.parent / "slots", "core": CORE_ROOT},
        project_root=root,
        env={},
    )


def cancelled_job(settings: Settings) -> int:
    """The scenario job gpio/e::two started and cancelled after its first point."""
    core = locate_core(settings.core)
    spec = service.scenario_job(settings, core, "gpio/e", "two")
    assert spec is not None and spec.golden

    def cancel_after_first_point(event: Event) -> None:
        if event.kind == "point":
            event.job.cancel()

    recorder = Recorder(settings.db)  # type: ignore[arg-type]
    try:
        job = service.start(
            spec,
            settings,
            core,
            face="cli",
            recorder=recorder,
            listeners=[cancel_after_first_point],
        ).run()
    finally:
        recorder.close()
    assert job.status == "cancelled" and job.id is not None
    (row,) = query(settings.db, "SELECT status, golden FROM jobs WHERE id = ?", job.id)  # type: ignore[arg-type]
    assert row == {"status": "cancelled", "golden": None}
    return job.id


def verdicts(db: Path, job: int) -> dict[str, Any]:
    (row,) = query(db, "SELECT status, golden, spec_verdict, resumes FROM jobs WHERE id = ?", job)
    specs = query(
        db, f"SELECT {SPEC_COLUMNS} FROM spec_results WHERE job_id = ? ORDER BY name", job
    )
    return {**row, "specs": specs}


def wait_resumed(db: Path, job: int, timeout: float = 180.0) -> None:
    """Until the job, resumed once, has ended again."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = query(db, "SELECT status, resumes FROM jobs WHERE id = ?", job)
        if rows and rows[0]["resumes"] and rows[0]["status"] in ("completed", "failed"):
            return
        time.sleep(0.2)
    pytest.fail(f"job {job} did not end a resume in {timeout:g}s")


@pytest.mark.ngspice
def test_a_resume_from_any_face_is_judged_as_an_uninterrupted_run(
    pytester: pytest.Pytester, pvt_env: Path
) -> None:
    jobs = scenario_job("two", *TWO, True).replace("    golden", SPEC)
    root = pytest_project(pytester, jobs, {"two": smoke_subset(*TWO)})
    settings = project_settings(root)
    db = settings.db
    assert db is not None
    env = {**os.environ, "WKPUP_DB": str(db), "WKPUP_CORE": str(CORE_ROOT)}

    # The CLI: wkpup resume.
    first = cancelled_job(settings)
    cli = subprocess.run(
        [WKPUP, "resume", str(first), "--cpus", "1"], cwd=root, env=env, capture_output=True
    )
    assert cli.returncode == 0, cli.stderr.decode()
    assert b"golden " in cli.stdout + cli.stderr

    # The web: the server's worker.
    second = cancelled_job(settings)
    worker = Worker(settings, locate_core(settings.core))
    worker.start()
    try:
        worker.resume(second)
        wait_resumed(db, second)
    finally:
        worker.stop()

    # pytest: --pvt-resume takes the newest unfinished run of the item's job.
    third = cancelled_job(settings)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "regression", "--pvt-cpus=1", "--pvt-resume"
    )
    result.assert_outcomes(passed=1)

    # The reference: the same job uninterrupted (a pytest item).
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "regression", "--pvt-cpus=1")
    result.assert_outcomes(passed=1)
    everything = query(db, "SELECT id, status, resumes, golden, spec_verdict, face FROM jobs")
    others = [r for r in everything if r["id"] not in (first, second, third)]
    assert len(others) == 1, everything
    whole = others
    reference = verdicts(db, whole[0]["id"])
    assert reference["status"] == "completed" and reference["golden"] == "identical"
    assert reference["spec_verdict"] == "pass"
    assert {"ioh", "rwkpull0"} <= {s["name"] for s in reference["specs"]}
    for job in (first, second, third):
        assert verdicts(db, job) == {**reference, "resumes": 1}, job


def test_resume_spec_finds_the_scenario_job_and_its_golden(tmp_path: Path) -> None:
    """A row of a scenario job: its golden flag comes from the scenario file when the file
    still holds the job with the same config; otherwise the job is judged without."""
    project = tmp_path / "p"
    (project / "regression" / "gpio").mkdir(parents=True)
    (project / "regression" / "gpio" / "e.yaml").write_text(
        "domain: gpio/1p8v\njobs:\n" + scenario_job("two", *TWO, True)
    )
    settings = resolve(
        {"core": CORE_ROOT, "domains": Path(CORE_ROOT).parent / "domains"},
        project_root=project,
        env={},
    )
    core = locate_core(settings.core)
    found = service.scenario_job(settings, core, "gpio/e", "two")
    assert found is not None and found.golden
    assert service.scenario_job(settings, core, "gpio/e", "nope") is None
    assert service.scenario_job(settings, core, "cli", "two") is None
    assert service.scenario_job(settings, core, "gpio/gone", "two") is None


def test_one_stage_list_rule_for_every_face() -> None:
    assert rules.check_stages("gen,run") == ("gen", "run")
    assert rules.check_stages("ext,srt,bkp,usr_script") == ("ext", "srt", "bkp", "usr_script")
    assert rules.check_stages("usr_script,gen") == ("usr_script", "gen")  # the user's own
    assert rules.check_stages(None) == rules.PIPELINE
    rule = (
        "allowed: gen, run, chk, ext, srt, mc, bkp, usr_script; "
        "each once, in this order (usr_script anywhere)"
    )
    for bad, what in (
        ("", "no stage"),
        ("gen,fly", "unknown stage 'fly'"),
        (["gen", 3], "unknown stage '3'"),
        ("gen,gen", "'gen' given twice"),
        # run before gen would simulate before the netlists exist (the review's case)
        ("run,gen", "out of order (the core runs gen,run)"),
        ("gen,run,bkp,srt", "out of order (the core runs gen,run,srt,bkp)"),
    ):
        with pytest.raises(rules.StagesError) as info:
            rules.check_stages(bad)  # type: ignore[arg-type]
        assert str(info.value).endswith(f": {what}; {rule}"), str(info.value)
    assert rules.StagesError.field == "stages"


@pytest.mark.ngspice
def test_two_stores_of_one_project_both_run_their_job_1(tmp_path: Path) -> None:
    """``wkpup --db a.db run ...`` and ``wkpup --db b.db run ...`` with the default run root:
    both job 1, each in a run directory of its own store; a third run of a gets job 2."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WKPUP_")}
    env["WKPUP_SLOT_DIR"] = str(tmp_path / "slots")
    base = ["run", "gpio/1p8v", "--corners", "TT", "--temperatures", "m40", "--cpus", "1"]
    project = Path(CORE_ROOT).parent
    runs = tmp_path / "runs"
    roots = []
    for db in ("a.db", "b.db", "a.db"):
        proc = subprocess.run(
            [WKPUP, "--db", str(tmp_path / db), *base, "--runs", str(runs)],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr
        (row,) = query(tmp_path / db, "SELECT id, run_root FROM jobs ORDER BY id DESC LIMIT 1")
        roots.append((db, row["id"], Path(row["run_root"])))
    (_, a1, root_a1), (_, b1, root_b1), (_, a2, root_a2) = roots
    assert (a1, b1, a2) == (1, 1, 2)
    assert root_a1 == runs / "1" and root_a2 == runs / "2"  # the first store keeps <runs>/<N>
    assert root_b1.parent.parent == runs and root_b1.name == "1" and root_b1 != root_a1
    ids = {db: query(tmp_path / db, "SELECT value FROM meta WHERE key = 'store_id'")[0]["value"]
           for db in ("a.db", "b.db")}  # fmt: skip
    assert root_b1.parent.name == f"store-{ids['b.db']}"
    assert (runs / ".wkpup-store").read_text().strip() == ids["a.db"]


def test_a_store_from_before_keeps_its_run_root_layout(tmp_path: Path) -> None:
    """A run root with an older store's job directories and no owner file: a new store does
    not claim it (its jobs go to store-<id>/); the older store does and keeps <runs>/<N>."""
    runs = tmp_path / "runs"
    old, new = connect(tmp_path / "old.db"), connect(tmp_path / "new.db")
    try:
        legacy = store_jobs.create_job(old, domain="gpio/1p8v")
        store_jobs.update_job(old, legacy, run_root=str(runs / str(legacy)))
        (runs / str(legacy)).mkdir(parents=True)
        assert runroot.run_root(new, runs, 1) == runs / f"store-{runroot.store_id(new)}" / "1"
        assert not (runs / runroot.MARKER).exists()
        assert runroot.run_root(old, runs, 2) == runs / "2"
        assert (runs / runroot.MARKER).read_text().strip() == runroot.store_id(old)
        assert runroot.run_root(new, runs, 2) == runs / f"store-{runroot.store_id(new)}" / "2"
        assert runroot.store_id(old) != runroot.store_id(new)
    finally:
        old.close()
        new.close()


@pytest.mark.parametrize(
    ("corners", "name", "field"),
    [(["XX"], None, "corners"), (["TT", "TT"], None, "corners"), (["TT"], "bad\nname", "name")],
)
def test_a_face_error_names_its_field(corners: list[str], name: str | None, field: str) -> None:
    """The faces read which input an error is about from the error (no message parsing)."""
    from coreutil import DOMAINS

    from wkpup_harness.config import read_config
    from wkpup_harness.config.scenario import ScenarioError, domain_job

    core = locate_core(CORE_ROOT)
    domain = DOMAINS / "gpio" / "1p8v"
    config = read_config(domain / "config.cfg", tables=core.tables())
    with pytest.raises(ScenarioError) as caught:
        domain_job("gpio/1p8v", domain, config, corners=corners, name=name, tables=core.tables())
    assert caught.value.field == field


def test_the_public_api_is_listed_in_one_place() -> None:
    import wkpup_harness

    for name in wkpup_harness.__all__:
        assert getattr(wkpup_harness, name) is not None, name
    assert wkpup_harness.service.start is service.start
    with pytest.raises(AttributeError):
        _ = wkpup_harness.nothing_here  # type: ignore[attr-defined]


def test_stages_are_shown_in_pipeline_order() -> None:
    assert rules.in_pipeline_order(["bkp", "ext", "gen", "run", "srt"]) == list(rules.PIPELINE)
    assert rules.in_pipeline_order(["usr_script", "chk", "gen", "odd"]) == [
        "gen", "chk", "usr_script", "odd"
    ]  # fmt: skip
    from wkpup_harness.cli.status import stages_table

    stage = {"status": "queued", "exit_code": None, "started_at": None, "finished_at": None}
    stages = [{**stage, "stage": name, "log_path": None} for name in ("bkp", "ext", "gen")]
    table = stages_table({"stages": stages})
    assert [ln.split()[0] for ln in table.splitlines()[-3:]] == ["gen", "ext", "bkp"]


@pytest.mark.ngspice
def test_an_installed_plugins_hooks_see_a_cli_job_and_gate_it(tmp_path: Path) -> None:
    """The non-pytest faces call the hooks of the plugins of the ``wkpup`` entry-point group
    (here one registered in-process): every event, then the finished hook, whose string is
    a gate in the job's verdict (``wkpup run`` exits 1 on it)."""
    from test_engine import ONE, settings_for, spec_for

    from wkpup_harness.engine import hooks

    seen: list[tuple[str, str | None]] = []

    class SitePlugin:
        def pytest_pvt_job_event(self, event: Event) -> None:
            seen.append((event.kind, event.stage))

        def pytest_pvt_job_finished(
            self, job_id: int | None, spec: Any, status: str, verdict: Any
        ) -> str:
            return f"site gate: {status}, golden {verdict.golden}"

    core = locate_core(CORE_ROOT)
    plugin = SitePlugin()
    manager = hooks.manager()
    manager.register(plugin)
    try:
        job = service.start(
            spec_for(core, *ONE), settings_for(tmp_path, db="none"), core, face="cli"
        ).run()
    finally:
        manager.unregister(plugin)
    assert job.status == "completed"
    assert seen[0] == ("stage-start", "gen") and seen[-1] == ("job-end", None)
    assert [s for k, s in seen if k == "stage-end"] == list(rules.PIPELINE)
    assert job.verdict is not None and job.verdict.gates == ("site gate: completed, golden None",)
    assert not job.verdict.ok


def test_a_gate_that_raises_fails_the_job_and_only_strings_are_problems() -> None:
    """hooks.finished on a real pluggy manager with the hookspecs: a gate's string is a
    problem, None / False / "" are not, and a gate that raises is a problem (never a pass)."""
    from wkpup_harness.engine import hooks, hookspecs

    class Gates:
        def pytest_pvt_job_finished(self, job_id, spec, status, verdict):
            return "job 7: near a limit"

    class Quiet:
        def pytest_pvt_job_finished(self, job_id, spec, status, verdict):
            return False

    class Broken:
        def pytest_pvt_job_finished(self, job_id, spec, status, verdict):
            raise KeyError("specs")

    def manager(*plugins: object) -> hooks.PluginManager:
        pm = hooks.PluginManager(hooks.GROUP)
        pm.add_hookspecs(hookspecs)
        for p in plugins:
            pm.register(p)
        return pm

    args = (7, None, "completed", None)
    assert hooks.finished(manager(Quiet()).hook, *args) == []
    assert hooks.finished(manager(Gates(), Quiet()).hook, *args) == ["job 7: near a limit"]
    problems = hooks.finished(manager(Broken(), Gates()).hook, *args)
    assert problems == ["a pytest_pvt_job_finished hook raised KeyError: 'specs'"]
