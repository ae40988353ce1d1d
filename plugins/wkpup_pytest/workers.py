"""How many xdist workers a PVT session can use: one per domain group.

Under ``--dist loadgroup`` (the plugin's default) the jobs of one domain run on one worker, so
a session of scenario files can keep at most as many workers busy as it has domains. Every
worker beyond that only starts (a Python interpreter importing pytest and the plugin, and
collecting every scenario) and idles, and xdist schedules nothing until every worker has
collected: on a small machine that start-up is the whole difference between ``-n 8`` and
``-n 2``. So when the controller can count the domains — every path of the session holds only
scenario files, no Python tests — it starts no more workers than that (``-n 8`` of two domains:
two workers). Any Python test file among the paths, a ``--tx`` of its own or another dist
mode leaves ``-n`` as given.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable
from pathlib import Path

import pytest

from wkpup_harness.config.yamlfile import load_yaml
from wkpup_harness.errors import WkpupError

YAML = (".yaml", ".yml")
NOTE_ATTR = "_wkpup_workers_note"


def _files(paths: Iterable[Path], skip: tuple[str, ...]) -> Iterable[Path]:
    """The files under ``paths``, without the directories pytest does not recurse into."""
    for path in paths:
        if path.is_dir():
            for top, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not any(fnmatch.fnmatch(d, p) for p in skip))
                yield from (Path(top) / n for n in sorted(names))
        else:
            yield path


def session_domains(
    paths: Iterable[Path], roots: list[Path], python_files: list[str], skip: tuple[str, ...] = ()
) -> set[str] | None:
    """The domains of the scenario files under ``paths``; None when they cannot be counted
    (a Python test file, an unreadable scenario, a path that is not there). ``skip``: the
    directory name patterns pytest does not recurse into (``norecursedirs``)."""
    domains: set[str] = set()
    for file in _files(paths, (".*", *skip)):
        if not file.exists():
            return None
        if file.suffix == ".py":
            if file.name != "conftest.py" and any(
                fnmatch.fnmatch(file.name, pat) for pat in python_files
            ):
                return None
            continue
        if file.suffix not in YAML or not any(r in file.parents for r in roots):
            continue
        try:
            data = load_yaml(file, "scenario")
        except WkpupError:
            return None
        domain = data.get("domain") if isinstance(data, dict) else None
        if not isinstance(domain, str):
            return None
        domains.add(domain)
    return domains


def cap(config: pytest.Config, roots: list[Path]) -> None:
    """On the xdist controller: no more ``popen`` workers than the session has domains."""
    tx = getattr(config.option, "tx", None) or []
    if hasattr(config, "workerinput") or getattr(config.option, "dist", "no") != "loadgroup":
        return
    if len(tx) < 2 or any(spec != "popen" for spec in tx):
        return
    if any("::" in a for a in config.args):
        return  # single items asked for: leave it to xdist
    here = config.invocation_params.dir
    paths = [p if p.is_absolute() else here / p for p in map(Path, config.args)]
    domains = session_domains(
        paths, roots, list(config.getini("python_files")), tuple(config.getini("norecursedirs"))
    )
    if not domains or len(domains) >= len(tx):
        return
    setattr(
        config,
        NOTE_ATTR,
        f"wkpup: {len(domains)} xdist worker(s) for {len(domains)} domain(s) (-n {len(tx)}: "
        f"a domain's jobs run on one worker, more workers would only start and idle)",
    )
    config.option.tx = tx[: len(domains)]
    config.option.numprocesses = len(domains)


def note(config: pytest.Config) -> list[str]:
    """The report header's line when the workers were capped."""
    text = getattr(config, NOTE_ATTR, None)
    return [text] if text else []
