"""compile_workflow output: WorkflowDef/TaskDef shape, JSON text, source map and CompiledWorkflow."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Any

import pytest

from compiler import CompiledWorkflow, compile_workflow, dumps
from flowdsl import WorkflowDefinitionError, fork, js, sub_workflow, switch, task, workflow
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


class Colour(enum.Enum):
    RED = "red"


@task(retry_count=1, timeout_seconds=30, response_timeout_seconds=10)  # fetch-def
def fetch(x: Any = None) -> dict[str, Any]:
    return {}


@task
def store(x: Any = None) -> None: ...


@workflow(  # full-def
    description="d",
    failure_workflow="fail_wf",
    owner_email="o@x",
    timeout_seconds=5,
    variables={"v": 1},
)
def full(n: int = 2) -> dict[str, Any]:
    h = fetch(n)  # full-fetch
    store(h.output)
    return {"r": h.output}


def first_error(fn: Any) -> Any:
    with pytest.raises(WorkflowDefinitionError) as info:
        compile_workflow(fn)
    return info.value.problems[0]


def test_workflow_def_key_order() -> None:
    """WorkflowDef keys come in Conductor's field order."""
    assert list(compile_workflow(full).workflow_def) == [
        "name",
        "description",
        "version",
        "tasks",
        "inputParameters",
        "outputParameters",
        "failureWorkflow",
        "schemaVersion",
        "restartable",
        "workflowStatusListenerEnabled",
        "ownerEmail",
        "timeoutPolicy",
        "timeoutSeconds",
        "variables",
        "inputTemplate",
    ]


def test_workflow_task_key_order() -> None:
    """Each WorkflowTask starts with name, taskReferenceName, type, inputParameters."""
    task_ = compile_workflow(full).workflow_def["tasks"][0]
    assert list(task_)[:4] == ["name", "taskReferenceName", "type", "inputParameters"]


def test_taskdef_key_order_and_values() -> None:
    """TaskDefs list name first, then retry, timeout and key fields in a fixed order."""
    td = compile_workflow(full).task_defs[0]
    assert list(td) == [
        "name",
        "retryCount",
        "retryLogic",
        "retryDelaySeconds",
        "timeoutSeconds",
        "timeoutPolicy",
        "responseTimeoutSeconds",
        "rateLimitPerFrequency",
        "rateLimitFrequencyInSeconds",
        "inputKeys",
    ]
    assert (td["retryCount"], td["timeoutSeconds"], td["responseTimeoutSeconds"]) == (1, 30, 10)


def test_taskdefs_in_first_use_order_once_each() -> None:
    """Each @task used gets one TaskDef, in first-use order."""

    @workflow
    def wf() -> None:
        store()
        fetch()
        store()

    assert [td["name"] for td in compile_workflow(wf).task_defs] == ["store", "fetch"]


def test_to_json_is_deterministic_text() -> None:
    """to_json() is 2-space-indented JSON in emission order with a final newline."""
    compiled = compile_workflow(full)
    text = compiled.to_json()
    assert text == json.dumps(compiled.workflow_def, indent=2, ensure_ascii=False) + "\n"
    assert text.startswith('{\n  "name": "full",\n  "description": "d",\n')


def test_dumps_keeps_utf8() -> None:
    """dumps() keeps non-ASCII characters as they are."""
    assert dumps({"é": "ü"}) == '{\n  "é": "ü"\n}\n'


def test_name_and_version_properties() -> None:
    """CompiledWorkflow.name and .version read the WorkflowDef."""
    compiled = compile_workflow(full)
    assert isinstance(compiled, CompiledWorkflow)
    assert (compiled.name, compiled.version) == ("full", 1)


def test_source_map_points_at_python_lines() -> None:
    """The source map maps '$', each task path and each TaskDef to the Python line."""
    source_map = compile_workflow(full).source_map
    assert str(source_map["$"]) == at("full-def")
    assert str(source_map["$.tasks[0]"]) == at("full-fetch")
    assert str(source_map["$taskDefs[0]"]) == at("fetch-def")


def test_source_map_covers_nested_tasks() -> None:
    """Tasks inside forks and switch cases have source map entries."""

    @workflow
    def wf(k: str) -> None:
        fork(lambda: fetch(), lambda: store())  # nested-fork
        switch(k, {"a": lambda: fetch()})  # nested-switch

    source_map = compile_workflow(wf).source_map
    assert str(source_map["$.tasks[0].forkTasks[1][0]"]) == at("nested-fork")
    assert str(source_map["$.tasks[2].decisionCases.a[0]"]) == at("nested-switch")


def test_all_workflows_and_task_defs_deduplicate() -> None:
    """all_workflows() lists each workflow once; all_task_defs() each task name once."""

    @workflow
    def child() -> None:
        fetch()

    @workflow
    def parent() -> None:
        sub_workflow(child)
        sub_workflow(child)
        store()

    compiled = compile_workflow(parent)
    assert [w.name for w in compiled.all_workflows()] == ["parent", "child"]
    assert [td["name"] for td in compiled.all_task_defs()] == ["store", "fetch"]


def test_recursive_sub_workflow_compiles() -> None:
    """A workflow that starts itself compiles without recursing forever."""

    @workflow
    def again(n: int) -> None:
        store(n)
        switch(n, {"0": lambda: None}, default=lambda: sub_workflow(again, n=n))

    compiled = compile_workflow(again)
    assert compiled.sub_workflows == ()
    assert compiled.workflow_def["tasks"][1]["defaultCase"][0]["subWorkflowParam"] == {
        "name": "again",
        "version": 1,
    }


def test_warnings_do_not_stop_compilation() -> None:
    """Warnings are collected on CompiledWorkflow.warnings."""

    @workflow
    def wf() -> None:
        store("${HOME}")

    compiled = compile_workflow(wf)
    assert [w.code for w in compiled.warnings] == ["env-ref"]


# -- values -------------------------------------------------------------------------------------


def test_enum_tuple_and_handle_values() -> None:
    """Enums become their value, tuples lists, and handles ${ref.output}."""

    @workflow
    def wf() -> None:
        h = fetch()
        store({"c": Colour.RED, "t": (1, 2), "h": h})

    inputs = compile_workflow(wf).workflow_def["tasks"][1]["inputParameters"]
    assert inputs == {"x": {"c": "red", "t": [1, 2], "h": "${fetch.output}"}}


def test_js_expression_as_an_input_is_refused() -> None:
    """js(...) passed as a task input is reported, pointing at inline()."""

    @workflow
    def wf() -> None:
        store(js("$.a"))  # js-input

    problem = first_error(wf)
    assert problem.code == "not-json"
    assert (
        "is a js(...) expression; js() is only understood by switch() and do_while()"
        in problem.message
    )
    assert "flowdsl.inline" in (problem.hint or "")
    assert str(problem.location) == at("js-input")


def test_non_string_dict_key_is_refused() -> None:
    """A dict key that is not a string is reported."""

    @workflow
    def wf() -> None:
        store({1: "a"})

    problem = first_error(wf)
    assert "has a int key 1; JSON keys are strings" in problem.message


def test_non_json_workflow_output_is_refused() -> None:
    """The workflow output must be JSON too."""

    @workflow
    def wf() -> dict[str, Any]:
        store()
        return {"s": {1, 2}}

    problem = first_error(wf)
    assert problem.code == "not-json"
    assert problem.message.startswith("workflow output.s is a builtins.set")


def test_two_tasks_with_one_name_clash() -> None:
    """Two different @task functions registered under one name are reported."""
    first = task(name="same")(lambda: None)
    second = task(name="same", retry_count=1)(lambda: None)

    @workflow
    def wf() -> None:
        first()
        second.options(ref="other")()

    problem = first_error(wf)
    assert problem.code == "task-name-clash"
    assert "two different @task functions are named 'same'" in problem.message
