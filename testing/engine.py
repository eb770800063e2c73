"""The discrete-event engine: a fake clock, a heap of (time, sequence) events, workers, lifecycles.

SimPy's core in miniature: events run in time order, ties in the order they were scheduled, so a
run is fully deterministic. Nothing reads the wall clock or sleeps. After every event the decider
runs for the workflow the event touched (conductor-semantics.md §3.9: an ideal sweeper).
"""

from __future__ import annotations

import heapq
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC
from typing import Any

from testing.decider import Loops, decide, next_deadline
from testing.mocks import Mocks, WorkerStep
from testing.model import Task, Workflow
from testing.params import resolve, substitute_secrets
from testing.tasks import ASYNC, KNOWN, SYNC, evaluate_join, schedule, start

__all__ = ["Engine", "SimulationError"]

_NAMESPACE = uuid.UUID("6f9619ff-8b86-d011-b42d-00c04fc964ff")
WorkerFn = Callable[[dict[str, Any]], Any]


class SimulationError(Exception):
    """The simulation cannot go on: a worker task has no behaviour left, an unknown workflow, ..."""


class Engine:
    """Runs workflow definitions on a fake clock. Times are epoch milliseconds."""

    def __init__(
        self,
        *,
        start_ms: int,
        task_defs: Mapping[str, dict[str, Any]] | None = None,
        workflows: Mapping[tuple[str, int], dict[str, Any]] | None = None,
        mocks: Mocks | None = None,
        workers: Mapping[str, WorkerFn] | None = None,
        secrets: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
        clock_hook: Callable[[int], None] | None = None,
    ) -> None:
        self.now = start_ms
        self.task_defs = dict(task_defs or {})
        self.definitions = dict(workflows or {})
        self.mocks = mocks or Mocks()
        self.workers = dict(workers or {})
        self.secrets = dict(secrets or {})
        self.env = dict(env or {})
        self.clock_hook = clock_hook
        self.workflows: dict[str, Workflow] = {}
        self.order: list[Workflow] = []
        self.events_published: list[tuple[int, str, dict[str, Any]]] = []
        self.dynamic_specs: dict[tuple[str, str], dict[str, Any]] = {}
        self.loops = Loops(self)
        self.attempts_run = 0
        self._heap: list[tuple[int, int, str, tuple[Any, ...]]] = []
        self._seq = 0
        self._ids = 0
        self._dirty: dict[str, dict[str, Task]] = {}
        self._joins: dict[tuple[str, str], list[Task]] = {}  # (wf id, joinOn ref) -> JOINs waiting
        self._join_left: dict[str, set[str]] = {}  # JOIN task id -> refs not final yet
        self._in_progress: dict[str, int] = {}  # taskDefName -> attempts IN_PROGRESS
        self._handouts: dict[str, deque[int]] = {}  # taskDefName -> poll times in the rate window
        self._waiting_slot: dict[str, deque[tuple[str, Task]]] = {}  # taskDefName -> (wf id, task)

    # -- ids and events ---------------------------------------------------------------
    def new_id(self, kind: str) -> str:
        """A deterministic UUID-shaped id."""
        self._ids += 1
        return str(uuid.uuid5(_NAMESPACE, f"{kind}:{self._ids}"))

    def at(self, time: int, kind: str, *args: Any) -> None:
        """Schedule an event."""
        self._seq += 1
        heapq.heappush(self._heap, (max(time, self.now), self._seq, kind, args))

    def run(self, until: int | None = None, max_events: int = 5_000_000) -> None:
        """Process events in order until none is left (or the clock would pass ``until``).

        Raises:
            SimulationError: more than ``max_events`` events, e.g. a DO_WHILE that never ends.
        """
        heap = self._heap
        budget = max_events
        while heap:
            if until is not None and heap[0][0] > until:
                break
            budget -= 1
            if budget < 0:
                busiest = max(self.order, key=lambda wf: len(wf.tasks))
                last = busiest.tasks[-1].ref if busiest.tasks else "?"
                msg = (
                    f"the simulation is still going after {max_events:,} events (workflow '{busiest.name}' "
                    f"has {len(busiest.tasks):,} task attempts, the latest '{last}'): a DO_WHILE whose "
                    f"condition never becomes false, or a worker that never stops answering IN_PROGRESS? "
                    f"Give the loop a bound (do_while(..., max_iterations=N)) or raise "
                    f"Simulator(max_events=...)"
                )
                raise SimulationError(msg)
            time, _, kind, args = heapq.heappop(heap)
            if time != self.now:
                self.now = time
                if self.clock_hook is not None:
                    self.clock_hook(time)
            getattr(self, f"_on_{kind}")(*args)

    # -- starting workflows -----------------------------------------------------------------
    def start_workflow(
        self,
        definition: dict[str, Any],
        input_: dict[str, Any],
        *,
        correlation_id: str | None = None,
        parent: tuple[Workflow, Task] | None = None,
    ) -> Workflow:
        """Start a workflow now (§3.1) and run its first decision."""
        wf = Workflow(self.new_id("workflow"), definition, dict(input_), self.now)
        template = definition.get("inputTemplate") or {}
        if wf.input:  # Conductor applies the inputTemplate only to a non-empty input (§3.1)
            for key, value in template.items():
                wf.input.setdefault(key, value)
        wf.correlation_id = correlation_id
        if parent is not None:
            wf.parent_workflow_id, wf.parent_task_id = parent[0].workflow_id, parent[1].task_id
        self._index(wf, definition.get("tasks") or [], None, None)
        self.workflows[wf.workflow_id] = wf
        self.order.append(wf)
        timeout = int(definition.get("timeoutSeconds") or 0)
        if timeout and (definition.get("timeoutPolicy") or "ALERT_ONLY") == "TIME_OUT_WF":
            self.at(self.now + timeout * 1000, "sweep", wf.workflow_id)
        self.decide(wf)
        return wf

    def start_by_name(
        self,
        name: str,
        version: Any,
        input_: dict[str, Any],
        *,
        correlation_id: str | None = None,
        parent: tuple[Workflow, Task] | None = None,
    ) -> Workflow:
        """Start a registered workflow by name and version (None: the latest)."""
        return self.start_workflow(
            self.definition(name, version), input_, correlation_id=correlation_id, parent=parent
        )

    def definition(self, name: str, version: Any) -> dict[str, Any]:
        """The registered definition ``name`` at ``version`` (None: the latest)."""
        versions = sorted(v for n, v in self.definitions if n == name)
        if not versions:
            known = ", ".join(sorted({n for n, _ in self.definitions})) or "none"
            msg = (
                f"no definition of workflow '{name}' was given to the simulation (known: {known}); pass it "
                f"with workflows=[...] (or --workflows DIR), or mock the task that starts it"
            )
            raise SimulationError(msg)
        wanted = int(version) if version not in (None, "") else versions[-1]
        if (name, wanted) not in self.definitions:
            raise SimulationError(
                f"workflow '{name}' has no version {wanted}; versions given: {versions}"
            )
        found: dict[str, Any] = self.definitions[(name, wanted)]
        return found

    def _index(
        self, wf: Workflow, tasks: list[Any], container: dict[str, Any] | None, loop: str | None
    ) -> None:
        for index, wt in enumerate(tasks):
            if not isinstance(wt, dict):
                continue
            wf.locations[str(wt.get("taskReferenceName"))] = (tasks, index, container, loop)
            kind = wt.get("type")
            if kind in ("SWITCH", "DECISION"):
                for branch in (wt.get("decisionCases") or {}).values():
                    self._index(wf, branch, wt, loop)
                self._index(wf, wt.get("defaultCase") or [], wt, loop)
            elif kind == "FORK_JOIN":
                for branch in wt.get("forkTasks") or []:
                    self._index(wf, branch, wt, loop)
            elif kind == "DO_WHILE":
                self._index(wf, wt.get("loopOver") or [], wt, str(wt.get("taskReferenceName")))

    def following(self, wf: Workflow, ref: str, iteration: int) -> list[tuple[dict[str, Any], int]]:
        """The WorkflowTask after ``ref`` (§3.5), with the iteration it runs in."""
        location = wf.locations.get(ref)
        if location is None:
            return []  # a dynamically forked task: its JOIN already exists
        tasks, index, container, _ = location
        if index + 1 < len(tasks):
            return [(tasks[index + 1], iteration)]
        if container is None or container.get("type") in ("FORK_JOIN", "DO_WHILE"):
            return []  # the end; a fork branch's JOIN exists; a loop decides its next iteration itself
        return self.following(wf, str(container.get("taskReferenceName")), iteration)

    def next_in_list(self, wf: Workflow, wt: dict[str, Any]) -> dict[str, Any] | None:
        """The WorkflowTask right after ``wt`` in its list, or None."""
        location = wf.locations.get(str(wt.get("taskReferenceName")))
        if location is None:
            return None
        tasks, index, _, _ = location
        return tasks[index + 1] if index + 1 < len(tasks) else None

    def loop_of(self, wf: Workflow, wt: dict[str, Any]) -> str | None:
        """The reference of the DO_WHILE whose body holds ``wt`` (innermost), or None."""
        location = wf.locations.get(str(wt.get("taskReferenceName")))
        return location[3] if location else None

    # -- registering and activating attempts ----------------------------------------------
    def schedule_all(self, wf: Workflow, follow: list[tuple[dict[str, Any], int]]) -> None:
        """Map and register every WorkflowTask in ``follow`` (and what their starts schedule)."""
        while follow and not wf.terminal:
            out: list[Task] = []
            for wt, iteration in follow:
                schedule(self, wf, wt, iteration, out)
                if wf.terminal:
                    return
            follow = []
            self.register(wf, out, follow)

    def register(
        self,
        wf: Workflow,
        tasks: list[Task],
        follow: list[tuple[dict[str, Any], int]] | None = None,
    ) -> None:
        """Add new attempts to the workflow (seq order) and start them (§3.2 scheduleTask)."""
        more: list[tuple[dict[str, Any], int]] = [] if follow is None else follow
        for task in tasks:
            task.seq = len(wf.tasks) + 1
            wf.tasks.append(task)
            wf.pending[task.task_id] = task
            wf.by_ref[task.ref] = task
            wf.by_base[task.base_ref] = task
            loop_ref = wf.locations.get(task.base_ref, (None, None, None, None))[3]
            if loop_ref is not None and loop_ref in wf.by_base:
                self.loops.body_registered(wf.by_base[loop_ref], task)
            if task.task_type == "JOIN":
                self._watch_join(wf, task)
        for task in tasks:
            if wf.terminal:
                return
            self._activate(wf, task, more)
        if follow is None and more:
            self.schedule_all(wf, more)

    def _activate(self, wf: Workflow, task: Task, follow: list[tuple[dict[str, Any], int]]) -> None:
        kind = task.task_type
        if task.terminal:  # FORK, a SWITCH already decided, a failed mapping
            task.start_time = task.start_time or self.now
            task.end_time = task.end_time or self.now
            self.mark_dirty(wf, task)
            return
        if kind == "KAFKA_PUBLISH" and self.mocks.has(task.base_ref, task.task_def_name):
            self.offer(wf, task)  # a mocked publish behaves as its mock says
            self.arm(wf, task)
            return
        if kind in SYNC or kind in ASYNC:
            if task.visible_at > self.now and kind in ASYNC:
                # A retry's delay or a startDelay: the system task runs when it becomes visible.
                self.at(task.visible_at, "start", wf.workflow_id, task.task_id)
                self.arm(wf, task)
                return
            task.update_time = self.now
            if kind != "JOIN":
                start(self, wf, task, follow)
            else:
                task.start_time = task.start_time or self.now
            if task.terminal:
                self.mark_dirty(wf, task)
            else:
                self.arm(wf, task)
            return
        self.offer(wf, task)  # SIMPLE, DYNAMIC, HTTP and mocked unknown types: a worker
        self.arm(wf, task)

    def _watch_join(self, wf: Workflow, join: Task) -> None:
        left = {
            ref
            for ref in join.input.get("joinOn") or []
            if not (ref in wf.by_ref and wf.by_ref[ref].executed)
        }
        self._join_left[join.task_id] = left
        for ref in left:
            self._joins.setdefault((wf.workflow_id, ref), []).append(join)
        if not left:
            evaluate_join(wf, join, self.now)
            self.mark_dirty(wf, join)

    def remove_pending(
        self, wf: Workflow, task: Task, follow: list[tuple[dict[str, Any], int]]
    ) -> None:
        """``task`` left the pending set (executed or retried): tell its JOINs and its loop."""
        wf.pending.pop(task.task_id, None)
        if task.executed:
            for join in self._joins.pop((wf.workflow_id, task.ref), ()):
                left = self._join_left.get(join.task_id)
                if left is not None:
                    left.discard(task.ref)
                    if not left and not join.terminal:
                        evaluate_join(wf, join, self.now)
                        self.mark_dirty(wf, join)
        loop_ref = wf.locations.get(task.base_ref, (None, None, None, None))[3]
        if loop_ref is not None and loop_ref in wf.by_base:
            loop = wf.by_base[loop_ref]
            self.loops.body_left(wf, loop, follow)
            if loop.terminal:
                self.mark_dirty(wf, loop)

    def retry_copy(self, wf: Workflow, task: Task, delay: int) -> Task:
        """The next attempt of ``task`` (§4.3), pollable after ``delay`` seconds."""
        copy = Task(
            self.new_id("task"),
            task.task_type,
            task.ref,
            task.workflow_task,
            task.task_def,
            self.now,
        )
        copy.task_def_name = task.task_def_name
        copy.retry_count = task.retry_count + 1
        copy.retried_task_id = task.task_id
        copy.iteration = task.iteration
        copy.first_scheduled_time = task.first_scheduled_time
        copy.reason = task.reason
        copy.start_delay_seconds = delay
        copy.callback_after_seconds = delay
        copy.visible_at = self.now + delay * 1000
        fresh = resolve(
            task.workflow_task.get("inputParameters") or {},
            wf.document(),
            task_id=copy.task_id,
            env=self.env,
        )
        copy.input = {**task.input, **(fresh if isinstance(fresh, dict) else {})}
        return copy

    # -- workers ----------------------------------------------------------------------------
    def offer(self, wf: Workflow, task: Task) -> None:
        """Ask the task's worker what it does on the next poll, and schedule that poll."""
        attempt = task.retry_count + 1
        step: WorkerStep | None = None
        if self.mocks.has(task.base_ref, task.task_def_name):
            step = self.mocks.next_step(
                task.base_ref, task.task_def_name, attempt, scope=wf.workflow_id
            )
            if step is None:
                raise SimulationError(
                    f"task '{task.ref}' (worker '{task.task_def_name}') has no mocked result left for attempt "
                    f"{attempt} (poll {task.poll_count + 1}); add one more entry to its mock"
                )
        elif task.task_def_name in self.workers and task.task_type not in ("HTTP",):
            step = WorkerStep()  # the real function answers at poll time
        else:
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
        task.worker_state = step
        if step.polled:
            self.at(
                task.visible_at + step.queue_wait_ms, "poll", wf.workflow_id, task.task_id, step
            )

    def _on_poll(self, wf_id: str, task_id: str, step: WorkerStep) -> None:
        wf = self.workflows[wf_id]
        task = wf.pending.get(task_id)
        if (
            task is None
            or task.status != "SCHEDULED"
            or task.worker_state is not step
            or wf.terminal
        ):
            return
        name = task.task_def_name
        limit = int(task.task_def.get("concurrentExecLimit") or 0)
        if limit and self._in_progress.get(name, 0) >= limit:
            self._waiting_slot.setdefault(name, deque()).append(
                (wf_id, task)
            )  # polled when a slot frees
            return
        per = int(task.task_def.get("rateLimitPerFrequency") or 0)
        if per:
            window = int(task.task_def.get("rateLimitFrequencyInSeconds") or 1) * 1000
            recent = self._handouts.setdefault(name, deque())
            while recent and recent[0] <= self.now - window:
                recent.popleft()
            if len(recent) >= per:
                self.at(recent[-per] + window, "poll", wf_id, task_id, step)
                return
            recent.append(self.now)
        task.status = "IN_PROGRESS"
        task.start_time = task.start_time or self.now
        task.poll_count += 1
        task.callback_after_seconds = 0
        task.update_time = self.now
        self._in_progress[name] = self._in_progress.get(name, 0) + 1
        self.attempts_run += 1
        worker = self.workers.get(name)
        if worker is not None and not self.mocks.has(task.base_ref, name):
            step = self._call_worker(task, worker)
            task.worker_state = step
        if step.responds:
            self.at(self.now + step.execution_ms, "update", wf_id, task_id, step)
        self.arm(wf, task)

    def _call_worker(self, task: Task, worker: WorkerFn) -> WorkerStep:
        # Secrets reach only the worker's copy; the recorded input keeps ${workflow.secrets.X} (§6.4).
        missing = sorted(name for name in _secret_names(task.input) if name not in self.secrets)
        if missing:
            msg = (
                f"task '{task.ref}' reads the secret{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)}, which the simulation was not given: pass "
                f"Simulator(secrets={{{missing[0]!r}: ...}}) (or flowdsl simulate --secrets FILE)"
            )
            raise SimulationError(msg)
        payload = substitute_secrets(task.input, self.secrets) if self.secrets else task.input
        try:
            result = worker(payload if isinstance(payload, dict) else {})
        except (
            Exception
        ) as err:  # the worker's own exception fails the attempt, as in a real worker
            return WorkerStep(status="FAILED", reason=f"{type(err).__name__}: {err}")
        return WorkerStep(output=_as_output(result))

    def _on_update(self, wf_id: str, task_id: str, step: WorkerStep) -> None:
        wf = self.workflows[wf_id]
        task = wf.pending.get(task_id)
        if task is None or task.terminal or task.worker_state is not step or wf.terminal:
            return  # a late update for a timed-out or canceled attempt is ignored (§3.6)
        self.task_left_progress(task)
        task.update_time = self.now
        task.output = dict(step.output)
        task.reason = step.reason
        if step.status == "IN_PROGRESS":
            task.status = "SCHEDULED"  # a worker task answering IN_PROGRESS is polled again later
            task.callback_after_seconds = step.callback_after_seconds
            task.visible_at = self.now + step.callback_after_seconds * 1000
            self.offer(wf, task)
            self.arm(wf, task)
            return
        task.status = step.status
        task.end_time = self.now
        self.mark_dirty(wf, task)
        self.decide(wf)

    def task_left_progress(self, task: Task) -> None:
        """``task`` is no longer IN_PROGRESS: free its concurrency slot."""
        name = task.task_def_name
        if self._in_progress.get(name):
            self._in_progress[name] -= 1
            waiting = self._waiting_slot.get(name)
            while (
                waiting
            ):  # wake the first waiter still waiting (others timed out or were canceled)
                wf_id, nxt = waiting.popleft()
                step = nxt.worker_state
                if nxt.status == "SCHEDULED" and isinstance(step, WorkerStep):
                    self.at(self.now, "poll", wf_id, nxt.task_id, step)
                    break

    # -- timers, WAIT, signals, sub-workflows ---------------------------------------------------
    def arm(self, wf: Workflow, task: Task) -> None:
        """Schedule a decision at the task's next timeout deadline, if it has one."""
        deadline = next_deadline(task)
        if deadline is not None:
            self.at(deadline, "timer", wf.workflow_id, task.task_id)

    def _on_timer(self, wf_id: str, task_id: str) -> None:
        wf = self.workflows[wf_id]
        task = wf.pending.get(task_id)
        if task is not None and not wf.terminal:
            self.mark_dirty(wf, task)
            self.decide(wf)

    def _on_start(self, wf_id: str, task_id: str) -> None:
        wf = self.workflows[wf_id]
        task = wf.pending.get(task_id)
        if task is None or task.status != "SCHEDULED" or wf.terminal:
            return
        task.update_time = self.now
        follow: list[tuple[dict[str, Any], int]] = []
        start(self, wf, task, follow)
        if task.terminal:
            self.mark_dirty(wf, task)
        else:
            self.arm(wf, task)
        self.schedule_all(wf, follow)
        self.decide(wf)

    def _on_decide(self, wf_id: str) -> None:
        self.decide(self.workflows[wf_id])

    def _on_sweep(self, wf_id: str) -> None:
        """The sweeper's visit at the workflow-timeout deadline. While a HUMAN task is IN_PROGRESS
        Conductor takes the workflow out of the decider queue (§3.9), so no sweep happens; the next
        event (the HUMAN task's update) decides, and the timeout is checked then."""
        wf = self.workflows[wf_id]
        if any(t.task_type == "HUMAN" and t.status == "IN_PROGRESS" for t in wf.pending.values()):
            return
        self.decide(wf)

    def start_wait(self, wf: Workflow, task: Task) -> None:
        """WAIT (§8.10): IN_PROGRESS until its duration or until time, or a signal."""
        from compiler.rules import parse_wait_duration, parse_wait_until

        duration, until = task.input.get("duration"), task.input.get("until")
        task.status = "IN_PROGRESS"
        if duration is not None and until is not None:
            self._finish(
                task,
                "FAILED_WITH_TERMINAL_ERROR",
                "Both 'duration' and 'until' specified. Please provide only one input",
            )
            return
        if duration is not None:
            seconds = parse_wait_duration(str(duration))
            if seconds is None:
                self._finish(task, "FAILED_WITH_TERMINAL_ERROR", f"Invalid duration: {duration}")
                return
            task.wait_timeout = self.now + seconds * 1000
        elif until is not None:
            moment = parse_wait_until(str(until))
            if moment is None:
                self._finish(
                    task,
                    "FAILED_WITH_TERMINAL_ERROR",
                    f"Invalid/Unsupported Wait Until format: {until}",
                )
                return

            epoch = moment.replace(tzinfo=moment.tzinfo or UTC).timestamp()
            task.wait_timeout = int(epoch * 1000)
        else:
            return  # waits for a signal
        task.callback_after_seconds = max(0, (task.wait_timeout - self.now) // 1000)
        self.at(task.wait_timeout, "wait_over", wf.workflow_id, task.task_id)

    def _on_wait_over(self, wf_id: str, task_id: str) -> None:
        wf = self.workflows[wf_id]
        task = wf.pending.get(task_id)
        if task is not None and task.status == "IN_PROGRESS" and not wf.terminal:
            self._finish(task, "COMPLETED", None)
            self.mark_dirty(wf, task)
            self.decide(wf)

    def signal(
        self, wf: Workflow, ref: str, status: str, output: dict[str, Any], reason: str | None
    ) -> None:
        """An external task update (a HUMAN, WAIT or EVENT task completed or failed by API)."""
        task = wf.by_ref.get(ref)
        if task is None or task.terminal or wf.terminal:
            return
        task.output = dict(output)  # an update replaces the output (§3.6)
        self._finish(task, status, reason)
        self.mark_dirty(wf, task)
        self.decide(wf)

    def _on_signal(
        self, wf_id: str, ref: str, status: str, output: dict[str, Any], reason: str | None
    ) -> None:
        self.signal(self.workflows[wf_id], ref, status, output, reason)

    def _on_terminate(self, wf_id: str, reason: str) -> None:
        wf = self.workflows[wf_id]
        if not wf.terminal:
            self.end(wf, "TERMINATED", reason, None, failure_workflow=False)

    def _finish(self, task: Task, status: str, reason: str | None) -> None:
        task.status = status
        task.reason = reason
        task.end_time = task.update_time = self.now

    def start_sub_workflow(self, wf: Workflow, task: Task) -> None:
        """SUB_WORKFLOW (§8.7): start the child; the task mirrors its end."""
        param = task.workflow_task.get("subWorkflowParam") or {}
        inline = param.get("workflowDefinition")
        child_input = dict(task.input) if task.input else {}
        task.status = "IN_PROGRESS"
        try:
            definition = (
                inline
                if isinstance(inline, dict)
                else self.definition(str(param.get("name")), param.get("version"))
            )
        except SimulationError as err:
            self._finish(task, "FAILED", str(err))
            return
        child = self.start_workflow(
            definition, child_input, correlation_id=wf.correlation_id, parent=(wf, task)
        )
        task.sub_workflow_id = child.workflow_id
        task.output = {"subWorkflowId": child.workflow_id}
        if child.terminal:
            self._child_ended(wf, task, child)

    def _child_ended(self, parent: Workflow, task: Task, child: Workflow) -> None:
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
        self._finish(task, status, reason)
        self.mark_dirty(parent, task)

    # -- ends -------------------------------------------------------------------------------------
    def fail_workflow(self, wf: Workflow, reason: str) -> None:
        """A mapping error: the workflow FAILS (TerminateWorkflowException)."""
        self.end(wf, "FAILED", reason, None)

    def complete(self, wf: Workflow) -> None:
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
            self.end(wf, "FAILED", reason, failed[0])
            return
        terminate = next(
            (t for t in wf.tasks if t.task_type == "TERMINATE" and t.status == "COMPLETED"), None
        )
        self._close(wf, "COMPLETED", terminate)

    def end(
        self,
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
                    self.task_left_progress(pending)
                pending.status = "CANCELED"
                pending.end_time = pending.update_time = self.now
                pending.worker_state = None
                if pending.sub_workflow_id in self.workflows:
                    child = self.workflows[pending.sub_workflow_id]
                    self.end(
                        child,
                        "TERMINATED",
                        f"Parent workflow has been terminated with reason: {reason}",
                        None,
                        failure_workflow=False,
                    )
        terminate = next(
            (t for t in wf.tasks if t.task_type == "TERMINATE" and t.status == "COMPLETED"), None
        )
        self._close(wf, status, terminate)
        if status != "COMPLETED" and failure_workflow and wf.definition.get("failureWorkflow"):
            self._start_failure_workflow(wf, task)

    def _close(self, wf: Workflow, status: str, terminate: Task | None) -> None:
        wf.status = status
        wf.end_time = self.now
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
                self._cancel_rest(wf)
        elif wf.definition.get("outputParameters"):
            value = resolve(wf.definition["outputParameters"], wf.document(), env=self.env)
            wf.output = value if isinstance(value, dict) else {}
        elif wf.tasks:
            wf.output = dict(wf.tasks[-1].output)
        wf.pending.clear()
        if wf.parent_workflow_id in self.workflows:
            parent = self.workflows[str(wf.parent_workflow_id)]
            task = next((t for t in parent.tasks if t.task_id == wf.parent_task_id), None)
            if task is not None and not task.terminal:
                self._child_ended(parent, task, wf)
                self.at(self.now, "decide", parent.workflow_id)

    def _cancel_rest(self, wf: Workflow) -> None:
        for pending in wf.tasks:
            if not pending.terminal:
                pending.status = "CANCELED"
                pending.end_time = self.now

    def _start_failure_workflow(self, wf: Workflow, task: Task | None) -> None:
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
        child = self.start_by_name(
            name,
            wf.definition.get("failureWorkflowVersion"),
            payload,
            correlation_id=wf.correlation_id,
        )
        wf.failure_workflow_id = child.workflow_id
        wf.output = {**wf.output, "conductor.failure_workflow": child.workflow_id}

    # -- the decider's view ------------------------------------------------------------------------
    def decide(self, wf: Workflow) -> None:
        """Run the decider for ``wf``."""
        decide(self, wf)

    def mark_dirty(self, wf: Workflow, task: Task) -> None:
        """``task`` changed: the next decision must look at it."""
        self._dirty.setdefault(wf.workflow_id, {})[task.task_id] = task

    def take_dirty(self, wf: Workflow) -> list[Task]:
        """The tasks changed since the last decision (and forget them)."""
        return list(self._dirty.pop(wf.workflow_id, {}).values())

    def has_dirty(self, wf: Workflow) -> bool:
        """True when tasks changed since the last decision."""
        return bool(self._dirty.get(wf.workflow_id))

    def all_workflows(self) -> Iterator[Workflow]:
        """Every workflow started, in start order."""
        return iter(self.order)


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
