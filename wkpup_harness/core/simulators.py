"""What the store records about the simulator a job ran on: its version, asked once per
process (`ngspice --version`; the commercial ones print theirs differently)."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess

VERSION_PATTERNS = {
    "ngspice": re.compile(r"ngspice-(\S+)"),
    "primesim": re.compile(r"Version\s+(\S+)"),
    "finesim": re.compile(r"Version\s+(\S+)"),
}


@functools.cache
def version(simulator: str) -> str | None:
    """The simulator's version string, or None when it is not installed or says nothing."""
    pattern = VERSION_PATTERNS.get(simulator)
    binary = shutil.which(simulator)
    if pattern is None or binary is None:
        return None
    try:
        out = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = pattern.search(out.stdout + out.stderr)
    return m.group(1) if m else None
