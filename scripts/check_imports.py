"""Fails when a function imports a module of this project (``shared`` or ``services``).

Imports of project modules stand at the top of a module, where import-linter sees them
and checks them against the layer contracts in ``pyproject.toml``; an import inside a
function would hide a call that breaks the declared order. Third-party modules may still
be imported lazily (heavy optional readers such as pypdfium2), and ``if TYPE_CHECKING:``
blocks are module level. Run: ``.venv/bin/python scripts/check_imports.py [paths]``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

PROJECT = ("shared", "services")
DEFAULT_ROOTS = ("shared", "services")


def _project_module(node: ast.Import | ast.ImportFrom) -> str | None:
    if isinstance(node, ast.ImportFrom):
        if node.level:
            return "." * node.level + (node.module or "")
        names = [node.module or ""]
    else:
        names = [alias.name for alias in node.names]
    for name in names:
        if name.split(".")[0] in PROJECT:
            return name
    return None


def violations(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.Import | ast.ImportFrom):
                module = _project_module(node)
                if module is not None:
                    yield node.lineno, module


def main(argv: list[str]) -> int:
    roots = [Path(a) for a in argv] or [Path(r) for r in DEFAULT_ROOTS]
    found = 0
    for root in roots:
        files = [root] if root.is_file() else sorted(root.rglob("*.py"))
        for path in files:
            for line, module in violations(path):
                found += 1
                print(f"{path}:{line}: function-level import of {module}; import it at the top")
    if found:
        print(f"{found} function-level project import(s): move them to the module top level")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
