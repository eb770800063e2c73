"""A WorkflowDef as a drawing: nodes, edges and clusters, independent of the output format.

The walk follows the WorkflowDef itself (like :mod:`compiler.graph`) but keeps what a picture
needs and the graph does not: a node for a dynamic fork's branches, one cluster per DO_WHILE
and per expanded sub-workflow, edge labels (switch cases, loop conditions), and the keys an
:class:`~compiler.diagram.overlay.Overlay` uses. It never fails on malformed JSON: what it cannot
read (a task that is not an object, a missing reference) is drawn as well as it can be.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

from compiler.diagram.styles import KIND_ORDER, kind_of

__all__ = [
    "END_ID",
    "START_ID",
    "Cluster",
    "Diagram",
    "Edge",
    "Node",
    "build_diagram",
    "printable",
    "shorten",
]

START_ID = "__start__"
END_ID = "__end__"
_MAX_DEPTH = 4  # nested sub-workflow expansion stops here
_DETAIL = 34  # characters of detail shown under a label
_EDGE = 44  # characters of an edge label
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@attrs.frozen
class Node:
    """One drawn node.

    ``key`` is what :attr:`Overlay.tasks` is looked up with: the taskReferenceName for the
    workflow's own tasks, ``"<sub-workflow ref>/<ref>"`` inside an expanded sub-workflow, None for
    START, END and a dynamic fork's branches node (which follows its fork, see ``follows``).
    """

    id: str
    kind: str
    task_type: str
    title: str
    subtitle: str = ""
    detail: str = ""
    key: str | None = None
    top_level: bool = True
    follows: str | None = None


@attrs.frozen
class Edge:
    """One drawn edge. ``kind``: sequence, case, fork, join, dynamic, loop, loop_back, terminate.

    ``key`` is what :attr:`Overlay.edges` is looked up with: ``(switch ref, case)`` for case
    edges, ``(fork ref, first ref of the branch)`` for fork edges.
    """

    source: str
    target: str
    kind: str
    label: str = ""
    key: tuple[str, str] | None = None


@attrs.frozen
class Cluster:
    """A DO_WHILE with its body (``kind="loop"``) or an expanded sub-workflow (``"subworkflow"``)."""

    id: str
    kind: str
    label: str


@attrs.frozen
class Diagram:
    """The whole drawing. ``members`` maps a cluster id (None: the top level) to its content, in
    document order, as ``("node", id)`` / ``("cluster", id)`` pairs."""

    name: str
    version: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    clusters: tuple[Cluster, ...]
    members: Mapping[str | None, tuple[tuple[str, str], ...]]
    kinds: tuple[str, ...]

    def node(self, node_id: str) -> Node:
        """The node with id ``node_id``."""
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)


def printable(value: object) -> str:
    """``value`` as one line of text a label can hold: whitespace runs become one space, other
    control characters a visible ``\\xNN``."""
    text = " ".join(str(value).split())
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def shorten(value: object, limit: int = _DETAIL) -> str:
    """``value`` as :func:`printable` text of at most ``limit`` characters (an ellipsis marks a
    cut)."""
    text = printable(value)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# (source node id, edge kind, label, overlay key)
Exit = tuple[str, str, str, tuple[str, str] | None]


@attrs.define
class _Context:
    prefix: str = ""
    cluster: str | None = None
    top_level: bool = True
    expanding: tuple[str, ...] = ()


class _Builder:
    def __init__(self, definitions: Mapping[str, Mapping[str, Any]] | None, expand: bool) -> None:
        self.definitions = definitions or {}
        self.expand = expand
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.clusters: list[Cluster] = []
        self.members: dict[str | None, list[tuple[str, str]]] = {None: []}
        self.ids: set[str] = {START_ID, END_ID}
        self.kinds: set[str] = set()

    def new_id(self, base: str) -> str:
        candidate, n = base, 1
        while candidate in self.ids:
            n += 1
            candidate = f"{base}#{n}"
        self.ids.add(candidate)
        return candidate

    def add_node(self, node: Node, cluster: str | None) -> None:
        self.nodes.append(node)
        self.members[cluster].append(("node", node.id))
        self.kinds.add(node.kind)

    def add_cluster(self, cluster: Cluster, parent: str | None) -> None:
        self.clusters.append(cluster)
        self.members[cluster.id] = []
        self.members[parent].append(("cluster", cluster.id))

    def connect(self, exits: list[Exit], target: str) -> None:
        for source, kind, label, key in exits:
            self.edges.append(Edge(source, target, kind, label, key))

    def task_list(self, tasks: object, entries: list[Exit], ctx: _Context) -> list[Exit]:
        if not isinstance(tasks, list):
            return entries
        exits = entries
        for task in tasks:
            if isinstance(task, Mapping):
                exits = self.task(task, exits, ctx)
        return exits

    def task(self, task: Mapping[str, Any], entries: list[Exit], ctx: _Context) -> list[Exit]:
        ref = task.get("taskReferenceName")
        ref = ref if isinstance(ref, str) and ref else None
        task_type = task.get("type") if isinstance(task.get("type"), str) else None
        task_type = task_type or "SIMPLE"
        name = task.get("name") if isinstance(task.get("name"), str) else None
        shown = printable(ref or name or "(no taskReferenceName)")
        node_id = self.new_id(ctx.prefix + shown)
        key = ctx.prefix + ref if ref else None
        kind = kind_of(task_type)
        subtitle = printable((name or "SIMPLE") if task_type == "SIMPLE" else task_type)
        if kind in ("FORK_JOIN", "FORK_JOIN_DYNAMIC", "JOIN", "EXCLUSIVE_JOIN"):
            subtitle = task_type
        detail = _detail(task, task_type)
        node = Node(node_id, kind, task_type, shown, subtitle, detail, key, ctx.top_level)
        if task_type == "DO_WHILE":
            return self.loop(task, node, entries, ctx)
        if task_type == "SUB_WORKFLOW" and self.expand:
            expanded = self.sub_workflow(task, node, entries, ctx)
            if expanded is not None:
                return expanded
        self.add_node(node, ctx.cluster)
        self.connect(entries, node_id)
        ref_key = ref or node_id
        if task_type in ("SWITCH", "DECISION"):
            exits: list[Exit] = []
            cases = task.get("decisionCases")
            for case, branch in cases.items() if isinstance(cases, Mapping) else []:
                entry: Exit = (node_id, "case", shorten(case, _EDGE), (ref_key, str(case)))
                exits += self.task_list(branch, [entry], ctx)
            default: Exit = (node_id, "case", "default", (ref_key, "default"))
            return exits + self.task_list(task.get("defaultCase"), [default], ctx)
        if task_type == "FORK_JOIN":
            exits = []
            forks = task.get("forkTasks")
            for branch in forks if isinstance(forks, list) else []:
                first = _first_ref(branch)
                entry = (node_id, "fork", "", (ref_key, first) if first else None)
                for source, kind_, label, edge_key in self.task_list(branch, [entry], ctx):
                    exits.append(
                        (source, "join" if kind_ == "sequence" else kind_, label, edge_key)
                    )
            return exits
        if task_type == "FORK_JOIN_DYNAMIC":
            branches = Node(
                self.new_id(f"{node_id}/branches"),
                "DYNAMIC_BRANCHES",
                "",
                "dynamic branches",
                "one per element, made at run time",
                top_level=ctx.top_level,
                follows=node_id,
            )
            self.add_node(branches, ctx.cluster)
            self.edges.append(Edge(node_id, branches.id, "dynamic"))
            return [(branches.id, "dynamic", "", None)]
        if task_type == "TERMINATE" and ctx.top_level:
            self.edges.append(Edge(node_id, END_ID, "terminate"))
            return []
        return [(node_id, "sequence", "", None)]

    def loop(
        self, task: Mapping[str, Any], node: Node, entries: list[Exit], ctx: _Context
    ) -> list[Exit]:
        cluster = Cluster(self.new_id(f"{node.id}/loop"), "loop", f"loop {node.title}")
        self.add_cluster(cluster, ctx.cluster)
        self.add_node(node, cluster.id)
        self.connect(entries, node.id)
        inner = _Context(ctx.prefix, cluster.id, ctx.top_level, ctx.expanding)
        body = self.task_list(task.get("loopOver"), [(node.id, "loop", "", None)], inner)
        condition = task.get("loopCondition")
        label = shorten(f"while {condition}", _EDGE) if condition else "repeat"
        if len(body) > 1:  # several ends (a switch, a fork without join): meet at one point
            end = Node(self.new_id(f"{node.id}/end"), "LOOP_END", "", "", top_level=ctx.top_level)
            self.add_node(end, cluster.id)
            self.connect(body, end.id)
            body = [(end.id, "sequence", "", None)]
        for source, _, _, _ in body:
            self.edges.append(Edge(source, node.id, "loop_back", label))
        if len(body) == 1 and body[0][0] == node.id:  # an empty body: leave from the loop node
            return [(node.id, "sequence", "", None)]
        return [(s, "sequence" if k == "loop" else k, lbl, key) for s, k, lbl, key in body]

    def sub_workflow(
        self, task: Mapping[str, Any], node: Node, entries: list[Exit], ctx: _Context
    ) -> list[Exit] | None:
        definition, name = self.definition_of(task)
        if definition is None or name in ctx.expanding or len(ctx.expanding) >= _MAX_DEPTH:
            return None
        label = "sub-workflow " + node.detail.removeprefix("→ ")
        cluster = Cluster(self.new_id(f"{node.id}/sub"), "subworkflow", label)
        self.add_cluster(cluster, ctx.cluster)
        self.add_node(node, cluster.id)
        self.connect(entries, node.id)
        inner = _Context(f"{node.key or node.id}/", cluster.id, False, (*ctx.expanding, name))
        return self.task_list(definition.get("tasks"), [(node.id, "sequence", "", None)], inner)

    def definition_of(self, task: Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, str]:
        param = task.get("subWorkflowParam")
        if not isinstance(param, Mapping):
            return None, ""
        name = param.get("name")
        inline = param.get("workflowDefinition")
        if isinstance(inline, Mapping):
            return inline, str(inline.get("name") or name)
        if not isinstance(name, str):
            return None, ""
        version = param.get("version")
        for key in (f"{name}:{version}", name):
            found = self.definitions.get(key)
            if isinstance(found, Mapping):
                return found, name
        return None, name


def _first_ref(branch: object) -> str | None:
    if isinstance(branch, list) and branch and isinstance(branch[0], Mapping):
        ref = branch[0].get("taskReferenceName")
        return ref if isinstance(ref, str) and ref else None
    return None


def _inputs(task: Mapping[str, Any]) -> Mapping[str, Any]:
    value = task.get("inputParameters")
    return value if isinstance(value, Mapping) else {}


def _detail(task: Mapping[str, Any], task_type: str) -> str:
    """A short third label line saying what the task does, or ''."""
    inputs = _inputs(task)
    if task_type == "HTTP":
        request = inputs.get("http_request")
        request = request if isinstance(request, Mapping) else inputs
        method, uri = request.get("method"), request.get("uri") or request.get("url")
        return shorten(" ".join(str(v) for v in (method, uri) if v)) if uri else ""
    if task_type in ("SWITCH", "DECISION"):
        evaluator = task.get("evaluatorType")
        expression = task.get("expression")
        if task_type == "DECISION" or evaluator in (None, "value-param"):
            param = expression if task_type == "SWITCH" else task.get("caseValueParam")
            if isinstance(param, str) and param in inputs:  # the value of that input
                return shorten(inputs[param])
            expression = param or task.get("caseExpression")
        return shorten(expression) if expression else ""
    if task_type in ("SUB_WORKFLOW", "START_WORKFLOW"):
        param = task.get("subWorkflowParam")
        if task_type == "START_WORKFLOW":
            param = inputs.get("startWorkflow")
        if isinstance(param, Mapping) and param.get("name"):
            version = param.get("version")
            return shorten(f"→ {param['name']}" + (f" v{version}" if version else ""))
        return ""
    if task_type == "WAIT":
        for field in ("duration", "until"):
            if inputs.get(field):
                return shorten(f"{field} {inputs[field]}")
        return "until signalled"
    if task_type == "TERMINATE":
        status = inputs.get("terminationStatus")
        return shorten(status) if status else ""
    if task_type == "EVENT":
        sink = task.get("sink")
        return shorten(sink) if isinstance(sink, str) else ""
    if task_type == "KAFKA_PUBLISH":
        request = inputs.get("kafka_request")
        topic = request.get("topic") if isinstance(request, Mapping) else None
        return shorten(f"topic {topic}") if topic else ""
    if task_type == "SET_VARIABLE":
        return shorten(", ".join(str(k) for k in inputs)) if inputs else ""
    if task_type == "DYNAMIC":
        param = task.get("dynamicTaskNameParam")
        return shorten(f"task from {param}") if param else ""
    if task.get("optional") is True:
        return "optional"
    return ""


def build_diagram(
    workflow_def: Mapping[str, Any],
    *,
    definitions: Mapping[str, Mapping[str, Any]] | None = None,
    expand_subworkflows: bool = False,
) -> Diagram:
    """The :class:`Diagram` of a WorkflowDef (see the module docstring)."""
    builder = _Builder(definitions, expand_subworkflows)
    builder.add_node(Node(START_ID, "START", "START", "start"), None)
    exits = builder.task_list(
        workflow_def.get("tasks"), [(START_ID, "sequence", "", None)], _Context()
    )
    builder.add_node(Node(END_ID, "END", "END", "end"), None)
    builder.connect(exits, END_ID)
    version = workflow_def.get("version")
    return Diagram(
        name=printable(workflow_def.get("name") or "workflow"),
        version="" if version is None else printable(version),
        nodes=tuple(builder.nodes),
        edges=tuple(builder.edges),
        clusters=tuple(builder.clusters),
        members={k: tuple(v) for k, v in builder.members.items()},
        kinds=tuple(k for k in KIND_ORDER if k in builder.kinds),
    )
