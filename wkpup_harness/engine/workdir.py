"""Job directories: a private copy of a domain for one job, so jobs never share run products.

The core writes its products (corner directories, ``report/``, ``00bkp_*`` ...) into the
domain directory it runs in. Two jobs of one domain would overwrite each other there, so
every job runs in a copy: ``<dest_root>/<family>/<voltage>``, with the domain's shared
``common/`` copied to ``<dest_root>/common`` so that the templates' relative paths
(``../../../../../../common`` from a point directory) resolve exactly as in the repository.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from wkpup_harness.config import Config
from wkpup_harness.errors import WkpupError
from wkpup_harness.perms import mask_copied

COMMON = "common"
CONFIG_NAME = "config.cfg"
# Run products of the core (and of the runner's logs) at the top of a domain directory.
PRODUCT_NAMES = frozenset(
    {
        "report",
        "compiled_waveform",
        "job_log.txt",
        "job_stat.log",
        "rerun.sh",
        "script_logging.log",
        ".wkpup_logs",
    }
)
# Corner directories are upper case (TT, FFG_SSG, SSAG ...); the domain's own dirs are not.
CORNER_DIR = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z][A-Z0-9]*)*")


def is_run_product(domain: Path, name: str) -> bool:
    """True for a top-level entry of ``domain`` that the core (or the runner) created."""
    if name in PRODUCT_NAMES or name.startswith("00bkp_"):
        return True
    return CORNER_DIR.fullmatch(name) is not None and (domain / name).is_dir()


def _run_products_ignore(directory: str, names: list[str]) -> set[str]:
    # Run products sit at the top of a domain (a directory holding template/); deeper down,
    # a template/TT file or a user's own folder is an input.
    here = Path(directory)
    if not (here / "template").is_dir():
        return set()
    return {n for n in names if is_run_product(here, n)}


def copy_domain(src: Path | str, dst: Path | str, *, dirs_exist_ok: bool = False) -> Path:
    """Copy a domain's inputs from ``src`` to ``dst`` and return ``dst``.

    ``src`` is one domain (``domains/gpio/1p8v``), a family (``domains/gpio``), the whole
    ``domains/`` tree or ``domains/common``: every domain directory met on the way (one that
    holds ``template/``) is copied without its run products (corner directories, ``report/``,
    ``00bkp_*``, logs: :func:`is_run_product`), so a sweep or a job left in the tree never
    reaches the copy. Dangling symbolic links are skipped; the others are copied as files.
    """
    dst = Path(dst)
    shutil.copytree(
        src,
        dst,
        ignore=_run_products_ignore,
        ignore_dangling_symlinks=True,
        dirs_exist_ok=dirs_exist_ok,
    )
    return dst


def holds_job(path: Path) -> bool:
    """A directory that exists and is not empty is taken to hold a job."""
    return path.is_dir() and any(path.iterdir())


def prepare_job_dir(
    domain: Path | str, dest_root: Path | str, config: Config | None = None
) -> Path:
    """Copy ``domain`` (without run products) to ``dest_root/<family>/<voltage>`` and return it.

    ``config``, when given, is written as the copy's ``config.cfg`` byte for byte. Raises
    WkpupError when the domain is missing or the destination already holds a job.
    """
    domain = Path(domain).resolve()
    dest_root = Path(dest_root).resolve()
    if not domain.is_dir():
        raise WkpupError(f"domain {domain}: not a directory")
    if not (domain / "template").is_dir():
        raise WkpupError(f"domain {domain}: no template/ directory (not a domain)")
    if dest_root == domain or domain in dest_root.parents:
        raise WkpupError(f"job root {dest_root} lies inside the domain {domain}")
    family, voltage = domain.parts[-2:]
    job = dest_root / family / voltage
    if holds_job(job) or (job.exists() and not job.is_dir()):
        raise WkpupError(f"{job} already holds a job; use a fresh job root")
    job.parent.mkdir(parents=True, exist_ok=True)
    # Built aside and renamed last: an interrupted copy never looks like a prepared job.
    staging = Path(tempfile.mkdtemp(prefix=f".{voltage}.partial-", dir=job.parent))
    try:
        copy_domain(domain, staging / "d")
        mask_copied(staging / "d")
        if config is not None:
            # newline="" so a config is written exactly as validated (no newline translation).
            with open(staging / "d" / CONFIG_NAME, "w", encoding="ascii", newline="") as fh:
                fh.write(config.to_text())
        try:
            os.rename(staging / "d", job)  # fails when another job took the place meanwhile
        except OSError as exc:
            raise WkpupError(f"{job} already holds a job; use a fresh job root") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    common = domain.parent.parent / COMMON
    if common.is_dir():
        # Shared by every domain prepared under this root; the same source gives the same files.
        copy_domain(common, dest_root / COMMON, dirs_exist_ok=True)
        mask_copied(dest_root / COMMON)
    return job
