"""Handles: what a task call inside a workflow function returns."""

from __future__ import annotations

from typing import Any, Generic, NoReturn, TypeVar, cast

from flowdsl.ref import OutputSchema, Ref

__all__ = ["Handle"]

R = TypeVar("R")


class Handle(Generic[R]):
    """A step of the workflow being traced.

    ``handle.output`` stands for ``${ref.output}`` (typed as the task's declared
    return type, so type checkers see its keys); ``handle.input`` for
    ``${ref.input}``; ``handle.ref`` is the taskReferenceName.
    """

    __slots__ = ("_schema", "ref", "type")

    def __init__(self, ref: str, task_type: str, schema: OutputSchema | None = None) -> None:
        self.ref = ref
        self.type = task_type
        self._schema = schema

    @property
    def output(self) -> R:
        """``${ref.output}``; index it (``["key"]`` or ``.key``) for ``${ref.output.key}``."""
        return cast(R, Ref(f"{self.ref}.output", self.ref, self._schema))

    @property
    def input(self) -> Any:
        """``${ref.input}``: the task's resolved input."""
        return Ref(f"{self.ref}.input", self.ref)

    @property
    def status(self) -> Any:
        """``${ref.status}``: the task's status string at the time of reading."""
        return Ref(f"{self.ref}.status", self.ref)

    @property
    def reason(self) -> Any:
        """``${ref.reasonForIncompletion}``."""
        return Ref(f"{self.ref}.reasonForIncompletion", self.ref)

    def __repr__(self) -> str:
        return f"Handle({self.ref!r}, {self.type!r})"

    def _misuse(self) -> NoReturn:
        # Using the handle itself as a value: delegate to its output reference's message.
        Ref(f"{self.ref}.output", self.ref)._fail("bool")

    def __bool__(self) -> bool:
        self._misuse()

    def __iter__(self) -> NoReturn:
        Ref(f"{self.ref}.output", self.ref)._fail("iter")

    def __eq__(self, other: object) -> bool:
        Ref(f"{self.ref}.output", self.ref)._fail("eq")

    def __ne__(self, other: object) -> bool:
        Ref(f"{self.ref}.output", self.ref)._fail("eq")

    def __len__(self) -> int:
        Ref(f"{self.ref}.output", self.ref)._fail("len")

    def __contains__(self, item: object) -> bool:
        Ref(f"{self.ref}.output", self.ref)._fail("contains")

    def __lt__(self, other: object) -> bool:
        Ref(f"{self.ref}.output", self.ref)._fail("order")

    __le__ = __gt__ = __ge__ = __lt__

    def __int__(self) -> int:
        Ref(f"{self.ref}.output", self.ref)._fail("number")

    __float__ = __index__ = __int__

    def __hash__(self) -> int:
        return hash(("flowdsl.Handle", self.ref))
