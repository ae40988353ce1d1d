"""What the harness adds to a bare core run, measured side by side in one run.

The same job (GPIO 1.8 V, a corner/temperature subset by default) is run alternately
  bare:    `bash runme.sh` in a fresh copy of the domain (gen run ext srt bkp), and
  harness: `pytest <scenario>::<job>` (plugin: manifest check, scenario validation, a private
           job directory, the same five stages, golden compare, SQLite record),
and the medians are compared. Both produce the same creport (checked byte for byte).

    python bench/harness_overhead.py [--corners "TT FFG SSG"] [--repeat 3] [--full]

`figures()` (the bench summary, bench/figures.py): the whole 92-point job, bare core,
`pytest` item and `wkpup run` interleaved, median of 3 each; target: harness / bare <= 1.03
for both, and the three creports byte-identical.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import Figure, load

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


def wkpup_run(root: Path, corners: str | None, n: int) -> tuple[float, bytes]:
    """`wkpup run gpio/1p8v` of the same job (a fresh store and run root)."""
    work = root / f"run{n}"
    copy_domain(REPO / "domains", work / "domains")
    cmd = [str(Path(sys.executable).with_name("wkpup")), "--db", str(work / "wk.db"), "-q",
           "run", "gpio/1p8v", "--core", str(CORE), "--domains", str(work / "domains"),
           "--runs", str(work / "runs")]  # fmt: skip
    if corners:
        cmd += ["--corners", *corners.split()]
    env = {k: v for k, v in os.environ.items() if not k.startswith("WKPUP_")}
    env.setdefault("PAIHO_PYTHON", sys.executable)
    env["WKPUP_SLOT_DIR"] = os.environ.get("WKPUP_SLOT_DIR", str(root / "slots"))
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, env=env, check=False)
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        raise SystemExit(f"wkpup run failed: {proc.stderr[-2000:]}")
    (report,) = (work / "runs").glob("**/00bkp_*/report/creport.txt")
    return wall, report.read_bytes()


FACES = {"bare": bare, "pytest": harness, "wkpup run": wkpup_run}


def measure(root: Path, corners: str | None, repeat: int) -> tuple[dict[str, list[float]], int]:
    """Wall times of each face, interleaved (load drifts hit each alike); creports checked
    byte for byte. Returns the times and how many distinct creports there were."""
    times: dict[str, list[float]] = {k: [] for k in FACES}
    reports = set()
    # A budget of its own: the machine-wide default is shared with whatever else runs here.
    os.environ["WKPUP_SLOT_DIR"] = str(root / "slots")
    for n in range(repeat):
        for name, fn in FACES.items():
            wall, report = fn(root, corners, n)
            times[name].append(wall)
            reports.add(report)
            print(f"  {name:10} run {n + 1}: {wall:7.2f} s", flush=True)
        for work in root.glob(f"*{n}"):
            shutil.rmtree(work)
    return times, len(reports)


def figures(repeat: int = 3) -> list[Figure]:
    """harness / bare for `pytest` and `wkpup run` on the 92-point job (target <= 1.03)."""
    with tempfile.TemporaryDirectory(prefix="wkpup-overhead-") as tmp:
        times, distinct = measure(Path(tmp), None, repeat)
    med = {k: statistics.median(v) for k, v in times.items()}
    raw = ", ".join(f"{k} {' '.join(f'{x:.1f}' for x in v)} s" for k, v in times.items())
    out = [
        Figure(
            f"harness / bare core, 92 points: {face}",
            round(med[face] / med["bare"], 3),
            1.03,
            med[face] / med["bare"] <= 1.03,
            f"{raw}; {load()}",
        )
        for face in ("pytest", "wkpup run")
    ]
    out.append(Figure("creports bare / pytest / wkpup run", "identical" if distinct == 1
                      else "DIFFERENT", "identical", distinct == 1))  # fmt: skip
    return out


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
