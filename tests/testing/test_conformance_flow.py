"""Conformance: forks, switches, loops, sub-workflows and the system tasks (conductor-semantics.md §8)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from flowdsl import task as task_decorator
from testing.simulator import Simulator


def simple(ref: str, **fields: Any) -> dict[str, Any]:
    return {"name": ref, "taskReferenceName": ref, "type": "SIMPLE", **fields}


def system(kind: str, ref: str, **fields: Any) -> dict[str, Any]:
    return {"name": ref, "taskReferenceName": ref, "type": kind, **fields}


def workflow(*tasks: dict[str, Any], name: str = "wf", **fields: Any) -> dict[str, Any]:
    return {"name": name, "version": 1, "tasks": list(tasks), **fields}


def completing(*refs: str, **outputs: dict[str, Any]) -> Simulator:
    sim = Simulator()
    for ref in refs:
        sim.mock(ref).completes(outputs.get(ref, {}))
    return sim


def test_fork_orders_fork_heads_and_join() -> None:
    """§9 / ForkJoinSpec: FORK, the branch heads in order, then the JOIN; JOIN output keyed by ref."""
    fork = system("FORK_JOIN", "fork", forkTasks=[[simple("a1"), simple("a2")], [simple("b1")]])
    join = system("JOIN", "join", joinOn=["a2", "b1"])
    sim = completing("a1", "a2", "b1", a2={"x": 1}, b1={"y": 2})
    run = sim.run(workflow(fork, join))
    assert [t["referenceTaskName"] for t in run.tasks[:4]] == ["fork", "a1", "b1", "join"]
    assert [t["taskType"] for t in run.tasks[:4]] == [
        "FORK",
        "a1",
        "b1",
        "JOIN",
    ]  # SIMPLE: its name
    assert run.task("join").output == {"a2": {"x": 1}, "b1": {"y": 2}}
    assert run.status == "COMPLETED"


def test_join_waits_for_the_slowest_branch() -> None:
    """The JOIN completes when its last joinOn task does."""
    fork = system("FORK_JOIN", "fork", forkTasks=[[simple("a")], [simple("b")]])
    sim = Simulator()
    sim.mock("a").completes({}, after=timedelta(seconds=5))
    sim.mock("b").completes({}, after=timedelta(seconds=50))
    sim.mock("after").completes({})
    run = sim.run(workflow(fork, system("JOIN", "join", joinOn=["a", "b"]), simple("after")))
    join = next(t for t in run.tasks if t["referenceTaskName"] == "join")
    assert (join["endTime"] - run.execution["createTime"]) // 1000 == 50


def test_failed_branch_cancels_the_join_and_siblings() -> None:
    """ForkJoinSpec failure: a branch out of retries fails the workflow; JOIN and siblings CANCELED."""
    fork = system("FORK_JOIN", "fork", forkTasks=[[simple("a", retryCount=0)], [simple("b")]])
    sim = Simulator()
    sim.mock("a").fails(reason="no")
    sim.mock("b").completes({}, after=timedelta(seconds=30))
    run = sim.run(workflow(fork, system("JOIN", "join", joinOn=["a", "b"])))
    assert run.status == "FAILED"
    assert (run.task("join").status, run.task("b").status) == ("CANCELED", "CANCELED")


def test_dynamic_fork_runs_one_task_per_input() -> None:
    """§8.3 forkTaskInputs: refs _<name>_<i>, __index added, JOIN output keyed by forked ref."""
    dyn = system(
        "FORK_JOIN_DYNAMIC",
        "dyn",
        inputParameters={"forkTaskName": "resize", "forkTaskInputs": "${workflow.input.items}"},
    )
    sim = Simulator()
    sim.mock("resize").completes({"ok": True})
    run = sim.run(workflow(dyn, system("JOIN", "dyn_join")), {"items": [{"w": 1}, {"w": 2}]})
    forked = [t for t in run.tasks if t["workflowTask"].get("type") == "SIMPLE"]
    assert [t["referenceTaskName"] for t in forked] == ["_resize_0", "_resize_1"]
    assert [t["inputData"] for t in forked] == [{"w": 1, "__index": 0}, {"w": 2, "__index": 1}]
    assert run.task("dyn_join").output == {"_resize_0": {"ok": True}, "_resize_1": {"ok": True}}
    assert run.status == "COMPLETED"


def test_dynamic_fork_of_nothing_completes_at_once() -> None:
    """§8.3: zero forks -> a JOIN with an empty joinOn, completed on its first evaluation."""
    dyn = system(
        "FORK_JOIN_DYNAMIC", "dyn", inputParameters={"forkTaskName": "x", "forkTaskInputs": []}
    )
    run = Simulator().run(workflow(dyn, system("JOIN", "dyn_join")))
    assert (run.status, run.task("dyn_join").status) == ("COMPLETED", "COMPLETED")


def test_switch_value_param_picks_the_case_and_continues_after() -> None:
    """§8.4 value-param: exact string match; the task after the SWITCH runs after the case."""
    sw = system(
        "SWITCH",
        "sw",
        evaluatorType="value-param",
        expression="v",
        inputParameters={"v": "${workflow.input.kind}"},
        decisionCases={"a": [simple("in_a")], "b": [simple("in_b")]},
        defaultCase=[simple("dflt")],
    )
    sim = completing("in_a", "in_b", "dflt", "after")
    run = sim.run(workflow(sw, simple("after")), {"kind": "b"})
    assert [t["referenceTaskName"] for t in run.tasks] == ["sw", "in_b", "after"]
    assert run.task("sw").output == {"evaluationResult": ["b"], "selectedCase": "b"}


def test_switch_without_match_takes_the_default() -> None:
    """§8.4: no key matches -> defaultCase."""
    sw = system(
        "SWITCH",
        "sw",
        evaluatorType="value-param",
        expression="v",
        inputParameters={"v": 42},
        decisionCases={"a": [simple("in_a")]},
        defaultCase=[simple("dflt")],
    )
    run = completing("dflt").run(workflow(sw))
    assert [t["referenceTaskName"] for t in run.tasks] == ["sw", "dflt"]


def test_switch_javascript_result_is_matched_as_a_string() -> None:
    """§8.4 javascript: the result becomes a string (2.0 -> "2", true -> "true")."""
    sw = system(
        "SWITCH",
        "sw",
        evaluatorType="javascript",
        expression="$.n * 2",
        inputParameters={"n": 1.0},
        decisionCases={"2": [simple("two")]},
    )
    run = completing("two").run(workflow(sw))
    assert run.task("sw").output["selectedCase"] == "2"
    assert run.task("two").status == "COMPLETED"


def test_switch_script_error_fails_the_workflow() -> None:
    """§8.4: an evaluation error fails the SWITCH (never retried) and the workflow."""
    sw = system(
        "SWITCH",
        "sw",
        evaluatorType="javascript",
        expression="$.a.b.c",
        decisionCases={"x": [simple("x")]},
    )
    run = Simulator().run(workflow(sw))
    assert (run.status, run.task("sw").status) == ("FAILED", "FAILED")


def test_decision_case_value_param() -> None:
    """§8.5 DECISION (deprecated): caseValueParam, output caseOutput."""
    dec = system(
        "DECISION",
        "dec",
        caseValueParam="c",
        inputParameters={"c": "y"},
        decisionCases={"y": [simple("y")]},
    )
    run = completing("y").run(workflow(dec))
    assert run.task("dec").output == {"caseOutput": ["y"]}


def test_do_while_runs_iterations_with_suffixed_refs() -> None:
    """§8.6: body refs get __N, iteration N; the loop output holds each iteration's outputs."""
    loop = system(
        "DO_WHILE", "loop", loopCondition="$.loop['iteration'] < 3", loopOver=[simple("body")]
    )
    sim = Simulator()
    sim.mock("body").completes({"v": 1})
    run = sim.run(workflow(loop))
    body = [t for t in run.tasks if t["workflowTask"].get("type") == "SIMPLE"]
    assert [(t["referenceTaskName"], t["iteration"]) for t in body] == [
        ("body__1", 1),
        ("body__2", 2),
        ("body__3", 3),
    ]
    assert run.task("loop").output["iteration"] == 3
    assert run.task("loop").output["2"] == {"body": {"v": 1}}


def test_do_while_condition_reads_the_body_output() -> None:
    """§8.6: $.<bodyRef> in the condition is that task's latest output."""
    loop = system(
        "DO_WHILE", "poll", loopCondition="$.check['status'] != 'DONE'", loopOver=[simple("check")]
    )
    sim = Simulator()
    sim.mock("check").completes({"status": "PENDING"}).then_completes(
        {"status": "PENDING"}
    ).then_completes({"status": "DONE"})
    run = sim.run(workflow(loop))
    assert run.task("poll").output["iteration"] == 3


def test_do_while_over_items() -> None:
    """§8.6 list mode: one iteration per item, loopItem / loopIndex in the loop output."""
    loop = system(
        "DO_WHILE",
        "each",
        loopCondition="true",
        items="${workflow.input.xs}",
        loopOver=[simple("use", inputParameters={"item": "${each.output.loopItem}"})],
    )
    sim = Simulator()
    sim.mock("use").completes({})
    run = sim.run(workflow(loop), {"xs": ["a", "b"]})
    assert [
        t["inputData"]["item"] for t in run.tasks if t["workflowTask"].get("type") == "SIMPLE"
    ] == ["a", "b"]


def test_do_while_over_no_items_skips_the_body() -> None:
    """§8.6: an empty list completes the loop with iteration 0 and no body run."""
    loop = system(
        "DO_WHILE",
        "each",
        loopCondition="true",
        items="${workflow.input.xs}",
        loopOver=[simple("use")],
    )
    run = Simulator().run(workflow(loop), {"xs": []})
    assert run.task("each").output == {"iteration": 0}
    assert run.status == "COMPLETED"


def test_terminate_in_a_branch_ends_the_workflow() -> None:
    """§8.9: TERMINATE FAILED ends the workflow with its reason; its output is the workflow output."""
    term = system(
        "TERMINATE",
        "stop",
        inputParameters={
            "terminationStatus": "FAILED",
            "terminationReason": "rejected",
            "workflowOutput": {"why": "risk"},
        },
    )
    sw = system(
        "SWITCH",
        "sw",
        evaluatorType="value-param",
        expression="v",
        inputParameters={"v": "no"},
        decisionCases={"no": [term]},
    )
    run = completing("never").run(workflow(sw, simple("never")))
    assert (run.status, run.reason, run.output) == ("FAILED", "rejected", {"why": "risk"})
    assert "never" not in [t["referenceTaskName"] for t in run.tasks]


def test_terminate_completed_uses_its_default_reason() -> None:
    """§8.9: the reason is set even for COMPLETED: 'Workflow is COMPLETED by TERMINATE task: <id>'."""
    run = Simulator().run(
        workflow(system("TERMINATE", "t", inputParameters={"terminationStatus": "COMPLETED"}))
    )
    assert run.status == "COMPLETED"
    assert run.reason == f"Workflow is COMPLETED by TERMINATE task: {run.tasks[0]['taskId']}"


def test_wait_duration_on_the_fake_clock() -> None:
    """§8.10: WAIT with a duration completes exactly that much later."""
    run = Simulator().run(
        workflow(system("WAIT", "w", inputParameters={"duration": "2 hours 30 minutes"}))
    )
    assert (run.status, run.duration) == ("COMPLETED", timedelta(hours=2, minutes=30))


def test_wait_until_on_the_fake_clock() -> None:
    """§8.10: WAIT until a time (UTC) completes then."""
    run = Simulator().run(
        workflow(system("WAIT", "w", inputParameters={"until": "2024-01-02 00:00"}))
    )
    assert run.duration == timedelta(days=1)


def test_wait_with_both_inputs_fails_terminally() -> None:
    """§8.10: duration and until together -> FAILED_WITH_TERMINAL_ERROR."""
    run = Simulator().run(
        workflow(system("WAIT", "w", inputParameters={"duration": "1s", "until": "2024-01-02"}))
    )
    assert run.task("w").status == "FAILED_WITH_TERMINAL_ERROR"


def test_human_task_completes_by_signal() -> None:
    """§8.13: HUMAN waits for an external update; its output is what the signal gives."""
    sim = Simulator()
    sim.signal("review", after=timedelta(hours=4), output={"approved": True})
    run = sim.run(
        workflow(
            system("HUMAN", "review"),
            system(
                "INLINE",
                "echo",
                inputParameters={
                    "evaluatorType": "javascript",
                    "expression": "$.ok",
                    "ok": "${review.output.approved}",
                },
            ),
        )
    )
    assert run.duration == timedelta(hours=4)
    assert run.task("echo").output == {"result": True}


def test_unsignalled_human_task_leaves_the_workflow_running() -> None:
    """Without a signal a HUMAN task waits forever: the run ends RUNNING."""
    assert Simulator().run(workflow(system("HUMAN", "review"))).status == "RUNNING"


def test_set_variable_then_read() -> None:
    """§8.11: SET_VARIABLE writes workflow.variables."""
    setv = system("SET_VARIABLE", "setv", inputParameters={"count": 3})
    read = system(
        "INLINE",
        "read",
        inputParameters={
            "evaluatorType": "javascript",
            "expression": "$.c + 1",
            "c": "${workflow.variables.count}",
        },
    )
    run = Simulator().run(workflow(setv, read))
    assert run.execution["variables"] == {"count": 3}
    assert run.task("read").output == {"result": 4}


def test_inline_script_error_fails_terminally() -> None:
    """§8.12: a script error -> FAILED_WITH_TERMINAL_ERROR with output.error."""
    run = Simulator().run(
        workflow(
            system(
                "INLINE",
                "i",
                inputParameters={"evaluatorType": "javascript", "expression": "nope()"},
            )
        )
    )
    assert run.task("i").status == "FAILED_WITH_TERMINAL_ERROR"
    assert "nope" in run.task("i").output["error"]


def test_jq_transform_result_and_result_list() -> None:
    """§8.14: result = first value, resultList = all."""
    jq = system(
        "JSON_JQ_TRANSFORM", "jq", inputParameters={"queryExpression": ".xs[]", "xs": [1, 2]}
    )
    assert Simulator().run(workflow(jq)).task("jq").output == {"result": 1, "resultList": [1, 2]}


def test_sub_workflow_output_is_merged_into_the_task() -> None:
    """§8.7: the child runs; its output plus subWorkflowId becomes the task output."""
    child = workflow(simple("c"), name="child", outputParameters={"v": "${c.output.v}"})
    sim = Simulator(workflows=[child])
    sim.mock("c").completes({"v": 7}, after=timedelta(seconds=9))
    run = sim.run(
        workflow(system("SUB_WORKFLOW", "sub", subWorkflowParam={"name": "child", "version": 1}))
    )
    sub = run.task("sub")
    assert sub.output["v"] == 7 and sub.output["subWorkflowId"] == run.children[0]["workflowId"]
    assert run.children[0]["parentWorkflowId"] == run.execution["workflowId"]
    assert run.duration == timedelta(seconds=9)


def test_failed_child_fails_the_parent() -> None:
    """§8.7: a FAILED child makes the task FAILED (ad-hoc def: no retries), so the parent FAILS."""
    child = workflow(simple("c", retryCount=0), name="child")
    sim = Simulator(workflows=[child])
    sim.mock("c").fails(reason="child broke")
    run = sim.run(
        workflow(system("SUB_WORKFLOW", "sub", subWorkflowParam={"name": "child", "version": 1}))
    )
    assert (run.status, run.task("sub").status) == ("FAILED", "FAILED")
    assert "child broke" in (run.task("sub").reason or "")


def test_inline_sub_workflow_definition() -> None:
    """§1.3: subWorkflowParam.workflowDefinition runs without registration."""
    child = workflow(system("NOOP", "n"), name="inline_child")
    run = Simulator().run(
        workflow(
            system(
                "SUB_WORKFLOW",
                "sub",
                subWorkflowParam={"name": "inline_child", "workflowDefinition": child},
            )
        )
    )
    assert run.status == "COMPLETED"


def test_start_workflow_is_fire_and_forget() -> None:
    """§8.8: START_WORKFLOW completes at once with the new workflowId; no parent link."""
    other = workflow(system("WAIT", "w", inputParameters={"duration": "1h"}), name="other")
    run = Simulator(workflows=[other]).run(
        workflow(
            system(
                "START_WORKFLOW",
                "start",
                inputParameters={"startWorkflow": {"name": "other", "input": {}}},
            )
        )
    )
    assert run.status == "COMPLETED" and run.duration == timedelta(0)
    assert run.task("start").output == {"workflowId": run.children[0]["workflowId"]}
    assert run.children[0]["parentWorkflowId"] is None


def test_failure_workflow_starts_with_the_reason() -> None:
    """§2.4: a FAILED workflow starts its failureWorkflow with workflowId, reason, failureStatus."""
    handler = workflow(system("NOOP", "n"), name="on_failure")
    sim = Simulator(workflows=[handler])
    sim.mock("a").fails_terminally("bad")
    run = sim.run(workflow(simple("a"), failureWorkflow="on_failure"), {"k": 1})
    (child,) = run.children
    assert child["input"]["workflowId"] == run.execution["workflowId"]
    assert child["input"]["failureStatus"] == "FAILED" and child["input"]["k"] == 1
    assert run.output["conductor.failure_workflow"] == child["workflowId"]


def test_exclusive_join_takes_the_branch_that_ran() -> None:
    """§8.18: EXCLUSIVE_JOIN completes with the output of the joinOn task that exists."""
    sw = system(
        "SWITCH",
        "sw",
        evaluatorType="value-param",
        expression="v",
        inputParameters={"v": "b"},
        decisionCases={"a": [simple("ta")], "b": [simple("tb")]},
    )
    ex = system("EXCLUSIVE_JOIN", "ex", joinOn=["ta", "tb"])
    run = completing("ta", "tb", tb={"from": "b"}).run(workflow(sw, ex))
    assert run.task("ex").output == {"from": "b"}


def test_event_task_publishes_and_completes() -> None:
    """§8.15: EVENT output = input + workflow fields + event_produced."""
    run = Simulator().run(
        workflow(system("EVENT", "e", sink="conductor", inputParameters={"k": 1}), name="w")
    )
    assert run.task("e").output["event_produced"] == "conductor:w:e"


def test_http_task_needs_a_mock_and_uses_it() -> None:
    """HTTP makes no network call: its mock is the response."""
    sim = Simulator()
    sim.mock("call").completes({"response": {"statusCode": 200, "body": {"score": 710}}})
    http = system(
        "HTTP", "call", inputParameters={"http_request": {"uri": "https://x", "method": "GET"}}
    )
    run = sim.run(workflow(http))
    assert run.task("call").output["response"]["body"] == {"score": 710}


def test_secrets_reach_the_worker_but_not_the_record() -> None:
    """§6.4: ${workflow.secrets.X} stays literal in the execution; the worker gets the value."""
    from flowdsl import secret, task
    from flowdsl import workflow as wf_decorator

    seen: list[str] = []

    @task
    def call_api(token: str) -> dict[str, Any]:
        seen.append(token)
        return {}

    @wf_decorator
    def flow() -> None:
        call_api(token=f"Bearer {secret('API')}")

    run = Simulator(secrets={"API": "s3cr3t"}).run(flow)
    assert seen == ["Bearer s3cr3t"]
    assert run.task("call_api").input == {"token": "Bearer ${workflow.secrets.API}"}


@task_decorator
def stamp() -> dict[str, Any]:
    """A worker reading the clock, as real worker code does (module-level datetime)."""
    return {"now": datetime.now(UTC).isoformat(), "epoch": time.time()}


def test_real_worker_sees_the_simulated_time() -> None:
    """The @task function runs under freezegun: datetime.now() and time.time() are the simulated time."""
    from flowdsl import wait
    from flowdsl import workflow as wf_decorator

    @wf_decorator
    def flow() -> None:
        wait(timedelta(days=2))
        stamp()

    run = Simulator().run(flow)
    assert run.task("stamp").output == {"now": "2024-01-03T00:00:00+00:00", "epoch": 1704240000.0}


def test_real_worker_exception_fails_the_attempt() -> None:
    """An exception in the @task function fails the attempt with its message as the reason."""
    from flowdsl import task
    from flowdsl import workflow as wf_decorator

    @task(retry_count=0)
    def broken() -> None:
        raise ValueError("bad input")

    @wf_decorator
    def flow() -> None:
        broken()

    run = Simulator().run(flow)
    assert run.status == "FAILED"
    assert run.task("broken").reason == "ValueError: bad input"
