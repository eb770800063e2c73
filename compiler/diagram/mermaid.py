"""A workflow diagram as Mermaid flowchart text (``flowchart TD``); no renderer needed.

Same structure as the DOT output: one node per task with a shape per type, START and END,
labelled case edges, fork/join bars, a dashed back edge per loop, subgraphs for loops and expanded
sub-workflows, and the overlay as ``style`` / ``linkStyle`` lines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from compiler.diagram.model import Node, build_diagram, printable
from compiler.diagram.overlay import Overlay, TaskStyle, node_style
from compiler.diagram.styles import GREYED, style_of

__all__ = ["escape_label", "to_mermaid"]

# Mermaid shape brackets per Graphviz shape.
_SHAPES = {
    "circle": ("((", "))"),
    "point": ("((", "))"),
    "doublecircle": ("(((", ")))"),
    "diamond": ("{", "}"),
    "hexagon": ("{{", "}}"),
    "octagon": ("[/", "\\]"),
    "cds": (">", "]"),
    "box3d": ("[[", "]]"),
}
_UNSAFE = re.compile(r'["#&<>\\`]')


def escape_label(text: str) -> str:
    """``text`` safe inside a quoted Mermaid label: ``"``, ``#``, ``&``, ``<``, ``>``, backslash and
    backtick become Mermaid entity codes (``#34;`` ...), so no text can end the label or inject
    markup; control characters are made :func:`~compiler.diagram.model.printable` first."""
    return _UNSAFE.sub(lambda m: f"#{ord(m.group(0))};", printable(text))


class _Ids:
    """Mermaid ids: letters, digits and underscores only, unique, never a keyword."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.used: set[str] = set()

    def __call__(self, node_id: str) -> str:
        found = self.ids.get(node_id)
        if found is not None:
            return found
        base = "t_" + re.sub(r"[^A-Za-z0-9_]", "_", node_id)
        if node_id == "__start__":
            base = "start_"
        elif node_id == "__end__":
            base = "end_"
        candidate, n = base, 1
        while candidate in self.used:
            n += 1
            candidate = f"{base}_{n}"
        self.used.add(candidate)
        self.ids[node_id] = candidate
        return candidate


def _label(node: Node, ts: TaskStyle | None) -> str:
    style = style_of(node.kind)
    if node.kind in ("START", "END"):
        return escape_label(node.title)
    if node.kind == "LOOP_END":
        return " "
    if style.bar:
        parts = [f"<b>{escape_label(node.title)}</b>", escape_label(node.subtitle)]
        if ts is not None and not ts.greyed:
            parts += [escape_label(x) for x in (ts.status, *ts.lines) if x]
        return " · ".join(parts)
    rows = [f"<b>{escape_label(node.title)}</b>"]
    rows += [f"<small>{escape_label(x)}</small>" for x in (node.subtitle, node.detail) if x]
    if ts is not None and not ts.greyed:
        if ts.status:
            rows.append(f"<small><b>{escape_label(ts.status)}</b></small>")
        if ts.lines:
            rows.append(f"<small>{escape_label(' · '.join(ts.lines))}</small>")
    return "<br/>".join(rows)


def _node_line(node: Node, mid: str, ts: TaskStyle | None) -> str:
    style = style_of(node.kind)
    if style.bar:
        opening, closing = "[", "]"
    elif style.rounded:
        opening, closing = "(", ")"
    else:
        opening, closing = _SHAPES.get(style.shape, ("[", "]"))
    return f'{mid}{opening}"{_label(node, ts)}"{closing}'


def to_mermaid(
    workflow_def: Mapping[str, Any],
    *,
    definitions: Mapping[str, Mapping[str, Any]] | None = None,
    overlay: Overlay | None = None,
    expand_subworkflows: bool = False,
) -> str:
    """The Mermaid ``flowchart TD`` text of a WorkflowDef (arguments as for ``to_dot``)."""
    diagram = build_diagram(
        workflow_def, definitions=definitions, expand_subworkflows=expand_subworkflows
    )
    ids = _Ids()
    title = f"{diagram.name} v{diagram.version}" if diagram.version else diagram.name
    if overlay is not None and overlay.title:
        title = overlay.title
    lines = ["---", f'title: "{escape_label(title)}"', "---", "flowchart TD"]
    styles = {n.id: node_style(n, diagram, overlay) for n in diagram.nodes}
    greyed = {n for n, ts in styles.items() if ts is not None and ts.greyed}
    nodes = {n.id: n for n in diagram.nodes}
    clusters = {c.id: (i, c) for i, c in enumerate(diagram.clusters)}

    def emit(cluster_id: str | None, indent: str) -> None:
        for what, item in diagram.members[cluster_id]:
            if what == "node":
                lines.append(indent + _node_line(nodes[item], ids(item), styles[item]))
                continue
            index, cluster = clusters[item]
            lines.append(f'{indent}subgraph cluster_{index} ["{escape_label(cluster.label)}"]')
            emit(item, indent + "    ")
            lines.append(f"{indent}end")

    emit(None, "    ")
    link_styles: list[str] = []
    for index, edge in enumerate(diagram.edges):
        arrow = "-.->" if edge.kind in ("dynamic", "loop_back") else "-->"
        label = f'|"{escape_label(edge.label)}"|' if edge.label else ""
        lines.append(f"    {ids(edge.source)} {arrow}{label} {ids(edge.target)}")
        if overlay is not None and edge.key is not None and edge.key in overlay.edges:
            colour = overlay.edges[edge.key]
            link_styles.append(f"    linkStyle {index} stroke:{colour},stroke-width:3px")
        elif edge.source in greyed or edge.target in greyed:
            link_styles.append(f"    linkStyle {index} stroke:{GREYED[1]}")
    used: dict[str, list[str]] = {}
    for node in diagram.nodes:
        used.setdefault(node.kind, []).append(ids(node.id))
    for kind, members in used.items():
        style = style_of(kind)
        colour = "#ffffff" if style.bar else "#263238"
        dashed = ",stroke-dasharray:4 3" if kind == "DYNAMIC_BRANCHES" else ""
        lines.append(
            f"    classDef k_{kind.lower()} fill:{style.fill},stroke:{style.stroke},"
            f"color:{colour}{dashed}"
        )
        lines.append(f"    class {','.join(members)} k_{kind.lower()}")
    for node in diagram.nodes:
        ts = styles[node.id]
        if ts is None:
            continue
        if ts.greyed:
            fill, stroke, font = GREYED
            extra = f"fill:{fill},stroke:{stroke},color:{font},stroke-dasharray:4 3"
        else:
            extra = f"fill:{ts.fill},color:#263238"
        lines.append(f"    style {ids(node.id)} {extra}")
    lines += link_styles
    return "\n".join(lines) + "\n"
