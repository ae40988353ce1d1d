"""The result cache in the run stage (docs/cache.md): before the executor runs the points,
each point whose inputs key has a valid entry is restored from it byte for byte and booked as
reused; after a point simulated ``ok`` its outputs are stored under its key. With
``cache_verify`` K, K of the hits (chosen by a generator seeded with the job id) are simulated
instead and their outputs compared with the entry: a difference fails the point, naming the
files (a leaky key).

The run stage owns one ``PointCache`` per run; the rest of the flow (ext, srt, bkp) never
knows whether a point was simulated or reused.
"""

from __future__ import annotations

import os
import random
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from wkpup_harness.engine import cachekey
from wkpup_harness.engine.resultcache import CorruptEntry, EntryGone, ResultCache
from wkpup_harness.points import Point
from wkpup_harness.results.runlog import PointResult
from wkpup_harness.settings import Settings, default_cache_dir

# Lines of a simulator log that change from one run of the same inputs to the next (progress
# and rusage), and the rawfile's date: left out when verify compares a new run with an entry.
_VOLATILE_LOG = re.compile(
    rb"^(?: Reference value :.*|Total (?:analysis|elapsed|CPU) time.*"
    rb"|.*= +[0-9.]+ (?:[kMG]B|bytes)\.?|Total DRAM available.*|DRAM currently available.*"
    rb"|Stack = .*)\s*$",
    re.MULTILINE,
)
_RAW_DATE = re.compile(rb"^Date: [^\n]*\n", re.MULTILINE)


def cache_dir(settings: Settings) -> Path:
    return settings.cache_dir or default_cache_dir()


def enabled(settings: Settings) -> bool:
    return settings.cache or settings.cache_verify > 0


def comparable(name: str, data: bytes) -> bytes:
    """A file's bytes as verify compares them: a log without its timing and memory lines, a
    rawfile without its date."""
    if name.endswith(".log"):
        return _VOLATILE_LOG.sub(b"", data)
    if name.endswith(".raw"):
        head, sep, rest = data.partition(b"Binary:")
        return _RAW_DATE.sub(b"", head, count=1) + sep + rest
    return data


@dataclass
class Tally:
    reused: int = 0
    stored: int = 0
    verified: int = 0
    corrupt: int = 0


class PointCache:
    """The cache for one run of one job's run stage."""

    def __init__(
        self,
        settings: Settings,
        *,
        core_root: Path,
        workdir: Path,
        job_root: Path,
        tb: str,
        simulator: str,
        cpu: int,
        env: Mapping[str, str],
        job_id: int | None,
        log: IO[str],
    ) -> None:
        self.store = ResultCache(cache_dir(settings))
        self.verify_count = settings.cache_verify
        self.workdir = workdir
        self.job_root = job_root
        self.tb = tb
        self.log = log
        self.job_id = job_id
        self.models_dir = env.get("PAIHO_SKY130_MODELS")
        self.env = dict(env)
        self.inputs = cachekey.job_inputs(core_root, env, tb=tb, simulator=simulator, cpu=cpu)
        self.keys: dict[str, str] = {}
        self.verifying: dict[str, str] = {}  # point name -> key of the hit it re-simulates
        self.tally = Tally()
        # What the job-level entry (jobcache.py) depends on beyond the job's own tree: each
        # point's files outside the job directory (absolute path, sha256), and the values of
        # the environment variables its netlist's include paths name.
        self.deps: dict[str, list[tuple[str, str]]] = {}
        self.env_refs: dict[str, str | None] = {}

    def point_dir(self, point: Point) -> Path:
        return self.workdir / point.directory

    # --- before the executor ---------------------------------------------------------------------
    def reuse(self, points: Sequence[Point], book: Callable[[PointResult], None]) -> list[Point]:
        """Restore and ``book`` every hit (but the ones verify re-simulates); the points left
        to simulate."""
        candidates: list[Point] = []
        todo: list[Point] = []
        for p in points:
            key = self._key(p)
            (candidates if key is not None and self._valid(key, p) else todo).append(p)
        chosen = self._verify_choice(candidates)
        for p in candidates:
            if p.name in chosen:
                self.verifying[p.name] = self.keys[p.name]
                todo.append(p)
                continue
            t0, started = time.monotonic(), time.time()
            if self._restore(self.keys[p.name], p):
                elapsed = time.monotonic() - t0
                book(PointResult(p, True, "", 0, elapsed, started, time.time(), reused=True))
                self.tally.reused += 1
            else:
                todo.append(p)
        order = {p.name: i for i, p in enumerate(points)}
        todo.sort(key=lambda p: order[p.name])
        self.log.write(
            f"run: cache {self.store.root}: {self.tally.reused} of {len(points)} points reused"
            + (f", {len(chosen)} hit(s) simulated again to verify" if chosen else "")
            + "\n"
        )
        self.log.flush()
        return todo

    def summary(self) -> str:
        """One line for the faces: what the cache did in this run."""
        t = self.tally
        text = f"result cache: {t.reused} point(s) reused, {len(self.keys) - t.reused} simulated"
        if t.verified:
            text += f" ({t.verified} hit(s) verified)"
        if t.corrupt:
            text += f", {t.corrupt} corrupted entr{'y' if t.corrupt == 1 else 'ies'} ignored"
        return f"{text} ({self.store.root})"

    def _verify_choice(self, candidates: Sequence[Point]) -> set[str]:
        k = min(self.verify_count, len(candidates))
        rng = random.Random(f"wkpup-cache-verify:{self.job_id}")
        return {p.name for p in rng.sample(list(candidates), k)} if k else set()

    def _key(self, point: Point) -> str | None:
        try:
            netlist = (self.point_dir(point) / f"{self.tb}.sp").read_bytes()
        except OSError:
            return None
        key = self.keys[point.name] = cachekey.point_key(self.inputs, netlist, self.env)
        for name in cachekey.netlist_env(netlist):
            self.env_refs[name] = self.env.get(name)
        return key

    def _outside(self, point: Point, deps: list[tuple[str, str]]) -> None:
        self.deps[point.name] = [(ref, digest) for ref, digest in deps if os.path.isabs(ref)]

    def _valid(self, key: str, point: Point) -> bool:
        """An entry is there, readable, and every file it depends on is as it was."""
        try:
            found = self.store.meta(key)
        except CorruptEntry as exc:
            self._corrupt(key, point, str(exc))
            return False
        if found is None:
            return False
        fd, meta = found
        os.close(fd)
        deps = meta.get("deps")
        if not isinstance(deps, list) or not all(
            isinstance(d, list) and len(d) == 2 and all(isinstance(x, str) for x in d) for d in deps
        ):
            self._corrupt(key, point, "no dependency list")
            return False
        here = self.point_dir(point)
        if all(
            cachekey.file_sha256(cachekey.dep_path(ref, here)) == digest for ref, digest in deps
        ):
            self._outside(point, [(ref, digest) for ref, digest in deps])
            return True
        return False

    def _read(self, key: str) -> dict[str, bytes] | None:
        found = self.store.meta(key)
        if found is None:
            return None
        fd, meta = found
        try:
            return self.store.read_files(key, fd, meta)
        except EntryGone:  # another writer replaced it meanwhile: a miss
            return None
        finally:
            os.close(fd)

    def _restore(self, key: str, point: Point) -> bool:
        try:
            files = self._read(key)
        except CorruptEntry as exc:
            self._corrupt(key, point, str(exc))
            return False
        if files is None:
            return False
        here = self.point_dir(point)
        try:
            for old in self._outputs(here):
                old.unlink()
            for name, data in files.items():
                (here / name).write_bytes(data)
        except OSError as exc:  # the point is simulated instead (and says what is wrong)
            self.log.write(f"WARNING: run: cache: {point.name} not restored: {exc}\n")
            return False
        self.store.touch(key)
        return True

    def _corrupt(self, key: str, point: Point, why: str) -> None:
        line = (
            f"WARNING: run: cache entry {self.store.entry_dir(key)} is corrupted ({why}): "
            f"{point.name} is simulated instead"
        )
        self.log.write(line + "\n")
        print(f"wkpup: {line}", file=sys.stderr)
        self.tally.corrupt += 1
        self.store.discard(key)

    # --- after the executor booked a point -------------------------------------------------------
    def after(self, result: PointResult) -> PointResult:
        """A point the executor simulated: verify it against its hit, or store it."""
        p = result.point
        if not result.ok or result.skipped or result.reused or p.name not in self.keys:
            return result
        key = self.keys[p.name]
        if p.name in self.verifying:
            return self._verify(key, result)
        self._save(key, p)
        return result

    def _outputs(self, here: Path) -> list[Path]:
        """A point directory's run outputs: every file but the netlist."""
        try:
            return sorted(f for f in here.iterdir() if f.is_file() and f.name != f"{self.tb}.sp")
        except OSError:
            return []

    def _save(self, key: str, point: Point) -> None:
        here = self.point_dir(point)
        outputs = self._outputs(here)
        names = {f.name for f in outputs}
        decks = sorted(n for n in names if n.endswith(".cir"))
        deps = cachekey.loaded_files(here, decks, names, self.models_dir)
        meta = {
            "format": cachekey.FORMAT,
            "created": time.time(),
            "point": point.name,
            "job": self.job_id,
            "inputs": dict(self.inputs.parts),
            "deps": [
                (cachekey.dep_ref(d, here, self.job_root), cachekey.file_sha256(d)) for d in deps
            ],
        }
        self._outside(point, meta["deps"])
        try:
            files = {f.name: f.read_bytes() for f in outputs}
            if self.store.put(key, files, meta):
                self.tally.stored += 1
        except OSError as exc:  # a full or unwritable cache never fails the job
            self.log.write(f"WARNING: run: cache: {point.name} not stored: {exc}\n")

    def _verify(self, key: str, result: PointResult) -> PointResult:
        p = result.point
        try:
            cached = self._read(key) or {}
        except CorruptEntry as exc:
            self._corrupt(key, p, str(exc))
            return result
        here = self.point_dir(p)
        fresh = {f.name: f.read_bytes() for f in self._outputs(here)}
        differ = sorted(
            n
            for n in set(cached) | set(fresh)
            if comparable(n, cached.get(n, b"\0missing")) != comparable(n, fresh.get(n, b""))
        )
        self.tally.verified += 1
        if not differ:
            return result
        reason = (
            f"cache verify: {', '.join(differ)} differ(s) from cache entry {key[:16]}: "
            "a leaky cache key"
        )
        self.log.write(
            f"ERROR: run: {p.corner} {p.extraction} {p.temp_token} {p.vt}: {reason} "
            f"({self.store.entry_dir(key)})\n"
        )
        print(f"wkpup: ERROR: {p.name}: {reason}", file=sys.stderr)
        return replace(result, ok=False, reason=reason)
