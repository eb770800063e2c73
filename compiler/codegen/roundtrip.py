"""Import a Conductor file as Python, and check that the Python compiles back to the JSON."""

from __future__ import annotations

import os
import types
from collections.abc import Sequence
from typing import Any

import attrs

from compiler.codegen.generate import GeneratedModule, generate_module
from compiler.codegen.normalise import normalise_workflow_def

__all__ = ["RoundTrip", "import_file", "load_generated", "round_trip"]


def import_file(*paths: str | os.PathLike[str]) -> GeneratedModule:
    """Load Conductor files (any shape, see :mod:`compiler.loader`) and generate one module for
    all the workflows in them, with the TaskDefs any of them holds (e.g. a ``taskdefs.json``).

    Raises:
        compiler.loader.LoadError: a file is not JSON or not a Conductor definition, a workflow
            has a value of the wrong kind (file and JSON path), or no file holds a workflow.
    """
    from compiler.codegen.structure import CodegenError, check_structure
    from compiler.loader import LoadError, load_file

    workflows: list[dict[str, Any]] = []
    task_defs: list[dict[str, Any]] = []
    names: list[str] = []
    for path in paths:
        loaded = load_file(path)
        names.append(os.path.basename(loaded.path))
        for found in loaded.workflows:
            try:
                check_structure(found.definition)
            except CodegenError as err:
                where = found.json_path + err.json_path[1:]
                raise LoadError(loaded.path, where, err.message) from None
            workflows.append(found.definition)
        task_defs.extend(loaded.task_defs)
    if not workflows:
        where = ", ".join(str(os.fspath(p)) for p in paths)
        raise LoadError(
            where,
            "$",
            "expected at least one WorkflowDef to import; the file holds only task definitions",
        )
    return generate_module(workflows, task_defs, ", ".join(names))


def load_generated(source: str, filename: str = "<flowdsl import>") -> types.ModuleType:
    """Execute generated source as a fresh module (not added to ``sys.modules``)."""
    module = types.ModuleType("flowdsl_imported")
    module.__file__ = filename
    exec(compile(source, filename, "exec"), module.__dict__)
    return module


@attrs.frozen
class RoundTrip:
    """One workflow's round trip: ``ok``, or what differs (``diff``) or failed (``error``)."""

    name: str
    version: int
    ok: bool
    error: str = ""
    diff: str = ""
    rejected: bool = False
    """True when compile_workflow rejected the generated code; ``ok`` then says whether the
    JSON it describes (emitted without validation) is still the same definition."""


def round_trip(
    workflows: Sequence[dict[str, Any]],
    task_defs: Sequence[dict[str, Any]] = (),
    filename: str = "<flowdsl import>",
    generated: GeneratedModule | None = None,
) -> list[RoundTrip]:
    """JSON -> Python -> compile -> JSON for each of ``workflows``, compared in normal form.

    ``generated`` is the module already generated for them, if there is one.
    """
    from compiler.compile import compile_workflow
    from flowdsl.errors import FlowError, WorkflowDefinitionError

    if generated is None:
        generated = generate_module(workflows, task_defs, os.path.basename(filename))
    module = load_generated(generated.source, filename)
    out: list[RoundTrip] = []
    for definition, (name, version, fn) in zip(workflows, generated.functions, strict=True):
        rejected, error = False, ""
        try:
            compiled = compile_workflow(getattr(module, fn)).workflow_def
        except WorkflowDefinitionError as err:
            rejected, error = True, str(err)
            compiled = emit_unchecked(getattr(module, fn))
        except FlowError as err:
            out.append(RoundTrip(name, version, False, error=str(err)))
            continue
        want = normalise_workflow_def(definition)
        got = normalise_workflow_def(compiled)
        diff = "" if want == got else first_difference(want, got)
        out.append(RoundTrip(name, version, not diff, error, diff, rejected))
    return out


def emit_unchecked(fn: Any) -> dict[str, Any]:
    """The WorkflowDef a workflow function describes, emitted without validating it."""
    from compiler.conductor import ConductorEmitter
    from flowdsl.nodes import SubWorkflow
    from flowdsl.workflow import WorkflowFunction

    def inline(step: SubWorkflow) -> dict[str, Any] | None:
        target = step.target
        return emit_unchecked(target) if isinstance(target, WorkflowFunction) else None

    return ConductorEmitter(fn.trace(), inline).workflow_def()


def first_difference(want: Any, got: Any, path: str = "$") -> str:
    """The JSON path of the first place where ``want`` and ``got`` differ, and both values."""
    if isinstance(want, dict) and isinstance(got, dict):
        for key in [*want, *(k for k in got if k not in want)]:
            if key not in got:
                return f"{path}.{key}: missing after the round trip"
            if key not in want:
                return f"{path}.{key}: added by the round trip ({str(got[key])[:80]})"
            if want[key] != got[key]:
                return first_difference(want[key], got[key], f"{path}.{key}")
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (a, b) in enumerate(zip(want, got, strict=True)):
            if a != b:
                return first_difference(a, b, f"{path}[{i}]")
    return f"{path}: {str(want)[:100]} != {str(got)[:100]}"
