"""The tracer: records the steps a workflow function makes while it is traced once.

A ``Tracer`` exists only for the length of :func:`trace`; it is held in a
ContextVar so that task calls inside the workflow function find it, and is
passed explicitly everywhere else. It names references deterministically
(the task name, then ``_2``, ``_3`` in call order) and collects problems so
that one trace reports all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from flowdsl.errors import FlowError, Problem, SourceLocation

if TYPE_CHECKING:
    from flowdsl.nodes import Step

__all__ = ["NotTracingError", "Tracer", "active", "current"]

_ACTIVE: ContextVar[Tracer | None] = ContextVar("flowdsl_tracer", default=None)
_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def _clean(base: str) -> str:
    """``base`` with characters a taskReferenceName should not hold replaced by '_'."""
    if all(c in _SAFE for c in base) and "__" not in base:
        return base.strip("_") or "task"
    out = "".join(c if c in _SAFE else "_" for c in base)
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_") or "task"


class NotTracingError(FlowError, RuntimeError):
    """A task or combinator was called outside a workflow being compiled."""


class Tracer:
    """Collects the steps, reference names and problems of one workflow trace."""

    def __init__(self, workflow_name: str) -> None:
        self.workflow_name = workflow_name
        self.problems: list[Problem] = []
        self._lists: list[list[Step]] = [[]]
        self._taken: set[str] = set()
        self._next_index: dict[str, int] = {}
        self._clean_names: dict[str, str] = {}
        # Task functions and workflows met while tracing, in first-use order (for TaskDefs).
        self.task_functions: dict[str, Any] = {}
        # Workflow functions started with start_workflow(), in call order (compiled along).
        self.started: list[Any] = []

    @property
    def steps(self) -> list[Step]:
        """The step list currently being appended to."""
        return self._lists[-1]

    def add(self, step: Step) -> None:
        """Append ``step`` to the current list."""
        self._lists[-1].append(step)

    def report(self, problem: Problem) -> None:
        """Record a problem; tracing goes on so that every problem is reported at once."""
        self.problems.append(problem)

    def trace_branch(self, fn: Callable[[], Any]) -> tuple[list[Step], Any]:
        """Run ``fn`` with a fresh step list; return (its steps, its return value)."""
        self._lists.append([])
        try:
            result = fn()
        finally:
            steps = self._lists.pop()
        return steps, result

    def new_ref(self, base: str, explicit: str | None, location: SourceLocation) -> str:
        """Return the reference name for a new step.

        An explicit name is used as given (checked for ``__``, which breaks
        DO_WHILE iteration suffixes); otherwise ``base``, then ``base_2``,
        ``base_3`` ... the first not taken yet.
        """
        if explicit is not None:
            if not isinstance(explicit, str) or not explicit.strip():
                self.report(
                    Problem(
                        f"ref={explicit!r} is not a usable taskReferenceName",
                        code="bad-ref",
                        location=location,
                        hint="Pass a non-empty string such as ref='resize_jpg'.",
                    )
                )
                explicit = "invalid_ref"
            elif "__" in explicit:
                self.report(
                    Problem(
                        f"taskReferenceName '{explicit}' contains '__'",
                        code="bad-ref",
                        location=location,
                        task=explicit,
                        hint=(
                            "Conductor appends '__N' to references inside DO_WHILE loops and "
                            "splits on '__', so use single underscores."
                        ),
                    )
                )
            self._taken.add(explicit)
            return explicit
        clean = self._clean_names.get(base)
        if clean is None:
            clean = self._clean_names[base] = _clean(base)
        index = self._next_index.get(clean, 1)
        name = clean if index == 1 else f"{clean}_{index}"
        while name in self._taken:
            index += 1
            name = f"{clean}_{index}"
        self._next_index[clean] = index + 1
        self._taken.add(name)
        return name


def active() -> Tracer | None:
    """The tracer of the workflow being traced, or None."""
    return _ACTIVE.get()


def current(what: str) -> Tracer:
    """The active tracer; raise a clear error when ``what`` is called outside a workflow."""
    tracer = _ACTIVE.get()
    if tracer is None:
        msg = (
            f"{what} was called outside a workflow function being compiled. Task calls and "
            f"combinators only describe steps of a @workflow function; compile it with "
            f"compiler.compile_workflow(fn). To run a task's code directly (for a unit test), "
            f"call its .fn attribute: my_task.fn(...)."
        )
        raise NotTracingError(msg)
    return tracer


@contextmanager
def tracing(tracer: Tracer) -> Iterator[Tracer]:
    """Make ``tracer`` the active one for the ``with`` block."""
    token = _ACTIVE.set(tracer)
    try:
        yield tracer
    finally:
        _ACTIVE.reset(token)
