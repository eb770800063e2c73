"""Workflow diagrams: DOT and Mermaid text, SVG/PNG rendering, and run overlays.

Works on Conductor JSON (a WorkflowDef dict), so a compiled flowdsl workflow and any imported
Conductor file are drawn alike. Importing the package loads nothing; each name is resolved on
first use (see docs/diagrams.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from compiler._lazy import lazy_getattr

if TYPE_CHECKING:
    from compiler.diagram.dot import to_dot as to_dot
    from compiler.diagram.mermaid import to_mermaid as to_mermaid
    from compiler.diagram.overlay import Overlay as Overlay
    from compiler.diagram.overlay import TaskStyle as TaskStyle
    from compiler.diagram.overlay import run_overlay as run_overlay
    from compiler.diagram.rendering import RenderError as RenderError
    from compiler.diagram.rendering import render as render

__all__ = ["Overlay", "RenderError", "TaskStyle", "render", "run_overlay", "to_dot", "to_mermaid"]

_WHERE = {
    "Overlay": "compiler.diagram.overlay",
    "RenderError": "compiler.diagram.rendering",
    "TaskStyle": "compiler.diagram.overlay",
    "render": "compiler.diagram.rendering",
    "run_overlay": "compiler.diagram.overlay",
    "to_dot": "compiler.diagram.dot",
    "to_mermaid": "compiler.diagram.mermaid",
}


__getattr__ = lazy_getattr(__name__, _WHERE)
