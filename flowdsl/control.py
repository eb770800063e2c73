"""Control flow: fork, dynamic_fork, dynamic_fork_tasks, switch, do_while, sub_workflow.

Each combinator takes zero-argument callables for its branches and traces
each into its own step list; Python control flow on task outputs is refused
(see :mod:`flowdsl.ref`), these are the run-time equivalents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flowdsl import _trace
from flowdsl.errors import Problem, SourceLocation, caller_location
from flowdsl.handle import Handle
from flowdsl.nodes import (
    NO_OPTIONS,
    CallOptions,
    DoWhile,
    DynamicFork,
    Fork,
    Step,
    SubWorkflow,
    Switch,
)
from flowdsl.ref import Ref
from flowdsl.spec import duration_seconds
from flowdsl.task import TaskFunction
from flowdsl.workflow import WorkflowFunction, WorkflowRef

__all__ = [
    "JsExpr",
    "LoopHandle",
    "SwitchHandle",
    "do_while",
    "dynamic_fork",
    "dynamic_fork_tasks",
    "fork",
    "js",
    "sub_workflow",
    "switch",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class JsExpr:
    """A JavaScript expression evaluated by Conductor with ``$`` bound to ``bindings``."""

    expression: str
    bindings: Mapping[str, Any] = field(default_factory=dict)
    evaluator: str | None = None
    """The ``evaluatorType`` to write (None: ``javascript``, which do_while leaves implicit)."""


def js(expression: str, *, evaluator: str | None = None, **bindings: Any) -> JsExpr:
    """A JavaScript expression for ``switch`` and ``do_while``; ``$.name`` reads a binding.

    Example: ``switch(js("$.score > 700 ? 'low' : 'high'", score=risk.output["score"]), {...})``.
    ``evaluator`` names another Conductor evaluator (``graaljs``, or ``value-param``, where the
    expression names the binding to switch on); imported definitions use it.
    """
    return JsExpr(expression, bindings, evaluator)


def last_ref(step: Step) -> str:
    """The reference that finishes last within ``step`` (a fork's JOIN, else the step itself)."""
    if isinstance(step, Fork | DynamicFork):
        return step.join_ref
    return step.ref


def _task_def(given: Mapping[str, Any] | None, where: SourceLocation) -> dict[str, object] | None:
    """``task_def=`` options (the @task option names) as an inline TaskDef's Conductor fields."""
    if given is None:
        return None
    from flowdsl.spec import TASK_DEF_OPTIONS, OptionError, coerce_options

    try:
        return coerce_options(given, TASK_DEF_OPTIONS, "task_def")
    except OptionError as err:
        raise OptionError(str(err), where) from None


def _options(**given: Any) -> CallOptions:
    if given.get("start_delay") is not None:
        given["start_delay"] = duration_seconds(given["start_delay"], "start_delay")
    if all(v is None for v in given.values()):
        return NO_OPTIONS
    return CallOptions(**given)


def _branch(
    tracer: _trace.Tracer, fn: object, what: str, where: SourceLocation
) -> tuple[tuple[Step, ...], Any]:
    if not callable(fn):
        tracer.report(
            Problem(
                f"{what} is {type(fn).__name__}, not a function",
                code="bad-branch",
                location=where,
                hint="Pass a zero-argument function, e.g. lambda: my_task(x).",
            )
        )
        return (), None
    steps, result = tracer.trace_branch(fn)
    return tuple(steps), result


def _result_or_last(result: Any, steps: tuple[Step, ...]) -> Any:
    """A branch's return value, or a handle on its last step when it returned nothing."""
    if result is None and steps:
        return Handle(last_ref(steps[-1]), "TASK")
    return result


def fork(
    *branches: Callable[[], T],
    ref: str | None = None,
    join_ref: str | None = None,
    name: str | None = None,
    join_name: str | None = None,
) -> tuple[T, ...]:
    """Run branches in parallel: FORK_JOIN, then a JOIN on each branch's last task.

    Returns each branch's return value; a branch returning None gives a handle
    on its last task. ``name`` / ``join_name`` set the tasks' names when they should
    differ from their reference names.
    """
    tracer = _trace.current("fork()")
    where = caller_location()
    fork_ref = tracer.new_ref("fork", ref, where)
    traced: list[tuple[Step, ...]] = []
    results: list[Any] = []
    for i, branch in enumerate(branches):
        steps, result = _branch(tracer, branch, f"branch {i + 1} of fork '{fork_ref}'", where)
        if not steps:
            tracer.report(
                Problem(
                    f"branch {i + 1} of fork '{fork_ref}' has no tasks",
                    code="empty-branch",
                    location=where,
                    hint="Every fork branch must call at least one task.",
                )
            )
        elif isinstance(steps[-1], Switch):
            tracer.report(
                Problem(
                    f"branch {i + 1} of fork '{fork_ref}' ends with switch '{steps[-1].ref}'; the JOIN "
                    f"waits for the SWITCH task, which completes before its case's tasks do",
                    code="join-on-switch",
                    location=where,
                    severity="warning",
                    hint="End the branch with a task after the switch, e.g. noop().",
                )
            )
        if result is None and steps:
            result = Handle(last_ref(steps[-1]), "TASK")
        traced.append(steps)
        results.append(result)
    if not branches:
        tracer.report(
            Problem("fork() needs at least one branch", code="empty-fork", location=where)
        )
    join = tracer.new_ref(f"{fork_ref}_join", join_ref, where)
    join_on = tuple(last_ref(s[-1]) for s in traced if s)
    tracer.add(Fork(fork_ref, where, NO_OPTIONS, tuple(traced), join, join_on, name, join_name))
    return tuple(results)


def dynamic_fork(
    task_fn: TaskFunction[..., Any] | WorkflowFunction[..., Any] | WorkflowRef,
    inputs: Any,
    *,
    ref: str | None = None,
    join_ref: str | None = None,
    optional: bool | None = None,
    name: str | None = None,
    join_name: str | None = None,
) -> Handle[dict[str, Any]]:
    """Run ``task_fn`` once per element of ``inputs`` (a run-time list of input dicts).

    Emits FORK_JOIN_DYNAMIC (forkTaskInputs style) and its JOIN; returns a
    handle on the JOIN, whose output maps each forked task's ref to its output.
    ``task_fn`` may also be a workflow (each element then starts a sub-workflow).
    """
    tracer = _trace.current("dynamic_fork()")
    where = caller_location()
    params: dict[str, Any] = {}
    spec = None
    if isinstance(task_fn, TaskFunction):
        spec = task_fn.spec
        tracer.task_functions.setdefault(task_fn.name, task_fn)
        params["forkTaskName"] = task_fn.name
        base = f"{task_fn.name}_fork"
    elif isinstance(task_fn, WorkflowFunction | WorkflowRef):
        params["forkTaskWorkflow"] = task_fn.name
        if task_fn.version is not None:
            params["forkTaskWorkflowVersion"] = str(task_fn.version)
        base = f"{task_fn.name}_fork"
    else:
        tracer.report(
            Problem(
                f"dynamic_fork() takes a @task or workflow, not {type(task_fn).__name__}",
                code="bad-call",
                location=where,
            )
        )
        base = "dynamic_fork"
    if isinstance(inputs, list | tuple | Ref):
        params["forkTaskInputs"] = list(inputs) if isinstance(inputs, tuple) else inputs
    else:
        tracer.report(
            Problem(
                f"dynamic_fork() inputs must be a list of input dicts or a reference to one, not "
                f"{type(inputs).__name__}",
                code="bad-call",
                location=where,
                hint="Pass e.g. formats.output['inputs'] where that task returns a list of dicts.",
            )
        )
    names = (base, ref, join_ref, name, join_name)
    child = task_fn if spec is None else None
    return _add_dynamic_fork(tracer, where, names, optional, params, task_spec=spec, child=child)


def dynamic_fork_tasks(
    tasks: Any,
    inputs: Any,
    *,
    ref: str | None = None,
    join_ref: str | None = None,
    optional: bool | None = None,
    name: str | None = None,
    join_name: str | None = None,
    tasks_param: str = "dynamicTasks",
    inputs_param: str = "dynamicTasksInput",
    task_fns: Iterable[TaskFunction[..., Any]] = (),
) -> Handle[dict[str, Any]]:
    """Fork the WorkflowTasks a task computed at run time: Conductor's classic dynamic fork.

    ``tasks`` is a reference to a list of WorkflowTask objects (``{"name", "taskReferenceName",
    "type", ...}``) and ``inputs`` a reference to a map from each one's reference name to its
    input. Emits FORK_JOIN_DYNAMIC with ``dynamicForkTasksParam`` and
    ``dynamicForkTasksInputParamName`` (naming the inputs ``tasks_param`` and ``inputs_param``)
    and its JOIN; returns a handle on the JOIN, whose output maps each forked task's ref to its
    output. ``task_fns`` names the ``@task`` functions the computed tasks may run: their TaskDefs
    are emitted with the workflow and the simulator calls them as workers. When one task type is
    forked over a list of inputs, ``dynamic_fork`` says it more simply.
    """
    tracer = _trace.current("dynamic_fork_tasks()")
    where = caller_location()
    for fn in task_fns:
        if isinstance(fn, TaskFunction):
            tracer.task_functions.setdefault(fn.name, fn)
        else:
            tracer.report(
                Problem(
                    f"dynamic_fork_tasks() task_fns takes @task functions, not {type(fn).__name__}",
                    code="bad-call",
                    location=where,
                )
            )
    for what, value, shape in (
        ("tasks", tasks, "a list of WorkflowTask dicts"),
        ("inputs", inputs, "a map from reference name to input dict"),
    ):
        literal = list | tuple if what == "tasks" else dict
        if not isinstance(value, Ref | literal):
            tracer.report(
                Problem(
                    f"dynamic_fork_tasks() {what} must be {shape} or a reference to one, not "
                    f"{type(value).__name__}",
                    code="bad-call",
                    location=where,
                    hint="Pass a task's output, e.g. plan.output['dynamicTasks'].",
                )
            )
    for what, param in (("tasks_param", tasks_param), ("inputs_param", inputs_param)):
        if not isinstance(param, str) or not param:
            tracer.report(
                Problem(
                    f"dynamic_fork_tasks() {what} must be a non-empty input name, not {param!r}",
                    code="bad-call",
                    location=where,
                )
            )
    if tasks_param == inputs_param:
        tracer.report(
            Problem(
                f"dynamic_fork_tasks() tasks_param and inputs_param are both {tasks_param!r}",
                code="bad-call",
                location=where,
                hint="The tasks and their inputs need two different input names.",
            )
        )
    params = {
        str(tasks_param): list(tasks) if isinstance(tasks, tuple) else tasks,
        str(inputs_param): inputs,
    }
    names = ("dynamic_fork", ref, join_ref, name, join_name)
    return _add_dynamic_fork(
        tracer,
        where,
        names,
        optional,
        params,
        tasks_param=str(tasks_param),
        inputs_param=str(inputs_param),
    )


def _add_dynamic_fork(
    tracer: _trace.Tracer,
    where: SourceLocation,
    names: tuple[str, str | None, str | None, str | None, str | None],
    optional: bool | None,
    params: dict[str, Any],
    **fields: Any,
) -> Handle[dict[str, Any]]:
    """Add a DynamicFork step (``names``: base, ref, join_ref, name, join_name) to the trace."""
    base, ref, join_ref, name, join_name = names
    fork_ref = tracer.new_ref(base, ref, where)
    join = tracer.new_ref(f"{fork_ref}_join", join_ref, where)
    options = _options(optional=optional)
    fields.setdefault("task_spec", None)
    tracer.add(
        DynamicFork(
            fork_ref, where, options, params, join, name=name, join_name=join_name, **fields
        )
    )
    return Handle(join, "JOIN")


def _case_key(key: object) -> str:
    # Conductor matches the evaluation result as a string ("" + result in Java).
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    return str(key)


def switch(
    value: Any,
    cases: Mapping[Any, Callable[[], Any]],
    default: Callable[[], Any] | None = None,
    *,
    ref: str | None = None,
    name: str | None = None,
    description: str | None = None,
    param: str = "switchCaseValue",
) -> SwitchHandle:
    """SWITCH on ``value``: run the branch whose key equals it, else ``default``.

    ``value`` is a reference or literal (value-param evaluator) or ``js(...)``
    (javascript evaluator). Keys are matched as strings, as Conductor does:
    ``True`` matches ``"true"``, ``2`` matches ``"2"``. ``name`` sets the task's name when it
    should differ from its reference name; ``description`` is the task's description;
    ``param`` is the input that carries ``value`` (Conductor's ``expression`` of a value-param
    SWITCH).
    """
    tracer = _trace.current("switch()")
    where = caller_location()
    switch_ref = tracer.new_ref("switch", ref, where)
    if isinstance(value, JsExpr):
        evaluator = value.evaluator or "javascript"
        expression, inputs = value.expression, dict(value.bindings)
    else:
        evaluator, expression, inputs = "value-param", param, {param: value}
    results: dict[str, Any] = {}
    default_result: Any = None
    traced: list[tuple[str, tuple[Step, ...]]] = []
    seen: set[str] = set()
    if not isinstance(cases, Mapping):
        tracer.report(
            Problem(
                "switch() cases must be a dict of case value -> branch function",
                code="bad-call",
                location=where,
            )
        )
        cases = {}
    for key, branch in cases.items():
        case = _case_key(key)
        if case in seen:
            tracer.report(
                Problem(
                    f"switch '{switch_ref}' has case '{case}' twice",
                    code="duplicate-case",
                    location=where,
                )
            )
        seen.add(case)
        steps, result = _branch(tracer, branch, f"case '{case}' of switch '{switch_ref}'", where)
        traced.append((case, steps))
        results[case] = _result_or_last(result, steps)
    default_steps: tuple[Step, ...] = ()
    if default is not None:
        default_steps, default_result = _branch(
            tracer, default, f"default of switch '{switch_ref}'", where
        )
        default_result = _result_or_last(default_result, default_steps)
    tracer.add(
        Switch(
            switch_ref,
            where,
            _options(description=description),
            evaluator,
            expression,
            inputs,
            tuple(traced),
            default_steps,
            name,
        )
    )
    return SwitchHandle(switch_ref, results, default_result)


class SwitchHandle(Handle[dict[str, Any]]):
    """The SWITCH: ``output`` is its own output (``selectedCase``); ``branches`` maps each case
    value to what its branch function returned (``default`` for the default branch)."""

    __slots__ = ("branches", "default")

    def __init__(self, ref: str, branches: dict[str, Any], default: Any) -> None:
        super().__init__(ref, "SWITCH")
        self.branches = branches
        self.default = default


class LoopHandle(Handle[dict[str, Any]]):
    """The DO_WHILE: passed to a one-argument loop body, and returned by ``do_while``.

    ``body`` is what the body function returned (a handle on its last task when it returned
    nothing); after the loop its references read the latest iteration.
    """

    __slots__ = ("body",)

    def __init__(self, ref: str) -> None:
        super().__init__(ref, "DO_WHILE")
        self.body: Any = None

    @property
    def iteration(self) -> Any:
        """``${loop.output.iteration}``: the current iteration, from 1."""
        return Ref(f"{self.ref}.output.iteration", self.ref)

    @property
    def item(self) -> Any:
        """``${loop.output.loopItem}``: the current element in ``items`` mode."""
        return Ref(f"{self.ref}.output.loopItem", self.ref)

    @property
    def index(self) -> Any:
        """``${loop.output.loopIndex}``: the current 0-based index in ``items`` mode."""
        return Ref(f"{self.ref}.output.loopIndex", self.ref)


def do_while(
    body: Callable[..., Any],
    condition: str | JsExpr | None = None,
    *,
    items: Any = None,
    max_iterations: int | None = None,
    keep_last_n: int | None = None,
    ref: str | None = None,
    name: str | None = None,
    optional: bool | None = None,
) -> LoopHandle:
    """DO_WHILE: run ``body`` then repeat while ``condition`` (JavaScript) is true.

    In the condition, ``$.<loop ref>['iteration']`` is the iteration just
    finished and ``$.<task ref>`` a body task's output; ``js(cond, x=ref)``
    binds more values. ``items`` iterates over a list (the body sees
    ``loop.item`` when it takes one argument); ``max_iterations`` adds an
    iteration cap. The body always runs at least once, except over an empty
    ``items`` list. ``name`` sets the task's name when it should differ from its reference name.
    """
    tracer = _trace.current("do_while()")
    where = caller_location()
    loop_ref = tracer.new_ref("loop", ref, where)
    handle = LoopHandle(loop_ref)
    inputs: dict[str, Any] = {}
    evaluator: str | None = None
    if isinstance(condition, JsExpr):
        inputs.update(condition.bindings)
        cond: str | None = condition.expression
        evaluator = condition.evaluator
    else:
        cond = condition
    if max_iterations is not None:
        cap = f"$.{loop_ref}['iteration'] < {int(max_iterations)}"
        cond = cap if cond is None else f"({cond}) && {cap}"
    if cond is None:
        if items is None:
            tracer.report(
                Problem(
                    f"do_while '{loop_ref}' has no condition, items or max_iterations, so it would never stop",
                    code="bad-loop",
                    location=where,
                    hint=f"Pass condition=\"$.{loop_ref}['iteration'] < 5\", items=..., or max_iterations=.",
                )
            )
        cond = "true"
    if keep_last_n is not None:
        inputs["keepLastN"] = keep_last_n
    wants_handle = callable(body) and _arity(body) >= 1
    fn: object = (lambda: body(handle)) if wants_handle else body
    steps, result = _branch(tracer, fn, f"body of do_while '{loop_ref}'", where)
    handle.body = _result_or_last(result, steps)
    if not steps:
        tracer.report(
            Problem(
                f"do_while '{loop_ref}' has an empty body",
                code="empty-loop",
                location=where,
                hint="The body must call at least one task.",
            )
        )
    tracer.add(
        DoWhile(
            loop_ref,
            where,
            _options(optional=optional),
            cond,
            inputs,
            steps,
            items,
            evaluator,
            name,
        )
    )
    return handle


def _arity(fn: Callable[..., Any]) -> int:
    import inspect

    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return 0
    return sum(
        1
        for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    )


def sub_workflow(
    target: WorkflowFunction[..., Any] | WorkflowRef,
    *,
    ref: str | None = None,
    version: int | None = None,
    inline: bool = False,
    optional: bool | None = None,
    retry_count: int | None = None,
    start_delay: int | Any = None,
    task_to_domain: Mapping[str, str] | None = None,
    name: str | None = None,
    task_def: Mapping[str, Any] | None = None,
    _inputs: Mapping[str, Any] | None = None,
    **inputs: Any,
) -> Handle[dict[str, Any]]:
    """SUB_WORKFLOW running ``target`` with ``inputs``; returns a handle on the task.

    ``target`` is a ``@workflow`` function (compiled with the parent) or
    :func:`external_workflow` for one defined elsewhere. ``inline=True`` embeds
    the child definition. Inputs named like an option go through ``_inputs``.
    ``name`` is the WorkflowTask name (default: the child workflow's name); Conductor
    applies the TaskDef registered under that name, so ``task_def=dict(...)`` (an inline
    TaskDef) is the way to give the task retries or a timeout.
    """
    tracer = _trace.current("sub_workflow()")
    where = caller_location()
    ver: int | None
    task_name = name
    all_inputs = {**(_inputs or {}), **inputs}
    if isinstance(target, WorkflowFunction):
        child, ver = target.name, version if version is not None else target.version
        import difflib

        unknown = [k for k in all_inputs if k not in target.params]
        for key in unknown:
            close = difflib.get_close_matches(key, list(target.params), n=1)
            tracer.report(
                Problem(
                    f"workflow '{child}' has no input '{key}'",
                    code="bad-call",
                    location=where,
                    hint=f"Did you mean '{close[0]}'?"
                    if close
                    else f"Inputs: {', '.join(target.params)}.",
                )
            )
        missing = [
            p for p in target.params if p not in all_inputs and p not in target.param_defaults
        ]
        if missing:
            tracer.report(
                Problem(
                    f"sub-workflow '{child}' is missing input{'s' if len(missing) > 1 else ''} "
                    f"{', '.join(repr(m) for m in missing)}",
                    code="bad-call",
                    location=where,
                )
            )
    elif isinstance(target, WorkflowRef):
        child, ver = target.name, version if version is not None else target.version
        if inline:
            tracer.report(
                Problem(
                    f"sub_workflow(inline=True) needs a @workflow function; '{child}' "
                    f"is only known by name",
                    code="bad-call",
                    location=where,
                )
            )
            inline = False
    else:
        tracer.report(
            Problem(
                f"sub_workflow() takes a @workflow function or external_workflow(name, version), not "
                f"{type(target).__name__}",
                code="bad-call",
                location=where,
            )
        )
        child, ver = "invalid", version
    sub_ref = tracer.new_ref(child, ref, where)
    options = _options(
        optional=optional,
        retry_count=retry_count,
        start_delay=start_delay,
        task_definition=_task_def(task_def, where),
    )
    tracer.add(
        SubWorkflow(
            sub_ref,
            where,
            options,
            child,
            ver,
            all_inputs,
            target,
            inline,
            task_to_domain,
            task_name,
        )
    )
    return Handle(sub_ref, "SUB_WORKFLOW")
