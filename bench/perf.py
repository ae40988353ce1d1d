#!/usr/bin/env python3
"""`make bench`: every performance figure of issue #12 side by side in one run, then a summary
table of the targets with PASS/FAIL.

  1. sweep efficiency: the 92-point GPIO 1p8v job on the bare core (gen + run stage,
     PAIHO_JOBS = cores, fresh model cache), N times: wall x cores / summed ngspice
     "Total analysis time" (median; target <= 1.15), the same with the run stage's CPU time
     (contention-independent), and the per-point time outside the analysis (job_log.txt time
     of the point minus its analysis; median; target <= 0.05 s);
  2. model load: one point (TT, -40 C) with models_fet bin-trimmed (default), device-trimmed,
     whole (PAIHO_MODEL_TRIM=0) and the whole official library section (sky130.lib.spice tt):
     ngspice elapsed minus analysis (= load + setup), and the measurements compared;
  3./4. and every other figure of a bench module that provides one (bench/figures.py: the
     protocol): harness vs bare core for `pytest` and `wkpup run` (harness_overhead.py),
     `pytest -n 8` vs `-n 2` (xdist_scaling.py), flat cost in points (scale_bench.py), the
     result cache (cache_bench.py when present): each with its target and PASS/FAIL;
  5. scaling: the 272-point polo job (gpio/1p8v, mode polo, postlay_cross_cornerlist full) and
     a 1,088-point batch (four such jobs at once, sharing the machine's cores through
     PAIHO_SLOT_DIR) against the 92-point job, as time per point (target: within 10 %);
  6. the store at 10,000 jobs (bench/db_bench.py) and `wkpup history`/`show`/`export` on it.

    python bench/perf.py [--repeat 3] [--skip harness,xdist,scaling,db]

Needs ngspice and the SKY130 models (make setup). About 12 minutes on an idle 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
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
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import db_bench  # noqa: E402
import figures  # noqa: E402
from coreutil import set_keys  # noqa: E402

from wkpup_harness.core.pdk import sky130_models_dir  # noqa: E402

CORE = REPO / "pai_ho_core"
SIM_PVT = CORE / "ver03" / "sim_pvt.sh"
RUN_POINT = CORE / "ver03" / "simulation" / "run_point.sh"
CORES = os.cpu_count() or 1
ANALYSIS = re.compile(r"Total analysis time \(seconds\) = ([\d.]+)")
ELAPSED = re.compile(r"Total elapsed time \(seconds\) = ([\d.]+)")
JOB_LOG = re.compile(r"^(\S+) (\S+) (\S+) (\S+) Done (\d+(?:\.\d+)?)s$")
POLO_FULL = {"mode": "polo", "postlay_cross_cornerlist": "full"}


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def core_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, PAIHO_CORE=str(CORE), PAIHO_CACHE=str(tmp / "cache"))
    env.setdefault("PAIHO_PYTHON", sys.executable)  # the python with the sky130 package
    env.pop("PAIHO_MODEL_TRIM", None)
    env.update(extra)
    return env


def make_domain(root: Path, domain: str = "gpio/1p8v", config: dict[str, str] | None = None):
    """A fresh copy of domains/ under root; the domain's config edited; its directory."""
    shutil.copytree(REPO / "domains", root / "domains", symlinks=True)
    ddir = root / "domains" / domain
    for p in ddir.iterdir():
        if p.name not in ("config.cfg", "runme.sh", "template"):
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    if config:
        cfg = ddir / "config.cfg"
        cfg.write_text(set_keys(cfg.read_text(), **config))
    return ddir


def stage(ddir: Path, name: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        ["bash", str(SIM_PVT), "config.cfg", name],
        cwd=ddir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen, what: str) -> None:
    _out, err = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"ERROR: {what} failed (exit {proc.returncode}):\n{err.strip()[-2000:]}")


def job_figures(ddirs: list[Path]) -> dict[str, float]:
    """Points, summed analysis / elapsed, per-point outside-analysis times of finished jobs."""
    ana = ela = 0.0
    points = 0
    outside = []
    for ddir in ddirs:
        for line in (ddir / "job_log.txt").read_text().splitlines():
            m = JOB_LOG.match(line.strip())
            if not m:
                continue
            corner, ex, ttok, vt, secs = m.groups()
            log = (ddir / corner / ex / f"{ex}_{ttok}" / vt / "sim_tx.log").read_text()
            a = sum(float(x) for x in ANALYSIS.findall(log))
            e = sum(float(x) for x in ELAPSED.findall(log))
            if not a:
                sys.exit(f"ERROR: no analysis time in the log of {corner} {ex} {ttok} {vt}")
            ana += a
            ela += e
            points += 1
            outside.append(float(secs) - a)
    return {
        "points": points,
        "ana": ana,
        "ela": ela,
        "outside_median": statistics.median(outside),
    }


def run_jobs(tmp: Path, name: str, specs: list[tuple[str, dict[str, str] | None]], slots=None):
    """gen, then the run stages of all `specs` at once (sharing `slots` machine-wide slots
    when several). Returns wall, CPU of the run stages and job_figures."""
    ddirs = []
    for i, (domain, config) in enumerate(specs):
        ddirs.append(make_domain(tmp / f"{name}{i}", domain, config))
    extra = {"PAIHO_JOBS": str(CORES)}
    if slots:
        extra.update(PAIHO_SLOT_DIR=str(tmp / f"{name}_slots"), PAIHO_SLOTS=str(slots))
    env = core_env(tmp / name, **extra)
    for ddir in ddirs:
        finish(stage(ddir, "gen", env), f"gen of {ddir}")
    c0 = children_cpu()
    t0 = time.perf_counter()
    procs = [stage(ddir, "run", env) for ddir in ddirs]
    for ddir, proc in zip(ddirs, procs, strict=True):
        finish(proc, f"run of {ddir}")
    wall = time.perf_counter() - t0
    cpu = children_cpu() - c0
    fig = job_figures(ddirs)
    fig.update(wall=wall, cpu=cpu, ratio=wall * CORES / fig["ana"], cpu_ratio=cpu / fig["ana"])
    fig["per_point"] = wall / fig["points"]
    for ddir in ddirs:
        shutil.rmtree(ddir.parent.parent)
    return fig


def sweep(tmp: Path, repeat: int) -> list[dict[str, float]]:
    print(f"\n== 1. sweep efficiency: 92-point GPIO 1p8v job, bare core, {CORES} cores")
    print(f"{'run':>4} {'points':>6} {'wall s':>8} {'cpu s':>8} {'sum ana':>8} {'sum ela':>8}"
          f" {'wall*cores/ana':>15} {'cpu/ana':>8} {'outside/pt':>11}")  # fmt: skip
    runs = []
    for n in range(repeat):
        f = run_jobs(tmp, f"sweep{n}", [("gpio/1p8v", None)])
        runs.append(f)
        print(f"{n + 1:>4} {f['points']:>6} {f['wall']:>8.2f} {f['cpu']:>8.2f} {f['ana']:>8.2f}"
              f" {f['ela']:>8.2f} {f['ratio']:>15.3f} {f['cpu_ratio']:>8.3f}"
              f" {f['outside_median']:>10.3f}s", flush=True)  # fmt: skip
    return runs


def model_load(tmp: Path, reps: int = 3) -> dict[str, tuple[float, float, bool]]:
    print("\n== 2. model load: one point (gpio/1p8v TT typical -40 C), ngspice load+setup")
    ddir = make_domain(tmp / "load", "gpio/1p8v")
    env = core_env(tmp / "load")
    finish(stage(ddir, "gen", env), "gen")
    src = sorted((ddir / "TT" / "typical" / "typical_m40").iterdir())[0] / "sim_tx.sp"
    whole = sky130_models_dir() / "sky130.lib.spice"
    kinds = {
        "bin-trimmed (default)": ({}, None),
        "device-trimmed": ({"PAIHO_MODEL_TRIM": "device"}, None),
        "whole models_fet": ({"PAIHO_MODEL_TRIM": "0"}, None),
        "whole library section": ({"PAIHO_MODEL_TRIM": "0"}, f'.lib "{whole}" tt'),
    }
    out = {}
    ref = None
    print(f"{'models':<24} {'load+setup s':>12} {'analysis s':>10} {'run_point s':>11}  same")
    for n, (kind, (extra, lib_line)) in enumerate(kinds.items()):
        point = src.parent.with_name(f"{src.parent.name}_{n}")
        point.mkdir()
        text = src.read_text()
        if lib_line:
            text = text.replace('.lib "$DP_HSPICE_MODEL" TT', lib_line)
        (point / "sim_tx.sp").write_text(text)
        loads, anas, walls = [], [], []
        for _ in range(reps + 1):  # the first fills the cache
            t0 = time.perf_counter()
            p = subprocess.run(["bash", str(RUN_POINT), str(point), "sim_tx", "ngspice", "1"],
                               env={**env, **extra}, capture_output=True, text=True)  # fmt: skip
            walls.append(time.perf_counter() - t0)
            if p.returncode != 0:
                sys.exit(f"ERROR: {kind}: {p.stderr.strip()}")
            log = (point / "sim_tx.log").read_text()
            a, e = float(ANALYSIS.search(log).group(1)), float(ELAPSED.search(log).group(1))
            loads.append(e - a)
            anas.append(a)
        mt0 = (point / "sim_tx.mt0").read_text().splitlines()[2:]
        ref = ref or mt0
        med = statistics.median
        out[kind] = (med(loads[1:]), med(walls[1:]), mt0 == ref)
        print(f"{kind:<24} {out[kind][0]:>12.3f} {med(anas[1:]):>10.3f} {out[kind][1]:>11.3f}"
              f"  {'yes' if mt0 == ref else 'NO'}", flush=True)  # fmt: skip
    shutil.rmtree(tmp / "load")
    return out


def scaling(tmp: Path, base: dict[str, float]) -> dict[str, dict[str, float]]:
    print("\n== 5. scaling: time per point against the 92-point job")
    out = {"92-point GPIO job": base}
    out["272-point polo job"] = run_jobs(tmp, "polo", [("gpio/1p8v", POLO_FULL)])
    out["1,088-point batch"] = run_jobs(tmp, "batch", [("gpio/1p8v", POLO_FULL)] * 4, CORES)
    print(f"{'job':<20} {'points':>6} {'wall s':>8} {'s/point':>8} {'vs 92':>7} {'ana/pt':>7}"
          f" {'wall*cores/ana':>15} {'vs 92':>7} {'outside/pt':>11}")  # fmt: skip
    for k, f in out.items():
        print(f"{k:<20} {f['points']:>6} {f['wall']:>8.2f} {f['per_point']:>8.3f}"
              f" {f['per_point'] / base['per_point']:>7.3f} {f['ana'] / f['points']:>7.3f}"
              f" {f['ratio']:>15.3f} {f['ratio'] / base['ratio']:>7.3f}"
              f" {f['outside_median']:>10.3f}s")  # fmt: skip
    return out


def db(tmp: Path) -> dict[str, float]:
    print("\n== 6. the store at 10,000 jobs (bench/db_bench.py) and the CLI on it")
    path = tmp / "db" / "bench.db"
    path.parent.mkdir()
    db_bench.run(path, 5)
    wk = str(Path(sys.executable).with_name("wkpup"))
    job = db_bench.connect(path).execute("SELECT job_id FROM points LIMIT 1").fetchone()[0]
    cmds = {
        "wkpup history": ["history"],
        "wkpup history --limit 1000": ["history", "--limit", "1000"],
        f"wkpup show {job}": ["show", str(job)],
        f"wkpup export {job} --csv": ["export", str(job), "--csv", str(tmp / "db" / "x.csv")],
    }
    out = {}
    print(f"{'command':<28} {'median s':>9}")
    for name, args in cmds.items():
        walls = []
        for _ in range(3):
            t0 = time.perf_counter()
            p = subprocess.run([wk, "--db", str(path), *args], capture_output=True, text=True)
            walls.append(time.perf_counter() - t0)
            if p.returncode != 0:
                sys.exit(f"ERROR: {name}: {p.stderr.strip()}")
        out[name] = statistics.median(walls)
        print(f"{name:<28} {out[name]:>9.3f}", flush=True)
    return out


# --skip names for the figure modules (bench/figures.py), besides their own names
ALIASES = {"harness": "harness_overhead", "xdist": "xdist_scaling", "scale": "scale_bench",
           "cache": "cache_bench", "slurm": "slurm_bench", "mc": "mc_bench"}  # fmt: skip


def own_figures(tmp: Path, repeat: int, skip: set[str]) -> list[figures.Figure]:
    """This script's own sections (1, 2, 5, 6) as summary rows."""
    fig = figures.Figure
    rows = []
    runs = sweep(tmp, repeat)
    ratio = statistics.median(r["ratio"] for r in runs)
    outside = statistics.median(r["outside_median"] for r in runs)
    rows.append(fig("wall x cores / sum analysis, 92 pts (median)", round(ratio, 3), 1.15,
                    ratio <= 1.15))  # fmt: skip
    cpu_ratio = statistics.median(r["cpu_ratio"] for r in runs)
    rows.append(fig("run-stage CPU / sum analysis (proxy)", round(cpu_ratio, 3), "info", None))
    rows.append(fig("per-point time outside analysis (median)", f"{outside:.3f} s", "<= 0.05 s",
                    outside <= 0.05))  # fmt: skip
    if "load" not in skip:
        load = model_load(tmp)
        b, d = load["bin-trimmed (default)"][0], load["device-trimmed"][0]
        w = load["whole library section"][0]
        rows.append(fig("model load+setup: bin / device / whole lib",
                        f"{b:.3f} / {d:.3f} / {w:.3f} s", "bin < device",
                        b < d and all(v[2] for v in load.values())))  # fmt: skip
    if "scaling" not in skip:
        base = sorted(runs, key=lambda r: r["per_point"])[len(runs) // 2]
        sc = scaling(tmp, base)
        for k in ("272-point polo job", "1,088-point batch"):
            rel = sc[k]["per_point"] / base["per_point"]
            rows.append(fig(f"time per point, {k} / 92", f"x{rel:.3f}", "within 10 %",
                            abs(rel - 1) <= 0.10))  # fmt: skip
            # the same normalised by the analysis (what a load change cannot move)
            rel = sc[k]["ratio"] / base["ratio"]
            rows.append(fig(f"  wall x cores / analysis, {k} / 92", f"x{rel:.3f}", "info", None))
    if "db" not in skip:
        worst = max(db(tmp).values())
        rows.append(fig("wkpup history/show/export at 10,000 jobs (slowest)", f"{worst:.3f} s",
                        "info", None))  # fmt: skip
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs of the 92-point job")
    ap.add_argument(
        "--skip",
        default="",
        help="comma-separated: load,scaling,db, and figure modules (bench/figures.py) by name"
        " or alias: harness,xdist,scale,cache",
    )
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    skip |= {ALIASES[s] for s in skip if s in ALIASES}
    random.seed(12)
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wkpup-perf-") as tmpname:
        rows = own_figures(Path(tmpname), args.repeat, skip)
    rows += figures.collect(skip)
    print(f"\n== summary ({CORES} cores, load average {os.getloadavg()[0]:.2f},"
          f" bench took {time.perf_counter() - t_start:.0f} s)")  # fmt: skip
    return 0 if figures.print_summary(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
