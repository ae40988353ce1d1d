"""Monte Carlo's figures (issue 20, item 5): what a sample costs against what a PVT point
costs, and samples per second per core.

`wkpup run gpio/1p8v --mc N --seed 1` (the domain's own config: 92 PVT points, then N
mismatch samples at each measurement's worst point; N = 200 gives 1,000 samples) in a fresh
store and run root under a temporary directory. The store's per-stage CPU seconds give the
cost of one PVT point (run stage CPU / points) and of one sample (mc stage CPU / samples);
both stages run their simulations through the same run-stage machinery, so the target is a
sample costing at most 10 % more than a point (the per-point overhead bar). Samples per CPU
second is the throughput per core.

    python bench/mc_bench.py [--samples 200] [--corners "TT FFG"] [--temperatures "m40"]

`figures()` returns the rows for the bench summary (bench/figures.py).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
WKPUP = Path(sys.executable).with_name("wkpup")
TARGET = 1.10
SAMPLES = 200


def _stage_cpu(conn: sqlite3.Connection, job: int, stage: str) -> float:
    row = conn.execute(
        "SELECT cpu_s FROM stages WHERE job_id = ? AND stage = ?", (job, stage)
    ).fetchone()
    if row is None or row[0] is None:
        raise SystemExit(f"job {job}: no CPU figure recorded for its {stage} stage")
    return float(row[0])


def measure(samples: int = SAMPLES, subset: list[str] | None = None) -> dict[str, Any]:
    """One Monte Carlo job: wall, CPU per point and per sample, counts."""
    with tempfile.TemporaryDirectory(prefix="wkpup-mc-bench-") as tmp:
        root = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("WKPUP_")}
        env.update(WKPUP_DB=str(root / "wk.db"), WKPUP_RUNS=str(root / "runs"))
        cmd = [str(WKPUP), "run", "gpio/1p8v", "--domains", str(REPO / "domains"), "-q",
               "--mc", str(samples), "--seed", "1", *(subset or [])]  # fmt: skip
        t0 = time.monotonic()
        proc = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True, check=False)
        wall = time.monotonic() - t0
        if proc.returncode not in (0, 1):  # 1: a spec verdict failed, still measured
            raise SystemExit(f"wkpup run failed ({proc.returncode}): {proc.stderr[-2000:]}")
        conn = sqlite3.connect(root / "wk.db")
        try:
            (job,) = conn.execute("SELECT max(id) FROM jobs").fetchone()
            (points,) = conn.execute(
                "SELECT count(*) FROM sims WHERE job_id = ?", (job,)
            ).fetchone()
            (n_samples,) = conn.execute(
                "SELECT count(*) FROM mc_samples WHERE job_id = ?", (job,)
            ).fetchone()
            run_cpu, mc_cpu = _stage_cpu(conn, job, "run"), _stage_cpu(conn, job, "mc")
        finally:
            conn.close()
    if not points or not n_samples:
        raise SystemExit(f"job {job}: {points} points, {n_samples} samples recorded")
    per_point, per_sample = run_cpu / points, mc_cpu / n_samples
    return {
        "wall_s": wall, "points": points, "samples": n_samples,
        "per_point_cpu_s": per_point, "per_sample_cpu_s": per_sample,
        "ratio": per_sample / per_point, "samples_per_cpu_s": n_samples / mc_cpu,
    }  # fmt: skip


def figures(samples: int = SAMPLES, subset: list[str] | None = None) -> list[dict[str, Any]]:
    """The bench summary's rows: name, value, target, passed (and the detail)."""
    m = measure(samples, subset)
    detail = (
        f"{m['points']} points at {m['per_point_cpu_s']:.3f} CPU s, {m['samples']} samples at "
        f"{m['per_sample_cpu_s']:.3f} CPU s; job wall {m['wall_s']:.0f} s"
    )
    return [
        {
            "name": "Monte Carlo: CPU per sample / CPU per PVT point",
            "value": round(m["ratio"], 3),
            "target": TARGET,
            "passed": m["ratio"] <= TARGET,
            "detail": detail,
        },
        {
            "name": "Monte Carlo: samples per CPU second (per core)",
            "value": f"{m['samples_per_cpu_s']:.2f} /s",
            "target": "info",
            "passed": None,
            "detail": f"{m['samples']} samples of gpio/1p8v --mc {samples} --seed 1",
        },
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=SAMPLES, help="samples per worst point")
    ap.add_argument("--corners", help="a subset of corners (default: the whole 92-point job)")
    ap.add_argument("--temperatures", help="a subset of temperatures")
    args = ap.parse_args(argv)
    if args.samples < 1:
        ap.error(f"--samples {args.samples}: must be 1 or more")
    subset = []
    if args.corners:
        subset += ["--corners", *args.corners.split()]
    if args.temperatures:
        subset += ["--temperatures", *args.temperatures.split()]
    rows = figures(args.samples, subset)
    for fig in rows:
        verdict = "info" if fig["passed"] is None else ("PASS" if fig["passed"] else "FAIL")
        print(f"{fig['name']}: {fig['value']} (target {fig['target']}) {verdict}")
        print(f"  {fig['detail']}")
    return 0 if all(f["passed"] is not False for f in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
