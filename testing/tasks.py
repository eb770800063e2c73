"""Mapping WorkflowTasks to task attempts, and running Conductor's system tasks.

``schedule`` is Conductor's ``getTasksToBeScheduled`` plus the type mappers (conductor-semantics.md
§3.4, §8): it creates the attempts a WorkflowTask stands for (a FORK_JOIN gives FORK, each branch
head and the JOIN; a SWITCH gives itself and its chosen case's head) and runs the synchronous system
tasks at once.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from compiler.conductor import TASK_DEF_DEFAULTS
from testing.model import Task, Workflow
from testing.params import resolve
from testing.scripts import ScriptError, case_string, eval_jq, eval_js, eval_lambda, to_boolean

if TYPE_CHECKING:
    from testing.engine import Engine

__all__ = ["ASYNC", "SYNC", "WORKER_LIKE", "schedule", "task_def_for"]

SYNC = frozenset(
    {
        "DECISION",
        "SWITCH",
        "FORK",
        "DO_WHILE",
        "EXCLUSIVE_JOIN",
        "INLINE",
        "LAMBDA",
        "SET_VARIABLE",
        "TERMINATE",
        "NOOP",
        "JSON_JQ_TRANSFORM",
        "EVENT",
        "HUMAN",
        "JOIN",
    }
)
ASYNC = frozenset({"WAIT", "SUB_WORKFLOW", "START_WORKFLOW", "KAFKA_PUBLISH"})
BUILT_IN = frozenset({"DECISION", "SWITCH", "FORK", "JOIN", "EXCLUSIVE_JOIN", "DO_WHILE"})
# Types handled by the simulator itself; anything else is a worker (SIMPLE, DYNAMIC) or must be mocked.
KNOWN = SYNC | ASYNC | {"FORK_JOIN", "FORK_JOIN_DYNAMIC", "SIMPLE", "DYNAMIC", "HTTP"}
WORKER_LIKE = frozenset({"SIMPLE", "HTTP"})

# Conductor's TaskDef defaults (the compiler writes the same ones out), plus the fields the
# simulator reads that the compiler leaves to the server.
_DEFAULTS = {
    **TASK_DEF_DEFAULTS,
    "backoffScaleFactor": 1,
    "maxRetryDelaySeconds": 0,
    "pollTimeoutSeconds": 0,
    "totalTimeoutSeconds": 0,
    "concurrentExecLimit": 0,
}


_NO_LIMIT = 1 << 62


def task_def_for(eng: Engine, wt: dict[str, Any]) -> dict[str, Any]:
    """The TaskDef that applies (§2.2): inline, else registered by name, else an ad-hoc one.

    Cached per engine (by name, and by the inline definition's identity); the result is shared
    by every attempt, so nobody may change it. ``_timeouts`` says whether any timeout can fire.
    """
    inline = wt.get("taskDefinition")
    name = wt.get("name")
    if type(name) is not str:
        name = str(name)
    if isinstance(inline, dict):
        key: tuple[str, int] = (name, id(inline))
    else:
        kind = wt.get("type")
        key = (name, 0 if not kind or kind == "SIMPLE" else 1)
    cached = eng.task_def_cache.get(key)
    if cached is not None:
        return cached
    found = inline if isinstance(inline, dict) else eng.task_defs.get(name)
    if found is not None:
        td = {**_DEFAULTS, **{k: v for k, v in found.items() if v is not None}}
    elif key[1] == 0:
        td = dict(_DEFAULTS)
    else:
        td = {**_DEFAULTS, "retryCount": 0, "responseTimeoutSeconds": 0}
    # Whether a poll must consult concurrentExecLimit / rateLimitPerFrequency (§7).
    td["_limited"] = bool(
        int(td.get("concurrentExecLimit") or 0) or int(td.get("rateLimitPerFrequency") or 0)
    )
    td["_timeouts"] = any(
        int(td.get(k) or 0)
        for k in (
            "timeoutSeconds",
            "responseTimeoutSeconds",
            "pollTimeoutSeconds",
            "totalTimeoutSeconds",
        )
    )
    # How soon (ms) a worker's update must follow its poll for testing.workers to fold the poll
    # into the update: only a response timeout, which then cannot fire; -1: never fold.
    others = any(
        int(td.get(k) or 0) for k in ("timeoutSeconds", "pollTimeoutSeconds", "totalTimeoutSeconds")
    )
    response = int(td.get("responseTimeoutSeconds") or 0)
    td["_fold_within"] = (
        -1 if td["_limited"] or others else response * 1000 if response > 0 else _NO_LIMIT
    )
    eng.task_def_cache[key] = td
    return td


def _suffix(ref: str, iteration: int) -> str:
    return f"{ref}__{iteration}" if iteration else ref


def is_literal(params: dict[str, Any]) -> bool:
    """True when ``params`` is flat and refers to nothing: resolving it changes nothing."""
    return all(
        (type(v) is str and "${" not in v) or type(v) in (int, float, bool) or v is None
        for v in params.values()
    )


def inputs(
    eng: Engine, wf: Workflow, wt: dict[str, Any], td: dict[str, Any] | None, task_id: str
) -> dict[str, Any]:
    params = dict(wt.get("inputParameters") or {})
    if wf.schema_v1:  # bare paths; no inputTemplate (getTaskInputV1)
        return wf.inputs_v1(params)
    template = (td or {}).get("inputTemplate") or {}
    if not params and not template:
        return params
    if not template and is_literal(params):
        return params  # flat literals: nothing to resolve
    for key, value in template.items():
        params.setdefault(key, value)
    resolved = resolve(params, wf.document(), task_id=task_id, env=eng.env)
    if not isinstance(resolved, dict):
        return {}
    for (
        key,
        value,
    ) in template.items():  # §6.5: a key that resolved to null takes the template's raw value
        if resolved.get(key) is None:
            resolved[key] = copy.deepcopy(value)
    return resolved


def _new(
    eng: Engine,
    wf: Workflow,
    wt: dict[str, Any],
    task_type: str,
    iteration: int,
    resolve_inputs: bool = True,
) -> Task:
    td = task_def_for(eng, wt)
    task_id = eng.new_id("task")
    task = Task(
        task_id, task_type, _suffix(str(wt.get("taskReferenceName")), iteration), wt, td, eng.now
    )
    task.iteration = iteration
    if resolve_inputs:
        task.input = inputs(
            eng,
            wf,
            wt,
            td
            if task_type
            in (
                "SIMPLE",
                "HTTP",
                "INLINE",
                "JSON_JQ_TRANSFORM",
                "DO_WHILE",
                "LAMBDA",
                "KAFKA_PUBLISH",
            )
            else None,
            task_id,
        )
    return task


def schedule(
    eng: Engine, wf: Workflow, wt: dict[str, Any], iteration: int, out: list[Task]
) -> None:
    """Append to ``out`` the attempts ``wt`` maps to (skipping refs that already ran, §3.4)."""
    if _suffix(str(wt.get("taskReferenceName")), iteration) in wf.by_ref:
        return  # already scheduled or ran: Conductor maps a reference once (retries aside)
    kind = str(wt.get("type") or "SIMPLE")
    if kind == "FORK_JOIN":
        fork = _new(eng, wf, wt, "FORK", iteration)
        fork.status = "COMPLETED"
        out.append(fork)
        for branch in wt.get("forkTasks") or []:
            if branch:
                schedule(eng, wf, branch[0], iteration, out)
        _follow_with_join(eng, wf, wt, iteration, None, "Fork task definition", out)
        return
    if kind == "FORK_JOIN_DYNAMIC":
        _dynamic_fork(eng, wf, wt, iteration, out)
        return
    if kind in ("SWITCH", "DECISION"):
        _switch(eng, wf, wt, iteration, out)
        return
    if kind == "DYNAMIC":
        task = _new(eng, wf, wt, "DYNAMIC", iteration)
        name = task.input.get(str(wt.get("dynamicTaskNameParam") or ""))
        if not name:
            eng.fail_workflow(
                wf,
                f"Cannot map a dynamic task based on the parameter and input. Parameter= "
                f"{wt.get('dynamicTaskNameParam')}, input= {task.input}",
            )
            return
        task.task_type = str(name)
        task.task_def_name = str(name)
        task.task_def = task_def_for(eng, {**wt, "name": name, "type": "SIMPLE"})
        out.append(task)
        return
    if kind == "JOIN":
        out.append(
            _join(eng, wf, wt, iteration, [_suffix(r, iteration) for r in wt.get("joinOn") or []])
        )
        return
    task = _new(eng, wf, wt, kind, iteration)
    delay = int(wt.get("startDelay") or 0)
    if (delay and kind in ("SIMPLE", "HTTP", "KAFKA_PUBLISH", "SUB_WORKFLOW")) or kind not in KNOWN:
        task.callback_after_seconds = delay
        task.start_delay_seconds = (
            delay if kind not in ("HTTP", "KAFKA_PUBLISH", "SUB_WORKFLOW") else 0
        )
        task.visible_at = eng.now + delay * 1000
    out.append(task)


def _follow_with_join(
    eng: Engine,
    wf: Workflow,
    fork_wt: dict[str, Any],
    iteration: int,
    join_on: list[str] | None,
    what: str,
    out: list[Task],
) -> None:
    """Append the JOIN that must follow a fork (its own joinOn, or ``join_on`` for a dynamic fork);
    a fork not followed by a JOIN fails the workflow, as Conductor's mappers do."""
    join_wt = eng.next_in_list(wf, fork_wt)
    if join_wt is None or join_wt.get("type") != "JOIN":
        eng.fail_workflow(wf, f"{what} is not followed by a join task. Check the blueprint")
        return
    if join_on is None:
        join_on = [_suffix(r, iteration) for r in join_wt.get("joinOn") or []]
    out.append(_join(eng, wf, join_wt, iteration, join_on))


def _join(
    eng: Engine, wf: Workflow, wt: dict[str, Any], iteration: int, join_on: list[str]
) -> Task:
    join = _new(eng, wf, wt, "JOIN", iteration, resolve_inputs=False)
    join.input = {"joinOn": join_on}
    join.status = "IN_PROGRESS"
    return join


def _dynamic_fork(
    eng: Engine, wf: Workflow, wt: dict[str, Any], iteration: int, out: list[Task]
) -> None:
    fork = _new(eng, wf, wt, "FORK", iteration)
    params = fork.input
    forked: list[dict[str, Any]] = []
    if "forkTaskInputs" in (wt.get("inputParameters") or {}):
        inputs = params.get("forkTaskInputs")
        if not isinstance(inputs, list):
            eng.fail_workflow(
                wf,
                f"Input 'forkTaskInputs' of {wt.get('taskReferenceName')} is not a list: {inputs!r}",
            )
            return
        name = params.get("forkTaskName")
        sub = params.get("forkTaskWorkflow")
        kind = "SUB_WORKFLOW" if sub else str(params.get("forkTaskType") or "SIMPLE")
        base = str(name or (sub if sub else wt.get("taskReferenceName")))
        for index, item in enumerate(inputs):
            task_input = dict(item) if isinstance(item, dict) else {"input": item}
            task_input["__index"] = index
            spec: dict[str, Any] = {
                "name": base,
                "taskReferenceName": f"_{base}_{index}",
                "type": kind,
                "inputParameters": task_input,
            }
            if sub:
                version = params.get("forkTaskWorkflowVersion")
                spec["subWorkflowParam"] = {
                    "name": sub,
                    "version": int(version) if version else None,
                }
            forked.append(spec)
    else:
        tasks_param = wt.get("dynamicForkTasksParam") or wt.get("dynamicForkJoinTasksParam")
        raw = params.get(str(tasks_param))
        if isinstance(raw, dict) and "dynamicTasks" in raw:  # the legacy form
            raw = [
                {
                    "name": t.get("taskName"),
                    "taskReferenceName": t.get("referenceName"),
                    "type": t.get("type") or "SIMPLE",
                    "inputParameters": t.get("input") or {},
                }
                for t in raw.get("dynamicTasks") or []
            ]
        if not isinstance(raw, list) or not all(
            isinstance(t, dict) and t.get("taskReferenceName") for t in raw
        ):
            eng.fail_workflow(
                wf, f"Input '{tasks_param}' is invalid. Cannot deserialize a list of WorkflowTask"
            )
            return
        inputs_by_ref = params.get(str(wt.get("dynamicForkTasksInputParamName")), {}) or {}
        if not isinstance(inputs_by_ref, dict) or not all(
            isinstance(v, dict) or v is None for v in inputs_by_ref.values()
        ):
            eng.fail_workflow(
                wf, "Input to the dynamically forked tasks is not a map -> expecting a map of K,V"
            )
            return
        for spec in raw:
            merged = {
                **(spec.get("inputParameters") or {}),
                **(inputs_by_ref.get(spec["taskReferenceName"]) or {}),
            }
            forked.append({**spec, "inputParameters": merged})
    fork.input = {**params, "forkedTasks": [t["taskReferenceName"] for t in forked]}
    fork.status = "COMPLETED"
    out.append(fork)
    for spec in forked:
        if wt.get("optional"):
            spec["optional"] = True
        schedule(eng, wf, spec, iteration, out)
    refs = [_suffix(t["taskReferenceName"], iteration) for t in forked]
    _follow_with_join(eng, wf, wt, iteration, refs, "Dynamic join definition", out)


def _switch(eng: Engine, wf: Workflow, wt: dict[str, Any], iteration: int, out: list[Task]) -> None:
    kind = str(wt.get("type"))
    task = _new(eng, wf, wt, kind, iteration)
    try:
        if kind == "DECISION":
            if wt.get("caseExpression"):
                result = case_string(eval_js(str(wt["caseExpression"]), task.input, now_ms=eng.now))
            else:
                result = case_string(task.input.get(str(wt.get("caseValueParam"))))
        elif wt.get("evaluatorType") == "value-param":
            result = case_string(task.input.get(str(wt.get("expression"))))
        elif wt.get("evaluatorType") in ("javascript", "graaljs"):
            result = case_string(eval_js(str(wt.get("expression")), task.input, now_ms=eng.now))
        else:
            eng.fail_workflow(wf, f"No evaluator registered for type: {wt.get('evaluatorType')}")
            return
    except ScriptError as err:
        task.status = "FAILED"
        task.reason = err.message
        out.append(task)
        return
    cases = wt.get("decisionCases") or {}
    branch = cases.get(result)
    if branch is None or (kind == "DECISION" and not branch):
        branch = wt.get("defaultCase") or []
    task.input = {**task.input, "case": result}
    if branch:
        task.input["hasChildren"] = "true"
    task.output = (
        {"evaluationResult": [result], "selectedCase": result}
        if kind == "SWITCH"
        else {"caseOutput": [result]}
    )
    task.status = "COMPLETED"
    out.append(task)
    if branch:
        schedule(eng, wf, branch[0], iteration, out)


def start(eng: Engine, wf: Workflow, task: Task, follow: list[tuple[dict[str, Any], int]]) -> None:
    """Run a just-scheduled system task's start (§8); ``follow`` gets WorkflowTasks it schedules."""
    kind = task.task_type
    wt = task.workflow_task
    task.start_time = eng.now
    if kind == "INLINE" and not str(task.input.get("expression") or "").strip():
        _done(
            eng,
            task,
            "FAILED_WITH_TERMINAL_ERROR",
            {"error": "Empty 'expression' in Inline task's input"},
            "Empty 'expression' in Inline task's input",
        )
    elif kind == "LAMBDA" and not str(task.input.get("scriptExpression") or "").strip():
        _done(
            eng,
            task,
            "FAILED",
            {},
            "Empty 'scriptExpression' in Lambda task's input parameters. A non-empty "
            "String value must be provided.",
        )
    elif kind == "INLINE":
        try:
            result = eval_js(str(task.input.get("expression") or ""), task.input, now_ms=eng.now)
            _done(eng, task, "COMPLETED", {"result": result})
        except ScriptError as err:
            _done(
                eng,
                task,
                "FAILED" if err.kind == "timeout" else "FAILED_WITH_TERMINAL_ERROR",
                {"error": err.message},
                err.message,
            )
    elif kind == "LAMBDA":
        try:
            _done(
                eng,
                task,
                "COMPLETED",
                {
                    "result": eval_lambda(
                        str(task.input.get("scriptExpression")), task.input, now_ms=eng.now
                    )
                },
            )
        except ScriptError as err:
            _done(eng, task, "FAILED", {"error": err.message}, err.message)
    elif kind == "JSON_JQ_TRANSFORM":
        from testing.scripts import JqError

        try:
            results = eval_jq(str(task.input.get("queryExpression") or "."), task.input)
            _done(
                eng,
                task,
                "COMPLETED",
                {"result": results[0] if results else None, "resultList": results},
            )
        except JqError as err:
            _done(eng, task, "FAILED", {"error": err.message}, err.message)
    elif kind == "SET_VARIABLE":
        import json

        before = dict(wf.variables)
        wf.variables.update(copy.deepcopy(task.input))
        size = len(json.dumps(wf.variables, default=str).encode())
        if size > 256 * 1024:  # maxWorkflowVariablesPayloadSizeThreshold (§8.11): roll back
            wf.variables.clear()
            wf.variables.update(before)
            _done(
                eng,
                task,
                "FAILED_WITH_TERMINAL_ERROR",
                {},
                f"The variables payload size: {size // 1024} KB of workflow: {wf.workflow_id} is greater "
                f"than the permissible limit: 256 KB",
            )
        else:
            _done(eng, task, "COMPLETED", {})
    elif kind == "NOOP":
        task.input = {}  # the NOOP mapper sets no input (§8.18)
        _done(eng, task, "COMPLETED", {})
    elif kind == "TERMINATE":
        status = task.input.get("terminationStatus")
        if status not in ("COMPLETED", "FAILED", "TERMINATED"):
            _done(
                eng,
                task,
                "FAILED",
                {},
                f"terminationStatus {status!r} is not COMPLETED, FAILED or TERMINATED",
            )
            return
        value = task.input.get("workflowOutput")
        _done(
            eng,
            task,
            "COMPLETED",
            value if isinstance(value, dict) else ({} if value is None else {"output": value}),
        )
    elif kind == "EVENT":
        sink = str(wt.get("sink") or "")
        queue = (
            f"conductor:{wf.name}:{wt.get('taskReferenceName')}"
            if sink == "conductor"
            else (
                f"conductor:{wf.name}:{sink.split(':', 1)[1]}"
                if sink.startswith("conductor:")
                else sink
            )
        )
        output = {
            **task.input,
            "workflowInstanceId": wf.workflow_id,
            "workflowType": wf.name,
            "workflowVersion": wf.version,
            "correlationId": wf.correlation_id,
            "event_produced": queue,
        }
        eng.events_published.append((eng.now, queue, output))
        if wt.get("asyncComplete"):
            task.status = "IN_PROGRESS"
            task.output = output
        else:
            _done(eng, task, "COMPLETED", output)
    elif kind == "HUMAN":
        task.status = "IN_PROGRESS"
    elif kind == "KAFKA_PUBLISH":
        request = task.input.get("kafka_request")
        if not isinstance(request, dict) or not request.get("topic"):
            _done(eng, task, "FAILED", {}, "kafka_request with a topic is required")
        elif wt.get("asyncComplete"):
            task.status = "IN_PROGRESS"
        else:
            _done(eng, task, "COMPLETED", {})
    elif kind == "START_WORKFLOW":
        request = task.input.get("startWorkflow")
        if not isinstance(request, dict) or not request.get("name"):
            _done(eng, task, "FAILED", {}, "startWorkflow request is missing or has no name")
            return
        child = eng.start_by_name(
            str(request["name"]),
            request.get("version"),
            dict(request.get("input") or {}),
            correlation_id=request.get("correlationId") or wf.correlation_id,
        )
        _done(eng, task, "COMPLETED", {"workflowId": child.workflow_id})
    elif kind == "SUB_WORKFLOW":
        eng.start_sub_workflow(wf, task)
    elif kind == "WAIT":
        eng.start_wait(wf, task)
    elif kind == "DO_WHILE":
        eng.loops.start(wf, task, follow)
    elif kind == "EXCLUSIVE_JOIN":
        exclusive_join(wf, task)


def _done(
    eng: Engine, task: Task, status: str, output: dict[str, Any], reason: str | None = None
) -> None:
    task.status = status
    task.output = output
    task.reason = reason
    task.end_time = eng.now
    task.update_time = eng.now


def exclusive_join(wf: Workflow, task: Task) -> None:
    """EXCLUSIVE_JOIN (§8.18): complete with the output of the first joinOn task that exists."""
    wt = task.workflow_task
    suffix = f"__{task.iteration}" if task.iteration else ""
    for refs in (wt.get("joinOn") or [], wt.get("defaultExclusiveJoinTask") or []):
        for ref in refs:
            found = wf.by_ref.get(ref + suffix)
            if found is not None and found.status != "SKIPPED":
                if found.terminal:
                    task.status = "COMPLETED" if found.successful else "FAILED"
                    task.output = dict(found.output)
                    task.end_time = found.end_time
                return


def evaluate_join(wf: Workflow, join: Task, now: int) -> None:
    """JOIN (§8.2), evaluated once every joinOn task is final: output keyed by ref, status by branch."""
    output: dict[str, Any] = {}
    failed: list[Task] = []
    with_errors = False
    for ref in join.input.get("joinOn") or []:
        task = wf.by_ref.get(ref)
        if task is None:
            continue
        if task.output:
            output[ref] = task.output
        if task.status == "COMPLETED_WITH_ERRORS":
            with_errors = True
        elif not task.successful and not task.workflow_task.get("optional"):
            failed.append(task)
    join.output = output
    join.end_time = now
    join.update_time = now
    if failed:
        join.status = "CANCELED" if all(t.status == "CANCELED" for t in failed) else "FAILED"
        join.reason = " ".join(str(t.reason) for t in failed if t.reason) or " ".join(
            f"{t.task_def_name}/{t.task_id} is in status {t.status}" for t in failed
        )
    elif with_errors:
        join.status = "COMPLETED_WITH_ERRORS"
        join.reason = "one or more tasks completed with errors"
    else:
        join.status = "COMPLETED"


def loop_condition(loop: Task, bindings: dict[str, Any], now: int) -> bool:
    """Evaluate a DO_WHILE loopCondition (raises ScriptError)."""
    return to_boolean(
        eval_js(str(loop.workflow_task.get("loopCondition") or "false"), bindings, now_ms=now)
    )
