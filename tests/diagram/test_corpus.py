"""Every workflow definition in the shared Conductor corpus draws to DOT, Mermaid and SVG.

All 1,137 render to SVG with graphviz-pure in about 7 s on the 2-core CI machine, so all of them
are rendered here (bench/render_corpus.py does the same from the shell, PNG too with --png).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from compiler.diagram import render, to_dot, to_mermaid
from tests.dot_support import parse_dot
from tests.support import CORPUS, corpus_workflows

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not there")


def definitions() -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{path.relative_to(CORPUS)} {workflow.json_path}", workflow.definition)
        for path, workflow in corpus_workflows()
    ]


def refs(tasks: object) -> set[str]:
    """Every string taskReferenceName in a task list, nested ones included."""
    out: set[str] = set()
    for task in tasks if isinstance(tasks, list) else []:
        if not isinstance(task, Mapping):
            continue
        if isinstance(task.get("taskReferenceName"), str) and task["taskReferenceName"]:
            out.add(task["taskReferenceName"])
        cases = task.get("decisionCases")
        for branch in cases.values() if isinstance(cases, Mapping) else []:
            out |= refs(branch)
        out |= refs(task.get("defaultCase"))
        for branch in task.get("forkTasks") or []:
            out |= refs(branch)
        out |= refs(task.get("loopOver"))
    return out


def test_every_corpus_workflow_renders() -> None:
    found = definitions()
    assert len(found) == 1137
    failures = []
    kinds: set[str] = set()
    for where, definition in found:
        try:
            dot = to_dot(definition, expand_subworkflows=True)
            graph = parse_dot(dot)
            missing = refs(definition.get("tasks")) - set(graph.nodes)
            assert not missing, f"tasks not drawn: {sorted(missing)[:5]}"
            assert to_mermaid(definition, expand_subworkflows=True).startswith("---\ntitle:")
            svg = render(dot, "svg")
            assert svg.startswith(b"<?xml") and svg.rstrip().endswith(b"</svg>")
            kinds.update(n.removeprefix("legend ") for n in graph.nodes if n.startswith("legend "))
        except Exception as err:  # collect them all, then fail once
            failures.append(f"{where}: {type(err).__name__}: {err}")
    assert failures == []
    # The corpus exercises every construct the diagrams draw.
    assert {
        "SWITCH",
        "DECISION",
        "FORK_JOIN",
        "FORK_JOIN_DYNAMIC",
        "JOIN",
        "DO_WHILE",
        "SUB_WORKFLOW",
        "TERMINATE",
        "DYNAMIC_BRANCHES",
        "OTHER",
    } <= kinds
