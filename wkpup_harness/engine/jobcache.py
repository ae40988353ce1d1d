"""The result cache for a whole job (docs/cache.md, "A whole job at once").

The point entries (``pointcache.py``) spare a rerun its simulations, but ``gen``, ``ext``,
``srt`` and ``bkp`` still run. A job whose inputs did not change at all is determined by them
end to end, so with the cache on its whole pipeline is an entry too:

* **key**: the point key's job constants (``cachekey.job_inputs``: the core manifest, the
  simulator, perl and bash by content, ngspice's init files, every ``POINT_ENV`` variable),
  every ``PAIHO_*`` value the core's stages get but the CPU budget's, the tables of a
  ``PAIHO_CONF_DIR``, the stage list, the points, and the job's whole prepared directory
  (the domain copy with its config and ``common/``) by content, taken before ``gen`` runs;
* **dependencies**, checked at lookup as for a point: every file outside the job's directory
  that one of its points loaded (the SKY130 model files and the trimmed copies, with their
  sha256, from the point entries) and the environment variables its netlists' include paths
  name;
* **value**: what ``gen`` .. ``bkp`` changed in the job's directory (the backup with every
  point's outputs and the reports; files removed), with the stage logs.

A hit restores that, byte for byte, with the backup named for the current minute (or
``PAIHO_BKP_TIMESTAMP``) as ``bkp`` would name it; each of the five stages is recorded as run
from the cache (its log says so), every point is booked ``reused``; the golden and spec gates
and the store run as after a simulation. The entry is written when a job ran the five stages
with the cache on and every point ended ``ok`` with a point entry (so its dependencies are
known). Only the core's pipeline (gen run ext srt bkp, ``usr_script`` after it) without
Monte Carlo samples, outside a resume and without ``cache_verify`` (which must simulate) is
served whole; anything else falls back to the point entries.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from wkpup_harness.core.stage import StageResult
from wkpup_harness.engine import cachekey, pointcache, rules
from wkpup_harness.engine.resultcache import CorruptEntry, EntryGone, ResultCache
from wkpup_harness.points import Point
from wkpup_harness.settings import Settings

JOB_FORMAT = "wkpup-job-cache 1"
KIND = "job"
# What the core's stages get that changes no output: the CPU budget, the bkp stamp (the
# restored backup is named for now, as bkp would name it).
NOT_OUTPUT_ENV = frozenset(
    {"PAIHO_JOBS", "PAIHO_SLOTS", "PAIHO_SLOT_DIR", "PAIHO_SIM_TIMEOUT", "PAIHO_BKP_TIMESTAMP"}
)
LOGS = "logs"
LOGGED_STAGES = ("gen", "ext", "srt", "bkp")
# A job whose outputs are larger is not stored whole (its points still are).
MAX_JOB_BYTES = 2 << 30


class Owner(Protocol):
    """What the job cache needs of its job (``engine.job.Job``)."""

    settings: Settings
    resuming: bool
    stages: tuple[str, ...]
    id: int | None

    @property
    def root(self) -> Path: ...
    @property
    def log_dir(self) -> Path: ...
    @property
    def tb_name(self) -> str: ...
    @property
    def points(self) -> Sequence[Point]: ...
    @property
    def backup_dir(self) -> Path | None: ...
    @property
    def workdir(self) -> Path: ...


@dataclass
class Tree:
    """A directory's content: regular files (sha256, size, mode), symlinks, directories."""

    files: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    dirs: set[str] = field(default_factory=set)

    def digest(self) -> str:
        h = hashlib.sha256()
        for rel, (sha, _, mode) in sorted(self.files.items()):
            h.update(f"f\0{rel}\0{sha}\0{mode & 0o111:o}\0".encode("utf-8", "surrogateescape"))
        for rel, target in sorted(self.links.items()):
            h.update(f"l\0{rel}\0{target}\0".encode("utf-8", "surrogateescape"))
        for rel in sorted(self.dirs):
            h.update(f"d\0{rel}\0".encode("utf-8", "surrogateescape"))
        return h.hexdigest()


class NotRegular(Exception):
    """A FIFO, socket or device in a job's tree: the job is not served whole."""


def scan(root: Path, under: Path | None = None, skip_top: str = LOGS) -> Tree:
    """Every file, link and directory under ``root`` (its top-level ``skip_top`` left out),
    or only those under its subdirectory ``under``, named relative to ``root``."""
    tree = Tree()
    for here, dnames, fnames in os.walk(under or root):
        rel_here = os.path.relpath(here, root)
        if rel_here == ".":
            dnames[:] = [d for d in dnames if d != skip_top]
        for name in [*dnames, *fnames]:
            full = os.path.join(here, name)
            rel = os.path.normpath(os.path.join(rel_here, name))
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                tree.links[rel] = os.readlink(full)
                if name in dnames:
                    dnames.remove(name)
            elif stat.S_ISDIR(st.st_mode):
                tree.dirs.add(rel)
            elif stat.S_ISREG(st.st_mode):
                tree.files[rel] = (cachekey.file_sha256(full), st.st_size, stat.S_IMODE(st.st_mode))
            else:
                raise NotRegular(rel)
    return tree


def eligible(job: Owner) -> bool:
    """Whether a job may be served or stored whole (the module's doc says when)."""
    s = job.settings
    if not s.cache or s.cache_verify > 0 or job.resuming:
        return False
    core = tuple(st for st in job.stages if st != rules.USER_STAGE)
    user_last = rules.USER_STAGE not in job.stages or job.stages[-1] == rules.USER_STAGE
    return core == rules.PIPELINE and user_last


def _safe_rel(rel: object) -> str:
    if not isinstance(rel, str) or not rel or os.path.isabs(rel) or ".." in Path(rel).parts:
        raise CorruptEntry(f"{rel!r}: not a path inside the job")
    return rel


class JobCache:
    """The job-level entry of one job: looked up before ``gen`` (``lookup``), each stage of a
    hit recorded by ``replay``, written after ``bkp`` (``save``)."""

    def __init__(
        self, job: Owner, core_root: Path, env: Mapping[str, str], *, simulator: str, cpu: int
    ) -> None:
        self.job = job
        self.store = ResultCache(pointcache.cache_dir(job.settings))
        self.env = dict(env)
        self.inputs = cachekey.job_inputs(
            core_root, env, tb=job.tb_name, simulator=simulator, cpu=cpu
        )
        self.tree: Tree | None = None  # the job's directory before gen
        self.key: str | None = None
        self.hit = False
        self.logs: dict[str, bytes] = {}  # a hit's stage logs
        self.backup: tuple[str, str] | None = None  # a hit's backup: (as stored, as restored)
        self.origin = ""  # a hit: which job stored it, when

    # --- the key ---------------------------------------------------------------------------------
    def _parts(self) -> list[tuple[str, str]]:
        assert self.tree is not None
        job = self.job
        parts = list(self.inputs.parts)
        parts += [
            ("job format", JOB_FORMAT),
            ("stages", " ".join(rules.PIPELINE)),
            ("points", " ".join(p.name for p in job.points)),
            ("tree", self.tree.digest()),
        ]
        parts += [
            (f"core env {k}", v)
            for k, v in sorted(self.env.items())
            if k.startswith("PAIHO_") and k not in NOT_OUTPUT_ENV
        ]
        conf = self.env.get("PAIHO_CONF_DIR")
        if conf:
            try:
                parts.append(("conf dir", scan(Path(conf)).digest()))
            except (OSError, NotRegular) as exc:
                parts.append(("conf dir", f"unreadable: {exc}"))
        return parts

    def lookup(self) -> bool:
        """Before gen: the key of the job's inputs; on a valid entry, the job's directory as
        the five stages would leave it (True). A miss leaves the directory untouched."""
        try:
            self.tree = scan(self.job.root)
        except (OSError, NotRegular):
            return False
        h = hashlib.sha256()
        for name, value in self._parts():
            h.update(f"{name}\0{value}\0".encode("utf-8", "surrogateescape"))
        self.key = key = h.hexdigest()
        try:
            found = self.store.meta(key)
        except CorruptEntry as exc:
            self._corrupt(str(exc))
            return False
        if found is None:
            return False
        fd, meta = found
        try:
            self.hit = self._valid(meta) and self._restore(fd, meta)
        except CorruptEntry as exc:
            self._corrupt(str(exc))
            self.hit = False
        except EntryGone:
            self.hit = False
        finally:
            os.close(fd)
        if self.hit:
            self.store.touch(key)
        return self.hit

    def _valid(self, meta: Mapping[str, Any]) -> bool:
        """An entry of a whole job whose dependencies are as they were."""
        if meta.get("kind") != KIND or meta.get("format") != JOB_FORMAT:
            raise CorruptEntry("not a job entry")
        deps, refs = meta.get("deps"), meta.get("env_refs")
        if not isinstance(deps, list) or not isinstance(refs, dict):
            raise CorruptEntry("no dependency list")
        for dep in deps:
            if not (isinstance(dep, list) and len(dep) == 2 and os.path.isabs(str(dep[0]))):
                raise CorruptEntry("no dependency list")
        if any(self.env.get(str(k)) != v for k, v in refs.items()):
            return False
        return all(cachekey.file_sha256(path) == digest for path, digest in deps)

    # --- a hit -----------------------------------------------------------------------------------
    def _restore(self, fd: int, meta: Mapping[str, Any]) -> bool:
        """The entry's files built aside in the job's directory, checked, then moved in."""
        root = self.job.root
        old = _safe_rel(meta.get("backup"))
        stamp = self.env.get("PAIHO_BKP_TIMESTAMP") or time.strftime("%Y%m%d%H%M")
        new = str(Path(old).parent / f"00bkp_{stamp}")
        if os.path.lexists(root / new):
            return False  # bkp itself would refuse: let the stages run and say so
        files = meta["files"]
        staging = Path(tempfile.mkdtemp(prefix=".wkpup-cache-", dir=root))
        try:
            for rel, blob, mode in meta.get("tree", []):
                dest = staging / self._renamed(_safe_rel(rel), old, new)
                dest.parent.mkdir(parents=True, exist_ok=True)
                self.store.copy_out(self.key or "", fd, str(blob), files.get(blob, {}), dest)
                os.chmod(dest, int(mode) & 0o777)
            for rel, target in meta.get("links", []):
                dest = staging / self._renamed(_safe_rel(rel), old, new)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(str(target), dest)
            for rel in meta.get("dirs", []):
                (staging / self._renamed(_safe_rel(rel), old, new)).mkdir(
                    parents=True, exist_ok=True
                )
            for stage, blob in dict(meta.get("logs", {})).items():
                if stage in LOGGED_STAGES:
                    tmp = staging / f".log-{stage}"
                    self.store.copy_out(self.key or "", fd, str(blob), files.get(blob, {}), tmp)
                    self.logs[stage] = tmp.read_bytes()
                    tmp.unlink()
            removed = [root / _safe_rel(rel) for rel in meta.get("removed", [])]
        except (TypeError, ValueError, KeyError) as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise CorruptEntry(f"unreadable tree: {exc}") from None
        except BaseException as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if not isinstance(exc, OSError):
                raise
            self._warn(f"not restored ({exc}): the stages run")
            return False
        # Everything is checked: now into place (an OS error from here is the job's fault).
        try:
            for path in removed:
                if path.is_file() or path.is_symlink():
                    path.unlink()
            _merge(staging, root)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self.backup = (Path(old).name, Path(new).name)
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(float(meta.get("created", 0))))
        self.origin = f"job {meta.get('job')} on {when}"
        return True

    @staticmethod
    def _renamed(rel: str, old: str, new: str) -> str:
        return new + rel[len(old) :] if rel == old or rel.startswith(old + "/") else rel

    def replay(self, stage: str) -> StageResult:
        """The record of one stage of a hit: not run, its log the stored run's (the backup
        renamed), with a line saying so."""
        started, t0 = time.time(), time.monotonic()
        log_path = self.job.log_dir / f"{stage}.log"
        text = self.logs.get(stage, b"")
        if stage == "bkp" and self.backup is not None:
            text = text.replace(self.backup[0].encode(), self.backup[1].encode())
        note = (
            f"wkpup: {stage} not run: the whole job was reused from the result cache "
            f"({self.where}; stored by {self.origin})\n"
        )
        log_path.write_bytes(
            text + (b"\n" if text and not text.endswith(b"\n") else b"") + note.encode()
        )
        return StageResult.by_engine(
            stage, log_path, started, t0, 0, ["wkpup-cache", "job", (self.key or "")[:16]]
        )

    @property
    def where(self) -> str:
        return str(self.store.entry_dir(self.key or ""))

    def summary(self) -> str:
        n = len(self.job.points)
        return (
            f"result cache: the whole job reused ({n} point(s), gen..bkp not run; "
            f"stored by {self.origin}) ({self.store.root})"
        )

    # --- after bkp -------------------------------------------------------------------------------
    def save(self, points: pointcache.PointCache | None) -> bool:
        """Store the job whole, after a bkp that ended a clean run; False when it is not
        (the reason goes nowhere: its points are stored anyway)."""
        job = self.job
        backup = job.backup_dir
        names = {p.name for p in job.points}
        if self.hit or self.tree is None or self.key is None or backup is None:
            return False
        if points is None or set(points.deps) != names:
            return False  # a point simulated outside the cache: its dependencies unknown
        # What the stages changed: the core writes in the domain's copy only (the job's
        # root also holds the executors' own files: logs/, slurm/).
        work = os.path.relpath(job.workdir, job.root)
        try:
            final = scan(job.root, under=job.workdir)
        except (OSError, NotRegular):
            return False
        inside = work + os.sep
        before = Tree(
            {r: v for r, v in self.tree.files.items() if r.startswith(inside)},
            {r: t for r, t in self.tree.links.items() if r.startswith(inside)},
            {r for r in self.tree.dirs if r.startswith(inside) or r == work},
        )
        changed = {r: v for r, v in final.files.items() if before.files.get(r) != v}
        if sum(v[1] for v in changed.values()) > MAX_JOB_BYTES:
            return False
        blobs = {v[0]: job.root / r for r, v in changed.items()}
        logs = {}
        for stage in LOGGED_STAGES:
            path = job.log_dir / f"{stage}.log"
            if path.is_file():
                sha = cachekey.file_sha256(path)
                blobs[sha], logs[stage] = path, sha
        deps = sorted({tuple(d) for per_point in points.deps.values() for d in per_point})
        meta = {
            "format": JOB_FORMAT,
            "kind": KIND,
            "created": time.time(),
            "job": job.id,
            "points": len(names),
            "inputs": dict(self._parts()),
            "deps": [list(d) for d in deps],
            "env_refs": dict(sorted(points.env_refs.items())),
            "backup": os.path.relpath(backup, job.root),
            "tree": [[r, v[0], v[2]] for r, v in sorted(changed.items())],
            "links": [[r, t] for r, t in sorted(final.links.items()) if before.links.get(r) != t],
            "dirs": sorted(final.dirs - before.dirs),
            "removed": sorted(
                (set(before.files) | set(before.links)) - set(final.files) - set(final.links)
            ),
            "logs": logs,
        }
        try:
            return self.store.put_paths(self.key, blobs, meta)
        except OSError as exc:  # a full or unwritable cache never fails the job
            self._warn(f"not stored: {exc}")
            return False

    # --- trouble ---------------------------------------------------------------------------------
    def _warn(self, what: str) -> None:
        print(f"wkpup: WARNING: result cache: job entry {self.where}: {what}", file=sys.stderr)

    def _corrupt(self, why: str) -> None:
        self._warn(f"corrupted ({why}): the job runs its stages instead")
        if self.key is not None:
            self.store.discard(self.key)


def _merge(src: Path, dst: Path) -> None:
    """Move the tree ``src`` into ``dst``: a directory not yet there at once, files replaced."""
    for entry in os.scandir(src):
        target = dst / entry.name
        if entry.is_dir(follow_symlinks=False) and target.is_dir() and not target.is_symlink():
            _merge(Path(entry.path), target)
        elif not os.path.lexists(target) or not entry.is_dir(follow_symlinks=False):
            os.replace(entry.path, target)
