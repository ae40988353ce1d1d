"""The bodies the API takes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from wkpup_harness.web import service


class JobRequest(BaseModel):
    """A submission: a domain with config overrides and subsets, or a scenario job."""

    model_config = ConfigDict(extra="forbid")
    domain: str | None = None
    scenario: str | None = None
    config: dict[str, str] = {}
    corners: list[str] | None = None
    temperatures: list[str] | None = None
    name: str | None = None
    stages: list[str] | None = None

    def submission(self) -> service.Submission:
        return service.Submission(
            domain=self.domain,
            scenario=self.scenario,
            config=self.config,
            corners=self.corners,
            temperatures=self.temperatures,
            name=self.name,
            stages=self.stages,
        )
