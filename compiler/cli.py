"""The ``flowdsl`` command line.

``compile`` and ``validate`` live here. Other packages add subcommands
through the ``flowdsl.commands`` entry-point group (an entry point is a
function taking the argparse subparsers object), so this module never
imports them: the dependency direction stays flowdsl <- compiler <- testing.

Exit codes: 0 success; 1 invalid workflow or input (every problem listed,
no traceback); 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, TextIO

from flowdsl.errors import FlowError, Problem

__all__ = ["UsageError", "compile_target", "format_problem", "main"]


class UsageError(Exception):
    """A command-line usage error (exit 2)."""


def format_problem(problem: Problem, file: str | None = None) -> str:
    """One problem as ``where: severity: message`` plus an indented fix line."""
    if problem.location is not None:
        where = str(problem.location)
    elif file is not None:
        where = f"{file}: {problem.json_path or '$'}"
    else:
        where = problem.json_path or "?"
    text = f"{where}: {problem.severity}: {problem.message}"
    if problem.workflow and file is not None:
        text += f" (workflow '{problem.workflow}')"
    if problem.hint:
        text += f"\n    fix: {problem.hint}"
    return text


def _print_problems(problems: Sequence[Problem], out: TextIO, file: str | None = None) -> int:
    errors = 0
    for problem in problems:
        print(format_problem(problem, file), file=out)
        errors += problem.severity == "error"
    return errors


def compile_target(target: str, out: TextIO) -> list[Any] | None:
    """Compile every workflow of ``target`` (what ``flowdsl compile`` accepts), printing problems
    to ``out``; None when any failed. Raises UsageError for a target that names nothing."""
    from compiler.compile import compile_workflow
    from compiler.targets import TargetError, load_workflows
    from flowdsl.errors import WorkflowDefinitionError

    try:
        workflows = load_workflows(target)
    except TargetError as err:
        if err.usage:
            raise UsageError(str(err)) from None
        print(f"error: {err}", file=out)
        return None
    compiled = []
    failed = False
    for fn in workflows:
        try:
            result = compile_workflow(fn)
        except WorkflowDefinitionError as err:
            print(f"workflow '{fn.name}' ({fn.spec.location}) is invalid:", file=out)
            _print_problems([p for p in err.problems if p.severity == "error"], out)
            failed = True
            continue
        except FlowError as err:
            print(f"error: {err}", file=out)
            failed = True
            continue
        _print_problems(result.warnings, out)
        compiled.append(result)
    return None if failed else compiled


def cmd_compile(args: argparse.Namespace) -> int:
    """``flowdsl compile TARGET -o DIR``."""
    from compiler.compile import dumps

    compiled = compile_target(args.target, sys.stderr)
    if compiled is None:
        return 1
    out_dir = Path(args.output)
    out_dir.mkdir(parents=True, exist_ok=True)
    by_name: dict[str, dict[int, str]] = {}
    task_defs: dict[str, Any] = {}
    for result in compiled:
        for item in result.all_workflows():
            by_name.setdefault(item.name, {}).setdefault(item.version, item.to_json())
        for td in result.all_task_defs():
            task_defs.setdefault(td["name"], td)
    for name, versions in by_name.items():
        for version, text in sorted(versions.items()):
            # One version: <name>.json. Several versions of one name: <name>.v<version>.json each.
            file = out_dir / (f"{name}.json" if len(versions) == 1 else f"{name}.v{version}.json")
            file.write_text(text, encoding="utf-8")
            print(f"wrote {file}")
    (out_dir / "taskdefs.json").write_text(dumps(list(task_defs.values())), encoding="utf-8")
    print(f"wrote {out_dir / 'taskdefs.json'} ({len(task_defs)} task definitions)")
    return 0


def _validate_json(path: str) -> int:
    from compiler.loader import LoadError, load_file
    from compiler.validate import validate_task_defs, validate_workflow_def

    try:
        loaded = load_file(path)
    except LoadError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    problems: list[Problem] = []
    for found in loaded.workflows:
        problems.extend(validate_workflow_def(found.definition, path=found.json_path))
    if loaded.task_defs:
        problems.extend(validate_task_defs(list(loaded.task_defs), path="$taskDefs"))
    errors = _print_problems(problems, sys.stderr, path)
    names = ", ".join(str(w.definition.get("name")) for w in loaded.workflows) or "-"
    if errors:
        print(f"{path}: {errors} error(s) ({loaded.kind}; workflows: {names})", file=sys.stderr)
        return 1
    print(
        f"{path}: ok ({loaded.kind}; {len(loaded.workflows)} workflow(s): {names}; "
        f"{len(loaded.task_defs)} task definition(s))"
    )
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """``flowdsl validate TARGET|FILE.json``."""
    target: str = args.target
    if target.endswith(".json"):
        if not Path(target).is_file():
            raise UsageError(f"no such file: {target}")
        return _validate_json(target)
    compiled = compile_target(target, sys.stderr)
    if compiled is None:
        return 1
    for result in compiled:
        count = sum(1 for n in result.graph if n not in ("__start__", "__end__"))
        print(
            f"{result.name} v{result.version}: ok ({count} tasks, {len(result.all_task_defs())} task definitions)"
        )
    return 0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse exits 2 itself; keep its usage text
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with subcommands from the ``flowdsl.commands`` entry points."""
    parser = _Parser(
        prog="flowdsl", description="Write, check, draw and test Conductor workflows in Python."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    p = sub.add_parser(
        "compile",
        help="compile workflows to Conductor JSON (one file per workflow + taskdefs.json)",
    )
    p.add_argument(
        "target", metavar="TARGET", help="path/to/file.py or package.module, optionally :function"
    )
    p.add_argument(
        "-o", "--output", required=True, metavar="DIR", help="directory to write the JSON files to"
    )
    p.set_defaults(func=cmd_compile)
    p = sub.add_parser(
        "validate", help="check workflows (Python or Conductor JSON) without writing anything"
    )
    p.add_argument("target", metavar="TARGET|FILE.json")
    p.set_defaults(func=cmd_validate)
    from compiler.diagram.cli import register as register_render

    register_render(sub)
    from compiler.codegen.cli import register as register_import

    register_import(sub)
    for ep in sorted(entry_points(group="flowdsl.commands"), key=lambda e: e.name):
        try:
            register = ep.load()
        except Exception as err:  # a broken plugin must not break the core commands
            print(f"flowdsl: warning: cannot load subcommand '{ep.name}': {err}", file=sys.stderr)
            continue
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        code: int = args.func(args)
    except UsageError as err:
        print(f"flowdsl: error: {err}", file=sys.stderr)
        return 2
    except FlowError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
