"""Flat cost in the number of points (issue 21, item 4), measured side by side in one run:

  store    one point recorded (`jobs.record_sim`, what the recorder does per booked point) in
           a job of 92, 2,000 and 10,000 points: the progress counters move by the point's
           change of status, so the cost must not grow with the job (target: 10,000 / 92
           <= 1.5, sub-millisecond either way);
  job      `wkpup run` of the 92-point job and of a larger one (default: gpio/1p8v in mode
           polo with the full cross-corner list, 272 points; `--large key=value ...` for
           another config of the domain), interleaved, median of `repeat` each: wall time
           per point (target: within 10 % of the 92-point job) and the driver's peak
           resident memory (VmHWM of the `wkpup` process, sampled; target: at most 10 %
           more than for 92 points).

    python bench/scale_bench.py [--repeat 1] [--large mode=polo postlay_cross_cornerlist=full]

`figures()` gives the bench summary's rows (bench/figures.py).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(REPO / "tests"))

from coreutil import set_keys  # noqa: E402
from figures import Figure, load  # noqa: E402

from wkpup_harness.engine.workdir import copy_domain  # noqa: E402
from wkpup_harness.points import Point  # noqa: E402
from wkpup_harness.store import connect  # noqa: E402
from wkpup_harness.store.jobs import create_job, plan_sims, record_sim  # noqa: E402

CORE = REPO / "pai_ho_core"
WKPUP = Path(sys.executable).with_name("wkpup")
LARGE = {"mode": "polo", "postlay_cross_cornerlist": "full"}
CORNERS = ("TT", "FFG", "SSG", "FSG", "SFG", "FFAG", "SSAG")


def record_ms(conn, n: int, samples: int = 300) -> float:
    """Median ms of one record_sim in a job of n points."""
    job = create_job(conn, domain="gpio/1p8v", user="bench", config_text="mode:prelay\n")
    pts = [Point(CORNERS[i % 7], "typical", "m40", (f"l{i}",)) for i in range(n)]
    plan_sims(conn, job, pts)
    times = []
    for k, p in enumerate(random.Random(1).sample(pts, min(samples, n))):
        t = time.perf_counter()
        record_sim(conn, job, p.name, "failed" if k % 5 == 0 else "ok", attempts=1,
                   reason=None, elapsed=1.0, started_at=1.0, finished_at=2.0)  # fmt: skip
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def store_figures(tmp: Path) -> list[Figure]:
    conn = connect(tmp / "store.db")
    try:
        ms = {n: record_ms(conn, n) for n in (92, 2000, 10_000)}
    finally:
        conn.close()
    for n, v in ms.items():
        print(f"  record_sim, {n:>6}-point job: {v:.3f} ms", flush=True)
    ratio = ms[10_000] / ms[92]
    detail = ", ".join(f"{n} points {v:.3f} ms" for n, v in ms.items())
    return [Figure("store: ms per point written, 10,000-pt / 92-pt job", round(ratio, 3), 1.5,
                   ratio <= 1.5, detail)]  # fmt: skip


def vm_hwm_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_job(root: Path, name: str, config: dict[str, str] | None) -> tuple[float, int, int]:
    """`wkpup run gpio/1p8v` (config edited): wall s, points, driver peak RSS KiB."""
    work = root / name
    copy_domain(REPO / "domains", work / "domains")
    if config:
        cfg = work / "domains" / "gpio" / "1p8v" / "config.cfg"
        cfg.write_text(set_keys(cfg.read_text(), **config))
    cmd = [str(WKPUP), "--db", str(work / "wk.db"), "-q", "run", "gpio/1p8v", "--core",
           str(CORE), "--domains", str(work / "domains"), "--runs", str(work / "runs")]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("WKPUP_")}
    env.update(WKPUP_SLOT_DIR=str(root / "slots"), PAIHO_PYTHON=sys.executable)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    peak = 0
    while proc.poll() is None:
        peak = max(peak, vm_hwm_kib(proc.pid))
        time.sleep(0.2)
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        raise SystemExit(f"wkpup run ({name}) failed: {proc.stderr.read()[-2000:]}")
    (report,) = (work / "runs").glob("**/00bkp_*/report/creport.txt")
    points = sum(1 for line in report.read_text().splitlines()[10:] if line.strip())
    shutil.rmtree(work)
    return wall, points, peak


def job_figures(tmp: Path, repeat: int, large: dict[str, str]) -> list[Figure]:
    runs: dict[str, list[tuple[float, int, int]]] = {"92": [], "large": []}
    for _ in range(repeat):
        for key, config in (("92", None), ("large", large)):
            r = run_job(tmp, f"{key}{len(runs[key])}", config)
            runs[key].append(r)
            print(f"  {r[1]:>5} points: {r[0]:7.1f} s, {r[0] / r[1]:.3f} s/point,"
                  f" driver peak {r[2] / 1024:.1f} MiB", flush=True)  # fmt: skip
    med = {k: statistics.median(w / p for w, p, _ in v) for k, v in runs.items()}
    rss = {k: statistics.median(m for *_, m in v) for k, v in runs.items()}
    n = runs["large"][0][1]
    rel, mem = med["large"] / med["92"], rss["large"] / rss["92"]
    detail = (
        f"92 points {med['92']:.3f} s/point, {n} points {med['large']:.3f} s/point; "
        f"peak RSS {rss['92'] / 1024:.1f} / {rss['large'] / 1024:.1f} MiB; {load()}"
    )
    return [
        Figure(f"time per point, {n}-pt job / 92-pt job", round(rel, 3), "0.90..1.10",
               abs(rel - 1) <= 0.10, detail),
        Figure(f"driver peak RSS, {n}-pt job / 92-pt job", round(mem, 3), 1.10, mem <= 1.10),
    ]  # fmt: skip


def figures(repeat: int = 1, large: dict[str, str] | None = None) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="wkpup-scale-") as tmpname:
        tmp = Path(tmpname)
        return store_figures(tmp) + job_figures(tmp, repeat, large or LARGE)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--large", nargs="*", default=[f"{k}={v}" for k, v in LARGE.items()])
    ap.add_argument("--store-only", action="store_true", help="only the store figure")
    args = ap.parse_args()
    large = dict(kv.split("=", 1) for kv in args.large)
    if args.store_only:
        with tempfile.TemporaryDirectory(prefix="wkpup-scale-") as tmp:
            rows = store_figures(Path(tmp))
    else:
        rows = figures(args.repeat, large)
    from figures import print_summary

    return 0 if print_summary(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
