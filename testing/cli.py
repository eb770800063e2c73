"""``flowdsl simulate``: run a Conductor workflow test request on the fake clock.

Registered as a ``flowdsl.commands`` entry point, so the compiler's CLI never imports the testing
package. REQUEST.json is the body of Conductor's ``POST /api/workflow/test`` (``name``, ``version``,
``workflowDef``, ``input``, ``taskRefToMockOutput``, ``subWorkflowTestRequest``) plus flowdsl's
mock extensions. Exit 0 when the simulation ran, whatever the workflow's status; 1 on bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from testing.simulator import Run

__all__ = ["add_request_options", "input_errors", "register", "run_request"]


class _InputError(Exception):
    pass


def _json(path: str, what: str) -> Any:
    from compiler.loader import LoadError, load_json_text

    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as err:
        raise _InputError(f"cannot read {what} {path}: {err.strerror}") from None
    try:
        return load_json_text(text, path)
    except LoadError as err:
        raise _InputError(str(err)) from None


def input_errors() -> tuple[type[Exception], ...]:
    """The exceptions :func:`run_request` raises for bad input (their message says what and where)."""
    from compiler.loader import LoadError
    from testing.engine import SimulationError
    from testing.mocks import MockError

    return (_InputError, LoadError, MockError, SimulationError)


def _as_request(
    doc: Any, path: str, pick: str | None
) -> tuple[dict[str, Any], list[Any], list[Any]]:
    """Any Conductor file as a test request, plus the other workflows and the TaskDefs in it.

    A test or start request is used as it is; a WorkflowDef, a list of them, a bundle or an
    execution record runs its first workflow (or the one named ``pick``) with no mocks, on the
    execution's own input for an execution record.
    """
    from compiler.loader import LoadError, classify

    try:
        loaded = classify(doc, path)
    except LoadError:
        loaded = None
    if loaded is None or loaded.kind in ("test-request", "start-request"):
        if not isinstance(doc, dict):
            raise _InputError(f"{path}: $: expected a workflow test request object")
        return doc, [], []
    workflows = [found.definition for found in loaded.workflows]
    if not workflows:
        raise _InputError(
            f"{path}: $: expected a workflow to simulate; this {loaded.kind} file holds only task definitions"
        )
    chosen = workflows[0]
    if pick is not None:
        named = [w for w in workflows if w.get("name") == pick]
        if not named:
            names = ", ".join(str(w.get("name")) for w in workflows)
            raise _InputError(f"{path}: no workflow named '{pick}' in this file (it has: {names})")
        chosen = named[0]
    request: dict[str, Any] = {"workflowDef": chosen}
    if loaded.kind == "execution":
        request["input"] = loaded.extra["execution"].get("input") or {}
    return request, [w for w in workflows if w is not chosen], list(loaded.task_defs)


def run_request(args: argparse.Namespace) -> Run:
    """Simulate the request (or any Conductor file holding a workflow) of ``args.request``, with
    ``--workflow/--taskdefs/--workflows/--secrets``."""
    from compiler.loader import load_file
    from testing.mocks import Mocks
    from testing.simulator import Simulator

    doc = _json(args.request, "request")
    request, others, file_task_defs = _as_request(doc, args.request, args.workflow)
    definition = request.get("workflowDef")
    sim = Simulator(secrets=_json(args.secrets, "secrets") if args.secrets else None)
    for other in others:
        sim.add_workflow(other)
    for td in file_task_defs:
        sim.task_defs[str(td["name"])] = dict(td)
    if args.taskdefs:
        for td in load_file(args.taskdefs).task_defs:
            sim.task_defs[str(td["name"])] = dict(td)
    if args.workflows:
        for file in sorted(Path(args.workflows).glob("*.json")):
            loaded = load_file(file)
            for found in loaded.workflows:
                sim.add_workflow(found.definition)
            for td in loaded.task_defs:
                sim.task_defs.setdefault(str(td["name"]), dict(td))
    if definition is None:
        name = request.get("name")
        if not name:
            raise _InputError(
                f"{args.request}: $: expected a workflow test request (with 'workflowDef', or "
                f"'name' of a workflow given with --workflows) or a Conductor file holding a "
                f"workflow (a WorkflowDef needs 'name' and 'tasks'); got an object with keys "
                f"{sorted(request)}"
            )
        definition = sim.workflows.get((str(name), int(request.get("version") or 1)))
        if definition is None:
            raise _InputError(f"{args.request}: $.name: workflow '{name}' is not among --workflows")
    mocks = Mocks.from_conductor(request.get("taskRefToMockOutput") or {})
    for ref, sub in (request.get("subWorkflowTestRequest") or {}).items():
        if isinstance(sub, dict):
            mocks.load_conductor(
                sub.get("taskRefToMockOutput") or {},
                path=f"$.subWorkflowTestRequest.{ref}.taskRefToMockOutput",
            )
            if isinstance(sub.get("workflowDef"), dict):
                sim.add_workflow(sub["workflowDef"])
    sim.mocks = mocks
    return sim.run(definition, request.get("input") or {})


def add_request_options(p: argparse.ArgumentParser) -> None:
    """The options that say how to simulate a request (shared by ``simulate`` and ``report``)."""
    p.add_argument(
        "--workflow", metavar="NAME", help="which workflow of the file to run (default: the first)"
    )
    p.add_argument(
        "--taskdefs", metavar="FILE", help="TaskDefs (a JSON list) that apply to the tasks"
    )
    p.add_argument(
        "--workflows", metavar="DIR", help="folder of WorkflowDef JSON files for sub-workflows"
    )
    p.add_argument("--secrets", metavar="FILE", help="JSON object of secret name -> value")


def _simulate(args: argparse.Namespace) -> int:
    try:
        run = run_request(args)
    except input_errors() as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    text = run.to_json()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}: {run.status} after {run.duration}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def register(subparsers: Any) -> None:
    """Add ``simulate`` to the ``flowdsl`` command line."""
    p = subparsers.add_parser(
        "simulate", help="simulate a Conductor workflow test request on a fake clock"
    )
    p.add_argument(
        "request",
        metavar="REQUEST.json",
        help="a POST /api/workflow/test body, or any Conductor file holding a workflow "
        "(a WorkflowDef, a list, a bundle, a start request, an execution record)",
    )
    add_request_options(p)
    p.add_argument("-o", "--output", metavar="OUT.json", help="write the execution JSON here")
    p.set_defaults(func=_simulate)
