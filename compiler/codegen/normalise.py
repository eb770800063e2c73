"""The normal form of a WorkflowDef that the import round trip compares.

Two definitions that Conductor treats the same can be spelled differently: a field left out or
written with its default value, keys in another order, server bookkeeping (``createTime`` ...).
:func:`normalise_workflow_def` maps every spelling to one form, so that ``JSON -> Python ->
compile -> JSON`` can be checked with ``==``. :func:`upgrade_legacy` is the part of it that the
code generator applies before generating (schemaVersion 1 inputs, a missing task ``type``).
docs/corpus-roundtrip.md lists every rule.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

__all__ = [
    "SERVER_FIELDS",
    "TASK_DEFAULTS",
    "WORKFLOW_DEFAULTS",
    "normalise_workflow_def",
    "upgrade_legacy",
]

#: WorkflowDef fields the server fills in; they describe a stored copy, not the workflow.
SERVER_FIELDS = ("createTime", "updateTime", "createdBy", "updatedBy", "ownerApp", "accessPolicy")

#: TaskDef fields and the value a TaskDef without them has (conductor-semantics.md §1.4): an
#: inline TaskDef is compared without them.
_TASK_DEF_DEFAULTS: dict[str, Any] = {
    "retryCount": 3,
    "retryLogic": "FIXED",
    "retryDelaySeconds": 60,
    "backoffScaleFactor": 1,
    "maxRetryDelaySeconds": 0,
    "backoffJitterMs": 0,
    "timeoutSeconds": 0,
    "responseTimeoutSeconds": 3600,
    "totalTimeoutSeconds": 0,
    "timeoutPolicy": "TIME_OUT_WF",
    "rateLimitPerFrequency": 0,
    "rateLimitFrequencyInSeconds": 1,
    "inputKeys": [],
    "outputKeys": [],
    "inputTemplate": {},
    "runtimeMetadata": [],
}

#: WorkflowDef fields and the value Conductor uses when the field is missing.
WORKFLOW_DEFAULTS: dict[str, Any] = {
    "inputParameters": [],
    "outputParameters": {},
    "schemaVersion": 2,
    "restartable": True,
    "workflowStatusListenerEnabled": False,
    "timeoutSeconds": 0,
    "timeoutPolicy": "ALERT_ONLY",
}

#: WorkflowDef fields dropped when they hold an empty (or null) value.
_WORKFLOW_DROP_EMPTY = (
    "description",
    "ownerEmail",
    "variables",
    "inputTemplate",
    "metadata",
    "maskedFields",
    "onStateChange",
    "failureWorkflow",
    "inputSchema",
    "outputSchema",
    "rateLimitConfig",
)

#: WorkflowTask fields and their default value: a field holding its default is dropped.
TASK_DEFAULTS: dict[str, Any] = {
    "inputParameters": {},
    "startDelay": 0,
    "optional": False,
    "asyncComplete": False,
    "permissive": False,
    "rateLimited": False,
    "callbackFromWorker": True,
    "onStateChange": {},
    "decisionCases": {},
    "defaultCase": [],
    "forkTasks": [],
    "joinOn": [],
    "loopOver": [],
    "defaultExclusiveJoinTask": [],
    "taskDefinition": None,
    "description": None,
}

_CHILD_LISTS = ("defaultCase", "loopOver")
_JOINS = ("JOIN", "EXCLUSIVE_JOIN")
_V1_PATH = re.compile(r"^[A-Za-z_][\w-]*\.(input|output)(\.[^.\s${}]+)*$")


def _task_lists(task: dict[str, Any]) -> Iterator[list[Any]]:
    """Every list of child tasks directly inside ``task`` (branches, cases, loop body)."""
    for branch in task.get("forkTasks") or []:
        if isinstance(branch, list):
            yield branch
    cases = task.get("decisionCases")
    if isinstance(cases, dict):
        for branch in cases.values():
            if isinstance(branch, list):
                yield branch
    for key in _CHILD_LISTS:
        if isinstance(task.get(key), list):
            yield task[key]


def _all_refs(tasks: list[Any], out: set[str]) -> set[str]:
    for task in tasks:
        if isinstance(task, dict):
            if isinstance(task.get("taskReferenceName"), str):
                out.add(task["taskReferenceName"])
            for branch in _task_lists(task):
                _all_refs(branch, out)
    return out


def _v1_value(value: Any, refs: set[str]) -> Any:
    """A schemaVersion 1 input value as a schemaVersion 2 one: paths get ``${...}``."""
    if isinstance(value, str) and _V1_PATH.match(value):
        head = value.split(".", 1)[0]
        if head == "workflow" or head in refs:
            return "${" + value + "}"
    return value


def _upgrade_v1_tasks(tasks: list[Any], refs: set[str]) -> None:
    for task in tasks:
        if not isinstance(task, dict):
            continue
        params = task.get("inputParameters")
        if isinstance(params, dict):
            task["inputParameters"] = {k: _v1_value(v, refs) for k, v in params.items()}
        for branch in _task_lists(task):
            _upgrade_v1_tasks(branch, refs)


def _decision_to_switch(task: dict[str, Any]) -> None:
    """DECISION -> SWITCH, when that means the same: no case is empty while a default exists
    (a DECISION falls back to its default on an empty case; a SWITCH runs the empty case)."""
    cases = task.get("decisionCases") or {}
    if not isinstance(cases, dict) or (
        task.get("defaultCase") and any(not c for c in cases.values())
    ):
        return
    param, script = task.get("caseValueParam"), task.get("caseExpression")
    if isinstance(script, str) and script:
        task["evaluatorType"], task["expression"] = "javascript", script
    elif isinstance(param, str) and param:
        task["evaluatorType"], task["expression"] = "value-param", param
    else:
        return
    task.pop("caseValueParam", None)
    task.pop("caseExpression", None)
    task["type"] = "SWITCH"


def _lambda_to_inline(task: dict[str, Any]) -> None:
    """LAMBDA -> INLINE with the very script Conductor builds for a LAMBDA."""
    params = task.get("inputParameters")
    if not isinstance(params, dict) or not isinstance(params.get("scriptExpression"), str):
        return
    if "evaluatorType" in params or "expression" in params:
        return
    rest = {k: v for k, v in params.items() if k != "scriptExpression"}
    script = "function scriptFun(){" + params["scriptExpression"] + "} scriptFun();"
    task["inputParameters"] = {"evaluatorType": "javascript", "expression": script, **rest}
    task["type"] = "INLINE"


def _fill_types(tasks: list[Any]) -> None:
    for task in tasks:
        if not isinstance(task, dict):
            continue
        if not task.get("type"):
            task["type"] = "SIMPLE"
        if task.get("workflowTaskType") == task["type"]:
            del task["workflowTaskType"]
        if task["type"] == "DECISION":
            _decision_to_switch(task)
        elif task["type"] == "LAMBDA":
            _lambda_to_inline(task)
        for branch in _task_lists(task):
            _fill_types(branch)
        sub = task.get("subWorkflowParam")
        if isinstance(sub, dict) and isinstance(sub.get("workflowDefinition"), dict):
            sub["workflowDefinition"] = upgrade_legacy(sub["workflowDefinition"])


def upgrade_legacy(definition: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``definition`` in today's form (the input is not changed).

    - A task without ``type`` is a ``SIMPLE`` task (Conductor's default).
    - ``DECISION`` becomes ``SWITCH`` (``caseValueParam`` -> ``value-param``, ``caseExpression``
      -> ``javascript``), unless a case is empty while there is a default case (a DECISION
      runs its default then, a SWITCH does not).
    - ``LAMBDA`` becomes ``INLINE`` running ``function scriptFun(){<script>} scriptFun();``,
      the script Conductor itself builds from ``scriptExpression``.
    - ``schemaVersion: 1``: input values written as bare paths (``"workflow.input.x"``,
      ``"task_ref.output.y"``) become ``${...}`` expressions, and ``schemaVersion`` becomes 2.
    """
    out = copy.deepcopy(definition)
    tasks = out.get("tasks")
    if not isinstance(tasks, list):
        return out
    _fill_types(tasks)
    if out.get("schemaVersion") == 1:
        refs = _all_refs(tasks, set())
        _upgrade_v1_tasks(tasks, refs)
        outputs = out.get("outputParameters")
        if isinstance(outputs, dict):
            out["outputParameters"] = {k: _v1_value(v, refs) for k, v in outputs.items()}
        out["schemaVersion"] = 2
    return out


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


def _normal_task(task: Any) -> Any:
    if not isinstance(task, dict):
        return task
    out: dict[str, Any] = {}
    for key, value in task.items():
        if key == "workflowTaskType":
            continue  # a serialisation echo of "type"
        is_default = key in TASK_DEFAULTS and (value == TASK_DEFAULTS[key] or value is None)
        if is_default and not (key == "joinOn" and task.get("type") in _JOINS):
            continue
        if key == "taskDefinition" and isinstance(value, dict):
            # A null field of a TaskDef is an unset one (a Java null), and an unset field has
            # its default: neither is compared.
            value = {
                k: v
                for k, v in value.items()
                if k not in SERVER_FIELDS
                and v is not None
                and not (k in _TASK_DEF_DEFAULTS and _TASK_DEF_DEFAULTS[k] == v)
            }
        out[key] = value
    if out.get("type") in _JOINS and "joinOn" not in out:
        out["joinOn"] = []  # a JOIN always has a joinOn list (empty after a dynamic fork)
    if isinstance(out.get("forkTasks"), list):
        out["forkTasks"] = [
            [_normal_task(t) for t in branch] if isinstance(branch, list) else branch
            for branch in out["forkTasks"]
        ]
    if isinstance(out.get("decisionCases"), dict):
        out["decisionCases"] = {
            k: [_normal_task(t) for t in v] if isinstance(v, list) else v
            for k, v in out["decisionCases"].items()
        }
    for key in _CHILD_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [_normal_task(t) for t in out[key]]
    sub = out.get("subWorkflowParam")
    if isinstance(sub, dict):
        sub = {k: v for k, v in sub.items() if v is not None}
        if isinstance(sub.get("workflowDefinition"), dict):
            sub["workflowDefinition"] = normalise_workflow_def(sub["workflowDefinition"])
        out["subWorkflowParam"] = sub
    return out


def normalise_workflow_def(definition: dict[str, Any]) -> dict[str, Any]:
    """``definition`` in the normal form the round trip compares (a new dict).

    Legacy spellings are upgraded (:func:`upgrade_legacy`), server bookkeeping fields are
    dropped, missing fields get Conductor's default (:data:`WORKFLOW_DEFAULTS`), empty optional
    fields and task fields holding their default (:data:`TASK_DEFAULTS`) are dropped. Key order
    does not matter to ``==`` on dicts, so it is left as it is.
    """
    upgraded = upgrade_legacy(definition)
    out: dict[str, Any] = {}
    for key, value in upgraded.items():
        if key in SERVER_FIELDS:
            continue
        if key in _WORKFLOW_DROP_EMPTY and _is_empty(value):
            continue
        out[key] = value
    for key, value in WORKFLOW_DEFAULTS.items():
        if out.get(key) is None:
            out[key] = copy.deepcopy(value)
    if isinstance(out.get("tasks"), list):
        out["tasks"] = [_normal_task(t) for t in out["tasks"]]
    if isinstance(out.get("inputParameters"), list):
        # a list of names: a name listed twice says nothing more
        names = out["inputParameters"]
        out["inputParameters"] = [n for i, n in enumerate(names) if n not in names[:i]]
    return out
