"""Scenario files (``*.yaml`` under the scenario dirs) collected as one item per PVT job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wkpup_harness.config.scenario import JobSpec, load_scenario
from wkpup_harness.errors import WkpupError

SPEC_ATTR = "pvt_spec"
SESSION_NAME = "wkpup-session"  # the WkpupSession's name in the plugin manager


def job_of(item: pytest.Item) -> JobSpec | None:
    return getattr(item, SPEC_ATTR, None)


class ScenarioFile(pytest.File):
    """A scenario YAML file: one item per job."""

    def collect(self) -> Any:
        session = self.config.pluginmanager.get_plugin(SESSION_NAME)
        try:
            scenario = load_scenario(
                Path(self.path),
                root=self._scenario_root(session.scenario_roots()),
                domains_root=session.settings.domains,
                tables=session.core.tables(),
            )
        except WkpupError as exc:
            raise self.CollectError(str(exc)) from exc
        for job in scenario.jobs:
            yield PvtItem.from_job(self, job, session.test_body)

    def _scenario_root(self, roots: list[Path]) -> Path:
        for root in roots:
            if root in Path(self.path).parents:
                return root
        return Path(self.path).parent


class PvtItem(pytest.Function):
    """One PVT job; a pytest.Function so that fixtures work as for any test (pytest#3639)."""

    @classmethod
    def from_job(cls, parent: ScenarioFile, job: JobSpec, body: Any) -> PvtItem:
        """``body`` is the scenario test function (``fixtures.check_scenario_job``)."""
        item = cls.from_parent(parent, name=job.name, callobj=body)
        setattr(item, SPEC_ATTR, job)
        family, _, voltage = job.domain.rpartition("/")
        item.extra_keyword_matches.update(
            {
                job.domain,
                job.domain.replace("/", "_"),
                family,
                voltage,
                job.config.condition,
                job.config.mode,
                "pvt",
            }
        )
        for mark in job.marks:
            item.add_marker(getattr(pytest.mark, mark))
        return item

    def reportinfo(self) -> Any:
        job = job_of(self)
        assert job is not None
        return self.path, None, f"{job.job_id} [{job.domain}, {job.point_count} points]"
