"""Simulator behaviours added after the example tests found them missing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from testing.engine import SimulationError
from testing.simulator import Simulator

HUMAN_WF: dict[str, Any] = {
    "name": "h",
    "version": 1,
    "timeoutSeconds": 60,
    "timeoutPolicy": "TIME_OUT_WF",
    "tasks": [{"name": "review", "taskReferenceName": "review", "type": "HUMAN"}],
}


def test_in_progress_human_task_suspends_the_workflow_timeout() -> None:
    """§3.9 [derived]: while a HUMAN task waits, no sweep enforces the workflow timeout."""
    run = Simulator().run(HUMAN_WF)
    assert run.status == "RUNNING"


def test_human_update_after_the_deadline_times_the_workflow_out() -> None:
    """§3.3 step 2: the decide triggered by the HUMAN update checks the workflow timeout first."""
    sim = Simulator()
    sim.signal("review", after=timedelta(seconds=120), output={"ok": 1})
    run = sim.run(HUMAN_WF)
    assert (run.status, run.duration) == ("TIMED_OUT", timedelta(seconds=120))


def test_each_sub_workflow_instance_gets_the_whole_mock_script() -> None:
    """Mock cursors are per workflow instance: two runs of one child each fail once, then pass."""
    child = {
        "name": "c",
        "version": 1,
        "tasks": [{"name": "t", "taskReferenceName": "t", "type": "SIMPLE"}],
    }
    sim = Simulator(
        workflows=[child], task_defs=[{"name": "t", "retryCount": 2, "retryDelaySeconds": 5}]
    )
    sim.mock("t").fails().then_completes({"ok": True})
    fork = {
        "name": "f",
        "taskReferenceName": "f",
        "type": "FORK_JOIN",
        "forkTasks": [
            [
                {
                    "name": "c",
                    "taskReferenceName": "c1",
                    "type": "SUB_WORKFLOW",
                    "subWorkflowParam": {"name": "c"},
                }
            ],
            [
                {
                    "name": "c",
                    "taskReferenceName": "c2",
                    "type": "SUB_WORKFLOW",
                    "subWorkflowParam": {"name": "c"},
                }
            ],
        ],
    }
    join = {"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["c1", "c2"]}
    run = sim.run({"name": "p", "version": 1, "tasks": [fork, join]})
    assert [len(child["tasks"]) for child in run.children] == [2, 2]
    assert run.duration == timedelta(seconds=5)


def test_a_secret_the_simulation_was_not_given_is_an_error() -> None:
    """A worker input reading an unknown secret names it and how to supply it."""
    from flowdsl import secret, task, workflow

    @task
    def call(token: str) -> None: ...

    @workflow
    def flow() -> None:
        call(token=secret("API_KEY"))

    with pytest.raises(SimulationError, match=r"secret API_KEY.*Simulator\(secrets="):
        Simulator().run(flow)


def test_bare_reference_of_a_loop_task_means_its_latest_iteration() -> None:
    """§6.3: run.task('body') inside a DO_WHILE returns the latest iteration's attempts."""
    loop = {
        "name": "l",
        "taskReferenceName": "l",
        "type": "DO_WHILE",
        "loopCondition": "$.l['iteration'] < 2",
        "loopOver": [{"name": "body", "taskReferenceName": "body", "type": "SIMPLE"}],
    }
    sim = Simulator()
    sim.mock("body").completes({"n": 1})
    view = sim.run({"name": "w", "version": 1, "tasks": [loop]}).task("body")
    assert (view.ref, view.attempts) == ("body__2", 1)


def test_an_endless_loop_is_stopped_with_a_clear_error() -> None:
    """A DO_WHILE whose condition never turns false hits the event budget, naming the loop task."""
    loop = {
        "name": "l",
        "taskReferenceName": "forever",
        "type": "DO_WHILE",
        "loopCondition": "true",
        "loopOver": [
            {"name": "n", "taskReferenceName": "n", "type": "NOOP"},
            {
                "name": "w",
                "taskReferenceName": "w",
                "type": "WAIT",
                "inputParameters": {"duration": "1s"},
            },
        ],
    }
    with pytest.raises(SimulationError, match=r"still going after 1,000 events.*'w__"):
        Simulator(max_events=1000).run({"name": "w", "version": 1, "tasks": [loop]})
