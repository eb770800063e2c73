"""How each kind of node looks: shape, colours and the legend text, shared by DOT and Mermaid.

Worker (SIMPLE) tasks are rounded boxes; system tasks are square boxes or a shape of their own,
each with a calm fill and the type named in the label; forks and joins are thick bars; SWITCH and
DECISION are diamonds. Task types without an entry here (Orkes' LLM tasks, custom system tasks)
are drawn as :data:`OTHER` with their type in the label.
"""

from __future__ import annotations

import attrs

__all__ = ["GREYED", "KIND_ORDER", "OTHER", "STATUS_COLOURS", "Style", "kind_of", "style_of"]


@attrs.frozen
class Style:
    """The look of one kind of node.

    ``shape`` is a Graphviz shape; ``rounded`` adds rounded corners; ``bar`` marks the thick
    fork/join bars (white text on a dark fill); ``legend`` is the legend's description.
    """

    shape: str
    fill: str
    stroke: str
    legend: str
    rounded: bool = False
    bar: bool = False
    bold: bool = False
    peripheries: int = 1


# fmt: off
_STYLES: dict[str, Style] = {
    "START": Style("circle", "#eceff1", "#546e7a", "workflow start"),
    "END": Style("doublecircle", "#eceff1", "#546e7a", "workflow end"),
    "SIMPLE": Style("box", "#e3f2fd", "#5b8db8", "worker task", rounded=True),
    "DYNAMIC": Style("box", "#e3f2fd", "#5b8db8", "worker chosen at run time", rounded=True,
                     peripheries=2),
    "HTTP": Style("box", "#e0f2f1", "#4e9a92", "HTTP call"),
    "INLINE": Style("box", "#fff8e1", "#c4a24a", "inline JavaScript"),
    "LAMBDA": Style("box", "#fff8e1", "#c4a24a", "inline JavaScript (legacy)"),
    "JSON_JQ_TRANSFORM": Style("box", "#f3e5f5", "#9a71a8", "jq transform"),
    "SET_VARIABLE": Style("box", "#eceff1", "#7b8f99", "set workflow variables"),
    "NOOP": Style("box", "#fafafa", "#9e9e9e", "does nothing"),
    "WAIT": Style("hexagon", "#fff3e0", "#cc8a3c", "waits for time or a signal"),
    "HUMAN": Style("box", "#fce4ec", "#bf6f8c", "waits for a person", rounded=True,
                   peripheries=2),
    "EVENT": Style("cds", "#e8eaf6", "#6f7bbf", "publishes an event"),
    "KAFKA_PUBLISH": Style("cds", "#e8eaf6", "#6f7bbf", "publishes to Kafka"),
    "TERMINATE": Style("octagon", "#ffebee", "#c0605c", "ends the workflow"),
    "SUB_WORKFLOW": Style("box3d", "#ede7f6", "#7e6bb0", "runs a sub-workflow"),
    "START_WORKFLOW": Style("box3d", "#f1f8e9", "#7f9c54", "starts another workflow"),
    "SWITCH": Style("diamond", "#fffde7", "#bda83a", "chooses one case"),
    "DECISION": Style("diamond", "#fffde7", "#bda83a", "chooses one case (legacy)"),
    "DO_WHILE": Style("box", "#f9fbe7", "#9a9a32", "loop: body, then condition",
                      rounded=True, bold=True),
    "FORK_JOIN": Style("box", "#546e7a", "#37474f", "starts branches in parallel", bar=True),
    "FORK_JOIN_DYNAMIC": Style("box", "#546e7a", "#37474f", "branches made at run time",
                               bar=True),
    "JOIN": Style("box", "#546e7a", "#37474f", "waits for branches", bar=True),
    "EXCLUSIVE_JOIN": Style("box", "#8d9ca5", "#546e7a", "waits for the branch that ran",
                            bar=True),
    "DYNAMIC_BRANCHES": Style("box", "#ffffff", "#78909c", "the dynamic fork's branches",
                              rounded=True),
    "LOOP_END": Style("point", "#9a9a32", "#9a9a32", "where a loop body's paths meet"),
    "OTHER": Style("box", "#fafafa", "#8c8c8c", "other system task"),
}
# fmt: on

#: Style keys in legend order.
KIND_ORDER: tuple[str, ...] = tuple(_STYLES)

#: The style key for task types this module does not know.
OTHER = "OTHER"

#: How a greyed node (never ran, not covered) looks: (fill, stroke, font colour).
GREYED = ("#f5f5f5", "#bdbdbd", "#9e9e9e")

#: The fill colour of each final task status, used by run overlays.
STATUS_COLOURS: dict[str, str] = {
    "COMPLETED": "#c8e6c9",
    "COMPLETED_WITH_ERRORS": "#ffe082",
    "FAILED": "#ffcdd2",
    "FAILED_WITH_TERMINAL_ERROR": "#ffcdd2",
    "TIMED_OUT": "#ffcc80",
    "CANCELED": "#e0e0e0",
    "SKIPPED": "#e0e0e0",
    "IN_PROGRESS": "#bbdefb",
    "SCHEDULED": "#bbdefb",
}


def kind_of(task_type: str) -> str:
    """The style key of a task type (:data:`OTHER` for unknown types)."""
    return task_type if task_type in _STYLES else OTHER


def style_of(kind: str) -> Style:
    """The :class:`Style` of a style key."""
    return _STYLES.get(kind, _STYLES[OTHER])
