"""The pipeline's rules, as pure functions of what the stages did: which stage may run after
what, the job's final status and its one-line error. ``engine.job.Job`` applies them; the
faces check a stage list with ``check_stages`` (the one rule for every face).

    gen -> run -> ext -> srt [-> mc] -> bkp      (mc: a job with mc_samples)

- ``gen`` or ``srt`` failing, a stage timing out or being cancelled, stops the job;
- points failing in ``run`` (exit 1) or ``ext`` finding a point without measurements do
  not stop ``ext`` and ``srt``, but ``bkp`` is skipped so the directories stay.
"""

from __future__ import annotations

from collections.abc import Sequence

from wkpup_harness.core.stage import STAGE_ORDER, StageResult
from wkpup_harness.errors import WkpupError
from wkpup_harness.inputs import echo

PIPELINE: tuple[str, ...] = ("gen", "run", "ext", "srt", "bkp")
# A job whose config has mc_samples (ours, docs/montecarlo.md): the Monte Carlo samples
# after srt (the worst points come from its creport), before bkp.
MC_PIPELINE: tuple[str, ...] = ("gen", "run", "ext", "srt", "mc", "bkp")
STAGES: tuple[str, ...] = STAGE_ORDER  # the core's own stage list (one place: core/stage.py)
USER_STAGE = "usr_script"  # the user's own script (stages/usr_script.sh): not in the order
# Stages whose exit 1 means "some points failed, every other point is done".
POINT_STAGES: tuple[str, ...] = ("run", "chk", "ext", "mc")


class StagesError(WkpupError):
    """A stage list no face may run (``field``: the input it came from)."""

    field = "stages"


def check_stages(
    stages: Sequence[str] | str | None, *, default: Sequence[str] = PIPELINE
) -> tuple[str, ...]:
    """The one rule for a stage list, whichever face gives it (``--stages gen,run``, a web
    submission's list, a job): at least one, each a stage of the core, each once, the core's
    own stages in the order the core runs them (``run,gen`` would simulate before the
    netlists exist; ``usr_script``, the user's own script, may stand anywhere). A
    string is split at commas; None is ``default``."""
    if stages is None:
        return tuple(default)
    chosen = tuple(s for s in stages.split(",") if s) if isinstance(stages, str) else tuple(stages)
    text = ",".join(map(str, chosen))
    rule = f"allowed: {', '.join(STAGES)}; each once, in this order ({USER_STAGE} anywhere)"
    unknown = [s for s in chosen if not isinstance(s, str) or s not in STAGES]
    if not chosen or unknown:
        what = f"unknown stage {echo(unknown[0])}" if unknown else "no stage"
        raise StagesError(f"stages {echo(text)}: {what}; {rule}")
    if len(set(chosen)) != len(chosen):
        twice = next(s for s in chosen if chosen.count(s) > 1)
        raise StagesError(f"stages {echo(text)}: {echo(twice)} given twice; {rule}")
    # usr_script runs the user's own script: it may stand anywhere; the core's own stages
    # must come in the core's order.
    ordered = [s for s in chosen if s != USER_STAGE]
    if ordered != in_pipeline_order(ordered):
        raise StagesError(
            f"stages {echo(text)}: out of order (the core runs "
            f"{','.join(in_pipeline_order(ordered))}); {rule}"
        )
    return chosen


def in_pipeline_order(stages: Sequence[str]) -> list[str]:
    """Stage names in the order the core runs them (gen, run, chk, ext, srt, mc, bkp,
    usr_script), whatever order they were stored or started in; unknown names last."""
    rank = {s: i for i, s in enumerate(STAGES)}
    return sorted(stages, key=lambda s: (rank.get(s, len(STAGES)), s))


def first_failed(results: Sequence[StageResult]) -> StageResult | None:
    """The first stage that did not succeed."""
    return next((r for r in results if not r.ok), None)


def fatal(results: Sequence[StageResult]) -> bool:
    """Whether what the stages did stops the job (a failure other than failed points)."""
    failed = first_failed(results)
    if failed is None:
        return False
    tolerated = failed.stage in POINT_STAGES and failed.returncode == 1
    return not tolerated or failed.timed_out or failed.cancelled


def may_run(stage: str, results: Sequence[StageResult]) -> bool:
    """Whether ``stage`` runs after ``results`` (the job neither set up wrong, cancelled nor
    faulted: the caller checks those)."""
    if stage == "bkp":
        return first_failed(results) is None  # keep failed points' directories
    return not fatal(results)


def final_status(
    *, ok: bool, user_cancelled: bool, ran: Sequence[str], planned: Sequence[str]
) -> str:
    """completed (every planned stage ran and nothing failed), cancelled or failed."""
    if user_cancelled:
        return "cancelled"
    if ok and all(s in ran for s in planned):
        return "completed"
    return "failed"


def error_line(
    failed: StageResult | None,
    *,
    failed_points: int,
    executor_error: str | None,
) -> tuple[str | None, str | None]:
    """(error, error_stage) of a failed stage as the store keeps them: one line each."""
    if failed is None:
        return None, None
    if failed.timed_out:
        return failed.describe(), failed.stage
    if failed.stage == "run" and executor_error and not failed.cancelled:
        return executor_error, "run"
    if failed.stage == "run" and failed_points and not failed.cancelled:
        return f"{failed_points} point(s) failed", "run"
    if failed.stage == "mc" and failed.returncode == 1 and not failed.cancelled:
        return "Monte Carlo sample(s) failed", "mc"
    if failed.stage == "ext" and failed.returncode == 1:
        return "point(s) without measurements", "ext"
    return failed.describe(), failed.stage
