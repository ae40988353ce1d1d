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

Everything is checked when the file is read (strict YAML, ``config/yamlfile.py``; a pydantic
schema with exact types; the domain, its measurements and the core's own tables), so a
mistake costs no simulation: a ScenarioError lists every problem of the file, each a
ConfigError line ``ERROR: file:line: key: problem; allowed: ...`` (docs/scenarios.md).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError

from wkpup_harness.config import (
    Config,
    read_config,
    reject_local_pvt_loop,
    validate_temperature_subset,
)
from wkpup_harness.config.tables import CoreTables
from wkpup_harness.config.yamlfile import LDict, LList, line_of, load_yaml
from wkpup_harness.config.yamlfile import cite as echo
from wkpup_harness.errors import ConfigError, WkpupError
from wkpup_harness.inputs import InputError, read_text
from wkpup_harness.points import Point
from wkpup_harness.results.spec import Limit, SpecError, parse_spec

SPEC_FILE = "spec.yaml"  # a domain's own spec limits, beside its config.cfg
SPEC_FILE_KEYS = {"spec", "description"}
FILE_KEYS = {"domain", "config", "spec", "marks", "jobs", "golden", "description"}
JOB_KEYS = {"name", "config", "spec", "marks", "corners", "temperatures", "golden", "description"}
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
NAME_RULE = "1 to 120 of letters, digits, _ . - (first a letter or digit)"
MARK = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
MARK_RULE = "a pytest mark name: a letter, then up to 39 letters, digits or _"
DOMAIN_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
DOMAIN_RULE = "a folder under the domains root, e.g. gpio/1p8v (no .., no absolute path)"
# A config key or value as the core's `IFS=: read` line reader can take it: printable ASCII.
CONFIG_TEXT = re.compile(r"[ -~]{0,200}")
CONFIG_RULE = "one line of printable ASCII (no newline, CR, NUL or control character)"
EXTRA_COLUMNS = ("temper", "alter#")  # creport columns besides the template's measurements
# How a template's measurement is named (the core's ngspice_deck.pl takes the same).
MEAS_LINE = re.compile(r"^\s*\.mea(?:s|sure)?\s+\w+\s+([A-Za-z_]\w*)", re.IGNORECASE | re.MULTILINE)


class ScenarioError(WkpupError):
    """A scenario file that cannot be run as written: every problem found, each a
    ConfigError line (``ERROR: file:line: key: problem; allowed: ...``). ``field``: the input
    a plain message is about (``corners``, ``name``, ``temperatures``), for the faces."""

    def __init__(self, problems: Sequence[ConfigError] | str, field: str | None = None) -> None:
        # A plain message: a problem of a job asked for on a face (``domain_job``).
        self.field = field
        self.problems = () if isinstance(problems, str) else tuple(problems)
        super().__init__(problems if isinstance(problems, str) else "")

    def __str__(self) -> str:
        if not self.problems:
            return super().__str__()
        return "\n".join(str(p) for p in self.problems)


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


# --- the schema: exact types, unknown keys refused --------------------------------------------
def _text(pattern: re.Pattern[str], rule: str) -> Any:
    def check(value: object) -> str:
        if not isinstance(value, str):
            raise ValueError(f"expected text, got {_kind(value)} {echo(value)}; allowed: {rule}")
        if pattern.fullmatch(value) is None:
            raise ValueError(f"{echo(value)} is not allowed; allowed: {rule}")
        return value

    return PlainValidator(check)


def _config_value(value: object) -> str:
    # Strings and whole numbers only: true/false, lists, floats are not config text.
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(
            f"expected text or a whole number, got {_kind(value)} {echo(value)}; "
            f"allowed: {CONFIG_RULE} (write Yes / No, not true / false)"
        )
    text = str(value)
    if CONFIG_TEXT.fullmatch(text) is None:
        raise ValueError(f"{echo(text)} is not allowed; allowed: {CONFIG_RULE}")
    return text


def _kind(value: object) -> str:
    return {
        bool: "true/false", int: "a number", float: "a number", type(None): "nothing",
        LDict: "a mapping", dict: "a mapping", LList: "a list", list: "a list", str: "text",
    }.get(type(value), type(value).__name__)  # fmt: skip


Name = Annotated[str, _text(re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,119}"), NAME_RULE)]
Mark = Annotated[str, _text(MARK, MARK_RULE)]
ConfigKey = Annotated[str, _text(re.compile(r"[ -~]{1,40}"), CONFIG_RULE)]
ConfigValue = Annotated[str, PlainValidator(_config_value)]
Word = Annotated[str, _text(re.compile(r"[A-Za-z0-9_#.+-]{1,64}"), "a name (letters, digits, _)")]
Number = Annotated[float, Field(allow_inf_nan=False)]
Text = Annotated[str, Field(max_length=1000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class BoundsModel(_Strict):
    min: Number | None = None
    max: Number | None = None


class LimitModel(BoundsModel):
    corners: dict[Word, BoundsModel] = {}


class JobModel(_Strict):
    name: Name
    config: dict[ConfigKey, ConfigValue] = {}
    spec: dict[Word, LimitModel] = {}
    marks: list[Mark] = []
    corners: list[Word] | None = None
    temperatures: Any = None  # checked against the core's list (validate_temperature_subset)
    golden: bool | None = None
    description: Text = ""


class DomainSpecModel(_Strict):
    """``<domain>/spec.yaml``: the limits every job of the domain is judged by."""

    spec: dict[Word, LimitModel] = {}
    description: Text = ""


class ScenarioModel(_Strict):
    domain: Annotated[str, Field(max_length=200)]
    config: dict[ConfigKey, ConfigValue] = {}
    spec: dict[Word, LimitModel] = {}
    marks: list[Mark] = []
    jobs: Annotated[list[Any], Field(min_length=1, max_length=500)]  # each a JobModel
    golden: bool = True
    description: Text = ""


_TYPE_ALLOWED = {
    "string_type": "text",
    "bool_type": "true, false",
    "float_type": "a number",
    "int_type": "a whole number",
    "finite_number": "finite numbers (no .nan, .inf)",
    "list_type": "a list",
    "too_short": "at least one job",
    "too_long": "fewer items",
    "string_too_long": "shorter text",
    "missing": "required",
}


def _shown(value: object) -> str:
    """What a wrong value is, for a message: its kind, and itself (cut) when it is a scalar."""
    return _kind(value) if isinstance(value, (dict, list)) else f"{_kind(value)} {echo(value)}"


def _allowed_keys(loc: tuple[Any, ...], top: set[str] = FILE_KEYS) -> tuple[str, ...]:
    """The keys allowed in the mapping at ``loc`` (a path into ScenarioModel's data, or into
    the file whose top-level keys are ``top``)."""
    if not loc:
        return tuple(sorted(top))
    if loc[0] == "jobs" and len(loc) == 2:
        return tuple(sorted(JOB_KEYS))
    if "spec" in loc:
        rest = loc[loc.index("spec") + 1 :]
        return ("min", "max", "corners") if len(rest) == 1 else ("min", "max")
    return ()


def _schema_problems(
    exc: ValidationError,
    data: object,
    file: str,
    prefix: tuple[Any, ...] = (),
    top: set[str] = FILE_KEYS,
) -> list[ConfigError]:
    out = []
    for err in exc.errors(include_url=False):
        loc = prefix + tuple(p for p in err["loc"] if p != "[key]")
        key = ""
        for part in loc:
            key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
        kind = err["type"]
        line = line_of(data, loc)
        if kind == "extra_forbidden":
            problem, allowed = "unknown key", _allowed_keys(loc[:-1], top)
        elif kind == "missing":
            problem, allowed = "missing required key", (str(loc[-1]),)
            line = line_of(data, loc[:-1])
        elif kind in ("model_type", "dict_type"):
            problem, allowed = f"expected a mapping, got {_shown(err.get('input'))}", ("a mapping",)
        elif kind == "too_short":
            problem, allowed = "empty list", (_TYPE_ALLOWED[kind],)
        elif kind == "value_error":
            msg = str(err["msg"]).removeprefix("Value error, ")
            problem, _, rule = msg.partition("; allowed: ")
            allowed = (rule,) if rule else ()
        else:
            msg = str(err["msg"]).lower().removeprefix("input ")
            problem = f"{msg}, got {_shown(err.get('input'))}"
            allowed = (_TYPE_ALLOWED.get(kind, "see docs/scenarios.md"),)
        out.append(ConfigError(file, key or "(top)", problem, allowed, line))
    return out


# --- reading and checking ---------------------------------------------------------------------
def _domain_problem(domain: str, domains_root: Path) -> str | None:
    parts = domain.split("/")
    if not domain or any(DOMAIN_PART.fullmatch(p) is None or p in (".", "..") for p in parts):
        return f"{echo(domain)} is not allowed"
    candidate = domains_root / domain
    if not candidate.resolve().is_relative_to(domains_root.resolve()):
        return f"{echo(domain)} leads out of the domains root {domains_root} (a link)"
    if not (candidate / "config.cfg").is_file():
        return (
            f"{echo(domain)}: no config.cfg in {candidate} (set --domains / --pvt-domains, "
            "$WKPUP_DOMAINS, or domains = in wkpup.toml)"
        )
    return None


def resolve_domain(domain: str, domains_root: Path) -> Path:
    """The domain folder ``domains_root/<domain>``: a relative path of plain names that stays
    inside the root once links are followed, holding a config.cfg; else ScenarioError."""
    problem = _domain_problem(domain, domains_root)
    if problem is not None:
        raise ScenarioError([ConfigError(str(domains_root), "domain", problem, (DOMAIN_RULE,))])
    return domains_root / domain


def domain_measurements(domain_dir: Path) -> tuple[str, ...] | None:
    """The creport columns a domain's testbench produces (its ``.meas`` names, lowercased as
    the core writes them, then temper, alter#); None when the template cannot tell."""
    found = sorted((domain_dir / "template").glob("*.sp"))
    if not found:
        return None
    try:
        text = read_text(found[0], "testbench")
    except InputError:
        return None
    names = tuple(dict.fromkeys(m.lower() for m in MEAS_LINE.findall(text)))
    return (*names, *EXTRA_COLUMNS) if names else None


def domain_spec_models(domain_dir: Path, tables: CoreTables) -> dict[str, LimitModel]:
    """The limits of ``domain_dir/spec.yaml`` (every job of the domain is judged by them,
    whichever face starts it; a scenario's ``spec:`` replaces a measurement's limits), or {}
    when the domain has no such file. ScenarioError lists every problem, each with its line."""
    path = domain_dir / SPEC_FILE
    if not os.path.lexists(path):
        return {}
    try:
        data = load_yaml(path, "domain spec file")
    except ConfigError as exc:
        raise ScenarioError([exc]) from None
    file = str(path)
    try:
        model = DomainSpecModel.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems = _schema_problems(exc, data, file, top=SPEC_FILE_KEYS)
        raise ScenarioError(sorted(problems, key=lambda e: e.line or 0)) from None
    problems = []

    def add(key: str, problem: str, allowed: Sequence[str], loc: tuple[Any, ...]) -> None:
        problems.append(ConfigError(file, key, problem, allowed, line_of(data, loc)))

    measured = domain_measurements(domain_dir)
    corners = tables.corner_names()
    for mname, limit in model.spec.items():
        where = ("spec", mname)
        if measured is not None and mname not in measured:
            add(f"spec.{mname}", f"{echo(mname)} is not a measurement of this domain", measured,
                where)  # fmt: skip
        for corner in limit.corners:
            if corner not in corners:
                add(f"spec.{mname}.corners.{corner}", f"corner {echo(corner)} is not a corner"
                    " of the core", corners, (*where, "corners", corner))  # fmt: skip
        try:
            parse_spec({mname: limit.model_dump(exclude_none=True)})
        except SpecError as exc:
            add(f"spec.{mname}", str(exc), ("min <= max",), where)
    if problems:
        raise ScenarioError(sorted(problems, key=lambda e: e.line or 0))
    return dict(model.spec)


def domain_limits(domain_dir: Path, tables: CoreTables) -> dict[str, Limit]:
    """The domain's own limits as the spec checker takes them ({} without a spec.yaml)."""
    models = domain_spec_models(domain_dir, tables)
    return parse_spec({k: v.model_dump(exclude_none=True) for k, v in models.items()})


def load_scenario(path: Path, *, root: Path, domains_root: Path, tables: CoreTables) -> Scenario:
    """Read and fully validate one scenario file; ScenarioError lists every problem."""
    try:
        data = load_yaml(path, "scenario file")
    except ConfigError as exc:
        raise ScenarioError([exc]) from None
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
    # A tuple in Python is a list in YAML: the schema takes lists only.
    body = {k: list(v) if isinstance(v, tuple) else v for k, v in options.items() if k != "domain"}
    body.setdefault("name", name)
    body.setdefault("golden", False)
    data = {"domain": options.get("domain"), "jobs": [body]}
    return scenario_from_data(
        data, path=source, name=scenario, domains_root=domains_root, tables=tables
    ).jobs[0]


class _Checker:
    """The checks against the domain and the core's tables, every problem collected."""

    def __init__(self, data: object, file: str) -> None:
        self.data = data
        self.file = file
        self.problems: list[ConfigError] = []

    def add(self, key: str, problem: str, allowed: Sequence[str], loc: tuple[Any, ...]) -> None:
        self.problems.append(ConfigError(self.file, key, problem, allowed, line_of(self.data, loc)))

    def override_loc(self, i: int, key: str, job: JobModel) -> tuple[tuple[Any, ...], str]:
        if key in job.config:
            return ("jobs", i, "config", key), f"jobs[{i}].config.{key}"
        return ("config", key), f"config.{key}"


def scenario_from_data(
    data: object, *, path: Path, name: str, domains_root: Path, tables: CoreTables
) -> Scenario:
    """Validate a scenario already read into Python objects (every problem reported)."""
    file = str(path)
    try:
        model = ScenarioModel.model_validate(data if data is not None else {})
    except ValidationError as exc:
        # The file's own shape is wrong: its jobs are still checked, so every problem of
        # the file is reported at once (the domain and table checks need a sound file).
        problems = _schema_problems(exc, data, file)
        jobs_data = data.get("jobs") if isinstance(data, dict) else None
        for i, raw in enumerate(jobs_data if isinstance(jobs_data, list) else []):
            try:
                JobModel.model_validate(raw)
            except ValidationError as job_exc:
                problems += _schema_problems(job_exc, data, file, ("jobs", i))
        raise ScenarioError(sorted(problems, key=lambda e: e.line or 0)) from None
    c = _Checker(data, file)
    job_models: list[JobModel] = []
    for i, raw in enumerate(model.jobs):
        try:
            job_models.append(JobModel.model_validate(raw))
        except ValidationError as exc:
            c.problems += _schema_problems(exc, data, file, ("jobs", i))
            job_models.append(None)  # type: ignore[arg-type]
    problem = _domain_problem(model.domain, domains_root)
    if problem is not None:
        line = line_of(data, ("domain",))
        raise ScenarioError([ConfigError(file, "domain", problem, (DOMAIN_RULE,), line)])
    domain_dir = domains_root / model.domain
    try:
        reject_local_pvt_loop(domain_dir)  # a domain may not carry its own loop (seeds)
        base = read_config(domain_dir / "config.cfg", tables=tables)
    except ConfigError as exc:
        raise ScenarioError(
            [ConfigError(file, "domain", f"{model.domain}: {exc}", (), line_of(data, ("domain",)))]
        ) from None
    measured = domain_measurements(domain_dir)
    try:
        domain_models = domain_spec_models(domain_dir, tables)
    except ScenarioError as exc:
        # The domain's spec.yaml is wrong: its own lines, and this file's problems too.
        c.problems += exc.problems
        domain_models = {}
    seen: dict[str, int] = {}
    jobs = []
    for i, job in enumerate(job_models):
        if job is None:
            continue
        before = len(c.problems)
        if job.name in seen:
            problem = f"job name {echo(job.name)} used twice (also jobs[{seen[job.name]}])"
            c.add(f"jobs[{i}].name", problem, ("a name unique in the file",), ("jobs", i, "name"))
        seen.setdefault(job.name, i)
        overrides = {**model.config, **job.config}
        try:
            config = base.with_overrides(overrides)
        except ConfigError as exc:
            # Name the override and its line, not the line of the domain's file it replaced.
            loc, key = c.override_loc(i, exc.key, job)
            if exc.key not in overrides:
                loc, key = ("jobs", i, "config"), f"jobs[{i}].config"
            c.add(key, exc.problem, exc.allowed, loc)
            continue
        temperatures = None
        if job.temperatures is not None:
            try:
                temperatures = validate_temperature_subset(job.temperatures)
            except ConfigError as exc:
                loc = ("jobs", i, "temperatures")
                c.add(f"jobs[{i}].temperatures", exc.problem, exc.allowed, loc)
        run_corners = list(dict.fromkeys(config.typical_corners + config.cross_corners))
        corners = None if job.corners is None else tuple(job.corners)
        if corners is not None:
            bad = [x for x in corners if x not in run_corners]
            if bad or not corners or len(set(corners)) != len(corners):
                what = f"corner {echo(bad[0])} is not in this run" if bad else "each corner once"
                c.add(f"jobs[{i}].corners", what, run_corners, ("jobs", i, "corners"))
        spec_models = {**model.spec, **job.spec}
        for mname, limit in spec_models.items():
            where = ("jobs", i, "spec", mname) if mname in job.spec else ("spec", mname)
            key = f"jobs[{i}].spec.{mname}" if mname in job.spec else f"spec.{mname}"
            if measured is not None and mname not in measured:
                c.add(key, f"{echo(mname)} is not a measurement of {model.domain}", measured, where)
            for corner in limit.corners:
                if corner not in run_corners:
                    c.add(f"{key}.corners.{corner}", f"corner {echo(corner)} is not in this run",
                          run_corners, (*where, "corners", corner))  # fmt: skip
        # The domain's limits first; a measurement the file names is judged by the file's.
        spec_models = {**domain_models, **spec_models}
        try:
            spec = parse_spec({k: v.model_dump(exclude_none=True) for k, v in spec_models.items()})
        except SpecError as exc:
            c.add(f"jobs[{i}].spec", str(exc), ("min <= max",), ("jobs", i))
            spec = {}
        golden = model.golden if job.golden is None else job.golden
        if len(c.problems) > before:
            continue
        spec_job = JobSpec(
            scenario=name,
            name=job.name,
            domain=model.domain,
            domain_dir=domain_dir,
            config=config,
            overrides=overrides,
            corners=corners,
            temperatures=temperatures,
            spec=spec,
            golden=golden,
            marks=(*model.marks, *job.marks),
            source=path,
            description=job.description or model.description,
        )
        if spec_job.point_count == 0:
            c.add(f"jobs[{i}]", "the corner/temperature subset leaves no PVT point",
                  ("a subset with at least one point",), ("jobs", i))  # fmt: skip
            continue
        jobs.append(spec_job)
    if c.problems:
        raise ScenarioError(sorted(c.problems, key=lambda e: e.line or 0))
    return Scenario(path=path, name=name, jobs=tuple(jobs))


# A domain job asked for by a person (``wkpup run <domain>``, the web's submit form): the
# overrides, subsets and name are checked here once for every face.
JOB_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.=/-]{0,79}")


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
    source: str = "override",
    tables: CoreTables,
) -> JobSpec:
    """A job of ``domain`` from its config ``base`` with ``overrides`` (each key a real
    config key, each value one line checked against the core's tables), a corner subset of
    the run's corners and a temperature subset of the core's list, judged by the domain's
    own limits (``spec.yaml``, none without one). Raises ConfigError for a
    config value (named as coming from ``source``, e.g. ``--set``: an override has no line
    in the file), ScenarioError for the rest; nothing is created."""
    overrides = dict(overrides or {})
    for key, value in overrides.items():
        for text in (key, value):
            if CONFIG_TEXT.fullmatch(text) is None:
                raise ConfigError(source, key, f"{echo(text)} is not allowed", (CONFIG_RULE,))
    reject_local_pvt_loop(domain_dir)
    try:
        config = base.with_overrides(overrides) if overrides else base
    except ConfigError as exc:
        if exc.key not in overrides:
            raise
        raise ConfigError(source, exc.key, exc.problem, exc.allowed) from None
    temps = validate_temperature_subset(temperatures) if temperatures is not None else None
    chosen = tuple(corners) if corners is not None else None
    if chosen is not None:
        allowed = list(dict.fromkeys(config.typical_corners + config.cross_corners))
        if not chosen or any(c not in allowed for c in chosen) or len(set(chosen)) != len(chosen):
            raise ScenarioError(
                f"corners {' '.join(map(str, chosen))}: each once, from this run's list: "
                f"{' '.join(allowed)}",
                field="corners",
            )
    if name is not None and JOB_NAME.fullmatch(name) is None:
        raise ScenarioError(
            f"name {name!r}: 1 to 80 characters from letters, digits, space and _ . = / -",
            field="name",
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
        spec=domain_limits(domain_dir, tables),
        golden=False,
        marks=(),
        source=domain_dir / "config.cfg",
    )
    if spec.point_count == 0:
        raise ScenarioError(
            "the corner/temperature subset leaves no PVT point", field="temperatures"
        )
    return spec
