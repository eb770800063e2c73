"""The simulator's error (a leaf module, so every part of the simulator can raise it)."""

from __future__ import annotations

from flowdsl.errors import FlowError

__all__ = ["SimulationError"]


class SimulationError(FlowError, RuntimeError):
    """The simulation cannot go on: a worker task has no behaviour left, an unknown workflow, ..."""
