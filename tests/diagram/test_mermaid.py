"""to_mermaid: the same structure as the DOT output, as ``flowchart TD`` text."""

from __future__ import annotations

import re
from typing import Any

import pytest

from compiler.diagram import to_mermaid
from compiler.diagram.mermaid import escape_label

NODE = re.compile(
    r'^\s*(\w+)(\(\(\(|\(\(|\(|\[\[|\[/|\[|\{\{|\{|>)"(.*)"(\)\)\)|\)\)|\)|\]\]|\\\]|\]|\}\}|\})$'
)
EDGE = re.compile(r'^\s*(\w+) (-->|-\.->)(?:\|"(.*)"\|)? (\w+)$')


def t(ref: str, kind: str = "SIMPLE", **fields: Any) -> dict[str, Any]:
    return {"name": ref, "taskReferenceName": ref, "type": kind, **fields}


def parse(
    text: str,
) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str, str, str]], list[str]]:
    """(id -> (opening bracket, label)), [(source, arrow, label, target)], subgraph lines."""
    nodes: dict[str, tuple[str, str]] = {}
    edges: list[tuple[str, str, str, str]] = []
    subgraphs: list[str] = []
    for line in text.splitlines():
        if (match := EDGE.match(line)) is not None:
            edges.append((match[1], match[2], match[3] or "", match[4]))
        elif (match := NODE.match(line)) is not None:
            assert match[1] not in nodes, f"node {match[1]} declared twice"
            nodes[match[1]] = (match[2], match[3])
        elif line.strip().startswith("subgraph "):
            subgraphs.append(line.strip())
    return nodes, edges, subgraphs


SWITCH_IN_LOOP = {
    "name": "w",
    "version": 2,
    "tasks": [
        t("first"),
        t(
            "loop",
            "DO_WHILE",
            loopCondition="$.loop['iteration'] < 3",
            loopOver=[
                t("s", "SWITCH", expression="x", decisionCases={"a": [t("do_a", "HTTP")]}),
            ],
        ),
        t("fork", "FORK_JOIN", forkTasks=[[t("b1")], [t("b2")]]),
        t("join", "JOIN"),
        t("end"),
    ],
}


def test_header_nodes_and_shapes() -> None:
    text = to_mermaid(SWITCH_IN_LOOP)
    assert text.splitlines()[:4] == ["---", 'title: "w v2"', "---", "flowchart TD"]
    nodes, _, _ = parse(text)
    assert nodes["start_"] == ("((", "start")
    assert nodes["end_"] == ("(((", "end")
    assert nodes["t_first"][0] == "("  # a rounded worker box
    assert nodes["t_s"][0] == "{"  # a diamond
    assert nodes["t_do_a"][0] == "["
    assert nodes["t_loop"][1].startswith("<b>loop</b><br/><small>DO_WHILE</small>")
    assert nodes["t_fork"][1] == "<b>fork</b> · FORK_JOIN"
    assert nodes["t_end"][1].startswith("<b>end</b>")  # a task called "end" is not the END node
    assert len(nodes) == 12  # 9 tasks + start + end + the loop's meeting point


def test_edges_cases_back_edge_and_subgraph() -> None:
    nodes, edges, subgraphs = parse(to_mermaid(SWITCH_IN_LOOP))
    assert ("t_s", "-->", "a", "t_do_a") in edges
    (point,) = [n for n, (opening, label) in nodes.items() if label == " "]
    assert ("t_s", "-->", "default", point) in edges
    assert (point, "-.->", "while $.loop['iteration'] #60; 3", "t_loop") in edges
    assert ("t_fork", "-->", "", "t_b1") in edges and ("t_b2", "-->", "", "t_join") in edges
    assert subgraphs == ['subgraph cluster_0 ["loop loop"]']
    assert all(source in nodes and target in nodes for source, _, _, target in edges)


def test_loop_body_is_inside_its_subgraph() -> None:
    lines = to_mermaid(SWITCH_IN_LOOP).splitlines()
    start = lines.index('    subgraph cluster_0 ["loop loop"]')
    end = lines.index("    end", start)
    inside = {NODE.match(x)[1] for x in lines[start + 1 : end] if NODE.match(x)}  # type: ignore[index]
    assert {"t_loop", "t_s", "t_do_a"} <= inside
    assert "t_first" not in inside


def test_classes_per_type() -> None:
    lines = to_mermaid(SWITCH_IN_LOOP).splitlines()
    assert "    classDef k_switch fill:#fffde7,stroke:#bda83a,color:#263238" in lines
    assert "    class t_first,t_b1,t_b2,t_end k_simple" in lines
    assert not any(re.match(r"\s*classDef (end|start)\b", x) for x in lines)


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ('say "hi"', "say #34;hi#34;"),
        ("a<b>&c", "a#60;b#62;#38;c"),
        ("#1", "#35;1"),
        ("back\\slash`", "back#92;slash#96;"),
        ("plain [x] (y) {z} |w|", "plain [x] (y) {z} |w|"),
    ],
)
def test_escape_label(text: str, escaped: str) -> None:
    assert escape_label(text) == escaped


def test_odd_references_make_valid_unique_ids() -> None:
    definition = {
        "name": "w",
        "tasks": [t("a-b"), t("a_b"), t('q"uote'), t("end"), t("a b")],
    }
    nodes, edges, _ = parse(to_mermaid(definition))
    assert list(nodes) == ["start_", "t_a_b", "t_a_b_2", "t_q_uote", "t_end", "t_a_b_3", "end_"]
    assert nodes["t_q_uote"][1].startswith("<b>q#34;uote</b>")
    assert [e[0] for e in edges] == ["start_", "t_a_b", "t_a_b_2", "t_q_uote", "t_end", "t_a_b_3"]


def test_expanded_sub_workflow_is_a_subgraph() -> None:
    child = {"name": "child", "version": 1, "tasks": [t("c")]}
    parent = {
        "name": "p",
        "tasks": [t("s", "SUB_WORKFLOW", subWorkflowParam={"name": "child", "version": 1})],
    }
    nodes, edges, subgraphs = parse(
        to_mermaid(parent, definitions={"child": child}, expand_subworkflows=True)
    )
    assert subgraphs == ['subgraph cluster_0 ["sub-workflow child v1"]']
    assert nodes["t_s"][0] == "[["
    assert ("t_s", "-->", "", "t_s_c") in edges


def test_empty_workflow() -> None:
    _, edges, _ = parse(to_mermaid({"name": "w", "tasks": []}))
    assert edges == [("start_", "-->", "", "end_")]
