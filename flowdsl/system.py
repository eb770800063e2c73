"""Conductor system tasks as functions, and workflow-level references.

Every function takes the common keywords ``ref``, ``optional``,
``start_delay``, ``retry_count`` and ``description`` (plus
``async_complete`` where Conductor has it) and returns a :class:`Handle`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from flowdsl import _trace
from flowdsl.errors import Problem, caller_location
from flowdsl.handle import Handle
from flowdsl.nodes import SystemTask
from flowdsl.ref import Ref
from flowdsl.workflow import WorkflowFunction, WorkflowRef

__all__ = [
    "dynamic",
    "event",
    "exclusive_join",
    "http",
    "human",
    "inline",
    "jq_transform",
    "kafka_publish",
    "noop",
    "raw_task",
    "secret",
    "set_variable",
    "start_workflow",
    "terminate",
    "variable",
    "wait",
    "workflow_input",
    "workflow_property",
]

#: The names ``workflow_property`` accepts (``${workflow.<name>}``).
WORKFLOW_PROPERTIES = frozenset(
    {
        "workflowId",
        "parentWorkflowId",
        "parentWorkflowTaskId",
        "workflowType",
        "version",
        "correlationId",
        "status",
        "reasonForIncompletion",
        "schemaVersion",
        "input",
        "output",
        "variables",
    }
)


def _emit(
    type_: str,
    base: str,
    inputs: Mapping[str, Any],
    *,
    ref: str | None,
    name: str | None,
    fields: Mapping[str, Any] | None = None,
    optional: bool | None = None,
    start_delay: Any = None,
    retry_count: int | None = None,
    description: str | None = None,
    async_complete: bool | None = None,
    permissive: bool | None = None,
    task_def: Mapping[str, Any] | None = None,
) -> Handle[dict[str, Any]]:
    from flowdsl.control import _options, _task_def

    tracer = _trace.current(f"{type_.lower()}()")
    where = caller_location()
    task_ref = tracer.new_ref(base, ref, where)
    options = _options(
        optional=optional,
        start_delay=start_delay,
        retry_count=retry_count,
        description=description,
        async_complete=async_complete,
        permissive=permissive,
        task_definition=_task_def(task_def, where),
    )
    tracer.add(
        SystemTask(
            task_ref, where, options, type_, name or task_ref, dict(inputs), dict(fields or {})
        )
    )
    return Handle(task_ref, type_)


def _millis(value: int | timedelta | None) -> int | None:
    if isinstance(value, timedelta):
        return int(value.total_seconds() * 1000)
    return value


def _drop_none(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def http(
    uri: Any,
    method: str = "GET",
    *,
    headers: Mapping[str, Any] | None = None,
    body: Any = None,
    accept: str | None = None,
    content_type: str | None = None,
    connection_timeout: int | timedelta | None = None,
    read_timeout: int | timedelta | None = None,
    ref: str | None = None,
    name: str | None = None,
    **common: Any,
) -> Handle[dict[str, Any]]:
    """HTTP task: ``output["response"]`` holds ``body``, ``headers``, ``statusCode``, ``reasonPhrase``.

    ``connection_timeout`` and ``read_timeout`` are **milliseconds** (Conductor's unit here) or a
    ``timedelta``. Retries, backoff and rate limits go in ``task_def=dict(retry_count=...,
    retry_logic=..., rate_limit_per_frequency=...)`` (an inline TaskDef); common keywords:
    ``ref``, ``optional``, ``start_delay``, ``retry_count``, ``description``, ``async_complete``.
    """
    request = _drop_none(
        uri=uri,
        method=method,
        headers=dict(headers) if headers else None,
        body=body,
        accept=accept,
        contentType=content_type,
        connectionTimeOut=_millis(connection_timeout),
        readTimeOut=_millis(read_timeout),
    )
    return _emit("HTTP", "http", {"http_request": request}, ref=ref, name=name, **common)


def inline(
    expression: str,
    *,
    ref: str | None = None,
    name: str | None = None,
    evaluator: str = "javascript",
    task_def: Mapping[str, Any] | None = None,
    **bindings: Any,
) -> Handle[dict[str, Any]]:
    """INLINE JavaScript evaluated by Conductor; ``$.name`` reads a binding; output ``result``.

    Common keywords (``optional`` ...) cannot be bindings here; use raw_task for that.
    """
    inputs = {"evaluatorType": evaluator, "expression": expression, **bindings}
    return _emit("INLINE", "inline", inputs, ref=ref, name=name, task_def=task_def)


def jq_transform(
    query: str,
    *,
    ref: str | None = None,
    name: str | None = None,
    task_def: Mapping[str, Any] | None = None,
    **data: Any,
) -> Handle[dict[str, Any]]:
    """JSON_JQ_TRANSFORM: ``query`` runs over the inputs; output ``result`` and ``resultList``."""
    inputs = {"queryExpression": query, **data}
    return _emit("JSON_JQ_TRANSFORM", "jq", inputs, ref=ref, name=name, task_def=task_def)


def _wait_duration(value: timedelta) -> str:
    total = int(value.total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")) if n]
    return " ".join(parts) or "0s"


def wait(
    duration: timedelta | str | None = None,
    *,
    until: datetime | str | None = None,
    ref: str | None = None,
    name: str | None = None,
    **common: Any,
) -> Handle[dict[str, Any]]:
    """WAIT for ``duration`` (timedelta or Conductor text such as ``"2h 30m"``), ``until`` a time,
    or, with neither, until an external signal completes it."""
    inputs: dict[str, Any] = {}
    if isinstance(duration, timedelta):
        inputs["duration"] = _wait_duration(duration)
    elif duration is not None:
        inputs["duration"] = duration
    if isinstance(until, datetime):
        moment = until if until.tzinfo is None else until.astimezone(UTC)
        inputs["until"] = moment.strftime("%Y-%m-%d %H:%M") + (" UTC" if until.tzinfo else "")
    elif until is not None:
        inputs["until"] = until
    return _emit("WAIT", "wait", inputs, ref=ref, name=name, **common)


def terminate(
    status: str,
    reason: Any = None,
    *,
    output: Any = None,
    ref: str | None = None,
    name: str | None = None,
) -> Handle[dict[str, Any]]:
    """TERMINATE the workflow with ``status`` (literal ``COMPLETED``, ``FAILED`` or ``TERMINATED``)."""
    inputs = _drop_none(terminationStatus=status, terminationReason=reason, workflowOutput=output)
    return _emit("TERMINATE", "terminate", inputs, ref=ref, name=name)


def set_variable(
    *, ref: str | None = None, name: str | None = None, **variables: Any
) -> Handle[dict[str, Any]]:
    """SET_VARIABLE: write ``variables`` into ``${workflow.variables}``."""
    return _emit("SET_VARIABLE", "set_variable", variables, ref=ref, name=name)


def human(
    *,
    ref: str | None = None,
    name: str | None = None,
    optional: bool | None = None,
    task_def: Mapping[str, Any] | None = None,
    **inputs: Any,
) -> Handle[dict[str, Any]]:
    """HUMAN task: waits until an external update completes or fails it.

    A deadline for the human goes in ``task_def=dict(timeout_seconds=..., timeout_policy=...)``.
    """
    return _emit("HUMAN", "human", inputs, ref=ref, name=name, optional=optional, task_def=task_def)


def event(
    sink: str,
    *,
    ref: str | None = None,
    name: str | None = None,
    async_complete: bool | None = None,
    optional: bool | None = None,
    task_def: Mapping[str, Any] | None = None,
    **payload: Any,
) -> Handle[dict[str, Any]]:
    """EVENT: publish ``payload`` to ``sink`` (``conductor``, ``conductor:queue``, ``sqs:name`` ...)."""
    return _emit(
        "EVENT",
        "event",
        payload,
        ref=ref,
        name=name,
        fields={"sink": sink},
        async_complete=async_complete,
        optional=optional,
        task_def=task_def,
    )


def kafka_publish(
    topic: str,
    value: Any,
    *,
    bootstrap_servers: str,
    key: Any = None,
    headers: Mapping[str, Any] | None = None,
    ref: str | None = None,
    name: str | None = None,
    **common: Any,
) -> Handle[dict[str, Any]]:
    """KAFKA_PUBLISH ``value`` to ``topic``."""
    request = _drop_none(
        bootStrapServers=bootstrap_servers,
        topic=topic,
        value=value,
        key=key,
        headers=dict(headers) if headers else None,
    )
    return _emit(
        "KAFKA_PUBLISH", "kafka_publish", {"kafka_request": request}, ref=ref, name=name, **common
    )


def start_workflow(
    target: WorkflowFunction[..., Any] | WorkflowRef,
    input: Mapping[str, Any] | None = None,
    *,
    correlation_id: Any = None,
    ref: str | None = None,
    name: str | None = None,
) -> Handle[dict[str, Any]]:
    """START_WORKFLOW: start ``target`` fire-and-forget; output ``workflowId``."""
    if isinstance(target, WorkflowFunction):
        _trace.current("start_workflow()").started.append(target)
    request = _drop_none(
        name=target.name,
        version=target.version,
        input=dict(input or {}),
        correlationId=correlation_id,
    )
    return _emit("START_WORKFLOW", "start_workflow", {"startWorkflow": request}, ref=ref, name=name)


def dynamic(
    task_name: Any,
    *,
    ref: str | None = None,
    name: str | None = None,
    task_def: Mapping[str, Any] | None = None,
    **inputs: Any,
) -> Handle[dict[str, Any]]:
    """DYNAMIC: run the worker task whose name ``task_name`` holds at run time."""
    return _emit(
        "DYNAMIC",
        "dynamic",
        {"taskToExecute": task_name, **inputs},
        ref=ref,
        name=name,
        fields={"dynamicTaskNameParam": "taskToExecute"},
        task_def=task_def,
    )


def noop(*, ref: str | None = None, name: str | None = None) -> Handle[dict[str, Any]]:
    """NOOP: does nothing; useful as a join point."""
    return _emit("NOOP", "noop", {}, ref=ref, name=name)


def exclusive_join(
    join_on: Sequence[Handle[Any] | str],
    *,
    default: Sequence[Handle[Any] | str] = (),
    ref: str | None = None,
    name: str | None = None,
) -> Handle[dict[str, Any]]:
    """EXCLUSIVE_JOIN: completes with the output of whichever of ``join_on`` ran."""

    def refs(items: Sequence[Handle[Any] | str]) -> list[str]:
        return [i.ref if isinstance(i, Handle) else str(i) for i in items]

    fields: dict[str, Any] = {"joinOn": refs(join_on)}
    if default:
        fields["defaultExclusiveJoinTask"] = refs(default)
    return _emit("EXCLUSIVE_JOIN", "exclusive_join", {}, ref=ref, name=name, fields=fields)


def raw_task(
    type: str,
    *,
    ref: str | None = None,
    name: str | None = None,
    input_parameters: Mapping[str, Any] | None = None,
    **fields: Any,
) -> Handle[dict[str, Any]]:
    """Any task type flowdsl does not model (Orkes-only ones): ``fields`` are WorkflowTask fields
    in Conductor's camelCase spelling, written as given."""
    if not isinstance(type, str) or not type:
        where = caller_location()
        tracer = _trace.current("raw_task()")
        tracer.report(
            Problem(
                f"raw_task() needs a task type string, got {type!r}",
                code="bad-call",
                location=where,
            )
        )
        type = "SIMPLE"
    return _emit(
        type, type.lower(), dict(input_parameters or {}), ref=ref, name=name, fields=fields
    )


def secret(name: str) -> Any:
    """``${workflow.secrets.NAME}``: resolved by the server only when the task runs."""
    return Ref(f"workflow.secrets.{name}")


def variable(name: str) -> Any:
    """``${workflow.variables.NAME}``: a workflow variable (see :func:`set_variable`)."""
    return Ref(f"workflow.variables.{name}")


def workflow_input(name: str) -> Any:
    """``${workflow.input.NAME}``, for inputs that are not parameters of the workflow function."""
    return Ref(f"workflow.input.{name}")


def workflow_property(name: str) -> Any:
    """``${workflow.<name>}``: workflowId, correlationId, workflowType, version, status, ...

    Raises:
        ValueError: ``name`` is not a workflow property Conductor exposes.
    """
    if name not in WORKFLOW_PROPERTIES:
        msg = f"workflow has no property '{name}'; choose one of {', '.join(sorted(WORKFLOW_PROPERTIES))}"
        raise ValueError(msg)
    return Ref(f"workflow.{name}")
