"""``flowdsl coverage``: combine coverage data files and report on them.

``flowdsl coverage combine [FILE ...] [-o .flowdsl-cov]`` adds up data files (default: every
``.flowdsl-cov.*`` in the current folder, as parallel processes leave them) into one.
``flowdsl coverage report [FILE] [--html DIR] [--fail-under N]`` prints the per-workflow table.
Exit 0 ok; 1 unreadable data; 2 usage error, or branch coverage below ``--fail-under`` (as
coverage.py does).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]


def _combine(args: argparse.Namespace) -> int:
    from testing.coverage.data import CoverageData
    from testing.coverage.model import CoverageError

    output = Path(args.output)
    files = [Path(f) for f in args.files] or sorted(
        p for p in output.parent.glob(output.name + ".*") if p.is_file()
    )
    if not files:
        print(f"flowdsl coverage: error: no data files to combine ({output}.*)", file=sys.stderr)
        return 2
    try:
        data = CoverageData.combine(files)
    except CoverageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    data.write(output)
    if not args.keep and not args.files:
        for file in files:
            file.unlink()
    print(f"combined {len(files)} data file(s) into {output}: {len(data.workflows)} workflow(s)")
    return 0


def _report(args: argparse.Namespace) -> int:
    from testing.coverage.data import CoverageData
    from testing.coverage.model import CoverageError
    from testing.coverage.report import branch_percent, rows, terminal_lines, write_html

    try:
        data = CoverageData.read(args.data)
    except CoverageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    table = rows(data)
    print("\n".join(terminal_lines(table)))
    if args.html:
        print(f"wrote {write_html(data, args.html)}")
    total = branch_percent(table)
    if args.fail_under is not None and total < args.fail_under:
        print(
            f"FAIL: required workflow branch coverage of {args.fail_under:g}% not reached: "
            f"{total:.2f}%",
            file=sys.stderr,
        )
        return 2
    return 0


def register(subparsers: Any) -> None:
    """Add ``coverage`` (with ``combine`` and ``report``) to the ``flowdsl`` command line."""
    p = subparsers.add_parser(
        "coverage", help="combine and report workflow coverage data (pytest --flowdsl-cov)"
    )
    sub = p.add_subparsers(dest="coverage_command", metavar="ACTION", required=True)
    c = sub.add_parser("combine", help="add up coverage data files into one")
    c.add_argument("files", nargs="*", metavar="FILE", help="data files (default: DATA.*)")
    c.add_argument("-o", "--output", default=".flowdsl-cov", metavar="DATA", help="the result")
    c.add_argument("--keep", action="store_true", help="keep the combined DATA.* files")
    c.set_defaults(func=_combine)
    r = sub.add_parser("report", help="print the per-workflow coverage table")
    r.add_argument("data", nargs="?", default=".flowdsl-cov", metavar="DATA")
    r.add_argument("--html", metavar="DIR", help="also write the HTML report to DIR")
    r.add_argument("--fail-under", type=float, metavar="N", help="exit 2 below N%% branches")
    r.set_defaults(func=_report)
