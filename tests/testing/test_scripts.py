"""Script evaluation: Conductor JavaScript via QuickJS and JSON_JQ_TRANSFORM via jq."""

from __future__ import annotations

import time
from typing import Any

import pytest

from testing.scripts import (
    JqError,
    ScriptError,
    case_string,
    eval_jq,
    eval_js,
    eval_lambda,
    to_boolean,
)

# --- eval_js: what a script evaluates to -------------------------------------------------


def test_ternary_expression() -> None:
    """A plain expression evaluates to its value."""
    assert eval_js("$.a > 1 ? 'x' : 'y'", {"a": 2}) == "x"


def test_statement_list_gives_last_expression_value() -> None:
    """A statement list evaluates to the value of the last expression statement run."""
    assert eval_js("if ($.a) { true; } else { false; }", {"a": 0}) is False


def test_declarations_then_expression() -> None:
    """Variable declarations do not hide the value of a following expression."""
    assert eval_js("var n = $.a + 1; n * 2;", {"a": 1}) == 4


def test_iife_returns_value() -> None:
    """An immediately invoked function gives its return value."""
    assert eval_js("(function(){ return $.a; })()", {"a": "v"}) == "v"


def test_nested_binding_access() -> None:
    """`$` exposes nested objects and arrays of the bindings."""
    bindings = {"loop": {"iteration": 3}, "list": [10, 20, 30]}
    assert eval_js("$.loop['iteration'] < $.list.length", bindings) is False


def test_array_result_becomes_list() -> None:
    """A JS array comes back as a Python list."""
    assert eval_js("$.items.map(function(x){ return x.name; })", {"items": [{"name": "a"}]}) == [
        "a"
    ]


def test_object_result_becomes_dict() -> None:
    """A JS object comes back as a Python dict, nested values included."""
    assert eval_js("({a: {b: [1, 'two', null, true]}})", {}) == {"a": {"b": [1, "two", None, True]}}


def test_script_mutation_does_not_leak_into_bindings() -> None:
    """The script sees a deep copy: changing `$` leaves the caller's bindings untouched."""
    bindings: dict[str, Any] = {"a": {"b": [1]}}
    eval_js("$.a.b.push(2); $.a.c = 1; $.x = 5;", bindings)
    assert bindings == {"a": {"b": [1]}}


def test_no_state_leaks_between_evaluations() -> None:
    """Globals defined by one evaluation are gone in the next."""
    eval_js("var leaked = 1; globalThis.other = 2;", {})
    assert eval_js("typeof leaked + ',' + typeof other", {}) == "undefined,undefined"


def test_integral_numbers_become_int() -> None:
    """Integral JS numbers come back as int, also inside containers."""
    result = eval_js("[2.0, 4 / 2, {n: 10 / 5}]", {})
    assert result == [2, 2, {"n": 2}]
    assert all(type(n) is int for n in (result[0], result[1], result[2]["n"]))


def test_fractional_numbers_stay_float() -> None:
    """Non-integral numbers come back as float."""
    assert eval_js("$.a / 2", {"a": 3}) == 1.5


def test_undefined_becomes_none() -> None:
    """An undefined result, e.g. a missing property, comes back as None."""
    assert eval_js("$.missing", {}) is None


def test_function_result_becomes_none() -> None:
    """A value JSON cannot hold (a function) comes back as None, as JSON.stringify drops it."""
    assert eval_js("(function(){})", {}) is None


def test_math_random_is_deterministic() -> None:
    """Math.random gives the same sequence in every evaluation."""
    script = "[Math.random(), Math.random()]"
    first = eval_js(script, {})
    assert first == eval_js(script, {})
    assert first[0] != first[1]


def test_now_ms_freezes_the_clock() -> None:
    """With now_ms, Date.now() and new Date() report that instant."""
    result = eval_js("[Date.now(), new Date().toISOString()]", {}, now_ms=86_400_000)
    assert result == [86_400_000, "1970-01-02T00:00:00.000Z"]


# --- eval_js: failures -------------------------------------------------------------------


def test_syntax_error_kind() -> None:
    """A script that does not parse raises ScriptError of kind 'syntax'."""
    with pytest.raises(ScriptError) as caught:
        eval_js("$.a >", {"a": 1})
    assert caught.value.kind == "syntax"
    assert caught.value.message.startswith("SyntaxError")


def test_runtime_error_kind_and_message() -> None:
    """An uncaught JS error raises kind 'runtime' with the JS error in the message."""
    with pytest.raises(ScriptError) as caught:
        eval_js("foo.bar", {})
    assert caught.value.kind == "runtime"
    assert "ReferenceError" in caught.value.message
    assert "foo" in caught.value.message


def test_syntax_error_thrown_while_running_is_runtime() -> None:
    """A SyntaxError raised by JSON.parse at run time is a runtime failure, not a syntax one."""
    with pytest.raises(ScriptError) as caught:
        eval_js("JSON.parse('{')", {})
    assert caught.value.kind == "runtime"


def test_thrown_string_message() -> None:
    """A thrown non-Error value becomes the message as is."""
    with pytest.raises(ScriptError, match=r"^no way$"):
        eval_js("throw 'no way'", {})


def test_runaway_loop_times_out_fast() -> None:
    """An endless loop raises kind 'timeout' instead of hanging. (The bound is loose on purpose:
    a loaded CI machine must not fail it; the point is that the script stops at all.)"""
    started = time.monotonic()
    with pytest.raises(ScriptError) as caught:
        eval_js("while (true) {}", {}, time_limit_ms=200)
    elapsed = time.monotonic() - started
    assert caught.value.kind == "timeout"
    assert elapsed < 5


def test_huge_allocation_hits_memory_limit() -> None:
    """Allocating past the heap limit raises kind 'memory'."""
    script = "var a = []; while (true) { a.push('x'.repeat(100000) + a.length); }"
    with pytest.raises(ScriptError) as caught:
        eval_js(script, {}, memory_limit_bytes=8 * 2**20)
    assert caught.value.kind == "memory"


def test_memory_limit_does_not_count_the_bindings() -> None:
    """Bindings larger than the heap limit still load; the limit is for what the script adds."""
    bindings = {"big": ["y" * 1000] * 5000}
    assert eval_js("$.big.length", bindings, memory_limit_bytes=2**20) == 5000


def test_deep_recursion_is_runtime_error() -> None:
    """Unbounded recursion is a runtime failure, not a crash."""
    with pytest.raises(ScriptError) as caught:
        eval_js("function f() { return f(); } f();", {})
    assert caught.value.kind == "runtime"
    assert "stack overflow" in caught.value.message


def test_circular_result_is_runtime_error() -> None:
    """A result that cannot become JSON (a cycle) is a runtime failure."""
    with pytest.raises(ScriptError) as caught:
        eval_js("var o = {}; o.self = o; o;", {})
    assert caught.value.kind == "runtime"


# --- eval_lambda -------------------------------------------------------------------------


def test_lambda_returns_value() -> None:
    """A LAMBDA script body is wrapped in a function, so `return` gives the result."""
    assert eval_lambda("return {testvalue: $.a == 1};", {"a": 1}) == {"testvalue": True}


def test_lambda_without_return_is_none() -> None:
    """A LAMBDA body that returns nothing gives None."""
    assert eval_lambda("var x = $.a;", {"a": 1}) is None


# --- to_boolean --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        (-1, False),
        (0.5, True),
        (float("nan"), False),
        ("true", False),
        (None, False),
        ([1], False),
        ({"a": 1}, False),
    ],
)
def test_to_boolean(value: Any, expected: bool) -> None:
    """Booleans stay, numbers are `> 0`, everything else is False."""
    assert to_boolean(value) is expected


# --- case_string -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (2, "2"),
        (2.0, "2"),
        (1.5, "1.5"),
        (-0.25, "-0.25"),
        (1.5e-5, "1.5E-5"),
        (1e21, "1.0E21"),
        (float("nan"), "NaN"),
        ("case", "case"),
        ({"a": 1}, "{a=1}"),
        ([1, 2], "[1, 2]"),
        ({"a": [1, None], "b": {"c": "d"}}, "{a=[1, null], b={c=d}}"),
    ],
)
def test_case_string(value: Any, expected: str) -> None:
    """SWITCH results render as Java's `"" + result`."""
    assert case_string(value) == expected


def test_case_string_of_switch_expression() -> None:
    """A javascript SWITCH evaluating `$.param > 0` matches the case key 'true'."""
    assert case_string(eval_js("$.param > 0", {"param": 3})) == "true"


# --- eval_jq -----------------------------------------------------------------------------


def test_jq_field() -> None:
    """`.a` picks a field of the input."""
    assert eval_jq(".a", {"a": {"b": 1}}) == [{"b": 1}]


def test_jq_map_names() -> None:
    """`.items | map(.name)` collects a field of each item."""
    data = {"items": [{"name": "x"}, {"name": "y"}]}
    assert eval_jq(".items | map(.name)", data) == [["x", "y"]]


def test_jq_multiple_outputs() -> None:
    """A query with several outputs gives all of them, in order."""
    assert eval_jq(".[]", [3, "a", None]) == [3, "a", None]


def test_jq_no_output() -> None:
    """A query with no output gives an empty list."""
    assert eval_jq("empty", {}) == []


def test_jq_integral_numbers_become_int() -> None:
    """Integral jq numbers come back as int; others stay float."""
    result = eval_jq("[.x / 2, .x / 4]", {"x": 6})
    assert result == [[3, 1.5]]
    assert type(result[0][0]) is int


def test_jq_conductor_spec_query() -> None:
    """The JQ-01 query concatenates two arrays from the input."""
    query = ".input as $_ | { out: ($_.in1.array + $_.in2.array) }"
    data = {"input": {"in1": {"array": ["a", "b"]}, "in2": {"array": ["c", "d"]}}}
    assert eval_jq(query, data) == [{"out": ["a", "b", "c", "d"]}]


def test_jq_runtime_error_message() -> None:
    """A runtime error carries jq's message, worded as Conductor reports it."""
    query = ".input as $_ | { out: ($_.in1.array + $_.in2.array) }"
    with pytest.raises(JqError) as caught:
        eval_jq(query, {"input": {"in1": "a", "in2": "b"}})
    assert caught.value.message == 'Cannot index string with string "array"'


def test_jq_compile_error() -> None:
    """A query that does not compile raises JqError naming the problem."""
    with pytest.raises(JqError, match="compile error"):
        eval_jq(".a | foo_undefined", {})


def test_jq_user_error() -> None:
    """jq's `error(msg)` raises JqError with that message."""
    with pytest.raises(JqError) as caught:
        eval_jq('error("boom")', {})
    assert caught.value.message == "boom"
