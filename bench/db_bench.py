#!/usr/bin/env python3
"""Bench: the SQLite store at issue #4's scale — 10,000 jobs and 1,000,000 measurements.

The store holds 10,000 jobs over 4 domains, 8 users and a year of submit times; 1,210 of
them (the completed runs whose results were kept) carry a full 92-point x 9-measurement
result: 1,210 x 92 x 9 = 1,001,880 measurements. The others are queued, running, failed or
cancelled jobs and completed jobs whose results were cleaned, as a long-lived store has.
It is built with the store's own insert functions in a few big transactions, then each
operation runs through the public API on that file (WAL, synchronous=NORMAL):

  create job        create_job() with a real 15-key config, one transaction
  store result      store_result() of a 92x9 creport, finishing the job in the same commit
  look a job up     get_job() of a random job (row, stages, config keys)
  history(100)      history(limit=100), newest first
  worst point       worst(domain, name, 'min') over all completed jobs of one domain

Prints the median of several repetitions in ms next to the seed's targets and a tenth of
them (the seed sets none for the worst-point query). Standard library only.

Usage: python3 bench/db_bench.py [--db PATH] [--reps N]
  --db PATH  keep the store there (reused when it already has the full population)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from wkpup_harness.results import Cell, Creport, CreportRow  # noqa: E402
from wkpup_harness.store import connect, write  # noqa: E402
from wkpup_harness.store.jobs import (  # noqa: E402
    create_job,
    get_job,
    history,
    insert_job,
    insert_result,
    record_stage,
    store_result,
    worst,
)

N_JOBS = 10_000
N_RESULTS = 1_210
DOMAINS = ("gpio/1p1v", "i3c/1p1v", "gpio/1p8v", "i3c/3p3v")
USERS = tuple(f"user{i}" for i in range(8))
NAMES = ("ioh_0", "ioh", "ioh0", "ioh1", "rwkpull0", "rwkpull_vih", "rwkpull_vih2", "vwkp")
NAMES = (*NAMES, "vwkp_drop")
CORNERS = ("TT", "FFG", "SSG", "FSG", "SFG", "FFAG", "SSAG", "FFG_SSG", "SSG_FFG", "FFG", "SSG")
CONFIG = """mode:prelay
vccn:1p1v
vcctx:vcctx_NA
1st_supply_swp:vcc
2nd_supply_swp:vccn
3rd_supply_swp:NA
condition:perf
CPU #:4
MEM [G]:4
alter_extraction:No
alter_string#:11
sim_mode:ac
gs/gf_corner:Yes
vcc_vid:Yes
simulator:primesim
"""
HEADER = (
    "supply condition\nv1: vcc\nv2: vccn\nv3: NA\nvcc_vid: none\nvccana: 0.715,0.75,0.785\n"
    'vccn: 0.99,1.1,1.188\nvcctx: "0.5*vcn","0.5*vcn","0.5*vcn"\n'
)
SEED_MS = {
    "create job": 10.0,
    "store 92x9 result": 100.0,
    "look a job up": 50.0,
    "history(100)": 100.0,
    "worst point (domain)": None,
}


def points_92() -> list[tuple[str, str, int, tuple[str, str]]]:
    """92 PVT points: 11 corner rows x {-40, 125} x 4 voltage combos, and 4 TT 85/100 rows
    (the corner list repeats FFG/SSG as extraction rows do; only the count matters here)."""
    combos = [("min", "min"), ("min", "max"), ("max", "min"), ("max", "max")]
    pts = [(c, "typical", t, vt) for c in CORNERS for t in (-40, 125) for vt in combos]
    pts += [("TT", "typical", t, vt) for t in (85, 100) for vt in (("nom", "nom"),) * 2]
    assert len(pts) == 92
    return pts


def make_creport(rng: random.Random) -> Creport:
    rows = []
    for line, (corner, ex, temp, levels) in enumerate(points_92(), start=11):
        cells = {}
        for k, name in enumerate(NAMES):
            # Values near the real ones' scales (amps, ohms, volts), as %.8e text like PrimeSim.
            raw = f"{rng.uniform(0.5, 1.5) * 10.0 ** (k % 5 - 4) * (-1) ** k:.8e}"
            cells[name] = Cell.parse(raw)
        rows.append(CreportRow(corner, ex, temp, levels, None, cells, line, ""))
    return Creport("supply condition", {}, ("v1", "v2"), NAMES, False, tuple(rows), HEADER)


def build(path: Path, rng: random.Random) -> float:
    t0 = time.perf_counter()
    conn = connect(path)
    now = time.time()
    with_result = set(rng.sample(range(N_JOBS), N_RESULTS))
    batch = 500
    for start in range(0, N_JOBS, batch):
        with write(conn):
            for i in range(start, min(start + batch, N_JOBS)):
                submitted = now - (N_JOBS - i) * 3153.6  # one year, oldest first
                job = insert_job(
                    conn,
                    domain=DOMAINS[i % len(DOMAINS)],
                    user=USERS[rng.randrange(len(USERS))],
                    scenario=f"scn{i % 37}",
                    name=f"job{i}",
                    config_text=CONFIG,
                    submitted_at=submitted,
                )
                roll = rng.random()
                status = (
                    "completed" if i in with_result or roll < 0.80
                    else "failed" if roll < 0.92
                    else "cancelled" if roll < 0.97
                    else "queued" if i > N_JOBS - 50
                    else "failed"
                )  # fmt: skip
                if i in with_result:
                    insert_result(conn, job, make_creport(rng))
                if status != "queued":
                    conn.execute(
                        "UPDATE jobs SET status = ?, started_at = ?, finished_at = ?,"
                        " elapsed_s = 600 WHERE id = ?",
                        (status, submitted + 5, submitted + 605, job),
                    )
                    for stage in ("gen", "run", "ext", "srt", "bkp"):
                        conn.execute(
                            "INSERT INTO stages (job_id, stage, status, exit_code, log_path)"
                            " VALUES (?, ?, 'completed', 0, ?)",
                            (job, stage, f"/work/job{i}/{stage}.log"),
                        )
    conn.execute("PRAGMA optimize")
    conn.close()
    return time.perf_counter() - t0


def populated(path: Path) -> bool:
    if not path.exists():
        return False
    conn = connect(path)
    try:
        jobs = conn.execute("SELECT count(*) FROM jobs").fetchone()[0]
        cells = conn.execute("SELECT count(*) FROM measurements").fetchone()[0]
    finally:
        conn.close()
    return jobs >= N_JOBS and cells >= 1_000_000


def median_ms(fn: Callable[[], object], reps: int, setup: Callable[[], object] | None = None):
    times = []
    for _ in range(reps):
        arg = setup() if setup else None
        t0 = time.perf_counter()
        fn() if arg is None else fn(arg)  # type: ignore[call-arg]
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times)


def run(path: Path, reps: int) -> None:
    rng = random.Random(4)
    if populated(path):
        print(f"store: {path} (reused)")
    else:
        print(f"building {N_JOBS} jobs, {N_RESULTS} x 92 x 9 measurements ...", flush=True)
        print(f"built in {build(path, rng):.1f} s: {path}")
    conn = connect(path)
    counts = {
        t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("jobs", "points", "measurements", "stages")
    }
    size = os.path.getsize(path) / 1e6
    print(", ".join(f"{v:,} {k}" for k, v in counts.items()) + f"; {size:.0f} MB")
    ids = [r[0] for r in conn.execute("SELECT id FROM jobs")]
    creports = [make_creport(rng) for _ in range(8)]

    def new_job() -> int:
        job = create_job(conn, domain="gpio/1p1v", user="bench", config_text=CONFIG)
        record_stage(conn, job, "srt", "running")
        return job

    results = {
        "create job": median_ms(
            lambda: create_job(conn, domain="gpio/1p1v", user="bench", config_text=CONFIG),
            reps * 4,
        ),
        "store 92x9 result": median_ms(
            lambda job: store_result(conn, job, rng.choice(creports), status="completed"),
            reps,
            setup=new_job,
        ),
        "look a job up": median_ms(lambda: get_job(conn, rng.choice(ids)), reps * 10),
        "history(100)": median_ms(lambda: history(conn, limit=100), reps * 4),
        "worst point (domain)": median_ms(
            lambda: worst(conn, rng.choice(DOMAINS), rng.choice(NAMES), "min"), reps * 2
        ),
    }
    extra = {
        "history(100, domain+status)": median_ms(
            lambda: history(conn, domain=rng.choice(DOMAINS), status="completed", limit=100),
            reps * 4,
        ),
        "worst point (max)": median_ms(
            lambda: worst(conn, rng.choice(DOMAINS), rng.choice(NAMES), "max"), reps * 2
        ),
    }
    conn.close()
    print()
    print(f"{'operation':<30}{'median ms':>10}{'max ms':>9}{'seed ms':>9}{'seed/10':>9}  ok")
    for name, (med, worst_ms) in {**results, **extra}.items():
        seed = SEED_MS.get(name)
        goal = seed / 10 if seed else 10.0  # no seed target: hold it to the strictest tenth
        seed_text = f"{seed:>9.0f}" if seed else f"{'-':>9}"
        ok = "yes" if med <= goal else "NO"
        print(f"{name:<30}{med:>10.2f}{worst_ms:>9.2f}{seed_text}{goal:>9.1f}  {ok}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, help="store file to build or reuse")
    parser.add_argument("--reps", type=int, default=25, help="repetitions (scaled per op)")
    args = parser.parse_args()
    if args.db:
        run(args.db, args.reps)
        return
    with tempfile.TemporaryDirectory(prefix="wkpup-db-bench-") as tmp:
        run(Path(tmp) / "store.db", args.reps)


if __name__ == "__main__":
    main()
