"""``flowdsl render TARGET|FILE.json -o OUT.{svg,png,dot,mmd}``: draw one workflow.

TARGET is what ``flowdsl compile`` accepts (``file.py``, ``package.module``, ``...:function``);
FILE.json is any Conductor file :mod:`compiler.loader` reads. The output format is the suffix of
OUT. A TARGET that defines one workflow draws it (``--workflow NAME`` picks one of the
sub-workflows it runs instead); when the TARGET or the file holds several, ``--workflow NAME``
picks one, and without it the command stops with a usage error listing them. ``--execution EXEC.json`` overlays a run; ``--expand-
subworkflows`` draws each sub-workflow whose definition is at hand (inline, compiled with the
target, or in the same file) as a cluster.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["register"]

SUFFIXES = (".svg", ".png", ".dot", ".mmd")


class _Usage(Exception):
    """A usage error (exit 2)."""


class _Invalid(Exception):
    """Invalid input (exit 1); the message says what, where and how to fix it."""


def _from_target(target: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the workflows the target defines, those and every sub-workflow they run)."""
    from compiler.cli import compile_target

    compiled = compile_target(target, sys.stderr)
    if compiled is None:
        raise _Invalid("")  # the problems are printed already
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for result in compiled:
        for item in result.all_workflows():
            found.setdefault((item.name, item.version), dict(item.workflow_def))
    own = [found[(result.name, result.version)] for result in compiled]
    return own, list(found.values())


def _from_json(path: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the workflows to choose from, those and the sub-workflow definitions in the file)."""
    from compiler.loader import LoadError, load_file

    try:
        loaded = load_file(path)
    except LoadError as err:
        raise _Invalid(f"error: {err}") from None
    if not loaded.workflows:
        raise _Invalid(
            f"error: {path}: $: holds no workflow definition ({loaded.kind}); "
            "fix: give a WorkflowDef file, a list of them, a bundle, a request or an execution"
        )
    workflows = [found.definition for found in loaded.workflows]
    if loaded.kind == "test-request":  # the workflow under test, then its sub-workflows
        return workflows[:1], workflows
    return workflows, workflows


def _pick(
    own: list[dict[str, Any]], workflows: list[dict[str, Any]], name: str | None, target: str
) -> dict[str, Any]:
    names = [str(wf.get("name")) for wf in workflows]
    if name is None:
        if len(own) == 1:
            return own[0]
        raise _Usage(
            f"{target} holds {len(workflows)} workflows ({', '.join(names)}); "
            "pick one with --workflow NAME"
        )
    matching = [wf for wf in workflows if wf.get("name") == name]
    if not matching:
        raise _Usage(f"{target} has no workflow named '{name}'; it holds: {', '.join(names)}")
    return max(matching, key=_version)  # the latest version of that name


def _version(workflow: Mapping[str, Any]) -> int:
    version = workflow.get("version")
    return version if isinstance(version, int) and not isinstance(version, bool) else 0


def _definitions(workflows: list[dict[str, Any]]) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for wf in workflows:
        name = str(wf.get("name"))
        found.setdefault(f"{name}:{wf.get('version')}", wf)
        found.setdefault(name, wf)
    return found


def _execution(path: str, drawn: str) -> Any:
    from compiler.diagram.overlay import run_overlay
    from compiler.loader import LoadError, load_json_text

    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as err:
        raise _Usage(f"cannot read --execution {path}: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise _Invalid(f"error: {path}: not valid UTF-8: {err.reason}") from None
    try:
        doc = load_json_text(text, path)
    except LoadError as err:
        raise _Invalid(f"error: {err}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("tasks"), list):
        raise _Invalid(
            f"error: {path}: $: expected a workflow execution (an object with a 'tasks' list, "
            "as GET /api/workflow/{id}?includeTasks=true returns or flowdsl simulate writes)"
        )
    name = doc.get("workflowName") or (doc.get("workflowDefinition") or {}).get("name")
    if isinstance(name, str) and name != drawn:
        print(
            f"warning: {path} is a run of workflow '{name}', not of '{drawn}'; "
            "tasks are matched by reference name",
            file=sys.stderr,
        )
    return run_overlay(doc)


def cmd_render(args: argparse.Namespace) -> int:
    """Run ``flowdsl render``; returns the exit code."""
    from compiler.cli import UsageError

    try:
        return _render(args)
    except _Usage as err:
        raise UsageError(str(err)) from None
    except _Invalid as err:
        if str(err):
            print(str(err), file=sys.stderr)
        return 1


def _render(args: argparse.Namespace) -> int:
    from compiler.diagram.dot import to_dot
    from compiler.diagram.mermaid import to_mermaid
    from compiler.diagram.rendering import RenderError, render

    out = Path(args.output)
    suffix = out.suffix.lower()
    if suffix not in SUFFIXES:
        raise _Usage(f"cannot tell the format of -o {args.output}: end it in {', '.join(SUFFIXES)}")
    target: str = args.target
    if target.endswith(".json"):
        if not Path(target).is_file():
            raise _Usage(f"no such file: {target}")
        own, workflows = _from_json(target)
    else:
        own, workflows = _from_target(target)
    workflow = _pick(own, workflows, args.workflow, target)
    overlay = _execution(args.execution, str(workflow.get("name"))) if args.execution else None
    options: dict[str, Any] = {
        "definitions": _definitions(workflows),
        "overlay": overlay,
        "expand_subworkflows": args.expand_subworkflows,
    }
    data: bytes
    if suffix == ".mmd":
        data = to_mermaid(workflow, **options).encode("utf-8")
    else:
        dot = to_dot(workflow, **options)
        if suffix == ".dot":
            data = dot.encode("utf-8")
        else:
            try:
                data = render(dot, "svg" if suffix == ".svg" else "png")
            except RenderError as err:
                raise _Invalid(f"error: {err}") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"wrote {out} ({workflow.get('name')})")
    return 0


def register(sub: Any) -> None:
    """Add the ``render`` subcommand to the ``flowdsl`` argparse subparsers."""
    p = sub.add_parser(
        "render", help="draw a workflow as SVG, PNG, DOT or Mermaid (format from -o's suffix)"
    )
    p.add_argument(
        "target",
        metavar="TARGET|FILE.json",
        help="path/to/file.py or package.module (optionally :function), or a Conductor JSON file",
    )
    p.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="OUT.svg, OUT.png, OUT.dot or OUT.mmd"
    )
    p.add_argument(
        "--execution",
        metavar="EXEC.json",
        help="overlay a run: its execution JSON colours the tasks",
    )
    p.add_argument(
        "--expand-subworkflows",
        action="store_true",
        help="draw sub-workflows whose definitions are known as clusters",
    )
    p.add_argument(
        "--workflow", metavar="NAME", help="the workflow to draw when the target holds several"
    )
    p.set_defaults(func=cmd_render)
