"""Every workflow definition in the corpus runs in the simulator without crashing.

Each worker task (and each task type the simulator cannot run, such as Orkes' LLM tasks) is
mocked to complete; the run may end in any status, or stop with a clear SimulationError (a
sub-workflow definition the corpus does not hold, a worker named at run time, an endless loop),
but never with any other exception.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from testing.errors import SimulationError
from testing.simulator import Simulator
from tests.support import CORPUS, corpus_workflows

_RUN_BY_THE_SIMULATOR = frozenset(
    {
        "SWITCH",
        "DECISION",
        "FORK_JOIN",
        "JOIN",
        "DO_WHILE",
        "FORK_JOIN_DYNAMIC",
        "SUB_WORKFLOW",
        "WAIT",
        "HUMAN",
        "INLINE",
        "LAMBDA",
        "JSON_JQ_TRANSFORM",
        "SET_VARIABLE",
        "TERMINATE",
        "NOOP",
        "EVENT",
        "KAFKA_PUBLISH",
        "START_WORKFLOW",
        "EXCLUSIVE_JOIN",
        "DYNAMIC",
    }
)


def _worker_names(tasks: Any, out: set[str]) -> None:
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        if (task.get("type") or "SIMPLE") not in _RUN_BY_THE_SIMULATOR and task.get("name"):
            out.add(str(task["name"]))
        for branch in (task.get("decisionCases") or {}).values():
            _worker_names(branch, out)
        _worker_names(task.get("defaultCase"), out)
        for branch in task.get("forkTasks") or []:
            _worker_names(branch, out)
        _worker_names(task.get("loopOver"), out)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside the repository")
def test_every_corpus_workflow_simulates_without_crashing() -> None:
    """1,137 definitions: statuses vary, SimulationErrors are allowed, no other exception."""
    statuses: Counter[str] = Counter()
    stopped = 0
    for _, found in corpus_workflows():
        sim = Simulator(max_events=2_000)  # endless loops stop early (cost grows per iteration)
        workers: set[str] = set()
        _worker_names(found.definition.get("tasks"), workers)
        for name in sorted(workers):
            sim.mock(name).completes({})
        try:
            statuses[sim.run(found.definition, {}).status] += 1
        except SimulationError:
            stopped += 1
    assert sum(statuses.values()) + stopped == 1137
    assert statuses["COMPLETED"] > 900
    assert stopped < 20
