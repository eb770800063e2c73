"""Worker mocks: the Conductor format, the Python builders, lookup, cursors and reproduction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from testing.mocks import MockError, Mocks, NoMockError, WorkerStep

ROOT = "$.taskRefToMockOutput"


def error_for(data: Any) -> MockError:
    """The MockError that ``Mocks.from_conductor(data)`` raises."""
    with pytest.raises(MockError) as caught:
        Mocks.from_conductor(data)
    return caught.value


def steps(mocks: Mocks, ref: str, name: str, count: int) -> list[WorkerStep | None]:
    """The next ``count`` steps for ``ref``."""
    return [mocks.next_step(ref, name, attempt) for attempt in range(count)]


def issue_example() -> Mocks:
    """The issue's example configuration."""
    sim = Mocks()
    sim.mock("upload_toS3").fails(times=2, after=timedelta(seconds=3)).then_completes(
        {"s3Url": "s3://x"}
    )
    return sim


def rich_configuration() -> Mocks:
    """A configuration that uses every builder method and a Conductor-format list."""
    sim = issue_example()
    sim.mock("poll_ref").waits_in_queue(timedelta(milliseconds=1500)).in_progress(
        timedelta(seconds=30), output={"progress": 0.5}
    ).fails_terminally("bad input", after=timedelta(milliseconds=250)).times_out().never_polled()
    sim.mock("flaky").fails(reason="disk full", output={"code": 7}).then_fails(
        times=2
    ).waits_in_queue(timedelta(seconds=2)).times_out().completes()
    sim.load_conductor(
        {"notify": [{"status": "CANCELED", "reasonForIncompletion": "x"}, {"polled": False}]}
    )
    return sim


# --- the Conductor format -------------------------------------------------------------------


def test_empty_entry_is_a_completed_update_with_defaults() -> None:
    """An entry {} is a COMPLETED update with empty output and zero times."""
    step = Mocks.from_conductor({"a": [{}]}).next_step("a", "task_a", 0)
    assert step == WorkerStep()
    assert (step.status, step.output, step.execution_ms, step.queue_wait_ms) == (
        "COMPLETED",
        {},
        0,
        0,
    )


def test_every_field_is_read() -> None:
    """Every Conductor field and extension lands in its WorkerStep attribute."""
    entry = {
        "status": "IN_PROGRESS",
        "output": {"k": [1, None]},
        "executionTime": 1200,
        "queueWaitTime": 300,
        "reasonForIncompletion": "still going",
        "callbackAfterSeconds": 45,
        "polled": True,
        "responds": True,
    }
    step = Mocks.from_conductor({"a": [entry]}).next_step("a", "task_a", 0)
    assert step == WorkerStep("IN_PROGRESS", {"k": [1, None]}, 1200, 300, "still going", 45)


def test_unpolled_and_unanswered_entries() -> None:
    """ "polled": false and "responds": false (with its queue wait) become non-update steps."""
    mocks = Mocks.from_conductor(
        {"a": [{"polled": False}, {"responds": False, "queueWaitTime": 9}]}
    )
    first, second = steps(mocks, "a", "task_a", 2)
    assert first == WorkerStep(polled=False) and first is not None and not first.is_update
    assert second == WorkerStep(queue_wait_ms=9, responds=False)


def test_to_json_writes_status_and_only_non_default_fields() -> None:
    """to_json keeps status and drops every field at its default."""
    assert WorkerStep().to_json() == {"status": "COMPLETED"}
    assert WorkerStep("FAILED", execution_ms=5, reason="").to_json() == {
        "status": "FAILED",
        "executionTime": 5,
        "reasonForIncompletion": "",
    }


def test_to_json_of_steps_without_an_update() -> None:
    """A non-update step is written without a status."""
    assert WorkerStep(polled=False).to_json() == {"polled": False}
    assert WorkerStep(queue_wait_ms=4, responds=False).to_json() == {
        "responds": False,
        "queueWaitTime": 4,
    }


def test_top_level_must_be_an_object() -> None:
    """A non-object taskRefToMockOutput is reported at the root path."""
    err = error_for([{"status": "COMPLETED"}])
    assert (err.path, str(err)) == (ROOT, f"{ROOT}: {err.message}")
    assert "must be an object" in err.message


def test_custom_root_path() -> None:
    """The path argument prefixes every reported path."""
    with pytest.raises(MockError) as caught:
        Mocks.from_conductor({"a": [{"status": "DONE"}]}, path="$.tests[2].mocks")
    assert caught.value.path == "$.tests[2].mocks.a[0].status"


@pytest.mark.parametrize(
    ("entries", "shown"), [({}, "got an object"), ([], "got an empty list"), ("x", "got a string")]
)
def test_value_must_be_a_non_empty_list(entries: Any, shown: str) -> None:
    """Each key maps to a non-empty list of entries."""
    err = error_for({"a": entries})
    assert err.path == f"{ROOT}.a"
    assert "must be a list of entries" in err.message and shown in err.message


def test_entry_must_be_an_object() -> None:
    """A non-object entry is reported at its index."""
    err = error_for({"a": [{}, "COMPLETED"]})
    assert err.path == f"{ROOT}.a[1]"
    assert 'must be an object like {"status": "FAILED"}' in err.message


def test_unknown_field_suggests_the_closest() -> None:
    """A misspelt field gets a did-you-mean."""
    err = error_for({"a": [{"executonTime": 3}]})
    assert err.path == f"{ROOT}.a[0].executonTime"
    assert err.message == "unknown field 'executonTime'; did you mean 'executionTime'?"


@pytest.mark.parametrize(
    ("field", "meant"),
    [
        ("queue_wait_ms", "queueWaitTime"),
        ("reason", "reasonForIncompletion"),
        ("outputData", "output"),
    ],
)
def test_python_style_field_names_point_to_the_conductor_name(field: str, meant: str) -> None:
    """Python attribute names and Conductor's TaskResult names map to the mock field."""
    assert f"did you mean '{meant}'?" in error_for({"a": [{field: 1}]}).message


def test_unrelated_unknown_field_lists_the_fields() -> None:
    """With nothing close, the message lists the known fields."""
    assert "use one of status, output, executionTime" in error_for({"a": [{"zzz": 1}]}).message


def test_unknown_status_suggests_the_closest() -> None:
    """A lower-case or misspelt status gets a did-you-mean."""
    err = error_for({"a": [{"status": "failed_with_terminal"}]})
    assert err.path == f"{ROOT}.a[0].status"
    assert err.message.endswith("did you mean 'FAILED_WITH_TERMINAL_ERROR'?")


def test_engine_status_explains_the_extension_to_use() -> None:
    """TIMED_OUT is not a worker status; the hint names responds/polled."""
    err = error_for({"a": [{"status": "TIMED_OUT"}]})
    assert 'cannot report "TIMED_OUT"' in err.message and '"responds"' in err.message


@pytest.mark.parametrize("field", ["executionTime", "queueWaitTime", "callbackAfterSeconds"])
def test_negative_times_are_rejected(field: str) -> None:
    """A negative time is reported at its field."""
    err = error_for({"a": [{"status": "IN_PROGRESS", field: -1}]})
    assert (err.path, err.message) == (
        f"{ROOT}.a[0].{field}",
        "must not be negative, got -1; use 0 for none",
    )


@pytest.mark.parametrize("value", [1.5, 2.0, True, "10"])
def test_times_must_be_integers(value: Any) -> None:
    """Times are whole numbers of milliseconds: no floats, bools or strings."""
    err = error_for({"a": [{"executionTime": value}]})
    assert err.message.startswith("must be a whole number of milliseconds, got ")


@pytest.mark.parametrize("value", [None, [1], "text"])
def test_output_must_be_an_object(value: Any) -> None:
    """output must be a JSON object."""
    err = error_for({"a": [{"output": value}]})
    assert err.path == f"{ROOT}.a[0].output"
    assert err.message.startswith("must be an object ({} for none), got ")


def test_flags_must_be_booleans() -> None:
    """polled and responds take true or false only."""
    assert error_for({"a": [{"polled": 0}]}).message == "must be true or false, got a number (0)"


def test_callback_needs_in_progress() -> None:
    """callbackAfterSeconds with another status is an error; 0 is accepted anywhere."""
    err = error_for({"a": [{"status": "COMPLETED", "callbackAfterSeconds": 5}]})
    assert err.path == f"{ROOT}.a[0].callbackAfterSeconds"
    assert '"IN_PROGRESS"' in err.message
    assert Mocks.from_conductor({"a": [{"callbackAfterSeconds": 0}]}).has("a", "n")


def test_unpolled_entry_takes_no_other_field() -> None:
    """With "polled": false even a status is rejected, as it would mean nothing."""
    err = error_for({"a": [{"status": "FAILED", "polled": False}]})
    assert err.path == f"{ROOT}.a[0].status"
    assert err.message.startswith('has no effect when "polled" is false')


def test_unanswered_entry_takes_no_update_field() -> None:
    """With "responds": false an output is rejected."""
    err = error_for({"a": [{"responds": False, "output": {"x": 1}}]})
    assert err.path == f"{ROOT}.a[0].output"
    assert err.message.startswith('has no effect when "responds" is false')


def test_keys_that_are_not_identifiers_use_bracket_paths() -> None:
    """A ref such as "a.b" is quoted in the JSON path."""
    assert error_for({"a.b": [{"status": "NOPE"}]}).path == f'{ROOT}["a.b"][0].status'


def test_loading_is_all_or_nothing() -> None:
    """A load with one bad key adds nothing."""
    mocks = Mocks().load_conductor({"ok": [{}]})
    with pytest.raises(MockError):
        mocks.load_conductor({"new": [{}], "bad": [{"status": "?"}]})
    assert mocks.to_conductor() == {"ok": [{"status": "COMPLETED"}]}


# --- lookup and cursors ---------------------------------------------------------------------


def test_ref_takes_precedence_over_task_name() -> None:
    """A key naming the ref beats a key naming the task."""
    sim = Mocks()
    sim.mock("upload").completes({"by": "name"})
    sim.mock("upload_ref").completes({"by": "ref"})
    step, other = sim.next_step("upload_ref", "upload", 0), sim.next_step("upload_2", "upload", 0)
    assert step is not None and step.output == {"by": "ref"}
    assert other is not None and other.output == {"by": "name"}


def test_each_ref_has_its_own_cursor() -> None:
    """A task-name list serves each ref from its start."""
    mocks = Mocks.from_conductor({"upload": [{"status": "FAILED"}, {}]})
    assert [s and s.status for s in steps(mocks, "a", "upload", 1)] == ["FAILED"]
    assert [s and s.status for s in steps(mocks, "b", "upload", 2)] == ["FAILED", "COMPLETED"]
    assert [s and s.status for s in steps(mocks, "a", "upload", 1)] == ["COMPLETED"]


def test_to_conductor_repeats_the_last_step_as_often_as_any_cursor_used_it() -> None:
    """The first cursor of a builder and the others are counted alike."""
    mocks = Mocks()
    mocks.mock("upload").completes({"n": 1})
    steps(mocks, "a", "upload", 1)
    steps(mocks, "b", "upload", 3)
    assert mocks.to_conductor() == {"upload": [{"status": "COMPLETED", "output": {"n": 1}}] * 3}
    steps(mocks, "a", "upload", 3)
    assert len(mocks.to_conductor()["upload"]) == 4


def test_conductor_list_is_used_up() -> None:
    """A Conductor-format list is exact: after its last entry next_step returns None."""
    mocks = Mocks.from_conductor({"a": [{}]})
    assert steps(mocks, "a", "n", 3) == [WorkerStep(), None, None]
    assert mocks.has("a", "n")


def test_unmocked_task_gets_none() -> None:
    """With neither the ref nor the name configured there is no step."""
    assert Mocks().next_step("a", "n", 0) is None and not Mocks().has("a", "n")


def test_builder_last_step_repeats() -> None:
    """A builder's last step answers every later update."""
    sim = Mocks()
    sim.mock("a").fails().then_completes({"x": 1})
    got = steps(sim, "a", "n", 4)
    assert [s and s.status for s in got] == ["FAILED", "COMPLETED", "COMPLETED", "COMPLETED"]


def test_empty_builder_counts_as_not_configured() -> None:
    """sim.mock(key) with no step falls through to the task name."""
    sim = Mocks()
    sim.mock("n").completes()
    sim.mock("a")
    assert sim.next_step("a", "n", 0) == WorkerStep() and "a" not in sim.to_conductor()


def test_mocking_a_key_again_replaces_it_and_resets_cursors() -> None:
    """A second sim.mock(key) starts over."""
    sim = Mocks()
    sim.mock("a").fails().then_completes()
    sim.next_step("a", "n", 0)
    sim.mock("a").fails_terminally()
    assert [s and s.status for s in steps(sim, "a", "n", 2)] == ["FAILED_WITH_TERMINAL_ERROR"] * 2


def test_require_names_ref_and_attempt() -> None:
    """require raises NoMockError naming the ref and attempt, for a missing or used-up mock."""
    mocks = Mocks.from_conductor({"a": [{}]})
    mocks.require("a", "n", 0)
    with pytest.raises(NoMockError, match=r"^task 'a', attempt 1: the 1 entries under \"a\""):
        mocks.require("a", "n", 1)
    with pytest.raises(NoMockError, match=r"^task 'b', attempt 0: nothing mocks it") as caught:
        mocks.require("b", "n", 0)
    assert (caught.value.ref, caught.value.attempt) == ("b", 0)


# --- the Python builders --------------------------------------------------------------------


def test_issue_example_chain() -> None:
    """fails(times=2, after=3s).then_completes(...) gives two failures then the output."""
    first, second, third = steps(issue_example(), "up_ref", "upload_toS3", 3)
    failure = WorkerStep("FAILED", execution_ms=3000, reason="mocked failure")
    assert (first, second) == (failure, failure)
    assert third == WorkerStep(output={"s3Url": "s3://x"})


def test_waits_in_queue_applies_to_the_next_step_only() -> None:
    """waits_in_queue sets queue_wait_ms on the following step, not on the repeats of fails."""
    sim = Mocks()
    sim.mock("a").waits_in_queue(timedelta(milliseconds=20)).fails(times=2).completes()
    assert [s and s.queue_wait_ms for s in steps(sim, "a", "n", 3)] == [20, 0, 0]


def test_in_progress_times_out_and_never_polled() -> None:
    """in_progress, times_out and never_polled build the matching steps."""
    sim = Mocks()
    sim.mock("a").in_progress(timedelta(minutes=1), after=timedelta(seconds=2)).times_out()
    sim.mock("b").never_polled()
    assert steps(sim, "a", "n", 2) == [
        WorkerStep("IN_PROGRESS", execution_ms=2000, callback_after_seconds=60),
        WorkerStep(responds=False),
    ]
    assert sim.next_step("b", "n", 0) == WorkerStep(polled=False)


def test_fails_terminally_reports_terminal_error() -> None:
    """fails_terminally gives FAILED_WITH_TERMINAL_ERROR with its reason."""
    sim = Mocks()
    sim.mock("a").fails_terminally("bad input")
    assert sim.next_step("a", "n", 0) == WorkerStep(
        "FAILED_WITH_TERMINAL_ERROR", reason="bad input"
    )


@pytest.mark.parametrize(
    ("call", "error", "text"),
    [
        (lambda b: b.fails(times=0), ValueError, "times must be at least 1"),
        (lambda b: b.fails(times=True), TypeError, "times must be an int"),
        (
            lambda b: b.completes(after=timedelta(seconds=-1)),
            ValueError,
            "after must not be negative",
        ),
        (
            lambda b: b.completes(after=timedelta(microseconds=1500)),
            ValueError,
            "whole number of milliseconds",
        ),
        (lambda b: b.completes(after=3), TypeError, "after must be a datetime.timedelta"),
        (
            lambda b: b.in_progress(timedelta(milliseconds=10)),
            ValueError,
            "whole number of seconds",
        ),
        (lambda b: b.completes(["x"]), TypeError, "output must be a mapping"),
        (lambda b: b.fails(reason=5), TypeError, "reason must be a str"),
        (
            lambda b: b.waits_in_queue(timedelta(seconds=1)).never_polled(),
            ValueError,
            "cannot precede",
        ),
    ],
)
def test_builder_arguments_are_checked(call: Any, error: type[Exception], text: str) -> None:
    """Bad builder arguments raise TypeError/ValueError with a clear message."""
    with pytest.raises(error, match=text):
        call(Mocks().mock("a"))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"status": "TIMED_OUT"},
        {"status": "FAILED", "callback_after_seconds": 3},
        {"polled": False, "status": "FAILED"},
        {"responds": False, "output": {"x": 1}},
        {"polled": False, "queue_wait_ms": 5},
        {"execution_ms": -1},
    ],
)
def test_worker_step_rejects_contradictions(kwargs: dict[str, Any]) -> None:
    """WorkerStep itself refuses an impossible combination."""
    with pytest.raises(ValueError):
        WorkerStep(**kwargs)


def test_step_does_not_share_the_callers_output() -> None:
    """Mutating the dict passed to completes() does not change the mock."""
    output = {"a": 1}
    sim = Mocks()
    sim.mock("a").completes(output)
    output["a"] = 2
    assert sim.to_conductor() == {"a": [{"status": "COMPLETED", "output": {"a": 1}}]}


# --- reproduction ---------------------------------------------------------------------------


def test_describe_writes_the_issue_example() -> None:
    """describe() writes the chain as the user would."""
    assert issue_example().describe() == [
        'sim.mock("upload_toS3").fails(times=2, after=timedelta(seconds=3))'
        '.then_completes({"s3Url": "s3://x"})'
    ]


def test_describe_rebuilds_an_equal_configuration() -> None:
    """Executing describe() against a fresh `sim` rebuilds the same configuration."""
    original = rich_configuration()
    sim = Mocks()
    exec("\n".join(original.describe()), {"sim": sim, "timedelta": timedelta})
    assert sim.to_conductor() == original.to_conductor()
    assert sim.describe() == original.describe()


def test_describe_keeps_builder_repetition() -> None:
    """The rebuilt builder still repeats its last step."""
    sim = Mocks()
    exec("\n".join(issue_example().describe()), {"sim": sim, "timedelta": timedelta})
    assert steps(sim, "r", "upload_toS3", 5)[-1] == WorkerStep(output={"s3Url": "s3://x"})


def test_to_conductor_round_trips_through_from_conductor() -> None:
    """from_conductor(to_conductor()) gives the same Conductor form and steps."""
    original = rich_configuration()
    again = Mocks.from_conductor(original.to_conductor())
    assert again.to_conductor() == original.to_conductor()
    assert steps(again, "poll_ref", "x", 4) == steps(original, "poll_ref", "x", 4)


def test_to_conductor_writes_the_repeats_a_run_used() -> None:
    """After a run, a builder's last step appears as often as a ref used it: replay reproduces it."""
    sim = issue_example()
    served = steps(sim, "up_ref", "upload_toS3", 5)
    assert len(sim.to_conductor()["upload_toS3"]) == 5
    replay = Mocks.from_conductor(sim.to_conductor())
    assert steps(replay, "up_ref", "upload_toS3", 6) == [*served, None]


def test_same_configuration_same_outputs() -> None:
    """Two identical configurations give identical forms and steps (determinism)."""
    one, two = rich_configuration(), rich_configuration()
    assert one.to_conductor() == two.to_conductor() and one.describe() == two.describe()
    assert steps(one, "flaky", "t", 6) == steps(two, "flaky", "t", 6)
