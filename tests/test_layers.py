"""The code's layers: imports go one way only, no circles, small modules each saying its job.

The layers, bottom to top (docs/architecture.md walks a refresh down them). A module may import
from its own layer or any layer below it, never above; a module in no layer fails the test,
so a new module has to be placed before it can land.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pipeline", "assets")
LAYERS: tuple[tuple[str, ...], ...] = (
    ("pipeline", "pipeline.config", "pipeline.errors", "pipeline.memory"),
    ("pipeline.extract",),
    ("pipeline.sources",),
    ("pipeline.model",),
    ("pipeline.checks",),
    ("pipeline.build",),
    ("pipeline.figures",),
    ("assets",),
    ("pipeline.reports",),
    ("pipeline.refresh", "pipeline.asset_metadata", "pipeline.definitions", "pipeline.cli"),
)
MAX_LINES = 500
MAX_TOP_LEVEL = 10


def modules(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file under the packages."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules a file imports, anywhere in it (in functions too)."""

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                target = full if full in known else resolve(node.module)
                if target:
                    out.add(target)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                target = resolve(alias.name)
                if target:
                    out.add(target)
    return out


def layer_of(module: str, layers=LAYERS) -> int | None:
    """The layer of the longest prefix naming `module` or a package holding it."""
    best: tuple[int, int] | None = None
    for rank, prefixes in enumerate(layers):
        for prefix in prefixes:
            inside = module == prefix or module.startswith(prefix + ".")
            if inside and (best is None or len(prefix) > best[1]):
                best = (rank, len(prefix))
    return None if best is None else best[0]


def graph(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, set[str]]:
    known = modules(root, packages)
    return {name: imports_of(path, known) - {name} for name, path in known.items()}


def upward_imports(edges: dict[str, set[str]], layers=LAYERS) -> list[str]:
    problems = []
    for module, targets in sorted(edges.items()):
        mine = layer_of(module, layers)
        if mine is None:
            problems.append(f"{module} is in no layer (add it to LAYERS in tests/test_layers.py)")
            continue
        for target in sorted(targets):
            theirs = layer_of(target, layers)
            if theirs is not None and theirs > mine:
                problems.append(f"{module} (layer {mine}) imports {target} (layer {theirs})")
    return problems


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_imports_only_go_down_the_layers():
    assert upward_imports(graph(ROOT)) == []


def test_no_import_circles():
    assert circles(graph(ROOT)) == []


def test_at_most_ten_modules_directly_in_pipeline():
    top = sorted(p.name for p in (ROOT / "pipeline").glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL, top


@pytest.mark.parametrize("name", sorted(modules(ROOT)))
def test_module_is_small_and_says_its_job(name):
    path = modules(ROOT)[name]
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines"
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert doc and len(doc.split()) >= 5, f"{path.relative_to(ROOT)} needs a docstring"


def test_every_reference_table_is_described_in_its_readme():
    folder = ROOT / "pipeline" / "layouts"
    described = set(re.findall(r"^\| `([\w.]+\.csv)` \|", (folder / "README.md").read_text(), re.M))
    assert described == {p.name for p in folder.glob("*.csv")}


# --- the checker finds what it is for -----------------------------------------------------------


def _package(tmp_path: Path, files: dict[str, str]) -> dict[str, set[str]]:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return graph(tmp_path, ("pkg",))


def test_checker_finds_an_upward_import_and_a_circle(tmp_path):
    edges = _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/low.py": "def f():\n    from pkg.high import g\n",
            "pkg/high.py": "from pkg import low\n",
            "pkg/loose.py": "",
        },
    )
    layers = (("pkg", "pkg.low"), ("pkg.high",))
    problems = upward_imports(edges, layers)
    assert "pkg.low (layer 0) imports pkg.high (layer 1)" in problems
    assert any(p.startswith("pkg.loose") for p in problems) is False  # pkg covers it
    assert circles(edges) == [["pkg.high", "pkg.low"]]
    assert upward_imports(edges, (("pkg.low",), ("pkg.high",))) == [
        "pkg is in no layer (add it to LAYERS in tests/test_layers.py)",
        "pkg.loose is in no layer (add it to LAYERS in tests/test_layers.py)",
        "pkg.low (layer 0) imports pkg.high (layer 1)",
    ]
