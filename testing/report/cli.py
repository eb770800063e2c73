"""``flowdsl report``: the HTML run report of a simulated test request or of a recorded execution.

``flowdsl report REQUEST.json -o report.html`` simulates the request as ``flowdsl simulate`` does
and reports on the run; ``flowdsl report --execution EXEC.json -o report.html`` reports on an
execution record (from the simulator or exported from a Conductor server), drawing the diagram
from its ``workflowDefinition`` or from ``--definition DEF.json``. Exit 0 when the report was
written, 1 on bad input, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["register"]


class _Usage(Exception):
    pass


def _load_execution(path: str) -> Mapping[str, Any]:
    from compiler.loader import load_json_text

    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as err:
        raise ValueError(f"cannot read execution {path}: {err.strerror}") from None
    doc = load_json_text(text, path)
    if not isinstance(doc, Mapping) or not isinstance(doc.get("tasks"), list):
        msg = (
            f"{path}: $: expected an execution record (an object with 'workflowId', 'status' "
            "and a 'tasks' list, as GET /api/workflow/{id}?includeTasks=true returns)"
        )
        raise ValueError(msg)
    return doc


def _load_definition(path: str) -> Mapping[str, Any]:
    from compiler.loader import load_file

    loaded = load_file(path)
    if len(loaded.workflows) != 1:
        names = ", ".join(str(w.definition.get("name")) for w in loaded.workflows) or "none"
        msg = f"{path}: expected exactly one WorkflowDef, found {len(loaded.workflows)} ({names})"
        raise ValueError(msg)
    return loaded.workflows[0].definition


def _report(args: argparse.Namespace) -> int:
    from compiler.loader import LoadError
    from testing.cli import input_errors, run_request
    from testing.report.data import ExecutionError
    from testing.report.html import render_report

    if (args.request is None) == (args.execution is None):
        print(
            "flowdsl report: error: give either REQUEST.json or --execution EXEC.json",
            file=sys.stderr,
        )
        return 2
    errors: tuple[type[Exception], ...] = (ExecutionError, LoadError, ValueError, *input_errors())
    try:
        definition = _load_definition(args.definition) if args.definition else None
        if args.execution:
            execution = _load_execution(args.execution)
            html = render_report(execution, definition=definition, file=args.execution)
            status = str(execution.get("status"))
        else:
            run = run_request(args)
            html = render_report(run.execution, definition=definition, children=run.children)
            status = run.status
    except errors as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    print(f"wrote {out}: {status}", file=sys.stderr)
    return 0


def register(subparsers: Any) -> None:
    """Add ``report`` to the ``flowdsl`` command line."""
    from testing.cli import add_request_options

    p = subparsers.add_parser(
        "report", help="write the HTML report (diagram, timeline, attempts) of a workflow run"
    )
    p.add_argument(
        "request",
        nargs="?",
        metavar="REQUEST.json",
        help="a POST /api/workflow/test body to simulate (or use --execution)",
    )
    p.add_argument(
        "--execution", metavar="EXEC.json", help="report on this execution record instead"
    )
    p.add_argument(
        "--definition",
        metavar="DEF.json",
        help="the WorkflowDef to draw (default: the one embedded in the execution)",
    )
    add_request_options(p)
    p.add_argument("-o", "--output", required=True, metavar="OUT.html", help="the HTML file")
    p.set_defaults(func=_report)
