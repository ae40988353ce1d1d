"""Locating the core the harness drives, and refusing it when it is not the validated one.

A core is found, in this order: an explicit path, ``$WKPUP_CORE``, the embedded reference
core (``pai_ho_core/`` of this repository). A path may name the core root (the directory
holding ``MANIFEST.sha256``), its ``ver03/`` directory or ``ver03/sim_pvt.sh`` itself.

The tables directory is the core's own ``ver03/configuration`` unless overridden by an
explicit argument or by ``$PAIHO_CONF_DIR`` (the variable the core itself honours), so the
harness always validates a config against the same tables the core will read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from wkpup_harness.config.tables import CORNER_TABLE, CoreTables, load_tables
from wkpup_harness.core import manifest
from wkpup_harness.errors import CoreError, CoreModifiedError

ENV_CORE = "WKPUP_CORE"
ENV_CONF_DIR = "PAIHO_CONF_DIR"
VERSION_DIR = "ver03"
ENTRY = "sim_pvt.sh"
HOW = "point at a core with --core / --pvt-core, $WKPUP_CORE, or core = in wkpup.toml"


@dataclass(frozen=True)
class Core:
    root: Path  # holds MANIFEST.sha256 and ver03/
    sim_pvt: Path  # root/ver03/sim_pvt.sh
    configuration: Path  # the CSV tables the core reads

    @property
    def own_configuration(self) -> Path:
        """The tables shipped inside the core (what it reads without PAIHO_CONF_DIR)."""
        return self.sim_pvt.parent / "configuration"

    @property
    def uses_own_tables(self) -> bool:
        return self.configuration == self.own_configuration

    def tables(self) -> CoreTables:
        """The core's CSV tables, read afresh (cheap; a site may edit its tables between runs)."""
        return load_tables(self.configuration)

    def verify(self) -> manifest.Verification:
        return guard(self)


def _root_of(path: Path) -> Path:
    """Core root for a path naming the root, its ver03/ dir or ver03/sim_pvt.sh."""
    if path.is_file():
        return path.parent.parent
    if (path / ENTRY).is_file():
        return path.parent
    return path


def locate_core(path: Path | str | None = None, configuration: Path | str | None = None) -> Core:
    """Find the core (explicit ``path`` > ``$WKPUP_CORE`` > embedded) and its tables directory
    (explicit ``configuration`` > ``$PAIHO_CONF_DIR`` > the core's own). Raises CoreError."""
    if path is not None and str(path) != "":
        given, source = Path(path), "given path"
    elif os.environ.get(ENV_CORE):
        given, source = Path(os.environ[ENV_CORE]), f"${ENV_CORE}"
    else:
        given, source = manifest.DEFAULT_CORE, "embedded default"
    given = given.expanduser()
    if not given.exists():
        raise CoreError(f"core not found: {given} ({source}) does not exist; {HOW}")
    root = _root_of(given).resolve()
    sim_pvt = root / VERSION_DIR / ENTRY
    if not sim_pvt.is_file():
        raise CoreError(
            f"no core at {given} ({source}): expected {VERSION_DIR}/{ENTRY} under it, "
            f"or a path naming {VERSION_DIR}/ or {ENTRY} itself; {HOW}"
        )
    if configuration is not None and str(configuration) != "":
        conf, conf_source = Path(configuration).expanduser(), "given configuration"
    elif os.environ.get(ENV_CONF_DIR):
        conf, conf_source = Path(os.environ[ENV_CONF_DIR]).expanduser(), f"${ENV_CONF_DIR}"
    else:
        conf, conf_source = sim_pvt.parent / "configuration", "the core's own"
    conf = conf.resolve()
    if not (conf / CORNER_TABLE).is_file():
        raise CoreError(f"no {CORNER_TABLE} in {conf} ({conf_source} configuration directory)")
    return Core(root=root, sim_pvt=sim_pvt, configuration=conf)


def guard(core: Core) -> manifest.Verification:
    """Check the core against its MANIFEST.sha256; raise CoreModifiedError naming every
    modified, missing or extra file (ManifestError when there is no manifest)."""
    result = manifest.verify(core.root)
    if not result.ok:
        raise CoreModifiedError(result.describe(), result)
    return result
