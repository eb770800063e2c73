"""dynamic_fork_tasks: Conductor's classic dynamic fork (dynamicForkTasksParam), written in Python."""

from __future__ import annotations

from typing import Any

from compiler import compile_workflow
from compiler.diagram import to_dot
from flowdsl import dynamic_fork_tasks, task, workflow
from testing.simulator import Simulator
from tests.support import problems_of, tasks_of


@task
def plan(count: int = 0) -> dict[str, Any]:
    """Decides at run time which tasks to fork, and with what inputs."""
    forked = [
        {"name": "resize", "taskReferenceName": f"resize_{i}", "type": "SIMPLE"}
        for i in range(count)
    ]
    return {
        "dynamicTasks": forked,
        "dynamicTasksInput": {f"resize_{i}": {"size": 100 * (i + 1)} for i in range(count)},
    }


@task(retry_count=1)
def resize(size: int = 0) -> dict[str, Any]:
    return {"width": size}


@workflow
def resize_all(count: int) -> dict[str, Any]:
    decided = plan(count)
    joined = dynamic_fork_tasks(
        decided.output["dynamicTasks"], decided.output["dynamicTasksInput"], task_fns=[resize]
    )
    return {"sizes": joined.output}


def test_it_emits_the_classic_fork_and_its_join() -> None:
    assert tasks_of(resize_all)[1:] == [
        {
            "name": "dynamic_fork",
            "taskReferenceName": "dynamic_fork",
            "type": "FORK_JOIN_DYNAMIC",
            "inputParameters": {
                "dynamicTasks": "${plan.output.dynamicTasks}",
                "dynamicTasksInput": "${plan.output.dynamicTasksInput}",
            },
            "dynamicForkTasksParam": "dynamicTasks",
            "dynamicForkTasksInputParamName": "dynamicTasksInput",
        },
        {
            "name": "dynamic_fork_join",
            "taskReferenceName": "dynamic_fork_join",
            "type": "JOIN",
            "inputParameters": {},
            "joinOn": [],
        },
    ]


def test_the_task_functions_named_get_their_taskdefs() -> None:
    compiled = compile_workflow(resize_all)
    by_name = {td["name"]: td for td in compiled.all_task_defs()}
    assert set(by_name) == {"plan", "resize"}
    assert by_name["resize"]["retryCount"] == 1


def test_it_runs_in_the_simulator_with_the_real_workers() -> None:
    run = Simulator().run(resize_all, {"count": 3})
    assert run.status == "COMPLETED"
    assert run.execution["output"]["sizes"] == {
        "resize_0": {"width": 100},
        "resize_1": {"width": 200},
        "resize_2": {"width": 300},
    }
    assert [t["referenceTaskName"] for t in run.execution["tasks"]] == [
        "plan",
        "dynamic_fork",
        "resize_0",
        "resize_1",
        "resize_2",
        "dynamic_fork_join",
    ]


def test_input_names_refs_and_literals() -> None:
    @workflow
    def literal() -> None:
        dynamic_fork_tasks(
            [{"name": "resize", "taskReferenceName": "r1", "type": "SIMPLE"}],
            {"r1": {"size": 5}},
            ref="fan",
            join_ref="fan_done",
            tasks_param="forks",
            inputs_param="forkInputs",
            task_fns=[resize],
        )

    fork, join = tasks_of(literal)
    assert fork["taskReferenceName"] == "fan" and join["taskReferenceName"] == "fan_done"
    assert fork["dynamicForkTasksParam"] == "forks"
    assert fork["dynamicForkTasksInputParamName"] == "forkInputs"
    assert fork["inputParameters"] == {
        "forks": [{"name": "resize", "taskReferenceName": "r1", "type": "SIMPLE"}],
        "forkInputs": {"r1": {"size": 5}},
    }
    run = Simulator().run(literal)
    assert run.status == "COMPLETED"
    assert run.task("r1").output == {"width": 5}


def test_a_diagram_shows_the_dynamic_branches() -> None:
    dot = to_dot(compile_workflow(resize_all).workflow_def)
    assert "dynamic_fork" in dot and "dynamic branches" in dot


def test_bad_arguments_are_reported_at_the_call() -> None:
    @workflow
    def bad() -> None:
        dynamic_fork_tasks("resize", 3, tasks_param="same", inputs_param="same", task_fns=[len])

    messages = [p.message for p in problems_of(bad) if p.code == "bad-call"]
    assert messages == [
        "dynamic_fork_tasks() task_fns takes @task functions, not builtin_function_or_method",
        "dynamic_fork_tasks() tasks must be a list of WorkflowTask dicts or a reference to one, "
        "not str",
        "dynamic_fork_tasks() inputs must be a map from reference name to input dict or a "
        "reference to one, not int",
        "dynamic_fork_tasks() tasks_param and inputs_param are both 'same'",
    ]
    assert all(p.location.line > 0 for p in problems_of(bad) if p.code == "bad-call")
