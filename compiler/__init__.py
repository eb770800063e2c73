"""flowdsl's compiler: IR -> Conductor JSON and a networkx graph, validation, and the CLI.

Importing the package loads nothing heavy; each function imports what it needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from compiler._lazy import lazy_getattr

if TYPE_CHECKING:
    from compiler.compile import CompiledWorkflow as CompiledWorkflow
    from compiler.compile import compile_workflow as compile_workflow
    from compiler.compile import dumps as dumps
    from compiler.graph import END as END
    from compiler.graph import START as START
    from compiler.graph import build_graph as build_graph
    from compiler.validate import validate_task_defs as validate_task_defs
    from compiler.validate import validate_workflow_def as validate_workflow_def

__all__ = [
    "END",
    "START",
    "CompiledWorkflow",
    "build_graph",
    "compile_workflow",
    "dumps",
    "validate_task_defs",
    "validate_workflow_def",
]

_WHERE = {
    "CompiledWorkflow": "compiler.compile",
    "compile_workflow": "compiler.compile",
    "dumps": "compiler.compile",
    "END": "compiler.graph",
    "START": "compiler.graph",
    "build_graph": "compiler.graph",
    "validate_task_defs": "compiler.validate",
    "validate_workflow_def": "compiler.validate",
}


__getattr__ = lazy_getattr(__name__, _WHERE)
