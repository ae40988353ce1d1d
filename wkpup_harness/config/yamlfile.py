"""The one strict YAML reader (scenario files): plain data, no YAML 1.1 surprises, bounded.

- Only the YAML 1.2 core schema's plain forms are typed: ``true``/``false``, ``null``/``~``,
  decimal integers without leading zeros (``0``, ``-12``) and decimal floats (``1.5``,
  ``2e-3``, ``.inf``, ``.nan``). Everything else is a string: ``0x10``, ``010``, ``0b11``,
  ``1:30``, ``1_0``, ``yes``/``no``/``on``/``off``, dates. Merge keys (``<<``) are a plain key.
- Explicit tags (``!!int``, ``!!python/object``, ``!foo``) are refused.
- Duplicate keys are refused at any depth, naming both lines.
- Aliases are bounded (count and expanded size: a 600-byte "billion laughs" is refused at
  once, with bounded memory), so are nesting depth, scalar length and file size.

Every problem is a ``ConfigError``: ``ERROR: file:line: key: problem; allowed: ...``.
Mappings come back as :class:`LDict` and lists as :class:`LList`, which remember the line of
each key / item, so a schema error can name the line it is about.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import BaseConstructor
from yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from wkpup_harness.errors import ConfigError
from wkpup_harness.inputs import InputError, read_text
from wkpup_harness.inputs import echo as _echo

MAX_YAML_BYTES = 256 * 1024
MAX_DEPTH = 12
MAX_ALIASES = 100
MAX_NODES = 20_000  # nodes after expanding every alias
MAX_SCALAR = 4096
ALLOWED = ("plain YAML 1.2 data: mappings, lists, text, numbers, true/false",)


class LDict(dict):  # type: ignore[type-arg]
    """A mapping read from YAML: ``line`` of the mapping, ``lines[key]`` of each key."""

    line: int | None = None
    lines: dict[Any, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = {}


class LList(list):  # type: ignore[type-arg]
    """A list read from YAML: ``line`` of the list, ``lines[i]`` of each item."""

    line: int | None = None
    lines: list[int]

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.lines = []


def cite(value: object) -> str:
    """``value`` quoted and cut for a ConfigError, which escapes the whole message itself."""
    return _echo(value, escape=False)


def line_of(data: object, loc: tuple[Any, ...]) -> int | None:
    """The line of the value at ``loc`` (keys / indexes) in data read by :func:`load_yaml`:
    the deepest line known along the path."""
    line = getattr(data, "line", None)
    node = data
    for part in loc:
        if isinstance(node, LDict) and part in node:
            line = node.lines.get(part, line)
            node = node[part]
        elif isinstance(node, LList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lines[part] if part < len(node.lines) else line
            node = node[part]
        else:
            break
    return line


class _Resolver(BaseResolver):
    pass


_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.[0-9]+(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


class _Problem(Exception):
    def __init__(self, key: str, problem: str, line: int | None) -> None:
        super().__init__(problem)
        self.key, self.problem, self.line = key, problem, line


class _Composer(Composer):
    """Bounds depth, aliases and scalars while the node graph is built."""

    def init_bounds(self) -> None:
        self._path: list[str] = []
        self._depth = 0
        self._aliases = 0

    def where(self) -> str:
        return ".".join(p for p in self._path if p) or "(top)"

    def compose_node(self, parent: Node | None, index: Any) -> Node:  # type: ignore[override]
        if isinstance(index, ScalarNode):
            part = str(index.value)
        elif isinstance(index, int) and isinstance(parent, SequenceNode):
            part = f"[{index}]"
        else:
            part = ""
        if part.startswith("[") and self._path:
            self._path[-1] += part
            pushed = False
        else:
            self._path.append(part)
            pushed = True
        try:
            event = self.peek_event()
            line = event.start_mark.line + 1
            if isinstance(event, AliasEvent):
                self._aliases += 1
                if self._aliases > MAX_ALIASES:
                    raise _Problem(self.where(), f"more than {MAX_ALIASES} aliases (*name)", line)
            else:
                tag = getattr(event, "tag", None)
                if tag not in (None, "!"):
                    raise _Problem(self.where(), f"explicit tag {cite(tag)} is not allowed", line)
            if isinstance(event, ScalarEvent) and len(event.value) > MAX_SCALAR:
                raise _Problem(
                    self.where(),
                    f"value of {len(event.value)} characters, the limit is {MAX_SCALAR}",
                    line,
                )
            if isinstance(event, CollectionStartEvent):
                self._depth += 1
                if self._depth > MAX_DEPTH:
                    raise _Problem(self.where(), f"nested deeper than {MAX_DEPTH} levels", line)
                try:
                    return super().compose_node(parent, index)
                finally:
                    self._depth -= 1
            return super().compose_node(parent, index)
        finally:
            if pushed:
                self._path.pop()
            elif self._path:
                self._path[-1] = self._path[-1][: self._path[-1].rfind("[")]


class _Constructor(BaseConstructor):
    def construct_str(self, node: ScalarNode) -> str:
        return str(node.value)

    def construct_null(self, node: ScalarNode) -> None:
        return None

    def construct_bool(self, node: ScalarNode) -> bool:
        return str(node.value).lower() == "true"

    def construct_int(self, node: ScalarNode) -> int:
        return int(node.value)

    def construct_float(self, node: ScalarNode) -> float:
        text = str(node.value).lower()
        if text.endswith(".nan"):
            return float("nan")
        if text.endswith(".inf"):
            return float("-inf") if text.startswith("-") else float("inf")
        return float(text)

    def construct_seq(self, node: SequenceNode) -> Any:
        out = LList()
        out.line = node.start_mark.line + 1
        yield out
        for child in node.value:
            out.append(self.construct_object(child, deep=True))
            out.lines.append(child.start_mark.line + 1)

    def construct_map(self, node: MappingNode) -> Any:
        out = LDict()
        out.line = node.start_mark.line + 1
        yield out
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            out[key] = self.construct_object(value_node, deep=True)
            out.lines[key] = key_node.start_mark.line + 1


for _tag, _fn in (
    ("str", _Constructor.construct_str),
    ("null", _Constructor.construct_null),
    ("bool", _Constructor.construct_bool),
    ("int", _Constructor.construct_int),
    ("float", _Constructor.construct_float),
    ("seq", _Constructor.construct_seq),
    ("map", _Constructor.construct_map),
):
    _Constructor.add_constructor(f"tag:yaml.org,2002:{_tag}", _fn)


class _Loader(Reader, Scanner, Parser, _Composer, _Constructor, _Resolver):
    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        _Composer.__init__(self)
        _Constructor.__init__(self)
        _Resolver.__init__(self)
        self.init_bounds()


def _check_graph(root: Node) -> None:
    """Keys are scalars and unique (both lines named); the graph, aliases expanded, is
    finite and small. Each node is visited once, so an alias bomb costs nothing here."""
    size: dict[int, int] = {}
    active: set[int] = set()

    def walk(node: Node, path: str) -> int:
        ident = id(node)
        if ident in size:
            return size[ident]
        line = node.start_mark.line + 1
        if ident in active:
            raise _Problem(path or "(top)", "an alias refers to its own ancestor", line)
        active.add(ident)
        total = 1
        if isinstance(node, SequenceNode):
            for i, child in enumerate(node.value):
                total += walk(child, f"{path}[{i}]")
        elif isinstance(node, MappingNode):
            seen: dict[tuple[str, str], int] = {}
            for key_node, value_node in node.value:
                key_line = key_node.start_mark.line + 1
                if not isinstance(key_node, ScalarNode):
                    raise _Problem(path or "(top)", "a key must be a plain value", key_line)
                name = f"{path}.{key_node.value}" if path else str(key_node.value)
                ident_key = (key_node.tag, str(key_node.value))
                if ident_key in seen:
                    raise _Problem(
                        name, f"duplicate key (lines {seen[ident_key]} and {key_line})", key_line
                    )
                seen[ident_key] = key_line
                total += walk(value_node, name)
        active.discard(ident)
        size[ident] = total
        if total > MAX_NODES:
            raise _Problem(
                path or "(top)", f"expands to more than {MAX_NODES} values (aliases?)", line
            )
        return total

    walk(root, "")


def parse_yaml(text: str, filename: str) -> Any:
    """``text`` as plain data (LDict / LList / str / int / float / bool / None), or
    ConfigError naming the file, line and key."""
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _check_graph(node)
            return loader.construct_document(node)
        except _Problem as exc:
            raise ConfigError(filename, exc.key, exc.problem, ALLOWED, exc.line) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ConfigError(
                filename,
                "yaml",
                f"not valid YAML ({problem})",
                ALLOWED,
                None if mark is None else mark.line + 1,
            ) from None
        except RecursionError:
            raise ConfigError(filename, "yaml", "nested too deeply", ALLOWED) from None
    finally:
        loader.dispose()


def load_yaml(path: Path | str, what: str = "YAML file") -> Any:
    """Read ``path`` (a regular file, at most MAX_YAML_BYTES, UTF-8 without NUL) and parse it
    strictly; every problem is one ConfigError line."""
    try:
        text = read_text(path, what, limit=MAX_YAML_BYTES)
    except InputError as exc:
        raise ConfigError(str(path), "file", str(exc).split(": ", 1)[-1], ALLOWED) from None
    return parse_yaml(text, str(path))
