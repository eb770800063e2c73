"""The simulator's public API: ``Simulator`` runs a workflow on a fake clock and returns a ``Run``.

It runs the compiled Conductor JSON (so it tests exactly what gets deployed), or any WorkflowDef
given as JSON. Workers are mocks (``sim.mock(...)``, or Conductor's ``taskRefToMockOutput``), else
the real ``@task`` functions, which see the simulated time through freezegun.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from compiler._gc import GcPaused
from flowdsl.errors import Problem
from testing.engine import Engine, SimulationError
from testing.mocks import MockBuilder, Mocks

__all__ = ["DEFAULT_START", "Run", "SimulationError", "Simulator", "TaskView", "observe_runs"]

#: Who is told of each finished run, in this context (observe_runs); empty unless someone asked.
_OBSERVERS: ContextVar[tuple[Callable[[Run], None], ...]] = ContextVar(
    "flowdsl_run_observers", default=()
)


@contextmanager
def observe_runs(observer: Callable[[Run], None]) -> Iterator[None]:
    """Call ``observer(run)`` for every run any Simulator finishes inside the ``with`` block
    (in this context: thread or task). The pytest plugin's coverage uses it to count the runs
    of Simulators a test creates itself."""
    token = _OBSERVERS.set((*_OBSERVERS.get(), observer))
    try:
        yield
    finally:
        _OBSERVERS.reset(token)


DEFAULT_START = datetime(2024, 1, 1, tzinfo=UTC)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@attrs.frozen
class TaskView:
    """Every attempt of one task reference in a run."""

    ref: str
    attempts_list: tuple[dict[str, Any], ...]

    @property
    def attempts(self) -> int:
        """How many attempts ran (1 when it was never retried)."""
        return len(self.attempts_list)

    @property
    def retries(self) -> int:
        """Attempts after the first."""
        return max(0, self.attempts - 1)

    @property
    def status(self) -> str:
        """The latest attempt's status."""
        return str(self.attempts_list[-1]["status"])

    @property
    def output(self) -> dict[str, Any]:
        """The latest attempt's output."""
        return dict(self.attempts_list[-1]["outputData"])

    @property
    def input(self) -> dict[str, Any]:
        """The latest attempt's input."""
        return dict(self.attempts_list[-1]["inputData"])

    @property
    def reason(self) -> str | None:
        """The latest attempt's reasonForIncompletion."""
        return self.attempts_list[-1]["reasonForIncompletion"]  # type: ignore[no-any-return]


@attrs.frozen
class Run:
    """The result of a simulation: the execution JSON and helpers to assert on it."""

    execution: dict[str, Any]
    children: tuple[dict[str, Any], ...]
    start_ms: int
    worker_mocks: Mocks | None = attrs.field(default=None, eq=False, repr=False)
    """A snapshot of the mocks the run used (:meth:`Mocks.snapshot`); :attr:`mocks` describes it."""

    @property
    def mocks(self) -> tuple[str, ...]:
        """Pasteable Python lines (on ``sim``) that configure the mocks this run used."""
        return () if self.worker_mocks is None else tuple(self.worker_mocks.describe())

    @property
    def status(self) -> str:
        """The workflow status: COMPLETED, FAILED, TIMED_OUT, TERMINATED or RUNNING (stuck)."""
        return str(self.execution["status"])

    @property
    def output(self) -> dict[str, Any]:
        """The workflow output."""
        return dict(self.execution["output"])

    @property
    def reason(self) -> str | None:
        """The workflow's reasonForIncompletion."""
        return self.execution["reasonForIncompletion"]  # type: ignore[no-any-return]

    @property
    def duration(self) -> timedelta:
        """Simulated time from start to end (to the last event when still running)."""
        end = self.execution["endTime"] or max(
            [t["endTime"] or t["updateTime"] or t["scheduledTime"] for t in self.execution["tasks"]]
            or [self.start_ms]
        )
        return timedelta(milliseconds=end - self.execution["createTime"])

    @property
    def tasks(self) -> list[dict[str, Any]]:
        """Every task attempt, in scheduling order (Conductor's task JSON)."""
        return list(self.execution["tasks"])

    def task(self, key: str) -> TaskView:
        """The attempts of one task, by taskReferenceName or, when unambiguous, task name."""
        tasks = self.execution["tasks"]
        by_ref = [t for t in tasks if t["referenceTaskName"] == key]
        if by_ref:
            return TaskView(key, tuple(by_ref))
        iterations = [
            t
            for t in tasks
            if t["referenceTaskName"].split("__", 1)[0] == key and "__" in t["referenceTaskName"]
        ]
        if iterations:  # a task in a DO_WHILE: the bare reference means the latest iteration (§6.3)
            latest = iterations[-1]["referenceTaskName"]
            return TaskView(
                latest, tuple(t for t in iterations if t["referenceTaskName"] == latest)
            )
        refs = sorted({t["referenceTaskName"] for t in tasks if t["taskDefName"] == key})
        if len(refs) == 1:
            return TaskView(refs[0], tuple(t for t in tasks if t["referenceTaskName"] == refs[0]))
        if refs:
            msg = f"task name '{key}' has several references in this run: {', '.join(refs)}; ask for one of them"
            raise KeyError(msg)
        known = sorted({t["referenceTaskName"] for t in tasks})
        msg = f"no task '{key}' ran in this workflow; tasks that ran: {', '.join(known) or 'none'}"
        raise KeyError(msg)

    def timeline(self) -> list[tuple[timedelta, str, int, str, str | None]]:
        """(time since start, ref, attempt, status, reason) per attempt, in time order."""
        rows = []
        for t in self.execution["tasks"]:
            when = t["endTime"] or t["startTime"] or t["scheduledTime"]
            rows.append(
                (
                    timedelta(milliseconds=when - self.execution["createTime"]),
                    t["referenceTaskName"],
                    t["retryCount"] + 1,
                    t["status"],
                    t["reasonForIncompletion"],
                )
            )
        return sorted(rows, key=lambda r: r[0])  # stable: scheduling order within one instant

    def format_timeline(self) -> str:
        """The timeline as text, for failure reports."""
        lines = [
            f"workflow {self.execution['workflowName']} v{self.execution['workflowVersion']}: "
            f"{self.status} after {self.duration}" + (f" ({self.reason})" if self.reason else "")
        ]
        for offset, ref, attempt, status, reason in self.timeline():
            lines.append(
                f"  +{offset}  {ref:<30} attempt {attempt}  {status:<22} {reason or ''}".rstrip()
            )
        return "\n".join(lines)

    def to_json(self) -> str:
        """The execution JSON (deterministic)."""
        return json.dumps(self.execution, indent=2, ensure_ascii=False) + "\n"


class Simulator:
    """Runs workflows on a fake clock. Create one per test (the pytest fixture does)."""

    def __init__(
        self,
        *,
        start: datetime = DEFAULT_START,
        secrets: Mapping[str, str] | None = None,
        task_defs: Iterable[Mapping[str, Any]] = (),
        workflows: Iterable[Mapping[str, Any]] = (),
        env: Mapping[str, str] | None = None,
        max_events: int = 5_000_000,
    ) -> None:
        self.start = start
        self.max_events = max_events
        self.secrets = dict(secrets or {})
        self.env = dict(env or {})
        self.mocks = Mocks()
        self.task_defs: dict[str, dict[str, Any]] = {str(td["name"]): dict(td) for td in task_defs}
        self.workflows: dict[tuple[str, int], dict[str, Any]] = {}
        for wf in workflows:
            self.add_workflow(wf)
        self._signals: list[tuple[int, str, str, dict[str, Any], str | None]] = []
        self._terminations: list[tuple[int, str]] = []
        self.runs: list[Run] = []
        self._actions: list[
            tuple[int, str, tuple[str, ...]]
        ] = []  # every run of this simulator, for failure reports

    def add_workflow(self, definition: Mapping[str, Any]) -> None:
        """Make a WorkflowDef available to SUB_WORKFLOW / START_WORKFLOW / failureWorkflow."""
        self.workflows[(str(definition["name"]), int(definition.get("version") or 1))] = dict(
            definition
        )

    def mock(self, key: str) -> MockBuilder:
        """Mock the worker of a task, by taskReferenceName or task name (see testing.mocks)."""
        return self.mocks.mock(key)

    def signal(
        self,
        ref: str,
        *,
        after: timedelta,
        status: str = "COMPLETED",
        output: Mapping[str, Any] | None = None,
        reason: str | None = None,
    ) -> None:
        """Complete (or fail) a HUMAN, WAIT or EVENT task ``after`` the start, as an API call would."""
        self._signals.append(
            (int(after.total_seconds() * 1000), ref, status, dict(output or {}), reason)
        )

    def pause(self, *, after: timedelta) -> None:
        """Pause the workflow ``after`` the start (the pause API)."""
        self._actions.append((int(after.total_seconds() * 1000), "pause", ()))

    def resume(self, *, after: timedelta) -> None:
        """Resume a paused workflow (the resume API; restarts the workflow-timeout clock)."""
        self._actions.append((int(after.total_seconds() * 1000), "resume", ()))

    def retry(self, *, after: timedelta) -> None:
        """Retry the ended workflow from its failed tasks (the retry API)."""
        self._actions.append((int(after.total_seconds() * 1000), "retry", ()))

    def restart(self, *, after: timedelta) -> None:
        """Restart the ended workflow from scratch (the restart API)."""
        self._actions.append((int(after.total_seconds() * 1000), "restart", ()))

    def skip(self, ref: str, *, after: timedelta) -> None:
        """Skip a task not scheduled yet (the skipTask API): the decider passes over it."""
        self._actions.append((int(after.total_seconds() * 1000), "skip", (ref,)))

    def terminate(self, *, after: timedelta, reason: str = "terminated by the test") -> None:
        """Terminate the workflow ``after`` the start, as the terminate API would."""
        self._terminations.append((int(after.total_seconds() * 1000), reason))

    def run(self, target: Any, input: Mapping[str, Any] | None = None) -> Run:
        """Simulate ``target`` (a @workflow function, a CompiledWorkflow or a WorkflowDef dict) to its end."""
        with GcPaused():  # checking, running and recording all allocate objects that live on
            return self._simulate(target, input)

    def _simulate(self, target: Any, input: Mapping[str, Any] | None) -> Run:
        definition, workers = self._definition(target)
        start_ms = _ms(self.start)
        with ExitStack() as stack:
            hook = None
            if workers:
                from freezegun import freeze_time

                frozen = stack.enter_context(freeze_time(self.start))

                def hook(ms: int) -> None:
                    frozen.move_to(datetime.fromtimestamp(ms / 1000, tz=UTC))

            engine = Engine(
                start_ms=start_ms,
                task_defs=self.task_defs,
                workflows=self.workflows,
                mocks=self.mocks,
                workers=workers,
                secrets=self.secrets,
                env=self.env,
                clock_hook=hook,
            )
            root = engine.start_workflow(definition, dict(input or {}))
            for offset, ref, status, output, reason in self._signals:
                engine.at(
                    start_ms + offset, "signal", root.workflow_id, ref, status, output, reason
                )
            for offset, action, args in self._actions:
                engine.at(start_ms + offset, action, root.workflow_id, *args)
            for offset, reason in self._terminations:
                engine.at(start_ms + offset, "terminate", root.workflow_id, reason)
            engine.run(max_events=self.max_events)
        children = tuple(wf.to_json() for wf in engine.all_workflows() if wf is not root)
        result = Run(root.to_json(), children, start_ms, self.mocks.snapshot())
        self.runs.append(result)
        for observer in _OBSERVERS.get():
            observer(result)
        return result

    def _definition(self, target: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        if isinstance(target, Mapping):  # a definition as JSON: no need to load the compiler
            _check_runnable(target)
            return dict(target), {}
        from compiler.compile import CompiledWorkflow, compile_workflow
        from flowdsl.workflow import WorkflowFunction

        if isinstance(target, WorkflowFunction):
            target = compile_workflow(target)
        if isinstance(target, CompiledWorkflow):
            for item in target.all_workflows():
                self.add_workflow(item.workflow_def)
            for td in target.all_task_defs():
                self.task_defs.setdefault(str(td["name"]), td)
            workers = {name: _adapt(fn) for name, fn in target.all_task_functions().items()}
            return target.workflow_def, workers
        if isinstance(target, Mapping):
            return dict(target), {}
        msg = f"Simulator.run() takes a @workflow function, a CompiledWorkflow or a WorkflowDef dict, not {type(target).__name__}"
        raise TypeError(msg)


# Validation problems that leave nothing sensible to simulate (the others, such as a reference to
# a task that never ran, are behaviours the simulator reproduces: Conductor runs such workflows).
_UNRUNNABLE = frozenset(
    {
        "shape",
        "missing-ref",
        "duplicate-ref",
        "fork-branches",
        "switch-cases",
        "loop-body",
        "subworkflow-param",
        "workflow-name",
    }
)


def _check_runnable(definition: Mapping[str, Any]) -> None:
    """Refuse a malformed WorkflowDef with every structural problem, its JSON path and its fix."""
    from compiler.validate import validate_workflow_def

    problems = [
        p
        for p in validate_workflow_def(definition)
        if p.code in _UNRUNNABLE and p.severity == "error"
    ]
    version = definition.get("version", 1)
    if version is not None and not isinstance(version, int) and not str(version).isdigit():
        problems.append(
            Problem(
                f"version is {version!r}, not a whole number", code="shape", json_path="$.version"
            )
        )
    if problems:
        lines = [
            f"  {p.json_path}: {p.message}" + (f" (fix: {p.hint})" if p.hint else "")
            for p in problems
        ]
        name = definition.get("name")
        msg = f"workflow {name!r} cannot be simulated:\n" + "\n".join(lines)
        raise SimulationError(msg)


def _adapt(fn: Any) -> Any:
    """Call a @task function with the task input as keyword arguments (unknown keys dropped)."""
    import inspect

    params = inspect.signature(fn).parameters
    takes_all = any(p.kind is p.VAR_KEYWORD for p in params.values())

    def call(payload: dict[str, Any]) -> Any:
        kwargs = payload if takes_all else {k: v for k, v in payload.items() if k in params}
        return fn(**kwargs)

    return call
