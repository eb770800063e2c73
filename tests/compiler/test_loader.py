"""Unit tests for compiler.loader on small inline documents."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.loader import (
    KINDS,
    FoundWorkflow,
    LoadedFile,
    LoadError,
    classify,
    load_file,
    load_json_text,
)

F = "defs.json"


def wf(name: str = "wf", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "version": 1,
        "tasks": [{"name": "t1", "taskReferenceName": "t1_ref", "type": "SIMPLE"}],
        **extra,
    }


def td(name: str = "t1", **extra: Any) -> dict[str, Any]:
    return {"name": name, "retryCount": 3, "timeoutSeconds": 60, **extra}


def paths(loaded: LoadedFile) -> list[str]:
    return [found.json_path for found in loaded.workflows]


def load_error(doc: Any) -> LoadError:
    with pytest.raises(LoadError) as info:
        classify(doc, F)
    return info.value


# --- every kind ---------------------------------------------------------------------------


def test_single_workflow_is_returned_untouched() -> None:
    doc = wf(description="d", inputParameters=["x"])
    before = copy.deepcopy(doc)
    loaded = classify(doc, F)
    assert loaded == LoadedFile(F, "workflow", (FoundWorkflow(doc, "$"),), (), {})
    assert loaded.workflows[0].definition is doc
    assert doc == before


def test_list_of_workflows() -> None:
    doc = [wf("a"), wf("b"), wf("c")]
    loaded = classify(doc, F)
    assert loaded.kind == "workflows"
    assert paths(loaded) == ["$[0]", "$[1]", "$[2]"]
    assert [f.definition["name"] for f in loaded.workflows] == ["a", "b", "c"]
    assert loaded.task_defs == ()


@pytest.mark.parametrize(
    "doc",
    [
        {"name": "t", "retryCount": 1},
        {"name": "t", "ownerEmail": "a@b.c"},
        {"name": "t", "inputKeys": [], "outputKeys": []},
        {"name": "t", "responseTimeoutSeconds": 10, "timeoutPolicy": "TIME_OUT_WF"},
    ],
)
def test_single_taskdef(doc: dict[str, Any]) -> None:
    loaded = classify(doc, F)
    assert loaded.kind == "taskdef"
    assert loaded.task_defs == (doc,)
    assert loaded.task_defs[0] is doc
    assert loaded.workflows == ()


def test_list_of_taskdefs() -> None:
    doc = [td("a"), td("b")]
    loaded = classify(doc, F)
    assert loaded.kind == "taskdefs"
    assert loaded.task_defs == tuple(doc)
    assert loaded.workflows == ()


def test_list_mixing_workflows_and_taskdefs_is_a_bundle() -> None:
    doc = [td("a"), wf("w"), td("b")]
    loaded = classify(doc, F)
    assert loaded.kind == "bundle"
    assert paths(loaded) == ["$[1]"]
    assert [t["name"] for t in loaded.task_defs] == ["a", "b"]


def test_start_request() -> None:
    doc = {"name": "wf", "version": 1, "input": {"x": 1}, "workflowDef": wf()}
    loaded = classify(doc, F)
    assert loaded.kind == "start-request"
    assert paths(loaded) == ["$.workflowDef"]
    assert loaded.workflows[0].definition is doc["workflowDef"]
    assert loaded.extra == {"input": {"x": 1}}


def test_start_request_without_input_has_empty_extra() -> None:
    loaded = classify({"workflowDef": wf()}, F)
    assert loaded.kind == "start-request"
    assert loaded.extra == {}


def test_test_request() -> None:
    doc = {
        "name": "wf",
        "workflowDef": wf(),
        "input": {"a": 1},
        "taskRefToMockOutput": {"t1_ref": [{"status": "COMPLETED", "output": {}}]},
    }
    loaded = classify(doc, F)
    assert loaded.kind == "test-request"
    assert paths(loaded) == ["$.workflowDef"]
    assert loaded.extra == {"input": {"a": 1}, "taskRefToMockOutput": doc["taskRefToMockOutput"]}


def test_test_request_finds_sub_workflow_test_requests() -> None:
    doc = {
        "workflowDef": wf("parent"),
        "taskRefToMockOutput": {},
        "subWorkflowTestRequest": {
            "child": {
                "workflowDef": wf("child"),
                "taskRefToMockOutput": {},
                "subWorkflowTestRequest": {"grand-child": {"workflowDef": wf("gc")}},
            },
            "by_name_only": {"name": "stored", "version": 2},
            "second": {"workflowDef": wf("second")},
        },
    }
    loaded = classify(doc, F)
    assert loaded.kind == "test-request"
    assert paths(loaded) == [
        "$.workflowDef",
        "$.subWorkflowTestRequest.child.workflowDef",
        "$.subWorkflowTestRequest.second.workflowDef",
        '$.subWorkflowTestRequest.child.subWorkflowTestRequest["grand-child"].workflowDef',
    ]
    assert loaded.extra["subWorkflowTestRequest"] is doc["subWorkflowTestRequest"]


def test_execution_record() -> None:
    doc = {
        "workflowId": "abc",
        "status": "COMPLETED",
        "workflowName": "wf",
        "tasks": [{"taskId": "1", "status": "COMPLETED", "referenceTaskName": "t1_ref"}],
        "workflowDefinition": wf(),
    }
    loaded = classify(doc, F)
    assert loaded.kind == "execution"
    assert paths(loaded) == ["$.workflowDefinition"]
    assert loaded.extra == {"execution": doc}
    assert loaded.extra["execution"] is doc


@pytest.mark.parametrize("marker", ["workflowId", "tasks", "status"])
def test_execution_record_needs_only_one_marker(marker: str) -> None:
    assert classify({marker: [], "workflowDefinition": wf()}, F).kind == "execution"


def test_execution_with_name_is_not_mistaken_for_a_workflow() -> None:
    doc = {"name": "run", "tasks": [], "workflowId": "x", "workflowDefinition": wf()}
    assert classify(doc, F).kind == "execution"


def test_bundle_object() -> None:
    doc = {"workflowDefinitions": [wf("a"), wf("b")], "taskDefinitions": [{"name": "t"}]}
    loaded = classify(doc, F)
    assert loaded.kind == "bundle"
    assert paths(loaded) == ["$.workflowDefinitions[0]", "$.workflowDefinitions[1]"]
    assert loaded.task_defs == ({"name": "t"},)


def test_bundle_nested_deeper_in_document_order() -> None:
    doc = {
        "meta": {"id": 1},
        "data": {
            "templates": [
                {"title": "one", "taskDefinitions": [td("x")], "workflowDefinitions": [wf("a")]},
                {"title": "two", "workflowDefinitions": [wf("b")], "taskDefinitions": None},
            ]
        },
        "more-data": {"workflowDefinitions": [wf("c")]},
    }
    loaded = classify(doc, F)
    assert loaded.kind == "bundle"
    assert paths(loaded) == [
        "$.data.templates[0].workflowDefinitions[0]",
        "$.data.templates[1].workflowDefinitions[0]",
        '$["more-data"].workflowDefinitions[0]',
    ]
    assert [t["name"] for t in loaded.task_defs] == ["x"]


def test_list_of_bundles_like_templates_json() -> None:
    doc = [
        {"id": "1", "taskDefinitions": [td("x")], "workflowDefinitions": [wf("a")]},
        {"id": "2", "workflowDefinitions": [wf("b")], "taskDefinitions": []},
    ]
    loaded = classify(doc, F)
    assert loaded.kind == "bundle"
    assert paths(loaded) == ["$[0].workflowDefinitions[0]", "$[1].workflowDefinitions[0]"]
    assert len(loaded.task_defs) == 1


def test_empty_bundle_is_accepted() -> None:
    loaded = classify({"workflowDefinitions": [], "taskDefinitions": []}, F)
    assert (loaded.kind, loaded.workflows, loaded.task_defs) == ("bundle", (), ())


def test_kinds_constant_lists_every_kind() -> None:
    assert set(KINDS) == {
        "workflow",
        "workflows",
        "taskdef",
        "taskdefs",
        "bundle",
        "start-request",
        "test-request",
        "execution",
    }


# --- text, bytes and BOM ------------------------------------------------------------------


def test_load_json_text_strips_bom() -> None:
    assert load_json_text('\ufeff{"a": [1]}', F) == {"a": [1]}


def test_load_file_with_utf8_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(wf("bom")).encode())
    loaded = load_file(path)
    assert loaded.kind == "workflow"
    assert loaded.path == str(path)
    assert loaded.workflows[0].definition["name"] == "bom"


def test_load_file_with_utf16_bom(tmp_path: Path) -> None:
    path = tmp_path / "utf16.json"
    path.write_bytes(json.dumps([td("é")]).encode("utf-16"))
    assert load_file(path).task_defs[0]["name"] == "é"


def test_load_file_keeps_path_as_given(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    path.write_text(json.dumps(wf()), encoding="utf-8")
    assert load_file(str(path)).path == str(path)


# --- errors -------------------------------------------------------------------------------


def test_load_error_is_a_value_error_with_fields() -> None:
    err = LoadError("f.json", "$[3]", "bad")
    assert isinstance(err, ValueError)
    assert (err.file, err.json_path, err.message) == ("f.json", "$[3]", "bad")
    assert str(err) == "f.json: $[3]: bad"


def test_invalid_json_text_reports_line_and_column() -> None:
    with pytest.raises(LoadError) as info:
        load_json_text('{\n  "a": 1,\n  "b": ,\n}', F)
    err = info.value
    assert (err.line, err.column, err.json_path) == (3, 8, "$")
    assert str(err) == f"{F}:3:8: not valid JSON: Expecting value"


def test_invalid_json_file_reports_path_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"name": "x", "tasks": []}\n{"extra": 1}\n', encoding="utf-8")
    with pytest.raises(LoadError) as info:
        load_file(path)
    assert str(info.value) == f"{path}:2:1: not valid JSON: Extra data"


def test_invalid_utf8_reports_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{\n  "name": "caf\xe9"}')
    with pytest.raises(LoadError) as info:
        load_file(path)
    assert str(info.value).startswith(f"{path}:2:15: not valid UTF-8: byte 0xe9")


def test_missing_file_is_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(LoadError) as info:
        load_file(path)
    assert str(info.value).startswith(f"{path}: $: cannot read file:")


def test_too_deeply_nested_json_is_a_load_error() -> None:
    with pytest.raises(LoadError, match="nesting too deep"):
        load_json_text("[" * 100_000 + "]" * 100_000, F)


def test_huge_integer_is_a_load_error() -> None:
    with pytest.raises(LoadError, match="not valid JSON"):
        load_json_text("1" * 10_000, F)


def test_unrecognised_object_message() -> None:
    err = load_error({"foo": 1, "bar": 2})
    assert err.json_path == "$"
    assert str(err) == (
        f"{F}: $: expected a Conductor WorkflowDef (an object with 'name' and 'tasks'), a list"
        " of them, TaskDefs, a bundle, a start/test request or an execution record; got an"
        " object with keys ['foo', 'bar']"
    )


def test_many_keys_are_abbreviated() -> None:
    err = load_error({f"k{i}": i for i in range(20)})
    assert "'k11']" in err.message
    assert "'k12'" not in err.message
    assert err.message.endswith("(and 8 more)")


@pytest.mark.parametrize(
    ("doc", "got"),
    [
        ("hello", "got a string ('hello')"),
        (42, "got a number (42)"),
        (1.5, "got a number (1.5)"),
        (None, "got null"),
        (True, "got a boolean (true)"),
        ([], "got an empty list"),
        ({}, "got an empty object"),
    ],
)
def test_top_level_scalars_and_empties(doc: Any, got: str) -> None:
    err = load_error(doc)
    assert err.json_path == "$"
    assert err.message.startswith("expected a Conductor WorkflowDef")
    assert err.message.endswith(got)


def test_bad_list_element_names_its_index() -> None:
    err = load_error([wf(), td(), 3])
    assert err.json_path == "$[2]"
    assert err.message.startswith("expected a WorkflowDef (an object with 'name' and 'tasks')")
    assert err.message.endswith("got a number (3)")


def test_list_element_object_without_taskdef_fields() -> None:
    err = load_error([{"name": "x", "foo": 1}])
    assert err.json_path == "$[0]"
    assert "got an object with keys ['name', 'foo']" in err.message
    assert "neither 'tasks' nor any TaskDef field" in err.message


def test_nested_list_element_is_rejected() -> None:
    err = load_error([[wf()]])
    assert (err.json_path, err.message.endswith("got a list of 1 items")) == ("$[0]", True)


def test_tasks_not_a_list() -> None:
    err = load_error({"name": "w", "tasks": {"a": 1}})
    assert err.json_path == "$.tasks"
    assert err.message == (
        "expected 'tasks' to be a list of workflow tasks; got an object with keys ['a']"
    )


def test_tasks_not_a_list_inside_a_list() -> None:
    assert load_error([wf(), {"name": "w", "tasks": None}]).json_path == "$[1].tasks"


def test_workflow_name_not_a_string() -> None:
    err = load_error({"name": 7, "tasks": []})
    assert err.json_path == "$.name"
    assert err.message == "expected the workflow 'name' to be a string; got a number (7)"


def test_tasks_without_name() -> None:
    err = load_error({"tasks": [], "description": "x"})
    assert err.json_path == "$"
    assert err.message.endswith("(it has 'tasks' but no 'name'; a WorkflowDef needs both)")


def test_name_only_object() -> None:
    err = load_error({"name": "x", "description": "y"})
    assert "neither 'tasks' nor any TaskDef field such as 'retryCount'" in err.message


def test_name_not_a_string_without_tasks() -> None:
    err = load_error({"name": ["x"], "retryCount": 1})
    assert err.message.endswith("('name' is a list of 1 items, not a string)")


def test_workflow_def_that_is_not_an_object() -> None:
    err = load_error({"name": "x", "version": 1, "workflowDef": None})
    assert err.json_path == "$"
    assert err.message.endswith("('workflowDef' is null, not a WorkflowDef object)")


def test_start_request_with_incomplete_workflow_def() -> None:
    err = load_error({"workflowDef": {"name": "x"}})
    assert err.json_path == "$.workflowDef"
    assert err.message == (
        "expected a WorkflowDef (an object with 'name' and 'tasks'); got an object with keys"
        " ['name'] (missing 'tasks')"
    )


def test_test_request_with_bad_sub_workflow_def() -> None:
    doc = {
        "workflowDef": wf(),
        "taskRefToMockOutput": {},
        "subWorkflowTestRequest": {"c": {"workflowDef": {"tasks": []}}},
    }
    err = load_error(doc)
    assert err.json_path == "$.subWorkflowTestRequest.c.workflowDef"
    assert err.message.endswith("(missing 'name')")


def test_execution_with_bad_workflow_definition() -> None:
    err = load_error({"workflowId": "x", "workflowDefinition": {"name": "w", "tasks": "no"}})
    assert err.json_path == "$.workflowDefinition.tasks"
    assert err.message == "expected 'tasks' to be a list of workflow tasks; got a string ('no')"


def test_workflow_definition_without_execution_markers() -> None:
    err = load_error({"workflowDefinition": wf()})
    assert err.json_path == "$"
    assert "an execution record needs an object there" in err.message


def test_bundle_workflow_definitions_not_a_list() -> None:
    err = load_error({"x": {"workflowDefinitions": {"a": wf()}}})
    assert err.json_path == "$.x.workflowDefinitions"
    assert err.message == (
        "expected 'workflowDefinitions' to be a list of WorkflowDefs; got an object with keys ['a']"
    )


def test_bundle_bad_workflow_element() -> None:
    err = load_error([{"workflowDefinitions": [wf(), "oops"]}])
    assert err.json_path == "$[0].workflowDefinitions[1]"
    assert err.message == (
        "expected a WorkflowDef (an object with 'name' and 'tasks'); got a string ('oops')"
    )


def test_bundle_bad_taskdef_element() -> None:
    err = load_error({"taskDefinitions": [{"retryCount": 1}]})
    assert err.json_path == "$.taskDefinitions[0]"
    assert err.message == (
        "expected a TaskDef (an object with a string 'name'); got an object with keys"
        " ['retryCount']"
    )


def test_long_strings_are_clipped_in_messages() -> None:
    err = load_error("x" * 500)
    assert len(err.message) < 250
    assert err.message.endswith("...)")


def test_very_deep_python_structure_does_not_hit_recursion_limit() -> None:
    doc: Any = {"leaf": 1}
    for _ in range(5_000):
        doc = {"child": [doc]}
    assert load_error(doc).json_path == "$"


# --- robustness: nothing but LoadError escapes ----------------------------------------------

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.sampled_from(["", "x", "SIMPLE"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "tasks",
                    "workflowDef",
                    "workflowDefinition",
                    "workflowDefinitions",
                    "taskDefinitions",
                    "taskRefToMockOutput",
                    "subWorkflowTestRequest",
                    "workflowId",
                    "status",
                    "retryCount",
                    "input",
                    "other",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(_json)
def test_classify_only_ever_raises_load_error(doc: Any) -> None:
    try:
        loaded = classify(doc, F)
    except LoadError as err:
        assert err.json_path.startswith("$")
        assert str(err).startswith(f"{F}: {err.json_path}: ")
    else:
        assert loaded.kind in KINDS
        assert all(isinstance(found.definition, dict) for found in loaded.workflows)
        assert all(isinstance(found.definition["tasks"], list) for found in loaded.workflows)
        assert all(isinstance(t, dict) for t in loaded.task_defs)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_load_json_text_only_ever_raises_load_error(text: str) -> None:
    try:
        load_json_text(text, F)
    except LoadError as err:
        assert str(err).startswith(F)


def test_non_string_keys_from_python_callers_do_not_crash() -> None:
    err = load_error({1: {"workflowDefinitions": "x"}})
    assert err.json_path == '$["1"].workflowDefinitions'
