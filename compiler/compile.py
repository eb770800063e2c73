"""``compile_workflow``: trace -> emit Conductor JSON -> validate -> graph.

The pipeline reads as its steps. Every problem (from tracing, from turning
values into JSON, from validation, from sub-workflows) is collected and
raised together as one :class:`WorkflowDefinitionError`, each naming the
user's ``file:line``.
"""

from __future__ import annotations

import dataclasses
import json
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import networkx as nx
import orjson

from compiler._gc import GcPaused
from compiler.conductor import ConductorEmitter, task_def_of
from compiler.graph import build_graph
from compiler.validate import validate_task_defs, validate_workflow_def
from flowdsl.errors import Problem, SourceLocation, WorkflowDefinitionError
from flowdsl.nodes import DoWhile, DynamicFork, Fork, Step, SubWorkflow, Switch
from flowdsl.task import TaskFunction
from flowdsl.workflow import WorkflowFunction

__all__ = ["CompiledWorkflow", "compile_workflow", "dumps", "locator"]


def dumps(value: Any) -> str:
    """Deterministic JSON text: 2-space indent, keys in emission order, UTF-8 kept, final newline.

    The bytes are those of ``json.dumps(value, indent=2, ensure_ascii=False)``; orjson writes
    them about ten times faster (json's indenting encoder is pure Python).
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n"
    except (TypeError, orjson.JSONEncodeError):  # e.g. integers beyond 64 bits
        return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def locator(source_map: Mapping[str, SourceLocation]) -> Any:
    """A function mapping a JSON path to the source location of the nearest enclosing emitted task."""

    def locate(path: str) -> SourceLocation | None:
        probe = path
        while probe:
            found = source_map.get(probe)
            if found is not None:
                return found
            cut = max(probe.rfind("."), probe.rfind("["))
            if cut <= 0:
                break
            probe = probe[:cut]
        return source_map.get("$")

    return locate


@attrs.frozen
class CompiledWorkflow:
    """The result of compiling one ``@workflow`` function.

    Attributes:
        workflow_def: the Conductor WorkflowDef (plain dict, ready for ``POST /metadata/workflow``).
        task_defs: the TaskDefs of the ``@task`` functions it uses (``POST /metadata/taskdefs``).
        graph: the networkx graph (a MultiDiGraph; schema in docs/graph.md).
        sub_workflows: the compiled workflows it starts by name (sub-workflows, forked and failure workflows).
        source_map: JSON path -> the Python line that produced it.
        warnings: problems that do not stop compilation.
    """

    workflow_def: dict[str, Any]
    task_defs: list[dict[str, Any]]
    graph: nx.MultiDiGraph
    sub_workflows: tuple[CompiledWorkflow, ...]
    source_map: Mapping[str, SourceLocation]
    warnings: tuple[Problem, ...] = ()
    task_functions: Mapping[str, Any] = attrs.field(factory=dict)
    """Task name -> the ``@task`` function's plain code (``fn``), for simulators and tests."""

    @property
    def name(self) -> str:
        """The workflow name."""
        return str(self.workflow_def["name"])

    @property
    def version(self) -> int:
        """The workflow version."""
        return int(self.workflow_def["version"])

    def to_json(self) -> str:
        """The WorkflowDef as deterministic JSON text."""
        return dumps(self.workflow_def)

    def all_workflows(self) -> Iterator[CompiledWorkflow]:
        """This workflow, then every workflow it starts (recursively), each once."""
        seen: set[tuple[str, int]] = set()
        stack: list[CompiledWorkflow] = [self]
        while stack:
            item = stack.pop(0)
            key = (item.name, item.version)
            if key in seen:
                continue
            seen.add(key)
            yield item
            stack.extend(item.sub_workflows)

    def all_task_functions(self) -> dict[str, Any]:
        """Task name -> plain function, for this workflow and every workflow it starts."""
        out: dict[str, Any] = {}
        for item in self.all_workflows():
            for name, fn in item.task_functions.items():
                out.setdefault(name, fn)
        return out

    def all_task_defs(self) -> list[dict[str, Any]]:
        """The TaskDefs of this workflow and every workflow it starts, each name once."""
        out: dict[str, dict[str, Any]] = {}
        for item in self.all_workflows():
            for td in item.task_defs:
                out.setdefault(td["name"], td)
        return list(out.values())


class _Session:
    """State of one compile_workflow call: compiled children by function, and the active stack."""

    def __init__(self) -> None:
        self.done: dict[int, CompiledWorkflow] = {}
        self.failed: dict[int, tuple[Problem, ...]] = {}
        self.stack: list[int] = []

    def compile(self, fn: WorkflowFunction[..., Any]) -> CompiledWorkflow:
        key = id(fn)
        if key in self.done:
            return self.done[key]
        if key in self.failed:
            raise WorkflowDefinitionError(self.failed[key], source=fn.name)
        self.stack.append(key)
        try:
            result = self._compile(fn)
        except WorkflowDefinitionError as err:
            self.failed[key] = err.problems
            raise
        finally:
            self.stack.pop()
        self.done[key] = result
        return result

    def _child(
        self, fn: WorkflowFunction[..., Any], where: SourceLocation, problems: list[Problem]
    ) -> CompiledWorkflow | None:
        if id(fn) in self.stack:
            return None  # a recursive reference: the child is the workflow being compiled
        try:
            return self.compile(fn)
        except WorkflowDefinitionError as err:
            problems.append(
                Problem(
                    f"sub-workflow '{fn.name}' does not compile",
                    code="bad-subworkflow",
                    location=where,
                    hint="See the problems listed for it below.",
                )
            )
            problems.extend(
                dataclasses.replace(p, message=f"in sub-workflow '{fn.name}': {p.message}")
                for p in err.problems
            )
            return None

    def _compile(self, fn: WorkflowFunction[..., Any]) -> CompiledWorkflow:
        ir = fn.trace()
        problems: list[Problem] = list(ir.problems)
        children: list[CompiledWorkflow] = []
        inline_task_defs: list[dict[str, Any]] = []
        functions: dict[str, Any] = {name: fn.fn for name, fn in ir.task_functions.items()}

        def inline(step: SubWorkflow) -> dict[str, Any] | None:
            if not isinstance(step.target, WorkflowFunction):
                return None
            child = self._child(step.target, step.location, problems)
            if child is None:
                return None
            children.extend(child.sub_workflows)
            # Embedded, but its workers still need TaskDefs (and simulators their code).
            inline_task_defs.extend(child.all_task_defs())
            for name, fn in child.all_task_functions().items():
                functions.setdefault(name, fn)
            return child.workflow_def

        emitter = ConductorEmitter(ir, inline)
        wf = emitter.workflow_def()
        for step, target in _started_workflows(ir.steps):
            child = self._child(target, step.location, problems)
            if child is not None:
                children.append(child)
        for target in (ir.spec.failure_workflow, *ir.started):
            if isinstance(target, WorkflowFunction):
                child = self._child(target, ir.spec.location, problems)
                if child is not None:
                    children.append(child)
        task_defs: list[dict[str, Any]] = []
        for index, task_fn in enumerate(ir.task_functions.values()):
            assert isinstance(task_fn, TaskFunction)
            schema = task_fn._output_schema()
            td = task_def_of(
                task_fn.spec, task_fn._params, list(schema) if schema else None, emitter
            )
            emitter.source_map[f"$taskDefs[{index}]"] = task_fn.spec.location
            task_defs.append(td)
        names = {td["name"] for td in task_defs}
        for td in inline_task_defs:
            if td["name"] not in names:
                names.add(td["name"])
                task_defs.append(td)
        problems.extend(emitter.problems)
        locate = locator(emitter.source_map)
        reads: dict[str, list[tuple[str, str]]] = {}
        problems.extend(validate_workflow_def(wf, locate=locate, reads=reads))
        problems.extend(validate_task_defs(task_defs, path="$taskDefs", locate=locate))
        all_names = {td["name"] for td in task_defs}
        for child in children:
            all_names.update(td["name"] for td in child.all_task_defs())
        problems.extend(_conflicting_task_names(ir.task_functions, ir.steps, all_names))
        problems = [p if p.workflow else dataclasses.replace(p, workflow=fn.name) for p in problems]
        if any(p.severity == "error" for p in problems):
            raise WorkflowDefinitionError(problems, source=f"workflow '{fn.name}'")
        graph = build_graph(wf, emitter.source_map, reads)
        return CompiledWorkflow(
            wf,
            task_defs,
            graph,
            tuple(children),
            emitter.source_map,
            tuple(p for p in problems if p.severity != "error"),
            functions,
        )


def _started_workflows(
    steps: tuple[Step, ...],
) -> Iterator[tuple[Step, WorkflowFunction[..., Any]]]:
    """Sub-workflows run by name (not inline) and forked workflows, in document order."""
    for step in steps:
        if (
            isinstance(step, SubWorkflow)
            and not step.inline
            and isinstance(step.target, WorkflowFunction)
        ):
            yield step, step.target
        elif isinstance(step, DynamicFork) and isinstance(step.child, WorkflowFunction):
            yield step, step.child
        elif isinstance(step, Fork):
            for branch in step.branches:
                yield from _started_workflows(branch)
        elif isinstance(step, Switch):
            for _, branch in step.cases:
                yield from _started_workflows(branch)
            yield from _started_workflows(step.default)
        elif isinstance(step, DoWhile):
            yield from _started_workflows(step.body)


def _conflicting_task_names(
    task_functions: Mapping[str, Any], steps: tuple[Step, ...], task_def_names: set[str]
) -> list[Problem]:
    """Two different @task functions registered under one Conductor task name, and
    SUB_WORKFLOW tasks named like a worker's TaskDef (which Conductor would apply to them)."""
    problems: list[Problem] = []
    seen: dict[str, Any] = {}
    subs: list[SubWorkflow] = []
    stack: deque[Step] = deque(steps)
    while stack:
        step = stack.popleft()
        if isinstance(step, SubWorkflow) and step.options.task_definition is None:
            subs.append(step)
        spec = getattr(step, "spec", None) or getattr(step, "task_spec", None)
        if spec is not None:
            other = seen.setdefault(spec.name, spec)
            if other is not spec and other != spec:
                problems.append(
                    Problem(
                        f"two different @task functions are named '{spec.name}' (the other is at {other.location}); "
                        f"Conductor would register only one TaskDef",
                        code="task-name-clash",
                        location=spec.location,
                        hint="Give one of them another name=.",
                    )
                )
        if isinstance(step, Fork):
            for branch in step.branches:
                stack.extend(branch)
        elif isinstance(step, Switch):
            for _, branch in step.cases:
                stack.extend(branch)
            stack.extend(step.default)
        elif isinstance(step, DoWhile):
            stack.extend(step.body)
    for step in subs:
        task_name = step.task_name or step.name
        if task_name in task_def_names:
            problems.append(
                Problem(
                    f"SUB_WORKFLOW '{step.ref}' is named '{task_name}', like the @task "
                    f"'{task_name}'; Conductor applies the TaskDef registered under a task's name, so "
                    f"this sub-workflow task would get that worker's retries and timeouts",
                    code="subworkflow-taskdef",
                    location=step.location,
                    severity="warning",
                    task=step.ref,
                    hint=f"Pass sub_workflow(..., name='{task_name}_subworkflow').",
                )
            )
    return problems


def compile_workflow(fn: WorkflowFunction[..., Any]) -> CompiledWorkflow:
    """Compile a ``@workflow`` function and everything it starts.

    Returns:
        The WorkflowDef, TaskDefs, networkx graph and compiled sub-workflows.

    Raises:
        WorkflowDefinitionError: listing every problem found, each with its ``file:line``.
        TypeError: ``fn`` is not a ``@workflow`` function.
    """
    if not isinstance(fn, WorkflowFunction):
        msg = (
            f"compile_workflow() takes a @workflow function, not {type(fn).__name__}; decorate the "
            f"function with @flowdsl.workflow"
        )
        raise TypeError(msg)
    with GcPaused():  # many small objects, all alive until the end
        return _Session().compile(fn)
