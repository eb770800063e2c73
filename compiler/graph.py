"""Conductor WorkflowDef -> networkx graph (schema: docs/graph.md).

Built from the JSON, so compiled and imported workflows give the same kind
of graph. A :class:`networkx.MultiDiGraph` (a DiGraph subclass) holds one
node per WorkflowTask keyed by taskReferenceName, plus ``START`` and ``END``;
control edges have the key and ``kind`` ``sequence``, ``fork``, ``join``,
``case``, ``loop`` or ``loop_back``, and ``data`` edges run from a task to
every task (or END, for the workflow output) whose inputs read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx

from compiler.expressions import expressions_in, first_component, key_path
from flowdsl.errors import SourceLocation

__all__ = ["END", "START", "build_graph"]

START = "__start__"
END = "__end__"

Exit = tuple[str, str, dict[str, Any]]  # (source node, edge kind, edge attributes)
Edge = tuple[str, str, str, dict[str, Any]]  # (source, target, key, attributes)
_NO_ATTRS: dict[str, Any] = {}  # shared by sequence exits; connect() never stores it


def _node_attrs(kind: str, order: int) -> dict[str, Any]:
    return {
        "type": kind,
        "task_name": None,
        "inputs": {},
        "source": None,
        "json_path": None,
        "parent": None,
        "order": order,
        "optional": False,
    }


class _Builder:
    """Walks the WorkflowDef in document order, collecting nodes and keyed edges."""

    def __init__(self, source_map: Mapping[str, SourceLocation] | None) -> None:
        self.source_map = source_map or {}
        self.nodes: list[tuple[str, dict[str, Any]]] = [(START, _node_attrs("START", -1))]
        self.edges: list[Edge] = []
        self.seen: set[str] = set()
        self.tasks: list[tuple[str, Mapping[str, Any]]] = []  # for data_edges only
        self.keep_tasks = True
        self.shown: dict[str, str] = {}  # source file -> its display form

    def source_of(self, path: str) -> str | None:
        location = self.source_map.get(path)
        if location is None:
            return None
        shown = self.shown.get(location.path)
        if shown is None:
            shown = self.shown[location.path] = location.file
        return f"{shown}:{location.line}"

    def connect(self, exits: list[Exit], target: str) -> None:
        edges = self.edges
        for source, kind, attrs in exits:
            if kind == "sequence":
                edges.append((source, target, "sequence", {"kind": "sequence"}))
                continue
            key = kind
            if kind == "case":
                key = f"case:{attrs['case']}"
            elif kind == "fork":
                key = f"fork:{attrs.get('branch', 0)}"
            edges.append((source, target, key, {"kind": kind, **attrs}))

    def task_list(
        self, tasks: object, path: str, entries: list[Exit], parent: str | None
    ) -> list[Exit]:
        if not isinstance(tasks, list):
            return entries
        exits = entries
        for index, task in enumerate(tasks):
            if type(task) is dict or isinstance(task, Mapping):
                exits = self.task(task, f"{path}[{index}]", exits, parent)
        return exits

    def task(
        self, task: Mapping[str, Any], path: str, entries: list[Exit], parent: str | None
    ) -> list[Exit]:
        ref = task.get("taskReferenceName")
        if not isinstance(ref, str) or not ref or ref in self.seen or ref in (START, END):
            return entries  # reported by the validator; keep the graph well-formed
        self.seen.add(ref)
        if self.keep_tasks:
            self.tasks.append((ref, task))
        kind = task.get("type") or "SIMPLE"
        self.nodes.append(
            (
                ref,
                {
                    "type": kind,
                    "task_name": task.get("name"),
                    "inputs": task.get("inputParameters") or {},
                    "source": self.source_of(path),
                    "json_path": path,
                    "parent": parent,
                    "order": len(self.nodes) - 1,
                    "optional": bool(task.get("optional")),
                },
            )
        )
        if len(entries) == 1 and entries[0][1] == "sequence":  # the common case, inlined
            self.edges.append((entries[0][0], ref, "sequence", {"kind": "sequence"}))
        else:
            self.connect(entries, ref)
        if kind == "SIMPLE":
            return [(ref, "sequence", _NO_ATTRS)]
        if kind in ("SWITCH", "DECISION"):
            exits: list[Exit] = []
            cases = task.get("decisionCases")
            for key, branch in cases.items() if isinstance(cases, Mapping) else []:
                exits += self.task_list(
                    branch,
                    key_path(f"{path}.decisionCases", key),
                    [(ref, "case", {"case": str(key)})],
                    ref,
                )
            exits += self.task_list(
                task.get("defaultCase") or [],
                f"{path}.defaultCase",
                [(ref, "case", {"case": "default"})],
                ref,
            )
            return exits
        if kind == "FORK_JOIN":
            exits = []
            forks = task.get("forkTasks")
            for index, branch in enumerate(forks if isinstance(forks, list) else []):
                branch_exits = self.task_list(
                    branch, f"{path}.forkTasks[{index}]", [(ref, "fork", {"branch": index})], ref
                )
                exits += [
                    (source, "join" if kind_ != "fork" else kind_, attrs)
                    for source, kind_, attrs in branch_exits
                ]
            return exits
        if kind == "FORK_JOIN_DYNAMIC":
            return [(ref, "fork", {"branch": 0, "dynamic": True})]
        if kind == "DO_WHILE":
            body_exits = self.task_list(
                task.get("loopOver") or [], f"{path}.loopOver", [(ref, "loop", {})], ref
            )
            for source, _, _ in body_exits:
                if source != ref:
                    self.edges.append((source, ref, "loop_back", {"kind": "loop_back"}))
            return [(ref, "sequence", {})]
        if kind == "TERMINATE":
            self.edges.append((ref, END, "sequence", {"kind": "sequence"}))
            return []
        return [(ref, "sequence", {})]

    def data_edges(self, wf: Mapping[str, Any]) -> None:
        """Data edges found by scanning every task's inputs (for JSON that was not validated here)."""
        reads: dict[str, list[tuple[str, str]]] = {}
        for ref, task in self.tasks:
            for value in (task.get("inputParameters"), task.get("items")):
                for expr, _ in expressions_in(value):
                    reads.setdefault(ref, []).append((first_component(expr), expr))
        for expr, _ in expressions_in(wf.get("outputParameters")):
            reads.setdefault("", []).append((first_component(expr), expr))
        self.data_edges_from(reads)

    def data_edges_from(self, reads: Mapping[str, list[tuple[str, str]]]) -> None:
        seen = self.seen
        edges = self.edges
        for reader_ref, pairs in reads.items():
            reader = reader_ref or END
            if reader is not END and reader not in seen:
                continue
            if len(pairs) == 1:  # the common case: one input reading one task
                head, expr = pairs[0]
                if head != reader and head in seen:
                    edges.append((head, reader, "data", {"kind": "data", "expressions": [expr]}))
                continue
            grouped: dict[str, list[str]] = {}
            for head, expr in pairs:
                if head != reader and head in seen:
                    grouped.setdefault(head, []).append(expr)
            for head, exprs in grouped.items():
                edges.append((head, reader, "data", {"kind": "data", "expressions": exprs}))


def _materialize(
    g: nx.MultiDiGraph, nodes: list[tuple[str, dict[str, Any]]], edges: list[Edge]
) -> None:
    """Add ``nodes`` then keyed ``edges`` to the empty graph ``g``.

    The same graph as ``add_node`` / ``add_edge`` one by one (tests/compiler/test_graph.py builds
    both and compares), but on a stock MultiDiGraph it writes networkx's adjacency dicts directly:
    the public calls cost about 3 µs each, a third of a whole compile.
    """
    stock = (
        type(g) is nx.MultiDiGraph
        and not g._node
        and g._adj is g._succ
        and g.node_attr_dict_factory is dict
        and g.adjlist_outer_dict_factory is dict
        and g.adjlist_inner_dict_factory is dict
        and g.edge_key_dict_factory is dict
        and g.edge_attr_dict_factory is dict
    )
    if not stock:  # pragma: no cover - a networkx whose layout we do not know: the public API
        for node, attrs in nodes:
            g.add_node(node, **attrs)
        for source, target, key, attrs in edges:
            g.add_edge(source, target, key=key, **attrs)
        return
    node_attrs, succ, pred = g._node, g._succ, g._pred
    for node, attrs in nodes:
        node_attrs[node] = attrs
        succ[node] = {}
        pred[node] = {}
    for source, target, key, attrs in edges:
        keys = succ[source].get(target)
        if keys is None:
            keys = succ[source][target] = pred[target][source] = {}
        keys[key] = attrs
    cache = getattr(g, "__networkx_cache__", None)
    if cache:  # networkx caches derived data per graph; a new graph has none, but be safe
        cache.clear()


def _new_graph(**attrs: Any) -> nx.MultiDiGraph:
    """A plain networkx MultiDiGraph.

    ``nx.MultiDiGraph(...)`` goes through networkx's backend dispatcher (which lets libraries such
    as GPU backends substitute their own graph type); its first use in a process costs about
    0.25 ms, a tenth of compiling 100 tasks. The compiler always wants networkx's own graph, so it
    makes one directly; ``_materialize`` checks the layout it relies on either way.
    """
    graph: nx.MultiDiGraph = object.__new__(nx.MultiDiGraph)
    nx.MultiDiGraph.__init__(graph, **attrs)
    return graph


def build_graph(
    wf: Mapping[str, Any],
    source_map: Mapping[str, SourceLocation] | None = None,
    reads: Mapping[str, list[tuple[str, str]]] | None = None,
) -> nx.MultiDiGraph:
    """The networkx graph of a WorkflowDef (see the module docstring and docs/graph.md).

    ``reads`` (from ``validate_workflow_def(..., reads=...)``) saves scanning the inputs again.
    """
    builder = _Builder(source_map)
    builder.keep_tasks = reads is None
    exits = builder.task_list(wf.get("tasks") or [], "$.tasks", [(START, "sequence", {})], None)
    builder.nodes.append((END, _node_attrs("END", len(builder.nodes) - 1)))
    builder.connect(exits, END)
    if reads is None:
        builder.data_edges(wf)
    else:
        builder.data_edges_from(reads)
    g = _new_graph(name=wf.get("name"), version=wf.get("version", 1))
    _materialize(g, builder.nodes, builder.edges)
    return g
