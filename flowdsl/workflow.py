"""``@workflow``: a Python function traced once into a Conductor workflow.

The function's parameters are the workflow inputs (``${workflow.input.<param>}``);
the dict it returns becomes ``outputParameters``. Nothing happens at
decoration time beyond checking options: tracing is explicit
(:meth:`WorkflowFunction.trace`, called by the compiler).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar, overload

from flowdsl import _trace
from flowdsl.errors import Problem, SymbolicValueError, caller_location
from flowdsl.handle import Handle
from flowdsl.nodes import WorkflowIR
from flowdsl.ref import Ref
from flowdsl.spec import WORKFLOW_OPTIONS, OptionError, WorkflowSpec, coerce_options

__all__ = ["WorkflowFunction", "WorkflowRef", "external_workflow", "workflow"]

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class WorkflowRef:
    """A workflow defined elsewhere (another team's, or only on the server), by name and version.

    ``version=None`` means the latest version registered on the server.
    """

    name: str
    version: int | None = None


def external_workflow(name: str, version: int | None = None) -> WorkflowRef:
    """Refer to a workflow that has no Python function here, for ``sub_workflow``,
    ``dynamic_fork``, ``start_workflow`` or ``failure_workflow``.

    Example: ``sub_workflow(external_workflow("payments_charge", 3), amount=total)``.
    """
    if not isinstance(name, str) or not name:
        msg = f"external_workflow needs a workflow name, got {name!r}"
        raise OptionError(msg, caller_location())
    return WorkflowRef(name, version)


class WorkflowFunction(Generic[P, R]):
    """A ``@workflow`` function. Compile it with ``compiler.compile_workflow(fn)``."""

    def __init__(self, fn: Callable[P, R], spec: WorkflowSpec) -> None:
        self.fn = fn
        self.spec = spec
        functools.update_wrapper(self, fn)
        self.params: tuple[str, ...] = ()
        defaults: dict[str, Any] = {}
        names: list[str] = []
        import inspect

        for p in inspect.signature(fn).parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                msg = (
                    f"workflow '{spec.name}' takes {'*' if p.kind is p.VAR_POSITIONAL else '**'}"
                    f"{p.name}; declare each workflow input as a named parameter"
                )
                raise OptionError(msg, spec.location)
            names.append(p.name)
            if p.default is not p.empty:
                defaults[p.name] = p.default
        self.params = tuple(names)
        self.param_defaults: Mapping[str, Any] = defaults

    @property
    def name(self) -> str:
        """The workflow name."""
        return self.spec.name

    @property
    def version(self) -> int:
        """The workflow version."""
        return self.spec.version

    def trace(self) -> WorkflowIR:
        """Run the function once with symbolic inputs and return what it describes."""
        tracer = _trace.Tracer(self.name)
        inputs = {p: Ref(f"workflow.input.{p}") for p in self.params}
        with _trace.tracing(tracer):
            call: Any = self.fn
            try:
                result: Any = call(**inputs)
            except SymbolicValueError as err:
                if not tracer.problems or err.problems:
                    raise
                # Tracing cannot go on past this line; report what was found before it too.
                raise SymbolicValueError(err.message, err.location, tracer.problems) from None
        outputs: Mapping[str, Any] | None
        if result is None:
            outputs = None
        elif isinstance(result, Mapping):
            outputs = dict(result)
        else:
            what = "a task handle" if isinstance(result, Handle) else type(result).__name__
            tracer.report(
                Problem(
                    f"workflow '{self.name}' returns {what}; the returned value becomes the "
                    f"workflow's outputParameters, which must be a dict",
                    code="bad-output",
                    location=self.spec.location,
                    hint="Return a dict such as {'url': upload.output['s3Url']}, or None.",
                )
            )
            outputs = None
        return WorkflowIR(
            spec=self.spec,
            steps=tuple(tracer.steps),
            outputs=outputs,
            params=self.params,
            param_defaults=self.param_defaults,
            problems=tuple(tracer.problems),
            task_functions=dict(tracer.task_functions),
            started=tuple(tracer.started),
        )

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        tracer = _trace.active()
        if tracer is not None:
            msg = (
                f"workflow '{self.name}' was called like a task inside workflow "
                f"'{tracer.workflow_name}'. Use flowdsl.sub_workflow({self.fn.__name__}, ...) to "
                f"run it as a SUB_WORKFLOW task."
            )
        else:
            msg = (
                f"workflow '{self.name}' is a description, not code to run. Compile it with "
                f"compiler.compile_workflow({self.fn.__name__}) or simulate it with the testing package."
            )
        raise _trace.NotTracingError(f"{caller_location()}: {msg}")

    def __repr__(self) -> str:
        return f"<workflow {self.name!r} v{self.version}>"


@overload
def workflow(fn: Callable[P, R], /) -> WorkflowFunction[P, R]: ...


@overload
def workflow(
    *,
    name: str | None = None,
    version: int = 1,
    failure_workflow: object = None,
    **options: Any,
) -> Callable[[Callable[P, R]], WorkflowFunction[P, R]]: ...


def workflow(
    fn: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    version: int = 1,
    failure_workflow: object = None,
    **options: Any,
) -> Any:
    """Declare a workflow.

    Options: ``name`` (default: the function name), ``version`` (default 1),
    ``description``, ``timeout_seconds`` (int or timedelta), ``timeout_policy``
    (``TIME_OUT_WF`` unless given when a timeout is set), ``failure_workflow``
    (a workflow function, :func:`external_workflow` or a name), ``restartable``,
    ``owner_email``, ``variables``, ``input_template``.

    Raises:
        OptionError: an unknown option or a value of the wrong kind.
    """
    where = caller_location()
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise OptionError(f"version={version!r} must be an int >= 1", where)
    try:
        coerced = coerce_options(options, WORKFLOW_OPTIONS, "@workflow")
    except OptionError as err:
        raise OptionError(str(err), where) from None

    def decorate(f: Callable[P, R]) -> WorkflowFunction[P, R]:
        code = getattr(f, "__code__", None)
        location = where
        if code is not None:
            from flowdsl.errors import SourceLocation

            location = SourceLocation(code.co_filename, code.co_firstlineno)
        spec = WorkflowSpec(name or f.__name__, version, coerced, failure_workflow, location)
        return WorkflowFunction(f, spec)

    if fn is not None:
        return decorate(fn)
    return decorate
