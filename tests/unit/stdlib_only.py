"""Which project packages a module imports: the evaluations' oracles must import none of the
engine's (`assistant`, `retrieval`), so the engine cannot grade itself."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = {"assistant", "retrieval", "<relative>"}


def engine_imports(module, allowed: set[str] = frozenset()) -> set[str]:
    """The engine packages `module` imports, ignoring imports of the `allowed` modules (other
    stdlib-only oracles) and of names from them."""
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names if a.name not in allowed}
        elif isinstance(node, ast.ImportFrom):
            names = {node.module} | {f"{node.module}.{a.name}" for a in node.names}
            if node.level == 0 and names & allowed:
                continue
            roots.add((node.module or "").split(".")[0] if node.level == 0 else "<relative>")
    return roots & ENGINE
