"""The package's shape: no import cycle between quejas modules, and every module importable on its own.

An import placed inside a function can hide a cycle (A imports B at the top, B imports A when called);
the graph below therefore counts every import statement wherever it sits, except those under
``if TYPE_CHECKING:``, which never run. A cycle in it fails the test with the modules that form it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pipeline", "serve")


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts or parts[-1] == "__main__":
                continue  # Alembic scripts are loaded by Alembic; a __main__ runs its program when imported
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def _under_type_checking(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules a module imports, at the top or inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and _under_type_checking(node, parents):
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pipeline import paths` imports the submodule pipeline.paths
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    known = set(modules)
    graph = {}
    for name, path in modules.items():
        imported = imported_modules(name, path, known)
        # A package's __init__ runs before its submodules: importing a submodule imports its parents.
        graph[name] = {m for m in imported if not name.startswith(m + ".")}
    return graph


def test_the_graph_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "mod.py"
    module.write_text("def late():\n    from pipeline.analyzer import Analyzer\n", encoding="utf-8")
    assert imported_modules("pipeline.mod", module, {"pipeline.analyzer", "pipeline.mod"}) == {"pipeline.analyzer"}


def test_no_import_cycle_between_quejas_modules():
    try:
        order = list(TopologicalSorter(import_graph()).static_order())
    except CycleError as error:
        raise AssertionError(f"import cycle: {' -> '.join(error.args[1])}") from None
    assert "pipeline.analyzer" in order and "serve.app" in order


IMPORT_EACH = """
import importlib, sys, traceback
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m.split(".")[0] in ("pipeline", "serve")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ": " + traceback.format_exc(limit=3).strip().splitlines()[-1])
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_module_imports_on_its_own():
    """Each module imported first, with no other quejas module loaded: an order-dependent import fails here.

    Third-party libraries stay loaded between modules, so the whole check costs one interpreter start.
    """
    names = sorted(project_modules())
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH, *names], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"modules that fail to import on their own:\n{result.stdout}{result.stderr[-2000:]}"
