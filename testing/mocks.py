"""Worker behaviour for the simulator: what a mocked worker does on each update of a task.

A :class:`WorkerStep` is one worker update (or the lack of one): Conductor's ``status``,
``output``, ``executionTime`` (poll -> update, ms) and ``queueWaitTime`` (pollable -> poll, ms;
"pollable" is after any retry delay, startDelay or callbackAfterSeconds), plus our extensions:
``reasonForIncompletion``, ``callbackAfterSeconds`` (with IN_PROGRESS: poll me again later, the
next step answers that poll), ``"polled": false`` (nobody polls this attempt) and
``"responds": false`` (polled, never updated). :class:`Mocks` holds the steps per key, a
taskReferenceName or a task name, configured in Conductor's ``taskRefToMockOutput`` format
(:meth:`Mocks.from_conductor`) or in Python (:meth:`Mocks.mock`)::

    sim.mock("upload_toS3").fails(times=2, after=timedelta(seconds=3)).then_completes({"s3Url": "..."})
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import attrs

__all__ = ["WORKER_STATUSES", "MockBuilder", "MockError", "Mocks", "NoMockError", "WorkerStep"]

WORKER_STATUSES = ("COMPLETED", "FAILED", "FAILED_WITH_TERMINAL_ERROR", "IN_PROGRESS", "CANCELED")
"""The statuses a worker may report (TaskResult); the engine sets every other one itself."""

_ENGINE_HINTS = {"SCHEDULED": 'use "polled": false for an attempt no worker polls'}
_ENGINE_HINTS["TIMED_OUT"] = 'Conductor sets it on a timeout: use "responds" or "polled": false'
_STATUSES = {name.replace("_", "").lower(): name for name in WORKER_STATUSES}
_ROOT = "$.taskRefToMockOutput"
_SPEC: dict[str, tuple[str, tuple[type, ...], str]] = {  # JSON field: attribute, types, wanted
    "status": ("status", (str,), 'a string such as "COMPLETED"'),
    "output": ("output", (dict,), "an object ({} for none)"),
    "executionTime": ("execution_ms", (int,), "a whole number of milliseconds"),
    "queueWaitTime": ("queue_wait_ms", (int,), "a whole number of milliseconds"),
    "reasonForIncompletion": ("reason", (str, type(None)), "a string or null"),
    "callbackAfterSeconds": ("callback_after_seconds", (int,), "a whole number of seconds"),
    "polled": ("polled", (bool,), "true or false"),
    "responds": ("responds", (bool,), "true or false"),
}
_OPTIONAL = tuple(_SPEC)[1:6]
_NO_UPDATE = {"polled": "nobody polls this attempt", "responds": "the worker polls, never updates"}
_ALLOWED = {"polled": {"polled"}, "responds": {"polled", "responds", "queueWaitTime"}}
_ALIASES = {"reason": "reasonForIncompletion", "outputData": "output"}
_NORMAL = {name.lower(): name for name in _SPEC}
_FAIL = "mocked failure"
_TERMINAL = "mocked terminal failure"
_REASONS = {"FAILED": _FAIL, "FAILED_WITH_TERMINAL_ERROR": _TERMINAL}
_METHODS = dict(COMPLETED="completes", FAILED="fails", IN_PROGRESS="in_progress")
_METHODS.update(FAILED_WITH_TERMINAL_ERROR="fails_terminally")
_COUNT = [attrs.validators.instance_of(int), attrs.validators.ge(0)]
_ZERO = timedelta(0)
_Out = Mapping[str, Any] | None
# A step without an update keeps these (status, output, execution_ms, reason) defaults.
_NO_FIELDS: tuple[str, dict[str, Any], int, None] = ("COMPLETED", {}, 0, None)


def _as_dict(value: Mapping[str, Any]) -> dict[str, Any]:
    """A fresh dict of ``value``, so that a step never shares the caller's mapping."""
    return dict(value)


@attrs.frozen
class WorkerStep:
    """One worker update of a task, or its absence (``polled``/``responds`` false).

    ``execution_ms`` runs from the poll to the update, ``queue_wait_ms`` from the moment the
    task becomes pollable to the poll. With ``polled=False`` every other field keeps its default
    (the task stays SCHEDULED); with ``responds=False`` only ``queue_wait_ms`` may be set (the
    task stays IN_PROGRESS). ``callback_after_seconds`` is non-zero only with IN_PROGRESS.
    """

    status: str = "COMPLETED"
    output: Mapping[str, Any] = attrs.field(factory=dict, converter=_as_dict, hash=False)
    execution_ms: int = attrs.field(default=0, validator=_COUNT)
    queue_wait_ms: int = attrs.field(default=0, validator=_COUNT)
    reason: str | None = None
    callback_after_seconds: int = attrs.field(default=0, validator=_COUNT)
    polled: bool = True
    responds: bool = True

    def __attrs_post_init__(self) -> None:
        if self.status not in WORKER_STATUSES:
            raise ValueError(f"status must be one of {WORKER_STATUSES}, got {self.status!r}")
        if self.callback_after_seconds and self.status != "IN_PROGRESS":
            raise ValueError("callback_after_seconds needs status IN_PROGRESS")
        fields = (self.status, self.output, self.execution_ms, self.reason)
        if not self.is_update and fields != _NO_FIELDS:
            raise ValueError("a step that sends no update (polled/responds False) has no fields")
        if not self.polled and (self.queue_wait_ms or not self.responds):
            raise ValueError("a step with polled=False has no queue_wait_ms and no responds=False")

    @property
    def is_update(self) -> bool:
        """True when the worker polls and then sends this update."""
        return self.polled and self.responds

    def to_json(self) -> dict[str, Any]:
        """The Conductor-format entry: ``status`` and every non-default field.

        A step without an update is ``{"polled": false}`` or ``{"responds": false}`` (with its
        ``queueWaitTime``): a status would mean nothing there.
        """
        if not self.polled:
            return {"polled": False}
        entry: dict[str, Any] = {"status": self.status} if self.responds else {"responds": False}
        for key in _OPTIONAL:
            value = getattr(self, _SPEC[key][0])
            if value not in (0, {}, None):
                entry[key] = dict(value) if key == "output" else value
        return entry


class MockError(ValueError):
    """A malformed mock configuration: ``str(err)`` is ``"{path}: {message}"``.

    ``path`` is the JSON path of the offending value; ``message`` says what is wrong and how to fix it.
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class NoMockError(LookupError):
    """A worker task asked for an update the mocks do not provide (never a silent RUNNING)."""

    def __init__(self, ref: str, attempt: int, message: str) -> None:
        super().__init__(f"task '{ref}', attempt {attempt}: {message}")
        self.ref, self.attempt, self.message = ref, attempt, message


def _child(path: str, key: object) -> str:
    """JSON path of member ``key`` of the object at ``path``."""
    text = key if isinstance(key, str) else str(key)
    return f"{path}.{text}" if text.isidentifier() else f"{path}[{json.dumps(text)}]"


def _shape(value: Any) -> str:
    """A short description of a JSON value, for error messages."""
    if value is None or isinstance(value, list | dict):
        return {type(None): "null", list: "a list", dict: "an object"}[type(value)]
    kinds = {str: "a string", int: "a number", float: "a number", bool: "a boolean"}
    shown = json.dumps(value) if isinstance(value, bool) else repr(value)
    return f"{kinds.get(type(value), 'a ' + type(value).__name__)} ({shown})"


def _did_you_mean(word: str, choices: Mapping[str, str]) -> str:
    """'did you mean X?' for the closest of ``choices`` (normalized form -> name), else a list."""
    close = difflib.get_close_matches(word.replace("_", "").lower(), choices, n=1)
    if not close:
        return f"use one of {', '.join(choices.values())}"
    return f"did you mean '{choices[close[0]]}'?"


def _parse_entry(entry: Any, path: str) -> WorkerStep:
    """One Conductor-format entry, strictly validated."""
    if not isinstance(entry, dict):
        raise MockError(path, f'must be an object like {{"status": "FAILED"}}, got {_shape(entry)}')
    for key, value in entry.items():
        spec = _SPEC.get(key)
        if spec is None:
            alias = _ALIASES.get(str(key))
            hint = f"did you mean '{alias}'?" if alias else _did_you_mean(str(key), _NORMAL)
            raise MockError(_child(path, key), f"unknown field '{key}'; {hint}")
        _, types, what = spec
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise MockError(_child(path, key), f"must be {what}, got {_shape(value)}")
        if type(value) is int and value < 0:
            why = f"must not be negative, got {value}; use 0 for none"
            raise MockError(_child(path, key), why)
    for flag, allowed in _ALLOWED.items():
        extra = [k for k in entry if k not in allowed] if entry.get(flag) is False else []
        if extra:
            why = f'has no effect when "{flag}" is false ({_NO_UPDATE[flag]}); remove it'
            raise MockError(_child(path, extra[0]), why)
    status = entry.get("status", "COMPLETED")
    if status not in WORKER_STATUSES:
        hint = _ENGINE_HINTS.get(status) or _did_you_mean(status, _STATUSES)
        raise MockError(_child(path, "status"), f'a worker cannot report "{status}"; {hint}')
    if entry.get("callbackAfterSeconds") and status != "IN_PROGRESS":
        why = f'needs "status": "IN_PROGRESS" (poll me again later), not "{status}"'
        raise MockError(_child(path, "callbackAfterSeconds"), why)
    return WorkerStep(**{_SPEC[key][0]: value for key, value in entry.items()})


def _millis(value: timedelta, what: str, unit: int = 1) -> int:
    """``value`` in whole milliseconds (``unit=1000``: whole seconds, returned in seconds)."""
    if not isinstance(value, timedelta):
        raise TypeError(f"{what} must be a datetime.timedelta, got {type(value).__name__}")
    if value < _ZERO:
        raise ValueError(f"{what} must not be negative, got {value!r}")
    micros = value // timedelta(microseconds=1)
    if micros % (1000 * unit):
        name = "milliseconds" if unit == 1 else "seconds"
        raise ValueError(f"{what} must be a whole number of {name}, got {value!r}")
    return micros // (1000 * unit)


def _update(status: str, after: timedelta, output: _Out, reason: str | None = None) -> WorkerStep:
    """A builder's update step, its arguments checked."""
    if reason is not None and not isinstance(reason, str):
        raise TypeError(f"reason must be a str, got {reason!r}")
    if output is not None and not isinstance(output, Mapping):
        raise TypeError(f"output must be a mapping (or None), got {output!r}")
    return WorkerStep(status, output or {}, _millis(after, "after"), reason=reason)


class MockBuilder:
    """The Python form of one key's worker behaviour; every method appends a step and returns self.

    ``after`` is the execution time (poll -> update). The last step repeats forever.
    """

    def __init__(self, key: str, steps: tuple[WorkerStep, ...] = (), exact: bool = False) -> None:
        self.key = key
        self.exact = exact  # a Conductor-format list: used up after its last step, no repeat
        self._steps = list(steps)
        self._frozen: tuple[WorkerStep, ...] | None = None
        self._queue_wait_ms = 0
        # Steps served (Mocks.next_step): the first cursor, (scope, ref), in three plain fields
        # (most builders only ever serve one), any other in the dict.
        self._scope: str | None = None
        self._ref = ""
        self._count = 0
        self._served: dict[tuple[str, str], int] = {}

    def _used(self) -> int:
        """The most steps served to one cursor."""
        return max(self._count, *self._served.values()) if self._served else self._count

    @property
    def steps(self) -> tuple[WorkerStep, ...]:
        """The steps configured so far, in order."""
        if self._frozen is None or len(self._frozen) != len(self._steps):
            self._frozen = tuple(self._steps)  # copied once per change, not per call
        return self._frozen

    def _add(self, step: WorkerStep, times: int = 1) -> MockBuilder:
        self._steps.append(attrs.evolve(step, queue_wait_ms=self._queue_wait_ms))
        self._steps.extend([step] * (times - 1))
        self._queue_wait_ms = 0
        return self

    def completes(self, output: _Out = None, *, after: timedelta = _ZERO) -> MockBuilder:
        """The worker completes the task with ``output``."""
        return self._add(_update("COMPLETED", after, output))

    then_completes = completes

    def fails(
        self, times: int = 1, *, after: timedelta = _ZERO, reason: str = _FAIL, output: _Out = None
    ) -> MockBuilder:
        """The worker fails (FAILED, retriable) on ``times`` consecutive updates."""
        if isinstance(times, bool) or not isinstance(times, int):
            raise TypeError(f"times must be an int, got {times!r}")
        if times < 1:
            raise ValueError(f"times must be at least 1, got {times}")
        return self._add(_update("FAILED", after, output, reason), times)

    then_fails = fails

    def fails_terminally(
        self, reason: str = _TERMINAL, *, after: timedelta = _ZERO, output: _Out = None
    ) -> MockBuilder:
        """The worker reports FAILED_WITH_TERMINAL_ERROR: no retry."""
        return self._add(_update("FAILED_WITH_TERMINAL_ERROR", after, output, reason))

    def in_progress(
        self, callback_after: timedelta, *, after: timedelta = _ZERO, output: _Out = None
    ) -> MockBuilder:
        """The worker reports IN_PROGRESS and asks to be polled again after ``callback_after``."""
        seconds = _millis(callback_after, "callback_after", unit=1000)
        step = _update("IN_PROGRESS", after, output)
        return self._add(attrs.evolve(step, callback_after_seconds=seconds))

    def times_out(self) -> MockBuilder:
        """The worker polls, then never updates (response and task timeouts)."""
        return self._add(WorkerStep(responds=False))

    def never_polled(self) -> MockBuilder:
        """No worker polls this attempt (poll and workflow timeouts)."""
        if self._queue_wait_ms:
            raise ValueError("waits_in_queue() cannot precede never_polled(): nothing polls")
        return self._add(WorkerStep(polled=False))

    def waits_in_queue(self, delay: timedelta) -> MockBuilder:
        """The next added step is polled ``delay`` after the task becomes pollable."""
        self._queue_wait_ms = _millis(delay, "delay")
        return self


def _lit(value: Any) -> str:
    """``value`` as a Python literal, written JSON-style (double-quoted strings)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_lit(k)}: {_lit(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_lit(v) for v in value) + "]"
    return repr(value)


def _td(ms: int) -> str:
    """Milliseconds as a ``timedelta(...)`` expression."""
    return f"timedelta(seconds={ms // 1000})" if ms % 1000 == 0 else f"timedelta(milliseconds={ms})"


def _call(step: WorkerStep, run: int, first: bool) -> str:
    """The builder call that appends ``run`` copies of ``step``."""
    if not step.is_update:
        return "times_out()" if step.polled else "never_polled()"
    args = [f"times={run}"] if run > 1 else []
    if step.status == "IN_PROGRESS":
        args.append(_td(step.callback_after_seconds * 1000))
    if step.reason != _REASONS.get(step.status):
        args.append(f"reason={_lit(step.reason)}")
    if step.output:
        args.append(("" if step.status == "COMPLETED" else "output=") + _lit(step.output))
    if step.execution_ms:
        args.append(f"after={_td(step.execution_ms)}")
    then = "" if first or step.status not in ("COMPLETED", "FAILED") else "then_"
    return f"{then}{_METHODS[step.status]}({', '.join(args)})"


def _chain(key: str, steps: tuple[WorkerStep, ...]) -> str:
    """``sim.mock(key)`` followed by the calls that rebuild ``steps``."""
    calls: list[str] = []
    i = 0
    while i < len(steps):
        step, run = steps[i], 1
        if step.queue_wait_ms:
            calls.append(f"waits_in_queue({_td(step.queue_wait_ms)})")
        same = attrs.evolve(step, queue_wait_ms=0)
        while step.status == "FAILED" and steps[i + run : i + run + 1] == (same,):
            run += 1
        calls.append(_call(step, run, first=i == 0))
        i += run
    return f"sim.mock({_lit(key)})" + "".join("." + c for c in calls)


class Mocks:
    """Worker behaviour for a simulation, by taskReferenceName or by task name.

    A task finds its steps under its ref first, then under its task name; either kind of key
    serves every ref it matches, each ref with its own cursor that advances by one step per
    :meth:`next_step` call (one call per worker update, an unpolled or unanswered attempt
    included). Conductor-format lists are exact: once a ref has used them up, ``next_step``
    returns None (:meth:`require` raises). A Python builder's last step repeats forever, so
    ``sim.mock("x").completes(out)`` answers every attempt. Configuring a key again replaces
    its previous behaviour and resets its cursors.

    :meth:`to_conductor` writes builders in Conductor format with their steps, the last one
    repeated as often as any ref has already used it: replayed, the lists reproduce the run.
    :meth:`describe` writes Python lines that assume ``sim`` and ``datetime.timedelta``.
    """

    def __init__(self) -> None:
        self._sources: dict[str, MockBuilder] = {}

    @classmethod
    def from_conductor(cls, task_ref_to_mock_output: Any, *, path: str = _ROOT) -> Mocks:
        """Mocks from Conductor's ``taskRefToMockOutput``, strictly validated (MockError)."""
        return cls().load_conductor(task_ref_to_mock_output, path=path)

    def load_conductor(self, task_ref_to_mock_output: Any, *, path: str = _ROOT) -> Mocks:
        """Add (or replace) the keys of a Conductor-format mapping; all or nothing. Returns self."""
        data = task_ref_to_mock_output
        if not isinstance(data, dict):
            why = f"must be an object: taskReferenceName -> list of entries, got {_shape(data)}"
            raise MockError(path, why)
        parsed: dict[str, tuple[WorkerStep, ...]] = {}
        for key, entries in data.items():
            where = _child(path, key)
            if not isinstance(key, str) or not key:
                raise MockError(where, "a key must be a taskReferenceName or a task name")
            if not isinstance(entries, list) or not entries:
                got = "an empty list" if entries == [] else _shape(entries)
                raise MockError(where, f"must be a list of entries, one per update, got {got}")
            parsed[key] = tuple(_parse_entry(e, f"{where}[{i}]") for i, e in enumerate(entries))
        for key, steps in parsed.items():
            self._set(key, MockBuilder(key, steps, exact=True))
        return self

    def mock(self, key: str) -> MockBuilder:
        """A fresh builder for ``key`` (a ref or a task name), replacing any earlier behaviour."""
        if not isinstance(key, str):
            raise TypeError(f"mock() takes a taskReferenceName or task name (str), got {key!r}")
        if not key:
            raise ValueError("mock() needs a non-empty taskReferenceName or task name")
        builder = MockBuilder(key)
        self._set(key, builder)
        return builder

    def _set(self, key: str, source: MockBuilder) -> None:
        self._sources.pop(key, None)
        self._sources[key] = source  # a new builder: its cursors start at 0

    def _find(self, ref: str, task_name: str) -> MockBuilder | None:
        for key in (ref, task_name):
            source = self._sources.get(key)
            if source is not None and source._steps:
                return source
        return None

    def has(self, ref: str, task_name: str) -> bool:
        """True when steps are configured for ``ref`` or ``task_name`` (used up or not)."""
        return self._find(ref, task_name) is not None

    def next_step(
        self, ref: str, task_name: str, attempt: int, scope: str = ""
    ) -> WorkerStep | None:
        """The step for the next worker update of task ``ref``; None if none is configured or left.

        ``attempt`` (however the caller counts attempts) only names it in :meth:`require`'s error.
        ``scope`` (a workflow instance) gives each instance its own cursor, so two runs of one
        sub-workflow each see the whole script.
        """
        sources = self._sources
        source = sources.get(ref)
        if source is None or not source._steps:
            source = sources.get(task_name)
            if source is None or not source._steps:
                return None
        steps = source._steps  # the live list: no tuple copy on this per-attempt path
        if source._scope is None:  # the builder's first cursor
            source._scope, source._ref = scope, ref
        if source._scope == scope and source._ref == ref:
            index = source._count
            if source.exact and index >= len(steps):
                return None
            source._count = index + 1
        else:
            served = source._served
            cursor = (scope, ref)
            index = served.get(cursor, 0)
            if source.exact and index >= len(steps):
                return None
            served[cursor] = index + 1
        return steps[index] if index < len(steps) else steps[-1]

    def require(self, ref: str, task_name: str, attempt: int) -> WorkerStep:
        """Like :meth:`next_step`, but a missing step raises NoMockError naming the ref and attempt."""
        step = self.next_step(ref, task_name, attempt)
        if step is not None:
            return step
        found = self._find(ref, task_name)
        if found is None:
            why = f'nothing mocks it or its task name "{task_name}"; add sim.mock("{ref}")...'
        else:
            count = len(found.steps)
            why = f'the {count} entries under "{found.key}" are used up; add entry {count + 1}'
        raise NoMockError(ref, attempt, why)

    def to_conductor(self) -> dict[str, list[dict[str, Any]]]:
        """The configuration in Conductor's ``taskRefToMockOutput`` format (see the class docstring)."""
        result: dict[str, list[dict[str, Any]]] = {}
        for key, source in self._sources.items():
            steps = list(source.steps)
            used = source._used()
            if steps:
                steps += [steps[-1]] * (used - len(steps))
                result[key] = [step.to_json() for step in steps]
        return result

    def snapshot(self) -> Mocks:
        """A copy of the configured steps that later configuration does not change (no cursors)."""
        copy = Mocks()
        copy._sources = {
            key: MockBuilder(key, source.steps, source.exact)
            for key, source in self._sources.items()
        }
        return copy

    def describe(self) -> list[str]:
        """Pasteable Python lines (on ``sim``, with ``timedelta``) that rebuild this configuration."""
        lines: list[str] = []
        for key, source in self._sources.items():
            if source.exact:
                entries = [step.to_json() for step in source.steps]
                lines.append(f"sim.load_conductor({_lit({key: entries})})")
            elif source.steps:
                lines.append(_chain(key, source.steps))
        return lines

    def __repr__(self) -> str:
        return f"Mocks({'; '.join(self.describe())})"
