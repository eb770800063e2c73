"""Validation of Conductor JSON: ours or anyone's.

One validator serves both sources. Problems name a JSON path; when the JSON
was compiled from Python, a *locator* maps that path back to the user's
``file:line``. Every problem is collected before anything fails.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any

from compiler.expressions import (
    SPECIAL_NAMES,
    embedded_task_refs,
    expressions_in,
    first_component,
    key_path,
    path_error,
    scan,
)
from compiler.rules import check_task, check_task_def, refs_in
from flowdsl.errors import Problem, SourceLocation

__all__ = ["Locator", "validate_task_defs", "validate_workflow_def"]

Locator = Callable[[str], SourceLocation | None]
Scope = tuple[tuple[str, int], ...]
_CONTAINERS = ("SWITCH", "DECISION", "FORK_JOIN", "DO_WHILE")


def _no_location(path: str) -> SourceLocation | None:
    return None


class _Site:
    __slots__ = ("path", "ref", "scope", "task")

    def __init__(self, task: Mapping[str, Any], path: str, scope: Scope, ref: str) -> None:
        self.task = task
        self.path = path
        self.scope = scope
        self.ref = ref


class _Checker:
    def __init__(self, wf: Mapping[str, Any], path: str, locate: Locator) -> None:
        self.wf = wf
        self.root = path
        self.locate = locate
        name = wf.get("name")
        self.name = name if isinstance(name, str) else None
        self.problems: list[Problem] = []
        self.sites: list[_Site] = []
        self.by_ref: dict[str, _Site] = {}
        self.list_kind: dict[str, str] = {}  # list id -> container type owning that list
        self.reads: dict[
            str, list[tuple[str, str]]
        ] = {}  # reader ref -> [(task ref read, expression)]
        self._ref = ""
        self.runtime_refs: set[str] = set()
        self.templates: dict[str, list[str]] = {}
        self._names: dict[str, str] | None = None

    def report(
        self,
        message: str,
        path: str,
        code: str,
        hint: str | None = None,
        severity: str = "error",
        task: str | None = None,
    ) -> None:
        self.problems.append(
            Problem(
                message,
                code=code,
                location=self.locate(path),
                json_path=path,
                hint=hint,
                workflow=self.name,
                task=task,
                severity=severity,
            )
        )

    def _report_for_task(
        self, message: str, path: str, code: str, hint: str | None = None, severity: str = "error"
    ) -> None:
        self.report(f"task '{self._ref}': {message}", path, code, hint, severity, self._ref)

    # -- structure -----------------------------------------------------------
    def walk(self, tasks: object, list_id: str, path: str, scope: Scope) -> None:
        if not isinstance(tasks, list):
            self.report(f"expected a list of tasks, got {type(tasks).__name__}", path, "shape")
            return
        for index, task in enumerate(tasks):
            here = f"{path}[{index}]"
            if type(task) is not dict and not isinstance(task, Mapping):
                self.report(f"expected a task object, got {type(task).__name__}", here, "shape")
                continue
            kind = self.visit(task, here, (*scope, (list_id, index)))
            if kind == "FORK_JOIN" or kind == "FORK_JOIN_DYNAMIC":
                following = tasks[index + 1] if index + 1 < len(tasks) else None
                if not isinstance(following, Mapping) or following.get("type") != "JOIN":
                    self.report(
                        f"{kind} '{task.get('taskReferenceName')}' is not followed by a JOIN; Conductor "
                        f"fails the workflow when it reaches it",
                        here,
                        "fork-join",
                        "Put a JOIN task right after it, with joinOn listing each branch's last task.",
                    )
                elif kind == "FORK_JOIN":
                    self.check_join_on(task, following, here, f"{path}[{index + 1}]")

    def visit(self, task: Mapping[str, Any], path: str, scope: Scope) -> str:
        """Check one task (and walk its children); return its type."""
        ref = task.get("taskReferenceName")
        name = task.get("name")
        if not isinstance(ref, str) or not ref:
            self.report("task has no taskReferenceName", path, "missing-ref")
            ref = f"<unnamed {path}>"
        site = _Site(task, path, scope, ref)
        self.sites.append(site)
        if ref in self.by_ref:
            first = self.by_ref[ref]
            where = self.locate(first.path) or first.path
            self.report(
                f"taskReferenceName '{ref}' is used twice (first at {where}); it must be unique across "
                f"the whole workflow, nested tasks included",
                path,
                "duplicate-ref",
                "Give one of the calls ref='another_name'.",
                task=ref,
            )
        else:
            if "__" in ref:
                self.report(
                    f"taskReferenceName '{ref}' contains '__', which breaks references inside DO_WHILE "
                    f"loops (Conductor splits on '__')",
                    path,
                    "ref-underscores",
                    severity="warning",
                    task=ref,
                )
            self.by_ref[ref] = site
        if not isinstance(name, str) or not name:
            self.report(f"task '{ref}' has no name", path, "missing-name", task=ref)
        kind = task.get("type") or "SIMPLE"
        if not isinstance(kind, str):
            self.report(
                f"task '{ref}' type is {kind!r}, not a string", f"{path}.type", "shape", task=ref
            )
            kind = "SIMPLE"
        params = task.get("inputParameters")
        if params is not None and type(params) is not dict and not isinstance(params, Mapping):
            self.report(
                f"task '{ref}' inputParameters must be an object",
                f"{path}.inputParameters",
                "shape",
            )
        elif params and not _flat(params):
            # Tasks described as data (WorkflowTask templates for a dynamic fork) exist at run time.
            for template_ref, where in embedded_task_refs(params):
                self.runtime_refs.add(template_ref)
                self.templates.setdefault(path, []).append(where)
        self._ref = ref
        check_task(task, path, self._report_for_task)
        inline_def = task.get("taskDefinition")
        if inline_def is not None and isinstance(inline_def, Mapping):
            check_task_def(inline_def, f"{path}.taskDefinition", self.report, inline=True)
        if kind not in _CONTAINERS and kind != "SUB_WORKFLOW":
            return kind
        if kind in ("SWITCH", "DECISION"):
            cases = task.get("decisionCases")
            if isinstance(cases, Mapping):
                for key, branch in cases.items():
                    self.walk_child(
                        branch,
                        kind,
                        f"{path}/case:{key}",
                        key_path(f"{path}.decisionCases", key),
                        scope,
                    )
            default = task.get("defaultCase")
            if default is not None:
                self.walk_child(default, kind, f"{path}/default", f"{path}.defaultCase", scope)
        elif kind == "FORK_JOIN":
            forks = task.get("forkTasks")
            if isinstance(forks, list):
                for index, branch in enumerate(forks):
                    self.walk_child(
                        branch, kind, f"{path}/fork:{index}", f"{path}.forkTasks[{index}]", scope
                    )
        elif kind == "DO_WHILE":
            self.walk_child(
                task.get("loopOver") or [], kind, f"{path}/loop", f"{path}.loopOver", scope
            )
        elif kind == "SUB_WORKFLOW":
            sub = task.get("subWorkflowParam")
            inline = sub.get("workflowDefinition") if isinstance(sub, Mapping) else None
            if isinstance(inline, Mapping):
                child = _Checker(inline, f"{path}.subWorkflowParam.workflowDefinition", self.locate)
                child.run()
                self.problems.extend(child.problems)
        return kind

    def walk_child(self, tasks: object, kind: str, list_id: str, path: str, scope: Scope) -> None:
        self.list_kind[list_id] = kind
        self.walk(tasks, list_id, path, scope)

    def check_join_on(
        self, fork: Mapping[str, Any], join: Mapping[str, Any], fork_path: str, join_path: str
    ) -> None:
        join_on = join.get("joinOn")
        if not isinstance(join_on, list):
            self.report(
                f"JOIN '{join.get('taskReferenceName')}' has no joinOn list", join_path, "join-on"
            )
            return
        wanted = {r for r in join_on if isinstance(r, str)}
        if not wanted and fork.get("forkTasks"):
            self.report(
                f"JOIN '{join.get('taskReferenceName')}' has an empty joinOn, so it waits for none of "
                f"the branches of FORK_JOIN '{fork.get('taskReferenceName')}'",
                f"{join_path}.joinOn",
                "join-on",
                "List the last task of every branch in joinOn.",
            )
            return
        for index, branch in enumerate(fork.get("forkTasks") or []):
            last = branch[-1] if isinstance(branch, list) and branch else None
            if isinstance(last, Mapping) and last.get("taskReferenceName") in wanted:
                continue  # the usual case: the JOIN waits for the branch's last task
            refs = refs_in(branch)
            if refs and not wanted & refs:
                last = (
                    branch[-1].get("taskReferenceName") if isinstance(branch[-1], Mapping) else "?"
                )
                self.report(
                    f"JOIN '{join.get('taskReferenceName')}' joinOn misses branch {index} of FORK_JOIN "
                    f"'{fork.get('taskReferenceName')}' (tasks {', '.join(sorted(refs))}); the JOIN will "
                    f"not wait for it",
                    f"{join_path}.joinOn",
                    "join-on",
                    f"Add '{last}' to joinOn.",
                )

    # -- references ----------------------------------------------------------
    def check_references(self) -> None:
        templates = self.templates  # found by visit(): site path -> key paths of task templates
        check = self.check_expression
        for site in self.sites:
            task = site.task
            params = task.get("inputParameters")
            if params:
                inside = templates.get(site.path)
                base = f"{site.path}.inputParameters"
                if inside is None and type(params) is dict:
                    for key, value in params.items():  # the common case: flat string inputs
                        if type(value) is str:
                            if "${" in value:
                                where = f".{key}" if key.isidentifier() else f"['{key}']"
                                if (
                                    value.startswith("${")
                                    and value.endswith("}")
                                    and value.find("{", 2) < 0
                                ):  # a whole-value reference, the usual input
                                    check(value[2:-1], base, where, site)
                                    continue
                                for expr in scan(value):
                                    check(expr, base, where, site)
                        elif value is not None and type(value) not in (int, float, bool):
                            for expr, where in expressions_in(value):
                                check(
                                    expr,
                                    base,
                                    f".{key}{where}" if key.isidentifier() else f"['{key}']{where}",
                                    site,
                                )
                else:
                    for expr, where in expressions_in(params):
                        in_template = bool(inside) and any(
                            where.startswith(t) for t in inside or ()
                        )
                        check(expr, base, where, site, in_template)
            if "items" in task:
                for expr, where in expressions_in(task.get("items")):
                    self.check_expression(expr, f"{site.path}.items", where, site)
        base = f"{self.root}.outputParameters"
        for expr, where in expressions_in(self.wf.get("outputParameters")):
            self.check_expression(expr, base, where, None)

    def check_expression(
        self, expr: str, base: str, where: str, reader: _Site | None, in_template: bool = False
    ) -> None:
        """Check one ``${expr}`` read by ``reader`` (None: the workflow output) at ``base + where``.

        This runs once per expression, so the common case (a known task that ran before) returns
        early and messages are built only for problems.
        """
        bad = path_error(expr)
        if bad:
            self.report(f"expression '${{{expr}}}' {bad}", base + where, "bad-expression")
            return
        head = first_component(expr)
        target = self.by_ref.get(head)
        if target is None:
            if not head or head in SPECIAL_NAMES or "${" in head or head in self.runtime_refs:
                return
            self.unknown_reference(expr, head, base + where, reader)
            return
        reads = self.reads.get(reader.ref if reader else "")
        if reads is None:
            reads = self.reads[reader.ref if reader else ""] = []
        reads.append((head, expr))
        if reader is None:
            return
        why = self.order_problem(reader, target)
        if why:
            self.report(
                f"task '{reader.ref}' reads '${{{expr}}}', but '{head}' {why}",
                base + where,
                "ref-order",
                "A task can only read tasks that run before it on every path to it."
                + (
                    " This expression sits in a task template passed as data; Conductor resolves it"
                    " when this task runs, to null."
                    if in_template
                    else ""
                ),
                severity="warning" if in_template else "error",
                task=reader.ref,
            )

    def unknown_reference(self, expr: str, head: str, path: str, reader: _Site | None) -> None:
        who = f"task '{reader.ref}'" if reader else "the workflow output"
        hint = None
        named = self.ref_of_name().get(head)
        if named:
            hint = (
                f"'{head}' is a task name; refer to the task by its taskReferenceName, '{named}'."
            )
        elif "__" in head and head.split("__")[0] in self.by_ref:
            hint = f"Inside a loop refer to '{head.split('__')[0]}'; the latest iteration wins."
        else:
            close = difflib.get_close_matches(head, list(self.by_ref), n=1)
            hint = f"Did you mean '{close[0]}'?" if close else None
        if head.isupper() and head.replace("_", "").isalnum():
            self.report(
                f"{who} reads '${{{expr}}}': no task has taskReferenceName '{head}', so it resolves "
                f"only if the Conductor server has an environment variable {head}",
                path,
                "env-ref",
                "Pass the value as a workflow input instead.",
                severity="warning",
                task=reader.ref if reader else None,
            )
            return
        self.report(
            f"{who} reads '${{{expr}}}', but no task has taskReferenceName '{head}'",
            path,
            "unknown-ref",
            hint,
            task=reader.ref if reader else None,
        )

    def ref_of_name(self) -> dict[str, str]:
        """Task name -> its (first) reference, for hints when a name is used as a reference."""
        if self._names is None:
            self._names = {}
            for site in self.sites:
                name = site.task.get("name")
                if isinstance(name, str) and name not in self.by_ref:
                    self._names.setdefault(name, site.ref)
        return self._names

    def order_problem(self, reader: _Site, target: _Site) -> str | None:
        a, b = reader.scope, target.scope
        k = 0
        while k < len(a) and k < len(b) and a[k] == b[k]:
            k += 1
        if k == len(b):
            if k == len(a) and (reader.task.get("type") != "DO_WHILE"):
                return (
                    "is this task itself; a task's input is computed before the task exists, "
                    "so this resolves to null"
                )
            return None  # the target contains the reader: it started first
        if k == len(a):
            if reader.task.get("type") == "DO_WHILE":
                return None  # a loop reads its body tasks' latest iteration
            return "runs inside this task's own branches, after this task's input is computed"
        (list_a, index_a), (list_b, index_b) = a[k], b[k]
        if list_a == list_b:
            if index_b < index_a:
                return None
            if any(self.list_kind.get(lid) == "DO_WHILE" for lid, _ in a[: k + 1]):
                return None  # an earlier iteration of the enclosing loop ran it
            return "runs later in the workflow"
        kind = self.list_kind.get(list_b)
        if kind in ("SWITCH", "DECISION"):
            return "is in another case of the same switch, so it never runs on this path"
        return "is in a sibling branch of the same fork, which may not have run yet"

    # -- the whole definition --------------------------------------------------
    def run(self) -> None:
        wf, root = self.wf, self.root
        if not self.name:
            self.report("workflow has no name", f"{root}.name", "workflow-name")
        tasks = wf.get("tasks")
        if tasks is not None and not isinstance(tasks, list):
            self.report(
                f"tasks must be a list of tasks, not {type(tasks).__name__}",
                f"{root}.tasks",
                "shape",
            )
        elif not tasks:
            self.report(
                "workflow has no tasks",
                f"{root}.tasks",
                "workflow-tasks",
                "A WorkflowDef needs at least one task.",
            )
        else:
            self.walk(tasks, "root", f"{root}.tasks", ())
        schema = wf.get("schemaVersion", 2)
        if schema != 2:
            self.report(
                f"schemaVersion is {schema!r}; Conductor accepts only 2",
                f"{root}.schemaVersion",
                "schema-version",
                "Set schemaVersion to 2 and write inputs as ${...} expressions.",
            )
        timeout = wf.get("timeoutSeconds", 0)
        if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout < 0:
            self.report(
                f"timeoutSeconds is {timeout!r}; it must be a whole number >= 0",
                f"{root}.timeoutSeconds",
                "negative",
            )
        policy = wf.get("timeoutPolicy")
        if policy is not None and policy not in ("TIME_OUT_WF", "ALERT_ONLY"):
            self.report(
                f"workflow timeoutPolicy is {policy!r}; expected TIME_OUT_WF or ALERT_ONLY",
                f"{root}.timeoutPolicy",
                "enum",
            )
        output = wf.get("outputParameters")
        if output is not None and not isinstance(output, Mapping):
            self.report("outputParameters must be an object", f"{root}.outputParameters", "shape")
        self.check_references()


def _flat(params: Mapping[str, Any]) -> bool:
    for value in params.values():
        if type(value) is not str and value is not None and type(value) not in (int, float, bool):
            return False
    return True


def validate_workflow_def(
    wf: object,
    *,
    path: str = "$",
    locate: Locator | None = None,
    reads: dict[str, list[tuple[str, str]]] | None = None,
) -> list[Problem]:
    """Every problem in a Conductor WorkflowDef (errors and warnings), in document order.

    Args:
        wf: the WorkflowDef as parsed JSON.
        path: the JSON path of ``wf`` in its file (problems are reported below it).
        locate: maps a JSON path to the Python source line that produced it, if any.
        reads: when given, filled with reader ref -> [(task ref read, expression)] for every
            reference to an existing task ("" for the workflow output), for the graph's data edges.
    """
    if not isinstance(wf, Mapping):
        return [
            Problem(
                f"expected a WorkflowDef object, got {type(wf).__name__}",
                code="shape",
                json_path=path,
            )
        ]
    checker = _Checker(wf, path, locate or _no_location)
    checker.run()
    if reads is not None:
        reads.update(checker.reads)
    return checker.problems


def validate_task_defs(
    task_defs: object, *, path: str = "$", locate: Locator | None = None
) -> list[Problem]:
    """Every problem in a list of TaskDefs."""
    problems: list[Problem] = []
    finder = locate or _no_location

    def report(
        message: str, where: str, code: str, hint: str | None = None, severity: str = "error"
    ) -> None:
        problems.append(
            Problem(
                message,
                code=code,
                location=finder(where),
                json_path=where,
                hint=hint,
                severity=severity,
            )
        )

    if not isinstance(task_defs, list):
        report(f"expected a list of TaskDefs, got {type(task_defs).__name__}", path, "shape")
        return problems
    for index, td in enumerate(task_defs):
        if isinstance(td, Mapping):
            check_task_def(td, f"{path}[{index}]", report)
        else:
            report(
                f"expected a TaskDef object, got {type(td).__name__}", f"{path}[{index}]", "shape"
            )
    return problems
