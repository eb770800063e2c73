"""A small DOT reader for the diagram tests: nodes, edges and clusters with their attributes.

It reads the subset of DOT that ``graphviz.Digraph`` writes (statements one per line, IDs bare,
quoted or HTML), so tests can assert on the structure of the graph instead of searching text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<arrow>->)
      | (?P<punct>[\[\]{};=,])
      | "(?P<quoted>(?:[^"\\]|\\.)*)"
      | (?P<bare>[A-Za-z_\x80-\U0010ffff][\w\x80-\U0010ffff]*|-?(?:\.\d+|\d+(?:\.\d*)?))
      | (?P<html><)
    )""",
    re.VERBOSE,
)


@dataclass
class Graph:
    """What a DOT text declares. ``clusters`` maps a subgraph name to (its attributes, parent)."""

    name: str
    attrs: dict[str, str] = field(default_factory=dict)
    nodes: dict[str, dict[str, str]] = field(default_factory=dict)
    node_cluster: dict[str, str | None] = field(default_factory=dict)
    edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    clusters: dict[str, tuple[dict[str, str], str | None]] = field(default_factory=dict)

    def edge(self, source: str, target: str) -> dict[str, str]:
        """The attributes of the only edge source -> target."""
        found = [a for s, t, a in self.edges if (s, t) == (source, target)]
        assert len(found) == 1, f"{len(found)} edges {source} -> {target}: {self.edges}"
        return found[0]

    def successors(self, node: str) -> list[str]:
        """Targets of the edges leaving ``node`` (invisible legend edges included), in order."""
        return [t for s, t, _ in self.edges if s == node]

    def predecessors(self, node: str) -> list[str]:
        """Sources of the edges entering ``node``, in order."""
        return [s for s, t, _ in self.edges if t == node]

    def label_text(self, node: str) -> list[str]:
        """The node's label as lines of plain text (HTML tags dropped, entities kept decoded)."""
        import html

        label = self.nodes[node].get("label", node)
        return [html.unescape(re.sub(r"<[^>]*>", "", line)) for line in label.split("<br/>")]


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        assert match is not None, f"cannot read DOT at {text[pos : pos + 40]!r}"
        if match.group("html") is not None:  # <...> with nested <tags>
            start = match.start("html")
            depth, i = 0, start
            while True:
                depth += {"<": 1, ">": -1}.get(text[i], 0)
                i += 1
                if depth == 0:
                    break
            out.append(("id", text[start + 1 : i - 1]))
            pos = i
            continue
        pos = match.end()
        if match.group("quoted") is not None:
            out.append(("quoted", re.sub(r"\\(.)", r"\1", match.group("quoted"))))
        elif match.group("bare") is not None:
            out.append(("id", match.group("bare")))
        else:
            out.append(("p", match.group("arrow") or match.group("punct")))
    return out


def parse_dot(text: str) -> Graph:
    """Read DOT text (see the module docstring)."""
    tokens = _tokens(text)
    i = 0

    def take() -> tuple[str, str]:
        nonlocal i
        i += 1
        return tokens[i - 1]

    def attr_list() -> dict[str, str]:
        attrs: dict[str, str] = {}
        while i < len(tokens) and tokens[i] == ("p", "["):
            take()
            while tokens[i] != ("p", "]"):
                if tokens[i][0] == "p":
                    take()
                    continue
                key = take()[1]
                assert take() == ("p", "=")
                attrs[key] = take()[1]
            take()
        return attrs

    assert take() == ("id", "digraph")
    graph = Graph(take()[1])
    assert take() == ("p", "{")
    stack: list[str | None] = [None]
    anonymous = "{anonymous}"
    while i < len(tokens):
        kind, value = take()
        if (kind, value) == ("p", "}"):
            stack.pop()
            continue
        if (kind, value) == ("p", ";"):
            continue
        if (kind, value) == ("id", "subgraph"):
            name = take()[1]
            assert take() == ("p", "{")
            graph.clusters[name] = ({}, stack[-1])
            stack.append(name)
            continue
        if (kind, value) == ("p", "{"):  # an anonymous subgraph ({rank=same ...}): no cluster
            stack.append(anonymous)
            continue
        if stack[-1] == anonymous:  # rank=same, or a node mentioned again
            if tokens[i] == ("p", "="):
                take()
                take()
            continue
        if kind == "id" and value in ("graph", "node", "edge") and tokens[i] == ("p", "["):
            attrs = attr_list()
            if value == "graph":
                target = graph.attrs if stack[-1] is None else graph.clusters[stack[-1]][0]
                target.update(attrs)
            continue
        if tokens[i] == ("p", "="):  # key=value inside a cluster
            take()
            graph.clusters[str(stack[-1])][0][value] = take()[1]
            continue
        if tokens[i] == ("p", "->"):
            take()
            target = take()[1]
            graph.edges.append((value, target, attr_list()))
            continue
        graph.nodes[value] = attr_list()
        graph.node_cluster[value] = stack[-1]
    assert stack == [], "unbalanced braces"
    return graph
