"""A workflow diagram as Graphviz DOT text (made with the ``graphviz`` package's ``Digraph``).

The text depends only on the WorkflowDef, the definitions and the overlay given: nodes, edges
and attributes are written in document order with sorted attribute lists, so the same input gives
the same bytes in every process and with every renderer.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Mapping
from typing import Any

from compiler.diagram.model import Diagram, Edge, Node, build_diagram, printable
from compiler.diagram.overlay import Overlay, TaskStyle, node_style
from compiler.diagram.styles import GREYED, STATUS_COLOURS, style_of

__all__ = ["to_dot"]

FONT = "Helvetica"
_EDGE = "#78909c"
_LABEL = "#455a64"
_DETAIL = "#607d8b"
_BACK = "#8d8d5a"
_TERMINATE = "#c0605c"


def _plain(text: str, *, pad: bool = False) -> Any:
    """``text`` as a DOT string that is never read as HTML and keeps its backslashes (``pad``
    adds a space each side, to keep edge labels off their edges)."""
    import graphviz

    text = printable(text).replace("\\", "\\\\")
    return graphviz.nohtml(f" {text} " if pad else text)


def _esc(text: str) -> str:
    return html.escape(printable(text), quote=True)


def _html(rows: list[str]) -> str:
    return "<" + "<br/>".join(rows) + ">"


def _small(text: str, colour: str = _DETAIL, size: int = 9) -> str:
    return f'<font point-size="{size}" color="{colour}">{_esc(text)}</font>'


def _node_attrs(node: Node, ts: TaskStyle | None) -> dict[str, Any]:
    style = style_of(node.kind)
    styles = ["filled"]
    if style.rounded:
        styles.insert(0, "rounded")
    if style.bold:
        styles.append("bold")
    fill, stroke, font = style.fill, style.stroke, "#263238"
    if style.bar:
        font = "#ffffff"
    if node.kind == "DYNAMIC_BRANCHES":
        styles.append("dashed")
    if ts is not None:
        fill = ts.fill
        if style.bar:
            font = "#263238"
        if ts.greyed:
            fill, stroke, font = GREYED
            styles.append("dashed")
    attrs: dict[str, Any] = {
        "shape": style.shape,
        "style": ",".join(dict.fromkeys(styles)),
        "fillcolor": fill,
        "color": stroke,
        "fontcolor": font,
    }
    if style.peripheries != 1:
        attrs["peripheries"] = str(style.peripheries)
    if node.kind in ("START", "END"):
        attrs.update(fixedsize="true", width="0.55", fontsize="10", label=node.title)
        return attrs
    if node.kind == "LOOP_END":
        attrs.update(width="0.08", label="")
        return attrs
    if style.bar:
        attrs.update(height="0.22", margin="0.25,0.02", fontsize="9", penwidth="1")
        words = [f"<b>{_esc(node.title)}</b>", _esc(node.subtitle)]
        if ts is not None and not ts.greyed:
            words += [_esc(x) for x in (ts.status, *ts.lines) if x]
        attrs["label"] = "<" + " · ".join(words) + ">"
        return attrs
    rows = [f"<b>{_esc(node.title)}</b>"]
    detail_colour = _DETAIL if ts is None or not ts.greyed else GREYED[2]
    if node.subtitle:
        rows.append(_small(node.subtitle, detail_colour, 10))
    if node.detail:
        rows.append(_small(node.detail, detail_colour))
    if ts is not None and not ts.greyed:
        if ts.status:
            rows.append(f'<font point-size="9"><b>{_esc(ts.status)}</b></font>')
        if ts.lines:
            rows.append(f'<font point-size="9">{_esc(" · ".join(ts.lines))}</font>')
    if node.kind in ("SWITCH", "DECISION"):
        attrs["margin"] = "0.05,0.05"
    attrs["label"] = _html(rows)
    return attrs


def _edge_attrs(edge: Edge, overlay: Overlay | None, greyed: frozenset[str]) -> dict[str, Any]:
    """An edge's attributes; with an overlay, edges touching a greyed node are grey too."""
    attrs: dict[str, Any] = {}
    if edge.label:
        attrs["label"] = _plain(edge.label, pad=True)
    if edge.kind == "dynamic":
        attrs["style"] = "dashed"
    elif edge.kind == "loop_back":
        attrs.update(style="dashed", color=_BACK, fontcolor=_BACK, constraint="false")
    elif edge.kind == "terminate":
        attrs["color"] = _TERMINATE
    if overlay is not None and edge.key is not None and edge.key in overlay.edges:
        colour = overlay.edges[edge.key]
        attrs.update(color=colour, fontcolor=colour, penwidth="2.2")
    elif edge.source in greyed or edge.target in greyed:
        attrs.update(color=GREYED[1], fontcolor=GREYED[2])
    return attrs


def _emit(
    graph: Any,
    diagram: Diagram,
    cluster_id: str | None,
    node_attrs: Mapping[str, dict[str, Any]],
) -> None:
    clusters = {c.id: c for c in diagram.clusters}
    for what, item in diagram.members[cluster_id]:
        if what == "node":
            graph.node(_plain(item), **node_attrs[item])
            continue
        cluster = clusters[item]
        loop = cluster.kind == "loop"
        attrs = {
            "label": _plain(cluster.label),
            "style": "rounded,dashed" if loop else "rounded",
            "color": "#b0b870" if loop else "#9e8fc7",
            "fontcolor": "#7a7f3a" if loop else "#5e4f96",
            "fontsize": "10",
            "labeljust": "l",
            "margin": "10",
        }
        index = diagram.clusters.index(cluster)
        with graph.subgraph(name=f"cluster_{index}") as sub:
            sub.attr(**attrs)
            _emit(sub, diagram, item, node_attrs)


def _legend(graph: Any, diagram: Diagram, overlay: Overlay | None, greyed: bool) -> None:
    entries: list[tuple[str, dict[str, Any]]] = []
    for kind in diagram.kinds:
        if kind in ("START", "END", "LOOP_END"):
            continue
        style = style_of(kind)
        attrs = _node_attrs(Node(f"legend {kind}", kind, kind, kind), None)
        name = {"DYNAMIC_BRANCHES": "dynamic branches", "OTHER": "other type"}.get(kind, kind)
        if style.bar:
            attrs["label"] = _html([f"<b>{_esc(name)}</b> · {_esc(style.legend)}"])
        else:
            attrs["label"] = _html([f"<b>{_esc(name)}</b>", _small(style.legend)])
        entries.append((f"legend {kind}", attrs))
    if overlay is not None:
        statuses = sorted({(ts.status, ts.fill) for ts in overlay.tasks.values() if ts.status})
        order = list(STATUS_COLOURS)
        statuses.sort(key=lambda s: (order.index(s[0]) if s[0] in order else len(order), s))
        for status, fill in statuses:
            label = _html([_esc(str(status))])
            attrs = {"shape": "box", "style": "rounded,filled", "color": "#90a4ae", "label": label}
            entries.append((f"legend status {status}", {**attrs, "fillcolor": fill}))
        if greyed:
            attrs = {"shape": "box", "style": "rounded,filled,dashed", "label": "not reached"}
            grey = dict(zip(("fillcolor", "color", "fontcolor"), GREYED, strict=True))
            entries.append(("legend greyed", {**attrs, **grey}))
    with graph.subgraph(name="cluster_legend") as legend:
        frame = {"label": "Legend", "style": "rounded", "color": "#cfd8dc", "fontcolor": _LABEL}
        legend.attr(**frame, fontsize="10", labeljust="l")
        legend.attr("node", fontsize="9", margin="0.1,0.03", height="0.3")
        for name, attrs in entries:
            legend.node(_plain(name), **attrs)
        rows = [entries[i : i + 2] for i in range(0, len(entries), 2)]  # two per row
        for row in rows:
            if len(row) == 2:
                with legend.subgraph() as same:
                    same.attr(rank="same")
                    same.node(_plain(row[0][0]))
                    same.node(_plain(row[1][0]))
        for upper, lower in itertools.pairwise(rows):
            legend.edge(_plain(upper[0][0]), _plain(lower[0][0]), style="invis")


def to_dot(
    workflow_def: Mapping[str, Any],
    *,
    definitions: Mapping[str, Mapping[str, Any]] | None = None,
    overlay: Overlay | None = None,
    expand_subworkflows: bool = False,
    legend: bool = True,
) -> str:
    """The DOT text of a WorkflowDef.

    ``definitions`` maps a sub-workflow name (or ``"name:version"``) to its WorkflowDef, for
    ``expand_subworkflows=True`` (inline ``workflowDefinition``\\ s are used too). ``overlay``
    colours and labels tasks (see :func:`~compiler.diagram.overlay.run_overlay`); ``legend``
    adds a small cluster explaining the task types used.
    """
    import graphviz

    diagram = build_diagram(
        workflow_def, definitions=definitions, expand_subworkflows=expand_subworkflows
    )
    title = f"{diagram.name} v{diagram.version}" if diagram.version else diagram.name
    if overlay is not None and overlay.title:
        title = overlay.title
    graph = graphviz.Digraph(
        name=_plain(diagram.name),
        graph_attr={
            "rankdir": "TB",
            "label": _plain(title),
            "labelloc": "t",
            "fontname": FONT,
            "fontsize": "14",
            "fontcolor": "#263238",
            "nodesep": "0.35",
            "ranksep": "0.4",
            "newrank": "true",
            "bgcolor": "white",
        },
        node_attr={
            "fontname": FONT,
            "fontsize": "11",
            "margin": "0.15,0.06",
            "penwidth": "1.2",
        },
        edge_attr={
            "fontname": FONT,
            "fontsize": "9",
            "color": _EDGE,
            "fontcolor": _LABEL,
            "arrowsize": "0.7",
        },
    )
    styles = {n.id: node_style(n, diagram, overlay) for n in diagram.nodes}
    greyed = frozenset(n for n, ts in styles.items() if ts is not None and ts.greyed)
    node_attrs = {n.id: _node_attrs(n, styles[n.id]) for n in diagram.nodes}
    _emit(graph, diagram, None, node_attrs)
    for edge in diagram.edges:
        graph.edge(_plain(edge.source), _plain(edge.target), **_edge_attrs(edge, overlay, greyed))
    if legend:
        _legend(graph, diagram, overlay, bool(greyed))
    return str(graph.source)
