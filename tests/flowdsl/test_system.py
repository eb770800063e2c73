"""System task functions and workflow-level references."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from compiler import compile_workflow
from flowdsl import (
    dynamic,
    event,
    exclusive_join,
    external_workflow,
    http,
    human,
    inline,
    jq_transform,
    kafka_publish,
    noop,
    raw_task,
    secret,
    set_variable,
    start_workflow,
    task,
    terminate,
    variable,
    wait,
    workflow,
    workflow_input,
    workflow_property,
)
from flowdsl.errors import FlowError


@task
def produce() -> dict[str, Any]:
    return {}


def only_task(body: Any) -> dict[str, Any]:
    """The single task a workflow running ``body()`` emits."""

    @workflow
    def wf() -> None:
        body()

    (task_,) = compile_workflow(wf).workflow_def["tasks"]
    return task_


def test_http_request() -> None:
    """http() builds http_request from its arguments; common keywords become task fields."""
    task_ = only_task(
        lambda: http(
            "https://api/x",
            "POST",
            headers={"Authorization": secret("token")},
            body={"a": 1},
            accept="application/json",
            content_type="application/json",
            connection_timeout=100,
            read_timeout=200,
            optional=True,
            retry_count=2,
            start_delay=timedelta(seconds=5),
            description="call",
        )
    )
    assert task_ == {
        "name": "http",
        "taskReferenceName": "http",
        "type": "HTTP",
        "inputParameters": {
            "http_request": {
                "uri": "https://api/x",
                "method": "POST",
                "headers": {"Authorization": "${workflow.secrets.token}"},
                "body": {"a": 1},
                "accept": "application/json",
                "contentType": "application/json",
                "connectionTimeOut": 100,
                "readTimeOut": 200,
            }
        },
        "description": "call",
        "optional": True,
        "startDelay": 5,
        "retryCount": 2,
    }


def test_http_defaults_to_get_and_leaves_out_unset_fields() -> None:
    """http(uri) is a GET with only uri and method."""
    assert only_task(lambda: http("https://x"))["inputParameters"] == {
        "http_request": {"uri": "https://x", "method": "GET"}
    }


def test_http_ref_and_name() -> None:
    """ref= and name= set taskReferenceName and name."""
    task_ = only_task(lambda: http("https://x", ref="call_api", name="api_call"))
    assert (task_["taskReferenceName"], task_["name"]) == ("call_api", "api_call")


def test_inline_expression_and_bindings() -> None:
    """inline() writes evaluatorType, expression and the bindings as inputs."""
    assert only_task(lambda: inline("$.a + 1", a=2))["inputParameters"] == {
        "evaluatorType": "javascript",
        "expression": "$.a + 1",
        "a": 2,
    }


def test_inline_reads_task_outputs() -> None:
    """Bindings may be references to earlier outputs."""

    @workflow
    def wf() -> dict[str, Any]:
        p = produce()
        total = inline("$.items.length", items=p.output["items"])
        return {"n": total.output["result"]}

    compiled = compile_workflow(wf).workflow_def
    assert compiled["tasks"][1]["inputParameters"]["items"] == "${produce.output.items}"
    assert compiled["outputParameters"] == {"n": "${inline.output.result}"}


def test_jq_transform() -> None:
    """jq_transform() writes queryExpression and the data inputs."""
    task_ = only_task(lambda: jq_transform(".a | length", a=[1, 2]))
    assert (task_["type"], task_["taskReferenceName"]) == ("JSON_JQ_TRANSFORM", "jq")
    assert task_["inputParameters"] == {"queryExpression": ".a | length", "a": [1, 2]}


def test_wait_timedelta_becomes_duration_text() -> None:
    """wait(timedelta) writes a Conductor duration string."""
    assert only_task(lambda: wait(timedelta(days=1, hours=2, minutes=30, seconds=5)))[
        "inputParameters"
    ] == {"duration": "1d 2h 30m 5s"}


def test_wait_string_duration_is_kept() -> None:
    """wait('10m20s') keeps the text."""
    assert only_task(lambda: wait("10m20s"))["inputParameters"] == {"duration": "10m20s"}


def test_wait_until_naive_datetime() -> None:
    """wait(until=naive datetime) writes 'yyyy-MM-dd HH:mm' (server zone)."""
    assert only_task(lambda: wait(until=datetime(2030, 1, 2, 3, 4)))["inputParameters"] == {
        "until": "2030-01-02 03:04"
    }


def test_wait_until_aware_datetime_is_written_in_utc() -> None:
    """An aware datetime is converted to UTC and marked so."""
    moment = datetime(2030, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=2)))
    assert only_task(lambda: wait(until=moment))["inputParameters"] == {
        "until": "2030-01-02 01:04 UTC"
    }


def test_wait_until_text_is_kept() -> None:
    """wait(until='...') keeps the text."""
    assert only_task(lambda: wait(until="2030-01-02"))["inputParameters"] == {"until": "2030-01-02"}


def test_wait_for_a_signal() -> None:
    """wait() with neither duration nor until waits for an external update."""
    task_ = only_task(lambda: wait())
    assert (task_["type"], task_["inputParameters"]) == ("WAIT", {})


def test_terminate() -> None:
    """terminate() writes terminationStatus, terminationReason and workflowOutput."""
    task_ = only_task(lambda: terminate("FAILED", "bad input", output={"code": 4}))
    assert task_["type"] == "TERMINATE"
    assert task_["inputParameters"] == {
        "terminationStatus": "FAILED",
        "terminationReason": "bad input",
        "workflowOutput": {"code": 4},
    }


def test_set_variable_and_variable() -> None:
    """set_variable() writes its keywords; variable() reads ${workflow.variables.NAME}."""

    @workflow
    def wf() -> dict[str, Any]:
        set_variable(count=1, who="me")
        return {"count": variable("count")}

    compiled = compile_workflow(wf).workflow_def
    assert compiled["tasks"][0]["type"] == "SET_VARIABLE"
    assert compiled["tasks"][0]["inputParameters"] == {"count": 1, "who": "me"}
    assert compiled["outputParameters"] == {"count": "${workflow.variables.count}"}


def test_human() -> None:
    """human() writes its inputs and optional."""
    task_ = only_task(lambda: human(assignee="bob", optional=True))
    assert (task_["type"], task_["inputParameters"], task_["optional"]) == (
        "HUMAN",
        {"assignee": "bob"},
        True,
    )


def test_event() -> None:
    """event() writes the sink field, asyncComplete and the payload as inputs."""
    task_ = only_task(lambda: event("sqs:orders", async_complete=True, order=1))
    assert task_ == {
        "name": "event",
        "taskReferenceName": "event",
        "type": "EVENT",
        "inputParameters": {"order": 1},
        "sink": "sqs:orders",
        "asyncComplete": True,
    }


def test_kafka_publish() -> None:
    """kafka_publish() builds kafka_request."""
    task_ = only_task(
        lambda: kafka_publish(
            "topic", {"v": 1}, bootstrap_servers="k:9092", key="k1", headers={"h": "x"}
        )
    )
    assert task_["inputParameters"] == {
        "kafka_request": {
            "bootStrapServers": "k:9092",
            "topic": "topic",
            "value": {"v": 1},
            "key": "k1",
            "headers": {"h": "x"},
        }
    }


def test_start_workflow_with_a_function() -> None:
    """start_workflow(fn, input) writes the startWorkflow request with name and version."""

    @workflow(version=2)
    def other() -> None:
        produce()

    task_ = only_task(lambda: start_workflow(other, {"a": 1}, correlation_id="c-1"))
    assert task_["inputParameters"] == {
        "startWorkflow": {"name": "other", "version": 2, "input": {"a": 1}, "correlationId": "c-1"}
    }


def test_start_workflow_external_latest() -> None:
    """start_workflow(external_workflow(name)) leaves the version out."""
    task_ = only_task(lambda: start_workflow(external_workflow("ext")))
    assert task_["inputParameters"] == {"startWorkflow": {"name": "ext", "input": {}}}


def test_dynamic() -> None:
    """dynamic() writes taskToExecute and dynamicTaskNameParam."""

    @workflow
    def wf(which: str) -> None:
        dynamic(which, q=1)

    task_ = compile_workflow(wf).workflow_def["tasks"][0]
    assert task_["inputParameters"] == {"taskToExecute": "${workflow.input.which}", "q": 1}
    assert task_["dynamicTaskNameParam"] == "taskToExecute"


def test_noop() -> None:
    """noop() is a NOOP task with no inputs."""
    assert only_task(noop) == {
        "name": "noop",
        "taskReferenceName": "noop",
        "type": "NOOP",
        "inputParameters": {},
    }


def test_exclusive_join() -> None:
    """exclusive_join() writes joinOn and defaultExclusiveJoinTask from handles or refs."""

    @workflow
    def wf() -> None:
        n = noop()
        exclusive_join([n, "other"], default=[n])

    task_ = compile_workflow(wf).workflow_def["tasks"][1]
    assert (task_["joinOn"], task_["defaultExclusiveJoinTask"]) == (["noop", "other"], ["noop"])


def test_raw_task() -> None:
    """raw_task() writes any type, its inputs and extra camelCase fields as given."""
    task_ = only_task(lambda: raw_task("ORKES_THING", input_parameters={"z": 1}, someField=[1]))
    assert task_ == {
        "name": "orkes_thing",
        "taskReferenceName": "orkes_thing",
        "type": "ORKES_THING",
        "inputParameters": {"z": 1},
        "someField": [1],
    }


def test_system_tasks_number_their_refs() -> None:
    """Repeated system tasks get _2, _3 like worker tasks."""

    @workflow
    def wf() -> None:
        noop()
        noop()
        wait("1s")

    refs = [t["taskReferenceName"] for t in compile_workflow(wf).workflow_def["tasks"]]
    assert refs == ["noop", "noop_2", "wait"]


def test_system_task_outside_a_workflow_is_refused() -> None:
    """A system task called outside a workflow raises a clear error."""
    with pytest.raises(
        FlowError, match=r"http\(\) was called outside a workflow function being compiled"
    ):
        http("https://x")


# -- references to workflow data ---------------------------------------------------------------


def test_secret() -> None:
    """secret(NAME) is ${workflow.secrets.NAME}."""
    assert str(secret("db_password")) == "${workflow.secrets.db_password}"


def test_variable() -> None:
    """variable(NAME) is ${workflow.variables.NAME}."""
    assert str(variable("count")) == "${workflow.variables.count}"


def test_workflow_input() -> None:
    """workflow_input(NAME) is ${workflow.input.NAME}."""
    assert str(workflow_input("extra")) == "${workflow.input.extra}"


def test_workflow_property() -> None:
    """workflow_property(NAME) is ${workflow.NAME}."""
    assert str(workflow_property("workflowId")) == "${workflow.workflowId}"
    assert str(workflow_property("correlationId")) == "${workflow.correlationId}"


def test_workflow_property_unknown_is_refused() -> None:
    """An unknown property raises ValueError listing the known ones."""
    with pytest.raises(ValueError, match="workflow has no property 'createdAt'; choose one of"):
        workflow_property("createdAt")


def test_workflow_level_refs_compile_without_problems() -> None:
    """secret/variable/workflow_input/workflow_property pass validation as task inputs."""

    @workflow
    def wf() -> None:
        http(
            "https://x",
            headers={
                "a": secret("s"),
                "b": variable("v"),
                "c": workflow_input("i"),
                "d": workflow_property("status"),
            },
        )

    headers = compile_workflow(wf).workflow_def["tasks"][0]["inputParameters"]["http_request"][
        "headers"
    ]
    assert headers == {
        "a": "${workflow.secrets.s}",
        "b": "${workflow.variables.v}",
        "c": "${workflow.input.i}",
        "d": "${workflow.status}",
    }


def test_aware_until_uses_utc_offset_arithmetic() -> None:
    """An until already in UTC is written unchanged with the UTC marker."""
    moment = datetime(2031, 5, 6, 7, 8, tzinfo=UTC)
    assert only_task(lambda: wait(until=moment))["inputParameters"] == {
        "until": "2031-05-06 07:08 UTC"
    }
