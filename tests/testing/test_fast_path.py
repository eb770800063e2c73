"""The engine's shortcuts change nothing: the same run gives the same bytes with and without them.

``decide_alone`` (a worker task's COMPLETED or FAILED update decided directly),
``Engine._schedule_simple`` / ``register_worker`` (a plain SIMPLE task,
or its retry, scheduled directly) and folded polls (testing.workers: a poll nobody can observe
applied by its update's event) exist for speed only. ``Engine(fast_path=False)`` runs every
decision through the general decider and never folds; these tests run generated workflows, many
workflows in one engine, the benchmark's workload and the whole corpus both ways and compare the
execution JSON byte for byte (ids included: both ways allocate them in the same order).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import testing.simulator as simulator_module
from testing.engine import Engine
from testing.errors import SimulationError
from testing.mocks import Mocks
from testing.simulator import Simulator
from tests.support import CORPUS, corpus_workflows


@contextmanager
def engine_mode(fast: bool) -> Iterator[None]:
    """Simulators created inside run their Engine with ``fast_path=fast``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(simulator_module, "Engine", partial(Engine, fast_path=fast))
        yield


def outcome(make: Callable[[], Simulator], definition: dict[str, Any], input_: Any) -> str:
    """The run's execution JSON (and its children's), or the SimulationError it stopped with."""
    try:
        run = make().run(definition, input_)
    except SimulationError as err:
        return f"SimulationError: {err}"
    return json.dumps([run.execution, *run.children], sort_keys=True)


def both_ways(make: Callable[[], Simulator], definition: dict[str, Any], input_: Any) -> str:
    with engine_mode(True):
        fast = outcome(make, definition, input_)
    with engine_mode(False):
        general = outcome(make, definition, input_)
    assert fast == general
    return fast


# -- generated workflows -------------------------------------------------------------------------
ENTRY = st.one_of(
    st.fixed_dictionaries(
        {
            "status": st.sampled_from(["COMPLETED", "COMPLETED", "FAILED"]),
            "executionTime": st.integers(0, 9_000),
            "queueWaitTime": st.integers(0, 3_000),
        }
    ),
    st.fixed_dictionaries(
        {"status": st.just("IN_PROGRESS"), "callbackAfterSeconds": st.integers(1, 30)}
    ),
    st.just({"responds": False}),
    st.just({"polled": False}),
)
TASK_DEF = st.fixed_dictionaries(
    {
        "retryCount": st.integers(0, 3),
        "retryLogic": st.sampled_from(["FIXED", "LINEAR_BACKOFF", "EXPONENTIAL_BACKOFF"]),
        "retryDelaySeconds": st.integers(0, 5),
        "responseTimeoutSeconds": st.sampled_from([0, 4, 3600]),
        "timeoutSeconds": st.sampled_from([0, 20]),
        "pollTimeoutSeconds": st.sampled_from([0, 15]),
        "timeoutPolicy": st.sampled_from(["RETRY", "TIME_OUT_WF", "ALERT_ONLY"]),
    }
)


Case = tuple[
    dict[str, Any], dict[str, Any], list[dict[str, Any]], list[Callable[[Simulator], None]]
]


@st.composite
def workflows(draw: st.DrawFn) -> Case:
    """A definition of SIMPLE and HUMAN tasks at the top level, in SWITCH and FORK branches and
    in a DO_WHILE, with Conductor-format mocks and TaskDefs for every worker, and API calls at
    random times: signals to the HUMAN tasks, pause, resume, terminate, retry."""
    counter = iter(range(1_000))
    humans: list[str] = []
    mocks: dict[str, Any] = {}
    defs: list[dict[str, Any]] = []

    def simple() -> dict[str, Any]:
        ref = f"t{next(counter)}"
        mocks[ref] = draw(st.lists(ENTRY, min_size=1, max_size=4)) + [{"status": "COMPLETED"}] * 6
        defs.append({"name": ref, **draw(TASK_DEF)})
        task: dict[str, Any] = {"name": ref, "taskReferenceName": ref, "type": "SIMPLE"}
        if draw(st.booleans()):
            task["inputParameters"] = {"x": "${workflow.input.k}", "n": 1}
        if draw(st.integers(0, 4)) == 0:
            task["optional"] = True
        if draw(st.integers(0, 5)) == 0:
            task["retryCount"] = draw(st.integers(0, 2))
        return task

    def block(depth: int) -> list[dict[str, Any]]:
        kinds = ["simple"] * 3 + ["human"] + (["switch", "fork", "loop"] if depth else [])
        kind = draw(st.sampled_from(kinds))
        n = next(counter)
        if kind == "simple":
            return [simple()]
        if kind == "human":  # completed or failed by a signal (or never: the run stays RUNNING)
            humans.append(f"h{n}")
            return [{"name": "review", "taskReferenceName": f"h{n}", "type": "HUMAN"}]
        if kind == "switch":
            return [
                {
                    "name": "switch",
                    "taskReferenceName": f"s{n}",
                    "type": "SWITCH",
                    "evaluatorType": "value-param",
                    "expression": "k",
                    "inputParameters": {"k": "${workflow.input.k}"},
                    "decisionCases": {"a": sequence(depth - 1), "b": sequence(depth - 1)},
                    "defaultCase": sequence(depth - 1),
                }
            ]
        if kind == "fork":
            branches = [sequence(depth - 1), sequence(depth - 1)]
            return [
                {
                    "name": "fork",
                    "taskReferenceName": f"f{n}",
                    "type": "FORK_JOIN",
                    "forkTasks": branches,
                },
                {
                    "name": "join",
                    "taskReferenceName": f"j{n}",
                    "type": "JOIN",
                    "joinOn": [b[-1]["taskReferenceName"] for b in branches],
                },
            ]
        return [
            {
                "name": "loop",
                "taskReferenceName": f"l{n}",
                "type": "DO_WHILE",
                "loopCondition": f"if ($.l{n}['iteration'] < 2) {{ true; }} else {{ false; }}",
                "inputParameters": {},
                "loopOver": [simple() for _ in range(draw(st.integers(1, 2)))],
            }
        ]

    def sequence(depth: int) -> list[dict[str, Any]]:
        return [t for _ in range(draw(st.integers(1, 3))) for t in block(depth)]

    definition: dict[str, Any] = {"name": "generated", "version": 1, "tasks": sequence(2)}
    if draw(st.booleans()):
        definition["timeoutSeconds"] = draw(st.sampled_from([30, 120]))
        definition["timeoutPolicy"] = draw(st.sampled_from(["TIME_OUT_WF", "ALERT_ONLY"]))
    seconds = st.integers(0, 200).map(lambda s: timedelta(seconds=s))
    actions: list[Callable[[Simulator], None]] = []
    for ref in humans:
        if draw(st.integers(0, 4)):
            after, status = draw(seconds), draw(st.sampled_from(["COMPLETED", "FAILED"]))
            actions.append(lambda sim, r=ref, a=after, s=status: sim.signal(r, after=a, status=s))
    for name in draw(
        st.lists(st.sampled_from(["pause", "resume", "terminate", "retry"]), max_size=3)
    ):
        after = draw(seconds)
        actions.append(lambda sim, n=name, a=after: getattr(sim, n)(after=a))
    return definition, mocks, defs, actions


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workflows(), st.sampled_from(["a", "b", "c"]))
def test_generated_workflows_run_the_same_both_ways(case: Case, key: str) -> None:
    definition, mocks, task_defs, actions = case

    def make() -> Simulator:
        sim = Simulator(task_defs=task_defs, max_events=20_000)
        sim.mocks = Mocks.from_conductor(mocks)
        for action in actions:
            action(sim)
        return sim

    both_ways(make, definition, {"k": key})


def test_the_benchmark_workload_runs_the_same_both_ways() -> None:
    """The shape the shortcuts are for: long chains, random failures, exponential retries."""
    rng = random.Random(7)
    task_defs = [
        {
            "name": "work",
            "retryCount": 3,
            "retryLogic": "EXPONENTIAL_BACKOFF",
            "retryDelaySeconds": 5,
        }
    ]
    statuses = set()
    for i in range(20):
        refs = [f"w{i}_t{j}" for j in range(30)]
        definition = {
            "name": f"wf_{i}",
            "version": 1,
            "tasks": [
                {"name": "work", "taskReferenceName": r, "type": "SIMPLE", "optional": i % 2 == 0}
                for r in refs
            ],
        }
        mocks = {
            r: [
                {
                    "status": "FAILED" if rng.random() < 0.3 else "COMPLETED",
                    "executionTime": rng.randrange(20_000),
                    "queueWaitTime": rng.randrange(1_000),
                }
                for _ in range(4)
            ]
            for r in refs
        }

        def make(mocks: dict[str, Any] = mocks) -> Simulator:
            sim = Simulator(task_defs=task_defs)
            sim.mocks = Mocks.from_conductor(mocks)
            return sim

        statuses.add(json.loads(both_ways(make, definition, {}))[0]["status"])
    assert statuses == {"COMPLETED", "FAILED"}  # both the skipping and the failing kind ran


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside the repository")
def test_every_corpus_workflow_runs_the_same_both_ways() -> None:
    from tests.testing.test_corpus_simulate import _worker_names

    compared = 0
    for _, found in corpus_workflows():
        workers: set[str] = set()
        _worker_names(found.definition.get("tasks"), workers)

        def make(workers: set[str] = workers) -> Simulator:
            sim = Simulator(max_events=2_000)
            for name in sorted(workers):
                sim.mock(name).completes({})
            return sim

        both_ways(make, found.definition, {})
        compared += 1
    assert compared == 1137


def test_a_completion_past_the_workflow_timeout_times_the_workflow_out_both_ways() -> None:
    """While a HUMAN task is IN_PROGRESS no sweep comes at the workflow's deadline (§3.9); the
    next decision, here a worker's completion at 40 s, must still see that 30 s have passed."""
    definition = {
        "name": "late",
        "version": 1,
        "timeoutSeconds": 30,
        "timeoutPolicy": "TIME_OUT_WF",
        "tasks": [
            {
                "name": "fork",
                "taskReferenceName": "fork",
                "type": "FORK_JOIN",
                "forkTasks": [
                    [{"name": "review", "taskReferenceName": "review", "type": "HUMAN"}],
                    [{"name": "work", "taskReferenceName": "work", "type": "SIMPLE"}],
                ],
            },
            {
                "name": "join",
                "taskReferenceName": "join",
                "type": "JOIN",
                "joinOn": ["review", "work"],
            },
        ],
    }

    def make() -> Simulator:
        sim = Simulator(task_defs=[{"name": "work", "responseTimeoutSeconds": 0}])
        sim.mock("work").completes({}, after=timedelta(seconds=40))
        return sim

    execution = json.loads(both_ways(make, definition, {}))[0]
    assert execution["status"] == "TIMED_OUT"
    assert execution["endTime"] - execution["createTime"] == 40_000


# -- many workflows in one Engine, folded polls made visible -----------------------------------
def _engine_outcome(fast: bool, seed: int) -> tuple[str, Engine]:
    """40 workflows of 12 tasks in one Engine, times in whole seconds (many ties), failures,
    retries and IN_PROGRESS answers; some terminated, some paused and resumed; odd seeds stop
    at 10 s (run(until=...)) before running on."""
    rng = random.Random(seed)
    definitions, conductor = [], {}
    for i in range(40):
        refs = [f"w{i}_t{j}" for j in range(12)]
        definitions.append(
            {
                "name": f"wf{i}",
                "version": 1,
                "tasks": [
                    {
                        "name": "work",
                        "taskReferenceName": r,
                        "type": "SIMPLE",
                        "optional": i % 3 == 0,
                    }
                    for r in refs
                ],
            }
        )
        for ref in refs:
            entries: list[dict[str, Any]] = []
            for _ in range(6):
                status = rng.choice(["COMPLETED", "COMPLETED", "FAILED", "IN_PROGRESS"])
                entry: dict[str, Any] = {
                    "status": status,
                    "executionTime": 1000 * rng.randrange(4),
                    "queueWaitTime": 1000 * rng.randrange(3),
                }
                if status == "IN_PROGRESS":
                    entry["callbackAfterSeconds"] = rng.randrange(1, 3)
                entries.append(entry)
            conductor[ref] = entries + [{"status": "COMPLETED", "executionTime": 1000}] * 12
    engine = Engine(
        start_ms=0,
        task_defs={"work": {"name": "work", "retryCount": 2, "retryDelaySeconds": 1}},
        mocks=Mocks.from_conductor(conductor),
        fast_path=fast,
    )
    started = [engine.start_workflow(d, {}) for d in definitions]
    for wf in started:
        kind, at = rng.randrange(6), 1000 * rng.randrange(40)
        if kind == 0:
            engine.at(at, "terminate", wf.workflow_id, "stopped by the test")
        elif kind == 1:
            engine.at(at, "pause", wf.workflow_id)
            engine.at(at + 3000, "resume", wf.workflow_id)
    if seed % 2:
        engine.run(until=10_000)
        middle = json.dumps([wf.to_json() for wf in engine.order], sort_keys=True)
        engine.run()
        return middle + json.dumps([wf.to_json() for wf in engine.order], sort_keys=True), engine
    engine.run()
    return json.dumps([wf.to_json() for wf in engine.order], sort_keys=True), engine


@pytest.mark.parametrize("seed", range(12))
def test_many_workflows_in_one_engine_run_the_same_both_ways(seed: int) -> None:
    fast, folded = _engine_outcome(True, seed)
    general, unfolded = _engine_outcome(False, seed)
    assert fast == general
    assert folded.attempts_run == unfolded.attempts_run
    # Folding happened: fewer events for the same attempts (a folded attempt is one event).
    assert folded.events_run < unfolded.events_run


def _one_task(
    fast: bool, inject: Callable[[Engine, str], None], until: int | None = None
) -> tuple[dict[str, Any], Engine]:
    """One worker task polled at 1 s and answering at 6 s; ``inject`` schedules more."""
    definition = {
        "name": "one",
        "version": 1,
        "tasks": [{"name": "work", "taskReferenceName": "work", "type": "SIMPLE"}],
    }
    mocks = Mocks.from_conductor(
        {"work": [{"status": "COMPLETED", "queueWaitTime": 1000, "executionTime": 5000}]}
    )
    engine = Engine(start_ms=0, mocks=mocks, fast_path=fast)
    wf = engine.start_workflow(definition, {})
    inject(engine, wf.workflow_id)
    engine.run(until=until)
    return wf.to_json(), engine


def _terminate_at(ms: int) -> Callable[[Engine, str], None]:
    """An event at ``ms`` that schedules a terminate for the workflow (its poll must show)."""

    def inject(engine: Engine, wf_id: str) -> None:
        def terminate_now(eng: Engine) -> None:
            eng.at(eng.now, "terminate", wf_id, "stopped")

        engine.call_at(ms, terminate_now)

    return inject


def test_a_folded_poll_already_past_shows_when_the_workflow_is_touched() -> None:
    """At 3 s the poll (1 s) has happened: the terminated task was IN_PROGRESS since 1 s."""
    fast, engine = _one_task(True, _terminate_at(3000))
    general, _ = _one_task(False, _terminate_at(3000))
    assert fast == general
    task = fast["tasks"][0]
    assert (fast["status"], task["status"]) == ("TERMINATED", "CANCELED")
    assert (task["pollCount"], task["startTime"], task["endTime"]) == (1, 1000, 3000)
    assert engine.attempts_run == 1


def test_a_folded_poll_still_ahead_becomes_an_event_again() -> None:
    """Terminated at 0.5 s, before the poll at 1 s: the worker never got the task."""
    fast, engine = _one_task(True, _terminate_at(500))
    general, _ = _one_task(False, _terminate_at(500))
    assert fast == general
    task = fast["tasks"][0]
    assert (task["status"], task["pollCount"], task["startTime"]) == ("CANCELED", 0, 0)
    assert engine.attempts_run == 0


def test_a_run_that_stops_between_a_poll_and_its_update_shows_the_poll() -> None:
    def nothing(engine: Engine, wf_id: str) -> None:
        return None

    fast, _ = _one_task(True, nothing, until=3000)
    assert fast == _one_task(False, nothing, until=3000)[0]
    assert (fast["tasks"][0]["status"], fast["tasks"][0]["startTime"]) == ("IN_PROGRESS", 1000)


def test_a_reference_used_twice_resolves_the_same_both_ways() -> None:
    """Conductor's registration rejects it, but a definition may come with a reference twice;
    the location recorded last wins (here: the end of the list) with or without shortcuts."""
    definition = {
        "name": "twice",
        "version": 1,
        "tasks": [
            {"name": "work", "taskReferenceName": ref, "type": "SIMPLE"}
            for ref in ("a", "b", "c", "b")
        ],
    }

    def outcome(fast: bool) -> dict[str, Any]:
        engine = Engine(start_ms=0, mocks=Mocks.from_conductor({"work": [{}] * 4}), fast_path=fast)
        wf = engine.start_workflow(definition, {})
        engine.run()
        return wf.to_json()

    fast = outcome(True)
    assert fast == outcome(False)
    assert [t["referenceTaskName"] for t in fast["tasks"]] == ["a", "b"]
