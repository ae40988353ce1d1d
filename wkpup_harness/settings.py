"""The one settings resolver, for every face (pytest, CLI, web, executors).

Each setting is looked up in this order, the first that gives it wins:

1. a command-line flag (``wkpup run --cpus 2``, ``pytest --pvt-cpus 2``);
2. the environment (``WKPUP_CPUS=2``);
3. the project file: ``wkpup.toml`` at the project root (top-level keys), else the
   ``[tool.wkpup]`` table of ``pyproject.toml`` (pytest's ini options ``pvt_core``,
   ``pvt_db``, ``pvt_domains``, ``pvt_golden_dir`` are accepted as aliases at this level);
4. the default.

Relative paths are taken relative to the project root: pytest's rootdir, or for the CLI the
nearest directory upwards from the current one holding ``wkpup.toml`` or a ``pyproject.toml``
with a ``[tool.wkpup]`` table (else the current directory). Every bad value is one line
naming where it came from.
"""

from __future__ import annotations

import math
import os
import re
import shlex
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from wkpup_harness.errors import WkpupError, show
from wkpup_harness.inputs import InputError, read_text

PROJECT_FILE = "wkpup.toml"
PYPROJECT = "pyproject.toml"
ENV_PREFIX = "WKPUP_"
EXECUTORS = ("local", "slurm")
EXECUTOR_GROUP = "wkpup.executors"  # site executors' entry points (engine/executors.py reads it)
# A Slurm partition / account / QOS name (a comma list for partitions), and one word of
# slurm_options: no blank, quote or shell metacharacter (; & | < > $ ` \\ ( ) { } * ? ! ~ #).
SLURM_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.,+@-]*")
SLURM_WORD = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")
# sbatch options the Slurm executor sets itself (its array, files and environment)
SLURM_RESERVED = (
    "-a", "--array", "-o", "--output", "-e", "--error", "--parsable", "--wrap", "-W", "--wait",
    "--export", "-D", "--chdir", "-J", "--job-name", "--open-mode",
)  # fmt: skip
REPO = Path(__file__).resolve().parents[1]
MAX_PROJECT_FILE = 1024 * 1024  # wkpup.toml / pyproject.toml
MAX_SECONDS = 30 * 24 * 3600.0  # the longest timeout a setting takes


class SettingsError(WkpupError):
    """A setting with a value it cannot take (usage error, exit 2)."""


def default_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_slot_dir() -> Path:
    """Machine-wide: every face of every project on this machine shares one set of slots."""
    base = os.environ.get("XDG_RUNTIME_DIR") or "/tmp"
    return Path(base) / f"wkpup-slots-{os.getuid()}"


def default_cache_dir() -> Path:
    """The result cache's default home, outside any checkout: ``$XDG_CACHE_HOME/wkpup/results``
    (``~/.cache/wkpup/results``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "wkpup" / "results"


@dataclass(frozen=True)
class Settings:
    project_root: Path
    core: Path | None  # None: the embedded reference core
    domains: Path
    golden: Path
    db: Path | None  # None: no store ('none')
    runs: Path
    cpus: int
    slot_dir: Path
    retries: int
    sim_timeout: float | None
    stage_timeout: float | None
    executor: str
    web_token: str | None = None  # the web server's access token off loopback (None: generated)
    near_margin: float = 0.05  # spec "near": within this fraction of the limit span or value
    slurm_partition: str | None = None
    slurm_account: str | None = None
    slurm_qos: str | None = None
    slurm_options: tuple[str, ...] = ()
    slurm_poll: float = 1.0
    store_wait: float | None = 120.0  # seconds a store write waits for another's lock
    cache: bool = False  # the result cache (docs/cache.md): reuse points whose inputs are unchanged
    cache_dir: Path | None = None  # None: default_cache_dir()
    cache_verify: int = 0  # re-simulate this many random hits per run stage and compare
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    def describe(self) -> list[str]:
        out = []
        for f in fields(self):
            if f.name in ("sources",):
                continue
            value = getattr(self, f.name)
            if f.name == "web_token" and value is not None:
                value = "(set, not shown)"
            out.append(f"{f.name} = {value} ({self.sources.get(f.name, '-')})")
        return out


# name -> (kind, default factory(root))
_PATH, _OPT_PATH, _INT, _COUNT, _SECONDS, _CHOICE = "path", "opt_path", "int", "count", "s", "c"
_TOKEN, _FRACTION = "token", "fraction"
TOKEN_CHARS = re.compile(r"[A-Za-z0-9_.~+/=-]{16,256}")
_NAME, _OPTIONS, _POLL = "name", "options", "poll"
_BOOL = "bool"
SPECS: dict[str, str] = {
    "core": _OPT_PATH,
    "domains": _PATH,
    "golden": _PATH,
    "db": _OPT_PATH,
    "runs": _PATH,
    "cpus": _INT,
    "slot_dir": _PATH,
    "retries": _COUNT,
    "sim_timeout": _SECONDS,
    "stage_timeout": _SECONDS,
    "executor": _CHOICE,
    "web_token": _TOKEN,
    "near_margin": _FRACTION,
    "slurm_partition": _NAME,
    "slurm_account": _NAME,
    "slurm_qos": _NAME,
    "slurm_options": _OPTIONS,
    "slurm_poll": _POLL,
    "store_wait": _SECONDS,
    "cache": _BOOL,
    "cache_dir": _OPT_PATH,
    "cache_verify": _COUNT,
}
# pytest ini names accepted at the project-file level
INI_ALIASES = {
    "pvt_core": "core",
    "pvt_db": "db",
    "pvt_domains": "domains",
    "pvt_golden_dir": "golden",
}


def _defaults(root: Path) -> dict[str, Any]:
    local_domains = root / "domains"
    return {
        "core": None,
        "domains": local_domains if local_domains.is_dir() else REPO / "domains",
        "golden": root / "golden",
        "db": root / ".wkpup" / "wkpup.db",
        "runs": root / ".wkpup" / "runs",
        "cpus": default_cpus(),
        "slot_dir": default_slot_dir(),
        "retries": 1,
        "sim_timeout": None,
        "stage_timeout": None,
        "executor": "local",
        "web_token": None,
        "near_margin": 0.05,
        "slurm_partition": None,
        "slurm_account": None,
        "slurm_qos": None,
        "slurm_options": (),
        "slurm_poll": 1.0,
        "store_wait": 120.0,
        "cache": False,
        "cache_dir": default_cache_dir(),
        "cache_verify": 0,
    }


def find_project_root(start: Path | None = None) -> Path:
    """The nearest directory upwards holding wkpup.toml or a pyproject.toml with
    [tool.wkpup]; else ``start`` (the current directory)."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / PROJECT_FILE).is_file():
            return d
        py = d / PYPROJECT
        if py.is_file() and "wkpup" in _pyproject_tool(py):
            return d
    return here


def _pyproject_tool(path: Path) -> dict[str, Any]:
    # A pyproject.toml that is not valid TOML belongs to some other tool's problem: ignored.
    try:
        data = tomllib.loads(read_text(path, "pyproject.toml", limit=MAX_PROJECT_FILE))
    except (InputError, tomllib.TOMLDecodeError):
        return {}
    tool = data.get("tool")
    return tool if isinstance(tool, dict) else {}


def project_file_values(root: Path) -> tuple[dict[str, Any], str]:
    """The settings of the project file and its name ('' when there is none)."""
    wk = root / PROJECT_FILE
    if os.path.lexists(wk):
        return _known(_toml(wk), str(wk)), str(wk)
    py = root / PYPROJECT
    if py.is_file():
        tool = _pyproject_tool(py)
        section = tool.get("wkpup")
        if section is not None and not isinstance(section, dict):
            raise SettingsError(f"{py}: [tool.wkpup]: expected a table of settings")
        out: dict[str, Any] = {}
        ini = tool.get("pytest", {}).get("ini_options", {}) if isinstance(tool, dict) else {}
        if isinstance(ini, dict):
            for alias, name in INI_ALIASES.items():
                if alias in ini:
                    out[name] = ini[alias]
        if isinstance(section, dict):
            out.update(_known(section, f"{py} [tool.wkpup]"))
        if out:
            return out, f"{py}"
    return {}, ""


def _toml(path: Path) -> dict[str, Any]:
    """A project file read through the one input reader (a regular file, bounded) and parsed;
    a problem is one SettingsError line naming the file."""
    try:
        return tomllib.loads(read_text(path, "project file", limit=MAX_PROJECT_FILE))
    except InputError as exc:
        raise SettingsError(f"{path}: cannot read: {str(exc).removeprefix(f'{path}: ')}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {show(str(exc))}") from None


def _known(data: Mapping[str, Any], where: str) -> dict[str, Any]:
    unknown = sorted(set(data) - set(SPECS))
    if unknown:
        raise SettingsError(
            f"{where}: unknown setting(s) {', '.join(map(show, unknown))}; "
            f"allowed: {', '.join(SPECS)}"
        )
    return dict(data)


def _float(value: Any) -> float:
    """``value`` as a float; NaN for what is not a number (true/false included)."""
    try:
        return float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        return math.nan


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _shown(value: Any) -> str:
    return repr(show(str(value))[:80])


def _to_path(kind: str, name: str, value: Any, where: str, root: Path) -> Path | None:
    if not isinstance(value, (str, os.PathLike)) or str(value) == "":
        if kind == _OPT_PATH and value in (None, ""):
            return None
        raise SettingsError(f"{where}: {name} {_shown(value)}: expected a path")
    if kind == _OPT_PATH and name == "db" and str(value).lower() == "none":
        return None
    p = Path(os.path.expanduser(str(value)))
    return p if p.is_absolute() else root / p


def _to_count(kind: str, name: str, value: Any, where: str, root: Path) -> int:
    lowest = 1 if kind == _INT else 0
    number: int | None = None
    text = _text(value)
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif text is not None and text.strip().isascii() and text.strip().isdigit():
        digits = text.strip()
        number = int(digits) if len(digits) <= 6 else None
    if number is None or number < lowest or number > 4096:
        raise SettingsError(
            f"{where}: {name} {_shown(value)}: expected a whole number from {lowest} to 4096"
        )
    return number


def _to_seconds(kind: str, name: str, value: Any, where: str, root: Path) -> float | None:
    text = _text(value)
    if value is None or (text is not None and text.strip().lower() in ("", "none")):
        return None
    seconds = _float(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise SettingsError(f"{where}: {name} {_shown(value)}: expected seconds > 0")
    if seconds > MAX_SECONDS:
        raise SettingsError(
            f"{where}: {name} {_shown(value)}: expected seconds > 0 and at most "
            f"{MAX_SECONDS:.0f} (30 days)"
        )
    return seconds


def _to_token(kind: str, name: str, value: Any, where: str, root: Path) -> str | None:
    if value in (None, ""):
        return None
    text = _text(value)
    if text is None or TOKEN_CHARS.fullmatch(text) is None:
        raise SettingsError(
            f"{where}: {name}: expected 16 to 256 characters from A-Z a-z 0-9 _ . ~ + / = -"
        )
    return text


def _to_fraction(kind: str, name: str, value: Any, where: str, root: Path) -> float:
    fraction = _float(value)
    if not math.isfinite(fraction) or not 0 <= fraction < 1:
        raise SettingsError(f"{where}: {name} {_shown(value)}: expected a fraction from 0 to 1")
    return fraction


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


def _to_bool(kind: str, name: str, value: Any, where: str, root: Path) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value)
    word = text.strip().lower() if text is not None else None
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise SettingsError(f"{where}: {name} {_shown(value)}: expected true or false")


def executor_names() -> tuple[str, ...]:
    """The executors a setting may name: the built-in ones and every site executor
    registered through the ``wkpup.executors`` entry-point group (docs/engine.md)."""
    from importlib.metadata import entry_points

    found = [ep.name for ep in entry_points(group=EXECUTOR_GROUP)]
    return tuple(dict.fromkeys([*EXECUTORS, *sorted(found)]))


def _to_choice(kind: str, name: str, value: Any, where: str, root: Path) -> str:
    allowed = executor_names()
    if value not in allowed:
        raise SettingsError(f"{where}: {name} {_shown(value)}; allowed: {', '.join(allowed)}")
    return value


def _to_name(kind: str, name: str, value: Any, where: str, root: Path) -> str | None:
    text = _text(value)
    if value is None or (text is not None and text.strip() == ""):
        return None
    if text is None or SLURM_NAME.fullmatch(text.strip()) is None:
        raise SettingsError(
            f"{where}: {name} {_shown(value)}: expected a Slurm name (letters, digits, _ . , + @ -)"
        )
    return text.strip()


def _to_options(kind: str, name: str, value: Any, where: str, root: Path) -> tuple[str, ...]:
    return slurm_options(value, f"{where}: {name}")


def _to_poll(kind: str, name: str, value: Any, where: str, root: Path) -> float:
    seconds = _float(value)
    if not math.isfinite(seconds) or not 0.05 <= seconds <= 60:
        raise SettingsError(f"{where}: {name} {_shown(value)}: expected seconds from 0.05 to 60")
    return seconds


# One converter per kind of setting: the value as given (a flag's text, an environment
# variable's, a TOML value) to its type, or SettingsError naming where it came from.
_CONVERTERS: dict[str, Callable[[str, str, Any, str, Path], Any]] = {
    _PATH: _to_path,
    _OPT_PATH: _to_path,
    _INT: _to_count,
    _COUNT: _to_count,
    _SECONDS: _to_seconds,
    _TOKEN: _to_token,
    _FRACTION: _to_fraction,
    _CHOICE: _to_choice,
    _NAME: _to_name,
    _OPTIONS: _to_options,
    _POLL: _to_poll,
    _BOOL: _to_bool,
}


def _convert(name: str, value: Any, where: str, root: Path) -> Any:
    kind = SPECS[name]
    return _CONVERTERS[kind](kind, name, value, where, root)


def slurm_options(value: Any, where: str) -> tuple[str, ...]:
    """Extra sbatch options: a string split like a shell would (shlex), each word free of
    shell metacharacters, the first an option, none the executor sets itself."""
    if value is None:
        return ()
    if not isinstance(value, str):
        raise SettingsError(f"{where}: expected a string of sbatch options")
    try:
        words = tuple(shlex.split(value))
    except ValueError as exc:
        raise SettingsError(f"{where} {show(value)[:80]!r}: {exc}") from None
    for word in words:
        if word == "--":
            raise SettingsError(f"{where}: a bare -- would end sbatch's options")
        if SLURM_WORD.fullmatch(word) is None:
            raise SettingsError(
                f"{where}: {show(word)[:80]!r}: not a plain sbatch option word "
                "(no blanks, quotes or shell metacharacters)"
            )
        key = word.split("=", 1)[0]
        if word.startswith("--"):  # sbatch takes unambiguous prefixes of long options too
            taken = [r for r in SLURM_RESERVED if key != "--" and r.startswith(key)]
        else:
            taken = [r for r in SLURM_RESERVED if len(r) == 2 and word[:2] == r]
        if taken:
            raise SettingsError(f"{where}: {taken[0]} is set by the Slurm executor itself")
    if words and not words[0].startswith("-"):
        raise SettingsError(f"{where}: {show(words[0])[:80]!r}: expected an option (-x, --x)")
    return words


def project_core_configured(
    root: Path,
    *,
    flag: object = None,
    ini: object = None,
    env: Mapping[str, str] | None = None,
) -> bool:
    """Whether the project at ``root`` asks for the harness (the pytest plugin's activation):
    a core named by a flag (``--pvt-core``), ``$WKPUP_CORE`` or pytest's ``pvt_core`` ini
    option, a ``wkpup.toml`` at the root, or ``core =`` in the project file. Looked up in the
    same places, with the same project-file reader, as :func:`resolve`."""
    env = os.environ if env is None else env
    if flag or env.get(ENV_PREFIX + "CORE") or ini:
        return True
    if (root / PROJECT_FILE).is_file():
        return True
    values, _ = project_file_values(root)
    return "core" in values


def resolve(
    flags: Mapping[str, Any] | None = None,
    *,
    project_root: Path | None = None,
    env: Mapping[str, str] | None = None,
    ini: Mapping[str, Any] | None = None,
    flag_names: Mapping[str, str] | None = None,
) -> Settings:
    """Settings from ``flags`` (None values ignored) > environment > project file (and
    ``ini``, pytest's ini values, as aliases there) > defaults. ``flag_names`` says how the
    face spells each flag in errors (pytest: ``--pvt-cpus``; default ``--cpus``)."""
    root = (project_root or find_project_root()).resolve()
    env = os.environ if env is None else env
    file_values, file_name = project_file_values(root)
    for alias, name in INI_ALIASES.items():
        if ini and ini.get(alias) not in (None, "") and name not in file_values:
            file_values[name] = ini[alias]
            file_name = file_name or f"pytest ini {alias}"
    values = _defaults(root)
    sources = dict.fromkeys(values, "default")
    for name in SPECS:
        flag = (flags or {}).get(name)
        env_name = ENV_PREFIX + name.upper()
        if flag is not None:
            spelt = (flag_names or {}).get(name) or f"--{name.replace('_', '-')}"
            values[name] = _convert(name, flag, spelt, root)
            sources[name] = "flag"
        elif env.get(env_name, "") != "":
            values[name] = _convert(name, env[env_name], f"{env_name}", root)
            sources[name] = "environment"
        elif name in file_values:
            values[name] = _convert(name, file_values[name], file_name or "project file", root)
            sources[name] = file_name
    return Settings(project_root=root, sources=sources, **values)
