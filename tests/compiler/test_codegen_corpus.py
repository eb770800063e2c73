"""JSON -> Python -> compile -> JSON over the whole shared corpus, and docs/corpus-roundtrip.md.

Generation and compilation run in-process (a few seconds for ~1,100 definitions); ruff and mypy
run once over a sample in test_codegen_lint.py.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from compiler.codegen import normalise_workflow_def
from compiler.loader import LoadError, load_file
from compiler.validate import validate_workflow_def
from tests.support import CORPUS, corpus_workflows

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "corpus_roundtrip.py"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corpus_roundtrip", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    return _load_tool()


@pytest.fixture(scope="module")
def results(tool: ModuleType) -> list[Any]:
    return tool.collect(CORPUS)


def test_every_definition_is_tried_and_none_crashes(results: list[Any]) -> None:
    expected = 0
    for path in sorted(CORPUS.rglob("*.json")):
        with contextlib.suppress(LoadError):
            expected += len(load_file(path).workflows)
    assert sum(len(r.trips) for r in results) == expected > 1000
    assert [r.path for r in results if r.crash] == []


def test_at_most_two_percent_fail_and_only_definitions_the_validator_rejects(
    results: list[Any],
) -> None:
    trips = [t for r in results for t in r.trips]
    different = [t for t in trips if not t.ok]
    assert len(different) <= 0.02 * len(trips), different
    # Every definition compile_workflow rejects is one that `flowdsl validate` rejects as JSON.
    rejected = {(r.path, t.name, t.version) for r in results for t in r.trips if t.rejected}
    invalid = set()
    for path, found in corpus_workflows():
        problems = validate_workflow_def(found.definition)
        if any(p.severity == "error" for p in problems):
            d = found.definition
            invalid.add((path.relative_to(CORPUS).as_posix(), d["name"], d.get("version", 1)))
    assert rejected <= invalid | _rejected_for_their_children(results)
    assert len(rejected) <= 0.025 * len(trips)


def _rejected_for_their_children(results: list[Any]) -> set[tuple[str, str, int]]:
    """Parents rejected because an in-file child they run does not compile."""
    return {
        (r.path, t.name, t.version)
        for r in results
        for t in r.trips
        if t.rejected and "does not compile" in t.error
    }


def test_every_task_type_in_the_corpus_round_trips_somewhere(results: list[Any]) -> None:
    from compiler.codegen.generate import _walk

    seen: set[str] = set()
    passed: set[str] = set()
    for r in results:
        if not r.trips:
            continue
        loaded = load_file(CORPUS / r.path)
        for found, trip in zip(loaded.workflows, r.trips, strict=True):
            types = {str(t.get("type", "SIMPLE")) for t in _walk(found.definition["tasks"])}
            seen |= types
            if trip.ok:  # the same definition (through compile_workflow, or unchecked)
                passed |= types
    assert len(seen) > 40
    assert seen == passed


def test_normal_form_is_idempotent_on_the_corpus(results: list[Any]) -> None:
    for r in results[::25]:
        for found in load_file(CORPUS / r.path).workflows if r.trips else ():
            once = normalise_workflow_def(found.definition)
            assert normalise_workflow_def(once) == once


def test_doc_is_up_to_date(tool: ModuleType, results: list[Any]) -> None:
    doc = ROOT / "docs" / "corpus-roundtrip.md"
    assert doc.read_text(encoding="utf-8") == tool.render(results), (
        "docs/corpus-roundtrip.md is out of date: run .venv/bin/python tools/corpus_roundtrip.py"
    )
