"""Combinators: switch and do_while."""

from __future__ import annotations

from typing import Any

from compiler import compile_workflow
from flowdsl import (
    LoopHandle,
    do_while,
    js,
    noop,
    switch,
    task,
    terminate,
    workflow,
)
from tests.support import display_path, marker_line, problems_of, tasks_of


def here() -> str:
    """This file as flowdsl displays it."""
    return display_path(__file__)


def line_of(marker: str) -> int:
    """The line of this file ending with the comment ``# marker``."""
    return marker_line(__file__, marker)


@task
def a(x: Any = None) -> dict[str, Any]:
    return {}


@task
def b(x: Any = None) -> dict[str, Any]:
    return {}


def simple(ref: str, name: str, inputs: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "taskReferenceName": ref,
        "type": "SIMPLE",
        "inputParameters": inputs or {},
    }


# -- switch -------------------------------------------------------------------------------------


def test_switch_on_a_value_uses_value_param() -> None:
    """switch(value, cases, default) emits a value-param SWITCH reading switchCaseValue."""

    @workflow
    def wf(kind: str) -> None:
        switch(kind, {"a": lambda: a()}, default=lambda: b())

    assert tasks_of(wf) == [
        {
            "name": "switch",
            "taskReferenceName": "switch",
            "type": "SWITCH",
            "inputParameters": {"switchCaseValue": "${workflow.input.kind}"},
            "evaluatorType": "value-param",
            "expression": "switchCaseValue",
            "decisionCases": {"a": [simple("a", "a")]},
            "defaultCase": [simple("b", "b")],
        }
    ]


def test_switch_on_js_uses_the_javascript_evaluator() -> None:
    """switch(js(expr, **bindings)) emits a javascript SWITCH with the bindings as inputs."""

    @workflow
    def wf(score: int) -> None:
        switch(js("$.s > 700 ? 'low' : 'high'", s=score), {"low": lambda: a()})

    task_ = tasks_of(wf)[0]
    assert task_["evaluatorType"] == "javascript"
    assert task_["expression"] == "$.s > 700 ? 'low' : 'high'"
    assert task_["inputParameters"] == {"s": "${workflow.input.score}"}


def test_switch_case_keys_are_matched_as_strings() -> None:
    """Case keys become strings as Conductor compares them: True -> 'true', 2 -> '2', None -> 'null'."""

    @workflow
    def wf(k: Any) -> None:
        switch(k, {True: lambda: a(), 2: lambda: b(), None: lambda: noop(), False: lambda: a()})

    assert list(tasks_of(wf)[0]["decisionCases"]) == ["true", "2", "null", "false"]


def test_switch_without_default_has_empty_default_case() -> None:
    """No default gives an empty defaultCase; empty cases stay empty lists."""

    @workflow
    def wf(k: str) -> None:
        switch(k, {"x": lambda: a(), "skip": lambda: None})

    task_ = tasks_of(wf)[0]
    assert task_["defaultCase"] == []
    assert task_["decisionCases"]["skip"] == []


def test_switch_duplicate_case_is_reported() -> None:
    """True and 'true' are the same case once turned into strings."""

    @workflow
    def wf(k: str) -> None:
        switch(k, {True: lambda: a(), "true": lambda: b()})

    (problem,) = problems_of(wf)
    assert problem.message == "switch 'switch' has case 'true' twice"


def test_switch_returns_a_handle_on_the_switch() -> None:
    """switch() returns a handle on the SWITCH task."""

    @workflow
    def wf(k: str) -> dict[str, Any]:
        s = switch(k, {"x": lambda: a()}, ref="route")
        return {"case": s.output.selectedCase}

    assert compile_workflow(wf).workflow_def["outputParameters"] == {
        "case": "${route.output.selectedCase}"
    }


# -- do_while -----------------------------------------------------------------------------------


def test_do_while_emits_condition_and_body() -> None:
    """do_while(body, condition) emits DO_WHILE with loopCondition and loopOver."""

    @workflow
    def wf() -> None:
        do_while(lambda: a(), "$.loop['iteration'] < 3")

    assert tasks_of(wf) == [
        {
            "name": "loop",
            "taskReferenceName": "loop",
            "type": "DO_WHILE",
            "inputParameters": {},
            "loopCondition": "$.loop['iteration'] < 3",
            "loopOver": [simple("a", "a")],
        }
    ]


def test_do_while_max_iterations_adds_a_cap() -> None:
    """max_iterations ANDs an iteration cap onto the condition."""

    @workflow
    def wf() -> None:
        do_while(lambda: a(), "$.a['more']", max_iterations=5)

    assert tasks_of(wf)[0]["loopCondition"] == "($.a['more']) && $.loop['iteration'] < 5"


def test_do_while_max_iterations_alone() -> None:
    """max_iterations without a condition is the cap alone."""

    @workflow
    def wf() -> None:
        do_while(lambda: a(), max_iterations=4, ref="retry")

    assert tasks_of(wf)[0]["loopCondition"] == "$.retry['iteration'] < 4"


def test_do_while_js_condition_binds_inputs() -> None:
    """js(condition, **bindings) puts the bindings in the loop's inputParameters."""

    @workflow
    def wf(limit: int) -> None:
        do_while(lambda: a(), js("$.loop['iteration'] < $.limit", limit=limit))

    task_ = tasks_of(wf)[0]
    assert task_["inputParameters"] == {"limit": "${workflow.input.limit}"}
    assert task_["loopCondition"] == "$.loop['iteration'] < $.limit"


def test_do_while_items_and_keep_last_n() -> None:
    """items= becomes the loop's items and keep_last_n= its keepLastN input; condition defaults to true."""

    @workflow
    def wf() -> None:
        plan = a()
        do_while(lambda: b(), items=plan.output.list, keep_last_n=2)

    task_ = tasks_of(wf)[1]
    assert task_["items"] == "${a.output.list}"
    assert task_["inputParameters"] == {"keepLastN": 2}
    assert task_["loopCondition"] == "true"


def test_do_while_body_receives_the_loop_handle() -> None:
    """A one-argument body gets the LoopHandle: iteration, item and index."""
    seen: list[Any] = []

    def body(loop: LoopHandle) -> None:
        seen.append(loop)
        a([loop.iteration, loop.item, loop.index])

    @workflow
    def wf() -> None:
        do_while(body, items=[1, 2])

    assert tasks_of(wf)[0]["loopOver"][0]["inputParameters"] == {
        "x": ["${loop.output.iteration}", "${loop.output.loopItem}", "${loop.output.loopIndex}"]
    }
    assert isinstance(seen[0], LoopHandle)


def test_do_while_returns_the_loop_handle() -> None:
    """do_while() returns its LoopHandle; its output reads the DO_WHILE output."""

    @workflow
    def wf() -> dict[str, Any]:
        loop = do_while(lambda: a(), max_iterations=2)
        return {"last": loop.output}

    assert compile_workflow(wf).workflow_def["outputParameters"] == {"last": "${loop.output}"}


def test_do_while_without_stop_is_reported() -> None:
    """A loop with no condition, items or max_iterations is reported at the call line."""

    @workflow
    def wf() -> None:
        do_while(lambda: a())  # endless

    (problem,) = problems_of(wf)
    assert problem.code == "bad-loop"
    assert "would never stop" in problem.message
    assert str(problem.location) == f"{here()}:{line_of('endless')}"


def test_do_while_empty_body_is_reported() -> None:
    """A loop body that calls no task is reported."""

    @workflow
    def wf() -> None:
        do_while(lambda: None, "true")

    codes = [p.code for p in problems_of(wf)]
    assert "empty-loop" in codes


def test_terminate_inside_a_case() -> None:
    """A TERMINATE may end a switch case."""

    @workflow
    def wf(k: str) -> None:
        switch(k, {"stop": lambda: terminate("FAILED", "stopped")})
        a()

    case = tasks_of(wf)[0]["decisionCases"]["stop"][0]
    assert case["inputParameters"] == {
        "terminationStatus": "FAILED",
        "terminationReason": "stopped",
    }
