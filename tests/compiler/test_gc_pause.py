"""Compiling and simulating pause the cyclic garbage collector and give its state back."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from compiler._gc import GcPaused
from flowdsl import task, workflow
from testing.simulator import Simulator

ONE_TASK = {
    "name": "one",
    "version": 1,
    "tasks": [{"name": "work", "taskReferenceName": "work", "type": "SIMPLE"}],
}


@pytest.fixture
def collector_state() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.usefixtures("collector_state")
@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_off_inside_and_as_it_was_after(enabled: bool) -> None:
    (gc.enable if enabled else gc.disable)()
    with GcPaused():
        assert not gc.isenabled()
    assert gc.isenabled() is enabled
    with pytest.raises(ValueError), GcPaused():
        raise ValueError("an error inside")
    assert gc.isenabled() is enabled


SEEN: list[bool] = []


@task
def probe() -> dict[str, bool]:
    """A worker that records whether the collector runs while it is called."""
    SEEN.append(gc.isenabled())
    return {"ok": True}


@workflow
def probing() -> None:
    probe()


@pytest.mark.usefixtures("collector_state")
@pytest.mark.parametrize("enabled", [True, False])
def test_a_simulation_runs_with_the_collector_paused(enabled: bool) -> None:
    (gc.enable if enabled else gc.disable)()
    SEEN.clear()
    assert Simulator().run(probing).status == "COMPLETED"
    assert SEEN == [False]  # inside the run, the worker included
    assert gc.isenabled() is enabled
    sim = Simulator()
    sim.mock("work").completes({})
    assert sim.run(ONE_TASK).status == "COMPLETED"
    assert gc.isenabled() is enabled
