"""to_dot, construct by construct: nodes, edges, labels, shapes and clusters of the DOT text."""

from __future__ import annotations

from typing import Any

import pytest

from compiler.diagram import render, to_dot
from tests.dot_support import Graph, parse_dot

START, END = "__start__", "__end__"


def t(ref: str, kind: str = "SIMPLE", **fields: Any) -> dict[str, Any]:
    """A WorkflowTask."""
    return {"name": fields.pop("name", ref), "taskReferenceName": ref, "type": kind, **fields}


def wf(*tasks: dict[str, Any], name: str = "w") -> dict[str, Any]:
    """A WorkflowDef."""
    return {"name": name, "version": 3, "tasks": list(tasks)}


def draw(definition: dict[str, Any], **options: Any) -> Graph:
    return parse_dot(to_dot(definition, **options))


def flow_nodes(graph: Graph) -> list[str]:
    """The nodes outside the legend."""
    return [n for n, c in graph.node_cluster.items() if c != "cluster_legend"]


def test_sequence_start_to_end() -> None:
    graph = draw(wf(t("a"), t("b", name="b_worker")))
    assert flow_nodes(graph) == [START, "a", "b", END]
    assert [(s, d) for s, d, _ in graph.edges if "legend" not in s] == [
        (START, "a"),
        ("a", "b"),
        ("b", END),
    ]
    assert graph.attrs["rankdir"] == "TB"
    assert graph.attrs["label"] == "w v3"
    assert graph.nodes[START]["shape"] == "circle"
    assert graph.nodes[END]["shape"] == "doublecircle"
    assert graph.nodes["b"]["shape"] == "box"
    assert graph.nodes["b"]["style"].split(",")[0] == "rounded"
    assert graph.label_text("b")[:2] == ["b", "b_worker"]
    assert graph.nodes["b"]["label"].startswith("<b>b</b>")


def test_empty_tasks_list() -> None:
    graph = draw(wf())
    assert flow_nodes(graph) == [START, END]
    assert graph.edges == [(START, END, {})]
    assert "cluster_legend" in graph.clusters  # an empty legend cluster is still valid DOT
    assert render(to_dot(wf()), "svg").startswith(b"<?xml")


SYSTEM_TYPES = [
    "HTTP",
    "INLINE",
    "JSON_JQ_TRANSFORM",
    "SET_VARIABLE",
    "WAIT",
    "HUMAN",
    "EVENT",
    "TERMINATE",
    "SUB_WORKFLOW",
    "START_WORKFLOW",
    "KAFKA_PUBLISH",
    "NOOP",
]


def test_each_system_type_has_its_own_look_and_is_named() -> None:
    tasks = [t("worker")] + [t(kind.lower(), kind) for kind in SYSTEM_TYPES]
    tasks.remove(tasks[SYSTEM_TYPES.index("TERMINATE") + 1])
    tasks.append(t("terminate", "TERMINATE"))
    graph = draw(wf(*tasks))
    looks = {}
    for kind in SYSTEM_TYPES:
        attrs = graph.nodes[kind.lower()]
        assert graph.label_text(kind.lower())[1] == kind
        looks[kind] = (attrs["shape"], attrs["fillcolor"], attrs.get("peripheries"))
    worker = graph.nodes["worker"]
    looks["SIMPLE"] = (worker["shape"] + "-rounded", worker["fillcolor"], None)
    distinct = {kind: look for kind, look in looks.items() if kind != "KAFKA_PUBLISH"}
    assert len(set(distinct.values())) == len(distinct), looks  # EVENT and KAFKA look alike
    assert graph.nodes["wait"]["shape"] == "hexagon"
    assert graph.nodes["terminate"]["shape"] == "octagon"
    assert graph.nodes["sub_workflow"]["shape"] == "box3d"


def test_details_say_what_a_task_does() -> None:
    tasks = [
        t("h", "HTTP", inputParameters={"http_request": {"method": "PUT", "uri": "http://a/b"}}),
        t("h2", "HTTP", inputParameters={"uri": "http://c", "method": "GET"}),
        t("w", "WAIT", inputParameters={"duration": "10m"}),
        t("w2", "WAIT"),
        t("e", "EVENT", sink="conductor:queue"),
        t("k", "KAFKA_PUBLISH", inputParameters={"kafka_request": {"topic": "orders"}}),
        t("v", "SET_VARIABLE", inputParameters={"a": 1, "b": 2}),
        t("d", "DYNAMIC", dynamicTaskNameParam="pick"),
        t("o", optional=True),
        t("j", "JSON_JQ_TRANSFORM", inputParameters={"queryExpression": ".a"}),
        t("js", "SWITCH", evaluatorType="javascript", expression="$.x > 1 ? 'a' : 'b'"),
    ]
    graph = draw(wf(*tasks))
    details = {
        ref: graph.label_text(ref)[2:]
        for ref in graph.nodes
        if ref in {x["taskReferenceName"] for x in tasks}
    }
    assert details == {
        "h": ["PUT http://a/b"],
        "h2": ["GET http://c"],
        "w": ["duration 10m"],
        "w2": ["until signalled"],
        "e": ["conductor:queue"],
        "k": ["topic orders"],
        "v": ["a, b"],
        "d": ["task from pick"],
        "o": ["optional"],
        "j": [],
        "js": ["$.x > 1 ? 'a' : 'b'"],
    }


def test_unknown_type_is_drawn_with_its_type() -> None:
    graph = draw(wf(t("ask", "LLM_TEXT_COMPLETE")))
    assert graph.label_text("ask")[:2] == ["ask", "LLM_TEXT_COMPLETE"]
    assert graph.nodes["ask"]["shape"] == "box"
    assert "legend OTHER" in graph.nodes


def test_switch_is_a_diamond_with_labelled_cases_and_default() -> None:
    switch = t(
        "route",
        "SWITCH",
        evaluatorType="value-param",
        expression="kind",
        inputParameters={"kind": "${workflow.input.kind}"},
        decisionCases={"a": [t("do_a")], "b": [t("do_b1"), t("do_b2")], "empty": []},
        defaultCase=[t("fallback")],
    )
    graph = draw(wf(switch, t("after")))
    assert graph.nodes["route"]["shape"] == "diamond"
    assert graph.label_text("route") == ["route", "SWITCH", "${workflow.input.kind}"]
    assert graph.edge("route", "do_a")["label"].strip() == "a"
    assert graph.edge("route", "do_b1")["label"].strip() == "b"
    assert graph.edge("route", "after")["label"].strip() == "empty"
    assert graph.edge("route", "fallback")["label"].strip() == "default"
    assert sorted(graph.predecessors("after")) == ["do_a", "do_b2", "fallback", "route"]


def test_switch_without_default_goes_on_by_a_default_edge() -> None:
    switch = t("route", "SWITCH", expression="x", decisionCases={"a": [t("do_a")]})
    graph = draw(wf(switch, t("after")))
    assert graph.edge("route", "after")["label"].strip() == "default"
    assert graph.edge("do_a", "after") == {}


def test_legacy_decision() -> None:
    decision = t(
        "d",
        "DECISION",
        caseValueParam="p",
        inputParameters={"p": "${t.output.x}"},
        decisionCases={"1": [t("one")]},
    )
    graph = draw(wf(decision))
    assert graph.nodes["d"]["shape"] == "diamond"
    assert graph.label_text("d") == ["d", "DECISION", "${t.output.x}"]
    assert graph.edge("d", "one")["label"].strip() == "1"
    assert graph.edge("d", END)["label"].strip() == "default"


def test_fork_and_join_are_bars() -> None:
    fork = t("fork", "FORK_JOIN", forkTasks=[[t("a1"), t("a2")], [t("b1")], []])
    graph = draw(wf(fork, t("join", "JOIN", joinOn=["a2", "b1"]), t("after")))
    for bar in ("fork", "join"):
        attrs = graph.nodes[bar]
        assert attrs["shape"] == "box"
        assert float(attrs["height"]) < 0.3
        assert attrs["fontcolor"] == "#ffffff"
    assert graph.label_text("fork") == ["fork · FORK_JOIN"]
    assert graph.successors("fork") == ["a1", "b1", "join"]  # an empty branch goes to the join
    assert sorted(graph.predecessors("join")) == ["a2", "b1", "fork"]
    assert graph.successors("join") == ["after"]


def test_dynamic_fork_draws_one_dashed_branches_node() -> None:
    fork = t("dyn", "FORK_JOIN_DYNAMIC", dynamicForkTasksParam="tasks")
    graph = draw(wf(fork, t("join", "JOIN"), t("after")))
    (branches,) = graph.successors("dyn")
    assert "dashed" in graph.nodes[branches]["style"].split(",")
    assert graph.label_text(branches)[0] == "dynamic branches"
    assert graph.edge("dyn", branches)["style"] == "dashed"
    assert graph.edge(branches, "join")["style"] == "dashed"
    assert graph.nodes["dyn"]["height"] == graph.nodes["join"]["height"]  # a bar too


def test_exclusive_join_is_a_lighter_bar() -> None:
    switch = t("s", "SWITCH", expression="x", decisionCases={"a": [t("a")], "b": [t("b")]})
    graph = draw(wf(switch, t("xj", "EXCLUSIVE_JOIN", joinOn=["a", "b"])))
    assert graph.label_text("xj") == ["xj · EXCLUSIVE_JOIN"]
    assert graph.nodes["xj"]["fillcolor"] != draw(wf(t("j", "JOIN"))).nodes["j"]["fillcolor"]
    assert sorted(graph.predecessors("xj")) == ["a", "b", "s"]


def test_do_while_cluster_body_and_back_edge_with_condition() -> None:
    loop = t(
        "loop",
        "DO_WHILE",
        loopCondition="if ($.loop['iteration'] < $.count) { true; } else { false; }",
        loopOver=[t("body1"), t("body2")],
    )
    graph = draw(wf(loop, t("after")))
    cluster = graph.node_cluster["loop"]
    assert cluster is not None and cluster.startswith("cluster_")
    assert graph.clusters[cluster][0]["label"] == "loop loop"
    assert graph.node_cluster["body1"] == graph.node_cluster["body2"] == cluster
    assert graph.node_cluster["after"] is None
    assert graph.edge("loop", "body1") == {}
    back = graph.edge("body2", "loop")
    assert back["style"] == "dashed" and back["constraint"] == "false"
    assert back["label"].strip().startswith("while if ($.loop['iteration'] < $.count)")
    assert back["label"].strip().endswith("…")  # shortened
    assert graph.edge("body2", "after") == {}


def test_nested_fork_in_loop_meets_at_one_point_before_the_back_edge() -> None:
    fork = t("fork", "FORK_JOIN", forkTasks=[[t("a")], [t("b")]])
    switch = t("s", "SWITCH", expression="x", decisionCases={"x": [t("x")]})
    loop = t("loop", "DO_WHILE", loopCondition="false", loopOver=[fork, t("join", "JOIN"), switch])
    graph = draw(wf(loop, t("after")))
    cluster = graph.node_cluster["loop"]
    assert {graph.node_cluster[n] for n in ("fork", "a", "b", "join", "s", "x")} == {cluster}
    (point,) = [n for n, a in graph.nodes.items() if a.get("shape") == "point"]
    assert graph.node_cluster[point] == cluster
    assert sorted(graph.predecessors(point)) == ["s", "x"]
    assert graph.edge(point, "loop")["label"].strip() == "while false"
    assert graph.successors(point) == ["loop", "after"]


def test_empty_loop_body_loops_on_itself() -> None:
    graph = draw(wf(t("loop", "DO_WHILE", loopCondition="false", loopOver=[]), t("after")))
    assert graph.edge("loop", "loop")["style"] == "dashed"
    assert graph.edge("loop", "after") == {}


def test_terminate_goes_to_end_and_what_follows_is_unreachable() -> None:
    stop = t("stop", "TERMINATE", inputParameters={"terminationStatus": "FAILED"})
    graph = draw(wf(t("a"), stop, t("never")))
    assert graph.successors("stop") == [END]
    assert graph.predecessors("never") == []
    assert graph.label_text("stop") == ["stop", "TERMINATE", "FAILED"]
    assert graph.successors("never") == [END]


CHILD = wf(
    t("c1"), t("c2", "HTTP", inputParameters={"uri": "http://x", "method": "GET"}), name="child"
)


def sub(ref: str, **param: Any) -> dict[str, Any]:
    return t(ref, "SUB_WORKFLOW", subWorkflowParam={"name": "child", "version": 1, **param})


def test_sub_workflow_is_a_box_unless_expanded() -> None:
    graph = draw(wf(sub("s")), definitions={"child": CHILD})
    assert graph.nodes["s"]["shape"] == "box3d"
    assert graph.label_text("s") == ["s", "SUB_WORKFLOW", "→ child v1"]
    assert graph.successors("s") == [END]


@pytest.mark.parametrize(
    ("task", "definitions"),
    [
        (sub("s", workflowDefinition=CHILD), None),
        (sub("s"), {"child": CHILD}),
        (sub("s"), {"child:1": CHILD}),
    ],
    ids=["inline", "by-name", "by-name-and-version"],
)
def test_expanded_sub_workflow_is_a_cluster(
    task: dict[str, Any], definitions: dict[str, Any] | None
) -> None:
    graph = draw(wf(task, t("after")), definitions=definitions, expand_subworkflows=True)
    cluster = graph.node_cluster["s"]
    assert cluster is not None
    assert graph.clusters[cluster][0]["label"] == "sub-workflow child v1"
    assert graph.node_cluster["s/c1"] == graph.node_cluster["s/c2"] == cluster
    assert graph.successors("s") == ["s/c1"]
    assert graph.successors("s/c2") == ["after"]
    assert graph.label_text("s/c2")[0] == "c2"


def test_expansion_of_a_recursive_sub_workflow_stops() -> None:
    recursive = wf(t("a"), sub("again"), name="child")
    graph = draw(wf(sub("s")), definitions={"child": recursive}, expand_subworkflows=True)
    assert "s/a" in graph.nodes and "s/again" in graph.nodes
    assert graph.node_cluster["s/again"] == graph.node_cluster["s/a"]
    assert not any(n.startswith("s/again/") for n in graph.nodes)


def test_terminate_inside_an_expanded_sub_workflow_ends_only_the_sub_workflow() -> None:
    child = wf(t("stop", "TERMINATE"), name="child")
    graph = draw(wf(sub("s"), t("after")), definitions={"child": child}, expand_subworkflows=True)
    assert graph.successors("s/stop") == ["after"]


def test_legend_lists_only_the_types_used() -> None:
    graph = draw(wf(t("a"), t("h", "HTTP"), t("b")))
    legend = [n for n, c in graph.node_cluster.items() if c == "cluster_legend"]
    assert legend == ["legend SIMPLE", "legend HTTP"]
    assert graph.nodes["legend HTTP"]["fillcolor"] == graph.nodes["h"]["fillcolor"]
    assert "cluster_legend" not in draw(wf(t("a")), legend=False).clusters


@pytest.mark.parametrize(
    "ref",
    ['say "hi"', "a<b>&c", "back\\slash", "node", "<html>", "ünïcødé ✓", "a -> b", "x;y{z}"],
)
def test_any_reference_is_quoted_and_escaped(ref: str) -> None:
    definition = wf(t(ref), t("sw", "SWITCH", expression="x", decisionCases={ref: [t("z")]}))
    text = to_dot(definition)
    graph = parse_dot(text)
    assert ref in graph.nodes
    assert graph.label_text(ref)[0] == ref
    assert graph.edge("sw", "z")["label"].strip() == ref
    assert render(text, "svg").startswith(b"<?xml")


def test_duplicate_and_missing_references_still_draw_every_task() -> None:
    graph = draw(wf(t("a"), t("a"), {"name": "nameless", "type": "SIMPLE"}, "junk", None))
    assert flow_nodes(graph) == [START, "a", "a#2", "nameless", END]
    assert graph.successors("a#2") == ["nameless"]


@pytest.mark.parametrize(
    "tasks",
    [None, "x", {"a": 1}, [1, 2], [{"type": 5, "taskReferenceName": ["x"]}]],
    ids=["null", "string", "object", "numbers", "bad-fields"],
)
def test_malformed_definitions_do_not_crash(tasks: Any) -> None:
    graph = draw({"name": "w", "tasks": tasks})
    assert START in graph.nodes and END in graph.nodes


def test_malformed_containers_do_not_crash() -> None:
    weird = [
        t("s", "SWITCH", decisionCases=[1], defaultCase="x"),
        t("f", "FORK_JOIN", forkTasks={"a": 1}),
        t("f2", "FORK_JOIN", forkTasks=[None, [None, t("ok")]]),
        t("l", "DO_WHILE", loopOver="x"),
        t("sw", "SUB_WORKFLOW", subWorkflowParam="x"),
        t("h", "HTTP", inputParameters={"http_request": "x"}),
    ]
    graph = draw(wf(*weird), expand_subworkflows=True)
    assert {"s", "f", "f2", "ok", "l", "sw", "h"} <= set(graph.nodes)


def test_control_characters_are_made_visible() -> None:
    """Newlines and tabs become spaces, other control characters \\xNN: labels stay valid."""
    definition = wf(
        t("a\x01b\nc", name="n\x02"),
        t("s", "SWITCH", expression="x", decisionCases={"x\ty": [t("z")]}),
        name="w\x7f",
    )
    text = to_dot(definition)
    graph = parse_dot(text)
    assert graph.label_text("a\\x01b c")[:2] == ["a\\x01b c", "n\\x02"]
    assert graph.edge("s", "z")["label"].strip() == "x y"
    assert graph.attrs["label"] == "w\\x7f v3"
    assert render(text, "svg").startswith(b"<?xml")
