"""Layering: flowdsl <- compiler <- testing, and importing flowdsl stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def imported_modules(package: str) -> dict[str, set[str]]:
    """Every module each file of ``package`` imports (anywhere in the file, relative ones resolved)."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                names.add(package if node.level else (node.module or ""))
        found[str(path.relative_to(REPO))] = names
    return found


def offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{file} imports {name}"
        for file, names in imported_modules(package).items()
        for name in names
        if name.split(".")[0] in forbidden
    )


def test_scan_sees_the_packages() -> None:
    """The scan finds the files and the imports it is meant to check."""
    assert "flowdsl.errors" in imported_modules("flowdsl")["flowdsl/task.py"]
    assert "flowdsl.errors" in imported_modules("compiler")["compiler/compile.py"]


def test_flowdsl_imports_neither_compiler_nor_testing() -> None:
    """Nothing in flowdsl/ imports compiler or testing."""
    assert offenders("flowdsl", ("compiler", "testing")) == []


def test_compiler_does_not_import_testing() -> None:
    """Nothing in compiler/ imports testing."""
    assert offenders("compiler", ("testing",)) == []


@pytest.mark.parametrize("heavy", ["networkx", "graphviz", "jinja2", "attrs"])
def test_import_flowdsl_loads_no_heavy_module(heavy: str) -> None:
    """After `import flowdsl` in a fresh process, networkx/graphviz/jinja2/attrs are not loaded."""
    code = f"import flowdsl, sys; print({heavy!r} in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_import_flowdsl_loads_no_compiler() -> None:
    """`import flowdsl` does not import the compiler or testing packages."""
    code = (
        "import flowdsl, sys; print(sorted(m for m in ('compiler', 'testing') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "[]", done.stderr
