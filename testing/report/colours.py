"""Status colours of the run report and the coverage report, defined once.

Calm, colour-blind-friendly tones: green done, red failed, amber timed out, blue in progress,
greys for what did not run. The diagram layer (``compiler.diagram``) draws its own overlay; when
it exposes a status palette these names are the ones to align with.
"""

from __future__ import annotations

__all__ = ["NEUTRAL", "QUEUE", "STATUS_COLOURS", "status_colour"]

STATUS_COLOURS: dict[str, str] = {
    "COMPLETED": "#3f8f5f",
    "COMPLETED_WITH_ERRORS": "#8aa64b",
    "FAILED": "#c4493a",
    "FAILED_WITH_TERMINAL_ERROR": "#9e2f24",
    "TIMED_OUT": "#d3892b",
    "CANCELED": "#8e96a0",
    "SKIPPED": "#b8bec6",
    "IN_PROGRESS": "#3f74b8",
    "SCHEDULED": "#7fa6d6",
    "RUNNING": "#3f74b8",
    "PAUSED": "#7fa6d6",
    "TERMINATED": "#9e2f24",
}
NEUTRAL = "#8e96a0"
QUEUE = "#e4e8ee"


def status_colour(status: str) -> str:
    """The colour of a task or workflow status (grey for a status it does not know)."""
    return STATUS_COLOURS.get(status, NEUTRAL)
