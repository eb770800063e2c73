"""Handles and references: expressions, misuse errors, declared outputs and reference naming."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

import attrs
import pytest

from compiler import compile_workflow
from flowdsl import (
    Handle,
    Ref,
    SymbolicValueError,
    secret,
    task,
    workflow,
)
from tests.support import display_path, marker_line, problems_of


def here() -> str:
    """This file as flowdsl displays it."""
    return display_path(__file__)


def line_of(marker: str) -> int:
    """The line of this file ending with the comment ``# marker``."""
    return marker_line(__file__, marker)


class Meta(TypedDict):
    size: int
    mime: str


class Upload(TypedDict):
    url: str
    meta: Meta


@dataclass
class Stats:
    count: int


@attrs.define
class Totals:
    total: int


@task
def upload(path: str) -> Upload:
    return {"url": path, "meta": {"size": 1, "mime": "x"}}


@task
def stats() -> Stats:
    return Stats(1)


@task
def totals() -> Totals:
    return Totals(1)


@task
def fetch() -> dict[str, Any]:
    return {}


@task
def use(value: Any = None) -> None: ...


def inputs_of(fn: Any, index: int = -1) -> Any:
    """The inputParameters of the ``index``-th top-level task of ``fn``."""
    return compile_workflow(fn).workflow_def["tasks"][index]["inputParameters"]["value"]


# -- expressions --------------------------------------------------------------------------------


def test_index_and_attribute_give_the_same_path() -> None:
    """h.output["a"]["b"] and h.output.a.b both stand for ${ref.output.a.b}."""

    @workflow
    def wf() -> None:
        h = fetch()
        use([h.output["a"]["b"], h.output.a.b])

    assert inputs_of(wf) == ["${fetch.output.a.b}", "${fetch.output.a.b}"]


def test_output_alone_is_the_whole_output() -> None:
    """h.output alone is ${ref.output}; input, status and reason have their own paths."""

    @workflow
    def wf() -> None:
        h = fetch()
        use([h.output, h.input, h.status, h.reason])

    assert inputs_of(wf) == [
        "${fetch.output}",
        "${fetch.input}",
        "${fetch.status}",
        "${fetch.reasonForIncompletion}",
    ]


def test_handle_as_a_value_is_its_output() -> None:
    """Passing the handle itself reads ${ref.output}."""

    @workflow
    def wf() -> None:
        h = fetch()
        use(h)

    assert inputs_of(wf) == "${fetch.output}"


def test_fstrings_and_concatenation_interpolate() -> None:
    """f-strings and + with strings embed the ${...} expression in the text."""

    @workflow
    def wf() -> None:
        h = fetch()
        use([f"s3://{h.output.bucket}/{h.output.key}", "id-" + h.output.id, h.output.id + "-x"])

    assert inputs_of(wf) == [
        "s3://${fetch.output.bucket}/${fetch.output.key}",
        "id-${fetch.output.id}",
        "${fetch.output.id}-x",
    ]


def test_nested_dicts_and_lists_keep_their_shape() -> None:
    """References inside nested dicts and lists become expressions in place."""

    @workflow
    def wf(n: int) -> None:
        h = fetch()
        use({"a": [1, {"b": h.output.x}], "c": {"d": n}, "t": (True, None, 1.5)})

    assert inputs_of(wf) == {
        "a": [1, {"b": "${fetch.output.x}"}],
        "c": {"d": "${workflow.input.n}"},
        "t": [True, None, 1.5],
    }


def test_keys_that_need_brackets_are_bracketed() -> None:
    """Keys with spaces or a leading digit use ['...']; int indexes use [n]; '-' stays dotted."""

    @workflow
    def wf() -> None:
        h = fetch()
        use([h.output["a b"], h.output["1st"], h.output.items[0], h.output["x-y"]])

    assert inputs_of(wf) == [
        "${fetch.output['a b']}",
        "${fetch.output['1st']}",
        "${fetch.output.items[0]}",
        "${fetch.output.x-y}",
    ]


def test_ref_formats_and_reprs() -> None:
    """A Ref's str/format is its ${...} expression; its repr says Ref."""
    ref = secret("api_key")
    assert isinstance(ref, Ref)
    assert str(ref) == "${workflow.secrets.api_key}"
    assert f"{ref}" == "${workflow.secrets.api_key}"
    assert repr(ref) == "Ref('${workflow.secrets.api_key}')"


def test_handle_exposes_ref_and_type() -> None:
    """A task call returns a Handle carrying its taskReferenceName and type."""
    seen: list[Handle[Any]] = []

    @workflow
    def wf() -> None:
        seen.append(fetch())

    compile_workflow(wf)
    assert (seen[0].ref, seen[0].type) == ("fetch", "SIMPLE")


# -- misuse -------------------------------------------------------------------------------------


def misuse(action: str) -> SymbolicValueError:
    """Compile a workflow whose line marked ``misuse-<action>`` does ``action`` on a reference."""

    @workflow
    def wf() -> None:
        r = fetch().output.flag
        if action == "if":
            if r:  # misuse-if
                use()
        elif action == "for":
            for _ in r:  # misuse-for
                use()
        elif action == "eq":
            use(r == 1)  # misuse-eq
        elif action == "len":
            use(len(r))  # misuse-len
        elif action == "bool":
            use(bool(r))  # misuse-bool
        elif action == "lt":
            use(r < 3)  # misuse-lt

    with pytest.raises(SymbolicValueError) as info:
        compile_workflow(wf)
    return info.value


MISUSES = {
    "if": "with `if`/`and`/`or`/`not`",
    "for": "with `for` or unpacking",
    "eq": "with `==`/`!=`",
    "len": "takes len() of",
    "bool": "with `if`/`and`/`or`/`not`",
    "lt": "with `<`/`>`",
}


@pytest.mark.parametrize("action", sorted(MISUSES))
def test_misuse_says_what_was_done(action: str) -> None:
    """Each misuse raises SymbolicValueError saying what the code did with which output."""
    err = misuse(action)
    assert "the task output '${fetch.output.flag}'" in str(err)
    assert MISUSES[action] in str(err)
    assert "Task outputs exist only when the workflow runs on Conductor" in str(err)


@pytest.mark.parametrize("action", sorted(MISUSES))
def test_misuse_names_the_users_line(action: str) -> None:
    """The error's .location, and the start of its message, is the user's file:line of the misuse."""
    err = misuse(action)
    assert str(err.location) == f"{here()}:{line_of('misuse-' + action)}"
    assert str(err).startswith(f"{err.location}: Workflow 'wf' ")


@pytest.mark.parametrize("action", ["if", "for", "eq", "bool", "lt"])
def test_misuse_points_at_switch_or_dynamic_fork(action: str) -> None:
    """The message points at the run-time equivalent: switch or dynamic_fork."""
    message = str(misuse(action))
    assert "flowdsl.switch(" in message or "flowdsl.dynamic_fork(" in message


def test_iteration_misuse_suggests_dynamic_fork_and_do_while() -> None:
    """for over a reference points at dynamic_fork and do_while(items=)."""
    message = str(misuse("for"))
    assert "flowdsl.dynamic_fork(task, inputs)" in message
    assert "flowdsl.do_while(body, condition, items=...)" in message


def test_handle_truth_test_is_refused() -> None:
    """`if handle` raises SymbolicValueError about ${ref.output}."""

    @workflow
    def wf() -> None:
        if fetch():
            use()

    with pytest.raises(SymbolicValueError, match=r"tests the task output '\$\{fetch.output\}'"):
        compile_workflow(wf)


def test_reference_as_dict_key_is_refused() -> None:
    """Using a reference as a dict key raises SymbolicValueError (hashing)."""

    @workflow
    def wf() -> None:
        use({fetch().output.k: 1})

    with pytest.raises(SymbolicValueError, match="hashes the task output"):
        compile_workflow(wf)


def test_arithmetic_on_a_reference_is_refused() -> None:
    """Arithmetic on a reference raises SymbolicValueError."""

    @workflow
    def wf() -> None:
        use(fetch().output.n * 2)

    with pytest.raises(SymbolicValueError, match="converts to a number"):
        compile_workflow(wf)


def test_misuse_outside_a_workflow_says_your_code() -> None:
    """A reference misused outside tracing still raises, phrased for plain code."""
    with pytest.raises(SymbolicValueError, match=r"^.*: Your code tests the task output"):
        bool(secret("x"))


# -- declared outputs ---------------------------------------------------------------------------


def test_declared_keys_are_accepted() -> None:
    """Keys a TypedDict return type declares (nested too) compile."""

    @workflow
    def wf() -> None:
        h = upload("p")
        use([h.output.url, h.output["meta"]["size"]])

    assert inputs_of(wf) == ["${upload.output.url}", "${upload.output.meta.size}"]


def test_undeclared_typeddict_key_is_a_compile_error() -> None:
    """An undeclared key of a TypedDict output is reported with a did-you-mean at the user's line."""

    @workflow
    def wf() -> None:
        use(upload("p").output.urll)  # bad-key

    (problem,) = problems_of(wf)
    assert problem.code == "unknown-output"
    assert "'urll'" in problem.message
    assert "'meta', 'url'" in problem.message
    assert problem.hint == "Did you mean 'url'?"
    assert str(problem.location) == f"{here()}:{line_of('bad-key')}"


def test_undeclared_nested_key_is_a_compile_error() -> None:
    """Nested TypedDict keys are checked too."""

    @workflow
    def wf() -> None:
        use(upload("p").output["meta"]["sise"])

    (problem,) = problems_of(wf)
    assert "upload.output.meta" in problem.message
    assert "no key 'sise'" in problem.message
    assert "'mime', 'size'" in problem.message
    assert problem.hint == "Did you mean 'size'?"


def test_undeclared_dataclass_key_is_a_compile_error() -> None:
    """A dataclass return type declares its fields as output keys."""

    @workflow
    def wf() -> None:
        use(stats().output.cnt)

    (problem,) = problems_of(wf)
    assert "'cnt'" in problem.message
    assert "'count'" in problem.message
    assert problem.hint == "Did you mean 'count'?"


def test_undeclared_attrs_key_is_a_compile_error() -> None:
    """An attrs class return type declares its attributes as output keys."""

    @workflow
    def wf() -> None:
        use(totals().output["totl"])

    (problem,) = problems_of(wf)
    assert "'totl'" in problem.message
    assert "'total'" in problem.message
    assert problem.hint == "Did you mean 'total'?"


def test_every_undeclared_key_is_reported() -> None:
    """Two bad keys in one workflow give two problems."""

    @workflow
    def wf() -> None:
        use(upload("p").output.nope)
        use(stats().output.nada)

    assert [p.code for p in problems_of(wf)] == ["unknown-output", "unknown-output"]


def test_declared_output_keys_go_to_taskdef() -> None:
    """The declared keys become the TaskDef outputKeys."""

    @workflow
    def wf() -> None:
        upload("p")

    assert compile_workflow(wf).task_defs[0]["outputKeys"] == ["url", "meta"]


def test_plain_dict_return_type_checks_nothing() -> None:
    """A dict[str, Any] return type declares no keys: any key is accepted and no outputKeys."""

    @workflow
    def wf() -> None:
        use(fetch().output.anything)

    compiled = compile_workflow(wf)
    assert "outputKeys" not in compiled.task_defs[0]


# -- reference names ----------------------------------------------------------------------------


def refs_of(fn: Any) -> list[str]:
    return [t["taskReferenceName"] for t in compile_workflow(fn).workflow_def["tasks"]]


def test_refs_number_repeated_calls_in_call_order() -> None:
    """Refs are the task name, then _2, _3 in call order."""

    @workflow
    def wf() -> None:
        fetch()
        use()
        fetch()
        fetch()

    assert refs_of(wf) == ["fetch", "use", "fetch_2", "fetch_3"]


def test_explicit_ref_overrides_and_numbering_skips_it() -> None:
    """An explicit ref is used as given and automatic names skip the taken ones."""

    @workflow
    def wf() -> None:
        fetch()
        fetch.options(ref="fetch_2")()
        fetch()
        fetch.options(ref="primary")()

    assert refs_of(wf) == ["fetch", "fetch_2", "fetch_3", "primary"]


def test_double_underscore_in_explicit_ref_is_refused() -> None:
    """An explicit ref containing '__' is an error at the call line."""

    @workflow
    def wf() -> None:
        fetch.options(ref="bad__ref")()  # dunder-ref

    errors = [p for p in problems_of(wf) if p.severity == "error"]
    assert [p.code for p in errors] == ["bad-ref"]
    assert errors[0].message == "taskReferenceName 'bad__ref' contains '__'"
    assert "splits on '__'" in (errors[0].hint or "")
    assert str(errors[0].location) == f"{here()}:{line_of('dunder-ref')}"


def test_generated_refs_never_contain_double_underscores() -> None:
    """A task name with '__' or odd characters gives a cleaned automatic ref."""

    @task(name="odd__name.v2")
    def odd() -> None: ...

    @workflow
    def wf() -> None:
        odd()

    assert refs_of(wf) == ["odd_name_v2"]
