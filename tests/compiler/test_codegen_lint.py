"""Generated code passes ruff and mypy --strict: the examples re-imported plus a corpus sample.

One ruff and one mypy subprocess over a temporary package of generated modules.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.codegen import generate_module
from compiler.loader import LoadError, load_file

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "conductor"
BIN = Path(sys.executable).parent


def _example_modules() -> dict[str, str]:
    from compiler import compile_workflow
    from tests.compiler.test_codegen import _example_workflows

    out = {}
    for fn in _example_workflows():
        compiled = compile_workflow(fn)
        workflows = [w.workflow_def for w in compiled.all_workflows()]
        out[f"example_{fn.fn.__name__}"] = generate_module(
            workflows, compiled.all_task_defs(), f"{fn.name}.json"
        ).source
    return out


def _corpus_modules(every: int) -> dict[str, str]:
    out = {}
    files = sorted(CORPUS.rglob("*.json")) if CORPUS.is_dir() else []
    for index, path in enumerate(files):
        if index % every:
            continue
        try:
            loaded = load_file(path)
        except LoadError:
            continue
        if loaded.workflows:
            source = generate_module(
                [w.definition for w in loaded.workflows], list(loaded.task_defs), path.name
            ).source
            out[f"corpus_{index:04d}"] = source
    return out


def test_generated_code_passes_ruff_and_mypy_strict(tmp_path: Path) -> None:
    modules = {**_example_modules(), **_corpus_modules(every=2)}
    assert len(modules) > 500
    package = tmp_path / "generated"
    package.mkdir()
    for name, source in modules.items():
        (package / f"{name}.py").write_text(source, encoding="utf-8")
    ruff = subprocess.run(
        [str(BIN / "ruff"), "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), "."],
        cwd=package,
        capture_output=True,
        text=True,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    examples = sorted(p.name for p in package.glob("example_*.py"))
    formatted = subprocess.run(
        [
            str(BIN / "ruff"),
            "format",
            "--check",
            "--no-cache",
            "--config",
            str(ROOT / "pyproject.toml"),
            *examples,
        ],
        cwd=package,
        capture_output=True,
        text=True,
    )
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    mypy = subprocess.run(
        [
            str(BIN / "mypy"),
            "--strict",
            "--python-version",
            "3.11",
            "--cache-dir",
            str(tmp_path / "mypy_cache"),
            ".",
        ],
        cwd=package,
        capture_output=True,
        text=True,
        env={**os.environ, "MYPYPATH": str(ROOT)},  # flowdsl is installed in editable mode
    )
    assert mypy.returncode == 0, mypy.stdout[-3000:] + mypy.stderr


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not found")
def test_sample_is_deterministic() -> None:
    first = _corpus_modules(every=50)
    assert first == _corpus_modules(every=50)
