"""Conductor's decider over one simulated workflow (conductor-semantics.md §3.3, §4, §5).

Conductor re-examines every pending task on each decide. Between two decisions a task's state
changes only through an event (a worker update, a timer reaching a deadline, a child workflow
ending), so the simulator re-examines only the tasks events marked *dirty*: the same outcome, at a
cost per event that does not grow with the workflow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from testing.model import Task, Workflow
from testing.params import resolve
from testing.scripts import ScriptError
from testing.tasks import BUILT_IN, loop_condition, schedule

if TYPE_CHECKING:
    from testing.engine import Engine

__all__ = ["Loops", "decide", "decide_alone", "retry_delay_seconds", "retry_failed"]

_INT_MAX = 2**31 - 1


def retry_delay_seconds(td: dict[str, Any], attempt: int) -> int:
    """The delay before retrying attempt number ``attempt`` (0 for the first), §4.1."""
    base = int(td.get("retryDelaySeconds") or 0)
    logic = td.get("retryLogic") or "FIXED"
    if logic == "LINEAR_BACKOFF":
        delay = base * int(td.get("backoffScaleFactor") or 1) * (attempt + 1)
    elif logic == "EXPONENTIAL_BACKOFF":
        delay = base * 2**attempt
    else:
        delay = base
    delay = min(delay, _INT_MAX)
    cap = int(td.get("maxRetryDelaySeconds") or 0)
    return cap if 0 < cap < delay else delay


def _async_complete(task: Task) -> bool:
    return task.task_type == "SUB_WORKFLOW" or (
        task.task_type in ("HTTP", "EVENT", "KAFKA_PUBLISH")
        and bool(task.workflow_task.get("asyncComplete"))
    )


def _apply_policy(eng: Engine, wf: Workflow, task: Task, reason: str) -> None:
    policy = task.task_def.get("timeoutPolicy") or "TIME_OUT_WF"
    if policy == "ALERT_ONLY":
        return
    if task.status == "IN_PROGRESS":
        eng.task_left_progress(task)
    task.status = "TIMED_OUT"
    task.reason = reason
    task.end_time = task.update_time = eng.now
    if policy == "TIME_OUT_WF":
        eng.end(
            wf,
            "TIMED_OUT",
            f"Task {task.task_id} failed with status: TIMED_OUT and reason: '{reason}'",
            task,
        )


def check_timeouts(eng: Engine, wf: Workflow, task: Task) -> None:
    """Total, task, poll and response timeouts, in Conductor's order (§5)."""
    td, now = task.task_def, eng.now
    policy = td.get("timeoutPolicy") or "TIME_OUT_WF"
    total = int(td.get("totalTimeoutSeconds") or 0)
    if (
        total > 0
        and task.first_scheduled_time > 0
        and (now - task.first_scheduled_time) // 1000 >= total
    ):
        _apply_policy(
            eng,
            wf,
            task,
            f"Task total timeout of {total} seconds exceeded. Timeout policy "
            f"configured to {policy}",
        )
    timeout = int(td.get("timeoutSeconds") or 0)
    if not task.terminal and timeout > 0 and task.start_time > 0:
        elapsed = now - (task.start_time + task.start_delay_seconds * 1000)
        if elapsed >= timeout * 1000:
            _apply_policy(
                eng,
                wf,
                task,
                f"Task timed out after {elapsed // 1000} seconds. Timeout configured as "
                f"{timeout} seconds. Timeout policy configured to {policy}",
            )
    poll = int(td.get("pollTimeoutSeconds") or 0)
    if not task.terminal and task.status == "SCHEDULED" and poll > 0:
        elapsed = now - (task.scheduled_time + task.start_delay_seconds * 1000)
        if elapsed >= (poll + task.callback_after_seconds) * 1000:
            _apply_policy(
                eng,
                wf,
                task,
                f"Task poll timed out after {elapsed // 1000} seconds. Poll timeout "
                f"configured as {poll} seconds. Timeout policy configured to {policy}",
            )
    response = int(td.get("responseTimeoutSeconds") or 0)
    if (
        not task.terminal
        and task.status == "IN_PROGRESS"
        and response != 0
        and not _async_complete(task)
        and now - task.update_time >= (response + task.callback_after_seconds) * 1000
    ):
        task.status = "TIMED_OUT"
        task.reason = (
            f"responseTimeout: {response} exceeded for the taskId: {task.task_id} with Task "
            f"Definition: {task.task_def_name}"
        )
        task.end_time = task.update_time = now
        eng.task_left_progress(task)


def next_deadline(task: Task) -> int | None:
    """The earliest time a timeout of ``task`` can fire in its current state (None: none can)."""
    td = task.task_def
    if (
        not td.get("_timeouts", True)
        or task.terminal
        or (td.get("timeoutPolicy") == "ALERT_ONLY" and task.status != "IN_PROGRESS")
    ):
        return None
    deadlines: list[int] = []
    total = int(td.get("totalTimeoutSeconds") or 0)
    if total > 0 and td.get("timeoutPolicy") != "ALERT_ONLY":
        deadlines.append(task.first_scheduled_time + total * 1000)
    timeout = int(td.get("timeoutSeconds") or 0)
    if timeout > 0 and task.start_time > 0 and td.get("timeoutPolicy") != "ALERT_ONLY":
        deadlines.append(task.start_time + (task.start_delay_seconds + timeout) * 1000)
    poll = int(td.get("pollTimeoutSeconds") or 0)
    if poll > 0 and task.status == "SCHEDULED" and td.get("timeoutPolicy") != "ALERT_ONLY":
        deadlines.append(
            task.scheduled_time
            + (task.start_delay_seconds + poll + task.callback_after_seconds) * 1000
        )
    response = int(td.get("responseTimeoutSeconds") or 0)
    if response and task.status == "IN_PROGRESS" and not _async_complete(task):
        deadlines.append(task.update_time + (response + task.callback_after_seconds) * 1000)
    return min(deadlines) if deadlines else None


def retry_failed(eng: Engine, wf: Workflow, task: Task) -> bool:
    """Schedule the next attempt of a terminal, unsuccessful ``task`` if it may retry (§4.2).

    False (and nothing changed) when it may not: out of retries, a status that never retries,
    a system task, or past its totalTimeoutSeconds."""
    wt, td = task.workflow_task, task.task_def
    allowed = wt.get("retryCount")
    allowed = int(td.get("retryCount") or 0) if allowed is None else int(allowed)
    total = int(td.get("totalTimeoutSeconds") or 0)
    over_budget = total > 0 and (eng.now - task.first_scheduled_time) // 1000 >= total
    retriable = (
        task.status in ("FAILED", "TIMED_OUT")
        and task.task_type not in BUILT_IN
        and allowed > task.retry_count
        and not over_budget
    )
    if not retriable:
        return False
    delay = retry_delay_seconds(td, task.retry_count)
    copy = eng.retry_copy(wf, task, delay)
    location = copy.location
    if (
        eng.fast_path
        and location is not None
        and location[3] is None
        and copy.task_type == "SIMPLE"
    ):
        eng.register_worker(wf, copy)  # no loop to tell, no JOIN to watch, nothing to start
    else:
        eng.register(wf, [copy])  # first, so a loop never sees its iteration empty in between
    task.retried = True
    eng.remove_pending(wf, task, [])
    return True


def _handle_failure(eng: Engine, wf: Workflow, task: Task) -> None:
    """A terminal, unsuccessful attempt: retry it, or give up (§4.2)."""
    if retry_failed(eng, wf, task):
        return
    wt = task.workflow_task
    if wt.get("optional"):
        task.status = "COMPLETED_WITH_ERRORS"
        return
    if wt.get("permissive"):
        return
    status = {"CANCELED": "TERMINATED", "TIMED_OUT": "TIMED_OUT"}.get(task.status, "FAILED")
    eng.end(
        wf,
        status,
        f"Task {task.task_id} failed with status: {status} and reason: '{'null' if task.reason is None else task.reason}'",
        task,
    )


def next_tasks(eng: Engine, wf: Workflow, task: Task) -> list[tuple[dict[str, Any], int]]:
    """The WorkflowTasks to schedule once ``task`` is done (§3.5)."""
    kind = task.task_type
    if kind in ("TERMINATE", "FORK") or (
        kind in ("SWITCH", "DECISION") and task.input.get("hasChildren")
    ):
        return []
    return eng.following(wf, task.base_ref, task.iteration)


class Loops:
    """DO_WHILE bookkeeping (§8.6): iterations, body tasks in flight, outputs, the condition."""

    def __init__(self, eng: Engine) -> None:
        self.eng = eng
        self.state: dict[str, dict[str, Any]] = {}  # loop task id -> state

    def start(self, wf: Workflow, loop: Task, follow: list[tuple[dict[str, Any], int]]) -> None:
        wt = loop.workflow_task
        items = self._items(wf, loop)
        state = {"iteration": 0, "in_flight": 0, "body": [], "items": items}
        self.state[loop.task_id] = state
        loop.status = "IN_PROGRESS"
        if items is not None and not items:
            loop.output = {"iteration": 0}
            loop.status = "COMPLETED"
            loop.end_time = self.eng.now
            return
        self._next_iteration(loop, state, follow, wt)

    def _items(self, wf: Workflow, loop: Task) -> list[Any] | None:
        wt = loop.workflow_task
        if wt.get("items") is not None:
            value = resolve(wt.get("items"), wf.document())
            return list(value) if isinstance(value, list) else []
        if "_items" in loop.input:
            value = loop.input["_items"]
            return list(value) if isinstance(value, list) else []
        return None

    def _next_iteration(
        self,
        loop: Task,
        state: dict[str, Any],
        follow: list[tuple[dict[str, Any], int]],
        wt: dict[str, Any],
    ) -> None:
        state["iteration"] += 1
        state["body"] = []
        loop.output["iteration"] = state["iteration"]
        if state["items"] is not None:
            index = state["iteration"] - 1
            loop.output["loopIndex"] = index
            loop.output["loopItem"] = state["items"][index]
        body = wt.get("loopOver") or []
        if body:
            follow.append((body[0], state["iteration"]))

    def body_registered(self, loop: Task, task: Task) -> None:
        state = self.state.get(loop.task_id)
        if state is not None:
            state["in_flight"] += 1
            state["body"].append(task)

    def body_left(self, wf: Workflow, loop: Task, follow: list[tuple[dict[str, Any], int]]) -> None:
        """A body task of ``loop`` was executed or retried; end the iteration when none is left."""
        state = self.state.get(loop.task_id)
        if state is None:
            return
        state["in_flight"] -= 1
        if state["in_flight"] > 0 or any(
            iteration == state["iteration"] and self.eng.loop_of(wf, wt) == loop.base_ref
            for wt, iteration in follow
        ):
            return
        self._iteration_done(wf, loop, state, follow)

    def _iteration_done(
        self,
        wf: Workflow,
        loop: Task,
        state: dict[str, Any],
        follow: list[tuple[dict[str, Any], int]],
    ) -> None:
        body: list[Task] = [t for t in state["body"] if not t.retried]
        iteration = state["iteration"]
        loop.output[str(iteration)] = {t.base_ref: t.output for t in body}
        keep = loop.input.get("keepLastN")
        if isinstance(keep, int) and keep > 0:  # §8.6: older iterations' outputs are dropped
            loop.output.pop(str(iteration - keep), None)
        if any(not t.successful for t in body):
            bad = next(t for t in body if not t.successful)
            self._finish(loop, "FAILED", f"{bad.task_def_name}/{bad.task_id} failed: {bad.reason}")
            return
        bindings = dict(
            resolve(loop.workflow_task.get("inputParameters") or {}, wf.document()) or {}
        )
        bindings[loop.base_ref] = loop.output
        for task in body:
            bindings[task.base_ref] = task.output
        try:
            go_on = loop_condition(loop, bindings, self.eng.now)
        except ScriptError as err:
            self._finish(loop, "FAILED_WITH_TERMINAL_ERROR", err.message)
            return
        items = state["items"]
        if items is not None:
            go_on = go_on and state["iteration"] < len(items)
        if go_on:
            self._next_iteration(loop, state, follow, loop.workflow_task)
        else:
            self._finish(loop, "COMPLETED", None)

    def _finish(self, loop: Task, status: str, reason: str | None) -> None:
        loop.status = status
        loop.reason = reason
        loop.end_time = loop.update_time = self.eng.now
        self.state.pop(loop.task_id, None)


def decide(eng: Engine, wf: Workflow) -> None:
    """Decide until nothing changes (sync system tasks complete inside the same decision)."""
    while not wf.terminal and _decide_once(eng, wf):
        pass


_ENDS_OR_BRANCHES = frozenset({"TERMINATE", "FORK", "SWITCH", "DECISION"})


def decide_alone(eng: Engine, wf: Workflow, task: Task) -> bool:
    """The decision when the only change is that worker task ``task`` COMPLETED or FAILED.

    What :func:`_decide_once` does with that single dirty attempt, without its general
    bookkeeping: mark it executed, release its JOINs and loop, schedule what follows; or
    schedule its retry. False, with nothing changed, when the general decider must run
    instead: a TIME_OUT_WF deadline, a workflow not RUNNING, other changes waiting, a failure
    with no retry left. ``Engine(fast_path=False)`` turns this off; the suite compares both.
    """
    dirty = eng._dirty
    if wf.status != "RUNNING" or wf.kills_on_timeout or (dirty and dirty.get(wf.workflow_id)):
        return False
    if task.status == "COMPLETED" and task.task_type not in _ENDS_OR_BRANCHES:
        task.executed = True
        location = task.location
        if location is None and not task.iteration:
            location = wf.locations.get(task.ref)
        if location is not None and location[2] is None:
            # In the workflow's own task list (no branch, no loop): next_tasks is the next
            # entry, remove_pending drops it and tells the JOINs waiting on it.
            del wf.pending[task.task_id]
            if eng._joins:
                eng.joined(wf, task.ref)
            following = location[4] if len(location) > 4 else None
            if following is not None:  # a plain SIMPLE task, looked up at the start
                eng.schedule_planned(wf, following)
            else:
                tasks, index = location[0], location[1]
                if index + 1 < len(tasks):
                    eng.schedule_all(wf, [(tasks[index + 1], 0)])
        else:
            follow = next_tasks(eng, wf, task)
            eng.remove_pending(wf, task, follow)
            if follow:
                eng.schedule_all(wf, follow)
    elif not (task.status == "FAILED" and retry_failed(eng, wf, task)):
        return False
    if wf.terminal:
        return True
    if not wf.pending:
        eng.complete(wf)
    elif dirty and dirty.get(wf.workflow_id):
        decide(eng, wf)
    return True


def _decide_once(eng: Engine, wf: Workflow) -> bool:
    definition = wf.definition
    if not wf.tasks:
        tasks = definition.get("tasks") or []
        if not tasks:
            eng.complete(wf)
            return False
        out: list[Task] = []
        schedule(eng, wf, tasks[0], 0, out)
        if not wf.terminal:
            eng.register(wf, out)
        return True
    timeout = int(definition.get("timeoutSeconds") or 0)
    if timeout and (definition.get("timeoutPolicy") or "ALERT_ONLY") == "TIME_OUT_WF":
        elapsed = eng.now - (wf.last_retried_time or wf.create_time)
        if elapsed >= timeout * 1000:
            eng.end(
                wf,
                "TIMED_OUT",
                f"Workflow timed out after {elapsed // 1000} seconds. Timeout configured as "
                f"{timeout} seconds. Timeout policy configured to TIME_OUT_WF",
                None,
            )
            return False
    if wf.status == "PAUSED":
        return False  # the timeout is checked even while paused; nothing else is decided (§3.3)
    dirty = eng.take_dirty(wf)
    if not dirty:
        if not wf.pending and not wf.terminal:
            eng.complete(wf)
        return False
    follow: list[tuple[dict[str, Any], int]] = []
    changed = False
    for task in sorted(dirty, key=lambda t: t.seq):
        if wf.terminal:
            return False
        if task.task_id not in wf.pending:
            continue
        if not task.terminal:
            check_timeouts(eng, wf, task)
            if wf.terminal:
                return False
        if task.terminal and not task.successful and not task.retried:
            _handle_failure(eng, wf, task)
            changed = True
            if wf.terminal:
                return False
        if task.terminal and not task.retried and not task.executed:
            task.executed = True
            if task.task_type == "TERMINATE" and task.status == "COMPLETED":
                # §8.9: the workflow ends now, other branches included (they are CANCELED).
                status = str(task.input.get("terminationStatus"))
                eng.end(wf, status, str(task.input.get("terminationReason") or ""), task)
                return False
            follow.extend(next_tasks(eng, wf, task))  # before: a loop checks follow for its body
            eng.remove_pending(wf, task, follow)
            changed = True
    if follow:
        eng.schedule_all(wf, follow)
        changed = True
    if not wf.terminal and not wf.pending:
        eng.complete(wf)
        return False
    del changed  # new attempts that need deciding (finished system tasks) were marked dirty
    return eng.has_dirty(wf)
