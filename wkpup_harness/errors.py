"""Exceptions of the harness: every user-facing error renders as one line."""

from __future__ import annotations

from collections.abc import Sequence


def show(text: str) -> str:
    """Render untrusted text on one printable ASCII line: every character outside printable
    ASCII (CR, LF, NUL, escapes, non-ASCII) written as Python writes it (``\\n``,
    ``\\x00``, ``\\u03a9``). Printable text, backslashes included, is kept as it is, so a
    message shown twice (an error quoting another) reads the same as shown once."""
    return "".join(c if " " <= c <= "~" else c.encode("unicode_escape").decode("ascii")
                   for c in text)  # fmt: skip


class WkpupError(Exception):
    """Base of all harness errors; ``str()`` is a single line."""

    def __str__(self) -> str:
        return show(" ".join(str(a) for a in self.args))


class TableError(WkpupError):
    """A core CSV table is missing or malformed."""


class ResultError(WkpupError):
    """A result file (.mt0, report_*.txt, creport.txt, backup dir) is malformed."""


class ConfigError(WkpupError):
    """A config.cfg violates docs/config.md.

    Rendered exactly as ``ERROR: <file>:<line>: <key>: <problem>; allowed: <v1>, <v2>, ...``;
    ``line`` is None for a missing key or a table problem, and the ``:<line>`` part is omitted.

    ``problems`` holds every problem found in the same input (this one first; ``str()`` is
    this one's line only), ``field`` the form field or option it belongs to when a face asked
    for the job (``config.<key>``, ``corners``, ``temperatures``, ``name``, ``domain``), else
    None.
    """

    def __init__(
        self,
        file: str,
        key: str,
        problem: str,
        allowed: Sequence[str],
        line: int | None = None,
        *,
        field: str | None = None,
    ) -> None:
        super().__init__(file, key, problem)
        self.file = file
        self.key = key
        self.problem = problem
        self.allowed = tuple(allowed)
        self.line = line
        self.field = field
        self.problems: tuple[ConfigError, ...] = (self,)

    @classmethod
    def collected(cls, problems: Sequence[ConfigError]) -> ConfigError:
        """The first of ``problems``, carrying all of them (raise it)."""
        first = problems[0]
        first.problems = tuple(problems)
        return first

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        # Keys and problems may quote hostile input; show() keeps the message on one line.
        return (
            f"ERROR: {show(where)}: {show(self.key)}: {show(self.problem)}; "
            f"allowed: {', '.join(show(a) for a in self.allowed)}"
        )


class CoreError(WkpupError):
    """No usable core where one was asked for (path, ``$WKPUP_CORE`` or the embedded default)."""


class CoreModifiedError(CoreError):
    """The core differs from its MANIFEST.sha256; the message names every differing file.

    ``verification`` is the ``wkpup_harness.core.manifest.Verification`` that found it
    (typed loosely here because manifest imports this module).
    """

    def __init__(self, message: str, verification: object | None = None) -> None:
        super().__init__(message)
        self.verification = verification


class ExecutorError(WkpupError):
    """An executor cannot run the run stage's points (a batch system that refuses the
    submission, after its retries): the job stops with this message."""
