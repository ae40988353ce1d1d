"""The pipeline's rules (engine/rules.py) at their edges: which stage list a face may run (the
first and the last stage of the core, an empty name between commas, a repeat, a near miss),
the order stages are shown in, which failure stops a job (exit 1 of a point stage only, never
with a timeout or a cancel), when bkp is skipped, the job's final status (the last planned
stage not run) and its one-line error for every kind of failed stage. Fast: real
``StageResult`` objects, no core, no subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest

from wkpup_harness.core.stage import STAGE_ORDER, StageResult
from wkpup_harness.engine import rules
from wkpup_harness.errors import WkpupError

ALLOWED = "gen, run, chk, ext, srt, mc, bkp, usr_script"


def sr(stage: str, rc: int = 0, *, timed_out=False, cancelled=False, ex=None) -> StageResult:
    return StageResult(
        stage=stage,
        ex=ex,
        returncode=rc,
        started=100.0,
        finished=101.5,
        elapsed=1.5,
        log_path=Path(f"/logs/{stage}.log"),
        timed_out=timed_out,
        command=["bash", "sim_pvt.sh", "config.cfg", stage],
        cancelled=cancelled,
    )


RULE = f"allowed: {ALLOWED}; each once, in this order (usr_script anywhere)"


def refused(shown: str, what: str) -> str:
    return f"stages '{shown}': {what}; {RULE}"


def message(stages) -> str:
    with pytest.raises(rules.StagesError) as info:
        rules.check_stages(stages)
    return str(info.value)


# --- the constants ---------------------------------------------------------------------------
def test_the_pipeline_the_core_stages_and_the_point_stages():
    assert rules.PIPELINE == ("gen", "run", "ext", "srt", "bkp")
    stages = ("gen", "run", "chk", "ext", "srt", "mc", "bkp", "usr_script")
    assert rules.STAGES == STAGE_ORDER == stages
    # a job whose config has mc_samples (docs/montecarlo.md)
    assert rules.MC_PIPELINE == ("gen", "run", "ext", "srt", "mc", "bkp")
    assert rules.POINT_STAGES == ("run", "chk", "ext", "mc")


def test_a_stages_error_is_a_wkpup_error_of_the_stages_field():
    assert issubclass(rules.StagesError, WkpupError)
    assert rules.StagesError.field == "stages"
    assert rules.StagesError("x").field == "stages"


# --- check_stages ----------------------------------------------------------------------------
def test_none_is_the_default_as_a_tuple():
    assert rules.check_stages(None) == ("gen", "run", "ext", "srt", "bkp")
    assert rules.check_stages(None, default=["srt", "bkp"]) == ("srt", "bkp")
    assert type(rules.check_stages(None, default=["srt"])) is tuple


def test_a_string_is_split_at_commas_empty_names_dropped():
    assert rules.check_stages("gen,run") == ("gen", "run")
    assert rules.check_stages("srt") == ("srt",)
    assert rules.check_stages(",gen,,usr_script,") == ("gen", "usr_script")


def test_a_sequence_is_kept_as_a_tuple_and_must_be_in_the_core_order():
    got = rules.check_stages(["gen", "bkp"])
    assert got == ("gen", "bkp") and type(got) is tuple
    assert rules.check_stages(("usr_script",)) == ("usr_script",)
    # run before gen would simulate before the netlists exist
    assert message(["bkp", "gen"]) == refused("bkp,gen", "out of order (the core runs gen,bkp)")
    assert rules.check_stages(["usr_script", "gen", "bkp"]) == ("usr_script", "gen", "bkp")
    assert message("usr_script,run,gen") == refused(
        "usr_script,run,gen", "out of order (the core runs gen,run)"
    )
    assert message("gen,run,srt,ext") == refused(
        "gen,run,srt,ext", "out of order (the core runs gen,run,ext,srt)"
    )


def test_every_stage_of_the_core_is_accepted_first_and_last_included():
    assert rules.check_stages(list(STAGE_ORDER)) == STAGE_ORDER
    assert rules.check_stages(",".join(STAGE_ORDER)) == STAGE_ORDER
    for stage in STAGE_ORDER:
        assert rules.check_stages([stage]) == (stage,)


@pytest.mark.parametrize("empty", ["", ",", ",,", [], ()])
def test_no_stage_is_refused(empty):
    assert message(empty) == refused("", "no stage")


def test_an_unknown_stage_is_refused_with_the_whole_list():
    assert message("gen,sim") == refused("gen,sim", "unknown stage 'sim'")
    assert message(["GEN"]) == refused("GEN", "unknown stage 'GEN'")
    assert message(["usr_script ", "gen"]).startswith(
        "stages 'usr_script ,gen': unknown stage 'usr_script '"
    )


def test_a_stage_twice_is_refused():
    assert message("gen,run,gen") == refused("gen,run,gen", "'gen' given twice")
    assert message(["bkp", "bkp"]) == refused("bkp,bkp", "'bkp' given twice")
    # the name given twice, not the first name of the list
    assert message("gen,run,run") == refused("gen,run,run", "'run' given twice")
    assert message("usr_script,gen,srt,bkp,srt") == refused(
        "usr_script,gen,srt,bkp,srt", "'srt' given twice"
    )


def test_a_name_that_is_not_a_string_is_refused():
    assert message(["gen", 3]) == refused("gen,3", "unknown stage '3'")
    assert message([None]).startswith("stages 'None': unknown stage 'None'")


def test_the_refused_list_stays_on_one_line():
    got = message("gen\nrun")
    assert "\n" not in got and got.startswith("stages 'gen") and got.endswith(RULE)


# --- in_pipeline_order -----------------------------------------------------------------------
def test_stages_sort_in_pipeline_order_not_by_name():
    assert rules.in_pipeline_order(["usr_script", "bkp", "srt", "ext", "chk", "run", "gen"]) == [
        "gen", "run", "chk", "ext", "srt", "bkp", "usr_script",
    ]  # fmt: skip
    assert rules.in_pipeline_order(("srt", "gen")) == ["gen", "srt"]
    assert rules.in_pipeline_order([]) == []


def test_unknown_stages_come_last_sorted_by_name():
    got = rules.in_pipeline_order(["zeta", "usr_script", "alpha", "gen"])
    assert got == ["gen", "usr_script", "alpha", "zeta"]
    assert rules.in_pipeline_order(["b", "a"]) == ["a", "b"]


# --- first_failed / fatal / may_run ----------------------------------------------------------
def test_first_failed_is_the_first_stage_that_did_not_succeed():
    gen, run, ext, srt = sr("gen"), sr("run", 1), sr("ext", 2), sr("srt")
    assert rules.first_failed([gen, run, ext, srt]) is run
    assert rules.first_failed([gen, srt]) is None
    assert rules.first_failed([]) is None
    assert rules.first_failed([gen, sr("srt", cancelled=True)]).stage == "srt"
    assert rules.first_failed([sr("gen", timed_out=True)]).stage == "gen"


def test_nothing_failed_is_not_fatal():
    assert rules.fatal([]) is False
    assert rules.fatal([sr("gen"), sr("run"), sr("ext")]) is False


@pytest.mark.parametrize("stage", ["run", "chk", "ext", "mc"])
def test_exit_1_of_a_point_stage_is_tolerated(stage):
    assert rules.fatal([sr("gen"), sr(stage, 1)]) is False


@pytest.mark.parametrize("stage", ["gen", "srt", "bkp", "usr_script"])
def test_exit_1_of_another_stage_is_fatal(stage):
    assert rules.fatal([sr(stage, 1)]) is True


@pytest.mark.parametrize("rc", [2, 3, 127, -9, 255])
def test_another_exit_of_a_point_stage_is_fatal(rc):
    assert rules.fatal([sr("gen"), sr("run", rc)]) is True
    assert rules.fatal([sr("ext", rc)]) is True


@pytest.mark.parametrize("stage", ["run", "ext"])
def test_a_point_stage_timed_out_or_cancelled_is_fatal_even_with_exit_1(stage):
    assert rules.fatal([sr(stage, 1, timed_out=True)]) is True
    assert rules.fatal([sr(stage, 1, cancelled=True)]) is True
    assert rules.fatal([sr(stage, 0, timed_out=True)]) is True
    assert rules.fatal([sr(stage, 0, cancelled=True)]) is True


def test_fatal_judges_the_first_failure():
    assert rules.fatal([sr("gen", 2), sr("run", 1)]) is True
    assert rules.fatal([sr("run", 1), sr("ext", 1)]) is False


def test_bkp_runs_only_when_nothing_failed():
    assert rules.may_run("bkp", [sr("gen"), sr("run"), sr("ext"), sr("srt")]) is True
    assert rules.may_run("bkp", []) is True
    # failed points: ext and srt go on, bkp is skipped so the directories stay
    tolerated = [sr("gen"), sr("run", 1)]
    assert rules.may_run("ext", tolerated) is True
    assert rules.may_run("srt", tolerated) is True
    assert rules.may_run("bkp", tolerated) is False
    assert rules.may_run("bkp", [sr("gen"), sr("run"), sr("ext", 1)]) is False


def test_nothing_runs_after_a_fatal_failure():
    for stage in ("run", "ext", "srt", "bkp", "usr_script"):
        assert rules.may_run(stage, [sr("gen", 1)]) is False
        assert rules.may_run(stage, [sr("gen"), sr("run", 1, timed_out=True)]) is False
    assert rules.may_run("run", [sr("gen")]) is True
    assert rules.may_run("usr_script", [sr("gen"), sr("run", 1)]) is True


# --- final_status ----------------------------------------------------------------------------
def test_completed_needs_ok_and_every_planned_stage_run():
    planned = ("gen", "run", "ext", "srt", "bkp")
    assert rules.final_status(ok=True, user_cancelled=False, ran=planned, planned=planned) == (
        "completed"
    )
    assert rules.final_status(
        ok=True, user_cancelled=False, ran=["bkp", "srt", "ext", "run", "gen"], planned=planned
    ) == "completed"  # fmt: skip
    # the last planned stage did not run (bkp skipped)
    assert rules.final_status(
        ok=True, user_cancelled=False, ran=planned[:-1], planned=planned
    ) == "failed"  # fmt: skip
    # only the first ran
    assert rules.final_status(ok=True, user_cancelled=False, ran=["gen"], planned=planned) == (
        "failed"
    )
    assert rules.final_status(ok=False, user_cancelled=False, ran=planned, planned=planned) == (
        "failed"
    )
    assert rules.final_status(ok=False, user_cancelled=False, ran=[], planned=planned) == "failed"


def test_a_stage_run_beyond_the_plan_does_not_matter():
    assert rules.final_status(
        ok=True, user_cancelled=False, ran=["gen", "run", "chk"], planned=["gen", "run"]
    ) == "completed"  # fmt: skip


def test_a_user_cancel_is_cancelled_whatever_ran():
    planned = ("gen", "run")
    for ok in (True, False):
        for ran in ((), ("gen",), planned):
            got = rules.final_status(ok=ok, user_cancelled=True, ran=ran, planned=planned)
            assert got == "cancelled"


# --- error_line ------------------------------------------------------------------------------
def line(failed, failed_points=0, executor_error=None):
    return rules.error_line(failed, failed_points=failed_points, executor_error=executor_error)


def test_no_failed_stage_no_error():
    assert line(None) == (None, None)
    assert line(None, failed_points=3, executor_error="slurm down") == (None, None)


def test_a_timeout_is_described_whatever_else_is_known():
    run = sr("run", 1, timed_out=True)
    assert line(run, 3, "slurm down") == (
        "stage run: timed out after 1.50s; log /logs/run.log",
        "run",
    )
    ext = sr("ext", 1, timed_out=True)
    assert line(ext) == ("stage ext: timed out after 1.50s; log /logs/ext.log", "ext")


def test_the_executor_error_of_the_run_stage_comes_first():
    assert line(sr("run", 1), 3, "sbatch: cannot reach the controller") == (
        "sbatch: cannot reach the controller",
        "run",
    )
    assert line(sr("run", 2), 0, "x") == ("x", "run")


def test_failed_points_of_the_run_stage():
    assert line(sr("run", 1), 3) == ("3 point(s) failed", "run")
    assert line(sr("run", 1), 1, "") == ("1 point(s) failed", "run")
    # no point failed: the stage itself
    assert line(sr("run", 1), 0) == ("stage run: exit 1 after 1.50s; log /logs/run.log", "run")


def test_a_cancelled_run_stage_is_described_not_blamed_on_points_or_the_executor():
    run = sr("run", 1, cancelled=True)
    described = ("stage run: cancelled after 1.50s; log /logs/run.log", "run")
    assert line(run, 3) == described
    assert line(run, 0, "slurm down") == described
    assert line(run, 3, "slurm down") == described


def test_points_and_executor_errors_only_count_for_the_run_stage():
    assert line(sr("gen", 1), 3, "slurm down") == (
        "stage gen: exit 1 after 1.50s; log /logs/gen.log",
        "gen",
    )
    assert line(sr("chk", 1), 3, "slurm down") == (
        "stage chk: exit 1 after 1.50s; log /logs/chk.log",
        "chk",
    )


def test_ext_exit_1_is_points_without_measurements():
    assert line(sr("ext", 1)) == ("point(s) without measurements", "ext")
    assert line(sr("ext", 1), 4, "slurm down") == ("point(s) without measurements", "ext")
    assert line(sr("ext", 2)) == ("stage ext: exit 2 after 1.50s; log /logs/ext.log", "ext")
    assert line(sr("srt", 1)) == ("stage srt: exit 1 after 1.50s; log /logs/srt.log", "srt")


def test_mc_exit_1_is_failed_monte_carlo_samples():
    assert line(sr("mc", 1)) == ("Monte Carlo sample(s) failed", "mc")
    # points and the executor's error belong to the run stage: not to mc's line
    assert line(sr("mc", 1), 4, "slurm down") == ("Monte Carlo sample(s) failed", "mc")


def test_mc_otherwise_is_the_stage_described():
    assert line(sr("mc", 2)) == ("stage mc: exit 2 after 1.50s; log /logs/mc.log", "mc")
    assert line(sr("mc", 0, cancelled=True)) == (
        "stage mc: cancelled after 1.50s; log /logs/mc.log",
        "mc",
    )
    # a cancel is described, never blamed on the samples
    assert line(sr("mc", 1, cancelled=True)) == (
        "stage mc: cancelled after 1.50s; log /logs/mc.log",
        "mc",
    )
    assert line(sr("mc", 1, timed_out=True)) == (
        "stage mc: timed out after 1.50s; log /logs/mc.log",
        "mc",
    )


def test_the_stage_of_an_ex_run_is_named_with_it():
    assert line(sr("gen", 3, ex="ex")) == (
        "stage gen ex: exit 3 after 1.50s; log /logs/gen.log",
        "gen",
    )
