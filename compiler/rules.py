"""Per-task-type rules and TaskDef rules, as Conductor applies them at registration
(conductor-semantics.md §1.5), plus the checks flowdsl adds (WAIT values, JavaScript syntax).

Each rule gets one WorkflowTask (or TaskDef) and its JSON path and calls
``report(message, path, code, hint)`` for every problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

__all__ = [
    "Report",
    "check_task",
    "check_task_def",
    "javascript_error",
    "parse_wait_duration",
    "parse_wait_until",
]

Report = Callable[..., None]  # report(message, path, code, hint=None, severity="error")

_DURATION = re.compile(
    r"^\s*(?:(\d+)\s*(?:d|day|days)\b\s*)?(?:(\d+)\s*(?:h|hr|hrs|hour|hours)\b\s*)?"
    r"(?:(\d+)\s*(?:m|min|mins|minute|minutes)\b\s*)?(?:(\d+)\s*(?:s|sec|secs|second|seconds)\b\s*)?$",
    re.IGNORECASE,
)
_DURATION_COMPACT = re.compile(
    r"^\s*(?:(\d+)\s*(?:days|day|d))?\s*(?:(\d+)\s*(?:hours|hour|hrs|hr|h))?\s*"
    r"(?:(\d+)\s*(?:minutes|minute|mins|min|m))?\s*(?:(\d+)\s*(?:seconds|second|secs|sec|s))?\s*$",
    re.IGNORECASE,
)
_UNTIL_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d")
_UNTIL_ZONE = re.compile(
    r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}) ([A-Za-z]+(?:[+-]\d{1,2}(?::\d{2})?)?)$"
)


def parse_wait_duration(text: str) -> int | None:
    """Seconds in a WAIT ``duration`` (``"10m20s"``, ``"2 hours 30 minutes"``), or None if invalid.

    A bare number (``"10"``) is invalid, as in Conductor's DateTimeUtils.
    """
    match = _DURATION_COMPACT.match(text) or _DURATION.match(text)
    if not match or not any(match.groups()):
        return None
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def parse_wait_until(text: str) -> datetime | None:
    """A WAIT ``until`` value (``yyyy-MM-dd HH:mm[ zone]`` or ``yyyy-MM-dd``), or None if invalid.

    A zone suffix is checked for shape only; naive results are in the server's zone.
    """
    value = text.strip()
    zoned = _UNTIL_ZONE.match(value)
    if zoned:
        value = zoned.group(1)
    for fmt in _UNTIL_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def javascript_error(source: str) -> str | None:
    """A syntax error in ``source`` (a Conductor script: its value is the last statement), or None.

    Parses with QuickJS when it is installed, without running the script; else checks nothing.
    """
    try:
        import quickjs
    except ImportError:  # pragma: no cover - quickjs is a dependency; tolerate its absence
        return None
    import json

    context = quickjs.Context()
    try:
        context.eval(f"new Function({json.dumps(source)})")
    except quickjs.JSException as err:
        return str(err).splitlines()[0]
    except Exception:  # pragma: no cover - resource limits
        return None
    return None


def _inputs_bound(params: Mapping[str, Any]) -> dict[str, str]:
    return {str(key): "an input" for key in params}


def _is_expr(value: object) -> bool:
    return isinstance(value, str) and "${" in value


def _check_wait(task: Mapping[str, Any], path: str, report: Report) -> None:
    params = task.get("inputParameters") or {}
    duration, until = params.get("duration"), params.get("until")
    if duration is not None and until is not None:
        report(
            "WAIT has both 'duration' and 'until'; Conductor fails such a task (FAILED_WITH_TERMINAL_ERROR)",
            f"{path}.inputParameters",
            "wait-both",
            "Keep one of them.",
        )
    if (
        isinstance(duration, str)
        and not _is_expr(duration)
        and parse_wait_duration(duration) is None
    ):
        report(
            f"WAIT duration '{duration}' cannot be parsed",
            f"{path}.inputParameters.duration",
            "wait-duration",
            "Write it like '30s', '10m20s', '2 hours 30 minutes' or '1d'; a bare number is invalid.",
        )
    elif duration is not None and not isinstance(duration, str):
        report(
            f"WAIT duration must be text like '30s', got {duration!r}",
            f"{path}.inputParameters.duration",
            "wait-duration",
        )
    if isinstance(until, str) and not _is_expr(until) and parse_wait_until(until) is None:
        report(
            f"WAIT until '{until}' cannot be parsed",
            f"{path}.inputParameters.until",
            "wait-until",
            "Use 'yyyy-MM-dd HH:mm', 'yyyy-MM-dd HH:mm UTC' or 'yyyy-MM-dd'.",
        )


_READ_DOT = re.compile(r"(?<![\w$])\$\s*\.\s*([A-Za-z_$][\w$]*)")
_READ_BRACKET = re.compile(r"(?<![\w$])\$\s*\[\s*(['\"])([^'\"]+)\1\s*\]")


def script_reads(source: str) -> list[str]:
    """The names a Conductor script reads from ``$`` (``$.name`` or ``$['name']``), in order."""
    found: dict[str, None] = {}
    for match in _READ_DOT.finditer(source):
        found.setdefault(match.group(1))
    for match in _READ_BRACKET.finditer(source):
        found.setdefault(match.group(2))
    return list(found)


def _check_reads(
    source: str, path: str, what: str, report: Report, bound: Mapping[str, str]
) -> None:
    """Each ``$.name`` the script reads must be bound (``bound``: name -> what binds it)."""
    for name in script_reads(source):
        if name in bound:
            continue
        import difflib

        close = difflib.get_close_matches(name, list(bound), n=1)
        offer = ", ".join(f"{k} ({v})" for k, v in bound.items()) or "nothing"
        report(
            f"{what} reads $.{name}, but '{name}' is not bound; the script's $ holds {offer}",
            path,
            "script-read",
            f"Did you mean $.{close[0]}?" if close else "Add it to the task's inputParameters.",
        )


def _check_script(
    source: object,
    path: str,
    what: str,
    report: Report,
    substituted: bool = False,
    bound: Mapping[str, str] | None = None,
) -> None:
    if isinstance(source, str) and bound is not None:
        _check_reads(source, path, what, report, bound)
    if isinstance(source, str) and "${" in source:
        if substituted:
            return  # Conductor fills the placeholders in before the script runs: parse nothing
        report(
            f"{what} contains '${{...}}', which Conductor does not substitute in scripts; the "
            f"script sees the literal text",
            path,
            "script-placeholder",
            "Bind the value in inputParameters and read it as $.name in the script.",
            severity="warning",
        )
        return
    if isinstance(source, str) and source.strip():
        error = javascript_error(source)
        if error:
            report(f"{what} is not valid JavaScript: {error}", path, "javascript")


def check_task(task: Mapping[str, Any], path: str, report: Report) -> None:
    """Apply the rules of ``task``'s type."""
    kind = task.get("type") or "SIMPLE"
    if kind not in _RULED:
        _check_counts(task, path, report)
        return
    params = task.get("inputParameters")
    params = params if type(params) is dict or isinstance(params, Mapping) else {}
    if kind == "EVENT" and not task.get("sink"):
        report(
            "EVENT task has no 'sink'",
            path,
            "event-sink",
            "Set sink, e.g. 'conductor' or 'sqs:queue_name'.",
        )
    elif kind in ("SWITCH", "DECISION"):
        cases = task.get("decisionCases")
        if not isinstance(cases, Mapping) or not cases:
            report(
                f"{kind} has no decisionCases",
                path,
                "switch-cases",
                "Give at least one case; a SWITCH with only a default is a plain sequence.",
            )
        if kind == "SWITCH":
            evaluator = task.get("evaluatorType")
            if not evaluator:
                report(
                    "SWITCH has no evaluatorType",
                    path,
                    "switch-evaluator",
                    "Use 'value-param' or 'javascript'.",
                )
            elif evaluator not in ("value-param", "javascript", "graaljs", "python"):
                report(
                    f"SWITCH evaluatorType '{evaluator}' is unknown",
                    f"{path}.evaluatorType",
                    "switch-evaluator",
                    "Use 'value-param' or 'javascript'.",
                )
            if not task.get("expression"):
                report("SWITCH has no expression", path, "switch-expression")
            elif evaluator in ("javascript", "graaljs"):
                _check_script(
                    task.get("expression"),
                    f"{path}.expression",
                    "SWITCH expression",
                    report,
                    bound=_inputs_bound(params),
                )
        elif not task.get("caseValueParam") and not task.get("caseExpression"):
            report("DECISION has neither caseValueParam nor caseExpression", path, "decision-case")
        elif task.get("caseExpression"):
            _check_script(
                task.get("caseExpression"),
                f"{path}.caseExpression",
                "DECISION caseExpression",
                report,
                bound=_inputs_bound(params),
            )
    elif kind == "DO_WHILE":
        if task.get("loopCondition") is None:
            report(
                "DO_WHILE has no loopCondition",
                path,
                "loop-condition",
                "Conductor requires one even with 'items'; use 'true' to iterate over all items.",
            )
        else:
            bound = {str(task.get("taskReferenceName")): "the loop's output"}
            bound.update(
                (ref, "a body task's output") for ref in sorted(refs_in(task.get("loopOver")))
            )
            bound.update(_inputs_bound(params))
            _check_script(
                task.get("loopCondition"),
                f"{path}.loopCondition",
                "DO_WHILE loopCondition",
                report,
                bound=bound,
            )
        if not task.get("loopOver"):
            report("DO_WHILE has an empty loopOver", path, "loop-body")
    elif kind == "DYNAMIC" and not task.get("dynamicTaskNameParam"):
        report("DYNAMIC task has no dynamicTaskNameParam", path, "dynamic-name")
    elif kind == "FORK_JOIN_DYNAMIC":
        tasks_param = task.get("dynamicForkTasksParam")
        input_param = task.get("dynamicForkTasksInputParamName")
        legacy = task.get("dynamicForkJoinTasksParam")
        valid = (
            "forkTaskInputs" in params
            or (legacy and not tasks_param and not input_param)
            or (tasks_param and input_param and not legacy)
        )
        if not valid:
            report(
                "FORK_JOIN_DYNAMIC needs inputParameters.forkTaskInputs, or both dynamicForkTasksParam and "
                "dynamicForkTasksInputParamName (or only the legacy dynamicForkJoinTasksParam)",
                path,
                "dynamic-fork-input",
            )
    elif kind == "HTTP":
        if "http_request" not in params and not ("uri" in params or "method" in params):
            report(
                "HTTP task has no inputParameters.http_request",
                path,
                "http-request",
                "Give http_request: {uri, method, ...}.",
                severity="warning",
            )
    elif kind == "FORK_JOIN":
        forks = task.get("forkTasks")
        if not isinstance(forks, list) or not forks:
            report("FORK_JOIN has no forkTasks", path, "fork-branches")
        else:
            for index, branch in enumerate(forks):
                if not isinstance(branch, list) or not branch:
                    report(
                        f"branch {index} of FORK_JOIN is empty",
                        f"{path}.forkTasks[{index}]",
                        "fork-branches",
                        "Conductor fails at run time when it schedules an empty branch.",
                    )
    elif kind == "TERMINATE":
        if task.get("optional"):
            report("TERMINATE cannot be optional", f"{path}.optional", "terminate-optional")
        status = params.get("terminationStatus")
        if status not in ("COMPLETED", "FAILED", "TERMINATED"):
            report(
                f"TERMINATE terminationStatus is {status!r}; it must be the literal COMPLETED, FAILED or "
                f"TERMINATED (not an expression)",
                f"{path}.inputParameters.terminationStatus",
                "terminate-status",
            )
    elif kind == "KAFKA_PUBLISH" and "kafka_request" not in params:
        report(
            "KAFKA_PUBLISH has no inputParameters.kafka_request",
            path,
            "kafka-request",
            severity="warning",
        )
    elif kind == "SUB_WORKFLOW":
        sub = task.get("subWorkflowParam")
        if not isinstance(sub, Mapping):
            report(
                "SUB_WORKFLOW has no subWorkflowParam",
                path,
                "subworkflow-param",
                "Give subWorkflowParam: {name, version}.",
            )
        elif not sub.get("name") and not sub.get("workflowDefinition"):
            report(
                "SUB_WORKFLOW subWorkflowParam has no name",
                f"{path}.subWorkflowParam",
                "subworkflow-param",
            )
    elif kind == "JSON_JQ_TRANSFORM" and "queryExpression" not in params:
        report(
            "JSON_JQ_TRANSFORM has no inputParameters.queryExpression",
            path,
            "jq-query",
            severity="warning",
        )
    elif kind == "WAIT":
        _check_wait(task, path, report)
    elif kind == "INLINE" and params.get("evaluatorType", "javascript") in (
        "javascript",
        "graaljs",
    ):
        _check_script(
            params.get("expression"),
            f"{path}.inputParameters.expression",
            "INLINE expression",
            report,
            substituted=True,
            bound=_inputs_bound(params),
        )
    _check_counts(task, path, report)


_RULED = frozenset(
    {
        "EVENT",
        "SWITCH",
        "DECISION",
        "DO_WHILE",
        "DYNAMIC",
        "FORK_JOIN_DYNAMIC",
        "HTTP",
        "FORK_JOIN",
        "TERMINATE",
        "KAFKA_PUBLISH",
        "SUB_WORKFLOW",
        "JSON_JQ_TRANSFORM",
        "WAIT",
        "INLINE",
    }
)


def _check_counts(task: Mapping[str, Any], path: str, report: Report) -> None:
    for field in ("startDelay", "retryCount"):
        if field not in task:
            continue
        value = task[field]
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 0
        ):
            report(
                f"{field} is {value!r}; it must be a whole number >= 0",
                f"{path}.{field}",
                "negative",
            )


_NON_NEGATIVE = (
    "retryCount",
    "retryDelaySeconds",
    "timeoutSeconds",
    "pollTimeoutSeconds",
    "totalTimeoutSeconds",
    "maxRetryDelaySeconds",
    "backoffJitterMs",
    "rateLimitPerFrequency",
    "rateLimitFrequencyInSeconds",
    "concurrentExecLimit",
)
_ENUMS = {
    "retryLogic": ("FIXED", "LINEAR_BACKOFF", "EXPONENTIAL_BACKOFF"),
    "timeoutPolicy": ("RETRY", "TIME_OUT_WF", "ALERT_ONLY"),
}


def check_task_def(td: Mapping[str, Any], path: str, report: Report, inline: bool = False) -> None:
    """Conductor's TaskDef constraints: names, minimums, enums and the timeout relations.

    ``inline`` is for a WorkflowTask's embedded ``taskDefinition``, which Conductor does not
    validate and which takes its name from the task: only explicit contradictions are reported.
    """
    name = td.get("name")
    if inline and not name:
        name = "(inline)"
    if not isinstance(name, str) or not name:
        report("TaskDef has no name", path, "taskdef-name")
        name = "?"
    for field in _NON_NEGATIVE:
        value = td.get(field)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 0
        ):
            report(
                f"TaskDef '{name}' {field} is {value!r}; it must be a whole number >= 0",
                f"{path}.{field}",
                "negative",
            )
    scale = td.get("backoffScaleFactor")
    if scale is not None and (not isinstance(scale, int) or scale < 1):
        report(
            f"TaskDef '{name}' backoffScaleFactor is {scale!r}; it must be >= 1",
            f"{path}.backoffScaleFactor",
            "negative",
        )
    for field, allowed in _ENUMS.items():
        value = td.get(field)
        if value is not None and value not in allowed:
            report(
                f"TaskDef '{name}' {field} is {value!r}; expected one of {', '.join(allowed)}",
                f"{path}.{field}",
                "enum",
            )
    timeout = td.get("timeoutSeconds") or 0
    response = td.get("responseTimeoutSeconds", 3600)
    total = td.get("totalTimeoutSeconds") or 0
    if isinstance(response, int) and response < 1 and "responseTimeoutSeconds" in td and not inline:
        report(
            f"TaskDef '{name}' responseTimeoutSeconds is {response}; it must be at least 1 second",
            f"{path}.responseTimeoutSeconds",
            "response-timeout",
        )
    explicit = "responseTimeoutSeconds" in td or not inline
    if (
        explicit
        and isinstance(timeout, int)
        and isinstance(response, int)
        and timeout > 0
        and response > timeout
    ):
        implicit = "" if "responseTimeoutSeconds" in td else " (Conductor's default)"
        report(
            f"TaskDef '{name}' responseTimeoutSeconds {response}{implicit} is above timeoutSeconds {timeout}; "
            f"Conductor rejects it" + (" when it is registered" if inline else ""),
            f"{path}.responseTimeoutSeconds",
            "response-timeout",
            f"Set response_timeout_seconds to at most {timeout}.",
            severity="warning" if inline else "error",
        )
    if (
        isinstance(timeout, int)
        and isinstance(total, int)
        and timeout > 0
        and total > 0
        and timeout > total
    ):
        report(
            f"TaskDef '{name}' timeoutSeconds {timeout} is above totalTimeoutSeconds {total}",
            f"{path}.timeoutSeconds",
            "total-timeout",
        )


def refs_in(tasks: object) -> set[str]:
    """Every taskReferenceName in a task list, nested containers included."""
    found: set[str] = set()
    stack = [tasks]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, Mapping):
            ref = item.get("taskReferenceName")
            if isinstance(ref, str):
                found.add(ref)
            for key in ("forkTasks", "loopOver", "defaultCase"):
                if isinstance(item.get(key), list):
                    stack.append(item[key])
            cases = item.get("decisionCases")
            if isinstance(cases, Mapping):
                stack.extend(cases.values())
    return found
