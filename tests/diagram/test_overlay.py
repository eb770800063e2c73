"""run_overlay from simulated and real executions, and overlays drawn in DOT and Mermaid."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from compiler.diagram import Overlay, TaskStyle, run_overlay, to_dot, to_mermaid
from compiler.diagram.overlay import TAKEN_EDGE, format_duration
from compiler.diagram.styles import GREYED, STATUS_COLOURS
from examples.image_dynamic_fork import image_multiple_convert_resize_dynamic
from examples.lending import loan_origination
from testing import Simulator
from tests.dot_support import parse_dot

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "conductor"
FIXTURES = CORPUS / "conductor-oss_conductor"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not there")


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0, "0 ms"),
        (850, "850 ms"),
        (41_200, "41.2 s"),
        (185_000, "3 min 5 s"),
        (1_800_000, "30 min"),
        (7_800_000, "2 h 10 min"),
        (273_600_000, "3 d 4 h"),
    ],
)
def test_format_duration(ms: int, text: str) -> None:
    assert format_duration(ms) == text


RETRYING = {
    "name": "pay",
    "version": 1,
    "tasks": [
        {"name": "charge", "taskReferenceName": "charge", "type": "SIMPLE"},
        {
            "name": "route",
            "taskReferenceName": "route",
            "type": "SWITCH",
            "evaluatorType": "value-param",
            "expression": "v",
            "inputParameters": {"v": "${charge.output.kind}"},
            "decisionCases": {"card": [{"name": "card", "taskReferenceName": "card"}]},
            "defaultCase": [{"name": "other", "taskReferenceName": "other"}],
        },
    ],
}


def simulate_retries() -> dict[str, Any]:
    sim = Simulator(
        task_defs=[
            {"name": "charge", "retryCount": 3, "retryLogic": "FIXED", "retryDelaySeconds": 20}
        ]
    )
    sim.mock("charge").fails(times=2).then_completes({"kind": "card"}, after=timedelta(seconds=1))
    sim.mock("card").completes({})
    run = sim.run(RETRYING, {})
    assert run.status == "COMPLETED"
    return run.execution


def test_simulated_retries_and_the_case_taken() -> None:
    overlay = run_overlay(simulate_retries())
    charge = overlay.tasks["charge"]
    assert charge.status == "COMPLETED"
    assert charge.fill == STATUS_COLOURS["COMPLETED"]
    assert charge.lines == ("3 attempts · 2 retries", "41.0 s")  # two 20 s delays, 1 s of work
    assert overlay.tasks["route"].lines == ()
    assert "other" not in overlay.tasks  # never ran
    assert overlay.edges == {("route", "card"): TAKEN_EDGE}
    assert overlay.title == "pay v1 · COMPLETED · 41.0 s"
    assert overlay.grey_others


def test_the_overlay_in_dot() -> None:
    graph = parse_dot(to_dot(RETRYING, overlay=run_overlay(simulate_retries())))
    assert graph.nodes["charge"]["fillcolor"] == STATUS_COLOURS["COMPLETED"]
    assert graph.label_text("charge")[-2:] == ["COMPLETED", "3 attempts · 2 retries · 41.0 s"]
    other = graph.nodes["other"]
    assert (other["fillcolor"], other["color"], other["fontcolor"]) == GREYED
    assert "dashed" in other["style"].split(",")
    assert "COMPLETED" not in graph.label_text("other")
    taken = graph.edge("route", "card")
    assert (taken["color"], taken["penwidth"]) == (TAKEN_EDGE, "2.2")
    assert graph.edge("route", "other")["color"] == GREYED[1]  # leads to a task that never ran
    assert graph.edge("charge", "route").get("color") is None  # between tasks that ran
    assert graph.attrs["label"] == "pay v1 · COMPLETED · 41.0 s"
    legend = [n for n, c in graph.node_cluster.items() if c == "cluster_legend"]
    assert legend[-2:] == ["legend status COMPLETED", "legend greyed"]


def test_an_overlay_of_its_own_without_greying() -> None:
    overlay = Overlay(
        tasks={"card": TaskStyle("#123456", lines=("hit 3 times",))},
        edges={("route", "default"): "#654321"},
        title="coverage",
        grey_others=False,
    )
    graph = parse_dot(to_dot(RETRYING, overlay=overlay))
    assert graph.nodes["card"]["fillcolor"] == "#123456"
    assert graph.label_text("card")[-1] == "hit 3 times"
    assert (
        graph.nodes["charge"]["fillcolor"]
        == parse_dot(to_dot(RETRYING)).nodes["charge"]["fillcolor"]
    )
    assert graph.edge("route", "other")["color"] == "#654321"
    assert graph.attrs["label"] == "coverage"
    assert "legend greyed" not in graph.nodes  # nothing greyed: no "not reached" entry


def test_loop_iterations_aggregate_onto_the_body_task() -> None:
    sim = Simulator()
    sim.mock("credit_bureau_report").completes(
        {"response": {"statusCode": 200, "body": {"score": 700}}}
    )
    run = sim.run(
        loan_origination,
        {
            "application_id": "A",
            "customer_id": "C",
            "loan_type": "personal",
            "amount": 1000.0,
            "tenure_months": 12,
        },
    )
    overlay = run_overlay(run.execution)
    assert overlay.tasks["wait_for_underwriting"].lines == ("3 iterations", "30 min")
    assert overlay.tasks["underwriting_status"].lines[0] == "3 iterations"
    assert not any("__" in ref for ref in overlay.tasks)
    assert overlay.edges == {("underwriting_decision", "APPROVED"): TAKEN_EDGE}
    assert "loan_declined" not in overlay.tasks


def test_dynamic_fork_branches_aggregate_onto_the_fork() -> None:
    sim = Simulator()
    run = sim.run(
        image_multiple_convert_resize_dynamic,
        {
            "file_location": "x.png",
            "output_formats": ["jpg", "webp"],
            "output_sizes": [{"width": 1, "height": 1}, {"width": 2, "height": 2}],
        },
    )
    overlay = run_overlay(run.execution)
    assert overlay.tasks["image_resize_fork"].lines == ("4 branches",)
    assert set(overlay.tasks) == {
        "image_resize_plan",
        "image_resize_fork",
        "image_resize_fork_join",
        "image_manifest",
    }
    graph = parse_dot(to_dot(run.execution["workflowDefinition"], overlay=overlay))
    assert "4 branches" in graph.label_text("image_resize_fork")[0]
    (branches,) = graph.successors("image_resize_fork")
    assert "fillcolor" in graph.nodes[branches]
    assert graph.nodes[branches]["fillcolor"] != GREYED[0]  # the fork ran: not greyed


@needs_corpus
def test_real_execution_with_a_failed_dynamic_branch() -> None:
    execution = json.loads(
        (FIXTURES / "ui__e2e__fixtures__dynamicFork__oneFailed.json").read_text()
    )
    overlay = run_overlay(execution)
    assert overlay.tasks["dynamic_tasks"].lines == ("3 branches · 1 not completed", "417 ms")
    assert overlay.tasks["join_dynamic"].status == "FAILED"
    assert overlay.tasks["join_dynamic"].fill == STATUS_COLOURS["FAILED"]
    assert overlay.title == "example_dynamic_tasks v2 · FAILED · 734 ms"


@needs_corpus
def test_real_execution_with_a_loop_and_a_switch() -> None:
    path = FIXTURES / "ui__e2e__fixtures__doWhile__doWhileSwitch.json"
    execution = json.loads(path.read_text())
    overlay = run_overlay(execution)
    assert overlay.tasks["inline_task"].lines == ("1 iteration", "238 ms")
    assert overlay.edges == {("switch_task", "default"): TAKEN_EDGE}  # evaluated to "null"
    graph = parse_dot(to_dot(execution["workflowDefinition"], overlay=overlay))
    assert graph.nodes["Set_NODE_1"]["fillcolor"] == GREYED[0]
    (point,) = [n for n, a in graph.nodes.items() if a.get("shape") == "point"]
    assert graph.edge("switch_task", point)["color"] == TAKEN_EDGE


def test_execution_without_a_definition_still_aggregates_iterations() -> None:
    execution = {
        "tasks": [
            {"referenceTaskName": "loop", "status": "COMPLETED", "taskType": "DO_WHILE"},
            {"referenceTaskName": "step__1", "status": "COMPLETED", "iteration": 1},
            {"referenceTaskName": "step__2", "status": "FAILED", "iteration": 2},
        ]
    }
    overlay = run_overlay(execution)
    assert overlay.tasks["step"] == TaskStyle(STATUS_COLOURS["FAILED"], "FAILED", ("2 iterations",))
    assert overlay.title == "workflow"


@pytest.mark.parametrize("bad", [{}, {"tasks": "x"}, {"tasks": None}])
def test_not_an_execution(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="needs a 'tasks' list"):
        run_overlay(bad)


def test_the_overlay_in_mermaid() -> None:
    text = to_mermaid(RETRYING, overlay=run_overlay(simulate_retries()))
    lines = text.splitlines()
    edges = [line.strip() for line in lines if "-->" in line]
    taken = edges.index('t_route -->|"card"| t_card')
    assert f"    linkStyle {taken} stroke:{TAKEN_EDGE},stroke-width:3px" in lines
    assert "    style t_charge fill:#c8e6c9,color:#263238" in lines
    assert any(x.startswith("    style t_other fill:#f5f5f5") and "dasharray" in x for x in lines)
    to_other = edges.index('t_route -->|"default"| t_other')
    assert f"    linkStyle {to_other} stroke:{GREYED[1]}" in lines
    charge = next(x for x in lines if x.strip().startswith("t_charge("))
    assert "<b>COMPLETED</b>" in charge and "3 attempts · 2 retries · 41.0 s" in charge
