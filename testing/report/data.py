"""What a run report shows, read from a Conductor execution record (simulated or from a server).

Every time is kept relative to the workflow's start (``createTime``), in milliseconds, so the
report never depends on the wall clock or on the time zone of whoever renders it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

__all__ = [
    "Attempt",
    "ExecutionError",
    "ReportData",
    "format_duration",
    "format_offset",
    "read_execution",
]


class ExecutionError(ValueError):
    """An execution record the report cannot read (says where, why and how to fix it)."""


@attrs.frozen
class Attempt:
    """One attempt of one task, with times relative to the workflow start (None: never happened)."""

    ref: str
    task_type: str
    status: str
    attempt: int  # 1-based: retryCount + 1
    retry_count: int
    scheduled: int
    start: int | None
    end: int | None
    reason: str | None
    delay_s: int
    index: int  # position in the execution's task list
    timed_out: bool

    @property
    def queue_ms(self) -> int | None:
        """Time between scheduling and the worker picking the task up."""
        return None if self.start is None else max(0, self.start - self.scheduled)

    @property
    def run_ms(self) -> int | None:
        """Time between the start and the end of the attempt."""
        if self.start is None or self.end is None:
            return None
        return max(0, self.end - self.start)


@attrs.frozen
class ReportData:
    """The header facts and every task attempt of one execution."""

    name: str
    version: int
    workflow_id: str
    status: str
    start_ms: int  # absolute createTime (epoch ms)
    end: int | None  # relative; None while running
    span: int  # relative time of the last event (the timeline's width)
    reason: str | None
    attempts: tuple[Attempt, ...]
    input: Any
    output: Any
    definition: Mapping[str, Any] | None

    @property
    def rows(self) -> list[tuple[str, list[Attempt]]]:
        """Attempts grouped per task reference, in the order the references were first scheduled."""
        grouped: dict[str, list[Attempt]] = {}
        for attempt in self.attempts:
            grouped.setdefault(attempt.ref, []).append(attempt)
        return list(grouped.items())


def _number(value: Any, where: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"{where}: expected a time in epoch milliseconds (a number), got {value!r}"
        raise ExecutionError(msg)
    return int(value)


def read_execution(execution: Any, *, file: str = "<execution>") -> ReportData:
    """Read an execution record (``GET /api/workflow/{id}?includeTasks=true``) for the report."""
    if not isinstance(execution, Mapping):
        msg = f"{file}: $: expected an execution record (an object with 'workflowId', 'status' and 'tasks')"
        raise ExecutionError(msg)
    tasks = execution.get("tasks")
    if not isinstance(tasks, Sequence) or isinstance(tasks, str):
        msg = f"{file}: $.tasks: expected the list of task attempts (export the execution with includeTasks=true)"
        raise ExecutionError(msg)
    created = _number(
        execution.get("createTime") or execution.get("startTime"), f"{file}: $.createTime"
    )
    attempts = []
    last = 0
    for index, task in enumerate(tasks):
        where = f"{file}: $.tasks[{index}]"
        if not isinstance(task, Mapping) or not isinstance(task.get("referenceTaskName"), str):
            msg = f"{where}: expected a task object with a 'referenceTaskName' string"
            if isinstance(task, Mapping) and "taskReferenceName" in task:
                msg += (
                    " (this is a WorkflowDef, not an execution: export a run with "
                    "GET /api/workflow/{id}?includeTasks=true, or simulate one with "
                    "`flowdsl report REQUEST.json`)"
                )
            raise ExecutionError(msg)
        scheduled_abs = _number(task.get("scheduledTime"), f"{where}.scheduledTime")
        start_abs = _number(task.get("startTime"), f"{where}.startTime")
        end_abs = _number(task.get("endTime"), f"{where}.endTime")
        scheduled = max(0, scheduled_abs - created) if scheduled_abs else 0
        # Real servers stamp startTime a few ms before scheduledTime at times: clamp for drawing.
        start = max(scheduled, start_abs - created) if start_abs else None
        end = max(start if start is not None else scheduled, end_abs - created) if end_abs else None
        status = str(task.get("status") or "SCHEDULED")
        reason = task.get("reasonForIncompletion")
        attempts.append(
            Attempt(
                ref=task["referenceTaskName"],
                task_type=str(task.get("taskType") or task.get("taskDefName") or "?"),
                status=status,
                attempt=int(task.get("retryCount") or 0) + 1,
                retry_count=int(task.get("retryCount") or 0),
                scheduled=scheduled,
                start=start,
                end=end,
                reason=str(reason) if reason else None,
                delay_s=int(
                    task.get("startDelayInSeconds") or task.get("callbackAfterSeconds") or 0
                ),
                index=index,
                timed_out=status == "TIMED_OUT",
            )
        )
        last = max(last, scheduled, start or 0, end or 0)
    end_abs = _number(execution.get("endTime"), f"{file}: $.endTime")
    end = max(0, end_abs - created) if end_abs else None
    definition = execution.get("workflowDefinition")
    return ReportData(
        name=str(execution.get("workflowName") or (definition or {}).get("name") or "?"),
        version=int(execution.get("workflowVersion") or (definition or {}).get("version") or 1),
        workflow_id=str(execution.get("workflowId") or ""),
        status=str(execution.get("status") or "?"),
        start_ms=created,
        end=end,
        span=max(last, end or 0),
        reason=execution.get("reasonForIncompletion") or None,
        attempts=tuple(attempts),
        input=execution.get("input") or {},
        output=execution.get("output") or {},
        definition=definition if isinstance(definition, Mapping) else None,
    )


_UNITS = (("d", 86_400_000), ("h", 3_600_000), ("min", 60_000), ("s", 1000))


def format_duration(ms: int) -> str:
    """A duration the way a person says it: ``0 ms``, ``250 ms``, ``1.5 s``, ``2 min 5 s``, ``3 h``."""
    if ms < 1000:
        return f"{ms} ms"
    if ms < 60_000:
        text = f"{ms / 1000:.3f}".rstrip("0").rstrip(".")
        return f"{text} s"
    for index, (unit, size) in enumerate(_UNITS):
        if ms >= size:
            text = f"{ms // size} {unit}"
            if index + 1 < len(_UNITS):
                minor_unit, minor_size = _UNITS[index + 1]
                minor = ms % size // minor_size
                if minor:
                    text += f" {minor} {minor_unit}"
            return text
    return f"{ms} ms"  # pragma: no cover - unreachable: ms >= 60 000 here


def format_offset(ms: int | None) -> str:
    """A time relative to the workflow start: ``+0 ms``, ``+5 s``, ``+2 h``; ``-`` when never."""
    return "-" if ms is None else "+" + format_duration(ms)
