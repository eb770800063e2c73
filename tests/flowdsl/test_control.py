"""Combinators: fork, dynamic_fork and sub_workflow."""

from __future__ import annotations

from typing import Any

from compiler import compile_workflow
from flowdsl import (
    Handle,
    dynamic_fork,
    external_workflow,
    fork,
    noop,
    sub_workflow,
    switch,
    task,
    workflow,
)
from tests.support import display_path, marker_line, problems_of, tasks_of


def here() -> str:
    """This file as flowdsl displays it."""
    return display_path(__file__)


def line_of(marker: str) -> int:
    """The line of this file ending with the comment ``# marker``."""
    return marker_line(__file__, marker)


@task
def a(x: Any = None) -> dict[str, Any]:
    return {}


@task
def b(x: Any = None) -> dict[str, Any]:
    return {}


@task(retry_count=1)
def item_task(n: int = 0) -> dict[str, Any]:
    return {}


def simple(ref: str, name: str, inputs: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "taskReferenceName": ref,
        "type": "SIMPLE",
        "inputParameters": inputs or {},
    }


# -- fork -------------------------------------------------------------------------------------


def test_fork_emits_fork_join_and_join() -> None:
    """fork() emits FORK_JOIN with one task list per branch, then a JOIN."""

    @workflow
    def wf() -> None:
        fork(lambda: a(1), lambda: b(2))

    assert tasks_of(wf) == [
        {
            "name": "fork",
            "taskReferenceName": "fork",
            "type": "FORK_JOIN",
            "inputParameters": {},
            "forkTasks": [[simple("a", "a", {"x": 1})], [simple("b", "b", {"x": 2})]],
        },
        {
            "name": "fork_join",
            "taskReferenceName": "fork_join",
            "type": "JOIN",
            "inputParameters": {},
            "joinOn": ["a", "b"],
        },
    ]


def test_join_waits_on_the_last_task_of_each_branch() -> None:
    """joinOn lists the last task of every branch."""

    @workflow
    def wf() -> None:
        fork(lambda: (a(), b()), lambda: (b(), a(), a()))

    assert tasks_of(wf)[1]["joinOn"] == ["b", "a_3"]


def test_nested_fork_joins_on_the_inner_join() -> None:
    """A branch ending in a fork is joined on that fork's JOIN."""

    @workflow
    def wf() -> None:
        fork(lambda: fork(lambda: a(), lambda: b()), lambda: a())

    outer_branch = tasks_of(wf)[0]["forkTasks"][0]
    assert [t["type"] for t in outer_branch] == ["FORK_JOIN", "JOIN"]
    assert outer_branch[1]["joinOn"] == ["a", "b"]
    assert tasks_of(wf)[1]["joinOn"] == ["fork_2_join", "a_2"]


def test_fork_returns_each_branch_value() -> None:
    """fork() returns what each branch returns, or a handle on its last task."""
    seen: list[Any] = []

    @workflow
    def wf() -> None:
        seen.extend(fork(lambda: a(), lambda: [b(), "tag"], lambda: None or noop()))

    compile_workflow(wf)
    assert isinstance(seen[0], Handle)
    assert seen[0].ref == "a"
    assert seen[1][1] == "tag"
    assert seen[2].ref == "noop"


def test_fork_branch_value_none_gives_last_task_handle() -> None:
    """A branch returning None yields a handle on the branch's last task."""
    seen: list[Any] = []

    def branch() -> None:
        a()
        b()

    @workflow
    def wf() -> None:
        seen.extend(fork(branch))

    compile_workflow(wf)
    assert seen[0].ref == "b"


def test_fork_explicit_refs() -> None:
    """ref= and join_ref= name the FORK_JOIN and its JOIN."""

    @workflow
    def wf() -> None:
        fork(lambda: a(), ref="par", join_ref="par_done")

    assert [t["taskReferenceName"] for t in tasks_of(wf)] == ["par", "par_done"]


def test_empty_fork_branch_is_reported() -> None:
    """A branch that calls no task is a problem at the fork call."""

    @workflow
    def wf() -> None:
        fork(lambda: a(), lambda: None)  # empty-branch

    problem = next(p for p in problems_of(wf) if p.code == "empty-branch")
    assert problem.message == "branch 2 of fork 'fork' has no tasks"
    assert str(problem.location) == f"{here()}:{line_of('empty-branch')}"


def test_fork_branch_ending_in_switch_warns() -> None:
    """A branch ending with a switch compiles with a join-on-switch warning."""

    @workflow
    def wf(k: str) -> None:
        fork(lambda: switch(k, {"x": lambda: a()}), lambda: b())

    warnings = compile_workflow(wf).warnings
    assert [w.code for w in warnings] == ["join-on-switch"]
    assert "End the branch with a task after the switch" in (warnings[0].hint or "")


# -- dynamic_fork -------------------------------------------------------------------------------


def test_dynamic_fork_emits_fork_join_dynamic_and_join() -> None:
    """dynamic_fork(task, inputs) emits FORK_JOIN_DYNAMIC (forkTaskName/forkTaskInputs) and a JOIN."""

    @workflow
    def wf() -> None:
        plan = a()
        dynamic_fork(item_task, plan.output.items)

    assert tasks_of(wf)[1:] == [
        {
            "name": "item_task_fork",
            "taskReferenceName": "item_task_fork",
            "type": "FORK_JOIN_DYNAMIC",
            "inputParameters": {"forkTaskName": "item_task", "forkTaskInputs": "${a.output.items}"},
        },
        {
            "name": "item_task_fork_join",
            "taskReferenceName": "item_task_fork_join",
            "type": "JOIN",
            "inputParameters": {},
            "joinOn": [],
        },
    ]


def test_dynamic_fork_returns_the_join_handle() -> None:
    """dynamic_fork() returns a handle on its JOIN, whose output holds every forked output."""

    @workflow
    def wf() -> None:
        joined = dynamic_fork(item_task, [{"n": 1}, {"n": 2}])
        a(joined.output)

    tasks = tasks_of(wf)
    assert tasks[1]["type"] == "JOIN"
    assert tasks[2]["inputParameters"] == {"x": "${item_task_fork_join.output}"}


def test_dynamic_fork_literal_inputs_are_written() -> None:
    """A literal list of input dicts is written as forkTaskInputs."""

    @workflow
    def wf() -> None:
        dynamic_fork(item_task, ({"n": 1}, {"n": 2}))

    assert tasks_of(wf)[0]["inputParameters"]["forkTaskInputs"] == [{"n": 1}, {"n": 2}]


def test_dynamic_fork_emits_the_forked_taskdef() -> None:
    """The forked task's TaskDef is emitted with its options."""

    @workflow
    def wf() -> None:
        dynamic_fork(item_task, [])

    (td,) = compile_workflow(wf).task_defs
    assert (td["name"], td["retryCount"]) == ("item_task", 1)


def test_dynamic_fork_of_a_workflow_uses_fork_task_workflow() -> None:
    """Forking a workflow writes forkTaskWorkflow and a string forkTaskWorkflowVersion."""

    @workflow(version=2)
    def per_item(n: int) -> None:
        a(n)

    @workflow
    def wf() -> None:
        dynamic_fork(per_item, [{"n": 1}])

    compiled = compile_workflow(wf)
    params = compiled.workflow_def["tasks"][0]["inputParameters"]
    assert (params["forkTaskWorkflow"], params["forkTaskWorkflowVersion"]) == ("per_item", "2")
    assert [w.name for w in compiled.sub_workflows] == ["per_item"]


def test_dynamic_fork_refuses_non_list_inputs() -> None:
    """Inputs that are neither a list nor a reference are reported."""

    @workflow
    def wf() -> None:
        dynamic_fork(item_task, {"n": 1})

    problem = next(p for p in problems_of(wf) if p.code == "bad-call")
    assert "inputs must be a list of input dicts or a reference to one, not dict" in problem.message


# -- sub_workflow -------------------------------------------------------------------------------


@workflow(version=3)
def child(n: int, label: str = "x") -> dict[str, Any]:
    a(n)
    return {"n": n}


def test_sub_workflow_emits_name_and_version() -> None:
    """sub_workflow(fn, **inputs) emits SUB_WORKFLOW with subWorkflowParam name/version."""

    @workflow
    def parent(n: int) -> None:
        sub_workflow(child, n=n)

    assert tasks_of(parent) == [
        {
            "name": "child",
            "taskReferenceName": "child",
            "type": "SUB_WORKFLOW",
            "inputParameters": {"n": "${workflow.input.n}"},
            "subWorkflowParam": {"name": "child", "version": 3},
        }
    ]


def test_sub_workflow_child_is_compiled_with_parent() -> None:
    """The child workflow is compiled too and listed in sub_workflows with its TaskDefs."""

    @workflow
    def parent() -> None:
        sub_workflow(child, n=1)

    compiled = compile_workflow(parent)
    assert [w.name for w in compiled.sub_workflows] == ["child"]
    assert [w.name for w in compiled.all_workflows()] == ["parent", "child"]
    assert [td["name"] for td in compiled.all_task_defs()] == ["a"]


def test_sub_workflow_inline_embeds_the_definition() -> None:
    """inline=True embeds the child's WorkflowDef as workflowDefinition."""

    @workflow
    def parent() -> None:
        sub_workflow(child, n=1, inline=True)

    param = tasks_of(parent)[0]["subWorkflowParam"]
    assert param["workflowDefinition"] == compile_workflow(child).workflow_def
    assert (param["name"], param["version"]) == ("child", 3)


def test_sub_workflow_external_by_name_and_version() -> None:
    """external_workflow(name, version) runs a workflow known only by name."""

    @workflow
    def parent() -> None:
        sub_workflow(external_workflow("payments", 7), amount=5)

    compiled = compile_workflow(parent)
    task_ = compiled.workflow_def["tasks"][0]
    assert task_["subWorkflowParam"] == {"name": "payments", "version": 7}
    assert task_["inputParameters"] == {"amount": 5}
    assert compiled.sub_workflows == ()


def test_sub_workflow_external_without_version_means_latest() -> None:
    """external_workflow(name) leaves the version out."""

    @workflow
    def parent() -> None:
        sub_workflow(external_workflow("payments"))

    assert tasks_of(parent)[0]["subWorkflowParam"] == {"name": "payments"}


def test_sub_workflow_version_override_and_options() -> None:
    """version=, ref=, optional= and task_to_domain= are written."""

    @workflow
    def parent() -> None:
        sub_workflow(child, n=1, version=9, ref="kid", optional=True, task_to_domain={"*": "blue"})

    task_ = tasks_of(parent)[0]
    assert task_["taskReferenceName"] == "kid"
    assert task_["subWorkflowParam"] == {
        "name": "child",
        "version": 9,
        "taskToDomain": {"*": "blue"},
    }
    assert task_["optional"] is True


def test_sub_workflow_unknown_input_is_reported() -> None:
    """An input the child does not take is reported with a did-you-mean at the call line."""

    @workflow
    def parent() -> None:
        sub_workflow(child, n=1, lable="y")  # unknown-child-input

    (problem,) = problems_of(parent)
    assert problem.message == "workflow 'child' has no input 'lable'"
    assert problem.hint == "Did you mean 'label'?"
    assert str(problem.location) == f"{here()}:{line_of('unknown-child-input')}"


def test_sub_workflow_missing_input_is_reported() -> None:
    """A child input without a default that is not passed is reported."""

    @workflow
    def parent() -> None:
        sub_workflow(child, label="y")

    (problem,) = problems_of(parent)
    assert problem.message == "sub-workflow 'child' is missing input 'n'"


def test_sub_workflow_inputs_named_like_options_go_through_inputs() -> None:
    """_inputs= passes inputs whose names clash with keyword options."""

    @workflow
    def parent() -> None:
        sub_workflow(external_workflow("ext"), _inputs={"version": "v2", "ref": 1})

    assert tasks_of(parent)[0]["inputParameters"] == {"version": "v2", "ref": 1}
