"""The examples of docs/engine.md run as written: the site executor (a test-registered
executor running a real job on ngspice) and the conftest hooks (every event of a job seen,
a gate failing the item), with the JUnit XML properties CI dashboards read."""

from __future__ import annotations

import dataclasses
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from test_engine import (
    CORE_ROOT,
    ONE,
    pvt_env,
    pytest_project,
    scenario_job,
    settings_for,
    smoke_subset,
    spec_for,
)

from wkpup_harness.core import locate_core
from wkpup_harness.engine import executors, service
from wkpup_harness.results import parse_creport
from wkpup_harness.store.recorder import Recorder

__all__ = ["pvt_env"]  # the fixture, used here
DOC = Path(__file__).resolve().parent.parent / "docs" / "engine.md"


def doc_block(first_line: str) -> str:
    """The code block of docs/engine.md whose first line is ``first_line``."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    found = [b for b in blocks if b.splitlines()[0] == first_line]
    assert len(found) == 1, f"docs/engine.md: no one block starting {first_line!r}"
    return found[0]


def test_the_doc_examples_are_there() -> None:
    assert "class BsubExecutor" in doc_block("# mysite/lsf.py")
    assert "def pytest_pvt_job_event(event):" in doc_block("# conftest.py")
    assert 'lsf = "mysite.lsf:BsubExecutor"' in doc_block(
        '[project.entry-points."wkpup.executors"]'
    )


@pytest.mark.ngspice
def test_the_docs_site_executor_runs_a_real_job(tmp_path: Path) -> None:
    """The LSF example, registered in-process with ``submit = []`` (each point runs here):
    the job completes with the creport of the local executor, byte for byte."""
    namespace: dict[str, object] = {}
    exec(compile(doc_block("# mysite/lsf.py"), "docs/engine.md", "exec"), namespace)
    executor_class = namespace["BsubExecutor"]
    executor_class.submit = []  # type: ignore[attr-defined]
    executors.register("lsf", executor_class)
    try:
        core = locate_core(CORE_ROOT)
        settings = dataclasses.replace(settings_for(tmp_path), executor="lsf")
        recorder = Recorder(settings.db)  # type: ignore[arg-type]
        try:
            job = service.start(
                spec_for(core, *ONE), settings, core, face="cli", recorder=recorder
            ).run()
        finally:
            recorder.close()
    finally:
        executors.unregister("lsf")
    assert job.status == "completed", job.failure_message()
    assert job.creport_path.read_bytes() == smoke_subset(*ONE)
    run_log = (job.log_dir / "run.log").read_text()
    assert "run: 1 points with ngspice, lsf" in run_log
    assert "wkpup-engine" in job.result("run").command[0]  # type: ignore[union-attr]


@pytest.mark.ngspice
def test_the_docs_conftest_sees_every_event_and_gates(
    pytester: pytest.Pytester, pvt_env: Path
) -> None:
    """The conftest of docs/engine.md under pytest: its event hook sees every event of the
    job (the same as the job's own job.jsonl), its finished hook fails an item whose
    measurement is near its limit; the JUnit XML carries the job id and the verdicts."""
    value = next(r.cells["rwkpull0"].value for r in parse_creport(smoke_subset(*ONE).decode()).rows)
    assert value is not None
    spec = f"    spec: {{rwkpull0: {{min: {value * 0.99!r}}}}}\n    golden"
    jobs = scenario_job("one", *ONE, True).replace("    golden", spec)
    root = pytest_project(pytester, jobs, {"one": smoke_subset(*ONE)})
    (root / "conftest.py").write_text(doc_block("# conftest.py"))
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "regression", "--pvt-cpus=1", "--junitxml=junit.xml"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*job 1: near a limit: rwkpull0*"])
    seen = [json.loads(line) for line in (root / "pvt-events.jsonl").read_text().splitlines()]
    journal = [
        json.loads(line)
        for line in (root / ".wkpup" / "runs" / "1" / "logs" / "job.jsonl").read_text().splitlines()
    ]
    kinds = {
        "stage_start": "stage-start",
        "stage_end": "stage-end",
        "stage_skipped": "stage-skip",
        "point_done": "point",
        "point_failed": "point",
        "point_retried": "point-retry",
        "job_end": "job-end",
    }
    expected = [
        (kinds[j["event"]], j.get("stage"), j.get("point"))
        for j in journal[1:]  # not job_start
    ]
    assert [(e["kind"], e["stage"], e["point"]) for e in seen] == expected
    assert {e["job"] for e in seen} == {1}
    assert [e["stage"] for e in seen if e["kind"] == "stage-end"] == [
        "gen", "run", "ext", "srt", "bkp"
    ]  # fmt: skip
    assert seen[-1]["kind"] == "job-end"
    case = ET.parse(root / "junit.xml").getroot().find(".//testcase")
    assert case is not None
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props["wkpup_job"] == "1"
    assert props["pvt_golden"] == "identical"
    assert props["pvt_spec"] == "near"
    assert re.fullmatch(r"near; worst \S+ Ω; margin \S+ Ω", props["pvt_spec.rwkpull0"] or "")
