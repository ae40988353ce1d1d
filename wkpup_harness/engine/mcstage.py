"""The Monte Carlo stage (ours, docs/montecarlo.md): ``mc``, after ``srt`` and before ``bkp``,
when the job's config has ``mc_samples``.

Three steps, each the core's or the engine's own, as for the PVT points:

- the core's ``mc gen`` picks the points (the worst per measurement of the job's own creport,
  or the config's ``mc_at``) and writes one netlist per sample with its seed, and
  ``mc/samples.txt``;
- the engine simulates every sample as it simulates a PVT point (``SampleRun``, a
  ``RunStage``): the same executor (local or Slurm array tasks), CPU budget, per-simulation
  timeout, retries and cancel; status lines in ``mc/mc_log.txt`` (the core's format);
- the core's ``mc ext`` writes ``report/mcreport.txt`` (failed samples' rows say ``failed``).

The stage's result is ``mc``: exit 2 when ``mc gen`` failed, 1 when samples failed (the job
goes on without ``bkp``, as with failed points), 0 otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from wkpup_harness.core.stage import StageResult, run_stage
from wkpup_harness.engine.budget import Budget
from wkpup_harness.engine.runstage import RunStage
from wkpup_harness.errors import ResultError
from wkpup_harness.points import Point, SamplePoint
from wkpup_harness.results.runlog import PointResult

if TYPE_CHECKING:
    from wkpup_harness.core import Core
    from wkpup_harness.engine.runstage import Owner
    from wkpup_harness.settings import Settings

SAMPLES_FILE = Path("mc") / "samples.txt"
MC_LOG = Path("mc") / "mc_log.txt"


def read_samples(path: Path) -> tuple[SamplePoint, ...]:
    """``mc/samples.txt``: ``<i> <seed> <CORNER> <EX> <Ttok> <vt> <dir>`` lines (mc_gen.pl)."""
    out = []
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultError(f"{path}: cannot read the Monte Carlo samples: {exc}") from None
    for n, line in enumerate(text.splitlines(), start=1):
        f = line.split()
        if not f:
            continue
        try:
            if len(f) != 7 or not (f[0].isdigit() and f[1].isdigit()):
                raise ValueError("expected <i> <seed> <CORNER> <EX> <T> <vt> <dir>")
            base = Point.from_vt(f[2], f[3], f[4], f[5])
            sample = SamplePoint(
                base.corner, base.extraction, base.temp_token, base.levels, int(f[0]), int(f[1])
            )
            if sample.directory != f[6]:
                raise ValueError(f"directory {f[6]!r} is not {sample.directory!r}")
        except ValueError as exc:
            raise ResultError(f"{path}:{n}: {exc}") from None
        out.append(sample)
    return tuple(out)


class SampleRun(RunStage):
    """The samples of the mc stage, through the run stage's machinery."""

    stage = "mc"
    status_file = str(MC_LOG)
    event_kind = "sample"

    def __init__(self, job: Owner, samples: Sequence[SamplePoint]) -> None:
        super().__init__(job)
        self.samples = tuple(samples)

    @property
    def points(self) -> Sequence[Point]:
        return self.samples

    def _todo(self) -> list[Point]:
        return list(self.samples)

    def point_output(self, point: Point) -> Path:
        return self.job.log_dir / "samples" / f"{point.name}.log"

    def _reuse(self, todo: list[Point], log: IO[str]) -> list[Point]:
        """Samples are always simulated: the result cache (docs/cache.md) keys PVT points'
        outputs, not a sample's (its seed, its mc/ directory)."""
        self.cache = None
        return todo

    def status_line(self, result: PointResult) -> str:
        p = result.point
        state = "Done" if result.ok else f"failed ({result.reason})"
        if isinstance(p, SamplePoint):
            return p.status_line(state, result.elapsed)
        return result.line()


class McStage:
    """The mc stage of one job: gen (core), the samples (engine), ext (core)."""

    def __init__(self, job: Owner, only: Sequence[int] | None = None) -> None:
        self.job = job
        self.only = None if only is None else set(only)  # rerun of chosen samples
        self.samples: SampleRun | None = None

    @property
    def sample_results(self) -> dict[str, PointResult]:
        return {} if self.samples is None else self.samples.point_results

    def run(self) -> StageResult:
        started, t0 = time.time(), time.monotonic()
        if self.only is None:
            gen = self.job.core_stage("mc", "gen")
            if not gen.ok:
                gen.stage = "mc"
                return gen
        try:
            samples = read_samples(self.job.workdir / SAMPLES_FILE)
        except ResultError as exc:
            return self._failed(str(exc), started, t0)
        if self.only is not None:
            samples = tuple(s for s in samples if s.index in self.only)
        self.samples = SampleRun(self.job, samples)
        if self.only is None:
            (self.job.workdir / MC_LOG).write_text("", encoding="utf-8")
        sims = self.samples.run()
        if sims.cancelled or sims.timed_out or sims.returncode == 2:
            return sims
        ext = self.job.core_stage("mc", "ext")
        usage = sims.usage
        if ext.usage is not None:
            usage = ext.usage if usage is None else usage + ext.usage
        with open(sims.log_path, "a", encoding="utf-8") as log:
            log.write(ext.log())
        return StageResult(
            stage="mc",
            ex=None,
            returncode=2 if ext.returncode == 2 else max(sims.returncode, int(not ext.ok)),
            started=started,
            finished=time.time(),
            elapsed=time.monotonic() - t0,
            log_path=sims.log_path,
            timed_out=ext.timed_out,
            command=["wkpup-engine", "mc"],
            cancelled=ext.cancelled,
            usage=usage,
        )

    def _failed(self, message: str, started: float, t0: float) -> StageResult:
        log_path = self.job.log_dir / "mc.log"
        log_path.write_text(f"ERROR: {message}\n", encoding="utf-8")
        return StageResult.engine_failed("mc", log_path, started, t0)


def rerun_sample(
    core: Core, settings: Settings, workdir: Path, sample: SamplePoint, log_dir: Path
) -> tuple[StageResult, Path]:
    """Sample ``sample`` of a finished job alone again, in the job's own directory: the
    core's gen for its PVT point only (when the point's netlist is gone: bkp removed it),
    then the core's ``mc s<i>`` (its netlist from its recorded row, one simulation under the
    CPU budget). The stage result and where its measure file is."""
    env = Budget(settings.cpus, settings.slot_dir).env()
    netlist = workdir / sample.pvt.directory / f"{tb_name(workdir)}.sp"
    if not netlist.is_file():
        gen_env = {**env, "PAIHO_CORNERS": sample.corner, "PAIHO_TEMPS": sample.temp_token}
        gen = run_stage(core, workdir, "gen", env=gen_env, log_dir=log_dir)
        if not gen.ok:
            return gen, netlist
    result = run_stage(
        core, workdir, "mc", ex=f"s{sample.index}", env=env, log_dir=log_dir,
        timeout=settings.stage_timeout,
    )  # fmt: skip
    return result, workdir / sample.directory / f"{tb_name(workdir)}.mt0"


def tb_name(workdir: Path) -> str:
    """The testbench name: the one template/*.sp (as the core finds it)."""
    found = sorted((workdir / "template").glob("*.sp"))
    return found[0].stem if found else "sim_tx"
