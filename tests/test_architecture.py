"""The layers of docs/architecture.md hold: no import cycle, and imports flow one way."""

from __future__ import annotations

import ast
from pathlib import Path

import chokepoint

PACKAGE = Path(chokepoint.__file__).resolve().parent
#: A module may import modules of its own layer or of a lower one (a larger rank is higher).
RANK = {"": 0, "io": 1, "core": 2, "output": 3, "api": 4, "cli": 4, "__init__": 4, "__main__": 5}


def _modules() -> dict[str, Path]:
    return {
        ".".join(path.relative_to(PACKAGE).with_suffix("").parts): path
        for path in PACKAGE.rglob("*.py")
    }


def _imports(name: str, path: Path) -> set[str]:
    """Every chokepoint module ``name`` imports, at any depth of the file (functions included)."""
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                target = [*base, *(node.module.split(".") if node.module else [])]
            elif node.module and node.module.startswith("chokepoint"):
                target = node.module.split(".")[1:]
            else:
                continue
            for alias in node.names:
                found.add(".".join([*target, alias.name]))
                found.add(".".join(target))
        elif isinstance(node, ast.Import):
            found.update(
                ".".join(a.name.split(".")[1:])
                for a in node.names
                if a.name.startswith("chokepoint.")
            )
    modules = _modules()
    return {m for m in found if m in modules and m != name}


def _layer(module: str) -> int:
    head = module.split(".")[0]
    if head in RANK:
        return RANK[head]
    return 0  # errors, model, countries, _version, _gc


def test_no_import_cycle() -> None:
    graph = {name: _imports(name, path) for name, path in _modules().items()}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


def test_imports_flow_one_way() -> None:
    upward = [
        f"{name} imports {target}"
        for name, path in _modules().items()
        for target in _imports(name, path)
        if _layer(target) > _layer(name) and name not in ("__init__", "__main__")
    ]
    assert upward == []
