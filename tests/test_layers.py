"""The layering rules of docs/architecture.md, checked on the source: they hold or a test names the offender.

Imports are read with ``ast`` (function-level imports included, since a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import ROOT

PACKAGES = ("ingest", "index", "kb")
FRONT_ENDS = (
    "kb.cli",
    "kb.cli_read",
    "kb.cli_input",
    "kb.cli_serve",
    "kb.cli_accounts",
    "kb.cli_audit",
    "kb.cli_userdata",
    "kb.cli_curate",
    "kb.ui",
    "kb.api",
)
FRONT_END_MAY_IMPORT = ("kb.service", "kb.types", "kb.config", *FRONT_ENDS)

# lower number = lower layer; a module may import only its own layer or lower ones
LAYERS = {
    "ingest.types": 0,
    "ingest.readers.limits": 0,
    "ingest": 1,
    "index": 1,
    "kb.types": 2,
    "kb.config": 2,
    "kb.faults": 2,
    "kb.store": 3,
    "kb.read": 4,
    "kb.write": 4,
    "kb.access": 4,
    "kb.service": 5,
    "kb.service_access": 5,
    "kb.service_checks": 5,
    "kb.service_reports": 5,
    "kb.service_writes": 5,
    "kb.service_replicas": 5,
    "kb.service_watch": 5,
    "kb.service_notes": 5,
    "kb.service_bulk": 5,
    "kb.service_userdata": 5,
    "kb.service_curation": 5,
    "kb.service_queries": 5,
    "kb.reports": 4,  # below the facade that offers them as verbs; they reach the kb only through it
    "kb.cli": 7,
    "kb.cli_read": 7,
    "kb.cli_input": 7,
    "kb.cli_accounts": 7,
    "kb.cli_audit": 7,
    "kb.cli_serve": 7,
    "kb.cli_userdata": 7,
    "kb.cli_curate": 7,
    "kb.ui": 7,
    "kb.api": 7,
}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    found["app"] = ROOT / "app.py"
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Project modules that ``name`` imports anywhere in its file."""
    tree = ast.parse(path.read_text("utf-8"))
    out: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(name: str) -> int:
    best = max((p for p in LAYERS if name == p or name.startswith(p + ".")), key=len, default=None)
    return LAYERS[best] if best else 99


def test_no_import_cycle() -> None:
    """Tarjan's strongly connected components over the import graph: every component is one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert not cycles, cycles


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith(("ingest", "index"))))
def test_ingest_and_index_never_import_kb(name: str) -> None:
    assert not [m for m in GRAPH[name] if m == "kb" or m.startswith("kb.")], name


def test_imports_point_down_only() -> None:
    upward = [
        (name, target, _layer(name), _layer(target))
        for name, targets in GRAPH.items()
        if name.startswith("kb")
        for target in targets
        if target.startswith("kb") and _layer(target) > _layer(name)
    ]
    assert not upward, upward


def test_reports_see_the_knowledge_base_only_through_the_facade() -> None:
    """Reports get the ``KnowledgeBase`` as a parameter: no store, read or write module, no SQL."""
    offenders = [
        (name, target)
        for name, targets in GRAPH.items()
        if name.startswith("kb.reports")
        for target in targets
        if target.startswith("kb") and not target.startswith(("kb.reports", "kb.types", "kb.config"))
    ]
    assert not offenders, offenders


def test_front_ends_use_only_the_facade() -> None:
    offenders = [
        (name, target)
        for name, targets in GRAPH.items()
        if name == "app" or name.startswith(FRONT_ENDS)
        for target in targets
        if not target.startswith(FRONT_END_MAY_IMPORT) and target not in ("kb", "kb.ui")
    ]
    assert not offenders, offenders


def test_sql_only_in_the_store() -> None:
    calls = []
    for name, path in MODULES.items():
        if name.startswith("kb.store"):
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("execute", "executemany", "executescript"):
                calls.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not calls, calls


def test_modules_and_functions_stay_small() -> None:
    too_long = []
    for path in MODULES.values():
        source = path.read_text("utf-8")
        if source.count("\n") > 400:
            too_long.append(f"{path.relative_to(ROOT)}: {source.count(chr(10))} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 80:
                    too_long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length} lines")
    assert not too_long, too_long
