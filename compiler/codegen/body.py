"""The body of one generated ``@workflow`` function: one statement per Conductor task.

Each task becomes the flowdsl call a person would write (``@task`` calls, ``fork``,
``switch``, ``do_while``, ``sub_workflow``, the system task functions). A task that the
authoring API cannot reproduce exactly becomes ``raw_task(...)`` (the DSL's escape hatch),
with a comment saying why. Every choice here is checked by the round trip test.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from compiler.codegen.pyexpr import Scope, identifier, is_kwarg, py_string, render_value

if TYPE_CHECKING:
    from compiler.codegen.generate import ModuleBuilder

__all__ = ["BodyWriter"]

WIDTH = 100
_COMMON = {
    "optional": "optional",
    "permissive": "permissive",
    "startDelay": "start_delay",
    "retryCount": "retry_count",
    "description": "description",
    "asyncComplete": "async_complete",
}
_BASE_KEYS = frozenset({"name", "taskReferenceName", "type", "inputParameters"})
_REF_HEAD = re.compile(r"\$\{([A-Za-z0-9_-]+)\.")
_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def _clean(base: str) -> str:
    """flowdsl's own cleaning of a reference base name (see flowdsl._trace)."""
    from flowdsl._trace import _clean as clean

    return clean(base)


def referenced_refs(value: Any, out: set[str]) -> set[str]:
    """Every ``x`` of a ``${x.`` in the strings of ``value``."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.update(_REF_HEAD.findall(item))
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return out


class _Refs:
    """A mirror of flowdsl's reference naming, to leave out ``ref=`` where it is implied."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.next: dict[str, int] = {}

    def arg(self, base: str, ref: str) -> bool:
        """Record ``ref``; True when the call must pass ``ref=`` explicitly."""
        clean = _clean(base)
        index = self.next.get(clean, 1)
        name = clean if index == 1 else f"{clean}_{index}"
        while name in self.taken:
            index += 1
            name = f"{clean}_{index}"
        if name == ref:
            self.next[clean] = index + 1
            self.taken.add(name)
            return False
        self.taken.add(ref)
        return True


def _split_args(text: str) -> list[str]:
    """Split ``a=1, b="x, y"`` at its top-level commas (strings and brackets respected)."""
    parts: list[str] = []
    depth, quote, start, i = 0, "", 0, 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
        i += 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Raw(Exception):
    """This task needs raw_task(); the message says why."""


class BodyWriter:
    """Writes the statements of one workflow function."""

    def __init__(self, module: ModuleBuilder, definition: Mapping[str, Any], wanted: set[str]):
        self.module = module
        self.definition = definition
        self.wanted = wanted  # refs that get a variable
        self.refs = _Refs()
        self.names: set[str] = set(module.global_names)
        self.var_of: dict[str, str] = {}
        self.call_lines = 0
        self.last_call = -1

    # -- names -------------------------------------------------------------------------
    @staticmethod
    def stem(text: str, default: str = "task") -> str:
        """``text`` as an identifier, without a ``_ref`` suffix."""
        name = identifier(text, default)
        if name.endswith("_ref") and len(name) > 4:
            name = identifier(name[:-4], default)
        return name

    def fresh(self, text: str, suffix: str = "") -> str:
        name = self.stem(text) + suffix
        base, n = name, 2
        while name in self.names or name in self.module.params:
            name = f"{base}_{n}"
            n += 1
        self.names.add(name)
        return name

    def var_for(self, ref: str) -> str | None:
        if ref not in self.wanted:
            return None
        if ref not in self.var_of:
            name = self.stem(ref)
            taken = self.module.global_names | self.module.params
            self.var_of[ref] = self.fresh(ref, "_task" if name in taken else "")
        return self.var_of[ref]

    # -- calls ---------------------------------------------------------------------------
    def call(self, fn: str, args: list[str], indent: int, target: str = "") -> list[str]:
        """``target = fn(args)`` on one line, or one argument per line when too long."""
        head = f"{target} = " if target else ""
        one = f"{' ' * indent}{head}{fn}({', '.join(args)})"
        if len(one) <= WIDTH and "\n" not in one:
            self.call_lines = 1
            return [one]
        pad = " " * (indent + 4)
        opener = f"{' ' * indent}{head}{fn}("
        if (len(opener) > WIDTH or "\n" in fn) and fn.endswith(")") and ".options(" in fn:
            # task.options(...)(...): the options go one per line first, as ruff formats them
            name, _, options = fn[:-1].partition(".options(")
            fn = f"{name}.options(\n" + "".join(f"{pad}{o},\n" for o in _split_args(options))
            fn += f"{' ' * indent})"
        if not args:
            self.call_lines = 1
            return [f"{' ' * indent}{head}{fn}()"]
        lines = [f"{' ' * indent}{head}{fn}("]
        lines.extend(f"{pad}{a}," for a in args)
        lines.append(f"{' ' * indent})")
        self.call_lines = len(lines)
        return lines

    def value(self, value: Any, scope: Scope, indent: int, used: int = 0) -> str:
        return render_value(value, scope, indent + 4, used)

    def kwargs(
        self, values: Mapping[str, Any], scope: Scope, indent: int, reserved: frozenset[str]
    ) -> list[str]:
        """``key=value`` arguments; keys that cannot be keywords go in one ``**{...}``."""
        out: list[str] = []
        odd: dict[str, Any] = {}
        for key, val in values.items():
            if is_kwarg(key) and key not in reserved:
                out.append(f"{key}={self.value(val, scope, indent, len(key) + 1)}")
            else:
                odd[key] = val
        if odd:
            out.append("**" + self.value(odd, scope, indent, 2))
        return out

    def text(self, text: str, indent: int) -> str:
        """A (JavaScript, jq) source string: one literal per line when it is long and has
        several lines."""
        lines = text.split("\n")
        if len(lines) == 1 or len(py_string(text)) + indent + 9 <= WIDTH:
            return py_string(text)
        pad = " " * (indent + 8)
        parts = [py_string(line + "\n") for line in lines[:-1]]
        if lines[-1]:
            parts.append(py_string(lines[-1]))
        return "(\n" + "\n".join(pad + p for p in parts) + "\n" + " " * (indent + 4) + ")"

    def fork_pair(
        self, task: dict[str, Any], join: dict[str, Any] | None, scope: Scope, indent: int
    ) -> list[str]:
        """A FORK_JOIN or FORK_JOIN_DYNAMIC and the JOIN after it (see WorkflowWriter)."""
        raise _Raw("forks are written by WorkflowWriter")

    # -- blocks ----------------------------------------------------------------------------
    def block(self, tasks: list[Any], scope: Scope, indent: int) -> list[str]:
        """Statements for a list of tasks (a FORK_JOIN and its JOIN are one statement)."""
        lines: list[str] = []
        self.last_call = -1
        i = 0
        while i < len(tasks):
            task = tasks[i]
            nxt = tasks[i + 1] if i + 1 < len(tasks) else None
            used = 1
            if task.get("type") in ("FORK_JOIN", "FORK_JOIN_DYNAMIC"):
                try:
                    out = self.fork_pair(task, nxt, scope, indent)
                    used = 2
                except _Raw as why:
                    out = self.raw(task, scope, indent, str(why))
            else:
                out = self.statement(task, scope, indent)
            lines.extend(out)
            self.last_call = len(lines) - self.call_lines
            i += used
        return lines

    def statement(self, task: dict[str, Any], scope: Scope, indent: int) -> list[str]:
        kind = task.get("type")
        handler: Callable[[dict[str, Any], Scope, int], list[str]] | None = getattr(
            self, f"t_{str(kind).lower()}", None
        )
        if handler is None:
            return self.raw(task, scope, indent, "")
        try:
            return handler(task, scope, indent)
        except _Raw as why:
            return self.raw(task, scope, indent, str(why))

    def assign(self, ref: str, scope: Scope) -> str:
        var = self.var_for(ref)
        if var is None:
            return ""
        scope.handles[ref] = var
        return var

    def common(
        self, task: dict[str, Any], allowed: tuple[str, ...], extra: frozenset[str]
    ) -> list[str]:
        """The per-call keywords for the task's common fields; _Raw for anything else."""
        out: list[str] = []
        for key, val in task.items():
            if key in _BASE_KEYS or key in extra:
                continue
            if key in allowed and val is not None:
                text = py_string(val) if isinstance(val, str) else repr(val)
                out.append(f"{_COMMON[key]}={text}")
            else:
                raise _Raw(f"its field '{key}' has no flowdsl keyword here")
        return out

    def ref_args(self, task: dict[str, Any], base: str, name_default: str | None) -> list[str]:
        ref = str(task["taskReferenceName"])
        out = [f"ref={py_string(ref)}"] if self.refs.arg(base, ref) else []
        name = task.get("name")
        if name_default is not None and name != name_default:
            if not isinstance(name, str):
                raise _Raw("its name is not a string")
            out.append(f"name={py_string(name)}")
        return out

    # -- raw -------------------------------------------------------------------------------
    def raw(self, task: dict[str, Any], scope: Scope, indent: int, why: str) -> list[str]:
        kind = str(task.get("type"))
        ref = str(task.get("taskReferenceName"))
        args = [py_string(kind)]
        if self.refs.arg(kind.lower(), ref):
            args.append(f"ref={py_string(ref)}")
        if task.get("name") != ref:
            args.append(f"name={self.value(task.get('name'), scope, indent, 5)}")
        params = task.get("inputParameters")
        if params:
            args.append(f"input_parameters={self.value(params, scope, indent, 17)}")
        fields = {k: v for k, v in task.items() if k not in _BASE_KEYS}
        args.extend(self.kwargs(fields, scope, indent, frozenset({"type", "ref", "name"})))
        reason = why or f"flowdsl has no function for {kind} tasks"
        comment = f"{' ' * indent}# {kind} '{ref}' as written in the JSON: {reason}."
        target = self.assign(ref, scope)
        return [comment, *self.call(self.module.helper("raw_task"), args, indent, target)]

    # -- worker tasks ------------------------------------------------------------------------
    def t_simple(self, task: dict[str, Any], scope: Scope, indent: int) -> list[str]:
        name = task.get("name")
        if not isinstance(name, str) or not name:
            raise _Raw("its name is not a string")
        inline = "taskDefinition" in task
        opts = self.common(
            task,
            ("optional", "permissive", "startDelay", "retryCount", "description"),
            frozenset({"taskDefinition"}) if inline else frozenset(),
        )
        if inline:
            opts.append(self.inline_task_def(task, indent))
        params = task.get("inputParameters") or {}
        fn = self.module.task_function(name, params)
        ref = str(task["taskReferenceName"])
        if self.refs.arg(name, ref):
            opts.insert(0, f"ref={py_string(ref)}")
        args = self.kwargs(params, scope, indent, frozenset())
        callee = f"{fn}.options({', '.join(opts)})" if opts else fn
        return self.call(callee, args, indent, self.assign(ref, scope))

    def inline_task_def(self, task: dict[str, Any], indent: int) -> str:
        """``task_def=dict(...)`` for a worker task's inline ``taskDefinition`` (or _Raw)."""
        from compiler.codegen.normalise import SERVER_FIELDS
        from flowdsl.spec import TASK_DEF_OPTIONS, OptionError, coerce_options

        td = task["taskDefinition"]
        if not isinstance(td, dict) or td.get("name") != task["name"]:
            raise _Raw("its taskDefinition is not an object named after the task")
        options = {field: option for option, (field, _) in TASK_DEF_OPTIONS.items()}
        literal = self.module.scope(frozenset(), literal=True)
        args: list[str] = []
        for key, value in td.items():
            if key == "name" or key in SERVER_FIELDS or value is None:
                continue
            option = options.get(key)
            try:
                if option is None:
                    raise OptionError(key)
                coerce_options({option: value}, TASK_DEF_OPTIONS, "task_def")
            except OptionError:
                raise _Raw(f"its taskDefinition field '{key}' has no task_def option") from None
            args.append(f"{option}={render_value(value, literal, indent + 8, len(option) + 1)}")
        one = f"task_def=dict({', '.join(args)})"
        if indent + 4 + len(one) + 1 <= WIDTH and "\n" not in one:
            return one
        # one option per line, as ruff formats it inside the .options(...) call (see call)
        items = "".join(f"{' ' * (indent + 8)}{arg},\n" for arg in args)
        return f"task_def=dict(\n{items}{' ' * (indent + 4)})"

    # -- system tasks ------------------------------------------------------------------------
    def system(
        self,
        task: dict[str, Any],
        scope: Scope,
        indent: int,
        fn: str,
        base: str,
        positional: list[str],
        inputs: Mapping[str, Any],
        reserved: frozenset[str],
        common: tuple[str, ...] = (),
        extra: frozenset[str] = frozenset(),
        keywords: list[str] | None = None,
    ) -> list[str]:
        opts = self.common(task, common, extra)
        if {"ref", "name"} & set(inputs):
            raise _Raw("an input is named 'ref' or 'name', like a keyword of the function")
        ref = str(task["taskReferenceName"])
        args = [*positional, *(keywords or [])]
        args.extend(self.kwargs(inputs, scope, indent, reserved | {"ref", "name"}))
        args.extend(self.ref_args(task, base, ref))
        args.extend(opts)
        return self.call(self.module.helper(fn), args, indent, self.assign(ref, scope))

    def t_http(self, task: dict[str, Any], scope: Scope, indent: int) -> list[str]:
        params = task.get("inputParameters") or {}
        request = params.get("http_request")
        if set(params) != {"http_request"} or not isinstance(request, dict):
            raise _Raw("flowdsl's http() writes its request under 'http_request' only")
        spelled = {
            "headers": "headers",
            "body": "body",
            "accept": "accept",
            "contentType": "content_type",
            "connectionTimeOut": "connection_timeout",
            "readTimeOut": "read_timeout",
        }
        if "uri" not in request or not set(request) <= {"uri", "method", *spelled}:
            raise _Raw("its http_request has fields http() does not write")
        for key in ("connectionTimeOut", "readTimeOut"):
            if key in request and not _is_int(request[key]):
                raise _Raw(f"its {key} is not a number of milliseconds")
        if any(v is None for v in request.values()) or request.get("headers") == {}:
            raise _Raw("its http_request has empty fields http() would leave out")
        method = request.get("method", "GET")
        if "method" not in request or not isinstance(method, str):
            raise _Raw("its http_request has no method string")
        positional = [self.value(request["uri"], scope, indent)]
        if method != "GET":
            positional.append(py_string(method))
        keywords = [
            f"{spelled[k]}={self.value(v, scope, indent, len(spelled[k]) + 1)}"
            for k, v in request.items()
            if k in spelled
        ]
        return self.system(
            task,
            scope,
            indent,
            "http",
            "http",
            positional,
            {},
            frozenset(),
            tuple(_COMMON),
            keywords=keywords,
        )

    def t_inline(self, task: dict[str, Any], scope: Scope, indent: int) -> list[str]:
        params = dict(task.get("inputParameters") or {})
        expression = params.pop("expression", None)
        evaluator = params.pop("evaluatorType", None)
        if not isinstance(expression, str) or not isinstance(evaluator, str):
            raise _Raw("its evaluatorType or expression is missing or not a string")
        keywords = [] if evaluator == "javascript" else [f"evaluator={py_string(evaluator)}"]
        reserved = frozenset({"expression", "evaluator", "task_def"})
        if reserved & set(params):
            raise _Raw("an input is named like an inline() keyword")
        return self.system(
            task,
            scope,
            indent,
            "inline",
            "inline",
            [self.text(expression, indent)],
            params,
            reserved,
            keywords=keywords,
        )

    def t_json_jq_transform(self, task: dict[str, Any], scope: Scope, indent: int) -> list[str]:
        params = dict(task.get("inputParameters") or {})
        query = params.pop("queryExpression", None)
        reserved = frozenset({"query", "task_def"})
        if not isinstance(query, str) or reserved & set(params):
            raise _Raw("its queryExpression is missing or an input is named like a keyword")
        return self.system(
            task, scope, indent, "jq_transform", "jq", [self.text(query, indent)], params, reserved
        )

    def t_wait(self, task: dict[str, Any], scope: Scope, indent: int) -> list[str]:
        params = task.get("inputParameters") or {}
        if not set(params) <= {"duration", "until"} or not all(
            isinstance(v, str) for v in params.values()
        ):
            raise _Raw("its inputs are not a duration or until string")
        positional = [py_string(params["duration"])] if "duration" in params else []
        keywords = [f"until={py_string(params['until'])}"] if "until" in params else []
        return self.system(
            task,
            scope,
            indent,
            "wait",
            "wait",
            positional,
            {},
            frozenset(),
            tuple(_COMMON),
            keywords=keywords,
        )

    def t_terminate(self, task: dict[str, Any], scope: Scope, indent: int) -> list[str]:
        params = task.get("inputParameters") or {}
        keys = {"terminationStatus", "terminationReason", "workflowOutput"}
        if "terminationStatus" not in params or not set(params) <= keys:
            raise _Raw("its inputs are not those terminate() writes")
        if any(v is None for v in params.values()):
            raise _Raw("it has a null input terminate() would leave out")
        positional = [self.value(params["terminationStatus"], scope, indent)]
        if "terminationReason" in params:
            positional.append(self.value(params["terminationReason"], scope, indent))
        keywords = []
        if "workflowOutput" in params:
            keywords.append(f"output={self.value(params['workflowOutput'], scope, indent, 7)}")
        return self.system(
            task,
            scope,
            indent,
            "terminate",
            "terminate",
            positional,
            {},
            frozenset(),
            keywords=keywords,
        )

    def t_set_variable(self, task: dict[str, Any], scope: Scope, indent: int) -> list[str]:
        params = task.get("inputParameters") or {}
        if {"ref", "name"} & set(params):
            raise _Raw("a variable is named 'ref' or 'name'")
        return self.system(
            task, scope, indent, "set_variable", "set_variable", [], params, frozenset()
        )

    def t_human(self, task: dict[str, Any], scope: Scope, indent: int) -> list[str]:
        params = task.get("inputParameters") or {}
        reserved = frozenset({"optional", "task_def"})
        if reserved & set(params) or {"ref", "name"} & set(params):
            raise _Raw("an input is named like a human() keyword")
        return self.system(
            task, scope, indent, "human", "human", [], params, reserved, ("optional",)
        )

    def t_event(self, task: dict[str, Any], scope: Scope, indent: int) -> list[str]:
        params = task.get("inputParameters") or {}
        sink = task.get("sink")
        reserved = frozenset({"sink", "optional", "task_def", "async_complete"})
        if not isinstance(sink, str) or reserved & set(params) or {"ref", "name"} & set(params):
            raise _Raw("its sink is not a string or an input is named like a keyword")
        return self.system(
            task,
            scope,
            indent,
            "event",
            "event",
            [py_string(sink)],
            params,
            reserved,
            ("optional", "asyncComplete"),
            frozenset({"sink"}),
        )

    def t_start_workflow(self, task: dict[str, Any], scope: Scope, indent: int) -> list[str]:
        params = task.get("inputParameters") or {}
        request = params.get("startWorkflow")
        if set(params) != {"startWorkflow"} or not isinstance(request, dict):
            raise _Raw("its inputs are not one 'startWorkflow' request")
        if not set(request) <= {"name", "version", "input", "correlationId"}:
            raise _Raw("its request has fields start_workflow() does not write")
        name, version = request.get("name"), request.get("version")
        if not isinstance(name, str) or not isinstance(request.get("input"), dict):
            raise _Raw("its request has no literal name or no input object")
        if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
            raise _Raw("its version is not a number")
        if request.get("correlationId", 0) is None:
            raise _Raw("its correlationId is null")
        target = self.module.external(name, version)
        positional = [target, self.value(request["input"], scope, indent)]
        keywords = []
        if "correlationId" in request:
            keywords.append(
                f"correlation_id={self.value(request['correlationId'], scope, indent, 15)}"
            )
        return self.system(
            task,
            scope,
            indent,
            "start_workflow",
            "start_workflow",
            positional,
            {},
            frozenset(),
            keywords=keywords,
        )

    def t_dynamic(self, task: dict[str, Any], scope: Scope, indent: int) -> list[str]:
        params = dict(task.get("inputParameters") or {})
        if task.get("dynamicTaskNameParam") != "taskToExecute" or "taskToExecute" not in params:
            raise _Raw("its task name is not in the 'taskToExecute' input")
        name = params.pop("taskToExecute")
        reserved = frozenset({"task_name", "task_def"})
        if reserved & set(params):
            raise _Raw("an input is named like a dynamic() keyword")
        return self.system(
            task,
            scope,
            indent,
            "dynamic",
            "dynamic",
            [self.value(name, scope, indent)],
            params,
            reserved,
            extra=frozenset({"dynamicTaskNameParam"}),
        )

    def t_noop(self, task: dict[str, Any], scope: Scope, indent: int) -> list[str]:
        if task.get("inputParameters"):
            raise _Raw("it has inputs")
        return self.system(task, scope, indent, "noop", "noop", [], {}, frozenset())

    def t_exclusive_join(self, task: dict[str, Any], scope: Scope, indent: int) -> list[str]:
        join_on = task.get("joinOn") or []
        default = task.get("defaultExclusiveJoinTask") or []
        if task.get("inputParameters") or not all(isinstance(x, str) for x in [*join_on, *default]):
            raise _Raw("it has inputs or its joinOn is not a list of references")
        positional = [self.value(list(join_on), scope, indent)]
        keywords = [f"default={self.value(list(default), scope, indent, 8)}"] if default else []
        return self.system(
            task,
            scope,
            indent,
            "exclusive_join",
            "exclusive_join",
            positional,
            {},
            frozenset(),
            extra=frozenset({"joinOn", "defaultExclusiveJoinTask"}),
            keywords=keywords,
        )
