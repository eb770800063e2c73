"""Status colours of the run report and the coverage report, defined once.

The fills are the diagram's (``compiler.diagram.styles.STATUS_COLOURS``), so a task looks the
same in the diagram and in the timeline; each status adds a darker edge of the same hue, used for
bar outlines, status dots and the status pill.
"""

from __future__ import annotations

from compiler.diagram.styles import STATUS_COLOURS as DIAGRAM_FILLS

__all__ = ["NEUTRAL", "QUEUE", "STATUS_COLOURS", "STATUS_FILLS", "status_colour", "status_fill"]

#: The strong tone of each status (outlines, dots, the workflow status pill).
STATUS_COLOURS: dict[str, str] = {
    "COMPLETED": "#3f8f5f",
    "COMPLETED_WITH_ERRORS": "#b08a1e",
    "FAILED": "#c4493a",
    "FAILED_WITH_TERMINAL_ERROR": "#9e2f24",
    "TIMED_OUT": "#c77a1c",
    "CANCELED": "#8e96a0",
    "SKIPPED": "#a3aab3",
    "IN_PROGRESS": "#3f74b8",
    "SCHEDULED": "#5f8fc9",
    "RUNNING": "#3f74b8",
    "PAUSED": "#5f8fc9",
    "TERMINATED": "#9e2f24",
}
#: The light tone of each status: the diagram's node fills.
STATUS_FILLS: dict[str, str] = {
    **DIAGRAM_FILLS,
    "RUNNING": DIAGRAM_FILLS.get("IN_PROGRESS", "#bbdefb"),
    "PAUSED": DIAGRAM_FILLS.get("SCHEDULED", "#bbdefb"),
    "TERMINATED": DIAGRAM_FILLS.get("FAILED", "#ffcdd2"),
}
NEUTRAL = "#8e96a0"
NEUTRAL_FILL = "#e0e0e0"
QUEUE = "#f4f5f7"


def status_colour(status: str) -> str:
    """The strong colour of a task or workflow status (grey for a status it does not know)."""
    return STATUS_COLOURS.get(status, NEUTRAL)


def status_fill(status: str) -> str:
    """The light colour of a status, as the diagram fills a task node with it."""
    return STATUS_FILLS.get(status, NEUTRAL_FILL)
