"""``flowdsl import FILE.json [MORE.json ...] [-o module.py]``: Conductor JSON -> flowdsl Python."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["cmd_import", "register"]


def cmd_import(args: argparse.Namespace) -> int:
    """Generate the module; exit 1 (message, no traceback) when the file cannot be imported."""
    from compiler.codegen.roundtrip import import_file
    from compiler.codegen.structure import CodegenError
    from compiler.loader import LoadError, load_file
    from compiler.validate import validate_workflow_def

    sources: list[str] = args.files
    for source in sources:
        if not Path(source).is_file():
            print(f"flowdsl: error: no such file: {source}", file=sys.stderr)
            return 2
    try:
        generated = import_file(*sources)
    except (LoadError, CodegenError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for source in sources:
        problems = 0
        for found in load_file(source).workflows:
            for problem in validate_workflow_def(found.definition, path=found.json_path):
                if problem.severity == "error":
                    problems += 1
                    where = problem.json_path or found.json_path
                    print(f"{source}: {where}: warning: {problem.message}", file=sys.stderr)
        if problems:
            print(
                f"{source}: the definition has {problems} error(s); the generated code shows "
                f"them at its own lines when you compile it",
                file=sys.stderr,
            )
    names = ", ".join(fn for _, _, fn in generated.functions)
    if args.output in (None, "-"):
        sys.stdout.write(generated.source)
        return 0
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(generated.source, encoding="utf-8")
    print(f"wrote {out} (workflows: {names})")
    return 0


def register(sub: Any) -> None:
    """Add the ``import`` subcommand to the ``flowdsl`` parser's subparsers."""
    p = sub.add_parser(
        "import",
        help="turn Conductor JSON (any definition file) into flowdsl Python",
        description=(
            "Write a flowdsl module for every workflow in FILE.json: @task functions with "
            "their TaskDef settings and @workflow functions using fork, switch, do_while, "
            "sub_workflow and the system task functions."
        ),
    )
    p.add_argument(
        "files",
        metavar="FILE.json",
        nargs="+",
        help="Conductor definition files (workflows, and TaskDefs such as a taskdefs.json)",
    )
    p.add_argument(
        "-o", "--output", metavar="MODULE.py", help="where to write the module (default: stdout)"
    )
    p.set_defaults(func=cmd_import)
