"""schemaVersion 1 definitions, and the replay follow-ups (conductor-semantics.md §6; replay.md).

Conductor no longer registers schemaVersion 1 definitions, but its engine still resolves their
inputs the old way (``ParametersUtils.getTaskInput`` reads a definition as v2 only when its
schemaVersion is above 1; otherwise ``getTaskInputV1``): every value is a bare path
``source.type.name``. Recorded executions of such definitions replay only if the simulator does
the same.
"""

from __future__ import annotations

from typing import Any

import pytest

from testing.errors import SimulationError
from testing.params import resolve_v1
from testing.simulator import Simulator


def v1(*tasks: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"name": "old", "version": 1, "schemaVersion": 1, "tasks": list(tasks), **fields}


def simple(ref: str, **inputs: Any) -> dict[str, Any]:
    return {"name": ref, "taskReferenceName": ref, "type": "SIMPLE", "inputParameters": inputs}


class _Attempt:
    def __init__(self, input_: dict[str, Any], output: dict[str, Any]) -> None:
        self.input, self.output = input_, output


def test_resolve_v1_reads_workflow_inputs_and_task_inputs_and_outputs() -> None:
    tasks = {"t1": _Attempt({"size": 3}, {"url": "s3://x", "n": 7})}
    params = {
        "a": "workflow.input.requestId",
        "b": "workflow.anything.requestId",  # the middle part is not read for 'workflow'
        "c": "t1.output.url",
        "d": "t1.input.size",
        "e": "t1.whatever.n",  # anything but 'input' reads the output
        "f": "t9.output.url",  # no such task: the key is left out
        "g": "workflow.input.missing",  # a missing workflow input is null, key present
    }
    got = resolve_v1(params, {"requestId": "r-1"}, tasks.get)
    assert got == {"a": "r-1", "b": "r-1", "c": "s3://x", "d": 3, "e": 7, "g": None}


@pytest.mark.parametrize(
    ("value", "size", "shown"),
    [
        ("literal", 1, "literal"),
        ("a.b", 2, "a.b"),
        ("a.b.c.d", 4, "a.b.c.d"),
        ("a.b.", 2, "a.b."),  # Java's split drops trailing empty strings
        (5, 1, "5"),
        (None, 1, "null"),
    ],
)
def test_resolve_v1_rejects_what_is_not_three_parts(value: Any, size: int, shown: str) -> None:
    with pytest.raises(ValueError) as caught:
        resolve_v1({"p": value}, {}, {}.get)
    assert str(caught.value) == (
        f"Invalid input expression for p, paramPathComponents.size={size}, expression={shown}"
    )


def test_a_schema_v1_workflow_passes_outputs_along_and_builds_its_output() -> None:
    sim = Simulator()
    sim.mock("t1").completes({"url": "s3://b/x.png"})
    sim.mock("t2").completes({"done": True})
    definition = v1(
        simple("t1", file="workflow.input.file"),
        simple("t2", url="t1.output.url", size="t1.input.file"),
        outputParameters={"url": "t1.output.url", "done": "t2.output.done"},
    )
    run = sim.run(definition, {"file": "in.png"})
    assert run.status == "COMPLETED"
    assert run.task("t1").input == {"file": "in.png"}
    assert run.task("t2").input == {"url": "s3://b/x.png", "size": "in.png"}
    assert run.output == {"url": "s3://b/x.png", "done": True}


def test_a_schema_v1_decision_switches_on_a_bare_path() -> None:
    """The case of completed.json: caseValueParam reads an input written without ${}."""
    sim = Simulator()
    sim.mock("check").completes({"oddEven": "1"})
    sim.mock("odd").completes({})
    sim.mock("even").completes({})
    decision = {
        "name": "decide",
        "taskReferenceName": "decide",
        "type": "DECISION",
        "caseValueParam": "oddEven",
        "inputParameters": {"oddEven": "check.output.oddEven"},
        "decisionCases": {"0": [simple("even")], "1": [simple("odd")]},
    }
    run = sim.run(v1(simple("check"), decision))
    assert [t["referenceTaskName"] for t in run.tasks] == ["check", "decide", "odd"]


def test_a_retry_of_a_schema_v1_task_reads_its_inputs_again() -> None:
    sim = Simulator(task_defs=[{"name": "t2", "retryCount": 1, "retryDelaySeconds": 0}])
    sim.mock("t1").completes({"n": 1})
    sim.mock("t2").fails(times=1).then_completes({})
    run = sim.run(v1(simple("t1"), simple("t2", n="t1.output.n")))
    assert [a["inputData"] for a in run.task("t2").attempts_list] == [{"n": 1}, {"n": 1}]


def test_a_bad_schema_v1_input_stops_the_simulation_with_the_reason() -> None:
    sim = Simulator()
    sim.mock("t1").completes({})
    with pytest.raises(SimulationError) as caught:
        sim.run(v1(simple("t1", p="workflow.x")))
    message = str(caught.value)
    assert "workflow 'old' (schemaVersion 1): Invalid input expression for p" in message
    assert "paramPathComponents.size=2, expression=workflow.x" in message
    assert "schemaVersion 2" in message  # how to fix it


def test_schema_version_2_and_a_missing_version_resolve_placeholders() -> None:
    for version in (2, None):
        definition = v1(simple("t1", p="workflow.input.x", q="${workflow.input.x}"))
        if version is None:
            del definition["schemaVersion"]
        else:
            definition["schemaVersion"] = version
        sim = Simulator()
        sim.mock("t1").completes({})
        run = sim.run(definition, {"x": 5})
        assert run.task("t1").input == {"p": "workflow.input.x", "q": 5}


# -- issues seen while replaying (docs/replay.md), fixed: regression tests --------------------
def _one(task: dict[str, Any]) -> Any:
    return Simulator().run({"name": "wf", "version": 1, "tasks": [task]})


def test_an_empty_lambda_script_fails_with_conductors_reason() -> None:
    run = _one(
        {
            "name": "l",
            "taskReferenceName": "l",
            "type": "LAMBDA",
            "inputParameters": {"scriptExpression": None},
        }
    )
    assert run.status == "FAILED"
    assert run.task("l").status == "FAILED"
    assert run.task("l").reason == (
        "Empty 'scriptExpression' in Lambda task's input parameters. A non-empty String value "
        "must be provided."
    )


def test_a_blank_inline_expression_fails_terminally() -> None:
    run = _one(
        {
            "name": "i",
            "taskReferenceName": "i",
            "type": "INLINE",
            "inputParameters": {"evaluatorType": "javascript", "expression": "  "},
        }
    )
    assert run.task("i").status == "FAILED_WITH_TERMINAL_ERROR"
    assert run.task("i").reason == "Empty 'expression' in Inline task's input"


def test_a_do_while_reports_its_current_iteration() -> None:
    body = {
        "name": "a",
        "taskReferenceName": "a",
        "type": "SET_VARIABLE",
        "inputParameters": {"i": "${loop.iteration}"},
    }
    loop = {
        "name": "loop",
        "taskReferenceName": "loop",
        "type": "DO_WHILE",
        "loopCondition": "$.loop.iteration < 2",
        "inputParameters": {},
        "loopOver": [body],
    }
    run = _one(loop)
    assert run.task("loop").attempts_list[-1]["iteration"] == 2
    assert [t["inputData"] for t in run.tasks[1:]] == [{"i": 1}, {"i": 2}]
