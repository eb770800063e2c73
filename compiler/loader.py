"""Load any Conductor definition file and find the workflow and task definitions in it.

Conductor JSON comes in many shapes: a single ``WorkflowDef``, a list of them, a ``TaskDef``
or a list of them, a start request or a workflow-test request embedding a ``workflowDef``,
an execution record embedding its ``workflowDefinition``, or a template bundle holding
``workflowDefinitions`` and ``taskDefinitions`` (possibly nested deeper).  This module
classifies a file into one of those kinds and returns every definition it contains together
with its JSON path (``$``, ``$[2]``, ``$.workflowDef`` ...).

Every problem with the input is reported as a :class:`LoadError`; nothing else escapes.
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Iterator
from typing import Any

import attrs

__all__ = [
    "FoundWorkflow",
    "LoadError",
    "LoadedFile",
    "classify",
    "load_file",
    "load_json_text",
]

# fmt: off
#: Every value of :attr:`LoadedFile.kind`.
KINDS = (
    "workflow", "workflows", "taskdef", "taskdefs", "bundle",
    "start-request", "test-request", "execution",
)

#: Fields of Conductor's TaskDef (besides "name"); one of them marks an object as a TaskDef.
TASKDEF_KEYS = frozenset({
    "retryCount", "retryLogic", "retryDelaySeconds", "backoffScaleFactor", "timeoutSeconds",
    "timeoutPolicy", "responseTimeoutSeconds", "pollTimeoutSeconds", "totalTimeoutSeconds",
    "ownerEmail", "ownerApp", "inputKeys", "outputKeys", "inputTemplate", "concurrentExecLimit",
    "rateLimitPerFrequency", "rateLimitFrequencyInSeconds", "isolationGroupId",
    "executionNameSpace", "inputSchema", "outputSchema", "enforceSchema",
})
# fmt: on

_BUNDLE_KEYS = ("workflowDefinitions", "taskDefinitions")
_EXECUTION_MARKERS = ("workflowId", "tasks", "status")
_TEST_REQUEST_EXTRA = ("input", "taskRefToMockOutput", "subWorkflowTestRequest")
_MAX_KEYS_SHOWN = 12

_EXPECTED_TOP = (
    "expected a Conductor WorkflowDef (an object with 'name' and 'tasks'), a list of them, "
    "TaskDefs, a bundle, a start/test request or an execution record"
)
_EXPECTED_ELEMENT = (
    "expected a WorkflowDef (an object with 'name' and 'tasks'), a TaskDef (an object with "
    "'name' and TaskDef fields such as 'retryCount' or 'timeoutSeconds') or a bundle"
)
_EXPECTED_WORKFLOW = "expected a WorkflowDef (an object with 'name' and 'tasks')"
_EXPECTED_TASKDEF = "expected a TaskDef (an object with a string 'name')"


@attrs.frozen
class LoadError(ValueError):
    """A Conductor file could not be read, parsed or recognised.

    ``str(err)`` is ``"{file}: {json_path}: {message}"``, or ``"{file}:{line}:{column}:
    {message}"`` when the position in the text is known (invalid JSON or UTF-8).
    """

    file: str
    json_path: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.file}:{self.line}:{self.column}: {self.message}"
        return f"{self.file}: {self.json_path}: {self.message}"


@attrs.frozen
class FoundWorkflow:
    """A WorkflowDef found in a file: the dict exactly as loaded and where it sits."""

    definition: dict[str, Any]
    json_path: str


@attrs.frozen
class LoadedFile:
    """The result of loading one file: its kind and every definition found in it."""

    path: str
    kind: str
    workflows: tuple[FoundWorkflow, ...]
    task_defs: tuple[dict[str, Any], ...]
    extra: dict[str, Any] = attrs.field(factory=dict)


def load_json_text(text: str, file: str) -> Any:
    """Parse JSON ``text`` (a leading UTF-8 BOM is ignored).

    Raises :class:`LoadError` with the line and column of the first syntax error.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LoadError(
            file, "$", f"not valid JSON: {exc.msg}", line=exc.lineno, column=exc.colno
        ) from exc
    except RecursionError as exc:
        raise LoadError(file, "$", "not valid JSON: nesting too deep to load") from exc
    except ValueError as exc:  # e.g. an integer literal with too many digits
        raise LoadError(file, "$", f"not valid JSON: {exc}") from exc


def load_file(path: str | os.PathLike[str]) -> LoadedFile:
    """Read, decode (UTF-8, optional BOM), parse and :func:`classify` one file."""
    file = os.fspath(path)
    try:
        with open(file, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise LoadError(file, "$", f"cannot read file: {exc.strerror or exc}") from exc
    return classify(load_json_text(_decode(data, file), file), file)


def classify(doc: Any, file: str) -> LoadedFile:
    """Classify already-parsed JSON and collect its workflow and task definitions.

    Raises :class:`LoadError` naming the JSON path and what was expected when ``doc`` is not
    a recognised Conductor document.
    """
    if isinstance(doc, dict):
        return _classify_object(doc, file)
    if isinstance(doc, list):
        return _classify_list(doc, file)
    raise LoadError(file, "$", f"{_EXPECTED_TOP}; got {_describe(doc)}")


# --- classification ---------------------------------------------------------------------


def _classify_object(doc: dict[str, Any], file: str) -> LoadedFile:
    embedded = doc.get("workflowDefinition")
    if isinstance(embedded, dict) and any(k in doc for k in _EXECUTION_MARKERS):
        found = _expect_workflow(embedded, "$.workflowDefinition", file)
        return LoadedFile(file, "execution", (found,), (), {"execution": doc})

    embedded = doc.get("workflowDef")
    if isinstance(embedded, dict):
        found = _expect_workflow(embedded, "$.workflowDef", file)
        if "taskRefToMockOutput" in doc:
            workflows = (found, *_sub_workflow_tests(doc, "$", file))
            extra = {k: doc[k] for k in _TEST_REQUEST_EXTRA if k in doc}
            return LoadedFile(file, "test-request", workflows, (), extra)
        extra = {"input": doc["input"]} if "input" in doc else {}
        return LoadedFile(file, "start-request", (found,), (), extra)

    if "tasks" in doc and "name" in doc:
        return LoadedFile(file, "workflow", (_expect_workflow(doc, "$", file),), (), {})

    if _has_bundle_keys(doc):
        bundle_workflows, bundle_task_defs = _collect_bundle(doc, "$", file)
        return LoadedFile(file, "bundle", tuple(bundle_workflows), tuple(bundle_task_defs), {})

    if _is_taskdef(doc):
        return LoadedFile(file, "taskdef", (), (doc,), {})

    raise LoadError(file, "$", f"{_EXPECTED_TOP}; got {_describe(doc)}{_hint(doc)}")


def _classify_list(doc: list[Any], file: str) -> LoadedFile:
    if not doc:
        raise LoadError(file, "$", f"{_EXPECTED_TOP}; got an empty list")
    workflows: list[FoundWorkflow] = []
    task_defs: list[dict[str, Any]] = []
    saw_bundle = False
    for index, item in enumerate(doc):
        path = f"$[{index}]"
        if isinstance(item, dict) and "tasks" in item and "name" in item:
            workflows.append(_expect_workflow(item, path, file))
        elif isinstance(item, dict) and _is_taskdef(item):
            task_defs.append(item)
        elif isinstance(item, dict) and _has_bundle_keys(item):
            saw_bundle = True
            more_workflows, more_task_defs = _collect_bundle(item, path, file)
            workflows.extend(more_workflows)
            task_defs.extend(more_task_defs)
        else:
            raise LoadError(file, path, f"{_EXPECTED_ELEMENT}; got {_describe(item)}{_hint(item)}")
    if saw_bundle or (workflows and task_defs):
        kind = "bundle"
    else:
        kind = "workflows" if workflows else "taskdefs"
    return LoadedFile(file, kind, tuple(workflows), tuple(task_defs), {})


def _expect_workflow(value: Any, path: str, file: str) -> FoundWorkflow:
    """Check that ``value`` looks like a WorkflowDef; raise a precise LoadError if not."""
    if not isinstance(value, dict):
        raise LoadError(file, path, f"{_EXPECTED_WORKFLOW}; got {_describe(value)}")
    if "tasks" not in value or "name" not in value:
        missing = " and ".join(repr(k) for k in ("name", "tasks") if k not in value)
        raise LoadError(
            file, path, f"{_EXPECTED_WORKFLOW}; got {_describe(value)} (missing {missing})"
        )
    if not isinstance(value["tasks"], list):
        raise LoadError(
            file,
            f"{path}.tasks",
            f"expected 'tasks' to be a list of workflow tasks; got {_describe(value['tasks'])}",
        )
    if not isinstance(value["name"], str):
        raise LoadError(
            file,
            f"{path}.name",
            f"expected the workflow 'name' to be a string; got {_describe(value['name'])}",
        )
    return FoundWorkflow(value, path)


def _is_taskdef(value: dict[str, Any]) -> bool:
    return (
        isinstance(value.get("name"), str)
        and "tasks" not in value
        and not TASKDEF_KEYS.isdisjoint(value)
    )


def _sub_workflow_tests(doc: dict[str, Any], path: str, file: str) -> list[FoundWorkflow]:
    """WorkflowDefs in a test request's ``subWorkflowTestRequest`` map, breadth-first."""
    found: list[FoundWorkflow] = []
    queue: deque[tuple[dict[str, Any], str]] = deque([(doc, path)])
    while queue:
        request, request_path = queue.popleft()
        subs = request.get("subWorkflowTestRequest")
        if not isinstance(subs, dict):
            continue
        subs_path = _child(request_path, "subWorkflowTestRequest")
        for key, sub in subs.items():
            if not isinstance(sub, dict):
                continue
            sub_path = _child(subs_path, key)
            if isinstance(sub.get("workflowDef"), dict):
                found.append(_expect_workflow(sub["workflowDef"], f"{sub_path}.workflowDef", file))
            queue.append((sub, sub_path))
    return found


# --- bundles ----------------------------------------------------------------------------


def _walk_objects(root: Any, path: str) -> Iterator[tuple[dict[str, Any], str]]:
    """Yield every object in ``root`` in document order (iteratively: no recursion limit).

    The values of bundle keys are not descended into.
    """
    stack: list[tuple[Any, str]] = [(root, path)]
    while stack:
        node, node_path = stack.pop()
        children: list[tuple[Any, str]] = []
        if isinstance(node, dict):
            yield node, node_path
            children = [
                (value, _child(node_path, key))
                for key, value in node.items()
                if key not in _BUNDLE_KEYS and isinstance(value, dict | list)
            ]
        elif isinstance(node, list):
            children = [
                (value, f"{node_path}[{i}]")
                for i, value in enumerate(node)
                if isinstance(value, dict | list)
            ]
        stack.extend(reversed(children))


def _has_bundle_keys(doc: dict[str, Any]) -> bool:
    return any(key in obj for obj, _ in _walk_objects(doc, "$") for key in _BUNDLE_KEYS)


def _collect_bundle(
    doc: dict[str, Any], path: str, file: str
) -> tuple[list[FoundWorkflow], list[dict[str, Any]]]:
    workflows: list[FoundWorkflow] = []
    task_defs: list[dict[str, Any]] = []
    for obj, obj_path in _walk_objects(doc, path):
        for key in _BUNDLE_KEYS:
            if key not in obj:
                continue
            items = obj[key]
            key_path = _child(obj_path, key)
            what = "WorkflowDefs" if key == "workflowDefinitions" else "TaskDefs"
            if items is None:
                continue
            if not isinstance(items, list):
                raise LoadError(
                    file,
                    key_path,
                    f"expected '{key}' to be a list of {what}; got {_describe(items)}",
                )
            for index, item in enumerate(items):
                item_path = f"{key_path}[{index}]"
                if key == "workflowDefinitions":
                    workflows.append(_expect_workflow(item, item_path, file))
                elif isinstance(item, dict) and isinstance(item.get("name"), str):
                    task_defs.append(item)
                else:
                    raise LoadError(file, item_path, f"{_EXPECTED_TASKDEF}; got {_describe(item)}")
    return workflows, task_defs


# --- helpers ----------------------------------------------------------------------------


def _decode(data: bytes, file: str) -> str:
    """Decode file bytes: UTF-8 with optional BOM; UTF-16 when it starts with a UTF-16 BOM."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise LoadError(file, "$", f"not valid UTF-16: {exc.reason}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        bad = data[exc.start : exc.start + 1].hex()
        raise LoadError(
            file, "$", f"not valid UTF-8: byte 0x{bad} ({exc.reason})", line=line, column=column
        ) from exc


def _child(path: str, key: object) -> str:
    """JSON path of member ``key`` of the object at ``path``."""
    text = key if isinstance(key, str) else str(key)
    if text.isidentifier():
        return f"{path}.{text}"
    return f"{path}[{json.dumps(text)}]"


def _describe(value: Any) -> str:
    """A short human description of a JSON value's shape, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int | float):
        return f"a number ({_clip(repr(value))})"
    if isinstance(value, str):
        return f"a string ({_clip(repr(value))})"
    if isinstance(value, list):
        return "an empty list" if not value else f"a list of {len(value)} items"
    if isinstance(value, dict):
        if not value:
            return "an empty object"
        keys = [str(k) for k in list(value)[:_MAX_KEYS_SHOWN]]
        more = len(value) - len(keys)
        suffix = f" (and {more} more)" if more > 0 else ""
        return f"an object with keys {keys!r}{suffix}"
    return type(value).__name__


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _hint(value: Any) -> str:
    """An extra explanation for near-miss objects (empty when there is nothing to add)."""
    if not isinstance(value, dict):
        return ""
    if "workflowDef" in value:
        return f" ('workflowDef' is {_describe(value['workflowDef'])}, not a WorkflowDef object)"
    if "workflowDefinition" in value:
        return (
            " ('workflowDefinition' found, but an execution record needs an object there and "
            "one of 'workflowId', 'tasks' or 'status')"
        )
    if "tasks" in value:
        return " (it has 'tasks' but no 'name'; a WorkflowDef needs both)"
    if "name" in value and not isinstance(value["name"], str):
        return f" ('name' is {_describe(value['name'])}, not a string)"
    if "name" in value:
        return " (it has 'name' but neither 'tasks' nor any TaskDef field such as 'retryCount')"
    return ""
