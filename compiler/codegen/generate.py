"""Generate a flowdsl Python module from Conductor workflow and task definitions."""

from __future__ import annotations

import keyword
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from typing import Any

import attrs

import flowdsl
from compiler.codegen.body import referenced_refs
from compiler.codegen.flow import WorkflowWriter
from compiler.codegen.normalise import SERVER_FIELDS, normalise_workflow_def
from compiler.codegen.pyexpr import Scope, identifier, py_string, render_value
from compiler.codegen.structure import CodegenError, check_structure

__all__ = ["CodegenError", "GeneratedModule", "generate_module"]

# Conductor field -> @workflow option, for the options written only when set.
_WORKFLOW_OPTIONS = {
    "description": "description",
    "ownerEmail": "owner_email",
    "failureWorkflowVersion": "failure_workflow_version",
    "variables": "variables",
    "inputTemplate": "input_template",
    "metadata": "metadata",
    "enforceSchema": "enforce_schema",
    "inputSchema": "input_schema",
    "outputSchema": "output_schema",
    "maskedFields": "masked_fields",
    "rateLimitConfig": "rate_limit_config",
}
_WORKFLOW_HANDLED = frozenset(
    {
        "name",
        "version",
        "tasks",
        "inputParameters",
        "outputParameters",
        "schemaVersion",
        "restartable",
        "workflowStatusListenerEnabled",
        "timeoutSeconds",
        "timeoutPolicy",
        "failureWorkflow",
        *_WORKFLOW_OPTIONS,
    }
)
_HELPERS = tuple(flowdsl.__all__)  # flowdsl names a parameter of the same name must not hide


@attrs.frozen
class GeneratedModule:
    """Generated source and, per workflow in the input, the name of its function."""

    source: str
    functions: tuple[tuple[str, int, str], ...]
    """(workflow name, version, Python function name) for each input workflow."""


@attrs.define
class _TaskFn:
    name: str
    fn: str
    calls: list[list[str]] = attrs.field(factory=list)
    any_inputs: bool = False
    used: bool = False


@attrs.define
class _WorkflowFn:
    definition: dict[str, Any]
    fn: str
    inline: bool
    source: list[str] = attrs.field(factory=list)


def _walk(tasks: Any) -> Iterator[dict[str, Any]]:
    """Every task dict in a task list, depth first (inline sub-workflows excluded)."""
    stack = [tasks]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            yield item
            cases = item.get("decisionCases")
            for key in ("loopOver", "defaultCase"):
                stack.append(item.get(key))
            if isinstance(cases, dict):
                stack.extend(reversed(list(cases.values())))
            stack.extend(reversed(item.get("forkTasks") or []))


class ModuleBuilder:
    """Collects the task and workflow functions of one generated module."""

    def __init__(self, workflows: Sequence[dict[str, Any]], task_defs: Sequence[dict[str, Any]]):
        self.task_defs = {td["name"]: td for td in task_defs if isinstance(td.get("name"), str)}
        self.params: set[str] = set()
        self.used: set[str] = set()
        self.tasks: dict[str, _TaskFn] = {}
        self.workflows: list[_WorkflowFn] = []
        self.by_key: dict[tuple[str, int], _WorkflowFn] = {}
        self.global_names: set[str] = {"Any", "annotations"}
        top = [normalise_workflow_def(w) for w in workflows]
        inline: list[dict[str, Any]] = []
        for definition in top:
            for task in _walk(definition.get("tasks")):
                sub = task.get("subWorkflowParam")
                child = sub.get("workflowDefinition") if isinstance(sub, dict) else None
                if isinstance(child, dict) and child not in inline:
                    inline.append(child)
        for definition in [*top, *inline]:
            for param in definition.get("inputParameters") or []:
                self.params.add(str(param))
        self.helpers = {h: (f"{h}_" if h in self.params else h) for h in _HELPERS}
        self.global_names |= set(self.helpers.values())
        for definition in top:
            self._add_workflow(definition, inline=False)
        for definition in inline:
            self._add_workflow(definition, inline=True)
        for wf in self.workflows:
            for task in _walk(wf.definition.get("tasks")):
                if task.get("type") == "SIMPLE" and isinstance(task.get("name"), str):
                    self._task(task["name"])
                params = task.get("inputParameters")
                if isinstance(params, dict) and isinstance(params.get("forkTaskName"), str):
                    self._task(params["forkTaskName"])

    # -- registries ---------------------------------------------------------------------
    def _unique(self, text: str) -> str:
        base = identifier(text, "fn")
        name, n = base, 2
        while name in self.global_names or name in self.params or name in self.helpers:
            name = f"{base}_{n}"
            n += 1
        self.global_names.add(name)
        return name

    def _add_workflow(self, definition: dict[str, Any], inline: bool) -> None:
        version = definition.get("version", 1)
        name = str(definition.get("name"))
        key = (name, version if isinstance(version, int) else 1)
        hint = name if key not in self.by_key else f"{name}_v{key[1]}"
        wf = _WorkflowFn(definition, self._unique(hint), inline)
        self.workflows.append(wf)
        self.by_key.setdefault(key, wf)

    def _task(self, name: str) -> _TaskFn:
        if name not in self.tasks:
            self.tasks[name] = _TaskFn(name, self._unique(name))
        return self.tasks[name]

    def helper(self, name: str) -> str:
        self.used.add(name)
        return self.helpers[name]

    def task_function(self, name: str, params: Mapping[str, Any] | None) -> str:
        fn = self._task(name)
        fn.used = True
        if params is None:
            fn.any_inputs = True
        else:
            fn.calls.append(list(params))
        return fn.fn

    def external(self, name: str, version: int | None) -> str:
        args = py_string(name) if version is None else f"{py_string(name)}, {version}"
        return f"{self.helper('external_workflow')}({args})"

    def sub_target(
        self, param: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> tuple[str | None, str]:
        """The in-file workflow function a SUB_WORKFLOW runs, or (None, why not)."""
        version = param.get("version")
        inline = param.get("workflowDefinition")
        if isinstance(inline, dict):
            wf = next((w for w in self.workflows if w.inline and w.definition == inline), None)
        else:
            wf = self.by_key.get((str(param.get("name")), version)) if version else None
            if wf is not None and wf.inline:
                wf = None
        if wf is None:
            return None, "its inline definition cannot be generated" if inline else ""
        if inline is not None and (version != wf.definition.get("version") or not version):
            return None, "its version differs from the inline definition's"
        params = wf.definition.get("inputParameters") or []
        if set(params) != set(inputs) or len(params) != len(set(params)):
            return None, (
                f"its inputs are not exactly the parameters of '{wf.definition.get('name')}', so "
                f"it is referenced by name"
            )
        return wf.fn, ""

    # -- output ---------------------------------------------------------------------------
    def scope(self, params: frozenset[str], literal: bool = False) -> Scope:
        return Scope({}, params, self.helpers, self.used, literal=literal)

    def workflow_source(self, wf: _WorkflowFn) -> list[str]:
        d = wf.definition
        params = [str(p) for p in d.get("inputParameters") or []]
        for p in params:
            if not p.isidentifier() or keyword.iskeyword(p):
                raise CodegenError(
                    "$.inputParameters",
                    f"workflow '{d.get('name')}': input parameter {p!r} cannot be a Python "
                    f"parameter name",
                )
        wanted = referenced_refs(d.get("tasks"), set()) | referenced_refs(
            d.get("outputParameters"), set()
        )
        used_before = set(self.used)
        for _ in range(2):  # the second pass names only the handles the first pass read
            self.used = set(used_before)
            writer = WorkflowWriter(self, d, wanted)
            scope = self.scope(frozenset(params))
            body = writer.block(list(d.get("tasks") or []), scope, 4)
            outputs = render_value(d.get("outputParameters") or {}, scope, 4, len("return "))
            read = scope.read
            wanted = {ref for ref, var in writer.var_of.items() if var in read}
        lines = [*self.decorator(wf), _def_line(wf.fn, self.signature(params))]
        doc = str(d.get("description") or f"Workflow '{d.get('name')}' v{d.get('version', 1)}.")
        lines.append(f"    {_docstring(doc)}")
        not_kept = sorted(k for k in d if k not in _WORKFLOW_HANDLED and k not in SERVER_FIELDS)
        if not_kept:
            lines.append(f"    # Not carried over (no @workflow option): {', '.join(not_kept)}.")
        lines.extend(body)
        lines.append(f"    return {outputs}")
        return _space_nested_defs(lines)

    @staticmethod
    def signature(params: list[str]) -> list[str]:
        return [f"{p}: Any" for p in params]

    def decorator(self, wf: _WorkflowFn) -> list[str]:
        d = wf.definition
        literal = self.scope(frozenset(), literal=True)
        args: list[str] = []
        if d.get("name") != wf.fn:
            args.append(f"name={py_string(str(d.get('name')))}")
        version = d.get("version", 1)
        if version != 1:
            args.append(f"version={version!r}")
        timeout = d.get("timeoutSeconds") or 0
        for key, option in _WORKFLOW_OPTIONS.items():
            if key in d and key not in ("inputTemplate", "variables", "metadata"):
                args.append(f"{option}={render_value(d[key], literal, 4, len(option) + 1)}")
        if timeout:
            args.append(f"timeout_seconds={timeout!r}")
        implied = "TIME_OUT_WF" if timeout else "ALERT_ONLY"
        if d.get("timeoutPolicy") != implied:
            args.append(f"timeout_policy={py_string(str(d.get('timeoutPolicy')))}")
        if d.get("failureWorkflow"):
            args.append(f"failure_workflow={render_value(d['failureWorkflow'], literal, 4, 17)}")
        if d.get("restartable") is False:
            args.append("restartable=False")
        if d.get("workflowStatusListenerEnabled") is True:
            args.append("workflow_status_listener_enabled=True")
        for key in ("variables", "inputTemplate", "metadata"):
            if key in d:
                option = _WORKFLOW_OPTIONS[key]
                args.append(f"{option}={render_value(d[key], literal, 4, len(option) + 1)}")
        deco = self.helper("workflow")
        if not args:
            return [f"@{deco}"]
        one = f"@{deco}({', '.join(args)})"
        if len(one) <= 100 and "\n" not in one:
            return [one]
        return [f"@{deco}(", *(f"    {a}," for a in args), ")"]

    def task_source(self, fn: _TaskFn) -> list[str]:
        from flowdsl.spec import TASK_DEF_OPTIONS, OptionError, coerce_options

        options = {field: option for option, (field, _) in TASK_DEF_OPTIONS.items()}
        literal = self.scope(frozenset(), literal=True)
        args: list[str] = []
        if fn.name != fn.fn:
            args.append(f"name={py_string(fn.name)}")
        dropped: list[str] = []
        for key, value in self.task_defs.get(fn.name, {}).items():
            option = options.get(key)
            if key == "name" or key in SERVER_FIELDS:
                continue
            try:
                if option is None:
                    raise OptionError(key)
                coerce_options({option: value}, TASK_DEF_OPTIONS, "@task")
            except OptionError:
                dropped.append(key)
                continue
            if value is not None:
                args.append(f"{option}={render_value(value, literal, 4, len(option) + 1)}")
        lines = (
            [f"# TaskDef fields with no @task option, left out: {', '.join(dropped)}"]
            if dropped
            else []
        )
        deco = self.helper("task")
        one = f"@{deco}({', '.join(args)})" if args else f"@{deco}"
        if len(one) <= 100 and "\n" not in one:
            lines.append(one)
        else:
            lines.extend([f"@{deco}(", *(f"    {a}," for a in args), ")"])
        lines.append(_def_line(fn.fn, self.task_signature(fn)))
        lines.append(f"    {_docstring(f'Worker of the {fn.name!r} task: write its code here.')}")
        lines.append(f"    raise NotImplementedError({py_string(fn.name)})")
        return lines

    @staticmethod
    def task_signature(fn: _TaskFn) -> list[str]:
        order: list[str] = []
        odd = fn.any_inputs or not fn.calls
        for call in fn.calls:
            for key in call:
                if key.isidentifier() and not keyword.iskeyword(key):
                    if key not in order:
                        order.append(key)
                else:
                    odd = True
        required = [k for k in order if all(k in call for call in fn.calls)]
        optional = [k for k in order if k not in required]
        parts = [f"{k}: Any" for k in required] + [f"{k}: Any = None" for k in optional]
        if odd:
            parts.append("**inputs: Any")
        return parts


def _def_line(name: str, params: list[str]) -> str:
    """``def name(params) -> dict[str, Any]:``, one parameter per line when it is too long."""
    one = f"def {name}({', '.join(params)}) -> dict[str, Any]:"
    if len(one) <= 100:
        return one
    inner = "".join(f"    {p},\n" for p in params)
    return f"def {name}(\n{inner}) -> dict[str, Any]:"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _space_nested_defs(lines: list[str]) -> list[str]:
    """One empty line around each nested ``def`` (as ruff format writes them)."""
    out: list[str] = []
    closing: list[int] = []  # indents of the nested defs whose body is still open
    for line in lines:
        indent = _indent(line)
        while closing and line.strip() and indent <= closing[-1]:
            closing.pop()
            if out and out[-1] != "":
                out.append("")
        is_def = line.lstrip().startswith("def ") and indent > 0
        if is_def:
            if out and out[-1] != "" and not out[-1].endswith(":"):
                out.append("")
            closing.append(indent)
        out.append(line)
    return out


def _docstring(text: str) -> str:
    text = " ".join(text.split())
    if '"""' in text or "\\" in text or text.endswith('"'):
        return py_string(text)
    return f'"""{text}"""'


def generate_module(
    workflows: Sequence[dict[str, Any]],
    task_defs: Sequence[dict[str, Any]] = (),
    source: str = "",
) -> GeneratedModule:
    """flowdsl Python source for ``workflows`` (WorkflowDef dicts) and their ``task_defs``.

    Raises:
        CodegenError: a workflow cannot be written as Python (a value of the wrong JSON kind,
            an input named ``class`` ...), with the JSON path inside the workflow.
    """
    import jinja2

    for definition in workflows:
        check_structure(definition)
    builder = ModuleBuilder(workflows, task_defs)
    workflow_sources = [builder.workflow_source(wf) for wf in builder.workflows]
    task_sources = [builder.task_source(fn) for fn in builder.tasks.values() if fn.used]
    imports = sorted(h for h in builder.used if builder.helpers[h] == h)
    aliased = sorted(
        f"{h} as {builder.helpers[h]}" for h in builder.used if builder.helpers[h] != h
    )
    text = resources.files("compiler.codegen").joinpath("templates/module.py.jinja").read_text()
    env = jinja2.Environment(keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    rendered = env.from_string(text).render(
        source=source,
        imports=imports,
        aliased=aliased,
        tasks=["\n".join(t) for t in task_sources],
        workflows=["\n".join(w) for w in workflow_sources],
    )
    functions = tuple(
        (str(wf.definition.get("name")), int(wf.definition.get("version", 1)), wf.fn)
        for wf in builder.workflows
        if not wf.inline
    )
    return GeneratedModule(rendered, functions)
