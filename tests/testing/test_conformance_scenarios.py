"""Conformance: rate limits, optional/permissive branches, timeout quirks and the system tasks.

One behaviour per test, with exact simulated times. Each docstring names the section of
conductor-semantics.md (§) and/or the scenario of conductor-scenarios.md it checks; [derived]
marks what the reference infers from the code rather than from a test. Complements
test_conformance_core.py and test_conformance_flow.py (nothing here repeats them).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from testing.simulator import Run, Simulator

S = 1000  # ms
WF = dict[str, Any]


def secs(n: float) -> timedelta:
    return timedelta(seconds=n)


def simple(ref: str, name: str | None = None, **fields: Any) -> WF:
    return {"name": name or ref, "taskReferenceName": ref, "type": "SIMPLE", **fields}


def system(kind: str, ref: str, **fields: Any) -> WF:
    return {"name": ref, "taskReferenceName": ref, "type": kind, **fields}


def workflow(*tasks: WF, name: str = "wf", **fields: Any) -> WF:
    return {"name": name, "version": 1, "tasks": list(tasks), **fields}


def fork_join(ref: str, *branches: list[WF], join_on: list[str] | None = None) -> tuple[WF, WF]:
    """A FORK_JOIN and its JOIN (``<ref>_join``), joining the last task of every branch."""
    on = join_on or [b[-1]["taskReferenceName"] for b in branches]
    fork = system("FORK_JOIN", ref, forkTasks=[list(b) for b in branches])
    return fork, system("JOIN", f"{ref}_join", joinOn=on)


def script(kind: str, ref: str, expression: str, **inputs: Any) -> WF:
    """An INLINE (javascript) or LAMBDA task."""
    if kind == "LAMBDA":
        return system(kind, ref, inputParameters={"scriptExpression": expression, **inputs})
    params = {"evaluatorType": "javascript", "expression": expression, **inputs}
    return system(kind, ref, inputParameters=params)


def jq(ref: str, query: str, **inputs: Any) -> WF:
    return system("JSON_JQ_TRANSFORM", ref, inputParameters={"queryExpression": query, **inputs})


def sub(ref: str, child: str = "child", **fields: Any) -> WF:
    return system("SUB_WORKFLOW", ref, subWorkflowParam={"name": child, "version": 1}, **fields)


def switch(ref: str, value: Any, cases: dict[str, list[WF]], **fields: Any) -> WF:
    """A value-param SWITCH on ``value``."""
    params = {"inputParameters": {"v": value}, "decisionCases": cases}
    return system("SWITCH", ref, evaluatorType="value-param", expression="v", **params, **fields)


def loop(ref: str, condition: str, *body: WF, **fields: Any) -> WF:
    return system("DO_WHILE", ref, loopCondition=condition, loopOver=list(body), **fields)


def terminate(ref: str, status: str, **inputs: Any) -> WF:
    return system("TERMINATE", ref, inputParameters={"terminationStatus": status, **inputs})


def sim_with(workflows: tuple[WF, ...] = (), **task_defs: WF) -> Simulator:
    defs = [{"name": name, **td} for name, td in task_defs.items()]
    return Simulator(task_defs=defs, workflows=workflows)


def spans(run: Run, ref: str) -> list[tuple[int, int, int, str]]:
    """(scheduled, start, end) in seconds since the start (-1: unset) and status, per attempt."""
    t0 = run.execution["createTime"]

    def off(ms: int) -> int:
        return (ms - t0) // S if ms else -1

    return [
        (off(t["scheduledTime"]), off(t["startTime"]), off(t["endTime"]), t["status"])
        for t in run.tasks
        if t["referenceTaskName"] == ref
    ]


def refs(run: Run) -> list[str]:
    return [t["referenceTaskName"] for t in run.tasks]


def statuses(run: Run) -> list[str]:
    return [t["status"] for t in run.tasks]


def starts(run: Run, *names: str) -> list[int]:
    return [spans(run, ref)[0][1] for ref in names]


# -- §7 rate limits and concurrency ----------------------------------------------------------------


def test_rate_limit_releases_forked_tasks_window_by_window() -> None:
    """§7 / LIMIT-01: 2 per 10 s: 5 forked tasks at 0,0,10,10,20 (ideal window; Redis: +60 s)."""
    sim = sim_with(rl=dict(rateLimitPerFrequency=2, rateLimitFrequencyInSeconds=10))
    sim.mock("rl").completes({})
    names = [f"r{i}" for i in range(5)]
    run = sim.run(workflow(*fork_join("f", *[[simple(r, "rl")] for r in names])))
    assert starts(run, *names) == [0, 0, 10, 10, 20]
    assert (run.status, run.duration) == ("COMPLETED", secs(20))


def test_rate_limit_counts_hand_outs_not_running_tasks() -> None:
    """§7: the window counts hand-outs: b starts at 10 s although a runs until 30 s."""
    sim = sim_with(rl=dict(rateLimitPerFrequency=1, rateLimitFrequencyInSeconds=10))
    sim.mock("rl").completes({}, after=secs(30))
    run = sim.run(workflow(*fork_join("f", [simple("a", "rl")], [simple("b", "rl")])))
    assert spans(run, "a") + spans(run, "b") == [(0, 0, 30, "COMPLETED"), (0, 10, 40, "COMPLETED")]


def test_rate_limit_counts_a_repoll_after_in_progress() -> None:
    """§7: a re-poll after an IN_PROGRESS callback is a hand-out too: held to the next window."""
    sim = sim_with(rl=dict(rateLimitPerFrequency=1, rateLimitFrequencyInSeconds=10))
    sim.mock("rl").in_progress(secs(1)).then_completes({})
    run = sim.run(workflow(simple("a", "rl")))
    assert (run.tasks[0]["pollCount"], run.duration) == (2, secs(10))


def test_rate_limit_applies_to_http_tasks() -> None:
    """§7: HTTP copies the TaskDef rate limit; the second call waits for the next window."""
    sim = sim_with(http_call=dict(rateLimitPerFrequency=1, rateLimitFrequencyInSeconds=10))
    sim.mock("http_call").completes({"response": {"statusCode": 200}})
    request = {"http_request": {"uri": "http://x", "method": "GET"}}
    h1, h2 = (system("HTTP", r, name="http_call", inputParameters=request) for r in ("h1", "h2"))
    run = sim.run(workflow(*fork_join("f", [h1], [h2])))
    assert starts(run, "h1", "h2") == [0, 10]


def test_concurrency_limit_one_starts_the_second_when_the_first_completes() -> None:
    """§7 / LIMIT-03 / LIMIT-05: concurrentExecLimit 1: b is polled the moment a completes."""
    sim = sim_with(cl=dict(concurrentExecLimit=1))
    sim.mock("cl").completes({}, after=secs(5))
    run = sim.run(workflow(*fork_join("f", [simple("a", "cl")], [simple("b", "cl")])))
    assert spans(run, "b") == [(0, 5, 10, "COMPLETED")]


def test_concurrency_limit_two_across_a_six_way_fork() -> None:
    """LIMIT-04: concurrentExecLimit 2: never more than two IN_PROGRESS; pairs at 0, 10, 20."""
    sim = sim_with(cl=dict(concurrentExecLimit=2))
    sim.mock("cl").completes({}, after=secs(10))
    names = [f"c{i}" for i in range(6)]
    run = sim.run(workflow(*fork_join("f", *[[simple(r, "cl")] for r in names])))
    assert (starts(run, *names), run.duration) == ([0, 0, 10, 10, 20, 20], secs(30))


def test_in_progress_callback_frees_the_concurrency_slot() -> None:
    """§7 / §10.4: IN_PROGRESS makes a SCHEDULED again, freeing its slot for b at 5 s."""
    sim = sim_with(cl=dict(concurrentExecLimit=1))
    sim.mock("a").in_progress(secs(30), after=secs(5)).then_completes({}, after=secs(1))
    sim.mock("b").completes({}, after=secs(10))
    run = sim.run(workflow(*fork_join("f", [simple("a", "cl")], [simple("b", "cl")])))
    assert spans(run, "b") == [(0, 5, 15, "COMPLETED")]
    assert spans(run, "a") == [(0, 0, 36, "COMPLETED")]  # re-polled at 35, after the callback


# -- §4.4 optional and permissive, §4.5 statuses that never retry ----------------------------------


def test_optional_branch_failure_joins_completed_with_errors() -> None:
    """§4.4 / §8.2: an optional branch fails; the JOIN waits for b, ends COMPLETED_WITH_ERRORS."""
    sim = Simulator()
    sim.mock("a").fails(reason="flaky", after=secs(2))
    sim.mock("b").completes({"y": 1}, after=secs(10))
    sim.mock("after").completes({})
    opt = simple("a", retryCount=0, optional=True)
    run = sim.run(workflow(*fork_join("f", [opt], [simple("b")]), simple("after")))
    assert spans(run, "a") == [(0, 0, 2, "COMPLETED_WITH_ERRORS")]
    assert spans(run, "f_join")[0][2:] == (10, "COMPLETED_WITH_ERRORS")
    assert run.task("f_join").output == {"b": {"y": 1}}
    assert (run.status, spans(run, "after")[0][0]) == ("COMPLETED", 10)


def test_permissive_branch_failure_fails_the_join_after_all_branches() -> None:
    """§4.4 / FORK-03: the rest of the fork runs on; the JOIN FAILS once all are terminal."""
    sim = Simulator()
    sim.mock("a").fails(reason="bad", after=secs(2))
    sim.mock("b").completes({}, after=secs(10))
    sim.mock("b2").completes({}, after=secs(5))
    perm = simple("a", retryCount=0, permissive=True)
    run = sim.run(workflow(*fork_join("f", [perm], [simple("b"), simple("b2")]), simple("after")))
    assert spans(run, "b2") == [(10, 10, 15, "COMPLETED")]
    assert spans(run, "f_join")[0][2:] == (15, "FAILED")
    assert (run.status, run.duration) == ("FAILED", secs(15))
    assert "after" not in refs(run)


def test_optional_and_permissive_behaves_as_optional() -> None:
    """§4.4 / OPT-03: optional + permissive -> COMPLETED_WITH_ERRORS and a COMPLETED workflow."""
    sim = Simulator()
    sim.mock("a").fails(reason="bad")
    sim.mock("b").completes({})
    run = sim.run(workflow(simple("a", retryCount=0, permissive=True, optional=True), simple("b")))
    assert (run.task("a").status, run.status) == ("COMPLETED_WITH_ERRORS", "COMPLETED")


def test_optional_task_uses_its_retries_before_completing_with_errors() -> None:
    """OPT-01: FAILED, retried at once, the retry times out at 5 s -> COMPLETED_WITH_ERRORS."""
    td = dict(retryCount=1, timeoutSeconds=5, responseTimeoutSeconds=5, timeoutPolicy="RETRY")
    sim = sim_with(task_optional=td | {"retryDelaySeconds": 0})
    sim.mock("t1").fails(reason="NETWORK ERROR").times_out()
    sim.mock("t2").completes({})
    run = sim.run(workflow(simple("t1", "task_optional", optional=True), simple("t2")))
    assert spans(run, "t1") == [(0, 0, 0, "FAILED"), (0, 0, 5, "COMPLETED_WITH_ERRORS")]
    assert run.task("t1").reason == (
        "Task timed out after 5 seconds. Timeout configured as 5 seconds. "
        "Timeout policy configured to RETRY"
    )
    assert (spans(run, "t2")[0][0], run.status) == (5, "COMPLETED")


def test_permissive_task_fails_the_workflow_with_its_last_attempts_reason() -> None:
    """OPT-02: retries first; then t2 runs and the workflow FAILS naming the 2nd attempt."""
    sim = Simulator()
    sim.mock("t1").fails(reason="NETWORK ERROR")
    sim.mock("t2").completes({}, after=secs(3))
    inline = {"name": "task_permissive", "retryCount": 1, "retryDelaySeconds": 0}
    t1 = simple("t1", "task_permissive", permissive=True, taskDefinition=inline)
    run = sim.run(workflow(t1, simple("t2", permissive=True)))
    second = run.tasks[1]["taskId"]
    assert statuses(run) == ["FAILED", "FAILED", "COMPLETED"]
    assert run.reason == f"Task {second} failed with status: FAILED and reason: 'NETWORK ERROR'"
    assert (run.status, run.duration) == ("FAILED", secs(3))


def test_optional_terminal_error_completes_with_errors_without_retry() -> None:
    """§4.5: FAILED_WITH_TERMINAL_ERROR is never retried, but optional still takes precedence."""
    sim = sim_with(a=dict(retryCount=3, retryDelaySeconds=0))
    sim.mock("a").fails_terminally("x")
    sim.mock("b").completes({})
    run = sim.run(workflow(simple("a", optional=True), simple("b")))
    assert (spans(run, "a"), run.status) == ([(0, 0, 0, "COMPLETED_WITH_ERRORS")], "COMPLETED")


def test_worker_canceled_terminates_the_workflow_without_retry() -> None:
    """§4.5: a worker reporting CANCELED is not retriable -> workflow TERMINATED."""
    sim = sim_with(a=dict(retryCount=3, retryDelaySeconds=0))
    sim.mocks.load_conductor({"a": [{"status": "CANCELED", "executionTime": 4000}]})
    run = sim.run(workflow(simple("a")))
    assert (spans(run, "a"), run.status) == ([(0, 0, 4, "CANCELED")], "TERMINATED")


def test_optional_sub_workflows_that_fail_complete_the_parent() -> None:
    """FORK-08: both optional children FAIL -> tasks, JOIN COMPLETED_WITH_ERRORS; parent COMPLETED."""
    sim = sim_with(workflows=(workflow(simple("leaf", retryCount=0), name="child"),))
    sim.mock("leaf").fails(after=secs(2))
    st1, st2 = (sub(r, optional=True) for r in ("st1", "st2"))
    run = sim.run(workflow(*fork_join("f", [st1], [st2])))
    assert statuses(run)[1:] == ["COMPLETED_WITH_ERRORS"] * 3
    assert [c["status"] for c in run.children] == ["FAILED", "FAILED"]
    assert (run.status, run.duration) == ("COMPLETED", secs(2))


def test_permissive_sub_workflows_terminated_terminate_the_parent() -> None:
    """FORK-09: children TERMINATED -> tasks CANCELED -> JOIN CANCELED -> parent TERMINATED."""
    child = workflow(terminate("stop", "TERMINATED", terminationReason="by the user"), name="child")
    st1, st2 = (sub(r, permissive=True) for r in ("st1", "st2"))
    run = sim_with(workflows=(child,)).run(workflow(*fork_join("f", [st1], [st2])))
    assert statuses(run)[1:] == ["CANCELED"] * 3
    assert run.status == "TERMINATED"


# -- §4.2/§4.3 retries of system tasks and re-evaluated inputs -------------------------------------


def test_retry_input_is_re_evaluated_against_current_variables() -> None:
    """§4.3: the retry copy's input is a fresh evaluation: it sees a variable set meanwhile."""
    sim = sim_with(a=dict(retryCount=1, retryDelaySeconds=5))
    sim.mock("a").fails(after=secs(10)).then_completes({})
    a = simple("a", inputParameters={"limit": "${workflow.variables.limit}"})
    setv = system("SET_VARIABLE", "sv", inputParameters={"limit": 2})
    run = sim.run(workflow(*fork_join("f", [a], [setv]), variables={"limit": 1}))
    inputs = [t["inputData"] for t in run.tasks if t["referenceTaskName"] == "a"]
    assert (inputs, spans(run, "a")[1]) == ([{"limit": 1}, {"limit": 2}], (10, 15, 15, "COMPLETED"))


def test_retry_resolves_cpewf_task_id_to_the_new_attempt() -> None:
    """RETRY-02 / RETRY-03: ${CPEWF_TASK_ID} (nested too) becomes each attempt's own id."""
    sim = sim_with(t1=dict(retryCount=1, retryDelaySeconds=0))
    sim.mock("t1").fails().then_completes({})
    params = {"p3": "${CPEWF_TASK_ID}", "nested": {"id": "${CPEWF_TASK_ID}"}}
    run = sim.run(workflow(simple("t1", inputParameters=params)))
    ids = [t["taskId"] for t in run.tasks]
    assert [t["inputData"] for t in run.tasks] == [{"p3": i, "nested": {"id": i}} for i in ids]
    assert len(set(ids)) == 2


def test_system_task_is_retried_through_a_task_def() -> None:
    """§2.2 / §8.14: a failing JQ task gets TaskDef retries; a sync task re-runs at once [derived]."""
    sim = sim_with(jq=dict(retryCount=2, retryDelaySeconds=5))
    run = sim.run(workflow(jq("j1", ".x.y", x="a") | {"name": "jq"}))
    assert spans(run, "j1") == [(0, 0, 0, "FAILED")] * 3
    assert (run.task("j1").reason, run.status) == ('Cannot index string with string "y"', "FAILED")


def test_lambda_error_fails_retriably_not_terminally() -> None:
    """§8.12: a LAMBDA script error is FAILED (INLINE's is terminal), with output.error."""
    run = Simulator().run(workflow(script("LAMBDA", "l", "return $.a.b.c;")))
    assert (run.task("l").status, run.status) == ("FAILED", "FAILED")
    assert "cannot read property 'b'" in run.task("l").output["error"]


# -- §5 timeouts: the quirks -------------------------------------------------------------------------


def test_retried_task_timeout_adds_the_retry_delay() -> None:
    """§5.2 [derived quirk]: startDelayInSeconds = retry delay: the retry times out at 20+20+30 s."""
    td = dict(retryCount=1, retryDelaySeconds=20, timeoutSeconds=30, responseTimeoutSeconds=30)
    sim = sim_with(a=td | {"timeoutPolicy": "TIME_OUT_WF"})
    sim.mock("a").fails().in_progress(secs(0), after=secs(20))  # keeps answering IN_PROGRESS
    run = sim.run(workflow(simple("a")))
    assert spans(run, "a") == [(0, 0, 0, "FAILED"), (0, 20, 70, "TIMED_OUT")]
    assert str(run.task("a").reason).startswith("Task timed out after 30 seconds.")
    assert (run.status, run.duration) == ("TIMED_OUT", secs(70))


def test_in_progress_callbacks_reset_the_response_timeout() -> None:
    """§5.3 / CB-01: each IN_PROGRESS update (8 s < 10 s) restarts the response clock."""
    sim = sim_with(a=dict(retryCount=0, responseTimeoutSeconds=10))
    steps = sim.mock("a").in_progress(secs(5), after=secs(8)).in_progress(secs(5), after=secs(8))
    steps.completes({"d": 1}, after=secs(8))
    run = sim.run(workflow(simple("a")))  # polls at 0, 13, 26
    assert (run.tasks[0]["pollCount"], spans(run, "a")) == (3, [(0, 0, 34, "COMPLETED")])


def test_response_timeout_counts_from_the_last_poll() -> None:
    """§5.3: after a callback the deadline is the re-poll (13 s) + responseTimeoutSeconds."""
    sim = sim_with(a=dict(retryCount=0, responseTimeoutSeconds=10))
    sim.mock("a").in_progress(secs(5), after=secs(8)).times_out()
    run = sim.run(workflow(simple("a")))
    assert (spans(run, "a"), run.status) == ([(0, 0, 23, "TIMED_OUT")], "TIMED_OUT")


def test_poll_timeout_catches_a_long_running_callback_worker() -> None:
    """§5.4 (a) [derived quirk]: scheduledTime stays 0, so IN_PROGRESS at 60 s is poll-timed-out."""
    sim = sim_with(a=dict(retryCount=0, pollTimeoutSeconds=30, responseTimeoutSeconds=30))
    sim.mock("a").in_progress(secs(10), after=secs(25))  # updates at 25 and 60 (re-polled at 35)
    run = sim.run(workflow(simple("a")))
    assert spans(run, "a") == [(0, 0, 60, "TIMED_OUT")]
    assert str(run.task("a").reason).startswith("Task poll timed out after 60 seconds.")


def test_poll_timeout_of_a_retry_counts_the_delay_twice() -> None:
    """§5.4 (b) [derived quirk]: an unpolled retry times out at failure + 2 * 10 + 5 s."""
    sim = sim_with(a=dict(retryCount=1, retryDelaySeconds=10, pollTimeoutSeconds=5))
    sim.mock("a").fails().never_polled()
    run = sim.run(workflow(simple("a")))
    assert spans(run, "a") == [(0, 0, 0, "FAILED"), (0, -1, 25, "TIMED_OUT")]
    assert run.status == "TIMED_OUT"


def test_optional_poll_timeouts_with_linear_backoff() -> None:
    """TIMEOUT-06 [derived]: attempts poll-time-out at 1, 4, 9 s; the optional task then completes."""
    td = dict(name="p", retryCount=2, timeoutSeconds=90, timeoutPolicy="RETRY")
    td |= dict(retryLogic="LINEAR_BACKOFF", retryDelaySeconds=1, responseTimeoutSeconds=30)
    sim = Simulator()
    sim.mock("p").never_polled()
    run = sim.run(
        workflow(simple("p", optional=True, taskDefinition=td | {"pollTimeoutSeconds": 1}))
    )
    assert [end for _, _, end, _ in spans(run, "p")] == [1, 4, 9]
    assert spans(run, "p")[-1][3] == "COMPLETED_WITH_ERRORS"
    assert (run.status, run.duration) == ("COMPLETED", secs(9))


def test_task_timeouts_under_retry_exhaust_into_a_timed_out_workflow() -> None:
    """TIMEOUT-02: timeoutSeconds 1, RETRY, 1 retry: TIMED_OUT at 1 and 2 s -> workflow TIMED_OUT."""
    td = dict(retryCount=1, timeoutSeconds=1, responseTimeoutSeconds=1, retryDelaySeconds=0)
    sim = sim_with(t1=td | {"timeoutPolicy": "RETRY"})
    sim.mock("t1").times_out()
    run = sim.run(workflow(simple("t1")))
    assert spans(run, "t1") == [(0, 0, 1, "TIMED_OUT"), (1, 1, 2, "TIMED_OUT")]
    why = "Task timed out after 1 seconds. Timeout configured as 1 seconds. Timeout policy configured to RETRY"
    last = run.tasks[1]["taskId"]
    assert run.reason == f"Task {last} failed with status: TIMED_OUT and reason: '{why}'"
    assert (run.status, run.duration) == ("TIMED_OUT", secs(2))


def test_alert_only_task_timeout_lets_the_task_run_on() -> None:
    """§5.6: ALERT_ONLY only alerts: the task outlives timeoutSeconds 10 and completes at 32 s."""
    td = dict(retryCount=0, timeoutSeconds=10, responseTimeoutSeconds=10)
    sim = sim_with(a=td | {"timeoutPolicy": "ALERT_ONLY"})
    steps = sim.mock("a")
    for _ in range(3):
        steps.in_progress(secs(0), after=secs(8))
    steps.completes({}, after=secs(8))
    run = sim.run(workflow(simple("a")))
    assert (spans(run, "a"), run.status) == ([(0, 0, 32, "COMPLETED")], "COMPLETED")


def test_total_timeout_stops_retries_even_under_alert_only() -> None:
    """§5.5: retry() refuses once totalTimeoutSeconds is spent, whatever the policy -> FAILED."""
    td = dict(retryCount=5, retryDelaySeconds=10, totalTimeoutSeconds=25)
    sim = sim_with(a=td | {"timeoutPolicy": "ALERT_ONLY"})
    sim.mock("a").fails()
    run = sim.run(workflow(simple("a")))
    assert [start for _, start, _, _ in spans(run, "a")] == [0, 10, 20, 30]
    assert (run.status, run.duration) == ("FAILED", secs(30))


def test_response_timeout_never_applies_to_a_sub_workflow() -> None:
    """§5.3 / TIMEOUT-03: SUB_WORKFLOW is async-complete: a 5 s responseTimeout does not fire."""
    child = workflow(simple("c"), name="child")
    sim = sim_with(workflows=(child,), s=dict(responseTimeoutSeconds=5, retryCount=0))
    sim.mock("c").completes({"v": 1}, after=secs(60))
    run = sim.run(workflow(sub("s")))
    assert (spans(run, "s"), run.output["v"]) == ([(0, 0, 60, "COMPLETED")], 1)


# -- §3.6 callbacks and async completion -----------------------------------------------------------


def test_in_progress_output_is_replaced_by_the_final_update() -> None:
    """§3.6: each update replaces outputData (not merged): the progress key is gone at the end."""
    sim = Simulator()
    sim.mock("a").in_progress(secs(5), output={"progress": 50}).completes({"done": True})
    run = sim.run(workflow(simple("a")))
    assert (run.task("a").output, run.duration) == ({"done": True}, secs(5))


def test_async_complete_event_waits_for_an_external_update() -> None:
    """EVENT-01 B / CB-05: asyncComplete EVENT publishes, stays IN_PROGRESS until updated (5 min)."""
    sim = Simulator()
    sim.signal("e", after=timedelta(minutes=5), output={"ack": True})
    sim.mock("t1").completes({})
    event = system("EVENT", "e", sink="conductor", asyncComplete=True, inputParameters={"k": 1})
    run = sim.run(workflow(event, simple("t1"), name="test_event_workflow"))
    assert spans(run, "e") == [(0, 0, 300, "COMPLETED")]
    assert run.task("e").output == {"ack": True}  # the external update replaces the output (§3.6)
    assert spans(run, "t1")[0][0] == 300


# -- §8.3 dynamic forks ------------------------------------------------------------------------------

DYN_INPUT = {"tasks": "${dt1.output.dynamicTasks}", "inputs": "${dt1.output.dynamicTasksInput}"}
DYN_FLOW = workflow(
    simple("dt1"),
    system("FORK_JOIN_DYNAMIC", "dyn", inputParameters=DYN_INPUT, dynamicForkTasksParam="tasks")
    | {"dynamicForkTasksInputParamName": "inputs"},
    system("JOIN", "dyn_join"),
    simple("task4"),
)
FORKED = {
    "dynamicTasks": [
        {"name": "integration_task_2", "taskReferenceName": "xdt1"},
        {"name": "integration_task_3", "taskReferenceName": "xdt2"},
    ],
    "dynamicTasksInput": {"xdt1": {"k1": "v1"}, "xdt2": {"k2": "v2"}},
}


def test_dynamic_fork_tasks_param_join_output_keyed_by_ref() -> None:
    """DYN-01: joinOn filled at run time, forked inputs merged, JOIN output keyed by ref."""
    sim = Simulator()
    sim.mock("dt1").completes(FORKED)
    sim.mock("integration_task_2").completes({"ok1": "ov1"}, after=secs(3))
    sim.mock("integration_task_3").completes({"ok1": "ov1"}, after=secs(7))
    sim.mock("task4").completes({})
    run = sim.run(DYN_FLOW)
    types = ["dt1", "FORK", "integration_task_2", "integration_task_3", "JOIN", "task4"]
    assert [t["taskType"] for t in run.tasks] == types  # a SIMPLE task's type is its name (§2.3)
    assert (run.task("xdt1").input, run.task("xdt2").input) == ({"k1": "v1"}, {"k2": "v2"})
    join = run.task("dyn_join")
    assert join.input == {"joinOn": ["xdt1", "xdt2"]}
    assert join.output == {"xdt1": {"ok1": "ov1"}, "xdt2": {"ok1": "ov1"}}
    assert (spans(run, "task4")[0][0], run.status) == (7, "COMPLETED")


def test_dynamic_fork_branch_failure_cancels_the_rest() -> None:
    """DYN-02: a forked task out of retries fails the workflow; sibling and JOIN CANCELED."""
    sim = sim_with(integration_task_2=dict(retryCount=0))
    sim.mock("dt1").completes(FORKED)
    sim.mock("integration_task_2").fails(reason="x", after=secs(3))
    sim.mock("integration_task_3").completes({}, after=secs(7))
    run = sim.run(DYN_FLOW)
    assert statuses(run)[2:] == ["FAILED", "CANCELED", "CANCELED"]
    assert (run.status, run.duration, len(run.tasks)) == ("FAILED", secs(3), 5)


def test_legacy_dynamic_fork_join_tasks_param() -> None:
    """§8.3 style 3: dynamicForkJoinTasksParam = {dynamicTasks: [{taskName, referenceName, input}]}."""
    sim = Simulator()
    sim.mock("worker").completes({"r": 1}, after=secs(2))
    params = {"inputParameters": {"spec": "${workflow.input.spec}"}}
    dyn = system("FORK_JOIN_DYNAMIC", "dyn", dynamicForkJoinTasksParam="spec", **params)
    spec = [{"taskName": "worker", "referenceName": f"w{n}", "input": {"n": n}} for n in (1, 2)]
    run = sim.run(workflow(dyn, system("JOIN", "dyn_join")), {"spec": {"dynamicTasks": spec}})
    assert (run.task("w1").input, run.task("w2").input) == ({"n": 1}, {"n": 2})
    assert run.task("dyn_join").output == {"w1": {"r": 1}, "w2": {"r": 1}}
    assert run.duration == secs(2)


def test_optional_dynamic_fork_makes_every_forked_task_optional() -> None:
    """§8.3: optional on the dynamic fork: forked tasks end COMPLETED_WITH_ERRORS after 3 retries."""
    sim = Simulator()
    sim.mock("w").fails()
    params = {"forkTaskName": "w", "forkTaskInputs": [1, 2]}
    dyn = system("FORK_JOIN_DYNAMIC", "dyn", optional=True, inputParameters=params)
    run = sim.run(workflow(dyn, system("JOIN", "dyn_join")))
    assert spans(run, "_w_0")[-1] == (120, 180, 180, "COMPLETED_WITH_ERRORS")
    assert spans(run, "dyn_join")[0][2:] == (180, "COMPLETED_WITH_ERRORS")
    assert run.status == "COMPLETED"


# -- §8.6 DO_WHILE and nesting -------------------------------------------------------------------


def test_loop_body_task_is_retried_inside_the_iteration() -> None:
    """LOOP-06 B: a body task retried (5 s delay) keeps the loop IN_PROGRESS; then it completes."""
    sim = sim_with(t0=dict(retryCount=1, retryDelaySeconds=5))
    sim.mock("t0").fails(reason="boom", after=secs(2)).then_completes({}, after=secs(1))
    sim.mock("t1").completes({}, after=secs(3))
    run = sim.run(workflow(loop("lp", "$.lp['iteration'] < 1", simple("t0"), simple("t1"))))
    assert spans(run, "t0__1") == [(0, 0, 2, "FAILED"), (2, 7, 8, "COMPLETED")]
    assert spans(run, "lp") == [(0, 0, 11, "COMPLETED")]
    assert (run.tasks[2]["retryCount"], run.tasks[2]["iteration"]) == (1, 1)


def test_loop_body_failure_cancels_the_loop() -> None:
    """LOOP-06 A: a body task out of retries fails the workflow; the DO_WHILE is CANCELED."""
    sim = sim_with(t0=dict(retryCount=0))
    sim.mock("t0").fails(reason="boom", after=secs(2))
    run = sim.run(workflow(loop("lp", "true", simple("t0"), simple("t1"))))
    assert (refs(run), statuses(run)) == (["lp", "t0__1"], ["CANCELED", "FAILED"])
    assert (run.status, run.duration) == ("FAILED", secs(2))


def test_switch_and_wait_inside_a_loop_over_a_list() -> None:
    """LOOP-11 (the list indexed with [] instead of Java's .get): SWITCH -> WAIT per iteration."""
    items = {"list": "${workflow.input.list}", "i": "${LoopTask.output.iteration}"}
    pick = script("INLINE", "pick", "$.list[$.i - 1]", **items)
    sw = system("SWITCH", "sw", evaluatorType="javascript", expression="$.v > 0")
    sw |= {"inputParameters": {"v": "${pick.output.result}"}}
    sw |= {"decisionCases": {"true": [system("WAIT", "wait")]}}
    cond = "$.LoopTask['iteration'] < $.list.length"
    body = loop("LoopTask", cond, pick, sw, inputParameters={"list": "${workflow.input.list}"})
    sim = Simulator()
    sim.signal("wait__1", after=secs(10))
    sim.signal("wait__2", after=secs(20))
    run = sim.run(workflow(body), {"list": [1, 2]})
    assert refs(run) == ["LoopTask", "pick__1", "sw__1", "wait__1", "pick__2", "sw__2", "wait__2"]
    assert (spans(run, "wait__1")[0][2], spans(run, "pick__2")[0][0]) == (10, 10)
    assert run.task("LoopTask").output["iteration"] == 2
    assert (run.status, run.duration) == ("COMPLETED", secs(20))


def test_set_variable_inside_a_loop_drives_its_condition() -> None:
    """LOOP-10 / §8.6: the condition's inputParameters are re-resolved, seeing SET_VARIABLE."""
    dec = script("INLINE", "dec", "$.n - 1", n="${workflow.variables.n}")
    setv = system("SET_VARIABLE", "setv", inputParameters={"n": "${dec.output.result}"})
    body = loop("lp", "$.n > 0", dec, setv, inputParameters={"n": "${workflow.variables.n}"})
    run = Simulator().run(workflow(body, variables={"n": 3}))
    assert run.task("lp").output["iteration"] == 3
    assert (run.execution["variables"], len(run.tasks)) == ({"n": 0}, 7)


def test_loop_of_system_tasks_finishes_inside_one_decision() -> None:
    """LOOP-02: a body of sync system tasks runs every iteration at once; the next task at 0 s."""
    sim = Simulator()
    sim.mock("after").completes({}, after=secs(1))
    body = loop("lp", "$.lp['iteration'] < 2", script("LAMBDA", "l", "return 1;"), jq("jq", "1"))
    run = sim.run(workflow(body, simple("after")))
    assert refs(run) == ["lp", "l__1", "jq__1", "l__2", "jq__2", "after"]
    assert {t["scheduledTime"] for t in run.tasks} == {run.execution["createTime"]}
    assert (run.tasks[-1]["iteration"], run.duration) == (0, secs(1))


def test_loop_as_a_fork_branch() -> None:
    """LOOP-07: FORK, DO_WHILE, the other head, JOIN, then the loop body; JOIN on the loop."""
    sim = Simulator()
    for ref, seconds in (("t0", 2), ("t1", 3), ("t2", 4)):
        sim.mock(ref).completes({}, after=secs(seconds))
    lp = loop("lp", "$.lp['iteration'] < 1", simple("t0"), simple("t1"))
    run = sim.run(workflow(*fork_join("f", [lp], [simple("t2")])))
    assert refs(run) == ["f", "lp", "t2", "f_join", "t0__1", "t1__1"]
    assert (spans(run, "lp")[0][2], spans(run, "f_join")[0][2]) == (5, 5)


def test_nested_forks_are_expanded_inline_in_order() -> None:
    """FORK-06 / §9: FORK, t11, inner FORK, its heads, inner JOIN, outer JOIN."""
    sim = Simulator()
    for ref, seconds in (("t11", 1), ("t12", 2), ("t13", 3)):
        sim.mock(ref).completes({}, after=secs(seconds))
    inner = fork_join("fork2", [simple("t12")], [simple("t13")])
    outer = fork_join("fork1", [simple("t11")], list(inner), join_on=["t11", "fork2_join"])
    run = sim.run(workflow(*outer))
    assert refs(run) == ["fork1", "t11", "fork2", "t12", "t13", "fork2_join", "fork1_join"]
    assert [spans(run, j)[0][2] for j in ("fork2_join", "fork1_join")] == [3, 3]


# -- §8.7 SUB_WORKFLOW -------------------------------------------------------------------------------


def test_terminated_child_cancels_the_task_and_terminates_the_parent() -> None:
    """SUBWF-02 / §10.13: child TERMINATED -> task CANCELED -> parent TERMINATED; failureWorkflow runs."""
    stop = terminate("stop", "TERMINATED", terminationReason="terminating from a test case")
    handler = workflow(system("NOOP", "n"), name="on_failure")
    sim = sim_with(workflows=(workflow(simple("c"), stop, name="child"), handler))
    sim.mock("c").completes({}, after=secs(4))
    run = sim.run(workflow(sub("sub"), simple("after"), failureWorkflow="on_failure"))
    assert spans(run, "sub") == [(0, 0, 4, "CANCELED")]
    assert (run.status, run.duration, refs(run)) == ("TERMINATED", secs(4), ["sub"])
    assert "terminating from a test case" in str(run.reason)
    assert [c["workflowName"] for c in run.children] == ["child", "on_failure"]


def test_sub_workflow_task_def_retry_starts_a_new_child() -> None:
    """FORK-10: a SUB_WORKFLOW with TaskDef retryCount 1 (delay 0) is retried with a new child."""
    child = workflow(simple("leaf", retryCount=0), name="child")
    sim = sim_with(workflows=(child,), sub_wf=dict(retryCount=1, retryDelaySeconds=0))
    sim.mock("leaf").fails(after=secs(3))
    sim.mock("t2").completes({}, after=secs(1))
    run = sim.run(workflow(*fork_join("f", [sub("st1", name="sub_wf")], [simple("t2")])))
    types = ["FORK", "SUB_WORKFLOW", "t2", "JOIN", "SUB_WORKFLOW"]
    assert [t["taskType"] for t in run.tasks] == types  # a SIMPLE task's type is its name (§2.3)
    assert spans(run, "st1") == [(0, 0, 3, "FAILED"), (3, 3, 6, "FAILED")]
    first, second = run.children
    assert (second["createTime"] - first["createTime"]) // S == 3
    ids = [first["workflowId"], second["workflowId"]]
    assert [t["subWorkflowId"] for t in run.tasks[1::3]] == ids
    assert (run.status, run.duration) == ("FAILED", secs(6))


def test_parent_timeout_terminates_the_child() -> None:
    """SUBWF-01 / SUBWF-05: parent TIMED_OUT at 10 s; SUB_WORKFLOW CANCELED; child TERMINATED."""
    sim = sim_with(workflows=(workflow(simple("c"), name="child"),))
    sim.mock("c").never_polled()
    run = sim.run(workflow(sub("sub"), timeoutSeconds=10, timeoutPolicy="TIME_OUT_WF"))
    assert (run.status, spans(run, "sub")) == ("TIMED_OUT", [(0, 0, 10, "CANCELED")])
    (child,) = run.children
    assert (child["status"], child["tasks"][0]["status"]) == ("TERMINATED", "CANCELED")
    assert child["reasonForIncompletion"].startswith("Parent workflow has been terminated with")


def test_timed_out_child_times_the_parent_out() -> None:
    """§8.7: child TIMED_OUT -> SUB_WORKFLOW TIMED_OUT (no TaskDef retries) -> parent TIMED_OUT."""
    child = workflow(simple("c"), name="child", timeoutSeconds=10, timeoutPolicy="TIME_OUT_WF")
    sim = sim_with(workflows=(child,))
    sim.mock("c").never_polled()
    run = sim.run(workflow(sub("sub")))
    assert (spans(run, "sub"), run.status) == ([(0, 0, 10, "TIMED_OUT")], "TIMED_OUT")
    assert "Workflow timed out after 10 seconds" in str(run.task("sub").reason)


# -- §8.9-§8.18 the other system tasks ---------------------------------------------------------------


def test_terminate_wraps_a_non_map_workflow_output() -> None:
    """TERM-04: TERMINATE FAILED in a DECISION branch; a string workflowOutput becomes {output}."""
    sim = Simulator()
    sim.mock("t1").completes({"op": "task1 completed"})
    term = terminate("term", "FAILED", workflowOutput="${t1.output.op}")
    cases = {"one": [simple("t2")], "two": [term]}
    dec = system("DECISION", "d", caseValueParam="c", decisionCases=cases)
    dec["inputParameters"] = {"c": "${workflow.input.case}"}
    run = sim.run(workflow(simple("t1"), dec, simple("t3")), {"case": "two"})
    assert (run.status, run.output) == ("FAILED", {"output": "task1 completed"})
    assert refs(run) == ["t1", "d", "term"]
    assert str(run.reason).startswith("Workflow is FAILED by TERMINATE task")


def test_lambda_output_is_the_returned_value_under_result() -> None:
    """LAMBDA-01: scriptExpression is a function body; output {result: <returned value>}."""
    body = "if ($.a == 1) { return {testvalue: true} } else { return {testvalue: false} }"
    lam = script("LAMBDA", "lambda0", body, a="${workflow.input.a}")
    run = Simulator().run(workflow(lam), {"a": 1})
    assert run.task("lambda0").output == {"result": {"testvalue": True}}


DYNAMIC = system("DYNAMIC", "ship", dynamicTaskNameParam="task")
DYNAMIC["inputParameters"] = {"task": "${workflow.input.carrier}"}


def test_dynamic_task_runs_the_worker_it_names() -> None:
    """§8.18 DYNAMIC: taskType becomes the resolved name; it is polled as that worker."""
    sim = Simulator()
    sim.mock("ship_fedex").completes({"tracking": "F1"}, after=secs(3))
    run = sim.run(workflow(DYNAMIC), {"carrier": "ship_fedex"})
    assert (run.tasks[0]["taskType"], run.output) == ("ship_fedex", {"tracking": "F1"})
    assert spans(run, "ship") == [(0, 0, 3, "COMPLETED")]


def test_dynamic_task_without_a_name_fails_the_workflow() -> None:
    """§8.18 DYNAMIC: a missing name is a mapping error: workflow FAILED, no task created."""
    run = Simulator().run(workflow(DYNAMIC), {})
    assert (run.status, run.tasks) == ("FAILED", [])
    assert str(run.reason).startswith("Cannot map a dynamic task")


def test_noop_completes_at_once_with_no_output() -> None:
    """§8.18 NOOP: COMPLETED at scheduling with an empty output; the next task follows at 0 s."""
    sim = Simulator()
    sim.mock("b").completes({})
    run = sim.run(workflow(system("NOOP", "n", inputParameters={"x": 1}), simple("b")))
    assert (spans(run, "n"), run.task("n").output) == ([(0, 0, 0, "COMPLETED")], {})
    assert spans(run, "b")[0][0] == 0


def test_kafka_publish_completes_at_once() -> None:
    """§8.17: a successful publish is COMPLETED (the simulator has no broker: at once)."""
    request = {"kafka_request": {"topic": "t", "value": "v", "bootStrapServers": "b"}}
    run = Simulator().run(workflow(system("KAFKA_PUBLISH", "k", inputParameters=request)))
    assert (spans(run, "k"), run.status) == ([(0, 0, 0, "COMPLETED")], "COMPLETED")


def test_event_sinks_are_resolved() -> None:
    """§8.15: 'conductor:q' -> 'conductor:<wf>:q'; any other prefix is used as is."""
    e1 = system("EVENT", "e1", sink="conductor:my_queue")
    run = Simulator().run(workflow(e1, system("EVENT", "e2", sink="sqs:orders"), name="w"))
    produced = [run.task(e).output["event_produced"] for e in ("e1", "e2")]
    assert produced == ["conductor:w:my_queue", "sqs:orders"]


def test_wait_completed_by_an_external_update() -> None:
    """WAIT-01: a WAIT without duration completes when updated (3 min); the next task then."""
    sim = Simulator()
    sim.signal("wait0", after=timedelta(minutes=3))
    sim.mock("t1").completes({})
    run = sim.run(workflow(system("WAIT", "wait0"), simple("t1")))
    assert (spans(run, "wait0"), spans(run, "t1")[0][0]) == ([(0, 0, 180, "COMPLETED")], 180)


def test_wait_until_in_the_past_completes_at_once() -> None:
    """§8.10: an until already past completes on the first evaluation."""
    wait = system("WAIT", "w", inputParameters={"until": "2023-12-31 00:00"})
    run = Simulator().run(workflow(wait))
    assert (spans(run, "w"), run.status) == ([(0, 0, 0, "COMPLETED")], "COMPLETED")


def test_wait_failed_by_an_external_update_fails_the_workflow() -> None:
    """§8.10: an external update may fail a WAIT; no retries (ad-hoc def) -> workflow FAILED."""
    sim = Simulator()
    sim.signal("w", after=timedelta(minutes=3), status="FAILED", reason="rejected")
    run = sim.run(workflow(system("WAIT", "w")))
    assert (spans(run, "w"), run.status) == ([(0, 0, 180, "FAILED")], "FAILED")
    assert run.task("w").reason == "rejected"


def test_jq_failure_fails_the_workflow_with_jq_s_message() -> None:
    """JQ-01: indexing a string fails the task: reason 'Cannot index string with string "array"'."""
    query = ".input as $_ | { out: ($_.in1.array + $_.in2.array) }"
    run = Simulator().run(workflow(jq("jq_1", query, input="${workflow.input}")), {"in1": "a"})
    assert (run.task("jq_1").status, run.status) == ("FAILED", "FAILED")
    assert run.task("jq_1").reason == 'Cannot index string with string "array"'


def test_chained_jq_uses_a_previous_result_as_its_query() -> None:
    """JQ-02: the query of the second JQ task is the first one's result (with // defaults)."""
    first = '{requestTransform: .input.requestTransform // ".body", method: .input.method // "GET"}'
    defaults = jq("defaults", first, input="${workflow.input}")
    query = "${defaults.output.result.requestTransform}"
    transform = jq("req", query, body="${workflow.input.body}")
    body = {"name": "Beary Beariston", "title": "the Brown Bear"}
    request = '{name: (.body.name + " you are " + .body.title) }'
    run = Simulator().run(
        workflow(defaults, transform), {"body": body, "requestTransform": request}
    )
    assert run.task("defaults").output["result"] == {"requestTransform": request, "method": "GET"}
    assert run.task("req").output["result"] == {"name": "Beary Beariston you are the Brown Bear"}


def test_exclusive_join_falls_back_to_the_default_task() -> None:
    """XJOIN-01: no joinOn task ran -> the first defaultExclusiveJoinTask that ran gives the output."""
    sim = Simulator()
    sim.mock("task1").completes({"from": "task1"})
    cases = {"true": [simple("task2")], "false": [simple("task4")]}
    dec = system("DECISION", "decision1", caseValueParam="c", decisionCases=cases)
    dec["inputParameters"] = {"c": "${workflow.input.d}"}
    xjoin = system("EXCLUSIVE_JOIN", "xj", joinOn=["task2", "task4"])
    xjoin["defaultExclusiveJoinTask"] = ["task1"]
    run = sim.run(workflow(simple("task1"), dec, xjoin), {"d": "null"})
    assert (refs(run), run.task("xj").output) == (["task1", "decision1", "xj"], {"from": "task1"})


def test_switch_on_a_missing_value_selects_the_string_null() -> None:
    """SW-03 / §8.4: a missing value is the string "null"; no case matches, the flow goes on."""
    sim = Simulator()
    sim.mock("after").completes({})
    sw = switch("sw", "${workflow.input.finalCase}", {"notify": [simple("n")]})
    run = sim.run(workflow(sw, simple("after")))
    assert (run.task("sw").output["evaluationResult"], refs(run)) == (["null"], ["sw", "after"])


def test_empty_matching_case_does_not_fall_back_to_the_default() -> None:
    """§8.4: a SWITCH's explicitly empty case runs nothing (a DECISION falls back to the default)."""
    sim = Simulator()
    sim.mock("dflt").completes({})
    sim.mock("after").completes({})
    sw = switch("c", "a", {"a": []}, defaultCase=[simple("dflt")])
    dec = sw | {"type": "DECISION", "caseValueParam": "v"}
    assert refs(sim.run(workflow(sw, simple("after")))) == ["c", "after"]
    assert refs(sim.run(workflow(dec, simple("after")))) == ["c", "dflt", "after"]


def test_conductor_mock_queue_wait_counts_from_after_the_retry_delay() -> None:
    """taskRefToMockOutput: queueWaitTime starts when the retry becomes pollable (after its delay)."""
    sim = sim_with(a=dict(retryCount=1, retryDelaySeconds=10))
    failed = {"status": "FAILED", "queueWaitTime": 1000, "executionTime": 2000}
    done = {"status": "COMPLETED", "output": {"ok": True}, "queueWaitTime": 3000}
    entries = [failed | {"reasonForIncompletion": "busy"}, done | {"executionTime": 4000}]
    sim.mocks.load_conductor({"a": entries})
    run = sim.run(workflow(simple("a")))
    assert spans(run, "a") == [(0, 1, 3, "FAILED"), (3, 16, 20, "COMPLETED")]
    assert (run.output, run.tasks[0]["reasonForIncompletion"]) == ({"ok": True}, "busy")
