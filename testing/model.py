"""Runtime records of a simulated execution, shaped like Conductor's TaskModel and WorkflowModel.

Mutable on purpose: like Conductor's own models they are updated in place by the decider. Their
``to_json`` gives what ``GET /api/workflow/{id}?includeTasks=true`` returns.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["SUCCESSFUL", "TERMINAL", "WORKFLOW_TERMINAL", "Task", "Workflow"]

TERMINAL = frozenset(
    {
        "COMPLETED",
        "COMPLETED_WITH_ERRORS",
        "FAILED",
        "FAILED_WITH_TERMINAL_ERROR",
        "TIMED_OUT",
        "CANCELED",
        "SKIPPED",
    }
)
SUCCESSFUL = frozenset(
    {"SCHEDULED", "IN_PROGRESS", "COMPLETED", "COMPLETED_WITH_ERRORS", "SKIPPED"}
)
WORKFLOW_TERMINAL = frozenset({"COMPLETED", "FAILED", "TIMED_OUT", "TERMINATED"})


class Task:
    """One attempt of one task (Conductor's TaskModel, the fields the simulator uses)."""

    __slots__ = (
        "callback_after_seconds",
        "end_time",
        "executed",
        "first_scheduled_time",
        "fold_seq",
        "input",
        "iteration",
        "location",
        "output",
        "poll_count",
        "reason",
        "ref",
        "retried",
        "retried_task_id",
        "retry_count",
        "scheduled_time",
        "seq",
        "start_delay_seconds",
        "start_time",
        "status",
        "sub_workflow_id",
        "task_def",
        "task_def_name",
        "task_id",
        "task_type",
        "update_seq",
        "update_time",
        "visible_at",
        "wait_timeout",
        "worker_state",
        "workflow_task",
    )

    def __init__(
        self,
        task_id: str,
        task_type: str,
        ref: str,
        workflow_task: dict[str, Any],
        task_def: dict[str, Any],
        now: int,
        name: str | None = None,
    ) -> None:
        self.task_id = task_id
        self.task_type = task_type
        self.task_def_name = (
            name if name is not None else str(workflow_task.get("name") or task_type)
        )
        self.ref = ref
        self.workflow_task = workflow_task
        self.task_def = task_def
        self.status = "SCHEDULED"
        self.seq = 0
        self.retry_count = 0
        self.retried = False
        self.retried_task_id: str | None = None
        self.executed = False
        self.poll_count = 0
        self.scheduled_time = now
        self.first_scheduled_time = now
        self.start_time = 0
        self.end_time = 0
        self.update_time = 0
        self.callback_after_seconds = 0
        self.start_delay_seconds = 0
        self.visible_at = now
        self.input: dict[str, Any] = {}
        self.output: dict[str, Any] = {}
        self.reason: str | None = None
        self.iteration = 0
        self.sub_workflow_id: str | None = None
        self.wait_timeout = 0
        self.worker_state: Any = None  # the engine's bookkeeping for the pending poll/update
        self.location: Any = None  # where its WorkflowTask sits (Engine.locations), when known
        self.update_seq = 0  # testing.workers: the sequence number of its worker's next update
        self.fold_seq = 0  # testing.workers: the folded poll's sequence number, 0 if none

    @property
    def terminal(self) -> bool:
        """True once the attempt has a final status."""
        return self.status in TERMINAL

    @property
    def successful(self) -> bool:
        """Conductor's isSuccessful (SCHEDULED and IN_PROGRESS count as successful)."""
        return self.status in SUCCESSFUL

    @property
    def base_ref(self) -> str:
        """The reference without the ``__N`` suffix a DO_WHILE iteration adds (only that one)."""
        iteration = self.iteration
        if not iteration:
            return self.ref
        suffix = f"__{iteration}"
        return self.ref[: -len(suffix)] if self.ref.endswith(suffix) else self.ref

    @property
    def current_iteration(self) -> int:
        """``iteration`` as Conductor reports it: a DO_WHILE's own is the iteration it is in."""
        if self.task_type == "DO_WHILE":
            return int(self.output.get("iteration") or 0)
        return self.iteration

    def to_json(self, workflow: Workflow) -> dict[str, Any]:
        """The task as Conductor's API returns it."""
        return {
            # Conductor records a SIMPLE task's type as its task name (§2.3).
            "taskType": self.task_def_name if self.task_type == "SIMPLE" else self.task_type,
            "status": self.status,
            "inputData": self.input,
            "referenceTaskName": self.ref,
            "retryCount": self.retry_count,
            "seq": self.seq,
            "pollCount": self.poll_count,
            "taskDefName": self.task_def_name,
            "scheduledTime": self.scheduled_time,
            "startTime": self.start_time,
            "endTime": self.end_time,
            "updateTime": self.update_time,
            "startDelayInSeconds": self.start_delay_seconds,
            "retriedTaskId": self.retried_task_id,
            "retried": self.retried,
            "executed": self.executed,
            "callbackAfterSeconds": self.callback_after_seconds,
            "workflowInstanceId": workflow.workflow_id,
            "workflowType": workflow.name,
            "taskId": self.task_id,
            "reasonForIncompletion": self.reason,
            "outputData": self.output,
            "workflowTask": self.workflow_task,
            "iteration": self.current_iteration,
            "subWorkflowId": self.sub_workflow_id,
            "firstScheduledTime": self.first_scheduled_time,
        }


class Workflow:
    """One workflow execution (Conductor's WorkflowModel, the fields the simulator uses)."""

    __slots__ = (
        "by_base",
        "by_ref",
        "correlation_id",
        "create_time",
        "definition",
        "end_time",
        "events_due",
        "failed_refs",
        "failed_task_names",
        "failure_workflow_id",
        "fold",
        "input",
        "kills_on_timeout",
        "last_retried_time",
        "locations",
        "name",
        "output",
        "parent_task_id",
        "parent_workflow_id",
        "pending",
        "reason",
        "schema_v1",
        "status",
        "tasks",
        "variables",
        "version",
        "workflow_id",
    )

    def __init__(
        self, workflow_id: str, definition: dict[str, Any], input_: dict[str, Any], now: int
    ) -> None:
        self.workflow_id = workflow_id
        self.definition = definition
        self.name = str(definition.get("name"))
        self.version = int(definition.get("version") or 1)
        self.status = "RUNNING"
        self.create_time = now
        self.end_time = 0
        self.fold: Task | None = None  # its worker task whose poll testing.workers folded
        self.events_due = 0  # events scheduled with Engine.at for this workflow, not yet run
        self.last_retried_time = 0
        self.input = input_
        self.output: dict[str, Any] = {}
        self.variables: dict[str, Any] = dict(definition.get("variables") or {})
        self.tasks: list[Task] = []
        self.pending: dict[str, Task] = {}  # task id -> attempts not yet retried nor executed
        self.by_ref: dict[str, Task] = {}  # latest attempt per reference (with any __N)
        self.by_base: dict[str, Task] = {}  # latest attempt per reference without __N
        self.reason: str | None = None
        self.failed_refs: list[str] = []
        self.failed_task_names: list[str] = []
        self.correlation_id: str | None = None
        self.parent_workflow_id: str | None = None
        self.parent_task_id: str | None = None
        self.failure_workflow_id: str | None = None
        self.locations: dict[str, Any] = {}  # ref -> where the WorkflowTask sits in the definition
        # schemaVersion 1: inputs are bare paths (testing.params.resolve_v1), as Conductor still
        # resolves them (ParametersUtils.getTaskInput: only a version above 1 is read as v2).
        version = definition.get("schemaVersion")
        self.schema_v1 = isinstance(version, int) and not isinstance(version, bool) and version <= 1
        # The definition's timeoutSeconds with TIME_OUT_WF: every decision must check the clock.
        self.kills_on_timeout = (
            bool(int(definition.get("timeoutSeconds") or 0))
            and (definition.get("timeoutPolicy") or "ALERT_ONLY") == "TIME_OUT_WF"
        )

    @property
    def terminal(self) -> bool:
        """True once the workflow has a final status."""
        return self.status in WORKFLOW_TERMINAL

    def to_json(self) -> dict[str, Any]:
        """The execution as ``GET /api/workflow/{id}?includeTasks=true`` returns it."""
        return {
            "workflowId": self.workflow_id,
            "workflowName": self.name,
            "workflowVersion": self.version,
            "status": self.status,
            "createTime": self.create_time,
            "startTime": self.create_time,
            "endTime": self.end_time,
            "updateTime": self.end_time or self.create_time,
            "input": self.input,
            "output": self.output,
            "reasonForIncompletion": self.reason,
            "failedReferenceTaskNames": sorted(set(self.failed_refs)),
            "failedTaskNames": sorted(set(self.failed_task_names)),
            "variables": self.variables,
            "correlationId": self.correlation_id,
            "parentWorkflowId": self.parent_workflow_id,
            "parentWorkflowTaskId": self.parent_task_id,
            "lastRetriedTime": self.last_retried_time,
            "tasks": [task.to_json(self) for task in self.tasks],
            "workflowDefinition": self.definition,
        }

    def inputs_v1(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` resolved the schemaVersion 1 way (see testing.params.resolve_v1).

        Raises:
            SimulationError: a value that is not a ``source.type.name`` path.
        """
        from testing.errors import SimulationError
        from testing.params import resolve_v1

        try:
            return resolve_v1(params, self.input, self.by_ref.get)
        except ValueError as err:
            msg = (
                f"workflow '{self.name}' (schemaVersion 1): {err}. Conductor's decider throws "
                f"here and retries for ever; write the value as 'source.input.name' or "
                f"'source.output.name', or move the definition to schemaVersion 2 ('${{...}}')"
            )
            raise SimulationError(msg) from None

    def document(self) -> WorkflowDocument:
        """The evaluation document of expressions (conductor-semantics.md §6.3), built lazily."""
        return WorkflowDocument(self)


class WorkflowDocument(Mapping[str, Any]):
    """``workflow`` plus one entry per task reference, computed when an expression reads it.

    Loop tasks are keyed by their reference without ``__N``; the latest iteration wins. Lazy, so
    resolving one task's inputs costs the same whatever the number of tasks in the workflow.
    """

    def __init__(self, workflow: Workflow) -> None:
        self._wf = workflow

    def __getitem__(self, key: str) -> Any:
        wf = self._wf
        if key == "workflow":
            return {
                "input": wf.input,
                "output": wf.output,
                "status": wf.status,
                "workflowId": wf.workflow_id,
                "parentWorkflowId": wf.parent_workflow_id,
                "parentWorkflowTaskId": wf.parent_task_id,
                "workflowType": wf.name,
                "version": wf.version,
                "correlationId": wf.correlation_id,
                "reasonForIncompletion": wf.reason,
                "schemaVersion": 2,
                "variables": wf.variables,
            }
        task = wf.by_base.get(key)
        if task is None:
            raise KeyError(key)
        return {
            "input": task.input,
            "output": task.output,
            "taskType": task.task_type,
            "status": task.status,
            "referenceTaskName": task.ref,
            "retryCount": task.retry_count,
            "correlationId": wf.correlation_id,
            "pollCount": task.poll_count,
            "taskDefName": task.task_def_name,
            "scheduledTime": task.scheduled_time,
            "startTime": task.start_time,
            "endTime": task.end_time,
            "workflowInstanceId": wf.workflow_id,
            "taskId": task.task_id,
            "reasonForIncompletion": task.reason,
            "callbackAfterSeconds": task.callback_after_seconds,
            "iteration": task.current_iteration,
        }

    def __iter__(self) -> Iterator[str]:
        yield "workflow"
        yield from self._wf.by_base

    def __len__(self) -> int:
        return 1 + len(self._wf.by_base)
