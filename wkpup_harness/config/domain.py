"""A domain folder checked before any job of it exists: what the core's stages will take.

The core runs in (a copy of) the domain directory: ``sim_pvt.sh config.cfg <stage>`` reads
``config.cfg`` there, and gen takes ``template/*.sp`` as the testbench, refusing anything but
exactly one regular, readable file with a plain name (``stages/common.sh:paiho_find_tb``).
:func:`check_domain` finds the same problems (and links that lead out of the domain, which
the job's copy would follow) without running anything, so a bad domain is one line per
problem naming the file, and no job is recorded or created for it.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from wkpup_harness.errors import ConfigError

CONFIG_NAME = "config.cfg"
TEMPLATE_DIR = "template"
LOCAL_LOOP = "local_pvt_loop.sh"
# The testbench's name as the core's paiho_find_tb allows it (without ``.sp``).
TB_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
TEMPLATE_RULE = "exactly one *.sp testbench in template/: a regular file inside the domain"
CONFIG_FILE_RULE = "config.cfg: a regular text file inside the domain"
FIELD = "domain"


def _problem(path: Path, key: str, problem: str, allowed: str) -> ConfigError:
    return ConfigError(str(path), key, problem, (allowed,), field=FIELD)


def _not_a_file(path: Path, domain: Path) -> str | None:
    """What keeps ``path`` from being a regular, readable file inside ``domain`` (a resolved
    path); None when nothing does. Only metadata is read: a FIFO or a device is never
    opened."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISLNK(st.st_mode):
        try:
            st = os.stat(path)
        except OSError:
            return f"a dangling link (to {os.readlink(path)})"
        real = path.resolve()
        if not real.is_relative_to(domain):
            return f"a link leading out of the domain (to {real})"
    if stat.S_ISDIR(st.st_mode):
        return "a directory, not a file"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file (a pipe, device or socket)"
    if not os.access(path, os.R_OK):
        return "not readable"
    return None


def _template_dir(domain: Path) -> tuple[Path | None, list[ConfigError]]:
    tdir = domain / TEMPLATE_DIR
    if not os.path.lexists(tdir):
        return None, [_problem(tdir, TEMPLATE_DIR, "no template/ directory", TEMPLATE_RULE)]
    if not tdir.is_dir():
        what = "a dangling link" if not tdir.exists() else "not a directory"
        return None, [_problem(tdir, TEMPLATE_DIR, what, TEMPLATE_RULE)]
    real = tdir.resolve()
    if not real.is_relative_to(domain.resolve()):
        problem = f"a link leading out of the domain (to {real})"
        return None, [_problem(tdir, TEMPLATE_DIR, problem, TEMPLATE_RULE)]
    return tdir, []


def check_template(domain: Path) -> list[ConfigError]:
    """The domain's testbench template as the core's gen takes it: ``template/`` holds
    exactly one ``*.sp`` (hidden names aside, as the shell's glob), a regular readable file
    with a plain name, inside the domain."""
    tdir, problems = _template_dir(domain)
    if tdir is None:
        return problems
    try:
        names = sorted(n for n in os.listdir(tdir) if n.endswith(".sp") and not n.startswith("."))
    except OSError as exc:
        return [_problem(tdir, TEMPLATE_DIR, f"cannot be listed ({exc.strerror})", TEMPLATE_RULE)]
    if not names:
        return [_problem(tdir, TEMPLATE_DIR, "holds no *.sp testbench", TEMPLATE_RULE)]
    if len(names) > 1:
        problem = (
            f"holds {len(names)} *.sp testbenches ({', '.join(names)}); the core takes exactly one"
        )
        return [_problem(tdir, TEMPLATE_DIR, problem, TEMPLATE_RULE)]
    path = tdir / names[0]
    problem = _not_a_file(path, domain.resolve())
    if problem is None and TB_NAME.fullmatch(names[0][: -len(".sp")]) is None:
        problem = "not a testbench name the core takes (letters, digits, _ . -; not . first)"
    return [] if problem is None else [_problem(path, TEMPLATE_DIR, problem, TEMPLATE_RULE)]


def check_config_file(domain: Path) -> list[ConfigError]:
    """The domain's ``config.cfg``: a regular readable file inside the domain."""
    path = domain / CONFIG_NAME
    problem = _not_a_file(path, domain.resolve())
    return [] if problem is None else [_problem(path, CONFIG_NAME, problem, CONFIG_FILE_RULE)]


def local_loop_problem(domain: Path) -> ConfigError | None:
    """A domain carrying its own ``local_pvt_loop.sh`` (it would bypass the core's loop)."""
    path = Path(domain) / LOCAL_LOOP
    if not os.path.lexists(path):
        return None
    return ConfigError(
        str(path),
        LOCAL_LOOP,
        "local pvt_loop overrides are not supported; the core's pvt_loop.sh is used",
        ("none",),
        field=FIELD,
    )


def check_domain(domain_dir: Path | str) -> list[ConfigError]:
    """Every problem of the domain folder the core would trip over, one ConfigError each
    (its ``file`` the path at fault, its ``field`` ``domain``); [] for a sound domain.

    A missing, dangling, duplicated or non-regular template, a ``config.cfg`` that is a
    directory, FIFO or device, a link leading out of the domain, a ``local_pvt_loop.sh``.
    """
    domain = Path(domain_dir)
    if not domain.is_dir():
        return [_problem(domain, FIELD, "not a directory", "a domain folder")]
    problems = check_config_file(domain) + check_template(domain)
    loop = local_loop_problem(domain)
    return problems + ([loop] if loop is not None else [])


def domain_names(root: Path | str) -> list[str]:
    """The domains below ``root`` (``gpio/1p8v``): folders two levels down holding a
    ``config.cfg`` or a ``template/``, whatever they are, so that a face offers a broken
    domain too and :func:`check_domain` names its problem (instead of "not found")."""
    root = Path(root)
    if not root.is_dir():
        return []
    out = []
    for family in sorted(root.iterdir()):
        if not family.is_dir():
            continue
        for voltage in sorted(family.iterdir()):
            if voltage.is_dir() and any(
                os.path.lexists(voltage / name) for name in (CONFIG_NAME, TEMPLATE_DIR)
            ):
                out.append(f"{family.name}/{voltage.name}")
    return out
