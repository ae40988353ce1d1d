"""The one place where the harness opens a file a user (or an imported backup) gave it.

Every reader goes through :func:`read_input`: only regular files are read (a FIFO, a device
such as ``/dev/zero``, a directory or a socket is refused before it is opened for reading, so
nothing hangs), the size is bounded, and the problem is raised as one :class:`InputError`
line. :func:`echo` is how a hostile value is quoted back in a message: escaped and truncated,
so a 10 MB value never becomes a 10 MB error line.

A path a user gives to be *written* (``export --csv FILE``, ``db backup FILE``, a golden
file) goes through :func:`output_target` / :func:`write_output`: written aside and renamed
over the target, and only ever over a regular file (a device such as ``/dev/null``, a FIFO or
a directory is refused, never replaced by a file); a link is followed, not replaced.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from wkpup_harness.errors import WkpupError, show

#: Default bound on a file the harness reads as input (configs, scenarios, reports).
MAX_INPUT_BYTES = 4 * 1024 * 1024
#: How many characters of a value an error message quotes.
ECHO_CHARS = 60
#: A path longer than this is cut in messages like any other hostile value.
MAX_NAME = 256


class InputError(WkpupError):
    """A file or value given to the harness is not acceptable; ``str()`` is one line."""


def echo(value: object, limit: int = ECHO_CHARS, *, escape: bool = True) -> str:
    """``value`` quoted for an error message: escaped to printable ASCII, at most ``limit``
    characters of it, with the full length named when it was cut. ``escape=False`` for a
    message that is escaped as a whole later (a ConfigError), so nothing is escaped twice."""
    text = value if isinstance(value, str) else repr(value)
    quote = show if escape else str
    if len(text) > limit:
        return f"'{quote(text[:limit])}...' ({len(text)} characters)"
    return f"'{quote(text)}'"


def path_name(path: Path | str) -> str:
    """A path as messages name it: whole when it is of a sane length, else cut (echo)."""
    text = str(path)
    return show(text) if len(text) <= MAX_NAME else echo(text)


def read_input(path: Path | str, what: str = "file", *, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    Raises :class:`InputError` (one line naming the file and the problem) when it does not
    exist, is not a regular file, cannot be read, or is larger than ``limit``.
    """
    path = Path(path)
    name = path_name(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{name}: no such {what}") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read {what} ({show(exc.strerror or str(exc))})") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{name}: is a directory, expected a {what}")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(
            f"{name}: not a regular file (a pipe, device or socket), expected a {what}"
        )
    if st.st_size > limit:
        raise InputError(f"{name}: {what} is {st.st_size} bytes, the limit is {limit}")
    try:
        # O_NONBLOCK: should the path have been swapped for a FIFO since the stat, opening
        # it does not wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(f"{name}: cannot read {what} ({show(exc.strerror or str(exc))})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputError(f"{name}: not a regular file, expected a {what}")
        chunks = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise InputError(f"{name}: cannot read {what} ({show(exc.strerror or str(exc))})") from None
    finally:
        os.close(fd)
    if size > limit:
        raise InputError(f"{name}: {what} is larger than the limit of {limit} bytes")
    return b"".join(chunks)


def read_text(
    path: Path | str, what: str = "file", *, encoding: str = "utf-8", limit: int = MAX_INPUT_BYTES
) -> str:
    """:func:`read_input` decoded; undecodable bytes and NUL are refused with the offset."""
    data = read_input(path, what, limit=limit)
    name = path_name(path)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: byte {exc.start} is not {encoding} text") from None
    nul = text.find("\0")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise InputError(f"{name}:{line}: contains a NUL byte")
    return text


def output_target(path: Path | str, what: str = "output file") -> Path:
    """The regular file that writing ``path`` replaces: ``path`` itself, or where its link
    leads. Raises :class:`InputError` when it exists and is not a regular file."""
    path = Path(path)
    target = path.resolve() if path.is_symlink() else path
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise InputError(
            f"{path_name(path)}: cannot write {what} ({show(exc.strerror or str(exc))})"
        ) from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "a pipe, device or socket"
        raise InputError(
            f"{path_name(path)}: is {kind}, not a regular file; allowed: a file path "
            f"for the {what} (or - for standard output where the command takes it)"
        )
    return target


def write_output(path: Path | str, data: bytes, what: str = "output file") -> Path:
    """Write ``data`` to ``path`` whole or not at all (aside, then renamed over it)."""
    target = output_target(path, what)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
