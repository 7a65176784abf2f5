"""The package's layout is its architecture: imports run one way and cross only interfaces.

The rules, read from the source (nothing is imported or run):

- no import circle between cvframe's modules, counting imports inside functions;
- each layer imports only the layers below it (``LAYERS``): the API client and the
  frame builder know nothing of analytics, snapshots or the CLI; analytics does no I/O;
  the emulator knows nothing of the client;
- a subpackage's ``__init__`` is its interface: from outside, a module imports the
  subpackage (``from .._analytics import kpis``), never one of its private modules;
- a name imported from another cvframe module is in that module's ``__all__``, and a
  private name (``_x``) never crosses modules;
- a subpackage's ``__all__`` lists only names the rest of the package uses, sorted.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cvframe"

#: What each layer may import (besides itself and the shared leaves, which any layer
#: may import). The shared leaves (``cvframe/_errors.py`` and the like) import only
#: leaves. ``public`` is the public face: ``cvframe``, ``cvframe.erlang``,
#: ``cvframe.erlang_c``, ``cvframe.dask`` and ``python -m cvframe``.
LAYERS: dict[str, frozenset[str]] = {
    "_endpoints": frozenset(),
    "_frame": frozenset({"_endpoints"}),
    "_api": frozenset({"_endpoints", "_frame"}),
    "_analytics": frozenset({"_endpoints", "_frame"}),
    "_store": frozenset({"_endpoints", "_frame", "_api"}),
    "_wfm": frozenset({"_endpoints", "_frame", "_analytics"}),
    "emulator": frozenset({"_endpoints"}),
    "_cli": frozenset({"_endpoints", "_frame", "_api", "_analytics", "_store", "_wfm", "emulator"}),
    "public": frozenset(
        {"_endpoints", "_frame", "_api", "_analytics", "_store", "_wfm", "_cli", "emulator"}
    ),
}
LEAF = "leaf"


@dataclass(frozen=True)
class Import:
    """One ``from target import name`` (or ``import target``) in ``importer``, at ``line``."""

    importer: str
    target: str
    name: str | None
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_package(module: str) -> bool:
    return _modules()[module].name == "__init__.py"


@cache
def _tree(module: str) -> ast.Module:
    return ast.parse(_modules()[module].read_text(), filename=str(_modules()[module]))


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not _is_package(module):
        base.pop()
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


@cache
def _imports() -> tuple[Import, ...]:
    found = []
    for module in _modules():
        for node in ast.walk(_tree(module)):
            if isinstance(node, ast.ImportFrom):
                target = _resolve(module, node)
                if target.split(".")[0] != "cvframe":
                    continue
                for alias in node.names:
                    submodule = f"{target}.{alias.name}"
                    if submodule in _modules():  # ``from . import emulator``
                        found.append(Import(module, submodule, None, node.lineno))
                    else:
                        found.append(Import(module, target, alias.name, node.lineno))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "cvframe":
                        found.append(Import(module, alias.name, None, node.lineno))
    return tuple(found)


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in LAYERS:
        return parts[1]
    if module in {
        "cvframe",
        "cvframe.erlang",
        "cvframe.erlang_c",
        "cvframe.dask",
        "cvframe.__main__",
    }:
        return "public"
    return LEAF


def _subpackage(module: str) -> str | None:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 and parts[1] in LAYERS else None


def _all_of(module: str) -> list[str] | None:
    for node in _tree(module).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return list(ast.literal_eval(node.value))
    return None


def _where(imp: Import) -> str:
    return f"{_modules()[imp.importer].relative_to(PACKAGE.parent)}:{imp.line}"


def _edges() -> Iterator[tuple[str, str]]:
    for imp in _imports():
        if imp.target in _modules() and imp.target != imp.importer:
            yield imp.importer, imp.target


def test_the_rules_see_the_whole_package() -> None:
    """The walk finds every layer, and imports in each (so the other tests can fail)."""
    layers = {_layer(module) for module in _modules()}
    assert layers == {*LAYERS, LEAF}
    importers = {_layer(imp.importer) for imp in _imports()}
    assert importers >= set(LAYERS) - {"_endpoints"}


def test_no_import_circles() -> None:
    graph: dict[str, set[str]] = {module: set() for module in _modules()}
    for importer, target in _edges():
        graph[importer].add(target)
    # A subpackage's __init__ imports its modules; a module importing its own
    # subpackage's __init__ would close a circle through it, and is caught here too.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    assert circles == []


def test_layers_import_only_the_layers_below() -> None:
    wrong = []
    for imp in _imports():
        source, target = _layer(imp.importer), _layer(imp.target)
        if target in (source, LEAF):
            continue
        if source == LEAF or target not in LAYERS[source]:
            wrong.append(f"{_where(imp)}: {source} imports {imp.target} ({target})")
    assert wrong == []


def test_other_layers_import_a_subpackage_only_through_its_interface() -> None:
    wrong = []
    for imp in _imports():
        inside = _subpackage(imp.target)
        if inside is None or _subpackage(imp.importer) == inside:
            continue
        if imp.target != inside:
            wrong.append(f"{_where(imp)}: imports {imp.target}; import from {inside}")
    assert wrong == []


def test_imported_names_are_in_all_and_never_private() -> None:
    wrong = []
    for imp in _imports():
        if imp.name is None:
            if imp.target.rsplit(".", 1)[-1].startswith("_") and _subpackage(
                imp.target
            ) != _subpackage(imp.importer):
                wrong.append(f"{_where(imp)}: imports the private module {imp.target}")
            continue
        if imp.name.startswith("_") and not imp.name.endswith("__"):
            wrong.append(f"{_where(imp)}: imports the private name {imp.name} of {imp.target}")
            continue
        exported = _all_of(imp.target) if imp.target in _modules() else None
        if exported is None:
            wrong.append(f"{_where(imp)}: {imp.target} has no __all__ ({imp.name})")
        elif imp.name not in exported:
            wrong.append(f"{_where(imp)}: {imp.name} is not in {imp.target}.__all__")
    assert wrong == []


@pytest.mark.parametrize("layer", sorted(set(LAYERS) - {"public"}))
def test_each_interface_is_sorted_and_used_outside_its_subpackage(layer: str) -> None:
    interface = f"cvframe.{layer}"
    assert interface in _modules(), f"{interface} is missing"
    exported = _all_of(interface)
    assert exported is not None, f"{interface} has no __all__"
    assert exported == sorted(exported, key=lambda s: (not s.isupper(), s))
    if layer == "emulator":
        return  # a public module: its users are outside the package
    used = {
        imp.name
        for imp in _imports()
        if imp.target == interface and _subpackage(imp.importer) != interface
    }
    assert sorted(set(exported) - used) == []


def test_the_documented_tree_names_every_subpackage_and_file_it_shows() -> None:
    page = (PACKAGE.parent / "docs" / "user-guide" / "development.md").read_text()
    tree = page.split("## Architecture", 1)[1].split("```", 2)[1]
    shown = re.findall(r"[├└]── (\S+)", tree)
    folders = {entry.rstrip("/") for entry in shown if entry.endswith("/")}
    on_disk = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    assert folders == on_disk
    files = [entry for entry in shown if entry.endswith(".py")]
    assert files and all((PACKAGE / name).is_file() for name in files)
    # "a layer imports only layers listed above it": the order says what LAYERS allows.
    order = [entry.rstrip("/") for entry in shown if entry.endswith("/")]
    for position, layer in enumerate(order):
        assert LAYERS[layer] <= set(order[:position]), layer
