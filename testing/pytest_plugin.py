"""flowdsl's pytest plugin (entry point ``pytest11``): the ``flowdsl_sim`` fixture and coverage.

Imports nothing heavy at load time; the simulator is imported when a test asks for the fixture,
the coverage machinery only with ``--flowdsl-cov``. When a test using the fixture fails, the
report gets a "flowdsl timeline" section per run: the simulated timeline and the mocks that
reproduce it. ``--flowdsl-cov`` measures which tasks and branches of each workflow the simulated
runs exercised (see docs/coverage.md).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from testing.coverage.session import CoverageSession

_COVERAGE: pytest.StashKey[CoverageSession] = pytest.StashKey()
_OBSERVED: pytest.StashKey[list[Any]] = pytest.StashKey()  # an item's runs (with coverage)


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``--flowdsl-cov*`` options."""
    group = parser.getgroup("flowdsl", "flowdsl workflow coverage")
    group.addoption(
        "--flowdsl-cov",
        action="store_true",
        default=False,
        help="measure which tasks and branches of each workflow the simulated runs took",
    )
    group.addoption(
        "--flowdsl-cov-html",
        metavar="DIR",
        nargs="?",
        const="build/flowdsl-cov",
        default=None,
        help="also write an HTML coverage report (default DIR: build/flowdsl-cov)",
    )
    group.addoption(
        "--flowdsl-cov-fail-under",
        metavar="N",
        type=float,
        default=None,
        help="fail (exit 2) when the branch coverage of all workflows is below N percent",
    )
    group.addoption(
        "--flowdsl-cov-data",
        metavar="FILE",
        default=".flowdsl-cov",
        help="the coverage data file (default .flowdsl-cov; xdist workers add .<worker id>)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Start recording when any ``--flowdsl-cov*`` option is given."""
    wanted = (
        config.getoption("flowdsl_cov", False)
        or config.getoption("flowdsl_cov_html", None) is not None
        or config.getoption("flowdsl_cov_fail_under", None) is not None
    )
    if wanted:
        from testing.coverage.session import CoverageSession

        state = CoverageSession(config)
        state.start()
        config.stash[_COVERAGE] = state


@pytest.fixture
def flowdsl_sim() -> Any:
    """A fresh :class:`testing.simulator.Simulator` (fake clock from 2024-01-01T00:00:00Z)."""
    from testing.simulator import Simulator

    return Simulator()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, None]:
    """With ``--flowdsl-cov``: note every run a Simulator finishes while the test runs (those of
    Simulators the test creates itself included)."""
    if item.config.stash.get(_COVERAGE, None) is None:
        yield
        return
    from testing.simulator import observe_runs

    observed: list[Any] = []
    item.stash[_OBSERVED] = observed
    with observe_runs(observed.append):
        yield


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """With ``--flowdsl-cov``: count the runs the test made."""
    state = item.config.stash.get(_COVERAGE, None)
    if state is not None:
        observed: list[Any] = item.stash.get(_OBSERVED, [])
        state.record_item(item, observed)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """With ``--flowdsl-cov``: write the data, report, and apply ``--flowdsl-cov-fail-under``."""
    state = session.config.stash.get(_COVERAGE, None)
    if state is not None:
        state.finish(session)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """With ``--flowdsl-cov``: the per-workflow coverage table."""
    state = terminalreporter.config.stash.get(_COVERAGE, None)
    if state is not None and state.lines:
        terminalreporter.write_sep("-", "flowdsl workflow coverage")
        for line in state.lines:
            terminalreporter.write_line(line)


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
