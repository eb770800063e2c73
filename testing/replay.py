"""Replay a recorded Conductor execution in the simulator and compare the two runs.

An execution record (``GET /api/workflow/{id}?includeTasks=true``) embeds its
``workflowDefinition``. :func:`replay` runs that definition with the recorded input and takes
from the record every outcome that came from outside the engine: worker results become mocks
(:func:`mocks_from_execution`), HUMAN/WAIT/EVENT completions signals
(:func:`signals_from_execution`), a terminate API call ``Simulator.terminate``, and each child
workflow the record does not embed a stand-in that ends as the record says. What the record does
not show never answers. :func:`compare` lists what differs. See docs/replay.md.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import attrs

from testing.engine import SimulationError
from testing.mocks import Mocks, WorkerStep
from testing.simulator import Run, Simulator
from testing.tasks import ASYNC, SYNC

# fmt: off
__all__ = ["ReplayResult", "Signal", "compare", "mocks_from_execution", "replay",
           "signals_from_execution"]
# fmt: on

_ENGINE_RUN = SYNC | ASYNC | {"FORK_JOIN", "FORK_JOIN_DYNAMIC"}  # what the simulator runs itself
_SIGNALLED = frozenset({"HUMAN", "WAIT", "EVENT"})
_REPORTED = frozenset({"COMPLETED", "FAILED", "FAILED_WITH_TERMINAL_ERROR"})
_STUB = "replay_stub_"  # reference prefix of a stand-in child workflow's one task


class Signal(NamedTuple):
    """An external task update: ``sim.signal(ref, after=after, status=status, output=output)``."""

    ref: str
    after: timedelta
    status: str
    output: dict[str, Any]


@attrs.frozen
class ReplayResult:
    """The outcome of :func:`replay`: the record, the simulated run and what differs."""

    path: str
    recorded: dict[str, Any]
    run: Run | None  # None when the simulation raised (``error``)
    differences: tuple[str, ...]
    notes: tuple[str, ...] = ()
    error: str | None = None

    @property
    def matches(self) -> bool:
        """True when the task sequence, the task statuses and the workflow status agree."""
        return not self.differences


def _tasks(execution: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The task attempts of an execution in scheduling (seq) order."""
    tasks = [t for t in execution.get("tasks") or [] if isinstance(t, dict)]
    return sorted(tasks, key=lambda t: int(t.get("seq") or 0))


def _ms(record: Mapping[str, Any], field: str) -> int:
    return int(record.get(field) or 0)


def _entry(task: Mapping[str, Any]) -> dict[str, Any]:
    """One recorded attempt as a Conductor-format mock entry (the mapping in docs/replay.md)."""
    start, end, scheduled = _ms(task, "startTime"), _ms(task, "endTime"), _ms(task, "scheduledTime")
    delay = _ms(task, "startDelayInSeconds") * 1000  # the simulator adds it before the wait
    wait = max(0, start - scheduled - delay) if start and scheduled else 0
    status = str(task.get("status")).replace("COMPLETED_WITH_ERRORS", "FAILED")  # optional, failed
    if status not in _REPORTED:  # SCHEDULED, IN_PROGRESS, TIMED_OUT, CANCELED: no update seen
        if not start:
            return {"polled": False}
        return {"responds": False, "queueWaitTime": wait} if wait else {"responds": False}
    entry: dict[str, Any] = {"status": status}
    if task.get("outputData"):
        entry["output"] = dict(task["outputData"])
    if status != "COMPLETED" and task.get("reasonForIncompletion"):
        entry["reasonForIncompletion"] = str(task["reasonForIncompletion"])
    if start and end > start:
        entry["executionTime"] = end - start
    if wait:
        entry["queueWaitTime"] = wait
    return entry


def mocks_from_execution(execution: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """``taskRefToMockOutput`` for the worker tasks of a record: one entry per attempt, in order.

    A worker task is any type the simulator does not run itself (SIMPLE, a DYNAMIC task's
    resolved type, HTTP, custom types). Keys drop any ``__N`` suffix (as the simulator's lookup
    does), so one list serves every DO_WHILE iteration. COMPLETED, FAILED and
    FAILED_WITH_TERMINAL_ERROR replay as reported (COMPLETED_WITH_ERRORS as FAILED); TIMED_OUT,
    CANCELED and IN_PROGRESS become ``{"responds": false}`` (the engine decides what follows),
    an attempt never polled ``{"polled": false}``.
    """
    mocks: dict[str, list[dict[str, Any]]] = {}
    for task in _tasks(execution):
        if str(task.get("taskType")) not in _ENGINE_RUN:
            key = str(task.get("referenceTaskName")).split("__", 1)[0]
            mocks.setdefault(key, []).append(_entry(task))
    return mocks


def signals_from_execution(execution: Mapping[str, Any]) -> list[Signal]:
    """The external updates of HUMAN tasks, and of the WAIT/EVENT tasks only an update ends.

    A WAIT with a ``duration`` or ``until`` ends by itself and an EVENT without asyncComplete
    completes at once: neither is signalled. Offsets count from the record's start.
    """
    start = _ms(execution, "startTime") or _ms(execution, "createTime")
    signals = []
    for task in _tasks(execution):
        kind, status, end = str(task.get("taskType")), str(task.get("status")), _ms(task, "endTime")
        data, wt = task.get("inputData") or {}, task.get("workflowTask") or {}
        if kind not in _SIGNALLED or status not in _REPORTED or not end:
            continue
        if kind == "WAIT" and (data.get("duration") is not None or data.get("until") is not None):
            continue
        if kind == "EVENT" and not wt.get("asyncComplete"):
            continue
        after = timedelta(milliseconds=max(0, end - start))
        output = dict(task.get("outputData") or {})
        signals.append(Signal(str(task["referenceTaskName"]), after, status, output))
    return signals


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object inside ``value``, itself included."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _child_names(execution: Mapping[str, Any]) -> dict[str, set[int]]:
    """Workflows the run may start (sub-workflows, START_WORKFLOW, failureWorkflow) -> versions."""
    found: dict[str, set[int]] = {}
    for obj in _walk(dict(execution)):
        for holder, name, version in (
            (obj.get("subWorkflowParam"), "name", "version"),
            (obj, "subWorkflowName", "subWorkflowVersion"),
            (obj.get("startWorkflow"), "name", "version"),
        ):
            if isinstance(holder, dict) and isinstance(holder.get(name), str):
                number = str(holder.get(version))  # None, a number, "2", or an expression
                found.setdefault(holder[name], set()).add(int(number) if number.isdigit() else 1)
    failure = (execution.get("workflowDefinition") or {}).get("failureWorkflow")
    if isinstance(failure, str) and failure and not failure.startswith("$"):
        found.setdefault(failure, set()).add(1)
    return found


def _child_of(task: Mapping[str, Any]) -> str:
    """The workflow name a recorded SUB_WORKFLOW attempt started."""
    param = (task.get("workflowTask") or {}).get("subWorkflowParam") or {}
    return str((task.get("inputData") or {}).get("subWorkflowName") or param.get("name"))


def _stub_entry(task: Mapping[str, Any]) -> dict[str, Any]:
    """How the stand-in child of a recorded SUB_WORKFLOW attempt ends (its one task's mock)."""
    entry = _entry(task)
    output = {k: v for k, v in entry.pop("output", {}).items() if k != "subWorkflowId"}
    entry.pop("queueWaitTime", None)
    if "status" not in entry:  # still running, canceled with its parent, timed out
        return {"polled": False}
    return {**entry, "output": output} if output else entry


def _stubs(
    execution: Mapping[str, Any], definition: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Stand-in definitions for the child workflows the record does not embed, and their mocks.

    A stand-in has one worker task, mocked with the recorded outcomes of the SUB_WORKFLOW tasks
    that started it, in start order; when the record shows none, the child never ends.
    """
    inline = {str(o.get("name")) for o in _walk(definition) if "workflowDefinition" in o}
    runs = [t for t in _tasks(execution) if t.get("taskType") == "SUB_WORKFLOW"]
    defs: list[dict[str, Any]] = []
    mocks: dict[str, list[dict[str, Any]]] = {}
    for index, (name, versions) in enumerate(sorted(_child_names(execution).items())):
        if name in inline:
            continue
        ref = f"{_STUB}{index}"
        no_retry = {"name": ref, "retryCount": 0, "responseTimeoutSeconds": 0, "timeoutSeconds": 0}
        task = {"name": ref, "taskReferenceName": ref, "type": "SIMPLE", "taskDefinition": no_retry}
        stub = {"name": name, "schemaVersion": 2, "tasks": [task]}
        defs += [{**stub, "version": version} for version in sorted(versions)]
        if entries := [_stub_entry(t) for t in runs if _child_of(t) == name]:
            mocks[ref] = entries
    return defs, mocks


class _RecordedMocks(Mocks):
    """The record's mocks; an attempt the record does not show is never polled. The stand-in
    children of one definition share a cursor: each takes the next recorded outcome. Only the
    worker tasks of the record have entries: SUB_WORKFLOW tasks start their (stand-in) children
    and other system tasks run in the engine, as ``has`` tells the engine."""

    def next_step(
        self, ref: str, task_name: str, attempt: int, *args: Any, **kwargs: Any
    ) -> WorkerStep | None:
        if ref.startswith(_STUB):
            args, kwargs = (), {}
        step = super().next_step(ref, task_name, attempt, *args, **kwargs)
        return step or WorkerStep(polled=False)


def _load(source: str | Path | Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    if isinstance(source, Mapping):
        return "<execution>", dict(source)
    from compiler.loader import load_file

    loaded = load_file(source)
    if loaded.kind != "execution":
        raise ValueError(f"{source}: a {loaded.kind} file, not an execution record")
    return str(source), dict(loaded.extra["execution"])


def replay(source: str | Path | Mapping[str, Any]) -> ReplayResult:
    """Simulate an execution record (a file or its JSON) with its outcomes; compare the runs."""
    path, execution = _load(source)
    if not isinstance(definition := execution.get("workflowDefinition"), dict):
        raise ValueError(f"{path}: the record embeds no workflowDefinition to replay")
    tasks = _tasks(execution)
    start = _ms(execution, "startTime") or _ms(execution, "createTime")
    sim = Simulator(start=datetime.fromtimestamp(start / 1000, tz=UTC))
    stub_defs, stub_mocks = _stubs(execution, definition)
    notes = [f"child workflow '{d['name']}' v{d['version']} is a stand-in" for d in stub_defs]
    for stub in stub_defs:
        sim.add_workflow(stub)
    sim.mocks = _RecordedMocks().load_conductor({**mocks_from_execution(execution), **stub_mocks})
    for signal in signals_from_execution(execution):
        sim.signal(signal.ref, after=signal.after, status=signal.status, output=signal.output)
    if (first := int(tasks[0].get("seq") or 0) if tasks else 0) > 1:
        notes.append(f"the record starts at seq {first}: {first - 1} earlier attempts are missing")
    if execution.get("status") in ("RUNNING", "PAUSED"):
        notes.append(f"the record is a {execution['status']} snapshot; the simulation runs on")
    ended = {(t.get("taskType"), t.get("status")) for t in tasks}
    if execution.get("status") == "TERMINATED" and ("TERMINATE", "COMPLETED") not in ended:
        after = timedelta(milliseconds=max(0, _ms(execution, "endTime") - start))
        sim.terminate(after=after, reason=str(execution.get("reasonForIncompletion") or "-"))
        notes.append(f"the terminate API call is replayed after {after}")
    try:
        run = sim.run(definition, dict(execution.get("input") or {}))
    except SimulationError as err:
        why = f"simulation error: {err}"
        return ReplayResult(path, execution, None, (why,), (*notes,), str(err))
    return ReplayResult(path, execution, run, (*compare(execution, run.execution),), (*notes,))


def _key(task: Mapping[str, Any]) -> tuple[str, int]:
    return str(task.get("referenceTaskName")), int(task.get("retryCount") or 0)


def _name(task: Mapping[str, Any]) -> str:  # "ref", or "ref (retry N)" for a retry
    ref, retry = _key(task)
    return f"{ref} (retry {retry})" if retry else ref


def compare(recorded: Mapping[str, Any], simulated: Mapping[str, Any]) -> list[str]:
    """Differences between two executions: workflow status, task sequence, task statuses.

    Attempts are matched by (reference, retryCount) in scheduling order. The lines read
    ``workflow status: recorded X, simulated Y``, ``only in the record: ref STATUS, ...``,
    ``only in the simulation: ...`` and ``ref: recorded X, simulated Y``.
    """
    out: list[str] = []
    if recorded.get("status") != simulated.get("status"):
        was, now = recorded.get("status"), simulated.get("status")
        out.append(f"workflow status: recorded {was}, simulated {now}")
    mine, theirs = _tasks(recorded), _tasks(simulated)
    keys = [_key(t) for t in mine], [_key(t) for t in theirs]
    matcher = difflib.SequenceMatcher(None, *keys, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for a, b in zip(mine[i1:i2], theirs[j1:j2], strict=True):
                if a.get("status") != b.get("status"):
                    out.append(f"{_name(a)}: recorded {a['status']}, simulated {b['status']}")
            continue
        for side, some in (("record", mine[i1:i2]), ("simulation", theirs[j1:j2])):
            if some:
                shown = ", ".join(f"{_name(t)} {t.get('status')}" for t in some)
                out.append(f"only in the {side}: {shown}")
    return out
