"""Validation of workflows written in Python: each rule, located at the user's file:line."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from compiler import compile_workflow
from flowdsl import (
    Problem,
    WorkflowDefinitionError,
    do_while,
    fork,
    inline,
    js,
    raw_task,
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
    """``file:line`` of the line of this file ending with the comment ``# marker``."""
    for number, text in enumerate(Path(__file__).read_text().splitlines(), 1):
        if text.rstrip().endswith(f"# {marker}"):
            return f"{here()}:{number}"
    raise AssertionError(marker)


def problems_of(fn: Any) -> list[Problem]:
    """Every error compile_workflow(fn) reports."""
    with pytest.raises(WorkflowDefinitionError) as info:
        compile_workflow(fn)
    return [p for p in info.value.problems if p.severity == "error"]


def only(fn: Any, code: str) -> Problem:
    """The one error with ``code``."""
    found = [p for p in problems_of(fn) if p.code == code]
    assert len(found) == 1, found
    return found[0]


@task
def fetch(x: Any = None) -> dict[str, Any]:
    return {}


@task
def store(x: Any = None) -> None: ...


# -- collection ---------------------------------------------------------------------------------


def test_every_problem_is_reported_at_once() -> None:
    """Two problems in one workflow are both reported, each at its own line."""

    @workflow
    def wf(k: str) -> None:
        fetch(y=1)  # first-problem
        switch(k, {})  # second-problem

    problems = problems_of(wf)
    assert [str(p.location) for p in problems] == [at("first-problem"), at("second-problem")]
    assert [p.code for p in problems] == ["bad-call", "switch-cases"]


def test_error_message_lists_every_problem() -> None:
    """The WorkflowDefinitionError text counts the problems and shows each with file:line."""

    @workflow
    def wf(k: str) -> None:
        switch(k, {})  # listed-a
        do_while(lambda: fetch())  # listed-b

    with pytest.raises(WorkflowDefinitionError) as info:
        compile_workflow(wf)
    text = str(info.value)
    assert text.startswith("workflow 'wf': 2 problems in the workflow definition:")
    assert f"{at('listed-a')}: error: task 'switch': SWITCH has no decisionCases" in text
    assert f"{at('listed-b')}: error: do_while 'loop' has no condition" in text


# -- references ---------------------------------------------------------------------------------


def test_duplicate_ref_is_reported_at_the_second_call() -> None:
    """A taskReferenceName used twice is reported at the second call, naming the first."""

    @workflow
    def wf() -> None:
        fetch.options(ref="dup")()  # dup-first
        fetch.options(ref="dup")()  # dup-second

    problem = only(wf, "duplicate-ref")
    assert str(problem.location) == at("dup-second")
    assert f"taskReferenceName 'dup' is used twice (first at {at('dup-first')})" in problem.message
    assert problem.json_path == "$.tasks[1]"


def test_duplicate_ref_nested_in_a_fork() -> None:
    """Refs must be unique across nested tasks too."""

    @workflow
    def wf() -> None:
        fetch.options(ref="dup")()
        fork(lambda: fetch.options(ref="dup")(), lambda: store())  # dup-nested

    problem = only(wf, "duplicate-ref")
    assert str(problem.location) == at("dup-nested")
    assert problem.json_path == "$.tasks[1].forkTasks[0][0]"


def test_reference_to_a_missing_task_suggests_a_close_one() -> None:
    """Reading a ref no task has is reported with a did-you-mean."""

    @workflow
    def wf() -> None:
        fetch()
        store("${fetc.output.url}")  # missing-ref

    problem = only(wf, "unknown-ref")
    assert str(problem.location) == at("missing-ref")
    assert (
        problem.message
        == "task 'store' reads '${fetc.output.url}', but no task has taskReferenceName 'fetc'"
    )
    assert problem.hint == "Did you mean 'fetch'?"
    assert problem.json_path == "$.tasks[1].inputParameters.x"


def test_reference_to_a_later_task() -> None:
    """Reading a task that runs later is reported."""

    @workflow
    def wf() -> None:
        store("${later.output}")  # reads-later
        fetch.options(ref="later")()

    problem = only(wf, "ref-order")
    assert str(problem.location) == at("reads-later")
    assert "'later' runs later in the workflow" in problem.message


def test_reference_to_another_switch_case() -> None:
    """Reading a task of another case of the same switch is reported."""
    box: list[Any] = []

    @workflow
    def wf(k: str) -> None:
        cases = {"a": lambda: box.append(fetch()), "b": lambda: store(box[0].output)}  # other-case
        switch(k, cases)

    problem = only(wf, "ref-order")
    assert str(problem.location) == at("other-case")
    assert "is in another case of the same switch, so it never runs on this path" in problem.message
    assert problem.json_path == "$.tasks[0].decisionCases.b[0].inputParameters.x"


def test_reference_to_a_sibling_fork_branch() -> None:
    """Reading a task of a sibling fork branch is reported."""
    box: list[Any] = []

    @workflow
    def wf() -> None:
        fork(lambda: box.append(fetch()), lambda: store(box[0].output))  # sibling

    problem = only(wf, "ref-order")
    assert str(problem.location) == at("sibling")
    assert "is in a sibling branch of the same fork, which may not have run yet" in problem.message


def test_allowed_references_compile() -> None:
    """Earlier tasks, enclosing containers and a loop's earlier iteration may be read."""

    @workflow
    def wf(k: str) -> None:
        first = fetch()
        do_while(
            lambda loop: (store([first.output, loop.iteration, "${fetch_2.output}"]), fetch()),
            "true",
        )
        switch(k, {"x": lambda: store("${switch.input}")})
        fork(lambda: store("${fork.input}"), lambda: store(first.output))

    assert compile_workflow(wf).workflow_def["name"] == "wf"


def test_workflow_output_reading_a_missing_task() -> None:
    """The workflow output may not read a task that does not exist."""

    @workflow
    def wf() -> dict[str, Any]:
        fetch()
        return {"x": "${nothing.output}"}

    problem = only(wf, "unknown-ref")
    assert problem.message.startswith("the workflow output reads '${nothing.output}'")
    assert problem.json_path == "$.outputParameters.x"


# -- structure ----------------------------------------------------------------------------------


def test_fork_without_join() -> None:
    """A FORK_JOIN not followed by a JOIN is reported."""

    @workflow
    def wf() -> None:
        raw_task("FORK_JOIN", ref="f", forkTasks=[[{"name": "q", "taskReferenceName": "q"}]])

    problem = only(wf, "fork-join")
    assert problem.message.startswith("FORK_JOIN 'f' is not followed by a JOIN")
    assert problem.json_path == "$.tasks[0]"


def test_join_on_missing_a_branch() -> None:
    """A JOIN whose joinOn misses a branch is reported with the task to add."""

    @workflow
    def wf() -> None:
        branches = [
            [{"name": "p", "taskReferenceName": "p"}],
            [{"name": "q", "taskReferenceName": "q"}],
        ]
        raw_task("FORK_JOIN", ref="f", forkTasks=branches)
        raw_task("JOIN", ref="j", joinOn=["p"])

    problem = only(wf, "join-on")
    assert "joinOn misses branch 1 of FORK_JOIN 'f'" in problem.message
    assert problem.hint == "Add 'q' to joinOn."
    assert problem.json_path == "$.tasks[1].joinOn"


def test_switch_without_cases() -> None:
    """A switch with no cases is reported at the switch call."""

    @workflow
    def wf(k: str) -> None:
        switch(k, {}, default=lambda: fetch())  # no-cases

    problem = only(wf, "switch-cases")
    assert str(problem.location) == at("no-cases")
    assert "SWITCH has no decisionCases" in problem.message


def test_terminate_status_must_be_literal() -> None:
    """terminate() with a status other than COMPLETED/FAILED/TERMINATED is reported."""

    @workflow
    def wf() -> None:
        terminate("DONE")

    problem = only(wf, "terminate-status")
    assert (
        "terminationStatus is 'DONE'; it must be the literal COMPLETED, FAILED or TERMINATED"
        in problem.message
    )
    assert problem.json_path == "$.tasks[0].inputParameters.terminationStatus"


def test_terminate_status_cannot_be_an_expression() -> None:
    """terminate(<reference>) is reported: the status cannot be an expression."""

    @workflow
    def wf(status: str) -> None:
        terminate(status)

    assert "'${workflow.input.status}'" in only(wf, "terminate-status").message


def test_wait_with_duration_and_until() -> None:
    """wait() with both duration and until is reported."""

    @workflow
    def wf() -> None:
        wait("1m", until="2030-01-01")

    problem = only(wf, "wait-both")
    assert "WAIT has both 'duration' and 'until'" in problem.message


def test_wait_bare_number_duration_is_invalid() -> None:
    """wait('10') is reported: a bare number is not a Conductor duration."""

    @workflow
    def wf() -> None:
        wait("10")

    problem = only(wf, "wait-duration")
    assert problem.message.endswith("WAIT duration '10' cannot be parsed")
    assert problem.json_path == "$.tasks[0].inputParameters.duration"


def test_wait_valid_durations_compile() -> None:
    """'10m20s' and '2 hours 30 minutes' are valid durations."""

    @workflow
    def wf() -> None:
        wait("10m20s")
        wait("2 hours 30 minutes")

    assert len(compile_workflow(wf).workflow_def["tasks"]) == 2


def test_wait_unparsable_until() -> None:
    """wait(until='tomorrow') is reported."""

    @workflow
    def wf() -> None:
        wait(until="tomorrow")

    assert "WAIT until 'tomorrow' cannot be parsed" in only(wf, "wait-until").message


# -- task definitions and counts ----------------------------------------------------------------


def test_response_timeout_above_timeout() -> None:
    """responseTimeoutSeconds above timeoutSeconds is reported at the @task line."""

    @task(timeout_seconds=10, response_timeout_seconds=20)  # response-above
    def slow() -> None: ...

    @workflow
    def wf() -> None:
        slow()

    problem = only(wf, "response-timeout")
    assert str(problem.location) == at("response-above")
    assert "responseTimeoutSeconds 20 is above timeoutSeconds 10" in problem.message
    assert problem.hint == "Set response_timeout_seconds to at most 10."
    assert problem.json_path == "$taskDefs[0].responseTimeoutSeconds"


def test_implicit_response_timeout_above_timeout() -> None:
    """A timeout below Conductor's default responseTimeoutSeconds (3600) is reported."""

    @task(timeout_seconds=60)  # implicit-response
    def quick() -> None: ...

    @workflow
    def wf() -> None:
        quick()

    problem = only(wf, "response-timeout")
    assert str(problem.location) == at("implicit-response")
    assert "responseTimeoutSeconds 3600 is above timeoutSeconds 60" in problem.message


def test_negative_taskdef_count() -> None:
    """A negative TaskDef count is reported at the @task line."""

    @task(retry_count=-1)  # negative-taskdef
    def flaky() -> None: ...

    @workflow
    def wf() -> None:
        flaky()

    problem = only(wf, "negative")
    assert str(problem.location) == at("negative-taskdef")
    assert problem.json_path == "$taskDefs[0].retryCount"
    assert "retryCount is -1; it must be a whole number >= 0" in problem.message


def test_negative_call_counts() -> None:
    """Negative retry_count / start_delay on a call are reported at the call line."""

    @workflow
    def wf() -> None:
        fetch.options(retry_count=-1, start_delay=-5)()  # negative-call

    problems = [p for p in problems_of(wf) if p.code == "negative"]
    assert sorted(p.json_path or "" for p in problems) == [
        "$.tasks[0].retryCount",
        "$.tasks[0].startDelay",
    ]
    assert {str(p.location) for p in problems} == {at("negative-call")}


# -- sub-workflows ------------------------------------------------------------------------------


def test_sub_workflow_that_does_not_compile() -> None:
    """A child that does not compile is reported at the call, followed by its own problems, prefixed."""

    @workflow
    def broken_child() -> None:
        fetch(nope=1)  # child-problem

    @workflow
    def parent() -> None:
        sub_workflow(broken_child)  # bad-child

    problems = problems_of(parent)
    assert problems[0].code == "bad-subworkflow"
    assert problems[0].message == "sub-workflow 'broken_child' does not compile"
    assert str(problems[0].location) == at("bad-child")
    assert problems[1].message == "in sub-workflow 'broken_child': task 'fetch' has no input 'nope'"
    assert str(problems[1].location) == at("child-problem")


# -- values -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind", "hint"),
    [
        (datetime(2020, 1, 1), "datetime.datetime", "Pass value.isoformat() (a string)"),
        ({1, 2}, "builtins.set", "Pass sorted(value) (a list)."),
        (
            object(),
            "builtins.object",
            "Pass a JSON value (str, int, float, bool, None, list or dict)",
        ),
    ],
    ids=["datetime", "set", "object"],
)
def test_non_json_input_is_reported_with_a_hint(value: Any, kind: str, hint: str) -> None:
    """An input value that is not JSON is reported at the call line with a fix."""

    @workflow
    def wf() -> None:
        store({"v": value})  # not-json

    problem = only(wf, "not-json")
    assert str(problem.location) == at("not-json")
    assert f"is a {kind}; Conductor inputs must be JSON values" in problem.message
    assert (problem.hint or "").startswith(hint)


def test_non_finite_float_is_reported() -> None:
    """NaN is not a JSON value."""

    @workflow
    def wf() -> None:
        store(float("nan"))

    assert "is not a finite number" in only(wf, "not-json").message


# -- JavaScript ---------------------------------------------------------------------------------


def test_switch_javascript_syntax_error() -> None:
    """A SWITCH js() expression that does not parse is reported at the switch call."""

    @workflow
    def wf(x: int) -> None:
        switch(js("$.x >", x=x), {"a": lambda: fetch()})  # bad-switch-js

    problem = only(wf, "javascript")
    assert str(problem.location) == at("bad-switch-js")
    assert "SWITCH expression is not valid JavaScript: SyntaxError" in problem.message
    assert problem.json_path == "$.tasks[0].expression"


def test_do_while_javascript_syntax_error() -> None:
    """A DO_WHILE condition that does not parse is reported at the do_while call."""

    @workflow
    def wf() -> None:
        do_while(lambda: fetch(), "$.fetch['more'] ===")  # bad-loop-js

    problem = only(wf, "javascript")
    assert str(problem.location) == at("bad-loop-js")
    assert "DO_WHILE loopCondition is not valid JavaScript" in problem.message


def test_inline_javascript_syntax_error() -> None:
    """An INLINE expression that does not parse is reported."""

    @workflow
    def wf() -> None:
        inline("(function() { return 1 ")

    problem = only(wf, "javascript")
    assert "INLINE expression is not valid JavaScript" in problem.message
    assert problem.json_path == "$.tasks[0].inputParameters.expression"


def test_valid_javascript_compiles() -> None:
    """Valid expressions in switch, do_while and inline compile."""

    @workflow
    def wf(x: int) -> None:
        switch(js("(function(){ return $.x > 1 ? 'a' : 'b'; })()", x=x), {"a": lambda: fetch()})
        do_while(lambda: store(), "$.loop['iteration'] < 3 && $.store != null")
        inline("$.v.map(function (e) { return e * 2; })", v=[1])

    assert len(compile_workflow(wf).workflow_def["tasks"]) == 3
