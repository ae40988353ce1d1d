"""wkpup-harness: a pytest-driven PVT regression harness around the wkpup2 (ver03) core.

The library's public API, in one place (``__all__``); every other name is internal. Names
are imported on first use, so ``import wkpup_harness`` stays cheap and this package sits at
the bottom of the layer order (docs/engine.md):

- settings: ``Settings``, ``resolve_settings``
- configs and jobs: ``read_config``, ``parse_config``, ``JobSpec``, ``load_scenario``,
  ``domain_job``
- the core: ``Core``, ``locate_core``, ``guard``
- running jobs (every face's way): ``service`` (``start``, ``resume``, ``queue``, ``cancel``,
  ``judge``), ``Job``, ``Event``, ``PointResult``, ``Verdict``
- extension points: ``register_executor`` (or the ``wkpup.executors`` entry-point group),
  ``hookspecs`` (``pytest_pvt_job_event``, ``pytest_pvt_job_finished``)
- results: ``read_creport``, ``parse_creport``, ``Creport``
- the store: ``connect``, ``Recorder``
- errors: ``WkpupError`` and its kinds
"""

from __future__ import annotations

import importlib
from typing import Any

from wkpup_harness.errors import ConfigError, ResultError, TableError, WkpupError

__version__ = "0.1.0"

_EXPORTS = {
    "Settings": "wkpup_harness.settings:Settings",
    "resolve_settings": "wkpup_harness.settings:resolve",
    "read_config": "wkpup_harness.config:read_config",
    "parse_config": "wkpup_harness.config:parse_config",
    "JobSpec": "wkpup_harness.config.scenario:JobSpec",
    "load_scenario": "wkpup_harness.config.scenario:load_scenario",
    "domain_job": "wkpup_harness.config.scenario:domain_job",
    "Core": "wkpup_harness.core:Core",
    "locate_core": "wkpup_harness.core:locate_core",
    "guard": "wkpup_harness.core:guard",
    "service": "wkpup_harness.engine.service",
    "Job": "wkpup_harness.engine.job:Job",
    "Event": "wkpup_harness.engine.events:Event",
    "PointResult": "wkpup_harness.results.runlog:PointResult",
    "Verdict": "wkpup_harness.results.verdict:Verdict",
    "register_executor": "wkpup_harness.engine.executors:register",
    "hookspecs": "wkpup_harness.engine.hookspecs",
    "read_creport": "wkpup_harness.results:read_creport",
    "parse_creport": "wkpup_harness.results:parse_creport",
    "Creport": "wkpup_harness.results:Creport",
    "connect": "wkpup_harness.store:connect",
    "Recorder": "wkpup_harness.store.recorder:Recorder",
}

# Every public name (the lazy ones are _EXPORTS).
__all__ = [
    "ConfigError",
    "Core",
    "Creport",
    "Event",
    "Job",
    "JobSpec",
    "PointResult",
    "Recorder",
    "ResultError",
    "Settings",
    "TableError",
    "Verdict",
    "WkpupError",
    "__version__",
    "connect",
    "domain_job",
    "guard",
    "hookspecs",
    "load_scenario",
    "locate_core",
    "parse_config",
    "parse_creport",
    "read_config",
    "read_creport",
    "register_executor",
    "resolve_settings",
    "service",
]


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'wkpup_harness' has no attribute {name!r}")
    module, _, attr = target.partition(":")
    loaded = importlib.import_module(module)
    return getattr(loaded, attr) if attr else loaded
