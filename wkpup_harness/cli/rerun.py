"""``wkpup rerun <job> --sample K``: one Monte Carlo sample of a finished job simulated alone
again, in the job's own directory, from its recorded seed and PVT point (docs/montecarlo.md);
its measurements beside the recorded ones. Exit 0 when they are the same, text for text (a
sample is reproducible), 1 when they differ or the simulation failed."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from wkpup_harness.cli import common
from wkpup_harness.core import guard, locate_core
from wkpup_harness.engine.mcstage import rerun_sample
from wkpup_harness.errors import ResultError
from wkpup_harness.points import Point, SamplePoint
from wkpup_harness.results import read_mt0
from wkpup_harness.store import mcsamples


def add_parser(subs: Any, parent: argparse.ArgumentParser) -> None:
    p = subs.add_parser(
        "rerun",
        parents=[parent],
        help="one Monte Carlo sample of a job, alone again",
        description="Simulate one recorded Monte Carlo sample of a job again, alone, from its "
        "seed and PVT point, in the job's directory, and compare its measurements with the "
        "recorded ones. Exit 0 when identical, 1 when they differ or the simulation failed.",
    )
    p.add_argument("job", help="job id")
    p.add_argument("--sample", metavar="K", required=True, help="the sample's index (wkpup show)")
    p.add_argument("--cpus", metavar="N", help="CPU budget (default: the settings')")
    p.set_defaults(func=main)


def sample_index(text: str) -> int:
    if not text.isdigit() or text.startswith("0") or len(text) > 9:
        raise common.UsageError(f"--sample {text!r}: expected a sample index 1, 2, ...")
    return int(text)


def main(args: argparse.Namespace) -> int:
    index = sample_index(args.sample)
    conn = common.open_store(args)
    job = common.require_job(conn, args.job)
    row = mcsamples.mc_sample(conn, job["id"], index)
    if row is None:
        head = mcsamples.mc_header(conn, job["id"])
        have = f"it has samples 1..{head['n']}" if head else "it has no Monte Carlo samples"
        raise common.NotFound(f"job {job['id']}: no sample {index}; {have}")
    workdir = Path(job["work_path"] or "")
    if not (workdir / "config.cfg").is_file():
        raise common.NotFound(f"job {job['id']}: its directory {workdir} is gone")
    settings = common.settings(args)
    core = locate_core(settings.core)
    guard(core)
    base = Point.from_vt(row["corner"], row["extraction"], row["temp_token"], row["vt"])
    sample = SamplePoint(base.corner, base.extraction, base.temp_token, base.levels,
                         index, row["seed"])  # fmt: skip
    print(f"job {job['id']}: {sample.label}")
    log_dir = Path(job["run_root"] or workdir) / "logs" / f"rerun_s{index}"
    result, mt0 = rerun_sample(core, settings, workdir, sample, log_dir)
    if not result.ok:
        print(f"wkpup: sample {index}: {result.describe()}; see {result.log_path}")
        return common.EXIT_BAD
    try:
        values = read_mt0(mt0).row(0)
    except ResultError as exc:
        print(f"wkpup: sample {index}: {exc}")
        return common.EXIT_BAD
    table, same = [], True
    for name, recorded in row["raw"].items():
        cell = values.get(name)
        now = "failed" if cell is None or cell.value is None else cell.raw
        same = same and now == recorded
        table.append([name, recorded, now, "" if now == recorded else "DIFFERS"])
    print(common.table(table, ["measurement", "recorded", "rerun", ""]))
    print(f"sample {index}: {'identical to the recorded run' if same else 'differs'}")
    return common.EXIT_OK if same else common.EXIT_BAD
