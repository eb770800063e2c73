"""``flowdsl import``: Conductor JSON -> flowdsl Python, one test per construct.

Every case checks two things: the generated code is what a person would write (the idiomatic
call is in it), and it compiles back to the same definition (``round_trip``).
"""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.codegen import generate_module, normalise_workflow_def, round_trip, upgrade_legacy
from compiler.codegen.pyexpr import identifier, py_string
from compiler.codegen.roundtrip import load_generated


def wf(*tasks: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": "imported",
        "version": 1,
        "tasks": list(tasks),
        "inputParameters": ["customer", "amount"],
        "schemaVersion": 2,
        **extra,
    }


def simple(ref: str, name: str = "charge", **inputs: Any) -> dict[str, Any]:
    return {"name": name, "taskReferenceName": ref, "type": "SIMPLE", "inputParameters": inputs}


def source_of(*workflows: dict[str, Any], task_defs: Any = ()) -> str:
    return generate_module(list(workflows), list(task_defs), "test.json").source


def assert_round_trips(*workflows: dict[str, Any], task_defs: Any = ()) -> str:
    results = round_trip(list(workflows), list(task_defs))
    for result in results:
        assert result.ok and not result.rejected, (result.error, result.diff)
    return source_of(*workflows, task_defs=task_defs)


# --- worker tasks and references -------------------------------------------------------


def test_simple_tasks_become_task_functions_and_references_become_handles() -> None:
    source = assert_round_trips(
        wf(
            simple("charge_ref", customer="${workflow.input.customer}", amount=5),
            simple("notify", name="notify", text="paid ${charge_ref.output.receipt.id}!"),
            outputParameters={"receipt": "${charge_ref.output.receipt}", "n": "${notify.output}"},
        )
    )
    assert "def charge(customer: Any, amount: Any) -> dict[str, Any]:" in source
    assert 'charge_task = charge.options(ref="charge_ref")(customer=customer, amount=5)' in source
    assert "notify_task = notify(text=f\"paid {charge_task.output['receipt']['id']}!\")" in source
    assert 'return {"receipt": charge_task.output["receipt"], "n": notify_task.output}' in source


def test_task_def_settings_become_task_options() -> None:
    task_defs = [
        {
            "name": "charge",
            "retryCount": 5,
            "retryLogic": "EXPONENTIAL_BACKOFF",
            "timeoutSeconds": 300,
            "responseTimeoutSeconds": 30,
            "ownerEmail": "pay@example.com",
            "createTime": 1700000000000,
            "somethingNew": True,
        }
    ]
    source = assert_round_trips(wf(simple("charge")), task_defs=task_defs)
    assert (
        '@task(\n    retry_count=5,\n    retry_logic="EXPONENTIAL_BACKOFF",\n    timeout_seconds=300,'
        in source
    )
    assert "left out: somethingNew" in source
    module = load_generated(source)
    from compiler import compile_workflow

    [td] = compile_workflow(module.imported).task_defs
    assert td["retryCount"] == 5 and td["timeoutSeconds"] == 300


def test_same_task_called_with_different_inputs_gets_optional_parameters() -> None:
    source = assert_round_trips(
        wf(simple("a", x=1, y=2), simple("b", x=3), simple("c", **{"z-1": 4}))
    )
    # x is missing from one call, y from two, and z-1 is no Python name
    assert "def charge(x: Any = None, y: Any = None, **inputs: Any) -> dict[str, Any]:" in source
    assert 'charge.options(ref="c")(**{"z-1": 4})' in source


def test_per_call_options() -> None:
    task = simple("c", customer=1) | {"optional": True, "startDelay": 10, "retryCount": 2}
    source = assert_round_trips(wf(task))
    assert 'charge.options(ref="c", optional=True, start_delay=10, retry_count=2)' in source


def test_workflow_references_use_helpers() -> None:
    source = assert_round_trips(
        wf(
            simple(
                "c",
                a="${workflow.input.other}",
                b="${workflow.variables.seen}",
                c="Bearer ${workflow.secrets.TOKEN}",
                d="${workflow.workflowId}",
                e="${workflow.input.customer.address[0]}",
            ),
            simple("d", f="${c.output['odd key']}", g="${c.output.ok}"),
        )
    )
    assert 'a=workflow_input("other")' in source
    assert 'b=variable("seen")' in source
    assert "c=f\"Bearer {secret('TOKEN')}\"" in source
    assert 'd=workflow_property("workflowId")' in source
    assert 'e=customer["address"][0]' in source
    assert "f=\"${c.output['odd key']}\"" in source  # not a plain path: kept as text
    assert 'g=c.output["ok"]' in source


# --- control flow ------------------------------------------------------------------------------


def test_fork_and_join() -> None:
    fork = {
        "name": "fork",
        "taskReferenceName": "fork",
        "type": "FORK_JOIN",
        "forkTasks": [[simple("jpg", n=1)], [simple("webp_1", n=2), simple("webp_2", n=3)]],
    }
    join = {
        "name": "join",
        "taskReferenceName": "join",
        "type": "JOIN",
        "joinOn": ["jpg", "webp_2"],
    }
    out = {"a": "${jpg.output.url}", "b": "${webp_2.output.url}"}
    source = assert_round_trips(wf(fork, join, outputParameters=out))
    assert "def fork_branch_2() -> Handle[dict[str, Any]]:" in source
    assert (
        'jpg, webp_2 = fork(lambda: charge.options(ref="jpg")(n=1), fork_branch_2, join_ref="join")'
        in source
    )


def test_fork_whose_join_skips_a_branch_is_raw() -> None:
    fork = {
        "name": "f",
        "taskReferenceName": "f",
        "type": "FORK_JOIN",
        "forkTasks": [[simple("a")], [simple("b")]],
    }
    join = {"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["a"]}
    [result] = round_trip([wf(fork, join)])
    # flowdsl rejects the JOIN, like `flowdsl validate` does; the code still says the same
    assert result.ok and result.rejected and "joinOn misses branch" in result.error
    source = source_of(wf(fork, join))
    assert "its JOIN does not wait for exactly the last task of every branch" in source
    assert 'raw_task("JOIN", ref="j", joinOn=["a"])' in source


def test_switch_value_param_and_default() -> None:
    switch = {
        "name": "route",
        "taskReferenceName": "route_ref",
        "type": "SWITCH",
        "evaluatorType": "value-param",
        "expression": "switchCaseValue",
        "inputParameters": {"switchCaseValue": "${workflow.input.customer}"},
        "decisionCases": {"vip": [simple("vip_charge")], "new": []},
        "defaultCase": [simple("std_charge"), simple("std_2")],
        "description": "by customer kind",
    }
    source = assert_round_trips(wf(switch))
    assert "def route_default() -> None:" in source
    assert '"vip": lambda: charge.options(ref="vip_charge")()' in source
    assert '"new": lambda: None' in source
    assert 'name="route",\n        description="by customer kind",' in source


def test_switch_javascript_and_graaljs() -> None:
    for evaluator, expected in (
        ("javascript", "js(\"$.a > 1 ? 'hi' : 'lo'\", a="),
        ("graaljs", 'evaluator="graaljs"'),
    ):
        switch = {
            "name": "s",
            "taskReferenceName": "s",
            "type": "SWITCH",
            "evaluatorType": evaluator,
            "expression": "$.a > 1 ? 'hi' : 'lo'",
            "inputParameters": {"a": "${workflow.input.amount}"},
            "decisionCases": {"hi": [simple("hi")]},
        }
        assert expected in assert_round_trips(wf(switch))


def test_do_while_with_bindings_and_evaluator() -> None:
    loop = {
        "name": "poll",
        "taskReferenceName": "poll_loop",
        "type": "DO_WHILE",
        "evaluatorType": "graaljs",
        "inputParameters": {"limit": 3},
        "loopCondition": "$.poll_loop['iteration'] < $.limit",
        "loopOver": [simple("check", name="check_status")],
    }
    source = assert_round_trips(wf(loop))
    assert "do_while(" in source and 'evaluator="graaljs", limit=3' in source
    assert 'lambda: check_status.options(ref="check")()' in source


def test_dynamic_fork_by_task_name() -> None:
    tasks = [
        simple("plan", name="plan"),
        {
            "name": "fan",
            "taskReferenceName": "fan",
            "type": "FORK_JOIN_DYNAMIC",
            "inputParameters": {"forkTaskName": "resize", "forkTaskInputs": "${plan.output.items}"},
        },
        {"name": "fan_join", "taskReferenceName": "fan_join", "type": "JOIN"},
    ]
    source = assert_round_trips(wf(*tasks, outputParameters={"all": "${fan_join.output}"}))
    assert (
        'fan_join = dynamic_fork(resize, plan_task.output["items"], ref="fan", name="fan")'
        not in source
    )
    assert 'dynamic_fork(resize, plan_task.output["items"], ref="fan")' in source
    assert "def resize(**inputs: Any) -> dict[str, Any]:" in source


def classic_fork(**params: Any) -> list[dict[str, Any]]:
    """A FORK_JOIN_DYNAMIC in the classic style (dynamicForkTasksParam) and its JOIN."""
    fork = {
        "name": "fan",
        "taskReferenceName": "fan",
        "type": "FORK_JOIN_DYNAMIC",
        "dynamicForkTasksParam": "dynamicTasks",
        "dynamicForkTasksInputParamName": "dynamicTasksInput",
        "inputParameters": {
            "dynamicTasks": "${workflow.input.customer}",
            "dynamicTasksInput": {},
        },
    }
    fork.update(params)
    return [
        fork,
        {"name": "fan_join", "taskReferenceName": "fan_join", "type": "JOIN", "joinOn": []},
    ]


def test_a_classic_dynamic_fork_becomes_dynamic_fork_tasks() -> None:
    source = assert_round_trips(wf(*classic_fork()))
    assert "raw_task" not in source
    assert 'dynamic_fork_tasks(customer, {}, ref="fan")' in source


def test_a_classic_dynamic_fork_keeps_its_own_input_names() -> None:
    tasks = classic_fork(
        dynamicForkTasksParam="forks",
        dynamicForkTasksInputParamName="forkInputs",
        inputParameters={"forks": "${plan.output.tasks}", "forkInputs": "${plan.output.inputs}"},
    )
    source = assert_round_trips(wf(simple("plan", name="plan"), *tasks))
    assert 'tasks_param="forks"' in source and 'inputs_param="forkInputs"' in source


def test_a_classic_dynamic_fork_with_other_inputs_stays_raw() -> None:
    tasks = classic_fork(
        inputParameters={
            "dynamicTasks": "${workflow.input.customer}",
            "dynamicTasksInput": {},
            "extra": 1,
        }
    )
    source = assert_round_trips(wf(*tasks))
    assert 'raw_task(\n        "FORK_JOIN_DYNAMIC"' in source
    assert "dynamicForkTasksInputParamName that it names" not in source
    assert "the dynamicForkTasksParam and dynamicForkTasksInputParamName it names" in source


def test_sub_workflow_in_file_by_name_and_inline_and_external() -> None:
    child = wf(simple("c1"), name="child", inputParameters=["customer"])
    inline_child = wf(simple("c2"), name="inline_child", version=2, inputParameters=[])
    parent = wf(
        {
            "name": "child",
            "taskReferenceName": "child_ref",
            "type": "SUB_WORKFLOW",
            "inputParameters": {"customer": "${workflow.input.customer}"},
            "subWorkflowParam": {"name": "child", "version": 1},
        },
        {
            "name": "elsewhere",
            "taskReferenceName": "elsewhere",
            "type": "SUB_WORKFLOW",
            "subWorkflowParam": {"name": "elsewhere", "version": 3},
            "optional": True,
        },
        {
            "name": "inline_child",
            "taskReferenceName": "inl",
            "type": "SUB_WORKFLOW",
            "subWorkflowParam": {
                "name": "inline_child",
                "version": 2,
                "workflowDefinition": inline_child,
            },
        },
        name="parent",
    )
    source = assert_round_trips(parent, child)
    assert 'sub_workflow(child, ref="child_ref", customer=customer)' in source
    assert 'sub_workflow(external_workflow("elsewhere", 3), optional=True)' in source
    assert 'sub_workflow(inline_child, ref="inl", inline=True)' in source
    assert "def inline_child() -> dict[str, Any]:" in source


def test_sub_workflow_whose_inputs_differ_from_the_child_is_by_name() -> None:
    child = wf(simple("c1"), name="child", inputParameters=["customer"])
    parent = wf(
        {
            "name": "child",
            "taskReferenceName": "child",
            "type": "SUB_WORKFLOW",
            "inputParameters": {"other": 1},
            "subWorkflowParam": {"name": "child", "version": 1},
        },
        name="parent",
    )
    source = assert_round_trips(parent, child)
    assert "so it is referenced by name" in source
    assert 'sub_workflow(external_workflow("child", 1), other=1)' in source


# --- system tasks ------------------------------------------------------------------------------


def system(
    kind: str, ref: str, inputs: dict[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    task = {"name": ref, "taskReferenceName": ref, "type": kind, **fields}
    if inputs is not None:
        task["inputParameters"] = inputs
    return task


SYSTEM_CASES = [
    (
        system(
            "HTTP",
            "call",
            {
                "http_request": {
                    "uri": "https://x/${workflow.input.customer}",
                    "method": "POST",
                    "body": {"a": 1},
                    "connectionTimeOut": 500,
                }
            },
        ),
        'http(f"https://x/{customer}", "POST", body={"a": 1}, connection_timeout=500, ref="call")',
    ),
    (
        system("HTTP", "flat", {"uri": "https://x", "method": "GET"}),
        "flowdsl's http() writes its request under 'http_request' only",
    ),
    (
        system("INLINE", "calc", {"evaluatorType": "graaljs", "expression": "$.a + 1", "a": 2}),
        'inline("$.a + 1", evaluator="graaljs", a=2, ref="calc")',
    ),
    (
        system("JSON_JQ_TRANSFORM", "jq", {"queryExpression": ".a", "a": [1]}),
        'jq_transform(".a", a=[1])',
    ),
    (system("WAIT", "pause", {"duration": "10 seconds"}), 'wait("10 seconds", ref="pause")'),
    (
        system("WAIT", "wait", {"until": "2030-01-01 09:00 UTC"}),
        'wait(until="2030-01-01 09:00 UTC")',
    ),
    (system("WAIT", "signal"), 'wait(ref="signal")'),
    (
        system(
            "TERMINATE",
            "stop",
            {"terminationStatus": "FAILED", "terminationReason": "no", "workflowOutput": {"x": 1}},
        ),
        'terminate("FAILED", "no", output={"x": 1}, ref="stop")',
    ),
    (
        system("SET_VARIABLE", "setv", {"seen": True, "bad-key": 1}),
        'set_variable(seen=True, **{"bad-key": 1}, ref="setv")',
    ),
    (
        system("HUMAN", "review", {"assignee": "ops"}, optional=True),
        'human(assignee="ops", ref="review", optional=True)',
    ),
    (
        system("EVENT", "emit", {"x": 1}, sink="conductor:q", asyncComplete=True),
        'event("conductor:q", x=1, ref="emit", async_complete=True)',
    ),
    (
        system(
            "START_WORKFLOW",
            "start",
            {
                "startWorkflow": {
                    "name": "audit",
                    "version": 2,
                    "input": {"c": 1},
                    "correlationId": "${workflow.workflowId}",
                }
            },
        ),
        '    start_workflow(\n        external_workflow("audit", 2),\n        {"c": 1},\n        correlation_id=workflow_property("workflowId"),\n',
    ),
    (
        system(
            "DYNAMIC",
            "dyn",
            {"taskToExecute": "${workflow.input.customer}", "x": 1},
            dynamicTaskNameParam="taskToExecute",
        ),
        'dynamic(customer, x=1, ref="dyn")',
    ),
    (system("NOOP", "noop"), "noop()"),
    (
        system("EXCLUSIVE_JOIN", "ej", joinOn=["a", "b"], defaultExclusiveJoinTask=["c"]),
        'exclusive_join(["a", "b"], default=["c"], ref="ej")',
    ),
    (
        system("LLM_CHAT_COMPLETE", "chat", {"llmProvider": "openai", "model": "gpt"}),
        'raw_task(\n        "LLM_CHAT_COMPLETE"',
    ),
    (
        system("AGENT", "agent", {"prompt": "hi"}),
        'raw_task("AGENT", input_parameters={"prompt": "hi"})',
    ),
]


@pytest.mark.parametrize(
    "task, expected", SYSTEM_CASES, ids=[c[0]["taskReferenceName"] for c in SYSTEM_CASES]
)
def test_system_task(task: dict[str, Any], expected: str) -> None:
    assert expected in assert_round_trips(wf(task))


RAW_TYPES = [
    "LLM_TEXT_COMPLETE",
    "LLM_SEARCH_INDEX",
    "LLM_INDEX_TEXT",
    "LLM_GENERATE_EMBEDDINGS",
    "CALL_MCP_TOOL",
    "LIST_MCP_TOOLS",
    "GET_AGENT_CARD",
    "CANCEL_AGENT",
    "GENERATE_PDF",
    "GENERATE_IMAGE",
    "GENERATE_VIDEO",
    "GENERATE_AUDIO",
    "YIELD",
    "SENDGRID",
    "USER_TASK",
    "TITUS",
    "JDBC",
    "HTTP_POLL",
    "PULL_WORKFLOW_MESSAGES",
    "BLOCKING_SYSTEM_TASK",
    "QUERY_PROCESSOR",
    "OPS_GENIE",
    "WAIT_FOR_WEBHOOK",
]


@pytest.mark.parametrize("kind", RAW_TYPES)
def test_task_types_without_a_function_are_raw_tasks(kind: str) -> None:
    task = system(kind, "t1", {"a": "${workflow.input.customer}"}, optional=True)
    task["taskDefinition"] = {"name": "t1", "retryCount": 0}
    source = assert_round_trips(wf(task))
    assert (
        f"# {kind} 't1' as written in the JSON: flowdsl has no function for {kind} tasks." in source
    )
    assert 'input_parameters={"a": customer}' in source and "optional=True" in source


# --- legacy forms ---------------------------------------------------------------------------


def test_decision_becomes_switch() -> None:
    decision = {
        "name": "decide",
        "taskReferenceName": "decide",
        "type": "DECISION",
        "caseValueParam": "kind",
        "inputParameters": {"kind": "${workflow.input.customer}"},
        "decisionCases": {"a": [simple("a")]},
        "defaultCase": [simple("b")],
    }
    source = assert_round_trips(wf(decision))
    assert "switch(\n        customer," in source and 'param="kind"' in source
    script = decision | {"caseExpression": "$.kind == 'x' ? 'a' : 'b'"}
    del script["caseValueParam"]
    assert "js(\"$.kind == 'x' ? 'a' : 'b'\", kind=customer)" in assert_round_trips(wf(script))


def test_decision_with_an_empty_case_and_a_default_stays_a_decision() -> None:
    decision = {
        "name": "decide",
        "taskReferenceName": "decide",
        "type": "DECISION",
        "caseValueParam": "kind",
        "inputParameters": {"kind": 1},
        "decisionCases": {"a": []},
        "defaultCase": [simple("b")],
    }
    assert upgrade_legacy(wf(decision))["tasks"][0]["type"] == "DECISION"
    assert 'raw_task(\n        "DECISION"' in assert_round_trips(wf(decision))


def test_lambda_becomes_inline_with_conductors_wrapper() -> None:
    task = {
        "name": "l",
        "taskReferenceName": "l",
        "type": "LAMBDA",
        "inputParameters": {"scriptExpression": "return $.v * 2;", "v": 3},
    }
    source = assert_round_trips(wf(task))
    assert 'inline("function scriptFun(){return $.v * 2;} scriptFun();", v=3, ref="l")' in source


def test_missing_type_schema_v1_and_server_fields() -> None:
    legacy = wf(
        {
            "name": "charge",
            "taskReferenceName": "c",
            "inputParameters": {"who": "workflow.input.customer", "lit": "plain text"},
        },
        {
            "name": "charge",
            "taskReferenceName": "d",
            "type": "SIMPLE",
            "inputParameters": {"r": "c.output.receipt"},
        },
        schemaVersion=1,
        createTime=1,
        updateTime=2,
        ownerApp="ui",
    )
    upgraded = upgrade_legacy(legacy)
    assert upgraded["schemaVersion"] == 2
    assert upgraded["tasks"][0]["type"] == "SIMPLE"
    assert upgraded["tasks"][0]["inputParameters"] == {
        "who": "${workflow.input.customer}",
        "lit": "plain text",
    }
    assert upgraded["tasks"][1]["inputParameters"] == {"r": "${c.output.receipt}"}
    source = assert_round_trips(legacy)
    assert "who=customer" in source and 'r=c.output["receipt"]' in source


def test_inline_task_definition_becomes_task_def() -> None:
    task = simple("c") | {"taskDefinition": {"name": "charge", "retryCount": 9, "createTime": 5}}
    source = assert_round_trips(wf(task))
    assert 'charge.options(ref="c", task_def=dict(retry_count=9))()' in source


def test_a_long_inline_task_definition_gets_one_option_per_line() -> None:
    task = simple("c", amount="${workflow.input.amount}") | {
        "taskDefinition": {
            "name": "charge",
            "description": "charges the card of the customer",
            "retryCount": 5,
            "retryLogic": "EXPONENTIAL_BACKOFF",
            "timeoutSeconds": 300,
            "responseTimeoutSeconds": 120,
            "inputKeys": ["amount"],
        }
    }
    source = assert_round_trips(wf(task, inputParameters=["amount"]))
    assert (
        "    charge.options(\n"
        '        ref="c",\n'
        "        task_def=dict(\n"
        '            description="charges the card of the customer",\n'
        "            retry_count=5,\n"
    ) in source
    assert '            input_keys=["amount"],\n        ),\n    )(\n' in source


def test_inline_task_definition_of_another_name_stays_raw() -> None:
    task = simple("c") | {"taskDefinition": {"name": "other", "retryCount": 9}}
    source = assert_round_trips(wf(task))
    assert "its taskDefinition is not an object named after the task" in source
    assert '"retryCount": 9' in source


def test_workflow_options_and_unknown_fields() -> None:
    definition = wf(
        simple("c"),
        description="pays",
        ownerEmail="a@b.c",
        timeoutSeconds=60,
        timeoutPolicy="ALERT_ONLY",
        failureWorkflow="cleanup",
        restartable=False,
        variables={"n": 0},
        inputTemplate={"amount": 1},
        enforceSchema=True,
        somethingElse={"kept": "no"},
    )
    results = round_trip([definition])
    assert not results[0].ok and "somethingElse" in results[0].diff
    source = source_of(definition)
    assert 'timeout_policy="ALERT_ONLY"' in source and 'failure_workflow="cleanup"' in source
    assert "restartable=False" in source and "enforce_schema=True" in source
    assert "# Not carried over (no @workflow option): somethingElse." in source
    del definition["somethingElse"]
    assert_round_trips(definition)


# --- names, values, determinism ------------------------------------------------------------------


def test_names_avoid_keywords_and_collisions() -> None:
    definition = wf(
        simple("class_ref", name="class"),
        simple("fork", name="fork"),
        simple("x", name="charge", a="${class_ref.output.v}", b="${fork.output.v}"),
        inputParameters=["task", "workflow"],
    )
    source = assert_round_trips(definition)
    assert "from flowdsl import task as task_" in source
    assert "def class_(" in source
    ast.parse(source)


def test_generation_is_deterministic_and_does_not_change_the_input() -> None:
    definition = wf(simple("c", x="${workflow.input.customer}"))
    before = copy.deepcopy(definition)
    assert source_of(definition) == source_of(copy.deepcopy(definition))
    assert definition == before


@given(st.text())
def test_py_string_is_a_literal_of_the_same_text(text: str) -> None:
    assert ast.literal_eval(py_string(text)) == text


@given(st.text(min_size=1))
def test_identifier_is_a_usable_name(text: str) -> None:
    name = identifier(text)
    assert (name.isidentifier() and not name.startswith("_")) or name.startswith("value")


def test_normal_form_ignores_defaults_and_order() -> None:
    a = wf(simple("c") | {"optional": False, "startDelay": 0, "asyncComplete": False})
    b = json.loads(json.dumps(wf(simple("c")), sort_keys=True)) | {
        "restartable": True,
        "timeoutSeconds": 0,
    }
    assert normalise_workflow_def(a) == normalise_workflow_def(b)
    assert normalise_workflow_def(a) != normalise_workflow_def(wf(simple("d")))


# --- the examples --------------------------------------------------------------------------------


def _example_workflows() -> list[Any]:
    import importlib
    import pkgutil

    import examples
    from flowdsl import WorkflowFunction

    found = []
    for info in pkgutil.iter_modules(examples.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"examples.{info.name}")
        for value in vars(module).values():
            if isinstance(value, WorkflowFunction) and value.fn.__module__ == module.__name__:
                found.append(value)
    return found


@pytest.mark.parametrize("fn", _example_workflows(), ids=lambda fn: fn.name)
def test_examples_round_trip(fn: Any) -> None:
    """Example -> compile -> JSON -> import -> compile -> the same JSON and TaskDefs."""
    from compiler import compile_workflow

    compiled = compile_workflow(fn)
    workflows = [w.workflow_def for w in compiled.all_workflows()]
    task_defs = compiled.all_task_defs()
    assert_round_trips(*workflows, task_defs=task_defs)
    generated = generate_module(workflows, task_defs)
    module = load_generated(generated.source)
    by_name: dict[str, Any] = {}
    for _, _, name in generated.functions:
        for td in compile_workflow(getattr(module, name)).all_task_defs():
            by_name.setdefault(td["name"], td)
    assert by_name == {td["name"]: td for td in task_defs}


# --- errors ----------------------------------------------------------------------------------------


def run_import(tmp_path: Path, text: str, *extra: str) -> tuple[int, str, str]:
    import contextlib
    import io

    from compiler.cli import main

    path = tmp_path / "in.json"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["import", str(path), *extra])
    return code, out.getvalue(), err.getvalue()


def test_cli_writes_the_module(tmp_path: Path) -> None:
    target = tmp_path / "pkg" / "flows.py"
    code, out, _ = run_import(tmp_path, json.dumps(wf(simple("c"))), "-o", str(target))
    assert code == 0 and f"wrote {target} (workflows: imported)" in out
    assert "def imported(customer: Any, amount: Any)" in target.read_text(encoding="utf-8")


def test_cli_prints_to_stdout_and_accepts_a_bom(tmp_path: Path) -> None:
    code, out, _ = run_import(tmp_path, "\ufeff" + json.dumps({"workflowDef": wf(simple("c"))}))
    assert code == 0 and out.startswith('"""Workflows imported from in.json')


@pytest.mark.parametrize(
    "text, expected",
    [
        ("{", "in.json:1:2: not valid JSON"),
        ("[1]", "in.json: $[0]: expected a WorkflowDef"),
        ('{"name": "x", "tasks": {}}', "in.json: $.tasks: expected 'tasks' to be a list"),
        ('[{"name": "t", "retryCount": 1}]', "in.json: $: expected at least one WorkflowDef"),
        (
            json.dumps(wf({"name": "a", "type": "SIMPLE"})),
            "in.json: $.tasks[0]: expected a task with a string 'taskReferenceName'",
        ),
        (
            json.dumps(
                wf({"name": "f", "taskReferenceName": "f", "type": "FORK_JOIN", "forkTasks": [{}]})
            ),
            "in.json: $.tasks[0].forkTasks[0]: expected a list of tasks",
        ),
        (
            json.dumps(wf(simple("c"), inputParameters=["class"])),
            "input parameter 'class' cannot be",
        ),
    ],
)
def test_cli_errors_name_file_path_and_expectation(
    tmp_path: Path, text: str, expected: str
) -> None:
    code, out, err = run_import(tmp_path, text)
    assert code == 1 and out == ""
    assert expected in err, err
    assert "Traceback" not in err


def test_cli_usage_errors(tmp_path: Path) -> None:
    from compiler.cli import main

    assert main(["import", str(tmp_path / "missing.json")]) == 2
    with pytest.raises(SystemExit) as info:
        main(["import"])
    assert info.value.code == 2


def test_cli_warns_about_an_invalid_definition_but_writes_it(tmp_path: Path) -> None:
    bad = wf(simple("c", x="${nobody.output.x}"))
    code, out, err = run_import(tmp_path, json.dumps(bad))
    assert code == 0 and "def imported(" in out
    assert "no task has taskReferenceName 'nobody'" in err


def test_docs_import_example_is_the_real_output() -> None:
    """docs/import.md shows orders.json and exactly what `flowdsl import` writes for it."""
    import re

    from compiler.loader import classify

    text = (Path(__file__).resolve().parents[2] / "docs" / "import.md").read_text(encoding="utf-8")
    doc_json = re.search(r"^```json\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    doc_python = re.search(r"writes:\n\n```python\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    assert doc_json and doc_python
    loaded = classify(json.loads(doc_json.group(1)), "orders.json")
    generated = generate_module(
        [w.definition for w in loaded.workflows], list(loaded.task_defs), "order.json"
    )
    assert doc_python.group(1) == generated.source
    for result in round_trip([w.definition for w in loaded.workflows], list(loaded.task_defs)):
        assert result.ok and not result.rejected


def test_cli_takes_task_definitions_from_another_file(tmp_path: Path) -> None:
    from compiler.cli import main

    flows, defs = tmp_path / "flows.json", tmp_path / "taskdefs.json"
    flows.write_text(json.dumps(wf(simple("c"))), encoding="utf-8")
    defs.write_text(json.dumps([{"name": "charge", "retryCount": 9}]), encoding="utf-8")
    target = tmp_path / "flows.py"
    assert main(["import", str(flows), str(defs), "-o", str(target)]) == 0
    text = target.read_text(encoding="utf-8")
    assert "@task(retry_count=9)" in text and "imported from flows.json, taskdefs.json" in text


def test_examples_through_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """flowdsl compile examples -> flowdsl import the JSON -> flowdsl compile the module: the same
    WorkflowDefs and TaskDefs, file by file."""
    from compiler.cli import main

    root = Path(__file__).resolve().parents[2]
    for example in sorted((root / "examples").glob("[!_]*.py")):
        first, second = tmp_path / example.stem / "a", tmp_path / example.stem / "b"
        assert main(["compile", str(example), "-o", str(first)]) == 0
        module = tmp_path / example.stem / "imported.py"
        files = sorted(str(p) for p in first.glob("*.json"))
        assert main(["import", *files, "-o", str(module)]) == 0
        assert main(["compile", str(module), "-o", str(second)]) == 0
        for original in first.glob("*.json"):
            again = json.loads((second / original.name).read_text(encoding="utf-8"))
            before = json.loads(original.read_text(encoding="utf-8"))
            if original.name == "taskdefs.json":
                assert sorted(again, key=lambda td: td["name"]) == sorted(
                    before, key=lambda td: td["name"]
                )
            else:
                assert normalise_workflow_def(again) == normalise_workflow_def(before)
    capsys.readouterr()


# --- random definitions ------------------------------------------------------------------------

_KEYS = st.sampled_from(["a", "b", "c-d", "from", "x1"])


@st.composite
def _tasks(draw: st.DrawFn, refs: list[str], depth: int = 0) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 3))):
        n = len(refs)
        ref = draw(st.sampled_from([f"t{n}", f"t{n}_ref", f"Task{n}Ref", f"shared_{n}", "fork"]))
        ref = ref if ref not in refs else f"t{n}"
        refs.append(ref)
        kinds = ["SIMPLE", "INLINE", "SET_VARIABLE", "WAIT"]
        if depth < 2:
            kinds += ["SWITCH", "FORK_JOIN", "DO_WHILE"]
        kind = draw(st.sampled_from(kinds))
        value = draw(
            st.sampled_from(
                [
                    "${workflow.input.customer}",
                    "lit",
                    3,
                    "x ${workflow.input.amount} y",
                    *[f"${{{r}.output.v}}" for r in refs[:-1]][-2:],
                ]
            )
        )
        name = draw(st.sampled_from([ref, f"{ref}_name", "shared"]))
        if kind == "SIMPLE":
            out.append(simple(ref, name=name, **{draw(_KEYS): value}))
        elif kind == "INLINE":
            params = {"evaluatorType": "javascript", "expression": "$.v", "v": value}
            out.append(system("INLINE", ref, params))
        elif kind == "SET_VARIABLE":
            out.append(system("SET_VARIABLE", ref, {draw(_KEYS): value}))
        elif kind == "WAIT":
            out.append(system("WAIT", ref, {"duration": "1s"}))
        elif kind == "SWITCH":
            cases = {"k": draw(_tasks(refs, depth + 1)), "j": draw(_tasks(refs, depth + 1))}
            out.append(
                system(
                    "SWITCH",
                    ref,
                    {"switchCaseValue": value},
                    name=name,
                    evaluatorType="value-param",
                    expression="switchCaseValue",
                    decisionCases=cases,
                    defaultCase=draw(st.sampled_from([[], *[draw(_tasks(refs, depth + 1))]])),
                )
            )
        elif kind == "FORK_JOIN":
            branches = [draw(_tasks(refs, depth + 1)) for _ in range(draw(st.integers(1, 3)))]
            out.append(system("FORK_JOIN", ref, forkTasks=branches, name=name))
            join = f"{ref}_join"
            last = [b[-1]["taskReferenceName"] for b in branches]
            out.append(system("JOIN", join, joinOn=last))
        else:
            body = draw(_tasks(refs, depth + 1))
            cond = f"$.{ref}['iteration'] < 2"
            out.append(system("DO_WHILE", ref, loopCondition=cond, loopOver=body, name=name))
    return out


@settings(deadline=None, max_examples=150)
@given(st.data())
def test_random_definitions_round_trip(data: st.DataObject) -> None:
    """Any mix of worker tasks, system tasks, switches, forks and loops comes back the same."""
    tasks = data.draw(_tasks([]))
    definition = wf(*tasks, outputParameters={"out": "${t0.output}"})
    [result] = round_trip([definition])
    assert result.ok, (result.diff, result.error)
    ast.parse(source_of(definition))
