"""Run reports: one self-contained HTML page per workflow execution (diagram, timeline, tables).

``write_report(run_or_execution, path)`` writes it; ``flowdsl report`` is the command. Importing the
package loads nothing heavy: names resolve on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from compiler._lazy import lazy_getattr

if TYPE_CHECKING:
    from testing.report.data import ExecutionError as ExecutionError
    from testing.report.html import render_report as render_report
    from testing.report.html import write_report as write_report

__all__ = ["ExecutionError", "render_report", "write_report"]

_WHERE = {
    "ExecutionError": "testing.report.data",
    "render_report": "testing.report.html",
    "write_report": "testing.report.html",
}


__getattr__ = lazy_getattr(__name__, _WHERE)
