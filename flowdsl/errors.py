"""Errors and source locations shared by every flowdsl layer.

A leaf module: it imports nothing from the rest of the project. Every error
says *what* is wrong, *where* (``file:line`` of the user's call, or a JSON
path), *why* when it is not obvious, and *how to fix it*, and carries those
pieces as attributes so that tools can read them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "FlowError",
    "Problem",
    "SourceLocation",
    "SymbolicValueError",
    "WorkflowDefinitionError",
    "caller_location",
    "display_path",
]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class SourceLocation(NamedTuple):
    """A place in the user's source code: a file and a line.

    ``file`` is shown relative to the working directory when the file lies below it;
    that is computed only when an error is shown, so tracing stays cheap. (A NamedTuple:
    one is made per task call, and a tuple is the cheapest immutable value to build.)
    """

    path: str
    line: int

    @property
    def file(self) -> str:
        """The file, relative to the working directory when it lies below it."""
        return display_path(self.path)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


_DISPLAY: dict[tuple[str, str], str] = {}


def display_path(path: str) -> str:
    """``path`` relative to the working directory when it lies below it."""
    if path.startswith("<"):
        return path
    key = (os.getcwd(), path)
    shown = _DISPLAY.get(key)
    if shown is None:
        try:
            rel = os.path.relpath(path)
        except ValueError:  # pragma: no cover - different drive on Windows
            rel = path
        shown = path if rel.startswith("..") else rel
        if len(_DISPLAY) < 4096:  # a memo of a pure function, bounded
            _DISPLAY[key] = shown
    return shown


def caller_location(extra_skip: int = 0) -> SourceLocation:
    """Return the location of the innermost frame outside the flowdsl package.

    Frames of flowdsl itself (and of ``extra_skip`` further frames) are passed
    over so that errors point at the line the user wrote.
    """
    frame = sys._getframe(1)
    if not extra_skip:  # the usual case: the first frame outside flowdsl
        while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
            frame = frame.f_back  # type: ignore[assignment]
        if frame is None:
            return SourceLocation("<unknown>", 0)
        return SourceLocation(frame.f_code.co_filename, frame.f_lineno)
    skipped = 0
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_PACKAGE_DIR):
            if skipped >= extra_skip:
                return SourceLocation(filename, frame.f_lineno)
            skipped += 1
        frame = frame.f_back  # type: ignore[assignment]
    return SourceLocation("<unknown>", 0)


class FlowError(Exception):
    """Base class of every error raised by flowdsl, its compiler and its simulator."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in a workflow definition.

    Attributes:
        message: what is wrong and why.
        location: the user's source line, when the definition came from Python.
        json_path: where in the Conductor JSON the problem sits (``$.tasks[2].inputParameters``).
        hint: how to fix it.
        workflow: the workflow's name.
        task: the taskReferenceName concerned, if any.
        code: a short stable identifier of the rule (``duplicate-ref``, ``unknown-ref`` ...).
        severity: ``error`` (the definition is rejected) or ``warning``.
    """

    message: str
    code: str = "invalid"
    location: SourceLocation | None = None
    json_path: str | None = None
    hint: str | None = None
    workflow: str | None = None
    task: str | None = None
    severity: str = "error"

    @property
    def where(self) -> str:
        """``file:line`` when known, else the JSON path, else ``?``."""
        if self.location is not None:
            return str(self.location)
        return self.json_path or "?"

    def __str__(self) -> str:
        text = f"{self.where}: {self.severity}: {self.message}"
        if self.workflow:
            text += f" (workflow '{self.workflow}')"
        if self.hint:
            text += f"\n    fix: {self.hint}"
        return text


class WorkflowDefinitionError(FlowError, ValueError):
    """A workflow definition is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: Iterable[Problem], source: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.source = source
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{source}: " if source else ""
        count = len(errors)
        lines = [f"{head}{count} problem{'s' if count != 1 else ''} in the workflow definition:"]
        lines.extend(str(p) for p in errors)
        super().__init__("\n".join(lines))


class SymbolicValueError(FlowError, TypeError):
    """A task output reference was used as a plain Python value.

    Task outputs exist only when the workflow runs on Conductor, so Python
    control flow (``if``, ``for``, ``==``, ``len``) cannot read them while the
    workflow function is being traced.
    """

    def __init__(
        self, message: str, location: SourceLocation | None, earlier: Iterable[Problem] = ()
    ) -> None:
        self.location = location
        self.message = message
        self.problems: tuple[Problem, ...] = tuple(earlier)
        where = f"{location}: " if location is not None else ""
        text = f"{where}{message}"
        errors = [p for p in self.problems if p.severity == "error"]
        if errors:
            text += "\nProblems found before this point:\n" + "\n".join(str(p) for p in errors)
        super().__init__(text)
