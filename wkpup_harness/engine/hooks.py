"""The hooks of ``hookspecs.py`` for the faces that are not pytest (``wkpup run``/``resume``,
the web server): a pluggy PluginManager loading the modules registered under the
entry-point group ``wkpup`` (``[project.entry-points.wkpup] mysite = "mysite.hooks"``).
Under pytest, the pytest plugin manager calls the same hooks of conftests and plugins."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pluggy

from wkpup_harness.engine import hookspecs
from wkpup_harness.engine.events import Event

GROUP = "wkpup"
PREFIX = "pytest_pvt_"
log = logging.getLogger("wkpup.hooks")
_manager: PluginManager | None = None
_lock = threading.Lock()


class PluginManager(pluggy.PluginManager):
    """Takes unmarked ``pytest_pvt_*`` functions as hook implementations, as pytest does."""

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and name.startswith(PREFIX) and callable(getattr(plugin, name, None)):
            return {}
        return opts

    def has_plugins(self) -> bool:
        return bool(self.get_plugins())


def manager() -> PluginManager:
    """The process's hook manager, with the ``wkpup`` entry points loaded once."""
    global _manager
    with _lock:
        if _manager is None:
            pm = PluginManager(GROUP)
            pm.add_hookspecs(hookspecs)
            pm.load_setuptools_entrypoints(GROUP)
            _manager = pm
        return _manager


def emit(relay: Any, event: Event) -> None:
    """An event to every plugin's ``pytest_pvt_job_event`` (``relay``: a plugin manager's
    ``hook``); a plugin's error is logged."""
    try:
        relay.pytest_pvt_job_event(event=event)
    except Exception:
        log.exception("pytest_pvt_job_event")


def finished(relay: Any, job_id: int | None, spec: Any, status: str, verdict: Any) -> list[str]:
    """The gates' problems of a judged job: each plugin's answer that is a (non-empty)
    string; a hook that raises is a problem too."""
    try:
        answers = relay.pytest_pvt_job_finished(
            job_id=job_id, spec=spec, status=status, verdict=verdict
        )
    except Exception as exc:
        # A gate that breaks is a failed gate, never a passed job.
        log.exception("pytest_pvt_job_finished")
        return [f"a pytest_pvt_job_finished hook raised {type(exc).__name__}: {exc}"]
    return [a for a in answers if isinstance(a, str) and a]
