"""The discrete-event engine: a fake clock, a heap of (time, sequence) events, workers, lifecycles.

SimPy's core in miniature: events run in time order, ties in the order they were scheduled, so a
run is fully deterministic. Nothing reads the wall clock or sleeps. After every event the decider
runs for the workflow the event touched (conductor-semantics.md §3.9: an ideal sweeper).
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from compiler._gc import GcPaused
from testing import lifecycle, recovery
from testing import workers as worker_fns
from testing.decider import Loops, decide, next_deadline
from testing.errors import SimulationError
from testing.mocks import Mocks
from testing.model import WORKFLOW_TERMINAL, Task, Workflow
from testing.params import resolve
from testing.tasks import ASYNC, SYNC, evaluate_join, is_literal, schedule, start, task_def_for
from testing.tasks import inputs as task_inputs

__all__ = ["Engine", "SimulationError"]

# Ids: a fixed version-4 prefix and 48 bits of scrambled counter. Multiplying by an odd constant
# is a bijection mod 2**48, so ids stay unique (for 2**48 of them) and identical run to run.
_ID_PREFIX = "5f0c6a1e-93b7-4d2e-8a41-"
_SCRAMBLE = 0x9E3779B97F4B  # odd
_MASK48 = (1 << 48) - 1
#: System tasks a mock may stand in for (a mocked SUB_WORKFLOW starts no child).
_MOCKABLE_SYSTEM = frozenset({"KAFKA_PUBLISH", "SUB_WORKFLOW"})
WorkerFn = Callable[[dict[str, Any]], Any]
_NOWHERE = (None, None, None, None)  # the location of a task the definition does not hold


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
        fast_path: bool = True,
    ) -> None:
        self.now = start_ms
        self.task_defs = dict(task_defs or {})
        self.definitions = dict(workflows or {})
        self.mocks = mocks or Mocks()
        self.workers = dict(workers or {})
        self.secrets = dict(secrets or {})
        self.env = dict(env or {})
        self.clock_hook = clock_hook
        #: Shortcuts for speed (decider.decide_alone, _schedule_simple, schedule_planned,
        #: register_worker, polls folded into updates in testing.workers); the result is
        #: identical either way (tests/testing/test_fast_path.py compares the bytes).
        self.fast_path = fast_path
        self.workflows: dict[str, Workflow] = {}
        self.order: list[Workflow] = []
        self.events_published: list[tuple[int, str, dict[str, Any]]] = []
        self.loops = Loops(self)
        self.task_def_cache: dict[tuple[str, int], dict[str, Any]] = {}
        self._handlers: dict[str, Callable[..., None]] = {
            "poll": worker_fns.on_poll,
            "update": worker_fns.on_update,
            "wait_over": lifecycle.on_wait_over,
            "signal": lifecycle.on_signal,
            "pause": recovery.on_pause,
            "resume": recovery.on_resume,
            "retry": recovery.on_retry,
            "restart": recovery.on_restart,
            "skip": recovery.on_skip,
            "terminate": lifecycle.on_terminate,
            "timer": Engine._on_timer,
            "start": Engine._on_start,
            "decide": Engine._on_decide,
            "sweep": Engine._on_sweep,
        }
        self.attempts_run = 0
        self.events_run = 0  # events processed (a folded poll is not one)
        self._heap: list[tuple[int, int, Callable[..., None], tuple[Any, ...]]] = []
        self._seq = 0
        self._ids = 0  # ids made so far (the pool holds those not handed out yet, last first)
        self._id_pool: list[str] = []
        self._dirty: dict[str, dict[str, Task]] = {}
        self._joins: dict[tuple[str, str], list[Task]] = {}  # (wf id, joinOn ref) -> JOINs waiting
        self._join_left: dict[str, set[str]] = {}  # JOIN task id -> refs not final yet
        self._in_progress: dict[str, int] = {}  # taskDefName -> attempts IN_PROGRESS
        self._handouts: dict[str, deque[int]] = {}  # taskDefName -> poll times in the rate window
        self._waiting_slot: dict[str, deque[tuple[str, Task]]] = {}  # taskDefName -> (wf id, task)
        #: testing.workers folds a poll into its update when nothing can tell the difference.
        self.folding = fast_path
        self._cur_seq = 0  # the sequence number of the event being processed

    # -- ids and events ---------------------------------------------------------------
    def new_id(self, kind: str) -> str:
        """A deterministic, random-looking UUID (version 4 layout), from a counter.

        Hashing (uuid5) cost a fifth of a task attempt, formatting 128 bits a tenth; the last
        group alone carries the (scrambled) counter."""
        pool = self._id_pool
        if not pool:  # made in batches (growing to 1,024): formatting in a loop is cheaper
            first, count = self._ids + 1, min(max(self._ids, 8), 1024)
            self._ids += count
            pool.extend(
                f"{_ID_PREFIX}{(n * _SCRAMBLE) & _MASK48:012x}"
                for n in range(first + count - 1, first - 1, -1)
            )
        return pool.pop()

    def at(self, time: int, kind: str, *args: Any) -> None:
        """Schedule an event: ``kind`` is a key of the handler table ("poll", "timer", ...).

        Every kind's first argument is the id of the workflow it concerns; a poll folded into
        its update in that workflow is unfolded first (testing.workers.unfold_workflow)."""
        if time < self.now:
            time = self.now
        wf = self.workflows.get(args[0]) if args else None
        if wf is not None and wf.fold is not None:
            worker_fns.unfold_workflow(self, wf)
        self._seq += 1
        if wf is None:
            heapq.heappush(self._heap, (time, self._seq, self._handlers[kind], args))
            return
        wf.events_due += 1  # no poll of wf folds while this event is ahead
        heapq.heappush(
            self._heap, (time, self._seq, Engine._counted, (wf, self._handlers[kind], args))
        )

    def _counted(self, wf: Workflow, handler: Callable[..., None], args: tuple[Any, ...]) -> None:
        """Run an event scheduled with ``at`` for ``wf`` (it no longer holds folding back)."""
        wf.events_due -= 1
        handler(self, *args)

    def call_at(self, time: int, handler: Callable[..., None], *args: Any) -> None:
        """Schedule ``handler(engine, *args)`` (``at`` without the table lookup, for hot paths).

        For the engine's own worker events: an event that acts on a workflow from elsewhere goes
        through ``at``, which first makes any poll folded in that workflow visible."""
        if time < self.now:
            time = self.now
        self._seq += 1
        heapq.heappush(self._heap, (time, self._seq, handler, args))

    def run(self, until: int | None = None, max_events: int = 5_000_000) -> None:
        """Process events in order until none is left (or the clock would pass ``until``).

        Raises:
            SimulationError: more than ``max_events`` events, e.g. a DO_WHILE that never ends.
        """
        folding = self.folding
        if until is not None:  # the run may stop between a poll and its update: poll for real
            worker_fns.unfold_all(self)
            self.folding = False
        try:
            with GcPaused():  # the run allocates objects that all stay alive (compiler._gc)
                self._run(until, max_events)
        finally:
            self.folding = folding

    def _run(self, until: int | None, max_events: int) -> None:
        heap = self._heap
        pop = heapq.heappop
        budget = max_events
        try:
            if until is None and self.clock_hook is None:  # the common case, in a tighter loop
                while heap:
                    budget -= 1
                    if budget < 0:
                        self._runaway(max_events)
                    self.now, self._cur_seq, handler, args = pop(heap)
                    handler(self, *args)
                return
            while heap:
                if until is not None and heap[0][0] > until:
                    break
                budget -= 1
                if budget < 0:
                    self._runaway(max_events)
                time, self._cur_seq, handler, args = pop(heap)
                if time != self.now:
                    self.now = time
                    if self.clock_hook is not None:
                        self.clock_hook(time)
                handler(self, *args)
        finally:
            self.events_run += max_events - max(budget, 0)

    def _runaway(self, max_events: int) -> None:
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
        top = definition.get("tasks") or []
        made = self._top_locations(top) if self.fast_path and isinstance(top, list) else None
        looped, indexed = self._index(wf, top, None, None, made)
        if made is not None and indexed != len(wf.locations):
            # A reference used twice: the locations recorded last win, as everywhere; the
            # shortcuts between top-level tasks (made in advance) might not agree, so drop them.
            wf.locations.clear()
            self._index(wf, top, None, None, None)
        if not looped:
            wf.by_base = wf.by_ref  # no loop: no reference gets an __N suffix
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
        self,
        wf: Workflow,
        tasks: list[Any],
        container: dict[str, Any] | None,
        loop: str | None,
        made: list[Any] | None,
    ) -> tuple[bool, int]:
        """Record where each WorkflowTask sits (``made``: the top level's locations, made by
        _top_locations); returns whether there is a DO_WHILE, and how many tasks were indexed."""
        looped, indexed = False, 0
        for index, wt in enumerate(tasks):
            if not isinstance(wt, dict):
                continue
            location = made[index] if made is not None else (tasks, index, container, loop)
            wf.locations[str(wt.get("taskReferenceName"))] = location
            indexed += 1
            kind = wt.get("type")
            branches: list[Any] = []
            if kind in ("SWITCH", "DECISION"):
                branches = [*(wt.get("decisionCases") or {}).values(), wt.get("defaultCase") or []]
            elif kind == "FORK_JOIN":
                branches = list(wt.get("forkTasks") or [])
            elif kind == "DO_WHILE":
                looped = True
                ref = str(wt.get("taskReferenceName"))
                indexed += self._index(wf, wt.get("loopOver") or [], wt, ref, None)[1]
            for branch in branches:
                in_loop, count = self._index(wf, branch, wt, loop, None)
                looped, indexed = looped or in_loop, indexed + count
        return looped, indexed

    def _top_locations(self, tasks: list[Any]) -> list[Any]:
        """The locations of the workflow's own task list, each holding the location of the task
        after it when that one is a plain SIMPLE task: ``(tasks, index, None, None, next)``, and a
        plain SIMPLE task's own location adds ``(task_def, needs_inputs, name, ref)``. Looked up
        here, while the definition is at hand, so that decide_alone can schedule the next task
        without touching the definition (schedule_planned)."""
        made: list[Any] = [None] * len(tasks)
        after: tuple[Any, ...] | None = None  # the location of tasks[index + 1], if plain
        registered: dict[Any, dict[str, Any]] = {}  # task name -> TaskDef (none inline)
        for index in range(len(tasks) - 1, -1, -1):
            wt = tasks[index]
            if type(wt) is not dict:
                after = None
                continue
            kind, ref = wt.get("type"), wt.get("taskReferenceName")
            if type(ref) is str and (not kind or kind == "SIMPLE") and not wt.get("startDelay"):
                name = wt.get("name")
                plain_name = type(name) is str and name and "taskDefinition" not in wt
                td = registered.get(name) if plain_name else None
                if td is None:
                    td = task_def_for(self, wt)
                    if plain_name:
                        registered[name] = td
                needs_inputs = bool(wt.get("inputParameters") or td.get("inputTemplate"))
                name = name if plain_name else str(name or "SIMPLE")
                made[index] = after = (tasks, index, None, None, after, td, needs_inputs, name, ref)
            else:
                made[index] = (tasks, index, None, None, after)
                after = None
        return made

    def following(self, wf: Workflow, ref: str, iteration: int) -> list[tuple[dict[str, Any], int]]:
        """The WorkflowTask after ``ref`` (§3.5), with the iteration it runs in."""
        location = wf.locations.get(ref)
        if location is None:
            return []  # a dynamically forked task: its JOIN already exists
        tasks, index, container = location[:3]
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
        tasks, index = location[:2]
        return tasks[index + 1] if index + 1 < len(tasks) else None

    def loop_of(self, wf: Workflow, wt: dict[str, Any]) -> str | None:
        """The reference of the DO_WHILE whose body holds ``wt`` (innermost), or None."""
        location = wf.locations.get(str(wt.get("taskReferenceName")))
        return location[3] if location else None

    # -- registering and activating attempts ----------------------------------------------
    def schedule_all(self, wf: Workflow, follow: list[tuple[dict[str, Any], int]]) -> None:
        """Map and register every WorkflowTask in ``follow`` (and what their starts schedule);
        a task the skip API marked SKIPPED is passed over to its successor (§4.6)."""
        if len(follow) == 1 and self.fast_path and self._schedule_simple(wf, *follow[0]):
            return
        by_ref = wf.by_ref
        while follow and not wf.terminal:
            out: list[Task] = []
            queue = deque(follow)
            while queue:
                wt, iteration = queue.popleft()
                ref = str(wt.get("taskReferenceName"))
                existing = by_ref.get(f"{ref}__{iteration}" if iteration else ref)
                if existing is not None and existing.status == "SKIPPED":
                    queue.extend(self.following(wf, ref, iteration))
                    continue
                schedule(self, wf, wt, iteration, out)
                if wf.terminal:
                    return
            follow = []
            self.register(wf, out, follow)

    def _schedule_simple(self, wf: Workflow, wt: Any, iteration: int) -> bool:
        """Schedule ``wt`` directly when it is a plain SIMPLE task outside any loop (False: not
        taken, nothing changed): schedule_all -> schedule -> register -> _activate, minus all
        that cannot apply to a SIMPLE task with no startDelay and a fresh reference."""
        if iteration or type(wt) is not dict:
            return False
        ref = wt.get("taskReferenceName")
        if type(ref) is not str or ref in wf.by_ref or wf.status in WORKFLOW_TERMINAL:
            return False  # ran, or skipped by the API
        kind = wt.get("type")
        if (kind and kind != "SIMPLE") or wt.get("startDelay"):
            return False
        location = wf.locations.get(ref)
        if location is None or location[3] is not None:  # a loop's body: register() tells it
            return False
        td = task_def_for(self, wt)
        task_id = self.new_id("task")
        task = Task(task_id, "SIMPLE", ref, wt, td, self.now)
        if wt.get("inputParameters") or td.get("inputTemplate"):
            task.input = task_inputs(self, wf, wt, td, task_id)
        task.location = location
        tasks = wf.tasks
        task.seq = len(tasks) + 1
        tasks.append(task)
        wf.pending[task_id] = task
        wf.by_ref[ref] = task
        wf.by_base[ref] = task
        worker_fns.offer(self, wf, task)
        if td["_timeouts"]:
            self.arm(wf, task)
        return True

    def schedule_planned(self, wf: Workflow, location: tuple[Any, ...]) -> None:
        """Schedule the plain SIMPLE task at ``location`` (see _top_locations), next in line."""
        tasks, index, _, _, _, td, needs_inputs, name, ref = location
        wt = tasks[index]
        if ref in wf.by_ref or wf.status in WORKFLOW_TERMINAL:  # skipped by the API, or ended
            self.schedule_all(wf, [(wt, 0)])
            return
        task_id = self.new_id("task")
        task = Task(task_id, "SIMPLE", ref, wt, td, self.now, name)
        if needs_inputs:
            task.input = task_inputs(self, wf, wt, td, task_id)
        task.location = location
        tasks = wf.tasks
        task.seq = len(tasks) + 1
        tasks.append(task)
        wf.pending[task_id] = task
        by_ref = wf.by_ref
        by_ref[ref] = task
        if wf.by_base is not by_ref:
            wf.by_base[ref] = task
        worker_fns.offer(self, wf, task)
        if td["_timeouts"]:
            self.arm(wf, task)

    def register_worker(self, wf: Workflow, task: Task) -> None:
        """register() for a worker task outside any loop (a retry of one): add it, offer it."""
        tasks = wf.tasks
        task.seq = len(tasks) + 1
        tasks.append(task)
        wf.pending[task.task_id] = task
        by_ref = wf.by_ref
        by_ref[task.ref] = task
        if wf.by_base is not by_ref:
            wf.by_base[task.base_ref] = task
        if wf.terminal:
            return
        worker_fns.offer(self, wf, task)
        if task.task_def["_timeouts"]:
            self.arm(wf, task)

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
            base = task.base_ref
            wf.by_base[base] = task
            location = wf.locations.get(base)
            loop_ref = location[3] if location is not None else None
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
        if kind in _MOCKABLE_SYSTEM and self.mocks.has(task.base_ref, task.task_def_name):
            # A mocked publish or sub-workflow behaves as its mock says, like a worker task: no
            # message is sent, no child workflow starts (its definition is not needed).
            self.offer(wf, task)
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

    def rewatch_join(self, wf: Workflow, join: Task) -> None:
        """Wait again for a JOIN set back IN_PROGRESS (workflow retry)."""
        self._watch_join(wf, join)

    def task_skipped(self, wf: Workflow, task: Task) -> None:
        """A future task was skipped: JOINs stop waiting for it."""
        self.joined(wf, task.ref)
        self.decide(wf)

    def joined(self, wf: Workflow, ref: str) -> None:
        """``ref`` is final: the JOINs waiting on it wait for one task less (and may complete)."""
        for join in self._joins.pop((wf.workflow_id, ref), ()):
            left = self._join_left.get(join.task_id)
            if left is not None:
                left.discard(ref)
                if not left and not join.terminal:
                    evaluate_join(wf, join, self.now)
                    self.mark_dirty(wf, join)

    def _watch_join(self, wf: Workflow, join: Task) -> None:
        left = set()
        for ref in join.input.get("joinOn") or []:
            done = wf.by_ref.get(ref)
            if done is None or not (done.executed or done.status == "SKIPPED"):
                left.add(ref)
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
            self.joined(wf, task.ref)
        location = task.location or wf.locations.get(task.base_ref, _NOWHERE)
        loop_ref = location[3]
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
        copy.location = task.location
        copy.reason = task.reason
        copy.start_delay_seconds = delay
        copy.callback_after_seconds = delay
        copy.visible_at = self.now + delay * 1000
        params = task.workflow_task.get("inputParameters") or {}
        if wf.schema_v1 and isinstance(params, dict):
            fresh: Any = wf.inputs_v1(params)
        elif isinstance(params, dict) and is_literal(params):
            fresh = params
        else:
            fresh = resolve(params, wf.document(), task_id=copy.task_id, env=self.env)
        copy.input = {**task.input, **(fresh if isinstance(fresh, dict) else {})}
        return copy

    # -- workers and lifecycles (testing.workers, testing.lifecycle) ---------------------------------
    def offer(self, wf: Workflow, task: Task) -> None:
        """Ask the task's worker what it does on the next poll, and schedule that poll."""
        worker_fns.offer(self, wf, task)

    def task_left_progress(self, task: Task) -> None:
        """``task`` is no longer IN_PROGRESS: free its concurrency slot."""
        worker_fns.task_left_progress(self, task)

    def start_wait(self, wf: Workflow, task: Task) -> None:
        """Start a WAIT task."""
        lifecycle.start_wait(self, wf, task)

    def start_sub_workflow(self, wf: Workflow, task: Task) -> None:
        """Start a SUB_WORKFLOW task's child."""
        lifecycle.start_sub_workflow(self, wf, task)

    def signal(
        self, wf: Workflow, ref: str, status: str, output: dict[str, Any], reason: str | None
    ) -> None:
        """An external task update."""
        lifecycle.signal(self, wf, ref, status, output, reason)

    def fail_workflow(self, wf: Workflow, reason: str) -> None:
        """A mapping error: the workflow FAILS."""
        lifecycle.fail_workflow(self, wf, reason)

    def complete(self, wf: Workflow) -> None:
        """Nothing left to do: complete the workflow (§3.7)."""
        lifecycle.complete(self, wf)

    def end(
        self,
        wf: Workflow,
        status: str,
        reason: str,
        task: Task | None,
        *,
        failure_workflow: bool = True,
    ) -> None:
        """End the workflow with ``status``."""
        lifecycle.end(self, wf, status, reason, task, failure_workflow=failure_workflow)

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
        if wf.status == "PAUSED" or any(
            t.task_type == "HUMAN" and t.status == "IN_PROGRESS" for t in wf.pending.values()
        ):
            return  # a paused workflow is not in the decider queue either
        self.decide(wf)

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
        return bool(self._dirty) and bool(self._dirty.get(wf.workflow_id))

    def all_workflows(self) -> Iterator[Workflow]:
        """Every workflow started, in start order."""
        return iter(self.order)
