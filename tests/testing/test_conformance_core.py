"""Conformance: sequencing, retries and timeouts, with exact simulated times.

Each test names the behaviour of conductor-semantics.md (§) or the scenario of
conductor-scenarios.md it checks. Workflows are plain Conductor JSON: the simulator runs any
definition, not only flowdsl's.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest

from testing.engine import SimulationError
from testing.simulator import Simulator

S = 1000  # ms


def simple(ref: str, name: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"name": name or ref, "taskReferenceName": ref, "type": "SIMPLE", **fields}


def workflow(*tasks: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"name": "wf", "version": 1, "tasks": list(tasks), **fields}


def times(run: Any, ref: str) -> list[tuple[int, int, int, str]]:
    """(scheduled, start, end) offsets in seconds and status of every attempt of ``ref``."""
    start = run.execution["createTime"]
    return [
        (
            (t["scheduledTime"] - start) // S,
            (t["startTime"] - start) // S if t["startTime"] else -1,
            (t["endTime"] - start) // S if t["endTime"] else -1,
            t["status"],
        )
        for t in run.tasks
        if t["referenceTaskName"] == ref
    ]


def sim_with(**task_defs: dict[str, Any]) -> Simulator:
    return Simulator(task_defs=[{"name": name, **td} for name, td in task_defs.items()])


def test_linear_workflow_completes_with_output_mapping() -> None:
    """BASIC-01: t2 reads t1's output; outputParameters are resolved at the end (§3.8)."""
    sim = Simulator()
    sim.mock("t1").completes({"op": "task1.done"})
    sim.mock("t2").completes({})
    definition = workflow(
        simple("t1"),
        simple("t2", inputParameters={"tp1": "${workflow.input.p1}", "tp2": "${t1.output.op}"}),
        outputParameters={"o1": "${workflow.input.p1}", "o2": "${t1.output.op}"},
    )
    run = sim.run(definition, {"p1": "p1 value"})
    assert run.status == "COMPLETED"
    assert run.task("t2").input == {"tp1": "p1 value", "tp2": "task1.done"}
    assert run.output == {"o1": "p1 value", "o2": "task1.done"}
    assert [t["seq"] for t in run.tasks] == [1, 2]


def test_default_output_is_the_last_task_output() -> None:
    """§3.8: with no outputParameters the workflow output is the last task's output."""
    sim = Simulator()
    sim.mock("a").completes({"x": 1})
    sim.mock("b").completes({"y": 2})
    assert sim.run(workflow(simple("a"), simple("b"))).output == {"y": 2}


def test_execution_and_queue_times_advance_the_clock() -> None:
    """Mock executionTime / queueWaitTime: poll after the wait, update after the execution."""
    sim = Simulator()
    sim.mocks.load_conductor(
        {"a": [{"status": "COMPLETED", "queueWaitTime": 2000, "executionTime": 5000}]}
    )
    run = sim.run(workflow(simple("a")))
    assert times(run, "a") == [(0, 2, 7, "COMPLETED")]
    assert run.duration == timedelta(seconds=7)


@pytest.mark.parametrize(
    ("logic", "extra", "delays"),
    [
        ("FIXED", {}, [10, 10, 10]),
        ("LINEAR_BACKOFF", {"backoffScaleFactor": 2}, [20, 40, 60]),
        ("EXPONENTIAL_BACKOFF", {}, [10, 20, 40]),
        ("EXPONENTIAL_BACKOFF", {"maxRetryDelaySeconds": 15}, [10, 15, 15]),
        ("FIXED", {"maxRetryDelaySeconds": 4}, [4, 4, 4]),
    ],
)
def test_retry_delays_follow_the_retry_logic(
    logic: str, extra: dict[str, Any], delays: list[int]
) -> None:
    """§4.1 / RETRY-04: each retry becomes pollable exactly after the computed delay."""
    sim = sim_with(a={"retryCount": 3, "retryLogic": logic, "retryDelaySeconds": 10, **extra})
    sim.mock("a").fails(times=3).then_completes({"ok": True})
    run = sim.run(workflow(simple("a")))
    starts = [start for _, start, _, _ in times(run, "a")]
    assert [b - a for a, b in pairwise(starts)] == delays
    assert run.status == "COMPLETED"
    assert run.task("a").attempts == 4


def test_retry_attempts_are_linked_and_flagged() -> None:
    """§4.3: the failed attempt is retried=True; the copy has retryCount+1 and retriedTaskId."""
    sim = sim_with(a={"retryCount": 1, "retryDelaySeconds": 0})
    sim.mock("a").fails(reason="boom").never_polled()
    run = sim.run(workflow(simple("a")))
    tasks = run.tasks
    assert [(t["status"], t["retried"], t["retryCount"]) for t in tasks] == [
        ("FAILED", True, 0),
        ("SCHEDULED", False, 1),
    ]
    assert tasks[1]["retriedTaskId"] == tasks[0]["taskId"]
    assert tasks[1]["reasonForIncompletion"] == "boom"  # copied until a worker updates it
    assert run.status == "RUNNING"  # nobody polls: the workflow waits, as on a server


def test_workflow_task_retry_count_overrides_the_task_def() -> None:
    """RETRY-03: WorkflowTask.retryCount (even 0) beats TaskDef.retryCount."""
    sim = sim_with(a={"retryCount": 3, "retryDelaySeconds": 0})
    sim.mock("a").fails(reason="nope")
    run = sim.run(workflow(simple("a", retryCount=0)))
    assert run.status == "FAILED"
    assert run.task("a").attempts == 1


def test_retries_exhausted_fail_the_workflow_with_conductors_reason() -> None:
    """§4.2: no retry left -> workflow FAILED, reason 'Task <id> failed with status: FAILED ...'."""
    sim = sim_with(a={"retryCount": 1, "retryDelaySeconds": 5})
    sim.mock("a").fails(times=2, reason="disk full")
    run = sim.run(workflow(simple("a")))
    last = run.tasks[-1]
    assert run.status == "FAILED"
    assert run.reason == f"Task {last['taskId']} failed with status: FAILED and reason: 'disk full'"
    assert run.execution["failedReferenceTaskNames"] == ["a"]


def test_terminal_error_is_never_retried() -> None:
    """BASIC-03: FAILED_WITH_TERMINAL_ERROR skips the remaining retries."""
    sim = sim_with(a={"retryCount": 3, "retryDelaySeconds": 0})
    sim.mock("a").fails_terminally("integration down")
    run = sim.run(workflow(simple("a")))
    assert (run.status, run.task("a").attempts) == ("FAILED", 1)


def test_ad_hoc_task_def_gives_three_retries_sixty_seconds_apart() -> None:
    """§2.2: an unregistered SIMPLE task gets retryCount 3, FIXED, 60 s."""
    sim = Simulator()
    sim.mock("a").fails(times=3).then_completes({})
    run = sim.run(workflow(simple("a")))
    assert [start for _, start, _, _ in times(run, "a")] == [0, 60, 120, 180]


def test_response_timeout_times_out_and_retries() -> None:
    """§5.3 / TIMEOUT-01: IN_PROGRESS with no update for responseTimeoutSeconds -> TIMED_OUT, retried."""
    sim = sim_with(
        a={
            "retryCount": 1,
            "retryDelaySeconds": 0,
            "responseTimeoutSeconds": 10,
            "timeoutSeconds": 120,
        }
    )
    sim.mock("a").times_out().then_completes({"op": "done"})
    run = sim.run(workflow(simple("a")))
    assert times(run, "a") == [(0, 0, 10, "TIMED_OUT"), (10, 10, 10, "COMPLETED")]
    assert run.tasks[0]["reasonForIncompletion"].startswith("responseTimeout: 10 exceeded")
    assert run.status == "COMPLETED"


def test_response_timeouts_exhausted_time_the_workflow_out() -> None:
    """§5.3: a response timeout ignores timeoutPolicy; out of retries the workflow is TIMED_OUT."""
    sim = sim_with(a={"retryCount": 0, "responseTimeoutSeconds": 5, "timeoutPolicy": "ALERT_ONLY"})
    sim.mock("a").times_out()
    run = sim.run(workflow(simple("a")))
    assert (run.status, run.duration) == ("TIMED_OUT", timedelta(seconds=5))


def test_task_timeout_with_time_out_wf_ends_the_workflow_without_retries() -> None:
    """§5.6: TIME_OUT_WF times the workflow out at once, unused retries notwithstanding."""
    sim = sim_with(
        a={
            "retryCount": 3,
            "timeoutSeconds": 30,
            "responseTimeoutSeconds": 30,
            "timeoutPolicy": "TIME_OUT_WF",
        }
    )
    sim.mock("a").completes({}, after=timedelta(seconds=45))
    run = sim.run(workflow(simple("a")))
    assert run.status == "TIMED_OUT"
    assert run.duration == timedelta(seconds=30)
    assert run.task("a").attempts == 1


def test_task_timeout_with_retry_policy_retries() -> None:
    """§5.6: RETRY sets TIMED_OUT and applies the retry logic."""
    sim = sim_with(
        a={
            "retryCount": 1,
            "retryDelaySeconds": 2,
            "timeoutSeconds": 30,
            "responseTimeoutSeconds": 30,
            "timeoutPolicy": "RETRY",
        }
    )
    sim.mock("a").completes({}, after=timedelta(seconds=45)).then_completes(
        {}, after=timedelta(seconds=1)
    )
    run = sim.run(workflow(simple("a")))
    assert times(run, "a") == [(0, 0, 30, "TIMED_OUT"), (30, 32, 33, "COMPLETED")]


def test_poll_timeout_when_no_worker_polls() -> None:
    """§5.4: SCHEDULED and never polled for pollTimeoutSeconds -> TIMED_OUT (TIME_OUT_WF here)."""
    sim = sim_with(a={"retryCount": 0, "pollTimeoutSeconds": 60})
    sim.mock("a").never_polled()
    run = sim.run(workflow(simple("a")))
    assert (run.status, run.duration) == ("TIMED_OUT", timedelta(seconds=60))
    assert run.tasks[0]["reasonForIncompletion"].startswith("Task poll timed out after 60 seconds")


def test_workflow_timeout_time_out_wf_cancels_running_tasks() -> None:
    """§5.1: the workflow timeout (TIME_OUT_WF) ends the workflow TIMED_OUT; running tasks CANCELED."""
    sim = Simulator()
    sim.mock("a").never_polled()
    run = sim.run(workflow(simple("a"), timeoutSeconds=3600, timeoutPolicy="TIME_OUT_WF"))
    assert (run.status, run.duration) == ("TIMED_OUT", timedelta(hours=1))
    assert run.task("a").status == "CANCELED"
    assert run.reason is not None and run.reason.startswith("Workflow timed out after 3600 seconds")


def test_workflow_timeout_alert_only_does_nothing() -> None:
    """§5.1: ALERT_ONLY (Conductor's default policy) only alerts."""
    sim = sim_with(a={"responseTimeoutSeconds": 3 * 3600})  # the default 3600 s would time a out
    sim.mock("a").completes({}, after=timedelta(hours=2))
    run = sim.run(workflow(simple("a"), timeoutSeconds=3600))
    assert (run.status, run.duration) == ("COMPLETED", timedelta(hours=2))


def test_total_timeout_stops_retries() -> None:
    """§5.5 / RETRY-07: once totalTimeoutSeconds is spent no retry is made."""
    sim = sim_with(
        a={
            "retryCount": 10,
            "retryDelaySeconds": 30,
            "totalTimeoutSeconds": 100,
            "timeoutPolicy": "RETRY",
        }
    )
    sim.mock("a").fails()
    run = sim.run(workflow(simple("a")))
    # Attempts at 0, 30, 60, 90 fail; the fifth (pollable at 120) hits the budget at 100 s.
    assert times(run, "a") == [
        (0, 0, 0, "FAILED"),
        (0, 30, 30, "FAILED"),
        (30, 60, 60, "FAILED"),
        (60, 90, 90, "FAILED"),
        (90, -1, 100, "TIMED_OUT"),
    ]
    assert (run.status, run.duration) == ("TIMED_OUT", timedelta(seconds=100))


def test_in_progress_callback_repolls_after_the_delay() -> None:
    """§3.6 / CALLBACK: IN_PROGRESS with callbackAfterSeconds goes back to SCHEDULED, polled again later."""
    sim = Simulator()
    sim.mock("a").in_progress(timedelta(seconds=30)).then_completes({"done": True})
    run = sim.run(workflow(simple("a")))
    (task,) = run.tasks
    assert (task["pollCount"], task["status"]) == (2, "COMPLETED")
    assert run.duration == timedelta(seconds=30)


def test_start_delay_holds_the_first_poll() -> None:
    """§3.4: startDelay makes a worker task pollable only after the delay."""
    sim = Simulator()
    sim.mock("a").completes({})
    run = sim.run(workflow(simple("a", startDelay=90)))
    assert times(run, "a") == [(0, 90, 90, "COMPLETED")]


def test_optional_task_failure_completes_with_errors() -> None:
    """§4.4: optional -> COMPLETED_WITH_ERRORS once retries are spent; the workflow completes."""
    sim = sim_with(a={"retryCount": 0})
    sim.mock("a").fails(reason="flaky")
    sim.mock("b").completes({})
    run = sim.run(workflow(simple("a", optional=True), simple("b")))
    assert run.status == "COMPLETED"
    assert run.task("a").status == "COMPLETED_WITH_ERRORS"


def test_permissive_task_failure_fails_the_workflow_at_the_end() -> None:
    """§4.4: permissive -> the flow continues, then the workflow FAILS at completion."""
    sim = sim_with(a={"retryCount": 0})
    sim.mock("a").fails(reason="bad")
    sim.mock("b").completes({})
    run = sim.run(workflow(simple("a", permissive=True), simple("b")))
    assert run.task("b").status == "COMPLETED"
    assert run.status == "FAILED"


def test_worker_task_with_no_mock_left_is_an_error_naming_ref_and_attempt() -> None:
    """A Conductor-format mock list that runs out is an error, never a silent RUNNING."""
    sim = sim_with(a={"retryCount": 2, "retryDelaySeconds": 0})
    sim.mocks.load_conductor({"a": [{"status": "FAILED"}]})
    with pytest.raises(SimulationError, match=r"task 'a'.*attempt 2"):
        sim.run(workflow(simple("a")))


def test_unmocked_worker_is_an_error_with_the_fix() -> None:
    """A worker task with no behaviour names the mock to add."""
    with pytest.raises(SimulationError, match=r"sim\.mock\('a'\)"):
        Simulator().run(workflow(simple("a")))


def test_same_input_gives_byte_identical_execution_json() -> None:
    """Determinism: identical inputs give identical bytes (ids and times included)."""

    def once() -> str:
        sim = sim_with(a={"retryCount": 2, "retryDelaySeconds": 7})
        sim.mock("a").fails().then_completes({"v": 1})
        return sim.run(workflow(simple("a"), simple("b")) | {"tasks": [simple("a")]}).to_json()

    assert once() == once()
