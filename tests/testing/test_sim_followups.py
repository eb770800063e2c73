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


def test_scripts_can_use_java_list_methods() -> None:
    """GraalJS scripts call .get(i) / .size() on Conductor's Java lists: they work here too."""
    inline = {
        "name": "i",
        "taskReferenceName": "i",
        "type": "INLINE",
        "inputParameters": {
            "evaluatorType": "javascript",
            "expression": "$.xs.get(1) + $.xs.size()",
            "xs": [10, 20],
        },
    }
    run = Simulator().run({"name": "w", "version": 1, "tasks": [inline]})
    assert run.task("i").output == {"result": 22}


def test_terminate_inside_a_fork_ends_the_workflow_at_once() -> None:
    """TERM-03 / §8.9: a TERMINATE in one branch ends the workflow; the other branch is CANCELED."""
    fork = {
        "name": "f",
        "taskReferenceName": "f",
        "type": "FORK_JOIN",
        "forkTasks": [
            [{"name": "a", "taskReferenceName": "a", "type": "SIMPLE"}],
            [
                {
                    "name": "t",
                    "taskReferenceName": "t",
                    "type": "TERMINATE",
                    "inputParameters": {
                        "terminationStatus": "COMPLETED",
                        "workflowOutput": {"done": 1},
                    },
                }
            ],
        ],
    }
    join = {"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["a", "t"]}
    sim = Simulator()
    sim.mock("a").completes({}, after=timedelta(minutes=1))
    run = sim.run({"name": "w", "version": 1, "tasks": [fork, join]})
    assert (run.status, run.output, run.duration) == ("COMPLETED", {"done": 1}, timedelta(0))
    assert (run.task("a").status, run.task("j").status) == ("CANCELED", "CANCELED")


def test_terminate_failed_starts_the_failure_workflow() -> None:
    """TERM-02 / §8.9: TERMINATE FAILED goes through termination, so the failureWorkflow runs."""
    handler = {
        "name": "on_failure",
        "version": 1,
        "tasks": [{"name": "n", "taskReferenceName": "n", "type": "NOOP"}],
    }
    term = {
        "name": "t",
        "taskReferenceName": "t",
        "type": "TERMINATE",
        "inputParameters": {"terminationStatus": "FAILED"},
    }
    run = Simulator(workflows=[handler]).run(
        {"name": "w", "version": 1, "tasks": [term], "failureWorkflow": "on_failure"}
    )
    assert run.status == "FAILED"
    assert run.children[0]["input"]["failureTaskId"] == run.tasks[0]["taskId"]


def test_wait_with_a_registered_task_def_is_not_timed_out_at_once() -> None:
    """A WAIT's updateTime is its start: a registered TaskDef's response timeout does not fire at 0."""
    wait = {
        "name": "w",
        "taskReferenceName": "w",
        "type": "WAIT",
        "inputParameters": {"duration": "1h"},
    }
    run = Simulator(task_defs=[{"name": "w"}]).run({"name": "x", "version": 1, "tasks": [wait]})
    assert (run.status, run.duration) == ("COMPLETED", timedelta(hours=1))


def test_retry_of_a_sub_workflow_waits_for_the_retry_delay() -> None:
    """§4.3: a retried SUB_WORKFLOW starts its new child after the delay."""
    child = {
        "name": "c",
        "version": 1,
        "tasks": [{"name": "leaf", "taskReferenceName": "leaf", "type": "SIMPLE", "retryCount": 0}],
    }
    sub = {
        "name": "s",
        "taskReferenceName": "s",
        "type": "SUB_WORKFLOW",
        "subWorkflowParam": {"name": "c"},
    }
    sim = Simulator(
        workflows=[child], task_defs=[{"name": "s", "retryCount": 1, "retryDelaySeconds": 10}]
    )
    sim.mock("leaf").fails(after=timedelta(seconds=3))
    run = sim.run({"name": "p", "version": 1, "tasks": [sub]})
    starts = [c["createTime"] - run.execution["createTime"] for c in run.children]
    assert starts == [0, 13_000]


def test_a_timed_out_waiter_does_not_free_a_concurrency_slot() -> None:
    """§7: only an IN_PROGRESS task holds a concurrentExecLimit slot; a waiter timing out frees none."""
    defs = [
        {
            "name": "cl",
            "concurrentExecLimit": 1,
            "pollTimeoutSeconds": 5,
            "retryCount": 0,
            "timeoutPolicy": "RETRY",
        }
    ]
    branch = [
        [{"name": "cl", "taskReferenceName": r, "type": "SIMPLE", **extra}]
        for r, extra in (("a", {}), ("b", {"optional": True}))
    ]
    branch.append(
        [
            {"name": "x", "taskReferenceName": "x", "type": "SIMPLE"},
            {"name": "cl", "taskReferenceName": "c", "type": "SIMPLE"},
        ]
    )
    fork = {"name": "f", "taskReferenceName": "f", "type": "FORK_JOIN", "forkTasks": branch}
    join = {"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["a", "b", "c"]}
    sim = Simulator(task_defs=defs)
    sim.mock("a").completes({}, after=timedelta(seconds=10))
    sim.mock("b").completes({})
    sim.mock("x").completes({}, after=timedelta(seconds=6))
    sim.mock("c").completes({}, after=timedelta(seconds=1))
    run = sim.run({"name": "w", "version": 1, "tasks": [fork, join]})
    c = run.task("c").attempts_list[0]
    assert (c["startTime"] - run.execution["createTime"]) // 1000 == 10  # after a frees its slot


def test_keep_last_n_drops_older_iteration_outputs() -> None:
    """§8.6 keepLastN: the loop output keeps only the last N iterations."""
    loop = {
        "name": "l",
        "taskReferenceName": "l",
        "type": "DO_WHILE",
        "inputParameters": {"keepLastN": 2},
        "loopCondition": "$.l['iteration'] < 5",
        "loopOver": [{"name": "n", "taskReferenceName": "n", "type": "NOOP"}],
    }
    run = Simulator().run({"name": "w", "version": 1, "tasks": [loop]})
    assert sorted(k for k in run.task("l").output if k.isdigit()) == ["4", "5"]


@pytest.mark.parametrize(
    ("definition", "where"),
    [
        ({"name": "w", "tasks": [{"name": "a", "type": "SIMPLE"}]}, "$.tasks[0]"),
        ({"name": "w", "tasks": {"a": 1}}, "$.tasks"),
        ({"name": "w", "tasks": ["a"]}, "$.tasks[0]"),
        ({"name": "w", "version": "abc", "tasks": []}, "$.version"),
        (
            {
                "name": "w",
                "tasks": [
                    {
                        "name": "i",
                        "taskReferenceName": "i",
                        "type": "INLINE",
                        "inputParameters": [1],
                    }
                ],
            },
            "$.tasks[0].inputParameters",
        ),
    ],
)
def test_a_malformed_definition_is_refused_with_its_json_path(
    definition: dict[str, Any], where: str
) -> None:
    """Bad input: a SimulationError naming the JSON path, never a crash from deep inside."""
    with pytest.raises(SimulationError, match=r"cannot be simulated") as caught:
        Simulator().run(definition)
    assert where in str(caught.value)


def test_ids_are_distinct_version_4_uuids_the_same_every_run() -> None:
    """Ids are formatted by hand for speed; they must parse as RFC 4122 version-4 UUIDs."""
    import uuid

    from testing.engine import Engine

    def ids() -> list[str]:
        eng = Engine(start_ms=0)
        return [eng.new_id("task") for _ in range(2000)]

    first = ids()
    assert first == ids()
    assert len(set(first)) == len(first)
    # Made in batches, yet the same ids as one at a time: the n-th is the scrambled counter n.
    assert first[0] == "5f0c6a1e-93b7-4d2e-8a41-9e3779b97f4b"
    assert first[1999] == f"5f0c6a1e-93b7-4d2e-8a41-{(2000 * 0x9E3779B97F4B) % 2**48:012x}"
    for text in first:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def _parent(**sub: Any) -> dict[str, Any]:
    child_task = {
        "name": "run_child",
        "taskReferenceName": "child",
        "type": "SUB_WORKFLOW",
        "subWorkflowParam": {"name": "kid", "version": 1},
        **sub,
    }
    read = {
        "name": "read",
        "taskReferenceName": "read",
        "type": "SET_VARIABLE",
        "inputParameters": {"got": "${child.output.x}"},
    }
    return {"name": "parent", "version": 1, "tasks": [child_task, read]}


def test_a_mocked_sub_workflow_task_starts_no_child_and_answers_as_mocked() -> None:
    """No definition of 'kid' is needed: the SUB_WORKFLOW task behaves as its mock says."""
    sim = Simulator()
    sim.mock("child").completes({"x": 1}, after=timedelta(seconds=10))
    run = sim.run(_parent())
    assert run.status == "COMPLETED"
    assert run.children == ()
    child = run.task("child")
    assert (child.status, child.output, child.attempts_list[0]["subWorkflowId"]) == (
        "COMPLETED",
        {"x": 1},
        None,
    )
    assert run.execution["variables"] == {"got": 1}
    assert run.duration == timedelta(seconds=10)


def test_a_mocked_sub_workflow_task_fails_and_retries_by_its_task_def() -> None:
    sim = Simulator(task_defs=[{"name": "run_child", "retryCount": 1, "retryDelaySeconds": 5}])
    sim.mock("run_child").fails(after=timedelta(seconds=3)).then_completes({"x": 2})
    run = sim.run(_parent())
    assert [a["status"] for a in run.task("child").attempts_list] == ["FAILED", "COMPLETED"]
    assert run.duration == timedelta(seconds=8)  # failed at 3 s, retried 5 s later
    assert run.execution["variables"] == {"got": 2}


def test_a_sub_workflow_mock_in_conductor_format() -> None:
    from testing.mocks import Mocks

    sim = Simulator()
    sim.mocks = Mocks.from_conductor(
        {"child": [{"status": "FAILED", "reasonForIncompletion": "child broke"}]}
    )
    run = sim.run(_parent(optional=True))
    assert run.status == "COMPLETED"
    assert (run.task("child").status, run.task("child").reason) == (
        "COMPLETED_WITH_ERRORS",
        "child broke",
    )


def test_an_unmocked_sub_workflow_without_its_definition_says_how_to_fix_it() -> None:
    run = Simulator().run(_parent())
    assert run.status == "FAILED"
    reason = run.task("child").reason or ""
    assert "no definition of workflow 'kid' was given to the simulation" in reason
    assert "mock the task that starts it" in reason


def test_simulate_says_what_a_request_needs(tmp_path: Any, capsys: Any) -> None:
    from compiler.cli import main

    bad = tmp_path / "bad.json"
    bad.write_text('{"tasks": 5}', encoding="utf-8")
    assert main(["simulate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}: $: expected a workflow test request (with 'workflowDef'" in err
    assert "got an object with keys ['tasks']" in err
    assert "Traceback" not in err
