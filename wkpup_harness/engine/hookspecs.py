"""Hooks a conftest.py or an installed plugin implements to observe or gate PVT jobs (as
pytest-xdist's ``newhooks.py``): plain functions named like these, in a ``conftest.py``
(pytest registers them with ``pytest_addhooks``) or in a module registered under the
entry-point group ``wkpup`` (the CLI and the web server load those: ``engine/hooks.py``).

They are named ``pytest_*`` because pytest only looks at such names; the same module serves
both. See docs/engine.md for an example.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("wkpup")


@hookspec
def pytest_pvt_job_event(event: Any) -> None:
    """Every event of a job, as it happens (``engine.events.Event``: ``kind`` stage-start,
    stage-end, stage-skip, point, point-retry or job-end; ``job_id``, ``stage``, ``point``,
    ``status``, ``done`` / ``total`` ...). Called in the process that runs the job (an xdist
    worker under ``-n``); it must not raise or block."""


@hookspec
def pytest_pvt_job_finished(job_id: int | None, spec: Any, status: str, verdict: Any) -> Any:
    """A job ended (``status`` completed / failed / cancelled) and was judged: ``verdict``
    is its ``results.verdict.Verdict`` (golden, spec verdicts and margins). Return a string
    to add a gate: under pytest the job's item fails with it (other faces log it); None to
    pass."""
