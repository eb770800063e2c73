"""Pausing the cyclic garbage collector around work that allocates many long-lived objects."""

from __future__ import annotations

import gc
from types import TracebackType

__all__ = ["GcPaused"]


class GcPaused:
    """``with GcPaused():`` disables the cyclic collector and restores its state afterwards.

    Compiling a workflow or simulating one allocates many small objects that all stay alive to
    the end; the collector would re-scan them again and again (cost growing faster than the
    work). Reference counting still frees everything that dies; a collection the pause put off
    runs at the next allocation after it.
    """

    __slots__ = ("_was_enabled",)

    def __init__(self) -> None:
        self._was_enabled = False

    def __enter__(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._was_enabled:
            gc.enable()
