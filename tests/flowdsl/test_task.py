"""@task: TaskDef options, the plain function, per-call options and argument checking."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from compiler import compile_workflow
from flowdsl import (
    OptionError,
    RetryLogic,
    TaskFunction,
    TimeoutPolicy,
    task,
    workflow,
)
from flowdsl.errors import FlowError
from tests.support import display_path, marker_line, problems_of


def here() -> str:
    """This file as flowdsl displays it."""
    return display_path(__file__)


def line_of(marker: str) -> int:
    """The line of this file ending with the comment ``# marker``."""
    return marker_line(__file__, marker)


def task_def_of(fn: TaskFunction[..., Any], *args: Any) -> dict[str, Any]:
    """The TaskDef emitted for ``fn`` when a one-step workflow calls it with ``args``."""

    @workflow
    def one() -> None:
        fn(*args)

    return compile_workflow(one).task_defs[0]


@task
def convert(file: str, fmt: str = "png") -> dict[str, str]:
    return {"out": f"{file}.{fmt}"}


# -- TaskDef options ----------------------------------------------------------------------------

SAFE = {"timeout_seconds": 100, "response_timeout_seconds": 50}
OPTIONS = [
    ("description", "resizes", "description", "resizes"),
    ("owner_email", "a@b.c", "ownerEmail", "a@b.c"),
    ("retry_count", 5, "retryCount", 5),
    ("retry_logic", "LINEAR_BACKOFF", "retryLogic", "LINEAR_BACKOFF"),
    ("retry_delay_seconds", 7, "retryDelaySeconds", 7),
    ("backoff_scale_factor", 2, "backoffScaleFactor", 2),
    ("max_retry_delay_seconds", 90, "maxRetryDelaySeconds", 90),
    ("backoff_jitter_ms", 15, "backoffJitterMs", 15),
    ("timeout_seconds", 300, "timeoutSeconds", 300),
    ("response_timeout_seconds", 20, "responseTimeoutSeconds", 20),
    ("poll_timeout_seconds", 30, "pollTimeoutSeconds", 30),
    ("total_timeout_seconds", 600, "totalTimeoutSeconds", 600),
    ("timeout_policy", "RETRY", "timeoutPolicy", "RETRY"),
    ("rate_limit_per_frequency", 4, "rateLimitPerFrequency", 4),
    ("rate_limit_frequency_in_seconds", 10, "rateLimitFrequencyInSeconds", 10),
    ("concurrent_exec_limit", 3, "concurrentExecLimit", 3),
    ("input_keys", ["a", "b"], "inputKeys", ["a", "b"]),
    ("output_keys", ("x",), "outputKeys", ["x"]),
    ("input_template", {"k": 1}, "inputTemplate", {"k": 1}),
    ("isolation_group_id", "grp", "isolationGroupId", "grp"),
    ("execution_name_space", "ns", "executionNameSpace", "ns"),
    ("runtime_metadata", ["SECRET"], "runtimeMetadata", ["SECRET"]),
    ("input_schema", {"type": "object"}, "inputSchema", {"type": "object"}),
    ("output_schema", {"type": "object"}, "outputSchema", {"type": "object"}),
    ("enforce_schema", True, "enforceSchema", True),
    ("task_status_listener_enabled", False, "taskStatusListenerEnabled", False),
]


@pytest.mark.parametrize(
    ("option", "value", "field", "expected"), OPTIONS, ids=[o[0] for o in OPTIONS]
)
def test_every_taskdef_option_is_emitted_under_its_conductor_name(
    option: str, value: Any, field: str, expected: Any
) -> None:
    """Each snake_case @task option becomes the camelCase TaskDef field with the given value."""
    extra = {k: v for k, v in SAFE.items() if k != option}
    if option == "response_timeout_seconds":
        extra = {}
    if option == "timeout_seconds":
        extra = {"response_timeout_seconds": 50}
    fn = task(name="opt_task", **{option: value}, **extra)(lambda: None)
    assert task_def_of(fn)[field] == expected


def test_taskdef_defaults_are_written_out() -> None:
    """A task without options gets Conductor's defaults written explicitly, plus its input keys."""
    assert task_def_of(convert, "a") == {
        "name": "convert",
        "retryCount": 3,
        "retryLogic": "FIXED",
        "retryDelaySeconds": 60,
        "timeoutSeconds": 0,
        "timeoutPolicy": "TIME_OUT_WF",
        "responseTimeoutSeconds": 3600,
        "rateLimitPerFrequency": 0,
        "rateLimitFrequencyInSeconds": 1,
        "inputKeys": ["file", "fmt"],
    }


def test_durations_accept_timedelta() -> None:
    """Duration options take a timedelta and emit whole seconds."""
    fn = task(
        name="slow",
        timeout_seconds=timedelta(minutes=5),
        response_timeout_seconds=timedelta(seconds=30),
        retry_delay_seconds=timedelta(minutes=1),
    )(lambda: None)
    td = task_def_of(fn)
    assert (td["timeoutSeconds"], td["responseTimeoutSeconds"], td["retryDelaySeconds"]) == (
        300,
        30,
        60,
    )


def test_fractional_timedelta_is_refused() -> None:
    """A timedelta that is not a whole number of seconds raises OptionError."""
    with pytest.raises(OptionError, match="whole number of seconds"):
        task(timeout_seconds=timedelta(milliseconds=1500))


def test_float_duration_is_refused() -> None:
    """A float duration raises OptionError naming the option."""
    with pytest.raises(
        OptionError, match=r"timeout_seconds=1\.5 must be int seconds or a datetime\.timedelta"
    ):
        task(timeout_seconds=1.5)


def test_enums_accept_the_python_enum() -> None:
    """RetryLogic / TimeoutPolicy members emit their Conductor strings."""
    fn = task(
        name="e",
        retry_logic=RetryLogic.EXPONENTIAL_BACKOFF,
        timeout_policy=TimeoutPolicy.ALERT_ONLY,
    )(lambda: None)
    td = task_def_of(fn)
    assert (td["retryLogic"], td["timeoutPolicy"]) == ("EXPONENTIAL_BACKOFF", "ALERT_ONLY")


def test_enums_accept_strings_in_any_case() -> None:
    """Enum strings are matched case-insensitively and emitted upper-case."""
    fn = task(name="e2", retry_logic="exponential_backoff")(lambda: None)
    assert task_def_of(fn)["retryLogic"] == "EXPONENTIAL_BACKOFF"


def test_unknown_enum_value_is_refused() -> None:
    """An enum string Conductor does not know raises OptionError listing the allowed values."""
    with pytest.raises(
        OptionError, match="is not one of FIXED, LINEAR_BACKOFF, EXPONENTIAL_BACKOFF"
    ):
        task(retry_logic="SOMETIMES")


def test_unknown_option_suggests_the_close_one() -> None:
    """A misspelt option raises OptionError with a did-you-mean."""
    with pytest.raises(
        OptionError,
        match=re.escape("@task has no option 'retry_cont'. Did you mean 'retry_count'?"),
    ):
        task(retry_cont=3)


def test_unknown_option_error_points_at_the_decorator_line() -> None:
    """The OptionError for an unknown option carries the user's file:line."""
    with pytest.raises(OptionError) as info:
        task(timout_seconds=3)  # bad-option
    assert str(info.value.location) == f"{here()}:{line_of('bad-option')}"


def test_wrong_kind_of_value_is_refused() -> None:
    """A value of the wrong kind (str for a count) raises OptionError."""
    with pytest.raises(OptionError, match="retry_count='3' must be an int"):
        task(retry_count="3")


def test_option_error_is_a_flow_error_and_type_error() -> None:
    """OptionError can be caught as FlowError or TypeError."""
    assert issubclass(OptionError, FlowError)
    assert issubclass(OptionError, TypeError)


def test_varargs_task_is_refused() -> None:
    """A task taking *args raises OptionError: Conductor inputs are named."""
    with pytest.raises(OptionError, match=r"takes \*items; Conductor task inputs are named"):

        @task
        def bad(*items: int) -> None: ...


# -- name and .fn -------------------------------------------------------------------------------


def test_name_defaults_to_the_function_name() -> None:
    """Without name= the task is named after the function."""
    assert convert.name == "convert"
    assert task_def_of(convert, "a")["name"] == "convert"


def test_explicit_name_is_used_for_taskdef_and_task() -> None:
    """name= sets both the TaskDef name and the WorkflowTask name."""

    @task(name="image_convert_resize")
    def resize(file: str) -> None: ...

    @workflow
    def wf() -> None:
        resize("a.png")

    compiled = compile_workflow(wf)
    assert compiled.task_defs[0]["name"] == "image_convert_resize"
    assert compiled.workflow_def["tasks"][0]["name"] == "image_convert_resize"
    assert compiled.workflow_def["tasks"][0]["taskReferenceName"] == "image_convert_resize"


def test_fn_runs_the_plain_function() -> None:
    """.fn is the undecorated function and runs normally."""
    assert convert.fn("cat", fmt="jpg") == {"out": "cat.jpg"}


def test_decorated_task_keeps_the_function_metadata() -> None:
    """The TaskFunction looks like the function it wraps (name, docstring)."""

    @task
    def documented() -> None:
        """Docs here."""

    assert documented.__name__ == "documented"
    assert documented.__doc__ == "Docs here."


def test_calling_a_task_outside_a_workflow_points_at_fn() -> None:
    """A task called outside a workflow raises a FlowError that tells the user about .fn."""
    with pytest.raises(FlowError) as info:
        convert("x")
    message = str(info.value)
    assert "task 'convert' was called outside a workflow function being compiled" in message
    assert "call its .fn attribute" in message


# -- per-call options ---------------------------------------------------------------------------


def test_call_options_set_workflow_task_fields() -> None:
    """.options(ref=, optional=, permissive=, start_delay=, retry_count=) set the WorkflowTask fields."""

    @workflow
    def wf() -> None:
        convert.options(
            ref="resize_jpg", optional=True, permissive=True, start_delay=5, retry_count=0
        )("a")

    assert compile_workflow(wf).workflow_def["tasks"][0] == {
        "name": "convert",
        "taskReferenceName": "resize_jpg",
        "type": "SIMPLE",
        "inputParameters": {"file": "a"},
        "optional": True,
        "permissive": True,
        "startDelay": 5,
        "retryCount": 0,
    }


def test_call_option_start_delay_accepts_timedelta() -> None:
    """start_delay= takes a timedelta and emits seconds."""

    @workflow
    def wf() -> None:
        convert.options(start_delay=timedelta(minutes=2))("a")

    assert compile_workflow(wf).workflow_def["tasks"][0]["startDelay"] == 120


def test_call_options_do_not_change_the_taskdef() -> None:
    """Per-call options leave the task's TaskDef alone."""

    @workflow
    def wf() -> None:
        convert.options(retry_count=9)("a")

    assert compile_workflow(wf).task_defs[0]["retryCount"] == 3


def test_call_option_task_def_embeds_a_taskdef_for_that_call() -> None:
    """.options(task_def=...) writes an inline taskDefinition (Conductor's defaults spelled out);
    the simulator then runs that call with it (here: 1 retry, not the registered 3)."""
    from testing.simulator import Simulator

    @workflow
    def wf() -> None:
        convert.options(task_def=dict(retry_count=1, retry_delay_seconds=5))("a")

    compiled = compile_workflow(wf)
    inline = compiled.workflow_def["tasks"][0]["taskDefinition"]
    assert inline["name"] == "convert"
    assert (inline["retryCount"], inline["retryDelaySeconds"]) == (1, 5)
    assert inline["responseTimeoutSeconds"] == 3600  # Conductor's default, written out
    assert compiled.task_defs[0]["retryCount"] == 3  # the registered TaskDef is unchanged
    sim = Simulator()
    sim.mock("convert").fails(times=5)
    run = sim.run(compiled)
    assert run.status == "FAILED"
    assert run.task("convert").attempts == 2
    assert run.duration == timedelta(seconds=5)


def test_call_option_task_def_names_its_mistakes() -> None:
    with pytest.raises(FlowError, match="task_def has no option 'retries'") as info:

        @workflow
        def wf() -> None:
            convert.options(task_def=dict(retries=1))("a")  # bad task_def

        compile_workflow(wf)
    assert info.value.location is not None and info.value.location.line == line_of("bad task_def")


# -- arguments ----------------------------------------------------------------------------------


def test_positional_and_keyword_inputs_are_named_by_parameter() -> None:
    """Positional arguments are named after the parameters; keyword ones keep their names."""

    @workflow
    def wf() -> None:
        convert("a.png", fmt="jpg")

    assert compile_workflow(wf).workflow_def["tasks"][0]["inputParameters"] == {
        "file": "a.png",
        "fmt": "jpg",
    }


def test_defaulted_inputs_are_left_out_when_not_passed() -> None:
    """An input with a Python default that is not passed is not written."""

    @workflow
    def wf() -> None:
        convert("a.png")

    assert compile_workflow(wf).workflow_def["tasks"][0]["inputParameters"] == {"file": "a.png"}


def test_unknown_input_suggests_the_close_one() -> None:
    """An unknown keyword input is reported with a did-you-mean at the call line."""

    @workflow
    def wf() -> None:
        convert("a", fmat="jpg")  # unknown-input

    (problem,) = problems_of(wf)
    assert problem.message == "task 'convert' has no input 'fmat'"
    assert problem.hint == "Did you mean 'fmt'?"
    assert str(problem.location) == f"{here()}:{line_of('unknown-input')}"


def test_missing_input_is_reported() -> None:
    """A required input that is not passed is reported at the call line."""

    @workflow
    def wf() -> None:
        convert(fmt="jpg")  # missing-input

    (problem,) = problems_of(wf)
    assert problem.message == "task 'convert' is missing input 'file'"
    assert str(problem.location) == f"{here()}:{line_of('missing-input')}"


def test_too_many_positional_inputs_are_reported() -> None:
    """More positional arguments than parameters are reported, listing the inputs."""

    @workflow
    def wf() -> None:
        convert("a", "b", "c")  # too-many

    (problem,) = problems_of(wf)
    assert problem.message == "task 'convert' takes 2 inputs but 3 were given positionally"
    assert problem.hint == "Inputs: file, fmt."
    assert str(problem.location) == f"{here()}:{line_of('too-many')}"


def test_input_given_twice_is_reported() -> None:
    """The same input given positionally and by keyword is reported."""

    @workflow
    def wf() -> None:
        convert("a", file="b")

    (problem,) = problems_of(wf)
    assert problem.message == "task 'convert' got input 'file' twice"


def test_var_keyword_task_accepts_any_input() -> None:
    """A task taking **kwargs accepts inputs it does not name."""

    @task
    def anything(**inputs: Any) -> None: ...

    @workflow
    def wf() -> None:
        anything(colour="red")

    assert compile_workflow(wf).workflow_def["tasks"][0]["inputParameters"] == {"colour": "red"}
