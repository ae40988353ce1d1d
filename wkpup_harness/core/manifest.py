"""The core's checksum manifest: `MANIFEST.sha256` at the core's root, in `sha256sum`
format (`<hex>  <relative path>`), covering every other file under it. A core whose files
differ from it in any byte, or that has files missing from it or not listed in it, is not
the validated core.

    python -m wkpup_harness.core.manifest verify [core_root]
    python -m wkpup_harness.core.manifest write  [core_root]   # only when the core changes
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

from wkpup_harness.errors import WkpupError

MANIFEST_NAME = "MANIFEST.sha256"
DEFAULT_CORE = Path(__file__).resolve().parents[2] / "pai_ho_core"


class ManifestError(WkpupError):
    """The manifest is absent or unreadable."""


@dataclass(frozen=True)
class Verification:
    core: Path
    checked: int
    modified: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.modified or self.missing or self.extra)

    def describe(self) -> str:
        if self.ok:
            return f"core OK: {self.checked} files match {self.core / MANIFEST_NAME}"
        parts = []
        for label, names in (
            ("modified", self.modified),
            ("missing", self.missing),
            ("not in manifest", self.extra),
        ):
            if names:
                parts.append(f"{label}: {', '.join(names)}")
        return f"core at {self.core} differs from its manifest; " + "; ".join(parts)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def core_files(core: Path) -> list[str]:
    """Every file under the core but the manifest, as sorted POSIX relative paths."""
    names = [
        p.relative_to(core).as_posix()
        for p in core.rglob("*")
        if (p.is_file() or p.is_symlink()) and p.name != MANIFEST_NAME
    ]
    names = [n for n in names if "__pycache__" not in n.split("/")]
    return sorted(names)


def compute(core: Path) -> dict[str, str]:
    return {name: _sha256(core / name) for name in core_files(core)}


def digest(core: Path) -> str | None:
    """sha256 of the core's manifest file: one string naming the exact validated core a job
    ran on (None when the core has no manifest)."""
    path = core / MANIFEST_NAME
    return _sha256(path) if path.is_file() else None


def read_manifest(core: Path) -> dict[str, str]:
    path = core / MANIFEST_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read the core manifest ({exc.strerror})") from exc
    entries = {}
    for number, line in enumerate(text.splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            raise ManifestError(f"{path}:{number}: not a sha256sum line: {line!r}")
        entries[name] = digest
    return entries


def verify(core: Path = DEFAULT_CORE) -> Verification:
    core = core.resolve()
    expected = read_manifest(core)
    present = set(core_files(core))
    modified = sorted(n for n in expected if n in present and _sha256(core / n) != expected[n])
    missing = sorted(n for n in expected if n not in present)
    extra = sorted(present - set(expected))
    return Verification(core, len(expected), modified, missing, extra)


def write(core: Path = DEFAULT_CORE) -> Path:
    path = core / MANIFEST_NAME
    body = "".join(f"{digest}  {name}\n" for name, digest in compute(core).items())
    tmp = path.with_suffix(".tmp")
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(path)
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in ("verify", "write") or len(args) > 2:
        print(
            "usage: python -m wkpup_harness.core.manifest verify|write [core_root]", file=sys.stderr
        )
        return 2
    core = Path(args[1]) if len(args) == 2 else DEFAULT_CORE
    try:
        if args[0] == "write":
            print(f"wrote {write(core)}")
            return 0
        result = verify(core)
    except WkpupError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    print(result.describe(), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
