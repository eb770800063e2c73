"""The shape checks code generation needs before it reads a WorkflowDef.

The validator reports problems of meaning; this module only makes sure that every place the
generator reads holds the kind of JSON value it expects, and says where it does not.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CodegenError", "check_structure"]


class CodegenError(ValueError):
    """A definition cannot be written as flowdsl Python: where (JSON path) and why."""

    def __init__(self, json_path: str, message: str) -> None:
        super().__init__(f"{json_path}: {message}")
        self.json_path = json_path
        self.message = message


def _describe(value: Any) -> str:
    from compiler.loader import _describe as describe

    return describe(value)


def _expect(value: Any, kind: type | tuple[type, ...], path: str, what: str) -> None:
    if not isinstance(value, kind) or isinstance(value, bool):
        raise CodegenError(path, f"expected {what}; got {_describe(value)}")


def check_structure(definition: Any, path: str = "$") -> None:
    """Raise :class:`CodegenError` at the first value of the wrong JSON kind."""
    _expect(definition, dict, path, "a WorkflowDef object")
    _expect(definition.get("name"), str, f"{path}.name", "the workflow 'name' as a string")
    params = definition.get("inputParameters", [])
    if params is not None:
        _expect(params, list, f"{path}.inputParameters", "a list of input names")
        for i, name in enumerate(params):
            _expect(name, str, f"{path}.inputParameters[{i}]", "an input name (a string)")
    outputs = definition.get("outputParameters")
    if outputs is not None:
        _expect(outputs, dict, f"{path}.outputParameters", "an object of workflow outputs")
    version = definition.get("version", 1)
    _expect(version, int, f"{path}.version", "the workflow 'version' as a whole number")
    if version < 1:
        raise CodegenError(f"{path}.version", f"expected a version >= 1; got {version}")
    _tasks(definition.get("tasks"), f"{path}.tasks")


def _tasks(tasks: Any, path: str) -> None:
    _expect(tasks, list, path, "a list of tasks")
    for i, task in enumerate(tasks):
        _task(task, f"{path}[{i}]")


def _task(task: Any, path: str) -> None:
    _expect(task, dict, path, "a task object")
    ref = task.get("taskReferenceName")
    if not isinstance(ref, str) or not ref:
        raise CodegenError(
            path, f"expected a task with a string 'taskReferenceName'; got {_describe(task)}"
        )
    if not isinstance(task.get("name"), str):
        raise CodegenError(path, f"expected task '{ref}' to have a string 'name'")
    if task.get("type") is not None:
        _expect(task["type"], str, f"{path}.type", "the task type as a string")
    if task.get("inputParameters") is not None:
        _expect(task["inputParameters"], dict, f"{path}.inputParameters", "an object of inputs")
    branches = task.get("forkTasks")
    if branches is not None:
        _expect(branches, list, f"{path}.forkTasks", "a list of fork branches")
        for i, branch in enumerate(branches):
            _expect(branch, list, f"{path}.forkTasks[{i}]", "a list of tasks (one fork branch)")
            _tasks(branch, f"{path}.forkTasks[{i}]")
    cases = task.get("decisionCases")
    if cases is not None:
        _expect(cases, dict, f"{path}.decisionCases", "an object of case -> list of tasks")
        for key, branch in cases.items():
            _tasks(branch, f"{path}.decisionCases[{key!r}]")
    for key in ("defaultCase", "loopOver"):
        if task.get(key) is not None:
            _tasks(task[key], f"{path}.{key}")
    sub = task.get("subWorkflowParam")
    if sub is not None:
        _expect(sub, dict, f"{path}.subWorkflowParam", "an object with the sub-workflow's name")
        if sub.get("workflowDefinition") is not None:
            check_structure(
                sub["workflowDefinition"], f"{path}.subWorkflowParam.workflowDefinition"
            )
