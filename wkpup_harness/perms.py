"""File permissions of what the harness creates: the store, run directories, logs, reports.

The user's umask is respected, but never looser than ``022``: nothing the harness or the
core creates is group- or world-writable (directories 0o755, files 0o644 with the usual
umask; 0o700 / 0o600 with ``umask 077``). The store's own directory is owner-only (0o700).
Files copied from a domain keep their modes, masked by that umask as if created here.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

NO_SHARED_WRITE = 0o022  # group and other write


def restrict_umask() -> int:
    """Make the process umask mask group/other write (the user's stricter bits kept); the
    core's processes inherit it. Returns the umask now in force."""
    # Briefly stricter (never looser) while the current value is read.
    current = os.umask(0o077)
    new = current | NO_SHARED_WRITE
    os.umask(new)
    return new


def mask_copied(root: Path) -> None:
    """Apply the umask (``restrict_umask``) to ``root`` and everything below it, copied with
    their source's modes (symlinks untouched)."""
    umask = restrict_umask()
    for path in (root, *root.rglob("*")):
        try:
            mode = path.lstat().st_mode
        except OSError:
            continue
        if not stat.S_ISLNK(mode) and stat.S_IMODE(mode) & umask:
            os.chmod(path, stat.S_IMODE(mode) & ~umask)
