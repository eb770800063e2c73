"""Replaying recorded executions: mocks and signals from a record, the comparison, the corpus.

The corpus tests replay the 11 execution records of ../shared/corpus/conductor. Each either
matches or shows exactly the differences of EXPECTED, whose reasons docs/replay.md explains.
"""

from __future__ import annotations

import copy
import re
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from testing.replay import Signal, compare, mocks_from_execution, replay, signals_from_execution
from testing.simulator import Run, Simulator

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "conductor"
DOC = ROOT / "docs" / "replay.md"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")

# --- records made by the simulator itself: replaying them must reproduce them ----------------


def worker(ref: str, **extra: Any) -> dict[str, Any]:
    return {"name": ref, "taskReferenceName": ref, "type": "SIMPLE", **extra}


def no_retry(ref: str, **extra: Any) -> dict[str, Any]:
    td = {"name": ref, "retryCount": 0, "responseTimeoutSeconds": 0}
    return worker(ref, taskDefinition=td, **extra)


def definition(*tasks: dict[str, Any], name: str = "flow") -> dict[str, Any]:
    return {"name": name, "version": 1, "schemaVersion": 2, "tasks": list(tasks)}


def assert_replays(run: Run) -> None:
    """Replaying ``run``'s execution JSON gives the same tasks, statuses and timing."""
    result = replay(run.execution)
    assert result.run is not None, result.error
    assert result.differences == (), result.run.format_timeline()
    assert [row[:4] for row in result.run.timeline()] == [row[:4] for row in run.timeline()]


def test_retries_with_delays_and_waits_replay_with_their_timing() -> None:
    td = {"name": "charge", "retryCount": 2, "retryDelaySeconds": 30, "responseTimeoutSeconds": 5}
    wf = definition(worker("charge", taskDefinition=td), no_retry("notify", startDelay=7))
    sim = Simulator()
    sim.mock("charge").fails(after=timedelta(seconds=2)).times_out().waits_in_queue(
        timedelta(seconds=4)
    ).completes({"id": 7}, after=timedelta(seconds=1))
    sim.mock("notify").waits_in_queue(timedelta(seconds=3)).completes()
    run = sim.run(wf)
    assert [t["status"] for t in run.tasks] == ["FAILED", "TIMED_OUT", "COMPLETED", "COMPLETED"]
    assert run.duration == timedelta(seconds=2 + 30 + 5 + 30 + 4 + 1 + 7 + 3)
    assert_replays(run)


def test_a_loop_and_a_terminal_failure_replay() -> None:
    loop = {
        "name": "loop",
        "taskReferenceName": "loop",
        "type": "DO_WHILE",
        "loopCondition": "$.loop['iteration'] < 3",
        "loopOver": [no_retry("step")],
    }
    sim = Simulator()
    sim.mock("step").completes({"n": 1}, after=timedelta(seconds=1))
    sim.mock("last").fails_terminally("bad input")
    run = sim.run(definition(loop, no_retry("last")))
    assert run.status == "FAILED"
    assert_replays(run)


def test_human_task_completed_by_api_replays_as_a_signal() -> None:
    human = {"name": "approve", "taskReferenceName": "approve", "type": "HUMAN"}
    sim = Simulator()
    sim.signal("approve", after=timedelta(hours=2), output={"ok": True})
    sim.mock("ship").completes()
    run = sim.run(definition(human, no_retry("ship")))
    assert run.task("approve").status == "COMPLETED"
    assert signals_from_execution(run.execution) == [
        Signal("approve", timedelta(hours=2), "COMPLETED", {"ok": True})
    ]
    assert_replays(run)


def test_sub_workflows_replay_through_stand_ins() -> None:
    """The child definitions are not in the record: stand-ins end as the record says."""
    pick = {
        "name": "pick",
        "taskReferenceName": "pick",
        "type": "SWITCH",
        "evaluatorType": "value-param",
        "expression": "kind",
        "inputParameters": {"kind": "${workflow.input.kind}"},
        "decisionCases": {"ok": [no_retry("paint")], "bad": [no_retry("crash")]},
    }
    calls = [
        {
            "name": "child",
            "taskReferenceName": ref,
            "type": "SUB_WORKFLOW",
            "subWorkflowParam": {"name": "child", "version": 1},
            "inputParameters": {"kind": kind},
        }
        for ref, kind in (("first", "ok"), ("second", "bad"))
    ]
    route = {
        "name": "route",
        "taskReferenceName": "route",
        "type": "SWITCH",
        "evaluatorType": "value-param",
        "expression": "v",
        "inputParameters": {"v": "${first.output.colour}"},
        "decisionCases": {"red": [calls[1]]},
    }
    sim = Simulator(workflows=[definition(pick, name="child")])
    sim.mock("paint").completes({"colour": "red"}, after=timedelta(seconds=5))
    sim.mock("crash").fails_terminally("boom", after=timedelta(seconds=2))
    run = sim.run(definition(calls[0], route))
    assert [t["status"] for t in run.tasks] == ["COMPLETED", "COMPLETED", "FAILED"]
    result = replay(run.execution)
    assert result.notes == ("child workflow 'child' v1 is a stand-in",)
    assert_replays(run)


def test_a_terminate_api_call_replays() -> None:
    sim = Simulator()
    sim.mock("slow").times_out()
    sim.terminate(after=timedelta(minutes=3), reason="operator")
    run = sim.run(definition(worker("slow")))
    assert run.status == "TERMINATED"
    assert_replays(run)


# --- the mapping, on a hand-written record ----------------------------------------------------


def attempt(ref: str, status: str, seq: int, **fields: Any) -> dict[str, Any]:
    return {"referenceTaskName": ref, "taskType": "SIMPLE", "status": status, "seq": seq, **fields}


def test_mocks_from_execution_maps_each_attempt() -> None:
    times = {"scheduledTime": 1000, "startTime": 1500, "endTime": 4000}
    record = {
        "tasks": [
            attempt("a", "FAILED", 1, reasonForIncompletion="oops", **times),
            attempt("a", "COMPLETED", 2, retryCount=1, outputData={"x": 1}, startDelayInSeconds=0),
            attempt("loop", "COMPLETED", 3, taskType="DO_WHILE"),
            attempt("b__1", "COMPLETED_WITH_ERRORS", 4, startTime=10, endTime=30),
            attempt("b__2", "TIMED_OUT", 5, scheduledTime=100, startTime=300),
            attempt("c", "SCHEDULED", 6, taskType="HTTP", scheduledTime=100),
            attempt("d", "CANCELED", 7, taskType="MY_TYPE", startTime=9),
        ]
    }
    assert mocks_from_execution(record) == {
        "a": [
            {
                "status": "FAILED",
                "reasonForIncompletion": "oops",
                "executionTime": 2500,
                "queueWaitTime": 500,
            },
            {"status": "COMPLETED", "output": {"x": 1}},
        ],
        "b": [
            {"status": "FAILED", "executionTime": 20},
            {"responds": False, "queueWaitTime": 200},
        ],
        "c": [{"polled": False}],
        "d": [{"responds": False}],
    }


def test_signals_only_for_tasks_an_update_ends() -> None:
    record = {
        "startTime": 1000,
        "tasks": [
            attempt("h", "COMPLETED", 1, taskType="HUMAN", endTime=6000, outputData={"a": 1}),
            attempt("w1", "COMPLETED", 2, taskType="WAIT", endTime=7000),
            attempt(
                "w2", "COMPLETED", 3, taskType="WAIT", endTime=8000, inputData={"duration": "1s"}
            ),
            attempt("e", "COMPLETED", 4, taskType="EVENT", endTime=9000),
            attempt("h2", "IN_PROGRESS", 5, taskType="HUMAN"),
        ],
    }
    assert signals_from_execution(record) == [
        Signal("h", timedelta(seconds=5), "COMPLETED", {"a": 1}),
        Signal("w1", timedelta(seconds=6), "COMPLETED", {}),
    ]


def test_compare_lists_status_sequence_and_task_differences() -> None:
    recorded = {
        "status": "COMPLETED",
        "tasks": [attempt("a", "COMPLETED", 1), attempt("b", "COMPLETED", 2)],
    }
    simulated = {
        "status": "FAILED",
        "tasks": [
            attempt("a", "FAILED", 1),
            attempt("a", "FAILED", 2, retryCount=1),
            attempt("c", "CANCELED", 3),
        ],
    }
    assert compare(recorded, simulated) == [
        "workflow status: recorded COMPLETED, simulated FAILED",
        "a: recorded COMPLETED, simulated FAILED",
        "only in the record: b COMPLETED",
        "only in the simulation: a (retry 1) FAILED, c CANCELED",
    ]
    assert compare(recorded, recorded) == []


# --- the corpus --------------------------------------------------------------------------------

EXECUTIONS = [
    "conductor-oss_conductor/core__src__test__resources__completed.json",
    "conductor-oss_conductor/core__src__test__resources__test.json",
    "conductor-oss_conductor/ui__e2e__fixtures__doWhile__doWhileSwitch.json",
    "conductor-oss_conductor/ui__e2e__fixtures__dynamicFork.json",
    "conductor-oss_conductor/ui__e2e__fixtures__dynamicFork__externalizedInput.json",
    "conductor-oss_conductor/ui__e2e__fixtures__dynamicFork__noneSpawned.json",
    "conductor-oss_conductor/ui__e2e__fixtures__dynamicFork__notExecuted.json",
    "conductor-oss_conductor/ui__e2e__fixtures__dynamicFork__oneFailed.json",
    "conductor-oss_conductor/ui__e2e__fixtures__dynamicFork__success.json",
    "netflix_conductor/client__src__test__resources__test_data__workflow1_run.json",
    "orkes-io_workflow-cicd/src__test__resources__test_data__workflow1_run.json",
]


class Expected(NamedTuple):
    differences: tuple[str, ...]
    reason: str


SHOTS = [
    "4cf45860-3fe3-11eb-8740-12f4b5a75f47",
    "4f936d40-3fe3-11eb-9af1-12a7f1c641e3",
    "5256abf0-3fe3-11eb-8a3e-12ffdb69dc47",
    "54ebd5c0-3fe3-11eb-bd3b-1230be2091b7",
    "57784d00-3fe3-11eb-9af1-12a7f1c641e3",
    "59f3ad40-3fe3-11eb-8a3e-12ffdb69dc47",
    "5c51e890-3fe3-11eb-9af1-12a7f1c641e3",
    "5ec00260-3fe3-11eb-bd3b-1230be2091b7",
]

# Files whose replay differs, with the exact differences and why (mirrored in docs/replay.md).
EXPECTED = {
    "conductor-oss_conductor/core__src__test__resources__test.json": Expected(
        (
            "only in the simulation: fanout1 COMPLETED, subflow_0 IN_PROGRESS, "
            "subflow_2 IN_PROGRESS, subflow_4 IN_PROGRESS, join1 IN_PROGRESS",
        ),
        "a RUNNING snapshot: perf_task_4 is COMPLETED but not yet 'executed' (the decider had not "
        "acted on it); the simulation goes on and schedules the dynamic fork it asks for, whose "
        "sub-workflows the record does not show, so their stand-ins never end",
    ),
    "conductor-oss_conductor/ui__e2e__fixtures__dynamicFork.json": Expected(
        (
            "only in the record: shot_processing COMPLETED, "
            + ", ".join(f"processshot_{shot}_1.2 CANCELED" for shot in SHOTS)
            + ", shot_processing_join CANCELED",
            "only in the simulation: initializePipeline CANCELED",
        ),
        "a truncated UI fixture: it keeps only the attempts seq 52-61, so the first task "
        "(initializePipeline) has no recorded result and waits, unpolled, until the replayed "
        "terminate (the parent workflow timed out)",
    ),
    "conductor-oss_conductor/ui__e2e__fixtures__dynamicFork__oneFailed.json": Expected(
        ("join_dynamic: recorded FAILED, simulated CANCELED",),
        "recorded by a server where JOIN was a synchronous system task (before Netflix/conductor "
        "PR 3284, 2022-10): it was evaluated in the same decide, saw second_task FAILED and failed; "
        "now JOIN is asynchronous, the decider fails the workflow first and the JOIN is CANCELED",
    ),
}


@needs_corpus
def test_the_list_of_executions_is_the_manifest_s() -> None:
    """EXECUTIONS is every 'execution' file of the corpus manifest."""
    rows = (CORPUS / "MANIFEST.md").read_text(encoding="utf-8").splitlines()
    listed = [r.split("|")[1].strip() for r in rows if r.startswith("|") and "| execution" in r]
    assert sorted(listed) == sorted(EXECUTIONS)


@needs_corpus
@pytest.mark.parametrize("name", EXECUTIONS)
def test_corpus_execution_replays(name: str) -> None:
    """Each record replays to the same run, or to exactly its documented differences."""
    result = replay(CORPUS / name)
    assert result.error is None
    expected = EXPECTED[name].differences if name in EXPECTED else ()
    assert result.differences == expected


def _as_schema_v2(value: Any) -> Any:
    """A schemaVersion 1 definition with its 'source.input|output.key' inputs as ${...}."""
    if isinstance(value, dict):
        params = value.get("inputParameters")
        value = {k: _as_schema_v2(v) for k, v in value.items()}
        if isinstance(params, dict):
            value["inputParameters"] = {
                k: f"${{{v}}}"
                if isinstance(v, str) and re.fullmatch(r"\w+\.(input|output)\.\w+", v)
                else v
                for k, v in params.items()
            }
        return value
    return [_as_schema_v2(v) for v in value] if isinstance(value, list) else value


@needs_corpus
def test_completed_json_replays_the_same_as_its_schema_v2_rewrite() -> None:
    """completed.json is schemaVersion 1 ('perf_task_3.output.oddEven' without ${}): resolved the
    v1 way (getTaskInputV1), it replays exactly, as it does with its inputs rewritten as ${...}."""
    from compiler.loader import load_file

    name = "conductor-oss_conductor/core__src__test__resources__completed.json"
    record = copy.deepcopy(load_file(CORPUS / name).extra["execution"])
    record["workflowDefinition"] = _as_schema_v2(record["workflowDefinition"])
    assert (
        record["workflowDefinition"]["tasks"][0]["inputParameters"]["mod"]
        == "${workflow.input.mod}"
    )
    record["workflowDefinition"]["schemaVersion"] = 2
    assert replay(record).differences == ()
    assert replay(CORPUS / name).differences == ()


def test_docs_mirror_the_expected_differences() -> None:
    """docs/replay.md names every file and shows every expected difference line."""
    text = DOC.read_text(encoding="utf-8")
    for name in EXECUTIONS:
        assert Path(name).name in text, name
    for name, expected in EXPECTED.items():
        for line in expected.differences:
            assert line in text, (name, line)
