"""Read the import graph of the product's own modules from their source (no module is imported)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

NOT_PRODUCT = {"tests", "benchmarks"}


@dataclass(frozen=True)
class Import:
    importer: str  # the module whose source holds the import
    imported: str  # the product module it imports
    line: int
    in_function: bool  # inside a def: runs late, which is how a cycle hides


def product_packages(root: Path) -> list[str]:
    """Return the product's top-level packages: every package at `root` but the tests and benchmarks."""
    return sorted(path.parent.name for path in root.glob("*/__init__.py") if path.parent.name not in NOT_PRODUCT)


def module_names(root: Path) -> dict[str, Path]:
    """Return every product module under `root`: dotted name -> file (a package is its __init__.py)."""
    modules = {}
    for package in product_packages(root):
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def product_imports(root: Path) -> list[Import]:
    """Return every import of a product module by a product module, wherever it sits in the file.

    Imports inside functions and under `if TYPE_CHECKING:` count: they still say which
    module needs which.
    """
    modules = module_names(root)
    found = []
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(), filename=str(path))
        for node, in_function in _imports(tree):
            for target in _targets(node, package, modules):
                if target != name:
                    found.append(Import(name, target, node.lineno, in_function))
    return found


def _imports(tree: ast.AST, in_function: bool = False):
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, in_function
        nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        yield from _imports(child, nested)


def _targets(node: ast.Import | ast.ImportFrom, package: str, modules: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        return [target for alias in node.names if (target := _known(alias.name, modules))]
    base = node.module or ""
    if node.level:
        anchor = package.split(".")
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, *([base] if base else [])])
    targets = []
    for alias in node.names:
        # `from rosters import clever` imports the module rosters.clever; `from .models import Teacher`, models.
        dotted = f"{base}.{alias.name}"
        target = dotted if dotted in modules else _known(base, modules)
        if target:
            targets.append(target)
    return targets


def _known(dotted: str, modules: dict[str, Path]) -> str | None:
    """Return the product module a dotted name lives in (its longest known prefix), or None."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in modules:
            return ".".join(parts[:end])
    return None


def import_cycles(imports: list[Import]) -> list[list[str]]:
    """Return the import cycles: each group of modules that import one another, in order (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for edge in imports:
        graph.setdefault(edge.importer, set()).add(edge.imported)
        graph.setdefault(edge.imported, set())
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)
