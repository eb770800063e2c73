"""@workflow: WorkflowDef options, inputs, outputs, and misuse of workflow functions."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from compiler import compile_workflow
from flowdsl import (
    OptionError,
    WorkflowDefinitionError,
    WorkflowTimeoutPolicy,
    external_workflow,
    task,
    workflow,
)
from flowdsl.errors import FlowError
from tests.support import display_path, marker_line


def here() -> str:
    """This file as flowdsl displays it."""
    return display_path(__file__)


def line_of(marker: str) -> int:
    """The line of this file ending with the comment ``# marker``."""
    return marker_line(__file__, marker)


@task
def step(value: Any = None) -> dict[str, Any]:
    return {"value": value}


def wf_def(fn: Any) -> dict[str, Any]:
    return compile_workflow(fn).workflow_def


def test_name_and_version_default() -> None:
    """The workflow is named after its function, version 1."""

    @workflow
    def order_flow() -> None:
        step()

    wf = wf_def(order_flow)
    assert (wf["name"], wf["version"]) == ("order_flow", 1)
    assert (order_flow.name, order_flow.version) == ("order_flow", 1)


def test_explicit_name_version_and_description() -> None:
    """name=, version= and description= are written to the WorkflowDef."""

    @workflow(name="orders", version=4, description="takes orders")
    def fn() -> None:
        step()

    wf = wf_def(fn)
    assert (wf["name"], wf["version"], wf["description"]) == ("orders", 4, "takes orders")


def test_default_settings_are_written_out() -> None:
    """Without options the WorkflowDef has Conductor's defaults and ALERT_ONLY with no timeout."""

    @workflow
    def plain() -> None:
        step()

    wf = wf_def(plain)
    assert {k: wf[k] for k in wf if k not in ("tasks",)} == {
        "name": "plain",
        "version": 1,
        "inputParameters": [],
        "outputParameters": {},
        "schemaVersion": 2,
        "restartable": True,
        "workflowStatusListenerEnabled": False,
        "timeoutPolicy": "ALERT_ONLY",
        "timeoutSeconds": 0,
    }


def test_timeout_defaults_policy_to_time_out_wf() -> None:
    """timeout_seconds without timeout_policy gives timeoutPolicy TIME_OUT_WF."""

    @workflow(timeout_seconds=timedelta(hours=1))
    def timed() -> None:
        step()

    wf = wf_def(timed)
    assert (wf["timeoutSeconds"], wf["timeoutPolicy"]) == (3600, "TIME_OUT_WF")


def test_explicit_timeout_policy_wins() -> None:
    """An explicit timeout_policy (enum or string) is kept."""

    @workflow(timeout_seconds=60, timeout_policy=WorkflowTimeoutPolicy.ALERT_ONLY)
    def alerting() -> None:
        step()

    @workflow(timeout_seconds=60, timeout_policy="alert_only")
    def alerting2() -> None:
        step()

    assert wf_def(alerting)["timeoutPolicy"] == "ALERT_ONLY"
    assert wf_def(alerting2)["timeoutPolicy"] == "ALERT_ONLY"


def test_restartable_owner_and_listener() -> None:
    """restartable=, owner_email= and workflow_status_listener_enabled= are written."""

    @workflow(restartable=False, owner_email="o@x.io", workflow_status_listener_enabled=True)
    def opts() -> None:
        step()

    wf = wf_def(opts)
    assert (wf["restartable"], wf["ownerEmail"], wf["workflowStatusListenerEnabled"]) == (
        False,
        "o@x.io",
        True,
    )


def test_variables_are_written() -> None:
    """variables= becomes the WorkflowDef variables map."""

    @workflow(variables={"count": 0, "tags": ["a"]})
    def with_vars() -> None:
        step()

    assert wf_def(with_vars)["variables"] == {"count": 0, "tags": ["a"]}


def test_input_template_merges_parameter_defaults() -> None:
    """Parameter defaults and input_template= together form inputTemplate (the option wins)."""

    @workflow(input_template={"region": "eu", "size": 9})
    def templated(size: int = 3, colour: str = "red") -> None:
        step(size)

    assert wf_def(templated)["inputTemplate"] == {"size": 9, "colour": "red", "region": "eu"}


def test_failure_workflow_by_function_is_compiled_too() -> None:
    """failure_workflow=<workflow fn> names it and compiles it as a started workflow."""

    @workflow(name="cleanup")
    def cleanup() -> None:
        step()

    @workflow(failure_workflow=cleanup)
    def main_flow() -> None:
        step()

    compiled = compile_workflow(main_flow)
    assert compiled.workflow_def["failureWorkflow"] == "cleanup"
    assert [w.name for w in compiled.sub_workflows] == ["cleanup"]


def test_failure_workflow_external_with_version() -> None:
    """failure_workflow=external_workflow(name, version) writes name and version."""

    @workflow(failure_workflow=external_workflow("alerts", 2))
    def main_flow() -> None:
        step()

    wf = wf_def(main_flow)
    assert (wf["failureWorkflow"], wf["failureWorkflowVersion"]) == ("alerts", 2)


def test_failure_workflow_by_name() -> None:
    """failure_workflow='name' writes the name only."""

    @workflow(failure_workflow="alerts")
    def main_flow() -> None:
        step()

    wf = wf_def(main_flow)
    assert wf["failureWorkflow"] == "alerts"
    assert "failureWorkflowVersion" not in wf


def test_parameters_become_workflow_inputs() -> None:
    """Each parameter is listed in inputParameters and reads as ${workflow.input.<name>}."""

    @workflow
    def with_inputs(order_id: str, count: int) -> None:
        step({"id": order_id, "n": count})

    wf = wf_def(with_inputs)
    assert wf["inputParameters"] == ["order_id", "count"]
    assert wf["tasks"][0]["inputParameters"] == {
        "value": {"id": "${workflow.input.order_id}", "n": "${workflow.input.count}"}
    }


def test_returned_dict_becomes_output_parameters() -> None:
    """The returned dict (references included, nested) becomes outputParameters."""

    @workflow
    def outputs(x: int) -> dict[str, Any]:
        h = step(x)
        return {"value": h.output["value"], "echo": x, "all": [h.output, 1]}

    assert wf_def(outputs)["outputParameters"] == {
        "value": "${step.output.value}",
        "echo": "${workflow.input.x}",
        "all": ["${step.output}", 1],
    }


def test_returning_a_handle_is_reported() -> None:
    """Returning something other than a dict is a problem located at the workflow definition."""

    @workflow  # returns-handle
    def bad_output() -> Any:
        return step()

    with pytest.raises(WorkflowDefinitionError) as info:
        compile_workflow(bad_output)
    (problem,) = info.value.problems
    assert "returns a task handle" in problem.message
    assert "must be a dict" in problem.message
    assert str(problem.location) == f"{here()}:{line_of('returns-handle')}"


def test_unknown_workflow_option_suggests_the_close_one() -> None:
    """A misspelt @workflow option raises OptionError with a did-you-mean."""
    with pytest.raises(
        OptionError,
        match=re.escape(
            "@workflow has no option 'timeout_second'. Did you mean 'timeout_seconds'?"
        ),
    ):
        workflow(timeout_second=5)


def test_bad_version_is_refused() -> None:
    """version must be an int >= 1."""
    with pytest.raises(OptionError, match="version=0 must be an int >= 1"):
        workflow(version=0)


def test_var_keyword_workflow_is_refused() -> None:
    """A workflow taking **kwargs raises OptionError: inputs must be named."""
    with pytest.raises(OptionError, match="declare each workflow input as a named parameter"):

        @workflow
        def loose(**inputs: Any) -> None: ...


def test_workflow_called_inside_another_points_at_sub_workflow() -> None:
    """Calling a workflow like a task inside a workflow raises an error naming sub_workflow."""

    @workflow
    def child() -> None:
        step()

    @workflow
    def parent() -> None:
        child()  # called-like-task

    with pytest.raises(FlowError) as info:
        compile_workflow(parent)
    message = str(info.value)
    assert message.startswith(f"{here()}:{line_of('called-like-task')}: ")
    assert "workflow 'child' was called like a task inside workflow 'parent'" in message
    assert "flowdsl.sub_workflow(child, ...)" in message


def test_workflow_called_directly_points_at_compile() -> None:
    """Calling a workflow function outside tracing explains it is a description."""

    @workflow
    def desc() -> None:
        step()

    with pytest.raises(
        FlowError, match=r"is a description, not code to run.*compile_workflow\(desc\)"
    ):
        desc()


def test_compile_workflow_refuses_plain_functions() -> None:
    """compile_workflow() of an undecorated function raises TypeError."""
    with pytest.raises(TypeError, match="takes a @workflow function"):
        compile_workflow(lambda: None)  # type: ignore[arg-type]
