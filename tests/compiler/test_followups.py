"""Features added after the examples were written: names, inline TaskDefs, results, script reads."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from compiler import compile_workflow, validate_workflow_def
from flowdsl import (
    Handle,
    OptionError,
    WorkflowDefinitionError,
    do_while,
    http,
    human,
    inline,
    js,
    noop,
    sub_workflow,
    switch,
    task,
    workflow,
)

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).name


@task(name="resize", timeout_seconds=300, response_timeout_seconds=60)
def resize(x: int) -> dict[str, Any]:
    return {"x": x}


@workflow(name="resize")
def resize_flow(x: int) -> dict[str, Any]:
    return {"x": resize(x).output["x"]}


def _line_of(text: str) -> int:
    source = Path(__file__).read_text().splitlines()
    return next(i for i, line in enumerate(source, 1) if text in line)


def test_sub_workflow_named_like_a_worker_taskdef_warns() -> None:
    """A SUB_WORKFLOW named like a registered TaskDef gets a warning at the call."""

    @workflow
    def parent() -> None:
        sub_workflow(resize_flow, x=1)  # clash-marker

    warnings = compile_workflow(parent).warnings
    assert [w.code for w in warnings] == ["subworkflow-taskdef"]
    assert warnings[0].location is not None
    assert warnings[0].location.line == _line_of("# clash-marker")
    assert "name='resize_subworkflow'" in (warnings[0].hint or "")


def test_sub_workflow_name_sets_the_task_name() -> None:
    """name= names the WorkflowTask; subWorkflowParam still names the child."""

    @workflow
    def parent() -> None:
        sub_workflow(resize_flow, x=1, name="resize_run")

    compiled = compile_workflow(parent)
    (only,) = compiled.workflow_def["tasks"]
    assert only["name"] == "resize_run"
    assert only["subWorkflowParam"] == {"name": "resize", "version": 1}
    assert compiled.warnings == ()


def test_task_def_on_a_system_task_is_an_inline_taskdefinition() -> None:
    """task_def= writes an inline TaskDef with system-task defaults (no retries, no response timeout)."""

    @workflow
    def flow() -> None:
        human(task_def={"timeout_seconds": timedelta(days=2), "timeout_policy": "TIME_OUT_WF"})

    (only,) = compile_workflow(flow).workflow_def["tasks"]
    definition = only["taskDefinition"]
    assert definition["name"] == "human"
    assert definition["timeoutSeconds"] == 172800
    assert definition["retryCount"] == 0
    assert definition["responseTimeoutSeconds"] == 0
    assert "inputKeys" not in definition


def test_task_def_rejects_unknown_options_at_the_call() -> None:
    """An unknown task_def option is an OptionError naming the call's line."""

    @workflow
    def flow() -> None:
        http("https://example.com", task_def={"retry_cont": 2})  # typo-marker

    with pytest.raises(OptionError, match="Did you mean 'retry_count'") as caught:
        compile_workflow(flow)
    assert caught.value.location is not None
    assert caught.value.location.line == _line_of("# typo-marker")


def test_http_timeouts_take_timedelta_as_milliseconds() -> None:
    """connection_timeout / read_timeout are Conductor milliseconds; a timedelta converts."""

    @workflow
    def flow() -> None:
        http("https://example.com", read_timeout=timedelta(seconds=15), connection_timeout=500)

    (only,) = compile_workflow(flow).workflow_def["tasks"]
    request = only["inputParameters"]["http_request"]
    assert (request["readTimeOut"], request["connectionTimeOut"]) == (15000, 500)


def test_switch_returns_each_branch_result() -> None:
    """switch() exposes what each case (and the default) returned, for use after the switch."""

    @workflow
    def flow(kind: str) -> dict[str, Any]:
        chosen = switch(kind, {"a": lambda: resize(1)}, default=lambda: noop(ref="other"))
        assert isinstance(chosen.branches["a"], Handle)
        return {"a": chosen.branches["a"].output["x"], "other": chosen.default.ref}

    outputs = compile_workflow(flow).workflow_def["outputParameters"]
    assert outputs == {"a": "${resize.output.x}", "other": "other"}


def test_do_while_exposes_the_body_result() -> None:
    """do_while(...).body is the body's last task: after the loop it reads the latest iteration."""

    @workflow
    def flow() -> dict[str, Any]:
        loop = do_while(lambda: resize(1), "$.resize['x'] < 3", max_iterations=5)
        return {"last": loop.body.output["x"]}

    assert compile_workflow(flow).workflow_def["outputParameters"] == {"last": "${resize.output.x}"}


def test_loop_condition_typo_is_reported_with_did_you_mean() -> None:
    """A loop condition reading an unbound $.name is an error with a did-you-mean, at the do_while."""

    @workflow
    def flow() -> None:
        do_while(lambda: resize(1), "$.resise['x'] < 3", ref="poll")  # loop-marker

    with pytest.raises(WorkflowDefinitionError) as caught:
        compile_workflow(flow)
    (problem,) = caught.value.problems
    assert problem.code == "script-read"
    assert "Did you mean $.resize?" in (problem.hint or "")
    assert problem.location is not None and problem.location.line == _line_of("# loop-marker")


def test_switch_javascript_reads_only_its_inputs() -> None:
    """A javascript SWITCH reading a name it does not bind is an error."""

    @workflow
    def flow(score: int) -> None:
        switch(js("$.score > 700 ? 'low' : $.limit", score=score), {"low": lambda: noop()})

    with pytest.raises(WorkflowDefinitionError, match=r"reads \$\.limit"):
        compile_workflow(flow)


def test_inline_reads_are_checked_against_its_inputs() -> None:
    """INLINE scripts see only their inputs: evaluatorType, expression and the bindings."""
    ok: dict[str, Any] = {
        "name": "w",
        "tasks": [
            {
                "name": "i",
                "taskReferenceName": "i",
                "type": "INLINE",
                "inputParameters": {
                    "evaluatorType": "javascript",
                    "expression": "$.a + $.b",
                    "a": 1,
                },
            }
        ],
    }
    problems = validate_workflow_def(ok)
    assert [(p.code, p.json_path) for p in problems] == [
        ("script-read", "$.tasks[0].inputParameters.expression")
    ]
    assert "$.b" in problems[0].message


def test_placeholder_in_a_loop_condition_is_a_warning() -> None:
    """${...} in a loopCondition is never substituted by Conductor: a warning says so."""
    wf: dict[str, Any] = {
        "name": "w",
        "tasks": [
            {
                "name": "l",
                "taskReferenceName": "l",
                "type": "DO_WHILE",
                "loopCondition": "'${workflow.input.x}' != 'done'",
                "loopOver": [{"name": "t", "taskReferenceName": "t", "type": "SIMPLE"}],
            }
        ],
    }
    problems = validate_workflow_def(wf)
    assert [(p.code, p.severity) for p in problems] == [("script-placeholder", "warning")]


def test_inline_expression_with_placeholders_is_not_parsed() -> None:
    """An INLINE expression containing ${...} is filled in by Conductor first: no syntax error."""

    @workflow
    def flow(n: int) -> None:
        inline("var xs = ${workflow.input.n}; xs + $.k", k=1)

    compile_workflow(flow)


def test_cli_compiles_a_package_module_from_any_directory(tmp_path: Path) -> None:
    """flowdsl compile /abs/examples/x.py works from another directory (package imports resolve)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "compiler.cli",
            "compile",
            str(ROOT / "examples" / "image_fork.py"),
            "-o",
            str(tmp_path / "out"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "image_multiple_convert_resize.json").is_file()


def test_graph_fill_equals_a_public_api_build() -> None:
    """The graph written through networkx's dicts equals one built with add_node/add_edge."""
    import networkx as nx

    @workflow
    def shape(kind: str) -> dict[str, Any]:
        first = resize(1)
        switch(kind, {"a": lambda: resize(first.output["x"]), "b": lambda: noop()})
        do_while(lambda: resize(2), "$.resize_3['x'] < 3", max_iterations=2)
        return {"x": first.output["x"]}

    fast = compile_workflow(shape).graph
    slow = nx.MultiDiGraph(**fast.graph)
    for node, attrs in fast.nodes(data=True):
        slow.add_node(node, **attrs)
    for source, target, key, attrs in fast.edges(keys=True, data=True):
        slow.add_edge(source, target, key=key, **attrs)
    assert nx.utils.graphs_equal(fast, slow)
    assert sorted(fast.in_edges(keys=True)) == sorted(slow.in_edges(keys=True))
    assert all(fast._pred[v][u] is fast._succ[u][v] for u, v in fast.edges())  # shared keydicts
    assert list(fast.nodes) == list(slow.nodes)
