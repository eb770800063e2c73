"""flowdsl's pytest plugin (entry point ``pytest11``): the ``flowdsl_sim`` fixture.

Imports nothing heavy at load time; the simulator is imported when a test asks for the fixture.
When a test using the fixture fails, the report gets a "flowdsl timeline" section per run: the
simulated timeline and the mocks that reproduce it.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest


@pytest.fixture
def flowdsl_sim() -> Any:
    """A fresh :class:`testing.simulator.Simulator` (fake clock from 2024-01-01T00:00:00Z)."""
    from testing.simulator import Simulator

    return Simulator()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """Attach each run's timeline and reproducing mocks to a failing test's report."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    sim = getattr(item, "funcargs", {}).get("flowdsl_sim")
    for index, run in enumerate(getattr(sim, "runs", ())):
        text = run.format_timeline()
        if run.mocks:
            text += "\nmocks that reproduce it:\n" + "\n".join(f"  {line}" for line in run.mocks)
        report.sections.append((f"flowdsl timeline (run {index + 1})", text))
