"""`pytest -n 8` against `-n 2` on this machine, side by side in one run.

Builds a throw-away project (our domains, one scenario file of small jobs on both domains),
runs `pytest regression -n N` for each N, and prints per run: wall time, the largest number
of ngspice processes alive at once (sampled from /proc every 5 ms), and the ratio to the
`-n 2` run. The plugin's CPU budget should keep the peak at the core count whatever N is.

    python bench/xdist_scaling.py [--workers 2 8] [--jobs 8] [--repeat 1]

`figures()` (the bench summary, bench/figures.py): -n 2 and -n 8 interleaved, 3 runs each,
in a budget of their own; target: median -n 8 / median -n 2 <= 1.05, and never more
ngspice at once than cores.

As in harness_overhead.py, the runs cache their bytecode as an installed harness does
(`child_env`, `warm`: no `PYTHONDONTWRITEBYTECODE`, caches filled first), and each run's
CPU seconds (its process tree) are printed beside its wall.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import Figure, load
from harness_overhead import child_env, timed, warm
from procwatch import Watcher

from wkpup_harness.engine.workdir import copy_domain

REPO = Path(__file__).resolve().parents[1]
CORNERS = ["TT", "FSG", "SFG", "FFG", "FFAG", "SSG", "SSAG", "FFG_SSG", "SSG_FFG"]


def scenario(domain: str, jobs: int) -> str:
    lines = [f"domain: {domain}", "golden: false", "jobs:"]
    for i in range(jobs):
        corner = CORNERS[i % len(CORNERS)]
        lines += [
            f"  - name: job{i:02d}_{corner}",
            f"    corners: [{corner}]",
            "    temperatures: [m40, 125]",
            "    config: {2nd_supply_swp: NA}",
        ]
    return "\n".join(lines) + "\n"


def make_project(root: Path, jobs: int) -> None:
    copy_domain(REPO / "domains", root / "domains")
    (root / "regression").mkdir()
    half = max(jobs // 2, 1)
    (root / "regression" / "gpio.yaml").write_text(scenario("gpio/1p8v", half))
    (root / "regression" / "i3c.yaml").write_text(scenario("i3c/1p8v", jobs - half))
    (root / "pytest.ini").write_text(f"[pytest]\npvt_core = {REPO / 'pai_ho_core'}\n")


def run(root: Path, workers: int, code: Path | None = None) -> tuple[float, int, int, str]:
    # basetemp inside the project: the simulations then run below `root`, where we count them
    cmd = [sys.executable, "-m", "pytest", "regression", "-q", "-p", "no:cacheprovider",
           "-n", str(workers), "--pvt-db", "none", f"--basetemp={root / 'tmp'}"]  # fmt: skip
    shutil.rmtree(root / "tmp", ignore_errors=True)
    with Watcher(root) as watch:
        wall, cpu, proc = timed(cmd, cwd=root, env=child_env(code))
    last = (proc.stdout.strip().splitlines() or ["?"])[-1]
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"pytest -n {workers} failed: {last}")
    return wall, watch.peak, len(watch.seen), f"{cpu:.1f} s CPU; {last}"


def figures(repeat: int = 3, jobs: int = 8) -> list[Figure]:
    """-n 8 against -n 2 (median of `repeat` each, interleaved)."""
    cores = len(os.sched_getaffinity(0))
    walls: dict[int, list[float]] = {2: [], 8: []}
    peak = 0
    with tempfile.TemporaryDirectory(prefix="wkpup-xdist-") as tmp:
        root = Path(tmp)
        make_project(root, jobs)
        warm(root)
        os.environ["WKPUP_SLOT_DIR"] = str(root / "slots")  # not the machine-wide default
        for _ in range(repeat):
            for n in walls:
                wall, p, _seen, last = run(root, n)
                walls[n].append(wall)
                peak = max(peak, p)
                print(f"  -n {n}: {wall:6.2f} s, peak ngspice {p} ({last})", flush=True)
    ratio = statistics.median(walls[8]) / statistics.median(walls[2])
    raw = "; ".join(f"-n {n}: {' '.join(f'{w:.1f}' for w in v)} s" for n, v in walls.items())
    return [
        Figure(f"pytest -n 8 / -n 2 wall ({jobs} jobs)", round(ratio, 3), 1.05, ratio <= 1.05,
               f"{raw}; {load()}"),
        Figure("ngspice at once, -n 8 (peak)", peak, cores, 0 < peak <= cores),
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 8])
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--baseline", type=Path, help="another checkout: its runs interleaved")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory(prefix="wkpup-xdist-") as tmp:
        root = Path(tmp)
        make_project(root, args.jobs)
        warm(root)
        if args.baseline is not None:
            warm(root, args.baseline)
        print(f"{cores} cores; {args.jobs} jobs x 6 points (1 supply, 2 temperatures)")
        results: dict[int, list[tuple[float, int, int]]] = {}
        codes = [None] if args.baseline is None else [None, args.baseline]
        for _ in range(args.repeat):
            for n in args.workers:  # interleaved, so load drifts hit every setting alike
                for code in codes:
                    for d in root.glob(".pytest*"):
                        shutil.rmtree(d, ignore_errors=True)
                    wall, peak, seen, last = run(root, n, code)
                    tag = "" if code is None else " @base"
                    if code is None:
                        results.setdefault(n, []).append((wall, peak, seen))
                    print(f"  -n {n}{tag}: {wall:6.2f} s, peak ngspice {peak}, simulations "
                          f"{seen}  ({last})", flush=True)  # fmt: skip
        base = min(w for w, _, _ in results[args.workers[0]])
        print(f"{'workers':>8} {'best wall s':>12} {'vs -n ' + str(args.workers[0]):>10}"
              f" {'peak ngspice':>13} {'budget':>7}")  # fmt: skip
        for n, runs in results.items():
            best = min(w for w, _, _ in runs)
            peak = max(p for _, p, _ in runs)
            print(f"{n:>8} {best:>12.2f} {best / base:>10.2f} {peak:>13} {cores:>7}")
            if peak == 0:
                print("  NO SIMULATION OBSERVED: the /proc sampler is not measuring anything")
                return 1
            if peak > cores:
                print(f"  OVERSUBSCRIBED: {peak} simulations at once on {cores} cores")
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
