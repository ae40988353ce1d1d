"""The result cache's directory: one entry per point inputs key, written whole or not at all.

Layout (docs/cache.md)::

    <cache_dir>/v1/<key[:2]>/<key>/entry.json   what the entry holds: each file's size and
                                                sha256, each dependency's sha256, when, which
                                                point
    <cache_dir>/v1/<key[:2]>/<key>/<file>       the point's outputs, byte for byte
    <cache_dir>/v1/tmp/                         entries being written

A writer builds an entry under ``tmp/`` and renames it into place (atomic on one file
system); an entry already there is first renamed aside, so a reader sees the old entry or
the new one, never a mix (it reads through a descriptor of the entry's directory). Every
file is checked against its sha256 as it is read: a corrupted entry is a miss with a
warning, and is removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

LAYOUT = "v1"
ENTRY_FILE = "entry.json"
MAX_ENTRY_JSON = 4 * 1024 * 1024


class CorruptEntry(Exception):
    """An entry whose files do not match its checksums (or whose entry.json is unreadable)."""


class EntryGone(Exception):
    """The entry was replaced or removed by another process while it was read: a miss."""


class ResultCache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.base = root / LAYOUT

    def entry_dir(self, key: str) -> Path:
        return self.base / key[:2] / key

    # --- reading ---------------------------------------------------------------------------------
    def meta(self, key: str) -> tuple[int, dict[str, Any]] | None:
        """(a descriptor of the entry's directory, its record); None when there is no entry.
        CorruptEntry when its record cannot be read. The caller closes the descriptor."""
        try:
            fd = os.open(self.entry_dir(key), os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return None
        try:
            raw = _read_at(fd, ENTRY_FILE, MAX_ENTRY_JSON)
            meta = json.loads(raw)
            if not isinstance(meta, dict) or meta.get("key") != key:
                raise ValueError("not this key's record")
            files = meta.get("files")
            if not isinstance(files, dict) or not all(
                isinstance(v, dict)
                and isinstance(v.get("sha256"), str)
                and isinstance(v.get("size"), int)
                for v in files.values()
            ):
                raise ValueError("no file list")
        except (OSError, ValueError) as exc:
            gone = isinstance(exc, OSError) and not self._still_there(key, fd)
            os.close(fd)
            if gone:  # replaced or removed by another process meanwhile: a miss
                return None
            raise CorruptEntry(f"{ENTRY_FILE}: {exc}") from None
        return fd, meta

    def read_files(self, key: str, fd: int, meta: Mapping[str, Any]) -> dict[str, bytes]:
        """Every file of an entry, each checked against its size and sha256."""
        out = {}
        for name, info in meta["files"].items():
            if "/" in name or name in ("", ".", "..", ENTRY_FILE):
                raise CorruptEntry(f"{name!r}: not a file name")
            try:
                data = _read_at(fd, name, info["size"] + 1)
            except OSError as exc:
                if not self._still_there(key, fd):
                    raise EntryGone(key) from None
                raise CorruptEntry(f"{name}: {exc.strerror}") from None
            if len(data) != info.get("size") or hashlib.sha256(data).hexdigest() != info["sha256"]:
                raise CorruptEntry(f"{name}: checksum mismatch")
            out[name] = data
        return out

    def _still_there(self, key: str, fd: int) -> bool:
        """Whether the directory open as ``fd`` is still the entry of ``key``."""
        try:
            here, there = os.fstat(fd), os.stat(self.entry_dir(key))
        except OSError:
            return False
        return (here.st_dev, here.st_ino, here.st_nlink > 0) == (there.st_dev, there.st_ino, True)

    # --- writing ---------------------------------------------------------------------------------
    def put(self, key: str, files: Mapping[str, bytes], meta: Mapping[str, Any]) -> bool:
        """Write an entry (replacing one there); False when another writer's stayed."""
        tmp = self._new_tmp()
        try:
            record = dict(meta, key=key, files={})
            for name, data in files.items():
                (tmp / name).write_bytes(data)
                record["files"][name] = {
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            return self._publish(key, tmp, record)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def put_paths(self, key: str, files: Mapping[str, Path], meta: Mapping[str, Any]) -> bool:
        """``put`` of files copied from disk (streamed: a whole job's outputs are not read
        into memory), each hashed as it is copied."""
        tmp = self._new_tmp()
        try:
            record = dict(meta, key=key, files={})
            for name, src in files.items():
                record["files"][name] = _copy_hashed(src, tmp / name)
            return self._publish(key, tmp, record)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def copy_out(self, key: str, fd: int, name: str, info: Mapping[str, Any], dest: Path) -> None:
        """One file of an entry (open as ``fd``) copied to ``dest``, checked against its size
        and sha256 as it is copied: CorruptEntry on a mismatch, EntryGone when the entry was
        replaced meanwhile."""
        if "/" in name or name in ("", ".", "..", ENTRY_FILE):
            raise CorruptEntry(f"{name!r}: not a file name")
        try:
            src = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=fd)
        except OSError as exc:
            if not self._still_there(key, fd):
                raise EntryGone(key) from None
            raise CorruptEntry(f"{name}: {exc.strerror}") from None
        with os.fdopen(src, "rb") as fh:
            got = _copy_hashed(fh, dest)
        if got["size"] != info.get("size") or got["sha256"] != info.get("sha256"):
            raise CorruptEntry(f"{name}: checksum mismatch")

    def _new_tmp(self) -> Path:
        tmp_root = self.base / "tmp"
        tmp_root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="new-", dir=tmp_root))

    def _publish(self, key: str, tmp: Path, record: Mapping[str, Any]) -> bool:
        """The entry built in ``tmp`` renamed into place (an entry there moved aside first)."""
        (tmp / ENTRY_FILE).write_text(json.dumps(record, indent=1, sort_keys=True))
        final = self.entry_dir(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(tmp, final)
            return True
        except OSError:  # an entry is there: move it aside, then try once more
            self.discard(key)
        try:
            os.rename(tmp, final)
            return True
        except OSError:  # another writer's entry came first: it stays
            return False

    def discard(self, key: str) -> None:
        """Remove an entry (renamed aside first, so readers never see half of it)."""
        final = self.entry_dir(key)
        aside = self.base / "tmp" / f"old-{key}-{os.getpid()}-{time.monotonic_ns()}"
        try:
            aside.parent.mkdir(parents=True, exist_ok=True)
            os.rename(final, aside)
        except OSError:
            return
        shutil.rmtree(aside, ignore_errors=True)

    # --- wkpup cache stats|prune -----------------------------------------------------------------
    def entries(self) -> Iterator[tuple[str, Path]]:
        if not self.base.is_dir():
            return
        for shard in sorted(self.base.iterdir()):
            if len(shard.name) != 2 or not shard.is_dir():
                continue
            for entry in shard.iterdir():
                yield entry.name, entry

    def usage(self) -> list[tuple[str, float, int]]:
        """(key, last used (epoch s), bytes) of every entry."""
        out = []
        for key, path in self.entries():
            try:
                size = sum(f.stat().st_size for f in path.iterdir())
                used = (path / ENTRY_FILE).stat().st_mtime
            except OSError:
                continue
            out.append((key, used, size))
        return out

    def touch(self, key: str) -> None:
        """Mark an entry used now (prune by age keeps what is still reused)."""
        with contextlib.suppress(OSError):
            os.utime(self.entry_dir(key) / ENTRY_FILE)

    def prune(self, *, older_than: float | None, max_bytes: int | None) -> tuple[int, int]:
        """Remove entries unused for ``older_than`` seconds, then the least recently used
        until the rest fit in ``max_bytes``; (entries removed, bytes freed). Leftovers of
        writers gone for an hour are removed too."""
        now = time.time()
        rows = sorted(self.usage(), key=lambda r: r[1])
        removed, freed = 0, 0
        total = sum(r[2] for r in rows)
        for key, used, size in rows:
            too_old = older_than is not None and now - used > older_than
            too_big = max_bytes is not None and total > max_bytes
            if not (too_old or too_big):
                continue
            self.discard(key)
            removed, freed, total = removed + 1, freed + size, total - size
        self._sweep_tmp(now)
        return removed, freed

    def _sweep_tmp(self, now: float) -> None:
        tmp = self.base / "tmp"
        if not tmp.is_dir():
            return
        for d in tmp.iterdir():
            with contextlib.suppress(OSError):
                if now - d.stat().st_mtime > 3600:
                    shutil.rmtree(d, ignore_errors=True)


def _copy_hashed(src: Path | BinaryIO, dest: Path) -> dict[str, Any]:
    """Copy a file (a path or an open binary file) to ``dest``: its size and sha256."""
    h, size = hashlib.sha256(), 0
    with contextlib.ExitStack() as stack:
        fin = stack.enter_context(open(src, "rb")) if isinstance(src, Path) else src
        fout = stack.enter_context(open(dest, "wb"))
        while chunk := fin.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
            fout.write(chunk)
    return {"size": size, "sha256": h.hexdigest()}


def _read_at(dir_fd: int, name: str, limit: int) -> bytes:
    """A regular file in a directory (by descriptor), at most ``limit`` bytes."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
    with os.fdopen(fd, "rb") as fh:
        return fh.read(max(limit, 0))
