"""Random nestings of every control-flow type: the drawing keeps its invariants."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.diagram import render, to_dot, to_mermaid
from tests.dot_support import Graph, parse_dot

LEAVES = ["SIMPLE", "HTTP", "INLINE", "WAIT", "TERMINATE", "SET_VARIABLE", "JOIN", "LLM_CHAT"]

Shape = tuple[str, list[Any]]

shapes: st.SearchStrategy[list[Shape]] = st.recursive(
    st.lists(st.tuples(st.sampled_from(LEAVES), st.just([])), max_size=3),
    lambda inner: st.lists(
        st.tuples(
            st.sampled_from(
                ["SWITCH", "DECISION", "FORK_JOIN", "DO_WHILE", "FORK_JOIN_DYNAMIC", "SIMPLE"]
            ),
            st.lists(inner, max_size=3),
        ),
        max_size=3,
    ),
    max_leaves=12,
)


def build(shape: list[Shape], counter: itertools.count[int]) -> list[dict[str, Any]]:
    tasks = []
    for kind, children in shape:
        ref = f"t{next(counter)}"
        task: dict[str, Any] = {"name": ref, "taskReferenceName": ref, "type": kind}
        containers = ("SWITCH", "DECISION", "FORK_JOIN", "DO_WHILE")
        branches = [build(child, counter) for child in children] if kind in containers else []
        if kind in ("SWITCH", "DECISION"):
            task["expression"] = "x"
            task["decisionCases"] = {f"c{i}": b for i, b in enumerate(branches[1:])}
            task["defaultCase"] = branches[0] if branches else []
        elif kind == "FORK_JOIN":
            task["forkTasks"] = branches
        elif kind == "DO_WHILE":
            task["loopCondition"] = "$.x < 2"
            task["loopOver"] = [t for b in branches for t in b]
        tasks.append(task)
    return tasks


def refs_in(tasks: list[dict[str, Any]]) -> list[str]:
    out = []
    for task in tasks:
        out.append(task["taskReferenceName"])
        for branch in [*task.get("forkTasks", []), *task.get("decisionCases", {}).values()]:
            out += refs_in(branch)
        out += refs_in(task.get("defaultCase", [])) + refs_in(task.get("loopOver", []))
    return out


def loops(tasks: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """(DO_WHILE ref, every ref in its body) for every loop, nested ones included."""
    found = []
    for task in tasks:
        if task["type"] == "DO_WHILE":
            found.append((task["taskReferenceName"], refs_in(task["loopOver"])))
            found += loops(task["loopOver"])
        for branch in [*task.get("forkTasks", []), *task.get("decisionCases", {}).values()]:
            found += loops(branch)
        found += loops(task.get("defaultCase", []))
    return found


def enclosing(graph: Graph, node: str) -> list[str | None]:
    """The clusters around ``node``, innermost first."""
    chain = [graph.node_cluster[node]]
    while chain[-1] is not None:
        chain.append(graph.clusters[chain[-1]][1])
    return chain


@settings(max_examples=60, deadline=None)
@given(shapes)
def test_every_task_is_a_node_and_every_edge_joins_nodes(shape: list[Shape]) -> None:
    counter = itertools.count()
    definition = {"name": "random", "version": 1, "tasks": build(shape, counter)}
    refs = {f"t{i}" for i in range(next(counter))}
    dot = to_dot(definition)
    graph = parse_dot(dot)
    assert refs <= set(graph.nodes)
    assert all(s in graph.nodes and t in graph.nodes for s, t, _ in graph.edges)
    assert graph.predecessors("__start__") == []
    assert graph.successors("__end__") == []
    for loop, body in loops(definition["tasks"]):  # a loop's body sits inside its cluster
        for ref in body:
            assert graph.node_cluster[loop] in enclosing(graph, ref), (loop, ref)
    assert to_dot(definition) == dot
    mermaid = to_mermaid(definition)
    assert mermaid.count("-->") + mermaid.count("-.->") == sum(
        1 for s, _, _ in graph.edges if not s.startswith("legend ")
    )


@settings(max_examples=10, deadline=None)
@given(shapes)
def test_random_shapes_render(shape: list[Shape]) -> None:
    definition = {"name": "random", "tasks": build(shape, itertools.count())}
    assert render(to_dot(definition), "svg").rstrip().endswith(b"</svg>")
