"""Overlays: colours and extra label lines drawn over a workflow diagram.

An :class:`Overlay` says how to draw each task (by taskReferenceName) and which edges to colour.
:func:`run_overlay` makes one from a Conductor execution (``GET /api/workflow/{id}?includeTasks=
true``, or the simulator's ``Run.execution``); other tools (coverage pictures) build their own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

from compiler.diagram.model import Diagram, Node
from compiler.diagram.styles import GREYED, STATUS_COLOURS

__all__ = ["Overlay", "TaskStyle", "format_duration", "node_style", "run_overlay"]

TAKEN_EDGE = "#2e7d32"  # the colour of a switch case or fork branch that ran
_UNKNOWN_STATUS = "#eceff1"
_ITERATION = re.compile(r"^(.+?)__(\d+)$")


@attrs.frozen
class TaskStyle:
    """How one task is drawn in an overlay."""

    fill: str  # CSS colour, e.g. "#c8e6c9"
    status: str | None = None  # e.g. "COMPLETED", shown in the label
    lines: tuple[str, ...] = ()  # extra label lines, e.g. ("3 attempts", "2 retries", "41.2 s")
    greyed: bool = False  # never ran / not covered: grey, dashed outline


@attrs.frozen
class Overlay:
    """Styles for tasks (key: taskReferenceName) and colours for edges.

    ``edges`` maps ``(switch/decision ref, case label or "default")`` and ``(fork ref, first ref
    of a branch)`` to a colour. With ``grey_others`` the workflow's tasks missing from ``tasks``
    are drawn greyed (the tasks of an expanded sub-workflow are not: they are keyed
    ``"<sub-workflow ref>/<ref>"`` and styled only when listed).
    """

    tasks: Mapping[str, TaskStyle]
    edges: Mapping[tuple[str, str], str] = attrs.field(factory=dict)
    title: str | None = None
    grey_others: bool = True


def format_duration(ms: int) -> str:
    """A duration in milliseconds as short text: ``"850 ms"``, ``"41.2 s"``, ``"3 min 5 s"``,
    ``"30 min"``, ``"2 h 10 min"``, ``"3 d 4 h"`` (two units at most, a zero second unit left
    out)."""
    if ms < 1000:
        return f"{ms} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = int(seconds)
    if whole < 3600:
        big, small = (whole // 60, "min"), (whole % 60, "s")
    elif whole < 86400:
        big, small = (whole // 3600, "h"), (whole % 3600 // 60, "min")
    else:
        big, small = (whole // 86400, "d"), (whole % 86400 // 3600, "h")
    return f"{big[0]} {big[1]}" + (f" {small[0]} {small[1]}" if small[0] else "")


def _plural(count: int, word: str, words: str = "") -> str:
    return f"{count} {word}" if count == 1 else f"{count} {words or word + 's'}"


def _walk(tasks: object, found: dict[str, Mapping[str, Any]]) -> None:
    for task in tasks if isinstance(tasks, list) else []:
        if not isinstance(task, Mapping):
            continue
        ref = task.get("taskReferenceName")
        if isinstance(ref, str) and ref and ref not in found:
            found[ref] = task
        cases = task.get("decisionCases")
        for branch in cases.values() if isinstance(cases, Mapping) else []:
            _walk(branch, found)
        _walk(task.get("defaultCase"), found)
        forks = task.get("forkTasks")
        for branch in forks if isinstance(forks, list) else []:
            _walk(branch, found)
        _walk(task.get("loopOver"), found)


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class _Grouped:
    """The attempts of one drawn task."""

    def __init__(self) -> None:
        self.attempts: list[Mapping[str, Any]] = []
        self.iterations: set[str] = set()
        self.branches: dict[str, Mapping[str, Any]] = {}  # dynamic fork: spawned ref -> latest


def _owner(
    ref: str,
    task: Mapping[str, Any],
    known: Mapping[str, Mapping[str, Any]],
    spawned_by: Mapping[str, str],
) -> tuple[str | None, str]:
    """(the definition ref an executed task is drawn on, how: "task", "iteration", "branch")."""
    match = _ITERATION.match(ref)
    if not known:  # no definition in the execution: trust the refs
        if match and _int(task.get("iteration")) > 0:
            return match.group(1), "iteration"
        return ref, "task"
    if ref in known:
        return ref, "task"
    if match and match.group(1) in known:
        return match.group(1), "iteration"
    base = match.group(1) if match else ref
    fork = spawned_by.get(ref) or spawned_by.get(base)
    if fork is not None:
        return fork, "branch"
    workflow_task = task.get("workflowTask")
    if isinstance(workflow_task, Mapping):
        wt_ref = workflow_task.get("taskReferenceName")
        if isinstance(wt_ref, str) and wt_ref in known:
            return wt_ref, "task"
    return None, ""


def _taken_case(task: Mapping[str, Any], definition: Mapping[str, Any] | None) -> str | None:
    output = task.get("outputData")
    if not isinstance(output, Mapping):
        return None
    value = output.get("selectedCase")
    if value is None:
        for field in ("evaluationResult", "caseOutput"):
            result = output.get(field)
            if isinstance(result, list) and result:
                value = result[0]
                break
    if value is None:
        return None
    case = ("true" if value else "false") if isinstance(value, bool) else str(value)
    if definition is None:
        return case
    cases = definition.get("decisionCases")
    return case if isinstance(cases, Mapping) and case in cases else "default"


def _spawned(
    tasks: list[Mapping[str, Any]], known: Mapping[str, Mapping[str, Any]]
) -> dict[str, str]:
    """Spawned task ref -> the dynamic fork (definition ref) that made it."""
    spawned_by: dict[str, str] = {}
    current: str | None = None
    for task in tasks:
        ref = str(task.get("referenceTaskName") or "")
        base = _ITERATION.sub(r"\1", ref)
        definition = known.get(base)
        if definition is not None and definition.get("type") == "FORK_JOIN_DYNAMIC":
            current = base
            inputs = task.get("inputData")
            forked = inputs.get("forkedTasks") if isinstance(inputs, Mapping) else None
            for spawned in forked if isinstance(forked, list) else []:
                spawned_by.setdefault(str(spawned), base)
        elif definition is None and current is not None and known:
            spawned_by.setdefault(ref, current)  # no forkedTasks recorded: the latest dynamic fork
    return spawned_by


def _style(group: _Grouped) -> TaskStyle:
    last = group.attempts[-1]
    status = str(last.get("status") or "UNKNOWN")
    lines: list[str] = []
    if group.iterations:
        lines.append(_plural(len(group.iterations), "iteration"))
        if len(group.attempts) > len(group.iterations):
            lines.append(_plural(len(group.attempts), "attempt"))
    elif len(group.attempts) > 1:
        retries = len(group.attempts) - 1
        lines.append(
            f"{_plural(len(group.attempts), 'attempt')} · {_plural(retries, 'retry', 'retries')}"
        )
    if group.branches:
        failed = sum(
            1
            for t in group.branches.values()
            if str(t.get("status")) not in ("COMPLETED", "COMPLETED_WITH_ERRORS", "SKIPPED")
        )
        text = _plural(len(group.branches), "branch", "branches")
        lines.append(text + (f" · {failed} not completed" if failed else ""))
    everything = [*group.attempts, *group.branches.values()]
    starts = [_int(t.get("startTime")) or _int(t.get("scheduledTime")) for t in everything]
    ends = [_int(t.get("endTime")) for t in everything]
    starts = [s for s in starts if s > 0]
    if starts and max(ends) > min(starts):
        lines.append(format_duration(max(ends) - min(starts)))
    return TaskStyle(STATUS_COLOURS.get(status, _UNKNOWN_STATUS), status, tuple(lines))


def run_overlay(execution: Mapping[str, Any]) -> Overlay:
    """The overlay of one workflow execution (Conductor's execution JSON, or ``Run.execution``).

    Each task is coloured by its final status and labelled with its attempts, loop iterations,
    dynamic-fork branches and total duration on the run's clock; tasks that never ran are greyed;
    the switch cases and fork branches taken are coloured.

    Raises:
        ValueError: ``execution`` has no ``tasks`` list.
    """
    tasks = execution.get("tasks")
    if not isinstance(tasks, list):
        raise ValueError(
            "not a workflow execution: it needs a 'tasks' list (the JSON of "
            "GET /api/workflow/{id}?includeTasks=true, or the simulator's Run.execution)"
        )
    records = [t for t in tasks if isinstance(t, Mapping)]
    definition = execution.get("workflowDefinition")
    known: dict[str, Mapping[str, Any]] = {}
    if isinstance(definition, Mapping):
        _walk(definition.get("tasks"), known)
    spawned_by = _spawned(records, known)
    groups: dict[str, _Grouped] = {}
    edges: dict[tuple[str, str], str] = {}
    for task in records:
        ref = task.get("referenceTaskName")
        if not isinstance(ref, str) or not ref:
            continue
        owner, how = _owner(ref, task, known, spawned_by)
        if owner is None:
            continue
        group = groups.setdefault(owner, _Grouped())
        if how == "branch":
            group.branches[ref] = task  # the latest attempt of a task the dynamic fork spawned
            continue
        group.attempts.append(task)
        if how == "iteration":
            group.iterations.add(ref)
        kind = task.get("taskType")
        if kind in ("SWITCH", "DECISION"):
            case = _taken_case(task, known.get(owner))
            if case is not None:
                edges[(owner, case)] = TAKEN_EDGE
    for owner in groups:
        fork = known.get(owner)
        if fork is None or fork.get("type") != "FORK_JOIN":
            continue
        for branch in fork.get("forkTasks") or []:
            if isinstance(branch, list) and branch and isinstance(branch[0], Mapping):
                first = branch[0].get("taskReferenceName")
                if isinstance(first, str) and first in groups:
                    edges[(owner, first)] = TAKEN_EDGE
    styles = {owner: _style(group) for owner, group in groups.items() if group.attempts}
    name = execution.get("workflowName") or (
        definition.get("name") if isinstance(definition, Mapping) else None
    )
    version = execution.get("workflowVersion")
    parts = [f"{name} v{version}" if name and version else str(name or "workflow")]
    if execution.get("status"):
        parts.append(str(execution["status"]))
    start, end = (
        _int(execution.get("startTime") or execution.get("createTime")),
        _int(execution.get("endTime")),
    )
    if start and end >= start:
        parts.append(format_duration(end - start))
    return Overlay(tasks=styles, edges=edges, title=" · ".join(parts))


def node_style(node: Node, diagram: Diagram, overlay: Overlay | None) -> TaskStyle | None:
    """The overlay style of a drawn node: its own, greyed when the overlay greys the others, or
    None (drawn in its type's colours)."""
    if overlay is None:
        return None
    if node.follows is not None:  # a dynamic fork's branches: drawn like the fork
        fork = diagram.node(node.follows)
        own = node_style(fork, diagram, overlay)
        return TaskStyle(GREYED[0], greyed=True) if own is not None and own.greyed else None
    if node.key is None:  # START, END, a loop's meeting point
        return None
    if node.key in overlay.tasks:
        return overlay.tasks[node.key]
    if overlay.grey_others and node.top_level:
        return TaskStyle(GREYED[0], greyed=True)
    return None
