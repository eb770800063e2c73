"""Tests for testing.params: Conductor's ${...} resolution (ParametersUtils) and JsonPath-lite."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from testing.params import ExpressionError, java_string, lookup, resolve, substitute_secrets

DOC: dict[str, Any] = {
    "workflow": {
        "input": {
            "name": "conductor",
            "n": 2,
            "ratio": 2.0,
            "flag": True,
            "nothing": None,
            "obj": {"a": 1, "b": "x"},
            "items": [1, 2, 3],
            "k": "b",
            "i": 1,
            "key with space": "spaced",
            "my-key": "dashed",
            "ns:key": "colon",
        },
        "status": "RUNNING",
        "workflowId": "wf-1",
    },
    "t1": {
        "status": "COMPLETED",
        "output": {
            "items": [
                {"id": 1, "x": 0, "name": "foo"},
                {"id": 2, "x": 5, "name": "bar", "flag": False},
                {"id": 3, "x": 9, "name": "baz", "child": {"id": 4}},
            ],
            "map": {"a": [1, 2, 3], "b": [2, 4, 5]},
        },
    },
    "loop": {"output": {"1": {"x": "first"}, "2": {"x": "second"}}},
}

# The document of ParametersUtilsTest (testNestedPathExpressions, testReplaceWithEscapedTags...).
PU_DOC: dict[str, Any] = {
    "name": "conductor",
    "version": 2,
    "index": 1,
    "mapValue": "a",
    "recordIds": [1, 2, 3],
    "map": {"a": [1, 2, 3], "b": [2, 4, 5], "c": [3, 7, 8]},
    "someString": "conductor",
    "someNumber": 2,
    "externalId": '{"taskRefName":"t001","workflowId":"w002"}',
}


def one(template: Any, **kwargs: Any) -> Any:
    """Resolve ``template`` against DOC."""
    return resolve(template, DOC, **kwargs)


# --- whole-value typing ----------------------------------------------------------------------


def test_whole_value_keeps_map() -> None:
    """A string that is exactly one placeholder to a map gives the map."""
    assert one("${workflow.input.obj}") == {"a": 1, "b": "x"}


def test_whole_value_keeps_list() -> None:
    """A single placeholder to a list gives the list."""
    assert one("${workflow.input.items}") == [1, 2, 3]


def test_whole_value_keeps_int() -> None:
    """A single placeholder to an int gives the int, not text."""
    assert one("${workflow.input.n}") == 2


def test_whole_value_keeps_float() -> None:
    """A single placeholder to a float gives the float."""
    result = one("${workflow.input.ratio}")
    assert result == 2.0 and isinstance(result, float)


def test_whole_value_keeps_bool() -> None:
    """A single placeholder to a boolean gives the boolean."""
    assert one("${workflow.input.flag}") is True


def test_whole_value_keeps_null() -> None:
    """A single placeholder to a JSON null gives None."""
    assert one("${workflow.input.nothing}") is None


def test_two_placeholders_make_a_string() -> None:
    """Two adjacent placeholders are interpolated into text, not typed."""
    assert one("${workflow.input.n}${workflow.input.n}") == "22"


def test_surrounding_whitespace_makes_a_string() -> None:
    """Any text around the placeholder turns the result into a string."""
    assert one(" ${workflow.input.n}") == " 2"


def test_pu_replace_keeps_json_text_and_types() -> None:
    """ParametersUtilsTest.testReplace: `$.` prefix, JSON text stays text, numbers stay numbers."""
    template = {"k1": "${$.externalId}", "k4": "${name}", "k5": "${version}"}
    assert resolve(template, PU_DOC) == {
        "k1": '{"taskRefName":"t001","workflowId":"w002"}',
        "k4": "conductor",
        "k5": 2,
    }


# --- interpolation ---------------------------------------------------------------------------


def test_interpolates_string() -> None:
    """A placeholder inside text is replaced by the value."""
    assert one("hello ${workflow.input.name}!") == "hello conductor!"


def test_interpolates_map_in_java_style() -> None:
    """A map inside text uses Java's toString, not JSON."""
    assert one("o=${workflow.input.obj}") == "o={a=1, b=x}"


def test_interpolates_list_in_java_style() -> None:
    """A list inside text prints as [1, 2, 3]."""
    assert one("l=${workflow.input.items}") == "l=[1, 2, 3]"


def test_interpolates_float_with_java_digits() -> None:
    """A double prints as 2.0, as Java does."""
    assert one("r=${workflow.input.ratio}") == "r=2.0"


def test_interpolates_bool_lowercase() -> None:
    """A boolean prints as true/false."""
    assert one("f=${workflow.input.flag}") == "f=true"


def test_interpolates_missing_as_null_text() -> None:
    """Missing data inside text becomes the text null."""
    assert one("v=${workflow.input.absent}") == "v=null"


# --- missing data ----------------------------------------------------------------------------


def test_missing_key_is_none() -> None:
    """A key that does not exist resolves to None."""
    assert one("${workflow.input.absent}") is None


def test_task_not_yet_run_is_none() -> None:
    """A reference to a task that is not in the document resolves to None."""
    assert one("${t9.output.result}") is None


def test_index_out_of_range_is_none() -> None:
    """An index past the end of a list resolves to None."""
    assert one("${workflow.input.items[7]}") is None


def test_path_through_scalar_is_none() -> None:
    """Descending into a scalar resolves to None."""
    assert one("${workflow.input.name.first}") is None


def test_unknown_bare_name_is_none() -> None:
    """A bare name such as HOME is looked up in the document only (no server env)."""
    assert one("${HOME}") is None


def test_empty_placeholders_give_empty_string() -> None:
    """${} and ${   } resolve to the empty string (testReplaceInputWithMapAndList)."""
    assert one({"a": "${}", "b": "${   }", "c": "x${}y"}) == {"a": "", "b": "", "c": "xy"}


# --- escapes ---------------------------------------------------------------------------------


def test_escape_emits_placeholder_literally() -> None:
    """$${a} is not resolved and loses one dollar."""
    assert one("$${workflow.input.name}") == "${workflow.input.name}"


def test_escape_mixed_with_placeholder() -> None:
    """An escape and a real placeholder in one string."""
    assert one("x $${a} ${workflow.input.n}") == "x ${a} 2"


def test_pu_escaped_tags_k1() -> None:
    """ParametersUtilsTest.testReplaceWithEscapedTags, the mixed k1 value."""
    template = "${$.someString} $${$.someNumber}${$.someNumber} ${$.someNumber}$${$.someString}"
    assert resolve(template, PU_DOC) == "conductor ${$.someNumber}2 2${$.someString}"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("$${$.someString}afterText", "${$.someString}afterText"),
        ("beforeText$${$.someString}", "beforeText${$.someString}"),
        ("$${$.someString} afterText", "${$.someString} afterText"),
        ("beforeText $${$.someString}", "beforeText ${$.someString}"),
    ],
)
def test_pu_escaped_tags_with_text(template: str, expected: str) -> None:
    """ParametersUtilsTest.testReplaceWithEscapedTags k2..k5: escapes next to text."""
    assert resolve(template, PU_DOC) == expected


def test_pu_escaped_tags_in_map_and_list() -> None:
    """ParametersUtilsTest.testReplaceWithEscapedTags: escapes inside nested maps and lists."""
    template = {
        "map": {"a": "${someString}", "b": "${someNumber}", "c": "$${someString} ${someNumber}"},
        "list": ["${someString}", "${someNumber}", "${someString} $${someNumber}"],
    }
    assert resolve(template, PU_DOC) == {
        "map": {"a": "conductor", "b": 2, "c": "${someString} 2"},
        "list": ["conductor", 2, "conductor ${someNumber}"],
    }


def test_escape_collapse_also_hits_substituted_text() -> None:
    """As in Conductor, $${ coming from a substituted value also collapses to ${."""
    assert resolve("v=${s}", {"s": "$${x}"}) == "v=${x}"


def test_unclosed_placeholder_is_left_alone() -> None:
    """A ${ without its closing brace is plain text."""
    assert one("cost ${workflow.input.n") == "cost ${workflow.input.n"


# --- nesting ---------------------------------------------------------------------------------


def test_pu_nested_path_expressions() -> None:
    """ParametersUtilsTest.testNestedPathExpressions: inner placeholders resolve first."""
    template = {
        "k1": "${recordIds[${index}]}",
        "k2": "${map.${mapValue}[${index}]}",
        "k3": "${map.b[${map.${mapValue}[${index}]}]}",
    }
    assert resolve(template, PU_DOC) == {"k1": 2, "k2": 2, "k3": 5}


def test_nested_placeholders_from_workflow_input() -> None:
    """The reference's example ${map.${workflow.input.k}[${workflow.input.i}]}."""
    assert one("${t1.output.map.${workflow.input.k}[${workflow.input.i}]}") == 4


def test_nested_placeholder_with_missing_data_is_none() -> None:
    """A path made unparsable by a missing nested value gives None, not an error."""
    assert one("${workflow.input.items[${workflow.input.absent}]}") is None


# --- JsonPath-lite ---------------------------------------------------------------------------


def test_index_and_negative_index() -> None:
    """[0] is the first item and [-1] the last."""
    assert one(["${workflow.input.items[0]}", "${workflow.input.items[-1]}"]) == [1, 3]


def test_wildcard_on_list_then_key() -> None:
    """[*].id collects the id of every item."""
    assert one("${t1.output.items[*].id}") == [1, 2, 3]


def test_dot_wildcard_on_map() -> None:
    """.* on a map gives its values in order."""
    assert one("${workflow.input.obj.*}") == [1, "x"]


def test_deep_scan_collects_all_depths() -> None:
    """..id finds ids at every depth, in document order."""
    assert one("${t1.output..id}") == [1, 2, 3, 4]


def test_deep_scan_is_preorder() -> None:
    """A map's own key comes before matches inside its value."""
    assert resolve("${$..id}", {"id": {"id": 1}, "z": [{"id": 2}]}) == [{"id": 1}, 1, 2]


def test_filter_greater_than() -> None:
    """[?(@.x > 1)] keeps the items whose x exceeds 1."""
    assert one("${t1.output.items[?(@.x > 1)].id}") == [2, 3]


def test_filter_string_equality() -> None:
    """[?(@.name == 'foo')] keeps the matching items whole."""
    assert one("${t1.output.items[?(@.name == 'foo')]}") == [{"id": 1, "x": 0, "name": "foo"}]


def test_filter_existence_ignores_value() -> None:
    """[?(@.flag)] keeps items that have the key, even when it is false (Jayway)."""
    assert one("${t1.output.items[?(@.flag)].id}") == [2]


def test_filter_not_equal_includes_missing() -> None:
    """!= is true when the key is absent, as in Jayway."""
    assert one("${t1.output.items[?(@.flag != false)].id}") == [1, 3]


def test_filter_and_or() -> None:
    """&& binds tighter than ||."""
    assert one("${t1.output.items[?(@.x >= 5 && @.id != 3 || @.id == 1)].id}") == [1, 2]


def test_filter_number_equals_numeric_string() -> None:
    """Jayway compares a number with a string literal as numbers for ==."""
    assert one("${t1.output.items[?(@.x == '5')].id}") == [2]


def test_filter_without_match_is_empty_list() -> None:
    """A filter that matches nothing gives [], not None."""
    assert one("${t1.output.items[?(@.x > 100)]}") == []


def test_bracket_keys_with_space_and_double_quotes() -> None:
    """['key with space'] and ["key"] address map keys."""
    assert one(["${workflow.input['key with space']}", '${workflow["input"]["k"]}']) == [
        "spaced",
        "b",
    ]


def test_dot_keys_with_dash_and_colon() -> None:
    """Dot keys may contain - and :."""
    assert one(["${workflow.input.my-key}", "${workflow.input.ns:key}"]) == ["dashed", "colon"]


def test_number_like_dot_key_reads_map_key() -> None:
    """loop.output.2.x reads the string key "2" of a map (DO_WHILE iteration output)."""
    assert one("${loop.output.2.x}") == "second"


def test_number_like_dot_key_indexes_list() -> None:
    """On a list a number-like dot key is an index."""
    assert one("${t1.output.items.1.name}") == "bar"


def test_filter_float_equals_decimal_string() -> None:
    """A double equals the string of its decimal digits (Jayway's BigDecimal), e.g. 0.1."""
    assert resolve("${$.v[?(@.p == '0.1')].p}", {"v": [{"p": 0.1}, {"p": 0.2}]}) == [0.1]


def test_blanks_around_path_are_ignored() -> None:
    """Blanks inside ${ } around the path are trimmed, as Jayway does."""
    assert one("${ workflow.input.n }") == 2


def test_length_function() -> None:
    """A trailing length() gives the size of a list."""
    assert one("${t1.output.items.length()}") == 3


def test_lookup_tolerates_dollar_prefix() -> None:
    """lookup accepts paths with and without the leading $."""
    assert lookup("$.workflow.status", DOC) == lookup("workflow.status", DOC) == "RUNNING"


def test_lookup_returns_a_copy() -> None:
    """Mutating what lookup returns leaves the document alone."""
    lookup("workflow.input.items", DOC).append(4)
    assert DOC["workflow"]["input"]["items"] == [1, 2, 3]


@pytest.mark.parametrize(
    "path",
    ["workflow.input[", "workflow.input.a b", "a[1:2]", "a.max()", "a[?(@.x =~ /y/)]", "$x"],
)
def test_malformed_path_raises(path: str) -> None:
    """Unparsable or unsupported paths raise ExpressionError."""
    with pytest.raises(ExpressionError):
        one("${" + path + "}")


# --- special placeholders --------------------------------------------------------------------


def test_task_id_placeholder() -> None:
    """${CPEWF_TASK_ID} is the task id, typed and interpolated."""
    assert one(["${CPEWF_TASK_ID}", "id-${CPEWF_TASK_ID}"], task_id="t-42") == ["t-42", "id-t-42"]


def test_task_id_placeholder_without_id_stays_literal() -> None:
    """Without a task id (SWITCH, SET_VARIABLE, workflow output) the text is left in place."""
    assert one("${CPEWF_TASK_ID}") == "${CPEWF_TASK_ID}"


def test_netflix_env_stays_literal() -> None:
    """Server variables such as NETFLIX_ENV are not emulated: the text stays."""
    assert one("${NETFLIX_ENV}") == "${NETFLIX_ENV}"


def test_secret_stays_literal_without_secrets() -> None:
    """Without secrets the placeholder is kept verbatim (Conductor defers substitution)."""
    assert one({"k": "${workflow.secrets.db}", "u": "u:${workflow.secrets.db}"}) == {
        "k": "${workflow.secrets.db}",
        "u": "u:${workflow.secrets.db}",
    }


def test_secret_substituted_when_given() -> None:
    """With secrets the value replaces the placeholder, whole and interpolated."""
    template = ["${workflow.secrets.db}", "pw=${workflow.secrets.db}"]
    assert one(template, secrets={"db": "s3cret"}) == ["s3cret", "pw=s3cret"]


def test_secret_json_path() -> None:
    """A JSON secret can be indexed further: NAME.path."""
    secrets = {"creds": '{"user": "bob", "ports": [80, 443]}'}
    assert one("${workflow.secrets.creds.ports}", secrets=secrets) == [80, 443]


def test_missing_secret_is_none_or_empty_text() -> None:
    """A missing secret is None whole and "" inside text (Objects.toString(v, ""))."""
    assert one(["${workflow.secrets.nope}", "a${workflow.secrets.nope}b"], secrets={}) == [
        None,
        "ab",
    ]


def test_secret_pass_also_reaches_escaped_reference() -> None:
    """The secrets pass runs after escapes collapse, so $${workflow.secrets.x} is substituted."""
    assert one("$${workflow.secrets.db}", secrets={"db": "s"}) == "s"


def test_substitute_secrets_alone_leaves_other_text() -> None:
    """substitute_secrets only replaces secret refs in an already resolved value."""
    value = {"a": "${x}", "b": ["${workflow.secrets.k}"], "c": 3}
    assert substitute_secrets(value, {"k": "v"}) == {"a": "${x}", "b": ["v"], "c": 3}


def test_env_given() -> None:
    """${workflow.env.NAME} reads env, including a JSON path into the value."""
    env = {"REGION": "eu", "CFG": '{"a": {"b": 7}}'}
    assert one(["${workflow.env.REGION}", "${workflow.env.CFG.a.b}"], env=env) == ["eu", 7]


def test_env_missing_or_absent_is_none() -> None:
    """An unknown env name, or no env at all, gives None."""
    assert one("${workflow.env.REGION}", env={}) is None
    assert one("${workflow.env.REGION}") is None


# --- structure -------------------------------------------------------------------------------


def test_dict_keys_are_never_substituted() -> None:
    """Only values are resolved; a key that looks like a placeholder stays."""
    assert one({"${workflow.input.name}": "${workflow.input.name}"}) == {
        "${workflow.input.name}": "conductor"
    }


def test_nested_structures_are_walked() -> None:
    """Dicts in lists in dicts are all resolved (testReplaceInputWithMapAndList)."""
    template = {"a": [{"b": "${workflow.input.n}"}, ["${workflow.input.k}"]]}
    assert one(template) == {"a": [{"b": 2}, ["b"]]}


def test_non_strings_pass_through() -> None:
    """Numbers, booleans and None are returned unchanged."""
    assert one({"i": 1, "f": 1.5, "b": False, "n": None}) == {
        "i": 1,
        "f": 1.5,
        "b": False,
        "n": None,
    }


def test_plain_string_without_placeholder_is_unchanged() -> None:
    """A string with no ${ comes back as is."""
    assert one("just text $ and {braces}") == "just text $ and {braces}"


def test_result_does_not_alias_doc() -> None:
    """Mutating a typed result leaves the document untouched."""
    before = copy.deepcopy(DOC)
    result = one({"obj": "${workflow.input.obj}", "all": "${t1.output.items[*]}"})
    result["obj"]["a"] = 99
    result["all"][0]["id"] = 99
    assert before == DOC


def test_template_is_not_mutated() -> None:
    """The template keeps its placeholders after resolution."""
    template = {"m": {"a": "${workflow.input.n}"}, "l": ["${workflow.input.k}"]}
    snapshot = copy.deepcopy(template)
    one(template)
    assert template == snapshot


# --- java_string -----------------------------------------------------------------------------


def test_java_string_nested_collections() -> None:
    """Maps and lists nest in Java style, with null and lowercase booleans."""
    assert java_string({"a": [1, None, True], "b": {"c": "x"}}) == "{a=[1, null, true], b={c=x}}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2.0, "2.0"),
        (0.001, "0.001"),
        (1e-4, "1.0E-4"),
        (1e7, "1.0E7"),
        (1234567.5, "1234567.5"),
        (-2.5e20, "-2.5E20"),
        (-0.0, "-0.0"),
        (float("inf"), "Infinity"),
    ],
)
def test_java_string_doubles(value: float, expected: str) -> None:
    """Doubles follow Double.toString: plain in [1e-3, 1e7), E-notation outside."""
    assert java_string(value) == expected


def test_java_string_scalars() -> None:
    """None, booleans, ints and strings."""
    assert [java_string(v) for v in (None, False, 12, "s")] == ["null", "false", "12", "s"]
