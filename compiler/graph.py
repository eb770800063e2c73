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


class _Builder:
    def __init__(
        self, graph: nx.MultiDiGraph, source_map: Mapping[str, SourceLocation] | None
    ) -> None:
        self.g = graph
        self.source_map = source_map or {}
        self.order = 0
        self.seen: set[str] = set()
        self.tasks: list[tuple[str, Mapping[str, Any]]] = []
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
        add_edge = self.g.add_edge
        for source, kind, attrs in exits:
            if kind == "sequence":
                add_edge(source, target, key="sequence", kind="sequence")
                continue
            key = kind
            if kind == "case":
                key = f"case:{attrs['case']}"
            elif kind == "fork":
                key = f"fork:{attrs.get('branch', 0)}"
            add_edge(source, target, key=key, kind=kind, **attrs)

    def task_list(
        self, tasks: object, path: str, entries: list[Exit], parent: str | None
    ) -> list[Exit]:
        if not isinstance(tasks, list):
            return entries
        exits = entries
        for index, task in enumerate(tasks):
            if isinstance(task, Mapping):
                exits = self.task(task, f"{path}[{index}]", exits, parent)
        return exits

    def task(
        self, task: Mapping[str, Any], path: str, entries: list[Exit], parent: str | None
    ) -> list[Exit]:
        ref = task.get("taskReferenceName")
        if not isinstance(ref, str) or not ref or ref in self.seen or ref in (START, END):
            return entries  # reported by the validator; keep the graph well-formed
        self.seen.add(ref)
        self.tasks.append((ref, task))
        kind = task.get("type") or "SIMPLE"
        self.g.add_node(
            ref,
            type=kind,
            task_name=task.get("name"),
            inputs=task.get("inputParameters") or {},
            source=self.source_of(path),
            json_path=path,
            parent=parent,
            order=self.order,
            optional=bool(task.get("optional")),
        )
        self.order += 1
        self.connect(entries, ref)
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
                    self.g.add_edge(source, ref, key="loop_back", kind="loop_back")
            return [(ref, "sequence", {})]
        if kind == "TERMINATE":
            self.g.add_edge(ref, END, key="sequence", kind="sequence")
            return []
        return [(ref, "sequence", {})]

    def data_edges(self, wf: Mapping[str, Any]) -> None:
        for ref, task in self.tasks:
            self._data_from(task.get("inputParameters"), ref)
            if "items" in task:
                self._data_from(task.get("items"), ref)
        self._data_from(wf.get("outputParameters"), END)

    def data_edges_from(self, reads: Mapping[str, list[tuple[str, str]]]) -> None:
        seen = self.seen
        add_edge = self.g.add_edge
        for reader_ref, pairs in reads.items():
            reader = reader_ref or END
            if reader is not END and reader not in seen:
                continue
            grouped: dict[str, list[str]] = {}
            for head, expr in pairs:
                if head != reader and head in seen:
                    grouped.setdefault(head, []).append(expr)
            for head, exprs in grouped.items():
                add_edge(head, reader, key="data", kind="data", expressions=exprs)

    def _data_from(self, value: object, reader: str) -> None:
        g = self.g
        for expr, _ in expressions_in(value):
            head = first_component(expr)
            if head != reader and head in g and head not in (START, END):
                if g.has_edge(head, reader, key="data"):
                    g.edges[head, reader, "data"]["expressions"].append(expr)
                else:
                    g.add_edge(head, reader, key="data", kind="data", expressions=[expr])


def build_graph(
    wf: Mapping[str, Any],
    source_map: Mapping[str, SourceLocation] | None = None,
    reads: Mapping[str, list[tuple[str, str]]] | None = None,
) -> nx.MultiDiGraph:
    """The networkx graph of a WorkflowDef (see the module docstring and docs/graph.md).

    ``reads`` (from ``validate_workflow_def(..., reads=...)``) saves scanning the inputs again.
    """
    g = nx.MultiDiGraph(name=wf.get("name"), version=wf.get("version", 1))
    g.add_node(
        START,
        type="START",
        task_name=None,
        inputs={},
        source=None,
        json_path=None,
        parent=None,
        order=-1,
        optional=False,
    )
    builder = _Builder(g, source_map)
    exits = builder.task_list(wf.get("tasks") or [], "$.tasks", [(START, "sequence", {})], None)
    g.add_node(
        END,
        type="END",
        task_name=None,
        inputs={},
        source=None,
        json_path=None,
        parent=None,
        order=builder.order,
        optional=False,
    )
    builder.connect(exits, END)
    if reads is None:
        builder.data_edges(wf)
    else:
        builder.data_edges_from(reads)
    return g
