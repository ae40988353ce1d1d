"""Scenario files: `regression/**/*.yaml`, each holding one or more PVT jobs of one domain.

    domain: gpio/1p8v            # a folder under domains/ (or a path)
    config: {condition: perf}    # overrides of the domain's config.cfg, for every job
    spec:                        # limits per measurement, for every job
      rwkpull0: {min: 3000, max: 20000, corners: {SSG: {max: 25000}}}
    marks: [slow]
    jobs:
      - name: perf_fast
        config: {"gs/gf_corner": "No"}
        corners: [TT, FFG, SSG]  # subset of the run's corners
        temperatures: [m40, 125] # subset of the core's temperatures (m40 125 85 100)
        spec: {vwkp: {min: 1.5}}
        golden: true             # compare with golden/<scenario>/<job>/creport.txt
        marks: [fast]

Everything is checked when the file is read, against the core's own tables, so a mistake
costs no simulation: a ScenarioError names the file, the job and the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from wkpup_harness.config import (
    Config,
    read_config,
    reject_local_pvt_loop,
    validate_temperature_subset,
)
from wkpup_harness.config.tables import CoreTables
from wkpup_harness.errors import ConfigError, WkpupError
from wkpup_harness.points import Point
from wkpup_harness.results.spec import Limit, SpecError, parse_spec

FILE_KEYS = {"domain", "config", "spec", "marks", "jobs", "golden", "description"}
JOB_KEYS = {"name", "config", "spec", "marks", "corners", "temperatures", "golden", "description"}
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class ScenarioError(WkpupError):
    """A scenario file that cannot be run as written."""


@dataclass(frozen=True)
class JobSpec:
    """One PVT job of a scenario: everything needed to run and judge it."""

    scenario: str  # path of the file below the regression root, without suffix
    name: str
    domain: str  # as written in the file, e.g. gpio/1p8v
    domain_dir: Path
    config: Config
    overrides: Mapping[str, str]
    corners: tuple[str, ...] | None
    temperatures: tuple[str, ...] | None
    spec: Mapping[str, Limit]
    golden: bool
    marks: tuple[str, ...]
    source: Path
    description: str = ""

    @property
    def job_id(self) -> str:
        return f"{self.scenario}::{self.name}"

    @property
    def points(self) -> tuple[Point, ...]:
        """The job's PVT points in the core's loop order (subsets applied)."""
        points = self.config.points(self.temperatures)
        if self.corners is not None:
            points = tuple(p for p in points if p.corner in self.corners)
        return points

    @property
    def point_count(self) -> int:
        return len(self.points)

    def core_env(self) -> dict[str, str]:
        """Environment the core reads for the subsets (PAIHO_CORNERS, PAIHO_TEMPS)."""
        env = {}
        if self.corners is not None:
            env["PAIHO_CORNERS"] = " ".join(self.corners)
        if self.temperatures is not None:
            env["PAIHO_TEMPS"] = " ".join(self.temperatures)
        return env


@dataclass(frozen=True)
class Scenario:
    path: Path
    name: str
    jobs: tuple[JobSpec, ...] = field(default_factory=tuple)


def _fail(where: str, problem: str) -> ScenarioError:
    return ScenarioError(f"{where}: {problem}")


def _mapping(value: object, where: str) -> Mapping[str, object]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _fail(where, f"expected a mapping, got {type(value).__name__}")
    return value


def _string_list(value: object, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise _fail(where, "expected a list of names")
    return tuple(str(v) for v in value)


def _overrides(value: object, where: str) -> dict[str, str]:
    out = {}
    for key, val in _mapping(value, where).items():
        if isinstance(val, bool):
            # YAML reads Yes/No as booleans; the config wants the words.
            val = "Yes" if val else "No"
        if not isinstance(val, (str, int)):
            raise _fail(f"{where}.{key}", f"expected a config value, got {type(val).__name__}")
        out[str(key)] = str(val)
    return out


def resolve_domain(domain: str, domains_root: Path) -> Path:
    path = Path(domain)
    candidate = path if path.is_absolute() else domains_root / path
    if not (candidate / "config.cfg").is_file():
        raise ScenarioError(
            f"domain {domain!r}: no config.cfg in {candidate}; domains live under {domains_root} "
            "(set --domains / --pvt-domains, $WKPUP_DOMAINS, or domains = in wkpup.toml)"
        )
    return candidate


def load_scenario(path: Path, *, root: Path, domains_root: Path, tables: CoreTables) -> Scenario:
    """Read and fully validate one scenario file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ScenarioError(
            f"{path}{line}: not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read ({exc})") from exc
    try:
        name = path.relative_to(root).with_suffix("").as_posix()
    except ValueError:
        name = path.with_suffix("").name
    return scenario_from_data(data, path=path, name=name, domains_root=domains_root, tables=tables)


def job_from_marker(
    options: Mapping[str, object],
    *,
    name: str,
    source: Path,
    scenario: str,
    domains_root: Path,
    tables: CoreTables,
) -> JobSpec:
    """The job of a Python test's ``@pytest.mark.pvt(domain=..., config=..., ...)``: the
    same keys and checks as a scenario job; no golden unless ``golden=True``."""
    body = {k: v for k, v in options.items() if k != "domain"}
    body.setdefault("name", name)
    body.setdefault("golden", False)
    data = {"domain": options.get("domain"), "jobs": [body]}
    return scenario_from_data(
        data, path=source, name=scenario, domains_root=domains_root, tables=tables
    ).jobs[0]


def scenario_from_data(
    data: object, *, path: Path, name: str, domains_root: Path, tables: CoreTables
) -> Scenario:
    """Validate a scenario already read into Python objects."""
    where = str(path)
    scenario_name = name
    top = _mapping(data, where)
    unknown = sorted(set(top) - FILE_KEYS)
    if unknown:
        raise _fail(
            where, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(FILE_KEYS))}"
        )
    if not isinstance(top.get("domain"), str):
        raise _fail(where, "'domain' (e.g. gpio/1p8v) is required")
    jobs_raw = top.get("jobs")
    if not isinstance(jobs_raw, list) or not jobs_raw:
        raise _fail(where, "'jobs' must be a non-empty list")
    domain = top["domain"]
    domain_dir = resolve_domain(domain, domains_root)
    try:
        reject_local_pvt_loop(domain_dir)  # a domain may not carry its own loop (seeds)
    except ConfigError as exc:
        raise _fail(where, str(exc)) from exc
    try:
        base = read_config(domain_dir / "config.cfg", tables=tables)
    except ConfigError as exc:
        raise _fail(where, f"domain {domain}: {exc}") from exc
    file_overrides = _overrides(top.get("config"), f"{where}: config")
    file_spec_raw = _mapping(top.get("spec"), f"{where}: spec")
    file_marks = _string_list(top.get("marks"), f"{where}: marks") or ()
    file_golden = top.get("golden", True)

    jobs = []
    seen: set[str] = set()
    for i, raw in enumerate(jobs_raw):
        jw = f"{where}: jobs[{i}]"
        job = _mapping(raw, jw)
        name = job.get("name")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise _fail(jw, "'name' is required: letters, digits, _ . - (used in test ids)")
        jw = f"{where}: job {name}"
        if name in seen:
            raise _fail(jw, "job name used twice in this file")
        seen.add(name)
        unknown = sorted(set(job) - JOB_KEYS)
        if unknown:
            raise _fail(
                jw, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(JOB_KEYS))}"
            )
        overrides = {**file_overrides, **_overrides(job.get("config"), f"{jw}: config")}
        try:
            config = base.with_overrides(overrides)
        except ConfigError as exc:
            # Name the override, not the line of the domain's file it replaced.
            raise _fail(
                jw, f"config {exc.key}: {exc.problem}; allowed: {', '.join(exc.allowed)}"
            ) from exc
        temps_raw = job.get("temperatures")
        try:
            temperatures = None if temps_raw is None else validate_temperature_subset(temps_raw)
        except ConfigError as exc:
            raise _fail(jw, str(exc)) from exc
        corners = _string_list(job.get("corners"), f"{jw}: corners")
        if corners is not None:
            run_corners = list(dict.fromkeys(config.typical_corners + config.cross_corners))
            bad = [c for c in corners if c not in run_corners]
            if bad or not corners or len(set(corners)) != len(corners):
                raise _fail(
                    jw,
                    f"corners {list(corners)}: each once, from this run's list: "
                    f"{', '.join(run_corners)}",
                )
        spec_raw = {**file_spec_raw, **_mapping(job.get("spec"), f"{jw}: spec")}
        try:
            spec = parse_spec(spec_raw)
        except SpecError as exc:
            raise _fail(jw, str(exc)) from exc
        golden = job.get("golden", file_golden)
        if not isinstance(golden, bool):
            raise _fail(jw, "'golden' must be true or false")
        marks = file_marks + (_string_list(job.get("marks"), f"{jw}: marks") or ())
        spec_job = JobSpec(
            scenario=scenario_name,
            name=name,
            domain=domain,
            domain_dir=domain_dir,
            config=config,
            overrides=overrides,
            corners=corners,
            temperatures=temperatures,
            spec=spec,
            golden=golden,
            marks=marks,
            source=path,
            description=str(job.get("description", top.get("description", ""))),
        )
        if spec_job.point_count == 0:
            raise _fail(jw, "the corner/temperature subset leaves no PVT point")
        jobs.append(spec_job)
    return Scenario(path=path, name=scenario_name, jobs=tuple(jobs))


# A domain job asked for by a person (``wkpup run <domain>``, the web's submit form): the
# overrides, subsets and name are checked here once for every face.
JOB_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.=/-]{0,79}")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def default_name(
    overrides: Mapping[str, str], corners: Sequence[str] | None, temps: Sequence[str] | None
) -> str:
    """What distinguishes this run from the domain's plain job, e.g. ``condition=htol TT m40``."""
    parts = [f"{k}={v}" for k, v in overrides.items()]
    parts += list(corners or ()) + list(temps or ())
    return " ".join(parts) or "full"


def domain_job(
    domain: str,
    domain_dir: Path,
    base: Config,
    *,
    overrides: Mapping[str, str] | None = None,
    corners: Sequence[str] | None = None,
    temperatures: Sequence[object] | None = None,
    name: str | None = None,
    scenario: str = "cli",
) -> JobSpec:
    """A job of ``domain`` from its config ``base`` with ``overrides`` (each key a real
    config key, each value one line checked against the core's tables), a corner subset of
    the run's corners and a temperature subset of the core's list. Raises ConfigError for a
    config value, ScenarioError for the rest; nothing is created."""
    overrides = dict(overrides or {})
    for key, value in overrides.items():
        if CONTROL.search(key) or CONTROL.search(value):
            raise ScenarioError(f"config {key!r}: control character (newline?) in key or value")
    reject_local_pvt_loop(domain_dir)
    config = base.with_overrides(overrides) if overrides else base
    temps = validate_temperature_subset(temperatures) if temperatures is not None else None
    chosen = tuple(corners) if corners is not None else None
    if chosen is not None:
        allowed = list(dict.fromkeys(config.typical_corners + config.cross_corners))
        if not chosen or any(c not in allowed for c in chosen) or len(set(chosen)) != len(chosen):
            raise ScenarioError(
                f"corners {' '.join(map(str, chosen))}: each once, from this run's list: "
                f"{' '.join(allowed)}"
            )
    if name is not None and JOB_NAME.fullmatch(name) is None:
        raise ScenarioError(
            f"name {name!r}: 1 to 80 characters from letters, digits, space and _ . = / -"
        )
    spec = JobSpec(
        scenario=scenario,
        name=name or default_name(overrides, chosen, temps),
        domain=domain,
        domain_dir=domain_dir,
        config=config,
        overrides=overrides,
        corners=chosen,
        temperatures=temps,
        spec={},
        golden=False,
        marks=(),
        source=domain_dir / "config.cfg",
    )
    if spec.point_count == 0:
        raise ScenarioError("the corner/temperature subset leaves no PVT point")
    return spec
