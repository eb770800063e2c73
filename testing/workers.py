"""Workers: when a worker task is polled, what its worker answers, and the limits on polls.

A worker is a mock (testing.mocks) or the real ``@task`` function. Concurrency slots
(``concurrentExecLimit``) and the rate window (``rateLimitPerFrequency``) hold polls back as in
conductor-semantics.md §7.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from testing.decider import decide_alone, next_deadline
from testing.errors import SimulationError
from testing.mocks import WorkerStep
from testing.model import TERMINAL, WORKFLOW_TERMINAL, Task, Workflow
from testing.params import substitute_secrets
from testing.tasks import KNOWN

if TYPE_CHECKING:
    from testing.engine import Engine

__all__ = ["call_worker", "offer", "on_poll", "on_update", "task_left_progress"]

WorkerFn = Callable[[dict[str, Any]], Any]


def offer(eng: Engine, wf: Workflow, task: Task) -> None:
    """Ask the task's worker what it does on the next poll, and schedule that poll.

    Two sequence numbers are taken here: the poll's and its update's. The update sorts among
    events at its time by when its poll was offered, not by when the poll happened, so that
    folding the poll into the update (below) changes no order."""
    attempt = task.retry_count + 1
    ref = task.base_ref if task.iteration else task.ref
    step = eng.mocks.next_step(ref, task.task_def_name, attempt, wf.workflow_id)
    mocked = step is not None
    if step is None:
        step = _unmocked(eng, task, attempt)
    task.worker_state = step
    if not step.polled:
        return
    eng._seq += 2
    seq = eng._seq - 1
    task.update_seq = seq + 1
    polled = task.visible_at + step.queue_wait_ms
    late = polled < eng.now  # a poll put off to now: not folded (_unfold recomputes the time)
    if late:
        polled = eng.now
    if (
        eng.folding
        and not late
        and mocked
        and step.responds
        and step.execution_ms < task.task_def["_fold_within"]
        and not wf.events_due
        and (len(wf.pending) == 1 or _others_final(wf, task))
        and wf.parent_workflow_id is None
        and not wf.kills_on_timeout
    ):
        task.fold_seq = seq
        wf.fold = task
        heapq.heappush(
            eng._heap,
            (polled + step.execution_ms, seq + 1, on_folded_update, (wf, task, step, polled, seq)),
        )
        return
    heapq.heappush(eng._heap, (polled, seq, on_poll, (wf, task, step)))


# -- folded polls ------------------------------------------------------------------------------
# A worker task's poll changes only the task itself (IN_PROGRESS, startTime, pollCount). When
# the task is the workflow's only pending one (or the other is the failed attempt it retries),
# no timeout can fire before the update, no rate or concurrency limit applies, a mock answers
# and the workflow has no parent, no deadline and no event of its own ahead, nothing can look
# at the task between the poll and the update. offer() then schedules one event, the update
# (with the update's own sequence number), and on_folded_update applies the poll first, as of
# its time. Any event later scheduled for the workflow (a signal, pause, terminate, retry, a
# timer: Engine.at) makes the poll visible first (unfold_workflow): a poll still ahead becomes
# an event of its own again (on_unfolded_poll, with the poll's sequence number), a poll already
# past is applied at once, as of its time; the update stays where it is. Engine.run(until=...)
# unfolds everything: the run may stop between a poll and its update. The suite runs the same
# workloads with Engine(fast_path=False), which never folds, and compares the bytes.


def on_folded_update(
    eng: Engine, wf: Workflow, task: Task, step: WorkerStep, polled: int, seq: int
) -> None:
    """A folded poll and its update (an event at the update's time): on_poll as of ``polled``,
    then on_update. No concurrency slot is taken and given back: no limit applies to the task."""
    if task.fold_seq != seq:  # unfolded: the poll has been applied (or dropped) as an event
        on_update(eng, wf, task, step)
        return
    task.fold_seq = 0
    wf.fold = None
    # Nothing touched the workflow since the fold (or it would have unfolded): still pending.
    if (
        task.status != "SCHEDULED"
        or task.worker_state is not step
        or wf.status in WORKFLOW_TERMINAL
    ):
        return
    task.start_time = task.start_time or polled
    task.poll_count += 1
    eng.attempts_run += 1
    task.update_time = eng.now
    output = step.output
    task.output = output.copy() if output else {}
    task.reason = step.reason
    status = step.status
    if status == "IN_PROGRESS":
        task.status = "SCHEDULED"  # polled again later
        task.callback_after_seconds = step.callback_after_seconds
        task.visible_at = eng.now + step.callback_after_seconds * 1000
        offer(eng, wf, task)
        eng.arm(wf, task)
        return
    task.callback_after_seconds = 0
    task.status = status
    task.end_time = eng.now
    if decide_alone(eng, wf, task):
        return
    eng.mark_dirty(wf, task)
    eng.decide(wf)


def on_unfolded_poll(eng: Engine, wf: Workflow, task: Task, step: WorkerStep) -> None:
    """The poll of an unfolded task, at its own time; its update is already scheduled."""
    _polled(eng, wf, task, step, eng.now)


def _polled(eng: Engine, wf: Workflow, task: Task, step: WorkerStep, at: int) -> None:
    """The effect of a worker's poll at ``at`` (on_poll's, for a folded poll made visible)."""
    if (
        wf.pending.get(task.task_id) is not task
        or task.status != "SCHEDULED"
        or task.worker_state is not step
        or wf.status in WORKFLOW_TERMINAL
    ):
        return
    task.status = "IN_PROGRESS"
    task.start_time = task.start_time or at
    task.poll_count += 1
    task.callback_after_seconds = 0
    task.update_time = at
    name = task.task_def_name
    eng._in_progress[name] = eng._in_progress.get(name, 0) + 1
    eng.attempts_run += 1


def _unfold(eng: Engine, wf: Workflow, task: Task) -> None:
    seq = task.fold_seq
    task.fold_seq = 0
    wf.fold = None
    step = task.worker_state
    polled = task.visible_at + step.queue_wait_ms  # as in offer (which folds no late poll)
    if (polled, seq) > (eng.now, eng._cur_seq):  # still ahead: an event of its own
        heapq.heappush(eng._heap, (polled, seq, on_unfolded_poll, (wf, task, step)))
    else:  # already past (it would have run before the current event): apply it now
        _polled(eng, wf, task, step, polled)


def unfold_workflow(eng: Engine, wf: Workflow) -> None:
    """An event is being scheduled for ``wf``: its folded poll becomes visible."""
    task = wf.fold
    if task is not None and task.fold_seq > 0:
        _unfold(eng, wf, task)


def unfold_all(eng: Engine) -> None:
    """Unfold every folded poll (before a run that may stop between a poll and its update)."""
    for wf in eng.order:
        unfold_workflow(eng, wf)


def _others_final(wf: Workflow, task: Task) -> bool:
    """True when every pending task but ``task`` is final (a failed attempt being retried)."""
    pending = wf.pending
    return len(pending) == 2 and all(t is task or t.status in TERMINAL for t in pending.values())


def _unmocked(eng: Engine, task: Task, attempt: int) -> WorkerStep:
    """The step of a task without a mocked one left: the real function's, or a clear error."""
    if eng.mocks.has(task.base_ref, task.task_def_name):
        raise SimulationError(
            f"task '{task.ref}' (worker '{task.task_def_name}') has no mocked result left for attempt "
            f"{attempt} (poll {task.poll_count + 1}); add one more entry to its mock"
        )
    if task.task_def_name in eng.workers and task.task_type not in ("HTTP",):
        return WorkerStep()  # the real function answers at poll time
    what = {"HTTP": "an HTTP task (the simulator makes no network calls)"}.get(
        task.task_type,
        "a worker task"
        if task.task_type in KNOWN or task.task_type == task.task_def_name
        else f"a {task.task_type} task, which the simulator cannot run",
    )
    raise SimulationError(
        f"task '{task.ref}' is {what} with no behaviour for attempt {attempt}: mock it with "
        f"sim.mock({task.task_def_name!r}).completes({{...}}) or in taskRefToMockOutput['{task.base_ref}']"
    )


def on_poll(eng: Engine, wf: Workflow, task: Task, step: WorkerStep) -> None:
    """The worker polls ``task`` (an event): it goes IN_PROGRESS and its update is scheduled."""
    if (
        wf.pending.get(task.task_id) is not task
        or task.status != "SCHEDULED"
        or task.worker_state is not step
        or wf.status in WORKFLOW_TERMINAL
    ):
        return
    name = task.task_def_name
    if task.task_def["_limited"] and _held_back(eng, wf, task, step):
        return
    task.status = "IN_PROGRESS"
    task.start_time = task.start_time or eng.now
    task.poll_count += 1
    task.callback_after_seconds = 0
    task.update_time = eng.now
    eng._in_progress[name] = eng._in_progress.get(name, 0) + 1
    eng.attempts_run += 1
    worker = eng.workers.get(name) if eng.workers else None
    if worker is not None and not eng.mocks.has(task.base_ref, name):
        step = call_worker(eng, task, worker)
        task.worker_state = step
    if step.responds:  # with the number offer() took for it
        heapq.heappush(
            eng._heap, (eng.now + step.execution_ms, task.update_seq, on_update, (wf, task, step))
        )
    if not task.task_def["_timeouts"]:
        return
    deadline = next_deadline(task)
    if deadline is not None and not (step.responds and eng.now + step.execution_ms < deadline):
        eng.at(deadline, "timer", wf.workflow_id, task.task_id)  # only a timer that can fire first


def _held_back(eng: Engine, wf: Workflow, task: Task, step: WorkerStep) -> bool:
    """True when concurrentExecLimit or the rate window holds this poll back (§7)."""
    name = task.task_def_name
    limit = int(task.task_def.get("concurrentExecLimit") or 0)
    if limit and eng._in_progress.get(name, 0) >= limit:
        eng._waiting_slot.setdefault(name, deque()).append(
            (wf.workflow_id, task)
        )  # polled when a slot frees
        return True
    per = int(task.task_def.get("rateLimitPerFrequency") or 0)
    if per:
        window = int(task.task_def.get("rateLimitFrequencyInSeconds") or 1) * 1000
        recent = eng._handouts.setdefault(name, deque())
        while recent and recent[0] <= eng.now - window:
            recent.popleft()
        if len(recent) >= per:
            eng.call_at(recent[-per] + window, on_poll, wf, task, step)
            return True
        recent.append(eng.now)
    return False


def call_worker(eng: Engine, task: Task, worker: WorkerFn) -> WorkerStep:
    # Secrets reach only the worker's copy; the recorded input keeps ${workflow.secrets.X} (§6.4).
    missing = sorted(name for name in _secret_names(task.input) if name not in eng.secrets)
    if missing:
        msg = (
            f"task '{task.ref}' reads the secret{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}, which the simulation was not given: pass "
            f"Simulator(secrets={{{missing[0]!r}: ...}}) (or flowdsl simulate --secrets FILE)"
        )
        raise SimulationError(msg)
    payload = substitute_secrets(task.input, eng.secrets) if eng.secrets else task.input
    try:
        result = worker(payload if isinstance(payload, dict) else {})
    except Exception as err:  # the worker's own exception fails the attempt, as in a real worker
        return WorkerStep(status="FAILED", reason=f"{type(err).__name__}: {err}")
    return WorkerStep(output=_as_output(result))


def on_update(eng: Engine, wf: Workflow, task: Task, step: WorkerStep) -> None:
    """The worker's update of ``task`` arrives (an event)."""
    if (
        wf.pending.get(task.task_id) is not task
        or task.status in TERMINAL
        or task.worker_state is not step
        or wf.status in WORKFLOW_TERMINAL
    ):
        return  # a late update for a timed-out or canceled attempt is ignored (§3.6)
    task_left_progress(eng, task)
    task.update_time = eng.now
    task.output = dict(step.output)
    task.reason = step.reason
    if step.status == "IN_PROGRESS":
        task.status = "SCHEDULED"  # a worker task answering IN_PROGRESS is polled again later
        task.callback_after_seconds = step.callback_after_seconds
        task.visible_at = eng.now + step.callback_after_seconds * 1000
        offer(eng, wf, task)
        eng.arm(wf, task)
        return
    task.status = step.status
    task.end_time = eng.now
    if eng.fast_path and decide_alone(eng, wf, task):
        return
    eng.mark_dirty(wf, task)
    eng.decide(wf)


def task_left_progress(eng: Engine, task: Task) -> None:
    """``task`` is no longer IN_PROGRESS: free its concurrency slot."""
    name = task.task_def_name
    if eng._in_progress.get(name):
        eng._in_progress[name] -= 1
        waiting = eng._waiting_slot.get(name)
        while waiting:  # wake the first waiter still waiting (others timed out or were canceled)
            wf_id, nxt = waiting.popleft()
            step = nxt.worker_state
            if nxt.status == "SCHEDULED" and isinstance(step, WorkerStep):
                eng.call_at(eng.now, on_poll, eng.workflows[wf_id], nxt, step)
                break


def _secret_names(value: Any) -> set[str]:
    """Names of the secrets (``${workflow.secrets.NAME...}``) a task input refers to."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            start = item.find("${workflow.secrets.")
            while start >= 0:
                rest = item[start + len("${workflow.secrets.") :]
                name = rest.split("}", 1)[0].split(".", 1)[0].split("[", 1)[0]
                if name:
                    found.add(name)
                start = item.find("${workflow.secrets.", start + 1)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _as_output(result: Any) -> dict[str, Any]:
    """A worker function's return value as Conductor output (dicts as is; others wrapped)."""
    if result is None:
        return {}
    if isinstance(result, dict):
        return result
    if hasattr(result, "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(result)
    if hasattr(result, "__attrs_attrs__"):
        import attrs

        return attrs.asdict(result)
    return {"result": result}
