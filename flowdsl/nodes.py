"""The intermediate representation a traced workflow function produces.

Frozen value objects, one per kind of step, each carrying the user's source
location. They know nothing about Conductor JSON, graphs or diagrams: the
compiler visits them (``visit_<kind>``). Input values are kept as the user
wrote them (references, dicts, lists, literals); the compiler turns them into
JSON and reports values that are not JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from flowdsl.errors import Problem, SourceLocation
from flowdsl.spec import TaskSpec, WorkflowSpec

__all__ = [
    "CallOptions",
    "DoWhile",
    "DynamicFork",
    "Fork",
    "Step",
    "SubWorkflow",
    "Switch",
    "SystemTask",
    "TaskCall",
    "WorkflowIR",
]


@dataclass(frozen=True, slots=True)
class CallOptions:
    """Per-call WorkflowTask settings (``task.options(...)`` and system-task keywords)."""

    optional: bool | None = None
    permissive: bool | None = None
    start_delay: int | None = None
    retry_count: int | None = None
    description: str | None = None
    async_complete: bool | None = None
    task_definition: Mapping[str, object] | None = None


NO_OPTIONS = CallOptions()


@dataclass(frozen=True, slots=True)
class Step:
    """Base of every IR node: the taskReferenceName and where the user wrote the call."""

    kind: ClassVar[str] = "step"
    ref: str
    location: SourceLocation
    options: CallOptions


@dataclass(frozen=True, slots=True)
class TaskCall(Step):
    """A call of a ``@task`` function: a SIMPLE (worker) task."""

    kind: ClassVar[str] = "task_call"
    spec: TaskSpec
    inputs: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class SystemTask(Step):
    """A Conductor system task without children (HTTP, INLINE, WAIT, TERMINATE, ...).

    ``fields`` holds extra WorkflowTask fields in Conductor's spelling
    (``sink``, ``dynamicTaskNameParam``, ``joinOn`` ...).
    """

    kind: ClassVar[str] = "system_task"
    type: str
    name: str
    inputs: Mapping[str, Any]
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Fork(Step):
    """FORK_JOIN with its branches, followed by a JOIN on the branches' last steps."""

    kind: ClassVar[str] = "fork"
    branches: tuple[tuple[Step, ...], ...]
    join_ref: str
    join_on: tuple[str, ...]
    name: str | None = None  # the FORK_JOIN task's name (None: its reference name)
    join_name: str | None = None  # the JOIN task's name (None: its reference name)


@dataclass(frozen=True, slots=True)
class DynamicFork(Step):
    """FORK_JOIN_DYNAMIC followed by its JOIN: the forkTaskInputs style, or with ``tasks_param``
    and ``inputs_param`` set, the classic style (the inputs named there hold the WorkflowTasks to
    fork and their inputs by reference name)."""

    kind: ClassVar[str] = "dynamic_fork"
    inputs: Mapping[str, Any]
    join_ref: str
    task_spec: TaskSpec | None  # the forked @task (its TaskDef is emitted), else None
    child: Any = None  # a forked workflow function / WorkflowRef, when forking sub-workflows
    name: str | None = None  # the FORK_JOIN_DYNAMIC task's name (None: its reference name)
    join_name: str | None = None  # the JOIN task's name (None: its reference name)
    tasks_param: str | None = None  # classic style: dynamicForkTasksParam
    inputs_param: str | None = None  # classic style: dynamicForkTasksInputParamName


@dataclass(frozen=True, slots=True)
class Switch(Step):
    """SWITCH with its cases (in the order written) and default case."""

    kind: ClassVar[str] = "switch"
    evaluator: str
    expression: str
    inputs: Mapping[str, Any]
    cases: tuple[tuple[str, tuple[Step, ...]], ...]
    default: tuple[Step, ...]
    name: str | None = None  # the SWITCH task's name (None: its reference name)


@dataclass(frozen=True, slots=True)
class DoWhile(Step):
    """DO_WHILE: ``body`` repeats while ``condition`` (JavaScript) holds, or over ``items``."""

    kind: ClassVar[str] = "do_while"
    condition: str
    inputs: Mapping[str, Any]
    body: tuple[Step, ...]
    items: Any = None
    evaluator: str | None = None  # evaluatorType when one was given explicitly
    name: str | None = None  # the DO_WHILE task's name (None: its reference name)


@dataclass(frozen=True, slots=True)
class SubWorkflow(Step):
    """SUB_WORKFLOW: a child workflow by name and version, or inline."""

    kind: ClassVar[str] = "sub_workflow"
    name: str
    version: int | None
    inputs: Mapping[str, Any]
    target: Any  # the child workflow function, or a WorkflowRef for one defined elsewhere
    inline: bool = False
    task_to_domain: Mapping[str, str] | None = None
    task_name: str | None = None  # the WorkflowTask name; None: the child workflow's name


@dataclass(frozen=True, slots=True)
class WorkflowIR:
    """A traced workflow: its settings, steps, output template, inputs and trace problems."""

    spec: WorkflowSpec
    steps: tuple[Step, ...]
    outputs: Mapping[str, Any] | None
    params: tuple[str, ...]
    param_defaults: Mapping[str, Any]
    problems: tuple[Problem, ...]
    task_functions: Mapping[str, Any]
    """Every ``@task`` function used, by task name, in first-use order."""
    started: tuple[Any, ...] = ()
    """Workflow functions started with ``start_workflow``, in call order."""
