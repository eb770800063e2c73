"""The networkx graph of a compiled workflow: nodes, control edges and data edges."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx

import compiler
from compiler import END, START, build_graph, compile_workflow
from flowdsl import do_while, fork, noop, switch, task, terminate, workflow
from tests.support import display_path


def here() -> str:
    """This file as flowdsl displays it."""
    return display_path(__file__)


def at(marker: str) -> str:
    """``file:line`` of the line of this file ending with the comment ``# marker``."""
    for number, text in enumerate(Path(__file__).read_text().splitlines(), 1):
        if text.rstrip().endswith(f"# {marker}"):
            return f"{here()}:{number}"
    raise AssertionError(marker)


@task
def fetch(x: Any = None) -> dict[str, Any]:
    return {}


@task
def store(x: Any = None) -> None: ...


def control(g: nx.MultiDiGraph) -> set[tuple[str, str, str]]:
    """Control edges as (source, target, key)."""
    return {(u, v, k) for u, v, k, d in g.edges(keys=True, data=True) if d["kind"] != "data"}


def data(g: nx.MultiDiGraph) -> dict[tuple[str, str], list[str]]:
    """Data edges as (source, target) -> expressions."""
    return {(u, v): d["expressions"] for u, v, k, d in g.edges(keys=True, data=True) if k == "data"}


@workflow
def linear(n: int) -> dict[str, Any]:
    a = fetch(n)  # linear-fetch
    b = store(a.output.url)  # linear-store
    return {"url": a.output.url, "done": b.output}


def test_graph_is_a_multidigraph() -> None:
    """The graph is a networkx MultiDiGraph (a DiGraph subclass) named after the workflow."""
    g = compile_workflow(linear).graph
    assert isinstance(g, nx.MultiDiGraph)
    assert isinstance(g, nx.DiGraph)
    assert (g.graph["name"], g.graph["version"]) == ("linear", 1)


def test_start_and_end_nodes() -> None:
    """START and END are nodes, exported by the compiler package."""
    g = compile_workflow(linear).graph
    assert compiler.START == START
    assert compiler.END == END
    assert g.nodes[START]["type"] == "START"
    assert g.nodes[END]["type"] == "END"


def test_nodes_are_keyed_by_ref_with_attributes() -> None:
    """Each task is a node keyed by its ref with type, task_name, inputs and source file:line."""
    g = compile_workflow(linear).graph
    assert set(g.nodes) == {START, "fetch", "store", END}
    node = g.nodes["store"]
    assert node["type"] == "SIMPLE"
    assert node["task_name"] == "store"
    assert node["inputs"] == {"x": "${fetch.output.url}"}
    assert node["source"] == at("linear-store")
    assert g.nodes["fetch"]["source"] == at("linear-fetch")


def test_sequence_edges() -> None:
    """START -> first task -> next task -> END are keyed 'sequence'."""
    g = compile_workflow(linear).graph
    assert control(g) == {
        (START, "fetch", "sequence"),
        ("fetch", "store", "sequence"),
        ("store", END, "sequence"),
    }
    assert g.edges[START, "fetch", "sequence"]["kind"] == "sequence"


def test_data_edges_run_to_each_reader_including_end() -> None:
    """A data edge runs from a task to every task reading it, and to END for workflow outputs."""
    g = compile_workflow(linear).graph
    assert data(g) == {
        ("fetch", "store"): ["fetch.output.url"],
        ("fetch", END): ["fetch.output.url"],
        ("store", END): ["store.output"],
    }
    assert g.edges["fetch", "store", "data"]["kind"] == "data"


def test_fork_and_join_edges() -> None:
    """FORK_JOIN has one 'fork' edge per branch; each branch's last task has a 'join' edge to the JOIN."""

    @workflow
    def wf() -> None:
        fork(lambda: fetch(), lambda: (store(), fetch()))

    g = compile_workflow(wf).graph
    assert control(g) == {
        (START, "fork", "sequence"),
        ("fork", "fetch", "fork:0"),
        ("fork", "store", "fork:1"),
        ("store", "fetch_2", "sequence"),
        ("fetch", "fork_join", "join"),
        ("fetch_2", "fork_join", "join"),
        ("fork_join", END, "sequence"),
    }
    assert g.edges["fork", "store", "fork:1"] == {"kind": "fork", "branch": 1}
    assert g.nodes["fetch"]["parent"] == "fork"


def test_case_edges() -> None:
    """SWITCH has one 'case' edge per case with a case attribute, 'default' for the default."""

    @workflow
    def wf(k: str) -> None:
        switch(k, {"a": lambda: fetch()}, default=lambda: store())
        noop()

    g = compile_workflow(wf).graph
    assert g.edges["switch", "fetch", "case:a"] == {"kind": "case", "case": "a"}
    assert g.edges["switch", "store", "case:default"] == {"kind": "case", "case": "default"}
    assert {("fetch", "noop", "sequence"), ("store", "noop", "sequence")} <= control(g)


def test_empty_case_goes_straight_on() -> None:
    """An empty case (or missing default) is an edge from the SWITCH to the next task."""

    @workflow
    def wf(k: str) -> None:
        switch(k, {"a": lambda: fetch(), "skip": lambda: None})
        noop()

    g = compile_workflow(wf).graph
    assert g.edges["switch", "noop", "case:skip"]["case"] == "skip"
    assert g.edges["switch", "noop", "case:default"]["case"] == "default"


def test_loop_edges() -> None:
    """DO_WHILE has a 'loop' edge into its body, 'loop_back' from the body's end, then 'sequence' on."""

    @workflow
    def wf() -> None:
        do_while(lambda: (fetch(), store()), max_iterations=3)
        noop()

    g = compile_workflow(wf).graph
    assert control(g) == {
        (START, "loop", "sequence"),
        ("loop", "fetch", "loop"),
        ("fetch", "store", "sequence"),
        ("store", "loop", "loop_back"),
        ("loop", "noop", "sequence"),
        ("noop", END, "sequence"),
    }
    assert g.edges["store", "loop", "loop_back"]["kind"] == "loop_back"


def test_loop_body_reading_the_loop_is_a_data_edge() -> None:
    """A body task reading loop.iteration has a data edge from the loop."""

    @workflow
    def wf() -> None:
        do_while(lambda loop: fetch(loop.iteration), max_iterations=3)

    assert data(compile_workflow(wf).graph) == {("loop", "fetch"): ["loop.output.iteration"]}


def test_terminate_goes_to_end() -> None:
    """A TERMINATE has a sequence edge to END and nothing after it in its case."""

    @workflow
    def wf(k: str) -> None:
        switch(k, {"stop": lambda: terminate("FAILED")}, default=lambda: fetch())
        store()

    g = compile_workflow(wf).graph
    assert ("terminate", END, "sequence") in control(g)
    assert not g.has_edge("terminate", "store")
    assert ("fetch", "store", "sequence") in control(g)


def test_dynamic_fork_edges() -> None:
    """A FORK_JOIN_DYNAMIC has a dynamic 'fork' edge to its JOIN."""
    from flowdsl import dynamic_fork

    @workflow
    def wf() -> None:
        dynamic_fork(fetch, [{"x": 1}])

    g = compile_workflow(wf).graph
    assert g.edges["fetch_fork", "fetch_fork_join", "fork:0"] == {
        "kind": "fork",
        "branch": 0,
        "dynamic": True,
    }


def test_build_graph_from_plain_json() -> None:
    """build_graph works on hand-written JSON; nodes then have no source."""
    definition = {
        "name": "w",
        "tasks": [
            {"name": "a", "taskReferenceName": "a", "type": "SIMPLE", "inputParameters": {}},
            {"name": "b", "taskReferenceName": "b", "inputParameters": {"x": "${a.output.y}"}},
        ],
        "outputParameters": {"r": "${b.output}"},
    }
    g = build_graph(definition)
    assert g.nodes["b"]["type"] == "SIMPLE"
    assert g.nodes["b"]["source"] is None
    assert g.nodes["b"]["json_path"] == "$.tasks[1]"
    assert data(g) == {("a", "b"): ["a.output.y"], ("b", END): ["b.output"]}
    assert control(g) == {(START, "a", "sequence"), ("a", "b", "sequence"), ("b", END, "sequence")}


def test_build_graph_matches_the_compiled_graph() -> None:
    """build_graph(workflow_def) gives the same nodes and edges as the compiled graph."""

    @workflow
    def wf(k: str) -> dict[str, Any]:
        a = fetch()
        fork(lambda: store(a.output), lambda: fetch(a.output.x))
        switch(k, {"y": lambda: store()})
        return {"a": a.output}

    compiled = compile_workflow(wf)
    rebuilt = build_graph(compiled.workflow_def)
    assert sorted(rebuilt.nodes) == sorted(compiled.graph.nodes)
    assert sorted(rebuilt.edges(keys=True)) == sorted(compiled.graph.edges(keys=True))
