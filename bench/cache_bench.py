"""The result cache's figure (issue 21, item 5): a cached rerun of the unchanged 92-point job
against its first run.

`wkpup run gpio/1p8v` (the domain's own config: 92 PVT points) twice with `--cache`, in a
fresh store, run root and cache directory under a temporary directory: the first run
simulates every point and fills the cache, the second reuses every point. Both creports must
be byte-identical and the second run's store must say every point was reused. Target: the
rerun's wall time at most 5 % of the first's.

    python bench/cache_bench.py [--corners "TT FFG"] [--temperatures "m40 125"]

`figures()` returns the figure for the bench summary (name, value, target, passed).
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
TARGET = 0.05
NAME = "cached rerun / first run (92-point job)"


def _run(root: Path, subset: list[str]) -> tuple[float, int]:
    """One `wkpup run --cache` of gpio/1p8v: (wall seconds, its job id)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WKPUP_")}
    env.update(
        WKPUP_DB=str(root / "wk.db"),
        WKPUP_RUNS=str(root / "runs"),
        WKPUP_CACHE_DIR=str(root / "cache"),
    )
    cmd = [str(WKPUP), "run", "gpio/1p8v", "--domains", str(REPO / "domains"), "--cache", "-q",
           *subset]  # fmt: skip
    t0 = time.monotonic()
    proc = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True, check=False)
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        raise SystemExit(f"wkpup run failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return wall, int(proc.stdout.split()[-1])


def _job(root: Path, job: int) -> tuple[bytes, int, int]:
    """(creport bytes, points, points reused) of a recorded job."""
    conn = sqlite3.connect(root / "wk.db")
    try:
        (backup,) = conn.execute("SELECT backup_path FROM jobs WHERE id = ?", (job,)).fetchone()
        total, reused = conn.execute(
            "SELECT count(*), coalesce(sum(reused), 0) FROM sims WHERE job_id = ?", (job,)
        ).fetchone()
    finally:
        conn.close()
    return (Path(backup) / "report" / "creport.txt").read_bytes(), total, reused


def measure(subset: list[str] | None = None) -> dict[str, Any]:
    """Both runs, checked; their walls, the ratio and the point counts."""
    with tempfile.TemporaryDirectory(prefix="wkpup-cache-bench-") as tmp:
        root = Path(tmp)
        first, job1 = _run(root, subset or [])
        rerun, job2 = _run(root, subset or [])
        creport1, points, reused1 = _job(root, job1)
        creport2, _, reused2 = _job(root, job2)
    if creport1 != creport2:
        raise SystemExit("the cached rerun's creport differs from the first run's")
    if (reused1, reused2) != (0, points):
        raise SystemExit(f"expected 0 then {points} reused points, got {reused1} then {reused2}")
    return {"first_s": first, "rerun_s": rerun, "ratio": rerun / first, "points": points}


def figures(subset: list[str] | None = None) -> list[dict[str, Any]]:
    """The bench summary's rows: name, value, target, passed (and the detail)."""
    m = measure(subset)
    return [
        {
            "name": NAME,
            "value": round(m["ratio"], 4),
            "target": TARGET,
            "passed": m["ratio"] <= TARGET,
            "detail": f"{m['points']} points: first run {m['first_s']:.1f} s, "
            f"cached rerun {m['rerun_s']:.2f} s",
        }
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corners", help="a subset of corners (default: the whole 92-point job)")
    ap.add_argument("--temperatures", help="a subset of temperatures")
    args = ap.parse_args(argv)
    subset = []
    if args.corners:
        subset += ["--corners", *args.corners.split()]
    if args.temperatures:
        subset += ["--temperatures", *args.temperatures.split()]
    (fig,) = figures(subset)
    verdict = "PASS" if fig["passed"] else "FAIL"
    print(f"{fig['name']}: {fig['value']:.4f} (target <= {TARGET:.2f}) {verdict}")
    print(f"  {fig['detail']}")
    return 0 if fig["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
