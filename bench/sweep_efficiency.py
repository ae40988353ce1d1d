#!/usr/bin/env python3
"""Bench: how close a PVT sweep gets to pure ngspice analysis time.

Copies domains/ to a temp dir, runs the default GPIO 1p8v job's gen and run
stages there (pai_ho_core/ver03/sim_pvt.sh, PAIHO_JOBS = cores, a fresh
PAIHO_CACHE in the temp dir, so the trimmed model file is built once by the
run), then prints:
  wall time of the run stage, cores,
  summed ngspice "Total analysis time" over the point logs,
  summed ngspice "Total elapsed time" (whole ngspice run incl. parsing),
  summed per-point times from job_log.txt (run_point.sh as the stage sees it),
  ratio wall x cores / summed analysis  (MISSION speed bar: <= 1.3)
MISSION: "a sweep's wall time x cores within 1.3x of the summed ngspice analysis time".

Usage: python3 bench/sweep_efficiency.py [--domain gpio|i3c] [--jobs N] [--keep] [--no-trim]
Needs ngspice and the SKY130 models. Standard library only.
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORE = os.path.join(REPO, "pai_ho_core")
SIM_PVT = os.path.join(CORE, "ver03", "sim_pvt.sh")


def stage(ddir, name, env):
    t0 = time.perf_counter()
    p = subprocess.run(
        ["bash", SIM_PVT, "config.cfg", name], cwd=ddir, env=env, capture_output=True, text=True
    )
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"ERROR: stage {name} failed (exit {p.returncode}):\n{p.stderr.strip()}")
    return dt


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--domain", default="gpio", choices=["gpio", "i3c"])
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--keep", action="store_true", help="keep the temp copy and print its path")
    ap.add_argument(
        "--no-trim",
        action="store_true",
        help="PAIHO_MODEL_TRIM=0: whole models_fet (previous state)",
    )
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="sweep_eff_")
    try:
        shutil.copytree(os.path.join(REPO, "domains"), os.path.join(tmp, "domains"), symlinks=True)
        ddir = os.path.join(tmp, "domains", args.domain, "1p8v")
        for d in os.listdir(ddir):  # start clean: only config, runme, template
            if d not in ("config.cfg", "runme.sh", "template"):
                p = os.path.join(ddir, d)
                shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)
        env = dict(
            os.environ,
            PAIHO_CORE=CORE,
            PAIHO_JOBS=str(args.jobs),
            PAIHO_CACHE=os.path.join(tmp, "cache"),
        )
        env.setdefault("PAIHO_PYTHON", sys.executable)  # the python with the sky130 package
        env.pop("PAIHO_MODEL_TRIM", None)
        if args.no_trim:
            env["PAIHO_MODEL_TRIM"] = "0"
        gen_s = stage(ddir, "gen", env)
        run_s = stage(ddir, "run", env)

        logs = sorted(glob.glob(os.path.join(ddir, "*", "*", "*", "*", "sim_tx.log")))
        ana = ela = 0.0
        missing = 0
        for log in logs:
            with open(log) as fh:
                txt = fh.read()
            a = re.search(r"Total analysis time \(seconds\) = ([\d.]+)", txt)
            e = re.search(r"Total elapsed time \(seconds\) = ([\d.]+)", txt)
            if not (a and e):
                missing += 1
                continue
            ana += float(a.group(1))
            ela += float(e.group(1))
        point_sum = 0.0
        with open(os.path.join(ddir, "job_log.txt")) as fh:
            for line in fh:
                m = re.search(r" Done (\d+(?:\.\d+)?)s$", line.strip())
                if m:
                    point_sum += float(m.group(1))
    finally:
        if args.keep:
            print(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    cores = args.jobs
    print(f"domain:                               {args.domain} 1p8v (default config)")
    print(f"models_fet:                           {'whole' if args.no_trim else 'device-trimmed'}")
    print(f"points (logs with timing):            {len(logs) - missing} of {len(logs)}")
    print(f"gen stage wall time:                  {gen_s:8.2f} s")
    print(f"run stage wall time:                  {run_s:8.2f} s")
    print(f"cores (PAIHO_JOBS):                   {cores:8d}")
    print(f"wall x cores:                         {run_s * cores:8.2f} s")
    print(f"summed ngspice analysis time:         {ana:8.2f} s")
    print(f"summed ngspice elapsed time:          {ela:8.2f} s")
    print(f"summed per-point time (job_log.txt):  {point_sum:8.2f} s")
    print(f"ratio wall x cores / analysis:        {run_s * cores / ana:8.2f}   (bar: <= 1.30)")
    print(f"ratio wall x cores / ngspice elapsed: {run_s * cores / ela:8.2f}")
    print(f"ratio ngspice elapsed / analysis:     {ela / ana:8.2f}")
    return 0 if missing == 0 and logs else 1


if __name__ == "__main__":
    sys.exit(main())
