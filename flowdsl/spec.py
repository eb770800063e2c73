"""Definitions attached to ``@task`` and ``@workflow`` functions, and option coercion.

Every TaskDef field is a ``@task`` option under its snake_case name; this
module holds the one table that maps those names to Conductor's camelCase
fields, with the kind of value each takes. Durations accept ``int`` seconds or
``timedelta``; enums accept the Conductor string or the Python enum.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flowdsl.errors import FlowError, SourceLocation

__all__ = [
    "OptionError",
    "RetryLogic",
    "TaskSpec",
    "TimeoutPolicy",
    "WorkflowSpec",
    "WorkflowTimeoutPolicy",
    "coerce_options",
    "duration_seconds",
]


class RetryLogic(enum.StrEnum):
    """How the delay between retries grows (TaskDef ``retryLogic``)."""

    FIXED = "FIXED"
    LINEAR_BACKOFF = "LINEAR_BACKOFF"
    EXPONENTIAL_BACKOFF = "EXPONENTIAL_BACKOFF"


class TimeoutPolicy(enum.StrEnum):
    """What a task timeout does (TaskDef ``timeoutPolicy``)."""

    RETRY = "RETRY"
    TIME_OUT_WF = "TIME_OUT_WF"
    ALERT_ONLY = "ALERT_ONLY"


class WorkflowTimeoutPolicy(enum.StrEnum):
    """What a workflow timeout does (WorkflowDef ``timeoutPolicy``)."""

    TIME_OUT_WF = "TIME_OUT_WF"
    ALERT_ONLY = "ALERT_ONLY"


class OptionError(FlowError, TypeError):
    """An option given to ``@task``, ``@workflow`` or ``.options()`` is unknown or of the wrong kind."""

    def __init__(self, message: str, location: SourceLocation | None = None) -> None:
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


# snake_case option -> (Conductor field, kind). Kinds: duration, count, int, str, bool,
# map, list, and enum classes.
TASK_DEF_OPTIONS: dict[str, tuple[str, Any]] = {
    "description": ("description", "str"),
    "owner_email": ("ownerEmail", "str"),
    "retry_count": ("retryCount", "count"),
    "retry_logic": ("retryLogic", RetryLogic),
    "retry_delay_seconds": ("retryDelaySeconds", "duration"),
    "backoff_scale_factor": ("backoffScaleFactor", "count"),
    "max_retry_delay_seconds": ("maxRetryDelaySeconds", "duration"),
    "backoff_jitter_ms": ("backoffJitterMs", "count"),
    "timeout_seconds": ("timeoutSeconds", "duration"),
    "response_timeout_seconds": ("responseTimeoutSeconds", "duration"),
    "poll_timeout_seconds": ("pollTimeoutSeconds", "duration"),
    "total_timeout_seconds": ("totalTimeoutSeconds", "duration"),
    "timeout_policy": ("timeoutPolicy", TimeoutPolicy),
    "rate_limit_per_frequency": ("rateLimitPerFrequency", "count"),
    "rate_limit_frequency_in_seconds": ("rateLimitFrequencyInSeconds", "duration"),
    "concurrent_exec_limit": ("concurrentExecLimit", "count"),
    "input_keys": ("inputKeys", "list"),
    "output_keys": ("outputKeys", "list"),
    "input_template": ("inputTemplate", "map"),
    "isolation_group_id": ("isolationGroupId", "str"),
    "execution_name_space": ("executionNameSpace", "str"),
    "runtime_metadata": ("runtimeMetadata", "list"),
    "input_schema": ("inputSchema", "map"),
    "output_schema": ("outputSchema", "map"),
    "enforce_schema": ("enforceSchema", "bool"),
    "task_status_listener_enabled": ("taskStatusListenerEnabled", "bool"),
}

WORKFLOW_OPTIONS: dict[str, tuple[str, Any]] = {
    "description": ("description", "str"),
    "timeout_seconds": ("timeoutSeconds", "duration"),
    "timeout_policy": ("timeoutPolicy", WorkflowTimeoutPolicy),
    "restartable": ("restartable", "bool"),
    "owner_email": ("ownerEmail", "str"),
    "variables": ("variables", "map"),
    "input_template": ("inputTemplate", "map"),
    "workflow_status_listener_enabled": ("workflowStatusListenerEnabled", "bool"),
    "failure_workflow_version": ("failureWorkflowVersion", "count"),
    "metadata": ("metadata", "map"),
    "enforce_schema": ("enforceSchema", "bool"),
    "input_schema": ("inputSchema", "map"),
    "output_schema": ("outputSchema", "map"),
    "masked_fields": ("maskedFields", "list"),
    "rate_limit_config": ("rateLimitConfig", "map"),
}


def duration_seconds(value: object, option: str) -> int:
    """Return ``value`` (``int`` seconds or ``timedelta``) as whole seconds.

    Raises:
        OptionError: the value is not a whole number of seconds.
    """
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        if seconds != int(seconds):
            msg = (
                f"{option}={value!r} is not a whole number of seconds; Conductor counts in seconds"
            )
            raise OptionError(msg)
        return int(seconds)
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f"{option}={value!r} must be int seconds or a datetime.timedelta"
        raise OptionError(msg)
    return value


def _coerce(option: str, kind: Any, value: object) -> object:
    if kind == "duration":
        return duration_seconds(value, option)
    if kind == "count" or kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            msg = f"{option}={value!r} must be an int"
            raise OptionError(msg)
        return value
    if kind == "str":
        if not isinstance(value, str):
            msg = f"{option}={value!r} must be a str"
            raise OptionError(msg)
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            msg = f"{option}={value!r} must be True or False"
            raise OptionError(msg)
        return value
    if kind == "map":
        if not isinstance(value, Mapping):
            msg = f"{option}={value!r} must be a dict"
            raise OptionError(msg)
        return dict(value)
    if kind == "list":
        if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
            msg = f"{option}={value!r} must be a list"
            raise OptionError(msg)
        return list(value)
    # an enum class
    if isinstance(value, kind):
        return str(value.value)
    allowed = [m.value for m in kind]
    if isinstance(value, str) and value.upper() in allowed:
        return value.upper()
    msg = f"{option}={value!r} is not one of {', '.join(allowed)}"
    raise OptionError(msg)


def coerce_options(
    given: Mapping[str, object],
    table: Mapping[str, tuple[str, Any]],
    what: str,
) -> dict[str, object]:
    """Check option names and values against ``table``; return Conductor field -> value.

    Options whose value is ``None`` are left out (Conductor's default applies).

    Raises:
        OptionError: an unknown option (with a did-you-mean) or a value of the wrong kind.
    """
    out: dict[str, object] = {}
    for option, value in given.items():
        entry = table.get(option)
        if entry is None:
            import difflib

            close = difflib.get_close_matches(option, list(table), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            msg = f"{what} has no option '{option}'.{hint} Options: {', '.join(sorted(table))}"
            raise OptionError(msg)
        if value is None:
            continue
        field, kind = entry
        out[field] = _coerce(option, kind, value)
    return out


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """The TaskDef of a ``@task`` function: its name and Conductor options (camelCase keys)."""

    name: str
    options: Mapping[str, object]
    location: SourceLocation


@dataclass(frozen=True, slots=True)
class WorkflowSpec:
    """The WorkflowDef settings of a ``@workflow`` function (camelCase keys in ``options``)."""

    name: str
    version: int
    options: Mapping[str, object]
    failure_workflow: object  # a workflow function, a WorkflowRef, a name, or None
    location: SourceLocation
