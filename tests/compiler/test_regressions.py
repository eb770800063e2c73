"""Regressions: bugs found by the first test pass, each pinned by the test that found it."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from compiler import build_graph, compile_workflow
from compiler.cli import main
from flowdsl import (
    SymbolicValueError,
    WorkflowDefinitionError,
    do_while,
    http,
    inline,
    raw_task,
    start_workflow,
    sub_workflow,
    switch,
    task,
    terminate,
    wait,
    workflow,
)
from tests.support import display_path


def here() -> str:
    """This file as flowdsl displays it."""
    return display_path(__file__)


def at(marker: str) -> str:
    for number, text in enumerate(Path(__file__).read_text().splitlines(), 1):
        if text.rstrip().endswith(f"# {marker}"):
            return f"{here()}:{number}"
    raise AssertionError(marker)


@task(retry_count=7)
def fetch(x: Any = None) -> dict[str, Any]:
    return {}


def problems_of(fn: Any) -> list[Any]:
    with pytest.raises(WorkflowDefinitionError) as info:
        compile_workflow(fn)
    return [p for p in info.value.problems if p.severity == "error"]


# BUG 1: every system task (http, inline, wait, terminate, raw_task, ... = everything built by
# flowdsl/system.py:_emit) is located at compiler/compile.py:<line> instead of the user's line.
# Cause: _emit calls caller_location(1), which skips the user's frame as well.


def test_terminate_problem_is_located_at_the_users_line() -> None:
    """A bad terminate() status is reported at the terminate() call."""

    @workflow
    def wf() -> None:
        terminate("DONE")  # terminate-line

    (problem,) = problems_of(wf)
    assert str(problem.location) == at("terminate-line")


def test_wait_problem_is_located_at_the_users_line() -> None:
    """A bad wait() duration is reported at the wait() call."""

    @workflow
    def wf() -> None:
        wait("10")  # wait-line

    (problem,) = problems_of(wf)
    assert str(problem.location) == at("wait-line")


def test_inline_problem_is_located_at_the_users_line() -> None:
    """A JavaScript syntax error in inline() is reported at the inline() call."""

    @workflow
    def wf() -> None:
        inline("return (")  # inline-line

    (problem,) = problems_of(wf)
    assert str(problem.location) == at("inline-line")


def test_raw_fork_without_join_is_located_at_the_users_line() -> None:
    """A FORK_JOIN without JOIN made with raw_task() is reported at the raw_task() call."""

    @workflow
    def wf() -> None:
        raw_task("FORK_JOIN", forkTasks=[[{"name": "q", "taskReferenceName": "q"}]])  # raw-line

    (problem,) = problems_of(wf)
    assert str(problem.location) == at("raw-line")


def test_graph_source_of_a_system_task_is_the_users_line() -> None:
    """The graph node of an http() task has the user's file:line as source."""

    @workflow
    def wf() -> None:
        http("https://x")  # http-line

    assert compile_workflow(wf).graph.nodes["http"]["source"] == at("http-line")


# BUG 2: graph nodes inside a switch case whose key is not a Python identifier (2, "x y",
# "in-review") have source None: graph.py builds "...decisionCases.2[0]" while the emitter's
# source map (and the validator) use "...decisionCases['2'][0]".


def test_graph_source_inside_non_identifier_case() -> None:
    """A task in case 2 / 'in-review' has its source and the validator's JSON path."""

    @workflow
    def wf(k: int) -> None:
        switch(k, {2: lambda: fetch(), "in-review": lambda: fetch()})  # case-line

    g = compile_workflow(wf).graph
    assert g.nodes["fetch"]["source"] == at("case-line")
    assert g.nodes["fetch_2"]["source"] == at("case-line")
    assert g.nodes["fetch"]["json_path"] == "$.tasks[0].decisionCases['2'][0]"


# BUG 3: the TaskDefs used by an inline=True sub-workflow are lost: neither task_defs nor
# all_task_defs() has them, so `flowdsl compile` writes a taskdefs.json without them.


def test_inline_sub_workflow_task_defs_are_kept() -> None:
    """all_task_defs() includes the tasks of an inline child."""

    @workflow
    def child() -> None:
        fetch()

    @workflow
    def parent() -> None:
        sub_workflow(child, inline=True)

    assert [td["name"] for td in compile_workflow(parent).all_task_defs()] == ["fetch"]


# BUG 4: len(handle) and handle < 1 raise a bare TypeError, not SymbolicValueError (bool, iter
# and == on a handle do raise SymbolicValueError). And len(ref)'s message does not point at
# switch/dynamic_fork as the issue requires (it suggests inline()).


def test_len_of_a_handle_is_a_symbolic_value_error() -> None:
    """len(handle) raises SymbolicValueError."""

    @workflow
    def wf() -> None:
        fetch(len(fetch()))

    with pytest.raises(SymbolicValueError):
        compile_workflow(wf)


def test_ordering_a_handle_is_a_symbolic_value_error() -> None:
    """handle < 1 raises SymbolicValueError."""

    @workflow
    def wf() -> None:
        fetch(fetch() < 1)

    with pytest.raises(SymbolicValueError):
        compile_workflow(wf)


def test_len_message_mentions_switch_or_dynamic_fork() -> None:
    """len(ref) points at switch / dynamic_fork like the other misuses."""

    @workflow
    def wf() -> None:
        fetch(len(fetch().output.items))

    with pytest.raises(SymbolicValueError) as info:
        compile_workflow(wf)
    assert "switch" in str(info.value) or "dynamic_fork" in str(info.value)


# BUG 5: an output key containing a quote is emitted as ['it\'s'] (valid Jayway JsonPath), but the
# validator's path_error does not know backslash escapes and rejects it ("unterminated quote").


def test_key_with_a_quote_compiles() -> None:
    """h.output["it's"] compiles to ${ref.output['it\\'s']}."""

    @workflow
    def wf() -> None:
        fetch(fetch().output["it's"])

    tasks = compile_workflow(wf).workflow_def["tasks"]
    assert tasks[1]["inputParameters"] == {"x": "${fetch.output['it\\'s']}"}


# BUG 6: build_graph(workflow_def) (the JSON path: imported workflows) has no data edge for a
# DO_WHILE's `items` read, while the compiled graph has one.


def test_build_graph_has_the_items_data_edge() -> None:
    """build_graph() adds a data edge from the task a loop's items read."""

    @workflow
    def wf() -> None:
        plan = fetch()
        do_while(lambda: fetch(), items=plan.output.list)

    compiled = compile_workflow(wf)
    assert compiled.graph.has_edge("fetch", "loop", key="data")
    assert build_graph(compiled.workflow_def).has_edge("fetch", "loop", key="data")


# BUG 7: `flowdsl compile` silently drops all but the first version of a workflow name: files are
# named <name>.json, so orders v2 is never written (exit 0).


def test_compile_writes_every_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two versions of one workflow name are both written (or the clash is reported)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "two_versions.py").write_text(
        textwrap.dedent("""
        import flowdsl as f

        @f.task
        def a(x: int) -> dict: ...

        @f.workflow(name="orders", version=1)
        def orders_v1(n: int):
            a(n)

        @f.workflow(name="orders", version=2)
        def orders_v2(n: int):
            a(n)
            a(n)
    """)
    )
    try:
        code = main(["compile", "two_versions.py", "-o", "out"])
    finally:
        sys.modules.pop("two_versions", None)
    written = [
        json.loads(p.read_text())
        for p in (tmp_path / "out").glob("*.json")
        if p.name != "taskdefs.json"
    ]
    assert code == 1 or sorted(w["version"] for w in written) == [1, 2]


# BUG 8: caller_location() skips every file whose path merely *starts with* the flowdsl package
# directory, e.g. /repo/flowdsl_examples/wf.py, so such user files get locations in compiler/.


def test_sibling_directory_with_flowdsl_prefix_is_user_code() -> None:
    """A user file in <repo>/flowdsl_demo/ is located at its own line."""
    import flowdsl

    fake = os.path.join(os.path.dirname(os.path.dirname(flowdsl.__file__)), "flowdsl_demo", "wf.py")
    source = "from flowdsl import task, workflow\n@workflow\ndef wf():\n    T(zz=1)\n"
    scope: dict[str, Any] = {"T": fetch}
    exec(compile(source, fake, "exec"), scope)
    (problem,) = problems_of(scope["wf"])
    assert problem.location.line == 4
    assert problem.location.file.endswith(os.path.join("flowdsl_demo", "wf.py"))


# BUG 9 (minor): OptionError from .options(start_delay=1.5) has no location (the @task one has).


def test_call_option_error_has_a_location() -> None:
    """A bad per-call option names the user's line."""
    from flowdsl import OptionError

    with pytest.raises(OptionError) as info:
        fetch.options(start_delay=1.5)  # options-line
    assert str(info.value.location) == at("options-line")


# BUG 10 (design question): start_workflow(<workflow fn>) does not compile the started workflow nor
# list it in sub_workflows/all_workflows(), although CompiledWorkflow documents sub_workflows as
# "the compiled workflows it starts by name" -- so `flowdsl compile` does not write it.


def test_start_workflow_target_is_compiled() -> None:
    """A workflow started with start_workflow(fn) is compiled with the parent."""

    @workflow
    def other() -> None:
        fetch()

    @workflow
    def parent() -> None:
        start_workflow(other, {})

    assert [w.name for w in compile_workflow(parent).all_workflows()] == ["parent", "other"]


# BUG 11 (minor): problems found while tracing (bad-call, bad-ref, unknown-output, ...) have
# workflow=None, while validator problems carry the workflow name.


def test_trace_problems_name_their_workflow() -> None:
    """A bad task call problem carries the workflow name."""

    @workflow
    def named() -> None:
        fetch(nope=1)

    (problem,) = problems_of(named)
    assert problem.workflow == "named"
