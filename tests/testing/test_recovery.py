"""§4.6 manual APIs at simulated times: pause/resume, skip, restart, retry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from testing.engine import SimulationError
from testing.simulator import Simulator


def simple(ref: str, **fields: Any) -> dict[str, Any]:
    return {"name": ref, "taskReferenceName": ref, "type": "SIMPLE", **fields}


def flow(*tasks: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"name": "wf", "version": 1, "tasks": list(tasks), **fields}


def offsets(run: Any, key: str) -> list[int]:
    return [(t[key] - run.execution["createTime"]) // 1000 for t in run.tasks]


def test_pause_holds_scheduling_until_resume() -> None:
    """BASIC-07: t1 completes while PAUSED; t2 is scheduled only on resume."""
    sim = Simulator()
    sim.mock("t1").completes({"op": "done"}, after=timedelta(seconds=10))
    sim.mock("t2").completes({})
    sim.pause(after=timedelta(seconds=5))
    sim.resume(after=timedelta(seconds=60))
    run = sim.run(flow(simple("t1"), simple("t2", inputParameters={"x": "${t1.output.op}"})))
    assert run.status == "COMPLETED"
    assert offsets(run, "scheduledTime") == [0, 60]
    assert run.task("t2").input == {"x": "done"}
    assert run.execution["lastRetriedTime"] - run.execution["createTime"] == 60_000


def test_a_paused_workflow_still_times_out_when_something_decides() -> None:
    """§5.1: the workflow timeout is checked before the pause check, and resume restarts its clock."""
    sim = Simulator()
    sim.mock("t1").completes({}, after=timedelta(seconds=50))
    sim.mock("t2").completes({}, after=timedelta(seconds=50))
    sim.pause(after=timedelta(seconds=10))
    sim.resume(after=timedelta(seconds=40))
    run = sim.run(flow(simple("t1"), simple("t2"), timeoutSeconds=100, timeoutPolicy="TIME_OUT_WF"))
    # resume at 40 s restarts the clock: t2 (scheduled at 50 s, done at 100 s) beats the new deadline, 140 s
    assert (run.status, run.duration) == ("COMPLETED", timedelta(seconds=100))


def test_skip_passes_over_a_future_task() -> None:
    """BASIC-08: a skipped task is recorded SKIPPED and never scheduled; the flow goes on."""
    sim = Simulator()
    sim.mock("t1").completes({}, after=timedelta(seconds=5))
    sim.mock("t3").completes({})
    sim.skip("t2", after=timedelta(seconds=1))
    run = sim.run(flow(simple("t1"), simple("t2"), simple("t3")))
    assert [(t["referenceTaskName"], t["status"]) for t in run.tasks] == [
        ("t1", "COMPLETED"),
        ("t2", "SKIPPED"),
        ("t3", "COMPLETED"),
    ]
    assert run.status == "COMPLETED"


def test_skipping_a_scheduled_task_is_refused() -> None:
    """§4.6: skip only applies to a task not scheduled yet."""
    sim = Simulator()
    sim.mock("t1").completes({}, after=timedelta(seconds=5))
    sim.skip("t1", after=timedelta(seconds=1))
    with pytest.raises(SimulationError, match="already scheduled"):
        sim.run(flow(simple("t1")))


def test_restart_runs_the_workflow_again_from_scratch() -> None:
    """BASIC-10: restart of a FAILED run starts over with a fresh task list and createTime."""
    sim = Simulator(task_defs=[{"name": "t1", "retryCount": 0}])
    sim.mock("t1").fails(reason="boom").then_completes({"op": "ok"})
    sim.mock("t2").completes({})
    sim.restart(after=timedelta(minutes=5))
    run = sim.run(flow(simple("t1"), simple("t2")))
    assert run.status == "COMPLETED"
    assert [t["status"] for t in run.tasks] == ["COMPLETED", "COMPLETED"]
    assert run.execution["createTime"] - sim.runs[0].start_ms == 300_000


def test_restart_of_a_completed_non_restartable_workflow_is_refused() -> None:
    """BASIC-11: restartable=false blocks restart once COMPLETED."""
    sim = Simulator()
    sim.mock("t1").completes({})
    sim.restart(after=timedelta(minutes=1))
    with pytest.raises(SimulationError, match="non-restartable"):
        sim.run(flow(simple("t1"), restartable=False))


def test_retry_resumes_from_the_failed_task_with_retry_count_plus_one() -> None:
    """RETRY-02: after retries are exhausted, a workflow retry adds one attempt (retryCount+1)."""
    sim = Simulator(task_defs=[{"name": "t1", "retryCount": 1, "retryDelaySeconds": 0}])
    sim.mock("t1").fails(times=2).then_completes({})
    sim.mock("t2").completes({})
    sim.retry(after=timedelta(minutes=10))
    run = sim.run(flow(simple("t1"), simple("t2")))
    assert run.status == "COMPLETED"
    assert [(t["referenceTaskName"], t["status"], t["retryCount"]) for t in run.tasks] == [
        ("t1", "FAILED", 0),
        ("t1", "FAILED", 1),
        ("t1", "COMPLETED", 2),
        ("t2", "COMPLETED", 0),
    ]
    assert offsets(run, "scheduledTime")[2] == 600


def test_retry_of_a_running_workflow_is_refused() -> None:
    """§4.6: retry applies to terminal workflows only."""
    sim = Simulator()
    sim.mock("t1").completes({}, after=timedelta(hours=1))
    sim.retry(after=timedelta(minutes=1))
    with pytest.raises(SimulationError, match="still running"):
        sim.run(flow(simple("t1")))


def test_retry_reopens_a_canceled_join() -> None:
    """§4.6: a retry sets the CANCELED JOIN back IN_PROGRESS and retries the failed branch."""
    fork = {
        "name": "f",
        "taskReferenceName": "f",
        "type": "FORK_JOIN",
        "forkTasks": [[simple("a", retryCount=0)], [simple("b")]],
    }
    join = {"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["a", "b"]}
    sim = Simulator()
    sim.mock("a").fails().then_completes({"ok": 1})
    sim.mock("b").completes({"ok": 2}, after=timedelta(seconds=30))
    sim.retry(after=timedelta(minutes=1))
    run = sim.run(flow(fork, join))
    assert run.status == "COMPLETED"
    assert run.task("j").status == "COMPLETED"
