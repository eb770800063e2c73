"""Validation of hand-written Conductor JSON: each rule, located by JSON path."""

from __future__ import annotations

from typing import Any

import pytest

from compiler import validate_task_defs, validate_workflow_def
from flowdsl import Problem


def t(
    ref: str, type_: str = "SIMPLE", inputs: dict[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    """A WorkflowTask named like its ref."""
    return {
        "name": ref,
        "taskReferenceName": ref,
        "type": type_,
        "inputParameters": inputs or {},
        **fields,
    }


def wf(*tasks: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"name": "w", "version": 1, "schemaVersion": 2, "tasks": list(tasks), **fields}


def errors(definition: Any) -> list[Problem]:
    return [p for p in validate_workflow_def(definition) if p.severity == "error"]


def only(definition: Any, code: str) -> Problem:
    found = [p for p in errors(definition) if p.code == code]
    assert len(found) == 1, found
    return found[0]


def test_valid_definition_has_no_problems() -> None:
    """A well-formed definition with every container kind validates clean."""
    definition = wf(
        t("a"),
        t("f", "FORK_JOIN", forkTasks=[[t("b", inputs={"x": "${a.output}"})], [t("c")]]),
        t("j", "JOIN", joinOn=["b", "c"]),
        t(
            "s",
            "SWITCH",
            {"v": "${j.output}"},
            evaluatorType="value-param",
            expression="v",
            decisionCases={"x": [t("d")]},
        ),
        t(
            "l",
            "DO_WHILE",
            loopCondition="$.l['iteration'] < 2",
            loopOver=[t("e", inputs={"i": "${l.output.iteration}"})],
        ),
        outputParameters={"r": "${e.output}"},
    )
    assert validate_workflow_def(definition) == []


def test_problems_have_json_paths_and_no_location() -> None:
    """Problems in plain JSON carry a JSON path and the workflow name but no source location."""
    problem = only(wf(t("a", inputs={"x": "${zz.output}"})), "unknown-ref")
    assert problem.location is None
    assert problem.workflow == "w"
    assert problem.where == "$.tasks[0].inputParameters.x"


def test_every_problem_is_collected() -> None:
    """Two problems give two entries, in document order."""
    definition = wf(
        t("a"),
        t("a"),
        t("s", "SWITCH", evaluatorType="value-param", expression="x", decisionCases={}),
    )
    assert [(p.code, p.json_path) for p in errors(definition)] == [
        ("duplicate-ref", "$.tasks[1]"),
        ("switch-cases", "$.tasks[2]"),
    ]


def test_not_an_object() -> None:
    """A WorkflowDef that is not an object is one shape problem at the root."""
    (problem,) = validate_workflow_def([1, 2])
    assert (problem.code, problem.json_path) == ("shape", "$")


def test_missing_name_and_tasks() -> None:
    """A definition without name or tasks is reported at those fields."""
    problems = errors({"tasks": []})
    assert [(p.code, p.json_path) for p in problems] == [
        ("workflow-name", "$.name"),
        ("workflow-tasks", "$.tasks"),
    ]


def test_schema_version_must_be_2() -> None:
    """schemaVersion other than 2 is reported."""
    assert only(wf(t("a"), schemaVersion=1), "schema-version").json_path == "$.schemaVersion"


def test_duplicate_ref() -> None:
    """A repeated taskReferenceName is reported at the second task, naming the first."""
    problem = only(wf(t("a"), t("a")), "duplicate-ref")
    assert problem.json_path == "$.tasks[1]"
    assert "taskReferenceName 'a' is used twice (first at $.tasks[0])" in problem.message


def test_duplicate_ref_nested() -> None:
    """Refs nested in a loop count for uniqueness."""
    definition = wf(t("a"), t("l", "DO_WHILE", loopCondition="true", loopOver=[t("a")]))
    assert only(definition, "duplicate-ref").json_path == "$.tasks[1].loopOver[0]"


def test_unknown_ref_suggests_a_close_one() -> None:
    """Reading a ref that no task has is reported with a did-you-mean."""
    problem = only(wf(t("fetch"), t("b", inputs={"x": "${fetc.output}"})), "unknown-ref")
    assert problem.json_path == "$.tasks[1].inputParameters.x"
    assert (
        problem.message
        == "task 'b' reads '${fetc.output}', but no task has taskReferenceName 'fetc'"
    )
    assert problem.hint == "Did you mean 'fetch'?"


def test_unknown_ref_in_nested_input() -> None:
    """References inside nested maps and lists are checked, with the full path."""
    problem = only(wf(t("a", inputs={"m": {"l": [1, "${nope.output}"]}})), "unknown-ref")
    assert problem.json_path == "$.tasks[0].inputParameters.m.l[1]"


def test_unknown_ref_in_output_parameters() -> None:
    """The workflow's outputParameters are checked too."""
    problem = only(wf(t("a"), outputParameters={"r": "${b.output}"}), "unknown-ref")
    assert problem.json_path == "$.outputParameters.r"


def test_uppercase_unknown_ref_is_an_env_warning() -> None:
    """An upper-case name may be a server environment variable: a warning, not an error."""
    (problem,) = validate_workflow_def(wf(t("a", inputs={"x": "${HOME}"})))
    assert (problem.code, problem.severity) == ("env-ref", "warning")


def test_workflow_and_system_names_are_not_task_refs() -> None:
    """${workflow.*} and ${CPEWF_TASK_ID} are not reported."""
    definition = wf(t("a", inputs={"x": "${workflow.input.x}", "id": "${CPEWF_TASK_ID}"}))
    assert validate_workflow_def(definition) == []


def test_reference_to_a_later_task() -> None:
    """Reading a task that runs later is reported."""
    problem = only(wf(t("a", inputs={"x": "${b.output}"}), t("b")), "ref-order")
    assert problem.json_path == "$.tasks[0].inputParameters.x"
    assert "'b' runs later in the workflow" in problem.message


def test_reference_to_another_switch_case() -> None:
    """Reading a task of another case of the same switch is reported."""
    switch = t(
        "s",
        "SWITCH",
        evaluatorType="value-param",
        expression="v",
        decisionCases={"a": [t("a")], "b": [t("b", inputs={"x": "${a.output}"})]},
    )
    problem = only(wf(switch), "ref-order")
    assert problem.json_path == "$.tasks[0].decisionCases.b[0].inputParameters.x"
    assert "in another case of the same switch" in problem.message


def test_reference_from_default_case_to_a_case() -> None:
    """The default case cannot read a task of a named case."""
    switch = t(
        "s",
        "SWITCH",
        evaluatorType="value-param",
        expression="v",
        decisionCases={"a": [t("a")]},
        defaultCase=[t("d", inputs={"x": "${a.output}"})],
    )
    assert only(wf(switch), "ref-order").json_path == "$.tasks[0].defaultCase[0].inputParameters.x"


def test_reference_to_a_sibling_fork_branch() -> None:
    """Reading a task of a sibling fork branch is reported."""
    definition = wf(
        t("f", "FORK_JOIN", forkTasks=[[t("a")], [t("b", inputs={"x": "${a.output}"})]]),
        t("j", "JOIN", joinOn=["a", "b"]),
    )
    problem = only(definition, "ref-order")
    assert problem.json_path == "$.tasks[0].forkTasks[1][0].inputParameters.x"
    assert "sibling branch of the same fork" in problem.message


def test_reference_to_itself() -> None:
    """A task reading its own output is reported."""
    problem = only(wf(t("a", inputs={"x": "${a.output}"})), "ref-order")
    assert "is this task itself" in problem.message


def test_allowed_references() -> None:
    """Earlier tasks, enclosing containers and a loop's earlier iteration may be read."""
    definition = wf(
        t("first"),
        t(
            "l",
            "DO_WHILE",
            loopCondition="true",
            loopOver=[
                t("a", inputs={"p": "${first.output}", "c": "${l.output}", "n": "${b.output}"}),
                t("b"),
            ],
        ),
        t(
            "f",
            "FORK_JOIN",
            forkTasks=[[t("c", inputs={"x": "${f.input}"})], [t("d", inputs={"x": "${a.output}"})]],
        ),
        t("j", "JOIN", joinOn=["c", "d"]),
        t("after", inputs={"x": "${c.output}", "y": "${j.output}"}),
    )
    assert validate_workflow_def(definition) == []


def test_bad_expression_syntax() -> None:
    """An expression with unbalanced brackets is reported."""
    problem = only(wf(t("a"), t("b", inputs={"x": "${a.output[0}"})), "bad-expression")
    assert problem.json_path == "$.tasks[1].inputParameters.x"
    assert "has a '[' without a matching ']'" in problem.message


def test_fork_without_join() -> None:
    """A FORK_JOIN not followed by a JOIN is reported at the FORK_JOIN."""
    problem = only(wf(t("f", "FORK_JOIN", forkTasks=[[t("a")]]), t("b")), "fork-join")
    assert problem.json_path == "$.tasks[0]"
    assert problem.message.startswith("FORK_JOIN 'f' is not followed by a JOIN")


def test_fork_at_the_end_without_join() -> None:
    """A FORK_JOIN that ends the list is reported."""
    assert (
        only(wf(t("f", "FORK_JOIN", forkTasks=[[t("a")]])), "fork-join").json_path == "$.tasks[0]"
    )


def test_dynamic_fork_without_join() -> None:
    """A FORK_JOIN_DYNAMIC must be followed by a JOIN too."""
    definition = wf(t("d", "FORK_JOIN_DYNAMIC", {"forkTaskName": "x", "forkTaskInputs": []}))
    assert (
        "FORK_JOIN_DYNAMIC 'd' is not followed by a JOIN" in only(definition, "fork-join").message
    )


def test_join_on_missing_a_branch() -> None:
    """joinOn missing a branch is reported at joinOn with the task to add."""
    definition = wf(
        t("f", "FORK_JOIN", forkTasks=[[t("a")], [t("b"), t("c")]]), t("j", "JOIN", joinOn=["a"])
    )
    problem = only(definition, "join-on")
    assert problem.json_path == "$.tasks[1].joinOn"
    assert problem.hint == "Add 'c' to joinOn."


def test_empty_fork() -> None:
    """A FORK_JOIN without branches, or with an empty branch, is reported."""
    assert (
        only(
            wf(t("f", "FORK_JOIN", forkTasks=[]), t("j", "JOIN", joinOn=[])), "fork-branches"
        ).json_path
        == "$.tasks[0]"
    )
    empty_branch = wf(t("f", "FORK_JOIN", forkTasks=[[t("a")], []]), t("j", "JOIN", joinOn=["a"]))
    assert only(empty_branch, "fork-branches").json_path == "$.tasks[0].forkTasks[1]"


def test_switch_without_cases() -> None:
    """A SWITCH with no decisionCases is reported."""
    definition = wf(
        t(
            "s",
            "SWITCH",
            evaluatorType="value-param",
            expression="x",
            decisionCases={},
            defaultCase=[t("a")],
        )
    )
    problem = only(definition, "switch-cases")
    assert problem.json_path == "$.tasks[0]"
    assert problem.message == "task 's': SWITCH has no decisionCases"


def test_switch_unknown_evaluator() -> None:
    """An unknown evaluatorType is reported at that field."""
    definition = wf(
        t("s", "SWITCH", evaluatorType="lua", expression="x", decisionCases={"a": [t("a")]})
    )
    assert only(definition, "switch-evaluator").json_path == "$.tasks[0].evaluatorType"


@pytest.mark.parametrize("status", ["DONE", "${workflow.input.s}", None, "completed"])
def test_terminate_status_must_be_a_literal(status: Any) -> None:
    """terminationStatus must be literally COMPLETED, FAILED or TERMINATED."""
    inputs = {} if status is None else {"terminationStatus": status}
    problem = only(wf(t("x", "TERMINATE", inputs)), "terminate-status")
    assert problem.json_path == "$.tasks[0].inputParameters.terminationStatus"


@pytest.mark.parametrize("status", ["COMPLETED", "FAILED", "TERMINATED"])
def test_terminate_valid_statuses(status: str) -> None:
    """The three literal statuses are accepted."""
    assert validate_workflow_def(wf(t("x", "TERMINATE", {"terminationStatus": status}))) == []


def test_terminate_cannot_be_optional() -> None:
    """An optional TERMINATE is reported."""
    definition = wf(t("x", "TERMINATE", {"terminationStatus": "FAILED"}, optional=True))
    assert only(definition, "terminate-optional").json_path == "$.tasks[0].optional"


def test_wait_with_duration_and_until() -> None:
    """A WAIT with both duration and until is reported at its inputs."""
    definition = wf(t("w", "WAIT", {"duration": "1m", "until": "2030-01-01"}))
    assert only(definition, "wait-both").json_path == "$.tasks[0].inputParameters"


@pytest.mark.parametrize("duration", ["10", "ten minutes", "5 weeks", "m10"])
def test_wait_invalid_durations(duration: str) -> None:
    """Unparsable durations (a bare number included) are reported at the duration."""
    problem = only(wf(t("w", "WAIT", {"duration": duration})), "wait-duration")
    assert problem.json_path == "$.tasks[0].inputParameters.duration"


@pytest.mark.parametrize(
    "duration", ["10m20s", "2 hours 30 minutes", "1d", "30s", "1 day 2h", "${workflow.input.d}"]
)
def test_wait_valid_durations(duration: str) -> None:
    """Conductor's duration grammar (and expressions) are accepted."""
    assert validate_workflow_def(wf(t("w", "WAIT", {"duration": duration}))) == []


@pytest.mark.parametrize("until", ["tomorrow", "2030-13-45", "01/02/2030", "2030-01-02T10:00"])
def test_wait_invalid_until(until: str) -> None:
    """Unparsable until values are reported at until."""
    problem = only(wf(t("w", "WAIT", {"until": until})), "wait-until")
    assert problem.json_path == "$.tasks[0].inputParameters.until"


@pytest.mark.parametrize(
    "until",
    ["2030-01-02", "2030-01-02 10:00", "2030-01-02 10:00 UTC", "2030-01-02 10:00 GMT+04:00"],
)
def test_wait_valid_until(until: str) -> None:
    """Conductor's until formats are accepted."""
    assert validate_workflow_def(wf(t("w", "WAIT", {"until": until}))) == []


@pytest.mark.parametrize("field", ["retryCount", "startDelay"])
def test_negative_task_counts(field: str) -> None:
    """Negative retryCount / startDelay on a WorkflowTask are reported at the field."""
    problem = only(wf(t("a", **{field: -1})), "negative")
    assert problem.json_path == f"$.tasks[0].{field}"


def test_event_needs_a_sink() -> None:
    """An EVENT without sink is reported."""
    assert only(wf(t("e", "EVENT")), "event-sink").json_path == "$.tasks[0]"


def test_do_while_needs_condition_and_body() -> None:
    """A DO_WHILE without loopCondition or with an empty loopOver is reported."""
    problems = errors(wf(t("l", "DO_WHILE", loopOver=[])))
    assert [p.code for p in problems] == ["loop-condition", "loop-body"]


def test_sub_workflow_needs_param() -> None:
    """A SUB_WORKFLOW without subWorkflowParam is reported."""
    assert only(wf(t("s", "SUB_WORKFLOW")), "subworkflow-param").json_path == "$.tasks[0]"


def test_inline_sub_workflow_is_validated_with_its_path() -> None:
    """An embedded workflowDefinition is validated, with paths below it."""
    child = wf(t("x", "TERMINATE", {"terminationStatus": "NOPE"}))
    definition = wf(
        t("s", "SUB_WORKFLOW", subWorkflowParam={"name": "c", "workflowDefinition": child})
    )
    problem = only(definition, "terminate-status")
    assert (
        problem.json_path
        == "$.tasks[0].subWorkflowParam.workflowDefinition.tasks[0].inputParameters.terminationStatus"
    )


@pytest.mark.parametrize(
    ("task", "path"),
    [
        (
            t(
                "s",
                "SWITCH",
                {"x": 1},
                evaluatorType="javascript",
                expression="$.x >",
                decisionCases={"a": [t("a")]},
            ),
            "$.tasks[0].expression",
        ),
        (t("l", "DO_WHILE", loopCondition="if (", loopOver=[t("b")]), "$.tasks[0].loopCondition"),
        (
            t("i", "INLINE", {"evaluatorType": "javascript", "expression": "return ("}),
            "$.tasks[0].inputParameters.expression",
        ),
    ],
    ids=["switch", "do_while", "inline"],
)
def test_javascript_syntax_errors(task: dict[str, Any], path: str) -> None:
    """JavaScript that does not parse is reported at the expression."""
    problem = only(wf(task), "javascript")
    assert problem.json_path == path
    assert "is not valid JavaScript: SyntaxError" in problem.message


def test_value_param_expression_is_not_parsed_as_javascript() -> None:
    """A value-param SWITCH expression is a key name, not JavaScript."""
    definition = wf(
        t(
            "s",
            "SWITCH",
            {"k": 1},
            evaluatorType="value-param",
            expression="k k (",
            decisionCases={"a": [t("a")]},
        )
    )
    assert validate_workflow_def(definition) == []


# -- task definitions ---------------------------------------------------------------------------


def test_taskdef_response_timeout_above_timeout() -> None:
    """responseTimeoutSeconds above timeoutSeconds is reported at responseTimeoutSeconds."""
    (problem,) = validate_task_defs(
        [{"name": "t", "timeoutSeconds": 10, "responseTimeoutSeconds": 20}]
    )
    assert problem.json_path == "$[0].responseTimeoutSeconds"
    assert "responseTimeoutSeconds 20 is above timeoutSeconds 10" in problem.message


def test_taskdef_implicit_response_timeout() -> None:
    """Without responseTimeoutSeconds, Conductor's default 3600 applies and is reported."""
    (problem,) = validate_task_defs([{"name": "t", "timeoutSeconds": 60}])
    assert problem.json_path == "$[0].responseTimeoutSeconds"
    assert (
        "responseTimeoutSeconds 3600 (Conductor's default) is above timeoutSeconds 60"
        in problem.message
    )


def test_taskdef_equal_timeouts_are_allowed() -> None:
    """responseTimeoutSeconds equal to timeoutSeconds is accepted."""
    assert (
        validate_task_defs([{"name": "t", "timeoutSeconds": 30, "responseTimeoutSeconds": 30}])
        == []
    )


def test_taskdef_negative_counts() -> None:
    """Negative TaskDef counts are reported at each field."""
    problems = validate_task_defs([{"name": "t", "retryCount": -1, "retryDelaySeconds": -2}])
    assert [p.json_path for p in problems] == ["$[0].retryCount", "$[0].retryDelaySeconds"]


def test_taskdef_enum_and_name() -> None:
    """An unknown retryLogic and a missing name are reported."""
    problems = validate_task_defs([{"name": "t", "retryLogic": "SOMETIMES"}, {"retryCount": 1}])
    assert [(p.code, p.json_path) for p in problems] == [
        ("enum", "$[0].retryLogic"),
        ("taskdef-name", "$[1]"),
    ]


def test_taskdef_path_prefix() -> None:
    """path= prefixes the reported JSON paths."""
    (problem,) = validate_task_defs([{"name": "t", "retryCount": -1}], path="$.taskDefinitions")
    assert problem.json_path == "$.taskDefinitions[0].retryCount"
