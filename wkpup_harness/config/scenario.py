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
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError

from wkpup_harness.config import (
    Config,
    read_config,
    validate_temperature_subset,
)
from wkpup_harness.config.domain import check_domain
from wkpup_harness.config.tables import CoreTables
from wkpup_harness.config.yamlfile import LDict, LList, line_of, load_yaml
from wkpup_harness.config.yamlfile import cite as echo
from wkpup_harness.errors import ConfigError, WkpupError, show
from wkpup_harness.inputs import InputError, read_text
from wkpup_harness.points import Point
from wkpup_harness.results.spec import Limit, SpecError, parse_spec

SPEC_FILE = "spec.yaml"  # a domain's own spec limits, beside its config.cfg
SPEC_FILE_KEYS = {"spec", "description"}
SPEC_RULE = "a regular file inside the domain folder"
FILE_KEYS = {"domain", "config", "spec", "marks", "jobs", "golden", "description"}
JOB_KEYS = {
    "name", "config", "spec", "marks", "corners", "temperatures", "golden", "description",
    "monte_carlo",
}  # fmt: skip
# A job's monte_carlo: block (ours, docs/montecarlo.md): the config's mc_* keys, by name.
MC_BLOCK_KEYS = {"samples": "mc_samples", "seed": "mc_seed", "kind": "mc_kind", "at": "mc_at"}
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
    ConfigError line (``ERROR: file:line: key: problem; allowed: ...``).

    A plain message is a problem of a job asked for on a face (``domain_job``); ``field``
    then names the form field or option it belongs to (``corners``, ``temperatures``,
    ``name``, ``domain``), so a face never has to guess it from the text."""

    def __init__(self, problems: Sequence[ConfigError] | str, *, field: str | None = None) -> None:
        self.problems = () if isinstance(problems, str) else tuple(problems)
        self.field = field
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


_M = TypeVar("_M", bound=_Strict)


class BoundsModel(_Strict):
    min: Number | None = None
    max: Number | None = None


class LimitModel(BoundsModel):
    corners: dict[Word, BoundsModel] = {}


class MonteCarloModel(_Strict):
    """``monte_carlo: {samples: 200, seed: 1, kind: mismatch, at: worst}``: the values are
    checked as the config keys mc_samples, mc_seed, mc_kind, mc_at are."""

    samples: int
    seed: int | None = None
    kind: str | None = None
    at: str | None = None

    def overrides(self) -> dict[str, str]:
        raw = {"samples": self.samples, "seed": self.seed, "kind": self.kind, "at": self.at}
        return {MC_BLOCK_KEYS[k]: str(v) for k, v in raw.items() if v is not None}


class JobModel(_Strict):
    name: Name
    monte_carlo: MonteCarloModel | None = None
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
    # A config.cfg that is there but is no regular file is the domain's problem, named
    # with its file by check_domain / read_config, not "no config.cfg".
    if not os.path.lexists(candidate / "config.cfg"):
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
    if not path.resolve().is_relative_to(domain_dir.resolve()):
        # Never read (nor echo) a file outside the domain through a link.
        raise ScenarioError(
            [ConfigError(str(path), "file", "a link leading out of the domain", (SPEC_RULE,))]
        )
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

    def fail(self) -> ScenarioError:
        # A problem of the file's own lines (its spec, say) is found once per job: once here.
        unique = {str(p): p for p in self.problems}
        return ScenarioError(sorted(unique.values(), key=lambda e: e.line or 0))

    def override_loc(self, i: int, key: str, job: JobModel) -> tuple[tuple[Any, ...], str]:
        if key in job.config:
            return ("jobs", i, "config", key), f"jobs[{i}].config.{key}"
        return ("config", key), f"config.{key}"


@dataclass
class _File:
    """A scenario file whose shape is sound, and what its jobs are checked against."""

    model: ScenarioModel
    path: Path
    name: str
    domain_dir: Path
    base: Config
    measured: tuple[str, ...] | None
    domain_models: Mapping[str, LimitModel]
    core_corners: tuple[str, ...]
    seen: dict[str, int] = field(default_factory=dict)


# Keys whose problem leaves the rest of a file or job checkable: reported, then set aside so
# the domain and table checks still run (an unknown key is always set aside).
INDEPENDENT_KEYS = {"marks", "golden", "description", "spec"}


def _lenient(model: type[_M], raw: object, data: object, file: str, prefix: tuple[Any, ...]):
    """``raw`` validated as ``model``: (the model or None, its schema problems). A problem
    only of unknown or independent keys is reported and the model built without them, so
    one mistake never hides the others."""
    try:
        return model.model_validate(raw if raw is not None else {}), []
    except ValidationError as exc:
        problems = _schema_problems(exc, data, file, prefix)
        errors = exc.errors(include_url=False)
        if not isinstance(raw, dict) or any(not e["loc"] for e in errors):
            return None, problems
        bad = {e["loc"][0] for e in errors}
        unknown = {e["loc"][0] for e in errors if e["type"] == "extra_forbidden"}
        if not bad <= INDEPENDENT_KEYS | unknown:
            return None, problems
        try:
            return model.model_validate({k: v for k, v in raw.items() if k not in bad}), problems
        except ValidationError:
            return None, problems


def _file_model(data: object, file: str, c: _Checker) -> ScenarioModel:
    """The file's own shape (its problems added to ``c``); when it is too wrong to go on,
    its jobs are still checked, so every problem of the file is reported at once (the
    domain and table checks need a sound file)."""
    model, problems = _lenient(ScenarioModel, data, data, file, ())
    c.problems += problems
    if model is not None:
        return model
    jobs_data = data.get("jobs") if isinstance(data, dict) else None
    for i, raw in enumerate(jobs_data if isinstance(jobs_data, list) else []):
        c.problems += _lenient(JobModel, raw, data, file, ("jobs", i))[1]
    raise c.fail()


def _job_models(model: ScenarioModel, c: _Checker) -> list[JobModel | None]:
    out: list[JobModel | None] = []
    for i, raw in enumerate(model.jobs):
        job, problems = _lenient(JobModel, raw, c.data, c.file, ("jobs", i))
        c.problems += problems
        out.append(job)
    return out


def _domain_base(model: ScenarioModel, c: _Checker, domains_root: Path, tables: CoreTables):
    """The domain folder and its config, checked; a problem of either ends the checks (the
    jobs are checked against them) with every problem found so far."""
    line = line_of(c.data, ("domain",))
    problem = _domain_problem(model.domain, domains_root)
    if problem is not None:
        c.problems.append(ConfigError(c.file, "domain", problem, (DOMAIN_RULE,), line))
        raise c.fail()
    domain_dir = domains_root / model.domain
    found = check_domain(domain_dir)
    for p in found:
        # The file below the domain folder the line already names: template/sim_tx.sp.
        where = Path(p.file)
        rel = where.relative_to(domain_dir) if where.is_relative_to(domain_dir) else where
        problem = f"{model.domain}: {show(str(rel))}: {p.problem}"
        c.problems.append(ConfigError(c.file, "domain", problem, p.allowed, line))
    if found:
        raise c.fail()
    try:
        base = read_config(domain_dir / "config.cfg", tables=tables)
    except ConfigError as exc:
        for p in exc.problems:
            c.problems.append(ConfigError(c.file, "domain", f"{model.domain}: {p}", (), line))
        raise c.fail() from None
    return domain_dir, base


def scenario_from_data(
    data: object, *, path: Path, name: str, domains_root: Path, tables: CoreTables
) -> Scenario:
    """Validate a scenario already read into Python objects (every problem reported)."""
    file = str(path)
    c = _Checker(data, file)
    model = _file_model(data, file, c)
    job_models = _job_models(model, c)
    domain_dir, base = _domain_base(model, c, domains_root, tables)
    try:
        domain_models = domain_spec_models(domain_dir, tables)
    except ScenarioError as exc:
        # The domain's spec.yaml is wrong: its own lines, and this file's problems too.
        c.problems += exc.problems
        domain_models = {}
    f = _File(model, path, name, domain_dir, base, domain_measurements(domain_dir), domain_models,
              tuple(tables.corner_names()))  # fmt: skip
    jobs = []
    for i, job in enumerate(job_models):
        if job is not None:
            spec_job = _scenario_job(c, f, i, job)
            if spec_job is not None:
                jobs.append(spec_job)
    if c.problems:
        raise c.fail()
    return Scenario(path=path, name=name, jobs=tuple(jobs))


def _job_config(c: _Checker, f: _File, i: int, job: JobModel) -> Config | None:
    """The job's config: the domain's with the file's and the job's overrides."""
    mc = job.monte_carlo.overrides() if job.monte_carlo is not None else {}
    overrides = {**f.model.config, **job.config, **mc}
    try:
        return f.base.with_overrides(overrides)
    except ConfigError as exc:
        for p in exc.problems:
            # Name the override and its line, not the line of the domain's file it replaced.
            loc, key = c.override_loc(i, p.key, job)
            if p.key in mc:
                name = next(k for k, v in MC_BLOCK_KEYS.items() if v == p.key)
                loc, key = ("jobs", i, "monte_carlo", name), f"jobs[{i}].monte_carlo.{name}"
            elif p.key not in overrides:
                loc, key = ("jobs", i, "config"), f"jobs[{i}].config"
            c.add(key, p.problem, p.allowed, loc)
        return None


def _job_subsets(
    c: _Checker, i: int, job: JobModel, run_corners: list[str] | None, core_corners: Sequence[str]
):
    temperatures = None
    if job.temperatures is not None:
        try:
            temperatures = validate_temperature_subset(job.temperatures)
        except ConfigError as exc:
            loc = ("jobs", i, "temperatures")
            c.add(f"jobs[{i}].temperatures", exc.problem, exc.allowed, loc)
    corners = None if job.corners is None else tuple(job.corners)
    if corners is not None:
        allowed = run_corners if run_corners is not None else core_corners
        where = "this run" if run_corners is not None else "the core's corners"
        bad = [x for x in corners if x not in allowed]
        if bad or not corners or len(set(corners)) != len(corners):
            what = f"corner {echo(bad[0])} is not in {where}" if bad else "each corner once"
            c.add(f"jobs[{i}].corners", what, allowed, ("jobs", i, "corners"))
    return corners, temperatures


def _job_limits(
    c: _Checker, f: _File, i: int, job: JobModel, run_corners: list[str] | None
) -> dict[str, Limit]:
    spec_models = {**f.model.spec, **job.spec}
    for mname, limit in spec_models.items():
        where = ("jobs", i, "spec", mname) if mname in job.spec else ("spec", mname)
        key = f"jobs[{i}].spec.{mname}" if mname in job.spec else f"spec.{mname}"
        if f.measured is not None and mname not in f.measured:
            c.add(key, f"{echo(mname)} is not a measurement of {f.model.domain}", f.measured,
                  where)  # fmt: skip
        for corner in limit.corners:
            if run_corners is not None and corner not in run_corners:
                c.add(f"{key}.corners.{corner}", f"corner {echo(corner)} is not in this run",
                      run_corners, (*where, "corners", corner))  # fmt: skip
    # The domain's limits first; a measurement the file names is judged by the file's.
    limits: dict[str, Limit] = {}
    for mname, limit in {**f.domain_models, **spec_models}.items():
        try:
            limits.update(parse_spec({mname: limit.model_dump(exclude_none=True)}))
        except SpecError as exc:  # each measurement's limits on the line that sets them
            if mname in job.spec:
                c.add(
                    f"jobs[{i}].spec.{mname}", str(exc), ("min <= max",), ("jobs", i, "spec", mname)
                )
            elif mname in f.model.spec:
                c.add(f"spec.{mname}", str(exc), ("min <= max",), ("spec", mname))
            else:
                c.add(f"jobs[{i}].spec", str(exc), ("min <= max",), ("jobs", i))
    return limits


def _scenario_job(c: _Checker, f: _File, i: int, job: JobModel) -> JobSpec | None:
    """Job ``i`` of the file, checked; None (its problems added to ``c``) when it is wrong."""
    before = len(c.problems)
    if job.name in f.seen:
        problem = f"job name {echo(job.name)} used twice (also jobs[{f.seen[job.name]}])"
        c.add(f"jobs[{i}].name", problem, ("a name unique in the file",), ("jobs", i, "name"))
    f.seen.setdefault(job.name, i)
    config = _job_config(c, f, i, job)
    # Without a config the run's corners are unknown: corners are checked against the
    # core's, and the rest as usual.
    run_corners = None
    if config is not None:
        run_corners = list(dict.fromkeys(config.typical_corners + config.cross_corners))
    corners, temperatures = _job_subsets(c, i, job, run_corners, f.core_corners)
    spec = _job_limits(c, f, i, job, run_corners)
    if config is None or len(c.problems) > before:
        return None
    spec_job = JobSpec(
        scenario=f.name,
        name=job.name,
        domain=f.model.domain,
        domain_dir=f.domain_dir,
        config=config,
        overrides={
            **f.model.config,
            **job.config,
            **(job.monte_carlo.overrides() if job.monte_carlo is not None else {}),
        },
        corners=corners,
        temperatures=temperatures,
        spec=spec,
        golden=f.model.golden if job.golden is None else job.golden,
        marks=(*f.model.marks, *job.marks),
        source=f.path,
        description=job.description or f.model.description,
    )
    if spec_job.point_count == 0:
        c.add(f"jobs[{i}]", "the corner/temperature subset leaves no PVT point",
              ("a subset with at least one point",), ("jobs", i))  # fmt: skip
        return None
    return spec_job


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


def _domain_job_config(base: Config, overrides: Mapping[str, str], source: str) -> Config:
    """``base`` with ``overrides``, each key and value one line the core can read; a problem
    of an override is named as coming from ``source`` (it has no line in the file)."""
    for key, value in overrides.items():
        for text in (key, value):
            if CONFIG_TEXT.fullmatch(text) is None:
                raise ConfigError(source, key, f"{echo(text)} is not allowed", (CONFIG_RULE,),
                                  field=f"config.{key}")  # fmt: skip
    try:
        return base.with_overrides(overrides) if overrides else base
    except ConfigError as exc:
        if exc.key not in overrides:
            exc.field = "config"
            raise
        problems = [
            ConfigError(source, p.key, p.problem, p.allowed, field=f"config.{p.key}")
            if p.key in overrides
            else p
            for p in exc.problems
        ]
        raise ConfigError.collected(problems) from None


def _domain_job_corners(config: Config, corners: Sequence[str] | None) -> tuple[str, ...] | None:
    chosen = tuple(corners) if corners is not None else None
    if chosen is not None:
        allowed = list(dict.fromkeys(config.typical_corners + config.cross_corners))
        if not chosen or any(c not in allowed for c in chosen) or len(set(chosen)) != len(chosen):
            raise ScenarioError(
                f"corners {' '.join(map(str, chosen))}: each once, from this run's list: "
                f"{' '.join(allowed)}",
                field="corners",
            )
    return chosen


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
    own limits (``spec.yaml``, none without one). The domain folder is checked first
    (``check_domain``: its template and config.cfg as the core takes them).

    Raises ConfigError for the domain folder (every problem in ``problems``) and for a
    config value (named as coming from ``source``, e.g. ``--set``: an override has no line
    in the file), ScenarioError for the rest; each carries the ``field`` it belongs to
    (``domain``, ``config.<key>``, ``config``, ``temperatures``, ``corners``, ``name``).
    Nothing is created."""
    problems = check_domain(domain_dir)
    if problems:
        raise ConfigError.collected(problems)
    overrides = dict(overrides or {})
    config = _domain_job_config(base, overrides, source)
    try:
        temps = validate_temperature_subset(temperatures) if temperatures is not None else None
    except ConfigError as exc:
        exc.field = "temperatures"
        raise
    chosen = _domain_job_corners(config, corners)
    if name is not None and JOB_NAME.fullmatch(name) is None:
        raise ScenarioError(
            f"name {name!r}: 1 to 80 characters from letters, digits, space and _ . = / -",
            field="name",
        )
    try:
        limits = domain_limits(domain_dir, tables)
    except ScenarioError as exc:
        exc.field = "domain"
        raise
    spec = JobSpec(
        scenario=scenario,
        name=name or default_name(overrides, chosen, temps),
        domain=domain,
        domain_dir=domain_dir,
        config=config,
        overrides=overrides,
        corners=chosen,
        temperatures=temps,
        spec=limits,
        golden=False,
        marks=(),
        source=domain_dir / "config.cfg",
    )
    if spec.point_count == 0:
        raise ScenarioError(
            "the corner/temperature subset leaves no PVT point", field="temperatures"
        )
    return spec


def read_domain_job(
    domain: str,
    domain_dir: Path,
    *,
    config_file: Path | None = None,
    tables: CoreTables,
    **options: Any,
) -> JobSpec:
    """:func:`domain_job` for a face that has only the domain folder: the folder checked and
    its config read (``config_file``, default its config.cfg) in one go, so a broken template
    and a broken config.cfg are reported together (every problem in the ConfigError's
    ``problems``; ``field`` ``domain`` for the folder, ``config`` for the file's content).
    ``options`` are domain_job's (overrides, corners, temperatures, name, scenario, source)."""
    problems = check_domain(domain_dir)
    path = config_file if config_file is not None else domain_dir / "config.cfg"
    base = None
    if config_file is not None or not any(p.key == "config.cfg" for p in problems):
        try:
            base = read_config(path, tables=tables)
        except ConfigError as exc:
            for p in exc.problems:
                p.field = "domain" if p.key == "file" else "config"
            problems += list(exc.problems)
    if problems or base is None:
        raise ConfigError.collected(problems)
    return domain_job(domain, domain_dir, base, tables=tables, **options)
