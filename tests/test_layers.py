"""The shape of the code, checked by walking it (ast): the import graph of ``wkpup_harness/``
and ``plugins/`` has no cycle and every import points down the layer order of
docs/engine.md (runtime, function-local and ``if TYPE_CHECKING:`` imports alike); no function
is longer than 80 lines; ``Job(`` is constructed in one module (``engine/service.py``)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {
    "wkpup_harness": ROOT / "wkpup_harness",
    "wkpup_pytest": ROOT / "plugins" / "wkpup_pytest",
}
MAX_FUNCTION_LINES = 80

# docs/engine.md "Layers": bottom first. A module belongs to the layer of its longest
# matching prefix; an import may only point to its own layer or one below.
LAYERS: tuple[tuple[str, ...], ...] = (
    (
        "wkpup_harness",
        "wkpup_harness.errors",
        "wkpup_harness.inputs",
        "wkpup_harness.perms",
    ),
    ("wkpup_harness.settings",),
    ("wkpup_harness.points",),
    ("wkpup_harness.results",),
    (
        "wkpup_harness.report.units",
        "wkpup_harness.report.summary",
        "wkpup_harness.report.plots",
        "wkpup_harness.report.html",
        "wkpup_harness.report.verdicts",
        "wkpup_harness.report",
    ),
    ("wkpup_harness.config",),
    ("wkpup_harness.core",),
    ("wkpup_harness.engine.events",),
    ("wkpup_harness.store",),
    ("wkpup_harness.engine",),
    ("wkpup_harness.report.views",),
    ("wkpup_harness.doctor",),
    ("wkpup_harness.web",),
    ("wkpup_harness.cli",),
    ("wkpup_pytest",),
)
ENGINE_DOC = ROOT / "docs" / "engine.md"


def modules() -> dict[str, Path]:
    out = {}
    for package, root in PACKAGES.items():
        for path in root.rglob("*.py"):
            parts = [package, *path.relative_to(root).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


MODULES = modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports(module: str, path: Path) -> set[str]:
    """Every module of ours that ``module`` imports, wherever the import statement is."""
    found: set[str] = set()
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names
            ]
        else:
            continue
        for target in targets:
            resolved = _resolve(target)
            if resolved is not None and resolved != module:
                found.add(resolved)
    return found


GRAPH = {m: imports(m, p) for m, p in MODULES.items()}


def layer(module: str) -> int:
    best, rank = -1, -1
    for i, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), i
    assert rank >= 0, f"{module} is in no layer of docs/engine.md"
    return rank


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_walk_sees_the_imports_it_must() -> None:
    # A TYPE_CHECKING import, a function-local import and a relative one are all edges.
    assert "wkpup_harness.engine.events" in GRAPH["wkpup_harness.store.recorder"]
    assert "wkpup_harness.engine.points" in GRAPH["wkpup_harness.engine.local"]
    assert "wkpup_harness.engine.job" in GRAPH["wkpup_harness.engine.service"]
    assert len(MODULES) > 60


def test_import_graph_has_no_cycle() -> None:
    assert cycles(GRAPH) == []


def test_every_import_points_down_the_layers() -> None:
    upward = sorted(
        f"{a} (layer {layer(a)}) -> {b} (layer {layer(b)})"
        for a, targets in GRAPH.items()
        for b in targets
        if layer(b) > layer(a)
    )
    assert upward == []


def test_the_layers_are_the_documented_ones() -> None:
    """docs/engine.md lists the same layers, bottom first."""
    text = ENGINE_DOC.read_text(encoding="utf-8")
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| *([0-9]+) *\| *(.+?) *\|", section, re.MULTILINE)
    documented = [tuple(sorted(m.strip(" `") for m in names.split(","))) for _, names in rows]
    assert documented == [tuple(sorted(p)) for p in LAYERS]


def long_functions() -> list[str]:
    out = []
    for path in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    out.append(
                        f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)"
                    )
    return sorted(out)


def test_no_function_is_longer_than_80_lines() -> None:
    assert long_functions() == []


def test_job_is_constructed_in_one_module() -> None:
    """Every face asks ``engine.service`` for a job; none builds ``Job(...)`` itself."""
    builders = sorted(
        module
        for module, path in MODULES.items()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "Job")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "Job")
        )
    )
    assert builders == ["wkpup_harness.engine.service"]


SQL = re.compile(
    r"\b(SELECT\b.+\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
    r"CREATE\s+(TABLE|INDEX)|PRAGMA)\b",
    re.IGNORECASE | re.DOTALL,
)


def sql_outside_the_store() -> list[str]:
    """String constants that are SQL, in modules outside ``wkpup_harness.store``."""
    out = []
    for module, path in MODULES.items():
        if module.startswith("wkpup_harness.store"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and SQL.search(node.value)
            ):
                out.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return sorted(set(out))


def test_no_sql_outside_the_store() -> None:
    """Named queries live in ``store/``; the engine, the faces and the plugin call them."""
    assert sql_outside_the_store() == []


def test_no_sqlite3_outside_the_store() -> None:
    """Only ``store/`` imports sqlite3; the rest names its types through ``store.db``
    (``Connection``, ``DatabaseError``)."""
    found = []
    for module, path in MODULES.items():
        if module.startswith("wkpup_harness.store"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "sqlite3" or n.startswith("sqlite3.") for n in names):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
