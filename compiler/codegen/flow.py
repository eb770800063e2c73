"""Control flow for generated workflow bodies: fork, dynamic_fork, switch, do_while, sub_workflow."""

from __future__ import annotations

from typing import Any

from compiler.codegen.body import BodyWriter, _Raw
from compiler.codegen.pyexpr import Scope, identifier, py_string

__all__ = ["WorkflowWriter"]


class WorkflowWriter(BodyWriter):
    """BodyWriter plus the combinators that hold other tasks."""

    # -- branches ------------------------------------------------------------------------
    def branch(
        self,
        name_hint: str,
        tasks: list[Any],
        scope: Scope,
        indent: int,
        returns: bool,
        prefix: int = 4,
    ) -> tuple[list[str], str]:
        """A zero-argument function for ``tasks``: (lines defining it, the expression naming it).

        A single short statement becomes a ``lambda``; anything else a nested ``def``. With
        ``returns``, the function returns the handle of its last task. ``prefix`` counts what
        stands before the lambda on its line, beyond ``indent``.
        """
        inner = scope.child()
        body = self.block(tasks, inner, indent + 4)
        start = self.last_call
        if not tasks:
            return [], "lambda: None"
        if len(body) == 1 and not body[0].lstrip().startswith("#"):
            call = body[0].strip()
            assigned = " = " in call.split("(", 1)[0]
            if assigned and returns:
                call, assigned = call.split(" = ", 1)[1], False  # the lambda returns the handle
            if not assigned and indent + prefix + len("lambda: ") + len(call) + 1 <= 100:
                return [], f"lambda: {call}"
        fn = self.fresh(name_hint)
        result = "None"
        if returns:
            result = f"{self.module.helper('Handle')}[dict[str, Any]]"
            first = body[start]
            stripped = first.lstrip()
            if " = " in stripped.split("(", 1)[0]:
                stripped = stripped.split(" = ", 1)[1]
            body[start] = " " * (indent + 4) + "return " + stripped
        lines = [f"{' ' * indent}def {fn}() -> {result}:", *body]
        return lines, fn

    def _returns_handle(self, tasks: list[Any]) -> bool:
        """True when the statement for the branch's last task evaluates to a handle."""
        return bool(tasks) and not (
            len(tasks) >= 2
            and tasks[-1].get("type") == "JOIN"
            and tasks[-2].get("type") == "FORK_JOIN"
        )

    # -- fork / join ---------------------------------------------------------------------------
    def fork_pair(
        self, task: dict[str, Any], join: dict[str, Any] | None, scope: Scope, indent: int
    ) -> list[str]:
        if join is None or join.get("type") != "JOIN":
            raise _Raw("it is not followed by its JOIN")
        ref = str(task["taskReferenceName"])
        join_ref = str(join["taskReferenceName"])
        if not isinstance(task.get("name"), str) or not isinstance(join.get("name"), str):
            raise _Raw("its name or its JOIN's name is not a string")
        if not set(join) <= {"name", "taskReferenceName", "type", "joinOn"}:
            raise _Raw("its JOIN has fields fork() does not write")
        if task["type"] == "FORK_JOIN_DYNAMIC":
            return self.dynamic_fork(task, join, scope, indent)
        if not set(task) <= {"name", "taskReferenceName", "type", "forkTasks"}:
            raise _Raw("it has fields fork() does not write")
        branches = task.get("forkTasks") or []
        if not branches or not all(isinstance(b, list) and b for b in branches):
            raise _Raw("it has an empty branch")
        last = [str(b[-1].get("taskReferenceName")) for b in branches]
        if list(join.get("joinOn") or []) != last:
            raise _Raw("its JOIN does not wait for exactly the last task of every branch")
        wanted = [r in self.wanted for r in last]
        returns = any(wanted) and all(self._returns_handle(b) for b in branches)
        explicit = self.refs.arg("fork", ref)
        lines: list[str] = []
        names: list[str] = []
        hint = self.stem(ref, "fork")
        for i, branch in enumerate(branches):
            defined, name = self.branch(f"{hint}_branch_{i + 1}", branch, scope, indent, returns)
            lines.extend(defined)
            names.append(name)
        args = list(names)
        if explicit:
            args.append(f"ref={py_string(ref)}")
        if self.refs.arg(f"{ref}_join", join_ref):
            args.append(f"join_ref={py_string(join_ref)}")
        args.extend(self.names_of(task, join))
        target = ""
        if returns:
            targets = []
            for r, want in zip(last, wanted, strict=True):
                var = self.var_for(r) if want else None
                if var is not None:
                    scope.handles[r] = var
                targets.append(var or "_")
            target = ", ".join(targets) if len(targets) > 1 else f"({targets[0]},)"
        return lines + self.call(self.module.helper("fork"), args, indent, target)

    def dynamic_fork(
        self, task: dict[str, Any], join: dict[str, Any], scope: Scope, indent: int
    ) -> list[str]:
        if join.get("joinOn"):
            raise _Raw("its JOIN lists joinOn")
        if "dynamicForkTasksParam" in task:
            return self.dynamic_fork_tasks(task, join, scope, indent)
        if not set(task) <= {"name", "taskReferenceName", "type", "inputParameters", "optional"}:
            raise _Raw("it has fields dynamic_fork() does not write")
        params = task.get("inputParameters") or {}
        inputs = params.get("forkTaskInputs")
        rendered = self.value(inputs, scope, indent)
        if not isinstance(inputs, list) and (rendered.startswith(("'", '"', "f"))):
            raise _Raw("its forkTaskInputs is not a list or a reference flowdsl can name")
        name = params.get("forkTaskName")
        if set(params) == {"forkTaskName", "forkTaskInputs"} and isinstance(name, str):
            target = self.module.task_function(name, None)
        elif set(params) <= {"forkTaskWorkflow", "forkTaskInputs", "forkTaskWorkflowVersion"}:
            name = params.get("forkTaskWorkflow")
            version = params.get("forkTaskWorkflowVersion")
            if not isinstance(name, str) or not (version is None or isinstance(version, str)):
                raise _Raw("its forkTaskWorkflow is not a name or its version not a string")
            if version is not None and not version.isdigit():
                raise _Raw("its forkTaskWorkflowVersion is not a number")
            if version is not None and str(int(version)) != version:
                raise _Raw("its forkTaskWorkflowVersion is not written as a plain number")
            target = self.module.external(name, None if version is None else int(version))
        else:
            raise _Raw("its inputs are not forkTaskName/forkTaskWorkflow and forkTaskInputs")
        ref = str(task["taskReferenceName"])
        join_ref = str(join["taskReferenceName"])
        args = [target, rendered]
        if self.refs.arg(f"{name}_fork", ref):
            args.append(f"ref={py_string(ref)}")
        if self.refs.arg(f"{ref}_join", join_ref):
            args.append(f"join_ref={py_string(join_ref)}")
        args.extend(self.names_of(task, join))
        if "optional" in task:
            args.append(f"optional={task['optional']!r}")
        out = self.assign(join_ref, scope)
        return self.call(self.module.helper("dynamic_fork"), args, indent, out)

    def dynamic_fork_tasks(
        self, task: dict[str, Any], join: dict[str, Any], scope: Scope, indent: int
    ) -> list[str]:
        """The classic dynamic fork: dynamicForkTasksParam + dynamicForkTasksInputParamName."""
        allowed = {"name", "taskReferenceName", "type", "inputParameters", "optional"}
        allowed |= {"dynamicForkTasksParam", "dynamicForkTasksInputParamName"}
        if not set(task) <= allowed:
            raise _Raw("it has fields dynamic_fork_tasks() does not write")
        tasks_param = task.get("dynamicForkTasksParam")
        inputs_param = task.get("dynamicForkTasksInputParamName")
        params = task.get("inputParameters") or {}
        if (
            not isinstance(tasks_param, str)
            or not isinstance(inputs_param, str)
            or not tasks_param
            or tasks_param == inputs_param
            or not isinstance(params, dict)
            or set(params) != {tasks_param, inputs_param}
        ):
            raise _Raw(
                "its inputs are not exactly the dynamicForkTasksParam and "
                "dynamicForkTasksInputParamName it names"
            )
        args = []
        for value, literal in ((params[tasks_param], list), (params[inputs_param], dict)):
            rendered = self.value(value, scope, indent)
            if not isinstance(value, literal) and rendered.startswith(("'", '"', "f")):
                raise _Raw("its tasks or their inputs are not a reference flowdsl can name")
            args.append(rendered)
        ref = str(task["taskReferenceName"])
        join_ref = str(join["taskReferenceName"])
        if self.refs.arg("dynamic_fork", ref):
            args.append(f"ref={py_string(ref)}")
        if self.refs.arg(f"{ref}_join", join_ref):
            args.append(f"join_ref={py_string(join_ref)}")
        args.extend(self.names_of(task, join))
        if "optional" in task:
            args.append(f"optional={task['optional']!r}")
        if tasks_param != "dynamicTasks":
            args.append(f"tasks_param={py_string(tasks_param)}")
        if inputs_param != "dynamicTasksInput":
            args.append(f"inputs_param={py_string(inputs_param)}")
        out = self.assign(join_ref, scope)
        return self.call(self.module.helper("dynamic_fork_tasks"), args, indent, out)

    @staticmethod
    def names_of(task: dict[str, Any], join: dict[str, Any] | None = None) -> list[str]:
        """``name=`` (and ``join_name=``) where a name differs from its reference name."""
        out = []
        if task["name"] != task["taskReferenceName"]:
            out.append(f"name={py_string(task['name'])}")
        if join is not None and join["name"] != join["taskReferenceName"]:
            out.append(f"join_name={py_string(join['name'])}")
        return out

    # -- switch --------------------------------------------------------------------------------
    def t_switch(self, task: dict[str, Any], scope: Scope, indent: int) -> list[str]:
        ref = str(task["taskReferenceName"])
        allowed = {"name", "taskReferenceName", "type", "inputParameters", "evaluatorType"}
        allowed |= {"expression", "decisionCases", "defaultCase", "description"}
        if not set(task) <= allowed or not isinstance(task.get("name"), str):
            raise _Raw("it has fields switch() does not write")
        if not isinstance(task.get("description", ""), str):
            raise _Raw("its description is not a string")
        evaluator, expression = task.get("evaluatorType"), task.get("expression")
        params = task.get("inputParameters") or {}
        cases = task.get("decisionCases") or {}
        default = task.get("defaultCase") or []
        if not isinstance(evaluator, str) or not isinstance(expression, str):
            raise _Raw("its evaluatorType or expression is not a string")
        if not isinstance(cases, dict) or not all(isinstance(v, list) for v in cases.values()):
            raise _Raw("its decisionCases is not an object of task lists")
        by_value = evaluator == "value-param" and set(params) == {expression}
        if by_value:
            subject = self.value(params[expression], scope, indent)
        else:
            subject = self.js(expression, evaluator, params, scope, indent, "javascript")
        explicit = self.refs.arg("switch", ref)
        lines: list[str] = []
        entries: list[str] = []
        hint = self.stem(ref, "switch")
        for key, branch in cases.items():
            defined, fn = self.branch(
                f"{hint}_{identifier(key, 'case')}",
                branch,
                scope,
                indent,
                False,
                8 + len(py_string(key)) + 2,
            )
            lines.extend(defined)
            entries.append(f"{py_string(key)}: {fn}")
        args = [subject, "{" + ", ".join(entries) + "}"]
        if default:
            defined, fn = self.branch(f"{hint}_default", default, scope, indent, False, 12)
            lines.extend(defined)
            args.append(f"default={fn}")
        if explicit:
            args.append(f"ref={py_string(ref)}")
        args.extend(self.names_of(task))
        if by_value and expression != "switchCaseValue":
            args.append(f"param={py_string(expression)}")
        if "description" in task:
            args.append(f"description={py_string(task['description'])}")
        if len(", ".join(args)) > 60 and entries:
            pad = " " * (indent + 8)
            args[1] = "{\n" + "".join(f"{pad}{e},\n" for e in entries) + " " * (indent + 4) + "}"
        return lines + self.call(
            self.module.helper("switch"), args, indent, self.assign(ref, scope)
        )

    def js(
        self,
        expression: str,
        evaluator: str | None,
        params: dict[str, Any],
        scope: Scope,
        indent: int,
        implicit: str | None,
    ) -> str:
        reserved = frozenset({"expression", "evaluator"})
        if reserved & set(params):
            raise _Raw("an input is named 'expression' or 'evaluator'")
        args = [self.text(expression, indent + 4)]
        if evaluator != implicit:
            args.append(f"evaluator={py_string(str(evaluator))}")
        args.extend(self.kwargs(params, scope, indent + 4, reserved))
        fn = self.module.helper("js")
        one = f"{fn}({', '.join(args)})"
        if len(one) + indent + 5 <= 100 and "\n" not in one:
            return one
        pad = " " * (indent + 8)
        return f"{fn}(\n" + "".join(f"{pad}{a},\n" for a in args) + " " * (indent + 4) + ")"

    # -- do_while ------------------------------------------------------------------------------
    def t_do_while(self, task: dict[str, Any], scope: Scope, indent: int) -> list[str]:
        ref = str(task["taskReferenceName"])
        allowed = {"name", "taskReferenceName", "type", "inputParameters", "loopCondition"}
        allowed |= {"loopOver", "evaluatorType", "optional"}
        if not set(task) <= allowed or not isinstance(task.get("name"), str):
            raise _Raw("it has fields do_while() does not write")
        condition = task.get("loopCondition")
        body = task.get("loopOver") or []
        evaluator = task.get("evaluatorType")
        params = task.get("inputParameters") or {}
        if not isinstance(condition, str) or not body:
            raise _Raw("its loopCondition is not a string or its body is empty")
        if evaluator is not None and not isinstance(evaluator, str):
            raise _Raw("its evaluatorType is not a string")
        explicit = self.refs.arg("loop", ref)
        lines, fn = self.branch(f"{self.stem(ref, 'loop')}_body", body, scope, indent, False)
        if params or evaluator is not None:
            subject = self.js(condition, evaluator, params, scope, indent, None)
        else:
            subject = self.text(condition, indent)
        args = [fn, subject]
        if explicit:
            args.append(f"ref={py_string(ref)}")
        args.extend(self.names_of(task))
        if "optional" in task:
            args.append(f"optional={task['optional']!r}")
        return lines + self.call(
            self.module.helper("do_while"), args, indent, self.assign(ref, scope)
        )

    # -- sub-workflows -------------------------------------------------------------------------
    def t_sub_workflow(self, task: dict[str, Any], scope: Scope, indent: int) -> list[str]:
        ref = str(task["taskReferenceName"])
        param = task.get("subWorkflowParam")
        if not isinstance(param, dict) or not isinstance(param.get("name"), str):
            raise _Raw("its subWorkflowParam has no name")
        if not set(param) <= {"name", "version", "taskToDomain", "workflowDefinition"}:
            raise _Raw("its subWorkflowParam has fields sub_workflow() does not write")
        version = param.get("version")
        if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
            raise _Raw("its subWorkflowParam version is not a number")
        opts = self.common(
            task, ("optional", "retryCount", "startDelay"), frozenset({"subWorkflowParam"})
        )
        child = str(param["name"])
        inputs = task.get("inputParameters") or {}
        target, why = self.module.sub_target(param, inputs)
        if target is None:
            if "workflowDefinition" in param:
                raise _Raw(why)
            target = self.module.external(child, version)
        args = [target]
        reserved = frozenset(
            {"ref", "version", "inline", "optional", "retry_count", "start_delay"}
            | {"task_to_domain", "name", "task_def", "_inputs", "target"}
        )
        odd = {k: v for k, v in inputs.items() if k in reserved or not k.isidentifier()}
        args.extend(
            self.kwargs({k: v for k, v in inputs.items() if k not in odd}, scope, indent, reserved)
        )
        if odd:
            args.append(f"_inputs={self.value(odd, scope, indent, 8)}")
        if "workflowDefinition" in param:
            args.append("inline=True")
        if isinstance(param.get("taskToDomain"), dict) and param["taskToDomain"]:
            args.append(f"task_to_domain={self.value(param['taskToDomain'], scope, indent, 15)}")
        elif "taskToDomain" in param:
            raise _Raw("its taskToDomain is empty")
        if self.refs.arg(child, ref):
            args.insert(1, f"ref={py_string(ref)}")
        if task.get("name") != child:
            if not isinstance(task.get("name"), str):
                raise _Raw("its name is not a string")
            args.append(f"name={py_string(task['name'])}")
        args.extend(opts)
        lines = [f"{' ' * indent}# {why}"] if why else []
        return lines + self.call(
            self.module.helper("sub_workflow"), args, indent, self.assign(ref, scope)
        )
