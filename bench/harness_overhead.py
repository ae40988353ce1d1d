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

The measured processes run as on an installed harness: Python may cache its bytecode (a
`PYTHONDONTWRITEBYTECODE` of the calling shell is dropped for them) and the caches are warmed
before the first timed run (`warm()`: the harness compiled, one untimed pytest collection
for pytest's rewritten plugin modules). Otherwise every Python process of the harness
compiles ~100 modules from source and pytest re-rewrites its plugins' (hypothesis, anyio)
asserts, which an installed harness never does. Each face's CPU seconds (its process tree,
`RUSAGE_CHILDREN`) are printed beside its wall: the CPU ratio does not move with the load of
a shared machine, the wall does.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from figures import Figure, load

from wkpup_harness.engine.workdir import copy_domain

REPO = Path(__file__).resolve().parents[1]
CORE = REPO / "pai_ho_core"


def child_env(code: Path | None = None) -> dict[str, str]:
    """The environment of a measured process: bytecode may be cached, as once installed;
    ``code``: another checkout of the harness (its package and plugin imported first)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(code), str(code / "plugins")])
    return env


def warm(project: Path, code: Path | None = None) -> None:
    """Fill the bytecode caches a measured run reads: the harness compiled, and one untimed
    `pytest --collect-only` in ``project`` (pytest caches its rewritten plugin modules)."""
    for tree in ("wkpup_harness", "plugins"):
        compileall.compile_dir((code or REPO) / tree, quiet=1)
    cmd = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    subprocess.run(cmd, cwd=project, env=child_env(code), capture_output=True, check=False)


def timed(cmd: list[str], **kwargs: object) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall s, CPU s of its whole process tree, the completed process) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu, proc


def bare(root: Path, corners: str | None, n: int) -> tuple[float, float, bytes]:
    work = root / f"bare{n}"
    copy_domain(REPO / "domains", work / "domains")
    domain = work / "domains" / "gpio" / "1p8v"
    env = {**child_env(), "PAIHO_CORE": str(CORE), "PAIHO_BKP_TIMESTAMP": "202601010000"}
    env.setdefault("PAIHO_PYTHON", sys.executable)  # the python with the sky130 package
    if corners:
        env["PAIHO_CORNERS"] = corners
    wall, cpu, proc = timed(["bash", "runme.sh"], cwd=domain, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"bare run failed: {proc.stderr[-2000:]}")
    return wall, cpu, (domain / "00bkp_202601010000" / "report" / "creport.txt").read_bytes()


def pytest_project(work: Path, corners: str | None) -> None:
    """A project of one scenario job, the bench's job, beside a copy of the domains."""
    copy_domain(REPO / "domains", work / "domains")
    (work / "regression").mkdir()
    subset = f"    corners: [{', '.join(corners.split())}]\n" if corners else ""
    (work / "regression" / "bench.yaml").write_text(
        f"domain: gpio/1p8v\njobs:\n  - name: job\n{subset}"
    )
    (work / "pytest.ini").write_text(f"[pytest]\npvt_core = {CORE}\npvt_db = wk.db\n")


def harness(
    root: Path, corners: str | None, n: int, code: Path | None = None
) -> tuple[float, float, bytes]:
    work = root / f"harness{n}{'b' if code else ''}"
    pytest_project(work, corners)
    cmd = [sys.executable, "-m", "pytest", "regression", "-q", "-p", "no:cacheprovider",
           f"--basetemp={work / 'tmp'}", "--pvt-update-golden"]  # fmt: skip
    wall, cpu, proc = timed(cmd, cwd=work, env=child_env(code))
    if proc.returncode != 0:
        raise SystemExit(f"harness run failed: {proc.stdout[-3000:]}")
    return wall, cpu, (work / "golden" / "bench" / "job" / "creport.txt").read_bytes()


def wkpup_run(
    root: Path, corners: str | None, n: int, code: Path | None = None
) -> tuple[float, float, bytes]:
    """`wkpup run gpio/1p8v` of the same job (a fresh store and run root)."""
    work = root / f"run{n}{'b' if code else ''}"
    copy_domain(REPO / "domains", work / "domains")
    cmd = [str(Path(sys.executable).with_name("wkpup")), "--db", str(work / "wk.db"), "-q",
           "run", "gpio/1p8v", "--core", str(CORE), "--domains", str(work / "domains"),
           "--runs", str(work / "runs")]  # fmt: skip
    if corners:
        cmd += ["--corners", *corners.split()]
    env = {k: v for k, v in child_env(code).items() if not k.startswith("WKPUP_")}
    env.setdefault("PAIHO_PYTHON", sys.executable)
    env["WKPUP_SLOT_DIR"] = os.environ.get("WKPUP_SLOT_DIR", str(root / "slots"))
    wall, cpu, proc = timed(cmd, cwd=work, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"wkpup run failed: {proc.stderr[-2000:]}")
    (report,) = (work / "runs").glob("**/00bkp_*/report/creport.txt")
    return wall, cpu, report.read_bytes()


FACES = {"bare": bare, "pytest": harness, "wkpup run": wkpup_run}


def faces(baseline: Path | None) -> dict[str, Callable[[Path, str | None, int], Any]]:
    """The faces measured; with ``baseline`` (another checkout of the harness, e.g. `git
    archive main`), its `pytest` and `wkpup run` too, interleaved with this one's (A/B)."""
    out: dict[str, Callable[[Path, str | None, int], Any]] = dict(FACES)
    if baseline is not None:
        out["pytest@base"] = lambda r, c, n: harness(r, c, n, baseline)
        out["run@base"] = lambda r, c, n: wkpup_run(r, c, n, baseline)
    return out


def measure(
    root: Path, corners: str | None, repeat: int, baseline: Path | None = None
) -> tuple[dict[str, list[float]], dict[str, list[float]], int]:
    """Wall and CPU seconds of each face, interleaved (load drifts hit each alike); creports
    checked byte for byte. Returns the walls, the CPUs and how many distinct creports."""
    chosen = faces(baseline)
    times: dict[str, list[float]] = {k: [] for k in chosen}
    cpus: dict[str, list[float]] = {k: [] for k in chosen}
    reports = set()
    # A budget of its own: the machine-wide default is shared with whatever else runs here.
    os.environ["WKPUP_SLOT_DIR"] = str(root / "slots")
    pytest_project(root / "warm", corners)
    warm(root / "warm")
    if baseline is not None:
        warm(root / "warm", baseline)
    for n in range(repeat):
        for name, fn in chosen.items():
            wall, cpu, report = fn(root, corners, n)
            times[name].append(wall)
            cpus[name].append(cpu)
            reports.add(report)
            print(f"  {name:10} run {n + 1}: {wall:7.2f} s wall, {cpu:7.2f} s CPU", flush=True)
        for work in [*root.glob(f"*{n}"), *root.glob(f"*{n}b")]:
            shutil.rmtree(work)
    return times, cpus, len(reports)


def figures(repeat: int = 3) -> list[Figure]:
    """harness / bare for `pytest` and `wkpup run` on the 92-point job (target <= 1.03)."""
    with tempfile.TemporaryDirectory(prefix="wkpup-overhead-") as tmp:
        times, cpus, distinct = measure(Path(tmp), None, repeat)
    med = {k: statistics.median(v) for k, v in times.items()}
    cpu = {k: statistics.median(v) for k, v in cpus.items()}
    raw = ", ".join(f"{k} {' '.join(f'{x:.1f}' for x in v)} s" for k, v in times.items())
    out = [
        Figure(
            f"harness / bare core, 92 points: {face}",
            round(med[face] / med["bare"], 3),
            1.03,
            med[face] / med["bare"] <= 1.03,
            f"{raw}; CPU {face} / bare {cpu[face] / cpu['bare']:.3f}; {load()}",
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
    parser.add_argument("--baseline", type=Path, help="another checkout to A/B against")
    args = parser.parse_args()
    corners = None if args.full else args.corners
    with tempfile.TemporaryDirectory(prefix="wkpup-overhead-") as tmp:
        times, cpus, distinct = measure(Path(tmp), corners, args.repeat, args.baseline)
    med = {k: statistics.median(v) for k, v in times.items()}
    cpu = {k: statistics.median(v) for k, v in cpus.items()}
    print(f"job: gpio/1p8v, corners {corners or 'all'}; {load()}")
    for face, m in med.items():
        print(f"median {face:10}: {m:7.2f} s wall ({face} / bare {m / med['bare']:.3f}), "
              f"{cpu[face]:7.2f} s CPU ({cpu[face] / cpu['bare']:.3f})")  # fmt: skip
    print(f"creports identical in all {len(times) * args.repeat} runs: {distinct == 1}")
    return 0 if distinct == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
