"""The layout stays followable: no import cycles between the project's modules (imports inside
functions count: a lazy import is still a dependency), and no module imports a private name
(`_x`) from another top-level package."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("assistant", "retrieval", "finetune", "ui")


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            out[name.removesuffix(".__init__")] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]):
    """(module imported, names imported) for every import in the file, resolved to project
    modules (relative imports included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                target = f"{base}.{alias.name}"
                yield (target, []) if target in modules else (base, [alias.name])


def test_no_import_cycles():
    modules = _modules()
    graph = {m: {t for t, _ in _imports(m, p, modules) if t in modules and t != m}
             for m, p in modules.items()}  # fmt: skip
    cycles, index, low, stack, on = [], {}, {}, [], set()

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while not comp or comp[-1] != v:
                comp.append(stack.pop())
                on.discard(comp[-1])
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert cycles == [], cycles


def test_no_private_names_imported_across_packages():
    modules = _modules()
    found = []
    for m, path in modules.items():
        for target, names in _imports(m, path, modules):
            top = target.split(".")[0]
            for n in names:
                if (
                    n.startswith("_")
                    and not n.startswith("__")
                    and top in PACKAGES
                    and top != m.split(".")[0]
                ):
                    found.append(f"{path.relative_to(ROOT)}: from {target} import {n}")
    assert found == [], found
