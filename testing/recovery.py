"""Conductor's manual workflow APIs at simulated times: pause, resume, retry, restart, skip (§4.6).

Each is an event the test schedules (``Simulator.pause(after=...)`` ...). A call Conductor would
refuse (retrying a running workflow, restarting a completed non-restartable one, skipping a task
already scheduled) raises :class:`SimulationError` with Conductor's reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from testing.errors import SimulationError
from testing.model import Task, Workflow

if TYPE_CHECKING:
    from testing.engine import Engine

__all__ = ["on_pause", "on_restart", "on_resume", "on_retry", "on_skip"]

_RETRYABLE = frozenset({"FAILED", "FAILED_WITH_TERMINAL_ERROR", "TIMED_OUT", "CANCELED"})


def on_pause(eng: Engine, wf_id: str) -> None:
    """PAUSED stops scheduling; running tasks may still finish (the decider ignores them)."""
    wf = eng.workflows[wf_id]
    if wf.status == "RUNNING":
        wf.status = "PAUSED"


def on_resume(eng: Engine, wf_id: str) -> None:
    """RUNNING again; the workflow-timeout clock restarts (``lastRetriedTime = now``)."""
    wf = eng.workflows[wf_id]
    if wf.status != "PAUSED":
        return
    wf.status = "RUNNING"
    _restart_clock(eng, wf)
    for task in wf.pending.values():
        eng.mark_dirty(wf, task)  # whatever finished while paused is decided now
    eng.decide(wf)


def on_retry(eng: Engine, wf_id: str) -> None:
    """Retry a terminal workflow from its failed tasks (§4.6 retry)."""
    wf = eng.workflows[wf_id]
    if not wf.terminal:
        raise SimulationError(
            f"retry at {eng.now}: workflow '{wf.name}' is still running ({wf.status})"
        )
    latest: dict[str, Task] = {}
    for task in wf.tasks:
        latest[task.ref] = task
    chosen = [t for t in latest.values() if t.status in _RETRYABLE]
    if not chosen and wf.status != "TIMED_OUT":
        raise SimulationError(
            f"retry of workflow '{wf.name}': There are no retryable tasks! Use restart if "
            f"you want to attempt entire workflow execution again."
        )
    _reopen(eng, wf)
    copies: list[Task] = []
    for task in chosen:
        if task.task_type in ("JOIN", "DO_WHILE"):
            task.status = "IN_PROGRESS"  # set back in place
            task.end_time = 0
            task.reason = None
            wf.pending[task.task_id] = task
            continue
        copy = eng.retry_copy(wf, task, 0)
        task.retried = True
        copies.append(copy)
    eng.register(wf, copies)
    for task in chosen:
        if task.task_type == "JOIN":
            eng.rewatch_join(wf, task)
    eng.decide(wf)


def on_restart(eng: Engine, wf_id: str) -> None:
    """Start a terminal workflow again from scratch, under the same id (§4.6 restart)."""
    wf = eng.workflows[wf_id]
    if not wf.terminal:
        raise SimulationError(
            f"restart at {eng.now}: workflow '{wf.name}' is still running ({wf.status})"
        )
    if wf.status == "COMPLETED" and wf.definition.get("restartable") is False:
        raise SimulationError(
            f"workflow '{wf.name}' is an instance of a non-restartable workflow definition "
            f"and cannot be restarted once COMPLETED"
        )
    wf.tasks.clear()
    wf.pending.clear()
    wf.by_ref.clear()
    wf.by_base.clear()
    _reopen(eng, wf)
    wf.create_time = eng.now
    wf.last_retried_time = 0
    eng.decide(wf)


def on_skip(eng: Engine, wf_id: str, ref: str) -> None:
    """Mark a future task SKIPPED: the decider passes over it (§4.6 skipTask)."""
    wf = eng.workflows[wf_id]
    if wf.status != "RUNNING":
        raise SimulationError(f"skip '{ref}': workflow '{wf.name}' is {wf.status}, not RUNNING")
    location = wf.locations.get(ref)
    if location is None:
        raise SimulationError(
            f"skip '{ref}': workflow '{wf.name}' has no task with that taskReferenceName"
        )
    if ref in wf.by_ref:
        raise SimulationError(f"skip '{ref}': the task is already scheduled")
    tasks, index = location[:2]
    wt = tasks[index]
    task = Task(eng.new_id("task"), str(wt.get("type") or "SIMPLE"), ref, wt, {}, eng.now)
    task.status = "SKIPPED"
    task.executed = True
    task.seq = len(wf.tasks) + 1
    wf.tasks.append(task)
    wf.by_ref[ref] = task
    wf.by_base[ref] = task
    eng.task_skipped(wf, task)


def _reopen(eng: Engine, wf: Workflow) -> None:
    wf.status = "RUNNING"
    wf.reason = None
    wf.end_time = 0
    wf.output = {}
    wf.failed_refs.clear()
    wf.failed_task_names.clear()
    _restart_clock(eng, wf)


def _restart_clock(eng: Engine, wf: Workflow) -> None:
    wf.last_retried_time = eng.now
    timeout = int(wf.definition.get("timeoutSeconds") or 0)
    if timeout and (wf.definition.get("timeoutPolicy") or "ALERT_ONLY") == "TIME_OUT_WF":
        eng.at(eng.now + timeout * 1000, "sweep", wf.workflow_id)
