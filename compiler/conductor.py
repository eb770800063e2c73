"""IR -> Conductor JSON: a visitor with one ``visit_<kind>`` per IR node kind.

It emits plain dicts in a fixed key order (so the JSON text is the same bytes
every time), a *source map* from JSON path to the user's ``file:line``, and
the problems it meets while turning Python values into JSON.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from compiler.expressions import key_path
from flowdsl.control import JsExpr
from flowdsl.errors import Problem, SourceLocation
from flowdsl.handle import Handle
from flowdsl.nodes import (
    DoWhile,
    DynamicFork,
    Fork,
    Step,
    SubWorkflow,
    Switch,
    SystemTask,
    TaskCall,
    WorkflowIR,
)
from flowdsl.ref import Ref, expression_of
from flowdsl.spec import TaskSpec
from flowdsl.workflow import WorkflowFunction, WorkflowRef

__all__ = ["TASK_DEF_DEFAULTS", "ConductorEmitter", "UnsupportedNodeError", "task_def_of"]

JSON = Any
InlineResolver = Callable[[SubWorkflow], "dict[str, Any] | None"]

_TASK_DEF_ORDER = (
    "name",
    "description",
    "retryCount",
    "retryLogic",
    "retryDelaySeconds",
    "backoffScaleFactor",
    "maxRetryDelaySeconds",
    "backoffJitterMs",
    "timeoutSeconds",
    "timeoutPolicy",
    "responseTimeoutSeconds",
    "pollTimeoutSeconds",
    "totalTimeoutSeconds",
    "rateLimitPerFrequency",
    "rateLimitFrequencyInSeconds",
    "concurrentExecLimit",
    "inputKeys",
    "outputKeys",
    "inputTemplate",
    "ownerEmail",
)
# WorkflowDef fields written only when given (Orkes schema enforcement and rate limits).
_EXTRA_WORKFLOW_FIELDS = (
    "enforceSchema",
    "inputSchema",
    "outputSchema",
    "maskedFields",
    "rateLimitConfig",
)
# Conductor's defaults, written out explicitly so the registered TaskDef says what the server will do.
TASK_DEF_DEFAULTS = {
    "retryCount": 3,
    "retryLogic": "FIXED",
    "retryDelaySeconds": 60,
    "timeoutSeconds": 0,
    "timeoutPolicy": "TIME_OUT_WF",
    "responseTimeoutSeconds": 3600,
    "rateLimitPerFrequency": 0,
    "rateLimitFrequencyInSeconds": 1,
}


class UnsupportedNodeError(TypeError):
    """The emitter met an IR node kind it has no ``visit_<kind>`` for."""


def _json_hint(value: object) -> str:
    name = type(value).__name__
    if name in ("datetime", "date", "time"):
        return "Pass value.isoformat() (a string), or another task's output."
    if name == "timedelta":
        return "Pass int(value.total_seconds()), or another task's output."
    if isinstance(value, set | frozenset):
        return "Pass sorted(value) (a list)."
    if isinstance(value, bytes):
        return "Pass value.decode() or a base64 string."
    return "Pass a JSON value (str, int, float, bool, None, list or dict) or another task's output."


class ConductorEmitter:
    """Turns one traced workflow into a WorkflowDef dict, collecting problems and a source map."""

    def __init__(self, ir: WorkflowIR, inline_resolver: InlineResolver | None = None) -> None:
        self.ir = ir
        self.problems: list[Problem] = []
        self.source_map: dict[str, SourceLocation] = {}
        self._inline = inline_resolver
        self._visitors = {
            kind: getattr(self, f"visit_{kind}")
            for kind in (
                "task_call",
                "system_task",
                "fork",
                "dynamic_fork",
                "switch",
                "do_while",
                "sub_workflow",
            )
        }

    # -- values ------------------------------------------------------------------
    def value(self, value: object, where: str, location: SourceLocation) -> JSON:
        """``value`` as JSON: references become ``${...}``; non-JSON values are problems."""
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            return value
        if kind is Ref:
            return expression_of(value)  # type: ignore[arg-type]
        if kind is float:
            if not math.isfinite(value):  # type: ignore[arg-type]
                self._bad(value, where, location, "is not a finite number")
            return value
        if kind is list:  # exact types first: an ABC isinstance check is slow on first use
            items = cast("list[Any]", value)
            return [self.value(sub, f"{where}[{i}]", location) for i, sub in enumerate(items)]
        if kind is dict or isinstance(value, Mapping):
            out: dict[str, JSON] = {}
            for key, sub in cast("Mapping[Any, Any]", value).items():
                if not isinstance(key, str):
                    self._bad(
                        key,
                        where,
                        location,
                        f"has a {type(key).__name__} key {key!r}; JSON keys are strings",
                    )
                    key = str(key)
                out[key] = self.value(sub, f"{where}.{key}", location)
            return out
        if isinstance(value, list | tuple):
            return [self.value(sub, f"{where}[{i}]", location) for i, sub in enumerate(value)]
        if isinstance(value, enum.Enum):
            return self.value(value.value, where, location)
        if isinstance(value, str | int):  # str/int subclasses
            return str(value) if isinstance(value, str) else int(value)
        if isinstance(value, float):
            return float(value)
        if isinstance(value, Handle):
            return "${" + value.ref + ".output}"
        if isinstance(value, JsExpr):
            self.problems.append(
                Problem(
                    f"{where} is a js(...) expression; js() is only understood by switch() and do_while()",
                    code="not-json",
                    location=location,
                    hint="Use flowdsl.inline(expression, **bindings) to compute a value with JavaScript.",
                )
            )
            return value.expression
        self._bad(
            value, where, location, f"is a {type(value).__module__}.{type(value).__qualname__}"
        )
        return None

    def _bad(self, value: object, where: str, location: SourceLocation, what: str) -> None:
        self.problems.append(
            Problem(
                f"{where} {what}; Conductor inputs must be JSON values",
                code="not-json",
                location=location,
                hint=_json_hint(value),
            )
        )

    def inputs(self, step: Step, inputs: Mapping[str, Any]) -> dict[str, JSON]:
        if not inputs:
            return {}
        out: dict[str, JSON] = {}
        for key, val in inputs.items():
            kind = type(val)
            if kind is str or kind is int or kind is bool or val is None:
                out[key] = val  # the usual inputs: no description string needed
            elif kind is Ref:
                out[key] = expression_of(val)
            else:
                out[key] = self.value(val, f"input of '{step.ref}' '{key}'", step.location)
        return out

    # -- steps ---------------------------------------------------------------------
    def steps(self, steps: Sequence[Step], path: str) -> list[dict[str, JSON]]:
        out: list[dict[str, JSON]] = []
        for step in steps:
            visit = self._visitors.get(step.kind) or getattr(self, f"visit_{step.kind}", None)
            if visit is None:
                msg = f"ConductorEmitter cannot emit IR node kind {step.kind!r} ({type(step).__name__})"
                raise UnsupportedNodeError(msg)
            for task in visit(step, path, len(out)):
                self.source_map[f"{path}[{len(out)}]"] = step.location
                out.append(task)
        return out

    def _common(self, task: dict[str, JSON], step: Step) -> dict[str, JSON]:
        options = step.options
        if options.description:
            task["description"] = options.description
        if options.optional is not None:
            task["optional"] = options.optional
        if options.permissive is not None:
            task["permissive"] = options.permissive
        if options.start_delay:
            task["startDelay"] = options.start_delay
        if options.retry_count is not None:
            task["retryCount"] = options.retry_count
        if options.async_complete is not None:
            task["asyncComplete"] = options.async_complete
        if options.task_definition is not None:
            spec = TaskSpec(str(task["name"]), options.task_definition, step.location)
            inline_def = task_def_of(spec, (), None, self, system=task["type"] != "SIMPLE")
            if "inputKeys" not in options.task_definition:
                del inline_def["inputKeys"]
            task["taskDefinition"] = inline_def
        return task

    def visit_task_call(self, step: TaskCall, path: str, index: int) -> list[dict[str, JSON]]:
        task = {
            "name": step.spec.name,
            "taskReferenceName": step.ref,
            "type": "SIMPLE",
            "inputParameters": self.inputs(step, step.inputs),
        }
        return [self._common(task, step)]

    def visit_system_task(self, step: SystemTask, path: str, index: int) -> list[dict[str, JSON]]:
        task: dict[str, JSON] = {
            "name": step.name,
            "taskReferenceName": step.ref,
            "type": step.type,
            "inputParameters": self.inputs(step, step.inputs),
        }
        for key, val in step.fields.items():
            task[key] = self.value(val, f"field '{key}' of '{step.ref}'", step.location)
        return [self._common(task, step)]

    def _join(self, ref: str, join_on: Sequence[str], name: str | None) -> dict[str, JSON]:
        return {
            "name": name or ref,
            "taskReferenceName": ref,
            "type": "JOIN",
            "inputParameters": {},
            "joinOn": list(join_on),
        }

    def visit_fork(self, step: Fork, path: str, index: int) -> list[dict[str, JSON]]:
        here = f"{path}[{index}]"
        branches = [
            self.steps(branch, f"{here}.forkTasks[{i}]") for i, branch in enumerate(step.branches)
        ]
        fork = {
            "name": step.name or step.ref,
            "taskReferenceName": step.ref,
            "type": "FORK_JOIN",
            "inputParameters": {},
            "forkTasks": branches,
        }
        join = self._join(step.join_ref, step.join_on, step.join_name)
        return [self._common(fork, step), join]

    def visit_dynamic_fork(self, step: DynamicFork, path: str, index: int) -> list[dict[str, JSON]]:
        fork: dict[str, JSON] = {
            "name": step.name or step.ref,
            "taskReferenceName": step.ref,
            "type": "FORK_JOIN_DYNAMIC",
            "inputParameters": self.inputs(step, step.inputs),
        }
        if step.tasks_param is not None:
            fork["dynamicForkTasksParam"] = step.tasks_param
            fork["dynamicForkTasksInputParamName"] = step.inputs_param
        return [self._common(fork, step), self._join(step.join_ref, (), step.join_name)]

    def visit_switch(self, step: Switch, path: str, index: int) -> list[dict[str, JSON]]:
        here = f"{path}[{index}]"
        cases = {
            key: self.steps(branch, key_path(f"{here}.decisionCases", key))
            for key, branch in step.cases
        }
        task = {
            "name": step.name or step.ref,
            "taskReferenceName": step.ref,
            "type": "SWITCH",
            "inputParameters": self.inputs(step, step.inputs),
            "evaluatorType": step.evaluator,
            "expression": step.expression,
            "decisionCases": cases,
            "defaultCase": self.steps(step.default, f"{here}.defaultCase"),
        }
        return [self._common(task, step)]

    def visit_do_while(self, step: DoWhile, path: str, index: int) -> list[dict[str, JSON]]:
        here = f"{path}[{index}]"
        task: dict[str, JSON] = {
            "name": step.name or step.ref,
            "taskReferenceName": step.ref,
            "type": "DO_WHILE",
            "inputParameters": self.inputs(step, step.inputs),
            "loopCondition": step.condition,
            "loopOver": self.steps(step.body, f"{here}.loopOver"),
        }
        if step.evaluator is not None:
            task["evaluatorType"] = step.evaluator
        if isinstance(step.items, list | tuple):
            # Conductor's `items` is an expression; a literal list goes in the `_items` input.
            inputs = task["inputParameters"]
            assert isinstance(inputs, dict)
            inputs["_items"] = self.value(list(step.items), f"items of '{step.ref}'", step.location)
        elif step.items is not None:
            task["items"] = self.value(step.items, f"items of '{step.ref}'", step.location)
        return [self._common(task, step)]

    def visit_sub_workflow(self, step: SubWorkflow, path: str, index: int) -> list[dict[str, JSON]]:
        param: dict[str, JSON] = {"name": step.name}
        if step.version is not None:
            param["version"] = step.version
        if step.task_to_domain:
            param["taskToDomain"] = dict(step.task_to_domain)
        if step.inline and self._inline is not None:
            child = self._inline(step)
            if child is not None:
                param["workflowDefinition"] = child
        task = {
            "name": step.task_name or step.name,
            "taskReferenceName": step.ref,
            "type": "SUB_WORKFLOW",
            "inputParameters": self.inputs(step, step.inputs),
            "subWorkflowParam": param,
        }
        return [self._common(task, step)]

    # -- the workflow --------------------------------------------------------------
    def workflow_def(self) -> dict[str, JSON]:
        """The WorkflowDef dict, in Conductor's field order."""
        ir = self.ir
        spec = ir.spec
        opts = spec.options
        where = spec.location
        self.source_map["$"] = where
        wf: dict[str, JSON] = {"name": spec.name}
        if "description" in opts:
            wf["description"] = opts["description"]
        wf["version"] = spec.version
        wf["tasks"] = self.steps(ir.steps, "$.tasks")
        wf["inputParameters"] = list(ir.params)
        wf["outputParameters"] = self.value(ir.outputs or {}, "workflow output", where)
        failure = spec.failure_workflow
        if failure is not None:
            if isinstance(failure, WorkflowFunction | WorkflowRef):
                wf["failureWorkflow"] = failure.name
                if isinstance(failure, WorkflowRef) and failure.version is not None:
                    wf["failureWorkflowVersion"] = failure.version
            elif isinstance(failure, str):
                wf["failureWorkflow"] = failure
            else:
                self.problems.append(
                    Problem(
                        f"failure_workflow={failure!r} is neither a workflow function, external_workflow(...) "
                        f"nor a name",
                        code="bad-option",
                        location=where,
                    )
                )
        if "failureWorkflowVersion" in opts:
            wf["failureWorkflowVersion"] = opts["failureWorkflowVersion"]
        wf["schemaVersion"] = 2
        wf["restartable"] = opts.get("restartable", True)
        wf["workflowStatusListenerEnabled"] = opts.get("workflowStatusListenerEnabled", False)
        if "ownerEmail" in opts:
            wf["ownerEmail"] = opts["ownerEmail"]
        timeout = opts.get("timeoutSeconds", 0)
        # A timeout that only raises an alert is rarely what a timeout_seconds= means; Conductor's
        # own default policy is ALERT_ONLY, so flowdsl writes the policy out explicitly.
        wf["timeoutPolicy"] = opts.get("timeoutPolicy") or (
            "TIME_OUT_WF" if timeout else "ALERT_ONLY"
        )
        wf["timeoutSeconds"] = timeout
        if opts.get("variables"):
            wf["variables"] = self.value(opts["variables"], "variables", where)
        explicit = opts.get("inputTemplate")
        template = {
            **ir.param_defaults,
            **(explicit if explicit is not None and isinstance(explicit, Mapping) else {}),
        }
        if template:
            wf["inputTemplate"] = self.value(template, "input_template", where)
        if opts.get("metadata"):
            wf["metadata"] = self.value(opts["metadata"], "metadata", where)
        for key in _EXTRA_WORKFLOW_FIELDS:
            if key in opts:
                wf[key] = self.value(opts[key], key, where)
        return wf


def task_def_of(
    spec: TaskSpec,
    input_keys: Sequence[str],
    output_keys: Sequence[str] | None,
    emitter: ConductorEmitter,
    system: bool = False,
) -> dict[str, JSON]:
    """The TaskDef of a ``@task``: Conductor's defaults written out, then the user's options.

    ``system`` is for an inline TaskDef of a system task: its unset fields take the values of
    the ad-hoc TaskDef Conductor gives system tasks (no retries, no response timeout), not the
    worker-task defaults a bare TaskDef object would get.
    """
    merged: dict[str, Any] = dict(TASK_DEF_DEFAULTS)
    if system:
        merged.update(retryCount=0, responseTimeoutSeconds=0)
    merged["inputKeys"] = list(input_keys)
    if output_keys is not None:
        merged["outputKeys"] = list(output_keys)
    merged.update(spec.options)
    merged["name"] = spec.name
    ordered = {k: merged[k] for k in _TASK_DEF_ORDER if k in merged}
    ordered.update({k: v for k, v in merged.items() if k not in ordered})
    return {
        k: emitter.value(v, f"TaskDef '{spec.name}' {k}", spec.location) for k, v in ordered.items()
    }
