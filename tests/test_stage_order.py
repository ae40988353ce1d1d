"""Stages are always listed in pipeline order (gen run chk ext srt bkp usr_script), whatever
their names' alphabet or their start times say: the store's get_job gives that order to
every reader, and ``wkpup show`` prints it (issue #18 item 6)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from wkpup_harness.core.stage import STAGE_ORDER
from wkpup_harness.store.db import connect
from wkpup_harness.store.jobs import create_job, get_job, record_stage


def _job(path: Path) -> int:
    conn = connect(path)
    try:
        job = create_job(conn, domain="gpio/1p8v", user="ana", scenario="cli", config_text="")
        # Recorded in reverse order, with no start times (an imported or queued job), and
        # one pair with equal start times: neither the name nor the clock may decide.
        for stage in reversed(STAGE_ORDER):
            record_stage(conn, job, stage, "completed", exit_code=0)
        return job
    finally:
        conn.close()


def test_get_job_lists_stages_in_pipeline_order(tmp_path: Path) -> None:
    job = _job(tmp_path / "store.db")
    conn = connect(tmp_path / "store.db")
    try:
        got = get_job(conn, job)
        assert got is not None
        assert [s["stage"] for s in got["stages"]] == list(STAGE_ORDER)
        # Start times that disagree with the pipeline (a resumed job reran gen last).
        record_stage(conn, job, "gen", "completed", started_at=99.0, exit_code=0)
        record_stage(conn, job, "bkp", "completed", started_at=1.0, exit_code=0)
        got = get_job(conn, job)
        assert got is not None
        assert [s["stage"] for s in got["stages"]] == list(STAGE_ORDER)
    finally:
        conn.close()


def test_wkpup_show_prints_stages_in_pipeline_order(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    job = _job(db)
    out = subprocess.run(
        [sys.executable, "-m", "wkpup_harness.cli.main", "show", str(job), "--db", str(db)],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    where = {stage: out.find(f"\n{stage} ") for stage in STAGE_ORDER}
    assert all(pos >= 0 for pos in where.values()), out
    assert sorted(STAGE_ORDER, key=where.__getitem__) == list(STAGE_ORDER), out
