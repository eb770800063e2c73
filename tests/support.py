"""Helpers shared by the tests: what compiling gives (tasks, problems), where flowdsl says a test
file is, lines marked in it, the corpus."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compiler.loader import FoundWorkflow


def tasks_of(fn: Any) -> list[dict[str, Any]]:
    """The WorkflowDef tasks ``compile_workflow(fn)`` emits."""
    from compiler import compile_workflow

    tasks: list[dict[str, Any]] = compile_workflow(fn).workflow_def["tasks"]
    return tasks


def problems_of(fn: Any) -> list[Any]:
    """The problems compiling ``fn`` reports (it must fail)."""
    import pytest

    from compiler import compile_workflow
    from flowdsl import WorkflowDefinitionError

    with pytest.raises(WorkflowDefinitionError) as info:
        compile_workflow(fn)
    return list(info.value.problems)


def display_path(file: str) -> str:
    """``file`` as flowdsl displays it: relative to the working directory when below it."""
    rel = os.path.relpath(file)
    return file if rel.startswith("..") else rel


def marker_line(file: str, marker: str) -> int:
    """The line of ``file`` that ends with the comment ``# marker``."""
    for number, text in enumerate(Path(file).read_text().splitlines(), 1):
        if text.rstrip().endswith(f"# {marker}"):
            return number
    raise AssertionError(f"no line ending with '# {marker}' in {file}")


#: The shared corpus of real Conductor files (../shared/corpus/conductor beside the repository).
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "conductor"


def corpus_workflows() -> Iterator[tuple[Path, FoundWorkflow]]:
    """Every workflow definition in the corpus, with its file, in file order; files that do not
    load (the corpus keeps some invalid JSON on purpose) are passed over."""
    from compiler.loader import LoadError, load_file

    for path in sorted(CORPUS.rglob("*.json")):
        try:
            loaded = load_file(path)
        except LoadError:
            continue
        for found in loaded.workflows:
            yield path, found
