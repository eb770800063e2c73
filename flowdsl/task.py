"""``@task``: turns a Python function into a Conductor worker task.

The decorated object keeps the real function as ``.fn`` (run it directly in
unit tests and as the simulator's worker). Called inside a ``@workflow``
function it records a SIMPLE task and returns a :class:`Handle`.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Callable, Mapping
from typing import Any, Generic, ParamSpec, TypeVar, overload

from flowdsl import _trace
from flowdsl.errors import Problem, SourceLocation, caller_location
from flowdsl.handle import Handle
from flowdsl.nodes import NO_OPTIONS, CallOptions, TaskCall
from flowdsl.ref import OutputSchema
from flowdsl.spec import TASK_DEF_OPTIONS, OptionError, TaskSpec, coerce_options, duration_seconds

__all__ = ["TaskFunction", "output_schema", "task"]

P = ParamSpec("P")
R = TypeVar("R")

_UNSET: Any = object()
# Return annotations that never declare output keys (checked on the annotation's text).
_OPAQUE = frozenset(
    {
        "dict",
        "Dict",
        "typing.Dict",
        "Mapping",
        "Any",
        "typing.Any",
        "None",
        "object",
        "list",
        "List",
        "str",
        "int",
        "float",
        "bool",
    }
)


def _fields_of(tp: Any) -> dict[str, Any] | None:
    """Declared keys -> their types, for a TypedDict, dataclass or attrs class; else None."""
    if not isinstance(tp, type):
        return None
    try:
        if typing.is_typeddict(tp):
            return dict(typing.get_type_hints(tp))
        if dataclasses.is_dataclass(tp):
            hints = typing.get_type_hints(tp)
            return {f.name: hints.get(f.name) for f in dataclasses.fields(tp)}
        if hasattr(tp, "__attrs_attrs__"):
            import attrs

            hints = typing.get_type_hints(tp)
            return {a.name: hints.get(a.name, a.type) for a in attrs.fields(tp)}
    except Exception:  # unresolvable forward references: treat the output as undeclared
        return None
    return None


def output_schema(tp: Any, depth: int = 0) -> OutputSchema | None:
    """The output keys a return annotation declares (nested), or None when it declares none."""
    fields = _fields_of(tp)
    if fields is None or depth > 6:
        return None
    return {name: output_schema(sub, depth + 1) for name, sub in fields.items()}


def _location_of(fn: Callable[..., Any]) -> SourceLocation:
    """Where ``fn`` is defined (its first decorator line), or the caller's line."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return caller_location()
    return SourceLocation(code.co_filename, code.co_firstlineno)


class TaskFunction(Generic[P, R]):
    """A ``@task`` function. Call it inside a workflow; ``.fn`` is the plain function."""

    def __init__(self, fn: Callable[P, R], spec: TaskSpec) -> None:
        self.fn = fn
        self.spec = spec
        functools.update_wrapper(self, fn)
        import inspect

        sig = inspect.signature(fn)
        self._params: list[str] = []
        self._required: set[str] = set()
        self._var_kw = False
        for p in sig.parameters.values():
            if p.kind is p.VAR_POSITIONAL:
                msg = (
                    f"task '{spec.name}' takes *{p.name}; Conductor task inputs are named, "
                    f"so declare each input as a parameter (or take **kwargs)"
                )
                raise OptionError(msg, spec.location)
            if p.kind is p.VAR_KEYWORD:
                self._var_kw = True
                continue
            self._params.append(p.name)
            if p.default is p.empty:
                self._required.add(p.name)
        self._param_set = frozenset(self._params)
        self._schema: OutputSchema | None = _UNSET

    @property
    def name(self) -> str:
        """The Conductor task name (TaskDef name)."""
        return self.spec.name

    def _output_schema(self) -> OutputSchema | None:
        if self._schema is _UNSET:
            raw = getattr(self.fn, "__annotations__", {}).get("return")
            if isinstance(raw, str) and raw.split("[", 1)[0].strip() in _OPAQUE:
                self._schema = None  # dict[...], Any, None ...: declares no keys; skip evaluating
                return None
            try:
                hints = typing.get_type_hints(self.fn)
            except Exception:
                hints = {}
            self._schema = output_schema(hints.get("return"))
        return self._schema

    def _bind(
        self,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        where: SourceLocation,
        tracer: _trace.Tracer,
    ) -> dict[str, Any]:
        if not args and self._param_set.issuperset(kwargs) and self._required.issubset(kwargs):
            return kwargs  # the common case: every input by keyword, all known, none missing
        inputs: dict[str, Any] = {}
        params = self._params
        if len(args) > len(params):
            tracer.report(
                Problem(
                    f"task '{self.name}' takes {len(params)} inputs but {len(args)} were given positionally",
                    code="bad-call",
                    location=where,
                    hint=f"Inputs: {', '.join(params)}.",
                )
            )
        for name, value in zip(params, args, strict=False):
            inputs[name] = value
        for name, value in kwargs.items():
            if name in inputs:
                tracer.report(
                    Problem(
                        f"task '{self.name}' got input '{name}' twice",
                        code="bad-call",
                        location=where,
                    )
                )
            elif not self._var_kw and name not in params:
                import difflib

                close = difflib.get_close_matches(name, params, n=1)
                tracer.report(
                    Problem(
                        f"task '{self.name}' has no input '{name}'",
                        code="bad-call",
                        location=where,
                        hint=f"Did you mean '{close[0]}'?"
                        if close
                        else f"Inputs: {', '.join(params)}.",
                    )
                )
            inputs[name] = value
        missing = [p for p in params if p in self._required and p not in inputs]
        if missing:
            tracer.report(
                Problem(
                    f"task '{self.name}' is missing input{'s' if len(missing) > 1 else ''} "
                    f"{', '.join(repr(m) for m in missing)}",
                    code="bad-call",
                    location=where,
                    hint="Pass every parameter without a default value.",
                )
            )
        return inputs

    def _call(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], options: CallOptions, ref: str | None
    ) -> Handle[R]:
        tracer = _trace.active() or _trace.current(f"task '{self.name}'")
        where = caller_location()
        inputs = self._bind(args, kwargs, where, tracer)
        ref_name = tracer.new_ref(self.name, ref, where)
        tracer.task_functions.setdefault(self.name, self)
        tracer.add(TaskCall(ref_name, where, options, self.spec, inputs))
        return Handle(ref_name, "SIMPLE", self._output_schema())

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Handle[R]:
        return self._call(args, kwargs, NO_OPTIONS, None)  # **kwargs is already a fresh dict

    def options(
        self,
        *,
        ref: str | None = None,
        optional: bool | None = None,
        permissive: bool | None = None,
        start_delay: int | Any = None,
        retry_count: int | None = None,
        description: str | None = None,
        task_def: Mapping[str, Any] | None = None,
    ) -> Callable[P, Handle[R]]:
        """Per-call settings; returns a callable taking the task's inputs.

        Example: ``convert_resize.options(ref="resize_jpg", optional=True)(file, "jpg", 300, 300)``.
        ``task_def=dict(retry_count=..., ...)`` (the ``@task`` option names) embeds a TaskDef in
        this call's WorkflowTask (``taskDefinition``): Conductor then uses it instead of the
        registered one, for this call only.
        """
        try:
            delay = None if start_delay is None else duration_seconds(start_delay, "start_delay")
            inline = (
                None if task_def is None else coerce_options(task_def, TASK_DEF_OPTIONS, "task_def")
            )
        except OptionError as err:
            raise OptionError(str(err), caller_location()) from None
        opts = CallOptions(
            optional=optional,
            permissive=permissive,
            start_delay=delay,
            retry_count=retry_count,
            description=description,
            task_definition=inline,
        )

        def call(*args: P.args, **kwargs: P.kwargs) -> Handle[R]:
            return self._call(args, dict(kwargs), opts, ref)

        return call

    def __repr__(self) -> str:
        return f"<task {self.name!r} ({self.fn.__module__}.{self.fn.__qualname__})>"


@overload
def task(fn: Callable[P, R], /) -> TaskFunction[P, R]: ...


@overload
def task(
    *, name: str | None = None, **options: Any
) -> Callable[[Callable[P, R]], TaskFunction[P, R]]: ...


def task(fn: Callable[P, R] | None = None, /, *, name: str | None = None, **options: Any) -> Any:
    """Declare a worker task. Every TaskDef field is an option under its snake_case name.

    Example::

        @task(name="image_convert_resize", retry_count=3, retry_logic="EXPONENTIAL_BACKOFF",
              retry_delay_seconds=5, timeout_seconds=300, response_timeout_seconds=30)
        def convert_resize(file_location: str, output_format: str) -> dict[str, str]: ...

    Durations take int seconds or ``timedelta``; enums the Conductor string or
    :class:`RetryLogic` / :class:`TimeoutPolicy`. ``name`` defaults to the function name.

    Raises:
        OptionError: an unknown option or a value of the wrong kind.
    """
    where = caller_location()
    try:
        coerced = coerce_options(options, TASK_DEF_OPTIONS, "@task")
    except OptionError as err:
        raise OptionError(str(err), where) from None

    def decorate(f: Callable[P, R]) -> TaskFunction[P, R]:
        if not callable(f):
            msg = f"@task decorates a function, not {type(f).__name__}"
            raise OptionError(msg, where)
        spec = TaskSpec(name or f.__name__, coerced, _location_of(f))
        return TaskFunction(f, spec)

    if fn is not None:
        return decorate(fn)
    return decorate
