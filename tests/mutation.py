"""`make mutation`: mutmut (3.x) over the gate modules, one module at a time, with a score.

    python tests/mutation.py [--min 90] [--jobs 2] [--keep DIR] MODULE...

MODULE is a path under ``wkpup_harness/`` (``results/golden.py``). mutmut works in the
directory it is started in (it writes ``mutants/`` there), so this runs it in a temporary copy
of the checkout (the tracked and the new, not ignored, files) and the checkout's ``git
status`` stays clean. The copy's ``[tool.mutmut]`` (pyproject.toml) is the checkout's, with
``only_mutate`` set to the modules asked for. Each module is then run alone (``mutmut run
'wkpup_harness.results.golden.*'``) with ``--jobs`` workers.

Printed per module and in total: killed, survived, score. Killed counts mutants the tests
failed on and those that timed out (an endless loop is caught too); survived counts those the
tests passed with and those no selected test reaches. Survivors are listed by name (``mutmut
show NAME`` in the kept copy prints the diff). Exit status 1 when the total score is under
``--min`` percent. docs/testing.md lists the survivors judged equivalent and why.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "wkpup_harness"
KILLED = {1, 3, 36, 24, -24, 152, 255, 37}  # test failure, pytest error, timeout, type check
SURVIVED = {0, 5, 33}  # tests passed, no tests ran, no test reaches the function


def copy_checkout(dest: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, check=True, capture_output=True,
    ).stdout.split(b"\0")  # fmt: skip
    for raw in filter(None, files):
        name = raw.decode()
        src = REPO / name
        if not src.is_file():  # deleted in the working tree
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def set_only_mutate(pyproject: Path, modules: list[str]) -> None:
    text = pyproject.read_text(encoding="utf-8")
    line = "only_mutate = " + json.dumps([f"{PACKAGE}/{m}" for m in modules])
    new, n = re.subn(r"(?m)^only_mutate = .*$", line, text)
    if n != 1:
        sys.exit("ERROR: pyproject.toml [tool.mutmut] needs one `only_mutate = ...` line")
    pyproject.write_text(new, encoding="utf-8")


def results(work: Path, module: str) -> dict[str, int | None]:
    meta = work / "mutants" / PACKAGE / (module + ".meta")
    if not meta.is_file():
        return {}
    return json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]


def mutmut(work: Path, log: Path, *args: str) -> int:
    """Run mutmut in `work`; its output (a progress spinner) goes to `log`, whose tail is
    shown when it fails."""
    exe = Path(sys.executable).with_name("mutmut")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    with log.open("wb") as out:
        rc = subprocess.run([str(exe), *args], cwd=work, env=env, stdout=out, stderr=out).returncode
    if rc != 0:
        tail = log.read_bytes()[-4000:].decode("utf-8", "replace")
        print(tail.replace("\r", "\n"), file=sys.stderr)
    return rc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("modules", nargs="+", help="paths under wkpup_harness/")
    ap.add_argument("--min", type=float, default=90.0, help="lowest total score, percent")
    ap.add_argument("--jobs", type=int, default=2, help="mutmut workers (--max-children)")
    ap.add_argument("--keep", type=Path, help="work here and keep it (default: a temp dir)")
    args = ap.parse_args(argv)
    for m in args.modules:
        if not (REPO / PACKAGE / m).is_file():
            ap.error(f"no module {PACKAGE}/{m}")

    if args.keep:
        work = args.keep.resolve()
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="wkpup-mutation."))
    started = time.monotonic()
    rows: list[tuple[str, int, int, list[str]]] = []
    try:
        copy_checkout(work)
        set_only_mutate(work / "pyproject.toml", args.modules)
        for m in args.modules:
            pattern = f"{PACKAGE}.{m.removesuffix('.py').replace('/', '.')}.*"
            print(f"mutmut: {PACKAGE}/{m} ...", end=" ", flush=True)
            t0 = time.monotonic()
            log = work / f"mutmut-{m.replace('/', '-')}.log"
            rc = mutmut(work, log, "run", "--max-children", str(args.jobs), pattern)
            codes = results(work, m)
            if rc != 0 or not codes:
                print(f"ERROR: mutmut run on {PACKAGE}/{m} failed (exit {rc})", file=sys.stderr)
                return 2
            unknown = {k: c for k, c in codes.items() if c not in KILLED | SURVIVED}
            if unknown:
                print(f"ERROR: mutants not judged (suspicious, interrupted): {unknown}")
                return 2
            survivors = sorted(k for k, c in codes.items() if c in SURVIVED)
            print(f"{len(codes)} mutants, {len(survivors)} survived, {time.monotonic() - t0:.0f} s")
            rows.append((m, len(codes) - len(survivors), len(survivors), survivors))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    print(f"\nmutation score ({time.monotonic() - started:.0f} s, {args.jobs} workers)")
    print(f"{'module':<28} {'killed':>7} {'survived':>9} {'score':>7}")
    for m, k, s, _ in rows:
        print(f"{m:<28} {k:>7} {s:>9} {100 * k / (k + s):>6.1f}%")
    killed = sum(r[1] for r in rows)
    survived = sum(r[2] for r in rows)
    score = 100 * killed / (killed + survived)
    print(f"{'total':<28} {killed:>7} {survived:>9} {score:>6.1f}%")
    for *_, names in rows:
        for name in names:
            print(f"  survived: {name}")
    if score < args.min:
        print(f"FAIL: mutation score {score:.1f}% is under {args.min:g}%")
        return 1
    print(f"OK: mutation score {score:.1f}% (at least {args.min:g}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
