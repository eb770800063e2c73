"""The pytest side of ``--flowdsl-cov``: record the runs of each test, write, combine and report.

What is recorded: after each test, every run of every :class:`~testing.simulator.Simulator` the
test received as a fixture value (``flowdsl_sim`` or a fixture of your own that returns one),
child workflows included. Nothing global is patched: a Simulator created inside a test body is
not seen (take ``flowdsl_sim``, or a fixture, to have it counted).

Each process writes its own data file; under pytest-xdist a worker writes
``<data>.<worker id>`` and the controller combines them into ``<data>`` before reporting.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from testing.coverage.data import CoverageData
from testing.coverage.report import branch_percent, rows, terminal_lines, write_html

if TYPE_CHECKING:
    from testing.simulator import Run

__all__ = ["FAIL_UNDER_EXIT", "CoverageSession"]

#: The exit status of a session whose tests passed but whose branch coverage is too low
#: (coverage.py's ``report --fail-under`` exits 2 as well).
FAIL_UNDER_EXIT = 2


class CoverageSession:
    """One pytest session's coverage recording (kept in ``config.stash``)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        root = Path(config.rootpath)
        data = Path(config.getoption("flowdsl_cov_data") or ".flowdsl-cov")
        self.data_path = data if data.is_absolute() else root / data
        html = config.getoption("flowdsl_cov_html")
        self.html_dir = (
            None if not html else (Path(html) if Path(html).is_absolute() else root / html)
        )
        self.fail_under: float | None = config.getoption("flowdsl_cov_fail_under")
        self.worker: str | None = getattr(config, "workerinput", {}).get("workerid")
        self.data = CoverageData()
        self._seen: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
        self.lines: list[str] = []

    def parallel_files(self) -> list[Path]:
        """Data files written by the worker processes of this session."""
        name = self.data_path.name + "."
        folder = self.data_path.parent
        return sorted(p for p in folder.glob(name + "*") if p.is_file()) if folder.is_dir() else []

    def start(self) -> None:
        """Remove what workers of an earlier session left (the controller only)."""
        if self.worker is None:
            for stale in self.parallel_files():
                stale.unlink()

    def record_item(self, item: pytest.Item, observed: Sequence[Run] = ()) -> None:
        """Count the runs the test made: ``observed`` (every run finished while the test
        function ran, whichever Simulator made it), and any other run of a Simulator the test
        received as a fixture value (made while fixtures were set up)."""
        from testing.simulator import Simulator

        counted = {id(run) for run in observed}
        for run in observed:
            self.data.add_run(run)
        for value in getattr(item, "funcargs", {}).values():
            if isinstance(value, Simulator):
                done = self._seen.get(value, 0)
                for run in value.runs[done:]:
                    if id(run) not in counted:
                        self.data.add_run(run)
                self._seen[value] = len(value.runs)

    def finish(self, session: pytest.Session) -> None:
        """Write the data; in the main process combine, report and apply the threshold."""
        if self.worker is not None:
            self.data.write(f"{self.data_path}.{self.worker}")
            return
        parts = self.parallel_files()
        if parts:
            self.data.merge(CoverageData.combine(parts))
            for part in parts:
                part.unlink()
        self.data.write(self.data_path)
        table = rows(self.data)
        self.lines = terminal_lines(table)
        if self.html_dir is not None:
            index = write_html(self.data, self.html_dir)
            shown = os.path.relpath(index)
            self.lines.append(f"HTML coverage report: {index if shown.startswith('..') else shown}")
        total = branch_percent(table)
        if self.fail_under is not None:
            if total < self.fail_under:
                self.lines.append(
                    f"FAIL: required workflow branch coverage of {self.fail_under:g}% not "
                    f"reached: {total:.2f}%"
                )
                if session.exitstatus == pytest.ExitCode.OK:
                    session.exitstatus = FAIL_UNDER_EXIT
            else:
                self.lines.append(
                    f"required workflow branch coverage of {self.fail_under:g}% reached: {total:.2f}%"
                )
