#!/usr/bin/env python3
"""Bench: the Slurm executor's costs, measured on this machine, side by side with local.

Starts a real one-node Slurm (tests/slurm_cluster.py; root, installs the packages when
missing) unless --slurm-conf names a running cluster, then measures:

  submit->first task   sbatch --array of a no-op task until its first task starts (median)
  array throughput     an array of --tasks no-op tasks: submission to the last rc file,
                       tasks per second through the scheduler on this one node
  points/s local       the same real PVT job (gpio/1p8v, htol, --corners x --temperatures)
  points/s slurm       through `wkpup run`, its run stage's wall time from the store; the two
                       creports must be byte-identical
  store per point      the recorder's per-point write (jobs.record_sim: one transaction in
                       WAL mode) on a 10,000-point job, median ms
  store 10k result     store_result of a 10,000-point x 9-measurement creport, s

and the 10,000-point / 100-node extrapolation docs/scale.md discusses.

Usage: python3 bench/slurm_bench.py [--tasks N] [--reps N] [--slurm-conf PATH] [--no-jobs]
       python3 bench/slurm_bench.py --figures [--repeat N] [--corners ..] [--temperatures ..]

`figures()` (the bench summary, bench/figures.py): the 92-point gpio/1p8v job through
`wkpup run`, locally and with the Slurm executor on the one-node cluster (2 CPUs, as the
local budget), interleaved, median of `repeat` each: "Slurm / local wall (92-point job)",
target <= 1.10, and the creports byte-identical. `--figures` runs just that (a corner /
temperature subset for a quick look).
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from figures import Figure, load, print_summary  # noqa: E402
from slurm_cluster import ClusterUnavailable, one_node_cluster  # noqa: E402

from wkpup_harness.points import Point  # noqa: E402
from wkpup_harness.results import Cell, Creport, CreportRow  # noqa: E402
from wkpup_harness.store import connect  # noqa: E402
from wkpup_harness.store.jobs import (  # noqa: E402
    create_job,
    plan_sims,
    record_sim,
    record_stage,
    store_result,
)

NOOP = """#!/bin/bash
date +%s.%N > "$1/$SLURM_ARRAY_TASK_ID.start.tmp"
mv -f "$1/$SLURM_ARRAY_TASK_ID.start.tmp" "$1/$SLURM_ARRAY_TASK_ID.start"
"""
NAMES = ("ioh_0", "ioh", "ioh0", "ioh1", "rwkpull0", "rwkpull_vih", "rwkpull_vih2", "vwkp")
NAMES = (*NAMES, "vwkp_drop")
CORNERS = ("TT", "FFG", "SSG", "FSG", "SFG", "FFAG", "SSAG")
WKPUP = [sys.executable, "-m", "wkpup_harness.cli.main"]


def sbatch_array(env: dict[str, str], work: Path, n: int) -> tuple[float, str]:
    script = work / "noop.sh"
    script.write_text(NOOP)
    t0 = time.time()
    done = subprocess.run(
        ["sbatch", "--parsable", f"--array=0-{n - 1}", "--cpus-per-task=1", "--mem=10M",
         "--job-name=wkpup-bench", f"--output={work}/%a.out", str(script), str(work)],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return t0, done.stdout.strip().split(";")[0]


def starts(work: Path, n: int, timeout: float = 600) -> list[float]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sorted(work.glob("*.start"))
        if len(found) >= n:
            return sorted(float(p.read_text()) for p in found)
        time.sleep(0.02)
    raise SystemExit(f"bench: {n} tasks did not all start in {timeout:.0f}s ({work})")


def first_task_latency(env: dict[str, str], base: Path, reps: int) -> list[float]:
    out = []
    for k in range(reps):
        work = base / f"lat{k}"
        work.mkdir()
        t0, _ = sbatch_array(env, work, 2)
        out.append(starts(work, 1)[0] - t0)
        starts(work, 2)
    return out


def array_throughput(env: dict[str, str], base: Path, n: int) -> tuple[float, float]:
    """(tasks per second from submission to the last task start, seconds in all)."""
    work = base / "thr"
    work.mkdir()
    t0, _ = sbatch_array(env, work, n)
    last = starts(work, n)[-1]
    return n / (last - t0), last - t0


def run_job(env: dict[str, str], tmp: Path, executor: str, job: list[str]) -> tuple[float, bytes]:
    """(the run stage's seconds, from the store; the creport)."""
    stage_s, _, report = run_wall(env, tmp, executor, job)
    return stage_s, report


def run_wall(
    env: dict[str, str], tmp: Path, executor: str, job: list[str]
) -> tuple[float, float, bytes]:
    """(run stage s, `wkpup run` wall s, creport) of one job in a fresh store and run root."""
    env = {**env, "WKPUP_DB": str(tmp / "wk.db"), "WKPUP_RUNS": str(tmp / "runs")}
    env.setdefault("WKPUP_SLOT_DIR", str(tmp / "slots"))
    t_wall = time.monotonic()
    done = subprocess.run(
        [*WKPUP, "run", *job, "--executor", executor, "-q"],
        env=env, cwd=tmp, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.monotonic() - t_wall
    if done.returncode != 0:
        raise SystemExit(f"bench: wkpup run --executor {executor}: {done.stderr}")
    conn = sqlite3.connect(tmp / "wk.db")
    try:
        (t0, t1) = conn.execute(
            "SELECT started_at, finished_at FROM stages WHERE stage = 'run'"
        ).fetchone()
        (backup,) = conn.execute("SELECT backup_path FROM jobs").fetchone()
    finally:
        conn.close()
    return t1 - t0, wall, (Path(backup) / "report" / "creport.txt").read_bytes()


def record_cost(conn: sqlite3.Connection, n: int, samples: int = 300) -> float:
    """Median ms of one point's record_sim (what the recorder does per booked point) on a
    job of n points."""
    job = create_job(conn, domain="gpio/1p8v", user="bench", config_text="mode:prelay\n")
    temps = ("m40", "125", "85", "100")
    pts = [Point(CORNERS[i % 7], "typical", temps[(i // 7) % 4], (f"l{i}",)) for i in range(n)]
    # Point names must be unique; the level token is only a label here.
    plan_sims(conn, job, pts)
    times = []
    for p in random.Random(1).sample(pts, min(samples, n)):
        t = time.perf_counter()
        record_sim(conn, job, p.name, "ok", attempts=1, reason=None, elapsed=1.0,
                   started_at=time.time(), finished_at=time.time())  # fmt: skip
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def store_costs(tmp: Path, n: int = 10_000) -> tuple[float, float, float]:
    """(record_sim ms on a 92-point job, on an n-point job, s to store an n x 9 result)."""
    conn = connect(tmp / "store.db")
    small, large = record_cost(conn, 92), record_cost(conn, n)
    rows = []
    for line, i in enumerate(range(n), start=11):
        cells = {name: Cell.parse(f"{(i + k) * 1.0e-6:.8e}") for k, name in enumerate(NAMES)}
        rows.append(
            CreportRow(CORNERS[i % 7], "typical", -40 + i, ("min", "max"), None, cells, line, "")
        )
    creport = Creport("supply condition", {}, ("v1", "v2"), NAMES, False, tuple(rows), "")
    job2 = create_job(conn, domain="gpio/1p8v", user="bench", config_text="mode:prelay\n")
    record_stage(conn, job2, "srt", "running")
    t = time.perf_counter()
    store_result(conn, job2, creport, status="completed")
    result_s = time.perf_counter() - t
    conn.close()
    return small, large, result_s


def side_by_side(env: dict[str, str], tmp: Path, job: list[str], repeat: int) -> dict:
    """`wkpup run` of ``job`` locally and on Slurm, interleaved ``repeat`` times, one CPU
    budget of 2 slots for the local runs (the cluster's node has 2 CPUs)."""
    env = {k: v for k, v in env.items() if not k.startswith("WKPUP_")}
    env["WKPUP_DOMAINS"] = str(REPO / "domains")
    env["WKPUP_SLOT_DIR"] = str(tmp / "slots")
    env.setdefault("PAIHO_PYTHON", sys.executable)
    walls: dict[str, list[float]] = {"local": [], "slurm": []}
    reports, batching = set(), ""
    for n in range(repeat):
        for name in ("local", "slurm"):
            work = tmp / f"{name}{n}"
            work.mkdir()
            run_env = {**env, "WKPUP_SLURM_POLL": "0.2"} if name == "slurm" else env
            _, wall, report = run_wall(run_env, work, name, job)
            walls[name].append(wall)
            reports.add(report)
            print(f"  {name:6} run {n + 1}: {wall:7.2f} s", flush=True)
            log = work / "runs" / "1" / "slurm" / "submit.log"
            if log.is_file():
                batching = "; ".join(
                    line.split(" ", 1)[1] for line in log.read_text().splitlines()
                    if " batching: " in line or " first task started " in line
                )  # fmt: skip
    return {"walls": walls, "identical": len(reports) == 1, "batching": batching}


def figures(repeat: int = 3, corners: list[str] | None = None,
            temperatures: list[str] | None = None) -> list[Figure]:  # fmt: skip
    """Slurm / local wall of the 92-point job (`wkpup run`), target <= 1.10."""
    job = ["gpio/1p8v"]
    if corners:
        job += ["--corners", *corners]
    if temperatures:
        job += ["--temperatures", *temperatures]
    with tempfile.TemporaryDirectory(prefix="wkpup-slurm-bench-") as tmp_text:
        tmp = Path(tmp_text)
        try:
            with one_node_cluster(tmp / "cluster") as cluster:
                got = side_by_side(cluster.env, tmp, job, repeat)
        except ClusterUnavailable as exc:  # not root, no packages: not measured, not passed
            return [Figure("Slurm / local wall (92-point job)", f"not measured: {exc}", 1.10,
                           False, load())]  # fmt: skip
    med = {k: statistics.median(v) for k, v in got["walls"].items()}
    ratio = med["slurm"] / med["local"]
    raw = ", ".join(f"{k} {' '.join(f'{x:.1f}' for x in v)} s" for k, v in got["walls"].items())
    what = "92-point job" if len(job) == 1 else "subset: " + " ".join(job[1:])
    return [
        Figure(f"Slurm / local wall ({what})", round(ratio, 3), 1.10, ratio <= 1.10,
               f"{raw}; {got['batching']}; {load()}"),
        Figure("creports local / slurm", "identical" if got["identical"] else "DIFFERENT",
               "identical", got["identical"]),
    ]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=200, help="no-op tasks for throughput")
    ap.add_argument("--reps", type=int, default=5, help="latency repetitions")
    ap.add_argument("--slurm-conf", help="use this running cluster instead of starting one")
    ap.add_argument("--no-jobs", action="store_true", help="skip the real PVT jobs")
    ap.add_argument("--corners", nargs="+", default=None, help="default TT FFG SSG")
    ap.add_argument("--temperatures", nargs="+", default=None, help="default m40 125")
    ap.add_argument("--figures", action="store_true", help="just the summary's figures")
    ap.add_argument("--repeat", type=int, default=3, help="--figures: runs of each")
    args = ap.parse_args()
    if args.figures:
        ok = print_summary(figures(args.repeat, args.corners, args.temperatures))
        raise SystemExit(0 if ok else 1)
    args.corners = args.corners or ["TT", "FFG", "SSG"]
    args.temperatures = args.temperatures or ["m40", "125"]
    job = ["gpio/1p8v", "--set", "condition=htol", "--corners", *args.corners]
    job += ["--temperatures", *args.temperatures]
    n_points = len(args.corners) * len(args.temperatures)
    with tempfile.TemporaryDirectory(prefix="wkpup-bench-") as tmp_text:
        tmp = Path(tmp_text)
        if args.slurm_conf:
            env = {**os.environ, "SLURM_CONF": args.slurm_conf}
            found = measure(env, tmp, args, job, n_points)
        else:
            t0 = time.monotonic()
            with one_node_cluster(tmp / "cluster") as cluster:
                print(f"one-node Slurm up in {time.monotonic() - t0:.1f} s ({cluster.conf})")
                found = measure(cluster.env, tmp, args, job, n_points)
    report(found, n_points)


def measure(env: dict[str, str], tmp: Path, args, job: list[str], n_points: int) -> dict:
    env = {k: v for k, v in env.items() if not k.startswith("WKPUP_")}
    env["WKPUP_DOMAINS"] = str(REPO / "domains")
    f: dict[str, float] = {}
    lat = first_task_latency(env, tmp, args.reps)
    f["latency_med"], f["latency_max"] = statistics.median(lat), max(lat)
    f["tasks_per_s"], f["tasks_s"] = array_throughput(env, tmp, args.tasks)
    f["tasks"] = args.tasks
    f["record92_ms"], f["record_ms"], f["result_s"] = store_costs(tmp)
    if not args.no_jobs:
        (tmp / "local").mkdir()
        (tmp / "slurm").mkdir()
        local_s, local_report = run_job(env, tmp / "local", "local", job)
        slurm_env = {**env, "WKPUP_SLURM_POLL": "1"}
        slurm_s, slurm_report = run_job(slurm_env, tmp / "slurm", "slurm", job)
        f["local_s"], f["slurm_s"] = local_s, slurm_s
        f["identical"] = float(local_report == slurm_report)
    return f


def row(label: str, value: str, extra: str = "") -> None:
    print(f"{label:<46}{value:>14}  {extra}".rstrip())


def report(f: dict, n_points: int) -> None:
    print()
    row("figure", "this machine")
    row("submission -> first task (median)", f"{f['latency_med']:.2f} s")
    row("submission -> first task (max)", f"{f['latency_max']:.2f} s")
    tasks = int(f["tasks"])
    row(f"no-op array of {tasks}: tasks started per s", f"{f['tasks_per_s']:.1f}",
        f"({f['tasks_s']:.1f} s on 2 CPUs)")  # fmt: skip
    if "local_s" in f:
        for name in ("local", "slurm"):
            s = f[f"{name}_s"]
            row(f"{n_points}-point job, run stage, {name}", f"{s:.1f} s",
                f"{n_points / s:.2f} points/s")  # fmt: skip
        row("creport local == slurm", "yes" if f["identical"] else "NO")
    row("store: one point recorded, 92-point job", f"{f['record92_ms']:.2f} ms")
    row("store: one point recorded, 10,000-point job", f"{f['record_ms']:.2f} ms")
    row("store: 10,000 x 9 result (store_result)", f"{f['result_s']:.2f} s")
    # The extrapolation of docs/scale.md: 10,000 points on 100 nodes of 2 CPUs.
    n, cpus = 10_000, 100 * 2
    print()
    print("10,000 points on 100 nodes x 2 CPUs, extrapolated from the figures above:")
    row("  arrays at the default MaxArraySize 1001", f"{-(-n // 1001)}")
    row("  controller: 10,000 x record_sim", f"{n * f['record_ms'] / 1000:.1f} s")
    row("  controller: the final result", f"{f['result_s']:.1f} s")
    row("  one node's start rate, 10,000 tasks", f"{n / f['tasks_per_s']:.0f} s",
        "(an upper bound: a farm starts tasks on many nodes per cycle)")  # fmt: skip
    if "local_s" in f:
        cpu_s = f["local_s"] * 2 / n_points  # both CPUs busy during the local run stage
        row("  simulation, CPU-s per point (local)", f"{cpu_s:.1f} s")
        row("  simulation on 200 CPUs", f"{n * cpu_s / cpus:.0f} s")


if __name__ == "__main__":
    main()
