"""Lifecycles: WAIT, signals, sub-workflows, and how a workflow ends (§2.4, §3.8, §8.7, §8.10)."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any

from testing.errors import SimulationError
from testing.model import Task, Workflow
from testing.params import resolve

if TYPE_CHECKING:
    from testing.engine import Engine

__all__ = ["complete", "end", "fail_workflow", "signal", "start_sub_workflow", "start_wait"]


def start_wait(eng: Engine, wf: Workflow, task: Task) -> None:
    """WAIT (§8.10): IN_PROGRESS until its duration or until time, or a signal."""
    from compiler.rules import parse_wait_duration, parse_wait_until

    duration, until = task.input.get("duration"), task.input.get("until")
    task.status = "IN_PROGRESS"
    if duration is not None and until is not None:
        finish(
            eng,
            task,
            "FAILED_WITH_TERMINAL_ERROR",
            "Both 'duration' and 'until' specified. Please provide only one input",
        )
        return
    if duration is not None:
        seconds = parse_wait_duration(str(duration))
        if seconds is None:
            finish(eng, task, "FAILED_WITH_TERMINAL_ERROR", f"Invalid duration: {duration}")
            return
        task.wait_timeout = eng.now + seconds * 1000
    elif until is not None:
        moment = parse_wait_until(str(until))
        if moment is None:
            finish(
                eng,
                task,
                "FAILED_WITH_TERMINAL_ERROR",
                f"Invalid/Unsupported Wait Until format: {until}",
            )
            return

        epoch = moment.replace(tzinfo=moment.tzinfo or UTC).timestamp()
        task.wait_timeout = int(epoch * 1000)
    else:
        return  # waits for a signal
    task.callback_after_seconds = max(0, (task.wait_timeout - eng.now) // 1000)
    eng.at(task.wait_timeout, "wait_over", wf.workflow_id, task.task_id)


def on_wait_over(eng: Engine, wf_id: str, task_id: str) -> None:
    wf = eng.workflows[wf_id]
    task = wf.pending.get(task_id)
    if task is not None and task.status == "IN_PROGRESS" and not wf.terminal:
        finish(eng, task, "COMPLETED", None)
        eng.mark_dirty(wf, task)
        eng.decide(wf)


def signal(
    eng: Engine, wf: Workflow, ref: str, status: str, output: dict[str, Any], reason: str | None
) -> None:
    """An external task update (a HUMAN, WAIT or EVENT task completed or failed by API)."""
    task = wf.by_ref.get(ref)
    if task is None or task.terminal or wf.terminal:
        return
    task.output = dict(output)  # an update replaces the output (§3.6)
    finish(eng, task, status, reason)
    eng.mark_dirty(wf, task)
    eng.decide(wf)


def on_signal(
    eng: Engine, wf_id: str, ref: str, status: str, output: dict[str, Any], reason: str | None
) -> None:
    signal(eng, eng.workflows[wf_id], ref, status, output, reason)


def on_terminate(eng: Engine, wf_id: str, reason: str) -> None:
    wf = eng.workflows[wf_id]
    if not wf.terminal:
        end(eng, wf, "TERMINATED", reason, None, failure_workflow=False)


def finish(eng: Engine, task: Task, status: str, reason: str | None) -> None:
    task.status = status
    task.reason = reason
    task.end_time = task.update_time = eng.now


def start_sub_workflow(eng: Engine, wf: Workflow, task: Task) -> None:
    """SUB_WORKFLOW (§8.7): start the child; the task mirrors its end."""
    param = task.workflow_task.get("subWorkflowParam") or {}
    inline = param.get("workflowDefinition")
    child_input = dict(task.input) if task.input else {}
    task.status = "IN_PROGRESS"
    try:
        definition = (
            inline
            if isinstance(inline, dict)
            else eng.definition(str(param.get("name")), param.get("version"))
        )
    except SimulationError as err:
        finish(eng, task, "FAILED", str(err))
        return
    child = eng.start_workflow(
        definition, child_input, correlation_id=wf.correlation_id, parent=(wf, task)
    )
    task.sub_workflow_id = child.workflow_id
    task.output = {"subWorkflowId": child.workflow_id}
    if child.terminal:
        child_ended(eng, wf, task, child)


def child_ended(eng: Engine, parent: Workflow, task: Task, child: Workflow) -> None:
    status = {
        "COMPLETED": "COMPLETED",
        "FAILED": "FAILED",
        "TERMINATED": "CANCELED",
        "TIMED_OUT": "TIMED_OUT",
    }[child.status]
    task.output = {**child.output, "subWorkflowId": child.workflow_id}
    reason = (
        None
        if status == "COMPLETED"
        else (
            f"Sub workflow {child.name}.{child.version}/{child.workflow_id} failure reason: {child.reason}"
        )
    )
    finish(eng, task, status, reason)
    eng.mark_dirty(parent, task)


# -- ends -------------------------------------------------------------------------------------
def fail_workflow(eng: Engine, wf: Workflow, reason: str) -> None:
    """A mapping error: the workflow FAILS (TerminateWorkflowException)."""
    end(eng, wf, "FAILED", reason, None)


def complete(eng: Engine, wf: Workflow) -> None:
    """Nothing left to do (§3.7): COMPLETED, unless a permissive task failed."""
    latest = {t.ref: t for t in wf.tasks}
    failed = [
        t
        for t in latest.values()
        if t.workflow_task.get("permissive")
        and not t.workflow_task.get("optional")
        and t.terminal
        and not t.successful
    ]
    if failed:
        reason = ". ".join(
            f"Task {t.task_id} failed with status: {t.status} and reason: '{t.reason}'"
            for t in failed
        )
        end(eng, wf, "FAILED", reason, failed[0])
        return
    terminate = next(
        (t for t in wf.tasks if t.task_type == "TERMINATE" and t.status == "COMPLETED"), None
    )
    close(eng, wf, "COMPLETED", terminate)


def end(
    eng: Engine,
    wf: Workflow,
    status: str,
    reason: str,
    task: Task | None,
    *,
    failure_workflow: bool = True,
) -> None:
    """End the workflow with ``status`` (FAILED, TIMED_OUT, TERMINATED or COMPLETED by TERMINATE)."""
    if wf.terminal:
        return
    wf.reason = reason
    for pending in list(wf.pending.values()):
        if not pending.terminal:
            if pending.status == "IN_PROGRESS":
                eng.task_left_progress(pending)
            pending.status = "CANCELED"
            pending.end_time = pending.update_time = eng.now
            pending.worker_state = None
            if pending.sub_workflow_id in eng.workflows:
                child = eng.workflows[pending.sub_workflow_id]
                end(
                    eng,
                    child,
                    "TERMINATED",
                    f"Parent workflow has been terminated with reason: {reason}",
                    None,
                    failure_workflow=False,
                )
    terminate = next(
        (t for t in wf.tasks if t.task_type == "TERMINATE" and t.status == "COMPLETED"), None
    )
    close(eng, wf, status, terminate)
    if status != "COMPLETED" and failure_workflow and wf.definition.get("failureWorkflow"):
        start_failure_workflow(eng, wf, task)


def close(eng: Engine, wf: Workflow, status: str, terminate: Task | None) -> None:
    wf.status = status
    wf.end_time = eng.now
    for t in wf.tasks:
        if (
            t.status in ("FAILED", "FAILED_WITH_TERMINAL_ERROR", "TIMED_OUT", "CANCELED")
            and t.task_type != "JOIN"
        ):
            wf.failed_refs.append(t.ref)
            wf.failed_task_names.append(t.task_def_name)
    if terminate is not None:
        wf.output = dict(terminate.output)
        wf.status = str(terminate.input.get("terminationStatus") or status)
        wf.reason = terminate.input.get("terminationReason") or (
            f"Workflow is {wf.status} by TERMINATE task: {terminate.task_id}"
        )
        if wf.status != "COMPLETED":
            cancel_rest(eng, wf)
    elif wf.definition.get("outputParameters"):
        params = wf.definition["outputParameters"]
        if wf.schema_v1 and isinstance(params, dict):
            wf.output = wf.inputs_v1(params)
        else:
            value = resolve(params, wf.document(), env=eng.env)
            wf.output = value if isinstance(value, dict) else {}
    elif wf.tasks:
        wf.output = dict(wf.tasks[-1].output)
    wf.pending.clear()
    if wf.parent_workflow_id in eng.workflows:
        parent = eng.workflows[str(wf.parent_workflow_id)]
        task = next((t for t in parent.tasks if t.task_id == wf.parent_task_id), None)
        if task is not None and not task.terminal:
            child_ended(eng, parent, task, wf)
            eng.at(eng.now, "decide", parent.workflow_id)


def cancel_rest(eng: Engine, wf: Workflow) -> None:
    for pending in wf.tasks:
        if not pending.terminal:
            pending.status = "CANCELED"
            pending.end_time = eng.now


def start_failure_workflow(eng: Engine, wf: Workflow, task: Task | None) -> None:
    name = str(wf.definition.get("failureWorkflow"))
    if name.startswith("$"):
        name = str(wf.input.get(name.split(".")[2] if name.count(".") >= 2 else "", ""))
    if not name:
        return
    payload = {
        **wf.input,
        "workflowId": wf.workflow_id,
        "reason": wf.reason,
        "failureStatus": wf.status,
        "failedWorkflow": wf.to_json(),
    }
    if task is not None:
        payload["failureTaskId"] = task.task_id
    child = eng.start_by_name(
        name,
        wf.definition.get("failureWorkflowVersion"),
        payload,
        correlation_id=wf.correlation_id,
    )
    wf.failure_workflow_id = child.workflow_id
    wf.output = {**wf.output, "conductor.failure_workflow": child.workflow_id}
